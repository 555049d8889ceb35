//! Log-store exports (issue 14): the demo's node files rewritten as each store exports them
//! (shapes from FORMATS-2 §4, built per the producers' sources) give the demo's timelines, to
//! the nanosecond; read beside the node files, every store copy is dropped as a duplicate.

use std::path::Path;

use serde_json::{Value, json};

use crate::util::*;

const DEMO: &str = "samples/seed-demo";

fn demo(rel: &str) -> String {
    std::fs::read_to_string(repo().join(DEMO).join(rel)).unwrap()
}

fn rfc3339_to_ns(t: &str) -> i64 {
    let (i, _) = podtrace_parsers::time::parse_rfc3339(t.as_bytes()).unwrap();
    i.unix_nanos
}

/// `Nov 29 10:15:00 kind-worker kubelet[247]: MESSAGE` → (seconds as ns in 2024 UTC, message).
fn journal(line: &str) -> (i64, String) {
    let stamp = &line[..15];
    let (_, rest) = line.split_once("]: ").unwrap();
    let t = format!("2024-11-29T{}Z", &stamp[7..15]);
    assert!(stamp.starts_with("Nov 29"), "{line}");
    (rfc3339_to_ns(&t), rest.to_owned())
}

/// `<RFC3339Nano> stderr F content` → (time, content).
fn cri(line: &str) -> (String, String) {
    let mut p = line.splitn(4, ' ');
    let t = p.next().unwrap().to_owned();
    let _stream = p.next();
    let _tag = p.next();
    (t, p.next().unwrap().to_owned())
}

