//! Planned spans → OpenTelemetry `SpanData` → an OTLP collector (gRPC or HTTP/protobuf) or an
//! OTLP JSON file.
//!
//! The SDK's `SpanData` is built by hand because a live tracer cannot take historical times or
//! chosen ids. One exporter carries one resource at a time, so each batch is grouped by
//! `service.name` and sent as one request per service (Jaeger colours spans by service).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opentelemetry::trace::{
    SpanContext, SpanId, SpanKind as OtelKind, Status, TraceFlags, TraceId, TraceState,
};
use opentelemetry::{Array, InstrumentationScope, KeyValue, StringValue, Value};
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig, WithTonicConfig};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema;
use opentelemetry_proto::transform::trace::tonic::group_spans_by_resource_and_scope;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanExporter as _, SpanLinks};

use super::{AttrValue, PlannedSpan};

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

/// What happened to the spans.
#[derive(Debug, Clone, Default)]
pub struct SendReport {
    pub protocol: &'static str,
    pub endpoint: String,
    pub spans_sent: usize,
    pub requests_sent: usize,
    pub spans_failed: usize,
    pub requests_failed: usize,
    /// Spans written to the failed-batch file.
    pub spans_saved: usize,
    /// The distinct errors, each with the number of requests it failed.
    pub errors: Vec<(String, usize)>,
    pub elapsed: Duration,
}

/// The environment as podtrace reads it (a function, so tests can pass their own).
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
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

/// `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT` / `OTEL_EXPORTER_OTLP_TIMEOUT` (milliseconds), 10 s.
pub fn resolve_timeout(flag: Option<Duration>, env: Env<'_>) -> Duration {
    flag.or_else(|| {
        [
            "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
            "OTEL_EXPORTER_OTLP_TIMEOUT",
        ]
        .iter()
        .find_map(|v| env(v).and_then(|s| s.trim().parse::<u64>().ok()))
        .map(Duration::from_millis)
    })
    .unwrap_or(Duration::from_secs(10))
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

/// `key=value,key2=value2` with percent-encoded values (the OTLP exporter spec's form).
pub fn parse_headers(s: &str) -> Vec<(String, String)> {
    s.split(',')
        .filter_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            let k = k.trim();
            (!k.is_empty()).then(|| (k.to_owned(), percent_decode(v.trim())))
        })
        .collect()
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
pub fn resolve_headers(flags: &[(String, String)], env: Env<'_>) -> Vec<(String, String)> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    if let Some(v) =
        env("OTEL_EXPORTER_OTLP_TRACES_HEADERS").or_else(|| env("OTEL_EXPORTER_OTLP_HEADERS"))
    {
        out.extend(
            parse_headers(&v)
                .into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v)),
        );
    }
    for (k, v) in flags {
        out.insert(k.to_ascii_lowercase(), v.clone());
    }
    out.into_iter().collect()
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

