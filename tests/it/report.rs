//! Issue 6: statistics on known data, SLO gates and their exit codes, threshold files, formats.

use std::path::PathBuf;
use std::process::Command;

use podtrace::report::{self, slo};
use podtrace::timeline::PodTimeline;

use crate::util::repo;
use podtrace::timeline::Phase;

/// Pods whose `startup_e2e` is 1..=10 ms, five on node a (1..=5) and five on node b, plus one
/// pod on node b without the metric.
fn known() -> Vec<PodTimeline> {
    let mut pods: Vec<PodTimeline> = (1..=10)
        .map(|i| {
            let mut p = PodTimeline {
                namespace: "ns".into(),
                name: format!("p{i}"),
                node: Some(if i <= 5 { "a" } else { "b" }.into()),
                ..Default::default()
            };
            p.phases.insert(Phase::StartupE2e, i * 1_000_000);
            p.phases.insert(Phase::Scheduling, 100_000 * (11 - i));
            p
        })
        .collect();
    pods.push(PodTimeline {
        namespace: "ns".into(),
        name: "p11".into(),
        node: Some("b".into()),
        ..Default::default()
    });
    pods
}

#[test]
fn percentiles_on_known_data() {
    let r = report::build(&known(), 3).unwrap();
    let s = r.stat("all", "all", "startup_e2e").unwrap();
    assert_eq!((s.pods, s.count), (11, 10));
    assert_eq!(s.coverage, 10.0 / 11.0);
    assert_eq!(s.min, Some(1e6));
    assert_eq!(s.max, Some(10e6));
    assert_eq!(s.mean, Some(5.5e6));
    // Type 7: h = (n-1)p = 9p over 1..10 ms.
    assert_eq!(s.p50, Some(5.5e6));
    assert!((s.p90.unwrap() - 9.1e6).abs() < 1e-3, "{:?}", s.p90);
    assert!((s.p95.unwrap() - 9.55e6).abs() < 1e-3, "{:?}", s.p95);
    assert!((s.p99.unwrap() - 9.91e6).abs() < 1e-3, "{:?}", s.p99);
    // Per node: a = 1..5 ms, b = 6..10 ms and one pod without it.
    let a = r.stat("node", "a", "startup_e2e").unwrap();
    assert_eq!((a.count, a.p50, a.p90), (5, Some(3e6), Some(4.6e6)));
    let b = r.stat("node", "b", "startup_e2e").unwrap();
    assert_eq!((b.pods, b.count, b.p50), (6, 5, Some(8e6)));
    assert_eq!(b.coverage, 5.0 / 6.0);
    // A metric nobody has: count 0, no values.
    let none = r.stat("all", "all", "programming").unwrap();
    assert_eq!((none.count, none.p50), (0, None));
    // Slowest by startup_e2e, slowest first.
    let names: Vec<&str> = r.slowest.iter().map(|&i| r.rows[i].name.as_str()).collect();
    assert_eq!(names, vec!["p10", "p9", "p8"]);
}

#[test]
fn gates_pass_fail_and_coverage() {
    let r = report::build(&known(), 3).unwrap();
    let gates = vec![
        slo::parse_gate("startup_e2e:p99<=9910us").unwrap(), // equal: passes
        slo::parse_gate("startup_e2e:p99<9910us").unwrap(),  // strict: fails
        slo::parse_gate("startup_e2e:max<=1s").unwrap(),
        slo::parse_gate("programming:p50<=1s").unwrap(), // no data: fails
    ];
    let v = slo::check(&r, &gates, 0.0);
    let pass: Vec<bool> = v.iter().map(|v| v.pass).collect();
    assert_eq!(pass, vec![true, false, true, false]);
    assert!(v[3].message.contains("missing"), "{}", v[3].message);
    // p99 = 9.91 ms (float rounding of 9.91e6 ns aside) is 0 over the strict gate.
    assert!(
        v[1].message.starts_with("p99 of startup_e2e is 9.910 ms"),
        "{}",
        v[1].message
    );
    // 10 of 11 pods have startup_e2e: a 95 % coverage floor fails it.
    let v = slo::check(&r, &gates[2..3], 0.95);
    assert!(!v[0].pass);
    assert!(v[0].message.contains("90.9 %"), "{}", v[0].message);
    let v = slo::check(&r, &gates[2..3], 0.9);
    assert!(v[0].pass);
}

