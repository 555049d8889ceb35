//! kubelet (docs/formats.md#kubelet): pod admission, sandbox, PLEG, probes, status, volumes, and the
//! kubelet's own startup figure.

use podtrace_parsers::kv::Value;
use podtrace_parsers::time::{GoTime, Instant, parse_go_duration, parse_go_time};

use super::registry::{Parser, Source};
use super::{Fields, LineCtx, Outcome, find, pod_list, pod_ref};
use crate::event::{Component, Event, EventKind, KubeletStartup, PodRef, SyncOp};

pub const SOURCE: Source = Source {
    name: "kubelet",
    component: Component::Kubelet,
    file_names: &["kubelet"],
    dirs: &[],
    containers: &[],
    // `kubenswrapper` on OpenShift; `hyperkube` where one binary runs the kubelet alone.
    idents: &["kubelet", "kubenswrapper", "hyperkube", "kubelet-eks"],
    klog_files: &[
        "kubelet.go",
        "kubelet_pods.go",
        "pod_workers.go",
        "prober.go",
        "prober_manager.go",
        "worker.go",
        "kuberuntime_manager.go",
        "kuberuntime_container.go",
        "kuberuntime_sandbox.go",
        "pod_startup_latency_tracker.go",
        "operation_generator.go",
        "reconciler_common.go",
        "volume_manager.go",
        "generic.go",
        "evented.go",
        "status_manager.go",
        "topology_manager.go",
        "scope.go",
    ],
    literals: &[
        "SyncLoop",
        "No sandbox for pod",
        "PodSandbox for pod",
        "Topology Admit",
        "Observed pod startup",
        "tatus for pod",
        "MountVolume.",
        "All volumes",
        "yncPod enter",
        "Error syncing pod",
        "Killing container",
        "Event occurred",
    ],
    parser: Parser::Klog {
        structured: Some(extract),
        text: Some(extract_text),
    },
};

