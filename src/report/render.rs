//! Reports as text (aligned tables), Markdown, JSON, CSV and Parquet.

use std::io::Write;

use polars::prelude::*;
use polars_io::SerWriter;
use polars_io::csv::write::CsvWriter;
use polars_io::parquet::write::ParquetWriter;
use serde_json::json;

use super::slo::Verdict;
use super::{AGGREGATES, DIMENSIONS, Report, Stat, metrics};
use crate::export::escape::Controls;

/// Nanoseconds for people: `850 µs`, `12.345 ms`, `6.210 s`, `2 m 5.0 s`.
pub fn dur(ns: f64) -> String {
    let a = ns.abs();
    if a < 1e6 {
        format!("{:.0} µs", ns / 1e3)
    } else if a < 1e9 {
        format!("{:.3} ms", ns / 1e6)
    } else if a < 120e9 {
        format!("{:.3} s", ns / 1e9)
    } else {
        format!("{:.0} m {:.1} s", (ns / 60e9).trunc(), (ns % 60e9) / 1e9)
    }
}

fn ms(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{:.3}", v / 1e6))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Text,
    Markdown,
}

/// A table: header and rows, left-aligned first columns, right-aligned numbers. Cells hold log
/// text (groups, pods, reasons): encoded for the style, control characters as `controls` says.
fn table(
    out: &mut dyn Write,
    (style, controls): (Style, Controls),
    head: &[&str],
    rows: &[Vec<String>],
    left: usize,
) -> std::io::Result<()> {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|c| match style {
                    Style::Markdown => markdown_text(c, controls),
                    Style::Text => controls.show(c).into_owned(),
                })
                .collect()
        })
        .collect();
    let mut w: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| -> String {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i < left {
                    format!("{c:<width$}", width = w[i])
                } else {
                    format!("{c:>width$}", width = w[i])
                }
            })
            .collect();
        match style {
            Style::Text => format!("  {}", parts.join("  ").trim_end()),
            Style::Markdown => format!("| {} |", parts.join(" | ")),
        }
    };
    writeln!(
        out,
        "{}",
        line(head.iter().map(|s| (*s).to_owned()).collect())
    )?;
    if style == Style::Markdown {
        let seps: Vec<String> = (0..head.len())
            .map(|i| {
                if i < left {
                    "-".repeat(w[i].max(3))
                } else {
                    format!("{}:", "-".repeat(w[i].max(3) - 1))
                }
            })
            .collect();
        writeln!(out, "| {} |", seps.join(" | "))?;
    }
    for r in &rows {
        writeln!(out, "{}", line(r.clone()))?;
    }
    Ok(())
}

/// Log text (names, paths, reasons) as inline Markdown that reads as the same text once
/// rendered, in a table cell or a list item: it can neither end its cell (`|`) or row (a line
/// break), nor become markup — raw HTML (`<img onerror=…>`), code spans, emphasis, links or
/// images, strikethrough or math. Line breaks become spaces, other control characters visible
/// escapes (`\x1b`, unless `controls` is raw); `<`, `>`, `&` become entities, Markdown's
/// punctuation is backslash-escaped. Block markers (`#`, `-`, `1.`) need nothing: the text never
/// starts a line.
pub fn markdown_text(s: &str, controls: Controls) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '\n' | '\r' | '\u{2028}' | '\u{2029}' => out.push(' '),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '|' | '`' | '*' | '[' | ']' | '~' | '$' => {
                out.push('\\');
                out.push(c);
            }
            // Between two letters or digits (`startup_e2e`) `_` can neither open nor close
            // emphasis; elsewhere it is escaped.
            '_' => {
                let word = |j: Option<usize>| {
                    j.and_then(|j| chars.get(j))
                        .is_some_and(|c| c.is_alphanumeric())
                };
                if !(word(i.checked_sub(1)) && word(Some(i + 1))) {
                    out.push('\\');
                }
                out.push('_');
            }
            c if controls == Controls::Escaped => crate::export::escape::push_escaped(c, &mut out),
            c => out.push(c),
        }
    }
    out
}

fn stat_cells(s: &Stat) -> Vec<String> {
    vec![
        s.count.to_string(),
        s.excluded.to_string(),
        format!("{:.1}%", s.coverage * 100.0),
        ms(s.min),
        ms(s.p50),
        ms(s.p90),
        ms(s.p95),
        ms(s.p99),
        ms(s.max),
        ms(s.mean),
    ]
}

