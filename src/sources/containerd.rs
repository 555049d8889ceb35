//! containerd's CRI plugin (docs/formats.md#containerd), 1.6/1.7 and 2.x renderings.

use podtrace_parsers::cri_meta::{self, Meta};
use podtrace_parsers::logrus;
use podtrace_parsers::time::parse_go_duration;

use super::registry::{Logrus, Parser, Source};
use super::{LineCtx, Outcome, first_quoted};
use crate::event::{Component, Event, EventKind, PodRef};

pub const SOURCE: Source = Source {
    name: "containerd",
    component: Component::Containerd,
    file_names: &["containerd"],
    dirs: &[],
    containers: &[],
    idents: &[
        "containerd",
        "microk8s.daemon-containerd",
        "snap.microk8s.daemon-containerd",
    ],
    klog_files: &[],
    literals: &[
        "RunPodSandbox",
        "RunPodsandbox",
        "PullImage",
        "Pulled image",
        "CreateContainer",
        "StartContainer",
        "begin cni setup",
    ],
    parser: Parser::Logrus(Logrus { wants, extract }),
};

const PREFIXES: [&str; 7] = [
    "RunPodSandbox for ",
    "RunPodsandbox for ",
    "PullImage \"",
    "Pulled image \"",
    "CreateContainer within sandbox \"",
    "StartContainer for \"",
    "begin cni setup",
];

/// Cheap check on the still-escaped message: is it one podtrace reads?
#[inline]
pub fn wants(raw_msg: &str) -> bool {
    // Escaped `\"` only appears after these prefixes' first quote, so the check is exact for
    // the prefixes without quotes and for the part before the quote in the others.
    PREFIXES.iter().any(|p| {
        let p = p.trim_end_matches('"');
        raw_msg.starts_with(p)
    })
}

fn pod_of(m: &Meta<'_>) -> Option<PodRef> {
    Some(PodRef::of(m.namespace?, m.name?, m.uid))
}

