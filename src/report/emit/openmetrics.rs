//! Latency histograms in the text exposition format: `podtrace.prom`.
//!
//! One file that both parsers read the same way:
//!
//! - node_exporter's textfile collector reads `*.prom` files with the Prometheus text parser
//!   (`expfmt.TextParser`), which takes any `#` line that is not `# HELP` or `# TYPE` for a
//!   comment: OpenMetrics' `# UNIT` and `# EOF` lines pass, and so does a Pushgateway;
//! - an OpenMetrics parser needs `# EOF` last, canonical `le` values (`1.0`, not `1`), cumulative
//!   buckets ending at `+Inf` equal to `_count`, and no empty line; all hold.
//!
//! No sample carries a timestamp (the textfile collector refuses them, and the two formats write
//! them in different units). Families:
//!
//! - `podtrace_pods` (gauge): pods in the run;
//! - `podtrace_phase_duration_seconds{phase}` (histogram): every report metric (docs/phases.md's
//!   phases and `startup_sli`) over the pods that have a value statistics may use (the report's
//!   rule: negative and otherwise excluded values are left out);
//! - `podtrace_node_phase_duration_seconds{node,phase}` (histogram): the same per node, for the
//!   pods whose node is known.
//!
//! Buckets, seconds: 0.01 to 600, dense around the upstream startup SLO's 5 s. Sums are exact
//! to the nanosecond before the one division to seconds. Label values come from logs: `\`, `"`
//! and newlines are escaped as the format says; other control, bidirectional and line-separator
//! characters, which the format has no escape for, become podtrace's visible escapes (`\x1b`),
//! so the file is safe in a terminal and parses everywhere.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use super::Written;
use crate::report::{PodRow, metrics, row};
use crate::timeline::{Phase, PodTimeline};

/// Upper bounds of the buckets, nanoseconds (then `+Inf`).
pub const BUCKETS_NS: [i64; 16] = [
    10_000_000,
    25_000_000,
    50_000_000,
    100_000_000,
    250_000_000,
    500_000_000,
    1_000_000_000,
    2_500_000_000,
    5_000_000_000,
    10_000_000_000,
    15_000_000_000,
    30_000_000_000,
    60_000_000_000,
    120_000_000_000,
    300_000_000_000,
    600_000_000_000,
];

/// A histogram's counts: per finite bucket (not cumulative yet), the count and the sum (ns).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Histogram {
    pub buckets: [u64; 16],
    pub count: u64,
    pub sum_ns: i128,
}

impl Histogram {
    pub fn observe(&mut self, ns: i64) {
        if let Some(i) = BUCKETS_NS.iter().position(|&le| ns <= le) {
            self.buckets[i] += 1;
        }
        self.count += 1;
        self.sum_ns += i128::from(ns);
    }

    /// Cumulative counts, `le` order, then `+Inf` (= `count`).
    pub fn cumulative(&self) -> Vec<u64> {
        let mut acc = 0;
        let mut out: Vec<u64> = self
            .buckets
            .iter()
            .map(|b| {
                acc += b;
                acc
            })
            .collect();
        out.push(self.count);
        out
    }
}

/// `le` as OpenMetrics' canonical form wants it (Go's and Python's shortest float, `1.0`).
pub fn le(ns: i64) -> String {
    format!("{:?}", ns as f64 / 1e9)
}

/// A label value as the exposition format escapes it (`\\`, `\"`, `\n`), with the characters it
/// has no escape for written as podtrace's visible escapes.
pub fn label_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str(r"\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str(r"\n"),
            c if crate::export::escape::is_hazard(c) => {
                let mut shown = String::new();
                crate::export::escape::push_escaped(c, &mut shown);
                // Its backslash is a literal one in the value.
                out.push_str(&shown.replace('\\', r"\\"));
            }
            c => out.push(c),
        }
    }
    out
}

/// Seconds from nanoseconds for `_sum`: the shortest decimal that reads back.
fn seconds(ns: i128) -> String {
    let s = ns as f64 / 1e9;
    if s == s.trunc() {
        format!("{s:?}")
    } else {
        s.to_string()
    }
}

