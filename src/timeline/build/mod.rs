//! From one pod's events to its milestones and phases (docs/phases.md).
//!
//! [`build`] runs one pod through a fixed sequence of stages, one file each. Every stage picks
//! its milestones from the primary source, or from a fallback marked `derived`; later stages
//! only fill what earlier ones left missing, unless their doc says they override:
//!
//! 1. [`api`]: requested, created, schedule_attempted, scheduled, the node;
//! 2. [`kubelet`]: kubelet_seen (and static pods), volumes_ready;
//! 3. [`sandbox`]: sandbox_started, sandbox_ready, network_started, network_ready, the pod IP;
//! 4. [`containers`]: per container create/start, and the image pulls it claims;
//! 5. [`events`]: Kubernetes Events, fallbacks for the stages above;
//! 6. [`pod_object`]: a stored Pod object, second-precision fallbacks;
//! 7. [`running`]: running, running_observed, the kubelet's own figures;
//! 8. [`readiness`]: ready, ready_reported;
//! 9. [`phases`]: every phase of the main path and per container, startup_sli.
//!
//! Then, per pod but across pods' shared evidence, [`endpoints`]: endpoints_updated and each
//! node's programming.

mod api;
mod containers;
mod endpoints;
mod events;
mod index;
mod kubelet;
mod phases;
mod pod_object;
mod readiness;
mod running;
mod sandbox;
#[cfg(test)]
mod testkit;

use std::collections::{BTreeMap, HashSet};

use rayon::prelude::*;
use std::sync::Arc;

use super::Place;
use super::join::{Joined, PodGroup};
use super::{ContainerTimeline, Failure, Milestone, Ms, PodTimeline, resolution};
use crate::event::{Component, Event, EventKind};
pub use endpoints::{ServiceChange, ServiceView, services};
use index::{EndpointIndex, ProxyIndex, PullIndex};

/// Turns an evidence pair into `path:line`.
pub type Display<'a> = &'a (dyn Fn(u32, u32) -> String + Sync);
/// The run's stream names by file id, for [`Place`]s.
pub type Names<'a> = &'a [Arc<str>];

/// The run's events and the names of their files: what turns an event into a [`Milestone`].
#[derive(Clone, Copy)]
struct Ctx<'a> {
    events: &'a [Event],
    names: Names<'a>,
}

impl Ctx<'_> {
    fn milestone(&self, i: usize, derived: Option<&str>) -> Milestone {
        let e = &self.events[i];
        Milestone {
            t: e.t,
            source: e.component,
            evidence: place(self.names, e.evidence),
            precision: e.raw_time.precision(),
            host: e.host.clone(),
            derived: derived.map(Into::into),
            clock_offset: None,
        }
    }

    /// A milestone at an embedded time (not the line's own time).
    fn milestone_at(
        &self,
        i: usize,
        t: i64,
        precision: super::Precision,
        derived: Option<&str>,
    ) -> Milestone {
        Milestone {
            t,
            precision,
            ..self.milestone(i, derived)
        }
    }
}

/// What every stage reads about one pod (the stages write only the [`PodTimeline`]).
#[derive(Clone, Copy)]
struct Pod<'a> {
    cx: Ctx<'a>,
    g: &'a PodGroup,
    /// The kubelet's "Observed pod startup duration" line: several stages read its embedded
    /// times (created, running, running_observed, startup_sli), so it is found once.
    startup: Option<usize>,
}

impl<'a> Pod<'a> {
    fn new(cx: Ctx<'a>, g: &'a PodGroup) -> Self {
        let startup = first(g, cx.events, |e| {
            matches!(e.kind, EventKind::Startup { .. })
        });
        Pod { cx, g, startup }
    }
}

fn first<'e>(g: &PodGroup, ev: &'e [Event], f: impl Fn(&'e Event) -> bool) -> Option<usize> {
    g.events.iter().copied().find(|&i| f(&ev[i]))
}

