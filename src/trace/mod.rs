//! Timelines as traces: one trace per pod (issue 5).
//!
//! [`plan`] turns a [`PodTimeline`] into plain [`PlannedSpan`]s (pure, no OpenTelemetry types),
//! which [`otlp`] sends or writes as OTLP and [`perfetto`] writes as Chrome trace events.
//!
//! Identity is derived, never random, so that the same input always gives the same trace and
//! partial runs over one cluster's logs land in the same traces:
//! - trace id = SHA-256("podtrace/trace", cluster, pod UID)[..16] (namespace/name when no UID
//!   was logged; the root span then says so in `podtrace.trace_key`);
//! - span id = SHA-256(trace id, kind, phase, container, node)[..8], where `node` is set only
//!   for spans that belong to one node (kube-proxy programming): a pod's phase spans keep their
//!   ids whether or not a run saw which node the pod ran on.

pub mod otlp;
pub mod perfetto;

use sha2::{Digest, Sha256};

use crate::event::Component;
use crate::timeline::{
    CONTAINER_PHASES, MILESTONES, Milestone, Ms, PHASES, Phase, PodTimeline, Precision,
};

/// An attribute value (the subset of OpenTelemetry's `Value` that podtrace writes).
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    Str(String),
    Int(i64),
    F64(f64),
    Bool(bool),
    Strs(Vec<String>),
}

impl From<&str> for AttrValue {
    fn from(s: &str) -> Self {
        AttrValue::Str(s.to_owned())
    }
}
impl From<String> for AttrValue {
    fn from(s: String) -> Self {
        AttrValue::Str(s)
    }
}
impl From<Ms> for AttrValue {
    fn from(m: Ms) -> Self {
        m.as_str().into()
    }
}
impl From<Phase> for AttrValue {
    fn from(p: Phase) -> Self {
        p.as_str().into()
    }
}
impl From<i64> for AttrValue {
    fn from(v: i64) -> Self {
        AttrValue::Int(v)
    }
}
impl From<bool> for AttrValue {
    fn from(v: bool) -> Self {
        AttrValue::Bool(v)
    }
}

pub type Attrs = Vec<(&'static str, AttrValue)>;

/// A span event: one milestone (or failure report) at its own time.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedEvent {
    pub name: String,
    pub t: i64,
    pub attributes: Attrs,
}

/// What a span stands for (also the `kind` in its id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanKind {
    Pod,
    Phase,
    Container,
    ContainerPhase,
    Programmed,
    Consumer,
}

impl SpanKind {
    fn as_str(self) -> &'static str {
        match self {
            SpanKind::Pod => "pod",
            SpanKind::Phase => "phase",
            SpanKind::Container => "container",
            SpanKind::ContainerPhase => "container-phase",
            SpanKind::Programmed => "programmed",
            SpanKind::Consumer => "consumer",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlannedSpan {
    pub trace_id: [u8; 16],
    pub span_id: [u8; 8],
    pub parent: Option<[u8; 8]>,
    pub kind: SpanKind,
    pub name: String,
    /// `service.name` of the component whose log marks the end of the span.
    pub service: &'static str,
    /// UTC nanoseconds; `start <= end` always (a negative phase is turned round and flagged).
    pub start: i64,
    pub end: i64,
    pub attributes: Attrs,
    pub events: Vec<PlannedEvent>,
    /// Status Error with this description.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct TraceOptions {
    /// Mixed into every trace id, so that two clusters' pods never share a trace.
    pub cluster: Option<String>,
}

/// The OpenTelemetry `service.name` for a component: the program that wrote the line.
pub fn service_name(c: Component) -> &'static str {
    match c {
        Component::Audit | Component::Apiserver => "kube-apiserver",
        Component::Scheduler => "kube-scheduler",
        Component::Kubelet => "kubelet",
        Component::Containerd => "containerd",
        Component::Crio => "cri-o",
        Component::Cni => "cni",
        Component::KubeProxy => "kube-proxy",
        Component::ControllerManager => "kube-controller-manager",
        Component::IngressNginx => "ingress-nginx",
        Component::Cilium => "cilium",
        Component::Csi => "csi-driver",
        Component::Events => "kubernetes-events",
        Component::Other => "podtrace",
    }
}

/// The trace id of a pod: see the module docs.
pub fn trace_id(cluster: Option<&str>, pod: &PodTimeline) -> [u8; 16] {
    let key = trace_key(pod);
    let mut h = Sha256::new();
    h.update(b"podtrace/trace\0");
    h.update(cluster.unwrap_or("").as_bytes());
    h.update(b"\0");
    h.update(key.as_bytes());
    let d = h.finalize();
    let mut id = [0u8; 16];
    id.copy_from_slice(&d[..16]);
    if id == [0; 16] {
        id[15] = 1; // all-zero ids are invalid in OTLP
    }
    id
}

fn trace_key(pod: &PodTimeline) -> String {
    match &pod.uid {
        Some(u) => format!("uid:{u}"),
        None => format!("name:{}/{}", pod.namespace, pod.name),
    }
}

/// The span id of one span of a trace: see the module docs.
pub fn span_id(
    trace: &[u8; 16],
    kind: SpanKind,
    phase: &str,
    container: &str,
    node: &str,
) -> [u8; 8] {
    let mut h = Sha256::new();
    h.update(trace);
    for part in [kind.as_str(), phase, container, node] {
        h.update(part.as_bytes());
        h.update(b"\0");
    }
    let d = h.finalize();
    let mut id = [0u8; 8];
    id.copy_from_slice(&d[..8]);
    if id == [0; 8] {
        id[7] = 1;
    }
    id
}

fn coarsest(a: Precision, b: Precision) -> &'static str {
    if a.nanos() >= b.nanos() { a } else { b }.as_str()
}

