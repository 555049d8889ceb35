//! The events file: what `podtrace extract` writes and `build` (and `analyze`, `report`, `trace`)
//! read back, so that reading logs (the map, parallel over any split of the files) and building
//! timelines (the reduce) can run on different machines. Schema: docs/events.md.
//!
//! One Parquet file, one row per stream (a file or archive member read), followed by one row per
//! event of that stream. Every row carries its stream's number and a `payload`: the stream's
//! report (format, line counts, warnings, clock facts) or the event, as JSON, exactly as the
//! reader made them, so that a build from events gives byte for byte what `analyze` gives. The
//! other columns repeat what SQL engines (DuckDB, Spark SQL, polars) want to filter and group
//! on: component, host, kind, time, pod.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use polars::prelude::*;
use polars_io::SerReader;
use serde::{Deserialize, Serialize};

use crate::event::{ClockFacts, Component, Event, EventKind, RawTime};
use crate::input::{Counts, FileReport, SkipReason, Skipped, Warning, WarningKind};
use crate::timeline::partition::RouteRow;

/// The schema's version: written in every row (`version`) and in the file's key-value
/// metadata (`podtrace.events.version`). A reader refuses a version it does not know.
pub const VERSION: u32 = 1;

/// The file's key-value metadata entry listing the paths `extract` was given, as a JSON array:
/// text output names files relative to them, as `analyze` on those paths would.
const ROOTS_KEY: &str = "podtrace.events.roots";

/// The paths an events file was extracted from (`None`: not an events file, or none recorded).
pub fn roots(path: &Path) -> Option<Vec<String>> {
    // The footer is decoded by a third party's code: a panic in it is a file without roots.
    std::panic::catch_unwind(|| roots_unguarded(path))
        .ok()
        .flatten()
}

fn roots_unguarded(path: &Path) -> Option<Vec<String>> {
    serde_json::from_str(&metadata(path, ROOTS_KEY)?).ok()
}

/// One entry of the file's key-value metadata.
fn metadata(path: &Path, key: &str) -> Option<String> {
    use polars_io::SerReader;
    let f = std::fs::File::open(path).ok()?;
    let mut r = polars_io::prelude::ParquetReader::new(f);
    let meta = r.get_metadata().ok()?;
    let kv = meta.key_value_metadata.as_ref()?;
    kv.iter()
        .find(|kv| kv.key == key)?
        .value
        .as_deref()
        .map(str::to_owned)
}

/// The metadata entry naming the routing rules the `route` column was written by.
const ROUTES_KEY: &str = "podtrace.events.routes";

/// The routing rules' version an events file records (`None`: it records none).
fn routes_version(path: &Path) -> Option<String> {
    std::panic::catch_unwind(|| metadata(path, ROUTES_KEY))
        .ok()
        .flatten()
}

/// Refuses an events file whose routes another version of the rules wrote (`required`: or
/// that records none, as files from before routes do).
pub fn same_routes(path: &Path, required: bool) -> anyhow::Result<()> {
    let ours = crate::timeline::partition::ROUTES.to_string();
    match routes_version(path) {
        Some(v) if v == ours => Ok(()),
        None if !required => Ok(()),
        said => anyhow::bail!(
            "{}: its routes follow {} of the routing rules, this podtrace's version {ours}: extract it again with this podtrace (`podtrace extract` reads events files too)",
            path.display(),
            said.map_or_else(|| "no version".to_owned(), |v| format!("version {v}")),
        ),
    }
}

/// The metadata entry `podtrace partition` writes in each file of a partition: `K/N`.
const PARTITION_KEY: &str = "podtrace.events.partition";

/// Which partition of a split an events file belongs to, where `podtrace partition` wrote it.
pub fn partition_of(path: &Path) -> Option<crate::timeline::partition::PartOf> {
    std::panic::catch_unwind(|| metadata(path, PARTITION_KEY))
        .ok()
        .flatten()?
        .parse()
        .ok()
}

/// What a stream's row holds besides its events.
#[derive(Serialize, Deserialize)]
struct StreamPayload {
    format: String,
    skipped: Option<SkipReason>,
    error: Option<String>,
    counts: BTreeMap<Component, Counts>,
    warnings: Vec<WarningRow>,
    warning_count: u64,
    nuls: u64,
    facts: ClockFacts,
}

#[derive(Serialize, Deserialize)]
struct WarningRow {
    file: String,
    line: u32,
    kind: WarningKind,
}

/// What `extract` wrote.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Written {
    pub skipped: usize,
    pub streams: usize,
    pub events: usize,
    pub bytes: u64,
}

