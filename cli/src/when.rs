//! Instants on the command line: parsing the RFC 3339 arguments (within
//! the range every output can print), and printing instants in a schedule's
//! own zone, for machines (RFC 3339 with offset) and for people (weekday,
//! date, time and zone abbreviation).

use crate::outcome::BadInput;
use chrono::{DateTime, Offset as _, SecondsFormat, Timelike, Utc};
use chrono_tz::Tz;

/// What an instant argument must look like, quoted in every error.
const EXPECTED: &str =
    "expected an RFC 3339 time such as 2026-03-08T03:00:00-05:00 or 2026-03-08T08:00:00Z";

/// The earliest instant an argument may name: 1970-01-01T00:00:00Z. No
/// roster is older than the Unix epoch.
const EARLIEST_SECS: i64 = 0;

/// The latest instant an argument may name: 9997-12-31T23:59:59Z. Outputs
/// reach past their arguments — `roster who` finds the next handoff up to
/// 400 days later, `roster ical` exports shifts crossing the window edge
/// from up to 400 days beyond it, and a zone's offset adds up to a day — so
/// two years of margin keep every printed time within year 9999, which is
/// as far as RFC 3339 and RFC 5545 can write.
const LATEST_SECS: i64 = 253_339_228_799;

/// Parses the value of `--<flag>` as an RFC 3339 instant between
/// 1970-01-01T00:00:00Z and 9997-12-31T23:59:59Z.
pub fn parse_instant(flag: &str, value: &str) -> Result<DateTime<Utc>, BadInput> {
    let at = DateTime::parse_from_rfc3339(value.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            BadInput::new(format!(
                "--{flag}: {value:?} is not a valid time; {EXPECTED}"
            ))
        })?;
    match (
        DateTime::from_timestamp(EARLIEST_SECS, 0),
        DateTime::from_timestamp(LATEST_SECS, 0),
    ) {
        (Some(earliest), Some(latest)) if at < earliest || at > latest => {
            Err(BadInput::new(format!(
                "--{flag}: {value:?} is out of range; times from {} to {} are accepted",
                earliest.to_rfc3339_opts(SecondsFormat::Secs, true),
                latest.to_rfc3339_opts(SecondsFormat::Secs, true),
            )))
        }
        _ => Ok(at),
    }
}