/// Attributes every span of a pod carries (semantic conventions).
fn pod_attrs(pod: &PodTimeline) -> Attrs {
    let mut a: Attrs = vec![
        ("k8s.namespace.name", pod.namespace.as_str().into()),
        ("k8s.pod.name", pod.name.as_str().into()),
    ];
    if let Some(u) = &pod.uid {
        a.push(("k8s.pod.uid", u.as_str().into()));
    }
    if let Some(n) = &pod.node {
        a.push(("k8s.node.name", n.as_str().into()));
    }
    if let Some((kind, name)) = pod.owner.as_deref().and_then(|o| o.split_once('/')) {
        let key = match kind {
            "ReplicaSet" => Some("k8s.replicaset.name"),
            "StatefulSet" => Some("k8s.statefulset.name"),
            "DaemonSet" => Some("k8s.daemonset.name"),
            "Job" => Some("k8s.job.name"),
            "Deployment" => Some("k8s.deployment.name"),
            "CronJob" => Some("k8s.cronjob.name"),
            _ => None,
        };
        if let Some(k) = key {
            a.push((k, name.into()));
        }
        // A ReplicaSet named `<deployment>-<hash>` belongs to that Deployment.
        if kind == "ReplicaSet"
            && let Some((dep, hash)) = name.rsplit_once('-')
            && !dep.is_empty()
            && hash.len() >= 5
            && hash.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            a.push(("k8s.deployment.name", dep.into()));
        }
    }
    a
}

/// Attributes describing a milestone as a span event: where it was read, by which component,
/// how precise, and whether it is derived or clock-corrected.
fn milestone_attrs(m: &Milestone) -> Attrs {
    let mut a: Attrs = vec![
        ("podtrace.evidence", m.evidence.to_string().into()),
        ("podtrace.source", m.source.as_str().into()),
        ("podtrace.precision", m.precision.as_str().into()),
    ];
    if let Some(d) = &m.derived {
        a.push(("podtrace.derived", (**d).into()));
    }
    if let Some(o) = m.clock_offset {
        a.push(("podtrace.clock_offset_ms", AttrValue::F64(o as f64 / 1e6)));
    }
    a
}

/// The ends of a span: the evidence of each, and the derived and clock-offset flags only where
/// set (spans are sent by the hundred thousand: each attribute costs).
fn end_attrs(a: &mut Attrs, from: &Milestone, to: &Milestone) {
    a.push(("podtrace.from.evidence", from.evidence.to_string().into()));
    a.push(("podtrace.to.evidence", to.evidence.to_string().into()));
    for (m, der, off) in [
        (
            from,
            "podtrace.from.derived",
            "podtrace.from.clock_offset_ms",
        ),
        (to, "podtrace.to.derived", "podtrace.to.clock_offset_ms"),
    ] {
        if let Some(d) = &m.derived {
            a.push((der, (**d).into()));
        }
        if let Some(o) = m.clock_offset {
            a.push((off, AttrValue::F64(o as f64 / 1e6)));
        }
    }
}

