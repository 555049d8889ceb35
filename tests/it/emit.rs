//! Issue 13 B: `report --emit` writes the files kube-burner's, clusterloader2's and Prometheus'
//! readers take, field by field as those tools' sources shape them (cited in
//! src/report/emit/*.rs), with values from the analysis.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use podtrace::report::emit::{self, EmitArgs, Kind, Target};
use podtrace::timeline::{ContainerTimeline, Ms, PodTimeline};
use serde_json::Value;

use crate::util::*;

fn demo() -> PathBuf {
    repo().join("samples/seed-demo")
}

fn json(p: &Path) -> Value {
    let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}\n{text}", p.display()))
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

/// Writes `kinds` for `pods` through the library, as `report` does.
fn emit_pods(pods: &[PodTimeline], kinds: &[Kind], dir: &Path, job: &str) -> String {
    let args = EmitArgs {
        targets: kinds
            .iter()
            .map(|k| Target {
                kind: *k,
                dir: dir.join(k.as_str()),
            })
            .collect(),
        job: job.into(),
        uuid: Some("00000000-0000-0000-0000-000000000013".into()),
    };
    let mut err = Vec::new();
    emit::write_all(&args, pods, &mut err).unwrap();
    String::from_utf8(err).unwrap()
}

/// Every field of kube-burner's `podMetric` (pkg/measurements/pod_latency.go) but the
/// `omitempty` `metadata`.
const POD_FIELDS: [&str; 15] = [
    "timestamp",
    "schedulingLatency",
    "initializedLatency",
    "containersReadyLatency",
    "podReadyLatency",
    "readyToStartContainersLatency",
    "containersStartedLatency",
    "metricName",
    "uuid",
    "jobName",
    "jobIteration",
    "replica",
    "namespace",
    "podName",
    "nodeName",
];

/// kube-burner's `LatencyQuantiles` (pkg/measurements/metrics/metrics.go) without `metadata`.
const QUANTILE_FIELDS: [&str; 11] = [
    "quantileName",
    "uuid",
    "P99",
    "P95",
    "P50",
    "min",
    "max",
    "avg",
    "timestamp",
    "metricName",
    "jobName",
];

