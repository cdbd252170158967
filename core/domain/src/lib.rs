//! klaxon-domain: what Klaxon knows about on-call, with no I/O.
//!
//! Rosters (people, schedules, escalation policies, services), the schedule
//! engine that answers "who is on call", the alert state machine and
//! escalation engine, notification plans, priorities, and the wire types the
//! relay and the devices exchange. The relay, the device crate, the CLI and
//! the FFI crate all link this one engine, so a rule decided here is decided
//! the same way on the relay and on every phone. No storage, no network, no
//! threads: callers pass time in (see [`clock`]) and persist what it returns.

#![warn(clippy::unwrap_used, clippy::expect_used)]

pub mod alert;
pub mod clock;
pub mod duration;
pub mod escalation;
pub mod heartbeat;
pub mod ical;
pub mod notify;
pub mod priority;
pub mod roster;
pub mod schedule;
pub mod wire;

pub use alert::{Alert, AlertStatus};
pub use clock::{Clock, ManualClock, SystemClock};
pub use priority::Priority;
pub use roster::{Person, Problem, Roster, RosterError, Service};
pub use schedule::{
    Gap, Handoff, Layer, LostTurn, Override, Restriction, Rotation, Schedule, Shift,
};
pub use wire::Page;
