//! The human table: one block per pod (milestones, phases in ms, containers), then a summary of
//! what was read and how clocks were placed. Missing values say "missing".

use std::io::{self, Write};

use podtrace_parsers::time::format_rfc3339_nanos;

use super::escape::Controls;
use crate::Analysis;
use crate::timeline::clock::format_offset;
use crate::timeline::{MILESTONES, Ms, PHASES, Phase, PodTimeline};

fn ms(ns: i64) -> String {
    format!("{:.3}", ns as f64 / 1e6)
}

/// One pod's block. Every text that came from logs (names, evidence paths, reasons, messages)
/// is shown as `c` says: escaped, no name can forge a line of this table with a newline or send
/// the terminal an escape sequence.
pub fn write_pod(p: &PodTimeline, w: &mut dyn Write, c: Controls) -> io::Result<()> {
    let ns = if p.namespace.is_empty() {
        String::new()
    } else {
        format!("{}/", c.show(&p.namespace))
    };
    writeln!(
        w,
        "{ns}{}  uid={}  node={}  ip={}",
        c.show(&p.name),
        c.show(p.uid.as_deref().unwrap_or("missing")),
        c.show(p.node.as_deref().unwrap_or("missing")),
        c.show(p.pod_ip.as_deref().unwrap_or("missing")),
    )?;
    if let Some(s) = &p.static_pod {
        let guess = if s.heuristic { " (a guess)" } else { "" };
        writeln!(
            w,
            "  static pod{guess}: {}; its main path starts at kubelet_seen",
            c.show(&s.basis)
        )?;
    }
    let t0 = p.first_time().unwrap_or(0);
    writeln!(
        w,
        "  {:<20} {:<31} {:>12}  {:<11} {:<5} evidence",
        "milestone", "time (UTC)", "+ms", "source", "prec"
    )?;
    for name in MILESTONES {
        match p.milestones.get(&name) {
            Some(m) => {
                let derived = m
                    .derived
                    .as_deref()
                    .map(|d| format!("  [derived: {}]", c.show(d)))
                    .unwrap_or_default();
                writeln!(
                    w,
                    "  {:<20} {:<31} {:>12}  {:<11} {:<5} {}{derived}",
                    name,
                    format_rfc3339_nanos(m.t),
                    ms(m.t - t0),
                    m.source.as_str(),
                    m.precision,
                    c.show(&m.evidence.to_string())
                )?;
            }
            None => writeln!(w, "  {name:<20} missing")?,
        }
    }
    writeln!(w, "  {:<20} {:>12}", "phase", "ms")?;
    for name in PHASES
        .iter()
        .map(|(n, _, _)| *n)
        .chain(std::iter::once(Phase::StartupSli))
    {
        // What the number is worth: below its precision, left out of statistics, not applicable.
        let note = match (
            p.below_precision.get(&name),
            p.excluded.get(&name),
            p.not_applicable.get(&name),
        ) {
            (Some(b), _, _) => format!(
                "  (0 within precision, computed {} ms: {})",
                ms(b.raw_nanos),
                c.show(&b.why)
            ),
            (_, Some(why), _) => format!("  (excluded from statistics: {})", c.show(why)),
            (_, _, Some(why)) => format!("  ({})", c.show(why)),
            _ => String::new(),
        };
        match (p.phases.get(&name), p.not_applicable.contains_key(&name)) {
            (Some(d), _) => writeln!(w, "  {name:<20} {:>12}{note}", ms(*d))?,
            (None, true) => writeln!(w, "  {name:<20} {:>12}{note}", "n/a")?,
            // startup_sli is listed only where there is one (as before).
            (None, false) if name == Phase::StartupSli => {}
            (None, false) => writeln!(w, "  {name:<20} {:>12}", "missing")?,
        }
    }
    if let Some(k) = &p.kubelet {
        let e2e = k.e2e_nanos.map_or("not logged".to_owned(), ms);
        let diff = match k.e2e_difference_nanos {
            // `created` read from this very line agrees by construction: no check at all.
            Some(0)
                if p.milestones
                    .get(&Ms::Created)
                    .and_then(|m| m.derived.as_deref())
                    == Some("kubelet podCreationTimestamp") =>
            {
                "  (created is the kubelet's own podCreationTimestamp: not an independent check)"
                    .to_owned()
            }
            Some(0) => {
                "  (agrees with startup_e2e once created is truncated to seconds)".to_owned()
            }
            Some(d) => format!(
                "  (differs from startup_e2e by {} ms: {})",
                ms(d),
                c.show(k.e2e_explanation.as_deref().unwrap_or("unexplained"))
            ),
            None => String::new(),
        };
        writeln!(
            w,
            "  {:<20} {:>12}{diff}  {}",
            Phase::KubeletE2e,
            e2e,
            c.show(&k.evidence.to_string())
        )?;
    }
    if !p.services.is_empty() {
        writeln!(w, "  services: {}", c.show(&p.services.join(", ")))?;
    }
    if let Some(e) = p.milestones.get(&Ms::EndpointsUpdated) {
        for (node, m) in &p.programmed {
            writeln!(
                w,
                "  programmed on {:<25} {:>12} ms after endpoints_updated  {}",
                c.show(node),
                ms(m.t - e.t),
                c.show(&m.evidence.to_string())
            )?;
        }
        for (who, m) in &p.consumers {
            writeln!(
                w,
                "  reconfigured {:<24} {:>12} ms after endpoints_updated  {}",
                c.show(who),
                ms(m.t - e.t),
                c.show(&m.evidence.to_string())
            )?;
        }
        for node in &p.programmed_missing {
            writeln!(
                w,
                "  programmed on {:<25} missing (no kube-proxy sync logged after the write)",
                c.show(node)
            )?;
        }
    }
    for k in &p.containers {
        let phase = |n: Phase| {
            k.phases
                .get(&n)
                .map_or("missing".to_owned(), |d| format!("{} ms", ms(*d)))
        };
        writeln!(
            w,
            "  container {}: image_pull {}, create {}, start {}{}",
            c.show(&k.name),
            phase(Phase::ImagePull),
            phase(Phase::Create),
            phase(Phase::Start),
            if k.restarts > 0 {
                format!(", {} restart(s)", k.restarts)
            } else {
                String::new()
            }
        )?;
    }
    if let Some((name, d, share)) = p.dominant {
        let unmeasured = crate::timeline::diagnose::main_path_unmeasured(p);
        let of = if unmeasured == 0 {
            "of the main path".to_owned()
        } else {
            format!(
                "of the {} main-path phases measured; {unmeasured} not measured",
                crate::timeline::diagnose::MAIN_PATH.len() - unmeasured
            )
        };
        writeln!(
            w,
            "  dominant phase: {} {} ms ({:.0}% {of})",
            name.as_str(),
            ms(d),
            share * 100.0
        )?;
    }
    for f in &p.failures {
        writeln!(w, "  failure: {}", c.show(&f.to_string()))?;
    }
    for f in &p.findings {
        writeln!(w, "  FINDING: {}", c.show(&f.to_string()))?;
    }
    Ok(())
}

