//! Stage 1: what the apiserver and the scheduler say about the pod.

use super::{Pod, add_failure, first};
use crate::event::EventKind;
use crate::timeline::{Ms, PodTimeline, Precision};

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
        if let EventKind::AuditPodCreate {
            requested: Some(requested),
            ..
        } = &ev[i].kind
        {
            m.insert(
                Ms::Requested,
                cx.milestone_at(i, requested.unix_nanos, Precision::Us, None),
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
                c.precision,
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

#[cfg(test)]
mod tests {
    use podtrace_parsers::time::Precision;

    use super::super::testkit::*;
    use crate::event::{Component, EventKind, KubeletStartup};
    use crate::timeline::Ms;

    fn scheduler(t: i64, line: u32, kind: EventKind) -> crate::event::Event {
        ev(t, line, "control-plane", Component::Scheduler, kind)
    }

    /// The audit log gives requested (its µs requestReceivedTimestamp), created and scheduled;
    /// the binding's node wins over the scheduler's.
    #[test]
    fn api_milestones_from_audit() {
        let requested = at(0) - 456_789; // whole microseconds
        let f = Fixture::new(vec![
            audit(
                at(3),
                1,
                EventKind::AuditPodCreate {
                    pod: pod(),
                    requested: Some(instant(requested, Precision::Us)),
                    user: None,
                },
            ),
            scheduler(at(5), 2, EventKind::SchedAttempt { pod: pod_by_name() }),
            scheduler(
                at(9),
                3,
                EventKind::SchedBound {
                    pod: pod_by_name(),
                    node: Some("node-b".into()),
                },
            ),
            audit(
                at(10),
                4,
                EventKind::AuditBinding {
                    pod: pod(),
                    node: Some(NODE.into()),
                },
            ),
        ]);
        let tl = f.run(super::milestones);
        assert_eq!(
            ms(&tl, Ms::Requested),
            want(requested, Component::Audit, 1, None)
        );
        assert_eq!(tl.milestones[&Ms::Requested].precision.as_str(), "us");
        assert_eq!(ms(&tl, Ms::Created), want(at(3), Component::Audit, 1, None));
        assert_eq!(tl.milestones[&Ms::Created].precision.as_str(), "ns");
        assert_eq!(
            ms(&tl, Ms::ScheduleAttempted),
            want(at(5), Component::Scheduler, 2, None)
        );
        assert_eq!(
            ms(&tl, Ms::Scheduled),
            want(at(10), Component::Audit, 4, None)
        );
        assert_eq!(tl.node.as_deref(), Some(NODE));
        assert!(tl.failures.is_empty());
    }

    /// Without audit: created from the kubelet's podCreationTimestamp, scheduled and the node
    /// from the scheduler's bind, both derived; repeated unschedulable attempts fold into one
    /// failure.
    #[test]
    fn api_fallbacks_without_audit() {
        let creation = at(0) - 123_456_789; // whole seconds
        let f = Fixture::new(vec![
            scheduler(
                at(1),
                1,
                EventKind::SchedUnschedulable {
                    pod: pod_by_name(),
                    reason: "0/3 nodes are available".into(),
                },
            ),
            scheduler(
                at(4),
                2,
                EventKind::SchedUnschedulable {
                    pod: pod_by_name(),
                    reason: "0/3 nodes are available".into(),
                },
            ),
            scheduler(
                at(9),
                3,
                EventKind::SchedBound {
                    pod: pod_by_name(),
                    node: Some("node-b".into()),
                },
            ),
            kubelet(
                at(900),
                4,
                EventKind::Startup {
                    pod: pod(),
                    startup: Box::new(KubeletStartup {
                        creation: Some(instant(creation, Precision::S)),
                        ..Default::default()
                    }),
                },
            ),
        ]);
        let tl = f.run(super::milestones);
        assert!(!tl.milestones.contains_key(&Ms::Requested));
        assert_eq!(
            ms(&tl, Ms::Created),
            want(
                creation,
                Component::Kubelet,
                4,
                Some("kubelet podCreationTimestamp")
            )
        );
        assert_eq!(tl.milestones[&Ms::Created].precision.as_str(), "s");
        assert_eq!(
            ms(&tl, Ms::Scheduled),
            want(
                at(9),
                Component::Scheduler,
                3,
                Some("scheduler \"Successfully bound pod to node\"")
            )
        );
        assert_eq!(tl.node.as_deref(), Some("node-b"));
        let [fail] = tl.failures.as_slice() else {
            panic!("one failure: {:?}", tl.failures)
        };
        assert_eq!(
            (fail.cause.as_str(), fail.message.as_str(), fail.count),
            ("unschedulable", "0/3 nodes are available", 2)
        );
        assert_eq!((fail.first, fail.last), (at(1), at(4)));
        assert_eq!(fail.evidence, "t.log:1");
    }
}
