//! Alerts: the state machine (triggered -> acknowledged -> resolved, with
//! escalate, decline and snooze), dedup of triggers, and the timeline. Pure
//! functions over values: the relay and the phone apply the same rules, the
//! store only persists the result.

mod action;
mod timeline;
mod transition;

pub use action::{Action, Actor, Command, IdempotencyKey, Outcome, Rejection, Source, MAX_SNOOZE};
pub use timeline::{Event, Timeline, TimelineEntry};
pub use transition::{Renotification, Tick};

use crate::escalation::EscalationState;
use crate::Priority;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where an alert is in its lifecycle. Ordered: the state only moves
/// backwards (acknowledged -> triggered) by an explicit escalate, decline or
/// snooze expiry; resolved is final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertStatus {
    /// Open, nobody has taken it; escalation runs.
    Triggered,
    /// Someone took it (possibly snoozed); escalation is paused.
    Acknowledged,
    /// Closed for good; a new trigger with the same key opens a new alert.
    Resolved,
}

impl AlertStatus {
    /// The lowercase name used in storage, on the wire and in `--status`.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Triggered => "triggered",
            AlertStatus::Acknowledged => "acknowledged",
            AlertStatus::Resolved => "resolved",
        }
    }

    /// Parses [`AlertStatus::as_str`]'s output.
    pub fn parse(s: &str) -> Option<AlertStatus> {
        match s {
            "triggered" => Some(AlertStatus::Triggered),
            "acknowledged" => Some(AlertStatus::Acknowledged),
            "resolved" => Some(AlertStatus::Resolved),
            _ => None,
        }
    }

    /// Open means not resolved: still deduplicates triggers, still actionable.
    pub fn is_open(self) -> bool {
        self != AlertStatus::Resolved
    }
}

impl fmt::Display for AlertStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A maintenance window its service is in: while it lasts, a triggered
/// alert is recorded (`suppressed`) but pages nobody, and its escalation
/// goes on from where it stood when the window ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Maintenance {
    /// The window's id.
    pub id: String,
    /// When it ends.
    pub until: DateTime<Utc>,
}

/// An incoming "something is wrong" from an integration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trigger {
    /// The service's id (resolved from the routing key by the caller).
    pub service: String,
    /// Triggers with the same key update one open alert.
    pub dedup_key: String,
    /// One line saying what is wrong.
    pub summary: String,
    /// How loud to page.
    pub priority: Priority,
    /// Which integration sent it.
    pub actor: Actor,
}

/// What a trigger did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerOutcome {
    /// A new alert opened.
    Opened,
    /// An open alert with the same (service, dedup key) absorbed it (and
    /// changed only if the summary or priority differed).
    Deduplicated,
}

/// One alert: its current state and the timeline that explains it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// Unique id, assigned by whoever opened it (the relay).
    pub id: String,
    /// The service that raised it.
    pub service: String,
    /// Dedup key; unique among the service's open alerts.
    pub dedup_key: String,
    /// The latest summary.
    pub summary: String,
    /// The latest priority.
    pub priority: Priority,
    /// Where it is in its lifecycle.
    pub status: AlertStatus,
    /// When it opened.
    pub created_at: DateTime<Utc>,
    /// Who acknowledged it, while acknowledged.
    pub acknowledged_by: Option<String>,
    /// While snoozed: when it triggers again.
    pub snoozed_until: Option<DateTime<Utc>>,
    /// Where it is in its escalation policy.
    pub escalation: EscalationState,
    /// Everything that happened to it.
    pub timeline: Timeline,
}

impl Alert {
    /// Handles a trigger: updates `open` when it is an open alert of the
    /// same service and dedup key, otherwise opens a new alert with `new_id`
    /// whose first escalation step is due at `now`. Never opens a second
    /// alert for an open key; after a resolve the key opens a new one.
    ///
    /// A deduplicated trigger records `Deduplicated` only when it changes
    /// the summary or the priority; an identical re-send (Alertmanager's
    /// `repeat_interval`) returns the alert unchanged, revision included.
    /// When the priority rises on a triggered alert, the current step's
    /// people are paged again at the new loudness by the next
    /// [`Alert::tick`] (see [`EscalationState::repage_current_step`]).
    pub fn trigger(
        open: Option<Alert>,
        new_id: &str,
        trigger: Trigger,
        now: DateTime<Utc>,
    ) -> (Alert, TriggerOutcome) {
        match open {
            Some(mut alert)
                if alert.status.is_open()
                    && alert.service == trigger.service
                    && alert.dedup_key == trigger.dedup_key =>
            {
                if alert.summary == trigger.summary && alert.priority == trigger.priority {
                    // A re-send of what the alert already says: nothing to record.
                    return (alert, TriggerOutcome::Deduplicated);
                }
                if trigger.priority > alert.priority && alert.status == AlertStatus::Triggered {
                    alert.escalation = alert.escalation.repage_current_step();
                }
                alert.summary = trigger.summary.clone();
                alert.priority = trigger.priority;
                alert.timeline.push(
                    now,
                    trigger.actor,
                    Event::Deduplicated {
                        summary: trigger.summary,
                    },
                    None,
                );
                (alert, TriggerOutcome::Deduplicated)
            }
            _ => {
                let mut timeline = Timeline::default();
                timeline.push(
                    now,
                    trigger.actor,
                    Event::Triggered {
                        summary: trigger.summary.clone(),
                    },
                    None,
                );
                let alert = Alert {
                    id: new_id.to_string(),
                    service: trigger.service,
                    dedup_key: trigger.dedup_key,
                    summary: trigger.summary,
                    priority: trigger.priority,
                    status: AlertStatus::Triggered,
                    created_at: now,
                    acknowledged_by: None,
                    snoozed_until: None,
                    escalation: EscalationState::start(now),
                    timeline,
                };
                (alert, TriggerOutcome::Opened)
            }
        }
    }

    /// Everyone paged for this alert so far, in order, repeats included.
    pub fn paged(&self) -> Vec<String> {
        self.timeline
            .entries()
            .iter()
            .filter_map(|e| match &e.event {
                Event::Notified { people, .. } => Some(people.iter().cloned()),
                _ => None,
            })
            .flatten()
            .collect()
    }

    /// Who resolved it (the actor of the `Resolved` entry), if resolved.
    pub fn resolved_by(&self) -> Option<&str> {
        self.timeline
            .entries()
            .iter()
            .rev()
            .find(|e| e.event == Event::Resolved)
            .map(|e| e.actor.who.as_str())
    }
}
