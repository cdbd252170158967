//! The self-check: everything that will stop a page from ringing. Its
//! findings are core's own types, exported as remote types; the report
//! carries instants, so it is a record converted here.

use super::time;
use klaxon_device::device::Health as CoreHealth;
pub use klaxon_device::device::{HealthFix, HealthItem, HealthLevel};
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
    /// Stable id of the check (`notifications`, `dnd`, `channel`,
    /// `channel_dnd`, `background`, `full_screen`, `battery`, `push_token`,
    /// `last_push`, `sync`, `outbox`, ...).
    pub check: String,
    /// How bad.
    pub level: HealthLevel,
    /// In words, for the person. A finding that means critical pages stay
    /// silent says "critical pages will not ring".
    pub message: String,
    /// What would fix it (map it onto a settings screen); null when fine
    /// or when nothing on the phone fixes it.
    #[uniffi(default = None)]
    pub fix: Option<HealthFix>,
}

/// The fix a finding offers; the shell maps it onto its platform.
#[uniffi::remote(Enum)]
pub enum HealthFix {
    /// Enroll with a one-time code from `klaxon invite`.
    Enroll,
    /// The app's notification settings (Android `ACTION_APP_NOTIFICATION_SETTINGS`).
    NotificationSettings,
    /// One channel's settings (Android `ACTION_CHANNEL_NOTIFICATION_SETTINGS`
    /// with `EXTRA_CHANNEL_ID`).
    ChannelSettings {
        /// The channel to open.
        channel_id: String,
    },
    /// Do-Not-Disturb access (Android `ACTION_NOTIFICATION_POLICY_ACCESS_SETTINGS`;
    /// iOS: ask for Critical Alerts).
    DndAccess,
    /// Full-screen notifications (Android 14+ `ACTION_MANAGE_APP_USE_FULL_SCREEN_INTENT`).
    FullScreenPermission,
    /// Battery-optimisation exemption (Android `ACTION_REQUEST_IGNORE_BATTERY_OPTIMIZATIONS`).
    BatteryOptimisation,
    /// Lift the background restriction (Android `ACTION_APPLICATION_DETAILS_SETTINGS`).
    BackgroundRestriction,
    /// Ask the push service for a token again.
    PushRegistration,
    /// Sync with the relay now (`sync()`).
    Sync,
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