fn milestone_event(name: &str, m: &Milestone) -> PlannedEvent {
    PlannedEvent {
        name: name.to_owned(),
        t: m.t,
        attributes: milestone_attrs(m),
    }
}

/// A span between two milestones. A negative interval is turned round (spans cannot run
/// backwards) and marked as an error with the signed figure kept in `podtrace.duration_ns`.
#[allow(clippy::too_many_arguments)]
fn between(
    trace: &[u8; 16],
    parent: [u8; 8],
    kind: SpanKind,
    name: String,
    id_parts: (&str, &str, &str),
    from: (&str, &Milestone),
    to: (&str, &Milestone),
    base: &Attrs,
) -> PlannedSpan {
    let (f, t) = (from.1, to.1);
    let dur = t.t - f.t;
    let mut attributes = base.clone();
    attributes.push(("podtrace.from", from.0.into()));
    attributes.push(("podtrace.to", to.0.into()));
    attributes.push(("podtrace.duration_ns", dur.into()));
    attributes.push((
        "podtrace.precision",
        coarsest(f.precision, t.precision).into(),
    ));
    end_attrs(&mut attributes, f, t);
    let error = (dur < 0).then(|| {
        format!(
            "negative phase: {} is {:.3} ms before {}",
            to.0,
            -dur as f64 / 1e6,
            from.0
        )
    });
    PlannedSpan {
        trace_id: *trace,
        span_id: span_id(trace, kind, id_parts.0, id_parts.1, id_parts.2),
        parent: Some(parent),
        kind,
        name,
        service: service_name(t.source),
        start: f.t.min(t.t),
        end: f.t.max(t.t),
        attributes,
        events: Vec::new(),
        error,
    }
}

