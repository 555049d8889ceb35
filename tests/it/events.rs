//! `podtrace extract` and `podtrace build` (issue 15): a run split into a map over any subset of
//! the files and a reduce over the events files gives what one `analyze` gives, byte for byte.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::*;

fn podtrace(args: &[&dyn AsRef<std::ffi::OsStr>]) -> (i32, Vec<u8>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_podtrace"))
        .args(args)
        .current_dir(repo())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `podtrace extract PATHS -o OUT`, which must succeed.
fn extract(paths: &[PathBuf], out: &Path) -> String {
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"extract"];
    for p in paths {
        args.push(p);
    }
    args.push(&"-o");
    args.push(&out);
    let (code, _, err) = podtrace(&args);
    assert_eq!(code, 0, "{err}");
    err
}

/// stdout of a command that must exit 0.
fn stdout(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Vec<u8> {
    let (code, out, err) = podtrace(args);
    assert_eq!(code, 0, "{err}");
    out
}

/// A simulated bundle with everything that crosses files: clocks skewed ±300 ms and in UTC+2
/// (votes gathered per file, resolved in the build), failures, init containers, restarts.
fn simulated(dir: &Path) -> PathBuf {
    let b = dir.join("bundle");
    stdout(&[
        &"simulate",
        &b,
        &"--pods",
        &"240",
        &"--nodes",
        &"4",
        &"--skew-ms",
        &"300",
        &"--timezone",
        &"2",
        &"--failures",
        &"--init-containers",
        &"--restarts",
        &"--noise",
        &"2",
    ]);
    b
}

/// The simulated bundle extracted one shard per node folder, the top-level files with the
/// first, in the walk's order (the build numbers files as one walk over the bundle would).
fn shards_per_node(b: &Path, dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(b)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    let (top, dirs): (Vec<PathBuf>, Vec<PathBuf>) = entries.into_iter().partition(|p| p.is_file());
    assert_eq!(dirs.len(), 5);
    let mut shards = Vec::new();
    for (i, d) in dirs.iter().enumerate() {
        let mut paths = if i == 0 { top.clone() } else { Vec::new() };
        paths.push(d.clone());
        let ev = dir.join(format!("shard-{i}.parquet"));
        extract(&paths, &ev);
        shards.push(ev);
    }
    shards
}

#[test]
fn a_build_from_the_demo_s_events_is_its_analysis() {
    let t = tempfile::tempdir().unwrap();
    let ev = t.path().join("demo.parquet");
    let said = extract(&[PathBuf::from("samples/seed-demo")], &ev);
    assert!(
        said.contains("35 events from 6 streams (0 skipped"),
        "{said}"
    );
    let a = stdout(&[&"analyze", &"samples/seed-demo", &"-o", &"json"]);
    let b = stdout(&[&"build", &ev, &"-o", &"json"]);
    assert_eq!(String::from_utf8(b).unwrap(), String::from_utf8(a).unwrap());
    // Text too (the evidence legend names the logs, not the events file).
    let a = stdout(&[&"analyze", &"samples/seed-demo"]);
    let b = stdout(&[&"build", &ev]);
    assert_eq!(String::from_utf8(b).unwrap(), String::from_utf8(a).unwrap());
}

#[test]
fn shards_per_node_build_what_one_analysis_of_everything_gives() {
    let t = tempfile::tempdir().unwrap();
    let b = simulated(t.path());
    let shards = shards_per_node(&b, t.path());
    let a = stdout(&[&"analyze", &b, &"-o", &"json"]);
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"build"];
    for s in &shards {
        args.push(s);
    }
    args.push(&"-o");
    args.push(&"json");
    let built = stdout(&args);
    let a = String::from_utf8(a).unwrap();
    assert_eq!(
        a.lines().count(),
        253,
        "240 pods, 12 kube-system pods and the summary"
    );
    assert_eq!(String::from_utf8(built).unwrap(), a);
    // The clocks were resolved in the build from every shard's facts: UTC+2 found, skew
    // corrected (the summary says so the same way in both).
    assert!(a.contains("\"offset_secs\":7200"), "no UTC+2 clock");

    // `report` and `trace` read events files as they read logs.
    let ra = stdout(&[&"report", &b, &"-o", &"json", &"-q"]);
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"report"];
    for s in &shards {
        args.push(s);
    }
    args.extend([&"-o" as &dyn AsRef<std::ffi::OsStr>, &"json", &"-q"]);
    assert_eq!(
        String::from_utf8(stdout(&args)).unwrap(),
        String::from_utf8(ra).unwrap()
    );
    let (fa, fb) = (t.path().join("a.otlp.jsonl"), t.path().join("b.otlp.jsonl"));
    stdout(&[&"trace", &b, &"--otlp-file", &fa, &"-q"]);
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"trace"];
    for s in &shards {
        args.push(s);
    }
    args.extend([&"--otlp-file" as &dyn AsRef<std::ffi::OsStr>, &fb, &"-q"]);
    stdout(&args);
    let (sa, sb) = (std::fs::read(&fa).unwrap(), std::fs::read(&fb).unwrap());
    assert!(sa.len() > 100_000, "{} bytes of spans", sa.len());
    assert!(sa == sb, "trace from shards differs from trace of the logs");

    // Events files merge: extract over events files gives one file that builds the same.
    let merged = t.path().join("merged.parquet");
    extract(&shards, &merged);
    let m = stdout(&[&"build", &merged, &"-o", &"json"]);
    assert_eq!(String::from_utf8(m).unwrap(), a);
}

