//! `podtrace follow`: the command line side (flags, output, status line, OTLP sender thread).
//! The decisions (what is read, when a pod is emitted) are in the library's `follow` module.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use podtrace::export::escape::{self, Controls};
use podtrace::export::text::human;
use podtrace::follow::{Emit, Ended, FollowOptions, Progress, Reason};
use podtrace::timeline::{Phase, PodTimeline};

use crate::cli::{Output, Shown, Status};

#[derive(Debug, clap::Args)]
pub struct FollowArgs {
    /// Files and folders to follow (new files in a folder are picked up), or `-` for stdin.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
    /// Output format (`--format` is an alias): a line per pod, the whole timeline (`wide`), or
    /// JSON Lines with analyze's pod records.
    #[arg(short = 'o', long = "output", alias = "format", value_enum, value_name = "FORMAT",
        default_value_t = Output::Text)]
    pub output: Output,
    /// Emit a pod that gained no milestone for this long (wall time) as it is; events are held
    /// this long after the pods that need them are emitted, for lines that come late.
    #[arg(long, default_value = "30s", value_parser = podtrace::units::parse_duration)]
    pub settle: Duration,
    /// Remember emitted pods this long, so that late lines update them instead of starting a
    /// new pod.
    #[arg(long, default_value = "10m", value_parser = podtrace::units::parse_duration)]
    pub remember: Duration,
    /// Stop once nothing new was read for this long and no pod is in flight (default: run until
    /// stdin closes, or Ctrl-C).
    #[arg(long, value_name = "DURATION", value_parser = podtrace::units::parse_duration)]
    pub exit_when_idle: Option<Duration>,
    /// Start at the end of the files that exist now: only what is written from now on is read,
    /// and pods already running then (no create or "SyncLoop ADD" read) are not shown.
    #[arg(long)]
    pub from_end: bool,
    #[command(flatten)]
    pub filters: crate::cli::PodFilters,
    /// Name stdin as this path: it is shown in evidence, and its folder and file name give the
    /// hints a file's would (`kind-worker/kubelet.log`).
    #[arg(long, value_name = "PATH")]
    pub stdin_name: Option<PathBuf>,
    /// How often files are polled for new bytes.
    #[arg(long, default_value = "250ms", value_parser = podtrace::units::parse_duration)]
    pub poll: Duration,
    /// Calendar year of stamps that carry none, when nothing read carries a year.
    #[arg(long, value_parser = clap::value_parser!(i32).range(1970..=2261))]
    pub year: Option<i32>,
    /// UTC offset of every local (zoneless) stamp, e.g. `+02:00`.
    #[arg(long, value_parser = podtrace::units::parse_timezone)]
    pub timezone: Option<i32>,
    /// Keep each node's own clock: no skew correction from causal pairs.
    #[arg(long)]
    pub no_skew_correction: bool,
    /// No status line and no warnings on stderr.
    #[arg(short, long)]
    pub quiet: bool,
    #[cfg(feature = "otlp")]
    #[command(flatten)]
    pub otlp: OtlpArgs,
    #[command(flatten)]
    pub shown: Shown,
}

#[cfg(feature = "otlp")]
#[derive(Debug, clap::Args)]
pub struct OtlpArgs {
    /// Also send each pod as a trace to this OTLP collector (as `trace` does).
    #[arg(long)]
    pub endpoint: Option<String>,
    /// Transport (default: OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, OTEL_EXPORTER_OTLP_PROTOCOL, grpc).
    #[arg(long, value_enum, requires = "endpoint")]
    pub protocol: Option<podtrace::trace::otlp::Protocol>,
    /// Extra request header, `key=value` (repeatable).
    #[arg(long = "header", value_parser = crate::cli::parse_header, requires = "endpoint")]
    pub headers: Vec<(String, String)>,
    /// Per-request timeout, retries included (default 10 s).
    #[arg(long, value_parser = podtrace::trace::otlp::parse_timeout, requires = "endpoint")]
    pub timeout: Option<Duration>,
    /// CA certificate (PEM) of the collector.
    #[arg(long, requires = "endpoint")]
    pub certificate: Option<PathBuf>,
    /// Cluster name: mixed into trace ids and set as `k8s.cluster.name`.
    #[arg(long)]
    pub cluster: Option<String>,
    /// Where spans the collector did not take are added (OTLP JSON lines).
    #[arg(long, requires = "endpoint")]
    pub failed_file: Option<PathBuf>,
}

