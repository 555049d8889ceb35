//! Issue 14 B: `podtrace follow`. A bundle written line by line in (accelerated) real time by
//! `simulate --live` is followed while it is written: every pod is emitted once, and its record
//! is the batch run's record of the same files, byte for byte in JSON. Stdin, rotation,
//! truncation, late lines (update records) and OTLP are checked the same way.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use podtrace::input::ReadOptions;
use podtrace::input::live::Tailer;
use serde_json::Value;

use crate::util::{podtrace, real, repo};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_podtrace"));
    c.current_dir(repo());
    c
}

/// `podtrace follow DIR … -o json` as a child with piped output, quick to settle, poll and end
/// (a 1 s settle, 50 ms polls, done after 2 s idle).
fn follow_json(dir: &std::path::Path, extra: &[&str]) -> std::process::Child {
    bin()
        .arg("follow")
        .arg(dir)
        .args(extra)
        .args([
            "-o",
            "json",
            "--settle",
            "1s",
            "--poll",
            "50ms",
            "--exit-when-idle",
            "2s",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn json_lines(s: &str) -> Vec<Value> {
    s.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// `analyze -o json`'s pod records, by uid.
fn batch(dir: &Path) -> BTreeMap<String, Value> {
    let (code, out, err) = podtrace(&["analyze", dir.to_str().unwrap(), "-o", "json"]);
    assert_eq!(code, 0, "{err}");
    json_lines(&out)
        .into_iter()
        .filter(|r| r["type"] == "pod")
        .map(|r| (r["uid"].as_str().unwrap().to_owned(), r))
        .collect()
}

/// What a follow run said: pod records by uid (each must come once), updates, the summary.
struct Followed {
    pods: BTreeMap<String, Value>,
    updates: Vec<Value>,
    summary: Value,
}

fn parse_follow(out: &str) -> Followed {
    let mut f = Followed {
        pods: BTreeMap::new(),
        updates: Vec::new(),
        summary: Value::Null,
    };
    for r in json_lines(out) {
        match r["type"].as_str().unwrap() {
            "pod" => {
                let uid = r["uid"].as_str().unwrap().to_owned();
                assert!(
                    f.pods.insert(uid.clone(), r).is_none(),
                    "{uid} emitted twice"
                );
            }
            "update" => f.updates.push(r),
            "summary" => f.summary = r,
            t => panic!("unexpected record type {t}"),
        }
    }
    f
}

/// The pod's record as follow last said it: the pod record, replaced by each whole update.
fn last_record(f: &Followed, uid: &str) -> Value {
    let mut r = f.pods[uid].clone();
    for u in f.updates.iter().filter(|u| u["uid"] == uid) {
        assert_eq!(u["whole"], true, "a partial update on a replay: {u}");
        r = u.clone();
    }
    let o = r.as_object_mut().unwrap();
    for k in ["emitted", "added", "whole"] {
        o.remove(k);
    }
    o.insert("type".into(), "pod".into());
    r
}

/// Follows `dir` (which does not exist yet) while `simulate --live` writes a bundle into it;
/// returns what follow printed.
fn follow_live_replay(dir: &Path, sim: &[&str], follow: &[&str]) -> String {
    let mut args = vec![
        "follow",
        dir.to_str().unwrap(),
        "-o",
        "json",
        "--exit-when-idle",
        "2s",
        "--poll",
        "100ms",
    ];
    args.extend_from_slice(follow);
    let child = bin()
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut sargs = vec!["simulate", dir.to_str().unwrap(), "--live"];
    sargs.extend_from_slice(sim);
    let (code, _, err) = podtrace(&sargs);
    assert_eq!(code, 0, "{err}");
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_live_replay_gives_every_pod_once_equal_to_the_batch_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("bundle");
    let out = follow_live_replay(
        &dir,
        &[
            "--pods",
            "80",
            "--speed",
            "8",
            "--failures",
            "--init-containers",
            "--restarts",
            "--noise",
            "1",
            "--timezone",
            "2",
        ],
        &["--settle", "3s"],
    );
    let f = parse_follow(&out);
    let b = batch(&dir);
    assert_eq!(b.len(), 80);
    assert_eq!(
        f.pods.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>()
    );
    for (uid, want) in &b {
        assert_eq!(&last_record(&f, uid), want, "pod {uid}");
    }
    // Every pod of this bundle is behind a Service: each was complete when emitted.
    assert!(
        f.pods.values().all(|p| p["emitted"] == "complete"),
        "{:?}",
        f.pods.values().map(|p| &p["emitted"]).collect::<Vec<_>>()
    );
    let s = &f.summary;
    assert_eq!(s["pods"], 80);
    assert_eq!(s["tally"]["complete"], 80);
    assert_eq!(s["tally"]["partial_updates"], 0);
    assert_eq!(s["stopped"], "idle");
    // The same lines as the batch run read, counted the same way.
    let (_, analyzed, _) = podtrace(&["analyze", dir.to_str().unwrap(), "-o", "json"]);
    let totals: Value = json_lines(&analyzed)
        .into_iter()
        .find(|r| r["type"] == "summary")
        .map(|r| r["lines"].clone())
        .unwrap();
    for c in ["audit", "kubelet", "containerd", "kube-proxy", "scheduler"] {
        assert_eq!(s["totals"][c], totals[c], "{c}");
    }
}

#[test]
fn rotated_files_are_read_on_through_their_handle_and_not_read_twice() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("bundle");
    let out = follow_live_replay(
        &dir,
        &["--pods", "60", "--speed", "8", "--rotate-bytes", "30000"],
        &["--settle", "3s"],
    );
    let rotated = crate::util::files_under(&dir)
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "1"))
        .count();
    assert!(rotated >= 3, "{rotated} rotated files");
    let f = parse_follow(&out);
    let b = batch(&dir);
    assert_eq!(f.pods.len(), 60);
    // Times, sources and lines are the batch run's; a line's file is named as it was when read
    // (`kubelet.log`, renamed `kubelet.log.1` since).
    let strip = |v: &Value| -> Value {
        let mut s = serde_json::to_string(v).unwrap();
        for n in 1..10 {
            s = s.replace(&format!(".log.{n}:"), ".log:");
        }
        serde_json::from_str(&s).unwrap()
    };
    for (uid, want) in &b {
        assert_eq!(strip(&last_record(&f, uid)), strip(want), "pod {uid}");
    }
    assert_eq!(f.summary["tally"]["updates"], 0);
}

#[test]
fn stdin_is_followed_to_its_end_and_equals_the_file_read_at_once() {
    let file = real("aks-containerd1.7/node-aks-nodepool1_pod-default-multiple.journal.log");
    let bytes = std::fs::read(&file).unwrap();
    let name = file.to_str().unwrap();
    let mut child = bin()
        .args(["follow", "-", "--stdin-name", name, "-o", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        // In pieces that cut lines in two, the last line without its newline.
        let mut stdin = child.stdin.take().unwrap();
        let body = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
        for piece in body.chunks(700) {
            stdin.write_all(piece).unwrap();
            stdin.flush().unwrap();
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let f = parse_follow(&String::from_utf8(out.stdout).unwrap());
    let (_, a, _) = podtrace(&["analyze", name, "-o", "json"]);
    let want: Vec<Value> = json_lines(&a)
        .into_iter()
        .filter(|r| r["type"] == "pod")
        .collect();
    assert_eq!(want.len(), 1);
    let uid = want[0]["uid"].as_str().unwrap();
    assert_eq!(last_record(&f, uid), want[0]);
    // Ended by stdin closing, with the pod still waiting for its programming: said so.
    assert_eq!(f.pods[uid]["emitted"], "end");
    assert_eq!(f.summary["stopped"], "input closed");
    assert_eq!(
        f.summary["lines"],
        bytes.iter().filter(|b| **b == b'\n').count()
    );
}

/// Copies the demo bundle into `to`, holding back the worker's kube-proxy log (created empty).
fn demo_without_worker_proxy(to: &Path) -> (PathBuf, Vec<u8>) {
    let from = repo().join("samples/seed-demo");
    let mut held = (PathBuf::new(), Vec::new());
    for f in crate::util::files_under(&from) {
        let rel = f.strip_prefix(&from).unwrap();
        let dest = to.join(rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        let bytes = std::fs::read(&f).unwrap();
        let worker_proxy =
            rel.starts_with("kind-worker") && rel.to_str().unwrap().contains("kube-proxy");
        if worker_proxy {
            std::fs::write(&dest, b"").unwrap();
            held = (dest, bytes);
        } else {
            std::fs::write(&dest, bytes).unwrap();
        }
    }
    assert!(!held.1.is_empty());
    held
}

#[test]
fn a_late_line_gives_an_update_record_not_a_second_pod() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let (proxy, proxy_bytes) = demo_without_worker_proxy(&dir);
    let mut child = follow_json(&dir, &[]);
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // The pod is complete for the one kube-proxy seen (the control plane's)...
    let first: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(first["type"], "pod");
    assert_eq!(first["emitted"], "complete");
    let programmed: Vec<&String> = first["programmed"].as_object().unwrap().keys().collect();
    assert_eq!(programmed, ["kind-control-plane"]);
    // ...then the worker's kube-proxy writes its lines.
    std::fs::write(&proxy, &proxy_bytes).unwrap();
    let rest: Vec<Value> = lines
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect();
    assert!(child.wait().unwrap().success());
    let updates: Vec<&Value> = rest.iter().filter(|r| r["type"] == "update").collect();
    assert_eq!(updates.len(), 1, "{rest:?}");
    let u = updates[0];
    assert_eq!(u["whole"], true);
    let added: Vec<&str> = u["added"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(added.contains(&"programmed:kind-worker"), "{added:?}");
    assert!(rest.iter().all(|r| r["type"] != "pod"));
    // The update is the batch run's record of the whole bundle.
    let b = batch(&dir);
    let uid = first["uid"].as_str().unwrap();
    let f = Followed {
        pods: [(uid.to_owned(), first.clone())].into(),
        updates: vec![u.clone()],
        summary: Value::Null,
    };
    assert_eq!(last_record(&f, uid), b[uid]);
    let summary = rest.last().unwrap();
    assert_eq!(summary["tally"]["updates"], 1);
    assert_eq!(summary["tally"]["complete"], 1);
}

#[test]
fn the_tailer_reads_appends_truncation_and_rotation_once_and_ignores_compressed_rotations() {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("kind-worker/kubelet.log");
    std::fs::create_dir_all(log.parent().unwrap()).unwrap();
    let demo =
        std::fs::read_to_string(repo().join("samples/seed-demo/kind-worker/kubelet.log")).unwrap();
    let lines: Vec<&str> = demo.lines().collect();
    let opts = ReadOptions::default();
    let roots = [tmp.path().to_path_buf()];
    let mut t = Tailer::new(&roots, None, false, &opts);
    let mut tick = 0;
    let mut poll = |t: &mut Tailer| {
        tick += 1;
        t.poll(tick)
    };
    // Half a line: nothing read as a line yet.
    std::fs::write(&log, &lines[0][..10]).unwrap();
    poll(&mut t);
    assert_eq!(t.streams.len(), 1);
    assert_eq!(t.streams[0].lines, 0);
    // The rest of the first half of the file.
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    let half = lines.len() / 2;
    write!(f, "{}\n{}\n", &lines[0][10..], lines[1..half].join("\n")).unwrap();
    poll(&mut t);
    assert_eq!(t.streams[0].lines, half as u64);
    let first_events = t.streams[0].held();
    assert!(first_events > 0);
    // Rotated by renaming (logrotate `create`), a new file at the old name: the renamed file is
    // the same stream, not read again; the new one is a second stream.
    std::fs::rename(&log, log.with_extension("log.1")).unwrap();
    std::fs::write(&log, format!("{}\n", lines[half..].join("\n"))).unwrap();
    poll(&mut t);
    assert_eq!(t.streams.len(), 2);
    assert_eq!(t.streams[0].lines, half as u64);
    assert!(t.streams[0].display.ends_with("kubelet.log.1"));
    assert_eq!(t.streams[1].lines, (lines.len() - half) as u64);
    // The rotation compressed: ignored, and said.
    let gz = log.with_extension("log.2.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(demo.as_bytes()).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    poll(&mut t);
    assert_eq!(t.streams.len(), 2);
    assert!(
        t.notes
            .iter()
            .any(|n| n.contains("kubelet.log.2.gz") && n.contains("not read")),
        "{:?}",
        t.notes
    );
    // Truncated in place (`copytruncate`) and written again: a new stream from its start.
    std::fs::write(&log, format!("{}\n", lines[..3].join("\n"))).unwrap();
    poll(&mut t);
    assert_eq!(t.streams.len(), 3);
    assert_eq!(t.streams[2].lines, 3);
    // Every line read exactly once per write: the file's lines, plus the three written again.
    let total: u64 = t.streams.iter().map(|s| s.lines).sum();
    assert_eq!(total, lines.len() as u64 + 3);
}

#[cfg(feature = "otlp")]
#[test]
fn follow_sends_each_pod_as_a_trace_once() {
    use crate::receiver::Receiver;
    let rx = Receiver::grpc(true);
    let (code, out, err) = podtrace(&[
        "follow",
        "samples/seed-demo",
        "--endpoint",
        &format!("http://{}", rx.addr),
        "--settle",
        "1s",
        "--exit-when-idle",
        "1s",
        "-o",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let summary = json_lines(&out).pop().unwrap();
    let a = crate::util::analyze(&[repo().join("samples/seed-demo")]);
    let want = podtrace::trace::plan_all(&a.pods, &Default::default());
    let got: usize = rx
        .received()
        .iter()
        .flat_map(|r| &r.request.resource_spans)
        .flat_map(|rs| &rs.scope_spans)
        .map(|ss| ss.spans.len())
        .sum();
    assert_eq!(got, want.len());
    assert_eq!(summary["otlp"]["spans_sent"], want.len());
    assert_eq!(summary["otlp"]["spans_failed"], 0);
    // The same span ids as `trace` sends.
    let mut ids: Vec<Vec<u8>> = rx
        .received()
        .iter()
        .flat_map(|r| &r.request.resource_spans)
        .flat_map(|rs| &rs.scope_spans)
        .flat_map(|ss| &ss.spans)
        .map(|s| s.span_id.clone())
        .collect();
    ids.sort();
    let mut want_ids: Vec<Vec<u8>> = want.iter().map(|s| s.span_id.to_vec()).collect();
    want_ids.sort();
    assert_eq!(ids, want_ids);
}

#[test]
fn from_the_end_only_new_lines_are_read_and_pods_already_running_are_not_shown() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let (proxy, proxy_bytes) = demo_without_worker_proxy(&dir);
    std::fs::write(&proxy, &proxy_bytes).unwrap();
    let kubelet = dir.join("kind-worker/kubelet.log");
    let child = follow_json(&dir, &["--from-end"]);
    std::thread::sleep(Duration::from_millis(500));
    // The pod's last kubelet lines written again: a pod seen only from its later lines.
    let text = std::fs::read_to_string(&kubelet).unwrap();
    let tail: Vec<&str> = text.lines().rev().take(4).collect();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&kubelet)
        .unwrap();
    for l in tail.iter().rev() {
        writeln!(f, "{l}").unwrap();
    }
    drop(f);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let f = parse_follow(&String::from_utf8(out.stdout).unwrap());
    assert!(f.pods.is_empty());
    assert!(f.updates.is_empty());
    // Only the four lines written after the start were read.
    assert_eq!(f.summary["lines"], 4);
    assert_eq!(f.summary["tally"]["started_before"], 1);
    assert_eq!(f.summary["pods"], 0);
}

/// Every plain sample file (the demo, the real samples, the fuzz seeds), fed to a live stream in pieces of
/// several sizes, gives the events, counts and warnings that reading it at once gives. With
/// `idle`, the stream is told after each piece that no more bytes have come (a slow writer):
/// it then sniffs on the lines it has, and must still read the same.
fn pieces_equal_whole(idle: bool) {
    let opts = ReadOptions::default();
    let mut files = crate::util::files_under(&repo().join("samples/seed-demo"));
    files.extend(crate::util::files_under(&repo().join("samples/real")));
    // The fuzz seeds: hostile shapes, and inputs where the live reader once differed (a Loki
    // page quoting audit lines).
    files.extend(crate::util::files_under(&repo().join("fuzz/seeds")));
    let mut checked = 0;
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        let compressed = bytes.starts_with(&[0x1f, 0x8b])
            || bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd])
            || bytes.starts_with(b"PK")
            || (bytes.len() > 262 && &bytes[257..262] == b"ustar");
        if compressed {
            continue;
        }
        let display = f.display().to_string();
        let whole = podtrace::input::read::read_stream(
            0,
            &display,
            &f,
            Box::new(std::io::Cursor::new(bytes.clone())),
            &opts,
        );
        for size in [1usize, 7, 4096, 1 << 20] {
            if size == 1 && bytes.len() > 200_000 {
                continue; // a byte at a time: the small files say enough
            }
            let mut s = podtrace::input::live::LiveStream::new(0, &display, &f, &opts);
            for (i, piece) in bytes.chunks(size).enumerate() {
                s.feed(piece, i as u64);
                if idle && size >= 4096 {
                    s.idle(i as u64);
                }
            }
            s.finish(u64::MAX);
            let r = &s.rep;
            let what = format!("{display} in pieces of {size} (idle: {idle})");
            assert_eq!(r.format, whole.format, "{what}");
            assert_eq!(r.skipped, whole.skipped, "{what}");
            assert_eq!(r.counts, whole.counts, "{what}");
            assert_eq!(r.warning_count, whole.warning_count, "{what}");
            assert_eq!(r.events.len(), whole.events.len(), "{what}");
            assert!(r.events == whole.events, "{what}: events differ");
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked}");
}

#[test]
fn a_stream_read_in_pieces_reads_what_it_reads_at_once() {
    pieces_equal_whole(false);
}

#[test]
fn a_slow_writers_stream_sniffed_early_reads_what_it_reads_at_once() {
    pieces_equal_whole(true);
}
