//! Issue 17: the trace files are streamed. The same bytes as the whole-document writers they
//! replace (kept here as the oracle), the counts `trace` prints before streaming agree with the
//! spans made, and the memory an export takes does not grow with the pods.

use std::io::Write;
use std::path::Path;

use podtrace::simulate::{SimOptions, generate};
use podtrace::timeline::PodTimeline;
use podtrace::trace::otlp;
use podtrace::trace::perfetto::lanes;
use podtrace::trace::{self, AttrValue, FileOutputs, PlannedSpan, TraceOptions};
use serde_json::{Map, Value, json};

use crate::alloc_meter;
use crate::util::{analyze, real, repo};

/// The Perfetto writer as it was before issue 17 (one `serde_json::Value` for the document),
/// kept as the oracle for the streaming one.
fn old_perfetto(spans: &[PlannedSpan], out: &mut dyn Write) -> usize {
    fn attr_json(v: &AttrValue) -> Value {
        match v {
            AttrValue::Str(s) => Value::String(s.clone()),
            AttrValue::Int(i) => json!(i),
            AttrValue::F64(f) => json!(f),
            AttrValue::Bool(b) => json!(b),
            AttrValue::Strs(v) => json!(v),
        }
    }
    fn us(ns: i64, origin: i64) -> Value {
        let d = ns - origin;
        let text = format!(
            "{}{}.{:03}",
            if d < 0 { "-" } else { "" },
            d.unsigned_abs() / 1000,
            d.unsigned_abs() % 1000
        );
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }
    let origin = spans.iter().map(|s| s.start).min().unwrap_or(0);
    let mut events: Vec<Value> = Vec::new();
    let mut complete = 0;
    let mut pid = 0u64;
    let mut i = 0;
    while i < spans.len() {
        let trace = spans[i].trace_id;
        let mut j = i;
        while j < spans.len() && spans[j].trace_id == trace {
            j += 1;
        }
        let pod: Vec<&PlannedSpan> = spans[i..j].iter().collect();
        i = j;
        pid += 1;
        events.push(json!({"ph":"M","name":"process_name","pid":pid,"tid":0,
            "args":{"name": pod[0].name}}));
        events.push(
            json!({"ph":"M","name":"process_sort_index","pid":pid,"tid":0,
            "args":{"sort_index": pid}}),
        );
        let lane = lanes(&pod);
        let mut named = std::collections::BTreeSet::new();
        for (k, s) in pod.iter().enumerate() {
            let tid = lane[k] as u64 + 1;
            if named.insert(tid) {
                let lane_name = if tid == 1 {
                    "pod".to_owned()
                } else {
                    format!("lane {tid}")
                };
                events.push(json!({"ph":"M","name":"thread_name","pid":pid,"tid":tid,
                    "args":{"name": lane_name}}));
            }
            let mut args = Map::new();
            args.insert("trace_id".into(), Value::String(trace::hex(&s.trace_id)));
            args.insert("span_id".into(), Value::String(trace::hex(&s.span_id)));
            args.insert("service.name".into(), Value::String(s.service.into()));
            for (key, v) in &s.attributes {
                args.insert((*key).into(), attr_json(v));
            }
            if let Some(e) = &s.error {
                args.insert("error".into(), Value::String(e.clone()));
            }
            events.push(
                json!({"ph":"X","name":s.name,"cat":s.service,"pid":pid,"tid":tid,
                "ts":us(s.start, origin),"dur":us(s.end, s.start),"args":args}),
            );
            complete += 1;
            for e in &s.events {
                let mut eargs = Map::new();
                for (key, v) in &e.attributes {
                    eargs.insert((*key).into(), attr_json(v));
                }
                events.push(
                    json!({"ph":"i","s":"t","name":e.name,"cat":s.service,"pid":pid,
                    "tid":tid,"ts":us(e.t, origin),"args":eargs}),
                );
            }
        }
    }
    let doc = json!({
        "traceEvents": events,
        "displayTimeUnit": "ms",
        "otherData": {
            "producer": concat!("podtrace ", env!("CARGO_PKG_VERSION")),
            "origin_utc": podtrace_parsers::time::format_rfc3339_nanos(origin),
        },
    });
    serde_json::to_writer(&mut *out, &doc).unwrap();
    out.write_all(b"\n").unwrap();
    complete
}

