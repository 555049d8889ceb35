//! One file per component: a parsed record in, typed [`Event`]s out. Each file declares its
//! [`registry::Source`]; [`registry::SOURCES`] lists them all.
//!
//! Extractors recognise messages by their exact text (docs/formats.md cites the component source of
//! each), never by `file:line`, which changes every release.

pub mod apiserver;
pub mod audit;
pub mod aws_cni;
pub mod calico;
pub mod cilium;
pub mod containerd;
pub mod crio;
pub mod csi;
pub mod endpointslice;
pub mod ingress;
pub mod kube_proxy;
pub mod kubelet;
pub mod objects;
pub mod registry;
pub mod scheduler;

use std::sync::Arc;

use podtrace_parsers::kv::{self, Value};

use crate::event::{Component, Event, EventKind, Evidence, PodRef, RawTime};

/// Where and when the line being extracted was written.
#[derive(Debug, Clone)]
pub struct LineCtx {
    pub time: RawTime,
    pub evidence: Evidence,
    pub host: Option<Arc<str>>,
}

impl LineCtx {
    /// For lines that carry their own time (audit, zap JSON): the extractor sets each event's
    /// time, so the context's is a placeholder that never reaches an event.
    pub fn untimed(evidence: Evidence, host: Option<Arc<str>>) -> Self {
        LineCtx {
            time: RawTime::Abs(podtrace_parsers::time::Instant {
                unix_nanos: 0,
                precision: podtrace_parsers::time::Precision::S,
                offset_secs: 0,
            }),
            evidence,
            host,
        }
    }

    pub fn event(&self, component: Component, kind: EventKind) -> Event {
        Event {
            raw_time: self.time,
            t: 0,
            evidence: self.evidence,
            host: self.host.clone(),
            component,
            kind,
        }
    }
}

/// What became of one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It produced events (how many).
    Recognised(usize),
    /// Read fine, nothing podtrace uses.
    Ignored,
    /// A message podtrace wants, but it could not be decoded: why.
    Unparsed(String),
}

/// The key/value fields of a structured record: a klog text tail (parsed only when a message
/// matched), or pairs already taken from a JSON record (`--logging-format=json`).
#[derive(Debug, Clone)]
pub enum Fields<'a> {
    Klog(&'a str),
    Pairs(Vec<(&'a str, Value<'a>)>),
}

impl<'a> Fields<'a> {
    pub fn pairs(&self) -> Vec<(&'a str, Value<'a>)> {
        match self {
            Fields::Klog(t) => pairs(t),
            Fields::Pairs(v) => v.clone(),
        }
    }
}

/// All pairs of a tail as (key, value); stops quietly at the first malformed pair (the caller
/// checks for the keys it needs).
pub(crate) fn pairs(tail: &str) -> Vec<(&str, Value<'_>)> {
    kv::Pairs::new(tail).collect()
}

pub(crate) fn find<'a>(pairs: &[(&'a str, Value<'a>)], key: &str) -> Option<Value<'a>> {
    pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

/// A klog object reference value: `"ns/name"`, a bare `ns/name`, or JSON `{"name","namespace"}`.
pub(crate) fn pod_ref(v: Value<'_>) -> Option<PodRef> {
    match v {
        Value::Quoted(_) => PodRef::from_klog(&v.text()),
        Value::Raw(s) if s.starts_with('{') => {
            #[derive(serde::Deserialize)]
            struct Obj<'a> {
                #[serde(borrow)]
                name: std::borrow::Cow<'a, str>,
                #[serde(borrow, default)]
                namespace: Option<std::borrow::Cow<'a, str>>,
            }
            let o: Obj<'_> = serde_json::from_str(s).ok()?;
            Some(PodRef::new(o.namespace.as_deref().unwrap_or(""), &o.name))
        }
        Value::Raw(s) => PodRef::from_klog(s),
        Value::MultiLine => None,
    }
}

/// A klog list of object references in any rendering: `["a/b","c/d"]` (≥1.27),
/// `[a/b c/d]` (≤1.26 `%+v`), `"[a/b c/d]"` (klog 2.80 Stringer), or
/// `[{"name":"b","namespace":"a"}]` (≥1.28 `KObjs`).
pub(crate) fn pod_list(v: Value<'_>) -> Option<Vec<PodRef>> {
    let text = v.text();
    let s = text.trim();
    let inner = s.strip_prefix('[')?.strip_suffix(']')?.trim();
    if inner.is_empty() {
        return Some(Vec::new());
    }
    if inner.starts_with('{') {
        #[derive(serde::Deserialize)]
        struct Obj {
            name: String,
            #[serde(default)]
            namespace: String,
        }
        let objs: Vec<Obj> = serde_json::from_str(s).ok()?;
        return Some(
            objs.iter()
                .map(|o| PodRef::new(&o.namespace, &o.name))
                .collect(),
        );
    }
    if inner.starts_with('"') {
        let names: Vec<String> = serde_json::from_str(s).ok()?;
        return names.iter().map(|n| PodRef::from_klog(n)).collect();
    }
    inner
        .split([' ', ','])
        .filter(|t| !t.is_empty())
        .map(PodRef::from_klog)
        .collect()
}

/// Finds the first `"…"` in `s` and returns its inside (unescaped text, as in an already
/// unescaped message) and the rest after the closing quote.
pub(crate) fn first_quoted(s: &str) -> Option<(&str, &str)> {
    let start = s.find('"')?;
    let end = s[start + 1..].find('"')? + start + 1;
    Some((&s[start + 1..end], &s[end + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_lists_in_every_rendering() {
        let want = vec![PodRef::new("a", "b"), PodRef::new("c", "d")];
        assert_eq!(pod_list(Value::Raw(r#"["a/b","c/d"]"#)), Some(want.clone()));
        assert_eq!(pod_list(Value::Raw("[a/b c/d]")), Some(want.clone()));
        assert_eq!(pod_list(Value::Quoted("[a/b c/d]")), Some(want.clone()));
        assert_eq!(
            pod_list(Value::Raw(
                r#"[{"name":"b","namespace":"a"},{"name":"d","namespace":"c"}]"#
            )),
            Some(want)
        );
        assert_eq!(pod_list(Value::Raw("[]")), Some(vec![]));
        assert_eq!(pod_list(Value::Raw("nope")), None);
    }

    #[test]
    fn pod_refs() {
        assert_eq!(
            pod_ref(Value::Quoted("default/multiple")),
            Some(PodRef::new("default", "multiple"))
        );
        assert_eq!(
            pod_ref(Value::Raw(r#"{"name":"p","namespace":"n"}"#)),
            Some(PodRef::new("n", "p"))
        );
        assert_eq!(pod_ref(Value::Quoted("")), None);
    }
}