pub fn write(a: &Analysis, w: &mut dyn Write) -> io::Result<()> {
    write_with(a, w, false, Controls::Escaped)
}

/// `verbose`: every skipped file on its own line instead of a count per reason; `c`: how text
/// from logs shows its control characters.
pub fn write_with(a: &Analysis, w: &mut dyn Write, verbose: bool, c: Controls) -> io::Result<()> {
    for p in &a.pods {
        write_pod(p, w, c)?;
        writeln!(w)?;
    }
    write_summary(a, w, verbose, c)
}

/// Skipped files (of the walk and of reading): `path`, `reason`.
fn skipped_files(a: &Analysis) -> Vec<(&str, String)> {
    a.files
        .iter()
        .filter_map(|f| {
            f.skipped
                .as_deref()
                .map(|why| (f.path.as_str(), why.to_owned()))
        })
        .chain(
            a.skipped
                .iter()
                .map(|s| (s.path.as_str(), s.reason.to_string())),
        )
        .collect()
}

/// Skipped files: one line each with `verbose`, else one line per reason with a count and an
/// example (a support bundle can hold thousands of files podtrace does not read).
pub fn write_skipped(
    a: &Analysis,
    w: &mut dyn Write,
    verbose: bool,
    c: Controls,
) -> io::Result<()> {
    let all = skipped_files(a);
    if verbose {
        for (path, why) in &all {
            writeln!(w, "  skipped {}: {}", c.show(path), c.show(why))?;
        }
        return Ok(());
    }
    let mut by: std::collections::BTreeMap<&str, (usize, &str)> = Default::default();
    for (path, why) in &all {
        by.entry(why).or_insert((0, path)).0 += 1;
    }
    for (why, (n, example)) in by {
        let (why, example) = (c.show(why), c.show(example));
        if n == 1 {
            writeln!(w, "  skipped {example}: {why}")?;
        } else {
            writeln!(
                w,
                "  skipped {n} files: {why} (e.g. {example}; -v lists them)"
            )?;
        }
    }
    Ok(())
}

