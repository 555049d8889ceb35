//! Generated bundles (`podtrace simulate`) against their ground truth.

use std::collections::BTreeMap;
use std::path::Path;

use podtrace::Analysis;
use podtrace::simulate::{SimOptions, Truth, generate};

use crate::util::*;
use podtrace::timeline::{Ms, Phase};

fn sim(dir: &Path, o: &SimOptions) -> Truth {
    generate(dir, o).unwrap().0
}

/// Compares every milestone with the truth. Exact, except kube-proxy programming: a sync that
/// started after the EndpointSlice write but before the node's informer delivered it is taken
/// (logs cannot show the informer), so programming may read early: by at most the informer delay
/// (≤ 20 ms here), the sync start delay (≤ 2 ms) and one sync (≤ 40 ms).
fn check(a: &Analysis, truth: &Truth) -> (usize, usize) {
    let by_uid: BTreeMap<&str, &podtrace::timeline::PodTimeline> = a
        .pods
        .iter()
        .filter_map(|p| p.uid.as_deref().map(|u| (u, p)))
        .collect();
    let (mut exact, mut programmed_early) = (0, 0);
    for tp in &truth.pods {
        let p = by_uid
            .get(tp.uid.as_str())
            .unwrap_or_else(|| panic!("pod {} not found", tp.name));
        assert_eq!(
            (p.namespace.as_str(), p.name.as_str()),
            (tp.namespace.as_str(), tp.name.as_str())
        );
        assert_eq!(p.node.as_deref(), Some(tp.node.as_str()));
        assert_eq!(p.pod_ip.as_deref(), Some(tp.ip.as_str()));
        for (k, &want_us) in &tp.milestones {
            let got = p
                .milestones
                .get(&k.parse().expect("truth uses contract names"))
                .unwrap_or_else(|| panic!("{}: {k} missing", tp.name))
                .t;
            let want = want_us * 1000;
            if k.starts_with("programmed") {
                assert!(
                    got <= want && want - got <= 62_000_000,
                    "{} {k}: {got} vs {want}",
                    tp.name
                );
                if got != want {
                    programmed_early += 1;
                }
            } else {
                assert_eq!(got, want, "{} {k}", tp.name);
            }
            exact += 1;
        }
        let c = &p.containers[0];
        assert_eq!(
            c.milestones.contains_key(&Ms::PullStarted),
            !tp.image_cached,
            "{}",
            tp.name
        );
        assert_eq!(c.id.as_deref(), Some(tp.container_id.as_str()));
    }
    (exact, programmed_early)
}

#[test]
fn simulated_bundle_matches_its_truth() {
    let d = tempfile::tempdir().unwrap();
    let truth = sim(
        d.path(),
        &SimOptions {
            pods: 60,
            nodes: 3,
            seed: 7,
            noise: 2,
            ..Default::default()
        },
    );
    let a = analyze(&path(&d));
    assert_eq!(a.pods.len(), 60);
    let (n, early) = check(&a, &truth);
    assert_eq!(n, 60 * 17);
    // Seed 7: 19 of the 120 programming values are read one sync early (the informer ambiguity).
    assert!(
        early <= 30,
        "programming read early for {early} of 120 values"
    );
    assert_eq!(a.warning_count, 0, "{:?}", a.warnings);
    // The phases tile each measured span, so the attributed shares add up to one.
    assert_eq!(a.attribution.len(), 4);
    for x in &a.attribution {
        let sum: f64 = x.phases.iter().map(|(_, v)| v).sum();
        assert!(
            (sum - 1.0).abs() < 1e-9,
            "{} {}: {sum}",
            x.measure,
            x.percentile
        );
    }
    let p99 = a
        .attribution
        .iter()
        .find(|x| x.measure == Phase::TimeToReady && x.percentile == "p99")
        .unwrap();
    assert_eq!(p99.pods, 1, "nearest rank: the slowest of 60");
    let slowest = a
        .pods
        .iter()
        .filter_map(|p| p.phases.get(&Phase::TimeToReady))
        .max()
        .unwrap();
    assert_eq!(p99.value_nanos, *slowest);
    // Coverage: everything observed, but volumes (the last SetUp line stands in for "all mounted").
    for (m, c) in &a.coverage {
        let want = if *m == "volumes_ready" {
            (0, 60, 0)
        } else {
            (60, 0, 0)
        };
        assert_eq!((c.observed, c.derived, c.missing), want, "{m}");
    }
    // The generator's truth file is not a log: said, not read.
    assert!(
        a.files
            .iter()
            .any(|f| f.path.ends_with("ground-truth.json") && f.skipped.is_some())
    );
}

