//! The person's and the platform's settings: notification preferences and
//! what the operating system lets the app do ([`Capabilities`]), which the
//! self-check and the push-token registration read.

use super::{lock, Device};
use crate::error::Result;
use crate::keys;
use crate::store::Durability;
use chrono::{DateTime, Utc};
use klaxon_domain::notify::NotificationSettings;
use klaxon_domain::wire::PushPlatform;
use serde::{Deserialize, Serialize};

/// What the platform lets the app do, as the shell last reported it. The
/// fields after `reported_at` came later: each defaults to "unknown", so a
/// report from an older shell (or one stored before them) reads unchanged
/// and adds no finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    /// The user allows notifications at all.
    pub notifications_allowed: bool,
    /// The app may break through Do-Not-Disturb (Android: notification
    /// policy access / bypass-DND channel; iOS: Critical Alerts entitlement).
    pub dnd_access: bool,
    /// The app may show a full-screen page over the lock screen.
    pub full_screen_allowed: bool,
    /// The OS will not delay or drop the app's background work to save battery.
    pub battery_optimisation_exempt: bool,
    /// Which push service the token belongs to.
    pub push_platform: PushPlatform,
    /// The push token, if the app has one.
    pub push_token: Option<String>,
    /// When the push service issued that token.
    pub push_token_issued_at: Option<DateTime<Utc>>,
    /// When the shell reported this.
    pub reported_at: DateTime<Utc>,
    /// The page channels as the system holds them now, read back (Android
    /// `NotificationManager.getNotificationChannel`; iOS reports the
    /// critical channel from its notification settings). The user, or
    /// Android itself, may have changed a channel after the app created it.
    /// Empty: not reported.
    #[serde(default)]
    pub channels: Vec<ChannelState>,
    /// The system restricts the app's background work (Android
    /// `ActivityManager.isBackgroundRestricted`); `None`: not reported.
    #[serde(default)]
    pub background_restricted: Option<bool>,
    /// Where getting a push token stands; `None`: not reported (older
    /// shells, which say "no token" as `push_platform: None`).
    #[serde(default)]
    pub push_token_state: Option<PushTokenState>,
}

/// One notification channel (Android) / the critical category's settings
/// (iOS) as the system holds it, read back rather than as the app asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelState {
    /// The channel id, as in [`klaxon_domain::notify::channel_id`].
    pub channel_id: String,
    /// How much the channel may interrupt.
    pub importance: ChannelImportance,
    /// The channel plays a sound (Android: `getSound()` is not null; iOS:
    /// sounds are allowed).
    pub sound: bool,
    /// The channel may break through Do-Not-Disturb (Android
    /// `canBypassDnd()`, false when Android dropped the request because
    /// the app had no policy access when it created the channel; iOS:
    /// Critical Alerts enabled).
    pub bypass_dnd: bool,
}

/// A channel's importance (Android's `IMPORTANCE_*`; iOS reports
/// `Blocked` when notifications are off and `High` otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelImportance {
    /// The user blocked the channel: its notifications never show.
    Blocked,
    /// Shown only in the shade, no sound, no icon in the status bar.
    Min,
    /// Shown, never makes a sound.
    Low,
    /// Makes a sound, no heads-up.
    Default,
    /// Makes a sound and peeks onto the screen.
    High,
}

/// Where getting a push token stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PushTokenState {
    /// The device has a token (in `push_token`).
    Available,
    /// The app asked the push service and is still waiting for a token.
    Waiting,
    /// The push service refused or failed (no Google Play services, APNs
    /// registration error, no network at registration).
    Failed,
    /// This device takes pages over the relay's stream only, by design
    /// (the terminal pager): no token is expected.
    NotUsed,
}

impl Device {
    /// The user's notification settings.
    pub fn settings(&self) -> Result<NotificationSettings> {
        lock(&self.store).notification_settings()
    }

    /// Saves the user's notification settings (durably).
    pub fn set_settings(&self, settings: &NotificationSettings) -> Result<()> {
        lock(&self.store).set_notification_settings(settings)
    }

    /// Records what the platform allows; a new push token is registered
    /// with the relay at the next sync. A token reported without an issue
    /// time keeps the earlier one if unchanged, else counts from now.
    pub fn report_capabilities(&self, mut caps: Capabilities) -> Result<()> {
        let now = self.clock.now();
        caps.reported_at = now;
        let mut store = lock(&self.store);
        let before: Option<Capabilities> = store.setting(keys::CAPABILITIES)?;
        if caps.push_token.is_some() && caps.push_token_issued_at.is_none() {
            caps.push_token_issued_at = before
                .filter(|b| b.push_token == caps.push_token)
                .and_then(|b| b.push_token_issued_at)
                .or(Some(now));
        }
        store.set_setting(keys::CAPABILITIES, &caps, Durability::Normal)
    }
}
