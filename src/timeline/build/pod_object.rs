//! Stage 6: a stored Pod object, and the mirror pod of a static pod.

use super::{Pod, container_named};
use crate::event::EventKind;
use crate::timeline::{Ms, PodTimeline, StaticPod};

/// A stored Pod object (bundles): second-precision fallbacks (derived) for what no log line
/// showed, from the last object stored for the pod.
///
/// - created: `creationTimestamp`; scheduled: the PodScheduled condition; container_started:
///   `containerStatuses[].state.*.startedAt` (init containers marked): only where missing.
/// - ready: the Ready condition, over a derived ready; [`super::readiness`], later, replaces
///   it with a logged readiness probe but keeps it over its own ready-when-running fallback.
/// - node and pod IP where no log named them; the controller owner always.
pub(super) fn merge(p: &Pod<'_>, tl: &mut PodTimeline) {
    let (cx, g, ev) = (&p.cx, p.g, p.cx.events);
    let m = &mut tl.milestones;
    let Some(i) = g
        .events
        .iter()
        .copied()
        .rev()
        .find(|&i| matches!(ev[i].kind, EventKind::PodObject(_)))
    else {
        return;
    };
    let EventKind::PodObject(o) = &ev[i].kind else {
        return;
    };
    let at = |t: i64, why: &str| cx.milestone_at(i, t, "s", Some(why));
    m.entry(Ms::Created)
        .or_insert_with(|| at(ev[i].t, "pod object creationTimestamp"));
    if let (false, Some(t)) = (m.contains_key(&Ms::Scheduled), o.scheduled) {
        m.insert(Ms::Scheduled, at(t, "pod object PodScheduled condition"));
    }
    if let Some(t) = o.ready {
        let weaker = m.get(&Ms::Ready).is_none_or(|r| r.derived.is_some());
        if weaker {
            m.insert(Ms::Ready, at(t, "pod object Ready condition"));
        }
    }
    for (name, init, started) in &o.containers {
        let c = container_named(tl, name);
        c.init |= *init;
        if let Some(t) = started {
            c.milestones
                .entry(Ms::ContainerStarted)
                .or_insert_with(|| at(*t, "pod object containerStatuses startedAt"));
        }
    }
    if tl.node.is_none() {
        tl.node = o.node.clone();
    }
    if tl.pod_ip.is_none() {
        tl.pod_ip = o.pod_ip.clone();
    }
    tl.owner = o.owner.clone();
}

/// A static pod known from its mirror pod (the API copy the kubelet writes): the pod object's
/// annotations or Node owner, an audited create by the node itself (NodeRestriction lets a node
/// create mirror pods only), or a 32-hex manifest hash as the kubelet's UID for it.
pub(super) fn mirror_sign(p: &Pod<'_>) -> Option<StaticPod> {
    let (cx, g, ev) = (&p.cx, p.g, p.cx.events);
    let found = |i: usize, what: &str| {
        Some(StaticPod {
            basis: format!("mirror pod: {what} ({})", cx.milestone(i, None).evidence),
            heuristic: false,
        })
    };
    for &i in &g.events {
        match &ev[i].kind {
            EventKind::PodObject(o) if o.mirror.is_some() => {
                return found(i, o.mirror.unwrap_or_default());
            }
            EventKind::AuditPodCreate { user: Some(u), .. } if u.starts_with("system:node:") => {
                return found(i, &format!("created by the node's kubelet ({u})"));
            }
            _ => {}
        }
    }
    g.config_hash.as_ref().map(|h| StaticPod {
        basis: format!("the kubelet knows it by a manifest hash ({h}), not by its API UID"),
        heuristic: false,
    })
}
