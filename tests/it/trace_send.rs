//! Issue 17: what the receiver answers is read. A `partial_success` with rejected spans is
//! reported (`N spans rejected by the receiver: reason`, exit 1) over gRPC and HTTP/protobuf;
//! refusals are retried with back-off or not, as the OTLP spec says; and `trace` refuses a zero
//! timeout, a zero batch size and OTEL_* variables it cannot read.

use std::path::PathBuf;

use podtrace::trace::otlp::{self, Protocol, SendOptions};
use podtrace::trace::{self, PlannedSpan, TraceOptions};

use crate::receiver::Receiver;
use crate::util::{analyze, repo};

fn demo() -> PathBuf {
    repo().join("samples/seed-demo")
}

fn demo_spans() -> std::sync::Arc<[PlannedSpan]> {
    let a = analyze(&[demo()]);
    trace::plan_all(&a.pods, &TraceOptions::default()).into()
}

fn no_env(_: &str) -> Option<String> {
    None
}

fn options(protocol: Protocol, rx: &Receiver) -> SendOptions {
    SendOptions {
        protocol: Some(protocol),
        endpoint: Some(format!("http://{}", rx.addr)),
        batch_spans: 1000,
        timeout: Some(std::time::Duration::from_secs(5)),
        ..Default::default()
    }
}

fn receiver(protocol: Protocol) -> Receiver {
    match protocol {
        Protocol::Grpc => Receiver::grpc(true),
        Protocol::HttpProtobuf => Receiver::http(true),
    }
}

