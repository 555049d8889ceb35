//! Compressed files and archives, recognised by their magic bytes and read as streams, never
//! extracted: `.gz`, `.zst`, `.tar` (and any compression of it), `.zip` (also nested inside a
//! tar or another zip). Members are named `archive!/member/path` in evidence; their paths give the
//! same hints (component, node) as files on disk.

use super::warning::{SkipReason, Warning, WarningKind};
use std::cell::Cell;
use std::fs::File;
use std::io::{self, Cursor, Read, Seek};
use std::path::{Component as PathComponent, Path, PathBuf};
use std::rc::Rc;

use super::read::{FileReport, ReadOptions, read_stream};

/// Archives inside archives inside … this deep are skipped.
const MAX_DEPTH: u32 = 4;
/// A zip found inside another archive is copied to an unnamed temporary file (zip needs to seek;
/// memory would multiply with nesting and cores): at most this big.
const MAX_NESTED_ZIP: u64 = 512 * 1024 * 1024;
/// Decompressed output beyond max(this, 200 × the file's size) is treated as a decompression bomb.
/// One budget per file on disk, shared by every decoder inside it (gzip, zstd, every zip member
/// whatever its method, nested archives), so a bomb cannot hide in members.
const MIN_DECOMPRESSED_LIMIT: u64 = 4 * 1024 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Gzip,
    Zstd,
    Zip,
    Tar,
    Plain,
}

/// Whether a file starting with these bytes (at least 262 of them, or the whole file) is plain
/// text rather than compressed or an archive.
pub(super) fn is_plain(head: &[u8]) -> bool {
    kind(head) == Kind::Plain
}

fn kind(head: &[u8]) -> Kind {
    if head.starts_with(&[0x1f, 0x8b]) {
        Kind::Gzip
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Kind::Zstd
    } else if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Kind::Zip
    } else if head.len() >= 262 && &head[257..262] == b"ustar" {
        Kind::Tar
    } else {
        Kind::Plain
    }
}

/// Reads up to `n` bytes and hands back a reader that replays them. A read error is not lost
/// with the bytes before it: the replay gives those bytes, then the error (a member cut short
/// within its first bytes keeps its lines and says where it stopped).
fn peek<'a>(mut r: Box<dyn Read + 'a>, n: usize) -> (Vec<u8>, Box<dyn Read + 'a>) {
    let mut head = Vec::with_capacity(n);
    match (&mut r).take(n as u64).read_to_end(&mut head) {
        Ok(_) => {
            let replay = Cursor::new(head.clone()).chain(r);
            (head, Box::new(replay))
        }
        Err(e) => {
            let replay = Cursor::new(head.clone()).chain(Failing(e));
            (head, Box::new(replay))
        }
    }
}

/// A reader that fails, every time it is asked (a first look that swallows the error must not
/// turn the cut into a clean end).
struct Failing(io::Error);

impl Read for Failing {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Err(io::Error::new(self.0.kind(), self.0.to_string()))
    }
}

/// A tar member's data, checked against the size its header states.
struct SizedMember<R> {
    inner: R,
    read: u64,
    size: u64,
}

impl<R: Read> Read for SizedMember<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if n == 0 && !buf.is_empty() && self.read < self.size {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "member cut short: {} of its {} bytes (the archive ends early)",
                    self.read, self.size
                ),
            ));
        }
        Ok(n)
    }
}

/// Counts a decoder's output against the file's budget and stops it once the budget is spent.
struct Guard<R> {
    inner: R,
    spent: Rc<Cell<u64>>,
    limit: u64,
}

impl<R: Read> Read for Guard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.spent.get() > self.limit {
            return Err(bomb(self.limit));
        }
        let n = self.inner.read(buf)?;
        self.spent.set(self.spent.get() + n as u64);
        if self.spent.get() > self.limit {
            return Err(bomb(self.limit));
        }
        Ok(n)
    }
}

