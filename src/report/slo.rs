//! SLO gates: `metric:stat<=duration` expressions, the upstream default by name, and threshold
//! files in kube-burner's and clusterloader2's forms, checked against the run's statistics.

use serde::Serialize;

use super::{Report, metrics};
use crate::timeline::Phase;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gate {
    pub metric: Phase,
    pub stat: String,
    /// `<=` or `<`.
    pub op: &'static str,
    /// Nanoseconds (or a plain number for `count`/`coverage`).
    pub threshold: f64,
    /// Where the gate came from (`--slo`, a file and entry).
    pub origin: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub gate: Gate,
    /// The measured value (ns); None when the run has no data for it.
    pub value: Option<f64>,
    pub coverage: f64,
    pub pass: bool,
    /// `p99 of startup_sli is 6.210 s, 1.210 s over 5 s`.
    pub message: String,
}

const REPORT_STATS: [&str; 7] = ["min", "p50", "p90", "p95", "p99", "max", "mean"];

/// A report metric by its name: a phase that reports compute statistics for (not, say, a
/// container's `image_pull`).
fn parse_metric(name: &str) -> Option<Phase> {
    name.parse::<Phase>().ok().filter(|m| metrics().contains(m))
}

/// `250ms`, `5s`, `2m`, `1h`, `1.5s`, `100us`, `10ns` → nanoseconds.
pub fn parse_duration_ns(s: &str) -> Result<f64, String> {
    crate::units::parse_duration(s).map(|d| d.as_nanos() as f64)
}

/// `startup_sli:p99<=5s`, `time_to_ready:p90<2s`, `scheduling:max<=100ms`, or a name:
/// `upstream` (the upstream pod startup SLO: startup_sli p99 ≤ 5 s).
pub fn parse_gate(s: &str) -> Result<Gate, String> {
    let t = s.trim();
    if t == "upstream" || t == "default" {
        return Ok(Gate {
            metric: Phase::StartupSli,
            stat: "p99".into(),
            op: "<=",
            threshold: 5e9,
            origin: format!("--slo {t} (upstream pod startup SLO)"),
        });
    }
    let (metric, rest) = t.split_once(':').ok_or_else(|| {
        format!("{s:?}: expected METRIC:STAT<=DURATION, e.g. startup_sli:p99<=5s")
    })?;
    let (stat, op, value) = if let Some((a, b)) = rest.split_once("<=") {
        (a, "<=", b)
    } else if let Some((a, b)) = rest.split_once('<') {
        (a, "<", b)
    } else {
        return Err(format!("{s:?}: expected <= or < after the statistic"));
    };
    let metric = metric.trim();
    let stat = stat.trim().to_ascii_lowercase();
    let Some(metric) = parse_metric(metric) else {
        let names: Vec<&str> = metrics().into_iter().map(Phase::as_str).collect();
        return Err(format!(
            "{s:?}: unknown metric {metric:?} (one of: {})",
            names.join(", ")
        ));
    };
    let threshold = match stat.as_str() {
        "count" | "coverage" => value
            .trim()
            .parse::<f64>()
            .map_err(|e| format!("{s:?}: {e}"))?,
        st if REPORT_STATS.contains(&st) => parse_duration_ns(value)?,
        _ => {
            return Err(format!(
                "{s:?}: unknown statistic {stat:?} (min, p50, p90, p95, p99, max, mean)"
            ));
        }
    };
    Ok(Gate {
        metric,
        stat,
        op,
        threshold,
        origin: format!("--slo {t}"),
    })
}

/// A kube-burner condition type → the metric (docs/phases.md) measuring the same interval (kube-burner
/// measures each condition from the pod's creation).
fn kube_burner_metric(condition: &str) -> Result<Phase, String> {
    Ok(match condition {
        "PodScheduled" => Phase::Scheduling,
        "ContainersReady" | "Ready" => Phase::TimeToReady,
        "PodReadyToStartContainers" | "Initialized" => {
            return Err(format!(
                "conditionType {condition}: no podtrace phase measures it; use scheduling, startup_e2e or time_to_ready"
            ));
        }
        other => return Err(format!("unknown conditionType {other:?}")),
    })
}

