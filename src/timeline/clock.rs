//! One frame of time for the whole input.
//!
//! Local stamps (klog headers, journald `short` prefixes, Calico) carry neither zone nor, often,
//! year. Each local clock — (host, component, stamp kind) — gets a UTC offset from the lines that
//! show a local and an absolute stamp side by side:
//! - a journald prefix around a containerd/CRI-O `time=…` value → the host's journal prefix;
//! - a klog header inside a CRI file or an ISO journal prefix → that component's clock directly;
//! - a klog header inside a `short` journal prefix → that clock relative to the prefix.
//!
//! Offsets are whole quarter hours (real zones are). Without evidence a clock takes the offset of
//! other clocks on its host, then `--timezone`, then UTC, and the report says which.
//!
//! The kubelet also embeds `+0000 UTC` times in "Observed pod startup duration". Where these sit
//! a whole number of quarter hours away from the line times of the same node, podtrace keeps the
//! line-time frame (which containerd's own `Z` stamps confirm) and moves the embedded values into
//! it, saying so: one consistent frame, and no offset error can leak into a phase.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::super::event::{ClockKey, ClockKind, Component, Event, EventKind, RawTime};
use crate::event::{ClockFacts, OffsetVotes};
use crate::year::nearest_year;

#[derive(Debug, Clone, Default)]
pub struct ClockOptions {
    /// `--year`: the calendar year of each file's first yearless stamp.
    pub year: Option<i32>,
    /// `--timezone`: UTC offset (seconds) of every local clock, overriding inference.
    pub timezone: Option<i32>,
    /// The year to assume when nothing in the input carries one (the caller's current year).
    pub fallback_year: i32,
}

/// How one local clock was placed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClockEntry {
    pub host: Option<String>,
    pub component: Component,
    pub kind: ClockKind,
    /// Seconds to subtract from the local reading to get UTC.
    pub offset_secs: i32,
    pub basis: String,
    /// Lines that supported the chosen offset.
    pub lines: u64,
    /// Other offsets some lines suggested (offset, lines).
    pub disagreeing: Vec<(i32, u64)>,
}

