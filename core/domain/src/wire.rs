//! The relay's device API on the wire: the JSON bodies of enrollment,
//! push-token registration, sync, the event stream and batch actions. The
//! relay serves them and the phone's sync client reads them; one definition
//! keeps both sides in step. docs/relay-api.md describes the endpoints.

use crate::alert::{Action, AlertStatus, IdempotencyKey, Outcome, TimelineEntry};
use crate::escalation::Upcoming;
use crate::notify::PageContent;
use crate::Priority;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `POST /v1/devices/enroll`: a new device presents its one-time code and
/// its public keys (base64url, no padding, 32 bytes each).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollRequest {
    /// The one-time code from `klaxon invite`.
    pub code: String,
    /// A human name for the device ("Alice's Pixel").
    #[serde(default)]
    pub name: String,
    /// Ed25519 public key that verifies the device's request signatures.
    pub signing_key: String,
    /// X25519 public key pages are sealed to before they go through push.
    pub sealing_key: String,
}

/// The answer to a successful enrollment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollResponse {
    /// The device's id; sent in the `x-klaxon-device` header from now on.
    pub device_id: String,
    /// The person this device belongs to.
    pub person: String,
}

/// Which push service delivers to a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PushPlatform {
    /// Apple Push Notification service.
    Apns,
    /// Firebase Cloud Messaging.
    Fcm,
    /// No push: the device only uses the stream and sync (a terminal pager).
    None,
}

/// `PUT /v1/devices/push-token`: where to push pages for this device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushTokenRequest {
    /// The push service.
    pub platform: PushPlatform,
    /// The provider's token; absent for [`PushPlatform::None`].
    #[serde(default)]
    pub token: Option<String>,
}

/// A link attached to an alert (PagerDuty Events v2 `links`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// The URL.
    pub href: String,
    /// What it is, if the sender said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// An image attached to an alert (PagerDuty Events v2 `images`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    /// Where the image is.
    pub src: String,
    /// Where clicking it leads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
    /// Alternative text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt: Option<String>,
}

/// What the integration said about an alert beyond its summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AlertDetails {
    /// `payload.source` / the Alertmanager `instance` label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Longer text: Alertmanager's `description` annotation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A runbook from the event (Alertmanager `runbook_url`); the service's
    /// roster runbook is used when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runbook: Option<String>,
    /// Links to dashboards and the like.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
    /// Graphs and screenshots.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<Image>,
    /// Anything else the sender attached (`custom_details`, labels), as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom: Option<serde_json::Value>,
}

/// One alert as a device sees it in a sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertView {
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
    /// Where it is in its lifecycle.
    pub status: AlertStatus,
    /// When it opened.
    pub created_at: DateTime<Utc>,
    /// Who acknowledged it, while acknowledged.
    pub acknowledged_by: Option<String>,
    /// Everyone paged so far, in order, repeats included.
    pub paged: Vec<String>,
    /// The timeline length; actions send it back as `seen`.
    pub revision: u32,
    /// Everything that happened to it.
    pub timeline: Vec<TimelineEntry>,
    /// The next escalation if nobody acts, computed by the relay at sync time.
    pub upcoming: Option<Upcoming>,
    /// Runbook: the event's, else the service's.
    pub runbook: Option<String>,
    /// Links, images and the rest.
    pub details: AlertDetails,
}

impl AlertView {
    /// The latest escalation step in the timeline: its `step_seq` and the
    /// people it paged (`None` before any step fired, or in a view whose
    /// timeline a sync has not brought yet).
    pub fn latest_step(&self) -> Option<(u32, &[String])> {
        self.timeline
            .iter()
            .rev()
            .find_map(|entry| match &entry.event {
                crate::alert::Event::Notified {
                    step_seq, people, ..
                } => Some((*step_seq, people.as_slice())),
                _ => None,
            })
    }
}

/// A person in the device's teams.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonView {
    /// Person id.
    pub id: String,
    /// Display name.
    pub name: String,
}

/// A service in the device's teams.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceView {
    /// Service id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Its escalation policy.
    pub policy: String,
    /// Its runbook.
    pub runbook: Option<String>,
}

