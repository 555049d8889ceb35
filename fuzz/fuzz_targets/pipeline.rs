//! The whole pipeline on an arbitrary file (plain, compressed or an archive: the input's magic
//! bytes decide): reading, framing, extraction, clocks, join and timelines never panic, and every
//! line stays accounted for. An audit log read in chunks by several tasks (src/input/split.rs)
//! gives exactly what one stream gives. A plain file fed to `follow`'s live reader in pieces
//! (their size from the first byte) reads exactly what it reads at once.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!("podtrace-fuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("input.log");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let mut opts = podtrace::AnalyzeOptions::default();
    opts.clock.fallback_year = 2025;
    opts.read.max_decompressed = Some(64 << 20);
    opts.read.split_large = false;
    let a = podtrace::analyze(std::slice::from_ref(&path), &opts);
    for f in &a.files {
        for n in f.counts.values() {
            assert_eq!(n.lines, n.recognised + n.ignored + n.unparsed);
        }
    }
    // The same file split into about three chunks (split only applies to audit logs).
    opts.read.split_large = true;
    opts.read.split_min = 0;
    opts.read.split_chunk = 1 + data.len() / 3;
    let b = podtrace::analyze(std::slice::from_ref(&path), &opts);
    assert_eq!(a.files.len(), b.files.len());
    for (x, y) in a.files.iter().zip(&b.files) {
        assert_eq!(x.counts, y.counts);
        assert_eq!(x.warnings, y.warnings);
        assert_eq!(x.first_warnings, y.first_warnings);
        assert_eq!(x.events, y.events);
    }
    assert_eq!(a.pods.len(), b.pods.len());

    let compressed = data.starts_with(&[0x1f, 0x8b])
        || data.starts_with(&[0x28, 0xb5, 0x2f, 0xfd])
        || data.starts_with(b"PK")
        || (data.len() >= 262 && &data[257..262] == b"ustar");
    if !compressed {
        let whole = podtrace::input::read::read_stream(
            0,
            "input.log",
            &path,
            Box::new(std::io::Cursor::new(data.to_vec())),
            &opts.read,
        );
        let size = 1 + usize::from(data.first().copied().unwrap_or(0)) * 16;
        let mut live = podtrace::input::live::LiveStream::new(0, "input.log", &path, &opts.read);
        for (i, piece) in data.chunks(size).enumerate() {
            live.feed(piece, i as u64);
        }
        live.finish(u64::MAX);
        assert_eq!(live.rep.format, whole.format);
        assert_eq!(live.rep.counts, whole.counts);
        assert_eq!(live.rep.warning_count, whole.warning_count);
        // Debug text: a NaN parsed from a line is equal to itself there.
        assert_eq!(format!("{:?}", live.rep.events), format!("{:?}", whole.events));
    }
});