/// A kubelet whose embedded UTC times were moved into the line-time frame.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EmbeddedShift {
    pub host: Option<String>,
    pub shift_secs: i32,
    pub lines: u64,
    pub evidence: String,
    pub note: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct YearEntry {
    pub file: String,
    pub year: i32,
    pub basis: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ClockReport {
    pub clocks: Vec<ClockEntry>,
    pub embedded_shifts: Vec<EmbeddedShift>,
    /// Only the files whose year was not in the file itself.
    pub years: Vec<YearEntry>,
    pub inconsistent_stamps: u64,
}

fn merge(into: &mut BTreeMap<ClockKey, OffsetVotes>, from: &BTreeMap<ClockKey, OffsetVotes>) {
    for (k, votes) in from {
        let e = into.entry(k.clone()).or_default();
        for (off, (n, ev)) in votes {
            let slot = e.entry(*off).or_insert((0, *ev));
            slot.0 += n;
            slot.1 = slot.1.min(*ev);
        }
    }
}

/// The most supported offset, its support (lines), and the other offsets with theirs.
type Mode = (i32, u64, Vec<(i32, u64)>);

fn mode(v: &OffsetVotes) -> Option<Mode> {
    let (&best, &(n, _)) = v.iter().max_by_key(|(off, (n, _))| (*n, -(off.abs())))?;
    let others = v
        .iter()
        .filter(|(o, _)| **o != best)
        .map(|(o, (n, _))| (*o, *n))
        .collect();
    Some((best, n, others))
}

pub fn fmt_offset(secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.abs();
    format!("{sign}{:02}:{:02}", a / 3600, (a / 60) % 60)
}

/// The resolved frame: base years per file and offsets per clock.
pub struct Frame {
    base_year: HashMap<u32, i32>,
    offsets: HashMap<ClockKey, i32>,
    host_default: HashMap<Option<Arc<str>>, i32>,
    default_offset: i32,
    shifts: HashMap<Option<Arc<str>>, i32>,
}

impl Frame {
    fn offset(&self, key: &ClockKey) -> i32 {
        if let Some(o) = self.offsets.get(key) {
            return *o;
        }
        *self
            .host_default
            .get(&key.host)
            .unwrap_or(&self.default_offset)
    }

    /// UTC nanoseconds of a raw time read in `file` on `host`; an error (what is wrong, for a
    /// warning) when its civil reading has no instant in the year it falls in.
    pub fn resolve(
        &self,
        raw: &RawTime,
        file: u32,
        host: &Option<Arc<str>>,
    ) -> Result<i64, String> {
        match raw {
            RawTime::Abs(i) => Ok(i.unix_nanos),
            RawTime::Local {
                civil,
                year_rel,
                clock,
                clock_component,
            } => {
                let year = civil.year.unwrap_or_else(|| {
                    self.base_year.get(&file).copied().unwrap_or(1970) + year_rel
                });
                let key = ClockKey {
                    host: host.clone(),
                    component: *clock_component,
                    kind: *clock,
                };
                let offset = self.offset(&key) as i64 * 1_000_000_000;
                civil
                    .to_unix_nanos(year)
                    .and_then(|t| t.checked_sub(offset))
                    .ok_or_else(|| impossible(civil, year))
            }
        }
    }
}

/// Why a yearless reading has no instant: the day is not in that year, or the year is outside
/// what podtrace's nanosecond times hold.
fn impossible(c: &podtrace_parsers::time::Civil, year: i32) -> String {
    if !podtrace_parsers::time::YEARS.contains(&year) {
        format!(
            "time in year {year}, outside {}–{} (nanoseconds since 1970 in 64 bits): event dropped",
            podtrace_parsers::time::YEARS.start(),
            podtrace_parsers::time::YEARS.end()
        )
    } else {
        format!(
            "{:02}-{:02} does not exist in {year}: event dropped",
            c.month, c.day
        )
    }
}

/// One file as the clock resolution sees it: what it says about clocks, and its events, whose
/// `t` is filled in.
pub struct ClockInput<'a> {
    pub id: crate::event::FileId,
    pub display: &'a str,
    pub facts: &'a ClockFacts,
    pub events: &'a mut Vec<Event>,
    /// Events whose time cannot exist (Feb 29 of a common year, a year beyond 2261) are dropped
    /// and each becomes a warning here, `path:line`.
    /// Whether each was an event every partition of a split build holds (`partition::shared`).
    pub rejected: Vec<(crate::event::Component, crate::input::Warning, bool)>,
}

