//! Real logs from real clusters (samples/real, see PROVENANCE.md): exact values.

use podtrace::event::Component;

use crate::util::*;
use podtrace::timeline::{Ms, Phase};

#[test]
fn aks_multiple_two_hour_embedded_offset() {
    let a = analyze(&[real(
        "aks-containerd1.7/node-aks-nodepool1_pod-default-multiple.journal.log",
    )]);
    assert_eq!(a.pods.len(), 1);
    let p = pod(&a, "default", "multiple");
    assert_eq!(
        p.uid.as_deref(),
        Some("ecf6beca-4e57-4562-8f89-b6e72312b3fd")
    );
    assert_eq!(p.node.as_deref(), Some("aks-nodepool1-23707431-vmss000000"));
    assert_eq!(t(p, "kubelet_seen"), "2024-11-29T18:33:25.449865000Z");
    assert_eq!(t(p, "sandbox_started"), "2024-11-29T18:33:25.775569203Z");
    assert_eq!(t(p, "sandbox_ready"), "2024-11-29T18:33:25.940422419Z");
    assert_eq!(t(p, "running"), "2024-11-29T18:33:27.907950775Z");
    // The kubelet's embedded "+0000 UTC" value, moved +2 h into the line-time frame.
    assert_eq!(t(p, "running_observed"), "2024-11-29T18:34:33.818440372Z");
    assert_eq!(phase(p, "kubelet_prep"), 325_704_203);
    assert_eq!(phase(p, "sandbox"), 164_853_216);
    assert_eq!(phase(p, "containers"), 1_967_528_356);
    assert_eq!(phase(p, "running_watch"), 65_910_489_597);
    let k = p.kubelet.as_ref().unwrap();
    assert_eq!(k.e2e_nanos, Some(68_818_440_372));
    assert_eq!(k.e2e_difference_nanos, Some(0));
    assert_eq!(phase(p, "startup_e2e"), 68_818_440_372);
    let names: Vec<_> = p.containers.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["busybox", "nginx"]);
    for c in &p.containers {
        assert!(
            c.milestones.contains_key(&Ms::ContainerCreated),
            "{}",
            c.name
        );
        assert!(
            c.milestones.contains_key(&Ms::ContainerStarted),
            "{}",
            c.name
        );
    }
    assert_eq!(
        p.containers[1].id.as_deref(),
        Some("ee80536be282db884ee5f5a7db9fbc9d2c4fad4ae80569175641377743b3716b")
    );
    assert_eq!(
        p.sandbox_ids,
        ["9782e0cf6742898144c14978eabdbed4af963d2f8eb9d857d4832d98986cf361"]
    );
    // The clock table says what was done and why.
    assert_eq!(a.clocks.embedded_shifts.len(), 1);
    assert_eq!(a.clocks.embedded_shifts[0].shift_secs, 7200);
    assert!(a.clocks.clocks.iter().all(|c| c.offset_secs == 0));
    assert!(p.findings.is_empty(), "{:?}", p.findings);
}

#[test]
fn aks_np2_create_and_delete() {
    let a = analyze(&[real(
        "aks-containerd1.7/node-aks-np2_pod-default-nginx_create-delete.journal.log",
    )]);
    let p = pod(&a, "default", "nginx");
    assert_eq!(
        p.uid.as_deref(),
        Some("5da5612b-9738-493c-af51-a213072997f6")
    );
    // No "RunPodSandbox for …" start line in this grep: sandbox_started is missing, not guessed.
    assert!(!p.milestones.contains_key(&Ms::SandboxStarted));
    assert_eq!(t(p, "sandbox_ready"), "2024-11-29T18:13:10.764041708Z");
    assert_eq!(t(p, "running"), "2024-11-29T18:13:11.737579537Z");
    assert_eq!(t(p, "running_observed"), "2024-11-29T18:13:11.940293018Z");
    assert_eq!(phase(p, "containers"), 973_537_829);
    assert_eq!(p.kubelet.as_ref().unwrap().e2e_nanos, Some(1_940_293_018));
    assert_eq!(p.kubelet.as_ref().unwrap().e2e_difference_nanos, Some(0));
    // One kubelet line (E1129 16:20:18) was written in another zone than its neighbours.
    let kc = a
        .clocks
        .clocks
        .iter()
        .find(|c| c.component == Component::Kubelet)
        .unwrap();
    // That line holds no message podtrace reads, so the prefilter skips it; read in full, it is
    // counted against the majority and not used.
    assert_eq!((kc.offset_secs, kc.disagreeing.len()), (0, 0));
    let mut o = opts();
    o.read.no_prefilter = true;
    let full = analyze_with(
        &[real(
            "aks-containerd1.7/node-aks-np2_pod-default-nginx_create-delete.journal.log",
        )],
        &o,
    );
    let kc = full
        .clocks
        .clocks
        .iter()
        .find(|c| c.component == Component::Kubelet)
        .unwrap();
    assert_eq!(
        (kc.offset_secs, kc.disagreeing.clone()),
        (0, vec![(-7200, 1)])
    );
}

