//! Each shape from its producer's own example (FORMATS-2 §4, cited), with the values read back.

use super::*;
use crate::time::format_rfc3339_nanos;

fn one_line(line: &str) -> Record {
    let shape =
        sniff([line.as_bytes()].into_iter()).unwrap_or_else(|| panic!("not sniffed: {line}"));
    let mut out = Vec::new();
    decode_line(shape, line, &mut out).unwrap();
    assert_eq!(out.len(), 1, "{out:?}");
    out.pop().unwrap()
}

fn t(r: &Record) -> (String, Precision) {
    let i = r.time.unwrap();
    (format_rfc3339_nanos(i.unix_nanos), i.precision)
}

#[test]
fn fluent_bit_record() {
    // fluent-bit tests/runtime/data/kubernetes json-logs_default.out (FORMATS-2 §4.6).
    let r = one_line(
        r#"{"log":"{\"message_id\": 1, \"word\": \"eagers\"}\n", "stream":"stdout", "time":"2018-02-22T13:14:50.773975651Z", "message_id":1, "word":"eagers", "kubernetes":{"pod_name":"json-logs", "namespace_name":"default", "pod_id":"5ac76e2f-17d2-11e8-b34e-080027749cbc", "labels":{"run":"json-logs"}, "host":"minikube", "container_name":"json-logs", "docker_id":"c053db7370be"}}"#,
    );
    assert_eq!(
        t(&r),
        ("2018-02-22T13:14:50.773975651Z".into(), Precision::Ns)
    );
    assert_eq!(r.node.as_deref(), Some("minikube"));
    assert_eq!(r.pod.as_deref(), Some("json-logs"));
    assert_eq!(r.namespace.as_deref(), Some("default"));
    assert_eq!(
        r.pod_uid.as_deref(),
        Some("5ac76e2f-17d2-11e8-b34e-080027749cbc")
    );
    assert_eq!(r.container.as_deref(), Some("json-logs"));
    // The newline the container wrote is not part of the line.
    assert_eq!(
        r.line.as_deref(),
        Some(r#"{"message_id": 1, "word": "eagers"}"#)
    );
    assert!(!r.audit);
}

#[test]
fn fluentd_record() {
    // fluentd-kubernetes-daemonset record (FORMATS-2 §4.7): no time of its own.
    let r = one_line(
        r#"{"log":"This is stderr #1545\n","stream":"stderr","docker":{"container_id":"82fb60c1"},"kubernetes":{"container_name":"log-demo","namespace_name":"default","pod_name":"log-demo-ff9cc9745-t6tbd","container_image":"log-demo:latest","pod_id":"8306ce27-91a2-11e9-9fdc-0800275d76ff","labels":{"app":"log-demo"},"host":"minikube","master_url":"https://10.96.0.1:443/api","namespace_id":"3991071a"}}"#,
    );
    assert_eq!(r.time, None);
    assert_eq!(r.pod.as_deref(), Some("log-demo-ff9cc9745-t6tbd"));
    assert_eq!(r.node.as_deref(), Some("minikube"));
    assert_eq!(r.line.as_deref(), Some("This is stderr #1545"));
}

#[test]
fn vector_record() {
    // Vector kubernetes_logs (FORMATS-2 §4.8): the uid from `kubernetes.pod_uid` and the file.
    let r = one_line(
        r#"{"file":"/var/log/pods/kube-system_storage-provisioner_93bde4d0-9731-4785-a80e-cd27ba8ad7c2/storage-provisioner/1.log","kubernetes":{"container_name":"storage-provisioner","pod_name":"storage-provisioner","pod_namespace":"kube-system","pod_node_name":"minikube","pod_uid":"93bde4d0-9731-4785-a80e-cd27ba8ad7c2"},"message":"F1015 11:01:46.499073       1 main.go:39] error getting server version","source_type":"kubernetes_logs","stream":"stderr","timestamp":"2020-10-15T11:01:46.499555308Z"}"#,
    );
    assert_eq!(
        t(&r),
        ("2020-10-15T11:01:46.499555308Z".into(), Precision::Ns)
    );
    assert_eq!(r.node.as_deref(), Some("minikube"));
    assert_eq!(r.namespace.as_deref(), Some("kube-system"));
    assert_eq!(
        r.pod_uid.as_deref(),
        Some("93bde4d0-9731-4785-a80e-cd27ba8ad7c2")
    );
    assert!(
        r.line
            .as_deref()
            .unwrap()
            .starts_with("F1015 11:01:46.499073")
    );
}

#[test]
fn filebeat_document_in_an_elasticsearch_hit() {
    // Beats "Kubernetes fields" (FORMATS-2 §4.9), as a line of an elasticdump file: nested and
    // dotted keys both found; `@timestamp` in ms.
    let r = one_line(
        r#"{"_index":"filebeat-8.13.0-2024.05.01","_id":"a1","_score":1.0,"_source":{"@timestamp":"2024-05-01T10:15:05.941Z","message":"I0501 10:15:05.941852    2112 kubelet.go:2451] \"SyncLoop (PLEG): event for pod\"","log":{"file":{"path":"/var/log/pods/kube-system_kube-proxy-w8n4r_9d8c7b6a-0000-4000-8000-000000000001/kube-proxy/0.log"},"offset":1043},"kubernetes":{"pod":{"name":"kube-proxy-w8n4r","uid":"9d8c7b6a-0000-4000-8000-000000000001"},"namespace":"kube-system","node":{"name":"kind-worker"},"container":{"name":"kube-proxy"}},"input":{"type":"container"},"host":{"name":"kind-worker"}}}"#,
    );
    assert_eq!(
        t(&r),
        ("2024-05-01T10:15:05.941000000Z".into(), Precision::Ms)
    );
    assert_eq!(r.node.as_deref(), Some("kind-worker"));
    assert_eq!(r.container.as_deref(), Some("kube-proxy"));
    assert_eq!(r.namespace.as_deref(), Some("kube-system"));
    assert_eq!(
        r.pod_uid.as_deref(),
        Some("9d8c7b6a-0000-4000-8000-000000000001")
    );
    assert_eq!(r.anchor.as_deref(), Some("\"a1\""));
}

#[test]
fn elasticsearch_bulk_body() {
    // An action line holds no record; the document line after it does.
    let action = r#"{"index":{"_index":"logs-2024.05.01","_id":"x1"}}"#;
    let doc = r#"{"@timestamp":"2024-05-01T10:15:05.941852Z","message":"hello","kubernetes":{"pod_name":"p","namespace_name":"n","host":"node-1"}}"#;
    let shape = sniff([action.as_bytes(), doc.as_bytes()].into_iter()).unwrap();
    assert_eq!(shape, Shape::JsonLines);
    let mut out = Vec::new();
    decode_line(shape, action, &mut out).unwrap();
    assert!(out.is_empty());
    decode_line(shape, doc, &mut out).unwrap();
    assert_eq!(out[0].node.as_deref(), Some("node-1"));
    assert_eq!(
        t(&out[0]),
        ("2024-05-01T10:15:05.941852000Z".into(), Precision::Us)
    );
}

#[test]
fn elasticsearch_search_response() {
    // _search (Elastic search API): hits.hits[]._source, `total` as an object.
    let doc = r#"{"took":5,"timed_out":false,"_shards":{"total":1,"successful":1,"skipped":0,"failed":0},"hits":{"total":{"value":2,"relation":"eq"},"max_score":1.0,"hits":[{"_index":"logstash-2024.05.01","_id":"h1","_score":1.0,"_source":{"@timestamp":"2024-05-01T10:00:00.000001Z","log":"one\n","kubernetes":{"host":"n1","pod_name":"a","namespace_name":"ns"}}},{"_index":"logstash-2024.05.01","_id":"h2","_score":1.0,"_source":{"@timestamp":"2024-05-01T10:00:01.5Z","log":"two","kubernetes":{"host":"n2","pod_name":"b","namespace_name":"ns"}}}]}}"#;
    assert_eq!(sniff([doc.as_bytes()].into_iter()), Some(Shape::Document));
    let mut out = Vec::new();
    decode_document(doc, &mut out).unwrap();
    let lines: Vec<_> = out
        .iter()
        .map(|r| (r.line.clone().unwrap(), r.node.clone().unwrap()))
        .collect();
    assert_eq!(
        lines,
        [("one".into(), "n1".into()), ("two".into(), "n2".into())]
    );
    assert_eq!(
        t(&out[1]),
        ("2024-05-01T10:00:01.500000000Z".into(), Precision::Ms)
    );
}

#[test]
fn loki_query_range() {
    // loki-http-api.md example: values are ["<ns>", "<line>"]; streams carry the labels.
    let doc = r#"{"status":"success","data":{"resultType":"streams","result":[{"stream":{"filename":"/var/log/myproject.log","job":"varlogs","level":"info"},"values":[["1569266497240578000","foo"],["1569266492548155000","bar"]]}],"stats":{}}}"#;
    assert_eq!(sniff([doc.as_bytes()].into_iter()), Some(Shape::Document));
    let mut out = Vec::new();
    decode_document(doc, &mut out).unwrap();
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].line.as_deref(), Some("foo"));
    // 1569266497240578000 ends in 000: microseconds shown, not nanoseconds.
    assert_eq!(
        t(&out[0]),
        ("2019-09-23T19:21:37.240578000Z".into(), Precision::Us)
    );
    assert_eq!(out[0].file.as_deref(), Some("/var/log/myproject.log"));
    assert_eq!(out[0].anchor.as_deref(), Some("\"1569266497240578000\""));
}

