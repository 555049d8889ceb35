//! The bundled demo (`samples/seed-demo`, 68 KB), compiled into the binary: `podtrace analyze`
//! with no path works from any directory and from an installed binary, not only from a checkout
//! (it used to read a build-time path that was gone once the checkout moved).
//!
//! The files keep their repository names, so a run on the embedded demo and a run on
//! `samples/seed-demo` from the repository's root print the same evidence.

/// Where the demo lives in the repository; also how its files are named in evidence.
pub const ROOT: &str = "samples/seed-demo";

macro_rules! demo_files {
    ($($rel:literal),* $(,)?) => {
        /// Each file of the demo: its path (under [`ROOT`]) and its bytes.
        pub const FILES: &[(&str, &[u8])] = &[
            $((concat!("samples/seed-demo/", $rel),
               include_bytes!(concat!("../../samples/seed-demo/", $rel))),)*
        ];
    };
}

// Every file under samples/seed-demo, in name order (the walk's order); a test checks that this
// list and the folder agree.
demo_files!(
    "kind-control-plane/containers/kube-proxy-h2k9x_kube-system_kube-proxy-8c7b6a5f4e3d2c1b0a99887766554433221100ffeeddccbbaa99887766554433.log",
    "kind-control-plane/containers/kube-scheduler-kind-control-plane_kube-system_kube-scheduler-4e1d0a3f5b2c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e.log",
    "kind-control-plane/kubernetes/kube-apiserver-audit.log",
    "kind-worker/containerd.log",
    "kind-worker/containers/kube-proxy-w8n4r_kube-system_kube-proxy-9d8c7b6a5f4e3d2c1b0a99887766554433221100ffeeddccbbaa998877665544.log",
    "kind-worker/kubelet.log",
);

/// The demo as inputs for [`crate::analyze_files`].
pub fn files() -> Vec<super::InputFile> {
    FILES
        .iter()
        .enumerate()
        .map(|(i, (path, bytes))| super::InputFile {
            id: i as crate::event::FileId,
            path: std::path::PathBuf::from(path),
            display: (*path).to_owned(),
            embedded: Some(bytes),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// The embedded list is the folder, file for file and byte for byte, in the walk's order.
    #[test]
    fn the_embedded_demo_is_the_folder() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let (on_disk, skipped) = super::super::discover(&[root.join(super::ROOT)]);
        assert!(skipped.is_empty());
        let names: Vec<String> = on_disk
            .iter()
            .map(|f| {
                f.path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        let embedded: Vec<&str> = super::FILES.iter().map(|(p, _)| *p).collect();
        assert_eq!(names, embedded);
        for (f, (_, bytes)) in on_disk.iter().zip(super::FILES) {
            assert_eq!(
                std::fs::read(&f.path).unwrap(),
                *bytes,
                "{}",
                f.path.display()
            );
        }
    }
}
