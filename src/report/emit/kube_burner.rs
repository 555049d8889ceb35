//! kube-burner's `podLatency` measurement files, as its local indexer writes them, so its Grafana
//! dashboards and Orion read podtrace's numbers.
//!
//! Shapes, from kube-burner's source (github.com/kube-burner/kube-burner):
//!
//! - `pkg/measurements/pod_latency.go`, `podMetric`: one document per pod with `timestamp` (Go
//!   `time.Time`: the pod's `creationTimestamp`), `schedulingLatency`, `initializedLatency`,
//!   `containersReadyLatency`, `podReadyLatency`, `readyToStartContainersLatency`,
//!   `containersStartedLatency` (Go `int`, milliseconds from `timestamp`, by
//!   `time.Duration.Milliseconds()`, which truncates), `metricName` (`podLatencyMeasurement`),
//!   `uuid`, `jobName`, `jobIteration`, `replica` (ints from the pod's kube-burner labels, 0
//!   without them), `namespace`, `podName`, `nodeName`, `metadata` (`omitempty`). Each latency is
//!   from a `True` condition's `lastTransitionTime` (`PodScheduled` — or the `Scheduled` Event's
//!   µs `eventTime` —, `PodReadyToStartContainers`, `Initialized`, `ContainersReady`, `Ready`) or,
//!   for `containersStartedLatency`, the latest `Started` Event of the pod.
//!   `normalizeMetrics` skips a pod that never became Ready, and sets a negative latency to 0 —
//!   which is also what a condition never seen gives, its zero `time.Time` being long before the
//!   pod was created.
//! - `pkg/measurements/metrics/metrics.go`, `LatencyQuantiles`: `quantileName`, `uuid`, `P99`,
//!   `P95`, `P50`, `min`, `max`, `avg` (ints), `timestamp`, `metricName`
//!   (`podLatencyQuantilesMeasurement`), `jobName` (`omitempty`), `metadata` (`omitempty`), one
//!   per condition; `NewLatencySummary` computes them with github.com/montanaflynn/stats
//!   (`Percentile`, `Min`, `Max`, `Mean`; kube-burner's go.mod pins v0.7.1) and truncates each
//!   to `int`; it refuses an empty list. (stats v0.8.0, 2026-03, changed `Percentile` to linear
//!   interpolation; a kube-burner built on it would differ from these files by that.)
//! - github.com/cloud-bulldozer/go-commons `indexers/local.go`, `Local.Index`: the file is
//!   `<metricName>.json` in the metrics directory, where `pod_latency.go`'s `index` passes
//!   `<measurement>-<jobName>`; the documents are one JSON array written by `json.Encoder.Encode`:
//!   compact, one line, a trailing newline, `<`, `>`, `&`, U+2028 and U+2029 written as `\u003c`…
//!
//! This is the one-document-per-pod layout of kube-burner's releases, which its dashboards and
//! Orion configurations query by these field names. (kube-burner's main branch, toward v2,
//! indexes one `LatencyDocument` per pod and condition instead, with `value` and `labels`;
//! podtrace does not write that layout yet.)
//!
//! podtrace's times are finer than the API's seconds (kube-burner's creation stamp and most of its
//! conditions are whole seconds), so its latencies are the same definitions measured closer. Which
//! milestone feeds each field:
//!
//! | field | from `created` to |
//! |---|---|
//! | `schedulingLatency` | `scheduled` (the binding) |
//! | `readyToStartContainersLatency` | `sandbox_ready` (sandbox and network up) |
//! | `initializedLatency` | `kubelet_seen` for a pod without init containers (the kubelet's first status sets `Initialized` at once); none known for a pod with them |
//! | `containersStartedLatency` | `running` (the last regular container started) |
//! | `containersReadyLatency`, `podReadyLatency` | `ready` (the kubelet's readiness) |
//!
//! Where podtrace knows no such milestone the field is 0, as kube-burner writes a condition it
//! never saw, and the pod's `metadata.podtraceMissing` lists the field so that 0 is never taken
//! for a measurement; the quantiles leave it out (kube-burner would count its 0). Pods without
//! `created`, pods never Ready (as kube-burner) and static pods (kube-burner watches the pods its
//! jobs create, never a manifest's) are left out, and counted on stderr.

