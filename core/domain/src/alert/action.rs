//! What people and systems do to alerts: the actions, who did them from
//! where, their idempotency keys, and what applying one came to.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where an action or event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A responder's phone or terminal pager.
    Device,
    /// The relay itself (timers: escalation steps, snooze expiry).
    Relay,
    /// A monitoring integration (PagerDuty Events v2, Alertmanager).
    Integration,
}

impl Source {
    /// The lowercase name used in storage and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Device => "device",
            Source::Relay => "relay",
            Source::Integration => "integration",
        }
    }

    /// Parses [`Source::as_str`]'s output.
    pub fn parse(s: &str) -> Option<Source> {
        match s {
            "device" => Some(Source::Device),
            "relay" => Some(Source::Relay),
            "integration" => Some(Source::Integration),
            _ => None,
        }
    }
}

/// Who did something, and from where.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Actor {
    /// A person id for devices; the integration's name; `relay` for timers.
    pub who: String,
    /// Where it came from.
    pub source: Source,
}

impl Actor {
    /// A person acting from one of their devices.
    pub fn device(person: &str) -> Actor {
        Actor {
            who: person.to_string(),
            source: Source::Device,
        }
    }

    /// The relay's own timers.
    pub fn relay() -> Actor {
        Actor {
            who: "relay".to_string(),
            source: Source::Relay,
        }
    }

    /// A monitoring integration such as `pagerduty` or `alertmanager`.
    pub fn integration(name: &str) -> Actor {
        Actor {
            who: name.to_string(),
            source: Source::Integration,
        }
    }
}

/// A client-generated key that makes an action idempotent: applying the
/// same key twice has the effect of applying it once.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// A fresh random key (UUID v4 from the operating system's generator),
    /// unique across devices without coordination.
    pub fn generate() -> IdempotencyKey {
        IdempotencyKey(uuid::Uuid::new_v4().to_string())
    }

    /// Wraps a key received from elsewhere (a request, the store).
    pub fn new(key: impl Into<String>) -> IdempotencyKey {
        IdempotencyKey(key.into())
    }

    /// The key's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a person asks to do with an alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// "I'm on it": stops escalation.
    Acknowledge,
    /// Page the next step now (re-triggers an acknowledged alert).
    Escalate,
    /// "I can't take this": escalates at once without acknowledging.
    Decline,
    /// The problem is fixed; the alert closes for good.
    Resolve,
    /// Acknowledge until `until`, then trigger again from the first step.
    /// `until` must be in the future and at most [`MAX_SNOOZE`] away.
    Snooze {
        /// When the alert re-triggers.
        until: DateTime<Utc>,
    },
}

impl Action {
    /// The lowercase verb, as in the CLI and `--json-events`.
    pub fn verb(&self) -> &'static str {
        match self {
            Action::Acknowledge => "acknowledge",
            Action::Escalate => "escalate",
            Action::Decline => "decline",
            Action::Resolve => "resolve",
            Action::Snooze { .. } => "snooze",
        }
    }
}

/// The longest snooze, counted from when the snooze is applied. A snooze is
/// an acknowledgement that pages nobody until it ends; without a limit one
/// "until 2099" is a permanent, silent acknowledgement of an open alert. A
/// day covers a night or a weekend day of waiting on someone else; after it
/// the alert pages again and the person snoozes again or resolves it.
pub const MAX_SNOOZE: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// An action with everything needed to apply it exactly once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command {
    /// What to do.
    pub action: Action,
    /// Who asks, from where.
    pub actor: Actor,
    /// Makes re-delivery harmless; `None` only for actions that cannot be
    /// re-delivered (an admin at the relay's console).
    pub key: Option<IdempotencyKey>,
    /// The alert revision (timeline length) the person was looking at when
    /// they acted; decides the conflict rules for escalate and decline.
    /// `None` means "act on whatever the state is now".
    pub seen: Option<u32>,
}

/// Why an action could not be applied. Shown to the person who asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Rejection {
    /// The alert was resolved before the action arrived.
    AlreadyResolved {
        /// Who resolved it.
        by: String,
    },
    /// Someone else acknowledged it after the state this person saw; their
    /// acknowledgement stands.
    AcknowledgedByOther {
        /// Who acknowledged it.
        by: String,
    },
    /// A snooze must end in the future.
    SnoozeNotInFuture,
    /// A snooze may last at most [`MAX_SNOOZE`] (24 hours) from when it is
    /// applied.
    SnoozeTooLong,
    /// Escalate or decline with no escalation step left to page: the policy
    /// has run out (or this is its last step). Moving on would leave the
    /// alert open with nobody's phone ringing, so the person keeps the page.
    NobodyLeftToPage,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::AlreadyResolved { by } => write!(f, "already resolved by {by}"),
            Rejection::AcknowledgedByOther { by } => write!(f, "{by} acknowledged it meanwhile"),
            Rejection::SnoozeNotInFuture => f.write_str("a snooze must end in the future"),
            Rejection::SnoozeTooLong => write!(
                f,
                "a snooze may last at most {} hours",
                MAX_SNOOZE.num_hours()
            ),
            Rejection::NobodyLeftToPage => f.write_str(
                "nobody is left to escalate to (the escalation policy has no further step); the page stays with you",
            ),
        }
    }
}

/// What applying a command came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// The alert changed and the timeline recorded it.
    Applied,
    /// This idempotency key was applied before; nothing changed again.
    Duplicate,
    /// The alert is already where the action would take it (acknowledging
    /// an acknowledged alert, escalating one that escalated since you looked).
    AlreadyInState,
    /// The action is impossible now; nothing changed.
    Rejected(Rejection),
}

impl Outcome {
    /// True when the sender should treat the action as done successfully.
    pub fn is_success(&self) -> bool {
        !matches!(self, Outcome::Rejected(_))
    }
}
