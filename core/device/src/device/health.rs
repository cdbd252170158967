//! The self-check behind [`Device::health`]: every reason a page might not
//! ring on this device (enrollment, permissions, push token, sync, queued
//! actions, settings, the shell), each as a finding in words. The rules run
//! over plain values, so they are tested without a device.

use super::actions::pending_of;
use super::settings::{ChannelImportance, ChannelState, PushTokenState};
use super::sync::LastSync;
use super::{Capabilities, Device};
use crate::client::{lock, Enrollment};
use crate::error::Result;
use crate::keys;
use crate::outbox::QueuedAction;
use chrono::{DateTime, Duration, Utc};
use klaxon_domain::notify::{self, NotificationSettings};
use klaxon_domain::wire::PushPlatform;
use klaxon_domain::Priority;
use serde::{Deserialize, Serialize};

/// A push token older than this is probably stale: FCM and APNs rotate
/// tokens, and a shell that stopped reporting them stops getting pages.
const PUSH_TOKEN_MAX_AGE: Duration = Duration::days(60);
/// No successful sync for this long: the roster and alert list are old.
const SYNC_MAX_AGE: Duration = Duration::hours(24);

/// How bad a health finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthLevel {
    /// Fine; said so the screen can show a full checklist.
    Ok,
    /// Pages still ring, but something is degraded or about to be.
    Warning,
    /// Some pages will not ring, or will not arrive.
    Problem,
}

/// One finding of the self-check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthItem {
    /// Stable id of the check (`enrollment`, `notifications`, `dnd`,
    /// `channel`, `channel_dnd`, `background`, `full_screen`, `battery`,
    /// `push_token`, `last_push`, `sync`, `outbox`, `shell`, `settings`).
    pub check: String,
    /// How bad.
    pub level: HealthLevel,
    /// In words, for the person.
    pub message: String,
    /// What would fix it, for the shell to map onto a settings screen or a
    /// call; `None` when fine or when nothing on the phone fixes it.
    #[serde(default)]
    pub fix: Option<HealthFix>,
}

/// The fix a finding offers. Core names it; the shell maps it onto its
/// platform (Android intents named below; iOS opens its app settings for
/// the settings screens).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthFix {
    /// Enroll with a one-time code from `klaxon invite`.
    Enroll,
    /// The app's notification settings (Android
    /// `Settings.ACTION_APP_NOTIFICATION_SETTINGS`).
    NotificationSettings,
    /// One channel's settings (Android
    /// `Settings.ACTION_CHANNEL_NOTIFICATION_SETTINGS` with `EXTRA_CHANNEL_ID`).
    ChannelSettings {
        /// The channel to open.
        channel_id: String,
    },
    /// Do-Not-Disturb access (Android
    /// `Settings.ACTION_NOTIFICATION_POLICY_ACCESS_SETTINGS`; iOS: ask for
    /// Critical Alerts).
    DndAccess,
    /// Full-screen notifications (Android 14+
    /// `Settings.ACTION_MANAGE_APP_USE_FULL_SCREEN_INTENT`).
    FullScreenPermission,
    /// Battery-optimisation exemption (Android
    /// `Settings.ACTION_REQUEST_IGNORE_BATTERY_OPTIMIZATIONS`).
    BatteryOptimisation,
    /// Lift the background restriction (Android
    /// `Settings.ACTION_APPLICATION_DETAILS_SETTINGS`, "Battery" → "Unrestricted").
    BackgroundRestriction,
    /// Ask the push service for a token again (Android
    /// `FirebaseMessaging.getToken`, iOS `registerForRemoteNotifications`).
    PushRegistration,
    /// Sync with the relay now (`sync()`).
    Sync,
}

/// The self-check: everything that will stop a page from ringing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// No finding at [`HealthLevel::Problem`].
    pub ok: bool,
    /// Every check, problems first.
    pub items: Vec<HealthItem>,
    /// When the last push arrived.
    pub last_push_at: Option<DateTime<Utc>>,
    /// When the last sync succeeded.
    pub last_sync_at: Option<DateTime<Utc>>,
    /// Actions waiting to reach the relay.
    pub pending_actions: u32,
    /// How old the push token is.
    pub push_token_age: Option<std::time::Duration>,
}

