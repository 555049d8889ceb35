//! Latency reports (issue 6): per-pod rows → a polars DataFrame → statistics per metric and
//! group → text, Markdown, JSON, CSV, Parquet; SLO gates ([`slo`]); charts ([`charts`]) and a
//! one-file HTML report ([`html`]); comparison of two runs ([`diff`]).
//!
//! Quantiles: linear interpolation between the closest ranks (Hyndman & Fan type 7, NumPy's and
//! polars' `Linear`): for sorted x₀…xₙ₋₁, q(p) = x⌊h⌋ + (h − ⌊h⌋)(x⌊h⌋₊₁ − x⌊h⌋) with h = (n − 1)p.
//! (The run diagnosis names a real pod per percentile and so uses nearest rank instead.)

pub mod charts;
pub mod diff;
pub mod emit;
mod glyphs;
pub mod html;
pub mod render;
pub mod slo;

use std::collections::BTreeMap;

use polars::prelude::*;
use serde::Serialize;

use crate::timeline::{Ms, PHASES, Phase, PodTimeline, by_name};

/// Metrics reported: every phase of docs/phases.md, then `startup_sli`.
pub fn metrics() -> Vec<Phase> {
    let mut m: Vec<Phase> = PHASES.iter().map(|(n, _, _)| *n).collect();
    m.push(Phase::StartupSli);
    m
}

/// The aggregates shown first and charted.
pub const AGGREGATES: [Phase; 4] = [
    Phase::StartupE2e,
    Phase::StartupSli,
    Phase::TimeToReady,
    Phase::TimeToServing,
];

/// Group dimensions, in report order (`all` is the whole run). `kind` puts static pods (started
/// by the kubelet from a manifest) in their own group, `static`, apart from `api` pods.
pub const DIMENSIONS: [&str; 8] = [
    "all",
    "node",
    "namespace",
    "owner",
    "image",
    "state",
    "init",
    "kind",
];

/// Statistics reported per (dimension, group, metric).
pub const STATS: [&str; 9] = [
    "count", "coverage", "min", "p50", "p90", "p95", "p99", "max", "mean",
];

/// One pod as a report row.
#[derive(Debug, Clone, Serialize)]
pub struct PodRow {
    pub namespace: String,
    pub name: String,
    pub uid: Option<String>,
    pub node: String,
    /// `Deployment/web`; `~` marks an owner inferred from the pod's name.
    pub owner: String,
    /// `cached`, `pulled`, `mixed` or `unknown`.
    pub image: &'static str,
    /// `stateless` (only configMap, secret, downwardAPI, projected, emptyDir volumes, as the
    /// upstream SLI defines it), `stateful`, or `unknown` (no volume line seen).
    pub state: &'static str,
    /// `with init` or `without init`.
    pub init: &'static str,
    /// `static` (started from a manifest; by name only: still `static`, the pod says so) or
    /// `api`.
    pub kind: &'static str,
    /// First milestone (UTC ns): `created`, else the earliest one.
    pub start: Option<i64>,
    pub dominant: Option<Phase>,
    /// Metric → nanoseconds: only values statistics may use.
    #[serde(serialize_with = "by_name")]
    pub values: BTreeMap<Phase, i64>,
    /// Metric → (its value as computed, why statistics leave it out).
    #[serde(serialize_with = "by_name")]
    pub excluded: BTreeMap<Phase, (i64, String)>,
    /// Milestone → UTC nanoseconds.
    #[serde(serialize_with = "by_name")]
    pub milestones: BTreeMap<Ms, i64>,
}

/// Volume plugins that keep a pod "stateless" in the upstream startup SLI's sense.
const STATELESS_PLUGINS: [&str; 5] = [
    "kubernetes.io/configmap",
    "kubernetes.io/secret",
    "kubernetes.io/downward-api",
    "kubernetes.io/projected",
    "kubernetes.io/empty-dir",
];

