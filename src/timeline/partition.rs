//! The reduce split into partitions that build alone and give, together, exactly the pods one
//! build gives (docs/scale.md, "The reduce in partitions").
//!
//! Every event has a route key, and keys whose events must meet in one build are linked:
//! - an event that names pods goes with the first one, `p:namespace/name` (`u:uid` when it
//!   names only the UID), linked to every pod and UID it names: the join gives a name-only
//!   line to the same-named pod nearest in time, so every pod of one name must be present, and
//!   a UID-only line to that UID's pod;
//! - an event written on a node (kubelet, runtime, CNI, CSI) is linked to that node, `h:host`
//!   (`h` alone: host unknown), and one that names no pod (a runtime's sandbox or container id,
//!   an image pull) goes with its node: ids are joined through that node's lines, its pods
//!   claim its pulls in order, and its clock skew is estimated from its pods. A binding is
//!   linked to the node it names;
//! - EndpointSlice writes and ingress reloads concern every pod: [`ALL`], given to every
//!   partition, as every stream's row is (clock votes, year anchors, counts). kube-proxy's
//!   syncs concern every pod too, but they are most of a large run's events (one per endpoint
//!   change per node): they stay with their node, and what the build reads of them (when each
//!   sync started and ended, and the node's first line) travels to the other partitions as a
//!   digest among the facts ([`ProxyDigest`]).
//!
//! Linked keys form connected components; a partition is a set of whole components ([`plan`]).
//! Global values are gathered first from every partition's [`Facts`] and given back to every
//! build ([`Fixed`]): each node's skew (a node's pods all sit in one partition, so its estimate
//! there is the whole run's), the time range the logs cover (which the honesty rule for stored
//! Pod objects reads) and the kube-proxy digests.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::join::{Joined, pod_refs};
use super::skew::HostSkew;
use crate::event::{Component, Event, EventKind, PodRef};

/// The version of the routing rules ([`route`], [`shared`]): an events file records the one
/// its routes were written by, and a split refuses another (its partitions would count the
/// events the rules moved twice, or not at all).
pub const ROUTES: u32 = 2;

/// The route of events every partition gets (and of stream and skipped rows).
pub const ALL: &str = "*";

/// Where an event goes, and the keys that must go with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub key: String,
    /// Other keys this event joins to its own (never `key` itself, no repeats).
    pub links: Vec<String>,
}

/// Written on a node, by a program whose lines are joined per node.
fn on_node(c: Component) -> bool {
    matches!(
        c,
        Component::Kubelet
            | Component::Containerd
            | Component::Crio
            | Component::Cni
            | Component::Cilium
            | Component::Csi
    )
}

fn host_key(host: Option<&str>) -> String {
    match host {
        Some(h) => format!("h:{h}"),
        None => "h".to_owned(),
    }
}

/// The pods an event names, including a runtime line's fallback name (joined by name when its
/// sandbox id is unknown).
fn named(k: &EventKind) -> impl Iterator<Item = &PodRef> {
    let fallback = match k {
        EventKind::CreateStart(c) | EventKind::CreateDone(c) | EventKind::CreateFailed(c) => {
            c.pod.as_ref()
        }
        EventKind::Cni(c) => c.pod.as_ref(),
        _ => None,
    };
    pod_refs(k).iter().chain(fallback)
}

/// An event every partition gets: it concerns every pod. (kube-proxy's syncs concern every pod
/// too, but they are most of a large run's events: they stay with their node, and each
/// partition hands the others a digest of them, [`ProxyDigest`].)
pub fn shared(k: &EventKind) -> bool {
    use EventKind::*;
    matches!(
        k,
        EndpointsWrite { .. } | EndpointSliceSync { .. } | IngressReload { .. }
    )
}

