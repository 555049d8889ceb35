//! The typed events every source produces and the timeline consumes.
//!
//! Events are owned and small: only the fields the join and the timeline need. The borrow from
//! the line buffer ends when an extractor returns one of these.

use std::sync::Arc;

use podtrace_parsers::time::{Civil, Instant, Precision};
use serde::{Deserialize, Serialize};

/// Offsets seen for one clock in one file: 15-minute-rounded offset (seconds) → (lines, first
/// evidence).
pub type OffsetVotes = std::collections::BTreeMap<i32, (u64, Evidence)>;

/// What one file says about clocks, years and hosts, beside its events: the input layer
/// gathers it while reading, the timeline resolves every clock from all files' facts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ClockFacts {
    /// A component's own local stamp next to an absolute one on the same line: offsets.
    #[serde(with = "pairs")]
    pub direct: std::collections::BTreeMap<ClockKey, OffsetVotes>,
    /// A component's local stamp next to a local journal prefix: offsets relative to it.
    #[serde(with = "pairs")]
    pub vs_prefix: std::collections::BTreeMap<ClockKey, OffsetVotes>,
    /// Lines whose local and absolute stamps were not a whole number of quarter hours apart.
    pub inconsistent_stamps: u64,
    /// Absolute times the kubelet embeds in its lines, beside the line's local header.
    pub embedded: Vec<EmbeddedObs>,
    pub year: crate::year::YearTracker,
    pub hosts: std::collections::BTreeSet<Arc<str>>,
    /// The first absolute time of the lines (UTC ns), where known.
    pub first_abs: Option<i64>,
}

impl ClockFacts {
    /// Points every fact's evidence at another stream number: `f` maps the old one (an offset
    /// when reports are numbered for a run, a constant when an events file's stream is read and
    /// its writer's numbers are not trusted).
    pub fn map_evidence_files(&mut self, f: impl Fn(FileId) -> FileId) {
        for votes in self.direct.values_mut().chain(self.vs_prefix.values_mut()) {
            for (_, ev) in votes.values_mut() {
                ev.file = f(ev.file);
            }
        }
        for o in &mut self.embedded {
            o.evidence.file = f(o.evidence.file);
        }
    }
}

/// A map with structured keys as a list of pairs (JSON keys are strings).
mod pairs {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer, K: Serialize, V: Serialize>(
        m: &BTreeMap<K, V>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(m.iter())
    }

    pub fn deserialize<'de, D, K, V>(d: D) -> Result<BTreeMap<K, V>, D::Error>
    where
        D: Deserializer<'de>,
        K: Deserialize<'de> + Ord,
        V: Deserialize<'de>,
    {
        Ok(Vec::<(K, V)>::deserialize(d)?.into_iter().collect())
    }
}

/// An `Option<f64>` that keeps NaN and the infinities through JSON (as the strings `NaN`,
/// `inf`, `-inf`; JSON has no such numbers and would write them as null).
mod non_finite {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Repr {
        Number(f64),
        Text(String),
    }

    pub fn serialize<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(f) if f.is_nan() => s.serialize_some("NaN"),
            Some(f) if f.is_infinite() => s.serialize_some(if *f > 0.0 { "inf" } else { "-inf" }),
            Some(f) => s.serialize_some(f),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        Ok(match Option::<Repr>::deserialize(d)? {
            None => None,
            Some(Repr::Number(f)) => Some(f),
            Some(Repr::Text(t)) => Some(match t.as_str() {
                "NaN" => f64::NAN,
                "inf" => f64::INFINITY,
                "-inf" => f64::NEG_INFINITY,
                _ => return Err(serde::de::Error::custom(format!("not a number: {t:?}"))),
            }),
        })
    }
}

/// Index of an input file in the run's file table.
pub type FileId = u32;

/// The component that wrote a line (docs/phases.md#milestone-fields `source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Component {
    Audit,
    Scheduler,
    Kubelet,
    Containerd,
    Crio,
    Cni,
    KubeProxy,
    ControllerManager,
    Apiserver,
    IngressNginx,
    Cilium,
    Csi,
    Events,
    /// Lines of other programs (systemd, kernel, …) found in the same files.
    Other,
}

impl Component {
    pub fn as_str(self) -> &'static str {
        match self {
            Component::Audit => "audit",
            Component::Scheduler => "scheduler",
            Component::Kubelet => "kubelet",
            Component::Containerd => "containerd",
            Component::Crio => "crio",
            Component::Cni => "cni",
            Component::KubeProxy => "kube-proxy",
            Component::ControllerManager => "controller-manager",
            Component::Apiserver => "apiserver",
            Component::IngressNginx => "ingress-nginx",
            Component::Cilium => "cilium",
            Component::Csi => "csi",
            Component::Events => "events",
            Component::Other => "other",
        }
    }
}

