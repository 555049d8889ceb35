//! Hostile input, second pass (issue 17): every decoder spends one budget, documents of any
//! length are read as documents, and nothing wraps or vanishes silently. Resource cases assert
//! their bounds loosely (the numbers are what a regression would blow through, not targets).

use std::io::Write;
use std::path::Path;

use crate::util::*;

fn demo_kubelet() -> Vec<u8> {
    std::fs::read(repo().join("samples/seed-demo/kind-worker/kubelet.log")).unwrap()
}

fn zip_of(members: &[(&str, &[u8], zip::CompressionMethod)]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data, method) in members {
        let o = zip::write::SimpleFileOptions::default()
            .compression_method(*method)
            .large_file(data.len() as u64 >= u32::MAX as u64);
        z.start_file(*name, o).unwrap();
        z.write_all(data).unwrap();
    }
    z.finish().unwrap().into_inner()
}

fn file<'a>(a: &'a podtrace::Analysis, suffix: &str) -> &'a podtrace::FileSummary {
    a.files
        .iter()
        .find(|f| f.path.ends_with(suffix))
        .unwrap_or_else(|| {
            panic!(
                "no file ending in {suffix}: {:?}",
                a.files.iter().map(|f| &f.path).collect::<Vec<_>>()
            )
        })
}

fn with_budget(path: &Path, budget: u64) -> podtrace::Analysis {
    let mut o = opts();
    o.read.max_decompressed = Some(budget);
    analyze_with(&[path.to_path_buf()], &o)
}

/// Zip members of every method spend the file's budget, like `.gz` and `.zst` files: a member
/// inflating past it is stopped with a message naming the member, and the members after it are
/// not opened (one note for the rest, not one error each).
#[test]
fn zip_members_spend_the_decompression_budget() {
    let d = tempfile::tempdir().unwrap();
    // 8 MiB of short kubelet lines (a log, so that it is read on, not skipped at the sniff).
    let lines = b"I1129 18:33:25.000001       1 x.go:1] x\n".repeat(200_000);
    for method in [
        zip::CompressionMethod::Deflated,
        zip::CompressionMethod::Zstd,
        zip::CompressionMethod::Stored,
    ] {
        let bytes = zip_of(&[
            ("a/bomb.log", &lines, method),
            ("b/kubelet.log", &demo_kubelet(), method),
        ]);
        let p = d.path().join(format!("bomb-{method:?}.zip"));
        std::fs::write(&p, bytes).unwrap();
        let a = with_budget(&p, 1 << 20);
        let bomb = file(&a, "!/a/bomb.log");
        assert!(
            bomb.error
                .as_deref()
                .unwrap_or("")
                .contains("decompressed size passed 1048576 bytes"),
            "{method:?}: {bomb:?}"
        );
        // The budget is spent: the next member is not read, and that is said once.
        assert!(a.files.iter().all(|f| !f.path.ends_with("b/kubelet.log")));
        let rest = file(&a, "!/…");
        assert!(
            rest.skipped
                .as_deref()
                .unwrap_or("")
                .starts_with("decompression budget of 1048576 bytes spent"),
            "{rest:?}"
        );
        assert!(a.pods.is_empty());
    }
    // Within the budget the same archive is read whole.
    let bytes = zip_of(&[(
        "b/kubelet.log",
        &demo_kubelet(),
        zip::CompressionMethod::Zstd,
    )]);
    let p = d.path().join("fine.zip");
    std::fs::write(&p, bytes).unwrap();
    let a = with_budget(&p, 1 << 20);
    assert_eq!(a.pods.len(), 1);
}

