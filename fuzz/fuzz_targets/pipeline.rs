//! The whole pipeline on an arbitrary file (plain, compressed or an archive: the input's magic
//! bytes decide): reading, framing, extraction, clocks, join and timelines never panic, and every
//! line stays accounted for.
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
    let a = podtrace::analyze(std::slice::from_ref(&path), &opts);
    for f in &a.files {
        for n in f.counts.values() {
            assert_eq!(n.lines, n.recognised + n.ignored + n.unparsed);
        }
    }
});
