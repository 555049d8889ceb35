//! What made the slow pods slow: each pod's dominant phase, coverage of every milestone across
//! the run, and an attribution of the median and p99 pods to phases, nodes and images.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{MILESTONES, Phase, PodTimeline};

/// The consecutive phases of the main path (docs/phases.md#phases), whose sum is `time_to_serving`.
pub const MAIN_PATH: [Phase; 10] = [
    Phase::ApiCreate,
    Phase::Scheduling,
    Phase::KubeletWatch,
    Phase::KubeletPrep,
    Phase::Sandbox,
    Phase::Containers,
    Phase::Readiness,
    Phase::StatusReport,
    Phase::Endpoints,
    Phase::Programming,
];

/// A phase's value where statistics may use it: present and not excluded ([`super::honest`]).
pub fn counted(p: &PodTimeline, phase: Phase) -> Option<i64> {
    p.phases
        .get(&phase)
        .copied()
        .filter(|_| !p.excluded.contains_key(&phase))
}

/// The consecutive phases that tile a measure's span (PHASES.md): `time_to_ready` =
/// `ready − created` = scheduling + … + readiness, and so on. `startup_sli` is no span (it is
/// `startup_e2e` less pulls) and is not tiled.
pub fn parts(measure: Phase) -> Option<&'static [Phase]> {
    match measure {
        Phase::TimeToReady => Some(&[
            Phase::Scheduling,
            Phase::KubeletWatch,
            Phase::KubeletPrep,
            Phase::Sandbox,
            Phase::Containers,
            Phase::Readiness,
        ]),
        Phase::StartupE2e => Some(&[
            Phase::Scheduling,
            Phase::KubeletWatch,
            Phase::KubeletPrep,
            Phase::Sandbox,
            Phase::Containers,
            Phase::RunningWatch,
        ]),
        Phase::TimeToServing => Some(&MAIN_PATH),
        _ => None,
    }
}

/// The phase that took longest among the main path phases present, and its share of their sum.
/// Excluded values take no part: a negative phase in the sum made the others' shares too large,
/// and a restart-spanning one dominated pods it never measured.
pub fn dominant(p: &PodTimeline) -> Option<(Phase, i64, f64)> {
    let present: Vec<(Phase, i64)> = MAIN_PATH
        .iter()
        .filter_map(|&n| counted(p, n).map(|d| (n, d)))
        .filter(|(_, d)| *d > 0)
        .collect();
    let total: i64 = present.iter().map(|(_, d)| d).sum();
    let (name, d) = present.into_iter().max_by_key(|(_, d)| *d)?;
    Some((name, d, d as f64 / total as f64))
}

/// How many main-path phases give no value to the dominant phase's share (missing, not
/// applicable or excluded): a share of the main path is only as whole as the path measured.
pub fn main_path_unmeasured(p: &PodTimeline) -> usize {
    MAIN_PATH
        .iter()
        .filter(|&&n| counted(p, n).is_none())
        .count()
}

/// The longest phase within one measure (the parts that tile it; `startup_sli` borrows those of
/// `startup_e2e`), never longer than the measure itself: what a report shows beside that
/// measure. (The main-path dominant phase can lie outside it: `programming` is not part of
/// `startup_e2e`.)
pub fn dominant_within(p: &PodTimeline, measure: Phase) -> Option<(Phase, i64)> {
    let total = counted(p, measure)?;
    let parts = parts(measure).or_else(|| parts(Phase::StartupE2e))?;
    // Reversed, so that of equal phases the first on the path is named.
    parts
        .iter()
        .rev()
        .filter_map(|&n| counted(p, n).map(|d| (n, d)))
        .filter(|(_, d)| *d > 0 && *d <= total)
        .max_by_key(|(_, d)| *d)
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
                match p.milestones.get(&m) {
                    Some(x) if x.derived.is_some() => c.derived += 1,
                    Some(_) => c.observed += 1,
                    None => c.missing += 1,
                }
            }
            (m.as_str(), c)
        })
        .collect()
}

