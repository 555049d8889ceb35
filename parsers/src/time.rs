//! Timestamps as Kubernetes components write them.
//!
//! Two kinds exist in the logs podtrace reads:
//! - **absolute** stamps that name their zone (RFC 3339 in audit, containerd `time=`, CRI log files,
//!   Go `time.Time.String()` values with `+0000 UTC`): converted straight to UTC nanoseconds;
//! - **local** stamps with no zone and often no year (klog headers, journald `short` prefixes, the
//!   Calico CNI stamp): returned as a [`Civil`] and resolved later, once the year and the writer's
//!   UTC offset are known. A parser never reads the wall clock (see STYLE.md, "pass in the year").

use serde::{Deserialize, Serialize};

/// How fine a timestamp is, as written (docs/phases.md#milestone-fields `precision`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Precision {
    Ns,
    Us,
    Ms,
    S,
}

impl Precision {
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Ns => "ns",
            Precision::Us => "us",
            Precision::Ms => "ms",
            Precision::S => "s",
        }
    }

    /// One unit of this precision, in nanoseconds.
    pub fn nanos(self) -> i64 {
        match self {
            Precision::Ns => 1,
            Precision::Us => 1_000,
            Precision::Ms => 1_000_000,
            Precision::S => 1_000_000_000,
        }
    }

    /// Fractional digits that show a time at this precision (the inverse of [`Self::from_digits`]).
    pub fn digits(self) -> usize {
        match self {
            Precision::S => 0,
            Precision::Ms => 3,
            Precision::Us => 6,
            Precision::Ns => 9,
        }
    }

    /// Precision implied by the number of fractional digits written.
    pub fn from_digits(n: usize) -> Precision {
        match n {
            0 => Precision::S,
            1..=3 => Precision::Ms,
            4..=6 => Precision::Us,
            _ => Precision::Ns,
        }
    }
}

/// Its public name (`ns`, `us`, `ms`, `s`), as every output writes it.
impl std::fmt::Display for Precision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `pad`: a table's `{:<5}` applies.
        f.pad(self.as_str())
    }
}

/// A wall-clock reading without a zone; `year` is absent where the format has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Civil {
    pub year: Option<i32>,
    pub month: u8,
    pub day: u8,
    /// Seconds since midnight.
    pub sod: u32,
    pub nanos: u32,
    pub precision: Precision,
}

impl Civil {
    /// Nanoseconds since the Unix epoch if this reading were UTC in `year`; `None` when the day
    /// does not exist in that year (Feb 29 of a common year) or the year is outside [`YEARS`].
    /// Never another date.
    pub fn to_unix_nanos(&self, year: i32) -> Option<i64> {
        if !YEARS.contains(&year)
            || !(1..=12).contains(&self.month)
            || self.day == 0
            || self.day > days_in_month(year, self.month)
        {
            return None;
        }
        let days = days_from_civil(year, self.month as u32, self.day as u32);
        (days.checked_mul(86_400)? + self.sod as i64)
            .checked_mul(1_000_000_000)?
            .checked_add(self.nanos as i64)
    }
}

/// Days in `month` of `year` (proleptic Gregorian).
pub fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The years a time may lie in: from the epoch to the last whole year that i64 nanoseconds hold
/// (2262-04-11). Not the whole i64 range (1677 on): a difference of two times in it must fit in
/// an i64 too, and 1970..=2261 is 292 years, just within. `--year` is held to it as well.
pub const YEARS: std::ops::RangeInclusive<i32> = 1970..=2261;

/// An absolute instant: UTC nanoseconds since the epoch, plus the offset the writer printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instant {
    pub unix_nanos: i64,
    pub precision: Precision,
    /// The UTC offset written beside the time, in seconds (0 for `Z`).
    pub offset_secs: i32,
}

/// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
pub fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y as i64 - 1 } else { y as i64 };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01: (year, month, day).
pub fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    ((if m <= 2 { y + 1 } else { y }) as i32, m, d)
}

