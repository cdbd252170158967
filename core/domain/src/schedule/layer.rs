//! One layer's rotation: where handoff k falls and which shift holds an
//! instant. Handoff k is the wall-clock time `start + k x length x unit`
//! (hours for hourly/daily/weekly, calendar months for monthly), always
//! computed from `start` so nothing drifts, resolved to an instant by
//! [`resolve_wall_time`]. Before handoff 0 the layer has nobody on call
//! (the engine clips there); k < 0 is only computed to find that boundary.

use super::walltime::resolve_wall_time;
use super::Rotation;
use chrono::{DateTime, Datelike, Duration, Months, NaiveDateTime, Utc};
use chrono_tz::Tz;

/// A layer's rotation reduced to what the engine needs.
#[derive(Debug, Clone)]
pub(super) struct RotationClock {
    tz: Tz,
    start: NaiveDateTime,
    step: Step,
}

#[derive(Debug, Clone, Copy)]
enum Step {
    /// Wall-clock hours per shift.
    Hours(i64),
    /// Calendar months per shift.
    Months(i64),
}

impl RotationClock {
    pub(super) fn new(
        tz: Tz,
        start: NaiveDateTime,
        rotation: Rotation,
        length: u32,
    ) -> RotationClock {
        let n = i64::from(length.max(1));
        let step = match rotation {
            Rotation::Hourly => Step::Hours(n),
            Rotation::Daily => Step::Hours(24 * n),
            Rotation::Weekly => Step::Hours(168 * n),
            Rotation::Monthly => Step::Months(n),
        };
        RotationClock { tz, start, step }
    }

    /// The wall-clock time of handoff `k`.
    fn wall(&self, k: i64) -> Option<NaiveDateTime> {
        match self.step {
            Step::Hours(h) => {
                let hours = k.checked_mul(h)?;
                self.start.checked_add_signed(Duration::try_hours(hours)?)
            }
            Step::Months(m) => {
                let months = k.checked_mul(m)?;
                let abs = Months::new(u32::try_from(months.unsigned_abs()).ok()?);
                if months >= 0 {
                    self.start.checked_add_months(abs)
                } else {
                    self.start.checked_sub_months(abs)
                }
            }
        }
    }

    /// The wall-clock time handoff `k` is set for (which may not exist, or
    /// exist twice, in the zone).
    pub(super) fn wall_time(&self, k: i64) -> Option<NaiveDateTime> {
        self.wall(k)
    }

    /// The instant of handoff `k` (the start of shift k).
    pub(super) fn handoff(&self, k: i64) -> Option<DateTime<Utc>> {
        resolve_wall_time(self.tz, self.wall(k)?)
    }

    /// The index of the shift that holds `t`: the k with
    /// `handoff(k) <= t < handoff(k + 1)`. A first guess from the wall-clock
    /// distance, then at most a few corrections, so the cost does not depend
    /// on how far `t` is from `start`. Zero-length shifts (a handoff inside a
    /// spring-forward gap meeting the next one) are never returned.
    pub(super) fn index_at(&self, t: DateTime<Utc>) -> Option<i64> {
        let local = t.with_timezone(&self.tz).naive_local();
        let mut k = match self.step {
            Step::Hours(h) => (local - self.start).num_seconds().div_euclid(h * 3600),
            Step::Months(m) => {
                let months = (i64::from(local.year()) - i64::from(self.start.year())) * 12
                    + i64::from(local.month())
                    - i64::from(self.start.month());
                months.div_euclid(m)
            }
        };
        // Offsets and month clamping put the guess within a step or two.
        for _ in 0..8 {
            if self.handoff(k)? > t {
                k -= 1;
            } else if self.handoff(k + 1)? <= t {
                k += 1;
            } else {
                return Some(k);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn clock(zone: &str, start: &str, rotation: Rotation, length: u32) -> RotationClock {
        let start = NaiveDateTime::parse_from_str(start, "%Y-%m-%dT%H:%M:%S").unwrap();
        RotationClock::new(zone.parse().unwrap(), start, rotation, length)
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn monthly_clamps_from_start_without_drift() {
        let c = clock("UTC", "2026-01-31T09:00:00", Rotation::Monthly, 1);
        assert_eq!(c.handoff(1), Some(utc("2026-02-28T09:00:00Z")));
        assert_eq!(c.handoff(2), Some(utc("2026-03-31T09:00:00Z")));
        assert_eq!(c.handoff(-1), Some(utc("2025-12-31T09:00:00Z")));
        assert_eq!(c.index_at(utc("2026-03-01T00:00:00Z")), Some(1));
        assert_eq!(c.index_at(utc("2026-03-31T08:59:59Z")), Some(1));
        assert_eq!(c.index_at(utc("2026-03-31T09:00:00Z")), Some(2));
    }

    #[test]
    fn index_is_found_far_from_start_both_ways() {
        let c = clock(
            "America/Chicago",
            "2026-01-05T09:00:00",
            Rotation::Weekly,
            1,
        );
        for t in [
            "1990-06-01T12:00:00Z",
            "2100-11-07T07:30:00Z",
            "2026-01-05T15:00:00Z",
        ] {
            let t = utc(t);
            let k = c.index_at(t).unwrap();
            assert!(c.handoff(k).unwrap() <= t && t < c.handoff(k + 1).unwrap());
        }
        assert_eq!(c.index_at(utc("2026-01-05T14:59:59Z")), Some(-1));
    }

    #[test]
    fn hourly_across_spring_forward_skips_the_empty_shift() {
        // 02:00 does not exist on 2026-03-08 in Chicago: shifts 01:00 and 02:00
        // both end at 03:00 CDT; the 02:00 shift is empty and never holds an instant.
        let c = clock(
            "America/Chicago",
            "2026-03-08T00:00:00",
            Rotation::Hourly,
            1,
        );
        assert_eq!(c.handoff(2), c.handoff(3));
        assert_eq!(c.index_at(utc("2026-03-08T07:59:59Z")), Some(1));
        assert_eq!(c.index_at(utc("2026-03-08T08:00:00Z")), Some(3));
        let d = NaiveDate::from_ymd_opt(2026, 3, 8).unwrap();
        assert_eq!(c.wall(3), d.and_hms_opt(3, 0, 0));
    }
}
