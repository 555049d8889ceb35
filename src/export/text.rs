//! `analyze`'s text: the summary and the slowest pods first (phase percentiles, what the slow
//! pods spent their time on, failures and findings), then each selected pod's timeline when the
//! selection is small or asked for, then how the input was read (sources, clocks, skew).
//!
//! The default fits 100 columns: durations in human units (`2.583 s`, `37.902 ms`), times
//! without the date a pod's milestones share, evidence as short file ids (`f2:10`) with a legend
//! of paths relative to the input, long lists condensed. `-o wide` keeps everything: full paths,
//! RFC 3339 times to the nanosecond, milliseconds, every clock, skew bound and service change.
//! Missing values say "missing".

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};

use podtrace_parsers::time::format_rfc3339_nanos;

use super::escape::Controls;
use super::select::SortKey;
use super::style::Style;
use crate::Analysis;
use crate::timeline::clock::format_offset;
use crate::timeline::{MILESTONES, Ms, PHASES, Phase, PodTimeline};

fn ms(ns: i64) -> String {
    format!("{:.3}", ns as f64 / 1e6)
}

/// A duration for people, as the HTML report writes it (report::render::dur): `742 µs`,
/// `37.902 ms`, `2.583 s`, `5 m 17.0 s`.
pub fn human(ns: i64) -> String {
    let (v, a) = (ns as f64, (ns as f64).abs());
    if a < 1e6 {
        format!("{:.0} µs", v / 1e3)
    } else if a < 1e9 {
        format!("{:.3} ms", v / 1e6)
    } else if a < 120e9 {
        format!("{:.3} s", v / 1e9)
    } else {
        format!(
            "{:.0} m {:.1} s",
            (v / 60e9).trunc(),
            (v % 60e9).abs() / 1e9
        )
    }
}

/// The width the default output keeps to.
pub const COLUMNS: usize = 100;

/// Pods whose timelines the default output prints without `--details`: a drill-down.
pub const DETAIL_UP_TO: usize = 5;

/// `s` cut in the middle to at most `max` characters (`kind-control…d1e.log`): the start says
/// where, the end which.
pub fn elide(s: &str, max: usize) -> String {
    if s.chars().count() <= max || max < 3 {
        return s.to_owned();
    }
    // Container and sandbox ids (64 hex digits in container log names) go first, to 12 digits
    // as `crictl ps` shows them.
    let s = &shorten_ids(s);
    let n = s.chars().count();
    if n <= max {
        return s.to_owned();
    }
    // More of the start than of the end: a path's directories and a container log's pod and
    // container names come first, its hash last.
    let head = (max - 1) * 2 / 3;
    let tail = max - 1 - head;
    let mut out: String = s.chars().take(head).collect();
    out.push('…');
    out.extend(s.chars().skip(n - tail));
    out
}

/// `text` in lines of at most `width` characters, broken at spaces (a word longer than that
/// keeps its own line). Continuation lines are indented by the text's own leading spaces plus
/// `indent`.
pub fn wrap(text: &str, width: usize, indent: usize) -> Vec<String> {
    let body = text.trim_start_matches(' ');
    let lead = text.len() - body.len();
    let mut lines = vec![" ".repeat(lead)];
    let pad = " ".repeat(lead + indent);
    for word in body.split(' ') {
        let len = lines.last().map_or(0, |l| l.chars().count());
        let fresh = len == if lines.len() == 1 { lead } else { pad.len() };
        if !fresh && len + 1 + word.chars().count() > width {
            lines.push(format!("{pad}{word}"));
        } else {
            let cur = lines.last_mut().expect("one line");
            if !fresh {
                cur.push(' ');
            }
            cur.push_str(word);
        }
    }
    lines
}