#[test]
fn containerd2_gzip_and_a_plus_two_timezone() {
    let d = tempfile::tempdir().unwrap();
    let truth = sim(
        d.path(),
        &SimOptions {
            pods: 25,
            nodes: 2,
            seed: 3,
            containerd2: true,
            gzip: true,
            timezone_hours: 2,
            ..Default::default()
        },
    );
    let a = analyze(&path(&d));
    check(&a, &truth);
    assert!(
        a.clocks.clocks.iter().all(|c| c.offset_secs == 7200),
        "{:?}",
        a.clocks.clocks
    );
}

#[test]
fn same_timelines_as_folder_tar_gz_and_zip() {
    let d = tempfile::tempdir().unwrap();
    let bundle_dir = d.path().join("bundle");
    let truth = sim(
        &bundle_dir,
        &SimOptions {
            pods: 20,
            nodes: 2,
            seed: 11,
            noise: 1,
            ..Default::default()
        },
    );
    let folder = analyze(std::slice::from_ref(&bundle_dir));
    check(&folder, &truth);
    // tar.gz
    let mut b = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    b.append_dir_all("bundle", &bundle_dir).unwrap();
    let tgz = b.into_inner().unwrap().finish().unwrap();
    std::fs::write(d.path().join("bundle.tar.gz"), tgz).unwrap();
    // zip
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for e in files_under(&bundle_dir) {
        let rel = e
            .strip_prefix(d.path())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        z.start_file(rel, zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut z, &std::fs::read(&e).unwrap()).unwrap();
    }
    std::fs::write(
        d.path().join("bundle.zip"),
        z.finish().unwrap().into_inner(),
    )
    .unwrap();
    let strip = |a: &Analysis| -> Vec<String> {
        a.pods
            .iter()
            .map(|p| {
                let ms: Vec<String> = p
                    .milestones
                    .iter()
                    .map(|(k, m)| format!("{k}={}/{}", m.t, m.precision))
                    .collect();
                format!("{:?} {:?} {}", p.uid, p.phases, ms.join(","))
            })
            .collect()
    };
    let want = strip(&folder);
    for f in ["bundle.tar.gz", "bundle.zip"] {
        let a = analyze(&[d.path().join(f)]);
        assert_eq!(strip(&a), want, "{f}");
    }
}

