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
                        o.precision,
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
                    cx.milestone_at(i, w.unix_nanos, w.precision, None),
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

#[cfg(test)]
mod tests {
    use podtrace_parsers::time::{Instant, Precision};

    use super::super::testkit::*;
    use crate::event::{Component, Event, EventKind, KubeletStartup};
    use crate::timeline::{ContainerTimeline, Ms, PodTimeline};

    /// `t` in whole microseconds, as the kubelet writes its embedded times.
    fn us(t: i64) -> i64 {
        t - t % 1_000
    }

    /// "Observed pod startup duration" with its embedded times.
    fn startup() -> Event {
        let us = |t: i64| Some(instant(us(t), Precision::Us));
        kubelet(
            at(200),
            1,
            EventKind::Startup {
                pod: pod(),
                startup: Box::new(KubeletStartup {
                    slo_seconds: Some(1.5),
                    e2e_nanos: Some(2_345_678_000),
                    creation: Some(Instant {
                        unix_nanos: T0 - T0 % 1_000_000_000,
                        precision: Precision::S,
                        offset_secs: 0,
                    }),
                    first_started_pulling: us(at(41)),
                    last_finished_pulling: us(at(44)),
                    observed_running: us(at(150)),
                    watch_observed_running: us(at(160)),
                    ..Default::default()
                }),
            },
        )
    }

    fn container(name: &str, init: bool, started: Option<i64>, line: u32) -> ContainerTimeline {
        let mut c = ContainerTimeline {
            name: name.into(),
            init,
            ..Default::default()
        };
        if let Some(t) = started {
            c.milestones.insert(
                Ms::ContainerStarted,
                milestone(t, Component::Containerd, line, None),
            );
        }
        c
    }

    /// running is the last regular container's start (a later init container's does not
    /// count); running_observed and the figures come from the kubelet's line.
    #[test]
    fn running_from_the_last_regular_container_start() {
        let f = Fixture::new(vec![startup()]);
        let tl = PodTimeline {
            containers: vec![
                container("a", false, Some(at(47)), 10),
                container("b", false, Some(at(52)), 11),
                container("init", true, Some(at(90)), 12),
            ],
            ..Default::default()
        };
        let tl = f.run_on(tl, super::milestones);
        assert_eq!(
            ms(&tl, Ms::Running),
            want(at(52), Component::Containerd, 11, None)
        );
        assert_eq!(
            ms(&tl, Ms::RunningObserved),
            want(us(at(160)), Component::Kubelet, 1, None)
        );
        assert_eq!(tl.milestones[&Ms::RunningObserved].precision.as_str(), "us");
        let k = tl.kubelet.as_ref().expect("figures");
        assert_eq!(k.e2e_nanos, Some(2_345_678_000));
        assert_eq!(k.slo_seconds, Some(1.5));
        assert_eq!(k.evidence, "t.log:1");
        assert_eq!(k.creation_nanos, Some(T0 - T0 % 1_000_000_000));
        assert_eq!(k.pull_window_nanos, Some(3_000_000));
        assert_eq!(k.e2e_difference_nanos, None);
    }

    /// A regular container without a start: running is the kubelet's observedRunningTime,
    /// derived. Without that line, both stay missing.
    #[test]
    fn running_from_observed_running_time() {
        let tl = || PodTimeline {
            containers: vec![
                container("a", false, Some(at(47)), 10),
                container("b", false, None, 11),
            ],
            ..Default::default()
        };
        let f = Fixture::new(vec![startup()]);
        let got = f.run_on(tl(), super::milestones);
        assert_eq!(
            ms(&got, Ms::Running),
            want(
                us(at(150)),
                Component::Kubelet,
                1,
                Some("kubelet observedRunningTime")
            )
        );
        let f = Fixture::new(vec![kubelet(at(1), 1, EventKind::PodUid { pod: pod() })]);
        let got = f.run_on(tl(), super::milestones);
        assert!(got.milestones.is_empty());
        assert!(got.kubelet.is_none());
    }
}
