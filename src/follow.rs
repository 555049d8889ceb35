//! `podtrace follow`: timelines as logs are written.
//!
//! Every tick the [`Tailer`] reads what was appended; the events still held are analysed as
//! `analyze` would analyse them ([`crate::analyze_reports`]), and each pod is emitted once it is
//! complete (ready, and programmed by the kube-proxy of every node seen) or has settled (no new
//! milestone for `settle` of wall time: how long a line may lag behind the others is a matter of
//! wall time, whatever the logs' own times say). A pod emitted once is remembered by its
//! milestone names: a later line that gives it a new milestone produces an update, never a
//! silent drop, and never a second pod record.
//!
//! Memory holds the in-flight pods' events and those of the last `settle`: events are dropped
//! once every pod that could still need them is emitted ([`Engine::keep_from`]).

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::event::Component;
use crate::input::live::Tailer;
use crate::timeline::{Ms, PodTimeline};
use crate::{Analysis, AnalyzeOptions};

#[derive(Debug, Clone)]
pub struct FollowOptions {
    pub analyze: AnalyzeOptions,
    /// A pod with no new milestone for this long (wall time, or log time) is emitted as it is.
    pub settle: Duration,
    /// Emitted pods are remembered this long (wall time) so that late lines update them.
    pub remember: Duration,
    /// How often files are polled.
    pub interval: Duration,
    /// Stop once nothing was read for this long and no pod is in flight.
    pub exit_when_idle: Option<Duration>,
    /// Start at the end of the files present at the start.
    pub from_end: bool,
    /// Stdin's name in evidence, and the path its hints come from.
    pub stdin_name: Option<PathBuf>,
}

impl Default for FollowOptions {
    fn default() -> Self {
        FollowOptions {
            analyze: AnalyzeOptions::default(),
            settle: Duration::from_secs(30),
            remember: Duration::from_secs(600),
            interval: Duration::from_millis(250),
            exit_when_idle: None,
            from_end: false,
            stdin_name: None,
        }
    }
}

/// Why a pod was emitted when it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// Ready, and programmed on every node whose kube-proxy was seen.
    Complete,
    /// No new milestone for `settle`.
    Settled,
    /// The run ended (input closed, idle, interrupted) with the pod still in flight.
    End,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Complete => "complete",
            Reason::Settled => "settled",
            Reason::End => "end",
        }
    }
}

/// What the run tells its output.
#[derive(Debug)]
pub enum Emit {
    /// A pod's timeline, the first and only time it is emitted as a pod.
    Pod {
        pod: Box<PodTimeline>,
        reason: Reason,
    },
    /// Lines read after the pod was emitted gave it new milestones (`added`: their names,
    /// `programmed:<node>` for a node's programming, `<container>/<milestone>` for a
    /// container's). `whole`: `pod` is its whole timeline again (every line it was built from
    /// was still held); otherwise `pod` was rebuilt from the late lines alone and only `added`
    /// is new.
    Update {
        pod: Box<PodTimeline>,
        added: Vec<String>,
        whole: bool,
    },
}

/// What a pod in flight is known by between ticks.
struct Flight {
    /// The tick the pod first showed up in.
    first_tick: u64,
    first_seen: Instant,
    /// When its set of milestones last grew.
    changed: Instant,
    keys: usize,
}

/// An emitted pod: its milestone names (hashed: 8 bytes each, for memory that stays flat over
/// hours of pods remembered), to tell what a late line adds.
struct Emitted {
    namespace: String,
    name: String,
    uid: Option<String>,
    keys: Vec<u64>,
    at: Instant,
    /// The tick it was emitted in.
    tick: u64,
    /// Not shown (it started before a run read from the end): its updates are not either.
    hidden: bool,
}

fn hashed(keys: &BTreeSet<String>) -> Vec<u64> {
    let mut v: Vec<u64> = keys.iter().map(|k| key_hash(k)).collect();
    v.sort_unstable();
    v
}

fn key_hash(k: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    k.hash(&mut h);
    h.finish()
}

/// Counts for the status line and the summary.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Tally {
    pub complete: u64,
    pub settled: u64,
    pub at_end: u64,
    pub updates: u64,
    /// Updates rebuilt from late lines alone (the pod's first lines were no longer held).
    pub partial_updates: u64,
    pub in_flight: usize,
    /// With `from_end`: pods whose start was before the run (no pod create in the audit log, no
    /// "SyncLoop ADD"), not emitted.
    pub started_before: u64,
    /// The slowest `time_to_ready` emitted so far: (seconds, pod).
    pub slowest: Option<(f64, String)>,
}

