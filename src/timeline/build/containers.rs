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
            EventKind::CreateStart {
                container, attempt, ..
            } => {
                conts
                    .entry(container.clone())
                    .or_default()
                    .entry(*attempt)
                    .or_default()
                    .create_start
                    .get_or_insert(i);
            }
            EventKind::CreateDone {
                container,
                attempt,
                container_id,
                ..
            } => {
                let a = conts
                    .entry(container.clone())
                    .or_default()
                    .entry(*attempt)
                    .or_default();
                a.create_done.get_or_insert(i);
                a.id = Some(container_id.clone());
                by_id.insert(container_id.clone(), (container.clone(), *attempt));
            }
            EventKind::CreateFailed {
                container, error, ..
            } => add_failure(
                &mut tl.failures,
                &format!("create {container} failed"),
                error,
                cx,
                i,
            ),
            EventKind::StartDone { container_id } => {
                if let Some((c, a)) = by_id.get(container_id) {
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
                    .get(container_id)
                    .map_or(container_id.as_str(), |(c, _)| c.as_str());
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
                c.image = Some(image.clone());
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
                    if let EventKind::PulledInfo {
                        size_bytes,
                        duration_nanos,
                        ..
                    } = &ev[pi].kind
                    {
                        c.image_size_bytes = *size_bytes;
                        c.pull_logged_nanos = *duration_nanos;
                    }
                }
            }
        }
        tl.containers.push(c);
    }
}
