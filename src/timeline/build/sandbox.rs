//! Stage 3: the pod sandbox and its network.

use super::{Pod, add_failure, first};
use crate::event::{CniStep, EventKind};
use crate::timeline::{Ms, PodTimeline};

/// sandbox_started, sandbox_ready, network_started, network_ready, the pod IP from CNI, and
/// failed sandboxes.
///
/// - sandbox_started: the runtime's RunPodSandbox, else the kubelet's "Creating PodSandbox for
///   pod" (derived).
/// - sandbox_ready: the runtime's "RunPodSandbox … returns sandbox id", else the kubelet's first
///   PLEG ContainerStarted for one of the pod's sandboxes (any, when no sandbox id is known;
///   derived).
/// - network_started: the first CNI line of the ADD, or containerd's "begin cni setup"
///   (derived), whichever comes first.
/// - network_ready: the CNI plugin's "Wrote updated endpoint to datastore".
/// - pod IP: the first IPs a CNI plugin assigned.
/// - every failed RunPodSandbox is a "sandbox failed" failure (resolved by sandbox_ready).
pub(super) fn milestones(p: &Pod<'_>, tl: &mut PodTimeline) {
    let (cx, g, ev) = (&p.cx, p.g, p.cx.events);
    let m = &mut tl.milestones;
    if let Some(i) = first(g, ev, |e| matches!(e.kind, EventKind::SandboxStart { .. })) {
        m.insert(Ms::SandboxStarted, cx.milestone(i, None));
    } else if let Some(i) = first(g, ev, |e| {
        matches!(e.kind, EventKind::CreatingSandbox { .. })
    }) {
        m.insert(
            Ms::SandboxStarted,
            cx.milestone(i, Some("kubelet \"Creating PodSandbox for pod\"")),
        );
    }
    let ready_sandbox = first(g, ev, |e| matches!(e.kind, EventKind::SandboxReady { .. }));
    if let Some(i) = ready_sandbox {
        m.insert(Ms::SandboxReady, cx.milestone(i, None));
    } else if let Some(i) = first(
        g,
        ev,
        |e| matches!(&e.kind, EventKind::Pleg { kind, data, .. } if &**kind == "ContainerStarted" && (g.sandbox_ids.is_empty() || g.sandbox_ids.iter().any(|s| **s == **data))),
    ) {
        m.insert(
            Ms::SandboxReady,
            cx.milestone(i, Some("kubelet PLEG ContainerStarted for the sandbox")),
        );
    }
    if let Some(i) = first(g, ev, |e| {
        matches!(e.kind, EventKind::Cni { .. } | EventKind::CniBegin { .. })
    }) {
        let d = matches!(ev[i].kind, EventKind::CniBegin { .. })
            .then_some("containerd \"begin cni setup\"");
        m.insert(Ms::NetworkStarted, cx.milestone(i, d));
    }
    if let Some(i) = first(
        g,
        ev,
        |e| matches!(&e.kind, EventKind::Cni(c) if matches!(c.step, CniStep::EndpointWritten)),
    ) {
        m.insert(Ms::NetworkReady, cx.milestone(i, None));
    }
    for i in g.events.iter().copied() {
        match &ev[i].kind {
            EventKind::Cni(c) if tl.pod_ip.is_none() => {
                if let CniStep::Ips(ips) = &c.step {
                    tl.pod_ip = ips.first().cloned();
                }
            }
            EventKind::SandboxRunFailed { error, .. } => {
                add_failure(&mut tl.failures, "sandbox failed", error, cx, i)
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::event::{CniStep, Component, Event, EventKind};
    use crate::timeline::Ms;

    fn cni(t: i64, line: u32, step: CniStep) -> Event {
        ev(
            t,
            line,
            NODE,
            Component::Cni,
            EventKind::Cni(Box::new(crate::event::CniData {
                plugin: "calico",
                sandbox_id: Some("sb1".into()),
                pod: None,
                step,
            })),
        )
    }

    /// The runtime's RunPodSandbox and its "returns sandbox id", the CNI plugin's first line
    /// and "Wrote updated endpoint"; the pod IP from IPAM; a failed sandbox is a failure.
    #[test]
    fn sandbox_and_network_from_the_runtime_and_cni() {
        let f = Fixture::new(vec![
            containerd(
                at(35),
                1,
                EventKind::SandboxRunFailed {
                    pod: pod(),
                    attempt: 0,
                    error: "failed to setup network".into(),
                },
            ),
            containerd(
                at(40),
                2,
                EventKind::SandboxStart {
                    pod: pod(),
                    attempt: 1,
                },
            ),
            cni(at(41), 3, CniStep::Progress),
            cni(
                at(44),
                4,
                CniStep::Ips(vec!["10.0.0.7".into(), "fd00::7".into()]),
            ),
            cni(at(45), 5, CniStep::EndpointWritten),
            containerd(
                at(50),
                6,
                EventKind::SandboxReady {
                    pod: pod(),
                    attempt: 1,
                    sandbox_id: "sb1".into(),
                },
            ),
        ]);
        let tl = f.run(super::milestones);
        assert_eq!(
            ms(&tl, Ms::SandboxStarted),
            want(at(40), Component::Containerd, 2, None)
        );
        assert_eq!(
            ms(&tl, Ms::SandboxReady),
            want(at(50), Component::Containerd, 6, None)
        );
        assert_eq!(
            ms(&tl, Ms::NetworkStarted),
            want(at(41), Component::Cni, 3, None)
        );
        assert_eq!(
            ms(&tl, Ms::NetworkReady),
            want(at(45), Component::Cni, 5, None)
        );
        assert_eq!(tl.pod_ip.as_deref(), Some("10.0.0.7"));
        let [fail] = tl.failures.as_slice() else {
            panic!("one failure: {:?}", tl.failures)
        };
        assert_eq!(
            (fail.cause.as_str(), fail.message.as_str(), fail.first),
            ("sandbox failed", "failed to setup network", at(35))
        );
    }

    /// Kubelet fallbacks: "Creating PodSandbox" for sandbox_started, the PLEG ContainerStarted
    /// of the sandbox id the kubelet logged (not another container's) for sandbox_ready;
    /// containerd's "begin cni setup" for network_started.
    #[test]
    fn sandbox_from_the_kubelet_and_cni_begin() {
        let f = Fixture::new(vec![
            kubelet(at(39), 1, EventKind::CreatingSandbox { pod: pod() }),
            kubelet(
                at(40),
                2,
                EventKind::CreatedSandbox {
                    pod: pod(),
                    sandbox_id: "sb1".into(),
                },
            ),
            containerd(
                at(41),
                3,
                EventKind::CniBegin {
                    sandbox_id: "sb1".into(),
                },
            ),
            cni(at(42), 4, CniStep::Progress),
            kubelet(
                at(48),
                5,
                EventKind::Pleg {
                    pod: pod(),
                    kind: "ContainerStarted".into(),
                    data: "c-other".into(),
                },
            ),
            kubelet(
                at(50),
                6,
                EventKind::Pleg {
                    pod: pod(),
                    kind: "ContainerStarted".into(),
                    data: "sb1".into(),
                },
            ),
        ]);
        assert_eq!(f.joined.pods[0].sandbox_ids, ["sb1"]);
        let tl = f.run(super::milestones);
        assert_eq!(
            ms(&tl, Ms::SandboxStarted),
            want(
                at(39),
                Component::Kubelet,
                1,
                Some("kubelet \"Creating PodSandbox for pod\"")
            )
        );
        assert_eq!(
            ms(&tl, Ms::SandboxReady),
            want(
                at(50),
                Component::Kubelet,
                6,
                Some("kubelet PLEG ContainerStarted for the sandbox")
            )
        );
        assert_eq!(
            ms(&tl, Ms::NetworkStarted),
            want(
                at(41),
                Component::Containerd,
                3,
                Some("containerd \"begin cni setup\"")
            )
        );
        assert!(!tl.milestones.contains_key(&Ms::NetworkReady));
        assert_eq!(tl.pod_ip, None);
    }

    /// No sandbox id logged anywhere: the first PLEG ContainerStarted is sandbox_ready.
    #[test]
    fn sandbox_ready_from_pleg_without_a_sandbox_id() {
        let f = Fixture::new(vec![
            kubelet(
                at(48),
                1,
                EventKind::Pleg {
                    pod: pod(),
                    kind: "ContainerDied".into(),
                    data: "c0".into(),
                },
            ),
            kubelet(
                at(49),
                2,
                EventKind::Pleg {
                    pod: pod(),
                    kind: "ContainerStarted".into(),
                    data: "whatever".into(),
                },
            ),
        ]);
        assert!(f.joined.pods[0].sandbox_ids.is_empty());
        let tl = f.run(super::milestones);
        assert_eq!(
            ms(&tl, Ms::SandboxReady),
            want(
                at(49),
                Component::Kubelet,
                2,
                Some("kubelet PLEG ContainerStarted for the sandbox")
            )
        );
        assert!(!tl.milestones.contains_key(&Ms::SandboxStarted));
    }
}
