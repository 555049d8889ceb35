//! Bad input is normal input: every real sample, damaged in many ways, is read without a panic
//! and every line stays accounted for.

use crate::util::*;

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn damage(text: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for line in text.split(|&b| b == b'\n') {
        let mut l = line.to_vec();
        match rng.below(8) {
            0 => l.truncate(rng.below(l.len() + 1)), // truncated line
            1 if !l.is_empty() => {
                let k = rng.below(l.len());
                l[k] = rng.next() as u8; // flipped byte
            }
            2 => l.splice(0..0, b"\xff\xfe".iter().copied()).for_each(drop), // invalid UTF-8
            3 => out.extend_from_slice(&l[..rng.below(l.len() + 1)]),        // two lines glued
            _ => {}
        }
        out.extend_from_slice(&l);
        out.push(b'\n');
    }
    out
}

#[test]
fn damaged_real_samples_never_panic() {
    let files: Vec<_> = files_under(&real(""));
    assert!(files.len() >= 30);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for round in 0..4 {
        let dir = tempfile::tempdir().unwrap();
        for (i, f) in files.iter().enumerate() {
            let text = std::fs::read(f).unwrap();
            let name = f.file_name().unwrap().to_string_lossy();
            std::fs::write(
                dir.path().join(format!("{i}-{name}")),
                damage(&text, &mut rng),
            )
            .unwrap();
        }
        let a = analyze(&path(&dir));
        for f in &a.files {
            for (c, n) in &f.counts {
                assert_eq!(
                    n.lines,
                    n.recognised + n.ignored + n.unparsed,
                    "round {round}: {} {c:?}",
                    f.path
                );
            }
        }
    }
}

#[cfg(unix)]
#[test]
fn symlink_loops_and_links_to_the_same_file() {
    let d = tempfile::tempdir().unwrap();
    let node = d.path().join("kind-worker");
    std::fs::create_dir_all(&node).unwrap();
    std::fs::copy(
        repo().join("samples/seed-demo/kind-worker/kubelet.log"),
        node.join("kubelet.log"),
    )
    .unwrap();
    // A loop: kind-worker/again -> .. ; and a second name for the same directory.
    std::os::unix::fs::symlink("..", node.join("again")).unwrap();
    std::os::unix::fs::symlink(&node, d.path().join("alias")).unwrap();
    let a = analyze(&path(&d));
    let kubelet_files = a
        .files
        .iter()
        .filter(|f| f.path.ends_with("kubelet.log"))
        .count();
    assert_eq!(
        kubelet_files,
        1,
        "{:?}",
        a.files.iter().map(|f| &f.path).collect::<Vec<_>>()
    );
    assert!(a.files[0].path.ends_with("kind-worker/kubelet.log"));
    assert_eq!(a.pods.len(), 1);
    assert_eq!(
        ms(&a.pods[0], "kubelet_seen").host.as_deref(),
        Some("kind-worker")
    );
    let reasons: Vec<_> = a.skipped.iter().map(|s| &s.reason).collect();
    assert_eq!(
        reasons,
        [
            &podtrace::input::SkipReason::DirectorySymlink,
            &podtrace::input::SkipReason::DirectorySymlink
        ]
    );
    assert!(
        reasons[0]
            .to_string()
            .starts_with("symlink to a directory, not followed")
    );
}

#[test]
fn truncated_zip_and_bad_zip() {
    let d = tempfile::tempdir().unwrap();
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for name in ["a/kubelet.log", "b/kubelet.log"] {
        z.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(
            &mut z,
            &std::fs::read(repo().join("samples/seed-demo/kind-worker/kubelet.log")).unwrap(),
        )
        .unwrap();
    }
    let bytes = z.finish().unwrap().into_inner();
    // Cut before the central directory: the archive cannot be listed, and says so.
    std::fs::write(d.path().join("cut.zip"), &bytes[..bytes.len() - 40]).unwrap();
    let a = analyze(&[d.path().join("cut.zip")]);
    assert_eq!(a.files.len(), 1);
    assert!(
        a.files[0]
            .skipped
            .as_deref()
            .unwrap_or("")
            .starts_with("bad zip archive"),
        "{:?}",
        a.files[0]
    );
}

/// The literal prefilter must never change what is recognised: every real sample, the demo and
/// a generated bundle give the same timelines and the same recognised counts with and without it.
#[test]
fn prefilter_changes_nothing_recognised() {
    let d = tempfile::tempdir().unwrap();
    podtrace::simulate::generate(
        d.path(),
        &podtrace::simulate::SimOptions {
            pods: 40,
            nodes: 2,
            seed: 3,
            noise: 3,
            failures: true,
            init_containers: true,
            restarts: true,
            ..Default::default()
        },
    )
    .unwrap();
    for input in [
        real(""),
        repo().join("samples/seed-demo"),
        d.path().to_path_buf(),
    ] {
        let with = analyze(std::slice::from_ref(&input));
        let mut o = opts();
        o.read.no_prefilter = true;
        let without = analyze_with(std::slice::from_ref(&input), &o);
        assert_eq!(
            format!("{:?}", with.pods),
            format!("{:?}", without.pods),
            "{}",
            input.display()
        );
        let counts = |a: &podtrace::Analysis| -> Vec<(podtrace::event::Component, u64, u64)> {
            a.totals
                .iter()
                .map(|(c, n)| (*c, n.lines, n.recognised))
                .collect()
        };
        assert_eq!(counts(&with), counts(&without), "{}", input.display());
    }
}

