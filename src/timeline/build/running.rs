//! Stage 7: when the pod ran, and when the kubelet saw it run.

use super::Pod;
use crate::event::EventKind;
use crate::timeline::{ContainerTimeline, KubeletFigures, Ms, PodTimeline};

/// running, running_observed and the kubelet's own figures.
///
/// - running: the last container_started of the regular (non-init) containers, once every one
///   of them has one (from whichever stage gave it); else the kubelet's `observedRunningTime`
///   from "Observed pod startup duration" (derived). A pod with no regular container known
///   takes the fallback too.
/// - running_observed: that line's `watchObservedRunningTime`, the end of the kubelet's
///   `podStartE2EDuration`.
/// - the kubelet's figures from that line (`podStartE2EDuration`, `podStartSLOduration`, pull
///   times, `podCreationTimestamp`…); the differences are filled by `crosscheck` and
///   [`super::explain_kubelet_e2e`].
///
/// Reads container_started: runs after every stage that can give one.
pub(super) fn milestones(p: &Pod<'_>, tl: &mut PodTimeline) {
    let (cx, ev) = (&p.cx, p.cx.events);
    // running: every regular container started; the last start is the moment.
    let regular: Vec<&ContainerTimeline> = tl.containers.iter().filter(|c| !c.init).collect();
    let last_start = regular
        .iter()
        .map(|c| c.milestones.get(&Ms::ContainerStarted))
        .collect::<Option<Vec<_>>>()
        .and_then(|v| v.into_iter().max_by_key(|m| m.t).cloned());
    let m = &mut tl.milestones;
    if let (false, Some(r)) = (regular.is_empty(), last_start) {
        m.insert(Ms::Running, r);
    } else if let Some(i) = p.startup {
        if let EventKind::Startup { startup: s, .. } = &ev[i].kind {
            if let Some(o) = s.observed_running {
                m.insert(
                    Ms::Running,
                    cx.milestone_at(
                        i,
                        o.unix_nanos,
                        o.precision.as_str(),
                        Some("kubelet observedRunningTime"),
                    ),
                );
            }
        }
    }
    if let Some(i) = p.startup {
        if let EventKind::Startup { startup: s, .. } = &ev[i].kind {
            if let Some(w) = s.watch_observed_running {
                m.insert(
                    Ms::RunningObserved,
                    cx.milestone_at(i, w.unix_nanos, w.precision.as_str(), None),
                );
            }
            tl.kubelet = Some(KubeletFigures {
                e2e_nanos: s.e2e_nanos,
                slo_seconds: s.slo_seconds,
                evidence: cx.milestone(i, None).evidence.to_string(),
                e2e_difference_nanos: None,
                creation_nanos: s.creation.map(|c| c.unix_nanos),
                e2e_explanation: None,
                total_pulling_nanos: s.total_pulling_nanos,
                total_init_nanos: s.total_init_nanos,
                pull_sessions: s.pull_sessions,
                stateful: s.is_stateful,
                pull_window_nanos: s
                    .first_started_pulling
                    .zip(s.last_finished_pulling)
                    .map(|(a, b)| b.unix_nanos - a.unix_nanos),
                sli_difference_nanos: None,
                pulling_difference_nanos: None,
            });
        }
    }
}
