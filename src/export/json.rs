//! `--format json`: JSON Lines, one `{"type":"pod",…}` record per pod, then one
//! `{"type":"summary",…}`. Times are RFC 3339 UTC with 9 fractional digits; phases in seconds.

use std::io::{self, Write};

use podtrace_parsers::time::format_rfc3339_nanos;
use std::collections::BTreeMap;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Map, Value, json};

use crate::Analysis;
use crate::timeline::{
    CONTAINER_MILESTONES, MILESTONES, Map as TimelineMap, Milestone, Ms, Phase, PodTimeline,
};

/// A UTC instant written as RFC 3339 with 9 fractional digits, formatted straight into the
/// output (no intermediate `String`).
struct Rfc(i64);

impl std::fmt::Display for Rfc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secs = self.0.div_euclid(1_000_000_000);
        let nanos = self.0.rem_euclid(1_000_000_000);
        let (y, m, d) = podtrace_parsers::time::civil_from_days(secs.div_euclid(86_400));
        let sod = secs.rem_euclid(86_400);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{nanos:09}Z",
            sod / 3600,
            (sod / 60) % 60,
            sod % 60
        )
    }
}

impl Serialize for Rfc {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[derive(Serialize)]
struct MsRecord<'a> {
    t: Rfc,
    source: &'static str,
    evidence: &'a crate::timeline::Place,
    precision: &'static str,
    host: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    derived: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    t_raw: Option<Rfc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    clock_offset_seconds: Option<f64>,
}

fn ms(m: &Milestone) -> MsRecord<'_> {
    MsRecord {
        t: Rfc(m.t),
        source: m.source.as_str(),
        evidence: &m.evidence,
        precision: m.precision.as_str(),
        host: m.host.as_deref(),
        derived: m.derived.as_deref(),
        t_raw: m.clock_offset.map(|off| Rfc(m.t + off)),
        clock_offset_seconds: m.clock_offset.map(super::secs),
    }
}

/// Milestones in the contract's order (docs/phases.md#milestones), present ones only.
struct Ordered<'a> {
    order: &'static [Ms],
    map: &'a TimelineMap<Ms, Milestone>,
}

impl Serialize for Ordered<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        for name in self.order {
            if let Some(x) = self.map.get(name) {
                m.serialize_entry(name, &ms(x))?;
            }
        }
        m.end()
    }
}

/// Node (or consumer) → milestone.
struct Keyed<'a, K>(&'a TimelineMap<K, Milestone>);

impl<K: AsRef<str>> Serialize for Keyed<'_, K> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            m.serialize_entry(k.as_ref(), &ms(v))?;
        }
        m.end()
    }
}

fn seconds(map: &TimelineMap<Phase, i64>) -> BTreeMap<&'static str, f64> {
    map.iter()
        .map(|(k, v)| (k.as_str(), super::secs(*v)))
        .collect()
}

/// Phase-keyed objects list their keys by name (alphabetically), as they always have: the
/// output is a contract, and `Phase` orders by the path instead.
fn by_name<V>(map: &TimelineMap<Phase, V>) -> BTreeMap<&'static str, &V> {
    map.iter().map(|(k, v)| (k.as_str(), v)).collect()
}

#[derive(Serialize)]
struct ContainerRecord<'a> {
    name: &'a str,
    id: &'a Option<String>,
    image: &'a Option<String>,
    image_size_bytes: Option<u64>,
    pull_logged_seconds: Option<f64>,
    restarts: u32,
    init: bool,
    milestones: Ordered<'a>,
    phases: BTreeMap<&'static str, f64>,
}

#[derive(Serialize)]
struct FailureRecord<'a> {
    cause: &'a str,
    message: &'a str,
    evidence: &'a str,
    first: Rfc,
    last: Rfc,
    count: usize,
    resolved_by: Option<Ms>,
    held_seconds: Option<f64>,
}

