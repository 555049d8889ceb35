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
        |e| matches!(&e.kind, EventKind::Pleg { kind, data, .. } if kind == "ContainerStarted" && (g.sandbox_ids.is_empty() || g.sandbox_ids.contains(data))),
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
    if let Some(i) = first(g, ev, |e| {
        matches!(
            &e.kind,
            EventKind::Cni {
                step: CniStep::EndpointWritten,
                ..
            }
        )
    }) {
        m.insert(Ms::NetworkReady, cx.milestone(i, None));
    }
    for i in g.events.iter().copied() {
        match &ev[i].kind {
            EventKind::Cni {
                step: CniStep::Ips(ips),
                ..
            } if tl.pod_ip.is_none() => tl.pod_ip = ips.first().cloned(),
            EventKind::SandboxRunFailed { error, .. } => {
                add_failure(&mut tl.failures, "sandbox failed", error, cx, i)
            }
            _ => {}
        }
    }
}