/// Handles a structured klog message if it is one of the kubelet's.
pub fn extract(
    msg: &str,
    fields: &Fields<'_>,
    ctx: &LineCtx,
    out: &mut Vec<Event>,
) -> Option<Outcome> {
    let op = match msg {
        "SyncLoop ADD" => Some(SyncOp::Add),
        "SyncLoop UPDATE" => Some(SyncOp::Update),
        "SyncLoop DELETE" => Some(SyncOp::Delete),
        "SyncLoop REMOVE" => Some(SyncOp::Remove),
        "SyncLoop RECONCILE" => Some(SyncOp::Reconcile),
        _ => None,
    };
    if let Some(op) = op {
        return Some(sync_loop(op, fields, ctx, out));
    }
    if msg == "Event occurred" {
        return Some(event_occurred(fields, ctx, out));
    }
    let handled = matches!(
        msg,
        "No sandbox for pod can be found. Need to start a new one"
            | "Creating PodSandbox for pod"
            | "Created PodSandbox for pod"
            | "CreatePodSandbox for pod failed"
            | "SyncLoop (PLEG): event for pod"
            | "SyncLoop (probe)"
            | "Topology Admit Handler"
            | "Observed pod startup duration"
            | "Patch status for pod"
            | "Status for pod updated successfully"
            | "All volumes are attached and mounted for pod"
            | "SyncPod enter"
            | "syncPod enter"
            | "Error syncing pod, skipping"
            | "Killing container with a grace period"
    ) || msg.starts_with("MountVolume.SetUp succeeded for volume ")
        || msg.starts_with("MountVolume.MountDevice succeeded for volume ");
    if !handled {
        return None;
    }
    let p = fields.pairs();
    let uid = find(&p, "podUID").map(|v| v.text().into_owned());
    let pod = if msg == "Topology Admit Handler" {
        match (find(&p, "podNamespace"), find(&p, "podName")) {
            (Some(ns), Some(n)) => Some(PodRef::new(&ns.text(), &n.text())),
            _ => None,
        }
    } else {
        find(&p, "pod").and_then(pod_ref)
    };
    let Some(pod) = pod.map(|p| p.with_uid(uid.as_deref())) else {
        // Lines read only to link a name to a UID carry no pod in some versions (1.27's
        // "Topology Admit Handler" has no keys at all): nothing is lost.
        if matches!(
            msg,
            "Topology Admit Handler"
                | "SyncPod enter"
                | "syncPod enter"
                | "Killing container with a grace period"
        ) {
            return Some(Outcome::Ignored);
        }
        return Some(Outcome::Unparsed(format!(
            "kubelet \"{}\" without pod",
            short(msg)
        )));
    };
    let text = |k: &str| find(&p, k).map(|v| v.text().into_owned());
    let kind = match msg {
        "No sandbox for pod can be found. Need to start a new one" => EventKind::NoSandbox { pod },
        "Creating PodSandbox for pod" => EventKind::CreatingSandbox { pod },
        "Created PodSandbox for pod" => match text("podSandboxID") {
            Some(sandbox_id) => EventKind::CreatedSandbox { pod, sandbox_id },
            None => {
                return Some(Outcome::Unparsed(
                    "Created PodSandbox without podSandboxID".into(),
                ));
            }
        },
        "CreatePodSandbox for pod failed" => EventKind::SandboxFailed {
            pod,
            error: text("err").unwrap_or_default(),
        },
        "SyncLoop (PLEG): event for pod" => match find(&p, "event").and_then(pleg_event) {
            Some((uid, kind, data)) => EventKind::Pleg {
                pod: pod.with_uid(Some(&uid)),
                kind: kind.into(),
                data: data.into(),
            },
            None => {
                return Some(Outcome::Unparsed(
                    "PLEG event without a readable event=".into(),
                ));
            }
        },
        "SyncLoop (probe)" => EventKind::Probe {
            pod,
            probe: text("probe").unwrap_or_default().into(),
            status: text("status").unwrap_or_default().into(),
        },
        "Observed pod startup duration" => match startup(&p) {
            Ok(s) => EventKind::Startup {
                pod,
                startup: Box::new(s),
            },
            Err(why) => return Some(Outcome::Unparsed(why)),
        },
        "Patch status for pod" => {
            let patch = text("patch").unwrap_or_default();
            let (uid, ready, ip) = status_json(&patch, true);
            EventKind::KubeletStatus {
                pod: if pod.uid.is_none() {
                    pod.with_uid(uid.as_deref())
                } else {
                    pod
                },
                patched: true,
                ready,
                pod_ip: ip.map(Into::into),
            }
        }
        "Status for pod updated successfully" => {
            let status = find(&p, "status")
                .map(|v| v.text().into_owned())
                .unwrap_or_default();
            let (_, ready, ip) = status_json(&status, false);
            EventKind::KubeletStatus {
                pod,
                patched: false,
                ready,
                pod_ip: ip.map(Into::into),
            }
        }
        "All volumes are attached and mounted for pod" => EventKind::VolumesReady { pod },
        m if m.starts_with("MountVolume.SetUp succeeded for volume ")
            || m.starts_with("MountVolume.MountDevice succeeded for volume ") =>
        {
            // The message is dynamic: `… for volume "<spec>" (UniqueName: "…") pod "<name>" (UID: "<uid>") `.
            let m = podtrace_parsers::quote::unescape(m);
            let volume = super::first_quoted(&m)
                .map(|(v, _)| v.to_owned())
                .unwrap_or_default();
            let uid = m
                .find("(UID: \"")
                .and_then(|k| super::first_quoted(&m[k..]).map(|(u, _)| u.to_owned()));
            let pod = if pod.uid.is_none() {
                pod.with_uid(uid.as_deref())
            } else {
                pod
            };
            let plugin = m
                .find("(UniqueName: \"")
                .and_then(|k| super::first_quoted(&m[k..]))
                .map(|(u, _)| volume_plugin(u).to_owned());
            EventKind::VolumeMounted {
                pod,
                volume: volume.into(),
                plugin: plugin.map(Into::into),
            }
        }
        _ => {
            if pod.uid.is_none() {
                return Some(Outcome::Ignored);
            }
            EventKind::PodUid { pod }
        }
    };
    out.push(ctx.event(Component::Kubelet, kind));
    Some(Outcome::Recognised(1))
}

fn short(msg: &str) -> &str {
    let end = msg.char_indices().nth(60).map_or(msg.len(), |(i, _)| i);
    &msg[..end]
}

