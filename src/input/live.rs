//! Reading a stream that is still being written (`podtrace follow`): bytes arrive in pieces, and
//! each complete line goes through the same [`FileState`] as a file read at once, so a line
//! gives the same events live as in `analyze`.
//!
//! A stream is sniffed on its first lines (up to the usual 32, or fewer when no more bytes have
//! come for a tick), then read line by line. A partial last line waits for its `\n`. What the
//! reader holds grows with the events kept, never with the bytes read: [`LiveStream::prune`]
//! drops events the caller no longer needs.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use podtrace_parsers::frame::Envelope;
use podtrace_parsers::logstore;

use super::read::{self, FileReport, FileState, ReadOptions, SNIFF_LINES, Sniffed};
use super::warning::{SkipReason, WarningKind};

/// Where a live stream is in its life.
enum Stage<'o> {
    /// Lines held until the stream's format is known.
    /// The stream's bytes so far (a byte-order mark dropped).
    Sniffing(Vec<u8>),
    /// Read line by line.
    Lines(Box<FileState<'o>>),
    /// A document (an object list, a store's page): its bytes are held and read whole at its
    /// end, as `analyze` reads it.
    Whole(Vec<u8>),
    /// Not read (binary, UTF-16, …): said once in the report, bytes ignored.
    Skipped,
    /// Finished: nothing more is read.
    Done,
}

/// One stream being followed: a file (from an offset) or stdin.
pub struct LiveStream<'o> {
    pub id: u32,
    pub display: String,
    pub path: PathBuf,
    opts: &'o ReadOptions,
    stage: Stage<'o>,
    /// Everything read so far: counts, warnings and facts for the whole stream, and the events
    /// not yet pruned.
    pub rep: FileReport,
    /// For each event of `rep.events`, the tick it was read in.
    arrived: Vec<u64>,
    /// Bytes of a line whose `\n` has not come yet.
    pending: Vec<u8>,
    /// The current line is over the cap: its bytes are dropped until its `\n`.
    overlong: bool,
    line_no: u32,
    /// Whether anything was fed yet (a byte-order mark is skipped once, at the start).
    started: bool,
    /// Lines fed since the stream began.
    pub lines: u64,
    /// Newlines in the bytes held while sniffing.
    raw_lines: usize,
    /// Keep a `\r` before `\n` and NULs at a line's start (journald's export format).
    keep_cr: bool,
    /// (first line, tick): from that line on, lines were read in that tick (see [`Self::read_at`]).
    marks: Vec<(u32, u64)>,
    /// The first line not marked yet.
    next_mark: u32,
}

impl<'o> LiveStream<'o> {
    pub fn new(id: u32, display: &str, path: &Path, opts: &'o ReadOptions) -> Self {
        LiveStream {
            id,
            display: display.to_owned(),
            path: path.to_path_buf(),
            opts,
            stage: Stage::Sniffing(Vec::new()),
            rep: FileReport {
                id,
                display: display.to_owned(),
                ..Default::default()
            },
            arrived: Vec::new(),
            pending: Vec::new(),
            overlong: false,
            line_no: 0,
            started: false,
            lines: 0,
            raw_lines: 0,
            keep_cr: false,
            marks: Vec::new(),
            next_mark: 1,
        }
    }

    /// Notes that the lines numbered since the last mark were read in `tick`.
    pub fn mark(&mut self, tick: u64) {
        if self.line_no >= self.next_mark {
            self.marks.push((self.next_mark, tick));
            self.next_mark = self.line_no.saturating_add(1);
        }
    }

    /// The tick in which line `line` of this stream was read (None: not read yet, or so long
    /// ago that its mark was pruned).
    pub fn read_at(&self, line: u32) -> Option<u64> {
        if line >= self.next_mark {
            return None;
        }
        let i = self.marks.partition_point(|m| m.0 <= line);
        (i > 0).then(|| self.marks[i - 1].1)
    }

    /// Whether the stream is finished or not read at all.
    pub fn is_done(&self) -> bool {
        matches!(self.stage, Stage::Done | Stage::Skipped)
    }

