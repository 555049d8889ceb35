//! The command line (clap derive) and the commands' bodies: the binary's side. The library
//! (`podtrace::…`) knows nothing of it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use podtrace::AnalyzeOptions;
use podtrace::export::escape::{self, Controls};
use podtrace::export::style::{self, Style};

/// What a run's exit status says, the same for every command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Read, built and written.
    Ok = 0,
    /// It ran, and what it found fails the run: an SLO gate, spans not delivered, lines a
    /// recognised source wrote that could not be read (`--strict`), a clock-skew or other
    /// finding where the command says so.
    Failed = 1,
    /// Nothing to work on: no input could be read, or a usage, I/O or other error.
    Unusable = 2,
}

impl From<Status> for ExitCode {
    fn from(s: Status) -> ExitCode {
        ExitCode::from(s as u8)
    }
}
use podtrace::units::parse_timezone;

#[derive(Debug, Parser)]
#[command(
    name = "podtrace",
    version,
    about = "Where did the time go between `kubectl apply` and a pod serving traffic? Rebuilds every pod's startup timeline from the logs a cluster already wrote.",
    after_help = crate::help::TOP
)]
pub struct Cli {
    /// Colour in text output: `auto` (when stdout is a terminal and NO_COLOR is unset or empty),
    /// `always` (even with NO_COLOR) or `never`.
    #[arg(long, value_enum, value_name = "WHEN", global = true, default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,
    #[command(subcommand)]
    pub command: Command,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

impl ColorWhen {
    /// The style for this process's stdout.
    pub fn style(self) -> Style {
        Style::for_stdout(match self {
            ColorWhen::Auto => style::When::Auto,
            ColorWhen::Always => style::When::Always,
            ColorWhen::Never => style::When::Never,
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read logs (files or directories, walked recursively): phase percentiles, the slowest
    /// pods, and the timelines of the pods asked for.
    #[command(after_help = crate::help::ANALYZE)]
    Analyze(AnalyzeArgs),
    /// Show what podtrace sees in each file: format, source, host, clock offset, time range,
    /// line accounting and the first unparsed lines.
    #[command(after_help = crate::help::INSPECT)]
    Inspect(InspectArgs),
    /// Write a deterministic, realistic kind-style bundle with a ground-truth file
    /// (ground-truth.json): a bundle to try podtrace on, and data of any size for tests and
    /// benchmarks.
    #[command(after_help = crate::help::SIMULATE)]
    Simulate(SimulateArgs),
    #[cfg(feature = "otlp")]
    /// Export every pod's startup as an OpenTelemetry trace: to an OTLP collector (Jaeger,
    /// Tempo, …) over gRPC or HTTP/protobuf, and/or to OTLP JSON and Perfetto files.
    #[command(after_help = crate::help::TRACE)]
    Trace(TraceArgs),
    #[cfg(feature = "report")]
    /// Latency statistics per phase and group, SLO gates (exit 1 on a breach), charts and a
    /// one-file HTML report.
    #[command(after_help = crate::help::REPORT)]
    Report(ReportArgs),
    #[cfg(feature = "report")]
    /// Compare two runs (did the upgrade slow pod startup down?): percentile deltas per phase and
    /// group with bootstrap intervals and a Mann–Whitney test; overlaid CDFs with --charts.
    #[command(after_help = crate::help::DIFF)]
    Diff(DiffArgs),
    /// Follow logs as they are written (files, folders, or `-` for stdin): each pod's timeline
    /// once it is ready and programmed on every node (or has settled), as text, JSON Lines or
    /// OTLP; late lines give updates.
    #[command(after_help = crate::help::FOLLOW)]
    Follow(crate::cli_follow::FollowArgs),
    #[cfg(feature = "report")]
    /// Read logs into an events file (Parquet, schema docs/events.md): the map of a run split
    /// across machines; `build`, `analyze`, `report` and `trace` read it back.
    Extract(crate::cli_events::ExtractArgs),
    #[cfg(feature = "report")]
    /// Build timelines from events files (`podtrace extract`'s): what `analyze` gives on the
    /// logs they were read from.
    #[command(after_help = crate::help::BUILD, mut_arg("paths", |a| a
        .help("Events files (`podtrace extract` writes them), or folders of them")
        .required(true)))]
    Build(crate::cli_events::BuildArgs),
    #[cfg(feature = "report")]
    /// Split events files into partitions that build alone (`build --partition-facts`, then
    /// `build --facts`) and give, together, exactly the pods one build gives.
    #[command(after_help = crate::help::PARTITION)]
    Partition(crate::cli_events::PartitionArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(after_help = crate::help::COMPLETIONS)]
    Completions(CompletionsArgs),
    /// Print the man page (roff), or write one page per command into a folder.
    #[command(after_help = crate::help::MAN)]
    Man(ManArgs),
}

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Write podtrace.1 and a page per command (podtrace-analyze.1, …) into this folder
    /// instead of printing podtrace.1.
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

#[cfg(feature = "report")]
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  podtrace diff before/ after/                 tables and a verdict
  podtrace diff before/ after/ -o json         the same in JSON (durations in seconds)
  podtrace diff before/ after/ --charts cdfs/  overlaid CDFs as SVG and PNG")]
pub struct DiffArgs {
    /// The first run's logs (a directory or archive).
    pub before: PathBuf,
    /// The second run's logs.
    pub after: PathBuf,
    /// Output format (`--format` is an alias).
    #[arg(short = 'o', long = "output", visible_alias = "format", value_name = "FORMAT", value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write overlaid CDFs (SVG and PNG) into this directory.
    #[arg(long)]
    pub charts: Option<PathBuf>,
    #[arg(long, value_parser = clap::value_parser!(i32).range(1970..=9999))]
    pub year: Option<i32>,
    #[arg(long, value_parser = parse_timezone)]
    pub timezone: Option<i32>,
    #[arg(short, long)]
    pub quiet: bool,
    #[command(flatten)]
    pub shown: Shown,
}

/// How text output and warnings show the control characters of log text.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct Shown {
    /// Write control characters from logs (ESC, CR, newlines… in names, messages and file names)
    /// as they are in text output and warnings, instead of as visible escapes (`\x1b`, `\r`,
    /// `\n`, `\u{9b}`). For those who want the bytes: a log line can then drive the terminal.
    /// JSON, CSV and Parquet are the same either way.
    #[arg(long)]
    pub raw: bool,
}

impl Shown {
    pub(crate) fn controls(self) -> Controls {
        if self.raw {
            Controls::Raw
        } else {
            Controls::Escaped
        }
    }
}

#[cfg(feature = "report")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Text,
    Markdown,
    Json,
    Csv,
    Parquet,
}

#[cfg(feature = "report")]
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  podtrace report bundle/                              statistics, failures and a verdict
  podtrace report bundle/ --slo upstream               exit 1 when startup_sli p99 > 5 s
  podtrace report bundle/ -o markdown --output-file r.md
  podtrace report bundle/ -o csv > stats.csv           durations in seconds, nine decimals
  podtrace report bundle/ --html r.html --charts charts/")]
