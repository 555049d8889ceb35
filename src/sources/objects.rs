//! Kubernetes objects as bundles hold them (docs/formats.md#kubernetes-objects; `kubectl cluster-info dump`,
//! support bundles, `kubectl get … -o json|yaml`): EventLists and PodLists, JSON or YAML, read as
//! whole documents. Each item's evidence is the line of its `uid`.

use std::sync::Arc;

use podtrace_parsers::time::{Instant, parse_rfc3339};
use serde_json::Value;

use super::registry::{Parser, Source};
use crate::event::{Component, Event, EventKind, Evidence, PodObject, PodRef, RawTime};

/// Whole documents, recognised by content ([`sniff`]).
pub const SOURCE: Source = Source {
    name: "objects",
    component: Component::Events,
    file_names: &[],
    dirs: &[],
    containers: &[],
    idents: &[],
    klog_files: &[],
    literals: &[],
    parser: Parser::Own,
};

/// Is this (the start of) a document podtrace reads? Decided on the first lines.
pub fn sniff(head: &str) -> Option<bool> {
    let compact: String = head.chars().filter(|c| !c.is_whitespace()).collect();
    let json = compact.starts_with('{') || compact.starts_with('[');
    let kinds = ["EventList", "PodList", "List"];
    let is_list = if json {
        kinds
            .iter()
            .any(|k| compact.contains(&format!("\"kind\":\"{k}\"")))
            || compact.contains("\"items\":[")
    } else {
        kinds.iter().any(|k| compact.contains(&format!("kind:{k}")))
            || head.lines().any(|l| l.trim_end() == "items:")
    };
    is_list.then_some(!json)
}

fn instant(v: &Value) -> Option<Instant> {
    parse_rfc3339(v.as_str()?.as_bytes()).map(|(i, _)| i)
}

fn s<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str()
}

/// Line (1-based) of the first occurrence of `needle` in `text`.
fn line_of(text: &str, needle: &str) -> Option<u32> {
    let k = memchr::memmem::find(text.as_bytes(), needle.as_bytes())?;
    Some(memchr::memchr_iter(b'\n', &text.as_bytes()[..k]).count() as u32 + 1)
}

pub struct Outcome {
    pub recognised: u64,
    pub ignored: u64,
    pub error: Option<String>,
}

/// Reads every item of an EventList / PodList / List document.
pub fn extract(
    text: &str,
    yaml: bool,
    file: u32,
    host: Option<Arc<str>>,
    out: &mut Vec<Event>,
) -> Outcome {
    // One document, or several back to back (`kubectl cluster-info dump` to stdout writes a
    // NodeList, then per namespace an EventList … PodList; YAML streams separate them by
    // `---`). What was read before a damaged document is kept.
    let mut docs: Vec<Value> = Vec::new();
    let mut error = None;
    if yaml {
        use serde::Deserialize;
        for d in serde_norway::Deserializer::from_str(text) {
            match Value::deserialize(d) {
                Ok(v) => docs.push(v),
                Err(e) => {
                    error = Some(e.to_string());
                    break;
                }
            }
        }
    } else {
        for d in serde_json::Deserializer::from_str(text).into_iter::<Value>() {
            match d {
                Ok(v) => docs.push(v),
                Err(e) => {
                    error = Some(e.to_string());
                    break;
                }
            }
        }
    }
    let mut o = Outcome {
        recognised: 0,
        ignored: 0,
        error: error.map(|e| format!("unreadable document: {e}")),
    };
    let items = docs.iter().flat_map(|doc| match doc {
        Value::Array(a) => a.as_slice(),
        v => v
            .get("items")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice),
    });
    for (idx, item) in items.enumerate() {
        let uid = s(item, &["metadata", "uid"]);
        let line = uid
            .and_then(|u| {
                [
                    format!("\"uid\": \"{u}\""),
                    format!("\"uid\":\"{u}\""),
                    format!("uid: {u}"),
                    format!("uid: \"{u}\""),
                ]
                .iter()
                .find_map(|n| line_of(text, n))
                .or_else(|| line_of(text, u))
            })
            .unwrap_or(idx as u32 + 1);
        let evidence = Evidence { file, line };
        let kind = item.get("kind").and_then(Value::as_str).unwrap_or_else(|| {
            // Items of a typed list often omit `kind`.
            if item.get("involvedObject").is_some() || item.get("regarding").is_some() {
                "Event"
            } else if item.get("spec").and_then(|s| s.get("containers")).is_some() {
                "Pod"
            } else {
                ""
            }
        });
        let got = match kind {
            "Event" => event_item(item, evidence, &host),
            "Pod" => pod_item(item, evidence, &host),
            _ => None,
        };
        match got {
            Some(e) => {
                out.push(e);
                o.recognised += 1;
            }
            None => o.ignored += 1,
        }
    }
    o
}