#[derive(Serialize)]
struct Dominant {
    phase: Phase,
    seconds: f64,
    /// Of the main-path phases measured.
    share: f64,
    /// Main-path phases without a value (missing, not applicable or excluded).
    unmeasured_phases: usize,
}

#[derive(Serialize)]
struct KubeletRecord<'a> {
    kubelet_e2e: Option<f64>,
    kubelet_slo: Option<f64>,
    evidence: &'a str,
    e2e_difference_seconds: Option<f64>,
    e2e_explanation: &'a Option<String>,
}

#[derive(Serialize)]
struct PodRecord<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    namespace: &'a str,
    name: &'a str,
    uid: &'a Option<String>,
    node: &'a Option<String>,
    pod_ip: &'a Option<String>,
    sandbox_ids: &'a [String],
    milestones: Ordered<'a>,
    missing: Vec<Ms>,
    phases: BTreeMap<&'static str, f64>,
    containers: Vec<ContainerRecord<'a>>,
    services: &'a [String],
    programmed: Keyed<'a, std::sync::Arc<str>>,
    programmed_nodes: usize,
    programmed_missing: &'a [String],
    consumers: Keyed<'a, String>,
    config_hash: &'a Option<String>,
    owner: &'a Option<String>,
    failures: Vec<FailureRecord<'a>>,
    findings: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    dominant_phase: Option<Dominant>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kubelet: Option<KubeletRecord<'a>>,
    /// A static pod (started by the kubelet from a manifest).
    #[serde(rename = "static")]
    is_static: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    static_basis: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    static_heuristic: bool,
    /// Phase → why it does not apply to this pod (absent from `phases`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    not_applicable: BTreeMap<&'static str, &'a String>,
    /// Phase → its negative value as computed and why `phases` holds 0.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    below_precision: BTreeMap<&'static str, Value>,
    /// Phase → why statistics leave its value (in `phases`, as computed) out.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    excluded: BTreeMap<&'static str, &'a String>,
}

fn pod(p: &PodTimeline) -> PodRecord<'_> {
    let mut phases = seconds(&p.phases);
    if let Some(e) = p.kubelet.as_ref().and_then(|k| k.e2e_nanos) {
        phases.insert(Phase::KubeletE2e.as_str(), super::secs(e));
    }
    PodRecord {
        kind: "pod",
        namespace: &p.namespace,
        name: &p.name,
        uid: &p.uid,
        node: &p.node,
        pod_ip: &p.pod_ip,
        sandbox_ids: &p.sandbox_ids,
        milestones: Ordered {
            order: &MILESTONES,
            map: &p.milestones,
        },
        missing: MILESTONES
            .iter()
            .copied()
            .filter(|m| !p.milestones.contains_key(m))
            .collect(),
        phases,
        containers: p
            .containers
            .iter()
            .map(|c| ContainerRecord {
                name: &c.name,
                id: &c.id,
                image: &c.image,
                image_size_bytes: c.image_size_bytes,
                pull_logged_seconds: c.pull_logged_nanos.map(super::secs),
                restarts: c.restarts,
                init: c.init,
                milestones: Ordered {
                    order: &CONTAINER_MILESTONES,
                    map: &c.milestones,
                },
                phases: seconds(&c.phases),
            })
            .collect(),
        services: &p.services,
        programmed: Keyed(&p.programmed),
        programmed_nodes: p.programmed.len(),
        programmed_missing: &p.programmed_missing,
        consumers: Keyed(&p.consumers),
        config_hash: &p.config_hash,
        owner: &p.owner,
        failures: p
            .failures
            .iter()
            .map(|f| FailureRecord {
                cause: &f.cause,
                message: &f.message,
                evidence: &f.evidence,
                first: Rfc(f.first),
                last: Rfc(f.last),
                count: f.count,
                resolved_by: f.resolved_by,
                held_seconds: f.held_nanos.map(super::secs),
            })
            .collect(),
        findings: &p.findings,
        dominant_phase: p.dominant.map(|(phase, d, share)| Dominant {
            phase,
            seconds: super::secs(d),
            share,
            unmeasured_phases: crate::timeline::diagnose::main_path_unmeasured(p),
        }),
        kubelet: p.kubelet.as_ref().map(|k| KubeletRecord {
            kubelet_e2e: k.e2e_nanos.map(super::secs),
            kubelet_slo: k.slo_seconds,
            evidence: &k.evidence,
            e2e_difference_seconds: k.e2e_difference_nanos.map(super::secs),
            e2e_explanation: &k.e2e_explanation,
        }),
        is_static: p.static_pod.is_some(),
        static_basis: p.static_pod.as_ref().map(|s| s.basis.as_str()),
        static_heuristic: p.static_pod.as_ref().is_some_and(|s| s.heuristic),
        not_applicable: by_name(&p.not_applicable),
        below_precision: p
            .below_precision
            .iter()
            .map(|(k, b)| {
                (
                    k.as_str(),
                    json!({"raw_seconds": super::secs(b.raw_nanos), "why": b.why}),
                )
            })
            .collect(),
        excluded: by_name(&p.excluded),
    }
}