/// Where the time of the pods at one percentile went.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Attribution {
    /// `time_to_ready` or `startup_e2e`.
    pub measure: Phase,
    /// `p50` or `p99`.
    pub percentile: &'static str,
    /// The percentile's value (nearest rank), nanoseconds.
    pub value_nanos: i64,
    /// The pods at or beyond the percentile that were looked at.
    pub pods: usize,
    /// Pods left out of this measure's attribution because the measure or one of its phases is
    /// excluded from statistics (negative, restart-spanning, implausible) or does not apply.
    pub excluded: usize,
    /// Phase → mean share of those pods' measured span (0..1), largest first. The phases tile the
    /// span: scheduling … readiness for `time_to_ready`, scheduling … running_watch for
    /// `startup_e2e`.
    pub phases: Vec<(Phase, f64)>,
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
///
/// Each pod's phases are divided by the larger of its measured span and the sum of its phases,
/// so one pod's shares add up to at most 100 %: they tile the span exactly when every milestone
/// is in order, and a phase clamped to 0 below its precision can leave the others summing
/// slightly more than the span. Pods with an excluded measure or phase take no part.
pub fn attribute(pods: &[PodTimeline]) -> Vec<Attribution> {
    let mut out = Vec::new();
    for measure in [Phase::TimeToReady, Phase::StartupE2e] {
        let parts = parts(measure).unwrap_or(&[]);
        let mut excluded = 0;
        let mut with: Vec<(&PodTimeline, i64)> = Vec::new();
        for p in pods.iter().filter(|p| p.phases.contains_key(&measure)) {
            let clean = parts.iter().all(|ph| !p.excluded.contains_key(ph));
            match counted(p, measure) {
                Some(d) if clean && d >= 0 => with.push((p, d)),
                _ => excluded += 1,
            }
        }
        if with.is_empty() {
            continue;
        }
        with.sort_by_key(|(_, d)| *d);
        let values: Vec<i64> = with.iter().map(|(_, d)| *d).collect();
        for (label, q) in [("p50", 0.50), ("p99", 0.99)] {
            let k = nearest_rank(&values, q);
            // p50: the pod at the median and its neighbours (up to 5% of pods either side);
            // p99: every pod at or beyond the percentile.
            let group: Vec<(&PodTimeline, i64)> = if label == "p50" {
                let half = with.len() / 20;
                with[k.saturating_sub(half)..(k + half + 1).min(with.len())].to_vec()
            } else {
                with[k..].to_vec()
            };
            let mut share: BTreeMap<Phase, f64> = BTreeMap::new();
            for (p, span) in &group {
                let mine: Vec<(Phase, i64)> = parts
                    .iter()
                    .filter_map(|ph| p.phases.get(ph).map(|d| (*ph, *d)))
                    .filter(|(_, d)| *d > 0)
                    .collect();
                let whole = (*span).max(mine.iter().map(|(_, d)| d).sum());
                if whole == 0 {
                    continue;
                }
                for (ph, d) in mine {
                    *share.entry(ph).or_default() += d as f64 / whole as f64 / group.len() as f64;
                }
            }
            let mut phases: Vec<(Phase, f64)> = share.into_iter().collect();
            // Equal shares are listed by name, as they always were.
            phases.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.as_str().cmp(b.0.as_str())));
            out.push(Attribution {
                measure,
                percentile: label,
                value_nanos: values[k],
                pods: group.len(),
                excluded,
                phases,
                nodes: counts(group.iter().filter_map(|(p, _)| p.node.clone())),
                images: counts(
                    group
                        .iter()
                        .flat_map(|(p, _)| p.containers.iter().filter_map(|c| c.image.clone())),
                ),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(phases: &[(Phase, i64)], node: &str) -> PodTimeline {
        let mut p = PodTimeline {
            node: Some(node.into()),
            ..Default::default()
        };
        for (k, v) in phases {
            p.phases.insert(*k, *v);
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
                (Phase::Scheduling, 10),
                (Phase::Containers, 30),
                (Phase::Readiness, 0),
                (Phase::TimeToReady, 40),
            ],
            "a",
        );
        let slow = pod(
            &[
                (Phase::Scheduling, 10),
                (Phase::Containers, 990),
                (Phase::TimeToReady, 1000),
            ],
            "b",
        );
        assert_eq!(dominant(&slow), Some((Phase::Containers, 990, 0.99)));
        let pods = vec![fast.clone(), fast.clone(), fast, slow];
        let a = attribute(&pods);
        let p99 = a
            .iter()
            .find(|x| x.measure == Phase::TimeToReady && x.percentile == "p99")
            .unwrap();
        assert_eq!((p99.value_nanos, p99.pods), (1000, 1));
        assert_eq!(p99.phases[0], (Phase::Containers, 0.99));
        assert_eq!(p99.nodes, vec![("b".to_owned(), 1)]);
    }

    /// Issue 12: a negative (excluded) phase dropped from the sum while the span still counted
    /// it gave shares of 183 %; a clamped phase could give 137.5 %. Both stay at most 100 %.
    #[test]
    fn attribution_shares_stay_within_one() {
        let mut skewed = pod(
            &[
                (Phase::Scheduling, 10),
                (Phase::KubeletWatch, -50),
                (Phase::Containers, 100),
                (Phase::TimeToReady, 60),
            ],
            "a",
        );
        skewed
            .excluded
            .insert(Phase::KubeletWatch, "negative: test".into());
        let a = attribute(std::slice::from_ref(&skewed));
        assert!(a.is_empty(), "the only pod is excluded: {a:?}");
        // readiness clamped to 0 (ready 30 ns before running, within its precision): the parts
        // sum to 110 over a span of 80; shares are of 110.
        let clamped = pod(
            &[
                (Phase::Scheduling, 10),
                (Phase::Containers, 100),
                (Phase::Readiness, 0),
                (Phase::TimeToReady, 80),
            ],
            "b",
        );
        let a = attribute(&[skewed, clamped]);
        let p50 = a
            .iter()
            .find(|x| x.measure == Phase::TimeToReady && x.percentile == "p50")
            .unwrap();
        assert_eq!((p50.pods, p50.excluded, p50.value_nanos), (1, 1, 80));
        assert_eq!(
            p50.phases,
            vec![
                (Phase::Containers, 100.0 / 110.0),
                (Phase::Scheduling, 10.0 / 110.0)
            ]
        );
        let sum: f64 = p50.phases.iter().map(|(_, v)| v).sum();
        assert!(sum <= 1.0, "{sum}");
    }

    #[test]
    fn dominant_phase_is_never_longer_than_its_total() {
        let mut p = pod(
            &[
                (Phase::Scheduling, 100),
                (Phase::Containers, 800),
                (Phase::RunningWatch, 100),
                (Phase::StartupE2e, 1_000),
                (Phase::Endpoints, 1_000),
                (Phase::Programming, 5_000),
            ],
            "a",
        );
        // Over the main path, programming dominates (outside startup_e2e).
        assert_eq!(
            dominant(&p),
            Some((Phase::Programming, 5_000, 5_000.0 / 6_900.0))
        );
        // Beside startup_e2e, a report shows the longest phase inside it.
        assert_eq!(
            dominant_within(&p, Phase::StartupE2e),
            Some((Phase::Containers, 800))
        );
        // startup_sli (no tiling) takes startup_e2e's phases no longer than itself.
        p.phases.insert(Phase::StartupSli, 500);
        assert_eq!(
            dominant_within(&p, Phase::StartupSli),
            Some((Phase::Scheduling, 100))
        );
        // An excluded phase dominates nothing.
        p.excluded.insert(Phase::Programming, "test".into());
        assert_eq!(
            dominant(&p),
            Some((Phase::Endpoints, 1_000, 1_000.0 / 1_900.0))
        );
        p.excluded.insert(Phase::StartupE2e, "test".into());
        assert_eq!(dominant_within(&p, Phase::StartupE2e), None);
    }
}
