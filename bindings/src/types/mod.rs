//! The records and enums the shells see (instants as `SystemTime`:
//! `java.time.Instant` in Kotlin, `Date` in Swift), one concept a module.
//! Conversions only; no rules live here.
//!
//! A core type whose fields UniFFI can carry as they are is exported as a
//! remote type (`#[uniffi::remote]`): the bindings restate its shape, which
//! UniFFI requires, and need no conversion. Only types whose core form
//! UniFFI cannot carry (chrono instants, core-only fields) are separate
//! records, each converted in the module that declares it.

mod action;
mod alert;
mod enrollment;
mod health;
mod plan;
mod reports;
mod roster;
mod settings;

pub use action::QueuedActionInfo;
pub use alert::{Alert, AlertStatus, Link, TimelineEntry, TimelineEventKind};
pub use enrollment::Enrollment;
pub use health::{Health, HealthFix, HealthItem, HealthLevel};
pub use plan::{
    LockScreenText, NotificationChannelInfo, NotificationPlan, OfferedAction, PageAction, Priority,
    RingLoop, Sound,
};
pub use reports::{ListenReport, PushResult, SyncReport};
pub use roster::{Handoff, MyShift, OnCallPerson, Person, ScheduleInfo, Shift, TakenShift};
pub use settings::{
    Capabilities, ChannelImportance, ChannelState, NotificationSettings, PushPlatform,
    PushTokenState,
};

use std::time::SystemTime;

/// A core instant as the shells' instant type.
fn time(t: chrono::DateTime<chrono::Utc>) -> SystemTime {
    SystemTime::from(t)
}

/// Converts every element of a core list (the shape most list fields and
/// `Pager` answers take).
pub(crate) fn all<T, U: From<T>>(items: Vec<T>) -> Vec<U> {
    items.into_iter().map(U::from).collect()
}
