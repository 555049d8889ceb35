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
pub mod skew;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::event::Component;

/// Milestones of the main path, in order (docs/phases.md#milestones; a public contract).
pub const MILESTONES: [&str; 17] = [
    "requested",
    "created",
    "schedule_attempted",
    "scheduled",
    "kubelet_seen",
    "volumes_ready",
    "sandbox_started",
    "network_started",
    "network_ready",
    "sandbox_ready",
    "running",
    "running_observed",
    "ready",
    "ready_reported",
    "endpoints_updated",
    "programmed_first",
    "programmed_last",
];

/// Milestones written by the apiserver (or read from API objects): for a static pod, these
/// belong to its mirror pod and do not start it (PHASES.md "Static pods").
pub const API_MILESTONES: [&str; 3] = ["requested", "created", "scheduled"];

/// Per-container milestones (`create_started` is podtrace's addition: the runtime's
/// CreateContainer request, the start of the `create` child phase).
pub const CONTAINER_MILESTONES: [&str; 7] = [
    "pull_started",
    "pull_finished",
    "image_cached",
    "create_started",
    "container_created",
    "container_started",
    "container_ready",
];

/// Phases: (name, from, to). Consecutive on the main path, then children and aggregates.
pub const PHASES: [(&str, &str, &str); 16] = [
    ("api_create", "requested", "created"),
    ("scheduling", "created", "scheduled"),
    ("kubelet_watch", "scheduled", "kubelet_seen"),
    ("kubelet_prep", "kubelet_seen", "sandbox_started"),
    ("volumes", "kubelet_seen", "volumes_ready"),
    ("sandbox", "sandbox_started", "sandbox_ready"),
    ("network", "network_started", "network_ready"),
    ("containers", "sandbox_ready", "running"),
    ("readiness", "running", "ready"),
    ("status_report", "ready", "ready_reported"),
    ("endpoints", "ready_reported", "endpoints_updated"),
    ("programming", "endpoints_updated", "programmed_last"),
    ("startup_e2e", "created", "running_observed"),
    ("time_to_ready", "created", "ready"),
    ("time_to_serving", "requested", "programmed_last"),
    // podtrace's addition: how long the kubelet's watch took to see a running pod.
    ("running_watch", "running", "running_observed"),
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

/// An instant in one pod's life, read from one line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Milestone {
    /// UTC nanoseconds since the epoch.
    pub t: i64,
    pub source: Component,
    /// `path:line`.
    pub evidence: Place,
    pub precision: &'static str,
    /// Whose clock wrote it (shared with the events of that host).
    pub host: Option<std::sync::Arc<str>>,
    /// Set when taken from a weaker source than the primary one: which.
    pub derived: Option<String>,
    /// Nanoseconds subtracted to bring this host's clock onto the apiserver's (skew correction);
    /// the time as written is `t + clock_offset`.
    pub clock_offset: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
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
    pub milestones: BTreeMap<&'static str, Milestone>,
    /// image_pull, create, start (nanoseconds).
    pub phases: BTreeMap<&'static str, i64>,
}

/// The kubelet's own figures from "Observed pod startup duration".
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
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

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
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
    pub volumes: BTreeMap<String, String>,
    pub milestones: BTreeMap<&'static str, Milestone>,
    /// Phase name → nanoseconds (present only when both ends are).
    pub phases: BTreeMap<&'static str, i64>,
    pub containers: Vec<ContainerTimeline>,
    /// Services whose EndpointSlices listed the pod (`namespace/name`).
    pub services: Vec<String>,
    /// Per node: when that node's kube-proxy had programmed the endpoint.
    pub programmed: BTreeMap<String, Milestone>,
    /// Nodes whose kube-proxy logs show no sync after `endpoints_updated`.
    pub programmed_missing: Vec<String>,
    /// Other endpoint consumers that reconfigured after `endpoints_updated` (`ingress-nginx@node`).
    pub consumers: BTreeMap<String, Milestone>,
    pub kubelet: Option<KubeletFigures>,
    /// The main-path phase that took longest: (name, nanoseconds, share of the main path).
    pub dominant: Option<(&'static str, i64, f64)>,
    /// Failures seen on the way (scheduling, sandbox/CNI, pull, create, start, probes, mounts).
    pub failures: Vec<Failure>,
    /// Things that look wrong (negative phases…): reported, never hidden.
    pub findings: Vec<String>,
    /// Set for a static pod (started by the kubelet from a manifest): how podtrace knows.
    pub static_pod: Option<StaticPod>,
    /// Phases that do not apply to this pod (absent from `phases`), and why: a static pod's
    /// API-to-node phases.
    pub not_applicable: BTreeMap<&'static str, String>,
    /// Phases negative by less than the precision of their coarser end: `phases` holds 0, this
    /// holds the value as computed and why it is not a finding ([`honest`]).
    pub below_precision: BTreeMap<&'static str, BelowPrecision>,
    /// Phases kept in `phases` as computed but left out of every statistic, and why.
    pub excluded: BTreeMap<&'static str, String>,
}

/// How a pod is known to be static (PHASES.md "Static pods").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StaticPod {
    /// The sign that showed it, with its evidence where there is one.
    pub basis: String,
    /// Only its name matched (`kube-system/<component>-<node>`): a guess, and said so.
    pub heuristic: bool,
}

/// A phase whose ends are out of order by less than the coarser end's precision.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
}

/// One cause that held the pod back, with how long.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
    pub resolved_by: Option<&'static str>,
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
pub fn resolution(cause: &str) -> Option<&'static str> {
    Some(match cause {
        "unschedulable" | "FailedScheduling" => "scheduled",
        "sandbox failed" | "FailedCreatePodSandBox" => "sandbox_ready",
        "FailedMount" | "FailedAttachVolume" => "volumes_ready",
        "Unhealthy" => "ready",
        "Failed" | "ErrImagePull" | "BackOff" | "InspectFailed" => "running",
        c if c.starts_with("create ") || c.starts_with("start ") => "running",
        _ => return None,
    })
}