/// The printf-era kubelet (≤ 1.20, still in some 1.21–1.22 code paths), where pods are written
/// by `format.Pod` as `name_namespace(uid)` (docs/formats.md#kubelet-119-122):
/// `SyncLoop (ADD, "api"): "nginx_default(6a0f…)"`,
/// `SyncLoop (PLEG): "nginx_default(6a0f…)", event: &pleg.PodLifecycleEvent{ID:"6a0f…", Type:"ContainerStarted", Data:"3f5c…"}`,
/// `No sandbox for pod "nginx_default(6a0f…)" can be found. Need to start a new one`.
pub fn extract_text(text: &str, ctx: &LineCtx, out: &mut Vec<Event>) -> Option<Outcome> {
    let text = text.trim_end();
    if let Some(rest) = text.strip_prefix("SyncLoop (PLEG): ") {
        let Some((pods, rest)) = printf_pods(rest) else {
            return Some(Outcome::Unparsed(
                "printf PLEG line without a readable pod".into(),
            ));
        };
        let Some(pod) = pods.into_iter().next() else {
            return Some(Outcome::Unparsed("printf PLEG line without a pod".into()));
        };
        let Some(ev) = rest
            .strip_prefix(", event: &pleg.PodLifecycleEvent{")
            .and_then(|r| r.strip_suffix('}'))
        else {
            return Some(Outcome::Unparsed(
                "printf PLEG line without its event".into(),
            ));
        };
        let field = |k: &str| {
            let start = ev.find(&format!("{k}:"))? + k.len() + 1;
            let v = &ev[start..];
            match v.strip_prefix('"') {
                Some(q) => q.find('"').map(|e| &q[..e]),
                None => Some(v.split([',', '}']).next().unwrap_or("").trim()),
            }
        };
        let (Some(uid), Some(kind)) = (field("ID"), field("Type")) else {
            return Some(Outcome::Unparsed(
                "printf PLEG event without ID or Type".into(),
            ));
        };
        let data = field("Data").unwrap_or("").to_owned();
        out.push(ctx.event(
            Component::Kubelet,
            EventKind::Pleg {
                pod: pod.with_uid(Some(uid)),
                kind: kind.into(),
                data: data.into(),
            },
        ));
        return Some(Outcome::Recognised(1));
    }
    if let Some(rest) = text.strip_prefix("SyncLoop (") {
        // `ADD, "api"): "a_ns(uid), b_ns(uid)"`
        let (op, rest) = rest.split_once(", ")?;
        let op = match op {
            "ADD" => SyncOp::Add,
            "UPDATE" => SyncOp::Update,
            "DELETE" => SyncOp::Delete,
            "REMOVE" => SyncOp::Remove,
            "RECONCILE" => SyncOp::Reconcile,
            _ => return None,
        };
        let (source, rest) = super::first_quoted(rest)?;
        let rest = rest.strip_prefix("): ")?;
        let Some((pods, _)) = printf_pods(rest) else {
            return Some(Outcome::Unparsed(
                "printf SyncLoop without a readable pod list".into(),
            ));
        };
        push_sync_loop(ctx, out, op, source, pods);
        return Some(Outcome::Recognised(1));
    }
    if let Some(rest) = text.strip_prefix("No sandbox for pod ") {
        if !rest.ends_with("can be found. Need to start a new one") {
            return None;
        }
        let Some((mut pods, _)) = printf_pods(rest) else {
            return Some(Outcome::Unparsed(
                "printf \"No sandbox\" without a pod".into(),
            ));
        };
        let pod = pods.pop()?;
        out.push(ctx.event(Component::Kubelet, EventKind::NoSandbox { pod }));
        return Some(Outcome::Recognised(1));
    }
    None
}

/// A quoted `format.Pods` string at the start of `s`: `"a_ns(uid), b_ns(uid)"`; the pods and
/// what follows the closing quote. `None` when `s` does not start with a quote.
fn printf_pods(s: &str) -> Option<(Vec<PodRef>, &str)> {
    let (inner, rest) = super::first_quoted(s)?;
    if !s.starts_with('"') {
        return None;
    }
    let mut pods = Vec::new();
    for one in inner.split(", ").filter(|p| !p.is_empty()) {
        let (name_ns, uid) = match one.strip_suffix(')').and_then(|p| p.rsplit_once('(')) {
            Some((n, u)) => (n, Some(u)),
            None => (one, None),
        };
        // Names and namespaces are DNS labels: no `_`, so the last one separates them.
        let (name, ns) = name_ns.rsplit_once('_')?;
        let label = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        };
        // A list cut short (`other_kube-system(`) is not a pod.
        if !label(name) || !label(ns) {
            return None;
        }
        pods.push(PodRef::of(ns, name, uid));
    }
    Some((pods, rest))
}

/// V3 "Event occurred" (client-go's structured event logging): the kubelet's own Events.
fn event_occurred(fields: &Fields<'_>, ctx: &LineCtx, out: &mut Vec<Event>) -> Outcome {
    let p = fields.pairs();
    let text = |k: &str| find(&p, k).map(|v| v.text().into_owned());
    if text("kind").as_deref() != Some("Pod") {
        return Outcome::Ignored;
    }
    let Some(pod) = find(&p, "object").and_then(pod_ref) else {
        return Outcome::Unparsed("\"Event occurred\" without object=".into());
    };
    let (container, init_container) = match text("fieldPath") {
        Some(fp) => super::audit::container_of(&fp),
        None => (None, false),
    };
    out.push(ctx.event(
        Component::Events,
        EventKind::K8sEvent(Box::new(crate::event::K8sEventData {
            pod,
            container,
            init_container,
            reason: text("reason").unwrap_or_default(),
            message: text("message").unwrap_or_default(),
            warning: text("type").as_deref() == Some("Warning"),
        })),
    ));
    Outcome::Recognised(1)
}