/// The demo as log stores export it, into `dir`.
fn store_bundle(dir: &Path) {
    // Loki query_range (docs/sources/reference/loki-http-api.md), journal scraped by Promtail
    // with `unit` and `node_name` relabelled: the kubelet's and containerd's journals.
    let mut result = Vec::new();
    for (unit, file) in [
        ("kubelet.service", "kind-worker/kubelet.log"),
        ("containerd.service", "kind-worker/containerd.log"),
    ] {
        let values: Vec<Value> = demo(file)
            .lines()
            .map(|l| {
                let (ns, msg) = journal(l);
                json!([ns.to_string(), msg])
            })
            .collect();
        result.push(json!({"stream": {"job": "systemd-journal", "unit": unit,
            "node_name": "kind-worker"}, "values": values}));
    }
    let loki = json!({"status": "success", "data": {"resultType": "streams", "result": result,
        "stats": {}}});
    std::fs::write(dir.join("loki-query-range.json"), loki.to_string()).unwrap();

    // Vector kubernetes_logs records (FieldsSpec::default) of the worker's kube-proxy, one per
    // line, as its file sink writes them.
    let kp = "containers/kube-proxy-w8n4r_kube-system_kube-proxy-9d8c7b6a5f4e3d2c1b0a99887766554433221100ffeeddccbbaa998877665544.log";
    let mut vector = String::new();
    for l in demo(&format!("kind-worker/{kp}")).lines() {
        let (t, msg) = cri(l);
        vector += &json!({"file": "/var/log/pods/kube-system_kube-proxy-w8n4r_0f0e0d0c-0000-4000-8000-000000000001/kube-proxy/0.log",
            "kubernetes": {"container_name": "kube-proxy", "pod_name": "kube-proxy-w8n4r",
                "pod_namespace": "kube-system", "pod_node_name": "kind-worker",
                "pod_uid": "0f0e0d0c-0000-4000-8000-000000000001"},
            "message": msg, "source_type": "kubernetes_logs", "stream": "stderr",
            "timestamp": t})
        .to_string();
        vector.push('\n');
    }
    std::fs::write(dir.join("vector-kube-proxy.jsonl"), vector).unwrap();

    // The control plane's kube-proxy through Fluent Bit into Elasticsearch, dumped by
    // elasticdump (one hit per line).
    let kp = "containers/kube-proxy-h2k9x_kube-system_kube-proxy-8c7b6a5f4e3d2c1b0a99887766554433221100ffeeddccbbaa99887766554433.log";
    let mut es = String::new();
    for (k, l) in demo(&format!("kind-control-plane/{kp}"))
        .lines()
        .enumerate()
    {
        let (t, msg) = cri(l);
        es += &json!({"_index": "logstash-2024.11.29", "_type": "_doc", "_id": format!("kp{k}"),
            "_score": 1, "_source": {"time": t, "stream": "stderr", "_p": "F",
                "log": format!("{msg}\n"),
                "kubernetes": {"pod_name": "kube-proxy-h2k9x", "namespace_name": "kube-system",
                    "pod_id": "0f0e0d0c-0000-4000-8000-000000000002", "host": "kind-control-plane",
                    "container_name": "kube-proxy", "docker_id": "8c7b6a5f4e3d"}}})
        .to_string();
        es.push('\n');
    }
    std::fs::write(dir.join("elasticdump.ndjson"), es).unwrap();

    // The scheduler's container log through Fluent Bit's cloudwatch_logs output (Container
    // Insights): each message is the shipper's JSON record; `aws logs filter-log-events`
    // prints the page indented; CloudWatch's own time is in milliseconds.
    let sched = "containers/kube-scheduler-kind-control-plane_kube-system_kube-scheduler-4e1d0a3f5b2c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e.log";
    let events: Vec<Value> = demo(&format!("kind-control-plane/{sched}"))
        .lines()
        .enumerate()
        .map(|(k, l)| {
            let (t, msg) = cri(l);
            let record = json!({"time": t, "stream": "stderr", "log": msg,
                "kubernetes": {"pod_name": "kube-scheduler-kind-control-plane",
                    "namespace_name": "kube-system", "host": "kind-control-plane",
                    "container_name": "kube-scheduler"}});
            json!({"logStreamName": "kind-control-plane-application.var.log.containers.kube-scheduler-kind-control-plane_kube-system_kube-scheduler-4e1d0a3f.log",
                "timestamp": rfc3339_to_ns(&t) / 1_000_000, "message": record.to_string(),
                "ingestionTime": rfc3339_to_ns(&t) / 1_000_000 + 900,
                "eventId": format!("3795000000000000000000000000000000000000000000000000000{k}")})
        })
        .collect();
    let cw = json!({"events": events, "searchedLogStreams": []});
    std::fs::write(
        dir.join("filter-log-events.json"),
        serde_json::to_string_pretty(&cw).unwrap(),
    )
    .unwrap();

    // The audit log from AKS diagnostic settings (storage account PT1H.json): each event an
    // escaped string with its newline, in `properties.log`.
    let mut azure = String::new();
    for l in demo("kind-control-plane/kubernetes/kube-apiserver-audit.log").lines() {
        let ev: Value = serde_json::from_str(l).unwrap();
        let time = ev["stageTimestamp"].as_str().unwrap().to_owned();
        azure += &json!({"category": "kube-audit",
            "operationName": "Microsoft.ContainerService/managedClusters/diagnosticLogs/Read",
            "properties": {"pod": "kube-apiserver-6797f4455b-jdgtt", "containerID": "c2120cb7",
                "log": format!("{l}\n"), "stream": "stdout"},
            "resourceId": "/SUBSCRIPTIONS/0B62/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/DEMO",
            "serviceBuild": "na", "time": time})
        .to_string();
        azure.push('\n');
    }
    std::fs::write(dir.join("PT1H.json"), azure).unwrap();
}

/// Every milestone as (pod, name, time, source, precision, host), programmed nodes included.
fn milestones(a: &podtrace::Analysis) -> Vec<String> {
    let mut out = Vec::new();
    for p in &a.pods {
        for (k, m) in &p.milestones {
            out.push(format!(
                "{}/{} {} {} {} {} {:?}",
                p.namespace,
                p.name,
                k.as_str(),
                m.t,
                m.source.as_str(),
                m.precision,
                m.host
            ));
        }
        for (node, m) in &p.programmed {
            out.push(format!(
                "{}/{} programmed {node} {} {}",
                p.namespace, p.name, m.t, m.precision
            ));
        }
        for (k, v) in &p.phases {
            out.push(format!(
                "{}/{} phase {} {v}",
                p.namespace,
                p.name,
                k.as_str()
            ));
        }
    }
    out
}

