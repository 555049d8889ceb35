//! kube-apiserver audit events (docs/formats.md#audit): pod creations, bindings and status patches.

use std::borrow::Cow;

use podtrace_parsers::audit::{self, Event as AuditEvent};
use podtrace_parsers::time::{Instant, parse_rfc3339};

use super::registry::{Parser, Source};
use super::{LineCtx, Outcome};
use crate::event::{Component, Event, EventKind, PodRef, RawTime};

/// JSON lines, recognised by content first (see `src/input/read.rs`); its prefilter is
/// [`PREFILTER`], on the objectRef, not on messages.
pub const SOURCE: Source = Source {
    name: "audit",
    component: Component::Audit,
    file_names: &["audit", "kube-apiserver-audit"],
    dirs: &["audit_logs"],
    containers: &[],
    idents: &[],
    klog_files: &[],
    literals: &[],
    parser: Parser::Own,
};

/// The literal every line podtrace reads from an audit log holds; everything else is skipped
/// before JSON parsing (see [`looks_damaged`] for what is still checked on skipped lines).
pub const PREFILTER: &[&[u8]] = &[
    b"\"pods\"",
    b"\"endpointslices\"",
    b"\"endpoints\"",
    b"\"events\"",
];

/// The prefilter's literals as one automaton, built once: `memmem::find` builds a searcher per
/// call, which showed up at 6 % of an audit-only run.
fn prefilter() -> &'static aho_corasick::AhoCorasick {
    static AC: std::sync::OnceLock<aho_corasick::AhoCorasick> = std::sync::OnceLock::new();
    AC.get_or_init(|| aho_corasick::AhoCorasick::new(PREFILTER).expect("valid literals"))
}

/// Does the line hold one of the resources podtrace reads?
///
/// The apiserver writes an event's fields in its Go struct order, so the top-level
/// `"objectRef":{"resource":"…"` comes before any request or response body: one `memmem` search
/// and a look at the name after it decide most lines. A line written in another order (another
/// serializer, whitespace) falls back to searching the whole line for the resource literals.
pub fn wanted(line: &[u8]) -> bool {
    let f = finder(Needle::ResourceRef);
    match f.find(line) {
        Some(k) => {
            let name = &line[k + f.needle().len()..];
            PREFILTER.iter().any(|lit| name.starts_with(&lit[1..]))
        }
        None => finder(Needle::ObjectRef).find(line).is_some() && prefilter().is_match(line),
    }
}

#[derive(Clone, Copy)]
enum Needle {
    ResourceRef,
    ObjectRef,
    EscapedQuote,
    EscapedBackslashQuote,
}

/// The searchers, built once (`memmem::find` would build one per call).
fn finder(which: Needle) -> &'static memchr::memmem::Finder<'static> {
    use memchr::memmem::Finder;
    static F: std::sync::OnceLock<[Finder<'static>; 4]> = std::sync::OnceLock::new();
    &F.get_or_init(|| {
        [
            Finder::new(b"\"objectRef\":{\"resource\":\""),
            Finder::new(b"\"objectRef\":"),
            Finder::new(b"\\\""),
            Finder::new(b"\\\\\""),
        ]
    })[which as usize]
}

/// A cheap sanity check for lines the prefilter skips, so that a damaged line is still reported
/// without paying for a JSON parse: an audit event is one object, and its unescaped quotes pair up.
pub fn looks_damaged(line: &[u8]) -> bool {
    let trimmed = line.trim_ascii();
    if trimmed.first() != Some(&b'{') || trimmed.last() != Some(&b'}') {
        return true;
    }
    let quotes = memchr::memchr_iter(b'"', trimmed).count();
    // Escapes are rare: only search for them when the line has a backslash at all.
    if memchr::memchr(b'\\', trimmed).is_none() {
        return quotes % 2 == 1;
    }
    let escaped = finder(Needle::EscapedQuote).find_iter(trimmed).count();
    // `\\"` (an escaped backslash before a closing quote) is rare in audit bodies; counting it as
    // an escape would only make a valid line look damaged, so subtract those back.
    let double_backslash_quote = finder(Needle::EscapedBackslashQuote)
        .find_iter(trimmed)
        .count();
    (quotes - escaped + double_backslash_quote) % 2 == 1
}

fn instant(s: Option<&str>) -> Option<Instant> {
    parse_rfc3339(s?.as_bytes()).map(|(i, _)| i)
}

/// Extracts from one audit line that passed the prefilter. `ctx.time` is ignored: an audit event
/// carries its own times.
pub fn extract(line: &str, ctx: &LineCtx, out: &mut Vec<Event>) -> Outcome {
    let ev = match audit::parse(line) {
        Ok(ev) => ev,
        Err(e) => return Outcome::Unparsed(format!("invalid audit JSON: {e}")),
    };
    from_event(&ev, ctx, out)
}

fn body<'a>(raw: Option<&'a serde_json::value::RawValue>) -> Option<audit::PodLike<'a>> {
    raw.and_then(|r| audit::parse_pod(r).ok())
}

