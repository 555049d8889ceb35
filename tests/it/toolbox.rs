//! The binary as a tool among others (issue 13): the demo compiled in, completions and man
//! pages, the kubectl plugin name, a closed pipe on every command, `simulate` over a folder.

use std::process::{Command, Stdio};

use crate::util::*;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_podtrace"))
}

#[test]
fn the_demo_is_compiled_in_and_runs_from_any_directory() {
    // From a folder with no samples/ (where an installed binary runs), no path: the demo, with
    // the same text as `analyze samples/seed-demo` in the repository (pinned by the golden
    // snapshot), its evidence named as in the repository.
    let elsewhere = tempfile::tempdir().unwrap();
    let out = bin()
        .arg("analyze")
        .current_dir(elsewhere.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text, podtrace(&["analyze", "samples/seed-demo"]).1);
    assert!(text.contains("default/pod-demo"), "{text}");
    // Evidence as `f3:10`, the legend relative to the demo's repository folder.
    assert!(text.contains("running_observed"), "{text}");
    assert!(text.contains("files (under samples/seed-demo):"), "{text}");
    assert!(text.contains("  f3  kind-worker/kubelet.log\n"), "{text}");
    // The JSON too: the kubelet's own figure, to the ns.
    let out = bin()
        .args(["analyze", "--format", "json"])
        .current_dir(elsewhere.path())
        .output()
        .unwrap();
    let first: serde_json::Value = serde_json::from_str(
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(first["phases"]["kubelet_e2e"], 5.943981402);
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let (code, out, err) = podtrace(&["completions", shell]);
        assert_eq!(code, 0, "{shell}: {err}");
        // Each script knows the commands and a flag of analyze.
        for word in ["analyze", "report", "diff", "trace", "timezone"] {
            assert!(out.contains(word), "{shell} completions lack {word}");
        }
    }
    // The bash script is valid bash.
    let (_, script, _) = podtrace(&["completions", "bash"]);
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("podtrace.bash");
    std::fs::write(&f, &script).unwrap();
    let check = Command::new("bash").arg("-n").arg(&f).output().unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let (code, _, err) = podtrace(&["completions", "tcsh"]);
    assert_eq!(code, 2);
    assert!(err.contains("invalid value 'tcsh'"), "{err}");
}

