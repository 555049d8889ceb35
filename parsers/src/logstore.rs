//! Log-store exports (docs/formats.md#log-store-exports): the records of Loki, Elasticsearch /
//! OpenSearch, CloudWatch Logs, Google Cloud Logging and Azure Monitor, each wrapping a line a
//! component wrote, as shipped by Fluent Bit, Fluentd, Vector, Filebeat or the OpenTelemetry
//! Collector. Each record is unwrapped to the original line, with the time, node, component and
//! pod its labels give (the line itself often names none of them).
//!
//! Shapes, each confirmed in the producer's source or docs (FORMATS-2 §4, cited per function):
//! one record per line (logcli `--output=jsonl` and `default`, Elasticsearch NDJSON dumps and
//! `_bulk` bodies, shipper records, Azure diagnostic-settings blobs, Cloud Logging sink files,
//! OTLP JSON lines), or one document holding many (Loki `query_range`, Elasticsearch `_search`
//! and scroll pages, `aws logs filter-log-events` / `get-log-events`, `gcloud logging read
//! --format=json`, Azure `{"records":[…]}`). No I/O here: callers hand lines or documents.

use serde_json::{Map, Value};

use crate::time::{Instant, Precision, parse_rfc3339};

/// What one record of an export says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    /// The time the store keeps for the record (the source-side time where the shipper took it
    /// from the line: CRI time, journald's receive time), with the precision it is written in.
    pub time: Option<Instant>,
    /// The node the line comes from (`kubernetes.host`, `pod_node_name`, `node_name`, …).
    pub node: Option<String>,
    /// The writer as journald names it (`SYSLOG_IDENTIFIER`, the unit without `.service`), or
    /// the store's name for it (an EKS log stream, an Azure category, a Cloud Logging log).
    pub ident: Option<String>,
    /// The container that wrote the line, for container logs.
    pub container: Option<String>,
    pub namespace: Option<String>,
    pub pod: Option<String>,
    pub pod_uid: Option<String>,
    /// The node file the shipper read (`/var/log/pods/<ns>_<pod>_<uid>/<c>/0.log`, …).
    pub file: Option<String>,
    /// The line as the component wrote it; `None` when the record carries no message.
    pub line: Option<String>,
    /// The line is a kube-apiserver audit event (JSON), not a log line.
    pub audit: bool,
    /// Where the record starts in a document, for evidence: a text that occurs there first
    /// (an id or time as written), found by the caller scanning forward.
    pub anchor: Option<String>,
}

/// How the records of a file are laid out; chosen once per file from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shape {
    /// One JSON record per line, of any kind below (decoded line by line by [`decode_line`]).
    JsonLines,
    /// `logcli query` default output: `<RFC3339> {k="v", …} <line>`, whole seconds.
    LogcliText,
    /// One JSON document holding many records (decoded whole by [`decode_document`]).
    Document,
}

/// Why a record could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Not JSON (a line cut short, or another program's text).
    NotJson,
    /// JSON, but no record of a store this module knows.
    UnknownRecord,
    /// A logcli line without its time or labels.
    BadLogcli,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Error::NotJson => "not a JSON record",
            Error::UnknownRecord => "a JSON record of no log store podtrace reads",
            Error::BadLogcli => "not a logcli line (`<time> {labels} <line>`)",
        })
    }
}

/// The shape of a file whose first non-blank lines are `head`, or `None` when it is none of
/// the stores'. A store's own wrapper keys are checked first (an Azure or CloudWatch record
/// holds an audit event, which must not make the file pass for an audit log); the shippers'
/// looser keys only where the line is not an audit event or a journald entry itself.
pub fn sniff<'a>(head: impl Iterator<Item = &'a [u8]> + Clone) -> Option<Shape> {
    let first = head
        .clone()
        .find(|l| !l.trim_ascii().is_empty())?
        .trim_ascii();
    if looks_like_logcli_text(first) {
        return Some(Shape::LogcliText);
    }
    if !(first.starts_with(b"{") || first.starts_with(b"[")) {
        return None;
    }
    // Documents, compact (one line, maybe longer than what was peeked) or indented: decided on
    // the keys near the top.
    let mut text = Vec::new();
    for l in head {
        text.extend_from_slice(l);
        text.push(b'\n');
        if text.len() > 64 * 1024 {
            break;
        }
    }
    if document_keys(&text) {
        return Some(Shape::Document);
    }
    if !(first.starts_with(b"{") && first.ends_with(b"}")) {
        return None;
    }
    if wrapper_keys(first) {
        return Some(Shape::JsonLines);
    }
    let journal = memchr::memmem::find(first, b"\"__REALTIME_TIMESTAMP\"").is_some()
        && memchr::memmem::find(first, b"\"__CURSOR\"").is_some();
    (!crate::audit::looks_like(first) && !journal && shipper_keys(first))
        .then_some(Shape::JsonLines)
}

/// A store's own record, by the key it starts with or keys no log line holds: these may wrap
/// an audit event.
fn wrapper_keys(b: &[u8]) -> bool {
    // `{ "category": …` (Azure writes a space after the brace).
    let mut lead = b.strip_prefix(b"{").unwrap_or(b);
    while let [b' ', rest @ ..] = lead {
        lead = rest;
    }
    let starts = |k: &[u8]| lead.starts_with(k);
    let has = |k: &str| memchr::memmem::find(b, k.as_bytes()).is_some();
    starts(b"\"category\":") && has("\"properties\"")
        || starts(b"\"_index\":")
        || ((starts(b"\"index\":{") || starts(b"\"create\":{")) && has("\"_index\""))
        || (starts(b"\"labels\":") && has("\"line\":"))
        || starts(b"\"resourceLogs\":")
        || (has("\"logName\":\"projects/") && has("\"resource\":"))
}

