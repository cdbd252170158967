//! Routing: every decision of the write path, as pure code. Given an alert
//! as it stands, what happened to it (a trigger, a command, a deadline) and
//! the roster at `now`, core's engine says what the alert becomes, and this
//! module turns that into a [`Plan`]: the alert to store, its next
//! deadline, the stream pages to publish, the push rows to queue and the
//! status pushes to send. Who can be reached (has an enrolled device) is
//! the one fact the engine needs from storage; the store answers it as a
//! [`Reachable`] while planning. A store persists a plan verbatim (SQL only) and
//! the relay acts on it after the commit, so every backend shares these
//! rules and a new one implements SQL alone.

use crate::maintenance::MaintenanceWindow;
use chrono::{DateTime, Utc};
use klaxon_domain::alert::{Command, Event, Maintenance, Outcome, Tick, Trigger, TriggerOutcome};
use klaxon_domain::escalation::{EscalationPolicy, Reachable};
use klaxon_domain::wire::{AlertDetails, Page};
use klaxon_domain::{Alert, AlertStatus, Roster};

/// What a plan is made against: the roster, the instant, and whether
/// pages also go out as pushes. One per write, borrowed by every plan in it.
#[derive(Debug, Clone, Copy)]
pub struct PlanContext<'a> {
    /// Services, policies and schedules.
    pub roster: &'a Roster,
    /// The instant of the write: timers run to it, queued pushes are due at it.
    pub now: DateTime<Utc>,
    /// Whether a pusher is configured: without one the relay keeps no push
    /// rows, so a relay without APNs/FCM never accumulates them.
    pub push: bool,
    /// The maintenance windows that have not ended: an alert of a service
    /// one covers at `now` pages nobody.
    pub maintenance: &'a [MaintenanceWindow],
}

/// A page to send: one fired step of an alert (or its re-notification,
/// `page.renotify` > 0), and the people it rings.
#[derive(Debug, Clone)]
pub struct PlannedPage {
    /// The page as the alert stands after the step.
    pub page: Page,
    /// Person ids rung, in target order (empty when every target schedule
    /// had a gap or nobody could be reached: the step still counts).
    pub people: Vec<String>,
    /// People the step paged who have no enrolled device: nobody is rung
    /// for them, the relay warns and counts them.
    pub unreachable: Vec<String>,
}

/// Status-update pushes: tell the devices that were pushed a page of an
/// alert that it moved on (acknowledged, snoozed, resolved, or escalated
/// past their person), so their ringing notification is replaced silently.
#[derive(Debug, Clone)]
pub struct StatusPushes {
    /// The alert as it now stands, marked `status_update` (one row per
    /// alert, revision and device).
    pub page: Page,
    /// People the same write pages again: their page push rings them, so
    /// they get no status push.
    pub except: Vec<String>,
    /// The alert is resolved: forget which devices were paged, nothing
    /// more will be pushed for it.
    pub forget_paged: bool,
}

/// Everything one change of one alert writes and then sets off; a store
/// persists it as it is, in one transaction with the rest of its write.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The alert to store, with its timeline.
    pub alert: Alert,
    /// Its details (links, runbook), stored beside it.
    pub details: AlertDetails,
    /// The deadline row to keep, Unix ms rounded up (see [`deadline_ms`]);
    /// `None` deletes it.
    pub deadline_ms: Option<i64>,
    /// Steps that fired, then a re-notification of the current step:
    /// published to streams after the commit and, when `push` is set,
    /// queued for every push-registered device of their people.
    pub pages: Vec<PlannedPage>,
    /// Whether `pages` are queued for push too.
    pub push: bool,
    /// Status pushes to queue; their devices' page pushes still waiting are
    /// dropped (the update supersedes them).
    pub status_pushes: Option<StatusPushes>,
    /// When queued pushes are due (Unix ms): at once.
    pub now_ms: i64,
    /// Seconds from opening to this acknowledgement, when it is a fresh one.
    pub ack_seconds: Option<f64>,
    /// Seconds a fired deadline was late, when a deadline fired pages.
    pub lag_seconds: Option<f64>,
}

/// What running a claimed deadline comes to.
// Returned once and matched at once: boxing the plan would cost an
// allocation per fired step for no saving.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum TickPlan {
    /// The alert moved on: persist this.
    Write(Plan),
    /// Nothing moved (an early wake-up, or a stale row): only set the
    /// deadline row to this (Unix ms), or delete it.
    Reschedule(Option<i64>),
}

