//! Reading one file: sniff its format, frame every line, hand each record to the extractor of
//! its component, and account for every line (recognised, ignored, unparsed).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use podtrace_parsers::frame::{self, Envelope, Frame, Stamp};
use podtrace_parsers::time::{Civil, Instant};
use podtrace_parsers::{audit, calico, journald, jsonlog, klog, logrus, logstore};
use serde::Serialize;

use super::lines::{Line, LineReader};
use super::warning::{SkipReason, Warning, WarningKind};
use crate::event::{
    ClockFacts, ClockKey, ClockKind, Component, EmbeddedObs, Event, EventKind, Evidence, RawTime,
};
use crate::sources::{self, LineCtx, Outcome};
use crate::year::{YearTracker, nearest_year};

#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Lines longer than this are skipped and reported.
    pub max_line: usize,
    /// How many warnings to keep per file (all are counted).
    pub keep_warnings: usize,
    /// Decompressed bytes allowed per input file; default max(4 GiB, 200 × its size).
    pub max_decompressed: Option<u64>,
    /// Draw a progress bar on stderr (the CLI sets it when stderr is a terminal).
    pub progress: bool,
    /// Parse every line, even those without a literal podtrace reads (for tests and benchmarks).
    pub no_prefilter: bool,
    /// Read a large plain audit log in parallel chunks through a memory map (`--no-mmap` turns
    /// it off: every file is then read as a stream).
    pub split_large: bool,
    /// Audit logs at least this large are split (bytes).
    pub split_min: u64,
    /// Chunk size when splitting (bytes; lines are never cut).
    pub split_chunk: usize,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            max_line: 16 * 1024 * 1024,
            keep_warnings: 20,
            max_decompressed: None,
            progress: false,
            no_prefilter: false,
            split_large: true,
            split_min: 32 * 1024 * 1024,
            // Small enough that both cores stay busy to the end of the file, large enough
            // that per-chunk work (a report, a madvise) is noise.
            split_chunk: 8 * 1024 * 1024,
        }
    }
}

/// Line accounting for one component in one file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Counts {
    pub lines: u64,
    pub recognised: u64,
    pub ignored: u64,
    pub unparsed: u64,
}

impl Counts {
    pub fn add(&mut self, o: &Counts) {
        self.lines += o.lines;
        self.recognised += o.recognised;
        self.ignored += o.ignored;
        self.unparsed += o.unparsed;
    }
}

pub use crate::event::OffsetVotes;

/// Everything read from one file.
#[derive(Debug, Default)]
pub struct FileReport {
    pub id: u32,
    pub display: String,
    /// `audit`, `journal`, `cri`, `stamped`, `raw`; empty when skipped.
    pub format: &'static str,
    pub skipped: Option<SkipReason>,
    /// An I/O or decompression error that ended the file early (what was read is kept).
    pub error: Option<String>,
    pub counts: BTreeMap<Component, Counts>,
    pub warnings: Vec<Warning>,
    pub warning_count: u64,
    /// NUL bytes skipped where lines start (chunks of a split read add theirs up).
    pub nuls: u64,
    pub events: Vec<Event>,
    /// What the file says about clocks, years and hosts (the timeline resolves clocks from it).
    pub facts: ClockFacts,
}

pub(super) const SNIFF_LINES: usize = 32;
/// Bytes looked at for a compact (one-line) object document.
pub(super) const COMPACT_SNIFF: usize = 64 * 1024;
/// Bytes at a stream's start that tell an object document from a log.
const DOCUMENT_SNIFF: usize = 4096;

/// Whether a stream starting with these bytes is one document read whole (an object list, a
/// log store's page, an AKS Periscope blob), not lines: the same tests as [`read_stream`]'s.
pub(super) fn starts_document(start: &[u8]) -> bool {
    let start = &start[..start.len().min(COMPACT_SNIFF)];
    let log = audit::looks_like(start) || journald::looks_like_json(start);
    let compact = memchr::memchr(b'\n', start).is_none()
        && start.trim_ascii_start().first() == Some(&b'{')
        && !log
        && sources::objects::sniff(&String::from_utf8_lossy(start)) == Some(false);
    let blob = start.trim_ascii_start().starts_with(b"{\"name\":")
        && memchr::memmem::find(start, b"\"containerLog\":").is_some()
        && !log;
    // A store's page is told whatever lines it quotes (no audit or journald test first).
    let store = logstore::sniff(start.split(|b| *b == b'\n')) == Some(logstore::Shape::Document);
    let lead = &start[..start.len().min(DOCUMENT_SNIFF)];
    let document = !log && sources::objects::sniff(&String::from_utf8_lossy(lead)).is_some();
    compact || blob || store || document
}

/// Reads one log stream completely: a plain file, a decompressed file, an archive member.
/// `path` is used for hints (component, node) and `display` in evidence. Never panics on content;
/// an I/O or decompression error ends the stream with a note, keeping what was read.
pub fn read_stream(
    id: u32,
    display: &str,
    path: &Path,
    rdr: Box<dyn std::io::Read + '_>,
    opts: &ReadOptions,
) -> FileReport {
    let mut rep = FileReport {
        id,
        display: display.to_owned(),
        ..Default::default()
    };
    let mut lr = LineReader::new(rdr, opts.max_line);
    let _ = lr.skip_bom();
    // UTF-16 (PowerShell 5's `>` writes it): every other byte a NUL. Said as such, not as a
    // binary.
    if let Ok(start) = lr.peek(2) {
        if start == b"\xFF\xFE" || start == b"\xFE\xFF" {
            rep.skipped = Some(SkipReason::Utf16);
            return rep;
        }
    }
    // A compact object document (one long line) is told by its first bytes: its line may be
    // longer than any log line podtrace keeps.
    if let Ok(start) = lr.peek(COMPACT_SNIFF) {
        let compact = memchr::memchr(b'\n', start).is_none()
            && start.trim_ascii_start().first() == Some(&b'{')
            && !audit::looks_like(start)
            && !journald::looks_like_json(start)
            && sources::objects::sniff(&String::from_utf8_lossy(start)) == Some(false);
        if compact {
            return read_compact_document(rep, path, lr, opts);
        }
        // AKS Periscope keeps each container's last lines as one JSON object per blob.
        // Its objects start with the pod's name (aks-periscope's `ContainerLog` struct); an
        // audit or journald line that merely mentions the key is not one.
        let blob = start.trim_ascii_start().starts_with(b"{\"name\":")
            && memchr::memmem::find(start, b"\"containerLog\":").is_some()
            && !audit::looks_like(start)
            && !journald::looks_like_json(start);
        if blob {
            return read_periscope_blob(rep, path, lr, opts);
        }
        // A log store's document (Loki query_range, an Elasticsearch page, `aws logs
        // filter-log-events`, `gcloud logging read`): one JSON value holding many records,
        // compact on one line or indented.
        let store_doc =
            logstore::sniff(start.split(|b| *b == b'\n')) == Some(logstore::Shape::Document);
        if store_doc {
            return read_store_document(rep, display, path, lr, opts);
        }
        // A document's lines may be as long as the document (a pretty-printed list holding a
        // compact annotation): they are not log lines and are not cut at a log line's cap.
        let lead = &start[..start.len().min(DOCUMENT_SNIFF)];
        let document = !audit::looks_like(start)
            && !journald::looks_like_json(start)
            && sources::objects::sniff(&String::from_utf8_lossy(lead)).is_some();
        // journald's export format is binary-safe: a `\r` may be a byte of a value.
        if journald::looks_like_export(start.split(|b| *b == b'\n')) {
            lr.keep_cr();
        }
        if document {
            lr.set_max_line(MAX_DOCUMENT);
        }
    }
    // Sniff on the first lines, then replay them.
    let mut head: Vec<Option<Vec<u8>>> = Vec::new();
    let mut head_bytes = 0usize;
    let mut io_error = None;
    while head.len() < SNIFF_LINES {
        match lr.next_line() {
            // A document's lines may be long: the first lines together are held to the same
            // budget as a whole document (what is over it is counted as too long).
            Ok(Some(Line::Text(t))) if head_bytes + t.len() > MAX_DOCUMENT => head.push(None),
            Ok(Some(Line::Text(t))) => {
                head_bytes += t.len();
                head.push(Some(t.to_vec()))
            }
            Ok(Some(Line::TooLong(_))) => head.push(None),
            Ok(None) => break,
            Err(e) => {
                io_error = Some(e.to_string());
                break;
            }
        }
    }
    let sniffed = sniff(head.iter().flatten().map(Vec::as_slice));
    let (envelope, is_audit) = match &sniffed {
        // NULs skipped and still no log: a binary after all.
        Sniffed::Skip(SkipReason::NotALog) if lr.nuls() > 0 => {
            rep.skipped = Some(SkipReason::Binary);
            return rep;
        }
        Sniffed::Skip(why) => {
            rep.skipped = Some(why.clone());
            return rep;
        }
        Sniffed::Document { yaml } => {
            if let Some(e) = io_error {
                rep.skipped = Some(SkipReason::DocumentCutShort(e.clone()));
                rep.error = Some(e);
                return rep;
            }
            return read_document(rep, path, &head, lr, *yaml, opts);
        }
        Sniffed::Audit => (Envelope::Raw, true),
        Sniffed::Log(env) => (*env, false),
        Sniffed::Sections => (Envelope::Raw, false),
    };
    let sections = matches!(sniffed, Sniffed::Sections);
    rep.format = if is_audit {
        "audit"
    } else if sections {
        "sections"
    } else if envelope == Envelope::StoreJson {
        // Which store: Loki, Elasticsearch, Cloud Logging…
        let first = head.iter().flatten().find(|l| !l.trim_ascii().is_empty());
        logstore::kind(first.map_or(&[][..], Vec::as_slice))
    } else {
        envelope.as_str()
    };
    let mut st = FileState::new(id, display, path, envelope, is_audit, opts);
    st.sections = sections;
    let mut line_no = 0u32;
    for l in &head {
        line_no += 1;
        match l {
            Some(t) => st.line(&mut rep, line_no, t),
            None => st.too_long(&mut rep, line_no),
        }
    }
    if io_error.is_none() && head.len() == SNIFF_LINES {
        loop {
            match lr.next_line() {
                Ok(Some(Line::Text(t))) => {
                    line_no += 1;
                    st.line(&mut rep, line_no, t);
                }
                Ok(Some(Line::TooLong(_))) => {
                    line_no += 1;
                    st.too_long(&mut rep, line_no);
                }
                Ok(None) => break,
                Err(e) => {
                    io_error = Some(e.to_string());
                    break;
                }
            }
        }
    }
    st.finish(&mut rep, line_no);
    rep.nuls = lr.nuls();
    rep.nuls_skipped(rep.nuls, opts);
    if let Some(e) = io_error {
        rep.warn(
            display,
            line_no + 1,
            WarningKind::ReadStopped(e.to_string()),
            opts,
        );
        rep.error = Some(e);
    }
    rep
}

