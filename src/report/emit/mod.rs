//! `report --emit KIND=DIR`: the files that the load-testing ecosystem's own dashboards read,
//! written from podtrace's timelines so a team already running kube-burner or clusterloader2
//! (or scraping Prometheus) can put podtrace's numbers beside theirs.
//!
//! - [`kube_burner`]: `podLatencyMeasurement-<job>.json` and
//!   `podLatencyQuantilesMeasurement-<job>.json`, as kube-burner's local indexer writes them;
//! - [`cl2`]: clusterloader2's `PodStartupLatency` summaries (all, `Stateless`, `Stateful`) and
//!   `NetworkProgrammingLatency`, named as its report directory holds them for perfdash;
//! - [`openmetrics`]: latency histograms per phase and per node and phase, for node_exporter's
//!   textfile collector, a Pushgateway or any OpenMetrics reader.
//!
//! Every file is a function of the analysis only (no clock, no randomness): the same bundle gives
//! the same bytes, wherever it sits.

pub mod cl2;
pub mod kube_burner;
pub mod openmetrics;

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::timeline::{Ms, PodTimeline};

/// A family of files `--emit` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    KubeBurner,
    Cl2,
    OpenMetrics,
}

impl Kind {
    pub const NAMES: [&'static str; 3] = ["kube-burner", "cl2", "openmetrics"];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::KubeBurner => "kube-burner",
            Kind::Cl2 => "cl2",
            Kind::OpenMetrics => "openmetrics",
        }
    }
}

/// One `--emit KIND=DIR`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub kind: Kind,
    pub dir: PathBuf,
}

/// Parses `KIND=DIR`. One token, not two values: `report` takes input paths as positional
/// arguments, and `--emit cl2 out bundle/` would read as a kind, a directory and an input only
/// by counting; `cl2=out` cannot be misread (the way `--slo` takes `METRIC:STAT<=D`).
pub fn parse_target(s: &str) -> Result<Target, String> {
    let Some((kind, dir)) = s.split_once('=') else {
        return Err(format!(
            "expected KIND=DIR with KIND one of {}, e.g. `kube-burner=out/kb`",
            Kind::NAMES.join(", ")
        ));
    };
    let kind = match kind {
        "kube-burner" | "kubeburner" => Kind::KubeBurner,
        "cl2" | "clusterloader2" => Kind::Cl2,
        "openmetrics" | "prometheus" => Kind::OpenMetrics,
        other => {
            return Err(format!(
                "unknown kind {other:?}: one of {}",
                Kind::NAMES.join(", ")
            ));
        }
    };
    if dir.is_empty() {
        return Err(format!("{}= needs a directory", kind.as_str()));
    }
    Ok(Target {
        kind,
        dir: PathBuf::from(dir),
    })
}

/// A job name goes into file names (`podLatencyMeasurement-<job>.json`, CL2's `_<test>_`): one
/// path component, no separator that would split CL2's `_`-joined names differently.
fn parse_job(s: &str) -> Result<String, String> {
    if s.is_empty() || s.contains(['/', '\\', '\0']) || s == "." || s == ".." {
        return Err(format!("{s:?} cannot be part of a file name"));
    }
    if s.contains('_') {
        return Err(format!(
            "{s:?}: clusterloader2 and perfdash split file names on `_`; use `-` instead"
        ));
    }
    Ok(s.to_owned())
}

/// The `--emit` options of `report`.
#[derive(Debug, Clone, clap::Args)]
pub struct EmitArgs {
    /// Also write the files another tool reads into DIR (created if needed): `kube-burner=DIR`
    /// (podLatency measurement and quantiles, as kube-burner's local indexer writes them),
    /// `cl2=DIR` (clusterloader2's PodStartupLatency and NetworkProgrammingLatency summaries, for
    /// perfdash), `openmetrics=DIR` (histograms per phase and node, for node_exporter's textfile
    /// collector or a Pushgateway). Repeatable.
    #[arg(long = "emit", value_name = "KIND=DIR", value_parser = parse_target)]
    pub targets: Vec<Target>,
    /// The job (kube-burner `jobName`, clusterloader2 test name) the emitted files name.
    #[arg(long, value_name = "NAME", default_value = "podtrace", value_parser = parse_job)]
    pub job: String,
    /// The kube-burner `uuid` of the run. Default: a name-based UUID (v5) of the pods found, the
    /// same for the same bundle wherever it is read.
    #[arg(long, value_name = "UUID")]
    pub uuid: Option<String>,
}

/// What the emitters share: the run's identity and its end.
#[derive(Debug, Clone)]
pub struct Run {
    pub job: String,
    pub uuid: String,
    /// The latest milestone of any pod (UTC ns): when a live tool would have stopped measuring,
    /// and what summaries are stamped with instead of the time podtrace ran.
    pub end: i64,
}

impl Run {
    pub fn new(pods: &[PodTimeline], job: &str, uuid: Option<&str>) -> Run {
        Run {
            job: job.to_owned(),
            uuid: uuid.map_or_else(|| run_uuid(pods), str::to_owned),
            end: pods
                .iter()
                .flat_map(|p| p.milestones.values().map(|m| m.t))
                .max()
                .unwrap_or(0),
        }
    }
}

/// A UUID (v5, SHA-1 in the URL namespace) of `podtrace-run:` followed by one line per pod,
/// `namespace/name uid created_ns`, sorted: the same bundle gives the same uuid wherever it is
/// read, two bundles with different pods give different ones.
pub fn run_uuid(pods: &[PodTimeline]) -> String {
    let mut lines: Vec<String> = pods
        .iter()
        .map(|p| {
            format!(
                "{}/{} {} {}",
                p.namespace,
                p.name,
                p.uid.as_deref().unwrap_or("-"),
                p.milestones
                    .get(&Ms::Created)
                    .map_or_else(|| "-".to_owned(), |m| m.t.to_string())
            )
        })
        .collect();
    lines.sort();
    let name = format!("podtrace-run:\n{}", lines.join("\n"));
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, name.as_bytes()).to_string()
}

