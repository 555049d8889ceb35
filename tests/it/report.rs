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
        "-o",
        "csv",
        "--output-file",
        csv.to_str().unwrap(),
        "--pods-parquet",
        pq.to_str().unwrap(),
        "--pods-csv",
        pcsv.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{err}");
    // One unit story (issue 13): JSON in seconds, CSV in seconds with nine decimals, Parquet in
    // integer nanoseconds; each checked against the analysis itself.
    let a = crate::util::analyze(std::slice::from_ref(&bundle));
    let mut e2e: Vec<i64> = a
        .pods
        .iter()
        .map(|p| p.phases[&Phase::StartupE2e])
        .collect();
    e2e.sort_unstable();
    assert_eq!(e2e.len(), 40);
    // Type 7 by hand: h = 39 × 0.5 = 19.5, in nanoseconds.
    let p50_ns = (e2e[19] + e2e[20]) as f64 / 2.0;
    let (_, json_out, _) = podtrace(&["report", "-q", b, "--format", "json"]);
    let j: serde_json::Value = serde_json::from_str(&json_out).unwrap();
    assert_eq!(
        (j["pods"].as_u64(), j["unit"].as_str()),
        (Some(40), Some("s"))
    );
    let stat = |j: &serde_json::Value| {
        j["stats"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["dimension"] == "all" && s["metric"] == "startup_e2e")
            .unwrap()
            .clone()
    };
    let p50 = stat(&j)["p50"].as_f64().unwrap();
    assert!(
        (p50 - p50_ns / 1e9).abs() < 1e-6 / 2.0,
        "{p50} s vs {p50_ns} ns"
    );
    assert_eq!(stat(&j)["max"].as_f64(), Some(e2e[39] as f64 / 1e9));
    // The slowest pod's values in seconds and its milestones as RFC 3339, as `analyze` has them.
    let slow = &j["slowest"][0];
    let p = a.pods.iter().find(|p| p.name == slow["name"]).unwrap();
    assert_eq!(p.phases[&Phase::StartupE2e], e2e[39]);
    assert_eq!(
        slow["values"]["startup_e2e"].as_f64(),
        Some(e2e[39] as f64 / 1e9)
    );
    let ready = p.milestones[&podtrace::timeline::Ms::Ready].t;
    assert_eq!(
        slow["milestones"]["ready"].as_str().unwrap(),
        podtrace_parsers::time::format_rfc3339_nanos(ready)
    );
    // The statistics CSV: seconds with exactly nine decimals, no float noise.
    let text = std::fs::read_to_string(&csv).unwrap();
    let head: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let col = |n: &str| head.iter().position(|h| *h == n).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("all,all,startup_e2e,"))
        .unwrap();
    let cells: Vec<&str> = line.split(',').collect();
    for name in [
        "min_s", "p50_s", "p90_s", "p95_s", "p99_s", "max_s", "mean_s",
    ] {
        let c = cells[col(name)];
        assert_eq!(
            c.split_once('.').map(|(_, f)| f.len()),
            Some(9),
            "{name}: {c}"
        );
    }
    assert_eq!(
        cells[col("max_s")],
        format!("{}.{:09}", e2e[39] / 1_000_000_000, e2e[39] % 1_000_000_000)
    );
    let csv_p50: f64 = cells[col("p50_s")].parse().unwrap();
    assert!(
        (csv_p50 - p50_ns / 1e9).abs() <= 0.5e-9,
        "{csv_p50} vs {p50_ns}"
    );
    // The per-pod CSV: `startup_e2e_s` (nine decimals) and `at_ready` (RFC 3339).
    let pods = std::fs::read_to_string(&pcsv).unwrap();
    let phead: Vec<&str> = pods.lines().next().unwrap().split(',').collect();
    let pc = |n: &str| phead.iter().position(|h| *h == n).unwrap();
    assert!(phead.contains(&"at_requested") && phead.contains(&"kubelet_prep_s"));
    let mut v: Vec<i64> = Vec::new();
    for l in pods.lines().skip(1) {
        let cells: Vec<&str> = l.split(',').collect();
        let (secs, frac) = cells[pc("startup_e2e_s")].split_once('.').unwrap();
        assert_eq!(frac.len(), 9);
        v.push(secs.parse::<i64>().unwrap() * 1_000_000_000 + frac.parse::<i64>().unwrap());
        let q = a.pods.iter().find(|p| p.name == cells[pc("name")]).unwrap();
        assert_eq!(
            cells[pc("at_ready")],
            podtrace_parsers::time::format_rfc3339_nanos(
                q.milestones[&podtrace::timeline::Ms::Ready].t
            )
        );
    }
    v.sort_unstable();
    assert_eq!(v, e2e);
    // Parquet: a real Parquet file (magic at both ends) with the 40 rows, in nanoseconds.
    let bytes = std::fs::read(&pq).unwrap();
    assert_eq!(&bytes[..4], b"PAR1");
    assert_eq!(&bytes[bytes.len() - 4..], b"PAR1");
    use polars_io::SerReader;
    let df = polars_io::parquet::read::ParquetReader::new(std::fs::File::open(&pq).unwrap())
        .finish()
        .unwrap();
    assert_eq!(df.height(), 40);
    let col = df.column("startup_e2e_ns").unwrap().i64().unwrap().clone();
    let mut from_pq: Vec<i64> = col.iter().map(|x| x.unwrap()).collect();
    from_pq.sort_unstable();
    assert_eq!(from_pq, e2e);
    assert!(df.column("at_ready_ns").is_ok() && df.column("start_ns").is_ok());

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
    assert_eq!(same["unit"], "s");
    // Seconds, checked against the analysis: the whole run's scheduling p50 (type 7).
    let run = crate::util::analyze(std::slice::from_ref(&a));
    let mut sched: Vec<i64> = run
        .pods
        .iter()
        .filter_map(|p| podtrace::timeline::diagnose::counted(p, Phase::Scheduling))
        .collect();
    sched.sort_unstable();
    let h = (sched.len() - 1) as f64 * 0.5;
    let (lo, w) = (h.floor() as usize, h - h.floor());
    let p50_ns = sched[lo] as f64 + w * (sched[(lo + 1).min(sched.len() - 1)] - sched[lo]) as f64;
    let row = same["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["dimension"] == "all" && r["metric"] == "scheduling")
        .unwrap();
    assert_eq!(row["n_before"].as_u64(), Some(sched.len() as u64));
    assert_eq!(row["deltas"][0]["stat"], "p50");
    let got = row["deltas"][0]["before"].as_f64().unwrap();
    assert!(
        (got - p50_ns / 1e9).abs() < 0.5e-6,
        "{got} s vs {p50_ns} ns"
    );
    let rows = same["comparisons"].as_array().unwrap();
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
    let sched = c["comparisons"]
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
    assert!(p99["delta"].as_f64().unwrap() > 1.0, "{p99}");
    let ci = p99["ci"].as_array().unwrap();
    assert!(ci[0].as_f64().unwrap() > 0.0, "{p99}");
    assert_eq!(p99["significant"], true);
    assert_eq!(sched["significant"], true);
    // The verdict (issue 13): the figures are those of the comparison itself.
    let tts = c["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["dimension"] == "all" && r["metric"] == "time_to_serving")
        .unwrap();
    let d99 = &tts["deltas"][2];
    assert_eq!(d99["stat"], "p99");
    assert_eq!(
        [
            d99["before"].as_f64().unwrap(),
            d99["after"].as_f64().unwrap(),
            d99["delta"].as_f64().unwrap()
        ]
        .map(|x| format!("{x:.3}")),
        ["8.311", "12.870", "4.560"]
    );
    assert_eq!(
        d99["ci"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| format!("{:.3}", x.as_f64().unwrap()))
            .collect::<Vec<_>>(),
        ["2.632", "7.020"]
    );
    assert_eq!(
        c["verdict"],
        serde_json::json!([
            "p99 time_to_serving 8.311 s → 12.870 s, +4.560 s (significant: 95 % interval +2.632 s to +7.020 s), driven by containers p99 +4.739 s and scheduling p99 +3.681 s; p50 +569.990 ms (significant); Mann–Whitney p = 0.0011.",
            "Failures, pods before → after: image pull failed 0 → 15, pull back-off 0 → 15, unschedulable 0 → 15."
        ])
    );
    assert_eq!(c["failures"]["after"][2]["kind"], "unschedulable");
    assert_eq!(c["failures"]["after"][2]["pods"], 15);
    // A run against itself: no change, and the verdict does not call one.
    assert_eq!(
        same["verdict"],
        serde_json::json!([
            "p99 time_to_serving 8.311 s → 8.311 s, +0 µs (not significant: 95 % interval −2.484 s to +2.395 s includes 0); p50 +0 µs (not significant); Mann–Whitney p = 1.0000.",
            "No failure in the logs of either run."
        ])
    );
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
    report::render::text(
        &r,
        &[],
        Default::default(),
        podtrace::export::style::Style::PLAIN,
        &mut text,
    )
    .unwrap();
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
    assert_eq!(js["excluded"][0]["seconds"], 40.0 * 86_400.0);
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
    assert!(
        csv.contains("\nall,all,startup_e2e,5,4,1,0.800000000,0.001000000,"),
        "{csv}"
    );
    let mut md = Vec::new();
    report::render::markdown(&r, &[], Default::default(), &mut md).unwrap();
    let md = String::from_utf8(md).unwrap();
    assert!(
        md.contains("\n## Excluded from statistics: 1 value(s)"),
        "{md}"
    );
    assert!(md.contains("| ns/p4 | startup_e2e |"), "{md}");
}

fn failure(
    cause: &str,
    message: &str,
    count: usize,
    resolved: bool,
) -> podtrace::timeline::Failure {
    podtrace::timeline::Failure {
        cause: cause.into(),
        message: message.into(),
        evidence: "kubelet.log:1".into(),
        first: 0,
        last: 0,
        count,
        resolved_by: resolved.then_some(podtrace::timeline::Ms::Running),
        held_nanos: resolved.then_some(1),
    }
}

/// Issue 13: the failures section counts pods per kind (Event reasons that mean the same told
/// apart by their message), and the verdict says the p99, where the slowest pods' time went,
/// the gates and the failures — the same in text, Markdown and JSON, log text escaped.
#[test]
fn failures_by_kind_and_the_verdict() {
    use podtrace::timeline::{ContainerTimeline, Milestone, Ms, Place};
    const S: i64 = 1_000_000_000;
    let mut pods: Vec<PodTimeline> = (1..=5)
        .map(|i| {
            let mut p = PodTimeline {
                namespace: "ns".into(),
                name: format!("p{i}"),
                node: Some("a".into()),
                ..Default::default()
            };
            p.phases.insert(Phase::StartupE2e, i * S);
            p
        })
        .collect();
    for p in &mut pods[..4] {
        p.milestones.insert(
            Ms::Ready,
            Milestone {
                t: 10 * S,
                source: podtrace::event::Component::Kubelet,
                evidence: Place {
                    file: "kubelet.log".into(),
                    line: 1,
                },
                precision: podtrace::timeline::Precision::Us,
                host: None,
                derived: None,
                clock_offset: None,
            },
        );
    }
    pods[0].failures = vec![failure("unschedulable", "0/3 nodes are available", 2, true)];
    pods[1].failures = vec![
        failure("Failed", "Failed to pull image \"x\": 503", 1, true),
        failure("BackOff", "Back-off pulling image \"x\"", 3, false),
    ];
    pods[2].failures = vec![failure(
        "BackOff",
        "Back-off restarting failed container app in pod p3",
        1,
        true,
    )];
    pods[2].containers = vec![ContainerTimeline {
        name: "app".into(),
        restarts: 2,
        ..Default::default()
    }];
    pods[3].failures = vec![failure("create app failed", "no space", 1, false)];
    pods[4].failures = vec![failure("Odd\u{1b}[31m", "from a log", 1, false)];
    pods[4].phases.insert(Phase::Scheduling, S);
    pods[4].phases.insert(Phase::Containers, 3 * S);
    let r = report::build(&pods, 10).unwrap();
    /// Kind, pods, reports, resolved, examples.
    type Row<'a> = (&'a str, usize, usize, Option<usize>, Vec<&'a str>);
    let got: Vec<Row> = r
        .failures
        .iter()
        .map(|f| {
            (
                f.kind.as_str(),
                f.pods,
                f.reports,
                f.resolved,
                f.examples.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("Odd\u{1b}[31m", 1, 1, Some(0), vec!["ns/p5"]),
            ("container create failed", 1, 1, Some(0), vec!["ns/p4"]),
            ("crash back-off", 1, 1, Some(1), vec!["ns/p3"]),
            ("image pull failed", 1, 1, Some(1), vec!["ns/p2"]),
            ("no ready milestone", 1, 0, None, vec!["ns/p5"]),
            ("pull back-off", 1, 3, Some(0), vec!["ns/p2"]),
            ("restarted", 1, 2, None, vec!["ns/p3"]),
            ("unschedulable", 1, 2, Some(1), vec!["ns/p1"]),
        ]
    );
    // p99 of 1…5 s by type 7: 4 + 0.96 = 4.960 s; at or beyond p99 (nearest rank) is p5 alone,
    // 3 s of its 5 s in containers, 1 s in scheduling.
    assert_eq!(
        r.p99_shares,
        [(Phase::Containers, 0.6), (Phase::Scheduling, 0.2)]
    );
    let gates = slo::check(
        &r,
        &[
            slo::parse_gate("startup_e2e:p99<=3s").unwrap(),
            slo::parse_gate("startup_e2e:p50<=3s").unwrap(),
        ],
        0.0,
    );
    let v = report::render::verdict(&r, &gates);
    assert_eq!(
        v,
        [
            "p99 startup_e2e 4.960 s over 5 pods; the pods at or beyond p99 spent 60 % of it in containers and 20 % in scheduling.",
            "1 of 2 SLO gates failed; 1 Odd\u{1b}[31m, 1 container create failed, 1 crash back-off, 1 image pull failed, 1 no ready milestone, 1 pull back-off, 1 restarted, 1 unschedulable."
        ]
    );
    let mut text = Vec::new();
    report::render::text(
        &r,
        &gates,
        Default::default(),
        podtrace::export::style::Style::PLAIN,
        &mut text,
    )
    .unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.ends_with(&format!(
            "\nVerdict\n  {}\n  {}\n",
            v[0],
            v[1].replace('\u{1b}', "\\x1b")
        )),
        "{text}"
    );
    assert!(
        text.contains("\nFailures: pods per kind (resolved: pods where a later milestone ended every report)\n  kind                     examples  pods  reports  resolved\n  Odd\\x1b[31m              ns/p5        1        1         0\n"),
        "{text}"
    );
    let mut md = Vec::new();
    report::render::markdown(&r, &gates, Default::default(), &mut md).unwrap();
    let md = String::from_utf8(md).unwrap();
    assert!(
        md.ends_with("\n## Verdict\n\np99 startup_e2e 4.960 s over 5 pods; the pods at or beyond p99 spent 60 % of it in containers and 20 % in scheduling.  \n1 of 2 SLO gates failed; 1 Odd\\x1b\\[31m, 1 container create failed, 1 crash back-off, 1 image pull failed, 1 no ready milestone, 1 pull back-off, 1 restarted, 1 unschedulable.\n"),
        "{md}"
    );
    assert!(
        md.contains("\n| unschedulable           | ns/p1    |    1 |       2 |        1 |\n"),
        "{md}"
    );
    let mut js = Vec::new();
    report::render::json(&r, &gates, &mut js).unwrap();
    let js: serde_json::Value = serde_json::from_slice(&js).unwrap();
    assert_eq!(js["verdict"], serde_json::json!(v));
    assert_eq!(js["failures"][7]["kind"], "unschedulable");
    assert_eq!(js["failures"][7]["reports"], 2);
    assert_eq!(js["gates"][0]["threshold"], 3.0);
    assert_eq!(js["gates"][0]["value"].as_f64(), Some(4.96));
}

/// `-o FORMAT`, `--output FORMAT` and `--format FORMAT` are one flag on report and diff; the
/// report's file is `--output-file`.
#[test]
fn output_flag_and_its_alias() {
    let dir = tempfile::tempdir().unwrap();
    let d = demo();
    let (_, a, _) = podtrace(&["report", "-q", &d, "-o", "json"]);
    let (_, b, _) = podtrace(&["report", "-q", &d, "--format", "json"]);
    let (_, c, _) = podtrace(&["report", "-q", &d, "--output", "json"]);
    assert!(a.starts_with("{\n  \"pods\": 1,\n  \"unit\": \"s\""), "{a}");
    assert_eq!((&a, &a), (&b, &c));
    let f = dir.path().join("r.md");
    let (code, out, err) = podtrace(&[
        "report",
        "-q",
        &d,
        "-o",
        "markdown",
        "--output-file",
        f.to_str().unwrap(),
    ]);
    assert_eq!((code, out.as_str()), (Some(0), ""), "{err}");
    assert!(
        std::fs::read_to_string(&f)
            .unwrap()
            .starts_with("# podtrace report: 1 pod;")
    );
    let (code, _, err) = podtrace(&["report", "-q", &d, "-o", "parquet"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("-o parquet needs --output-file FILE"), "{err}");
    let (_, x, _) = podtrace(&["diff", "-q", &d, &d, "-o", "json"]);
    let (_, y, _) = podtrace(&["diff", "-q", &d, &d, "--format", "json"]);
    assert!(x.starts_with("{\n  \"unit\": \"s\""), "{x}");
    assert_eq!(x, y);
}
