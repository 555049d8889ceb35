//! After the pod's own stages: how its endpoint reached the Services' consumers (kube-proxy on
//! every node, ingress-nginx), and every Service's EndpointSlice history.

use std::collections::BTreeMap;

use super::index::{EndpointIndex, ProxyIndex};
use super::{Ctx, Display};
use crate::event::{Event, EventKind};
use crate::timeline::join::Joined;
use crate::timeline::{Ms, Phase, PodTimeline};

/// endpoints_updated, programmed_first, programmed_last, each node's programming, the pod's
/// Services, and the endpoints, programming and time_to_serving phases.
///
/// - endpoints_updated: the first EndpointSlice write listing the pod as ready (by UID; by IP
///   for addresses or pods without one), else the first legacy Endpoints write (derived).
/// - per node whose kube-proxy logged anything: the completion of the first sync that started
///   at or after the write (where starts are not logged, the first completion after it); a node
///   with no such sync, or whose logs begin more than 1 s after the write, is listed missing.
/// - programmed_first: the earliest node; programmed_last (and the programming and
///   time_to_serving phases) only when no node is missing, since then the last node is not
///   the end of programming.
/// - endpoints phase: ready_reported to endpoints_updated.
///
/// Runs after [`super::build`]: reads ready_reported, requested and the pod IP.
pub(super) fn propagate(
    cx: &Ctx<'_>,
    eps: &EndpointIndex,
    proxy: &ProxyIndex,
    tl: &mut PodTimeline,
) {
    let ev = cx.events;
    let Some(listed) = eps.lookup(ev, tl.uid.as_deref(), tl.pod_ip.as_deref()) else {
        return;
    };
    tl.services = listed.services.iter().cloned().collect();
    let (idx, derived) = match (listed.first_slice, listed.first_any) {
        (Some(i), _) => (i, None),
        (None, Some(i)) => (
            i,
            Some("legacy Endpoints write (no EndpointSlice write seen)"),
        ),
        (None, None) => return,
    };
    let written = cx.milestone(idx, derived);
    let t0 = written.t;
    tl.milestones.insert(Ms::EndpointsUpdated, written);
    if let Some(r) = tl.milestones.get(&Ms::ReadyReported) {
        tl.phases.insert(Phase::Endpoints, t0 - r.t);
    }
    // Every node whose kube-proxy wrote anything is expected to program the endpoint. The first
    // sync that *started* after the write carries it (one already running read the old state);
    // where starts are not logged, the first completion after the write.
    for (node, n) in &proxy.nodes {
        match n.sync_carrying(t0) {
            Ok(Some(i)) => {
                tl.programmed.insert(node.clone(), cx.milestone(i, None));
            }
            Ok(None) => tl.programmed_missing.push(node.to_string()),
            Err(why) => tl.programmed_missing.push(format!("{node} ({why})")),
        }
    }
    let first = tl.programmed.values().min_by_key(|m| m.t).cloned();
    let last = tl.programmed.values().max_by_key(|m| m.t).cloned();
    if let (Some(f), Some(l)) = (first, last) {
        // With nodes still missing, the last node's time is not the end of programming.
        let complete = tl.programmed_missing.is_empty();
        tl.milestones.insert(Ms::ProgrammedFirst, f);
        if complete {
            tl.phases.insert(Phase::Programming, l.t - t0);
            if let Some(r) = tl.milestones.get(&Ms::Requested) {
                tl.phases.insert(Phase::TimeToServing, l.t - r.t);
            }
            tl.milestones.insert(Ms::ProgrammedLast, l);
        }
    }
}

/// Other consumers of the endpoint: for each ingress-nginx controller, its first reload or
/// dynamic reconfiguration at or after endpoints_updated. Its lines name no Service, so this is
/// "the next one", marked derived. Runs after [`propagate`].
pub(super) fn consumers(cx: &Ctx<'_>, ingress: &[usize], tl: &mut PodTimeline) {
    let Some(t0) = tl.milestones.get(&Ms::EndpointsUpdated).map(|m| m.t) else {
        return;
    };
    for &i in ingress {
        let e = &cx.events[i];
        let done = matches!(
            e.kind,
            EventKind::IngressReload {
                step: crate::event::IngressStep::Reloaded
                    | crate::event::IngressStep::DynamicReconfigured
            }
        );
        if done && e.t >= t0 {
            let key = format!("ingress-nginx@{}", e.host.as_deref().unwrap_or("unknown"));
            tl.consumers
                .entry(key)
                .or_insert_with(|| cx.milestone(i, Some("first ingress-nginx reconfiguration after the write (its lines name no Service)")));
        }
    }
}

