//! AWS VPC CNI `plugin.log` (zap JSON, docs/formats.md#aws-vpc-cni):
//! `{"level":"info","ts":"2024-10-30T21:31:30.508Z","caller":"routed-eni-cni-plugin/cni.go:125","msg":"Received CNI add request: ContainerID(<sandbox>) … Args(…;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p;K8S_POD_INFRA_CONTAINER_ID=<sandbox>;K8S_POD_UID=<uid>) …"}`
//! then "Received add network response from ipamd for container <sandbox> interface eth0: &{Success:true IPAllocationMetadata:{IPv4Addr:\"192.168.5.1\" …}}".

use std::borrow::Cow;

use podtrace_parsers::time::parse_rfc3339;

use super::registry::{Parser, Source};
use super::{LineCtx, Outcome};
use crate::event::{CniStep, Component, Event, EventKind, PodRef, RawTime};

/// zap JSON lines, recognised by [`looks_like`] in `src/input/read.rs`.
pub const SOURCE: Source = Source {
    name: "aws-vpc-cni",
    component: Component::Cni,
    file_names: &["ipamd", "aws-node"],
    dirs: &["aws-routed-eni"],
    containers: &["aws-node", "aws-vpc-cni"],
    idents: &[],
    klog_files: &[],
    literals: &["CNI add request", "add network response"],
    parser: Parser::Own,
};

#[derive(serde::Deserialize)]
struct ZapLine<'a> {
    #[serde(borrow, default)]
    ts: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    msg: Option<Cow<'a, str>>,
}

/// A zap JSON line (`{"level":…`), as AWS VPC CNI writes them.
#[inline]
pub fn looks_like(b: &[u8]) -> bool {
    b.starts_with(b"{\"level\":")
}

fn between<'a>(s: &'a str, open: &str, close: char) -> Option<&'a str> {
    let k = s.find(open)? + open.len();
    let e = s[k..].find(close)? + k;
    Some(&s[k..e])
}

fn arg<'a>(args: &'a str, key: &str) -> Option<&'a str> {
    args.split(';')
        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
}

/// `env_time` is the envelope's time, used when the line has no readable `ts`.
pub fn extract(
    line: &str,
    env_time: Option<RawTime>,
    ctx: &LineCtx,
    out: &mut Vec<Event>,
) -> Outcome {
    let z: ZapLine<'_> = match serde_json::from_str(line) {
        Ok(z) => z,
        Err(e) => return Outcome::Unparsed(format!("invalid zap JSON line: {e}")),
    };
    let Some(msg) = z.msg else {
        return Outcome::Ignored;
    };
    let (sandbox, pod, step) = if let Some(r) = msg.strip_prefix("Received CNI add request: ") {
        let args = between(r, "Args(", ')').unwrap_or("");
        let pod = match (arg(args, "K8S_POD_NAMESPACE"), arg(args, "K8S_POD_NAME")) {
            (Some(ns), Some(n)) => Some(PodRef::of(ns, n, arg(args, "K8S_POD_UID"))),
            _ => None,
        };
        let sandbox =
            between(r, "ContainerID(", ')').or_else(|| arg(args, "K8S_POD_INFRA_CONTAINER_ID"));
        (sandbox.map(str::to_owned), pod, CniStep::Progress)
    } else if let Some(r) =
        msg.strip_prefix("Received add network response from ipamd for container ")
    {
        let sandbox = r.split(' ').next().map(str::to_owned);
        let ok = r.contains("Success:true");
        let step = match between(r, "IPv4Addr:\"", '"') {
            Some(ip) if ok => {
                // The response is the end of the ADD as the plugin sees it; its IP comes with it.
                out.push(ctx.event(
                    Component::Cni,
                    EventKind::Cni(Box::new(crate::event::CniData {
                        plugin: "aws-vpc-cni",
                        sandbox_id: sandbox.clone().map(Into::into),
                        pod: None,
                        step: CniStep::Ips(vec![ip.to_owned()]),
                    })),
                ));
                CniStep::EndpointWritten
            }
            _ if ok => CniStep::EndpointWritten,
            _ => return Outcome::Ignored,
        };
        (sandbox, None, step)
    } else {
        return Outcome::Ignored;
    };
    let time =
        z.ts.as_deref()
            .and_then(|t| parse_rfc3339(t.as_bytes()))
            .map(|(i, _)| RawTime::Abs(i))
            .or(env_time);
    let Some(time) = time else {
        return Outcome::Unparsed("AWS VPC CNI line without a readable ts".into());
    };
    let mut e = ctx.event(
        Component::Cni,
        EventKind::Cni(Box::new(crate::event::CniData {
            plugin: "aws-vpc-cni",
            sandbox_id: sandbox.map(Into::into),
            pod,
            step,
        })),
    );
    e.raw_time = time;
    if let Some(last) = out.last_mut() {
        if matches!(&last.kind, EventKind::Cni(c) if matches!(c.step, CniStep::Ips(_)))
            && last.evidence == e.evidence
        {
            last.raw_time = time;
        }
    }
    out.push(e);
    Outcome::Recognised(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_and_fields() {
        let args = "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=nginx;K8S_POD_INFRA_CONTAINER_ID=abc;K8S_POD_UID=u1";
        assert_eq!(arg(args, "K8S_POD_NAME"), Some("nginx"));
        assert_eq!(arg(args, "K8S_POD_UID"), Some("u1"));
        assert_eq!(
            between("ContainerID(abc) Netns(x)", "ContainerID(", ')'),
            Some("abc")
        );
    }
}