#[test]
fn the_demo_through_five_stores_is_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    store_bundle(dir.path());
    let stores = analyze(&[dir.path().to_path_buf()]);
    let nodes = analyze(&[repo().join(DEMO)]);
    let formats: Vec<(String, &str)> = stores
        .files
        .iter()
        .map(|f| {
            let name = Path::new(&f.path)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (name, f.format.as_str())
        })
        .collect();
    assert_eq!(
        formats,
        [
            ("PT1H.json".to_owned(), "azure-monitor"),
            ("elasticdump.ndjson".to_owned(), "elasticsearch"),
            ("filter-log-events.json".to_owned(), "cloudwatch"),
            ("loki-query-range.json".to_owned(), "loki"),
            ("vector-kube-proxy.jsonl".to_owned(), "shipper-jsonl"),
        ]
    );
    assert_eq!(stores.warning_count, 0, "{:?}", stores.warnings);
    assert_eq!(milestones(&stores), milestones(&nodes));
    let p = pod(&stores, "default", "pod-demo");
    assert_eq!(t(p, "scheduled"), "2024-11-29T10:15:00.144018000Z");
    assert_eq!(t(p, "kubelet_seen"), "2024-11-29T10:15:00.146214000Z");
    assert_eq!(t(p, "sandbox_ready"), "2024-11-29T10:15:00.401688190Z");
    assert_eq!(phase(p, "startup_e2e"), 5_812_104_402);
    // Evidence points into the export: the kubelet's first line is line 1 of the one-line
    // Loki document; the scheduler's attempt is the first event of the indented CloudWatch
    // document, whose `eventId` is on line 8.
    let (file, line) = evidence_line(ms(p, "kubelet_seen"));
    assert!(file.ends_with("loki-query-range.json"), "{file}");
    assert_eq!(line, 1);
    let (file, line) = evidence_line(ms(p, "schedule_attempted"));
    assert!(file.ends_with("filter-log-events.json"), "{file}");
    assert_eq!(line, 8);
}

#[test]
fn a_line_in_a_node_file_and_in_a_store_export_counts_once() {
    let dir = tempfile::tempdir().unwrap();
    store_bundle(dir.path());
    let both = analyze(&[repo().join(DEMO), dir.path().to_path_buf()]);
    let nodes = analyze(&[repo().join(DEMO)]);
    assert_eq!(milestones(&both), milestones(&nodes));
    // Every event the exports gave was already given by a node file.
    let stores = analyze(&[dir.path().to_path_buf()]);
    let events = |a: &podtrace::Analysis| a.files.iter().map(|f| f.events).sum::<usize>();
    assert_eq!(both.duplicate_events, events(&stores));
    assert!(both.duplicate_events > 20, "{}", both.duplicate_events);
}

#[test]
fn an_eks_control_plane_stream_is_the_control_planes() {
    // EKS's scheduler stream (`kube-scheduler-<hex>` in /aws/eks/<cluster>/cluster) names no
    // node and wraps no record: the line is the scheduler's, on the control plane.
    let sched = demo(
        "kind-control-plane/containers/kube-scheduler-kind-control-plane_kube-system_kube-scheduler-4e1d0a3f5b2c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e.log",
    );
    let events: Vec<Value> = sched
        .lines()
        .map(|l| {
            let (t, msg) = cri(l);
            json!({"logStreamName": "kube-scheduler-0a1b2c3d4e5f60718293a4b5c6d7e8f9",
                "timestamp": rfc3339_to_ns(&t) / 1_000_000, "message": msg,
                "ingestionTime": rfc3339_to_ns(&t) / 1_000_000 + 900, "eventId": "1"})
        })
        .collect();
    let dir = bundle(&[("eks/scheduler.json", &json!({"events": events}).to_string())]);
    let a = analyze(&path(&dir));
    assert_eq!(a.files[0].format, "cloudwatch");
    let c = &a.files[0].counts[&podtrace::event::Component::Scheduler];
    assert_eq!((c.lines, c.recognised, c.unparsed), (2, 2, 0));
    assert_eq!(a.warning_count, 0);
}

