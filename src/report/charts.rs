//! Charts (plotters), each as SVG and PNG. PNGs are drawn with DejaVu Sans compiled into the
//! binary (no system fonts, identical everywhere); SVGs name `sans-serif` and leave the glyphs
//! to the viewer.
//!
//! Every chart is one function generic over the backend, so the SVG, the PNG and the HTML
//! report's inline SVG always show the same thing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::coord::combinators::LogCoord;
use plotters::coord::ranged1d::SegmentedCoord;
use plotters::coord::types::{RangedCoordf64, RangedCoordu32};
use plotters::prelude::*;

use super::{PodRow, Report};
use crate::timeline::{Ms, Phase};

/// Main-path phases in order (consecutive intervals from `requested`), charted in these colours.
pub use crate::timeline::diagnose::MAIN_PATH;

/// One colour per main-path phase (colour-blind-safe "Tableau 10").
pub const COLORS: [RGBColor; 10] = [
    RGBColor(78, 121, 167),
    RGBColor(242, 142, 43),
    RGBColor(225, 87, 89),
    RGBColor(118, 183, 178),
    RGBColor(89, 161, 79),
    RGBColor(237, 201, 72),
    RGBColor(176, 122, 161),
    RGBColor(255, 157, 167),
    RGBColor(156, 117, 95),
    RGBColor(186, 176, 172),
];

pub fn color(phase: Phase) -> RGBColor {
    COLORS[MAIN_PATH.iter().position(|p| *p == phase).unwrap_or(9)]
}

pub(crate) fn font_once() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Cannot fail for the bundled font; a failure would only show as missing text.
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            dejavu::sans::regular(),
        );
        let _ = plotters::style::register_font("sans-serif", FontStyle::Bold, dejavu::sans::bold());
    });
}

fn err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow::anyhow!("drawing: {e:?}")
}

type Area<DB> = DrawingArea<DB, Shift>;

const TITLE: u32 = 22;
const LABEL: u32 = 14;

fn ms(ns: i64) -> f64 {
    ns as f64 / 1e6
}

/// The origin of a pod's waterfall: `requested`, else `created`, else its first milestone.
fn origin(r: &PodRow) -> Option<i64> {
    r.milestones
        .get(&Ms::Requested)
        .or_else(|| r.milestones.get(&Ms::Created))
        .copied()
        .or_else(|| r.milestones.values().min().copied())
}

/// A chart with one labelled row per item (item 0 at the top, see [`row`]) over an f64 x axis
/// in ms; labels are left out when `label_area` is 0.
type RowChart<'a, DB> =
    ChartContext<'a, DB, Cartesian2d<RangedCoordf64, SegmentedCoord<RangedCoordu32>>>;

fn row_chart<'a, DB: DrawingBackend>(
    root: &'a Area<DB>,
    title: &str,
    (xmax, x_desc): (f64, &str),
    names: &[String],
    label_area: u32,
) -> anyhow::Result<RowChart<'a, DB>> {
    let n = names.len().max(1) as u32;
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", TITLE))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(label_area.max(60))
        // One segment more than rows when there is a single row: a zero-width range has no scale.
        .build_cartesian_2d(0f64..xmax, (0u32..(n - 1).max(1)).into_segmented())
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .x_desc(x_desc)
        .y_labels(if label_area == 0 { 0 } else { n as usize })
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => (n - 1)
                .checked_sub(*i)
                .and_then(|k| names.get(k as usize))
                .cloned()
                .unwrap_or_default(),
            _ => String::new(),
        })
        .label_style(("sans-serif", LABEL))
        .draw()
        .map_err(err)?;
    Ok(chart)
}