impl Device {
    /// The self-check: what will stop a page from ringing, in words.
    pub fn health(&self) -> Result<Health> {
        let now = self.clock.now();
        let (caps, last_push, last_sync, registered, settings, pending) = {
            let store = lock(&self.store);
            (
                store.setting::<Capabilities>(keys::CAPABILITIES)?,
                store.setting::<DateTime<Utc>>(keys::LAST_PUSH)?,
                store
                    .setting::<LastSync>(keys::LAST_SYNC)?
                    .unwrap_or_default(),
                store
                    .setting::<Option<String>>(keys::PUSH_REGISTERED)?
                    .flatten(),
                store.notification_settings()?,
                pending_of(&store)?,
            )
        };
        let shell_error = self
            .shell_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let has_shell = self
            .shell
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .is_some();
        let enrolled = self.enrollment();
        let input = HealthInput {
            now,
            enrolled: enrolled.as_ref(),
            caps: caps.as_ref(),
            last_push,
            last_sync: &last_sync,
            push_registered: registered.is_some(),
            settings: &settings,
            pending: &pending,
            has_shell,
            shell_error: shell_error.as_deref(),
        };
        Ok(check_health(&input))
    }
}

struct HealthInput<'a> {
    now: DateTime<Utc>,
    enrolled: Option<&'a Enrollment>,
    caps: Option<&'a Capabilities>,
    last_push: Option<DateTime<Utc>>,
    last_sync: &'a LastSync,
    push_registered: bool,
    settings: &'a NotificationSettings,
    pending: &'a [QueuedAction],
    has_shell: bool,
    shell_error: Option<&'a str>,
}

fn ago(now: DateTime<Utc>, then: DateTime<Utc>) -> String {
    let secs = (now - then).num_seconds().max(0);
    match secs {
        0..=59 => format!("{secs} s ago"),
        60..=3599 => format!("{} min ago", secs / 60),
        3600..=172_799 => format!("{} h ago", secs / 3600),
        _ => format!("{} days ago", secs / 86_400),
    }
}

/// The self-check's rules, over plain values (tested without a device):
/// one small check per concern, problems listed first.
fn check_health(input: &HealthInput<'_>) -> Health {
    let mut items = vec![check_enrollment(input)];
    match input.caps {
        None => items.push(item(
            "notifications",
            HealthLevel::Problem,
            "The app has not reported its permissions yet, so nothing is known about whether a \
             page can ring. Open the app once.",
        )),
        Some(caps) => {
            items.push(check_notifications(caps));
            items.push(check_dnd(caps, input.settings));
            items.extend(caps.channels.iter().filter_map(check_channel));
            items.extend(check_channel_dnd(caps, input.settings));
            items.extend(check_background(caps));
            items.push(check_full_screen(caps));
            items.push(check_battery(caps));
            items.push(check_push_token(caps, input));
        }
    }
    items.push(check_last_push(input));
    items.push(check_sync(input));
    items.push(check_outbox(input));
    items.extend(check_settings(input.settings));
    items.extend(check_shell(input));
    // Stable: within a level, the checks keep the order above.
    items.sort_by_key(|i| match i.level {
        HealthLevel::Problem => 0,
        HealthLevel::Warning => 1,
        HealthLevel::Ok => 2,
    });
    Health {
        ok: !items.iter().any(|i| i.level == HealthLevel::Problem),
        items,
        last_push_at: input.last_push,
        last_sync_at: input.last_sync.ok_at,
        pending_actions: u32::try_from(input.pending.len()).unwrap_or(u32::MAX),
        push_token_age: push_token_age(input),
    }
}

/// One finding, with no fix to offer.
fn item(check: &str, level: HealthLevel, message: impl Into<String>) -> HealthItem {
    HealthItem {
        check: check.to_string(),
        level,
        message: message.into(),
        fix: None,
    }
}

