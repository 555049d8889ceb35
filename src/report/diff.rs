//! Comparing two runs: per metric and group, the p50/p90/p99 of each run, their difference with
//! a 95 % bootstrap confidence interval, and a Mann–Whitney U test of the two distributions.
//!
//! Bootstrap: 1,000 resamples of each run (with replacement, SplitMix64 seeded from the data
//! sizes, so the same inputs give the same intervals), percentile interval of the differences of
//! type-7 quantiles. A percentile's change is significant when its interval excludes 0. The
//! Mann–Whitney U test (normal approximation, tie and continuity corrected, two-sided) says
//! whether the distributions differ as a whole; a change in the tail alone (say p99 from a few
//! slow pods) can be significant while U is not. The whole run is compared for every phase; the
//! groups (node, owner…) for the four aggregates.

use std::io::Write;

use serde::Serialize;

use super::{DIMENSIONS, PodRow, metrics};
use crate::simulate::Rng;
use crate::timeline::Phase;

pub const RESAMPLES: usize = 1000;

/// Type-7 quantile of sorted values.
pub fn quantile_sorted(v: &[f64], p: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let h = (v.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(v.len() - 1);
    Some(v[lo] + (h - lo as f64) * (v[hi] - v[lo]))
}

/// Mann–Whitney U (of `a`) and its two-sided p-value (normal approximation, tie and continuity
/// corrected). None when either side is empty.
pub fn mann_whitney(a: &[f64], b: &[f64]) -> Option<(f64, f64)> {
    let (n1, n2) = (a.len(), b.len());
    if n1 == 0 || n2 == 0 {
        return None;
    }
    let mut all: Vec<(f64, bool)> = a
        .iter()
        .map(|x| (*x, true))
        .chain(b.iter().map(|x| (*x, false)))
        .collect();
    all.sort_by(|x, y| x.0.total_cmp(&y.0));
    let n = all.len();
    let mut rank_a = 0.0;
    let mut ties = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        let r = (i + j) as f64 / 2.0 + 1.0; // average rank, 1-based
        let t = (j - i + 1) as f64;
        ties += t * t * t - t;
        rank_a += all[i..=j].iter().filter(|x| x.1).count() as f64 * r;
        i = j + 1;
    }
    let (n1f, n2f, nf) = (n1 as f64, n2 as f64, n as f64);
    let u = rank_a - n1f * (n1f + 1.0) / 2.0;
    let mu = n1f * n2f / 2.0;
    let sigma2 = n1f * n2f / 12.0 * ((nf + 1.0) - ties / (nf * (nf - 1.0)).max(1.0));
    if sigma2 <= 0.0 {
        return Some((u, 1.0));
    }
    let z = ((u - mu).abs() - 0.5).max(0.0) / sigma2.sqrt();
    Some((u, (2.0 * normal_sf(z)).min(1.0)))
}

/// Upper tail of the standard normal: ½·erfc(z/√2), erfc by W. J. Cody's rational
/// approximation as in Numerical Recipes' `erfcc` (|error| < 1.2e-7).
fn normal_sf(z: f64) -> f64 {
    let x = z / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.5 * x.abs());
    let y = t
        * (-x * x - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    let erfc = if x >= 0.0 { y } else { 2.0 - y };
    erfc / 2.0
}

