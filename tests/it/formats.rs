//! Lines built exactly per docs/formats.md where no real sample exists: both klog renderings,
//! containerd 2.x metadata, every journald variant, CRI partial lines, audit with and without
//! responseObject, year and offset inference, and inputs that are not logs.

use std::io::Write;

use podtrace::event::Component;

use crate::util::*;
use podtrace::timeline::Phase;

const UID: &str = "ecf6beca-4e57-4562-8f89-b6e72312b3fd";
const SB: &str = "9782e0cf6742898144c14978eabdbed4af963d2f8eb9d857d4832d98986cf361";

#[test]
fn klog_1_26_rendering() {
    // ≤1.27: KObjs %+v lists, PLEG event as &{…}, UIDs unquoted.
    let d = bundle(&[(
        "node1/kubelet.log",
        &format!(
            "May 02 08:56:05 node1 kubelet[2264]: I0502 08:56:05.100000    2264 kubelet.go:2157] \"SyncLoop ADD\" source=\"api\" pods=[kube-system/multus-ds-kk2r8 default/other]\n\
             May 02 08:56:05 node1 kubelet[2264]: I0502 08:56:05.200000    2264 topology_manager.go:210] \"Topology Admit Handler\" podUID={UID} podNamespace=kube-system podName=multus-ds-kk2r8\n\
             May 02 08:56:06 node1 kubelet[2264]: I0502 08:56:06.223307    2264 kubelet.go:2231] \"SyncLoop (PLEG): event for pod\" pod=\"kube-system/multus-ds-kk2r8\" event=&{{ID:{UID} Type:ContainerStarted Data:{SB}}}\n\
             May 02 08:56:07 node1 containerd[900]: time=\"2023-05-02T08:56:05.500000000Z\" level=info msg=\"RunPodSandbox for &PodSandboxMetadata{{Name:multus-ds-kk2r8,Uid:{UID},Namespace:kube-system,Attempt:0,}}\"\n"
        ),
    )]);
    let a = analyze(&path(&d));
    let p = pod(&a, "kube-system", "multus-ds-kk2r8");
    assert_eq!(p.uid.as_deref(), Some(UID));
    assert_eq!(t(p, "kubelet_seen"), "2023-05-02T08:56:05.100000000Z");
    assert_eq!(t(p, "sandbox_ready"), "2023-05-02T08:56:06.223307000Z");
    assert!(ms(p, "sandbox_ready").derived.is_some(), "from PLEG");
    assert_eq!(phase(p, "kubelet_prep"), 400_000_000);
    // The other pod in the same SyncLoop ADD list.
    assert_eq!(
        t(pod(&a, "default", "other"), "kubelet_seen"),
        "2023-05-02T08:56:05.100000000Z"
    );
}

#[test]
fn containerd_2_protobuf_text_metadata() {
    let c = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";
    let lines = [
        format!(
            r#"time="2025-12-30T21:46:28.662296413Z" level=info msg="RunPodSandbox for name:\"kube-proxy-node1\"  uid:\"{UID}\"  namespace:\"kube-system\"""#
        ),
        format!(
            r#"time="2025-12-30T21:46:28.805694019Z" level=info msg="RunPodSandbox for name:\"kube-proxy-node1\"  uid:\"{UID}\"  namespace:\"kube-system\" returns sandbox id \"{SB}\"""#
        ),
        format!(
            r#"time="2025-12-30T21:46:28.816090876Z" level=info msg="CreateContainer within sandbox \"{SB}\" for container name:\"kube-proxy\"""#
        ),
        format!(
            r#"time="2025-12-30T21:46:28.901000000Z" level=info msg="CreateContainer within sandbox \"{SB}\" for name:\"kube-proxy\" returns container id \"{c}\"""#
        ),
        format!(
            r#"time="2025-12-30T21:46:28.902000000Z" level=info msg="StartContainer for \"{c}\"""#
        ),
        format!(
            r#"time="2025-12-30T21:46:29.002000000Z" level=info msg="StartContainer for \"{c}\" returns successfully""#
        ),
        format!(
            r#"time="2025-12-30T21:47:00.000000000Z" level=info msg="CreateContainer within sandbox \"{SB}\" for name:\"kube-proxy\"  attempt:1 returns container id \"{}\"""#,
            "d".repeat(64)
        ),
    ];
    let d = bundle(&[("containerd.log", &(lines.join("\n") + "\n"))]);
    let a = analyze(&path(&d));
    let p = pod(&a, "kube-system", "kube-proxy-node1");
    assert_eq!(phase(p, "sandbox"), 143_397_606);
    assert_eq!(t(p, "running"), "2025-12-30T21:46:29.002000000Z");
    let k = &p.containers[0];
    assert_eq!((k.name.as_str(), k.restarts), ("kube-proxy", 1));
    assert_eq!(k.phases[&Phase::Create], 84_909_124);
    assert_eq!(a.totals[&Component::Containerd].recognised, 7);
}