#[test]
fn loki_streams_with_promtail_labels() {
    // A journal scrape relabelled to `unit` and `node_name`, and a pod's CRI stage labels.
    let doc = r#"{"status":"success","data":{"resultType":"streams","result":[
      {"stream":{"job":"systemd-journal","unit":"kubelet.service","node_name":"kind-worker"},"values":[["1732875300146214000","I1129 10:15:00.146214     251 kubelet.go:2432] \"SyncLoop ADD\" source=\"api\" pods=[\"default/pod-demo\"]"]]},
      {"stream":{"namespace":"kube-system","pod":"kube-proxy-w8n4r","container":"kube-proxy","node_name":"kind-worker","filename":"/var/log/pods/kube-system_kube-proxy-w8n4r_9d8c7b6a-5f4e-3d2c-1b0a-998877665544/kube-proxy/0.log"},"values":[["1732875305983752000","I1129 10:15:05.983752       1 proxier.go:805] \"SyncProxyRules complete\""]]}]}}"#;
    let mut out = Vec::new();
    decode_document(doc, &mut out).unwrap();
    assert_eq!(out[0].ident.as_deref(), Some("kubelet"));
    assert_eq!(out[0].node.as_deref(), Some("kind-worker"));
    assert_eq!(out[1].container.as_deref(), Some("kube-proxy"));
    assert_eq!(
        out[1].pod_uid.as_deref(),
        Some("9d8c7b6a-5f4e-3d2c-1b0a-998877665544")
    );
}

