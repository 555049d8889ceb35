//! The shapes real clusters hand over (issue 12 B): journald's JSON and export formats, bundle
//! layouts (sonobuoy, must-gather, k3s, minikube, EKS, cluster-info dump to stdout), old
//! component spellings. Where a real journal exists, its lines are re-wrapped in the other
//! framing and must give exactly the same timelines as the original.

use podtrace::event::Component;
use podtrace_parsers::frame::{self, Stamp};

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
                realtime_us: c.to_unix_nanos(year).unwrap() / 1000 + 250_000,
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
        (
            "plugins/systemd-logs/results/aks-np2-39852331-vmss000000/systemd_logs",
            &json,
        ),
        (
            "plugins/systemd-logs/definition.json",
            r#"{"plugin-name":"systemd-logs"}"#,
        ),
        (
            "plugins/systemd-logs/sonobuoy_results.yaml",
            "name: systemd-logs\nstatus: complete\n",
        ),
        (
            "meta/run.log",
            "time=\"2024-11-29T18:00:00Z\" level=info msg=\"Starting server Expected Results: [{global e2e} {node-a systemd-logs}]\"\n",
        ),
        (
            "meta/config.json",
            r#"{"Description":"DEFAULT","UUID":"0f5c"}"#,
        ),
        (
            "hosts/aks-np2-39852331-vmss000000/healthz.json",
            r#"{"status":200}"#,
        ),
        (
            "podlogs/kube-system/coredns-5d78c9869d-abcde/logs/coredns.txt",
            "[INFO] plugin/reload: Running configuration SHA512 = 1b22\n.:53\nCoreDNS-1.10.1\n",
        ),
    ]);
    let got = analyze(&path(&d));
    let p = pod(&got, "default", "nginx");
    assert_eq!(p.node.as_deref(), Some("aks-np2-39852331-vmss000000"));
    assert_eq!(t(p, "kubelet_seen"), "2024-11-29T18:13:10.314127000Z");
    // coredns' own output and sonobuoy's files say nothing about pods: counted, not warned.
    assert_eq!(got.warning_count, 0, "{:?}", got.warnings);
}

const UID1: &str = "6f2c1d2e-0a0b-4c0d-8e0f-000000000001";

/// A kubelet 1.20 journal (printf era: `format.Pod` writes `name_namespace(uid)`) next to
/// containerd 1.4's `RunPodsandbox` spelling (docs/formats.md#kubelet-119-122,
/// #old-containerd-spellings). Lines built from the format strings of kubelet.go and
/// containerd's instrumented_service.go at those versions.
#[test]
fn kubelet_1_20_printf_and_containerd_1_4() {
    let j = format!(
        "Jun  1 10:00:00 node1 kubelet[900]: I0601 10:00:00.100000     900 kubelet.go:1895] SyncLoop (ADD, \"api\"): \"nginx_default({UID1})\"\n\
         Jun  1 10:00:00 node1 kubelet[900]: I0601 10:00:00.150000     900 kuberuntime_manager.go:439] No sandbox for pod \"nginx_default({UID1})\" can be found. Need to start a new one\n\
         Jun  1 10:00:00 node1 containerd[800]: time=\"2021-06-01T10:00:00.200000123Z\" level=info msg=\"RunPodsandbox for &PodSandboxMetadata{{Name:nginx,Uid:{UID1},Namespace:default,Attempt:0,}}\"\n\
         Jun  1 10:00:01 node1 containerd[800]: time=\"2021-06-01T10:00:01.000000456Z\" level=info msg=\"RunPodSandbox for &PodSandboxMetadata{{Name:nginx,Uid:{UID1},Namespace:default,Attempt:0,}} returns sandbox id \\\"abc123\\\"\"\n\
         Jun  1 10:00:02 node1 kubelet[900]: I0601 10:00:02.500000     900 kubelet.go:1933] SyncLoop (PLEG): \"nginx_default({UID1})\", event: &pleg.PodLifecycleEvent{{ID:\"{UID1}\", Type:\"ContainerStarted\", Data:\"abc123\"}}\n\
         Jun  1 10:00:02 node1 kubelet[900]: I0601 10:00:02.600000     900 kubelet.go:1917] SyncLoop (UPDATE, \"api\"): \"nginx_default({UID1}), other_kube-system(\"\n"
    );
    let d = bundle(&[("node1/journal.log", &j)]);
    let mut o = opts();
    o.clock.year = Some(2021);
    let a = analyze_with(&path(&d), &o);
    let p = pod(&a, "default", "nginx");
    assert_eq!(p.uid.as_deref(), Some(UID1));
    assert_eq!(t(p, "kubelet_seen"), "2021-06-01T10:00:00.100000000Z");
    assert_eq!(ms(p, "kubelet_seen").source, Component::Kubelet);
    assert_eq!(t(p, "sandbox_started"), "2021-06-01T10:00:00.200000123Z");
    assert_eq!(t(p, "sandbox_ready"), "2021-06-01T10:00:01.000000456Z");
    assert_eq!(phase(p, "kubelet_prep"), 100_000_123);
    // The last line's list is cut inside a pod: said, not guessed.
    assert_eq!(a.warning_count, 1, "{:?}", a.warnings);
    assert!(
        a.warnings[0]
            .to_string()
            .ends_with(":6: printf SyncLoop without a readable pod list")
    );
    let k = &a.totals[&Component::Kubelet];
    assert_eq!((k.lines, k.recognised, k.unparsed), (4, 3, 1));
}