fn simulated(dir: &Path, pods: usize) {
    let o = SimOptions {
        pods,
        nodes: 4,
        seed: 17,
        skew_ms: 40,
        failures: true,
        init_containers: true,
        restarts: true,
        ..Default::default()
    };
    generate(dir, &o).unwrap();
}

/// Both files through the streaming pass: (OTLP JSON, Perfetto) bytes.
fn streamed(pods: &[PodTimeline], opts: &TraceOptions, batch: usize) -> (Vec<u8>, Vec<u8>) {
    let (mut j, mut p) = (Vec::new(), Vec::new());
    let n = trace::write_files(
        pods,
        opts,
        FileOutputs {
            otlp: Some(&mut j),
            perfetto: Some(&mut p),
            batch,
        },
    )
    .unwrap();
    let total: usize = pods.iter().map(|p| trace::plan(p, opts).len()).sum();
    assert_eq!((n.otlp_spans, n.perfetto_spans), (total, total));
    (j, p)
}

/// The bytes of both files are those of the whole-document writers, on the demo, the real
/// samples and a generated bundle with failures, init containers, restarts and skewed clocks;
/// batch sizes that cut pods in the middle included.
#[test]
fn streamed_files_are_byte_identical_to_the_whole_document_writers() {
    let dir = tempfile::tempdir().unwrap();
    simulated(dir.path(), 120);
    let cases = [
        ("demo", analyze(&[repo().join("samples/seed-demo")])),
        ("real", analyze(&[real("")])),
        ("generated", analyze(&[dir.path().to_path_buf()])),
    ];
    for (name, a) in &cases {
        assert!(!a.pods.is_empty(), "{name}");
        for cluster in [None, Some("prod".to_owned())] {
            let opts = TraceOptions {
                cluster: cluster.clone(),
            };
            let all = trace::plan_all(&a.pods, &opts);
            let mut old_p = Vec::new();
            let complete = old_perfetto(&all, &mut old_p);
            assert_eq!(complete, all.len());
            for batch in [1, 7, 100, 4096] {
                let mut old_j = Vec::new();
                otlp::write_json(&all, batch, cluster.as_deref(), &mut old_j).unwrap();
                let (j, p) = streamed(&a.pods, &opts, batch);
                assert!(
                    j == old_j,
                    "{name} {cluster:?} batch {batch}: OTLP JSON differs"
                );
                assert!(
                    p == old_p,
                    "{name} {cluster:?} batch {batch}: Perfetto differs"
                );
                assert_eq!(
                    String::from_utf8(j).unwrap().lines().count(),
                    all.len().div_ceil(batch)
                );
            }
            // The slice writer, kept for callers that hold spans, is the same writer.
            let mut p = Vec::new();
            assert_eq!(trace::perfetto::write(&all, &mut p).unwrap(), all.len());
            assert!(p == old_p, "{name}: perfetto::write differs");
        }
    }
    let generated = &cases[2].1;
    let spans = trace::plan_all(&generated.pods, &TraceOptions::default());
    assert!(
        spans.iter().any(|s| s.error.is_some()),
        "failures in the bundle"
    );
    assert!(
        spans.iter().any(|s| s.name.starts_with("container init")),
        "init containers in the bundle: {:?}",
        spans.iter().map(|s| &s.name).take(40).collect::<Vec<_>>()
    );
}

/// The count printed before streaming and the Perfetto origin come from the timelines without
/// making spans: both agree with `plan` on every pod.
#[test]
fn span_count_and_earliest_agree_with_plan() {
    let dir = tempfile::tempdir().unwrap();
    simulated(dir.path(), 150);
    let mut pods = analyze(&[dir.path().to_path_buf()]).pods;
    pods.extend(analyze(&[real("")]).pods);
    pods.extend(analyze(&[repo().join("samples/seed-demo")]).pods);
    // A pod with container milestones only, and one with nothing: no spans for either.
    let mut no_pod_milestone = pods[0].clone();
    no_pod_milestone.milestones.clear();
    assert!(!no_pod_milestone.containers.is_empty());
    pods.push(no_pod_milestone);
    pods.push(PodTimeline::default());
    let mut with_programming = 0;
    for p in &pods {
        let spans = trace::plan(p, &TraceOptions::default());
        assert_eq!(
            trace::span_count(p),
            spans.len(),
            "{}/{}",
            p.namespace,
            p.name
        );
        assert_eq!(
            trace::earliest(p),
            spans.iter().map(|s| s.start).min(),
            "{}/{}",
            p.namespace,
            p.name
        );
        with_programming += usize::from(spans.iter().any(|s| s.name.starts_with("programmed ")));
    }
    assert!(pods.len() > 200, "{}", pods.len());
    assert!(with_programming > 100, "{with_programming}");
}