/// Go's `time.Time` JSON form for a UTC time: RFC 3339 with up to nine fractional digits, trailing
/// zeros dropped (`time.RFC3339Nano`), `Z`.
pub fn go_time_nanos(t: i64) -> String {
    let s = podtrace_parsers::time::format_rfc3339_nanos(t);
    // `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`
    match s.split_once('.') {
        Some((secs, frac)) => {
            let digits = frac.trim_end_matches('Z').trim_end_matches('0');
            if digits.is_empty() {
                format!("{secs}Z")
            } else {
                format!("{secs}.{digits}Z")
            }
        }
        None => s,
    }
}

/// Go's `time.RFC3339` for a UTC time: whole seconds, `Z`.
pub fn go_time_secs(t: i64) -> String {
    let s = go_time_nanos(t);
    match s.split_once('.') {
        Some((secs, _)) => format!("{secs}Z"),
        None => s,
    }
}

/// A Go `float64` as `encoding/json` writes it for the values these files hold: the shortest
/// decimal that reads back, without exponent (Rust's `Display` for `f64` is exactly that).
pub fn go_float(v: f64) -> String {
    if v.is_finite() {
        v.to_string()
    } else {
        "0".into()
    }
}

/// Writes one emitted file: created fresh, an error names it with the OS error.
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut f = std::fs::File::create(path)
        .map_err(|e| anyhow::anyhow!("creating {}: {e}", shown(path)))?;
    f.write_all(bytes)
        .and_then(|()| f.flush())
        .map_err(|e| anyhow::anyhow!("writing {}: {e}", shown(path)))
}

/// A path for messages, control characters escaped (paths can come from anywhere).
pub fn shown(p: &Path) -> String {
    crate::export::escape::escape(&p.display().to_string()).into_owned()
}

/// Writes every `--emit` target and says on `err` what was written and what was left out.
pub fn write_all(args: &EmitArgs, pods: &[PodTimeline], err: &mut dyn Write) -> anyhow::Result<()> {
    if args.targets.is_empty() {
        return Ok(());
    }
    let run = Run::new(pods, &args.job, args.uuid.as_deref());
    for t in &args.targets {
        std::fs::create_dir_all(&t.dir)
            .map_err(|e| anyhow::anyhow!("creating {}: {e}", shown(&t.dir)))?;
        let written = match t.kind {
            Kind::KubeBurner => kube_burner::write(pods, &run, &t.dir)?,
            Kind::Cl2 => cl2::write(pods, &run, &t.dir)?,
            Kind::OpenMetrics => openmetrics::write(pods, &t.dir)?,
        };
        let names: Vec<String> = written
            .files
            .iter()
            .filter_map(|p| p.file_name())
            .map(|n| shown(Path::new(n)))
            .collect();
        writeln!(
            err,
            "podtrace: wrote {} {} file{} to {}: {}",
            names.len(),
            t.kind.as_str(),
            if names.len() == 1 { "" } else { "s" },
            shown(&t.dir),
            names.join(", ")
        )?;
        for note in &written.notes {
            writeln!(err, "podtrace: {}: {note}", t.kind.as_str())?;
        }
    }
    Ok(())
}

/// What an emitter wrote, and what it left out and why (said on stderr).
#[derive(Debug, Default)]
pub struct Written {
    pub files: Vec<PathBuf>,
    pub notes: Vec<String>,
}

/// Nanoseconds between two milestones of a pod, when both are present.
pub(crate) fn between(p: &PodTimeline, from: Ms, to: Ms) -> Option<i64> {
    Some(p.milestones.get(&to)?.t - p.milestones.get(&from)?.t)
}

/// `n pod` / `n pods`.
pub(crate) fn pods(n: usize) -> String {
    format!("{n} pod{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(
            parse_target("kube-burner=out/kb").unwrap(),
            Target {
                kind: Kind::KubeBurner,
                dir: "out/kb".into()
            }
        );
        assert_eq!(parse_target("cl2=a=b").unwrap().dir, PathBuf::from("a=b"));
        assert!(parse_target("cl2").unwrap_err().contains("KIND=DIR"));
        assert!(
            parse_target("grafana=x")
                .unwrap_err()
                .contains("unknown kind")
        );
        assert!(parse_target("openmetrics=").is_err());
        assert!(parse_job("a/b").is_err());
        assert!(parse_job("pod_density").is_err());
        assert_eq!(parse_job("node-density").unwrap(), "node-density");
    }

    #[test]
    fn go_times() {
        // 2024-11-29T10:15:00.131877Z, then whole seconds and full nanoseconds.
        let t = 1_732_875_300_131_877_000;
        assert_eq!(go_time_nanos(t), "2024-11-29T10:15:00.131877Z");
        assert_eq!(go_time_secs(t), "2024-11-29T10:15:00Z");
        assert_eq!(
            go_time_nanos(1_732_875_300_000_000_000),
            "2024-11-29T10:15:00Z"
        );
        assert_eq!(
            go_time_nanos(1_732_875_300_000_000_001),
            "2024-11-29T10:15:00.000000001Z"
        );
        assert_eq!(go_float(5000.0), "5000");
        assert_eq!(go_float(0.000001), "0.000001");
        assert_eq!(go_float(12.141), "12.141");
    }
}