/// Runs the binary with extra environment variables: (exit code, stdout, stderr).
fn podtrace_env(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_podtrace"));
    cmd.args(args).current_dir(repo());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The demo's 23 spans go out as 5 requests (one per service); a receiver that rejects one span
/// of each says so five times.
#[test]
fn partial_success_is_counted_and_reported_over_both_transports() {
    for protocol in [Protocol::Grpc, Protocol::HttpProtobuf] {
        let rx = receiver(protocol);
        rx.answer_partial_success(1, "span too large");
        let r = otlp::send(&demo_spans(), &options(protocol, &rx), &no_env).unwrap();
        assert_eq!(r.requests_sent, 5, "{protocol:?}");
        assert_eq!(
            (r.spans_sent, r.spans_rejected, r.spans_failed),
            (18, 5, 0),
            "{protocol:?}"
        );
        assert_eq!(r.rejections, vec![("span too large".to_owned(), 5)]);
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        // Every span did reach the receiver: it is the receiver that dropped five.
        assert_eq!(rx.spans(), 23);

        // The command line: the message and count on stderr, the taken spans on stdout, exit 1.
        let rx = receiver(protocol);
        rx.answer_partial_success(1, "span too large");
        let (code, stdout, stderr) = podtrace_env(
            &[
                "trace",
                "-q",
                "--protocol",
                protocol.as_str(),
                "--endpoint",
                &format!("http://{}", rx.addr),
            ],
            &[],
        );
        assert_eq!(code, 1, "{protocol:?}: {stdout}{stderr}");
        assert!(
            stderr.contains("podtrace: 5 spans rejected by the receiver: span too large\n"),
            "{protocol:?}: {stderr}"
        );
        assert!(stdout.contains("sent 18 spans in 5 requests"), "{stdout}");
        assert!(!stdout.contains("NOT sent"), "{stdout}");
    }
}

/// A receiver's numbers and text are not trusted: more rejected spans than the request held
/// count as the request's, a negative count as none, and control characters in the reason
/// reach the terminal escaped.
#[test]
fn hostile_partial_success_is_bounded_and_escaped() {
    let rx = Receiver::http(true);
    rx.answer_partial_success(1_000_000, "no\x1b]52;c;aGk=\x07 thanks\r\nforged line");
    let r = otlp::send(
        &demo_spans(),
        &options(Protocol::HttpProtobuf, &rx),
        &no_env,
    )
    .unwrap();
    assert_eq!((r.spans_sent, r.spans_rejected), (0, 23));
    let (code, _, stderr) = podtrace_env(
        &[
            "trace",
            "-q",
            "--protocol",
            "http/protobuf",
            "--endpoint",
            &format!("http://{}", rx.addr),
        ],
        &[],
    );
    assert_eq!(code, 1);
    assert!(
        stderr.contains(
            r"podtrace: 23 spans rejected by the receiver: no\x1b]52;c;aGk=\x07 thanks\r\nforged line"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains('\x1b'), "{stderr:?}");

    let rx = Receiver::grpc(true);
    rx.answer_partial_success(-4, "");
    let r = otlp::send(&demo_spans(), &options(Protocol::Grpc, &rx), &no_env).unwrap();
    assert_eq!((r.spans_sent, r.spans_rejected), (23, 0));
    assert!(r.rejections.is_empty() && r.warnings.is_empty());
}

/// A `partial_success` that rejects nothing but says something is a warning: shown, exit 0.
#[test]
fn partial_success_without_rejections_is_a_warning() {
    let rx = Receiver::grpc(true);
    rx.answer_partial_success(0, "attribute values truncated to 4096 bytes");
    let (code, stdout, stderr) = podtrace_env(
        &["trace", "-q", "--endpoint", &format!("http://{}", rx.addr)],
        &[],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("sent 23 spans in 5 requests"), "{stdout}");
    assert!(
        stderr.contains(
            "podtrace: warning: the receiver warned: attribute values truncated to 4096 bytes (5 request(s))"
        ),
        "{stderr}"
    );
}

/// 503 / Unavailable are retried with back-off (every span arrives, nothing counted as failed);
/// 400 / InvalidArgument are not (one attempt per request, the batches kept in the failed file).
#[test]
fn refusals_are_retried_only_when_the_spec_says_so() {
    for protocol in [Protocol::Grpc, Protocol::HttpProtobuf] {
        let rx = receiver(protocol);
        // One request at a time, so that the refusals fall on one request's attempts.
        let mut o = options(protocol, &rx);
        o.batch_spans = 100_000;
        let spans: std::sync::Arc<[PlannedSpan]> = demo_spans()
            .iter()
            .filter(|s| s.service == "kubelet")
            .cloned()
            .collect();
        rx.refuse_next(2, 503);
        let started = std::time::Instant::now();
        let r = otlp::send(&spans, &o, &no_env).unwrap();
        assert_eq!(
            (r.spans_sent, r.spans_failed, r.requests_sent),
            (spans.len(), 0, 1),
            "{protocol:?}: {:?}",
            r.errors
        );
        assert_eq!(
            rx.attempts(),
            3,
            "{protocol:?}: two refusals, then accepted"
        );
        // Back-off: 100 ms, then 200 ms (each with up to 100 ms of jitter, capped at 1.6 s).
        assert!(
            started.elapsed() >= std::time::Duration::from_millis(300),
            "{:?}",
            started.elapsed()
        );

        // One span per request: 23 requests.
        let rx = receiver(protocol);
        let dir = tempfile::tempdir().unwrap();
        let mut o = options(protocol, &rx);
        o.batch_spans = 1;
        o.failed_file = Some(dir.path().join("failed.jsonl"));
        rx.refuse_next(usize::MAX, 400);
        let spans = demo_spans();
        let r = otlp::send(&spans, &o, &no_env).unwrap();
        assert_eq!((r.spans_sent, r.spans_failed, r.spans_saved), (0, 23, 23));
        // Each refused once, not retried: four in flight, two more started as the first two
        // failed, then three failures in a row and the receiver is taken as unreachable.
        assert_eq!(rx.attempts(), 6, "{protocol:?}");
        let want = match protocol {
            Protocol::Grpc => "gRPC status InvalidArgument",
            Protocol::HttpProtobuf => "HTTP status 400 Bad Request",
        };
        assert_eq!(
            r.errors,
            vec![
                (want.to_owned(), 6),
                (
                    "not attempted: the collector failed the previous requests".to_owned(),
                    17
                )
            ]
        );
        // The failed file holds every request, one per line, in the order they were made.
        let saved = std::fs::read_to_string(dir.path().join("failed.jsonl")).unwrap();
        let ids: Vec<String> = saved
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                v["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["spanId"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        let want_ids: Vec<String> = spans.iter().map(|s| trace::hex(&s.span_id)).collect();
        assert_eq!(ids, want_ids);
    }
}

/// `--timeout 0s` and `--batch-size 0` are refused by the command line itself.
#[test]
fn zero_timeout_and_zero_batch_size_are_refused() {
    let (code, _, stderr) = podtrace_env(&["trace", "-q", "--timeout", "0s"], &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("invalid value '0s' for '--timeout <TIMEOUT>'")
            && stderr.contains("the timeout must be longer than zero"),
        "{stderr}"
    );
    let (code, _, stderr) = podtrace_env(&["trace", "-q", "--timeout", "0.0000000001s"], &[]);
    assert_eq!(code, 2, "rounds to zero: {stderr}");
    let (code, _, stderr) = podtrace_env(&["trace", "-q", "--batch-size", "0"], &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("invalid value '0' for '--batch-size <BATCH_SIZE>'")
            && stderr.contains("0 is not in 1.."),
        "{stderr}"
    );
    // The smallest valid values are taken: one span per request and per line.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("t.jsonl");
    let (code, stdout, stderr) = podtrace_env(
        &[
            "trace",
            "-q",
            "--timeout",
            "1ns",
            "--batch-size",
            "1",
            "--otlp-file",
            f.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(std::fs::read_to_string(&f).unwrap().lines().count(), 23);
}

/// OTEL_* variables podtrace reads are errors when they cannot be read (before anything is
/// sent or written), or a printed warning when valid but not offered; never silently ignored.
#[test]
fn unreadable_otel_variables_are_errors_not_silence() {
    let rx = Receiver::grpc(true);
    let endpoint = format!("http://{}", rx.addr);
    let run = |env: &[(&str, &str)]| podtrace_env(&["trace", "-q", "--endpoint", &endpoint], env);
    for (var, value, says) in [
        (
            "OTEL_EXPORTER_OTLP_TIMEOUT",
            "10s",
            "OTEL_EXPORTER_OTLP_TIMEOUT=\"10s\": expected a timeout in whole milliseconds above zero",
        ),
        (
            "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
            "0",
            "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT=\"0\": expected a timeout",
        ),
        (
            "OTEL_EXPORTER_OTLP_HEADERS",
            "authorization=Bearer x,x-team",
            "OTEL_EXPORTER_OTLP_HEADERS: expected key=value, got \"x-team\"",
        ),
        (
            "OTEL_EXPORTER_OTLP_COMPRESSION",
            "zip",
            "OTEL_EXPORTER_OTLP_COMPRESSION=\"zip\": expected gzip or none",
        ),
        (
            "OTEL_EXPORTER_OTLP_PROTOCOL",
            "http/json",
            "OTEL_EXPORTER_OTLP_PROTOCOL=\"http/json\"",
        ),
    ] {
        let (code, stdout, stderr) = run(&[(var, value)]);
        assert_eq!(code, 2, "{var}={value}: {stdout}{stderr}");
        assert!(stderr.contains(says), "{var}={value}: {stderr}");
        assert!(!stdout.contains("sent "), "{stdout}");
    }
    assert!(rx.received().is_empty(), "nothing sent with a bad variable");

    // A valid value that podtrace does not offer: said, then sent uncompressed.
    let (code, stdout, stderr) = run(&[("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stderr.contains("podtrace: warning: OTEL_EXPORTER_OTLP_COMPRESSION=gzip: podtrace sends uncompressed requests"),
        "{stderr}"
    );
    assert!(stdout.contains("sent 23 spans"), "{stdout}");
    // A valid timeout is used; `none` compression is silent.
    let (code, _, stderr) = run(&[
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "5000"),
        ("OTEL_EXPORTER_OTLP_COMPRESSION", "none"),
    ]);
    assert_eq!((code, stderr.as_str()), (0, ""));
}

/// The largest timeouts a flag or variable can give are used as they are, without an overflow
/// anywhere in the deadlines: an unreachable collector still fails in about a second (its
/// retries), with exit 1.
#[test]
fn huge_timeouts_do_not_overflow() {
    // A port nothing listens on: bind, read the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    for (protocol, flag, env) in [
        ("grpc", "100000000000h", None),
        ("http/protobuf", "100000000000h", None),
        ("grpc", "", Some("18446744073709551615")),
    ] {
        let mut args = vec![
            "trace",
            "-q",
            "--protocol",
            protocol,
            "--endpoint",
            &endpoint,
        ];
        if !flag.is_empty() {
            args.extend(["--timeout", flag]);
        }
        let env: Vec<(&str, &str)> = env
            .map(|v| vec![("OTEL_EXPORTER_OTLP_TIMEOUT", v)])
            .unwrap_or_default();
        let started = std::time::Instant::now();
        let (code, stdout, stderr) = podtrace_env(&args, &env);
        assert_eq!(code, 1, "{protocol} {flag}: {stdout}{stderr}");
        assert!(stdout.contains("NOT sent: 23 spans"), "{stdout}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "{:?}",
            started.elapsed()
        );
    }
}
