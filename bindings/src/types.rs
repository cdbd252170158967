//! The records and enums the shells see, each a plain copy of a core type
//! (instants as `SystemTime`: `java.time.Instant` in Kotlin, `Date` in
//! Swift). Conversions only; no rules live here.

use klaxon_device::device as core_device;
use klaxon_device::outbox::QueuedAction;
use klaxon_domain::alert::{AlertStatus as CoreStatus, Event, TimelineEntry as CoreEntry};
use klaxon_domain::notify as core_notify;
use klaxon_domain::wire;
use std::time::{Duration, SystemTime};

fn time(t: chrono::DateTime<chrono::Utc>) -> SystemTime {
    SystemTime::from(t)
}

/// How loud a page is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Priority {
    /// Silent notification, no sound.
    Low,
    /// Loud heads-up notification that respects Do-Not-Disturb.
    High,
    /// Overrides silent mode and Do-Not-Disturb, rings until acknowledged, full screen.
    Critical,
}

impl From<klaxon_domain::Priority> for Priority {
    fn from(p: klaxon_domain::Priority) -> Priority {
        match p {
            klaxon_domain::Priority::Low => Priority::Low,
            klaxon_domain::Priority::High => Priority::High,
            klaxon_domain::Priority::Critical => Priority::Critical,
        }
    }
}

/// Where an alert is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum AlertStatus {
    /// Open, nobody has taken it; escalation runs.
    Triggered,
    /// Someone took it; escalation is paused.
    Acknowledged,
    /// Closed for good.
    Resolved,
}

impl From<CoreStatus> for AlertStatus {
    fn from(s: CoreStatus) -> AlertStatus {
        match s {
            CoreStatus::Triggered => AlertStatus::Triggered,
            CoreStatus::Acknowledged => AlertStatus::Acknowledged,
            CoreStatus::Resolved => AlertStatus::Resolved,
        }
    }
}

/// Which sound a notification plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Sound {
    /// The alarm sound, on the alarm stream (Android) / critical sound (iOS).
    Alarm,
    /// The platform's default notification sound.
    Default,
    /// No sound.
    Silent,
}

impl From<core_notify::Sound> for Sound {
    fn from(s: core_notify::Sound) -> Sound {
        match s {
            core_notify::Sound::Alarm => Sound::Alarm,
            core_notify::Sound::Default => Sound::Default,
            core_notify::Sound::Silent => Sound::Silent,
        }
    }
}

/// A button offered on the notification and the lock screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PageAction {
    /// "I'm on it".
    Acknowledge,
    /// Page the next step now.
    Escalate,
    /// Close the alert.
    Resolve,
}

impl From<core_notify::PageAction> for PageAction {
    fn from(a: core_notify::PageAction) -> PageAction {
        match a {
            core_notify::PageAction::Acknowledge => PageAction::Acknowledge,
            core_notify::PageAction::Escalate => PageAction::Escalate,
            core_notify::PageAction::Resolve => PageAction::Resolve,
        }
    }
}

/// How a page keeps ringing.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RingLoop {
    /// Time between the starts of two plays of the sound.
    pub interval: Duration,
    /// Stop after this long; null: ring until acknowledged or dismissed.
    pub max_duration: Option<Duration>,
}

impl From<core_notify::RingLoop> for RingLoop {
    fn from(r: core_notify::RingLoop) -> RingLoop {
        RingLoop {
            interval: r.interval,
            max_duration: r.max_duration,
        }
    }
}

/// The text shown over the lock screen.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LockScreenText {
    /// First line.
    pub title: String,
    /// Second line.
    pub body: String,
}

/// The complete instruction for showing one page. The shell follows it and
/// decides nothing itself.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
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
    /// Buttons, in display order.
    pub actions: Vec<PageAction>,
    /// What the lock screen shows.
    pub lock_screen: LockScreenText,
    /// The full text, for the unlocked notification and the app.
    pub summary: String,
    /// Runbook link for the responder.
    pub runbook: Option<String>,
}

impl From<core_notify::NotificationPlan> for NotificationPlan {
    fn from(p: core_notify::NotificationPlan) -> NotificationPlan {
        NotificationPlan {
            alert: p.alert,
            priority: p.priority.into(),
            channel_id: p.channel_id,
            sound: p.sound.into(),
            override_dnd: p.override_dnd,
            ring: p.ring.map(Into::into),
            full_screen: p.full_screen,
            actions: p.actions.into_iter().map(Into::into).collect(),
            lock_screen: LockScreenText {
                title: p.lock_screen.title,
                body: p.lock_screen.body,
            },
            summary: p.summary,
            runbook: p.runbook,
        }
    }
}