/// A deadline in whole milliseconds, rounded up: a row claimed at its
/// `due_ms` must never be claimed before the engine's own deadline (a
/// claim a fraction of a millisecond early would find nothing to fire).
pub fn deadline_ms(at: DateTime<Utc>) -> i64 {
    let whole = at.timestamp_millis();
    if at.timestamp_subsec_nanos().is_multiple_of(1_000_000) {
        whole
    } else {
        whole + 1
    }
}

/// The policy of an alert's service. A service removed from the roster
/// since the alert opened pages nobody rather than failing.
pub fn policy_for<'r>(roster: &'r Roster, service: &str) -> Option<&'r EscalationPolicy> {
    roster
        .service(service)
        .and_then(|s| roster.policy(&s.policy))
}

/// The policy that pages nobody, for an alert whose service is gone.
static NO_POLICY: EscalationPolicy = EscalationPolicy {
    id: String::new(),
    repeat: 0,
    steps: Vec::new(),
    renotify: None,
};

/// Runs the alert's timers to `now`, reaching whom `reachable` says, held
/// back by a maintenance window that covers its service.
fn tick(alert: Alert, ctx: &PlanContext<'_>, reachable: Reachable<'_>) -> Tick {
    let policy = policy_for(ctx.roster, &alert.service).unwrap_or(&NO_POLICY);
    let window = ctx
        .maintenance
        .iter()
        .filter(|w| w.covers(&alert.service, ctx.now))
        .max_by_key(|w| w.end)
        .map(|w| Maintenance {
            id: w.id.clone(),
            until: w.end,
        });
    alert.tick_in(policy, ctx.roster, ctx.now, reachable, window.as_ref())
}

/// Plans a trigger: opens an alert (id `new_id`) or updates `open`, the
/// open alert with its (service, dedup key); a new alert's first step fires
/// at once. `None` when nothing changed (a re-send of what it already says).
pub fn plan_trigger(
    open: Option<Alert>,
    new_id: &str,
    trigger: Trigger,
    details: AlertDetails,
    ctx: &PlanContext<'_>,
    reachable: Reachable<'_>,
) -> (Option<Plan>, TriggerOutcome) {
    let before = open.clone();
    let (alert, outcome) = Alert::trigger(open, new_id, trigger, ctx.now);
    let tick = tick(alert, ctx, reachable);
    (plan(before, tick, details, ctx, None), outcome)
}

/// Plans a command on `alert`, then runs its timers (an escalate fires the
/// next step at once; an acknowledgement clears the deadline). `None` when
/// the command left the alert as it was (a duplicate, a refusal).
pub fn plan_command(
    alert: Alert,
    details: AlertDetails,
    cmd: &Command,
    ctx: &PlanContext<'_>,
    reachable: Reachable<'_>,
) -> (Option<Plan>, Outcome) {
    let before = alert.clone();
    let policy = policy_for(ctx.roster, &alert.service).unwrap_or(&NO_POLICY);
    let (alert, outcome) = alert.apply(cmd, policy, ctx.now);
    let plan = plan(
        Some(before),
        tick(alert, ctx, reachable),
        details,
        ctx,
        None,
    );
    (plan, outcome)
}

/// Plans a claimed deadline (due at `due_ms`): the step, snooze end or
/// re-notification it stands for, or, when nothing is due after all, where
/// the row moves.
pub fn plan_tick(
    alert: Alert,
    details: AlertDetails,
    due_ms: i64,
    ctx: &PlanContext<'_>,
    reachable: Reachable<'_>,
) -> TickPlan {
    let before = alert.clone();
    let tick = tick(alert, ctx, reachable);
    let now_ms = ctx.now.timestamp_millis();
    let lag = (!tick.pages.is_empty()).then(|| (now_ms - due_ms).max(0) as f64 / 1000.0);
    let next = tick.next_deadline;
    match plan(Some(before), tick, details, ctx, lag) {
        Some(plan) => TickPlan::Write(plan),
        // Keep the row consistent with what the engine says is next; one
        // "due now" that fires nothing moves a second out, so a bad row
        // cannot spin the timer.
        None => TickPlan::Reschedule(next.map(|due| {
            if due > ctx.now {
                deadline_ms(due)
            } else {
                now_ms + 1000
            }
        })),
    }
}