/// `ReplicaSet/web-7d4b9c6f5` → `Deployment/web`; no owner: inferred from the name, marked `~`.
pub fn owner_of(p: &PodTimeline) -> String {
    let is_hash = |s: &str| s.len() >= 5 && s.bytes().all(|b| b.is_ascii_alphanumeric());
    if let Some(o) = &p.owner {
        if let Some(("ReplicaSet", rs)) = o.split_once('/')
            && let Some((dep, h)) = rs.rsplit_once('-')
            && is_hash(h)
            && !dep.is_empty()
        {
            return format!("Deployment/{dep}");
        }
        return o.clone();
    }
    let parts: Vec<&str> = p.name.rsplitn(3, '-').collect();
    match parts.as_slice() {
        [suffix, hash, base]
            if suffix.len() == 5 && is_hash(suffix) && is_hash(hash) && hash.len() >= 8 =>
        {
            format!("~Deployment/{base}")
        }
        [n, base, ..] if n.bytes().all(|b| b.is_ascii_digit()) && !n.is_empty() => {
            let base = match parts.as_slice() {
                [_, b, rest] => format!("{rest}-{b}"),
                _ => (*base).to_owned(),
            };
            format!("~StatefulSet/{base}")
        }
        [suffix, base, ..] if suffix.len() == 5 && is_hash(suffix) => {
            let base = match parts.as_slice() {
                [_, b, rest] => format!("{rest}-{b}"),
                _ => (*base).to_owned(),
            };
            format!("~DaemonSet|Job/{base}")
        }
        _ => "none".to_owned(),
    }
}

pub fn row(p: &PodTimeline) -> PodRow {
    // Cached: the kubelet said "already present on machine", or the runtime's log holds the
    // container's CreateContainer and no PullImage for it (the runtime logs every pull).
    let pulled = p
        .containers
        .iter()
        .filter(|c| {
            c.milestones.contains_key(&Ms::PullFinished)
                || c.milestones.contains_key(&Ms::PullStarted)
        })
        .count();
    let cached = p
        .containers
        .iter()
        .filter(|c| {
            c.milestones.contains_key(&Ms::ImageCached)
                || (c.milestones.contains_key(&Ms::CreateStarted)
                    && !c.milestones.contains_key(&Ms::PullFinished)
                    && !c.milestones.contains_key(&Ms::PullStarted))
        })
        .count();
    let image = match (cached, pulled) {
        (0, 0) => "unknown",
        (_, 0) => "cached",
        (0, _) => "pulled",
        _ => "mixed",
    };
    let state = if p.volumes.is_empty() {
        "unknown"
    } else if p
        .volumes
        .values()
        .all(|v| STATELESS_PLUGINS.contains(&v.as_str()))
    {
        "stateless"
    } else {
        "stateful"
    };
    let metric_names = metrics();
    PodRow {
        namespace: p.namespace.clone(),
        name: p.name.clone(),
        uid: p.uid.clone(),
        node: p.node.clone().unwrap_or_else(|| "unknown".into()),
        owner: owner_of(p),
        image,
        state,
        init: if p.containers.iter().any(|c| c.init) {
            "with init"
        } else {
            "without init"
        },
        start: p
            .milestones
            .get(&Ms::Created)
            .map(|m| m.t)
            .or_else(|| p.first_time()),
        kind: if p.static_pod.is_some() {
            "static"
        } else {
            "api"
        },
        dominant: p.dominant.map(|d| d.0),
        values: p
            .phases
            .iter()
            .filter(|(k, _)| !p.excluded.contains_key(*k))
            .filter_map(|(k, v)| metric_names.contains(k).then_some((*k, *v)))
            .collect(),
        excluded: p
            .excluded
            .iter()
            .filter(|(k, _)| metric_names.contains(k))
            .filter_map(|(k, why)| p.phases.get(k).map(|v| (*k, (*v, why.clone()))))
            .collect(),
        milestones: p.milestones.iter().map(|(k, m)| (*k, m.t)).collect(),
    }
}

/// How a per-pod frame holds durations and times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Units {
    /// Int64 nanoseconds, columns named `…_ns` (Parquet: exact, typed).
    Nanos,
    /// Float64 seconds (`…_s`, written with nine decimals) and RFC 3339 UTC times (CSV: read by
    /// people and spreadsheets as much as by programs).
    Seconds,
}