/// Runs the binary with `PODTRACE_TIMINGS=1`: (exit code, stderr, peak RSS in MiB, seconds).
fn measured(args: &[&str]) -> (i32, String, u64, f64) {
    let t = std::time::Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_podtrace"))
        .args(args)
        .env("PODTRACE_TIMINGS", "1")
        .output()
        .unwrap();
    let secs = t.elapsed().as_secs_f64();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let kib: u64 = err
        .lines()
        .find_map(|l| l.strip_prefix("podtrace: peak RSS: "))
        .and_then(|l| l.strip_suffix(" KiB"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no peak RSS in: {err}"));
    (out.status.code().unwrap_or(-1), err, kib / 1024, secs)
}

/// A zip inside a zip (or a tar) is no longer held in memory: it is spooled to an unnamed
/// temporary file. A 192 MiB inner zip (a few hundred KB deflated in the outer one) used to cost
/// its size in RSS, and multiplied with cores.
#[test]
fn nested_zip_is_spooled_not_buffered() {
    let d = tempfile::tempdir().unwrap();
    let inner_path = d.path().join("inner.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&inner_path).unwrap());
    let stored = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(true);
    z.start_file("w/kubelet.log", stored).unwrap();
    z.write_all(&demo_kubelet()).unwrap();
    z.start_file("w/padding.bin", stored).unwrap();
    let mib = vec![0u8; 1 << 20];
    for _ in 0..192 {
        z.write_all(&mib).unwrap();
    }
    z.finish().unwrap();
    let outer_path = d.path().join("outer.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&outer_path).unwrap());
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1))
        .large_file(true);
    z.start_file("nested/inner.zip", deflated).unwrap();
    std::io::copy(&mut std::fs::File::open(&inner_path).unwrap(), &mut z).unwrap();
    z.finish().unwrap();
    std::fs::remove_file(&inner_path).unwrap();
    let outer = outer_path.to_str().unwrap();
    let (code, err, mib_peak, _) = measured(&["analyze", "--format", "json", outer]);
    assert_eq!(code, 0, "{err}");
    assert!(mib_peak <= 96, "peak RSS {mib_peak} MiB");
    let a = analyze(std::slice::from_ref(&outer_path));
    assert_eq!(a.pods.len(), 1);
    let k = file(&a, "outer.zip!/nested/inner.zip!/w/kubelet.log");
    assert_eq!((k.error.as_deref(), k.skipped.as_deref()), (None, None));
    // NULs only: no line, and the NULs are counted.
    let pad = file(&a, "inner.zip!/w/padding.bin");
    assert_eq!(
        pad.first_warnings[0].to_string(),
        format!(
            "{}:0: 201326592 NUL bytes where lines start skipped (copytruncate rotation pads a log's start)",
            pad.path
        )
    );
}

/// `copytruncate` rotation pads the start of a log that its writer goes on writing at its old
/// offset with NULs, glued to the first new line: the NULs are counted and skipped and the file
/// is read (one NUL used to skip the whole file as binary). A NUL inside the first lines that is
/// not at a line's start still marks a binary.
#[test]
fn nul_padding_is_skipped_and_counted() {
    let clean = demo_kubelet();
    let mut padded = vec![0u8; 3 << 20];
    padded.extend_from_slice(&clean);
    let d = bundle(&[]);
    let dir = d.path().join("kind-worker");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("kubelet.log"), &padded).unwrap();
    let a = analyze(&path(&d));
    let d2 = tempfile::tempdir().unwrap();
    let c = d2.path().join("kind-worker");
    std::fs::create_dir_all(&c).unwrap();
    std::fs::write(c.join("kubelet.log"), &clean).unwrap();
    let b = analyze(&[c]);
    assert_eq!(a.pods.len(), 1);
    let (p, q) = (&a.pods[0], &b.pods[0]);
    assert_eq!(
        serde_json::to_value(p).unwrap()["milestones"],
        serde_json::to_value(q).unwrap()["milestones"]
            .to_string()
            .replace(&b.files[0].path, &a.files[0].path)
            .parse::<serde_json::Value>()
            .unwrap()
    );
    let f = &a.files[0];
    assert_eq!(
        f.counts.values().map(|c| c.lines).sum::<u64>(),
        clean.iter().filter(|b| **b == b'\n').count() as u64
    );
    assert_eq!(
        f.first_warnings[0].to_string(),
        format!(
            "{}:0: 3145728 NUL bytes where lines start skipped (copytruncate rotation pads a log's start)",
            f.path
        )
    );
    // A binary: NULs inside its first lines.
    std::fs::write(
        dir.join("kubelet.log"),
        b"I1129 18:33:25.000001 1 x.go:1] a\0b\n",
    )
    .unwrap();
    let a = analyze(&path(&d));
    assert_eq!(
        a.files[0].skipped.as_deref(),
        Some("binary content (NUL bytes)")
    );
}

/// Symlink and hard-link members are not followed, and each says so; a tar member cut short by
/// the archive's end is flagged on the member itself, with what was read kept.
#[test]
fn tar_links_and_a_member_cut_short_are_noted() {
    let d = tempfile::tempdir().unwrap();
    let data = demo_kubelet();
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    b.append_data(&mut h, "kind-worker/kubelet.log", &data[..])
        .unwrap();
    for (ty, name) in [
        (tar::EntryType::Symlink, "kind-worker/kubelet.log.1"),
        (tar::EntryType::Link, "kind-worker/kubelet.log.2"),
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(ty);
        h.set_size(0);
        h.set_mode(0o644);
        b.append_link(&mut h, name, "kind-worker/kubelet.log")
            .unwrap();
    }
    let mut h = tar::Header::new_gnu();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    b.append_data(&mut h, "kind-worker2/kubelet.log", &data[..])
        .unwrap();
    let bytes = b.into_inner().unwrap();
    // Cut in the middle of the last member's data.
    let cut = bytes.len() - 1024 - data.len() / 2;
    let p = d.path().join("b.tar");
    std::fs::write(&p, &bytes[..cut]).unwrap();
    let a = analyze(&[p]);
    let sym = file(&a, "kubelet.log.1");
    assert_eq!(
        sym.skipped.as_deref(),
        Some("symlink member to kind-worker/kubelet.log: links are not followed")
    );
    let hard = file(&a, "kubelet.log.2");
    assert_eq!(
        hard.skipped.as_deref(),
        Some("hard-link member to kind-worker/kubelet.log: links are not followed")
    );
    let cut_member = file(&a, "b.tar!/kind-worker2/kubelet.log");
    let err = cut_member.error.as_deref().unwrap_or("");
    assert!(
        err.starts_with("member cut short: ")
            && err.ends_with(&format!(
                " of its {} bytes (the archive ends early)",
                data.len()
            )),
        "{cut_member:?}"
    );
    assert!(
        cut_member
            .counts
            .values()
            .map(|c| c.recognised)
            .sum::<u64>()
            > 0
    );
}

/// Documents that used to take minutes: 400 KB of nested YAML flow mappings (50 s, then a
/// recursion error), and a 20 MB compact PodList (each item's line searched from the start: over
/// ten minutes). Both now take a linear pass; the pods of the compact list are read.
#[test]
fn hostile_documents_are_linear() {
    let d = tempfile::tempdir().unwrap();
    let n = 100 * 1024;
    let yaml = format!(
        "apiVersion: v1\nkind: List\nitems:\n- metadata: {}1{}\n",
        "{a: ".repeat(n),
        "}".repeat(n)
    );
    std::fs::create_dir_all(d.path().join("y")).unwrap();
    std::fs::write(d.path().join("y/pods.yaml"), yaml).unwrap();
    let items: Vec<String> = (0..20_000)
        .map(|i| {
            format!(
                r#"{{"metadata":{{"name":"p{i}","namespace":"ns","uid":"u-{i}","creationTimestamp":"2026-11-29T18:33:25Z","annotations":{{"x":"{}"}}}},"spec":{{"nodeName":"n1","containers":[{{"name":"c","image":"i"}}]}}}}"#,
                "y".repeat(800)
            )
        })
        .collect();
    std::fs::create_dir_all(d.path().join("j")).unwrap();
    std::fs::write(
        d.path().join("j/pods.json"),
        format!(r#"{{"kind":"PodList","items":[{}]}}"#, items.join(",")),
    )
    .unwrap();
    let dir = d.path().to_str().unwrap();
    let (code, err, mib, secs) = measured(&["inspect", "--format", "json", dir]);
    assert_eq!(code, 0, "{err}");
    assert!(secs < 10.0 && mib <= 256, "{secs} s, {mib} MiB");
    let a = analyze(&[d.path().to_path_buf()]);
    assert_eq!(a.pods.len(), 20_000);
    let y = file(&a, "pods.yaml");
    assert_eq!(
        y.first_warnings[0].to_string(),
        format!(
            "{}:1: unreadable document: YAML nested deeper than 64 levels at line 4 (not parsed)",
            y.path
        )
    );
}

/// Times that cannot exist are warnings with `path:line`, never another date: Feb 29 in a
/// common year (it used to become Mar 1), a year past 2261 (it used to wrap to the 1700s), and
/// `--year` is held to the range that nanoseconds in 64 bits hold.
#[test]
fn impossible_times_are_warnings_not_other_dates() {
    let d = bundle(&[
        (
            "kind-worker/kubelet.log",
            "I0229 10:15:00.146214     247 kubelet.go:2407] \"SyncLoop ADD\" source=\"api\" pods=[\"default/leap\"]\n\
             I0301 10:15:00.146214     247 kubelet.go:2407] \"SyncLoop ADD\" source=\"api\" pods=[\"default/march\"]\n",
        ),
        (
            "cp/audit.log",
            r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a1","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/pods","verb":"create","user":{"username":"u"},"objectRef":{"resource":"pods","namespace":"default","name":"future","apiVersion":"v1"},"responseStatus":{"code":201},"requestReceivedTimestamp":"9999-12-31T23:59:59.000000Z","stageTimestamp":"9999-12-31T23:59:59.100000Z"}"#,
        ),
    ]);
    let dir = d.path().to_str().unwrap();
    let (code, out, err) = podtrace(&["analyze", dir, "--year", "2025", "--format", "json", "-v"]);
    assert_eq!(code, 0, "{err}");
    let names: Vec<String> = out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["type"] == "pod")
        .map(|v| v["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["march"]);
    assert!(
        err.contains(&format!(
            "{dir}/kind-worker/kubelet.log:1: 02-29 does not exist in 2025: event dropped"
        )),
        "{err}"
    );
    // The audit line's stamp is beyond 2261: not read as a time at all.
    assert!(err.contains(&format!("{dir}/cp/audit.log:1: ")), "{err}");
    assert!(!out.contains("1816-"), "{out}");
    // In a leap year the same line is Feb 29.
    let (_, out, _) = podtrace(&["analyze", dir, "--year", "2024", "--format", "json"]);
    assert!(out.contains("2024-02-29T10:15:00.146214000Z"), "{out}");
    let (code, _, err) = podtrace(&["analyze", dir, "--year", "2300"]);
    assert_eq!(code, 2);
    assert!(err.contains("2300 is not in 1970..=2261"), "{err}");
}

/// Windows tools: a UTF-8 byte-order mark before a JSON document (or a log) is skipped, so the
/// document is read; UTF-16 text (PowerShell 5's `>`) is named as such, not as a binary.
#[test]
fn byte_order_marks() {
    let pods = format!(
        "\u{feff}{}",
        r#"{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-0","namespace":"shop","uid":"u-1","creationTimestamp":"2025-01-10T08:00:01Z"},"spec":{"nodeName":"n1","containers":[{"name":"c","image":"i"}]},"status":{"conditions":[{"type":"PodScheduled","status":"True","lastTransitionTime":"2025-01-10T08:00:02Z"}]}}]}"#
    );
    let d = bundle(&[("dump/pods.json", &pods)]);
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(pods.encode_utf16().skip(1).flat_map(u16::to_le_bytes))
        .collect();
    std::fs::write(d.path().join("dump/pods-utf16.json"), utf16).unwrap();
    let a = analyze(&path(&d));
    let p = pod(&a, "shop", "web-0");
    assert_eq!(t(p, "scheduled"), "2025-01-10T08:00:02.000000000Z");
    assert_eq!(
        file(&a, "pods-utf16.json").skipped.as_deref(),
        Some(
            "UTF-16 text (a byte-order mark): re-encode it as UTF-8, e.g. `iconv -f UTF-16 -t UTF-8`"
        )
    );
}

/// A pretty-printed document whose one line (a large annotation) is over a log line's 16 MiB is
/// read whole as a document: the line used to be skipped, silently changing the document.
#[test]
fn a_document_line_longer_than_a_log_line_is_read() {
    let doc = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": [{
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "big", "namespace": "ns", "uid": "u-big",
            "creationTimestamp": "2025-01-10T08:00:01Z",
            // The long line last in its object: skipping it left a trailing comma, and the
            // whole document was lost as unreadable.
            "annotations": {"a": "x", "kubectl.kubernetes.io/last-applied-configuration": "y".repeat(17 << 20)}},
        "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "i"}]},
        "status": {"conditions": [{"type": "PodScheduled", "status": "True", "lastTransitionTime": "2025-01-10T08:00:02Z"}]}
    }]});
    let d = bundle(&[(
        "dump/pods.json",
        &serde_json::to_string_pretty(&doc).unwrap(),
    )]);
    let a = analyze(&path(&d));
    let f = &a.files[0];
    assert_eq!(
        (f.warnings, f.format.as_str()),
        (0, "json-objects"),
        "{f:?}"
    );
    let p = pod(&a, "ns", "big");
    assert_eq!(t(p, "scheduled"), "2025-01-10T08:00:02.000000000Z");
    // Evidence: the line of its uid, after the long annotation's line.
    let (_, line) = evidence_line(ms(p, "scheduled"));
    let text = std::fs::read_to_string(d.path().join("dump/pods.json")).unwrap();
    assert!(
        text.lines()
            .nth(line as usize - 1)
            .unwrap()
            .contains("\"uid\": \"u-big\"")
    );
}

