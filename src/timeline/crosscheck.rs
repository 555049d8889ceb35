//! The kubelet's own figures ("Observed pod startup duration") checked against what podtrace
//! measured from other sources: its SLI against `startup_sli`, and its pull time (≈1.34+
//! `totalImagesPullingTime`, or the older pull window) against the pulls the runtime logged.
//! A disagreement is stated as a finding with both values, never smoothed over.

use super::{Ms, Phase, PodTimeline};

/// The kubelet's sentinel when it recorded no pull finish (`podStartSLOduration=-9.22e+09`,
/// kubernetes/kubernetes#114903): not a duration.
const SLO_SENTINEL_SECONDS: f64 = -9.0e9;

/// A figure of more than a year is no startup (and would overflow nanosecond arithmetic far
/// beyond): not compared.
const MAX_PLAUSIBLE_SECONDS: f64 = 366.0 * 86_400.0;

/// Pull times further apart than this (and than 10 % of the larger) are a finding: the kubelet
/// counts from its own "Pulling image" to "Successfully pulled", the runtime from its PullImage
/// request to its return, so a few milliseconds apart is normal.
const PULL_TOLERANCE_NANOS: i64 = 100_000_000;

pub fn kubelet_figures(tl: &mut PodTimeline) {
    let Some(k) = tl.kubelet.clone() else { return };
    let mut findings = Vec::new();
    let mut k2 = k.clone();

    // The SLI: ours is startup_e2e minus the pulls (and init containers) the kubelet reported,
    // so it differs from the kubelet's as startup_e2e differs from its E2E figure (creation
    // truncated to seconds, clock offsets), which `explain_kubelet_e2e` explains.
    if let (Some(slo), Some(ours)) = (k.slo_seconds, tl.phases.get(&Phase::StartupSli).copied()) {
        if slo.is_finite() && slo < SLO_SENTINEL_SECONDS && slo > 2.0 * SLO_SENTINEL_SECONDS {
            findings.push(format!(
                "the kubelet's podStartSLOduration ({slo:e} s) is its no-pull-finish sentinel \
                 (kubernetes#114903), not a duration; startup_sli is podtrace's"
            ));
        } else if !slo.is_finite() || slo.abs() > MAX_PLAUSIBLE_SECONDS {
            findings.push(format!(
                "the kubelet's podStartSLOduration ({slo:e} s) is no plausible duration; not compared"
            ));
        } else {
            let theirs = (slo * 1e9).round() as i64;
            let diff = ours.saturating_sub(theirs);
            k2.sli_difference_nanos = Some(diff);
            // Ours counts from `created` to the nanosecond, the kubelet from the second
            // `created` falls in; beyond that they differ as their E2E figures do.
            let sub_second = tl
                .milestones
                .get(&Ms::Created)
                .map_or(0, |c| c.t.rem_euclid(1_000_000_000));
            let expected = k
                .e2e_difference_nanos
                .unwrap_or(0)
                .saturating_sub(sub_second);
            // podStartSLOduration is a float64 of seconds: about 1 µs of rounding.
            if k.e2e_difference_nanos.is_some()
                && diff.saturating_sub(expected).saturating_abs() > 1_000
            {
                findings.push(format!(
                    "startup_sli {:.3} ms and the kubelet's podStartSLOduration {:.3} ms differ by \
                     {:.3} ms beyond what their E2E figures differ by ({:.3} ms): the pulls or init \
                     containers they exclude differ",
                    ours as f64 / 1e6,
                    theirs as f64 / 1e6,
                    diff as f64 / 1e6,
                    expected as f64 / 1e6
                ));
            }
        }
    }

    // Pulls: the runtime's PullImage intervals (merged where they overlap) against the
    // kubelet's own total or window.
    let mut pulls: Vec<(i64, i64)> = tl
        .containers
        .iter()
        .filter_map(|c| {
            let a = c.milestones.get(&Ms::PullStarted)?.t;
            let b = c.milestones.get(&Ms::PullFinished)?.t;
            (b >= a).then_some((a, b))
        })
        .collect();
    pulls.sort_unstable();
    let mut union = 0i64;
    let mut sessions = 0u32;
    let mut cur: Option<(i64, i64)> = None;
    for (a, b) in pulls.iter().copied() {
        match cur {
            Some((ca, cb)) if a <= cb => cur = Some((ca, cb.max(b))),
            Some((ca, cb)) => {
                union = union.saturating_add(cb.saturating_sub(ca));
                sessions += 1;
                cur = Some((a, b));
            }
            None => cur = Some((a, b)),
        }
    }
    if let Some((ca, cb)) = cur {
        union = union.saturating_add(cb.saturating_sub(ca));
        sessions += 1;
    }
    let window = pulls
        .first()
        .zip(pulls.iter().map(|p| p.1).max())
        .map(|(f, last)| last.saturating_sub(f.0));
    let plausible = |n: i64| n.unsigned_abs() <= (MAX_PLAUSIBLE_SECONDS * 1e9) as u64;
    let (theirs, what, ours) = match (
        k.total_pulling_nanos.filter(|n| plausible(*n)),
        k.pull_window_nanos.filter(|n| plausible(*n)),
    ) {
        (Some(t), _) => (Some(t), "totalImagesPullingTime", Some(union)),
        (None, Some(w)) => (
            Some(w),
            "pull window (lastFinishedPulling − firstStartedPulling)",
            window,
        ),
        (None, None) => (None, "", None),
    };
    if let (Some(theirs), Some(ours)) = (theirs, ours.filter(|_| !pulls.is_empty())) {
        let diff = ours.saturating_sub(theirs);
        k2.pulling_difference_nanos = Some(diff);
        let tolerance = PULL_TOLERANCE_NANOS.max(ours.max(theirs) / 10);
        if diff.saturating_abs() > tolerance {
            findings.push(format!(
                "the runtime's pulls take {:.3} ms, the kubelet's {what} {:.3} ms",
                ours as f64 / 1e6,
                theirs as f64 / 1e6
            ));
        }
    }
    if let Some(n) = k.pull_sessions {
        if !pulls.is_empty() && n != sessions {
            findings.push(format!(
                "the kubelet counts {n} image pull session(s), the runtime's pulls make {sessions}"
            ));
        }
    }
    tl.kubelet = Some(k2);
    tl.findings.extend(findings);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Component;
    use crate::timeline::{ContainerTimeline, KubeletFigures, Milestone, Place};

    fn at(t: i64) -> Milestone {
        Milestone {
            t,
            source: Component::Containerd,
            evidence: Place {
                file: "x".into(),
                line: 1,
            },
            precision: crate::timeline::Precision::Ns,
            host: None,
            derived: None,
            clock_offset: None,
        }
    }

    fn container(name: &str, pull: Option<(i64, i64)>) -> ContainerTimeline {
        let mut c = ContainerTimeline {
            name: name.into(),
            ..Default::default()
        };
        if let Some((a, b)) = pull {
            c.milestones.insert(Ms::PullStarted, at(a));
            c.milestones.insert(Ms::PullFinished, at(b));
        }
        c
    }

    #[test]
    fn kubelet_totals_checked_against_the_runtimes_pulls() {
        let s = 1_000_000_000;
        let mut tl = PodTimeline {
            kubelet: Some(KubeletFigures {
                slo_seconds: Some(1.2),
                e2e_difference_nanos: Some(0),
                total_pulling_nanos: Some(8 * s),
                pull_sessions: Some(1),
                ..Default::default()
            }),
            // Two overlapping pulls (one session of 8 s) and a cached image.
            containers: vec![
                container("a", Some((10 * s, 16 * s))),
                container("b", Some((12 * s, 18 * s))),
                container("c", None),
            ],
            ..Default::default()
        };
        tl.phases.insert(Phase::StartupSli, 1_200_000_400);
        kubelet_figures(&mut tl);
        let k = tl.kubelet.as_ref().unwrap();
        assert_eq!(k.pulling_difference_nanos, Some(0));
        assert_eq!(k.sli_difference_nanos, Some(400));
        assert!(tl.findings.is_empty(), "{:?}", tl.findings);

        // The kubelet saw two sessions and 5 s of pulling: both said, with both values.
        let mut tl2 = tl.clone();
        let k = tl2.kubelet.as_mut().unwrap();
        k.total_pulling_nanos = Some(5 * s);
        k.pull_sessions = Some(2);
        tl2.phases.insert(Phase::StartupSli, 4_200_000_000);
        kubelet_figures(&mut tl2);
        assert_eq!(
            tl2.findings,
            [
                "startup_sli 4200.000 ms and the kubelet's podStartSLOduration 1200.000 ms differ by 3000.000 ms beyond what their E2E figures differ by (0.000 ms): the pulls or init containers they exclude differ",
                "the runtime's pulls take 8000.000 ms, the kubelet's totalImagesPullingTime 5000.000 ms",
                "the kubelet counts 2 image pull session(s), the runtime's pulls make 1",
            ]
        );
        assert_eq!(
            tl2.kubelet.as_ref().unwrap().pulling_difference_nanos,
            Some(3 * s)
        );
    }

    #[test]
    fn the_no_pull_finish_sentinel_is_not_a_duration() {
        let mut tl = PodTimeline {
            kubelet: Some(KubeletFigures {
                slo_seconds: Some(-9.223372033546324e9),
                ..Default::default()
            }),
            ..Default::default()
        };
        tl.phases.insert(Phase::StartupSli, 1);
        kubelet_figures(&mut tl);
        assert_eq!(tl.kubelet.as_ref().unwrap().sli_difference_nanos, None);
        assert_eq!(tl.findings.len(), 1);
        assert!(tl.findings[0].contains("kubernetes#114903"));
    }
}
