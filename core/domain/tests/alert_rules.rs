//! The alert lifecycle, the escalation engine and the conflict rules, case
//! by case, against a real roster (docs/core-alerts.md states the rules).

use chrono::{DateTime, Duration, Utc};
use klaxon_domain::alert::{
    Action, Actor, Alert, AlertStatus, Command, Event, IdempotencyKey, Outcome, Rejection, Trigger,
    TriggerOutcome,
};
use klaxon_domain::escalation::{self, EscalationPolicy};
use klaxon_domain::{Priority, Roster};

/// The tests' team: `tests/fixtures/alerts.toml` (alice and bob daily in
/// Chicago; policies `infra` and `oncall-only`; service `api`).
const ROSTER: &str = include_str!("../../../tests/fixtures/alerts.toml");

fn roster() -> Roster {
    Roster::parse(ROSTER).expect("test roster parses")
}

fn policy<'r>(roster: &'r Roster, id: &str) -> &'r EscalationPolicy {
    roster.policy(id).expect("policy exists")
}

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&Utc)
}

fn trigger(key: &str) -> Trigger {
    Trigger {
        service: "api".into(),
        dedup_key: key.into(),
        summary: "5xx rate above 5%".into(),
        priority: Priority::Critical,
        actor: Actor::integration("pagerduty"),
    }
}

fn cmd(action: Action, person: &str, key: &str, seen: Option<u32>) -> Command {
    Command {
        action,
        actor: Actor::device(person),
        key: Some(IdempotencyKey::new(key)),
        seen,
    }
}

/// Tuesday 2026-01-06 10:00 Chicago (16:00Z): bob's day (alice had Monday).
fn tuesday() -> DateTime<Utc> {
    at("2026-01-06T16:00:00Z")
}

/// Opens alert `id` from `trigger` at `start` and runs its first tick
/// under `p`: the alert after it.
fn fired(
    p: &EscalationPolicy,
    roster: &Roster,
    id: &str,
    trigger: Trigger,
    start: DateTime<Utc>,
) -> Alert {
    let (alert, _) = Alert::trigger(None, id, trigger, start);
    alert.tick(p, roster, start).alert
}

/// The usual start: policy `infra`, [`tuesday`], and an alert [`opened`]
/// then (step 1 paged bob).
fn opened_on_tuesday(roster: &Roster) -> (&EscalationPolicy, DateTime<Utc>, Alert) {
    let t = tuesday();
    (policy(roster, "infra"), t, opened(roster, t))
}

/// Opens an alert at `start` and runs its first tick (step 1 pages).
fn opened(roster: &Roster, start: DateTime<Utc>) -> Alert {
    let (alert, outcome) = Alert::trigger(None, "a1", trigger("disk"), start);
    assert_eq!(outcome, TriggerOutcome::Opened);
    alert.tick(policy(roster, "infra"), roster, start).alert
}

#[test]
fn steps_page_in_order_with_delays_repeat_and_then_stop() {
    let roster = roster();
    let p = policy(&roster, "infra");
    // Tuesday 2026-01-06 10:00 Chicago: bob's day (alice had Monday).
    let t = tuesday();
    let (alert, _) = Alert::trigger(None, "a1", trigger("disk"), t);
    let first = alert.tick(p, &roster, t);
    assert_eq!(first.pages.len(), 1);
    assert_eq!(first.pages[0].people, ["bob"]);
    assert_eq!(first.next_deadline, Some(t + Duration::minutes(5)));

    let early = first
        .alert
        .clone()
        .tick(p, &roster, t + Duration::minutes(4));
    assert!(early.pages.is_empty(), "nothing fires before the deadline");
    assert_eq!(early.next_deadline, Some(t + Duration::minutes(5)));

    let second = first.alert.tick(p, &roster, t + Duration::minutes(5));
    assert_eq!(second.pages[0].people, ["carol"]);
    assert_eq!(second.next_deadline, Some(t + Duration::minutes(15)));

    let repeat = second.alert.tick(p, &roster, t + Duration::minutes(15));
    assert_eq!((repeat.pages[0].pass, repeat.pages[0].step), (1, 0));
    assert_eq!(repeat.pages[0].people, ["bob"]);
    let last = repeat.alert.tick(p, &roster, t + Duration::minutes(20));
    assert_eq!(last.pages[0].people, ["carol"]);
    let end = last.alert.tick(p, &roster, t + Duration::minutes(30));
    assert!(end.pages.is_empty());
    assert_eq!(end.next_deadline, None, "the policy is over");
    assert_eq!(
        end.alert.timeline.last().unwrap().event,
        Event::PolicyExhausted
    );
    assert_eq!(
        end.alert.status,
        AlertStatus::Triggered,
        "still open: nobody acknowledged"
    );
    assert_eq!(end.alert.paged(), ["bob", "carol", "bob", "carol"]);
    let step_seqs: Vec<u32> = end
        .alert
        .timeline
        .entries()
        .iter()
        .filter_map(|e| match e.event {
            Event::Notified { step_seq, .. } => Some(step_seq),
            _ => None,
        })
        .collect();
    assert_eq!(
        step_seqs,
        [1, 2, 3, 4],
        "every firing has its own ring identity"
    );
}

