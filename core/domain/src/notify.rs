//! Notification plans: from a page and the user's settings, the complete
//! instruction a shell follows — channel, sound, Do-Not-Disturb, ring loop,
//! full screen, actions, lock-screen text, runbook. Shells decide nothing.

use crate::alert::AlertStatus;
use crate::Priority;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The user's notification choices. "Override Do-Not-Disturb" and "keep
/// ringing until acknowledged" are separate: one may want a critical page to
/// break through DND but ring only briefly, or the reverse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NotificationSettings {
    /// Critical pages may break through silent mode and Do-Not-Disturb.
    pub allow_override_dnd: bool,
    /// Critical pages ring in a loop until acknowledged (otherwise for
    /// [`NotificationSettings::ring_limit`]).
    pub keep_ringing_until_acknowledged: bool,
    /// How long a critical page rings when it does not ring until acknowledged.
    pub ring_limit: Duration,
    /// Show only "Critical page" on the lock screen, not the summary.
    pub hide_details_on_lock_screen: bool,
}

impl Default for NotificationSettings {
    /// Loud by default: an on-call app that is quiet out of the box fails
    /// the night it matters. Each permission is still the user's to revoke.
    fn default() -> NotificationSettings {
        NotificationSettings {
            allow_override_dnd: true,
            keep_ringing_until_acknowledged: true,
            ring_limit: Duration::from_secs(60),
            hide_details_on_lock_screen: false,
        }
    }
}

/// Which sound to play.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sound {
    /// The alarm sound, on the alarm stream (Android) / critical sound (iOS).
    Alarm,
    /// The platform's default notification sound.
    Default,
    /// No sound at all.
    Silent,
}

/// How a page keeps ringing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RingLoop {
    /// Time between the starts of two plays of the sound.
    pub interval: Duration,
    /// Stop after this long; `None`: ring until acknowledged or dismissed.
    pub max_duration: Option<Duration>,
}

/// A button offered on the notification, the lock screen and the page
/// screen. Which ones a page offers, and which need unlocking, is
/// [`offered_actions`]'s decision alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PageAction {
    /// "I'm on it".
    Acknowledge,
    /// Page the next step now.
    Escalate,
    /// Close the alert.
    Resolve,
    /// Acknowledge until a time the person picks (at most
    /// [`crate::alert::MAX_SNOOZE`] away), then page again from the first step.
    Snooze,
    /// "I can't take this": hand the page to the next step without acknowledging.
    Decline,
}

impl PageAction {
    /// Whether the button asks for the passcode / biometrics first. Only
    /// actions that are quick to undo, or that bring someone else in, work
    /// from a locked phone: a pocket tap must not close an incident for
    /// everyone (Resolve), pass a page on unseen as "I can't take this"
    /// (Decline), or silence it for hours (Snooze, whose length the person
    /// picks in the app anyway).
    pub fn needs_unlock(self) -> bool {
        match self {
            // Woken at 3 a.m., the responder answers without unlocking;
            // escalating for help is the lock screen's other promise.
            PageAction::Acknowledge | PageAction::Escalate => false,
            PageAction::Resolve | PageAction::Snooze | PageAction::Decline => true,
        }
    }
}

/// One button a page offers: the action and whether the phone must be
/// unlocked before it runs (Android `setAuthenticationRequired`, iOS
/// `.authenticationRequired`; the terminal pager has no lock and ignores it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferedAction {
    /// What the button does.
    pub action: PageAction,
    /// Ask for the passcode / biometrics before running it.
    pub needs_unlock: bool,
}

/// Every action a page can offer, in the display order [`offered_actions`]
/// keeps, each with its unlock rule (which does not depend on the page):
/// for iOS, which registers every button set as a category up front.
pub fn all_page_actions() -> Vec<OfferedAction> {
    offered_actions(AlertStatus::Triggered, true)
}

