//! Archives and compressed files (issue 17): any bytes, read as a file whose magic bytes make it
//! a gzip, zstd, zip or tar (nested too), never panic, and every decoder inside spends one budget:
//! the lines read never exceed the file's own bytes plus the decompression budget.
#![no_main]

use libfuzzer_sys::fuzz_target;

const BUDGET: u64 = 1 << 20;

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!("podtrace-fuzz-archive-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("bundle.tar.gz");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let mut opts = podtrace::AnalyzeOptions::default();
    opts.clock.fallback_year = 2025;
    opts.read.max_decompressed = Some(BUDGET);
    opts.read.split_large = false;
    let a = podtrace::analyze(std::slice::from_ref(&path), &opts);
    let mut lines = 0u64;
    for f in &a.files {
        for n in f.counts.values() {
            assert_eq!(n.lines, n.recognised + n.ignored + n.unparsed);
            lines += n.lines;
        }
    }
    // Each line but a stream's last ends in a newline: a byte of the file or of decoded output
    // (decoded bytes are counted at every level, so the budget bounds them all).
    assert!(
        lines <= data.len() as u64 + BUDGET + a.files.len() as u64,
        "{lines} lines from {} bytes",
        data.len()
    );
});
