//! The shapes real clusters hand over (issue 12 B): journald's JSON and export formats, bundle
//! layouts (sonobuoy, must-gather, k3s, minikube, EKS, cluster-info dump to stdout), old
//! component spellings. Where a real journal exists, its lines are re-wrapped in the other
//! framing and must give exactly the same timelines as the original.

use std::path::PathBuf;

use podtrace::event::Component;
use podtrace_parsers::frame::{self, Stamp};
use podtrace_parsers::time::format_rfc3339_nanos;

use crate::util::*;

const AKS_NP2: &str = "aks-containerd1.7/node-aks-np2_pod-default-nginx_create-delete.journal.log";

/// One text journal line's fields, as `journalctl -o json` would hold them. The node's clock is
/// taken as UTC (the text run says so with `--timezone UTC`); journald receives a line 0.25 s
/// after the second its prefix shows, a realistic flush delay that must not leak into any
/// milestone (they come from the components' own stamps).
struct Entry {
    realtime_us: i64,
    host: String,
    ident: String,
    pid: u32,
    message: String,
}

fn entries(text: &str, year: i32) -> Vec<Entry> {
    text.lines()
        .map(|l| {
            let f = frame::journal(l).unwrap_or_else(|| panic!("not a journal line: {l}"));
            let Some(Stamp::Local(c)) = f.stamp else {
                panic!("{l}")
            };
            Entry {
                realtime_us: c.to_unix_nanos(year) / 1000 + 250_000,
                host: f.host.unwrap().to_owned(),
                ident: f.ident.unwrap().to_owned(),
                pid: f.pid.unwrap_or(1),
                message: f.body.to_owned(),
            }
        })
        .collect()
}

fn to_json(es: &[Entry]) -> String {
    let mut out = String::new();
    for (i, e) in es.iter().enumerate() {
        // Key order differs per entry in real dumps (hashmap order): vary it here too.
        let v = if i % 2 == 0 {
            serde_json::json!({"__CURSOR": format!("s=4ffd;i={i:x}"), "__REALTIME_TIMESTAMP": e.realtime_us.to_string(), "__MONOTONIC_TIMESTAMP": "12721177566", "_BOOT_ID": "67ae", "_TRANSPORT": "stdout", "PRIORITY": "6", "SYSLOG_IDENTIFIER": e.ident, "_SYSTEMD_UNIT": format!("{}.service", e.ident), "_HOSTNAME": e.host, "_PID": e.pid.to_string(), "MESSAGE": e.message})
        } else {
            serde_json::json!({"MESSAGE": e.message, "_PID": e.pid.to_string(), "_HOSTNAME": e.host, "SYSLOG_IDENTIFIER": e.ident, "__REALTIME_TIMESTAMP": e.realtime_us.to_string(), "__CURSOR": format!("s=4ffd;i={i:x}")})
        };
        out.push_str(&serde_json::to_string(&v).unwrap());
        out.push('\n');
    }
    out
}

fn to_export(es: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, e) in es.iter().enumerate() {
        out.extend_from_slice(
            format!(
                "__CURSOR=s=4ffd;i={i:x}\n__REALTIME_TIMESTAMP={}\n__MONOTONIC_TIMESTAMP=1\n_BOOT_ID=67ae\n_HOSTNAME={}\nSYSLOG_IDENTIFIER={}\n_PID={}\n",
                e.realtime_us, e.host, e.ident, e.pid
            )
            .as_bytes(),
        );
        if i == 2 {
            // A binary-safe MESSAGE: name, u64 LE length, bytes.
            out.extend_from_slice(b"MESSAGE\n");
            out.extend_from_slice(&(e.message.len() as u64).to_le_bytes());
            out.extend_from_slice(e.message.as_bytes());
            out.push(b'\n');
        } else {
            out.extend_from_slice(format!("MESSAGE={}\n", e.message).as_bytes());
        }
        out.push(b'\n');
    }
    out
}

/// Every milestone of every pod as (pod, milestone, ns, source).
fn milestones(a: &podtrace::Analysis) -> Vec<(String, String, i64, Component)> {
    let mut v = Vec::new();
    for p in &a.pods {
        for (name, m) in &p.milestones {
            v.push((
                format!("{}/{}", p.namespace, p.name),
                name.to_string(),
                m.t,
                m.source,
            ));
        }
        for c in &p.containers {
            for (name, m) in &c.milestones {
                v.push((
                    format!("{}/{}/{}", p.namespace, p.name, c.name),
                    name.to_string(),
                    m.t,
                    m.source,
                ));
            }
        }
    }
    v.sort();
    v
}

