//! Stage 6: a stored Pod object, and the mirror pod of a static pod.

use super::{Pod, container_named};
use crate::event::EventKind;
use crate::timeline::{Ms, PodTimeline, Precision, StaticPod};

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
    let at = |t: i64, why: &str| cx.milestone_at(i, t, Precision::S, Some(why));
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

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::event::{Component, Event, EventKind, PodObject};
    use crate::timeline::{Ms, PodTimeline};

    const S: i64 = 1_000_000_000;
    /// Whole seconds, as Pod objects store times.
    const C: i64 = T0 - T0 % S;

    fn object(t: i64, line: u32, o: PodObject) -> Event {
        let mut e = ev(
            t,
            line,
            "control-plane",
            Component::Apiserver,
            EventKind::PodObject(Box::new(o)),
        );
        e.raw_time = crate::event::RawTime::Abs(instant(t, podtrace_parsers::time::Precision::S));
        e
    }

    fn stored(mirror: Option<&'static str>) -> PodObject {
        PodObject {
            pod: pod(),
            node: Some(NODE.into()),
            pod_ip: Some("10.0.0.7".into()),
            scheduled: Some(C + S),
            ready: Some(C + 5 * S),
            containers: vec![
                ("init".into(), true, Some(C + 2 * S)),
                ("app".into(), false, Some(C + 3 * S)),
                ("waiting".into(), false, None),
            ],
            owner: Some("ReplicaSet/web-7d4b9c6f5".into()),
            mirror,
        }
    }

    /// Everything missing comes from the object, second precision and derived.
    #[test]
    fn pod_object_fills_what_no_line_showed() {
        let f = Fixture::new(vec![object(C, 1, stored(None))]);
        let tl = f.run(super::merge);
        let o = |t, why: &str| want(t, Component::Apiserver, 1, Some(why));
        assert_eq!(ms(&tl, Ms::Created), o(C, "pod object creationTimestamp"));
        assert_eq!(tl.milestones[&Ms::Created].precision.as_str(), "s");
        assert_eq!(
            ms(&tl, Ms::Scheduled),
            o(C + S, "pod object PodScheduled condition")
        );
        assert_eq!(
            ms(&tl, Ms::Ready),
            o(C + 5 * S, "pod object Ready condition")
        );
        let c: Vec<(&str, bool, Option<i64>)> = tl
            .containers
            .iter()
            .map(|c| {
                (
                    c.name.as_str(),
                    c.init,
                    c.milestones.get(&Ms::ContainerStarted).map(|m| m.t),
                )
            })
            .collect();
        assert_eq!(
            c,
            [
                ("init", true, Some(C + 2 * S)),
                ("app", false, Some(C + 3 * S)),
                ("waiting", false, None)
            ]
        );
        assert_eq!(
            seen(&tl.containers[1].milestones[&Ms::ContainerStarted]),
            o(C + 3 * S, "pod object containerStatuses startedAt")
        );
        assert_eq!(tl.node.as_deref(), Some(NODE));
        assert_eq!(tl.pod_ip.as_deref(), Some("10.0.0.7"));
        assert_eq!(tl.owner.as_deref(), Some("ReplicaSet/web-7d4b9c6f5"));
    }

    /// What a line showed stays; a derived ready gives way to the Ready condition; the node and
    /// IP from logs stay.
    #[test]
    fn pod_object_keeps_what_lines_showed() {
        let f = Fixture::new(vec![object(C, 1, stored(None))]);
        let mut tl = PodTimeline {
            node: Some("node-b".into()),
            pod_ip: Some("10.0.0.9".into()),
            ..Default::default()
        };
        let line = |t, l| milestone(t, Component::Audit, l, None);
        tl.milestones.insert(Ms::Created, line(at(0), 50));
        tl.milestones.insert(Ms::Scheduled, line(at(9), 51));
        tl.milestones.insert(
            Ms::Ready,
            milestone(at(99), Component::Kubelet, 52, Some("weaker")),
        );
        let tl = f.run_on(tl, super::merge);
        assert_eq!(
            ms(&tl, Ms::Created),
            want(at(0), Component::Audit, 50, None)
        );
        assert_eq!(
            ms(&tl, Ms::Scheduled),
            want(at(9), Component::Audit, 51, None)
        );
        assert_eq!(
            ms(&tl, Ms::Ready),
            want(
                C + 5 * S,
                Component::Apiserver,
                1,
                Some("pod object Ready condition")
            )
        );
        assert_eq!(
            (tl.node.as_deref(), tl.pod_ip.as_deref()),
            (Some("node-b"), Some("10.0.0.9"))
        );
    }

    /// Mirror pods: the object's sign, else the node's own audited create, else a manifest
    /// hash for a UID; an ordinary pod has none.
    #[test]
    fn mirror_signs() {
        let f = Fixture::new(vec![object(
            C,
            1,
            stored(Some("annotation kubernetes.io/config.mirror")),
        )]);
        let sp = super::mirror_sign(&f.pod()).expect("mirror");
        assert_eq!(
            sp.basis,
            "mirror pod: annotation kubernetes.io/config.mirror (t.log:1)"
        );
        let create = audit(
            at(0),
            2,
            EventKind::AuditPodCreate {
                pod: pod(),
                requested: Some(instant(at(0), podtrace_parsers::time::Precision::Us)),
                user: Some("system:node:node-a".into()),
            },
        );
        let f = Fixture::new(vec![create]);
        let sp = super::mirror_sign(&f.pod()).expect("mirror");
        assert_eq!(
            sp.basis,
            "mirror pod: created by the node's kubelet (system:node:node-a) (t.log:2)"
        );
        let f = Fixture::new(vec![object(C, 1, stored(None))]);
        assert_eq!(super::mirror_sign(&f.pod()), None);
    }
}
