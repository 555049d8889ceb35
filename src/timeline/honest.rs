//! Honest numbers (issue 12, part C): what a phase's value means before any statistic uses it.
//!
//! [`review`] runs on every timeline once it is built, in this order:
//!
//! 1. **Static pods** (PHASES.md "Static pods"). The kubelet starts them from a manifest, so
//!    their API milestones (`requested`, `created`, `scheduled`: the mirror pod's write) do not
//!    start them and often come after the containers run. A phase from such an API milestone
//!    (to a node milestone, or `api_create` of the mirror pod), and `scheduling` (a static pod
//!    is never scheduled), does not apply: it is removed from `phases` and `not_applicable` says
//!    why. It is never a negative phase and never called clock skew. Where no manifest or
//!    mirror-pod sign was logged, a `kube-system/<component>-<node>` name on that node marks the
//!    pod static as a heuristic, and says so.
//! 2. **Precision.** A phase whose end comes before its start, but whose two times are in order
//!    once the finer one is truncated to the coarser one's precision (a Ready condition in whole
//!    seconds 300 ms "before" a nanosecond `running`), is no finding: the evidence only says the
//!    phase lies between 0 and the coarser precision. Its value becomes 0, the lower end of what
//!    both times allow, and `below_precision` keeps the value as computed and why. We chose 0
//!    rather than the negative value (which no startup can take) or leaving it out (which would
//!    drop exactly the fastest phases and bias percentiles upwards); a user who wants the raw
//!    figure finds it next to the 0.
//! 3. **Exclusions.** A value that is no measurement of one startup stays in `phases` as
//!    computed, is listed in `excluded` with its reason, and stays out of every statistic
//!    (percentiles, attribution, dominant phase, SLO gates, charts):
//!    - negative beyond the precision of its ends (also a finding: clock skew, timezone or
//!      parsing error);
//!    - one end from a stored Pod object whose time lies outside the time the run's logs cover
//!      while the other end comes from a log line: a restarted or re-created pod's object times
//!      (days apart) measure no startup the logs show;
//!    - longer than [`MAX_PLAUSIBLE_NANOS`] (24 h): no single startup takes a day; such a value
//!      spans a restart or re-creation.

use super::{API_MILESTONES, BelowPrecision, Milestone, Ms, PHASES, Phase, PodTimeline, StaticPod};
use crate::event::Component;

/// The plausibility bound: a phase longer than a day spans more than one startup.
pub const MAX_PLAUSIBLE_NANOS: i64 = 24 * 3600 * 1_000_000_000;

/// Slack around the logs' time range for Pod-object times, which are whole seconds.
const OBJECT_SLACK_NANOS: i64 = 1_000_000_000;

/// `a` then `b` are in order once the finer time is truncated to the coarser one's precision.
pub fn in_order_within_precision(a: &Milestone, b: &Milestone) -> bool {
    let q = a.precision.nanos().max(b.precision.nanos());
    b.t.div_euclid(q) >= a.t.div_euclid(q)
}

/// Read from a stored Pod object (bundles) rather than from a log line.
fn from_pod_object(m: &Milestone) -> bool {
    m.derived
        .as_deref()
        .is_some_and(|d| d.starts_with("pod object"))
}

fn ms(ns: i64) -> String {
    format!("{:.3} ms", ns as f64 / 1e6)
}