/// Every run of at least 24 lowercase hex digits cut to its first 12 and `…`.
fn shorten_ids(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() >= 24 {
            out.push_str(&run[..12]);
            out.push('…');
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for ch in s.chars() {
        if ch.is_ascii_digit() || ('a'..='f').contains(&ch) {
            run.push(ch);
        } else {
            flush(&mut run, &mut out);
            out.push(ch);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// What `analyze` shows and how.
pub struct View<'a> {
    /// The selected pods, in the order to list them.
    pub pods: Vec<&'a PodTimeline>,
    /// A filter or pod selector was given (the header says how many of all pods match).
    pub filtered: bool,
    pub sort: SortKey,
    /// How many pods to list; 0: all.
    pub top: usize,
    /// Print the listed pods' timelines.
    pub details: bool,
    pub wide: bool,
    /// The inputs as given: evidence paths are shown relative to them.
    pub roots: Vec<String>,
    pub verbose: bool,
    pub controls: Controls,
    pub style: Style,
}

impl<'a> View<'a> {
    /// Every pod, default order and settings.
    pub fn all(a: &'a Analysis) -> View<'a> {
        let mut pods: Vec<&PodTimeline> = a.pods.iter().collect();
        let sort = SortKey::default_for(&pods);
        super::select::sort(&mut pods, sort);
        View {
            details: pods.len() <= DETAIL_UP_TO,
            pods,
            filtered: false,
            sort,
            top: 10,
            wide: false,
            roots: Vec::new(),
            verbose: false,
            controls: Controls::Escaped,
            style: Style::PLAIN,
        }
    }

    fn listed(&self) -> &[&'a PodTimeline] {
        if self.top == 0 {
            &self.pods
        } else {
            &self.pods[..self.top.min(self.pods.len())]
        }
    }
}

/// Short ids for the files evidence points to (`f1`, `f2`…), paths relative to the input.
struct Legend {
    roots: Vec<String>,
    ids: HashMap<String, usize>,
    files: Vec<String>,
}

impl Legend {
    fn new(roots: &[String]) -> Legend {
        Legend {
            roots: roots
                .iter()
                .map(|r| r.trim_end_matches('/').to_owned())
                .filter(|r| !r.is_empty())
                .collect(),
            ids: HashMap::new(),
            files: Vec::new(),
        }
    }

    /// `path:line` as `fN:line`; anything else (no line number) as it is.
    fn place(&mut self, evidence: &str) -> String {
        match evidence.rsplit_once(':') {
            Some((file, line)) if !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit()) => {
                format!("f{}:{line}", self.id(file))
            }
            _ => evidence.to_owned(),
        }
    }

    fn id(&mut self, file: &str) -> usize {
        if let Some(&id) = self.ids.get(file) {
            return id;
        }
        self.files.push(file.to_owned());
        let id = self.files.len();
        self.ids.insert(file.to_owned(), id);
        id
    }

    /// `file` relative to the input root it is under (the longest), if any.
    fn relative<'f>(&self, file: &'f str) -> &'f str {
        self.roots
            .iter()
            .filter_map(|r| {
                // A folder's file (`dir/f`) or an archive's member (`b.tar!/f`).
                let rest = file.strip_prefix(r.as_str())?;
                rest.strip_prefix('/').or_else(|| rest.strip_prefix("!/"))
            })
            .min_by_key(|rest| rest.len())
            .filter(|rest| !rest.is_empty())
            .unwrap_or(file)
    }

    fn write(&self, w: &mut dyn Write, c: Controls, s: Style) -> io::Result<()> {
        if self.files.is_empty() {
            return Ok(());
        }
        // Said only when paths were shortened (an input that is a file is shown as given).
        let shortened = self.files.iter().any(|f| self.relative(f) != f);
        let under = match self.roots.as_slice() {
            [one] if shortened => format!(" (under {})", c.show(one)),
            _ => String::new(),
        };
        writeln!(w, "{}", s.bold(format!("files{under}:")))?;
        let width = format!("f{}", self.files.len()).len();
        for (i, f) in self.files.iter().enumerate() {
            let id = format!("f{}", i + 1);
            let room = COLUMNS.saturating_sub(width + 4);
            // `  fN  path`: two spaces, the id, two spaces.
            writeln!(
                w,
                "  {id:<width$}  {}",
                elide(&c.show(self.relative(f)), room)
            )?;
        }
        Ok(())
    }
}

/// Nearest-rank percentile of sorted values.
fn rank(sorted: &[i64], q: f64) -> i64 {
    let i = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[i - 1]
}

/// Writes `analyze`'s text for `v`.
pub fn write_view(a: &Analysis, v: &View, w: &mut dyn Write) -> io::Result<()> {
    let (c, s) = (v.controls, v.style);
    write_headline(a, v, w)?;
    if v.pods.is_empty() {
        // Said on stderr by the caller; no empty table here.
        return Ok(());
    }
    // One pod's percentiles are its own phases, which its timeline below shows.
    if v.pods.len() > 1 {
        write_phase_table(v, w)?;
        if !v.filtered {
            write_attribution(a, v, w)?;
        }
    }
    write_failures(v, w)?;
    writeln!(w)?;
    write_list(v, w)?;
    let mut legend = Legend::new(&v.roots);
    if v.details {
        for p in v.listed() {
            writeln!(w)?;
            if v.wide {
                write_pod(p, w, c)?;
            } else {
                write_pod_compact(p, w, c, s, &mut legend)?;
            }
        }
    }
    writeln!(w)?;
    if v.wide {
        write_summary(a, w, v.verbose, c)?;
    } else {
        write_services_compact(a, v, w)?;
        write_reading(a, v, w)?;
        if !legend.files.is_empty() {
            writeln!(w)?;
            legend.write(w, c, s)?;
        }
    }
    Ok(())
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn write_headline(a: &Analysis, v: &View, w: &mut dyn Write) -> io::Result<()> {
    let s = v.style;
    let skipped = a.files.iter().filter(|f| f.skipped.is_some()).count() + a.skipped.len();
    let pods = if v.filtered {
        format!(
            "{} of {}",
            v.pods.len(),
            plural(a.pods.len(), "pod", "pods")
        )
    } else {
        plural(a.pods.len(), "pod", "pods")
    };
    let failed = v.pods.iter().filter(|p| !p.failures.is_empty()).count();
    let found = v.pods.iter().filter(|p| !p.findings.is_empty()).count();
    let mut tail = String::new();
    if failed > 0 {
        tail.push_str(&format!("; {}", s.fail(format!("{failed} with failures"))));
    }
    if found > 0 {
        tail.push_str(&format!(
            "; {}",
            s.finding(format!("{found} with findings"))
        ));
    }
    writeln!(
        w,
        "{} from {}{}{tail}",
        s.bold(pods),
        plural(a.files.len(), "file", "files"),
        if skipped > 0 {
            format!(" ({skipped} skipped)")
        } else {
            String::new()
        }
    )
}

/// Percentiles of every pod-level phase over the selection (values excluded from statistics
/// left out, as everywhere).
fn write_phase_table(v: &View, w: &mut dyn Write) -> io::Result<()> {
    let s = v.style;
    let mut rows = Vec::new();
    for ph in super::select::sort_phases().filter(|p| *p != Phase::KubeletE2e) {
        let mut vals: Vec<i64> = v
            .pods
            .iter()
            .filter(|p| !p.excluded.contains_key(&ph))
            .filter_map(|p| p.phases.get(&ph).copied())
            .collect();
        if vals.is_empty() {
            continue;
        }
        vals.sort_unstable();
        rows.push((ph, vals));
    }
    if rows.is_empty() {
        return writeln!(w, "{}", s.missing("no phase measured for these pods"));
    }
    writeln!(
        w,
        "{}",
        s.bold(format!(
            "{:<20} {:>6} {:>12} {:>12} {:>12} {:>12}",
            "phase", "pods", "p50", "p90", "p99", "max"
        ))
    )?;
    for (ph, vals) in rows {
        writeln!(
            w,
            "{:<20} {:>6} {:>12} {:>12} {:>12} {:>12}",
            ph.as_str(),
            vals.len(),
            human(rank(&vals, 0.50)),
            human(rank(&vals, 0.90)),
            human(rank(&vals, 0.99)),
            human(*vals.last().expect("not empty"))
        )?;
    }
    writeln!(
        w,
        "{}",
        s.dim("percentiles by nearest rank; phases excluded from statistics left out")
    )
}

/// What the pods at p50 and p99 of the end-to-end measures spent their time on (whole run).
fn write_attribution(a: &Analysis, v: &View, w: &mut dyn Write) -> io::Result<()> {
    let c = v.controls;
    for x in &a.attribution {
        let top: Vec<String> = x
            .phases
            .iter()
            .take(3)
            .map(|(k, v)| format!("{k} {:.0}%", v * 100.0))
            .collect();
        writeln!(
            w,
            "{} {} {} over {}{}: {}",
            x.percentile,
            x.measure,
            human(x.value_nanos),
            plural(x.pods, "pod", "pods"),
            if x.excluded > 0 {
                format!(" ({} excluded)", x.excluded)
            } else {
                String::new()
            },
            if top.is_empty() {
                "no phases".to_owned()
            } else {
                top.join(", ")
            },
        )?;
        let list = |xs: &[(String, usize)], n: usize| -> String {
            if xs.is_empty() {
                return "unknown".to_owned();
            }
            let shown: Vec<String> = xs
                .iter()
                .take(n)
                .map(|(n, k)| format!("{} ({k})", c.show(n)))
                .collect();
            shown.join(", ")
        };
        let line = format!(
            "    nodes {}; images {}",
            list(&x.nodes, 3),
            list(&x.images, 2)
        );
        if v.wide || line.chars().count() <= COLUMNS {
            writeln!(w, "{line}")?;
        } else {
            writeln!(w, "    nodes {}", list(&x.nodes, 3))?;
            writeln!(w, "    images {}", list(&x.images, 2))?;
        }
    }
    Ok(())
}

/// Failures by cause and findings, over the selection; the first findings in full.
fn write_failures(v: &View, w: &mut dyn Write) -> io::Result<()> {
    let (c, s) = (v.controls, v.style);
    let mut causes: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &v.pods {
        let mut seen = std::collections::BTreeSet::new();
        for f in &p.failures {
            if seen.insert(f.cause.as_str()) {
                *causes.entry(f.cause.as_str()).or_default() += 1;
            }
        }
    }
    if !causes.is_empty() {
        let mut by: Vec<(&str, usize)> = causes.into_iter().collect();
        by.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
        let shown: Vec<String> = by
            .iter()
            .take(4)
            .map(|(cause, n)| format!("{} {n}", c.show(cause)))
            .collect();
        let more = if by.len() > 4 {
            format!(", {} more causes", by.len() - 4)
        } else {
            String::new()
        };
        writeln!(
            w,
            "{} {}{more}",
            s.fail("failures (pods by cause):"),
            shown.join(", ")
        )?;
    }
    const FINDINGS_SHOWN: usize = 5;
    let all: Vec<(&PodTimeline, &String)> = v
        .pods
        .iter()
        .flat_map(|p| p.findings.iter().map(move |f| (*p, f)))
        .collect();
    for (p, f) in all
        .iter()
        .take(if v.wide { usize::MAX } else { FINDINGS_SHOWN })
    {
        // `FINDING ` is 8 columns: the text is wrapped in the rest, not cut (a finding's end
        // is often its figure).
        let line = format!("{}: {}", c.show(&pod_name(p)), c.show(f));
        let lines = if v.wide {
            vec![line]
        } else {
            wrap(&line, COLUMNS - 8, 0)
        };
        writeln!(w, "{} {}", s.finding("FINDING"), lines.join("\n        "))?;
    }
    if !v.wide && all.len() > FINDINGS_SHOWN {
        writeln!(
            w,
            "{}",
            s.dim(format!(
                "… {} more (analyze POD, or -o wide, shows them)",
                plural(all.len() - FINDINGS_SHOWN, "finding", "findings")
            ))
        )?;
    }
    Ok(())
}

fn pod_name(p: &PodTimeline) -> String {
    if p.namespace.is_empty() {
        p.name.clone()
    } else {
        format!("{}/{}", p.namespace, p.name)
    }
}

/// A pod's row in the list, unstyled: name, uid, node, sort value, dominant phase, notes (a
/// failure's or a finding's).
type Row = (String, String, String, String, String, Vec<(bool, String)>);

/// The listed pods, one line each: the sort key's value, the dominant phase, failures.
fn write_list(v: &View, w: &mut dyn Write) -> io::Result<()> {
    let (c, s) = (v.controls, v.style);
    let listed = v.listed();
    let what = match v.sort {
        SortKey::Phase(p) => format!("longest {p} first"),
        SortKey::Milestone(m) => format!("latest {m} first"),
    };
    let heading = if listed.len() == v.pods.len() {
        format!("{}, {what}:", plural(listed.len(), "pod", "pods"))
    } else {
        format!("{} of {} pods, {what}:", listed.len(), v.pods.len())
    };
    writeln!(w, "{}", s.bold(heading))?;
    // Cells without style first, to measure them; styled as they are written.
    let value_of = |p: &PodTimeline| match (v.sort, v.sort.value(p)) {
        (_, None) => "missing".to_owned(),
        (SortKey::Phase(_), Some(d)) => human(d),
        (SortKey::Milestone(_), Some(t)) if v.wide => format_rfc3339_nanos(t),
        (SortKey::Milestone(_), Some(t)) => clock_time(t, 3),
    };
    let notes_of = |p: &PodTimeline| {
        let mut notes = Vec::new();
        if !p.failures.is_empty() {
            notes.push((true, plural(p.failures.len(), "failure", "failures")));
        }
        if !p.findings.is_empty() {
            notes.push((false, plural(p.findings.len(), "finding", "findings")));
        }
        notes
    };
    let rows: Vec<Row> = listed
        .iter()
        .map(|p| {
            (
                c.show(&pod_name(p)).into_owned(),
                c.show(p.uid.as_deref().unwrap_or("missing")).into_owned(),
                c.show(p.node.as_deref().unwrap_or("missing")).into_owned(),
                value_of(p),
                p.dominant
                    .map_or(String::new(), |(ph, d, _)| format!("{ph} {}", human(d))),
                notes_of(p),
            )
        })
        .collect();
    let width =
        |f: &dyn Fn(&Row) -> usize, min: usize| rows.iter().map(f).max().unwrap_or(0).max(min);
    let count = |x: &String| x.chars().count();
    let key = v.sort.to_string();
    let kw = width(&|r| count(&r.3), key.len().max(10));
    let pw = width(&|r| count(&r.4), 14);
    let notes_w = width(&|r| r.5.iter().map(|(_, n)| n.len() + 2).sum::<usize>(), 0);
    let (mut nw, mut dw) = (width(&|r| count(&r.0), 3), width(&|r| count(&r.2), 4));
    if !v.wide {
        // Names are cut in the middle only for the line to fit: the node's first, down to 12
        // columns, then the pod's, down to 16 (the pod's is the one to copy for a drill-down).
        let others = 2 + 2 + kw + 2 + pw + notes_w;
        let over = (nw + dw + others).saturating_sub(COLUMNS);
        let node_gives = over.min(dw.saturating_sub(12));
        dw -= node_gives;
        nw = nw.saturating_sub(over - node_gives).max(16.min(nw));
    }
    let uid_head = if v.wide {
        format!("  {:<36}", "uid")
    } else {
        String::new()
    };
    writeln!(
        w,
        "{}",
        s.dim(
            format!(
                "{:<nw$}{uid_head}  {:<dw$}  {:>kw$}  {}",
                "pod", "node", key, "dominant phase"
            )
            .trim_end()
        )
    )?;
    for (name, uid, node, value, dominant, notes) in &rows {
        let (name, node) = if v.wide {
            (name.clone(), node.clone())
        } else {
            (elide(name, nw), elide(node, dw))
        };
        let value = if value == "missing" {
            s.missing(format!("{value:>kw$}")).to_string()
        } else {
            format!("{value:>kw$}")
        };
        let uid = if v.wide {
            format!("  {uid:<36}")
        } else {
            String::new()
        };
        let notes: Vec<String> = notes
            .iter()
            .map(|(fail, n)| {
                if *fail {
                    s.fail(n).to_string()
                } else {
                    s.finding(n).to_string()
                }
            })
            .collect();
        let line = format!(
            "{name:<nw$}{uid}  {node:<dw$}  {value}  {dominant:<pw$}  {}",
            notes.join(", ")
        );
        writeln!(w, "{}", line.trim_end())?;
    }
    let mut hints = Vec::new();
    if listed.len() < v.pods.len() {
        hints.push("--top N (0: all)");
    }
    hints.push("--sort-by PHASE");
    if !v.details {
        hints.push("analyze POD… or --details for timelines");
    }
    if !v.wide {
        hints.push("-o wide");
    }
    writeln!(w, "{}", s.dim(format!("more: {}", hints.join(", "))))
}

/// `HH:MM:SS` and `digits` fractional digits of a UTC instant.
fn clock_time(t: i64, digits: usize) -> String {
    let full = format_rfc3339_nanos(t);
    // `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`
    let time = &full[11..19];
    if digits == 0 {
        time.to_owned()
    } else {
        format!("{time}.{}", &full[20..20 + digits.min(9)])
    }
}

/// Fractional digits a milestone's precision warrants.
/// One pod's timeline in 100 columns: times without their common date, to the milestone's
/// precision; offsets from the first milestone in human units; evidence as file ids.
fn write_pod_compact(
    p: &PodTimeline,
    w: &mut dyn Write,
    c: Controls,
    s: Style,
    legend: &mut Legend,
) -> io::Result<()> {
    writeln!(w, "{}", s.bold(c.show(&pod_name(p))))?;
    writeln!(
        w,
        "  node {}  ip {}  uid {}",
        c.show(p.node.as_deref().unwrap_or("missing")),
        c.show(p.pod_ip.as_deref().unwrap_or("missing")),
        c.show(p.uid.as_deref().unwrap_or("missing")),
    )?;
    if let Some(o) = &p.owner {
        writeln!(w, "  owner {}", c.show(o))?;
    }
    if let Some(st) = &p.static_pod {
        let guess = if st.heuristic { " (a guess)" } else { "" };
        writeln!(
            w,
            "  static pod{guess}: {}; its main path starts at kubelet_seen",
            c.show(&st.basis)
        )?;
    }
    let t0 = p.first_time().unwrap_or(0);
    let day = |t: i64| format_rfc3339_nanos(t)[..10].to_owned();
    let days: std::collections::BTreeSet<String> =
        p.milestones.values().map(|m| day(m.t)).collect();
    let common = (days.len() == 1).then(|| days.into_iter().next().expect("one"));
    let time_head = match &common {
        Some(d) => format!("{d} UTC"),
        None => "time (UTC)".to_owned(),
    };
    let tw = if common.is_some() { 18 } else { 30 };
    writeln!(
        w,
        "{}",
        s.dim(format!(
            "  {:<18} {:<tw$} {:>12}  {:<10}  evidence",
            "milestone", time_head, "since first", "source"
        ))
    )?;
    for name in MILESTONES {
        let Some(m) = p.milestones.get(&name) else {
            writeln!(w, "  {name:<18} {}", s.missing("missing"))?;
            continue;
        };
        let time = match &common {
            Some(_) => clock_time(m.t, m.precision.digits()),
            None => {
                let full = format_rfc3339_nanos(m.t);
                format!("{} {}", &full[..10], clock_time(m.t, m.precision.digits()))
            }
        };
        writeln!(
            w,
            "  {:<18} {time:<tw$} {:>12}  {:<10}  {}",
            name,
            format!("+{}", human(m.t - t0)),
            m.source.as_str(),
            c.show(&legend.place(&m.evidence.to_string()))
        )?;
        if let Some(d) = &m.derived {
            writeln!(
                w,
                "  {:<18} {}",
                "",
                s.dim(format!("derived: {}", c.show(d)))
            )?;
        }
    }
    writeln!(
        w,
        "{}",
        s.dim(format!("  {:<18} {:>12}", "phase", "duration"))
    )?;
    for name in PHASES
        .iter()
        .map(|(n, _, _)| *n)
        .chain(std::iter::once(Phase::StartupSli))
    {
        let note = match (
            p.below_precision.get(&name),
            p.excluded.get(&name),
            p.not_applicable.get(&name),
        ) {
            (Some(b), _, _) => Some(format!(
                "0 within precision, computed {}: {}",
                human(b.raw_nanos),
                c.show(&b.why)
            )),
            (_, Some(why), _) => Some(
                s.finding(format!("excluded from statistics: {}", c.show(why)))
                    .to_string(),
            ),
            (_, _, Some(why)) => Some(c.show(why).into_owned()),
            _ => None,
        };
        let value = match (p.phases.get(&name), p.not_applicable.contains_key(&name)) {
            (Some(d), _) => human(*d),
            (None, true) => "n/a".to_owned(),
            (None, false) if name == Phase::StartupSli => continue,
            (None, false) => s.missing(format!("{:>12}", "missing")).to_string(),
        };
        writeln!(w, "  {name:<18} {value:>12}")?;
        if let Some(note) = note {
            writeln!(w, "  {:<18} {}", "", s.dim(note))?;
        }
    }
    if let Some(k) = &p.kubelet {
        let e2e = k.e2e_nanos.map_or("not logged".to_owned(), human);
        writeln!(
            w,
            "  {:<18} {e2e:>12}  {}",
            Phase::KubeletE2e,
            c.show(&legend.place(&k.evidence.to_string()))
        )?;
        let note = match k.e2e_difference_nanos {
            Some(0)
                if p.milestones
                    .get(&Ms::Created)
                    .and_then(|m| m.derived.as_deref())
                    == Some("kubelet podCreationTimestamp") =>
            {
                Some(
                    "created is the kubelet's own podCreationTimestamp: not an independent check"
                        .to_owned(),
                )
            }
            Some(0) => {
                Some("agrees with startup_e2e once created is truncated to seconds".to_owned())
            }
            Some(d) => Some(format!(
                "differs from startup_e2e by {}: {}",
                human(d),
                c.show(k.e2e_explanation.as_deref().unwrap_or("unexplained"))
            )),
            None => None,
        };
        if let Some(note) = note {
            writeln!(w, "  {:<18} {}", "", s.dim(note))?;
        }
    }
    if !p.services.is_empty() {
        writeln!(w, "  services: {}", c.show(&p.services.join(", ")))?;
    }
    if let Some(e) = p.milestones.get(&Ms::EndpointsUpdated) {
        let width = p
            .programmed
            .keys()
            .map(|n| &**n)
            .chain(p.programmed_missing.iter().map(String::as_str))
            .map(|n| c.show(n).chars().count())
            .max()
            .unwrap_or(0);
        for (node, m) in &p.programmed {
            writeln!(
                w,
                "  programmed on {:<width$} {:>12} after endpoints_updated  {}",
                c.show(node),
                format!("+{}", human(m.t - e.t)),
                c.show(&legend.place(&m.evidence.to_string()))
            )?;
        }
        for (who, m) in &p.consumers {
            writeln!(
                w,
                "  reconfigured {} +{} after endpoints_updated  {}",
                c.show(who),
                human(m.t - e.t),
                c.show(&legend.place(&m.evidence.to_string()))
            )?;
        }
        for node in &p.programmed_missing {
            writeln!(
                w,
                "  programmed on {:<width$} {} (no kube-proxy sync logged after the write)",
                c.show(node),
                s.missing("missing")
            )?;
        }
    }
    write_containers_and_dominant(p, w, c, &|d| human(d), &s.missing("missing").to_string())?;
    for f in &p.failures {
        let text = format!("{}: {}", c.show(&f.cause), c.show(&f.message));
        writeln!(
            w,
            "  {} {}",
            s.fail("FAIL"),
            wrap(&text, COLUMNS - 7, 0).join("\n       ")
        )?;
        let held = match (f.resolved_by, f.held_nanos) {
            (Some(m), Some(h)) => format!("held the pod {} until {m}", human(h)),
            _ => "not resolved in the logs".to_owned(),
        };
        writeln!(
            w,
            "       {}, first at {}; {held}  {}",
            plural(f.count, "time", "times"),
            clock_time(f.first, 3),
            c.show(&legend.place(&f.evidence))
        )?;
    }
    for f in &p.findings {
        writeln!(
            w,
            "  {} {}",
            s.finding("FINDING"),
            wrap(&c.show(f), COLUMNS - 10, 0).join("\n          ")
        )?;
    }
    Ok(())
}

/// Each container's pull, create and start, then the dominant phase: the same lines in the
/// compact and the wide layout, durations as `dur` writes them.
fn write_containers_and_dominant(
    p: &PodTimeline,
    w: &mut dyn Write,
    c: Controls,
    dur: &dyn Fn(i64) -> String,
    missing: &str,
) -> io::Result<()> {
    for k in &p.containers {
        let phase = |n: Phase| k.phases.get(&n).map_or(missing.to_owned(), |d| dur(*d));
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
            "  dominant phase: {} {} ({:.0}% {of})",
            name.as_str(),
            dur(d),
            share * 100.0
        )?;
    }
    Ok(())
}

/// Services, condensed: the slowest to be programmed first (`-o wide` lists every change).
fn write_services_compact(a: &Analysis, v: &View, w: &mut dyn Write) -> io::Result<()> {
    let (c, s) = (v.controls, v.style);
    let wanted: std::collections::BTreeSet<&str> = v
        .pods
        .iter()
        .flat_map(|p| p.services.iter().map(String::as_str))
        .collect();
    let mut rows: Vec<(&str, usize, usize, Option<i64>)> = a
        .services
        .iter()
        .filter(|sv| !v.filtered || wanted.contains(sv.service.as_str()))
        .map(|sv| {
            let max = sv
                .changes
                .iter()
                .flat_map(|c| c.programmed.values().copied())
                .max();
            let nodes: std::collections::BTreeSet<&String> = sv
                .changes
                .iter()
                .flat_map(|c| c.programmed.keys())
                .collect();
            (sv.service.as_str(), sv.changes.len(), nodes.len(), max)
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.3));
    const SHOWN: usize = 5;
    writeln!(
        w,
        "{}",
        s.bold(format!(
            "{}, slowest to program first:",
            plural(rows.len(), "service", "services")
        ))
    )?;
    for (name, changes, nodes, max) in rows.iter().take(SHOWN) {
        writeln!(
            w,
            "  {}: {}, programmed on {}, slowest node {}",
            elide(&c.show(name), 40),
            plural(*changes, "EndpointSlice change", "EndpointSlice changes"),
            plural(*nodes, "node", "nodes"),
            max.map_or(s.missing("missing").to_string(), |d| format!(
                "+{}",
                human(d)
            ))
        )?;
    }
    if rows.len() > SHOWN {
        writeln!(
            w,
            "{}",
            s.dim(format!(
                "  … {} more services (-o wide lists every change)",
                rows.len() - SHOWN
            ))
        )?;
    }
    writeln!(w)
}

/// How the input was read, condensed: lines per source, skipped files, absent sources,
/// coverage, clocks grouped by offset and basis, skew where it was corrected or contradicts.
fn write_reading(a: &Analysis, v: &View, w: &mut dyn Write) -> io::Result<()> {
    let (c, s) = (v.controls, v.style);
    writeln!(
        w,
        "{}",
        s.bold(format!(
            "{:<20} {:>10} {:>11} {:>10} {:>9}",
            "source", "lines", "recognised", "ignored", "unparsed"
        ))
    )?;
    for (comp, n) in &a.totals {
        let unparsed = if n.unparsed > 0 {
            s.fail(format!("{:>9}", n.unparsed)).to_string()
        } else {
            format!("{:>9}", n.unparsed)
        };
        writeln!(
            w,
            "{:<20} {:>10} {:>11} {:>10} {unparsed}",
            comp.as_str(),
            n.lines,
            n.recognised,
            n.ignored,
        )?;
    }
    write_skipped(a, w, v.verbose, c)?;
    for f in &a.files {
        if let Some(e) = &f.error {
            writeln!(
                w,
                "  {} {}: {}",
                s.fail("incomplete"),
                c.show(&f.path),
                c.show(e)
            )?;
        }
    }
    for x in &a.absent_sources {
        // Static text (what is missing and how to collect it), wrapped to fit.
        let lines = wrap(&x.to_string(), COLUMNS - 2, 2);
        writeln!(w, "  {}", s.missing(lines.join("\n  ")))?;
    }
    let sparse: Vec<String> = a
        .coverage
        .iter()
        .filter(|(_, c)| c.missing > 0 || c.derived > 0)
        .map(|(m, c)| format!("{m} {}/{}/{}", c.observed, c.derived, c.missing))
        .collect();
    if !sparse.is_empty() && !a.pods.is_empty() {
        let line = format!(
            "coverage (observed/derived/missing) where not complete: {}",
            sparse.join(", ")
        );
        writeln!(w, "{}", wrap(&line, COLUMNS, 4).join("\n"))?;
    }
    if !a.clocks.clocks.is_empty() {
        let hosts: std::collections::BTreeSet<&str> = a
            .clocks
            .clocks
            .iter()
            .filter_map(|k| k.host.as_deref())
            .collect();
        let mut groups: BTreeMap<(i32, String), (usize, u64)> = BTreeMap::new();
        for k in &a.clocks.clocks {
            let g = groups
                .entry((k.offset_secs, c.show(&k.basis).into_owned()))
                .or_default();
            g.0 += 1;
            g.1 += k.disagreeing.iter().map(|(_, n)| n).sum::<u64>();
        }
        writeln!(
            w,
            "clocks (local stamps → UTC): {} on {}, by offset and basis:",
            a.clocks.clocks.len(),
            plural(hosts.len(), "host", "hosts")
        )?;
        let mut groups: Vec<_> = groups.into_iter().collect();
        groups.sort_by_key(|((off, _), (n, _))| (std::cmp::Reverse(*n), *off));
        for ((off, basis), (n, disagree)) in groups.iter().take(6) {
            let extra = if *disagree > 0 {
                format!(
                    "; {}",
                    s.finding(format!("{disagree} line(s) suggested otherwise"))
                )
            } else {
                String::new()
            };
            writeln!(
                w,
                "  {} {n:>4}  {}{extra}",
                format_offset(*off),
                elide(basis, COLUMNS - 16)
            )?;
        }
        if groups.len() > 6 {
            writeln!(
                w,
                "  … {} more groups (-o wide lists each clock)",
                groups.len() - 6
            )?;
        }
    }
    if !a.skew.is_empty() {
        let notable: Vec<_> = a
            .skew
            .iter()
            .filter(|k| k.applied || k.inconsistent)
            .collect();
        writeln!(
            w,
            "clock skew against the apiserver (causal pairs): {}, {} corrected, {} inconsistent",
            plural(a.skew.len(), "host", "hosts"),
            a.skew.iter().filter(|k| k.applied).count(),
            a.skew.iter().filter(|k| k.inconsistent).count(),
        )?;
        let b = |x: Option<i64>| x.map_or("open".to_owned(), human);
        for k in notable.iter().take(10) {
            let what = if k.inconsistent {
                s.finding("INCONSISTENT: pairs contradict each other, not corrected")
                    .to_string()
            } else {
                "corrected".to_owned()
            };
            writeln!(
                w,
                "  {:<20} {:>11}  bound [{}, {}]  {what}",
                elide(&c.show(&k.host), 20),
                human(k.offset_nanos),
                b(k.lower_nanos),
                b(k.upper_nanos),
            )?;
        }
        if notable.len() > 10 {
            writeln!(
                w,
                "  … {} more (-o wide lists every host)",
                notable.len() - 10
            )?;
        }
    }
    write_notes(a, w, c, v.wide)
}
/// One pod's block as `-o wide` shows it: full evidence paths, times to the nanosecond, phases
/// in milliseconds. Every text that came from logs (names, evidence paths, reasons, messages)
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
    write_containers_and_dominant(p, w, c, &|d| format!("{} ms", ms(d)), "missing")?;
    for f in &p.failures {
        writeln!(w, "  failure: {}", c.show(&f.to_string()))?;
    }
    for f in &p.findings {
        writeln!(w, "  FINDING: {}", c.show(&f.to_string()))?;
    }
    Ok(())
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
    write_notes(a, w, c, true)
}