/// Per-pod rows as a DataFrame: identity and group columns, the start, one column per metric,
/// then one per milestone (`at_<milestone>`); null where missing. `units` says how durations
/// and times are held, and the column names say it too (`start_ns`, `startup_e2e_ns`,
/// `at_ready_ns`, or `start`, `startup_e2e_s`, `at_ready`).
pub fn frame(rows: &[PodRow], units: Units) -> PolarsResult<DataFrame> {
    let s = |name: &str, f: &dyn Fn(&PodRow) -> String| {
        Column::new(name.into(), rows.iter().map(f).collect::<Vec<String>>())
    };
    let time = |name: &str, f: &dyn Fn(&PodRow) -> Option<i64>| match units {
        Units::Nanos => Column::new(
            format!("{name}_ns").into(),
            rows.iter().map(f).collect::<Vec<_>>(),
        ),
        Units::Seconds => Column::new(
            name.into(),
            rows.iter()
                .map(|r| f(r).map(podtrace_parsers::time::format_rfc3339_nanos))
                .collect::<Vec<Option<String>>>(),
        ),
    };
    let duration = |name: &str, f: &dyn Fn(&PodRow) -> Option<i64>| match units {
        Units::Nanos => Column::new(
            format!("{name}_ns").into(),
            rows.iter().map(f).collect::<Vec<_>>(),
        ),
        Units::Seconds => Column::new(
            format!("{name}_s").into(),
            rows.iter()
                .map(|r| f(r).map(|v| v as f64 / 1e9))
                .collect::<Vec<Option<f64>>>(),
        ),
    };
    let mut cols = vec![
        s("namespace", &|r| r.namespace.clone()),
        s("name", &|r| r.name.clone()),
        Column::new(
            "uid".into(),
            rows.iter().map(|r| r.uid.clone()).collect::<Vec<_>>(),
        ),
        s("node", &|r| r.node.clone()),
        s("owner", &|r| r.owner.clone()),
        s("image", &|r| r.image.to_owned()),
        s("state", &|r| r.state.to_owned()),
        s("init", &|r| r.init.to_owned()),
        s("kind", &|r| r.kind.to_owned()),
        time("start", &|r| r.start),
        Column::new(
            "dominant".into(),
            rows.iter()
                .map(|r| r.dominant.map(Phase::as_str))
                .collect::<Vec<Option<&str>>>(),
        ),
    ];
    for m in metrics() {
        cols.push(duration(m.as_str(), &|r| r.values.get(&m).copied()));
    }
    for m in crate::timeline::MILESTONES {
        cols.push(time(&format!("at_{m}"), &|r| r.milestones.get(&m).copied()));
    }
    DataFrame::new(rows.len(), cols)
}

/// One line of the statistics table. Durations in nanoseconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stat {
    pub dimension: &'static str,
    pub group: String,
    pub metric: Phase,
    /// Pods in the group.
    pub pods: u64,
    /// Pods with this metric (values statistics may use).
    pub count: u64,
    /// Pods whose value of this metric was left out (see the report's excluded list).
    pub excluded: u64,
    pub coverage: f64,
    pub min: Option<f64>,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
    pub mean: Option<f64>,
}

impl Stat {
    /// A statistic by its report name (`p99`, `mean`, `count`, `coverage`…).
    pub fn get(&self, stat: &str) -> Option<f64> {
        match stat {
            "count" => Some(self.count as f64),
            "excluded" => Some(self.excluded as f64),
            "coverage" => Some(self.coverage),
            "min" => self.min,
            "p50" => self.p50,
            "p90" => self.p90,
            "p95" => self.p95,
            "p99" => self.p99,
            "max" => self.max,
            "mean" => self.mean,
            _ => None,
        }
    }
}

const QUANTILES: [(&str, f64); 4] = [("p50", 0.5), ("p90", 0.9), ("p95", 0.95), ("p99", 0.99)];

/// A row's group in one dimension (as the frame's columns hold it).
pub fn group_of(r: &PodRow, dim: &str) -> String {
    match dim {
        "all" => "all".into(),
        "node" => r.node.clone(),
        "namespace" => r.namespace.clone(),
        "owner" => r.owner.clone(),
        "image" => r.image.into(),
        "state" => r.state.into(),
        "init" => r.init.into(),
        "kind" => r.kind.into(),
        _ => String::new(),
    }
}

/// Excluded values per (dimension, group, metric): one pass over the rows that have any.
fn excluded_counts(
    rows: &[PodRow],
) -> std::collections::HashMap<(&'static str, String, Phase), u64> {
    let mut m = std::collections::HashMap::new();
    for r in rows.iter().filter(|r| !r.excluded.is_empty()) {
        for dim in DIMENSIONS {
            let g = group_of(r, dim);
            for metric in r.excluded.keys() {
                *m.entry((dim, g.clone(), *metric)).or_default() += 1;
            }
        }
    }
    m
}

