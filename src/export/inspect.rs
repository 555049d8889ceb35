//! `podtrace inspect`: what podtrace sees in each file — format, source, host, clock, time range,
//! line accounting and the first unparsed lines. The first stop when something looks wrong.

use std::io::{self, Write};

use podtrace_parsers::time::format_rfc3339_nanos;
use serde_json::json;

use super::escape::{self, Controls};
use crate::Analysis;
use crate::event::{ClockKind, Component};
use crate::timeline::clock::format_offset;

/// Each file's block. File names, hosts, reasons and the echoed unparsed lines come from the
/// input: shown as `c` says (escaped, an archive member's name or a line's text cannot forge a
/// line of this listing or send the terminal an escape sequence).
pub fn write_text(a: &Analysis, w: &mut dyn Write, c: Controls) -> io::Result<()> {
    for f in &a.files {
        writeln!(w, "{}", c.show(&f.path))?;
        if let Some(why) = &f.skipped {
            writeln!(w, "  skipped: {}", c.show(why))?;
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
            None => writeln!(w, "  time: no event read")?,
        }
        let t = f
            .counts
            .values()
            .fold(crate::input::Counts::default(), |mut acc, c| {
                acc.add(c);
                acc
            });
        writeln!(
            w,
            "  lines {}: {} recognised ({} events), {} ignored, {} unparsed",
            t.lines, t.recognised, f.events, t.ignored, t.unparsed
        )?;
        if let Some(e) = &f.error {
            writeln!(w, "  incomplete: {}", c.show(e))?;
        }
        for wmsg in &f.first_warnings {
            writeln!(w, "  unparsed {}", escape::warning(wmsg, c))?;
        }
        if f.warnings as usize > f.first_warnings.len() {
            writeln!(
                w,
                "  … {} more",
                f.warnings as usize - f.first_warnings.len()
            )?;
        }
    }
    for s in &a.skipped {
        writeln!(
            w,
            "{}\n  skipped: {}",
            c.show(&s.path),
            c.show(&s.reason.to_string())
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
