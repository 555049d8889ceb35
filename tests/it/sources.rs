//! The sources added for bundles (issue 3): real samples where they exist, lines built exactly
//! per docs/formats.md where they do not.

use podtrace::event::{Component, EventKind};

use crate::util::*;
use podtrace::timeline::{Ms, Phase};

#[test]
fn crio_node_density_real() {
    let a = analyze(&[real("crio/TRIMMED_openshift-node-density.journal.log")]);
    let p = pod(&a, "node-density-0", "node-density-956");
    assert_eq!(t(p, "sandbox_started"), "2026-05-27T16:02:27.950581297Z");
    assert_eq!(ms(p, "sandbox_started").source, Component::Crio);
    // "Adding pod … to CNI network" (CRI-O's own line) begins the network setup.
    assert_eq!(t(p, "network_started"), "2026-05-27T16:02:29.013490793Z");
    // RFC3339Nano with trailing zeros trimmed: .769588511 and .43583158.
    assert_eq!(t(p, "sandbox_ready"), "2026-05-27T16:02:31.769588511Z");
    assert_eq!(phase(p, "sandbox"), 3_819_007_214);
    let c = &p.containers[0];
    assert_eq!(c.name, "node-density");
    assert_eq!(
        c.id.as_deref(),
        Some("75ef25174d7d464246c9cb27d850db42604394b920e6f66b56a94ab3d9c5c983")
    );
    assert_eq!(c.phases[&Phase::Create], 1_578_394_425);
    assert_eq!(c.phases[&Phase::Start], 255_455_144);
    assert_eq!(t(p, "running"), "2026-05-27T16:02:35.269681149Z");
    assert_eq!(a.totals[&Component::Crio].recognised, 6);
}

#[test]
fn crio_pulls_with_a_space_in_the_time_and_truncated_lines() {
    // `time="2025-02-24 08:58:42.934122405+09:00"`: a space, not a T, and a +09:00 zone.
    let a = analyze(&[real("crio/pulled-image.journal.log")]);
    assert_eq!(a.totals[&Component::Crio].recognised, 3);
    let j = a
        .clocks
        .clocks
        .iter()
        .find(|c| c.host.as_deref() == Some("cp-dev-cluster1"))
        .unwrap();
    assert_eq!(j.offset_secs, 9 * 3600);
    // systemctl cut these lines at the terminal width: every cut record is reported.
    let a = analyze(&[real("crio/TRUNCATED_systemctl-status.log")]);
    let c = a.totals[&Component::Crio];
    // (the cut lines whose message podtrace does not read are skipped by the prefilter)
    assert_eq!((c.lines, c.unparsed), (14, 8));
    assert!(
        a.warnings.iter().any(|w| w
            .to_string()
            .contains("TRUNCATED_systemctl-status.log:3: logrus record cut short")),
        "{:?}",
        a.warnings
    );
}

#[test]
fn cilium_logrus_and_slog_real() {
    let a = analyze(&[real("cilium")]);
    let p = pod(&a, "default", "server");
    assert_eq!(
        p.uid.as_deref(),
        Some("127bf793-da88-4132-ae63-94ffaeafc8f2")
    );
    assert_eq!(t(p, "network_started"), "2025-09-16T15:16:09.221863342Z");
    assert_eq!(p.pod_ip.as_deref(), Some("10.244.1.119"));
    let p = pod(&a, "default", "pod1");
    // Cilium ≤1.16 logrus writes whole seconds.
    assert_eq!(
        (
            t(p, "network_started").as_str(),
            ms(p, "network_started").precision.as_str()
        ),
        ("2026-01-20T05:30:46.000000000Z", "s")
    );
}