/// The variant's name of an event (`AuditPodCreate`, `SyncLoop`, …), read from its payload
/// (`"kind":{"Name":…}` or `"kind":"Name"`) instead of serializing the event a second time.
fn kind_name(payload: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct KindOnly<'a> {
        #[serde(borrow)]
        kind: &'a serde_json::value::RawValue,
    }
    let k = serde_json::from_str::<KindOnly<'_>>(payload)
        .ok()?
        .kind
        .get();
    let name = k.trim_start_matches(['{', ' ']).strip_prefix('"')?;
    Some(name[..name.find('"')?].to_owned())
}

/// The first pod an event names, for the `namespace`, `pod` and `uid` columns.
fn pod_of(k: &EventKind) -> Option<&crate::event::PodRef> {
    crate::timeline::join::pod_refs(k).first()
}

/// Writes the streams read (in order) and what the walk skipped as one events file.
pub fn write(
    reports: &[FileReport],
    skipped: &[Skipped],
    roots: &[String],
    out: impl Write,
) -> anyhow::Result<Written> {
    let meta = polars_io::parquet::write::KeyValueMetadata::from_static(vec![
        ("podtrace.events.version".to_owned(), VERSION.to_string()),
        (ROOTS_KEY.to_owned(), serde_json::to_string(roots)?),
        (
            ROUTES_KEY.to_owned(),
            crate::timeline::partition::ROUTES.to_string(),
        ),
    ]);
    let mut counted = Counted { inner: out, n: 0 };
    let mut rows = Rows::default();
    // Row groups are written as they fill: memory holds one group's payloads, not the file's.
    let mut writer = polars_io::parquet::write::ParquetWriter::new(&mut counted)
        .with_key_value_metadata(Some(meta))
        .batched(Rows::default().frame()?.schema())?;
    let mut written = Written::default();
    // What the walk could not read comes first: `stream` counts skipped entries in their own
    // sequence (0..), so the stream numbers stay those of the streams.
    for (i, sk) in skipped.iter().enumerate() {
        rows.other(
            "skipped",
            i as u32,
            &sk.path,
            serde_json::to_string(&sk.reason)?,
        );
        written.skipped += 1;
    }
    for (i, r) in reports.iter().enumerate() {
        let i = i as u32;
        let sp = StreamPayload {
            format: r.format.to_owned(),
            skipped: r.skipped.clone(),
            error: r.error.clone(),
            counts: r.counts.clone(),
            warnings: r
                .warnings
                .iter()
                .map(|w| WarningRow {
                    file: w.file.to_string(),
                    line: w.line,
                    kind: w.kind.clone(),
                })
                .collect(),
            warning_count: r.warning_count,
            nuls: r.nuls,
            facts: r.facts.clone(),
        };
        rows.other("stream", i, &r.display, serde_json::to_string(&sp)?);
        written.streams += 1;
        for e in &r.events {
            rows.event(i, &r.display, e)?;
            written.events += 1;
            if rows.record.len() >= ROW_GROUP {
                writer.write_batch(&rows.frame()?)?;
            }
        }
    }
    if !rows.record.is_empty() {
        writer.write_batch(&rows.frame()?)?;
    }
    writer.finish()?;
    drop(writer);
    written.bytes = counted.n;
    Ok(written)
}

/// Rows per row group (and held in memory at once while writing).
const ROW_GROUP: usize = 65_536;

/// The rows of one row group, column by column.
#[derive(Default)]
struct Rows<'a> {
    record: Vec<&'static str>,
    stream: Vec<u32>,
    file: Vec<&'a str>,
    line: Vec<Option<u32>>,
    component: Vec<Option<&'static str>>,
    host: Vec<Option<&'a str>>,
    kind: Vec<Option<String>>,
    time_ns: Vec<Option<i64>>,
    local_time: Vec<Option<String>>,
    precision: Vec<Option<&'static str>>,
    namespace: Vec<Option<&'a str>>,
    pod: Vec<Option<&'a str>>,
    uid: Vec<Option<&'a str>>,
    route: Vec<String>,
    links: Vec<Option<String>>,
    payload: Vec<String>,
}

impl<'a> Rows<'a> {
    /// A `skipped` or `stream` row: no event columns.
    fn other(&mut self, record: &'static str, stream: u32, file: &'a str, payload: String) {
        self.record.push(record);
        self.stream.push(stream);
        self.file.push(file);
        self.line.push(None);
        self.component.push(None);
        self.host.push(None);
        self.kind.push(None);
        self.time_ns.push(None);
        self.local_time.push(None);
        self.precision.push(None);
        self.namespace.push(None);
        self.pod.push(None);
        self.uid.push(None);
        // Every partition of a split build reads every stream's facts.
        self.route.push(crate::timeline::partition::ALL.to_owned());
        self.links.push(None);
        self.payload.push(payload);
    }