/// One on-call shift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftView {
    /// Person id.
    pub person: String,
    /// First instant on call.
    pub start: DateTime<Utc>,
    /// First instant off call.
    pub end: DateTime<Utc>,
}

/// A schedule's final shifts over the sync window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleView {
    /// Schedule id.
    pub id: String,
    /// Display name from the roster file's optional `name`. Absent when the
    /// roster gives none, and from relays older than this field (serde
    /// default), so old and new clients and relays read each other.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// IANA time zone the schedule's handoffs are written in.
    pub time_zone: String,
    /// Shifts in the window, ordered by start.
    pub shifts: Vec<ShiftView>,
}

/// The part of the roster a device may see: its person's teams, with the
/// shifts of the next 30 days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterView {
    /// Start of the shift window.
    pub from: DateTime<Utc>,
    /// End of the shift window.
    pub to: DateTime<Utc>,
    /// People in the teams.
    pub people: Vec<PersonView>,
    /// The teams' services.
    pub services: Vec<ServiceView>,
    /// The teams' schedules.
    pub schedules: Vec<ScheduleView>,
}

/// `POST /v1/overrides` (signed): the device's person takes a shift ("I'll
/// cover") in a schedule of their teams, as a live override.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TakeShiftRequest {
    /// The schedule.
    pub schedule: String,
    /// Whom they replace, only while that person is on call; absent:
    /// whoever is on call then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacing: Option<String>,
    /// First instant on call.
    pub from: DateTime<Utc>,
    /// First instant off call.
    pub to: DateTime<Utc>,
}

/// The live override a [`TakeShiftRequest`] made, as the relay answers it
/// (it also says what the override changes; a device reads the new roster
/// with its next sync instead).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TakenShift {
    /// The relay's id for the override (`klaxon override remove ID`).
    pub id: i64,
    /// The schedule.
    pub schedule: String,
    /// Who is on call: the device's person.
    pub person: String,
    /// Whom they replace; absent: whoever was on call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacing: Option<String>,
    /// First instant on call.
    pub from: DateTime<Utc>,
    /// First instant off call.
    pub to: DateTime<Utc>,
}

/// `GET /v1/sync?cursor=C`: what changed since `C` (everything without it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncResponse {
    /// Send this back as `cursor` next time.
    pub cursor: u64,
    /// True when more changes wait: sync again at once with `cursor`.
    pub more: bool,
    /// The person this device belongs to.
    pub person: String,
    /// Alerts of the device's teams that changed since the cursor.
    pub alerts: Vec<AlertView>,
    /// The roster part, sent on a first sync (no cursor) and whenever the
    /// relay's roster changed since; `None` otherwise.
    pub roster: Option<RosterView>,
    /// The version of the roster the relay runs (see [`RosterView`]): it
    /// changes whenever the relay starts with a different roster file, so a
    /// device that stored another version asks for the roster again
    /// (`roster=1`). Absent from relays older than this field (serde
    /// default), so old and new clients and relays read each other.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roster_version: Option<String>,
}

/// One action of a batch: the core outbox's `QueuedAction` on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionRequest {
    /// The idempotency key: the same key applies once, however often sent.
    pub key: IdempotencyKey,
    /// The alert acted on.
    pub alert: String,
    /// What to do (`{"action": "acknowledge"}`, `{"action": "snooze", "until": T}`).
    #[serde(flatten)]
    pub action: Action,
    /// The alert revision the person was looking at.
    #[serde(default)]
    pub seen: Option<u32>,
}

/// `POST /v1/actions`: up to 100 actions, applied in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionsRequest {
    /// The actions.
    pub actions: Vec<ActionRequest>,
}

/// What one action of a batch came to. `status` is the HTTP status the same
/// action would have got alone from `POST /v1/alerts/{id}/actions`, so a
/// client turns each result into the outbox's `Answer` unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionResult {
    /// The action's idempotency key.
    pub key: IdempotencyKey,
    /// The alert.
    pub alert: String,
    /// 200 applied/duplicate/already in state, 409 rejected, 404 unknown
    /// alert (or one the device may not see), 400 invalid action.
    pub status: u16,
    /// The outcome, when the action reached the alert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// Why it did not reach the alert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The answer to a batch: one result per action, in request order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionsResponse {
    /// The results.
    pub results: Vec<ActionResult>,
}