/// 95 % bootstrap intervals of quantile(after, p) − quantile(before, p), for each p, from the
/// same resamples.
pub fn bootstrap_ci(
    before: &[f64],
    after: &[f64],
    ps: &[f64],
    rng: &mut Rng,
) -> Option<Vec<(f64, f64)>> {
    if before.is_empty() || after.is_empty() {
        return None;
    }
    let mut diffs = vec![Vec::with_capacity(RESAMPLES); ps.len()];
    let mut sb = vec![0.0; before.len()];
    let mut sa = vec![0.0; after.len()];
    for _ in 0..RESAMPLES {
        for x in sb.iter_mut() {
            *x = before[(rng.next_u64() % before.len() as u64) as usize];
        }
        for x in sa.iter_mut() {
            *x = after[(rng.next_u64() % after.len() as u64) as usize];
        }
        sb.sort_unstable_by(f64::total_cmp);
        sa.sort_unstable_by(f64::total_cmp);
        for (d, p) in diffs.iter_mut().zip(ps) {
            d.push(quantile_sorted(&sa, *p)? - quantile_sorted(&sb, *p)?);
        }
    }
    diffs
        .iter_mut()
        .map(|d| {
            d.sort_unstable_by(f64::total_cmp);
            Some((quantile_sorted(d, 0.025)?, quantile_sorted(d, 0.975)?))
        })
        .collect()
}

#[derive(Debug, Clone, Serialize)]
pub struct Delta {
    pub stat: &'static str,
    pub before: f64,
    pub after: f64,
    pub delta: f64,
    pub ci: Option<(f64, f64)>,
    /// The interval excludes 0.
    pub significant: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub dimension: &'static str,
    pub group: String,
    pub metric: Phase,
    pub n_before: usize,
    pub n_after: usize,
    pub deltas: Vec<Delta>,
    /// Mann–Whitney two-sided p-value.
    pub p_value: Option<f64>,
    /// Some percentile changed significantly.
    pub significant: bool,
}

fn key(r: &PodRow, dim: &str) -> String {
    super::group_of(r, dim)
}

/// Sorted values of a metric in one group.
fn values(rows: &[PodRow], dim: &str, group: &str, metric: Phase) -> Vec<f64> {
    let mut v: Vec<f64> = rows
        .iter()
        .filter(|r| key(r, dim) == group)
        .filter_map(|r| r.values.get(&metric).map(|x| *x as f64))
        .collect();
    v.sort_by(f64::total_cmp);
    v
}

/// Compares every metric in every group present in both runs.
pub fn compare(before: &[PodRow], after: &[PodRow]) -> Vec<Comparison> {
    let mut out = Vec::new();
    for dim in DIMENSIONS {
        let mut groups: Vec<String> = before.iter().map(|r| key(r, dim)).collect();
        groups.sort();
        groups.dedup();
        groups.retain(|g| after.iter().any(|r| key(r, dim) == *g));
        for g in groups {
            for m in metrics() {
                if dim != "all" && !super::AGGREGATES.contains(&m) {
                    continue;
                }
                let (b, a) = (values(before, dim, &g, m), values(after, dim, &g, m));
                if b.is_empty() || a.is_empty() {
                    continue;
                }
                let mut rng = Rng(0x5EED ^ ((b.len() as u64) << 32) ^ a.len() as u64);
                const PS: [(&str, f64); 3] = [("p50", 0.5), ("p90", 0.9), ("p99", 0.99)];
                let cis = bootstrap_ci(&b, &a, &PS.map(|(_, p)| p), &mut rng).unwrap_or_default();
                let deltas: Vec<Delta> = PS
                    .iter()
                    .enumerate()
                    .filter_map(|(k, (name, p))| {
                        let (qb, qa) = (quantile_sorted(&b, *p)?, quantile_sorted(&a, *p)?);
                        let ci = cis.get(k).copied();
                        Some(Delta {
                            stat: name,
                            before: qb,
                            after: qa,
                            delta: qa - qb,
                            ci,
                            significant: ci.is_some_and(|(lo, hi)| lo > 0.0 || hi < 0.0),
                        })
                    })
                    .collect();
                let p_value = mann_whitney(&b, &a).map(|(_, p)| p);
                let significant = deltas.iter().any(|d| d.significant);
                out.push(Comparison {
                    dimension: dim,
                    group: g.clone(),
                    metric: m,
                    n_before: b.len(),
                    n_after: a.len(),
                    deltas,
                    p_value,
                    significant,
                });
            }
        }
    }
    out
}