use std::path::Path;

use serde::Serialize;

use super::{Run, Written, go_time_nanos, pods};
use crate::timeline::{Ms, PodTimeline};

/// One pod: kube-burner's `podMetric` (field names and order as its struct declares them).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodLatency {
    pub timestamp: String,
    pub scheduling_latency: i64,
    pub initialized_latency: i64,
    pub containers_ready_latency: i64,
    pub pod_ready_latency: i64,
    pub ready_to_start_containers_latency: i64,
    pub containers_started_latency: i64,
    pub metric_name: &'static str,
    pub uuid: String,
    pub job_name: String,
    pub job_iteration: i64,
    pub replica: i64,
    pub namespace: String,
    pub pod_name: String,
    pub node_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}

/// kube-burner's free-form `metadata`: here, which latencies podtrace had no milestone for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metadata {
    #[serde(rename = "podtraceMissing")]
    pub missing: Vec<&'static str>,
}

/// One condition's summary: kube-burner's `LatencyQuantiles`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quantiles {
    #[serde(rename = "quantileName")]
    pub quantile_name: &'static str,
    pub uuid: String,
    #[serde(rename = "P99")]
    pub p99: i64,
    #[serde(rename = "P95")]
    pub p95: i64,
    #[serde(rename = "P50")]
    pub p50: i64,
    pub min: i64,
    pub max: i64,
    pub avg: i64,
    pub timestamp: String,
    #[serde(rename = "metricName")]
    pub metric_name: &'static str,
    #[serde(rename = "jobName")]
    pub job_name: String,
}

/// The conditions, in the order the quantiles file lists them: (quantileName, field, milestone
/// that ends the latency; `None`: chosen per pod, see [`initialized`]).
const CONDITIONS: [(&str, &str, Option<Ms>); 6] = [
    ("PodScheduled", "schedulingLatency", Some(Ms::Scheduled)),
    (
        "PodReadyToStartContainers",
        "readyToStartContainersLatency",
        Some(Ms::SandboxReady),
    ),
    ("Initialized", "initializedLatency", None),
    ("ContainersReady", "containersReadyLatency", Some(Ms::Ready)),
    ("Ready", "podReadyLatency", Some(Ms::Ready)),
    (
        "ContainersStarted",
        "containersStartedLatency",
        Some(Ms::Running),
    ),
];

/// `Initialized`: for a pod without init containers the kubelet's first status, right after it
/// saw the pod; for one with them, when the last one exited, which podtrace has no milestone for.
fn initialized(p: &PodTimeline) -> Option<Ms> {
    (!p.containers.iter().any(|c| c.init)).then_some(Ms::KubeletSeen)
}

/// Milliseconds as kube-burner computes them: Go's `Duration.Milliseconds()` truncates toward
/// zero, and a negative latency becomes 0.
fn millis(nanos: i64) -> i64 {
    (nanos / 1_000_000).max(0)
}

