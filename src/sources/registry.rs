//! The source registry: every component podtrace reads, declared once, in one place.
//!
//! A source file in `src/sources/` declares a [`Source`]: how a file, a container, a journald
//! identifier or a klog call site names it, the literals its messages hold (the prefilter keeps
//! exactly the lines that hold one), and its extractor. The input layer (`src/input/`) reads
//! these declarations and nothing else: it has no table of its own. Adding a source is one file
//! and one line in [`SOURCES`] (see `docs/architecture.md`).

use podtrace_parsers::logrus;

use super::{Fields, LineCtx, Outcome};
use crate::event::{Component, Event};

/// Extractor of structured klog messages (text or `--logging-format=json`): `None` when the
/// message is not one of the source's.
pub type StructuredFn =
    fn(msg: &str, fields: &Fields<'_>, ctx: &LineCtx, out: &mut Vec<Event>) -> Option<Outcome>;

/// Extractor of printf-style klog messages (`klog.Infof`): `None` when not the source's.
pub type TextFn = fn(text: &str, ctx: &LineCtx, out: &mut Vec<Event>) -> Option<Outcome>;

/// A logrus/slog writer (`time="…" level=… msg="…"`): a cheap check on the still-escaped
/// message, then the extractor for records that passed it.
#[derive(Clone, Copy)]
pub struct Logrus {
    pub wants: fn(raw_msg: &str) -> bool,
    pub extract: fn(rec: &logrus::Record<'_>, ctx: &LineCtx, out: &mut Vec<Event>) -> Outcome,
}

/// How a source's lines are framed and decoded.
#[derive(Clone, Copy)]
pub enum Parser {
    /// klog records; structured messages and, optionally, printf-style ones.
    Klog {
        structured: Option<StructuredFn>,
        text: Option<TextFn>,
    },
    /// logrus or slog text records.
    Logrus(Logrus),
    /// Lines with their own decoder in `src/input/read.rs`, named here so that the input layer's
    /// special paths are listed in the registry too: the audit log (JSON lines), Kubernetes
    /// object documents, zap JSON (AWS VPC CNI), Calico's plugin lines and CSI's gRPC
    /// interceptor (printf klog with per-file state).
    Own,
}

/// One component podtrace reads.
pub struct Source {
    /// Short name, as `inspect` and the docs say it.
    pub name: &'static str,
    pub component: Component,
    /// Fragments of a file name (lower case) that name the source: `kube-scheduler`,
    /// `kubelet`. The longest fragment found in a name wins across all sources, so
    /// `kube-apiserver-audit.log` is the audit log and `kube-apiserver.log` the apiserver.
    pub file_names: &'static [&'static str],
    /// Folder names (lower case) whose files are the source's: `aws-routed-eni`.
    pub dirs: &'static [&'static str],
    /// Container names (prefixes) that run it: `/var/log/pods/…/<container>/0.log`,
    /// `kubectl cluster-info dump` blocks, sonobuoy `podlogs/…/<container>.txt`, must-gather
    /// `pods/<pod>/<container>/…`.
    pub containers: &'static [&'static str],
    /// journald `SYSLOG_IDENTIFIER`s (the `ident[pid]:` of a journal line) and unit names.
    pub idents: &'static [&'static str],
    /// klog call sites (`file.go`) that only this component writes: they route the lines of a
    /// process that runs several components (k3s, RKE2, microk8s kubelite).
    pub klog_files: &'static [&'static str],
    /// Literals of the messages it reads (the prefilter); each is a substring of a message its
    /// extractor recognises.
    pub literals: &'static [&'static str],
    pub parser: Parser,
}

/// Every source, in the order their extractors are tried on a line of unknown origin.
pub static SOURCES: &[&Source] = &[
    &super::kubelet::SOURCE,
    &super::scheduler::SOURCE,
    &super::kube_proxy::SOURCE,
    &super::endpointslice::SOURCE,
    &super::ingress::SOURCE,
    &super::csi::SOURCE,
    &super::containerd::SOURCE,
    &super::crio::SOURCE,
    &super::cilium::SOURCE,
    &super::calico::SOURCE,
    &super::aws_cni::SOURCE,
    &super::audit::SOURCE,
    &super::objects::SOURCE,
    &super::apiserver::SOURCE,
];

/// journald identifiers of processes that run several components at once (k3s, RKE2,
/// microk8s' kubelite, hyperkube): their lines are routed by message and klog call site, never
/// by identifier.
pub const MULTI_COMPONENT_IDENTS: &[&str] = &[
    "k3s",
    "k3s-agent",
    "k3s-server",
    "rke2",
    "rke2-server",
    "rke2-agent",
    "kubelite",
    "microk8s.daemon-kubelite",
    "snap.microk8s.daemon-kubelite",
    // MicroShift: one process, each line prefixed with its component's name.
    "microshift",
];