/// Reads the lines of one chunk of an audit log held in memory (see `split`): `data` starts at a
/// line start and ends at a line end (or the file's end); its first line is line `first_line`.
/// Same line semantics as [`LineReader`]: `\n` ends a line, a `\r` before it is dropped, a line
/// longer than `max_line` is skipped and reported.
pub(super) fn read_audit_chunk(
    id: u32,
    display: &str,
    path: &Path,
    data: &[u8],
    first_line: u32,
    opts: &ReadOptions,
) -> FileReport {
    let mut rep = FileReport {
        id,
        display: display.to_owned(),
        format: "audit",
        ..Default::default()
    };
    let mut st = FileState::new(id, display, path, Envelope::Raw, true, opts);
    let max_line = opts.max_line.max(1024);
    let mut line_no = first_line;
    let mut nuls = 0u64;
    let mut rest = data;
    while !rest.is_empty() {
        let (line, next) = match memchr::memchr(b'\n', rest) {
            Some(k) => (&rest[..k], &rest[k + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        rest = next;
        // As the stream reader does: NULs where a line starts are skipped and counted.
        let run = super::lines::nul_run(line);
        nuls += run as u64;
        let line = &line[run..];
        if line.len() > max_line {
            st.too_long(&mut rep, line_no);
        } else {
            st.line(&mut rep, line_no, line.strip_suffix(b"\r").unwrap_or(line));
        }
        line_no += 1;
    }
    st.finish(&mut rep, line_no.saturating_sub(1));
    rep.nuls = nuls;
    rep
}

impl FileReport {
    /// Appends the report of the chunk that follows this one in the same file.
    /// At most `keep_warnings` warnings are kept, the first ones in file order.
    /// The stream's NULs skipped at line starts, said once at its end (both readers).
    pub(super) fn nuls_skipped(&mut self, count: u64, opts: &ReadOptions) {
        if count > 0 {
            let display = self.display.clone();
            self.warn(&display, 0, WarningKind::NulsSkipped { count }, opts);
        }
    }

    pub(super) fn absorb(&mut self, later: FileReport, keep_warnings: usize) {
        self.nuls += later.nuls;
        for (c, n) in &later.counts {
            self.counts.entry(*c).or_default().add(n);
        }
        self.warning_count += later.warning_count;
        let room = keep_warnings.saturating_sub(self.warnings.len());
        self.warnings.extend(later.warnings.into_iter().take(room));
        self.events.extend(later.events);
        for (target, from) in [
            (&mut self.facts.direct, later.facts.direct),
            (&mut self.facts.vs_prefix, later.facts.vs_prefix),
        ] {
            for (key, votes) in from {
                let mine = target.entry(key).or_default();
                for (offset, (n, ev)) in votes {
                    mine.entry(offset).or_insert((0, ev)).0 += n;
                }
            }
        }
        self.facts.inconsistent_stamps += later.facts.inconsistent_stamps;
        self.facts.embedded.extend(later.facts.embedded);
        self.facts.year.follow(&later.facts.year);
        self.facts.hosts.extend(later.facts.hosts);
        self.facts.first_abs = self.facts.first_abs.or(later.facts.first_abs);
        if self.error.is_none() {
            self.error = later.error;
        }
    }
}

/// What a stream's first lines say it is.
pub(super) enum Sniffed {
    /// Not read, and why.
    Skip(SkipReason),
    /// A Kubernetes object list (JSON or YAML), read whole.
    Document { yaml: bool },
    /// A kube-apiserver audit log (JSON lines; every line stands alone).
    Audit,
    /// Log lines in this envelope.
    Log(Envelope),
    /// Sections under `==> name <==` headers (`minikube logs`, `tail` of several files), each
    /// its own source: journal lines where they are, raw lines elsewhere.
    Sections,
}

/// `==> kubelet <==`, `==> kube-scheduler [3f5c…] <==`, `==> /var/log/pods/… <==`: the name.
/// minikube before 1.22 wrote its headers (and its journal banners) as `* ==> kubelet <==`.
fn section_header(l: &str) -> Option<&str> {
    let l = l.strip_prefix("* ").unwrap_or(l);
    let inner = l.trim_end().strip_prefix("==> ")?.strip_suffix(" <==")?;
    Some(inner.split(" [").next().unwrap_or(inner).trim())
}

/// Decides from the first lines (up to [`SNIFF_LINES`]) what a stream is.
pub(super) fn sniff<'a>(head: impl Iterator<Item = &'a [u8]> + Clone) -> Sniffed {
    // Before the NUL check: an export's binary values carry NULs in their lengths.
    if journald::looks_like_export(head.clone()) {
        return Sniffed::Log(Envelope::JournalExport);
    }
    if head.clone().any(|l| memchr::memchr(0, l).is_some()) {
        return Sniffed::Skip(SkipReason::Binary);
    }
    if head
        .clone()
        .find(|l| !l.trim_ascii().is_empty())
        .is_some_and(journald::looks_like_json)
    {
        return Sniffed::Log(Envelope::JournalJson);
    }
    let texts: Vec<String> = head
        .clone()
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .collect();
    let first_content = texts.iter().find(|l| !l.trim().is_empty());
    // Audit first: a RequestResponse audit line can hold a list body (`"items":[`), which must
    // not make the log look like an object document.
    // Before audit: an Azure or CloudWatch record holds an audit event (`logstore::sniff`
    // keeps an audit log's own lines, a Namespace's `"finalizers":["kubernetes"]` and all, out).
    match logstore::sniff(head.clone()) {
        Some(logstore::Shape::JsonLines) => return Sniffed::Log(Envelope::StoreJson),
        Some(logstore::Shape::LogcliText) => return Sniffed::Log(Envelope::Logcli),
        // Documents are taken before lines are read (`read_stream`); one that got here was
        // cut short or is over the document budget: its lines are read as records.
        Some(logstore::Shape::Document) => return Sniffed::Log(Envelope::StoreJson),
        None => {}
    }
    if first_content.is_some_and(|l| audit::looks_like(l.as_bytes())) {
        return Sniffed::Audit;
    }
    if let Some(yaml) = sources::objects::sniff(&texts.join("\n")) {
        return Sniffed::Document { yaml };
    }
    if texts.iter().any(|l| section_header(l).is_some()) {
        return Sniffed::Sections;
    }
    let envelope = frame::sniff(texts.iter().map(String::as_str));
    if first_content.is_some() && !texts.iter().any(|l| looks_like_log(l, envelope)) {
        return Sniffed::Skip(SkipReason::NotALog);
    }
    Sniffed::Log(envelope)
}

/// Largest Kubernetes object document read whole (EventList, PodList).
pub(super) const MAX_DOCUMENT: usize = 512 * 1024 * 1024;

/// A JSON/YAML object list: read whole, parsed once.
fn read_document<R: std::io::Read>(
    mut rep: FileReport,
    path: &Path,
    head: &[Option<Vec<u8>>],
    mut lr: LineReader<R>,
    yaml: bool,
    opts: &ReadOptions,
) -> FileReport {
    rep.format = if yaml { "yaml-objects" } else { "json-objects" };
    let mut d = DocReader {
        text: String::new(),
        lines: 0,
        too_big: false,
        logs: None,
        line_no: 0,
    };
    for l in head {
        match l {
            Some(l) => d.feed(&mut rep, l, path, opts),
            // Longer than a whole document, or over its budget with the lines before it.
            None => {
                d.line_no += 1;
                d.lines += 1;
                d.too_big = true;
            }
        }
    }
    loop {
        match lr.next_line() {
            Ok(Some(Line::Text(t))) => {
                d.feed(&mut rep, t, path, opts);
                if d.logs.is_some() {
                    // Container logs after the documents: log lines again.
                    lr.set_max_line(opts.max_line);
                }
            }
            Ok(Some(Line::TooLong(_))) => {
                d.line_no += 1;
                match d.logs.as_mut() {
                    Some(st) => st.too_long(&mut rep, d.line_no),
                    // Part of a document cannot be skipped: the document is over its budget.
                    None => {
                        d.lines += 1;
                        d.too_big = true;
                    }
                }
            }
            Ok(None) => break,
            Err(e) => {
                rep.error = Some(e.to_string());
                break;
            }
        }
    }
    if let Some(mut st) = d.logs.take() {
        st.finish(&mut rep, d.line_no);
    }
    let DocReader {
        text,
        lines,
        too_big,
        ..
    } = d;
    document_events(rep, path, &text, lines, too_big, yaml, opts)
}

/// A compact JSON document whose first line is longer than a log line may be (sonobuoy's
/// `core_v1_pods.json` is one line; a large cluster's runs to hundreds of MB): read whole, up
/// to [`MAX_DOCUMENT`].
fn read_compact_document<R: std::io::Read>(
    mut rep: FileReport,
    path: &Path,
    mut lr: LineReader<R>,
    opts: &ReadOptions,
) -> FileReport {
    rep.format = "json-objects";
    let Some(whole) = rest_of_stream(&mut rep, &mut lr) else {
        return rep;
    };
    let text = String::from_utf8_lossy(&whole.bytes);
    document_events(rep, path, &text, whole.lines, whole.too_big, false, opts)
}

/// The rest of a stream read whole (at most [`MAX_DOCUMENT`] bytes kept).
struct Whole {
    bytes: Vec<u8>,
    too_big: bool,
    /// Lines in it, the last one counted with or without its newline.
    lines: u64,
}

/// `None` when reading failed (the error is noted in the report).
fn rest_of_stream<R: std::io::Read>(rep: &mut FileReport, lr: &mut LineReader<R>) -> Option<Whole> {
    match lr.rest(MAX_DOCUMENT) {
        Ok((bytes, total)) => Some(Whole {
            too_big: total > MAX_DOCUMENT as u64,
            lines: memchr::memchr_iter(b'\n', &bytes).count() as u64
                + u64::from(!bytes.ends_with(b"\n") && !bytes.is_empty()),
            bytes,
        }),
        Err(e) => {
            rep.error = Some(e.to_string());
            None
        }
    }
}

/// A log store's document (FORMATS-2 §4: Loki `query_range`, an Elasticsearch `_search` or
/// scroll page, `aws logs filter-log-events`, `gcloud logging read --format=json`, Azure
/// `{"records":[…]}`): read whole, up to [`MAX_DOCUMENT`], its records read in order. Each
/// record's evidence is the line of its id or time as written (found scanning forward, so an
/// indented document points inside the record); in a compact document every record is on line
/// 1. Line counts are per record.
fn read_store_document<R: std::io::Read>(
    mut rep: FileReport,
    display: &str,
    path: &Path,
    mut lr: LineReader<R>,
    opts: &ReadOptions,
) -> FileReport {
    let Some(whole) = rest_of_stream(&mut rep, &mut lr) else {
        return rep;
    };
    rep.format = logstore::kind(&whole.bytes);
    let mut st = FileState::new(rep.id, display, path, Envelope::StoreJson, false, opts);
    if whole.too_big {
        rep.count(Component::Other).lines += whole.lines;
        rep.count(Component::Other).unparsed += whole.lines;
        rep.warn(
            display,
            1,
            WarningKind::DocumentTooLarge { max: MAX_DOCUMENT },
            opts,
        );
        return rep;
    }
    let text = String::from_utf8_lossy(&whole.bytes);
    let mut records = Vec::new();
    if let Err(e) = logstore::decode_document(&text, &mut records) {
        rep.count(Component::Other).lines += whole.lines;
        rep.count(Component::Other).unparsed += whole.lines;
        rep.warn(display, 1, WarningKind::StoreRecord(e.to_string()), opts);
        return rep;
    }
    let bytes = text.as_bytes();
    let (mut pos, mut line) = (0usize, 1u32);
    // Once an anchor is not found (written with JSON escapes), later records keep the last
    // line found: searching on would cost records × document.
    let mut anchored = true;
    for r in records {
        match r
            .anchor
            .as_deref()
            .filter(|_| anchored)
            .map(|a| memchr::memmem::find(&bytes[pos..], a.as_bytes()))
        {
            Some(Some(k)) => {
                line += memchr::memchr_iter(b'\n', &bytes[pos..pos + k]).count() as u32;
                pos += k;
            }
            Some(None) => anchored = false,
            None => {}
        }
        let evidence = Evidence { file: rep.id, line };
        st.store_record(&mut rep, evidence, r);
    }
    st.finish(&mut rep, line);
    rep
}

/// An AKS Periscope container blob (`<runId>/<node>/<pod>-<container>`):
/// `{"name":…,"ready":"1/1",…,"containerName":…,"containerLog":"<its last lines>"}`
/// (aks-periscope `pkg/collector`, docs/formats.md#aks-periscope). The log inside is read as
/// a stream of its own, `<blob>!/containerLog`, its lines numbered from 1, its component named
/// by the container.
fn read_periscope_blob<R: std::io::Read>(
    mut rep: FileReport,
    path: &Path,
    mut lr: LineReader<R>,
    opts: &ReadOptions,
) -> FileReport {
    #[derive(serde::Deserialize)]
    struct Blob {
        #[serde(default, rename = "containerName")]
        container: Option<String>,
        #[serde(default, rename = "containerLog")]
        log: Option<String>,
    }
    rep.format = "periscope-container";
    let Some(whole) = rest_of_stream(&mut rep, &mut lr) else {
        return rep;
    };
    let lines_in_file = whole.lines;
    let blob: Result<Blob, String> = if whole.too_big {
        Err(format!("larger than {MAX_DOCUMENT} bytes"))
    } else {
        serde_json::from_slice(&whole.bytes).map_err(|e| e.to_string())
    };
    let (container, log) = match blob {
        Ok(Blob {
            container,
            log: Some(log),
        }) => (container, log),
        Ok(_) => {
            // A blob without a log: its lines are counted, nothing to read.
            let c = rep.count(Component::Other);
            c.lines += lines_in_file;
            c.ignored += lines_in_file;
            return rep;
        }
        Err(e) => {
            let display = rep.display.clone();
            let c = rep.count(Component::Other);
            c.lines += lines_in_file;
            c.unparsed += lines_in_file;
            rep.warn(
                &display,
                1,
                WarningKind::UnreadableDocument(format!("unreadable Periscope blob: {e}")),
                opts,
            );
            return rep;
        }
    };
    rep.display = format!("{}!/containerLog", rep.display);
    let lines: Vec<&str> = log.lines().collect();
    let envelope = frame::sniff(lines.iter().take(SNIFF_LINES).copied());
    let display = rep.display.clone();
    let mut st = FileState::new(rep.id, &display, path, envelope, false, opts);
    if let Some(c) = container.as_deref().and_then(container_component) {
        st.hint = Some(c);
        st.file_hint = Some(c);
    }
    // `<runId>/<node>/<pod>-<container>`: the folder is the node the container ran on.
    if let Some(node) = path.parent().and_then(Path::file_name) {
        st.file_host = Some(Arc::from(node.to_string_lossy().as_ref()));
    }
    let mut n = 0u32;
    for l in &lines {
        n += 1;
        if l.len() > opts.max_line {
            st.too_long(&mut rep, n);
        } else {
            st.line(&mut rep, n, l.as_bytes());
        }
    }
    st.finish(&mut rep, n);
    rep
}

/// Events from a whole object document, with its line accounting.
fn document_events(
    mut rep: FileReport,
    path: &Path,
    text: &str,
    lines: u64,
    too_big: bool,
    yaml: bool,
    opts: &ReadOptions,
) -> FileReport {
    let c = rep.counts.entry(Component::Events).or_default();
    c.lines = lines;
    if too_big {
        c.unparsed = lines;
        let display = rep.display.clone();
        rep.warn(
            &display,
            1,
            WarningKind::DocumentTooLarge { max: MAX_DOCUMENT },
            opts,
        );
        return rep;
    }
    let host: Option<Arc<str>> = path_host(path)
        .or_else(|| Some("control-plane".to_owned()))
        .map(Arc::from);
    if let Some(h) = &host {
        rep.facts.hosts.insert(h.clone());
    }
    let o = sources::objects::extract(text, yaml, rep.id, host, &mut rep.events);
    let c = rep.counts.entry(Component::Events).or_default();
    match o.error {
        Some(e) => {
            c.unparsed = lines;
            let display = rep.display.clone();
            rep.warn(&display, 1, WarningKind::UnreadableDocument(e), opts);
        }
        // The document is understood as a whole; its items become events.
        None => c.recognised = lines,
    }
    for e in &rep.events {
        if let RawTime::Abs(i) = e.raw_time {
            rep.facts.year.anchor(i);
        }
    }
    rep
}

/// An object document being read, and the container logs that may follow it: `kubectl
/// cluster-info dump` to stdout writes its object lists, then one `==== START logs for
/// container … ====` block per container (docs/formats.md#kubectl-cluster-info-dump).
struct DocReader<'o> {
    text: String,
    /// Lines of the documents.
    lines: u64,
    too_big: bool,
    /// From the first log block on, every line is a log line.
    logs: Option<FileState<'o>>,
    line_no: u32,
}

impl<'o> DocReader<'o> {
    fn feed(&mut self, rep: &mut FileReport, t: &[u8], path: &Path, opts: &'o ReadOptions) {
        self.line_no += 1;
        if self.logs.is_none() && t.starts_with(b"==== START logs for container ") {
            self.logs = Some(FileState::new(
                rep.id,
                &rep.display.clone(),
                path,
                Envelope::Raw,
                false,
                opts,
            ));
        }
        if let Some(st) = self.logs.as_mut() {
            st.line(rep, self.line_no, t);
            return;
        }
        self.lines += 1;
        if self.text.len() + t.len() > MAX_DOCUMENT {
            self.too_big = true;
            return;
        }
        self.text.push_str(&String::from_utf8_lossy(t));
        self.text.push('\n');
    }
}

/// A line as text: borrowed when it is valid UTF-8 (nearly always; validation is a fast
/// word-at-a-time pass), replacement characters otherwise. `String::from_utf8_lossy` walks its
/// input chunk by chunk even when it is valid, which cost a quarter of the audit read time.
fn utf8(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// Does a line look like something podtrace could read (used to skip manifests, binaries…)?
fn looks_like_log(l: &str, env: Envelope) -> bool {
    match env {
        Envelope::Raw => {
            klog::looks_like_header(l.as_bytes())
                || jsonlog::looks_like(l.as_bytes())
                || sources::aws_cni::looks_like(l.as_bytes())
                || logrus::looks_like(l)
                || calico::parse(l).is_some()
                || audit::looks_like(l.as_bytes())
        }
        _ => frame::split(env, l).is_some(),
    }
}

impl FileReport {
    pub(super) fn warn(&mut self, file: &str, line: u32, kind: WarningKind, opts: &ReadOptions) {
        self.warning_count += 1;
        if self.warnings.len() < opts.keep_warnings {
            self.warnings.push(Warning::new(file, line, kind));
        }
    }

    fn count(&mut self, c: Component) -> &mut Counts {
        self.counts.entry(c).or_default()
    }
}

/// A component named by a file's path: its name (`kube-scheduler-….log`, `kubelet.log`,
/// `audit.log`), the container folder of `/var/log/pods/<ns>_<pod>_<uid>/<container>/0.log`, or
/// a folder that only one source writes (`/var/log/aws-routed-eni/`). The names are the
/// sources' own (`src/sources/registry.rs`).
pub fn path_hint(path: &Path) -> Option<Component> {
    use crate::sources::registry;
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    if let Some(c) = registry::by_file_name(&name) {
        return Some(c);
    }
    // A container's log named by its folder: /var/log/pods/…/<container>/0.log, must-gather's
    // pods/<pod>/<container>/<container>/logs/current.log, sonobuoy's
    // podlogs/<ns>/<pod>/logs/<container>.txt.
    let stem = name.split('.').next().unwrap_or("");
    let numbered = !stem.is_empty() && stem.chars().all(|c| c.is_ascii_digit());
    let comps: Vec<String> = path
        .components()
        .map(|c| c.as_os_str().to_string_lossy().to_ascii_lowercase())
        .collect();
    let n = comps.len();
    // A CloudWatch S3 export names each object's folder for its log stream: EKS's
    // `kube-apiserver-audit-<hex>/000000.gz` holds the audit log.
    if numbered
        && n >= 2
        && podtrace_parsers::logstore::eks_stream_component(&comps[n - 2]) == "kube-apiserver-audit"
    {
        return Some(Component::Audit);
    }
    if numbered && n >= 2 {
        if let Some(c) = registry::by_container(&comps[n - 2]) {
            return Some(c);
        }
    }
    if matches!(name.as_str(), "current.log" | "previous.log") && n >= 3 && comps[n - 2] == "logs" {
        if let Some(c) = registry::by_container(&comps[n - 3]) {
            return Some(c);
        }
    }
    if n >= 2 && comps[n - 2] == "logs" && name.ends_with(".txt") {
        if let Some(c) = registry::by_container(stem) {
            return Some(c);
        }
    }
    let dirs = path.parent()?.to_string_lossy().to_ascii_lowercase();
    registry::by_dir(&dirs)
}

/// The node a file belongs to, from a bundle path: `<node>/containers/<pod>_<ns>_<c>-<id>.log`,
/// `<node>/pods/<ns>_<pod>_<uid>/…`, or a node log (`kubelet.log`, `containerd.log`,
/// `journal.log`, sonobuoy's `systemd_logs`, …) in its node's folder. Folders that name a
/// component or a standard location rather than a node (`kubelet/kubelet.log` of the EKS
/// collector, `/var/lib/rancher/rke2/agent/logs/kubelet.log`, `<node>/logs/kubelet.log` of
/// support bundles) are passed over, at most three levels up; `None` when no node is named
/// (the lines' own host, if any, then decides).
pub fn path_host(path: &Path) -> Option<String> {
    let comps: Vec<String> = path
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let n = comps.len();
    for (i, c) in comps.iter().enumerate() {
        let Some(next) = comps.get(i + 1) else { break };
        // kind: <node>/pods/<ns>_<pod>_<uid>/<container>/0.log and
        // <node>/containers/<pod>_<ns>_<container>-<id>.log (must-gather's
        // namespaces/<ns>/pods/<pod>/ has no underscores there, and names no node).
        let kubelet_tree = (c == "pods" && i + 2 < n || c == "containers" && i + 2 == n)
            && next.matches('_').count() >= 2;
        if kubelet_tree && i > 0 {
            // A bare /var/log/{pods,containers} tree says nothing about its node.
            if comps[i - 1] == "log" {
                return None;
            }
            return Some(comps[i - 1].clone());
        }
    }
    let name = comps.last()?;
    let node_log = matches!(
        name.as_str(),
        "kubelet.log"
            | "containerd.log"
            | "journal.log"
            | "crio.log"
            | "syslog"
            | "messages"
            // sonobuoy: plugins/systemd-logs/results/<node>/systemd_logs
            | "systemd_logs"
    );
    if !node_log {
        return None;
    }
    comps[..n - 1]
        .iter()
        .rev()
        .take(3)
        .find(|d| !GENERIC_DIRS.contains(&d.to_ascii_lowercase().as_str()))
        .filter(|d| {
            // A folder named exactly as a component (`kubelet/`), not one that merely holds
            // such letters (`physicsim01` is a node).
            !crate::sources::registry::SOURCES
                .iter()
                .any(|s| s.file_names.contains(&d.to_ascii_lowercase().as_str()))
                && !d.starts_with('.')
                // `microk8s inspect`: inspection-report/snap.microk8s.daemon-<svc>/journal.log
                && !d.starts_with("snap.")
                && *d != "/"
        })
        .cloned()
}

/// Folder names that say where logs are kept, not which node wrote them.
const GENERIC_DIRS: &[&str] = &[
    "logs",
    "log",
    "var",
    "lib",
    "var_log",
    "agent",
    "agent-logs",
    "server",
    "rancher",
    "rke2",
    "k3s",
    "journal",
    "journald",
    "docker",
    "nodes",
    "node",
    "masters",
    "workers",
    "host_service_logs",
    "results",
];

/// The component a container of that name runs (cluster-info dump and support-bundle logs).
fn container_component(name: &str) -> Option<Component> {
    crate::sources::registry::by_container(name)
}

/// The component whose lines a journald identifier carries; `None` for a program podtrace
/// does not read and for a process that runs several components (its lines are routed by what
/// they say: see [`klog_file_component`]).
fn ident_component(ident: &str) -> Option<Component> {
    crate::sources::registry::by_ident(ident).flatten()
}

/// Does this identifier belong to a process that runs several components (k3s, kubelite)?
fn multi_component(ident: &str) -> bool {
    crate::sources::registry::by_ident(ident) == Some(None)
}

/// `kubelet I0128 17:55:40.963540 …` (MicroShift): the line without the name, and the component
/// the name is, if podtrace reads it. Any other line is returned as it is.
fn component_prefix(body: &str) -> (&str, Option<Component>) {
    let Some((word, rest)) = body.split_once(' ') else {
        return (body, None);
    };
    let is_name = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !is_name || !klog::looks_like_header(rest.as_bytes()) {
        return (body, None);
    }
    let c = crate::sources::registry::by_file_name(word)
        .or_else(|| crate::sources::registry::by_container(word));
    (rest, c)
}

/// The component of a line from a multi-component process, by its klog call site
/// (`I1111 13:26:08.308515 1473551 schedule_one.go:304] …`). Reads only the header, so that a
/// line skipped by the prefilter (cut to its first bytes) and a parsed one agree.
fn multi_line_component(body: &str) -> Option<Component> {
    let (body, named) = component_prefix(body);
    if named.is_some() {
        return named;
    }
    let b = body.as_bytes();
    if !klog::looks_like_header(b) {
        return None;
    }
    let close = memchr::memchr(b']', &b[..b.len().min(160)])?;
    let site = body[..close].rsplit(' ').next()?;
    klog_file_component(site)
}

/// The component of a klog line from a multi-component process, by its call site
/// (`schedule_one.go:304`).
fn klog_file_component(file_line: &str) -> Option<Component> {
    let file = file_line.split(':').next().unwrap_or("");
    crate::sources::registry::by_klog_file(file)
}

const QUARTER_HOUR_MS: i64 = 900_000;
/// A local stamp and an absolute one on the same line are at most this far from a whole number
/// of quarter hours apart (journald truncates to seconds and may flush late).
const OFFSET_TOLERANCE_MS: i64 = 90_000;

/// Rounds a local−UTC difference to a UTC offset in seconds, if it is one.
fn as_offset(diff_ms: i64) -> Option<i32> {
    let q = (diff_ms as f64 / QUARTER_HOUR_MS as f64).round() as i64;
    let residual = diff_ms - q * QUARTER_HOUR_MS;
    // Real offsets lie within ±14 h.
    (residual.abs() <= OFFSET_TOLERANCE_MS && q.abs() <= 56).then_some((q * 900) as i32)
}

/// `None` when the local reading has no instant in its year (no vote then).
fn local_minus_abs_ms(c: &Civil, abs: &Instant) -> Option<i64> {
    let y = c.year.unwrap_or_else(|| nearest_year(c, abs.unix_nanos));
    Some((c.to_unix_nanos(y)?.checked_sub(abs.unix_nanos)?).div_euclid(1_000_000))
}

fn local_minus_local_ms(a: &Civil, b: &Civil) -> Option<i64> {
    // Same (leap) year for both; a pair straddling New Year is off by a year and fails the
    // tolerance.
    Some((a.to_unix_nanos(2000)? - b.to_unix_nanos(2000)?).div_euclid(1_000_000))
}

pub(super) struct FileState<'o> {
    file: FileId,
    display: String,
    envelope: Envelope,
    is_audit: bool,
    opts: &'o ReadOptions,
    hint: Option<Component>,
    /// The hint the file's path gave (`hint` changes inside logs.txt container blocks).
    file_hint: Option<Component>,
    file_host: Option<Arc<str>>,
    last_host: Option<Arc<str>>,
    /// CRI `P` fragments waiting for their `F`: (stream, first line, stamp, text).
    partial: Vec<(String, u32, Option<Stamp>, String)>,
    scratch: Vec<Event>,
    /// A CSI NodePublishVolume call waiting for its response in this file.
    csi: sources::csi::Pending,
    /// Skip lines without any literal podtrace reads (off for the accounting test).
    prefilter: bool,
    /// The node came from the bundle's path (sonobuoy's `results/<node>/`): it names the node
    /// as Kubernetes does, where journald's `_HOSTNAME` is the kernel's host name.
    path_node: bool,
    /// `==> name <==` sections (see [`Sniffed::Sections`]); `skip_section`: the current one is
    /// not a log (minikube's own `Audit` command table, `describe nodes`, `dmesg`, …).
    pub(super) sections: bool,
    skip_section: bool,
    /// A log store's records decoded from the current line (reused).
    store: Vec<logstore::Record>,
    /// `journalctl -o export`: the record being read and the line it started on.
    export: journald::ExportRecord,
    export_first: u32,
    export_lines: u32,
}

use crate::event::FileId;

impl<'o> FileState<'o> {
    pub(super) fn new(
        id: u32,
        display: &str,
        path: &Path,
        envelope: Envelope,
        is_audit: bool,
        opts: &'o ReadOptions,
    ) -> Self {
        let hint = if is_audit {
            Some(Component::Audit)
        } else {
            path_hint(path)
        };
        let path_node = path_host(path).is_some();
        let file_host = path_host(path)
            .or_else(|| {
                matches!(
                    hint,
                    Some(
                        Component::Audit
                            | Component::Scheduler
                            | Component::Apiserver
                            | Component::ControllerManager
                    )
                )
                .then(|| "control-plane".to_owned())
            })
            .map(Arc::from);
        FileState {
            file: id,
            display: display.to_owned(),
            envelope,
            is_audit,
            opts,
            hint,
            file_hint: hint,
            file_host,
            last_host: None,
            partial: Vec::new(),
            scratch: Vec::new(),
            csi: Default::default(),
            // An export record spans lines that hold no literal (`_PID=…`): every line is read.
            // A store's record holds its line JSON-escaped (`\"SyncLoop ADD\"`), where the
            // literals are not found as written: read whole.
            // An audit log in another envelope (a CloudWatch S3 export, named for its stream
            // `kube-apiserver-audit-…`) has the audit reader's own filter, not the literals.
            prefilter: !opts.no_prefilter
                && hint != Some(Component::Audit)
                && !matches!(
                    envelope,
                    Envelope::JournalExport | Envelope::StoreJson | Envelope::Logcli
                ),
            path_node,
            sections: false,
            skip_section: false,
            store: Vec::new(),
            export: Default::default(),
            export_first: 0,
            export_lines: 0,
        }
    }

    /// Lines the prefilter must not skip whatever they hold: journal markers (years), logs.txt
    /// block markers (components), CRI partial fragments (the literal may sit in another
    /// fragment), and the lines of a file whose envelope needs every line.
    fn must_read(&self, b: &[u8]) -> bool {
        b.starts_with(b"-- ")
            || b.starts_with(b"==== ")
            || (self.sections && (b.starts_with(b"==> ") || b.starts_with(b"* ")))
            // A journald JSON message written as bytes (ANSI colours) hides its literals.
            || (self.envelope == Envelope::JournalJson && finders().message_bytes.find(b).is_some())
            // Every line of a CRI file comes here, noise included: the searcher is built once and
            // only the first 50 bytes are searched (a hit before byte 48 ends by byte 50).
            || (self.envelope == Envelope::Cri
                && finders()
                    .cri_partial
                    .find(&b[..b.len().min(50)])
                    .is_some_and(|k| k < 48))
            || !self.partial.is_empty()
    }

    /// The component a skipped line belongs to (its journald identifier, else the file's hint),
    /// or `None` when the line does not fit the file's envelope. A journal line's prefix moves
    /// the year chain as in `record`, so that skipping a line never changes another line's
    /// year; the frame is parsed once for both.
    fn skipped_component(&self, b: &[u8], year: &mut YearTracker) -> Option<Component> {
        let hint = self.hint.unwrap_or(Component::Other);
        if self.envelope == Envelope::JournalJson {
            // A line cut short is no entry, skipped or parsed: reported either way.
            let t = b.trim_ascii();
            if !(t.ends_with(b"}") && journald::looks_like_json(t)) {
                return None;
            }
            return Some(self.json_skipped_component(b).unwrap_or(hint));
        }
        if self.envelope == Envelope::Journal || self.sections {
            // The envelope lives in the first bytes: only those are validated.
            let head = utf8_head(b);
            return match frame::journal(head) {
                Some(f) => {
                    if let Some(Stamp::Local(c)) = f.stamp {
                        year.local(&c);
                    }
                    Some(self.framed_component(&f, hint))
                }
                // A section's other lines are raw; in a journal, continuations of wrapped
                // entries are part of the previous line.
                None if self.sections => Some(hint),
                None if head.starts_with(|c: char| c.is_whitespace())
                    || b.trim_ascii().is_empty() =>
                {
                    Some(hint)
                }
                None => None,
            };
        }
        if self.envelope == Envelope::Raw || b.trim_ascii().is_empty() {
            return Some(hint);
        }
        frame::split(self.envelope, utf8_head(b)).map(|_| hint)
    }

    /// The writer of a journal line: its identifier's component, by call site for a
    /// multi-component process (as `record` routes the lines it parses), else the hint.
    fn framed_component(&self, f: &Frame<'_>, hint: Component) -> Component {
        match f.ident {
            Some(i) if multi_component(i) => multi_line_component(f.body).unwrap_or(hint),
            i => i.and_then(ident_component).unwrap_or(hint),
        }
    }

    /// The writer of a journald JSON line skipped by the prefilter, from its identifier (a
    /// multi-component process's line is decoded to read its klog call site).
    fn json_skipped_component(&self, b: &[u8]) -> Option<Component> {
        // As `Entry::ident`: the identifier, else the unit without `.service`. journalctl writes
        // compact JSON; anything else is decoded.
        let field = |key: &[u8]| -> Option<&str> {
            let k = memchr::memmem::find(b, key)? + key.len();
            let end = memchr::memchr(b'"', &b[k..])? + k;
            std::str::from_utf8(&b[k..end]).ok()
        };
        let unit;
        let ident = match field(b"\"SYSLOG_IDENTIFIER\":\"") {
            Some(i) => i,
            None if memchr::memmem::find(b, b"\"SYSLOG_IDENTIFIER\"").is_some() => {
                let e = journald::parse_json(std::str::from_utf8(b).ok()?).ok()?;
                return e.ident().and_then(ident_component);
            }
            None => {
                unit = field(b"\"_SYSTEMD_UNIT\":\"")?;
                unit.strip_suffix(".service").unwrap_or(unit)
            }
        };
        if multi_component(ident) {
            let e = journald::parse_json(std::str::from_utf8(b).ok()?).ok()?;
            return multi_line_component(e.message.as_deref()?);
        }
        ident_component(ident)
    }

    /// One `journalctl -o json` line: the entry's message is read as the line a text journal
    /// would hold, with journald's receive time as the envelope's absolute stamp.
    fn journal_json_line(&mut self, rep: &mut FileReport, line_no: u32, bytes: &[u8]) {
        let evidence = Evidence {
            file: self.file,
            line: line_no,
        };
        let text = utf8(bytes);
        if text.trim().is_empty() {
            self.hint_line(rep).ignored += 1;
            return;
        }
        match journald::parse_json(&text) {
            Ok(e) => {
                let ident = e.ident().map(str::to_owned);
                self.journal_entry(
                    rep,
                    evidence,
                    e.realtime,
                    e.hostname.as_deref(),
                    ident.as_deref(),
                    e.message.as_deref(),
                );
            }
            Err(journald::Error::NoTime) => {
                self.hint_line(rep).unparsed += 1;
                rep.warn(
                    &self.display,
                    line_no,
                    WarningKind::JournalNoTime,
                    self.opts,
                );
            }
            Err(journald::Error::NotJson(_)) => self.unframed(rep, line_no, &text),
        }
    }

    /// One `journalctl -o export` line; a record is read when its blank line arrives.
    fn journal_export_line(&mut self, rep: &mut FileReport, line_no: u32, bytes: &[u8]) {
        // A record's lines run from the one after the last flush to its blank line.
        if self.export_lines == 0 {
            self.export_first = line_no;
        }
        self.export_lines += 1;
        if self.export.line(bytes) == journald::ExportStep::End {
            self.flush_export(rep);
        }
    }

    fn flush_export(&mut self, rep: &mut FileReport) {
        let lines = std::mem::take(&mut self.export_lines);
        let r = self.export.take();
        let evidence = Evidence {
            file: self.file,
            line: self.export_first,
        };
        if !r.has_fields {
            // Blank lines between records, or lines that are no field at all.
            let c = self.hint.unwrap_or(Component::Other);
            let bad = u64::from(r.malformed).min(u64::from(lines));
            rep.count(c).lines += u64::from(lines);
            rep.count(c).ignored += u64::from(lines) - bad;
            if bad > 0 {
                rep.count(c).unparsed += bad;
                rep.warn(
                    &self.display,
                    evidence.line,
                    WarningKind::JournalExportMalformed { count: r.malformed },
                    self.opts,
                );
            }
            return;
        }
        let c = self.journal_entry(
            rep,
            evidence,
            r.realtime,
            r.hostname.as_deref(),
            r.ident(),
            r.message.as_deref(),
        );
        // The record's other lines (its fields, the blank line) belong to the same entry.
        let rest = u64::from(lines.saturating_sub(1));
        rep.count(c).lines += rest;
        rep.count(c).ignored += rest;
        if r.malformed > 0 {
            rep.count(c).unparsed += u64::from(r.malformed);
            rep.count(c).ignored -= u64::from(r.malformed).min(rest);
            rep.warn(
                &self.display,
                evidence.line,
                WarningKind::JournalExportMalformed { count: r.malformed },
                self.opts,
            );
        }
    }

    /// A decoded journald entry, read as the text line it stands for. Returns the component
    /// it was counted under.
    fn journal_entry(
        &mut self,
        rep: &mut FileReport,
        evidence: Evidence,
        realtime: Option<Instant>,
        hostname: Option<&str>,
        ident: Option<&str>,
        message: Option<&str>,
    ) -> Component {
        let Some(message) = message else {
            // journalctl without -a writes `null` for a field over 4 KiB.
            let c = ident
                .and_then(ident_component)
                .or(self.hint)
                .unwrap_or(Component::Other);
            rep.count(c).lines += 1;
            if c == Component::Other {
                rep.count(c).ignored += 1;
            } else {
                rep.count(c).unparsed += 1;
                rep.warn(
                    &self.display,
                    evidence.line,
                    WarningKind::JournalNullMessage,
                    self.opts,
                );
            }
            return c;
        };
        // A host name as `frame::journal` accepts them (the field is text from the log).
        let host = if self.path_node {
            None
        } else {
            hostname.filter(|h| frame::is_host_name(h))
        };
        let fr = Frame {
            stamp: realtime.map(Stamp::Abs),
            host,
            ident,
            pid: None,
            stream: None,
            partial: false,
            body: message.trim_end_matches('\n'),
        };
        self.record(rep, evidence, &fr)
    }

    /// One line of a log store's export: its records (none for an Elasticsearch `_bulk`
    /// action line, several for an OTLP batch), each read as the line it wraps.
    fn store_line(
        &mut self,
        rep: &mut FileReport,
        line_no: u32,
        bytes: &[u8],
        shape: logstore::Shape,
    ) {
        let evidence = Evidence {
            file: self.file,
            line: line_no,
        };
        let text = utf8(bytes);
        if text.trim().is_empty() {
            self.hint_line(rep).ignored += 1;
            return;
        }
        let mut records = std::mem::take(&mut self.store);
        records.clear();
        match logstore::decode_line(shape, &text, &mut records) {
            Ok(()) if records.is_empty() => {
                self.hint_line(rep).ignored += 1;
            }
            Ok(()) => {
                for r in records.drain(..) {
                    self.store_record(rep, evidence, r);
                }
            }
            Err(e) => {
                self.hint_line(rep).unparsed += 1;
                rep.warn(
                    &self.display,
                    line_no,
                    WarningKind::StoreRecord(e.to_string()),
                    self.opts,
                );
            }
        }
        self.store = records;
    }

    /// One record of a log store, read as the line it wraps: its time is the envelope's stamp,
    /// its node the line's host, and the writer its labels name (identifier, container, the
    /// node file it was read from) routes it, as a node file's name would. An audit event is
    /// read as a line of the audit log. Returns the component it was counted under.
    fn store_record(
        &mut self,
        rep: &mut FileReport,
        evidence: Evidence,
        r: logstore::Record,
    ) -> Component {
        let Some(line) = r.line.as_deref() else {
            self.hint_line(rep).ignored += 1;
            return self.hint.unwrap_or(Component::Other);
        };
        if r.audit {
            self.audit_line(rep, evidence, line.as_bytes());
            return Component::Audit;
        }
        use crate::sources::registry;
        let writer = r
            .ident
            .as_deref()
            .and_then(|i| ident_component(i).or_else(|| registry::by_file_name(i)))
            .or_else(|| r.container.as_deref().and_then(container_component))
            .or_else(|| r.file.as_deref().and_then(|f| path_hint(Path::new(f))));
        let saved = self.hint;
        self.hint = writer.or(self.file_hint);
        // A store may keep the node file's whole line (Loki without a `cri` stage, a syslog
        // file): its own envelope is peeled, its time being the source's.
        let inner = frame::cri(line).or_else(|| frame::journal(line));
        // A managed control plane (EKS, AKS) names no node: its components' lines are the
        // control plane's, as a control-plane file without a node in its path is.
        let control_plane = matches!(
            self.hint,
            Some(Component::Scheduler | Component::Apiserver | Component::ControllerManager)
        )
        .then_some("control-plane");
        let node = r
            .node
            .as_deref()
            .filter(|h| frame::is_host_name(h))
            .or(control_plane);
        let fr = match inner {
            Some(f) => Frame {
                // A CRI time is the source's own, to the ns; a journal prefix's is local, often
                // whole seconds, and yearless: the store's absolute time is kept over it.
                stamp: match f.stamp {
                    Some(Stamp::Abs(i)) => Some(Stamp::Abs(i)),
                    local => r.time.map(Stamp::Abs).or(local),
                },
                host: node.or(f.host),
                ident: f.ident.or(r.ident.as_deref()),
                pid: f.pid,
                stream: f.stream,
                partial: false,
                body: f.body.trim_end_matches('\n'),
            },
            None => Frame {
                stamp: r.time.map(Stamp::Abs),
                host: node,
                ident: r.ident.as_deref(),
                pid: None,
                stream: None,
                partial: false,
                body: line.trim_end_matches('\n'),
            },
        };
        let c = self.record(rep, evidence, &fr);
        self.hint = saved;
        c
    }

    /// Counts one more line under the file's current component (its hint, else `Other`) and
    /// returns its counts, for the caller to say how the line ended.
    fn hint_line<'r>(&self, rep: &'r mut FileReport) -> &'r mut Counts {
        let n = rep.count(self.hint.unwrap_or(Component::Other));
        n.lines += 1;
        n
    }

    /// A new `==> name <==` section: its source, or not a log at all.
    fn section(&mut self, name: &str) {
        use crate::sources::registry;
        let lower = name.to_ascii_lowercase();
        // minikube's own sections: `Audit` is its command history, not the apiserver's audit
        // log (minikube pkg/minikube/logs/logs.go).
        self.skip_section = matches!(
            lower.as_str(),
            "audit" | "last start" | "container status" | "describe nodes" | "dmesg" | "kernel"
        );
        let file = lower.rsplit('/').next().unwrap_or(&lower);
        self.hint = if self.skip_section {
            None
        } else {
            registry::by_file_name(file)
                .or_else(|| registry::by_container(file))
                .or_else(|| registry::by_ident(file).flatten())
                .or_else(|| path_hint(Path::new(&lower)))
        };
    }

    pub(super) fn too_long(&mut self, rep: &mut FileReport, line_no: u32) {
        self.hint_line(rep).unparsed += 1;
        rep.warn(
            &self.display,
            line_no,
            WarningKind::LineTooLong {
                max: self.opts.max_line,
            },
            self.opts,
        );
    }

    fn host(&mut self, name: Option<&str>) -> Option<Arc<str>> {
        match name {
            None => self.file_host.clone(),
            Some(n) => {
                if let Some(h) = &self.last_host {
                    if &**h == n {
                        return Some(h.clone());
                    }
                }
                let h: Arc<str> = Arc::from(n);
                self.last_host = Some(h.clone());
                Some(h)
            }
        }
    }

    pub(super) fn line(&mut self, rep: &mut FileReport, line_no: u32, bytes: &[u8]) {
        if !self.is_audit
            && self.prefilter
            && !super::prefilter::may_matter(bytes)
            && !self.must_read(bytes)
        {
            // Counted under its writer, as a fully parsed line would be; a line that does not
            // even fit the file's envelope is still reported.
            match self.skipped_component(bytes, &mut rep.facts.year) {
                Some(c) => {
                    let n = rep.count(c);
                    n.lines += 1;
                    n.ignored += 1;
                }
                None => self.unframed(rep, line_no, &String::from_utf8_lossy(bytes)),
            }
            return;
        }
        let evidence = Evidence {
            file: self.file,
            line: line_no,
        };
        if self.is_audit {
            // Most audit lines are skipped by their literal; only the rest are validated.
            self.audit_line(rep, evidence, bytes);
            return;
        }
        match self.envelope {
            Envelope::JournalJson => return self.journal_json_line(rep, line_no, bytes),
            Envelope::JournalExport => return self.journal_export_line(rep, line_no, bytes),
            Envelope::StoreJson => {
                return self.store_line(rep, line_no, bytes, logstore::Shape::JsonLines);
            }
            Envelope::Logcli => {
                return self.store_line(rep, line_no, bytes, logstore::Shape::LogcliText);
            }
            _ => {}
        }
        let text = utf8(bytes);
        let text: &str = &text;
        if self.sections {
            let text = match text.strip_prefix("* ") {
                Some(t) => t,
                None if text == "*" => "",
                None => text,
            };
            if let Some(name) = section_header(text) {
                self.section(name);
                self.hint_line(rep).ignored += 1;
                return;
            }
            if self.skip_section || text.trim().is_empty() || text.starts_with("-- ") {
                // `-- Logs begin at Mon 2021-06-14 22:21:53 UTC, end at … --` carries a year.
                if let Some(t) = text
                    .starts_with("-- ")
                    .then(|| journal_marker_time(text))
                    .flatten()
                {
                    rep.facts.year.anchor_nanos(t);
                }
                self.hint_line(rep).ignored += 1;
                return;
            }
            // The kubelet's and the runtime's sections are journal lines; containers' are
            // their raw output.
            let fr = frame::journal(text).unwrap_or(Frame::raw(text));
            self.record(rep, evidence, &fr);
            return;
        }
        // `kubectl cluster-info dump` logs.txt: one block per container, between markers.
        if let Some(rest) = text.strip_prefix("==== START logs for container ") {
            let container = rest.split(' ').next().unwrap_or("");
            self.hint = container_component(container).or(self.file_hint);
            self.hint_line(rep).ignored += 1;
            return;
        }
        // The dump writes its END marker right after the log's bytes: a last line without a
        // newline carries it glued to its end. The line is read, then the block ends.
        // Searched in the raw bytes (the text may hold replacement characters, longer than the
        // bytes they replace); the part before the first marker holds none, so this recurses
        // once at most.
        if let Some(k) = finders().end_marker.find(bytes).filter(|k| *k > 0) {
            self.line(rep, line_no, &bytes[..k]);
            self.hint = self.file_hint;
            return;
        }
        if text.starts_with("==== END logs for container ") {
            self.hint_line(rep).ignored += 1;
            self.hint = self.file_hint;
            return;
        }
        if text.trim().is_empty() {
            self.hint_line(rep).ignored += 1;
            return;
        }
        let Some(fr) = frame::split(self.envelope, text) else {
            self.unframed(rep, line_no, text);
            return;
        };
        if self.envelope == Envelope::Cri {
            // Join CRI partial records (`P`…`P` `F`) into one logical line.
            let stream = fr.stream.unwrap_or("");
            let slot = self.partial.iter().position(|p| p.0 == stream);
            if fr.partial {
                match slot {
                    Some(k) => {
                        let buf = &mut self.partial[k].3;
                        if buf.len() + fr.body.len() <= self.opts.max_line {
                            buf.push_str(fr.body);
                        }
                    }
                    None => self.partial.push((
                        stream.to_owned(),
                        line_no,
                        fr.stamp,
                        fr.body.to_owned(),
                    )),
                }
                // Counted once, as part of the record its final `F` line completes.
                self.hint_line(rep).ignored += 1;
                return;
            }
            if let Some(k) = slot {
                let (_, first, stamp, mut buf) = self.partial.swap_remove(k);
                buf.push_str(fr.body);
                let joined = Frame {
                    stamp,
                    body: &buf,
                    ..fr
                };
                self.record(
                    rep,
                    Evidence {
                        file: self.file,
                        line: first,
                    },
                    &joined,
                );
                return;
            }
        }
        self.record(rep, evidence, &fr);
    }

    fn unframed(&mut self, rep: &mut FileReport, line_no: u32, text: &str) {
        let c = self.hint.unwrap_or(Component::Other);
        rep.count(c).lines += 1;
        if self.envelope == Envelope::Journal && text.starts_with("-- ") {
            // journalctl markers: `-- Journal begins at Fri 2023-09-01 23:34:50 UTC. --`,
            // `-- Boot … --`. The first kind carries a year.
            if let Some(t) = journal_marker_time(text) {
                rep.facts.year.anchor_nanos(t);
            }
            rep.count(c).ignored += 1;
            return;
        }
        if self.envelope == Envelope::Journal && text.starts_with(|ch: char| ch.is_whitespace()) {
            // Continuation of a wrapped or multi-line entry.
            rep.count(c).ignored += 1;
            return;
        }
        if self.hint.is_none() && matches!(self.envelope, Envelope::Stamped | Envelope::Cri) {
            // A container log no source claims (an application's, a tool's): a line without
            // the envelope is part of the previous record (a stack trace, a wrapped message).
            // Counted, never warned about line by line. (A journal carries every component's
            // lines, so a line that breaks its framing there is still reported.)
            rep.count(c).ignored += 1;
            return;
        }
        rep.count(c).unparsed += 1;
        rep.warn(
            &self.display,
            line_no,
            WarningKind::NotFramed {
                envelope: self.envelope.as_str(),
                text: clip(text),
            },
            self.opts,
        );
    }

    fn audit_line(&mut self, rep: &mut FileReport, evidence: Evidence, bytes: &[u8]) {
        let c = Component::Audit;
        rep.count(c).lines += 1;
        if bytes.trim_ascii().is_empty() {
            rep.count(c).ignored += 1;
            return;
        }
        if !sources::audit::wanted(bytes) {
            if sources::audit::looks_damaged(bytes) {
                rep.count(c).unparsed += 1;
                rep.warn(
                    &self.display,
                    evidence.line,
                    WarningKind::DamagedAudit,
                    self.opts,
                );
            } else {
                rep.count(c).ignored += 1;
            }
            return;
        }
        let ctx = LineCtx::untimed(evidence, Some(Arc::from("control-plane")));
        if rep.facts.hosts.is_empty() {
            rep.facts.hosts.insert(Arc::from("control-plane"));
        }
        let before = rep.events.len();
        let outcome = sources::audit::extract(&utf8(bytes), &ctx, &mut rep.events);
        if let Some(e) = rep.events.get(before) {
            if let RawTime::Abs(i) = e.raw_time {
                rep.facts.year.anchor(i);
                rep.facts.first_abs.get_or_insert(i.unix_nanos);
            }
        }
        self.account(rep, c, evidence, outcome);
    }

    fn account(
        &mut self,
        rep: &mut FileReport,
        c: Component,
        evidence: Evidence,
        outcome: Outcome,
    ) {
        match outcome {
            Outcome::Recognised(_) => rep.count(c).recognised += 1,
            Outcome::Ignored => rep.count(c).ignored += 1,
            Outcome::Unparsed(why) => {
                rep.count(c).unparsed += 1;
                rep.warn(
                    &self.display,
                    evidence.line,
                    WarningKind::Unparsed(why),
                    self.opts,
                );
            }
        }
    }

    /// One framed record: find its time(s), note clock evidence, extract events.
    /// Returns the component the line was counted under.
    fn record(&mut self, rep: &mut FileReport, evidence: Evidence, fr: &Frame<'_>) -> Component {
        // An audit event inside another envelope: a CloudWatch S3 export line (`<time> <event>`),
        // an apiserver auditing to stdout (a CRI file). Read as a line of the audit log.
        if fr.body.starts_with('{')
            && memchr::memmem::find(fr.body.as_bytes(), b"\"auditID\"").is_some()
            && memchr::memmem::find(fr.body.as_bytes(), b"\"stage\"").is_some()
        {
            self.audit_line(rep, evidence, fr.body.as_bytes());
            return Component::Audit;
        }
        let host = self.host(fr.host);
        if let Some(h) = &host {
            if !rep.facts.hosts.contains(h) {
                rep.facts.hosts.insert(h.clone());
            }
        }
        // A multi-component process (k3s, kubelite) names no component: each line is routed
        // by its klog call site or by the extractor that recognises it.
        let multi = fr.ident.is_some_and(multi_component);
        // MicroShift writes each component's name before its klog line: read the line without
        // it (the name routes the line).
        let (body, named) = if multi {
            component_prefix(fr.body)
        } else {
            (fr.body, None)
        };
        let fr = &Frame { body, ..*fr };
        let line_component = if multi {
            named
                .or_else(|| multi_line_component(fr.body))
                .or(self.hint)
        } else {
            fr.ident.and_then(ident_component).or(self.hint)
        };
        // Envelope stamp: feeds the year chain; kept as the line's fallback time.
        let env_time = match fr.stamp {
            Some(Stamp::Abs(i)) => {
                rep.facts.year.anchor(i);
                rep.facts.first_abs.get_or_insert(i.unix_nanos);
                Some(RawTime::Abs(i))
            }
            Some(Stamp::Local(c)) => {
                let year_rel = rep.facts.year.local(&c);
                Some(RawTime::Local {
                    civil: c,
                    year_rel,
                    clock: ClockKind::JournalPrefix,
                    clock_component: Component::Other,
                })
            }
            None => None,
        };
        let body = fr.body;
        let b = body.as_bytes();
        self.scratch.clear();
        let mut outcome = Outcome::Ignored;
        let mut comp = line_component.unwrap_or(Component::Other);

        if klog::looks_like_header(b) {
            match klog::parse(body) {
                Ok(rec) => {
                    let civil = rec.header.time;
                    // A journal prefix already moved the year chain for this line.
                    let year_rel = match fr.stamp {
                        Some(Stamp::Local(_)) => rep.facts.year.beside(&civil),
                        _ => rep.facts.year.local(&civil),
                    };
                    let klog_comp = line_component.unwrap_or(Component::Other);
                    let time = RawTime::Local {
                        civil,
                        year_rel,
                        clock: ClockKind::Record,
                        clock_component: klog_comp,
                    };
                    self.note_record_clock(rep, &host, klog_comp, &civil, fr.stamp, evidence);
                    let ctx = LineCtx {
                        time,
                        evidence,
                        host: host.clone(),
                    };
                    let got = match rec.body {
                        klog::Body::Structured { msg, tail } => sources::registry::structured(
                            msg,
                            &sources::Fields::Klog(tail),
                            &ctx,
                            &mut self.scratch,
                        ),
                        // printf-style lines podtrace reads: the printf-era kubelet, ingress-nginx's
                        // older wording, CSI gRPC (per-file state, so called here).
                        klog::Body::Text(text) => sources::registry::klog_text(
                            text,
                            &ctx,
                            &mut self.scratch,
                        )
                        .or_else(|| {
                            sources::csi::extract(text, &mut self.csi, &ctx, &mut self.scratch)
                        }),
                    };
                    if let Some(o) = got {
                        outcome = o;
                    }
                    if let Some(e) = self.scratch.first() {
                        comp = line_component.unwrap_or(e.component);
                        if let EventKind::Startup { startup, .. } = &e.kind {
                            if let Some(w) = startup.watch_observed_running {
                                rep.facts.embedded.push(EmbeddedObs {
                                    key: ClockKey {
                                        host: host.clone(),
                                        component: klog_comp,
                                        kind: ClockKind::Record,
                                    },
                                    header: civil,
                                    year_rel,
                                    embedded: w,
                                    evidence,
                                });
                                rep.facts.year.anchor(w);
                            }
                        }
                    }
                }
                Err(klog::Error::UnterminatedMessage) => {
                    outcome = Outcome::Unparsed(
                        "klog message without its closing quote (truncated line?)".into(),
                    );
                }
                Err(klog::Error::NotKlog) => {}
            }
        } else if sources::aws_cni::looks_like(b) {
            // The line carries its own time; the envelope's is the fallback.
            let ctx = LineCtx::untimed(evidence, host.clone());
            outcome = sources::aws_cni::extract(body, env_time, &ctx, &mut self.scratch);
            if let Some(e) = self.scratch.first() {
                if let RawTime::Abs(i) = e.raw_time {
                    rep.facts.year.anchor(i);
                    rep.facts.first_abs.get_or_insert(i.unix_nanos);
                }
                comp = Component::Cni;
            }
        } else if jsonlog::looks_like(b) {
            // klog JSON format: the same messages and keys, so the same extractors.
            match jsonlog::parse(body) {
                Some(rec) => {
                    if let Some(t) = rec.time {
                        rep.facts.year.anchor(t);
                        rep.facts.first_abs.get_or_insert(t.unix_nanos);
                    }
                    match rec.time.map(RawTime::Abs).or(env_time) {
                        Some(time) => {
                            let ctx = LineCtx {
                                time,
                                evidence,
                                host: host.clone(),
                            };
                            let msg = podtrace_parsers::quote::unescape(rec.msg);
                            let fields = sources::Fields::Pairs(rec.fields);
                            if let Some(o) = sources::registry::structured(
                                &msg,
                                &fields,
                                &ctx,
                                &mut self.scratch,
                            ) {
                                outcome = o;
                            }
                            if let (None, Some(e)) = (line_component, self.scratch.first()) {
                                comp = e.component;
                            }
                        }
                        None => outcome = Outcome::Unparsed("JSON log record without ts".into()),
                    }
                }
                None => outcome = Outcome::Unparsed("JSON log line that is not valid JSON".into()),
            }
        } else if logrus::looks_like(body) || finders().logrus_time.find(b).is_some() {
            if let Some(rec) = logrus::parse(body) {
                if let Some(t) = rec.time {
                    rep.facts.year.anchor(t);
                    rep.facts.first_abs.get_or_insert(t.unix_nanos);
                    if let Some(Stamp::Local(pc)) = fr.stamp {
                        let key = ClockKey {
                            host: host.clone(),
                            component: Component::Other,
                            kind: ClockKind::JournalPrefix,
                        };
                        if let Some(d) = local_minus_abs_ms(&pc, &t) {
                            self.vote(rep, true, key, d, evidence);
                        }
                    }
                }
                let raw_msg = rec.msg.raw();
                // The message tells the writer apart (the journald identifier may be missing).
                let which = sources::registry::logrus_writer(raw_msg);
                if let Some((which, writer)) = which {
                    match rec.time.map(RawTime::Abs).or(env_time) {
                        Some(time) => {
                            let ctx = LineCtx {
                                time,
                                evidence,
                                host: host.clone(),
                            };
                            outcome = (writer.extract)(&rec, &ctx, &mut self.scratch);
                            if line_component.is_none() {
                                comp = which;
                            }
                        }
                        None => {
                            outcome = Outcome::Unparsed(format!(
                                "{} record without a time",
                                which.as_str()
                            ))
                        }
                    }
                }
            } else if logrus::looks_like(body) {
                // A record whose quotes never close: cut by a viewer (systemctl, a pager) or
                // truncated on disk. Said, not silently dropped.
                outcome = Outcome::Unparsed("logrus record cut short (unterminated quote)".into());
                if let Some(c) = line_component {
                    comp = c;
                }
            }
        } else if b.first().is_some_and(u8::is_ascii_digit) {
            if let Some(rec) = calico::parse(body) {
                let civil = rec.time;
                self.note_record_clock(rep, &host, Component::Cni, &civil, fr.stamp, evidence);
                let ctx = LineCtx {
                    time: RawTime::Local {
                        civil,
                        year_rel: 0,
                        clock: ClockKind::Record,
                        clock_component: Component::Cni,
                    },
                    evidence,
                    host: host.clone(),
                };
                outcome = sources::calico::extract(&rec, &ctx, &mut self.scratch);
                comp = Component::Cni;
            }
        }
        rep.events.append(&mut self.scratch);
        self.account(rep, comp, evidence, outcome);
        rep.count(comp).lines += 1;
        comp
    }

    /// A component's own local stamp next to the envelope's: clock evidence.
    fn note_record_clock(
        &self,
        rep: &mut FileReport,
        host: &Option<Arc<str>>,
        comp: Component,
        civil: &Civil,
        env: Option<Stamp>,
        evidence: Evidence,
    ) {
        let key = ClockKey {
            host: host.clone(),
            component: comp,
            kind: ClockKind::Record,
        };
        match env {
            Some(Stamp::Abs(i)) => {
                if let Some(d) = local_minus_abs_ms(civil, &i) {
                    self.vote(rep, true, key, d, evidence)
                }
            }
            Some(Stamp::Local(p)) => {
                if let Some(d) = local_minus_local_ms(civil, &p) {
                    self.vote(rep, false, key, d, evidence)
                }
            }
            None => {}
        }
    }

    fn vote(
        &self,
        rep: &mut FileReport,
        direct: bool,
        key: ClockKey,
        diff_ms: i64,
        evidence: Evidence,
    ) {
        match as_offset(diff_ms) {
            Some(off) => {
                let map = if direct {
                    &mut rep.facts.direct
                } else {
                    &mut rep.facts.vs_prefix
                };
                map.entry(key)
                    .or_default()
                    .entry(off)
                    .or_insert((0, evidence))
                    .0 += 1;
            }
            None => rep.facts.inconsistent_stamps += 1,
        }
    }

    pub(super) fn finish(&mut self, rep: &mut FileReport, last_line: u32) {
        if self.export.has_fields || self.export.in_binary() {
            // The last export record has no blank line after it.
            self.flush_export(rep);
        }
        for (_, first, _, _) in std::mem::take(&mut self.partial) {
            let c = self.hint.unwrap_or(Component::Other);
            rep.count(c).unparsed += 1;
            rep.warn(
                &self.display,
                first,
                WarningKind::CriPartialIncomplete { last: last_line },
                self.opts,
            );
        }
    }
}