#[test]
fn logcli_jsonl_and_default() {
    // pkg/logcli/output tests: jsonl keeps the zone written; default has whole seconds.
    let r = one_line(
        r#"{"labels":{"type":"test"},"line":"Hello","timestamp":"2006-01-02T10:04:05+02:00"}"#,
    );
    assert_eq!(
        t(&r),
        ("2006-01-02T08:04:05.000000000Z".into(), Precision::S)
    );
    assert_eq!(r.line.as_deref(), Some("Hello"));
    let r = one_line(
        r#"{"labels":{"node_name":"w1","unit":"containerd.service"},"line":"time=\"x\" msg=\"y\"","timestamp":"2024-11-29T10:15:00.262917455Z"}"#,
    );
    assert_eq!(
        t(&r),
        ("2024-11-29T10:15:00.262917455Z".into(), Precision::Ns)
    );
    assert_eq!(r.ident.as_deref(), Some("containerd"));

    let r = one_line(
        r#"2006-01-02T08:04:05Z {type="test", unit="kubelet.service", note="a } b"} Hello world"#,
    );
    assert_eq!(
        t(&r),
        ("2006-01-02T08:04:05.000000000Z".into(), Precision::S)
    );
    assert_eq!(r.ident.as_deref(), Some("kubelet"));
    assert_eq!(r.line.as_deref(), Some("Hello world"));
    // A line with a time but no labels is the `Stamped` envelope's, not logcli's.
    assert_eq!(
        sniff([b"2006-01-02T08:04:05Z Hello".as_slice()].into_iter()),
        None
    );
}

