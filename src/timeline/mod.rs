//! Events in, per-pod timelines out. Pure: no I/O.
//!
//! - [`clock`] puts every event on one UTC frame;
//! - [`join`] groups events by pod (UID first; sandbox and container ids; `namespace/name`
//!   within a time window where no UID is written);
//! - [`build`] picks each milestone from its primary source, or from a fallback marked
//!   `derived`, and computes the phases of docs/phases.md. Missing stays missing.

pub mod build;
pub mod clock;
pub mod crosscheck;
pub mod diagnose;
pub mod honest;
pub mod join;
pub mod partition;
pub mod skew;

use std::collections::BTreeMap;
use std::sync::Arc;

use litemap::LiteMap;
use serde::{Deserialize, Serialize};

use crate::event::Component;
pub use podtrace_parsers::time::Precision;

/// Declares a name enum of the contract: variants in contract order (their `Ord`), each with
/// its public name, which is also how it serializes, displays and debug-prints (so that any
/// output that used to print the `&str` prints the same bytes).
macro_rules! names {
    ($(#[$meta:meta])* $ty:ident, $what:literal { $($v:ident = $s:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $ty {
            $($v,)+
        }

        impl Named for $ty {
            fn name(self) -> &'static str {
                self.as_str()
            }
        }

        impl $ty {
            /// Every value, in contract order.
            pub const ALL: [$ty; [$($s),+].len()] = [$($ty::$v),+];

            /// The public name (docs/phases.md).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($ty::$v => $s,)+
                }
            }
        }

        // `pad`, not `write_str`: tables align names with `{:<20}`.
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Debug::fmt(self.as_str(), f)
            }
        }

        impl Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }

        impl std::str::FromStr for $ty {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($s => Ok($ty::$v),)+
                    _ => Err(format!(concat!("unknown ", $what, " {:?}"), s)),
                }
            }
        }
    };
}

/// A milestone or phase: its public name.
pub trait Named: Copy {
    fn name(self) -> &'static str;
}

/// A timeline's map: a vector sorted by key, with `BTreeMap`'s interface and order. A pod holds
/// a few dozen milestones and phases and a container a handful: in a tree each map took at least
/// one node sized for eleven entries (issue 16: ~11 KB per pod); here each holds its entries
/// alone once [`PodTimeline::shrink`] has run.
pub type Map<K, V> = LiteMap<K, V>;

/// Serializes a map keyed by milestones or phases with its keys in name order, the order these
/// maps always had in every output (the enums order by the path instead).
pub fn by_name<'a, M, K, V, S>(map: &'a M, s: S) -> Result<S::Ok, S::Error>
where
    &'a M: IntoIterator<Item = (&'a K, &'a V)>,
    K: Named + 'a,
    V: Serialize + 'a,
    S: serde::Serializer,
{
    let sorted: BTreeMap<&'static str, &V> = map.into_iter().map(|(k, v)| (k.name(), v)).collect();
    sorted.serialize(s)
}

/// Serializes a map keyed by strings as a JSON object, in key order.
pub fn by_key<K: AsRef<str>, V: Serialize, S: serde::Serializer>(
    map: &Map<K, V>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_map(map.iter().map(|(k, v)| (k.as_ref(), v)))
}

/// Reads back what [`by_name`] wrote (a partition's timelines, `partition::Partial`).
pub fn de_by_name<'de, D, K, V>(d: D) -> Result<Map<K, V>, D::Error>
where
    D: serde::Deserializer<'de>,
    K: std::str::FromStr<Err = String> + Ord,
    V: serde::Deserialize<'de>,
{
    use serde::Deserialize;
    let named = BTreeMap::<String, V>::deserialize(d)?;
    let mut out = BTreeMap::new();
    for (k, v) in named {
        out.insert(k.parse::<K>().map_err(serde::de::Error::custom)?, v);
    }
    Ok(out.into_iter().collect())
}