/// The event's route (see the module's text).
pub fn route(e: &Event) -> Route {
    use EventKind::*;
    if shared(&e.kind) {
        return Route {
            key: ALL.to_owned(),
            links: Vec::new(),
        };
    }
    let mut keys: Vec<String> = Vec::new();
    let mut add = |k: String| {
        if !keys.contains(&k) {
            keys.push(k);
        }
    };
    // A runtime line goes with its node: its ids are that node's. Its fallback name is a link.
    let by_node = pod_refs(&e.kind).is_empty();
    if by_node {
        add(host_key(e.host.as_deref()));
    }
    for r in named(&e.kind) {
        if !r.name.is_empty() {
            add(format!("p:{}/{}", r.namespace, r.name));
        }
        if let Some(u) = r.uid.as_deref().filter(|u| !u.is_empty()) {
            add(format!("u:{u}"));
        }
    }
    if let AuditBinding { node: Some(n), .. } | SchedBound { node: Some(n), .. } = &e.kind {
        add(host_key(Some(n)));
    }
    if on_node(e.component) {
        add(host_key(e.host.as_deref()));
    }
    if keys.is_empty() {
        // Names a pod by nothing usable: nothing joins it, and the node keeps it.
        keys.push(host_key(e.host.as_deref()));
    }
    let key = keys.remove(0);
    Route { key, links: keys }
}

/// What [`plan`] reads per route key: how many rows it has, and the keys it links to.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RouteRow {
    pub route: String,
    #[serde(default)]
    pub rows: u64,
    #[serde(default)]
    pub links: Vec<String>,
}

/// Union-find over keys, by index.
struct Sets {
    parent: Vec<usize>,
}

impl Sets {
    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }
    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        // The smaller index roots: the result does not depend on the order of the unions.
        if a != b {
            let (lo, hi) = (a.min(b), a.max(b));
            self.parent[hi] = lo;
        }
    }
}

/// Assigns every key (routes and the keys they link) to one of `n` partitions: the linked keys'
/// components, largest first (ties: the smallest key first), each to the partition holding the
/// fewest rows so far (ties: the lowest). The same rows in any order give the same plan.
/// [`ALL`] is not assigned: every partition gets it.
pub fn plan(rows: &[RouteRow], n: usize) -> Plan {
    let n = n.max(1);
    let mut keys: Vec<&str> = rows
        .iter()
        .flat_map(|r| std::iter::once(r.route.as_str()).chain(r.links.iter().map(String::as_str)))
        .filter(|k| *k != ALL)
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let index: HashMap<&str, usize> = keys.iter().enumerate().map(|(i, k)| (*k, i)).collect();
    let mut sets = Sets {
        parent: (0..keys.len()).collect(),
    };
    let mut weight = vec![0u64; keys.len()];
    for r in rows.iter().filter(|r| r.route != ALL) {
        let a = index[r.route.as_str()];
        weight[a] += r.rows;
        for l in r.links.iter().filter(|l| *l != ALL) {
            sets.union(a, index[l.as_str()]);
        }
    }
    // Components by their root (the smallest key index in them).
    let mut size: BTreeMap<usize, u64> = BTreeMap::new();
    for (i, w) in weight.iter().enumerate() {
        *size.entry(sets.find(i)).or_default() += w;
    }
    let mut comps: Vec<(usize, u64)> = size.into_iter().collect();
    comps.sort_by_key(|&(root, rows)| (std::cmp::Reverse(rows), root));
    let mut load = vec![0u64; n];
    let mut part_of_root: HashMap<usize, usize> = HashMap::new();
    for (root, rows) in comps {
        let p = (0..n).min_by_key(|&p| (load[p], p)).unwrap_or(0);
        load[p] += rows;
        part_of_root.insert(root, p);
    }
    Plan {
        components: part_of_root.len(),
        parts: keys
            .iter()
            .enumerate()
            .map(|(i, k)| ((*k).to_owned(), part_of_root[&sets.find(i)]))
            .collect(),
        rows: load,
    }
}