/// The plan of `tick` applied to `before`, or `None` when the alert did
/// not change (then nothing is written and nothing goes out).
fn plan(
    before: Option<Alert>,
    tick: Tick,
    details: AlertDetails,
    ctx: &PlanContext<'_>,
    lag_seconds: Option<f64>,
) -> Option<Plan> {
    if before.as_ref() == Some(&tick.alert) {
        return None;
    }
    let alert = tick.alert;
    let before_status = before.map(|b| b.status);
    let status_pushes = match before_status {
        Some(status) if ctx.push => status_pushes(status, &alert, &tick.pages, &details, ctx),
        _ => None,
    };
    let mut pages: Vec<PlannedPage> = tick
        .pages
        .into_iter()
        .map(|step| PlannedPage {
            page: page_of(&alert, &details, step.step_seq, ctx.roster),
            people: step.reached().cloned().collect(),
            unreachable: step.unreachable,
        })
        .collect();
    if let Some(again) = tick.renotified {
        pages.push(PlannedPage {
            page: Page {
                renotify: again.count,
                ..page_of(&alert, &details, again.step_seq, ctx.roster)
            },
            people: again.people,
            unreachable: Vec::new(),
        });
    }
    Some(Plan {
        ack_seconds: before_status.and_then(|status| ack_seconds(status, &alert, ctx.now)),
        deadline_ms: tick.next_deadline.map(deadline_ms),
        alert,
        details,
        pages,
        push: ctx.push,
        status_pushes,
        now_ms: ctx.now.timestamp_millis(),
        lag_seconds,
    })
}

/// Who hears that an alert moved on: when it left `triggered` or changed
/// state (acknowledged, snoozed, resolved), every device that was pushed a
/// page of it; when a later step fired (escalated by a timer or by
/// someone), those devices whose person that step does not page. A step
/// that rang nobody (every target schedule in a gap, or nobody with a
/// device) leaves the earlier rings ringing: someone must still be paged.
fn status_pushes(
    before: AlertStatus,
    alert: &Alert,
    fired: &[klaxon_domain::escalation::StepPage],
    details: &AlertDetails,
    ctx: &PlanContext<'_>,
) -> Option<StatusPushes> {
    let moved_on = alert.status != before && alert.status != AlertStatus::Triggered;
    // Only people a step rang take over: one whose people all had no
    // device leaves the earlier rings ringing, as a gap does.
    let paged_now = fired.iter().flat_map(|step| step.reached());
    let escalated = alert.status == AlertStatus::Triggered && paged_now.clone().next().is_some();
    if !moved_on && !escalated {
        return None;
    }
    Some(StatusPushes {
        page: status_page_for(alert, details, ctx.roster),
        except: if moved_on {
            Vec::new()
        } else {
            paged_now.cloned().collect()
        },
        forget_paged: alert.status == AlertStatus::Resolved,
    })
}

/// Seconds from opening to acknowledgement, when `after` is a fresh
/// acknowledgement of an alert that was `before`.
pub fn ack_seconds(before: AlertStatus, after: &Alert, now: DateTime<Utc>) -> Option<f64> {
    (before == AlertStatus::Triggered && after.status == AlertStatus::Acknowledged)
        .then(|| (now - after.created_at).num_milliseconds() as f64 / 1000.0)
}

/// The status-update push of an alert that moved on (acknowledged,
/// resolved, or escalated past the device's person): the alert as it
/// stands now, at its latest step, marked so the phone never rings for it
/// (docs/push.md, "Status updates").
pub fn status_page_for(alert: &Alert, details: &AlertDetails, roster: &Roster) -> Page {
    Page {
        status_update: true,
        ..page_of(alert, details, latest_step_seq(alert), roster)
    }
}

/// The `step_seq` of the alert's latest firing (0 before any).
pub fn latest_step_seq(alert: &Alert) -> u32 {
    alert
        .timeline
        .entries()
        .iter()
        .rev()
        .find_map(|entry| match &entry.event {
            Event::Notified { step_seq, .. } => Some(*step_seq),
            _ => None,
        })
        .unwrap_or(0)
}