#[test]
fn cilium_successful_endpoint_creation() {
    let sb = "21bb37c412396104f779527a646203c350845bad8d15de647a649ee997f408ce";
    let text = format!(
        "time=2025-09-16T15:16:09.221863342Z level=info msg=\"Create endpoint request\" containerID={sb} k8sPodName=default/server k8sUID=127b\n\
         time=2025-09-16T15:16:09.514000000Z level=info msg=\"Successful endpoint creation\" containerID={sb} endpointID=681 ipv4=10.244.1.119 k8sPodName=default/server subsys=daemon\n"
    );
    let d = bundle(&[(
        "kind-worker/containers/cilium-x_kube-system_cilium-agent-1.log",
        &text
            .lines()
            .map(|l| format!("2025-09-16T15:16:10Z stdout F {l}\n"))
            .collect::<String>(),
    )]);
    let a = analyze(&path(&d));
    let p = pod(&a, "default", "server");
    assert_eq!(phase(p, "network"), 292_136_658);
    assert_eq!(ms(p, "network_ready").host.as_deref(), Some("kind-worker"));
}

#[test]
fn aws_vpc_cni_plugin_log() {
    let sb = "5b3c7e9a1f2d4c6b8a0e9d7c5b3a1f2e4d6c8b0a9e7d5c3b1a2f4e6d8c0b9a7e";
    let text = format!(
        r#"{{"level":"info","ts":"2024-10-30T21:31:30.508Z","caller":"routed-eni-cni-plugin/cni.go:125","msg":"Received CNI add request: ContainerID({sb}) Netns(/var/run/netns/cni-1) IfName(eth0) Args(K8S_POD_INFRA_CONTAINER_ID={sb};K8S_POD_UID=0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b;IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-7d4b9c6f5-x2kqz) Path(/opt/cni/bin) argsStdinData({{\"cniVersion\":\"0.4.0\"}})"}}
{{"level":"debug","ts":"2024-10-30T21:31:30.509Z","caller":"routed-eni-cni-plugin/cni.go:200","msg":"MTU value set is 9001:"}}
{{"level":"info","ts":"2024-10-30T21:31:30.561Z","caller":"routed-eni-cni-plugin/cni.go:286","msg":"Received add network response from ipamd for container {sb} interface eth0: &{{Success:true IPAllocationMetadata:[IPv4Addr:\"192.168.5.1\" DeviceNumber:0 RouteTableId:254]}}"}}
"#
    );
    let d = bundle(&[("ip-192-168-1-10/aws-routed-eni/plugin.log", &text)]);
    let a = analyze(&path(&d));
    let p = pod(&a, "default", "web-7d4b9c6f5-x2kqz");
    assert_eq!(
        p.uid.as_deref(),
        Some("0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b")
    );
    assert_eq!(phase(p, "network"), 53_000_000);
    assert_eq!(p.pod_ip.as_deref(), Some("192.168.5.1"));
    let c = a.totals[&Component::Cni];
    assert_eq!((c.lines, c.recognised, c.ignored), (3, 2, 1));
}

#[test]
fn kube_proxy_and_ingress_nginx_real() {
    let a = analyze(&[real("kube-proxy/iptables-sync.klog.log")]);
    assert_eq!(a.totals[&Component::KubeProxy].recognised, 3);
    let a = analyze(&[real("ingress-nginx")]);
    assert_eq!(a.totals[&Component::IngressNginx].recognised, 3);
}

/// Events with their kinds, read straight from a run.
fn events_of(paths: &[std::path::PathBuf]) -> Vec<EventKind> {
    let (files, _) = podtrace::input::discover(paths);
    let reports = podtrace::input::read_all(&files, &Default::default());
    reports
        .into_iter()
        .flat_map(|r| r.events)
        .map(|e| e.kind)
        .collect()
}

#[test]
fn kube_proxy_modes_and_network_programming() {
    let text = "I1001 20:11:26.077800       1 proxier.go:805] \"Syncing nftables rules\" ipFamily=\"IPv4\"\n\
                I1001 20:11:26.099209       1 proxier.go:822] \"SyncProxyRules complete\" ipFamily=\"IPv4\" elapsed=\"21.4ms\"\n\
                I1001 20:11:26.099300       1 proxier.go:1550] \"Network programming\" endpoint=\"default/my-service\" elapsed=1.099209\n\
                I1001 20:11:27.000000       1 proxier.go:1040] \"syncProxyRules complete\" elapsed=\"5.2ms\"\n";
    let d = bundle(&[(
        "n1/containers/kube-proxy-a_kube-system_kube-proxy-1.log",
        &text
            .lines()
            .map(|l| format!("2025-10-01T20:11:27Z stderr F {l}\n"))
            .collect::<String>(),
    )]);
    let kinds = events_of(&path(&d));
    assert_eq!(
        kinds,
        vec![
            EventKind::ProxySync {
                done: false,
                mode: "nftables",
                elapsed_nanos: None
            },
            EventKind::ProxySync {
                done: true,
                mode: "",
                elapsed_nanos: Some(21_400_000)
            },
            EventKind::NetworkProgramming {
                service: "default/my-service".into(),
                elapsed_nanos: Some(1_099_209_000)
            },
            EventKind::ProxySync {
                done: true,
                mode: "ipvs",
                elapsed_nanos: Some(5_200_000)
            },
        ]
    );
}