#[test]
fn kube_burner_files_for_the_demo() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("kb");
    let (code, _, err) = podtrace(&[
        "report",
        "-q",
        demo().to_str().unwrap(),
        "--emit",
        &format!("kube-burner={}", out.display()),
        "--job",
        "node-density",
        "--uuid",
        "c40b4346-7af7-4c63-9ab4-aae7ccdd0616",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("podtrace: wrote 2 kube-burner files to "),
        "{err}"
    );
    assert_eq!(
        names(&out),
        [
            "podLatencyMeasurement-node-density.json",
            "podLatencyQuantilesMeasurement-node-density.json"
        ]
    );
    // go-commons' local indexer: json.Encoder.Encode, one compact line and a newline.
    let raw = std::fs::read_to_string(out.join("podLatencyMeasurement-node-density.json")).unwrap();
    assert!(
        raw.starts_with(
            "[{\"timestamp\":\"2024-11-29T10:15:00.131877Z\",\"schedulingLatency\":12,"
        ),
        "{raw}"
    );
    assert_eq!(raw.matches('\n').count(), 1);
    assert!(raw.ends_with("}]\n"));

    let pods = json(&out.join("podLatencyMeasurement-node-density.json"));
    let pods = pods.as_array().unwrap();
    assert_eq!(pods.len(), 1);
    let p = &pods[0];
    assert_eq!(keys(p), POD_FIELDS.into_iter().collect());
    // created 10:15:00.131877; each latency truncated to whole ms like Go's Milliseconds().
    assert_eq!(p["timestamp"], "2024-11-29T10:15:00.131877Z");
    assert_eq!(p["schedulingLatency"], 12); // scheduled .144018: 12.141 ms
    assert_eq!(p["initializedLatency"], 14); // kubelet_seen .146214: 14.337 ms
    assert_eq!(p["readyToStartContainersLatency"], 269); // sandbox_ready .401688190
    assert_eq!(p["containersStartedLatency"], 4909); // running 05.041583009
    assert_eq!(p["containersReadyLatency"], 4909); // ready = running (no probe)
    assert_eq!(p["podReadyLatency"], 4909);
    assert_eq!(p["metricName"], "podLatencyMeasurement");
    assert_eq!(p["uuid"], "c40b4346-7af7-4c63-9ab4-aae7ccdd0616");
    assert_eq!(p["jobName"], "node-density");
    assert_eq!(
        (p["jobIteration"].as_i64(), p["replica"].as_i64()),
        (Some(0), Some(0))
    );
    assert_eq!(
        (&p["namespace"], &p["podName"], &p["nodeName"]),
        (
            &Value::from("default"),
            &Value::from("pod-demo"),
            &Value::from("kind-worker")
        )
    );

    let q = json(&out.join("podLatencyQuantilesMeasurement-node-density.json"));
    let q = q.as_array().unwrap();
    let order: Vec<&str> = q
        .iter()
        .map(|d| d["quantileName"].as_str().unwrap())
        .collect();
    assert_eq!(
        order,
        [
            "PodScheduled",
            "PodReadyToStartContainers",
            "Initialized",
            "ContainersReady",
            "Ready",
            "ContainersStarted"
        ]
    );
    for (d, v) in q.iter().zip([12, 269, 14, 4909, 4909, 4909]) {
        assert_eq!(keys(d), QUANTILE_FIELDS.into_iter().collect());
        for stat in ["P99", "P95", "P50", "min", "max", "avg"] {
            assert_eq!(d[stat], v, "{stat} of {d}");
        }
        assert_eq!(d["metricName"], "podLatencyQuantilesMeasurement");
        assert_eq!(d["jobName"], "node-density");
        // The run's last milestone (programmed_last), not the time podtrace ran.
        assert_eq!(d["timestamp"], "2024-11-29T10:15:05.989298Z");
    }
}

