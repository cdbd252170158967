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

/// What the platform lets the app do, as the shell last reported it.
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