/// Reads back what [`by_key`] wrote.
pub fn de_by_key<'de, D, K, V>(d: D) -> Result<Map<K, V>, D::Error>
where
    D: serde::Deserializer<'de>,
    K: serde::Deserialize<'de> + Ord,
    V: serde::Deserialize<'de>,
{
    use serde::Deserialize;
    Ok(BTreeMap::<K, V>::deserialize(d)?.into_iter().collect())
}

/// Frees a map's spare capacity (a vector grown by doubling holds up to twice its entries).
fn shrink<K, V>(map: &mut Map<K, V>) {
    let mut v = std::mem::take(map).into_tuple_vec();
    v.shrink_to_fit();
    *map = Map::from_sorted_store_unchecked(v);
}

names! {
    /// A milestone (docs/phases.md#milestones; a public contract): the main path, then the
    /// per-container ones.
    Ms, "milestone" {
        Requested = "requested",
        Created = "created",
        ScheduleAttempted = "schedule_attempted",
        Scheduled = "scheduled",
        KubeletSeen = "kubelet_seen",
        VolumesReady = "volumes_ready",
        SandboxStarted = "sandbox_started",
        NetworkStarted = "network_started",
        NetworkReady = "network_ready",
        SandboxReady = "sandbox_ready",
        Running = "running",
        RunningObserved = "running_observed",
        Ready = "ready",
        ReadyReported = "ready_reported",
        EndpointsUpdated = "endpoints_updated",
        ProgrammedFirst = "programmed_first",
        ProgrammedLast = "programmed_last",
        PullStarted = "pull_started",
        PullFinished = "pull_finished",
        ImageCached = "image_cached",
        CreateStarted = "create_started",
        ContainerCreated = "container_created",
        ContainerStarted = "container_started",
        ContainerReady = "container_ready",
    }
}

names! {
    /// A phase (docs/phases.md#phases; a public contract): those of [`PHASES`], the
    /// per-container ones, then the figures reported beside them.
    Phase, "phase" {
        ApiCreate = "api_create",
        Scheduling = "scheduling",
        KubeletWatch = "kubelet_watch",
        KubeletPrep = "kubelet_prep",
        Volumes = "volumes",
        Sandbox = "sandbox",
        Network = "network",
        Containers = "containers",
        Readiness = "readiness",
        StatusReport = "status_report",
        Endpoints = "endpoints",
        Programming = "programming",
        StartupE2e = "startup_e2e",
        TimeToReady = "time_to_ready",
        TimeToServing = "time_to_serving",
        RunningWatch = "running_watch",
        ImagePull = "image_pull",
        Create = "create",
        Start = "start",
        StartupSli = "startup_sli",
        KubeletE2e = "kubelet_e2e",
    }
}

/// Milestones of the main path, in order (docs/phases.md#milestones; a public contract).
pub const MILESTONES: [Ms; 17] = [
    Ms::Requested,
    Ms::Created,
    Ms::ScheduleAttempted,
    Ms::Scheduled,
    Ms::KubeletSeen,
    Ms::VolumesReady,
    Ms::SandboxStarted,
    Ms::NetworkStarted,
    Ms::NetworkReady,
    Ms::SandboxReady,
    Ms::Running,
    Ms::RunningObserved,
    Ms::Ready,
    Ms::ReadyReported,
    Ms::EndpointsUpdated,
    Ms::ProgrammedFirst,
    Ms::ProgrammedLast,
];

/// Milestones written by the apiserver (or read from API objects): for a static pod, these
/// belong to its mirror pod and do not start it (PHASES.md "Static pods").
pub const API_MILESTONES: [Ms; 3] = [Ms::Requested, Ms::Created, Ms::Scheduled];

/// Per-container milestones (`create_started` is podtrace's addition: the runtime's
/// CreateContainer request, the start of the `create` child phase).
pub const CONTAINER_MILESTONES: [Ms; 7] = [
    Ms::PullStarted,
    Ms::PullFinished,
    Ms::ImageCached,
    Ms::CreateStarted,
    Ms::ContainerCreated,
    Ms::ContainerStarted,
    Ms::ContainerReady,
];

