//! kube-controller-manager's EndpointSlice controller (docs/formats.md#endpointslice-controller): at V4 it logs each
//! Service it synced. The audit log's EndpointSlice writes are the primary evidence; this line
//! is the controller's own view of the same step.

use podtrace_parsers::time::parse_go_duration;

use super::registry::{Parser, Source};
use super::{Fields, LineCtx, Outcome, find};
use crate::event::{Component, Event, EventKind};

pub const SOURCE: Source = Source {
    name: "endpointslice-controller",
    component: Component::ControllerManager,
    file_names: &["kube-controller-manager"],
    dirs: &[],
    containers: &["kube-controller-manager"],
    idents: &["kube-controller-manager"],
    klog_files: &["endpointslice_controller.go"],
    literals: &["service endpoint slices"],
    parser: Parser::Klog {
        structured: Some(extract),
        text: None,
    },
};

pub fn extract(
    msg: &str,
    fields: &Fields<'_>,
    ctx: &LineCtx,
    out: &mut Vec<Event>,
) -> Option<Outcome> {
    if msg != "Finished syncing service endpoint slices" {
        return None;
    }
    let p = fields.pairs();
    let service = find(&p, "key")
        .map(|v| v.text().into_owned())
        .unwrap_or_default();
    let elapsed = find(&p, "elapsedTime").and_then(|v| parse_go_duration(&v.text()));
    out.push(ctx.event(
        Component::ControllerManager,
        EventKind::EndpointSliceSync {
            service,
            elapsed_nanos: elapsed,
        },
    ));
    Some(Outcome::Recognised(1))
}