pub struct ReportArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format (`--format` is an alias).
    #[arg(short = 'o', long = "output", visible_alias = "format", value_name = "FORMAT", value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    /// Write the report here instead of stdout (needed for parquet).
    #[arg(long, value_name = "FILE")]
    pub output_file: Option<PathBuf>,
    /// A gate, `METRIC:STAT<=DURATION` (e.g. `startup_sli:p99<=5s`, `scheduling:max<250ms`), or
    /// `upstream` for the upstream pod startup SLO (startup_sli p99 <= 5 s). Repeatable.
    #[arg(long = "slo", value_parser = podtrace::report::slo::parse_gate)]
    pub slo: Vec<podtrace::report::slo::Gate>,
    /// A thresholds file: kube-burner (`conditionType`/`metric`/`threshold`) or clusterloader2
    /// (`threshold`, `perc50Threshold`, `perc90Threshold`, `perc99Threshold`). Repeatable.
    #[arg(long)]
    pub slo_file: Vec<PathBuf>,
    /// A gate fails when fewer than this share of pods have its metric (0 to 1).
    #[arg(long, default_value_t = 0.0)]
    pub min_coverage: f64,
    /// How many of the slowest pods to list (and chart).
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Write the charts (SVG and PNG) into this directory.
    #[arg(long)]
    pub charts: Option<PathBuf>,
    /// Write a self-contained HTML report here.
    #[arg(long)]
    pub html: Option<PathBuf>,
    /// Write one row per pod as CSV here: phases in seconds (`startup_e2e_s`), milestones as
    /// RFC 3339 UTC times (`at_ready`).
    #[arg(long)]
    pub pods_csv: Option<PathBuf>,
    /// Write one row per pod as Parquet here: phases and milestones in integer nanoseconds
    /// (`startup_e2e_ns`, `at_ready_ns`).
    #[arg(long)]
    pub pods_parquet: Option<PathBuf>,
    #[command(flatten)]
    pub emit: podtrace::report::emit::EmitArgs,
    #[command(flatten)]
    pub shown: Shown,
}

#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// Where to write the bundle (created if needed).
    pub outdir: PathBuf,
    #[arg(long, default_value_t = 100)]
    pub pods: usize,
    /// Worker nodes (plus one control plane).
    #[arg(long, default_value_t = 3)]
    pub nodes: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Offset every worker's clock by a fixed amount drawn in ±K ms.
    #[arg(long, default_value_t = 0)]
    pub skew_ms: u64,
    /// UTC offset (whole hours) of every node's local clock.
    #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
    pub timezone: i32,
    /// Write containerd 2.x metadata (protobuf text) instead of 1.x.
    #[arg(long)]
    pub containerd2: bool,
    /// Gzip every log file.
    #[arg(long)]
    pub gzip: bool,
    /// Noise lines per relevant line (lease updates, volume reconcilers, image events).
    #[arg(long, default_value_t = 0)]
    pub noise: usize,
    /// One pod in ten is unschedulable for a while, one in ten fails its first pull.
    #[arg(long)]
    pub failures: bool,
    /// One pod in five runs an init container first.
    #[arg(long)]
    pub init_containers: bool,
    /// One pod in ten has its app container crash once and restart.
    #[arg(long)]
    pub restarts: bool,
    /// Write into a folder that already holds files (files of the same names are replaced; the
    /// others stay, and would be read with the bundle).
    #[arg(long)]
    pub force: bool,
    /// Write the bundle live: each line when its time comes (log time runs --speed times
    /// faster), files created when their first line is due; for trying `podtrace follow`.
    #[arg(long)]
    pub live: bool,
    /// With --live: log seconds per wall second.
    #[arg(long, default_value_t = 10.0, requires = "live")]
    pub speed: f64,
    /// With --live: rotate a file once it holds this many bytes (renamed `<name>.1`, `.2`, …
    /// and started anew, as logrotate does).
    #[arg(long, value_name = "BYTES", requires = "live")]
    pub rotate_bytes: Option<u64>,
    /// What is said of the run (`--format` is an alias).
    #[arg(short = 'o', long = "output", alias = "format", value_enum, value_name = "FORMAT",
        default_value_t = Summary::Text)]
    pub output: Summary,
}

/// How `simulate` and `trace` say what they did: a line for people, or one JSON object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Summary {
    Text,
    Json,
}

/// `analyze`'s and `inspect`'s `-o/--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// For people, in 100 columns: summary and slowest pods first, human units.
    Text,
    /// Text that keeps everything: full evidence paths, nanosecond times, every row.
    Wide,
    /// JSON Lines (for programs).
    Json,
}

/// `diff`'s `-o/--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Deltas per phase and group, then the verdict (for people).
    Text,
    /// One JSON document: unit, verdict, failures and comparisons (for programs).
    Json,
}

/// What to read and how: shared by every command that analyses logs.
#[derive(Debug, Clone, clap::Args)]
pub struct InputArgs {
    /// Files, directories or archives. Without any, the bundled demo (samples/seed-demo, built
    /// into the binary) is analysed. For `analyze`, an argument that is not an existing path is a
    /// pod to show: its name, `namespace/name` or a uid prefix.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Calendar year of stamps that carry none (klog headers, journald `short`), when nothing in
    /// the input carries a year. 1970 to 2261 (times are nanoseconds since 1970 in 64 bits).
    #[arg(long, value_parser = clap::value_parser!(i32).range(1970..=2261))]
    pub year: Option<i32>,
    /// UTC offset of every local (zoneless) stamp, e.g. `+02:00`, `-0530`, `UTC`; overrides the
    /// offsets podtrace infers.
    #[arg(long, value_parser = parse_timezone)]
    pub timezone: Option<i32>,
    /// Do not print warnings about unparsed lines.
    #[arg(short, long)]
    pub quiet: bool,
    /// Print every kept warning and every skipped file, not a count per file and per reason.
    #[arg(short, long)]
    pub verbose: bool,
    /// Keep each node's own clock: no skew correction from causal pairs.
    #[arg(long)]
    pub no_skew_correction: bool,
    /// Read every file as a stream: no memory map, and a large audit log is not split across
    /// cores (for a log that another process may truncate while it is read).
    #[arg(long)]
    pub no_mmap: bool,
    /// Fail (exit 1) when any line that a recognised source wrote could not be read: for CI,
    /// where a log format that changed must not pass quietly.
    #[arg(long)]
    pub strict: bool,
}

/// `--strict`: turns a run that read some of a recognised source's lines as unparsed into a
/// failure, and says which sources and how many lines. Other statuses are kept.
fn strict(
    status: Status,
    a: &podtrace::Analysis,
    input: &InputArgs,
    err: &mut dyn Write,
) -> anyhow::Result<Status> {
    let bad = a.unreadable_lines();
    if !input.strict || bad.is_empty() || status == Status::Unusable {
        return Ok(status);
    }
    let n: u64 = bad.iter().map(|(_, n)| n).sum();
    let per: Vec<String> = bad
        .iter()
        .map(|(c, n)| format!("{} {n}", c.as_str()))
        .collect();
    let r#where = if input.quiet {
        "run without -q to see where"
    } else {
        "the warnings say where"
    };
    writeln!(
        err,
        "podtrace: --strict: {n} line(s) of recognised sources could not be read ({}); {where}",
        per.join(", ")
    )?;
    Ok(Status::Failed)
}

