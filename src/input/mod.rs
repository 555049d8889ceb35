//! Files in, events out: walking inputs, opening (plain or gzip), recognising each file's
//! format from its first lines, and reading every line exactly once, in parallel across files.

pub mod archive;
pub mod demo;
pub mod lines;
pub mod live;
pub mod prefilter;
pub mod read;
pub mod split;
pub mod warning;

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

/// The year chain moved to the crate root (`crate::year`): the timeline reads it too.
pub use crate::year;
pub use read::{Counts, FileReport, ReadOptions};
pub use warning::{SkipReason, Warning, WarningKind};

use crate::event::FileId;

/// One input file as found on disk.
#[derive(Debug, Clone)]
pub struct InputFile {
    pub id: FileId,
    pub path: PathBuf,
    /// How it is named in evidence and messages (as given on the command line, joined).
    pub display: String,
    /// The file's bytes when they are compiled in (the bundled demo), not read from `path`.
    pub embedded: Option<&'static [u8]>,
}

/// Something on the command line that could not be read at all.
#[derive(Debug, Clone)]
pub struct Skipped {
    pub path: String,
    pub reason: SkipReason,
}

/// Walks files and directories (recursively, in name order, each directory once even through
/// symlink loops).
pub fn discover(paths: &[PathBuf]) -> (Vec<InputFile>, Vec<Skipped>) {
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    let mut seen_dirs = HashSet::new();
    for p in paths {
        walk(p, &mut files, &mut skipped, &mut seen_dirs);
    }
    let files = files
        .into_iter()
        .enumerate()
        .map(|(i, path): (usize, PathBuf)| InputFile {
            id: i as FileId,
            display: path.display().to_string(),
            path,
            embedded: None,
        })
        .collect();
    (files, skipped)
}

fn walk(
    p: &Path,
    files: &mut Vec<PathBuf>,
    skipped: &mut Vec<Skipped>,
    seen: &mut HashSet<PathBuf>,
) {
    let meta = match fs::metadata(p) {
        Ok(m) => m,
        Err(e) => {
            skipped.push(Skipped {
                path: p.display().to_string(),
                reason: SkipReason::Unreachable(e.to_string()),
            });
            return;
        }
    };
    if meta.is_file() {
        files.push(p.to_path_buf());
        return;
    }
    if !meta.is_dir() {
        skipped.push(Skipped {
            path: p.display().to_string(),
            reason: SkipReason::NotAFile,
        });
        return;
    }
    let canon = fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    if !seen.insert(canon) {
        return; // symlink loop or the same directory given twice
    }
    let mut entries: Vec<PathBuf> = match fs::read_dir(p) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(e) => {
            skipped.push(Skipped {
                path: p.display().to_string(),
                reason: SkipReason::Unreachable(e.to_string()),
            });
            return;
        }
    };
    entries.sort();
    for e in entries {
        // Like ripgrep, directory symlinks met while walking are not followed (loops, and a
        // second name for a node's folder); symlinked files are read, and what they repeat is
        // de-duplicated later. A symlink given on the command line is followed.
        let is_dir_link = fs::symlink_metadata(&e).is_ok_and(|m| m.file_type().is_symlink())
            && fs::metadata(&e).is_ok_and(|m| m.is_dir());
        if is_dir_link {
            skipped.push(Skipped {
                path: e.display().to_string(),
                reason: SkipReason::DirectorySymlink,
            });
            continue;
        }
        walk(&e, files, skipped, seen);
    }
}

/// Reads every file (in parallel; archives are walked member by member inside their task). The
/// result keeps the input order, so output is deterministic; report ids and evidence are
/// renumbered to count the streams of all inputs in order.
pub fn read_all(files: &[InputFile], opts: &ReadOptions) -> Vec<FileReport> {
    read_inputs(files, opts).0
}

/// [`read_all`], and what the events files among the inputs (`podtrace extract`'s output) say
/// could not be walked when they were written: a build from events reports what `analyze` on
/// the logs would have.
pub fn read_inputs(files: &[InputFile], opts: &ReadOptions) -> (Vec<FileReport>, Vec<Skipped>) {
    // Progress goes to stderr only, and only for people (never into stdout or a pipe).
    let bar = if opts.progress {
        let total: u64 = files.iter().map(unit_len).sum();
        let pb = indicatif::ProgressBar::with_draw_target(
            Some(total),
            indicatif::ProgressDrawTarget::stderr(),
        );
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} reading {bytes}/{total_bytes} ({bytes_per_sec}, {eta}) {wide_msg}",
        ) {
            pb.set_style(style);
        }
        pb
    } else {
        indicatif::ProgressBar::hidden()
    };
    let per_unit: Vec<(Vec<FileReport>, Vec<Skipped>)> = files
        .par_iter()
        .map(|f| {
            let mut r = match f.embedded {
                Some(bytes) => (archive::read_embedded(bytes, &f.display, opts), Vec::new()),
                None => read_unit(f, opts),
            };
            // The events grew by doubling while read: up to half of each vector is slack, and
            // every file's are held until all are read (most of the run's peak memory).
            for report in &mut r.0 {
                report.events.shrink_to_fit();
            }
            bar.inc(unit_len(f));
            r
        })
        .collect();
    bar.finish_and_clear();
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for (mut unit, mut s) in per_unit {
        let base = out.len() as u32;
        for r in &mut unit {
            renumber(r, base);
        }
        out.append(&mut unit);
        skipped.append(&mut s);
    }
    (out, skipped)
}

/// One file on disk: an events file read back, or logs (plain, compressed or an archive).
fn read_unit(f: &InputFile, opts: &ReadOptions) -> (Vec<FileReport>, Vec<Skipped>) {
    #[cfg(feature = "report")]
    if crate::interchange::is_parquet(&f.path) {
        return match crate::interchange::read(&f.path) {
            Ok(e) => (e.reports, e.skipped),
            Err(e) => {
                let r = FileReport {
                    display: f.display.clone(),
                    skipped: Some(SkipReason::NotEvents(format!("{e:#}"))),
                    ..Default::default()
                };
                (vec![r], Vec::new())
            }
        };
    }
    (archive::read_unit(&f.path, &f.display, opts), Vec::new())
}

/// A unit's size in bytes, for the progress bar.
fn unit_len(f: &InputFile) -> u64 {
    match f.embedded {
        Some(bytes) => bytes.len() as u64,
        None => fs::metadata(&f.path).map_or(0, |m| m.len()),
    }
}

/// Moves a unit's streams (numbered from 0) to start at `base` in the run's file table.
pub(crate) fn renumber(r: &mut FileReport, base: u32) {
    r.id += base;
    for e in &mut r.events {
        e.evidence.file += base;
    }
    r.facts.map_evidence_files(|f| f + base);
}