/// One OTLP request body for a batch: a `ResourceSpans` per service.
pub fn request(spans: &[PlannedSpan], cluster: Option<&str>) -> ExportTraceServiceRequest {
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

fn build_exporter(
    protocol: Protocol,
    endpoint: &str,
    headers: &[(String, String)],
    timeout: Duration,
    certificate: Option<&PathBuf>,
) -> anyhow::Result<opentelemetry_otlp::SpanExporter> {
    let exporter = match protocol {
        Protocol::Grpc => {
            let mut md = tonic::metadata::MetadataMap::new();
            for (k, v) in headers {
                let key = tonic::metadata::MetadataKey::from_bytes(k.as_bytes())
                    .map_err(|e| anyhow::anyhow!("header {k:?}: {e}"))?;
                let val = v
                    .parse()
                    .map_err(|e| anyhow::anyhow!("header {k:?}: {e}"))?;
                md.insert(key, val);
            }
            let mut b = opentelemetry_otlp::SpanExporter::builder()
                .with_tonic()
                .with_endpoint(endpoint)
                .with_timeout(timeout)
                .with_metadata(md);
            if endpoint.starts_with("https://") || certificate.is_some() {
                let mut tls = tonic::transport::ClientTlsConfig::new().with_webpki_roots();
                if let Some(c) = certificate {
                    let pem = std::fs::read(c)
                        .map_err(|e| anyhow::anyhow!("reading certificate {}: {e}", c.display()))?;
                    tls = tls.ca_certificate(tonic::transport::Certificate::from_pem(pem));
                }
                b = b.with_tls_config(tls);
            }
            b.build()?
        }
        Protocol::HttpProtobuf => {
            let mut client = reqwest::Client::builder().timeout(timeout);
            if let Some(c) = certificate {
                let pem = std::fs::read(c)
                    .map_err(|e| anyhow::anyhow!("reading certificate {}: {e}", c.display()))?;
                client = client.add_root_certificate(
                    reqwest::Certificate::from_pem(&pem)
                        .map_err(|e| anyhow::anyhow!("certificate {}: {e}", c.display()))?,
                );
            }
            opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .with_endpoint(endpoint)
                .with_timeout(timeout)
                .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
                .with_headers(headers.iter().cloned().collect())
                .with_http_client(client.build()?)
                .build()?
        }
    };
    Ok(exporter)
}

/// After this many requests in a row fail, the collector is taken to be unreachable and the
/// remaining batches go straight to the failed-batch file (or are counted as not sent).
const GIVE_UP_AFTER: usize = 3;

/// Requests in flight at once: enough to keep both cores encoding while the collector answers.
const IN_FLIGHT: usize = 4;

/// Sends every span; never drops one silently: what could not be sent is counted in the report
/// and, with `failed_file`, written there as OTLP JSON.
///
/// One exporter per service (each carries its resource), requests sent concurrently (at most
/// [`IN_FLIGHT`]); each batch is turned into `SpanData` and encoded on the runtime's workers,
/// so both cores work.
pub fn send(
    spans: &std::sync::Arc<[PlannedSpan]>,
    opts: &SendOptions,
    env: Env<'_>,
) -> anyhow::Result<SendReport> {
    let protocol = resolve_protocol(opts.protocol, env)?;
    let endpoint = resolve_endpoint(opts.endpoint.as_deref(), protocol, env);
    let headers = resolve_headers(&opts.headers, env);
    let timeout = resolve_timeout(opts.timeout, env);
    let certificate = resolve_certificate(opts.certificate.clone(), env);
    // reqwest is built without a provider of its own; ring is the one tonic uses too. An error
    // only means one is installed already.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let started = std::time::Instant::now();
    let mut report = SendReport {
        protocol: protocol.as_str(),
        endpoint: endpoint.clone(),
        ..Default::default()
    };
    let mut failed_out = match &opts.failed_file {
        Some(p) => Some(std::io::BufWriter::new(
            std::fs::File::create(p)
                .map_err(|e| anyhow::anyhow!("creating {}: {e}", p.display()))?,
        )),
        None => None,
    };
    let scope = scope();
    let cluster = opts.cluster.as_deref();
    // (first index, span indices) of each request, in order.
    let mut requests: Vec<(&'static str, Vec<usize>)> = Vec::new();
    let batch = opts.batch_spans.max(1);
    for (c, chunk) in spans.chunks(batch).enumerate() {
        for (svc, group) in by_service(chunk) {
            let base = c * batch;
            requests.push((svc, group.into_iter().map(|i| base + i).collect()));
        }
    }
    // Outcome of each request: Ok or the error text.
    let outcomes: Vec<Result<(), String>> = rt.block_on(async {
        let mut exporters: std::collections::HashMap<
            &'static str,
            std::sync::Arc<opentelemetry_otlp::SpanExporter>,
        > = std::collections::HashMap::new();
        let mut outcomes: Vec<Option<Result<(), String>>> = vec![None; requests.len()];
        let mut tasks = tokio::task::JoinSet::new();
        let mut failures_in_a_row = 0;
        let mut next = 0;
        while next < requests.len() || !tasks.is_empty() {
            while next < requests.len()
                && tasks.len() < IN_FLIGHT
                && failures_in_a_row < GIVE_UP_AFTER
            {
                let (svc, idx) = &requests[next];
                let ex = match exporters.get(svc) {
                    Some(e) => e.clone(),
                    None => {
                        // Built inside the runtime: the transports need its reactor.
                        let mut e = build_exporter(
                            protocol,
                            &endpoint,
                            &headers,
                            timeout,
                            certificate.as_ref(),
                        )
                        .map_err(|e| {
                            anyhow::anyhow!(
                                "OTLP exporter for {endpoint} ({}): {e}",
                                protocol.as_str()
                            )
                        })?;
                        e.set_resource(&resource(svc, cluster));
                        let e = std::sync::Arc::new(e);
                        exporters.insert(svc, e.clone());
                        e
                    }
                };
                let data: Vec<SpanData> =
                    idx.iter().map(|&i| span_data(&spans[i], &scope)).collect();
                let k = next;
                tasks.spawn(async move { (k, ex.export(data).await.map_err(|e| e.to_string())) });
                next += 1;
            }
            let Some(done) = tasks.join_next().await else {
                // Gave up: the rest is not attempted.
                for o in outcomes.iter_mut().skip(next) {
                    *o = Some(Err(
                        "not attempted: the collector failed the previous requests".into(),
                    ));
                }
                break;
            };
            let (k, r) = done.map_err(|e| anyhow::anyhow!("export task: {e}"))?;
            failures_in_a_row = if r.is_ok() { 0 } else { failures_in_a_row + 1 };
            outcomes[k] = Some(r);
        }
        for e in exporters.values() {
            let _ = e.shutdown();
        }
        anyhow::Ok(
            outcomes
                .into_iter()
                .map(|o| o.unwrap_or(Err("not attempted".into())))
                .collect(),
        )
    })?;
    for ((_, idx), outcome) in requests.iter().zip(outcomes) {
        match outcome {
            Ok(()) => {
                report.spans_sent += idx.len();
                report.requests_sent += 1;
            }
            Err(e) => {
                report.spans_failed += idx.len();
                report.requests_failed += 1;
                match report.errors.iter_mut().find(|(m, _)| *m == e) {
                    Some((_, c)) => *c += 1,
                    None => report.errors.push((e, 1)),
                }
                if let Some(out) = failed_out.as_mut() {
                    let owned: Vec<PlannedSpan> = idx.iter().map(|&i| spans[i].clone()).collect();
                    report.spans_saved += write_json(&owned, usize::MAX, cluster, out)?;
                }
            }
        }
    }
    if let Some(mut out) = failed_out {
        out.flush()?;
    }
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
        assert_eq!(resolve_timeout(None, &e), Duration::from_millis(2500));
        assert_eq!(
            resolve_headers(&[("X-Team".into(), "web".into())], &e),
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
    fn percent_decoding_keeps_bad_escapes() {
        assert_eq!(percent_decode("a%20b%2"), "a b%2");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
