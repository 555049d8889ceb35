//! Clock skew between machines, from causal pairs (issue 4: "one clock").
//!
//! The apiserver's audit clock is the reference. A node's clock reads `true + δ`. Pairs of events
//! that must be ordered in true time bound δ:
//! - the binding is persisted (audit) before that node's kubelet sees the pod ("SyncLoop ADD"):
//!   `kubelet_seen − δ > scheduled`, so `δ < kubelet_seen − scheduled` (an upper bound);
//! - the kubelet sees readiness before the apiserver stores its status patch:
//!   `ready − δ < ready_reported`, so `δ > ready − ready_reported` (a lower bound);
//!
//! Every pair of a node narrows `[lo, hi]`; δ is the middle, and the interval is the bound. An
//! interval that holds 0 is consistent with synchronised clocks, and nothing is moved. Timezone
//! offsets (whole quarter hours, `clock.rs`) are applied before and stay separate. Unlike tools
//! that clamp negative latencies to zero, nothing is clamped: an empty interval is reported.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::join::Joined;
use super::{Milestone, Ms, PodTimeline};
use crate::event::{Component, Event, EventKind, SyncOp};

/// One node's estimated offset from the reference clock.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HostSkew {
    pub host: String,
    /// Nanoseconds this host's clock runs ahead of the apiserver's (subtracted from its times).
    pub offset_nanos: i64,
    /// The interval the pairs allow, nanoseconds (`None`: unbounded on that side).
    pub lower_nanos: Option<i64>,
    pub upper_nanos: Option<i64>,
    pub lower_pairs: usize,
    pub upper_pairs: usize,
    /// The pairs contradict each other (lower > upper): not corrected.
    pub inconsistent: bool,
    pub applied: bool,
}

fn primary(p: &PodTimeline, name: Ms, source: Component) -> Option<&Milestone> {
    p.milestones
        .get(&name)
        .filter(|m| m.derived.is_none() && m.source == source)
}

/// One pod's four instants that bound its node's clock (each `(t, host)`, primary sources
/// only): scheduled (audit), kubelet_seen (kubelet), ready (kubelet), ready_reported (audit).
#[derive(Default)]
struct Pairs<'a> {
    scheduled: Option<i64>,
    seen: Option<(i64, Option<&'a str>)>,
    ready: Option<(i64, Option<&'a str>)>,
    reported: Option<i64>,
}

/// Each node's bounds from every pod's pairs, and the estimate they give.
fn from_pairs<'a>(pods: impl Iterator<Item = Pairs<'a>>) -> Vec<HostSkew> {
    #[derive(Default)]
    struct B {
        lo: Option<i64>,
        hi: Option<i64>,
        nlo: usize,
        nhi: usize,
    }
    let mut per: BTreeMap<&str, B> = BTreeMap::new();
    for p in pods {
        if let (Some(s), Some((k, Some(h)))) = (p.scheduled, p.seen) {
            let b = per.entry(h).or_default();
            let v = k - s;
            b.hi = Some(b.hi.map_or(v, |x| x.min(v)));
            b.nhi += 1;
        }
        if let (Some(r), Some((k, Some(h)))) = (p.reported, p.ready) {
            let b = per.entry(h).or_default();
            let v = k - r;
            b.lo = Some(b.lo.map_or(v, |x| x.max(v)));
            b.nlo += 1;
        }
    }
    per.into_iter()
        .map(|(host, b)| {
            let (offset, inconsistent) = match (b.lo, b.hi) {
                (Some(lo), Some(hi)) if lo > hi => (0, true),
                // Consistent with no skew at all: leave the clock alone.
                (Some(lo), Some(hi)) if lo <= 0 && 0 <= hi => (0, false),
                (Some(lo), Some(hi)) => (lo + (hi - lo) / 2, false),
                // One-sided: the bound itself is the best point estimate only when it excludes 0.
                (Some(lo), None) => (lo.max(0), false),
                (None, Some(hi)) => (hi.min(0), false),
                (None, None) => (0, false),
            };
            HostSkew {
                host: host.to_owned(),
                offset_nanos: offset,
                lower_nanos: b.lo,
                upper_nanos: b.hi,
                lower_pairs: b.nlo,
                upper_pairs: b.nhi,
                inconsistent,
                applied: false,
            }
        })
        .collect()
}

