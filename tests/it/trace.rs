//! Issue 5: traces. Spans sent over gRPC and HTTP/protobuf to test-side receivers built from the
//! OTLP protobuf types, checked field by field; determinism across runs and split runs; OTLP
//! JSON and Perfetto files.

use std::collections::BTreeMap;
use std::path::PathBuf;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::Span;
use podtrace::simulate::{SimOptions, generate};
use podtrace::trace::otlp::{self, Protocol, SendOptions};
use podtrace::trace::{self, PlannedSpan, TraceOptions, hex};
use sha2::{Digest, Sha256};

use crate::receiver::{Received, Receiver};
use crate::util::{analyze, repo};

fn demo() -> PathBuf {
    repo().join("samples/seed-demo")
}

fn no_env(_: &str) -> Option<String> {
    None
}

/// (service.name, span) for every span of every request.
fn flatten(reqs: &[Received]) -> Vec<(String, Span)> {
    let mut out = Vec::new();
    for r in reqs {
        for rs in &r.request.resource_spans {
            let svc = rs
                .resource
                .as_ref()
                .and_then(|res| str_attr(&res.attributes, "service.name"))
                .unwrap_or_default();
            for ss in &rs.scope_spans {
                let scope = ss.scope.as_ref().unwrap();
                assert_eq!(scope.name, "podtrace");
                for s in &ss.spans {
                    out.push((svc.clone(), s.clone()));
                }
            }
        }
    }
    out
}

fn attr<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a any_value::Value> {
    attrs
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|v: &AnyValue| v.value.as_ref())
}

fn str_attr(attrs: &[KeyValue], key: &str) -> Option<String> {
    match attr(attrs, key) {
        Some(any_value::Value::StringValue(s)) => Some(s.clone()),
        _ => None,
    }
}

fn int_attr(attrs: &[KeyValue], key: &str) -> Option<i64> {
    match attr(attrs, key) {
        Some(any_value::Value::IntValue(i)) => Some(*i),
        _ => None,
    }
}

fn send(spans: &[PlannedSpan], protocol: Protocol, endpoint: String) -> otlp::SendReport {
    let o = SendOptions {
        protocol: Some(protocol),
        endpoint: Some(endpoint),
        headers: vec![("authorization".into(), "Bearer s3cret".into())],
        batch_spans: 1000,
        ..Default::default()
    };
    otlp::send(&spans.to_vec().into(), &o, &no_env).unwrap()
}

/// The request the exporter should have produced, spans keyed by id.
fn expected(spans: &[PlannedSpan]) -> BTreeMap<Vec<u8>, (String, Span)> {
    let req = otlp::request(spans, None);
    let r = Received {
        headers: Vec::new(),
        path: String::new(),
        request: req,
    };
    flatten(&[r])
        .into_iter()
        .map(|(svc, s)| (s.span_id.clone(), (svc, s)))
        .collect()
}

fn check_every_field(spans: &[PlannedSpan], got: &[(String, Span)]) {
    let want = expected(spans);
    assert_eq!(got.len(), spans.len(), "span count");
    assert_eq!(want.len(), spans.len(), "span ids are unique");
    for (svc, s) in got {
        let (wsvc, w) = want
            .get(&s.span_id)
            .unwrap_or_else(|| panic!("unexpected span {}", s.name));
        assert_eq!(svc, wsvc, "service of {}", s.name);
        // Every field: ids, parent, name, kind, times, attributes, events, status, flags.
        assert_eq!(s, w, "span {}", s.name);
    }
}