/// Which partition each route key goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub parts: BTreeMap<String, usize>,
    /// Connected components of linked keys (no partition splits one).
    pub components: usize,
    /// Rows routed to each partition (besides those every partition gets).
    pub rows: Vec<u64>,
}

/// The time range of one host's events (all but stored Pod objects), on its own clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostRange {
    pub host: Option<String>,
    pub first: i64,
    pub last: i64,
}

/// What one partition knows of the global values: the skew of the nodes whose pods it holds,
/// and its events' time range per host, before any skew is applied.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    pub part: PartOf,
    pub skew: Vec<HostSkew>,
    pub ranges: Vec<HostRange>,
    #[serde(default)]
    pub proxy: Vec<ProxyDigest>,
}

/// What a build reads of one node's kube-proxy lines (`build::index::ProxyIndex`): its first
/// line's time, each sync's start, and each sync's end with where it was written. Times are
/// on the node's clock, resolved, before any skew correction.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProxyDigest {
    pub host: String,
    pub first: i64,
    /// Where the first line was written (stream, line).
    pub first_at: (u32, u32),
    pub starts: Vec<i64>,
    pub dones: Vec<ProxyDone>,
}

/// One sync's end: enough to make the `programmed` milestone it gives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProxyDone {
    pub t: i64,
    pub component: Component,
    /// The stream (numbered as in every partition) and line it was read from.
    pub file: u32,
    pub line: u32,
    pub precision: crate::timeline::Precision,
}

/// Which partition of how many (`K/N`, K from 0): facts and results say it, so that a merge
/// missing one, or given one twice, is an error and not a run that silently lacks a node's
/// skew or pods.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PartOf {
    pub index: usize,
    pub of: usize,
}

impl std::fmt::Display for PartOf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.of)
    }
}

impl std::str::FromStr for PartOf {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (k, n) = s
            .split_once('/')
            .ok_or_else(|| format!("expected K/N (partition K of N, K from 0), got {s:?}"))?;
        let p = PartOf {
            index: k.trim().parse().map_err(|e| format!("{k:?}: {e}"))?,
            of: n.trim().parse().map_err(|e| format!("{n:?}: {e}"))?,
        };
        if p.index >= p.of {
            return Err(format!(
                "partition {} of {}: K counts from 0 to N-1",
                p.index, p.of
            ));
        }
        Ok(p)
    }
}

/// Every partition of one split exactly once: `0/N` … `N-1/N`.
pub fn complete(parts: impl IntoIterator<Item = PartOf>) -> anyhow::Result<usize> {
    let mut parts: Vec<PartOf> = parts.into_iter().collect();
    parts.sort();
    let Some(of) = parts.first().map(|p| p.of) else {
        anyhow::bail!("no partition given");
    };
    if let Some(p) = parts.iter().find(|p| p.of != of) {
        anyhow::bail!(
            "partitions of different splits: {p} beside {}/{of}",
            parts[0].index
        );
    }
    for (k, p) in parts.iter().enumerate() {
        if p.index != k {
            let said = if p.index < k { "twice" } else { "missing" };
            let which = if p.index < k { p.index } else { k };
            anyhow::bail!(
                "partition {which}/{of} {said}: every partition of the split must be given once"
            );
        }
    }
    if parts.len() != of {
        anyhow::bail!(
            "partition {}/{of} missing: every partition of the split must be given once",
            parts.len()
        );
    }
    Ok(of)
}

