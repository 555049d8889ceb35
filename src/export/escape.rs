//! Log text shown to people. Names, messages and file names come from logs and archives, which
//! anyone who can write a log line can forge: shown as they are, a control character could move
//! a terminal's cursor, retitle its window or write its clipboard (OSC 52), forge a whole line
//! (CR, newline) or reorder what a reader sees (bidirectional overrides). Here they become
//! visible escapes instead.

use std::borrow::Cow;

/// How text for people shows the control characters of log text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Controls {
    /// As visible escapes ([`escape`]).
    #[default]
    Escaped,
    /// As they are (`--raw`: for those who want the bytes).
    Raw,
}

impl Controls {
    /// `s` as this mode shows it.
    pub fn show(self, s: &str) -> Cow<'_, str> {
        match self {
            Controls::Escaped => escape(s),
            Controls::Raw => Cow::Borrowed(s),
        }
    }
}

/// Whether `c` must not reach a reader as it is: C0 and C1 controls and DEL, the line and
/// paragraph separators, and the bidirectional formatting characters that make a line look other
/// than it reads ("Trojan Source").
pub fn is_hazard(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}'
                | '\u{2029}'
                | '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
        )
}

/// `s` with every [hazard](is_hazard) as a visible escape: `\t`, `\n`, `\r`; `\x1b` for the
/// other C0 controls and DEL; `\u{9b}` for the rest (a C1 control written `\x9b` would read as
/// one byte, while it is a character of two in UTF-8). Text without one is borrowed.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_hazard) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        push_escaped(c, &mut out);
    }
    Cow::Owned(out)
}

/// Appends `c`, escaped if it is a [hazard](is_hazard).
pub fn push_escaped(c: char, out: &mut String) {
    use std::fmt::Write as _;
    match c {
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\0'..='\x1f' | '\x7f' => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c if is_hazard(c) => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

/// A warning as people read it, `path:line: why`, shown as `c` says (the input layer's own
/// `Display` always escapes, in another style).
pub fn warning(w: &crate::input::Warning, c: Controls) -> String {
    c.show(&format!("{}:{}: {}", w.file, w.line, w.kind))
        .into_owned()
}

/// JSON for a terminal as much as for programs. serde_json escapes C0 controls in strings but
/// writes DEL, C1 controls (U+009B is a CSI to some terminals), the line separators and the
/// bidirectional overrides as they are; these are written `\u009b` too. Lossless: the JSON
/// holds the same strings.
struct TerminalJson<F>(F);

impl<F: serde_json::ser::Formatter> serde_json::ser::Formatter for TerminalJson<F> {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        // Nearly every string is ASCII below DEL: one vectorised pass, then written as is (the
        // per-character walk, and then a memchr call per fragment, cost a tenth of
        // `analyze --format json`).
        if fragment.bytes().all(|b| b < 0x7f) {
            return w.write_all(fragment.as_bytes());
        }
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if is_hazard(c) {
                w.write_all(&fragment.as_bytes()[start..i])?;
                write!(w, "\\u{:04x}", c as u32)?;
                start = i + c.len_utf8();
            }
        }
        w.write_all(&fragment.as_bytes()[start..])
    }
    // The layout is the wrapped formatter's (compact or pretty).
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn end_object_key<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_key(w)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// `v` as one line of JSON (see [`TerminalJson`]).
pub fn json<T: serde::Serialize + ?Sized>(
    w: &mut dyn std::io::Write,
    v: &T,
) -> serde_json::Result<()> {
    let mut ser =
        serde_json::Serializer::with_formatter(w, TerminalJson(serde_json::ser::CompactFormatter));
    v.serialize(&mut ser)
}

/// `v` as indented JSON (see [`TerminalJson`]).
pub fn json_pretty<T: serde::Serialize + ?Sized>(
    w: &mut dyn std::io::Write,
    v: &T,
) -> serde_json::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(
        w,
        TerminalJson(serde_json::ser::PrettyFormatter::new()),
    );
    v.serialize(&mut ser)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hazards_become_visible_escapes() {
        assert_eq!(
            escape("evil\u{1b}]52;c;QUFB\u{7}\rx\ny\tz\u{9b}31m\u{7f}\u{202e}cba\u{2028}"),
            "evil\\x1b]52;c;QUFB\\x07\\rx\\ny\\tz\\u{9b}31m\\x7f\\u{202e}cba\\u{2028}"
        );
        assert!(matches!(escape("default/web-1 ümlaut ✓"), Cow::Borrowed(_)));
        assert_eq!(Controls::Raw.show("a\u{1b}b"), "a\u{1b}b");
        assert_eq!(Controls::Escaped.show("a\u{1b}b"), "a\\x1bb");
    }

    #[test]
    fn json_for_a_terminal_escapes_what_serde_json_leaves_and_parses_back() {
        let v = serde_json::json!({"n\u{9b}": "a\u{1b}b\u{7f}c\u{9b}31m\u{202e}d\u{2028}é<"});
        let mut out = Vec::new();
        json(&mut out, &v).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            r#"{"n\u009b":"a\u001bb\u007fc\u009b31m\u202ed\u2028é<"}"#
        );
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), v);
        let mut out = Vec::new();
        json_pretty(&mut out, &serde_json::json!({"a": ["\u{9b}"]})).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\n  \"a\": [\n    \"\\u009b\"\n  ]\n}"
        );
    }
}