/// Decides, tick by tick, which pods are emitted.
pub struct Engine {
    settle: Duration,
    remember: Duration,
    settle_ticks: u64,
    flights: HashMap<String, Flight>,
    emitted: Vec<Emitted>,
    started: Instant,
    only_new: bool,
    /// uid → index in `emitted`; `namespace/name` → indices.
    by_uid: HashMap<String, usize>,
    by_name: HashMap<String, Vec<usize>>,
    pub tally: Tally,
}

fn key(p: &PodTimeline) -> String {
    match &p.uid {
        Some(u) => u.clone(),
        None => format!("{}/{}", p.namespace, p.name),
    }
}

/// The milestone a name of [`milestone_keys`] stands for.
fn milestone_by_key<'a>(p: &'a PodTimeline, k: &str) -> Option<&'a crate::timeline::Milestone> {
    if let Some(node) = k.strip_prefix("programmed:") {
        return p.programmed.get(node);
    }
    if let Some((c, m)) = k.split_once('/') {
        let c = p.containers.iter().find(|x| x.name == c)?;
        return c
            .milestones
            .iter()
            .find(|(ms, _)| ms.as_str() == m)
            .map(|x| x.1);
    }
    p.milestones
        .iter()
        .find(|(ms, _)| ms.as_str() == k)
        .map(|x| x.1)
}

/// The names of everything a pod's timeline holds: its milestones, each node's programming,
/// each container's milestones.
pub fn milestone_keys(p: &PodTimeline) -> BTreeSet<String> {
    let mut k: BTreeSet<String> = p.milestones.keys().map(|m| m.as_str().to_owned()).collect();
    for n in p.programmed.keys() {
        k.insert(format!("programmed:{n}"));
    }
    for c in &p.containers {
        for m in c.milestones.keys() {
            k.insert(format!("{}/{}", c.name, m.as_str()));
        }
    }
    k
}

impl Engine {
    pub fn new(o: &FollowOptions) -> Engine {
        let ticks = o.settle.as_nanos() / o.interval.as_nanos().max(1);
        Engine {
            settle: o.settle,
            remember: o.remember,
            settle_ticks: ticks.max(1) as u64,
            flights: HashMap::new(),
            emitted: Vec::new(),
            started: Instant::now(),
            only_new: o.from_end,
            by_uid: HashMap::new(),
            by_name: HashMap::new(),
            tally: Tally::default(),
        }
    }

    fn find_emitted(&self, p: &PodTimeline) -> Option<usize> {
        if let Some(u) = &p.uid {
            if let Some(i) = self.by_uid.get(u) {
                return Some(*i);
            }
        }
        let name = format!("{}/{}", p.namespace, p.name);
        let found = self.by_name.get(&name)?;
        // A pod known by name only is the emitted one of that name; a pod with a uid is that
        // pod only if the emitted one had none (a pod recreated under its name is new).
        found
            .iter()
            .rev()
            .copied()
            .find(|i| p.uid.is_none() || self.emitted[*i].uid.is_none())
    }

    /// The nodes whose kube-proxy wrote something the run read: a complete pod is programmed
    /// on each.
    fn proxy_nodes(a: &Analysis) -> BTreeSet<String> {
        a.files
            .iter()
            .filter(|f| {
                f.counts
                    .get(&Component::KubeProxy)
                    .is_some_and(|c| c.recognised > 0)
            })
            .flat_map(|f| f.hosts.iter().cloned())
            .filter(|h| h != "control-plane")
            .collect()
    }

    /// `warm`: the run is younger than `settle`; a source not seen yet may still come (its file
    /// not written to yet), so its milestones are waited for.
    fn complete(p: &PodTimeline, proxies: &BTreeSet<String>, audit: bool, warm: bool) -> bool {
        if warm && (proxies.is_empty() || !audit) {
            return false;
        }
        // Seen by the API and by the node: a pod only the runtime has shown yet (its kubelet's
        // lines not read yet) is not complete, whatever its `ready` fallback says.
        if ![Ms::Created, Ms::KubeletSeen, Ms::Ready]
            .iter()
            .all(|m| p.milestones.contains_key(m))
        {
            return false;
        }
        if audit && !p.milestones.contains_key(&Ms::ReadyReported) {
            return false;
        }
        if proxies.is_empty() {
            return true;
        }
        p.milestones.contains_key(&Ms::EndpointsUpdated)
            && proxies
                .iter()
                .all(|n| p.programmed.contains_key(n.as_str()))
    }

