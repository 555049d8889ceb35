//! clusterloader2's latency summaries, as its report directory holds them, for perfdash.
//!
//! From kubernetes/perf-tests:
//!
//! - `clusterloader2/pkg/measurement/common/slos/pod_startup_latency.go`: the transitions
//!   `create_to_schedule`, `schedule_to_run`, `run_to_watch`, `schedule_to_watch`, `pod_startup`
//!   (create → watch) and `create_to_run`, each a latency per pod, a negative one set to 0; one
//!   summary per check, named `<prefix>PodStartupLatency_<identifier>` with the prefixes ``
//!   (every pod), `Stateless` and `Stateful` (`isPodStateless`: only emptyDir, downwardAPI,
//!   configMap, secret and projected volumes).
//! - `clusterloader2/pkg/measurement/util/latency_metric.go` (with `phase_latency.go`'s
//!   `LatencyMapToPerfData`): `{"version": "1.0", "dataItems": [{"data": {"Perc50", "Perc90",
//!   "Perc99"}, "unit": "ms", "labels": {"Metric": <transition>}}]}`, each value a Go `float64` of
//!   milliseconds (`Duration / time.Millisecond`, fractions kept). `NewLatencyMetric` takes the
//!   **nearest rank**: on the ascending latencies, the ⌈n·p/100⌉-th.
//! - `clusterloader2/pkg/util` `PrettyPrintJSON`: `json.Encoder` then `json.Indent` with two
//!   spaces (Go writes map keys sorted, struct fields in order), a trailing newline.
//! - `clusterloader2/pkg/test/simple_test_executor.go`: a summary's file is
//!   `<summary name>_<test name>_<time RFC 3339>.json`, e.g.
//!   `PodStartupLatency_PodStartupLatency_load_2024-11-29T10:15:05Z.json`.
//! - `clusterloader2/pkg/measurement/common/slos/network_programming.go`: summary
//!   `NetworkProgrammingLatency`, `{"version": "v1", "dataItems": [{"data": {Perc50, Perc90,
//!   Perc99}, "unit": "ms"}]}` (no labels).
//! - perfdash (`perfdash/metrics-downloader.go`, `config.go`): reads the files whose names start
//!   with `<OutputFilePrefix>_<Name>`, e.g. `PodStartupLatency_PodStartupLatency` + `load` or
//!   `NetworkProgrammingLatency` + `load`; its local mode (`local_metrics_dir.go`) walks
//!   `<dir>/<job>/<build number>/`.
//!
//! podtrace's phases for CL2's: `create` = `created`, `schedule` = `scheduled`, `run` = `running`
//! (the last container started: CL2's older definition, the containers' `startedAt`), `watch` =
//! `running_observed` (the kubelet's `watchObservedRunningTime`, its watch seeing the pod
//! running, as CL2's watch does). The identifier is `PodStartupLatency` (CL2's default test
//! configs use that), the test name `--job`, the time the run's last milestone.
//!
//! Network programming: CL2 takes the 99th percentile over time of kube-proxy's own
//! `network_programming_duration_seconds` quantiles (Prometheus). podtrace has each node's
//! programming time for each pod: a sample per (pod, node) from `ready` (the EndpointSlice
//! controller's trigger time is the pod's Ready transition) to that node's `programmed` time,
//! summarised with the same nearest rank. The definition is the SLO's; the aggregation differs.
//!
//! Where CL2 writes 0 for a transition no pod has, podtrace leaves the item out (and a summary
//! of no pod is not written): a 0 there would read as a measurement. Static pods are left out,
//! as CL2 measures the pods its test creates.

use std::fmt::Write as _;
use std::path::Path;

use super::{Run, Written, between, go_float, go_time_secs, pods};
use crate::timeline::{Ms, PodTimeline};

/// CL2's transitions (its phase names → podtrace milestones), in the order written.
pub const TRANSITIONS: [(&str, Ms, Ms); 6] = [
    ("create_to_schedule", Ms::Created, Ms::Scheduled),
    ("schedule_to_run", Ms::Scheduled, Ms::Running),
    ("run_to_watch", Ms::Running, Ms::RunningObserved),
    ("schedule_to_watch", Ms::Scheduled, Ms::RunningObserved),
    ("pod_startup", Ms::Created, Ms::RunningObserved),
    ("create_to_run", Ms::Created, Ms::Running),
];

/// CL2's `LatencyMetric`, nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Percentiles {
    pub perc50: i64,
    pub perc90: i64,
    pub perc99: i64,
}

/// `NewLatencyMetric`: nearest rank, the ⌈n·p/100⌉-th of the sorted values (integer arithmetic,
/// as `math.Ceil(float64(length*p)/100)` is exact for these sizes). `None` for no value.
pub fn nearest_rank(sorted: &[i64]) -> Option<Percentiles> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let at = |p: usize| sorted[(n * p).div_ceil(100) - 1];
    Some(Percentiles {
        perc50: at(50),
        perc90: at(90),
        perc99: at(99),
    })
}

/// A data item: `data` (keys sorted, as Go writes a map), `unit`, then `labels` when given.
fn data_item(out: &mut String, p: Percentiles, metric: Option<&str>) {
    let ms = |ns: i64| go_float(ns as f64 / 1e6);
    let _ = write!(
        out,
        "    {{\n      \"data\": {{\n        \"Perc50\": {},\n        \"Perc90\": {},\n        \"Perc99\": {}\n      }},\n      \"unit\": \"ms\"",
        ms(p.perc50),
        ms(p.perc90),
        ms(p.perc99)
    );
    if let Some(m) = metric {
        // The metric names are CL2's constants: nothing to escape.
        let _ = write!(
            out,
            ",\n      \"labels\": {{\n        \"Metric\": \"{m}\"\n      }}"
        );
    }
    out.push_str("\n    }");
}

