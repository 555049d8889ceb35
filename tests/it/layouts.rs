//! One test per bundle layout (docs/formats.md#bundle-layouts / samples/real/layouts): what is read, from where, with
//! which source, and the timeline it gives.

use std::io::Write;

use podtrace::event::Component;

use crate::util::*;
use podtrace::timeline::{Ms, Phase};

const UID: &str = "7c2f5a9e-1b3d-4e6f-8a0b-9c1d2e3f4a5b";

/// kubectl prints lists with 4-space indentation; keep that shape.
fn pretty(v: &serde_json::Value) -> String {
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    serde::Serialize::serialize(v, &mut ser).unwrap();
    String::from_utf8(buf).unwrap() + "\n"
}

fn event(
    uid: &str,
    reason: &str,
    message: &str,
    first: &str,
    field_path: Option<&str>,
) -> serde_json::Value {
    let mut involved = serde_json::json!({"apiVersion": "v1", "kind": "Pod", "name": "api-0", "namespace": "shop", "uid": UID, "resourceVersion": "4242"});
    if let Some(fp) = field_path {
        involved["fieldPath"] = fp.into();
    }
    serde_json::json!({
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": format!("api-0.{uid}"), "namespace": "shop", "uid": uid, "resourceVersion": "5000", "creationTimestamp": first},
        "involvedObject": involved, "reason": reason, "message": message,
        "source": {"component": "kubelet", "host": "node-a"}, "firstTimestamp": first, "lastTimestamp": first,
        "count": 1, "type": "Normal", "eventTime": null, "reportingComponent": "kubelet", "reportingInstance": "node-a"
    })
}

fn pods_json() -> serde_json::Value {
    serde_json::json!({"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "6000"}, "items": [{
        "metadata": {"name": "api-0", "namespace": "shop", "uid": UID, "creationTimestamp": "2025-06-02T09:00:00Z",
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "api", "uid": "x", "controller": true}]},
        "spec": {"nodeName": "node-a", "containers": [{"name": "api", "image": "shop/api:1"}]},
        "status": {"phase": "Running", "podIP": "10.1.2.3",
            "conditions": [
                {"type": "PodScheduled", "status": "True", "lastTransitionTime": "2025-06-02T09:00:00Z"},
                {"type": "Ready", "status": "True", "lastTransitionTime": "2025-06-02T09:00:09Z"}],
            "containerStatuses": [{"name": "api", "ready": true, "restartCount": 0, "state": {"running": {"startedAt": "2025-06-02T09:00:07Z"}}}]}
    }]})
}

/// `kubectl cluster-info dump` without `--output-directory`: every list pretty-printed back to
/// back on stdout, then the container logs between markers (clusterinfo_dump.go `Run`). The
/// END marker is written right after the log's bytes, so a log without a final newline has it
/// glued to its last line.
#[test]
fn kubectl_cluster_info_dump_to_stdout() {
    let events = serde_json::json!({"kind": "EventList", "apiVersion": "v1", "metadata": {}, "items": [
        event("e-1", "Scheduled", "Successfully assigned shop/api-0 to node-a", "2025-06-02T09:00:00Z", None),
        event("e-4", "Started", "Started container api", "2025-06-02T09:00:07Z", Some("spec.containers{api}")),
    ]});
    let nodes = serde_json::json!({"kind": "NodeList", "apiVersion": "v1", "items": [{"kind": "Node", "metadata": {"name": "node-a", "uid": "n1"}}]});
    let empty =
        |k: &str| serde_json::json!({"kind": k, "apiVersion": "v1", "metadata": {}, "items": []});
    let mut out = pretty(&nodes);
    for doc in [
        events,
        empty("ReplicationControllerList"),
        empty("ServiceList"),
        empty("DaemonSetList"),
        empty("DeploymentList"),
        empty("ReplicaSetList"),
        pods_json(),
    ] {
        out.push_str(&pretty(&doc));
    }
    let docs_lines = out.lines().count() as u32;
    out.push_str("==== START logs for container kube-scheduler of pod kube-system/kube-scheduler-cp ====\n\
        I0602 09:00:00.100000       1 schedule_one.go:98] \"Attempting to schedule pod\" pod=\"shop/api-0\"\n\
        I0602 09:00:00.412000       1 schedule_one.go:314] \"Successfully bound pod to node\" pod=\"shop/api-0\" node=\"node-a\" evaluatedNodes=2 feasibleNodes=1==== END logs for container kube-scheduler of pod kube-system/kube-scheduler-cp ====\n\
        ==== START logs for container app of pod shop/api-0 ====\n\
        listening on :8080\n\
        ==== END logs for container app of pod shop/api-0 ====\n");
    let d = bundle(&[("cluster-info-dump.txt", &out)]);
    let a = analyze(&path(&d));
    assert_eq!(a.files[0].format, "json-objects");
    assert_eq!(a.warning_count, 0, "{:?}", a.warnings);
    let p = pod(&a, "shop", "api-0");
    assert_eq!(p.uid.as_deref(), Some(UID));
    assert_eq!(t(p, "created"), "2025-06-02T09:00:00.000000000Z");
    assert_eq!(t(p, "schedule_attempted"), "2025-06-02T09:00:00.100000000Z");
    // The glued last line is read: the scheduler's µs binding beats the Event and condition.
    assert_eq!(t(p, "scheduled"), "2025-06-02T09:00:00.412000000Z");
    assert_eq!(ms(p, "scheduled").source, Component::Scheduler);
    assert_eq!(evidence_line(ms(p, "scheduled")).1, docs_lines + 3);
    assert_eq!(t(p, "running"), "2025-06-02T09:00:07.000000000Z");
    // Every line counted once: the documents under events, the logs under their writers.
    let c = &a.totals;
    assert_eq!(c[&Component::Events].lines, u64::from(docs_lines));
    // START, the attempt, and the bound line with END glued to it.
    assert_eq!(c[&Component::Scheduler].lines, 3);
    assert_eq!(c[&Component::Scheduler].recognised, 2);
}

