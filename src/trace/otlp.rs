//! Planned spans → OTLP requests, sent to a collector (gRPC or HTTP/protobuf) or written as
//! OTLP JSON.
//!
//! Spans become the SDK's `SpanData` and then the proto types through the SDK's own
//! conversion (`group_spans_by_resource_and_scope`), so the span content is what the SDK
//! exporter sent. The request is then sent by podtrace itself, with the proto crate's generated
//! tonic client or a plain reqwest POST, because the SDK exporter drops the receiver's answer:
//! a `partial_success` saying spans were rejected was only logged inside the SDK, and podtrace
//! counted those spans as delivered (issue 17). Each batch is grouped by `service.name` and sent
//! as one request per service (Jaeger colours spans by service).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::future::Future;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opentelemetry::trace::{
    SpanContext, SpanId, SpanKind as OtelKind, Status, TraceFlags, TraceId, TraceState,
};
use opentelemetry::{Array, InstrumentationScope, KeyValue, StringValue, Value};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::trace::v1::ResourceSpans;
use opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema;
use opentelemetry_proto::transform::trace::tonic::group_spans_by_resource_and_scope;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};
use prost::Message;

use super::{AttrValue, PlannedSpan};
use crate::timeline::PodTimeline;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Protocol {
    Grpc,
    #[value(name = "http/protobuf")]
    HttpProtobuf,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Grpc => "grpc",
            Protocol::HttpProtobuf => "http/protobuf",
        }
    }
}

/// Where and how to send. `None` fields fall back to the standard `OTEL_EXPORTER_OTLP_*`
/// variables, then to the OTLP defaults.
#[derive(Debug, Clone, Default)]
pub struct SendOptions {
    pub protocol: Option<Protocol>,
    pub endpoint: Option<String>,
    /// Extra headers (`authorization=Bearer …`), on top of `OTEL_EXPORTER_OTLP_HEADERS`.
    pub headers: Vec<(String, String)>,
    pub timeout: Option<Duration>,
    /// PEM file of the CA that signed the collector's certificate.
    pub certificate: Option<PathBuf>,
    /// Spans per request.
    pub batch_spans: usize,
    /// `k8s.cluster.name` on every resource.
    pub cluster: Option<String>,
    /// Batches that could not be delivered are written here as OTLP JSON lines.
    pub failed_file: Option<PathBuf>,
}

/// [`SendOptions`] with every flag, variable and default resolved ([`Config::resolve`]).
#[derive(Debug, Clone)]
pub struct Config {
    pub protocol: Protocol,
    pub endpoint: String,
    pub headers: Vec<(String, String)>,
    pub timeout: Duration,
    pub certificate: Option<PathBuf>,
    pub batch_spans: usize,
    pub cluster: Option<String>,
    pub failed_file: Option<PathBuf>,
    /// Add to the failed-batch file instead of starting it anew (`follow` sends batch after
    /// batch into one file).
    pub failed_append: bool,
    /// Variables read and not honoured (a compression podtrace does not offer): to be shown.
    pub warnings: Vec<String>,
}

impl Config {
    /// Resolves the options against the environment. A variable podtrace reads and cannot
    /// understand is an error naming it (or a warning in [`Config::warnings`] when its value is
    /// valid but not offered), never silently ignored.
    pub fn resolve(opts: &SendOptions, env: Env<'_>) -> anyhow::Result<Config> {
        let protocol = resolve_protocol(opts.protocol, env)?;
        let mut warnings = Vec::new();
        if let Some(w) = resolve_compression(env)? {
            warnings.push(w);
        }
        Ok(Config {
            protocol,
            endpoint: resolve_endpoint(opts.endpoint.as_deref(), protocol, env),
            headers: resolve_headers(&opts.headers, env)?,
            timeout: resolve_timeout(opts.timeout, env)?,
            certificate: resolve_certificate(opts.certificate.clone(), env),
            batch_spans: opts.batch_spans.max(1),
            cluster: opts.cluster.clone(),
            failed_file: opts.failed_file.clone(),
            failed_append: false,
            warnings,
        })
    }
}

/// What happened to the spans.
#[derive(Debug, Clone, Default)]
pub struct SendReport {
    pub protocol: &'static str,
    pub endpoint: String,
    /// Spans the receiver took: those of delivered requests, less the ones it said it rejected.
    pub spans_sent: usize,
    /// Requests the receiver answered with success (some of their spans may be rejected).
    pub requests_sent: usize,
    pub spans_failed: usize,
    pub requests_failed: usize,
    /// Spans written to the failed-batch file.
    pub spans_saved: usize,
    /// The distinct errors, each with the number of requests it failed.
    pub errors: Vec<(String, usize)>,
    /// Spans of delivered requests that the receiver said it rejected (OTLP `partial_success`).
    pub spans_rejected: usize,
    /// The receiver's reasons (`error_message`, empty when it gave none), each with the number
    /// of spans rejected for it.
    pub rejections: Vec<(String, usize)>,
    /// Other things the receiver said without rejecting anything (a `partial_success` message
    /// with no rejected span, an answer that could not be read), each with its request count.
    pub warnings: Vec<(String, usize)>,
    pub elapsed: Duration,
}

/// The most distinct reasons kept in a report list, and the longest kept (in characters): a
/// receiver's text is another program's, and one that gives a new, long reason for every
/// request must not fill memory or the terminal.
const MAX_REASONS: usize = 20;
const MAX_REASON_CHARS: usize = 1000;

/// Adds `n` to the count of `key`, keeping first-seen order; past [`MAX_REASONS`] distinct
/// keys, new ones are counted together.
fn tally(list: &mut Vec<(String, usize)>, mut key: String, n: usize) {
    if let Some((cut, _)) = key.char_indices().nth(MAX_REASON_CHARS) {
        key.truncate(cut);
        key.push('…');
    }
    if let Some((_, c)) = list.iter_mut().find(|(m, _)| *m == key) {
        *c += n;
        return;
    }
    if list.len() >= MAX_REASONS {
        key = "(further reasons, not kept)".to_owned();
        if let Some((_, c)) = list.iter_mut().find(|(m, _)| *m == key) {
            *c += n;
            return;
        }
    }
    list.push((key, n));
}

