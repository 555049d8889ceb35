//! CSI node plugins (the common csi-lib-utils logging interceptor): printf klog lines
//! `GRPC call: /csi.v1.Node/NodePublishVolume` (V3), `GRPC request: {…"target_path":
//! "/var/lib/kubelet/pods/<uid>/volumes/kubernetes.io~csi/<pv>/mount"…}` (V5), then
//! `GRPC response: {}` or `GRPC error: …`. The target path names the pod by UID.
//!
//! Request and response carry no id of their own: the response that follows a NodePublishVolume
//! request in the same file is taken as its completion (the kubelet serialises mounts per volume).

use super::registry::{Parser, Source};
use super::{LineCtx, Outcome};
use crate::event::{Component, Event, EventKind, PodRef};

/// CSI lines carry per-file state (a request waits for its response), so `src/input/read.rs`
/// calls [`extract`] with the file's [`Pending`].
pub const SOURCE: Source = Source {
    name: "csi",
    component: Component::Csi,
    file_names: &["csi"],
    dirs: &[],
    containers: &["csi-", "ebs-plugin", "node-driver-registrar"],
    idents: &[],
    klog_files: &[],
    literals: &["GRPC "],
    parser: Parser::Own,
};

/// What a file's last NodePublishVolume call is waiting for.
#[derive(Debug, Default, Clone)]
pub struct Pending {
    in_publish: bool,
    pod_uid: Option<String>,
    volume: String,
}

fn pod_uid_of(target_path: &str) -> Option<&str> {
    let k = target_path.find("/pods/")? + "/pods/".len();
    let rest = &target_path[k..];
    rest.split('/').next().filter(|u| !u.is_empty())
}

fn json_field<'a>(s: &'a str, key: &str) -> Option<&'a str> {
    let k = s.find(&format!("\"{key}\":\""))? + key.len() + 4;
    let e = s[k..].find('"')? + k;
    Some(&s[k..e])
}

/// Handles a printf klog body; `None` when it is not a CSI gRPC line.
pub fn extract(
    text: &str,
    state: &mut Pending,
    ctx: &LineCtx,
    out: &mut Vec<Event>,
) -> Option<Outcome> {
    if let Some(method) = text.strip_prefix("GRPC call: ") {
        *state = Pending {
            in_publish: method.trim() == "/csi.v1.Node/NodePublishVolume",
            ..Default::default()
        };
        return Some(Outcome::Ignored);
    }
    if !state.in_publish {
        return text.starts_with("GRPC ").then_some(Outcome::Ignored);
    }
    if let Some(req) = text.strip_prefix("GRPC request: ") {
        let target = json_field(req, "target_path").unwrap_or("");
        state.pod_uid = pod_uid_of(target).map(str::to_owned);
        state.volume = json_field(req, "volume_id").unwrap_or("").to_owned();
        return Some(Outcome::Ignored);
    }
    let done = text.starts_with("GRPC response: ");
    let failed = text.strip_prefix("GRPC error: ");
    if !done && failed.is_none() {
        return None;
    }
    let pending = std::mem::take(state);
    let Some(uid) = pending.pod_uid else {
        return Some(Outcome::Ignored); // the request line (V5) was not logged: no pod to name
    };
    let pod = PodRef::of("", "", Some(&uid));
    let kind = match failed {
        None => EventKind::CsiPublished {
            pod,
            volume: pending.volume,
        },
        Some(err) => EventKind::K8sEvent(Box::new(crate::event::K8sEventData {
            pod,
            container: None,
            init_container: false,
            reason: "FailedMount".into(),
            message: format!("CSI NodePublishVolume {}: {}", pending.volume, err.trim()),
            warning: true,
        })),
    };
    out.push(ctx.event(Component::Csi, kind));
    Some(Outcome::Recognised(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_paths() {
        let t = "/var/lib/kubelet/pods/3f1c2b4a-1111-2222-3333-444455556666/volumes/kubernetes.io~csi/pvc-1/mount";
        assert_eq!(pod_uid_of(t), Some("3f1c2b4a-1111-2222-3333-444455556666"));
        assert_eq!(
            json_field(r#"{"target_path":"/x","volume_id":"v1"}"#, "volume_id"),
            Some("v1")
        );
    }
}