    /// One analysis: what to emit now. `end`: the run stops, every pod in flight goes.
    /// `read_at` says in which tick a line (file as named in evidence, line) was read: an
    /// emitted pod is updated only by milestones read after it was emitted. (A rebuild can also
    /// differ because lines it shared with pods emitted long ago were dropped: an image pull
    /// joined by node and time to another pod once its owner's sandbox lines are gone. That is
    /// no news, and is not said.)
    pub fn step(
        &mut self,
        a: Analysis,
        tick: u64,
        now: Instant,
        end: bool,
        read_at: &dyn Fn(&str, u32) -> Option<u64>,
    ) -> Vec<Emit> {
        let proxies = Self::proxy_nodes(&a);
        let audit = a
            .totals
            .get(&Component::Audit)
            .is_some_and(|c| c.recognised > 0);
        let warm = now.duration_since(self.started) < self.settle;
        let mut out = Vec::new();
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let mut ready: Vec<(PodTimeline, Reason)> = Vec::new();
        for p in a.pods {
            let keys = milestone_keys(&p);
            if let Some(i) = self.find_emitted(&p) {
                let e = &mut self.emitted[i];
                let late = |k: &str| {
                    milestone_by_key(&p, k).is_some_and(|m| {
                        read_at(&m.evidence.file, m.evidence.line).is_some_and(|t| t > e.tick)
                    })
                };
                let added: Vec<String> = keys
                    .iter()
                    .filter(|k| e.keys.binary_search(&key_hash(k)).is_err() && late(k))
                    .cloned()
                    .collect();
                if !added.is_empty() {
                    let mine = hashed(&keys);
                    let whole = e.keys.iter().all(|k| mine.binary_search(k).is_ok());
                    e.keys.extend(added.iter().map(|k| key_hash(k)));
                    e.keys.sort_unstable();
                    e.keys.dedup();
                    if e.hidden {
                        continue;
                    }
                    self.tally.updates += 1;
                    if !whole {
                        self.tally.partial_updates += 1;
                    }
                    out.push(Emit::Update {
                        pod: Box::new(p),
                        added,
                        whole,
                    });
                }
                continue;
            }
            let k = key(&p);
            seen.insert(k.clone());
            let f = self.flights.entry(k).or_insert(Flight {
                first_tick: tick,
                first_seen: now,
                changed: now,
                keys: 0,
            });
            if keys.len() != f.keys {
                f.keys = keys.len();
                f.changed = now;
            }
            let reason = if Self::complete(&p, &proxies, audit, warm) {
                Some(Reason::Complete)
            } else if now.duration_since(f.changed) >= self.settle
                // Stuck for ten settle times while still gaining milestones: said as it is.
                || now.duration_since(f.first_seen) >= self.settle * 10
            {
                Some(Reason::Settled)
            } else if end {
                Some(Reason::End)
            } else {
                None
            };
            if let Some(r) = reason {
                ready.push((p, r));
            }
        }
        // A pod no longer in the analysis under its key (it gained a uid) is in flight under
        // its new key.
        self.flights.retain(|k, _| seen.contains(k));
        ready.sort_by(|a, b| {
            (a.0.first_time(), &a.0.namespace, &a.0.name).cmp(&(
                b.0.first_time(),
                &b.0.namespace,
                &b.0.name,
            ))
        });
        for (p, reason) in ready {
            self.flights.remove(&key(&p));
            // Read from the end: a pod already running when the run began shows only its later
            // lines (probes, status); it is remembered, so that it never shows, and counted.
            let began_in_view = p.milestones.contains_key(&Ms::Requested)
                || p.milestones
                    .get(&Ms::KubeletSeen)
                    .is_some_and(|m| m.derived.is_none());
            let shown = !self.only_new || began_in_view;
            match reason {
                _ if !shown => self.tally.started_before += 1,
                Reason::Complete => self.tally.complete += 1,
                Reason::Settled => self.tally.settled += 1,
                Reason::End => self.tally.at_end += 1,
            }
            if let Some(v) = p
                .phases
                .get(&crate::timeline::Phase::TimeToReady)
                .filter(|_| shown)
            {
                let s = *v as f64 / 1e9;
                if self.tally.slowest.as_ref().is_none_or(|(x, _)| s > *x) {
                    self.tally.slowest = Some((s, format!("{}/{}", p.namespace, p.name)));
                }
            }
            self.emitted.push(Emitted {
                namespace: p.namespace.clone(),
                name: p.name.clone(),
                uid: p.uid.clone(),
                keys: hashed(&milestone_keys(&p)),
                at: now,
                tick,
                hidden: !shown,
            });
            self.index(self.emitted.len() - 1);
            if shown {
                out.push(Emit::Pod {
                    pod: Box::new(p),
                    reason,
                });
            }
        }
        self.tally.in_flight = self.flights.len();
        self.forget(now);
        out
    }