/// RFC 3339 in the schedule's zone with its offset, seconds precision:
/// `2026-01-05T09:00:00-06:00` (the `--json` form). RFC 3339 offsets are
/// hours and minutes; at an instant when the zone's offset had seconds (a
/// local mean time, such as Africa/Monrovia's -00:44:30 until 1972) the
/// instant is printed in UTC instead (`1971-06-01T12:00:00Z`), so the text
/// always names exactly the instant.
pub fn rfc3339_in(zone: Tz, at: DateTime<Utc>) -> String {
    let local = at.with_timezone(&zone);
    if local.offset().fix().local_minus_utc() % 60 != 0 {
        return at.to_rfc3339_opts(SecondsFormat::Secs, true);
    }
    local.to_rfc3339_opts(SecondsFormat::Secs, false)
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

/// The zone the pager prints local times in: `TZ` when it names an IANA
/// zone (`Europe/Berlin`, `:Europe/Berlin`), else the system's zone
/// (`/etc/localtime`); `None` when neither is an IANA name
/// (times then carry their numeric offset).
pub fn local_zone() -> Option<Tz> {
    let from_env = std::env::var("TZ").ok().and_then(|tz| zone_of_tz(&tz));
    from_env.or_else(system_zone)
}

/// The system's zone: where `/etc/localtime` links to
/// (`/usr/share/zoneinfo/Europe/Berlin` on Linux,
/// `/var/db/timezone/zoneinfo/Europe/Berlin` on macOS), else
/// `/etc/timezone` (Debian's name file).
fn system_zone() -> Option<Tz> {
    let linked = std::fs::read_link("/etc/localtime")
        .ok()
        .and_then(|target| {
            let target = target.to_string_lossy().into_owned();
            let (_, name) = target.split_once("zoneinfo/")?;
            name.parse::<Tz>().ok()
        });
    linked.or_else(|| {
        std::fs::read_to_string("/etc/timezone")
            .ok()
            .and_then(|name| zone_of_tz(&name))
    })
}

/// The IANA zone a `TZ` value names (`Europe/Berlin`, `:Europe/Berlin`).
fn zone_of_tz(tz: &str) -> Option<Tz> {
    tz.trim().trim_start_matches(':').parse::<Tz>().ok()
}

/// The local zone's name for people: `Europe/Berlin`, or `UTC+01:00` when
/// only the offset is known.
pub fn local_zone_name() -> String {
    match local_zone() {
        Some(zone) => zone.name().to_string(),
        None => format!("UTC{}", chrono::Local::now().format("%:z")),
    }
}

/// `at` in the local zone with `format` (chrono's), `%Z` giving the zone's
/// abbreviation (`CET`, `CEST`, `EST`) or, without an IANA zone, the offset.
fn format_in(zone: Option<Tz>, at: DateTime<Utc>, format: &str) -> String {
    match zone {
        Some(zone) => at.with_timezone(&zone).format(format).to_string(),
        None => at
            .with_timezone(&chrono::Local)
            .format(&format.replace("%Z", "UTC%:z"))
            .to_string(),
    }
}

/// [`local_human`]'s format.
const HUMAN: &str = "%a %d %b %H:%M %Z";
/// [`local_clock`]'s format.
const CLOCK: &str = "%H:%M:%S %Z";

/// A day and time for the pager's people: `Mon 07 Dec 09:00 CET`.
pub fn local_human(at: DateTime<Utc>) -> String {
    format_in(local_zone(), at, HUMAN)
}

/// A clock reading for the pager's log lines and header: `09:00:05 CET`.
pub fn local_clock(at: DateTime<Utc>) -> String {
    format_in(local_zone(), at, CLOCK)
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
    fn instants_outside_1970_to_9997_are_refused_naming_the_flag() {
        for bad in [
            "1969-12-31T23:59:59Z",
            "1970-01-01T00:59:59+01:00",
            "0000-01-01T00:00:00Z",
            "9998-01-01T00:00:00Z",
            "9997-12-31T23:59:59-00:01",
            "9999-12-31T23:59:59Z",
        ] {
            let err = parse_instant("at", bad).unwrap_err();
            assert_eq!(err.lines.len(), 1, "{bad}");
            assert!(
                err.lines[0].starts_with(&format!("error: --at: {bad:?} is out of range")),
                "{:?}",
                err.lines
            );
        }
        let first = parse_instant("from", "1970-01-01T00:00:00Z").unwrap();
        assert_eq!(first.timestamp(), 0);
        let last = parse_instant("to", "9998-01-01T13:59:59+14:00").unwrap();
        assert_eq!(last.to_rfc3339(), "9997-12-31T23:59:59+00:00");
    }

    #[test]
    fn the_extreme_instants_print_four_digit_years_in_every_zone() {
        let first = parse_instant("at", "1970-01-01T00:00:00Z").unwrap();
        let last = parse_instant("at", "9997-12-31T23:59:59Z").unwrap();
        for zone in [
            chrono_tz::Pacific::Chatham,
            chrono_tz::Pacific::Kiritimati,
            chrono_tz::Etc::GMTPlus12,
        ] {
            for at in [
                first - chrono::Duration::days(400),
                last + chrono::Duration::days(400),
            ] {
                let text = rfc3339_in(zone, at);
                assert!(
                    DateTime::parse_from_rfc3339(&text).is_ok(),
                    "{zone}: {text}"
                );
            }
        }
    }

    #[test]
    fn an_offset_with_seconds_prints_the_exact_instant_in_utc() {
        // Local mean time in London: -00:01:15.
        let at = Utc.with_ymd_and_hms(1800, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(
            rfc3339_in(chrono_tz::Europe::London, at),
            "1800-01-01T00:00:00Z"
        );
        // Monrovia Mean Time, -00:44:30, until 1972-01-07; then GMT.
        let monrovia = chrono_tz::Africa::Monrovia;
        let before = Utc.with_ymd_and_hms(1971, 6, 1, 12, 0, 0).unwrap();
        assert_eq!(rfc3339_in(monrovia, before), "1971-06-01T12:00:00Z");
        let after = Utc.with_ymd_and_hms(1972, 6, 1, 12, 0, 0).unwrap();
        assert_eq!(rfc3339_in(monrovia, after), "1972-06-01T12:00:00+00:00");
        // Whole-minute offsets keep the zone's local time.
        let chatham = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(
            rfc3339_in(chrono_tz::Pacific::Chatham, chatham),
            "2026-01-01T13:45:00+13:45"
        );
    }

    #[test]
    fn local_times_carry_their_zone() {
        let berlin = zone_of_tz("Europe/Berlin");
        assert_eq!(berlin, Some(chrono_tz::Europe::Berlin));
        let winter = Utc.with_ymd_and_hms(2026, 12, 7, 8, 0, 0).unwrap();
        let summer = Utc.with_ymd_and_hms(2026, 7, 6, 7, 0, 5).unwrap();
        assert_eq!(format_in(berlin, winter, HUMAN), "Mon 07 Dec 09:00 CET");
        assert_eq!(format_in(berlin, summer, CLOCK), "09:00:05 CEST");
        let chicago = zone_of_tz(":America/Chicago");
        assert_eq!(format_in(chicago, winter, HUMAN), "Mon 07 Dec 02:00 CST");
        assert_eq!(zone_of_tz("CET-1CEST"), None);
        // Without an IANA zone the offset stands in for the abbreviation.
        assert!(format_in(None, winter, CLOCK).contains("UTC"));
    }

    #[test]
    fn utc_zone_prints_a_numeric_offset() {
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(rfc3339_in(chrono_tz::UTC, at), "2026-01-01T00:00:00+00:00");
    }
}