#[test]
fn usernetes_v1_27_whole_journal() {
    let a = analyze(&[real("usernetes-v1.27/node-u7s-compute-001.journal.log")]);
    assert_eq!(a.pods.len(), 8);
    let p = pod(&a, "kube-system", "kube-proxy-tjgbq");
    assert_eq!(t(p, "sandbox_started"), "2023-09-01T23:35:22.162461924Z");
    assert_eq!(t(p, "sandbox_ready"), "2023-09-01T23:35:22.251890381Z");
    assert_eq!(t(p, "running"), "2023-09-01T23:35:22.369959110Z");
    assert_eq!(t(p, "created"), "2023-09-01T23:35:21.000000000Z");
    assert_eq!(ms(p, "created").precision.as_str(), "s");
    assert!(ms(p, "created").derived.is_some());
    assert_eq!(t(p, "running_observed"), "2023-09-01T23:35:23.444661251Z");
    // 1.27 logs no podStartE2EDuration: kubelet_e2e is not logged, ours stands alone.
    assert_eq!(p.kubelet.as_ref().unwrap().e2e_nanos, None);
    assert_eq!(phase(p, "startup_e2e"), 2_444_661_251);
    // The journal is grep-filtered (no SyncLoop ADD): kubelet_seen is missing, not guessed late.
    assert!(!p.milestones.contains_key(&Ms::KubeletSeen));

    let f = pod(&a, "kube-flannel", "kube-flannel-ds-4dckq");
    let cont: Vec<_> = f.containers.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(cont, ["install-cni", "install-cni-plugin", "kube-flannel"]);
    let plugin = f
        .containers
        .iter()
        .find(|c| c.name == "install-cni-plugin")
        .unwrap();
    assert_eq!(
        plugin.image.as_deref(),
        Some("docker.io/flannel/flannel-cni-plugin:v1.2.0")
    );
    assert_eq!(plugin.phases[&Phase::ImagePull], 5_332_901_030);
    let cni = f
        .containers
        .iter()
        .find(|c| c.name == "install-cni")
        .unwrap();
    assert_eq!(
        cni.image.as_deref(),
        Some("docker.io/flannel/flannel:v0.22.2")
    );

    let c = pod(&a, "kube-system", "coredns-5d78c9869d-9b8f2");
    assert_eq!(c.failures.len(), 1);
    // The flannel failure held the pod from its first report until the sandbox finally came up.
    let f = &c.failures[0];
    assert_eq!(
        (f.cause.as_str(), f.resolved_by),
        ("sandbox failed", Some(Ms::SandboxReady))
    );
    assert_eq!(t(c, "sandbox_ready"), "2023-09-01T23:35:44.202154076Z");
    assert_eq!(f.held_nanos, Some(13_527_811_168));
    assert!(
        c.failures[0]
            .to_string()
            .contains("loadFlannelSubnetEnv failed"),
        "{}",
        c.failures[0]
    );

    // Year from containerd's time= and the "-- Journal begins at" line; offsets all zero.
    assert!(a.clocks.years.is_empty());
    let u = a.totals[&Component::Other];
    assert_eq!(u.unparsed, 1, "the shell command on line 1 is reported");
    assert!(a.warnings.iter().any(|w| w.to_string().ends_with(":1: not a journal line: docker compose exec -e U7S_HOST_IP=10.10.0.5 node journalctl --follow --since=\"1 day ago\"")));
}

