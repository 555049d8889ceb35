//! `podtrace inspect`: what podtrace sees in each file — format, source, host, clock, time range,
//! line accounting and the first unparsed lines. The first stop when something looks wrong.

use std::io::{self, Write};

use podtrace_parsers::time::format_rfc3339_nanos;
use serde_json::json;

use super::escape::{self, Controls};
use super::style::Style;
use crate::Analysis;
use crate::event::{ClockKind, Component};
use crate::timeline::clock::format_offset;

/// Each file's block. File names, hosts, reasons and the echoed unparsed lines come from the
/// input: shown as `c` says (escaped, an archive member's name or a line's text cannot forge a
/// line of this listing or send the terminal an escape sequence).
pub fn write_text(a: &Analysis, w: &mut dyn Write, c: Controls) -> io::Result<()> {
    write_text_with(
        a,
        w,
        &Options {
            controls: c,
            style: Style::PLAIN,
            wide: false,
        },
    )
}

/// How `inspect`'s text looks.
pub struct Options {
    pub controls: Controls,
    pub style: Style,
    /// Paths and unparsed lines whole (`-o wide`), not cut to 100 columns.
    pub wide: bool,
}

/// [`write_text`] with colour (skipped files and missing sources stand out, unparsed lines and
/// incomplete reads are failures) and, unless `wide`, paths and echoed lines cut to 100 columns.
pub fn write_text_with(a: &Analysis, w: &mut dyn Write, o: &Options) -> io::Result<()> {
    let (c, s) = (o.controls, o.style);
    // A path longer than the line is cut in the middle (its directories and the pod and
    // container of a container log's name stay; `-o wide` prints it whole).
    let path = |p: &str| {
        let shown = c.show(p);
        if o.wide {
            shown.into_owned()
        } else {
            super::text::elide(&shown, super::text::COLUMNS)
        }
    };
    for f in &a.files {
        writeln!(w, "{}", s.bold(path(&f.path)))?;
        if let Some(why) = &f.skipped {
            writeln!(w, "  {} {}", s.missing("skipped:"), c.show(why))?;
            continue;
        }
        let sources: Vec<&str> = f
            .counts
            .iter()
            .filter(|(c, n)| **c != Component::Other || n.recognised > 0)
            .map(|(c, _)| c.as_str())
            .collect();
        writeln!(
            w,
            "  format {}  host {}  source {}",
            f.format,
            if f.hosts.is_empty() {
                "unknown".to_owned()
            } else {
                c.show(&f.hosts.join(",")).into_owned()
            },
            if sources.is_empty() {
                "none recognised".to_owned()
            } else {
                sources.join(",")
            }
        )?;
        for k in a.clocks.clocks.iter().filter(|k| {
            k.host.as_ref().is_some_and(|h| f.hosts.contains(h))
                && (k.kind == ClockKind::JournalPrefix && f.format == "journal"
                    || f.counts.contains_key(&k.component))
        }) {
            let what = if k.kind == ClockKind::JournalPrefix {
                "journal prefix"
            } else {
                k.component.as_str()
            };
            writeln!(
                w,
                "  clock {what} {} ({})",
                format_offset(k.offset_secs),
                c.show(&k.basis)
            )?;
        }
        if let Some(y) = a.clocks.years.iter().find(|y| y.file == f.path) {
            writeln!(w, "  year {} ({})", y.year, c.show(&y.basis))?;
        }
        match f.time_range {
            Some((a, b)) => writeln!(
                w,
                "  time {} … {}",
                format_rfc3339_nanos(a),
                format_rfc3339_nanos(b)
            )?,
            None => writeln!(w, "  time: {}", s.missing("no event read"))?,
        }
        let t = f
            .counts
            .values()
            .fold(crate::input::Counts::default(), |mut acc, c| {
                acc.add(c);
                acc
            });
        let unparsed = format!("{} unparsed", t.unparsed);
        writeln!(
            w,
            "  lines {}: {} recognised ({} events), {} ignored, {}",
            t.lines,
            t.recognised,
            f.events,
            t.ignored,
            if t.unparsed > 0 {
                s.fail(unparsed).to_string()
            } else {
                unparsed
            }
        )?;
        if let Some(e) = &f.error {
            writeln!(w, "  {} {}", s.fail("incomplete:"), c.show(e))?;
        }
        for wmsg in &f.first_warnings {
            let line = escape::warning(wmsg, c);
            let line = if o.wide {
                line
            } else {
                super::text::elide(&line, super::text::COLUMNS - 11)
            };
            writeln!(w, "  {} {line}", s.fail("unparsed"))?;
        }
        if f.warnings as usize > f.first_warnings.len() {
            writeln!(
                w,
                "  … {} more",
                f.warnings as usize - f.first_warnings.len()
            )?;
        }
    }
    for x in &a.skipped {
        writeln!(
            w,
            "{}\n  {} {}",
            s.bold(path(&x.path)),
            s.missing("skipped:"),
            c.show(&x.reason.to_string())
        )?;
    }
    Ok(())
}

pub fn write_json(a: &Analysis, w: &mut dyn Write) -> io::Result<()> {
    for f in &a.files {
        let mut v = json!({ "type": "file" });
        let o = v.as_object_mut().expect("object");
        if let serde_json::Value::Object(m) = serde_json::to_value(f).map_err(io::Error::other)? {
            o.extend(m);
        }
        if let Some((x, y)) = f.time_range {
            v["time_range"] = json!([format_rfc3339_nanos(x), format_rfc3339_nanos(y)]);
        }
        super::escape::json(&mut *w, &v)?;
        w.write_all(b"\n")?;
    }
    super::escape::json(&mut *w, &json!({"type": "clocks", "clocks": a.clocks}))?;
    w.write_all(b"\n")
}
