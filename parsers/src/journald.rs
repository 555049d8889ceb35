//! journald's machine-readable exports (docs/formats.md#journald-json): `journalctl -o json`
//! (one object per line; also `json-seq`'s 0x1E prefix and `json-sse`'s `data: ` prefix) and
//! `journalctl -o export` (`KEY=value` lines, a blank line between records, binary values as
//! `KEY\n<u64 LE length><bytes>\n`).
//!
//! systemd's `output_json` (`src/shared/logs-show.c`) writes every value as a string, numbers
//! included; a value that is not printable UTF-8 (ANSI colours, any C0 control but TAB/LF) as an
//! array of byte values; a multi-valued field as an array; a field over 4 KiB without `-a` as
//! `null`. Key order is hashmap order: nothing here depends on it.

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};

use crate::time::{Instant, Precision};

/// The fields of one journal entry podtrace uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entry<'a> {
    /// `MESSAGE`; `None` when journald wrote `null` (a value over 4 KiB without `-a`).
    pub message: Option<Cow<'a, str>>,
    /// `__REALTIME_TIMESTAMP`: when journald received the entry (µs since the epoch, UTC).
    pub realtime: Option<Instant>,
    pub hostname: Option<Cow<'a, str>>,
    pub identifier: Option<Cow<'a, str>>,
    pub unit: Option<Cow<'a, str>>,
    /// The message was a byte array (not printable UTF-8): decoded lossily.
    pub message_was_bytes: bool,
}

impl Entry<'_> {
    /// The program that wrote the entry: its syslog identifier, else its unit without
    /// `.service`.
    pub fn ident(&self) -> Option<&str> {
        self.identifier.as_deref().or_else(|| {
            self.unit
                .as_deref()
                .map(|u| u.strip_suffix(".service").unwrap_or(u))
        })
    }
}

/// A journald value: a string, an array of bytes, an array of values (multi-valued field), or
/// null.
#[derive(Debug, Default)]
struct Value<'a> {
    text: Option<Cow<'a, str>>,
    bytes: bool,
}

impl<'de: 'a, 'a> Deserialize<'de> for Value<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Value<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a journald field value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Value<'a>, E> {
                Ok(Value {
                    text: Some(Cow::Borrowed(v)),
                    bytes: false,
                })
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Value<'a>, E> {
                Ok(Value {
                    text: Some(Cow::Owned(v.to_owned())),
                    bytes: false,
                })
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Value<'a>, E> {
                Ok(Value {
                    text: Some(Cow::Owned(v)),
                    bytes: false,
                })
            }
            fn visit_unit<E: de::Error>(self) -> Result<Value<'a>, E> {
                Ok(Value::default())
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value<'a>, E> {
                Ok(Value {
                    text: Some(Cow::Owned(v.to_string())),
                    bytes: false,
                })
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value<'a>, A::Error> {
                // Either the bytes of one value, or several values (the first one is kept).
                let mut bytes = Vec::new();
                let mut first: Option<Value<'a>> = None;
                while let Some(item) = seq.next_element::<serde_json::Value>()? {
                    match item {
                        serde_json::Value::Number(n) => bytes.push(
                            n.as_u64()
                                .and_then(|b| u8::try_from(b).ok())
                                .unwrap_or(b'?'),
                        ),
                        serde_json::Value::String(s) if first.is_none() => {
                            first = Some(Value {
                                text: Some(Cow::Owned(s)),
                                bytes: false,
                            })
                        }
                        serde_json::Value::Array(a) if first.is_none() => {
                            let b: Vec<u8> = a
                                .iter()
                                .map(|x| {
                                    x.as_u64()
                                        .and_then(|b| u8::try_from(b).ok())
                                        .unwrap_or(b'?')
                                })
                                .collect();
                            first = Some(Value {
                                text: Some(Cow::Owned(String::from_utf8_lossy(&b).into_owned())),
                                bytes: true,
                            })
                        }
                        _ => {}
                    }
                }
                if let Some(f) = first {
                    return Ok(f);
                }
                Ok(Value {
                    text: Some(Cow::Owned(String::from_utf8_lossy(&bytes).into_owned())),
                    bytes: true,
                })
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

#[derive(Deserialize)]
struct Raw<'a> {
    #[serde(rename = "MESSAGE", borrow, default)]
    message: Value<'a>,
    #[serde(rename = "__REALTIME_TIMESTAMP", borrow, default)]
    realtime: Value<'a>,
    #[serde(rename = "_HOSTNAME", borrow, default)]
    hostname: Value<'a>,
    #[serde(rename = "SYSLOG_IDENTIFIER", borrow, default)]
    identifier: Value<'a>,
    #[serde(rename = "_SYSTEMD_UNIT", borrow, default)]
    unit: Value<'a>,
}