/// Waterfall of the slowest pods: one row per pod, a bar per main-path phase, milestones as ticks.
fn waterfall<DB: DrawingBackend>(full: &Area<DB>, r: &Report, title: &str) -> anyhow::Result<()> {
    full.fill(&WHITE).map_err(err)?;
    let (w, _) = full.dim_in_pixel();
    let (root, side) = full.split_horizontally(w - 170);
    legend(&side, &phase_legend())?;
    let root = &root;
    let rows: Vec<&PodRow> = r.slowest.iter().map(|&i| &r.rows[i]).collect();
    let n = rows.len().max(1) as u32;
    let xmax = rows
        .iter()
        .filter_map(|p| {
            let o = origin(p)?;
            p.milestones.values().max().map(|m| ms(m - o))
        })
        .fold(1.0f64, f64::max)
        * 1.05;
    let names: Vec<String> = rows
        .iter()
        .map(|p| short(&format!("{}/{}", p.namespace, p.name), 38))
        .collect();
    let x_desc = "ms since requested (or the pod's first milestone when that is missing)";
    let mut chart = row_chart(root, title, (xmax, x_desc), &names, 280)?;
    for phase in MAIN_PATH.iter() {
        let (from, to) = crate::timeline::PHASES
            .iter()
            .find(|(n, _, _)| n == phase)
            .map(|(_, f, t)| (*f, *t))
            .expect("main-path phases are phases");
        let c = color(*phase);
        let bars: Vec<Rectangle<(f64, SegmentValue<u32>)>> = rows
            .iter()
            .enumerate()
            .filter_map(|(y, p)| {
                let o = origin(p)?;
                let (a, b) = (p.milestones.get(&from)?, p.milestones.get(&to)?);
                let y = row(y, n);
                Some(Rectangle::new(
                    [
                        (ms(a - o), SegmentValue::Exact(y)),
                        (ms(b - o), SegmentValue::Exact(y + 1)),
                    ],
                    c.filled(),
                ))
            })
            .collect();
        chart.draw_series(bars).map_err(err)?;
    }
    // Milestones as thin black ticks through each row's middle.
    let ticks: Vec<PathElement<(f64, SegmentValue<u32>)>> = rows
        .iter()
        .enumerate()
        .flat_map(|(y, p)| {
            let o = origin(p).unwrap_or(0);
            // Drawn in name order, as they always were: the SVG stays the same bytes.
            let mut ts: Vec<(&str, i64)> =
                p.milestones.iter().map(|(k, t)| (k.as_str(), *t)).collect();
            ts.sort_unstable();
            ts.into_iter().map(move |(_, t)| {
                let x = ms(t - o);
                let y = row(y, n);
                PathElement::new(
                    vec![
                        (x, SegmentValue::CenterOf(y)),
                        (x, SegmentValue::Exact(y + 1)),
                    ],
                    BLACK.stroke_width(1),
                )
            })
        })
        .collect();
    chart.draw_series(ticks).map_err(err)?;
    Ok(())
}

/// A legend in its own area (right of the plot), so it never covers data.
fn legend<DB: DrawingBackend>(area: &Area<DB>, items: &[(&str, RGBColor)]) -> anyhow::Result<()> {
    for (i, (name, c)) in items.iter().enumerate() {
        let y = 60 + 22 * i as i32;
        area.draw(&Rectangle::new([(8, y - 6), (22, y + 6)], c.filled()))
            .map_err(err)?;
        area.draw(&Text::new(
            name.to_string(),
            (28, y - 8),
            ("sans-serif", LABEL),
        ))
        .map_err(err)?;
    }
    Ok(())
}

fn phase_legend() -> Vec<(&'static str, RGBColor)> {
    MAIN_PATH.iter().map(|p| p.as_str()).zip(COLORS).collect()
}

/// Row coordinate for item `k` of `n`, first item at the top.
fn row(k: usize, n: u32) -> u32 {
    n - 1 - k as u32
}

/// A label from log data, at most `max` characters (its end kept: names differ at the end).
/// Control characters are shown escaped: XML forbids most of them, and one in a node's name made
/// the whole SVG file unreadable.
fn short(s: &str, max: usize) -> String {
    let s = crate::export::escape::escape(s);
    if s.chars().count() <= max {
        return s.into_owned();
    }
    let tail: String = s
        .chars()
        .rev()
        .take(max - 1)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("…{tail}")
}

fn median(v: &mut [f64]) -> Option<f64> {
    quantile(v, 0.5)
}