/// Phases: (name, from, to). Consecutive on the main path, then children and aggregates.
pub const PHASES: [(Phase, Ms, Ms); 16] = [
    (Phase::ApiCreate, Ms::Requested, Ms::Created),
    (Phase::Scheduling, Ms::Created, Ms::Scheduled),
    (Phase::KubeletWatch, Ms::Scheduled, Ms::KubeletSeen),
    (Phase::KubeletPrep, Ms::KubeletSeen, Ms::SandboxStarted),
    (Phase::Volumes, Ms::KubeletSeen, Ms::VolumesReady),
    (Phase::Sandbox, Ms::SandboxStarted, Ms::SandboxReady),
    (Phase::Network, Ms::NetworkStarted, Ms::NetworkReady),
    (Phase::Containers, Ms::SandboxReady, Ms::Running),
    (Phase::Readiness, Ms::Running, Ms::Ready),
    (Phase::StatusReport, Ms::Ready, Ms::ReadyReported),
    (Phase::Endpoints, Ms::ReadyReported, Ms::EndpointsUpdated),
    (Phase::Programming, Ms::EndpointsUpdated, Ms::ProgrammedLast),
    (Phase::StartupE2e, Ms::Created, Ms::RunningObserved),
    (Phase::TimeToReady, Ms::Created, Ms::Ready),
    (Phase::TimeToServing, Ms::Requested, Ms::ProgrammedLast),
    // podtrace's addition: how long the kubelet's watch took to see a running pod.
    (Phase::RunningWatch, Ms::Running, Ms::RunningObserved),
];

/// Per-container child phases: (name, from, to).
pub const CONTAINER_PHASES: [(Phase, Ms, Ms); 3] = [
    (Phase::ImagePull, Ms::PullStarted, Ms::PullFinished),
    (Phase::Create, Ms::CreateStarted, Ms::ContainerCreated),
    (Phase::Start, Ms::ContainerCreated, Ms::ContainerStarted),
];

/// The line a milestone was read from: a file of the run and a 1-based line number, shown and
/// serialized as `path:line`. The path is shared by every milestone read from that file, so a
/// timeline holds no per-milestone copy of it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Place {
    pub file: std::sync::Arc<str>,
    pub line: u32,
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

impl Serialize for Place {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Place {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        // The path may hold `:` itself; the line number is after the last one.
        let (file, line) = s
            .rsplit_once(':')
            .ok_or_else(|| serde::de::Error::custom("evidence without a line number"))?;
        Ok(Place {
            file: file.into(),
            line: line.parse().map_err(serde::de::Error::custom)?,
        })
    }
}

fn precision_name<S: serde::Serializer>(p: &Precision, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(p.as_str())
}

fn precision_from_name<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Precision, D::Error> {
    let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
    [Precision::S, Precision::Ms, Precision::Us, Precision::Ns]
        .into_iter()
        .find(|p| p.as_str() == s)
        .ok_or_else(|| serde::de::Error::custom(format!("unknown precision {s:?}")))
}

/// An instant in one pod's life, read from one line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Milestone {
    /// UTC nanoseconds since the epoch.
    pub t: i64,
    pub source: Component,
    /// `path:line`.
    pub evidence: Place,
    #[serde(
        serialize_with = "precision_name",
        deserialize_with = "precision_from_name"
    )]
    pub precision: Precision,
    /// Whose clock wrote it (shared with the events of that host).
    pub host: Option<std::sync::Arc<str>>,
    /// Set when taken from a weaker source than the primary one: which.
    pub derived: Option<Box<str>>,
    /// Nanoseconds subtracted to bring this host's clock onto the apiserver's (skew correction);
    /// the time as written is `t + clock_offset`.
    pub clock_offset: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContainerTimeline {
    pub name: String,
    pub id: Option<String>,
    pub image: Option<String>,
    pub image_size_bytes: Option<u64>,
    /// containerd's own "Pulled image … in <d>" figure, nanoseconds.
    pub pull_logged_nanos: Option<i64>,
    /// Runs of this container beyond the first (`Attempt:N`).
    pub restarts: u32,
    /// An init container (known from Events' `fieldPath`).
    pub init: bool,
    #[serde(serialize_with = "by_name", deserialize_with = "de_by_name")]
    pub milestones: Map<Ms, Milestone>,
    /// image_pull, create, start (nanoseconds).
    #[serde(serialize_with = "by_name", deserialize_with = "de_by_name")]
    pub phases: Map<Phase, i64>,
}