fn event_item(item: &Value, evidence: Evidence, host: &Option<Arc<str>>) -> Option<Event> {
    let obj =
        <crate::sources::audit::EventObject<'_> as serde::Deserialize>::deserialize(item).ok()?;
    let kind = crate::sources::audit::event_kind(&obj)?;
    // eventTime (µs) when set, else firstTimestamp (s), else the object's creation.
    let time = ["eventTime", "firstTimestamp", "lastTimestamp"]
        .iter()
        .find_map(|k| item.get(k).and_then(instant))
        .or_else(|| {
            item.get("metadata")
                .and_then(|m| m.get("creationTimestamp"))
                .and_then(instant)
        })?;
    Some(Event {
        raw_time: RawTime::Abs(time),
        t: 0,
        evidence,
        host: host.clone(),
        component: Component::Events,
        kind,
    })
}

fn pod_item(item: &Value, evidence: Evidence, host: &Option<Arc<str>>) -> Option<Event> {
    let meta = item.get("metadata")?;
    let created = meta.get("creationTimestamp").and_then(instant)?;
    let pod = PodRef::new(s(meta, &["namespace"]).unwrap_or(""), s(meta, &["name"])?)
        .with_uid(s(meta, &["uid"]));
    let status = item.get("status");
    let cond = |t: &str| -> Option<Instant> {
        status?
            .get("conditions")?
            .as_array()?
            .iter()
            .find(|c| {
                c.get("type").and_then(Value::as_str) == Some(t)
                    && c.get("status").and_then(Value::as_str) == Some("True")
            })
            .and_then(|c| c.get("lastTransitionTime"))
            .and_then(instant)
    };
    let mut containers = Vec::new();
    for (key, init) in [
        ("initContainerStatuses", true),
        ("containerStatuses", false),
    ] {
        for c in status
            .and_then(|st| st.get(key))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let started = c
                .get("state")
                .and_then(|st| st.get("running").or_else(|| st.get("terminated")))
                .and_then(|r| r.get("startedAt"))
                .and_then(instant);
            if let Some(name) = c.get("name").and_then(Value::as_str) {
                containers.push((name.to_owned(), init, started.map(|i| i.unix_nanos)));
            }
        }
    }
    let owner = meta
        .get("ownerReferences")
        .and_then(Value::as_array)
        .and_then(|o| {
            o.iter()
                .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
                .or(o.first())
        })
        .and_then(|r| {
            Some(format!(
                "{}/{}",
                r.get("kind")?.as_str()?,
                r.get("name")?.as_str()?
            ))
        });
    // A static pod's API copy: the kubelet marks it so (annotations) and owns it by its Node.
    let annotation = |k: &str| meta.get("annotations").and_then(|a| a.get(k));
    let mirror = if annotation("kubernetes.io/config.mirror").is_some() {
        Some("annotation kubernetes.io/config.mirror")
    } else if annotation("kubernetes.io/config.source").and_then(Value::as_str) == Some("file") {
        Some("annotation kubernetes.io/config.source: file")
    } else if owner.as_deref().is_some_and(|o| o.starts_with("Node/")) {
        Some("ownerReference of kind Node")
    } else {
        None
    };
    Some(Event {
        raw_time: RawTime::Abs(created),
        t: 0,
        evidence,
        host: host.clone(),
        component: Component::Apiserver,
        kind: EventKind::PodObject(Box::new(PodObject {
            pod,
            node: s(item, &["spec", "nodeName"]).map(str::to_owned),
            pod_ip: status
                .and_then(|st| st.get("podIP"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            scheduled: cond("PodScheduled").map(|i| i.unix_nanos),
            ready: cond("Ready").map(|i| i.unix_nanos),
            containers,
            owner,
            mirror,
        })),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_lists() {
        assert_eq!(
            sniff("{\n    \"apiVersion\": \"v1\",\n    \"items\": [\n"),
            Some(false)
        );
        assert_eq!(sniff("{\n  \"kind\": \"EventList\",\n"), Some(false));
        assert_eq!(
            sniff("apiVersion: v1\nitems:\n- apiVersion: v1\n"),
            Some(true)
        );
        assert_eq!(sniff("apiVersion: v1\nkind: Pod\nmetadata:\n"), None);
        assert_eq!(sniff("I0101 00:00:00.000000 1 a.go:1] x"), None);
        assert_eq!(line_of("a\nb\nuid: x\n", "x"), Some(3));
    }
}
