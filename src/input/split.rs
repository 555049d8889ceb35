//! One large plain audit log read by every core: mapped, cut into chunks at line boundaries, each
//! chunk read by its own task, the chunk reports merged in file order.
//!
//! Only audit logs are cut. Every audit line stands alone (it carries its own absolute times),
//! while node logs carry state from line to line: the year chain of klog and journald stamps, CRI
//! partial records, `logs.txt` container blocks. In real bundles the audit log is also the
//! largest file by far, and without this one core would read it while the other sat idle.
//!
//! Memory stays bounded by the chunks in flight, not the file: each chunk's pages are given back
//! (`MADV_DONTNEED`) as soon as it is read.

use std::fs::File;
use std::path::Path;

use memmap2::{Advice, Mmap, UncheckedAdvice};
use rayon::prelude::*;

use super::read::{FileReport, ReadOptions, SNIFF_LINES, Sniffed, read_audit_chunk, sniff};

/// Reads `path` in parallel chunks when it is a plain audit log of at least `opts.split_min`
/// bytes; `None` (and nothing read) when it is anything else, which is then read as a stream.
pub fn read_if_large_audit(path: &Path, display: &str, opts: &ReadOptions) -> Option<FileReport> {
    let file = File::open(path).ok()?;
    if !opts.split_large || file.metadata().ok()?.len() < opts.split_min {
        return None;
    }
    // SAFETY: the map is only read. As with ripgrep's memory maps, a file truncated by another
    // process while it is read ends the process with SIGBUS; bundles are not written to while
    // they are analysed, and `--no-mmap` reads every file as a stream instead.
    let map = unsafe { Mmap::map(&file) }.ok()?;
    let _ = map.advise(Advice::Sequential);
    let data: &[u8] = &map;
    let head = head_lines(data, opts.max_line.max(1024))?;
    if !matches!(sniff(head.iter().copied()), Sniffed::Audit) {
        return None;
    }
    let bounds = boundaries(data, opts.split_chunk.max(1));
    let spans: Vec<(usize, usize)> = bounds.windows(2).map(|w| (w[0], w[1])).collect();
    // Each chunk's first line number: the newlines before it, counted in parallel.
    let newlines: Vec<u32> = spans
        .par_iter()
        .map(|&(a, b)| {
            let n = memchr::memchr_iter(b'\n', &data[a..b]).count() as u32;
            release(&map, a, b);
            n
        })
        .collect();
    let firsts: Vec<u32> = newlines
        .iter()
        .scan(1u32, |line, n| {
            let first = *line;
            *line = line.saturating_add(*n);
            Some(first)
        })
        .collect();
    let reports: Vec<FileReport> = spans
        .par_iter()
        .zip(firsts)
        .map(|(&(a, b), first)| {
            let r = read_audit_chunk(0, display, path, &data[a..b], first, opts);
            release(&map, a, b);
            r
        })
        .collect();
    let mut it = reports.into_iter();
    let mut rep = it.next()?;
    for r in it {
        rep.absorb(r, opts.keep_warnings);
    }
    let nuls = rep.nuls;
    rep.nuls_skipped(nuls, opts);
    Some(rep)
}

/// How far into a file its first lines are looked for: a file whose first lines run past this is
/// left to the stream reader, so that a huge first line never becomes resident memory here.
const SNIFF_WINDOW: usize = 1024 * 1024;

/// The first lines of `data` as the stream reader sees them for sniffing (over-long lines left
/// out), or `None` when they do not all end within [`SNIFF_WINDOW`].
fn head_lines(data: &[u8], max_line: usize) -> Option<Vec<&[u8]>> {
    let window = &data[..data.len().min(SNIFF_WINDOW)];
    let mut rest = window;
    let mut lines = Vec::new();
    for _ in 0..SNIFF_LINES {
        if rest.is_empty() {
            break;
        }
        let line = match memchr::memchr(b'\n', rest) {
            Some(k) => {
                let l = &rest[..k];
                rest = &rest[k + 1..];
                l
            }
            None if window.len() < data.len() => return None,
            None => std::mem::take(&mut rest),
        };
        if line.len() <= max_line {
            lines.push(line.strip_suffix(b"\r").unwrap_or(line));
        }
    }
    Some(lines)
}

/// Gives the pages of `[a, b)` back to the kernel (they stay in the page cache), so that resident
/// memory does not grow with the file.
fn release(map: &Mmap, a: usize, b: usize) {
    // SAFETY: the mapping is read-only and backed by the file: after MADV_DONTNEED a later read of
    // these pages (a neighbouring chunk's first page) faults them in again from the same file,
    // with the same contents; no reference sees memory change.
    let _ = unsafe { map.unchecked_advise_range(UncheckedAdvice::DontNeed, a, b - a) };
}

/// Chunk boundaries: 0, then every `chunk` bytes moved forward to the next line start, then the
/// end. Every line lies in exactly one chunk.
fn boundaries(data: &[u8], chunk: usize) -> Vec<usize> {
    let mut out = vec![0];
    let mut at = chunk;
    while at < data.len() {
        let last = *out.last().unwrap_or(&0);
        // The line holding byte `at - 1` ends at the next newline from there.
        let from = at.max(last + 1) - 1;
        match memchr::memchr(b'\n', &data[from..]) {
            Some(k) if from + k + 1 < data.len() => out.push(from + k + 1),
            _ => break,
        }
        at = out.last().unwrap_or(&0) + chunk;
    }
    out.push(data.len());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_lines_stay_in_the_window() {
        assert_eq!(
            head_lines(b"a\r\nbb\n\nccc", 1024),
            Some(vec![&b"a"[..], b"bb", b"", b"ccc"])
        );
        // An over-long line is left out, as the stream reader leaves it out.
        assert_eq!(head_lines(b"aaaa\nb\n", 3), Some(vec![&b"b"[..]]));
        // A first line running past the window: not decided here.
        let mut big = vec![b'{'; SNIFF_WINDOW + 10];
        big.push(b'\n');
        assert_eq!(head_lines(&big, 1 << 30), None);
        let lines: Vec<u8> = b"x\n".repeat(100);
        assert_eq!(head_lines(&lines, 1024).map(|l| l.len()), Some(SNIFF_LINES));
    }

    #[test]
    fn boundaries_fall_on_line_starts_and_cover_everything() {
        let data = b"aaaa\nbb\n\ncccccccc\nd";
        for chunk in 1..data.len() + 2 {
            let b = boundaries(data, chunk);
            assert_eq!(b[0], 0);
            assert_eq!(*b.last().unwrap(), data.len());
            assert!(b.windows(2).all(|w| w[0] < w[1]), "{chunk}: {b:?}");
            for &x in &b[1..b.len() - 1] {
                assert_eq!(data[x - 1], b'\n', "{chunk}: {b:?}");
            }
        }
        assert_eq!(boundaries(data, 3), [0, 5, 8, 18, 19]);
        assert_eq!(boundaries(data, 100), [0, 19]);
        // A file ending in a newline gets no empty chunk at its end.
        assert_eq!(boundaries(b"ab\ncd\n", 4), [0, 6]);
        assert_eq!(boundaries(b"", 4), [0, 0]);
    }
}
