//! klaxon-core: the domain of the Klaxon paging system.
//!
//! Rosters (people, schedules, escalation policies, services), the schedule
//! engine that answers "who is on call", and — built on them — the alert
//! lifecycle, escalation, notification plans, storage and the offline outbox.
//! Pure Rust: the relay, the CLI and the FFI crate all link this one engine.

#![warn(clippy::unwrap_used, clippy::expect_used)]

pub mod duration;
pub mod escalation;
pub mod ical;
pub mod priority;
pub mod roster;
pub mod schedule;

pub use priority::Priority;
pub use roster::{Person, Problem, Roster, RosterError, Service};
pub use schedule::{
    Gap, Handoff, Layer, LostTurn, Override, Restriction, Rotation, Schedule, Shift,
};

pub mod alert;
pub mod clock;
pub mod crypto;
pub mod device;
pub mod error;
pub mod notify;
pub mod outbox;
pub mod page;
pub mod store;
pub mod sync;
pub mod wire;

pub use alert::{Alert, AlertStatus};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::Error;
pub use store::Store;
