//! What the user chose (notification settings) and what the platform
//! allows (capabilities, push service). The settings and the push service
//! are core's own types, exported as remote types; capabilities carry an
//! instant and a core-only field, so they are a record converted here.

use klaxon_device::device as core_device;
pub use klaxon_domain::notify::NotificationSettings;
pub use klaxon_domain::wire::PushPlatform;
use std::time::{Duration, SystemTime};

/// The user's notification choices. "Override Do-Not-Disturb" and "keep
/// ringing until acknowledged" are separate settings.
#[uniffi::remote(Record)]
pub struct NotificationSettings {
    /// Critical pages may break through silent mode and Do-Not-Disturb.
    pub allow_override_dnd: bool,
    /// Critical pages ring in a loop until acknowledged (else for `ring_limit`).
    pub keep_ringing_until_acknowledged: bool,
    /// How long a critical page rings when it does not ring until acknowledged.
    pub ring_limit: Duration,
    /// Show only "Critical page" on the lock screen, not the summary.
    pub hide_details_on_lock_screen: bool,
}

/// Which push service delivers to this device.
#[uniffi::remote(Enum)]
pub enum PushPlatform {
    /// Apple Push Notification service.
    Apns,
    /// Firebase Cloud Messaging.
    Fcm,
    /// No push service.
    None,
}

/// What the platform lets the app do; report it at start and whenever it changes.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Capabilities {
    /// The user allows notifications.
    pub notifications_allowed: bool,
    /// The app may break through Do-Not-Disturb (Android notification-policy
    /// access; iOS Critical Alerts).
    pub dnd_access: bool,
    /// The app may show full screen over the lock screen.
    pub full_screen_allowed: bool,
    /// The app is exempt from battery optimisation.
    pub battery_optimisation_exempt: bool,
    /// The push service.
    pub push_platform: PushPlatform,
    /// The current push token.
    pub push_token: Option<String>,
    /// When the push service issued the token (its age shows in `health()`);
    /// null: now, or unchanged since the last report.
    pub push_token_issued_at: Option<SystemTime>,
}

impl From<Capabilities> for core_device::Capabilities {
    fn from(c: Capabilities) -> core_device::Capabilities {
        core_device::Capabilities {
            notifications_allowed: c.notifications_allowed,
            dnd_access: c.dnd_access,
            full_screen_allowed: c.full_screen_allowed,
            battery_optimisation_exempt: c.battery_optimisation_exempt,
            push_platform: c.push_platform,
            push_token: c.push_token,
            push_token_issued_at: c.push_token_issued_at.map(chrono::DateTime::from),
            // The device stamps the report when it takes it; the shells
            // have no say in when that was.
            reported_at: chrono::DateTime::<chrono::Utc>::MIN_UTC,
        }
    }
}