/// The user's notification choices. "Override Do-Not-Disturb" and "keep
/// ringing until acknowledged" are separate settings.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
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

impl From<core_notify::NotificationSettings> for NotificationSettings {
    fn from(s: core_notify::NotificationSettings) -> NotificationSettings {
        NotificationSettings {
            allow_override_dnd: s.allow_override_dnd,
            keep_ringing_until_acknowledged: s.keep_ringing_until_acknowledged,
            ring_limit: s.ring_limit,
            hide_details_on_lock_screen: s.hide_details_on_lock_screen,
        }
    }
}

impl From<NotificationSettings> for core_notify::NotificationSettings {
    fn from(s: NotificationSettings) -> core_notify::NotificationSettings {
        core_notify::NotificationSettings {
            allow_override_dnd: s.allow_override_dnd,
            keep_ringing_until_acknowledged: s.keep_ringing_until_acknowledged,
            ring_limit: s.ring_limit,
            hide_details_on_lock_screen: s.hide_details_on_lock_screen,
        }
    }
}

/// What happened, in one entry of an alert's timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum TimelineEventKind {
    /// The alert opened.
    Triggered,
    /// A repeat trigger arrived while open.
    Deduplicated,
    /// An escalation step paged `people`.
    Notified,
    /// Someone took it.
    Acknowledged,
    /// Someone moved it to the next step.
    Escalated,
    /// A paged person could not take it.
    Declined,
    /// Acknowledged until `until`.
    Snoozed,
    /// A snooze ran out.
    SnoozeExpired,
    /// Closed for good.
    Resolved,
    /// The escalation policy ran out with nobody acknowledging.
    PolicyExhausted,
}

/// One entry of an alert's timeline.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TimelineEntry {
    /// Position, from 0.
    pub seq: u32,
    /// When.
    pub at: SystemTime,
    /// Who: a person id, an integration, or `relay`.
    pub who: String,
    /// From where: `device`, `relay` or `integration`.
    pub source: String,
    /// What happened.
    pub kind: TimelineEventKind,
    /// For `Notified`: the people paged.
    pub people: Vec<String>,
    /// For `Triggered`/`Deduplicated`: the summary.
    pub summary: Option<String>,
    /// For `Snoozed`: until when.
    pub until: Option<SystemTime>,
}

impl From<CoreEntry> for TimelineEntry {
    fn from(e: CoreEntry) -> TimelineEntry {
        let (kind, people, summary, until) = match e.event {
            Event::Triggered { summary } => {
                (TimelineEventKind::Triggered, vec![], Some(summary), None)
            }
            Event::Deduplicated { summary } => {
                (TimelineEventKind::Deduplicated, vec![], Some(summary), None)
            }
            Event::Notified { people, .. } => (TimelineEventKind::Notified, people, None, None),
            Event::Acknowledged => (TimelineEventKind::Acknowledged, vec![], None, None),
            Event::Escalated => (TimelineEventKind::Escalated, vec![], None, None),
            Event::Declined => (TimelineEventKind::Declined, vec![], None, None),
            Event::Snoozed { until } => {
                (TimelineEventKind::Snoozed, vec![], None, Some(time(until)))
            }
            Event::SnoozeExpired => (TimelineEventKind::SnoozeExpired, vec![], None, None),
            Event::Resolved => (TimelineEventKind::Resolved, vec![], None, None),
            Event::PolicyExhausted => (TimelineEventKind::PolicyExhausted, vec![], None, None),
        };
        TimelineEntry {
            seq: e.seq,
            at: time(e.at),
            who: e.actor.who,
            source: e.actor.source.as_str().to_string(),
            kind,
            people,
            summary,
            until,
        }
    }
}

/// A link attached to an alert (dashboards and the like).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Link {
    /// The URL.
    pub href: String,
    /// What it is, if the sender said.
    pub text: Option<String>,
}

