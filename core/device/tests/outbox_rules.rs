//! The outbox: durable enqueue, in-order delivery per alert, the
//! classification of relay answers, backoff with seeded jitter and
//! Retry-After, expiry; and incoming-page dedup. Time comes from a
//! ManualClock; nothing sleeps.

use chrono::{DateTime, Duration, Utc};
use klaxon_device::outbox::{
    self, classify, parse_retry_after, ActionOutcome, Answer, Backoff, QueuedAction, Round,
    TransportError, Verdict,
};
use klaxon_device::page::{self, Delivery};
use klaxon_device::Store;
use klaxon_domain::alert::{Action, Outcome, Rejection};
use klaxon_domain::clock::{Clock, ManualClock};
use klaxon_domain::notify::{NotificationSettings, Sound};
use std::collections::VecDeque;
use std::time::Duration as StdDuration;

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-06T16:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn ok(body: Outcome) -> Result<Answer, TransportError> {
    Ok(Answer {
        status: 200,
        retry_after: None,
        body: Some(body),
    })
}

fn status(code: u16, retry_after: Option<u64>) -> Result<Answer, TransportError> {
    Ok(Answer {
        status: code,
        retry_after: retry_after.map(StdDuration::from_secs),
        body: None,
    })
}

/// Answers from a script; records what was sent, in order.
#[derive(Default)]
struct Scripted {
    answers: VecDeque<Result<Answer, TransportError>>,
    sent: Vec<(String, String)>,
}

impl Scripted {
    fn deliver(&mut self, action: &QueuedAction) -> Result<Answer, TransportError> {
        self.sent
            .push((action.alert.clone(), action.action.verb().to_string()));
        self.answers
            .pop_front()
            .unwrap_or_else(|| ok(Outcome::Applied))
    }
}

/// Drives outbox rounds the way the device does, with the script in place
/// of the relay: take what is due, "send" it, settle the answer.
struct Sender {
    transport: Scripted,
    backoff: Backoff,
}

impl Sender {
    fn new(transport: Scripted, backoff: Backoff) -> Sender {
        Sender { transport, backoff }
    }

    /// One round at `now`: the actions attempted, as settled.
    fn drain(
        &mut self,
        store: &mut Store,
        now: DateTime<Utc>,
    ) -> klaxon_device::Result<Vec<QueuedAction>> {
        let mut round = Round::new(now);
        while let Some(action) = round.next_due(store)? {
            let answer = self.transport.deliver(&action);
            round.settle(store, &action, &answer, &mut self.backoff)?;
        }
        Ok(round.finish())
    }
}

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("k.db")).unwrap();
    (dir, store)
}

