//! klog's JSON format (`--logging-format=json`, docs/formats.md#klog-json):
//! `{"ts":1710843679123.4568,"caller":"json/klog_test.go:41","msg":"…","v":0,"pod":{…},…}` —
//! `ts` in epoch milliseconds (float), no `level`, errors carry `err` and no `v`.

use std::collections::HashMap;

use serde_json::value::RawValue;

use crate::kv::Value;
use crate::time::{Instant, Precision};

#[derive(Debug)]
pub struct Record<'a> {
    pub time: Option<Instant>,
    /// The message, still JSON-escaped (JSON and Go escapes agree on what klog writes).
    pub msg: &'a str,
    /// Every other field, as a klog `key=value` would give it: strings as [`Value::Quoted`],
    /// numbers, objects and arrays as [`Value::Raw`] JSON.
    pub fields: Vec<(&'a str, Value<'a>)>,
}

/// Cheap test before paying for JSON.
#[inline]
pub fn looks_like(line: &[u8]) -> bool {
    line.starts_with(b"{\"ts\":")
}

fn value(raw: &RawValue) -> Value<'_> {
    let s = raw.get();
    match s.as_bytes().first() {
        Some(b'"') if s.len() >= 2 => Value::Quoted(&s[1..s.len() - 1]),
        _ => Value::Raw(s),
    }
}

/// `1710843679123.4568` (milliseconds, as zap prints a float64) → nanoseconds, decimal-exact
/// (going through f64 would lose the last digits at today's epoch).
fn epoch_millis(s: &str) -> Option<i64> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let ms: i64 = int.parse().ok()?;
    let digits: String = frac.chars().take(6).collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let sub: i64 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    let sub_ns = sub * 10i64.pow(6 - digits.len() as u32);
    ms.checked_mul(1_000_000)?.checked_add(sub_ns)
}

pub fn parse(line: &str) -> Option<Record<'_>> {
    // Keys are plain identifiers in klog output, so they can be borrowed.
    let map: HashMap<&str, &RawValue> = serde_json::from_str(line).ok()?;
    let msg = match value(map.get("msg")?) {
        Value::Quoted(m) => m,
        _ => return None,
    };
    let time = map
        .get("ts")
        .and_then(|t| epoch_millis(t.get()))
        .map(|ns| Instant {
            unix_nanos: ns,
            precision: Precision::Us,
            offset_secs: 0,
        });
    let mut fields: Vec<(&str, Value<'_>)> = map
        .iter()
        .filter(|(k, _)| !matches!(**k, "ts" | "msg" | "caller" | "v" | "logger"))
        .map(|(k, v)| (*k, value(v)))
        .collect();
    fields.sort_by_key(|(k, _)| *k);
    Some(Record { time, msg, fields })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::format_rfc3339_nanos;

    #[test]
    fn json_klog_record() {
        let r = parse(r#"{"ts":1710843679123.4568,"caller":"kubelet/kubelet.go:2407","msg":"SyncLoop ADD","v":2,"source":"api","pods":[{"name":"p","namespace":"ns"}]}"#).unwrap();
        assert_eq!(r.msg, "SyncLoop ADD");
        assert_eq!(
            format_rfc3339_nanos(r.time.unwrap().unix_nanos),
            "2024-03-19T10:21:19.123456800Z"
        );
        assert_eq!(
            r.fields,
            vec![
                ("pods", Value::Raw(r#"[{"name":"p","namespace":"ns"}]"#)),
                ("source", Value::Quoted("api"))
            ]
        );
        assert!(parse(r#"{"ts":1,"msg":3}"#).is_none());
        assert!(parse("{not json").is_none());
    }
}