/// One of this device's actions that the relay has not confirmed yet (or
/// has just answered, in a `SyncReport`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct QueuedActionInfo {
    /// The idempotency key.
    pub key: String,
    /// The alert acted on.
    pub alert: String,
    /// `acknowledge`, `escalate`, `decline`, `resolve` or `snooze`.
    pub action: String,
    /// `queued`, `applied` or `rejected`.
    pub status: String,
    /// Why it was rejected, or why the last attempt failed.
    pub reason: Option<String>,
    /// When the person acted.
    pub created_at: SystemTime,
    /// Delivery attempts so far.
    pub attempts: u32,
}

impl From<QueuedAction> for QueuedActionInfo {
    fn from(a: QueuedAction) -> QueuedActionInfo {
        let reason = match &a.outcome {
            Some(klaxon_device::outbox::ActionOutcome::Rejected { reason }) => Some(reason.clone()),
            Some(klaxon_device::outbox::ActionOutcome::Expired { last_error }) => {
                Some(last_error.clone())
            }
            _ => a.last_error.clone(),
        };
        QueuedActionInfo {
            key: a.key.to_string(),
            alert: a.alert.clone(),
            action: a.action.verb().to_string(),
            status: a.status().to_string(),
            reason,
            created_at: time(a.created_at),
            attempts: a.attempts,
        }
    }
}

/// An alert as this device knows it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Alert {
    /// Alert id.
    pub id: String,
    /// Service id.
    pub service: String,
    /// Service display name.
    pub service_name: String,
    /// The integration's dedup key.
    pub dedup_key: String,
    /// What is wrong.
    pub summary: String,
    /// How loud.
    pub priority: Priority,
    /// Where it is, as the relay last said.
    pub status: AlertStatus,
    /// When it opened.
    pub created_at: SystemTime,
    /// Who acknowledged it.
    pub acknowledged_by: Option<String>,
    /// Everyone paged so far, in order.
    pub paged: Vec<String>,
    /// The timeline length the relay last reported.
    pub revision: u32,
    /// Everything that happened to it (empty until the first sync after a push).
    pub timeline: Vec<TimelineEntry>,
    /// The runbook.
    pub runbook: Option<String>,
    /// Longer description from the integration.
    pub description: Option<String>,
    /// Links to dashboards and the like.
    pub links: Vec<Link>,
    /// "escalates to Bob Okafor in 4:32" ("escalating to Bob Okafor now"
    /// once due) while an escalation is coming; null at the last step, and
    /// after a push until the next sync says what comes next.
    pub next_escalation: Option<String>,
    /// This device's actions on it not yet confirmed by the relay.
    pub pending_actions: Vec<QueuedActionInfo>,
}

impl From<core_device::AlertEntry> for Alert {
    fn from(e: core_device::AlertEntry) -> Alert {
        let v = e.view;
        Alert {
            id: v.id,
            service: v.service,
            service_name: v.service_name,
            dedup_key: v.dedup_key,
            summary: v.summary,
            priority: v.priority.into(),
            status: v.status.into(),
            created_at: time(v.created_at),
            acknowledged_by: v.acknowledged_by,
            paged: v.paged,
            revision: v.revision,
            timeline: v.timeline.into_iter().map(Into::into).collect(),
            runbook: v.runbook,
            description: v.details.description,
            links: v
                .details
                .links
                .into_iter()
                .map(|l| Link {
                    href: l.href,
                    text: l.text,
                })
                .collect(),
            next_escalation: e.next_escalation,
            pending_actions: e.pending.into_iter().map(Into::into).collect(),
        }
    }
}

/// A person on call now.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OnCallPerson {
    /// Person id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// When their current shift ends.
    pub until: SystemTime,
}

impl From<core_device::OnCall> for OnCallPerson {
    fn from(o: core_device::OnCall) -> OnCallPerson {
        OnCallPerson {
            id: o.person.id,
            name: o.person.name,
            until: time(o.until),
        }
    }
}

/// One on-call shift of a schedule.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Shift {
    /// Person id.
    pub person: String,
    /// The person's display name (their id when the roster has no name).
    pub person_name: String,
    /// First instant on call.
    pub start: SystemTime,
    /// First instant off call.
    pub end: SystemTime,
}

impl From<core_device::NamedShift> for Shift {
    fn from(s: core_device::NamedShift) -> Shift {
        Shift {
            person: s.person.id,
            person_name: s.person.name,
            start: time(s.start),
            end: time(s.end),
        }
    }
}

/// A person in the device's teams.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Person {
    /// Person id.
    pub id: String,
    /// Display name (the id when the roster has no name).
    pub name: String,
}

