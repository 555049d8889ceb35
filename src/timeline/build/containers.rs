//! Stage 4: each container's create and start as the runtime logged them, and its image pull.

use std::collections::{BTreeMap, HashSet};

use super::index::PullIndex;
use super::{Pod, add_failure, first};
use crate::event::{Component, EventKind};
use crate::timeline::{ContainerTimeline, Ms, PodTimeline};

/// One run (`Attempt:N`) of a container: the events that mark it.
#[derive(Default)]
struct Attempt {
    create_start: Option<usize>,
    create_done: Option<usize>,
    start_done: Option<usize>,
    id: Option<String>,
}

/// The pod's containers (in name order) from the runtime, their first run's milestones, their
/// image pulls, and failed creates and starts.
///
/// - create_started, container_created: CreateContainer's request and its "returns container
///   id"; container_started: StartContainer's "returns successfully" for that id. Only the
///   first attempt counts; the others are `restarts`.
/// - pull_finished, pull_started, image: pulls name no pod, so a container claims the latest
///   pull on its node that finished inside [sandbox_started (else kubelet_seen), its
///   create_started] and that no earlier container on the node claimed (`used_pulls`;
///   derived); then the latest PullImage of that image before it, and the size and duration
///   containerd logged for it.
/// - failed CreateContainer ("create <c> failed") and StartContainer ("start <c> failed", or
///   the container id when no create named it) are failures (resolved by running).
///
/// Reads sandbox_started and kubelet_seen: runs after [`super::sandbox`] and
/// [`super::kubelet`].
pub(super) fn milestones(
    p: &Pod<'_>,
    tl: &mut PodTimeline,
    pulls: &PullIndex,
    used_pulls: &mut HashSet<usize>,
) {
    let (cx, g, ev) = (&p.cx, p.g, p.cx.events);
    let mut conts: BTreeMap<String, BTreeMap<u32, Attempt>> = BTreeMap::new();
    let mut by_id: BTreeMap<String, (String, u32)> = BTreeMap::new();
    for i in g.events.iter().copied() {
        match &ev[i].kind {
            EventKind::CreateStart(c) => {
                conts
                    .entry(c.container.clone())
                    .or_default()
                    .entry(c.attempt)
                    .or_default()
                    .create_start
                    .get_or_insert(i);
            }
            EventKind::CreateDone(c) => {
                let a = conts
                    .entry(c.container.clone())
                    .or_default()
                    .entry(c.attempt)
                    .or_default();
                a.create_done.get_or_insert(i);
                if let Some(id) = &c.container_id {
                    a.id = Some(id.clone());
                    by_id.insert(id.clone(), (c.container.clone(), c.attempt));
                }
            }
            EventKind::CreateFailed(c) => add_failure(
                &mut tl.failures,
                &format!("create {} failed", c.container),
                c.error.as_deref().unwrap_or(""),
                cx,
                i,
            ),
            EventKind::StartDone { container_id } => {
                if let Some((c, a)) = by_id.get(&**container_id) {
                    conts
                        .entry(c.clone())
                        .or_default()
                        .entry(*a)
                        .or_default()
                        .start_done
                        .get_or_insert(i);
                }
            }
            EventKind::StartFailed {
                container_id,
                error,
            } => {
                let name = by_id
                    .get(&**container_id)
                    .map_or(&**container_id, |(c, _)| c.as_str());
                add_failure(
                    &mut tl.failures,
                    &format!("start {name} failed"),
                    error,
                    cx,
                    i,
                )
            }
            _ => {}
        }
    }
    // Pulls name no pod: a pull on this node that finished after the sandbox began and before a
    // container's CreateContainer belongs to that container (the kubelet pulls right before it
    // creates). Marked derived.
    let host = first(g, ev, |e| {
        matches!(e.component, Component::Containerd | Component::Crio)
    })
    .and_then(|i| ev[i].host.clone());
    let m = &tl.milestones;
    let window_start = m
        .get(&Ms::SandboxStarted)
        .or(m.get(&Ms::KubeletSeen))
        .map(|x| x.t);
    for (name, attempts) in &conts {
        let mut c = ContainerTimeline {
            name: name.clone(),
            restarts: attempts.len().saturating_sub(1) as u32,
            ..Default::default()
        };
        let (_, a) = attempts.iter().next().expect("non-empty");
        c.id = a.id.clone();
        if let Some(i) = a.create_start {
            c.milestones
                .insert(Ms::CreateStarted, cx.milestone(i, None));
        }
        if let Some(i) = a.create_done {
            c.milestones
                .insert(Ms::ContainerCreated, cx.milestone(i, None));
        }
        if let Some(i) = a.start_done {
            c.milestones
                .insert(Ms::ContainerStarted, cx.milestone(i, None));
        }
        if let (Some(cs), Some(ws)) = (a.create_start, window_start) {
            let tc = ev[cs].t;
            // The latest unclaimed pull on this node that finished inside the window.
            let pull_done = pulls.dones.get(&host).and_then(|list| {
                let k = list.partition_point(|&p| ev[p].t <= tc);
                list[..k]
                    .iter()
                    .rev()
                    .take_while(|&&p| ev[p].t >= ws)
                    .copied()
                    .find(|p| !used_pulls.contains(p))
            });
            if let Some(pd) = pull_done {
                used_pulls.insert(pd);
                let EventKind::PullDone { image, .. } = &ev[pd].kind else {
                    unreachable!()
                };
                c.image = Some(image.to_string());
                const D: &str = "joined by node and time (containerd's PullImage names no pod)";
                c.milestones
                    .insert(Ms::PullFinished, cx.milestone(pd, Some(D)));
                let key = (host.clone(), image.clone());
                let start = PullIndex::last_before(ev, pulls.starts.get(&key), ev[pd].t);
                if let Some(ps) = start {
                    used_pulls.insert(ps);
                    c.milestones
                        .insert(Ms::PullStarted, cx.milestone(ps, Some(D)));
                }
                let info = PullIndex::last_before(ev, pulls.infos.get(&key), ev[pd].t);
                if let Some(pi) = info {
                    if let EventKind::PulledInfo(info) = &ev[pi].kind {
                        c.image_size_bytes = info.size_bytes;
                        c.pull_logged_nanos = info.duration_nanos;
                    }
                }
            }
        }
        tl.containers.push(c);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::super::testkit::*;
    use super::PullIndex;
    use crate::event::{Component, Event, EventKind};
    use crate::timeline::{Ms, PodTimeline};

    const D: &str = "joined by node and time (containerd's PullImage names no pod)";

    fn sandbox_ready() -> Event {
        containerd(
            at(39),
            1,
            EventKind::SandboxReady {
                pod: pod(),
                attempt: 0,
                sandbox_id: "sb1".into(),
            },
        )
    }

    fn pull(t: i64, line: u32, image: &str) -> Event {
        containerd(
            t,
            line,
            EventKind::PullDone {
                image: image.into(),
                image_ref: format!("sha256:{line}").into(),
            },
        )
    }

    fn create(t: i64, line: u32, container: &str, attempt: u32) -> Event {
        containerd(
            t,
            line,
            EventKind::CreateStart(Box::new(crate::event::CreateData {
                pod: None,
                sandbox_id: "sb1".into(),
                container: container.into(),
                attempt,
                container_id: None,
                error: None,
            })),
        )
    }

    fn created(t: i64, line: u32, container: &str, attempt: u32, id: &str) -> Event {
        containerd(
            t,
            line,
            EventKind::CreateDone(Box::new(crate::event::CreateData {
                pod: None,
                sandbox_id: "sb1".into(),
                container: container.into(),
                attempt,
                container_id: Some(id.into()),
                error: None,
            })),
        )
    }

    /// Runs the stage with the window opened by `window` (sandbox_started, else kubelet_seen).
    fn run(f: &Fixture, window: (Ms, i64), used: &mut HashSet<usize>) -> PodTimeline {
        let pulls = PullIndex::new(&f.events, &f.joined.pulls);
        let mut tl = PodTimeline::default();
        tl.milestones.insert(
            window.0,
            milestone(window.1, Component::Containerd, 99, None),
        );
        f.run_on(tl, |p, tl| super::milestones(p, tl, &pulls, used))
    }

    /// Each container's first run from CreateContainer, "returns container id" and
    /// StartContainer; the pull that finished in the window before its create is its own
    /// (derived), with the PullImage before it and containerd's size and duration; a pull
    /// claimed once is not claimed again; later attempts are restarts.
    #[test]
    fn containers_from_the_runtime_with_their_pulls() {
        let img = "docker.io/library/nginx:1.25";
        let f = Fixture::new(vec![
            sandbox_ready(),
            containerd(at(41), 2, EventKind::PullStart { image: img.into() }),
            containerd(
                at(43),
                3,
                EventKind::PulledInfo(Box::new(crate::event::PulledInfoData {
                    image: img.into(),
                    size_bytes: Some(72_985_284),
                    duration_nanos: Some(1_999_999_999),
                })),
            ),
            pull(at(43) + 7, 4, img),
            create(at(45), 5, "app", 0),
            created(at(46), 6, "app", 0, "c1"),
            containerd(
                at(47),
                7,
                EventKind::StartDone {
                    container_id: "c1".into(),
                },
            ),
            create(at(48), 8, "sidecar", 0),
            create(at(60), 9, "sidecar", 1),
            created(at(61), 10, "sidecar", 1, "c3"),
        ]);
        let mut used = HashSet::new();
        let tl = run(&f, (Ms::SandboxStarted, at(40)), &mut used);
        let names: Vec<&str> = tl.containers.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["app", "sidecar"]);
        let app = &tl.containers[0];
        let got = |c: &crate::timeline::ContainerTimeline, k| seen(&c.milestones[&k]);
        assert_eq!(
            got(app, Ms::CreateStarted),
            want(at(45), Component::Containerd, 5, None)
        );
        assert_eq!(
            got(app, Ms::ContainerCreated),
            want(at(46), Component::Containerd, 6, None)
        );
        assert_eq!(
            got(app, Ms::ContainerStarted),
            want(at(47), Component::Containerd, 7, None)
        );
        assert_eq!(
            got(app, Ms::PullFinished),
            want(at(43) + 7, Component::Containerd, 4, Some(D))
        );
        assert_eq!(
            got(app, Ms::PullStarted),
            want(at(41), Component::Containerd, 2, Some(D))
        );
        assert_eq!(app.image.as_deref(), Some(img));
        assert_eq!(app.image_size_bytes, Some(72_985_284));
        assert_eq!(app.pull_logged_nanos, Some(1_999_999_999));
        assert_eq!((app.id.as_deref(), app.restarts), (Some("c1"), 0));
        // The only pull is app's: the sidecar claims none. Its first run has no id or create.
        let sidecar = &tl.containers[1];
        assert_eq!(sidecar.image, None);
        assert_eq!(
            sidecar.milestones.keys().collect::<Vec<_>>(),
            [&Ms::CreateStarted]
        );
        assert_eq!((sidecar.id.as_deref(), sidecar.restarts), (None, 1));
        assert_eq!(used.len(), 2, "the PullImage and its completion");
    }

    /// Without sandbox_started the window opens at kubelet_seen: a pull before it is another
    /// pod's, one an earlier pod claimed is skipped for the next unclaimed one. Failed creates
    /// and starts are failures, a start named by the container its id was created for.
    #[test]
    fn pulls_in_the_kubelet_seen_window_and_failures() {
        let f = Fixture::new(vec![
            sandbox_ready(),
            pull(at(10), 2, "before-the-window"),
            pull(at(30), 3, "unclaimed"),
            pull(at(32), 4, "claimed-by-another-pod"),
            containerd(
                at(40),
                5,
                EventKind::CreateFailed(Box::new(crate::event::CreateData {
                    pod: None,
                    sandbox_id: "sb1".into(),
                    container: "app".into(),
                    attempt: 0,
                    error: Some("no space left".into()),
                    container_id: None,
                })),
            ),
            create(at(45), 6, "app", 1),
            created(at(46), 7, "app", 1, "c1"),
            containerd(
                at(47),
                8,
                EventKind::StartFailed {
                    container_id: "c1".into(),
                    error: "exec format error".into(),
                },
            ),
        ]);
        let claimed = f
            .events
            .iter()
            .position(|e| matches!(&e.kind, EventKind::PullDone { image, .. } if &**image == "claimed-by-another-pod"))
            .unwrap();
        let mut used = HashSet::from([claimed]);
        let tl = run(&f, (Ms::KubeletSeen, at(20)), &mut used);
        let app = &tl.containers[0];
        assert_eq!(app.image.as_deref(), Some("unclaimed"));
        assert_eq!(
            seen(&app.milestones[&Ms::PullFinished]),
            want(at(30), Component::Containerd, 3, Some(D))
        );
        assert!(!app.milestones.contains_key(&Ms::PullStarted));
        assert_eq!(app.image_size_bytes, None);
        let failures: Vec<(&str, &str, i64)> = tl
            .failures
            .iter()
            .map(|f| (f.cause.as_str(), f.message.as_str(), f.first))
            .collect();
        assert_eq!(
            failures,
            [
                ("create app failed", "no space left", at(40)),
                ("start app failed", "exec format error", at(47)),
            ]
        );
    }
}