#[test]
fn demo_trace_over_grpc_has_every_span_and_field() {
    let a = analyze(&[demo()]);
    let pod = &a.pods[0];
    let spans = trace::plan(pod, &TraceOptions::default());
    // Root + every phase with both ends + per container (1 + pull, create, start) + one
    // programming span per node.
    let containers: usize = pod.containers.iter().map(|c| 1 + c.phases.len()).sum();
    assert_eq!(
        spans.len(),
        1 + podtrace::timeline::PHASES
            .iter()
            .filter(|(n, _, _)| pod.phases.contains_key(n))
            .count()
            + containers
            + pod.programmed.len()
            + pod.consumers.len()
    );
    assert_eq!(spans.len(), 23);

    let rx = Receiver::grpc(true);
    let report = send(&spans, Protocol::Grpc, format!("http://{}", rx.addr));
    assert_eq!((report.spans_sent, report.spans_failed), (23, 0));
    // One request per service in the batch: apiserver, kubelet, containerd, cni, kube-proxy.
    assert_eq!(report.requests_sent, 5);
    let got_reqs = rx.received();
    assert_eq!(got_reqs.len(), 5);
    assert!(got_reqs.iter().all(|r| {
        r.headers
            .contains(&("authorization".into(), "Bearer s3cret".into()))
    }));
    let got = flatten(&got_reqs);
    check_every_field(&spans, &got);

    // Independent checks of the values that matter, from the demo's files.
    let uid = "8d3f6c1e-5b2a-4c7d-9e41-2f6a7b9c0d13";
    let mut h = Sha256::new();
    h.update(b"podtrace/trace\0\0uid:");
    h.update(uid.as_bytes());
    let trace_id = h.finalize()[..16].to_vec();
    assert_eq!(hex(&trace_id), "7ceb301c5088bf20b56e97d90f8273a0");
    assert!(got.iter().all(|(_, s)| s.trace_id == trace_id));
    let by_name: BTreeMap<&str, (&str, &Span)> = got
        .iter()
        .map(|(svc, s)| (s.name.as_str(), (svc.as_str(), s)))
        .collect();
    let (svc, root) = by_name["default/pod-demo"];
    assert_eq!(svc, "kube-apiserver");
    assert!(root.parent_span_id.is_empty());
    // requested (audit requestReceivedTimestamp) → last kube-proxy programming.
    assert_eq!(root.start_time_unix_nano, 1_732_875_300_112_345_000);
    assert_eq!(root.end_time_unix_nano, 1_732_875_305_989_298_000);
    assert_eq!(
        str_attr(&root.attributes, "k8s.pod.uid").as_deref(),
        Some(uid)
    );
    assert_eq!(
        str_attr(&root.attributes, "k8s.node.name").as_deref(),
        Some("kind-worker")
    );
    assert_eq!(root.events.len(), 17, "one event per milestone");
    let ev = root.events.iter().find(|e| e.name == "scheduled").unwrap();
    assert_eq!(ev.time_unix_nano, 1_732_875_300_144_018_000);
    assert!(s_evidence(&ev.attributes).ends_with("kube-apiserver-audit.log:4"));

    let (svc, prep) = by_name["kubelet_prep"];
    assert_eq!(svc, "containerd");
    assert_eq!(prep.parent_span_id, root.span_id);
    assert_eq!(prep.start_time_unix_nano, 1_732_875_300_146_214_000);
    assert_eq!(prep.end_time_unix_nano, 1_732_875_300_262_917_455);
    assert_eq!(
        int_attr(&prep.attributes, "podtrace.duration_ns"),
        Some(116_703_455)
    );
    let (_, volumes) = by_name["volumes"];
    assert_eq!(
        volumes.parent_span_id, prep.span_id,
        "volumes nests in kubelet_prep"
    );
    let (svc, network) = by_name["network"];
    assert_eq!(svc, "cni");
    assert_eq!(network.parent_span_id, by_name["sandbox"].1.span_id);
    let (_, pull) = by_name["image_pull webserver"];
    assert_eq!(
        pull.parent_span_id,
        by_name["container webserver"].1.span_id
    );
    assert_eq!(
        pull.end_time_unix_nano - pull.start_time_unix_nano,
        4_519_419_032
    );
    let (_, cont) = by_name["container webserver"];
    assert_eq!(
        str_attr(&cont.attributes, "container.name").as_deref(),
        Some("webserver")
    );
    assert!(str_attr(&cont.attributes, "container.image.name").is_some());
    let (svc, prog) = by_name["programmed kind-worker"];
    assert_eq!(svc, "kube-proxy");
    assert_eq!(prog.parent_span_id, by_name["programming"].1.span_id);
    assert_eq!(prog.end_time_unix_nano, 1_732_875_305_983_752_000);
    assert_eq!(
        str_attr(&prog.attributes, "k8s.node.name").as_deref(),
        Some("kind-worker")
    );
    // No failure in the demo: no status set anywhere.
    assert!(
        got.iter()
            .all(|(_, s)| s.status.as_ref().is_none_or(|st| st.code == 0))
    );
}

