//! Routing: service -> escalation policy -> step -> the people on call at
//! that instant, through core's engine; and teams (which services a person
//! is part of, so a device sees only its teams' alerts). Pure functions,
//! shared by every store backend.

use chrono::{DateTime, Utc};
use klaxon_domain::alert::{Command, Outcome};
use klaxon_domain::escalation::{EscalationPolicy, StepPage, Target};
use klaxon_domain::{Alert, AlertStatus, Roster};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// An alert after the rules ran: what to persist and what to page.
#[derive(Debug, Clone)]
pub struct Advanced {
    /// The alert to store.
    pub alert: Alert,
    /// Steps that fired now.
    pub pages: Vec<StepPage>,
    /// The deadline row to keep (`None`: delete it).
    pub deadline: Option<DateTime<Utc>>,
}

/// The policy of an alert's service. A service removed from the roster
/// since the alert opened pages nobody rather than failing.
pub fn policy_for<'r>(roster: &'r Roster, service: &str) -> Option<&'r EscalationPolicy> {
    roster
        .service(service)
        .and_then(|s| roster.policy(&s.policy))
}

fn empty_policy() -> EscalationPolicy {
    EscalationPolicy {
        id: String::new(),
        repeat: 0,
        steps: Vec::new(),
    }
}

/// Runs the timers at `now` and says what deadline remains.
pub fn advance(alert: Alert, roster: &Roster, now: DateTime<Utc>) -> Advanced {
    let fallback = empty_policy();
    let policy = policy_for(roster, &alert.service).unwrap_or(&fallback);
    let tick = alert.tick(policy, roster, now);
    Advanced {
        alert: tick.alert,
        pages: tick.pages,
        deadline: tick.next_deadline,
    }
}

/// Applies a command, then runs the timers (an escalate fires the next step
/// at once; an acknowledgement clears the deadline).
pub fn apply(
    alert: Alert,
    cmd: &Command,
    roster: &Roster,
    now: DateTime<Utc>,
) -> (Advanced, Outcome) {
    let fallback = empty_policy();
    let policy = policy_for(roster, &alert.service).unwrap_or(&fallback);
    let (alert, outcome) = alert.apply(cmd, policy, now);
    (advance(alert, roster, now), outcome)
}

/// Seconds from opening to acknowledgement, when `after` is a fresh
/// acknowledgement of `before`.
pub fn ack_seconds(before: AlertStatus, after: &Alert, now: DateTime<Utc>) -> Option<f64> {
    (before == AlertStatus::Triggered && after.status == AlertStatus::Acknowledged)
        .then(|| (now - after.created_at).num_milliseconds() as f64 / 1000.0)
}

/// Who is in which team: for each person, the services whose escalation
/// policy can page them (directly, or through a schedule they are in).
#[derive(Debug, Clone, Default)]
pub struct Teams {
    services_of: HashMap<String, Arc<HashSet<String>>>,
    schedules_of: HashMap<String, HashSet<String>>,
}

impl Teams {
    /// Works the teams out from the roster once, at start.
    pub fn from_roster(roster: &Roster) -> Teams {
        // Members of each schedule: layer participants and override additions.
        let mut members: HashMap<&str, HashSet<&str>> = HashMap::new();
        for s in &roster.schedules {
            let set = members.entry(s.id()).or_default();
            for layer in s.layers() {
                set.extend(layer.participants.iter().map(String::as_str));
            }
            for o in s.overrides() {
                set.extend(o.add.iter().map(String::as_str));
            }
        }
        let mut services_of: HashMap<String, HashSet<String>> = HashMap::new();
        let mut schedules_of: HashMap<String, HashSet<String>> = HashMap::new();
        for service in &roster.services {
            let Some(policy) = roster.policy(&service.policy) else {
                continue;
            };
            let mut people: HashSet<&str> = HashSet::new();
            let mut schedules: HashSet<&str> = HashSet::new();
            for step in &policy.steps {
                for target in &step.targets {
                    match target {
                        Target::Person(p) => {
                            people.insert(p);
                        }
                        Target::Schedule(s) => {
                            schedules.insert(s);
                            if let Some(m) = members.get(s.as_str()) {
                                people.extend(m.iter().copied());
                            }
                        }
                    }
                }
            }
            for p in people {
                services_of
                    .entry(p.to_string())
                    .or_default()
                    .insert(service.id.clone());
                schedules_of
                    .entry(p.to_string())
                    .or_default()
                    .extend(schedules.iter().map(|s| s.to_string()));
            }
        }
        Teams {
            services_of: services_of
                .into_iter()
                .map(|(k, v)| (k, Arc::new(v)))
                .collect(),
            schedules_of,
        }
    }

    /// The services whose alerts this person may see.
    pub fn services_of(&self, person: &str) -> Arc<HashSet<String>> {
        self.services_of.get(person).cloned().unwrap_or_default()
    }

    /// The schedules of this person's teams.
    pub fn schedules_of(&self, person: &str) -> HashSet<String> {
        self.schedules_of.get(person).cloned().unwrap_or_default()
    }
}
