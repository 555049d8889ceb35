//! Stage 8: when the pod became ready, and when the API heard it.

use super::{Pod, first};
use crate::event::EventKind;
use crate::timeline::{Milestone, Ms, PodTimeline};

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
        |e| matches!(&e.kind, EventKind::Probe { probe, status, .. } if probe == "readiness" && status == "ready"),
    ) {
        m.insert(Ms::Ready, cx.milestone(i, None));
    } else if !g
        .events
        .iter()
        .any(|&i| matches!(&ev[i].kind, EventKind::Probe { probe, .. } if probe == "readiness"))
    {
        if let (false, Some(r)) = (m.contains_key(&Ms::Ready), m.get(&Ms::Running).cloned()) {
            m.insert(
                Ms::Ready,
                Milestone {
                    derived: Some("no readiness probe logged: ready when running".into()),
                    ..r
                },
            );
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
            } if tl.pod_ip.is_none() => tl.pod_ip = Some(ip.clone()),
            _ => {}
        }
    }
}
