//! The Cilium agent's endpoint creation (docs/formats.md#cilium), logrus (≤1.16) and slog (≥1.17):
//! "Create endpoint request" → "New endpoint" → "Successful endpoint creation".

use podtrace_parsers::logrus;

use super::registry::{Logrus, Parser, Source};
use super::{LineCtx, Outcome, find, pairs};
use crate::event::{CniStep, Component, Event, EventKind, PodRef};

pub const SOURCE: Source = Source {
    name: "cilium",
    component: Component::Cilium,
    file_names: &["cilium"],
    dirs: &[],
    containers: &["cilium-agent"],
    idents: &["cilium-agent"],
    klog_files: &[],
    literals: &["endpoint request", "New endpoint", "endpoint creation"],
    parser: Parser::Logrus(Logrus { wants, extract }),
};

#[inline]
pub fn wants(raw_msg: &str) -> bool {
    matches!(
        raw_msg,
        "Create endpoint request" | "New endpoint" | "Successful endpoint creation"
    )
}

pub fn extract(rec: &logrus::Record<'_>, ctx: &LineCtx, out: &mut Vec<Event>) -> Outcome {
    let p = pairs(rec.tail);
    let text = |k: &str| {
        find(&p, k)
            .map(|v| v.text().into_owned())
            .filter(|s| !s.is_empty())
    };
    let pod = text("k8sPodName")
        .or_else(|| text("ciliumEndpointName"))
        .and_then(|n| PodRef::from_klog(&n))
        .map(|r| r.with_uid(text("k8sUID").as_deref()));
    let sandbox_id = text("containerID");
    if pod.is_none() && sandbox_id.is_none() {
        return Outcome::Unparsed("Cilium endpoint line naming neither pod nor container".into());
    }
    let step = match rec.msg.raw() {
        "Create endpoint request" => CniStep::Progress,
        "New endpoint" => match text("ipv4").or_else(|| text("ipv6")) {
            Some(ip) => CniStep::Ips(vec![ip]),
            None => CniStep::Progress,
        },
        _ => CniStep::EndpointWritten,
    };
    out.push(ctx.event(
        Component::Cilium,
        EventKind::Cni(Box::new(crate::event::CniData {
            plugin: "cilium",
            sandbox_id: sandbox_id.map(Into::into),
            pod,
            step,
        })),
    ));
    Outcome::Recognised(1)
}
