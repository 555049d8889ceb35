//! `key=value` tails: klog structured logging (both renderings) and logrus/slog text.
//!
//! A value is one of (docs/formats.md#klog-values):
//! - a Go-quoted string `"…"` (messages, errors, Stringers, ≥1.28 named strings);
//! - JSON or Go `%+v` syntax that may hold spaces: `{…}`, `[…]`, `&{…}` (balanced brackets,
//!   string-aware);
//! - the start of a multi-line klog value `<` at the end of the physical line;
//! - a bare token up to the next space (ints, floats, ≤1.27 named strings, logrus bare words).

use std::borrow::Cow;

use crate::quote::{closing_quote, unescape};

/// One value, borrowed from the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    /// The inside of a Go-quoted string, still escaped.
    Quoted(&'a str),
    /// A bare token, or bracketed JSON / `%+v` text, verbatim.
    Raw(&'a str),
    /// `key=<`: the value continues on the following physical lines (klog multi-line form).
    MultiLine,
}

impl<'a> Value<'a> {
    /// The value as text: quoted strings unescaped, raw values verbatim.
    pub fn text(&self) -> Cow<'a, str> {
        match *self {
            Value::Quoted(s) => unescape(s),
            Value::Raw(s) => Cow::Borrowed(s),
            Value::MultiLine => Cow::Borrowed(""),
        }
    }

    /// The value as written, without surrounding quotes and without unescaping.
    pub fn raw(&self) -> &'a str {
        match *self {
            Value::Quoted(s) | Value::Raw(s) => s,
            Value::MultiLine => "",
        }
    }
}

/// Iterator over `key=value` pairs separated by spaces. Stops at the first byte sequence that is
/// not a pair and records where in [`Pairs::error_at`].
pub struct Pairs<'a> {
    s: &'a str,
    pos: usize,
    error_at: Option<usize>,
}

impl<'a> Pairs<'a> {
    pub fn new(s: &'a str) -> Self {
        Pairs {
            s,
            pos: 0,
            error_at: None,
        }
    }

    /// Byte offset just after the last pair returned.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Byte offset of the first unparseable text, if iteration stopped early.
    pub fn error_at(&self) -> Option<usize> {
        self.error_at
    }
}