/// Where a line came from: the file and the 1-based line number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Evidence {
    pub file: FileId,
    pub line: u32,
}

/// A time as read from a line, before clocks are resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RawTime {
    /// Written with its zone: exact.
    Abs(Instant),
    /// Local wall clock without zone; `year_rel` counts year roll-overs since the file's first
    /// local stamp (the file's base year is found later, see `crate::year`). `clock` says whose
    /// clock wrote it (the host comes from the event).
    Local {
        civil: Civil,
        year_rel: i32,
        clock: ClockKind,
        clock_component: Component,
    },
}

impl RawTime {
    pub fn precision(&self) -> Precision {
        match self {
            RawTime::Abs(i) => i.precision,
            RawTime::Local { civil, .. } => civil.precision,
        }
    }
}

// The variants below are boxed because they are the largest and among the rarest: an event is as
// large as its largest variant, and most events of a large cluster are kube-proxy syncs of a few
// bytes (docs/scale.md). Serialized as struct variants were (`{"CreateDone":{…}}`), so events
// files are unchanged.

/// [`EventKind::EndpointsWrite`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointsWriteData {
    /// `namespace/service`.
    pub service: String,
    /// `EndpointSlice/<name>` or `Endpoints/<name>`.
    pub object: String,
    pub verb: String,
    pub endpoints: Vec<EndpointAddr>,
    /// `endpoints.kubernetes.io/last-change-trigger-time`, UTC ns.
    pub trigger_time: Option<i64>,
}

/// [`EventKind::K8sEvent`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct K8sEventData {
    pub pod: PodRef,
    /// From `fieldPath` `spec.containers{name}` / `spec.initContainers{name}`.
    pub container: Option<String>,
    pub init_container: bool,
    pub reason: String,
    pub message: String,
    pub warning: bool,
}

/// [`EventKind::CreateStart`], [`EventKind::CreateDone`] and [`EventKind::CreateFailed`]:
/// `container_id` only when done, `error` only when failed (neither written otherwise).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateData {
    pub pod: Option<PodRef>,
    pub sandbox_id: String,
    pub container: String,
    pub attempt: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A pod as a line names it: namespace and name, and the UID where the line carries one.
///
/// Shared: nearly every event names a pod, most pods are named by dozens of lines, and three
/// strings inline (72 bytes) would make every event, a kube-proxy sync included, that much
/// larger. Each thread keeps the pods it named recently ([`PodRef::new`]), so the lines of one
/// pod share one allocation. Fields are read through `Deref` (`r.name`) and written through
/// `DerefMut` (copy on write); serialized as the fields themselves.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct PodRef(Arc<PodName>);

/// What a [`PodRef`] holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PodName {
    pub namespace: String,
    pub name: String,
    pub uid: Option<String>,
}

impl std::ops::Deref for PodRef {
    type Target = PodName;
    fn deref(&self) -> &PodName {
        &self.0
    }
}

impl std::ops::DerefMut for PodRef {
    fn deref_mut(&mut self) -> &mut PodName {
        Arc::make_mut(&mut self.0)
    }
}

impl std::fmt::Debug for PodRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PodRef")
            .field("namespace", &self.namespace)
            .field("name", &self.name)
            .field("uid", &self.uid)
            .finish()
    }
}

impl<'de> Deserialize<'de> for PodRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let p = PodName::deserialize(d)?;
        Ok(PodRef::shared(&p.namespace, &p.name, p.uid.as_deref()))
    }
}

/// Pods a thread named recently, at most this many (then forgotten all at once): the lines of
/// one pod come close together in every log, so a small memory finds nearly all repeats.
const RECENT_PODS: usize = 8192;

impl PodRef {
    pub fn new(namespace: &str, name: &str) -> Self {
        PodRef::shared(namespace, name, None)
    }

    /// A pod named with its UID where the line carries one (an empty UID is none): one look-up,
    /// where `new(…).with_uid(…)` would make two and remember the UID-less name too.
    pub fn of(namespace: &str, name: &str, uid: Option<&str>) -> Self {
        PodRef::shared(namespace, name, uid.filter(|u| !u.is_empty()))
    }