/// A shipper's record (Fluent Bit, Fluentd, Vector, Filebeat): keys a component's own JSON
/// log line does not have together.
fn shipper_keys(b: &[u8]) -> bool {
    let has = |k: &str| memchr::memmem::find(b, k.as_bytes()).is_some();
    (has("\"kubernetes\":{") && (has("\"log\":") || has("\"message\":")))
        || has("\"source_type\":\"kubernetes_logs\"")
        || (has("\"@timestamp\"") && has("\"message\":"))
}

/// Which store wrote a document or a file's first record, for `inspect`'s format column.
pub fn kind(b: &[u8]) -> &'static str {
    let head = &b[..b.len().min(64 * 1024)];
    let has = |k: &str| memchr::memmem::find(head, k.as_bytes()).is_some();
    if has("\"resultType\"") || has("\"streams\"") {
        "loki"
    } else if head.starts_with(b"{\"labels\":") {
        "logcli-jsonl"
    } else if has("\"_index\"") || (has("\"hits\"") && has("\"took\"")) {
        "elasticsearch"
    } else if has("\"events\"") && (has("\"ingestionTime\"") || has("\"nextForwardToken\"")) {
        "cloudwatch"
    } else if has("\"logName\"") {
        "cloud-logging"
    } else if has("\"category\"") && has("\"properties\"") {
        "azure-monitor"
    } else if has("\"resourceLogs\"") {
        "otlp-json"
    } else {
        "shipper-jsonl"
    }
}

/// The first key of the JSON object `b` starts with (after whitespace), if any.
fn first_key(b: &[u8]) -> Option<&[u8]> {
    let rest = b.trim_ascii_start().strip_prefix(b"{")?.trim_ascii_start();
    let rest = rest.strip_prefix(b"\"")?;
    Some(&rest[..memchr::memchr(b'"', rest)?])
}

/// A document that holds many records, by its top-level key (a key met anywhere would let an
/// audit log or a PodList with a `category` label pass for one).
fn document_keys(b: &[u8]) -> bool {
    let has = |k: &str| memchr::memmem::find(b, k.as_bytes()).is_some();
    let first = first_key(b);
    let is = |keys: &[&str]| first.is_some_and(|f| keys.iter().any(|k| f == k.as_bytes()));
    // Loki query_range: {"status":"success","data":{"resultType":"streams","result":[…
    (is(&["status", "data"]) && (has("\"resultType\":\"streams\"") || has("\"resultType\": \"streams\"")))
        // Elasticsearch _search / scroll.
        || (is(&["took", "_scroll_id"]) && has("\"hits\""))
        // aws logs filter-log-events / get-log-events, as the AWS CLI prints them.
        || (is(&["events", "nextToken", "nextForwardToken", "searchedLogStreams"]) && has("\"events\""))
        // gcloud logging read --format=json (an array of LogEntry).
        || (b.trim_ascii_start().starts_with(b"[") && (has("\"logName\": \"projects/") || has("\"logName\":\"projects/")))
        // Azure Event Hubs / storage {"records":[…]}.
        || (is(&["records"]) && has("\"category\""))
}

/// `2024-01-01T08:04:05Z {job="x", unit="kubelet.service"} line` (logcli's default output).
fn looks_like_logcli_text(b: &[u8]) -> bool {
    let Some((_, used)) = parse_rfc3339(b) else {
        return false;
    };
    let rest = &b[used..];
    // logcli prints `{}` when every label is common to all streams (one unit queried).
    rest.starts_with(b" {} ")
        || (rest.starts_with(b" {") && {
            let end = memchr::memchr(b'}', rest).unwrap_or(0);
            end > 2 && memchr::memmem::find(&rest[..end], b"=\"").is_some()
        })
}

/// Reads one line of a [`Shape::JsonLines`] or [`Shape::LogcliText`] file into `out` (an OTLP
/// line holds a batch; an Elasticsearch `_bulk` action line holds none).
pub fn decode_line(shape: Shape, line: &str, out: &mut Vec<Record>) -> Result<(), Error> {
    match shape {
        Shape::LogcliText => out.push(logcli_text(line)?),
        Shape::JsonLines | Shape::Document => {
            let v: Value = serde_json::from_str(line).map_err(|_| Error::NotJson)?;
            records_of(&v, out)?;
        }
    }
    Ok(())
}

/// Reads a whole [`Shape::Document`] into `out`.
pub fn decode_document(text: &str, out: &mut Vec<Record>) -> Result<(), Error> {
    let v: Value = serde_json::from_str(text).map_err(|_| Error::NotJson)?;
    records_of(&v, out)
}