#[test]
fn answers_are_classified_as_the_issue_says() {
    let retry = |a| matches!(classify(&a), Verdict::Retry { .. });
    assert!(retry(Err(TransportError::Network(
        "connection refused".into()
    ))));
    assert!(retry(status(500, None)));
    assert!(retry(status(503, Some(30))));
    assert!(retry(status(429, Some(5))));
    assert_eq!(
        classify(&status(429, Some(7))),
        Verdict::Retry {
            retry_after: Some(StdDuration::from_secs(7)),
            error: "the relay answered HTTP 429".into()
        }
    );
    assert_eq!(
        classify(&ok(Outcome::Applied)),
        Verdict::Done(ActionOutcome::Applied)
    );
    assert_eq!(
        classify(&ok(Outcome::Duplicate)),
        Verdict::Done(ActionOutcome::Applied)
    );
    assert_eq!(
        classify(&ok(Outcome::AlreadyInState)),
        Verdict::Done(ActionOutcome::AlreadyDone)
    );
    let resolved = Ok(Answer {
        status: 409,
        retry_after: None,
        body: Some(Outcome::Rejected(Rejection::AlreadyResolved {
            by: "carol".into(),
        })),
    });
    assert_eq!(
        classify(&resolved),
        Verdict::Done(ActionOutcome::Rejected {
            reason: "already resolved by carol".into()
        })
    );
    // Escalating with nobody left to page: the relay's 409 body, as sent.
    let body: Outcome =
        serde_json::from_str(r#"{"outcome":"rejected","reason":"nobody_left_to_page"}"#).unwrap();
    assert_eq!(body, Outcome::Rejected(Rejection::NobodyLeftToPage));
    let last_step = Ok(Answer {
        status: 409,
        retry_after: None,
        body: Some(body),
    });
    assert_eq!(
        classify(&last_step),
        Verdict::Done(ActionOutcome::Rejected {
            reason: Rejection::NobodyLeftToPage.to_string()
        })
    );
    assert!(matches!(
        classify(&status(403, None)),
        Verdict::Done(ActionOutcome::Rejected { .. })
    ));
    assert!(matches!(
        classify(&status(404, None)),
        Verdict::Done(ActionOutcome::Rejected { .. })
    ));
    // A huge Retry-After is capped at an hour.
    assert_eq!(
        classify(&status(503, Some(86_400))),
        Verdict::Retry {
            retry_after: Some(StdDuration::from_secs(3600)),
            error: "the relay answered HTTP 503".into()
        }
    );
}

#[test]
fn retry_after_reads_seconds_and_http_dates() {
    let now = DateTime::parse_from_rfc3339("2015-10-21T07:27:00Z")
        .unwrap()
        .with_timezone(&Utc);
    assert_eq!(
        parse_retry_after("120", now),
        Some(StdDuration::from_secs(120))
    );
    assert_eq!(
        parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
        Some(StdDuration::from_secs(60))
    );
    assert_eq!(parse_retry_after("soon", now), None);
}

#[test]
fn backoff_grows_exponentially_with_jitter_and_replays_from_its_seed() {
    let mut a = Backoff::seeded(7);
    let mut b = Backoff::seeded(7);
    let delays: Vec<StdDuration> = (1..=12).map(|n| a.delay(n)).collect();
    let again: Vec<StdDuration> = (1..=12).map(|n| b.delay(n)).collect();
    assert_eq!(delays, again, "same seed, same delays");
    for (i, d) in delays.iter().enumerate() {
        let full = StdDuration::from_secs(1u64 << i).min(StdDuration::from_secs(300));
        assert!(
            *d >= full / 2 && *d <= full,
            "attempt {}: {d:?} within [{:?}, {full:?}]",
            i + 1,
            full / 2
        );
    }
    let mut other = Backoff::seeded(8);
    let different: Vec<StdDuration> = (1..=12).map(|n| other.delay(n)).collect();
    assert_ne!(delays, different, "the jitter is random");
}

#[test]
fn an_enqueued_action_is_durable_with_a_fresh_key() {
    let (dir, mut store) = store();
    let a = outbox::enqueue(&mut store, "a1", "bob", Action::Acknowledge, Some(2), t0()).unwrap();
    let b = outbox::enqueue(&mut store, "a1", "bob", Action::Resolve, Some(3), t0()).unwrap();
    assert_ne!(a.key, b.key);
    assert!(a.id < b.id);
    drop(store);
    let reopened = Store::open(dir.path().join("k.db")).unwrap();
    assert_eq!(reopened.queued_actions().unwrap(), vec![a.clone(), b]);
    assert_eq!(reopened.queued_action(&a.key).unwrap(), Some(a.clone()));
    assert_eq!(a.status(), "queued");
    assert_eq!(a.command().key, Some(a.key.clone()));
}

#[test]
fn delivery_is_in_order_per_alert_and_a_stuck_alert_does_not_block_others() {
    let (_dir, mut store) = store();
    let clock = ManualClock::new(t0());
    outbox::enqueue(&mut store, "a1", "bob", Action::Escalate, None, clock.now()).unwrap();
    outbox::enqueue(&mut store, "a1", "bob", Action::Resolve, None, clock.now()).unwrap();
    outbox::enqueue(
        &mut store,
        "a2",
        "bob",
        Action::Acknowledge,
        None,
        clock.now(),
    )
    .unwrap();
    let transport = Scripted {
        // a1's escalate meets a 503; a2's acknowledge goes through.
        answers: VecDeque::from([status(503, Some(30)), ok(Outcome::Applied)]),
        ..Scripted::default()
    };
    let mut sender = Sender::new(transport, Backoff::seeded(1));
    let first = sender.drain(&mut store, clock.now()).unwrap();
    assert_eq!(first.len(), 2);
    assert_eq!(
        sender.transport.sent,
        [
            ("a1".to_string(), "escalate".to_string()),
            ("a2".to_string(), "acknowledge".to_string())
        ],
        "a1's resolve waits behind its escalate"
    );
    assert_eq!(
        outbox::next_wakeup(&store).unwrap(),
        Some(t0() + Duration::seconds(30)),
        "Retry-After honoured"
    );

    clock.advance(Duration::seconds(29));
    assert!(
        sender.drain(&mut store, clock.now()).unwrap().is_empty(),
        "not before Retry-After"
    );
    clock.advance(Duration::seconds(1));
    let second = sender.drain(&mut store, clock.now()).unwrap();
    assert_eq!(
        second.iter().map(|a| a.action.verb()).collect::<Vec<_>>(),
        ["escalate", "resolve"]
    );
    assert!(second.iter().all(|a| a.status() == "applied"));
    assert_eq!(outbox::next_wakeup(&store).unwrap(), None);
}

#[test]
fn an_impossible_action_is_final_and_visible_never_retried() {
    let (_dir, mut store) = store();
    let queued =
        outbox::enqueue(&mut store, "a1", "bob", Action::Acknowledge, Some(2), t0()).unwrap();
    let transport = Scripted {
        answers: VecDeque::from([Ok(Answer {
            status: 409,
            retry_after: None,
            body: Some(Outcome::Rejected(Rejection::AlreadyResolved {
                by: "carol".into(),
            })),
        })]),
        ..Scripted::default()
    };
    let mut sender = Sender::new(transport, Backoff::seeded(1));
    sender.drain(&mut store, t0()).unwrap();
    let done = store.queued_action(&queued.key).unwrap().unwrap();
    assert_eq!(
        done.outcome,
        Some(ActionOutcome::Rejected {
            reason: "already resolved by carol".into()
        })
    );
    assert_eq!(done.status(), "rejected");
    assert!(sender
        .drain(&mut store, t0() + Duration::days(1))
        .unwrap()
        .is_empty());
    assert_eq!(sender.transport.sent.len(), 1);
}

#[test]
fn network_errors_back_off_and_give_up_visibly_after_a_day() {
    let (_dir, mut store) = store();
    let clock = ManualClock::new(t0());
    let queued = outbox::enqueue(
        &mut store,
        "a1",
        "bob",
        Action::Acknowledge,
        None,
        clock.now(),
    )
    .unwrap();
    let offline = Scripted {
        answers: (0..1000)
            .map(|_| Err(TransportError::Network("offline".into())))
            .collect(),
        ..Scripted::default()
    };
    let mut sender = Sender::new(offline, Backoff::seeded(3));
    let mut waits = Vec::new();
    loop {
        let attempted = sender.drain(&mut store, clock.now()).unwrap();
        assert_eq!(attempted.len(), 1);
        if attempted[0].outcome.is_some() {
            break;
        }
        let next = outbox::next_wakeup(&store).unwrap().unwrap();
        waits.push(next - clock.now());
        clock.set(next);
    }
    assert!(
        waits.windows(2).take(7).all(|w| w[1] > w[0]),
        "exponential at first: {waits:?}"
    );
    assert!(waits.iter().all(|w| *w <= Duration::minutes(5)), "capped");
    let done = store.queued_action(&queued.key).unwrap().unwrap();
    assert!(matches!(done.outcome, Some(ActionOutcome::Expired { .. })));
    assert!(clock.now() - t0() >= Duration::hours(24));
}

fn page_json(step_seq: u32, status: &str) -> Vec<u8> {
    format!(
        r#"{{"alert":"a1","step_seq":{step_seq},"service":"api","service_name":"Public API","dedup_key":"disk",
            "summary":"5xx above 5%","priority":"critical","status":"{status}","revision":2,
            "runbook":"https://runbooks.example.com/api"}}"#
    )
    .into_bytes()
}

