//! Stage 8: when the pod became ready, and when the API heard it.

use super::{Pod, first};
use crate::event::EventKind;
use crate::timeline::{Milestone, Ms, PodTimeline};

/// Is `fine` a finer time that lies within `coarse`'s precision (`coarse` is `fine` truncated to
/// its precision)?
fn within_precision(coarse: &Milestone, fine: &Milestone) -> bool {
    let unit = coarse.precision.nanos();
    unit > fine.precision.nanos() && fine.t.div_euclid(unit) * unit == coarse.t
}

/// ready, ready_reported, and the pod IP from status writes.
///
/// - ready: the kubelet's first readiness probe that reported `ready`, replacing any fallback
///   the stages before found (the Pod object's Ready condition). Where no readiness probe is
///   logged at all, and no stage gave a ready, ready is running (derived: a pod without a
///   readiness probe is ready when it runs). A probe logged but never ready leaves it missing.
/// - ready_reported: the first audited `pods/status` patch with Ready true, else the kubelet's
///   status manager writing Ready true (derived: the kubelet's time, not the apiserver's).
/// - pod IP: the first status write (audit or kubelet) naming one, where CNI and the Pod object
///   named none.
///
/// Reads running: runs after [`super::running`].
pub(super) fn milestones(p: &Pod<'_>, tl: &mut PodTimeline) {
    let (cx, g, ev) = (&p.cx, p.g, p.cx.events);
    let m = &mut tl.milestones;
    if let Some(i) = first(
        g,
        ev,
        |e| matches!(&e.kind, EventKind::Probe { probe, status, .. } if &**probe == "readiness" && &**status == "ready"),
    ) {
        m.insert(Ms::Ready, cx.milestone(i, None));
    } else if !g
        .events
        .iter()
        .any(|&i| matches!(&ev[i].kind, EventKind::Probe { probe, .. } if &**probe == "readiness"))
    {
        if let Some(r) = m.get(&Ms::Running).cloned() {
            match m.get(&Ms::Ready) {
                None => {
                    m.insert(
                        Ms::Ready,
                        Milestone {
                            derived: Some("no readiness probe logged: ready when running".into()),
                            ..r
                        },
                    );
                }
                // A coarser ready (the Pod object's Ready condition, whole seconds) that
                // running's finer time lies within: running says when, to its own precision,
                // and the condition agrees. A coarser source never overrides a finer one within
                // its precision (the condition's 10:15:05 used to make readiness -41.583 ms).
                Some(c) if within_precision(c, &r) => {
                    let why = format!(
                        "no readiness probe logged: ready when running (the {}, to {}, agrees)",
                        c.derived.as_deref().unwrap_or("coarser ready"),
                        c.precision
                    );
                    m.insert(
                        Ms::Ready,
                        Milestone {
                            derived: Some(why.into()),
                            ..r
                        },
                    );
                }
                Some(_) => {}
            }
        }
    }
    if let Some(i) = first(g, ev, |e| {
        matches!(
            e.kind,
            EventKind::AuditStatusPatch {
                ready: Some(true),
                ..
            }
        )
    }) {
        m.insert(Ms::ReadyReported, cx.milestone(i, None));
    } else if let Some(i) = first(g, ev, |e| {
        matches!(
            e.kind,
            EventKind::KubeletStatus {
                ready: Some(true),
                ..
            }
        )
    }) {
        m.insert(
            Ms::ReadyReported,
            cx.milestone(
                i,
                Some("kubelet status manager (the kubelet's time, not the apiserver's)"),
            ),
        );
    }
    for i in g.events.iter().copied() {
        match &ev[i].kind {
            EventKind::AuditStatusPatch {
                pod_ip: Some(ip), ..
            }
            | EventKind::KubeletStatus {
                pod_ip: Some(ip), ..
            } if tl.pod_ip.is_none() => tl.pod_ip = Some(ip.to_string()),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::event::{Component, Event, EventKind};
    use crate::timeline::{Ms, PodTimeline};

    fn probe(t: i64, line: u32, probe: &str, status: &str) -> Event {
        kubelet(
            t,
            line,
            EventKind::Probe {
                pod: pod(),
                probe: probe.into(),
                status: status.into(),
            },
        )
    }

    /// No readiness probe logged, and the Pod object's Ready condition (whole seconds) is the
    /// second running lies in: running's nanoseconds win, and say that the condition agrees. A
    /// condition a second later than running is a later ready and stays.
    #[test]
    fn a_coarser_ready_never_overrides_a_finer_running_within_its_precision() {
        let f = Fixture::new(vec![probe(at(60), 1, "liveness", "success")]);
        let condition = |t| crate::timeline::Milestone {
            precision: crate::timeline::Precision::S,
            ..milestone(
                t,
                Component::Apiserver,
                41,
                Some("pod object Ready condition"),
            )
        };
        let second = at(50).div_euclid(1_000_000_000) * 1_000_000_000;
        let mut tl = running();
        tl.milestones.insert(Ms::Ready, condition(second));
        let tl = f.run_on(tl, super::milestones);
        assert_eq!(
            ms(&tl, Ms::Ready),
            want(
                at(50),
                Component::Containerd,
                40,
                Some(
                    "no readiness probe logged: ready when running (the pod object Ready condition, to s, agrees)"
                )
            )
        );
        let mut tl = running();
        tl.milestones
            .insert(Ms::Ready, condition(second + 1_000_000_000));
        let tl = f.run_on(tl, super::milestones);
        assert_eq!(
            ms(&tl, Ms::Ready),
            want(
                second + 1_000_000_000,
                Component::Apiserver,
                41,
                Some("pod object Ready condition")
            )
        );
    }

    /// A running pod, with a Pod object's ready as the stages before would leave it.
    fn running() -> PodTimeline {
        let mut tl = PodTimeline::default();
        tl.milestones.insert(
            Ms::Running,
            milestone(at(50), Component::Containerd, 40, None),
        );
        tl
    }

    /// The first ready readiness probe is ready, over a Pod object's; the audited status patch
    /// with Ready true is ready_reported; the first status naming an IP gives it.
    #[test]
    fn ready_from_the_probe_and_reported_by_audit() {
        let f = Fixture::new(vec![
            probe(at(60), 1, "readiness", "failure"),
            probe(at(70), 2, "readiness", "ready"),
            audit(
                at(71),
                3,
                EventKind::AuditStatusPatch {
                    pod: pod(),
                    user: None,
                    ready: Some(false),
                    pod_ip: Some("10.0.0.7".into()),
                },
            ),
            kubelet(
                at(72),
                4,
                EventKind::KubeletStatus {
                    pod: pod(),
                    patched: true,
                    ready: Some(true),
                    pod_ip: Some("10.0.0.8".into()),
                },
            ),
            audit(
                at(73),
                5,
                EventKind::AuditStatusPatch {
                    pod: pod(),
                    user: None,
                    ready: Some(true),
                    pod_ip: None,
                },
            ),
        ]);
        let mut tl = running();
        tl.milestones.insert(
            Ms::Ready,
            milestone(
                at(69),
                Component::Apiserver,
                41,
                Some("pod object Ready condition"),
            ),
        );
        let tl = f.run_on(tl, super::milestones);
        assert_eq!(
            ms(&tl, Ms::Ready),
            want(at(70), Component::Kubelet, 2, None)
        );
        assert_eq!(
            ms(&tl, Ms::ReadyReported),
            want(at(73), Component::Audit, 5, None)
        );
        assert_eq!(tl.pod_ip.as_deref(), Some("10.0.0.7"));
    }

    /// No readiness probe logged: ready is running, derived; ready_reported from the kubelet's
    /// status manager, derived.
    #[test]
    fn ready_when_running_and_reported_by_the_kubelet() {
        let f = Fixture::new(vec![
            probe(at(60), 1, "liveness", "success"),
            kubelet(
                at(72),
                2,
                EventKind::KubeletStatus {
                    pod: pod(),
                    patched: true,
                    ready: Some(true),
                    pod_ip: None,
                },
            ),
        ]);
        let tl = f.run_on(running(), super::milestones);
        assert_eq!(
            ms(&tl, Ms::Ready),
            want(
                at(50),
                Component::Containerd,
                40,
                Some("no readiness probe logged: ready when running")
            )
        );
        assert_eq!(
            ms(&tl, Ms::ReadyReported),
            want(
                at(72),
                Component::Kubelet,
                2,
                Some("kubelet status manager (the kubelet's time, not the apiserver's)")
            )
        );
    }

    /// A Pod object's ready stays over ready-when-running; a readiness probe that never
    /// passed leaves ready missing.
    #[test]
    fn no_ready_guessed_over_better_or_contrary_evidence() {
        let f = Fixture::new(vec![kubelet(at(1), 1, EventKind::PodUid { pod: pod() })]);
        let mut tl = running();
        let object = milestone(at(69), Component::Apiserver, 41, Some("pod object"));
        tl.milestones.insert(Ms::Ready, object.clone());
        let tl = f.run_on(tl, super::milestones);
        assert_eq!(tl.milestones[&Ms::Ready], object);
        let f = Fixture::new(vec![probe(at(60), 1, "readiness", "failure")]);
        let tl = f.run_on(running(), super::milestones);
        assert!(!tl.milestones.contains_key(&Ms::Ready));
        assert!(!tl.milestones.contains_key(&Ms::ReadyReported));
    }
}
