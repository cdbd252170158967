//! The on-call roster queries over the synced roster view: who is on call
//! now, the schedules with their next handoff, a schedule's shifts and this
//! device's person's own shifts. Read-only: a [`Device::sync`] brings the
//! view, these only look into it.

use super::Device;
use crate::error::{Error, Result};
use chrono::{DateTime, Utc};
use klaxon_domain::wire::{PersonView, RosterView};
use std::sync::Arc;

/// A person on call now, in one schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnCall {
    /// The person.
    pub person: PersonView,
    /// When their current shift ends.
    pub until: DateTime<Utc>,
}

/// One of this device's person's shifts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MyShift {
    /// Schedule id.
    pub schedule: String,
    /// The schedule's display name, when the roster gives one.
    pub schedule_name: Option<String>,
    /// First instant on call.
    pub start: DateTime<Utc>,
    /// First instant off call.
    pub end: DateTime<Utc>,
}

/// One on-call shift with the person's display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedShift {
    /// The person (id and display name; the id again when the roster has
    /// no name for them).
    pub person: PersonView,
    /// First instant on call.
    pub start: DateTime<Utc>,
    /// First instant off call.
    pub end: DateTime<Utc>,
}

/// The next change of who is on call in a schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextHandoff {
    /// When it changes.
    pub at: DateTime<Utc>,
    /// Who is on call from then on (empty: nobody, a gap starts).
    pub people: Vec<PersonView>,
}

/// A schedule the device's person can see, as the roster screen lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleInfo {
    /// Schedule id.
    pub id: String,
    /// Display name, when the roster gives one.
    pub name: Option<String>,
    /// IANA time zone its handoffs are written in.
    pub time_zone: String,
    /// Who is on call now (empty: nobody).
    pub on_call: Vec<OnCall>,
    /// The next change of who is on call within the synced window (about
    /// 30 days); `None` when nothing changes before the window ends.
    pub next_handoff: Option<NextHandoff>,
}