    /// The pod this thread named last with these fields, or a new one (looked up by a hash of
    /// the fields and compared, so a look-up allocates nothing).
    fn shared(namespace: &str, name: &str, uid: Option<&str>) -> Self {
        use std::hash::{Hash, Hasher};
        thread_local! {
            static RECENT: std::cell::RefCell<std::collections::HashMap<u64, PodRef>> =
                Default::default();
        }
        let mut h = std::hash::DefaultHasher::new();
        (namespace, name, uid).hash(&mut h);
        let key = h.finish();
        let same =
            |p: &PodRef| p.namespace == namespace && p.name == name && p.uid.as_deref() == uid;
        RECENT.with_borrow_mut(|recent| {
            if let Some(p) = recent.get(&key).filter(|p| same(p)) {
                return p.clone();
            }
            if recent.len() >= RECENT_PODS {
                recent.clear();
            }
            let p = PodRef(Arc::new(PodName {
                namespace: namespace.to_owned(),
                name: name.to_owned(),
                uid: uid.map(str::to_owned),
            }));
            recent.insert(key, p.clone());
            p
        })
    }

    /// From a klog `ns/name` reference (a bare `name` has no namespace).
    pub fn from_klog(s: &str) -> Option<Self> {
        let s = s.trim_matches('"');
        let (ns, name) = match s.split_once('/') {
            Some((ns, name)) => (ns, name),
            None => ("", s),
        };
        if name.is_empty() {
            return None;
        }
        Some(PodRef::new(ns, name))
    }