/// Sends emitted pods from its own thread, so that a slow or unreachable collector never holds
/// back reading; sends only spans not sent before (an update adds spans to a trace).
#[cfg(feature = "otlp")]
struct Sender {
    tx: Option<std::sync::mpsc::Sender<PodTimeline>>,
    handle: Option<std::thread::JoinHandle<podtrace::trace::otlp::SendReport>>,
}

#[cfg(feature = "otlp")]
impl Sender {
    fn start(args: &OtlpArgs) -> anyhow::Result<Option<Sender>> {
        use podtrace::trace::{self as tr, otlp};
        let Some(endpoint) = &args.endpoint else {
            return Ok(None);
        };
        let send = otlp::SendOptions {
            protocol: args.protocol,
            endpoint: Some(endpoint.clone()),
            headers: args.headers.clone(),
            timeout: args.timeout,
            certificate: args.certificate.clone(),
            batch_spans: 4096,
            cluster: args.cluster.clone(),
            failed_file: args.failed_file.clone(),
        };
        let mut cfg = otlp::Config::resolve(&send, &otlp::process_env)?;
        cfg.failed_append = true;
        if let Some(p) = &cfg.failed_file {
            // Started empty once per run, then added to.
            std::fs::File::create(p)
                .map_err(|e| anyhow::anyhow!("creating {}: {e}", p.display()))?;
        }
        for w in &cfg.warnings {
            eprintln!("podtrace follow: {}", escape::escape(w));
        }
        let opts = tr::TraceOptions {
            cluster: args.cluster.clone(),
        };
        let (tx, rx) = std::sync::mpsc::channel::<PodTimeline>();
        let handle = std::thread::spawn(move || {
            let mut total = otlp::SendReport {
                protocol: cfg.protocol.as_str(),
                endpoint: cfg.endpoint.clone(),
                ..Default::default()
            };
            let mut sent: std::collections::HashSet<[u8; 8]> = Default::default();
            while let Ok(first) = rx.recv() {
                // Everything waiting goes in one request.
                let mut pods = vec![first];
                pods.extend(rx.try_iter());
                let spans: Vec<_> = pods
                    .iter()
                    .flat_map(|p| tr::plan(p, &opts))
                    .filter(|s| sent.insert(s.span_id))
                    .collect();
                if spans.is_empty() {
                    continue;
                }
                // Bounded: ids of long-gone pods are forgotten in bulk.
                if sent.len() > 500_000 {
                    sent.clear();
                }
                match otlp::send_spans(spans, &cfg) {
                    Ok(r) => {
                        total.spans_sent += r.spans_sent;
                        total.requests_sent += r.requests_sent;
                        total.spans_failed += r.spans_failed;
                        total.requests_failed += r.requests_failed;
                        total.spans_saved += r.spans_saved;
                        total.spans_rejected += r.spans_rejected;
                        for (e, n) in r.errors.into_iter().chain(r.rejections) {
                            match total.errors.iter_mut().find(|(x, _)| *x == e) {
                                Some((_, m)) => *m += n,
                                None => total.errors.push((e, n)),
                            }
                        }
                    }
                    Err(e) => {
                        total.requests_failed += 1;
                        total.errors.push((format!("{e:#}"), 1));
                    }
                }
            }
            total
        });
        Ok(Some(Sender {
            tx: Some(tx),
            handle: Some(handle),
        }))
    }

    fn send(&self, p: &PodTimeline) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(p.clone());
        }
    }

    fn finish(mut self) -> Option<podtrace::trace::otlp::SendReport> {
        drop(self.tx.take());
        self.handle.take()?.join().ok()
    }
}