/// A tar whose last member is cut within its first 512 bytes (the bytes the reader looks at to
/// tell a format): what was there is read, and the member says where it stopped.
#[test]
fn a_member_cut_in_its_first_bytes_keeps_its_lines() {
    let lines = "I1129 10:15:00.146214     247 kubelet.go:2407] \"SyncLoop ADD\" source=\"api\" pods=[\"default/a\"]\n\
                 I1129 10:15:01.146214     247 kubelet.go:2407] \"SyncLoop ADD\" source=\"api\" pods=[\"default/b\"]\n";
    let mut data = lines.as_bytes().to_vec();
    data.extend(std::iter::repeat_n(b'x', 300));
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    b.append_data(&mut h, "w/kubelet.log", &data[..]).unwrap();
    let bytes = b.into_inner().unwrap();
    // The header (512) and the two lines, nothing more.
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("cut.tar");
    std::fs::write(&p, &bytes[..512 + lines.len()]).unwrap();
    let mut o = opts();
    o.clock.fallback_year = 2025;
    let a = analyze_with(&[p], &o);
    let f = file(&a, "cut.tar!/w/kubelet.log");
    assert_eq!(
        f.counts.values().map(|c| c.recognised).sum::<u64>(),
        2,
        "{f:?}"
    );
    assert_eq!(a.pods.len(), 2);
    assert!(
        f.error
            .as_deref()
            .unwrap_or("")
            .starts_with("member cut short: "),
        "{f:?}"
    );
}

