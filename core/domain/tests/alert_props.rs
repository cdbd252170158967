//! Property tests of the alert state machine and the escalation engine:
//! an action applied twice has the effect of once; the timeline is
//! append-only and ordered; deadlines never move backwards; and any sequence
//! of actions, timers and clock jumps ends in a state the rules can reach.

use chrono::{DateTime, Duration, Utc};
use klaxon_domain::alert::{
    Action, Actor, Alert, AlertStatus, Command, Event, IdempotencyKey, TimelineEntry, Trigger,
    MAX_SNOOZE,
};
use klaxon_domain::escalation::{upcoming, EscalationPolicy};
use klaxon_domain::{Priority, Roster};
use proptest::prelude::*;
use std::sync::LazyLock;

static ROSTER: LazyLock<Roster> = LazyLock::new(|| {
    Roster::parse(include_str!("../../../tests/fixtures/alert-props.toml")).expect("roster parses")
});

fn policy() -> &'static EscalationPolicy {
    ROSTER.policy("infra").expect("policy")
}

fn start() -> DateTime<Utc> {
    // Across the 2026-03-08 DST change in Chicago.
    DateTime::parse_from_rfc3339("2026-03-08T06:30:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

const PEOPLE: [&str; 3] = ["alice", "bob", "carol"];

#[derive(Debug, Clone)]
enum Op {
    /// A person's command; `key` from a small pool so keys repeat.
    Act {
        action: u8,
        person: usize,
        key: u8,
        seen_back: u8,
    },
    /// Timers run after the clock moves by `minutes` (negative: a jump back).
    Tick { minutes: i64 },
    /// The integration fires again with the same key, with one of two
    /// summaries and any priority (often exactly what the alert says).
    Retrigger { summary: u8, priority: u8 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..7, 0usize..3, 0u8..6, 0u8..4).prop_map(|(action, person, key, seen_back)| Op::Act {
            action,
            person,
            key,
            seen_back
        }),
        (-30i64..90).prop_map(|minutes| Op::Tick { minutes }),
        (0u8..2, 0u8..3).prop_map(|(summary, priority)| Op::Retrigger { summary, priority }),
    ]
}

fn command(
    alert: &Alert,
    now: DateTime<Utc>,
    action: u8,
    person: usize,
    key: u8,
    seen_back: u8,
) -> Command {
    let action = match action {
        0 => Action::Acknowledge,
        1 => Action::Escalate,
        2 => Action::Decline,
        3 => Action::Resolve,
        4 => Action::Snooze {
            until: now + Duration::minutes(20),
        },
        5 => Action::Snooze {
            until: now - Duration::minutes(1),
        },
        // Longer than MAX_SNOOZE: always rejected.
        _ => Action::Snooze {
            until: now + Duration::days(30),
        },
    };
    Command {
        action,
        actor: Actor::device(PEOPLE[person]),
        key: Some(IdempotencyKey::new(format!("k{key}"))),
        seen: Some(alert.timeline.revision().saturating_sub(seen_back as u32)),
    }
}

fn trigger() -> Trigger {
    Trigger {
        service: "api".into(),
        dedup_key: "disk".into(),
        summary: "disk full".into(),
        priority: Priority::Critical,
        actor: Actor::integration("pagerduty"),
    }
}

fn retrigger(summary: u8, priority: u8) -> Trigger {
    Trigger {
        summary: ["disk full", "disk 99% full"][summary as usize % 2].into(),
        priority: [Priority::Low, Priority::High, Priority::Critical][priority as usize % 3],
        ..trigger()
    }
}

/// Runs the ops, checking the per-step invariants, and returns every alert
/// along the way.
fn run(ops: &[Op]) -> Result<Vec<Alert>, TestCaseError> {
    let mut now = start();
    let (alert, _) = Alert::trigger(None, "a1", trigger(), now);
    let mut history = vec![alert.clone()];
    let mut alert = alert;
    for op in ops {
        let before = alert.clone();
        alert = match op {
            Op::Act {
                action,
                person,
                key,
                seen_back,
            } => {
                let cmd = command(&alert, now, *action, *person, *key, *seen_back);
                alert.apply(&cmd, policy(), now).0
            }
            Op::Tick { minutes } => {
                now += Duration::minutes(*minutes);
                alert.tick(policy(), &ROSTER, now).alert
            }
            Op::Retrigger { summary, priority } => {
                let t = retrigger(*summary, *priority);
                let same = t.summary == alert.summary && t.priority == alert.priority;
                let (next, _) = Alert::trigger(Some(alert), "a2", t, now);
                if next.id == "a2" {
                    // A new alert after resolve: a separate lifecycle.
                    history.push(next.clone());
                    alert = next;
                    continue;
                }
                if same {
                    prop_assert_eq!(&next, &before, "an identical re-send changes nothing");
                } else {
                    prop_assert_eq!(next.timeline.revision(), before.timeline.revision() + 1);
                }
                next
            }
        };
        check_step(&before, &alert)?;
        history.push(alert.clone());
    }
    Ok(history)
}

/// An entry as first recorded: a `notified` entry without its count of
/// re-notifications (the one thing a later tick updates).
fn recorded(entry: &TimelineEntry) -> TimelineEntry {
    let mut entry = entry.clone();
    if let Event::Notified {
        renotified,
        renotified_at,
        ..
    } = &mut entry.event
    {
        *renotified = 0;
        *renotified_at = None;
    }
    entry
}

/// A `notified` entry's count of re-notifications (0 for other entries).
fn renotified(entry: &TimelineEntry) -> u32 {
    match entry.event {
        Event::Notified { renotified, .. } => renotified,
        _ => 0,
    }
}

/// The transition from `before` to `after` follows the rules.
fn check_step(before: &Alert, after: &Alert) -> Result<(), TestCaseError> {
    // Append-only: the old timeline is a prefix of the new one, but for a
    // step's count of re-notifications, which only grows.
    let old = before.timeline.entries();
    let new = after.timeline.entries();
    prop_assert!(new.len() >= old.len());
    let as_recorded: Vec<TimelineEntry> = new[..old.len()].iter().map(recorded).collect();
    let old_recorded: Vec<TimelineEntry> = old.iter().map(recorded).collect();
    prop_assert_eq!(as_recorded, old_recorded);
    for (was, now) in old.iter().zip(new) {
        prop_assert!(renotified(now) >= renotified(was));
    }
    // Ordered: consecutive seq, non-decreasing time.
    for (i, e) in new.iter().enumerate() {
        prop_assert_eq!(e.seq as usize, i);
    }
    for w in new.windows(2) {
        prop_assert!(w[0].at <= w[1].at);
    }
    // Never backwards, except by an explicit escalate/decline/snooze expiry.
    let rank = |s: AlertStatus| s as u8;
    if rank(after.status) < rank(before.status) {
        prop_assert_eq!(before.status, AlertStatus::Acknowledged);
        prop_assert_eq!(after.status, AlertStatus::Triggered);
        let added = &new[old.len()..];
        prop_assert!(
            added.iter().any(|e| matches!(
                e.event,
                Event::Escalated | Event::Declined | Event::SnoozeExpired
            )),
            "moved back without escalate/decline/snooze expiry: {:?}",
            added
        );
    }
    if before.status == AlertStatus::Resolved {
        prop_assert_eq!(after, before, "resolved is final");
    }
    // The escalation counter only grows.
    prop_assert!(after.escalation.fired >= before.escalation.fired);
    Ok(())
}

/// The state is the one the timeline's events lead to, and the fields agree.
fn check_reachable(alert: &Alert) -> Result<(), TestCaseError> {
    let mut status = AlertStatus::Triggered;
    let mut fired = 0;
    for e in alert.timeline.entries() {
        match e.event {
            Event::Acknowledged | Event::Snoozed { .. } => status = AlertStatus::Acknowledged,
            Event::Escalated | Event::Declined | Event::SnoozeExpired => {
                status = AlertStatus::Triggered
            }
            Event::Resolved => status = AlertStatus::Resolved,
            Event::Notified { step_seq, .. } => {
                fired += 1;
                prop_assert_eq!(step_seq, fired);
                prop_assert_eq!(
                    status,
                    AlertStatus::Triggered,
                    "only a triggered alert pages"
                );
            }
            Event::Triggered { .. }
            | Event::Deduplicated { .. }
            | Event::PolicyExhausted
            | Event::Suppressed { .. } => {}
        }
    }
    prop_assert_eq!(status, alert.status);
    prop_assert_eq!(fired, alert.escalation.fired);
    // Acknowledged means someone holds it; a resolved alert remembers who did.
    if alert.status == AlertStatus::Acknowledged {
        prop_assert!(alert.acknowledged_by.is_some());
    }
    if alert.status == AlertStatus::Triggered {
        prop_assert!(alert.acknowledged_by.is_none());
    }
    prop_assert!(alert.snoozed_until.is_none() || alert.status == AlertStatus::Acknowledged);
    // No snooze is longer than the cap.
    for e in alert.timeline.entries() {
        if let Event::Snoozed { until } = e.event {
            prop_assert!(
                until - e.at <= MAX_SNOOZE,
                "snoozed from {} until {}",
                e.at,
                until
            );
        }
    }
    // Exhausted since the policy last ran out, unless a snooze expiry has
    // restarted it from the first step since then.
    let mut exhausted = false;
    for e in alert.timeline.entries() {
        match e.event {
            Event::PolicyExhausted => exhausted = true,
            Event::SnoozeExpired => exhausted = false,
            _ => {}
        }
    }
    prop_assert_eq!(exhausted, alert.escalation.exhausted);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_sequence_ends_in_a_reachable_state(ops in prop::collection::vec(op(), 0..40)) {
        for alert in run(&ops)? {
            check_reachable(&alert)?;
        }
    }

    #[test]
    fn an_action_applied_twice_has_the_effect_of_once(
        ops in prop::collection::vec(op(), 0..30),
        action in 0u8..7, person in 0usize..3, seen_back in 0u8..3,
        later in 0i64..120,
    ) {
        let alert = run(&ops)?.pop().unwrap();
        let now = alert.timeline.last().unwrap().at;
        let cmd = command(&alert, now, action, person, 99, seen_back);
        let (once, _) = alert.apply(&cmd, policy(), now);
        let (twice, _) = once.clone().apply(&cmd, policy(), now + Duration::minutes(later));
        prop_assert_eq!(twice, once);
    }

    #[test]
    fn a_trigger_applied_twice_has_the_effect_of_once(
        ops in prop::collection::vec(op(), 0..30),
        summary in 0u8..2, priority in 0u8..3, later in 0i64..120,
    ) {
        let alert = run(&ops)?.pop().unwrap();
        let now = alert.timeline.last().unwrap().at;
        let t = retrigger(summary, priority);
        let (once, _) = Alert::trigger(Some(alert), "a9", t.clone(), now);
        let (twice, _) = Alert::trigger(Some(once.clone()), "a10", t, now + Duration::minutes(later));
        prop_assert_eq!(twice, once);
    }

    #[test]
    fn a_louder_trigger_repages_the_current_step_and_keeps_its_deadline(
        ops in prop::collection::vec(op(), 0..30),
        louder in 1u8..3,
    ) {
        // From any reachable state, settled by a tick: a trigger that raises
        // the priority of a triggered alert whose step has fired pages that
        // step's people again at once, and escalation keeps its deadline.
        let alert = run(&ops)?.pop().unwrap();
        let now = alert.timeline.last().unwrap().at;
        let settled = alert.tick(policy(), &ROSTER, now);
        let alert = settled.alert;
        let priority = [Priority::Low, Priority::High, Priority::Critical][louder as usize];
        if alert.status != AlertStatus::Triggered
            || alert.escalation.exhausted
            || priority <= alert.priority
        {
            return Ok(());
        }
        let (next, _) = Alert::trigger(
            Some(alert.clone()),
            "a9",
            Trigger { priority, ..trigger() },
            now,
        );
        prop_assert_eq!(next.priority, priority);
        let tick = next.tick(policy(), &ROSTER, now);
        // The step's deadline stays (a re-notification, if one is due
        // sooner, counts from the new ring).
        let step_deadline = |a: &Alert| upcoming(policy(), &a.escalation, &ROSTER, now).map(|u| u.at);
        prop_assert_eq!(step_deadline(&tick.alert), step_deadline(&alert));
        prop_assert_eq!(tick.pages.len(), 1);
        let page = &tick.pages[0];
        prop_assert_eq!((page.pass, page.step), (alert.escalation.pass, alert.escalation.step));
        prop_assert_eq!(page.step_seq, alert.escalation.fired + 1);
        prop_assert_eq!(tick.alert.escalation.fired_at, alert.escalation.fired_at);
        check_reachable(&tick.alert)?;
        // Once only: the next evaluation at the same instant pages nobody.
        prop_assert!(tick.alert.tick(policy(), &ROSTER, now).pages.is_empty());
    }

    #[test]
    fn escalation_deadlines_never_move_backwards(
        ops in prop::collection::vec(op(), 0..20),
        steps in prop::collection::vec(0i64..20, 1..40),
    ) {
        // From any reachable state, with nobody acting, successive
        // evaluations at later times give non-decreasing deadlines, each
        // after the evaluation that produced it.
        let mut alert = run(&ops)?.pop().unwrap();
        let mut now = alert.timeline.last().unwrap().at;
        let mut last: Option<DateTime<Utc>> = None;
        for minutes in steps {
            now += Duration::minutes(minutes);
            let tick = alert.tick(policy(), &ROSTER, now);
            if let Some(deadline) = tick.next_deadline {
                prop_assert!(deadline > now || tick.alert.escalation.exhausted);
                if let Some(prev) = last {
                    prop_assert!(deadline >= prev, "deadline {deadline} before {prev}");
                }
                last = Some(deadline);
            }
            alert = tick.alert;
        }
    }
}