#[test]
fn real_samples_through_events_equal_their_analysis() {
    // Every real sample folder (rotated, gzip'd, archives, journal exports, store pages, the
    // kubelet in another zone…), each as one extract and one build.
    let t = tempfile::tempdir().unwrap();
    let mut n = 0;
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(repo().join("samples/real"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for d in dirs {
        let ev = t.path().join("e.parquet");
        // A folder of layouts alone holds no log: extract says so (2) and still writes the file.
        let (code, _, err) = podtrace(&[&"extract", &d, &"-o", &ev, &"-q"]);
        assert!(
            code == 0 || (code == 2 && err.contains("no log read")),
            "{}: {err}",
            d.display()
        );
        let (ca, a, ea) = podtrace(&[&"analyze", &d, &"-o", &"json", &"-v"]);
        let (cb, b, eb) = podtrace(&[&"build", &ev, &"-o", &"json", &"-v"]);
        // Messages name the inputs as given: the folder, or the events file.
        let eb = eb.replace(&ev.display().to_string(), &d.display().to_string());
        assert_eq!((ca, &ea), (cb, &eb), "{}: exit and warnings", d.display());
        assert!(
            a == b,
            "{}: build differs from analyze\n{}\n{}",
            d.display(),
            String::from_utf8_lossy(&a),
            String::from_utf8_lossy(&b)
        );
        // Built in two partitions, then merged: the same bytes again.
        let parts = t.path().join("parts");
        let _ = std::fs::remove_dir_all(&parts);
        let merged = split_build(std::slice::from_ref(&ev), 2, &parts, &[&"-o", &"json"]);
        assert!(
            merged == a,
            "{}: the partitions' merge differs from analyze\n{}",
            d.display(),
            String::from_utf8_lossy(&merged)
        );
        n += 1;
    }
    assert!(n >= 18, "{n} sample folders");
}

/// A build split in `n` partitions, each command apart as on separate machines: `partition`,
/// `build --partition-facts` per partition, `build --facts` per partition, and `build` of every
/// partition's result with `then` (its output). Returns that output.
fn split_build(
    events: &[PathBuf],
    n: usize,
    dir: &Path,
    then: &[&dyn AsRef<std::ffi::OsStr>],
) -> Vec<u8> {
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"partition", &"-q", &"-o", &dir];
    let n_s = n.to_string();
    args.extend([&"-n" as &dyn AsRef<std::ffi::OsStr>, &n_s]);
    for e in events {
        args.push(e);
    }
    stdout(&args);
    let mut facts = Vec::new();
    for k in 0..n {
        facts.extend(stdout(&[
            &"build",
            &dir.join(k.to_string()),
            &"--partition-facts",
            &"-q",
        ]));
    }
    let facts_file = dir.join("facts.jsonl");
    std::fs::write(&facts_file, facts).unwrap();
    let results: Vec<PathBuf> = (0..n).map(|k| dir.join(format!("part-{k}.json"))).collect();
    for (k, r) in results.iter().enumerate() {
        let part = stdout(&[
            &"build",
            &dir.join(k.to_string()),
            &"--facts",
            &facts_file,
            &"-q",
        ]);
        std::fs::write(r, part).unwrap();
    }
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"build"];
    for r in &results {
        args.push(r);
    }
    args.extend(then.iter().copied());
    let (code, out, err) = podtrace(&args);
    // analyze's statuses: 1 when no pod was found, 2 when no log was read.
    assert!(code <= 2, "{err}");
    out
}