#[test]
fn a_step_that_fires_after_a_handoff_pages_the_new_on_call_person() {
    let roster = roster();
    let p = policy(&roster, "oncall-only");
    // Tuesday 08:57 Chicago (CST, UTC-6): alice is on call until 09:00.
    let t = at("2026-01-06T14:57:00Z");
    let (alert, _) = Alert::trigger(None, "a1", trigger("disk"), t);
    let first = alert.tick(p, &roster, t);
    assert_eq!(first.pages[0].people, ["alice"]);
    // The repeat fires at 09:02, after the 09:00 handoff: bob is paged.
    let upcoming = escalation::upcoming(p, &first.alert.escalation, &roster, t).unwrap();
    assert_eq!(
        upcoming.people,
        ["bob"],
        "the preview resolves the schedule at the deadline"
    );
    assert_eq!(
        upcoming.describe(&roster, t + Duration::seconds(28)),
        "escalates to Bob Okafor in 4:32"
    );
    // Rounded up: 4:31.5 left still reads 4:32; an hour up shows hours; due
    // is "now", never 0:00.
    assert_eq!(
        upcoming
            .countdown(t + Duration::milliseconds(28_500))
            .as_deref(),
        Some("4:32")
    );
    assert_eq!(
        upcoming.countdown(t - Duration::seconds(3425)).as_deref(),
        Some("1:02:05")
    );
    assert_eq!(upcoming.countdown(upcoming.at), None);
    assert_eq!(
        upcoming.describe(&roster, upcoming.at),
        "escalating to Bob Okafor now"
    );
    let second = first.alert.tick(p, &roster, t + Duration::minutes(5));
    assert_eq!(second.pages[0].people, ["bob"]);
}

#[test]
fn handoffs_across_the_dst_change_follow_the_wall_clock() {
    let roster = roster();
    let p = policy(&roster, "oncall-only");
    // 2026-03-08: Chicago springs forward at 02:00. The 09:00 handoff is
    // then 14:00Z (CDT), not 15:00Z as the day before.
    let t = at("2026-03-08T13:58:00Z"); // 08:58 CDT
    let schedule = roster.schedule("primary").unwrap();
    let before = schedule.who(t)[0].to_string();
    let (alert, _) = Alert::trigger(None, "a1", trigger("disk"), t);
    let first = alert.tick(p, &roster, t);
    assert_eq!(first.pages[0].people, std::slice::from_ref(&before));
    let second = first.alert.tick(p, &roster, at("2026-03-08T14:03:00Z")); // 09:03 CDT
    assert_eq!(second.pages[0].people.len(), 1);
    assert_ne!(
        second.pages[0].people[0], before,
        "the 09:00 CDT handoff happened at 14:00Z"
    );
    // Monday 2026-01-05 was alice's (k = 0); 2026-03-08 is day 62 -> alice.
    assert_eq!(second.pages[0].people, ["alice"]);
    assert_eq!(before, "bob");
}

#[test]
fn a_late_evaluation_fires_the_overdue_step_now_and_gives_it_its_full_delay() {
    let roster = roster();
    let (p, t, alert) = opened_on_tuesday(&roster);
    // The relay was down for an hour: step 2 fires now, not retroactively.
    let late = t + Duration::minutes(60);
    let tick = alert.tick(p, &roster, late);
    assert_eq!(tick.pages.len(), 1);
    assert_eq!(tick.pages[0].people, ["carol"]);
    assert_eq!(tick.pages[0].at, late);
    assert_eq!(tick.next_deadline, Some(late + Duration::minutes(10)));
}

#[test]
fn a_trigger_for_an_open_key_updates_it_and_after_resolve_opens_a_new_alert() {
    let roster = roster();
    let (p, t, alert) = opened_on_tuesday(&roster);
    let mut again = trigger("disk");
    again.summary = "5xx rate above 20%".into();
    let (alert, outcome) = Alert::trigger(Some(alert), "a2", again, t + Duration::minutes(1));
    assert_eq!(outcome, TriggerOutcome::Deduplicated);
    assert_eq!(alert.id, "a1");
    assert_eq!(alert.summary, "5xx rate above 20%");
    let (alert, _) = alert.apply(
        &cmd(Action::Resolve, "bob", "k1", None),
        p,
        t + Duration::minutes(2),
    );
    let (fresh, outcome) =
        Alert::trigger(Some(alert), "a2", trigger("disk"), t + Duration::minutes(3));
    assert_eq!(outcome, TriggerOutcome::Opened);
    assert_eq!(fresh.id, "a2");
}