/// The buttons a page offers to the person looking at it, in display order
/// (most urgent first: Android shows the first three on a notification;
/// Snooze comes last everywhere, as its length is picked in the app).
///
/// - triggered: Acknowledge, Escalate, Decline — only if the alert's
///   current step paged this person, since declining someone else's page
///   would skip their step — Resolve, Snooze;
/// - acknowledged: Escalate, Resolve, Snooze (acknowledging again changes
///   nothing, and handing on an acknowledged alert is an escalation, not
///   a decline);
/// - resolved: none (every action on a resolved alert is refused).
///
/// `paged_at_current_step`: the alert's latest escalation step paged this
/// person (the page is ringing for them, not escalated past them).
pub fn offered_actions(status: AlertStatus, paged_at_current_step: bool) -> Vec<OfferedAction> {
    let actions: &[PageAction] = match status {
        AlertStatus::Triggered if paged_at_current_step => &[
            PageAction::Acknowledge,
            PageAction::Escalate,
            PageAction::Decline,
            PageAction::Resolve,
            PageAction::Snooze,
        ],
        AlertStatus::Triggered => &[
            PageAction::Acknowledge,
            PageAction::Escalate,
            PageAction::Resolve,
            PageAction::Snooze,
        ],
        AlertStatus::Acknowledged => &[
            PageAction::Escalate,
            PageAction::Resolve,
            PageAction::Snooze,
        ],
        AlertStatus::Resolved => &[],
    };
    actions
        .iter()
        .map(|&action| OfferedAction {
            action,
            needs_unlock: action.needs_unlock(),
        })
        .collect()
}

/// The text shown over the lock screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockScreenText {
    /// First line.
    pub title: String,
    /// Second line.
    pub body: String,
}

/// What a page is about, as far as the notification needs to know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageContent {
    /// Alert id (the notification's identity: a later page replaces it).
    pub alert: String,
    /// How loud.
    pub priority: Priority,
    /// The alert's state when the page was sent.
    pub status: AlertStatus,
    /// The service's display name.
    pub service_name: String,
    /// What is wrong.
    pub summary: String,
    /// Runbook link, if the service has one.
    pub runbook: Option<String>,
    /// The alert's current escalation step paged this person: a page, not
    /// a status update or a view of an alert escalated past them. Decides
    /// whether Decline is offered ([`offered_actions`]).
    #[serde(default)]
    pub paged_at_current_step: bool,
}

/// The complete instruction for showing one page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationPlan {
    /// Alert id; the shell replaces an earlier notification with the same id.
    pub alert: String,
    /// The page's priority.
    pub priority: Priority,
    /// The notification channel (Android) / category (iOS); one per priority.
    pub channel_id: String,
    /// What to play.
    pub sound: Sound,
    /// Break through silent mode and Do-Not-Disturb (critical pages only,
    /// and only if the user allows it).
    pub override_dnd: bool,
    /// Keep playing the sound; `None`: play it once (or not at all).
    pub ring: Option<RingLoop>,
    /// Show full screen over the lock screen.
    pub full_screen: bool,
    /// Buttons, in display order, each with whether it needs unlocking
    /// ([`offered_actions`]).
    pub actions: Vec<OfferedAction>,
    /// What the lock screen shows.
    pub lock_screen: LockScreenText,
    /// The full text, for the unlocked notification and the app.
    pub summary: String,
    /// Runbook link for the responder.
    pub runbook: Option<String>,
}

/// How often a critical page replays its sound. Short enough that a
/// sleeping person hears a continuous alarm.
const CRITICAL_RING_INTERVAL: Duration = Duration::from_secs(3);

