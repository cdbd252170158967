//! The self-check: everything that will stop a page from ringing. Its
//! findings are core's own types, exported as remote types; the report
//! carries instants, so it is a record converted here.

use super::time;
use klaxon_device::device::Health as CoreHealth;
pub use klaxon_device::device::{HealthItem, HealthLevel};
use std::time::{Duration, SystemTime};

/// How bad a health finding is.
#[uniffi::remote(Enum)]
pub enum HealthLevel {
    /// Fine.
    Ok,
    /// Pages still ring, but something is degraded.
    Warning,
    /// Some pages will not ring or not arrive.
    Problem,
}

/// One finding of the self-check.
#[uniffi::remote(Record)]
pub struct HealthItem {
    /// Stable id of the check (`notifications`, `dnd`, `full_screen`,
    /// `battery`, `push_token`, `last_push`, `sync`, `outbox`, ...).
    pub check: String,
    /// How bad.
    pub level: HealthLevel,
    /// In words, for the person.
    pub message: String,
}

/// The self-check: everything that will stop a page from ringing.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Health {
    /// No finding is a `Problem`.
    pub ok: bool,
    /// Every finding, problems first.
    pub items: Vec<HealthItem>,
    /// When the last push arrived.
    pub last_push_at: Option<SystemTime>,
    /// When the last sync succeeded.
    pub last_sync_at: Option<SystemTime>,
    /// Actions waiting to reach the relay.
    pub pending_actions: u32,
    /// How old the push token is.
    pub push_token_age: Option<Duration>,
}

impl From<CoreHealth> for Health {
    fn from(h: CoreHealth) -> Health {
        Health {
            ok: h.ok,
            items: h.items,
            last_push_at: h.last_push_at.map(time),
            last_sync_at: h.last_sync_at.map(time),
            pending_actions: h.pending_actions,
            push_token_age: h.push_token_age,
        }
    }
}
