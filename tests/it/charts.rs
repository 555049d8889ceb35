//! Charts (issue 13 C): every defect a user saw in the charts, read back from the SVG the chart
//! functions draw (the PNG is drawn by the same code; its text is tested in `report::glyphs`).

use std::path::{Path, PathBuf};

use podtrace::Analysis;
use podtrace::report::{self, Report, charts::Chart};
use podtrace::timeline::Phase;

use crate::util::{analyze, repo};

fn sim(dir: &Path, pods: usize, seed: u64, failures: bool) -> PathBuf {
    let o = podtrace::simulate::SimOptions {
        pods,
        nodes: 3,
        seed,
        failures,
        ..Default::default()
    };
    podtrace::simulate::generate(dir, &o).unwrap();
    dir.to_path_buf()
}

fn svg(c: Chart, r: &Report, a: &Analysis) -> String {
    report::charts::svg(c, r, a).unwrap().unwrap()
}

/// A `<text>` of an SVG as plotters writes it.
#[derive(Debug)]
struct Text {
    x: f64,
    y: f64,
    size: f64,
    anchor: String,
    rotated: bool,
    text: String,
}

fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let k = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    Some(&tag[k..k + tag[k..].find('"')?])
}

fn texts(svg: &str) -> Vec<Text> {
    svg.split("<text ")
        .skip(1)
        .map(|s| {
            let (tag, rest) = s.split_once('>').unwrap();
            let tag = &format!(" {tag}");
            let body = rest.split("</text>").next().unwrap().trim();
            Text {
                x: attr(tag, "x").unwrap().parse().unwrap(),
                y: attr(tag, "y").unwrap().parse().unwrap(),
                size: attr(tag, "font-size").unwrap().parse().unwrap(),
                anchor: attr(tag, "text-anchor").unwrap_or("start").to_owned(),
                rotated: attr(tag, "transform").is_some(),
                text: body
                    .replace("&apos;", "'")
                    .replace("&quot;", "\"")
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&amp;", "&"),
            }
        })
        .collect()
}

/// Horizontal extent of a text, DejaVu Sans at 0.55 em a character (its digits are 0.64 em,
/// its lower-case letters 0.5–0.65: an estimate on the short side, so an overlap found is real).
fn extent(t: &Text) -> (f64, f64) {
    let w = t.text.chars().count() as f64 * t.size * 0.55;
    match t.anchor.as_str() {
        "middle" => (t.x - w / 2.0, t.x + w / 2.0),
        "end" => (t.x - w, t.x),
        _ => (t.x, t.x + w),
    }
}

/// Texts on one line (same y, same size, not rotated) that overlap, or say the same thing (tick
/// labels printed too coarsely for their axis: one pod's histogram read "5.812" under every
/// tick).
fn collisions(svg: &str) -> Vec<(String, String)> {
    let ts: Vec<Text> = texts(svg).into_iter().filter(|t| !t.rotated).collect();
    let mut out = Vec::new();
    for (i, a) in ts.iter().enumerate() {
        for b in &ts[i + 1..] {
            if a.y != b.y || a.size != b.size {
                continue;
            }
            // Neighbours only: the box plots' panels repeat their node names and units.
            if a.text == b.text && !a.text.is_empty() && (a.x - b.x).abs() < 150.0 {
                out.push((a.text.clone(), b.text.clone()));
                continue;
            }
            let ((a0, a1), (b0, b1)) = (extent(a), extent(b));
            if a0 < b1 && b0 < a1 {
                out.push((a.text.clone(), b.text.clone()));
            }
        }
    }
    out
}

fn has_text(svg: &str, s: &str) -> bool {
    texts(svg).iter().any(|t| t.text == s)
}

fn find_text(svg: &str, prefix: &str) -> Vec<String> {
    texts(svg)
        .into_iter()
        .filter(|t| t.text.starts_with(prefix))
        .map(|t| t.text)
        .collect()
}

/// The report of a bundle, as `podtrace report` builds it (10 slowest pods).
fn report_of(a: &Analysis) -> Report {
    report::build(&a.pods, 10).unwrap()
}