    pub fn with_uid(self, uid: Option<&str>) -> Self {
        if self.uid.as_deref() == uid.filter(|u| !u.is_empty()) {
            return self;
        }
        PodRef::of(&self.namespace, &self.name, uid)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncOp {
    Add,
    Update,
    Delete,
    Remove,
    Reconcile,
}

/// The times the kubelet embeds in "Observed pod startup duration" (`+0000 UTC` values).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KubeletStartup {
    /// Go prints `NaN` and `±Inf` too: kept as they are through an events file.
    #[serde(with = "non_finite")]
    pub slo_seconds: Option<f64>,
    pub e2e_nanos: Option<i64>,
    pub creation: Option<Instant>,
    pub first_started_pulling: Option<Instant>,
    pub last_finished_pulling: Option<Instant>,
    pub observed_running: Option<Instant>,
    pub watch_observed_running: Option<Instant>,
    /// ≈1.34+: `totalImagesPullingTime` (union of pull sessions), nanoseconds.
    pub total_pulling_nanos: Option<i64>,
    /// ≈1.34+: `totalInitContainerRuntime`, nanoseconds.
    pub total_init_nanos: Option<i64>,
    /// ≈1.34+: `isStatefulPod` (the SLI only counts stateless pods).
    pub is_stateful: Option<bool>,
    /// ≈1.34+: `imagePullSessionsCount` (overlapping pulls merged into sessions).
    pub pull_sessions: Option<u32>,
}

impl KubeletStartup {
    /// The times the kubelet read on its own node's clock (podCreationTimestamp is the
    /// apiserver's, and is not among them).
    pub fn node_clock_times_mut(&mut self) -> impl Iterator<Item = &mut Instant> {
        [
            &mut self.first_started_pulling,
            &mut self.last_finished_pulling,
            &mut self.observed_running,
            &mut self.watch_observed_running,
        ]
        .into_iter()
        .flatten()
    }
}

/// What a line told us.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum EventKind {
    // --- apiserver audit ---
    /// `create pods` answered 201: the event time is `stageTimestamp`.
    AuditPodCreate {
        pod: PodRef,
        /// `requestReceivedTimestamp`; `None` where the log keeps one time per entry (Cloud
        /// Logging's AuditLog): requested is then missing, not the created time again.
        requested: Option<Instant>,
        user: Option<Box<str>>,
    },
    /// `create pods/binding` answered 201.
    AuditBinding {
        pod: PodRef,
        node: Option<String>,
    },
    /// `patch pods/status` answered 2xx.
    AuditStatusPatch {
        pod: PodRef,
        /// A boxed `str` (16 bytes, not 24): this variant would otherwise set every event's size.
        user: Option<Box<str>>,
        ready: Option<bool>,
        pod_ip: Option<Box<str>>,
    },
    /// An EndpointSlice (or legacy Endpoints) write stored by the apiserver.
    EndpointsWrite(Box<EndpointsWriteData>),
    /// A Kubernetes Event about a pod (audit `create events`, the kubelet's "Event occurred",
    /// an events.json file).
    K8sEvent(Box<K8sEventData>),
    /// A Pod object from a bundle (`pods.json`, `pods.yaml`): second-precision status times,
    /// used where no log line shows the milestone. The event time is `creationTimestamp`.
    PodObject(Box<PodObject>),
    // --- kube-scheduler ---
    SchedAttempt {
        pod: PodRef,
    },
    SchedBound {
        pod: PodRef,
        node: Option<String>,
    },
    SchedUnschedulable {
        pod: PodRef,
        reason: String,
    },
    // --- kubelet ---
    SyncLoop {
        op: SyncOp,
        source: Box<str>,
        pods: Box<[PodRef]>,
    },
    /// Any kubelet line that links a pod name to its UID and says nothing else we use.
    PodUid {
        pod: PodRef,
    },
    NoSandbox {
        pod: PodRef,
    },
    CreatingSandbox {
        pod: PodRef,
    },
    CreatedSandbox {
        pod: PodRef,
        sandbox_id: String,
    },
    SandboxFailed {
        pod: PodRef,
        error: String,
    },
    Pleg {
        pod: PodRef,
        kind: Box<str>,
        data: Box<str>,
    },
    Probe {
        pod: PodRef,
        probe: Box<str>,
        status: Box<str>,
    },
    VolumeMounted {
        pod: PodRef,
        volume: Box<str>,
        /// The volume plugin from the UniqueName (`kubernetes.io/projected`,
        /// `kubernetes.io/csi/ebs.csi.aws.com`…).
        plugin: Option<Box<str>>,
    },
    VolumesReady {
        pod: PodRef,
    },
    /// A CSI node plugin finished NodePublishVolume for the pod (its UID from the target path).
    CsiPublished {
        pod: PodRef,
        volume: String,
    },
    Startup {
        pod: PodRef,
        startup: Box<KubeletStartup>,
    },
    /// "Patch status for pod" (`patched`) or "Status for pod updated successfully".
    KubeletStatus {
        pod: PodRef,
        patched: bool,
        ready: Option<bool>,
        pod_ip: Option<Box<str>>,
    },
    // --- container runtime ---
    SandboxStart {
        pod: PodRef,
        attempt: u32,
    },
    SandboxReady {
        pod: PodRef,
        attempt: u32,
        sandbox_id: String,
    },
    SandboxRunFailed {
        pod: PodRef,
        attempt: u32,
        error: String,
    },
    PullStart {
        image: Box<str>,
    },
    PullDone {
        image: Box<str>,
        image_ref: Box<str>,
    },
    PullFailed {
        image: Box<str>,
        error: Box<str>,
    },
    /// containerd ≥1.7 "Pulled image … size … in …".
    PulledInfo(Box<PulledInfoData>),
    /// CreateContainer begins. containerd names the sandbox; CRI-O names the pod instead.
    CreateStart(Box<CreateData>),
    /// CreateContainer returned its container id.
    CreateDone(Box<CreateData>),
    /// CreateContainer failed.
    CreateFailed(Box<CreateData>),
    StartStart {
        container_id: Box<str>,
    },
    StartDone {
        container_id: Box<str>,
    },
    StartFailed {
        container_id: Box<str>,
        error: Box<str>,
    },
    /// containerd debug "begin cni setup".
    CniBegin {
        sandbox_id: String,
    },
    // --- kube-proxy (per node, no pod) ---
    /// "Syncing iptables rules" (`done: false`) / "SyncProxyRules complete" (`done: true`).
    ProxySync {
        done: bool,
        /// `iptables`, `nftables`, `ipvs`, or empty where the line does not say: one of four
        /// names, not a string per sync (a large cluster's most frequent event).
        #[serde(deserialize_with = "crate::intern::de")]
        mode: crate::intern::StaticStr,
        elapsed_nanos: Option<i64>,
    },
    /// V4 "Network programming": a Service's change reached this node's rules.
    NetworkProgramming {
        service: String,
        elapsed_nanos: Option<i64>,
    },
    /// kube-controller-manager V4 "Finished syncing service endpoint slices".
    EndpointSliceSync {
        service: String,
        elapsed_nanos: Option<i64>,
    },
    // --- ingress-nginx (per controller, no pod) ---
    IngressReload {
        step: IngressStep,
    },
    // --- CNI plugins ---
    /// A CNI plugin's line about one sandbox's ADD (Calico, Cilium, AWS VPC CNI, the runtime's
    /// own "Adding pod … to CNI network").
    Cni(Box<CniData>),
}