/// One EndpointSlice (or Endpoints) change of a Service, and its propagation to every node.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct ServiceChange {
    /// When the apiserver stored it (UTC ns).
    pub t: i64,
    pub object: String,
    pub verb: String,
    pub evidence: String,
    /// Ready endpoints it listed (`namespace/pod`, or the IP where no pod is named).
    pub ready: Vec<String>,
    pub not_ready: usize,
    /// `endpoints.kubernetes.io/last-change-trigger-time`, UTC ns.
    pub trigger_time: Option<i64>,
    /// Node → nanoseconds from the write to that node's kube-proxy finishing the sync carrying it.
    pub programmed: BTreeMap<String, i64>,
    /// Nodes with kube-proxy logs but no sync after the write.
    pub not_programmed: Vec<String>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct ServiceView {
    pub service: String,
    pub changes: Vec<ServiceChange>,
}

/// Every Service's EndpointSlice history with per-node programming delays.
pub fn services(events: &[Event], joined: &Joined, display: Display<'_>) -> Vec<ServiceView> {
    let proxy = ProxyIndex::new(events, &joined.proxy);
    let mut by_service: BTreeMap<String, Vec<ServiceChange>> = BTreeMap::new();
    for &i in &joined.endpoint_writes {
        let e = &events[i];
        let EventKind::EndpointsWrite(w) = &e.kind else {
            continue;
        };
        let crate::event::EndpointsWriteData {
            service,
            object,
            verb,
            endpoints,
            trigger_time,
        } = &**w;
        let mut ready: Vec<String> = endpoints
            .iter()
            .filter(|a| a.ready)
            .map(|a| {
                a.pod
                    .as_ref()
                    .map_or(a.ip.clone(), |p| format!("{}/{}", p.namespace, p.name))
            })
            .collect();
        ready.sort();
        let mut change = ServiceChange {
            t: e.t,
            object: object.clone(),
            verb: verb.clone(),
            evidence: display(e.evidence.file, e.evidence.line),
            ready,
            not_ready: endpoints.iter().filter(|a| !a.ready).count(),
            trigger_time: *trigger_time,
            programmed: BTreeMap::new(),
            not_programmed: Vec::new(),
        };
        for (node, n) in &proxy.nodes {
            match n.sync_carrying(e.t) {
                Ok(Some(d)) => {
                    change
                        .programmed
                        .insert(node.to_string(), events[d].t - e.t);
                }
                Ok(None) => change.not_programmed.push(node.to_string()),
                Err(why) => change.not_programmed.push(format!("{node} ({why})")),
            }
        }
        by_service.entry(service.clone()).or_default().push(change);
    }
    by_service
        .into_iter()
        .map(|(service, changes)| ServiceView { service, changes })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::index::{EndpointIndex, ProxyIndex};
    use super::super::testkit::*;
    use crate::event::{Component, EndpointAddr, Event, EventKind, IngressStep};
    use crate::timeline::{Ms, Phase, PodTimeline};

    fn write(t: i64, line: u32, object: &str, uid: Option<&str>) -> Event {
        audit(
            t,
            line,
            EventKind::EndpointsWrite(Box::new(crate::event::EndpointsWriteData {
                service: "default/web".into(),
                object: object.into(),
                verb: "update".into(),
                endpoints: vec![EndpointAddr {
                    ip: "10.0.0.7".into(),
                    ready: true,
                    pod: Some(pod_by_name().with_uid(uid)),
                    node: Some(NODE.into()),
                }],
                trigger_time: None,
            })),
        )
    }

    fn sync(t: i64, line: u32, node: &str, done: bool) -> Event {
        ev(
            t,
            line,
            node,
            Component::KubeProxy,
            EventKind::ProxySync {
                done,
                mode: "iptables",
                elapsed_nanos: None,
            },
        )
    }

    /// A ready running pod, as the stages leave it.
    fn served() -> PodTimeline {
        let mut tl = PodTimeline {
            uid: Some(UID.into()),
            pod_ip: Some("10.0.0.7".into()),
            ..Default::default()
        };
        tl.milestones
            .insert(Ms::Requested, milestone(at(0), Component::Audit, 90, None));
        tl.milestones.insert(
            Ms::ReadyReported,
            milestone(at(90), Component::Audit, 91, None),
        );
        tl
    }

    /// Runs propagate then consumers on `served()` with the run's shared evidence.
    fn run(events: Vec<Event>) -> PodTimeline {
        let f = Fixture::new(events);
        let cx = f.cx();
        let eps = EndpointIndex::new(&f.events, &f.joined.endpoint_writes);
        let proxy = ProxyIndex::new(&f.events, &f.joined.proxy);
        let mut tl = served();
        super::propagate(&cx, &eps, &proxy, &mut tl);
        super::consumers(&cx, &f.joined.ingress, &mut tl);
        tl
    }

    /// The first EndpointSlice write listing the pod's UID; on each node the first sync that
    /// started after it (one already running does not count); programming complete, so
    /// programmed_last and the phases up to serving.
    #[test]
    fn endpoints_and_programming_on_every_node() {
        let tl = run(vec![
            sync(at(0), 1, NODE, false),
            sync(at(0), 2, "node-b", false),
            sync(at(99), 3, NODE, false),
            write(at(100), 4, "EndpointSlice/web-abc", Some(UID)),
            sync(at(101), 5, NODE, true),
            sync(at(102), 6, NODE, false),
            sync(at(103), 7, "node-b", false),
            sync(at(110) + 1, 8, NODE, true),
            sync(at(120), 9, "node-b", true),
            ev(
                at(130),
                10,
                "ingress-0",
                Component::IngressNginx,
                EventKind::IngressReload {
                    step: IngressStep::DynamicReconfigured,
                },
            ),
        ]);
        assert_eq!(
            ms(&tl, Ms::EndpointsUpdated),
            want(at(100), Component::Audit, 4, None)
        );
        assert_eq!(tl.services, ["default/web"]);
        let programmed: Vec<(&str, i64, String)> = tl
            .programmed
            .iter()
            .map(|(n, m)| (&**n, m.t, m.evidence.to_string()))
            .collect();
        assert_eq!(
            programmed,
            [
                (NODE, at(110) + 1, "t.log:8".to_owned()),
                ("node-b", at(120), "t.log:9".to_owned())
            ]
        );
        assert!(tl.programmed_missing.is_empty());
        assert_eq!(
            ms(&tl, Ms::ProgrammedFirst),
            want(at(110) + 1, Component::KubeProxy, 8, None)
        );
        assert_eq!(
            ms(&tl, Ms::ProgrammedLast),
            want(at(120), Component::KubeProxy, 9, None)
        );
        assert_eq!(tl.phases[&Phase::Endpoints], 10_000_000);
        assert_eq!(tl.phases[&Phase::Programming], 20_000_000);
        assert_eq!(tl.phases[&Phase::TimeToServing], 120_000_000);
        assert_eq!(
            seen(tl.consumers.get("ingress-nginx@ingress-0").unwrap()),
            want(
                at(130),
                Component::IngressNginx,
                10,
                Some(
                    "first ingress-nginx reconfiguration after the write (its lines name no Service)"
                )
            )
        );
    }

    /// Only a legacy Endpoints write, matched by IP (no UID in it): endpoints_updated derived.
    /// A node whose logs start over 1 s after the write, and one with no sync after it, are
    /// missing: programmed_first only, no programmed_last nor programming phase.
    #[test]
    fn legacy_endpoints_and_nodes_missing() {
        let tl = run(vec![
            sync(at(0), 1, "node-c", true),
            write(at(100), 3, "Endpoints/web", None),
            sync(at(101), 2, NODE, false),
            sync(at(105), 4, NODE, true),
            sync(at(1_200), 5, "node-b", true),
        ]);
        assert_eq!(
            ms(&tl, Ms::EndpointsUpdated),
            want(
                at(100),
                Component::Audit,
                3,
                Some("legacy Endpoints write (no EndpointSlice write seen)")
            )
        );
        assert_eq!(
            tl.programmed.keys().map(|n| &**n).collect::<Vec<_>>(),
            [NODE]
        );
        assert_eq!(tl.programmed.get(NODE).unwrap().t, at(105));
        assert_eq!(
            tl.programmed_missing,
            [
                "node-b (its kube-proxy logs start after the write)",
                "node-c"
            ]
        );
        assert_eq!(
            ms(&tl, Ms::ProgrammedFirst),
            want(at(105), Component::KubeProxy, 4, None)
        );
        assert!(!tl.milestones.contains_key(&Ms::ProgrammedLast));
        assert!(!tl.phases.contains_key(&Phase::Programming));
        assert!(!tl.phases.contains_key(&Phase::TimeToServing));
        assert_eq!(tl.phases[&Phase::Endpoints], 10_000_000);
        assert!(tl.consumers.is_empty());
    }
}