fn s_evidence(attrs: &[KeyValue]) -> String {
    str_attr(attrs, "podtrace.evidence").unwrap_or_default()
}

fn simulated(dir: &std::path::Path, pods: usize, failures: bool) {
    let o = SimOptions {
        pods,
        nodes: 3,
        seed: 5,
        failures,
        ..Default::default()
    };
    generate(dir, &o).unwrap();
}

#[test]
fn generated_bundle_over_http_matches_truth() {
    let dir = tempfile::tempdir().unwrap();
    simulated(dir.path(), 200, true);
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(podtrace::simulate::truth_path(dir.path())).unwrap())
            .unwrap();
    let a = analyze(&[dir.path().to_path_buf()]);
    assert_eq!(a.pods.len(), 200);
    let spans = trace::plan_all(&a.pods, &TraceOptions::default());
    let rx = Receiver::http(true);
    let report = send(
        &spans,
        Protocol::HttpProtobuf,
        format!("http://{}", rx.addr),
    );
    assert_eq!(report.spans_failed, 0);
    assert_eq!(report.spans_sent, spans.len());
    let reqs = rx.received();
    assert!(reqs.iter().all(|r| r.path == "/v1/traces"));
    assert!(reqs.iter().all(|r| {
        r.headers
            .contains(&("content-type".into(), "application/x-protobuf".into()))
    }));
    assert!(reqs.iter().all(|r| {
        r.headers
            .contains(&("authorization".into(), "Bearer s3cret".into()))
    }));
    let got = flatten(&reqs);
    check_every_field(&spans, &got);

    // Against the generator's ground truth: each root starts at the true `requested` (µs) and
    // the scheduling span ends at the true `scheduled`; failures give Error spans.
    let mut errors = 0;
    for tp in truth["pods"].as_array().unwrap() {
        let uid = tp["uid"].as_str().unwrap();
        let root = got
            .iter()
            .map(|(_, s)| s)
            .find(|s| {
                s.parent_span_id.is_empty()
                    && str_attr(&s.attributes, "k8s.pod.uid").as_deref() == Some(uid)
            })
            .unwrap_or_else(|| panic!("no root for {uid}"));
        let m = &tp["milestones"];
        assert_eq!(
            root.start_time_unix_nano as i64,
            m["requested"].as_i64().unwrap() * 1000,
            "{uid}"
        );
        let sched = got
            .iter()
            .map(|(_, s)| s)
            .find(|s| s.trace_id == root.trace_id && s.name == "scheduling")
            .unwrap();
        assert_eq!(
            sched.end_time_unix_nano as i64,
            m["scheduled"].as_i64().unwrap() * 1000
        );
        if !tp["failures"].as_array().unwrap().is_empty() {
            let failed: Vec<&Span> = got
                .iter()
                .map(|(_, s)| s)
                .filter(|s| {
                    s.trace_id == root.trace_id && s.status.as_ref().is_some_and(|st| st.code == 2)
                })
                .collect();
            assert!(!failed.is_empty(), "{uid}: a failure gives an Error span");
            assert!(
                failed
                    .iter()
                    .all(|s| s.events.iter().any(|e| e.name.starts_with("failure: ")))
            );
            errors += 1;
        }
    }
    assert!(errors > 0, "the bundle has failures");
}

