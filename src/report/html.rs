//! HTML report.

use super::Report;
use super::slo::Verdict;

pub fn write(
    _r: &Report,
    _a: &crate::Analysis,
    _v: &[Verdict],
    _out: &mut dyn std::io::Write,
) -> anyhow::Result<()> {
    anyhow::bail!("html: not yet")
}