fn from_event(ev: &AuditEvent<'_>, ctx: &LineCtx, out: &mut Vec<Event>) -> Outcome {
    if ev.kind.as_deref() != Some("Event") {
        return Outcome::Ignored;
    }
    // Only completed requests: the object was written at `stageTimestamp`.
    if ev.stage.as_deref() != Some("ResponseComplete") {
        return Outcome::Ignored;
    }
    let Some(oref) = &ev.object_ref else {
        return Outcome::Ignored;
    };
    let resource = oref.resource.as_deref().unwrap_or("");
    if !matches!(resource, "pods" | "endpointslices" | "endpoints" | "events") {
        return Outcome::Ignored;
    }
    let code = ev
        .response_status
        .as_ref()
        .and_then(|s| s.code)
        .unwrap_or(0);
    if !(200..300).contains(&code) {
        return Outcome::Ignored;
    }
    let Some(stage) =
        instant(ev.stage_timestamp.as_deref()).or_else(|| instant(ev.timestamp.as_deref()))
    else {
        return Outcome::Unparsed("audit event without a readable stageTimestamp".into());
    };
    let verb = ev.verb.as_deref().unwrap_or("");
    let sub = oref.subresource.as_deref().unwrap_or("");
    let ns = oref.namespace.as_deref().unwrap_or("");
    let user = ev
        .user
        .as_ref()
        .and_then(|u| u.username.as_deref())
        .map(str::to_owned);
    if resource == "endpointslices" || resource == "endpoints" {
        return endpoints(ev, resource, verb, stage, ctx, out);
    }
    if resource == "events" {
        return k8s_event(ev, verb, stage, ctx, out);
    }
    let kind = match (verb, sub) {
        ("create", "") => {
            let resp = body(ev.response_object);
            let meta = resp.as_ref().and_then(|p| p.metadata.as_ref());
            let name = oref
                .name
                .as_deref()
                .filter(|n| !n.is_empty())
                .or_else(|| meta.and_then(|m| m.name.as_deref()));
            let Some(name) = name else {
                return Outcome::Unparsed(
                    "pod create without a name (generateName pod logged below RequestResponse level)".into(),
                );
            };
            let uid = meta.and_then(|m| m.uid.as_deref()).or(oref.uid.as_deref());
            // Without it (a log that keeps one time per entry) `created` still stands.
            let requested = instant(ev.request_received.as_deref());
            EventKind::AuditPodCreate {
                pod: PodRef::of(ns, name, uid),
                requested,
                user: user.map(Into::into),
            }
        }
        ("create", "binding") => {
            let Some(name) = oref.name.as_deref() else {
                return Outcome::Unparsed("pods/binding without a name".into());
            };
            let req = body(ev.request_object);
            let node = req
                .as_ref()
                .and_then(|b| b.target.as_ref())
                .and_then(|t| t.name.as_deref())
                .map(str::to_owned);
            let uid = oref.uid.as_deref().or_else(|| {
                req.as_ref()
                    .and_then(|b| b.metadata.as_ref())
                    .and_then(|m| m.uid.as_deref())
            });
            EventKind::AuditBinding {
                pod: PodRef::of(ns, name, uid),
                node,
            }
        }
        ("patch" | "update", "status") => {
            let Some(name) = oref.name.as_deref() else {
                return Outcome::Unparsed("pods/status without a name".into());
            };
            let req = body(ev.request_object);
            let status = req.as_ref().and_then(|b| b.status.as_ref());
            let ready = status
                .and_then(|s| s.conditions.as_ref())
                .and_then(|cs| cs.iter().find(|c| c.type_.as_deref() == Some("Ready")))
                .and_then(|c| c.status.as_deref())
                .map(|s| s == "True");
            let pod_ip = status.and_then(|s| s.pod_ip.as_deref()).map(str::to_owned);
            // The scheduler's own status patch: PodScheduled=False with the FitError message.
            let unschedulable = status
                .and_then(|s| s.conditions.as_ref())
                .and_then(|cs| {
                    cs.iter().find(|c| {
                        c.type_.as_deref() == Some("PodScheduled")
                            && c.status.as_deref() == Some("False")
                    })
                })
                .map(|c| {
                    c.message
                        .as_deref()
                        .or(c.reason.as_deref())
                        .unwrap_or("Unschedulable")
                        .to_owned()
                });
            if let Some(reason) = unschedulable {
                let uid = req
                    .as_ref()
                    .and_then(|b| b.metadata.as_ref())
                    .and_then(|m| m.uid.as_deref())
                    .or(oref.uid.as_deref());
                let mut e = ctx.event(
                    Component::Audit,
                    EventKind::SchedUnschedulable {
                        pod: PodRef::of(ns, name, uid),
                        reason,
                    },
                );
                e.raw_time = RawTime::Abs(stage);
                out.push(e);
                return Outcome::Recognised(1);
            }
            let uid = req
                .as_ref()
                .and_then(|b| b.metadata.as_ref())
                .and_then(|m| m.uid.as_deref())
                .or(oref.uid.as_deref());
            EventKind::AuditStatusPatch {
                pod: PodRef::of(ns, name, uid),
                user: user.map(Into::into),
                ready,
                pod_ip: pod_ip.map(Into::into),
            }
        }
        _ => return Outcome::Ignored,
    };
    let mut e = ctx.event(Component::Audit, kind);
    e.raw_time = RawTime::Abs(stage);
    out.push(e);
    Outcome::Recognised(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefilter_reads_the_top_level_resource() {
        let line = |r: &str| {
            format!(
                r#"{{"kind":"Event","auditID":"a","stage":"ResponseComplete","verb":"update","objectRef":{{"resource":"{r}","namespace":"n"}},"responseObject":{{"kind":"Pod"}}}}"#
            )
        };
        for r in ["pods", "endpointslices", "endpoints", "events"] {
            assert!(wanted(line(r).as_bytes()), "{r}");
        }
        // Other resources, even with "pods" in a body or as a prefix of the name.
        for r in ["leases", "podsecuritypolicies", "nodes"] {
            assert!(!wanted(line(r).as_bytes()), "{r}");
        }
        let body =
            r#"{"kind":"Event","objectRef":{"resource":"leases"},"requestObject":{"x":"pods"}}"#;
        assert!(!wanted(body.as_bytes()));
        // Another key order or whitespace: the whole line is searched.
        let spaced = r#"{"kind": "Event", "objectRef": {"namespace": "n", "resource": "pods"}}"#;
        assert!(wanted(spaced.as_bytes()));
        // No object at all (`/healthz`): nothing podtrace reads.
        let non_resource = r#"{"kind":"Event","requestURI":"/healthz","note":"pods"}"#;
        assert!(!wanted(non_resource.as_bytes()));
    }

    /// The prefilter never skips a line the extractor would read: every line of every real audit
    /// sample is extracted without it, and each one that gives events must pass it.
    #[test]
    fn prefilter_keeps_every_real_line_that_gives_events() {
        use crate::event::Evidence;
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/real/audit");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        let (mut read, mut skipped) = (0, 0);
        for f in &files {
            let text = std::fs::read_to_string(f).unwrap();
            for (n, line) in text.lines().enumerate() {
                let ctx = LineCtx::untimed(
                    Evidence {
                        file: 0,
                        line: n as u32 + 1,
                    },
                    None,
                );
                let mut out = Vec::new();
                if let Outcome::Recognised(_) = extract(line, &ctx, &mut out) {
                    assert!(wanted(line.as_bytes()), "{}:{}", f.display(), n + 1);
                    read += 1;
                } else if !wanted(line.as_bytes()) {
                    skipped += 1;
                }
            }
        }
        // 49 real lines: 2 give events (pod status patches); 11 pass and are parsed, then ignored
        // (a get and ten lists of pods); 36 are skipped unparsed (leases, RBAC objects, other
        // resources, and one damaged line, which the damage check reports instead).
        assert_eq!((read, skipped), (2, 36));
    }

    #[test]
    fn damage_check() {
        assert!(!looks_damaged(br#"{"a":"b \"q\" c"}"#));
        assert!(looks_damaged(br#"{"a":"b,"c":1}"#));
        assert!(looks_damaged(br#"{"a":"b"#));
        assert!(!looks_damaged(br#"{"a":"c:\\"}"#));
    }
}

/// EndpointSlice / Endpoints writes (create, update, patch) with the addresses they hold.
fn endpoints(
    ev: &AuditEvent<'_>,
    resource: &str,
    verb: &str,
    stage: Instant,
    ctx: &LineCtx,
    out: &mut Vec<Event>,
) -> Outcome {
    if !matches!(verb, "create" | "update" | "patch") {
        return Outcome::Ignored;
    }
    let oref = ev.object_ref.as_ref().expect("checked by the caller");
    // The stored object is the response (RequestResponse); a create/update request body holds the
    // same; a patch body alone may hold only part of it.
    let body = ev.response_object.or(ev.request_object);
    let Some(body) = body else {
        return Outcome::Ignored; // Metadata level: nothing to read about addresses
    };
    let obj: EndpointsObject<'_> = match serde_json::from_str(body.get()) {
        Ok(o) => o,
        Err(e) => return Outcome::Unparsed(format!("unreadable {resource} body: {e}")),
    };
    let ns = oref
        .namespace
        .as_deref()
        .or(obj.metadata.namespace.as_deref())
        .unwrap_or("");
    let name = obj
        .metadata
        .name
        .as_deref()
        .or(oref.name.as_deref())
        .unwrap_or("");
    let mut eps = Vec::new();
    let (service, object) = if resource == "endpointslices" {
        for e in obj.endpoints.unwrap_or_default() {
            let ready = e.conditions.as_ref().and_then(|c| c.ready).unwrap_or(true);
            for ip in e.addresses {
                eps.push(crate::event::EndpointAddr {
                    ip: ip.into_owned(),
                    ready,
                    pod: e.target_ref.as_ref().and_then(target_pod),
                    node: e.node_name.as_deref().map(str::to_owned),
                });
            }
        }
        let svc = obj
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("kubernetes.io/service-name"))
            .map(|s| s.to_string())
            .unwrap_or_default();
        (svc, format!("EndpointSlice/{name}"))
    } else {
        for subset in obj.subsets.unwrap_or_default() {
            for (list, ready) in [
                (subset.addresses, true),
                (subset.not_ready_addresses, false),
            ] {
                for a in list.unwrap_or_default() {
                    eps.push(crate::event::EndpointAddr {
                        ip: a.ip.into_owned(),
                        ready,
                        pod: a.target_ref.as_ref().and_then(target_pod),
                        node: a.node_name.as_deref().map(str::to_owned),
                    });
                }
            }
        }
        (name.to_owned(), format!("Endpoints/{name}"))
    };
    let trigger_time = obj
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get("endpoints.kubernetes.io/last-change-trigger-time"))
        .and_then(|t| parse_rfc3339(t.as_bytes()))
        .map(|(i, _)| i.unix_nanos);
    let mut e = ctx.event(
        Component::Audit,
        EventKind::EndpointsWrite(Box::new(crate::event::EndpointsWriteData {
            service: format!("{ns}/{service}"),
            object,
            verb: verb.to_owned(),
            endpoints: eps,
            trigger_time,
        })),
    );
    e.raw_time = RawTime::Abs(stage);
    out.push(e);
    Outcome::Recognised(1)
}

fn target_pod(t: &TargetRef<'_>) -> Option<PodRef> {
    if t.kind.as_deref().is_some_and(|k| k != "Pod") {
        return None;
    }
    Some(
        PodRef::new(t.namespace.as_deref().unwrap_or(""), t.name.as_deref()?)
            .with_uid(t.uid.as_deref()),
    )
}

/// `create events` (core/v1 and events.k8s.io/v1) about a pod.
fn k8s_event(
    ev: &AuditEvent<'_>,
    verb: &str,
    stage: Instant,
    ctx: &LineCtx,
    out: &mut Vec<Event>,
) -> Outcome {
    if !matches!(verb, "create" | "patch" | "update") {
        return Outcome::Ignored;
    }
    let Some(body) = ev.request_object.or(ev.response_object) else {
        return Outcome::Ignored;
    };
    let obj: EventObject<'_> = match serde_json::from_str(body.get()) {
        Ok(o) => o,
        Err(e) => return Outcome::Unparsed(format!("unreadable event body: {e}")),
    };
    match event_kind(&obj) {
        Some(kind) => {
            let mut e = ctx.event(Component::Events, kind);
            e.raw_time = RawTime::Abs(stage);
            out.push(e);
            Outcome::Recognised(1)
        }
        None => Outcome::Ignored,
    }
}

/// An Event object (core/v1 or events.k8s.io/v1) about a pod → [`EventKind::K8sEvent`].
pub fn event_kind(obj: &EventObject<'_>) -> Option<EventKind> {
    let target = obj.involved_object.as_ref().or(obj.regarding.as_ref())?;
    if target.kind.as_deref() != Some("Pod") {
        return None;
    }
    let pod = target_pod(target)?;
    let (container, init_container) = match target.field_path.as_deref() {
        Some(fp) => container_of(fp),
        None => (None, false),
    };
    Some(EventKind::K8sEvent(Box::new(crate::event::K8sEventData {
        pod,
        container,
        init_container,
        reason: obj.reason.as_deref().unwrap_or("").to_owned(),
        message: obj
            .message
            .as_deref()
            .or(obj.note.as_deref())
            .unwrap_or("")
            .to_owned(),
        warning: obj.type_.as_deref() == Some("Warning"),
    })))
}

/// `spec.containers{web}` → (Some("web"), false); `spec.initContainers{init}` → (…, true).
pub fn container_of(field_path: &str) -> (Option<String>, bool) {
    let init = field_path.starts_with("spec.initContainers");
    let name = field_path
        .split_once('{')
        .and_then(|(_, r)| r.strip_suffix('}'))
        .map(str::to_owned);
    (name, init)
}

#[derive(Debug, serde::Deserialize)]
struct Meta<'a> {
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    namespace: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    labels: Option<std::collections::HashMap<Cow<'a, str>, Cow<'a, str>>>,
    #[serde(borrow, default)]
    annotations: Option<std::collections::HashMap<Cow<'a, str>, Cow<'a, str>>>,
}

#[derive(Debug, serde::Deserialize)]
pub struct TargetRef<'a> {
    #[serde(borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    namespace: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    uid: Option<Cow<'a, str>>,
    #[serde(rename = "fieldPath", borrow, default)]
    field_path: Option<Cow<'a, str>>,
}

#[derive(Debug, serde::Deserialize)]
struct SliceEndpoint<'a> {
    #[serde(borrow, default)]
    addresses: Vec<Cow<'a, str>>,
    #[serde(default)]
    conditions: Option<Conditions>,
    #[serde(rename = "targetRef", borrow, default)]
    target_ref: Option<TargetRef<'a>>,
    #[serde(rename = "nodeName", borrow, default)]
    node_name: Option<Cow<'a, str>>,
}

#[derive(Debug, serde::Deserialize)]
struct Conditions {
    #[serde(default)]
    ready: Option<bool>,
}

#[derive(Debug, serde::Deserialize)]
struct Subset<'a> {
    #[serde(borrow, default)]
    addresses: Option<Vec<Address<'a>>>,
    #[serde(rename = "notReadyAddresses", borrow, default)]
    not_ready_addresses: Option<Vec<Address<'a>>>,
}

#[derive(Debug, serde::Deserialize)]
struct Address<'a> {
    #[serde(borrow)]
    ip: Cow<'a, str>,
    #[serde(rename = "targetRef", borrow, default)]
    target_ref: Option<TargetRef<'a>>,
    #[serde(rename = "nodeName", borrow, default)]
    node_name: Option<Cow<'a, str>>,
}

#[derive(Debug, serde::Deserialize)]
struct EndpointsObject<'a> {
    #[serde(borrow)]
    metadata: Meta<'a>,
    #[serde(borrow, default)]
    endpoints: Option<Vec<SliceEndpoint<'a>>>,
    #[serde(borrow, default)]
    subsets: Option<Vec<Subset<'a>>>,
}

/// An Event, either API group.
#[derive(Debug, serde::Deserialize)]
pub struct EventObject<'a> {
    #[serde(rename = "involvedObject", borrow, default)]
    involved_object: Option<TargetRef<'a>>,
    #[serde(borrow, default)]
    regarding: Option<TargetRef<'a>>,
    #[serde(borrow, default)]
    reason: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    message: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    note: Option<Cow<'a, str>>,
    #[serde(rename = "type", borrow, default)]
    type_: Option<Cow<'a, str>>,
}