/// The pod filters `analyze`, `build` and `follow` share.
#[derive(Debug, Clone, clap::Args)]
pub struct PodFilters {
    /// Only pods in this namespace.
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
    /// Only pods on this node.
    #[arg(long)]
    pub node: Option<String>,
    /// Only pods of this owner: `Kind/name` (`ReplicaSet/web-7d4b9c6f5`) or the name alone.
    #[arg(long)]
    pub owner: Option<String>,
}

impl PodFilters {
    /// These filters, and the pods named, as the selection's filter.
    pub fn filter(&self, pods: Vec<String>) -> podtrace::export::select::Filter {
        podtrace::export::select::Filter {
            pods,
            namespace: self.namespace.clone(),
            node: self.node.clone(),
            owner: self.owner.clone(),
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct AnalyzeArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format (`--format` is an alias).
    #[arg(short = 'o', long = "output", alias = "format", value_enum, value_name = "FORMAT",
        default_value_t = Output::Text)]
    pub output: Output,
    #[command(flatten)]
    pub filters: PodFilters,
    /// Order pods by this phase (longest first) or milestone (latest first), names as in
    /// docs/phases.md [default: startup_e2e, or the end-to-end phase most pods have].
    #[arg(long, value_name = "PHASE", value_parser = clap::value_parser!(podtrace::export::select::SortKey))]
    pub sort_by: Option<podtrace::export::select::SortKey>,
    /// How many pods to list (0: all) [default: 10; JSON: all].
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,
    /// Print every listed pod's timeline (without it, only when at most 5 pods are selected).
    #[arg(long)]
    pub details: bool,
    #[command(flatten)]
    pub shown: Shown,
}

#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format (`--format` is an alias); `wide` keeps unparsed lines whole.
    #[arg(short = 'o', long = "output", alias = "format", value_enum, value_name = "FORMAT",
        default_value_t = Output::Text)]
    pub output: Output,
    #[command(flatten)]
    pub shown: Shown,
}

#[cfg(feature = "otlp")]
#[derive(Debug, clap::Args)]
pub struct TraceArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Collector URL (default: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_EXPORTER_OTLP_ENDPOINT,
    /// then localhost:4317 for grpc, localhost:4318/v1/traces for http/protobuf).
    #[arg(long)]
    pub endpoint: Option<String>,
    /// Transport (default: OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, OTEL_EXPORTER_OTLP_PROTOCOL, grpc).
    #[arg(long, value_enum)]
    pub protocol: Option<podtrace::trace::otlp::Protocol>,
    /// Extra request header, `key=value` (repeatable; added to OTEL_EXPORTER_OTLP_HEADERS).
    #[arg(long = "header", value_parser = parse_header)]
    pub headers: Vec<(String, String)>,
    /// Per-request timeout, retries included, e.g. `10s`, `500ms`; above zero (default:
    /// OTEL_EXPORTER_OTLP_TIMEOUT in milliseconds, 10 s).
    #[arg(long, value_parser = podtrace::trace::otlp::parse_timeout)]
    pub timeout: Option<std::time::Duration>,
    /// CA certificate (PEM) of the collector (default: OTEL_EXPORTER_OTLP_CERTIFICATE).
    #[arg(long)]
    pub certificate: Option<PathBuf>,
    /// Cluster name: mixed into trace ids and set as `k8s.cluster.name`.
    #[arg(long)]
    pub cluster: Option<String>,
    /// Spans per OTLP request (and per line of --otlp-file), at least 1.
    #[arg(long, default_value_t = 4096,
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub batch_size: usize,
    /// Write OTLP JSON (one request per line) to this file.
    #[arg(long)]
    pub otlp_file: Option<PathBuf>,
    /// Write Chrome trace-event JSON (ui.perfetto.dev, chrome://tracing) to this file.
    #[arg(long)]
    pub perfetto: Option<PathBuf>,
    /// Where batches the collector did not take are written (OTLP JSON lines).
    #[arg(long)]
    pub failed_file: Option<PathBuf>,
    /// Also send when a file output is asked for (by default files alone skip the network).
    #[arg(long)]
    pub send: bool,
    /// What is said of the run on stdout (`--format` is an alias): lines for people, or one
    /// JSON object (pods, spans, files written, spans sent, rejected, failed) for scripts.
    #[arg(short = 'o', long = "output", alias = "format", value_enum, value_name = "FORMAT",
        default_value_t = Summary::Text)]
    pub output: Summary,
}

#[cfg(feature = "otlp")]
/// `key=value` → (key, value).
pub fn parse_header(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => {
            Ok((k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        }
        _ => Err(format!("expected key=value, got {s:?}")),
    }
}

pub(crate) fn current_year() -> i32 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    podtrace_parsers::time::civil_from_days(secs.div_euclid(86_400)).0
}

/// Runs `simulate`.
pub fn simulate(args: &SimulateArgs, out: &mut dyn Write) -> anyhow::Result<Status> {
    // A bundle written over another one mixes both: analysing it gives pods of neither.
    if !args.force {
        if let Ok(mut entries) = std::fs::read_dir(&args.outdir) {
            if entries.next().is_some() {
                anyhow::bail!(
                    "{} is not empty: simulate writes a whole bundle; choose a new folder, or \
                     --force to write into it anyway",
                    shown_path(&args.outdir)
                );
            }
        }
    }
    let o = podtrace::simulate::SimOptions {
        pods: args.pods,
        nodes: args.nodes,
        seed: args.seed,
        skew_ms: args.skew_ms,
        timezone_hours: args.timezone,
        containerd2: args.containerd2,
        noise: args.noise,
        failures: args.failures,
        init_containers: args.init_containers,
        restarts: args.restarts,
        gzip: args.gzip,
        ..Default::default()
    };
    let (truth, bytes) = if args.live {
        if args.gzip {
            anyhow::bail!("--live writes plain files (a reader cannot follow a gzip stream)");
        }
        if !(args.speed > 0.0 && args.speed.is_finite()) {
            anyhow::bail!("--speed must be above 0");
        }
        // Generated whole out of sight, then written line by line where the reader looks.
        let staging = tempfile::tempdir()?;
        let (truth, bytes, timed) = podtrace::simulate::generate_timed(staging.path(), &o)
            .map_err(|e| anyhow::anyhow!("generating the bundle: {e}"))?;
        let r = podtrace::simulate::replay(
            staging.path(),
            &args.outdir,
            &timed,
            &podtrace::simulate::ReplayOptions {
                speed: args.speed,
                rotate_bytes: args.rotate_bytes,
            },
        )
        .map_err(|e| anyhow::anyhow!("writing {}: {e}", args.outdir.display()))?;
        std::fs::create_dir_all(&args.outdir)?;
        std::fs::copy(
            podtrace::simulate::truth_path(staging.path()),
            podtrace::simulate::truth_path(&args.outdir),
        )?;
        if args.output == Summary::Text {
            writeln!(
                out,
                "replayed {} lines ({:.1} s of logs) in {:.1} s, {} rotation(s)",
                r.lines,
                r.log_span_us as f64 / 1e6,
                r.wall.as_secs_f64(),
                r.rotations
            )?;
        }
        (truth, bytes)
    } else {
        podtrace::simulate::generate(&args.outdir, &o)
            .map_err(|e| anyhow::anyhow!("writing {}: {e}", args.outdir.display()))?
    };
    if args.output == Summary::Json {
        let truth_path = podtrace::simulate::truth_path(&args.outdir);
        let summary = serde_json::json!({
            "pods": truth.pods.len(),
            "nodes": truth.nodes.len(),
            "bytes": bytes,
            "dir": args.outdir.display().to_string(),
            "ground_truth": truth_path.display().to_string(),
        });
        escape::json(&mut *out, &summary)?;
        writeln!(out)?;
        return Ok(Status::Ok);
    }
    writeln!(
        out,
        "wrote {} pods on {} nodes, {bytes} bytes of logs, to {}; ground truth in {}",
        truth.pods.len(),
        truth.nodes.len(),
        printable(&args.outdir.display().to_string()),
        printable(
            &podtrace::simulate::truth_path(&args.outdir)
                .display()
                .to_string()
        )
    )?;
    Ok(Status::Ok)
}