    /// Reads `bytes` (the next piece of the stream): every line they complete is read now.
    pub fn feed(&mut self, mut bytes: &[u8], tick: u64) {
        if !self.started && !bytes.is_empty() {
            self.started = true;
            if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
                self.skip(SkipReason::Utf16);
                return;
            }
            bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        }
        match &mut self.stage {
            Stage::Skipped | Stage::Done => return,
            Stage::Whole(buf) => {
                if buf.len() + bytes.len() > read::MAX_DOCUMENT {
                    // Over a document's budget: what it holds is not read, and said so.
                    let display = self.display.clone();
                    self.rep.warn(
                        &display,
                        1,
                        WarningKind::LineTooLong {
                            max: read::MAX_DOCUMENT,
                        },
                        self.opts,
                    );
                    self.stage = Stage::Done;
                } else {
                    buf.extend_from_slice(bytes);
                }
                return;
            }
            Stage::Sniffing(raw) => {
                raw.extend_from_slice(bytes);
                self.raw_lines += memchr::memchr_iter(b'\n', bytes).count();
                // As `read_stream` decides: on the first 32 lines and the first 64 KiB (a
                // compact document is told by the latter); a first line longer than any log
                // line kept is not waited for.
                let enough = self.raw_lines >= SNIFF_LINES && raw.len() >= read::COMPACT_SNIFF;
                if enough || raw.len() > self.sniff_budget() {
                    self.sniff(tick, false);
                }
                return;
            }
            Stage::Lines(_) => {}
        }
        self.lines_of(bytes, tick);
    }

    /// Bytes held while sniffing at most.
    fn sniff_budget(&self) -> usize {
        self.opts.max_line.max(1024) * 2 + read::COMPACT_SNIFF
    }

    /// Frames `bytes` into lines as [`super::lines::LineReader`] does (`\n` ends a line; a
    /// `\r` before it and NULs where it starts are dropped, but for journald's export format; a
    /// line over the cap is skipped and counted) and reads each.
    fn lines_of(&mut self, mut bytes: &[u8], tick: u64) {
        let max_line = self.opts.max_line.max(1024);
        while !bytes.is_empty() {
            // NULs where a line starts are not part of it (nor of its length).
            if self.pending.is_empty() && !self.overlong && !self.keep_cr {
                let run = super::lines::nul_run(bytes);
                self.rep.nuls += run as u64;
                bytes = &bytes[run..];
                if bytes.is_empty() {
                    break;
                }
            }
            match memchr::memchr(b'\n', bytes) {
                Some(k) => {
                    let (piece, rest) = (&bytes[..k], &bytes[k + 1..]);
                    bytes = rest;
                    if self.overlong || self.pending.len() + piece.len() > max_line {
                        self.overlong = false;
                        self.pending.clear();
                        self.too_long_line(tick);
                        continue;
                    }
                    if self.pending.is_empty() {
                        self.one_line(piece, tick);
                    } else {
                        let mut whole = std::mem::take(&mut self.pending);
                        whole.extend_from_slice(piece);
                        self.one_line(&whole, tick);
                        whole.clear();
                        self.pending = whole;
                    }
                }
                None => {
                    if self.overlong || self.pending.len() + bytes.len() > max_line {
                        self.overlong = true;
                        self.pending.clear();
                    } else {
                        self.pending.extend_from_slice(bytes);
                    }
                    break;
                }
            }
        }
    }

    /// No more bytes for now: a stream still being sniffed is sniffed on the lines it has (a
    /// slow writer's first line is not held back for 31 more).
    pub fn idle(&mut self, tick: u64) {
        if matches!(self.stage, Stage::Sniffing(_)) && self.raw_lines > 0 {
            self.sniff(tick, false);
        }
    }

    /// The stream ended (stdin closed, a rotated file drained, the run stopped): a last line
    /// without its `\n` is read, and what waits for a next line is settled.
    pub fn finish(&mut self, tick: u64) {
        if matches!(self.stage, Stage::Sniffing(_)) {
            self.sniff(tick, true);
        }
        if matches!(self.stage, Stage::Lines(_)) {
            if self.overlong {
                self.too_long_line(tick);
                self.overlong = false;
            } else if !self.pending.is_empty() {
                let last = std::mem::take(&mut self.pending);
                self.one_line(&last, tick);
            }
        }
        match std::mem::replace(&mut self.stage, Stage::Done) {
            Stage::Lines(mut st) => {
                st.finish(&mut self.rep, self.line_no);
                self.arrived.resize(self.rep.events.len(), tick);
                // Said once, at the stream's end, as the file reader says it.
                let nuls = self.rep.nuls;
                self.rep.nuls_skipped(nuls, self.opts);
            }
            Stage::Whole(buf) => {
                let rep = read::read_stream(
                    self.id,
                    &self.display,
                    &self.path,
                    Box::new(Cursor::new(buf)),
                    self.opts,
                );
                self.rep = rep;
                self.arrived = vec![tick; self.rep.events.len()];
                // Its lines are numbered by the document reader: all read now.
                self.line_no = u32::MAX - 1;
            }
            Stage::Skipped => self.stage = Stage::Skipped,
            Stage::Sniffing(_) | Stage::Done => {}
        }
        self.pending = Vec::new();
        self.mark(tick);
    }

    /// Drops the events read before tick `keep_from` (their pods are done with). Counts,
    /// warnings and clock facts stay: they describe the whole stream.
    pub fn prune(&mut self, keep_from: u64) {
        let cut = self.arrived.partition_point(|t| *t < keep_from);
        if cut > 0 {
            self.rep.events.drain(..cut);
            self.arrived.drain(..cut);
        }
        let old = self.marks.partition_point(|m| m.1 < keep_from);
        if old > 0 {
            self.marks.drain(..old);
        }
        // Clock observations only need to be recent: a node's offset does not drift by the
        // hour, and an unbounded list would grow with every kubelet line.
        const KEEP_EMBEDDED: usize = 4096;
        let e = &mut self.rep.facts.embedded;
        if e.len() > 2 * KEEP_EMBEDDED {
            e.drain(..e.len() - KEEP_EMBEDDED);
        }
    }

    /// Events held now.
    pub fn held(&self) -> usize {
        self.rep.events.len()
    }

    /// A copy of what was read, for one analysis (the events are cloned: the stream keeps its
    /// own until pruned).
    pub fn snapshot(&self) -> FileReport {
        let r = &self.rep;
        FileReport {
            id: r.id,
            display: r.display.clone(),
            format: r.format,
            skipped: r.skipped.clone(),
            error: r.error.clone(),
            counts: r.counts.clone(),
            warnings: Vec::new(),
            warning_count: 0,
            nuls: r.nuls,
            events: r.events.clone(),
            facts: r.facts.clone(),
        }
    }

    fn skip(&mut self, why: SkipReason) {
        self.rep.skipped = Some(why);
        self.stage = Stage::Skipped;
        self.pending = Vec::new();
    }

    /// One line (without its `\n`, NULs at its start already dropped).
    fn one_line(&mut self, line: &[u8], tick: u64) {
        self.lines += 1;
        let line = if self.keep_cr {
            line
        } else {
            line.strip_suffix(b"\r").unwrap_or(line)
        };
        if let Stage::Lines(st) = &mut self.stage {
            self.line_no += 1;
            st.line(&mut self.rep, self.line_no, line);
            self.arrived.resize(self.rep.events.len(), tick);
        }
    }

    fn too_long_line(&mut self, tick: u64) {
        self.lines += 1;
        if let Stage::Lines(st) = &mut self.stage {
            self.line_no += 1;
            st.too_long(&mut self.rep, self.line_no);
            self.arrived.resize(self.rep.events.len(), tick);
        }
    }

    /// Decides the stream's format from the bytes held (as [`read::read_stream`] does from a
    /// file's start) and reads their lines; `eof`: nothing follows them.
    fn sniff(&mut self, tick: u64, eof: bool) {
        let Stage::Sniffing(raw) = std::mem::replace(&mut self.stage, Stage::Done) else {
            return;
        };
        self.raw_lines = 0;
        let start = &raw[..raw.len().min(read::COMPACT_SNIFF)];
        if read::starts_document(start) {
            self.stage = Stage::Whole(raw);
            return;
        }
        self.keep_cr = podtrace_parsers::journald::looks_like_export(start.split(|b| *b == b'\n'));
        // The first lines, framed as the line reader frames them, for the sniffer.
        let max_line = self.opts.max_line.max(1024);
        let complete = if eof {
            raw.len()
        } else {
            memchr::memrchr(b'\n', &raw).map_or(0, |k| k + 1)
        };
        let mut head: Vec<Option<&[u8]>> = Vec::new();
        let mut head_bytes = 0usize;
        let mut head_nuls = 0usize;
        let mut rest = &raw[..complete];
        while head.len() < SNIFF_LINES && !rest.is_empty() {
            if !self.keep_cr {
                let run = super::lines::nul_run(rest);
                head_nuls += run;
                rest = &rest[run..];
                if rest.is_empty() {
                    break;
                }
            }
            let (line, next) = match memchr::memchr(b'\n', rest) {
                Some(k) => (&rest[..k], &rest[k + 1..]),
                None => (rest, &rest[rest.len()..]),
            };
            rest = next;
            let line = if self.keep_cr {
                line
            } else {
                line.strip_suffix(b"\r").unwrap_or(line)
            };
            if line.len() > max_line || head_bytes + line.len() > read::MAX_DOCUMENT {
                head.push(None);
            } else {
                head_bytes += line.len();
                head.push(Some(line));
            }
        }
        let sniffed = read::sniff(head.iter().flatten().copied());
        let (envelope, is_audit) = match &sniffed {
            // NULs skipped and still no log: a binary after all.
            Sniffed::Skip(SkipReason::NotALog) if head_nuls > 0 => {
                return self.skip(SkipReason::Binary);
            }
            Sniffed::Skip(why) => return self.skip(why.clone()),
            Sniffed::Document { .. } => {
                self.stage = Stage::Whole(raw);
                return;
            }
            Sniffed::Audit => (Envelope::Raw, true),
            Sniffed::Log(env) => (*env, false),
            Sniffed::Sections => (Envelope::Raw, false),
        };
        let sections = matches!(sniffed, Sniffed::Sections);
        self.rep.format = if is_audit {
            "audit"
        } else if sections {
            "sections"
        } else if envelope == Envelope::StoreJson {
            let first = head.iter().flatten().find(|l| !l.trim_ascii().is_empty());
            logstore::kind(first.copied().unwrap_or(&[]))
        } else {
            envelope.as_str()
        };
        let mut st = FileState::new(
            self.id,
            &self.display,
            &self.path,
            envelope,
            is_audit,
            self.opts,
        );
        st.sections = sections;
        self.stage = Stage::Lines(Box::new(st));
        // Every byte held, read as lines from the start; a last line without `\n` waits (or,
        // at the end, is read by `finish`).
        self.lines_of(&raw, tick);
    }
}