/// Sources the run had no line of, and what that costs.
pub fn write_absent(a: &Analysis, w: &mut dyn Write) -> io::Result<()> {
    // Static text (what is missing and how to collect it): nothing from logs.
    for s in &a.absent_sources {
        writeln!(w, "  {s}")?;
    }
    Ok(())
}

fn write_services(a: &Analysis, w: &mut dyn Write, c: Controls) -> io::Result<()> {
    for sv in &a.services {
        let delays: Vec<i64> = sv
            .changes
            .iter()
            .flat_map(|c| c.programmed.values().copied())
            .collect();
        let max = delays.iter().max().copied();
        let nodes: std::collections::BTreeSet<&String> = sv
            .changes
            .iter()
            .flat_map(|c| c.programmed.keys())
            .collect();
        writeln!(
            w,
            "service {}: {} EndpointSlice change(s), programmed on {} node(s), slowest node {}",
            c.show(&sv.service),
            sv.changes.len(),
            nodes.len(),
            max.map_or("missing".to_owned(), |d| format!(
                "{} ms after the write",
                ms(d)
            ))
        )?;
        for ch in sv.changes.iter().take(5) {
            let per: Vec<String> = ch
                .programmed
                .iter()
                .map(|(n, d)| format!("{} +{} ms", c.show(n), ms(*d)))
                .collect();
            writeln!(
                w,
                "  {} {} {} ready [{}]: {}{}",
                format_rfc3339_nanos(ch.t),
                c.show(&ch.verb),
                c.show(&ch.object),
                c.show(&ch.ready.join(" ")),
                if per.is_empty() {
                    "no node programmed it".to_owned()
                } else {
                    per.join(", ")
                },
                if ch.not_programmed.is_empty() {
                    String::new()
                } else {
                    format!("; unknown on {}", c.show(&ch.not_programmed.join(", ")))
                }
            )?;
        }
        if sv.changes.len() > 5 {
            writeln!(
                w,
                "  … {} more change(s) (JSON output lists all)",
                sv.changes.len() - 5
            )?;
        }
    }
    Ok(())
}