/// The histograms: per phase, and per (node, phase).
#[allow(clippy::type_complexity)]
pub fn histograms(
    rows: &[PodRow],
    pods_: &[PodTimeline],
) -> (
    BTreeMap<Phase, Histogram>,
    BTreeMap<(String, Phase), Histogram>,
) {
    let mut all: BTreeMap<Phase, Histogram> = BTreeMap::new();
    let mut per_node: BTreeMap<(String, Phase), Histogram> = BTreeMap::new();
    for (r, p) in rows.iter().zip(pods_) {
        for (m, v) in &r.values {
            all.entry(*m).or_default().observe(*v);
            if let Some(node) = &p.node {
                per_node.entry((node.clone(), *m)).or_default().observe(*v);
            }
        }
    }
    (all, per_node)
}

fn family(out: &mut String, name: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} histogram");
    let _ = writeln!(out, "# UNIT {name} seconds");
}

fn series(out: &mut String, name: &str, labels: &str, h: &Histogram) {
    for (i, c) in h.cumulative().into_iter().enumerate() {
        let bound = BUCKETS_NS
            .get(i)
            .map_or_else(|| "+Inf".to_owned(), |&b| le(b));
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{bound}\"}} {c}");
    }
    let _ = writeln!(out, "{name}_sum{{{labels}}} {}", seconds(h.sum_ns));
    let _ = writeln!(out, "{name}_count{{{labels}}} {}", h.count);
}

/// The whole exposition.
pub fn exposition(pods_: &[PodTimeline]) -> String {
    let rows: Vec<PodRow> = pods_.iter().map(row).collect();
    let (all, per_node) = histograms(&rows, pods_);
    let mut out = String::new();
    out.push_str("# HELP podtrace_pods Pods whose startup podtrace rebuilt from the logs.\n");
    out.push_str("# TYPE podtrace_pods gauge\n");
    let _ = writeln!(out, "podtrace_pods {}", pods_.len());
    let order = metrics();
    let name = "podtrace_phase_duration_seconds";
    family(
        &mut out,
        name,
        "Pod startup phases (docs/phases.md) over the run's pods, from their logs.",
    );
    for m in &order {
        if let Some(h) = all.get(m) {
            series(&mut out, name, &format!("phase=\"{}\"", m.as_str()), h);
        }
    }
    let name = "podtrace_node_phase_duration_seconds";
    family(
        &mut out,
        name,
        "Pod startup phases (docs/phases.md) per node, over the pods whose node is known.",
    );
    for ((node, m), h) in &per_node {
        series(
            &mut out,
            name,
            &format!("node=\"{}\",phase=\"{}\"", label_value(node), m.as_str()),
            h,
        );
    }
    out.push_str("# EOF\n");
    out
}

/// `podtrace.prom` in `dir`.
pub fn write(pods_: &[PodTimeline], dir: &Path) -> anyhow::Result<Written> {
    let p = dir.join("podtrace.prom");
    super::write_file(&p, exposition(pods_).as_bytes())?;
    Ok(Written {
        files: vec![p],
        notes: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_le() {
        assert_eq!(le(10_000_000), "0.01");
        assert_eq!(le(1_000_000_000), "1.0");
        assert_eq!(le(2_500_000_000), "2.5");
        assert_eq!(le(600_000_000_000), "600.0");
    }

    #[test]
    fn label_values_escaped() {
        assert_eq!(
            label_value("a\\b\"c\nd\u{1b}[31m\u{202e}"),
            r#"a\\b\"c\nd\\x1b[31m\\u{202e}"#
        );
    }

    #[test]
    fn buckets_cumulate_to_count() {
        let mut h = Histogram::default();
        for ns in [5_000_000, 10_000_000, 10_000_001, 700_000_000_000] {
            h.observe(ns);
        }
        let c = h.cumulative();
        assert_eq!(c[0], 2); // le 0.01 takes 5 ms and exactly 10 ms
        assert_eq!(c[1], 3);
        assert_eq!(c[15], 3); // 700 s is above 600
        assert_eq!(c[16], 4);
        assert_eq!(h.sum_ns, 700_025_000_001);
        assert_eq!(seconds(h.sum_ns), "700.025000001");
        assert_eq!(seconds(2_000_000_000), "2.0");
    }
}
