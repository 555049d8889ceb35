//! Drill-down: which pods an `analyze` run shows (by name, namespace, node, owner) and in what
//! order (longest phase or latest milestone first). Text and JSON output share it.

use std::str::FromStr;

use crate::timeline::{MILESTONES, Ms, PHASES, Phase, PodTimeline};

/// What to order pods by: a phase (longest first) or a milestone (latest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Phase(Phase),
    Milestone(Ms),
}

/// The pod-level phases one can sort by, in the contract's order (docs/phases.md#phases).
pub fn sort_phases() -> impl Iterator<Item = Phase> {
    PHASES
        .iter()
        .map(|(p, _, _)| *p)
        .chain([Phase::StartupSli, Phase::KubeletE2e])
}

impl FromStr for SortKey {
    type Err = String;

    fn from_str(s: &str) -> Result<SortKey, String> {
        if let Some(p) = sort_phases().find(|p| p.as_str() == s) {
            return Ok(SortKey::Phase(p));
        }
        if let Some(m) = MILESTONES.iter().find(|m| m.as_str() == s) {
            return Ok(SortKey::Milestone(*m));
        }
        let phases: Vec<&str> = sort_phases().map(Phase::as_str).collect();
        let milestones: Vec<&str> = MILESTONES.iter().map(|m| m.as_str()).collect();
        Err(format!(
            "unknown phase or milestone {s:?}; phases (longest first): {}; milestones (latest first): {}",
            phases.join(", "),
            milestones.join(", ")
        ))
    }
}

impl std::fmt::Display for SortKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SortKey::Phase(p) => f.write_str(p.as_str()),
            SortKey::Milestone(m) => f.write_str(m.as_str()),
        }
    }
}

impl SortKey {
    /// The pod's value for this key: a phase's nanoseconds, a milestone's UTC nanoseconds.
    pub fn value(self, p: &PodTimeline) -> Option<i64> {
        match self {
            SortKey::Phase(Phase::KubeletE2e) => p.kubelet.as_ref().and_then(|k| k.e2e_nanos),
            SortKey::Phase(ph) => p.phases.get(&ph).copied(),
            SortKey::Milestone(m) => p.milestones.get(&m).map(|m| m.t),
        }
    }

    /// The default order: the first of the end-to-end phases that most pods have (a bundle
    /// without kubelet logs has no startup_e2e, one without audit logs no time_to_serving).
    pub fn default_for(pods: &[&PodTimeline]) -> SortKey {
        let candidates = [
            Phase::StartupE2e,
            Phase::TimeToReady,
            Phase::TimeToServing,
            Phase::Containers,
        ];
        let mut best = (0, Phase::StartupE2e);
        for ph in candidates {
            let n = pods.iter().filter(|p| p.phases.contains_key(&ph)).count();
            if n > best.0 {
                best = (n, ph);
            }
        }
        SortKey::Phase(best.1)
    }
}

/// Which pods to show; every field set must match.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// `name`, `namespace/name` or a uid prefix; a pod matching any is kept.
    pub pods: Vec<String>,
    pub namespace: Option<String>,
    pub node: Option<String>,
    /// `Kind/name` (`ReplicaSet/web-7d4b9c6f5`) or the name alone.
    pub owner: Option<String>,
}

impl Filter {
    /// Whether the pod passes the namespace, node and owner filters and, when pods are named,
    /// is one of them.
    pub fn keeps(&self, p: &PodTimeline) -> bool {
        (self.pods.is_empty() || self.pods.iter().any(|s| names(p, s)))
            && self.namespace.as_ref().is_none_or(|ns| *ns == p.namespace)
            && self
                .node
                .as_ref()
                .is_none_or(|n| p.node.as_ref() == Some(n))
            && self.owner.as_ref().is_none_or(|o| owned_by(p, o))
    }

    pub fn is_empty(&self) -> bool {
        self.pods.is_empty()
            && self.namespace.is_none()
            && self.node.is_none()
            && self.owner.is_none()
    }
}

/// Whether `sel` names this pod: its name, `namespace/name`, or a prefix of its uid.
pub fn names(p: &PodTimeline, sel: &str) -> bool {
    if sel.is_empty() {
        return false;
    }
    match sel.split_once('/') {
        Some((ns, name)) => ns == p.namespace && name == p.name,
        None => p.name == sel || p.uid.as_deref().is_some_and(|u| u.starts_with(sel)),
    }
}