/// The kubelet's own figures from "Observed pod startup duration".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KubeletFigures {
    pub e2e_nanos: Option<i64>,
    pub slo_seconds: Option<f64>,
    pub evidence: String,
    /// Our `startup_e2e` with `created` truncated to whole seconds as the kubelet does, minus
    /// the kubelet's figure (0 when they agree).
    pub e2e_difference_nanos: Option<i64>,
    /// The kubelet's podCreationTimestamp (UTC ns).
    pub creation_nanos: Option<i64>,
    /// Why the two differ, when they do.
    pub e2e_explanation: Option<String>,
    /// ≈1.34+: `totalImagesPullingTime`, `totalInitContainerRuntime` (ns),
    /// `imagePullSessionsCount`, `isStatefulPod`.
    pub total_pulling_nanos: Option<i64>,
    pub total_init_nanos: Option<i64>,
    pub pull_sessions: Option<u32>,
    pub stateful: Option<bool>,
    /// ≤1.33: `lastFinishedPulling − firstStartedPulling` (the window the SLI subtracts).
    pub pull_window_nanos: Option<i64>,
    /// Our `startup_sli` minus the kubelet's `podStartSLOduration` (see `crosscheck`).
    pub sli_difference_nanos: Option<i64>,
    /// The pulls the runtime logged (their union) minus the kubelet's own pull time.
    pub pulling_difference_nanos: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PodTimeline {
    pub namespace: String,
    pub name: String,
    pub uid: Option<String>,
    pub node: Option<String>,
    pub pod_ip: Option<String>,
    /// Controller owner (`ReplicaSet/web-7d4b9c6f5`), from the pod object.
    pub owner: Option<String>,
    /// Static pods: the manifest hash the kubelet and runtime use as UID (`uid` is the mirror's).
    pub config_hash: Option<String>,
    pub sandbox_ids: Vec<String>,
    /// Volume name → plugin (`kubernetes.io/configmap`, `kubernetes.io/csi/<driver>`…), from
    /// the kubelet's mount lines and CSI drivers' NodePublishVolume.
    #[serde(serialize_with = "by_key", deserialize_with = "de_by_key")]
    pub volumes: Map<String, String>,
    #[serde(serialize_with = "by_name", deserialize_with = "de_by_name")]
    pub milestones: Map<Ms, Milestone>,
    /// Phase name → nanoseconds (present only when both ends are).
    #[serde(serialize_with = "by_name", deserialize_with = "de_by_name")]
    pub phases: Map<Phase, i64>,
    pub containers: Vec<ContainerTimeline>,
    /// Services whose EndpointSlices listed the pod (`namespace/name`).
    pub services: Vec<String>,
    /// Per node: when that node's kube-proxy had programmed the endpoint (the node's name shared
    /// with every pod's entry).
    #[serde(serialize_with = "by_key", deserialize_with = "de_by_key")]
    pub programmed: Map<Arc<str>, Milestone>,
    /// Nodes whose kube-proxy logs show no sync after `endpoints_updated`.
    pub programmed_missing: Vec<String>,
    /// Other endpoint consumers that reconfigured after `endpoints_updated` (`ingress-nginx@node`).
    #[serde(serialize_with = "by_key", deserialize_with = "de_by_key")]
    pub consumers: Map<String, Milestone>,
    pub kubelet: Option<KubeletFigures>,
    /// The main-path phase that took longest: (name, nanoseconds, share of the main path).
    pub dominant: Option<(Phase, i64, f64)>,
    /// Failures seen on the way (scheduling, sandbox/CNI, pull, create, start, probes, mounts).
    pub failures: Vec<Failure>,
    /// Things that look wrong (negative phases…): reported, never hidden.
    pub findings: Vec<String>,
    /// Set for a static pod (started by the kubelet from a manifest): how podtrace knows.
    pub static_pod: Option<StaticPod>,
    /// Phases that do not apply to this pod (absent from `phases`), and why: a static pod's
    /// API-to-node phases.
    #[serde(serialize_with = "by_name", deserialize_with = "de_by_name")]
    pub not_applicable: Map<Phase, String>,
    /// Phases negative by less than the precision of their coarser end: `phases` holds 0, this
    /// holds the value as computed and why it is not a finding ([`honest`]).
    #[serde(serialize_with = "by_name", deserialize_with = "de_by_name")]
    pub below_precision: Map<Phase, BelowPrecision>,
    /// Phases kept in `phases` as computed but left out of every statistic, and why.
    #[serde(serialize_with = "by_name", deserialize_with = "de_by_name")]
    pub excluded: Map<Phase, String>,
}

