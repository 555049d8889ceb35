//! `podtrace extract` (the map: logs in, events file out) and `podtrace build` (the reduce:
//! events files in, what `analyze` gives out). `analyze`, `report` and `trace` read events files
//! among their inputs too; `build` is `analyze` that insists on them. Schema: docs/events.md.

use std::io::Write;
use std::path::PathBuf;

use crate::cli::{AnalyzeArgs, Status};

#[derive(Debug, clap::Args)]
#[command(after_help = crate::help::EXTRACT)]
pub struct ExtractArgs {
    /// Files, directories or archives (logs, or events files to merge into one). Without any,
    /// the bundled demo.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// The events file to write (Parquet), or `-` for stdout.
    #[arg(short = 'o', long = "output", value_name = "EVENTS")]
    pub output: PathBuf,
    /// Read every file as a stream: no memory map, no split of a large audit log.
    #[arg(long)]
    pub no_mmap: bool,
    /// Say nothing on stderr unless something fails.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Runs `extract`: 0 when some log was read, 2 when none was (the file is written either way,
/// so that a shard without logs still hands its walk's findings to the build).
pub fn extract(
    args: &ExtractArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Status> {
    if let Some(status) = crate::cli::missing_inputs(&args.paths, err)? {
        return Ok(status);
    }
    let mut opts = podtrace::input::ReadOptions {
        progress: !args.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr()),
        ..Default::default()
    };
    opts.split_large = !args.no_mmap;
    let (mut files, mut skipped) = if args.paths.is_empty() {
        (podtrace::input::demo::files(), Vec::new())
    } else {
        podtrace::input::discover(&args.paths)
    };
    // The file being written is not an input: an earlier run's output inside a folder given
    // again would otherwise be read back, every stream twice.
    if let Ok(out) = std::fs::canonicalize(&args.output) {
        files.retain(|f| std::fs::canonicalize(&f.path).map_or(true, |p| p != out));
    }
    let roots = crate::cli::roots_of(&args.paths);
    let (reports, walked) = podtrace::input::read_inputs(&files, &opts);
    skipped.extend(walked);
    let written = if args.output.as_os_str() == "-" {
        // Parquet's footer is written last: the whole file is built, then handed on.
        let mut buf = Vec::new();
        let w = podtrace::interchange::write(&reports, &skipped, &roots, &mut buf)?;
        out.write_all(&buf)?;
        w
    } else {
        let mut w = None;
        crate::cli::write_file(&args.output, |f| {
            w = Some(podtrace::interchange::write(&reports, &skipped, &roots, f)?);
            Ok(())
        })?;
        w.unwrap_or_default()
    };
    let read = reports.iter().filter(|r| r.skipped.is_none()).count();
    if !args.quiet {
        let unparsed: u64 = reports
            .iter()
            .flat_map(|r| r.counts.values())
            .map(|c| c.unparsed)
            .sum();
        writeln!(
            err,
            "podtrace: {} events from {read} streams ({} skipped, {unparsed} lines unparsed: `podtrace build` shows them) into {} ({} bytes)",
            written.events,
            reports.len() - read + skipped.len(),
            crate::cli::shown_path(&args.output),
            written.bytes
        )?;
    }
    if read == 0 {
        writeln!(err, "podtrace: no log read in the given paths")?;
        return Ok(Status::Unusable);
    }
    Ok(Status::Ok)
}

/// Runs `build`: `analyze` over events files only (a log given by mistake is named, exit 2).
pub fn build(
    args: &AnalyzeArgs,
    style: podtrace::export::style::Style,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Status> {
    if args.input.paths.is_empty() {
        writeln!(
            err,
            "podtrace: build reads events files: give them (podtrace extract writes them)"
        )?;
        return Ok(Status::Unusable);
    }
    let existing: Vec<PathBuf> = args
        .input
        .paths
        .iter()
        .filter(|p| p.exists())
        .cloned()
        .collect();
    let (files, _) = podtrace::input::discover(&existing);
    let logs: Vec<_> = files
        .iter()
        .filter(|f| !podtrace::interchange::is_parquet(&f.path))
        .collect();
    if !logs.is_empty() {
        for f in logs.iter().take(5) {
            writeln!(
                err,
                "podtrace: {}: not an events file (read logs with `podtrace analyze`, or `podtrace extract` them first)",
                crate::cli::printable(&f.display)
            )?;
        }
        if logs.len() > 5 {
            writeln!(err, "podtrace: … and {} more", logs.len() - 5)?;
        }
        return Ok(Status::Unusable);
    }
    crate::cli::analyze(args, style, out, err)
}
