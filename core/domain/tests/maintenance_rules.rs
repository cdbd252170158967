//! Maintenance windows in the pure engine (`Alert::tick_in`): a triggered
//! alert of a service in a window pages and re-notifies nobody, records one
//! `suppressed` entry per window, waits for the window's end, and then
//! pages at once; a step that fired before the window keeps its place.

use chrono::{DateTime, Duration, Utc};
use klaxon_domain::alert::{Actor, Alert, Event, Maintenance, Trigger};
use klaxon_domain::escalation::everyone;
use klaxon_domain::{Priority, Roster};

const ROSTER: &str = include_str!("../../../tests/fixtures/alerts.toml");

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&Utc)
}

fn open(now: DateTime<Utc>) -> Alert {
    let trigger = Trigger {
        service: "api".into(),
        dedup_key: "disk".into(),
        summary: "disk full".into(),
        priority: Priority::Critical,
        actor: Actor::integration("pagerduty"),
    };
    Alert::trigger(None, "a1", trigger, now).0
}

fn suppressed(alert: &Alert) -> usize {
    alert
        .timeline
        .entries()
        .iter()
        .filter(|e| matches!(e.event, Event::Suppressed { .. }))
        .count()
}

#[test]
fn an_alert_in_a_window_pages_nobody_until_it_ends_then_at_once() {
    let roster = Roster::parse(ROSTER).unwrap();
    let policy = roster.policy("ringing").unwrap();
    let t = at("2026-03-04T15:00:00Z");
    let window = Maintenance {
        id: "mw-1".into(),
        until: t + Duration::minutes(30),
    };
    let held = open(t).tick_in(policy, &roster, t, &everyone, Some(&window));
    assert!(held.pages.is_empty() && held.renotified.is_none());
    assert_eq!(held.next_deadline, Some(window.until));
    assert_eq!(suppressed(&held.alert), 1);
    match &held.alert.timeline.last().unwrap().event {
        Event::Suppressed { window: id, until } => {
            assert_eq!((id.as_str(), *until), ("mw-1", window.until))
        }
        other => panic!("{other:?}"),
    }
    // Evaluated again inside the window: nothing more is recorded.
    let again = held.alert.tick_in(
        policy,
        &roster,
        t + Duration::minutes(10),
        &everyone,
        Some(&window),
    );
    assert_eq!(again.alert.timeline.revision(), 2);
    // The window over: step 1 fires at its end, at once.
    let end = window.until;
    let paged = again.alert.tick_in(policy, &roster, end, &everyone, None);
    assert_eq!(paged.pages.len(), 1);
    assert_eq!(paged.pages[0].at, end);
}

#[test]
fn a_window_holds_back_the_next_step_and_re_notifications_of_a_paging_alert() {
    let roster = Roster::parse(ROSTER).unwrap();
    let policy = roster.policy("ringing").unwrap();
    let t = at("2026-03-04T15:00:00Z");
    let ringing = open(t).tick(policy, &roster, t).alert;
    let window = Maintenance {
        id: "mw-2".into(),
        until: t + Duration::minutes(20),
    };
    // A re-notification (1 m) and step 2 (5 m) fall inside the window.
    let held = ringing.clone().tick_in(
        policy,
        &roster,
        t + Duration::minutes(6),
        &everyone,
        Some(&window),
    );
    assert!(held.pages.is_empty() && held.renotified.is_none());
    assert_eq!(held.next_deadline, Some(window.until));
    assert_eq!(suppressed(&held.alert), 1);
    // Before anything fell due, nothing is recorded.
    let early = ringing.tick_in(
        policy,
        &roster,
        t + Duration::seconds(30),
        &everyone,
        Some(&window),
    );
    assert_eq!(suppressed(&early.alert), 0);
    assert_eq!(early.next_deadline, Some(window.until));
    let after = held
        .alert
        .tick_in(policy, &roster, window.until, &everyone, None);
    assert_eq!(after.pages.len(), 1, "step 2 fires when the window ends");
    assert_eq!(after.pages[0].step, 1);
}
