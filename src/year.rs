//! Years for stamps that have none (klog headers, journald `short`).
//!
//! Within a file, local stamps form a chain in file order: a stamp more than half a year
//! *before* the previous one rolled over into the next year (December → January); one more than
//! half a year *after* it is a straggler from the year before. So each stamp gets a year
//! *relative* to the file's first one, and the file needs only one absolute year, its base, which
//! comes from the nearest stamp that carries a year (containerd `time=`, a CRI stamp, a journal
//! "-- Journal begins at …" line, the kubelet's embedded dates), else from other files of the same
//! host or the run, else from `--year`.

use podtrace_parsers::time::{Civil, Instant, civil_from_days, days_from_civil};

const HALF_YEAR_SECS: i64 = 183 * 86_400;

/// Seconds since the start of a leap year (so that Feb 29 has a place).
fn pos_in_year(c: &Civil) -> i64 {
    (days_from_civil(2000, c.month as u32, c.day as u32) - days_from_civil(2000, 1, 1)) * 86_400
        + c.sod as i64
}

/// The year in which civil time `c` lies closest to `anchor`.
pub fn nearest_year(c: &Civil, anchor: i64) -> i32 {
    let secs = anchor.div_euclid(1_000_000_000);
    let (ay, _, _) = civil_from_days(secs.div_euclid(86_400));
    let mut best = ay;
    let mut best_d = i64::MAX;
    for y in [ay - 1, ay, ay + 1] {
        // A year without this day (Feb 29 of a common year) has no instant for it.
        let Some(d) = c.to_unix_nanos(y).and_then(|t| t.checked_sub(anchor)) else {
            continue;
        };
        let d = d.abs();
        if d < best_d {
            best_d = d;
            best = y;
        }
    }
    best
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct YearTracker {
    /// Relative year of the chain's latest stamp, and its position in that year.
    last: Option<(i32, i64)>,
    last_civil: Option<Civil>,
    /// base + relative = calendar year.
    pub base: Option<i32>,
    last_anchor: Option<i64>,
    /// The first absolute time seen in this file (for other files of the same host).
    pub first_anchor: Option<i64>,
    /// The first local stamp and its relative year (to place the chain when no anchor exists).
    pub first_local: Option<(Civil, i32)>,
}

impl YearTracker {
    /// Returns the relative year of a local stamp without a year.
    pub fn local(&mut self, c: &Civil) -> i32 {
        let p = pos_in_year(c);
        let rel = match self.last {
            None => 0,
            Some((rel, last_p)) => {
                if p < last_p - HALF_YEAR_SECS {
                    rel + 1
                } else if p > last_p + HALF_YEAR_SECS {
                    // A straggler from the previous year; it does not move the chain.
                    return rel - 1;
                } else {
                    rel
                }
            }
        };
        self.last = Some((rel, p));
        self.last_civil = Some(*c);
        if self.first_local.is_none() {
            self.first_local = Some((*c, rel));
        }
        if self.base.is_none() {
            if let Some(a) = self.last_anchor {
                self.base = Some(nearest_year(c, a) - rel);
            }
        }
        rel
    }

    /// The relative year of a second local stamp on the same line as the chain's latest one
    /// (a klog header inside a journal line): read against the chain, without moving it, so
    /// that the chain is the envelope's stamps alone, whichever lines were parsed.
    pub fn beside(&self, c: &Civil) -> i32 {
        let p = pos_in_year(c);
        match self.last {
            None => 0,
            Some((rel, last_p)) if p < last_p - HALF_YEAR_SECS => rel + 1,
            Some((rel, last_p)) if p > last_p + HALF_YEAR_SECS => rel - 1,
            Some((rel, _)) => rel,
        }
    }

    /// Continues this tracker with one that read the lines after it, for files read in chunks
    /// whose lines carry absolute times only (audit logs): a chain of local stamps cannot be
    /// continued, so `later` must not have one.
    pub fn follow(&mut self, later: &YearTracker) {
        debug_assert!(
            later.last.is_none(),
            "a chain of local stamps split across chunks"
        );
        self.first_anchor = self.first_anchor.or(later.first_anchor);
        self.last_anchor = later.last_anchor.or(self.last_anchor);
    }

    /// Records a stamp that carries a year.
    pub fn anchor(&mut self, t: Instant) {
        self.anchor_nanos(t.unix_nanos);
    }

    pub fn anchor_nanos(&mut self, t: i64) {
        self.last_anchor = Some(t);
        if self.first_anchor.is_none() {
            self.first_anchor = Some(t);
        }
        if self.base.is_none() {
            if let (Some((rel, _)), Some(c)) = (self.last, self.last_civil) {
                self.base = Some(nearest_year(&c, t) - rel);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use podtrace_parsers::time::{Precision, parse_rfc3339};

    fn civil(month: u8, day: u8, sod: u32) -> Civil {
        Civil {
            year: None,
            month,
            day,
            sod,
            nanos: 0,
            precision: Precision::S,
        }
    }

    fn abs(s: &str) -> Instant {
        parse_rfc3339(s.as_bytes()).unwrap().0
    }

    #[test]
    fn december_to_january_rolls_over() {
        let mut y = YearTracker::default();
        assert_eq!(y.local(&civil(12, 31, 86_399)), 0);
        assert_eq!(y.local(&civil(1, 1, 1)), 1);
        assert_eq!(y.local(&civil(1, 1, 5)), 1);
        // A late line from December stays in the old year.
        assert_eq!(y.local(&civil(12, 31, 86_000)), 0);
        y.anchor(abs("2025-01-01T00:00:10Z"));
        assert_eq!(y.base, Some(2024));
    }

    #[test]
    fn anchor_before_local_stamps() {
        let mut y = YearTracker::default();
        y.anchor(abs("2023-09-01T23:34:51.441261954Z"));
        assert_eq!(y.base, None);
        assert_eq!(y.local(&civil(9, 1, 84_898)), 0);
        assert_eq!(y.base, Some(2023));
        assert_eq!(
            y.first_anchor,
            Some(abs("2023-09-01T23:34:51.441261954Z").unix_nanos)
        );
    }

    #[test]
    fn nearest_year_near_boundaries() {
        let jan = abs("2025-01-01T00:30:00Z").unix_nanos;
        assert_eq!(nearest_year(&civil(12, 31, 86_000), jan), 2024);
        assert_eq!(nearest_year(&civil(1, 1, 60), jan), 2025);
        // Feb 29 only in leap years.
        assert_eq!(
            nearest_year(&civil(2, 29, 0), abs("2025-03-01T00:00:00Z").unix_nanos),
            2024
        );
    }
}