fn last<'e>(g: &PodGroup, ev: &'e [Event], f: impl Fn(&'e Event) -> bool) -> Option<usize> {
    g.events.iter().rev().copied().find(|&i| f(&ev[i]))
}

/// Where an event was read, as a [`Place`].
pub fn place(names: Names<'_>, e: crate::event::Evidence) -> Place {
    Place {
        file: names
            .get(e.file as usize)
            .cloned()
            .unwrap_or_else(|| Arc::from("?")),
        line: e.line,
    }
}

/// Builds every pod's timeline. `names` names the files of evidence.
pub fn build_all(events: &[Event], joined: &Joined, names: Names<'_>) -> Vec<PodTimeline> {
    build_all_within(events, joined, names, logs_range(events))
}

/// The time the run's log lines cover (stored objects aside): a Pod object's time outside it
/// belongs to another life of the pod (`honest::review`).
pub fn logs_range(events: &[Event]) -> Option<(i64, i64)> {
    let mut logs: Option<(i64, i64)> = None;
    for e in events
        .iter()
        .filter(|e| !matches!(e.kind, EventKind::PodObject(_)))
    {
        logs = Some(logs.map_or((e.t, e.t), |(a, b)| (a.min(e.t), b.max(e.t))));
    }
    logs
}

/// [`build_all`] with the logs' time range given: a partition of a split build holds part of
/// the events, and takes the whole run's range (`partition::merge`).
pub fn build_all_within(
    events: &[Event],
    joined: &Joined,
    names: Names<'_>,
    logs: Option<(i64, i64)>,
) -> Vec<PodTimeline> {
    let cx = Ctx { events, names };
    let pulls = PullIndex::new(events, &joined.pulls);
    let eps = EndpointIndex::new(events, &joined.endpoint_writes);
    let proxy = ProxyIndex::new(events, &joined.proxy);
    // Pods of one node claim that node's image pulls in order, so each node's pods are built in
    // one task; nodes share nothing and run in parallel (the result is sorted below).
    let mut by_node: BTreeMap<Option<Arc<str>>, Vec<&PodGroup>> = BTreeMap::new();
    for g in &joined.pods {
        let node = g
            .events
            .iter()
            .find(|&&i| matches!(events[i].component, Component::Containerd | Component::Crio))
            .and_then(|&i| events[i].host.clone());
        by_node.entry(node).or_default().push(g);
    }
    let groups: Vec<Vec<&PodGroup>> = by_node.into_values().collect();
    let mut out: Vec<PodTimeline> = groups
        .par_iter()
        .flat_map_iter(|pods| {
            let mut used_pulls: HashSet<usize> = HashSet::new();
            pods.iter()
                .map(|g| {
                    let mut tl = build(cx, g, &pulls, &mut used_pulls);
                    endpoints::propagate(&cx, &eps, &proxy, &mut tl);
                    endpoints::consumers(&cx, &joined.ingress, &mut tl);
                    close_failures(&mut tl);
                    super::honest::review(&mut tl, logs);
                    // Complete: held to the end of the run without its maps' spare room.
                    tl.shrink();
                    tl
                })
                .collect::<Vec<_>>()
        })
        .collect();
    sort_pods(&mut out);
    out
}

/// The order of a run's pods: by first milestone, then name (a split build's merge sorts its
/// partitions' pods the same way). The first times are computed once, not in every comparison
/// (each is a walk over the pod's milestones).
pub fn sort_pods(out: &mut [PodTimeline]) {
    let first: Vec<Option<i64>> = out.iter().map(PodTimeline::first_time).collect();
    let mut order: Vec<usize> = (0..out.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&out[a], &out[b]);
        (first[a], &x.namespace, &x.name, &x.uid).cmp(&(first[b], &y.namespace, &y.name, &y.uid))
    });
    permute(out, order);
}

