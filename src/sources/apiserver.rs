//! kube-apiserver's own log (not its audit log). podtrace reads no message of it: the source is
//! registered so that its files, containers and call sites are named (and counted under the
//! apiserver), never mistaken for another component's.

use super::registry::{Parser, Source};
use crate::event::Component;

pub const SOURCE: Source = Source {
    name: "apiserver",
    component: Component::Apiserver,
    file_names: &["kube-apiserver"],
    dirs: &[],
    containers: &["kube-apiserver"],
    idents: &["kube-apiserver"],
    klog_files: &["httplog.go", "handler.go"],
    literals: &[],
    parser: Parser::Own,
};
