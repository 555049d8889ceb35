//! Golden snapshots (insta) of what the binary prints: `analyze`, `inspect`, `report` and `diff`
//! on the bundled demo, on two small simulated bundles, on one real sample, and on folders that
//! hold no logs. The snapshots live in tests/it/snapshots/ and are meant to be read: each is a
//! transcript of one or more runs, the command line, the exit code, stdout and stderr.
//!
//! Machine independence:
//! - the binary runs with its working directory at the repo root (or, for generated bundles, at
//!   a fresh temporary directory) and is given relative paths, so every path it prints is
//!   relative;
//! - `PODTRACE_TIMINGS` (stage timings on stderr) is removed from its environment, and stderr is
//!   a pipe, so there is no progress bar;
//! - the real sample is read with `--year 2024`, so its year does not come from today's date
//!   (the demo and the simulated bundles carry years in their audit logs);
//! - `normalise` replaces the repo root and the temporary directory with `[REPO]` and `[TMP]`,
//!   should either ever be printed (none is today). Nothing else is redacted: no command here
//!   prints a wall-clock time or a timing figure.
//!
//! JSON Lines are shown indented, one record after another; `pretty_json_lines` adds only
//! whitespace outside strings and checks that taking it out again gives the printed line.
//!
//! After an intended change of output: `INSTA_UPDATE=always cargo test --test it golden` (or
//! `cargo insta review`), then read the diff of tests/it/snapshots/ line by line.

use std::path::Path;
use std::process::Command;

use crate::util::repo;

/// One run of the binary in `dir`: (exit code, stdout, stderr).
fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_podtrace"))
        .args(args)
        .current_dir(dir)
        .env_remove("PODTRACE_TIMINGS")
        .output()
        .unwrap();
    let text = |b: Vec<u8>, stream: &str| {
        String::from_utf8(b).unwrap_or_else(|e| panic!("{args:?}: {stream} is not UTF-8: {e}"))
    };
    (
        out.status.code().unwrap_or(-1),
        text(out.stdout, "stdout"),
        text(out.stderr, "stderr"),
    )
}

/// Replaces what depends on the machine (the checkout's and the temporary directory's absolute
/// paths) and refuses control characters other than newlines, which a snapshot would hide.
fn normalise(s: &str, tmp: Option<&Path>) -> String {
    let mut s = s.to_owned();
    if let Some(t) = tmp {
        s = s.replace(&*t.to_string_lossy(), "[TMP]");
    }
    s = s.replace(&*repo().to_string_lossy(), "[REPO]");
    if let Some((i, c)) = s.char_indices().find(|&(_, c)| c.is_control() && c != '\n') {
        panic!("control character {c:?} at byte {i} of output:\n{s}");
    }
    s
}

/// A transcript of one run: `$ podtrace ARGS`, `[exit N]`, then stdout and stderr, each said to be
/// empty when it is, and a missing final newline said.
fn transcript(dir: &Path, args: &[&str], tmp: Option<&Path>) -> String {
    let (code, out, err) = run(dir, args);
    let mut t = format!("$ podtrace {}\n[exit {code}]\n", args.join(" "));
    for (name, body) in [("stdout", out), ("stderr", err)] {
        if body.is_empty() {
            t.push_str(&format!("[{name}: empty]\n"));
        } else {
            t.push_str(&format!("[{name}]\n{body}"));
            if !body.ends_with('\n') {
                t.push_str("\n[no newline at end]\n");
            }
        }
    }
    normalise(&t, tmp)
}

/// Transcripts of several runs, separated by a blank line.
fn transcripts(dir: &Path, runs: &[&[&str]], tmp: Option<&Path>) -> String {
    runs.iter()
        .map(|a| transcript(dir, a, tmp))
        .collect::<Vec<_>>()
        .join("\n")
}

/// JSON Lines, each record indented for reading. Only whitespace outside strings is added (two
/// spaces a level, a space after `:`, `{}` and `[]` kept whole); every other byte, numbers
/// included, is as printed, which the test checks by taking the whitespace out again. (A round
/// trip through `serde_json::Value` would not do: its default float parsing may be one ulp off.)
fn pretty_json_lines(out: &str) -> String {
    let mut s = String::new();
    for line in out.lines() {
        serde_json::from_str::<serde_json::Value>(line)
            .unwrap_or_else(|e| panic!("not JSON: {e}: {line}"));
        let pretty = indent_json(line);
        assert_eq!(unindent_json(&pretty), line, "not compact JSON");
        s.push_str(&pretty);
        s.push('\n');
    }
    s
}

fn indent_json(line: &str) -> String {
    let (mut out, mut depth, mut in_str, mut esc) = (String::new(), 0usize, false, false);
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    };
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if in_str {
            out.push(c);
            match (esc, c) {
                (true, _) => esc = false,
                (false, '\\') => esc = true,
                (false, '"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_str = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                let close = if c == '{' { '}' } else { ']' };
                if chars.peek() == Some(&close) {
                    out.push(chars.next().unwrap());
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth -= 1;
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            _ => out.push(c),
        }
    }
    out
}