#[test]
fn cloudwatch_filter_log_events_pretty() {
    // FilteredLogEvent (CloudWatch Logs API): ms times; EKS streams name the component; the AWS
    // CLI prints the document indented.
    let doc = r#"{
    "events": [
        {
            "logStreamName": "kube-apiserver-audit-0a1b2c3d4e5f60718293a4b5c6d7e8f9",
            "timestamp": 1732875300131,
            "message": "{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"Metadata\",\"auditID\":\"a1\",\"stage\":\"ResponseComplete\"}",
            "ingestionTime": 1732875301000,
            "eventId": "37950000000000000000000000000000000000000000000000000000"
        },
        {
            "logStreamName": "kube-scheduler-0a1b2c3d4e5f60718293a4b5c6d7e8f9",
            "timestamp": 1732875300133,
            "message": "I1129 10:15:00.133417       1 schedule_one.go:286] \"Successfully bound pod to node\"",
            "ingestionTime": 1732875301000,
            "eventId": "37950000000000000000000000000000000000000000000000000001"
        }
    ],
    "searchedLogStreams": []
}"#;
    let head: Vec<&[u8]> = doc.lines().take(8).map(str::as_bytes).collect();
    assert_eq!(sniff(head.into_iter()), Some(Shape::Document));
    let mut out = Vec::new();
    decode_document(doc, &mut out).unwrap();
    assert!(out[0].audit);
    assert_eq!(out[0].ident.as_deref(), Some("kube-apiserver-audit"));
    assert_eq!(
        t(&out[0]),
        ("2024-11-29T10:15:00.131000000Z".into(), Precision::Ms)
    );
    assert_eq!(out[1].ident.as_deref(), Some("kube-scheduler"));
    assert!(!out[1].audit);
}

#[test]
fn gcloud_k8s_node_entry() {
    // KHI fixture shape (FORMATS-2 §4.13): jsonPayload = the journal fields.
    let entry = r#"[{"insertId":"1xcq1ejxb9pu1wsu","jsonPayload":{"_SYSTEMD_UNIT":"containerd.service","SYSLOG_IDENTIFIER":"containerd","_HOSTNAME":"gke-sample-cluster-default-abcdefgh-abcd","PRIORITY":"6","MESSAGE":"time=\"2024-01-01T01:00:00Z\" level=info msg=\"RunPodSandbox\""},"logName":"projects/sample-project/logs/container-runtime","resource":{"type":"k8s_node","labels":{"cluster_name":"sample-cluster","location":"us-central1-a","node_name":"gke-sample-cluster-default-abcdefgh-abcd","project_id":"sample-project"}},"timestamp":"2024-01-01T01:00:00Z"}]"#;
    assert_eq!(sniff([entry.as_bytes()].into_iter()), Some(Shape::Document));
    let mut out = Vec::new();
    decode_document(entry, &mut out).unwrap();
    assert_eq!(out[0].ident.as_deref(), Some("containerd"));
    assert_eq!(
        out[0].node.as_deref(),
        Some("gke-sample-cluster-default-abcdefgh-abcd")
    );
    assert!(
        out[0]
            .line
            .as_deref()
            .unwrap()
            .starts_with("time=\"2024-01-01T01:00:00Z\"")
    );
}

