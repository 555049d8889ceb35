//! Issue 17: log text is attacker-controlled (pod names, namespaces, nodes, reasons, messages
//! and file names can all be forged in logs). Every output format encodes it for its reader:
//! spreadsheets, browsers, Markdown renderers and terminals. Each test injects a hostile name
//! through real input and runs the binary.

use crate::util::*;

/// A kubelet log naming each pod once ("No sandbox for pod…", one second apart): the smallest
/// real input that makes a pod of a name.
#[cfg(feature = "report")]
fn kubelet_log(pods: &[&str]) -> String {
    pods.iter()
        .enumerate()
        .map(|(i, p)| {
            format!(
                "I0602 09:00:{i:02}.000001       1 util.go:30] \"No sandbox for pod can be found. Need to start a new one\" pod=\"{p}\"\n"
            )
        })
        .collect()
}

/// Cells that start a formula get a leading `'` in every CSV (`--pods-csv`, `--format csv`);
/// numbers stay numbers.
#[cfg(feature = "report")]
#[test]
fn csv_cells_from_logs_cannot_start_a_formula() {
    let d = bundle(&[(
        "n/kubelet.log",
        &kubelet_log(&[r#"@ns/=HYPERLINK(\"http://x\",\"y\")"#, "+ns/-2+3"]),
    )]);
    let dir = d.path().display().to_string();
    let pods = d.path().join("pods.csv");
    let (code, out, err) = podtrace(&[
        "report",
        &dir,
        "--year",
        "2025",
        "--format",
        "csv",
        "--pods-csv",
        pods.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let csv = std::fs::read_to_string(&pods).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(
        lines[0].starts_with("namespace,name,uid,node,owner,"),
        "{csv}"
    );
    assert_eq!(
        lines[1],
        format!(
            "'@ns,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",,n,none,unknown,unknown,without init,api,2025-06-02T09:00:00.000001000Z,{}2025-06-02T09:00:00.000001000Z{}",
            ",".repeat(22),
            ",".repeat(12)
        )
    );
    assert_eq!(
        lines[2],
        format!(
            "'+ns,'-2+3,,n,none,unknown,unknown,without init,api,2025-06-02T09:00:01.000001000Z,{}2025-06-02T09:00:01.000001000Z{}",
            ",".repeat(22),
            ",".repeat(12)
        )
    );
    // The statistics: groups are log text too.
    assert!(
        out.contains("\nnamespace,'+ns,startup_e2e,1,0,0,0.000000000,,,,,,,\n"),
        "{out}"
    );
    assert!(
        out.contains("\nnamespace,'@ns,startup_e2e,1,0,0,0.000000000,,,,,,,\n"),
        "{out}"
    );
    assert!(!out.contains(",@ns,") && !out.contains(",+ns,"), "{out}");
}

/// The text of the first element that starts with `open`, up to its `</script>`.
#[cfg(feature = "report")]
fn script_text<'a>(html: &'a str, open: &str) -> &'a str {
    let start = html.find(open).unwrap_or_else(|| panic!("no {open}")) + open.len();
    let len = html[start..].find("</script>").expect("a closed script");
    &html[start..start + len]
}

/// One data string `x<!--<script>` put the HTML report's inline script into the double-escaped
/// state (the page stopped working). The embedded JSON now holds no `<`, `>` or `&` and still
/// gives back the same strings; names in the charts are escaped for XML, controls shown.
#[cfg(feature = "report")]
#[test]
fn html_report_data_cannot_end_or_escape_its_script() {
    let comment = "x<!--<script>";
    let close = "a\u{2028}b</script><script>alert(1)</script>&amp;";
    let node = "x<!--<script>\u{1b}[31m&amp;";
    let d = bundle(&[(
        &format!("{node}/kubelet.log"),
        &kubelet_log(&[&format!("ns/{comment}"), &format!("ns/{close}")]),
    )]);
    let dir = d.path().display().to_string();
    let html = d.path().join("r.html");
    let charts = d.path().join("charts");
    let (code, _, err) = podtrace(&[
        "report",
        &dir,
        "-q",
        "--year",
        "2025",
        "--html",
        html.to_str().unwrap(),
        "--charts",
        charts.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let page = std::fs::read_to_string(&html).unwrap();
    // Four JSON blocks and the script: every element opened is closed where it was meant to.
    assert_eq!(page.matches("<script").count(), 5, "{page}");
    assert_eq!(page.matches("</script").count(), 5, "{page}");
    assert!(!page.contains("<!--"), "{page}");
    let data = script_text(&page, "<script type=\"application/json\" id=\"data\">");
    assert!(
        !data.contains(['<', '>', '&', '\u{2028}', '\u{2029}']),
        "{data}"
    );
    assert!(
        data.contains(r#""name":"x\u003c!--\u003cscript\u003e""#),
        "{data}"
    );
    let pods: serde_json::Value = serde_json::from_str(data).unwrap();
    let names: Vec<&str> = pods
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, [comment, close]);
    assert_eq!(pods[0]["node"], node);
    // The chart of phases per node labels the node: XML-escaped by plotters, its ESC shown.
    let label = r"x&lt;!--&lt;script&gt;\x1b[31m&amp;amp; (2 of 2)";
    assert!(page.contains(label), "{page}");
    let svg = std::fs::read_to_string(charts.join("phases-by-node.svg")).unwrap();
    assert!(svg.contains(label), "{svg}");
    for f in std::fs::read_dir(&charts).unwrap() {
        let p = f.unwrap().path();
        if p.extension().is_some_and(|e| e == "svg") {
            let svg = std::fs::read_to_string(&p).unwrap();
            assert!(
                !svg.chars().any(|c| c.is_control() && c != '\n'),
                "{}",
                p.display()
            );
        }
    }
}

/// The demo bundle with its pod renamed in every file (`pod-demo` → `name`): a whole pipeline
/// (audit, scheduler, kubelet, containerd, kube-proxy) carries a forged name.
#[cfg(feature = "report")]
fn renamed_demo(name: &str) -> tempfile::TempDir {
    let demo = repo().join("samples/seed-demo");
    let d = tempfile::tempdir().unwrap();
    for f in files_under(&demo) {
        let to = d.path().join(f.strip_prefix(&demo).unwrap());
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        let text = std::fs::read_to_string(&f).unwrap();
        std::fs::write(&to, text.replace("pod-demo", name)).unwrap();
    }
    d
}

/// Markdown cells from logs can neither end their cell or row nor become markup: the forged pod
/// name in the slowest-pods table, and a file name with a newline in the gates' `from` column.
#[cfg(feature = "report")]
#[test]
fn markdown_cells_from_logs_stay_text() {
    let d = renamed_demo("x|y<img src=x onerror=alert(1)>`z`*w*[l](h)~s~");
    let g = tempfile::tempdir().unwrap();
    let gates = g.path().join("g\n| FORGED | row |.yaml");
    std::fs::write(&gates, "perc99Threshold: 10s\n").unwrap();
    let dir = d.path().display().to_string();
    let (code, out, err) = podtrace(&[
        "report",
        &dir,
        "-q",
        "--format",
        "markdown",
        "--slo-file",
        gates.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("\n| default/x\\|y&lt;img src=x onerror=alert(1)&gt;\\`z\\`\\*w\\*\\[l\\](h)\\~s\\~ | kind-worker |        5876.953 |     containers | 4639.895 |\n"),
        "{out}"
    );
    let from = format!(
        "| PASS | p99 of startup_sli is 1.292 s, 8.708 s under &lt;= 10.000 s | {} \\| FORGED \\| row \\|.yaml: perc99Threshold (clusterloader2) |\n",
        g.path().join("g").display()
    );
    assert!(out.contains(&from), "{out}");
    // Every table row is one line with its own cells: 3 in the gates' table.
    let gate_rows: Vec<&str> = out.lines().filter(|l| l.starts_with("| PASS")).collect();
    assert_eq!(gate_rows.len(), 1, "{out}");
    assert!(
        !out.contains("<img") && !out.contains("\n| FORGED"),
        "{out}"
    );
}

/// Whether `s` holds a control character other than newline and tab (what text output may
/// hold of its own).
fn has_controls(s: &str) -> bool {
    s.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
}

/// The demo's kubelet log alone, its pod renamed `ns/name` (the kubelet's own startup line gives
/// it measures, so it reaches every table).
fn kubelet_demo(ns: &str, name: &str) -> tempfile::TempDir {
    let text = std::fs::read_to_string(repo().join("samples/seed-demo/kind-worker/kubelet.log"))
        .unwrap()
        .replace("default/pod-demo", &format!("{ns}/{name}"))
        .replace(
            "podNamespace=\"default\"",
            &format!("podNamespace=\"{ns}\""),
        )
        .replace("pod-demo", name);
    bundle(&[("kind-worker/kubelet.log", &text)])
}

/// ESC (with a screen clear), OSC 52 (a clipboard write), CR, a C1 CSI and a newline (klog's
/// `\n`, decoded) in a namespace and a pod name reach no terminal as they are, from any command's
/// text output; `--raw` gives the bytes.
#[test]
fn terminal_text_shows_control_characters_of_names_escaped() {
    let ns = "ns\u{1b}[2J";
    let name = "evil\u{1b}]52;c;QUFB\u{7}\rx\u{9b}31m\\nsummary: 9 pod(s) forged";
    let shown = r"ns\x1b[2J/evil\x1b]52;c;QUFB\x07\rx\u{9b}31m\nsummary: 9 pod(s) forged";
    let d = kubelet_demo(ns, name);
    let dir = d.path().display().to_string();
    let (code, out, err) = podtrace(&["analyze", &dir, "-q"]);
    assert_eq!(code, 0, "{err}");
    assert!(!has_controls(&out), "{out:?}");
    assert!(
        out.contains(&format!(
            "\n{shown}\n  node kind-worker  ip missing  uid 8d3f6c1e-5b2a-4c7d-9e41-2f6a7b9c0d13\n"
        )),
        "{out}"
    );
    assert!(!out.lines().any(|l| l.starts_with("summary: 9")), "{out}");
    // Colour on: our SGR sequences pass, the log's ESC is still shown as `\x1b`.
    let (code, out, err) = podtrace(&["analyze", &dir, "-q", "--color", "always"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&format!(
            "\n\x1b[1m{shown}\x1b[0m\n  node kind-worker  ip missing  uid 8d3f6c1e-5b2a-4c7d-9e41-2f6a7b9c0d13\n"
        )),
        "{out}"
    );
    let stripped = [
        "\x1b[0m",
        "\x1b[1;31m",
        "\x1b[1;33m",
        "\x1b[35m",
        "\x1b[2m",
        "\x1b[1m",
    ]
    .iter()
    .fold(out.clone(), |o, sgr| o.replace(sgr, ""));
    assert!(!has_controls(&stripped), "{stripped:?}");
    let (_, out, _) = podtrace(&["inspect", &dir, "-q"]);
    assert!(!has_controls(&out), "{out:?}");
    #[cfg(feature = "report")]
    {
        let (code, out, err) = podtrace(&["report", &dir, "-q"]);
        assert_eq!(code, 0, "{err}");
        assert!(!has_controls(&out), "{out:?}");
        assert!(
            out.contains(&format!(
                "\n  {shown}  kind-worker     1423.788   running_watch  13.833\n"
            )),
            "{out}"
        );
        let (_, out, _) = podtrace(&["report", &dir, "-q", "--format", "markdown"]);
        assert!(!has_controls(&out), "{out:?}");
        assert!(
            // Markdown: CR and newline are line breaks, written as spaces.
            out.contains(r"| ns\x1b\[2J/evil\x1b\]52;c;QUFB\x07 x\u{9b}31m summary: 9 pod(s) forged | kind-worker |"),
            "{out}"
        );
        let (code, out, err) = podtrace(&["diff", &dir, &dir, "-q"]);
        assert_eq!(code, 0, "{err}");
        assert!(!has_controls(&out), "{out:?}");
        assert!(
            out.contains("\n  ns\\x1b[2J                startup_e2e "),
            "{out}"
        );
    }
    // JSON escapes what serde_json leaves raw (U+009B here) and gives back the same name.
    let (code, out, _) = podtrace(&["analyze", &dir, "-q", "--format", "json"]);
    assert_eq!(code, 0);
    assert!(!has_controls(&out), "{out:?}");
    let first: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(
        (first["namespace"].as_str(), first["name"].as_str()),
        (Some(ns), Some(name.replace("\\n", "\n").as_str()))
    );
    assert!(out.contains(r#"x\u009b31m\nsummary"#), "{out}");
    // --raw: the bytes, as they were logged (the newline decoded from klog's `\n`).
    let (code, out, _) = podtrace(&["analyze", &dir, "-q", "--raw"]);
    assert_eq!(code, 0);
    assert!(
        out.contains(
            "\nns\u{1b}[2J/evil\u{1b}]52;c;QUFB\u{7}\rx\u{9b}31m\nsummary: 9 pod(s) forged\n  node kind-worker"
        ),
        "{out:?}"
    );
}

/// The kubelet journal of one node with a line that is no journal line (its text holds ESC,
/// OSC 52 and CR): a warning on stderr, an unparsed line in `inspect`.
const JOURNAL: &str = "Jun 02 09:00:00 n kubelet[1]: I0602 09:00:00.000001       1 util.go:30] \"No sandbox for pod can be found. Need to start a new one\" pod=\"default/p\"\n\
                       x\u{1b}]52;c;QUFB\u{7}\rpodtrace: all good\n";

/// A file name is log text too (an archive member's, or a folder's in a bundle): with ESC,
/// OSC 52, CR and a newline it forges nothing in warnings on stderr, `inspect`'s listing and
/// echo of unparsed lines, or evidence paths; `--raw` gives the bytes.
#[test]
fn file_names_and_unparsed_lines_are_shown_escaped() {
    let member = "evil\u{1b}]52;c;QUFB\u{7}\r\npodtrace: forged/journal.log";
    let shown = r"evil\x1b]52;c;QUFB\x07\r\npodtrace: forged/journal.log";
    let line = r"not a journal line: x\x1b]52;c;QUFB\x07\rpodtrace: all good";
    let d = tempfile::tempdir().unwrap();
    // As a tar member (written raw: the tar crate checks names).
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(JOURNAL.len() as u64);
    h.set_mode(0o644);
    h.as_old_mut().name[..member.len()].copy_from_slice(member.as_bytes());
    h.set_cksum();
    b.append(&h, JOURNAL.as_bytes()).unwrap();
    let tar = d.path().join("b.tar");
    std::fs::write(&tar, b.into_inner().unwrap()).unwrap();
    // And as a file in a folder.
    let folder = d.path().join("dir");
    let file = folder.join(member);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, JOURNAL).unwrap();
    for (input, path) in [
        (
            tar.display().to_string(),
            format!("{}!/{shown}", tar.display()),
        ),
        (
            folder.display().to_string(),
            format!("{}/{shown}", folder.display()),
        ),
    ] {
        let (code, out, err) = podtrace(&["analyze", &input, "--year", "2025"]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(err, format!("podtrace: warning: {path}:2: {line}\n"));
        assert!(!has_controls(&out), "{out:?}");
        // Evidence as a file id, the file in the legend relative to the input.
        assert!(
            out.contains(
                "\n  kubelet_seen       09:00:00.000001           +0 µs  kubelet     f1:1\n"
            ),
            "{out}"
        );
        assert!(out.ends_with(&format!("\n  f1  {shown}\n")), "{out}");
        let (code, out, err) = podtrace(&["analyze", &input, "--year", "2025", "-o", "wide"]);
        assert_eq!(code, 0, "{err}");
        assert!(!has_controls(&out), "{out:?}");
        assert!(
            out.contains(&format!("  kubelet_seen         2025-06-02T09:00:00.000001000Z         0.000  kubelet     us    {path}:1  [derived: first kubelet line naming the pod]\n")),
            "{out}"
        );
        let (code, out, err) = podtrace(&["inspect", &input, "--year", "2025"]);
        assert_eq!(code, 0, "{err}");
        assert!(!has_controls(&out), "{out:?}");
        // Unparsed lines are cut to 100 columns by default, whole with -o wide.
        assert!(
            out.lines().all(|l| l.chars().count() <= 100 || l == path),
            "{out}"
        );
        let (code, out, err) = podtrace(&["inspect", &input, "--year", "2025", "-o", "wide"]);
        assert_eq!(code, 0, "{err}");
        assert!(!has_controls(&out), "{out:?}");
        assert!(
            out.starts_with(&format!("{path}\n  format journal")),
            "{out}"
        );
        assert!(
            out.contains(&format!("\n  unparsed {path}:2: {line}\n")),
            "{out}"
        );
        let (_, _, err) = podtrace(&["analyze", &input, "--year", "2025", "-v"]);
        assert_eq!(err, format!("podtrace: warning: {path}:2: {line}\n"));
        // --raw: the bytes.
        let (_, _, err) = podtrace(&["analyze", &input, "--year", "2025", "--raw"]);
        assert!(
            err.contains("evil\u{1b}]52;c;QUFB\u{7}\r\npodtrace: forged/journal.log:2: not a journal line: x\u{1b}]52;c;QUFB\u{7}\rpodtrace: all good\n"),
            "{err:?}"
        );
    }
}