    fn event(&mut self, stream: u32, file: &'a str, e: &'a Event) -> anyhow::Result<()> {
        self.record.push("event");
        self.stream.push(stream);
        self.file.push(file);
        self.line.push(Some(e.evidence.line));
        self.component.push(Some(e.component.as_str()));
        self.host.push(e.host.as_deref());

        match &e.raw_time {
            RawTime::Abs(t) => {
                self.time_ns.push(Some(t.unix_nanos));
                self.local_time.push(None);
            }
            RawTime::Local { civil, .. } => {
                self.time_ns.push(None);
                // Zoneless and perhaps yearless, as written: `--11-29T10:15:00.912376`.
                let s = civil.sod;
                self.local_time.push(Some(format!(
                    "{}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}",
                    civil
                        .year
                        .map_or_else(|| "-".to_owned(), |y| format!("{y:04}")),
                    civil.month,
                    civil.day,
                    s / 3600,
                    s / 60 % 60,
                    s % 60,
                    civil.nanos
                )));
            }
        }
        self.precision.push(Some(e.raw_time.precision().as_str()));
        let p = pod_of(&e.kind);
        self.namespace.push(p.map(|p| p.namespace.as_str()));
        self.pod.push(p.map(|p| p.name.as_str()));
        self.uid.push(p.and_then(|p| p.uid.as_deref()));
        let route = crate::timeline::partition::route(e);
        self.links.push(if route.links.is_empty() {
            None
        } else {
            Some(serde_json::to_string(&route.links)?)
        });
        self.route.push(route.key);
        // Numbered within this file: a build renumbers streams across files.
        let mut e2 = e.clone();
        e2.evidence.file = stream;
        let payload = serde_json::to_string(&e2)?;
        self.kind.push(kind_name(&payload));
        self.payload.push(payload);
        Ok(())
    }

    /// The rows so far as a frame, and this builder emptied for the next group.
    fn frame(&mut self) -> anyhow::Result<DataFrame> {
        let n = self.record.len();
        let r = std::mem::take(self);
        let cols = vec![
            Column::new("version".into(), vec![VERSION; n]),
            Column::new("record".into(), r.record),
            Column::new("stream".into(), r.stream),
            Column::new("file".into(), r.file),
            Column::new("line".into(), r.line),
            Column::new("component".into(), r.component),
            Column::new("host".into(), r.host),
            Column::new("kind".into(), r.kind),
            Column::new("time_ns".into(), r.time_ns),
            Column::new("local_time".into(), r.local_time),
            Column::new("precision".into(), r.precision),
            Column::new("namespace".into(), r.namespace),
            Column::new("pod".into(), r.pod),
            Column::new("uid".into(), r.uid),
            Column::new("route".into(), r.route),
            Column::new("links".into(), r.links),
            Column::new("payload".into(), r.payload),
        ];
        Ok(DataFrame::new(n, cols)?)
    }
}

/// Counts the bytes written through it.
struct Counted<W> {
    inner: W,
    n: u64,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let k = self.inner.write(buf)?;
        self.n += k as u64;
        Ok(k)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Whether a file looks like a Parquet file (its first and last four bytes), so that the input
/// layer hands it to [`read`] instead of reading it as a log.
pub fn is_parquet(path: &Path) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = std::fs::File::open(path) else {
        return false;
    };
    let mut head = [0u8; 4];
    let mut tail = [0u8; 4];
    f.read_exact(&mut head).is_ok()
        && f.seek(SeekFrom::End(-4)).is_ok()
        && f.read_exact(&mut tail).is_ok()
        && &head == b"PAR1"
        && &tail == b"PAR1"
}

/// What an events file holds: its streams (numbered from 0, as one input's are before
/// [`crate::input::read_inputs`] places them) and the paths its walk could not read.
pub struct Events {
    pub reports: Vec<FileReport>,
    pub skipped: Vec<Skipped>,
}

/// Reads an events file back into the streams it was written from. A file that is damaged
/// (cut, bytes changed) is an error, never a panic: the Parquet decoder is a third party's, so a
/// panic inside it is caught and said as an error too.
pub fn read(path: &Path) -> anyhow::Result<Events> {
    guarded(|| read_unguarded(path))
}

