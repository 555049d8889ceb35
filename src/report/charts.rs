//! Charts (plotters).

use std::path::{Path, PathBuf};

use super::Report;

pub fn write_all(_r: &Report, _a: &crate::Analysis, _dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    anyhow::bail!("charts: not yet")
}