#[test]
fn acknowledging_stops_escalation_and_the_same_key_twice_counts_once() {
    let roster = roster();
    let (p, t, alert) = opened_on_tuesday(&roster);
    let ack = cmd(
        Action::Acknowledge,
        "bob",
        "k1",
        Some(alert.timeline.revision()),
    );
    let (acked, outcome) = alert.apply(&ack, p, t + Duration::minutes(1));
    assert_eq!(outcome, Outcome::Applied);
    assert_eq!(acked.acknowledged_by.as_deref(), Some("bob"));
    let (again, outcome) = acked.clone().apply(&ack, p, t + Duration::minutes(2));
    assert_eq!(outcome, Outcome::Duplicate);
    assert_eq!(again, acked);
    let tick = acked.tick(p, &roster, t + Duration::hours(1));
    assert!(tick.pages.is_empty(), "an acknowledged alert pages nobody");
    assert_eq!(tick.next_deadline, None);
}

#[test]
fn conflict_ack_after_someone_else_resolved_is_rejected_with_who() {
    let roster = roster();
    let (p, t, alert) = opened_on_tuesday(&roster);
    let (resolved, _) = alert.apply(&cmd(Action::Resolve, "carol", "k1", None), p, t);
    let (same, outcome) =
        resolved
            .clone()
            .apply(&cmd(Action::Acknowledge, "bob", "k2", Some(2)), p, t);
    assert_eq!(
        outcome,
        Outcome::Rejected(Rejection::AlreadyResolved { by: "carol".into() })
    );
    assert_eq!(same, resolved);
    let (_, outcome) = resolved.apply(&cmd(Action::Resolve, "bob", "k3", Some(2)), p, t);
    assert_eq!(outcome, Outcome::AlreadyInState, "resolving twice is fine");
}

#[test]
fn conflict_ack_after_the_alert_escalated_past_you_is_accepted() {
    let roster = roster();
    let (p, t, alert) = opened_on_tuesday(&roster);
    let seen = alert.timeline.revision();
    let escalated = alert.tick(p, &roster, t + Duration::minutes(5)).alert; // carol paged
    let (acked, outcome) = escalated.apply(
        &cmd(Action::Acknowledge, "bob", "k1", Some(seen)),
        p,
        t + Duration::minutes(6),
    );
    assert_eq!(outcome, Outcome::Applied);
    assert_eq!(acked.acknowledged_by.as_deref(), Some("bob"));
}

#[test]
fn conflict_escalate_after_someone_acknowledged_respects_the_acknowledgement() {
    let roster = roster();
    let (p, t, alert) = opened_on_tuesday(&roster);
    let seen = alert.timeline.revision();
    let (acked, _) = alert.apply(
        &cmd(Action::Acknowledge, "carol", "k1", None),
        p,
        t + Duration::minutes(1),
    );
    // Bob tapped escalate before he could know carol took it: rejected.
    let (unchanged, outcome) = acked.clone().apply(
        &cmd(Action::Escalate, "bob", "k2", Some(seen)),
        p,
        t + Duration::minutes(2),
    );
    assert_eq!(
        outcome,
        Outcome::Rejected(Rejection::AcknowledgedByOther { by: "carol".into() })
    );
    assert_eq!(unchanged, acked);
    // Bob saw the acknowledgement and still escalates: re-triggers, next step.
    let (escalated, outcome) = acked.clone().apply(
        &cmd(
            Action::Escalate,
            "bob",
            "k3",
            Some(acked.timeline.revision()),
        ),
        p,
        t + Duration::minutes(3),
    );
    assert_eq!(outcome, Outcome::Applied);
    assert_eq!(escalated.status, AlertStatus::Triggered);
    assert_eq!(escalated.acknowledged_by, None);
    let tick = escalated.tick(p, &roster, t + Duration::minutes(3));
    assert_eq!(
        tick.pages[0].people,
        ["carol"],
        "the next step fires at once"
    );
    // The acknowledger may hand it on herself.
    let (handed, outcome) = acked.apply(
        &cmd(Action::Escalate, "carol", "k4", Some(seen)),
        p,
        t + Duration::minutes(3),
    );
    assert_eq!(outcome, Outcome::Applied);
    assert_eq!(handed.status, AlertStatus::Triggered);
}

#[test]
fn conflict_two_devices_of_one_person_never_double_escalate() {
    let roster = roster();
    let (p, t, alert) = opened_on_tuesday(&roster);
    let seen = alert.timeline.revision();
    let (once, outcome) = alert.apply(&cmd(Action::Escalate, "bob", "phone", Some(seen)), p, t);
    assert_eq!(outcome, Outcome::Applied);
    let once = once.tick(p, &roster, t).alert; // carol paged
    let (twice, outcome) =
        once.clone()
            .apply(&cmd(Action::Escalate, "bob", "watch", Some(seen)), p, t);
    assert_eq!(
        outcome,
        Outcome::AlreadyInState,
        "the second device's escalate is satisfied"
    );
    assert_eq!(twice, once);
    // Two acknowledgements from the same person: the first counts.
    let (acked, _) = once.apply(&cmd(Action::Acknowledge, "bob", "phone-ack", None), p, t);
    let (acked_twice, outcome) =
        acked
            .clone()
            .apply(&cmd(Action::Acknowledge, "bob", "watch-ack", None), p, t);
    assert_eq!(outcome, Outcome::AlreadyInState);
    assert_eq!(acked_twice, acked);
}