/// [`EventKind::Cni`]: one or a few lines per sandbox, boxed like the other rare large
/// variants (its step can list IPs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CniData {
    #[serde(deserialize_with = "crate::intern::de")]
    pub plugin: crate::intern::StaticStr,
    pub sandbox_id: Option<Box<str>>,
    pub pod: Option<PodRef>,
    pub step: CniStep,
}

/// [`EventKind::PulledInfo`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PulledInfoData {
    pub image: Box<str>,
    pub size_bytes: Option<u64>,
    pub duration_nanos: Option<i64>,
}

/// What a stored Pod object says about its start (all times UTC ns, whole seconds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodObject {
    pub pod: PodRef,
    pub node: Option<String>,
    pub pod_ip: Option<String>,
    /// PodScheduled condition's lastTransitionTime.
    pub scheduled: Option<i64>,
    /// Ready condition's lastTransitionTime (True).
    pub ready: Option<i64>,
    /// (name, init container, state.running/terminated.startedAt).
    pub containers: Vec<(String, bool, Option<i64>)>,
    /// `Kind/name` of the controller owner reference.
    pub owner: Option<String>,
    /// A mirror pod (the API copy of a static pod): which sign showed it.
    #[serde(deserialize_with = "crate::intern::de_opt")]
    pub mirror: Option<crate::intern::StaticStr>,
}

/// One address of an EndpointSlice/Endpoints object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointAddr {
    pub ip: String,
    /// `conditions.ready` (EndpointSlice; absent means ready) or addresses vs notReadyAddresses.
    pub ready: bool,
    pub pod: Option<PodRef>,
    pub node: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IngressStep {
    ReloadRequired,
    Reloaded,
    DynamicReconfigured,
    DynamicReconfigurationFailed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CniStep {
    /// Any line of the ADD naming the sandbox.
    Progress,
    /// IPs assigned (IPAM or "Calico CNI using IPs").
    Ips(Vec<String>),
    /// "Wrote updated endpoint to datastore": the end of a successful ADD.
    EndpointWritten,
}

/// One event with where and when it was written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub raw_time: RawTime,
    /// UTC nanoseconds in the run's frame, filled in when clocks are resolved.
    pub t: i64,
    pub evidence: Evidence,
    /// Whose clock wrote it (node name or `control-plane`), when known.
    pub host: Option<Arc<str>>,
    pub component: Component,
    pub kind: EventKind,
}

/// Which local clock a stamp was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClockKind {
    /// The journald/syslog line prefix (the zone of whoever ran `journalctl`).
    JournalPrefix,
    /// The component's own local stamp (klog header, Calico stamp).
    Record,
}

/// A local clock: whose host, which component, which kind of stamp.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ClockKey {
    pub host: Option<Arc<str>>,
    /// `Other` for journal prefixes (they belong to the host, not to a component).
    pub component: Component,
    pub kind: ClockKind,
}

/// The kubelet's embedded `+0000 UTC` `watchObservedRunningTime` next to its own klog header:
/// compared once the header's clock is resolved (`timeline::clock`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbeddedObs {
    pub key: ClockKey,
    pub header: Civil,
    pub year_rel: i32,
    pub embedded: Instant,
    pub evidence: Evidence,
}

#[cfg(test)]
mod interchange_tests {
    use super::KubeletStartup;

    /// What the kubelet printed comes back from an events file as it was: Go's 17-digit
    /// floats to the last bit, and NaN and the infinities (which JSON has no numbers for).
    #[test]
    fn kubelet_figures_survive_json_exactly() {
        for f in [
            3.8207744740000003,
            0.1 + 0.2,
            5e-324,
            f64::MAX,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ] {
            let k = KubeletStartup {
                slo_seconds: Some(f),
                ..Default::default()
            };
            let back: KubeletStartup =
                serde_json::from_str(&serde_json::to_string(&k).unwrap()).unwrap();
            assert_eq!(back.slo_seconds.map(f64::to_bits), Some(f.to_bits()), "{f}");
        }
        let nan = KubeletStartup {
            slo_seconds: Some(f64::NAN),
            ..Default::default()
        };
        let s = serde_json::to_string(&nan).unwrap();
        assert!(s.contains("\"slo_seconds\":\"NaN\""), "{s}");
        let back: KubeletStartup = serde_json::from_str(&s).unwrap();
        assert!(back.slo_seconds.unwrap().is_nan());
        let none: KubeletStartup =
            serde_json::from_str(&serde_json::to_string(&KubeletStartup::default()).unwrap())
                .unwrap();
        assert_eq!(none.slo_seconds, None);
    }
}