#[test]
fn gcloud_audit_entry_becomes_an_audit_event() {
    let entry = r#"{"insertId":"abc","logName":"projects/p/logs/cloudaudit.googleapis.com%2Factivity","operation":{"id":"8b3c-audit","first":true,"last":true,"producer":"k8s.io"},"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","authenticationInfo":{"principalEmail":"system:kube-scheduler"},"methodName":"io.k8s.core.v1.pods.binding.create","resourceName":"core/v1/namespaces/default/pods/web-0/binding","serviceName":"k8s.io","status":{"code":0}},"resource":{"type":"k8s_cluster","labels":{"cluster_name":"c","location":"l","project_id":"p"}},"timestamp":"2024-01-01T01:00:00.123456Z"}"#;
    let r = one_line(entry);
    assert!(r.audit);
    let ev: Value = serde_json::from_str(r.line.as_deref().unwrap()).unwrap();
    assert_eq!(ev["verb"], "create");
    assert_eq!(ev["objectRef"]["resource"], "pods");
    assert_eq!(ev["objectRef"]["subresource"], "binding");
    assert_eq!(ev["objectRef"]["namespace"], "default");
    assert_eq!(ev["objectRef"]["name"], "web-0");
    assert_eq!(ev["objectRef"]["apiGroup"], "");
    assert_eq!(ev["auditID"], "8b3c-audit");
    assert_eq!(ev["stageTimestamp"], "2024-01-01T01:00:00.123456Z");
    assert_eq!(ev["responseStatus"]["code"], 201);
}

#[test]
fn azure_kube_audit_line() {
    // DataDog fixture aks_logs.json (FORMATS-2 §4.14): the event as an escaped string, `\/`.
    let line = r#"{ "category": "kube-audit", "operationName": "Microsoft.ContainerService/managedClusters/diagnosticLogs/Read", "properties": {"pod":"kube-apiserver-6797f4455b-jdgtt","containerID":"c2120cb7","log":"{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io\/v1\",\"level\":\"Metadata\",\"auditID\":\"808bc0af\",\"stage\":\"ResponseComplete\",\"requestURI\":\"\/readyz\",\"verb\":\"get\",\"stageTimestamp\":\"2024-11-15T21:00:00.154217Z\"}\n","stream":"stdout"}, "resourceId": "/SUBSCRIPTIONS/0B62/MANAGEDCLUSTERS/MIKE-AZURE-AKS", "serviceBuild": "na", "time": "2024-11-15T21:00:00.154534959Z"}"#;
    let r = one_line(line);
    assert!(r.audit);
    assert_eq!(r.ident.as_deref(), Some("kube-apiserver-audit"));
    assert!(
        r.line
            .as_deref()
            .unwrap()
            .ends_with("\"2024-11-15T21:00:00.154217Z\"}")
    );
    let r = one_line(
        r#"{ "category": "kube-scheduler", "operationName": "Microsoft.ContainerService/managedClusters/diagnosticLogs/Read", "properties": {"log":"I1115 21:00:00.154217       1 schedule_one.go:286] \"Successfully bound pod to node\"\n","stream":"stderr"}, "resourceId": "/SUBSCRIPTIONS/0B62", "time": "2024-11-15T21:00:00.154534959Z"}"#,
    );
    assert!(!r.audit);
    assert_eq!(r.ident.as_deref(), Some("kube-scheduler"));
}

