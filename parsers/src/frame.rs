//! Envelopes that wrap component lines (docs/formats.md#envelopes): journald/syslog prefixes, CRI container
//! log files, and support-bundle lines that start with an RFC 3339 stamp.

use crate::time::{Civil, Instant, parse_rfc3339, parse_syslog_time};

/// The kind of envelope a file uses; chosen once per file by [`sniff`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Envelope {
    /// The component's own lines, no prefix.
    Raw,
    /// journald/syslog text: `Nov 29 18:33:25 host ident[pid]: …` and the ISO variants.
    Journal,
    /// CRI log file: `<RFC3339Nano> stdout|stderr F|P …`.
    Cri,
    /// `<RFC3339> …` (support bundles, `kubectl logs --timestamps`).
    Stamped,
    /// `journalctl -o json` (one JSON object per line; see [`crate::journald`]).
    JournalJson,
    /// `journalctl -o export` (a record spans several lines; see [`crate::journald`]).
    JournalExport,
    /// A log store's records, one JSON record per line (see [`crate::logstore`]).
    StoreJson,
    /// `logcli query` default output: `<RFC3339> {labels} <line>` (see [`crate::logstore`]).
    Logcli,
}

impl Envelope {
    pub fn as_str(self) -> &'static str {
        match self {
            Envelope::Raw => "raw",
            Envelope::Journal => "journal",
            Envelope::Cri => "cri",
            Envelope::Stamped => "stamped",
            Envelope::JournalJson => "journal-json",
            Envelope::JournalExport => "journal-export",
            Envelope::StoreJson => "store-jsonl",
            Envelope::Logcli => "logcli",
        }
    }
}

/// A time written by the envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamp {
    /// Local wall-clock time with no zone (journald `short`, rsyslog traditional).
    Local(Civil),
    /// An instant with its zone (CRI, short-iso, rsyslog RFC 3339, stamped lines).
    Abs(Instant),
}

/// One physical line split into its envelope and the component's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    pub stamp: Option<Stamp>,
    /// journald hostname.
    pub host: Option<&'a str>,
    /// journald `SYSLOG_IDENTIFIER` (`kubelet`, `containerd`, `crio`, `kubenswrapper`, …).
    pub ident: Option<&'a str>,
    pub pid: Option<u32>,
    /// CRI: `stdout` or `stderr`.
    pub stream: Option<&'a str>,
    /// CRI `P` tag: this record continues in the next line of the same stream.
    pub partial: bool,
    /// What the component wrote.
    pub body: &'a str,
}

impl<'a> Frame<'a> {
    pub fn raw(body: &'a str) -> Self {
        Frame {
            stamp: None,
            host: None,
            ident: None,
            pid: None,
            stream: None,
            partial: false,
            body,
        }
    }
}

/// journald / syslog line. `None` when the line has no such prefix (a journal marker such as
/// `-- Boot … --`, or a continuation).
pub fn journal(line: &str) -> Option<Frame<'_>> {
    let b = line.as_bytes();
    let rfc3339 = if b.first()?.is_ascii_digit() {
        parse_rfc3339(b)
    } else {
        None
    };
    let (stamp, used) = if let Some((i, n)) = rfc3339 {
        // journald (`short-iso[-precise]`, strftime `%z`) and rsyslog write a numeric offset
        // and at most microseconds. A stamp in `Z` or with more digits is Go's RFC3339Nano: a
        // container log's (`kubectl logs --timestamps`, must-gather, support bundles), whatever
        // follows it.
        let stamp = &line[..n];
        let frac = stamp
            .split_once('.')
            .map_or(0, |(_, f)| f.bytes().take_while(u8::is_ascii_digit).count());
        if frac > 6 || stamp.ends_with(['Z', 'z']) {
            return None;
        }
        (Stamp::Abs(i), n)
    } else {
        // `Nov 29 18:33:25`, or a CJK locale's ` 1月 28 17:55:39` / `12月 28 …`.
        let (c, n) = parse_syslog_time(b)?;
        (Stamp::Local(c), n)
    };
    let s = line[used..].strip_prefix(' ')?;
    let sp = memchr::memchr(b' ', s.as_bytes())?;
    let host = &s[..sp];
    // This keeps `<stamp> {"msg":…` and other stamped lines from passing for journal lines.
    if !is_host_name(host) {
        return None;
    }
    let s = &s[sp + 1..];
    // `ident[pid]: ` or `ident: `. The identifier has no spaces.
    let colon = memchr::memchr(b':', s.as_bytes())?;
    let head = &s[..colon];
    // Identifiers start with a letter (`kubelet`, `containerd`, `systemd-journald`, `(sd-pam)`):
    // this keeps `<stamp> I0602 09:00:03…` (a stamped klog line) from passing for a journal line.
    if head.is_empty()
        || head.contains(' ')
        || !head.starts_with(|c: char| c.is_ascii_alphabetic() || c == '(')
    {
        return None;
    }
    let (ident, pid) = match head.find('[') {
        Some(k) if head.ends_with(']') => (&head[..k], head[k + 1..head.len() - 1].parse().ok()),
        _ => (head, None),
    };
    let rest = &s[colon + 1..];
    let body = rest.strip_prefix(' ').unwrap_or(rest);
    Some(Frame {
        stamp: Some(stamp),
        host: Some(host),
        ident: Some(ident),
        pid,
        stream: None,
        partial: false,
        body,
    })
}