/// Runs `inspect`: 0 when at least one file was read, 2 otherwise.
pub fn inspect(
    args: &InspectArgs,
    style: Style,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Status> {
    if let Some(status) = missing_inputs(&args.input.paths, err)? {
        return Ok(status);
    }
    let a = run(&args.input);
    let c = args.shown.controls();
    let o = podtrace::export::inspect::Options {
        controls: c,
        style,
        wide: args.output == Output::Wide,
    };
    match args.output {
        Output::Text | Output::Wide => {
            podtrace::export::inspect::write_text_with(&a, &mut *styled_sink(out, c, style), &o)?
        }
        Output::Json => podtrace::export::inspect::write_json(&a, out)?,
    }
    if !a.files.iter().any(|f| f.skipped.is_none()) {
        // inspect lists the skipped files itself; it still says why it ends so.
        writeln!(err, "podtrace: no log read in {}", shown_paths(&args.input))?;
        return Ok(Status::Unusable);
    }
    strict(Status::Ok, &a, &args.input, err)
}

/// Says on stderr when a run found nothing to work on, and how the command ends then: a path
/// that does not exist (a bad argument: 2; checked here too for commands that do not check it
/// before their run, such as `trace`), no log read at all (an empty or unrelated folder) is
/// unusable (2), logs without a pod fail (1). `None`: there are pods.
fn nothing_found(
    a: &podtrace::Analysis,
    input: &InputArgs,
    err: &mut dyn Write,
) -> anyhow::Result<Option<Status>> {
    if let Some(status) = missing_inputs(&input.paths, err)? {
        return Ok(Some(status));
    }
    if !a.pods.is_empty() {
        return Ok(None);
    }
    let shown = shown_paths(input);
    let read = a.files.iter().filter(|f| f.skipped.is_none()).count();
    if read == 0 {
        print_skipped(a, input.verbose, err)?;
        let why = if a.files.is_empty() && a.skipped.is_empty() {
            "no file there".to_owned()
        } else if a.files.is_empty() {
            "nothing there could be opened (see above)".to_owned()
        } else {
            format!(
                "{} file(s) found, none of them a log or object list podtrace reads",
                a.files.len()
            )
        };
        writeln!(err, "podtrace: no log read in {shown}: {why}")?;
        return Ok(Some(Status::Unusable));
    }
    writeln!(
        err,
        "podtrace: no pod found in {read} file(s) read from {shown} (inspect shows what each file held)"
    )?;
    Ok(Some(Status::Failed))
}

/// Text output (analyze, inspect, report, diff) carries log text: names, messages, paths. The
/// writers escape each such field as they format it (only there can a newline in a name be told
/// from the table's own); written through this as well, every control character but newline and
/// tab (C0, DEL, and C1 as UTF-8) comes out escaped (`\x1b`, `\u{9b}`) whatever a writer missed:
/// no log line can send an escape sequence, retitle the terminal or write the clipboard (OSC 52),
/// or move the cursor back over a line. With colour on, the few SGR sequences that
/// [`style`] writes pass as they are, matched byte for byte; log text reaches this escaped by its
/// writer already, so a log's own `ESC[1m` is shown as `\x1b[1m` either way.
struct TerminalSafe<'a> {
    inner: &'a mut dyn Write,
    /// A 0xC2 byte ended the last write: the next byte may make it a C1 control.
    pending_c2: bool,
    /// Colour is on: the SGR sequences of [`style::SEQUENCES`] pass as they are.
    sgr: bool,
    /// An ESC and what followed it, while it may still become one of those sequences.
    pending_esc: Vec<u8>,
}

impl<'a> TerminalSafe<'a> {
    fn new(inner: &'a mut dyn Write, sgr: bool) -> Self {
        TerminalSafe {
            inner,
            pending_c2: false,
            sgr,
            pending_esc: Vec::new(),
        }
    }

    fn push(&mut self, b: u8, out: &mut Vec<u8>) {
        if !self.pending_esc.is_empty() {
            self.pending_esc.push(b);
            let seq = &self.pending_esc[..];
            if style::SEQUENCES.iter().any(|s| s.as_bytes() == seq) {
                out.append(&mut self.pending_esc);
            } else if !style::SEQUENCES
                .iter()
                .any(|s| s.as_bytes().starts_with(seq))
            {
                // Not one of ours: the ESC is escaped, what followed it is read again.
                let rest = std::mem::take(&mut self.pending_esc);
                out.extend_from_slice(b"\\x1b");
                for &r in &rest[1..] {
                    self.push(r, out);
                }
            }
            return;
        }
        if self.pending_c2 {
            self.pending_c2 = false;
            if (0x80..=0x9f).contains(&b) {
                // The character U+0080–U+009F, two bytes in UTF-8: shown as a character.
                out.extend_from_slice(format!("\\u{{{b:x}}}").as_bytes());
                return;
            }
            out.push(0xc2);
        }
        match b {
            b'\n' | b'\t' => out.push(b),
            0x1b if self.sgr => self.pending_esc.push(b),
            0x00..=0x1f | 0x7f => out.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
            0xc2 => self.pending_c2 = true,
            _ => out.push(b),
        }
    }

    /// What a write left pending, as it stands: an unfinished sequence is escaped.
    fn pending(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        if !self.pending_esc.is_empty() {
            let rest = std::mem::take(&mut self.pending_esc);
            out.extend_from_slice(b"\\x1b");
            out.extend_from_slice(&rest[1..]);
        }
        if std::mem::take(&mut self.pending_c2) {
            out.push(0xc2);
        }
        out
    }
}

impl Write for TerminalSafe<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut out = Vec::with_capacity(buf.len());
        for &b in buf {
            self.push(b, &mut out);
        }
        self.inner.write_all(&out)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let rest = self.pending();
        self.inner.write_all(&rest)?;
        self.inner.flush()
    }
}

impl Drop for TerminalSafe<'_> {
    fn drop(&mut self) {
        let rest = self.pending();
        let _ = self.inner.write_all(&rest);
    }
}

/// The inputs as given, for messages (control characters shown escaped: a path is text from
/// outside too).
fn shown_paths(input: &InputArgs) -> String {
    let shown: Vec<String> = if input.paths.is_empty() {
        vec![format!(
            "the bundled demo ({})",
            podtrace::input::demo::ROOT
        )]
    } else {
        input
            .paths
            .iter()
            .map(|p| p.display().to_string())
            .collect()
    };
    printable(&shown.join(", "))
}