/// Reorders `v` in place so that `v[k]` becomes the old `v[order[k]]` (`order` is a
/// permutation), by following its cycles: no second copy of the elements.
pub(crate) fn permute<T>(v: &mut [T], mut order: Vec<usize>) {
    const DONE: usize = usize::MAX;
    for start in 0..v.len() {
        let mut k = start;
        while order[k] != DONE {
            let from = order[k];
            order[k] = DONE;
            if from == start {
                break;
            }
            v.swap(k, from);
            k = from;
        }
    }
}

/// One pod's timeline from its own events, stage by stage (the module doc lists them). The order
/// is part of the behaviour: a fallback stage fills only what the stages before it left
/// missing, failures are listed in the order the stages find them, and `used_pulls` (the
/// node's pulls already claimed by its earlier pods) grows as containers claim theirs.
fn build(
    cx: Ctx<'_>,
    g: &PodGroup,
    pulls: &PullIndex,
    used_pulls: &mut HashSet<usize>,
) -> PodTimeline {
    let p = Pod::new(cx, g);
    let mut tl = PodTimeline {
        namespace: g.namespace.clone(),
        name: g.name.clone(),
        uid: g.uid.clone(),
        sandbox_ids: g.sandbox_ids.clone(),
        config_hash: g.config_hash.clone(),
        ..Default::default()
    };
    api::milestones(&p, &mut tl);
    kubelet::milestones(&p, &mut tl);
    sandbox::milestones(&p, &mut tl);
    containers::milestones(&p, &mut tl, pulls, used_pulls);
    events::merge(&p, &mut tl);
    pod_object::merge(&p, &mut tl);
    if tl.static_pod.is_none() {
        tl.static_pod = pod_object::mirror_sign(&p);
    }
    running::milestones(&p, &mut tl);
    readiness::milestones(&p, &mut tl);
    phases::compute(&p, &mut tl);
    tl
}

/// The pod's container of that name, added if no source named it before.
fn container_named<'t>(tl: &'t mut PodTimeline, name: &str) -> &'t mut ContainerTimeline {
    let pos = match tl.containers.iter().position(|c| c.name == name) {
        Some(p) => p,
        None => {
            tl.containers.push(ContainerTimeline {
                name: name.to_owned(),
                ..Default::default()
            });
            tl.containers.len() - 1
        }
    };
    &mut tl.containers[pos]
}

/// Records a failure, folding repeats of the same cause and message into one with a count.
fn add_failure(failures: &mut Vec<Failure>, cause: &str, message: &str, cx: &Ctx<'_>, i: usize) {
    let t = cx.events[i].t;
    if let Some(f) = failures
        .iter_mut()
        .find(|f| f.cause == cause && f.message == message)
    {
        f.count += 1;
        f.first = f.first.min(t);
        f.last = f.last.max(t);
        return;
    }
    failures.push(Failure {
        cause: cause.to_owned(),
        message: message.to_owned(),
        evidence: cx.milestone(i, None).evidence.to_string(),
        first: t,
        last: t,
        count: 1,
        resolved_by: None,
        held_nanos: None,
    });
}

/// How long each failure held the pod: until the milestone that its cause waits for.
fn close_failures(tl: &mut PodTimeline) {
    for f in &mut tl.failures {
        if let Some(m) = resolution(&f.cause) {
            if let Some(ms) = tl.milestones.get(&m).filter(|ms| ms.t >= f.first) {
                f.resolved_by = Some(m);
                f.held_nanos = Some(ms.t - f.first);
            }
        }
    }
}