/// One finding with the fix to offer — when it is not fine.
fn fixable(
    check: &str,
    level: HealthLevel,
    message: impl Into<String>,
    fix: HealthFix,
) -> HealthItem {
    HealthItem {
        fix: (level != HealthLevel::Ok).then_some(fix),
        ..item(check, level, message)
    }
}

/// What every finding that means a critical page stays silent says, so
/// the person cannot miss it among the warnings.
const WILL_NOT_RING: &str = "critical pages will not ring";

/// Whether the device is enrolled with a relay at all.
fn check_enrollment(input: &HealthInput<'_>) -> HealthItem {
    match input.enrolled {
        None => fixable(
            "enrollment",
            HealthLevel::Problem,
            "This device is not enrolled with a relay: no page can reach it. Enroll it with a \
             one-time code from `klaxon invite`.",
            HealthFix::Enroll,
        ),
        Some(e) => item(
            "enrollment",
            HealthLevel::Ok,
            format!("Enrolled as {} with {}.", e.person, e.relay_url),
        ),
    }
}

/// Whether the app may show notifications.
fn check_notifications(caps: &Capabilities) -> HealthItem {
    if caps.notifications_allowed {
        item(
            "notifications",
            HealthLevel::Ok,
            "Notifications are allowed.",
        )
    } else {
        fixable(
            "notifications",
            HealthLevel::Problem,
            format!(
                "Notifications are turned off for Klaxon: pages will not show, and {WILL_NOT_RING}. \
                 Turn notifications on."
            ),
            HealthFix::NotificationSettings,
        )
    }
}

/// Whether a critical page rings through Do-Not-Disturb: the platform's
/// permission and the person's own setting.
fn check_dnd(caps: &Capabilities, settings: &NotificationSettings) -> HealthItem {
    match (caps.dnd_access, settings.allow_override_dnd) {
        (true, true) => item(
            "dnd",
            HealthLevel::Ok,
            "Critical pages can ring through Do-Not-Disturb and silent mode.",
        ),
        (false, true) => fixable(
            "dnd",
            HealthLevel::Problem,
            format!(
                "Klaxon may not override Do-Not-Disturb: while Do-Not-Disturb or silent mode is \
                 on, {WILL_NOT_RING}. Grant Do-Not-Disturb access."
            ),
            HealthFix::DndAccess,
        ),
        (_, false) => item(
            "dnd",
            HealthLevel::Warning,
            "You turned off \"override Do-Not-Disturb\": critical pages stay silent while \
             Do-Not-Disturb is on.",
        ),
    }
}

/// Whether a page channel, as the system holds it, still shows and sounds
/// the way its priority needs. The critical channel blocked or muted is a
/// problem; the high one a warning (its pages still show, or are quiet by
/// the user's choice); the low one is silent by design, so only blocking it
/// is worth a word. A channel core does not know adds nothing.
fn check_channel(channel: &ChannelState) -> Option<HealthItem> {
    let priority = notify::channels()
        .into_iter()
        .find(|c| c.channel_id == channel.channel_id)?
        .priority;
    let fix = HealthFix::ChannelSettings {
        channel_id: channel.channel_id.clone(),
    };
    let blocked = channel.importance == ChannelImportance::Blocked;
    let muted = !channel.sound
        || matches!(
            channel.importance,
            ChannelImportance::Min | ChannelImportance::Low
        );
    let finding = |level, message: String| Some(fixable("channel", level, message, fix.clone()));
    match priority {
        Priority::Critical if blocked => finding(
            HealthLevel::Problem,
            format!(
                "The \"Critical pages\" notification channel is blocked: {WILL_NOT_RING} or even \
                 show. Turn the channel back on."
            ),
        ),
        Priority::Critical if muted => finding(
            HealthLevel::Problem,
            format!(
                "The \"Critical pages\" notification channel is silenced (no sound, or set to \
                 silent): {WILL_NOT_RING}. Set it to alert with a sound."
            ),
        ),
        Priority::Critical => finding(
            HealthLevel::Ok,
            "The \"Critical pages\" channel alerts with a sound.".into(),
        ),
        Priority::High if blocked || muted => {
            finding(
                HealthLevel::Warning,
                format!(
                "The \"Pages\" notification channel is {}: high-priority pages will {}. Set it \
                 to alert with a sound.",
                if blocked { "blocked" } else { "silenced" },
                if blocked { "not show" } else { "show without a sound" },
            ),
            )
        }
        Priority::Low if blocked => finding(
            HealthLevel::Warning,
            "The \"Low-priority pages\" notification channel is blocked: low-priority pages \
             will not show."
                .into(),
        ),
        Priority::High | Priority::Low => None,
    }
}