/// The environment as podtrace reads it (a function, so tests can pass their own).
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// `--timeout`: a duration ([`crate::units::parse_duration`]) longer than zero (a zero timeout
/// would fail every request before it is sent).
pub fn parse_timeout(s: &str) -> Result<Duration, String> {
    let d = crate::units::parse_duration(s)?;
    if d.is_zero() {
        return Err(format!("{s:?}: the timeout must be longer than zero"));
    }
    Ok(d)
}

/// Protocol: flag, then `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, `OTEL_EXPORTER_OTLP_PROTOCOL`,
/// then gRPC. `http/json` is not offered: an error says so.
pub fn resolve_protocol(flag: Option<Protocol>, env: Env<'_>) -> anyhow::Result<Protocol> {
    if let Some(p) = flag {
        return Ok(p);
    }
    for var in [
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
    ] {
        if let Some(v) = env(var) {
            return match v.trim() {
                "grpc" => Ok(Protocol::Grpc),
                "http/protobuf" => Ok(Protocol::HttpProtobuf),
                other => anyhow::bail!(
                    "{var}={other:?}: podtrace sends grpc or http/protobuf (use --otlp-file for OTLP JSON)"
                ),
            };
        }
    }
    Ok(Protocol::Grpc)
}

/// Endpoint as the OTLP exporter spec resolves it: the flag or `OTEL_EXPORTER_OTLP_ENDPOINT`
/// are base URLs (HTTP appends `/v1/traces` unless a path is given with the flag);
/// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is used as written.
pub fn resolve_endpoint(flag: Option<&str>, protocol: Protocol, env: Env<'_>) -> String {
    let with_scheme = |s: &str| {
        if s.contains("://") {
            s.to_owned()
        } else {
            format!("http://{s}")
        }
    };
    let base_http = |s: &str| {
        let s = with_scheme(s);
        let after_scheme = s.split_once("://").map_or("", |(_, r)| r);
        let has_path = after_scheme
            .split_once('/')
            .is_some_and(|(_, p)| !p.is_empty());
        if has_path {
            s
        } else {
            format!("{}/v1/traces", s.trim_end_matches('/'))
        }
    };
    if let Some(f) = flag {
        return match protocol {
            Protocol::Grpc => with_scheme(f),
            Protocol::HttpProtobuf => base_http(f),
        };
    }
    if let Some(t) = env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
        return with_scheme(t.trim());
    }
    if let Some(b) = env("OTEL_EXPORTER_OTLP_ENDPOINT") {
        return match protocol {
            Protocol::Grpc => with_scheme(b.trim()),
            Protocol::HttpProtobuf => {
                format!("{}/v1/traces", with_scheme(b.trim()).trim_end_matches('/'))
            }
        };
    }
    match protocol {
        Protocol::Grpc => "http://localhost:4317".into(),
        Protocol::HttpProtobuf => "http://localhost:4318/v1/traces".into(),
    }
}

/// `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT` / `OTEL_EXPORTER_OTLP_TIMEOUT` (whole milliseconds,
/// the spec's form), 10 s. The first of them that is set must be valid: a value podtrace cannot
/// read is an error naming the variable, not a silent 10 s.
pub fn resolve_timeout(flag: Option<Duration>, env: Env<'_>) -> anyhow::Result<Duration> {
    if let Some(f) = flag {
        return Ok(f);
    }
    for var in [
        "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
        "OTEL_EXPORTER_OTLP_TIMEOUT",
    ] {
        let Some(v) = env(var) else { continue };
        return match v.trim().parse::<u64>() {
            Ok(ms) if ms > 0 => Ok(Duration::from_millis(ms)),
            _ => anyhow::bail!(
                "{var}={v:?}: expected a timeout in whole milliseconds above zero, e.g. 10000"
            ),
        };
    }
    Ok(Duration::from_secs(10))
}

/// `OTEL_EXPORTER_OTLP_TRACES_COMPRESSION` / `OTEL_EXPORTER_OTLP_COMPRESSION`: podtrace sends
/// uncompressed. `none` is that; `gzip`, valid but not offered, gives a warning to show (the
/// SDK exporter podtrace used before ignored it unseen); anything else is an error.
pub fn resolve_compression(env: Env<'_>) -> anyhow::Result<Option<String>> {
    for var in [
        "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
        "OTEL_EXPORTER_OTLP_COMPRESSION",
    ] {
        let Some(v) = env(var) else { continue };
        return match v.trim().to_ascii_lowercase().as_str() {
            "none" => Ok(None),
            "gzip" => Ok(Some(format!(
                "{var}=gzip: podtrace sends uncompressed requests; the variable is ignored"
            ))),
            _ => anyhow::bail!("{var}={v:?}: expected gzip or none"),
        };
    }
    Ok(None)
}

/// `OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE` / `OTEL_EXPORTER_OTLP_CERTIFICATE`.
pub fn resolve_certificate(flag: Option<PathBuf>, env: Env<'_>) -> Option<PathBuf> {
    flag.or_else(|| {
        [
            "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
            "OTEL_EXPORTER_OTLP_CERTIFICATE",
        ]
        .iter()
        .find_map(|v| env(v).map(PathBuf::from))
    })
}

