//! Stage 5: Kubernetes Events about the pod.

use super::{Pod, add_failure, container_named};
use crate::event::EventKind;
use crate::timeline::{Ms, PodTimeline};

/// Kubernetes Events about the pod (audit `create events`, the kubelet's "Event occurred",
/// events.json): fallbacks for milestones the stages before did not find, per-container
/// milestones, and the failures they report. Each fallback is derived ("<reason> Event") and
/// never replaces a milestone already there.
///
/// - scheduled: a `Scheduled` Event; network_ready: Multus' `AddedInterface` Event.
/// - per container (`fieldPath`, which also marks init containers): pull_started (`Pulling`),
///   pull_finished (`Pulled`) or image_cached (`Pulled` "already present on machine"),
///   container_created (`Created`), container_started (`Started`); the image and its size from
///   the `Pulled` message, where no runtime pull gave them. A container no runtime line named
///   is added here.
/// - every Warning Event is a failure under its reason (`FailedScheduling`, `BackOff`…).
pub(super) fn merge(p: &Pod<'_>, tl: &mut PodTimeline) {
    let (cx, g, ev) = (&p.cx, p.g, p.cx.events);
    for i in g.events.iter().copied() {
        let EventKind::K8sEvent {
            container,
            init_container,
            reason,
            message,
            warning,
            ..
        } = &ev[i].kind
        else {
            continue;
        };
        let why = |what: &str| format!("{what} Event");
        match reason.as_str() {
            "Scheduled" if !tl.milestones.contains_key(&Ms::Scheduled) => {
                tl.milestones
                    .insert(Ms::Scheduled, cx.milestone(i, Some(&why("Scheduled"))));
            }
            "AddedInterface" if !tl.milestones.contains_key(&Ms::NetworkReady) => {
                tl.milestones.insert(
                    Ms::NetworkReady,
                    cx.milestone(i, Some(&why("Multus AddedInterface"))),
                );
            }
            _ => {}
        }
        if *warning {
            add_failure(&mut tl.failures, reason, message, cx, i);
        }
        let Some(name) = container else { continue };
        let c = container_named(tl, name);
        c.init |= *init_container;
        let mut put = |k: Ms, what: &str| {
            c.milestones
                .entry(k)
                .or_insert_with(|| cx.milestone(i, Some(&why(what))));
        };
        match reason.as_str() {
            "Pulling" => put(Ms::PullStarted, "Pulling"),
            "Pulled" if message.contains("already present on machine") => {
                put(Ms::ImageCached, "Pulled")
            }
            "Pulled" => put(Ms::PullFinished, "Pulled"),
            "Created" => put(Ms::ContainerCreated, "Created"),
            "Started" => put(Ms::ContainerStarted, "Started"),
            _ => {}
        }
        if reason == "Pulled" {
            if let Some(img) = message.split('"').nth(1) {
                c.image.get_or_insert_with(|| img.to_owned());
            }
            // "… Image size: 72985284 bytes." (kubelet ≥1.30)
            if let Some(sz) = message
                .split("Image size: ")
                .nth(1)
                .and_then(|r| r.split(' ').next())
            {
                if let Ok(n) = sz.parse() {
                    c.image_size_bytes.get_or_insert(n);
                }
            }
        }
    }
}