#[test]
fn kubectl_cluster_info_dump() {
    let events = serde_json::json!({"kind": "EventList", "apiVersion": "v1", "metadata": {}, "items": [
        event("e-1", "Scheduled", "Successfully assigned shop/api-0 to node-a", "2025-06-02T09:00:00Z", None),
        event("e-2", "Pulling", "Pulling image \"shop/api:1\"", "2025-06-02T09:00:01Z", Some("spec.containers{api}")),
        event("e-3", "Pulled", "Successfully pulled image \"shop/api:1\" in 5.1s (5.1s including waiting). Image size: 1048576 bytes.", "2025-06-02T09:00:06Z", Some("spec.containers{api}")),
        event("e-4", "Started", "Started container api", "2025-06-02T09:00:07Z", Some("spec.containers{api}")),
    ]});
    let logs = "==== START logs for container kube-scheduler of pod kube-system/kube-scheduler-cp ====\n\
                I0602 09:00:00.412000       1 schedule_one.go:314] \"Successfully bound pod to node\" pod=\"shop/api-0\" node=\"node-a\" evaluatedNodes=2 feasibleNodes=1\n\
                ==== END logs for container kube-scheduler of pod kube-system/kube-scheduler-cp ====\n";
    let d = bundle(&[
        (
            "dump/nodes.json",
            &pretty(
                &serde_json::json!({"kind": "NodeList", "apiVersion": "v1", "items": [{"kind": "Node", "metadata": {"name": "node-a", "uid": "n1"}}]}),
            ),
        ),
        ("dump/shop/events.json", &pretty(&events)),
        ("dump/shop/pods.json", &pretty(&pods_json())),
        (
            "dump/shop/services.json",
            &pretty(&serde_json::json!({"kind": "ServiceList", "apiVersion": "v1", "items": []})),
        ),
        ("dump/kube-system/kube-scheduler-cp/logs.txt", logs),
    ]);
    let a = analyze(&path(&d));
    let p = pod(&a, "shop", "api-0");
    assert_eq!(p.uid.as_deref(), Some(UID));
    assert_eq!(p.owner.as_deref(), Some("StatefulSet/api"));
    assert_eq!(
        (p.node.as_deref(), p.pod_ip.as_deref()),
        (Some("node-a"), Some("10.1.2.3"))
    );
    assert_eq!(t(p, "created"), "2025-06-02T09:00:00.000000000Z");
    // The scheduler's own line (µs) beats the Scheduled Event and the condition (s).
    assert_eq!(t(p, "scheduled"), "2025-06-02T09:00:00.412000000Z");
    assert_eq!(ms(p, "scheduled").source, Component::Scheduler);
    assert_eq!(t(p, "ready"), "2025-06-02T09:00:09.000000000Z");
    assert_eq!(
        ms(p, "ready").derived.as_deref(),
        Some("pod object Ready condition")
    );
    let c = &p.containers[0];
    assert_eq!(c.phases[&Phase::ImagePull], 5_000_000_000);
    assert_eq!(c.image_size_bytes, Some(1_048_576));
    assert_eq!(t(p, "running"), "2025-06-02T09:00:07.000000000Z");
    // Evidence of a document item is the line of its uid.
    let (file, line) = evidence_line(&c.milestones[&Ms::PullStarted]);
    assert_eq!(file, "events.json");
    let text = std::fs::read_to_string(d.path().join("dump/shop/events.json")).unwrap();
    assert!(
        text.lines()
            .nth(line as usize - 1)
            .unwrap()
            .contains("\"uid\": \"e-2\"")
    );
    // inspect names each file's format and source.
    let mut out = Vec::new();
    podtrace::export::inspect::write_text(
        &a,
        &mut out,
        podtrace::export::escape::Controls::Escaped,
    )
    .unwrap();
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.contains(
            "dump/shop/events.json\n  format json-objects  host control-plane  source events"
        ),
        "{out}"
    );
    assert!(
        out.contains("logs.txt\n  format raw  host unknown  source scheduler"),
        "{out}"
    );
}