/// The default uuid comes from the pods, not from where the bundle is: the demo copied elsewhere
/// gets the same one, a v5 (name-based) UUID.
#[test]
fn default_uuid_is_the_bundles() {
    let d = tempfile::tempdir().unwrap();
    let copy = d.path().join("elsewhere");
    copy_dir(&demo(), &copy);
    let mut uuids = Vec::new();
    for (i, input) in [demo(), copy].iter().enumerate() {
        let out = d.path().join(format!("kb{i}"));
        let (code, _, err) = podtrace(&[
            "report",
            "-q",
            input.to_str().unwrap(),
            "--emit",
            &format!("kube-burner={}", out.display()),
        ]);
        assert_eq!(code, 0, "{err}");
        let p = json(&out.join("podLatencyMeasurement-podtrace.json"));
        uuids.push(p[0]["uuid"].as_str().unwrap().to_owned());
    }
    assert_eq!(uuids[0], uuids[1]);
    assert_eq!(uuids[0].len(), 36);
    assert_eq!(&uuids[0][14..15], "5", "{}", uuids[0]);
    let a = analyze(&[demo()]);
    assert_eq!(emit::run_uuid(&a.pods), uuids[0]);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

fn demo_pod() -> PodTimeline {
    analyze(&[demo()]).pods.remove(0)
}

/// Pods lacking a milestone: kube-burner's own 0, listed in `metadata.podtraceMissing` and left
/// out of the quantiles; pods kube-burner would not have are left out and counted.
#[test]
fn kube_burner_missing_milestones_and_pods_left_out() {
    let base = demo_pod();
    let mut no_sandbox = base.clone();
    no_sandbox.name = "no-sandbox".into();
    no_sandbox.milestones.remove(&Ms::SandboxReady);
    let mut with_init = base.clone();
    with_init.name = "with-init".into();
    with_init.containers.push(ContainerTimeline {
        name: "setup".into(),
        init: true,
        ..Default::default()
    });
    let mut never_ready = base.clone();
    never_ready.name = "never-ready".into();
    never_ready.milestones.remove(&Ms::Ready);
    let mut no_created = base.clone();
    no_created.name = "no-created".into();
    no_created.milestones.remove(&Ms::Created);
    let mut statik = base.clone();
    statik.name = "etcd-kind-control-plane".into();
    statik.static_pod = Some(podtrace::timeline::StaticPod {
        basis: "test".into(),
        heuristic: false,
    });
    let pods = vec![base, no_sandbox, with_init, never_ready, no_created, statik];
    let d = tempfile::tempdir().unwrap();
    let err = emit_pods(&pods, &[Kind::KubeBurner], d.path(), "t");
    assert!(
        err.contains("kube-burner: 1 pod left out: never Ready (kube-burner skips them too)"),
        "{err}"
    );
    assert!(
        err.contains("kube-burner: 1 pod left out: without a creation time"),
        "{err}"
    );
    assert!(err.contains("kube-burner: 1 pod left out: static"), "{err}");
    assert!(
        err.contains("kube-burner: 2 pods with a latency podtrace has no milestone for"),
        "{err}"
    );

    let docs = json(&d.path().join("kube-burner/podLatencyMeasurement-t.json"));
    let docs = docs.as_array().unwrap();
    let by: Vec<(&str, &Value)> = docs
        .iter()
        .map(|x| (x["podName"].as_str().unwrap(), x))
        .collect();
    assert_eq!(
        by.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        ["pod-demo", "no-sandbox", "with-init"]
    );
    assert!(by[0].1.get("metadata").is_none());
    assert_eq!(by[1].1["readyToStartContainersLatency"], 0);
    assert_eq!(
        by[1].1["metadata"]["podtraceMissing"],
        serde_json::json!(["readyToStartContainersLatency"])
    );
    assert_eq!(by[1].1["schedulingLatency"], 12);
    assert_eq!(by[2].1["initializedLatency"], 0);
    assert_eq!(
        by[2].1["metadata"]["podtraceMissing"],
        serde_json::json!(["initializedLatency"])
    );
    let q = json(
        &d.path()
            .join("kube-burner/podLatencyQuantilesMeasurement-t.json"),
    );
    let count = |name: &str| {
        q.as_array()
            .unwrap()
            .iter()
            .find(|x| x["quantileName"] == name)
            .map(|x| (x["min"].as_i64().unwrap(), x["avg"].as_i64().unwrap()))
    };
    // Two of three pods have each of these; the missing 0 is in neither min nor avg.
    assert_eq!(count("PodReadyToStartContainers"), Some((269, 269)));
    assert_eq!(count("Initialized"), Some((14, 14)));
    assert_eq!(count("PodScheduled"), Some((12, 12)));
}

/// kube-burner's statistics on known values: montanaflynn/stats' percentile (mean of the two
/// values around p·n when it is not whole), each truncated to an int.
#[test]
fn kube_burner_quantiles_on_known_values() {
    let base = demo_pod();
    let created = base.milestones[&Ms::Created].t;
    let pods: Vec<PodTimeline> = (1..=10)
        .map(|i| {
            let mut p = base.clone();
            p.name = format!("p{i}");
            // Scheduling latency i ms (+ 0.9 ms, which truncation drops).
            p.milestones.get_mut(&Ms::Scheduled).unwrap().t = created + i * 1_000_000 + 900_000;
            p
        })
        .collect();
    let run = emit::Run::new(&pods, "t", Some("u"));
    let (docs, values, _) = emit::kube_burner::documents(&pods, &run);
    assert_eq!(docs.len(), 10);
    assert_eq!(values[0], (1..=10).collect::<Vec<i64>>());
    let q = emit::kube_burner::quantiles("PodScheduled", &values[0], &run).unwrap();
    // p50: 5 (0.5·10 = 5, whole); p95, p99: mean of 9 and 10 = 9.5 → 9; avg 5.5 → 5.
    assert_eq!(
        (q.p50, q.p95, q.p99, q.min, q.max, q.avg),
        (5, 9, 9, 1, 10, 5)
    );
}

#[test]
fn cl2_files_for_the_demo() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("cl2");
    let (code, _, err) = podtrace(&[
        "report",
        "-q",
        demo().to_str().unwrap(),
        "--emit",
        &format!("cl2={}", out.display()),
        "--job",
        "load",
    ]);
    assert_eq!(code, 0, "{err}");
    // perfdash's prefixes `PodStartupLatency_PodStartupLatency` + `_load`; the demo pod has
    // only configMap/projected volumes: stateless, so no Stateful file.
    assert_eq!(
        names(&out),
        [
            "NetworkProgrammingLatency_load_2024-11-29T10:15:05Z.json",
            "PodStartupLatency_PodStartupLatency_load_2024-11-29T10:15:05Z.json",
            "StatelessPodStartupLatency_PodStartupLatency_load_2024-11-29T10:15:05Z.json",
        ]
    );
    let all = out.join("PodStartupLatency_PodStartupLatency_load_2024-11-29T10:15:05Z.json");
    let raw = std::fs::read_to_string(&all).unwrap();
    assert!(raw.starts_with("{\n  \"version\": \"1.0\",\n  \"dataItems\": [\n    {\n      \"data\": {\n        \"Perc50\": 12.141,\n"), "{raw}");
    let v = json(&all);
    assert_eq!(keys(&v), ["dataItems", "version"].into_iter().collect());
    let items = v["dataItems"].as_array().unwrap();
    let mut got = Vec::new();
    for it in items {
        assert_eq!(keys(it), ["data", "labels", "unit"].into_iter().collect());
        assert_eq!(
            keys(&it["data"]),
            ["Perc50", "Perc90", "Perc99"].into_iter().collect()
        );
        assert_eq!(it["unit"], "ms");
        assert_eq!(keys(&it["labels"]), ["Metric"].into_iter().collect());
        // One pod: its value is every percentile.
        assert_eq!(it["data"]["Perc50"], it["data"]["Perc99"]);
        got.push((
            it["labels"]["Metric"].as_str().unwrap().to_owned(),
            it["data"]["Perc50"].as_f64().unwrap(),
        ));
    }
    assert_eq!(
        got,
        [
            ("create_to_schedule".to_owned(), 12.141),
            ("schedule_to_run".to_owned(), 4897.565009),
            ("run_to_watch".to_owned(), 902.398393),
            ("schedule_to_watch".to_owned(), 5799.963402),
            // = startup_e2e, 5.812104402 s
            ("pod_startup".to_owned(), 5812.104402),
            ("create_to_run".to_owned(), 4909.706009),
        ]
    );
    assert_eq!(
        std::fs::read_to_string(&all).unwrap(),
        std::fs::read_to_string(
            out.join("StatelessPodStartupLatency_PodStartupLatency_load_2024-11-29T10:15:05Z.json")
        )
        .unwrap()
    );
    // Network programming: ready 05.041583009 to each node's kube-proxy (05.983752 and
    // 05.989298); nearest rank of two: p50 the first, p90 and p99 the second.
    let np = json(&out.join("NetworkProgrammingLatency_load_2024-11-29T10:15:05Z.json"));
    assert_eq!(
        np,
        serde_json::json!({"version": "v1", "dataItems": [
            {"data": {"Perc50": 942.168991, "Perc90": 947.714991, "Perc99": 947.714991}, "unit": "ms"}
        ]})
    );
}