/// Type-7 quantile of unsorted values (sorts them).
fn quantile(v: &mut [f64], p: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let h = (v.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(v.len() - 1);
    Some(v[lo] + (h - lo as f64) * (v[hi] - v[lo]))
}

/// Groups of a dimension with their rows (most pods first; at most `max` groups).
fn groups(rows: &[PodRow], key: fn(&PodRow) -> &str, max: usize) -> Vec<(String, Vec<&PodRow>)> {
    let mut m: BTreeMap<String, Vec<&PodRow>> = BTreeMap::new();
    for r in rows {
        m.entry(key(r).to_owned()).or_default().push(r);
    }
    let mut v: Vec<(String, Vec<&PodRow>)> = m.into_iter().collect();
    v.sort_by_key(|(g, rs)| (std::cmp::Reverse(rs.len()), g.clone()));
    v.truncate(max);
    v
}

/// Stacked median phase durations per node: where each node's time goes.
fn stacked<DB: DrawingBackend>(
    full: &Area<DB>,
    r: &Report,
    by: Grouping,
    max_groups: usize,
) -> anyhow::Result<()> {
    full.fill(&WHITE).map_err(err)?;
    let (w, _) = full.dim_in_pixel();
    let (root, side) = full.split_horizontally(w - 170);
    legend(&side, &phase_legend())?;
    let root = &root;
    let gs = groups(&r.rows, by.key(), max_groups);
    let n = gs.len().max(1) as u32;
    let medians: Vec<Vec<f64>> = gs
        .iter()
        .map(|(_, rs)| {
            MAIN_PATH
                .iter()
                .map(|ph| {
                    let mut v: Vec<f64> = rs
                        .iter()
                        .filter_map(|p| p.values.get(ph).map(|x| ms(*x)))
                        .collect();
                    median(&mut v).unwrap_or(0.0).max(0.0)
                })
                .collect()
        })
        .collect();
    let xmax = medians
        .iter()
        .map(|m| m.iter().sum::<f64>())
        .fold(1.0, f64::max)
        * 1.05;
    let names: Vec<String> = gs
        .iter()
        .map(|(g, rs)| format!("{} ({})", short(g, 30), rs.len()))
        .collect();
    let title = format!(
        "Median phase durations per {} (top {} by pods)",
        by.name(),
        gs.len()
    );
    let x_desc = "ms (medians of each phase, stacked in path order)";
    let mut chart = row_chart(root, &title, (xmax, x_desc), &names, 230)?;
    for (k, _) in MAIN_PATH.iter().enumerate() {
        let bars: Vec<Rectangle<(f64, SegmentValue<u32>)>> = medians
            .iter()
            .enumerate()
            .map(|(y, m)| {
                let x0: f64 = m[..k].iter().sum();
                let y = row(y, n);
                Rectangle::new(
                    [
                        (x0, SegmentValue::Exact(y)),
                        (x0 + m[k], SegmentValue::Exact(y + 1)),
                    ],
                    COLORS[k].filled(),
                )
            })
            .collect();
        chart.draw_series(bars).map_err(err)?;
    }
    Ok(())
}

/// Axes for empirical CDFs: ms on a log x axis wide enough for `values`, share of pods on y.
type CdfChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<LogCoord<f64>, RangedCoordf64>>;

fn cdf_chart<'a, DB: DrawingBackend>(
    root: &'a Area<DB>,
    title: &str,
    values: impl Iterator<Item = f64>,
) -> anyhow::Result<CdfChart<'a, DB>> {
    let (lo, hi) = log_range(values);
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", TITLE))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d((lo / 1.5..hi * 1.5).log_scale(), 0f64..1.0)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("ms (log scale)")
        .y_desc("share of pods")
        .label_style(("sans-serif", LABEL))
        .draw()
        .map_err(err)?;
    Ok(chart)
}

/// Empirical CDF of each aggregate and main-path phase, log x.
fn cdf<DB: DrawingBackend>(root: &Area<DB>, r: &Report, metrics: &[Phase]) -> anyhow::Result<()> {
    root.fill(&WHITE).map_err(err)?;
    let series: Vec<(Phase, Vec<f64>)> = metrics
        .iter()
        .map(|m| {
            let mut v: Vec<f64> = r
                .rows
                .iter()
                .filter_map(|p| p.values.get(m).map(|x| ms(*x)))
                .filter(|x| *x > 0.0)
                .collect();
            v.sort_by(f64::total_cmp);
            (*m, v)
        })
        .filter(|(_, v)| !v.is_empty())
        .collect();
    let values = series.iter().flat_map(|(_, v)| v.iter().copied());
    let mut chart = cdf_chart(root, "Distribution of each phase (CDF)", values)?;
    let palette = |i: usize| -> RGBColor {
        if i < 10 {
            COLORS[i]
        } else {
            RGBColor(40, 40, 40)
        }
    };
    for (i, (m, v)) in series.iter().enumerate() {
        let n = v.len() as f64;
        let c = palette(MAIN_PATH.iter().position(|p| p == m).unwrap_or(10 + i));
        let style = if super::AGGREGATES.contains(m) {
            ShapeStyle::from(&BLACK.mix(0.4 + 0.15 * (i % 4) as f64)).stroke_width(3)
        } else {
            c.stroke_width(2)
        };
        let pts: Vec<(f64, f64)> = v
            .iter()
            .enumerate()
            .map(|(k, x)| (*x, (k + 1) as f64 / n))
            .collect();
        chart
            .draw_series(LineSeries::new(pts, style))
            .map_err(err)?
            .label(m.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], style));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", LABEL))
        .draw()
        .map_err(err)?;
    Ok(())
}