#[test]
fn same_seed_same_bytes() {
    let (d1, d2, d3) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let o = SimOptions {
        pods: 15,
        nodes: 2,
        seed: 42,
        noise: 1,
        ..Default::default()
    };
    sim(d1.path(), &o);
    sim(d2.path(), &o);
    sim(
        d3.path(),
        &SimOptions {
            seed: 43,
            ..o.clone()
        },
    );
    let read = |d: &Path| -> Vec<(String, Vec<u8>)> {
        files_under(d)
            .into_iter()
            .map(|p| {
                (
                    p.strip_prefix(d).unwrap().to_string_lossy().into_owned(),
                    std::fs::read(&p).unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(read(d1.path()), read(d2.path()));
    assert_ne!(read(d1.path()), read(d3.path()));
}

/// Node-side milestones (written with the node's clock).
const NODE_SIDE: [&str; 9] = [
    "kubelet_seen",
    "volumes_ready",
    "sandbox_started",
    "network_started",
    "network_ready",
    "sandbox_ready",
    "running",
    "running_observed",
    "ready",
];

/// Largest error of node-side milestones per pod, after correction (ns).
fn worst_errors(a: &Analysis, truth: &Truth) -> Vec<i64> {
    let by_uid: BTreeMap<&str, _> = a
        .pods
        .iter()
        .filter_map(|p| p.uid.as_deref().map(|u| (u, p)))
        .collect();
    truth
        .pods
        .iter()
        .map(|tp| {
            let p = by_uid[tp.uid.as_str()];
            NODE_SIDE
                .iter()
                .map(|k| (p.milestones[&k.parse().unwrap()].t - tp.milestones[*k] * 1000).abs())
                .max()
                .unwrap()
        })
        .collect()
}

#[test]
fn skewed_nodes_are_brought_onto_the_apiserver_clock() {
    let d = tempfile::tempdir().unwrap();
    let truth = sim(
        d.path(),
        &SimOptions {
            pods: 200,
            nodes: 3,
            seed: 5,
            skew_ms: 250,
            ..Default::default()
        },
    );
    let a = analyze(&path(&d));
    assert_eq!(a.skew.len(), 3);
    for s in &a.skew {
        let true_ns = truth.skew_us[&s.host] * 1000;
        let (lo, hi) = (s.lower_nanos.unwrap(), s.upper_nanos.unwrap());
        assert!(
            lo <= true_ns && true_ns <= hi,
            "{}: true {true_ns} outside [{lo}, {hi}]",
            s.host
        );
        assert!(
            s.applied && (s.offset_nanos - true_ns).abs() < 5_000_000,
            "{s:?} vs {true_ns}"
        );
    }
    let worst = worst_errors(&a, &truth);
    let within = worst.iter().filter(|&&e| e <= 20_000_000).count();
    assert!(
        within * 100 >= worst.len() * 95,
        "{within} of {} pods within 20 ms",
        worst.len()
    );
    // Corrected milestones keep the time as written: t + clock_offset is what the kubelet
    // printed (the truth on the node's skewed clock), and the offset is the one reported.
    let p = &a.pods[0];
    let tp = truth
        .pods
        .iter()
        .find(|tp| Some(tp.uid.as_str()) == p.uid.as_deref())
        .unwrap();
    let m = &p.milestones[&Ms::KubeletSeen];
    let reported = a
        .skew
        .iter()
        .find(|s| s.host == tp.node)
        .unwrap()
        .offset_nanos;
    assert_eq!(m.clock_offset, Some(reported));
    assert_eq!(
        m.t + m.clock_offset.unwrap(),
        (tp.milestones["kubelet_seen"] + truth.skew_us[&tp.node]) * 1000
    );
    assert!(p.findings.is_empty(), "{:?}", p.findings);
    // The kubelet's own e2e differs by exactly the skew it measured across: explained.
    for p in a
        .pods
        .iter()
        .filter(|p| p.milestones[&Ms::RunningObserved].clock_offset.is_some())
    {
        let k = p.kubelet.as_ref().unwrap();
        let why = k.e2e_explanation.as_deref().unwrap();
        assert!(
            why.starts_with("running_observed was moved") && !why.contains("not explained"),
            "{why}"
        );
    }

    // Without correction the same bundle has negative phases, reported and not clamped.
    let mut o = opts();
    o.no_skew_correction = true;
    let raw = analyze_with(&path(&d), &o);
    assert!(
        raw.pods
            .iter()
            .any(|p| p.findings.iter().any(|f| f.contains("is negative")))
    );
}

#[test]
fn skew_of_500_ms_stays_bounded() {
    let d = tempfile::tempdir().unwrap();
    let truth = sim(
        d.path(),
        &SimOptions {
            pods: 200,
            nodes: 3,
            seed: 9,
            skew_ms: 500,
            ..Default::default()
        },
    );
    let a = analyze(&path(&d));
    for s in &a.skew {
        let true_ns = truth.skew_us[&s.host] * 1000;
        assert!(
            s.lower_nanos.unwrap() <= true_ns && true_ns <= s.upper_nanos.unwrap(),
            "{s:?} vs {true_ns}"
        );
    }
    let worst = worst_errors(&a, &truth);
    // The bound does not depend on the skew's size, only on the tightest pairs: a few ms.
    assert!(
        worst.iter().all(|&e| e <= 20_000_000),
        "max error {} ns",
        worst.iter().max().unwrap()
    );
}

#[test]
fn failures_are_found_with_their_cause_and_duration() {
    let d = tempfile::tempdir().unwrap();
    let truth = sim(
        d.path(),
        &SimOptions {
            pods: 40,
            nodes: 2,
            seed: 13,
            failures: true,
            ..Default::default()
        },
    );
    let a = analyze(&path(&d));
    check(&a, &truth);
    let mut seen = 0;
    for tp in &truth.pods {
        let p = a
            .pods
            .iter()
            .find(|p| p.uid.as_deref() == Some(tp.uid.as_str()))
            .unwrap();
        let got: Vec<(String, i64, Option<&str>)> = p
            .failures
            .iter()
            .map(|f| (f.cause.clone(), f.first, f.resolved_by.map(Ms::as_str)))
            .collect();
        let want: Vec<(String, i64, Option<&str>)> = tp
            .failures
            .iter()
            .map(|(c, t, m)| (c.clone(), t * 1000, Some(m.as_str())))
            .collect();
        assert_eq!(got, want, "{}", tp.name);
        for f in &p.failures {
            let end = p.milestones[&f.resolved_by.unwrap()].t;
            assert_eq!(f.held_nanos, Some(end - f.first));
        }
        seen += tp.failures.len();
    }
    // 40 pods: 4 unschedulable (one cause each), 4 failed pulls (Failed and BackOff).
    assert_eq!(seen, 4 + 4 * 2);
}

#[test]
fn init_containers_and_restarts() {
    let d = tempfile::tempdir().unwrap();
    let truth = sim(
        d.path(),
        &SimOptions {
            pods: 30,
            nodes: 2,
            seed: 21,
            init_containers: true,
            restarts: true,
            ..Default::default()
        },
    );
    let a = analyze(&path(&d));
    check(&a, &truth);
    let (mut inits, mut restarted) = (0, 0);
    for tp in &truth.pods {
        let p = a
            .pods
            .iter()
            .find(|p| p.uid.as_deref() == Some(tp.uid.as_str()))
            .unwrap();
        let app = p.containers.iter().find(|c| c.name == "app").unwrap();
        assert_eq!(app.restarts, tp.restarts, "{}", tp.name);
        assert!(!app.init);
        restarted += tp.restarts;
        match tp.init_container {
            Some((created, started, exited)) => {
                let init = p
                    .containers
                    .iter()
                    .find(|c| c.name == "init")
                    .expect("init container");
                assert!(
                    init.init,
                    "flagged by the kubelet's Events (fieldPath spec.initContainers)"
                );
                assert_eq!(init.milestones[&Ms::ContainerCreated].t, created * 1000);
                assert_eq!(init.milestones[&Ms::ContainerStarted].t, started * 1000);
                // The SLI leaves out the pull window and the init container's run (start → exit).
                // (one pull per pod here, so the kubelet's pull window is the app's image_pull)
                let pulls: i64 = p
                    .containers
                    .iter()
                    .filter_map(|c| c.phases.get(&Phase::ImagePull))
                    .sum();
                assert_eq!(
                    p.phases[&Phase::StartupSli],
                    p.phases[&Phase::StartupE2e] - pulls - (exited - started) * 1000,
                    "{}",
                    tp.name
                );
                inits += 1;
            }
            None => assert_eq!(p.containers.len(), 1, "{}", tp.name),
        }
    }
    assert_eq!((inits, restarted), (6, 3));
}