/// The page of step `step_seq`, from the alert as it stands after it; the
/// runbook is the event's, else the service's.
pub fn page_of(alert: &Alert, details: &AlertDetails, step_seq: u32, roster: &Roster) -> Page {
    let service = roster.service(&alert.service);
    Page {
        alert: alert.id.clone(),
        step_seq,
        service: alert.service.clone(),
        service_name: service.map_or_else(|| alert.service.clone(), |s| s.name.clone()),
        dedup_key: alert.dedup_key.clone(),
        summary: alert.summary.clone(),
        priority: alert.priority,
        status: alert.status,
        revision: alert.timeline.revision(),
        runbook: details
            .runbook
            .clone()
            .or_else(|| service.and_then(|s| s.runbook.clone())),
        status_update: false,
        renotify: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use klaxon_domain::alert::{Action, Actor};
    use klaxon_domain::escalation::everyone;
    use klaxon_domain::Priority;

    fn roster() -> Roster {
        Roster::parse(klaxon_testkit::fixtures::RELAY_ROSTER).unwrap()
    }

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_225_600 + secs, 0).unwrap()
    }

    /// A plan context `secs` after the test's epoch.
    fn ctx(roster: &Roster, secs: i64, push: bool) -> PlanContext<'_> {
        PlanContext {
            roster,
            now: at(secs),
            push,
            maintenance: &[],
        }
    }

    fn trigger() -> Trigger {
        Trigger {
            service: "api".into(),
            dedup_key: "disk".into(),
            summary: "disk full".into(),
            priority: Priority::High,
            actor: Actor::integration("events_v2"),
        }
    }

    fn opened(roster: &Roster, push: bool) -> Plan {
        let ctx = ctx(roster, 0, push);
        let (plan, outcome) = plan_trigger(
            None,
            "a1",
            trigger(),
            AlertDetails::default(),
            &ctx,
            &everyone,
        );
        assert_eq!(outcome, TriggerOutcome::Opened);
        plan.unwrap()
    }

    /// A new alert's plan pages step 1 at once, with the page built from the
    /// alert as it stands, and keeps a deadline for step 2.
    #[test]
    fn a_trigger_plans_its_first_page_and_the_next_deadline() {
        let roster = roster();
        let plan = opened(&roster, true);
        assert_eq!(plan.pages.len(), 1);
        assert_eq!(plan.pages[0].people, ["alice"]);
        assert_eq!(plan.pages[0].page.step_seq, 1);
        assert_eq!(plan.pages[0].page.service_name, "Public API");
        assert!(plan.push && plan.status_pushes.is_none());
        assert_eq!(plan.deadline_ms, Some(at(2).timestamp_millis()));
        // Without a pusher nothing is queued for push.
        assert!(!opened(&roster, false).push);
    }

    /// A re-send of the same trigger changes nothing: no plan, no write.
    #[test]
    fn a_repeated_trigger_plans_nothing() {
        let roster = roster();
        let plan = opened(&roster, true);
        let ctx = ctx(&roster, 1, true);
        let (again, outcome) = plan_trigger(
            Some(plan.alert),
            "",
            trigger(),
            AlertDetails::default(),
            &ctx,
            &everyone,
        );
        assert_eq!(outcome, TriggerOutcome::Deduplicated);
        assert!(again.is_none());
    }

    /// An acknowledgement tells every paged device (no exceptions), clears
    /// the deadline and reports the time to acknowledge.
    #[test]
    fn an_acknowledgement_plans_status_pushes_and_clears_the_deadline() {
        let roster = roster();
        let plan = opened(&roster, true);
        let ctx = ctx(&roster, 1, true);
        let cmd = Command {
            action: Action::Acknowledge,
            actor: Actor::device("alice"),
            key: None,
            seen: None,
        };
        let (ack, outcome) = plan_command(plan.alert, plan.details, &cmd, &ctx, &everyone);
        assert_eq!(outcome, Outcome::Applied);
        let ack = ack.unwrap();
        assert_eq!(ack.deadline_ms, None);
        assert_eq!(ack.ack_seconds, Some(1.0));
        let status = ack.status_pushes.unwrap();
        assert!(status.page.status_update && status.except.is_empty());
        assert!(!status.forget_paged);
    }

    /// A deadline claimed early fires nothing and only moves the row; one
    /// claimed on time fires step 2, reports its lag, and tells the devices
    /// step 1 paged (but not bob's, whom step 2 pages).
    #[test]
    fn a_tick_reschedules_or_escalates() {
        let roster = roster();
        let plan = opened(&roster, true);
        let due = at(2).timestamp_millis();
        let early = ctx(&roster, 1, true);
        let rescheduled = plan_tick(
            plan.alert.clone(),
            plan.details.clone(),
            due,
            &early,
            &everyone,
        );
        assert!(matches!(rescheduled, TickPlan::Reschedule(Some(ms)) if ms == due));
        let late = ctx(&roster, 3, true);
        let TickPlan::Write(fired) = plan_tick(plan.alert, plan.details, due, &late, &everyone)
        else {
            panic!("step 2 did not fire");
        };
        assert_eq!(fired.pages[0].people, ["bob"]);
        assert_eq!(fired.lag_seconds, Some(1.0));
        assert_eq!(fired.status_pushes.unwrap().except, ["bob"]);
    }
}
