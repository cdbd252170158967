//! How a page is shown and rung: the notification plan core hands the
//! shell, its parts, and the channels plans can name. Each is core's own
//! type (`klaxon_domain::notify`), exported as a remote type; the channel
//! description keeps the name the shells know it by.

use klaxon_domain::notify::ChannelSpec;
pub use klaxon_domain::notify::{
    ChannelSpec as NotificationChannelInfo, LockScreenText, NotificationPlan, OfferedAction,
    PageAction, RingLoop, Sound,
};
pub use klaxon_domain::Priority;
use std::time::Duration;

/// How loud a page is.
#[uniffi::remote(Enum)]
pub enum Priority {
    /// Silent notification, no sound.
    Low,
    /// Loud heads-up notification that respects Do-Not-Disturb.
    High,
    /// Overrides silent mode and Do-Not-Disturb, rings until acknowledged, full screen.
    Critical,
}

/// Which sound a notification plays.
#[uniffi::remote(Enum)]
pub enum Sound {
    /// The alarm sound, on the alarm stream (Android) / critical sound (iOS).
    Alarm,
    /// The platform's default notification sound.
    Default,
    /// No sound.
    Silent,
}

/// A button offered on the notification, the lock screen and the page
/// screen. Which ones a page offers is core's decision (`OfferedAction`).
#[uniffi::remote(Enum)]
pub enum PageAction {
    /// "I'm on it".
    Acknowledge,
    /// Page the next step now.
    Escalate,
    /// Close the alert.
    Resolve,
    /// Acknowledge until a time the person picks (at most 24 h away), then
    /// page again from the first step (`Pager.snooze`).
    Snooze,
    /// "I can't take this": hand the page to the next step without
    /// acknowledging (`Pager.decline`).
    Decline,
}

/// One button a page offers, in display order: the action and whether the
/// phone must be unlocked first (Android `setAuthenticationRequired(true)`,
/// iOS `.authenticationRequired`). Acknowledge and Escalate never need it.
#[uniffi::remote(Record)]
pub struct OfferedAction {
    /// What the button does.
    pub action: PageAction,
    /// Ask for the passcode / biometrics before running it.
    pub needs_unlock: bool,
}

/// How a page keeps ringing.
#[uniffi::remote(Record)]
pub struct RingLoop {
    /// Time between the starts of two plays of the sound.
    pub interval: Duration,
    /// Stop after this long; null: ring until acknowledged or dismissed.
    pub max_duration: Option<Duration>,
}

/// The text shown over the lock screen.
#[uniffi::remote(Record)]
pub struct LockScreenText {
    /// First line.
    pub title: String,
    /// Second line.
    pub body: String,
}

/// The complete instruction for showing one page. The shell follows it and
/// decides nothing itself.
#[uniffi::remote(Record)]
pub struct NotificationPlan {
    /// Alert id; replaces an earlier notification with the same id.
    pub alert: String,
    /// The page's priority.
    pub priority: Priority,
    /// Notification channel (Android) / category (iOS), one per priority.
    pub channel_id: String,
    /// What to play.
    pub sound: Sound,
    /// Break through silent mode and Do-Not-Disturb.
    pub override_dnd: bool,
    /// Keep playing the sound; null: play it once (or not at all).
    pub ring: Option<RingLoop>,
    /// Show full screen over the lock screen.
    pub full_screen: bool,
    /// Buttons, in display order (most urgent first: Android shows the
    /// first three), each with whether it needs unlocking.
    pub actions: Vec<OfferedAction>,
    /// What the lock screen shows.
    pub lock_screen: LockScreenText,
    /// The full text, for the unlocked notification and the app.
    pub summary: String,
    /// Runbook link for the responder.
    pub runbook: Option<String>,
}

/// A notification channel (Android) / category (iOS) that plans can name,
/// for creating every channel once at app start, before the first page.
// Core's `ChannelSpec`, under the name the shells have always known it by
// (a `///` line here would change the generated docs).
#[uniffi::remote(Record)]
#[uniffi(name = "NotificationChannelInfo")]
pub struct ChannelSpec {
    /// The id plans carry in `NotificationPlan.channelId`.
    pub channel_id: String,
    /// The priority whose pages use it.
    pub priority: Priority,
    /// The channel's name in the system's notification settings.
    pub name: String,
    /// One sentence on what it does, for the same settings screen.
    pub description: String,
    /// The sound its triggered pages play (the channel's default sound).
    pub sound: Sound,
    /// Its pages may break through silent mode and Do-Not-Disturb: ask for
    /// bypass-DND (Android) on this channel only.
    pub override_dnd_capable: bool,
}
