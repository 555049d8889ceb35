//! A partition's share of a split build (`podtrace build --facts`, docs/scale.md) and their
//! merge into the analysis one build of everything gives.
//!
//! Every partition holds every stream's row, the events all partitions need (endpoint writes,
//! kube-proxy syncs: [`crate::timeline::partition::shared`]) and the events routed to it. So
//! what a stream's events add to the summary (how many, their time range, lines whose time
//! cannot exist) is counted apart for the shared events, which every partition holds the same,
//! and the owned ones, which one partition holds: the merge adds the owned tallies of every
//! partition to the shared tally of one. Pods are built in their partition, and each partition
//! gives the same services (they read shared events only).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::event::Component;
use crate::input::{self, Counts, FileReport, SkipReason, Skipped, WarningKind};
use crate::timeline::PodTimeline;
use crate::timeline::build::ServiceView;
use crate::timeline::clock::ClockReport;
use crate::timeline::skew::HostSkew;

/// The version of [`Partial`]'s layout; a merge refuses another.
pub const VERSION: u32 = 1;

/// A warning of one stream (the stream's name is its own).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WarningRow {
    pub component: Component,
    pub line: u32,
    pub kind: WarningKind,
}

impl WarningRow {
    pub(crate) fn warning(&self, stream: &str) -> input::Warning {
        input::Warning::new(stream, self.line, self.kind.clone())
    }
}

/// What a stream's row says of it, before any event is counted: the same in every partition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamBase {
    pub display: String,
    pub format: String,
    pub skipped: Option<SkipReason>,
    pub error: Option<String>,
    pub hosts: Vec<String>,
    pub counts: BTreeMap<Component, Counts>,
    /// The warnings the reader kept (a rejected time's come after them) and their count.
    pub warnings: Vec<WarningRow>,
    pub warning_count: u64,
}

/// What some of a stream's events add to its summary.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    /// Events kept once their time was resolved.
    pub events: usize,
    /// Their first and last time.
    pub range: Option<(i64, i64)>,
    /// Events whose time cannot exist, in the stream's order (a warning each).
    pub rejected: Vec<WarningRow>,
}

impl Tally {
    /// Both tallies: rejected events in line order (those of one line say the same).
    pub fn plus(mut self, other: &Tally) -> Tally {
        self.events += other.events;
        self.range = match (self.range, other.range) {
            (Some((a, b)), Some((c, d))) => Some((a.min(c), b.max(d))),
            (x, y) => x.or(y),
        };
        self.rejected.extend(other.rejected.iter().cloned());
        self.rejected.sort_by_key(|w| w.line);
        self
    }
}

/// One stream: its row, and its events' tallies, owned and shared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamPart {
    pub base: StreamBase,
    pub owned: Tally,
    pub shared: Tally,
}

impl StreamPart {
    /// The stream's row and its events' tallies, once their times are resolved (`rejected`:
    /// events dropped for a time that cannot exist, and whether each was shared).
    pub(crate) fn of(
        r: &FileReport,
        rejected: Vec<(Component, input::Warning, bool)>,
    ) -> StreamPart {
        let base = StreamBase {
            display: r.display.clone(),
            format: r.format.to_owned(),
            skipped: r.skipped.clone(),
            error: r.error.clone(),
            hosts: r.facts.hosts.iter().map(|h| h.to_string()).collect(),
            counts: r.counts.clone(),
            warnings: r
                .warnings
                .iter()
                .map(|w| WarningRow {
                    component: Component::Other,
                    line: w.line,
                    kind: w.kind.clone(),
                })
                .collect(),
            warning_count: r.warning_count,
        };
        let (mut owned, mut shared) = (Tally::default(), Tally::default());
        for e in &r.events {
            let t = if crate::timeline::partition::shared(&e.kind) {
                &mut shared
            } else {
                &mut owned
            };
            t.events += 1;
            t.range = Some(
                t.range
                    .map_or((e.t, e.t), |(a, b)| (a.min(e.t), b.max(e.t))),
            );
        }
        for (component, w, is_shared) in rejected {
            let row = WarningRow {
                component,
                line: w.line,
                kind: w.kind,
            };
            if is_shared {
                shared.rejected.push(row);
            } else {
                owned.rejected.push(row);
            }
        }
        StreamPart {
            base,
            owned,
            shared,
        }
    }
}

/// A count split as [`Tally`] is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Split {
    pub owned: usize,
    pub shared: usize,
}

