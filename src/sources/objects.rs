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

/// Deepest flow nesting (`[`, `{`) read in YAML. Kubernetes objects nest a dozen levels; the
/// YAML parser takes quadratic time on deep flow nesting (a 400 KB `{a: {a: …` took 50 s before
/// failing at its recursion limit), so deeper documents are refused before parsing.
const MAX_YAML_FLOW_DEPTH: usize = 64;

/// One linear pass over a YAML text: `Some(why)` when its flow collections nest deeper than
/// [`MAX_YAML_FLOW_DEPTH`]. Brackets count where a value starts (at a line's start, after `: `,
/// `- `, `? `) and everywhere inside a flow collection; quoted scalars and comments are skipped.
/// Plain text such as `echo [[x]]` is not a collection.
fn yaml_flow_too_deep(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let (mut depth, mut line, mut i) = (0usize, 1usize, 0usize);
    // The last byte that was not a space on this line (0 at a line's start).
    let mut prev = 0u8;
    let spaces = |from: usize| b[from..].iter().take_while(|c| **c == b' ').count();
    // Indentation of the current line.
    let mut indent = spaces(0);
    while i < b.len() {
        let c = b[i];
        // Where a value starts: at a line's start, after an indicator and a space in block
        // context, after any separator inside a flow collection.
        let spaced = matches!(b.get(i.wrapping_sub(1)), Some(b' ' | b'\t'));
        let at_value = prev == 0
            || (matches!(prev, b':' | b'-' | b'?') && spaced)
            || (depth > 0 && matches!(prev, b':' | b'?' | b',' | b'[' | b'{'));
        match c {
            b'\n' => {
                line += 1;
                prev = 0;
                i += 1;
                indent = spaces(i);
                continue;
            }
            // An anchor or a tag before a value (`- &a [`, `x: !!seq [`): the value still
            // starts after it.
            b'&' | b'!' if at_value => {
                while i < b.len() && !b" \t\r\n,[]{}".contains(&b[i]) {
                    i += 1;
                }
                continue;
            }
            // A block scalar (`|`, `>`): its lines, more indented than this one (or blank),
            // are text; quotes and brackets there are nobody's.
            b'|' | b'>' if at_value && depth == 0 => {
                loop {
                    i = memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |k| i + k);
                    if i >= b.len() {
                        break;
                    }
                    let next = spaces(i + 1);
                    let blank = matches!(b.get(i + 1 + next), None | Some(b'\n' | b'\r'));
                    if !blank && next <= indent {
                        break;
                    }
                    line += 1;
                    i += 1;
                }
                continue;
            }
            b' ' | b'\t' | b'\r' => {
                i += 1;
                continue;
            }
            b'#' if matches!(b.get(i.wrapping_sub(1)), None | Some(b' ' | b'\t' | b'\n')) => {
                i = memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |k| i + k);
                continue;
            }
            b'"' | b'\'' if at_value => {
                // A quoted scalar: `\"` escapes in double quotes, `''` in single ones.
                let mut j = i + 1;
                while j < b.len() {
                    match b[j] {
                        b'\\' if c == b'"' => j += 1,
                        b'\n' => line += 1,
                        q if q == c => {
                            if c == b'\'' && b.get(j + 1) == Some(&b'\'') {
                                j += 1;
                            } else {
                                break;
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                i = j + 1;
                prev = c;
                continue;
            }
            b'[' | b'{' if at_value || depth > 0 => {
                depth += 1;
                if depth > MAX_YAML_FLOW_DEPTH {
                    return Some(format!(
                        "YAML nested deeper than {MAX_YAML_FLOW_DEPTH} levels at line {line} (not parsed)"
                    ));
                }
            }
            b']' | b'}' if depth > 0 => depth -= 1,
            _ => {}
        }
        prev = c;
        i += 1;
    }
    None
}

/// Finds each item's line by walking forward through the document: items are serialized in
/// order, so each item's `uid` is searched from where the previous one was found and newlines are
/// counted once. (Searching from the start for every item was quadratic: a 20 MB PodList took
/// minutes.)
struct Lines<'t> {
    text: &'t [u8],
    pos: usize,
    line: u32,
    /// Items whose uid was not found after `pos` (escaped in JSON, out of order): each such miss
    /// scans the rest of the text, so after a few the cursor stops searching.
    misses: u32,
}

/// Misses allowed before the remaining items take the line where the cursor stands.
const MAX_LINE_MISSES: u32 = 16;

impl<'t> Lines<'t> {
    fn new(text: &'t str) -> Self {
        Lines {
            text: text.as_bytes(),
            pos: 0,
            line: 1,
            misses: 0,
        }
    }

    /// The line of the next occurrence of `value` as a `uid` (after `uid":`, `uid": "`, `uid: `,
    /// `uid: "` or `uid: '`), else of the value's next bare occurrence, the cursor moved there;
    /// the cursor's line when there is none.
    fn uid(&mut self, value: &str) -> u32 {
        if self.misses >= MAX_LINE_MISSES || value.is_empty() {
            return self.line;
        }
        let finder = memchr::memmem::Finder::new(value.as_bytes());
        let mut bare = None;
        let mut keyed = None;
        let mut from = self.pos;
        while let Some(k) = finder.find(&self.text[from..]) {
            let at = from + k;
            bare.get_or_insert(at);
            // The key is within a few bytes before the value (a window: whitespace is bounded).
            let before = self.text[at.saturating_sub(64)..at].trim_ascii_end();
            let before = before
                .strip_suffix(b"\"")
                .or_else(|| before.strip_suffix(b"'"))
                .unwrap_or(before)
                .trim_ascii_end();
            if before.ends_with(b"uid\":") || before.ends_with(b"uid:") {
                keyed = Some(at);
                break;
            }
            from = at + 1;
        }
        let Some(end) = keyed.or(bare) else {
            self.misses += 1;
            return self.line;
        };
        if keyed.is_none() {
            self.misses += 1;
        }
        self.line += memchr::memchr_iter(b'\n', &self.text[self.pos..end]).count() as u32;
        // Past this uid: the same object again later (two snapshots) is found there.
        self.pos = end + 1;
        self.line
    }
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
    if let Some(e) = yaml.then(|| yaml_flow_too_deep(text)).flatten() {
        error = Some(e);
    } else if yaml {
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
    let mut lines = Lines::new(text);
    for (idx, item) in items.enumerate() {
        let uid = s(item, &["metadata", "uid"]);
        let line = match uid {
            Some(u) => lines.uid(u),
            None => idx as u32 + 1,
        };
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
    }

    #[test]
    fn yaml_flow_depth_is_bounded_in_one_pass() {
        let deep = |n: usize| format!("items:\n- a: {}1{}\n", "{b: ".repeat(n), "}".repeat(n));
        assert_eq!(yaml_flow_too_deep(&deep(64)), None);
        assert_eq!(
            yaml_flow_too_deep(&deep(65)).as_deref(),
            Some("YAML nested deeper than 64 levels at line 2 (not parsed)")
        );
        // Brackets inside plain text, quotes and comments are not collections.
        let text = format!(
            "items:\n- command: echo {}\n  q: \"{}\\\" [\"\n  s: 'it''s {}'\n  # {}\n",
            "[".repeat(100),
            "[".repeat(100),
            "{".repeat(100),
            "[".repeat(100)
        );
        assert_eq!(yaml_flow_too_deep(&text), None);
        // An anchor or a tag before the value does not hide it; a quote alone on a block
        // scalar's line does not swallow the rest.
        assert!(yaml_flow_too_deep(&format!("items:\n- &a {}\n", "[".repeat(100))).is_some());
        assert!(yaml_flow_too_deep(&format!("x: !!seq {}\n", "[".repeat(100))).is_some());
        let block = format!(
            "a: |\n    \"\n\n    [[[[\nb: {}1{}\n",
            "[".repeat(65),
            "]".repeat(65)
        );
        assert_eq!(
            yaml_flow_too_deep(&block).as_deref(),
            Some("YAML nested deeper than 64 levels at line 5 (not parsed)")
        );
        let fine = format!("a: >-\n  {}\n  \"\nb: [x]\n", "[".repeat(100));
        assert_eq!(yaml_flow_too_deep(&fine), None);
        // 10 MB of `[` (55 s and 1.65 GB in the parser) is refused at once.
        let brackets = format!("items:\n- {}\n", "[".repeat(10 << 20));
        let mut out = Vec::new();
        let o = extract(&brackets, true, 0, None, &mut out);
        assert_eq!(
            o.error.as_deref(),
            Some("unreadable document: YAML nested deeper than 64 levels at line 2 (not parsed)")
        );
    }

    #[test]
    fn item_lines_walk_forward() {
        let text = "a\nuid: x1\nb x2\nuid: x2\nc\n\nuid: x3\n\"uid\": \"x4\"\nx5";
        let mut l = Lines::new(text);
        assert_eq!(l.uid("x1"), 2);
        // The keyed occurrence, not the mention on line 3.
        assert_eq!(l.uid("x2"), 4);
        // Not found after the cursor (out of order, or escaped): the cursor's line.
        assert_eq!(l.uid("x1"), 4);
        assert_eq!(l.uid("x3"), 7);
        assert_eq!(l.uid("x4"), 8);
        // Only a bare mention: its line.
        assert_eq!(l.uid("x5"), 9);
        assert_eq!(l.uid(""), 9);
    }

    /// 20,000 items in one compact line used to take minutes (each item's uid searched from the
    /// start); every item is on line 1.
    #[test]
    fn compact_list_is_linear() {
        let items: Vec<String> = (0..20_000)
            .map(|i| {
                format!(
                    r#"{{"metadata":{{"name":"p{i}","namespace":"ns","uid":"u-{i}","creationTimestamp":"2026-11-29T18:33:25Z"}},"spec":{{"containers":[]}}}}"#
                )
            })
            .collect();
        let doc = format!(r#"{{"kind":"PodList","items":[{}]}}"#, items.join(","));
        let mut out = Vec::new();
        let t = std::time::Instant::now();
        let o = extract(&doc, false, 0, None, &mut out);
        assert_eq!((o.recognised, o.error), (20_000, None));
        assert!(out.iter().all(|e| e.evidence.line == 1));
        // Generous: linear is milliseconds, the quadratic walk was minutes.
        assert!(t.elapsed() < std::time::Duration::from_secs(20));
    }
}