fn podtrace(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_podtrace"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn demo() -> String {
    repo().join("samples/seed-demo").display().to_string()
}

#[test]
fn exit_codes_and_messages() {
    // The demo pod: startup_e2e 5.831904 s (created → running_observed).
    let (code, out, _) = podtrace(&["report", "-q", &demo(), "--slo", "startup_e2e:p99<=10s"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("PASS  p99 of startup_e2e is 5.812 s"), "{out}");
    let (code, _, err) = podtrace(&["report", "-q", &demo(), "--slo", "startup_e2e:p99<=5s"]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("SLO gate failed: p99 of startup_e2e is 5.812 s, 812.104 ms over <= 5.000 s"),
        "{err}"
    );
    let (code, _, err) = podtrace(&["report", "-q", &demo(), "--slo", "startup_e2e:p99>=5s"]);
    assert_eq!(code, Some(2), "a malformed gate is an error: {err}");
    let (code, _, _) = podtrace(&["report", "-q", &demo(), "--slo", "upstream"]);
    assert_eq!(code, Some(0));
    let (code, _, err) = podtrace(&["report", "-q", "/nonexistent/bundle"]);
    assert_eq!(code, Some(2), "{err}");
}

#[test]
fn threshold_files_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let kb = dir.path().join("kube-burner.yml");
    std::fs::write(
        &kb,
        "- conditionType: Ready\n  metric: P99\n  threshold: 3s\n- conditionType: PodScheduled\n  metric: Max\n  threshold: 1s\n",
    )
    .unwrap();
    let cl2 = dir.path().join("cl2.yaml");
    std::fs::write(&cl2, "perc50Threshold: 10s\nperc99Threshold: 10s\n").unwrap();
    let (code, out, err) = podtrace(&[
        "report",
        "-q",
        &demo(),
        "--slo-file",
        kb.to_str().unwrap(),
        "--slo-file",
        cl2.to_str().unwrap(),
    ]);
    // time_to_ready of the demo is 4.909706009 s: over 3 s. Scheduling (12 ms) and the
    // startup SLI pass.
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(
        err.contains("p99 of time_to_ready is 4.910 s, 1.910 s over <= 3.000 s"),
        "{err}"
    );
    assert_eq!(out.matches("PASS").count(), 3, "{out}");
    assert_eq!(out.matches("FAIL").count(), 1, "{out}");
}

fn sim(dir: &std::path::Path, pods: usize) -> PathBuf {
    let o = podtrace::simulate::SimOptions {
        pods,
        nodes: 3,
        seed: 21,
        ..Default::default()
    };
    podtrace::simulate::generate(dir, &o).unwrap();
    dir.to_path_buf()
}