/// The same two lines (kubelet sees the pod at 10:15:32.250000 UTC; containerd starts the sandbox
/// at 10:15:32.500000000 UTC) under every journald/syslog prefix, with the node in UTC+02:00.
#[test]
fn every_journal_variant() {
    let k = "I0329 12:15:32.250000    1234 kubelet.go:2407] \"SyncLoop ADD\" source=\"api\" pods=[\"default/web\"]";
    let c = format!(
        r#"time="2024-03-29T12:15:32.500000000+02:00" level=info msg="RunPodSandbox for &PodSandboxMetadata{{Name:web,Uid:{UID},Namespace:default,Attempt:0,}}""#
    );
    let prefixes = [
        ("short", "Mar 29 12:15:32"),
        ("short-precise", "Mar 29 12:15:32.250100"),
        ("short-iso", "2024-03-29T12:15:32+0200"),
        ("short-iso-precise", "2024-03-29T12:15:32.250100+0200"),
        ("rsyslog-rfc3339", "2024-03-29T12:15:32.250100+02:00"),
    ];
    for (name, p) in prefixes {
        let text = format!("{p} host1 kubelet[1234]: {k}\n{p} host1 containerd[99]: {c}\n");
        let d = bundle(&[("syslog", &text)]);
        let a = analyze(&path(&d));
        let pd = pod(&a, "default", "web");
        assert_eq!(
            t(pd, "kubelet_seen"),
            "2024-03-29T10:15:32.250000000Z",
            "{name}"
        );
        assert_eq!(phase(pd, "kubelet_prep"), 250_000_000, "{name}");
        assert_eq!(
            ms(pd, "kubelet_seen").host.as_deref(),
            Some("host1"),
            "{name}"
        );
        assert_eq!(a.warning_count, 0, "{name}: {:?}", a.warnings);
    }
    // rsyslog traditional: space-padded day.
    let k8 = k.replace("I0329", "I0308");
    let c8 = c.replace("2024-03-29", "2024-03-08");
    let text = format!(
        "Mar  8 12:15:32 host1 kubelet[1234]: {k8}\nMar  8 12:15:32 host1 containerd[99]: {c8}\n"
    );
    let d = bundle(&[("syslog", &text)]);
    let a = analyze(&path(&d));
    assert_eq!(
        t(pod(&a, "default", "web"), "kubelet_seen"),
        "2024-03-08T10:15:32.250000000Z"
    );
}