#[test]
fn klog_json_format_kubelet_and_scheduler() {
    let uid = "ecf6beca-4e57-4562-8f89-b6e72312b3fd";
    let sched = r#"{"ts":1732875205133.417,"caller":"scheduler/schedule_one.go:83","msg":"Attempting to schedule pod","v":3,"pod":{"name":"j","namespace":"default"}}
{"ts":1732875205144.6912,"caller":"scheduler/schedule_one.go:314","msg":"Successfully bound pod to node","v":2,"pod":{"name":"j","namespace":"default"},"node":"n1","evaluatedNodes":2,"feasibleNodes":1}
"#;
    let kubelet = format!(
        r#"{{"ts":1732875205146.214,"caller":"kubelet/kubelet.go:2407","msg":"SyncLoop ADD","v":2,"source":"api","pods":[{{"name":"j","namespace":"default"}}]}}
{{"ts":1732875205912.376,"caller":"kubelet/kubelet.go:2439","msg":"SyncLoop (PLEG): event for pod","v":2,"pod":{{"name":"j","namespace":"default"}},"event":{{"ID":"{uid}","Type":"ContainerStarted","Data":"abc"}}}}
{{"ts":1732875205900.1,"caller":"kuberuntime/kuberuntime_manager.go:1200","msg":"CreatePodSandbox for pod failed","pod":{{"name":"j","namespace":"default"}},"err":"rpc error: failed to setup network"}}
"#
    );
    let d = bundle(&[
        (
            "cp/containers/kube-scheduler-cp_kube-system_kube-scheduler-1.log",
            &sched
                .lines()
                .map(|l| format!("2024-11-29T10:13:25.2Z stderr F {l}\n"))
                .collect::<String>(),
        ),
        ("n1/kubelet.log", &kubelet),
    ]);
    let a = analyze(&path(&d));
    let p = pod(&a, "default", "j");
    assert_eq!(p.uid.as_deref(), Some(uid));
    assert_eq!(t(p, "schedule_attempted"), "2024-11-29T10:13:25.133417000Z");
    assert_eq!(t(p, "scheduled"), "2024-11-29T10:13:25.144691200Z");
    assert_eq!(t(p, "kubelet_seen"), "2024-11-29T10:13:25.146214000Z");
    assert_eq!(t(p, "sandbox_ready"), "2024-11-29T10:13:25.912376000Z");
    assert_eq!(a.warning_count, 0, "{:?}", a.warnings);
}