/// A large audit log is read in chunks by every core (src/input/split.rs). Whatever the chunk
/// size, the result must be exactly that of one stream: the same events with the same line
/// numbers, counts, warnings (with their `file:line`) and times, even with damaged, over-long,
/// empty and CRLF lines, and no newline at the end.
#[test]
fn split_audit_log_reads_exactly_as_one_stream() {
    use podtrace::simulate::{SimOptions, generate};
    let sim = tempfile::tempdir().unwrap();
    let o = SimOptions {
        pods: 60,
        noise: 2,
        failures: true,
        ..Default::default()
    };
    generate(sim.path(), &o).unwrap();
    let generated = std::fs::read(
        sim.path()
            .join("kind-control-plane/kubernetes/kube-apiserver-audit.log"),
    )
    .unwrap();
    let real_lines = std::fs::read(real("audit/audit2rbac-demo.jsonl")).unwrap();
    let mut text = generated.clone();
    text.extend_from_slice(&damage(&real_lines, &mut Rng(7)));
    text.extend_from_slice(b"\n\r\n");
    text.extend_from_slice(&damage(&generated, &mut Rng(11)));
    // NULs where a line starts (skipped and counted by both readers: issue 17).
    text.extend_from_slice(b"\0\0\0");
    text.extend_from_slice(generated.split(|&b| b == b'\n').nth(3).unwrap());
    text.extend_from_slice(b"\n\0\n");
    // An over-long line (the cap is set to 4 KiB below), a CRLF line, no final newline.
    text.extend_from_slice(&vec![b'{'; 5000]);
    text.push(b'\n');
    let first = generated.split(|&b| b == b'\n').next().unwrap();
    text.extend_from_slice(first);
    text.extend_from_slice(b"\r\n");
    text.extend_from_slice(first);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kube-apiserver-audit.log");
    std::fs::write(&file, &text).unwrap();
    let (files, _) = podtrace::input::discover(&[file]);

    let read = |split: bool, chunk: usize| {
        let opts = podtrace::input::ReadOptions {
            max_line: 4096,
            keep_warnings: 100_000,
            split_large: split,
            split_min: 0,
            split_chunk: chunk,
            ..Default::default()
        };
        let mut r = podtrace::input::read_all(&files, &opts);
        assert_eq!(r.len(), 1);
        r.pop().unwrap()
    };
    let stream = read(false, 0);
    let lines = text.split(|&b| b == b'\n').count() as u64;
    let audit = stream.counts[&podtrace::event::Component::Audit];
    assert_eq!(audit.lines, lines);
    assert!(audit.recognised > 200, "{audit:?}");
    assert!(audit.unparsed > 10, "{audit:?}");
    assert!(
        stream
            .warnings
            .iter()
            .any(|w| w.to_string().ends_with(&format!(
                ":{}: line longer than 4096 bytes skipped",
                lines - 2
            ))),
        "{:?}",
        stream.warnings
    );
    for chunk in [1, 700, 4096, 100_000, 1 << 30] {
        let split = read(true, chunk);
        assert_eq!(split.format, "audit");
        assert_eq!(split.counts, stream.counts, "chunk {chunk}");
        assert_eq!(split.warnings, stream.warnings, "chunk {chunk}");
        assert_eq!(split.warning_count, stream.warning_count, "chunk {chunk}");
        assert_eq!((split.nuls, stream.nuls), (4, 4), "chunk {chunk}");
        assert_eq!(split.events.len(), stream.events.len(), "chunk {chunk}");
        for (a, b) in split.events.iter().zip(&stream.events) {
            assert_eq!(format!("{a:?}"), format!("{b:?}"), "chunk {chunk}");
        }
        assert_eq!(
            split.facts.first_abs, stream.facts.first_abs,
            "chunk {chunk}"
        );
        assert_eq!(split.facts.hosts, stream.facts.hosts, "chunk {chunk}");
        assert_eq!(
            split.facts.year.first_anchor,
            stream.facts.year.first_anchor
        );
    }
    // Only audit logs are split: a node log of the same size is read as a stream.
    let kubelet = dir.path().join("kubelet.log");
    std::fs::copy(sim.path().join("kind-worker/kubelet.log"), &kubelet).unwrap();
    let (files, _) = podtrace::input::discover(&[kubelet]);
    let opts = podtrace::input::ReadOptions {
        split_min: 0,
        split_chunk: 100,
        ..Default::default()
    };
    let r = podtrace::input::read_all(&files, &opts);
    assert_eq!(r[0].format, "journal");
    let whole = podtrace::input::read_all(&files, &Default::default());
    assert_eq!(r[0].counts, whole[0].counts);
    assert_eq!(r[0].events.len(), whole[0].events.len());
}

/// A cluster-info-dump END marker glued to a line of invalid UTF-8 (found in review: the marker
/// was looked for in the lossy text, whose replacement characters are longer than the bytes):
/// read, counted once, no panic and no endless recursion.
#[test]
fn end_marker_after_invalid_utf8() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("logs.txt");
    let mut bytes = b"I0602 09:00:00.000001       1 schedule_one.go:98] \"Attempting to schedule pod\" pod=\"a/b\"\n==== START logs for container kube-scheduler of pod kube-system/s ====\n".to_vec();
    bytes.extend(std::iter::repeat_n(0xFFu8, 100));
    bytes.extend_from_slice(
        b"==== END logs for container kube-scheduler of pod kube-system/s SyncLoop\n",
    );
    bytes.extend(std::iter::repeat_n(0xFFu8, 50));
    bytes.extend_from_slice(&b"==== END logs for container x SyncLoop ".repeat(40));
    bytes.push(b'\n');
    std::fs::write(&f, &bytes).unwrap();
    let a = analyze(&[f]);
    assert_eq!(a.files[0].skipped, None);
    let lines: u64 = a.totals.values().map(|c| c.lines).sum();
    assert_eq!(lines, 4);
}