/// CL2's nearest rank over a simulated run: with 40 pods, Perc50 is the 20th value, Perc90 the
/// 36th and Perc99 the largest, each exactly a pod's `startup_e2e` in ms.
#[test]
fn cl2_nearest_rank_on_a_simulated_run() {
    let d = tempfile::tempdir().unwrap();
    let bundle = d.path().join("b");
    podtrace::simulate::generate(
        &bundle,
        &podtrace::simulate::SimOptions {
            pods: 40,
            nodes: 3,
            seed: 13,
            ..Default::default()
        },
    )
    .unwrap();
    let a = analyze(&[bundle]);
    let mut e2e: Vec<i64> = a
        .pods
        .iter()
        .filter_map(|p| {
            p.phases
                .get(&podtrace::timeline::Phase::StartupE2e)
                .copied()
        })
        .collect();
    assert_eq!(e2e.len(), 40);
    e2e.sort_unstable();
    let out = d.path().join("out");
    emit_pods(&a.pods, &[Kind::Cl2], &out, "sim");
    let dir = out.join("cl2");
    let file = names(&dir)
        .into_iter()
        .find(|n| n.starts_with("PodStartupLatency_PodStartupLatency_sim_"))
        .unwrap();
    let v = json(&dir.join(file));
    let item = v["dataItems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["labels"]["Metric"] == "pod_startup")
        .unwrap()
        .clone();
    let ms = |ns: i64| ns as f64 / 1e6;
    assert_eq!(item["data"]["Perc50"].as_f64(), Some(ms(e2e[19])));
    assert_eq!(item["data"]["Perc90"].as_f64(), Some(ms(e2e[35])));
    assert_eq!(item["data"]["Perc99"].as_f64(), Some(ms(e2e[39])));
}

/// One sample of the exposition: name, labels, value.
type Sample = (String, Vec<(String, String)>, f64);

/// A strict reader of the text format's sample lines (label values unescaped), enough to show
/// that hostile names cannot add or break a sample. Panics on anything malformed.
fn samples(text: &str) -> Vec<Sample> {
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let mut chars = line.chars().peekable();
        let name: String = chars
            .by_ref()
            .take_while(|c| *c != '{' && *c != ' ')
            .collect();
        assert!(
            name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "{line}"
        );
        let mut labels = Vec::new();
        if line.as_bytes()[name.len()] == b'{' {
            loop {
                let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
                assert_eq!(chars.next(), Some('"'), "{line}");
                let mut value = String::new();
                loop {
                    match chars
                        .next()
                        .unwrap_or_else(|| panic!("unterminated: {line}"))
                    {
                        '"' => break,
                        '\\' => match chars.next() {
                            Some('\\') => value.push('\\'),
                            Some('"') => value.push('"'),
                            Some('n') => value.push('\n'),
                            other => panic!("bad escape {other:?} in {line}"),
                        },
                        c => value.push(c),
                    }
                }
                labels.push((key, value));
                match chars.next() {
                    Some(',') => continue,
                    Some('}') => break,
                    other => panic!("{other:?} after a label in {line}"),
                }
            }
            assert_eq!(chars.next(), Some(' '), "{line}");
        }
        let value: String = chars.collect();
        let value = if value == "+Inf" {
            f64::INFINITY
        } else {
            value
                .parse()
                .unwrap_or_else(|_| panic!("value {value:?} in {line}"))
        };
        out.push((name, labels, value));
    }
    out
}