/// The `json-seq` record separator and the `json-sse` prefix, if any, removed.
fn strip_framing(line: &str) -> &str {
    let l = line.trim_start_matches('\u{1e}');
    l.strip_prefix("data: ").unwrap_or(l).trim()
}

/// Does this line look like a `journalctl -o json` entry? (`__REALTIME_TIMESTAMP` with
/// `__CURSOR` or `MESSAGE`; every entry journalctl prints has both meta fields.)
pub fn looks_like_json(line: &[u8]) -> bool {
    let l = line.trim_ascii_start();
    let l = l.strip_prefix(b"\x1e").unwrap_or(l);
    let l = l.strip_prefix(b"data: ").unwrap_or(l);
    l.first() == Some(&b'{')
        && memchr::memmem::find(l, b"\"__REALTIME_TIMESTAMP\"").is_some()
        && (memchr::memmem::find(l, b"\"__CURSOR\"").is_some()
            || memchr::memmem::find(l, b"\"MESSAGE\"").is_some())
}

/// Error of [`parse_json`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Not a JSON object (cut, damaged).
    NotJson(String),
    /// `__REALTIME_TIMESTAMP` missing or not a number of microseconds.
    NoTime,
}

/// Parses one `journalctl -o json` line.
pub fn parse_json(line: &str) -> Result<Entry<'_>, Error> {
    let raw: Raw<'_> =
        serde_json::from_str(strip_framing(line)).map_err(|e| Error::NotJson(e.to_string()))?;
    let realtime = raw
        .realtime
        .text
        .as_deref()
        .and_then(realtime_micros)
        .ok_or(Error::NoTime)?;
    Ok(Entry {
        message_was_bytes: raw.message.bytes,
        message: raw.message.text,
        realtime: Some(realtime),
        hostname: raw.hostname.text,
        identifier: raw.identifier.text,
        unit: raw.unit.text,
    })
}

/// `__REALTIME_TIMESTAMP`: decimal microseconds since the epoch.
pub fn realtime_micros(s: &str) -> Option<Instant> {
    let us: i64 = s.trim().parse().ok()?;
    Some(Instant {
        unix_nanos: us.checked_mul(1000)?,
        precision: Precision::Us,
        offset_secs: 0,
    })
}

/// Does the stream start like `journalctl -o export` (`__CURSOR=s=…` first, or
/// `__REALTIME_TIMESTAMP=<digits>` among the first lines)?
pub fn looks_like_export<'a>(mut head: impl Iterator<Item = &'a [u8]>) -> bool {
    let Some(first) = head.find(|l| !l.trim_ascii().is_empty()) else {
        return false;
    };
    first.starts_with(b"__CURSOR=s=")
        || (first.starts_with(b"__REALTIME_TIMESTAMP=")
            && first[21..].iter().all(u8::is_ascii_digit))
}

/// An `-o export` record being read line by line.
#[derive(Debug, Default)]
pub struct ExportRecord {
    pub message: Option<String>,
    pub realtime: Option<Instant>,
    pub hostname: Option<String>,
    pub identifier: Option<String>,
    pub unit: Option<String>,
    pub message_was_bytes: bool,
    /// A binary field whose bytes are still arriving: its name and what was read so far
    /// (the line reader splits the value at every `\n` it holds).
    binary: Option<(String, Vec<u8>)>,
    /// Bytes of an oversized binary value still to pass over (nothing of them is kept); `Some(0)`
    /// when its last byte was a newline and the line that ends the value is still to come.
    skipping: Option<u64>,
    /// Lines that are neither `KEY=value`, a field name, nor a blank line.
    pub malformed: u32,
    pub has_fields: bool,
}

/// What one `-o export` line did.
#[derive(Debug, PartialEq, Eq)]
pub enum ExportStep {
    /// More of the record follows.
    More,
    /// The blank line that ends a record: take it with [`ExportRecord::take`].
    End,
}

/// Largest binary value kept (bytes); larger ones are read past.
const MAX_BINARY: u64 = 16 * 1024 * 1024;