#[test]
fn otlp_json_logs() {
    // opentelemetry-proto examples/logs.json shape with Collector k8s attributes.
    let line = r#"{"resourceLogs":[{"resource":{"attributes":[{"key":"k8s.pod.name","value":{"stringValue":"web-0"}},{"key":"k8s.namespace.name","value":{"stringValue":"default"}},{"key":"k8s.node.name","value":{"stringValue":"w1"}}]},"scopeLogs":[{"scope":{},"logRecords":[{"timeUnixNano":"1544712660300000000","observedTimeUnixNano":"1544712660300000001","body":{"stringValue":"one"},"attributes":[{"key":"log.iostream","value":{"stringValue":"stderr"}}]},{"timeUnixNano":1544712660300000123,"body":{"stringValue":"two"}}]}]}]}"#;
    let shape = sniff([line.as_bytes()].into_iter()).unwrap();
    let mut out = Vec::new();
    decode_line(shape, line, &mut out).unwrap();
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].pod.as_deref(), Some("web-0"));
    assert_eq!(out[0].node.as_deref(), Some("w1"));
    assert_eq!(
        t(&out[0]),
        ("2018-12-13T14:51:00.300000000Z".into(), Precision::Ms)
    );
    assert_eq!(
        t(&out[1]),
        ("2018-12-13T14:51:00.300000123Z".into(), Precision::Ns)
    );
}

#[test]
fn node_logs_and_audit_logs_are_not_store_exports() {
    for line in [
        r#"{"__CURSOR":"s=1","__REALTIME_TIMESTAMP":"1732875300146214","MESSAGE":"x"}"#,
        r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"ResponseComplete"}"#,
        r#"{"kind":"PodList","apiVersion":"v1","items":[]}"#,
        "I1129 10:15:00.146214     251 kubelet.go:2432] \"SyncLoop ADD\"",
        "2024-11-29T10:15:00.146214Z stdout F hello",
    ] {
        assert_eq!(sniff([line.as_bytes()].into_iter()), None, "{line}");
    }
}

#[test]
fn broken_records_are_errors_not_panics() {
    let mut out = Vec::new();
    assert_eq!(
        decode_line(Shape::JsonLines, "{\"log\":\"cut", &mut out),
        Err(Error::NotJson)
    );
    assert_eq!(
        decode_line(Shape::JsonLines, "{\"a\":1}", &mut out),
        Err(Error::UnknownRecord)
    );
    assert_eq!(
        decode_line(
            Shape::LogcliText,
            "2006-01-02T08:04:05Z {x=\"unterminated",
            &mut out
        ),
        Err(Error::BadLogcli)
    );
    // Huge numbers and odd time values are no time, not a panic.
    decode_line(
        Shape::JsonLines,
        r#"{"events":[{"timestamp":99999999999999999,"message":"m","ingestionTime":1}]}"#,
        &mut out,
    )
    .unwrap();
    assert_eq!(out.last().unwrap().time, None);
}

#[test]
fn what_is_not_a_store_export_stays_what_it_is() {
    // An audit line whose Pod has a `category` label and a `records` field; a PodList indented
    // with the same; Prometheus' matrix answer (Loki's API shape, not streams).
    let audit = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"a","stage":"ResponseComplete","verb":"create","objectRef":{"resource":"pods"},"responseObject":{"metadata":{"labels":{"category":"x"}},"spec":{"records":[],"properties":{}}}}"#;
    assert_eq!(sniff([audit.as_bytes()].into_iter()), None);
    let podlist = "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"PodList\",\n  \"items\": [{\"metadata\": {\"labels\": {\"category\": \"x\"}}, \"records\": [], \"events\": [], \"hits\": 1}]\n}";
    let head: Vec<&[u8]> = podlist.lines().map(str::as_bytes).collect();
    assert_eq!(sniff(head.into_iter()), None);
    let matrix = r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1569266497.24,"1"]]}]}}"#;
    assert_eq!(sniff([matrix.as_bytes()].into_iter()), None);
    // A Fluent Bit record whose component logged `data` and `events` objects (Merge_Log) is the
    // shipper's record, not a Loki answer or a CloudWatch page.
    let r = one_line(
        r#"{"log":"{\"data\":{\"x\":1}}","data":{"x":1},"events":[1],"time":"2024-01-01T00:00:00.5Z","kubernetes":{"pod_name":"p","namespace_name":"n","host":"h"}}"#,
    );
    assert_eq!(r.pod.as_deref(), Some("p"));
}