fn bomb(limit: u64) -> io::Error {
    io::Error::other(format!(
        "decompressed size passed {limit} bytes (max of 4 GiB and 200 times the file): a decompression bomb? (stopped)"
    ))
}

struct Ctx<'o> {
    opts: &'o ReadOptions,
    limit: u64,
    /// Decoded bytes so far, all decoders of this file together.
    spent: Rc<Cell<u64>>,
    out: Vec<FileReport>,
}

impl Ctx<'_> {
    fn push_stream(
        &mut self,
        display: &str,
        hint: &Path,
        r: Box<dyn Read + '_>,
        notes: Vec<Warning>,
    ) {
        let id = self.out.len() as u32;
        let mut rep = read_stream(id, display, hint, r, self.opts);
        for n in notes {
            rep.warning_count += 1;
            rep.warnings.insert(0, n);
        }
        self.out.push(rep);
    }

    fn guard<'r>(&self, inner: Box<dyn Read + 'r>) -> Box<dyn Read + 'r> {
        Box::new(Guard {
            inner,
            spent: self.spent.clone(),
            limit: self.limit,
        })
    }

    /// Once the budget is spent, the members left are not opened (each would only fail).
    fn budget_spent(&mut self, display: &str) -> bool {
        if self.spent.get() > self.limit {
            self.push_error(
                &format!("{display}!/…"),
                SkipReason::BudgetSpent { limit: self.limit },
            );
            return true;
        }
        false
    }

    fn push_error(&mut self, display: &str, why: SkipReason) {
        let id = self.out.len() as u32;
        self.out.push(FileReport {
            id,
            display: display.to_owned(),
            skipped: Some(why),
            ..Default::default()
        });
    }

    /// One stream of unknown kind: decompress, descend into archives, or read as a log.
    fn stream(
        &mut self,
        display: &str,
        hint: &Path,
        r: Box<dyn Read + '_>,
        depth: u32,
        notes: Vec<Warning>,
    ) {
        let (head, r) = peek(r, 512);
        let k = kind(&head);
        if k != Kind::Plain && depth >= MAX_DEPTH {
            return self.push_error(display, SkipReason::NestedTooDeep { max: MAX_DEPTH });
        }
        match k {
            Kind::Gzip => {
                let d: Box<dyn Read + '_> = Box::new(flate2::read::MultiGzDecoder::new(r));
                self.decompressed(display, hint, d, &["gz", "tgz"], depth, notes);
            }
            Kind::Zstd => match zstd::stream::read::Decoder::new(r) {
                Ok(d) => {
                    self.decompressed(display, hint, Box::new(d), &["zst", "zstd"], depth, notes)
                }
                Err(e) => self.push_error(display, SkipReason::BadZstd(e.to_string())),
            },
            Kind::Tar => self.tar(display, r, depth),
            Kind::Zip => match spool(r) {
                Ok(Some(f)) => self.zip(display, io::BufReader::new(f), depth),
                Ok(None) => self.push_error(
                    display,
                    SkipReason::NestedZipTooLarge {
                        max: MAX_NESTED_ZIP,
                    },
                ),
                Err(e) => self.push_error(display, SkipReason::CannotReadZip(e.to_string())),
            },
            Kind::Plain => self.push_stream(display, hint, r, notes),
        }
    }

    /// A decompressed stream, guarded against bombs, read again as a stream of unknown kind
    /// (a `.tar.gz` is a tar inside).
    fn decompressed(
        &mut self,
        display: &str,
        hint: &Path,
        d: Box<dyn Read + '_>,
        exts: &[&str],
        depth: u32,
        notes: Vec<Warning>,
    ) {
        let g = self.guard(d);
        self.stream(display, &strip_ext(hint, exts), g, depth + 1, notes);
    }

    fn tar(&mut self, display: &str, r: Box<dyn Read + '_>, depth: u32) {
        let mut ar = tar::Archive::new(r);
        let entries = match ar.entries() {
            Ok(e) => e,
            Err(e) => return self.push_error(display, SkipReason::BadTar(e.to_string())),
        };
        for entry in entries {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    // A truncated archive: what was read is kept; the rest is reported.
                    self.push_error(
                        &format!("{display}!/…"),
                        SkipReason::TarEndsEarly(e.to_string()),
                    );
                    return;
                }
            };
            if self.budget_spent(display) {
                return;
            }
            let member = entry
                .path()
                .map(|p| p.into_owned())
                .unwrap_or_else(|_| PathBuf::from("(unreadable name)"));
            let ty = entry.header().entry_type();
            if ty.is_symlink() || ty.is_hard_link() {
                // Not followed: the target is a member (or a path) of its own; say so.
                let (name, _) = member_name(&member, display);
                let target = entry
                    .link_name()
                    .ok()
                    .flatten()
                    .map(|t| t.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let why = SkipReason::LinkMember {
                    hard: ty.is_hard_link(),
                    target,
                };
                self.push_error(&name, why);
                continue;
            }
            if !ty.is_file() {
                continue;
            }
            let size = entry.size();
            let (name, notes) = member_name(&member, display);
            let hint = member.clone();
            // A member cut short by the archive's end reads as a short member, without an
            // error: the check makes it an error on the member itself.
            let r = SizedMember {
                inner: entry,
                read: 0,
                size,
            };
            self.stream(&name, &hint, Box::new(r), depth + 1, notes);
        }
    }

    fn zip<R: Read + io::Seek>(&mut self, display: &str, r: R, depth: u32) {
        let mut ar = match zip::ZipArchive::new(r) {
            Ok(a) => a,
            Err(e) => return self.push_error(display, SkipReason::BadZip(e.to_string())),
        };
        let mut names: Vec<(String, usize)> = (0..ar.len())
            .filter_map(|i| {
                ar.name_for_index(i)
                    .and_then(|n| n.ok().map(|n| (n.into_owned(), i)))
            })
            .collect();
        names.sort();
        for (raw_name, i) in names {
            if self.budget_spent(display) {
                return;
            }
            let f = match ar.by_index(i) {
                Ok(f) => f,
                Err(e) => {
                    self.push_error(
                        &format!("{display}!/{raw_name}"),
                        SkipReason::BadZipMember(e.to_string()),
                    );
                    continue;
                }
            };
            let member = PathBuf::from(&raw_name);
            let (name, notes) = member_name(&member, display);
            if f.is_symlink() {
                let why = SkipReason::LinkMember {
                    hard: false,
                    target: String::new(),
                };
                self.push_error(&name, why);
                continue;
            }
            if !f.is_file() {
                continue;
            }
            // Every method (stored, deflate, zstd) is counted against the file's budget.
            let g = self.guard(Box::new(f));
            self.stream(&name, &member, g, depth + 1, notes);
        }
    }
}