/// Whether the critical channel the system holds may still break through
/// Do-Not-Disturb. Android ignores `setBypassDnd` on a channel created
/// before the app had Do-Not-Disturb access, and the user may turn it off
/// later, so the permission alone proves nothing. Only said once access is
/// granted and wanted ([`check_dnd`] covers the rest).
fn check_channel_dnd(caps: &Capabilities, settings: &NotificationSettings) -> Option<HealthItem> {
    if !caps.dnd_access || !settings.allow_override_dnd {
        return None;
    }
    let critical = notify::channel_id(Priority::Critical);
    let channel = caps.channels.iter().find(|c| c.channel_id == critical)?;
    let fix = HealthFix::ChannelSettings {
        channel_id: critical.to_string(),
    };
    Some(if channel.bypass_dnd {
        item(
            "channel_dnd",
            HealthLevel::Ok,
            "The \"Critical pages\" channel overrides Do-Not-Disturb.",
        )
    } else {
        fixable(
            "channel_dnd",
            HealthLevel::Problem,
            format!(
                "The \"Critical pages\" channel may not override Do-Not-Disturb (the system \
                 dropped it or it was turned off): while Do-Not-Disturb is on, {WILL_NOT_RING}. \
                 Turn on \"Override Do Not Disturb\" for the channel."
            ),
            fix,
        )
    })
}

/// Whether the system lets the app work in the background: a restricted
/// app cannot start its ring from a push while it is closed.
fn check_background(caps: &Capabilities) -> Option<HealthItem> {
    Some(match caps.background_restricted? {
        false => item(
            "background",
            HealthLevel::Ok,
            "Klaxon may work in the background.",
        ),
        true => fixable(
            "background",
            HealthLevel::Problem,
            format!(
                "The system restricts Klaxon in the background: while Klaxon is closed, \
                 {WILL_NOT_RING}. Set its battery use to \"Unrestricted\"."
            ),
            HealthFix::BackgroundRestriction,
        ),
    })
}

/// Whether a critical page may take over the lock screen.
fn check_full_screen(caps: &Capabilities) -> HealthItem {
    if caps.full_screen_allowed {
        item(
            "full_screen",
            HealthLevel::Ok,
            "Critical pages can show full screen over the lock screen.",
        )
    } else {
        fixable(
            "full_screen",
            HealthLevel::Warning,
            "Klaxon may not show full screen over the lock screen: a critical page shows \
             only as a notification. Allow full-screen notifications.",
            HealthFix::FullScreenPermission,
        )
    }
}

/// Whether battery optimisation may delay pushes and the ring loop.
fn check_battery(caps: &Capabilities) -> HealthItem {
    if caps.battery_optimisation_exempt {
        item(
            "battery",
            HealthLevel::Ok,
            "Battery optimisation will not delay pages.",
        )
    } else {
        fixable(
            "battery",
            HealthLevel::Warning,
            "Battery optimisation is on for Klaxon: the system may delay pushes and stop \
             the ring loop. Exempt Klaxon from battery optimisation.",
            HealthFix::BatteryOptimisation,
        )
    }
}

/// When the push token was issued, if the device has one for a push service.
fn push_token_issued(caps: &Capabilities) -> Option<DateTime<Utc>> {
    caps.push_token
        .as_ref()
        .filter(|_| caps.push_platform != PushPlatform::None)
        .map(|_| caps.push_token_issued_at.unwrap_or(caps.reported_at))
}