/// Statistics of every metric over every group of every dimension (polars group-by), with the
/// excluded values of each counted from `rows` (the frame holds only values statistics use).
pub fn stats_with_excluded(df: &DataFrame, rows: &[PodRow]) -> PolarsResult<Vec<Stat>> {
    let mut out = stats(df)?;
    let ex = excluded_counts(rows);
    if !ex.is_empty() {
        for s in &mut out {
            s.excluded = ex
                .get(&(s.dimension, s.group.clone(), s.metric))
                .copied()
                .unwrap_or(0);
        }
    }
    Ok(out)
}

/// Statistics of every metric over every group of every dimension (polars group-by).
pub fn stats(df: &DataFrame) -> PolarsResult<Vec<Stat>> {
    let ms = metrics();
    let mut out = Vec::new();
    for dim in DIMENSIONS {
        let mut lf = df.clone().lazy();
        if dim == "all" {
            lf = lf.with_column(lit("all").alias("all"));
        }
        let mut aggs = vec![len().alias("__pods")];
        for m in &ms {
            let m = m.as_str();
            // The frame's column (`startup_e2e_ns`); statistics are named by the metric.
            let c = format!("{m}_ns");
            aggs.push(col(c.as_str()).count().alias(format!("{m}__count")));
            aggs.push(
                col(c.as_str())
                    .min()
                    .cast(DataType::Float64)
                    .alias(format!("{m}__min")),
            );
            aggs.push(
                col(c.as_str())
                    .max()
                    .cast(DataType::Float64)
                    .alias(format!("{m}__max")),
            );
            aggs.push(
                col(c.as_str())
                    .cast(DataType::Float64)
                    .mean()
                    .alias(format!("{m}__mean")),
            );
            for (name, q) in QUANTILES {
                aggs.push(
                    col(c.as_str())
                        .cast(DataType::Float64)
                        .quantile(lit(q), QuantileMethod::Linear)
                        .alias(format!("{m}__{name}")),
                );
            }
        }
        let g = lf
            .group_by([col(dim)])
            .agg(aggs)
            .sort([dim], SortMultipleOptions::default())
            .collect()?;
        let groups = g.column(dim)?.str()?.clone();
        let pods = g.column("__pods")?.cast(&DataType::UInt64)?;
        let pods = pods.u64()?;
        for i in 0..g.height() {
            let group = groups.get(i).unwrap_or("").to_owned();
            let n = pods.get(i).unwrap_or(0);
            for m in &ms {
                let f = |s: &str| -> PolarsResult<Option<f64>> {
                    let c = g.column(&format!("{m}__{s}"))?.cast(&DataType::Float64)?;
                    Ok(c.f64()?.get(i))
                };
                let count = f("count")?.unwrap_or(0.0) as u64;
                out.push(Stat {
                    dimension: dim,
                    group: group.clone(),
                    metric: *m,
                    pods: n,
                    count,
                    excluded: 0,
                    coverage: if n == 0 { 0.0 } else { count as f64 / n as f64 },
                    min: f("min")?,
                    p50: f("p50")?,
                    p90: f("p90")?,
                    p95: f("p95")?,
                    p99: f("p99")?,
                    max: f("max")?,
                    mean: f("mean")?,
                });
            }
        }
    }
    Ok(out)
}

/// Everything a report shows.
#[derive(Debug, Clone)]
pub struct Report {
    pub rows: Vec<PodRow>,
    pub stats: Vec<Stat>,
    /// The slowest pods by `startup_e2e` (else `time_to_ready`), slowest first: indices in `rows`.
    pub slowest: Vec<usize>,
    /// For each of `slowest`: the longest phase within the ranking metric (never longer than it).
    pub slowest_dominant: Vec<Option<(Phase, i64)>>,
    /// Every value left out of the statistics, with its pod and reason, in pod order.
    pub excluded: Vec<ExcludedValue>,
    /// Sources the run had no line of, and what that costs (set by the caller that has the run).
    pub absent_sources: Vec<crate::AbsentSource>,
    /// What held pods back, by kind, most pods first.
    pub failures: Vec<FailureKind>,
    /// Where the time of the slowest pods (at or beyond p99 of the ranking metric) went: phase
    /// and mean share, largest first (see [`p99_shares`]).
    pub p99_shares: Vec<(Phase, f64)>,
}