/// Batches cut the spans exactly where `chunks` over all of them would.
#[test]
fn batches_cut_like_chunks() {
    let a = analyze(&[real("")]);
    let opts = TraceOptions::default();
    let all = trace::plan_all(&a.pods, &opts);
    for size in [1, 2, 23, 1000, 100_000] {
        let streamed: Vec<Vec<PlannedSpan>> = trace::Batches::new(&a.pods, &opts, size).collect();
        let chunks: Vec<Vec<PlannedSpan>> = all.chunks(size).map(<[_]>::to_vec).collect();
        assert_eq!(streamed, chunks, "size {size}");
    }
    assert_eq!(trace::Batches::new(&[], &opts, 5).count(), 0);
}

/// Peak heap (on this thread) while both files are written, to a sink.
fn export_peak(pods: &[PodTimeline]) -> usize {
    let opts = TraceOptions::default();
    let (mut j, mut p) = (std::io::sink(), std::io::sink());
    let (r, peak) = alloc_meter::peak_during(|| {
        trace::write_files(
            pods,
            &opts,
            FileOutputs {
                otlp: Some(&mut j),
                perfetto: Some(&mut p),
                batch: 256,
            },
        )
    });
    assert!(r.unwrap().otlp_spans > 0);
    peak
}

/// Memory for the files grows with a batch and one pod, not with the pods: four times the pods,
/// about the same peak; and a small fraction of what the whole-document writers took.
#[test]
fn file_export_memory_does_not_grow_with_pods() {
    let (small_dir, big_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    simulated(small_dir.path(), 200);
    simulated(big_dir.path(), 800);
    let small = analyze(&[small_dir.path().to_path_buf()]);
    let big = analyze(&[big_dir.path().to_path_buf()]);
    assert_eq!((small.pods.len(), big.pods.len()), (200, 800));
    let (small_peak, big_peak) = (export_peak(&small.pods), export_peak(&big.pods));
    let ((), old_peak) = alloc_meter::peak_during(|| {
        let spans = trace::plan_all(&big.pods, &TraceOptions::default());
        old_perfetto(&spans, &mut std::io::sink());
        otlp::write_json(&spans, 256, None, &mut std::io::sink()).unwrap();
    });
    eprintln!(
        "peak heap of the file export: 200 pods {small_peak} B, 800 pods {big_peak} B; \
         whole-document writers, 800 pods: {old_peak} B"
    );
    assert!(
        big_peak <= small_peak + small_peak / 2 + (1 << 20),
        "grows with pods: {small_peak} → {big_peak}"
    );
    assert!(big_peak < 16 << 20, "{big_peak}");
    assert!(big_peak * 10 < old_peak, "{big_peak} vs {old_peak}");
}

/// Issue 17: a trace file that cannot be written names itself and the OS error, whichever of
/// the two files (written in one pass) failed.
#[cfg(target_os = "linux")]
#[test]
fn a_failed_trace_file_write_names_the_file() {
    let ok = tempfile::tempdir().unwrap();
    let other = ok.path().join("other.json");
    let other = other.to_str().unwrap();
    let full = "podtrace: writing /dev/full: No space left on device (os error 28)\n";
    for args in [
        ["--perfetto", "/dev/full", "--otlp-file", other],
        ["--otlp-file", "/dev/full", "--perfetto", other],
    ] {
        let mut all = vec!["trace", "samples/seed-demo", "-q"];
        all.extend(args);
        let (code, _, err) = crate::util::podtrace(&all);
        assert_eq!((code, err.as_str()), (2, full), "{args:?}");
    }
}