/// `excl`: values of the metric left out of these statistics (listed under "Excluded").
const STAT_HEAD: [&str; 10] = [
    "count", "excl", "cover", "min", "p50", "p90", "p95", "p99", "max", "mean",
];

/// At most this many excluded values are listed in text and Markdown (JSON lists all).
const EXCLUDED_LISTED: usize = 100;

/// `2000` → `2,000`.
pub fn thousands(n: usize) -> String {
    let d = n.to_string();
    let mut out = String::with_capacity(d.len() + d.len() / 3);
    for (i, c) in d.chars().enumerate() {
        if i > 0 && (d.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The failures in one phrase: `200 unschedulable, 200 pull back-off` (kinds are log text when
/// an Event reason is not one podtrace names).
pub fn failures_phrase(f: &[super::FailureKind]) -> String {
    if f.is_empty() {
        return "No failure in the logs".into();
    }
    f.iter()
        .map(|k| format!("{} {}", thousands(k.pods), k.kind))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The report's conclusion in two lines: the tail of the ranking metric and where its slowest
/// pods spent their time, then the gates and the failures. Only figures the report computed:
/// the p99 (type 7) and the mean phase shares of the pods at or beyond p99.
pub fn verdict(r: &Report, verdicts: &[Verdict]) -> [String; 2] {
    let by = super::ranking_metric(&r.rows);
    let first = match r.stat("all", "all", by.as_str()) {
        Some(s) if s.count > 0 => {
            let n = s.count as usize;
            let mut l = format!(
                "p99 {by} {} over {} pod{}",
                dur(s.p99.unwrap_or(0.0)),
                thousands(n),
                if n == 1 { "" } else { "s" }
            );
            if n < r.rows.len() {
                l.push_str(&format!(" (of {})", thousands(r.rows.len())));
            }
            let shares: Vec<String> = r
                .p99_shares
                .iter()
                .take(2)
                .filter(|(_, sh)| *sh >= 0.05)
                .enumerate()
                .map(|(i, (ph, sh))| {
                    let of = if i == 0 { " of it" } else { "" };
                    format!("{:.0} %{of} in {ph}", sh * 100.0)
                })
                .collect();
            if !shares.is_empty() {
                l.push_str(&format!(
                    "; the pods at or beyond p99 spent {}",
                    shares.join(" and ")
                ));
            }
            l
        }
        _ => format!("no pod has {by}: no latency to report"),
    };
    let failed = verdicts.iter().filter(|v| !v.pass).count();
    let gates = match (verdicts.len(), failed) {
        (0, _) => String::new(),
        (n, 0) => format!("{} passed; ", plural(n, "SLO gate", "all SLO gates")),
        (n, f) => format!(
            "{f} of {n} SLO gate{} failed; ",
            if n == 1 { "" } else { "s" }
        ),
    };
    let failures = failures_phrase(&r.failures);
    // After the gates' clause the failures continue the sentence: `…; no failure in the logs.`
    let failures = if gates.is_empty() {
        failures
    } else if r.failures.is_empty() {
        failures.to_lowercase()
    } else {
        failures
    };
    [format!("{first}."), format!("{gates}{failures}.")]
}

/// `the SLO gate` for one, `all SLO gates` for more.
fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("the {one}")
    } else {
        many.to_owned()
    }
}

fn write_tables(
    r: &Report,
    verdicts: &[Verdict],
    (style, controls): (Style, Controls),
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let enc = (style, controls);
    let h = |out: &mut dyn Write, level: usize, t: &str| -> std::io::Result<()> {
        match style {
            Style::Text => writeln!(out, "\n{t}"),
            Style::Markdown => writeln!(out, "\n{} {t}\n", "#".repeat(level)),
        }
    };
    let title = format!(
        "podtrace report: {} pod{}; durations in ms; quantiles by linear interpolation (type 7)",
        thousands(r.rows.len()),
        if r.rows.len() == 1 { "" } else { "s" }
    );
    match style {
        Style::Text => writeln!(out, "{title}")?,
        Style::Markdown => writeln!(out, "# {title}")?,
    }
    if !r.absent_sources.is_empty() {
        h(out, 2, "Absent sources")?;
        for a in &r.absent_sources {
            match style {
                Style::Text => writeln!(out, "  {a}")?,
                Style::Markdown => writeln!(out, "- {}", markdown_text(&a.to_string(), controls))?,
            }
        }
    }
    if !verdicts.is_empty() {
        h(out, 2, "SLO gates")?;
        let rows: Vec<Vec<String>> = verdicts
            .iter()
            .map(|v| {
                vec![
                    if v.pass { "PASS" } else { "FAIL" }.to_owned(),
                    v.message.clone(),
                    v.gate.origin.clone(),
                ]
            })
            .collect();
        table(out, enc, &["gate", "result", "from"], &rows, 3)?;
    }
    h(out, 2, "All pods")?;
    let mut head = vec!["metric"];
    head.extend(STAT_HEAD);
    let mut rows = Vec::new();
    for m in AGGREGATES
        .iter()
        .copied()
        .chain(metrics().into_iter().filter(|m| !AGGREGATES.contains(m)))
    {
        if let Some(s) = r.stat("all", "all", m.as_str()) {
            let mut row = vec![m.to_string()];
            row.extend(stat_cells(s));
            rows.push(row);
        }
    }
    table(out, enc, &head, &rows, 1)?;
    for dim in DIMENSIONS.iter().skip(1) {
        h(out, 2, &format!("By {dim}"))?;
        let mut head = vec![*dim, "metric"];
        head.extend(STAT_HEAD);
        let rows: Vec<Vec<String>> = r
            .stats
            .iter()
            .filter(|s| {
                s.dimension == *dim
                    && AGGREGATES.contains(&s.metric)
                    && (s.count > 0 || s.excluded > 0)
            })
            .map(|s| {
                let mut row = vec![s.group.clone(), s.metric.to_string()];
                row.extend(stat_cells(s));
                row
            })
            .collect();
        table(out, enc, &head, &rows, 2)?;
    }
    if !r.slowest.is_empty() {
        let by = super::ranking_metric(&r.rows);
        let n = r.slowest.len();
        let title = if n == 1 {
            format!("Slowest pod by {by}")
        } else {
            format!("Slowest {n} pods by {by}")
        };
        h(out, 2, &title)?;
        let rows: Vec<Vec<String>> = r
            .slowest
            .iter()
            .enumerate()
            .map(|(k, &i)| {
                let p = &r.rows[i];
                // The longest phase inside `by` (the main path's dominant phase can lie outside
                // it, e.g. programming beside startup_e2e, and looked longer than the total).
                let dom = r.slowest_dominant.get(k).copied().flatten();
                let d = dom.map_or("-", |(n, _)| n.as_str());
                let dv = dom.map(|(_, v)| v as f64);
                vec![
                    format!("{}/{}", p.namespace, p.name),
                    p.node.clone(),
                    ms(p.values.get(&by).map(|v| *v as f64)),
                    d.to_owned(),
                    ms(dv),
                ]
            })
            .collect();
        table(
            out,
            enc,
            &["pod", "node", by.as_str(), "dominant phase", "its ms"],
            &rows,
            2,
        )?;
    }
    if !r.excluded.is_empty() {
        h(
            out,
            2,
            &format!(
                "Excluded from statistics: {} value(s) (negative beyond their precision, restart-spanning, or over 24 h)",
                r.excluded.len()
            ),
        )?;
        let rows: Vec<Vec<String>> = r
            .excluded
            .iter()
            .take(EXCLUDED_LISTED)
            .map(|e| {
                vec![
                    e.pod.clone(),
                    e.metric.to_string(),
                    ms(Some(e.nanos as f64)),
                    e.reason.clone(),
                ]
            })
            .collect();
        table(out, enc, &["pod", "metric", "ms", "reason"], &rows, 2)?;
        if r.excluded.len() > EXCLUDED_LISTED {
            writeln!(
                out,
                "  … {} more (-o json lists them all)",
                r.excluded.len() - EXCLUDED_LISTED
            )?;
        }
    }
    if !r.failures.is_empty() {
        h(
            out,
            2,
            "Failures: pods per kind (resolved: pods where a later milestone ended every report)",
        )?;
        let rows: Vec<Vec<String>> = r
            .failures
            .iter()
            .map(|f| {
                // Two names keep the table within a terminal's width; JSON has three.
                let shown = &f.examples[..f.examples.len().min(2)];
                let mut ex = shown.join(", ");
                if f.pods > shown.len() {
                    ex.push_str(", …");
                }
                vec![
                    f.kind.clone(),
                    ex,
                    f.pods.to_string(),
                    f.reports.to_string(),
                    f.resolved.map_or("-".into(), |n| n.to_string()),
                ]
            })
            .collect();
        table(
            out,
            enc,
            &["kind", "examples", "pods", "reports", "resolved"],
            &rows,
            2,
        )?;
    }
    let [v1, v2] = verdict(r, verdicts);
    h(out, 2, "Verdict")?;
    match style {
        Style::Text => writeln!(out, "  {}\n  {}", controls.show(&v1), controls.show(&v2))?,
        Style::Markdown => writeln!(
            out,
            "{}  \n{}",
            markdown_text(&v1, controls),
            markdown_text(&v2, controls)
        )?,
    }
    Ok(())
}

/// The report for a terminal. With `colors` on, a failed gate's row is red, the verdict bold
/// (red when a gate failed) and absent sources magenta; the text is the same either way.
pub fn text(
    r: &Report,
    v: &[Verdict],
    c: Controls,
    colors: crate::export::style::Style,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    if !colors.is_color() {
        return write_tables(r, v, (Style::Text, c), out);
    }
    let mut plain = Vec::new();
    write_tables(r, v, (Style::Text, c), &mut plain)?;
    paint_report(&String::from_utf8_lossy(&plain), v, colors, out)
}

/// Colours the plain text report line by line: the writer's layout (widths, alignment) stays
/// the one computed without colour codes.
fn paint_report(
    text: &str,
    v: &[Verdict],
    colors: crate::export::style::Style,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let failed = v.iter().any(|v| !v.pass);
    let mut section = "";
    for line in text.split_inclusive('\n') {
        let (body, nl) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        if !body.starts_with(' ') && !body.is_empty() {
            section = body;
            write!(out, "{}{nl}", colors.bold(body))?;
            continue;
        }
        let painted = match section {
            "SLO gates" if body.trim_start().starts_with("FAIL ") => {
                format!("{}", colors.fail(body))
            }
            "Absent sources" if !body.is_empty() => format!("{}", colors.missing(body)),
            s if s.starts_with("Failures") && !body.is_empty() => {
                format!("{}", colors.finding(body))
            }
            "Verdict" if failed => format!("{}", colors.fail(body)),
            "Verdict" => format!("{}", colors.bold(body)),
            _ => body.to_owned(),
        };
        write!(out, "{painted}{nl}")?;
    }
    Ok(())
}

pub fn markdown(
    r: &Report,
    v: &[Verdict],
    c: Controls,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    write_tables(r, v, (Style::Markdown, c), out)
}

/// Nanoseconds as seconds (JSON, CSV): the unit of every duration outside text.
fn secs(ns: f64) -> f64 {
    ns / 1e9
}

fn rfc3339(ns: i64) -> String {
    podtrace_parsers::time::format_rfc3339_nanos(ns)
}

/// A statistic in the report's JSON: durations in seconds.
fn stat_json(s: &Stat) -> serde_json::Value {
    let d = |v: Option<f64>| v.map(secs);
    json!({
        "dimension": s.dimension,
        "group": s.group,
        "metric": s.metric,
        "pods": s.pods,
        "count": s.count,
        "excluded": s.excluded,
        "coverage": s.coverage,
        "min": d(s.min),
        "p50": d(s.p50),
        "p90": d(s.p90),
        "p95": d(s.p95),
        "p99": d(s.p99),
        "max": d(s.max),
        "mean": d(s.mean),
    })
}

/// A pod in the report's JSON: durations in seconds, times RFC 3339 UTC (as `analyze` writes
/// them).
fn pod_json(p: &super::PodRow) -> serde_json::Value {
    json!({
        "namespace": p.namespace,
        "name": p.name,
        "uid": p.uid,
        "node": p.node,
        "owner": p.owner,
        "image": p.image,
        "state": p.state,
        "init": p.init,
        "kind": p.kind,
        "start": p.start.map(rfc3339),
        "dominant": p.dominant,
        "values": p.values.iter().map(|(m, v)| (m.as_str(), secs(*v as f64))).collect::<std::collections::BTreeMap<_, _>>(),
        "excluded": p.excluded.iter().map(|(m, (v, why))| (m.as_str(), json!({"seconds": secs(*v as f64), "reason": why}))).collect::<std::collections::BTreeMap<_, _>>(),
        "milestones": p.milestones.iter().map(|(m, t)| (m.as_str(), rfc3339(*t))).collect::<std::collections::BTreeMap<_, _>>(),
    })
}

/// A gate in the report's JSON: threshold and value in seconds for a duration statistic, as
/// they are for `count` and `coverage`.
fn gate_json(v: &Verdict) -> serde_json::Value {
    let duration = !matches!(v.gate.stat.as_str(), "count" | "coverage" | "excluded");
    let d = |x: f64| if duration { secs(x) } else { x };
    json!({
        "metric": v.gate.metric,
        "stat": v.gate.stat,
        "op": v.gate.op,
        "threshold": d(v.gate.threshold),
        "origin": v.gate.origin,
        "value": v.value.map(d),
        "coverage": v.coverage,
        "pass": v.pass,
        "message": v.message,
    })
}

pub fn json(r: &Report, v: &[Verdict], out: &mut dyn Write) -> anyhow::Result<()> {
    let by = super::ranking_metric(&r.rows);
    let doc = json!({
        "pods": r.rows.len(),
        "unit": "s",
        "quantile_method": "linear interpolation between closest ranks (Hyndman-Fan type 7)",
        "verdict": verdict(r, v),
        "gates": v.iter().map(gate_json).collect::<Vec<_>>(),
        "failures": r.failures,
        "stats": r.stats.iter().map(stat_json).collect::<Vec<_>>(),
        "slowest_by": by,
        "slowest": r.slowest.iter().map(|&i| pod_json(&r.rows[i])).collect::<Vec<_>>(),
        "slowest_dominant": r.slowest_dominant.iter().map(|d| d.map(|(phase, ns)| json!({"phase": phase, "seconds": secs(ns as f64)}))).collect::<Vec<_>>(),
        "excluded": r.excluded.iter().map(|e| json!({"pod": e.pod, "metric": e.metric, "seconds": secs(e.nanos as f64), "reason": e.reason})).collect::<Vec<_>>(),
        "absent_sources": r.absent_sources,
    });
    crate::export::escape::json_pretty(&mut *out, &doc)?;
    writeln!(out)?;
    Ok(())
}

/// The statistics table as a DataFrame (long form, durations in seconds: `p50_s`…).
pub fn stats_frame(r: &Report) -> PolarsResult<DataFrame> {
    let s = &r.stats;
    let f = |g: &dyn Fn(&Stat) -> Option<f64>| {
        s.iter()
            .map(|x| g(x).map(secs))
            .collect::<Vec<Option<f64>>>()
    };
    let cols = vec![
        Column::new(
            "dimension".into(),
            s.iter().map(|x| x.dimension).collect::<Vec<&str>>(),
        ),
        Column::new(
            "group".into(),
            s.iter().map(|x| x.group.as_str()).collect::<Vec<&str>>(),
        ),
        Column::new(
            "metric".into(),
            s.iter().map(|x| x.metric.as_str()).collect::<Vec<&str>>(),
        ),
        Column::new(
            "pods".into(),
            s.iter().map(|x| x.pods).collect::<Vec<u64>>(),
        ),
        Column::new(
            "count".into(),
            s.iter().map(|x| x.count).collect::<Vec<u64>>(),
        ),
        Column::new(
            "excluded".into(),
            s.iter().map(|x| x.excluded).collect::<Vec<u64>>(),
        ),
        Column::new(
            "coverage".into(),
            s.iter().map(|x| x.coverage).collect::<Vec<f64>>(),
        ),
        Column::new("min_s".into(), f(&|x| x.min)),
        Column::new("p50_s".into(), f(&|x| x.p50)),
        Column::new("p90_s".into(), f(&|x| x.p90)),
        Column::new("p95_s".into(), f(&|x| x.p95)),
        Column::new("p99_s".into(), f(&|x| x.p99)),
        Column::new("max_s".into(), f(&|x| x.max)),
        Column::new("mean_s".into(), f(&|x| x.mean)),
    ];
    DataFrame::new(s.len(), cols)
}

/// CSV for spreadsheets as much as for programs. Text cells carry log data (names, namespaces,
/// nodes, owners, UIDs), which anyone who can write a log line can forge; a cell that starts with
/// `=`, `+`, `-`, `@`, tab or CR is a formula to Excel, LibreOffice and Sheets (CSV injection), so
/// such a cell gets a leading `'` (OWASP's advice), which spreadsheets show as text. Only text
/// columns are touched: numbers stay numbers (a negative duration is a value, not a formula).
pub fn csv(df: &DataFrame, out: &mut dyn Write) -> PolarsResult<()> {
    let mut safe = df.clone();
    for name in df.get_column_names_owned() {
        let c = df.column(&name)?;
        if c.dtype() == &DataType::String {
            let cells = c
                .str()?
                .apply_into_string_amortized(|v, buf| buf.push_str(&spreadsheet_text(v)));
            safe.replace(&name, cells.into_column())?;
        }
    }
    // Nine decimals: seconds to the nanosecond, the precision of the data, and no float noise
    // (`0.015579400000000001`); a quantile between two nanoseconds is rounded to one.
    CsvWriter::new(out)
        .include_header(true)
        .with_float_precision(Some(9))
        .finish(&mut safe)
}

/// A text cell as a spreadsheet must show it: with a leading `'` when its first character would
/// start a formula.
pub fn spreadsheet_text(s: &str) -> std::borrow::Cow<'_, str> {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}").into(),
        _ => s.into(),
    }
}

pub fn parquet(df: &mut DataFrame, out: &mut dyn Write) -> PolarsResult<()> {
    ParquetWriter::new(out).finish(df).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreadsheet_cells_that_start_a_formula_get_a_quote() {
        for (cell, shown) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+1", "'+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("web-1", "web-1"),
            ("a=b", "a=b"),
            ("", ""),
        ] {
            assert_eq!(spreadsheet_text(cell), shown, "{cell:?}");
        }
    }

    #[test]
    fn csv_quotes_text_cells_and_keeps_numbers() {
        let df = DataFrame::new(
            2,
            vec![
                Column::new("name".into(), ["-5", "ok"]),
                Column::new("uid".into(), [Some("@x"), None]),
                Column::new("nanos".into(), [-5_i64, 7]),
                Column::new("s".into(), [-0.5_f64, 15_579_400.0 / 1e9]),
            ],
        )
        .unwrap();
        let mut out = Vec::new();
        csv(&df, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "name,uid,nanos,s\n'-5,'@x,-5,-0.500000000\nok,,7,0.015579400\n"
        );
    }

    #[test]
    fn markdown_text_is_the_same_text_once_rendered() {
        assert_eq!(
            markdown_text(
                "a|b<img src=x onerror=alert(1)>&amp;`c`*d*[e](f)~g~$h$\\i",
                Controls::Escaped
            ),
            "a\\|b&lt;img src=x onerror=alert(1)&gt;&amp;amp;\\`c\\`\\*d\\*\\[e\\](f)\\~g\\~\\$h\\$\\\\i"
        );
        assert_eq!(
            markdown_text("x\n| forged | row |\r\u{1b}]0;t\u{7}", Controls::Escaped),
            "x \\| forged \\| row \\| \\x1b\\]0;t\\x07"
        );
        assert_eq!(
            markdown_text("startup_e2e _em_ a_ _", Controls::Escaped),
            "startup_e2e \\_em\\_ a\\_ \\_"
        );
        assert_eq!(
            markdown_text("default/web-1", Controls::Escaped),
            "default/web-1"
        );
        // --raw: control characters as they are, but a line break still cannot end the row.
        assert_eq!(
            markdown_text("a\u{1b}b\nc|", Controls::Raw),
            "a\u{1b}b c\\|"
        );
    }

    #[test]
    fn durations() {
        assert_eq!(dur(850_000.0), "850 µs");
        assert_eq!(dur(12_345_678.0), "12.346 ms");
        assert_eq!(dur(6.21e9), "6.210 s");
        assert_eq!(dur(125e9), "2 m 5.0 s");
    }
}