/// RFC 3339 with 9 fractional digits and `Z`, the form podtrace writes.
pub fn format_rfc3339_nanos(unix_nanos: i64) -> String {
    let secs = unix_nanos.div_euclid(1_000_000_000);
    let nanos = unix_nanos.rem_euclid(1_000_000_000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{nanos:09}Z",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60
    )
}

#[inline]
fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let s = b.get(at..at + n)?;
    let mut v = 0u32;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as u32;
    }
    Some(v)
}

fn valid_date(month: u32, day: u32) -> bool {
    (1..=12).contains(&month) && (1..=31).contains(&day)
}

fn valid_time(h: u32, mi: u32, s: u32) -> bool {
    // 60 allows a leap second as written; it becomes :00 of the next minute.
    h < 24 && mi < 60 && s <= 60
}

/// Fractional seconds starting at `b[at] == '.'` (or ','); returns (nanos, digits, bytes used).
fn fraction(b: &[u8], at: usize) -> (u32, usize, usize) {
    match b.get(at) {
        Some(b'.') | Some(b',') => {}
        _ => return (0, 0, 0),
    }
    let mut n = 0u32;
    let mut k = 0usize;
    while let Some(&c) = b.get(at + 1 + k) {
        if !c.is_ascii_digit() {
            break;
        }
        if k < 9 {
            n = n * 10 + (c - b'0') as u32;
        }
        k += 1;
    }
    if k == 0 {
        return (0, 0, 0);
    }
    let mut scaled = n;
    for _ in k.min(9)..9 {
        scaled *= 10;
    }
    (scaled, k, k + 1)
}

/// Parses `YYYY-MM-DD?hh:mm:ss[.frac]` where `?` is `T` or a space; returns the civil value and
/// the bytes consumed.
pub fn parse_civil_datetime(b: &[u8]) -> Option<(Civil, usize)> {
    let y = digits(b, 0, 4)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let mo = digits(b, 5, 2)?;
    let d = digits(b, 8, 2)?;
    match b.get(10) {
        Some(b'T') | Some(b't') | Some(b' ') => {}
        _ => return None,
    }
    let (sod, used) = parse_hms(&b[11..])?;
    if !valid_date(mo, d) {
        return None;
    }
    let (nanos, nd, fused) = fraction(b, 11 + used);
    Some((
        Civil {
            year: Some(y as i32),
            month: mo as u8,
            day: d as u8,
            sod,
            nanos,
            precision: Precision::from_digits(nd),
        },
        11 + used + fused,
    ))
}

/// `hh:mm:ss` → seconds of day, 8 bytes.
fn parse_hms(b: &[u8]) -> Option<(u32, usize)> {
    let h = digits(b, 0, 2)?;
    let mi = digits(b, 3, 2)?;
    let s = digits(b, 6, 2)?;
    if b.get(2) != Some(&b':') || b.get(5) != Some(&b':') || !valid_time(h, mi, s) {
        return None;
    }
    Some((h * 3600 + mi * 60 + s, 8))
}

/// A UTC offset: `Z`, `+hh:mm`, `+hhmm` or `+hh`; returns (seconds, bytes used).
pub fn parse_offset(b: &[u8]) -> Option<(i32, usize)> {
    match b.first()? {
        b'Z' | b'z' => Some((0, 1)),
        c @ (b'+' | b'-') => {
            let sign = if *c == b'-' { -1 } else { 1 };
            let h = digits(b, 1, 2)? as i32;
            let (m, used) = if b.get(3) == Some(&b':') {
                (digits(b, 4, 2)? as i32, 6)
            } else if let Some(m) = digits(b, 3, 2) {
                (m as i32, 5)
            } else {
                (0, 3)
            };
            if h > 23 || m > 59 {
                return None;
            }
            Some((sign * (h * 3600 + m * 60), used))
        }
        _ => None,
    }
}

