//! Grouping events by pod.
//!
//! 1. Events that carry a pod UID (audit bodies, PLEG, containerd sandbox metadata, kubelet
//!    volume/status lines) make the pods.
//! 2. Events that name a pod only by `namespace/name` go to the pod of that name whose activity
//!    is nearest in time (a pod deleted and recreated under one name has two UIDs); a name with
//!    no UID anywhere becomes a pod of its own, UID missing.
//! 3. Runtime events keyed by sandbox or container id follow the ids: sandbox id from
//!    "returns sandbox id" (or the kubelet's "Created PodSandbox"), container id from
//!    "returns container id".
//! 4. Image pulls name no pod; they are kept per node for the timeline to attach by time.

use std::collections::HashMap;

use crate::event::{Event, EventKind, PodRef};

#[derive(Debug, Clone, Default)]
pub struct PodGroup {
    pub namespace: String,
    pub name: String,
    pub uid: Option<String>,
    /// Indices into the event slice, in time order.
    pub events: Vec<usize>,
    pub sandbox_ids: Vec<String>,
    /// A static pod's manifest hash (the kubelet's UID for it), when joined to its mirror pod.
    pub config_hash: Option<String>,
    first: i64,
    last: i64,
}

#[derive(Debug, Default)]
pub struct Joined {
    pub pods: Vec<PodGroup>,
    /// Pull events (indices), which name no pod.
    pub pulls: Vec<usize>,
    /// Runtime events whose sandbox or container id matched no pod.
    pub orphans: Vec<usize>,
    /// EndpointSlice/Endpoints writes, in time order.
    pub endpoint_writes: Vec<usize>,
    /// kube-proxy syncs and "Network programming" lines, in time order.
    pub proxy: Vec<usize>,
    /// ingress-nginx reloads, in time order.
    pub ingress: Vec<usize>,
}

/// The pods an event names (no allocation: this runs twice per event).
pub(crate) fn pod_refs(k: &EventKind) -> &[PodRef] {
    use EventKind::*;
    match k {
        AuditPodCreate { pod, .. }
        | AuditBinding { pod, .. }
        | AuditStatusPatch { pod, .. }
        | SchedAttempt { pod }
        | SchedBound { pod, .. }
        | SchedUnschedulable { pod, .. }
        | PodUid { pod }
        | NoSandbox { pod }
        | CreatingSandbox { pod }
        | CreatedSandbox { pod, .. }
        | SandboxFailed { pod, .. }
        | Pleg { pod, .. }
        | Probe { pod, .. }
        | VolumeMounted { pod, .. }
        | VolumesReady { pod }
        | CsiPublished { pod, .. }
        | Startup { pod, .. }
        | KubeletStatus { pod, .. }
        | SandboxStart { pod, .. }
        | SandboxReady { pod, .. }
        | SandboxRunFailed { pod, .. } => std::slice::from_ref(pod),
        K8sEvent(k) => std::slice::from_ref(&k.pod),
        PodObject(o) => std::slice::from_ref(&o.pod),
        SyncLoop { pods, .. } => pods,
        // Joined by id or not per pod (step 3 of `join`): listed one by one so that a new
        // variant cannot lose its pod link to a catch-all arm.
        EndpointsWrite { .. }
        | PullStart { .. }
        | PullDone { .. }
        | PullFailed { .. }
        | PulledInfo { .. }
        | CreateStart { .. }
        | CreateDone { .. }
        | CreateFailed { .. }
        | StartStart { .. }
        | StartDone { .. }
        | StartFailed { .. }
        | CniBegin { .. }
        | Cni { .. }
        | ProxySync { .. }
        | NetworkProgramming { .. }
        | EndpointSliceSync { .. }
        | IngressReload { .. } => &[],
    }
}

struct Index {
    pods: Vec<PodGroup>,
    by_uid: HashMap<String, usize>,
    /// `namespace` NUL `name` → pods of that name.
    by_name: HashMap<String, Vec<usize>>,
    /// Reused to build `by_name` keys for look-ups without allocating.
    key: String,
    by_sandbox: HashMap<String, usize>,
    by_container: HashMap<String, usize>,
}