#[test]
fn events_give_fallbacks_and_failures() {
    let uid = "11111111-2222-3333-4444-555555555555";
    // The kubelet's V3 "Event occurred" lines, as client-go's structured event logging writes them.
    let ev = |t: &str, typ: &str, reason: &str, msg: &str| {
        format!(
            "Mar 05 08:20:{t} w kubelet[9]: I0305 08:20:{t}.000000       9 event.go:389] \"Event occurred\" object=\"default/e\" fieldPath=\"spec.containers{{app}}\" kind=\"Pod\" apiVersion=\"v1\" type=\"{typ}\" reason=\"{reason}\" message=\"{msg}\"\n"
        )
    };
    let mut kubelet = String::new();
    kubelet += &format!(
        "Mar 05 08:20:40 w kubelet[9]: I0305 08:20:40.000000       9 kubelet.go:2407] \"SyncLoop ADD\" source=\"api\" pods=[\"default/e\"]\nMar 05 08:20:40 w kubelet[9]: I0305 08:20:40.100000       9 kubelet.go:2465] \"SyncLoop (PLEG): event for pod\" pod=\"default/e\" event={{\"ID\":\"{uid}\",\"Type\":\"ContainerStarted\",\"Data\":\"sb\"}}\n"
    );
    kubelet += &ev(
        "41",
        "Normal",
        "Pulling",
        "Pulling image \\\"nginx:1.27\\\"",
    );
    kubelet += &ev(
        "45",
        "Normal",
        "Pulled",
        "Successfully pulled image \\\"nginx:1.27\\\" in 3.9s (3.9s including waiting). Image size: 72985284 bytes.",
    );
    kubelet += &ev("46", "Normal", "Created", "Created container: app");
    kubelet += &ev("47", "Normal", "Started", "Started container app");
    kubelet += &ev(
        "50",
        "Warning",
        "Unhealthy",
        "Readiness probe failed: connection refused",
    );
    let d = bundle(&[
        ("w/kubelet.log", &kubelet),
        (
            "w/containerd.log",
            "Mar 05 08:20:40 w containerd[1]: time=\"2025-03-05T08:20:40.050000000Z\" level=info msg=\"RunPodSandbox for &PodSandboxMetadata{Name:e,Uid:11111111-2222-3333-4444-555555555555,Namespace:default,Attempt:0,}\"\n",
        ),
    ]);
    let a = analyze(&path(&d));
    let p = pod(&a, "default", "e");
    let c = &p.containers[0];
    assert_eq!(
        (c.name.as_str(), c.image.as_deref(), c.image_size_bytes),
        ("app", Some("nginx:1.27"), Some(72_985_284))
    );
    assert_eq!(c.phases[&Phase::ImagePull], 4_000_000_000);
    assert_eq!(
        c.milestones[&Ms::ContainerStarted].derived.as_deref(),
        Some("Started Event")
    );
    assert_eq!(t(p, "running"), "2025-03-05T08:20:47.000000000Z");
    assert!(
        p.failures.iter().any(|f| f
            .to_string()
            .starts_with("Unhealthy: Readiness probe failed")),
        "{:?}",
        p.failures
    );
    // Lines are counted under their writer (the kubelet); the milestones name "events" as source.
    assert_eq!(a.totals[&Component::Kubelet].recognised, 7);
    assert_eq!(c.milestones[&Ms::PullStarted].source, Component::Events);
}

#[test]
fn audit_events_and_legacy_endpoints() {
    let uid = "a2ad81ba-d85f-11e8-88b6-080027728ac4";
    let lines = [
        format!(
            r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"e1","stage":"ResponseComplete","verb":"create","user":{{"username":"system:kube-scheduler"}},"objectRef":{{"resource":"events","namespace":"default","apiGroup":"events.k8s.io"}},"responseStatus":{{"code":201}},"requestObject":{{"regarding":{{"kind":"Pod","namespace":"default","name":"w","uid":"{uid}"}},"reason":"Scheduled","note":"Successfully assigned default/w to n1","type":"Normal"}},"requestReceivedTimestamp":"2024-05-01T08:00:00.200000Z","stageTimestamp":"2024-05-01T08:00:00.210000Z"}}"#
        ),
        format!(
            r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"e2","stage":"ResponseComplete","verb":"update","user":{{"username":"system:kube-controller-manager"}},"objectRef":{{"resource":"endpoints","namespace":"default","name":"svc"}},"responseStatus":{{"code":200}},"requestObject":{{"metadata":{{"name":"svc","namespace":"default","annotations":{{"endpoints.kubernetes.io/last-change-trigger-time":"2024-05-01T08:00:05Z"}}}},"subsets":[{{"addresses":[{{"ip":"10.0.0.9","nodeName":"n1","targetRef":{{"kind":"Pod","namespace":"default","name":"w","uid":"{uid}"}}}}],"ports":[{{"port":80}}]}}]}},"requestReceivedTimestamp":"2024-05-01T08:00:05.300000Z","stageTimestamp":"2024-05-01T08:00:05.310000Z"}}"#
        ),
    ];
    let d = bundle(&[("audit.log", &(lines.join("\n") + "\n"))]);
    let a = analyze(&path(&d));
    let p = pod(&a, "default", "w");
    assert_eq!(t(p, "scheduled"), "2024-05-01T08:00:00.210000000Z");
    assert_eq!(
        ms(p, "scheduled").derived.as_deref(),
        Some("Scheduled Event")
    );
    assert_eq!(t(p, "endpoints_updated"), "2024-05-01T08:00:05.310000000Z");
    assert!(
        ms(p, "endpoints_updated")
            .derived
            .as_deref()
            .unwrap()
            .contains("legacy Endpoints")
    );
    assert_eq!(p.services, ["default/svc"]);
}

