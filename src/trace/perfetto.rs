//! Chrome trace-event JSON (opens in ui.perfetto.dev and chrome://tracing).
//!
//! One process per pod (its track group, named `namespace/name`); inside it, spans are laid out
//! on as few threads ("lanes") as keep every lane strictly nested, because both viewers require
//! complete events on one thread to nest. Milestones are instant events on the lane of their
//! span. Times are microseconds from the earliest span (`otherData.origin_utc`), so that the
//! nanoseconds survive the viewers' double-precision numbers.

use std::io::Write;

use serde_json::{Map, Value, json};

use super::{AttrValue, PlannedSpan};

fn attr_json(v: &AttrValue) -> Value {
    match v {
        AttrValue::Str(s) => Value::String(s.clone()),
        AttrValue::Int(i) => json!(i),
        AttrValue::F64(f) => json!(f),
        AttrValue::Bool(b) => json!(b),
        AttrValue::Strs(v) => json!(v),
    }
}

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

fn us(ns: i64, origin: i64) -> Value {
    // Microseconds with three decimals: exact nanoseconds in a JSON number.
    let d = ns - origin;
    let text = format!(
        "{}{}.{:03}",
        if d < 0 { "-" } else { "" },
        d.unsigned_abs() / 1000,
        d.unsigned_abs() % 1000
    );
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Writes the trace for spans grouped by trace (as [`super::plan_all`] returns them: each pod's
/// spans together, root first). Returns the number of complete events written.
pub fn write(spans: &[PlannedSpan], out: &mut dyn Write) -> anyhow::Result<usize> {
    let origin = spans.iter().map(|s| s.start).min().unwrap_or(0);
    let mut events: Vec<Value> = Vec::new();
    let mut complete = 0;
    let mut pid = 0u64;
    let mut i = 0;
    while i < spans.len() {
        let trace = spans[i].trace_id;
        let mut j = i;
        while j < spans.len() && spans[j].trace_id == trace {
            j += 1;
        }
        let pod: Vec<&PlannedSpan> = spans[i..j].iter().collect();
        i = j;
        pid += 1;
        events.push(json!({"ph":"M","name":"process_name","pid":pid,"tid":0,
            "args":{"name": pod[0].name}}));
        events.push(
            json!({"ph":"M","name":"process_sort_index","pid":pid,"tid":0,
            "args":{"sort_index": pid}}),
        );
        let lane = lanes(&pod);
        let mut named = std::collections::BTreeSet::new();
        for (k, s) in pod.iter().enumerate() {
            let tid = lane[k] as u64 + 1;
            if named.insert(tid) {
                let lane_name = if tid == 1 {
                    "pod".to_owned()
                } else {
                    format!("lane {tid}")
                };
                events.push(json!({"ph":"M","name":"thread_name","pid":pid,"tid":tid,
                    "args":{"name": lane_name}}));
            }
            let mut args = Map::new();
            args.insert("trace_id".into(), Value::String(super::hex(&s.trace_id)));
            args.insert("span_id".into(), Value::String(super::hex(&s.span_id)));
            args.insert("service.name".into(), Value::String(s.service.into()));
            for (key, v) in &s.attributes {
                args.insert((*key).into(), attr_json(v));
            }
            if let Some(e) = &s.error {
                args.insert("error".into(), Value::String(e.clone()));
            }
            events.push(
                json!({"ph":"X","name":s.name,"cat":s.service,"pid":pid,"tid":tid,
                "ts":us(s.start, origin),"dur":us(s.end, s.start),"args":args}),
            );
            complete += 1;
            for e in &s.events {
                let mut eargs = Map::new();
                for (key, v) in &e.attributes {
                    eargs.insert((*key).into(), attr_json(v));
                }
                events.push(
                    json!({"ph":"i","s":"t","name":e.name,"cat":s.service,"pid":pid,
                    "tid":tid,"ts":us(e.t, origin),"args":eargs}),
                );
            }
        }
    }
    let doc = json!({
        "traceEvents": events,
        "displayTimeUnit": "ms",
        "otherData": {
            "producer": concat!("podtrace ", env!("CARGO_PKG_VERSION")),
            "origin_utc": podtrace_parsers::time::format_rfc3339_nanos(origin),
        },
    });
    serde_json::to_writer(&mut *out, &doc)?;
    out.write_all(b"\n")?;
    Ok(complete)
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
        assert_eq!(us(1_234_567, 0).to_string(), "1234.567");
        assert_eq!(us(5, 10).to_string(), "-0.005");
        assert_eq!(us(2_000, 0).to_string(), "2.0");
    }
}