/// How a pod is known to be static (PHASES.md "Static pods").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StaticPod {
    /// The sign that showed it, with its evidence where there is one.
    pub basis: String,
    /// Only its name matched (`kube-system/<component>-<node>`): a guess, and said so.
    pub heuristic: bool,
}

/// A phase whose ends are out of order by less than the coarser end's precision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BelowPrecision {
    /// The phase as computed from the two times (negative), nanoseconds.
    pub raw_nanos: i64,
    pub why: String,
}

impl PodTimeline {
    /// Sort key: first milestone time, then name.
    pub fn first_time(&self) -> Option<i64> {
        self.milestones.values().map(|m| m.t).min()
    }

    /// Frees the spare capacity of every map and list, once the timeline is complete: the
    /// timelines of a run are held to its end.
    pub fn shrink(&mut self) {
        shrink(&mut self.volumes);
        shrink(&mut self.milestones);
        shrink(&mut self.phases);
        shrink(&mut self.programmed);
        shrink(&mut self.consumers);
        shrink(&mut self.not_applicable);
        shrink(&mut self.below_precision);
        shrink(&mut self.excluded);
        self.programmed_missing.shrink_to_fit();
        self.sandbox_ids.shrink_to_fit();
        self.containers.shrink_to_fit();
        for c in &mut self.containers {
            shrink(&mut c.milestones);
            shrink(&mut c.phases);
        }
    }
}

/// One cause that held the pod back, with how long.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    /// `unschedulable`, `sandbox failed`, `create <c> failed`, or an Event reason (`BackOff`…).
    pub cause: String,
    pub message: String,
    /// The first line that reported it.
    pub evidence: String,
    /// First and last report (UTC ns) and how many.
    pub first: i64,
    pub last: i64,
    pub count: usize,
    /// The milestone whose arrival ended it, if it arrived.
    pub resolved_by: Option<Ms>,
    /// From the first report to that milestone.
    pub held_nanos: Option<i64>,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} ({})", self.cause, self.message, self.evidence)?;
        if self.count > 1 {
            write!(f, "; {} times", self.count)?;
        }
        match (self.resolved_by, self.held_nanos) {
            (Some(m), Some(h)) => write!(f, "; held the pod {:.3} ms until {m}", h as f64 / 1e6),
            _ => write!(f, "; not resolved in the logs"),
        }
    }
}