#[test]
fn unschedulable_from_the_schedulers_status_patch() {
    let line = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"u1","stage":"ResponseComplete","verb":"patch","user":{"username":"system:kube-scheduler"},"objectRef":{"resource":"pods","namespace":"default","name":"big","apiVersion":"v1","subresource":"status"},"responseStatus":{"code":200},"requestObject":{"status":{"conditions":[{"lastProbeTime":null,"lastTransitionTime":"2025-03-29T10:15:32Z","message":"0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.","reason":"Unschedulable","status":"False","type":"PodScheduled"}]}},"requestReceivedTimestamp":"2025-03-29T10:15:32.000100Z","stageTimestamp":"2025-03-29T10:15:32.004200Z"}"#;
    let d = bundle(&[("audit.log", &format!("{line}\n"))]);
    let a = analyze(&path(&d));
    let p = pod(&a, "default", "big");
    assert_eq!(p.failures.len(), 1);
    assert!(
        p.failures[0]
            .to_string()
            .starts_with("unschedulable: 0/3 nodes are available: 3 Insufficient cpu."),
        "{:?}",
        p.failures
    );
    assert!(!p.milestones.contains_key(&Ms::Scheduled));
}

#[test]
fn static_pod_mirror_uid_and_config_hash_are_one_pod() {
    let hash = "a9dc80a0d8f74cefb3be144bbfc1b898";
    let api = "5b1f0c3e-8d2a-4f6b-9c7e-1a2b3c4d5e6f";
    let audit = format!(
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"m1","stage":"ResponseComplete","verb":"create","user":{{"username":"system:node:cp"}},"objectRef":{{"resource":"pods","namespace":"kube-system","name":"etcd-cp","apiVersion":"v1"}},"responseStatus":{{"code":201}},"responseObject":{{"metadata":{{"name":"etcd-cp","namespace":"kube-system","uid":"{api}","annotations":{{"kubernetes.io/config.hash":"{hash}","kubernetes.io/config.mirror":"{hash}"}}}}}},"requestReceivedTimestamp":"2025-01-10T08:00:05.000100Z","stageTimestamp":"2025-01-10T08:00:05.004100Z"}}"#
    );
    let containerd = format!(
        "Jan 10 08:00:01 cp containerd[9]: time=\"2025-01-10T08:00:01.100000000Z\" level=info msg=\"RunPodSandbox for &PodSandboxMetadata{{Name:etcd-cp,Uid:{hash},Namespace:kube-system,Attempt:0,}}\"\n"
    );
    let kubelet = "Jan 10 08:00:01 cp kubelet[7]: I0110 08:00:01.000000       7 kubelet.go:2407] \"SyncLoop ADD\" source=\"file\" pods=[\"kube-system/etcd-cp\"]\n";
    let d = bundle(&[
        ("audit.log", &format!("{audit}\n")),
        ("cp/containerd.log", &containerd),
        ("cp/kubelet.log", kubelet),
    ]);
    let a = analyze(&path(&d));
    assert_eq!(
        a.pods.len(),
        1,
        "{:?}",
        a.pods.iter().map(|p| (&p.name, &p.uid)).collect::<Vec<_>>()
    );
    let p = &a.pods[0];
    assert_eq!(
        (p.uid.as_deref(), p.config_hash.as_deref()),
        (Some(api), Some(hash))
    );
    assert_eq!(t(p, "sandbox_started"), "2025-01-10T08:00:01.100000000Z");
    assert_eq!(t(p, "created"), "2025-01-10T08:00:05.004100000Z");
    // The kubelet read the manifest from a file (source="file"): for a static pod that is where
    // its main path starts (PHASES.md "Static pods"), so it is the primary source, not derived
    // (issue 12 C; it was "derived: SyncLoop ADD from a non-API source" before).
    assert_eq!(ms(p, "kubelet_seen").derived, None);
    assert_eq!(phase(p, "kubelet_prep"), 100_000_000);
    let s = p.static_pod.as_ref().unwrap();
    assert!(!s.heuristic);
    assert!(
        s.basis
            .starts_with("the kubelet read its manifest: \"SyncLoop ADD\" source=\"file\" (")
            && s.basis.ends_with("kubelet.log:1)"),
        "{}",
        s.basis
    );
    // The mirror pod's API write (4 ms after the request, 4 s after the kubelet read the
    // manifest) starts nothing: api_create does not apply, and nothing is called clock skew.
    assert!(!p.phases.contains_key(&Phase::ApiCreate));
    assert_eq!(
        p.not_applicable.keys().copied().collect::<Vec<_>>(),
        [Phase::ApiCreate]
    );
    assert!(p.not_applicable[&Phase::ApiCreate].starts_with(
        "static pod: the kubelet started it from a manifest, not from the API; requested ("
    ));
    assert!(p.findings.is_empty(), "{:?}", p.findings);
}

