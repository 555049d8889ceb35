//! Zero-copy parsers for the lines Kubernetes components write.
//!
//! This crate knows nothing of pods or files: every function takes one line (or one field) as a
//! borrowed `&str`/`&[u8]` and returns borrowed records. No I/O, no clock, no allocation on the
//! common path (a `Cow` allocates only when a quoted string must be unescaped).
//!
//! | module | what it reads |
//! |---|---|
//! | [`frame`] | journald/syslog prefixes, CRI log files, stamped lines |
//! | [`journald`] | `journalctl -o json` and `-o export` entries |
//! | [`klog`] | klog text headers and structured/printf bodies |
//! | [`kv`] | `key=value` tails of klog and logrus (both klog renderings, multi-line `=<`) |
//! | [`logrus`] | containerd / CRI-O / Cilium text records |
//! | [`cri_meta`] | containerd's sandbox/container metadata (1.x gogo and 2.x protobuf text) |
//! | [`calico`] | the Calico CNI plugin's own lines |
//! | [`audit`] | kube-apiserver audit events |
//! | [`time`] | every timestamp form above |
//! | [`quote`] | Go-quoted strings |

pub mod audit;
pub mod calico;
pub mod cri_meta;
pub mod frame;
pub mod journald;
pub mod jsonlog;
pub mod klog;
pub mod kv;
pub mod logrus;
pub mod logstore;
pub mod quote;
pub mod time;
