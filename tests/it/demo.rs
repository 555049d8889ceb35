//! The bundled demo (samples/seed-demo): every milestone and phase pinned.

use crate::util::*;
use podtrace::timeline::Phase;

#[test]
fn pod_demo_timeline() {
    let a = analyze(&[repo().join("samples/seed-demo")]);
    assert_eq!(a.pods.len(), 1);
    let p = pod(&a, "default", "pod-demo");
    assert_eq!(
        p.uid.as_deref(),
        Some("8d3f6c1e-5b2a-4c7d-9e41-2f6a7b9c0d13")
    );
    assert_eq!(p.node.as_deref(), Some("kind-worker"));
    assert_eq!(p.pod_ip.as_deref(), Some("10.244.162.130"));
    let want = [
        ("requested", "2024-11-29T10:15:00.112345000Z", "audit", "us"),
        ("created", "2024-11-29T10:15:00.131877000Z", "audit", "us"),
        (
            "schedule_attempted",
            "2024-11-29T10:15:00.133417000Z",
            "scheduler",
            "us",
        ),
        ("scheduled", "2024-11-29T10:15:00.144018000Z", "audit", "us"),
        (
            "kubelet_seen",
            "2024-11-29T10:15:00.146214000Z",
            "kubelet",
            "us",
        ),
        (
            "volumes_ready",
            "2024-11-29T10:15:00.259401000Z",
            "kubelet",
            "us",
        ),
        (
            "sandbox_started",
            "2024-11-29T10:15:00.262917455Z",
            "containerd",
            "ns",
        ),
        (
            "network_started",
            "2024-11-29T10:15:00.301000000Z",
            "cni",
            "ms",
        ),
        (
            "network_ready",
            "2024-11-29T10:15:00.388000000Z",
            "cni",
            "ms",
        ),
        (
            "sandbox_ready",
            "2024-11-29T10:15:00.401688190Z",
            "containerd",
            "ns",
        ),
        (
            "running",
            "2024-11-29T10:15:05.041583009Z",
            "containerd",
            "ns",
        ),
        (
            "running_observed",
            "2024-11-29T10:15:05.943981402Z",
            "kubelet",
            "ns",
        ),
        (
            "ready_reported",
            "2024-11-29T10:15:05.941852000Z",
            "audit",
            "us",
        ),
    ];
    for (name, time, source, precision) in want {
        let m = ms(p, name);
        assert_eq!(t(p, name), time, "{name}");
        assert_eq!(m.source.as_str(), source, "{name}");
        assert_eq!(m.precision.as_str(), precision, "{name}");
    }
    assert_eq!(ms(p, "kubelet_seen").host.as_deref(), Some("kind-worker"));
    assert_eq!(
        evidence_line(ms(p, "kubelet_seen")),
        ("kubelet.log".into(), 1)
    );
    assert_eq!(
        evidence_line(ms(p, "scheduled")),
        ("kube-apiserver-audit.log".into(), 4)
    );
    assert!(
        ms(p, "ready").derived.is_some(),
        "no readiness probe: ready is derived from running"
    );
    assert_eq!(p.services, ["default/my-service"]);
    let nodes: Vec<_> = p.programmed.keys().map(|n| &**n).collect();
    assert_eq!(nodes, ["kind-control-plane", "kind-worker"]);
    assert!(p.programmed_missing.is_empty());
    assert_eq!(phase(p, "status_report"), 900_268_991);
    assert_eq!(phase(p, "endpoints"), 9_544_000);
    assert_eq!(phase(p, "programming"), 37_902_000);
    assert_eq!(phase(p, "time_to_serving"), 5_876_953_000);

    assert_eq!(phase(p, "api_create"), 19_532_000);
    assert_eq!(phase(p, "scheduling"), 12_141_000);
    assert_eq!(phase(p, "kubelet_watch"), 2_196_000);
    assert_eq!(phase(p, "kubelet_prep"), 116_703_455);
    assert_eq!(phase(p, "volumes"), 113_187_000);
    assert_eq!(phase(p, "sandbox"), 138_770_735);
    assert_eq!(phase(p, "network"), 87_000_000);
    assert_eq!(phase(p, "containers"), 4_639_894_819);
    assert_eq!(phase(p, "startup_e2e"), 5_812_104_402);
    // SLI = e2e minus the kubelet's own pull window (10:15:00.404927316 → 10:15:04.925120474).
    assert_eq!(phase(p, "startup_sli"), 5_812_104_402 - 4_520_193_158);
    let k = p.kubelet.as_ref().unwrap();
    assert_eq!(k.e2e_nanos, Some(5_943_981_402));
    assert_eq!(k.e2e_difference_nanos, Some(0));
    assert_eq!(k.slo_seconds, Some(1.423788244));

    assert_eq!(p.containers.len(), 1);
    let c = &p.containers[0];
    assert_eq!(c.name, "webserver");
    assert_eq!(c.image.as_deref(), Some("docker.io/library/nginx:latest"));
    assert_eq!(c.image_size_bytes, Some(72_985_284));
    assert_eq!(c.pull_logged_nanos, Some(4_519_364_402));
    assert_eq!(c.phases[&Phase::ImagePull], 4_519_419_032);
    assert_eq!(c.phases[&Phase::Create], 38_241_249);
    assert_eq!(c.phases[&Phase::Start], 75_561_642);
    assert!(p.findings.is_empty(), "{:?}", p.findings);
}

#[test]
fn demo_lines_all_accounted_for() {
    let a = analyze(&[repo().join("samples/seed-demo")]);
    assert_eq!(a.files.len(), 6);
    assert_eq!(a.warning_count, 0, "{:?}", a.warnings);
    let total: u64 = a.totals.values().map(|c| c.lines).sum();
    assert_eq!(total, 9 + 2 + 11 + 18 + 3 + 3);
    for c in a.totals.values() {
        assert_eq!(c.lines, c.recognised + c.ignored + c.unparsed);
    }
    let audit = a.totals[&podtrace::event::Component::Audit];
    // pod create, binding, two status patches, EndpointSlice create and update; Service,
    // Ingress and the RequestReceived stage are read and ignored.
    assert_eq!((audit.recognised, audit.ignored, audit.unparsed), (6, 3, 0));
    let kp = a.totals[&podtrace::event::Component::KubeProxy];
    assert_eq!((kp.lines, kp.recognised, kp.ignored), (6, 4, 2));
}
