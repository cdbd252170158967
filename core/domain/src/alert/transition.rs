//! The transition rules: applying a person's command to an alert, and the
//! timers (escalation steps, snooze expiry, re-notifications of a critical
//! page) that move it when nobody acts.
//! Both take the current alert by value and return the next one.

use super::action::{Action, Actor, Command, Outcome, Rejection, MAX_SNOOZE};
use super::timeline::Event;
use super::{Alert, AlertStatus, Maintenance};
use crate::escalation::{self, EscalationPolicy, Reachable, StepPage};
use crate::roster::Roster;
use crate::Priority;
use chrono::{DateTime, Utc};

/// What the timers did at one evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tick {
    /// The alert afterwards.
    pub alert: Alert,
    /// Steps that fired now: page these people.
    pub pages: Vec<StepPage>,
    /// The current step's page, sent again now (a critical alert nobody
    /// acknowledged, its policy's `renotify` after the last ring).
    pub renotified: Option<Renotification>,
    /// When to evaluate again (next step, snooze end or re-notification);
    /// `None`: nothing pending.
    pub next_deadline: Option<DateTime<Utc>>,
}

/// The current step's page going out again to its people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Renotification {
    /// The ring repeated: the step's `notified` entry, which counts it.
    pub step_seq: u32,
    /// Who is rung again: the people the step rang who are still among its
    /// targets now (a schedule that handed over since rings nobody new and
    /// stops ringing whoever left it). Never empty.
    pub people: Vec<String>,
    /// How many times this step's page has gone out again, this one included.
    pub count: u32,
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
    pub fn tick(self, policy: &EscalationPolicy, roster: &Roster, now: DateTime<Utc>) -> Tick {
        self.tick_reaching(policy, roster, now, &escalation::everyone)
    }

    /// [`Alert::tick`], knowing who can be reached (see
    /// [`escalation::advance_reaching`]): a step that reaches nobody hands
    /// on at once, and its `notified` entry names the people it could not
    /// reach. A critical, triggered alert's current step is also sent again
    /// every policy `renotify` after its last ring, until someone
    /// acknowledges or the step moves on ([`Tick::renotified`]).
    pub fn tick_reaching(
        self,
        policy: &EscalationPolicy,
        roster: &Roster,
        now: DateTime<Utc>,
        reachable: Reachable<'_>,
    ) -> Tick {
        self.tick_in(policy, roster, now, reachable, None)
    }

    /// [`Alert::tick_reaching`], with the service perhaps in a maintenance
    /// window: while `maintenance` lasts (`until` after `now`), a triggered
    /// alert pages nobody and re-notifies nobody; the first time a window
    /// holds it back, the timeline records `suppressed` with the window.
    /// Its next evaluation is the window's end at the latest, when the step
    /// that was due (or is due then) fires at once.
    pub fn tick_in(
        mut self,
        policy: &EscalationPolicy,
        roster: &Roster,
        now: DateTime<Utc>,
        reachable: Reachable<'_>,
        maintenance: Option<&Maintenance>,
    ) -> Tick {
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
                        renotified: None,
                        next_deadline: snoozed,
                    };
                }
            }
        }
        if self.status != AlertStatus::Triggered {
            return Tick {
                alert: self,
                pages: Vec::new(),
                renotified: None,
                next_deadline: None,
            };
        }
        if let Some(window) = maintenance.filter(|m| m.until > now) {
            return self.suppress(policy, now, window);
        }
        let decision =
            escalation::advance_reaching(policy, &self.escalation, roster, now, reachable);
        for page in &decision.pages {
            self.timeline.push(
                page.at,
                Actor::relay(),
                Event::Notified {
                    step_seq: page.step_seq,
                    pass: page.pass,
                    step: page.step,
                    people: page.people.clone(),
                    unreachable: page.unreachable.clone(),
                    renotified: 0,
                    renotified_at: None,
                },
                None,
            );
        }
        if decision.exhausted_now {
            self.timeline
                .push(now, Actor::relay(), Event::PolicyExhausted, None);
        }
        self.escalation = decision.state;
        // A step that fired now has just rung; only a step that rang
        // earlier is rung again.
        let renotified = if decision.pages.is_empty() {
            self.renotify(policy, roster, now)
        } else {
            None
        };
        // A re-notification due but with nobody left on the step to ring
        // waits for the step's own deadline rather than spinning.
        let renotify_at = self.next_renotify(policy).filter(|at| *at > now);
        let next_deadline = match (decision.next_deadline, renotify_at) {
            (Some(step), Some(ring)) => Some(step.min(ring)),
            (step, ring) => step.or(ring),
        };
        Tick {
            alert: self,
            pages: decision.pages,
            renotified,
            next_deadline,
        }
    }

    /// A triggered alert held back by a maintenance window: nothing fires;
    /// `suppressed` is recorded once per window, when something (a step
    /// or a re-notification) would have gone out; the next evaluation is
    /// what was due, or the window's end, whichever is later.
    fn suppress(
        mut self,
        policy: &EscalationPolicy,
        now: DateTime<Utc>,
        window: &Maintenance,
    ) -> Tick {
        let step_due = if self.escalation.exhausted {
            None
        } else {
            match self.escalation.fired_at {
                None => Some(self.escalation.due),
                Some(fired) => policy
                    .steps
                    .get(self.escalation.step as usize)
                    .and_then(|s| chrono::Duration::from_std(s.delay).ok())
                    .and_then(|d| fired.checked_add_signed(d)),
            }
        };
        let due = match (step_due, self.next_renotify(policy)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let recorded =
            self.timeline.entries().iter().any(
                |e| matches!(&e.event, Event::Suppressed { window: w, .. } if *w == window.id),
            );
        if !recorded && due.is_some_and(|d| d <= now) {
            self.timeline.push(
                now,
                Actor::relay(),
                Event::Suppressed {
                    window: window.id.clone(),
                    until: window.until,
                },
                None,
            );
        }
        let next_deadline = due.map(|d| d.max(window.until));
        Tick {
            alert: self,
            pages: Vec::new(),
            renotified: None,
            next_deadline,
        }
    }

    /// The current step's ring, when the alert is one that is re-notified:
    /// critical, triggered, its policy's `renotify` set, the current step
    /// fired and rang somebody. Its `step_seq`, when it (or its latest
    /// re-notification) went out, and the people it rang.
    fn ring_to_repeat(
        &self,
        policy: &EscalationPolicy,
    ) -> Option<(u32, DateTime<Utc>, Vec<String>)> {
        let esc = &self.escalation;
        if self.priority != Priority::Critical
            || self.status != AlertStatus::Triggered
            || esc.exhausted
            || esc.fired_at.is_none()
            || policy.renotify.is_none()
        {
            return None;
        }
        self.timeline
            .entries()
            .iter()
            .rev()
            .find_map(|entry| match &entry.event {
                Event::Notified {
                    step_seq,
                    people,
                    unreachable,
                    renotified_at,
                    ..
                } if *step_seq == esc.fired => {
                    let reached: Vec<String> = people
                        .iter()
                        .filter(|p| !unreachable.contains(p))
                        .cloned()
                        .collect();
                    Some((*step_seq, renotified_at.unwrap_or(entry.at), reached))
                }
                _ => None,
            })
            .filter(|(_, _, reached)| !reached.is_empty())
    }

    /// When the current step's page goes out again if nobody acts: its
    /// policy's `renotify` after the step's latest ring, while that is
    /// before the step's own deadline (then the next step rings instead).
    /// `None` for an alert that is not re-notified (see [`Alert::tick_reaching`]).
    pub fn next_renotify(&self, policy: &EscalationPolicy) -> Option<DateTime<Utc>> {
        let every = chrono::Duration::from_std(policy.renotify?).ok()?;
        let (_, last, _) = self.ring_to_repeat(policy)?;
        let step = policy.steps.get(self.escalation.step as usize)?;
        let step_deadline = self
            .escalation
            .fired_at?
            .checked_add_signed(chrono::Duration::from_std(step.delay).ok()?)?;
        let due = last.checked_add_signed(every)?;
        (due < step_deadline).then_some(due)
    }

    /// Sends the current step's page again when it is due: to the people it
    /// rang who are still among the step's targets at `now`, counted on the
    /// step's `notified` entry.
    fn renotify(
        &mut self,
        policy: &EscalationPolicy,
        roster: &Roster,
        now: DateTime<Utc>,
    ) -> Option<Renotification> {
        if self.next_renotify(policy)? > now {
            return None;
        }
        let (step_seq, _, reached) = self.ring_to_repeat(policy)?;
        let step = policy.steps.get(self.escalation.step as usize)?;
        let on_step = escalation::resolve_targets(roster, &step.targets, now);
        let people: Vec<String> = reached
            .into_iter()
            .filter(|p| on_step.contains(p))
            .collect();
        if people.is_empty() {
            return None;
        }
        let count = self.timeline.count_renotification(step_seq, now)?;
        Some(Renotification {
            step_seq,
            people,
            count,
        })
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