/// The one-line form of a pod: when it started, where, how long to ready and to serving, and
/// the phase that took longest.
fn pod_line(p: &PodTimeline, c: Controls) -> String {
    let when = p
        .first_time()
        .map(|t| {
            let s = podtrace_parsers::time::format_rfc3339_nanos(t);
            // 2025-03-17T10:00:00.123456789Z → 10:00:00.123
            s.get(11..23).unwrap_or(&s).to_owned()
        })
        .unwrap_or_else(|| "missing".into());
    let phase = |ph: Phase| {
        p.phases
            .get(&ph)
            .map_or_else(|| "missing".to_owned(), |v| human(*v))
    };
    let longest = match p.dominant {
        Some((ph, ns, share)) => format!("  longest {} {} ({:.0}%)", ph, human(ns), share * 100.0),
        None => String::new(),
    };
    let ns = if p.namespace.is_empty() {
        String::new()
    } else {
        format!("{}/", c.show(&p.namespace))
    };
    format!(
        "{when}  {ns}{}  on {}  ready {}  serving {}{longest}",
        c.show(&p.name),
        c.show(p.node.as_deref().unwrap_or("missing")),
        phase(Phase::TimeToReady),
        phase(Phase::TimeToServing),
    )
}

fn status_line(p: &Progress) -> String {
    let t = &p.tally;
    let done = t.complete + t.settled + t.at_end;
    let slowest = match &t.slowest {
        Some((s, pod)) => format!(
            " · slowest ready {} {}",
            human((s * 1e9) as i64),
            escape::escape(pod)
        ),
        None => String::new(),
    };
    format!(
        "following {} stream(s): {} pod(s) in flight · {done} done ({} update(s)){slowest} · {:.0} lines/s",
        p.streams, t.in_flight, t.updates, p.lines_per_sec
    )
}

pub fn follow(
    args: &FollowArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Status> {
    let mut o = FollowOptions {
        settle: args.settle,
        remember: args.remember,
        interval: args.poll.max(Duration::from_millis(10)),
        exit_when_idle: args.exit_when_idle,
        from_end: args.from_end,
        stdin_name: args.stdin_name.clone(),
        ..Default::default()
    };
    o.analyze.clock.year = args.year;
    o.analyze.clock.timezone = args.timezone;
    o.analyze.clock.fallback_year = crate::cli::current_year();
    o.analyze.no_skew_correction = args.no_skew_correction;
    let stdin_count = args.paths.iter().filter(|p| p.as_os_str() == "-").count();
    if stdin_count > 1 {
        anyhow::bail!("`-` (stdin) can be given once");
    }
    for p in &args.paths {
        if p.as_os_str() != "-" && !p.exists() {
            // A folder may be created later (a node's log folder): followed once it exists.
            writeln!(
                err,
                "podtrace follow: {}: does not exist yet; followed once it does",
                escape::escape(&p.display().to_string())
            )?;
        }
    }
    #[cfg(feature = "otlp")]
    let sender = Sender::start(&args.otlp)?;
    let stop = Arc::new(AtomicBool::new(false));
    #[cfg(unix)]
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&stop))?;
    }
    let c = args.shown.controls();
    let status_on = !args.quiet && std::io::stderr().is_terminal();
    let same_terminal = status_on && std::io::stdout().is_terminal();
    let mut write_err: Option<std::io::Error> = None;
    // Set when a pod line printed on the terminal cleared the status line.
    let cleared = std::cell::Cell::new(false);
    let filter = args.filters.filter(Vec::new());
    let mut emit = |e: Emit| -> bool {
        let (Emit::Pod { pod, .. } | Emit::Update { pod, .. }) = &e;
        if !filter.keeps(pod) {
            return true;
        }
        if same_terminal {
            eprint!("\r\x1b[2K");
            cleared.set(true);
        }
        #[cfg(feature = "otlp")]
        if let Some(s) = &sender {
            match &e {
                Emit::Pod { pod, .. } | Emit::Update { pod, .. } => s.send(pod),
            }
        }
        let r = write_emit(&e, args.output, c, &mut *out).and_then(|()| out.flush());
        match r {
            Ok(()) => true,
            Err(e) => {
                write_err = Some(e);
                false
            }
        }
    };
    let mut shown = String::new();
    let mut status = |p: &Progress| {
        if !args.quiet {
            if status_on && !p.new_warnings.is_empty() {
                eprint!("\r\x1b[2K");
                shown.clear();
            }
            for w in &p.new_warnings {
                eprintln!("podtrace follow: {}", escape::warning(w, c));
            }
        }
        // Redrawn when it changes (a pod line printed on the same terminal cleared it).
        let line = status_line(p);
        if status_on && (line != shown || cleared.replace(false)) {
            eprint!("\r\x1b[2K{line}");
            shown = line;
        }
    };
    let ended = podtrace::follow::run(&args.paths, &o, &stop, &mut emit, &mut status);
    if status_on {
        eprint!("\r\x1b[2K");
    }
    #[cfg(feature = "otlp")]
    let sent = sender.and_then(Sender::finish);
    if let Some(e) = write_err {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return Ok(Status::Ok);
        }
        return Err(e.into());
    }
    match args.output {
        Output::Json => {
            let mut v = serde_json::to_value(&ended)?;
            v["type"] = "summary".into();
            #[cfg(feature = "otlp")]
            if let Some(r) = &sent {
                v["otlp"] = serde_json::json!({
                    "endpoint": r.endpoint,
                    "spans_sent": r.spans_sent,
                    "spans_failed": r.spans_failed,
                    "spans_rejected": r.spans_rejected,
                    "spans_saved": r.spans_saved,
                    "errors": r.errors,
                });
            }
            escape::json(&mut *out, &v)?;
            writeln!(out)?;
        }
        Output::Text | Output::Wide => {
            if !args.quiet {
                writeln!(err, "podtrace follow: {}", summary_text(&ended))?;
            }
        }
    }
    #[cfg(feature = "otlp")]
    if let Some(r) = &sent {
        writeln!(
            err,
            "podtrace follow: OTLP {}: {} span(s) sent, {} failed, {} rejected{}",
            escape::escape(&r.endpoint),
            r.spans_sent,
            r.spans_failed,
            r.spans_rejected,
            r.errors
                .first()
                .map(|(e, n)| format!(" (first error, {n}×: {})", escape::escape(e)))
                .unwrap_or_default()
        )?;
        if r.spans_failed > 0 {
            return Ok(Status::Failed);
        }
    }
    Ok(Status::Ok)
}