#[test]
fn the_demo_audit_log_from_cloud_logging() {
    // `gcloud logging read --format=json`: an array of AuditLog entries, newest first, one
    // time each (FORMATS-2 §4.13): what the audit log says, but `requested`, which needs the
    // request's own time, is missing rather than the created time again.
    let mut entries = Vec::new();
    for l in demo("kind-control-plane/kubernetes/kube-apiserver-audit.log").lines() {
        let ev: Value = serde_json::from_str(l).unwrap();
        if ev["stage"] != "ResponseComplete" {
            continue;
        }
        let o = &ev["objectRef"];
        let group = o["apiGroup"]
            .as_str()
            .filter(|g| !g.is_empty())
            .unwrap_or("core");
        let version = o["apiVersion"].as_str().unwrap_or("v1");
        let sub = o["subresource"]
            .as_str()
            .map(|s| format!(".{s}"))
            .unwrap_or_default();
        let method = format!(
            "io.k8s.{group}.{version}.{}{sub}.{}",
            o["resource"].as_str().unwrap(),
            ev["verb"].as_str().unwrap()
        );
        let mut name = format!(
            "{group}/{version}/namespaces/{}/{}",
            o["namespace"].as_str().unwrap_or(""),
            o["resource"].as_str().unwrap()
        );
        if let Some(n) = o["name"].as_str() {
            name += &format!("/{n}");
        }
        if let Some(s) = o["subresource"].as_str() {
            name += &format!("/{s}");
        }
        let mut pp = json!({"@type": "type.googleapis.com/google.cloud.audit.AuditLog",
            "authenticationInfo": {"principalEmail": ev["user"]["username"]},
            "methodName": method, "resourceName": name, "serviceName": "k8s.io",
            "status": {"code": 0}});
        if !ev["requestObject"].is_null() {
            pp["request"] = ev["requestObject"].clone();
        }
        if !ev["responseObject"].is_null() {
            pp["response"] = ev["responseObject"].clone();
        }
        entries.push(
            json!({"insertId": format!("i-{}", ev["auditID"].as_str().unwrap()),
            "logName": "projects/demo/logs/cloudaudit.googleapis.com%2Factivity",
            "operation": {"id": ev["auditID"], "first": true, "last": true, "producer": "k8s.io"},
            "protoPayload": pp,
            "resource": {"type": "k8s_cluster", "labels": {"cluster_name": "demo",
                "location": "europe-west1", "project_id": "demo"}},
            "timestamp": ev["stageTimestamp"]}),
        );
    }
    entries.reverse();
    let dir = bundle(&[(
        "gcloud-audit.json",
        &serde_json::to_string_pretty(&Value::Array(entries)).unwrap(),
    )]);
    let a = analyze(&path(&dir));
    assert_eq!(a.files[0].format, "cloud-logging");
    assert_eq!(a.warning_count, 0, "{:?}", a.warnings);
    let p = pod(&a, "default", "pod-demo");
    let nodes = analyze(&[repo().join(DEMO)]);
    let q = pod(&nodes, "default", "pod-demo");
    for m in [
        "created",
        "scheduled",
        "ready_reported",
        "endpoints_updated",
    ] {
        assert_eq!(t(p, m), t(q, m), "{m}");
    }
    assert_eq!(t(p, "created"), "2024-11-29T10:15:00.131877000Z");
    assert!(!p.milestones.contains_key(&"requested".parse().unwrap()));
    assert_eq!(p.node.as_deref(), Some("kind-worker"));
}