impl Index {
    fn add_event(&mut self, p: usize, i: usize, t: i64) {
        let g = &mut self.pods[p];
        if g.events.last() != Some(&i) {
            g.events.push(i);
        }
        if g.events.len() == 1 {
            g.first = t;
            g.last = t;
        }
        g.first = g.first.min(t);
        g.last = g.last.max(t);
    }

    fn name_key(&mut self, r: &PodRef) -> &str {
        self.key.clear();
        self.key.push_str(&r.namespace);
        self.key.push('\0');
        self.key.push_str(&r.name);
        &self.key
    }

    fn add_name(&mut self, r: &PodRef, p: usize) {
        let key = self.name_key(r).to_owned();
        self.by_name.entry(key).or_default().push(p);
    }

    fn by_uid(&mut self, r: &PodRef, uid: &str) -> usize {
        if let Some(&p) = self.by_uid.get(uid) {
            let g = &mut self.pods[p];
            if g.name.is_empty() && !r.name.is_empty() {
                // First seen through a line that names only the UID (a CSI target path).
                g.name = r.name.clone();
                g.namespace = r.namespace.clone();
                self.add_name(r, p);
            }
            return p;
        }
        let p = self.pods.len();
        self.pods.push(PodGroup {
            namespace: r.namespace.clone(),
            name: r.name.clone(),
            uid: Some(uid.to_owned()),
            ..Default::default()
        });
        self.by_uid.insert(uid.to_owned(), p);
        self.add_name(r, p);
        p
    }

    /// The pod of this name nearest in time, or a new UID-less pod.
    fn by_name(&mut self, r: &PodRef, t: i64) -> usize {
        self.name_key(r);
        if let Some(cands) = self.by_name.get(self.key.as_str()) {
            let best = cands.iter().copied().min_by_key(|&p| {
                let g = &self.pods[p];
                let d = if g.events.is_empty() {
                    i64::MAX
                } else if t < g.first {
                    g.first - t
                } else if t > g.last {
                    t - g.last
                } else {
                    0
                };
                // Ties go to the newer pod.
                (d, std::cmp::Reverse(g.first))
            });
            if let Some(p) = best {
                return p;
            }
        }
        let p = self.pods.len();
        self.pods.push(PodGroup {
            namespace: r.namespace.clone(),
            name: r.name.clone(),
            ..Default::default()
        });
        self.add_name(r, p);
        p
    }
}