/// `archive!/member`, and a note when the member's path would escape the archive root (it is
/// only read, never written, so this is harmless here, but it says something about the archive).
fn member_name(member: &Path, display: &str) -> (String, Vec<Warning>) {
    let escapes = member.components().any(|c| {
        matches!(
            c,
            PathComponent::ParentDir | PathComponent::RootDir | PathComponent::Prefix(_)
        )
    });
    let shown = member.to_string_lossy().trim_start_matches('/').to_owned();
    let name = format!("{display}!/{shown}");
    let notes = if escapes {
        vec![Warning::new(&name, 0, WarningKind::ArchiveMemberEscapes)]
    } else {
        Vec::new()
    };
    (name, notes)
}

/// Copies a nested zip to an unnamed temporary file (removed when closed), so that it can seek
/// without being held in memory. `None` when it is larger than [`MAX_NESTED_ZIP`].
fn spool(r: Box<dyn Read + '_>) -> io::Result<Option<File>> {
    let mut f = tempfile::tempfile()?;
    let n = io::copy(&mut r.take(MAX_NESTED_ZIP + 1), &mut f)?;
    if n > MAX_NESTED_ZIP {
        return Ok(None);
    }
    f.rewind()?;
    Ok(Some(f))
}

fn strip_ext(p: &Path, exts: &[&str]) -> PathBuf {
    match p.extension().and_then(|e| e.to_str()) {
        Some(e) if exts.contains(&e) => {
            if e == "tgz" {
                p.with_extension("tar")
            } else {
                p.with_extension("")
            }
        }
        _ => p.to_path_buf(),
    }
}

