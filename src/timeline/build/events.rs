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
        let EventKind::K8sEvent(k) = &ev[i].kind else {
            continue;
        };
        let crate::event::K8sEventData {
            container,
            init_container,
            reason,
            message,
            warning,
            ..
        } = &**k;
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

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::event::{Component, Event, EventKind};
    use crate::timeline::{Ms, PodTimeline};

    fn event(t: i64, line: u32, container: Option<&str>, reason: &str, message: &str) -> Event {
        ev(
            t,
            line,
            "control-plane",
            Component::Events,
            EventKind::K8sEvent(Box::new(crate::event::K8sEventData {
                pod: pod_by_name(),
                container: container.map(str::to_owned),
                init_container: container == Some("init"),
                reason: reason.into(),
                message: message.into(),
                warning: reason == "BackOff",
            })),
        )
    }

    /// The events need a UID-bearing line to join to; a Pod object adds nothing here.
    fn anchor() -> Event {
        pod_object(at(0), None)
    }

    /// Events give scheduled and network_ready, per container pull/create/start (image and
    /// size from the Pulled message, image_cached for a present image, init containers
    /// marked), all derived; Warning Events are failures, folded.
    #[test]
    fn events_fill_milestones_and_failures() {
        let f = Fixture::new(vec![
            anchor(),
            event(
                at(10),
                2,
                None,
                "Scheduled",
                "Successfully assigned default/web",
            ),
            event(at(40), 3, None, "AddedInterface", "Add eth0 [10.0.0.7/32]"),
            event(
                at(41),
                4,
                Some("init"),
                "Pulled",
                "Container image \"busybox\" already present on machine",
            ),
            event(
                at(42),
                5,
                Some("app"),
                "Pulling",
                "Pulling image \"nginx:1.25\"",
            ),
            event(
                at(44),
                6,
                Some("app"),
                "Pulled",
                "Successfully pulled image \"nginx:1.25\" in 2s (2s including waiting). Image size: 72985284 bytes.",
            ),
            event(at(45), 7, Some("app"), "Created", "Created container app"),
            event(at(46), 8, Some("app"), "Started", "Started container app"),
            event(
                at(50),
                9,
                Some("app"),
                "BackOff",
                "Back-off restarting failed container",
            ),
            event(
                at(60),
                10,
                Some("app"),
                "BackOff",
                "Back-off restarting failed container",
            ),
        ]);
        let tl = f.run(super::merge);
        let why = |r: &str| Some(format!("{r} Event"));
        let e = |t, line, r: &str| (t, Component::Events, format!("t.log:{line}"), why(r));
        assert_eq!(ms(&tl, Ms::Scheduled), e(at(10), 2, "Scheduled"));
        assert_eq!(
            ms(&tl, Ms::NetworkReady),
            e(at(40), 3, "Multus AddedInterface")
        );
        let names: Vec<(&str, bool)> = tl
            .containers
            .iter()
            .map(|c| (c.name.as_str(), c.init))
            .collect();
        assert_eq!(names, [("init", true), ("app", false)]);
        let init = &tl.containers[0];
        assert_eq!(
            seen(&init.milestones[&Ms::ImageCached]),
            e(at(41), 4, "Pulled")
        );
        assert_eq!(init.image.as_deref(), Some("busybox"));
        let app = &tl.containers[1];
        assert_eq!(
            seen(&app.milestones[&Ms::PullStarted]),
            e(at(42), 5, "Pulling")
        );
        assert_eq!(
            seen(&app.milestones[&Ms::PullFinished]),
            e(at(44), 6, "Pulled")
        );
        assert_eq!(
            seen(&app.milestones[&Ms::ContainerCreated]),
            e(at(45), 7, "Created")
        );
        assert_eq!(
            seen(&app.milestones[&Ms::ContainerStarted]),
            e(at(46), 8, "Started")
        );
        assert_eq!(app.image.as_deref(), Some("nginx:1.25"));
        assert_eq!(app.image_size_bytes, Some(72_985_284));
        let [fail] = tl.failures.as_slice() else {
            panic!("one failure: {:?}", tl.failures)
        };
        assert_eq!(
            (fail.cause.as_str(), fail.count, fail.first, fail.last),
            ("BackOff", 2, at(50), at(60))
        );
        assert_eq!(fail.evidence, "t.log:9");
    }

    /// A fallback never replaces what a primary source gave: scheduled from audit, the
    /// runtime's container start and image stay.
    #[test]
    fn events_do_not_replace_primary_milestones() {
        let f = Fixture::new(vec![
            anchor(),
            event(
                at(10),
                2,
                None,
                "Scheduled",
                "Successfully assigned default/web",
            ),
            event(
                at(44),
                3,
                Some("app"),
                "Pulled",
                "Successfully pulled image \"nginx:1.25\" in 2s",
            ),
            event(at(46), 4, Some("app"), "Started", "Started container app"),
        ]);
        let mut tl = PodTimeline::default();
        tl.milestones
            .insert(Ms::Scheduled, milestone(at(9), Component::Audit, 50, None));
        let mut app = crate::timeline::ContainerTimeline {
            name: "app".into(),
            image: Some("docker.io/library/nginx:1.25".into()),
            ..Default::default()
        };
        app.milestones.insert(
            Ms::ContainerStarted,
            milestone(at(45), Component::Containerd, 51, None),
        );
        tl.containers.push(app);
        let tl = f.run_on(tl, super::merge);
        assert_eq!(
            ms(&tl, Ms::Scheduled),
            want(at(9), Component::Audit, 50, None)
        );
        let app = &tl.containers[0];
        assert_eq!(tl.containers.len(), 1);
        assert_eq!(
            seen(&app.milestones[&Ms::ContainerStarted]),
            want(at(45), Component::Containerd, 51, None)
        );
        assert_eq!(app.image.as_deref(), Some("docker.io/library/nginx:1.25"));
        assert_eq!(
            seen(&app.milestones[&Ms::PullFinished]),
            want(at(44), Component::Events, 3, Some("Pulled Event"))
        );
        assert_eq!(app.image_size_bytes, None);
    }
}