#[test]
fn decline_escalates_at_once_without_acknowledging() {
    let roster = roster();
    let (p, t, alert) = opened_on_tuesday(&roster);
    let (declined, outcome) = alert.apply(
        &cmd(Action::Decline, "bob", "k1", Some(2)),
        p,
        t + Duration::minutes(1),
    );
    assert_eq!(outcome, Outcome::Applied);
    assert_eq!(declined.acknowledged_by, None);
    assert_eq!(declined.status, AlertStatus::Triggered);
    let tick = declined.tick(p, &roster, t + Duration::minutes(1));
    assert_eq!(tick.pages[0].people, ["carol"]);
    let kinds: Vec<&Event> = tick
        .alert
        .timeline
        .entries()
        .iter()
        .map(|e| &e.event)
        .collect();
    assert!(matches!(kinds[2], Event::Declined));
}

#[test]
fn snooze_acknowledges_and_retriggers_from_the_first_step_at_its_time() {
    let roster = roster();
    let (p, t, alert) = opened_on_tuesday(&roster);
    let until = t + Duration::minutes(30);
    let (snoozed, outcome) = alert.apply(&cmd(Action::Snooze { until }, "bob", "k1", None), p, t);
    assert_eq!(outcome, Outcome::Applied);
    assert_eq!(snoozed.status, AlertStatus::Acknowledged);
    let quiet = snoozed.clone().tick(p, &roster, t + Duration::minutes(29));
    assert!(quiet.pages.is_empty());
    assert_eq!(quiet.next_deadline, Some(until));
    let woke = snoozed.tick(p, &roster, until);
    assert_eq!(woke.alert.status, AlertStatus::Triggered);
    assert_eq!(woke.pages.len(), 1);
    assert_eq!(
        (
            woke.pages[0].pass,
            woke.pages[0].step,
            woke.pages[0].step_seq
        ),
        (0, 0, 2)
    );
    assert_eq!(woke.pages[0].people, ["bob"]);
    let (_, outcome) = woke.alert.apply(
        &cmd(Action::Snooze { until: t }, "bob", "k2", None),
        p,
        until,
    );
    assert_eq!(outcome, Outcome::Rejected(Rejection::SnoozeNotInFuture));
}

#[test]
fn every_transition_records_who_when_and_from_where() {
    let roster = roster();
    let (p, t, alert) = opened_on_tuesday(&roster);
    let (alert, _) = alert.apply(
        &cmd(Action::Acknowledge, "bob", "k1", None),
        p,
        t + Duration::minutes(1),
    );
    let (alert, _) = alert.apply(
        &cmd(Action::Resolve, "bob", "k2", None),
        p,
        t + Duration::minutes(2),
    );
    let described: Vec<(String, &str, DateTime<Utc>)> = alert
        .timeline
        .entries()
        .iter()
        .map(|e| {
            (
                format!("{:?}", e.event)
                    .split([' ', '{'])
                    .next()
                    .unwrap()
                    .to_string(),
                e.actor.source.as_str(),
                e.at,
            )
        })
        .collect();
    assert_eq!(
        described,
        [
            ("Triggered".to_string(), "integration", t),
            ("Notified".to_string(), "relay", t),
            (
                "Acknowledged".to_string(),
                "device",
                t + Duration::minutes(1)
            ),
            ("Resolved".to_string(), "device", t + Duration::minutes(2)),
        ]
    );
}

/// Escalates as `who`, having seen the current revision, then runs the
/// timers at the same instant (as the relay does).
fn escalate_now(
    roster: &Roster,
    alert: Alert,
    action: Action,
    who: &str,
    key: &str,
    now: DateTime<Utc>,
) -> (Alert, Outcome, Vec<String>) {
    let p = policy(roster, "infra");
    let seen = Some(alert.timeline.revision());
    let (alert, outcome) = alert.apply(&cmd(action, who, key, seen), p, now);
    let tick = alert.tick(p, roster, now);
    let paged = tick.pages.iter().flat_map(|s| s.people.clone()).collect();
    (tick.alert, outcome, paged)
}

