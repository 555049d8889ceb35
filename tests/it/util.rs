use std::path::{Path, PathBuf};

use podtrace::timeline::{Milestone, PodTimeline};
use podtrace::{Analysis, AnalyzeOptions};
use podtrace_parsers::time::format_rfc3339_nanos;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn real(rel: &str) -> PathBuf {
    repo().join("samples/real").join(rel)
}

pub fn opts() -> AnalyzeOptions {
    let mut o = AnalyzeOptions::default();
    o.clock.fallback_year = 2000;
    o
}

pub fn analyze(paths: &[PathBuf]) -> Analysis {
    podtrace::analyze(paths, &opts())
}

pub fn analyze_with(paths: &[PathBuf], o: &AnalyzeOptions) -> Analysis {
    podtrace::analyze(paths, o)
}

/// Writes `files` (relative name, content) into a fresh temporary directory.
pub fn bundle(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, content) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, content).unwrap();
    }
    dir
}

pub fn path(d: &tempfile::TempDir) -> Vec<PathBuf> {
    vec![d.path().to_path_buf()]
}

pub fn pod<'a>(a: &'a Analysis, ns: &str, name: &str) -> &'a PodTimeline {
    let found: Vec<_> = a
        .pods
        .iter()
        .filter(|p| p.namespace == ns && p.name == name)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one pod {ns}/{name}, got {}",
        found.len()
    );
    found[0]
}

/// A milestone by its public name (the tests read like the docs).
pub fn ms<'a>(p: &'a PodTimeline, name: &str) -> &'a Milestone {
    let key: podtrace::timeline::Ms = name.parse().expect("a milestone name");
    p.milestones
        .get(&key)
        .unwrap_or_else(|| panic!("{}/{}: milestone {name} missing", p.namespace, p.name))
}

/// A milestone's time as RFC 3339 with 9 digits.
pub fn t(p: &PodTimeline, name: &str) -> String {
    format_rfc3339_nanos(ms(p, name).t)
}

pub fn phase(p: &PodTimeline, name: &str) -> i64 {
    let key: podtrace::timeline::Phase = name.parse().expect("a phase name");
    *p.phases
        .get(&key)
        .unwrap_or_else(|| panic!("{}/{}: phase {name} missing", p.namespace, p.name))
}

pub fn evidence_line(m: &Milestone) -> (String, u32) {
    // The serialized form, `path:line`, as users see it.
    let shown = m.evidence.to_string();
    let (f, l) = shown.rsplit_once(':').unwrap();
    assert_eq!(
        (f, l.parse::<u32>().unwrap()),
        (&*m.evidence.file, m.evidence.line)
    );
    (
        Path::new(f)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned(),
        l.parse().unwrap(),
    )
}

/// Every file under `p`, sorted (test helper; the product's own walk is `input::discover`).
pub fn files_under(p: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(p).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            v.extend(files_under(&p));
        } else {
            v.push(p);
        }
    }
    v.sort();
    v
}

/// Runs the binary from the repository's root: (exit code, stdout, stderr).
pub fn podtrace(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_podtrace"))
        .args(args)
        .current_dir(repo())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}