fn text_run(rel: &str) -> podtrace::Analysis {
    let mut o = opts();
    o.clock.timezone = Some(0);
    o.clock.year = Some(2024);
    analyze_with(&[real(rel)], &o)
}

#[test]
fn journald_json_gives_the_text_journals_timelines() {
    let text = std::fs::read_to_string(real(AKS_NP2)).unwrap();
    let want = text_run(AKS_NP2);
    assert!(!want.pods.is_empty());
    let d = bundle(&[("node.json", &to_json(&entries(&text, 2024)))]);
    let got = analyze(&path(&d));
    assert_eq!(got.files[0].format, "journal-json");
    assert_eq!(milestones(&got), milestones(&want));
    // The real values, not only agreement: the kubelet saw default/nginx at its own stamp.
    let p = pod(&got, "default", "nginx");
    assert_eq!(t(p, "kubelet_seen"), "2024-11-29T18:13:10.314127000Z");
    // One entry per line: the evidence is the entry's line, as in the text journal.
    assert_eq!(evidence_line(ms(p, "kubelet_seen")).1, 1);
    assert_eq!(p.node.as_deref(), Some("aks-np2-39852331-vmss000000"));
    // Every line accounted for, under the same components as the text journal.
    assert_eq!(got.totals, want.totals);
    assert_eq!(got.warning_count, want.warning_count);
}

#[test]
fn journald_export_gives_the_text_journals_timelines() {
    let text = std::fs::read_to_string(real(AKS_NP2)).unwrap();
    let want = text_run(AKS_NP2);
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("node.export");
    std::fs::write(&f, to_export(&entries(&text, 2024))).unwrap();
    let got = analyze(&[f]);
    assert_eq!(got.files[0].format, "journal-export");
    assert_eq!(got.warning_count, 0, "{:?}", got.warnings);
    assert_eq!(milestones(&got), milestones(&want));
    let n = text.lines().count() as u64;
    // 8 field lines and a blank line per entry, all counted; the binary MESSAGE takes two
    // lines (its name, then length and bytes).
    let lines: u64 = got.totals.values().map(|c| c.lines).sum();
    assert_eq!(lines, n * 9 + 1);
}

#[test]
fn sonobuoy_results_layout() {
    let text = std::fs::read_to_string(real(AKS_NP2)).unwrap();
    // sonobuoy names the node as Kubernetes does; the kernel host name in _HOSTNAME differs.
    let json = to_json(&entries(&text, 2024)).replace(
        "\"aks-np2-39852331-vmss000000\"",
        "\"aks-np2-39852331-vmss000000.internal.cloudapp.net\"",
    );
    let d = bundle(&[
        ("plugins/systemd-logs/results/aks-np2-39852331-vmss000000/systemd_logs", &json),
        ("plugins/systemd-logs/definition.json", r#"{"plugin-name":"systemd-logs"}"#),
        ("plugins/systemd-logs/sonobuoy_results.yaml", "name: systemd-logs\nstatus: complete\n"),
        ("meta/run.log", "time=\"2024-11-29T18:00:00Z\" level=info msg=\"Starting server Expected Results: [{global e2e} {node-a systemd-logs}]\"\n"),
        ("meta/config.json", r#"{"Description":"DEFAULT","UUID":"0f5c"}"#),
        ("hosts/aks-np2-39852331-vmss000000/healthz.json", r#"{"status":200}"#),
        ("podlogs/kube-system/coredns-5d78c9869d-abcde/logs/coredns.txt", "[INFO] plugin/reload: Running configuration SHA512 = 1b22\n.:53\nCoreDNS-1.10.1\n"),
    ]);
    let got = analyze(&path(&d));
    let p = pod(&got, "default", "nginx");
    assert_eq!(p.node.as_deref(), Some("aks-np2-39852331-vmss000000"));
    assert_eq!(t(p, "kubelet_seen"), "2024-11-29T18:13:10.314127000Z");
    // coredns' own output and sonobuoy's files say nothing about pods: counted, not warned.
    assert_eq!(got.warning_count, 0, "{:?}", got.warnings);
}
