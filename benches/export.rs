//! Trace export throughput (issue 5): spans per second planned, encoded and delivered to a local
//! OTLP receiver over gRPC and HTTP/protobuf.
//!
//! `cargo bench --bench export`; results are recorded in benches/README.md. The receiver is the
//! test-side one (it decodes every request, as a collector would), so the figure includes the
//! receiving end's decoding on the same two cores.

#[path = "../tests/it/receiver.rs"]
mod receiver;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use podtrace::simulate::{SimOptions, generate};
use podtrace::trace::otlp::{self, Protocol, SendOptions};
use podtrace::trace::{TraceOptions, plan_all};

fn export(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let o = SimOptions {
        pods: 2000,
        nodes: 10,
        seed: 3,
        ..Default::default()
    };
    generate(dir.path(), &o).unwrap();
    let mut ao = podtrace::AnalyzeOptions::default();
    ao.clock.fallback_year = 2000;
    let a = podtrace::analyze(&[dir.path().to_path_buf()], &ao);
    assert_eq!(a.pods.len(), 2000);
    let spans: std::sync::Arc<[_]> = plan_all(&a.pods, &TraceOptions::default()).into();
    let n = spans.len();

    let mut g = c.benchmark_group("trace");
    g.throughput(Throughput::Elements(n as u64));
    g.sample_size(10);
    g.bench_function("plan", |b| {
        b.iter(|| black_box(plan_all(&a.pods, &TraceOptions::default())))
    });
    // The direct encoder (what is sent) and the SDK's path it replaced, side by side; both
    // to bytes, as a request is sent.
    g.bench_function("encode_otlp_protobuf", |b| {
        b.iter(|| {
            let mut bytes = 0;
            for chunk in spans.chunks(4096) {
                bytes += prost::Message::encode_to_vec(&otlp::request(chunk, None)).len();
            }
            black_box(bytes)
        })
    });
    g.bench_function("encode_otlp_protobuf_via_sdk", |b| {
        b.iter(|| {
            let mut bytes = 0;
            for chunk in spans.chunks(4096) {
                bytes += prost::Message::encode_to_vec(&otlp::request_via_sdk(chunk, None)).len();
            }
            black_box(bytes)
        })
    });
    for (name, rx, protocol) in [
        ("send_grpc", receiver::Receiver::grpc(false), Protocol::Grpc),
        (
            "send_http",
            receiver::Receiver::http(false),
            Protocol::HttpProtobuf,
        ),
    ] {
        let opts = SendOptions {
            protocol: Some(protocol),
            endpoint: Some(format!("http://{}", rx.addr)),
            batch_spans: 4096,
            ..Default::default()
        };
        g.bench_function(name, |b| {
            b.iter(|| {
                let before = rx.spans();
                let r = otlp::send(&spans, &opts, &|_| None).unwrap();
                assert_eq!(r.spans_sent, n);
                assert_eq!(rx.spans() - before, n, "the receiver got every span");
                r
            })
        });
    }
    let rx = receiver::Receiver::http_discarding();
    let opts = SendOptions {
        protocol: Some(Protocol::HttpProtobuf),
        endpoint: Some(format!("http://{}", rx.addr)),
        batch_spans: 4096,
        ..Default::default()
    };
    g.bench_function("send_http_receiver_discards", |b| {
        b.iter(|| {
            let before = rx.bodies().0;
            let r = otlp::send(&spans, &opts, &|_| None).unwrap();
            assert_eq!(r.spans_sent, n);
            assert_eq!(rx.bodies().0 - before, r.requests_sent);
            r
        })
    });
    g.finish();
}

criterion_group!(benches, export);
criterion_main!(benches);