    /// Emitted pods older than `remember` are forgotten (indices rebuilt).
    fn forget(&mut self, now: Instant) {
        let remember = self.remember;
        let old = self
            .emitted
            .iter()
            .take_while(|e| now.duration_since(e.at) >= remember)
            .count();
        // Rebuilt in bulk, not per pod: the maps are only rebuilt when a tenth has expired.
        if old == 0 || old * 10 < self.emitted.len() {
            return;
        }
        self.emitted.drain(..old);
        self.by_uid.clear();
        self.by_name.clear();
        for i in 0..self.emitted.len() {
            self.index(i);
        }
    }

    /// Makes the emitted pod at `i` findable by uid and by `namespace/name`.
    fn index(&mut self, i: usize) {
        let e = &self.emitted[i];
        if let Some(u) = &e.uid {
            self.by_uid.insert(u.clone(), i);
        }
        self.by_name
            .entry(format!("{}/{}", e.namespace, e.name))
            .or_default()
            .push(i);
    }

    /// Events read before this tick can be dropped: every pod in flight started later, by more
    /// than `settle` (a pod's first lines may come from a file read a little later than its
    /// others, and a late line within `settle` still finds the emitted pod's lines).
    pub fn keep_from(&self, tick: u64) -> u64 {
        let oldest = self
            .flights
            .values()
            .map(|f| f.first_tick)
            .min()
            .unwrap_or(tick);
        oldest.saturating_sub(self.settle_ticks)
    }

    /// Pods emitted and still remembered.
    pub fn remembered(&self) -> usize {
        self.emitted.len()
    }
}

/// What the loop reports each tick (for the status line).
#[derive(Debug, Clone, Default)]
pub struct Progress {
    pub lines: u64,
    pub bytes: u64,
    pub lines_per_sec: f64,
    pub held_events: usize,
    pub streams: usize,
    pub tally: Tally,
    /// Warnings read since the last report (`path:line: why`), the first few of each stream.
    pub new_warnings: Vec<crate::input::Warning>,
}

/// The end of a run, for the summary.
#[derive(Debug, Default, serde::Serialize)]
pub struct Ended {
    pub pods: u64,
    pub tally: Tally,
    pub lines: u64,
    pub bytes: u64,
    pub streams: usize,
    /// Per component: lines read, recognised, ignored, unparsed (over the whole run).
    pub totals: std::collections::BTreeMap<Component, crate::input::Counts>,
    pub warning_count: u64,
    pub first_warnings: Vec<crate::input::Warning>,
    /// Why the run stopped: `input closed`, `idle`, `interrupted`.
    pub stopped: &'static str,
}