/// RFC 3339 / ISO 8601 with a zone (`2024-11-29T18:33:25.775569203Z`, `…+08:00`, `…+0000`).
/// Returns the instant and the bytes consumed.
pub fn parse_rfc3339(b: &[u8]) -> Option<(Instant, usize)> {
    let (c, used) = parse_civil_datetime(b)?;
    let (off, oused) = parse_offset(&b[used..])?;
    let local = c.to_unix_nanos(c.year?)?;
    Some((
        Instant {
            unix_nanos: local.checked_sub(off as i64 * 1_000_000_000)?,
            precision: c.precision,
            offset_secs: off,
        },
        used + oused,
    ))
}

/// A Go `time.Time` as printed: an instant, or Go's zero time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum GoTime {
    /// `0001-01-01 00:00:00 +0000 UTC`: the kubelet's "never happened".
    Zero,
    At(Instant),
}

/// Go's `time.Time.String()`: `2024-11-29 16:33:25.942453883 +0000 UTC m=+23257.472205557`.
/// The monotonic ` m=±…` suffix is ignored.
pub fn parse_go_time(s: &str) -> Option<GoTime> {
    let b = s.as_bytes();
    let (c, used) = parse_civil_datetime(b)?;
    if b.get(used) != Some(&b' ') {
        return None;
    }
    let (off, _) = parse_offset(&b[used + 1..])?;
    let year = c.year?;
    if year == 1 && c.month == 1 && c.day == 1 && c.sod == 0 && c.nanos == 0 {
        return Some(GoTime::Zero);
    }
    Some(GoTime::At(Instant {
        unix_nanos: c
            .to_unix_nanos(year)?
            .checked_sub(off as i64 * 1_000_000_000)?,
        precision: c.precision,
        offset_secs: off,
    }))
}

/// Go `time.Duration.String()`: `1m8.818440372s`, `38.805737ms`, `1.5µs`, `2h0m0s`, `0s`.
/// Returns nanoseconds.
pub fn parse_go_duration(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let (neg, mut i) = match b.first()? {
        b'-' => (true, 1),
        b'+' => (false, 1),
        _ => (false, 0),
    };
    if i >= b.len() {
        return None;
    }
    let mut total: i128 = 0;
    while i < b.len() {
        let start = i;
        let mut int: i128 = 0;
        while i < b.len() && b[i].is_ascii_digit() {
            int = int.checked_mul(10)?.checked_add((b[i] - b'0') as i128)?;
            i += 1;
        }
        let mut frac: i128 = 0;
        let mut scale: i128 = 1;
        if i < b.len() && b[i] == b'.' {
            i += 1;
            while i < b.len() && b[i].is_ascii_digit() {
                if scale < 1_000_000_000_000_000_000 {
                    frac = frac * 10 + (b[i] - b'0') as i128;
                    scale *= 10;
                }
                i += 1;
            }
        }
        if i == start {
            return None;
        }
        let rest = &s[i..];
        let (unit, ulen): (i128, usize) = if rest.starts_with("ns") {
            (1, 2)
        } else if rest.starts_with("µs") {
            (1_000, "µs".len())
        } else if rest.starts_with("us") {
            (1_000, 2)
        } else if rest.starts_with("ms") {
            (1_000_000, 2)
        } else if rest.starts_with('s') {
            (1_000_000_000, 1)
        } else if rest.starts_with('m') {
            (60_000_000_000, 1)
        } else if rest.starts_with('h') {
            (3_600_000_000_000, 1)
        } else if int == 0 && frac == 0 && rest.is_empty() && i == b.len() {
            // a bare "0"
            (1, 0)
        } else {
            return None;
        };
        total += int * unit + frac * unit / scale;
        i += ulen;
    }
    let total = if neg { -total } else { total };
    i64::try_from(total).ok()
}

/// klog header time `MMDD hh:mm:ss.uuuuuu` (no year, no zone). `b` starts at the month.
pub fn parse_klog_time(b: &[u8]) -> Option<Civil> {
    let mo = digits(b, 0, 2)?;
    let d = digits(b, 2, 2)?;
    if b.get(4) != Some(&b' ') || !valid_date(mo, d) {
        return None;
    }
    let (sod, _) = parse_hms(&b[5..])?;
    let (nanos, nd, _) = fraction(b, 13);
    Some(Civil {
        year: None,
        month: mo as u8,
        day: d as u8,
        sod,
        nanos,
        precision: Precision::from_digits(nd),
    })
}