/// Takes out every whitespace character outside strings.
fn unindent_json(s: &str) -> String {
    let (mut out, mut in_str, mut esc) = (String::new(), false, false);
    for c in s.chars() {
        if in_str {
            match (esc, c) {
                (true, _) => esc = false,
                (false, '\\') => esc = true,
                (false, '"') => in_str = false,
                _ => {}
            }
        } else if c == '"' {
            in_str = true;
        } else if c.is_whitespace() {
            continue;
        }
        out.push(c);
    }
    out
}

const DEMO: &str = "samples/seed-demo";
const AKS: &str =
    "samples/real/aks-containerd1.7/node-aks-np2_pod-default-nginx_create-delete.journal.log";

#[test]
fn analyze_demo_text() {
    // `analyze` without a path prints the same (cli.rs, no_path_runs_the_bundled_demo).
    insta::assert_snapshot!(transcript(&repo(), &["analyze", DEMO], None));
}

/// The widest line, in characters (what a terminal's columns count).
fn widest(out: &str) -> usize {
    out.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

#[test]
fn analyze_demo_fits_100_columns_and_wide_keeps_everything() {
    let (code, out, _) = run(&repo(), &["analyze", DEMO]);
    assert_eq!((code, widest(&out)), (0, 100), "{out}");
    let (code, out, _) = run(&repo(), &["analyze", DEMO, "-o", "wide"]);
    // Full evidence paths: a programmed_first line with the kube-proxy container log's path.
    assert_eq!((code, widest(&out)), (0, 266), "{out}");
    insta::assert_snapshot!(transcript(&repo(), &["analyze", DEMO, "-o", "wide"], None));
}

/// `--color always`: ESC shown as `␛` here (the transcript refuses control characters).
#[test]
fn analyze_demo_color() {
    let (code, out, err) = run(&repo(), &["analyze", DEMO, "--color", "always"]);
    assert_eq!((code, err.as_str()), (0, ""));
    // The same text as without colour once the SGR sequences are taken out.
    let plain = run(&repo(), &["analyze", DEMO]).1;
    let stripped = podtrace::export::style::SEQUENCES
        .iter()
        .fold(out.clone(), |o, sgr| o.replace(sgr, ""));
    assert_eq!(stripped, plain);
    insta::assert_snapshot!(normalise(&out.replace('\x1b', "␛"), None));
}

#[test]
fn analyze_demo_json() {
    let (code, out, err) = run(&repo(), &["analyze", "--format", "json", DEMO]);
    assert_eq!((code, err.as_str()), (0, ""));
    insta::assert_snapshot!(normalise(&pretty_json_lines(&out), None));
}

#[test]
fn inspect_demo() {
    insta::assert_snapshot!(transcript(&repo(), &["inspect", DEMO], None));
}

#[cfg(feature = "report")]
#[test]
fn report_demo_text() {
    insta::assert_snapshot!(transcript(&repo(), &["report", DEMO], None));
}

#[cfg(feature = "report")]
#[test]
fn report_demo_markdown() {
    insta::assert_snapshot!(transcript(
        &repo(),
        &["report", "-o", "markdown", DEMO],
        None
    ));
}

#[test]
fn analyze_real_aks_journal() {
    insta::assert_snapshot!(transcript(
        &repo(),
        &["analyze", "--year", "2024", AKS],
        None
    ));
}

/// A drill-down on the real sample: one pod by uid prefix, another that is not there.
#[test]
fn analyze_real_aks_journal_drill_down() {
    let runs: [&[&str]; 2] = [
        &["analyze", "--year", "2024", AKS, "-q", "5da5"],
        &["analyze", "--year", "2024", AKS, "-q", "default/nope"],
    ];
    insta::assert_snapshot!(transcripts(&repo(), &runs, None));
}

/// A simulated run of 300 pods on 6 nodes with failures: the default text (the summary and the
/// 10 slowest pods on two screens), a drill-down by namespace, node and phase, and one pod.
#[test]
fn analyze_simulated_default_and_drill_down() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let t = Some(dir);
    let (code, _, err) = run(
        dir,
        &[
            "simulate",
            "--pods",
            "300",
            "--nodes",
            "6",
            "--failures",
            "--noise",
            "1",
            "b",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = run(dir, &["analyze", "b"]);
    assert_eq!(code, 0);
    assert!(widest(&out) <= 100, "{out}");
    assert!(out.lines().count() <= 80, "{out}");
    insta::assert_snapshot!(
        "analyze_simulated_default",
        transcript(dir, &["analyze", "b"], t)
    );
    let runs: [&[&str]; 2] = [
        &[
            "analyze",
            "b",
            "-n",
            "sim",
            "--node",
            "kind-worker3",
            "--sort-by",
            "scheduling",
            "--top",
            "3",
        ],
        &["analyze", "b", "--sort-by", "schedule"],
    ];
    let (code, out, _) = run(dir, runs[0]);
    assert_eq!(code, 0);
    assert!(widest(&out) <= 100, "{out}");
    let filtered = transcripts(dir, &runs, t);
    insta::assert_snapshot!("analyze_simulated_filtered", filtered);
    // The slowest pod, by name, alone: its timeline.
    let slowest = out
        .lines()
        .skip_while(|l| !l.starts_with("pod "))
        .nth(1)
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_owned();
    let (code, one, _) = run(dir, &["analyze", "b", &slowest]);
    assert_eq!(code, 0);
    assert!(widest(&one) <= 100, "{one}");
    insta::assert_snapshot!(
        "analyze_simulated_one_pod",
        transcript(dir, &["analyze", "b", &slowest], t)
    );
}

#[test]
fn inspect_real_aks_journal() {
    insta::assert_snapshot!(transcript(
        &repo(),
        &["inspect", "--year", "2024", AKS],
        None
    ));
}

/// Two small simulated runs in a fresh temporary directory: `before` (seed 1) and `after`
/// (seed 2, workers' clocks skewed within ±40 ms, which podtrace corrects).
#[cfg(feature = "report")]
#[test]
fn simulated_bundles_diff_and_report() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let t = Some(dir);
    let sim = transcripts(
        dir,
        &[
            &[
                "simulate", "--pods", "12", "--nodes", "2", "--seed", "1", "before",
            ],
            &[
                "simulate",
                "--pods",
                "12",
                "--nodes",
                "2",
                "--seed",
                "2",
                "--skew-ms",
                "40",
                "after",
            ],
        ],
        t,
    );
    insta::assert_snapshot!("simulate_small_bundles", sim);
    insta::assert_snapshot!(
        "diff_simulated",
        transcript(dir, &["diff", "before", "after"], t)
    );
    insta::assert_snapshot!(
        "report_simulated",
        transcript(dir, &["report", "before"], t)
    );
}

/// Issue 13: a run with failures (one pod in ten unschedulable for a while, one in ten failing
/// its first pull, one in ten restarting a container) against a clean one: the report's
/// failures section and verdict, with a gate that fails, and the diff's verdict.
#[cfg(feature = "report")]
#[test]
fn report_and_diff_with_failures() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let t = Some(dir);
    let sim = |seed: &str, extra: &[&'static str], out: &str| {
        let mut args = vec!["simulate", "--pods", "20", "--nodes", "2", "--seed", seed];
        args.extend(extra);
        args.push(out);
        let (code, _, err) = run(dir, &args);
        assert_eq!(code, 0, "{err}");
    };
    sim("5", &[], "clean");
    sim("6", &["--failures", "--restarts"], "failing");
    insta::assert_snapshot!(
        "report_failures",
        transcript(dir, &["report", "failing", "--slo", "upstream"], t)
    );
    insta::assert_snapshot!(
        "report_failures_markdown_tail",
        transcript(dir, &["report", "failing", "-o", "markdown"], t)
            .split("\n## Failures")
            .nth(1)
            .unwrap_or("no failures section")
    );
    insta::assert_snapshot!(
        "diff_failures",
        transcript(dir, &["diff", "clean", "failing"], t)
    );
}