#[test]
fn a_cloudwatch_s3_export_of_the_audit_log() {
    // CreateExportTask objects (`exportedlogs/<task>/<stream>/000000.gz`): each line
    // `<ISO 8601 time> <message>`, the message an audit event (EKS `kube-apiserver-audit-…`).
    let mut text = String::new();
    for l in demo("kind-control-plane/kubernetes/kube-apiserver-audit.log").lines() {
        let ev: Value = serde_json::from_str(l).unwrap();
        text += &format!("{} {l}\n", ev["stageTimestamp"].as_str().unwrap());
    }
    let dir = bundle(&[(
        "exportedlogs/0a1b/kube-apiserver-audit-0a1b2c3d/000000",
        &text,
    )]);
    let a = analyze(&path(&dir));
    assert_eq!(a.files[0].format, "stamped");
    assert_eq!(a.warning_count, 0, "{:?}", a.warnings);
    let nodes = analyze(&[repo().join(DEMO)]);
    let (p, q) = (
        pod(&a, "default", "pod-demo"),
        pod(&nodes, "default", "pod-demo"),
    );
    for m in [
        "requested",
        "created",
        "scheduled",
        "ready_reported",
        "endpoints_updated",
    ] {
        assert_eq!(t(p, m), t(q, m), "{m}");
    }
    let c = &a.files[0].counts[&podtrace::event::Component::Audit];
    let demo_audit = &nodes
        .files
        .iter()
        .find(|f| f.path.ends_with("kube-apiserver-audit.log"))
        .unwrap()
        .counts[&podtrace::event::Component::Audit];
    assert_eq!(
        (c.lines, c.recognised),
        (demo_audit.lines, demo_audit.recognised)
    );
}

#[test]
fn a_real_aks_journal_through_loki_is_the_journal() {
    // The real AKS node journal (samples/real/aks-containerd1.7, PROVENANCE.md) as Promtail's
    // journal scrape puts it in Loki: each entry's MESSAGE, its unit and its node as labels,
    // journald's time in ns (here the journal prefix's second, in 2024: the year containerd's
    // own `time="2024-…"` stamps give the direct read). The same milestones and phases, to the
    // ns.
    let file = real("aks-containerd1.7/node-aks-nodepool1_pod-default-multiple.journal.log");
    let text = std::fs::read_to_string(&file).unwrap();
    let mut streams: std::collections::BTreeMap<(String, String), Vec<Value>> = Default::default();
    for l in text.lines() {
        // `Nov 29 18:33:25 <host> <ident>[<pid>]: <message>`
        let mut f = l.splitn(5, ' ');
        let (mon, day, clock, host) = (
            f.next().unwrap(),
            f.next().unwrap(),
            f.next().unwrap(),
            f.next().unwrap(),
        );
        assert_eq!((mon, day), ("Nov", "29"), "{l}");
        let (ident, msg) = f.next().unwrap().split_once("]: ").unwrap();
        let unit = format!("{}.service", ident.split('[').next().unwrap());
        let ns = rfc3339_to_ns(&format!("2024-11-29T{clock}Z"));
        streams
            .entry((unit, host.to_owned()))
            .or_default()
            .push(json!([ns.to_string(), msg]));
    }
    let result: Vec<Value> = streams
        .into_iter()
        .map(|((unit, node), values)| {
            json!({"stream": {"job": "systemd-journal", "unit": unit, "node_name": node},
                "values": values})
        })
        .collect();
    let dir = bundle(&[(
        "loki.json",
        &json!({"status": "success", "data": {"resultType": "streams", "result": result}})
            .to_string(),
    )]);
    let loki = analyze(&path(&dir));
    let direct = analyze(&[file]);
    assert_eq!(loki.files[0].format, "loki");
    assert!(!direct.pods.is_empty());
    assert_eq!(milestones(&loki), milestones(&direct));
    let p = pod(&loki, "default", "multiple");
    assert_eq!(t(p, "kubelet_seen"), "2024-11-29T18:33:25.449865000Z");
    assert_eq!(phase(p, "startup_sli"), 66_945_167_598);
}
