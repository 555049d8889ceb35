//! podtrace: where did the time go between `kubectl apply` and a pod serving traffic?
//!
//! Data flows one way: bytes → lines ([`input`]) → typed events ([`sources`], [`event`]) →
//! per-pod join and timelines ([`timeline`]) → exporters ([`export`]).

pub mod event;
pub mod export;
pub mod follow;
pub mod input;
#[cfg(feature = "report")]
pub mod interchange;
pub mod intern;
pub mod partial;
#[cfg(feature = "report")]
pub mod report;
pub mod simulate;
pub mod sources;
pub mod timeline;
#[cfg(feature = "otlp")]
pub mod trace;
pub mod units;
pub mod year;

use std::collections::BTreeMap;
use std::path::PathBuf;

use event::Component;
use input::{Counts, ReadOptions, Skipped};
use serde::Serialize;
use timeline::PodTimeline;
use timeline::clock::{ClockOptions, ClockReport};

#[derive(Debug, Clone, Default)]
pub struct AnalyzeOptions {
    pub read: ReadOptions,
    pub clock: ClockOptions,
    /// Keep every node's own clock (no skew correction from causal pairs).
    pub no_skew_correction: bool,
    /// A partition of a split build: the run's global values, gathered from every partition
    /// ([`partition_facts`]), instead of those of this partition's share of the events.
    pub fixed: Option<timeline::partition::Fixed>,
}

/// What was read from one file.
#[derive(Debug, Clone, Serialize)]
pub struct FileSummary {
    pub path: String,
    /// `audit`, `journal`, `cri`, `stamped`, `raw`, or `skipped`.
    pub format: String,
    pub skipped: Option<String>,
    pub error: Option<String>,
    pub hosts: Vec<String>,
    pub counts: BTreeMap<Component, Counts>,
    pub warnings: u64,
    /// The first warnings of this file (`path:line: why`).
    pub first_warnings: Vec<input::Warning>,
    /// UTC time range of the events read from this file, in the run's frame.
    pub time_range: Option<(i64, i64)>,
    /// Events read from this file.
    pub events: usize,
}

/// The result of a run.
#[derive(Debug, Serialize)]
pub struct Analysis {
    pub pods: Vec<PodTimeline>,
    pub files: Vec<FileSummary>,
    pub skipped: Vec<Skipped>,
    pub totals: BTreeMap<Component, Counts>,
    pub clocks: ClockReport,
    /// `path:line: why`, the first few of each file.
    pub warnings: Vec<input::Warning>,
    pub warning_count: u64,
    /// Runtime events whose sandbox/container id matched no pod.
    pub orphan_events: usize,
    /// Events read twice (overlapping files) and counted once.
    pub duplicate_events: usize,
    /// Each node's clock against the apiserver's, from causal pairs.
    pub skew: Vec<timeline::skew::HostSkew>,
    /// Per milestone: pods where it was observed, derived or missing.
    pub coverage: BTreeMap<&'static str, timeline::diagnose::Coverage>,
    /// Where the time of the median and p99 pods went.
    pub attribution: Vec<timeline::diagnose::Attribution>,
    /// Per Service: each EndpointSlice change and how long each node took to program it.
    pub services: Vec<timeline::build::ServiceView>,
    /// Sources no file of the run came from, and what their absence costs.
    pub absent_sources: Vec<AbsentSource>,
}

/// A kind of log the run did not have, and the milestones it would have given.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AbsentSource {
    /// `audit`, `scheduler`, `kubelet`, `runtime`, `kube-proxy`.
    pub source: &'static str,
    /// Milestones (and what follows from them) that are missing or only from weaker fallbacks.
    pub unavailable: &'static str,
    /// How to get it.
    pub hint: &'static str,
}

