//! The self-check behind [`Device::health`]: every reason a page might not
//! ring on this device (enrollment, permissions, push token, sync, queued
//! actions, settings, the shell), each as a finding in words. The rules run
//! over plain values, so they are tested without a device.

use super::actions::pending_of;
use super::sync::LastSync;
use super::{Capabilities, Device};
use crate::client::{lock, Enrollment};
use crate::error::Result;
use crate::keys;
use crate::outbox::QueuedAction;
use chrono::{DateTime, Duration, Utc};
use klaxon_domain::notify::NotificationSettings;
use klaxon_domain::wire::PushPlatform;
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
    /// `full_screen`, `battery`, `push_token`, `last_push`, `sync`,
    /// `outbox`, `shell`, `settings`), for the shell to attach a fix-it button.
    pub check: String,
    /// How bad.
    pub level: HealthLevel,
    /// In words, for the person.
    pub message: String,
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

/// One finding.
fn item(check: &str, level: HealthLevel, message: impl Into<String>) -> HealthItem {
    HealthItem {
        check: check.to_string(),
        level,
        message: message.into(),
    }
}

/// Whether the device is enrolled with a relay at all.
fn check_enrollment(input: &HealthInput<'_>) -> HealthItem {
    match input.enrolled {
        None => item(
            "enrollment",
            HealthLevel::Problem,
            "This device is not enrolled with a relay: no page can reach it. Enroll it with a \
             one-time code from `klaxon invite`.",
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
        item(
            "notifications",
            HealthLevel::Problem,
            "Notifications are turned off for Klaxon: pages will neither show nor ring.",
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
        (false, true) => item(
            "dnd",
            HealthLevel::Problem,
            "Klaxon may not override Do-Not-Disturb: a critical page stays silent while \
             Do-Not-Disturb or silent mode is on. Grant Do-Not-Disturb access.",
        ),
        (_, false) => item(
            "dnd",
            HealthLevel::Warning,
            "You turned off \"override Do-Not-Disturb\": critical pages stay silent while \
             Do-Not-Disturb is on.",
        ),
    }
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
        item(
            "full_screen",
            HealthLevel::Warning,
            "Klaxon may not show full screen over the lock screen: a critical page shows \
             only as a notification. Allow full-screen notifications.",
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
        item(
            "battery",
            HealthLevel::Warning,
            "Battery optimisation is on for Klaxon: the system may delay pushes and stop \
             the ring loop. Exempt Klaxon from battery optimisation.",
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
    if caps.push_platform == PushPlatform::None {
        return item(
            "push_token",
            HealthLevel::Warning,
            "This device has no push service: pages arrive only while Klaxon is running \
             and connected.",
        );
    }
    let Some(issued) = push_token_issued(caps) else {
        return item(
            "push_token",
            HealthLevel::Problem,
            "There is no push token: pages cannot reach this device while the app is \
             closed.",
        );
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
        (_, Some(error)) => item(
            "sync",
            HealthLevel::Warning,
            format!("The last sync failed: {error}."),
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
        }
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