#[test]
fn unreachable_collector_is_named_and_batches_are_kept() {
    let a = analyze(&[demo()]);
    let spans = trace::plan_all(&a.pods, &TraceOptions::default());
    // A port nothing listens on: bind, read the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let failed = dir.path().join("failed.jsonl");
    let o = SendOptions {
        protocol: Some(Protocol::HttpProtobuf),
        endpoint: Some(format!("127.0.0.1:{port}")),
        batch_spans: 1000,
        failed_file: Some(failed.clone()),
        timeout: Some(std::time::Duration::from_secs(2)),
        ..Default::default()
    };
    let r = otlp::send(&spans.clone().into(), &o, &no_env).unwrap();
    assert_eq!(r.endpoint, format!("http://127.0.0.1:{port}/v1/traces"));
    assert_eq!((r.spans_sent, r.spans_failed, r.spans_saved), (0, 23, 23));
    assert!(!r.errors.is_empty());
    // The saved batches are OTLP JSON that reads back to the same spans.
    let text = std::fs::read_to_string(&failed).unwrap();
    let reqs: Vec<Received> = text
        .lines()
        .map(|l| Received {
            headers: Vec::new(),
            path: String::new(),
            request: serde_json::from_str::<ExportTraceServiceRequest>(l).unwrap(),
        })
        .collect();
    check_every_field(&spans, &flatten(&reqs));

    // The command line names the endpoint and exits 1.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_podtrace"))
        .args([
            "trace",
            "-q",
            "--protocol",
            "grpc",
            "--timeout",
            "2s",
            "--endpoint",
        ])
        .arg(format!("http://127.0.0.1:{port}"))
        .arg(demo())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("to http://127.0.0.1:{port} (grpc) failed")),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("NOT sent: 23 spans"), "{stdout}");
}

/// (trace id, span id) → span name for a run.
fn ids(paths: &[PathBuf]) -> BTreeMap<([u8; 16], [u8; 8]), String> {
    let a = analyze(paths);
    trace::plan_all(&a.pods, &TraceOptions::default())
        .into_iter()
        .map(|s| ((s.trace_id, s.span_id), s.name))
        .collect()
}

#[test]
fn ids_are_deterministic_across_runs_and_split_runs() {
    let dir = tempfile::tempdir().unwrap();
    simulated(dir.path(), 60, false);
    let full = ids(&[dir.path().to_path_buf()]);
    assert_eq!(full, ids(&[dir.path().to_path_buf()]), "two runs");

    // Split by node: the control plane with one worker, then the control plane with the others.
    let cp = dir.path().join("kind-control-plane");
    let a = ids(&[cp.clone(), dir.path().join("kind-worker")]);
    let b = ids(&[
        cp,
        dir.path().join("kind-worker2"),
        dir.path().join("kind-worker3"),
    ]);
    let mut matched = 0;
    for part in [&a, &b] {
        for (k, name) in part {
            assert_eq!(full.get(k), Some(name), "span {name} of a partial run");
            matched += 1;
        }
    }
    assert!(matched > full.len() / 2, "{matched} of {}", full.len());
    // Every pod's phase spans appear in the half that holds its node.
    for (k, name) in &full {
        if name == "kubelet_prep" {
            assert!(a.contains_key(k) || b.contains_key(k), "{name}");
        }
    }
    // A cluster name gives other trace ids.
    let p = analyze(&[demo()]);
    let with = trace::trace_id(Some("prod"), &p.pods[0]);
    assert_ne!(with, trace::trace_id(None, &p.pods[0]));
}