/// Every record in a JSON value, whatever store wrote it. A value inside a page (an
/// Elasticsearch hit, a gcloud entry, an Azure record) that is no record is counted as one
/// record without a line, not a reason to drop the page.
fn records_of(v: &Value, out: &mut Vec<Record>) -> Result<(), Error> {
    let items = |list: &[Value], out: &mut Vec<Record>| {
        for item in list {
            if records_of(item, out).is_err() {
                out.push(Record::default());
            }
        }
    };
    let Value::Object(o) = v else {
        return match v {
            // gcloud's array of LogEntry (or an array of any records).
            Value::Array(list) => {
                items(list, out);
                Ok(())
            }
            _ => Err(Error::NotJson),
        };
    };
    let array = |k: &str| o.get(k).and_then(Value::as_array);
    // A shipper's record first: its component may have logged a `data` or `events` object
    // that Fluent Bit's Merge_Log lifted to the top.
    let shipped = o.contains_key("kubernetes") || o.contains_key("source_type");
    if shipped {
        if let Some(r) = shipper(o) {
            out.push(r);
            return Ok(());
        }
    }
    let loki = o
        .get("data")
        .filter(|d| d.get("resultType").and_then(Value::as_str) == Some("streams"));
    if let Some(result) = loki.and_then(|d| d.get("result")).and_then(Value::as_array) {
        loki_streams(result, out);
    } else if let Some(streams) =
        array("streams").filter(|s| s.iter().all(|x| x.get("values").is_some()))
    {
        // Loki's tail frames carry the same streams as query_range's result.
        loki_streams(streams, out);
    } else if let Some(hits) = o
        .get("hits")
        .and_then(|h| h.get("hits"))
        .and_then(Value::as_array)
    {
        items(hits, out);
    } else if let Some(source) = o.get("_source").and_then(Value::as_object) {
        let mut r = shipper(source).unwrap_or_default();
        r.anchor = o.get("_id").and_then(Value::as_str).map(quoted);
        out.push(r);
    } else if is_bulk_action(o) {
    } else if let Some(events) =
        array("events").filter(|e| e.iter().all(|x| x.get("message").is_some()))
    {
        cloudwatch(o, events, out);
    } else if let Some(records) =
        array("records").filter(|r| r.iter().all(|x| x.get("category").is_some()))
    {
        items(records, out);
    } else if o.contains_key("logName") && o.contains_key("resource") {
        out.push(gcp_entry(o).unwrap_or_default());
    } else if o.contains_key("category") && o.contains_key("properties") {
        out.push(azure(o).unwrap_or_default());
    } else if let Some(rl) = array("resourceLogs") {
        otlp(rl, out);
    } else if o.contains_key("labels") && o.contains_key("line") {
        out.push(logcli_jsonl(o));
    } else if let Some(r) = shipper(o) {
        out.push(r);
    } else {
        return Err(Error::UnknownRecord);
    }
    Ok(())
}

fn quoted(s: &str) -> String {
    format!("\"{s}\"")
}

/// An Elasticsearch `_bulk` action line (`{"index":{"_index":…}}`): it holds no record.
fn is_bulk_action(o: &Map<String, Value>) -> bool {
    o.len() == 1
        && ["index", "create", "update", "delete"].iter().any(|k| {
            o.get(*k)
                .is_some_and(|a| a.get("_index").is_some() || a.get("_id").is_some())
        })
}

fn str_at<'a>(o: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    o.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// A value by a dotted path, through nested objects or keys that hold dots themselves
/// (Elasticsearch keeps `kubernetes.pod.name` either way; Filebeat de-dots label keys).
fn path<'a>(o: &'a Map<String, Value>, dotted: &str) -> Option<&'a Value> {
    if let Some(v) = o.get(dotted) {
        return Some(v);
    }
    dotted.match_indices('.').find_map(|(k, _)| {
        let inner = o.get(&dotted[..k])?.as_object()?;
        path(inner, &dotted[k + 1..])
    })
}

fn path_str(o: &Map<String, Value>, dotted: &str) -> Option<String> {
    match path(o, dotted)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

fn first_str(o: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| path_str(o, k))
}

/// A time as a store writes it: RFC 3339 text, epoch nanoseconds as a string (Loki, OTLP), or
/// epoch milliseconds as a number (CloudWatch). The precision is what the value shows: trailing
/// zeros of an integer are not taken as measured digits.
fn time_of(v: &Value, unit: EpochUnit) -> Option<Instant> {
    match v {
        Value::String(s) => {
            if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
                return epoch(s.parse().ok()?, unit);
            }
            let (i, used) = parse_rfc3339(s.as_bytes())?;
            (used == s.len()).then_some(i)
        }
        Value::Number(n) => epoch(n.as_i64()?, unit),
        _ => None,
    }
}

#[derive(Clone, Copy)]
enum EpochUnit {
    Nanos,
    Millis,
    Micros,
    /// A shipper's number: seconds, ms, µs or ns by its digit count (10, 13, 16, 19 digits for
    /// today's times).
    Guess,
}

