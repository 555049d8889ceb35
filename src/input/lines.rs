//! A line reader over any `Read`: one reused buffer, memchr for `\n`, borrowed lines out, and a
//! cap on line length so a 1 GB "line" costs bounded memory (ripgrep's `LineBuffer`, reduced).

use std::io::{self, Read};

/// One line, without its terminator (`\n` or `\r\n`).
pub enum Line<'a> {
    Text(&'a [u8]),
    /// A line longer than the cap: its bytes were skipped, only their count is kept.
    TooLong(u64),
}

/// Length of the run of NULs `bytes` starts with: `copytruncate` padding where a line starts,
/// skipped the same way by every reader of lines.
pub fn nul_run(bytes: &[u8]) -> usize {
    bytes.iter().take_while(|b| **b == 0).count()
}

pub struct LineReader<R> {
    rdr: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    max_line: usize,
    /// Keep a `\r` before `\n` (journald's export format: a binary value may end in one).
    keep_cr: bool,
    /// NUL bytes skipped at line starts: `copytruncate` rotation leaves the start of a log
    /// that is still written at its old offset as a run of NULs, glued to the first new line.
    nuls: u64,
}

const CHUNK: usize = 256 * 1024;

impl<R: Read> LineReader<R> {
    pub fn new(rdr: R, max_line: usize) -> Self {
        LineReader {
            rdr,
            buf: vec![0; CHUNK],
            start: 0,
            end: 0,
            eof: false,
            max_line: max_line.max(1024),
            keep_cr: false,
            nuls: 0,
        }
    }

    /// From now on, lines up to `max_line` bytes are kept (an object document's pretty-printed
    /// line may hold a whole annotation or a compact list).
    pub fn set_max_line(&mut self, max_line: usize) {
        self.max_line = max_line.max(1024);
    }

    /// From now on, lines keep a `\r` before their `\n`, and NULs at a line's start (a binary
    /// value's length) are kept too.
    pub fn keep_cr(&mut self) {
        self.keep_cr = true;
    }

    /// Skips a UTF-8 byte-order mark; called once, at the stream's start (Windows tools write
    /// one; it would glue itself to the first line and hide a JSON document's `{`). Returns
    /// whether there was one.
    pub fn skip_bom(&mut self) -> io::Result<bool> {
        let bom = self.peek(3)? == b"\xEF\xBB\xBF";
        if bom {
            self.start += 3;
        }
        Ok(bom)
    }

    /// NUL bytes skipped at line starts so far.
    pub fn nuls(&self) -> u64 {
        self.nuls
    }

    /// Skips a run of NULs where a line starts (one byte compared on every other line).
    fn skip_nuls(&mut self) -> io::Result<()> {
        loop {
            let run = nul_run(&self.buf[self.start..self.end]);
            self.start += run;
            self.nuls += run as u64;
            if self.start < self.end || self.eof || self.fill()? == 0 {
                return Ok(());
            }
        }
    }

