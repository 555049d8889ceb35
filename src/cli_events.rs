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

#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    #[command(flatten)]
    pub analyze: AnalyzeArgs,
    /// One partition of a split build (docs/scale.md): print what this partition knows of the
    /// run's global values (the skew of the nodes whose pods it holds, its events' time range
    /// per host) as one JSON line, for every partition's `--facts`.
    #[arg(long, conflicts_with = "facts")]
    pub partition_facts: bool,
    /// One partition of a split build: the lines every partition's `--partition-facts` printed
    /// (a file, or `-` for stdin). Writes this partition's result (JSON): its pods, built with
    /// the whole run's skew and time range, and what its events add to the summary. `analyze`,
    /// `build`, `report` and `trace` given every partition's result merge them into what one
    /// build of all the events gives.
    #[arg(long, value_name = "FILE")]
    pub facts: Option<PathBuf>,
    /// Which partition these events are, `K/N` (K from 0), for events an engine split itself;
    /// `podtrace partition` writes it into its files.
    #[arg(long, value_name = "K/N")]
    pub partition: Option<podtrace::timeline::partition::PartOf>,
}

/// Runs `build`: `analyze` over events files only (a log given by mistake is named, exit 2).
pub fn build(
    args: &BuildArgs,
    style: podtrace::export::style::Style,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Status> {
    let (partition, args) = (args, &args.analyze);
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
        .filter(|f| {
            !podtrace::interchange::is_parquet(&f.path) && !podtrace::partial::is_partial(&f.path)
        })
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
    if partition.partition_facts || partition.facts.is_some() {
        return build_partition(partition, &existing, out, err);
    }
    crate::cli::analyze(args, style, out, err)
}

/// `build --partition-facts` and `build --facts`: one partition of a split build.
fn build_partition(
    args: &BuildArgs,
    paths: &[PathBuf],
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Status> {
    let mut opts = crate::cli::options(&args.analyze.input);
    let (files, _) = podtrace::input::discover(paths);
    // Files an engine split itself record no rules; `podtrace partition`'s say which rules, and
    // which partition they are.
    for f in &files {
        podtrace::interchange::same_routes(&f.path, false)?;
    }
    let said: std::collections::BTreeSet<_> = files
        .iter()
        .map(|f| podtrace::interchange::partition_of(&f.path))
        .collect();
    let part = match (args.partition, said.len(), said.first()) {
        (Some(p), 1, Some(None)) => p,
        (Some(p), 1, Some(Some(q))) if p == *q => p,
        (None, 1, Some(Some(q))) => *q,
        _ => {
            let says: Vec<String> = said
                .iter()
                .map(|p| p.map_or("none".to_owned(), |p| p.to_string()))
                .collect();
            writeln!(
                err,
                "podtrace: which partition are these events? The files say {}{}: give one partition's files, and --partition K/N where they say none",
                says.join(", "),
                args.partition
                    .map_or(String::new(), |p| format!(", --partition says {p}"))
            )?;
            return Ok(Status::Unusable);
        }
    };
    if args.partition_facts {
        let mut facts = podtrace::partition_facts_of(paths, &opts);
        facts.part = part;
        serde_json::to_writer(&mut *out, &facts)?;
        writeln!(out)?;
        return Ok(Status::Ok);
    }
    let file = args.facts.as_deref().unwrap_or(std::path::Path::new("-"));
    let parts: Vec<podtrace::timeline::partition::Facts> =
        json_lines(file, "a line of `build --partition-facts`")?;
    if parts.iter().any(|f| f.part.of != part.of) {
        anyhow::bail!(
            "partition {part}: the facts given are of a split in another number of partitions"
        );
    }
    let mut fixed = podtrace::timeline::partition::merge(&parts)?;
    fixed.own = part.index;
    opts.fixed = Some(fixed);
    let mut partial = podtrace::partition_partial_of(paths, &opts);
    partial.part = part;
    serde_json::to_writer(&mut *out, &partial)?;
    writeln!(out)?;
    if !args.analyze.input.quiet {
        writeln!(
            err,
            "podtrace: {} pods of this partition, built with {} partitions' facts",
            partial.pods.len(),
            parts.len()
        )?;
    }
    Ok(Status::Ok)
}

#[derive(Debug, clap::Args)]
pub struct PartitionArgs {
    /// Events files (`podtrace extract` writes them), or folders of them.
    #[arg(value_name = "EVENTS", required_unless_present = "plan")]
    pub paths: Vec<PathBuf>,
    /// How many partitions, at least 1.
    #[arg(short = 'n', long = "partitions", value_name = "N",
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub partitions: usize,
    /// The folder to write partition K's events files into, as `DIR/K/`.
    #[arg(
        short = 'o',
        long = "output",
        value_name = "DIR",
        required_unless_present = "plan",
        conflicts_with = "plan"
    )]
    pub output: Option<PathBuf>,
    /// Print only the plan (JSON Lines `{"route","part"}`), from route rows an engine grouped
    /// itself (JSON Lines `{"route","rows","links"}`: each route key, its rows, the keys its
    /// rows link), a file or `-` for stdin.
    #[arg(long, value_name = "ROUTES", conflicts_with = "paths")]
    pub plan: Option<PathBuf>,
    /// Say nothing on stderr unless something fails.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Runs `partition`.
pub fn partition(
    args: &PartitionArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Status> {
    use podtrace::timeline::partition::{RouteRow, plan};
    if let Some(file) = &args.plan {
        let rows: Vec<RouteRow> = json_lines(file, "a route row")?;
        let p = plan(&rows, args.partitions);
        for (route, part) in &p.parts {
            serde_json::to_writer(
                &mut *out,
                &serde_json::json!({"route": route, "part": part}),
            )?;
            writeln!(out)?;
        }
        if !args.quiet {
            writeln!(
                err,
                "podtrace: {} route keys in {} linked components, rows per partition {:?}",
                p.parts.len(),
                p.components,
                p.rows
            )?;
        }
        return Ok(Status::Ok);
    }
    if let Some(status) = crate::cli::missing_inputs(&args.paths, err)? {
        return Ok(status);
    }
    let (files, _) = podtrace::input::discover(&args.paths);
    let (events, logs): (Vec<_>, Vec<_>) = files
        .into_iter()
        .partition(|f| podtrace::interchange::is_parquet(&f.path));
    if let Some(f) = logs.first() {
        writeln!(
            err,
            "podtrace: {}: not an events file (`podtrace extract` writes them)",
            crate::cli::printable(&f.display)
        )?;
        return Ok(Status::Unusable);
    }
    let paths: Vec<PathBuf> = events.into_iter().map(|f| f.path).collect();
    let dir = args.output.as_deref().unwrap_or(std::path::Path::new("."));
    let split = podtrace::interchange::split(&paths, args.partitions, dir)?;
    if !args.quiet {
        writeln!(
            err,
            "podtrace: {} events files into {} partitions under {}: events per partition {:?}, {} rows in every partition, {} route keys in {} linked components",
            paths.len(),
            args.partitions,
            crate::cli::shown_path(dir),
            split.events,
            split.shared,
            split.keys,
            split.components
        )?;
    }
    Ok(Status::Ok)
}

/// The JSON lines of a file (`-`: stdin), blank lines skipped; one that is not `what` is an
/// error naming its file and line.
fn json_lines<T: serde::de::DeserializeOwned>(
    file: &std::path::Path,
    what: &str,
) -> anyhow::Result<Vec<T>> {
    let shown = crate::cli::printable(&file.display().to_string());
    let text = if file.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())?
    } else {
        std::fs::read_to_string(file).map_err(|e| anyhow::anyhow!("{shown}: {e}"))?
    };
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, line)| {
            serde_json::from_str(line)
                .map_err(|e| anyhow::anyhow!("{shown}:{}: not {what} ({e})", i + 1))
        })
        .collect()
}
