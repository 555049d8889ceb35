//! Go-quoted strings (`strconv.Quote`, logrus `%q`): finding their end and unescaping them.

use std::borrow::Cow;

/// Given `b[0] == '"'`, the index of the closing quote, skipping backslash escapes.
#[inline]
pub fn closing_quote(b: &[u8]) -> Option<usize> {
    debug_assert_eq!(b.first(), Some(&b'"'));
    let mut i = 1;
    loop {
        // memchr2 jumps over the long runs of plain text in messages.
        let j = memchr::memchr2(b'"', b'\\', &b[i..])?;
        i += j;
        if b[i] == b'\\' {
            i += 2;
            if i > b.len() {
                return None;
            }
        } else {
            return Some(i);
        }
    }
}

/// Unescapes the inside of a Go-quoted string (without its quotes). Borrows when there is
/// nothing to unescape. Invalid escapes are kept verbatim: a log line is evidence, not code.
pub fn unescape(inner: &str) -> Cow<'_, str> {
    if !inner.as_bytes().contains(&b'\\') {
        return Cow::Borrowed(inner);
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some('\'') => out.push('\''),
            Some('a') => out.push('\u{7}'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('v') => out.push('\u{b}'),
            Some(k @ ('x' | 'u' | 'U')) => {
                let n = match k {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex: String = chars.by_ref().take(n).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) if hex.len() == n => out.push(ch),
                    _ => {
                        out.push('\\');
                        out.push(k);
                        out.push_str(&hex);
                    }
                }
            }
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_closing_quote_past_escapes() {
        assert_eq!(closing_quote(br#""abc" x"#), Some(4));
        assert_eq!(closing_quote(br#""a\"b\\" x"#), Some(7));
        assert_eq!(closing_quote(br#""unterminated"#), None);
        assert_eq!(closing_quote(br#""ends in \"#), None);
    }

    #[test]
    fn unescapes_go_strings() {
        assert!(matches!(unescape("plain"), Cow::Borrowed("plain")));
        assert_eq!(unescape(r#"sandbox \"9782\""#), "sandbox \"9782\"");
        assert_eq!(unescape(r"a\nb\tc\\d"), "a\nb\tc\\d");
        assert_eq!(unescape(r"\u00e9\x41"), "éA");
        assert_eq!(unescape(r"\q\u12"), r"\q\u12");
    }
}