impl std::fmt::Display for AbsentSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.source {
            "audit" => "audit log",
            "runtime" => "runtime log (containerd/CRI-O)",
            "kubelet-startup" => "\"Observed pod startup duration\" in the kubelet's log",
            s => return write!(f, "no {s} log: {} ({})", self.unavailable, self.hint),
        };
        write!(f, "no {what}: {} ({})", self.unavailable, self.hint)
    }
}

/// Which sources gave no line at all in the run (a source that wrote lines podtrace ignored was
/// still there), and the cost of each: `requested` needs audit whatever else is present.
pub fn absent_sources(totals: &BTreeMap<Component, Counts>) -> Vec<AbsentSource> {
    let has = |cs: &[Component]| {
        cs.iter()
            .any(|c| totals.get(c).is_some_and(|n| n.lines > 0))
    };
    let mut out = Vec::new();
    let mut absent = |present: bool, source, unavailable, hint| {
        if !present {
            out.push(AbsentSource {
                source,
                unavailable,
                hint,
            });
        }
    };
    absent(
        has(&[Component::Audit]),
        "audit",
        "requested, api_create, ready_reported (but for the kubelet's own report) and endpoint milestones unavailable; created and scheduled only from second-precision fallbacks",
        "enable the apiserver's --audit-log-path",
    );
    absent(
        has(&[Component::Scheduler]),
        "scheduler",
        "schedule_attempted unavailable",
        "collect kube-scheduler's log, at -v=3 for attempts",
    );
    absent(
        has(&[Component::Kubelet]),
        "kubelet",
        "kubelet_seen, volumes_ready, running_observed, probe-based ready and kubelet_e2e unavailable",
        "collect the nodes' kubelet journal",
    );
    absent(
        has(&[Component::Containerd, Component::Crio]),
        "runtime",
        "sandbox/container milestones unavailable but for kubelet and Event fallbacks",
        "collect containerd's or CRI-O's journal",
    );
    absent(
        has(&[Component::KubeProxy]),
        "kube-proxy",
        "programmed_* unavailable",
        "collect kube-proxy's log on every node",
    );
    out
}

impl Serialize for Skipped {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Skipped", 2)?;
        st.serialize_field("path", &self.path)?;
        st.serialize_field("reason", &self.reason.to_string())?;
        st.end()
    }
}

impl Analysis {
    /// Lines that a recognised source wrote and podtrace could not read, per source (lines of
    /// programs podtrace does not read are not counted): what `--strict` fails on.
    pub fn unreadable_lines(&self) -> Vec<(Component, u64)> {
        self.totals
            .iter()
            .filter(|(c, n)| **c != Component::Other && n.unparsed > 0)
            .map(|(c, n)| (*c, n.unparsed))
            .collect()
    }
}

/// The process's peak resident set so far, in KiB (Linux `VmHWM`; `None` elsewhere). Printed
/// with `PODTRACE_TIMINGS=1` at exit, so benchmarks and the resource tests read one number.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Reads every file under `paths` and rebuilds every pod's timeline.
pub fn analyze(paths: &[PathBuf], opts: &AnalyzeOptions) -> Analysis {
    let (files, mut skipped) = input::discover(paths);
    // A split build's partition results (`build --facts`) are merged, never read as logs (their
    // JSON would look like stored objects).
    let (partials, files): (Vec<input::InputFile>, Vec<input::InputFile>) = files
        .into_iter()
        .partition(|f| partial::is_partial(&f.path));
    if partials.is_empty() {
        return analyze_files(files, skipped, opts);
    }
    if !files.is_empty() {
        skipped.extend(partials.into_iter().map(|f| input::Skipped {
            path: f.display,
            reason: input::SkipReason::CannotRead(
                "a partition's result (`build --facts`): give the partitions' results alone to merge them"
                    .into(),
            ),
        }));
        return analyze_files(files, skipped, opts);
    }
    let mut parts = Vec::with_capacity(partials.len());
    for f in &partials {
        match partial::read(&f.path) {
            Ok(p) => parts.push(p),
            Err(e) => skipped.push(input::Skipped {
                path: f.display.clone(),
                reason: input::SkipReason::CannotRead(format!("{e:#}")),
            }),
        }
    }
    if skipped.is_empty() {
        match merge_partials(parts, opts) {
            Ok(a) => return a,
            Err(e) => skipped.push(input::Skipped {
                path: partials[0].display.clone(),
                reason: input::SkipReason::CannotRead(format!("{e:#}")),
            }),
        }
    }
    // Nothing merged: what could not be is said, and no pod is made up from a part of them.
    analyze_files(Vec::new(), skipped, opts)
}

