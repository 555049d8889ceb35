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
    let (files, skipped) = input::discover(paths);
    analyze_files(files, skipped, opts)
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
    mut reports: Vec<input::FileReport>,
    skipped: Vec<input::Skipped>,
    opts: &AnalyzeOptions,
) -> Analysis {
    let mut stage = stages();
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
    // A line whose time cannot exist was read but is not usable: counted as unparsed, warned.
    for (r, rejected) in reports.iter_mut().zip(rejected) {
        let mut lines = std::collections::HashSet::new();
        for (component, w) in rejected {
            // A line with several events is moved once.
            if lines.insert((component, w.line)) {
                let c = r.counts.entry(component).or_default();
                if c.recognised > 0 {
                    c.recognised -= 1;
                    c.unparsed += 1;
                }
            }
            r.warning_count += 1;
            if r.warnings.len() < opts.read.keep_warnings {
                r.warnings.push(w);
            }
        }
    }
    stage("clocks");

    let mut totals: BTreeMap<Component, Counts> = BTreeMap::new();
    let mut warnings = Vec::new();
    let mut warning_count = 0;
    let mut summaries = Vec::with_capacity(reports.len());
    // Sized once: growing by doubling would hold up to twice the events at the peak (each is
    // 120 bytes, and they are most of the run's memory).
    let mut events = Vec::with_capacity(reports.iter().map(|r| r.events.len()).sum::<usize>());
    for r in &mut reports {
        for (c, n) in &r.counts {
            totals.entry(*c).or_default().add(n);
        }
        let time_range = r
            .events
            .iter()
            .map(|e| e.t)
            .min()
            .zip(r.events.iter().map(|e| e.t).max());
        let n_events = r.events.len();
        let first_warnings: Vec<input::Warning> = r.warnings.iter().take(5).cloned().collect();
        warnings.append(&mut r.warnings);
        warning_count += r.warning_count;
        // Move the events out and free this file's buffer now, not when `reports` goes.
        events.append(&mut std::mem::take(&mut r.events));
        summaries.push(FileSummary {
            path: r.display.clone(),
            format: if r.skipped.is_some() {
                "skipped".into()
            } else {
                r.format.to_owned()
            },
            skipped: r.skipped.as_ref().map(ToString::to_string),
            error: r.error.clone(),
            hosts: r.facts.hosts.iter().map(|h| h.to_string()).collect(),
            counts: r.counts.clone(),
            warnings: r.warning_count,
            first_warnings,
            time_range,
            events: n_events,
        });
    }
    stage("merge");
    let duplicate_events = dedupe(&mut events);
    stage("dedupe");
    let mut joined = timeline::join::join(&events);
    stage("join");
    // One clock: each node's skew from causal pairs, its events moved onto the apiserver's
    // clock and joined again, before the one build.
    let (skew, shifts) = if opts.no_skew_correction {
        Default::default()
    } else {
        // The estimate reads four events per pod instead of building every pod first: in
        // debug builds (every test run) it is held equal to the estimate from built pods.
        debug_assert_eq!(
            timeline::skew::estimate_joined(&events, &joined),
            timeline::skew::estimate(&timeline::build::build_all(&events, &joined, &names)),
            "skew estimate from joined events differs from the built pods'"
        );
        timeline::skew::correct(&mut events, &mut joined)
    };
    stage("skew");
    let mut pods = timeline::build::build_all(&events, &joined, &names);
    timeline::skew::mark(&mut pods, &shifts);
    for p in &mut pods {
        p.dominant = timeline::diagnose::dominant(p);
        timeline::build::explain_kubelet_e2e(p);
        timeline::crosscheck::kubelet_figures(p);
    }
    stage("build");
    let services = timeline::build::services(&events, &joined, &display);
    let coverage = timeline::diagnose::coverage(&pods);
    let attribution = timeline::diagnose::attribute(&pods);
    stage("services and diagnosis");
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
        orphan_events: joined.orphans.len(),
        duplicate_events,
        skew,
    }
}

/// Drops events that another file already gave: same time, host, component and content, from a
/// different file (kind's `journal.log` holds every line of `kubelet.log` and `containerd.log`;
/// rotated files overlap). The copy from the first file in input order is kept.
fn dedupe(events: &mut Vec<event::Event>) -> usize {
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
    let before = events.len();
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
    before - events.len()
}