/// A "SyncLoop" line's event, from its structured or its printf form.
fn push_sync_loop(
    ctx: &LineCtx,
    out: &mut Vec<Event>,
    op: SyncOp,
    source: &str,
    pods: Vec<PodRef>,
) {
    out.push(ctx.event(
        Component::Kubelet,
        EventKind::SyncLoop {
            op,
            source: source.into(),
            pods: pods.into(),
        },
    ));
}

fn sync_loop(op: SyncOp, fields: &Fields<'_>, ctx: &LineCtx, out: &mut Vec<Event>) -> Outcome {
    let p = fields.pairs();
    let source = find(&p, "source").map(|v| v.text()).unwrap_or_default();
    match find(&p, "pods").and_then(pod_list) {
        Some(pods) => {
            push_sync_loop(ctx, out, op, &source, pods);
            Outcome::Recognised(1)
        }
        None => Outcome::Unparsed("SyncLoop without a readable pods= list".into()),
    }
}

/// PLEG `event=`: `{"ID":"…","Type":"…","Data":"…"}` (≥1.28) or `&{ID:… Type:… Data:…}` (≤1.27).
/// Returns (pod UID, type, data).
pub(crate) fn pleg_event(v: Value<'_>) -> Option<(String, String, String)> {
    let s = v.text();
    let s = s.trim();
    if s.starts_with('{') {
        #[derive(serde::Deserialize)]
        struct E {
            #[serde(rename = "ID")]
            id: String,
            #[serde(rename = "Type")]
            kind: String,
            #[serde(rename = "Data", default)]
            data: serde_json::Value,
        }
        let e: E = serde_json::from_str(s).ok()?;
        let data = match e.data {
            serde_json::Value::String(d) => d,
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        };
        return Some((e.id, e.kind, data));
    }
    let inner = s.strip_prefix("&{")?.strip_suffix('}')?;
    let (mut id, mut kind, mut data) = (None, None, String::new());
    for field in inner.split(' ') {
        if let Some(x) = field.strip_prefix("ID:") {
            id = Some(x.to_owned());
        } else if let Some(x) = field.strip_prefix("Type:") {
            kind = Some(x.to_owned());
        } else if let Some(x) = field.strip_prefix("Data:") {
            data = x.to_owned();
        }
    }
    Some((id?, kind?, data))
}