/// Groups `events` (already on one clock) by pod.
pub fn join(events: &[Event]) -> Joined {
    let mut order: Vec<usize> = (0..events.len()).collect();
    order.sort_by_key(|&i| (events[i].t, events[i].evidence));
    let mut ix = Index {
        pods: Vec::new(),
        by_uid: HashMap::new(),
        by_name: HashMap::new(),
        key: String::new(),
        by_sandbox: HashMap::new(),
        by_container: HashMap::new(),
    };
    // 1. UID-bearing events.
    for &i in &order {
        let e = &events[i];
        for r in pod_refs(&e.kind) {
            if let Some(uid) = &r.uid {
                let p = ix.by_uid(r, uid);
                ix.add_event(p, i, e.t);
                if let EventKind::SandboxReady { sandbox_id, .. } = &e.kind {
                    ix.by_sandbox.insert(sandbox_id.clone(), p);
                }
            }
        }
    }
    // 2. Name-only events.
    for &i in &order {
        let e = &events[i];
        for r in pod_refs(&e.kind) {
            if r.uid.is_none() && !r.name.is_empty() {
                let p = ix.by_name(r, e.t);
                ix.add_event(p, i, e.t);
                if let EventKind::SandboxReady { sandbox_id, .. }
                | EventKind::CreatedSandbox { sandbox_id, .. } = &e.kind
                {
                    ix.by_sandbox.entry(sandbox_id.clone()).or_insert(p);
                }
            }
        }
    }
    // PLEG's first ContainerStarted carries the sandbox id; it backs up "returns sandbox id".
    for (p, g) in ix.pods.iter().enumerate() {
        for &i in &g.events {
            if let EventKind::CreatedSandbox { sandbox_id, .. } = &events[i].kind {
                ix.by_sandbox.entry(sandbox_id.clone()).or_insert(p);
            }
        }
    }
    // 3. Id-keyed runtime and CNI events.
    let mut joined = Joined::default();
    for &i in &order {
        let e = &events[i];
        let p = match &e.kind {
            EventKind::CreateStart(c) | EventKind::CreateFailed(c) => ix
                .by_sandbox
                .get(&c.sandbox_id)
                .copied()
                .or_else(|| c.pod.as_ref().map(|r| ix.by_name(r, e.t))),
            EventKind::CniBegin { sandbox_id } => ix.by_sandbox.get(sandbox_id).copied(),
            EventKind::CreateDone(c) => {
                let p = ix
                    .by_sandbox
                    .get(&c.sandbox_id)
                    .copied()
                    .or_else(|| c.pod.as_ref().map(|r| ix.by_name(r, e.t)));
                if let (Some(p), Some(id)) = (p, &c.container_id) {
                    ix.by_container.insert(id.clone(), p);
                }
                p
            }
            EventKind::StartStart { container_id }
            | EventKind::StartDone { container_id }
            | EventKind::StartFailed { container_id, .. } => {
                ix.by_container.get(&**container_id).copied()
            }
            EventKind::Cni(c) => {
                let (sandbox_id, pod) = (&c.sandbox_id, &c.pod);
                let by_sb = sandbox_id
                    .as_ref()
                    .and_then(|sb| ix.by_sandbox.get(&**sb).copied());
                let p = by_sb.or_else(|| {
                    pod.as_ref()
                        .filter(|r| !r.name.is_empty())
                        .map(|r| match &r.uid {
                            Some(uid) => ix.by_uid(r, uid),
                            None => ix.by_name(r, e.t),
                        })
                });
                if let (Some(p), Some(sb)) = (p, sandbox_id) {
                    ix.by_sandbox.entry(sb.to_string()).or_insert(p);
                }
                p
            }
            EventKind::EndpointsWrite { .. } => {
                joined.endpoint_writes.push(i);
                continue;
            }
            EventKind::ProxySync { .. } | EventKind::NetworkProgramming { .. } => {
                joined.proxy.push(i);
                continue;
            }
            EventKind::IngressReload { .. } => {
                joined.ingress.push(i);
                continue;
            }
            EventKind::PullStart { .. }
            | EventKind::PullDone { .. }
            | EventKind::PullFailed { .. }
            | EventKind::PulledInfo { .. } => {
                joined.pulls.push(i);
                continue;
            }
            _ => continue,
        };
        match p {
            Some(p) => ix.add_event(p, i, e.t),
            None => joined.orphans.push(i),
        }
    }
    for (sb, p) in &ix.by_sandbox {
        ix.pods[*p].sandbox_ids.push(sb.clone());
    }
    merge_static_pods(&mut ix.pods);
    for g in &mut ix.pods {
        g.events.sort_by_key(|&i| (events[i].t, events[i].evidence));
        g.events.dedup();
        g.sandbox_ids.sort();
    }
    joined.pods = ix
        .pods
        .into_iter()
        .filter(|g| !g.events.is_empty())
        .collect();
    joined
}

/// A static pod has two UIDs: the kubelet (and the runtime) use the manifest's 32-hex config hash,
/// the API the mirror pod's UID. Where one name has exactly one of each, they are one pod.
fn merge_static_pods(pods: &mut [PodGroup]) {
    let is_hash = |u: &str| u.len() == 32 && u.bytes().all(|b| b.is_ascii_hexdigit());
    let mut by_name: HashMap<(String, String), (Vec<usize>, Vec<usize>)> = HashMap::new();
    for (i, g) in pods.iter().enumerate() {
        if let Some(u) = &g.uid {
            let e = by_name
                .entry((g.namespace.clone(), g.name.clone()))
                .or_default();
            if is_hash(u) { e.0.push(i) } else { e.1.push(i) }
        }
    }
    for (hash, api) in by_name.into_values() {
        if let ([h], [a]) = (hash.as_slice(), api.as_slice()) {
            let moved = std::mem::take(&mut pods[*h].events);
            let sandboxes = std::mem::take(&mut pods[*h].sandbox_ids);
            let hash_uid = pods[*h].uid.take();
            let g = &mut pods[*a];
            g.events.extend(moved);
            g.sandbox_ids.extend(sandboxes);
            g.config_hash = hash_uid;
        }
    }
}