/// Runs until the input ends, the run is idle for `exit_when_idle`, or `stop` is set. `emit`
/// gets what to output (it returns false to stop: its reader went away); `status` gets a
/// progress report after every analysis.
pub fn run(
    paths: &[PathBuf],
    o: &FollowOptions,
    stop: &std::sync::atomic::AtomicBool,
    emit: &mut dyn FnMut(Emit) -> bool,
    status: &mut dyn FnMut(&Progress),
) -> Ended {
    let mut tailer = Tailer::new(paths, o.stdin_name.as_deref(), o.from_end, &o.analyze.read);
    let mut engine = Engine::new(o);
    let mut tick: u64 = 0;
    let mut last_byte = Instant::now();
    let mut last_analysis: Option<Instant> = None;
    let mut analysis_cost = Duration::ZERO;
    let mut dirty = true;
    let mut said = 0usize;
    // Warnings of each stream passed on so far.
    let mut warned: Vec<usize> = Vec::new();
    let mut lines_before = 0u64;
    let mut rate_at = Instant::now();
    let mut progress = Progress::default();
    let stopped;
    loop {
        tick += 1;
        let started = Instant::now();
        let held: usize = tailer.streams.iter().map(|s| s.held()).sum();
        let got = tailer.poll(tick);
        // Lines held while a stream was sniffed become events without a new byte.
        if tailer.streams.iter().map(|s| s.held()).sum::<usize>() != held {
            dirty = true;
        }
        for n in &tailer.notes[said..] {
            eprintln!("podtrace follow: {}", crate::export::escape::escape(n));
        }
        said = tailer.notes.len();
        if got > 0 {
            last_byte = started;
            dirty = true;
        }
        let interrupted = stop.load(std::sync::atomic::Ordering::Relaxed);
        let closed = tailer.ended();
        let idle = o
            .exit_when_idle
            .is_some_and(|d| started.duration_since(last_byte) >= d && engine.flights.is_empty());
        let end = interrupted || closed || idle;
        if end {
            tailer.finish(tick);
        }
        // Analyses are spaced so that they take at most a fifth of the time: a large backlog
        // is read in big steps instead of re-analysed every 250 ms.
        let due = last_analysis.is_none_or(|t| started.duration_since(t) >= analysis_cost * 4);
        let settling = !engine.flights.is_empty();
        if end || (due && (dirty || settling)) {
            let a0 = Instant::now();
            let reports: Vec<_> = tailer.streams.iter().map(|s| s.snapshot()).collect();
            let analysis = crate::analyze_reports(reports, Vec::new(), &o.analyze);
            let read_at = |file: &str, line: u32| tailer.read_at(file, line);
            let emits = engine.step(analysis, tick, Instant::now(), end, &read_at);
            analysis_cost = a0.elapsed();
            last_analysis = Some(a0);
            dirty = false;
            let mut reader_gone = false;
            for e in emits {
                if !emit(e) {
                    reader_gone = true;
                    break;
                }
            }
            let keep = engine.keep_from(tick);
            for s in &mut tailer.streams {
                s.prune(keep);
            }
            if reader_gone {
                stopped = "output closed";
                break;
            }
        }
        let lines: u64 = tailer.streams.iter().map(|s| s.lines).sum();
        let dt = rate_at.elapsed().as_secs_f64();
        if dt >= 1.0 {
            progress.lines_per_sec = (lines - lines_before) as f64 / dt;
            lines_before = lines;
            rate_at = Instant::now();
        }
        progress.lines = lines;
        progress.bytes = tailer.bytes;
        progress.held_events = tailer.streams.iter().map(|s| s.held()).sum();
        progress.streams = tailer.streams.len();
        progress.tally = engine.tally.clone();
        progress.new_warnings.clear();
        warned.resize(tailer.streams.len(), 0);
        for (s, w) in tailer.streams.iter().zip(&mut warned) {
            progress
                .new_warnings
                .extend(s.rep.warnings.iter().skip(*w).cloned());
            *w = s.rep.warnings.len();
        }
        status(&progress);
        if end {
            stopped = if interrupted {
                "interrupted"
            } else if closed {
                "input closed"
            } else {
                "idle"
            };
            break;
        }
        let spent = started.elapsed();
        if spent < o.interval {
            std::thread::sleep(o.interval - spent);
        }
    }
    let mut totals: std::collections::BTreeMap<Component, crate::input::Counts> =
        Default::default();
    let mut warning_count = 0;
    let mut first_warnings = Vec::new();
    for s in &tailer.streams {
        for (c, n) in &s.rep.counts {
            totals.entry(*c).or_default().add(n);
        }
        warning_count += s.rep.warning_count;
        first_warnings.extend(s.rep.warnings.iter().take(5).cloned());
    }
    let t = &engine.tally;
    Ended {
        pods: t.complete + t.settled + t.at_end,
        tally: engine.tally.clone(),
        lines: tailer.streams.iter().map(|s| s.lines).sum(),
        bytes: tailer.bytes,
        streams: tailer.streams.len(),
        totals,
        warning_count,
        first_warnings,
        stopped,
    }
}