/// "Observed pod startup duration" in all three key sets (1.26–1.27, 1.28+, ≈1.34+).
fn startup(p: &[(&str, Value<'_>)]) -> Result<KubeletStartup, String> {
    let time = |k: &str| -> Result<Option<Instant>, String> {
        match find(p, k) {
            None => Ok(None),
            Some(v) => match parse_go_time(&v.text()) {
                Some(GoTime::At(i)) => Ok(Some(i)),
                Some(GoTime::Zero) => Ok(None),
                None => Err(format!("unreadable {k}=")),
            },
        }
    };
    let duration = |k: &str| -> Result<Option<i64>, String> {
        match find(p, k) {
            None => Ok(None),
            Some(v) => parse_go_duration(&v.text())
                .map(Some)
                .ok_or_else(|| format!("unreadable {k}=")),
        }
    };
    let e2e = match find(p, "podStartE2EDuration") {
        Some(v) => Some(
            parse_go_duration(&v.text())
                .ok_or_else(|| "unreadable podStartE2EDuration=".to_string())?,
        ),
        None => None,
    };
    let creation = match time("podCreationTimestamp")? {
        Some(t) => Some(t),
        None => time("pod.CreationTimestamp")?,
    };
    let s = KubeletStartup {
        slo_seconds: find(p, "podStartSLOduration").and_then(|v| v.text().parse().ok()),
        e2e_nanos: e2e,
        creation,
        first_started_pulling: time("firstStartedPulling")?,
        last_finished_pulling: time("lastFinishedPulling")?,
        observed_running: time("observedRunningTime")?,
        watch_observed_running: time("watchObservedRunningTime")?,
        total_pulling_nanos: duration("totalImagesPullingTime")?,
        total_init_nanos: duration("totalInitContainerRuntime")?,
        is_stateful: find(p, "isStatefulPod").and_then(|v| v.text().parse().ok()),
        pull_sessions: find(p, "imagePullSessionsCount").and_then(|v| v.text().parse().ok()),
    };
    if s.watch_observed_running.is_none() && s.e2e_nanos.is_none() {
        return Err("Observed pod startup duration without watchObservedRunningTime".into());
    }
    Ok(s)
}

/// Reads a pod status (the `status=` JSON of ≥1.28, or a patch body): (metadata UID, Ready
/// condition, pod IP). `%+v` renderings of ≤1.27 are not JSON and yield nothing.
fn status_json(s: &str, is_patch: bool) -> (Option<String>, Option<bool>, Option<String>) {
    #[derive(serde::Deserialize, Default)]
    struct Meta {
        #[serde(default)]
        uid: Option<String>,
    }
    #[derive(serde::Deserialize)]
    struct Cond {
        #[serde(rename = "type", default)]
        kind: Option<String>,
        #[serde(default)]
        status: Option<String>,
    }
    #[derive(serde::Deserialize, Default)]
    struct Status {
        #[serde(default)]
        conditions: Vec<Cond>,
        #[serde(rename = "podIP", default)]
        pod_ip: Option<String>,
    }
    #[derive(serde::Deserialize)]
    struct Patch {
        #[serde(default)]
        metadata: Meta,
        #[serde(default)]
        status: Status,
    }
    let (uid, status) = if is_patch {
        match serde_json::from_str::<Patch>(s) {
            Ok(p) => (p.metadata.uid, p.status),
            Err(_) => return (None, None, None),
        }
    } else {
        match serde_json::from_str::<Status>(s) {
            Ok(st) => (None, st),
            Err(_) => return (None, None, None),
        }
    };
    let ready = status
        .conditions
        .iter()
        .find(|c| c.kind.as_deref() == Some("Ready"))
        .and_then(|c| c.status.as_deref())
        .map(|s| s == "True");
    (uid, ready, status.pod_ip)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pleg_both_renderings() {
        let new = Value::Raw(r#"{"ID":"ecf6","Type":"ContainerStarted","Data":"9782"}"#);
        assert_eq!(
            pleg_event(new),
            Some(("ecf6".into(), "ContainerStarted".into(), "9782".into()))
        );
        let old = Value::Raw("&{ID:7eab Type:ContainerStarted Data:7baa}");
        assert_eq!(
            pleg_event(old),
            Some(("7eab".into(), "ContainerStarted".into(), "7baa".into()))
        );
        assert_eq!(pleg_event(Value::Raw("&{Type:X}")), None);
    }

    #[test]
    fn status_patch_ready_and_ip() {
        let patch = r#"{"metadata":{"uid":"d2bd"},"status":{"conditions":[{"status":"True","type":"PodReadyToStartContainers"},{"status":"True","type":"Ready"}],"podIP":"10.244.2.46"}}"#;
        assert_eq!(
            status_json(patch, true),
            (Some("d2bd".into()), Some(true), Some("10.244.2.46".into()))
        );
        let st = r#"{"phase":"Pending","conditions":[{"type":"Ready","status":"False"}]}"#;
        assert_eq!(status_json(st, false), (None, Some(false), None));
        assert_eq!(status_json("{Phase:Pending}", false), (None, None, None));
    }
}

/// The plugin part of a volume's UniqueName: `kubernetes.io/projected/<uid>-<name>` →
/// `kubernetes.io/projected`; `kubernetes.io/csi/<driver>^<handle>` → `kubernetes.io/csi/<driver>`.
pub fn volume_plugin(unique: &str) -> &str {
    let mut parts = unique.splitn(3, '/');
    let (Some(a), Some(b)) = (parts.next(), parts.next()) else {
        return unique;
    };
    let two = a.len() + 1 + b.len();
    if b == "csi"
        && let Some(rest) = parts.next()
    {
        let driver = rest.split('^').next().unwrap_or(rest);
        return &unique[..two + 1 + driver.len()];
    }
    &unique[..two]
}

#[cfg(test)]
mod volume_tests {
    #[test]
    fn plugins() {
        use super::volume_plugin;
        assert_eq!(
            volume_plugin(
                "kubernetes.io/projected/ecf6beca-4e57-4562-8f89-b6e72312b3fd-kube-api-access-k8dc8"
            ),
            "kubernetes.io/projected"
        );
        assert_eq!(
            volume_plugin("kubernetes.io/csi/ebs.csi.aws.com^vol-0a1b"),
            "kubernetes.io/csi/ebs.csi.aws.com"
        );
        assert_eq!(volume_plugin("odd"), "odd");
    }
}