fn yaml_str(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A duration as these files write it: `5s`, `2m`, or a bare number of seconds (kube-burner
/// also accepts Go durations such as `1m30s`).
fn file_duration(v: &serde_json::Value, what: &str) -> Result<f64, String> {
    let s = yaml_str(v).ok_or_else(|| format!("{what}: expected a duration"))?;
    if let Ok(secs) = s.trim().parse::<f64>() {
        return Ok(secs * 1e9);
    }
    podtrace_parsers::time::parse_go_duration(s.trim())
        .map(|n| n as f64)
        .ok_or_else(|| format!("{what}: {s:?} is not a duration"))
}

/// Gates from a thresholds file (YAML or JSON), in either form:
///
/// - kube-burner: a list (or `thresholds:` / `podLatency.thresholds` / `measurements[].thresholds`)
///   of `{conditionType, metric: P99|P95|P50|Avg|Max, threshold}`;
/// - clusterloader2: `threshold` (p99), `perc50Threshold`, `perc90Threshold`, `perc99Threshold`
///   for the pod startup SLI (optionally under `Params:`/`params:`), with an optional `metric`.
pub fn parse_file(text: &str, origin: &str) -> Result<Vec<Gate>, String> {
    let doc: serde_json::Value =
        serde_norway::from_str(text).map_err(|e| format!("{origin}: not YAML or JSON: {e}"))?;
    let mut gates = Vec::new();
    let mut kb_lists: Vec<&serde_json::Value> = Vec::new();
    fn find_lists<'a>(v: &'a serde_json::Value, out: &mut Vec<&'a serde_json::Value>) {
        match v {
            serde_json::Value::Array(a) => {
                if a.iter().any(|e| e.get("conditionType").is_some()) {
                    out.push(v);
                } else {
                    for e in a {
                        find_lists(e, out);
                    }
                }
            }
            serde_json::Value::Object(o) => {
                for (_, e) in o {
                    find_lists(e, out);
                }
            }
            _ => {}
        }
    }
    find_lists(&doc, &mut kb_lists);
    for list in kb_lists {
        for (k, e) in list.as_array().into_iter().flatten().enumerate() {
            let where_ = format!("{origin}: threshold {}", k + 1);
            let cond = e
                .get("conditionType")
                .and_then(yaml_str)
                .ok_or_else(|| format!("{where_}: conditionType missing"))?;
            let metric = kube_burner_metric(&cond).map_err(|m| format!("{where_}: {m}"))?;
            let stat = match e.get("metric").and_then(yaml_str).as_deref() {
                Some("P99") => "p99",
                Some("P95") => "p95",
                Some("P90") => "p90",
                Some("P50") => "p50",
                Some("Avg") => "mean",
                Some("Max") => "max",
                other => {
                    return Err(format!(
                        "{where_}: metric {other:?} (P99, P95, P50, Avg, Max)"
                    ));
                }
            };
            let threshold = file_duration(
                e.get("threshold")
                    .ok_or_else(|| format!("{where_}: threshold missing"))?,
                &where_,
            )?;
            gates.push(Gate {
                metric,
                stat: stat.into(),
                op: "<=",
                threshold,
                origin: format!("{where_} (kube-burner {cond} {stat})"),
            });
        }
    }
    // clusterloader2: the keys anywhere in the document's top level or under params.
    let scopes: Vec<&serde_json::Value> = [Some(&doc), doc.get("Params"), doc.get("params")]
        .into_iter()
        .flatten()
        .collect();
    for scope in scopes {
        let metric = match scope.get("metric").and_then(yaml_str) {
            Some(m) => parse_metric(&m).ok_or_else(|| format!("{origin}: unknown metric {m:?}"))?,
            None => Phase::StartupSli,
        };
        for (key, stat) in [
            ("threshold", "p99"),
            ("perc99Threshold", "p99"),
            ("perc90Threshold", "p90"),
            ("perc50Threshold", "p50"),
        ] {
            if let Some(v) = scope.get(key)
                && !v.is_object()
                && !v.is_array()
            {
                let threshold = file_duration(v, &format!("{origin}: {key}"))?;
                gates.push(Gate {
                    metric,
                    stat: stat.into(),
                    op: "<=",
                    threshold,
                    origin: format!("{origin}: {key} (clusterloader2)"),
                });
            }
        }
    }
    if gates.is_empty() {
        return Err(format!(
            "{origin}: no thresholds found (kube-burner conditionType/metric/threshold or clusterloader2 threshold/perc*Threshold)"
        ));
    }
    Ok(gates)
}

fn human(stat: &str, v: f64) -> String {
    match stat {
        "count" => format!("{v}"),
        "coverage" => format!("{:.1} %", v * 100.0),
        _ => super::render::dur(v),
    }
}

/// Checks every gate on the `all` group. A gate whose metric covers fewer than `min_coverage`
/// of the pods fails: too thin to judge.
pub fn check(report: &Report, gates: &[Gate], min_coverage: f64) -> Vec<Verdict> {
    gates
        .iter()
        .map(|g| {
            let st = report.stat("all", "all", g.metric.as_str());
            let coverage = st.map_or(0.0, |s| s.coverage);
            let value = st.and_then(|s| s.get(&g.stat));
            let (pass, message) = match value {
                None => (
                    false,
                    format!("{} of {}: missing (no pod has it)", g.stat, g.metric),
                ),
                Some(_) if coverage < min_coverage => (
                    false,
                    format!(
                        "{} of {}: only {:.1} % of pods have it, below --min-coverage {:.1} %",
                        g.stat,
                        g.metric,
                        coverage * 100.0,
                        min_coverage * 100.0
                    ),
                ),
                Some(v) => {
                    let ok = if g.op == "<" {
                        v < g.threshold
                    } else {
                        v <= g.threshold
                    };
                    let rel = if ok {
                        format!("{} under", human(&g.stat, g.threshold - v))
                    } else {
                        format!("{} over", human(&g.stat, v - g.threshold))
                    };
                    (
                        ok,
                        format!(
                            "{} of {} is {}, {rel} {} {}",
                            g.stat,
                            g.metric,
                            human(&g.stat, v),
                            g.op,
                            human(&g.stat, g.threshold)
                        ),
                    )
                }
            };
            Verdict {
                gate: g.clone(),
                value,
                coverage,
                pass,
                message,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gate_expressions() {
        let g = parse_gate("startup_sli:p99<=5s").unwrap();
        assert_eq!(
            (g.metric.as_str(), g.stat.as_str(), g.op, g.threshold),
            ("startup_sli", "p99", "<=", 5e9)
        );
        let g = parse_gate("scheduling:max<250ms").unwrap();
        assert_eq!((g.op, g.threshold), ("<", 250e6));
        assert_eq!(
            parse_gate("time_to_ready:p90<=2m").unwrap().threshold,
            120e9
        );
        assert_eq!(
            parse_gate("time_to_ready:mean<=1h").unwrap().threshold,
            3600e9
        );
        assert_eq!(
            parse_gate("upstream").unwrap(),
            Gate {
                origin: "--slo upstream (upstream pod startup SLO)".into(),
                ..parse_gate("startup_sli:p99<=5s").unwrap()
            }
        );
        assert!(
            parse_gate("nope:p99<=5s")
                .unwrap_err()
                .contains("unknown metric")
        );
        assert!(
            parse_gate("startup_sli:p42<=5s")
                .unwrap_err()
                .contains("unknown statistic")
        );
        assert!(parse_gate("startup_sli:p99>=5s").is_err());
        assert!(
            parse_gate("startup_sli:p99<=5")
                .unwrap_err()
                .contains("unit")
        );
    }

    #[test]
    fn kube_burner_file() {
        let y = "
- conditionType: Ready
  metric: P99
  threshold: 2s
- conditionType: PodScheduled
  metric: Avg
  threshold: 500ms
";
        let g = parse_file(y, "kb.yml").unwrap();
        assert_eq!(g.len(), 2);
        assert_eq!(
            (g[0].metric.as_str(), g[0].stat.as_str(), g[0].threshold),
            ("time_to_ready", "p99", 2e9)
        );
        assert_eq!(
            (g[1].metric.as_str(), g[1].stat.as_str(), g[1].threshold),
            ("scheduling", "mean", 5e8)
        );
        // Nested as in a kube-burner job file.
        let nested = "
global:
  measurements:
    - name: podLatency
      thresholds:
        - conditionType: ContainersReady
          metric: P95
          threshold: 1m30s
";
        let g = parse_file(nested, "job.yml").unwrap();
        assert_eq!(
            (g[0].metric.as_str(), g[0].stat.as_str(), g[0].threshold),
            ("time_to_ready", "p95", 90e9)
        );
        assert!(
            parse_file(
                "- conditionType: Initialized\n  metric: P99\n  threshold: 1s\n",
                "x"
            )
            .is_err()
        );
    }

    #[test]
    fn clusterloader2_file() {
        let y = "threshold: 5s\nperc50Threshold: 1s\nperc90Threshold: 3s\n";
        let g = parse_file(y, "cl2.yaml").unwrap();
        let got: Vec<(&str, &str, f64)> = g
            .iter()
            .map(|g| (g.metric.as_str(), g.stat.as_str(), g.threshold))
            .collect();
        assert_eq!(
            got,
            vec![
                ("startup_sli", "p99", 5e9),
                ("startup_sli", "p90", 3e9),
                ("startup_sli", "p50", 1e9)
            ]
        );
        let j = r#"{"Params": {"metric": "time_to_ready", "perc99Threshold": "10s"}}"#;
        let g = parse_file(j, "cl2.json").unwrap();
        assert_eq!(
            (g[0].metric.as_str(), g[0].stat.as_str(), g[0].threshold),
            ("time_to_ready", "p99", 10e9)
        );
        assert!(
            parse_file("foo: 1\n", "empty.yaml")
                .unwrap_err()
                .contains("no thresholds")
        );
    }
}
