//! kube-proxy in iptables, nftables and ipvs modes (docs/formats.md#kube-proxy): rule syncs and the V4
//! "Network programming" line. These name no pod; the timeline joins them through the Service's
//! EndpointSlice writes.

use podtrace_parsers::time::parse_go_duration;

use super::registry::{Parser, Source};
use super::{Fields, LineCtx, Outcome, find};
use crate::event::{Component, Event, EventKind};

pub const SOURCE: Source = Source {
    name: "kube-proxy",
    component: Component::KubeProxy,
    file_names: &["kube-proxy"],
    dirs: &[],
    containers: &["kube-proxy"],
    idents: &["kube-proxy"],
    klog_files: &[
        "proxier.go",
        "server_linux.go",
        "server_others.go",
        "proxy.go",
    ],
    literals: &["ProxyRules", "Syncing ", "Network programming"],
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
    let syncing = |mode| EventKind::ProxySync {
        done: false,
        mode,
        elapsed_nanos: None,
    };
    let kind = match msg {
        "Syncing iptables rules" => syncing("iptables"),
        "Syncing nftables rules" => syncing("nftables"),
        "Syncing ipvs rules" => syncing("ipvs"),
        // iptables and nftables: "SyncProxyRules complete"; ipvs: "syncProxyRules complete" (V4).
        "SyncProxyRules complete" | "syncProxyRules complete" => {
            let p = fields.pairs();
            EventKind::ProxySync {
                done: true,
                mode: if msg.starts_with('s') { "ipvs" } else { "" },
                elapsed_nanos: find(&p, "elapsed").and_then(|v| parse_go_duration(&v.text())),
            }
        }
        "Network programming" => {
            let p = fields.pairs();
            let Some(service) = find(&p, "endpoint").map(|v| v.text().into_owned()) else {
                return Some(Outcome::Unparsed(
                    "\"Network programming\" without endpoint=".into(),
                ));
            };
            // `elapsed` is a float of seconds here, not a Duration string.
            let elapsed_nanos = find(&p, "elapsed")
                .and_then(|v| v.text().parse::<f64>().ok())
                .map(|s| (s * 1e9).round() as i64);
            EventKind::NetworkProgramming {
                service,
                elapsed_nanos,
            }
        }
        _ => return None,
    };
    out.push(ctx.event(Component::KubeProxy, kind));
    Some(Outcome::Recognised(1))
}