/// One k3s process writes the kubelet's, the scheduler's and kube-proxy's klog lines and its
/// own logrus lines under one identifier: each line goes to its component by call site.
#[test]
fn k3s_journal_routes_by_call_site() {
    let j = "Nov 11 13:26:05 srv k3s[1473]: time=\"2023-11-11T13:26:05Z\" level=info msg=\"Tunnel server egress proxy mode: agent\"\n\
             Nov 11 13:26:05 srv k3s[1473]: I1111 13:26:05.090000    1473 eventhandlers.go:118] \"Add event for unscheduled pod\" pod=\"default/web-0\"\n\
             Nov 11 13:26:05 srv k3s[1473]: I1111 13:26:05.100000    1473 schedule_one.go:314] \"Successfully bound pod to node\" pod=\"default/web-0\" node=\"srv\" evaluatedNodes=1 feasibleNodes=1\n\
             Nov 11 13:26:05 srv k3s[1473]: I1111 13:26:05.120000    1473 kubelet.go:2425] \"SyncLoop ADD\" source=\"api\" pods=[\"default/web-0\"]\n\
             Nov 11 13:26:06 srv k3s[1473]: I1111 13:26:06.000000    1473 proxier.go:1517] \"Syncing iptables rules\"\n\
             Nov 11 13:26:06 srv k3s[1473]: I1111 13:26:06.010000    1473 proxier.go:1550] \"Reloading service iptables data\" numServices=4\n";
    let d = bundle(&[("srv/journal.log", j)]);
    let mut o = opts();
    o.clock.year = Some(2023);
    let a = analyze_with(&path(&d), &o);
    let p = pod(&a, "default", "web-0");
    assert_eq!(t(p, "scheduled"), "2023-11-11T13:26:05.100000000Z");
    assert_eq!(ms(p, "scheduled").source, Component::Scheduler);
    assert_eq!(t(p, "kubelet_seen"), "2023-11-11T13:26:05.120000000Z");
    let counts = |c| {
        let n = &a.totals[&c];
        (n.lines, n.recognised)
    };
    assert_eq!(counts(Component::Scheduler), (2, 1));
    assert_eq!(counts(Component::Kubelet), (1, 1));
    assert_eq!(counts(Component::KubeProxy), (2, 1));
    assert_eq!(counts(Component::Other), (1, 0));
    // Skipping lines by literal counts them under the same components.
    let mut all = o.clone();
    all.read.no_prefilter = true;
    assert_eq!(analyze_with(&path(&d), &all).totals, a.totals);
}

