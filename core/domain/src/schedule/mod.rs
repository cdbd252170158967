//! On-call schedules: rotations in layers, restrictions, overrides, and the
//! engine that answers who is on call at an instant, the final shifts of a
//! window, the next handoff and the gaps. Wall-clock rules: docs/architecture.md, "Time".

mod layer;
mod overlay;
mod restriction;
mod timeline;
mod walltime;

use chrono::{DateTime, NaiveDateTime, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use serde::Serialize;

pub use overlay::{
    check_live_override, LiveOverride, OverrideChange, OverrideEffect, MAX_LIVE_OVERRIDE_DAYS,
};
pub use walltime::resolve_wall_time;

/// How far a rotation moves at each handoff (times the layer's `length`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rotation {
    /// 1 wall-clock hour.
    Hourly,
    /// 24 wall-clock hours.
    Daily,
    /// 168 wall-clock hours.
    Weekly,
    /// One calendar month (the day clamped to the month's last day).
    Monthly,
}

impl Rotation {
    /// Parses the roster spelling: `hourly`, `daily`, `weekly`, `monthly`.
    pub fn parse(s: &str) -> Option<Rotation> {
        match s {
            "hourly" => Some(Rotation::Hourly),
            "daily" => Some(Rotation::Daily),
            "weekly" => Some(Rotation::Weekly),
            "monthly" => Some(Rotation::Monthly),
            _ => None,
        }
    }
}

/// A window of the week in which a layer is on call, in the schedule's zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restriction {
    /// The days a window starts on.
    pub days: Vec<Weekday>,
    /// Wall-clock start of the window.
    pub from: NaiveTime,
    /// Wall-clock end; `from == to` is a whole day, `from > to` ends the next day.
    pub to: NaiveTime,
}

/// One layer of a schedule: a rotation of participants, optionally restricted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    /// Display name.
    pub name: String,
    /// The rotation unit.
    pub rotation: Rotation,
    /// Shift length in rotation units (>= 1).
    pub length: u32,
    /// The first handoff, local wall-clock time in the layer's zone.
    pub start: NaiveDateTime,
    /// The IANA zone this layer's `start`, handoffs and restrictions are
    /// written in; `None`: the schedule's. Lets a follow-the-sun schedule
    /// keep "New York 09:00–17:00" and "Berlin 09:00–17:00" in place while
    /// the US and the EU change clocks on different weekends.
    pub time_zone: Option<Tz>,
    /// Shift k (counted from `start`) goes to `participants[k mod n]`; before
    /// `start` the layer has nobody on call.
    pub participants: Vec<String>,
    /// When non-empty, the layer is on call only inside these windows.
    pub restrictions: Vec<Restriction>,
}

/// A temporary change to who is on call, applied after the layers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// First instant the override applies.
    pub start: DateTime<Utc>,
    /// First instant it no longer applies (> start).
    pub end: DateTime<Utc>,
    /// Person put on call (alone: added; with `remove`: replaces them).
    pub add: Option<String>,
    /// Person taken off call (alone: removed).
    pub remove: Option<String>,
}

/// A final on-call shift: `person` is on call in `[start, end)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Shift {
    /// Person id.
    pub person: String,
    /// First instant on call.
    pub start: DateTime<Utc>,
    /// First instant off call.
    pub end: DateTime<Utc>,
}

/// A time with nobody on call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gap {
    /// First instant with nobody on call.
    pub start: DateTime<Utc>,
    /// First instant somebody is on call again (or the end of the window).
    pub end: DateTime<Utc>,
}

/// A rotation turn nobody holds: its handoff's wall-clock time does not
/// exist (spring forward), so it moved to the first instant after the gap —
/// where the next turn starts too. The participant is skipped that time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LostTurn {
    /// Index of the layer in the schedule.
    pub layer: usize,
    /// Whose turn it was.
    pub person: String,
    /// The local wall-clock time the turn was set to start.
    pub wall_time: Option<NaiveDateTime>,
    /// The instant the gap moved it to (the next turn starts there).
    pub at: DateTime<Utc>,
}

/// The next change of who is on call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Handoff {
    /// When the on-call set changes.
    pub at: DateTime<Utc>,
    /// Who is on call from then on (empty: a gap starts).
    pub people: Vec<String>,
}

/// A validated schedule with its engine. Build it with [`Schedule::new`].
#[derive(Debug, Clone)]
pub struct Schedule {
    id: String,
    name: Option<String>,
    time_zone: Tz,
    layers: Vec<Layer>,
    overrides: Vec<Override>,
    gaps_expected: bool,
    compiled: timeline::Compiled,
}

impl Schedule {
    /// Builds a schedule. The roster validator guarantees the invariants
    /// (length >= 1, participants non-empty, override end > start); a layer
    /// that breaks them here simply has nobody on call, it never panics.
    pub fn new(
        id: String,
        time_zone: Tz,
        layers: Vec<Layer>,
        overrides: Vec<Override>,
    ) -> Schedule {
        let compiled = timeline::Compiled::new(time_zone, &layers, &overrides);
        Schedule {
            id,
            name: None,
            time_zone,
            layers,
            overrides,
            gaps_expected: false,
            compiled,
        }
    }

    /// The same schedule with its gaps declared intended (the roster's
    /// `gaps = "expected"`: business-hours cover). Who is on call does not
    /// change; `roster check` lists such gaps without failing on them.
    pub fn with_expected_gaps(mut self, expected: bool) -> Schedule {
        self.gaps_expected = expected;
        self
    }

    /// Whether its gaps are intended (`gaps = "expected"`).
    pub fn gaps_expected(&self) -> bool {
        self.gaps_expected
    }

    /// The same schedule with a display name (the roster file's optional
    /// `name`, "Platform primary"); `None` keeps only the id.
    pub fn with_name(mut self, name: Option<String>) -> Schedule {
        self.name = name;
        self
    }

    /// The schedule's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Its display name, when the roster gives one.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The IANA zone its wall-clock times are in (a layer may have its own:
    /// [`Layer::time_zone`]).
    pub fn time_zone(&self) -> Tz {
        self.time_zone
    }

    /// Its layers, lowest precedence first.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// Its overrides, in file order (the order they apply in).
    pub fn overrides(&self) -> &[Override] {
        &self.overrides
    }

    /// Who is on call at `at`: the people of the topmost layer on call then,
    /// changed by the overrides in force. Cost does not depend on how far
    /// `at` is from any layer's start.
    pub fn who(&self, at: DateTime<Utc>) -> Vec<&str> {
        self.compiled.who(at)
    }

    /// The final shifts in `[from, to)`, clipped to the window, ordered by
    /// start (then person id), adjacent shifts of one person merged.
    pub fn shifts(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Shift> {
        self.compiled.shifts(from, to)
    }

    /// The times in `[from, to)` when nobody is on call.
    pub fn gaps(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Gap> {
        timeline::gaps(&self.shifts(from, to), from, to)
    }

    /// The turns in `[from, to)` that a spring-forward gap swallows (see
    /// [`LostTurn`]), ordered by instant. Walks every turn of every layer in
    /// the window, so keep the window to weeks.
    pub fn lost_turns(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<LostTurn> {
        self.compiled.lost_turns(from, to)
    }

    /// The first change of who is on call strictly after `after`, looking
    /// up to about a year ahead.
    pub fn next_handoff(&self, after: DateTime<Utc>) -> Option<Handoff> {
        self.compiled.next_handoff(after)
    }
}