/// Issue 12 C: a kind/RKE2 static pod whose mirror pod is written after its containers run.
/// Before, `scheduling`, `time_to_ready` and `startup_e2e` were negative with findings blaming
/// "clock skew, timezone or parsing error"; now they do not apply, the pod is marked static (in
/// JSON too), and the second-precision Ready condition 400 ms "before" running is no finding.
#[test]
fn static_pod_from_a_bundle_has_no_negative_phases() {
    let kubelet = "\
Jan 10 08:00:01 cp kubelet[7]: I0110 08:00:01.000000       7 kubelet.go:2407] \"SyncLoop ADD\" source=\"file\" pods=[\"kube-system/kube-apiserver-cp\"]
Jan 10 08:00:03 cp kubelet[7]: I0110 08:00:03.400000       7 pod_startup_latency_tracker.go:104] \"Observed pod startup duration\" pod=\"kube-system/kube-apiserver-cp\" podStartSLOduration=2.4 podStartE2EDuration=\"2.4s\" podCreationTimestamp=\"2025-01-10 08:00:01 +0000 UTC\" firstStartedPulling=\"0001-01-01 00:00:00 +0000 UTC\" lastFinishedPulling=\"0001-01-01 00:00:00 +0000 UTC\" observedRunningTime=\"2025-01-10 08:00:03.4 +0000 UTC\" watchObservedRunningTime=\"2025-01-10 08:00:03.4 +0000 UTC\"
";
    // The mirror pod, as `kubectl get pods -o json` stored it: written at 08:00:09, Ready at
    // 08:00:03 (whole seconds), owned by its Node.
    let pods = r#"{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"kube-apiserver-cp","namespace":"kube-system","uid":"5b1f0c3e-8d2a-4f6b-9c7e-1a2b3c4d5e6f","creationTimestamp":"2025-01-10T08:00:09Z","annotations":{"kubernetes.io/config.source":"file"},"ownerReferences":[{"apiVersion":"v1","kind":"Node","name":"cp","uid":"n1","controller":true}]},"spec":{"nodeName":"cp"},"status":{"conditions":[{"type":"PodScheduled","status":"True","lastTransitionTime":"2025-01-10T08:00:01Z"},{"type":"Ready","status":"True","lastTransitionTime":"2025-01-10T08:00:03Z"}]}}]}"#;
    let d = bundle(&[("cp/kubelet.log", kubelet), ("pods.json", pods)]);
    let a = analyze(&path(&d));
    let p = pod(&a, "kube-system", "kube-apiserver-cp");
    assert!(p.findings.is_empty(), "{:?}", p.findings);
    assert!(p.excluded.is_empty(), "{:?}", p.excluded);
    assert!(p.static_pod.as_ref().is_some_and(|s| !s.heuristic));
    assert!(p.phases.values().all(|d| *d >= 0), "{:?}", p.phases);
    // The Ready condition (s, 08:00:03) holds running (08:00:03.4) within its second, and no
    // readiness probe was logged: ready is running, to the nanosecond, and readiness exactly 0
    // (the coarser condition no longer overrides it: issue 17).
    assert_eq!(phase(p, "readiness"), 0);
    assert!(p.below_precision.is_empty(), "{:?}", p.below_precision);
    assert_eq!(t(p, "ready"), "2025-01-10T08:00:03.400000000Z");
    assert_eq!(
        ms(p, "ready").derived.as_deref(),
        Some(
            "no readiness probe logged: ready when running (the pod object Ready condition, to s, agrees)"
        )
    );
    // Without audit, created is the kubelet's own podCreationTimestamp (a node time): the
    // kubelet's E2E figure is reproduced, and time_to_ready counts from it.
    assert_eq!(phase(p, "startup_e2e"), 2_400_000_000);
    assert_eq!(p.kubelet.as_ref().unwrap().e2e_difference_nanos, Some(0));
    assert_eq!(phase(p, "time_to_ready"), 2_400_000_000);
    // The mirror pod's PodScheduled condition: a static pod is never scheduled.
    assert_eq!(
        p.not_applicable.keys().copied().collect::<Vec<_>>(),
        [Phase::Scheduling, Phase::KubeletWatch]
    );
    assert!(
        p.not_applicable[&Phase::Scheduling]
            .ends_with("pods.json:1) is the mirror pod's API record")
    );
    let json = podtrace::export::json::pod_record(p);
    assert_eq!(json["static"], true);
    assert_eq!(json["phases"]["readiness"], 0.0);
    assert!(json["below_precision"]["readiness"].is_null());
    assert!(json["phases"].get("scheduling").is_none());
    assert!(json["not_applicable"]["scheduling"].is_string());

    // With the audit log, created is the mirror pod's write by the node, 8 s after the kubelet
    // read the manifest: time_to_ready and startup_e2e from it do not apply (they were -6 s
    // and -5.6 s, with clock-skew findings).
    let audit = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"m1","stage":"ResponseComplete","verb":"create","user":{"username":"system:node:cp"},"objectRef":{"resource":"pods","namespace":"kube-system","name":"kube-apiserver-cp","uid":"5b1f0c3e-8d2a-4f6b-9c7e-1a2b3c4d5e6f","apiVersion":"v1"},"responseStatus":{"code":201},"requestReceivedTimestamp":"2025-01-10T08:00:09.000100Z","stageTimestamp":"2025-01-10T08:00:09.004100Z"}"#;
    let d = bundle(&[
        ("cp/kubelet.log", kubelet),
        ("pods.json", pods),
        ("audit.log", &format!("{audit}\n")),
    ]);
    let a = analyze(&path(&d));
    let p = pod(&a, "kube-system", "kube-apiserver-cp");
    assert_eq!(t(p, "created"), "2025-01-10T08:00:09.004100000Z");
    assert!(p.findings.is_empty(), "{:?}", p.findings);
    assert!(p.phases.values().all(|d| *d >= 0), "{:?}", p.phases);
    assert_eq!(
        p.not_applicable.keys().copied().collect::<Vec<_>>(),
        [
            Phase::ApiCreate,
            Phase::Scheduling,
            Phase::KubeletWatch,
            Phase::StartupE2e,
            Phase::TimeToReady,
            Phase::StartupSli,
        ]
    );
    assert!(p.not_applicable[&Phase::TimeToReady].ends_with(
        "is the mirror pod's API record, 8004.100 ms after the kubelet read the manifest"
    ));
    // The kubelet's own figure is still there.
    assert_eq!(p.kubelet.as_ref().unwrap().e2e_nanos, Some(2_400_000_000));

    // The stored mirror pod alone: its annotation says it is static.
    let d = bundle(&[("pods.json", pods)]);
    let a = analyze(&path(&d));
    let p = pod(&a, "kube-system", "kube-apiserver-cp");
    let s = p.static_pod.as_ref().unwrap();
    assert!(!s.heuristic);
    assert!(
        s.basis
            .starts_with("mirror pod: annotation kubernetes.io/config.source: file (")
            && s.basis.ends_with("pods.json:1)"),
        "{}",
        s.basis
    );
}