/// `minikube logs`: sections under `==> name <==`, journal lines for the kubelet and the
/// runtime, raw klog for containers, and minikube's own tables (its `Audit` section is its
/// command history, not the apiserver's audit log).
#[test]
fn minikube_logs_sections() {
    let text = "==> Audit <==\n\
        |---------|------|----------|------|---------|---------------------|----------|\n\
        | Command | Args | Profile  | User | Version |     Start Time      | End Time |\n\
        | start   |      | minikube | me   | v1.32.0 | 29 Nov 24 10:00 UTC |          |\n\
        \n\
        ==> container status <==\n\
        CONTAINER      IMAGE    CREATED          STATE     NAME    ATTEMPT   POD ID\n\
        3f5c1a2b3c4d   nginx    10 seconds ago   Running   nginx   0         6a0f\n\
        \n\
        ==> containerd <==\n\
        Nov 29 10:15:00 minikube containerd[1020]: time=\"2024-11-29T10:15:00.262917455Z\" level=info msg=\"RunPodSandbox for &PodSandboxMetadata{Name:nginx,Uid:8d3f6c1e-5b2a-4c7d-9e41-2f6a7b9c0d13,Namespace:default,Attempt:0,}\"\n\
        \n\
        ==> kube-scheduler [9a8b7c6d5e4f] <==\n\
        I1129 10:15:00.144018       1 schedule_one.go:314] \"Successfully bound pod to node\" pod=\"default/nginx\" node=\"minikube\" evaluatedNodes=1 feasibleNodes=1\n\
        \n\
        ==> kubelet <==\n\
        Nov 29 10:15:00 minikube kubelet[1234]: I1129 10:15:00.146214    1234 kubelet.go:2425] \"SyncLoop ADD\" source=\"api\" pods=[\"default/nginx\"]\n";
    let d = bundle(&[("minikube-logs.txt", text)]);
    let mut o = opts();
    o.clock.year = Some(2024);
    let a = analyze_with(&path(&d), &o);
    assert_eq!(a.files[0].format, "sections");
    assert_eq!(a.warning_count, 0, "{:?}", a.warnings);
    let p = pod(&a, "default", "nginx");
    assert_eq!(t(p, "scheduled"), "2024-11-29T10:15:00.144018000Z");
    assert_eq!(t(p, "kubelet_seen"), "2024-11-29T10:15:00.146214000Z");
    assert_eq!(t(p, "sandbox_started"), "2024-11-29T10:15:00.262917455Z");
    assert!(!a.totals.contains_key(&Component::Audit));
    assert_eq!(a.totals[&Component::Scheduler].lines, 3);
    assert_eq!(a.totals[&Component::Other].lines, 9);
}

/// Node names from bundle paths, and the folders that are not node names.
#[test]
fn nodes_from_layout_paths() {
    use podtrace::input::read::path_host;
    let host = |p: &str| path_host(std::path::Path::new(p));
    // kind export logs, support bundles, sonobuoy
    assert_eq!(
        host("b/kind-worker/kubelet.log").as_deref(),
        Some("kind-worker")
    );
    assert_eq!(host("b/nodes/n1/logs/kubelet.log").as_deref(), Some("n1"));
    assert_eq!(
        host("plugins/systemd-logs/results/ip-10-0-1-2/systemd_logs").as_deref(),
        Some("ip-10-0-1-2")
    );
    assert_eq!(
        host("b/kind-worker/pods/default_nginx_8d3f/nginx/0.log").as_deref(),
        Some("kind-worker")
    );
    // The EKS collector's component folders, RKE2's and k3s' agent trees: no node named.
    assert_eq!(
        host("eks_i-0abc_2024-01-01_1200-UTC_0.7.9/kubelet/kubelet.log"),
        None
    );
    assert_eq!(host("var/lib/rancher/rke2/agent/logs/kubelet.log"), None);
    assert_eq!(
        host("var/lib/rancher/k3s/agent/containerd/containerd.log"),
        None
    );
    // must-gather's namespaces/<ns>/pods/<pod>/ names a namespace, not a node.
    assert_eq!(
        host(
            "mg/namespaces/openshift-kube-scheduler/pods/sched-1/kube-scheduler/kube-scheduler/logs/current.log"
        ),
        None
    );
    let hint = |p: &str| podtrace::input::read::path_hint(std::path::Path::new(p));
    assert_eq!(
        hint(
            "mg/namespaces/openshift-kube-scheduler/pods/sched-1/kube-scheduler/kube-scheduler/logs/current.log"
        ),
        Some(Component::Scheduler)
    );
    assert_eq!(
        hint("podlogs/kube-system/kube-proxy-x7/logs/kube-proxy.txt"),
        Some(Component::KubeProxy)
    );
    assert_eq!(
        hint("eks/containerd/containerd-log.txt"),
        Some(Component::Containerd)
    );
    assert_eq!(
        hint("eks/var_log/aws-routed-eni/plugin.log"),
        Some(Component::Cni)
    );
    assert_eq!(
        hint("mg/host_service_logs/masters/kubelet_service.log"),
        Some(Component::Kubelet)
    );
}

