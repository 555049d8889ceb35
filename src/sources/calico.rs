//! The Calico CNI plugin's own lines, wherever they land (runtime journal, kubelet journal,
//! `cni.log`) (docs/formats.md#calico).

use podtrace_parsers::calico;

use super::registry::{Parser, Source};
use super::{LineCtx, Outcome, find, pairs};
use crate::event::{CniStep, Component, Event, EventKind, PodRef};

/// Calico's plugin lines have their own header (`2024-… [INFO][123] …`), read in
/// `src/input/read.rs` with [`podtrace_parsers::calico`].
pub const SOURCE: Source = Source {
    name: "calico",
    component: Component::Cni,
    file_names: &["calico", "cni"],
    dirs: &["calico"],
    containers: &["calico-node"],
    idents: &[],
    klog_files: &[],
    literals: &["ContainerID="],
    parser: Parser::Own,
};

/// Handles a Calico record. Lines without `ContainerID=` (plugin start-up, config) are ignored.
pub fn extract(rec: &calico::Record<'_>, ctx: &LineCtx, out: &mut Vec<Event>) -> Outcome {
    let k = calico::kv_start(rec.rest);
    let msg = rec.rest[..k].trim_end();
    let p = pairs(&rec.rest[k..]);
    let Some(sandbox) = find(&p, "ContainerID").map(|v| v.text().into_owned()) else {
        return Outcome::Ignored;
    };
    let pod = match (find(&p, "Namespace"), find(&p, "Pod")) {
        (Some(ns), Some(pod)) => Some(PodRef::new(&ns.text(), &pod.text())),
        _ => None,
    };
    let step = if msg == "Wrote updated endpoint to datastore" {
        CniStep::EndpointWritten
    } else if let Some(ips) = ips_in(rec.rest) {
        CniStep::Ips(ips)
    } else {
        CniStep::Progress
    };
    out.push(ctx.event(
        Component::Cni,
        EventKind::Cni(Box::new(crate::event::CniData {
            plugin: "calico",
            sandbox_id: Some(sandbox.into()),
            pod,
            step,
        })),
    ));
    Outcome::Recognised(1)
}

/// IPs from "Calico CNI IPAM assigned addresses IPv4=[a/26] IPv6=[]" or
/// "Calico CNI using IPs: [a/32]".
fn ips_in(rest: &str) -> Option<Vec<String>> {
    let list = if let Some(r) = rest.strip_prefix("Calico CNI IPAM assigned addresses ") {
        let mut all = Vec::new();
        for key in ["IPv4=[", "IPv6=["] {
            if let Some(k) = r.find(key) {
                let s = &r[k + key.len()..];
                let e = s.find(']')?;
                all.extend(
                    s[..e]
                        .split([' ', ','])
                        .filter(|x| !x.is_empty())
                        .map(str::to_owned),
                );
            }
        }
        all
    } else if let Some(r) = rest.strip_prefix("Calico CNI using IPs: [") {
        let e = r.find(']')?;
        r[..e]
            .split([' ', ','])
            .filter(|x| !x.is_empty())
            .map(str::to_owned)
            .collect()
    } else {
        return None;
    };
    Some(
        list.into_iter()
            .map(|ip| ip.split('/').next().unwrap_or("").to_owned())
            .collect(),
    )
}
