//! CRI-O (docs/formats.md#cri-o): sandbox, CNI, pulls, create and start, as CRI-O names them
//! (`ns/pod/container`, `ns/pod/POD`, container and sandbox ids).

use podtrace_parsers::logrus;

use super::registry::{Logrus, Parser, Source};
use super::{LineCtx, Outcome};
use crate::event::{CniStep, Component, Event, EventKind, PodRef};

pub const SOURCE: Source = Source {
    name: "cri-o",
    component: Component::Crio,
    file_names: &["crio", "cri-o"],
    dirs: &[],
    containers: &[],
    idents: &["crio"],
    klog_files: &[],
    literals: &[
        "pod sandbox",
        "Got pod network",
        "Adding pod",
        "Pulling image",
        "Creating container",
        "Created container",
        "Starting container",
        "Started container",
    ],
    parser: Parser::Logrus(Logrus { wants, extract }),
};

const PREFIXES: [&str; 10] = [
    "Running pod sandbox: ",
    "Ran pod sandbox ",
    "Got pod network ",
    "Adding pod ",
    "Pulling image: ",
    "Pulled image: ",
    "Creating container: ",
    "Created container ",
    "Starting container: ",
    "Started container",
];

#[inline]
pub fn wants(raw_msg: &str) -> bool {
    PREFIXES.iter().any(|p| raw_msg.starts_with(p))
}

/// `ns/pod/container` → (pod, container).
fn description(s: &str) -> Option<(PodRef, String)> {
    let mut it = s.trim().splitn(3, '/');
    let (ns, pod, c) = (it.next()?, it.next()?, it.next()?);
    (!ns.is_empty() && !pod.is_empty()).then(|| (PodRef::new(ns, pod), c.to_owned()))
}

/// The `Key:value` fields of a Go `%+v` struct dump (`&{Name:p Namespace:ns ID:… UID:…}`).
fn go_field<'a>(s: &'a str, key: &str) -> Option<&'a str> {
    let k = s.find(&format!("{key}:"))?;
    let v = &s[k + key.len() + 1..];
    Some(v.split([' ', '}']).next().unwrap_or(""))
}

pub fn extract(rec: &logrus::Record<'_>, ctx: &LineCtx, out: &mut Vec<Event>) -> Outcome {
    let msg = rec.msg.text();
    let field = |k: &str| podtrace_parsers::kv::get(rec.tail, k).map(|v| v.text().into_owned());
    let unparsed =
        |what: &str| Outcome::Unparsed(format!("CRI-O \"{what}\" line without the expected names"));
    let kind = if let Some(r) = msg.strip_prefix("Running pod sandbox: ") {
        let Some((pod, _)) = description(r) else {
            return unparsed("Running pod sandbox");
        };
        EventKind::SandboxStart { pod, attempt: 0 }
    } else if let Some(r) = msg.strip_prefix("Ran pod sandbox ") {
        let Some((id, desc)) = r.split_once(" with infra container: ") else {
            return unparsed("Ran pod sandbox");
        };
        let Some((pod, _)) = description(desc) else {
            return unparsed("Ran pod sandbox");
        };
        EventKind::SandboxReady {
            pod,
            attempt: 0,
            sandbox_id: id.to_owned(),
        }
    } else if let Some(r) = msg.strip_prefix("Got pod network ") {
        // The sandbox ↔ pod UID join.
        match (
            go_field(r, "Name"),
            go_field(r, "Namespace"),
            go_field(r, "ID"),
            go_field(r, "UID"),
        ) {
            (Some(n), Some(ns), Some(id), uid) => EventKind::CreatedSandbox {
                pod: PodRef::of(ns, n, uid),
                sandbox_id: id.to_owned(),
            },
            _ => return unparsed("Got pod network"),
        }
    } else if let Some(r) = msg.strip_prefix("Adding pod ") {
        // `Adding pod <ns>_<pod> to CNI network "<net>" (type=<plugin>)`: neither part can hold `_`.
        let Some((who, _)) = r.split_once(" to CNI network ") else {
            return Outcome::Ignored;
        };
        let Some((ns, pod)) = who.split_once('_') else {
            return unparsed("Adding pod");
        };
        EventKind::Cni(Box::new(crate::event::CniData {
            plugin: "crio",
            sandbox_id: None,
            pod: Some(PodRef::new(ns, pod)),
            step: CniStep::Progress,
        }))
    } else if let Some(r) = msg.strip_prefix("Pulling image: ") {
        EventKind::PullStart {
            image: r.trim().into(),
        }
    } else if let Some(r) = msg.strip_prefix("Pulled image: ") {
        EventKind::PullDone {
            image: r.trim().into(),
            image_ref: r.trim().into(),
        }
    } else if let Some(r) = msg.strip_prefix("Creating container: ") {
        let Some((pod, c)) = description(r) else {
            return unparsed("Creating container");
        };
        EventKind::CreateStart(Box::new(crate::event::CreateData {
            pod: Some(pod),
            sandbox_id: String::new(),
            container: c,
            attempt: 0,
            container_id: None,
            error: None,
        }))
    } else if let Some(r) = msg.strip_prefix("Created container ") {
        let Some((id, desc)) = r.split_once(": ") else {
            return unparsed("Created container");
        };
        let Some((pod, c)) = description(desc) else {
            return unparsed("Created container");
        };
        EventKind::CreateDone(Box::new(crate::event::CreateData {
            pod: Some(pod),
            sandbox_id: String::new(),
            container: c,
            attempt: 0,
            container_id: Some(id.to_owned()),
            error: None,
        }))
    } else if let Some(r) = msg.strip_prefix("Starting container: ") {
        EventKind::StartStart {
            container_id: r.trim().into(),
        }
    } else if msg == "Started container" {
        match field("containerID") {
            Some(id) => EventKind::StartDone {
                container_id: id.into(),
            },
            None => return unparsed("Started container"),
        }
    } else {
        return Outcome::Ignored;
    };
    out.push(ctx.event(Component::Crio, kind));
    Outcome::Recognised(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_and_go_fields() {
        assert_eq!(
            description("ns/p/POD"),
            Some((PodRef::new("ns", "p"), "POD".into()))
        );
        assert_eq!(description("ns"), None);
        let s = "&{Name:p Namespace:ns ID:abc UID:u-1 NetNS:/var/run/netns/x Networks:[] RuntimeConfig:map[] Aliases:map[]}";
        assert_eq!(go_field(s, "ID"), Some("abc"));
        assert_eq!(go_field(s, "UID"), Some("u-1"));
        assert_eq!(go_field(s, "Namespace"), Some("ns"));
    }
}
