//! Hand-built events for the stages' unit tests: one file of evidence (`t.log`, line numbers
//! given per event), times in exact nanoseconds, joined by the real [`join::join`].

use std::sync::Arc;

use podtrace_parsers::time::{Instant, Precision};

use super::{Ctx, Pod};
use crate::event::{Component, Event, EventKind, Evidence, PodRef, RawTime};
use crate::timeline::join::{self, Joined};
use crate::timeline::{Milestone, Ms, PodTimeline};

/// A base time with nanoseconds in it, so that a truncation anywhere shows.
pub const T0: i64 = 1_700_000_000_123_456_789;
pub const UID: &str = "6f1c2a3b-0000-4000-8000-000000000001";
pub const NODE: &str = "node-a";

/// `T0` plus `ms` milliseconds.
pub fn at(ms: i64) -> i64 {
    T0 + ms * 1_000_000
}

/// An instant of that precision, as embedded times are read.
pub fn instant(t: i64, precision: Precision) -> Instant {
    Instant {
        unix_nanos: t,
        precision,
        offset_secs: 0,
    }
}

/// The pod every test is about, with its UID.
pub fn pod() -> PodRef {
    PodRef::of("default", "web", Some(UID))
}

/// The pod named without its UID (as scheduler lines and Events do).
pub fn pod_by_name() -> PodRef {
    PodRef::new("default", "web")
}

/// An event at `t` (already on the run's clock), read from `t.log:line` on `host`.
pub fn ev(t: i64, line: u32, host: &str, component: Component, kind: EventKind) -> Event {
    Event {
        raw_time: RawTime::Abs(instant(t, Precision::Ns)),
        t,
        evidence: Evidence { file: 0, line },
        host: Some(Arc::from(host)),
        component,
        kind,
    }
}

/// A kubelet line about the pod.
pub fn kubelet(t: i64, line: u32, kind: EventKind) -> Event {
    ev(t, line, NODE, Component::Kubelet, kind)
}

/// A containerd line on the pod's node.
pub fn containerd(t: i64, line: u32, kind: EventKind) -> Event {
    ev(t, line, NODE, Component::Containerd, kind)
}

/// A stored Pod object for `pod()`, read at `t` from line 1 of a control-plane document: only
/// its Ready condition set (the UID-bearing anchor most stage tests need).
pub fn pod_object(t: i64, ready: Option<i64>) -> Event {
    ev(
        t,
        1,
        "control-plane",
        Component::Apiserver,
        EventKind::PodObject(Box::new(crate::event::PodObject {
            pod: pod(),
            node: None,
            pod_ip: None,
            scheduled: None,
            ready,
            containers: vec![],
            owner: None,
            mirror: None,
        })),
    )
}

/// An apiserver audit entry.
pub fn audit(t: i64, line: u32, kind: EventKind) -> Event {
    ev(t, line, "control-plane", Component::Audit, kind)
}

/// Events joined as a run joins them, with the names of their files.
pub struct Fixture {
    pub events: Vec<Event>,
    pub joined: Joined,
    names: Vec<Arc<str>>,
}

impl Fixture {
    pub fn new(events: Vec<Event>) -> Self {
        let joined = join::join(&events);
        Fixture {
            events,
            joined,
            names: vec![Arc::from("t.log")],
        }
    }

    pub fn cx(&self) -> Ctx<'_> {
        Ctx {
            events: &self.events,
            names: &self.names,
        }
    }

    /// The one pod the events make.
    pub fn pod(&self) -> Pod<'_> {
        assert_eq!(self.joined.pods.len(), 1, "the events make one pod");
        Pod::new(self.cx(), &self.joined.pods[0])
    }

    /// Runs one stage on an empty timeline.
    pub fn run(&self, stage: impl FnOnce(&Pod<'_>, &mut PodTimeline)) -> PodTimeline {
        self.run_on(PodTimeline::default(), stage)
    }

    /// Runs one stage on a timeline that earlier stages (or the test) filled.
    pub fn run_on(
        &self,
        mut tl: PodTimeline,
        stage: impl FnOnce(&Pod<'_>, &mut PodTimeline),
    ) -> PodTimeline {
        stage(&self.pod(), &mut tl);
        tl
    }
}

/// What a test checks of a milestone: time, source, evidence, derived note.
pub type Seen = (i64, Component, String, Option<String>);

pub fn seen(m: &Milestone) -> Seen {
    (
        m.t,
        m.source,
        m.evidence.to_string(),
        m.derived.as_deref().map(str::to_owned),
    )
}

/// The main-path milestone `k` of `tl`, as [`seen`]; panics when missing.
pub fn ms(tl: &PodTimeline, k: Ms) -> Seen {
    seen(
        tl.milestones
            .get(&k)
            .unwrap_or_else(|| panic!("{k} missing")),
    )
}

/// What a test expects: `derived` as a `&str`.
pub fn want(t: i64, source: Component, line: u32, derived: Option<&str>) -> Seen {
    (
        t,
        source,
        format!("t.log:{line}"),
        derived.map(str::to_owned),
    )
}

/// A hand-made milestone, for timelines that earlier stages would have filled.
pub fn milestone(t: i64, source: Component, line: u32, derived: Option<&str>) -> Milestone {
    Milestone {
        t,
        source,
        evidence: crate::timeline::Place {
            file: Arc::from("t.log"),
            line,
        },
        precision: crate::timeline::Precision::Ns,
        host: Some(Arc::from(NODE)),
        derived: derived.map(Into::into),
        clock_offset: None,
    }
}
