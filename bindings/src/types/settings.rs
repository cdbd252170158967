//! What the user chose (notification settings) and what the platform
//! allows (capabilities, push service). The settings and the push service
//! are core's own types, exported as remote types; capabilities carry an
//! instant and a core-only field, so they are a record converted here.

use klaxon_device::device as core_device;
pub use klaxon_device::device::{ChannelImportance, ChannelState, PushTokenState};
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
    /// The page channels as the system holds them now, read back from the
    /// system (Android `getNotificationChannel`: the user or Android may
    /// have changed them after the app created them; iOS: the critical one
    /// from the notification settings). Empty: not reported.
    #[uniffi(default = [])]
    pub channels: Vec<ChannelState>,
    /// The system restricts the app's background work (Android
    /// `ActivityManager.isBackgroundRestricted`); null: not reported.
    #[uniffi(default = None)]
    pub background_restricted: Option<bool>,
    /// Where getting a push token stands; null: not reported. A phone
    /// without a token reports `WAITING` or `FAILED` (a problem: critical
    /// pages will not ring), not `pushPlatform = NONE`.
    #[uniffi(default = None)]
    pub push_token_state: Option<PushTokenState>,
}

/// One notification channel as the system holds it (read back, not as the
/// app asked).
#[uniffi::remote(Record)]
pub struct ChannelState {
    /// The channel id, as in `NotificationPlan.channelId`.
    pub channel_id: String,
    /// How much it may interrupt.
    pub importance: ChannelImportance,
    /// It plays a sound (Android `getSound() != null`; iOS sounds allowed).
    pub sound: bool,
    /// It may break through Do-Not-Disturb (Android `canBypassDnd()`; iOS
    /// Critical Alerts enabled).
    pub bypass_dnd: bool,
}

/// A channel's importance (Android `IMPORTANCE_*`; iOS: `BLOCKED` when
/// notifications are off, else `HIGH`).
#[uniffi::remote(Enum)]
pub enum ChannelImportance {
    /// Blocked by the user: never shows (`IMPORTANCE_NONE`).
    Blocked,
    /// Shade only, silent (`IMPORTANCE_MIN`).
    Min,
    /// Shows, never sounds (`IMPORTANCE_LOW`).
    Low,
    /// Sounds, no heads-up (`IMPORTANCE_DEFAULT`).
    Default,
    /// Sounds and peeks onto the screen (`IMPORTANCE_HIGH`).
    High,
}

/// Where getting a push token stands.
#[uniffi::remote(Enum)]
pub enum PushTokenState {
    /// The device has a token (`pushToken`).
    Available,
    /// Asked the push service; no token yet.
    Waiting,
    /// The push service refused or failed (no Google Play services, an APNs
    /// registration error).
    Failed,
    /// Pages come over the relay's stream only, by design; no token expected.
    NotUsed,
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
            channels: c.channels,
            background_restricted: c.background_restricted,
            push_token_state: c.push_token_state,
        }
    }
}
