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
                                if kind == "ContainerDied" && data == id =>
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