/// A partition's facts, from its events once joined (times resolved, skew not yet applied).
pub fn facts(events: &[Event], joined: &Joined, estimate_skew: bool) -> Facts {
    let mut ranges: BTreeMap<Option<&str>, (i64, i64)> = BTreeMap::new();
    for e in events
        .iter()
        .filter(|e| !matches!(e.kind, EventKind::PodObject(_)))
    {
        let r = ranges.entry(e.host.as_deref()).or_insert((e.t, e.t));
        r.0 = r.0.min(e.t);
        r.1 = r.1.max(e.t);
    }
    // The partition's kube-proxy lines, per node, in the join's (time) order.
    let mut proxy: BTreeMap<&str, ProxyDigest> = BTreeMap::new();
    for &i in &joined.proxy {
        let e = &events[i];
        let Some(h) = e.host.as_deref() else {
            continue;
        };
        let d = proxy.entry(h).or_insert_with(|| ProxyDigest {
            host: h.to_owned(),
            first: e.t,
            first_at: (e.evidence.file, e.evidence.line),
            ..Default::default()
        });
        match &e.kind {
            EventKind::ProxySync { done: false, .. } => d.starts.push(e.t),
            EventKind::ProxySync { done: true, .. } => d.dones.push(ProxyDone {
                t: e.t,
                component: e.component,
                file: e.evidence.file,
                line: e.evidence.line,
                precision: e.raw_time.precision(),
            }),
            _ => {}
        }
    }
    Facts {
        part: PartOf::default(),
        proxy: proxy.into_values().collect(),
        skew: if estimate_skew {
            super::skew::estimate_joined(events, joined)
        } else {
            Vec::new()
        },
        ranges: ranges
            .into_iter()
            .map(|(h, (first, last))| HostRange {
                host: h.map(str::to_owned),
                first,
                last,
            })
            .collect(),
    }
}

/// The global values every partition's build takes instead of computing them from its share.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fixed {
    /// Every node's skew estimate, by host (as one build over everything estimates it).
    pub skew: Vec<HostSkew>,
    /// The logs' time range once skew is applied (`None`: no event).
    pub logs: Option<(i64, i64)>,
    /// Every partition's kube-proxy digests, with the partition's index.
    pub proxy: Vec<(usize, ProxyDigest)>,
    /// The partition being built (its own kube-proxy lines are among its events).
    pub own: usize,
}

/// Adds, as events, the kube-proxy lines of other partitions' nodes that a build reads (see
/// [`ProxyDigest`]): the first line (as a "Network programming" line), each start and each end,
/// on their node's clock before skew correction, as this partition's own lines are when it
/// applies it. Their other fields (mode, duration) are read by no build.
pub fn add_proxy_lines(fixed: &Fixed, events: &mut Vec<Event>) {
    use crate::event::{Evidence, RawTime};
    use podtrace_parsers::time::Instant;
    let at = |t: i64, precision| {
        RawTime::Abs(Instant {
            unix_nanos: t,
            precision,
            offset_secs: 0,
        })
    };
    for (_, d) in fixed.proxy.iter().filter(|(k, _)| *k != fixed.own) {
        let host: std::sync::Arc<str> = d.host.as_str().into();
        let line = |t: i64, component, (file, line), precision, kind| Event {
            raw_time: at(t, precision),
            t,
            evidence: Evidence { file, line },
            host: Some(host.clone()),
            component,
            kind,
        };
        events.push(line(
            d.first,
            Component::KubeProxy,
            d.first_at,
            crate::timeline::Precision::Ns,
            EventKind::NetworkProgramming {
                service: String::new(),
                elapsed_nanos: None,
            },
        ));
        // A start's time is all a build reads of it: it is placed at the node's first line.
        for &t in &d.starts {
            events.push(line(
                t,
                Component::KubeProxy,
                d.first_at,
                crate::timeline::Precision::Ns,
                EventKind::ProxySync {
                    done: false,
                    mode: "",
                    elapsed_nanos: None,
                },
            ));
        }
        for x in &d.dones {
            events.push(line(
                x.t,
                x.component,
                (x.file, x.line),
                x.precision,
                EventKind::ProxySync {
                    done: true,
                    mode: "",
                    elapsed_nanos: None,
                },
            ));
        }
    }
}