/// A log-scale range covering the positive values, at least a decade wide; 1–10 ms when there
/// are none (an empty chart must not make an infinite axis).
fn log_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|x| x.is_finite() && *x > 0.0)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(x), b.max(x))
        });
    if !lo.is_finite() {
        return (1.0, 10.0);
    }
    let lo = lo.max(1e-3);
    (lo, hi.max(lo * 10.0))
}

/// Histogram of one metric (40 bins).
fn histogram<DB: DrawingBackend>(root: &Area<DB>, r: &Report, metric: Phase) -> anyhow::Result<()> {
    root.fill(&WHITE).map_err(err)?;
    let v: Vec<f64> = r
        .rows
        .iter()
        .filter_map(|p| p.values.get(&metric).map(|x| ms(*x)))
        .collect();
    let (lo, hi) = v
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(*x), b.max(*x))
        });
    let (lo, hi) = if v.is_empty() {
        (0.0, 1.0)
    } else if hi > lo {
        (lo, hi)
    } else {
        (lo - 1.0, hi + 1.0)
    };
    let bins = 40usize;
    let w = (hi - lo) / bins as f64;
    let mut counts = vec![0u32; bins];
    for x in &v {
        let b = (((x - lo) / w) as usize).min(bins - 1);
        counts[b] += 1;
    }
    let ymax = counts.iter().copied().max().unwrap_or(1).max(1) as f64 * 1.1;
    let mut chart = ChartBuilder::on(root)
        .caption(format!("{metric}: {} pods", v.len()), ("sans-serif", TITLE))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(lo..hi, 0f64..ymax)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("ms")
        .y_desc("pods")
        .label_style(("sans-serif", LABEL))
        .draw()
        .map_err(err)?;
    chart
        .draw_series(counts.iter().enumerate().map(|(i, c)| {
            let x0 = lo + i as f64 * w;
            Rectangle::new([(x0, 0.0), (x0 + w, *c as f64)], COLORS[0].filled())
        }))
        .map_err(err)?;
    Ok(())
}