/// Estimates every node's offset from built timelines (what [`estimate_joined`] must equal).
pub fn estimate(pods: &[PodTimeline]) -> Vec<HostSkew> {
    fn at(m: Option<&Milestone>) -> Option<i64> {
        m.map(|m| m.t)
    }
    fn on(m: Option<&Milestone>) -> Option<(i64, Option<&str>)> {
        m.map(|m| (m.t, m.host.as_deref()))
    }
    from_pairs(pods.iter().map(|p| Pairs {
        scheduled: at(primary(p, Ms::Scheduled, Component::Audit)),
        seen: on(primary(p, Ms::KubeletSeen, Component::Kubelet)),
        ready: on(primary(p, Ms::Ready, Component::Kubelet)),
        reported: at(primary(p, Ms::ReadyReported, Component::Audit)),
    }))
}

/// Estimates every node's offset straight from the joined events, without building any
/// timeline: the four milestones the pairs use are each one event picked by the build's own
/// first rule (`build::api`, `build::kubelet`, `build::readiness`), kept only when that event
/// comes from the primary source (a fallback is `derived`, and never a pair). Equal to
/// [`estimate`] of the built pods (a test holds them equal on generated and real bundles), at
/// the cost of one walk over each pod's events instead of a whole build.
pub fn estimate_joined(events: &[Event], joined: &Joined) -> Vec<HostSkew> {
    let from = |i: Option<usize>, c: Component| {
        i.map(|i| &events[i])
            .filter(|e| e.component == c)
            .map(|e| (e.t, e.host.as_deref()))
    };
    from_pairs(joined.pods.iter().map(|g| {
        let first = |f: &dyn Fn(&EventKind) -> bool| {
            g.events.iter().copied().find(|&i| f(&events[i].kind))
        };
        let add_from = |sources: &'static [&'static str]| {
            move |e: &EventKind| {
                matches!(e, EventKind::SyncLoop { op: SyncOp::Add, source, .. } if sources.contains(&&**source))
            }
        };
        // kubelet_seen: an ADD from a manifest first, else from the API (build::kubelet).
        let seen = first(&add_from(&["file", "http"])).or_else(|| first(&add_from(&["api"])));
        Pairs {
            scheduled: from(
                first(&|e| matches!(e, EventKind::AuditBinding { .. })),
                Component::Audit,
            )
            .map(|(t, _)| t),
            seen: from(seen, Component::Kubelet),
            ready: from(
                first(&|e| {
                    matches!(e, EventKind::Probe { probe, status, .. } if &**probe == "readiness" && &**status == "ready")
                }),
                Component::Kubelet,
            ),
            reported: from(
                first(&|e| {
                    matches!(
                        e,
                        EventKind::AuditStatusPatch {
                            ready: Some(true),
                            ..
                        }
                    )
                }),
                Component::Audit,
            )
            .map(|(t, _)| t),
        }
    }))
}

/// Each moved node's offset (nanoseconds subtracted from its times), by host.
pub type Shifts = HashMap<String, i64>;

/// Estimates each node's skew from the joined events on the clocks as written, moves the events
/// of every consistently skewed node onto the apiserver's clock, and joins again (a pod matched
/// by name takes the one nearest in time, which the move may change). Returns the estimates
/// (with `applied` set on those used) and the shifts, for [`mark`] once the pods are built.
pub fn correct(events: &mut [Event], joined: &mut Joined) -> (Vec<HostSkew>, Shifts) {
    let skew = estimate_joined(events, joined);
    apply(events, joined, skew)
}

