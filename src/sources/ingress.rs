//! ingress-nginx controller (FORMATS.md §9.1): backend reloads and dynamic reconfiguration, in
//! both the structured (`"…"`, newer) and printf (trailing `.`, older) forms.

use super::{LineCtx, Outcome};
use crate::event::{Component, Event, EventKind, IngressStep};

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