fn epoch(n: i64, unit: EpochUnit) -> Option<Instant> {
    let unit = match unit {
        EpochUnit::Guess => match n.checked_abs()? {
            0..=99_999_999_999 => {
                return epoch(n.checked_mul(1_000)?, EpochUnit::Millis).map(|i| Instant {
                    precision: Precision::S,
                    ..i
                });
            }
            100_000_000_000..=99_999_999_999_999 => EpochUnit::Millis,
            100_000_000_000_000..=99_999_999_999_999_999 => EpochUnit::Micros,
            _ => EpochUnit::Nanos,
        },
        u => u,
    };
    let (nanos, finest) = match unit {
        EpochUnit::Nanos | EpochUnit::Guess => (n, Precision::Ns),
        EpochUnit::Micros => (n.checked_mul(1_000)?, Precision::Us),
        EpochUnit::Millis => (n.checked_mul(1_000_000)?, Precision::Ms),
    };
    // Times podtrace can hold (crate::time::YEARS): 1970 to 2261. Anything else is no time.
    const END_2261: i64 = 9_214_646_400_000_000_000; // 2262-01-01T00:00:00Z
    if !(0..END_2261).contains(&nanos) {
        return None;
    }
    let shown = if nanos % 1_000_000_000 == 0 {
        Precision::S
    } else if nanos % 1_000_000 == 0 {
        Precision::Ms
    } else if nanos % 1_000 == 0 {
        Precision::Us
    } else {
        Precision::Ns
    };
    // The coarser of the unit's and what the digits show.
    let precision = if (shown as u8) > (finest as u8) {
        shown
    } else {
        finest
    };
    Some(Instant {
        unix_nanos: nanos,
        precision,
        offset_secs: 0,
    })
}

/// `/var/log/pods/<ns>_<pod>_<uid>/<container>/<n>.log`: namespace, pod, uid, container.
fn pod_log_path(p: &str) -> Option<(String, String, String, String)> {
    let rest = &p[p.find("/pods/")? + 6..];
    let mut parts = rest.split('/');
    let dir = parts.next()?;
    let container = parts.next()?;
    let mut f = dir.splitn(3, '_');
    let (ns, pod, uid) = (f.next()?, f.next()?, f.next()?);
    Some((ns.into(), pod.into(), uid.into(), container.into()))
}

/// Fills pod fields from the node file's path where the labels lack them.
fn from_file(r: &mut Record) {
    let Some((ns, pod, uid, c)) = r.file.as_deref().and_then(pod_log_path) else {
        return;
    };
    r.namespace.get_or_insert(ns);
    r.pod.get_or_insert(pod);
    r.pod_uid.get_or_insert(uid);
    r.container.get_or_insert(c);
}

/// A line that is an audit event.
fn is_audit_event(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with('{')
        && t.contains("\"auditID\"")
        && (t.contains("\"kind\":\"Event\"") || t.contains("audit.k8s.io"))
}

fn finish(mut r: Record) -> Record {
    from_file(&mut r);
    if let Some(l) = &r.line {
        r.audit = is_audit_event(l);
        // Shippers keep the newline the component ended its line with.
        if l.ends_with('\n') {
            let t = l.trim_end_matches(['\n', '\r']).to_owned();
            r.line = Some(t);
        }
    }
    r
}

/// Loki labels (Promtail/Alloy conventions, FORMATS-2 §4.3–4.4): node, writer, pod.
fn loki_labels(labels: &Map<String, Value>) -> Record {
    let get = |keys: &[&str]| first_str(labels, keys);
    let unit = get(&["unit", "systemd_unit", "_systemd_unit"]);
    // Loki's OTLP ingestion turns resource attributes into labels with `_` for `.`
    // (`k8s_pod_name`), some as structured metadata (`k8s_node_name`, `k8s_pod_uid`).
    Record {
        node: get(&[
            "node_name",
            "nodename",
            "node",
            "k8s_node_name",
            "hostname",
            "host",
            "__journal__hostname",
        ]),
        ident: get(&["syslog_identifier", "__journal_syslog_identifier"])
            .or_else(|| unit.map(|u| u.strip_suffix(".service").map(str::to_owned).unwrap_or(u))),
        container: get(&["container", "container_name", "k8s_container_name"]),
        namespace: get(&["namespace", "namespace_name", "k8s_namespace_name"]),
        pod: get(&["pod", "pod_name", "k8s_pod_name"]),
        pod_uid: get(&["k8s_pod_uid"]),
        file: get(&["filename", "file", "path"]),
        ..Record::default()
    }
}

/// Loki `query_range` (docs/sources/reference/loki-http-api.md): `data.result[]` streams with
/// `values` of `["<ns>", "<line>"]` (or a third element, the categorised labels); a value that
/// is no pair is a record without a line.
fn loki_streams(streams: &[Value], out: &mut Vec<Record>) {
    for s in streams {
        let empty = Map::new();
        let labels = s.get("stream").and_then(Value::as_object).unwrap_or(&empty);
        let base = loki_labels(labels);
        for v in s
            .get("values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(pair) = v.as_array() else {
                out.push(Record::default());
                continue;
            };
            let t = pair.first();
            let mut r = base.clone();
            r.time = t.and_then(|t| time_of(t, EpochUnit::Nanos));
            r.anchor = t.and_then(Value::as_str).map(quoted);
            r.line = pair.get(1).and_then(Value::as_str).map(str::to_owned);
            // Loki 3 with categorised labels: structured metadata may name the pod.
            if let Some(meta) = pair
                .get(2)
                .and_then(|m| m.get("structuredMetadata"))
                .and_then(Value::as_object)
            {
                let m = loki_labels(meta);
                r.pod = r.pod.or(m.pod);
                r.pod_uid = r.pod_uid.or(m.pod_uid);
                r.namespace = r.namespace.or(m.namespace);
                r.node = r.node.or(m.node);
            }
            out.push(finish(r));
        }
    }
}