/// The `{"type":"pod",…}` record of one pod, as a value (for tests and other exporters).
pub fn pod_record(p: &PodTimeline) -> Value {
    serde_json::to_value(pod(p)).expect("plain data serialises")
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
        "absent_sources": a.absent_sources,
        "excluded_values": a.pods.iter().map(|p| p.excluded.len()).sum::<usize>(),
        "static_pods": a.pods.iter().filter(|p| p.static_pod.is_some()).count(),
        "attribution": a.attribution.iter().map(|x| json!({
            "measure": x.measure,
            "percentile": x.percentile,
            "seconds": super::secs(x.value_nanos),
            "pods": x.pods,
            "excluded": x.excluded,
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
    let all: Vec<&PodTimeline> = a.pods.iter().collect();
    write_selected(a, &all, w)
}

/// [`write`] for some pods (a drill-down, in the order given): their records, the services
/// that list one of them, and the summary of the whole run, whose `selected` says how many pod
/// records came before it (`pods` counts every pod read).
pub fn write_selected(a: &Analysis, pods: &[&PodTimeline], w: &mut dyn Write) -> io::Result<()> {
    use rayon::prelude::*;
    // Pod records are made on every core, a window at a time (memory holds one window's text,
    // not the output's), and written in order: the same bytes as one record after another.
    const CHUNK: usize = 64;
    let window = CHUNK * 4 * rayon::current_num_threads().max(1);
    for win in pods.chunks(window) {
        // A record that cannot be written stops the output where it stood, as when records
        // were written one by one: what came before it is written first.
        let texts: Vec<(Vec<u8>, Option<serde_json::Error>)> = win
            .par_chunks(CHUNK)
            .map(|chunk| {
                let mut text = Vec::new();
                for p in chunk {
                    if let Err(e) = super::escape::json(&mut text, &pod(p)) {
                        return (text, Some(e));
                    }
                    text.push(b'\n');
                }
                (text, None)
            })
            .collect();
        for (text, error) in texts {
            w.write_all(&text)?;
            if let Some(e) = error {
                return Err(e.into());
            }
        }
    }
    let every = pods.len() == a.pods.len();
    let wanted: std::collections::BTreeSet<&str> = pods
        .iter()
        .flat_map(|p| p.services.iter().map(String::as_str))
        .collect();
    for sv in a
        .services
        .iter()
        .filter(|sv| every || wanted.contains(sv.service.as_str()))
    {
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
        super::escape::json(
            &mut *w,
            &json!({"type": "service", "service": sv.service, "changes": changes}),
        )?;
        w.write_all(b"\n")?;
    }
    let mut summary = summary_record(a);
    summary["selected"] = json!(pods.len());
    super::escape::json(&mut *w, &summary)?;
    w.write_all(b"\n")
}