/// Resolves every clock and fills `Event::t` for all events of all files.
pub fn resolve(
    reports: &mut [ClockInput<'_>],
    opts: &ClockOptions,
    display: &dyn Fn(u32, u32) -> String,
) -> ClockReport {
    let mut out = ClockReport::default();
    let mut direct = BTreeMap::new();
    let mut vs_prefix = BTreeMap::new();
    for r in reports.iter() {
        merge(&mut direct, &r.facts.direct);
        merge(&mut vs_prefix, &r.facts.vs_prefix);
        out.inconsistent_stamps += r.facts.inconsistent_stamps;
    }

    // 1. Offsets.
    let mut offsets: HashMap<ClockKey, i32> = HashMap::new();
    let mut all_keys: Vec<ClockKey> = Vec::new();
    for r in reports.iter() {
        for e in r.events.iter() {
            if let RawTime::Local {
                clock,
                clock_component,
                ..
            } = e.raw_time
            {
                all_keys.push(ClockKey {
                    host: e.host.clone(),
                    component: clock_component,
                    kind: clock,
                });
            }
        }
        all_keys.extend(r.facts.direct.keys().cloned());
        all_keys.extend(r.facts.vs_prefix.keys().cloned());
    }
    all_keys.sort();
    all_keys.dedup();
    let mut entries: BTreeMap<ClockKey, ClockEntry> = BTreeMap::new();
    let entry =
        |k: &ClockKey, off: i32, basis: String, lines: u64, dis: Vec<(i32, u64)>| ClockEntry {
            host: k.host.as_deref().map(str::to_owned),
            component: k.component,
            kind: k.kind,
            offset_secs: off,
            basis,
            lines,
            disagreeing: dis,
        };
    if let Some(tz) = opts.timezone {
        for k in &all_keys {
            offsets.insert(k.clone(), tz);
            entries.insert(
                k.clone(),
                entry(k, tz, format!("--timezone {}", fmt_offset(tz)), 0, vec![]),
            );
        }
    } else {
        // Journal prefixes first: record clocks seen inside them hang off them.
        for k in all_keys
            .iter()
            .filter(|k| k.kind == ClockKind::JournalPrefix)
        {
            if let Some((off, n, dis)) = direct.get(k).and_then(mode) {
                offsets.insert(k.clone(), off);
                entries.insert(
                    k.clone(),
                    entry(
                        k,
                        off,
                        "journal prefix next to the runtime's own time=… stamps".into(),
                        n,
                        dis,
                    ),
                );
            }
        }
        for k in all_keys.iter().filter(|k| k.kind == ClockKind::Record) {
            if let Some((off, n, dis)) = direct.get(k).and_then(mode) {
                offsets.insert(k.clone(), off);
                entries.insert(
                    k.clone(),
                    entry(
                        k,
                        off,
                        "local stamp next to a zoned envelope stamp".into(),
                        n,
                        dis,
                    ),
                );
                continue;
            }
            let prefix_key = ClockKey {
                host: k.host.clone(),
                component: Component::Other,
                kind: ClockKind::JournalPrefix,
            };
            if let (Some((rel, n, dis)), Some(p)) = (
                vs_prefix.get(k).and_then(mode),
                offsets.get(&prefix_key).copied(),
            ) {
                offsets.insert(k.clone(), p + rel);
                let basis = if rel == 0 {
                    "agrees with the journal prefix".to_owned()
                } else {
                    format!(
                        "journal prefix {} {}",
                        if rel > 0 { "+" } else { "-" },
                        fmt_offset(rel.abs())
                    )
                };
                entries.insert(k.clone(), entry(k, p + rel, basis, n, dis));
            }
        }
    }
    // Host defaults: the offset most clocks of the host use.
    let mut per_host: HashMap<Option<Arc<str>>, BTreeMap<i32, u64>> = HashMap::new();
    for (k, off) in &offsets {
        *per_host
            .entry(k.host.clone())
            .or_default()
            .entry(*off)
            .or_default() += 1;
    }
    let host_default: HashMap<Option<Arc<str>>, i32> = per_host
        .into_iter()
        .filter_map(|(h, m)| {
            m.into_iter()
                .max_by_key(|(o, n)| (*n, -(o.abs())))
                .map(|(o, _)| (h, o))
        })
        .collect();
    let default_offset = opts.timezone.unwrap_or(0);
    for k in &all_keys {
        if entries.contains_key(k) {
            continue;
        }
        let (off, basis) = match host_default.get(&k.host) {
            Some(o) => (*o, "no direct evidence; the host's other clocks".to_owned()),
            None => (
                default_offset,
                "no evidence on this host; assumed UTC (pass --timezone to set it)".to_owned(),
            ),
        };
        // A journal prefix that only framed lines whose own stamps were used needs no entry.
        entries.insert(k.clone(), entry(k, off, basis, 0, vec![]));
    }
    out.clocks = entries.into_values().collect();

    // 2. Years.
    let mut base_year = HashMap::new();
    let global_anchor = reports.iter().find_map(|r| r.facts.year.first_anchor);
    for r in reports.iter() {
        let Some((first, rel)) = r.facts.year.first_local else {
            continue;
        };
        let (year, basis) = if let Some(y) = opts.year {
            (y - rel, "--year".to_owned())
        } else if let Some(b) = r.facts.year.base {
            (b, String::new())
        } else if let Some(a) = reports
            .iter()
            .filter(|o| o.facts.hosts.iter().any(|h| r.facts.hosts.contains(h)))
            .find_map(|o| o.facts.year.first_anchor)
        {
            (
                nearest_year(&first, a) - rel,
                "another file of the same host carries a year".to_owned(),
            )
        } else if let Some(a) = global_anchor {
            (
                nearest_year(&first, a) - rel,
                "another file of the input carries a year".to_owned(),
            )
        } else {
            (
                opts.fallback_year - rel,
                format!(
                    "nothing in the input carries a year; assumed {} (pass --year)",
                    opts.fallback_year
                ),
            )
        };
        base_year.insert(r.id, year);
        if !basis.is_empty() {
            out.years.push(YearEntry {
                file: r.display.to_owned(),
                year: year + rel,
                basis,
            });
        }
    }

    let mut frame = Frame {
        base_year,
        offsets,
        host_default,
        default_offset,
        shifts: HashMap::new(),
    };

    // 3. Embedded kubelet times vs line times.
    let mut shift_votes: BTreeMap<Option<Arc<str>>, OffsetVotes> = BTreeMap::new();
    for r in reports.iter() {
        for o in &r.facts.embedded {
            let raw = RawTime::Local {
                civil: o.header,
                year_rel: o.year_rel,
                clock: o.key.kind,
                clock_component: o.key.component,
            };
            let Ok(line_utc) = frame.resolve(&raw, r.id, &o.key.host) else {
                continue;
            };
            let diff_ms = (line_utc - o.embedded.unix_nanos).div_euclid(1_000_000);
            let q = (diff_ms as f64 / 900_000.0).round() as i64;
            if (diff_ms - q * 900_000).abs() <= 5_000 {
                let slot = shift_votes
                    .entry(o.key.host.clone())
                    .or_default()
                    .entry((q * 900) as i32)
                    .or_insert((0, o.evidence));
                slot.0 += 1;
            }
        }
    }
    for (host, votes) in shift_votes {
        let Some((shift, n, _)) = mode(&votes) else {
            continue;
        };
        if shift == 0 {
            continue;
        }
        let ev = votes[&shift].1;
        let h = host.as_deref().unwrap_or("(unknown host)").to_owned();
        out.embedded_shifts.push(EmbeddedShift {
            host: host.as_deref().map(str::to_owned),
            shift_secs: shift,
            lines: n,
            evidence: display(ev.file, ev.line),
            note: format!(
                "{h}: the kubelet's embedded \"+0000 UTC\" times sit {} away from its line times ({n} line(s), e.g. {}); \
                 podtrace keeps the line-time frame, which the runtime's own zoned stamps confirm, and moves the \
                 embedded times {} into it. Which of the two is true UTC cannot be told from this node alone.",
                fmt_offset(shift),
                display(ev.file, ev.line),
                fmt_offset(shift)
            ),
        });
        frame.shifts.insert(host, shift);
    }

    // 4. Every event's time.
    for r in reports.iter_mut() {
        let id = r.id;
        let mut rejected = Vec::new();
        r.events
            .retain_mut(|e| match frame.resolve(&e.raw_time, id, &e.host) {
                Ok(t) => {
                    e.t = t;
                    shift_embedded(&frame, e);
                    true
                }
                Err(why) => {
                    let w = crate::input::Warning::new(
                        r.display,
                        e.evidence.line,
                        crate::input::WarningKind::ImpossibleTime(why),
                    );
                    rejected.push((e.component, w, crate::timeline::partition::shared(&e.kind)));
                    false
                }
            });
        r.rejected = rejected;
    }
    out
}

/// Moves every `+0000 UTC` value the kubelet embedded into the line-time frame (creation too:
/// the kubelet prints all of them in the same frame).
fn shift_embedded(frame: &Frame, e: &mut Event) {
    let Some(&shift) = frame.shifts.get(&e.host) else {
        return;
    };
    let shift = shift as i64 * 1_000_000_000;
    if let EventKind::Startup { startup, .. } = &mut e.kind {
        if let Some(c) = startup.creation.as_mut() {
            c.unix_nanos = c.unix_nanos.saturating_add(shift);
        }
        for i in startup.node_clock_times_mut() {
            i.unix_nanos = i.unix_nanos.saturating_add(shift);
        }
    }
}

pub use fmt_offset as format_offset;