/// The diff's CDF put 7000, 8000, 9000 and 10000 ms labels on top of each other (1–9 per decade
/// on a range under two decades). No chart of the demo, of a 300-pod run with failures, and of
/// the diff of two runs has two texts on one line running into each other.
#[test]
fn no_two_labels_run_into_each_other() {
    let d = tempfile::tempdir().unwrap();
    let a1 = analyze(&[sim(&d.path().join("a"), 300, 3, true)]);
    let a2 = analyze(&[sim(&d.path().join("b"), 300, 4, true)]);
    let demo = analyze(&[repo().join("samples/seed-demo")]);
    for (name, a) in [("sim", &a1), ("demo", &demo)] {
        let r = report_of(a);
        for c in Chart::ALL {
            if let Some(s) = report::charts::svg(c, &r, a).unwrap() {
                assert_eq!(collisions(&s), [] as [(String, String); 0], "{name} {c:?}");
            }
        }
    }
    let out = d.path().join("diff");
    report::charts::write_diff(&report_of(&a1).rows, &report_of(&a2).rows, &out).unwrap();
    let s = std::fs::read_to_string(out.join("cdf-diff.svg")).unwrap();
    assert_eq!(collisions(&s), [] as [(String, String); 0]);
    // The ticks are a 1-2-5 series in human units, on a range of under two decades here.
    let ticks: Vec<String> = texts(&s)
        .into_iter()
        .filter(|t| {
            t.anchor == "middle" && [" ms", " s", " min"].iter().any(|u| t.text.ends_with(u))
        })
        .map(|t| t.text)
        .collect();
    assert!(
        ticks.iter().any(|t| t == "1 s") && ticks.iter().any(|t| t == "2 s"),
        "{ticks:?}"
    );
    assert!(!ticks.iter().any(|t| t.contains("000")), "{ticks:?}");
    // Before dashed, after solid, one colour per aggregate, n in the legend.
    for t in ["before", "after"] {
        assert!(has_text(&s, &format!("startup_e2e {t} (n=300)")), "{t}");
    }
    assert!(has_text(&s, report::charts::DIFF_CAPTION));
}

/// "The 1 slowest pods": one pod is "the slowest pod", ten are "the 10 slowest pods"; the
/// fan-out is titled by the Service it is about (it named only a pod).
#[test]
fn titles_say_what_they_count_and_the_fanout_names_its_service() {
    let demo = analyze(&[repo().join("samples/seed-demo")]);
    let r = report_of(&demo);
    let w = svg(Chart::Waterfall, &r, &demo);
    assert!(has_text(&w, "The slowest pod by time_to_serving"), "{w}");
    let f = svg(Chart::EndpointFanout, &r, &demo);
    let title = "Endpoint propagation of Service default/my-service (after pod default/pod-demo): 2 nodes programmed, 0 missing";
    assert!(has_text(&f, title), "{:?}", find_text(&f, "Endpoint"));
    let h = svg(Chart::Histogram, &r, &demo);
    assert!(has_text(&h, "startup_e2e: 1 pod"));
    let n = svg(Chart::PhasesByNode, &r, &demo);
    assert!(
        find_text(&n, "Median of each phase per node")[0].ends_with("(top 1 node)"),
        "{:?}",
        find_text(&n, "Median")
    );

    let d = tempfile::tempdir().unwrap();
    let a = analyze(&[sim(&d.path().join("a"), 40, 5, false)]);
    let r = report_of(&a);
    let w = svg(Chart::Waterfall, &r, &a);
    assert!(has_text(&w, "The 10 slowest pods by time_to_serving"));
    let f = svg(Chart::EndpointFanout, &r, &a);
    let t = &find_text(&f, "Endpoint propagation of Service sim/svc-")[0];
    let pod = report::charts::fanout_pod(&a).unwrap();
    assert_eq!(
        t,
        &format!(
            "Endpoint propagation of Service {} (after pod sim/{}): 3 nodes programmed, 0 missing",
            pod.services[0], pod.name
        )
    );
}

/// The CDF's four aggregates were black at four opacities (near-identical greys): now four
/// opaque Okabe–Ito colours, apart from each other, dashed, each in the legend with its n.
#[test]
fn cdf_aggregates_are_told_apart() {
    let cs = report::charts::AGGREGATE_COLORS;
    for (i, a) in cs.iter().enumerate() {
        for b in &cs[i + 1..] {
            let d = ((a.0 as f64 - b.0 as f64).powi(2)
                + (a.1 as f64 - b.1 as f64).powi(2)
                + (a.2 as f64 - b.2 as f64).powi(2))
            .sqrt();
            assert!(d > 70.0, "{a:?} {b:?}: {d}");
        }
    }
    let d = tempfile::tempdir().unwrap();
    let a = analyze(&[sim(&d.path().join("a"), 40, 5, false)]);
    let r = report_of(&a);
    let s = svg(Chart::Cdf, &r, &a);
    for (m, c) in report::AGGREGATES.iter().zip(cs) {
        let hex = format!("stroke=\"#{:02X}{:02X}{:02X}\"", c.0, c.1, c.2);
        // Dashed: many short pieces in the aggregate's colour.
        assert!(s.matches(&hex).count() > 10, "{m}: {hex}");
        assert!(has_text(&s, &format!("{m} (n=40)")), "{m}");
    }
}