/// Reads one file from disk: a log, a compressed log, or an archive of any of these. Returns one
/// report per log stream found, with ids counted from 0 (the caller renumbers).
pub fn read_unit(path: &Path, display: &str, opts: &ReadOptions) -> Vec<FileReport> {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let mut cx = Ctx {
        opts,
        spent: Rc::new(Cell::new(0)),
        limit: opts
            .max_decompressed
            .unwrap_or_else(|| MIN_DECOMPRESSED_LIMIT.max(size.saturating_mul(200))),
        out: Vec::new(),
    };
    let mut f = match File::open(path) {
        Ok(f) => f,
        Err(e) => {
            cx.push_error(display, SkipReason::CannotOpen(e.to_string()));
            return cx.out;
        }
    };
    let mut magic = [0u8; 4];
    let n = f.read(&mut magic).unwrap_or(0);
    if kind(&magic[..n]) == Kind::Plain && opts.split_large && size >= opts.split_min {
        if let Some(rep) = super::split::read_if_large_audit(path, display, opts) {
            return vec![rep];
        }
    }
    if kind(&magic[..n]) == Kind::Zip {
        // On disk a zip can seek: read it in place.
        match File::open(path) {
            Ok(f) => cx.zip(display, io::BufReader::new(f), 0),
            Err(e) => cx.push_error(display, SkipReason::CannotOpen(e.to_string())),
        }
        return cx.out;
    }
    match File::open(path) {
        Ok(f) => cx.stream(
            display,
            path,
            Box::new(io::BufReader::with_capacity(256 * 1024, f)),
            0,
            Vec::new(),
        ),
        Err(e) => cx.push_error(display, SkipReason::CannotOpen(e.to_string())),
    }
    cx.out
}

/// Reads a file compiled into the binary (the bundled demo) as a stream, like a file on disk
/// whose path is `display`.
pub fn read_embedded(bytes: &'static [u8], display: &str, opts: &ReadOptions) -> Vec<FileReport> {
    let mut cx = Ctx {
        opts,
        spent: Rc::new(Cell::new(0)),
        limit: opts.max_decompressed.unwrap_or(MIN_DECOMPRESSED_LIMIT),
        out: Vec::new(),
    };
    cx.stream(display, Path::new(display), Box::new(bytes), 0, Vec::new());
    cx.out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_bytes() {
        assert_eq!(kind(&[0x1f, 0x8b, 8]), Kind::Gzip);
        assert_eq!(kind(&[0x28, 0xb5, 0x2f, 0xfd]), Kind::Zstd);
        assert_eq!(kind(b"PK\x03\x04rest"), Kind::Zip);
        let mut tar = vec![0u8; 512];
        tar[257..262].copy_from_slice(b"ustar");
        assert_eq!(kind(&tar), Kind::Tar);
        assert_eq!(kind(b"Nov 29 18:33:25 host kubelet[1]:"), Kind::Plain);
    }

    #[test]
    fn member_names_and_escapes() {
        let (n, notes) = member_name(Path::new("kind-worker/kubelet.log"), "b.tar.gz");
        assert_eq!(
            (n.as_str(), notes.len()),
            ("b.tar.gz!/kind-worker/kubelet.log", 0)
        );
        let (n, notes) = member_name(Path::new("../../etc/passwd"), "b.tar");
        assert_eq!(n, "b.tar!/../../etc/passwd");
        assert_eq!(notes.len(), 1);
        assert_eq!(
            strip_ext(Path::new("a/kubelet.log.gz"), &["gz"]),
            PathBuf::from("a/kubelet.log")
        );
    }
}
