//! Charts (plotters), each as SVG and PNG. PNGs are drawn with DejaVu Sans compiled into the
//! binary (no system fonts, identical everywhere); SVGs name `sans-serif` and leave the glyphs
//! to the viewer.
//!
//! Every chart is one function generic over the backend, so the SVG, the PNG and the HTML
//! report's inline SVG always show the same thing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::coord::combinators::{BindKeyPoints, LogCoord, WithKeyPoints};
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

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

/// The unit a linear time axis reads best in, for values up to `max_ms`: ms below 2 s, seconds
/// below 3 min, minutes above (the HTML's and the text report's human units). Returns how many ms
/// one unit is, and its symbol.
pub(crate) fn unit(max_ms: f64) -> (f64, &'static str) {
    if max_ms < 2_000.0 {
        (1.0, "ms")
    } else if max_ms < 180_000.0 {
        (1e3, "s")
    } else {
        (6e4, "min")
    }
}

/// A tick value without float noise: at most 3 decimals, trailing zeros dropped (`2`, `0.25`).
pub(crate) fn tick(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

/// A duration in ms as a short label with its unit (`250 ms`, `2.5 s`, `3 min`), for log axes
/// whose ticks span units.
pub(crate) fn human(ms: f64) -> String {
    if ms < 1.0 {
        format!("{} µs", tick(ms * 1e3))
    } else if ms < 1e3 {
        format!("{} ms", tick(ms))
    } else if ms < 6e4 {
        format!("{} s", tick(ms / 1e3))
    } else {
        format!("{} min", tick(ms / 6e4))
    }
}

/// `1 pod`, `2 pods`.
pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Height of the one-line caption under every chart.
const CAPTION: u32 = 30;

/// Fills `full` white, writes `text` (how to read the chart) on its last line and returns the
/// area above it for the chart.
fn captioned<DB: DrawingBackend>(full: &Area<DB>, text: &str) -> anyhow::Result<Area<DB>> {
    full.fill(&WHITE).map_err(err)?;
    let (_, h) = full.dim_in_pixel();
    let (top, bottom) = full.split_vertically(h.saturating_sub(CAPTION));
    bottom
        .draw(&Text::new(
            text.to_owned(),
            (14, 6),
            ("sans-serif", LABEL)
                .into_font()
                .color(&RGBColor(60, 60, 60)),
        ))
        .map_err(err)?;
    Ok(top)
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
/// (in the unit its description names); labels are left out when `label_area` is 0. Row `y`
/// spans `y..y + 1` of an f64 y axis, its label at `y + 0.5` (a segmented axis showed one pod
/// in the lower of two rows: a range of one value has no scale).
type RowChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, Rows>>;

/// The y axis of a [`RowChart`]: `0..n` with a key point (a label) in the middle of each row.
#[derive(Clone, Copy)]
struct Rows {
    n: u32,
    labelled: bool,
}

impl Ranged for Rows {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let f = v / f64::from(self.n.max(1));
        limit.0 + (f64::from(limit.1 - limit.0) * f).round() as i32
    }
    fn key_points<H: KeyPointHint>(&self, _: H) -> Vec<f64> {
        if !self.labelled {
            return Vec::new();
        }
        (0..self.n).map(|k| f64::from(k) + 0.5).collect()
    }
    fn range(&self) -> std::ops::Range<f64> {
        0.0..f64::from(self.n)
    }
}

/// The part of a row its bar fills, leaving a gap between rows.
const PAD: f64 = 0.1;

/// The bar of row `y`: from `y + PAD` to `y + 1 - PAD`.
fn band(y: u32) -> (f64, f64) {
    (f64::from(y) + PAD, f64::from(y) + 1.0 - PAD)
}

fn row_chart<'a, DB: DrawingBackend>(
    root: &'a Area<DB>,
    title: &str,
    (xmax, x_desc): (f64, &str),
    names: &[String],
    label_area: u32,
) -> anyhow::Result<RowChart<'a, DB>> {
    let n = names.len().max(1) as u32;
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", title_size(root, title)))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(label_area.max(60))
        .build_cartesian_2d(
            0f64..xmax,
            Rows {
                n,
                labelled: label_area > 0,
            },
        )
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .x_desc(x_desc)
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| {
            (n - 1)
                .checked_sub(v.floor() as u32)
                .and_then(|k| names.get(k as usize))
                .cloned()
                .unwrap_or_default()
        })
        .label_style(("sans-serif", LABEL))
        .draw()
        .map_err(err)?;
    Ok(chart)
}