/// A file being tailed: the open handle is followed (a rename by logrotate keeps it), and a new
/// file at the same path is a new stream.
struct Tailed {
    stream: usize,
    file: std::fs::File,
    /// (device, inode): the same file under a new name is still this one.
    ino: (u64, u64),
    offset: u64,
    /// The last scan that found the file under some name.
    seen: u64,
    /// Ticks in a row without a new byte.
    quiet: u64,
}

/// Follows files and folders (and stdin): new files, appended bytes, truncation and rotation.
/// Compressed files found at the start are read whole; compressed files that appear later are
/// rotations of what is being read, and are ignored (said once).
pub struct Tailer<'o> {
    roots: Vec<PathBuf>,
    opts: &'o ReadOptions,
    /// Every stream of the run; a stream's id is its index.
    pub streams: Vec<LiveStream<'o>>,
    tailed: Vec<Tailed>,
    /// Files not followed: compressed rotations, unreadable ones (by inode).
    ignored: std::collections::HashSet<(u64, u64)>,
    /// What the caller should say once (on stderr): ignored rotations, unreadable inputs.
    pub notes: Vec<String>,
    stdin: Option<std::sync::mpsc::Receiver<Vec<u8>>>,
    stdin_stream: Option<usize>,
    /// Start at each file's end (only for files present at the first scan).
    from_end: bool,
    scans: u64,
    /// Bytes read so far.
    pub bytes: u64,
}