#[test]
fn ingress_nginx_reconfigures_after_the_slice_write() {
    let demo = repo().join("samples/seed-demo");
    let d = tempfile::tempdir().unwrap();
    for f in files_under(&demo) {
        let to = d.path().join(f.strip_prefix(&demo).unwrap());
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&f, &to).unwrap();
    }
    let ing = "2024-11-29T10:15:05.912Z stderr F I1129 10:15:05.911800       7 controller.go:203] \"Configuration changes detected, backend reload required\"\n\
               2024-11-29T10:15:06.204Z stderr F I1129 10:15:06.203500       7 controller.go:201] Dynamic reconfiguration succeeded.\n";
    let p = d.path().join(
        "kind-worker/containers/ingress-nginx-controller-7d9f_ingress-nginx_controller-1.log",
    );
    std::fs::write(p, ing).unwrap();
    let a = analyze(&path(&d));
    let p = pod(&a, "default", "pod-demo");
    let c = p.consumers.get("ingress-nginx@kind-worker").unwrap();
    assert_eq!(t(p, "endpoints_updated"), "2024-11-29T10:15:05.951396000Z");
    assert_eq!(
        podtrace_parsers::time::format_rfc3339_nanos(c.t),
        "2024-11-29T10:15:06.203500000Z"
    );
    assert!(c.derived.is_some());
}