/// Where the slowest pods' time went: the pods at or beyond the nearest-rank p99 of `by`, each
/// pod's phases of `by`'s span (docs/phases.md: they tile it) divided by the larger of the span
/// and their sum, as `diagnose::attribute` does for `startup_e2e` and `time_to_ready`; the mean
/// share per phase, largest first. Pods with an excluded value in the span take no part. Empty
/// for a metric that is no span (`startup_sli`).
pub fn p99_shares(pods: &[PodTimeline], by: Phase) -> Vec<(Phase, f64)> {
    use crate::timeline::diagnose::{counted, parts};
    let Some(parts) = parts(by) else {
        return Vec::new();
    };
    let mut with: Vec<(&PodTimeline, i64)> = pods
        .iter()
        .filter(|p| parts.iter().all(|ph| !p.excluded.contains_key(ph)))
        .filter_map(|p| counted(p, by).filter(|d| *d > 0).map(|d| (p, d)))
        .collect();
    if with.is_empty() {
        return Vec::new();
    }
    with.sort_by_key(|(_, d)| *d);
    let k = ((0.99 * with.len() as f64).ceil() as usize).clamp(1, with.len()) - 1;
    let slow = &with[k..];
    let mut share: BTreeMap<Phase, f64> = BTreeMap::new();
    for (p, span) in slow {
        let mine: Vec<(Phase, i64)> = parts
            .iter()
            .filter_map(|ph| p.phases.get(ph).map(|d| (*ph, *d)))
            .filter(|(_, d)| *d > 0)
            .collect();
        let whole = (*span).max(mine.iter().map(|(_, d)| d).sum()) as f64;
        for (ph, d) in mine {
            *share.entry(ph).or_default() += d as f64 / whole / slow.len() as f64;
        }
    }
    let mut out: Vec<(Phase, f64)> = share.into_iter().collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    out
}

/// One kind of trouble and the pods that had it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailureKind {
    /// `unschedulable`, `image pull failed`, `pull back-off`, `crash back-off`, `sandbox failed`,
    /// `container create failed`, `restarted`, `no ready milestone`, or an Event reason as
    /// logged (log text).
    pub kind: String,
    /// Pods with at least one.
    pub pods: usize,
    /// Reports in the logs (for `restarted`: restarts).
    pub reports: usize,
    /// Pods where a later milestone ended every one of them (None where that has no meaning).
    pub resolved: Option<usize>,
    /// A few of the pods (`namespace/name`), in pod order.
    pub examples: Vec<String>,
}

/// How many example pods a failure kind names.
pub const FAILURE_EXAMPLES: usize = 3;

/// A failure's kind: the cause as the timeline records it, with the Event reasons that mean the
/// same thing under several names (`Failed` + "Failed to pull image", `BackOff` + "Back-off
/// pulling image") told apart by their message, as `kubectl describe` readers do.
fn failure_kind(f: &crate::timeline::Failure) -> String {
    let m = f.message.to_ascii_lowercase();
    match f.cause.as_str() {
        "unschedulable" | "FailedScheduling" => "unschedulable".into(),
        "ErrImagePull" | "ErrImageNeverPull" | "InvalidImageName" => "image pull failed".into(),
        "ImagePullBackOff" => "pull back-off".into(),
        "CrashLoopBackOff" => "crash back-off".into(),
        "Failed" if m.contains("pull") => "image pull failed".into(),
        "BackOff" if m.contains("pulling image") => "pull back-off".into(),
        "BackOff" if m.contains("restarting") => "crash back-off".into(),
        "sandbox failed" | "FailedCreatePodSandBox" => "sandbox failed".into(),
        c if c.starts_with("create ") && c.ends_with(" failed") => "container create failed".into(),
        c => c.to_owned(),
    }
}

