//! One integration-test binary (ripgrep/uv style): `cargo test --test it`.

mod bundles;
mod cli;
mod demo;
mod formats;
mod layouts;
mod real;
mod receiver;
mod report;
mod robust;
mod simulated;
mod sources;
mod trace;
mod util;
