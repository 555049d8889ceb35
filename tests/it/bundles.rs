//! Bundles: the same logs as a folder, a tar, a tar.gz, a tar.zst, a zip, a zip nested in a
//! folder, and with overlapping files, give the same timelines; damaged archives are reported.

use std::io::Write;
use std::path::{Path, PathBuf};

use podtrace::timeline::PodTimeline;

use crate::util::*;
use podtrace::timeline::Ms;

fn demo() -> PathBuf {
    repo().join("samples/seed-demo")
}

fn tar_bytes(prefix: &str) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for f in files_under(&demo()) {
        let rel = f.strip_prefix(demo()).unwrap();
        b.append_path_with_name(&f, Path::new(prefix).join(rel))
            .unwrap();
    }
    b.into_inner().unwrap()
}

fn zip_bytes(prefix: &str) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let o = zip::write::SimpleFileOptions::default();
    for f in files_under(&demo()) {
        let rel = f.strip_prefix(demo()).unwrap();
        z.start_file(Path::new(prefix).join(rel).to_string_lossy(), o)
            .unwrap();
        z.write_all(&std::fs::read(&f).unwrap()).unwrap();
    }
    z.finish().unwrap().into_inner()
}

fn gz(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

/// What must not change with the packaging: every milestone's time, source, precision and host,
/// and every phase.
fn essence(p: &PodTimeline) -> Vec<String> {
    let mut v: Vec<String> = p
        .milestones
        .iter()
        .map(|(k, m)| {
            format!(
                "{k} {} {:?} {} {:?} {:?}",
                m.t, m.source, m.precision, m.host, m.derived
            )
        })
        .collect();
    v.extend(p.phases.iter().map(|(k, d)| format!("{k} {d}")));
    for c in &p.containers {
        v.extend(
            c.milestones
                .iter()
                .map(|(k, m)| format!("{} {k} {}", c.name, m.t)),
        );
    }
    v
}

#[test]
fn same_timelines_from_every_packaging() {
    let folder = analyze(&[demo()]);
    let want = essence(pod(&folder, "default", "pod-demo"));
    let d = tempfile::tempdir().unwrap();
    let tar = tar_bytes("kind-logs");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("bundle.tar", tar.clone()),
        ("bundle.tar.gz", gz(&tar)),
        ("bundle.tar.zst", zstd::encode_all(&tar[..], 3).unwrap()),
        ("bundle.zip", zip_bytes("kind-logs")),
        ("nested/dir/node-logs.zip", zip_bytes("")),
    ];
    for (name, bytes) in cases {
        let p = d.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
        let a = analyze(std::slice::from_ref(&p));
        assert_eq!(
            a.files.len(),
            6,
            "{name}: {:?}",
            a.files.iter().map(|f| &f.path).collect::<Vec<_>>()
        );
        assert_eq!(a.warning_count, 0, "{name}: {:?}", a.warnings);
        let got = pod(&a, "default", "pod-demo");
        assert_eq!(essence(got), want, "{name}");
        let ev = got.milestones[&Ms::KubeletSeen].evidence.to_string();
        assert!(
            ev.contains(&format!("{name}!/")) && ev.ends_with("kind-worker/kubelet.log:1"),
            "{name}: {ev}"
        );
        std::fs::remove_file(&p).unwrap();
    }
}

#[test]
fn overlapping_journal_and_unit_logs_count_once() {
    // kind writes journal.log (every unit) beside kubelet.log and containerd.log.
    let d = tempfile::tempdir().unwrap();
    let node = d.path().join("kind-worker");
    std::fs::create_dir_all(&node).unwrap();
    let k = std::fs::read_to_string(demo().join("kind-worker/kubelet.log")).unwrap();
    let c = std::fs::read_to_string(demo().join("kind-worker/containerd.log")).unwrap();
    std::fs::write(node.join("kubelet.log"), &k).unwrap();
    std::fs::write(node.join("containerd.log"), &c).unwrap();
    let mut journal: Vec<&str> = k.lines().chain(c.lines()).collect();
    journal.sort_by_key(|l| &l[..15]);
    std::fs::write(node.join("journal.log"), journal.join("\n") + "\n").unwrap();
    let a = analyze(&path(&d));
    let p = pod(&a, "default", "pod-demo");
    assert_eq!(a.duplicate_events, 9 + 14);
    assert_eq!(phase(p, "kubelet_prep"), 116_703_455);
    // The copy from the first file in path order (containerd.log, journal.log, kubelet.log) is kept.
    assert!(
        ms(p, "kubelet_seen")
            .evidence
            .to_string()
            .ends_with("kind-worker/journal.log:1"),
        "{}",
        ms(p, "kubelet_seen").evidence
    );
}

#[test]
fn damaged_archives_are_reported() {
    let d = tempfile::tempdir().unwrap();
    // A truncated tar.gz: the members before the cut are read, the cut is reported.
    let tgz = gz(&tar_bytes("b"));
    std::fs::write(d.path().join("cut.tar.gz"), &tgz[..tgz.len() * 2 / 3]).unwrap();
    let a = analyze(&[d.path().join("cut.tar.gz")]);
    assert!(!a.files.is_empty());
    let problems: Vec<_> = a
        .files
        .iter()
        .filter(|f| f.error.is_some() || f.skipped.is_some())
        .collect();
    assert!(!problems.is_empty(), "{:?}", a.files);
    // A member named ../../x escapes the root: read as a stream, and said.
    let mut b = tar::Builder::new(Vec::new());
    let data = std::fs::read(demo().join("kind-worker/kubelet.log")).unwrap();
    let mut h = tar::Header::new_gnu();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    // tar::Builder refuses `..` in names, so write the raw name into the header.
    let name = b"../../kind-worker/kubelet.log";
    h.as_old_mut().name[..name.len()].copy_from_slice(name);
    h.set_cksum();
    b.append(&h, &data[..]).unwrap();
    std::fs::write(d.path().join("evil.tar"), b.into_inner().unwrap()).unwrap();
    let a = analyze(&[d.path().join("evil.tar")]);
    assert_eq!(a.pods.len(), 1);
    assert!(
        a.warnings
            .iter()
            .any(|w| w.to_string().contains("escapes the archive root")),
        "{:?}",
        a.warnings
    );
    // A gzip bomb: output past the limit stops the stream with a clear message.
    let zeros = gz(&vec![b'\n'; 8 << 20]);
    std::fs::write(d.path().join("bomb.log.gz"), zeros).unwrap();
    let mut o = opts();
    o.read.max_decompressed = Some(1 << 20);
    let a = analyze_with(&[d.path().join("bomb.log.gz")], &o);
    assert!(
        a.files[0]
            .error
            .as_deref()
            .unwrap_or("")
            .contains("decompression bomb"),
        "{:?}",
        a.files[0]
    );
    // Not an archive at all despite its name.
    std::fs::write(d.path().join("fake.zip"), "just text\n").unwrap();
    let a = analyze(&[d.path().join("fake.zip")]);
    assert_eq!(
        a.files[0].skipped.as_deref(),
        Some("no log lines among the first lines (not a log file?)")
    );
}
