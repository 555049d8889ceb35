//! The binary: exit codes, JSON Lines shape, stdout/stderr discipline.

use crate::util::*;

#[test]
fn no_path_runs_the_bundled_demo() {
    // The demo's text is pinned whole by the golden snapshot of `analyze samples/seed-demo`
    // (tests/it/snapshots/it__golden__analyze_demo_text.snap); without a path, the same output.
    let (code, out, err) = podtrace(&["analyze"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, podtrace(&["analyze", "samples/seed-demo"]).1);
    assert_eq!(err, "");
}

#[test]
fn json_lines_records() {
    let (code, out, _) = podtrace(&["analyze", "--format", "json", "samples/seed-demo"]);
    assert_eq!(code, 0);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    let pod = &lines[0];
    assert_eq!(pod["type"], "pod");
    assert_eq!(pod["namespace"], "default");
    assert_eq!(pod["name"], "pod-demo");
    let created = &pod["milestones"]["created"];
    assert_eq!(created["t"], "2024-11-29T10:15:00.131877000Z");
    assert_eq!(created["source"], "audit");
    assert_eq!(created["precision"], "us");
    assert_eq!(created["host"], "control-plane");
    assert_eq!(
        created["evidence"],
        "samples/seed-demo/kind-control-plane/kubernetes/kube-apiserver-audit.log:2"
    );
    assert_eq!(pod["phases"]["kubelet_prep"], 0.116703455);
    assert_eq!(pod["phases"]["kubelet_e2e"], 5.943981402);
    assert_eq!(
        pod["containers"][0]["milestones"]["container_started"]["t"],
        "2024-11-29T10:15:05.041583009Z"
    );
    assert_eq!(pod["missing"], serde_json::json!([]));
    assert_eq!(pod["programmed_nodes"], 2);
    assert_eq!(
        pod["programmed"]["kind-worker"]["t"],
        "2024-11-29T10:15:05.983752000Z"
    );
    assert_eq!(pod["phases"]["time_to_serving"], 5.876953);
    // The first keys are in the documented order.
    assert!(out.starts_with(r#"{"type":"pod","namespace":"default","name":"pod-demo","uid":"#));
    // One record per Service: each EndpointSlice change and its per-node programming.
    let svc = &lines[1];
    assert_eq!(
        (svc["type"].as_str(), svc["service"].as_str()),
        (Some("service"), Some("default/my-service"))
    );
    assert_eq!(
        svc["changes"][1]["ready"],
        serde_json::json!(["default/pod-demo"])
    );
    assert_eq!(
        svc["changes"][1]["programmed_seconds"]["kind-control-plane"],
        0.037902
    );
    assert_eq!(
        svc["changes"][0]["not_programmed"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let summary = &lines[2];
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["pods"], 1);
    assert_eq!(summary["lines"]["kubelet"]["recognised"], 9);
}

#[test]
fn exit_codes() {
    // Logs, but no pod in them.
    let (code, _, _) = podtrace(&["analyze", "samples/real/kube-proxy/iptables-sync.klog.log"]);
    assert_eq!(code, 1);
    // Nothing readable at all.
    let (code, _, err) = podtrace(&["analyze", "no/such/path"]);
    assert_eq!(code, 2);
    assert!(err.contains("no/such/path"), "{err}");
    // Bad lines are warnings, not errors.
    let (code, _, err) = podtrace(&[
        "analyze",
        "samples/real/audit/kubeadm-v1.20_mixed-events_one-damaged-line.jsonl",
    ]);
    assert_eq!(code, 0);
    assert!(
        err.contains("one-damaged-line.jsonl:6: damaged audit JSON"),
        "{err}"
    );
    let (_, _, err) = podtrace(&[
        "analyze",
        "-q",
        "samples/real/audit/kubeadm-v1.20_mixed-events_one-damaged-line.jsonl",
    ]);
    assert_eq!(err, "");
    // Usage errors.
    let (code, _, _) = podtrace(&["analyze", "--timezone", "Mars/Olympus"]);
    assert_eq!(code, 2);
}

/// `--strict` (for CI): a line that a recognised source wrote and podtrace could not read fails
/// the run, on every command that reads logs; lines of programs podtrace does not read do not.
#[test]
fn strict_fails_on_unreadable_lines_of_recognised_sources() {
    let damaged = "samples/real/audit/kubeadm-v1.20_mixed-events_one-damaged-line.jsonl";
    let (code, _, err) = podtrace(&["analyze", "--strict", damaged]);
    assert_eq!(code, 1);
    assert!(
        err.contains("one-damaged-line.jsonl:6: damaged audit JSON"),
        "{err}"
    );
    assert!(
        err.ends_with(
            "podtrace: --strict: 1 line(s) of recognised sources could not be read (audit 1); the warnings say where\n"
        ),
        "{err}"
    );
    let (code, _, err) = podtrace(&["inspect", "--strict", "-q", damaged]);
    assert_eq!(code, 1);
    assert!(
        err.contains("(audit 1); run without -q to see where"),
        "{err}"
    );
    #[cfg(feature = "report")]
    assert_eq!(podtrace(&["report", "--strict", "-q", damaged]).0, 1);
    // The demo: every line of a recognised source read.
    let (code, _, err) = podtrace(&["analyze", "--strict", "samples/seed-demo"]);
    assert_eq!((code, err.as_str()), (0, ""));
    // The real usernetes journal: a shell command on its first line is not a recognised
    // source's line; the run passes.
    let (code, _, _) = podtrace(&[
        "analyze",
        "--strict",
        "-q",
        "samples/real/usernetes-v1.27/node-u7s-compute-001.journal.log",
    ]);
    assert_eq!(code, 0);
}

/// One input, one file: `trace --otlp-file` writes the same bytes every run (the SDK keeps a
/// resource's attributes in a hash map; they are written in key order).
#[cfg(feature = "otlp")]
#[test]
fn otlp_files_are_byte_identical_run_to_run() {
    let d = tempfile::tempdir().unwrap();
    let mut outs = Vec::new();
    for i in 0..3 {
        let f = d.path().join(format!("t{i}.json"));
        let (code, _, err) = podtrace(&[
            "trace",
            "samples/seed-demo",
            "--cluster",
            "demo",
            "--otlp-file",
            f.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{err}");
        outs.push(std::fs::read(&f).unwrap());
    }
    assert!(!outs[0].is_empty());
    assert!(outs.iter().all(|o| *o == outs[0]));
    let text = String::from_utf8(outs[0].clone()).unwrap();
    let k8s = text.find("\"k8s.cluster.name\"").unwrap();
    let name = text.find("\"service.name\"").unwrap();
    assert!(k8s < name, "resource attributes in key order");
}

/// A bundle of many files with a warning each: stderr stays short (the first ten files, then
/// how many more files and warnings there are); `-v` still lists every kept warning.
#[test]
fn warnings_of_many_files_are_summarised() {
    let files: Vec<(String, String)> = (0..13)
        .map(|i| {
            (
                format!("n{i:02}/kubelet.log"),
                format!(
                    "I0602 09:00:00.000001       1 kubelet.go:2433] \"SyncLoop ADD\" source=\"api\" pods=[\"default/p{i}\"]\n\
                     I0602 09:00:00.000002       1 kubelet.go:2433] \"SyncLoop ADD\" source=\"api\" pods=\n"
                ),
            )
        })
        .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let d = bundle(&refs);
    let dir = d.path().display().to_string();
    let (code, _, err) = podtrace(&["analyze", &dir, "--year", "2025"]);
    assert_eq!(code, 0);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 11, "{err}");
    assert_eq!(
        lines[0],
        "podtrace: warning: 13 file(s) have warnings; the first 10 follow, 3 more file(s) hold 3 more (-v lists them)"
    );
    assert!(
        lines[1].ends_with("n00/kubelet.log:2: SyncLoop without a readable pods= list"),
        "{err}"
    );
    let (_, _, err) = podtrace(&["analyze", &dir, "--year", "2025", "-v"]);
    assert_eq!(err.lines().count(), 13, "{err}");
}

/// Log text reaches text output (pod names here); its control characters come out escaped:
/// ESC (an OSC 52 clipboard write), CR, and U+009B (a C1 CSI some terminals obey).
#[test]
fn text_output_escapes_control_characters_from_logs() {
    let line = "I0602 09:00:00.000001       1 util.go:30] \"No sandbox for pod can be found. Need to start a new one\" pod=\"default/evil\u{1b}]52;c;QUFB\u{7}\rx\u{9b}31m\"\n";
    let d = bundle(&[("n/kubelet.log", line)]);
    let dir = d.path().display().to_string();
    for args in [
        vec!["analyze", dir.as_str(), "--year", "2025"],
        vec!["inspect", dir.as_str(), "--year", "2025"],
    ] {
        let (_, out, _) = podtrace(&args);
        assert!(
            !out.chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t'),
            "{out:?}"
        );
    }
    let (code, out, _) = podtrace(&["analyze", &dir, "--year", "2025"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("default/evil\\x1b]52;c;QUFB\\x07\\rx\\u{9b}31m"),
        "{out}"
    );
}

/// Issue 17: a write that fails names the file and the OS error, once, for every output file and
/// format (Parquet said "Invalid thrift: transport error"; CSV repeated the OS error); a failed
/// write to stdout says so.
#[cfg(all(feature = "report", target_os = "linux"))]
#[test]
fn write_errors_name_the_file_once() {
    let full = "podtrace: writing /dev/full: No space left on device (os error 28)\n";
    for args in [
        &["--pods-csv", "/dev/full"][..],
        &["--pods-parquet", "/dev/full"],
        &["--html", "/dev/full"],
        &["--output-file", "/dev/full"],
        &["-o", "markdown", "--output-file", "/dev/full"],
        &["--output", "json", "--output-file", "/dev/full"],
        &["--format", "csv", "--output-file", "/dev/full"],
        &["-o", "parquet", "--output-file", "/dev/full"],
    ] {
        let mut all = vec!["report", "samples/seed-demo", "-q"];
        all.extend(args);
        let (code, _, err) = podtrace(&all);
        assert_eq!((code, err.as_str()), (2, full), "{args:?}");
    }
    for cmd in ["analyze", "report"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_podtrace"))
            .args([cmd, "samples/seed-demo"])
            .current_dir(repo())
            .stdout(std::fs::File::create("/dev/full").unwrap())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(
            String::from_utf8(out.stderr).unwrap(),
            "podtrace: writing to stdout: No space left on device (os error 28)\n"
        );
    }
}

/// Issue 17: `--charts` naming a file says what is wrong (it said "File exists"), before any
/// work; a path on the command line that does not exist is named and ends the run with 2 (it
/// said "no pods found" in `diff`, and `analyze` with another path exited 0).
#[cfg(feature = "report")]
#[test]
fn charts_into_a_file_and_missing_inputs_are_named() {
    let d = tempfile::tempdir().unwrap();
    let file = d.path().join("charts.txt");
    std::fs::write(&file, "").unwrap();
    let f = file.to_str().unwrap();
    let said = format!(
        "podtrace: --charts {f}: exists and is not a directory (charts are written into a directory)\n"
    );
    let (code, _, err) = podtrace(&["report", "samples/seed-demo", "-q", "--charts", f]);
    assert_eq!((code, err), (2, said.clone()));
    let (code, _, err) = podtrace(&[
        "diff",
        "samples/seed-demo",
        "samples/seed-demo",
        "--charts",
        f,
    ]);
    assert_eq!((code, err), (2, said));

    let gone = d.path().join("nonexistent");
    let gone = gone.to_str().unwrap();
    let said = format!("podtrace: {gone}: No such file or directory (os error 2)\n");
    #[cfg(feature = "otlp")]
    let otlp = d.path().join("t.json");
    for args in [
        vec!["diff", "samples/seed-demo", gone],
        vec!["diff", gone, "samples/seed-demo"],
        vec!["analyze", "samples/seed-demo", gone],
        vec!["inspect", "samples/seed-demo", gone],
        vec!["report", "samples/seed-demo", gone],
        #[cfg(feature = "otlp")]
        vec![
            "trace",
            "samples/seed-demo",
            gone,
            "--otlp-file",
            otlp.to_str().unwrap(),
        ],
    ] {
        let (code, out, err) = podtrace(&args);
        assert_eq!(
            (code, out.as_str(), err.as_str()),
            (2, "", said.as_str()),
            "{args:?}"
        );
    }
}

/// The widest line of `out`, in characters.
fn widest(out: &str) -> usize {
    out.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

/// `analyze POD…`: an argument that is not a path selects pods by name, namespace/name or uid
/// prefix; one that matches nothing is said to be neither, exit 2, nothing on stdout.
#[test]
fn pod_selectors_and_filters() {
    let by_name = podtrace(&["analyze", "pod-demo"]);
    assert_eq!(by_name.0, 0, "{}", by_name.2);
    // A selected pod: the headline says how many of all, then its timeline.
    assert!(
        by_name.1.starts_with("1 of 1 pod from 6 files\n"),
        "{}",
        by_name.1
    );
    assert!(by_name.1.contains("\ndefault/pod-demo\n  node kind-worker  ip 10.244.162.130  uid 8d3f6c1e-5b2a-4c7d-9e41-2f6a7b9c0d13\n"), "{}", by_name.1);
    for sel in [
        "default/pod-demo",
        "8d3f6c1e",
        "8d3f6c1e-5b2a-4c7d-9e41-2f6a7b9c0d13",
    ] {
        assert_eq!(podtrace(&["analyze", sel]).1, by_name.1, "{sel}");
    }
    for sel in ["kube-system/pod-demo", "8d3f6c1f", "pod-dem"] {
        let (code, out, err) = podtrace(&["analyze", "samples/seed-demo", sel]);
        assert_eq!((code, out.as_str()), (2, ""), "{sel}");
        assert_eq!(
            err,
            format!(
                "podtrace: {sel}: neither a file nor a pod (none of the 1 pod read from samples/seed-demo has this name, namespace/name or uid prefix)\n"
            )
        );
    }
    // Filters that keep no pod: said on stderr, exit 1, no empty table.
    let (code, out, err) = podtrace(&["analyze", "-n", "prod", "--node", "kind-worker"]);
    assert_eq!((code, out.as_str()), (1, ""));
    assert_eq!(
        err,
        "podtrace: none of the 1 pod in the bundled demo (samples/seed-demo) matches -n prod --node kind-worker\n"
    );
    // They apply to JSON too: no pod record, the summary says 0 selected of 1.
    let (code, out, _) = podtrace(&["analyze", "--node", "kind-worker", "-o", "json"]);
    assert_eq!(code, 0);
    let recs: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(recs.len(), 3);
    assert_eq!(
        (recs[2]["pods"].as_u64(), recs[2]["selected"].as_u64()),
        (Some(1), Some(1))
    );
    let (code, _, _) = podtrace(&["analyze", "--node", "kind-control-plane", "-o", "json"]);
    assert_eq!(code, 1);
    // No log at all: text prints nothing, JSON its summary record alone.
    let d = tempfile::tempdir().unwrap();
    let empty = d.path().to_str().unwrap();
    let (code, out, err) = podtrace(&["analyze", empty]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert_eq!(
        err,
        format!("podtrace: no log read in {empty}: no file there\n")
    );
    let (code, out, _) = podtrace(&["analyze", empty, "-o", "json"]);
    assert_eq!(code, 2);
    let summary: serde_json::Value = serde_json::from_str(out.trim_end()).unwrap();
    assert_eq!(
        (
            summary["type"].as_str(),
            summary["pods"].as_u64(),
            summary["selected"].as_u64()
        ),
        (Some("summary"), Some(0), Some(0))
    );
}

/// Sorting by an unknown name is refused with the valid ones listed.
#[test]
fn sort_by_names_phases_and_milestones() {
    let (code, out, err) = podtrace(&["analyze", "--sort-by", "startup"]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(
        err.contains("unknown phase or milestone \"startup\"; phases (longest first): api_create, scheduling, kubelet_watch,"),
        "{err}"
    );
    let (code, out, _) = podtrace(&["analyze", "--sort-by", "ready_reported"]);
    assert_eq!(code, 0);
    assert!(out.contains("\n1 pod, latest ready_reported first:\npod               node         ready_reported  dominant phase\ndefault/pod-demo  kind-worker    10:15:05.941  containers 4.640 s\n"), "{out}");
}

/// `-o text|wide|json`, `--format` kept as an alias; the default fits 100 columns, `wide` does
/// not cut.
#[test]
fn output_formats_and_their_alias() {
    let (_, json, _) = podtrace(&["analyze", "-o", "json"]);
    assert_eq!(podtrace(&["analyze", "--format", "json"]).1, json);
    assert_eq!(podtrace(&["analyze", "--output", "json"]).1, json);
    assert!(json.starts_with(r#"{"type":"pod","#));
    let (_, text, _) = podtrace(&["analyze", "-o", "text"]);
    assert_eq!(podtrace(&["analyze"]).1, text);
    assert_eq!(widest(&text), 100, "{text}");
    let (_, wide, _) = podtrace(&["analyze", "-o", "wide"]);
    assert!(
        wide.contains("  kubelet_prep              116.703\n"),
        "{wide}"
    );
    assert!(
        wide.contains("samples/seed-demo/kind-worker/kubelet.log:10"),
        "{wide}"
    );
    assert_eq!(
        podtrace(&["inspect", "--format", "json"]).1,
        podtrace(&["inspect", "-o", "json"]).1
    );
    let (_, inspect, _) = podtrace(&["inspect"]);
    assert_eq!(widest(&inspect), 100, "{inspect}");
    // The container id to 12 digits, then the middle; -o wide keeps the path whole.
    assert!(
        inspect.starts_with("samples/seed-demo/kind-control-plane/containers/kube-proxy-h2k9x_k…stem_kube-proxy-8c7b6a5f4e3d….log\n"),
        "{inspect}"
    );
    let (_, wide, _) = podtrace(&["inspect", "-o", "wide"]);
    assert!(
        wide.starts_with("samples/seed-demo/kind-control-plane/containers/kube-proxy-h2k9x_kube-system_kube-proxy-8c7b6a5f4e3d2c1b0a99887766554433221100ffeeddccbbaa99887766554433.log\n"),
        "{wide}"
    );
}

/// Colour: `--color always` even with NO_COLOR, never when piped by default, `never` always;
/// NO_COLOR empty counts as unset (<https://no-color.org>).
#[test]
fn color_flag_and_no_color() {
    let run = |args: &[&str], no_color: Option<&str>| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_podtrace"));
        c.args(args).current_dir(crate::util::repo());
        match no_color {
            Some(v) => c.env("NO_COLOR", v),
            None => c.env_remove("NO_COLOR"),
        };
        String::from_utf8(c.output().unwrap().stdout).unwrap()
    };
    let bold = "\u{1b}[1m1 pod\u{1b}[0m from 6 files\n";
    assert!(run(&["analyze", "--color", "always"], None).starts_with(bold));
    assert!(run(&["--color", "always", "analyze"], Some("1")).starts_with(bold));
    assert!(run(&["inspect", "--color", "always"], None).contains("\u{1b}[1msamples/seed-demo/"));
    for (args, nc) in [
        (&["analyze"][..], None),
        (&["analyze", "--color", "auto"][..], Some("")),
        (&["analyze", "--color", "never"][..], None),
        (
            &[
                "simulate",
                "--color",
                "never",
                "--pods",
                "0",
                "/nonexistent/x",
            ][..],
            None,
        ),
    ] {
        assert!(!run(args, nc).contains('\u{1b}'), "{args:?}");
    }
}