/// Applies the three rules of this module to one timeline. `logs` is the time range of the
/// run's log lines (Pod objects and other stored objects aside), when there are any.
pub fn review(tl: &mut PodTimeline, logs: Option<(i64, i64)>) {
    if tl.static_pod.is_none() {
        tl.static_pod = static_by_name(tl);
    }
    if tl.static_pod.is_some() {
        not_applicable(tl);
    }
    for (name, a, b) in PHASES {
        let (Some(&d), Some(x), Some(y)) = (
            tl.phases.get(&name),
            tl.milestones.get(&a),
            tl.milestones.get(&b),
        ) else {
            continue;
        };
        if let Some(why) = outside_logs(a, x, b, y, logs) {
            tl.excluded.insert(name, why);
        } else if d < 0 && in_order_within_precision(x, y) {
            let coarse = if y.precision.nanos() >= x.precision.nanos() {
                (b, y.precision)
            } else {
                (a, x.precision)
            };
            tl.below_precision.insert(
                name,
                BelowPrecision {
                    raw_nanos: d,
                    why: format!(
                        "{b} is {} before {a}, within the precision of {} ({}): the phase lies between 0 and that precision",
                        ms(-d),
                        coarse.0,
                        coarse.1
                    ),
                },
            );
            tl.phases.insert(name, 0);
        } else if d < 0 {
            tl.findings.push(format!(
                "phase {name} is negative ({:.3} ms: {b} at {} is before {a} at {}): clock skew, timezone or parsing error",
                d as f64 / 1e6,
                y.evidence,
                x.evidence
            ));
            tl.excluded.insert(
                name,
                format!(
                    "negative: {b} is {} before {a}, beyond their precision ({}, {})",
                    ms(-d),
                    y.precision,
                    x.precision
                ),
            );
        } else if d > MAX_PLAUSIBLE_NANOS {
            tl.excluded.insert(name, too_long(d));
        }
    }
    // startup_sli is startup_e2e less pulls and init containers: it follows startup_e2e.
    if let Some(&sli) = tl.phases.get(&Phase::StartupSli) {
        if tl.not_applicable.contains_key(&Phase::StartupE2e) {
            tl.phases.remove(&Phase::StartupSli);
            tl.not_applicable
                .insert(Phase::StartupSli, "startup_e2e does not apply".to_owned());
        } else if let Some(why) = tl.excluded.get(&Phase::StartupE2e).cloned() {
            tl.excluded
                .insert(Phase::StartupSli, format!("startup_e2e excluded: {why}"));
        } else if sli < 0 {
            tl.excluded.insert(
                Phase::StartupSli,
                format!(
                    "negative: the excluded pulls and init containers ({}) exceed startup_e2e",
                    ms(tl.phases.get(&Phase::StartupE2e).map_or(0, |e| e - sli))
                ),
            );
        } else if sli > MAX_PLAUSIBLE_NANOS {
            tl.excluded.insert(Phase::StartupSli, too_long(sli));
        }
    }
}

fn too_long(d: i64) -> String {
    format!(
        "{:.1} h, longer than the 24 h plausibility bound: spans a restart or re-creation, not one startup",
        d as f64 / 3.6e12
    )
}

/// One end from a Pod object outside the logs' range, the other from a log line.
fn outside_logs(
    a: Ms,
    x: &Milestone,
    b: Ms,
    y: &Milestone,
    logs: Option<(i64, i64)>,
) -> Option<String> {
    let (from, to) = logs?;
    let (name, obj) = match (from_pod_object(x), from_pod_object(y)) {
        (true, false) => (a, x),
        (false, true) => (b, y),
        _ => return None,
    };
    let when = if obj.t < from - OBJECT_SLACK_NANOS {
        format!("{:.1} h before", (from - obj.t) as f64 / 3.6e12)
    } else if obj.t > to + OBJECT_SLACK_NANOS {
        format!("{:.1} h after", (obj.t - to) as f64 / 3.6e12)
    } else {
        return None;
    };
    Some(format!(
        "{name} comes from a stored Pod object ({}) {when} the logs of the run: a restarted or re-created pod's object time, not this startup",
        obj.evidence
    ))
}

/// The fallback: `kube-system/<component>-<node>` on that node is how kubeadm, kind, RKE2 and
/// k3s name static pods.
fn static_by_name(tl: &PodTimeline) -> Option<StaticPod> {
    let node = tl.node.as_deref().filter(|n| !n.is_empty())?;
    let component = tl
        .name
        .strip_suffix(node)?
        .strip_suffix('-')
        .filter(|c| !c.is_empty())?;
    (tl.namespace == "kube-system").then(|| StaticPod {
        basis: format!(
            "name heuristic: kube-system/{component}-<node> on node {node} (no manifest or mirror-pod sign was logged)"
        ),
        heuristic: true,
    })
}