#[test]
fn partitions_built_apart_merge_into_what_one_build_gives() {
    let t = tempfile::tempdir().unwrap();
    let b = simulated(t.path());
    // The map per node folder, as in a real split.
    let shards = shards_per_node(&b, t.path());
    let a = String::from_utf8(stdout(&[&"analyze", &b, &"-o", &"json"])).unwrap();
    // Clocks in UTC+2 and a node's skew corrected: the global values partitions must share.
    assert!(a.contains("\"offset_secs\":7200"), "no UTC+2 clock");
    assert!(a.contains("\"applied\":true"), "no skew applied");
    // 3 partitions of 5 nodes' components, and 7: more partitions than components (two hold
    // no pod, only what every partition holds).
    for n in [3, 7] {
        let dir = t.path().join(format!("parts-{n}"));
        let merged = split_build(&shards, n, &dir, &[&"-o", &"json"]);
        assert_eq!(String::from_utf8(merged).unwrap(), a, "{n} partitions");
        // Every pod was built in exactly one partition.
        let pods: Vec<usize> = (0..n)
            .map(|k| {
                let v: serde_json::Value = serde_json::from_slice(
                    &std::fs::read(dir.join(format!("part-{k}.json"))).unwrap(),
                )
                .unwrap();
                v["pods"].as_array().unwrap().len()
            })
            .collect();
        assert_eq!(pods.iter().sum::<usize>(), 240, "{pods:?}");
        assert_eq!(
            pods.iter().filter(|&&p| p > 0).count(),
            n.min(4),
            "{pods:?}"
        );
    }
    // Text, the report and the trace from the partitions' results, as from the logs.
    let dir = t.path().join("parts-3");
    let results: Vec<PathBuf> = (0..3).map(|k| dir.join(format!("part-{k}.json"))).collect();
    let with = |cmd: &[&dyn AsRef<std::ffi::OsStr>]| {
        let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![cmd[0]];
        for r in &results {
            args.push(r);
        }
        args.extend(cmd[1..].iter().copied());
        stdout(&args)
    };
    assert_eq!(with(&[&"build"]), stdout(&[&"analyze", &b]));
    assert_eq!(
        with(&[&"report", &"-o", &"json", &"-q"]),
        stdout(&[&"report", &b, &"-o", &"json", &"-q"])
    );
    let (fa, fb) = (t.path().join("a.otlp.jsonl"), t.path().join("b.otlp.jsonl"));
    stdout(&[&"trace", &b, &"--otlp-file", &fa, &"-q"]);
    with(&[&"trace", &"--otlp-file", &fb, &"-q"]);
    assert!(
        std::fs::read(&fa).unwrap() == std::fs::read(&fb).unwrap(),
        "trace from partitions differs"
    );

    // A folder an earlier split wrote is not mixed into another.
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"partition", &"-n", &"3", &"-o", &dir];
    for sh in &shards {
        args.push(sh);
    }
    let (code, _, err) = podtrace(&args);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is not empty"), "{err}");
    // A partition missing from the merge, or its facts missing from a build: said, not built.
    let (code, _, err) = podtrace(&[&"build", &results[0], &results[2], &"-o", &"json"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("partition 1/3 missing"), "{err}");
    let facts = std::fs::read_to_string(dir.join("facts.jsonl")).unwrap();
    let two: String = facts.lines().take(2).map(|l| format!("{l}\n")).collect();
    std::fs::write(t.path().join("two.jsonl"), two).unwrap();
    let (code, _, err) = podtrace(&[
        &"build",
        &dir.join("1"),
        &"--facts",
        &t.path().join("two.jsonl"),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("partition 2/3 missing"), "{err}");
    // Events of no known partition: which one is asked, not guessed.
    let (code, _, err) = podtrace(&[&"build", &shards[0], &"--partition-facts"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--partition K/N where they say none"), "{err}");
    // Another partition's number than its files say: refused, not built as that partition.
    let (code, _, err) = podtrace(&[
        &"build",
        &dir.join("1"),
        &"--partition",
        &"0/3",
        &"--partition-facts",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("The files say 1/3, --partition says 0/3"),
        "{err}"
    );
    // A partition's result among logs is not read as one (its JSON is no stored object).
    let (_, out, _) = podtrace(&[&"analyze", &b, &results[0], &"-o", &"json"]);
    let summary: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out).lines().last().unwrap()).unwrap();
    let skipped = summary["skipped"].to_string();
    assert!(skipped.contains("a partition's result"), "{skipped}");
    assert_eq!(
        String::from_utf8(out).unwrap().lines().count(),
        a.lines().count()
    );
}

#[test]
fn events_are_parquet_with_a_version_and_sql_columns() {
    use polars_io::SerReader;
    let t = tempfile::tempdir().unwrap();
    let ev = t.path().join("demo.parquet");
    extract(&[repo().join("samples/seed-demo")], &ev);
    let df = polars_io::prelude::ParquetReader::new(std::fs::File::open(&ev).unwrap())
        .finish()
        .unwrap();
    let names: Vec<&str> = df.get_column_names().iter().map(|s| s.as_str()).collect();
    assert_eq!(
        names,
        [
            "version",
            "record",
            "stream",
            "file",
            "line",
            "component",
            "host",
            "kind",
            "time_ns",
            "local_time",
            "precision",
            "namespace",
            "pod",
            "uid",
            "route",
            "links",
            "payload"
        ]
    );
    // 6 streams and 35 events.
    let strs = |name: &str| -> Vec<Option<String>> {
        let c = df.column(name).unwrap().str().unwrap();
        (0..c.len()).map(|i| c.get(i).map(str::to_owned)).collect()
    };
    let record = strs("record");
    let count = |w: &str| record.iter().filter(|r| r.as_deref() == Some(w)).count();
    assert_eq!((count("stream"), count("event")), (6, 35));
    // The audit create of pod-demo: its stageTimestamp to the microsecond, in UTC ns.
    let i = strs("kind")
        .iter()
        .position(|k| k.as_deref() == Some("AuditPodCreate"))
        .unwrap();
    assert_eq!(
        df.column("time_ns").unwrap().i64().unwrap().get(i),
        Some(1_732_875_300_131_877_000)
    );
    assert_eq!(
        df.column("pod").unwrap().str().unwrap().get(i),
        Some("pod-demo")
    );
    assert_eq!(
        df.column("precision").unwrap().str().unwrap().get(i),
        Some("us")
    );
    assert_eq!(
        df.column("component").unwrap().str().unwrap().get(i),
        Some("audit")
    );
    // Its route (a split build's partitions, docs/events.md): the pod by name, linked to its
    // UID; stream rows go to every partition.
    let uid = df.column("uid").unwrap().str().unwrap().get(i).unwrap();
    assert_eq!(uid.len(), 36, "{uid}");
    assert_eq!(strs("route")[i].as_deref(), Some("p:default/pod-demo"));
    assert_eq!(
        strs("links")[i].as_deref(),
        Some(format!("[\"u:{uid}\"]").as_str())
    );
    let first_stream = record
        .iter()
        .position(|r| r.as_deref() == Some("stream"))
        .unwrap();
    assert_eq!(strs("route")[first_stream].as_deref(), Some("*"));
    // A kubelet line: a local stamp, kept as written (the year comes from elsewhere).
    let j = strs("component")
        .iter()
        .position(|c| c.as_deref() == Some("kubelet"))
        .unwrap();
    assert_eq!(df.column("time_ns").unwrap().i64().unwrap().get(j), None);
    let lt = df
        .column("local_time")
        .unwrap()
        .str()
        .unwrap()
        .get(j)
        .unwrap();
    assert!(lt.starts_with("--11-29T10:15:0"), "{lt}");
    // Every event's `kind` column is its payload's variant name.
    let payloads = strs("payload");
    let kinds = strs("kind");
    let mut distinct = std::collections::BTreeSet::new();
    for (p, k) in payloads.iter().zip(&kinds) {
        let v: serde_json::Value = serde_json::from_str(p.as_deref().unwrap()).unwrap();
        let Some(kind) = v.get("kind") else { continue };
        let want = match kind {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Object(m) => m.keys().next().unwrap().clone(),
            other => panic!("kind {other}"),
        };
        assert_eq!(k.as_deref(), Some(want.as_str()));
        distinct.insert(want);
    }
    assert!(distinct.len() >= 10, "{distinct:?}");
    // `-o -`: the same bytes on stdout.
    let bytes = stdout(&[
        &"extract",
        &repo().join("samples/seed-demo"),
        &"-o",
        &"-",
        &"-q",
    ]);
    assert!(
        bytes == std::fs::read(&ev).unwrap(),
        "-o - differs from the file"
    );
}

#[test]
fn a_foreign_or_newer_parquet_file_is_skipped_and_said() {
    use polars::prelude::*;
    let t = tempfile::tempdir().unwrap();
    // Someone's Parquet file in the bundle: not ours, skipped with the reason.
    let mut df = df!("a" => [1i64, 2]).unwrap();
    let mut f = std::fs::File::create(t.path().join("other.parquet")).unwrap();
    polars_io::parquet::write::ParquetWriter::new(&mut f)
        .finish(&mut df)
        .unwrap();
    // An events file of a later schema version.
    let mut df = df!(
        "version" => [2u32], "record" => ["stream"], "stream" => [0u32], "file" => ["x"],
        "payload" => ["{}"]
    )
    .unwrap();
    let mut f = std::fs::File::create(t.path().join("v2.parquet")).unwrap();
    polars_io::parquet::write::ParquetWriter::new(&mut f)
        .finish(&mut df)
        .unwrap();
    std::fs::copy(
        repo().join("samples/seed-demo/kind-worker/kubelet.log"),
        t.path().join("kubelet.log"),
    )
    .unwrap();
    let (code, out, err) = podtrace(&[&"inspect", &t.path(), &"-o", &"json"]);
    assert_eq!(code, 0, "{err}");
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.contains("Parquet file but not podtrace events: no podtrace events columns"),
        "{out}"
    );
    assert!(
        out.contains("events file version 2; this podtrace reads version 1"),
        "{out}"
    );
    // `build` takes events files only, and names a log given by mistake.
    let (code, _, err) = podtrace(&[&"build", &t.path()]);
    assert_eq!(code, 2);
    assert!(err.contains("kubelet.log: not an events file"), "{err}");
}

#[test]
fn a_damaged_events_file_is_skipped_with_its_reason_never_a_panic() {
    let t = tempfile::tempdir().unwrap();
    let ev = t.path().join("good.parquet");
    extract(&[PathBuf::from("samples/seed-demo")], &ev);
    let good = std::fs::read(&ev).unwrap();
    let dir = t.path().join("damaged");
    std::fs::create_dir(&dir).unwrap();
    // Cut in the middle (the magic kept at both ends), and bytes changed at many places.
    let mut cut = good[..good.len() / 2].to_vec();
    cut.extend_from_slice(&good[good.len() - 8..]);
    std::fs::write(dir.join("cut.parquet"), &cut).unwrap();
    for step in [7usize, 61, 331] {
        let mut bad = good.clone();
        for i in (8..bad.len() - 8).step_by(step) {
            bad[i] ^= 0x5a;
        }
        std::fs::write(dir.join(format!("flipped-{step}.parquet")), &bad).unwrap();
    }
    let (code, out, err) = podtrace(&[&"inspect", &dir, &"-o", &"json"]);
    assert_eq!(code, 2, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let out = String::from_utf8(out).unwrap();
    assert_eq!(
        out.matches("Parquet file but not podtrace events").count(),
        4,
        "{out}"
    );
}

/// Every span a receiver got, by (trace id, span id), with its resource's attributes: what a
/// trace store keeps.
#[cfg(feature = "otlp")]
fn stored(
    rx: &crate::receiver::Receiver,
) -> std::collections::BTreeMap<(Vec<u8>, Vec<u8>), Vec<opentelemetry_proto::tonic::trace::v1::Span>>
{
    let mut out: std::collections::BTreeMap<_, Vec<_>> = Default::default();
    for r in rx.received() {
        for rs in &r.request.resource_spans {
            for ss in &rs.scope_spans {
                for s in &ss.spans {
                    out.entry((s.trace_id.clone(), s.span_id.clone()))
                        .or_default()
                        .push(s.clone());
                }
            }
        }
    }
    out
}

#[cfg(feature = "otlp")]
#[test]
fn per_node_runs_meet_in_one_receiver() {
    use crate::receiver::Receiver;
    let t = tempfile::tempdir().unwrap();
    let b = simulated(t.path());
    let cp = b.join("kind-control-plane");
    let workers: Vec<PathBuf> = (1..=4)
        .map(|i| {
            b.join(if i == 1 {
                "kind-worker".to_owned()
            } else {
                format!("kind-worker{i}")
            })
        })
        .collect();
    let send = |rx: &Receiver, paths: &[&dyn AsRef<std::ffi::OsStr>]| {
        let endpoint = format!("http://{}", rx.addr);
        let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"trace", &"-q", &"--endpoint"];
        args.push(&endpoint);
        args.extend_from_slice(paths);
        stdout(&args);
    };
    // One run over everything.
    let whole = Receiver::grpc(true);
    send(&whole, &[&b]);
    let whole = stored(&whole);
    assert!(whole.len() > 5_000, "{} spans", whole.len());
    assert!(whole.values().all(|v| v.len() == 1));

    // The map on each node (its folder, the control plane's with the first), events files
    // gathered, one trace run over them: the same spans, field for field.
    let gathered = Receiver::grpc(true);
    let mut shards = Vec::new();
    for (i, w) in workers.iter().enumerate() {
        let ev = t.path().join(format!("{i}.parquet"));
        let mut paths = if i == 0 {
            vec![b.join("ground-truth.json"), cp.clone()]
        } else {
            Vec::new()
        };
        paths.push(w.clone());
        extract(&paths, &ev);
        shards.push(ev);
    }
    let shard_args: Vec<&dyn AsRef<std::ffi::OsStr>> = shards
        .iter()
        .map(|s| s as &dyn AsRef<std::ffi::OsStr>)
        .collect();
    send(&gathered, &shard_args);
    assert!(
        stored(&gathered) == whole,
        "spans from gathered events differ"
    );

    // `trace` run on each node with the control plane's files, all sent to one receiver: every
    // span id of the whole run arrives, and none other. A span that only one node's logs make
    // (a pod's phases on its node, each node's programming) arrives exactly as the whole run
    // sends it; the three spans per pod that need every node (the pod's root, `programming`
    // first to last node, `time_to_serving`) arrive once per run, each run's knowing only its
    // node: that is why a split is extracted and built, not traced per node.
    let split = Receiver::grpc(true);
    for w in &workers {
        send(&split, &[&cp, w]);
    }
    let split = stored(&split);
    assert_eq!(
        split.keys().collect::<Vec<_>>(),
        whole.keys().collect::<Vec<_>>(),
        "the span ids of the per-node runs"
    );
    let mut cross_node = std::collections::BTreeMap::<String, usize>::new();
    for (k, got) in &split {
        let want = &whole[k][0];
        if got.iter().any(|s| s == want) {
            continue;
        }
        let name = if want.parent_span_id.is_empty() {
            "root"
        } else {
            want.name.as_str()
        };
        *cross_node.entry(name.to_owned()).or_default() += 1;
    }
    let pods = whole
        .values()
        .filter(|v| v[0].parent_span_id.is_empty())
        .count();
    assert!(pods >= 240, "{pods} pods");
    for (name, n) in &cross_node {
        assert!(
            ["root", "programming", "time_to_serving"].contains(&name.as_str()) && *n <= pods,
            "{name}: {n} spans differ in every per-node run"
        );
    }
    assert!(
        cross_node.get("root").copied().unwrap_or(0) > pods / 2,
        "{cross_node:?}"
    );
}

#[test]
fn numbers_no_log_can_give_are_refused_before_the_timeline_sees_them() {
    use polars::prelude::*;
    use polars_io::SerReader;
    let t = tempfile::tempdir().unwrap();
    let good = t.path().join("good.parquet");
    extract(&[PathBuf::from("samples/seed-demo")], &good);
    let dir = t.path().join("crafted");
    std::fs::create_dir(&dir).unwrap();
    // The demo's events file with one payload changed by `edit` (first row it applies to).
    let craft = |name: &str, edit: &dyn Fn(&str) -> Option<String>| {
        let mut df = polars_io::prelude::ParquetReader::new(std::fs::File::open(&good).unwrap())
            .finish()
            .unwrap();
        let col = df.column("payload").unwrap().str().unwrap();
        let mut done = false;
        let payloads: Vec<String> = (0..col.len())
            .map(|i| {
                let p = col.get(i).unwrap();
                match (done, edit(p)) {
                    (false, Some(q)) => {
                        done = true;
                        q
                    }
                    _ => p.to_owned(),
                }
            })
            .collect();
        assert!(done, "{name}: nothing to edit");
        df.replace("payload", Column::new("payload".into(), payloads))
            .unwrap();
        let mut f = std::fs::File::create(dir.join(name)).unwrap();
        polars_io::parquet::write::ParquetWriter::new(&mut f)
            .finish(&mut df)
            .unwrap();
    };
    // An audit instant at i64::MAX - 807 ns (year 2262), a kubelet stamp in month 13, a clock
    // vote for an offset of 11 days.
    craft("instant.parquet", &|p| {
        p.contains("\"unix_nanos\":1732875300131877000")
            .then(|| p.replace("1732875300131877000", "9223372036854775000"))
    });
    craft("month.parquet", &|p| {
        p.contains("\"month\":11,\"day\":29,\"sod\"")
            .then(|| p.replacen("\"month\":11", "\"month\":13", 1))
    });
    craft("offset.parquet", &|p| {
        p.contains("\"direct\":[[")
            .then(|| p.replacen("{\"0\":[", "{\"999999\":[", 1))
    });
    let (code, out, err) = podtrace(&[&"inspect", &dir, &"-o", &"json"]);
    assert_eq!(code, 2, "{err}");
    let out = String::from_utf8(out).unwrap();
    for said in [
        "unix_nanos = 9223372036854775000 cannot come from a log",
        "month = 13 cannot come from a log",
        "offset 999999 s cannot come from a log",
    ] {
        assert!(out.contains(said), "{said}: {out}");
    }
    // The same file unchanged is read (the edit, not the writer, is refused).
    craft("same.parquet", &|p| Some(p.to_owned()));
    let (code, _, err) = podtrace(&[&"build", &dir.join("same.parquet"), &"-o", &"json"]);
    assert_eq!(code, 0, "{err}");
}