/// Searchers used on every line of a file, built once (`memmem::find` builds one per call).
struct Finders {
    message_bytes: memchr::memmem::Finder<'static>,
    cri_partial: memchr::memmem::Finder<'static>,
    end_marker: memchr::memmem::Finder<'static>,
    logrus_time: memchr::memmem::Finder<'static>,
}

fn finders() -> &'static Finders {
    static F: std::sync::OnceLock<Finders> = std::sync::OnceLock::new();
    F.get_or_init(|| Finders {
        message_bytes: memchr::memmem::Finder::new(b"\"MESSAGE\":["),
        cri_partial: memchr::memmem::Finder::new(b" P "),
        end_marker: memchr::memmem::Finder::new(b"==== END logs for container "),
        logrus_time: memchr::memmem::Finder::new(b"time=\""),
    })
}

/// The first 200 bytes of a line as text (an envelope lives there), cut at the last whole
/// character.
fn utf8_head(b: &[u8]) -> &str {
    let head = &b[..b.len().min(200)];
    match std::str::from_utf8(head) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or(""),
    }
}

/// `-- Journal begins at Fri 2023-09-01 23:34:50 UTC. --` / `-- Logs begin at …`: the time, read
/// as UTC (only its year is used).
fn journal_marker_time(line: &str) -> Option<i64> {
    let k = line.find(" at ")?;
    let rest = &line[k + 4..];
    let d = rest.find(|c: char| c.is_ascii_digit())?;
    let (c, _) = podtrace_parsers::time::parse_civil_datetime(&rest.as_bytes()[d..])?;
    c.to_unix_nanos(c.year?)
}