/// [`partition_facts`] of the events (or logs) under `paths`.
pub fn partition_facts_of(paths: &[PathBuf], opts: &AnalyzeOptions) -> timeline::partition::Facts {
    let (files, _) = input::discover(paths);
    let (reports, _) = input::read_inputs(&files, &opts.read);
    partition_facts(reports, opts)
}

/// The bundled demo (compiled in: see [`input::demo`]), analysed.
pub fn analyze_demo(opts: &AnalyzeOptions) -> Analysis {
    analyze_files(input::demo::files(), Vec::new(), opts)
}

/// The stage timer: each call prints how long since the last (stderr) when PODTRACE_TIMINGS=1
/// is set, for profiling; otherwise it does nothing.
fn stages() -> impl FnMut(&str) {
    let timings = std::env::var_os("PODTRACE_TIMINGS").is_some();
    let mut clock = std::time::Instant::now();
    move |name: &str| {
        if timings {
            // The peak so far says which stage sets the run's peak memory.
            let peak = peak_rss_kib().map_or(String::new(), |k| {
                format!(" (peak RSS so far {} MiB)", k / 1024)
            });
            eprintln!(
                "podtrace: {name}: {:.3} s{peak}",
                clock.elapsed().as_secs_f64()
            );
        }
        clock = std::time::Instant::now();
    }
}

/// Reads the files found (and says what could not be walked) and rebuilds every pod's timeline.
pub fn analyze_files(
    files: Vec<input::InputFile>,
    mut skipped: Vec<input::Skipped>,
    opts: &AnalyzeOptions,
) -> Analysis {
    let mut stage = stages();
    let (reports, walked) = input::read_inputs(&files, &opts.read);
    skipped.extend(walked);
    stage("read");
    analyze_reports(reports, skipped, opts)
}

/// Everything after reading: clocks resolved from every file's facts, events merged and
/// de-duplicated, joined per pod, timelines built and put on one clock. `podtrace follow` runs
/// it on the events it still holds; `analyze` on everything read. Report ids must be 0..n.
pub fn analyze_reports(
    reports: Vec<input::FileReport>,
    skipped: Vec<input::Skipped>,
    opts: &AnalyzeOptions,
) -> Analysis {
    let mut stage = stages();
    let joined = join_reports(reports, opts, &mut stage);
    finish(joined, skipped, opts, &mut stage)
}

/// What one partition of a split build knows of the run's global values (each node's skew, the
/// logs' time range): printed by `build --partition-facts`, gathered by
/// [`timeline::partition::merge`] into every partition's [`AnalyzeOptions::fixed`].
pub fn partition_facts(
    reports: Vec<input::FileReport>,
    opts: &AnalyzeOptions,
) -> timeline::partition::Facts {
    let mut stage = stages();
    let j = join_reports(reports, opts, &mut stage);
    timeline::partition::facts(&j.events, &j.joined, !opts.no_skew_correction)
}

/// The events of every stream on one clock, de-duplicated and joined per pod, with what the
/// summary says of the streams.
struct JoinedRun {
    names: Vec<std::sync::Arc<str>>,
    events: Vec<event::Event>,
    joined: timeline::join::Joined,
    streams: Vec<partial::StreamPart>,
    clocks: ClockReport,
    duplicates: partial::Split,
}

