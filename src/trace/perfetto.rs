//! Chrome trace-event JSON (opens in ui.perfetto.dev and chrome://tracing).
//!
//! One process per pod (its track group, named `namespace/name`); inside it, spans are laid out
//! on as few threads ("lanes") as keep every lane strictly nested, because both viewers require
//! complete events on one thread to nest. Milestones are instant events on the lane of their
//! span. Times are microseconds from the earliest span (`otherData.origin_utc`), so that the
//! nanoseconds survive the viewers' double-precision numbers.
//!
//! The document is written as it goes ([`Writer`]): one pod's events are serialised straight
//! into the output, so memory holds one pod, never the whole document (issue 17: 200,000 pods
//! took 11 GB as one `serde_json::Value`). The bytes are those the whole-document writer gave.

use std::io::Write;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::{AttrValue, PlannedSpan};

/// Lane of each span (index into `spans`) such that spans within a lane nest or are disjoint.
pub fn lanes(spans: &[&PlannedSpan]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..spans.len()).collect();
    order.sort_by_key(|&i| (spans[i].start, std::cmp::Reverse(spans[i].end)));
    // Per lane: the ends of the spans still open at the current start, innermost last.
    let mut stacks: Vec<Vec<i64>> = Vec::new();
    let mut lane = vec![0; spans.len()];
    for i in order {
        let (s, e) = (spans[i].start, spans[i].end);
        let mut placed = None;
        for (l, stack) in stacks.iter_mut().enumerate() {
            while stack.last().is_some_and(|&end| end <= s) {
                stack.pop();
            }
            if stack.last().is_none_or(|&end| end >= e) {
                stack.push(e);
                placed = Some(l);
                break;
            }
        }
        lane[i] = placed.unwrap_or_else(|| {
            stacks.push(vec![e]);
            stacks.len() - 1
        });
    }
    lane
}

/// Microseconds from `origin`, with three decimals: exact nanoseconds in a JSON number.
///
/// The decimal text goes through serde_json's own number parser (not `str::parse`), as the
/// whole-document writer's `Value` did, so that every figure prints the same digits.
#[derive(Clone, Copy)]
struct Us(Option<f64>);

fn us(ns: i64, origin: i64) -> Us {
    // In i128: two far-apart times (hostile logs) cannot overflow the difference.
    let d = i128::from(ns) - i128::from(origin);
    let text = format!(
        "{}{}.{:03}",
        if d < 0 { "-" } else { "" },
        d.unsigned_abs() / 1000,
        d.unsigned_abs() % 1000
    );
    Us(serde_json::from_str::<f64>(&text).ok())
}

impl Serialize for Us {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Some(v) => s.serialize_f64(v),
            None => s.serialize_unit(),
        }
    }
}

/// An attribute as JSON (non-finite floats become `null`, as `json!` made them).
struct Attr<'a>(&'a AttrValue);

impl Serialize for Attr<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            AttrValue::Str(v) => s.serialize_str(v),
            AttrValue::Int(v) => s.serialize_i64(*v),
            AttrValue::F64(v) if v.is_finite() => s.serialize_f64(*v),
            AttrValue::F64(_) => s.serialize_unit(),
            AttrValue::Bool(v) => s.serialize_bool(*v),
            AttrValue::Strs(v) => v.serialize(s),
        }
    }
}

enum ArgValue<'a> {
    Str(&'a str),
    Attr(&'a AttrValue),
}

/// An `args` object. Keys keep the position of their first insertion and the value of their
/// last, as a `serde_json::Map` with `preserve_order` does: a key written twice (a pod's
/// several `podtrace.finding`s) shows once, as it always has in this format.
struct Args<'a>(Vec<(&'a str, ArgValue<'a>)>);

impl<'a> Args<'a> {
    fn with_capacity(n: usize) -> Self {
        Args(Vec::with_capacity(n))
    }

    fn insert(&mut self, key: &'a str, v: ArgValue<'a>) {
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = v,
            None => self.0.push((key, v)),
        }
    }

    fn attrs(&mut self, attrs: &'a [(&'static str, AttrValue)]) {
        for (k, v) in attrs {
            self.insert(k, ArgValue::Attr(v));
        }
    }
}

impl Serialize for Args<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            match v {
                ArgValue::Str(v) => m.serialize_entry(k, v)?,
                ArgValue::Attr(v) => m.serialize_entry(k, &Attr(v))?,
            }
        }
        m.end()
    }
}