/// The title's font size: [`TITLE`], smaller for a title too long for the area's width (a
/// fan-out title names a Service and a pod from the logs, of any length), 12 at least.
fn title_size<DB: DrawingBackend>(area: &Area<DB>, title: &str) -> u32 {
    let (w, _) = area.dim_in_pixel();
    // DejaVu Sans averages under 0.62 em per character.
    let fit = (f64::from(w) - 24.0) / (title.chars().count().max(1) as f64 * 0.62);
    (fit as u32).clamp(12, TITLE)
}

/// Waterfall of the slowest pods: one row per pod, a bar per main-path phase, milestones as ticks.
fn waterfall<DB: DrawingBackend>(full: &Area<DB>, r: &Report, title: &str) -> anyhow::Result<()> {
    full.fill(&WHITE).map_err(err)?;
    let (w, _) = full.dim_in_pixel();
    let (root, side) = full.split_horizontally(w - 170);
    let k = legend(&side, &phase_legend())?;
    tick_legend(&side, k)?;
    let root = &root;
    let rows: Vec<&PodRow> = r.slowest.iter().map(|&i| &r.rows[i]).collect();
    let n = rows.len().max(1) as u32;
    let end = rows
        .iter()
        .filter_map(|p| {
            let o = origin(p)?;
            p.milestones.values().max().map(|m| ms(m - o))
        })
        .fold(1.0f64, f64::max);
    // Seconds read better than ms for most runs: the unit follows the range.
    let (per, sym) = unit(end);
    let at = |ns: i64| ms(ns) / per;
    let names: Vec<String> = rows
        .iter()
        .map(|p| short(&format!("{}/{}", p.namespace, p.name), 38))
        .collect();
    let x_desc =
        format!("{sym} since requested (or the pod's first milestone when that is missing)");
    let mut chart = row_chart(root, title, (end / per * 1.05, &x_desc), &names, 280)?;
    for phase in MAIN_PATH.iter() {
        let (from, to) = crate::timeline::PHASES
            .iter()
            .find(|(n, _, _)| n == phase)
            .map(|(_, f, t)| (*f, *t))
            .expect("main-path phases are phases");
        let c = color(*phase);
        let bars: Vec<Rectangle<(f64, f64)>> = rows
            .iter()
            .enumerate()
            .filter_map(|(y, p)| {
                let o = origin(p)?;
                let (a, b) = (p.milestones.get(&from)?, p.milestones.get(&to)?);
                let (lo, hi) = band(row(y, n));
                Some(Rectangle::new(
                    [(at(a - o), lo), (at(b - o), hi)],
                    c.filled(),
                ))
            })
            .collect();
        chart.draw_series(bars).map_err(err)?;
    }
    // Milestones as thin black ticks through the upper half of each row (explained in the legend).
    let ticks: Vec<PathElement<(f64, f64)>> = rows
        .iter()
        .enumerate()
        .flat_map(|(y, p)| {
            let o = origin(p).unwrap_or(0);
            // Drawn in name order, as they always were.
            let mut ts: Vec<(&str, i64)> =
                p.milestones.iter().map(|(k, t)| (k.as_str(), *t)).collect();
            ts.sort_unstable();
            ts.into_iter().map(move |(_, t)| {
                let x = at(t - o);
                let y = row(y, n);
                PathElement::new(
                    vec![(x, f64::from(y) + 0.5), (x, band(y).1)],
                    BLACK.stroke_width(1),
                )
            })
        })
        .collect();
    chart.draw_series(ticks).map_err(err)?;
    Ok(())
}