/// A host name as journals write it: letters, digits, `-`, `.`, `_`, starting with a letter or
/// digit.
pub fn is_host_name(h: &str) -> bool {
    h.starts_with(|c: char| c.is_ascii_alphanumeric())
        && h.len() <= 253
        && h.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_'))
}

/// CRI container-log line.
pub fn cri(line: &str) -> Option<Frame<'_>> {
    let (t, used) = parse_rfc3339(line.as_bytes())?;
    let s = line[used..].strip_prefix(' ')?;
    let (stream, s) = if let Some(r) = s.strip_prefix("stderr ") {
        ("stderr", r)
    } else if let Some(r) = s.strip_prefix("stdout ") {
        ("stdout", r)
    } else {
        return None;
    };
    let (partial, body) = match s.as_bytes() {
        [b'F', b' ', ..] => (false, &s[2..]),
        [b'P', b' ', ..] => (true, &s[2..]),
        [b'F'] => (false, ""),
        [b'P'] => (true, ""),
        _ => return None,
    };
    Some(Frame {
        stamp: Some(Stamp::Abs(t)),
        host: None,
        ident: None,
        pid: None,
        stream: Some(stream),
        partial,
        body,
    })
}

/// `<RFC3339> body`.
pub fn stamped(line: &str) -> Option<Frame<'_>> {
    let (t, used) = parse_rfc3339(line.as_bytes())?;
    let body = line[used..].strip_prefix(' ')?;
    Some(Frame {
        stamp: Some(Stamp::Abs(t)),
        ..Frame::raw(body)
    })
}

/// Splits a line according to its file's envelope. `None`: the line does not carry the
/// envelope (the caller decides whether it continues the previous record).
pub fn split(env: Envelope, line: &str) -> Option<Frame<'_>> {
    match env {
        Envelope::Raw => Some(Frame::raw(line)),
        Envelope::Journal => journal(line),
        Envelope::Cri => cri(line),
        Envelope::Stamped => stamped(line),
        // Decoded whole by `crate::journald`, not split.
        Envelope::JournalJson
        | Envelope::JournalExport
        | Envelope::StoreJson
        | Envelope::Logcli => None,
    }
}

