//! kube-apiserver audit events (FORMATS.md §3): pod creations, bindings and status patches.

use podtrace_parsers::audit::{self, Event as AuditEvent};
use podtrace_parsers::time::{Instant, parse_rfc3339};

use super::{LineCtx, Outcome};
use crate::event::{Component, Event, EventKind, PodRef, RawTime};

/// The literal every line podtrace reads from an audit log holds; everything else is skipped
/// before JSON parsing (see [`looks_damaged`] for what is still checked on skipped lines).
pub const PREFILTER: &[u8] = b"\"pods\"";

/// A cheap sanity check for lines the prefilter skips, so that a damaged line is still reported
/// without paying for a JSON parse: an audit event is one object, and its unescaped quotes pair up.
pub fn looks_damaged(line: &[u8]) -> bool {
    let trimmed = line.trim_ascii();
    if trimmed.first() != Some(&b'{') || trimmed.last() != Some(&b'}') {
        return true;
    }
    let quotes = memchr::memchr_iter(b'"', trimmed).count();
    let escaped = memchr::memmem::find_iter(trimmed, b"\\\"").count();
    // `\\"` (an escaped backslash before a closing quote) is rare in audit bodies; counting it as
    // an escape would only make a valid line look damaged, so subtract those back.
    let double_backslash_quote = memchr::memmem::find_iter(trimmed, b"\\\\\"").count();
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
    if oref.resource.as_deref() != Some("pods") {
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
            let Some(requested) = instant(ev.request_received.as_deref()) else {
                return Outcome::Unparsed("pod create without requestReceivedTimestamp".into());
            };
            EventKind::AuditPodCreate {
                pod: PodRef::new(ns, name).with_uid(uid),
                requested,
                user,
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
                pod: PodRef::new(ns, name).with_uid(uid),
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
            let uid = req
                .as_ref()
                .and_then(|b| b.metadata.as_ref())
                .and_then(|m| m.uid.as_deref())
                .or(oref.uid.as_deref());
            EventKind::AuditStatusPatch {
                pod: PodRef::new(ns, name).with_uid(uid),
                user,
                ready,
                pod_ip,
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
    fn damage_check() {
        assert!(!looks_damaged(br#"{"a":"b \"q\" c"}"#));
        assert!(looks_damaged(br#"{"a":"b,"c":1}"#));
        assert!(looks_damaged(br#"{"a":"b"#));
        assert!(!looks_damaged(br#"{"a":"c:\\"}"#));
    }
}