/// Builds the plan for a page. Only a triggered page makes noise: once
/// someone acknowledged or resolved it, the shell updates the notification
/// silently.
pub fn plan(page: &PageContent, settings: &NotificationSettings) -> NotificationPlan {
    let ringing = page.status == AlertStatus::Triggered;
    let critical = ringing && page.priority == Priority::Critical;
    let sound = match (ringing, page.priority) {
        (false, _) | (_, Priority::Low) => Sound::Silent,
        (true, Priority::High) => Sound::Default,
        (true, Priority::Critical) => Sound::Alarm,
    };
    let ring = critical.then(|| RingLoop {
        interval: CRITICAL_RING_INTERVAL,
        max_duration: (!settings.keep_ringing_until_acknowledged).then_some(settings.ring_limit),
    });
    let actions = offered_actions(page.status, page.paged_at_current_step);
    let label = match page.status {
        AlertStatus::Triggered => match page.priority {
            Priority::Critical => "Critical page",
            Priority::High => "Page",
            Priority::Low => "Low-priority page",
        },
        AlertStatus::Acknowledged => "Acknowledged",
        AlertStatus::Resolved => "Resolved",
    };
    let lock_screen = if settings.hide_details_on_lock_screen {
        LockScreenText {
            title: label.to_string(),
            body: "Unlock to see details".to_string(),
        }
    } else {
        LockScreenText {
            title: format!("{label}: {}", page.service_name),
            body: page.summary.clone(),
        }
    };
    NotificationPlan {
        alert: page.alert.clone(),
        priority: page.priority,
        channel_id: channel_id(page.priority).to_string(),
        sound,
        override_dnd: critical && settings.allow_override_dnd,
        ring,
        full_screen: critical,
        actions,
        lock_screen,
        summary: page.summary.clone(),
        runbook: page.runbook.clone(),
    }
}

/// The channel (Android) / category (iOS) id for a priority; shells create
/// one channel per priority, once.
pub fn channel_id(priority: Priority) -> &'static str {
    match priority {
        Priority::Critical => "klaxon.critical",
        Priority::High => "klaxon.high",
        Priority::Low => "klaxon.low",
    }
}

/// One notification channel (Android) / category (iOS) a plan can name:
/// what a shell creates up front, so the user can tune it (the critical
/// channel's sound, DND bypass) before the first page arrives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelSpec {
    /// The id plans carry in [`NotificationPlan::channel_id`].
    pub channel_id: String,
    /// The priority whose pages use it.
    pub priority: Priority,
    /// What the user sees in the system's notification settings.
    pub name: String,
    /// One sentence on what the channel does.
    pub description: String,
    /// The sound its pages play when triggered.
    pub sound: Sound,
    /// Pages on it may break through silent mode and Do-Not-Disturb (the
    /// shell asks for bypass-DND on this channel alone; whether a given page
    /// does is still the plan's `override_dnd`).
    pub override_dnd_capable: bool,
}

