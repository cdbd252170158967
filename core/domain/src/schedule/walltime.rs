//! Wall-clock time -> instant, with the rules of docs/architecture.md, "Time":
//! a time inside a spring-forward gap happens at the first instant after the
//! gap; a time that happens twice (fall back) happens at its first occurrence.

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

/// The first instant at which the clocks of `tz` show `wall` or later.
///
/// This one definition gives both rules: an ambiguous time resolves to its
/// first occurrence (it comes first), and a time in a gap resolves to the
/// instant the gap ends (the first instant whose wall time is past it).
/// Returns `None` only outside chrono's representable range.
pub fn resolve_wall_time(tz: Tz, wall: NaiveDateTime) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&wall) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, _) => Some(first.with_timezone(&Utc)),
        LocalResult::None => first_instant_after_gap(tz, wall),
    }
}

/// Binary search, to the second, for the first instant whose wall time is at
/// least `wall`. Only called for times inside a gap, which is rare, so the
/// ~17 offset look-ups do not matter.
fn first_instant_after_gap(tz: Tz, wall: NaiveDateTime) -> Option<DateTime<Utc>> {
    let shows_at_least = |u: i64| -> bool {
        let Some(utc) = DateTime::<Utc>::from_timestamp(u, 0) else {
            return false;
        };
        let offset = tz.offset_from_utc_datetime(&utc.naive_utc()).fix();
        utc.naive_utc() + Duration::seconds(i64::from(offset.local_minus_utc())) >= wall
    };
    // UTC offsets lie within -12h..+14h, so the answer lies in this bracket:
    // at `lo` the wall clock shows at most wall - 1h, at `hi` at least wall + 1h.
    let base = wall.and_utc().timestamp();
    let mut lo = base.checked_sub(15 * 3600)?;
    let mut hi = base.checked_add(13 * 3600)?;
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if shows_at_least(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    DateTime::<Utc>::from_timestamp(hi, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn wall(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn gap_moves_to_the_end_of_the_gap() {
        // Chicago springs forward 2026-03-08 02:00 CST -> 03:00 CDT (08:00Z).
        let tz: Tz = "America/Chicago".parse().unwrap();
        assert_eq!(
            resolve_wall_time(tz, wall(2026, 3, 8, 2, 30)),
            Some(utc("2026-03-08T08:00:00Z"))
        );
        assert_eq!(
            resolve_wall_time(tz, wall(2026, 3, 8, 2, 0)),
            Some(utc("2026-03-08T08:00:00Z"))
        );
        assert_eq!(
            resolve_wall_time(tz, wall(2026, 3, 8, 3, 0)),
            Some(utc("2026-03-08T08:00:00Z"))
        );
        assert_eq!(
            resolve_wall_time(tz, wall(2026, 3, 8, 1, 59)),
            Some(utc("2026-03-08T07:59:00Z"))
        );
    }

    #[test]
    fn ambiguous_takes_the_first_occurrence() {
        // Chicago falls back 2026-11-01 02:00 CDT -> 01:00 CST; 01:30 happens twice.
        let tz: Tz = "America/Chicago".parse().unwrap();
        assert_eq!(
            resolve_wall_time(tz, wall(2026, 11, 1, 1, 30)),
            Some(utc("2026-11-01T06:30:00Z"))
        );
        assert_eq!(
            resolve_wall_time(tz, wall(2026, 11, 1, 2, 0)),
            Some(utc("2026-11-01T08:00:00Z"))
        );
    }

    #[test]
    fn lord_howe_half_hour_gap() {
        // Lord Howe springs forward 2026-10-04 02:00 +10:30 -> 02:30 +11:00 (15:30Z on the 3rd).
        let tz: Tz = "Australia/Lord_Howe".parse().unwrap();
        assert_eq!(
            resolve_wall_time(tz, wall(2026, 10, 4, 2, 15)),
            Some(utc("2026-10-03T15:30:00Z"))
        );
        // It falls back 2026-04-05 02:00 +11:00 -> 01:30 +10:30; 01:45 happens twice.
        assert_eq!(
            resolve_wall_time(tz, wall(2026, 4, 5, 1, 45)),
            Some(utc("2026-04-04T14:45:00Z"))
        );
    }
}