/// `logcli query --output=jsonl` (pkg/logcli/output/jsonl.go): `{"labels":{…},"line":"…",
/// "timestamp":"<RFC3339Nano>"}`. Labels common to every stream are printed once to stderr, not
/// here: a record may lack its node.
fn logcli_jsonl(o: &Map<String, Value>) -> Record {
    let empty = Map::new();
    let mut r = loki_labels(o.get("labels").and_then(Value::as_object).unwrap_or(&empty));
    r.time = o
        .get("timestamp")
        .and_then(|t| time_of(t, EpochUnit::Nanos));
    r.line = str_at(o, "line").map(str::to_owned);
    r.anchor = str_at(o, "timestamp").map(quoted);
    finish(r)
}

/// `logcli query` default output (pkg/logcli/output/default.go): `<RFC3339> {labels} <line>`,
/// the time in whole seconds.
fn logcli_text(line: &str) -> Result<Record, Error> {
    let (t, used) = parse_rfc3339(line.as_bytes()).ok_or(Error::BadLogcli)?;
    let rest = line[used..].strip_prefix(' ').ok_or(Error::BadLogcli)?;
    let rest = rest.strip_prefix('{').ok_or(Error::BadLogcli)?;
    // Label values are Go-quoted: a `}` inside quotes does not end the set.
    let mut labels = Map::new();
    let mut s = rest;
    loop {
        s = s.trim_start_matches([' ', ',']);
        if let Some(after) = s.strip_prefix('}') {
            s = after;
            break;
        }
        let eq = s.find("=\"").ok_or(Error::BadLogcli)?;
        let key = s[..eq].trim().to_owned();
        let (value, used) = go_quoted(&s[eq + 1..]).ok_or(Error::BadLogcli)?;
        labels.insert(key, Value::String(value));
        s = &s[eq + 1 + used..];
    }
    let mut r = loki_labels(&labels);
    r.time = Some(t);
    r.line = Some(s.trim_start().to_owned());
    Ok(finish(r))
}

/// A Go `%q` string at the start of `s`: its value and the bytes it took.
fn go_quoted(s: &str) -> Option<(String, usize)> {
    let b = s.as_bytes();
    if b.first() != Some(&b'"') {
        return None;
    }
    let mut out = String::new();
    let mut i = 1;
    while i < b.len() {
        match b[i] {
            b'"' => return Some((out, i + 1)),
            b'\\' if i + 1 < b.len() => {
                // The escaped character as a whole character (it may be multi-byte).
                let c = s[i + 1..].chars().next()?;
                out.push(match c {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    other => other,
                });
                i += 1 + c.len_utf8();
            }
            _ => {
                let ch = s[i..].chars().next()?;
                out.push(ch);
                i += ch.len_utf8();
            }
        }
    }
    None
}

/// A shipper's record (Elasticsearch `_source`, a line of a shipper's file output): Fluent Bit
/// and Fluentd (`log`, `kubernetes.{pod_name,namespace_name,pod_id,host,container_name}`),
/// Vector (`message`, `kubernetes.{pod_uid,pod_namespace,pod_node_name}`, `file`), Filebeat
/// (`message`, `kubernetes.pod.{name,uid}`, `kubernetes.node.name`, `log.file.path`), systemd
/// inputs (journal fields), and the OpenTelemetry Collector's Elasticsearch documents (`body`,
/// `resource.attributes`). FORMATS-2 §4.6–4.10.
fn shipper(o: &Map<String, Value>) -> Option<Record> {
    let line = first_str(
        o,
        &["log", "message", "MESSAGE", "body", "Body", "body.text"],
    )
    .or_else(|| {
        // The Collector's journald receiver keeps the whole journal entry as a map body.
        path(o, "body")
            .and_then(Value::as_object)
            .and_then(|b| str_at(b, "MESSAGE").map(str::to_owned))
    });
    let journal_body = path(o, "body").and_then(Value::as_object);
    let attrs = ["resource.attributes", "Resource", "resource"]
        .iter()
        .find_map(|k| path(o, k).and_then(Value::as_object));
    let attr = |k: &str| attrs.and_then(|a| path_str(a, k));
    let time = [
        "time",
        "timestamp",
        "@timestamp",
        "__REALTIME_TIMESTAMP",
        "Timestamp",
    ]
    .iter()
    .find_map(|k| {
        let v = path(o, k)?;
        let unit = if *k == "__REALTIME_TIMESTAMP" {
            EpochUnit::Micros
        } else {
            EpochUnit::Guess
        };
        time_of(v, unit)
    })
    .or_else(|| {
        journal_body
            .and_then(|b| b.get("__REALTIME_TIMESTAMP"))
            .and_then(|v| time_of(v, EpochUnit::Micros))
    });
    let unit = first_str(o, &["_SYSTEMD_UNIT", "systemd.unit", "journald.unit"]).or_else(|| {
        journal_body
            .and_then(|b| str_at(b, "_SYSTEMD_UNIT"))
            .map(str::to_owned)
    });
    let ident = first_str(
        o,
        &[
            "SYSLOG_IDENTIFIER",
            "syslog.identifier",
            "journald.process.name",
        ],
    )
    .or_else(|| {
        journal_body
            .and_then(|b| str_at(b, "SYSLOG_IDENTIFIER"))
            .map(str::to_owned)
    })
    .or_else(|| unit.map(|u| u.strip_suffix(".service").map(str::to_owned).unwrap_or(u)));
    let r = Record {
        time,
        node: first_str(
            o,
            &[
                "kubernetes.host",
                "kubernetes.pod_node_name",
                "kubernetes.node.name",
                "k8s.node.name",
                "_HOSTNAME",
                "hostname",
            ],
        )
        .or_else(|| attr("k8s.node.name"))
        .or_else(|| {
            journal_body
                .and_then(|b| str_at(b, "_HOSTNAME"))
                .map(str::to_owned)
        })
        .or_else(|| first_str(o, &["host.name", "host.hostname", "host"])),
        ident,
        container: first_str(
            o,
            &[
                "kubernetes.container_name",
                "kubernetes.container.name",
                "k8s.container.name",
            ],
        )
        .or_else(|| attr("k8s.container.name")),
        namespace: first_str(
            o,
            &[
                "kubernetes.namespace_name",
                "kubernetes.pod_namespace",
                "kubernetes.namespace.name",
                "kubernetes.namespace",
                "k8s.namespace.name",
            ],
        )
        .or_else(|| attr("k8s.namespace.name")),
        pod: first_str(
            o,
            &["kubernetes.pod_name", "kubernetes.pod.name", "k8s.pod.name"],
        )
        .or_else(|| attr("k8s.pod.name")),
        pod_uid: first_str(
            o,
            &[
                "kubernetes.pod_id",
                "kubernetes.pod_uid",
                "kubernetes.pod.uid",
                "k8s.pod.uid",
            ],
        )
        .or_else(|| attr("k8s.pod.uid")),
        file: first_str(
            o,
            &[
                "file",
                "log.file.path",
                "attributes.log.file.path",
                "filename",
                "path",
            ],
        ),
        line,
        audit: false,
        anchor: None,
    };
    // A record with neither a line nor anything that places it is not a shipper's.
    (r.line.is_some()
        && (r.time.is_some()
            || r.pod.is_some()
            || r.node.is_some()
            || r.ident.is_some()
            || r.file.is_some()))
    .then(|| finish(r))
}