/// One event on `GET /v1/stream` (server-sent events; the SSE `event:`
/// field carries the same name as `type`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamEvent {
    /// A page for this device's person: ring.
    Page {
        /// The page, as push would carry it (unsealed: the stream is the
        /// device's own authenticated connection).
        page: Page,
    },
    /// Alerts of the device's teams changed: sync from your cursor.
    Changed {
        /// The newest change's cursor.
        cursor: u64,
    },
    /// The stream's first event ([`StreamHello`]): the relay's roster
    /// version; a device holding another one syncs with `roster=1`.
    Hello {
        /// As [`SyncResponse::roster_version`].
        roster_version: String,
    },
}

/// The first event on `GET /v1/stream` (`event: hello`), sent as soon as
/// the stream opens: what a device compares with what it stored. Its JSON
/// carries `"type": "hello"`, as a [`StreamEvent`] would, so it can become
/// one of them; clients that do not know it skip it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename = "hello")]
pub struct StreamHello {
    /// The relay's roster version, as in [`SyncResponse::roster_version`]:
    /// a device holding another one syncs with `roster=1`.
    pub roster_version: String,
}

/// One page pushed to a device: an alert at one escalation step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    /// Alert id.
    pub alert: String,
    /// Which firing of the escalation this is (1-based, per alert); with
    /// `alert` and `status` it identifies the ring.
    pub step_seq: u32,
    /// Service id.
    pub service: String,
    /// Service display name.
    pub service_name: String,
    /// The alert's dedup key.
    pub dedup_key: String,
    /// What is wrong.
    pub summary: String,
    /// How loud.
    pub priority: Priority,
    /// The alert's state when the relay sent this.
    pub status: AlertStatus,
    /// The alert's timeline length when sent; actions send it back as `seen`.
    pub revision: u32,
    /// Runbook link.
    #[serde(default)]
    pub runbook: Option<String>,
    /// A status update, not a page: the alert moved on (acknowledged,
    /// resolved, or escalated to other people) and this push only stops
    /// the ring and refreshes the notification. A device never rings for
    /// one, whatever `status` says (docs/push.md, "Status updates").
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub status_update: bool,
    /// 0 for a step's page; N for its Nth re-notification — the same ring
    /// (same `step_seq`) sent again because nobody acknowledged a critical
    /// page (the policy's `renotify`). A device already ringing for the
    /// alert keeps ringing and shows no second notification; one whose
    /// ring stopped (a locked iPhone plays the sound once per push) rings
    /// again. Absent (0) from relays older than this field.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub renotify: u32,
}

/// Serde's test for leaving a zero count out.
fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Page {
    /// Parses a page from the push payload (JSON).
    pub fn from_json(json: &[u8]) -> serde_json::Result<Page> {
        serde_json::from_slice(json)
    }

    /// What the notification needs to know.
    pub fn content(&self) -> PageContent {
        PageContent {
            alert: self.alert.clone(),
            priority: self.priority,
            status: self.status,
            service_name: self.service_name.clone(),
            summary: self.summary.clone(),
            runbook: self.runbook.clone(),
            // The relay pushes a page to the people its step paged; anything
            // else (a status update, a settled alert) pages nobody now.
            paged_at_current_step: self.status == AlertStatus::Triggered && !self.status_update,
        }
    }
}

/// Parses a `Retry-After` value: delay-seconds (`120`) or an HTTP date
/// (`Wed, 21 Oct 2015 07:28:00 GMT`, counted from `now`).
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<std::time::Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(std::time::Duration::from_secs(secs));
    }
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(std::time::Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_view_without_a_name_reads_and_writes_as_before() {
        let old = r#"{"id":"primary","time_zone":"America/Chicago","shifts":[]}"#;
        let view: ScheduleView = serde_json::from_str(old).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(view.name, None);
        assert_eq!(serde_json::to_string(&view).ok().as_deref(), Some(old));
        let named = ScheduleView {
            name: Some("Platform primary".into()),
            ..view
        };
        let json = serde_json::to_string(&named).unwrap_or_default();
        assert!(json.contains(r#""name":"Platform primary""#));
    }
}