/// The legend entry for the waterfall's black ticks, under `k` legend items.
fn tick_legend<DB: DrawingBackend>(area: &Area<DB>, k: usize) -> anyhow::Result<()> {
    let y = 60 + 22 * k as i32 + 6;
    area.draw(&PathElement::new(
        vec![(15, y - 7), (15, y + 7)],
        BLACK.stroke_width(1),
    ))
    .map_err(err)?;
    area.draw(&Text::new(
        "milestone (tick)",
        (28, y - 8),
        ("sans-serif", LABEL),
    ))
    .map_err(err)?;
    Ok(())
}

/// A legend in its own area (right of the plot), so it never covers data.
fn legend<DB: DrawingBackend>(
    area: &Area<DB>,
    items: &[(&str, RGBColor)],
) -> anyhow::Result<usize> {
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
    Ok(items.len())
}

fn phase_legend() -> Vec<(&'static str, RGBColor)> {
    MAIN_PATH.iter().map(|p| p.as_str()).zip(COLORS).collect()
}

/// Row coordinate for item `k` of `n`, first item at the top.
fn row(k: usize, n: u32) -> u32 {
    n - 1 - k as u32
}

/// A label from log data, at most `max` characters. A longer one loses its middle to an
/// ellipsis: generated names differ at their end (`web-7d4b9c6f5-x2x8k`) and namespaces at their
/// start, so both ends are kept, the end with two thirds of the room.
/// Control characters are shown escaped: XML forbids most of them, and one in a node's name made
/// the whole SVG file unreadable.
fn short(s: &str, max: usize) -> String {
    let s = crate::export::escape::escape(s);
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= max {
        return s.into_owned();
    }
    let room = max.saturating_sub(1);
    let tail = room * 2 / 3;
    let head = room - tail;
    let mut out: String = chars[..head].iter().collect();
    out.push('…');
    out.extend(&chars[chars.len() - tail..]);
    out
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

/// The main-path phases the stacked charts show: those at least half the pods have (a phase
/// only a few pods reach, such as `programming` when few pods back a Service, would otherwise
/// shrink every bar's pod subset to those few).
fn charted_phases(rows: &[PodRow]) -> Vec<usize> {
    (0..MAIN_PATH.len())
        .filter(|&k| {
            let have = rows
                .iter()
                .filter(|p| p.values.contains_key(&MAIN_PATH[k]))
                .count();
            have > 0 && 2 * have >= rows.len()
        })
        .collect()
}

/// Stacked median phase durations per group: where each group's time goes. Every median of a
/// bar is taken over the same pods, the group's pods with every charted phase (`n of m` after
/// its name), so the segments of one bar describe one set of pods.
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
    let shown = charted_phases(&r.rows);
    let gs = groups(&r.rows, by.key(), max_groups);
    let n = gs.len().max(1) as u32;
    let complete: Vec<Vec<&PodRow>> = gs
        .iter()
        .map(|(_, rs)| {
            rs.iter()
                .filter(|p| shown.iter().all(|&k| p.values.contains_key(&MAIN_PATH[k])))
                .copied()
                .collect()
        })
        .collect();
    let medians: Vec<Vec<f64>> = complete
        .iter()
        .map(|rs| {
            (0..MAIN_PATH.len())
                .map(|k| {
                    if !shown.contains(&k) {
                        return 0.0;
                    }
                    let mut v: Vec<f64> = rs
                        .iter()
                        .filter_map(|p| p.values.get(&MAIN_PATH[k]).map(|x| ms(*x)))
                        .collect();
                    median(&mut v).unwrap_or(0.0).max(0.0)
                })
                .collect()
        })
        .collect();
    let end = medians
        .iter()
        .map(|m| m.iter().sum::<f64>())
        .fold(1.0, f64::max);
    let (per, sym) = unit(end);
    let names: Vec<String> = gs
        .iter()
        .zip(&complete)
        .map(|((g, rs), c)| format!("{} ({} of {})", short(g, 26), c.len(), rs.len()))
        .collect();
    let title = format!(
        "Median of each phase per {}, over the pods with all {} charted phases (top {})",
        by.name(),
        shown.len(),
        plural(gs.len(), by.name(), by.plural()),
    );
    let x_desc = format!("{sym} (medians of each phase, stacked in path order)");
    let mut chart = row_chart(root, &title, (end / per * 1.05, &x_desc), &names, 250)?;
    for k in shown {
        let bars: Vec<Rectangle<(f64, f64)>> = medians
            .iter()
            .enumerate()
            .map(|(y, m)| {
                let x0: f64 = m[..k].iter().sum::<f64>() / per;
                let (lo, hi) = band(row(y, n));
                Rectangle::new([(x0, lo), (x0 + m[k] / per, hi)], COLORS[k].filled())
            })
            .collect();
        chart.draw_series(bars).map_err(err)?;
    }
    Ok(())
}