/// `aws logs filter-log-events` / `get-log-events` (CloudWatch Logs API FilteredLogEvent,
/// OutputLogEvent): `{"events":[{"logStreamName","timestamp":<ms>,"message","ingestionTime",
/// "eventId"}]}`. EKS control-plane streams name the component (`kube-apiserver-audit-<hex>`,
/// `kube-scheduler-<hex>`, …); a message may itself be a shipper's JSON record (Fluent Bit's
/// cloudwatch_logs output, Container Insights).
fn cloudwatch(doc: &Map<String, Value>, events: &[Value], out: &mut Vec<Record>) {
    let group_stream = str_at(doc, "logStreamName");
    for e in events {
        let Some(e) = e.as_object() else { continue };
        let message = str_at(e, "message");
        let stream = str_at(e, "logStreamName").or(group_stream);
        let time = e
            .get("timestamp")
            .and_then(|t| time_of(t, EpochUnit::Millis));
        let mut r = message
            .filter(|m| m.trim_start().starts_with('{') && !is_audit_event(m))
            .and_then(|m| serde_json::from_str::<Value>(m).ok())
            .and_then(|v| v.as_object().and_then(shipper))
            .unwrap_or_else(|| Record {
                line: message.map(str::to_owned),
                ..Record::default()
            });
        // The line's own time, when the shipper kept one, is the source's; else CloudWatch's.
        r.time = r.time.or(time);
        if r.ident.is_none() {
            r.ident = stream.map(eks_stream_component);
        }
        r.anchor = str_at(e, "eventId")
            .map(quoted)
            .or_else(|| e.get("timestamp").map(|t| t.to_string()));
        out.push(finish(r));
    }
}

/// An EKS control-plane stream's component: `kube-apiserver-audit-0a1b…` → `kube-apiserver-audit`.
/// Other streams (a node's, a container's) are kept whole: their names carry a file name.
pub fn eks_stream_component(stream: &str) -> String {
    for c in [
        "kube-apiserver-audit",
        "kube-apiserver",
        "kube-scheduler",
        "kube-controller-manager",
        "cloud-controller-manager",
        "authenticator",
    ] {
        if let Some(rest) = stream.strip_prefix(c).and_then(|r| r.strip_prefix('-')) {
            if !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_hexdigit()) {
                return c.to_owned();
            }
        }
    }
    stream.to_owned()
}

