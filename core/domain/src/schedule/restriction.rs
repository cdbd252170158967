//! Restriction windows: the wall-clock windows of the week in which a layer
//! is on call. A window belongs to the day it starts on; `from == to` is a
//! whole day and `from > to` runs overnight into the next day. Both ends are
//! resolved to instants with the same gap/fold rules as handoffs.

use super::walltime::resolve_wall_time;
use super::Restriction;
use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;

/// A layer's restrictions indexed by the weekday a window starts on.
#[derive(Debug, Clone, Default)]
pub(super) struct WeekWindows {
    /// `by_day[weekday.num_days_from_monday()]` = windows starting that day.
    by_day: [Vec<(NaiveTime, NaiveTime)>; 7],
    /// False when the layer has no restrictions (on call around the clock).
    restricted: bool,
}

impl WeekWindows {
    pub(super) fn new(restrictions: &[Restriction]) -> WeekWindows {
        let mut w = WeekWindows {
            restricted: !restrictions.is_empty(),
            ..WeekWindows::default()
        };
        for r in restrictions {
            for day in &r.days {
                w.by_day[day.num_days_from_monday() as usize].push((r.from, r.to));
            }
        }
        w
    }

    /// Whether the layer is limited to windows at all.
    pub(super) fn is_restricted(&self) -> bool {
        self.restricted
    }

    /// The instants of the windows that start on local day `day`.
    fn windows_on(
        &self,
        tz: Tz,
        day: NaiveDate,
    ) -> impl Iterator<Item = (DateTime<Utc>, DateTime<Utc>)> + '_ {
        let slot = &self.by_day[day.weekday().num_days_from_monday() as usize];
        slot.iter().filter_map(move |&(from, to)| {
            let end_day = if to > from {
                day
            } else {
                day.checked_add_days(Days::new(1))?
            };
            let start = resolve_wall_time(tz, day.and_time(from))?;
            let end = resolve_wall_time(tz, end_day.and_time(to))?;
            (start < end).then_some((start, end))
        })
    }

    /// Whether `t` lies inside one of the windows (always true when unrestricted).
    pub(super) fn contains(&self, tz: Tz, t: DateTime<Utc>) -> bool {
        if !self.restricted {
            return true;
        }
        let today = t.with_timezone(&tz).date_naive();
        // A window lasts at most a day, so only windows starting yesterday
        // or today can hold t.
        let yesterday = today.pred_opt();
        yesterday
            .into_iter()
            .chain(std::iter::once(today))
            .any(|day| self.windows_on(tz, day).any(|(s, e)| s <= t && t < e))
    }

    /// The union of the windows, clipped to `[from, to)`, ordered and disjoint.
    pub(super) fn windows(
        &self,
        tz: Tz,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        if !self.restricted {
            return vec![(from, to)];
        }
        let first = from.with_timezone(&tz).date_naive().pred_opt();
        let last = to.with_timezone(&tz).date_naive();
        let mut all: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
        let mut day = first.unwrap_or(last);
        while day <= last {
            all.extend(
                self.windows_on(tz, day)
                    .filter(|&(s, e)| s < to && e > from)
                    .map(|(s, e)| (s.max(from), e.min(to))),
            );
            match day.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
        }
        all.sort();
        let mut merged: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::with_capacity(all.len());
        for (s, e) in all {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        merged
    }
}
