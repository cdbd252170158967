//! The transition rules: applying a person's command to an alert, and the
//! timers (escalation steps, snooze expiry) that move it when nobody acts.
//! Both take the current alert by value and return the next one.

use super::action::{Action, Actor, Command, Outcome, Rejection, MAX_SNOOZE};
use super::timeline::Event;
use super::{Alert, AlertStatus};
use crate::escalation::{self, EscalationPolicy, StepPage};
use crate::roster::Roster;
use chrono::{DateTime, Utc};

/// What the timers did at one evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tick {
    /// The alert afterwards.
    pub alert: Alert,
    /// Steps that fired now: page these people.
    pub pages: Vec<StepPage>,
    /// When to evaluate again (next step or snooze end); `None`: nothing pending.
    pub next_deadline: Option<DateTime<Utc>>,
}

impl Alert {
    /// Applies a person's command at `now`. Pure: returns the next alert
    /// and what the command came to; a duplicate key, an action that finds
    /// the alert already in its target state, or a rejected one leave the
    /// alert untouched. Conflict rules: docs/core-alerts.md.
    pub fn apply(
        mut self,
        cmd: &Command,
        policy: &EscalationPolicy,
        now: DateTime<Utc>,
    ) -> (Alert, Outcome) {
        if let Some(key) = &cmd.key {
            if self.timeline.has_key(key) {
                return (self, Outcome::Duplicate);
            }
        }
        if self.status == AlertStatus::Resolved {
            let outcome = match cmd.action {
                Action::Resolve => Outcome::AlreadyInState,
                _ => Outcome::Rejected(Rejection::AlreadyResolved {
                    by: self.resolved_by().unwrap_or("someone").to_string(),
                }),
            };
            return (self, outcome);
        }
        let who = cmd.actor.who.clone();
        let event = match &cmd.action {
            Action::Acknowledge => {
                if self.status == AlertStatus::Acknowledged {
                    // The first acknowledgement wins; a second one (another
                    // device of the same person, or a colleague) changes nothing.
                    return (self, Outcome::AlreadyInState);
                }
                self.status = AlertStatus::Acknowledged;
                self.acknowledged_by = Some(who);
                self.snoozed_until = None;
                Event::Acknowledged
            }
            Action::Resolve => {
                self.status = AlertStatus::Resolved;
                self.snoozed_until = None;
                Event::Resolved
            }
            Action::Escalate | Action::Decline => {
                if self.escalated_since(cmd) {
                    // The escalation this person asked for already happened
                    // (a timer, or their other device): do not skip a step.
                    return (self, Outcome::AlreadyInState);
                }
                if let Some(by) = self.acknowledged_unseen_by(cmd) {
                    return (
                        self,
                        Outcome::Rejected(Rejection::AcknowledgedByOther { by }),
                    );
                }
                let Some(next) = escalation::skip_to_next_step(policy, &self.escalation, now)
                else {
                    // No step is left to fire: moving on would leave the
                    // alert open with nobody paged. The person keeps it.
                    return (self, Outcome::Rejected(Rejection::NobodyLeftToPage));
                };
                self.status = AlertStatus::Triggered;
                self.acknowledged_by = None;
                self.snoozed_until = None;
                self.escalation = next;
                if cmd.action == Action::Decline {
                    Event::Declined
                } else {
                    Event::Escalated
                }
            }
            Action::Snooze { until } => {
                if *until <= now {
                    return (self, Outcome::Rejected(Rejection::SnoozeNotInFuture));
                }
                if *until - now > MAX_SNOOZE {
                    return (self, Outcome::Rejected(Rejection::SnoozeTooLong));
                }
                if self.snoozed_until == Some(*until) {
                    return (self, Outcome::AlreadyInState);
                }
                self.status = AlertStatus::Acknowledged;
                self.acknowledged_by = Some(who);
                self.snoozed_until = Some(*until);
                Event::Snoozed { until: *until }
            }
        };
        self.timeline
            .push(now, cmd.actor.clone(), event, cmd.key.clone());
        (self, Outcome::Applied)
    }

    /// Runs the timers at `now`: a snooze that ran out re-triggers the alert
    /// from the first step; a triggered alert's escalation advances, and the
    /// steps that fire are recorded and returned for paging. Calling it early
    /// or twice at the same instant changes nothing.
    pub fn tick(mut self, policy: &EscalationPolicy, roster: &Roster, now: DateTime<Utc>) -> Tick {
        if self.status == AlertStatus::Acknowledged {
            match self.snoozed_until {
                Some(until) if until <= now => {
                    self.status = AlertStatus::Triggered;
                    self.acknowledged_by = None;
                    self.snoozed_until = None;
                    self.escalation = self.escalation.restart(until);
                    self.timeline
                        .push(until, Actor::relay(), Event::SnoozeExpired, None);
                }
                snoozed => {
                    return Tick {
                        alert: self,
                        pages: Vec::new(),
                        next_deadline: snoozed,
                    };
                }
            }
        }
        if self.status != AlertStatus::Triggered {
            return Tick {
                alert: self,
                pages: Vec::new(),
                next_deadline: None,
            };
        }
        let decision = escalation::advance(policy, &self.escalation, roster, now);
        for page in &decision.pages {
            self.timeline.push(
                page.at,
                Actor::relay(),
                Event::Notified {
                    step_seq: page.step_seq,
                    pass: page.pass,
                    step: page.step,
                    people: page.people.clone(),
                },
                None,
            );
        }
        if decision.exhausted_now {
            self.timeline
                .push(now, Actor::relay(), Event::PolicyExhausted, None);
        }
        self.escalation = decision.state;
        Tick {
            alert: self,
            pages: decision.pages,
            next_deadline: decision.next_deadline,
        }
    }

    /// Escalate/decline conflict rule 1: a step fired after the state the
    /// person saw, and it paged someone else, so what they asked for (move
    /// on from the page they were looking at) has happened.
    fn escalated_since(&self, cmd: &Command) -> bool {
        let Some(seen) = cmd.seen else {
            return false;
        };
        let newer = self.timeline.since(seen);
        let mut moved_on = false;
        for entry in newer {
            match &entry.event {
                // Paged again after what they saw: their escalate is about
                // this newest page, so it still has to take effect.
                Event::Notified { people, .. } if people.contains(&cmd.actor.who) => {
                    moved_on = false
                }
                Event::Notified { .. } | Event::Escalated | Event::Declined => moved_on = true,
                _ => {}
            }
        }
        moved_on
    }

    /// Escalate/decline conflict rule 2: someone else acknowledged (or
    /// snoozed) after the state the person saw. Their acknowledgement stands.
    fn acknowledged_unseen_by(&self, cmd: &Command) -> Option<String> {
        let by = self.acknowledged_by.as_ref()?;
        if self.status != AlertStatus::Acknowledged || *by == cmd.actor.who {
            return None;
        }
        let seen = cmd.seen?;
        let unseen = self
            .timeline
            .since(seen)
            .iter()
            .any(|e| matches!(e.event, Event::Acknowledged | Event::Snoozed { .. }));
        unseen.then(|| by.clone())
    }
}
