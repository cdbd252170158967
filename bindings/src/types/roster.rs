//! Who is on call: the roster answers for the roster screen (schedules,
//! shifts, handoffs). Core gives them with chrono instants, so each is a
//! record converted here; a person is core's own type (`PersonView`),
//! exported under the name the shells know it by.

use super::{all, time};
use klaxon_device::device as core_device;
pub use klaxon_domain::wire::PersonView as Person;
use klaxon_domain::wire::PersonView;
use std::time::SystemTime;

/// A person on call now.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OnCallPerson {
    /// Person id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// When their current shift ends.
    pub until: SystemTime,
}

impl From<core_device::OnCall> for OnCallPerson {
    fn from(o: core_device::OnCall) -> OnCallPerson {
        OnCallPerson {
            id: o.person.id,
            name: o.person.name,
            until: time(o.until),
        }
    }
}

/// One on-call shift of a schedule.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Shift {
    /// Person id.
    pub person: String,
    /// The person's display name (their id when the roster has no name).
    pub person_name: String,
    /// First instant on call.
    pub start: SystemTime,
    /// First instant off call.
    pub end: SystemTime,
}

impl From<core_device::NamedShift> for Shift {
    fn from(s: core_device::NamedShift) -> Shift {
        Shift {
            person: s.person.id,
            person_name: s.person.name,
            start: time(s.start),
            end: time(s.end),
        }
    }
}

/// A person in the device's teams.
#[uniffi::remote(Record)]
#[uniffi(name = "Person")]
pub struct PersonView {
    /// Person id.
    pub id: String,
    /// Display name (the id when the roster has no name).
    pub name: String,
}

/// The next change of who is on call in a schedule.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Handoff {
    /// When it changes.
    pub at: SystemTime,
    /// Who is on call from then on; empty: nobody (a gap starts).
    pub people: Vec<Person>,
}

impl From<core_device::NextHandoff> for Handoff {
    fn from(h: core_device::NextHandoff) -> Handoff {
        Handoff {
            at: time(h.at),
            people: h.people,
        }
    }
}

/// A schedule this device's person can see, for the roster screen.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ScheduleInfo {
    /// Schedule id (what `whoIsOnCall` and `roster` take).
    pub id: String,
    /// Display name, when the roster gives one; show the id otherwise.
    pub name: Option<String>,
    /// IANA time zone its handoffs are written in ("America/Chicago").
    pub time_zone: String,
    /// Who is on call now; empty: nobody.
    pub on_call: Vec<OnCallPerson>,
    /// The next change of who is on call within the synced ~30 days; null
    /// when nothing changes before then.
    pub next_handoff: Option<Handoff>,
}

impl From<core_device::ScheduleInfo> for ScheduleInfo {
    fn from(s: core_device::ScheduleInfo) -> ScheduleInfo {
        ScheduleInfo {
            id: s.id,
            name: s.name,
            time_zone: s.time_zone,
            on_call: all(s.on_call),
            next_handoff: s.next_handoff.map(Into::into),
        }
    }
}

/// One of this device's person's shifts.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct MyShift {
    /// Schedule id.
    pub schedule: String,
    /// The schedule's display name, when the roster gives one.
    pub schedule_name: Option<String>,
    /// First instant on call.
    pub start: SystemTime,
    /// First instant off call.
    pub end: SystemTime,
}

impl From<core_device::MyShift> for MyShift {
    fn from(s: core_device::MyShift) -> MyShift {
        MyShift {
            schedule: s.schedule,
            schedule_name: s.schedule_name,
            start: time(s.start),
            end: time(s.end),
        }
    }
}

/// A shift this device's person took with `Pager.takeShift`: a live
/// override on the relay.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TakenShift {
    /// The relay's id for the override (`klaxon override remove ID`).
    pub id: i64,
    /// Schedule id.
    pub schedule: String,
    /// Who is on call: this device's person.
    pub person: String,
    /// First instant on call.
    pub start: SystemTime,
    /// First instant off call.
    pub end: SystemTime,
}

impl From<klaxon_domain::wire::TakenShift> for TakenShift {
    fn from(t: klaxon_domain::wire::TakenShift) -> TakenShift {
        TakenShift {
            id: t.id,
            schedule: t.schedule,
            person: t.person,
            start: time(t.from),
            end: time(t.to),
        }
    }
}
