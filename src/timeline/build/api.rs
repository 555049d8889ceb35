//! Stage 1: what the apiserver and the scheduler say about the pod.

use super::{Pod, add_failure, first};
use crate::event::EventKind;
use crate::timeline::{Ms, PodTimeline};

/// requested, created, schedule_attempted and scheduled, the node, and unschedulable failures.
///
/// - requested: the audited `create pods`' `requestReceivedTimestamp` (µs); created: that
///   entry's own time (`stageTimestamp`). Without an audit entry, created falls back to the
///   kubelet's embedded `podCreationTimestamp` (derived); Events and the Pod object fill it
///   later otherwise.
/// - schedule_attempted: the scheduler's first attempt.
/// - scheduled: the audited `pods/binding` create, else the scheduler's "Successfully bound pod
///   to node" (derived: the scheduler's clock, before the apiserver stored it).
/// - node: the binding's target, else the scheduler's.
/// - every "unschedulable" attempt is a failure (resolved by scheduled).
pub(super) fn milestones(p: &Pod<'_>, tl: &mut PodTimeline) {
    let (cx, g, ev) = (&p.cx, p.g, p.cx.events);
    let m = &mut tl.milestones;
    if let Some(i) = first(g, ev, |e| {
        matches!(e.kind, EventKind::AuditPodCreate { .. })
    }) {
        if let EventKind::AuditPodCreate { requested, .. } = &ev[i].kind {
            m.insert(
                Ms::Requested,
                cx.milestone_at(i, requested.unix_nanos, "us", None),
            );
        }
        m.insert(Ms::Created, cx.milestone(i, None));
    }
    let kubelet_created = p.startup.and_then(|i| match &ev[i].kind {
        EventKind::Startup { startup: s, .. } => s.creation.map(|c| (i, c)),
        _ => None,
    });
    if let (false, Some((i, c))) = (m.contains_key(&Ms::Created), kubelet_created) {
        m.insert(
            Ms::Created,
            cx.milestone_at(
                i,
                c.unix_nanos,
                c.precision.as_str(),
                Some("kubelet podCreationTimestamp"),
            ),
        );
    }
    if let Some(i) = first(g, ev, |e| matches!(e.kind, EventKind::SchedAttempt { .. })) {
        m.insert(Ms::ScheduleAttempted, cx.milestone(i, None));
    }
    if let Some(i) = first(g, ev, |e| matches!(e.kind, EventKind::AuditBinding { .. })) {
        m.insert(Ms::Scheduled, cx.milestone(i, None));
        if let EventKind::AuditBinding { node: Some(n), .. } = &ev[i].kind {
            tl.node = Some(n.clone());
        }
    }
    if let Some(i) = first(g, ev, |e| matches!(e.kind, EventKind::SchedBound { .. })) {
        m.entry(Ms::Scheduled).or_insert_with(|| {
            cx.milestone(i, Some("scheduler \"Successfully bound pod to node\""))
        });
        if let (None, EventKind::SchedBound { node: Some(n), .. }) = (&tl.node, &ev[i].kind) {
            tl.node = Some(n.clone());
        }
    }
    for i in g.events.iter().copied() {
        if let EventKind::SchedUnschedulable { reason, .. } = &ev[i].kind {
            add_failure(&mut tl.failures, "unschedulable", reason, cx, i);
        }
    }
}