/// A file gone from every scanned name and quiet this many ticks is closed.
const CLOSE_AFTER_QUIET: u64 = 8;
/// Bytes read from one file per tick at most (the rest waits for the next tick, so that one
/// busy file cannot starve the analysis).
const READ_PER_TICK: u64 = 64 * 1024 * 1024;

#[cfg(unix)]
fn ino(m: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (m.dev(), m.ino())
}

#[cfg(not(unix))]
fn ino(m: &std::fs::Metadata) -> (u64, u64) {
    // No inode: a file is known by its size and creation time (rotation is then a new file).
    let c = m
        .created()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as u64);
    (c, 0)
}

impl<'o> Tailer<'o> {
    /// `roots` are files and folders; `-` is stdin, read by a thread (`stdin_name` names it in
    /// evidence, and its path gives the hints a file's path would).
    pub fn new(
        roots: &[PathBuf],
        stdin_name: Option<&Path>,
        from_end: bool,
        opts: &'o ReadOptions,
    ) -> Self {
        let mut t = Tailer {
            roots: roots
                .iter()
                .filter(|p| p.as_os_str() != "-")
                .cloned()
                .collect(),
            opts,
            streams: Vec::new(),
            tailed: Vec::new(),
            ignored: Default::default(),
            notes: Vec::new(),
            stdin: None,
            stdin_stream: None,
            from_end,
            scans: 0,
            bytes: 0,
        };
        if roots.iter().any(|p| p.as_os_str() == "-") {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(64);
            std::thread::spawn(move || {
                use std::io::Read;
                let mut stdin = std::io::stdin().lock();
                let mut buf = vec![0u8; 256 * 1024];
                loop {
                    match stdin.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => {
                            if tx.send(buf[..n].to_vec()).is_err() {
                                break;
                            }
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        Err(_) => break,
                    }
                }
            });
            let path = stdin_name.unwrap_or(Path::new("-"));
            let display =
                stdin_name.map_or_else(|| "stdin".to_owned(), |p| p.display().to_string());
            t.stdin = Some(rx);
            t.stdin_stream = Some(t.streams.len());
            let id = t.streams.len() as u32;
            t.streams.push(LiveStream::new(id, &display, path, opts));
        }
        t
    }

