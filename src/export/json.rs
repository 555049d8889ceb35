//! `--format json`: JSON Lines, one `{"type":"pod",…}` record per pod, then one
//! `{"type":"summary",…}`. Times are RFC 3339 UTC with 9 fractional digits; phases in seconds.

use std::io::{self, Write};

use podtrace_parsers::time::format_rfc3339_nanos;
use serde_json::{Map, Value, json};

use crate::Analysis;
use crate::timeline::{CONTAINER_MILESTONES, MILESTONES, Milestone, PodTimeline};

fn milestone(m: &Milestone) -> Value {
    let mut o = json!({
        "t": format_rfc3339_nanos(m.t),
        "source": m.source.as_str(),
        "evidence": m.evidence,
        "precision": m.precision,
        "host": m.host,
    });
    if let Some(d) = &m.derived {
        o["derived"] = json!(d);
    }
    if let Some(off) = m.clock_offset {
        o["t_raw"] = json!(format_rfc3339_nanos(m.t + off));
        o["clock_offset_ms"] = json!(off as f64 / 1e6);
    }
    o
}

fn milestones<'a>(order: &[&str], ms: impl Fn(&str) -> Option<&'a Milestone>) -> Value {
    let mut o = Map::new();
    for name in order {
        if let Some(m) = ms(name) {
            o.insert((*name).to_owned(), milestone(m));
        }
    }
    Value::Object(o)
}

pub fn pod_record(p: &PodTimeline) -> Value {
    let phases: Map<String, Value> = p
        .phases
        .iter()
        .map(|(k, v)| ((*k).to_owned(), json!(super::secs(*v))))
        .collect();
    let missing: Vec<&str> = MILESTONES
        .iter()
        .copied()
        .filter(|m| !p.milestones.contains_key(m))
        .collect();
    let containers: Vec<Value> = p
        .containers
        .iter()
        .map(|c| {
            json!({
                "name": c.name,
                "id": c.id,
                "image": c.image,
                "image_size_bytes": c.image_size_bytes,
                "pull_logged_seconds": c.pull_logged_nanos.map(super::secs),
                "restarts": c.restarts,
                "init": c.init,
                "milestones": milestones(&CONTAINER_MILESTONES, |n| c.milestones.get(n)),
                "phases": c.phases.iter().map(|(k, v)| ((*k).to_owned(), json!(super::secs(*v)))).collect::<Map<_, _>>(),
            })
        })
        .collect();
    let mut o = json!({
        "type": "pod",
        "namespace": p.namespace,
        "name": p.name,
        "uid": p.uid,
        "node": p.node,
        "pod_ip": p.pod_ip,
        "sandbox_ids": p.sandbox_ids,
        "milestones": milestones(&MILESTONES, |n| p.milestones.get(n)),
        "missing": missing,
        "phases": phases,
        "containers": containers,
        "services": p.services,
        "programmed": p.programmed.iter().map(|(n, m)| (n.clone(), milestone(m))).collect::<Map<_, _>>(),
        "programmed_nodes": p.programmed.len(),
        "programmed_missing": p.programmed_missing,
        "consumers": p.consumers.iter().map(|(n, m)| (n.clone(), milestone(m))).collect::<Map<_, _>>(),
        "config_hash": p.config_hash,
        "owner": p.owner,
        "failures": p.failures.iter().map(|f| json!({
            "cause": f.cause,
            "message": f.message,
            "evidence": f.evidence,
            "first": format_rfc3339_nanos(f.first),
            "last": format_rfc3339_nanos(f.last),
            "count": f.count,
            "resolved_by": f.resolved_by,
            "held_seconds": f.held_nanos.map(super::secs),
        })).collect::<Vec<_>>(),
        "findings": p.findings,
    });
    if let Some((name, d, share)) = p.dominant {
        o["dominant_phase"] = json!({"phase": name, "seconds": super::secs(d), "share": share});
    }
    if let Some(k) = &p.kubelet {
        o["kubelet"] = json!({
            "kubelet_e2e": k.e2e_nanos.map(super::secs),
            "kubelet_slo": k.slo_seconds,
            "evidence": k.evidence,
            "e2e_difference_seconds": k.e2e_difference_nanos.map(super::secs),
            "e2e_explanation": k.e2e_explanation,
        });
        if let Some(e) = k.e2e_nanos {
            o["phases"]["kubelet_e2e"] = json!(super::secs(e));
        }
    }
    o
}

pub fn summary_record(a: &Analysis) -> Value {
    json!({
        "type": "summary",
        "pods": a.pods.len(),
        "lines": a.totals,
        "files": a.files,
        "skipped": a.skipped,
        "clocks": a.clocks,
        "skew": a.skew,
        "coverage": a.coverage,
        "attribution": a.attribution.iter().map(|x| json!({
            "measure": x.measure,
            "percentile": x.percentile,
            "seconds": super::secs(x.value_nanos),
            "pods": x.pods,
            "phases": x.phases.iter().map(|(k, v)| json!({"phase": k, "share": v})).collect::<Vec<_>>(),
            "nodes": x.nodes,
            "images": x.images,
        })).collect::<Vec<_>>(),
        "warnings": a.warning_count,
        "orphan_events": a.orphan_events,
        "duplicate_events": a.duplicate_events,
    })
}

pub fn write(a: &Analysis, w: &mut dyn Write) -> io::Result<()> {
    for p in &a.pods {
        serde_json::to_writer(&mut *w, &pod_record(p))?;
        w.write_all(b"\n")?;
    }
    for sv in &a.services {
        let changes: Vec<Value> = sv
            .changes
            .iter()
            .map(|c| {
                json!({
                    "t": format_rfc3339_nanos(c.t),
                    "object": c.object,
                    "verb": c.verb,
                    "evidence": c.evidence,
                    "ready": c.ready,
                    "not_ready": c.not_ready,
                    "trigger_time": c.trigger_time.map(format_rfc3339_nanos),
                    "programmed_seconds": c.programmed.iter().map(|(n, d)| (n.clone(), json!(super::secs(*d)))).collect::<Map<_, _>>(),
                    "not_programmed": c.not_programmed,
                })
            })
            .collect();
        serde_json::to_writer(
            &mut *w,
            &json!({"type": "service", "service": sv.service, "changes": changes}),
        )?;
        w.write_all(b"\n")?;
    }
    serde_json::to_writer(&mut *w, &summary_record(a))?;
    w.write_all(b"\n")
}