/// A Cloud Logging LogEntry (`gcloud logging read --format=json`, sink files; FORMATS-2 §4.13):
/// `k8s_node` entries carry the journal fields in `jsonPayload`, `k8s_container` entries the
/// line in `textPayload` (or a JSON line as `jsonPayload`), `k8s_cluster` audit entries an
/// `AuditLog` in `protoPayload`, turned back into the audit event it stands for.
fn gcp_entry(o: &Map<String, Value>) -> Option<Record> {
    let empty = Map::new();
    let resource = o
        .get("resource")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let rtype = str_at(resource, "type").unwrap_or("");
    let labels = resource
        .get("labels")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let entry_labels = o.get("labels").and_then(Value::as_object).unwrap_or(&empty);
    let log = str_at(o, "logName").map(|l| {
        let last = l.rsplit('/').next().unwrap_or(l);
        last.replace("%2F", "/")
    });
    let time = o
        .get("timestamp")
        .and_then(|t| time_of(t, EpochUnit::Nanos));
    let anchor = str_at(o, "insertId").map(quoted);
    if let Some(pp) = o.get("protoPayload").and_then(Value::as_object) {
        let event = gcp_audit_event(o, pp)?;
        return Some(Record {
            time,
            ident: Some("kube-apiserver-audit".into()),
            line: Some(event),
            audit: true,
            anchor,
            ..Record::default()
        });
    }
    let json = o.get("jsonPayload").and_then(Value::as_object);
    let line = str_at(o, "textPayload")
        .map(str::to_owned)
        .or_else(|| {
            json.and_then(|j| {
                str_at(j, "MESSAGE")
                    .or_else(|| str_at(j, "message"))
                    .map(str::to_owned)
            })
        })
        .or_else(|| json.map(|j| Value::Object(j.clone()).to_string()));
    let ident = json
        .and_then(|j| {
            str_at(j, "SYSLOG_IDENTIFIER").or_else(|| {
                str_at(j, "_SYSTEMD_UNIT").map(|u| u.strip_suffix(".service").unwrap_or(u))
            })
        })
        .map(str::to_owned)
        .or_else(|| {
            if rtype == "k8s_node" {
                log.clone()
            } else {
                None
            }
        });
    let node = str_at(labels, "node_name")
        .or_else(|| str_at(entry_labels, "compute.googleapis.com/resource_name"))
        .map(str::to_owned);
    Some(finish(Record {
        time,
        node,
        ident,
        container: str_at(labels, "container_name").map(str::to_owned),
        namespace: str_at(labels, "namespace_name").map(str::to_owned),
        pod: str_at(labels, "pod_name").map(str::to_owned),
        line,
        anchor,
        ..Record::default()
    }))
}

/// An `AuditLog` entry as the audit.k8s.io/v1 event it was made from (FORMATS-2 §4.13 table):
/// `methodName io.k8s.core.v1.pods.binding.create` → verb `create`, resource `pods`,
/// subresource `binding`; `resourceName core/v1/namespaces/<ns>/pods/<name>` → objectRef;
/// `request`/`response` → requestObject/responseObject; the entry's one time →
/// `stageTimestamp` only.
fn gcp_audit_event(entry: &Map<String, Value>, pp: &Map<String, Value>) -> Option<String> {
    let method = str_at(pp, "methodName")?;
    let parts: Vec<&str> = method.strip_prefix("io.k8s.")?.split('.').collect();
    // <group…>.<version>.<resource>[.<subresource>].<verb>; the core group is `core`.
    let verb = *parts.last()?;
    let version_at = parts
        .iter()
        .position(|p| p.starts_with('v') && p[1..].starts_with(|c: char| c.is_ascii_digit()))?;
    let group = parts[..version_at].join(".");
    let version = parts[version_at];
    let resource = *parts.get(version_at + 1)?;
    let subresource = (parts.len() > version_at + 3).then(|| parts[version_at + 2]);
    // core/v1/namespaces/<ns>/pods/<name>[/binding]
    let rn = str_at(pp, "resourceName").unwrap_or("");
    let segs: Vec<&str> = rn.split('/').collect();
    let ns = segs
        .iter()
        .position(|s| *s == "namespaces")
        .and_then(|k| segs.get(k + 1))
        .copied();
    // The name follows the resource, after the namespace's own segments (a namespace may be
    // called `pods`).
    let after_ns = segs
        .iter()
        .position(|s| *s == "namespaces")
        .map_or(0, |k| k + 2);
    let name = segs
        .iter()
        .skip(after_ns)
        .position(|s| *s == resource)
        .and_then(|k| segs.get(after_ns + k + 1))
        .copied();
    let t = str_at(entry, "timestamp")?;
    let id = entry
        .get("operation")
        .and_then(|op| op.get("id"))
        .and_then(Value::as_str)
        .or_else(|| str_at(entry, "insertId"))
        .unwrap_or("");
    let mut object_ref = Map::new();
    object_ref.insert("resource".into(), resource.into());
    if let Some(ns) = ns {
        object_ref.insert("namespace".into(), ns.into());
    }
    if let Some(n) = name {
        object_ref.insert("name".into(), n.into());
    }
    if let Some(s) = subresource {
        object_ref.insert("subresource".into(), s.into());
    }
    object_ref.insert(
        "apiGroup".into(),
        if group == "core" { "" } else { group.as_str() }.into(),
    );
    object_ref.insert("apiVersion".into(), version.into());
    let code = pp
        .get("status")
        .and_then(|s| s.get("code"))
        .and_then(Value::as_i64)
        .unwrap_or(0);
    // google.rpc.Code → HTTP, as google.rpc's own mapping (code.proto); the audit reader keeps
    // only successes (200, 201).
    let http = match code {
        0 if verb == "create" => 201,
        0 => 200,
        1 => 499,
        3 | 9 | 11 => 400,
        4 => 504,
        5 => 404,
        6 | 10 => 409,
        7 => 403,
        8 => 429,
        12 => 501,
        14 => 503,
        16 => 401,
        _ => 500,
    };
    let mut ev = Map::new();
    ev.insert("kind".into(), "Event".into());
    ev.insert("apiVersion".into(), "audit.k8s.io/v1".into());
    ev.insert("level".into(), "RequestResponse".into());
    ev.insert("auditID".into(), id.into());
    // `operation.first` without `last`: the request's start (RequestReceived), which the audit
    // reader skips as it skips that stage in an audit log.
    let op = entry.get("operation");
    let flag = |k: &str| op.and_then(|o| o.get(k)).and_then(Value::as_bool);
    let stage = if flag("first") == Some(true) && flag("last") != Some(true) {
        "RequestReceived"
    } else {
        "ResponseComplete"
    };
    ev.insert("stage".into(), stage.into());
    ev.insert("verb".into(), verb.into());
    if let Some(user) = pp
        .get("authenticationInfo")
        .and_then(|a| a.get("principalEmail"))
    {
        ev.insert("user".into(), serde_json::json!({ "username": user }));
    }
    ev.insert("objectRef".into(), Value::Object(object_ref));
    ev.insert("responseStatus".into(), serde_json::json!({ "code": http }));
    if let Some(req) = pp.get("request") {
        ev.insert("requestObject".into(), req.clone());
    }
    if let Some(resp) = pp.get("response") {
        ev.insert("responseObject".into(), resp.clone());
    }
    // One time per entry, taken as the response's: which of the request's times Cloud Logging
    // keeps is not confirmed in its docs (FORMATS-2 §4.13). requestReceivedTimestamp is left
    // out, so `requested` is missing, not guessed.
    ev.insert("stageTimestamp".into(), t.into());
    Some(Value::Object(ev).to_string())
}