#[test]
fn the_same_page_never_rings_twice_however_often_it_arrives() {
    let (_dir, mut store) = store();
    let settings = NotificationSettings::default();
    let first = page::receive(&mut store, &settings, &page_json(1, "triggered"), t0()).unwrap();
    let Delivery::Show(plan) = first else {
        panic!("first push shows")
    };
    assert_eq!(plan.sound, Sound::Alarm);
    for _ in 0..5 {
        assert_eq!(
            page::receive(&mut store, &settings, &page_json(1, "triggered"), t0()).unwrap(),
            Delivery::Duplicate
        );
    }
    let next_step = page::receive(&mut store, &settings, &page_json(2, "triggered"), t0()).unwrap();
    assert!(
        matches!(next_step, Delivery::Show(_)),
        "the next escalation step rings again"
    );
    let acked = page::receive(&mut store, &settings, &page_json(2, "acknowledged"), t0()).unwrap();
    let Delivery::Show(plan) = acked else {
        panic!("state update shows")
    };
    assert_eq!(plan.sound, Sound::Silent);
    assert_eq!(
        page::receive(&mut store, &settings, &page_json(2, "triggered"), t0()).unwrap(),
        Delivery::Duplicate
    );
    assert!(page::receive(&mut store, &settings, b"{not json", t0()).is_err());
}