/// Real: MicroShift under a Japanese locale (kueue issue 4074): ` 1月 28 …` journal stamps, one
/// `microshift` process, each line prefixed with its component's name.
#[test]
fn real_microshift_ja_locale_component_prefixed() {
    let a = analyze(&[real(
        "k3s/microshift-4.16_ja-locale_component-prefixed.journal.log",
    )]);
    assert_eq!(a.files[0].format, "journal");
    // One "SyncLoop ADD" lists 19 pods.
    assert_eq!(a.pods.len(), 19);
    let p = pod(&a, "mpi-operator", "mpi-operator-7477b5bdbd-8mhdk");
    // No year anywhere in the file: the run's fallback year (2000 in tests).
    assert_eq!(t(p, "kubelet_seen"), "2000-01-28T17:55:40.963540000Z");
    assert_eq!(p.node.as_deref(), Some("jetson07"));
    // The kubelet's lines under the kubelet, the other component's (not one podtrace reads)
    // under other: nothing unparsed, nothing warned.
    let k = &a.totals[&Component::Kubelet];
    assert_eq!((k.lines, k.recognised), (6, 2));
    assert_eq!(a.totals[&Component::Other].lines, 3);
    assert_eq!(a.warning_count, 0, "{:?}", a.warnings);
}

/// Real: the kubelet tracker's newest key set (≈1.34+: totalImagesPullingTime,
/// totalInitContainerRuntime, isStatefulPod, imagePullSessionsCount) read, and cross-checked.
#[test]
fn real_startup_tracker_newest_keys() {
    let a = analyze(&[real(
        "startup-tracker/minikube-k8s-v1.37_kubelet-new-keys_statefulpod.journal.log",
    )]);
    let p = pod(&a, "final-app", "final-app-8bb588d8d-qlhpr");
    let k = p.kubelet.as_ref().unwrap();
    assert_eq!(k.e2e_nanos, Some(25_656_615_132));
    assert_eq!(k.slo_seconds, Some(25.656615132));
    assert_eq!(
        (
            k.total_pulling_nanos,
            k.total_init_nanos,
            k.pull_sessions,
            k.stateful
        ),
        (Some(0), Some(0), Some(0), Some(true))
    );
    assert_eq!(t(p, "running_observed"), "2026-10-07T17:52:33.656615132Z");
    // The kubelet's creation time is its only `created` here (second precision).
    assert_eq!(phase(p, "startup_e2e"), 25_656_615_132);
    assert_eq!(phase(p, "startup_sli"), 25_656_615_132);
    assert_eq!(k.sli_difference_nanos, Some(0));
    assert!(p.findings.is_empty(), "{:?}", p.findings);
    // The band-B line of an EKS node whose journal writes `kubelet:` without a pid.
    let a = analyze(&[real(
        "startup-tracker/eks-al2_kubelet-no-pid_band-b.messages.log",
    )]);
    let p = pod(&a, "default", "resource-consume-7485567c97-65tbb");
    let k = p.kubelet.as_ref().unwrap();
    assert_eq!(k.e2e_nanos, Some(2_631_123_808));
    // lastFinishedPulling − firstStartedPulling = 22:23:56.247702507 − 22:23:55.163506378
    assert_eq!(k.pull_window_nanos, Some(1_084_196_129));
    assert_eq!(phase(p, "startup_sli"), 2_631_123_808 - 1_084_196_129);
    // 14 ns apart: Go subtracts the monotonic readings (m=+10441.538482824 − m=+10440.454286709
    // = 1.084196115 s), podtrace the wall times; far inside the check's 1 µs, no finding.
    assert_eq!(k.sli_difference_nanos, Some(-14));
    assert!(p.findings.is_empty(), "{:?}", p.findings);
}

