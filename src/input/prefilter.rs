//! The literal prefilter: a line that holds none of the literals of the messages podtrace reads
//! is counted and skipped before UTF-8 validation and parsing (one Aho-Corasick pass over the
//! raw bytes). In real node journals most lines are leases, reconcilers and image events.
//!
//! Every literal below is a substring of a message an extractor in `src/sources/` reads; a test
//! keeps the two in step by feeding every sample line through both paths.

use std::sync::OnceLock;

use aho_corasick::AhoCorasick;

pub const NEEDLES: &[&str] = &[
    // kubelet
    "SyncLoop",
    "No sandbox for pod",
    "PodSandbox for pod",
    "Topology Admit",
    "Observed pod startup",
    "tatus for pod",
    "MountVolume.",
    "All volumes",
    "yncPod enter",
    "Error syncing pod",
    "Killing container",
    "Event occurred",
    // kube-scheduler
    "schedule pod",
    "bound pod",
    // kube-proxy, controller-manager, ingress-nginx
    "ProxyRules",
    "Syncing ",
    "Network programming",
    "service endpoint slices",
    "backend reload",
    "Backend successfully",
    "Dynamic reconfiguration",
    // containerd
    "RunPodSandbox",
    "PullImage",
    "Pulled image",
    "CreateContainer",
    "StartContainer",
    "begin cni setup",
    // CRI-O
    "pod sandbox",
    "Got pod network",
    "Adding pod",
    "Pulling image",
    "Creating container",
    "Created container",
    "Starting container",
    "Started container",
    // CNI plugins, CSI
    "ContainerID=",
    "endpoint request",
    "New endpoint",
    "endpoint creation",
    "CNI add request",
    "add network response",
    "GRPC ",
];

enum Matcher {
    /// Teddy (SIMD, several literals per step), where the CPU has it.
    Packed(aho_corasick::packed::Searcher),
    Automaton(AhoCorasick),
}

fn matcher() -> &'static Matcher {
    static M: OnceLock<Matcher> = OnceLock::new();
    M.get_or_init(|| {
        match aho_corasick::packed::Config::new()
            .builder()
            .extend(NEEDLES)
            .build()
        {
            Some(s) => Matcher::Packed(s),
            None => Matcher::Automaton(AhoCorasick::new(NEEDLES).expect("valid literals")),
        }
    })
}

/// Could this line hold a message podtrace reads?
#[inline]
pub fn may_matter(line: &[u8]) -> bool {
    match matcher() {
        Matcher::Packed(s) => s.find(line).is_some(),
        Matcher::Automaton(a) => a.is_match(line),
    }
}