/// Box plots per node (box: quartiles and median; whiskers: the farthest values within 1.5 IQR,
/// Tukey's rule) for the node-side phases that vary the most between nodes, one panel per phase.
fn boxes<DB: DrawingBackend>(root: &Area<DB>, r: &Report, max_groups: usize) -> anyhow::Result<()> {
    root.fill(&WHITE).map_err(err)?;
    let gs = groups(&r.rows, |p| p.node.as_str(), max_groups);
    let per_node = |rs: &[&PodRow], ph: Phase| -> Vec<f64> {
        rs.iter()
            .filter_map(|p| p.values.get(&ph).map(|x| ms(*x)))
            .collect()
    };
    // Node-side phases, ranked by the spread of their per-node medians.
    let mut candidates: Vec<(Phase, f64)> = [
        Phase::KubeletWatch,
        Phase::KubeletPrep,
        Phase::Volumes,
        Phase::Sandbox,
        Phase::Network,
        Phase::Containers,
        Phase::Readiness,
        Phase::RunningWatch,
    ]
    .iter()
    .map(|ph| {
        let meds: Vec<f64> = gs
            .iter()
            .filter_map(|(_, rs)| median(&mut per_node(rs, *ph)))
            .collect();
        let hi = meds.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let lo = meds.iter().cloned().fold(f64::INFINITY, f64::min);
        (*ph, if (hi - lo).is_finite() { hi - lo } else { -1.0 })
    })
    .filter(|(_, s)| *s >= 0.0)
    .collect();
    candidates.sort_by(|a, b| b.1.total_cmp(&a.1));
    candidates.truncate(4);
    let (title_area, body) = root.split_vertically(40);
    title_area
        .titled(
            &format!(
                "Phases that vary most between nodes (box: quartiles; whiskers: 1.5 IQR; top {} nodes)",
                gs.len()
            ),
            ("sans-serif", TITLE),
        )
        .map_err(err)?;
    let panels = body.split_evenly((1, candidates.len().max(1)));
    let n = gs.len().max(1) as u32;
    // Two segments per node, the box in the first and a gap in the second, so that boxes of
    // neighbouring nodes never touch.
    let slot = |k: usize| 2 * (n - 1 - k as u32) + 1;
    for (&(phase, _), panel) in candidates.iter().zip(panels.iter()) {
        let stats: Vec<Option<[f64; 5]>> = gs
            .iter()
            .map(|(_, rs)| tukey(&mut per_node(rs, phase)))
            .collect();
        let xmax = stats.iter().flatten().map(|s| s[4]).fold(1e-3, f64::max) * 1.1;
        let names: Vec<String> = gs.iter().map(|(g, _)| short(g, 18)).collect();
        let mut chart = ChartBuilder::on(panel)
            .caption(phase.as_str(), ("sans-serif", 16))
            .margin(8)
            .x_label_area_size(36)
            .y_label_area_size(130)
            .build_cartesian_2d(0f64..xmax, (0u32..2 * n).into_segmented())
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_desc("ms")
            .x_labels(4)
            .y_labels(2 * n as usize + 1)
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) if i % 2 == 1 => (n - 1)
                    .checked_sub(i / 2)
                    .and_then(|k| names.get(k as usize))
                    .cloned()
                    .unwrap_or_default(),
                _ => String::new(),
            })
            .label_style(("sans-serif", 12))
            .draw()
            .map_err(err)?;
        let c = color(phase);
        for (k, st) in stats.iter().enumerate() {
            let Some([lo, q1, med, q3, hi]) = *st else {
                continue;
            };
            let y = slot(k);
            let mid = || SegmentValue::CenterOf(y);
            chart
                .draw_series([Rectangle::new(
                    [
                        (q1, SegmentValue::Exact(y)),
                        (q3, SegmentValue::Exact(y + 1)),
                    ],
                    c.mix(0.6).filled(),
                )])
                .map_err(err)?;
            chart
                .draw_series([
                    PathElement::new(vec![(lo, mid()), (q1, mid())], BLACK.stroke_width(1)),
                    PathElement::new(vec![(q3, mid()), (hi, mid())], BLACK.stroke_width(1)),
                    PathElement::new(
                        vec![
                            (med, SegmentValue::Exact(y)),
                            (med, SegmentValue::Exact(y + 1)),
                        ],
                        BLACK.stroke_width(2),
                    ),
                ])
                .map_err(err)?;
        }
    }
    Ok(())
}

/// Tukey's box: (lower whisker, q1, median, q3, upper whisker), whiskers at the farthest values
/// within 1.5 IQR of the box. None for no values.
fn tukey(v: &mut [f64]) -> Option<[f64; 5]> {
    let (q1, med, q3) = (quantile(v, 0.25)?, quantile(v, 0.5)?, quantile(v, 0.75)?);
    let iqr = q3 - q1;
    let lo = v
        .iter()
        .copied()
        .filter(|x| *x >= q1 - 1.5 * iqr)
        .fold(q1, f64::min);
    let hi = v
        .iter()
        .copied()
        .filter(|x| *x <= q3 + 1.5 * iqr)
        .fold(q3, f64::max);
    Some([lo, q1, med, q3, hi])
}

/// Pod starts over time: x = creation time, y = the ranking metric, colour = the same latency.
fn starts<DB: DrawingBackend>(root: &Area<DB>, r: &Report) -> anyhow::Result<()> {
    root.fill(&WHITE).map_err(err)?;
    let by = super::ranking_metric(&r.rows);
    let pts: Vec<(f64, f64)> = r
        .rows
        .iter()
        .filter_map(|p| Some((p.start?, ms(*p.values.get(&by)?))))
        .map(|(t, v)| (t as f64, v))
        .collect();
    let t0 = pts.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
    let pts: Vec<(f64, f64)> = pts.iter().map(|(t, v)| ((t - t0) / 1e9, *v)).collect();
    let xmax = pts.iter().map(|p| p.0).fold(1.0, f64::max) * 1.02;
    let ymax = pts.iter().map(|p| p.1).fold(1.0, f64::max) * 1.05;
    let mut sorted: Vec<f64> = pts.iter().map(|p| p.1).collect();
    let p50 = quantile(&mut sorted, 0.5).unwrap_or(0.0);
    let p99 = quantile(&mut sorted, 0.99).unwrap_or(1.0).max(p50 + 1e-9);
    let mut chart = ChartBuilder::on(root)
        .caption(
            format!("Pod starts over time, coloured by {by} (green ≤ p50, red ≥ p99)"),
            ("sans-serif", TITLE),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..xmax, 0f64..ymax)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("seconds since the first pod was created")
        .y_desc(format!("{by} (ms)"))
        .label_style(("sans-serif", LABEL))
        .draw()
        .map_err(err)?;
    let radius = if pts.len() > 2000 { 2 } else { 4 };
    chart
        .draw_series(pts.iter().map(|(x, y)| {
            let f = ((y - p50) / (p99 - p50)).clamp(0.0, 1.0);
            // Hue 120° (green) → 0° (red).
            let c = HSLColor((1.0 - f) * 120.0 / 360.0, 0.75, 0.42);
            Circle::new((*x, *y), radius, c.filled())
        }))
        .map_err(err)?;
    Ok(())
}