/// Real: printf-era kubelet journals (≈1.16–1.18, AKS 2020): `SyncLoop (ADD, "api")` with
/// `name_namespace(uid)` and "No sandbox for pod".
#[test]
fn real_printf_kubelet_journal() {
    let a = analyze(&[real(
        "kubelet-1.20/kubelet-printf-1.1x_aks-2020_syncloop-add_no-sandbox_cni-stdout.journal.log",
    )]);
    assert!(!a.pods.is_empty());
    for p in &a.pods {
        assert!(
            p.uid.is_some(),
            "{}/{}: the printf form carries the UID",
            p.namespace,
            p.name
        );
        assert_eq!(ms(p, "kubelet_seen").source, Component::Kubelet);
    }
    assert_eq!(a.warning_count, 0, "{:?}", a.warnings);
    // Kubelets before 1.26 never write their startup figure: the run says so, once.
    let said: Vec<&str> = a.absent_sources.iter().map(|s| s.source).collect();
    assert!(said.contains(&"kubelet-startup"), "{said:?}");
    // A pager cut every long line at the terminal's width: the cut SyncLoop and PLEG lines are
    // said to be unreadable, one by one, never guessed.
    let a = analyze(&[real(
        "kubelet-1.20/TRUNCATED_kubelet-printf-1.15_less-pager-cut.journal.log",
    )]);
    let k = &a.totals[&Component::Kubelet];
    assert_eq!((k.lines, k.recognised, k.unparsed), (22, 0, 11));
    assert!(a.pods.is_empty());
}

/// sonobuoy writes each resource list as one compact JSON line (`UnstructuredList.MarshalJSON`);
/// a large cluster's `core_v1_pods.json` is far longer than any log line podtrace keeps. It is
/// read whole all the same.
#[test]
fn compact_object_document_longer_than_a_line() {
    let mut items = Vec::new();
    for i in 0..300 {
        items.push(serde_json::json!({
            "metadata": {"name": format!("web-{i}"), "namespace": "default", "uid": format!("00000000-0000-4000-8000-{i:012}"),
                "creationTimestamp": "2025-06-02T09:00:00Z", "annotations": {"padding": "x".repeat(200)}},
            "spec": {"nodeName": "node-a", "containers": [{"name": "web", "image": "nginx"}]},
            "status": {"phase": "Running", "podIP": format!("10.0.0.{}", i % 250),
                "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2025-06-02T09:00:09Z"}]}
        }));
    }
    let doc = serde_json::to_string(
        &serde_json::json!({"apiVersion": "v1", "kind": "PodList", "metadata": {}, "items": items}),
    )
    .unwrap();
    assert!(doc.len() > 64 * 1024 && !doc.contains('\n'));
    let d = bundle(&[("resources/ns/default/core_v1_pods.json", &doc)]);
    let mut o = opts();
    // A line cap far below the document's size: the document does not go through it.
    o.read.max_line = 4096;
    let a = analyze_with(&path(&d), &o);
    assert_eq!(a.files[0].format, "json-objects");
    assert_eq!(a.warning_count, 0, "{:?}", a.warnings);
    assert_eq!(a.pods.len(), 300);
    let p = pod(&a, "default", "web-299");
    assert_eq!(
        p.uid.as_deref(),
        Some("00000000-0000-4000-8000-000000000299")
    );
    assert_eq!(t(p, "created"), "2025-06-02T09:00:00.000000000Z");
    assert_eq!(t(p, "ready"), "2025-06-02T09:00:09.000000000Z");
    assert_eq!(a.totals[&Component::Events].lines, 1);
}

