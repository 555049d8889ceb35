//! One integration-test binary (ripgrep/uv style): `cargo test --test it`.

mod alloc_meter;
mod bundles;
#[cfg(feature = "report")]
mod charts;
mod cli;
mod demo;
#[cfg(feature = "report")]
mod emit;
#[cfg(feature = "report")]
mod events;
mod follow;
mod formats;
mod golden;
mod honest;
mod hostile;
mod layouts;
mod logstores;
mod outputs;
mod real;
#[cfg(feature = "otlp")]
mod receiver;
#[cfg(feature = "report")]
mod report;
mod robust;
mod shapes;
mod simulated;
mod sources;
#[cfg(all(feature = "otlp", feature = "report"))]
mod toolbox;
#[cfg(feature = "otlp")]
mod trace;
#[cfg(feature = "otlp")]
mod trace_files;
#[cfg(feature = "otlp")]
mod trace_send;
mod util;