/// Endpoint propagation for one Service change: when each node programmed the pod's endpoint.
fn fanout<DB: DrawingBackend>(
    root: &Area<DB>,
    pod: &crate::timeline::PodTimeline,
) -> anyhow::Result<()> {
    root.fill(&WHITE).map_err(err)?;
    let ep = pod
        .milestones
        .get(&Ms::EndpointsUpdated)
        .map(|m| m.t)
        .unwrap_or(0);
    let mut nodes: Vec<(&String, f64)> = pod
        .programmed
        .iter()
        .map(|(n, m)| (n, ms(m.t - ep)))
        .collect();
    nodes.sort_by(|a, b| a.1.total_cmp(&b.1));
    let n = nodes.len().max(1) as u32;
    let xmax = nodes.iter().map(|x| x.1).fold(1.0, f64::max) * 1.1;
    let names: Vec<String> = nodes.iter().map(|(n, _)| short(n, 28)).collect();
    let show_labels = nodes.len() <= 60;
    let title = format!(
        "Endpoint propagation: {}/{} ({} nodes programmed, {} missing)",
        crate::export::escape::escape(&pod.namespace),
        crate::export::escape::escape(&pod.name),
        nodes.len(),
        pod.programmed_missing.len()
    );
    let x_desc = "ms after the EndpointSlice write";
    let label_area = if show_labels { 200 } else { 0 };
    let mut chart = row_chart(root, &title, (xmax, x_desc), &names, label_area)?;
    chart
        .draw_series(nodes.iter().enumerate().map(|(y, (_, x))| {
            let y = row(y, n);
            Rectangle::new(
                [
                    (0.0, SegmentValue::Exact(y)),
                    (*x, SegmentValue::Exact(y + 1)),
                ],
                color(Phase::Programming).mix(0.8).filled(),
            )
        }))
        .map_err(err)?;
    chart
        .draw_series(nodes.iter().enumerate().map(|(y, (_, x))| {
            Circle::new((*x, SegmentValue::CenterOf(row(y, n))), 4, BLACK.filled())
        }))
        .map_err(err)?;
    Ok(())
}

/// The pod whose endpoint reached the most nodes (ties: the slowest last node), if any.
pub fn fanout_pod(a: &crate::Analysis) -> Option<&crate::timeline::PodTimeline> {
    a.pods
        .iter()
        .filter(|p| !p.programmed.is_empty() && p.milestones.contains_key(&Ms::EndpointsUpdated))
        .max_by_key(|p| {
            (
                p.programmed.len(),
                p.phases.get(&Phase::Programming).copied().unwrap_or(0),
            )
        })
}

/// A dimension charts can group pods by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    Node,
    Owner,
}

impl Grouping {
    fn key(self) -> fn(&PodRow) -> &str {
        match self {
            Grouping::Node => |p| p.node.as_str(),
            Grouping::Owner => |p| p.owner.as_str(),
        }
    }
    fn name(self) -> &'static str {
        match self {
            Grouping::Node => "node",
            Grouping::Owner => "owner",
        }
    }
}

/// The charts of a report, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chart {
    Waterfall,
    PhasesByNode,
    PhasesByOwner,
    Cdf,
    Histogram,
    BoxesByNode,
    StartsOverTime,
    EndpointFanout,
}

impl Chart {
    pub const ALL: [Chart; 8] = [
        Chart::Waterfall,
        Chart::PhasesByNode,
        Chart::PhasesByOwner,
        Chart::Cdf,
        Chart::Histogram,
        Chart::BoxesByNode,
        Chart::StartsOverTime,
        Chart::EndpointFanout,
    ];