/// Field order is the format's: `ph`, `name`, `pid`, `tid`, `args`.
#[derive(Serialize)]
struct Metadata<'a, A> {
    ph: &'static str,
    name: &'static str,
    pid: u64,
    tid: u64,
    args: &'a A,
}

#[derive(Serialize)]
struct NameArg<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct SortArg {
    sort_index: u64,
}

#[derive(Serialize)]
struct Complete<'a> {
    ph: &'static str,
    name: &'a str,
    cat: &'a str,
    pid: u64,
    tid: u64,
    ts: Us,
    dur: Us,
    args: Args<'a>,
}

#[derive(Serialize)]
struct Instant<'a> {
    ph: &'static str,
    s: &'static str,
    name: &'a str,
    cat: &'a str,
    pid: u64,
    tid: u64,
    ts: Us,
    args: Args<'a>,
}

#[derive(Serialize)]
struct OtherData<'a> {
    producer: &'a str,
    origin_utc: &'a str,
}

/// Writes one trace-event document pod by pod.
///
/// Spans are grouped by trace as they arrive: consecutive spans of one trace are one process,
/// even across [`Writer::push`] calls (two timelines that share a trace id stay one track group,
/// as they were when the whole list was grouped at once). Only the current group is held.
pub struct Writer<W: Write> {
    out: W,
    origin: i64,
    pid: u64,
    complete: usize,
    /// Whether an event was written (a comma goes before the next one).
    wrote: bool,
    group: Vec<PlannedSpan>,
}

impl<W: Write> Writer<W> {
    /// Starts the document; `origin` is the earliest span start of all that will be pushed
    /// ([`super::earliest`]), 0 when there are none.
    pub fn new(mut out: W, origin: i64) -> anyhow::Result<Self> {
        out.write_all(b"{\"traceEvents\":[")?;
        Ok(Writer {
            out,
            origin,
            pid: 0,
            complete: 0,
            wrote: false,
            group: Vec::new(),
        })
    }

    /// Adds spans (as [`super::plan`] returns them: a trace's spans together, root first).
    pub fn push(&mut self, spans: Vec<PlannedSpan>) -> anyhow::Result<()> {
        for s in spans {
            if self.group.first().is_some_and(|g| g.trace_id != s.trace_id) {
                self.flush_group()?;
            }
            self.group.push(s);
        }
        Ok(())
    }

    /// Ends the document; returns the number of complete events (spans) written and the output.
    pub fn finish(mut self) -> anyhow::Result<(usize, W)> {
        self.flush_group()?;
        self.out
            .write_all(b"],\"displayTimeUnit\":\"ms\",\"otherData\":")?;
        let origin_utc = podtrace_parsers::time::format_rfc3339_nanos(self.origin);
        serde_json::to_writer(
            &mut self.out,
            &OtherData {
                producer: concat!("podtrace ", env!("CARGO_PKG_VERSION")),
                origin_utc: &origin_utc,
            },
        )?;
        self.out.write_all(b"}\n")?;
        Ok((self.complete, self.out))
    }

    fn event<T: Serialize>(&mut self, e: &T) -> anyhow::Result<()> {
        if self.wrote {
            self.out.write_all(b",")?;
        }
        self.wrote = true;
        serde_json::to_writer(&mut self.out, e)?;
        Ok(())
    }