#[test]
fn kind_kueue_scheduler_cri_and_kubelet_status() {
    let a = analyze(&[real("kind-kueue")]);
    let bound: Vec<_> = a
        .pods
        .iter()
        .filter(|p| p.milestones.contains_key(&Ms::Scheduled))
        .collect();
    assert_eq!(bound.len(), 6);
    let p = pod(&a, "lws-e2e-bt54c", "lws-0-2");
    let s = ms(p, "scheduled");
    assert_eq!(t(p, "scheduled"), "2025-03-17T10:12:23.146947000Z");
    assert_eq!(
        (s.source, s.precision.as_str()),
        (Component::Scheduler, "us")
    );
    assert!(
        s.derived.is_some(),
        "scheduler log is the fallback for the audit binding"
    );
    assert_eq!(p.node.as_deref(), Some("kind-worker"));
    // The kubelet's status patch links the UID and reports Ready with the pod IP.
    assert_eq!(
        p.uid.as_deref(),
        Some("d2bd8f17-5f5e-4eda-9654-2947e23cc6e7")
    );
    assert_eq!(p.pod_ip.as_deref(), Some("10.244.2.46"));
    assert_eq!(t(p, "ready_reported"), "2025-03-17T10:12:25.075254000Z");
    assert!(ms(p, "ready_reported").derived.is_some());
    let q = pod(&a, "lws-e2e-bt54c", "lws-0-1");
    assert_eq!(q.pod_ip.as_deref(), Some("10.244.2.44"));
    // Year: the CRI stamps carry 2025; the kubelet journal borrows it (said in the report).
    assert_eq!(a.clocks.years.len(), 1);
    assert_eq!(a.clocks.years[0].year, 2025);
}

#[test]
fn scheduler_klog_files() {
    let a = analyze(&[real("scheduler/scheduler-v5_pod-default-nginx.klog.log")]);
    let p = pod(&a, "default", "nginx");
    assert!(
        !p.phases.contains_key(&Phase::KubeletPrep),
        "no kubelet data: missing, not zero"
    );
    let att = ms(p, "schedule_attempted");
    let bound = ms(p, "scheduled");
    assert_eq!(bound.t - att.t, 114_903_000);
    assert_eq!(p.node.as_deref(), Some("FFF"));
    assert_eq!(a.totals[&Component::Scheduler].recognised, 2);

    let a = analyze(&[real("scheduler/secondary-scheduler_trace-block.klog.log")]);
    let p = pod(&a, "default", "tasdemo");
    assert_eq!(
        ms(p, "scheduled").t - ms(p, "schedule_attempted").t,
        110_343_000
    );
    assert_eq!(p.node.as_deref(), Some("node7.ocp4rony.dfw.ocp.run"));
    // The Trace block lines are continuations, not errors.
    assert_eq!(a.warning_count, 0);
}

#[test]
fn audit_pod_creates_v1beta1_and_status_patches() {
    let a = analyze(&[real(
        "audit/falco-v1beta1/create_nginx_pod_unprivileged.json",
    )]);
    let p = pod(&a, "default", "nginx-deployment-78f5d695bd-nxqz5");
    // generateName pod: name and UID come from responseObject.
    assert_eq!(
        p.uid.as_deref(),
        Some("a2ad81ba-d85f-11e8-88b6-080027728ac4")
    );
    assert_eq!(t(p, "requested"), "2018-10-25T14:09:49.750328000Z");
    assert_eq!(t(p, "created"), "2018-10-25T14:09:49.761315000Z");
    assert_eq!(phase(p, "api_create"), 10_987_000);

    let a = analyze(&[real("audit/aks-v1.14_pod-nginx_get+status-patch.jsonl")]);
    let p = pod(&a, "default", "nginx");
    assert_eq!(t(p, "ready_reported"), "2019-09-20T12:56:55.910588000Z");
    assert_eq!(ms(p, "ready_reported").source, Component::Audit);

    let a = analyze(&[real(
        "audit/kubeadm-v1.20_mixed-events_one-damaged-line.jsonl",
    )]);
    let au = a.totals[&Component::Audit];
    assert_eq!((au.lines, au.unparsed), (7, 1));
    assert!(a.warnings[0].to_string().ends_with("kubeadm-v1.20_mixed-events_one-damaged-line.jsonl:6: damaged audit JSON (unbalanced quotes or braces)"));
    assert_eq!(
        a.pods.len(),
        1,
        "the patch pods/status by node2 still counts"
    );
}