/// Two pods made a diagonal from one to the other, through values no pod had: a CDF is a step
/// function, drawn as one up to 200 values, with a marker per value up to 20.
#[test]
fn a_two_pod_cdf_is_a_step_function_with_markers() {
    let d = tempfile::tempdir().unwrap();
    let a = analyze(&[sim(&d.path().join("a"), 2, 5, false)]);
    let r = report_of(&a);
    let s = svg(Chart::Cdf, &r, &a);
    // Scheduling's series: its polyline in its Tableau colour (orange).
    let line = s
        .split("<polyline ")
        .find(|p| p.contains("stroke=\"#F28E2B\" stroke-width=\"2\""))
        .unwrap();
    let pts: Vec<(i32, i32)> = attr(&format!(" {line}"), "points")
        .unwrap()
        .split_whitespace()
        .map(|p| {
            let (x, y) = p.split_once(',').unwrap();
            (x.parse().unwrap(), y.parse().unwrap())
        })
        .collect();
    // Up at the first value, across at share 1/2, up at the second: x, x, then y, y, then x, x.
    assert_eq!(pts.len(), 4, "{pts:?}");
    assert_eq!(pts[0].0, pts[1].0);
    assert_eq!(pts[1].1, pts[2].1);
    assert_eq!(pts[2].0, pts[3].0);
    assert!(pts[0].1 > pts[1].1 && pts[2].0 > pts[1].0, "{pts:?}");
    assert_eq!(s.matches("<circle").count() % 2, 0);
    assert!(
        s.matches("fill=\"#F28E2B\"").count() >= 2,
        "one marker per pod"
    );
    assert!(has_text(&s, "scheduling (n=2)"));
}

/// The waterfall's axis was in ms for runs of seconds; long names were cut from the left
/// (their namespace gone, silently); the black ticks were explained nowhere.
#[test]
fn waterfall_reads_in_seconds_cuts_names_in_the_middle_and_explains_its_ticks() {
    let d = tempfile::tempdir().unwrap();
    let mut a = analyze(&[sim(&d.path().join("a"), 40, 5, true)]);
    for p in &mut a.pods {
        p.name = format!("a-deployment-with-a-very-long-name-{}", p.name);
    }
    let r = report_of(&a);
    let w = svg(Chart::Waterfall, &r, &a);
    assert!(has_text(
        &w,
        "s since requested (or the pod's first milestone when that is missing)"
    ));
    assert!(has_text(&w, "milestone (tick)"));
    let slowest = &r.rows[r.slowest[0]];
    let full = format!("{}/{}", slowest.namespace, slowest.name);
    assert!(full.chars().count() > 38);
    // 38 characters: the first 13, an ellipsis, the last 24 (where generated names differ).
    let chars: Vec<char> = full.chars().collect();
    let want: String = chars[..13]
        .iter()
        .chain(['…'].iter())
        .chain(&chars[chars.len() - 24..])
        .collect();
    assert!(has_text(&w, &want), "{want}: {:?}", find_text(&w, "sim/"));
    assert!(want.starts_with("sim/a-deploym"));
    // Tick labels are whole seconds (the slowest of these pods takes over 2 s), no "2000.0".
    assert!(has_text(&w, "2") && !w.contains("2000.0"));
}