/// Month from its English three-letter abbreviation (syslog, journald).
pub fn month_from_abbrev(b: &[u8]) -> Option<u8> {
    let m = match b.get(..3)? {
        b"Jan" => 1,
        b"Feb" => 2,
        b"Mar" => 3,
        b"Apr" => 4,
        b"May" => 5,
        b"Jun" => 6,
        b"Jul" => 7,
        b"Aug" => 8,
        b"Sep" => 9,
        b"Oct" => 10,
        b"Nov" => 11,
        b"Dec" => 12,
        _ => return None,
    };
    Some(m)
}

/// journald `short` / `short-precise` and rsyslog traditional: `Nov 29 18:33:25[.013534]`, the day
/// zero- or space-padded. Returns the civil reading (no year) and bytes consumed.
pub fn parse_syslog_time(b: &[u8]) -> Option<(Civil, usize)> {
    let Some(mo) = month_from_abbrev(b) else {
        return parse_cjk_syslog_time(b);
    };
    if b.get(3) != Some(&b' ') {
        return None;
    }
    let d = match (b.get(4)?, b.get(5)?) {
        (b' ', c) if c.is_ascii_digit() => (c - b'0') as u32,
        (a, c) if a.is_ascii_digit() && c.is_ascii_digit() => ((a - b'0') * 10 + (c - b'0')) as u32,
        _ => return None,
    };
    if b.get(6) != Some(&b' ') {
        return None;
    }
    syslog_civil(b, mo as u32, d, 7)
}

/// The rest of a syslog-style stamp once month and day are read: `hh:mm:ss[.frac]` at `at`;
/// the civil time and the bytes used from the start of `b`.
fn syslog_civil(b: &[u8], mo: u32, d: u32, at: usize) -> Option<(Civil, usize)> {
    if !valid_date(mo, d) {
        return None;
    }
    let (sod, _) = parse_hms(b.get(at..)?)?;
    let (nanos, nd, fused) = fraction(b, at + 8);
    Some((
        Civil {
            year: None,
            month: mo as u8,
            day: d as u8,
            sod,
            nanos,
            precision: Precision::from_digits(nd),
        },
        at + 8 + fused,
    ))
}