#[test]
fn cri_partial_lines_are_joined() {
    let line = r#"I0318 10:21:19.142499       1 schedule_one.go:314] "Successfully bound pod to node" pod="ns1/p1" node="kind-worker" evaluatedNodes=3 feasibleNodes=1"#;
    let (a1, rest) = line.split_at(40);
    let (a2, a3) = rest.split_at(50);
    let text = format!(
        "2025-03-18T10:21:19.143418583Z stderr P {a1}\n2025-03-18T10:21:19.143418583Z stdout F unrelated stdout line\n2025-03-18T10:21:19.143418583Z stderr P {a2}\n2025-03-18T10:21:19.1434186Z stderr F {a3}\n"
    );
    let d = bundle(&[(
        "kind-control-plane/containers/kube-scheduler-x_kube-system_kube-scheduler-1.log",
        &text,
    )]);
    let a = analyze(&path(&d));
    let p = pod(&a, "ns1", "p1");
    assert_eq!(t(p, "scheduled"), "2025-03-18T10:21:19.142499000Z");
    assert_eq!(
        evidence_line(ms(p, "scheduled")).1,
        1,
        "evidence is the first fragment"
    );
    assert_eq!(p.node.as_deref(), Some("kind-worker"));
    assert_eq!(
        ms(p, "scheduled").host.as_deref(),
        Some("kind-control-plane")
    );
    assert_eq!(a.warning_count, 0);

    // A P fragment never completed (truncated file) is reported.
    let d = bundle(&[(
        "x.log",
        &format!("2025-03-18T10:21:19Z stderr F {line}\n2025-03-18T10:21:20Z stderr P {a1}\n"),
    )]);
    let a = analyze(&path(&d));
    assert_eq!(a.warning_count, 1);
    assert!(
        a.warnings[0]
            .to_string()
            .contains("x.log:2: CRI partial record never completed"),
        "{:?}",
        a.warnings
    );
}