impl Device {
    /// The synced roster view (people, services, schedules with their
    /// shifts), once a sync brought one; shells list schedules from it.
    pub fn roster_view(&self) -> Option<Arc<RosterView>> {
        self.roster
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn synced_roster(&self) -> Result<Arc<RosterView>> {
        self.roster_view()
            .ok_or_else(|| Error::Invalid("no roster yet: sync with the relay first".into()))
    }

    /// Who is on call in `schedule` now, from the synced shifts.
    pub fn who_is_on_call(&self, schedule: &str) -> Result<Vec<OnCall>> {
        let roster = self.synced_roster()?;
        let now = self.clock.now();
        let sched = roster
            .schedules
            .iter()
            .find(|s| s.id == schedule)
            .ok_or_else(|| Error::Invalid(format!("no schedule {schedule:?} in the roster")))?;
        Ok(sched
            .shifts
            .iter()
            .filter(|s| s.start <= now && now < s.end)
            .map(|s| OnCall {
                person: person_view(&roster, &s.person),
                until: s.end,
            })
            .collect())
    }

    /// Every schedule the device's person can see (the synced roster view
    /// holds only their teams' schedules), in roster order: name, zone, who
    /// is on call now and the next handoff with who takes over.
    pub fn schedules(&self) -> Result<Vec<ScheduleInfo>> {
        let roster = self.synced_roster()?;
        let now = self.clock.now();
        Ok(roster
            .schedules
            .iter()
            .map(|sched| ScheduleInfo {
                id: sched.id.clone(),
                name: sched.name.clone(),
                time_zone: sched.time_zone.clone(),
                on_call: sched
                    .shifts
                    .iter()
                    .filter(|s| s.start <= now && now < s.end)
                    .map(|s| OnCall {
                        person: person_view(&roster, &s.person),
                        until: s.end,
                    })
                    .collect(),
                next_handoff: next_handoff(&sched.shifts, now, roster.to).map(|(at, ids)| {
                    NextHandoff {
                        at,
                        people: ids.iter().map(|id| person_view(&roster, id)).collect(),
                    }
                }),
            })
            .collect())
    }

    /// "I'll cover": puts this device's person on call in `schedule` for
    /// `[from, to)` (replacing only `replacing`, when given; else whoever is
    /// on call then), as a live override on the relay, which pages them
    /// from now on. The relay refuses a schedule outside the person's teams,
    /// a time in the past or longer than 90 days ([`Error::Relay`] naming
    /// the field). Then syncs, so the roster queries show the change; when
    /// that sync fails the shift is still taken and the next sync brings
    /// it. Needs the network: nothing is queued.
    pub async fn take_shift(
        self: &Arc<Self>,
        schedule: &str,
        replacing: Option<&str>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<klaxon_domain::wire::TakenShift> {
        if to <= from {
            return Err(Error::Invalid(format!(
                "to: the shift must end after it starts ({} to {})",
                from.to_rfc3339(),
                to.to_rfc3339()
            )));
        }
        let creds = self.require_credentials()?;
        let request = klaxon_domain::wire::TakeShiftRequest {
            schedule: schedule.to_string(),
            replacing: replacing.map(str::to_string),
            from,
            to,
        };
        let taken = self.relay.take_shift(&creds, &request).await?;
        // The roster view comes with every sync; its failure is the next
        // sync's business (the shift is taken either way).
        let _ = self.sync().await;
        Ok(taken)
    }

    /// The shifts of `schedule` in `[from, to)` with the people's names,
    /// clipped to the window (only as far as the synced window reaches).
    pub fn named_shifts(
        &self,
        schedule: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<NamedShift>> {
        let shifts = self.roster(schedule, from, to)?;
        let roster = self.synced_roster()?;
        Ok(shifts
            .into_iter()
            .map(|s| NamedShift {
                person: person_view(&roster, &s.person),
                start: s.start,
                end: s.end,
            })
            .collect())
    }

    /// The shifts of `schedule` in `[from, to)`, clipped to the window (only
    /// as far as the synced window reaches).
    pub fn roster(
        &self,
        schedule: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<klaxon_domain::wire::ShiftView>> {
        check_window(from, to)?;
        let roster = self.synced_roster()?;
        let sched = roster
            .schedules
            .iter()
            .find(|s| s.id == schedule)
            .ok_or_else(|| Error::Invalid(format!("no schedule {schedule:?} in the roster")))?;
        Ok(sched
            .shifts
            .iter()
            .filter(|s| s.start < to && s.end > from)
            .map(|s| klaxon_domain::wire::ShiftView {
                person: s.person.clone(),
                start: s.start.max(from),
                end: s.end.min(to),
            })
            .collect())
    }

    /// This device's person's shifts in `[from, to)` across every schedule.
    pub fn my_shifts(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<MyShift>> {
        check_window(from, to)?;
        let person = self.require_credentials()?.enrollment.person.clone();
        let roster = self.synced_roster()?;
        let mut out: Vec<MyShift> = roster
            .schedules
            .iter()
            .flat_map(|sched| {
                sched
                    .shifts
                    .iter()
                    .filter(|s| s.person == person && s.start < to && s.end > from)
                    .map(|s| MyShift {
                        schedule: sched.id.clone(),
                        schedule_name: sched.name.clone(),
                        start: s.start.max(from),
                        end: s.end.min(to),
                    })
            })
            .collect();
        out.sort_by(|a, b| {
            a.start
                .cmp(&b.start)
                .then_with(|| a.schedule.cmp(&b.schedule))
        });
        Ok(out)
    }
}

fn check_window(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<()> {
    if from >= to {
        return Err(Error::Invalid(format!(
            "the window is empty: from {from} is not before to {to}"
        )));
    }
    Ok(())
}

/// A person's view from the roster: id and display name (the id again when
/// the roster does not know them).
fn person_view(roster: &RosterView, id: &str) -> PersonView {
    roster
        .people
        .iter()
        .find(|p| p.id == id)
        .cloned()
        .unwrap_or_else(|| PersonView {
            id: id.to_string(),
            name: id.to_string(),
        })
}

/// The first instant after `now` and before `window_end` (the synced
/// window's edge, which is not a handoff) at which the set of people on
/// call in `shifts` differs from the set now; with that new set, in shift
/// order.
fn next_handoff(
    shifts: &[klaxon_domain::wire::ShiftView],
    now: DateTime<Utc>,
    window_end: DateTime<Utc>,
) -> Option<(DateTime<Utc>, Vec<String>)> {
    let on_call_at = |t: DateTime<Utc>| {
        let mut ids: Vec<String> = Vec::new();
        for s in shifts.iter().filter(|s| s.start <= t && t < s.end) {
            if !ids.contains(&s.person) {
                ids.push(s.person.clone());
            }
        }
        ids
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let current = sorted(on_call_at(now));
    let mut instants: Vec<DateTime<Utc>> = shifts
        .iter()
        .flat_map(|s| [s.start, s.end])
        .filter(|t| *t > now && *t < window_end)
        .collect();
    instants.sort();
    instants.dedup();
    instants.into_iter().find_map(|t| {
        let people = on_call_at(t);
        (sorted(people.clone()) != current).then_some((t, people))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::test_support::{device_at_t0, t0};
    use crate::device::DATABASE_FILE;
    use crate::keys;
    use crate::store::{Durability, Store};
    use chrono::Duration;

    fn shift(person: &str, from_h: i64, to_h: i64) -> klaxon_domain::wire::ShiftView {
        klaxon_domain::wire::ShiftView {
            person: person.into(),
            start: t0() + Duration::hours(from_h),
            end: t0() + Duration::hours(to_h),
        }
    }

    #[test]
    fn the_next_handoff_is_the_first_change_of_who_is_on_call() {
        let end = t0() + Duration::days(30);
        // alice now until +8 h, bob joins at +4 h (a change), alice leaves at +8 h.
        let shifts = [shift("alice", -2, 8), shift("bob", 4, 12)];
        assert_eq!(
            next_handoff(&shifts, t0(), end),
            Some((
                t0() + Duration::hours(4),
                vec!["alice".to_string(), "bob".to_string()]
            ))
        );
        // Back-to-back shifts of the same person are no handoff; a gap is one.
        let shifts = [
            shift("alice", -2, 8),
            shift("alice", 8, 16),
            shift("bob", 20, 30),
        ];
        assert_eq!(
            next_handoff(&shifts, t0(), end),
            Some((t0() + Duration::hours(16), vec![]))
        );
        // The window's edge is not a handoff.
        let shifts = [shift("alice", -2, 24 * 30)];
        assert_eq!(next_handoff(&shifts, t0(), end), None);
    }

    #[test]
    fn schedules_list_names_zones_who_is_on_call_and_the_next_handoff() {
        let dir = tempfile::tempdir().unwrap();
        let roster = RosterView {
            from: t0(),
            to: t0() + Duration::days(30),
            people: vec![
                PersonView {
                    id: "alice".into(),
                    name: "Alice Chen".into(),
                },
                PersonView {
                    id: "bob".into(),
                    name: "Bob Okafor".into(),
                },
            ],
            services: vec![],
            schedules: vec![
                klaxon_domain::wire::ScheduleView {
                    id: "primary".into(),
                    name: Some("Platform primary".into()),
                    time_zone: "America/Chicago".into(),
                    shifts: vec![
                        shift("alice", -1, 6),
                        shift("bob", 6, 30),
                        shift("zed", 30, 40),
                    ],
                },
                klaxon_domain::wire::ScheduleView {
                    id: "office".into(),
                    name: None,
                    time_zone: "Europe/London".into(),
                    shifts: vec![],
                },
            ],
        };
        {
            let mut store = Store::open(dir.path().join(DATABASE_FILE)).unwrap();
            store
                .set_setting(keys::ROSTER, &roster, Durability::Normal)
                .unwrap();
        }
        let device = device_at_t0(dir.path());
        let list = device.schedules().unwrap();
        assert_eq!(list.len(), 2);
        let primary = &list[0];
        assert_eq!(
            (
                primary.id.as_str(),
                primary.name.as_deref(),
                primary.time_zone.as_str()
            ),
            ("primary", Some("Platform primary"), "America/Chicago")
        );
        assert_eq!(primary.on_call.len(), 1);
        assert_eq!(primary.on_call[0].person.name, "Alice Chen");
        assert_eq!(primary.on_call[0].until, t0() + Duration::hours(6));
        let next = primary.next_handoff.as_ref().unwrap();
        assert_eq!(next.at, t0() + Duration::hours(6));
        assert_eq!(next.people[0].name, "Bob Okafor");
        assert_eq!((list[1].name.as_ref(), list[1].on_call.len()), (None, 0));
        assert_eq!(list[1].next_handoff, None);

        let shifts = device
            .named_shifts("primary", t0(), t0() + Duration::days(2))
            .unwrap();
        let names: Vec<&str> = shifts.iter().map(|s| s.person.name.as_str()).collect();
        assert_eq!(
            names,
            ["Alice Chen", "Bob Okafor", "zed"],
            "unknown ids stand for themselves"
        );
        assert_eq!(shifts[0].start, t0(), "clipped to the window");
        assert!(matches!(
            device.named_shifts("nope", t0(), t0() + Duration::days(1)),
            Err(Error::Invalid(_))
        ));
    }
}