/// Azure Monitor diagnostic settings (storage account `PT1H.json`, Event Hubs `records`;
/// FORMATS-2 §4.14): `{"category":"kube-audit","properties":{"log":"<line>","pod":…},
/// "time":…}`. The audit categories carry an audit event as an escaped JSON string.
fn azure(o: &Map<String, Value>) -> Option<Record> {
    let category = str_at(o, "category")?;
    let props = o.get("properties").and_then(Value::as_object)?;
    let line = str_at(props, "log").map(str::to_owned);
    let time = o.get("time").and_then(|t| time_of(t, EpochUnit::Nanos));
    let ident = match category {
        "kube-audit" | "kube-audit-admin" => "kube-apiserver-audit",
        c => c,
    };
    Some(finish(Record {
        time,
        ident: Some(ident.to_owned()),
        line,
        anchor: str_at(o, "time").map(quoted),
        ..Record::default()
    }))
}

/// OTLP JSON logs (opentelemetry-proto `examples/logs.json`, the Collector's file exporter):
/// `resourceLogs[].resource.attributes` (`k8s.*`), `scopeLogs[].logRecords[]` with `body`
/// (`stringValue`, or a `kvlistValue` journal entry) and `timeUnixNano` (string or number).
fn otlp(resource_logs: &[Value], out: &mut Vec<Record>) {
    for rl in resource_logs {
        let attrs = kv(rl.get("resource").and_then(|r| r.get("attributes")));
        for sl in rl
            .get("scopeLogs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            for lr in sl
                .get("logRecords")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let rec_attrs = kv(lr.get("attributes"));
                let body = lr.get("body");
                let journal = body
                    .and_then(|b| b.get("kvlistValue"))
                    .map(|k| kv(k.get("values")));
                let line = body
                    .and_then(|b| b.get("stringValue"))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .or_else(|| journal.as_ref().and_then(|j| j.get("MESSAGE").cloned()));
                // `observedTimeUnixNano` is when the Collector read the line, not when it was
                // written: never taken for the line's time.
                let time = lr
                    .get("timeUnixNano")
                    .filter(|t| t.as_str() != Some("0") && t.as_i64() != Some(0))
                    .and_then(|t| time_of(t, EpochUnit::Nanos));
                let get = |k: &str| attrs.get(k).or_else(|| rec_attrs.get(k)).cloned();
                let j = |k: &str| journal.as_ref().and_then(|j| j.get(k).cloned());
                out.push(finish(Record {
                    time,
                    node: get("k8s.node.name").or_else(|| j("_HOSTNAME")),
                    ident: j("SYSLOG_IDENTIFIER").or_else(|| {
                        j("_SYSTEMD_UNIT")
                            .map(|u| u.strip_suffix(".service").map(str::to_owned).unwrap_or(u))
                    }),
                    container: get("k8s.container.name"),
                    namespace: get("k8s.namespace.name"),
                    pod: get("k8s.pod.name"),
                    pod_uid: get("k8s.pod.uid"),
                    file: get("log.file.path"),
                    line,
                    audit: false,
                    anchor: None,
                }));
            }
        }
    }
}

/// OTLP `KeyValue` list → string values by key.
fn kv(list: Option<&Value>) -> std::collections::HashMap<String, String> {
    let mut m = std::collections::HashMap::new();
    for item in list.and_then(Value::as_array).into_iter().flatten() {
        let Some(k) = item.get("key").and_then(Value::as_str) else {
            continue;
        };
        let v = item.get("value");
        let s = v
            .and_then(|v| v.get("stringValue"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| {
                v.and_then(|v| v.get("intValue")).map(|i| {
                    i.as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| i.to_string())
                })
            });
        if let Some(s) = s {
            m.insert(k.to_owned(), s);
        }
    }
    m
}

#[cfg(test)]
mod tests;