    /// Whether every input has ended (stdin closed, no file or folder to follow).
    pub fn ended(&self) -> bool {
        self.roots.is_empty() && self.stdin.is_none()
    }

    /// One poll: new files found, new bytes read, ended streams finished. Returns the bytes
    /// read.
    pub fn poll(&mut self, tick: u64) -> u64 {
        let before = self.bytes;
        self.scan(tick);
        self.read_files(tick);
        self.read_stdin(tick);
        self.bytes - before
    }

    /// Ends every stream (the run stops): last lines without `\n` are read.
    pub fn finish(&mut self, tick: u64) {
        for s in &mut self.streams {
            s.finish(tick);
        }
        self.tailed.clear();
    }

    fn new_stream(&mut self, path: &Path) -> usize {
        let id = self.streams.len();
        self.streams.push(LiveStream::new(
            id as u32,
            &path.display().to_string(),
            path,
            self.opts,
        ));
        id
    }

    fn scan(&mut self, tick: u64) {
        self.scans += 1;
        let first = self.scans == 1;
        // A root that does not exist yet is followed once it does (the caller said so).
        let roots: Vec<PathBuf> = self.roots.iter().filter(|p| p.exists()).cloned().collect();
        let (found, skipped) = super::discover(&roots);
        if first {
            for s in skipped {
                self.notes.push(format!("{}: {}", s.path, s.reason));
            }
        }
        for f in found {
            let Ok(meta) = std::fs::metadata(&f.path) else {
                continue;
            };
            let key = ino(&meta);
            if self.ignored.contains(&key) {
                continue;
            }
            if let Some(t) = self.tailed.iter_mut().find(|t| t.ino == key) {
                // The same file, perhaps under a new name (rotated): its handle is read on, and
                // its lines are named where they now are.
                t.seen = self.scans;
                let s = &mut self.streams[t.stream];
                if s.path != f.path {
                    s.path = f.path.clone();
                    s.display = f.display.clone();
                    s.rep.display = f.display;
                }
                continue;
            }
            let mut file = match std::fs::File::open(&f.path) {
                Ok(file) => file,
                Err(e) => {
                    self.ignored.insert(key);
                    self.notes
                        .push(format!("{}: cannot open: {e}", f.path.display()));
                    continue;
                }
            };
            let mut magic = [0u8; 262];
            let n = {
                use std::io::Read;
                let mut n = 0;
                while n < magic.len() {
                    match file.read(&mut magic[n..]) {
                        Ok(0) | Err(_) => break,
                        Ok(k) => n += k,
                    }
                }
                n
            };
            if n > 0 && !super::archive::is_plain(&magic[..n]) {
                self.ignored.insert(key);
                if first && !self.from_end {
                    // Complete already: read whole, as `analyze` reads it.
                    for mut rep in super::archive::read_unit(&f.path, &f.display, self.opts) {
                        let id = self.streams.len() as u32;
                        rep.id = id;
                        for e in &mut rep.events {
                            e.evidence.file = id;
                        }
                        let mut s = LiveStream::new(id, &rep.display.clone(), &f.path, self.opts);
                        s.arrived = vec![tick; rep.events.len()];
                        s.rep = rep;
                        s.stage = Stage::Done;
                        self.streams.push(s);
                    }
                } else {
                    self.notes.push(format!(
                        "{}: compressed, taken as a rotation of a file being followed: not read",
                        f.path.display()
                    ));
                }
                continue;
            }
            if n == 0 && meta.len() > 0 {
                continue; // unreadable for now; tried again next scan
            }
            let offset = if first && self.from_end {
                meta.len()
            } else {
                0
            };
            use std::io::Seek;
            if file.seek(std::io::SeekFrom::Start(offset)).is_err() {
                continue;
            }
            let stream = self.new_stream(&f.path);
            self.tailed.push(Tailed {
                stream,
                file,
                ino: key,
                offset,
                seen: self.scans,
                quiet: 0,
            });
        }
    }