#[test]
fn otlp_json_and_perfetto_files() {
    let dir = tempfile::tempdir().unwrap();
    let (j, pf) = (
        dir.path().join("t.jsonl"),
        dir.path().join("t.perfetto.json"),
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_podtrace"))
        .args(["trace", "-q", "--batch-size", "10", "--otlp-file"])
        .arg(&j)
        .arg("--perfetto")
        .arg(&pf)
        .arg(demo())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !stdout.contains("sent "),
        "files alone skip the network: {stdout}"
    );

    // OTLP JSON: hex ids, string nanoseconds, three lines of ≤ 10 spans.
    let text = std::fs::read_to_string(&j).unwrap();
    assert_eq!(text.lines().count(), 3);
    assert!(text.contains(r#""traceId":"7ceb301c5088bf20b56e97d90f8273a0""#));
    assert!(text.contains(r#""startTimeUnixNano":"1732875300146214000""#));
    let a = analyze(&[demo()]);
    let spans = trace::plan_all(&a.pods, &TraceOptions::default());
    let reqs: Vec<Received> = text
        .lines()
        .map(|l| Received {
            headers: Vec::new(),
            path: String::new(),
            request: serde_json::from_str(l).unwrap(),
        })
        .collect();
    check_every_field(&spans, &flatten(&reqs));

    // Perfetto: a process per pod, every span a complete event, µs from the first span.
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&pf).unwrap()).unwrap();
    let evs = doc["traceEvents"].as_array().unwrap();
    let complete: Vec<&serde_json::Value> = evs.iter().filter(|e| e["ph"] == "X").collect();
    assert_eq!(complete.len(), 23);
    let prep = complete
        .iter()
        .find(|e| e["name"] == "kubelet_prep")
        .unwrap();
    // requested = origin; kubelet_seen is 33.869 ms later; kubelet_prep lasts 116.703455 ms.
    assert_eq!(prep["ts"].as_f64().unwrap(), 33_869.0);
    assert_eq!(prep["dur"].as_f64().unwrap(), 116_703.455);
    assert_eq!(
        doc["otherData"]["origin_utc"],
        "2024-11-29T10:15:00.112345000Z"
    );
    let name = evs
        .iter()
        .find(|e| e["ph"] == "M" && e["name"] == "process_name")
        .unwrap();
    assert_eq!(name["args"]["name"], "default/pod-demo");
    assert_eq!(
        evs.iter().filter(|e| e["ph"] == "i").count(),
        17 + 5,
        "pod and container milestones"
    );
}

/// A CA and a certificate for localhost signed by it, made with the openssl command.
fn certificates(dir: &std::path::Path) -> (PathBuf, Vec<u8>, Vec<u8>) {
    let run = |args: &[&str]| {
        let st = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("the openssl command (Debian package openssl) is needed");
        assert!(
            st.status.success(),
            "{}",
            String::from_utf8_lossy(&st.stderr)
        );
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    run(&[
        &["req", "-x509"][..],
        &ec,
        &[
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=podtrace test CA",
        ],
    ]
    .concat());
    run(&[
        &["req"][..],
        &ec,
        &[
            "-keyout",
            "srv.key",
            "-out",
            "srv.csr",
            "-subj",
            "/CN=localhost",
        ],
    ]
    .concat());
    std::fs::write(
        dir.join("ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "srv.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "srv.pem",
        "-days",
        "2",
        "-extfile",
        "ext",
    ]);
    (
        dir.join("ca.pem"),
        std::fs::read(dir.join("srv.pem")).unwrap(),
        std::fs::read(dir.join("srv.key")).unwrap(),
    )
}

#[test]
fn tls_with_a_private_ca() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = certificates(dir.path());
    let rx = Receiver::grpc_tls(&cert, &key);
    let a = analyze(&[demo()]);
    let spans: std::sync::Arc<[PlannedSpan]> =
        trace::plan_all(&a.pods, &TraceOptions::default()).into();
    let endpoint = format!("https://localhost:{}", rx.addr.port());
    let mut o = SendOptions {
        protocol: Some(Protocol::Grpc),
        endpoint: Some(endpoint.clone()),
        batch_spans: 1000,
        timeout: Some(std::time::Duration::from_secs(5)),
        ..Default::default()
    };
    // Without the CA the server is not trusted: nothing sent, and the report says so.
    let r = otlp::send(&spans, &o, &no_env).unwrap();
    assert_eq!((r.spans_sent, r.spans_failed), (0, 23));
    assert!(rx.received().is_empty());
    // With it (here through the standard variable), every span arrives intact.
    o.certificate = None;
    let ca_s = ca.to_string_lossy().into_owned();
    let env = move |k: &str| (k == "OTEL_EXPORTER_OTLP_CERTIFICATE").then(|| ca_s.clone());
    let r = otlp::send(&spans, &o, &env).unwrap();
    assert_eq!((r.spans_sent, r.spans_failed), (23, 0), "{:?}", r.errors);
    check_every_field(&spans, &flatten(&rx.received()));
}

#[test]
fn https_with_a_private_ca() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = certificates(dir.path());
    let rx = Receiver::https(&cert, &key);
    let a = analyze(&[demo()]);
    let spans: std::sync::Arc<[PlannedSpan]> =
        trace::plan_all(&a.pods, &TraceOptions::default()).into();
    let mut o = SendOptions {
        protocol: Some(Protocol::HttpProtobuf),
        endpoint: Some(format!("https://localhost:{}", rx.addr.port())),
        batch_spans: 1000,
        timeout: Some(std::time::Duration::from_secs(5)),
        headers: vec![("authorization".into(), "Bearer s3cret".into())],
        ..Default::default()
    };
    // Untrusted server: nothing delivered, every span counted as failed.
    let r = otlp::send(&spans, &o, &no_env).unwrap();
    assert_eq!((r.spans_sent, r.spans_failed), (0, 23));
    assert!(rx.received().is_empty());
    o.certificate = Some(ca);
    let r = otlp::send(&spans, &o, &no_env).unwrap();
    assert_eq!((r.spans_sent, r.spans_failed), (23, 0), "{:?}", r.errors);
    let got = rx.received();
    assert!(got.iter().all(|g| {
        g.path == "/v1/traces"
            && g.headers
                .contains(&("authorization".into(), "Bearer s3cret".into()))
    }));
    check_every_field(&spans, &flatten(&got));
}

#[test]
fn the_direct_encoder_is_the_sdk_conversion_field_for_field() {
    // What is sent is built straight from the planned spans; the SDK's SpanData path is the
    // reference. Every pod of the demo and of a generated bundle with failures (error
    // statuses, array attributes), with and without a cluster name, in batches of every size.
    let dir = tempfile::tempdir().unwrap();
    simulated(dir.path(), 200, true);
    let mut checked = 0;
    for paths in [vec![demo()], vec![dir.path().to_path_buf()]] {
        let a = analyze(&paths);
        for cluster in [None, Some("prod")] {
            let o = TraceOptions {
                cluster: cluster.map(str::to_owned),
            };
            let spans = trace::plan_all(&a.pods, &o);
            assert!(spans.iter().any(|s| s.error.is_some()) || paths[0] == demo());
            for batch in [1, 7, 1000, usize::MAX] {
                for chunk in spans.chunks(batch.min(spans.len())) {
                    let direct = otlp::request(chunk, cluster);
                    let sdk = otlp::request_via_sdk(chunk, cluster);
                    assert!(direct == sdk, "batch of {batch}: {direct:#?}\n{sdk:#?}");
                    assert_eq!(
                        prost::Message::encode_to_vec(&direct),
                        prost::Message::encode_to_vec(&sdk)
                    );
                    checked += chunk.len();
                }
            }
        }
    }
    assert!(checked > 30_000, "{checked} spans");
}