/// Compares `startup_e2e` with the kubelet's own `podStartE2EDuration` (which uses `created`
/// truncated to seconds), and explains any difference rather than hiding it.
pub fn explain_kubelet_e2e(tl: &mut PodTimeline) {
    let (Some(k), Some(created), Some(obs)) = (
        tl.kubelet.as_mut(),
        tl.milestones.get(&Ms::Created),
        tl.milestones.get(&Ms::RunningObserved),
    ) else {
        return;
    };
    let Some(e2e) = k.e2e_nanos else { return };
    let created_s = created.t.div_euclid(1_000_000_000) * 1_000_000_000;
    let diff = obs.t - created_s - e2e;
    k.e2e_difference_nanos = Some(diff);
    if diff == 0 {
        return;
    }
    let mut why = Vec::new();
    let off = obs.clock_offset.unwrap_or(0);
    if off != 0 {
        why.push(format!(
            "running_observed was moved {:.3} ms onto the apiserver's clock, while the kubelet measures on its own clock",
            -off as f64 / 1e6
        ));
    }
    let kc = k.creation_nanos.unwrap_or(created_s);
    if kc != created_s {
        why.push(format!(
            "the kubelet's podCreationTimestamp is {}, created truncated to seconds is {}",
            podtrace_parsers::time::format_rfc3339_nanos(kc),
            podtrace_parsers::time::format_rfc3339_nanos(created_s)
        ));
    }
    let residual = obs.t + off - kc - e2e;
    if residual != 0 {
        why.push(format!("{:.3} ms not explained", residual as f64 / 1e6));
    }
    k.e2e_explanation = Some(why.join("; "));
}

#[cfg(test)]
mod tests {
    use super::permute;

    /// Every permutation of up to 6 elements: in-place reordering gives what a copy would.
    #[test]
    fn permute_matches_a_copy() {
        fn all(n: usize) -> Vec<Vec<usize>> {
            if n == 0 {
                return vec![vec![]];
            }
            let mut out = Vec::new();
            for p in all(n - 1) {
                for at in 0..=p.len() {
                    let mut q = p.clone();
                    q.insert(at, n - 1);
                    out.push(q);
                }
            }
            out
        }
        let mut checked = 0;
        for n in 0..=6 {
            for order in all(n) {
                let v: Vec<String> = (0..n).map(|i| format!("p{i}")).collect();
                let want: Vec<String> = order.iter().map(|&i| v[i].clone()).collect();
                let mut got = v;
                permute(&mut got, order);
                assert_eq!(got, want);
                checked += 1;
            }
        }
        assert_eq!(checked, 1 + 1 + 2 + 6 + 24 + 120 + 720);
    }
}

#[cfg(test)]
mod build_tests {
    use std::collections::HashSet;

    use super::testkit::*;
    use super::{PullIndex, build};
    use crate::event::{Component, EventKind};
    use crate::timeline::{Ms, Phase};

    /// The stages in sequence: containerd's start makes running; the Pod object's Ready
    /// condition (an earlier stage) stays over the readiness stage's ready-when-running.
    #[test]
    fn stages_run_in_order() {
        let s = 1_000_000_000;
        let ready = (T0 / s + 1) * s;
        let f = Fixture::new(vec![
            pod_object(at(0), Some(ready)),
            containerd(
                at(40),
                2,
                EventKind::SandboxReady {
                    pod: pod(),
                    attempt: 0,
                    sandbox_id: "sb1".into(),
                },
            ),
            containerd(
                at(46),
                3,
                EventKind::CreateDone(Box::new(crate::event::CreateData {
                    pod: None,
                    sandbox_id: "sb1".into(),
                    container: "app".into(),
                    attempt: 0,
                    container_id: Some("c1".into()),
                    error: None,
                })),
            ),
            containerd(
                at(47),
                4,
                EventKind::StartDone {
                    container_id: "c1".into(),
                },
            ),
        ]);
        let pulls = PullIndex::new(&f.events, &f.joined.pulls);
        let tl = build(f.cx(), &f.joined.pods[0], &pulls, &mut HashSet::new());
        assert_eq!(
            ms(&tl, Ms::Running),
            want(at(47), Component::Containerd, 4, None)
        );
        assert_eq!(
            ms(&tl, Ms::Ready),
            want(
                ready,
                Component::Apiserver,
                1,
                Some("pod object Ready condition")
            )
        );
        assert_eq!(tl.phases[&Phase::Containers], 7_000_000);
        assert_eq!(tl.containers[0].phases[&Phase::Start], 1_000_000);
        assert_eq!(tl.node.as_deref(), Some(NODE));
    }
}
