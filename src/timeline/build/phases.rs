//! Stage 9: the phases, from the milestones the stages found.

use super::Pod;
use crate::event::EventKind;
use crate::timeline::{CONTAINER_PHASES, Ms, PHASES, Phase, PodTimeline};

/// Every phase whose two ends are both known, and startup_sli.
///
/// - per container: image_pull, create, start ([`CONTAINER_PHASES`]);
/// - main path and aggregates ([`PHASES`]): `to − from`, kept even when negative
///   (`honest::review` judges those once the endpoint phases are in too);
/// - startup_sli: startup_e2e minus what the upstream SLI excludes: image pulls and
///   init-container runtime. Those come from the kubelet's "Observed pod startup duration":
///   its `totalImagesPullingTime` and `totalInitContainerRuntime` (≈1.34+), else its pull window
///   (`lastFinishedPulling − firstStartedPulling`, 0 without pulls) plus each init container's
///   start to its PLEG ContainerDied. Missing when any of these is unknown, never guessed.
pub(super) fn compute(p: &Pod<'_>, tl: &mut PodTimeline) {
    let (g, ev) = (p.g, p.cx.events);
    for c in &mut tl.containers {
        for (name, a, b) in CONTAINER_PHASES {
            if let (Some(x), Some(y)) = (c.milestones.get(&a), c.milestones.get(&b)) {
                c.phases.insert(name, y.t - x.t);
            }
        }
    }
    let m = &tl.milestones;
    for (name, a, b) in PHASES {
        if let (Some(x), Some(y)) = (m.get(&a), m.get(&b)) {
            // Negative values are judged (finding, precision, exclusion) by `honest::review`
            // once the endpoint phases are in too.
            tl.phases.insert(name, y.t - x.t);
        }
    }
    // startup_sli = startup_e2e − image pulls − init-container runtime (the upstream SLI).
    if let (Some(e2e), Some(i)) = (tl.phases.get(&Phase::StartupE2e).copied(), p.startup) {
        if let EventKind::Startup { startup: s, .. } = &ev[i].kind {
            // ≈1.34+ logs the excluded times itself; older kubelets log the pull window and
            // podtrace measures init containers from their start to their exit (PLEG ContainerDied).
            let excluded = if let Some(total) = s.total_pulling_nanos {
                Some(total + s.total_init_nanos.unwrap_or(0))
            } else {
                let pulls = match (s.first_started_pulling, s.last_finished_pulling) {
                    (Some(a), Some(b)) => Some(b.unix_nanos - a.unix_nanos),
                    (None, None) => Some(0),
                    _ => None,
                };
                // An init container whose exit is not logged leaves the SLI missing, not wrong.
                let init: Option<i64> = tl
                    .containers
                    .iter()
                    .filter(|c| c.init)
                    .map(|c| {
                        let started = c.milestones.get(&Ms::ContainerStarted)?.t;
                        let id = c.id.as_deref()?;
                        let died = g.events.iter().find_map(|&i| match &ev[i].kind {
                            EventKind::Pleg { kind, data, .. }
                                if &**kind == "ContainerDied" && &**data == id =>
                            {
                                Some(ev[i].t)
                            }
                            _ => None,
                        })?;
                        Some(died - started)
                    })
                    .sum();
                pulls.zip(init).map(|(p, i)| p + i)
            };
            if let Some(x) = excluded {
                tl.phases.insert(Phase::StartupSli, e2e - x);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use podtrace_parsers::time::Precision;

    use super::super::testkit::*;
    use crate::event::{Component, Event, EventKind, KubeletStartup};
    use crate::timeline::{ContainerTimeline, Ms, Phase, PodTimeline};

    fn with(ms: &[(Ms, i64)]) -> PodTimeline {
        let mut tl = PodTimeline::default();
        for &(k, t) in ms {
            tl.milestones
                .insert(k, milestone(t, Component::Kubelet, 1, None));
        }
        tl
    }

    fn startup(s: KubeletStartup) -> Event {
        kubelet(
            at(500),
            1,
            EventKind::Startup {
                pod: pod(),
                startup: Box::new(s),
            },
        )
    }

    fn init_container(started: i64, id: Option<&str>) -> ContainerTimeline {
        let mut c = ContainerTimeline {
            name: "init".into(),
            init: true,
            id: id.map(str::to_owned),
            ..Default::default()
        };
        c.milestones.insert(
            Ms::ContainerStarted,
            milestone(started, Component::Containerd, 2, None),
        );
        c
    }

    /// Each phase is `to − from` where both ends are known, negative ones kept; container
    /// phases per container.
    #[test]
    fn phases_from_both_ends() {
        let f = Fixture::new(vec![kubelet(at(1), 1, EventKind::PodUid { pod: pod() })]);
        let mut tl = with(&[
            (Ms::Requested, at(0) - 1),
            (Ms::Created, at(0)),
            (Ms::Scheduled, at(10) + 5),
            (Ms::KubeletSeen, at(9)),
            (Ms::Running, at(50)),
            (Ms::Ready, at(50)),
        ]);
        let mut c = ContainerTimeline::default();
        for (k, t) in [
            (Ms::PullStarted, at(41)),
            (Ms::PullFinished, at(44) + 3),
            (Ms::CreateStarted, at(45)),
            (Ms::ContainerCreated, at(46)),
        ] {
            c.milestones
                .insert(k, milestone(t, Component::Containerd, 2, None));
        }
        tl.containers.push(c);
        let tl = f.run_on(tl, super::compute);
        let phases: Vec<(Phase, i64)> = tl.phases.iter().map(|(k, v)| (*k, *v)).collect();
        assert_eq!(
            phases,
            [
                (Phase::ApiCreate, 1),
                (Phase::Scheduling, 10_000_005),
                (Phase::KubeletWatch, -1_000_005),
                (Phase::Readiness, 0),
                (Phase::TimeToReady, 50_000_000),
            ]
        );
        let c: Vec<(Phase, i64)> = tl.containers[0]
            .phases
            .iter()
            .map(|(k, v)| (*k, *v))
            .collect();
        assert_eq!(
            c,
            [(Phase::ImagePull, 3_000_003), (Phase::Create, 1_000_000)]
        );
    }

    /// startup_sli with the ≈1.34 figures: e2e − total pulling − total init runtime.
    #[test]
    fn startup_sli_from_the_kubelets_totals() {
        let f = Fixture::new(vec![startup(KubeletStartup {
            total_pulling_nanos: Some(300_000_000),
            total_init_nanos: Some(20_000_000),
            ..Default::default()
        })]);
        let tl = f.run_on(
            with(&[(Ms::Created, at(0)), (Ms::RunningObserved, at(1_000) + 7)]),
            super::compute,
        );
        assert_eq!(tl.phases[&Phase::StartupE2e], 1_000_000_007);
        assert_eq!(tl.phases[&Phase::StartupSli], 680_000_007);
    }

    /// Older kubelets: e2e − the pull window − each init container's start to its PLEG
    /// ContainerDied; missing when an init container's exit is not logged.
    #[test]
    fn startup_sli_from_the_pull_window_and_init_exits() {
        let old = || {
            startup(KubeletStartup {
                first_started_pulling: Some(instant(at(100), Precision::Us)),
                last_finished_pulling: Some(instant(at(400), Precision::Us)),
                ..Default::default()
            })
        };
        let died = kubelet(
            at(450) + 11,
            2,
            EventKind::Pleg {
                pod: pod(),
                kind: "ContainerDied".into(),
                data: "c-init".into(),
            },
        );
        let timeline = |id| {
            let mut tl = with(&[(Ms::Created, at(0)), (Ms::RunningObserved, at(1_000))]);
            tl.containers.push(init_container(at(420), id));
            tl
        };
        let f = Fixture::new(vec![old(), died]);
        let tl = f.run_on(timeline(Some("c-init")), super::compute);
        assert_eq!(
            tl.phases[&Phase::StartupSli],
            1_000_000_000 - 300_000_000 - 30_000_011
        );
        let f = Fixture::new(vec![old()]);
        let tl = f.run_on(timeline(Some("c-init")), super::compute);
        assert!(tl.phases.contains_key(&Phase::StartupE2e));
        assert!(!tl.phases.contains_key(&Phase::StartupSli));
    }
}