fn read_unguarded(path: &Path) -> anyhow::Result<Events> {
    let df = checked_frame(
        path,
        Some(vec![
            "version".into(),
            "record".into(),
            "stream".into(),
            "file".into(),
            "payload".into(),
        ]),
    )?;
    // Spark and most SQL engines have no unsigned integers: a file they wrote back holds
    // `version` and `stream` as signed integers; one that does not fit is an error.
    let version = df.column("version")?.strict_cast(&DataType::UInt32)?;
    let version = version.u32()?;
    let record = df.column("record")?.str()?;
    let stream = df.column("stream")?.strict_cast(&DataType::UInt32)?;
    let stream = stream.u32()?;
    let file = df.column("file")?.str()?;
    let payload = df.column("payload")?.str()?;
    // Event payloads are parsed and checked on every core (they are nearly all the work);
    // rows are then placed in order.
    let parsed: Vec<Option<anyhow::Result<Event>>> = {
        use rayon::prelude::*;
        (0..df.height())
            .into_par_iter()
            .map(|i| {
                (record.get(i) == Some("event")).then(|| {
                    let row = i + 1;
                    let p = payload.get(i).unwrap_or("");
                    let v: serde_json::Value = serde_json::from_str(p)
                        .map_err(|e| anyhow::anyhow!("row {row}: event payload: {e}"))?;
                    plausible(&v).map_err(|e| anyhow::anyhow!("row {row}: event payload: {e}"))?;
                    let e: Event = serde_json::from_value(v)
                        .map_err(|e| anyhow::anyhow!("row {row}: event payload: {e}"))?;
                    well_formed(&e)
                        .map_err(|e| anyhow::anyhow!("row {row}: event payload: {e}"))?;
                    Ok(e)
                })
            })
            .collect()
    };
    let mut parsed = parsed.into_iter();
    let mut out: Vec<FileReport> = Vec::new();
    let mut skipped = Vec::new();
    for i in 0..df.height() {
        let event = parsed.next().flatten();
        let row = i + 1;
        let v = version.get(i).unwrap_or(0);
        if v != VERSION {
            anyhow::bail!("events file version {v}; this podtrace reads version {VERSION}");
        }
        let Some(s) = stream.get(i) else {
            anyhow::bail!("row {row}: no stream number");
        };
        let p = payload.get(i).unwrap_or("");
        match record.get(i).unwrap_or("") {
            "skipped" => {
                let reason: SkipReason = serde_json::from_str(p)
                    .map_err(|e| anyhow::anyhow!("row {row}: skipped payload: {e}"))?;
                skipped.push(Skipped {
                    path: file.get(i).unwrap_or("").to_owned(),
                    reason,
                });
            }
            "stream" => {
                if s as usize != out.len() {
                    anyhow::bail!("row {row}: stream {s} out of order");
                }
                let v: serde_json::Value = serde_json::from_str(p)
                    .map_err(|e| anyhow::anyhow!("row {row}: stream payload: {e}"))?;
                plausible(&v).map_err(|e| anyhow::anyhow!("row {row}: stream payload: {e}"))?;
                let sp: StreamPayload = serde_json::from_value(v)
                    .map_err(|e| anyhow::anyhow!("row {row}: stream payload: {e}"))?;
                out.push(FileReport {
                    id: s,
                    format: crate::intern::intern(&sp.format),
                    skipped: sp.skipped,
                    error: sp.error,
                    counts: sp.counts,
                    warnings: sp
                        .warnings
                        .into_iter()
                        .map(|w| Warning {
                            file: Arc::from(w.file),
                            line: w.line,
                            kind: w.kind,
                        })
                        .collect(),
                    warning_count: sp.warning_count,
                    nuls: sp.nuls,
                    events: Vec::new(),
                    facts: {
                        // The facts' evidence points at this stream's number, whatever the
                        // writer's was.
                        let mut facts = sp.facts;
                        facts.map_evidence_files(|_| s);
                        facts
                    },
                    display: file.get(i).unwrap_or("").to_owned(),
                });
            }
            "event" => {
                let Some(r) = out.get_mut(s as usize) else {
                    anyhow::bail!("row {row}: an event of stream {s} before its stream");
                };
                let Some(e) = event else {
                    anyhow::bail!("row {row}: an event row without its payload");
                };
                let mut e = e?;
                e.evidence.file = s;
                r.events.push(e);
            }
            other => anyhow::bail!("row {row}: unknown record {other:?}"),
        }
    }
    Ok(Events {
        reports: out,
        skipped,
    })
}

