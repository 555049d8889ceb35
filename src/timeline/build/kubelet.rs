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
        |e| matches!(&e.kind, EventKind::SyncLoop { op: SyncOp::Add, source, .. } if &**source == "file" || &**source == "http"),
    );
    if let Some(i) = manifest {
        let seen = cx.milestone(i, None);
        let source = match &ev[i].kind {
            EventKind::SyncLoop { source, .. } => &**source,
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
        |e| matches!(&e.kind, EventKind::SyncLoop { op: SyncOp::Add, source, .. } if &**source == "api"),
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
                tl.volumes.insert(volume.to_string(), plugin.to_string());
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

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::event::{Component, EventKind, SyncOp};
    use crate::timeline::Ms;

    fn sync_add(t: i64, line: u32, source: &str) -> crate::event::Event {
        kubelet(
            t,
            line,
            EventKind::SyncLoop {
                op: SyncOp::Add,
                source: source.into(),
                pods: Box::new([pod()]),
            },
        )
    }

    fn mounted(t: i64, line: u32, volume: &str, plugin: Option<&str>) -> crate::event::Event {
        kubelet(
            t,
            line,
            EventKind::VolumeMounted {
                pod: pod(),
                volume: volume.into(),
                plugin: plugin.map(Into::into),
            },
        )
    }

    fn csi(t: i64, line: u32, volume: &str) -> crate::event::Event {
        ev(
            t,
            line,
            NODE,
            Component::Csi,
            EventKind::CsiPublished {
                pod: pod(),
                volume: volume.into(),
            },
        )
    }

    /// kubelet_seen from "SyncLoop ADD" source="api"; volumes_ready from the kubelet's "All
    /// volumes are attached and mounted"; the node from the kubelet's host; volumes by plugin,
    /// CSI publishes where the kubelet named none.
    #[test]
    fn kubelet_seen_from_the_api_and_volumes_ready() {
        let f = Fixture::new(vec![
            kubelet(at(15), 1, EventKind::PodUid { pod: pod() }),
            sync_add(at(20), 2, "api"),
            mounted(at(25), 3, "cfg", Some("kubernetes.io/configmap")),
            csi(at(26), 4, "data"),
            kubelet(at(30), 5, EventKind::VolumesReady { pod: pod() }),
        ]);
        let tl = f.run(super::milestones);
        assert_eq!(
            ms(&tl, Ms::KubeletSeen),
            want(at(20), Component::Kubelet, 2, None)
        );
        assert_eq!(
            ms(&tl, Ms::VolumesReady),
            want(at(30), Component::Kubelet, 5, None)
        );
        assert_eq!(tl.node.as_deref(), Some(NODE));
        assert_eq!(
            tl.volumes.iter().collect::<Vec<_>>(),
            [
                (&"cfg".to_owned(), &"kubernetes.io/configmap".to_owned()),
                (&"data".to_owned(), &"kubernetes.io/csi".to_owned())
            ]
        );
        assert!(tl.static_pod.is_none());
    }

    /// A non-API "SyncLoop ADD" is kubelet_seen, derived; without the kubelet's all-mounted
    /// line, volumes_ready is the last mount, derived.
    #[test]
    fn kubelet_seen_from_a_non_api_syncloop() {
        let f = Fixture::new(vec![
            kubelet(at(15), 1, EventKind::PodUid { pod: pod() }),
            sync_add(at(20), 2, "unknown"),
            mounted(at(25), 3, "cfg", None),
            mounted(at(27), 4, "token", Some("kubernetes.io/projected")),
            csi(at(29), 5, "data"),
        ]);
        let tl = f.run(super::milestones);
        assert_eq!(
            ms(&tl, Ms::KubeletSeen),
            want(
                at(20),
                Component::Kubelet,
                2,
                Some("SyncLoop ADD from a non-API source")
            )
        );
        assert_eq!(
            ms(&tl, Ms::VolumesReady),
            want(
                at(27),
                Component::Kubelet,
                4,
                Some("last \"MountVolume.SetUp succeeded\" for the pod")
            )
        );
        // A mount without a plugin names no volume.
        assert_eq!(
            tl.volumes.keys().collect::<Vec<_>>(),
            [&"data".to_owned(), &"token".to_owned()]
        );
    }

    /// A manifest ADD makes the pod static and is kubelet_seen even with a later API ADD (its
    /// mirror pod); with only CSI publishes, volumes_ready is the last one, derived.
    #[test]
    fn static_pod_from_its_manifest() {
        let f = Fixture::new(vec![
            sync_add(at(20), 1, "file"),
            sync_add(at(22), 2, "api"),
            csi(at(28), 3, "a"),
            csi(at(29), 4, "b"),
        ]);
        let tl = f.run(super::milestones);
        assert_eq!(
            ms(&tl, Ms::KubeletSeen),
            want(at(20), Component::Kubelet, 1, None)
        );
        let sp = tl.static_pod.as_ref().expect("static");
        assert_eq!(
            sp.basis,
            "the kubelet read its manifest: \"SyncLoop ADD\" source=\"file\" (t.log:1)"
        );
        assert!(!sp.heuristic);
        assert_eq!(
            ms(&tl, Ms::VolumesReady),
            want(
                at(29),
                Component::Csi,
                4,
                Some("CSI node plugin NodePublishVolume completion")
            )
        );
    }

    /// Without any ADD, the first kubelet line is kubelet_seen (derived), unless it comes after
    /// the runtime started the sandbox: a filtered log, so missing.
    #[test]
    fn kubelet_seen_from_the_first_kubelet_line_unless_after_the_sandbox() {
        let sandbox = |t| {
            containerd(
                t,
                2,
                EventKind::SandboxStart {
                    pod: pod(),
                    attempt: 0,
                },
            )
        };
        let f = Fixture::new(vec![
            kubelet(at(20), 1, EventKind::PodUid { pod: pod() }),
            sandbox(at(21)),
        ]);
        let tl = f.run(super::milestones);
        assert_eq!(
            ms(&tl, Ms::KubeletSeen),
            want(
                at(20),
                Component::Kubelet,
                1,
                Some("first kubelet line naming the pod")
            )
        );
        let f = Fixture::new(vec![
            sandbox(at(19)),
            kubelet(at(20), 1, EventKind::PodUid { pod: pod() }),
        ]);
        let tl = f.run(super::milestones);
        assert!(!tl.milestones.contains_key(&Ms::KubeletSeen));
        assert!(!tl.milestones.contains_key(&Ms::VolumesReady));
    }
}