/// `key=value,key2=value2` with percent-encoded values (the OTLP exporter spec's form). Empty
/// entries (a trailing comma) are passed over; an entry without `=` or without a key is an
/// error, as a header silently dropped is an authentication that silently fails.
pub fn parse_headers(s: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for kv in s.split(',').map(str::trim).filter(|kv| !kv.is_empty()) {
        match kv.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => {
                out.push((k.trim().to_owned(), percent_decode(v.trim())))
            }
            _ => return Err(format!("expected key=value, got {kv:?}")),
        }
    }
    Ok(out)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex_val(b[i + 1]), hex_val(b[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_val(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Headers: `OTEL_EXPORTER_OTLP_TRACES_HEADERS`, else `OTEL_EXPORTER_OTLP_HEADERS`, then the
/// flags (a flag wins over a variable with the same key).
pub fn resolve_headers(
    flags: &[(String, String)],
    env: Env<'_>,
) -> anyhow::Result<Vec<(String, String)>> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for var in [
        "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
        "OTEL_EXPORTER_OTLP_HEADERS",
    ] {
        let Some(v) = env(var) else { continue };
        let parsed = parse_headers(&v).map_err(|e| anyhow::anyhow!("{var}: {e}"))?;
        out.extend(parsed.into_iter().map(|(k, v)| (k.to_ascii_lowercase(), v)));
        break;
    }
    for (k, v) in flags {
        out.insert(k.to_ascii_lowercase(), v.clone());
    }
    Ok(out.into_iter().collect())
}

fn time(ns: i64) -> SystemTime {
    if ns >= 0 {
        UNIX_EPOCH + Duration::from_nanos(ns as u64)
    } else {
        UNIX_EPOCH - Duration::from_nanos(ns.unsigned_abs())
    }
}

fn value(v: &AttrValue) -> Value {
    match v {
        AttrValue::Str(s) => Value::String(s.clone().into()),
        AttrValue::Int(i) => Value::I64(*i),
        AttrValue::F64(f) => Value::F64(*f),
        AttrValue::Bool(b) => Value::Bool(*b),
        AttrValue::Strs(v) => Value::Array(Array::String(
            v.iter().map(|s| StringValue::from(s.clone())).collect(),
        )),
    }
}

fn kvs(attrs: &[(&'static str, AttrValue)]) -> Vec<KeyValue> {
    attrs
        .iter()
        .map(|(k, v)| KeyValue::new(*k, value(v)))
        .collect()
}

pub fn scope() -> InstrumentationScope {
    InstrumentationScope::builder("podtrace")
        .with_version(env!("CARGO_PKG_VERSION"))
        .build()
}

/// One planned span as the SDK's export type.
pub fn span_data(p: &PlannedSpan, scope: &InstrumentationScope) -> SpanData {
    SpanData {
        span_context: SpanContext::new(
            TraceId::from_bytes(p.trace_id),
            SpanId::from_bytes(p.span_id),
            TraceFlags::SAMPLED,
            false,
            TraceState::default(),
        ),
        parent_span_id: p.parent.map_or(SpanId::INVALID, SpanId::from_bytes),
        parent_span_is_remote: false,
        span_kind: OtelKind::Internal,
        name: Cow::Owned(p.name.clone()),
        start_time: time(p.start),
        end_time: time(p.end),
        attributes: kvs(&p.attributes),
        dropped_attributes_count: 0,
        events: {
            // Non-exhaustive: filled through its public field.
            let mut ev = SpanEvents::default();
            ev.events = p
                .events
                .iter()
                .map(|e| {
                    opentelemetry::trace::Event::new(
                        e.name.clone(),
                        time(e.t),
                        kvs(&e.attributes),
                        0,
                    )
                })
                .collect();
            ev
        },
        links: SpanLinks::default(),
        status: match &p.error {
            Some(msg) => Status::error(msg.clone()),
            None => Status::Unset,
        },
        instrumentation_scope: scope.clone(),
    }
}

/// The resource of one service.
pub fn resource(service: &str, cluster: Option<&str>) -> Resource {
    let mut attrs = vec![
        KeyValue::new("service.name", service.to_owned()),
        KeyValue::new("service.namespace", "kubernetes"),
    ];
    if let Some(c) = cluster {
        attrs.push(KeyValue::new("k8s.cluster.name", c.to_owned()));
    }
    Resource::builder_empty().with_attributes(attrs).build()
}

/// Indices of the spans of each service, in first-seen order.
fn by_service(spans: &[PlannedSpan]) -> Vec<(&'static str, Vec<usize>)> {
    let mut groups: Vec<(&'static str, Vec<usize>)> = Vec::new();
    for (i, s) in spans.iter().enumerate() {
        match groups.iter_mut().find(|(svc, _)| *svc == s.service) {
            Some((_, v)) => v.push(i),
            None => groups.push((s.service, vec![i])),
        }
    }
    groups
}

/// One OTLP request body for a batch: a `ResourceSpans` per service, built straight from the
/// planned spans (each string copied once, into the message). It is field for field what the
/// SDK's own conversion ([`request_via_sdk`]) gives; a test holds them equal.
pub fn request(spans: &[PlannedSpan], cluster: Option<&str>) -> ExportTraceServiceRequest {
    use opentelemetry_proto::tonic::common::v1::InstrumentationScope as ProtoScope;
    use opentelemetry_proto::tonic::resource::v1::Resource as ProtoResource;
    use opentelemetry_proto::tonic::trace::v1::ScopeSpans;
    let mut resource_spans = Vec::new();
    for (svc, group) in by_service(spans) {
        // In key order, as `request_via_sdk` sorts them.
        let mut attributes = vec![
            proto_kv("service.name", &AttrValue::Str(svc.to_owned())),
            proto_kv(
                "service.namespace",
                &AttrValue::Str("kubernetes".to_owned()),
            ),
        ];
        if let Some(c) = cluster {
            attributes.push(proto_kv("k8s.cluster.name", &AttrValue::Str(c.to_owned())));
        }
        attributes.sort_by(|a, b| a.key.cmp(&b.key));
        resource_spans.push(ResourceSpans {
            resource: Some(ProtoResource {
                attributes,
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                scope: Some(ProtoScope {
                    name: "podtrace".to_owned(),
                    version: env!("CARGO_PKG_VERSION").to_owned(),
                    ..Default::default()
                }),
                spans: group.iter().map(|&i| proto_span(&spans[i])).collect(),
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        });
    }
    ExportTraceServiceRequest { resource_spans }
}

/// An attribute as OTLP's `KeyValue`.
fn proto_kv(key: &str, v: &AttrValue) -> opentelemetry_proto::tonic::common::v1::KeyValue {
    use opentelemetry_proto::tonic::common::v1::{AnyValue, ArrayValue, KeyValue, any_value};
    let s = |s: &String| AnyValue {
        value: Some(any_value::Value::StringValue(s.clone())),
    };
    let value = match v {
        AttrValue::Str(x) => s(x),
        AttrValue::Int(i) => AnyValue {
            value: Some(any_value::Value::IntValue(*i)),
        },
        AttrValue::F64(f) => AnyValue {
            value: Some(any_value::Value::DoubleValue(*f)),
        },
        AttrValue::Bool(b) => AnyValue {
            value: Some(any_value::Value::BoolValue(*b)),
        },
        AttrValue::Strs(v) => AnyValue {
            value: Some(any_value::Value::ArrayValue(ArrayValue {
                values: v.iter().map(s).collect(),
            })),
        },
    };
    KeyValue {
        key: key.to_owned(),
        value: Some(value),
        ..Default::default()
    }
}

/// Nanoseconds as OTLP carries them: unsigned, a time before 1970 as 0 (the SDK's rule).
fn proto_nanos(ns: i64) -> u64 {
    u64::try_from(ns).unwrap_or(0)
}

/// One planned span as OTLP's `Span`: an internal span of a sampled, local context.
fn proto_span(p: &PlannedSpan) -> opentelemetry_proto::tonic::trace::v1::Span {
    use opentelemetry_proto::tonic::trace::v1::{Span, SpanFlags, Status, span, status};
    let attrs = |a: &[(&'static str, AttrValue)]| a.iter().map(|(k, v)| proto_kv(k, v)).collect();
    Span {
        trace_id: p.trace_id.to_vec(),
        span_id: p.span_id.to_vec(),
        trace_state: String::new(),
        parent_span_id: p
            .parent
            .filter(|id| *id != [0; 8])
            .map_or_else(Vec::new, |id| id.to_vec()),
        flags: u32::from(TraceFlags::SAMPLED.to_u8()) | SpanFlags::ContextHasIsRemoteMask as u32,
        name: p.name.clone(),
        kind: span::SpanKind::Internal as i32,
        start_time_unix_nano: proto_nanos(p.start),
        end_time_unix_nano: proto_nanos(p.end),
        attributes: attrs(&p.attributes),
        dropped_attributes_count: 0,
        events: p
            .events
            .iter()
            .map(|e| span::Event {
                time_unix_nano: proto_nanos(e.t),
                name: e.name.clone(),
                attributes: attrs(&e.attributes),
                dropped_attributes_count: 0,
            })
            .collect(),
        dropped_events_count: 0,
        links: Vec::new(),
        dropped_links_count: 0,
        status: Some(match &p.error {
            Some(msg) => Status {
                code: status::StatusCode::Error as i32,
                message: msg.clone(),
            },
            None => Status {
                code: status::StatusCode::Unset as i32,
                message: String::new(),
            },
        }),
    }
}

/// [`request`] through the SDK's `SpanData` and its conversion to OTLP: the reference the
/// direct encoder is tested against (it copies every string twice, so it is not sent).
pub fn request_via_sdk(spans: &[PlannedSpan], cluster: Option<&str>) -> ExportTraceServiceRequest {
    let scope = scope();
    let mut resource_spans = Vec::new();
    for (svc, group) in by_service(spans) {
        let res = resource(svc, cluster);
        let data: Vec<SpanData> = group
            .iter()
            .map(|&i| span_data(&spans[i], &scope))
            .collect();
        let mut grouped =
            group_spans_by_resource_and_scope(data, &ResourceAttributesWithSchema::from(&res));
        // The SDK's resource keeps its attributes in a hash map: put them in key order, so that
        // one input always gives the same bytes (`--otlp-file`, `--failed-file`).
        for rs in &mut grouped {
            if let Some(r) = rs.resource.as_mut() {
                r.attributes.sort_by(|a, b| a.key.cmp(&b.key));
            }
        }
        resource_spans.extend(grouped);
    }
    ExportTraceServiceRequest { resource_spans }
}

/// Writes OTLP JSON: one `ExportTraceServiceRequest` (the collector's `TracesData` shape) per
/// line, `batch` spans at most per line, as the collector's file exporter writes and its
/// `otlpjsonfile` receiver reads. Returns the number of spans written.
pub fn write_json(
    spans: &[PlannedSpan],
    batch: usize,
    cluster: Option<&str>,
    out: &mut dyn Write,
) -> anyhow::Result<usize> {
    for chunk in spans.chunks(batch.max(1)) {
        serde_json::to_writer(&mut *out, &request(chunk, cluster))?;
        out.write_all(b"\n")?;
    }
    Ok(spans.len())
}

/// [`write_json`] fed pod by pod: lines are cut every `batch` spans exactly as
/// `write_json(&all_spans, batch, …)` cuts them, while only the current line's spans are held.
pub struct JsonWriter<'c, W: Write> {
    out: W,
    batch: usize,
    cluster: Option<&'c str>,
    buf: Vec<PlannedSpan>,
    written: usize,
}

impl<'c, W: Write> JsonWriter<'c, W> {
    pub fn new(out: W, batch: usize, cluster: Option<&'c str>) -> Self {
        JsonWriter {
            out,
            batch: batch.max(1),
            cluster,
            buf: Vec::new(),
            written: 0,
        }
    }

    pub fn push(&mut self, spans: Vec<PlannedSpan>) -> anyhow::Result<()> {
        self.buf.extend(spans);
        while self.buf.len() >= self.batch {
            self.line(self.batch)?;
        }
        Ok(())
    }

    fn line(&mut self, n: usize) -> anyhow::Result<()> {
        serde_json::to_writer(&mut self.out, &request(&self.buf[..n], self.cluster))?;
        self.out.write_all(b"\n")?;
        self.buf.drain(..n);
        self.written += n;
        Ok(())
    }

    /// Writes the last, shorter line; returns the number of spans written.
    pub fn finish(mut self) -> anyhow::Result<usize> {
        if !self.buf.is_empty() {
            self.line(self.buf.len())?;
        }
        Ok(self.written)
    }
}

/// Splits a batch into one request per service (first-seen order, spans in batch order).
fn split_by_service(batch: Vec<PlannedSpan>) -> Vec<(&'static str, Vec<PlannedSpan>)> {
    let mut groups: Vec<(&'static str, Vec<PlannedSpan>)> = Vec::new();
    for s in batch {
        match groups.iter_mut().find(|(svc, _)| *svc == s.service) {
            Some((_, v)) => v.push(s),
            None => groups.push((s.service, vec![s])),
        }
    }
    groups
}

/// The `User-Agent` of both transports.
const USER_AGENT: &str = concat!("podtrace/", env!("CARGO_PKG_VERSION"));

/// The largest answer read from an HTTP receiver (an `ExportTraceServiceResponse` is a few
/// bytes; a receiver that sends more is not read to the end).
const MAX_ANSWER: usize = 4 << 20;

/// Retries after the first attempt, the first back-off and the largest, and the most added at
/// random to each (so that clients that failed together do not retry together): the SDK
/// exporter's defaults, kept when podtrace began sending by itself.
const MAX_RETRIES: usize = 3;
const FIRST_DELAY: Duration = Duration::from_millis(100);
const MAX_DELAY: Duration = Duration::from_millis(1600);
const MAX_JITTER: Duration = Duration::from_millis(100);
/// The longest wait a receiver's throttling (`Retry-After`, gRPC `RetryInfo`) can ask for.
const MAX_THROTTLE: Duration = Duration::from_secs(30);

/// A delivered request: what the receiver said of it.
#[derive(Debug, Default)]
struct Answer {
    /// `partial_success.rejected_spans`.
    rejected: i64,
    /// `partial_success.error_message`.
    message: String,
    /// Why the answer could not be read, when it could not.
    unreadable: Option<String>,
}

impl From<ExportTraceServiceResponse> for Answer {
    fn from(r: ExportTraceServiceResponse) -> Self {
        let p = r.partial_success.unwrap_or_default();
        Answer {
            rejected: p.rejected_spans,
            message: p.error_message,
            unreadable: None,
        }
    }
}

/// Why an attempt failed, and whether another may succeed.
#[derive(Debug)]
enum Failure {
    Retryable(String),
    /// The receiver asked to wait this long first.
    Throttled(Duration, String),
    Fatal(String),
}

impl Failure {
    fn message(self) -> String {
        match self {
            Failure::Retryable(m) | Failure::Throttled(_, m) | Failure::Fatal(m) => m,
        }
    }
}

/// A random duration up to `max`, from the standard library's randomly keyed hasher (no
/// random-number crate for this).
fn jitter(max: Duration) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let r = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let max_ms = u64::try_from(max.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(r.checked_rem(max_ms.saturating_add(1)).unwrap_or(r))
}

/// Runs `attempt` until it succeeds, fails for good, or `timeout` (the whole request's budget,
/// retries included) would be exceeded: exponential back-off with jitter, a receiver's
/// throttling honoured up to [`MAX_THROTTLE`], as the SDK exporter did.
async fn with_retries<F, Fut>(timeout: Duration, mut attempt: F) -> Result<Answer, String>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Answer, Failure>>,
{
    let start = tokio::time::Instant::now();
    let mut retries = 0;
    let mut delay = FIRST_DELAY;
    let mut cap = MAX_DELAY;
    loop {
        let failure = match attempt().await {
            Ok(a) => return Ok(a),
            Err(f) => f,
        };
        let left = timeout.saturating_sub(start.elapsed());
        if left.is_zero() || retries >= MAX_RETRIES {
            return Err(failure.message());
        }
        let wait = match failure {
            Failure::Fatal(m) => return Err(m),
            Failure::Retryable(_) => delay.saturating_add(jitter(MAX_JITTER)).min(cap),
            Failure::Throttled(asked, _) => {
                let asked = asked.min(MAX_THROTTLE);
                if asked > cap {
                    cap = MAX_THROTTLE;
                }
                delay = delay.max(asked);
                delay.saturating_add(jitter(MAX_JITTER)).min(cap)
            }
        };
        if wait >= left {
            return Err(failure.message());
        }
        retries += 1;
        tokio::time::sleep(wait).await;
        delay = delay.saturating_mul(2).min(cap);
    }
}

/// `Retry-After` in seconds (capped at ten minutes); the HTTP-date form is taken as "retry
/// soon" (plain back-off).
fn retry_after(h: Option<&reqwest::header::HeaderValue>) -> Option<Duration> {
    let secs: u64 = h?.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(secs.min(600)))
}

/// An error and its sources, one line (`a: b: c`).
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(cur) = next {
        let s = cur.to_string();
        if !out.ends_with(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        next = cur.source();
    }
    out
}

/// A gRPC status as a failure, classified as the OTLP spec and the SDK exporter do
/// (`Unavailable` and friends retried, `ResourceExhausted` only when the server says when).
/// The server's own message is left out, as the SDK did, since servers echo credentials in it;
/// a status made locally (connection, TLS) keeps its cause.
fn grpc_failure(status: &tonic::Status) -> Failure {
    use tonic::Code;
    use tonic_types::StatusExt;
    let code = status.code();
    let mut msg = format!("gRPC status {code:?}");
    if let Some(src) = std::error::Error::source(status) {
        msg.push_str(": ");
        msg.push_str(&chain(src));
    }
    let delay = status
        .get_details_retry_info()
        .and_then(|r| r.retry_delay)
        .filter(|d| !d.is_zero());
    match code {
        Code::ResourceExhausted => match delay {
            Some(d) => Failure::Throttled(d, msg),
            None => Failure::Fatal(msg),
        },
        Code::Unavailable => match delay {
            Some(d) => Failure::Throttled(d, msg),
            None => Failure::Retryable(msg),
        },
        Code::Cancelled
        | Code::DeadlineExceeded
        | Code::Aborted
        | Code::OutOfRange
        | Code::DataLoss => Failure::Retryable(msg),
        _ => Failure::Fatal(msg),
    }
}

/// How requests reach the receiver. One per run: gRPC keeps a channel (one HTTP/2 connection)
/// per request in flight, HTTP keeps a pool of connections.
enum Transport {
    Grpc {
        /// Requests on one HTTP/2 connection share its flow-control window (64 KiB unless the
        /// receiver says more): with one channel, gRPC sent a fifth fewer spans per second than
        /// the SDK exporter's channel per service did (`cargo bench --bench export`).
        clients: Vec<TraceServiceClient<tonic::transport::Channel>>,
        metadata: tonic::metadata::MetadataMap,
    },
    Http {
        client: reqwest::Client,
        url: reqwest::Url,
        headers: reqwest::header::HeaderMap,
    },
}

fn read_pem(c: &PathBuf) -> anyhow::Result<Vec<u8>> {
    std::fs::read(c).map_err(|e| anyhow::anyhow!("reading certificate {}: {e}", c.display()))
}

impl Transport {
    /// Built inside the runtime: the gRPC channel's worker is spawned on it.
    fn build(cfg: &Config) -> anyhow::Result<Transport> {
        let certificate = cfg.certificate.as_ref();
        Ok(match cfg.protocol {
            Protocol::Grpc => {
                let mut metadata = tonic::metadata::MetadataMap::new();
                for (k, v) in &cfg.headers {
                    let key = tonic::metadata::MetadataKey::from_bytes(k.as_bytes())
                        .map_err(|e| anyhow::anyhow!("header {k:?}: {e}"))?;
                    let val = v
                        .parse()
                        .map_err(|e| anyhow::anyhow!("header {k:?}: {e}"))?;
                    metadata.insert(key, val);
                }
                let mut endpoint = tonic::transport::Endpoint::from_shared(cfg.endpoint.clone())?
                    .user_agent(USER_AGENT)?
                    .timeout(cfg.timeout);
                if cfg.endpoint.starts_with("https://") || certificate.is_some() {
                    let mut tls = tonic::transport::ClientTlsConfig::new().with_webpki_roots();
                    if let Some(c) = certificate {
                        tls = tls
                            .ca_certificate(tonic::transport::Certificate::from_pem(read_pem(c)?));
                    }
                    endpoint = endpoint.tls_config(tls)?;
                }
                Transport::Grpc {
                    clients: (0..IN_FLIGHT)
                        .map(|_| TraceServiceClient::new(endpoint.connect_lazy()))
                        .collect(),
                    metadata,
                }
            }
            Protocol::HttpProtobuf => {
                let mut client = reqwest::Client::builder()
                    .timeout(cfg.timeout)
                    .user_agent(USER_AGENT);
                if let Some(c) = certificate {
                    client = client.add_root_certificate(
                        reqwest::Certificate::from_pem(&read_pem(c)?)
                            .map_err(|e| anyhow::anyhow!("certificate {}: {e}", c.display()))?,
                    );
                }
                let mut headers = reqwest::header::HeaderMap::new();
                for (k, v) in &cfg.headers {
                    let key = reqwest::header::HeaderName::from_bytes(k.as_bytes())
                        .map_err(|e| anyhow::anyhow!("header {k:?}: {e}"))?;
                    let val = reqwest::header::HeaderValue::from_str(v)
                        .map_err(|e| anyhow::anyhow!("header {k:?}: {e}"))?;
                    headers.insert(key, val);
                }
                headers.insert(
                    reqwest::header::CONTENT_TYPE,
                    reqwest::header::HeaderValue::from_static("application/x-protobuf"),
                );
                Transport::Http {
                    client: client.build()?,
                    url: reqwest::Url::parse(&cfg.endpoint)?,
                    headers,
                }
            }
        })
    }

    /// Sends one request (one service's spans), retrying as [`with_retries`] says; `k`, the
    /// request's number, picks its gRPC channel.
    async fn export(
        &self,
        k: usize,
        spans: &[PlannedSpan],
        cluster: Option<&str>,
        timeout: Duration,
    ) -> Result<Answer, String> {
        match self {
            Transport::Grpc { clients, metadata } => {
                let client = &clients[k % clients.len()];
                with_retries(timeout, move || async move {
                    // Built again for each attempt (the client takes it by value): a retry
                    // costs a conversion, a first success no copy.
                    let mut req = tonic::Request::new(request(spans, cluster));
                    *req.metadata_mut() = metadata.clone();
                    let mut client = client.clone();
                    match client.export(req).await {
                        Ok(resp) => Ok(Answer::from(resp.into_inner())),
                        Err(status) => Err(grpc_failure(&status)),
                    }
                })
                .await
            }
            Transport::Http {
                client,
                url,
                headers,
            } => {
                let req = client
                    .post(url.clone())
                    .headers(headers.clone())
                    .body(request(spans, cluster).encode_to_vec())
                    .build()
                    .map_err(|e| chain(&e))?;
                let req = &req;
                with_retries(timeout, move || async move {
                    // A byte body: cloning the request shares it.
                    let attempt = req
                        .try_clone()
                        .ok_or_else(|| Failure::Fatal("request body cannot be resent".into()))?;
                    let resp = client
                        .execute(attempt)
                        .await
                        .map_err(|e| Failure::Retryable(chain(&e)))?;
                    let status = resp.status();
                    if !status.is_success() {
                        let msg = format!("HTTP status {status}");
                        return Err(match status.as_u16() {
                            429 | 503 => match retry_after(resp.headers().get("retry-after")) {
                                Some(d) => Failure::Throttled(d, msg),
                                None => Failure::Retryable(msg),
                            },
                            502 | 504 => Failure::Retryable(msg),
                            _ => Failure::Fatal(msg),
                        });
                    }
                    Ok(read_answer(resp).await)
                })
                .await
            }
        }
    }
}

/// The body of a successful HTTP answer as an `ExportTraceServiceResponse`. The request was
/// delivered whatever the body holds, so a body that cannot be read is noted, not a failure.
async fn read_answer(mut resp: reqwest::Response) -> Answer {
    let mut body = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(c)) if body.len() + c.len() <= MAX_ANSWER => body.extend_from_slice(&c),
            Ok(Some(_)) => {
                return Answer {
                    unreadable: Some(format!("answer longer than {MAX_ANSWER} bytes")),
                    ..Default::default()
                };
            }
            Ok(None) => break,
            Err(e) => {
                return Answer {
                    unreadable: Some(chain(&e)),
                    ..Default::default()
                };
            }
        }
    }
    match ExportTraceServiceResponse::decode(body.as_slice()) {
        Ok(r) => Answer::from(r),
        Err(e) => Answer {
            unreadable: Some(format!("not an ExportTraceServiceResponse: {e}")),
            ..Default::default()
        },
    }
}

/// After this many requests in a row fail, the collector is taken to be unreachable and the
/// remaining batches go straight to the failed-batch file (or are counted as not sent).
const GIVE_UP_AFTER: usize = 3;

/// Requests in flight at once: enough to keep both cores encoding while the collector answers.
const IN_FLIGHT: usize = 4;

/// Sends every span; never drops one silently: what could not be sent is counted in the report
/// and, with `failed_file`, written there as OTLP JSON; what the receiver took and then
/// rejected (`partial_success`) is counted apart, with its reason.
pub fn send(
    spans: &std::sync::Arc<[PlannedSpan]>,
    opts: &SendOptions,
    env: Env<'_>,
) -> anyhow::Result<SendReport> {
    let cfg = Config::resolve(opts, env)?;
    let batch = cfg.batch_spans;
    send_batches(spans.chunks(batch).map(<[PlannedSpan]>::to_vec), &cfg)
}

/// [`send`] for timelines: each pod is planned when its batch is due, so that memory holds the
/// requests in flight, not every span of the run.
pub fn send_pods(
    pods: &[PodTimeline],
    opts: &super::TraceOptions,
    cfg: &Config,
) -> anyhow::Result<SendReport> {
    send_batches(super::Batches::new(pods, opts, cfg.batch_spans), cfg)
}

/// Sends these spans (in batches of the configured size), as [`send`] does.
pub fn send_spans(spans: Vec<PlannedSpan>, cfg: &Config) -> anyhow::Result<SendReport> {
    let batch = cfg.batch_spans.max(1);
    send_batches(spans.chunks(batch).map(<[PlannedSpan]>::to_vec), cfg)
}

/// Where one finished request goes in the report (and the failed-batch file).
struct Ledger<'a> {
    report: SendReport,
    failed_out: Option<std::io::BufWriter<std::fs::File>>,
    cluster: Option<&'a str>,
}

impl Ledger<'_> {
    fn settle(
        &mut self,
        spans: Vec<PlannedSpan>,
        outcome: Result<Answer, String>,
    ) -> anyhow::Result<()> {
        let r = &mut self.report;
        let n = spans.len();
        match outcome {
            Ok(a) => {
                // A receiver can say anything: at most the request's spans, never fewer than 0.
                let rejected = usize::try_from(a.rejected.max(0)).map_or(n, |v| v.min(n));
                r.requests_sent += 1;
                r.spans_sent += n - rejected;
                if rejected > 0 {
                    r.spans_rejected += rejected;
                    tally(&mut r.rejections, a.message, rejected);
                } else if !a.message.is_empty() {
                    tally(
                        &mut r.warnings,
                        format!("the receiver warned: {}", a.message),
                        1,
                    );
                }
                if let Some(why) = a.unreadable {
                    tally(
                        &mut r.warnings,
                        format!(
                            "the receiver's answer could not be read ({why}): if it rejected spans, they are counted as sent"
                        ),
                        1,
                    );
                }
            }
            Err(e) => {
                r.spans_failed += n;
                r.requests_failed += 1;
                tally(&mut r.errors, e, 1);
                if let Some(out) = self.failed_out.as_mut() {
                    r.spans_saved += write_json(&spans, usize::MAX, self.cluster, out)?;
                }
            }
        }
        Ok(())
    }
}

/// The sending loop: requests (one service of one batch each) made as they are due, at most
/// [`IN_FLIGHT`] at once, each encoded on the runtime's workers; outcomes settled in request
/// order, so that the failed-batch file has the same lines in the same order every run.
fn send_batches(
    batches: impl Iterator<Item = Vec<PlannedSpan>>,
    cfg: &Config,
) -> anyhow::Result<SendReport> {
    // reqwest is built without a provider of its own; ring is the one tonic uses too. An error
    // only means one is installed already.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let started = std::time::Instant::now();
    let failed_out = match &cfg.failed_file {
        Some(p) => Some(std::io::BufWriter::new(
            std::fs::OpenOptions::new()
                .create(true)
                .write(true)
                .append(cfg.failed_append)
                .truncate(!cfg.failed_append)
                .open(p)
                .map_err(|e| anyhow::anyhow!("creating {}: {e}", p.display()))?,
        )),
        None => None,
    };
    let mut ledger = Ledger {
        report: SendReport {
            protocol: cfg.protocol.as_str(),
            endpoint: cfg.endpoint.clone(),
            ..Default::default()
        },
        failed_out,
        cluster: cfg.cluster.as_deref(),
    };
    let mut requests = batches.flat_map(split_by_service);
    rt.block_on(async {
        let transport = std::sync::Arc::new(Transport::build(cfg).map_err(|e| {
            anyhow::anyhow!(
                "OTLP client for {} ({}): {e:#}",
                cfg.endpoint,
                cfg.protocol.as_str()
            )
        })?);
        let mut tasks = tokio::task::JoinSet::new();
        // Finished out of order, waiting for the earlier ones: at most IN_FLIGHT.
        let mut finished: BTreeMap<usize, (Vec<PlannedSpan>, Result<Answer, String>)> =
            BTreeMap::new();
        let (mut started_n, mut settled_n) = (0usize, 0usize);
        let mut failures_in_a_row = 0;
        let mut exhausted = false;
        loop {
            while !exhausted && tasks.len() < IN_FLIGHT && failures_in_a_row < GIVE_UP_AFTER {
                let Some((_, spans)) = requests.next() else {
                    exhausted = true;
                    break;
                };
                let (k, t) = (started_n, transport.clone());
                let (cluster, timeout) = (cfg.cluster.clone(), cfg.timeout);
                tasks.spawn(async move {
                    let r = t.export(k, &spans, cluster.as_deref(), timeout).await;
                    (k, spans, r)
                });
                started_n += 1;
            }
            let Some(done) = tasks.join_next().await else {
                break;
            };
            let (k, spans, r) = done.map_err(|e| anyhow::anyhow!("export task: {e}"))?;
            failures_in_a_row = if r.is_ok() { 0 } else { failures_in_a_row + 1 };
            finished.insert(k, (spans, r));
            while let Some((spans, r)) = finished.remove(&settled_n) {
                ledger.settle(spans, r)?;
                settled_n += 1;
            }
        }
        anyhow::Ok(())
    })?;
    // Gave up (or done, and this is empty): the rest is not attempted, and kept.
    for (_, spans) in requests {
        ledger.settle(
            spans,
            Err("not attempted: the collector failed the previous requests".into()),
        )?;
    }
    if let Some(mut out) = ledger.failed_out.take() {
        out.flush()?;
    }
    let mut report = ledger.report;
    report.elapsed = started.elapsed();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn endpoints_follow_the_spec() {
        let none = env_of(&[]);
        assert_eq!(
            resolve_endpoint(None, Protocol::Grpc, &none),
            "http://localhost:4317"
        );
        assert_eq!(
            resolve_endpoint(None, Protocol::HttpProtobuf, &none),
            "http://localhost:4318/v1/traces"
        );
        let base = env_of(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "https://otel.example:4318/")]);
        assert_eq!(
            resolve_endpoint(None, Protocol::HttpProtobuf, &base),
            "https://otel.example:4318/v1/traces"
        );
        let both = env_of(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:4318"),
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://b:9999/custom"),
        ]);
        assert_eq!(
            resolve_endpoint(None, Protocol::HttpProtobuf, &both),
            "http://b:9999/custom"
        );
        assert_eq!(
            resolve_endpoint(Some("collector:4318"), Protocol::HttpProtobuf, &both),
            "http://collector:4318/v1/traces"
        );
        assert_eq!(
            resolve_endpoint(
                Some("http://c:6006/v1/traces"),
                Protocol::HttpProtobuf,
                &none
            ),
            "http://c:6006/v1/traces"
        );
        assert_eq!(
            resolve_endpoint(Some("c:4317"), Protocol::Grpc, &none),
            "http://c:4317"
        );
    }

    #[test]
    fn protocol_timeout_headers_from_env() {
        let e = env_of(&[
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
            (
                "OTEL_EXPORTER_OTLP_HEADERS",
                "Authorization=Bearer%20abc,x-team = db ",
            ),
        ]);
        assert_eq!(resolve_protocol(None, &e).unwrap(), Protocol::HttpProtobuf);
        assert_eq!(
            resolve_protocol(Some(Protocol::Grpc), &e).unwrap(),
            Protocol::Grpc
        );
        assert_eq!(
            resolve_timeout(None, &e).unwrap(),
            Duration::from_millis(2500)
        );
        assert_eq!(
            resolve_headers(&[("X-Team".into(), "web".into())], &e).unwrap(),
            vec![
                ("authorization".to_owned(), "Bearer abc".to_owned()),
                ("x-team".to_owned(), "web".to_owned()),
            ]
        );
        let json = env_of(&[("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json")]);
        let err = resolve_protocol(None, &json).unwrap_err().to_string();
        assert!(err.contains("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"), "{err}");
    }

    #[test]
    fn reasons_are_bounded() {
        let mut list = Vec::new();
        tally(&mut list, "x".repeat(5000), 2);
        tally(&mut list, "x".repeat(4000), 1);
        assert_eq!(list.len(), 1, "cut to the same text, counted together");
        assert_eq!(list[0].0.chars().count(), MAX_REASON_CHARS + 1);
        assert_eq!(list[0].1, 3);
        for i in 0..100 {
            tally(&mut list, format!("reason {i}"), 1);
        }
        assert_eq!(list.len(), MAX_REASONS + 1);
        assert_eq!(
            list.last().unwrap(),
            &("(further reasons, not kept)".to_owned(), 81)
        );
    }

    #[test]
    fn timeouts_and_headers_from_env_are_checked() {
        for bad in ["10s", "0", "-5", "1.5", "ten"] {
            let e = move |k: &str| (k == "OTEL_EXPORTER_OTLP_TIMEOUT").then(|| bad.to_owned());
            let err = resolve_timeout(None, &e).unwrap_err().to_string();
            assert!(
                err.starts_with("OTEL_EXPORTER_OTLP_TIMEOUT="),
                "{bad}: {err}"
            );
        }
        // The signal's own variable wins, and must itself be valid.
        let e = env_of(&[
            ("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "250"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "junk"),
        ]);
        assert_eq!(
            resolve_timeout(None, &e).unwrap(),
            Duration::from_millis(250)
        );
        assert_eq!(
            resolve_timeout(Some(Duration::from_secs(3)), &env_of(&[])).unwrap(),
            Duration::from_secs(3)
        );
        assert_eq!(
            resolve_timeout(None, &env_of(&[])).unwrap(),
            Duration::from_secs(10)
        );
        assert_eq!(
            parse_headers("a=1,,b = x%3Dy ,").unwrap(),
            vec![("a".into(), "1".into()), ("b".into(), "x=y".into())]
        );
        assert!(parse_headers("a=1,=2").is_err());
        assert!(parse_headers("token").is_err());
        assert!(parse_timeout("0ms").is_err());
        assert_eq!(parse_timeout("1ns").unwrap(), Duration::from_nanos(1));
    }

    #[test]
    fn grpc_codes_are_retried_as_the_spec_says() {
        use tonic::{Code, Status};
        let kind = |s: Status| match grpc_failure(&s) {
            Failure::Retryable(_) => "retry",
            Failure::Throttled(..) => "throttled",
            Failure::Fatal(_) => "fatal",
        };
        assert_eq!(kind(Status::unavailable("x")), "retry");
        assert_eq!(kind(Status::deadline_exceeded("x")), "retry");
        assert_eq!(kind(Status::resource_exhausted("x")), "fatal");
        assert_eq!(kind(Status::unauthenticated("x")), "fatal");
        assert_eq!(kind(Status::new(Code::InvalidArgument, "x")), "fatal");
        // The server's message stays out of the report (it may echo a credential).
        let Failure::Fatal(m) = grpc_failure(&Status::unauthenticated("bad token s3cret")) else {
            panic!("fatal");
        };
        assert_eq!(m, "gRPC status Unauthenticated");
    }

    #[test]
    fn retries_stop_at_the_budget_and_on_fatal_errors() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let count = |timeout: Duration, f: fn() -> Failure| {
            let n = std::cell::Cell::new(0);
            let r = rt.block_on(with_retries(timeout, || {
                n.set(n.get() + 1);
                async move { Err::<Answer, _>(f()) }
            }));
            (n.get(), r.unwrap_err())
        };
        // Three retries after the first attempt (100, 200, 400 ms, each + up to 100 ms).
        assert_eq!(
            count(Duration::from_secs(5), || Failure::Retryable("down".into())),
            (4, "down".into())
        );
        assert_eq!(
            count(Duration::from_secs(5), || Failure::Fatal("no".into())).0,
            1
        );
        // A budget too short for the first back-off: one attempt.
        assert_eq!(
            count(Duration::from_millis(50), || Failure::Retryable(
                "down".into()
            ))
            .0,
            1
        );
        // Throttled for longer than the budget: not waited for.
        assert_eq!(
            count(Duration::from_secs(1), || Failure::Throttled(
                Duration::from_secs(20),
                "later".into()
            ))
            .0,
            1
        );
    }

    #[test]
    fn percent_decoding_keeps_bad_escapes() {
        assert_eq!(percent_decode("a%20b%2"), "a b%2");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