/// An empty folder: what `analyze` and `inspect` say, and their exit codes.
#[test]
fn empty_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir(dir.join("empty")).unwrap();
    let runs: [&[&str]; 2] = [&["analyze", "empty"], &["inspect", "empty"]];
    insta::assert_snapshot!(transcripts(dir, &runs, Some(dir)));
}

/// An empty folder: what `report` and `diff` say.
#[cfg(feature = "report")]
#[test]
fn empty_folder_report_diff() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir(dir.join("empty")).unwrap();
    let runs: [&[&str]; 2] = [&["report", "empty"], &["diff", "empty", "empty"]];
    insta::assert_snapshot!(transcripts(dir, &runs, Some(dir)));
}

/// A folder of files that are not logs: prose, a JSON document, binary bytes.
fn unrelated() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let files: [(&str, &[u8]); 3] = [
        ("unrelated/notes.txt", b"hello world\nnot a log\n"),
        ("unrelated/sub/data.json", b"{\"a\": 1}\n"),
        ("unrelated/blob.bin", b"\0\x01\x02binary"),
    ];
    for (name, content) in files {
        let p = tmp.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    tmp
}

#[test]
fn unrelated_files() {
    let tmp = unrelated();
    let dir = tmp.path();
    let runs: [&[&str]; 2] = [&["analyze", "unrelated"], &["inspect", "unrelated"]];
    insta::assert_snapshot!(transcripts(dir, &runs, Some(dir)));
}

#[cfg(feature = "report")]
#[test]
fn unrelated_files_report() {
    let tmp = unrelated();
    let dir = tmp.path();
    insta::assert_snapshot!(transcript(dir, &["report", "unrelated"], Some(dir)));
}