#[test]
fn csv_parquet_json_and_markdown() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = sim(&dir.path().join("b"), 40);
    let b = bundle.to_str().unwrap();
    let csv = dir.path().join("stats.csv");
    let pq = dir.path().join("pods.parquet");
    let pcsv = dir.path().join("pods.csv");
    let (code, _, err) = podtrace(&[
        "report",
        "-q",
        b,
        "--format",
        "csv",
        "-o",
        csv.to_str().unwrap(),
        "--pods-parquet",
        pq.to_str().unwrap(),
        "--pods-csv",
        pcsv.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{err}");
    let (_, json_out, _) = podtrace(&["report", "-q", b, "--format", "json"]);
    let j: serde_json::Value = serde_json::from_str(&json_out).unwrap();
    assert_eq!(j["pods"], 40);
    let p50 = j["stats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["dimension"] == "all" && s["metric"] == "startup_e2e")
        .unwrap()["p50"]
        .as_f64()
        .unwrap();
    // The same figure in the CSV (ms) and recomputed from the per-pod CSV (ns).
    let text = std::fs::read_to_string(&csv).unwrap();
    let head: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let col = |n: &str| head.iter().position(|h| *h == n).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("all,all,startup_e2e,"))
        .unwrap();
    let cells: Vec<&str> = line.split(',').collect();
    let csv_p50: f64 = cells[col("p50_ms")].parse().unwrap();
    assert!((csv_p50 - p50 / 1e6).abs() < 1e-9, "{csv_p50} vs {p50}");
    let pods = std::fs::read_to_string(&pcsv).unwrap();
    let phead: Vec<&str> = pods.lines().next().unwrap().split(',').collect();
    let pc = phead.iter().position(|h| *h == "startup_e2e").unwrap();
    assert!(phead.contains(&"at_requested") && phead.contains(&"kubelet_prep"));
    let mut v: Vec<f64> = pods
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(pc).unwrap().parse::<f64>().unwrap())
        .collect();
    assert_eq!(v.len(), 40);
    v.sort_by(f64::total_cmp);
    // Type 7 by hand: h = 39 × 0.5 = 19.5.
    let by_hand = v[19] + 0.5 * (v[20] - v[19]);
    assert!((by_hand - p50).abs() < 1e-6, "{by_hand} vs {p50}");
    // Parquet: a real Parquet file (magic at both ends) with the 40 rows.
    let bytes = std::fs::read(&pq).unwrap();
    assert_eq!(&bytes[..4], b"PAR1");
    assert_eq!(&bytes[bytes.len() - 4..], b"PAR1");
    use polars_io::SerReader;
    let df = polars_io::parquet::read::ParquetReader::new(std::fs::File::open(&pq).unwrap())
        .finish()
        .unwrap();
    assert_eq!(df.height(), 40);
    let col = df.column("startup_e2e").unwrap().i64().unwrap().clone();
    let mut from_pq: Vec<f64> = col.iter().map(|x| x.unwrap() as f64).collect();
    from_pq.sort_by(f64::total_cmp);
    assert_eq!(from_pq, v);

    let (code, md, _) = podtrace(&["report", "-q", b, "--format", "markdown"]);
    assert_eq!(code, Some(0));
    assert!(md.starts_with("# podtrace report: 40 pods"), "{md}");
    let header = md.lines().find(|l| l.starts_with("| metric ")).unwrap();
    let cells: Vec<&str> = header
        .split('|')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    // `excl` (issue 12 C): how many values of the metric the statistics left out.
    assert_eq!(
        cells,
        [
            "metric", "count", "excl", "cover", "min", "p50", "p90", "p95", "p99", "max", "mean"
        ]
    );
    assert!(md.contains("\n## By node\n"), "{md}");
}

