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

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Milestone, Ms, PodTimeline};
use crate::event::Component;

/// One node's estimated offset from the reference clock.
#[derive(Debug, Clone, Serialize, PartialEq)]
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

/// Estimates every node's offset from the first-pass timelines.
pub fn estimate(pods: &[PodTimeline]) -> Vec<HostSkew> {
    #[derive(Default)]
    struct B {
        lo: Option<i64>,
        hi: Option<i64>,
        nlo: usize,
        nhi: usize,
    }
    let mut per: BTreeMap<String, B> = BTreeMap::new();
    for p in pods {
        let scheduled = primary(p, Ms::Scheduled, Component::Audit);
        let reported = primary(p, Ms::ReadyReported, Component::Audit);
        if let (Some(s), Some(k)) = (scheduled, primary(p, Ms::KubeletSeen, Component::Kubelet)) {
            if let Some(h) = &k.host {
                let b = per.entry(h.to_string()).or_default();
                let v = k.t - s.t;
                b.hi = Some(b.hi.map_or(v, |x| x.min(v)));
                b.nhi += 1;
            }
        }
        if let (Some(r), Some(k)) = (reported, primary(p, Ms::Ready, Component::Kubelet)) {
            if let Some(h) = &k.host {
                let b = per.entry(h.to_string()).or_default();
                let v = k.t - r.t;
                b.lo = Some(b.lo.map_or(v, |x| x.max(v)));
                b.nlo += 1;
            }
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
                host,
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

/// Estimates each node's skew from the pods built on the clocks as written, moves the events of
/// every consistently skewed node onto the apiserver's clock, and joins and builds again. Each
/// milestone read on a moved clock says by how much (`clock_offset`). Returns the estimates
/// (with `applied` set on those used).
pub fn correct(
    events: &mut [crate::event::Event],
    joined: &mut super::join::Joined,
    pods: &mut Vec<PodTimeline>,
    names: &[std::sync::Arc<str>],
) -> Vec<HostSkew> {
    let mut skew = estimate(pods);
    let shifts: std::collections::HashMap<String, i64> = skew
        .iter_mut()
        .filter(|s| !s.inconsistent && s.offset_nanos != 0)
        .map(|s| {
            s.applied = true;
            (s.host.clone(), s.offset_nanos)
        })
        .collect();
    if shifts.is_empty() {
        return skew;
    }
    for e in events.iter_mut() {
        if let Some(d) = e.host.as_deref().and_then(|h| shifts.get(h)) {
            e.t -= d;
            if let crate::event::EventKind::Startup { startup, .. } = &mut e.kind {
                for i in startup.node_clock_times_mut() {
                    i.unix_nanos -= d;
                }
            }
        }
    }
    *joined = super::join::join(events);
    *pods = super::build::build_all(events, joined, names);
    for p in pods.iter_mut() {
        let mark = |m: &mut Milestone| {
            if let Some(d) = m.host.as_deref().and_then(|h| shifts.get(h)) {
                m.clock_offset = Some(*d);
            }
        };
        p.milestones.values_mut().for_each(mark);
        p.programmed.values_mut().for_each(mark);
        for c in &mut p.containers {
            c.milestones.values_mut().for_each(mark);
        }
    }
    skew
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
            precision: "us",
            host: host.map(Into::into),
            derived: None,
            clock_offset: None,
        }
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