/// Stacked medians mixed pod subsets (each phase's median over whichever pods had it): every
/// bar is now over the same pods, and says how many of the group's pods those are.
#[test]
fn stacked_medians_are_over_one_subset_and_say_so() {
    let d = tempfile::tempdir().unwrap();
    let mut a = analyze(&[sim(&d.path().join("a"), 30, 5, false)]);
    // Two pods of one node lose their sandbox phase: they leave that node's bar.
    let node = a.pods[0].node.clone().unwrap();
    let mut gone = 0;
    for p in a
        .pods
        .iter_mut()
        .filter(|p| p.node.as_deref() == Some(&node))
    {
        if gone < 2 {
            p.phases.remove(&Phase::Sandbox);
            gone += 1;
        }
    }
    let total = a
        .pods
        .iter()
        .filter(|p| p.node.as_deref() == Some(&node))
        .count();
    let r = report_of(&a);
    let s = svg(Chart::PhasesByNode, &r, &a);
    assert!(
        has_text(&s, &format!("{node} ({} of {total})", total - 2)),
        "{:?}",
        find_text(&s, "kind-")
    );
    assert!(has_text(
        &s,
        "Median of each phase per node, over the pods with all 10 charted phases (top 3 nodes)"
    ));
}

/// Starts over time on a linear axis flattened every pod under a few slow ones: log scale, its
/// ticks in human units, p50 and p99 drawn and labelled with their values.
#[test]
fn starts_over_time_is_on_a_log_axis_with_p50_and_p99() {
    let d = tempfile::tempdir().unwrap();
    let a = analyze(&[sim(&d.path().join("a"), 200, 5, true)]);
    let r = report_of(&a);
    let s = svg(Chart::StartsOverTime, &r, &a);
    assert!(has_text(
        &s,
        "Pod starts over time, time_to_serving (log scale; green ≤ p50, red ≥ p99)"
    ));
    let ticks: Vec<String> = texts(&s)
        .into_iter()
        .filter(|t| t.anchor == "end" && t.text.ends_with(" s"))
        .map(|t| t.text)
        .collect();
    assert!(
        ticks.contains(&"1 s".into()) && ticks.contains(&"2 s".into()),
        "{ticks:?}"
    );
    assert_eq!(find_text(&s, "p50 ").len(), 1);
    assert_eq!(find_text(&s, "p99 ").len(), 1);
}

/// The histogram had no p50 or p99: both are drawn and labelled with the report's own values.
#[test]
fn histogram_marks_p50_and_p99_with_the_reports_values() {
    let d = tempfile::tempdir().unwrap();
    let a = analyze(&[sim(&d.path().join("a"), 200, 5, true)]);
    let r = report_of(&a);
    let st = r.stat("all", "all", "startup_e2e").unwrap();
    let s = svg(Chart::Histogram, &r, &a);
    let dur = podtrace::report::render::dur;
    assert!(
        has_text(&s, &format!("p50 {}", dur(st.p50.unwrap()))),
        "{:?}",
        find_text(&s, "p")
    );
    assert!(
        has_text(&s, &format!("p99 {}", dur(st.p99.unwrap()))),
        "{:?}",
        find_text(&s, "p")
    );
    assert!(has_text(&s, "startup_e2e: 200 pods"));
}

/// Every chart says how to read it, on its last line, in the SVG/PNG and in the HTML.
#[test]
fn every_chart_has_a_caption_in_the_image_and_the_page() {
    let demo = analyze(&[repo().join("samples/seed-demo")]);
    let r = report_of(&demo);
    let mut html = Vec::new();
    report::html::write(&r, &demo, &[], &mut html).unwrap();
    let html = String::from_utf8(html).unwrap();
    for c in Chart::ALL {
        let s = svg(c, &r, &demo);
        let t = texts(&s);
        let cap = t.iter().find(|t| t.text == c.caption()).unwrap();
        // The caption is the lowest text of the image.
        assert!(t.iter().all(|o| o.y <= cap.y), "{c:?}");
        assert!(html.contains(c.caption()), "{c:?}");
        assert!(c.caption().chars().count() <= 150, "{c:?}: one line");
    }
}

/// The JSON of one `<script type="application/json" id=…>` of the page.
fn page_json(page: &str, id: &str) -> serde_json::Value {
    let open = format!("<script type=\"application/json\" id=\"{id}\">");
    let start = page.find(&open).unwrap() + open.len();
    let end = start + page[start..].find("</script>").unwrap();
    serde_json::from_str(&page[start..end]).unwrap()
}

