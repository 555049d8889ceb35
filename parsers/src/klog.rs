//! klog text records: `Lmmdd hh:mm:ss.uuuuuu PPPPPPP file:line] msg` (docs/formats.md#klog-text).
//!
//! The header is fixed-offset, so it is parsed by hand (no allocation, ~tens of ns). After `] `
//! comes either a structured record (`"quoted message" key=value …`) or free printf text.

use crate::quote::closing_quote;
use crate::time::{Civil, parse_klog_time};

/// The klog header fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    /// `I`, `W`, `E` or `F`.
    pub severity: u8,
    /// Local time of the writing process, without year and zone.
    pub time: Civil,
    pub pid: u32,
    /// `file.go:123` (basename, or `dir/file.go` with `-add_dir_header`).
    pub source: &'a str,
}

/// What follows the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body<'a> {
    /// `InfoS`/`ErrorS`: the Go-quoted message (still escaped, without quotes) and the
    /// `key=value` tail after it.
    Structured { msg: &'a str, tail: &'a str },
    /// printf-style text, verbatim.
    Text(&'a str),
}

/// A whole klog record on one physical line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    pub header: Header<'a>,
    pub body: Body<'a>,
}

/// Why a line that looked like klog was not one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// Not a klog header at all (continuation line, other format).
    NotKlog,
    /// A structured message whose closing quote is missing (truncated line).
    UnterminatedMessage,
}

/// Cheap test: does this look like the start of a klog header?
#[inline]
pub fn looks_like_header(b: &[u8]) -> bool {
    b.len() >= 22
        && matches!(b[0], b'I' | b'W' | b'E' | b'F')
        && b[1].is_ascii_digit()
        && b[5] == b' '
        && b[8] == b':'
}

/// Parses one klog line.
pub fn parse(line: &str) -> Result<Record<'_>, Error> {
    let b = line.as_bytes();
    if !looks_like_header(b) {
        return Err(Error::NotKlog);
    }
    let time = parse_klog_time(&b[1..]).ok_or(Error::NotKlog)?;
    // After the time: spaces, the pid, a space, `file:line]`, a space.
    let mut i = 15;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    while i < b.len() && b[i] == b' ' {
        i += 1;
    }
    let pid_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i == pid_start || b.get(i) != Some(&b' ') {
        return Err(Error::NotKlog);
    }
    let pid = line[pid_start..i].parse().map_err(|_| Error::NotKlog)?;
    i += 1;
    let close = memchr::memchr(b']', &b[i..]).ok_or(Error::NotKlog)? + i;
    let source = &line[i..close];
    if source.is_empty() || source.contains(' ') {
        return Err(Error::NotKlog);
    }
    let rest_start = if b.get(close + 1) == Some(&b' ') {
        close + 2
    } else {
        close + 1
    };
    let rest = &line[rest_start..];
    let header = Header {
        severity: b[0],
        time,
        pid,
        source,
    };
    let body = if rest.as_bytes().first() == Some(&b'"') {
        let q = closing_quote(rest.as_bytes()).ok_or(Error::UnterminatedMessage)?;
        let tail = rest[q + 1..].strip_prefix(' ').unwrap_or(&rest[q + 1..]);
        Body::Structured {
            msg: &rest[1..q],
            tail,
        }
    } else {
        Body::Text(rest)
    };
    Ok(Record { header, body })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Precision;

    #[test]
    fn structured_record() {
        let r = parse(r#"I1129 18:33:25.449865    2983 kubelet.go:2433] "SyncLoop ADD" source="api" pods=["default/multiple"]"#).unwrap();
        assert_eq!(r.header.severity, b'I');
        assert_eq!(r.header.pid, 2983);
        assert_eq!(r.header.source, "kubelet.go:2433");
        assert_eq!(r.header.time.sod, 18 * 3600 + 33 * 60 + 25);
        assert_eq!(r.header.time.nanos, 449_865_000);
        assert_eq!(r.header.time.precision, Precision::Us);
        assert_eq!(
            r.body,
            Body::Structured {
                msg: "SyncLoop ADD",
                tail: r#"source="api" pods=["default/multiple"]"#
            }
        );
    }

    #[test]
    fn text_record_and_not_klog() {
        let r = parse(
            "I0405 13:06:26.697111       7 controller.go:201] Dynamic reconfiguration succeeded.",
        )
        .unwrap();
        assert_eq!(r.body, Body::Text("Dynamic reconfiguration succeeded."));
        assert_eq!(r.header.pid, 7);
        assert_eq!(
            parse("Trace[907429387]: ---\"Computing predicates done\" 100ms"),
            Err(Error::NotKlog)
        );
        assert_eq!(parse("I0405 13:06:26.697111 x"), Err(Error::NotKlog));
        assert_eq!(
            parse(r#"E0901 23:35:30.674582     849 remote_runtime.go:176] "RunPodSandbox from"#),
            Err(Error::UnterminatedMessage)
        );
    }

    #[test]
    fn escaped_quotes_in_message() {
        let r = parse(r#"I1129 18:33:25.597271    2983 reconciler_common.go:258] "operationExecutor.VerifyControllerAttachedVolume started for volume \"kube-api-access-k8dc8\" " pod="default/multiple""#).unwrap();
        match r.body {
            Body::Structured { msg, tail } => {
                assert!(msg.ends_with(r#"\"kube-api-access-k8dc8\" "#));
                assert_eq!(tail, r#"pod="default/multiple""#);
            }
            _ => panic!("expected structured"),
        }
    }
}