#[test]
fn csi_node_publish_volume() {
    let uid = "3f1c2b4a-1111-2222-3333-444455556666";
    let csi = format!(
        "I0312 10:00:01.100000       1 utils.go:97] GRPC call: /csi.v1.Node/NodePublishVolume\n\
         I0312 10:00:01.100100       1 utils.go:98] GRPC request: {{\"target_path\":\"/var/lib/kubelet/pods/{uid}/volumes/kubernetes.io~csi/pvc-1/mount\",\"volume_capability\":{{\"AccessType\":{{\"Mount\":{{}}}}}},\"volume_id\":\"vol-1\"}}\n\
         I0312 10:00:01.250000       1 utils.go:105] GRPC response: {{}}\n\
         I0312 10:00:01.300000       1 utils.go:97] GRPC call: /csi.v1.Identity/Probe\n\
         I0312 10:00:01.350000       1 utils.go:97] GRPC call: /csi.v1.Node/NodePublishVolume\n\
         I0312 10:00:01.350100       1 utils.go:98] GRPC request: {{\"target_path\":\"/var/lib/kubelet/pods/{uid}/volumes/kubernetes.io~csi/pvc-2/mount\",\"volume_id\":\"vol-2\"}}\n\
         E0312 10:00:01.450000       1 utils.go:102] GRPC error: rpc error: code = Internal desc = mount failed: exit status 32\n"
    );
    let kubelet = format!(
        "Mar 12 10:00:00 w kubelet[5]: I0312 10:00:00.900000       5 kubelet.go:2407] \"SyncLoop ADD\" source=\"api\" pods=[\"data/db-0\"]\n\
         Mar 12 10:00:02 w kubelet[5]: I0312 10:00:02.000000       5 kubelet.go:2465] \"SyncLoop (PLEG): event for pod\" pod=\"data/db-0\" event={{\"ID\":\"{uid}\",\"Type\":\"ContainerStarted\",\"Data\":\"sb\"}}\n"
    );
    let cri: String = csi
        .lines()
        .map(|l| format!("2025-03-12T10:00:02Z stderr F {l}\n"))
        .collect();
    let d = bundle(&[
        (
            "w/containers/csi-hostpathplugin-0_kube-system_hostpath-9.log",
            &cri,
        ),
        ("w/kubelet.log", &kubelet),
    ]);
    let a = analyze(&path(&d));
    let p = pod(&a, "data", "db-0");
    // The only completed publish (vol-2 failed) is the fallback for volumes_ready.
    assert_eq!(t(p, "volumes_ready"), "2025-03-12T10:00:01.250000000Z");
    assert_eq!(
        ms(p, "volumes_ready").derived.as_deref(),
        Some("CSI node plugin NodePublishVolume completion")
    );
    assert_eq!(p.failures.len(), 1);
    assert!(
        p.failures[0]
            .message
            .starts_with("CSI NodePublishVolume vol-2: rpc error"),
        "{:?}",
        p.failures
    );
}