/// Picks the envelope that frames most of the given first lines of a file. CRI is tried before
/// "stamped" because every CRI line is also a stamped line.
pub fn sniff<'a>(lines: impl IntoIterator<Item = &'a str>) -> Envelope {
    let (mut j, mut c, mut s, mut n) = (0, 0, 0, 0);
    for l in lines {
        if l.trim().is_empty() {
            continue;
        }
        n += 1;
        // Most specific first: a CRI line is also a stamped line, and so is an ISO journal line.
        if cri(l).is_some() {
            c += 1;
        } else if journal(l).is_some() {
            j += 1;
        } else if stamped(l).is_some() {
            s += 1;
        }
    }
    let best = j.max(c).max(s);
    // More than a third: journal files carry `-- Boot --` markers and continuation lines.
    if best == 0 || best * 3 < n {
        Envelope::Raw
    } else if best == c {
        Envelope::Cri
    } else if best == j {
        Envelope::Journal
    } else {
        Envelope::Stamped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{Precision, format_rfc3339_nanos};

    #[test]
    fn journal_variants() {
        let f = journal("Nov 29 18:33:25 aks-nodepool1-23707431-vmss000000 kubelet[2983]: I1129 18:33:25.449865    2983 kubelet.go:2433] \"SyncLoop ADD\"").unwrap();
        assert_eq!(f.host, Some("aks-nodepool1-23707431-vmss000000"));
        assert_eq!((f.ident, f.pid), (Some("kubelet"), Some(2983)));
        assert!(f.body.starts_with("I1129 18:33:25.449865"));
        match f.stamp {
            Some(Stamp::Local(c)) => {
                assert_eq!((c.month, c.day, c.precision), (11, 29, Precision::S))
            }
            other => panic!("{other:?}"),
        }
        // short-precise
        let f = journal("May 27 16:02:29.013534 ip-10-0-67-181 crio[2440]: time=\"x\"").unwrap();
        assert!(matches!(f.stamp, Some(Stamp::Local(c)) if c.nanos == 13_534_000));
        // rsyslog traditional, space-padded day
        let f = journal("Aug  8 13:43:41 aks-node containerd[1520]: hello").unwrap();
        assert_eq!((f.host, f.body), (Some("aks-node"), "hello"));
        // short-iso (no colon in offset), short-iso-precise, rsyslog RFC 3339
        let f = journal("2024-03-29T10:15:32+0200 host kubelet[1234]: x").unwrap();
        assert!(
            matches!(f.stamp, Some(Stamp::Abs(i)) if format_rfc3339_nanos(i.unix_nanos) == "2024-03-29T08:15:32.000000000Z")
        );
        let f = journal("2024-03-29T10:15:32.123456+0000 host kubelet[1234]: x").unwrap();
        assert!(matches!(f.stamp, Some(Stamp::Abs(i)) if i.precision == Precision::Us));
        let f = journal("2026-03-25T23:10:20.190164+00:00 k8sprodworker02 containerd[19343]: y")
            .unwrap();
        assert_eq!(f.body, "y");
        // identifier without pid
        // journalctl under ja_JP (real: samples/real/k3s/microshift-4.16_ja-locale_…)
        let f = journal(" 1月 28 17:55:40 jetson07 microshift[779521]: kubelet I0128 x").unwrap();
        assert_eq!(
            (f.host, f.ident, f.body),
            (Some("jetson07"), Some("microshift"), "kubelet I0128 x")
        );
        let f = journal("12月 28 17:55:40 h kubelet[1]: y").unwrap();
        assert!(matches!(f.stamp, Some(Stamp::Local(c)) if c.month == 12));
        let f = journal("Nov 29 18:33:25 host kernel: eth0 up").unwrap();
        assert_eq!((f.ident, f.pid, f.body), (Some("kernel"), None, "eth0 up"));
        assert!(journal("-- Boot 5e1e2799dd1c4cce8e4e7d28ac265148 --").is_none());
        assert!(journal("\tcontinuation").is_none());
        assert!(
            journal("2025-06-02T09:00:03.1Z I0602 09:00:03.099000       1 proxier.go:799] x")
                .is_none()
        );
        // Container logs with an RFC 3339 stamp are not journals (a support bundle's ordinary
        // container output), whatever words follow.
        assert!(journal("2025-12-30T21:49:16.003071732Z {\"msg\":\"a\", \"b\":\"c\"}").is_none());
        assert!(journal("2025-12-30T21:49:16.003071732Z INFO server: started").is_none());
        assert!(journal("2025-12-30T21:49:16.003071Z {\"level\":\"info\", ts: 1}").is_none());
    }

    #[test]
    fn cri_lines() {
        let f = cri("2025-03-17T10:12:21.773520512Z stderr F I0317 10:12:21.773142       1 schedule_one.go:304] \"Successfully bound pod to node\"").unwrap();
        assert_eq!((f.stream, f.partial), (Some("stderr"), false));
        assert!(f.body.starts_with("I0317"));
        let f = cri("2025-03-17T10:12:21Z stdout P part one").unwrap();
        assert_eq!((f.partial, f.body), (true, "part one"));
        assert!(cri("2025-03-17T10:12:21Z stdlog F x").is_none());
    }

    #[test]
    fn sniffing() {
        let journal_lines = [
            "-- Journal begins at Fri 2023-09-01 23:34:50 UTC. --",
            "Sep 01 23:34:50 h systemd[1]: x",
            "Sep 01 23:34:50 h systemd[1]: y",
        ];
        assert_eq!(sniff(journal_lines), Envelope::Journal);
        assert_eq!(
            sniff([
                "2025-03-17T10:12:21Z stderr F a",
                "2025-03-17T10:12:22Z stderr F b"
            ]),
            Envelope::Cri
        );
        assert_eq!(
            sniff(["2025-03-17T10:12:21.5Z I0317 x", "2025-03-17T10:12:22Z b"]),
            Envelope::Stamped
        );
        assert_eq!(
            sniff(["I0301 14:43:59.686874 3271115 a.go:1] \"x\""]),
            Envelope::Raw
        );
        assert_eq!(
            sniff([
                "2025-12-30T21:49:16.003071732Z {\"msg\":\"started\", \"port\": 8080}",
                "2025-12-30T21:49:17.1Z INFO main: listening",
            ]),
            Envelope::Stamped
        );
        assert_eq!(sniff(Vec::<&str>::new()), Envelope::Raw);
    }
}