    /// Reads more bytes after compacting; returns how many were read.
    fn fill(&mut self) -> io::Result<usize> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            // Doubling; bounded because lines past `max_line` are skipped, not buffered.
            self.buf.resize(self.buf.len() * 2, 0);
        }
        loop {
            match self.rdr.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(0);
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Skips to just after the next newline; returns the bytes skipped.
    fn skip_line(&mut self) -> io::Result<u64> {
        let mut skipped = 0u64;
        loop {
            if let Some(k) = memchr::memchr(b'\n', &self.buf[self.start..self.end]) {
                skipped += k as u64;
                self.start += k + 1;
                return Ok(skipped);
            }
            skipped += (self.end - self.start) as u64;
            self.start = 0;
            self.end = 0;
            if self.eof || self.fill()? == 0 {
                return Ok(skipped);
            }
        }
    }

    /// Up to `n` bytes from the current position, without consuming them (fewer at the end).
    pub fn peek(&mut self, n: usize) -> io::Result<&[u8]> {
        while self.end - self.start < n && !self.eof {
            if self.end == self.buf.len() && self.start == 0 && self.buf.len() >= n {
                break;
            }
            if self.fill()? == 0 {
                break;
            }
        }
        let e = self.end.min(self.start + n);
        Ok(&self.buf[self.start..e])
    }

    /// Everything from the current position to the end, up to `limit` bytes kept; returns the
    /// bytes and how many there were in all (what is past `limit` is read and dropped).
    pub fn rest(&mut self, limit: usize) -> io::Result<(Vec<u8>, u64)> {
        let mut out = self.buf[self.start..self.end].to_vec();
        let mut total = out.len() as u64;
        out.truncate(limit);
        self.start = self.end;
        let mut chunk = vec![0u8; CHUNK];
        loop {
            match self.rdr.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => {
                    total += n as u64;
                    let room = limit.saturating_sub(out.len());
                    out.extend_from_slice(&chunk[..n.min(room)]);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        self.eof = true;
        Ok((out, total))
    }

    pub fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        if !self.keep_cr {
            self.skip_nuls()?;
        }
        let mut searched = 0;
        loop {
            let window = &self.buf[self.start + searched..self.end];
            if let Some(k) = memchr::memchr(b'\n', window) {
                let line_end = self.start + searched + k;
                let s = self.start;
                self.start = line_end + 1;
                if line_end - s > self.max_line {
                    return Ok(Some(Line::TooLong((line_end - s) as u64)));
                }
                let mut e = line_end;
                if !self.keep_cr && e > s && self.buf[e - 1] == b'\r' {
                    e -= 1;
                }
                return Ok(Some(Line::Text(&self.buf[s..e])));
            }
            searched = self.end - self.start;
            if searched > self.max_line {
                // Drop what is buffered (no newline in it), then skip to the next newline.
                self.start = self.end;
                let skipped = searched as u64 + self.skip_line()?;
                return Ok(Some(Line::TooLong(skipped)));
            }
            if self.eof || self.fill()? == 0 {
                if self.start == self.end {
                    return Ok(None);
                }
                let s = self.start;
                let mut e = self.end;
                self.start = self.end;
                if !self.keep_cr && e > s && self.buf[e - 1] == b'\r' {
                    e -= 1;
                }
                return Ok(Some(Line::Text(&self.buf[s..e])));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(input: &[u8], max: usize) -> Vec<String> {
        let mut r = LineReader::new(input, max);
        let mut v = Vec::new();
        while let Some(l) = r.next_line().unwrap() {
            v.push(match l {
                Line::Text(t) => String::from_utf8_lossy(t).into_owned(),
                Line::TooLong(n) => format!("<{n}>"),
            });
        }
        v
    }

    #[test]
    fn splits_crlf_and_last_line() {
        assert_eq!(all(b"a\r\nb\n\nc", 1024), ["a", "b", "", "c"]);
        assert_eq!(all(b"", 1024), Vec::<String>::new());
        assert_eq!(all(b"x\n", 1024), ["x"]);
    }

    #[test]
    fn long_lines_are_capped_and_skipped() {
        let mut input = vec![b'a'; 5000];
        input.extend_from_slice(b"\nshort\n");
        input.extend(vec![b'b'; 3000]);
        assert_eq!(all(&input, 1024), ["<5000>", "short", "<3000>"]);
    }

    #[test]
    fn peek_then_lines_or_rest() {
        let input = b"abc\ndef\n".repeat(100_000);
        let mut r = LineReader::new(&input[..], 1024);
        assert_eq!(r.peek(5).unwrap(), b"abc\nd");
        // A peek past the first chunk grows the buffer; nothing is consumed.
        assert_eq!(r.peek(300_000).unwrap().len(), 300_000);
        assert!(matches!(r.next_line().unwrap(), Some(Line::Text(b"abc"))));
        let (rest, total) = r.rest(10).unwrap();
        assert_eq!(
            (rest.as_slice(), total),
            (&b"def\nabc\nde"[..], input.len() as u64 - 4)
        );
        assert!(r.next_line().unwrap().is_none());
        let mut r = LineReader::new(&b"xy"[..], 1024);
        assert_eq!(r.peek(10).unwrap(), b"xy");
    }

    /// `copytruncate` padding: NULs where a line starts are skipped and counted, however many
    /// (here across several chunks); NULs inside a line are the line's own.
    #[test]
    fn nul_runs_at_line_starts_are_skipped() {
        let mut input = vec![0u8; 3 * CHUNK + 17];
        input.extend_from_slice(b"first\n\0\0second\nthi\0rd\n");
        let mut r = LineReader::new(&input[..], 1024);
        let mut got = Vec::new();
        while let Some(Line::Text(t)) = r.next_line().unwrap() {
            got.push(t.to_vec());
        }
        assert_eq!(got, [&b"first"[..], b"second", b"thi\0rd"]);
        assert_eq!(r.nuls(), 3 * CHUNK as u64 + 19);
        assert_eq!(all(&[0u8; 10], 1024), Vec::<String>::new());
    }

    #[test]
    fn a_utf8_bom_is_skipped_once() {
        let mut r = LineReader::new(&b"\xEF\xBB\xBF{\"a\":1}\n\xEF\xBB\xBFx\n"[..], 1024);
        assert!(r.skip_bom().unwrap());
        assert!(matches!(
            r.next_line().unwrap(),
            Some(Line::Text(b"{\"a\":1}"))
        ));
        // Only the stream's start: a BOM further on is the line's own.
        assert!(matches!(
            r.next_line().unwrap(),
            Some(Line::Text(b"\xEF\xBB\xBFx"))
        ));
        let mut r = LineReader::new(&b"{}"[..], 1024);
        assert!(!r.skip_bom().unwrap());
        assert!(matches!(r.next_line().unwrap(), Some(Line::Text(b"{}"))));
    }

    #[test]
    fn lines_across_chunk_boundaries() {
        let line = "x".repeat(1000);
        let input = format!("{line}\n").repeat(600);
        let got = all(input.as_bytes(), 1 << 20);
        assert_eq!(got.len(), 600);
        assert!(got.iter().all(|l| l.len() == 1000));
    }
}