fn clip(s: &str) -> String {
    let end = s.char_indices().nth(120).map_or(s.len(), |(i, _)| i);
    if end < s.len() {
        format!("{}…", &s[..end])
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_audit_log_with_a_list_body_is_still_an_audit_log() {
        // A RequestResponse `list pods` answer early in the log used to make the whole file look
        // like a PodList document.
        let line = br#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"a","stage":"ResponseComplete","verb":"list","objectRef":{"resource":"pods","namespace":"x","apiVersion":"v1"},"responseObject":{"kind":"PodList","apiVersion":"v1","metadata":{},"items":[]}}"#;
        assert!(matches!(sniff([&line[..]].into_iter()), Sniffed::Audit));
        let list = br#"{"kind":"PodList","apiVersion":"v1","items":[]}"#;
        assert!(matches!(
            sniff([&list[..]].into_iter()),
            Sniffed::Document { yaml: false }
        ));
        assert!(matches!(
            sniff([&b"\x00\x01"[..]].into_iter()),
            Sniffed::Skip(_)
        ));
    }

    #[test]
    fn offsets_round_to_quarter_hours() {
        assert_eq!(as_offset(7_200_000 + 41), Some(7200));
        assert_eq!(as_offset(-500), Some(0));
        assert_eq!(as_offset(19_800_000), Some(19_800)); // +05:30
        assert_eq!(as_offset(400_000), None);
        assert_eq!(as_offset(60 * 3_600_000), None);
    }

    #[test]
    fn hosts_from_bundle_paths() {
        assert_eq!(
            path_host(Path::new(
                "b/kind-worker/containers/nginx_default_nginx-3f5c.log"
            ))
            .as_deref(),
            Some("kind-worker")
        );
        assert_eq!(
            path_host(Path::new("b/kind-worker/pods/ns_p_uid/c/0.log")).as_deref(),
            Some("kind-worker")
        );
        assert_eq!(
            path_host(Path::new("b/kind-worker/kubelet.log")).as_deref(),
            Some("kind-worker")
        );
        assert_eq!(path_host(Path::new("x.log")), None);
        assert_eq!(
            path_hint(Path::new("a/kube-scheduler.cri.log")),
            Some(Component::Scheduler)
        );
    }

    #[test]
    fn journal_marker_year() {
        let t =
            journal_marker_time("-- Journal begins at Fri 2023-09-01 23:34:50 UTC. --").unwrap();
        assert_eq!(
            podtrace_parsers::time::format_rfc3339_nanos(t),
            "2023-09-01T23:34:50.000000000Z"
        );
        assert_eq!(journal_marker_time("-- Boot 5e1e --"), None);
    }
}