/// Whose lines a journald identifier carries: `Some(Some(c))` one component's, `Some(None)` a
/// process that runs several (route each line by what it says), `None` a program podtrace does
/// not know (systemd, the kernel, …).
pub fn by_ident(ident: &str) -> Option<Option<Component>> {
    let ident = ident.strip_suffix(".service").unwrap_or(ident);
    if MULTI_COMPONENT_IDENTS.contains(&ident) {
        return Some(None);
    }
    SOURCES
        .iter()
        .find(|s| s.idents.contains(&ident))
        .map(|s| Some(s.component))
}

/// The component a file name names (longest fragment wins; see [`Source::file_names`]).
pub fn by_file_name(name_lower: &str) -> Option<Component> {
    SOURCES
        .iter()
        .flat_map(|s| s.file_names.iter().map(move |f| (f, s.component)))
        .filter(|(f, _)| name_lower.contains(**f))
        .max_by_key(|(f, _)| f.len())
        .map(|(_, c)| c)
}

/// The component a container of that name runs (the longest matching prefix).
pub fn by_container(name: &str) -> Option<Component> {
    let name = name.to_ascii_lowercase();
    SOURCES
        .iter()
        .flat_map(|s| s.containers.iter().map(move |c| (c, s.component)))
        .filter(|(c, _)| name.starts_with(**c))
        .max_by_key(|(c, _)| c.len())
        .map(|(_, c)| c)
}

/// The component a folder of the path names (`/var/log/aws-routed-eni/plugin.log`).
pub fn by_dir(dir_lower: &str) -> Option<Component> {
    SOURCES
        .iter()
        .find(|s| s.dirs.iter().any(|d| dir_lower.contains(d)))
        .map(|s| s.component)
}

/// The component a klog call site (`schedule_one.go`) belongs to, for lines of a
/// multi-component process.
pub fn by_klog_file(file: &str) -> Option<Component> {
    SOURCES
        .iter()
        .find(|s| s.klog_files.contains(&file))
        .map(|s| s.component)
}

/// Every prefilter literal of every source.
pub fn literals() -> impl Iterator<Item = &'static str> {
    SOURCES.iter().flat_map(|s| s.literals.iter().copied())
}

/// Tries every klog extractor on a structured message.
pub fn structured(
    msg: &str,
    fields: &Fields<'_>,
    ctx: &LineCtx,
    out: &mut Vec<Event>,
) -> Option<Outcome> {
    SOURCES.iter().find_map(|s| match s.parser {
        Parser::Klog {
            structured: Some(f),
            ..
        } => f(msg, fields, ctx, out),
        _ => None,
    })
}

/// Tries every printf-style klog extractor.
pub fn klog_text(text: &str, ctx: &LineCtx, out: &mut Vec<Event>) -> Option<Outcome> {
    SOURCES.iter().find_map(|s| match s.parser {
        Parser::Klog { text: Some(f), .. } => f(text, ctx, out),
        _ => None,
    })
}

/// The logrus writer whose message this is, if any.
pub fn logrus_writer(raw_msg: &str) -> Option<(Component, Logrus)> {
    SOURCES.iter().find_map(|s| match s.parser {
        Parser::Logrus(l) if (l.wants)(raw_msg) => Some((s.component, l)),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_route_to_their_components() {
        assert_eq!(
            by_file_name("kube-apiserver-audit.log"),
            Some(Component::Audit)
        );
        assert_eq!(
            by_file_name("kube-apiserver.log"),
            Some(Component::Apiserver)
        );
        assert_eq!(by_file_name("audit.log"), Some(Component::Audit));
        assert_eq!(
            by_file_name("kubelet_service.log"),
            Some(Component::Kubelet)
        );
        assert_eq!(
            by_file_name("containerd-log.txt"),
            Some(Component::Containerd)
        );
        assert_eq!(by_file_name("random.txt"), None);
        assert_eq!(by_container("kube-proxy"), Some(Component::KubeProxy));
        assert_eq!(by_container("cilium-agent"), Some(Component::Cilium));
        assert_eq!(by_container("nginx"), None);
        assert_eq!(by_ident("kubenswrapper"), Some(Some(Component::Kubelet)));
        assert_eq!(by_ident("crio.service"), Some(Some(Component::Crio)));
        assert_eq!(by_ident("k3s"), Some(None));
        assert_eq!(by_ident("systemd"), None);
        assert_eq!(by_klog_file("schedule_one.go"), Some(Component::Scheduler));
        assert_eq!(by_klog_file("proxier.go"), Some(Component::KubeProxy));
        assert_eq!(by_dir("/var/log/aws-routed-eni"), Some(Component::Cni));
    }

    #[test]
    fn every_source_is_registered_once() {
        let mut names: Vec<&str> = SOURCES.iter().map(|s| s.name).collect();
        names.sort_unstable();
        let n = names.len();
        names.dedup();
        assert_eq!(names.len(), n);
        // Literals are unique across sources too: a literal listed twice would hide which
        // extractor it serves.
        let mut lits: Vec<&str> = literals().collect();
        lits.sort_unstable();
        let n = lits.len();
        lits.dedup();
        assert_eq!(lits.len(), n);
    }
}