fn join_reports(
    mut reports: Vec<input::FileReport>,
    opts: &AnalyzeOptions,
    stage: &mut dyn FnMut(&str),
) -> JoinedRun {
    // Streams (files and archive members) in id order.
    let names: Vec<std::sync::Arc<str>> =
        reports.iter().map(|r| r.display.as_str().into()).collect();
    let display = |file: u32, line: u32| format!("{}:{line}", names[file as usize]);
    let mut clock_inputs: Vec<timeline::clock::ClockInput<'_>> = reports
        .iter_mut()
        .map(|r| timeline::clock::ClockInput {
            id: r.id,
            display: &r.display,
            facts: &r.facts,
            events: &mut r.events,
            rejected: Vec::new(),
        })
        .collect();
    let clocks = timeline::clock::resolve(&mut clock_inputs, &opts.clock, &display);
    let rejected: Vec<_> = clock_inputs.into_iter().map(|c| c.rejected).collect();
    stage("clocks");

    // Sized once: growing by doubling would hold up to twice the events at the peak (each is
    // 120 bytes, and they are most of the run's memory).
    let mut events = Vec::with_capacity(reports.iter().map(|r| r.events.len()).sum::<usize>());
    let mut streams = Vec::with_capacity(reports.len());
    for (r, rejected) in reports.iter_mut().zip(rejected) {
        streams.push(partial::StreamPart::of(r, rejected));
        // Move the events out and free this file's buffer now, not when `reports` goes.
        events.append(&mut std::mem::take(&mut r.events));
    }
    stage("merge");
    let shared_before = events
        .iter()
        .filter(|e| timeline::partition::shared(&e.kind))
        .count();
    let all_before = events.len();
    dedupe(&mut events);
    let shared_after = events
        .iter()
        .filter(|e| timeline::partition::shared(&e.kind))
        .count();
    let duplicates = partial::Split {
        shared: shared_before - shared_after,
        owned: (all_before - events.len()) - (shared_before - shared_after),
    };
    stage("dedupe");
    if let Some(fixed) = &opts.fixed {
        // A partition: other nodes' kube-proxy lines, from their partitions' digests (after
        // the counts, which are their own partitions').
        timeline::partition::add_proxy_lines(fixed, &mut events);
    }
    let joined = timeline::join::join(&events);
    stage("join");
    JoinedRun {
        names,
        events,
        joined,
        streams,
        clocks,
        duplicates,
    }
}

/// The pods, built: skew corrected (or the whole run's applied, in a partition), timelines
/// built and described.
pub(crate) struct Built {
    pub(crate) pods: Vec<PodTimeline>,
    pub(crate) services: Vec<timeline::build::ServiceView>,
    pub(crate) skew: Vec<timeline::skew::HostSkew>,
    pub(crate) orphans: usize,
}

fn build_pods(run: &mut JoinedRun, opts: &AnalyzeOptions, stage: &mut dyn FnMut(&str)) -> Built {
    let JoinedRun {
        names,
        events,
        joined,
        ..
    } = run;
    let display = |file: u32, line: u32| format!("{}:{line}", names[file as usize]);
    // One clock: each node's skew from causal pairs, its events moved onto the apiserver's
    // clock and joined again, before the one build.
    let (skew, shifts) = if let Some(fixed) = &opts.fixed {
        // A partition: the whole run's estimates, which its own share could not all make.
        timeline::skew::apply(events, joined, fixed.skew.clone())
    } else if opts.no_skew_correction {
        Default::default()
    } else {
        // The estimate reads four events per pod instead of building every pod first: in
        // debug builds (every test run) it is held equal to the estimate from built pods.
        debug_assert_eq!(
            timeline::skew::estimate_joined(events, joined),
            timeline::skew::estimate(&timeline::build::build_all(events, joined, names)),
            "skew estimate from joined events differs from the built pods'"
        );
        timeline::skew::correct(events, joined)
    };
    stage("skew");
    let logs = match &opts.fixed {
        Some(fixed) => fixed.logs,
        None => timeline::build::logs_range(events),
    };
    let mut pods = timeline::build::build_all_within(events, joined, names, logs);
    timeline::skew::mark(&mut pods, &shifts);
    for p in &mut pods {
        p.dominant = timeline::diagnose::dominant(p);
        timeline::build::explain_kubelet_e2e(p);
        timeline::crosscheck::kubelet_figures(p);
    }
    stage("build");
    let services = timeline::build::services(events, joined, &display);
    Built {
        pods,
        services,
        skew,
        orphans: joined.orphans.len(),
    }
}