    /// Writes the held group as one process.
    fn flush_group(&mut self) -> anyhow::Result<()> {
        let group = std::mem::take(&mut self.group);
        let Some(first) = group.first() else {
            return Ok(());
        };
        self.pid += 1;
        let pid = self.pid;
        let origin = self.origin;
        self.event(&Metadata {
            ph: "M",
            name: "process_name",
            pid,
            tid: 0,
            args: &NameArg { name: &first.name },
        })?;
        self.event(&Metadata {
            ph: "M",
            name: "process_sort_index",
            pid,
            tid: 0,
            args: &SortArg { sort_index: pid },
        })?;
        let refs: Vec<&PlannedSpan> = group.iter().collect();
        let lane = lanes(&refs);
        let mut named = std::collections::BTreeSet::new();
        for (k, s) in group.iter().enumerate() {
            let tid = lane[k] as u64 + 1;
            if named.insert(tid) {
                let lane_name = if tid == 1 {
                    "pod".to_owned()
                } else {
                    format!("lane {tid}")
                };
                self.event(&Metadata {
                    ph: "M",
                    name: "thread_name",
                    pid,
                    tid,
                    args: &NameArg { name: &lane_name },
                })?;
            }
            let (trace_id, span_id) = (super::hex(&s.trace_id), super::hex(&s.span_id));
            let mut args = Args::with_capacity(s.attributes.len() + 4);
            args.insert("trace_id", ArgValue::Str(&trace_id));
            args.insert("span_id", ArgValue::Str(&span_id));
            args.insert("service.name", ArgValue::Str(s.service));
            args.attrs(&s.attributes);
            if let Some(e) = &s.error {
                args.insert("error", ArgValue::Str(e));
            }
            self.event(&Complete {
                ph: "X",
                name: &s.name,
                cat: s.service,
                pid,
                tid,
                ts: us(s.start, origin),
                dur: us(s.end, s.start),
                args,
            })?;
            self.complete += 1;
            for e in &s.events {
                let mut args = Args::with_capacity(e.attributes.len());
                args.attrs(&e.attributes);
                self.event(&Instant {
                    ph: "i",
                    s: "t",
                    name: &e.name,
                    cat: s.service,
                    pid,
                    tid,
                    ts: us(e.t, origin),
                    args,
                })?;
            }
        }
        Ok(())
    }
}

/// Writes the trace for spans grouped by trace (as [`super::plan_all`] returns them: each pod's
/// spans together, root first). Returns the number of complete events written.
pub fn write(spans: &[PlannedSpan], out: &mut dyn Write) -> anyhow::Result<usize> {
    let origin = spans.iter().map(|s| s.start).min().unwrap_or(0);
    let mut w = Writer::new(out, origin)?;
    w.push(spans.to_vec())?;
    Ok(w.finish()?.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::SpanKind;

    fn span(start: i64, end: i64) -> PlannedSpan {
        PlannedSpan {
            trace_id: [1; 16],
            span_id: [2; 8],
            parent: None,
            kind: SpanKind::Phase,
            name: String::new(),
            service: "kubelet",
            start,
            end,
            attributes: Vec::new(),
            events: Vec::new(),
            error: None,
        }
    }

    #[test]
    fn lanes_keep_strict_nesting() {
        // root [0,100]; a [0,40] b [40,70] nest; c [30,60] overlaps both partially; d [50,55]
        // nests in b.
        let s = [
            span(0, 100),
            span(0, 40),
            span(40, 70),
            span(30, 60),
            span(50, 55),
        ];
        let refs: Vec<&PlannedSpan> = s.iter().collect();
        assert_eq!(lanes(&refs), vec![0, 0, 0, 1, 0]);
    }

    #[test]
    fn microseconds_keep_nanoseconds() {
        let text = |ns, origin| serde_json::to_string(&us(ns, origin)).unwrap();
        assert_eq!(text(1_234_567, 0), "1234.567");
        assert_eq!(text(5, 10), "-0.005");
        assert_eq!(text(2_000, 0), "2.0");
        // The two ends of i64 apart (2^64 - 1 ns): no overflow, a figure (in serde_json's digits).
        assert_eq!(text(i64::MAX, i64::MIN), "1.844674407370955e+16");
    }

    #[test]
    fn args_keep_first_position_and_last_value() {
        let attrs = vec![
            ("a", AttrValue::Int(1)),
            ("podtrace.finding", AttrValue::Str("first".into())),
            ("b", AttrValue::F64(f64::NAN)),
            ("podtrace.finding", AttrValue::Str("second".into())),
        ];
        let mut args = Args::with_capacity(4);
        args.attrs(&attrs);
        assert_eq!(
            serde_json::to_string(&args).unwrap(),
            r#"{"a":1,"podtrace.finding":"second","b":null}"#
        );
    }

    #[test]
    fn a_trace_split_across_pushes_is_one_process() {
        let mut out = Vec::new();
        let mut w = Writer::new(&mut out, 0).unwrap();
        w.push(vec![span(0, 100)]).unwrap();
        w.push(vec![span(10, 20)]).unwrap();
        let mut other = span(5, 6);
        other.trace_id = [3; 16];
        w.push(vec![other]).unwrap();
        assert_eq!(w.finish().unwrap().0, 3);
        let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let pids: Vec<u64> = doc["traceEvents"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["ph"] == "X")
            .map(|e| e["pid"].as_u64().unwrap())
            .collect();
        assert_eq!(pids, vec![1, 1, 2]);
    }
}