fn value(s: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    let found: Vec<f64> = s
        .iter()
        .filter(|(n, l, _)| {
            n == name
                && l.len() == labels.len()
                && labels
                    .iter()
                    .all(|(k, v)| l.iter().any(|(a, b)| a == k && b == v))
        })
        .map(|(_, _, v)| *v)
        .collect();
    assert_eq!(found.len(), 1, "{name} {labels:?}: {found:?}");
    found[0]
}

#[test]
fn openmetrics_for_the_demo() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("om");
    let (code, _, err) = podtrace(&[
        "report",
        "-q",
        demo().to_str().unwrap(),
        "--emit",
        &format!("openmetrics={}", out.display()),
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(names(&out), ["podtrace.prom"]);
    let text = std::fs::read_to_string(out.join("podtrace.prom")).unwrap();
    assert!(text.ends_with("\n# EOF\n") && text.matches("# EOF").count() == 1);
    assert!(!text.contains("\n\n"), "OpenMetrics has no empty line");
    assert!(text.contains(
        "# TYPE podtrace_phase_duration_seconds histogram\n# UNIT podtrace_phase_duration_seconds seconds\n"
    ));
    let s = samples(&text);
    assert_eq!(value(&s, "podtrace_pods", &[]), 1.0);
    let b = "podtrace_phase_duration_seconds_bucket";
    // scheduling 12.141 ms: above 0.01 s, within 0.025 s.
    assert_eq!(
        value(&s, b, &[("phase", "scheduling"), ("le", "0.01")]),
        0.0
    );
    assert_eq!(
        value(&s, b, &[("phase", "scheduling"), ("le", "0.025")]),
        1.0
    );
    assert!(text.contains("podtrace_phase_duration_seconds_sum{phase=\"scheduling\"} 0.012141\n"));
    // startup_e2e 5.812104402 s: above the 5 s bucket, within 10 s; its sum to the ns.
    assert_eq!(
        value(&s, b, &[("phase", "startup_e2e"), ("le", "5.0")]),
        0.0
    );
    assert_eq!(
        value(&s, b, &[("phase", "startup_e2e"), ("le", "10.0")]),
        1.0
    );
    assert!(
        text.contains("podtrace_phase_duration_seconds_sum{phase=\"startup_e2e\"} 5.812104402\n")
    );
    assert_eq!(
        value(
            &s,
            "podtrace_phase_duration_seconds_count",
            &[("phase", "startup_e2e")]
        ),
        1.0
    );
    assert_eq!(
        value(
            &s,
            "podtrace_node_phase_duration_seconds_count",
            &[("node", "kind-worker"), ("phase", "containers")]
        ),
        1.0
    );
    // containers: sandbox_ready .401688190 to running 05.041583009.
    assert!(text.contains(
        "podtrace_node_phase_duration_seconds_sum{node=\"kind-worker\",phase=\"containers\"} 4.639894819\n"
    ));
}

/// 40 simulated pods: counts are the pods with each metric, sums the exact sum of their values,
/// buckets the pods at or under each bound, nodes add up to the whole.
#[test]
fn openmetrics_counts_sums_and_buckets_of_a_simulated_run() {
    let d = tempfile::tempdir().unwrap();
    let bundle = d.path().join("b");
    podtrace::simulate::generate(
        &bundle,
        &podtrace::simulate::SimOptions {
            pods: 40,
            nodes: 3,
            seed: 13,
            failures: true,
            ..Default::default()
        },
    )
    .unwrap();
    let a = analyze(&[bundle]);
    assert_eq!(a.pods.len(), 40);
    let rows: Vec<_> = a.pods.iter().map(podtrace::report::row).collect();
    let text = emit::openmetrics::exposition(&a.pods);
    let s = samples(&text);
    assert_eq!(value(&s, "podtrace_pods", &[]), 40.0);
    for m in podtrace::report::metrics() {
        let vals: Vec<i64> = rows
            .iter()
            .filter_map(|r| r.values.get(&m).copied())
            .collect();
        let phase = m.as_str();
        if vals.is_empty() {
            assert!(!text.contains(&format!("phase=\"{phase}\"")), "{phase}");
            continue;
        }
        let count = value(
            &s,
            "podtrace_phase_duration_seconds_count",
            &[("phase", phase)],
        );
        assert_eq!(count, vals.len() as f64, "{phase}");
        let sum = value(
            &s,
            "podtrace_phase_duration_seconds_sum",
            &[("phase", phase)],
        );
        let exact: i64 = vals.iter().sum();
        assert_eq!(sum, exact as f64 / 1e9, "{phase}");
        for (le, bound) in [
            ("0.5", 500_000_000),
            ("5.0", 5_000_000_000),
            ("+Inf", i64::MAX),
        ] {
            let n = vals.iter().filter(|v| **v <= bound).count();
            let got = value(
                &s,
                "podtrace_phase_duration_seconds_bucket",
                &[("phase", phase), ("le", le)],
            );
            assert_eq!(got, n as f64, "{phase} le {le}");
        }
        let per_node: f64 = s
            .iter()
            .filter(|(n, l, _)| {
                n == "podtrace_node_phase_duration_seconds_count"
                    && l.iter().any(|(k, v)| k == "phase" && v == phase)
            })
            .map(|(_, _, v)| v)
            .sum();
        assert_eq!(per_node, count, "{phase}");
    }
}

/// Names from logs with quotes, newlines, braces and terminal controls: every file still parses
/// and gives the name back (JSON), or the escaped name (exposition: the format has no escape
/// for ESC, so it becomes a visible `\x1b`), and adds no sample, label or `# EOF`.
#[test]
fn hostile_names_stay_inside_their_strings() {
    let mut p = demo_pod();
    p.namespace = "ns\"},{\"namespace\":\"x".into();
    p.name = "pod\"\n}]\u{1b}[2J<script>&".into();
    p.node = Some("node\"} 1\n# EOF\nle=\"+Inf\\\"\u{1b}[31m".into());
    let pods = vec![p.clone()];
    let d = tempfile::tempdir().unwrap();
    emit_pods(
        &pods,
        &[Kind::KubeBurner, Kind::Cl2, Kind::OpenMetrics],
        d.path(),
        "h",
    );

    let raw =
        std::fs::read_to_string(d.path().join("kube-burner/podLatencyMeasurement-h.json")).unwrap();
    assert_eq!(raw.matches('\n').count(), 1, "{raw}");
    assert!(
        !raw.contains('\u{1b}') && !raw.contains('<') && !raw.contains('&'),
        "{raw}"
    );
    assert!(
        raw.contains(r#""podName":"pod\"\n}]\u001b[2J\u003cscript\u003e\u0026""#),
        "{raw}"
    );
    let docs = json(&d.path().join("kube-burner/podLatencyMeasurement-h.json"));
    assert_eq!(docs.as_array().unwrap().len(), 1);
    assert_eq!(docs[0]["namespace"], p.namespace.as_str());
    assert_eq!(docs[0]["podName"], p.name.as_str());
    assert_eq!(docs[0]["nodeName"], p.node.as_deref().unwrap());
    json(
        &d.path()
            .join("kube-burner/podLatencyQuantilesMeasurement-h.json"),
    );
    for f in names(&d.path().join("cl2")) {
        // CL2's files name no pod; they stay valid.
        json(&d.path().join("cl2").join(f));
    }

    let text = std::fs::read_to_string(d.path().join("openmetrics/podtrace.prom")).unwrap();
    assert!(!text.contains('\u{1b}'));
    // The forged `# EOF` stays inside its label value: one line is `# EOF`, the last.
    assert_eq!(text.lines().filter(|l| *l == "# EOF").count(), 1);
    assert!(text.ends_with("\n# EOF\n"));
    let s = samples(&text);
    let shown = "node\"} 1\n# EOF\nle=\"+Inf\\\"\\x1b[31m";
    let nodes: BTreeSet<&str> = s
        .iter()
        .flat_map(|(_, l, _)| {
            l.iter()
                .filter(|(k, _)| k == "node")
                .map(|(_, v)| v.as_str())
        })
        .collect();
    assert_eq!(nodes, [shown].into_iter().collect());
    assert_eq!(
        value(
            &s,
            "podtrace_node_phase_duration_seconds_count",
            &[("node", shown), ("phase", "scheduling")]
        ),
        1.0
    );
    // The cluster-wide family has exactly as many samples as without the hostile node.
    let clean = emit::openmetrics::exposition(&[demo_pod()]);
    assert_eq!(samples(&clean).len(), s.len());
}

#[test]
fn bad_emit_arguments_are_usage_errors() {
    let (code, _, err) = podtrace(&["report", "-q", "--emit", "grafana=x"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown kind \"grafana\": one of kube-burner, cl2, openmetrics"),
        "{err}"
    );
    let (code, _, err) = podtrace(&["report", "-q", "--emit", "cl2"]);
    assert_eq!(code, 2);
    assert!(err.contains("expected KIND=DIR"), "{err}");
    let (code, _, err) = podtrace(&[
        "report",
        "-q",
        "--emit",
        "cl2=/tmp/x",
        "--job",
        "pod_density",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("split file names on `_`"), "{err}");
}