/// Skew, the build, and what is said of the pods.
fn finish(
    mut run: JoinedRun,
    skipped: Vec<input::Skipped>,
    opts: &AnalyzeOptions,
    stage: &mut dyn FnMut(&str),
) -> Analysis {
    let built = build_pods(&mut run, opts, stage);
    // Free the events before the summary: the pods are all that is left to describe.
    let JoinedRun {
        streams,
        clocks,
        duplicates,
        ..
    } = run;
    let tallies: Vec<partial::Tally> = streams
        .iter()
        .map(|s| s.owned.clone().plus(&s.shared))
        .collect();
    let a = describe(
        built,
        &streams,
        tallies,
        skipped,
        clocks,
        duplicates.owned + duplicates.shared,
        opts,
    );
    stage("services and diagnosis");
    a
}

/// The analysis of built pods: the streams' summaries (their own counts and warnings, with what
/// their events added: [`partial::Tally`]), coverage, attribution and the sources absent.
fn describe(
    built: Built,
    streams: &[partial::StreamPart],
    tallies: Vec<partial::Tally>,
    skipped: Vec<input::Skipped>,
    clocks: ClockReport,
    duplicate_events: usize,
    opts: &AnalyzeOptions,
) -> Analysis {
    let Built {
        pods,
        services,
        skew,
        orphans,
    } = built;
    let mut totals: BTreeMap<Component, Counts> = BTreeMap::new();
    let mut warnings = Vec::new();
    let mut warning_count = 0;
    let mut summaries = Vec::with_capacity(streams.len());
    for (s, t) in streams.iter().zip(tallies) {
        let mut counts = s.base.counts.clone();
        let mut stream_warnings: Vec<input::Warning> = s
            .base
            .warnings
            .iter()
            .map(|w| w.warning(&s.base.display))
            .collect();
        let mut stream_warning_count = s.base.warning_count;
        // A line whose time cannot exist was read but is not usable: counted as unparsed,
        // warned.
        let mut lines = std::collections::HashSet::new();
        for w in &t.rejected {
            // A line with several events is moved once.
            if lines.insert((w.component, w.line)) {
                let c = counts.entry(w.component).or_default();
                if c.recognised > 0 {
                    c.recognised -= 1;
                    c.unparsed += 1;
                }
            }
            stream_warning_count += 1;
            if stream_warnings.len() < opts.read.keep_warnings {
                stream_warnings.push(w.warning(&s.base.display));
            }
        }
        for (c, n) in &counts {
            totals.entry(*c).or_default().add(n);
        }
        let first_warnings: Vec<input::Warning> = stream_warnings.iter().take(5).cloned().collect();
        warnings.append(&mut stream_warnings);
        warning_count += stream_warning_count;
        summaries.push(FileSummary {
            path: s.base.display.clone(),
            format: if s.base.skipped.is_some() {
                "skipped".into()
            } else {
                s.base.format.clone()
            },
            skipped: s.base.skipped.as_ref().map(ToString::to_string),
            error: s.base.error.clone(),
            hosts: s.base.hosts.clone(),
            counts,
            warnings: stream_warning_count,
            first_warnings,
            time_range: t.range,
            events: t.events,
        });
    }
    let coverage = timeline::diagnose::coverage(&pods);
    let attribution = timeline::diagnose::attribute(&pods);
    let mut absent_sources = absent_sources(&totals);
    // Kubelets before 1.26 never write their startup figure: said once for the run, not
    // guessed from other lines.
    let kubelet_saw_pods = pods.iter().any(|p| {
        p.milestones
            .get(&timeline::Ms::KubeletSeen)
            .is_some_and(|m| m.source == Component::Kubelet)
    });
    if kubelet_saw_pods && pods.iter().all(|p| p.kubelet.is_none()) {
        absent_sources.push(AbsentSource {
            source: "kubelet-startup",
            unavailable: "kubelet_e2e and the kubelet's own SLI unavailable; startup_e2e and startup_sli come from podtrace's milestones alone",
            hint: "kubelets before 1.26 do not write it; from 1.26 on it is logged at the default verbosity when a pod first runs",
        });
    }
    Analysis {
        absent_sources,
        services,
        coverage,
        attribution,
        pods,
        files: summaries,
        skipped,
        totals,
        clocks,
        warnings,
        warning_count,
        orphan_events: orphans,
        duplicate_events,
        skew,
    }
}

