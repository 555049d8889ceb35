//! ingress-nginx controller (docs/formats.md#ingress-nginx): backend reloads and dynamic reconfiguration, in
//! both the structured (`"…"`, newer) and printf (trailing `.`, older) forms.

use super::registry::{Parser, Source};
use super::{LineCtx, Outcome};
use crate::event::{Component, Event, EventKind, IngressStep};

pub const SOURCE: Source = Source {
    name: "ingress-nginx",
    component: Component::IngressNginx,
    file_names: &["ingress-nginx"],
    dirs: &[],
    // The controller's container is named `controller` in the upstream manifests.
    containers: &["controller", "ingress-nginx"],
    idents: &[],
    klog_files: &["nginx.go"],
    literals: &[
        "backend reload",
        "Backend successfully",
        "Dynamic reconfiguration",
    ],
    parser: Parser::Klog {
        structured: Some(structured),
        text: Some(extract),
    },
};

/// The structured form carries the same message; its fields are not needed.
fn structured(
    msg: &str,
    _: &super::Fields<'_>,
    ctx: &LineCtx,
    out: &mut Vec<Event>,
) -> Option<Outcome> {
    extract(msg, ctx, out)
}

/// `msg` is the structured message or the printf text.
pub fn extract(msg: &str, ctx: &LineCtx, out: &mut Vec<Event>) -> Option<Outcome> {
    let m = msg.trim_end();
    let step = match m.trim_end_matches('.') {
        "Configuration changes detected, backend reload required" => IngressStep::ReloadRequired,
        "Backend successfully reloaded" => IngressStep::Reloaded,
        "Dynamic reconfiguration succeeded" => IngressStep::DynamicReconfigured,
        _ if m.starts_with("Dynamic reconfiguration failed") => {
            IngressStep::DynamicReconfigurationFailed
        }
        _ => return None,
    };
    out.push(ctx.event(Component::IngressNginx, EventKind::IngressReload { step }));
    Some(Outcome::Recognised(1))
}
