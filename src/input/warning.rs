//! What the input layer could not read, typed: the place (`path:line`) and the kind, so that
//! programs can count and filter warnings (`inspect --format json`, `--strict`) and people read
//! the same `path:line: why` line as always.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// One warning about one line (or, with `line` 0, about a whole stream).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The stream as shown in evidence (`bundle.tar.gz!/kind-worker/kubelet.log`).
    pub file: Arc<str>,
    /// 1-based; 0 when the warning is about the stream as a whole.
    pub line: u32,
    pub kind: WarningKind,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum WarningKind {
    #[error("line longer than {max} bytes skipped")]
    LineTooLong { max: usize },
    /// A line that breaks the framing its file uses (journal, CRI, stamped).
    #[error("not a {envelope} line: {text}")]
    NotFramed {
        #[serde(deserialize_with = "crate::intern::de")]
        envelope: crate::intern::StaticStr,
        text: String,
    },
    /// A line of a recognised source that its extractor could not decode (the extractor's
    /// reason).
    #[error("{0}")]
    Unparsed(String),
    #[error("damaged audit JSON (unbalanced quotes or braces)")]
    DamagedAudit,
    #[error("read stopped: {0}")]
    ReadStopped(String),
    #[error("CRI partial record never completed before line {last} (truncated file?)")]
    CriPartialIncomplete { last: u32 },
    #[error("object document larger than {max} bytes: not read")]
    DocumentTooLarge { max: usize },
    #[error("{0}")]
    UnreadableDocument(String),
    #[error("journald entry without a readable __REALTIME_TIMESTAMP")]
    JournalNoTime,
    #[error("journald wrote MESSAGE as null (over 4 KiB; export with journalctl -a)")]
    JournalNullMessage,
    #[error(
        "{count} line(s) of this journald export record are neither KEY=value nor a field name"
    )]
    JournalExportMalformed { count: u32 },
    #[error("archive member path escapes the archive root (read as a stream, never extracted)")]
    ArchiveMemberEscapes,
    #[error(
        "{count} NUL bytes where lines start skipped (copytruncate rotation pads a log's start)"
    )]
    NulsSkipped { count: u64 },
    /// A time that has no instant (Feb 29 of a common year, a year past 2261).
    #[error("{0}")]
    ImpossibleTime(String),
    /// A line of a log-store export that is no record (cut short, another program's text).
    #[error("log-store export: {0}")]
    StoreRecord(String),
}

/// Why a file or stream was not read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum SkipReason {
    #[error("binary content (NUL bytes)")]
    Binary,
    #[error("no log lines among the first lines (not a log file?)")]
    NotALog,
    #[error(
        "UTF-16 text (a byte-order mark): re-encode it as UTF-8, e.g. `iconv -f UTF-16 -t UTF-8`"
    )]
    Utf16,
    #[error("object document cut short by a read error: {0}")]
    DocumentCutShort(String),
    #[error("cannot open: {0}")]
    CannotOpen(String),
    #[error("cannot read: {0}")]
    CannotRead(String),
    /// The walk could not look at a path (it does not exist, no permission…).
    #[error("{0}")]
    Unreachable(String),
    /// A Parquet file that `podtrace extract` did not write, or of another schema version.
    #[error("Parquet file but not podtrace events: {0}")]
    NotEvents(String),
    #[error("not a regular file or directory")]
    NotAFile,
    #[error("symlink to a directory, not followed (give it on the command line to read it)")]
    DirectorySymlink,
    #[error("archive nested more than {max} levels deep")]
    NestedTooDeep { max: u32 },
    #[error("nested zip larger than {max} bytes")]
    NestedZipTooLarge { max: u64 },
    #[error("bad zstd stream: {0}")]
    BadZstd(String),
    #[error("cannot read zip: {0}")]
    CannotReadZip(String),
    #[error("bad tar archive: {0}")]
    BadTar(String),
    #[error("tar archive ends early: {0}")]
    TarEndsEarly(String),
    #[error("bad zip archive: {0}")]
    BadZip(String),
    #[error("bad zip member: {0}")]
    BadZipMember(String),
    #[error(
        "decompression budget of {limit} bytes spent on earlier members (a decompression bomb?): the rest of the archive is not read"
    )]
    BudgetSpent { limit: u64 },
    #[error("{} member{}: links are not followed", if *hard { "hard-link" } else { "symlink" }, if target.is_empty() { String::new() } else { format!(" to {target}") })]
    LinkMember { hard: bool, target: String },
}

impl WarningKind {
    /// A stable name for programs (`inspect --format json`).
    pub fn name(&self) -> &'static str {
        match self {
            WarningKind::LineTooLong { .. } => "line_too_long",
            WarningKind::NotFramed { .. } => "not_framed",
            WarningKind::Unparsed(_) => "unparsed",
            WarningKind::DamagedAudit => "damaged_audit",
            WarningKind::ReadStopped(_) => "read_stopped",
            WarningKind::CriPartialIncomplete { .. } => "cri_partial_incomplete",
            WarningKind::DocumentTooLarge { .. } => "document_too_large",
            WarningKind::UnreadableDocument(_) => "unreadable_document",
            WarningKind::JournalNoTime => "journal_no_time",
            WarningKind::JournalNullMessage => "journal_null_message",
            WarningKind::JournalExportMalformed { .. } => "journal_export_malformed",
            WarningKind::ArchiveMemberEscapes => "archive_member_escapes",
            WarningKind::NulsSkipped { .. } => "nuls_skipped",
            WarningKind::ImpossibleTime(_) => "impossible_time",
            WarningKind::StoreRecord(_) => "store_record",
        }
    }
}

impl Warning {
    pub fn new(file: &str, line: u32, kind: WarningKind) -> Self {
        Warning {
            file: Arc::from(file),
            line,
            kind,
        }
    }
}

impl std::fmt::Display for Warning {
    /// Control characters (ESC, CR, newlines…) from a file name or a line's text are shown
    /// escaped: a warning lands on a terminal, and log text must not forge lines or write
    /// escape sequences there.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = format!("{}:{}: {}", self.file, self.line, self.kind);
        for c in text.chars() {
            if c.is_control() {
                write!(f, "{}", c.escape_default())?;
            } else {
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

impl Serialize for Warning {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Warning", 4)?;
        st.serialize_field("file", &*self.file)?;
        st.serialize_field("line", &self.line)?;
        st.serialize_field("kind", self.kind.name())?;
        st.serialize_field("message", &self.kind.to_string())?;
        st.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_as_path_line_why_and_typed_for_programs() {
        let w = Warning::new("b/kubelet.log", 7, WarningKind::LineTooLong { max: 1024 });
        assert_eq!(
            w.to_string(),
            "b/kubelet.log:7: line longer than 1024 bytes skipped"
        );
        let forged = Warning::new(
            "x.log",
            3,
            WarningKind::NotFramed {
                envelope: "journal",
                text: "a\u{1b}]52;c;AAAA\u{7}\rpodtrace: all good\n".into(),
            },
        );
        assert_eq!(
            forged.to_string(),
            "x.log:3: not a journal line: a\\u{1b}]52;c;AAAA\\u{7}\\rpodtrace: all good\\n"
        );
        assert_eq!(
            serde_json::to_string(&w).unwrap(),
            r#"{"file":"b/kubelet.log","line":7,"kind":"line_too_long","message":"line longer than 1024 bytes skipped"}"#
        );
    }
}
