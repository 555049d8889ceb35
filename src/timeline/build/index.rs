//! Evidence shared by the pods of a run, indexed once: image pulls per node, EndpointSlice writes
//! per pod, kube-proxy syncs per node.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::event::{Event, EventKind};

/// A node's pulls of one image: (host, image).
pub(super) type NodeImage = (Option<Arc<str>>, Box<str>);

/// Pulls per node, in time order, so that attaching one to a container is a binary search.
pub(super) struct PullIndex {
    /// host → PullDone events.
    pub(super) dones: HashMap<Option<Arc<str>>, Vec<usize>>,
    /// (host, image) → PullStart events.
    pub(super) starts: HashMap<NodeImage, Vec<usize>>,
    /// (host, image) → PulledInfo events.
    pub(super) infos: HashMap<NodeImage, Vec<usize>>,
}

impl PullIndex {
    pub(super) fn new(ev: &[Event], pulls: &[usize]) -> Self {
        let mut ix = PullIndex {
            dones: HashMap::new(),
            starts: HashMap::new(),
            infos: HashMap::new(),
        };
        for &p in pulls {
            let h = ev[p].host.clone();
            match &ev[p].kind {
                EventKind::PullDone { .. } => ix.dones.entry(h).or_default().push(p),
                EventKind::PullStart { image } => {
                    ix.starts.entry((h, image.clone())).or_default().push(p)
                }
                EventKind::PulledInfo(info) => {
                    ix.infos.entry((h, info.image.clone())).or_default().push(p)
                }
                _ => {}
            }
        }
        ix
    }

    /// The latest event of `list` at or before `t` (lists are in time order).
    pub(super) fn last_before(ev: &[Event], list: Option<&Vec<usize>>, t: i64) -> Option<usize> {
        let list = list?;
        let k = list.partition_point(|&i| ev[i].t <= t);
        k.checked_sub(1).map(|k| list[k])
    }
}

/// EndpointSlice/Endpoints writes that list an address as ready, by pod UID and by IP.
#[derive(Default)]
pub(super) struct EndpointIndex {
    by_uid: HashMap<String, Listed>,
    /// Addresses whose targetRef carries no UID.
    by_ip_no_uid: HashMap<String, Listed>,
    by_ip: HashMap<String, Listed>,
}

#[derive(Default, Clone)]
pub(super) struct Listed {
    pub(super) first_slice: Option<usize>,
    pub(super) first_any: Option<usize>,
    pub(super) services: std::collections::BTreeSet<String>,
}

impl Listed {
    fn add(&mut self, i: usize, slice: bool, service: &str) {
        if slice && self.first_slice.is_none() {
            self.first_slice = Some(i);
        }
        self.first_any.get_or_insert(i);
        self.services.insert(service.to_owned());
    }

    fn merge(a: Option<&Listed>, b: Option<&Listed>, ev: &[Event]) -> Option<Listed> {
        let earliest = |x: Option<usize>, y: Option<usize>| match (x, y) {
            (Some(x), Some(y)) => Some(if ev[y].t < ev[x].t { y } else { x }),
            (x, y) => x.or(y),
        };
        match (a, b) {
            (None, None) => None,
            (Some(l), None) | (None, Some(l)) => Some(l.clone()),
            (Some(a), Some(b)) => Some(Listed {
                first_slice: earliest(a.first_slice, b.first_slice),
                first_any: earliest(a.first_any, b.first_any),
                services: a.services.union(&b.services).cloned().collect(),
            }),
        }
    }
}

impl EndpointIndex {
    pub(super) fn new(ev: &[Event], writes: &[usize]) -> Self {
        let mut ix = EndpointIndex::default();
        for &i in writes {
            let EventKind::EndpointsWrite(w) = &ev[i].kind else {
                continue;
            };
            let crate::event::EndpointsWriteData {
                service,
                object,
                endpoints,
                ..
            } = &**w;
            let slice = object.starts_with("EndpointSlice/");
            for a in endpoints.iter().filter(|a| a.ready) {
                ix.by_ip
                    .entry(a.ip.clone())
                    .or_default()
                    .add(i, slice, service);
                match a.pod.as_ref().and_then(|p| p.uid.clone()) {
                    Some(uid) => ix.by_uid.entry(uid).or_default().add(i, slice, service),
                    None => ix
                        .by_ip_no_uid
                        .entry(a.ip.clone())
                        .or_default()
                        .add(i, slice, service),
                }
            }
        }
        ix
    }

    /// By UID where the write names one (else by IP); by IP for pods without a UID.
    pub(super) fn lookup(
        &self,
        ev: &[Event],
        uid: Option<&str>,
        ip: Option<&str>,
    ) -> Option<Listed> {
        match uid {
            Some(u) => Listed::merge(
                self.by_uid.get(u),
                ip.and_then(|ip| self.by_ip_no_uid.get(ip)),
                ev,
            ),
            None => ip.and_then(|ip| self.by_ip.get(ip)).cloned(),
        }
    }
}

/// kube-proxy syncs per node, in time order.
#[derive(Default)]
pub(super) struct ProxyIndex {
    /// Keyed by the node's name, shared with every pod's `programmed` entry for the node.
    pub(super) nodes: BTreeMap<std::sync::Arc<str>, NodeSyncs>,
}

/// kube-proxy syncs at most this long after a change (its default `minSyncPeriod`, 1 s): a node
/// whose first logged line comes later than that after a write has logs that do not cover it.
const UNCOVERED: i64 = 1_000_000_000;

#[derive(Default)]
pub(super) struct NodeSyncs {
    starts: Vec<i64>,
    /// Each completion's time beside its event: every pod and every write searches these, and
    /// a search through the events themselves would touch a cache line per probe.
    dones: Vec<(i64, usize)>,
    /// The node's first kube-proxy line: before it, its logs say nothing.
    first_seen: i64,
}

impl NodeSyncs {
    /// The completion of the first sync that *started* at or after `t` (one already running read
    /// the old state); where starts are not logged, the first completion after `t`.
    /// `Err`: this node's logs begin too long after `t` to say.
    pub(super) fn sync_carrying(&self, t: i64) -> Result<Option<usize>, &'static str> {
        if self.first_seen > t + UNCOVERED {
            return Err("its kube-proxy logs start after the write");
        }
        let from = if self.starts.is_empty() {
            Some(t)
        } else {
            self.starts
                .get(self.starts.partition_point(|&s| s < t))
                .copied()
        };
        Ok(from.and_then(|f| {
            self.dones
                .get(self.dones.partition_point(|&(t, _)| t < f))
                .map(|&(_, i)| i)
        }))
    }
}

impl ProxyIndex {
    pub(super) fn new(ev: &[Event], proxy: &[usize]) -> Self {
        let mut ix = ProxyIndex::default();
        for &i in proxy {
            let Some(host) = &ev[i].host else {
                continue;
            };
            let h: &str = host;
            // Looked up by `&str` first: a key is made once per node (the event's shared name),
            // not per sync.
            if !ix.nodes.contains_key(h) {
                let first = NodeSyncs {
                    first_seen: ev[i].t,
                    ..Default::default()
                };
                ix.nodes.insert(host.clone(), first);
            }
            let Some(n) = ix.nodes.get_mut(h) else {
                continue;
            };
            match ev[i].kind {
                EventKind::ProxySync { done: false, .. } => n.starts.push(ev[i].t),
                EventKind::ProxySync { done: true, .. } => n.dones.push((ev[i].t, i)),
                _ => {}
            }
        }
        ix
    }
}