/// How old the push token is (for [`Health::push_token_age`]).
fn push_token_age(input: &HealthInput<'_>) -> Option<std::time::Duration> {
    let issued = push_token_issued(input.caps?)?;
    (input.now - issued).max(Duration::zero()).to_std().ok()
}

/// Whether pages can reach the device while the app is closed: a push
/// service, a token, registered with the relay, and not stale.
fn check_push_token(caps: &Capabilities, input: &HealthInput<'_>) -> HealthItem {
    let no_token = |why: &str| {
        fixable(
            "push_token",
            HealthLevel::Problem,
            format!(
                "There is no push token{why}: pages cannot reach this device while Klaxon is \
                 closed, and {WILL_NOT_RING}. Open Klaxon with a network connection to get one."
            ),
            HealthFix::PushRegistration,
        )
    };
    match caps.push_token_state {
        Some(PushTokenState::Waiting) => {
            return no_token(" yet (the push service has not answered)")
        }
        Some(PushTokenState::Failed) => return no_token(" (the push service refused)"),
        // Pages by the stream only, by design (the terminal pager); and
        // shells that do not report the state, which say "no token" so.
        Some(PushTokenState::NotUsed) | None if caps.push_platform == PushPlatform::None => {
            return item(
                "push_token",
                HealthLevel::Warning,
                "This device has no push service: pages arrive only while Klaxon is running \
                 and connected.",
            );
        }
        Some(PushTokenState::NotUsed | PushTokenState::Available) | None => {}
    }
    let Some(issued) = push_token_issued(caps) else {
        return no_token("");
    };
    let age = (input.now - issued).max(Duration::zero());
    if !input.push_registered {
        item(
            "push_token",
            HealthLevel::Warning,
            "The push token has not reached the relay yet; it will at the next sync.",
        )
    } else if age > PUSH_TOKEN_MAX_AGE {
        item(
            "push_token",
            HealthLevel::Warning,
            format!(
                "The push token is {} days old and may have expired: open the app so it can \
                 refresh it.",
                age.num_days()
            ),
        )
    } else {
        item(
            "push_token",
            HealthLevel::Ok,
            format!(
                "The push token is registered (issued {}).",
                ago(input.now, issued)
            ),
        )
    }
}

/// Whether any page has reached the device yet.
fn check_last_push(input: &HealthInput<'_>) -> HealthItem {
    match input.last_push {
        Some(at) => item(
            "last_push",
            HealthLevel::Ok,
            format!("The last page arrived {}.", ago(input.now, at)),
        ),
        None => item(
            "last_push",
            HealthLevel::Warning,
            "No page has reached this device yet: send a test page to check the whole path.",
        ),
    }
}

/// Whether the roster and alert list are recent.
fn check_sync(input: &HealthInput<'_>) -> HealthItem {
    let now = input.now;
    match (input.last_sync.ok_at, &input.last_sync.error) {
        (_, Some(error)) => fixable(
            "sync",
            HealthLevel::Warning,
            format!("The last sync failed: {error}."),
            HealthFix::Sync,
        ),
        (None, None) => item(
            "sync",
            HealthLevel::Warning,
            "This device has not synced with the relay yet: the roster and alert list are empty.",
        ),
        (Some(at), None) if now - at > SYNC_MAX_AGE => item(
            "sync",
            HealthLevel::Warning,
            format!("The last successful sync was {}.", ago(now, at)),
        ),
        (Some(at), None) => item("sync", HealthLevel::Ok, format!("Synced {}.", ago(now, at))),
    }
}

/// Whether the person's actions reached the relay.
fn check_outbox(input: &HealthInput<'_>) -> HealthItem {
    match input.pending.first() {
        None => item("outbox", HealthLevel::Ok, "Every action reached the relay."),
        Some(oldest) => item(
            "outbox",
            HealthLevel::Warning,
            format!(
                "{} action(s) have not reached the relay yet (the oldest, {} on {}, from {}): \
                 until they do, escalation goes on as if you had not acted.",
                input.pending.len(),
                oldest.action.verb(),
                oldest.alert,
                ago(input.now, oldest.created_at)
            ),
        ),
    }
}

