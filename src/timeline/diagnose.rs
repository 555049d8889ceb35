//! What made the slow pods slow: each pod's dominant phase, coverage of every milestone across
//! the run, and an attribution of the median and p99 pods to phases, nodes and images.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{MILESTONES, PodTimeline};

/// The consecutive phases of the main path (docs/phases.md#phases), whose sum is `time_to_serving`.
pub const MAIN_PATH: [&str; 10] = [
    "api_create",
    "scheduling",
    "kubelet_watch",
    "kubelet_prep",
    "sandbox",
    "containers",
    "readiness",
    "status_report",
    "endpoints",
    "programming",
];

/// The phase that took longest among the main path phases present, and its share of their sum.
pub fn dominant(p: &PodTimeline) -> Option<(&'static str, i64, f64)> {
    let present: Vec<(&'static str, i64)> = MAIN_PATH
        .iter()
        .filter_map(|n| p.phases.get(n).map(|d| (*n, *d)))
        .filter(|(_, d)| *d > 0)
        .collect();
    let total: i64 = present.iter().map(|(_, d)| d).sum();
    let (name, d) = present.into_iter().max_by_key(|(_, d)| *d)?;
    Some((name, d, d as f64 / total as f64))
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Coverage {
    pub observed: usize,
    pub derived: usize,
    pub missing: usize,
}

/// Per milestone: pods where it came from its primary source, from a fallback, or nowhere.
pub fn coverage(pods: &[PodTimeline]) -> BTreeMap<&'static str, Coverage> {
    MILESTONES
        .iter()
        .map(|&m| {
            let mut c = Coverage::default();
            for p in pods {
                match p.milestones.get(m) {
                    Some(x) if x.derived.is_some() => c.derived += 1,
                    Some(_) => c.observed += 1,
                    None => c.missing += 1,
                }
            }
            (m, c)
        })
        .collect()
}

/// Where the time of the pods at one percentile went.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Attribution {
    /// `time_to_ready` or `startup_e2e`.
    pub measure: &'static str,
    /// `p50` or `p99`.
    pub percentile: &'static str,
    /// The percentile's value (nearest rank), nanoseconds.
    pub value_nanos: i64,
    /// The pods at or beyond the percentile that were looked at.
    pub pods: usize,
    /// Phase → mean share of those pods' measured span (0..1), largest first. The phases tile the
    /// span: scheduling … readiness for `time_to_ready`, scheduling … running_watch for
    /// `startup_e2e`.
    pub phases: Vec<(&'static str, f64)>,
    /// Nodes and images of those pods, with counts, most frequent first.
    pub nodes: Vec<(String, usize)>,
    pub images: Vec<(String, usize)>,
}

fn nearest_rank(sorted: &[i64], q: f64) -> usize {
    // Nearest-rank percentile: the smallest value with at least q of the data at or below it.
    let n = sorted.len();
    ((q * n as f64).ceil() as usize).clamp(1, n) - 1
}

fn counts(items: impl Iterator<Item = String>) -> Vec<(String, usize)> {
    let mut m: BTreeMap<String, usize> = BTreeMap::new();
    for i in items {
        *m.entry(i).or_default() += 1;
    }
    let mut v: Vec<_> = m.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

/// Attributes the median pod (the pods around p50) and the slowest pods (at or above p99).
pub fn attribute(pods: &[PodTimeline]) -> Vec<Attribution> {
    let mut out = Vec::new();
    for measure in ["time_to_ready", "startup_e2e"] {
        let mut with: Vec<(&PodTimeline, i64)> = pods
            .iter()
            .filter_map(|p| p.phases.get(measure).map(|d| (p, *d)))
            .collect();
        if with.is_empty() {
            continue;
        }
        with.sort_by_key(|(_, d)| *d);
        let values: Vec<i64> = with.iter().map(|(_, d)| *d).collect();
        for (label, q) in [("p50", 0.50), ("p99", 0.99)] {
            let k = nearest_rank(&values, q);
            // p50: the pod at the median and its neighbours (up to 5% of pods either side);
            // p99: every pod at or beyond the percentile.
            let group: Vec<&PodTimeline> = if label == "p50" {
                let half = with.len() / 20;
                with[k.saturating_sub(half)..(k + half + 1).min(with.len())]
                    .iter()
                    .map(|(p, _)| *p)
                    .collect()
            } else {
                with[k..].iter().map(|(p, _)| *p).collect()
            };
            // The consecutive phases that tile the measured span.
            let parts: &[&'static str] = match measure {
                "time_to_ready" => &[
                    "scheduling",
                    "kubelet_watch",
                    "kubelet_prep",
                    "sandbox",
                    "containers",
                    "readiness",
                ],
                _ => &[
                    "scheduling",
                    "kubelet_watch",
                    "kubelet_prep",
                    "sandbox",
                    "containers",
                    "running_watch",
                ],
            };
            let mut share: BTreeMap<&'static str, f64> = BTreeMap::new();
            for p in &group {
                let span = p.phases[measure].max(1) as f64;
                for &ph in parts {
                    if let Some(d) = p.phases.get(ph).filter(|d| **d > 0) {
                        *share.entry(ph).or_default() += *d as f64 / span / group.len() as f64;
                    }
                }
            }
            let mut phases: Vec<(&'static str, f64)> = share.into_iter().collect();
            phases.sort_by(|a, b| b.1.total_cmp(&a.1));
            out.push(Attribution {
                measure,
                percentile: label,
                value_nanos: values[k],
                pods: group.len(),
                phases,
                nodes: counts(group.iter().filter_map(|p| p.node.clone())),
                images: counts(
                    group
                        .iter()
                        .flat_map(|p| p.containers.iter().filter_map(|c| c.image.clone())),
                ),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(phases: &[(&'static str, i64)], node: &str) -> PodTimeline {
        let mut p = PodTimeline {
            node: Some(node.into()),
            ..Default::default()
        };
        for (k, v) in phases {
            p.phases.insert(k, *v);
        }
        p
    }

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<i64> = (1..=100).collect();
        assert_eq!(v[nearest_rank(&v, 0.5)], 50);
        assert_eq!(v[nearest_rank(&v, 0.99)], 99);
        assert_eq!(nearest_rank(&[7], 0.99), 0);
    }

    #[test]
    fn dominant_and_attribution() {
        let fast = pod(
            &[
                ("scheduling", 10),
                ("containers", 30),
                ("readiness", 0),
                ("time_to_ready", 40),
            ],
            "a",
        );
        let slow = pod(
            &[
                ("scheduling", 10),
                ("containers", 990),
                ("time_to_ready", 1000),
            ],
            "b",
        );
        assert_eq!(dominant(&slow), Some(("containers", 990, 0.99)));
        let pods = vec![fast.clone(), fast.clone(), fast, slow];
        let a = attribute(&pods);
        let p99 = a
            .iter()
            .find(|x| x.measure == "time_to_ready" && x.percentile == "p99")
            .unwrap();
        assert_eq!((p99.value_nanos, p99.pods), (1000, 1));
        assert_eq!(p99.phases[0], ("containers", 0.99));
        assert_eq!(p99.nodes, vec![("b".to_owned(), 1)]);
    }
}