/// Colours of the four aggregates in the CDFs: Okabe–Ito's black, blue, vermillion and bluish
/// green, told apart with any colour vision (they were four near-identical greys).
pub const AGGREGATE_COLORS: [RGBColor; 4] = [
    RGBColor(0, 0, 0),
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
];

/// Ticks of a log time axis from `lo` to `hi` ms: 1-2-5 per decade (only powers of ten over
/// more than six decades), so labels never run into each other (1, 2, …, 9 per decade did on a
/// range under two decades).
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let decades = (hi / lo).log10();
    let steps: &[f64] = if decades > 6.0 {
        &[1.0]
    } else if decades > 1.2 {
        &[1.0, 2.0, 5.0]
    } else {
        &[1.0, 1.5, 2.0, 3.0, 5.0, 7.0]
    };
    let mut out = Vec::new();
    let mut p = 10f64.powi(lo.log10().floor() as i32);
    while p <= hi {
        for m in steps {
            let v = p * m;
            if v >= lo && v <= hi {
                out.push(v);
            }
        }
        p *= 10.0;
    }
    out
}

/// Axes for empirical CDFs: time on a log x axis wide enough for `values`, share of pods on y.
type CdfChart<'a, DB> =
    ChartContext<'a, DB, Cartesian2d<WithKeyPoints<LogCoord<f64>>, RangedCoordf64>>;

fn cdf_chart<'a, DB: DrawingBackend>(
    root: &'a Area<DB>,
    title: &str,
    values: impl Iterator<Item = f64>,
) -> anyhow::Result<CdfChart<'a, DB>> {
    let (lo, hi) = log_range(values);
    let (lo, hi) = (lo / 1.5, hi * 1.5);
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", TITLE))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(
            (lo..hi).log_scale().with_key_points(log_ticks(lo, hi)),
            0f64..1.0,
        )
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("time (log scale)")
        .y_desc("share of pods")
        .x_label_formatter(&|v| human(*v))
        .label_style(("sans-serif", LABEL))
        .draw()
        .map_err(err)?;
    Ok(chart)
}

/// The points of the empirical CDF of sorted `v`. Up to [`STEPS_UP_TO`] values it is drawn as
/// the step function it is (two pods joined by a line read as a diagonal through values nobody
/// had); above, each step is under 1/200 of the height and the points are joined directly.
fn ecdf(v: &[f64]) -> Vec<(f64, f64)> {
    let n = v.len() as f64;
    if v.len() > STEPS_UP_TO {
        return v
            .iter()
            .enumerate()
            .map(|(k, x)| (*x, (k + 1) as f64 / n))
            .collect();
    }
    v.iter()
        .enumerate()
        .flat_map(|(k, x)| [(*x, k as f64 / n), (*x, (k + 1) as f64 / n)])
        .collect()
}

const STEPS_UP_TO: usize = 200;
/// Series with at most this many values also get a marker per value.
const MARKERS_UP_TO: usize = 20;