#[test]
fn logcli_with_every_label_common_and_odd_escapes() {
    // One unit queried: every label is common, logcli prints `{}`.
    let r = one_line("2024-01-01T00:00:00Z {} I0101 00:00:00.123456       1 x.go:1] \"hello\"");
    assert_eq!(
        r.line.as_deref(),
        Some("I0101 00:00:00.123456       1 x.go:1] \"hello\"")
    );
    assert_eq!(r.node, None);
    // An escaped multi-byte character in a label value: read, not a panic.
    let mut out = Vec::new();
    decode_line(
        Shape::LogcliText,
        "2024-01-01T00:00:00Z {a=\"\\é\", b=\"ü\"} x",
        &mut out,
    )
    .unwrap();
    assert_eq!(out[0].line.as_deref(), Some("x"));
}

#[test]
fn a_page_with_one_bad_hit_keeps_the_others() {
    let doc = r#"{"took":1,"hits":{"hits":[{"_id":"1","_source":{"@timestamp":"2024-01-01T00:00:00Z","message":"one","kubernetes":{"host":"n"}}},{"_id":"2","_source":{"unrelated":true}},{"_id":"3","_source":{"@timestamp":"2024-01-01T00:00:01Z","message":"three","kubernetes":{"host":"n"}}}]}}"#;
    let mut out = Vec::new();
    decode_document(doc, &mut out).unwrap();
    let lines: Vec<Option<&str>> = out.iter().map(|r| r.line.as_deref()).collect();
    assert_eq!(lines, [Some("one"), None, Some("three")]);
}

#[test]
fn numeric_times_by_their_digits_and_out_of_range_times() {
    let at = |v: &str| {
        one_line(&format!(
            r#"{{"log":"x","timestamp":{v},"kubernetes":{{"host":"n"}}}}"#
        ))
        .time
    };
    let s = at("1704067200").unwrap();
    assert_eq!(
        (s.unix_nanos, s.precision),
        (1_704_067_200_000_000_000, Precision::S)
    );
    let ms = at("1704067200123").unwrap();
    assert_eq!(
        (ms.unix_nanos, ms.precision),
        (1_704_067_200_123_000_000, Precision::Ms)
    );
    let us = at("1704067200123456").unwrap();
    assert_eq!(
        (us.unix_nanos, us.precision),
        (1_704_067_200_123_456_000, Precision::Us)
    );
    let ns = at("1704067200123456789").unwrap();
    assert_eq!(
        (ns.unix_nanos, ns.precision),
        (1_704_067_200_123_456_789, Precision::Ns)
    );
    assert_eq!(at("-5"), None);
    assert_eq!(at("9223372036854775807"), None);
}

#[test]
fn gcloud_audit_in_a_namespace_called_pods() {
    let entry = r#"{"insertId":"x","logName":"projects/p/logs/cloudaudit.googleapis.com%2Factivity","protoPayload":{"methodName":"io.k8s.core.v1.pods.create","resourceName":"core/v1/namespaces/pods/pods/web-0","status":{"code":6}},"resource":{"type":"k8s_cluster"},"timestamp":"2024-01-01T00:00:00Z"}"#;
    let r = one_line(entry);
    let ev: Value = serde_json::from_str(r.line.as_deref().unwrap()).unwrap();
    assert_eq!(ev["objectRef"]["namespace"], "pods");
    assert_eq!(ev["objectRef"]["name"], "web-0");
    // ALREADY_EXISTS is 409, not a made-up code.
    assert_eq!(ev["responseStatus"]["code"], 409);
    assert!(ev.get("requestReceivedTimestamp").is_none());
}