/// One partition's result (`podtrace build --facts` writes it, JSON).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Partial {
    /// [`VERSION`]; also how a file is recognised as one.
    pub podtrace_partial: u32,
    pub part: crate::timeline::partition::PartOf,
    pub streams: Vec<StreamPart>,
    pub skipped: Vec<(String, SkipReason)>,
    pub clocks: ClockReport,
    pub duplicates: Split,
    pub orphans: usize,
    pub skew: Vec<HostSkew>,
    pub services: Vec<ServiceView>,
    pub pods: Vec<PodTimeline>,
}

impl Partial {
    pub(crate) fn new(
        streams: Vec<StreamPart>,
        skipped: Vec<Skipped>,
        clocks: ClockReport,
        duplicates: Split,
        built: crate::Built,
    ) -> Partial {
        Partial {
            podtrace_partial: VERSION,
            part: Default::default(),
            streams,
            skipped: skipped.into_iter().map(|s| (s.path, s.reason)).collect(),
            clocks,
            duplicates,
            orphans: built.orphans,
            skew: built.skew,
            services: built.services,
            pods: built.pods,
        }
    }
}

/// Whether a file starts as a [`Partial`] does.
pub fn is_partial(path: &std::path::Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 20];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && &head == b"{\"podtrace_partial\":"
}

/// Reads a partition's result. Its size is bounded as any input's decompressed size is (the
/// text is held whole while parsed).
pub fn read(path: &std::path::Path) -> anyhow::Result<Partial> {
    const LIMIT: u64 = 4 << 30;
    let size = std::fs::metadata(path)?.len();
    if size > LIMIT {
        anyhow::bail!("{size} bytes, over the {LIMIT}-byte limit of a partition's result");
    }
    let text = std::fs::read(path)?;
    Ok(serde_json::from_slice(&text)?)
}

/// Partials merged: what [`crate::merge_partials`] describes.
pub(crate) struct Merged {
    pub built: crate::Built,
    pub streams: Vec<StreamPart>,
    pub tallies: Vec<Tally>,
    pub skipped: Vec<Skipped>,
    pub clocks: ClockReport,
    pub duplicate_events: usize,
}

/// Every partition's owned tallies with one partition's shared ones; the clocks every
/// partition resolved; the pods of all, in the build's order.
pub(crate) fn merge(parts: Vec<Partial>) -> anyhow::Result<Merged> {
    crate::timeline::partition::complete(parts.iter().map(|p| p.part))?;
    let Some(first) = parts.first() else {
        anyhow::bail!("no partition to merge");
    };
    for (i, p) in parts.iter().enumerate() {
        if p.podtrace_partial != VERSION {
            anyhow::bail!(
                "partition {i}: layout version {}; this podtrace merges version {VERSION}",
                p.podtrace_partial
            );
        }
        let same = p.streams.len() == first.streams.len()
            && p.streams
                .iter()
                .zip(&first.streams)
                .all(|(a, b)| a.base == b.base)
            && p.skew == first.skew
            && p.skipped == first.skipped;
        if !same {
            anyhow::bail!(
                "partition {i} was not split from the same events as partition 0 (its streams, skipped paths or skew differ)"
            );
        }
    }
    let tallies: Vec<Tally> = (0..first.streams.len())
        .map(|s| {
            parts.iter().fold(first.streams[s].shared.clone(), |t, p| {
                t.plus(&p.streams[s].owned)
            })
        })
        .collect();
    let mut clocks = first.clocks.clone();
    let mut entries = BTreeMap::new();
    for e in parts.iter().flat_map(|p| &p.clocks.clocks) {
        entries
            .entry((e.host.clone(), e.component, e.kind))
            .or_insert_with(|| e.clone());
    }
    clocks.clocks = entries.into_values().collect();
    let duplicate_events =
        first.duplicates.shared + parts.iter().map(|p| p.duplicates.owned).sum::<usize>();
    let orphans = parts.iter().map(|p| p.orphans).sum();
    let streams = first.streams.clone();
    let skipped = first
        .skipped
        .iter()
        .map(|(path, reason)| Skipped {
            path: path.clone(),
            reason: reason.clone(),
        })
        .collect();
    let (skew, services) = (first.skew.clone(), first.services.clone());
    let mut pods: Vec<PodTimeline> = parts.into_iter().flat_map(|p| p.pods).collect();
    crate::timeline::build::sort_pods(&mut pods);
    Ok(Merged {
        built: crate::Built {
            pods,
            services,
            skew,
            orphans,
        },
        streams,
        tallies,
        skipped,
        clocks,
        duplicate_events,
    })
}