#[test]
fn openfaas_containerd_1_6_plus_eight_and_glued_json() {
    let a = analyze(&[real(
        "openfaas-containerd1.6-flannel/containerd.journal.log",
    )]);
    let p = pod(&a, "openfaas-fn", "heavy-py-774b94b947-pvgfv");
    // containerd's own +08:00 stamps, converted to UTC.
    assert_eq!(t(p, "sandbox_started"), "2025-07-10T09:02:21.431315778Z");
    assert_eq!(t(p, "sandbox_ready"), "2025-07-10T09:02:21.958701465Z");
    assert_eq!(phase(p, "sandbox"), 527_385_687);
    let c = &p.containers[0];
    assert_eq!(c.image.as_deref(), Some("localhost:5001/heavy-py:latest"));
    assert_eq!(c.phases[&Phase::ImagePull], 344_207_906);
    assert_eq!(t(p, "running"), "2025-07-10T09:02:22.840506923Z");
    // The journal prefix is local +08:00, learnt from containerd's stamps beside it.
    let j = a
        .clocks
        .clocks
        .iter()
        .find(|c| c.host.as_deref() == Some("cloud-node"))
        .unwrap();
    assert_eq!(j.offset_secs, 8 * 3600);
    assert_eq!(a.warning_count, 0);
}

#[test]
fn eks_probes_and_crio_journal_kubelet() {
    let a = analyze(&[real(
        "eks-kubelet-probes/eks_v1.29_kubelet_syncloop_probe_aws-node.log",
    )]);
    let p = pod(&a, "kube-system", "aws-node-kx4hk");
    // status="" is not ready; the first status="ready" is.
    assert!(t(p, "ready").ends_with("-04-05T09:38:42.601195000Z"));
    assert!(ms(p, "ready").derived.is_none());

    let a = analyze(&[real("crio/TRIMMED_openshift-node-density.journal.log")]);
    let p = pod(&a, "node-density-0", "node-density-956");
    assert_eq!(t(p, "kubelet_seen"), "2026-05-27T16:02:27.147102000Z");
    assert_eq!(
        p.uid.as_deref(),
        Some("cdcd7672-d87d-434e-86ea-0e2035dcacb8")
    );
    assert_eq!(p.kubelet.as_ref().unwrap().e2e_nanos, Some(25_388_000_000));
}

/// Every real sample is read without a panic and every line is accounted for.
#[test]
fn every_real_sample_is_read_and_accounted() {
    let a = analyze(&[real("")]);
    assert!(a.pods.len() >= 25, "{}", a.pods.len());
    for f in &a.files {
        for (c, n) in &f.counts {
            assert_eq!(
                n.lines,
                n.recognised + n.ignored + n.unparsed,
                "{} {c:?}",
                f.path
            );
        }
    }
    let skipped: Vec<_> = a
        .files
        .iter()
        .filter(|f| f.skipped.is_some())
        .map(|f| f.path.rsplit('/').next().unwrap().to_owned())
        .collect();
    assert_eq!(
        skipped,
        [
            "PROVENANCE.md",
            "README.md",
            "kind-export-logs.md",
            "kubectl-cluster-info-dump.md",
            // Message text only, cut to 200 and 160 characters by its author: no log line.
            "TRUNCATED_aks-lab_msg-only_cut-200-160.log"
        ]
    );
    let got: Vec<(&str, [u64; 4])> = a
        .totals
        .iter()
        .map(|(c, n)| (c.as_str(), [n.lines, n.recognised, n.ignored, n.unparsed]))
        .collect();
    assert_eq!(
        got,
        [
            ("audit", [60, 6, 53, 1]),
            // minikube's scheduler section: start-up lines only.
            ("scheduler", [19, 10, 9, 0]),
            // 11 printf SyncLoop and PLEG lines cut by a pager, and a line that lost its first
            // letter (`ul 01 …`): unparsed and said.
            ("kubelet", [362, 69, 281, 12]),
            ("containerd", [337, 115, 222, 0]),
            // Cut CRI-O lines: those holding a message podtrace reads are unparsed, the others
            // (image status checks) skipped by the prefilter.
            ("crio", [23, 10, 5, 8]),
            ("kube-proxy", [3, 3, 0, 0]),
            ("ingress-nginx", [17, 3, 14, 0]),
            ("cilium", [3, 3, 0, 0]),
            ("other", [191, 0, 188, 3]),
        ]
    );
}
