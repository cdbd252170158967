//! Escalation policies as the roster declares them.

use std::fmt;
use std::time::Duration;

/// An ordered list of steps; the whole list runs `repeat` more times after
/// the last step before the policy ends with nobody having acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationPolicy {
    /// Unique id, referenced by services.
    pub id: String,
    /// How many times the whole step list runs again after the last step (0..=9).
    pub repeat: u8,
    /// The steps, in order; never empty in a validated roster.
    pub steps: Vec<EscalationStep>,
    /// How often a critical page is sent again to the current step's people
    /// while nobody acknowledges (`None`: never, the roster's `"off"`). A
    /// locked iPhone plays a critical sound once per push, so without this a
    /// page rings for seconds and then waits for the next step.
    pub renotify: Option<Duration>,
}

/// The roster's `renotify` when a policy does not set it.
pub const DEFAULT_RENOTIFY: Duration = Duration::from_secs(60);

/// One step: page its targets, then wait `delay` for an acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationStep {
    /// How long this step waits for an acknowledgement before the next one.
    pub delay: Duration,
    /// Who this step pages; never empty in a validated roster.
    pub targets: Vec<Target>,
}

/// Whom a step pages.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// Whoever is on call in this schedule at the moment the step fires.
    Schedule(String),
    /// This person, always.
    Person(String),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Schedule(id) => write!(f, "schedule:{id}"),
            Target::Person(id) => write!(f, "person:{id}"),
        }
    }
}
