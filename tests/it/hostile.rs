//! Issue 17: log text is attacker-controlled (pod names, namespaces, nodes, reasons, messages
//! and file names can all be forged in logs). Every output format encodes it for its reader:
//! spreadsheets, browsers, Markdown renderers and terminals. Each test injects a hostile name
//! through real input and runs the binary.

use crate::util::*;

/// A kubelet log naming each pod once ("No sandbox for pod…", one second apart): the smallest
/// real input that makes a pod of a name.
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
            "'@ns,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",,n,none,unknown,unknown,without init,api,1748854800000001000,{}1748854800000001000{}",
            ",".repeat(22),
            ",".repeat(12)
        )
    );
    assert_eq!(
        lines[2],
        format!(
            "'+ns,'-2+3,,n,none,unknown,unknown,without init,api,1748854801000001000,{}1748854801000001000{}",
            ",".repeat(22),
            ",".repeat(12)
        )
    );
    // The statistics: groups are log text too.
    assert!(
        out.contains("\nnamespace,'+ns,startup_e2e,1,0,0,0.0,,,,,,,\n"),
        "{out}"
    );
    assert!(
        out.contains("\nnamespace,'@ns,startup_e2e,1,0,0,0.0,,,,,,,\n"),
        "{out}"
    );
    assert!(!out.contains(",@ns,") && !out.contains(",+ns,"), "{out}");
}