/// Every span of one pod's trace, root first. Empty when the pod has no milestone at all.
pub fn plan(pod: &PodTimeline, opts: &TraceOptions) -> Vec<PlannedSpan> {
    let trace = trace_id(opts.cluster.as_deref(), pod);
    // The root carries everything known about the pod; children its name, for span queries
    // (`{ span.k8s.pod.name = "web-1" && name = "image_pull web" }`).
    let pod_all = pod_attrs(pod);
    let base: Attrs = pod_all[..2].to_vec();
    let root_id = span_id(&trace, SpanKind::Pod, "", "", "");

    // Root: from `requested` (else the earliest milestone) to the last thing seen.
    let all_times: Vec<i64> = times(pod).collect();
    let Some(&last) = all_times.iter().max() else {
        return Vec::new();
    };
    let (start_name, start_m) = match pod.milestones.get(&Ms::Requested) {
        Some(m) => (Ms::Requested, m),
        // Of equal times the first by name, as when milestones were keyed by name.
        None => match pod.milestones.iter().min_by_key(|(n, m)| (m.t, n.as_str())) {
            Some((n, m)) => (*n, m),
            None => return Vec::new(),
        },
    };
    let first = *all_times.iter().min().unwrap_or(&start_m.t);
    let mut root_attrs = pod_all;
    root_attrs.push(("podtrace.root_start", start_name.into()));
    root_attrs.push(("podtrace.trace_key", trace_key(pod).into()));
    if let Some(o) = &pod.owner {
        root_attrs.push(("podtrace.owner", o.as_str().into()));
    }
    if let Some(ip) = &pod.pod_ip {
        root_attrs.push(("k8s.pod.ip", ip.as_str().into()));
    }
    let missing: Vec<String> = MILESTONES
        .iter()
        .filter(|m| !pod.milestones.contains_key(*m))
        .map(|m| m.as_str().to_owned())
        .collect();
    if !missing.is_empty() {
        root_attrs.push(("podtrace.missing", AttrValue::Strs(missing)));
    }
    if !pod.services.is_empty() {
        root_attrs.push(("podtrace.services", AttrValue::Strs(pod.services.clone())));
    }
    if !pod.programmed_missing.is_empty() {
        root_attrs.push((
            "podtrace.programmed_missing",
            AttrValue::Strs(pod.programmed_missing.clone()),
        ));
    }
    if let Some((phase, ns, share)) = pod.dominant {
        root_attrs.push(("podtrace.dominant_phase", phase.into()));
        root_attrs.push(("podtrace.dominant_ns", ns.into()));
        root_attrs.push(("podtrace.dominant_share", AttrValue::F64(share)));
    }
    if let Some(sli) = pod.phases.get(&Phase::StartupSli) {
        // Not an interval (e2e minus pulls): carried as a figure on the root.
        root_attrs.push(("podtrace.startup_sli_ns", (*sli).into()));
    }
    if let Some(k) = &pod.kubelet
        && let Some(e2e) = k.e2e_nanos
    {
        root_attrs.push(("podtrace.kubelet_e2e_ns", e2e.into()));
    }
    for f in &pod.findings {
        root_attrs.push(("podtrace.finding", f.as_str().into()));
    }
    let root = PlannedSpan {
        trace_id: trace,
        span_id: root_id,
        parent: None,
        kind: SpanKind::Pod,
        name: format!("{}/{}", pod.namespace, pod.name),
        service: service_name(start_m.source),
        // Starts at `requested` unless something was logged before it (clock skew), so that
        // every child lies inside the root.
        start: start_m.t.min(first),
        end: last,
        attributes: root_attrs,
        events: MILESTONES
            .iter()
            .filter_map(|n| {
                pod.milestones
                    .get(n)
                    .map(|m| milestone_event(n.as_str(), m))
            })
            .collect(),
        error: None,
    };
    let mut spans = vec![root];

    // Phases: children of the root, except the sub-phases of kubelet_prep (volumes) and
    // sandbox (network), which nest under them when present.
    let mut phase_ids = std::collections::BTreeMap::new();
    for (name, from, to) in PHASES {
        let (Some(f), Some(t)) = (pod.milestones.get(&from), pod.milestones.get(&to)) else {
            continue;
        };
        let parent_phase = match name {
            Phase::Volumes => Some(Phase::KubeletPrep),
            Phase::Network => Some(Phase::Sandbox),
            _ => None,
        };
        let parent = parent_phase
            .and_then(|p| phase_ids.get(&p).copied())
            .unwrap_or(root_id);
        let s = between(
            &trace,
            parent,
            SpanKind::Phase,
            name.as_str().to_owned(),
            (name.as_str(), "", ""),
            (from.as_str(), f),
            (to.as_str(), t),
            &base,
        );
        phase_ids.insert(name, s.span_id);
        spans.push(s);
    }

    // Containers: a span per container (first to last milestone) under `containers`, with its
    // pull, create and start as children.
    let containers_parent = phase_ids
        .get(&Phase::Containers)
        .copied()
        .unwrap_or(root_id);
    for c in &pod.containers {
        let mut times = c.milestones.values().map(|m| m.t);
        let Some(first_t) = times.next() else {
            continue;
        };
        let (lo, hi) = c
            .milestones
            .values()
            .fold((first_t, first_t), |(lo, hi), m| (lo.min(m.t), hi.max(m.t)));
        let mut attrs = base.clone();
        attrs.push(("container.name", c.name.as_str().into()));
        if let Some(id) = &c.id {
            attrs.push(("container.id", id.as_str().into()));
        }
        if let Some(img) = &c.image {
            let (name, tag) = split_image(img);
            attrs.push(("container.image.name", name.into()));
            if let Some(tag) = tag {
                attrs.push((
                    "container.image.tags",
                    AttrValue::Strs(vec![tag.to_owned()]),
                ));
            }
        }
        if let Some(b) = c.image_size_bytes {
            attrs.push(("podtrace.image_size_bytes", (b as i64).into()));
        }
        if let Some(p) = c.pull_logged_nanos {
            attrs.push(("podtrace.pull_logged_ns", p.into()));
        }
        attrs.push(("podtrace.restarts", (c.restarts as i64).into()));
        attrs.push(("podtrace.init", c.init.into()));
        attrs.push((
            "podtrace.image_cached",
            c.milestones.contains_key(&Ms::ImageCached).into(),
        ));
        let cid = span_id(&trace, SpanKind::Container, "", &c.name, "");
        // Of equal times the last by name, as when milestones were keyed by name.
        let last_m = c
            .milestones
            .iter()
            .max_by_key(|(n, m)| (m.t, n.as_str()))
            .map(|(_, m)| m);
        let mut cspan = PlannedSpan {
            trace_id: trace,
            span_id: cid,
            parent: Some(containers_parent),
            kind: SpanKind::Container,
            name: format!("container {}", c.name),
            service: last_m.map_or("kubelet", |m| service_name(m.source)),
            start: lo,
            end: hi,
            attributes: attrs.clone(),
            events: crate::timeline::CONTAINER_MILESTONES
                .iter()
                .filter_map(|n| c.milestones.get(n).map(|m| milestone_event(n.as_str(), m)))
                .collect(),
            error: None,
        };
        let mut children = Vec::new();
        for (phase, from, to) in CONTAINER_PHASES {
            let (Some(f), Some(t)) = (c.milestones.get(&from), c.milestones.get(&to)) else {
                continue;
            };
            children.push(between(
                &trace,
                cid,
                SpanKind::ContainerPhase,
                format!("{phase} {}", c.name),
                (phase.as_str(), &c.name, ""),
                (from.as_str(), f),
                (to.as_str(), t),
                &attrs,
            ));
        }
        // A container span covers its children even where they were turned round.
        for ch in &children {
            cspan.start = cspan.start.min(ch.start);
            cspan.end = cspan.end.max(ch.end);
        }
        spans.push(cspan);
        spans.extend(children);
    }

    // Endpoint propagation: one span per node from endpoints_updated to that node's programming,
    // and one per other consumer.
    if let Some(ep) = pod.milestones.get(&Ms::EndpointsUpdated) {
        let parent = phase_ids
            .get(&Phase::Programming)
            .copied()
            .unwrap_or(root_id);
        for (node, m) in &pod.programmed {
            let mut s = between(
                &trace,
                parent,
                SpanKind::Programmed,
                format!("programmed {node}"),
                ("programmed", "", node),
                (Ms::EndpointsUpdated.as_str(), ep),
                ("programmed", m),
                &base,
            );
            // The pod's node is not where this happened: name the node that programmed.
            set_attr(&mut s.attributes, "k8s.node.name", (**node).into());
            s.service = "kube-proxy";
            spans.push(s);
        }
        for (who, m) in &pod.consumers {
            let mut s = between(
                &trace,
                parent,
                SpanKind::Consumer,
                format!("consumer {who}"),
                ("consumer", who, ""),
                (Ms::EndpointsUpdated.as_str(), ep),
                ("consumer_updated", m),
                &base,
            );
            if let Some((_, node)) = who.split_once('@') {
                set_attr(&mut s.attributes, "k8s.node.name", node.into());
            }
            spans.push(s);
        }
    }

    // Failures: an event on the span of the phase the failure held back, whose status becomes
    // Error; unresolved ones mark the root.
    for f in &pod.failures {
        let phase = f.resolved_by.and_then(|m| {
            PHASES
                .iter()
                .take(12) // the main path and its children, not the aggregates
                .find(|(_, _, to)| *to == m)
                .map(|(n, _, _)| *n)
        });
        let target = phase
            .and_then(|p| phase_ids.get(&p).copied())
            .unwrap_or(root_id);
        let mut attributes: Attrs = vec![
            ("podtrace.cause", f.cause.as_str().into()),
            ("exception.message", f.message.as_str().into()),
            ("podtrace.evidence", f.evidence.as_str().into()),
            ("podtrace.count", (f.count as i64).into()),
            ("podtrace.last_ns", f.last.into()),
        ];
        if let Some(h) = f.held_nanos {
            attributes.push(("podtrace.held_ns", h.into()));
        }
        if let Some(r) = f.resolved_by {
            attributes.push(("podtrace.resolved_by", r.into()));
        }
        if let Some(s) = spans.iter_mut().find(|s| s.span_id == target) {
            s.events.push(PlannedEvent {
                name: format!("failure: {}", f.cause),
                t: f.first,
                attributes,
            });
            let msg = match f.resolved_by {
                Some(r) => format!("{} (until {r})", f.cause),
                None => format!("{}: not resolved in the logs", f.cause),
            };
            s.error = Some(match s.error.take() {
                Some(prev) => format!("{prev}; {msg}"),
                None => msg,
            });
        }
    }
    spans
}