/// journalctl's `short` prefix under a CJK locale, where `%b` is the month number and a
/// character: ` 1月 28 17:55:39` (ja_JP pads the month to two columns), `12月 28 …`, `1월 28 …`
/// (ko_KR).
fn parse_cjk_syslog_time(b: &[u8]) -> Option<(Civil, usize)> {
    let start = usize::from(b.first() == Some(&b' '));
    let mut i = start;
    let mut mo = 0u32;
    while i < b.len() && b[i].is_ascii_digit() && i - start < 2 {
        mo = mo * 10 + u32::from(b[i] - b'0');
        i += 1;
    }
    if i == start {
        return None;
    }
    // 月 (U+6708) and 월 (U+C6D4), three bytes each in UTF-8.
    let rest = &b[i..];
    if !(rest.starts_with("月".as_bytes()) || rest.starts_with("월".as_bytes())) {
        return None;
    }
    i += 3;
    if b.get(i) != Some(&b' ') {
        return None;
    }
    i += 1;
    let d = match (b.get(i)?, b.get(i + 1)?) {
        (b' ', c) if c.is_ascii_digit() => u32::from(c - b'0'),
        (a, c) if a.is_ascii_digit() && c.is_ascii_digit() => {
            u32::from((a - b'0') * 10 + (c - b'0'))
        }
        (a, b' ') if a.is_ascii_digit() => {
            // `1월 5 …`: a one-digit day, not padded.
            i -= 1;
            u32::from(a - b'0')
        }
        _ => return None,
    };
    i += 2;
    if b.get(i) != Some(&b' ') {
        return None;
    }
    syslog_civil(b, mo, d, i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A precision prints as its public name (padded in tables) and is one unit of its digits.
    #[test]
    fn precision_names_and_units() {
        let all = [Precision::Ns, Precision::Us, Precision::Ms, Precision::S];
        let shown: Vec<String> = all.iter().map(|p| format!("[{p:<3}]")).collect();
        assert_eq!(shown, ["[ns ]", "[us ]", "[ms ]", "[s  ]"]);
        let units: Vec<i64> = all.iter().map(|p| p.nanos()).collect();
        assert_eq!(units, [1, 1_000, 1_000_000, 1_000_000_000]);
        for (digits, p) in [
            (0, Precision::S),
            (3, Precision::Ms),
            (6, Precision::Us),
            (9, Precision::Ns),
        ] {
            assert_eq!(Precision::from_digits(digits), p);
            assert_eq!(p.digits(), digits);
        }
    }

    #[test]
    fn cjk_locale_journal_stamps() {
        // Real: samples/real/k3s/microshift-4.16_ja-locale_component-prefixed.journal.log
        let (c, n) = parse_syslog_time(" 1月 28 17:55:39 jetson07".as_bytes()).unwrap();
        assert_eq!((c.month, c.day, c.sod), (1, 28, 17 * 3600 + 55 * 60 + 39));
        assert_eq!(&" 1月 28 17:55:39 jetson07"[n..], " jetson07");
        let (c, n) = parse_syslog_time("12月  5 01:02:03.123456 h".as_bytes()).unwrap();
        assert_eq!((c.month, c.day, c.nanos), (12, 5, 123_456_000));
        assert_eq!(&"12月  5 01:02:03.123456 h"[n..], " h");
        let (c, _) = parse_syslog_time("3월 7 09:00:00 h".as_bytes()).unwrap();
        assert_eq!((c.month, c.day), (3, 7));
        assert!(parse_syslog_time("13月 28 17:55:39 h".as_bytes()).is_none());
        assert!(parse_syslog_time(" 1x 28 17:55:39 h".as_bytes()).is_none());
    }

    /// Times outside what i64 nanoseconds hold and days that do not exist are refused, never
    /// wrapped or rolled into another date (`9999-12-31` used to become 1816-03-30, Feb 29 of a
    /// common year Mar 1).
    #[test]
    fn impossible_times_are_refused() {
        assert!(parse_rfc3339(b"9999-12-31T23:59:59Z").is_none());
        assert!(parse_rfc3339(b"1677-01-01T00:00:00Z").is_none());
        assert!(parse_rfc3339(b"2025-02-29T00:00:00Z").is_none());
        assert!(parse_rfc3339(b"2025-04-31T00:00:00Z").is_none());
        assert_eq!(
            parse_rfc3339(b"2024-02-29T00:00:00Z").map(|(i, _)| i.unix_nanos),
            Some(1_709_164_800_000_000_000)
        );
        // The edges: 1970 to 2261, so that any two times' difference fits in an i64 as well.
        assert_eq!(
            parse_rfc3339(b"1970-01-01T00:00:00Z").map(|(i, _)| i.unix_nanos),
            Some(0)
        );
        assert!(parse_rfc3339(b"1969-12-31T23:59:59Z").is_none());
        assert_eq!(
            parse_rfc3339(b"2261-12-31T23:59:59.999999999Z").map(|(i, _)| i.unix_nanos),
            Some(9_214_646_399_999_999_999)
        );
        assert!(parse_rfc3339(b"2262-01-01T00:00:00Z").is_none());
        assert!(
            9_214_646_399_999_999_999i64.checked_sub(0).is_some()
                && 9_214_646_399_999_999_999i64.checked_neg().is_some()
        );
        assert!(parse_go_time("9999-12-31 00:00:00 +0000 UTC").is_none());
        let (c, _) = parse_syslog_time(b"Feb 29 10:00:00 h").unwrap();
        assert_eq!(c.to_unix_nanos(2025), None);
        assert_eq!(c.to_unix_nanos(2024), Some(1_709_200_800_000_000_000));
        assert_eq!(c.to_unix_nanos(2300), None);
    }

    #[test]
    fn epoch_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2024, 11, 29), 20056);
        assert_eq!(civil_from_days(20056), (2024, 11, 29));
        assert_eq!(days_from_civil(2000, 3, 1), 11017);
        for d in [-800_000i64, -1, 0, 59, 60, 11_016, 20_000, 2_000_000] {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
    }

    #[test]
    fn rfc3339_variants() {
        let (i, n) = parse_rfc3339(b"2024-11-29T18:33:25.775569203Z rest").unwrap();
        assert_eq!(n, 30);
        assert_eq!(i.precision, Precision::Ns);
        assert_eq!(
            format_rfc3339_nanos(i.unix_nanos),
            "2024-11-29T18:33:25.775569203Z"
        );
        // CRI-O/RFC3339Nano trims trailing zeros; the offset form moves the instant.
        let (i, _) = parse_rfc3339(b"2025-07-10T17:02:21.4313+08:00").unwrap();
        assert_eq!(
            format_rfc3339_nanos(i.unix_nanos),
            "2025-07-10T09:02:21.431300000Z"
        );
        assert_eq!(i.offset_secs, 8 * 3600);
        assert_eq!(i.precision, Precision::Us);
        // journald short-iso writes +0000 without a colon.
        let (i, n) = parse_rfc3339(b"2024-03-29T10:15:32+0000 host").unwrap();
        assert_eq!((i.precision, n), (Precision::S, 24));
        assert!(parse_rfc3339(b"2024-13-29T10:15:32Z").is_none());
        assert!(parse_rfc3339(b"2024-11-29T18:33:25").is_none());
    }

    #[test]
    fn go_time_and_zero_time() {
        let Some(GoTime::At(t)) =
            parse_go_time("2024-11-29 16:33:25.942453883 +0000 UTC m=+23257.472205557")
        else {
            panic!("not parsed")
        };
        assert_eq!(
            format_rfc3339_nanos(t.unix_nanos),
            "2024-11-29T16:33:25.942453883Z"
        );
        assert_eq!(
            parse_go_time("0001-01-01 00:00:00 +0000 UTC"),
            Some(GoTime::Zero)
        );
        let Some(GoTime::At(t)) = parse_go_time("2024-11-29 16:33:25 +0000 UTC") else {
            panic!("not parsed")
        };
        assert_eq!(t.precision, Precision::S);
        assert!(parse_go_time("yesterday").is_none());
    }

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("1m8.818440372s"), Some(68_818_440_372));
        assert_eq!(parse_go_duration("38.805737ms"), Some(38_805_737));
        assert_eq!(parse_go_duration("1.940293018s"), Some(1_940_293_018));
        assert_eq!(parse_go_duration("1µs"), Some(1_000));
        assert_eq!(parse_go_duration("2h0m0s"), Some(7_200_000_000_000));
        assert_eq!(parse_go_duration("0s"), Some(0));
        assert_eq!(parse_go_duration("0"), Some(0));
        assert_eq!(parse_go_duration("-1.5s"), Some(-1_500_000_000));
        assert_eq!(parse_go_duration("1x"), None);
        assert_eq!(parse_go_duration(""), None);
    }

    #[test]
    fn klog_and_syslog_times() {
        let c = parse_klog_time(b"1129 18:33:25.449865    2983").unwrap();
        assert_eq!(
            (c.month, c.day, c.sod, c.nanos),
            (11, 29, 66805, 449_865_000)
        );
        assert_eq!(c.precision, Precision::Us);
        assert!(parse_klog_time(b"1329 18:33:25.449865").is_none());
        let (c, n) = parse_syslog_time(b"Aug  8 13:43:41 aks-node").unwrap();
        assert_eq!((c.month, c.day, n, c.precision), (8, 8, 15, Precision::S));
        let (c, n) = parse_syslog_time(b"May 27 16:02:29.013534 ip").unwrap();
        assert_eq!((c.day, c.nanos, n), (27, 13_534_000, 22));
        assert!(parse_syslog_time(b"Foo 27 16:02:29").is_none());
    }
}