/// A static pod's phases from an API milestone to a node milestone.
fn not_applicable(tl: &mut PodTimeline) {
    let seen = tl.milestones.get(&Ms::KubeletSeen).map(|m| m.t);
    for (name, a, b) in PHASES {
        // `scheduling` ends at the mirror pod's PodScheduled: a static pod is never scheduled.
        let (end, x) = match (tl.milestones.get(&a), tl.milestones.get(&b)) {
            (Some(_), Some(y)) if b == Ms::Scheduled => (b, y),
            // The kubelet's own creation stamp (its podCreationTimestamp) is a node time, from
            // which the kubelet's E2E figure counts: it stays.
            (Some(x), Some(_)) if API_MILESTONES.contains(&a) && x.source != Component::Kubelet => {
                (a, x)
            }
            _ => continue,
        };
        let a = end;
        if tl.phases.remove(&name).is_none() {
            continue;
        }
        let order = match seen {
            Some(s) if x.t > s => format!(", {} after the kubelet read the manifest", ms(x.t - s)),
            _ => String::new(),
        };
        tl.not_applicable.insert(
            name,
            format!(
                "static pod: the kubelet started it from a manifest, not from the API; {a} ({}) is the mirror pod's API record{order}",
                x.evidence
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::{Place, Precision};

    const S: i64 = 1_000_000_000;

    fn m(t: i64, precision: Precision, source: Component, derived: Option<&str>) -> Milestone {
        Milestone {
            t,
            source,
            evidence: Place {
                file: "f".into(),
                line: 1,
            },
            precision,
            host: None,
            derived: derived.map(Into::into),
            clock_offset: None,
        }
    }

    /// A timeline with these milestones and the phases PHASES computes from them.
    fn tl(ms: &[(Ms, Milestone)]) -> PodTimeline {
        let mut p = PodTimeline {
            namespace: "default".into(),
            name: "web".into(),
            ..Default::default()
        };
        for (k, v) in ms {
            p.milestones.insert(*k, v.clone());
        }
        for (name, a, b) in PHASES {
            if let (Some(x), Some(y)) = (p.milestones.get(&a), p.milestones.get(&b)) {
                p.phases.insert(name, y.t - x.t);
            }
        }
        p
    }

    #[test]
    fn second_precision_ready_just_before_running_is_no_finding() {
        // running at 10.312 s (ns), ready from a Pod condition at 10 s (whole seconds).
        let mut p = tl(&[
            (
                Ms::Running,
                m(
                    10 * S + 312_000_000,
                    Precision::Ns,
                    Component::Containerd,
                    None,
                ),
            ),
            (
                Ms::Ready,
                m(
                    10 * S,
                    Precision::S,
                    Component::Apiserver,
                    Some("pod object Ready condition"),
                ),
            ),
        ]);
        review(&mut p, Some((0, 20 * S)));
        assert!(p.findings.is_empty(), "{:?}", p.findings);
        assert_eq!(p.phases[&Phase::Readiness], 0);
        assert_eq!(p.below_precision[&Phase::Readiness].raw_nanos, -312_000_000);
        assert_eq!(
            p.below_precision[&Phase::Readiness].why,
            "ready is 312.000 ms before running, within the precision of ready (s): the phase lies between 0 and that precision"
        );
        assert!(p.excluded.is_empty());
    }

    #[test]
    fn negative_beyond_precision_is_a_finding_and_excluded() {
        // ready at 9 s (s) is before running at 10.312 s even once running is truncated to 10 s.
        let mut p = tl(&[
            (
                Ms::Running,
                m(
                    10 * S + 312_000_000,
                    Precision::Ns,
                    Component::Containerd,
                    None,
                ),
            ),
            (Ms::Ready, m(9 * S, Precision::S, Component::Kubelet, None)),
        ]);
        review(&mut p, None);
        assert_eq!(
            p.phases[&Phase::Readiness],
            -1_312_000_000,
            "reported as computed"
        );
        assert_eq!(
            p.excluded[&Phase::Readiness],
            "negative: ready is 1312.000 ms before running, beyond their precision (s, ns)"
        );
        assert_eq!(
            p.findings,
            vec![
                "phase readiness is negative (-1312.000 ms: ready at f:1 is before running at f:1): clock skew, timezone or parsing error"
            ]
        );
        // Two ns times 1 ns apart in the wrong order: a finding too.
        let mut p = tl(&[
            (
                Ms::Running,
                m(10, Precision::Ns, Component::Containerd, None),
            ),
            (Ms::Ready, m(9, Precision::Ns, Component::Kubelet, None)),
        ]);
        review(&mut p, None);
        assert_eq!(p.findings.len(), 1);
        assert!(p.below_precision.is_empty());
    }

    #[test]
    fn static_pod_api_phases_do_not_apply() {
        // The kubelet read the manifest at 1 s, ran it at 3 s; the mirror pod was written at
        // 5 s (audit, by system:node:cp).
        let mut p = tl(&[
            (
                Ms::Requested,
                m(5 * S - 2_000, Precision::Us, Component::Audit, None),
            ),
            (Ms::Created, m(5 * S, Precision::Us, Component::Audit, None)),
            (
                Ms::KubeletSeen,
                m(S, Precision::Ns, Component::Kubelet, None),
            ),
            (
                Ms::SandboxStarted,
                m(2 * S, Precision::Ns, Component::Containerd, None),
            ),
            (
                Ms::Running,
                m(3 * S, Precision::Ns, Component::Containerd, None),
            ),
            (
                Ms::RunningObserved,
                m(3 * S + 5, Precision::Ns, Component::Kubelet, None),
            ),
            (Ms::Ready, m(4 * S, Precision::Ns, Component::Kubelet, None)),
        ]);
        p.static_pod = Some(StaticPod {
            basis: "test".into(),
            heuristic: false,
        });
        p.phases.insert(Phase::StartupSli, -2 * S);
        review(&mut p, None);
        assert!(p.findings.is_empty(), "{:?}", p.findings);
        assert!(p.excluded.is_empty(), "{:?}", p.excluded);
        let na: Vec<Phase> = p.not_applicable.keys().copied().collect();
        assert_eq!(
            na,
            vec![
                Phase::ApiCreate,
                Phase::StartupE2e,
                Phase::TimeToReady,
                Phase::StartupSli
            ]
        );
        assert_eq!(
            p.not_applicable[&Phase::TimeToReady],
            "static pod: the kubelet started it from a manifest, not from the API; created (f:1) is the mirror pod's API record, 4000.000 ms after the kubelet read the manifest"
        );
        // Its main path starts at kubelet_seen: node phases stay.
        assert_eq!(p.phases[&Phase::KubeletPrep], S);
        assert_eq!(p.phases[&Phase::Readiness], S);
        assert!(!p.phases.contains_key(&Phase::TimeToReady));
    }

    #[test]
    fn static_by_name_is_a_said_heuristic() {
        let mut p = tl(&[]);
        p.namespace = "kube-system".into();
        p.name = "etcd-kind-control-plane".into();
        p.node = Some("kind-control-plane".into());
        review(&mut p, None);
        let s = p.static_pod.clone().unwrap();
        assert!(s.heuristic);
        assert_eq!(
            s.basis,
            "name heuristic: kube-system/etcd-<node> on node kind-control-plane (no manifest or mirror-pod sign was logged)"
        );
        // Another namespace, or a name that is not <component>-<node>: not static.
        for (ns, name) in [
            ("default", "etcd-kind-control-plane"),
            ("kube-system", "kind-control-plane"),
            ("kube-system", "kube-proxy-x2k9p"),
        ] {
            let mut q = tl(&[]);
            q.namespace = ns.into();
            q.name = name.into();
            q.node = Some("kind-control-plane".into());
            review(&mut q, None);
            assert_eq!(q.static_pod, None, "{ns}/{name}");
        }
    }

    #[test]
    fn object_times_outside_the_logs_and_too_long_values_are_excluded() {
        let day = 24 * 3600 * S;
        // created from a Pod object 17 days before the logs begin (a restarted pod).
        let mut p = tl(&[
            (
                Ms::Created,
                m(
                    0,
                    Precision::S,
                    Component::Apiserver,
                    Some("pod object creationTimestamp"),
                ),
            ),
            (
                Ms::KubeletSeen,
                m(17 * day, Precision::Ns, Component::Kubelet, None),
            ),
            (
                Ms::Running,
                m(17 * day + S, Precision::Ns, Component::Containerd, None),
            ),
            (
                Ms::Ready,
                m(17 * day + 2 * S, Precision::Ns, Component::Kubelet, None),
            ),
        ]);
        p.milestones
            .insert(Ms::RunningObserved, p.milestones[&Ms::Ready].clone());
        p.phases.insert(Phase::StartupE2e, 17 * day + 2 * S);
        p.phases.insert(Phase::StartupSli, 17 * day + S);
        review(&mut p, Some((17 * day - 10 * S, 17 * day + 10 * S)));
        assert_eq!(
            p.excluded[&Phase::TimeToReady],
            "created comes from a stored Pod object (f:1) 408.0 h before the logs of the run: a restarted or re-created pod's object time, not this startup"
        );
        assert!(p.excluded[&Phase::StartupSli].starts_with("startup_e2e excluded: created comes"));
        assert!(!p.excluded.contains_key(&Phase::Readiness));
        assert_eq!(
            p.phases[&Phase::TimeToReady],
            17 * day + 2 * S,
            "kept as computed"
        );
        // Without a log range, the 24 h bound catches it.
        let mut q = tl(&[
            (
                Ms::Created,
                m(
                    0,
                    Precision::S,
                    Component::Apiserver,
                    Some("pod object creationTimestamp"),
                ),
            ),
            (
                Ms::Ready,
                m(day + 1, Precision::Ns, Component::Kubelet, None),
            ),
        ]);
        review(&mut q, None);
        assert_eq!(
            q.excluded[&Phase::TimeToReady],
            "24.0 h, longer than the 24 h plausibility bound: spans a restart or re-creation, not one startup"
        );
        // Exactly a day is still a value.
        let mut r = tl(&[
            (Ms::Created, m(0, Precision::Us, Component::Audit, None)),
            (Ms::Ready, m(day, Precision::Ns, Component::Kubelet, None)),
        ]);
        review(&mut r, None);
        assert!(r.excluded.is_empty());
    }
}