/// AKS Periscope: `<runId>/<node>/<pod>-<container>` blobs hold a container's last lines as one
/// JSON object; the log inside is read as `<blob>!/containerLog`, its component named by the
/// container and its node by the folder. Here with real kube-proxy lines.
#[test]
fn aks_periscope_container_blob() {
    let log = std::fs::read_to_string(real("kube-proxy/iptables-sync.klog.log")).unwrap();
    let blob = serde_json::json!({"name": "kube-proxy-x7k2p", "ready": "1/1", "status": "Running",
        "restart": 0, "age": 3_600_000_000_000u64, "containerName": "kube-proxy", "containerLog": log});
    let d = bundle(&[(
        "20241129T101500Z/aks-nodepool1-0/kube-proxy-x7k2p-kube-proxy",
        &serde_json::to_string(&blob).unwrap(),
    )]);
    let a = analyze(&path(&d));
    assert_eq!(a.files[0].format, "periscope-container");
    assert!(
        a.files[0]
            .path
            .ends_with("kube-proxy-x7k2p-kube-proxy!/containerLog")
    );
    assert_eq!(a.files[0].hosts, ["aks-nodepool1-0"]);
    let n = log.lines().count() as u64;
    let k = &a.totals[&Component::KubeProxy];
    assert_eq!((k.lines, k.recognised), (n, 3));
    assert_eq!(a.warning_count, 0, "{:?}", a.warnings);
    // A blob that is not JSON is said, once.
    let d = bundle(&[("r/n/p-c", "{\"name\":\"p\",\"containerLog\": \"I0101 cut")]);
    let a = analyze(&path(&d));
    assert_eq!(a.warning_count, 1);
    assert!(
        a.warnings[0]
            .to_string()
            .contains("unreadable Periscope blob")
    );
    // An audit log whose first event mentions the key is an audit log, not a blob.
    let audit = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"a","stage":"ResponseComplete","verb":"create","objectRef":{"resource":"configmaps","namespace":"x","name":"c","apiVersion":"v1"},"requestObject":{"data":{"containerLog":"x"}}}"#;
    let d = bundle(&[("audit.log", &format!("{audit}\n"))]);
    let a = analyze(&path(&d));
    assert_eq!(a.files[0].format, "audit");
}