fn set_attr(attrs: &mut Attrs, key: &'static str, v: AttrValue) {
    match attrs.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = v,
        None => attrs.push((key, v)),
    }
}

/// `registry:5000/app:1.2@sha256:…` → (`registry:5000/app`, Some(`1.2`)).
fn split_image(img: &str) -> (&str, Option<&str>) {
    let no_digest = img.split_once('@').map_or(img, |(a, _)| a);
    let slash = no_digest.rfind('/').map_or(0, |i| i + 1);
    match no_digest[slash..].rfind(':') {
        Some(i) => (&no_digest[..slash + i], Some(&no_digest[slash + i + 1..])),
        None => (no_digest, None),
    }
}

/// Every span of every pod (pods in the order given).
///
/// Holds every span at once: the commands stream instead ([`Batches`], [`write_files`]).
pub fn plan_all(pods: &[PodTimeline], opts: &TraceOptions) -> Vec<PlannedSpan> {
    pods.iter().flat_map(|p| plan(p, opts)).collect()
}

/// Every time a pod's spans are made of (pod, container, programming and consumer
/// milestones): their minimum is where its root starts.
fn times(pod: &PodTimeline) -> impl Iterator<Item = i64> + '_ {
    pod.milestones
        .values()
        .chain(pod.containers.iter().flat_map(|c| c.milestones.values()))
        .chain(pod.programmed.values())
        .chain(pod.consumers.values())
        .map(|m| m.t)
}