    pub fn file_name(self) -> &'static str {
        match self {
            Chart::Waterfall => "waterfall",
            Chart::PhasesByNode => "phases-by-node",
            Chart::PhasesByOwner => "phases-by-owner",
            Chart::Cdf => "cdf",
            Chart::Histogram => "histogram-startup_e2e",
            Chart::BoxesByNode => "boxes-by-node",
            Chart::StartsOverTime => "starts-over-time",
            Chart::EndpointFanout => "endpoint-fanout",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Chart::Waterfall => "Slowest pods",
            Chart::PhasesByNode => "Where each node's time goes",
            Chart::PhasesByOwner => "Where each workload's time goes",
            Chart::Cdf => "Distributions",
            Chart::Histogram => "startup_e2e histogram",
            Chart::BoxesByNode => "Node-to-node variation",
            Chart::StartsOverTime => "Pod starts over time",
            Chart::EndpointFanout => "Endpoint propagation",
        }
    }
}

const MAX_NODES_STACKED: usize = 30;
const MAX_NODES_BOXES: usize = 20;

/// Pixel size of a chart for this report, or None when the data for it are missing.
fn size(c: Chart, r: &Report, a: &crate::Analysis) -> Option<(u32, u32)> {
    let nodes = groups(&r.rows, |p| p.node.as_str(), MAX_NODES_STACKED)
        .len()
        .max(1) as u32;
    Some(match c {
        // At least the legend's height.
        Chart::Waterfall => (1400, (140 + 30 * r.slowest.len().max(1) as u32).max(320)),
        Chart::PhasesByNode => (1400, (160 + 32 * nodes).max(320)),
        Chart::PhasesByOwner => {
            let owners = groups(&r.rows, Grouping::Owner.key(), MAX_NODES_STACKED)
                .len()
                .max(1) as u32;
            (1400, (160 + 32 * owners).max(320))
        }
        Chart::Cdf => (1400, 800),
        Chart::Histogram => (1200, 600),
        Chart::BoxesByNode => (1600, 200 + 30 * nodes.min(MAX_NODES_BOXES as u32)),
        Chart::StartsOverTime => (1400, 700),
        Chart::EndpointFanout => {
            let p = fanout_pod(a)?;
            (
                1200,
                (160 + 26 * p.programmed.len().min(60) as u32).max(300),
            )
        }
    })
}

fn draw<DB: DrawingBackend>(
    c: Chart,
    root: &Area<DB>,
    r: &Report,
    a: &crate::Analysis,
) -> anyhow::Result<()> {
    match c {
        Chart::Waterfall => {
            let title = format!(
                "The {} slowest pods by {}",
                r.slowest.len(),
                super::ranking_metric(&r.rows)
            );
            waterfall(root, r, &title)
        }
        Chart::PhasesByNode => stacked(root, r, Grouping::Node, MAX_NODES_STACKED),
        Chart::PhasesByOwner => stacked(root, r, Grouping::Owner, MAX_NODES_STACKED),
        Chart::Cdf => {
            let m: Vec<Phase> = MAIN_PATH.iter().copied().chain(super::AGGREGATES).collect();
            cdf(root, r, &m)
        }
        Chart::Histogram => histogram(root, r, Phase::StartupE2e),
        Chart::BoxesByNode => boxes(root, r, MAX_NODES_BOXES),
        Chart::StartsOverTime => starts(root, r),
        Chart::EndpointFanout => match fanout_pod(a) {
            Some(p) => fanout(root, p),
            None => Ok(()),
        },
    }
}

/// One chart as an SVG document (for inlining in HTML); None when it has no data.
pub fn svg(c: Chart, r: &Report, a: &crate::Analysis) -> anyhow::Result<Option<String>> {
    font_once();
    let Some(sz) = size(c, r, a) else {
        return Ok(None);
    };
    let mut s = String::new();
    {
        let root = SVGBackend::with_string(&mut s, sz).into_drawing_area();
        draw(c, &root, r, a)?;
        root.present().map_err(err)?;
    }
    Ok(Some(s))
}

/// Charts go into a directory: one that exists as something else is refused in words (creating
/// it said only "File exists").
pub fn check_dir(dir: &Path) -> anyhow::Result<()> {
    match std::fs::metadata(dir) {
        Ok(m) if !m.is_dir() => anyhow::bail!(
            "{}: exists and is not a directory (charts are written into a directory)",
            crate::export::escape::escape(&dir.display().to_string())
        ),
        _ => Ok(()),
    }
}

