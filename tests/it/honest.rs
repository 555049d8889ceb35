//! Issue 12, part C ("honest numbers on real bundles"): what a run says about the sources it did
//! not have, how warnings and skipped files are summarised, and how `report` counts and lists
//! the values it leaves out of its statistics.

use crate::util::{bundle, podtrace};

/// One kubelet log (one pod, two unreadable SyncLoop lines) and four files podtrace skips:
/// three for one reason, one for another.
fn noisy() -> tempfile::TempDir {
    bundle(&[
        (
            "k.log",
            "Jan 10 08:00:01 cp kubelet[7]: I0110 08:00:01.000000       7 kubelet.go:2407] \"SyncLoop ADD\" source=\"api\" pods=[\"default/web\"]\n\
             Jan 10 08:00:04 cp kubelet[7]: I0110 08:00:04.000000 7 x.go:1] \"SyncLoop ADD\" source=\"api\"\n\
             Jan 10 08:00:05 cp kubelet[7]: I0110 08:00:05.000000 7 x.go:1] \"SyncLoop ADD\" source=\"api\" pods=\n",
        ),
        ("notes1.txt", "hello world\nnot a log\n"),
        ("notes2.txt", "hello world\nnot a log\n"),
        ("notes3.txt", "hello world\nnot a log\n"),
        ("blob.bin", "\0\u{1}\u{2}binary"),
    ])
}

#[test]
fn warnings_per_file_and_skipped_files_per_reason_unless_verbose() {
    let d = noisy();
    let dir = d.path().display().to_string();
    let (code, out, err) = podtrace(&["analyze", &dir, "--year", "2025"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        err,
        format!(
            "podtrace: warning: {dir}/k.log: 2 warnings, the first: {dir}/k.log:2: SyncLoop without a readable pods= list (-v shows more)\n"
        )
    );
    assert!(out.starts_with("1 pod from 5 files (4 skipped)\n"), "{out}");
    assert!(
        out.contains(&format!(
            "\n  skipped {dir}/blob.bin: binary content (NUL bytes)\n  skipped 3 files: no log lines among the first lines (not a log file?) (e.g. {dir}/notes1.txt; -v lists them)\n"
        )),
        "{out}"
    );
    // -v: every warning and every skipped file.
    let (code, out, err) = podtrace(&["analyze", &dir, "--year", "2025", "-v"]);
    assert_eq!(code, 0);
    assert_eq!(
        err,
        format!(
            "podtrace: warning: {dir}/k.log:2: SyncLoop without a readable pods= list\npodtrace: warning: {dir}/k.log:3: SyncLoop without a readable pods= list\n"
        )
    );
    for n in 1..=3 {
        assert!(
            out.contains(&format!(
                "\n  skipped {dir}/notes{n}.txt: no log lines among the first lines (not a log file?)\n"
            )),
            "{out}"
        );
    }
}

#[test]
fn absent_sources_are_named_with_their_cost() {
    let d = noisy();
    let dir = d.path().display().to_string();
    let (_, out, _) = podtrace(&["analyze", &dir, "--year", "2025"]);
    // Wrapped at 100 columns, continued with four spaces.
    let out = out.replace("\n    ", " ");
    for line in [
        "  no audit log: requested, api_create, ready_reported (but for the kubelet's own report) and endpoint milestones unavailable; created and scheduled only from second-precision fallbacks (enable the apiserver's --audit-log-path)\n",
        "  no scheduler log: schedule_attempted unavailable (collect kube-scheduler's log, at -v=3 for attempts)\n",
        "  no runtime log (containerd/CRI-O): sandbox/container milestones unavailable but for kubelet and Event fallbacks (collect containerd's or CRI-O's journal)\n",
        "  no kube-proxy log: programmed_* unavailable (collect kube-proxy's log on every node)\n",
    ] {
        assert!(out.contains(line), "{line}\n{out}");
    }
    assert!(!out.contains("no kubelet log"), "{out}");
    let (_, out, _) = podtrace(&["analyze", &dir, "--year", "2025", "--format", "json"]);
    let summary: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    let sources: Vec<&str> = summary["absent_sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["source"].as_str().unwrap())
        .collect();
    // The kubelet's lines hold no "Observed pod startup duration": said too.
    assert_eq!(
        sources,
        [
            "audit",
            "scheduler",
            "runtime",
            "kube-proxy",
            "kubelet-startup"
        ]
    );
    assert_eq!(
        summary["absent_sources"][3]["unavailable"],
        "programmed_* unavailable"
    );
    // report says it too, in every format that has prose.
    let (_, out, _) = podtrace(&["report", "-q", &dir, "--year", "2025"]);
    assert!(
        out.contains("\nAbsent sources\n  no audit log: requested, api_create"),
        "{out}"
    );
    let (_, out, _) = podtrace(&["report", "-q", &dir, "--year", "2025", "--format", "json"]);
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["absent_sources"].as_array().unwrap().len(), 5);
    // The demo has every source.
    let (_, out, _) = podtrace(&["analyze", "-q"]);
    assert!(
        !out.lines()
            .any(|l| l.starts_with("  no ") && l.contains(" log")),
        "{out}"
    );
}