/// A warning when critical pages stop ringing on a timer.
fn check_settings(settings: &NotificationSettings) -> Option<HealthItem> {
    (!settings.keep_ringing_until_acknowledged).then(|| {
        item(
            "settings",
            HealthLevel::Warning,
            format!(
                "Critical pages ring for {} s only, not until acknowledged.",
                settings.ring_limit.as_secs()
            ),
        )
    })
}

/// Whether a shell is attached and its last call worked; nothing when fine.
fn check_shell(input: &HealthInput<'_>) -> Option<HealthItem> {
    match (input.has_shell, input.shell_error) {
        (false, _) => Some(item(
            "shell",
            HealthLevel::Warning,
            "No notification sink is attached: core cannot show or ring a page by itself.",
        )),
        (true, Some(error)) => Some(item(
            "shell",
            HealthLevel::Problem,
            format!("The app failed to show or ring a page: {error}."),
        )),
        (true, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::test_support::t0;
    use klaxon_domain::alert::Action;

    fn caps(now: DateTime<Utc>) -> Capabilities {
        Capabilities {
            notifications_allowed: true,
            dnd_access: true,
            full_screen_allowed: true,
            battery_optimisation_exempt: true,
            push_platform: PushPlatform::Fcm,
            push_token: Some("tok".into()),
            push_token_issued_at: Some(now),
            reported_at: now,
            channels: Vec::new(),
            background_restricted: None,
            push_token_state: None,
        }
    }

    /// The critical channel as a healthy phone reports it.
    fn critical_channel() -> ChannelState {
        ChannelState {
            channel_id: "klaxon.critical".into(),
            importance: ChannelImportance::High,
            sound: true,
            bypass_dnd: true,
        }
    }

    /// The finding of `check`, if there is one.
    fn finding<'h>(h: &'h Health, check: &str) -> Option<&'h HealthItem> {
        h.items.iter().find(|i| i.check == check)
    }

    /// The self-check of an enrolled, synced, otherwise healthy phone
    /// reporting `c`.
    fn health_of(c: &Capabilities) -> Health {
        let sync = LastSync {
            at: Some(t0()),
            ok_at: Some(t0()),
            error: None,
        };
        let settings = NotificationSettings::default();
        let alice = Enrollment {
            relay_url: "http://127.0.0.1:9".into(),
            device_id: "d1".into(),
            person: "alice".into(),
            enrolled_at: t0(),
            identity: String::new(),
        };
        check_health(&input(Some(c), &sync, &settings, Some(&alice)))
    }

    /// Asserts the finding is a problem that says critical pages will not
    /// ring and offers `fix`.
    fn assert_will_not_ring(h: &Health, check: &str, fix: HealthFix) {
        let f = finding(h, check).unwrap_or_else(|| panic!("no {check} finding: {h:?}"));
        assert_eq!(f.level, HealthLevel::Problem, "{f:?}");
        assert!(f.message.contains("critical pages will not ring"), "{f:?}");
        assert_eq!(f.fix.as_ref(), Some(&fix));
        assert!(!h.ok);
    }

    #[test]
    fn a_blocked_or_silenced_critical_channel_is_a_problem_with_its_settings_as_the_fix() {
        let fix = HealthFix::ChannelSettings {
            channel_id: "klaxon.critical".into(),
        };
        let mut c = caps(t0());
        c.channels = vec![critical_channel()];
        let h = health_of(&c);
        assert_eq!(level(&h, "channel"), Some(HealthLevel::Ok));
        assert_eq!(finding(&h, "channel").unwrap().fix, None, "nothing to fix");

        for broken in [
            ChannelState {
                importance: ChannelImportance::Blocked,
                ..critical_channel()
            },
            ChannelState {
                importance: ChannelImportance::Low,
                ..critical_channel()
            },
            ChannelState {
                sound: false,
                ..critical_channel()
            },
        ] {
            c.channels = vec![broken];
            assert_will_not_ring(&health_of(&c), "channel", fix.clone());
        }

        // The high channel silenced is a warning; a channel core does not
        // know (the shell's own status channel) says nothing.
        c.channels = vec![
            critical_channel(),
            ChannelState {
                channel_id: "klaxon.high".into(),
                sound: false,
                ..critical_channel()
            },
            ChannelState {
                channel_id: "klaxon.service".into(),
                importance: ChannelImportance::Blocked,
                ..critical_channel()
            },
        ];
        let h = health_of(&c);
        assert!(h.ok);
        let levels: Vec<HealthLevel> = h
            .items
            .iter()
            .filter(|i| i.check == "channel")
            .map(|i| i.level)
            .collect();
        assert_eq!(levels, [HealthLevel::Warning, HealthLevel::Ok]);
    }

    #[test]
    fn a_dnd_bypass_the_system_dropped_is_a_problem_even_with_dnd_access() {
        let mut c = caps(t0());
        c.channels = vec![ChannelState {
            bypass_dnd: false,
            ..critical_channel()
        }];
        // Access granted, but the channel was created before: Android kept
        // it without the bypass. Today's check saw only the permission.
        let h = health_of(&c);
        assert_eq!(level(&h, "dnd"), Some(HealthLevel::Ok));
        assert_will_not_ring(
            &h,
            "channel_dnd",
            HealthFix::ChannelSettings {
                channel_id: "klaxon.critical".into(),
            },
        );
        // Without access, the dnd finding says it (once) and asks for access.
        c.dnd_access = false;
        let h = health_of(&c);
        assert_eq!(finding(&h, "channel_dnd"), None);
        assert_will_not_ring(&h, "dnd", HealthFix::DndAccess);
        // The person chose not to override DND: not a problem.
        c.dnd_access = true;
        let sync = LastSync::default();
        let quiet = NotificationSettings {
            allow_override_dnd: false,
            ..NotificationSettings::default()
        };
        let h = check_health(&input(Some(&c), &sync, &quiet, None));
        assert_eq!(finding(&h, "channel_dnd"), None);
    }

    #[test]
    fn no_push_token_is_a_problem_whatever_the_shell_calls_its_platform() {
        let mut c = caps(t0());
        c.push_token = None;
        c.push_token_issued_at = None;
        // A phone still waiting for its token (Android used to report this
        // as "no push service", a warning).
        c.push_platform = PushPlatform::None;
        c.push_token_state = Some(PushTokenState::Waiting);
        assert_will_not_ring(&health_of(&c), "push_token", HealthFix::PushRegistration);
        c.push_token_state = Some(PushTokenState::Failed);
        assert_will_not_ring(&health_of(&c), "push_token", HealthFix::PushRegistration);
        c.push_platform = PushPlatform::Fcm;
        c.push_token_state = None;
        assert_will_not_ring(&health_of(&c), "push_token", HealthFix::PushRegistration);
        // The terminal pager takes pages over its stream by design.
        c.push_platform = PushPlatform::None;
        c.push_token_state = Some(PushTokenState::NotUsed);
        assert_eq!(
            level(&health_of(&c), "push_token"),
            Some(HealthLevel::Warning)
        );
    }

    #[test]
    fn background_restriction_is_a_problem_and_unknown_says_nothing() {
        let mut c = caps(t0());
        assert_eq!(finding(&health_of(&c), "background"), None);
        c.background_restricted = Some(false);
        assert_eq!(level(&health_of(&c), "background"), Some(HealthLevel::Ok));
        c.background_restricted = Some(true);
        assert_will_not_ring(
            &health_of(&c),
            "background",
            HealthFix::BackgroundRestriction,
        );
    }

    #[test]
    fn every_problem_offers_a_fix_and_a_report_from_an_older_shell_still_reads() {
        let mut c = caps(t0());
        c.notifications_allowed = false;
        let h = health_of(&c);
        assert_will_not_ring(&h, "notifications", HealthFix::NotificationSettings);
        assert!(h
            .items
            .iter()
            .filter(|i| i.level == HealthLevel::Problem)
            .all(|i| i.fix.is_some()));
        // Stored by a build before the channel, background and token-state
        // fields: they read as "not reported".
        let old = r#"{"notifications_allowed":true,"dnd_access":true,"full_screen_allowed":true,
            "battery_optimisation_exempt":true,"push_platform":"fcm","push_token":"t",
            "push_token_issued_at":null,"reported_at":"2026-03-02T09:00:00Z"}"#;
        let read: Capabilities = serde_json::from_str(old).unwrap();
        assert!(read.channels.is_empty());
        assert_eq!(read.background_restricted, None);
        assert_eq!(read.push_token_state, None);
    }

    fn input<'a>(
        caps: Option<&'a Capabilities>,
        sync: &'a LastSync,
        settings: &'a NotificationSettings,
        enrolled: Option<&'a Enrollment>,
    ) -> HealthInput<'a> {
        HealthInput {
            now: t0(),
            enrolled,
            caps,
            last_push: Some(t0() - Duration::minutes(5)),
            last_sync: sync,
            push_registered: true,
            settings,
            pending: &[],
            has_shell: true,
            shell_error: None,
        }
    }

    fn level(h: &Health, check: &str) -> Option<HealthLevel> {
        h.items.iter().find(|i| i.check == check).map(|i| i.level)
    }

    #[test]
    fn health_names_each_thing_that_stops_a_page_from_ringing() {
        let sync = LastSync {
            at: Some(t0()),
            ok_at: Some(t0()),
            error: None,
        };
        let settings = NotificationSettings::default();
        let mut c = caps(t0());
        let h = check_health(&input(Some(&c), &sync, &settings, None));
        assert!(!h.ok, "not enrolled is a problem");
        assert_eq!(level(&h, "enrollment"), Some(HealthLevel::Problem));
        assert_eq!(h.items[0].check, "enrollment", "problems come first");

        c.dnd_access = false;
        c.notifications_allowed = false;
        c.push_token = None;
        let h = check_health(&input(Some(&c), &sync, &settings, None));
        assert_eq!(level(&h, "dnd"), Some(HealthLevel::Problem));
        assert_eq!(level(&h, "notifications"), Some(HealthLevel::Problem));
        assert_eq!(level(&h, "push_token"), Some(HealthLevel::Problem));
        assert!(h.items.iter().all(|i| !i.message.is_empty()));

        let quiet = NotificationSettings {
            allow_override_dnd: false,
            ..NotificationSettings::default()
        };
        let h = check_health(&input(Some(&c), &sync, &quiet, None));
        assert_eq!(
            level(&h, "dnd"),
            Some(HealthLevel::Warning),
            "the user chose it"
        );
    }

    #[test]
    fn an_old_push_token_and_pending_actions_are_warnings() {
        let sync = LastSync::default();
        let settings = NotificationSettings::default();
        let c = caps(t0() - Duration::days(90));
        let h = check_health(&input(Some(&c), &sync, &settings, None));
        assert_eq!(level(&h, "push_token"), Some(HealthLevel::Warning));
        assert_eq!(
            h.push_token_age,
            Some(std::time::Duration::from_secs(90 * 86_400))
        );
        assert_eq!(level(&h, "sync"), Some(HealthLevel::Warning));
        let pending = [QueuedAction {
            id: 1,
            key: klaxon_domain::alert::IdempotencyKey::new("k"),
            alert: "a1".into(),
            person: "alice".into(),
            action: Action::Acknowledge,
            seen: None,
            created_at: t0() - Duration::minutes(3),
            attempts: 2,
            next_attempt_at: t0(),
            last_error: Some("network".into()),
            outcome: None,
        }];
        let mut i = input(Some(&c), &sync, &settings, None);
        i.pending = &pending;
        let h = check_health(&i);
        let outbox = h.items.iter().find(|i| i.check == "outbox");
        assert!(outbox.is_some_and(|o| o.message.contains("acknowledge on a1")));
        assert_eq!(h.pending_actions, 1);
    }
}