/// The per-pod documents and, per condition, the latencies the quantiles use.
pub fn documents(
    pods_: &[PodTimeline],
    run: &Run,
) -> (Vec<PodLatency>, [Vec<i64>; 6], Vec<String>) {
    let mut docs = Vec::new();
    let mut values: [Vec<i64>; 6] = Default::default();
    let (mut no_created, mut not_ready, mut statics) = (0, 0, 0);
    for p in pods_ {
        if p.static_pod.is_some() {
            statics += 1;
            continue;
        }
        let Some(created) = p.milestones.get(&Ms::Created).map(|m| m.t) else {
            no_created += 1;
            continue;
        };
        if !p.milestones.contains_key(&Ms::Ready) {
            not_ready += 1;
            continue;
        }
        let mut got = [0i64; 6];
        let mut missing = Vec::new();
        for (i, (_, field, ms)) in CONDITIONS.iter().enumerate() {
            let end = ms.or_else(|| initialized(p));
            match end.and_then(|m| p.milestones.get(&m)) {
                Some(m) => {
                    got[i] = millis(m.t - created);
                    values[i].push(got[i]);
                }
                None => missing.push(*field),
            }
        }
        docs.push(PodLatency {
            timestamp: go_time_nanos(created),
            scheduling_latency: got[0],
            ready_to_start_containers_latency: got[1],
            initialized_latency: got[2],
            containers_ready_latency: got[3],
            pod_ready_latency: got[4],
            containers_started_latency: got[5],
            metric_name: "podLatencyMeasurement",
            uuid: run.uuid.clone(),
            job_name: run.job.clone(),
            job_iteration: 0,
            replica: 0,
            namespace: p.namespace.clone(),
            pod_name: p.name.clone(),
            node_name: p.node.clone().unwrap_or_default(),
            metadata: (!missing.is_empty()).then_some(Metadata { missing }),
        });
    }
    let mut notes = Vec::new();
    for (n, why) in [
        (not_ready, "never Ready (kube-burner skips them too)"),
        (no_created, "without a creation time"),
        (
            statics,
            "static (kube-burner measures the pods its jobs create)",
        ),
    ] {
        if n > 0 {
            notes.push(format!("{} left out: {why}", pods(n)));
        }
    }
    (docs, values, notes)
}

/// montanaflynn/stats v0.7.1 `Percentile` (what kube-burner calls): on the sorted values, with
/// i = p/100 × n, the i-th value when i is whole, else the mean of the ⌊i⌋-th and the next; one
/// value is its own percentile. (Not nearest rank, not interpolation.) `None` where that
/// function returns an error (i < 1), which kube-burner never meets with its 50th to 99th
/// percentiles of two or more values.
pub fn go_percentile(sorted: &[f64], percent: f64) -> Option<f64> {
    match sorted.len() {
        0 => None,
        1 => Some(sorted[0]),
        n => {
            let index = percent / 100.0 * n as f64;
            if index == index.trunc() {
                sorted.get(index as usize - 1).copied()
            } else if index > 1.0 {
                let i = index as usize;
                Some((sorted[i - 1] + sorted[i]) / 2.0)
            } else {
                None
            }
        }
    }
}

/// kube-burner's `NewLatencySummary`: every statistic truncated to an int; no summary of nothing.
pub fn quantiles(name: &'static str, values: &[i64], run: &Run) -> Option<Quantiles> {
    if values.is_empty() {
        return None;
    }
    let mut v: Vec<f64> = values.iter().map(|&x| x as f64).collect();
    v.sort_by(f64::total_cmp);
    let p = |q| go_percentile(&v, q).unwrap_or(0.0) as i64;
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    Some(Quantiles {
        quantile_name: name,
        uuid: run.uuid.clone(),
        p99: p(99.0),
        p95: p(95.0),
        p50: p(50.0),
        min: v[0] as i64,
        max: v[v.len() - 1] as i64,
        avg: mean as i64,
        timestamp: go_time_nanos(run.end),
        metric_name: "podLatencyQuantilesMeasurement",
        job_name: run.job.clone(),
    })
}