#[test]
fn support_bundle() {
    // Rancher/Harvester-style: stamped pod logs, YAML events, node logs in per-node zips.
    let events_yaml = "apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Event\n  metadata:\n    name: api-0.e-9\n    namespace: shop\n    uid: e-9\n  involvedObject:\n    kind: Pod\n    name: api-0\n    namespace: shop\n    uid: 7c2f5a9e-1b3d-4e6f-8a0b-9c1d2e3f4a5b\n    fieldPath: spec.containers{api}\n  reason: Pulled\n  message: Container image \"shop/api:1\" already present on machine\n  type: Normal\n  firstTimestamp: \"2025-06-02T09:00:02Z\"\nkind: List\nmetadata:\n  resourceVersion: \"\"\n";
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file(
        "node-a/logs/kubelet.log",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    zip.write_all(format!("I0602 09:00:00.500000    1234 kubelet.go:2407] \"SyncLoop ADD\" source=\"api\" pods=[\"shop/api-0\"]\nI0602 09:00:01.000000    1234 kubelet.go:2465] \"SyncLoop (PLEG): event for pod\" pod=\"shop/api-0\" event={{\"ID\":\"{UID}\",\"Type\":\"ContainerStarted\",\"Data\":\"sb\"}}\n").as_bytes()).unwrap();
    let zip = zip.finish().unwrap().into_inner();
    let d = bundle(&[
        ("sb/metadata.yaml", "clusterName: prod\nbundleVersion: 1\n"),
        ("sb/yamls/namespaced/shop/v1/events.yaml", events_yaml),
        (
            "sb/logs/kube-system/kube-proxy-x1/kube-proxy.log",
            "2025-06-02T09:00:03.100000000Z I0602 09:00:03.099000       1 proxier.go:799] \"SyncProxyRules complete\" elapsed=\"12ms\"\n",
        ),
    ]);
    std::fs::create_dir_all(d.path().join("sb/nodes")).unwrap();
    std::fs::write(d.path().join("sb/nodes/node-a.zip"), zip).unwrap();
    let a = analyze(&path(&d));
    let p = pod(&a, "shop", "api-0");
    assert_eq!(t(p, "kubelet_seen"), "2025-06-02T09:00:00.500000000Z");
    assert_eq!(
        ms(p, "kubelet_seen").host.as_deref(),
        Some("node-a"),
        "the node comes from nodes/<node>.zip"
    );
    assert!(p.containers[0].milestones.contains_key(&Ms::ImageCached));
    let why = |name: &str| a.files.iter().find(|f| f.path.ends_with(name)).unwrap();
    assert_eq!(
        why("metadata.yaml").skipped.as_deref(),
        Some("no log lines among the first lines (not a log file?)")
    );
    assert_eq!(why("kube-proxy.log").format, "stamped");
    assert_eq!(
        why("kube-proxy.log").counts[&Component::KubeProxy].recognised,
        1
    );
    assert_eq!(why("events.yaml").format, "yaml-objects");
    assert!(
        a.files
            .iter()
            .any(|f| f.path.ends_with("node-a.zip!/node-a/logs/kubelet.log"))
    );
}

#[test]
fn raw_var_log_pods_tree() {
    let line = "2025-03-18T10:21:19.143418583Z stderr F I0318 10:21:19.142499       1 schedule_one.go:314] \"Successfully bound pod to node\" pod=\"ns1/p1\" node=\"w1\" evaluatedNodes=3 feasibleNodes=1\n";
    let d = bundle(&[
        (
            "var/log/pods/kube-system_kube-scheduler-cp_a9dc80a0d8f74cefb3be144bbfc1b898/kube-scheduler/0.log",
            line,
        ),
        (
            "var/log/containers/kube-scheduler-cp_kube-system_kube-scheduler-3c9a.log",
            line,
        ),
    ]);
    let a = analyze(&path(&d));
    let p = pod(&a, "ns1", "p1");
    assert_eq!(t(p, "scheduled"), "2025-03-18T10:21:19.142499000Z");
    // /var/log/containers holds symlinks to the same files: the copy is counted once.
    assert_eq!(a.duplicate_events, 1);
    assert!(
        a.files
            .iter()
            .all(|f| f.hosts.is_empty() || f.hosts == ["control-plane"]),
        "{:?}",
        a.files
    );
}