impl From<wire::PersonView> for Person {
    fn from(p: wire::PersonView) -> Person {
        Person {
            id: p.id,
            name: p.name,
        }
    }
}

/// The next change of who is on call in a schedule.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Handoff {
    /// When it changes.
    pub at: SystemTime,
    /// Who is on call from then on; empty: nobody (a gap starts).
    pub people: Vec<Person>,
}

impl From<core_device::NextHandoff> for Handoff {
    fn from(h: core_device::NextHandoff) -> Handoff {
        Handoff {
            at: time(h.at),
            people: h.people.into_iter().map(Into::into).collect(),
        }
    }
}

/// A schedule this device's person can see, for the roster screen.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ScheduleInfo {
    /// Schedule id (what `whoIsOnCall` and `roster` take).
    pub id: String,
    /// Display name, when the roster gives one; show the id otherwise.
    pub name: Option<String>,
    /// IANA time zone its handoffs are written in ("America/Chicago").
    pub time_zone: String,
    /// Who is on call now; empty: nobody.
    pub on_call: Vec<OnCallPerson>,
    /// The next change of who is on call within the synced ~30 days; null
    /// when nothing changes before then.
    pub next_handoff: Option<Handoff>,
}

impl From<core_device::ScheduleInfo> for ScheduleInfo {
    fn from(s: core_device::ScheduleInfo) -> ScheduleInfo {
        ScheduleInfo {
            id: s.id,
            name: s.name,
            time_zone: s.time_zone,
            on_call: s.on_call.into_iter().map(Into::into).collect(),
            next_handoff: s.next_handoff.map(Into::into),
        }
    }
}

/// One of this device's person's shifts.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct MyShift {
    /// Schedule id.
    pub schedule: String,
    /// The schedule's display name, when the roster gives one.
    pub schedule_name: Option<String>,
    /// First instant on call.
    pub start: SystemTime,
    /// First instant off call.
    pub end: SystemTime,
}

impl From<core_device::MyShift> for MyShift {
    fn from(s: core_device::MyShift) -> MyShift {
        MyShift {
            schedule: s.schedule,
            schedule_name: s.schedule_name,
            start: time(s.start),
            end: time(s.end),
        }
    }
}

/// Which push service delivers to this device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PushPlatform {
    /// Apple Push Notification service.
    Apns,
    /// Firebase Cloud Messaging.
    Fcm,
    /// No push service.
    None,
}

impl From<PushPlatform> for wire::PushPlatform {
    fn from(p: PushPlatform) -> wire::PushPlatform {
        match p {
            PushPlatform::Apns => wire::PushPlatform::Apns,
            PushPlatform::Fcm => wire::PushPlatform::Fcm,
            PushPlatform::None => wire::PushPlatform::None,
        }
    }
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
            push_platform: c.push_platform.into(),
            push_token: c.push_token,
            push_token_issued_at: c.push_token_issued_at.map(chrono::DateTime::from),
            reported_at: chrono::DateTime::<chrono::Utc>::MIN_UTC,
        }
    }
}

/// How bad a health finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum HealthLevel {
    /// Fine.
    Ok,
    /// Pages still ring, but something is degraded.
    Warning,
    /// Some pages will not ring or not arrive.
    Problem,
}

/// One finding of the self-check.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HealthItem {
    /// Stable id of the check (`notifications`, `dnd`, `full_screen`,
    /// `battery`, `push_token`, `last_push`, `sync`, `outbox`, ...).
    pub check: String,
    /// How bad.
    pub level: HealthLevel,
    /// In words, for the person.
    pub message: String,
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

impl From<core_device::Health> for Health {
    fn from(h: core_device::Health) -> Health {
        Health {
            ok: h.ok,
            items: h
                .items
                .into_iter()
                .map(|i| HealthItem {
                    check: i.check,
                    level: match i.level {
                        core_device::HealthLevel::Ok => HealthLevel::Ok,
                        core_device::HealthLevel::Warning => HealthLevel::Warning,
                        core_device::HealthLevel::Problem => HealthLevel::Problem,
                    },
                    message: i.message,
                })
                .collect(),
            last_push_at: h.last_push_at.map(time),
            last_sync_at: h.last_sync_at.map(time),
            pending_actions: h.pending_actions,
            push_token_age: h.push_token_age,
        }
    }
}