/// JSON as Go's `json.Encoder.Encode` writes it: compact, then a newline; `<`, `>`, `&` as
/// `\u003c`, `\u003e`, `\u0026` (its HTML-safe default) and `\b`, `\f` as `\u0008`, `\u000c`.
/// Control, bidirectional and line-separator characters from logs are `\u` escapes too (the
/// terminal-safe encoder of [`crate::export::escape`]), so the file is safe to `cat`. Decoded,
/// every string is the same.
pub fn go_json<T: Serialize + ?Sized>(v: &T) -> anyhow::Result<Vec<u8>> {
    let mut compact = Vec::new();
    crate::export::escape::json(&mut compact, v)?;
    let mut out = Vec::with_capacity(compact.len() + 16);
    let mut bytes = compact.iter().copied();
    while let Some(b) = bytes.next() {
        match b {
            // Outside strings serde_json writes none of these: each is in a string.
            b'<' => out.extend_from_slice(br"\u003c"),
            b'>' => out.extend_from_slice(br"\u003e"),
            b'&' => out.extend_from_slice(br"\u0026"),
            // Every backslash starts an escape: take its second byte with it.
            b'\\' => match bytes.next() {
                Some(b'b') => out.extend_from_slice(br"\u0008"),
                Some(b'f') => out.extend_from_slice(br"\u000c"),
                Some(c) => out.extend_from_slice(&[b'\\', c]),
                None => out.push(b'\\'),
            },
            _ => out.push(b),
        }
    }
    out.push(b'\n');
    Ok(out)
}

/// `podLatencyMeasurement-<job>.json` and `podLatencyQuantilesMeasurement-<job>.json` in `dir`.
pub fn write(pods_: &[PodTimeline], run: &Run, dir: &Path) -> anyhow::Result<Written> {
    let (docs, values, mut notes) = documents(pods_, run);
    let summaries: Vec<Quantiles> = CONDITIONS
        .iter()
        .zip(&values)
        .filter_map(|((name, _, _), v)| quantiles(name, v, run))
        .collect();
    let incomplete = docs.iter().filter(|d| d.metadata.is_some()).count();
    if incomplete > 0 {
        notes.push(format!(
            "{} with a latency podtrace has no milestone for: 0, as kube-burner writes a condition it never saw, listed in metadata.podtraceMissing and left out of the quantiles",
            pods(incomplete)
        ));
    }
    let mut w = Written {
        notes,
        ..Default::default()
    };
    for (measurement, bytes) in [
        ("podLatencyMeasurement", go_json(&docs)?),
        ("podLatencyQuantilesMeasurement", go_json(&summaries)?),
    ] {
        let p = dir.join(format!("{measurement}-{}.json", run.job));
        super::write_file(&p, &bytes)?;
        w.files.push(p);
    }
    Ok(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn montanaflynn_percentile() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        // 0.5 × 10 = 5, whole: the 5th value.
        assert_eq!(go_percentile(&v, 50.0), Some(5.0));
        // 0.95 × 10 = 9.5: the mean of the 9th and 10th.
        assert_eq!(go_percentile(&v, 95.0), Some(9.5));
        assert_eq!(go_percentile(&v, 99.0), Some(9.5));
        assert_eq!(go_percentile(&[7.0], 99.0), Some(7.0));
        assert_eq!(go_percentile(&[1.0, 3.0], 50.0), Some(1.0));
        assert_eq!(go_percentile(&[1.0, 3.0], 95.0), Some(2.0));
        assert_eq!(go_percentile(&[1.0, 3.0, 5.0], 10.0), None);
        assert_eq!(go_percentile(&[], 50.0), None);
    }

    #[test]
    fn go_encoding() {
        let v = serde_json::json!(["a<b>&c", "t\u{8}f\u{c}", "\\b", "\u{2028}"]);
        let out = String::from_utf8(go_json(&v).unwrap()).unwrap();
        assert_eq!(
            out,
            "[\"a\\u003cb\\u003e\\u0026c\",\"t\\u0008f\\u000c\",\"\\\\b\",\"\\u2028\"]\n"
        );
        let back: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn millis_truncate_like_go_and_clamp_like_kube_burner() {
        assert_eq!(millis(12_141_000), 12);
        assert_eq!(millis(999_999), 0);
        assert_eq!(millis(-5_000_000), 0);
    }
}