/// One partition's share of a split build (`build --facts`): its pods, built with the whole
/// run's skew and time range, and what its events add to each stream's summary.
pub fn partition_partial(
    reports: Vec<input::FileReport>,
    skipped: Vec<input::Skipped>,
    opts: &AnalyzeOptions,
) -> partial::Partial {
    let mut stage = stages();
    let mut run = join_reports(reports, opts, &mut stage);
    let built = build_pods(&mut run, opts, &mut stage);
    partial::Partial::new(run.streams, skipped, run.clocks, run.duplicates, built)
}

/// [`partition_partial`] of the events files under `paths` (a partition's folder).
pub fn partition_partial_of(paths: &[PathBuf], opts: &AnalyzeOptions) -> partial::Partial {
    let (files, mut skipped) = input::discover(paths);
    let (reports, walked) = input::read_inputs(&files, &opts.read);
    skipped.extend(walked);
    partition_partial(reports, skipped, opts)
}

/// The analysis of a split build: every partition's [`partial::Partial`] merged, what one
/// analysis of all the events gives.
pub fn merge_partials(
    parts: Vec<partial::Partial>,
    opts: &AnalyzeOptions,
) -> anyhow::Result<Analysis> {
    let m = partial::merge(parts)?;
    Ok(describe(
        m.built,
        &m.streams,
        m.tallies,
        m.skipped,
        m.clocks,
        m.duplicate_events,
        opts,
    ))
}

/// Drops events that another file already gave: same time, host, component and content, from a
/// different file (kind's `journal.log` holds every line of `kubelet.log` and `containerd.log`;
/// rotated files overlap). The copy from the first file in input order is kept.
fn dedupe(events: &mut Vec<event::Event>) {
    // A stable sort of the events themselves would allocate scratch for half of them (tens of
    // MB); their positions are sorted instead and the events moved once, in place.
    // Ties (several events of one line) keep their order: the position breaks them, which is
    // the stable sort's order without its scratch.
    let mut order: Vec<usize> = (0..events.len()).collect();
    order.sort_unstable_by(|&i, &j| {
        let (a, b) = (&events[i], &events[j]);
        (a.t, a.component, &a.host, a.evidence, i).cmp(&(b.t, b.component, &b.host, b.evidence, j))
    });
    timeline::build::permute(events, order);
    // In place (kept events are compacted to the front), so no second copy of every event.
    let mut w = 0;
    let mut group_start = 0;
    for r in 0..events.len() {
        if w > 0 {
            let last = &events[w - 1];
            let e = &events[r];
            if (last.t, last.component, &last.host) != (e.t, e.component, &e.host) {
                group_start = w;
            }
        }
        let e = &events[r];
        let dup = events[group_start..w].iter().any(|k| {
            k.evidence.file != e.evidence.file && k.kind == e.kind && k.raw_time == e.raw_time
        });
        if !dup {
            events.swap(w, r);
            w += 1;
        }
    }
    events.truncate(w);
    events.shrink_to_fit();
}
