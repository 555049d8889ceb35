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
}
