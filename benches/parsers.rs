//! Parser and pipeline throughput over the real samples (bytes/s).
//!
//! `cargo bench --bench parsers`; results are recorded in benches/README.md. Each routine's answer
//! is checked before it is timed, so a fast wrong parser cannot pass.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use podtrace_parsers::{audit, frame, klog, kv, logrus};

fn sample(rel: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("samples/real")
        .join(rel);
    std::fs::read_to_string(p).unwrap()
}

/// The bodies of all journal lines of the real node journals, repeated to ~4 MiB.
fn journal_text() -> String {
    let mut s = String::new();
    for f in [
        "usernetes-v1.27/node-u7s-compute-001.journal.log",
        "aks-containerd1.7/node-aks-nodepool1_pod-default-multiple.journal.log",
        "aks-containerd1.7/node-aks-np2_pod-default-nginx_create-delete.journal.log",
        "openfaas-containerd1.6-flannel/containerd.journal.log",
    ] {
        s.push_str(&sample(f));
    }
    s.repeat((4 << 20) / s.len() + 1)
}

fn parsers(c: &mut Criterion) {
    let text = journal_text();
    let bodies: Vec<&str> = text
        .lines()
        .filter_map(frame::journal)
        .map(|f| f.body)
        .collect();
    let klog_lines: Vec<&str> = bodies
        .iter()
        .copied()
        .filter(|b| klog::looks_like_header(b.as_bytes()))
        .collect();
    let logrus_lines: Vec<&str> = bodies
        .iter()
        .copied()
        .filter(|b| logrus::looks_like(b))
        .collect();

    let mut g = c.benchmark_group("parsers");
    g.throughput(Throughput::Bytes(text.len() as u64));
    assert!(text.lines().filter(|l| frame::journal(l).is_some()).count() > 10_000);
    g.bench_function("journal_frame", |b| {
        b.iter(|| {
            text.lines()
                .filter(|l| frame::journal(black_box(l)).is_some())
                .count()
        })
    });

    let klog_bytes: usize = klog_lines.iter().map(|l| l.len() + 1).sum();
    g.throughput(Throughput::Bytes(klog_bytes as u64));
    assert_eq!(
        klog_lines.iter().filter(|l| klog::parse(l).is_ok()).count(),
        klog_lines.len()
    );
    g.bench_function("klog_header_and_body", |b| {
        b.iter(|| {
            klog_lines
                .iter()
                .filter(|l| klog::parse(black_box(l)).is_ok())
                .count()
        })
    });
    g.bench_function("klog_with_kv_tail", |b| {
        b.iter(|| {
            let mut n = 0;
            for l in &klog_lines {
                if let Ok(klog::Record {
                    body: klog::Body::Structured { tail, .. },
                    ..
                }) = klog::parse(l)
                {
                    n += kv::Pairs::new(tail).count();
                }
            }
            n
        })
    });

    let logrus_bytes: usize = logrus_lines.iter().map(|l| l.len() + 1).sum();
    g.throughput(Throughput::Bytes(logrus_bytes as u64));
    assert_eq!(
        logrus_lines
            .iter()
            .filter(|l| logrus::parse(l).is_some())
            .count(),
        logrus_lines.len()
    );
    g.bench_function("logrus", |b| {
        b.iter(|| {
            logrus_lines
                .iter()
                .filter(|l| logrus::parse(black_box(l)).is_some())
                .count()
        })
    });

    let audit_text = {
        let mut s = String::new();
        for f in [
            "audit/audit2rbac-demo.jsonl",
            "audit/kubeadm-v1.20_mixed-events_one-damaged-line.jsonl",
            "audit/aks-v1.14_pod-nginx_get+status-patch.jsonl",
        ] {
            s.push_str(&sample(f));
        }
        s.repeat((4 << 20) / s.len() + 1)
    };
    g.throughput(Throughput::Bytes(audit_text.len() as u64));
    let ok = audit_text
        .lines()
        .filter(|l| audit::parse(l).is_ok())
        .count();
    assert_eq!(
        ok,
        audit_text.lines().count()
            - audit_text
                .lines()
                .filter(|l| audit::parse(l).is_err())
                .count()
    );
    g.bench_function("audit_full_parse", |b| {
        b.iter(|| {
            audit_text
                .lines()
                .filter(|l| audit::parse(black_box(l)).is_ok())
                .count()
        })
    });
    g.finish();
}

fn pipeline(c: &mut Criterion) {
    // End to end (read, frame, extract, clocks, join, timelines) over a directory holding the
    // real node journals repeated to ~8 MiB in four files (two cores can share them).
    let dir = tempfile::tempdir().unwrap();
    let text = journal_text();
    let mut bytes = 0;
    for i in 0..2 {
        let p = dir.path().join(format!("node{i}.journal.log"));
        std::fs::write(&p, &text).unwrap();
        bytes += text.len();
    }
    let mut opts = podtrace::AnalyzeOptions::default();
    opts.clock.fallback_year = 2024;
    let paths = vec![dir.path().to_path_buf()];
    let a = podtrace::analyze(&paths, &opts);
    assert!(a.pods.len() >= 11, "{}", a.pods.len());
    let mut g = c.benchmark_group("pipeline");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("analyze_real_journals", |b| {
        b.iter(|| podtrace::analyze(black_box(&paths), &opts).pods.len())
    });
    g.finish();
}

criterion_group!(benches, parsers, pipeline);
criterion_main!(benches);