#[test]
fn escalating_at_the_last_step_is_rejected_and_the_person_keeps_the_page() {
    // "infra": two steps (bob's schedule, then carol), repeat 1: four
    // firings in all. Each escalate moves on and pages the next person; the
    // one at the last step of the last pass has nobody to hand over to.
    let roster = roster();
    let p = policy(&roster, "infra");
    let t = tuesday();
    let mut alert = opened(&roster, t);
    let mut who = "bob";
    for (i, next) in ["carol", "bob", "carol"].into_iter().enumerate() {
        let (after, outcome, paged) =
            escalate_now(&roster, alert, Action::Escalate, who, &format!("e{i}"), t);
        assert_eq!(outcome, Outcome::Applied, "escalate {i}");
        assert_eq!(paged, [next], "escalate {i} pages the next step");
        alert = after;
        who = next;
    }
    assert_eq!(alert.escalation.pass, 1);
    assert_eq!(alert.escalation.step, 1);
    let before = alert.clone();
    for (i, action) in [Action::Escalate, Action::Decline, Action::Escalate]
        .into_iter()
        .enumerate()
    {
        let (after, outcome, paged) =
            escalate_now(&roster, alert, action, "carol", &format!("last{i}"), t);
        assert_eq!(outcome, Outcome::Rejected(Rejection::NobodyLeftToPage));
        assert!(paged.is_empty());
        assert_eq!(after, before, "a rejected escalate changes nothing");
        alert = after;
    }
    assert!(!alert.escalation.exhausted);
    assert!(!alert
        .timeline
        .entries()
        .iter()
        .any(|e| e.event == Event::PolicyExhausted));
    assert!(!Outcome::Rejected(Rejection::NobodyLeftToPage).is_success());
    // The last step still runs its timer: nobody acknowledging ends the
    // policy as before, and escalating after that is rejected too.
    let done = alert.tick(p, &roster, t + Duration::minutes(10)).alert;
    assert!(done.escalation.exhausted);
    let (after, outcome, _) = escalate_now(&roster, done.clone(), Action::Escalate, "bob", "x", t);
    assert_eq!(outcome, Outcome::Rejected(Rejection::NobodyLeftToPage));
    assert_eq!(after.timeline, done.timeline);
}

#[test]
fn an_acknowledger_at_the_last_step_keeps_the_alert_when_escalating() {
    let roster = roster();
    let p = policy(&roster, "oncall-only");
    let t = tuesday();
    let (alert, _) = Alert::trigger(None, "a1", trigger("disk"), t);
    // One step, repeat 2: the third firing is the last.
    let mut alert = alert;
    for minutes in [0, 5, 10] {
        alert = alert.tick(p, &roster, t + Duration::minutes(minutes)).alert;
    }
    assert_eq!(alert.escalation.fired, 3);
    let later = t + Duration::minutes(11);
    let (acked, _) = alert.apply(&cmd(Action::Acknowledge, "bob", "k1", None), p, later);
    let (same, outcome) = acked
        .clone()
        .apply(&cmd(Action::Escalate, "bob", "k2", None), p, later);
    assert_eq!(outcome, Outcome::Rejected(Rejection::NobodyLeftToPage));
    assert_eq!(same, acked);
    assert_eq!(same.acknowledged_by.as_deref(), Some("bob"));
    assert!(Rejection::NobodyLeftToPage
        .to_string()
        .starts_with("nobody is left to escalate to"));
}

#[test]
fn an_identical_resend_changes_nothing_and_a_changed_one_is_recorded() {
    let roster = roster();
    let t = tuesday();
    let alert = opened(&roster, t);
    // Alertmanager re-sends a firing alert every repeat_interval.
    let mut same = alert.clone();
    for hours in 1..=24 {
        let (next, outcome) = Alert::trigger(
            Some(same),
            "a2",
            trigger("disk"),
            t + Duration::hours(hours),
        );
        assert_eq!(outcome, TriggerOutcome::Deduplicated);
        same = next;
    }
    assert_eq!(same, alert, "not even the revision moves");

    let mut quieter = trigger("disk");
    quieter.priority = Priority::High;
    let (lowered, _) = Alert::trigger(Some(alert.clone()), "a2", quieter, t);
    assert_eq!(lowered.priority, Priority::High);
    assert_eq!(lowered.timeline.revision(), alert.timeline.revision() + 1);
    assert_eq!(
        lowered.timeline.last().map(|e| &e.event),
        Some(&Event::Deduplicated {
            summary: "5xx rate above 5%".into()
        })
    );
    let tick = lowered.tick(policy(&roster, "infra"), &roster, t + Duration::minutes(1));
    assert!(
        tick.pages.is_empty(),
        "a quieter priority pages nobody again"
    );
}

#[test]
fn a_louder_trigger_repages_the_current_step_once_and_keeps_its_deadline() {
    let roster = roster();
    let p = policy(&roster, "infra");
    let t = tuesday();
    let mut low = trigger("disk");
    low.priority = Priority::Low;
    let alert = fired(p, &roster, "a1", low, t); // bob, quietly
    let t1 = t + Duration::minutes(2);
    let (louder, outcome) = Alert::trigger(Some(alert), "a2", trigger("disk"), t1);
    assert_eq!(outcome, TriggerOutcome::Deduplicated);
    assert_eq!(louder.priority, Priority::Critical);
    let tick = louder.tick(p, &roster, t1);
    assert_eq!(tick.pages.len(), 1);
    assert_eq!(tick.pages[0].people, ["bob"]);
    assert_eq!(
        (
            tick.pages[0].pass,
            tick.pages[0].step,
            tick.pages[0].step_seq
        ),
        (0, 0, 2),
        "the same step, a new ring"
    );
    assert_eq!(tick.pages[0].at, t1);
    assert_eq!(
        tick.next_deadline,
        Some(t + Duration::minutes(5)),
        "escalation is not held back"
    );
    let again = tick
        .alert
        .clone()
        .tick(p, &roster, t1 + Duration::seconds(1));
    assert!(again.pages.is_empty(), "re-paged once");
    let next = tick.alert.tick(p, &roster, t + Duration::minutes(5));
    assert_eq!(next.pages[0].people, ["carol"]);
    assert_eq!(next.pages[0].step_seq, 3);
}