/// Every channel a plan can name, loudest first, one per priority; ids come
/// from [`channel_id`], the single source of truth.
pub fn channels() -> Vec<ChannelSpec> {
    [Priority::Critical, Priority::High, Priority::Low]
        .into_iter()
        .map(|priority| {
            let (name, description, sound) = match priority {
                Priority::Critical => (
                    "Critical pages",
                    "Rings on the alarm stream through silent mode and Do Not Disturb until you \
                     acknowledge.",
                    Sound::Alarm,
                ),
                Priority::High => (
                    "Pages",
                    "Loud heads-up pages; they respect Do Not Disturb.",
                    Sound::Default,
                ),
                Priority::Low => ("Low-priority pages", "Silent notifications.", Sound::Silent),
            };
            ChannelSpec {
                channel_id: channel_id(priority).to_string(),
                priority,
                name: name.to_string(),
                description: description.to_string(),
                sound,
                override_dnd_capable: priority == Priority::Critical,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(priority: Priority, status: AlertStatus) -> PageContent {
        PageContent {
            alert: "a1".into(),
            priority,
            status,
            service_name: "Public API".into(),
            summary: "5xx rate above 5%".into(),
            runbook: Some("https://runbooks.example.com/api".into()),
            paged_at_current_step: status == AlertStatus::Triggered,
        }
    }

    /// The actions a plan offers, without the unlock flags.
    fn verbs(actions: &[OfferedAction]) -> Vec<PageAction> {
        actions.iter().map(|a| a.action).collect()
    }

    #[test]
    fn critical_rings_through_dnd_until_acknowledged_by_default() {
        let p = plan(
            &page(Priority::Critical, AlertStatus::Triggered),
            &NotificationSettings::default(),
        );
        assert_eq!(p.channel_id, "klaxon.critical");
        assert_eq!(p.sound, Sound::Alarm);
        assert!(p.override_dnd && p.full_screen);
        assert_eq!(p.ring.as_ref().map(|r| r.max_duration), Some(None));
        assert_eq!(
            verbs(&p.actions),
            [
                PageAction::Acknowledge,
                PageAction::Escalate,
                PageAction::Decline,
                PageAction::Resolve,
                PageAction::Snooze
            ]
        );
        assert_eq!(p.lock_screen.body, "5xx rate above 5%");
        assert_eq!(
            p.runbook.as_deref(),
            Some("https://runbooks.example.com/api")
        );
    }

    #[test]
    fn override_dnd_and_keep_ringing_are_separate_settings() {
        let no_dnd = NotificationSettings {
            allow_override_dnd: false,
            ..NotificationSettings::default()
        };
        let p = plan(&page(Priority::Critical, AlertStatus::Triggered), &no_dnd);
        assert!(!p.override_dnd);
        assert_eq!(
            p.ring.as_ref().map(|r| r.max_duration),
            Some(None),
            "still rings until ack"
        );

        let brief = NotificationSettings {
            keep_ringing_until_acknowledged: false,
            ..NotificationSettings::default()
        };
        let p = plan(&page(Priority::Critical, AlertStatus::Triggered), &brief);
        assert!(p.override_dnd, "still overrides DND");
        assert_eq!(
            p.ring.map(|r| r.max_duration),
            Some(Some(Duration::from_secs(60)))
        );
    }

    #[test]
    fn high_and_low_never_override_dnd() {
        let high = plan(
            &page(Priority::High, AlertStatus::Triggered),
            &NotificationSettings::default(),
        );
        assert_eq!(
            (high.sound, high.override_dnd, high.full_screen),
            (Sound::Default, false, false)
        );
        assert!(high.ring.is_none());
        let low = plan(
            &page(Priority::Low, AlertStatus::Triggered),
            &NotificationSettings::default(),
        );
        assert_eq!((low.sound, low.override_dnd), (Sound::Silent, false));
        assert_eq!(low.channel_id, "klaxon.low");
    }

    #[test]
    fn hidden_details_keep_the_summary_off_the_lock_screen() {
        let settings = NotificationSettings {
            hide_details_on_lock_screen: true,
            ..NotificationSettings::default()
        };
        let p = plan(&page(Priority::Critical, AlertStatus::Triggered), &settings);
        assert!(!p.lock_screen.title.contains("Public API"));
        assert!(!p.lock_screen.body.contains("5xx"));
        assert_eq!(
            p.summary, "5xx rate above 5%",
            "the unlocked view still has it"
        );
    }

    #[test]
    fn acknowledged_and_resolved_pages_are_silent_and_offer_what_is_left() {
        let ack = plan(
            &page(Priority::Critical, AlertStatus::Acknowledged),
            &NotificationSettings::default(),
        );
        assert_eq!(
            (ack.sound, ack.override_dnd, ack.full_screen),
            (Sound::Silent, false, false)
        );
        assert_eq!(
            verbs(&ack.actions),
            [
                PageAction::Escalate,
                PageAction::Resolve,
                PageAction::Snooze
            ]
        );
        let resolved = plan(
            &page(Priority::High, AlertStatus::Resolved),
            &NotificationSettings::default(),
        );
        assert!(resolved.actions.is_empty());
    }

    #[test]
    fn every_plan_names_a_listed_channel_and_only_critical_bypasses_dnd() {
        let specs = channels();
        assert_eq!(specs.len(), 3);
        for priority in [Priority::Critical, Priority::High, Priority::Low] {
            for status in [AlertStatus::Triggered, AlertStatus::Acknowledged] {
                let p = plan(&page(priority, status), &NotificationSettings::default());
                let spec = specs.iter().find(|c| c.channel_id == p.channel_id);
                assert_eq!(spec.map(|c| c.priority), Some(priority));
                assert!(!p.override_dnd || spec.is_some_and(|c| c.override_dnd_capable));
            }
        }
        let triggered = |pr| {
            plan(
                &page(pr, AlertStatus::Triggered),
                &NotificationSettings::default(),
            )
        };
        for spec in &specs {
            assert_eq!(spec.sound, triggered(spec.priority).sound);
            assert!(!spec.name.is_empty() && !spec.description.is_empty());
        }
        assert_eq!(
            specs
                .iter()
                .filter(|c| c.override_dnd_capable)
                .map(|c| c.priority)
                .collect::<Vec<_>>(),
            [Priority::Critical]
        );
    }

    #[test]
    fn a_triggered_page_offers_decline_only_to_the_person_its_current_step_paged() {
        use PageAction::*;
        let mine = offered_actions(AlertStatus::Triggered, true);
        assert_eq!(
            verbs(&mine),
            [Acknowledge, Escalate, Decline, Resolve, Snooze]
        );
        // Escalated past this person (a status update, or a colleague's
        // alert on the list): declining would skip someone else's step.
        let theirs = offered_actions(AlertStatus::Triggered, false);
        assert_eq!(verbs(&theirs), [Acknowledge, Escalate, Resolve, Snooze]);
        let status_update = plan(
            &PageContent {
                paged_at_current_step: false,
                ..page(Priority::Critical, AlertStatus::Triggered)
            },
            &NotificationSettings::default(),
        );
        assert!(!verbs(&status_update.actions).contains(&Decline));
    }

    #[test]
    fn an_acknowledged_page_offers_no_second_acknowledgement_or_decline_and_a_resolved_one_nothing()
    {
        for paged in [true, false] {
            let acked = verbs(&offered_actions(AlertStatus::Acknowledged, paged));
            assert_eq!(
                acked,
                [
                    PageAction::Escalate,
                    PageAction::Resolve,
                    PageAction::Snooze
                ]
            );
            assert!(offered_actions(AlertStatus::Resolved, paged).is_empty());
        }
    }

    #[test]
    fn acknowledge_and_escalate_work_locked_resolve_decline_and_snooze_need_unlocking() {
        let offered = offered_actions(AlertStatus::Triggered, true);
        let locked: Vec<PageAction> = offered
            .iter()
            .filter(|a| !a.needs_unlock)
            .map(|a| a.action)
            .collect();
        assert_eq!(locked, [PageAction::Acknowledge, PageAction::Escalate]);
        // Every state agrees: an action's lock rule does not depend on
        // where it is offered (iOS registers its categories up front).
        for status in [AlertStatus::Triggered, AlertStatus::Acknowledged] {
            for a in offered_actions(status, true) {
                assert_eq!(a.needs_unlock, a.action.needs_unlock());
            }
        }
        // The buttons a locked phone can use come first, so Android's
        // three visible buttons always include Acknowledge and Escalate.
        assert!(offered[..2].iter().all(|a| !a.needs_unlock));
    }

    #[test]
    fn every_offer_is_the_catalogue_in_its_order_with_its_unlock_rules() {
        let all = all_page_actions();
        assert_eq!(all.len(), 5, "every PageAction once");
        for status in [
            AlertStatus::Triggered,
            AlertStatus::Acknowledged,
            AlertStatus::Resolved,
        ] {
            for paged in [true, false] {
                let offered = offered_actions(status, paged);
                // In catalogue order, with the catalogue's unlock flag:
                // iOS can register its categories from the catalogue alone.
                let mut rest = all.iter();
                for a in &offered {
                    assert!(rest.any(|c| c == a), "{a:?} out of order in {offered:?}");
                }
            }
        }
    }
}
