//! The self-check behind [`Device::health`]: every reason a page might not
//! ring on this device (enrollment, permissions, push token, sync, queued
//! actions, settings, the shell), each as a finding in words. The rules run
//! over plain values, so they are tested without a device.

use super::{more_keys, pending_of, Capabilities, Device, LastSync};
use crate::client::{lock, Enrollment};
use crate::error::Result;
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
                store.setting::<Capabilities>(more_keys::CAPABILITIES)?,
                store.setting::<DateTime<Utc>>(more_keys::LAST_PUSH)?,
                store
                    .setting::<LastSync>(more_keys::LAST_SYNC)?
                    .unwrap_or_default(),
                store
                    .setting::<Option<String>>(more_keys::PUSH_REGISTERED)?
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

/// The self-check's rules, over plain values (tested without a device).
fn check_health(input: &HealthInput<'_>) -> Health {
    use HealthLevel::{Ok as Fine, Problem, Warning};
    let mut items = Vec::new();
    let mut add = |check: &str, level: HealthLevel, message: String| {
        items.push(HealthItem {
            check: check.to_string(),
            level,
            message,
        })
    };
    let now = input.now;

    match input.enrolled {
        None => add(
            "enrollment",
            Problem,
            "This device is not enrolled with a relay: no page can reach it. Enroll it with a \
             one-time code from `klaxon invite`."
                .into(),
        ),
        Some(e) => add(
            "enrollment",
            Fine,
            format!("Enrolled as {} with {}.", e.person, e.relay_url),
        ),
    }

    let mut push_token_age = None;
    match input.caps {
        None => add(
            "notifications",
            Problem,
            "The app has not reported its permissions yet, so nothing is known about whether a \
             page can ring. Open the app once."
                .into(),
        ),
        Some(caps) => {
            if caps.notifications_allowed {
                add("notifications", Fine, "Notifications are allowed.".into());
            } else {
                add(
                    "notifications",
                    Problem,
                    "Notifications are turned off for Klaxon: pages will neither show nor ring."
                        .into(),
                );
            }
            match (caps.dnd_access, input.settings.allow_override_dnd) {
                (true, true) => add(
                    "dnd",
                    Fine,
                    "Critical pages can ring through Do-Not-Disturb and silent mode.".into(),
                ),
                (false, true) => add(
                    "dnd",
                    Problem,
                    "Klaxon may not override Do-Not-Disturb: a critical page stays silent while \
                     Do-Not-Disturb or silent mode is on. Grant Do-Not-Disturb access."
                        .into(),
                ),
                (_, false) => add(
                    "dnd",
                    Warning,
                    "You turned off \"override Do-Not-Disturb\": critical pages stay silent while \
                     Do-Not-Disturb is on."
                        .into(),
                ),
            }
            if caps.full_screen_allowed {
                add(
                    "full_screen",
                    Fine,
                    "Critical pages can show full screen over the lock screen.".into(),
                );
            } else {
                add(
                    "full_screen",
                    Warning,
                    "Klaxon may not show full screen over the lock screen: a critical page shows \
                     only as a notification. Allow full-screen notifications."
                        .into(),
                );
            }
            if caps.battery_optimisation_exempt {
                add(
                    "battery",
                    Fine,
                    "Battery optimisation will not delay pages.".into(),
                );
            } else {
                add(
                    "battery",
                    Warning,
                    "Battery optimisation is on for Klaxon: the system may delay pushes and stop \
                     the ring loop. Exempt Klaxon from battery optimisation."
                        .into(),
                );
            }
            match (&caps.push_token, caps.push_platform) {
                (_, PushPlatform::None) => add(
                    "push_token",
                    Warning,
                    "This device has no push service: pages arrive only while Klaxon is running \
                     and connected."
                        .into(),
                ),
                (None, _) => add(
                    "push_token",
                    Problem,
                    "There is no push token: pages cannot reach this device while the app is \
                     closed."
                        .into(),
                ),
                (Some(_), _) => {
                    let issued = caps.push_token_issued_at.unwrap_or(caps.reported_at);
                    let age = (now - issued).max(Duration::zero());
                    push_token_age = age.to_std().ok();
                    if !input.push_registered {
                        add(
                            "push_token",
                            Warning,
                            "The push token has not reached the relay yet; it will at the next \
                             sync."
                                .into(),
                        );
                    } else if age > PUSH_TOKEN_MAX_AGE {
                        add(
                            "push_token",
                            Warning,
                            format!(
                                "The push token is {} days old and may have expired: open the \
                                 app so it can refresh it.",
                                age.num_days()
                            ),
                        );
                    } else {
                        add(
                            "push_token",
                            Fine,
                            format!(
                                "The push token is registered (issued {}).",
                                ago(now, issued)
                            ),
                        );
                    }
                }
            }
        }
    }

    match input.last_push {
        Some(at) => add(
            "last_push",
            Fine,
            format!("The last page arrived {}.", ago(now, at)),
        ),
        None => add(
            "last_push",
            Warning,
            "No page has reached this device yet: send a test page to check the whole path.".into(),
        ),
    }

    match (input.last_sync.ok_at, &input.last_sync.error) {
        (_, Some(error)) => add("sync", Warning, format!("The last sync failed: {error}.")),
        (None, None) => add(
            "sync",
            Warning,
            "This device has not synced with the relay yet: the roster and alert list are empty."
                .into(),
        ),
        (Some(at), None) if now - at > SYNC_MAX_AGE => add(
            "sync",
            Warning,
            format!("The last successful sync was {}.", ago(now, at)),
        ),
        (Some(at), None) => add("sync", Fine, format!("Synced {}.", ago(now, at))),
    }

    match input.pending.first() {
        None => add("outbox", Fine, "Every action reached the relay.".into()),
        Some(oldest) => add(
            "outbox",
            Warning,
            format!(
                "{} action(s) have not reached the relay yet (the oldest, {} on {}, from {}): \
                 until they do, escalation goes on as if you had not acted.",
                input.pending.len(),
                oldest.action.verb(),
                oldest.alert,
                ago(now, oldest.created_at)
            ),
        ),
    }

    if !input.settings.keep_ringing_until_acknowledged {
        add(
            "settings",
            Warning,
            format!(
                "Critical pages ring for {} s only, not until acknowledged.",
                input.settings.ring_limit.as_secs()
            ),
        );
    }
    match (input.has_shell, input.shell_error) {
        (false, _) => add(
            "shell",
            Warning,
            "No notification sink is attached: core cannot show or ring a page by itself.".into(),
        ),
        (true, Some(error)) => add(
            "shell",
            Problem,
            format!("The app failed to show or ring a page: {error}."),
        ),
        (true, None) => {}
    }

    items.sort_by_key(|i| match i.level {
        Problem => 0,
        Warning => 1,
        Fine => 2,
    });
    Health {
        ok: !items.iter().any(|i| i.level == Problem),
        items,
        last_push_at: input.last_push,
        last_sync_at: input.last_sync.ok_at,
        pending_actions: u32::try_from(input.pending.len()).unwrap_or(u32::MAX),
        push_token_age,
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
