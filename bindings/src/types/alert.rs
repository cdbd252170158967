//! An alert as this device knows it: its status, its timeline and its
//! links. The status and links are core's own types, exported as remote
//! types; the alert and its timeline entries carry instants (and the
//! device's own additions), so they are records converted here.

use super::plan::Priority;
use super::{all, time, QueuedActionInfo};
use klaxon_device::device::AlertEntry;
pub use klaxon_domain::alert::AlertStatus;
use klaxon_domain::alert::{Event, TimelineEntry as CoreEntry};
pub use klaxon_domain::wire::Link;
use std::time::SystemTime;

/// Where an alert is in its lifecycle.
#[uniffi::remote(Enum)]
pub enum AlertStatus {
    /// Open, nobody has taken it; escalation runs.
    Triggered,
    /// Someone took it; escalation is paused.
    Acknowledged,
    /// Closed for good.
    Resolved,
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
    /// A step was due during a maintenance window (until `until`): nobody paged.
    Suppressed,
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
    /// For `Snoozed` and `Suppressed`: until when.
    pub until: Option<SystemTime>,
}

impl From<CoreEntry> for TimelineEntry {
    /// Flattens core's event enum, whose variants carry their own data,
    /// into a kind plus the optional fields a record can hold.
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
            Event::Suppressed { until, .. } => (
                TimelineEventKind::Suppressed,
                vec![],
                None,
                Some(time(until)),
            ),
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
#[uniffi::remote(Record)]
pub struct Link {
    /// The URL.
    pub href: String,
    /// What it is, if the sender said.
    pub text: Option<String>,
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

impl From<AlertEntry> for Alert {
    /// Core's alert view flattened (its details' description and links
    /// lifted to the top), with the device's countdown and pending actions.
    fn from(e: AlertEntry) -> Alert {
        let v = e.view;
        Alert {
            id: v.id,
            service: v.service,
            service_name: v.service_name,
            dedup_key: v.dedup_key,
            summary: v.summary,
            priority: v.priority,
            status: v.status,
            created_at: time(v.created_at),
            acknowledged_by: v.acknowledged_by,
            paged: v.paged,
            revision: v.revision,
            timeline: all(v.timeline),
            runbook: v.runbook,
            description: v.details.description,
            links: v.details.links,
            next_escalation: e.next_escalation,
            pending_actions: all(e.pending),
        }
    }
}