/// Text from outside (paths, archive member names) as it may be shown on a terminal: control
/// characters escaped, so that no name can forge a line or send an escape sequence.
pub(crate) fn printable(s: &str) -> String {
    escape::escape(s).into_owned()
}

/// Text output's sink: through [`TerminalSafe`] unless `--raw`.
fn text_sink<'a>(out: &'a mut dyn Write, c: Controls) -> Box<dyn Write + 'a> {
    styled_sink(out, c, Style::PLAIN)
}

/// [`text_sink`] that lets `style`'s colour sequences through when it has colour.
fn styled_sink<'a>(out: &'a mut dyn Write, c: Controls, style: Style) -> Box<dyn Write + 'a> {
    match c {
        Controls::Escaped => Box::new(TerminalSafe::new(out, style.is_color())),
        Controls::Raw => Box::new(out),
    }
}

fn run(args: &InputArgs) -> podtrace::Analysis {
    let opts = options(args);
    if args.paths.is_empty() {
        // Compiled in: works from any directory and from an installed binary.
        return podtrace::analyze_demo(&opts);
    }
    podtrace::analyze(&args.paths, &opts)
}

/// What the input flags ask of the analysis.
pub(crate) fn options(args: &InputArgs) -> AnalyzeOptions {
    let mut opts = AnalyzeOptions::default();
    opts.read.progress = !args.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr());
    opts.clock.year = args.year;
    opts.clock.timezone = args.timezone;
    opts.clock.fallback_year = current_year();
    opts.no_skew_correction = args.no_skew_correction;
    opts.read.split_large = !args.no_mmap;
    opts
}

/// [`print_warnings_as`] with control characters escaped (`trace` has no `--raw`).
#[cfg(feature = "otlp")]
fn print_warnings(
    a: &podtrace::Analysis,
    quiet: bool,
    verbose: bool,
    err: &mut dyn Write,
) -> anyhow::Result<()> {
    print_warnings_as(a, quiet, verbose, Controls::Escaped, err)
}

/// Warnings on stderr: by default one line per file (how many, and the first), since a bundle
/// can give thousands; `verbose` prints every kept warning (the first of each file). Paths and
/// reasons hold log text (an archive member's name, a line's text): shown as `c` says.
fn print_warnings_as(
    a: &podtrace::Analysis,
    quiet: bool,
    verbose: bool,
    c: Controls,
    err: &mut dyn Write,
) -> anyhow::Result<()> {
    if quiet {
        return Ok(());
    }
    if verbose {
        for wmsg in &a.warnings {
            writeln!(err, "podtrace: warning: {}", escape::warning(wmsg, c))?;
        }
        if a.warning_count as usize > a.warnings.len() {
            writeln!(
                err,
                "podtrace: {} more warning(s) not shown",
                a.warning_count as usize - a.warnings.len()
            )?;
        }
        return Ok(());
    }
    // One line per file, for the first files; a bundle of hundreds of files with a warning or
    // two each must not bury the output (the rest are counted, `-v` lists them).
    const FILES_SHOWN: usize = 10;
    let with: Vec<_> = a.files.iter().filter(|f| f.warnings > 0).collect();
    if with.len() > FILES_SHOWN {
        let rest = &with[FILES_SHOWN..];
        let n: u64 = rest.iter().map(|f| f.warnings).sum();
        writeln!(
            err,
            "podtrace: warning: {} file(s) have warnings; the first {FILES_SHOWN} follow, {} more file(s) hold {n} more (-v lists them)",
            with.len(),
            rest.len()
        )?;
    }
    for f in with.into_iter().take(FILES_SHOWN) {
        match (f.warnings, f.first_warnings.first()) {
            (1, Some(first)) => writeln!(err, "podtrace: warning: {}", escape::warning(first, c))?,
            (n, Some(first)) => writeln!(
                err,
                "podtrace: warning: {}: {n} warnings, the first: {} (-v shows more)",
                c.show(&f.path),
                escape::warning(first, c)
            )?,
            (n, None) => writeln!(err, "podtrace: warning: {}: {n} warnings", c.show(&f.path))?,
        }
    }
    Ok(())
}

/// Skipped files on stderr (when nothing was readable): one line per reason unless `verbose`.
fn print_skipped(a: &podtrace::Analysis, verbose: bool, err: &mut dyn Write) -> anyhow::Result<()> {
    let mut by: std::collections::BTreeMap<String, Vec<&str>> = Default::default();
    for s in &a.skipped {
        by.entry(s.reason.to_string())
            .or_default()
            .push(s.path.as_str());
    }
    for (why, paths) in by {
        if verbose || paths.len() == 1 {
            for p in paths {
                writeln!(err, "podtrace: {}: {}", printable(p), printable(&why))?;
            }
        } else {
            writeln!(
                err,
                "podtrace: {} files skipped: {} (e.g. {}; -v lists them)",
                paths.len(),
                printable(&why),
                printable(paths[0])
            )?;
        }
    }
    Ok(())
}