fn owned_by(p: &PodTimeline, owner: &str) -> bool {
    p.owner.as_deref().is_some_and(|o| {
        o == owner
            || o.split_once('/')
                .is_some_and(|(_, name)| name == owner && !owner.contains('/'))
    })
}

/// The pods `f` keeps, in `pods`' order; `Err` lists the pod selectors that matched no pod.
pub fn select<'a>(
    pods: &'a [PodTimeline],
    f: &Filter,
) -> Result<Vec<&'a PodTimeline>, Vec<String>> {
    let unmatched: Vec<String> = f
        .pods
        .iter()
        .filter(|s| !pods.iter().any(|p| names(p, s)))
        .cloned()
        .collect();
    if !unmatched.is_empty() {
        return Err(unmatched);
    }
    Ok(pods.iter().filter(|p| f.keeps(p)).collect())
}

/// Largest value first (longest phase, latest milestone); pods without one last, in their order.
pub fn sort(pods: &mut [&PodTimeline], key: SortKey) {
    pods.sort_by_key(|p| std::cmp::Reverse(key.value(p)));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(
        ns: &str,
        name: &str,
        uid: &str,
        node: &str,
        owner: Option<&str>,
        sched: Option<i64>,
    ) -> PodTimeline {
        let mut p = PodTimeline {
            namespace: ns.into(),
            name: name.into(),
            uid: Some(uid.into()),
            node: Some(node.into()),
            owner: owner.map(Into::into),
            ..Default::default()
        };
        if let Some(d) = sched {
            p.phases.insert(Phase::Scheduling, d);
        }
        p
    }

    #[test]
    fn filters_and_order() {
        let pods = [
            pod(
                "a",
                "web-1",
                "1111-aa",
                "n1",
                Some("ReplicaSet/web-7d4"),
                Some(5),
            ),
            pod(
                "b",
                "web-1",
                "2222-bb",
                "n2",
                Some("ReplicaSet/web-7d4"),
                None,
            ),
            pod(
                "a",
                "db-0",
                "3333-cc",
                "n1",
                Some("StatefulSet/db"),
                Some(9),
            ),
        ];
        let names = |f: &Filter| -> Vec<String> {
            select(&pods, f)
                .unwrap()
                .iter()
                .map(|p| format!("{}/{}", p.namespace, p.name))
                .collect()
        };
        let by = |sel: &[&str]| Filter {
            pods: sel.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        assert_eq!(names(&by(&["web-1"])), ["a/web-1", "b/web-1"]);
        assert_eq!(names(&by(&["b/web-1", "33"])), ["b/web-1", "a/db-0"]);
        assert_eq!(select(&pods, &by(&["web", "a/db-0"])).unwrap_err(), ["web"]);
        let f = Filter {
            namespace: Some("a".into()),
            owner: Some("web-7d4".into()),
            ..Default::default()
        };
        assert_eq!(names(&f), ["a/web-1"]);
        let f = Filter {
            owner: Some("StatefulSet/db".into()),
            node: Some("n1".into()),
            ..Default::default()
        };
        assert_eq!(names(&f), ["a/db-0"]);
        // Longest first, a pod without the phase last.
        let mut all = select(&pods, &Filter::default()).unwrap();
        sort(&mut all, SortKey::Phase(Phase::Scheduling));
        let order: Vec<&str> = all.iter().map(|p| p.uid.as_deref().unwrap()).collect();
        assert_eq!(order, ["3333-cc", "1111-aa", "2222-bb"]);
    }

    #[test]
    fn unknown_names_list_the_valid_ones() {
        assert_eq!(
            "scheduling".parse::<SortKey>(),
            Ok(SortKey::Phase(Phase::Scheduling))
        );
        assert_eq!(
            "ready".parse::<SortKey>(),
            Ok(SortKey::Milestone(Ms::Ready))
        );
        let e = "schedule".parse::<SortKey>().unwrap_err();
        assert!(e.starts_with("unknown phase or milestone \"schedule\"; phases (longest first): api_create, scheduling,"), "{e}");
        assert!(e.ends_with("programmed_first, programmed_last"), "{e}");
    }
}