/// How many spans [`plan`] gives for this pod, without making them (the count is printed
/// before the spans are streamed out). Mirrors [`plan`]'s rules; a test holds the two together
/// on every pod of the demo, the real samples and generated bundles.
pub fn span_count(pod: &PodTimeline) -> usize {
    // No pod milestone: no root, so nothing (see `plan`).
    if pod.milestones.is_empty() {
        return 0;
    }
    let phases = PHASES
        .iter()
        .filter(|(_, f, t)| pod.milestones.contains_key(f) && pod.milestones.contains_key(t))
        .count();
    let containers: usize = pod
        .containers
        .iter()
        .filter(|c| !c.milestones.is_empty())
        .map(|c| {
            1 + CONTAINER_PHASES
                .iter()
                .filter(|(_, f, t)| c.milestones.contains_key(f) && c.milestones.contains_key(t))
                .count()
        })
        .sum();
    let endpoints = if pod.milestones.contains_key(&Ms::EndpointsUpdated) {
        pod.programmed.len() + pod.consumers.len()
    } else {
        0
    };
    1 + phases + containers + endpoints
}

/// The earliest start of the pod's spans (its root's start), without making them; `None` when
/// [`plan`] gives none. Perfetto times count from the earliest of all pods, which must be known
/// before the first pod is written.
pub fn earliest(pod: &PodTimeline) -> Option<i64> {
    if pod.milestones.is_empty() {
        return None;
    }
    // Every span starts at one of these times (a turned-round span at its earlier end), and
    // the root at the minimum: `plan` starts it there when something precedes `requested`.
    times(pod).min()
}

/// The spans of successive pods cut into batches of `size` spans (the last may be shorter),
/// exactly as `plan_all(pods).chunks(size)` would cut them, while holding one batch and one
/// pod's spans at a time.
pub struct Batches<'a> {
    pods: std::slice::Iter<'a, PodTimeline>,
    opts: &'a TraceOptions,
    size: usize,
    buf: Vec<PlannedSpan>,
}

impl<'a> Batches<'a> {
    pub fn new(pods: &'a [PodTimeline], opts: &'a TraceOptions, size: usize) -> Self {
        Batches {
            pods: pods.iter(),
            opts,
            size: size.max(1),
            buf: Vec::new(),
        }
    }
}