#[cfg(feature = "otlp")]
/// Runs `trace`: 0 when every span reached its destination, 1 when no pod was found, a span
/// could not be sent or the receiver rejected spans (the summary says how many and where they
/// went), 2 on error.
///
/// Spans are made pod by pod as each output needs them and never held all at once: the files
/// are written in one pass over the pods, and sending plans each batch when it is due (issue 17).
pub fn trace(args: &TraceArgs, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<Status> {
    use podtrace::trace::{self as tr, otlp};
    let a = run(&args.input);
    print_warnings(&a, args.input.quiet, args.input.verbose, err)?;
    if let Some(status) = nothing_found(&a, &args.input, err)? {
        return Ok(status);
    }
    let opts = tr::TraceOptions {
        cluster: args.cluster.clone(),
    };
    let any_file = args.otlp_file.is_some() || args.perfetto.is_some();
    // The collector's settings first: a flag or variable that cannot be used stops the run
    // before any file is written.
    let send_cfg = if !any_file || args.send {
        let send = otlp::SendOptions {
            protocol: args.protocol,
            endpoint: args.endpoint.clone(),
            headers: args.headers.clone(),
            timeout: args.timeout,
            certificate: args.certificate.clone(),
            batch_spans: args.batch_size,
            cluster: args.cluster.clone(),
            failed_file: args.failed_file.clone(),
        };
        let cfg = otlp::Config::resolve(&send, &otlp::process_env)?;
        for w in &cfg.warnings {
            writeln!(err, "podtrace: warning: {}", printable(w))?;
        }
        Some(cfg)
    } else {
        None
    };
    let traces = a.pods.len();
    let spans: usize = a.pods.iter().map(tr::span_count).sum();
    let text = args.output == Summary::Text;
    // For `-o json`: one object, built as the run goes, printed at its end.
    let mut summary = serde_json::json!({"pods": traces, "spans": spans});
    if text {
        writeln!(out, "{traces} pods, {spans} spans")?;
    }
    if any_file {
        // Both files are written in one pass; each keeps its own I/O error, so that a failed
        // write names its file (a full disk said only "No space left on device").
        let open = |p: &PathBuf| create_file(p).map(Recorded::new);
        let mut otlp_file = args.otlp_file.as_ref().map(open).transpose()?;
        let mut perfetto_file = args.perfetto.as_ref().map(open).transpose()?;
        let written = tr::write_files(
            &a.pods,
            &opts,
            tr::FileOutputs {
                otlp: otlp_file.as_mut().map(|f| f as &mut dyn Write),
                perfetto: perfetto_file.as_mut().map(|f| f as &mut dyn Write),
                batch: args.batch_size,
            },
        );
        let flushed = |f: Option<&mut Recorded<_>>| f.map_or(Ok(()), |f| f.flush());
        let done = written.and_then(|w| {
            flushed(otlp_file.as_mut())?;
            flushed(perfetto_file.as_mut())?;
            Ok(w)
        });
        let written = done.map_err(|e| {
            let failed = [
                (&args.otlp_file, &mut otlp_file),
                (&args.perfetto, &mut perfetto_file),
            ]
            .into_iter()
            .find_map(|(p, f)| Some((p.as_ref()?, f.as_mut()?.error.take()?)));
            match failed {
                Some((p, io)) => anyhow::anyhow!("writing {}: {io}", shown_path(p)),
                None => anyhow::anyhow!("{e:#}"),
            }
        })?;
        let mut files = Vec::new();
        for (path, what, format, spans) in [
            (
                &args.otlp_file,
                "OTLP JSON",
                "otlp-json",
                written.otlp_spans,
            ),
            (
                &args.perfetto,
                "Chrome trace events",
                "chrome-trace-events",
                written.perfetto_spans,
            ),
        ] {
            let Some(p) = path else { continue };
            if text {
                writeln!(out, "wrote {spans} spans as {what} to {}", shown_path(p))?;
            }
            files.push(
                serde_json::json!({"format": format, "path": p.display().to_string(),
                "spans": spans}),
            );
        }
        summary["files"] = files.into();
    }
    let mut code = if a.pods.is_empty() {
        Status::Failed
    } else {
        Status::Ok
    };
    if let Some(cfg) = send_cfg {
        let r = otlp::send_pods(&a.pods, &opts, &cfg)?;
        let secs = r.elapsed.as_secs_f64();
        let rate = if secs > 0.0 {
            r.spans_sent as f64 / secs
        } else {
            0.0
        };
        if text {
            writeln!(
                out,
                "sent {} spans in {} requests to {} ({}) in {:.3} s ({:.0} spans/s)",
                r.spans_sent,
                r.requests_sent,
                printable(&r.endpoint),
                r.protocol,
                secs,
                rate
            )?;
        }
        // What the receiver says is shown escaped: it is another program's text.
        for (w, n) in &r.warnings {
            writeln!(err, "podtrace: warning: {} ({n} request(s))", printable(w))?;
        }
        if r.spans_rejected > 0 {
            for (why, n) in &r.rejections {
                let why = if why.is_empty() {
                    "(no reason given)".to_owned()
                } else {
                    printable(why)
                };
                writeln!(err, "podtrace: {n} spans rejected by the receiver: {why}")?;
            }
            code = Status::Failed;
        }
        if r.spans_failed > 0 {
            for (e, n) in &r.errors {
                writeln!(
                    err,
                    "podtrace: {n} request(s) to {} ({}) failed: {}",
                    printable(&r.endpoint),
                    r.protocol,
                    printable(e)
                )?;
            }
            if text {
                let saved = match &args.failed_file {
                    Some(p) => format!("; {} written to {}", r.spans_saved, shown_path(p)),
                    None => "; use --failed-file FILE to keep them".to_owned(),
                };
                writeln!(
                    out,
                    "NOT sent: {} spans in {} requests{saved}",
                    r.spans_failed, r.requests_failed
                )?;
            }
            code = Status::Failed;
        }
        summary["sent"] = serde_json::json!({
            "endpoint": r.endpoint,
            "protocol": r.protocol,
            "spans": r.spans_sent,
            "requests": r.requests_sent,
            "seconds": secs,
            "spans_rejected": r.spans_rejected,
            "spans_failed": r.spans_failed,
            "requests_failed": r.requests_failed,
            "spans_saved": r.spans_saved,
            "failed_file": args.failed_file.as_ref().map(|p| p.display().to_string()),
        });
    }
    let code = strict(code, &a, &args.input, err)?;
    if !text {
        summary["status"] = (code as u8).into();
        escape::json(&mut *out, &summary)?;
        writeln!(out)?;
    }
    Ok(code)
}

#[cfg(any(feature = "report", feature = "otlp"))]
fn create_file(p: &Path) -> anyhow::Result<std::io::BufWriter<std::fs::File>> {
    if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("creating {}: {e}", shown_path(dir)))?;
    }
    std::fs::File::create(p)
        .map(std::io::BufWriter::new)
        .map_err(|e| anyhow::anyhow!("creating {}: {e}", shown_path(p)))
}

/// A writer that keeps the first I/O error its inner writer gave. Encoders report such an error
/// in their own words or lose it: polars' Parquet writer said "Invalid thrift: transport error"
/// for a full disk, its CSV writer repeated the OS error twice. The kept error is what to say.
pub struct Recorded<W> {
    inner: W,
    pub error: Option<std::io::Error>,
}

impl<W: Write> Recorded<W> {
    pub fn new(inner: W) -> Self {
        Recorded { inner, error: None }
    }

    fn keep<T>(&mut self, r: std::io::Result<T>) -> std::io::Result<T> {
        r.map_err(|e| {
            // The caller gets an error of the same kind (a closed pipe stays one).
            let copy = std::io::Error::new(e.kind(), e.to_string());
            self.error.get_or_insert(e);
            copy
        })
    }
}

impl<W: Write> Write for Recorded<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let r = self.inner.write(buf);
        self.keep(r)
    }

    // Forwarded whole: the default `write_all` loops over `write`, which cost a tenth of
    // `analyze --format json` in small calls through the buffered writer.
    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        let r = self.inner.write_all(buf);
        self.keep(r)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let r = self.inner.flush();
        self.keep(r)
    }
}

/// Writes an output file with `write`; an error names the file, with the OS error that caused it
/// when there was one (`writing /dev/full: No space left on device (os error 28)`).
#[cfg(feature = "report")]
pub(crate) fn write_file(
    p: &Path,
    write: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut f = Recorded::new(create_file(p)?);
    let r = write(&mut f).and_then(|()| Ok(f.flush()?));
    r.map_err(|e| match f.error.take() {
        Some(io) => anyhow::anyhow!("writing {}: {io}", shown_path(p)),
        None => anyhow::anyhow!("writing {}: {e:#}", shown_path(p)),
    })
}

/// A path for messages, control characters escaped.
pub(crate) fn shown_path(p: &Path) -> String {
    printable(&p.display().to_string())
}

/// Every path given on the command line must exist: a missing one is a bad argument (exit 2),
/// named, before any work — not a run over the other paths that ends well, nor "no pods found".
pub(crate) fn missing_inputs(
    paths: &[PathBuf],
    err: &mut dyn Write,
) -> anyhow::Result<Option<Status>> {
    let mut missing = false;
    for p in paths {
        if let Err(e) = std::fs::metadata(p) {
            writeln!(err, "podtrace: {}: {e}", shown_path(p))?;
            missing = true;
        }
    }
    Ok(missing.then_some(Status::Unusable))
}