#[test]
fn a_louder_trigger_does_not_repage_an_acknowledged_or_exhausted_alert() {
    let roster = roster();
    let p = policy(&roster, "infra");
    let t = tuesday();
    let mut low = trigger("disk");
    low.priority = Priority::Low;
    let alert = fired(p, &roster, "a1", low, t);
    let (acked, _) = alert
        .clone()
        .apply(&cmd(Action::Acknowledge, "bob", "k1", None), p, t);
    let (louder, _) = Alert::trigger(Some(acked), "a2", trigger("disk"), t);
    assert_eq!(louder.priority, Priority::Critical);
    let tick = louder.tick(p, &roster, t + Duration::minutes(1));
    assert!(tick.pages.is_empty(), "whoever took it already has it");
    assert_eq!(tick.alert.status, AlertStatus::Acknowledged);

    let exhausted = alert.tick(p, &roster, t + Duration::hours(2)).alert;
    let exhausted = exhausted.tick(p, &roster, t + Duration::hours(4)).alert;
    let exhausted = exhausted.tick(p, &roster, t + Duration::hours(6)).alert;
    let exhausted = exhausted.tick(p, &roster, t + Duration::hours(8)).alert;
    assert!(exhausted.escalation.exhausted);
    let (louder, _) = Alert::trigger(
        Some(exhausted),
        "a2",
        trigger("disk"),
        t + Duration::hours(9),
    );
    let tick = louder.tick(p, &roster, t + Duration::hours(9));
    assert!(tick.pages.is_empty(), "an exhausted policy pages nobody");
}

#[test]
fn a_stored_escalation_state_without_repage_still_reads() {
    let state: escalation::EscalationState = serde_json::from_str(
        r#"{"pass":0,"step":1,"due":"2026-01-06T16:00:00Z","fired_at":null,"fired":1,"exhausted":false}"#,
    )
    .unwrap();
    assert!(!state.repage);
    let json = serde_json::to_string(&state).unwrap();
    assert!(
        !json.contains("repage"),
        "written as before while false: {json}"
    );
}

#[test]
fn a_snooze_is_capped_at_a_day() {
    use klaxon_domain::alert::MAX_SNOOZE;
    let roster = roster();
    let (p, t, alert) = opened_on_tuesday(&roster);
    assert_eq!(MAX_SNOOZE, Duration::hours(24));
    for until in [
        at("2099-01-01T00:00:00Z"),
        t + MAX_SNOOZE + Duration::seconds(1),
    ] {
        let (same, outcome) =
            alert
                .clone()
                .apply(&cmd(Action::Snooze { until }, "bob", "k1", None), p, t);
        assert_eq!(outcome, Outcome::Rejected(Rejection::SnoozeTooLong));
        assert_eq!(same, alert, "a rejected snooze changes nothing");
    }
    assert_eq!(
        Rejection::SnoozeTooLong.to_string(),
        "a snooze may last at most 24 hours"
    );
    let until = t + MAX_SNOOZE;
    let (snoozed, outcome) = alert.apply(&cmd(Action::Snooze { until }, "bob", "k2", None), p, t);
    assert_eq!(outcome, Outcome::Applied, "exactly a day is allowed");
    assert_eq!(snoozed.snoozed_until, Some(until));
    // Measured from when it arrives: the same "until", sent later, is shorter.
    let (_, outcome) = snoozed.apply(
        &cmd(
            Action::Snooze {
                until: until + Duration::hours(1),
            },
            "bob",
            "k3",
            None,
        ),
        p,
        t + Duration::hours(1),
    );
    assert_eq!(outcome, Outcome::Applied);
}

/// A business-hours schedule (nights are a gap) and a person after it:
/// `tests/fixtures/office-gap.toml`.
const GAP_ROSTER: &str = include_str!("../../../tests/fixtures/office-gap.toml");

/// The first evaluation of an escalation that starts at `now`.
fn started(p: &EscalationPolicy, roster: &Roster, now: DateTime<Utc>) -> escalation::Escalation {
    escalation::advance(p, &escalation::EscalationState::start(now), roster, now)
}