/// Handles a containerd record whose message passed [`wants`].
pub fn extract(rec: &logrus::Record<'_>, ctx: &LineCtx, out: &mut Vec<Event>) -> Outcome {
    let msg = rec.msg.text();
    let error = || {
        podtrace_parsers::kv::get(rec.tail, "error")
            .map(|v| v.text().into_owned())
            .unwrap_or_default()
    };
    // containerd 1.3–1.5 wrote the start as `RunPodsandbox for` (fixed in 1.6).
    let sandbox_start = msg
        .strip_prefix("RunPodSandbox for ")
        .or_else(|| msg.strip_prefix("RunPodsandbox for "));
    let kind = if let Some(rest) = sandbox_start {
        let Some((meta, rest)) = cri_meta::parse(rest) else {
            return Outcome::Unparsed("RunPodSandbox with unreadable metadata".into());
        };
        let Some(pod) = pod_of(&meta) else {
            return Outcome::Unparsed("RunPodSandbox metadata without name/namespace".into());
        };
        let attempt = meta.attempt;
        if rest.is_empty() {
            EventKind::SandboxStart { pod, attempt }
        } else if let Some(r) = rest.strip_prefix("returns sandbox id ") {
            match first_quoted(r) {
                Some((id, _)) => EventKind::SandboxReady {
                    pod,
                    attempt,
                    sandbox_id: id.to_owned(),
                },
                None => return Outcome::Unparsed("RunPodSandbox returns without an id".into()),
            }
        } else if rest.starts_with("failed") {
            EventKind::SandboxRunFailed {
                pod,
                attempt,
                error: error(),
            }
        } else {
            return Outcome::Ignored;
        }
    } else if let Some(rest) = msg.strip_prefix("PullImage ") {
        let Some((image, rest)) = first_quoted(rest) else {
            return Outcome::Unparsed("PullImage without an image".into());
        };
        let image = image.to_owned();
        if rest.is_empty() {
            EventKind::PullStart {
                image: image.into(),
            }
        } else if let Some(r) = rest.strip_prefix(" returns image reference ") {
            EventKind::PullDone {
                image: image.into(),
                image_ref: first_quoted(r).map(|(s, _)| s.into()).unwrap_or_default(),
            }
        } else if rest.starts_with(" failed") {
            EventKind::PullFailed {
                image: image.into(),
                error: error().into(),
            }
        } else {
            // "PullImage %q with snapshotter …" and other debug forms.
            return Outcome::Ignored;
        }
    } else if let Some(rest) = msg.strip_prefix("Pulled image ") {
        let Some((image, rest)) = first_quoted(rest) else {
            return Outcome::Unparsed("Pulled image without an image".into());
        };
        let size_bytes = rest
            .find("size \"")
            .and_then(|k| first_quoted(&rest[k..]))
            .and_then(|(s, _)| s.parse().ok());
        let duration_nanos = rest
            .rfind("\" in ")
            .and_then(|k| parse_go_duration(rest[k + 5..].trim()));
        EventKind::PulledInfo(Box::new(crate::event::PulledInfoData {
            image: image.into(),
            size_bytes,
            duration_nanos,
        }))
    } else if let Some(rest) = msg.strip_prefix("CreateContainer within sandbox ") {
        let Some((sandbox, rest)) = first_quoted(rest) else {
            return Outcome::Unparsed("CreateContainer without a sandbox id".into());
        };
        // Start: `for container META`; end: `for META returns container id "…"`; `for META failed`.
        let Some(rest) = rest.strip_prefix(" for ") else {
            return Outcome::Unparsed("CreateContainer without metadata".into());
        };
        let rest = rest.strip_prefix("container ").unwrap_or(rest);
        let Some((meta, tail)) = cri_meta::parse(rest) else {
            return Outcome::Unparsed("CreateContainer with unreadable metadata".into());
        };
        let Some(name) = meta.name else {
            return Outcome::Unparsed("CreateContainer metadata without a name".into());
        };
        let (sandbox_id, container, attempt) = (sandbox.to_owned(), name.to_owned(), meta.attempt);
        if tail.is_empty() {
            EventKind::CreateStart(Box::new(crate::event::CreateData {
                pod: None,
                sandbox_id,
                container,
                attempt,
                container_id: None,
                error: None,
            }))
        } else if let Some(r) = tail.strip_prefix("returns container id ") {
            match first_quoted(r) {
                Some((id, _)) => EventKind::CreateDone(Box::new(crate::event::CreateData {
                    pod: None,
                    sandbox_id,
                    container,
                    attempt,
                    container_id: Some(id.to_owned()),
                    error: None,
                })),
                None => return Outcome::Unparsed("CreateContainer returns without an id".into()),
            }
        } else if tail.starts_with("failed") {
            EventKind::CreateFailed(Box::new(crate::event::CreateData {
                pod: None,
                sandbox_id,
                container,
                attempt,
                error: Some(error()),
                container_id: None,
            }))
        } else {
            return Outcome::Ignored;
        }
    } else if let Some(rest) = msg.strip_prefix("StartContainer for ") {
        let Some((id, rest)) = first_quoted(rest) else {
            return Outcome::Unparsed("StartContainer without a container id".into());
        };
        let container_id: Box<str> = id.into();
        match rest {
            "" => EventKind::StartStart { container_id },
            " returns successfully" => EventKind::StartDone { container_id },
            r if r.starts_with(" failed") => EventKind::StartFailed {
                container_id,
                error: error().into(),
            },
            _ => return Outcome::Ignored,
        }
    } else if msg == "begin cni setup" {
        match podtrace_parsers::kv::get(rec.tail, "podsandboxid") {
            Some(v) => EventKind::CniBegin {
                sandbox_id: v.text().into_owned(),
            },
            None => return Outcome::Ignored,
        }
    } else {
        return Outcome::Ignored;
    };
    out.push(ctx.event(Component::Containerd, kind));
    Outcome::Recognised(1)
}