/// An events file's columns (`None`: all of them), decoded within the decompression budget of
/// every input: a footer or page header that says more is an error before anything is
/// decompressed.
fn checked_frame(path: &Path, columns: Option<Vec<String>>) -> anyhow::Result<DataFrame> {
    let f = std::fs::File::open(path)?;
    let size = f.metadata().map_or(0, |m| m.len());
    let mut reader = polars_io::prelude::ParquetReader::new(f);
    // The decompression budget of every input (`ReadOptions::max_decompressed`'s default):
    // what the row groups say they hold decompressed, before any is decompressed.
    let budget = (4u64 << 30).max(size.saturating_mul(200));
    let groups = &reader
        .get_metadata()
        .map_err(|e| anyhow::anyhow!("no Parquet footer ({e})"))?
        .row_groups;
    let holds: u64 = groups.iter().map(|g| g.total_byte_size() as u64).sum();
    if holds > budget {
        anyhow::bail!("would decompress to {holds} bytes, over the budget of {budget} bytes");
    }
    // The decoder sizes each page from its own header, which need not agree with the footer.
    let chunks: Vec<std::ops::Range<u64>> =
        groups.iter().flat_map(|g| g.byte_ranges_iter()).collect();
    check_pages(path, &chunks, size, budget)?;
    reader
        .with_columns(columns)
        .finish()
        .map_err(|e| anyhow::anyhow!("no podtrace events columns ({e})"))
}

/// What [`split`] wrote.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Split {
    /// Event rows per partition.
    pub events: Vec<u64>,
    /// Rows every partition got (stream and skipped rows, endpoint writes, proxy syncs).
    pub shared: u64,
    /// Linked route keys and their components' count.
    pub keys: usize,
    pub components: usize,
}

/// The route rows of events files (`route` and `links` columns), one per route key, for
/// [`crate::timeline::partition::plan`].
pub fn route_rows(paths: &[std::path::PathBuf]) -> anyhow::Result<Vec<RouteRow>> {
    let mut agg: BTreeMap<String, (u64, std::collections::BTreeSet<String>)> = BTreeMap::new();
    for path in paths {
        same_routes(path, true)?;
        let df = guarded(|| checked_frame(path, Some(vec!["route".into(), "links".into()])))
            .map_err(|e| {
                anyhow::anyhow!(
                    "{}: {e} (files extracted before routes were written have none: extract them again)",
                    path.display()
                )
            })?;
        let route = df.column("route")?.str()?;
        let links = df.column("links")?.str()?;
        for i in 0..df.height() {
            let Some(r) = route.get(i) else {
                anyhow::bail!("{}: row {}: no route", path.display(), i + 1);
            };
            let e = agg.entry(r.to_owned()).or_default();
            e.0 += 1;
            if let Some(l) = links.get(i) {
                let l: Vec<String> = serde_json::from_str(l).map_err(|e| {
                    anyhow::anyhow!("{}: row {}: links: {e}", path.display(), i + 1)
                })?;
                e.1.extend(l);
            }
        }
    }
    Ok(agg
        .into_iter()
        .map(|(route, (rows, links))| RouteRow {
            route,
            rows,
            links: links.into_iter().collect(),
        })
        .collect())
}

/// Splits events files into `n` partitions by [`crate::timeline::partition::plan`]: partition
/// `k` of input `i` is `dir/k/iiiiii.parquet` (so `podtrace build dir/k` reads a partition's
/// files in the inputs' order), holding every stream and skipped row, the events every
/// partition needs, and the events routed to it.
pub fn split(paths: &[std::path::PathBuf], n: usize, dir: &Path) -> anyhow::Result<Split> {
    use crate::timeline::partition::{ALL, plan};
    let n = n.max(1);
    let rows = route_rows(paths)?;
    // A folder left by an earlier split would mix its files into this one's partitions.
    for k in 0..n {
        let folder = dir.join(k.to_string());
        if std::fs::read_dir(&folder).is_ok_and(|mut d| d.next().is_some()) {
            anyhow::bail!(
                "{} is not empty (an earlier split's files would be read with this one's): give a new or empty folder",
                folder.display()
            );
        }
    }
    let plan = plan(&rows, n);
    let mut out = Split {
        events: vec![0; n],
        keys: plan.parts.len(),
        components: plan.components,
        ..Default::default()
    };
    let parts = plan.parts;
    for (i, path) in paths.iter().enumerate() {
        let df = guarded(|| checked_frame(path, None))
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let route = df.column("route")?.str()?.clone();
        let record = df.column("record")?.str()?.clone();
        let part: Vec<Option<usize>> = (0..df.height())
            .map(|r| match route.get(r) {
                Some(ALL) | None => None,
                Some(k) => parts.get(k).copied(),
            })
            .collect();
        out.shared += part.iter().filter(|p| p.is_none()).count() as u64;
        let roots = serde_json::to_string(&roots(path).unwrap_or_default())?;
        for k in 0..n {
            let meta = polars_io::parquet::write::KeyValueMetadata::from_static(vec![
                ("podtrace.events.version".to_owned(), VERSION.to_string()),
                (ROOTS_KEY.to_owned(), roots.clone()),
                (PARTITION_KEY.to_owned(), format!("{k}/{n}")),
                (
                    ROUTES_KEY.to_owned(),
                    crate::timeline::partition::ROUTES.to_string(),
                ),
            ]);
            let mask: BooleanChunked = part
                .iter()
                .map(|p| Some(p.is_none_or(|p| p == k)))
                .collect();
            let mut sub = df.filter(&mask)?;
            out.events[k] += (0..df.height())
                .filter(|&r| part[r] == Some(k) && record.get(r) == Some("event"))
                .count() as u64;
            let folder = dir.join(k.to_string());
            std::fs::create_dir_all(&folder)?;
            let f = std::fs::File::create(folder.join(format!("{i:06}.parquet")))?;
            polars_io::parquet::write::ParquetWriter::new(f)
                .with_key_value_metadata(Some(meta))
                .finish(&mut sub)?;
        }
    }
    Ok(out)
}