/// `PerfData` as `PrettyPrintJSON` writes it.
pub fn perf_data(version: &str, items: &[(Percentiles, Option<&str>)]) -> String {
    let mut out = format!("{{\n  \"version\": \"{version}\",\n  \"dataItems\": [\n");
    for (i, (p, metric)) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(",\n");
        }
        data_item(&mut out, *p, *metric);
    }
    out.push_str("\n  ]\n}\n");
    out
}

/// Which pods a PodStartupLatency summary covers (podtrace's `state` of the report rows:
/// stateless, stateful, or unknown when no volume line was seen — in neither of the two).
fn state(p: &PodTimeline) -> &'static str {
    crate::report::row(p).state
}

/// The PodStartupLatency summaries of `pods_`: (file prefix, content), one per check that has a
/// pod with a transition.
pub fn pod_startup(pods_: &[PodTimeline]) -> Vec<(&'static str, String)> {
    let measured: Vec<(&PodTimeline, &'static str)> = pods_
        .iter()
        .filter(|p| p.static_pod.is_none())
        .map(|p| (p, state(p)))
        .collect();
    let mut out = Vec::new();
    for (prefix, keep) in [
        ("", None),
        ("Stateless", Some("stateless")),
        ("Stateful", Some("stateful")),
    ] {
        let chosen: Vec<&PodTimeline> = measured
            .iter()
            .filter(|(_, s)| keep.is_none_or(|k| k == *s))
            .map(|(p, _)| *p)
            .collect();
        let items: Vec<(Percentiles, Option<&str>)> = TRANSITIONS
            .iter()
            .filter_map(|(name, from, to)| {
                // CL2 sets a negative latency to 0 (its seconds-precision stamps).
                let mut v: Vec<i64> = chosen
                    .iter()
                    .filter_map(|p| between(p, *from, *to))
                    .map(|d| d.max(0))
                    .collect();
                v.sort_unstable();
                nearest_rank(&v).map(|q| (q, Some(*name)))
            })
            .collect();
        if !items.is_empty() {
            out.push((prefix, perf_data("1.0", &items)));
        }
    }
    out
}

/// Network programming samples: per pod, per node that programmed it, `programmed − ready`.
pub fn network_programming(pods_: &[PodTimeline]) -> Vec<i64> {
    let mut v: Vec<i64> = pods_
        .iter()
        .filter(|p| p.static_pod.is_none())
        .filter_map(|p| Some((p, p.milestones.get(&Ms::Ready)?.t)))
        .flat_map(|(p, ready)| p.programmed.values().map(move |m| (m.t - ready).max(0)))
        .collect();
    v.sort_unstable();
    v
}

/// The summaries, named as CL2 names them in its report directory.
pub fn write(pods_: &[PodTimeline], run: &Run, dir: &Path) -> anyhow::Result<Written> {
    let mut w = Written::default();
    let time = go_time_secs(run.end);
    for (prefix, content) in pod_startup(pods_) {
        let p = dir.join(format!(
            "{prefix}PodStartupLatency_PodStartupLatency_{}_{time}.json",
            run.job
        ));
        super::write_file(&p, content.as_bytes())?;
        w.files.push(p);
    }
    let statics = pods_.iter().filter(|p| p.static_pod.is_some()).count();
    if statics > 0 {
        w.notes.push(format!(
            "{} left out: static (clusterloader2 measures the pods its test creates)",
            pods(statics)
        ));
    }
    let np = network_programming(pods_);
    match nearest_rank(&np) {
        Some(q) => {
            let p = dir.join(format!("NetworkProgrammingLatency_{}_{time}.json", run.job));
            super::write_file(&p, perf_data("v1", &[(q, None)]).as_bytes())?;
            w.files.push(p);
        }
        None => w.notes.push(
            "no NetworkProgrammingLatency: no pod has both ready and a node's kube-proxy programming time".into(),
        ),
    }
    Ok(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_is_cl2s() {
        let v: Vec<i64> = (1..=10).collect();
        // ⌈10·50/100⌉ = 5, ⌈9⌉ = 9, ⌈9.9⌉ = 10.
        assert_eq!(
            nearest_rank(&v),
            Some(Percentiles {
                perc50: 5,
                perc90: 9,
                perc99: 10
            })
        );
        let one = nearest_rank(&[7]).unwrap();
        assert_eq!((one.perc50, one.perc99), (7, 7));
        assert_eq!(nearest_rank(&[]), None);
        // 200 values: the 100th, 180th and 198th.
        let v: Vec<i64> = (1..=200).collect();
        let q = nearest_rank(&v).unwrap();
        assert_eq!((q.perc50, q.perc90, q.perc99), (100, 180, 198));
    }

    #[test]
    fn pretty_print_json_layout() {
        let q = Percentiles {
            perc50: 12_141_000,
            perc90: 5_000_000_000,
            perc99: 1,
        };
        assert_eq!(
            perf_data("1.0", &[(q, Some("pod_startup"))]),
            "{\n  \"version\": \"1.0\",\n  \"dataItems\": [\n    {\n      \"data\": {\n        \"Perc50\": 12.141,\n        \"Perc90\": 5000,\n        \"Perc99\": 0.000001\n      },\n      \"unit\": \"ms\",\n      \"labels\": {\n        \"Metric\": \"pod_startup\"\n      }\n    }\n  ]\n}\n"
        );
    }
}