/// End (exclusive) of a bracketed value starting at `b[0]` in `{`, `[` (possibly after `&`).
/// String-aware so that JSON strings holding brackets do not confuse the depth count.
fn balanced_end(b: &[u8]) -> Option<usize> {
    let mut depth = 0i32;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'{' | b'[' | b'(' => depth += 1,
            b'}' | b']' | b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            b'"' => {
                // A quote inside %+v output need not open a string (Go prints raw text), so an
                // unterminated one is treated as an ordinary byte.
                if let Some(j) = closing_quote(&b[i..]) {
                    i += j;
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

impl<'a> Iterator for Pairs<'a> {
    type Item = (&'a str, Value<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.error_at.is_some() {
            return None;
        }
        let b = self.s.as_bytes();
        while self.pos < b.len() && b[self.pos] == b' ' {
            self.pos += 1;
        }
        if self.pos >= b.len() {
            return None;
        }
        let start = self.pos;
        let eq = match b[start..]
            .iter()
            .position(|&c| c == b'=' || c == b' ' || c == b'"')
        {
            Some(k) if k > 0 && b[start + k] == b'=' => start + k,
            _ => {
                self.error_at = Some(start);
                return None;
            }
        };
        let key = &self.s[start..eq];
        let v = eq + 1;
        let rest = &b[v..];
        let (value, end) = match rest.first() {
            None => (Value::Raw(&self.s[v..v]), v),
            Some(b'"') => match closing_quote(rest) {
                Some(q) => (Value::Quoted(&self.s[v + 1..v + q]), v + q + 1),
                None => {
                    self.error_at = Some(v);
                    return None;
                }
            },
            Some(b'<') if rest.len() == 1 || rest[1] == b'\n' || rest[1] == b'\r' => {
                (Value::MultiLine, v + 1)
            }
            Some(b'{') | Some(b'[') | Some(b'&') => {
                let off = usize::from(rest[0] == b'&');
                match rest.get(off) {
                    Some(b'{') | Some(b'[') => match balanced_end(&rest[off..]) {
                        Some(e) => (Value::Raw(&self.s[v..v + off + e]), v + off + e),
                        None => {
                            self.error_at = Some(v);
                            return None;
                        }
                    },
                    _ => {
                        let e = memchr::memchr(b' ', rest).unwrap_or(rest.len());
                        (Value::Raw(&self.s[v..v + e]), v + e)
                    }
                }
            }
            Some(_) => {
                let e = memchr::memchr(b' ', rest).unwrap_or(rest.len());
                (Value::Raw(&self.s[v..v + e]), v + e)
            }
        };
        // A value must be followed by a space or the end of the line.
        if end < b.len() && b[end] != b' ' && b[end] != b'\r' && b[end] != b'\n' {
            self.error_at = Some(end);
            return None;
        }
        self.pos = end;
        Some((key, value))
    }
}

/// Finds the value of `key` in a pair tail.
pub fn get<'a>(tail: &'a str, key: &str) -> Option<Value<'a>> {
    Pairs::new(tail).find(|(k, _)| *k == key).map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(s: &str) -> (Vec<(&str, Value<'_>)>, Option<usize>) {
        let mut p = Pairs::new(s);
        let v: Vec<_> = p.by_ref().collect();
        (v, p.error_at())
    }

    #[test]
    fn klog_new_rendering() {
        let (v, err) = collect(
            r#"pod="default/multiple" event={"ID":"ecf6","Type":"ContainerStarted","Data":"9782"} n=3"#,
        );
        assert_eq!(err, None);
        assert_eq!(v[0], ("pod", Value::Quoted("default/multiple")));
        assert_eq!(
            v[1],
            (
                "event",
                Value::Raw(r#"{"ID":"ecf6","Type":"ContainerStarted","Data":"9782"}"#)
            )
        );
        assert_eq!(v[2], ("n", Value::Raw("3")));
    }

    #[test]
    fn klog_old_rendering_with_spaces_inside_brackets() {
        let (v, err) = collect(
            "source=\"api\" pods=[ns/a ns/b] event=&{ID:7eab Type:ContainerStarted Data:7baa} oldPhase=Pending",
        );
        assert_eq!(err, None);
        assert_eq!(v[1], ("pods", Value::Raw("[ns/a ns/b]")));
        assert_eq!(
            v[2],
            (
                "event",
                Value::Raw("&{ID:7eab Type:ContainerStarted Data:7baa}")
            )
        );
        assert_eq!(v[3], ("oldPhase", Value::Raw("Pending")));
    }

    #[test]
    fn multi_line_marker_and_escapes() {
        let (v, err) = collect(r#"probeType="Liveness" output=<"#);
        assert_eq!(err, None);
        assert_eq!(v[1], ("output", Value::MultiLine));
        let (v, _) = collect(r#"err="failed \"x\"" k=v"#);
        assert_eq!(v[0].1.text(), "failed \"x\"");
    }

    #[test]
    fn stops_on_garbage_and_reports_where() {
        let (v, err) = collect(r#"a=1 not a pair"#);
        assert_eq!(v.len(), 1);
        assert_eq!(err, Some(4));
        let (_, err) = collect(r#"a="unterminated"#);
        assert_eq!(err, Some(2));
        let (_, err) = collect(r#"a={"open":1"#);
        assert_eq!(err, Some(2));
    }

    #[test]
    fn json_strings_with_brackets() {
        let (v, err) = collect(r#"status={"message":"containers with unready status: [c]"} x=1"#);
        assert_eq!(err, None);
        assert_eq!(v.len(), 2);
    }
}
