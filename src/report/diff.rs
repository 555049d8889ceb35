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

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use rayon::prelude::*;
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
    let sorted = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_unstable_by(f64::total_cmp);
        v
    };
    Draws::new(before.len(), after.len(), ps, rng)?.ci(&sorted(before), &sorted(after))
}

/// The resamples of a bootstrap, as positions in the sorted values: which value of each side
/// is each order statistic the quantiles need, in each resample.
///
/// A resample is never sorted: drawing index i of the sorted values k times puts `v[i]` k times
/// in the sorted resample, so counting the draws per index and walking the counts gives the
/// resample's order statistics in O(n) instead of O(n log n). The draws are those the
/// sort-based bootstrap made (same generator, same order: a resample of before, then one of
/// after, `next_u64() % n`), so the intervals are bit for bit the same. And since they depend
/// only on the two sizes (the generator is seeded from them), one `Draws` serves every metric
/// and group of the same sizes: in `compare` most of them share a handful.
pub struct Draws {
    before: Side,
    after: Side,
}

struct Side {
    /// Per p: the ranks ⌊h⌋ and ⌊h⌋ + 1 (capped) as indices in `ranks`, and h − ⌊h⌋, with
    /// h = (n − 1)p.
    at: Vec<(usize, usize, f64)>,
    /// Every rank needed, ascending.
    ranks: Vec<usize>,
    /// Per resample, per rank: its position in the sorted values.
    positions: Vec<u32>,
}

impl Side {
    fn new(n: usize, ps: &[f64]) -> Side {
        let lo_hi: Vec<(usize, usize, f64)> = ps
            .iter()
            .map(|p| {
                let h = (n - 1) as f64 * p;
                let lo = h.floor() as usize;
                (lo, (lo + 1).min(n - 1), h - lo as f64)
            })
            .collect();
        let mut ranks: Vec<usize> = lo_hi.iter().flat_map(|&(lo, hi, _)| [lo, hi]).collect();
        ranks.sort_unstable();
        ranks.dedup();
        let index = |r: usize| ranks.binary_search(&r).unwrap_or(0);
        Side {
            at: lo_hi
                .iter()
                .map(|&(lo, hi, w)| (index(lo), index(hi), w))
                .collect(),
            positions: Vec::with_capacity(RESAMPLES * ranks.len()),
            ranks,
        }
    }

    /// Draws one resample of n values (with replacement) and records where its ranks fall.
    fn draw(&mut self, counts: &mut [u32], rng: &mut Rng) {
        let n = counts.len() as u64;
        // `% n` exactly, by a precomputed reciprocal.
        let modulus = strength_reduce::StrengthReducedU64::new(n);
        counts.fill(0);
        for _ in 0..n {
            counts[(rng.next_u64() % modulus) as usize] += 1;
        }
        // Rank r of the resample is the value whose run of draws covers position r.
        let (mut seen, mut i) = (0usize, 0usize);
        for &r in &self.ranks {
            while seen + counts[i] as usize <= r {
                seen += counts[i] as usize;
                i += 1;
            }
            self.positions.push(i as u32);
        }
    }

    /// The k-th quantile of resample `j` of `sorted`.
    fn quantile(&self, sorted: &[f64], j: usize, k: usize) -> f64 {
        let pos = &self.positions[j * self.ranks.len()..];
        let (lo, hi, w) = self.at[k];
        let (lo, hi) = (sorted[pos[lo] as usize], sorted[pos[hi] as usize]);
        lo + w * (hi - lo)
    }
}

impl Draws {
    /// RESAMPLES resamples of sizes `nb` and `na`; None when either is empty.
    pub fn new(nb: usize, na: usize, ps: &[f64], rng: &mut Rng) -> Option<Draws> {
        if nb == 0 || na == 0 || nb > u32::MAX as usize || na > u32::MAX as usize {
            return None;
        }
        let (mut before, mut after) = (Side::new(nb, ps), Side::new(na, ps));
        let (mut cb, mut ca) = (vec![0u32; nb], vec![0u32; na]);
        for _ in 0..RESAMPLES {
            before.draw(&mut cb, rng);
            after.draw(&mut ca, rng);
        }
        Some(Draws { before, after })
    }