    fn read_files(&mut self, tick: u64) {
        use std::io::{Read, Seek};
        let mut buf = vec![0u8; 1 << 20];
        let mut i = 0;
        while i < self.tailed.len() {
            let size = self.tailed[i].file.metadata().map_or(0, |m| m.len());
            if size < self.tailed[i].offset {
                // Truncated in place (`copytruncate`): what follows is a new stream from 0.
                let s = self.tailed[i].stream;
                self.streams[s].finish(tick);
                let path = self.streams[s].path.clone();
                let ns = self.new_stream(&path);
                let t = &mut self.tailed[i];
                t.stream = ns;
                t.offset = 0;
                let _ = t.file.seek(std::io::SeekFrom::Start(0));
            }
            let t = &mut self.tailed[i];
            let mut got = 0u64;
            let mut at_end = false;
            while got < READ_PER_TICK {
                match t.file.read(&mut buf) {
                    Ok(0) => {
                        at_end = true;
                        break;
                    }
                    Ok(n) => {
                        got += n as u64;
                        self.streams[t.stream].feed(&buf[..n], tick);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(_) => break,
                }
            }
            t.offset += got;
            self.bytes += got;
            if got == 0 {
                t.quiet += 1;
            } else {
                t.quiet = 0;
            }
            // All there is for now: a stream still sniffing decides on the lines it has.
            if at_end {
                self.streams[t.stream].idle(tick);
            }
            self.streams[t.stream].mark(tick);
            // Rotated away (or deleted) and drained: the stream ends.
            if t.seen < self.scans && t.quiet >= CLOSE_AFTER_QUIET {
                let s = t.stream;
                self.streams[s].finish(tick);
                self.tailed.swap_remove(i);
                continue;
            }
            i += 1;
        }
    }

    fn read_stdin(&mut self, tick: u64) {
        let (Some(rx), Some(s)) = (&self.stdin, self.stdin_stream) else {
            return;
        };
        let mut got = false;
        let mut taken = 0u64;
        while taken < READ_PER_TICK {
            match rx.try_recv() {
                Ok(bytes) => {
                    got = true;
                    taken += bytes.len() as u64;
                    self.bytes += bytes.len() as u64;
                    self.streams[s].feed(&bytes, tick);
                }
                Err(std::sync::mpsc::TryRecvError::Empty) => break,
                Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                    self.streams[s].finish(tick);
                    self.stdin = None;
                    return;
                }
            }
        }
        if !got {
            self.streams[s].idle(tick);
        }
        self.streams[s].mark(tick);
    }

    /// The tick in which a line named in evidence (`display`, line) was read: the newest stream
    /// of that name that has read that far.
    pub fn read_at(&self, display: &str, line: u32) -> Option<u64> {
        self.streams
            .iter()
            .rev()
            .filter(|s| s.display == display)
            .find_map(|s| s.read_at(line))
    }
}