#[test]
fn a_step_whose_schedule_is_in_a_gap_hands_on_at_once_to_one_that_pages_somebody() {
    let roster = Roster::parse(GAP_ROSTER).unwrap();
    let p = roster.policy("office-then-bob").unwrap();
    // Tuesday 2026-01-06 03:00 UTC: nobody is in the office.
    let night = at("2026-01-06T03:00:00Z");
    let first = started(p, &roster, night);
    let fired: Vec<(u32, Vec<String>)> = first
        .pages
        .iter()
        .map(|pg| (pg.step, pg.people.clone()))
        .collect();
    // The gap is recorded (step 0 paged nobody) and bob is paged at once,
    // not five minutes later; his step then runs its full delay.
    assert_eq!(fired, [(0, vec![]), (1, vec!["bob".to_string()])]);
    assert_eq!(first.next_deadline, Some(night + Duration::minutes(10)));
    // The second pass does the same: the gap hands straight to bob again.
    let again = escalation::advance(p, &first.state, &roster, night + Duration::minutes(10));
    let people: Vec<Vec<String>> = again.pages.iter().map(|pg| pg.people.clone()).collect();
    assert_eq!(people, [vec![], vec!["bob".to_string()]]);
    // What a phone shows before the first step fires, while alice is in the
    // office at 10:00 but the step is due at 17:05 (gap): bob, then.
    let wednesday = at("2026-01-07T16:00:00Z");
    let mut pending = escalation::EscalationState::start(wednesday);
    pending.due = at("2026-01-07T17:05:00Z");
    let up = escalation::upcoming(p, &pending, &roster, wednesday).unwrap();
    assert_eq!((up.step, up.people.clone()), (1, vec!["bob".to_string()]));
    assert_eq!(up.at, at("2026-01-07T17:05:00Z"));
    // In office hours the schedule pages alice and nothing skips.
    let day = at("2026-01-06T10:00:00Z");
    let tick = started(p, &roster, day);
    assert_eq!(tick.pages.len(), 1);
    assert_eq!(tick.pages[0].people, ["alice"]);
}

#[test]
fn when_no_step_ahead_would_page_anybody_the_step_waits_its_delay() {
    let roster = Roster::parse(GAP_ROSTER).unwrap();
    let p = roster.policy("office-only").unwrap();
    // Friday 17:02, after office hours: the first step pages nobody and so
    // would the second. Wait the delay (someone may come on call) rather
    // than exhaust the policy in an instant.
    let evening = at("2026-01-09T17:02:00Z");
    let first = started(p, &roster, evening);
    assert_eq!(first.pages.len(), 1);
    assert!(first.pages[0].people.is_empty());
    assert_eq!(first.next_deadline, Some(evening + Duration::minutes(5)));
    assert!(!first.exhausted_now);
}

/// The `renotified` count and time on the `notified` entry of `step_seq`.
fn renotified(alert: &Alert, step_seq: u32) -> (u32, Option<DateTime<Utc>>) {
    alert
        .timeline
        .entries()
        .iter()
        .find_map(|e| match &e.event {
            Event::Notified {
                step_seq: s,
                renotified,
                renotified_at,
                ..
            } if *s == step_seq => Some((*renotified, *renotified_at)),
            _ => None,
        })
        .expect("a notified entry of that step")
}

#[test]
fn a_critical_page_rings_again_every_renotify_until_the_step_moves_on() {
    let roster = roster();
    let p = policy(&roster, "ringing");
    // Tuesday 10:00 Chicago: bob's day.
    let t = tuesday();
    let (alert, _) = Alert::trigger(None, "a1", trigger("disk"), t);
    let first = alert.tick(p, &roster, t);
    assert_eq!(first.next_deadline, Some(t + Duration::minutes(1)));
    // Early: nothing.
    let early = first
        .alert
        .clone()
        .tick(p, &roster, t + Duration::seconds(59));
    assert_eq!(early.alert, first.alert);
    assert_eq!(early.renotified, None);
    // Every minute: bob again, the count on step 1's entry, the revision
    // unchanged (no new entry), the next minute as the next deadline.
    let mut alert = first.alert;
    for n in 1..=4u32 {
        let now = t + Duration::minutes(i64::from(n));
        let revision = alert.timeline.revision();
        let tick = alert.tick(p, &roster, now);
        let again = tick.renotified.expect("rung again");
        assert_eq!((again.step_seq, again.count), (1, n));
        assert_eq!(again.people, ["bob"]);
        assert!(tick.pages.is_empty());
        assert_eq!(tick.alert.timeline.revision(), revision);
        assert_eq!(renotified(&tick.alert, 1), (n, Some(now)));
        let next = if n < 4 {
            now + Duration::minutes(1)
        } else {
            t + Duration::minutes(5)
        };
        assert_eq!(tick.next_deadline, Some(next), "after ring {n}");
        // Twice at the same instant is once.
        let twice = tick.alert.clone().tick(p, &roster, now);
        assert_eq!(twice.renotified, None);
        alert = tick.alert;
    }
    // At 5 minutes the step moves on: carol is paged, bob is not rung again.
    let step2 = alert.tick(p, &roster, t + Duration::minutes(5));
    assert_eq!(step2.renotified, None);
    assert_eq!(step2.pages[0].people, ["carol"]);
    assert_eq!(step2.next_deadline, Some(t + Duration::minutes(6)));
    let carol = step2.alert.tick(p, &roster, t + Duration::minutes(6));
    assert_eq!(
        carol.renotified.map(|r| r.people),
        Some(vec!["carol".to_string()])
    );
    assert_eq!(renotified(&carol.alert, 1).0, 4, "step 1's count stays");
}

