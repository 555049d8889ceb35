//! Stage 2: when the kubelet took the pod up, and its volumes.

use super::{Pod, first, last};
use crate::event::{Component, Event, EventKind, SyncOp};
use crate::timeline::{Ms, PodTimeline, StaticPod};

/// kubelet_seen (and whether the pod is static), the node where no API source named it, the
/// pod's volumes and volumes_ready.
///
/// - kubelet_seen, first match of:
///   1. "SyncLoop ADD" from a manifest (`source="file"` or `"http"`): the pod is static, and
///      this is where its main path starts (PHASES.md "Static pods");
///   2. "SyncLoop ADD" `source="api"`;
///   3. "SyncLoop ADD" from any other source (derived);
///   4. the first kubelet line naming the pod (derived), unless it comes after the runtime's
///      RunPodSandbox: then the log is filtered, and kubelet_seen stays missing.
/// - node: the host of the first kubelet or containerd line, when the API stage found none.
/// - volumes: name → plugin from "MountVolume.SetUp succeeded", CSI NodePublishVolume where
///   the kubelet did not name one (`kubernetes.io/csi`).
/// - volumes_ready: the kubelet's "All volumes are attached and mounted for pod", else the
///   last "MountVolume.SetUp succeeded" (derived), else the last CSI NodePublishVolume
///   (derived).
pub(super) fn milestones(p: &Pod<'_>, tl: &mut PodTimeline) {
    let (cx, g, ev) = (&p.cx, p.g, p.cx.events);
    let m = &mut tl.milestones;
    let is_kubelet = |e: &Event| e.component == Component::Kubelet;
    // A static pod: the kubelet read its manifest (`source="file"`, or `"http"` for a manifest
    // URL). That is where its main path starts (PHASES.md "Static pods"), before any API ADD of
    // its mirror pod.
    let manifest = first(
        g,
        ev,
        |e| matches!(&e.kind, EventKind::SyncLoop { op: SyncOp::Add, source, .. } if source == "file" || source == "http"),
    );
    if let Some(i) = manifest {
        let seen = cx.milestone(i, None);
        let source = match &ev[i].kind {
            EventKind::SyncLoop { source, .. } => source.as_str(),
            _ => "file",
        };
        tl.static_pod = Some(StaticPod {
            basis: format!(
                "the kubelet read its manifest: \"SyncLoop ADD\" source=\"{source}\" ({})",
                seen.evidence
            ),
            heuristic: false,
        });
        m.insert(Ms::KubeletSeen, seen);
    } else if let Some(i) = first(
        g,
        ev,
        |e| matches!(&e.kind, EventKind::SyncLoop { op: SyncOp::Add, source, .. } if source == "api"),
    ) {
        m.insert(Ms::KubeletSeen, cx.milestone(i, None));
    } else if let Some(i) = first(g, ev, |e| {
        matches!(
            &e.kind,
            EventKind::SyncLoop {
                op: SyncOp::Add,
                ..
            }
        )
    }) {
        m.insert(
            Ms::KubeletSeen,
            cx.milestone(i, Some("SyncLoop ADD from a non-API source")),
        );
    } else if let Some(i) = first(g, ev, is_kubelet) {
        // The runtime only starts a sandbox the kubelet asked for: a "first kubelet line" later
        // than that is a filtered log, not the moment the kubelet saw the pod. Missing instead.
        let sandbox_start =
            first(g, ev, |e| matches!(e.kind, EventKind::SandboxStart { .. })).map(|s| ev[s].t);
        if sandbox_start.is_none_or(|s| ev[i].t <= s) {
            m.insert(
                Ms::KubeletSeen,
                cx.milestone(i, Some("first kubelet line naming the pod")),
            );
        }
    }
    if tl.node.is_none() {
        tl.node = first(g, ev, |e| {
            matches!(e.component, Component::Kubelet | Component::Containerd)
        })
        .and_then(|i| ev[i].host.as_deref().map(str::to_owned));
    }
    for &i in &g.events {
        match &ev[i].kind {
            EventKind::VolumeMounted {
                volume,
                plugin: Some(plugin),
                ..
            } => {
                tl.volumes.insert(volume.clone(), plugin.clone());
            }
            EventKind::CsiPublished { volume, .. } => {
                tl.volumes
                    .entry(volume.clone())
                    .or_insert_with(|| "kubernetes.io/csi".to_owned());
            }
            _ => {}
        }
    }
    if let Some(i) = first(g, ev, |e| matches!(e.kind, EventKind::VolumesReady { .. })) {
        m.insert(Ms::VolumesReady, cx.milestone(i, None));
    } else if let Some(i) = last(g, ev, |e| matches!(e.kind, EventKind::VolumeMounted { .. })) {
        m.insert(
            Ms::VolumesReady,
            cx.milestone(i, Some("last \"MountVolume.SetUp succeeded\" for the pod")),
        );
    }
    if let (false, Some(i)) = (
        m.contains_key(&Ms::VolumesReady),
        last(g, ev, |e| matches!(e.kind, EventKind::CsiPublished { .. })),
    ) {
        m.insert(
            Ms::VolumesReady,
            cx.milestone(i, Some("CSI node plugin NodePublishVolume completion")),
        );
    }
}
