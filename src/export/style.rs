//! Colour for text output: what must stand out (a failure, a finding, a missing milestone or
//! source) and what may recede (units, hints). Off unless asked for or stdout is a terminal;
//! `NO_COLOR` honoured (<https://no-color.org>).
//!
//! Plain SGR sequences, a fixed handful, rather than a styling crate: the terminal-safe sink
//! (cli.rs) escapes every control character that log text could carry, and lets through exactly
//! the sequences listed in [`SEQUENCES`], byte for byte, when colour is on. A short fixed list
//! is what that check can hold; log text itself is escaped by the writers before it gets there,
//! so a log line's `ESC[31m` still shows as `\x1b[31m`.
//!
//! ```text
//! writeln!(w, "{} {}", style.fail("FAIL"), c.show(&message))?;
//! writeln!(w, "{:<20} {}", style.missing("network_ready"), style.dim("-o wide shows more"))?;
//! ```

use std::fmt::{self, Display};

const RESET: &str = "\x1b[0m";
const FAIL: &str = "\x1b[1;31m";
const FINDING: &str = "\x1b[1;33m";
const MISSING: &str = "\x1b[35m";
const DIM: &str = "\x1b[2m";
const BOLD: &str = "\x1b[1m";

/// Every sequence a [`Style`] writes: what the terminal-safe sink may let through.
pub const SEQUENCES: [&str; 6] = [RESET, FAIL, FINDING, MISSING, DIM, BOLD];

/// When to colour (`--color`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum When {
    /// When stdout is a terminal and `NO_COLOR` is unset or empty.
    #[default]
    Auto,
    /// Always, `NO_COLOR` or not (an explicit flag wins over the environment).
    Always,
    Never,
}

/// How text output is styled: plain or coloured. Cheap to copy; every method returns a
/// [`Painted`] that writes nothing more than its text when colour is off.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Style {
    color: bool,
}

impl Style {
    /// No colour at all.
    pub const PLAIN: Style = Style { color: false };
    /// Colour on.
    pub const COLOR: Style = Style { color: true };

    /// Decides from `--color`, whether stdout is a terminal and `NO_COLOR`'s value.
    pub fn choose(
        when: When,
        stdout_is_terminal: bool,
        no_color: Option<&std::ffi::OsStr>,
    ) -> Style {
        let color = match when {
            When::Always => true,
            When::Never => false,
            When::Auto => stdout_is_terminal && no_color.is_none_or(|v| v.is_empty()),
        };
        Style { color }
    }

    /// [`Style::choose`] for this process's stdout and environment.
    pub fn for_stdout(when: When) -> Style {
        use std::io::IsTerminal;
        Style::choose(
            when,
            std::io::stdout().is_terminal(),
            std::env::var_os("NO_COLOR").as_deref(),
        )
    }

    pub fn is_color(self) -> bool {
        self.color
    }

    fn paint<T: Display>(self, code: &'static str, text: T) -> Painted<T> {
        Painted {
            text,
            code: self.color.then_some(code),
        }
    }

    /// A failure: bold red.
    pub fn fail<T: Display>(self, text: T) -> Painted<T> {
        self.paint(FAIL, text)
    }

    /// A finding, something that looks wrong: bold yellow.
    pub fn finding<T: Display>(self, text: T) -> Painted<T> {
        self.paint(FINDING, text)
    }

    /// A missing milestone or source: magenta.
    pub fn missing<T: Display>(self, text: T) -> Painted<T> {
        self.paint(MISSING, text)
    }

    /// Secondary text (hints, legends): dim.
    pub fn dim<T: Display>(self, text: T) -> Painted<T> {
        self.paint(DIM, text)
    }

    /// Headings: bold.
    pub fn bold<T: Display>(self, text: T) -> Painted<T> {
        self.paint(BOLD, text)
    }
}

/// Text with its style. Width and alignment (`{:<20}`) apply to the text alone, so that columns
/// line up whether colour is on or off.
pub struct Painted<T> {
    text: T,
    code: Option<&'static str>,
}

impl<T: Display> Display for Painted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(code) = self.code {
            f.write_str(code)?;
        }
        // The formatter goes to the text as it is: `str`, `String` and numbers apply its width
        // and precision themselves.
        self.text.fmt(f)?;
        if self.code.is_some() {
            f.write_str(RESET)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn no_color_and_terminal_decide_auto_only() {
        let on = |w, tty, nc: Option<&str>| Style::choose(w, tty, nc.map(OsStr::new)).is_color();
        assert!(on(When::Auto, true, None));
        assert!(on(When::Auto, true, Some("")), "empty NO_COLOR is unset");
        assert!(!on(When::Auto, true, Some("1")));
        assert!(!on(When::Auto, false, None));
        assert!(on(When::Always, false, Some("1")));
        assert!(!on(When::Never, true, None));
    }

    #[test]
    fn padding_applies_to_the_text_not_the_codes() {
        assert_eq!(format!("[{:<6}]", Style::PLAIN.fail("FAIL")), "[FAIL  ]");
        assert_eq!(
            format!("[{:>6}]", Style::COLOR.fail("FAIL")),
            "[\x1b[1;31m  FAIL\x1b[0m]"
        );
        assert_eq!(format!("{}", Style::COLOR.dim(3)), "\x1b[2m3\x1b[0m");
        assert_eq!(format!("{:>7.2}", Style::PLAIN.bold(1.5)), "   1.50");
    }
}
