//! kube-scheduler (docs/formats.md#kube-scheduler): attempts, bindings, unschedulable pods.

use podtrace_parsers::kv::Value;

use super::registry::{Parser, Source};
use super::{Fields, LineCtx, Outcome, find, pod_ref};
use crate::event::{Component, Event, EventKind};

pub const SOURCE: Source = Source {
    name: "kube-scheduler",
    component: Component::Scheduler,
    file_names: &["kube-scheduler"],
    dirs: &[],
    containers: &["kube-scheduler"],
    idents: &["kube-scheduler"],
    klog_files: &[
        "schedule_one.go",
        "scheduler.go",
        "default_binder.go",
        "eventhandlers.go",
    ],
    literals: &["schedule pod", "bound pod"],
    parser: Parser::Klog {
        structured: Some(extract),
        text: None,
    },
};

/// Handles a structured klog message if it is one of the scheduler's.
/// Returns `None` when the message is not a scheduler message.
pub fn extract(
    msg: &str,
    fields: &Fields<'_>,
    ctx: &LineCtx,
    out: &mut Vec<Event>,
) -> Option<Outcome> {
    let kind = match msg {
        "Attempting to schedule pod" | "Successfully bound pod to node" => msg,
        "Unable to schedule pod; no fit; waiting"
        | "Unable to schedule pod; no nodes are registered to the cluster; waiting"
        | "Unable to schedule pod, possibly due to node not found; waiting" => "unschedulable",
        _ => return None,
    };
    let p = fields.pairs();
    let Some(pod) = find(&p, "pod").and_then(pod_ref) else {
        return Some(Outcome::Unparsed(format!(
            "scheduler \"{msg}\" without pod="
        )));
    };
    let text = |v: Option<Value<'_>>| v.map(|v| v.text().into_owned());
    let ev = match kind {
        "Attempting to schedule pod" => EventKind::SchedAttempt { pod },
        "Successfully bound pod to node" => EventKind::SchedBound {
            pod,
            node: text(find(&p, "node")),
        },
        _ => EventKind::SchedUnschedulable {
            pod,
            reason: text(find(&p, "err")).unwrap_or_else(|| msg.to_owned()),
        },
    };
    out.push(ctx.event(Component::Scheduler, ev));
    Some(Outcome::Recognised(1))
}