/// An OpenShift must-gather (docs/formats.md#must-gather): all masters' kubelet journals
/// interleaved in one `kubelet_service.log` (`oc adm node-logs`, short-precise, UTC), CRI-O's
/// likewise, pods as a YAML list, a scheduler container log with RFC3339Nano stamps, and an
/// audit log, gzipped. Lines built from the formats of those writers; the kubelet and CRI-O
/// messages as in the real OpenShift journal sample (`crio/TRIMMED_openshift-node-density…`).
#[test]
fn openshift_must_gather_layout() {
    use std::io::Write;
    let uid = "4b1c2d3e-0000-4000-8000-00000000abcd";
    let kubelet = "May 27 16:02:27.147175 master-0 kubenswrapper[2509]: I0527 16:02:27.147102    2509 kubelet.go:2608] \"SyncLoop ADD\" source=\"api\" pods=[\"app/web-1\"]\n\
         May 27 16:02:27.150001 master-1 kubenswrapper[2433]: I0527 16:02:27.149990    2433 kubelet.go:2608] \"SyncLoop ADD\" source=\"api\" pods=[\"app/web-2\"]\n\
         May 27 16:02:27.160010 master-0 kubenswrapper[2509]: I0527 16:02:27.160001    2509 util.go:30] \"No sandbox for pod can be found. Need to start a new one\" pod=\"app/web-1\"\n";
    let crio = "May 27 16:02:27.170000 master-0 crio[2440]: time=\"2025-05-27 16:02:27.169961216Z\" level=info msg=\"Running pod sandbox: app/web-1/POD\" id=aa0d7f2e-6d1b-4b55-8f7d-1c5e5b1c2f3a name=/runtime.v1.RuntimeService/RunPodSandbox\n\
         May 27 16:02:28.010000 master-0 crio[2440]: time=\"2025-05-27 16:02:28.009977318Z\" level=info msg=\"Ran pod sandbox 5d1b0f2e8a3c with infra container: app/web-1/POD\" id=aa0d7f2e-6d1b-4b55-8f7d-1c5e5b1c2f3a name=/runtime.v1.RuntimeService/RunPodSandbox\n";
    let pods = format!(
        "apiVersion: v1\nkind: PodList\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: web-1\n    namespace: app\n    uid: {uid}\n    creationTimestamp: \"2025-05-27T16:02:26Z\"\n  spec:\n    nodeName: master-0\n    containers:\n    - name: web\n      image: nginx\n  status:\n    phase: Running\n"
    );
    let sched = "2025-05-27T16:02:27.101234567Z I0527 16:02:27.101200       1 schedule_one.go:314] \"Successfully bound pod to node\" pod=\"app/web-1\" node=\"master-0\" evaluatedNodes=3 feasibleNodes=3\n";
    let audit = format!(
        "{{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"Metadata\",\"auditID\":\"a1\",\"stage\":\"ResponseComplete\",\"requestURI\":\"/api/v1/namespaces/app/pods/web-1/binding\",\"verb\":\"create\",\"user\":{{\"username\":\"system:kube-scheduler\"}},\"objectRef\":{{\"resource\":\"pods\",\"namespace\":\"app\",\"name\":\"web-1\",\"uid\":\"{uid}\",\"apiVersion\":\"v1\",\"subresource\":\"binding\"}},\"responseStatus\":{{\"code\":201}},\"requestReceivedTimestamp\":\"2025-05-27T16:02:27.100000Z\",\"stageTimestamp\":\"2025-05-27T16:02:27.102000Z\"}}\n"
    );
    let mg = "must-gather.local.1/quay-io-openshift-release";
    let d = bundle(&[
        (
            &format!("{mg}/host_service_logs/masters/kubelet_service.log"),
            kubelet,
        ),
        (
            &format!("{mg}/host_service_logs/masters/crio_service.log"),
            crio,
        ),
        (&format!("{mg}/namespaces/app/core/pods.yaml"), &pods),
        (
            &format!(
                "{mg}/namespaces/openshift-kube-scheduler/pods/openshift-kube-scheduler-master-0/kube-scheduler/kube-scheduler/logs/current.log"
            ),
            sched,
        ),
    ]);
    let gz = d.path().join(format!(
        "{mg}/audit_logs/kube-apiserver/master-0-audit-2025-05-27T16-10-00.000.log.gz"
    ));
    std::fs::create_dir_all(gz.parent().unwrap()).unwrap();
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(audit.as_bytes()).unwrap();
    enc.finish().unwrap();
    let mut o = opts();
    o.clock.year = Some(2025);
    let a = analyze_with(&path(&d), &o);
    assert_eq!(a.warning_count, 0, "{:?}", a.warnings);
    let p = pod(&a, "app", "web-1");
    assert_eq!(p.uid.as_deref(), Some(uid));
    assert_eq!(p.node.as_deref(), Some("master-0"));
    assert_eq!(t(p, "scheduled"), "2025-05-27T16:02:27.102000000Z");
    assert_eq!(t(p, "kubelet_seen"), "2025-05-27T16:02:27.147102000Z");
    assert_eq!(ms(p, "kubelet_seen").host.as_deref(), Some("master-0"));
    assert_eq!(t(p, "sandbox_started"), "2025-05-27T16:02:27.169961216Z");
    assert_eq!(ms(p, "sandbox_started").source, Component::Crio);
    // The other master's kubelet saw its own pod: the interleaved file is split by host.
    let p2 = pod(&a, "app", "web-2");
    assert_eq!(ms(p2, "kubelet_seen").host.as_deref(), Some("master-1"));
    let hosts = &a
        .files
        .iter()
        .find(|f| f.path.ends_with("kubelet_service.log"))
        .unwrap()
        .hosts;
    assert_eq!(hosts, &["master-0", "master-1"]);
    // The scheduler's container log: RFC3339Nano stamps, not a journal; its component from the
    // container folder.
    let s = &a.totals[&Component::Scheduler];
    assert_eq!((s.lines, s.recognised), (1, 1));
}