fn ms(v: f64) -> String {
    format!("{:.3}", v / 1e6)
}

/// Text table: the aggregates for every group, then every phase for `all`.
/// The comparison as a table; groups (nodes, namespaces, owners) are log text, shown as
/// `controls` says.
pub fn text(
    c: &[Comparison],
    controls: crate::export::escape::Controls,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    writeln!(
        out,
        "podtrace diff: durations in ms; Δ = after − before with a 95 % bootstrap interval (* = excludes 0); p = Mann–Whitney U (two-sided)"
    )?;
    let mut last_dim = "";
    for x in c
        .iter()
        .filter(|x| x.dimension == "all" || super::AGGREGATES.contains(&x.metric))
    {
        if x.dimension != last_dim {
            writeln!(
                out,
                "\n{}",
                if x.dimension == "all" {
                    "All pods".to_owned()
                } else {
                    format!("By {}", x.dimension)
                }
            )?;
            writeln!(
                out,
                "  {:<24} {:<16} {:>6} {:>6}  {:>36}  {:>36}  {:>8}",
                "group",
                "metric",
                "n₀",
                "n₁",
                "p50 before → after (Δ [95% CI])",
                "p99 before → after (Δ [95% CI])",
                "p"
            )?;
            last_dim = x.dimension;
        }
        let cell = |stat: &str| {
            x.deltas
                .iter()
                .find(|d| d.stat == stat)
                .map_or("-".to_owned(), |d| {
                    let ci = d.ci.map_or(String::new(), |(lo, hi)| {
                        format!(" [{}, {}]", ms(lo), ms(hi))
                    });
                    let star = if d.significant { "*" } else { "" };
                    format!(
                        "{} → {} ({:+.3}{ci}){star}",
                        ms(d.before),
                        ms(d.after),
                        d.delta / 1e6
                    )
                })
        };
        writeln!(
            out,
            "  {:<24} {:<16} {:>6} {:>6}  {:>36}  {:>36}  {:>8}",
            controls.show(&x.group),
            x.metric,
            x.n_before,
            x.n_after,
            cell("p50"),
            cell("p99"),
            x.p_value.map_or("-".into(), |p| format!("{p:.4}")),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mann_whitney_matches_scipy() {
        // Reference values from scipy 1.x: mannwhitneyu(a, b, method="asymptotic").
        let (u, p) = mann_whitney(&[1., 2., 3., 4., 5.], &[6., 7., 8., 9., 10.]).unwrap();
        assert_eq!(u, 0.0);
        assert!((p - 0.012_185_780_355).abs() < 1e-6, "{p}");
        // With ties.
        let (u, p) = mann_whitney(&[1., 2., 2., 3.], &[2., 3., 4., 4.]).unwrap();
        assert_eq!(u, 2.5);
        assert!((p - 0.134_169_180_128).abs() < 1e-6, "{p}");
        // Identical samples: p = 1.
        let (_, p) = mann_whitney(&[1., 2., 3.], &[1., 2., 3.]).unwrap();
        assert!(p > 0.99, "{p}");
    }

    #[test]
    fn bootstrap_brackets_a_real_shift() {
        let before: Vec<f64> = (0..200).map(|i| 100.0 + (i % 50) as f64).collect();
        let after: Vec<f64> = before.iter().map(|x| x + 30.0).collect();
        let mut rng = Rng(1);
        let (lo, hi) = bootstrap_ci(&before, &after, &[0.5], &mut rng).unwrap()[0];
        assert!(lo > 0.0 && lo <= 30.0 && hi >= 30.0, "[{lo}, {hi}]");
        let mut rng = Rng(1);
        let (lo, hi) = bootstrap_ci(&before, &before, &[0.5], &mut rng).unwrap()[0];
        assert!(lo <= 0.0 && hi >= 0.0, "[{lo}, {hi}]");
    }
}