/// `dir`, checked and created.
fn chart_dir(dir: &Path) -> anyhow::Result<()> {
    check_dir(dir)?;
    std::fs::create_dir_all(dir).map_err(|e| {
        anyhow::anyhow!(
            "creating {}: {e}",
            crate::export::escape::escape(&dir.display().to_string())
        )
    })
}

/// Writes every chart as SVG and PNG into `dir`; returns the paths written.
pub fn write_all(r: &Report, a: &crate::Analysis, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    font_once();
    chart_dir(dir)?;
    let mut out = Vec::new();
    for c in Chart::ALL {
        let Some(sz) = size(c, r, a) else { continue };
        let svg = dir.join(format!("{}.svg", c.file_name()));
        let png = dir.join(format!("{}.png", c.file_name()));
        {
            let root = SVGBackend::new(&svg, sz).into_drawing_area();
            draw(c, &root, r, a)?;
            root.present().map_err(err)?;
        }
        {
            let root = super::glyphs::Png(BitMapBackend::new(&png, sz)).into_drawing_area();
            draw(c, &root, r, a)?;
            root.present().map_err(err)?;
        }
        out.push(svg);
        out.push(png);
    }
    Ok(out)
}

/// Overlaid CDFs of the aggregates: before dashed-looking (lighter), after solid.
fn diff_cdf<DB: DrawingBackend>(
    root: &Area<DB>,
    before: &[PodRow],
    after: &[PodRow],
) -> anyhow::Result<()> {
    root.fill(&WHITE).map_err(err)?;
    let series = |rows: &[PodRow], m: Phase| -> Vec<f64> {
        let mut v: Vec<f64> = rows
            .iter()
            .filter_map(|p| p.values.get(&m).map(|x| ms(*x)))
            .filter(|x| *x > 0.0)
            .collect();
        v.sort_by(f64::total_cmp);
        v
    };
    let all: Vec<f64> = super::AGGREGATES
        .iter()
        .flat_map(|&m| series(before, m).into_iter().chain(series(after, m)))
        .collect();
    let title = "Before (thin, light) and after (thick): CDF of each aggregate";
    let mut chart = cdf_chart(root, title, all.iter().copied())?;
    for (i, m) in super::AGGREGATES.iter().enumerate() {
        let c = COLORS[[0, 1, 2, 4][i]];
        for (rows, style, tag) in [
            (before, c.mix(0.45).stroke_width(2), "before"),
            (after, c.stroke_width(4), "after"),
        ] {
            let v = series(rows, *m);
            let n = v.len() as f64;
            let pts: Vec<(f64, f64)> = v
                .iter()
                .enumerate()
                .map(|(k, x)| (*x, (k + 1) as f64 / n))
                .collect();
            chart
                .draw_series(LineSeries::new(pts, style))
                .map_err(err)?
                .label(format!("{m} {tag}"))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], style));
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", LABEL))
        .draw()
        .map_err(err)?;
    Ok(())
}

/// Writes `cdf-diff.svg` and `cdf-diff.png`.
pub fn write_diff(before: &[PodRow], after: &[PodRow], dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    font_once();
    chart_dir(dir)?;
    let (svg, png) = (dir.join("cdf-diff.svg"), dir.join("cdf-diff.png"));
    {
        let root = SVGBackend::new(&svg, (1400, 800)).into_drawing_area();
        diff_cdf(&root, before, after)?;
        root.present().map_err(err)?;
    }
    {
        let root = super::glyphs::Png(BitMapBackend::new(&png, (1400, 800))).into_drawing_area();
        diff_cdf(&root, before, after)?;
        root.present().map_err(err)?;
    }
    Ok(vec![svg, png])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_match_type_7() {
        let mut v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(quantile(&mut v, 0.5), Some(5.5));
        assert!((quantile(&mut v, 0.9).unwrap() - 9.1).abs() < 1e-12);
        assert_eq!(quantile(&mut [], 0.5), None);
        assert_eq!(short("abcdef", 4), "…def");
        assert_eq!(log_range(std::iter::empty()), (1.0, 10.0));
        assert_eq!(log_range([0.0, -1.0, f64::NAN].into_iter()), (1.0, 10.0));
        assert_eq!(log_range([5.0, 20.0].into_iter()), (5.0, 50.0));
        // 1..=9 and one outlier: q1 = 3.25, q3 = 7.75, IQR 4.5, upper fence 14.5 → 100 is out.
        let mut v: Vec<f64> = (1..=9).map(f64::from).chain([100.0]).collect();
        assert_eq!(tukey(&mut v), Some([1.0, 3.25, 5.5, 7.75, 9.0]));
    }
}