/// Gathers every partition's facts. A node estimated in two partitions means the partitions do
/// not follow one plan: an error, not a guess between the two.
pub fn merge(parts: &[Facts]) -> anyhow::Result<Fixed> {
    complete(parts.iter().map(|f| f.part))?;
    let mut skew: BTreeMap<&str, &HostSkew> = BTreeMap::new();
    for s in parts.iter().flat_map(|f| &f.skew) {
        if skew.insert(&s.host, s).is_some() {
            anyhow::bail!(
                "node {:?} has skew pairs in two partitions: they were not split by one plan",
                s.host
            );
        }
    }
    let skew: Vec<HostSkew> = skew.into_values().cloned().collect();
    // The shift one build applies: `skew::apply`'s rule.
    let shift: HashMap<&str, i64> = skew
        .iter()
        .filter(|s| super::skew::applies(s))
        .map(|s| (s.host.as_str(), s.offset_nanos))
        .collect();
    let mut logs: Option<(i64, i64)> = None;
    for r in parts.iter().flat_map(|f| &f.ranges) {
        let d = r
            .host
            .as_deref()
            .and_then(|h| shift.get(h))
            .copied()
            .unwrap_or(0);
        let (a, b) = (r.first - d, r.last - d);
        logs = Some(logs.map_or((a, b), |(x, y)| (x.min(a), y.max(b))));
    }
    let proxy = parts
        .iter()
        .flat_map(|f| f.proxy.iter().map(|d| (f.part.index, d.clone())))
        .collect();
    Ok(Fixed {
        skew,
        logs,
        proxy,
        own: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{CreateData, Evidence, RawTime};

    fn ev(component: Component, host: Option<&str>, kind: EventKind) -> Event {
        Event {
            t: 0,
            raw_time: RawTime::Abs(podtrace_parsers::time::Instant {
                unix_nanos: 0,
                precision: podtrace_parsers::time::Precision::Us,
                offset_secs: 0,
            }),
            component,
            host: host.map(Into::into),
            evidence: Evidence { file: 0, line: 1 },
            kind,
        }
    }

    fn pod(ns: &str, name: &str, uid: Option<&str>) -> PodRef {
        PodRef::of(ns, name, uid)
    }

    fn keys(r: &Route) -> Vec<&str> {
        std::iter::once(r.key.as_str())
            .chain(r.links.iter().map(String::as_str))
            .collect()
    }

    #[test]
    fn routes_follow_what_the_join_reads() {
        // A kubelet line: its pod, that pod's UID and its node.
        let e = ev(
            Component::Kubelet,
            Some("w1"),
            EventKind::VolumesReady {
                pod: pod("ns", "a", Some("u1")),
            },
        );
        assert_eq!(keys(&route(&e)), ["p:ns/a", "u:u1", "h:w1"]);
        // A scheduler line names the pod only (its host is not the pod's node), and a binding
        // the node it binds to.
        let e = ev(
            Component::Scheduler,
            Some("cp"),
            EventKind::SchedBound {
                pod: pod("ns", "a", None),
                node: Some("w2".into()),
            },
        );
        assert_eq!(keys(&route(&e)), ["p:ns/a", "h:w2"]);
        // A runtime line keyed by ids goes with its node; its fallback name is a link.
        let e = ev(
            Component::Containerd,
            Some("w1"),
            EventKind::CreateStart(Box::new(CreateData {
                pod: Some(pod("ns", "b", None)),
                sandbox_id: "sb".into(),
                container: "c".into(),
                attempt: 0,
                container_id: None,
                error: None,
            })),
        );
        assert_eq!(keys(&route(&e)), ["h:w1", "p:ns/b"]);
        let e = ev(
            Component::Containerd,
            None,
            EventKind::StartDone {
                container_id: "c1".into(),
            },
        );
        assert_eq!(keys(&route(&e)), ["h"]);
        // A kube-proxy sync stays with its node (the others get its digest).
        let e = ev(
            Component::KubeProxy,
            Some("w1"),
            EventKind::ProxySync {
                done: true,
                mode: "iptables",
                elapsed_nanos: None,
            },
        );
        assert_eq!(keys(&route(&e)), ["h:w1"]);
        // The controller's endpoint syncs: every partition.
        let e = ev(
            Component::ControllerManager,
            Some("cp"),
            EventKind::EndpointSliceSync {
                service: "ns/web".into(),
                elapsed_nanos: None,
            },
        );
        assert_eq!(
            route(&e),
            Route {
                key: ALL.into(),
                links: vec![]
            }
        );
        // Several pods in one SyncLoop line: all linked.
        let e = ev(
            Component::Kubelet,
            Some("w3"),
            EventKind::SyncLoop {
                op: crate::event::SyncOp::Add,
                source: "api".into(),
                pods: vec![pod("ns", "a", None), pod("ns", "c", None)].into(),
            },
        );
        assert_eq!(keys(&route(&e)), ["p:ns/a", "p:ns/c", "h:w3"]);
    }

    fn row(route: &str, rows: u64, links: &[&str]) -> RouteRow {
        RouteRow {
            route: route.into(),
            rows,
            links: links.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn plans_keep_linked_keys_together_and_balance_rows() {
        let rows = [
            row("p:ns/a", 10, &["h:w1", "u:1"]),
            row("h:w1", 40, &[]),
            row("p:ns/b", 5, &["h:w2"]),
            row("h:w2", 30, &[]),
            row("p:ns/c", 7, &["h:w3"]),
            row("h:w3", 20, &[]),
            // A pod of one name on two nodes joins them.
            row("p:ns/d", 1, &["h:w2", "h:w3"]),
            row("u:1", 2, &["p:ns/a"]),
            row(ALL, 1000, &[]),
        ];
        let plan2 = plan(&rows, 2);
        assert_eq!(plan2.components, 2);
        assert_eq!(plan2.rows, [63, 52]);
        let p = &plan2.parts;
        // {w1, a, u:1} = 52 rows; {w2, w3, b, c, d} = 63 rows: one partition each.
        assert_eq!(p["h:w2"], 0);
        for k in ["h:w3", "p:ns/b", "p:ns/c", "p:ns/d"] {
            assert_eq!(p[k], 0, "{k}");
        }
        for k in ["h:w1", "p:ns/a", "u:1"] {
            assert_eq!(p[k], 1, "{k}");
        }
        assert!(!p.contains_key(ALL));
        // The order of the rows changes nothing.
        let mut rev = rows.to_vec();
        rev.reverse();
        assert_eq!(plan(&rev, 2), plan2);
        // One partition: everything in it.
        assert!(plan(&rows, 1).parts.values().all(|&v| v == 0));
    }

    fn skew(host: &str, offset: i64, inconsistent: bool) -> HostSkew {
        HostSkew {
            host: host.into(),
            offset_nanos: offset,
            lower_nanos: Some(offset - 1),
            upper_nanos: Some(offset + 1),
            lower_pairs: 1,
            upper_pairs: 1,
            inconsistent,
            applied: false,
        }
    }

    /// A node's kube-proxy digest: its first line at `first` (stream 2, line 1), a sync started
    /// 100 ns later and ended at 260 ns (stream 3, line 7, microseconds).
    fn digest(host: &str, first: i64) -> ProxyDigest {
        ProxyDigest {
            host: host.into(),
            first,
            first_at: (2, 1),
            starts: vec![first + 100],
            dones: vec![ProxyDone {
                t: 260,
                component: Component::KubeProxy,
                file: 3,
                line: 7,
                precision: crate::timeline::Precision::Us,
            }],
        }
    }

    #[test]
    fn facts_merge_into_the_whole_runs_values() {
        let range = |h: Option<&str>, first, last| HostRange {
            host: h.map(Into::into),
            first,
            last,
        };
        let a = Facts {
            part: PartOf { index: 0, of: 2 },
            skew: vec![skew("w2", 500, false)],
            ranges: vec![range(Some("w2"), 1_000, 2_000), range(None, 900, 950)],
            proxy: vec![digest("w2", 1_100)],
        };
        let b = Facts {
            part: PartOf { index: 1, of: 2 },
            skew: vec![skew("w1", 0, false), skew("w3", 7, true)],
            ranges: vec![range(Some("w2"), 400, 2_600), range(Some("w3"), 10, 20)],
            proxy: vec![digest("w1", 50)],
        };
        let mut f = merge(&[a.clone(), b]).unwrap();
        assert_eq!(
            f.skew.iter().map(|s| s.host.as_str()).collect::<Vec<_>>(),
            ["w1", "w2", "w3"]
        );
        // w2 moves by 500 ns (its first event, 400, comes to -100); w3's estimate is
        // inconsistent and moves nothing.
        assert_eq!(f.logs, Some((-100, 2_100)));
        // Partition 0 gets partition 1's kube-proxy lines (its own are among its events): the
        // node's first line, each start, each end where it was written.
        f.own = 0;
        let mut events = Vec::new();
        add_proxy_lines(&f, &mut events);
        // (time, host, an end?, stream, line, precision) of each line added.
        type Line<'a> = (
            i64,
            Option<&'a str>,
            bool,
            u32,
            u32,
            crate::timeline::Precision,
        );
        let got: Vec<Line<'_>> = events
            .iter()
            .map(|e| {
                (
                    e.t,
                    e.host.as_deref(),
                    matches!(e.kind, EventKind::ProxySync { done: true, .. }),
                    e.evidence.file,
                    e.evidence.line,
                    e.raw_time.precision(),
                )
            })
            .collect();
        use crate::timeline::Precision::{Ns, Us};
        assert_eq!(
            got,
            [
                (50, Some("w1"), false, 2, 1, Ns),
                (150, Some("w1"), false, 2, 1, Ns),
                (260, Some("w1"), true, 3, 7, Us),
            ]
        );
        assert!(matches!(
            events[0].kind,
            EventKind::NetworkProgramming { .. }
        ));
        // A partition given twice, or one missing: an error that says which.
        let e = merge(&[a.clone(), a.clone()]).unwrap_err().to_string();
        assert!(e.contains("partition 0/2 twice"), "{e}");
        let e = merge(std::slice::from_ref(&a)).unwrap_err().to_string();
        assert!(e.contains("partition 1/2 missing"), "{e}");
        assert!(merge(&[]).is_err());
        // A node estimated in two partitions: they were not split by one plan.
        let mut a2 = a.clone();
        a2.part.index = 1;
        let e = merge(&[a, a2]).unwrap_err().to_string();
        assert!(e.contains("\"w2\" has skew pairs in two partitions"), "{e}");
    }

    #[test]
    fn partitions_are_named_k_of_n() {
        assert_eq!("2/5".parse::<PartOf>(), Ok(PartOf { index: 2, of: 5 }));
        assert!("5/5".parse::<PartOf>().is_err());
        assert!("x/5".parse::<PartOf>().is_err());
        assert!("3".parse::<PartOf>().is_err());
        let p = |index, of| PartOf { index, of };
        assert_eq!(complete([p(1, 3), p(0, 3), p(2, 3)]).unwrap(), 3);
        let e = complete([p(0, 3), p(2, 3)]).unwrap_err().to_string();
        assert!(e.contains("partition 1/3 missing"), "{e}");
        let e = complete([p(0, 3), p(1, 3), p(1, 3), p(2, 3)])
            .unwrap_err()
            .to_string();
        assert!(e.contains("partition 1/3 twice"), "{e}");
        let e = complete([p(0, 2), p(1, 3)]).unwrap_err().to_string();
        assert!(e.contains("different splits"), "{e}");
    }
}