/// The same on a real kubelet journal (kind, Kueue e2e; samples/real/PROVENANCE.md): padded with
/// NULs as copytruncate leaves it, it gives the same timelines, line for line, as unpadded.
#[test]
fn nul_padding_on_a_real_kubelet_journal() {
    let clean = std::fs::read(real("kind-kueue/kind-worker_kubelet.journal.log")).unwrap();
    let read = |bytes: &[u8]| {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("kind-worker");
        std::fs::create_dir_all(&p).unwrap();
        std::fs::write(p.join("kubelet.journal.log"), bytes).unwrap();
        let mut o = opts();
        o.clock.fallback_year = 2024;
        let a = analyze_with(std::slice::from_ref(&p), &o);
        let f = &a.files[0];
        let json = serde_json::to_string(&a.pods)
            .unwrap()
            .replace(&*p.to_string_lossy(), "DIR");
        let lines = f.counts.values().map(|c| c.lines).sum::<u64>();
        let recognised = f.counts.values().map(|c| c.recognised).sum::<u64>();
        (
            json,
            lines,
            recognised,
            f.first_warnings.clone(),
            f.path.clone(),
        )
    };
    let (want, lines, recognised, _, _) = read(&clean);
    let mut padded = vec![0u8; 1 << 20];
    padded.extend_from_slice(&clean);
    let (got, got_lines, got_recognised, warnings, path) = read(&padded);
    assert!(recognised > 0);
    assert_eq!((got, got_lines, got_recognised), (want, lines, recognised));
    assert!(
        warnings.iter().any(|w| w.to_string()
            == format!("{path}:0: 1048576 NUL bytes where lines start skipped (copytruncate rotation pads a log's start)")),
        "{warnings:?}"
    );
}