impl Iterator for Batches<'_> {
    type Item = Vec<PlannedSpan>;

    fn next(&mut self) -> Option<Vec<PlannedSpan>> {
        while self.buf.len() < self.size {
            match self.pods.next() {
                Some(p) => self.buf.extend(plan(p, self.opts)),
                None => break,
            }
        }
        if self.buf.is_empty() {
            return None;
        }
        if self.buf.len() > self.size {
            let rest = self.buf.split_off(self.size);
            return Some(std::mem::replace(&mut self.buf, rest));
        }
        Some(std::mem::take(&mut self.buf))
    }
}

/// The files `trace` writes, each optional.
pub struct FileOutputs<'a> {
    /// OTLP JSON lines, `batch` spans at most per line.
    pub otlp: Option<&'a mut dyn std::io::Write>,
    pub perfetto: Option<&'a mut dyn std::io::Write>,
    pub batch: usize,
}

/// What [`write_files`] wrote: spans as OTLP JSON, complete events in the Perfetto file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    pub otlp_spans: usize,
    pub perfetto_spans: usize,
}

/// Writes the OTLP JSON and Perfetto files in one pass over the pods, each pod planned once
/// and written as it is planned: memory holds one pod's spans (and one OTLP batch), not the
/// export (issue 17). The bytes are those of `otlp::write_json` and `perfetto::write` over
/// [`plan_all`].
pub fn write_files(
    pods: &[PodTimeline],
    opts: &TraceOptions,
    out: FileOutputs<'_>,
) -> anyhow::Result<Written> {
    let FileOutputs {
        otlp,
        perfetto,
        batch,
    } = out;
    let mut json = otlp.map(|w| otlp::JsonWriter::new(w, batch, opts.cluster.as_deref()));
    let mut perfetto = match perfetto {
        Some(w) => {
            let origin = pods.iter().filter_map(earliest).min().unwrap_or(0);
            Some(perfetto::Writer::new(w, origin)?)
        }
        None => None,
    };
    for pod in pods {
        let spans = plan(pod, opts);
        match (&mut json, &mut perfetto) {
            (Some(j), Some(p)) => {
                p.push(spans.clone())?;
                j.push(spans)?;
            }
            (Some(j), None) => j.push(spans)?,
            (None, Some(p)) => p.push(spans)?,
            (None, None) => break,
        }
    }
    let mut written = Written::default();
    if let Some(j) = json {
        written.otlp_spans = j.finish()?;
    }
    if let Some(p) = perfetto {
        written.perfetto_spans = p.finish()?.0;
    }
    Ok(written)
}

/// Lower-case hex of an id.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images() {
        assert_eq!(split_image("nginx:1.25"), ("nginx", Some("1.25")));
        assert_eq!(
            split_image("registry:5000/team/app:v2@sha256:ab"),
            ("registry:5000/team/app", Some("v2"))
        );
        assert_eq!(
            split_image("registry:5000/app"),
            ("registry:5000/app", None)
        );
    }

    #[test]
    fn precision_order() {
        use Precision::*;
        assert_eq!(coarsest(Ns, Us), "us");
        assert_eq!(coarsest(S, Us), "s");
        assert_eq!(coarsest(Us, S), "s");
        assert_eq!(coarsest(Ms, Ms), "ms");
    }

    #[test]
    fn ids_are_stable_and_distinct() {
        let mut pod = PodTimeline {
            namespace: "default".into(),
            name: "web-1".into(),
            uid: Some("0f0e".into()),
            ..Default::default()
        };
        let a = trace_id(None, &pod);
        // Pinned (SHA-256 computed outside Rust): the derivation is a contract, as runs of
        // different versions over parts of one cluster's logs must agree.
        assert_eq!(hex(&a), "c4399de1cc44ab8d848fb0964b4e2cde");
        assert_ne!(a, trace_id(Some("prod"), &pod));
        pod.uid = None;
        assert_ne!(a, trace_id(None, &pod));
        let s1 = span_id(&a, SpanKind::Phase, "scheduling", "", "");
        let s2 = span_id(&a, SpanKind::Phase, "sandbox", "", "");
        let s3 = span_id(&a, SpanKind::Programmed, "programmed", "", "n1");
        assert_ne!(s1, s2);
        assert_ne!(s1, s3);
        assert_eq!(s1, span_id(&a, SpanKind::Phase, "scheduling", "", ""));
    }
}