impl ExportRecord {
    /// Feeds one line, without its `\n` but with any `\r` before it (a binary value may end
    /// in one: the caller's line reader must keep it).
    pub fn line(&mut self, l: &[u8]) -> ExportStep {
        if let Some(rest) = self.skipping {
            // The rest of an oversized value; the `\n` that ended this line is one of its bytes
            // unless the value ends in this line.
            let n = l.len() as u64;
            self.skipping = (n < rest).then(|| rest - n - 1);
            return ExportStep::More;
        }
        if let Some((name, mut buf)) = self.binary.take() {
            buf.extend_from_slice(l);
            if buf.len() >= 8 {
                let len = u64::from_le_bytes(buf[..8].try_into().unwrap_or([0; 8]));
                let have = (buf.len() - 8) as u64;
                if have >= len {
                    buf.truncate(8 + len as usize);
                    let value = String::from_utf8_lossy(&buf[8..]).into_owned();
                    self.set(&name, value, true);
                    return ExportStep::More;
                }
                if len > MAX_BINARY {
                    // Kept: the first bytes; the rest is passed over byte for byte, so that
                    // nothing inside the value is read as fields or records.
                    let value = String::from_utf8_lossy(&buf[8..]).into_owned();
                    self.set(&name, value, true);
                    self.skipping = Some(len - have - 1);
                    return ExportStep::More;
                }
            }
            // The value held a newline: it goes on in the next line.
            buf.push(b'\n');
            self.binary = Some((name, buf));
            return ExportStep::More;
        }
        let l = l.strip_suffix(b"\r").unwrap_or(l);
        if l.is_empty() {
            return ExportStep::End;
        }
        match memchr::memchr(b'=', l) {
            Some(k) => {
                let name = String::from_utf8_lossy(&l[..k]).into_owned();
                let value = String::from_utf8_lossy(&l[k + 1..]).into_owned();
                self.set(&name, value, false);
            }
            None => {
                let name = String::from_utf8_lossy(l);
                if name
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
                {
                    self.binary = Some((name.into_owned(), Vec::new()));
                } else {
                    self.malformed += 1;
                }
            }
        }
        ExportStep::More
    }

    fn set(&mut self, name: &str, value: String, bytes: bool) {
        self.has_fields = true;
        match name {
            "MESSAGE" => {
                self.message = Some(value);
                self.message_was_bytes = bytes;
            }
            "__REALTIME_TIMESTAMP" => self.realtime = realtime_micros(&value),
            "_HOSTNAME" => self.hostname = Some(value),
            "SYSLOG_IDENTIFIER" => self.identifier = Some(value),
            "_SYSTEMD_UNIT" => self.unit = Some(value),
            _ => {}
        }
    }

    /// The record read so far, leaving this one empty for the next.
    pub fn take(&mut self) -> ExportRecord {
        std::mem::take(self)
    }

    /// A binary value is still incomplete (the stream ended inside it).
    pub fn in_binary(&self) -> bool {
        self.binary.is_some() || self.skipping.is_some()
    }