fn summary_text(e: &Ended) -> String {
    let t = &e.tally;
    let unparsed: u64 = e
        .totals
        .iter()
        .filter(|(c, _)| **c != podtrace::event::Component::Other)
        .map(|(_, n)| n.unparsed)
        .sum();
    format!(
        "{} pod(s): {} complete, {} settled, {} still in flight at the end{}; {} update(s) ({} from late lines alone); {} line(s) in {} stream(s), {unparsed} unparsed, {} warning(s); stopped: {}",
        e.pods,
        t.complete,
        t.settled,
        t.at_end,
        if t.started_before > 0 {
            format!(
                "; {} running before the run began, not shown",
                t.started_before
            )
        } else {
            String::new()
        },
        t.updates,
        t.partial_updates,
        e.lines,
        e.streams,
        e.warning_count,
        e.stopped
    )
}

fn write_emit(e: &Emit, output: Output, c: Controls, out: &mut dyn Write) -> std::io::Result<()> {
    match (output, e) {
        (Output::Json, Emit::Pod { pod, reason }) => {
            let mut v = podtrace::export::json::pod_record(pod);
            v["emitted"] = reason.as_str().into();
            escape::json(&mut *out, &v)?;
            writeln!(out)
        }
        (Output::Json, Emit::Update { pod, added, whole }) => {
            let mut v = podtrace::export::json::pod_record(pod);
            v["type"] = "update".into();
            v["added"] = serde_json::json!(added);
            v["whole"] = (*whole).into();
            escape::json(&mut *out, &v)?;
            writeln!(out)
        }
        (Output::Text, Emit::Pod { pod, reason }) => {
            let tag = match reason {
                Reason::Complete => "",
                Reason::Settled => "  (settled: no new milestone)",
                Reason::End => "  (in flight when the run stopped)",
            };
            writeln!(out, "{}{tag}", pod_line(pod, c))
        }
        (Output::Wide, Emit::Pod { pod, reason }) => {
            podtrace::export::text::write_pod(pod, out, c)?;
            writeln!(out, "  emitted: {}\n", reason.as_str())
        }
        (_, Emit::Update { pod, added, .. }) => {
            let ns = if pod.namespace.is_empty() {
                String::new()
            } else {
                format!("{}/", c.show(&pod.namespace))
            };
            let added: Vec<String> = added.iter().map(|a| c.show(a).into_owned()).collect();
            writeln!(
                out,
                "update  {ns}{}  + {}",
                c.show(&pod.name),
                added.join(", ")
            )
        }
    }
}