#[cfg(test)]
mod pod_ref_tests {
    use super::*;

    /// Lines naming one pod share one allocation; writing through one copy leaves the others as
    /// they were; a different UID is a different pod; read back from JSON, the same sharing.
    #[test]
    fn pod_refs_are_shared_and_copied_on_write() {
        let a = PodRef::new("default", "web").with_uid(Some("u-1"));
        let b = PodRef::of("default", "web", Some("u-1"));
        assert!(Arc::ptr_eq(&a.0, &b.0));
        let c = PodRef::of("default", "web", Some("u-2"));
        assert!(!Arc::ptr_eq(&a.0, &c.0));
        assert_eq!(c.uid.as_deref(), Some("u-2"));
        let mut d = b.clone();
        d.name = "api".into();
        assert_eq!(
            (a.name.as_str(), b.name.as_str(), d.name.as_str()),
            ("web", "web", "api")
        );
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, r#"{"namespace":"default","name":"web","uid":"u-1"}"#);
        let back: PodRef = serde_json::from_str(&json).unwrap();
        assert!(Arc::ptr_eq(&a.0, &back.0));
        // An empty UID is none.
        assert_eq!(PodRef::of("default", "web", Some("")).uid, None);
    }
}

#[cfg(test)]
mod size_tests {
    /// An event's size is most of a large run's memory (docs/scale.md: hundreds of thousands of
    /// kube-proxy syncs): its largest variants keep their text boxed (`Box<str>`, no spare
    /// capacity word) so that the enum stays within 48 bytes and an event within 120.
    #[test]
    fn events_stay_small() {
        assert!(std::mem::size_of::<super::EventKind>() <= 48);
        assert!(std::mem::size_of::<super::Event>() <= 120);
    }

    /// Boxing a variant or its strings changes no payload of an events file: each of the
    /// variants this touched writes the JSON it wrote as a struct variant of `String`s, and
    /// reads it back (field order free, as JSON objects are).
    #[test]
    fn changed_variants_keep_their_payloads() {
        use super::*;
        let pod = PodRef::of("ns", "web-1", Some("u-1"));
        let cases = [
            (
                EventKind::Cni(Box::new(CniData {
                    plugin: "calico",
                    sandbox_id: Some("sb1".into()),
                    pod: Some(pod.clone()),
                    step: CniStep::Ips(vec!["10.0.0.7".into()]),
                })),
                r#"{"Cni":{"plugin":"calico","sandbox_id":"sb1","pod":{"namespace":"ns","name":"web-1","uid":"u-1"},"step":{"Ips":["10.0.0.7"]}}}"#,
            ),
            (
                EventKind::PulledInfo(Box::new(PulledInfoData {
                    image: "nginx:1".into(),
                    size_bytes: Some(42),
                    duration_nanos: None,
                })),
                r#"{"PulledInfo":{"image":"nginx:1","size_bytes":42,"duration_nanos":null}}"#,
            ),
            (
                EventKind::SyncLoop {
                    op: SyncOp::Add,
                    source: "api".into(),
                    pods: Box::new([pod.clone()]),
                },
                r#"{"SyncLoop":{"op":"Add","source":"api","pods":[{"namespace":"ns","name":"web-1","uid":"u-1"}]}}"#,
            ),
            (
                EventKind::ProxySync {
                    done: true,
                    mode: "ipvs",
                    elapsed_nanos: Some(5),
                },
                r#"{"ProxySync":{"done":true,"mode":"ipvs","elapsed_nanos":5}}"#,
            ),
            (
                EventKind::Probe {
                    pod,
                    probe: "readiness".into(),
                    status: "ready".into(),
                },
                r#"{"Probe":{"pod":{"namespace":"ns","name":"web-1","uid":"u-1"},"probe":"readiness","status":"ready"}}"#,
            ),
        ];
        for (kind, json) in cases {
            assert_eq!(serde_json::to_string(&kind).unwrap(), json);
            assert_eq!(
                serde_json::from_str::<EventKind>(json).unwrap(),
                kind,
                "{json}"
            );
        }
        let reordered = r#"{"PulledInfo":{"duration_nanos":7,"image":"i","size_bytes":null}}"#;
        let back: EventKind = serde_json::from_str(reordered).unwrap();
        assert!(matches!(&back, EventKind::PulledInfo(p) if p.duration_nanos == Some(7)));
    }
}