/// One CDF series with its legend entry (`name (n=…)`) and, for few values, a marker per value.
/// Dashed series (a diff's "before") get a dashed legend entry too.
fn cdf_series<'a, DB: DrawingBackend + 'a>(
    chart: &mut CdfChart<'a, DB>,
    v: &[f64],
    name: &str,
    style: ShapeStyle,
    dashed: bool,
) -> anyhow::Result<()> {
    let label = format!("{name} (n={})", v.len());
    if dashed {
        chart
            .draw_series(DashedLineSeries::new(ecdf(v), 8, 5, style))
            .map_err(err)?
            .label(label)
            .legend(move |(x, y)| {
                EmptyElement::at((x, y))
                    + PathElement::new(vec![(0, 0), (6, 0)], style)
                    + PathElement::new(vec![(10, 0), (16, 0)], style)
            });
    } else {
        chart
            .draw_series(LineSeries::new(ecdf(v), style))
            .map_err(err)?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], style));
    }
    if v.len() <= MARKERS_UP_TO {
        let n = v.len() as f64;
        chart
            .draw_series(
                v.iter()
                    .enumerate()
                    .map(|(k, x)| Circle::new((*x, (k + 1) as f64 / n), 4, style.filled())),
            )
            .map_err(err)?;
    }
    Ok(())
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
    for (m, v) in &series {
        // Aggregates dashed and thicker: apart from the phases by their line, from each other
        // by their colour.
        let (style, dashed) = match super::AGGREGATES.iter().position(|a| a == m) {
            Some(k) => (AGGREGATE_COLORS[k].stroke_width(3), true),
            None => (color(*m).stroke_width(2), false),
        };
        cdf_series(&mut chart, v, m.as_str(), style, dashed)?;
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

/// Histogram of one metric (40 bins), with its p50 and p99 (type 7, as the report's tables)
/// marked and labelled.
fn histogram<DB: DrawingBackend>(root: &Area<DB>, r: &Report, metric: Phase) -> anyhow::Result<()> {
    root.fill(&WHITE).map_err(err)?;
    let mut v: Vec<f64> = r
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
    // The unit follows the span, not the magnitude: one pod's 2 ms wide axis at 5.8 s printed
    // "5.812" under every tick.
    let (per, sym) = unit(hi - lo);
    let bins = 40usize;
    let w = (hi - lo) / bins as f64;
    let mut counts = vec![0u32; bins];
    for x in &v {
        let b = (((x - lo) / w) as usize).min(bins - 1);
        counts[b] += 1;
    }
    let marks: Vec<(&str, f64)> = [("p50", 0.5), ("p99", 0.99)]
        .into_iter()
        .filter_map(|(name, q)| Some((name, quantile(&mut v, q)?)))
        .collect();
    let ymax = counts.iter().copied().max().unwrap_or(1).max(1) as f64 * 1.18;
    let mut chart = ChartBuilder::on(root)
        .caption(
            format!("{metric}: {}", plural(v.len(), "pod", "pods")),
            ("sans-serif", TITLE),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(lo / per..hi / per, 0f64..ymax)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(sym)
        .y_desc("pods")
        // Whole pods: no more labels than counts up to the top.
        .y_labels((ymax as usize + 1).min(10))
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| tick(*v))
        .label_style(("sans-serif", LABEL))
        .draw()
        .map_err(err)?;
    chart
        .draw_series(counts.iter().enumerate().map(|(i, c)| {
            let x0 = lo + i as f64 * w;
            Rectangle::new(
                [(x0 / per, 0.0), ((x0 + w) / per, *c as f64)],
                COLORS[0].filled(),
            )
        }))
        .map_err(err)?;
    // The markers: a line each, labelled at the top, p99's label on the line's left when it sits
    // in the right half so it stays inside the plot.
    let mark = RGBColor(213, 94, 0);
    for (k, (name, q)) in marks.iter().enumerate() {
        let x = q / per;
        chart
            .draw_series([PathElement::new(
                vec![(x, 0.0), (x, ymax * 0.96)],
                mark.stroke_width(2),
            )])
            .map_err(err)?;
        let right_half = (q - lo) > (hi - lo) / 2.0;
        let anchor = if right_half { HPos::Right } else { HPos::Left };
        let dx = if right_half { -6 } else { 6 };
        let style = ("sans-serif", LABEL)
            .into_font()
            .color(&mark)
            .pos(Pos::new(anchor, VPos::Top));
        let y = ymax * (0.985 - 0.05 * k as f64);
        chart
            .draw_series([EmptyElement::at((x, y))
                + Text::new(
                    format!("{name} {}", super::render::dur(q * 1e6)),
                    (dx, 0),
                    style,
                )])
            .map_err(err)?;
    }
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
                "Phases that vary most between nodes (box: quartiles; whiskers: 1.5 IQR; top {})",
                plural(gs.len(), "node", "nodes")
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
        let (per, sym) = unit(xmax);
        let xmax = xmax / per;
        // Each node with how many of its pods have this phase: the box's n.
        let names: Vec<String> = gs
            .iter()
            .map(|(g, rs)| format!("{} ({})", short(g, 16), per_node(rs, phase).len()))
            .collect();
        let mut chart = ChartBuilder::on(panel)
            .caption(phase.as_str(), ("sans-serif", 16))
            .margin(8)
            .x_label_area_size(36)
            .y_label_area_size(165)
            .build_cartesian_2d(0f64..xmax, (0u32..2 * n).into_segmented())
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_desc(sym)
            .x_labels(4)
            .x_label_formatter(&|v| tick(*v))
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
            let Some([lo, q1, med, q3, hi]) = st.map(|s| s.map(|x| x / per)) else {
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

/// Pod starts over time: x = creation time, y = the ranking metric on a log axis (a few slow
/// pods on a linear one pressed every other pod into a flat band), colour = the same latency;
/// p50 and p99 as labelled lines.
fn starts<DB: DrawingBackend>(root: &Area<DB>, r: &Report) -> anyhow::Result<()> {
    root.fill(&WHITE).map_err(err)?;
    let by = super::ranking_metric(&r.rows);
    let all: Vec<(f64, f64)> = r
        .rows
        .iter()
        .filter_map(|p| Some((p.start?, ms(*p.values.get(&by)?))))
        .map(|(t, v)| (t as f64, v))
        .collect();
    let t0 = all.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
    // A log axis has no place for 0: such pods are counted in the title, not dropped silently.
    let pts: Vec<(f64, f64)> = all
        .iter()
        .filter(|(_, v)| *v > 0.0)
        .map(|(t, v)| ((t - t0) / 1e9, *v))
        .collect();
    let unplotted = all.len() - pts.len();
    let xmax = pts.iter().map(|p| p.0).fold(1.0, f64::max) * 1.02;
    let (lo, hi) = log_range(pts.iter().map(|p| p.1));
    let (lo, hi) = (lo / 1.3, hi * 1.3);
    let mut sorted: Vec<f64> = pts.iter().map(|p| p.1).collect();
    let p50 = quantile(&mut sorted, 0.5).unwrap_or(0.0);
    let p99 = quantile(&mut sorted, 0.99).unwrap_or(1.0).max(p50 + 1e-9);
    let mut title = format!("Pod starts over time, {by} (log scale; green ≤ p50, red ≥ p99)");
    if unplotted > 0 {
        title.push_str(&format!(
            "; {} at 0 not shown",
            plural(unplotted, "pod", "pods")
        ));
    }
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", TITLE))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(80)
        .build_cartesian_2d(
            0f64..xmax,
            (lo..hi).log_scale().with_key_points(log_ticks(lo, hi)),
        )
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("seconds since the first pod was created")
        .y_desc(format!("{by} (log scale)"))
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| human(*v))
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
    if !pts.is_empty() {
        // p99's label goes up one line when it would sit on p50's (few pods, close values).
        let close = (chart.backend_coord(&(0.0, p50)).1 - chart.backend_coord(&(0.0, p99)).1) < 20;
        for (name, q) in [("p50", p50), ("p99", p99)] {
            let up = if name == "p99" && close { 18 } else { 0 };
            let line = RGBColor(60, 60, 60);
            chart
                .draw_series([PathElement::new(
                    vec![(0.0, q), (xmax, q)],
                    line.stroke_width(1),
                )])
                .map_err(err)?;
            let label = format!("{name} {}", super::render::dur(q * 1e6));
            // A white box under the label: the dots would otherwise run through it.
            let w = (label.chars().count() * 8) as i32;
            chart
                .draw_series([EmptyElement::at((xmax, q))
                    + Rectangle::new(
                        [(-w - 10, -20 - up), (-2, -3 - up)],
                        WHITE.mix(0.85).filled(),
                    )
                    + Text::new(
                        label,
                        (-6, -18 - up),
                        ("sans-serif", LABEL)
                            .into_font()
                            .color(&line)
                            .pos(Pos::new(HPos::Right, VPos::Top)),
                    )])
                .map_err(err)?;
        }
    }
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
    let mut nodes: Vec<(&str, f64)> = pod
        .programmed
        .iter()
        .map(|(n, m)| (&**n, ms(m.t - ep)))
        .collect();
    nodes.sort_by(|a, b| a.1.total_cmp(&b.1));
    let n = nodes.len().max(1) as u32;
    let (per, sym) = unit(nodes.iter().map(|x| x.1).fold(1.0, f64::max));
    let nodes: Vec<(&str, f64)> = nodes.into_iter().map(|(n, x)| (n, x / per)).collect();
    let xmax = nodes.iter().map(|x| x.1).fold(1.0 / per, f64::max) * 1.1;
    let names: Vec<String> = nodes.iter().map(|(n, _)| short(n, 28)).collect();
    let show_labels = nodes.len() <= 60;
    let title = format!(
        "Endpoint propagation of {} (after pod {}/{}): {} programmed, {} missing",
        service_label(&pod.services),
        short(&pod.namespace, 30),
        short(&pod.name, 40),
        plural(nodes.len(), "node", "nodes"),
        pod.programmed_missing.len()
    );
    let x_desc = format!("{sym} after the EndpointSlice write");
    let x_desc = x_desc.as_str();
    let label_area = if show_labels { 200 } else { 0 };
    let mut chart = row_chart(root, &title, (xmax, x_desc), &names, label_area)?;
    chart
        .draw_series(nodes.iter().enumerate().map(|(y, (_, x))| {
            let (lo, hi) = band(row(y, n));
            Rectangle::new(
                [(0.0, lo), (*x, hi)],
                color(Phase::Programming).mix(0.8).filled(),
            )
        }))
        .map_err(err)?;
    chart
        .draw_series(
            nodes.iter().enumerate().map(|(y, (_, x))| {
                Circle::new((*x, f64::from(row(y, n)) + 0.5), 4, BLACK.filled())
            }),
        )
        .map_err(err)?;
    Ok(())
}

/// The Service a fan-out is about: the one whose EndpointSlice listed the pod (`ns/name`), the
/// first with a count of the others when there are several.
fn service_label(services: &[String]) -> String {
    match services {
        [] => "the pod's Service (name not in the logs)".into(),
        [one] => format!("Service {}", short(one, 50)),
        [first, rest @ ..] => format!("Service {} (+{} more)", short(first, 50), rest.len()),
    }
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
    fn plural(self) -> &'static str {
        match self {
            Grouping::Node => "nodes",
            Grouping::Owner => "owners",
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

    /// One line under the chart (and under its title in the HTML) saying how to read it.
    pub fn caption(self) -> &'static str {
        match self {
            Chart::Waterfall => {
                "One row per pod, time from its request: coloured bars are main-path phases, black ticks the milestones the logs show."
            }
            Chart::PhasesByNode | Chart::PhasesByOwner => {
                "Each bar stacks per-phase medians over the same pods (n of all after the name); medians do not add up to the median total."
            }
            Chart::Cdf => {
                "Each line rises from 0 to 1 across its phase's durations: read the latency at a share of pods (0.99 = p99); dashed lines are aggregates."
            }
            Chart::Histogram => {
                "How many pods took how long; the orange lines mark the median (p50) and the 99th percentile (p99)."
            }
            Chart::BoxesByNode => {
                "Per node (n pods after its name): the box holds the middle half, the thick line is the median, whiskers reach the farthest values within 1.5 IQR."
            }
            Chart::StartsOverTime => {
                "One dot per pod at its creation time, height its latency on a log scale: a rising band means the cluster slowed down as pods arrived."
            }
            Chart::EndpointFanout => {
                "One bar per node, from the EndpointSlice write to the node's kube-proxy sync: the longest bar is when the last node could route to the pod."
            }
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
    let (w, h) = match c {
        // At least the legend's height.
        Chart::Waterfall => (1400, (140 + 30 * r.slowest.len().max(1) as u32).max(320)),
        Chart::PhasesByNode => (1400, (160 + 32 * nodes).max(320)),
        Chart::PhasesByOwner => {
            let owners = groups(&r.rows, Grouping::Owner.key(), MAX_NODES_STACKED)
                .len()
                .max(1) as u32;
            (1400, (160 + 32 * owners).max(320))
        }
        Chart::Cdf => (1400, 800 + CAPTION),
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
    };
    Some((w, h + CAPTION))
}

fn draw<DB: DrawingBackend>(
    c: Chart,
    full: &Area<DB>,
    r: &Report,
    a: &crate::Analysis,
) -> anyhow::Result<()> {
    let root = &captioned(full, c.caption())?;
    match c {
        Chart::Waterfall => {
            let title = match r.slowest.len() {
                1 => format!("The slowest pod by {}", super::ranking_metric(&r.rows)),
                n => format!("The {n} slowest pods by {}", super::ranking_metric(&r.rows)),
            };
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

/// How to read the diff's CDF (under the chart).
pub const DIFF_CAPTION: &str = "Each aggregate's CDF before (dashed) and after (solid), one colour each: a solid line right of its dashed one means slower after.";

/// Overlaid CDFs of the aggregates: before dashed, after solid, one colour per aggregate.
fn diff_cdf<DB: DrawingBackend>(
    full: &Area<DB>,
    before: &[PodRow],
    after: &[PodRow],
) -> anyhow::Result<()> {
    let root = &captioned(full, DIFF_CAPTION)?;
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
    let title = "Before (dashed) and after (solid): CDF of each aggregate";
    let mut chart = cdf_chart(root, title, all.iter().copied())?;
    for (i, m) in super::AGGREGATES.iter().enumerate() {
        let c = AGGREGATE_COLORS[i];
        for (rows, style, tag, dashed) in [
            (before, c.stroke_width(2), "before", true),
            (after, c.stroke_width(3), "after", false),
        ] {
            let v = series(rows, *m);
            if v.is_empty() {
                continue;
            }
            cdf_series(&mut chart, &v, &format!("{m} {tag}"), style, dashed)?;
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
        let root = SVGBackend::new(&svg, (1400, 800 + CAPTION)).into_drawing_area();
        diff_cdf(&root, before, after)?;
        root.present().map_err(err)?;
    }
    {
        let root =
            super::glyphs::Png(BitMapBackend::new(&png, (1400, 800 + CAPTION))).into_drawing_area();
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
        assert_eq!(short("abcdef", 4), "a…ef");
        assert_eq!(short("default/web-7d4b9c6f5-x2x8k", 16), "defau…c6f5-x2x8k");
        assert_eq!(log_range(std::iter::empty()), (1.0, 10.0));
        assert_eq!(log_range([0.0, -1.0, f64::NAN].into_iter()), (1.0, 10.0));
        assert_eq!(log_range([5.0, 20.0].into_iter()), (5.0, 50.0));
        // 1..=9 and one outlier: q1 = 3.25, q3 = 7.75, IQR 4.5, upper fence 14.5 → 100 is out.
        let mut v: Vec<f64> = (1..=9).map(f64::from).chain([100.0]).collect();
        assert_eq!(tukey(&mut v), Some([1.0, 3.25, 5.5, 7.75, 9.0]));
    }
}
