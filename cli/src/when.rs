//! Instants on the command line: parsing the RFC 3339 arguments, and
//! printing instants in a schedule's own zone, for machines (RFC 3339 with
//! offset) and for people (weekday, date, time and zone abbreviation).

use crate::outcome::BadInput;
use chrono::{DateTime, SecondsFormat, Timelike, Utc};
use chrono_tz::Tz;

/// What an instant argument must look like, quoted in every error.
const EXPECTED: &str =
    "expected an RFC 3339 time such as 2026-03-08T03:00:00-05:00 or 2026-03-08T08:00:00Z";

/// Parses the value of `--<flag>` as an RFC 3339 instant.
pub fn parse_instant(flag: &str, value: &str) -> Result<DateTime<Utc>, BadInput> {
    DateTime::parse_from_rfc3339(value.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            BadInput::new(format!(
                "--{flag}: {value:?} is not a valid time; {EXPECTED}"
            ))
        })
}

/// RFC 3339 in the schedule's zone with its offset, seconds precision:
/// `2026-01-05T09:00:00-06:00` (the `--json` form).
pub fn rfc3339_in(zone: Tz, at: DateTime<Utc>) -> String {
    at.with_timezone(&zone)
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// For people: `Mon 2026-01-05 09:00 CST` (seconds only when not zero).
pub fn human_in(zone: Tz, at: DateTime<Utc>) -> String {
    let local = at.with_timezone(&zone);
    if local.second() == 0 {
        local.format("%a %Y-%m-%d %H:%M %Z").to_string()
    } else {
        local.format("%a %Y-%m-%d %H:%M:%S %Z").to_string()
    }
}

/// A length of time for people: `7d`, `23h`, `1d 1h`, `8h 30m`, `45s`.
pub fn human_length(from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    let total = (to - from).num_seconds().max(0);
    let (days, hours) = (total / 86_400, total % 86_400 / 3_600);
    let (minutes, seconds) = (total % 3_600 / 60, total % 60);
    let parts: Vec<String> = [(days, "d"), (hours, "h"), (minutes, "m"), (seconds, "s")]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect();
    if parts.is_empty() {
        "0s".to_string()
    } else {
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn parses_offsets_and_z() {
        let a = parse_instant("at", "2026-03-08T03:00:00-05:00").unwrap();
        let b = parse_instant("at", "2026-03-08T08:00:00Z").unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn rejects_other_forms_with_the_expected_form() {
        for bad in ["2026-03-08", "2026-03-08T03:00:00", "tomorrow", ""] {
            let err = parse_instant("from", bad).unwrap_err();
            assert_eq!(err.lines.len(), 1);
            assert!(err.lines[0].contains("--from"), "{:?}", err.lines);
            assert!(err.lines[0].contains("RFC 3339"), "{:?}", err.lines);
        }
    }

    #[test]
    fn prints_in_the_schedule_zone_across_dst() {
        let zone = chrono_tz::America::Chicago;
        let before = Utc.with_ymd_and_hms(2026, 3, 7, 15, 0, 0).unwrap();
        let after = Utc.with_ymd_and_hms(2026, 3, 8, 14, 0, 0).unwrap();
        assert_eq!(rfc3339_in(zone, before), "2026-03-07T09:00:00-06:00");
        assert_eq!(rfc3339_in(zone, after), "2026-03-08T09:00:00-05:00");
        assert_eq!(human_in(zone, before), "Sat 2026-03-07 09:00 CST");
        assert_eq!(human_in(zone, after), "Sun 2026-03-08 09:00 CDT");
        assert_eq!(human_length(before, after), "23h");
    }

    #[test]
    fn utc_zone_prints_a_numeric_offset() {
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(rfc3339_in(chrono_tz::UTC, at), "2026-01-01T00:00:00+00:00");
    }
}