// One argument per audit field the tests vary; a builder would hide the line being built.
#[allow(clippy::too_many_arguments)]
fn audit_line(
    level: &str,
    verb: &str,
    sub: Option<&str>,
    name: Option<&str>,
    uid: Option<&str>,
    rrt: &str,
    st: &str,
    extra: &str,
) -> String {
    let mut oref = String::from(r#""resource":"pods","namespace":"default""#);
    if let Some(n) = name {
        oref += &format!(r#","name":"{n}""#);
    }
    if let Some(u) = uid {
        oref += &format!(r#","uid":"{u}""#);
    }
    if let Some(s) = sub {
        oref += &format!(r#","subresource":"{s}""#);
    }
    let code = if verb == "create" { 201 } else { 200 };
    format!(
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"{level}","auditID":"a-{rrt}","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/pods","verb":"{verb}","user":{{"username":"system:kube-scheduler"}},"objectRef":{{{oref}}},"responseStatus":{{"metadata":{{}},"code":{code}}}{extra},"requestReceivedTimestamp":"{rrt}","stageTimestamp":"{st}"}}"#
    )
}

#[test]
fn audit_with_and_without_response_object() {
    let lines = [
        // Metadata level: no bodies, but the name is in objectRef (a named pod).
        audit_line(
            "Metadata",
            "create",
            None,
            Some("web"),
            None,
            "2024-05-01T08:00:00.100000Z",
            "2024-05-01T08:00:00.120000Z",
            "",
        ),
        // The binding carries the UID, which links the create to the kubelet side.
        audit_line(
            "Metadata",
            "create",
            Some("binding"),
            Some("web"),
            Some(UID),
            "2024-05-01T08:00:00.130000Z",
            "2024-05-01T08:00:00.135000Z",
            "",
        ),
        // RequestResponse: generateName pod, name and UID only in responseObject.
        audit_line(
            "RequestResponse",
            "create",
            None,
            None,
            None,
            "2024-05-01T08:00:01.000000Z",
            "2024-05-01T08:00:01.010000Z",
            r#","requestObject":{"metadata":{"generateName":"rs-"}},"responseObject":{"metadata":{"name":"rs-abcde","namespace":"default","uid":"11111111-2222-3333-4444-555555555555"}}"#,
        ),
        // Metadata level generateName create: nothing names the pod. Reported, not dropped silently.
        audit_line(
            "Metadata",
            "create",
            None,
            None,
            None,
            "2024-05-01T08:00:02.000000Z",
            "2024-05-01T08:00:02.010000Z",
            "",
        ),
        // A failed create (409) is not a creation.
        audit_line(
            "Metadata",
            "create",
            None,
            Some("dup"),
            None,
            "2024-05-01T08:00:03.000000Z",
            "2024-05-01T08:00:03.010000Z",
            "",
        )
        .replace(r#""code":201"#, r#""code":409"#),
    ];
    let kubelet = format!(
        "May 01 08:00:00 n1 kubelet[1]: I0501 08:00:00.140000       1 kubelet.go:2407] \"SyncLoop ADD\" source=\"api\" pods=[\"default/web\"]\nMay 01 08:00:00 n1 kubelet[1]: I0501 08:00:00.150000       1 kubelet.go:2465] \"SyncLoop (PLEG): event for pod\" pod=\"default/web\" event={{\"ID\":\"{UID}\",\"Type\":\"ContainerStarted\",\"Data\":\"{SB}\"}}\n"
    );
    let d = bundle(&[
        ("audit.log", &(lines.join("\n") + "\n")),
        ("n1/kubelet.log", &kubelet),
    ]);
    let a = analyze(&path(&d));
    let web = pod(&a, "default", "web");
    assert_eq!(web.uid.as_deref(), Some(UID));
    assert_eq!(phase(web, "api_create"), 20_000_000);
    assert_eq!(phase(web, "scheduling"), 15_000_000);
    assert_eq!(phase(web, "kubelet_watch"), 5_000_000);
    // No binding target in a Metadata-level audit: the node comes from the kubelet's host.
    assert_eq!(web.node.as_deref(), Some("n1"));
    let rs = pod(&a, "default", "rs-abcde");
    assert_eq!(
        rs.uid.as_deref(),
        Some("11111111-2222-3333-4444-555555555555")
    );
    assert_eq!(phase(rs, "api_create"), 10_000_000);
    let au = a.totals[&Component::Audit];
    assert_eq!(
        (au.lines, au.recognised, au.ignored, au.unparsed),
        (5, 3, 1, 1)
    );
    assert!(
        a.warnings.iter().any(|w| w
            .to_string()
            .contains("audit.log:4: pod create without a name")),
        "{:?}",
        a.warnings
    );
}

#[test]
fn year_rolls_over_inside_one_file() {
    let text = "Dec 31 23:59:59 n1 kubelet[1]: I1231 23:59:59.900000       1 kubelet.go:2407] \"SyncLoop ADD\" source=\"api\" pods=[\"default/ny\"]\n\
                Jan 01 00:00:00 n1 kubelet[1]: I0101 00:00:00.100000       1 util.go:30] \"No sandbox for pod can be found. Need to start a new one\" pod=\"default/ny\"\n\
                Jan 01 00:00:00 n1 containerd[2]: time=\"2025-01-01T00:00:00.300000000Z\" level=info msg=\"RunPodSandbox for &PodSandboxMetadata{Name:ny,Uid:a,Namespace:default,Attempt:0,}\"\n";
    let d = bundle(&[("n1/journal.log", text)]);
    let a = analyze(&path(&d));
    let p = pod(&a, "default", "ny");
    assert_eq!(t(p, "kubelet_seen"), "2024-12-31T23:59:59.900000000Z");
    assert_eq!(phase(p, "kubelet_prep"), 400_000_000);
    assert!(
        a.clocks.years.is_empty(),
        "the year came from the file itself"
    );
}

#[test]
fn year_from_another_file_and_from_the_flag() {
    let kubelet = "Jun 03 11:00:00 n1 kubelet[1]: I0603 11:00:00.000000       1 kubelet.go:2407] \"SyncLoop ADD\" source=\"api\" pods=[\"default/p\"]\n";
    let containerd = "Jun 03 11:00:01 n1 containerd[2]: time=\"2022-06-03T11:00:01.000000000Z\" level=info msg=\"RunPodSandbox for &PodSandboxMetadata{Name:p,Uid:u1,Namespace:default,Attempt:0,}\"\n";
    let d = bundle(&[
        ("n1/kubelet.log", kubelet),
        ("n1/containerd.log", containerd),
    ]);
    let a = analyze(&path(&d));
    assert_eq!(
        t(pod(&a, "default", "p"), "kubelet_seen"),
        "2022-06-03T11:00:00.000000000Z"
    );
    assert_eq!(a.clocks.years.len(), 1);
    assert_eq!(
        a.clocks.years[0].basis,
        "another file of the same host carries a year"
    );

    // Alone, the kubelet file has no year: the fallback is used and said so; --year overrides.
    let d = bundle(&[("n1/kubelet.log", kubelet)]);
    let a = analyze(&path(&d));
    assert_eq!(
        t(pod(&a, "default", "p"), "kubelet_seen"),
        "2000-06-03T11:00:00.000000000Z"
    );
    assert!(
        a.clocks.years[0]
            .basis
            .contains("assumed 2000 (pass --year)")
    );
    let mut o = opts();
    o.clock.year = Some(2019);
    let a = analyze_with(&path(&d), &o);
    assert_eq!(
        t(pod(&a, "default", "p"), "kubelet_seen"),
        "2019-06-03T11:00:00.000000000Z"
    );
}

#[test]
fn offsets_from_cri_stamps_and_the_timezone_flag() {
    // A scheduler in UTC+05:30: CRI stamps carry the zone, klog headers do not.
    let text = "2024-07-01T15:30:00.000100+05:30 stderr F I0701 15:30:00.000050       1 schedule_one.go:83] \"Attempting to schedule pod\" pod=\"default/z\"\n\
                2024-07-01T15:30:00.020100+05:30 stderr F I0701 15:30:00.020050       1 schedule_one.go:314] \"Successfully bound pod to node\" pod=\"default/z\" node=\"n1\" evaluatedNodes=1 feasibleNodes=1\n";
    let d = bundle(&[("kube-scheduler.log", text)]);
    let a = analyze(&path(&d));
    let p = pod(&a, "default", "z");
    assert_eq!(t(p, "schedule_attempted"), "2024-07-01T10:00:00.000050000Z");
    let c = &a.clocks.clocks[0];
    assert_eq!(
        (c.component, c.offset_secs, c.lines),
        (Component::Scheduler, 19_800, 2)
    );

    // --timezone overrides what the lines say.
    let mut o = opts();
    o.clock.timezone = Some(3600);
    let a = analyze_with(&path(&d), &o);
    assert_eq!(
        t(pod(&a, "default", "z"), "schedule_attempted"),
        "2024-07-01T14:30:00.000050000Z"
    );

    // A kubelet journal with no zoned stamp at all: UTC is assumed, and said.
    let d = bundle(&[(
        "n9/kubelet.log",
        "Jul 01 15:30:00 n9 kubelet[1]: I0701 15:30:00.000000       1 kubelet.go:2407] \"SyncLoop ADD\" source=\"api\" pods=[\"default/q\"]\n",
    )]);
    let a = analyze(&path(&d));
    assert!(
        a.clocks
            .clocks
            .iter()
            .any(|c| c.basis.contains("assumed UTC"))
    );
}

#[test]
fn inputs_that_are_not_logs() {
    let d = bundle(&[
        (
            "manifest.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n",
        ),
        ("empty.log", ""),
    ]);
    std::fs::write(d.path().join("binary.bin"), [0u8, 159, 146, 150, 0, 1, 2]).unwrap();
    // Invalid UTF-8 inside an otherwise fine kubelet line, a huge line, CRLF endings.
    let mut bad = b"Nov 29 18:33:25 n kubelet[1]: I1129 18:33:25.449865       1 kubelet.go:2433] \"SyncLoop ADD\" source=\"api\" pods=[\"default/u\xff\"]\r\n".to_vec();
    bad.extend(vec![b'x'; 20_000_000]);
    bad.extend_from_slice(b"\nNov 29 18:33:26 n kubelet[1]: I1129 18:33:26.000000       1 util.go:30] \"No sandbox for pod can be found. Need to start a new one\" pod=\"default/v\"\r\n");
    std::fs::write(
        d.path()
            .join("n/kubelet.log")
            .parent()
            .map(|p| {
                std::fs::create_dir_all(p).unwrap();
                p.join("kubelet.log")
            })
            .unwrap(),
        &bad,
    )
    .unwrap();
    let a = analyze(&path(&d));
    let why = |name: &str| {
        a.files
            .iter()
            .find(|f| f.path.ends_with(name))
            .and_then(|f| f.skipped.clone())
    };
    assert_eq!(
        why("binary.bin").as_deref(),
        Some("binary content (NUL bytes)")
    );
    assert_eq!(
        why("manifest.yaml").as_deref(),
        Some("no log lines among the first lines (not a log file?)")
    );
    assert_eq!(why("empty.log"), None);
    assert_eq!(a.pods.len(), 2);
    assert!(a.pods.iter().any(|p| p.name == "u\u{fffd}"));
    assert!(
        a.warnings
            .iter()
            .any(|w| w.to_string().contains("kubelet.log:2: line longer than")),
        "{:?}",
        a.warnings
    );
    // Typed for programs: the place and the kind, not only the text.
    let w = a
        .warnings
        .iter()
        .find(|w| w.file.ends_with("kubelet.log"))
        .unwrap();
    assert_eq!(w.line, 2);
    assert!(matches!(
        w.kind,
        podtrace::input::WarningKind::LineTooLong { .. }
    ));
}

#[test]
fn gzip_and_truncated_gzip() {
    let text = std::fs::read(real(
        "aks-containerd1.7/node-aks-nodepool1_pod-default-multiple.journal.log",
    ))
    .unwrap();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&text).unwrap();
    let gz = enc.finish().unwrap();
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("journal.log.gz"), &gz).unwrap();
    let a = analyze(&path(&d));
    assert_eq!(
        phase(pod(&a, "default", "multiple"), "kubelet_prep"),
        325_704_203
    );

    std::fs::write(d.path().join("journal.log.gz"), &gz[..gz.len() / 2]).unwrap();
    let a = analyze(&path(&d));
    let f = &a.files[0];
    assert!(f.error.is_some(), "a truncated member is reported");
    assert!(
        a.totals.values().map(|c| c.lines).sum::<u64>() > 0,
        "what was read is kept"
    );
}

#[test]
fn observed_startup_newest_key_set() {
    // ≈1.34+: totalImagesPullingTime / totalInitContainerRuntime / isStatefulPod, no
    // first/lastPulling (pkg/kubelet/util/pod_startup_latency_tracker.go).
    let line = "Oct 02 09:00:10 n1 kubelet[7]: I1002 09:00:10.500100       7 pod_startup_latency_tracker.go:126] \"Observed pod startup duration\" pod=\"default/new\" podStartSLOduration=4.25 podStartE2EDuration=\"10.5s\" totalImagesPullingTime=\"5.75s\" totalInitContainerRuntime=\"500ms\" isStatefulPod=false podCreationTimestamp=\"2025-10-02 09:00:00 +0000 UTC\" imagePullSessionsCount=1 imagePullSessionsStartsCount=1 observedRunningTime=\"2025-10-02 09:00:10.4 +0000 UTC m=+100.1\" watchObservedRunningTime=\"2025-10-02 09:00:10.5 +0000 UTC m=+100.2\"\n";
    let d = bundle(&[("n1/kubelet.log", line)]);
    let a = analyze(&path(&d));
    let p = pod(&a, "default", "new");
    assert_eq!(phase(p, "startup_e2e"), 10_500_000_000);
    assert_eq!(phase(p, "startup_sli"), 4_250_000_000);
    assert_eq!(t(p, "created"), "2025-10-02T09:00:00.000000000Z");
    assert_eq!(t(p, "running"), "2025-10-02T09:00:10.400000000Z");
    assert!(ms(p, "running").derived.is_some());
    assert_eq!(p.kubelet.as_ref().unwrap().e2e_difference_nanos, Some(0));
}