#[test]
fn charts_and_html_for_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let charts = dir.path().join("charts");
    let html = dir.path().join("r.html");
    let (code, _, err) = podtrace(&[
        "report",
        "-q",
        &demo(),
        "--charts",
        charts.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{err}");
    for name in [
        "waterfall",
        "phases-by-node",
        "cdf",
        "histogram-startup_e2e",
        "boxes-by-node",
        "starts-over-time",
        "endpoint-fanout",
    ] {
        let png = std::fs::read(charts.join(format!("{name}.png"))).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{name}");
        let svg = std::fs::read_to_string(charts.join(format!("{name}.svg"))).unwrap();
        assert!(svg.contains("<svg") && svg.contains("</svg>"), "{name}");
    }
    // The demo's one pod is the waterfall's one row; the fan-out names both nodes.
    let w = std::fs::read_to_string(charts.join("waterfall.svg")).unwrap();
    assert!(w.contains("default/pod-demo") && w.contains("The slowest pod by time_to_serving"));
    let f = std::fs::read_to_string(charts.join("endpoint-fanout.svg")).unwrap();
    assert!(
        f.contains("kind-worker")
            && f.contains("kind-control-plane")
            && f.contains("2 nodes programmed")
    );
    let h = std::fs::read_to_string(&html).unwrap();
    assert!(h.starts_with("<!DOCTYPE html>"));
    // Self-contained: nothing fetched from anywhere.
    for needle in ["src=\"http", "href=\"http", "@import", "url(http"] {
        assert!(!h.contains(needle), "{needle}");
    }
    assert_eq!(h.matches("<figure").count(), 8);
    assert!(h.contains("\"name\":\"pod-demo\""));
}

fn diff_json(before: &str, after: &str) -> serde_json::Value {
    let (code, out, err) = podtrace(&["diff", "-q", before, after, "--format", "json"]);
    assert_eq!(code, Some(0), "{err}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn diff_of_a_run_with_itself_and_with_a_slower_one() {
    let dir = tempfile::tempdir().unwrap();
    let a = sim(&dir.path().join("a"), 150);
    let slow = dir.path().join("b");
    podtrace::simulate::generate(
        &slow,
        &podtrace::simulate::SimOptions {
            pods: 150,
            nodes: 3,
            seed: 22,
            failures: true,
            ..Default::default()
        },
    )
    .unwrap();
    let same = diff_json(a.to_str().unwrap(), a.to_str().unwrap());
    let rows = same.as_array().unwrap();
    assert!(!rows.is_empty());
    for r in rows {
        assert_eq!(r["significant"], false, "{r}");
        for d in r["deltas"].as_array().unwrap() {
            assert_eq!(d["delta"].as_f64().unwrap(), 0.0);
        }
    }
    // One pod in ten unschedulable for a while: scheduling's p99 rises, significantly; its
    // median does not move, and neither does the distribution as a whole (Mann–Whitney).
    let c = diff_json(a.to_str().unwrap(), slow.to_str().unwrap());
    let sched = c
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["dimension"] == "all" && r["metric"] == "scheduling")
        .unwrap();
    let p99 = sched["deltas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["stat"] == "p99")
        .unwrap();
    assert!(p99["delta"].as_f64().unwrap() > 1e9, "{p99}");
    let ci = p99["ci"].as_array().unwrap();
    assert!(ci[0].as_f64().unwrap() > 0.0, "{p99}");
    assert_eq!(p99["significant"], true);
    assert_eq!(sched["significant"], true);
    let p50 = sched["deltas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["stat"] == "p50")
        .unwrap();
    assert_eq!(p50["significant"], false, "{p50}");
    assert!(sched["p_value"].as_f64().unwrap() > 0.05, "{sched}");
}

/// Every real sample: statistics, every chart and the HTML report, without a panic or a hang
/// (an empty CDF once made an infinite log axis).
#[test]
fn every_real_sample_reports_and_charts() {
    let dir = tempfile::tempdir().unwrap();
    let mut with_pods = 0;
    for e in std::fs::read_dir(repo().join("samples/real")).unwrap() {
        let p = e.unwrap().path();
        if !p.is_dir() {
            continue;
        }
        let a = crate::util::analyze(std::slice::from_ref(&p));
        let r = report::build(&a.pods, 10).unwrap();
        assert_eq!(r.rows.len(), a.pods.len());
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let written = report::charts::write_all(&r, &a, &dir.path().join(&name)).unwrap();
        let mut html = Vec::new();
        report::html::write(&r, &a, &[], &mut html).unwrap();
        if !a.pods.is_empty() {
            with_pods += 1;
            assert!(written.len() >= 14, "{name}: {} charts", written.len());
            let h = String::from_utf8(html).unwrap();
            assert!(
                h.contains(&format!("\"name\":\"{}\"", a.pods[0].name)),
                "{name}"
            );
        }
    }
    assert!(with_pods >= 9, "{with_pods} samples with pods");
}

/// Issue 12 C: a value left out of statistics (here a 40-day startup_e2e) is counted per
/// statistic, listed with its reason in every format, and never enters a percentile or the
/// slowest pods; static pods form their own `kind` group.
#[test]
fn excluded_values_are_counted_and_listed() {
    let day = 24 * 3600 * 1_000_000_000_i64;
    let mut pods: Vec<PodTimeline> = (1..=5)
        .map(|i| {
            let mut p = PodTimeline {
                namespace: "ns".into(),
                name: format!("p{i}"),
                node: Some(if i <= 4 { "a" } else { "b" }.into()),
                ..Default::default()
            };
            p.phases.insert(Phase::StartupE2e, i * 1_000_000);
            p
        })
        .collect();
    pods[3].phases.insert(Phase::StartupE2e, 40 * day);
    pods[3].excluded.insert(
        Phase::StartupE2e,
        "created comes from a stored Pod object (pods.json:1) 960.0 h before the logs of the run: a restarted or re-created pod's object time, not this startup".into(),
    );
    pods[4].static_pod = Some(podtrace::timeline::StaticPod {
        basis: "test".into(),
        heuristic: false,
    });
    let r = report::build(&pods, 10).unwrap();
    let all = r.stat("all", "all", "startup_e2e").unwrap();
    assert_eq!((all.pods, all.count, all.excluded), (5, 4, 1));
    assert_eq!((all.max, all.mean), (Some(5e6), Some(2.75e6)));
    let a = r.stat("node", "a", "startup_e2e").unwrap();
    assert_eq!((a.count, a.excluded, a.max), (3, 1, Some(3e6)));
    let b = r.stat("node", "b", "startup_e2e").unwrap();
    assert_eq!((b.count, b.excluded), (1, 0));
    let st = r.stat("kind", "static", "startup_e2e").unwrap();
    assert_eq!((st.pods, st.count, st.max), (1, 1, Some(5e6)));
    let api = r.stat("kind", "api", "startup_e2e").unwrap();
    assert_eq!((api.pods, api.count, api.excluded), (4, 3, 1));
    assert_eq!(r.excluded.len(), 1);
    assert_eq!(
        (
            r.excluded[0].pod.as_str(),
            r.excluded[0].metric,
            r.excluded[0].nanos
        ),
        ("ns/p4", Phase::StartupE2e, 40 * day)
    );
    let names: Vec<&str> = r.slowest.iter().map(|&i| r.rows[i].name.as_str()).collect();
    assert_eq!(names, ["p5", "p3", "p2", "p1"]);

    let mut text = Vec::new();
    report::render::text(&r, &[], Default::default(), &mut text).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains("\nExcluded from statistics: 1 value(s) (negative beyond their precision, restart-spanning, or over 24 h)\n"),
        "{text}"
    );
    assert!(
        text.contains("  ns/p4  startup_e2e  3456000000.000  created comes from a stored Pod object (pods.json:1) 960.0 h before"),
        "{text}"
    );
    assert!(text.contains("\nBy kind\n"), "{text}");
    let mut js = Vec::new();
    report::render::json(&r, &[], &mut js).unwrap();
    let js: serde_json::Value = serde_json::from_slice(&js).unwrap();
    assert_eq!(js["excluded"][0]["pod"], "ns/p4");
    assert_eq!(js["excluded"][0]["nanos"], 40 * day);
    let s = js["stats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["dimension"] == "all" && s["metric"] == "startup_e2e")
        .unwrap();
    assert_eq!(
        (s["count"].as_u64(), s["excluded"].as_u64()),
        (Some(4), Some(1))
    );
    let mut csv = Vec::new();
    report::render::csv(&report::render::stats_frame(&r).unwrap(), &mut csv).unwrap();
    let csv = String::from_utf8(csv).unwrap();
    assert!(
        csv.starts_with("dimension,group,metric,pods,count,excluded,coverage,"),
        "{csv}"
    );
    assert!(csv.contains("\nall,all,startup_e2e,5,4,1,0.8,"), "{csv}");
    let mut md = Vec::new();
    report::render::markdown(&r, &[], Default::default(), &mut md).unwrap();
    let md = String::from_utf8(md).unwrap();
    assert!(
        md.contains("\n## Excluded from statistics: 1 value(s)"),
        "{md}"
    );
    assert!(md.contains("| ns/p4 | startup_e2e |"), "{md}");
}