/// Runs `f`, a panic inside the third party's decoder said as an error.
fn guarded<T>(f: impl FnOnce() -> anyhow::Result<T> + std::panic::UnwindSafe) -> anyhow::Result<T> {
    match std::panic::catch_unwind(f) {
        Ok(r) => r,
        Err(p) => {
            let why = p
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| p.downcast_ref::<&str>().copied())
                .unwrap_or("a panic");
            anyhow::bail!("damaged Parquet file (the decoder failed: {why})")
        }
    }
}

/// What the readers guarantee of an event's shape and serde's types do not: CreateContainer's
/// three events share one payload type, whose container id only a completion carries and whose
/// error only a failure carries (as the readers make them).
fn well_formed(e: &Event) -> Result<(), String> {
    match &e.kind {
        EventKind::CreateStart(c) if c.container_id.is_some() || c.error.is_some() => {
            Err("a CreateStart with a container id or an error".into())
        }
        EventKind::CreateDone(c) if c.container_id.is_none() || c.error.is_some() => {
            Err("a CreateDone without its container id, or with an error".into())
        }
        EventKind::CreateFailed(c) if c.error.is_none() || c.container_id.is_some() => {
            Err("a CreateFailed without its error, or with a container id".into())
        }
        _ => Ok(()),
    }
}

/// Every page header of every column chunk (`chunks`: their byte ranges), read before polars
/// decodes any page (it sizes each page's buffer from the header, with no limit of its own):
/// what all pages say they hold decompressed must stay within `budget`, as the footer's totals
/// had to. Counts every page a chunk holds, so never fewer than the decoder would read, and
/// decompresses nothing. Only headers are read (the reader skips from one to the next), and
/// chunks may not overlap (a footer listing the file many times over would otherwise make this
/// walk cost many times the file).
fn check_pages(
    path: &Path,
    chunks: &[std::ops::Range<u64>],
    size: u64,
    budget: u64,
) -> anyhow::Result<u64> {
    use polars_parquet_format::PageHeader;
    use polars_parquet_format::thrift::protocol::TCompactInputProtocol;
    use std::io::{Read, Seek, SeekFrom};

    /// Counts the bytes a header takes.
    struct Counting<R> {
        inner: R,
        n: u64,
    }
    impl<R: Read> Read for Counting<R> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let k = self.inner.read(buf)?;
            self.n += k as u64;
            Ok(k)
        }
    }

    let mut sorted = chunks.to_vec();
    sorted.sort_by_key(|r| (r.start, r.end));
    for w in sorted.windows(2) {
        if w[1].start < w[0].end {
            anyhow::bail!("column chunks overlap ({:?} and {:?})", w[0], w[1]);
        }
    }
    let mut file = std::io::BufReader::new(std::fs::File::open(path)?);
    let mut total: u64 = 0;
    for range in chunks {
        if range.start > range.end || range.end > size {
            anyhow::bail!("a column chunk lies outside the file ({range:?})");
        }
        let mut at = range.start;
        file.seek(SeekFrom::Start(at))?;
        while at < range.end {
            let mut counting = Counting {
                inner: &mut file,
                n: 0,
            };
            let header = {
                // A header's strings and lists (statistics) cannot be longer than the chunk.
                let mut prot = TCompactInputProtocol::new(&mut counting, (range.end - at) as usize);
                PageHeader::read_from_in_protocol(&mut prot)
                    .map_err(|e| anyhow::anyhow!("unreadable page header ({e})"))?
            };
            let header_len = counting.n;
            let (Ok(holds), Ok(stored)) = (
                u64::try_from(header.uncompressed_page_size),
                u64::try_from(header.compressed_page_size),
            ) else {
                anyhow::bail!("a page header gives a negative size");
            };
            total = total.saturating_add(holds);
            if total > budget {
                anyhow::bail!(
                    "its pages would decompress to more than {total} bytes, over the budget of {budget} bytes"
                );
            }
            at = at.saturating_add(header_len).saturating_add(stored);
            if at > range.end {
                anyhow::bail!("a page runs past the end of its column chunk");
            }
            file.seek_relative(stored as i64)?;
        }
    }
    Ok(total)
}