#[test]
fn man_pages() {
    let (code, out, err) = podtrace(&["man"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(".TH podtrace 1"), "{out}");
    // The commands are listed, with the examples.
    assert!(out.contains("podtrace\\-analyze(1)"), "{out}");
    assert!(out.contains("podtrace analyze ./kind\\-logs"), "{out}");

    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("man1");
    let (code, _, err) = podtrace(&["man", "--dir", pages.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let mut names: Vec<String> = std::fs::read_dir(&pages)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for page in [
        "podtrace.1",
        "podtrace-analyze.1",
        "podtrace-inspect.1",
        "podtrace-report.1",
        "podtrace-diff.1",
        "podtrace-trace.1",
        "podtrace-simulate.1",
        "podtrace-completions.1",
        "podtrace-man.1",
    ] {
        assert!(names.iter().any(|n| n == page), "{page} not in {names:?}");
    }
    let analyze = std::fs::read_to_string(pages.join("podtrace-analyze.1")).unwrap();
    assert!(analyze.contains("\\-\\-timezone"), "{analyze}");
}

#[cfg(unix)]
#[test]
fn as_a_kubectl_plugin_the_usage_says_kubectl_podtrace() {
    // kubectl runs `kubectl-podtrace` found on PATH; krew links that name to the binary.
    let dir = tempfile::tempdir().unwrap();
    let plugin = dir.path().join("kubectl-podtrace");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_podtrace"), &plugin).unwrap();
    let out = Command::new(&plugin)
        .args(["analyze", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(
        help.contains("Usage: kubectl podtrace analyze [OPTIONS]"),
        "{help}"
    );
    // And it runs: the demo's pod, found through the plugin's name.
    let out = Command::new(&plugin)
        .arg("analyze")
        .current_dir(repo())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("default/pod-demo"));
    // Under its own name, the usage is podtrace's.
    let (_, help, _) = podtrace(&["analyze", "--help"]);
    assert!(help.contains("Usage: podtrace analyze [OPTIONS]"), "{help}");
}

/// Runs a command whose reader has gone (`podtrace … | head -0`): its exit status and stderr.
fn with_stdout_closed(args: &[&str]) -> (i32, String) {
    let mut child = bin()
        .args(args)
        .current_dir(repo())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_closed_pipe_is_quiet_on_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let spans = dir.path().join("spans.jsonl");
    let sim = dir.path().join("sim");
    let cases: Vec<Vec<&str>> = vec![
        vec!["analyze"],
        vec!["analyze", "--format", "json"],
        vec!["inspect"],
        vec!["inspect", "--format", "json"],
        vec!["report"],
        vec!["report", "--format", "csv"],
        vec!["report", "--format", "json"],
        vec!["report", "--format", "markdown"],
        vec!["diff", "samples/seed-demo", "samples/seed-demo"],
        vec!["trace", "--otlp-file", spans.to_str().unwrap()],
        vec!["simulate", sim.to_str().unwrap(), "--pods", "2"],
        vec!["completions", "bash"],
        vec!["man"],
        vec!["--help"],
    ];
    for args in cases {
        let (code, err) = with_stdout_closed(&args);
        assert_eq!((code, err.as_str()), (0, ""), "{args:?}");
    }
    // A run that ended in a failed gate still fails when its reader left early.
    let (code, err) = with_stdout_closed(&["report", "--slo", "scheduling:p99<=1ms"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("SLO gate failed: p99 of scheduling is 12.141 ms"),
        "{err}"
    );
}

#[test]
fn simulate_refuses_a_folder_with_files_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bundle");
    let out_s = out.to_str().unwrap();
    // A new folder, and an existing empty one, are fine.
    assert_eq!(podtrace(&["simulate", out_s, "--pods", "3"]).0, 0);
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    assert_eq!(
        podtrace(&["simulate", empty.to_str().unwrap(), "--pods", "3"]).0,
        0
    );
    // Again into the first: refused, nothing written.
    let before = std::fs::read(out.join("ground-truth.json")).unwrap();
    let (code, stdout, err) = podtrace(&["simulate", out_s, "--pods", "5", "--seed", "2"]);
    assert_eq!(code, 2);
    assert_eq!(stdout, "");
    assert!(err.contains("is not empty"), "{err}");
    assert!(err.contains("--force"), "{err}");
    assert_eq!(
        std::fs::read(out.join("ground-truth.json")).unwrap(),
        before
    );
    // --force writes.
    let (code, stdout, _) = podtrace(&["simulate", out_s, "--pods", "5", "--seed", "2", "--force"]);
    assert_eq!(code, 0);
    assert!(stdout.starts_with("wrote 5 pods"), "{stdout}");
    assert_ne!(
        std::fs::read(out.join("ground-truth.json")).unwrap(),
        before
    );
}

#[test]
fn the_krew_manifest_names_the_plugin_and_its_binary() {
    // The fields krew checks (its plugin-manifest guide): the name is the file's, the version a
    // `v`-prefixed semver once filled, every platform has a selector, a URI, a sha256 and a bin
    // that one of its `files` brings. deploy/package.sh fills the @…@ fields (run in CI).
    let text = std::fs::read_to_string(repo().join("deploy/krew/podtrace.yaml")).unwrap();
    let m: serde_json::Value = serde_norway::from_str(&text).unwrap();
    assert_eq!(
        m["apiVersion"],
        "krew.googlecontainertools.github.com/v1alpha2"
    );
    assert_eq!(m["kind"], "Plugin");
    assert_eq!(m["metadata"]["name"], "podtrace");
    assert_eq!(m["spec"]["version"], "v@VERSION@");
    let platforms = m["spec"]["platforms"].as_array().unwrap();
    assert_eq!(platforms.len(), 1);
    for p in platforms {
        assert_eq!(p["selector"]["matchLabels"]["os"], "linux");
        assert_eq!(p["bin"], "podtrace");
        assert!(p["uri"].as_str().unwrap().ends_with(".tar.gz"));
        assert_eq!(p["sha256"], "@SHA256_LINUX_AMD64@");
        let froms: Vec<&str> = p["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["from"].as_str().unwrap())
            .collect();
        assert_eq!(froms, ["podtrace", "LICENSE"]);
    }
}

#[test]
fn trace_and_simulate_say_what_they_did_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let spans = dir.path().join("spans.jsonl");
    let (code, out, err) = podtrace(&[
        "trace",
        "-q",
        "-o",
        "json",
        "--otlp-file",
        spans.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["pods"], 1);
    assert_eq!(v["spans"], 23);
    assert_eq!(v["files"][0]["format"], "otlp-json");
    assert_eq!(v["files"][0]["spans"], 23);
    assert_eq!(v["status"], 0);
    // The file holds what the summary says.
    let in_file: usize = std::fs::read_to_string(&spans)
        .unwrap()
        .lines()
        .map(|l| {
            let req: serde_json::Value = serde_json::from_str(l).unwrap();
            req["resourceSpans"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|r| r["scopeSpans"].as_array().unwrap())
                .map(|s| s["spans"].as_array().unwrap().len())
                .sum::<usize>()
        })
        .sum();
    assert_eq!(in_file, 23);

    // Nothing listens on port 9: every span failed, the status says so.
    let (code, out, _) = podtrace(&[
        "trace",
        "-q",
        "--output",
        "json",
        "--endpoint",
        "http://127.0.0.1:9",
        "--timeout",
        "1s",
    ]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["sent"]["spans"], 0);
    assert_eq!(v["sent"]["spans_failed"], 23);
    assert_eq!(v["sent"]["protocol"], "grpc");
    assert_eq!(v["status"], 1);

    let sim = dir.path().join("sim");
    let (code, out, _) = podtrace(&[
        "simulate",
        sim.to_str().unwrap(),
        "--pods",
        "4",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["pods"], 4);
    assert_eq!(v["nodes"], 3);
    let bytes: u64 = walk_bytes(&sim)
        - std::fs::metadata(sim.join("ground-truth.json"))
            .unwrap()
            .len();
    assert_eq!(v["bytes"], bytes);
}

fn walk_bytes(p: &std::path::Path) -> u64 {
    if p.is_file() {
        return std::fs::metadata(p).unwrap().len();
    }
    std::fs::read_dir(p)
        .unwrap()
        .map(|e| walk_bytes(&e.unwrap().path()))
        .sum()
}