    /// The intervals for sorted values of the sizes drawn for.
    pub fn ci(&self, before: &[f64], after: &[f64]) -> Option<Vec<(f64, f64)>> {
        let n = self.before.at.len();
        let mut diffs = vec![Vec::with_capacity(RESAMPLES); n];
        for j in 0..RESAMPLES {
            for (k, d) in diffs.iter_mut().enumerate() {
                d.push(self.after.quantile(after, j, k) - self.before.quantile(before, j, k));
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

/// Each group's rows in one dimension, by group name.
fn groups<'a>(rows: &'a [PodRow], dim: &str) -> BTreeMap<String, Vec<&'a PodRow>> {
    let mut m: BTreeMap<String, Vec<&PodRow>> = BTreeMap::new();
    for r in rows {
        m.entry(super::group_of(r, dim)).or_default().push(r);
    }
    m
}

/// Sorted values of a metric in one group.
fn values(rows: &[&PodRow], metric: Phase) -> Vec<f64> {
    let mut v: Vec<f64> = rows
        .iter()
        .filter_map(|r| r.values.get(&metric).map(|x| *x as f64))
        .collect();
    v.sort_by(f64::total_cmp);
    v
}

/// Compares every metric in every group present in both runs. Each comparison seeds its own
/// generator from its sample sizes, so they run in parallel and give the same intervals in any
/// order.
pub fn compare(before: &[PodRow], after: &[PodRow]) -> Vec<Comparison> {
    let mut jobs = Vec::new();
    for dim in DIMENSIONS {
        let (gb, ga) = (groups(before, dim), groups(after, dim));
        for (g, rb) in gb {
            let Some(ra) = ga.get(&g) else { continue };
            for m in metrics() {
                if dim != "all" && !super::AGGREGATES.contains(&m) {
                    continue;
                }
                let (b, a) = (values(&rb, m), values(ra, m));
                if b.is_empty() || a.is_empty() {
                    continue;
                }
                jobs.push((dim, g.clone(), m, b, a));
            }
        }
    }
    const PS: [(&str, f64); 3] = [("p50", 0.5), ("p90", 0.9), ("p99", 0.99)];
    let mut sizes: Vec<(usize, usize)> = jobs.iter().map(|j| (j.3.len(), j.4.len())).collect();
    sizes.sort_unstable();
    sizes.dedup();
    let draws: HashMap<(usize, usize), Draws> = sizes
        .into_par_iter()
        .filter_map(|(nb, na)| {
            let mut rng = Rng(0x5EED ^ ((nb as u64) << 32) ^ na as u64);
            Some(((nb, na), Draws::new(nb, na, &PS.map(|(_, p)| p), &mut rng)?))
        })
        .collect();
    jobs.into_par_iter()
        .map(|(dim, g, m, b, a)| {
            let cis = draws
                .get(&(b.len(), a.len()))
                .and_then(|d| d.ci(&b, &a))
                .unwrap_or_default();
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
            Comparison {
                dimension: dim,
                group: g,
                metric: m,
                n_before: b.len(),
                n_after: a.len(),
                deltas,
                p_value,
                significant,
            }
        })
        .collect()
}

/// A change for people, with its sign: `+6.100 s`, `−37.902 ms`.
fn signed(ns: f64) -> String {
    let sign = if ns < 0.0 { "−" } else { "+" };
    format!("{sign}{}", super::render::dur(ns.abs()))
}

/// The comparison's conclusion in two lines: how the tail (p99) and the middle (p50) of `by`
/// moved over all pods and whether the bootstrap interval says it moved at all, which phases
/// drove it (those of `by`'s span whose p99 moved significantly the same way, largest first),
/// then the failures of each run. Nothing is called a change that the interval does not
/// support.
pub fn verdict(c: &[Comparison], by: Phase, failures: [&[super::FailureKind]; 2]) -> [String; 2] {
    let all = |m: Phase| c.iter().find(|x| x.dimension == "all" && x.metric == m);
    let delta = |x: &Comparison, stat: &str| x.deltas.iter().find(|d| d.stat == stat).cloned();
    let first = match all(by).and_then(|x| Some((x, delta(x, "p99")?))) {
        None => format!("{by}: not in both runs, nothing to compare"),
        Some((x, d)) => {
            let mut l = format!(
                "p99 {by} {} → {}, {}",
                super::render::dur(d.before),
                super::render::dur(d.after),
                signed(d.delta)
            );
            match d.ci {
                Some((lo, hi)) if d.significant => {
                    l.push_str(&format!(
                        " (significant: 95 % interval {} to {})",
                        signed(lo),
                        signed(hi)
                    ));
                    let parts = crate::timeline::diagnose::parts(by).unwrap_or(&[]);
                    let mut drivers: Vec<(Phase, f64)> = parts
                        .iter()
                        .filter_map(|&ph| {
                            let pd = delta(all(ph)?, "p99")?;
                            (pd.significant && pd.delta.signum() == d.delta.signum())
                                .then_some((ph, pd.delta))
                        })
                        .collect();
                    drivers.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
                    let named: Vec<String> = drivers
                        .iter()
                        .take(2)
                        .map(|(ph, v)| format!("{ph} p99 {}", signed(*v)))
                        .collect();
                    if !named.is_empty() {
                        l.push_str(&format!(", driven by {}", named.join(" and ")));
                    }
                }
                Some((lo, hi)) => l.push_str(&format!(
                    " (not significant: 95 % interval {} to {} includes 0)",
                    signed(lo),
                    signed(hi)
                )),
                None => {}
            }
            if let Some(m) = delta(x, "p50") {
                l.push_str(&format!(
                    "; p50 {} ({})",
                    signed(m.delta),
                    if m.significant {
                        "significant"
                    } else {
                        "not significant"
                    }
                ));
            }
            if let Some(p) = x.p_value {
                l.push_str(&format!("; Mann–Whitney p = {p:.4}"));
            }
            l
        }
    };
    let [fb, fa] = failures;
    let mut kinds: Vec<&str> = fb.iter().chain(fa).map(|k| k.kind.as_str()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    let pods =
        |f: &[super::FailureKind], k: &str| f.iter().find(|x| x.kind == k).map_or(0, |x| x.pods);
    let mut moved: Vec<(usize, usize, &str)> = kinds
        .iter()
        .map(|k| (pods(fb, k), pods(fa, k), *k))
        .collect();
    moved.sort_by(|a, b| b.1.max(b.0).cmp(&a.1.max(a.0)).then(a.2.cmp(b.2)));
    let second = if moved.is_empty() {
        "No failure in the logs of either run.".to_owned()
    } else {
        format!(
            "Failures, pods before → after: {}.",
            moved
                .iter()
                .map(|(b, a, k)| format!(
                    "{k} {} → {}",
                    super::render::thousands(*b),
                    super::render::thousands(*a)
                ))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    [format!("{first}."), second]
}

/// The comparison as JSON: durations in seconds, as everywhere outside text.
pub fn json(
    c: &[Comparison],
    verdict: &[String; 2],
    failures: [&[super::FailureKind]; 2],
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let s = |ns: f64| ns / 1e9;
    let comparisons: Vec<serde_json::Value> = c
        .iter()
        .map(|x| {
            serde_json::json!({
                "dimension": x.dimension,
                "group": x.group,
                "metric": x.metric,
                "n_before": x.n_before,
                "n_after": x.n_after,
                "deltas": x.deltas.iter().map(|d| serde_json::json!({
                    "stat": d.stat,
                    "before": s(d.before),
                    "after": s(d.after),
                    "delta": s(d.delta),
                    "ci": d.ci.map(|(lo, hi)| [s(lo), s(hi)]),
                    "significant": d.significant,
                })).collect::<Vec<_>>(),
                "p_value": x.p_value,
                "significant": x.significant,
            })
        })
        .collect();
    let doc = serde_json::json!({
        "unit": "s",
        "verdict": verdict,
        "failures": {"before": failures[0], "after": failures[1]},
        "comparisons": comparisons,
    });
    crate::export::escape::json_pretty(&mut *out, &doc)?;
    writeln!(out)?;
    Ok(())
}

fn ms(v: f64) -> String {
    format!("{:.3}", v / 1e6)
}

/// Text table: the aggregates for every group, then every phase for `all`.
/// The comparison as a table; groups (nodes, namespaces, owners) are log text, shown as
/// `controls` says.
pub fn text(
    c: &[Comparison],
    verdict: &[String; 2],
    controls: crate::export::escape::Controls,
    colors: crate::export::style::Style,
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
    // A significant slowdown stands out; anything else is said in bold.
    let slower = verdict[0].contains("(significant)") && verdict[0].contains(" +");
    let line = |s: &str| {
        if slower {
            colors.fail(s).to_string()
        } else {
            colors.bold(s).to_string()
        }
    };
    writeln!(
        out,
        "\n{}\n  {}\n  {}",
        colors.bold("Verdict"),
        line(&controls.show(&verdict[0])),
        line(&controls.show(&verdict[1]))
    )?;
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

    /// The bootstrap as it was written first: sort every resample. The counting one must give
    /// the same intervals to the bit.
    fn sorting_bootstrap(
        before: &[f64],
        after: &[f64],
        ps: &[f64],
        rng: &mut Rng,
    ) -> Vec<(f64, f64)> {
        let mut diffs = vec![Vec::new(); ps.len()];
        let (mut sb, mut sa) = (vec![0.0; before.len()], vec![0.0; after.len()]);
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
                d.push(quantile_sorted(&sa, *p).unwrap() - quantile_sorted(&sb, *p).unwrap());
            }
        }
        diffs
            .iter_mut()
            .map(|d| {
                d.sort_unstable_by(f64::total_cmp);
                (
                    quantile_sorted(d, 0.025).unwrap(),
                    quantile_sorted(d, 0.975).unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn counting_bootstrap_is_the_sorting_one_to_the_bit() {
        let mut values = Rng(7);
        for (nb, na) in [(1, 1), (1, 5), (2, 3), (17, 40), (200, 199), (1000, 3)] {
            // Sorted, with ties (values on a coarse grid), as `compare` passes them.
            let mut side = |n: usize| {
                let mut v: Vec<f64> = (0..n)
                    .map(|_| (values.next_u64() % 50) as f64 * 1e6)
                    .collect();
                v.sort_unstable_by(f64::total_cmp);
                v
            };
            let (b, a) = (side(nb), side(na));
            let ps = [0.5, 0.9, 0.99, 0.0, 1.0];
            let seed = 0x5EED ^ ((nb as u64) << 32) ^ na as u64;
            let got = bootstrap_ci(&b, &a, &ps, &mut Rng(seed)).unwrap();
            let want = sorting_bootstrap(&b, &a, &ps, &mut Rng(seed));
            for ((g, w), p) in got.iter().zip(&want).zip(ps) {
                assert_eq!(
                    g.0.to_bits(),
                    w.0.to_bits(),
                    "{nb}+{na} p{p}: {got:?} {want:?}"
                );
                assert_eq!(
                    g.1.to_bits(),
                    w.1.to_bits(),
                    "{nb}+{na} p{p}: {got:?} {want:?}"
                );
            }
        }
        assert!(bootstrap_ci(&[], &[1.0], &[0.5], &mut Rng(1)).is_none());
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