/// Whether an estimate moves its node: consistent, and not zero.
pub fn applies(s: &HostSkew) -> bool {
    !s.inconsistent && s.offset_nanos != 0
}

/// Moves the events of every node whose estimate [`applies`] (given: made here by [`correct`],
/// or by the partitions of a split build, `partition::merge`) and joins again.
pub fn apply(
    events: &mut [Event],
    joined: &mut Joined,
    mut skew: Vec<HostSkew>,
) -> (Vec<HostSkew>, Shifts) {
    let shifts: Shifts = skew
        .iter_mut()
        .filter(|s| applies(s))
        .map(|s| {
            s.applied = true;
            (s.host.clone(), s.offset_nanos)
        })
        .collect();
    if shifts.is_empty() {
        return (skew, shifts);
    }
    for e in events.iter_mut() {
        if let Some(d) = e.host.as_deref().and_then(|h| shifts.get(h)) {
            e.t -= d;
            if let EventKind::Startup { startup, .. } = &mut e.kind {
                for i in startup.node_clock_times_mut() {
                    i.unix_nanos -= d;
                }
            }
        }
    }
    *joined = super::join::join(events);
    (skew, shifts)
}

/// Says on each milestone read on a moved clock by how much it was moved (`clock_offset`).
pub fn mark(pods: &mut [PodTimeline], shifts: &Shifts) {
    if shifts.is_empty() {
        return;
    }
    for p in pods.iter_mut() {
        let mark = |m: &mut Milestone| {
            if let Some(d) = m.host.as_deref().and_then(|h| shifts.get(h)) {
                m.clock_offset = Some(*d);
            }
        };
        p.milestones.iter_mut().for_each(|(_, m)| mark(m));
        p.programmed.iter_mut().for_each(|(_, m)| mark(m));
        for c in &mut p.containers {
            c.milestones.iter_mut().for_each(|(_, m)| mark(m));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(t: i64, source: Component, host: Option<&str>) -> Milestone {
        Milestone {
            t,
            source,
            evidence: crate::timeline::Place {
                file: "test".into(),
                line: 1,
            },
            precision: crate::timeline::Precision::Us,
            host: host.map(Into::into),
            derived: None,
            clock_offset: None,
        }
    }

    /// The estimate from joined events equals the estimate from built pods where the first
    /// event of a kind is not the one a naive reading would pick: a static pod (manifest ADD
    /// before an API ADD), an ADD from another source (derived), a first readiness probe that
    /// failed, a status patch without Ready, and a binding only the scheduler logged (derived).
    #[test]
    fn estimate_from_joined_events_equals_the_built_pods() {
        use crate::event::{Event, EventKind, Evidence, PodRef, RawTime, SyncOp};
        use podtrace_parsers::time::{Instant, Precision};
        let at = |ms: i64| 1_700_000_000_123_456_789 + ms * 1_000_000;
        let ev = |t: i64, line: u32, host: &str, component, kind| Event {
            raw_time: RawTime::Abs(Instant {
                unix_nanos: t,
                precision: Precision::Ns,
                offset_secs: 0,
            }),
            t,
            evidence: Evidence { file: 0, line },
            host: Some(std::sync::Arc::from(host)),
            component,
            kind,
        };
        let audit = |t, line, kind| ev(t, line, "control-plane", Component::Audit, kind);
        let pod = |name: &str| {
            PodRef::new("default", name)
                .with_uid(Some(&format!("00000000-0000-4000-8000-{name:0>12}")))
        };
        let add = |t, line, host: &str, p: &PodRef, source: &str| {
            ev(
                t,
                line,
                host,
                Component::Kubelet,
                EventKind::SyncLoop {
                    op: SyncOp::Add,
                    source: source.into(),
                    pods: Box::new([p.clone()]),
                },
            )
        };
        let probe = |t, line, host: &str, p: &PodRef, status: &str| {
            ev(
                t,
                line,
                host,
                Component::Kubelet,
                EventKind::Probe {
                    pod: p.clone(),
                    probe: "readiness".into(),
                    status: status.into(),
                },
            )
        };
        let bind = |t, line, p: &PodRef| {
            audit(
                t,
                line,
                EventKind::AuditBinding {
                    pod: p.clone(),
                    node: Some("a".into()),
                },
            )
        };
        let patch = |t, line, p: &PodRef, ready| {
            audit(
                t,
                line,
                EventKind::AuditStatusPatch {
                    pod: p.clone(),
                    user: None,
                    ready,
                    pod_ip: None,
                },
            )
        };
        let (web, stat, other, sched) = (pod("web"), pod("static"), pod("other"), pod("sched"));
        let mut events = vec![
            // web on a: binding, ADD 40 ms later, a failed then a passed probe, a patch without
            // Ready, then Ready stored 5 ms after the pass.
            bind(at(0), 1, &web),
            add(at(40), 2, "a", &web, "api"),
            probe(at(100), 3, "a", &web, "not ready"),
            probe(at(200), 4, "a", &web, "ready"),
            patch(at(150), 5, &web, Some(false)),
            patch(at(205), 6, &web, Some(true)),
            // static on b: the manifest ADD comes before the API ADD of its mirror pod.
            bind(at(0), 7, &stat),
            add(at(-30), 8, "b", &stat, "file"),
            add(at(60), 9, "b", &stat, "api"),
            // other on c: an ADD from another source only (derived: no pair).
            bind(at(0), 10, &other),
            add(at(20), 11, "c", &other, "http-other"),
            probe(at(300), 12, "c", &other, "ready"),
            patch(at(290), 13, &other, Some(true)),
            // sched: bound by the scheduler only (derived), seen on a.
            ev(
                at(0),
                14,
                "control-plane",
                Component::Scheduler,
                EventKind::SchedBound {
                    pod: sched.clone(),
                    node: Some("a".into()),
                },
            ),
            add(at(10), 15, "a", &sched, "api"),
        ];
        events.sort_by_key(|e| (e.t, e.evidence));
        let joined = crate::timeline::join::join(&events);
        let names = [std::sync::Arc::from("t.log")];
        let built = estimate(&crate::timeline::build::build_all(&events, &joined, &names));
        let fast = estimate_joined(&events, &joined);
        assert_eq!(fast, built);
        let bounds: Vec<_> = fast
            .iter()
            .map(|s| {
                (
                    s.host.as_str(),
                    s.lower_nanos,
                    s.upper_nanos,
                    s.lower_pairs,
                    s.upper_pairs,
                )
            })
            .collect();
        assert_eq!(
            bounds,
            [
                ("a", Some(-5_000_000), Some(40_000_000), 1, 1),
                ("b", None, Some(-30_000_000), 0, 1),
                ("c", Some(10_000_000), None, 1, 0),
            ]
        );
    }

    #[test]
    fn bounds_from_pairs() {
        // Node clock 100 ms ahead; binding→ADD 3 ms, ready→stored 5 ms in true time.
        let mut p = PodTimeline::default();
        p.milestones
            .insert(Ms::Scheduled, ms(1_000_000_000, Component::Audit, None));
        p.milestones.insert(
            Ms::KubeletSeen,
            ms(1_103_000_000, Component::Kubelet, Some("n")),
        );
        p.milestones
            .insert(Ms::Ready, ms(2_100_000_000, Component::Kubelet, Some("n")));
        p.milestones
            .insert(Ms::ReadyReported, ms(2_005_000_000, Component::Audit, None));
        let s = estimate(&[p]);
        assert_eq!(s.len(), 1);
        assert_eq!(
            (s[0].lower_nanos, s[0].upper_nanos),
            (Some(95_000_000), Some(103_000_000))
        );
        assert_eq!(s[0].offset_nanos, 99_000_000);
        assert!(!s[0].inconsistent);
    }
}