/// The HTML pod detail shows each milestone's evidence (`path:line`), the nested phases
/// (volumes, network, each container's pull, create and start), failures and findings: the
/// page's data carry them, matched to the right pod, paths listed once.
#[test]
fn html_pod_detail_carries_evidence_nested_phases_failures_and_findings() {
    let demo = analyze(&[repo().join("samples/seed-demo")]);
    let r = report_of(&demo);
    let mut page = Vec::new();
    report::html::write(&r, &demo, &[], &mut page).unwrap();
    let page = String::from_utf8(page).unwrap();
    let files = page_json(&page, "files");
    let pods = page_json(&page, "data");
    let p = &pods[0];
    let t = &demo.pods[0];
    // Every milestone's evidence, to the line.
    assert_eq!(p["e"].as_object().unwrap().len(), t.milestones.len());
    for (k, m) in &t.milestones {
        let e = &p["e"][k.as_str()];
        let path = files[e[0].as_u64().unwrap() as usize].as_str().unwrap();
        assert_eq!(format!("{path}:{}", e[1]), m.evidence.to_string(), "{k:?}");
    }
    // Each path once: the demo's six files at most, for 17 milestones.
    assert!(files.as_array().unwrap().len() <= 6, "{files}");
    // Nested phases with their parent and times from `requested`, in ms to the µs.
    let sub: Vec<(String, String, f64, f64)> = serde_json::from_value(p["sub"].clone()).unwrap();
    let names: Vec<&str> = sub.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(
        names,
        [
            "volumes",
            "network",
            "image_pull webserver",
            "create webserver",
            "start webserver"
        ]
    );
    assert_eq!(sub[0].1, "kubelet_prep");
    assert_eq!(sub[1].1, "sandbox");
    assert_eq!(sub[2].1, "containers");
    // volumes: kubelet_seen +33.869 ms to volumes_ready +147.056 ms (113.187 ms, as the table).
    assert_eq!((sub[0].2, sub[0].3), (33.869, 147.056));
    assert_eq!(p["m"]["volumes_ready"], 147.056);

    // A run with failures: a pod's failures and findings reach its entry, whatever its row.
    let d = tempfile::tempdir().unwrap();
    let a = analyze(&[sim(&d.path().join("a"), 60, 5, true)]);
    let r = report_of(&a);
    let mut page = Vec::new();
    report::html::write(&r, &a, &[], &mut page).unwrap();
    let page = String::from_utf8(page).unwrap();
    let pods = page_json(&page, "data");
    let failed: Vec<&podtrace::timeline::PodTimeline> =
        a.pods.iter().filter(|p| !p.failures.is_empty()).collect();
    assert!(!failed.is_empty());
    for t in failed {
        let p = pods
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == t.name.as_str())
            .unwrap();
        let f = p["f"].as_array().unwrap();
        assert_eq!(f.len(), t.failures.len(), "{}", t.name);
        for (got, want) in f.iter().zip(&t.failures) {
            assert_eq!(got["cause"], want.cause.as_str());
            assert_eq!(got["evidence"], want.evidence.as_str());
            assert_eq!(got["count"], want.count);
            assert_eq!(
                got["held"].as_f64(),
                want.held_nanos.map(|n| (n as f64 / 1e3).round() / 1e3)
            );
        }
        assert_eq!(p["x"].as_array().map_or(0, |x| x.len()), t.findings.len());
    }
    // The detail's sections are in the page's script, and its self-test checks the layout.
    for s in [
        "Critical path",
        "Failures",
        "Findings",
        "Milestones and their evidence",
    ] {
        assert!(page.contains(s), "{s}");
    }
    assert!(page.contains("scrollWidth") && page.contains("getBBox"));
}

/// One pod's waterfall drew it in the lower of two rows with an empty one above (a segmented
/// axis of one value): the bar now fills the chart's one row, its label at the bar's middle.
#[test]
fn a_one_pod_waterfall_has_one_row_with_its_label_at_the_middle() {
    let demo = analyze(&[repo().join("samples/seed-demo")]);
    let r = report_of(&demo);
    let w = svg(Chart::Waterfall, &r, &demo);
    // containers' bar (its Tableau yellow), not the legend's swatch.
    let bar = w
        .split("<rect ")
        .skip(1)
        .map(|r| format!(" {}", r.split('>').next().unwrap()))
        .filter(|r| r.contains("fill=\"#EDC948\""))
        .map(|r| {
            let f = |k| attr(&r, k).unwrap().parse::<f64>().unwrap();
            (f("y"), f("height"))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap();
    let label = texts(&w)
        .into_iter()
        .find(|t| t.text == "default/pod-demo")
        .unwrap();
    let middle = bar.0 + bar.1 / 2.0;
    assert!((label.y - middle).abs() <= 2.0, "{bar:?} {}", label.y);
    // The bar takes 80 % of the plot's 228 px (182 px), where it had under half.
    assert!(bar.1 > 150.0, "{bar:?}");
}