    pub fn ident(&self) -> Option<&str> {
        self.identifier.as_deref().or_else(|| {
            self.unit
                .as_deref()
                .map(|u| u.strip_suffix(".service").unwrap_or(u))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::format_rfc3339_nanos;

    // The real sonobuoy entry of docs/formats.md#journald-json (trimmed as there).
    const REAL: &str = r#"{"_MACHINE_ID":"30ab1f02","__CURSOR":"s=4ffd184e;i=2b6e;b=67aea70c;m=2f63dc3de;t=5e033a7c7768c;x=68c1f263","_TRANSPORT":"stdout","SYSLOG_IDENTIFIER":"kubelet","_SYSTEMD_UNIT":"kubelet.service","_HOSTNAME":"my-node","_BOOT_ID":"67aea70c","PRIORITY":"6","__REALTIME_TIMESTAMP":"1653887346374284","_PID":"760","MESSAGE":"E0530 13:09:06.373996     760 dns.go:135] Nameserver limits were exceeded","__MONOTONIC_TIMESTAMP":"12721177566"}"#;

    #[test]
    fn json_entry() {
        assert!(looks_like_json(REAL.as_bytes()));
        let e = parse_json(REAL).unwrap();
        assert_eq!(
            format_rfc3339_nanos(e.realtime.unwrap().unix_nanos),
            "2022-05-30T05:09:06.374284000Z"
        );
        assert_eq!(e.realtime.unwrap().precision, Precision::Us);
        assert_eq!(e.hostname.as_deref(), Some("my-node"));
        assert_eq!(e.ident(), Some("kubelet"));
        assert!(
            e.message
                .as_deref()
                .unwrap()
                .starts_with("E0530 13:09:06.373996     760 dns.go:135]")
        );
        assert!(!e.message_was_bytes);
    }

    #[test]
    fn json_byte_arrays_nulls_and_framings() {
        // ANSI colours make journald write the message as bytes.
        let l = r#"{"__CURSOR":"s=1","__REALTIME_TIMESTAMP":"1000001","MESSAGE":[27,91,51,49,109,104,105],"_SYSTEMD_UNIT":"crio.service"}"#;
        let e = parse_json(l).unwrap();
        assert_eq!(e.message.as_deref(), Some("\u{1b}[31mhi"));
        assert!(e.message_was_bytes);
        assert_eq!(e.ident(), Some("crio"));
        assert_eq!(e.realtime.unwrap().unix_nanos, 1_000_001_000);
        // Over 4 KiB without -a: null.
        let l = r#"{"__CURSOR":"s=1","__REALTIME_TIMESTAMP":"5","MESSAGE":null}"#;
        assert_eq!(parse_json(l).unwrap().message, None);
        // Multi-valued field: the first value.
        let l = r#"{"__CURSOR":"s=1","__REALTIME_TIMESTAMP":"5","SYSLOG_IDENTIFIER":["a","b"]}"#;
        assert_eq!(parse_json(l).unwrap().ident(), Some("a"));
        // json-seq and json-sse.
        assert!(looks_like_json(
            b"\x1e{\"__CURSOR\":\"x\",\"__REALTIME_TIMESTAMP\":\"5\"}"
        ));
        assert!(parse_json("\u{1e}{\"__CURSOR\":\"x\",\"__REALTIME_TIMESTAMP\":\"5\"}").is_ok());
        assert!(parse_json("data: {\"__CURSOR\":\"x\",\"__REALTIME_TIMESTAMP\":\"5\"}").is_ok());
        assert_eq!(
            parse_json(r#"{"__CURSOR":"x","__REALTIME_TIMESTAMP":"soon"}"#),
            Err(Error::NoTime)
        );
        assert!(matches!(
            parse_json("{\"__CURSOR\":"),
            Err(Error::NotJson(_))
        ));
        assert!(!looks_like_json(
            br#"{"kind":"Event","apiVersion":"audit.k8s.io/v1"}"#
        ));
    }

    #[test]
    fn export_records_with_binary_values() {
        // docs/formats.md#journald-export's example: a binary MESSAGE holding a newline.
        let mut bin = b"MESSAGE\n".to_vec();
        bin.extend_from_slice(&7u64.to_le_bytes());
        bin.extend_from_slice(b"foo\nbar\n");
        let mut stream = b"__CURSOR=s=bcce;i=5ef603\n__REALTIME_TIMESTAMP=1423944916375353\n_BOOT_ID=ec25\nSYSLOG_IDENTIFIER=python3\n".to_vec();
        stream.extend_from_slice(&bin);
        stream.extend_from_slice(b"_PID=16853\n\n__CURSOR=s=2\n__REALTIME_TIMESTAMP=1423944916375354\nMESSAGE=second\n\n");
        assert!(looks_like_export(stream.split(|b| *b == b'\n')));
        let mut r = ExportRecord::default();
        let mut got = Vec::new();
        for l in stream.split(|b| *b == b'\n') {
            if r.line(l) == ExportStep::End && r.has_fields {
                got.push(r.take());
            }
        }
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].message.as_deref(), Some("foo\nbar"));
        assert!(got[0].message_was_bytes);
        assert_eq!(got[0].ident(), Some("python3"));
        assert_eq!(
            format_rfc3339_nanos(got[0].realtime.unwrap().unix_nanos),
            "2015-02-14T20:15:16.375353000Z"
        );
        assert_eq!(got[1].message.as_deref(), Some("second"));
        assert_eq!(got[1].malformed, 0);
    }

    #[test]
    fn export_binary_values_ending_in_cr_and_oversized_ones() {
        let feed = |stream: &[u8]| {
            let mut r = ExportRecord::default();
            let mut got = Vec::new();
            for l in stream.split(|b| *b == b'\n') {
                if r.line(l) == ExportStep::End && r.has_fields {
                    got.push(r.take());
                }
            }
            got
        };
        // A CRLF message is binary (a control character); its `\r` is a byte of the value.
        let mut s = b"__CURSOR=s=1\r\nMESSAGE\n".to_vec();
        s.extend_from_slice(&4u64.to_le_bytes());
        s.extend_from_slice(b"ab\r\n\n\n__CURSOR=s=2\nMESSAGE=next\n\n");
        let got = feed(&s);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].message.as_deref(), Some("ab\r\n"));
        assert_eq!(got[1].message.as_deref(), Some("next"));
        // An oversized value whose bytes look like fields and records: passed over.
        let body = b"x\n\nSYSLOG_IDENTIFIER=kubelet\n\n".repeat(700_000);
        let mut s = b"__CURSOR=s=1\nMESSAGE\n".to_vec();
        s.extend_from_slice(&(body.len() as u64).to_le_bytes());
        s.extend_from_slice(&body);
        s.extend_from_slice(b"\n_PID=1\n\n__CURSOR=s=2\nMESSAGE=after\n\n");
        assert!(body.len() as u64 > MAX_BINARY);
        let got = feed(&s);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].identifier, None);
        assert_eq!(got[0].message.as_deref(), Some("x"));
        assert_eq!(got[1].message.as_deref(), Some("after"));
    }
}