pub fn write_summary(
    a: &Analysis,
    w: &mut dyn Write,
    verbose: bool,
    c: Controls,
) -> io::Result<()> {
    write_services(a, w, c)?;
    let skipped = a.files.iter().filter(|f| f.skipped.is_some()).count() + a.skipped.len();
    writeln!(
        w,
        "summary: {} pod(s) from {} file(s){}",
        a.pods.len(),
        a.files.len(),
        if skipped > 0 {
            format!(" ({skipped} skipped)")
        } else {
            String::new()
        }
    )?;
    writeln!(
        w,
        "  {:<20} {:>10} {:>11} {:>10} {:>9}",
        "source", "lines", "recognised", "ignored", "unparsed"
    )?;
    for (c, n) in &a.totals {
        writeln!(
            w,
            "  {:<20} {:>10} {:>11} {:>10} {:>9}",
            c.as_str(),
            n.lines,
            n.recognised,
            n.ignored,
            n.unparsed
        )?;
    }
    write_skipped(a, w, verbose, c)?;
    for f in &a.files {
        if let Some(e) = &f.error {
            writeln!(w, "  incomplete {}: {}", c.show(&f.path), c.show(e))?;
        }
    }
    write_absent(a, w)?;
    let statics = a.pods.iter().filter(|p| p.static_pod.is_some()).count();
    if statics > 0 {
        let guessed = a
            .pods
            .iter()
            .filter(|p| p.static_pod.as_ref().is_some_and(|s| s.heuristic))
            .count();
        writeln!(
            w,
            "  {statics} static pod(s){}: started by the kubelet from a manifest; their API-to-node phases do not apply",
            if guessed > 0 {
                format!(" ({guessed} known by name only)")
            } else {
                String::new()
            }
        )?;
    }
    let excluded: usize = a.pods.iter().map(|p| p.excluded.len()).sum();
    if excluded > 0 {
        writeln!(
            w,
            "  {excluded} phase value(s) excluded from statistics (negative beyond precision, restart-spanning or over 24 h), marked on their pods"
        )?;
    }
    for x in &a.attribution {
        let top: Vec<String> = x
            .phases
            .iter()
            .take(3)
            .map(|(k, v)| format!("{k} {:.0}%", v * 100.0))
            .collect();
        let nodes: Vec<String> = x
            .nodes
            .iter()
            .take(3)
            .map(|(n, k)| format!("{} ({k})", c.show(n)))
            .collect();
        let images: Vec<String> = x
            .images
            .iter()
            .take(2)
            .map(|(n, k)| format!("{} ({k})", c.show(n)))
            .collect();
        writeln!(
            w,
            "{} {}: {} ms over {} pod(s){}: {}; nodes {}; images {}",
            x.percentile,
            x.measure,
            ms(x.value_nanos),
            x.pods,
            if x.excluded > 0 {
                format!(" ({} pod(s) excluded)", x.excluded)
            } else {
                String::new()
            },
            if top.is_empty() {
                "no phases".to_owned()
            } else {
                top.join(", ")
            },
            if nodes.is_empty() {
                "unknown".to_owned()
            } else {
                nodes.join(", ")
            },
            if images.is_empty() {
                "unknown".to_owned()
            } else {
                images.join(", ")
            },
        )?;
    }
    let sparse: Vec<String> = a
        .coverage
        .iter()
        .filter(|(_, c)| c.missing > 0 || c.derived > 0)
        .map(|(m, c)| format!("{m} {}/{}/{}", c.observed, c.derived, c.missing))
        .collect();
    if !sparse.is_empty() && !a.pods.is_empty() {
        writeln!(
            w,
            "coverage (observed/derived/missing) where not complete: {}",
            sparse.join(", ")
        )?;
    }
    if !a.clocks.clocks.is_empty() {
        writeln!(w, "clocks (local stamps → UTC):")?;
        for k in &a.clocks.clocks {
            writeln!(
                w,
                "  {:<36} {:<11} {:<14} {}  {} ({} line(s){})",
                c.show(k.host.as_deref().unwrap_or("(no host)")),
                if k.kind == crate::event::ClockKind::JournalPrefix {
                    "journal"
                } else {
                    k.component.as_str()
                },
                format!("{:?}", k.kind).to_lowercase(),
                format_offset(k.offset_secs),
                c.show(&k.basis),
                k.lines,
                if k.disagreeing.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; {} line(s) suggested otherwise",
                        k.disagreeing.iter().map(|(_, n)| n).sum::<u64>()
                    )
                }
            )?;
        }
    }
    if !a.skew.is_empty() {
        writeln!(w, "clock skew against the apiserver (from causal pairs):")?;
        for s in &a.skew {
            let b = |x: Option<i64>| x.map_or("open".to_owned(), ms);
            writeln!(
                w,
                "  {:<36} {:>10} ms  bound [{}, {}] ms  pairs {}↓ {}↑  {}",
                c.show(&s.host),
                ms(s.offset_nanos),
                b(s.lower_nanos),
                b(s.upper_nanos),
                s.lower_pairs,
                s.upper_pairs,
                if s.inconsistent {
                    "INCONSISTENT: pairs contradict each other, not corrected"
                } else if s.applied {
                    "corrected"
                } else {
                    "no correction needed"
                }
            )?;
        }
    }
    for s in &a.clocks.embedded_shifts {
        writeln!(w, "  note: {}", c.show(&s.note))?;
    }
    for y in &a.clocks.years {
        writeln!(
            w,
            "  year {} for {}: {}",
            y.year,
            c.show(&y.file),
            c.show(&y.basis)
        )?;
    }
    if a.clocks.inconsistent_stamps > 0 {
        writeln!(
            w,
            "  {} line(s) had local and zoned stamps that are not a whole number of quarter hours apart (not used)",
            a.clocks.inconsistent_stamps
        )?;
    }
    if a.duplicate_events > 0 {
        writeln!(
            w,
            "  {} event(s) appeared in two overlapping files (e.g. journal.log and kubelet.log) and were counted once",
            a.duplicate_events
        )?;
    }
    if a.orphan_events > 0 {
        writeln!(
            w,
            "  {} runtime event(s) named a sandbox or container of no known pod",
            a.orphan_events
        )?;
    }
    if a.warning_count > 0 {
        writeln!(
            w,
            "  {} warning(s) (unparsed lines), listed on stderr",
            a.warning_count
        )?;
    }
    Ok(())
}