/// What one `sync()` did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncReport {
    /// Actions attempted, with their status afterwards.
    pub delivered: Vec<QueuedActionInfo>,
    /// Alerts whose view changed.
    pub alerts_changed: u32,
    /// Whether a new roster arrived.
    pub roster_updated: bool,
    /// Actions still waiting afterwards.
    pub pending_actions: u32,
    /// Pages the sync found that no push brought (lost, or too large to
    /// push); already presented and rung through the sink.
    pub plans: Vec<NotificationPlan>,
}

impl From<core_device::SyncReport> for SyncReport {
    fn from(r: core_device::SyncReport) -> SyncReport {
        SyncReport {
            delivered: r.delivered.into_iter().map(Into::into).collect(),
            alerts_changed: r.alerts_changed,
            roster_updated: r.roster_updated,
            pending_actions: r.pending_actions,
            plans: r.plans.into_iter().map(Into::into).collect(),
        }
    }
}

/// Who this device is to the relay.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Enrollment {
    /// The device id the relay assigned.
    pub device_id: String,
    /// The person the device belongs to.
    pub person: String,
    /// The relay's URL.
    pub relay_url: String,
    /// When it enrolled.
    pub enrolled_at: SystemTime,
    /// Ed25519 public key (base64url) the relay verifies requests with.
    pub signing_public_key: String,
    /// X25519 public key (base64url) pages are sealed to.
    pub sealing_public_key: String,
}

impl Enrollment {
    pub(crate) fn new(
        e: klaxon_device::client::Enrollment,
        keys: Option<core_device::PublicKeys>,
    ) -> Enrollment {
        let keys = keys.unwrap_or(core_device::PublicKeys {
            signing: String::new(),
            sealing: String::new(),
        });
        Enrollment {
            device_id: e.device_id,
            person: e.person,
            relay_url: e.relay_url,
            enrolled_at: time(e.enrolled_at),
            signing_public_key: keys.signing,
            sealing_public_key: keys.sealing,
        }
    }
}

/// What one `listen()` received.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ListenReport {
    /// Plans of the new pages (repeats left out), already presented.
    pub plans: Vec<NotificationPlan>,
    /// Pages received, repeats included.
    pub pages: u32,
    /// The relay said alerts changed: call `sync()`.
    pub changed: bool,
}

impl From<core_device::Listened> for ListenReport {
    fn from(l: core_device::Listened) -> ListenReport {
        ListenReport {
            plans: l.plans.into_iter().map(Into::into).collect(),
            pages: l.pages,
            changed: l.changed,
        }
    }
}

/// What `receivePush` made of one push. Kotlin: a sealed class
/// (`PushResult.Show`, `PushResult.Duplicate`, `PushResult.SyncNeeded`);
/// Swift: an enum (`.show(plan:)`, `.duplicate`, `.syncNeeded(alert:)`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum PushResult {
    /// A new page, or a newer state of one: show it as `plan` says. The
    /// sink was already told to present (and ring, or update, or cancel).
    Show {
        /// The instruction for the notification.
        plan: NotificationPlan,
    },
    /// A repeat of a page already handled: show and ring nothing.
    Duplicate,
    /// The page was too large for the push service, which carried only its
    /// alert id (a sync-needed push). Call `sync()` now: it fetches the page
    /// and presents and rings it through the sink once (its plan is in
    /// `SyncReport.plans`). Until then, keep the push's own generic, loud text.
    SyncNeeded {
        /// The alert the page belongs to.
        alert: String,
    },
}

impl From<core_device::PushOutcome> for PushResult {
    fn from(o: core_device::PushOutcome) -> PushResult {
        match o {
            core_device::PushOutcome::Show(plan) => PushResult::Show {
                plan: (*plan).into(),
            },
            core_device::PushOutcome::Duplicate => PushResult::Duplicate,
            core_device::PushOutcome::SyncNeeded { alert } => PushResult::SyncNeeded { alert },
        }
    }
}

/// A notification channel (Android) / category (iOS) that plans can name,
/// for creating every channel once at app start, before the first page.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NotificationChannelInfo {
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

impl From<core_notify::ChannelSpec> for NotificationChannelInfo {
    fn from(c: core_notify::ChannelSpec) -> NotificationChannelInfo {
        NotificationChannelInfo {
            channel_id: c.channel_id,
            priority: c.priority.into(),
            name: c.name,
            description: c.description,
            sound: c.sound.into(),
            override_dnd_capable: c.override_dnd_capable,
        }
    }
}