/// The closing notes of the summary: clock notes, years assumed, duplicates, orphans, warnings.
fn write_notes(a: &Analysis, w: &mut dyn Write, c: Controls, wide: bool) -> io::Result<()> {
    if !wide {
        // The same notes, each wrapped to 100 columns.
        let mut buf = Vec::new();
        write_notes(a, &mut buf, c, true)?;
        for line in String::from_utf8_lossy(&buf).lines() {
            writeln!(w, "{}", wrap(line, COLUMNS, 4).join("\n"))?;
        }
        return Ok(());
    }
    let statics = a.pods.iter().filter(|p| p.static_pod.is_some()).count();
    if statics > 0 {
        let guessed = a
            .pods
            .iter()
            .filter(|p| p.static_pod.as_ref().is_some_and(|s| s.heuristic))
            .count();
        writeln!(
            w,
            "  {statics} static pod(s){}, started by the kubelet from a manifest: API-to-node phases do not apply",
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
            "  {excluded} phase value(s) excluded from statistics (negative, restart-spanning, over 24 h)"
        )?;
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
            "  {} event(s) in two overlapping files (journal.log and kubelet.log…) counted once",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_units_as_the_html_report() {
        assert_eq!(human(742_400), "742 µs");
        assert_eq!(human(37_902_000), "37.902 ms");
        assert_eq!(human(2_583_000_000), "2.583 s");
        assert_eq!(human(317_000_000_000), "5 m 17.0 s");
        assert_eq!(human(-3_636_000), "-3.636 ms");
    }

    #[test]
    fn wrap_keeps_the_indent_and_the_width() {
        assert_eq!(
            wrap("  note: one two three four", 14, 4),
            ["  note: one", "      two", "      three", "      four"]
        );
        assert_eq!(wrap("a verylongword b", 5, 0), ["a", "verylongword", "b"]);
    }

    #[test]
    fn elide_keeps_more_of_the_start() {
        assert_eq!(elide("abcdefghijklmnopqrstuvwxyz", 10), "abcdef…xyz");
        assert_eq!(elide("short", 10), "short");
        let log = format!(
            "c/kube-proxy-h2k9x_kube-system_kube-proxy-{}.log",
            "8c7b".repeat(16)
        );
        assert_eq!(
            elide(&log, 60),
            "c/kube-proxy-h2k9x_kube-system_kube-proxy-8c7b8c7b8c7b….log"
        );
        // Only when it is too long.
        assert_eq!(elide(&log, 200), log);
    }
}