#[test]
fn a_late_renotification_rings_once_and_counts_from_then() {
    let roster = roster();
    let p = policy(&roster, "ringing");
    let t = tuesday();
    let alert = fired(p, &roster, "a1", trigger("disk"), t);
    // The relay was down for three and a half minutes: one ring, not three.
    let late = t + Duration::seconds(210);
    let tick = alert.tick(p, &roster, late);
    assert_eq!(tick.renotified.map(|r| r.count), Some(1));
    assert_eq!(tick.next_deadline, Some(late + Duration::minutes(1)));
}

#[test]
fn only_a_triggered_critical_page_of_a_policy_with_renotify_rings_again() {
    let roster = roster();
    let t = tuesday();
    let later = t + Duration::minutes(2);
    // High: never.
    let mut high = trigger("disk");
    high.priority = Priority::High;
    let ringing = policy(&roster, "ringing");
    let alert = fired(ringing, &roster, "a1", high, t);
    assert_eq!(alert.next_renotify(ringing), None);
    assert_eq!(alert.tick(ringing, &roster, later).renotified, None);
    // Acknowledged: never after.
    let alert = fired(ringing, &roster, "a2", trigger("disk"), t);
    let (acked, _) = alert.apply(&cmd(Action::Acknowledge, "bob", "k1", None), ringing, t);
    let tick = acked.tick(ringing, &roster, later);
    assert_eq!((tick.renotified, tick.next_deadline), (None, None));
    // A policy with renotify = "off": never.
    let off = policy(&roster, "infra");
    assert_eq!(off.renotify, None);
    let alert = fired(off, &roster, "a3", trigger("disk"), t);
    assert_eq!(alert.tick(off, &roster, later).renotified, None);
    assert_eq!(roster.policy("oncall-only").map(|p| p.renotify), Some(None));
}

#[test]
fn a_renotification_skips_people_no_longer_on_the_step() {
    let roster = roster();
    let p = policy(&roster, "ringing");
    // Tuesday 08:58 Chicago: alice's Monday shift ends at 09:00, bob's starts.
    let t = at("2026-01-06T14:58:00Z");
    let alert = fired(p, &roster, "a1", trigger("disk"), t);
    let at_1 = alert.clone().tick(p, &roster, t + Duration::minutes(1));
    assert_eq!(
        at_1.renotified.map(|r| r.people),
        Some(vec!["alice".to_string()])
    );
    // After the handoff alice is off the step: nobody is rung (bob was not
    // paged by it), and the step waits for its own deadline.
    let after = at_1.alert.tick(p, &roster, t + Duration::minutes(2));
    assert_eq!(after.renotified, None);
    assert_eq!(after.next_deadline, Some(t + Duration::minutes(5)));
}

#[test]
fn a_step_whose_people_all_have_no_device_hands_on_at_once() {
    let roster = roster();
    let p = policy(&roster, "infra");
    let t = tuesday();
    let (alert, _) = Alert::trigger(None, "a1", trigger("disk"), t);
    // bob (on call) has no device; carol has one.
    let has_device = |person: &str| person == "carol";
    let tick = alert.tick_reaching(p, &roster, t, &has_device);
    let fired: Vec<(u32, Vec<String>, Vec<String>)> = tick
        .pages
        .iter()
        .map(|pg| (pg.step, pg.people.clone(), pg.unreachable.clone()))
        .collect();
    assert_eq!(
        fired,
        [
            (0, vec!["bob".to_string()], vec!["bob".to_string()]),
            (1, vec!["carol".to_string()], vec![]),
        ]
    );
    assert_eq!(tick.next_deadline, Some(t + Duration::minutes(10)));
    let recorded: Vec<Vec<String>> = tick
        .alert
        .timeline
        .entries()
        .iter()
        .filter_map(|e| match &e.event {
            Event::Notified { unreachable, .. } => Some(unreachable.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(recorded, [vec!["bob".to_string()], vec![]]);
    // Nobody anywhere has a device: as with a gap everywhere, the step
    // waits its delay (someone may enroll).
    let (alert, _) = Alert::trigger(None, "a2", trigger("disk"), t);
    let nobody = alert.tick_reaching(p, &roster, t, &|_: &str| false);
    assert_eq!(nobody.pages.len(), 1);
    assert_eq!(nobody.pages[0].unreachable, ["bob"]);
    assert_eq!(nobody.next_deadline, Some(t + Duration::minutes(5)));
}