/// UTC ns at 2262-01-01, the end of the years a log stamp may carry (`time::YEARS`).
const END_NS: i64 = 9_183_300_000_000_000_000;

/// What the readers guarantee of every event and clock fact they make, checked again for one
/// read back from a file that anyone could have written: instants within the years a stamp may
/// carry, calendar fields that exist, offsets (also as map keys) under a day, and no other
/// number outside what a log can give (below 2262 in ns, above -2^53 ns: about -104 days), so
/// the timeline's arithmetic cannot overflow on them.
fn plausible(v: &serde_json::Value) -> Result<(), String> {
    use serde_json::Value;
    if let Value::Object(m) = v {
        if let Some(k) = m
            .keys()
            .find(|k| k.parse::<i64>().is_ok_and(|n| n.abs() >= 86_400))
        {
            return Err(format!("offset {k} s cannot come from a log"));
        }
    }
    let int = |x: &Value| {
        x.as_i64()
            .or_else(|| x.as_u64().map(|u| i64::try_from(u).unwrap_or(i64::MAX)))
    };
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if let Some(n) = int(x) {
                    let ok = match k.as_str() {
                        "unix_nanos" => (0..END_NS).contains(&n),
                        "year" => {
                            podtrace_parsers::time::YEARS.contains(&(n as i32))
                                && n == n as i32 as i64
                        }
                        "month" => (1..=12).contains(&n),
                        "day" => (1..=31).contains(&n),
                        "sod" => (0..86_400).contains(&n),
                        "nanos" => (0..1_000_000_000).contains(&n),
                        "offset_secs" => n.abs() < 86_400,
                        "year_rel" => n.abs() <= 300,
                        // base + relative year = calendar year (year.rs).
                        "base" => (1670..=2561).contains(&n),
                        _ => n > -(1 << 53) && n < END_NS,
                    };
                    if !ok {
                        return Err(format!("{k} = {n} cannot come from a log"));
                    }
                } else if let (Some(a), true) =
                    (x.as_array(), matches!(k.as_str(), "first_local" | "last"))
                {
                    // The year chain's (stamp, relative year) and (relative year, position).
                    let rel = if k == "first_local" {
                        a.get(1)
                    } else {
                        a.first()
                    };
                    if rel.and_then(int).is_some_and(|r| r.abs() > 300) {
                        return Err(format!("{k}: a relative year no log can give"));
                    }
                    plausible(x)?;
                } else {
                    plausible(x)?;
                }
            }
            Ok(())
        }
        Value::Array(a) => a.iter().try_for_each(|x| match int(x) {
            // Relative years and positions in a year (year.rs), line counts.
            Some(n) if !(n > -(1 << 53) && n < END_NS) => {
                Err(format!("{n} cannot come from a log"))
            }
            Some(_) => Ok(()),
            None => plausible(x),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The demo's events written to `dir/demo.parquet`.
    fn demo_events(dir: &Path) -> std::path::PathBuf {
        let (reports, _) = crate::input::read_inputs(
            &crate::input::demo::files(),
            &crate::input::ReadOptions::default(),
        );
        let path = dir.join("demo.parquet");
        write(&reports, &[], &[], std::fs::File::create(&path).unwrap()).unwrap();
        path
    }

    /// From the footer, as `read` takes them: the column chunks' byte ranges, and what the row
    /// groups say they hold decompressed.
    fn footer(path: &Path) -> (Vec<std::ops::Range<u64>>, u64) {
        let f = std::fs::File::open(path).unwrap();
        let mut reader = polars_io::prelude::ParquetReader::new(f);
        let groups = &reader.get_metadata().unwrap().row_groups;
        let chunks = groups.iter().flat_map(|g| g.byte_ranges_iter()).collect();
        let holds = groups.iter().map(|g| g.total_byte_size() as u64).sum();
        (chunks, holds)
    }

    /// The page headers of a real events file are read one after another to the end of every
    /// chunk; their total is what the budget is held against, and a page past the budget, a
    /// chunk outside the file or a range that does not start at a header are refused.
    #[test]
    fn page_headers_are_read_and_held_to_the_budget() {
        let dir = tempfile::tempdir().unwrap();
        let path = demo_events(dir.path());
        let size = std::fs::metadata(&path).unwrap().len();
        let (ranges, footer) = footer(&path);
        assert!(ranges.len() >= 5, "{ranges:?}");
        let total = check_pages(&path, &ranges, size, u64::MAX).unwrap();
        // The pages hold what the footer says the row group holds decompressed, less the page
        // headers themselves (a few dozen bytes each).
        assert!(
            total <= footer && total + 100 * ranges.len() as u64 >= footer,
            "{total} {footer}"
        );
        assert!(check_pages(&path, &ranges, size, total).is_ok());
        let over = check_pages(&path, &ranges, size, total - 1).unwrap_err();
        assert!(over.to_string().contains("over the budget"), "{over}");
        let outside = vec![std::ops::Range {
            start: 0,
            end: size + 1,
        }];
        let e = check_pages(&path, &outside, size, u64::MAX).unwrap_err();
        assert!(e.to_string().contains("outside the file"), "{e}");
        // One byte into a chunk is not a page header.
        let shifted: Vec<_> = ranges.iter().map(|r| r.start + 1..r.end).collect();
        assert!(check_pages(&path, &shifted, size, u64::MAX).is_err());
        // A footer listing one chunk twice (each walk would read the file again) is refused.
        let twice: Vec<_> = ranges.iter().chain(&ranges[..1]).cloned().collect();
        let e = check_pages(&path, &twice, size, u64::MAX).unwrap_err();
        assert!(e.to_string().contains("overlap"), "{e}");
        // And the whole file reads back.
        assert!(read(&path).is_ok());
    }

    /// Every byte of every chunk's first page header changed to values that make sizes huge,
    /// negative or zero, fields unknown, or structs cut: reading the file is an error or a whole
    /// read, never a panic, an abort or a page decoded past the budget.
    #[test]
    fn damaged_page_headers_are_errors_or_whole_reads() {
        let dir = tempfile::tempdir().unwrap();
        let path = demo_events(dir.path());
        let good = std::fs::read(&path).unwrap();
        let events = |e: &Events| e.reports.iter().map(|r| r.events.len()).sum::<usize>();
        let whole = events(&read(&path).unwrap());
        let (mut refused, mut read_whole) = (0, 0);
        for range in footer(&path).0 {
            for k in 0..16u64 {
                for v in [0x00, 0xff, 0x7f, 0x15, 0x19] {
                    let at = (range.start + k) as usize;
                    if at >= good.len() || good[at] == v {
                        continue;
                    }
                    let mut bad = good.clone();
                    bad[at] = v;
                    let p = dir.path().join("bad.parquet");
                    std::fs::write(&p, &bad).unwrap();
                    match read(&p) {
                        Err(_) => refused += 1,
                        Ok(e) => {
                            // A change the decoder does not see (a statistic, a CRC) reads
                            // whole; a half-read file is never returned.
                            assert_eq!(events(&e), whole, "byte {at} set to {v:#x}");
                            read_whole += 1;
                        }
                    }
                }
            }
        }
        assert!(refused > 500, "{refused} refused, {read_whole} read whole");
    }

    /// CreateContainer's events share a payload type: a completion without its container id, a
    /// failure without its error or a start with either cannot come from a reader.
    #[test]
    fn create_events_are_refused_unless_shaped_as_read() {
        let event = |kind| Event {
            raw_time: RawTime::Abs(podtrace_parsers::time::Instant {
                unix_nanos: 1,
                precision: podtrace_parsers::time::Precision::Ns,
                offset_secs: 0,
            }),
            t: 1,
            evidence: crate::event::Evidence { file: 0, line: 1 },
            host: None,
            component: Component::Containerd,
            kind,
        };
        let data = |id: Option<&str>, error: Option<&str>| {
            Box::new(crate::event::CreateData {
                pod: None,
                sandbox_id: "s".into(),
                container: "c".into(),
                attempt: 0,
                container_id: id.map(Into::into),
                error: error.map(Into::into),
            })
        };
        let ok = |k| well_formed(&event(k)).is_ok();
        assert!(ok(EventKind::CreateStart(data(None, None))));
        assert!(!ok(EventKind::CreateStart(data(Some("x"), None))));
        assert!(ok(EventKind::CreateDone(data(Some("x"), None))));
        assert!(!ok(EventKind::CreateDone(data(None, None))));
        assert!(ok(EventKind::CreateFailed(data(None, Some("e")))));
        assert!(!ok(EventKind::CreateFailed(data(None, None))));
    }
}
