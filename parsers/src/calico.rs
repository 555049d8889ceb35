//! Calico CNI plugin lines: `2022-04-29 07:43:59.996 [INFO][30696] ipam_plugin.go 284: msg k=v`
//! (libcalico-go `logutils.Formatter`; local time with milliseconds and no zone, docs/formats.md#calico).

use crate::time::{Civil, parse_civil_datetime};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    pub time: Civil,
    pub level: &'a str,
    pub pid: u32,
    pub source: &'a str,
    /// Message and its `Key=value` pairs, verbatim.
    pub rest: &'a str,
}

pub fn parse(line: &str) -> Option<Record<'_>> {
    let (time, used) = parse_civil_datetime(line.as_bytes())?;
    let s = line[used..].strip_prefix(" [")?;
    let (level, s) = s.split_once("][")?;
    let (pid, s) = s.split_once("] ")?;
    let pid = pid.parse().ok()?;
    let (source, rest) = s.split_once(": ")?;
    Some(Record {
        time,
        level,
        pid,
        source,
        rest,
    })
}

/// Where the `Key=value` pairs start in a Calico message: the first space-separated token that
/// looks like `Word=`.
pub fn kv_start(rest: &str) -> usize {
    let b = rest.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let tok_end = memchr::memchr(b' ', &b[i..]).map_or(b.len(), |k| i + k);
        let tok = &b[i..tok_end];
        if let Some(eq) = tok.iter().position(|&c| c == b'=') {
            if eq > 0 && tok[..eq].iter().all(|c| c.is_ascii_alphanumeric()) {
                return i;
            }
        }
        i = tok_end + 1;
    }
    rest.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calico_line() {
        let r = parse(r#"2022-04-29 07:44:00.080 [INFO][30672] k8s.go 484: Wrote updated endpoint to datastore ContainerID="6bd8" Namespace="demo" Pod="goapp""#).unwrap();
        assert_eq!((r.level, r.pid, r.source), ("INFO", 30672, "k8s.go 484"));
        assert_eq!(r.time.nanos, 80_000_000);
        let k = kv_start(r.rest);
        assert_eq!(
            &r.rest[k..],
            r#"ContainerID="6bd8" Namespace="demo" Pod="goapp""#
        );
        assert!(parse("2022-04-29 07:44:00.080 nope").is_none());
    }
}