/// Which milestone ends a failure of this cause.
pub fn resolution(cause: &str) -> Option<Ms> {
    Some(match cause {
        "unschedulable" | "FailedScheduling" => Ms::Scheduled,
        "sandbox failed" | "FailedCreatePodSandBox" => Ms::SandboxReady,
        "FailedMount" | "FailedAttachVolume" => Ms::VolumesReady,
        "Unhealthy" => Ms::Ready,
        "Failed" | "ErrImagePull" | "BackOff" | "InspectFailed" => Ms::Running,
        c if c.starts_with("create ") || c.starts_with("start ") => Ms::Running,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names round-trip, serialize and print as the contract's strings; the arrays list the
    /// values in contract order.
    #[test]
    fn names_are_the_contract() {
        for m in Ms::ALL {
            assert_eq!(m.as_str().parse::<Ms>(), Ok(m));
            assert_eq!(serde_json::to_string(&m).unwrap(), format!("\"{m}\""));
            assert_eq!(format!("{m:?}"), format!("{:?}", m.as_str()));
        }
        for p in Phase::ALL {
            assert_eq!(p.as_str().parse::<Phase>(), Ok(p));
        }
        assert_eq!(format!("[{:<8}]", Phase::Create), "[create  ]");
        assert_eq!(
            "startup".parse::<Phase>(),
            Err("unknown phase \"startup\"".to_owned())
        );
        let all: Vec<Ms> = MILESTONES.into_iter().chain(CONTAINER_MILESTONES).collect();
        assert_eq!(all, Ms::ALL);
        let phases: Vec<Phase> = PHASES
            .iter()
            .chain(&CONTAINER_PHASES)
            .map(|(n, _, _)| *n)
            .chain([Phase::StartupSli, Phase::KubeletE2e])
            .collect();
        assert_eq!(phases, Phase::ALL);
        assert!(Ms::ALL.windows(2).all(|w| w[0] < w[1]));
    }

    /// A timeline's maps iterate in key order whatever the insertion order, serialize in the
    /// order every output had (milestone names alphabetically, nodes by name), and hold no spare
    /// room once shrunk. A milestone stays at most 88 bytes (issue 16: 112 with a `&str`
    /// precision and a `String` note).
    #[test]
    fn maps_keep_order_and_shrink() {
        let m = |t: i64| Milestone {
            t,
            source: Component::KubeProxy,
            evidence: Place {
                file: "p.log".into(),
                line: 1,
            },
            precision: Precision::Us,
            host: None,
            derived: None,
            clock_offset: None,
        };
        let mut tl = PodTimeline::default();
        for (i, ms) in [
            Ms::Ready,
            Ms::Created,
            Ms::Running,
            Ms::Requested,
            Ms::Scheduled,
        ]
        .into_iter()
        .enumerate()
        {
            tl.milestones.insert(ms, m(i as i64));
        }
        for node in ["w2", "cp", "w10"] {
            tl.programmed.insert(node.into(), m(5));
        }
        tl.shrink();
        let order: Vec<Ms> = tl.milestones.keys().copied().collect();
        assert_eq!(
            order,
            [
                Ms::Requested,
                Ms::Created,
                Ms::Scheduled,
                Ms::Running,
                Ms::Ready
            ]
        );
        let json = serde_json::to_value(&tl).unwrap();
        let names: Vec<&String> = json["milestones"].as_object().unwrap().keys().collect();
        assert_eq!(
            names,
            ["created", "ready", "requested", "running", "scheduled"]
        );
        let nodes: Vec<&String> = json["programmed"].as_object().unwrap().keys().collect();
        assert_eq!(nodes, ["cp", "w10", "w2"]);
        assert_eq!(json["milestones"]["running"]["precision"], "us");
        // Taken, not cloned: a clone's capacity is its length whatever the original's.
        let v = std::mem::take(&mut tl.milestones).into_tuple_vec();
        assert_eq!((v.len(), v.capacity()), (5, 5));
        assert!(std::mem::size_of::<Milestone>() <= 88);
    }

    /// Maps keyed by name serialize alphabetically, whatever the enum's order.
    #[test]
    fn maps_serialize_by_name() {
        let mut tl = PodTimeline::default();
        tl.phases.insert(Phase::StartupSli, 1);
        tl.phases.insert(Phase::TimeToReady, 2);
        tl.phases.insert(Phase::ApiCreate, 3);
        let v = serde_json::to_string(&tl.phases.keys().collect::<Vec<_>>()).unwrap();
        assert_eq!(v, r#"["api_create","time_to_ready","startup_sli"]"#);
        let json = serde_json::to_value(&tl).unwrap();
        let keys: Vec<&String> = json["phases"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["api_create", "startup_sli", "time_to_ready"]);
    }
}
