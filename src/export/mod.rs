//! Output formats. Each takes the finished [`Analysis`](crate::Analysis) and a writer.

pub mod escape;
pub mod inspect;
pub mod json;
pub mod select;
pub mod style;
pub mod text;

/// Nanoseconds as seconds (float), the unit of phases in JSON.
pub fn secs(ns: i64) -> f64 {
    ns as f64 / 1e9
}
