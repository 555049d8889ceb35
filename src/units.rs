//! Values a person writes on a command line or in a gate file: durations (`250ms`, `1.5s`) and
//! UTC offsets (`+02:00`). Shared by the CLI and the report's SLO gates.

/// `250ms`, `5s`, `2m`, `1h`, `1.5s`, `30us`, `100ns` → a duration.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| format!("{s:?}: a unit is needed (ns, us, ms, s, m, h)"))?;
    let (num, unit) = t.split_at(split);
    let v: f64 = num
        .parse()
        .map_err(|_| format!("{s:?}: expected a number before the unit"))?;
    let scale = match unit.trim() {
        "ns" => 1e-9,
        "us" | "µs" => 1e-6,
        "ms" => 1e-3,
        "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        u => return Err(format!("{s:?}: unknown unit {u:?} (ns, us, ms, s, m, h)")),
    };
    std::time::Duration::try_from_secs_f64(v * scale).map_err(|e| format!("{s:?}: {e}"))
}

/// `UTC`, `Z`, `+02:00`, `-0530`, `+2` → seconds east of UTC.
pub fn parse_timezone(s: &str) -> Result<i32, String> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("utc") || t.eq_ignore_ascii_case("z") || t.eq_ignore_ascii_case("gmt")
    {
        return Ok(0);
    }
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'+') => (1, &t[1..]),
        Some(b'-') => (-1, &t[1..]),
        _ => return Err(format!("expected UTC or an offset like +02:00, got {s:?}")),
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("expected an offset like +02:00, got {s:?}"));
    }
    let (h, m) = match digits.len() {
        1 | 2 => (digits.parse::<i32>().map_err(|e| e.to_string())?, 0),
        3 | 4 => {
            let (h, m) = digits.split_at(digits.len() - 2);
            (
                h.parse::<i32>().map_err(|e| e.to_string())?,
                m.parse::<i32>().map_err(|e| e.to_string())?,
            )
        }
        _ => return Err(format!("expected an offset like +02:00, got {s:?}")),
    };
    if h > 14 || m > 59 {
        return Err(format!("offset out of range: {s:?}"));
    }
    Ok(sign * (h * 3600 + m * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timezones() {
        assert_eq!(parse_timezone("UTC"), Ok(0));
        assert_eq!(parse_timezone("+02:00"), Ok(7200));
        assert_eq!(parse_timezone("-0530"), Ok(-19800));
        assert_eq!(parse_timezone("+8"), Ok(28800));
        assert!(parse_timezone("Europe/Paris").is_err());
        assert!(parse_timezone("+25:00").is_err());
        // Not digits: refused, never split inside a character.
        assert!(parse_timezone("+é1").is_err());
        assert!(parse_timezone("+-5").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(
            parse_duration("250ms"),
            Ok(std::time::Duration::from_millis(250))
        );
        assert_eq!(
            parse_duration("1.5s"),
            Ok(std::time::Duration::from_millis(1500))
        );
        assert_eq!(
            parse_duration("2m"),
            Ok(std::time::Duration::from_secs(120))
        );
        assert_eq!(
            parse_duration("30us"),
            Ok(std::time::Duration::from_micros(30))
        );
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("5 weeks").is_err());
    }
}
