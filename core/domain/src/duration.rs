//! Durations as people write them in the roster: `30s`, `5m`, `2h`, `1h30m`.

use std::time::Duration;

/// Parses `1d2h30m15s`-style durations: one or more `<digits><unit>` parts,
/// units `d`, `h`, `m`, `s` in that order, each at most once. Returns a
/// message saying what is wrong otherwise.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    const UNITS: [(char, u64); 4] = [('d', 86_400), ('h', 3_600), ('m', 60), ('s', 1)];
    let hint = "write it like 30s, 5m, 2h or 1h30m";
    let s = text.trim();
    if s.is_empty() {
        return Err(format!("empty duration; {hint}"));
    }
    let mut total: u64 = 0;
    let mut next_unit = 0usize;
    let mut digits = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let Some(pos) = UNITS.iter().position(|(u, _)| *u == c) else {
            return Err(format!("{text:?} has an unknown unit {c:?}; {hint}"));
        };
        if digits.is_empty() {
            return Err(format!("{text:?} has a unit without a number; {hint}"));
        }
        if pos < next_unit {
            return Err(format!("{text:?} repeats or misorders units; {hint}"));
        }
        let n: u64 = digits
            .parse()
            .map_err(|_| format!("{text:?} is too large"))?;
        total = n
            .checked_mul(UNITS[pos].1)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| format!("{text:?} is too large"))?;
        digits.clear();
        next_unit = pos + 1;
    }
    if !digits.is_empty() {
        return Err(format!("{text:?} ends in a number without a unit; {hint}"));
    }
    Ok(Duration::from_secs(total))
}

/// Formats a duration the way [`parse_duration`] reads it (`1h30m`, `45s`).
pub fn format_duration(d: Duration) -> String {
    let mut secs = d.as_secs();
    if secs == 0 {
        return "0s".to_string();
    }
    let mut out = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if secs >= size {
            out.push_str(&format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("1d"), Ok(Duration::from_secs(86_400)));
    }

    #[test]
    fn rejects_malformed_durations_with_a_reason() {
        for bad in [
            "",
            "5",
            "m",
            "5x",
            "30m1h",
            "1h1h",
            "-5m",
            "99999999999999999999s",
        ] {
            let err = parse_duration(bad).unwrap_err();
            assert!(!err.is_empty(), "{bad}");
        }
    }

    #[test]
    fn format_round_trips() {
        for s in [1u64, 59, 60, 3600, 5400, 86_461] {
            let d = Duration::from_secs(s);
            assert_eq!(parse_duration(&format_duration(d)), Ok(d));
        }
    }
}
