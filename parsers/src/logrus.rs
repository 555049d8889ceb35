//! logrus / slog text records (containerd, CRI-O, Cilium, calico-ipam):
//! `time="2024-11-29T18:33:25.775569203Z" level=info msg="…" key=value…` (docs/formats.md#logrus).

use crate::kv::{Pairs, Value};
use crate::time::{Instant, parse_rfc3339};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    /// `time=`, absolute (logrus prints the zone). `None` when absent or unreadable.
    pub time: Option<Instant>,
    pub level: &'a str,
    /// The message, still Go-escaped.
    pub msg: Value<'a>,
    /// The pairs after `msg=` (logrus sorts them by key).
    pub tail: &'a str,
    /// Bytes before `time=` that were not part of the record (a CNI plugin's stdout glued to
    /// the record without a newline); empty in the usual case.
    pub prefix: &'a str,
}

/// Cheap test for a logrus record.
#[inline]
pub fn looks_like(line: &str) -> bool {
    line.starts_with("time=")
}

/// Parses one logrus/slog text line. Finds `time=` even after glued leading garbage.
pub fn parse(line: &str) -> Option<Record<'_>> {
    let start = if line.starts_with("time=") {
        0
    } else {
        memchr::memmem::find(line.as_bytes(), b"time=\"")?
    };
    let s = &line[start..];
    let mut pairs = Pairs::new(s);
    let mut time = None;
    let mut level = "";
    let mut msg = None;
    for (k, v) in pairs.by_ref() {
        match k {
            "time" => time = parse_rfc3339(v.raw().as_bytes()).map(|(t, _)| t),
            "level" => level = v.raw(),
            "msg" => {
                msg = Some(v);
                break;
            }
            _ => {}
        }
    }
    let msg = msg?;
    if msg == Value::MultiLine {
        return None;
    }
    let msg_end = pairs.pos();
    let tail = s[msg_end..].trim_start_matches(' ');
    Some(Record {
        time,
        level,
        msg,
        tail,
        prefix: &line[..start],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::format_rfc3339_nanos;

    #[test]
    fn containerd_record() {
        let r = parse(r#"time="2024-11-29T18:33:25.940422419Z" level=info msg="RunPodSandbox for &PodSandboxMetadata{Name:multiple,Uid:ecf6,Namespace:default,Attempt:0,} returns sandbox id \"9782\"""#).unwrap();
        assert_eq!(
            format_rfc3339_nanos(r.time.unwrap().unix_nanos),
            "2024-11-29T18:33:25.940422419Z"
        );
        assert_eq!(r.level, "info");
        assert!(r.msg.text().ends_with("returns sandbox id \"9782\""));
        assert_eq!(r.tail, "");
    }

    #[test]
    fn fields_after_msg_and_glued_prefix() {
        let r = parse(r#"{"type":"bridge"}time="2025-07-10T17:02:21.821752476+08:00" level=info msg="loading plugin" runtime=io.containerd.runc.v2 type=x"#).unwrap();
        assert_eq!(r.prefix, r#"{"type":"bridge"}"#);
        assert_eq!(r.tail, "runtime=io.containerd.runc.v2 type=x");
        assert_eq!(r.time.unwrap().offset_secs, 8 * 3600);
    }

    #[test]
    fn slog_unquoted_time() {
        let r = parse(r#"time=2025-09-16T15:16:09.221863342Z level=info msg="Create endpoint request" k8sUID=127b"#).unwrap();
        assert!(r.time.is_some());
        assert_eq!(r.msg.text(), "Create endpoint request");
        assert_eq!(r.tail, "k8sUID=127b");
        assert!(parse("no record here").is_none());
        // Found by proptest: an empty msg at the end of the line.
        let r = parse(r#"time="2024-11-29T18:33:25Z" level=info msg="#).unwrap();
        assert_eq!((r.msg.raw(), r.tail), ("", ""));
    }
}