/// The failures of a run by kind: every failure the timelines hold, pods whose containers
/// restarted, and pods with no `ready` milestone when others in the run have one (a run
/// without the kubelet's log has none at all, and that is an absent source, not a failure).
pub fn failures(pods: &[PodTimeline]) -> Vec<FailureKind> {
    let mut kinds: BTreeMap<String, FailureKind> = BTreeMap::new();
    let mut add = |kind: String, pod: &PodTimeline, reports: usize, resolved: Option<bool>| {
        let k = kinds.entry(kind.clone()).or_insert_with(|| FailureKind {
            kind,
            pods: 0,
            reports: 0,
            resolved: resolved.map(|_| 0),
            examples: Vec::new(),
        });
        k.pods += 1;
        k.reports += reports;
        if let (Some(n), Some(true)) = (k.resolved.as_mut(), resolved) {
            *n += 1;
        }
        if k.examples.len() < FAILURE_EXAMPLES {
            k.examples.push(format!("{}/{}", pod.namespace, pod.name));
        }
    };
    let any_ready = pods.iter().any(|p| p.milestones.contains_key(&Ms::Ready));
    for p in pods {
        let mut mine: BTreeMap<String, (usize, bool)> = BTreeMap::new();
        for f in &p.failures {
            let e = mine.entry(failure_kind(f)).or_insert((0, true));
            e.0 += f.count.max(1);
            e.1 &= f.resolved_by.is_some();
        }
        for (kind, (reports, resolved)) in mine {
            add(kind, p, reports, Some(resolved));
        }
        let restarts: u32 = p.containers.iter().map(|c| c.restarts).sum();
        if restarts > 0 {
            add("restarted".into(), p, restarts as usize, None);
        }
        if any_ready && !p.milestones.contains_key(&Ms::Ready) {
            add("no ready milestone".into(), p, 0, None);
        }
    }
    let mut out: Vec<FailureKind> = kinds.into_values().collect();
    out.sort_by(|a, b| b.pods.cmp(&a.pods).then_with(|| a.kind.cmp(&b.kind)));
    out
}

/// A value statistics leave out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExcludedValue {
    /// `namespace/name`.
    pub pod: String,
    pub metric: Phase,
    pub nanos: i64,
    pub reason: String,
}

impl Report {
    pub fn stat(&self, dimension: &str, group: &str, metric: &str) -> Option<&Stat> {
        self.stats
            .iter()
            .find(|s| s.dimension == dimension && s.group == group && s.metric.as_str() == metric)
    }
}

/// The metric pods are ranked by for "slowest": the first aggregate most pods have.
pub fn ranking_metric(rows: &[PodRow]) -> Phase {
    [
        Phase::StartupE2e,
        Phase::TimeToReady,
        Phase::StartupSli,
        Phase::TimeToServing,
    ]
    .into_iter()
    .max_by_key(|m| rows.iter().filter(|r| r.values.contains_key(m)).count())
    .unwrap_or(Phase::StartupE2e)
}

pub fn build(pods: &[PodTimeline], top: usize) -> anyhow::Result<Report> {
    let rows: Vec<PodRow> = pods.iter().map(row).collect();
    let df = frame(&rows, Units::Nanos)?;
    let stats = stats_with_excluded(&df, &rows)?;
    let by = ranking_metric(&rows);
    let mut idx: Vec<usize> = (0..rows.len())
        .filter(|&i| rows[i].values.contains_key(&by))
        .collect();
    idx.sort_by_key(|&i| (std::cmp::Reverse(rows[i].values[&by]), rows[i].name.clone()));
    idx.truncate(top);
    let slowest_dominant = idx
        .iter()
        .map(|&i| crate::timeline::diagnose::dominant_within(&pods[i], by))
        .collect();
    let excluded = rows
        .iter()
        .flat_map(|r| {
            // A pod's values in name order, as this list always had them.
            let mut ex: Vec<_> = r.excluded.iter().collect();
            ex.sort_by_key(|(m, _)| m.as_str());
            ex.into_iter().map(|(m, (v, why))| ExcludedValue {
                pod: format!("{}/{}", r.namespace, r.name),
                metric: *m,
                nanos: *v,
                reason: why.clone(),
            })
        })
        .collect();
    let p99_shares = p99_shares(pods, by);
    Ok(Report {
        rows,
        stats,
        slowest: idx,
        slowest_dominant,
        excluded,
        absent_sources: Vec::new(),
        failures: failures(pods),
        p99_shares,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str, owner: Option<&str>) -> PodTimeline {
        PodTimeline {
            namespace: "ns".into(),
            name: name.into(),
            owner: owner.map(str::to_owned),
            ..Default::default()
        }
    }

    #[test]
    fn owners() {
        assert_eq!(
            owner_of(&pod("x", Some("ReplicaSet/web-7d4b9c6f5"))),
            "Deployment/web"
        );
        assert_eq!(
            owner_of(&pod("x", Some("StatefulSet/db"))),
            "StatefulSet/db"
        );
        assert_eq!(
            owner_of(&pod("web-api-7d4b9c6f5d-x2k9p", None)),
            "~Deployment/web-api"
        );
        assert_eq!(owner_of(&pod("db-main-12", None)), "~StatefulSet/db-main");
        assert_eq!(
            owner_of(&pod("fluentd-x2k9p", None)),
            "~DaemonSet|Job/fluentd"
        );
        assert_eq!(owner_of(&pod("standalone", None)), "none");
    }
}