#[cfg(feature = "report")]
/// Runs `report`: 0 when every gate passes, 1 when one fails (or no pod was found), 2 on error.
pub fn report(
    args: &ReportArgs,
    style: Style,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Status> {
    use podtrace::report::{self, render, slo};
    if !(0.0..=1.0).contains(&args.min_coverage) {
        anyhow::bail!(
            "--min-coverage takes a share between 0 and 1, got {}",
            args.min_coverage
        );
    }
    let mut gates = args.slo.clone();
    for f in &args.slo_file {
        let text = std::fs::read_to_string(f)
            .map_err(|e| anyhow::anyhow!("reading {}: {e}", f.display()))?;
        gates.extend(slo::parse_file(&text, &f.display().to_string()).map_err(anyhow::Error::msg)?);
    }
    if args.format == ReportFormat::Parquet && args.output_file.is_none() {
        anyhow::bail!("-o parquet needs --output-file FILE")
    }
    if let Some(dir) = &args.charts {
        report::charts::check_dir(dir).map_err(|e| anyhow::anyhow!("--charts {e}"))?;
    }
    if let Some(status) = missing_inputs(&args.input.paths, err)? {
        return Ok(status);
    }
    let c = args.shown.controls();
    let a = run(&args.input);
    print_warnings_as(&a, args.input.quiet, args.input.verbose, c, err)?;
    if let Some(status) = nothing_found(&a, &args.input, err)? {
        return Ok(status);
    }
    let mut r = report::build(&a.pods, args.top)?;
    r.absent_sources = a.absent_sources.clone();
    let verdicts = slo::check(&r, &gates, args.min_coverage);
    let write_report = |sink: &mut dyn Write| -> anyhow::Result<()> {
        match args.format {
            // Colour only on stdout (a terminal), never in a file.
            ReportFormat::Text if args.output_file.is_none() => {
                render::text(&r, &verdicts, c, style, &mut *styled_sink(sink, c, style))?
            }
            ReportFormat::Text => {
                render::text(&r, &verdicts, c, Style::PLAIN, &mut *text_sink(sink, c))?
            }
            ReportFormat::Markdown => render::markdown(&r, &verdicts, c, &mut *text_sink(sink, c))?,
            ReportFormat::Json => render::json(&r, &verdicts, sink)?,
            ReportFormat::Csv => render::csv(&render::stats_frame(&r)?, sink)?,
            ReportFormat::Parquet => render::parquet(&mut render::stats_frame(&r)?, sink)?,
        }
        Ok(())
    };
    match &args.output_file {
        Some(p) => write_file(p, write_report)?,
        None => write_report(out)?,
    }
    if args.pods_csv.is_some() || args.pods_parquet.is_some() {
        use report::Units;
        if let Some(p) = &args.pods_csv {
            let df = report::frame(&r.rows, Units::Seconds)?;
            write_file(p, |f| Ok(render::csv(&df, f)?))?;
        }
        if let Some(p) = &args.pods_parquet {
            let mut df = report::frame(&r.rows, Units::Nanos)?;
            write_file(p, |f| Ok(render::parquet(&mut df, f)?))?;
        }
    }
    report::emit::write_all(&args.emit, &a.pods, err)?;
    if let Some(dir) = &args.charts {
        let written = report::charts::write_all(&r, &a, dir)?;
        writeln!(
            err,
            "podtrace: wrote {} charts to {}",
            written.len(),
            shown_path(dir)
        )?;
    }
    if let Some(p) = &args.html {
        write_file(p, |f| report::html::write(&r, &a, &verdicts, f))?;
        writeln!(err, "podtrace: wrote the HTML report to {}", shown_path(p))?;
    }
    for v in verdicts.iter().filter(|v| !v.pass) {
        writeln!(
            err,
            "podtrace: SLO gate failed: {} ({})",
            c.show(&v.message),
            c.show(&v.gate.origin)
        )?;
    }
    let status = if verdicts.iter().any(|v| !v.pass) || a.pods.is_empty() {
        Status::Failed
    } else {
        Status::Ok
    };
    strict(status, &a, &args.input, err)
}

#[cfg(feature = "report")]
/// Runs `diff`: 0 when both runs have pods, 2 otherwise.
pub fn diff(
    args: &DiffArgs,
    style: Style,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Status> {
    use podtrace::report::{self, diff};
    if let Some(dir) = &args.charts {
        report::charts::check_dir(dir).map_err(|e| anyhow::anyhow!("--charts {e}"))?;
    }
    if let Some(status) = missing_inputs(&[args.before.clone(), args.after.clone()], err)? {
        return Ok(status);
    }
    let input = |p: &PathBuf| InputArgs {
        paths: vec![p.clone()],
        year: args.year,
        timezone: args.timezone,
        quiet: args.quiet,
        verbose: false,
        no_skew_correction: false,
        no_mmap: false,
        strict: false,
    };
    // The two runs are independent: read them side by side (each read is mostly one core).
    let (ia, ib) = (input(&args.before), input(&args.after));
    let runs = std::thread::scope(|s| {
        let before = s.spawn(|| run(&ia));
        let after = run(&ib);
        [before.join(), Ok(after)]
    });
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    for (p, a) in [&args.before, &args.after].into_iter().zip(runs) {
        let a = a.map_err(|_| anyhow::anyhow!("reading {} failed", shown_path(p)))?;
        print_warnings_as(&a, args.quiet, false, args.shown.controls(), err)?;
        if a.pods.is_empty() {
            writeln!(err, "podtrace: no pods found in {}", shown_path(p))?;
            return Ok(Status::Unusable);
        }
        rows.push(a.pods.iter().map(report::row).collect::<Vec<_>>());
        failures.push(report::failures(&a.pods));
    }
    let c = diff::compare(&rows[0], &rows[1]);
    let f = [failures[0].as_slice(), failures[1].as_slice()];
    let verdict = diff::verdict(&c, report::ranking_metric(&rows[0]), f);
    match args.format {
        Format::Text => {
            let shown = args.shown.controls();
            diff::text(
                &c,
                &verdict,
                shown,
                style,
                &mut *styled_sink(out, shown, style),
            )?
        }
        Format::Json => diff::json(&c, &verdict, f, out)?,
    }
    if let Some(dir) = &args.charts {
        let w = report::charts::write_diff(&rows[0], &rows[1], dir)?;
        writeln!(
            err,
            "podtrace: wrote {} charts to {}",
            w.len(),
            shown_path(dir)
        )?;
    }
    Ok(Status::Ok)
}

/// Runs `analyze`; returns the exit code (0 pods found, 1 none, 2 error: a pod selector that
/// matches no pod among them too).
pub fn analyze(
    args: &AnalyzeArgs,
    style: Style,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Status> {
    use podtrace::export::select::{self, SortKey};
    // An argument that exists is an input; one that could be a pod (`name`, `namespace/name`,
    // a uid prefix) is a pod to show (kubectl's habit of `get pods NAME…`), named as neither a
    // file nor a pod when it matches nothing; any other (`/…`, `./…`, `a/b/c`) is a path that
    // is missing.
    let (paths, pods): (Vec<PathBuf>, Vec<PathBuf>) = args
        .input
        .paths
        .iter()
        .cloned()
        .partition(|p| p.exists() || !could_be_pod(p));
    let input = InputArgs {
        paths,
        ..args.input.clone()
    };
    let filter = args.filters.filter(
        pods.iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect(),
    );
    let c = args.shown.controls();
    let a = run(&input);
    print_warnings_as(&a, input.quiet, input.verbose, c, err)?;
    if let Some(status) = nothing_found(&a, &input, err)? {
        // JSON keeps its summary record (what was read, and that no pod was); text prints no
        // empty table.
        if args.output == Output::Json {
            podtrace::export::json::write(&a, out)?;
        }
        return Ok(status);
    }
    let mut selected = match select::select(&a.pods, &filter) {
        Ok(s) => s,
        Err(unmatched) => {
            for u in unmatched {
                writeln!(
                    err,
                    "podtrace: {}: neither a file nor a pod (none of the {} read from {} has this name, namespace/name or uid prefix)",
                    printable(&u),
                    pods_said(a.pods.len()),
                    shown_paths(&input)
                )?;
            }
            return Ok(Status::Unusable);
        }
    };
    let sort = args
        .sort_by
        .unwrap_or_else(|| SortKey::default_for(&selected));
    if args.sort_by.is_some() || args.output != Output::Json {
        select::sort(&mut selected, sort);
    }
    if selected.is_empty() {
        writeln!(
            err,
            "podtrace: none of the {} in {} matches {}",
            pods_said(a.pods.len()),
            shown_paths(&input),
            filters_said(args)
        )?;
        return strict(Status::Failed, &a, &input, err);
    }
    match args.output {
        Output::Text | Output::Wide => {
            let v = podtrace::export::text::View {
                details: args.details || selected.len() <= podtrace::export::text::DETAIL_UP_TO,
                pods: selected,
                filtered: !filter.is_empty(),
                sort,
                top: args.top.unwrap_or(10),
                wide: args.output == Output::Wide,
                roots: shown_roots(&input),
                verbose: input.verbose,
                controls: c,
                style,
            };
            podtrace::export::text::write_view(&a, &v, &mut *styled_sink(out, c, style))?
        }
        Output::Json => {
            if let Some(n) = args.top.filter(|n| *n > 0) {
                selected.truncate(n);
            }
            podtrace::export::json::write_selected(&a, &selected, out)?
        }
    }
    strict(Status::Ok, &a, &input, err)
}

/// Whether a command-line argument has the shape of a pod selector: `name`, `namespace/name` or
/// a uid prefix, not an absolute or dotted path nor one of several directories.
fn could_be_pod(p: &Path) -> bool {
    let s = p.to_string_lossy();
    !s.is_empty()
        && !s.starts_with(['/', '.', '~'])
        && s.matches('/').count() <= 1
        && !s.ends_with('/')
}

/// The filters given, as said in a message: `-n prod --node w3`.
fn filters_said(args: &AnalyzeArgs) -> String {
    let mut said = Vec::new();
    for (flag, v) in [
        ("-n", &args.filters.namespace),
        ("--node", &args.filters.node),
        ("--owner", &args.filters.owner),
    ] {
        if let Some(v) = v {
            said.push(format!("{flag} {}", printable(v)));
        }
    }
    said.join(" ")
}

/// `1 pod`, `2 pods`.
fn pods_said(n: usize) -> String {
    if n == 1 {
        "1 pod".to_owned()
    } else {
        format!("{n} pods")
    }
}

/// The inputs as given (the embedded demo's root without any: its files keep their
/// repository names): evidence is shown relative to them.
fn shown_roots(input: &InputArgs) -> Vec<String> {
    roots_of(&input.paths)
}

/// The input roots that evidence paths are shown relative to: the paths given, an events
/// file standing for the paths it was extracted from (so that `build` names files as
/// `analyze` on those paths does).
pub(crate) fn roots_of(paths: &[PathBuf]) -> Vec<String> {
    if paths.is_empty() {
        return vec![podtrace::input::demo::ROOT.to_owned()];
    }
    let mut roots: Vec<String> = Vec::new();
    for p in paths {
        #[cfg(feature = "report")]
        if p.is_file() && podtrace::interchange::is_parquet(p) {
            if let Some(r) = podtrace::interchange::roots(p) {
                roots.extend(
                    r.into_iter()
                        .filter(|r| !roots.contains(r))
                        .collect::<Vec<_>>(),
                );
                continue;
            }
        }
        let r = p.display().to_string();
        if !roots.contains(&r) {
            roots.push(r);
        }
    }
    roots
}

/// The name the binary was invoked as decides how usage reads: `kubectl-podtrace` (kubectl
/// plugin, found on PATH by kubectl, or linked by krew) says `kubectl podtrace …`.
pub fn command_for(argv0: Option<&std::ffi::OsStr>) -> clap::Command {
    use clap::CommandFactory;
    let cmd = Cli::command();
    let invoked = argv0
        .and_then(|a| Path::new(a).file_stem())
        .and_then(|s| s.to_str());
    match invoked {
        Some("kubectl-podtrace") => cmd.bin_name("kubectl podtrace"),
        _ => cmd,
    }
}

/// Runs `completions`: the script for `shell` on stdout.
pub fn completions(args: &CompletionsArgs, out: &mut dyn Write) -> anyhow::Result<Status> {
    let mut cmd = command_for(None);
    // Built in memory first: clap_complete panics on a write error (`… | head` closes the pipe).
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "podtrace", &mut script);
    out.write_all(&script)?;
    Ok(Status::Ok)
}

/// Runs `man`: podtrace(1) on stdout, or every page into `--dir`.
pub fn man(args: &ManArgs, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<Status> {
    let cmd = command_for(None);
    match &args.dir {
        None => clap_mangen::Man::new(cmd).render(out)?,
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| anyhow::anyhow!("creating {}: {e}", shown_path(dir)))?;
            clap_mangen::generate_to(cmd, dir)
                .map_err(|e| anyhow::anyhow!("writing into {}: {e}", shown_path(dir)))?;
            writeln!(err, "podtrace: wrote the man pages to {}", shown_path(dir))?;
        }
    }
    Ok(Status::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(sgr: bool, parts: &[&[u8]]) -> String {
        let mut out = Vec::new();
        {
            let mut t = TerminalSafe::new(&mut out, sgr);
            for p in parts {
                t.write_all(p).unwrap();
            }
            t.flush().unwrap();
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn only_our_colour_sequences_pass_and_only_with_colour() {
        let ours = "\x1b[1;31mFAIL\x1b[0m".as_bytes();
        assert_eq!(through(true, &[ours]), "\x1b[1;31mFAIL\x1b[0m");
        assert_eq!(through(false, &[ours]), "\\x1b[1;31mFAIL\\x1b[0m");
        // Split across writes, as a formatter may write it.
        assert_eq!(
            through(true, &[b"\x1b[1", b";31", b"mx\x1b", b"[0m"]),
            "\x1b[1;31mx\x1b[0m"
        );
        // Not one of ours: a colour we never write, a cursor move, an OSC, an ESC at the end.
        assert_eq!(through(true, &[b"\x1b[1;32mx"]), "\\x1b[1;32mx");
        assert_eq!(
            through(true, &[b"\x1b[2J\x1b]52;c;QUFB\x07"]),
            "\\x1b[2J\\x1b]52;c;QUFB\\x07"
        );
        assert_eq!(through(true, &[b"a\x1b[1"]), "a\\x1b[1");
        assert_eq!(through(true, &[b"\x1b\x1b[0m"]), "\\x1b\x1b[0m");
    }
}
