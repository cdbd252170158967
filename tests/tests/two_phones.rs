//! Relay + two simulated phones built on core (`klaxon_device::device::Device`,
//! the same code the apps run through the bindings): a page nobody answers
//! escalates from the first person to the second after the step delay; the
//! second acknowledges from its outbox while the relay is down; once the
//! relay is back the acknowledgement applies exactly once and escalation
//! stops (the policy would otherwise page the first person again).
//!
//! Real time for the escalation (bounds loose enough for a loaded CI box);
//! the restarted relay runs on a clock frozen at bob's page, so how long the
//! restart and the outbox take cannot let the next step fire first.

use klaxon_device::device::Device;
use klaxon_domain::alert::Action;
use klaxon_domain::{AlertStatus, Clock, ManualClock, Roster, SystemClock};
use klaxon_relay::Relay;
use klaxon_testkit::fixtures;
use klaxon_testkit::relay::{
    alert_detail as alert, count, eventually, invite, pending_deadlines, send_trigger as trigger,
    ADMIN, API_KEY,
};
use serde_json::Value;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

const STEP_SECONDS: u64 = 3;

/// alice on call, then bob, `STEP_SECONDS` apart: `tests/fixtures/two-phones.toml`.
fn roster() -> Roster {
    let text = fixtures::fill(
        fixtures::TWO_PHONES,
        &[
            ("{STEP_SECONDS}", &STEP_SECONDS.to_string()),
            ("{KEY}", API_KEY),
        ],
    );
    Roster::parse(&text).unwrap()
}

async fn start_relay(
    db: &Path,
    addr: SocketAddr,
    clock: Arc<dyn Clock>,
) -> klaxon_relay::RunningRelay {
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    Relay::new(roster(), db)
        .admin_token(Some(ADMIN.into()))
        .clock(clock)
        .start(listener)
        .await
        .unwrap()
}

/// The instants of the alert's `notified` entries.
fn notified_at(alert: &Value) -> Vec<chrono::DateTime<chrono::Utc>> {
    alert["timeline"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"]["kind"] == "notified")
        .map(|e| e["at"].as_str().unwrap().parse().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unanswered_page_escalates_and_an_offline_ack_applies_once_after_the_relay_returns() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("relay.db");
    let relay = start_relay(&db, "127.0.0.1:0".parse().unwrap(), Arc::new(SystemClock)).await;
    let addr = relay.local_addr();
    let base = format!("http://{addr}");

    let alice =
        Arc::new(Device::open(&dir.path().join("alice"), &base, Arc::new(SystemClock)).unwrap());
    let bob =
        Arc::new(Device::open(&dir.path().join("bob"), &base, Arc::new(SystemClock)).unwrap());
    alice
        .enroll(&invite(&base, "alice").await, "Alice's phone")
        .await
        .unwrap();
    bob.enroll(&invite(&base, "bob").await, "Bob's phone")
        .await
        .unwrap();

    // Both phones listen; the page goes to alice (on call) first.
    let alice_listen = {
        let alice = alice.clone();
        tokio::spawn(async move { alice.listen(Duration::from_secs(15), 1).await })
    };
    let bob_listen = {
        let bob = bob.clone();
        tokio::spawn(async move { bob.listen(Duration::from_secs(STEP_SECONDS + 15), 1).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent = Instant::now();
    trigger(&base, "e2e", "API error rate 40%").await;

    let heard = alice_listen.await.unwrap().unwrap();
    assert_eq!(heard.plans.len(), 1, "alice's phone rang");
    let alert_id = heard.plans[0].alert.clone();
    assert!(heard.plans[0].ring.is_some(), "a critical page rings");

    // Nobody answers: bob's phone rings after the step delay.
    let heard = bob_listen.await.unwrap().unwrap();
    let waited = sent.elapsed().as_secs_f64();
    assert_eq!(heard.plans.len(), 1, "bob's phone rang");
    assert_eq!(heard.plans[0].alert, alert_id);
    // Not before the delay; within delay + 5 s (loose: CI machines stall).
    assert!(
        (STEP_SECONDS as f64 - 0.1..STEP_SECONDS as f64 + 5.0).contains(&waited),
        "bob paged after {waited} s"
    );
    bob.sync().await.unwrap();
    let bobs_page = notified_at(&alert(&base, &alert_id).await)[1];

    // The relay goes down; bob acknowledges from his outbox.
    relay.shutdown().await.unwrap();
    bob.act(&alert_id, Action::Acknowledge).unwrap();
    assert!(bob.sync().await.is_err(), "the relay is down");
    assert_eq!(bob.pending_actions().unwrap().len(), 1);

    // The relay comes back on the same database, its clock frozen at bob's
    // page: the next step (alice again) is not due however long this takes.
    let clock = Arc::new(ManualClock::new(bobs_page));
    let relay = start_relay(&db, addr, clock.clone()).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while !bob.pending_actions().unwrap().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the acknowledgement was never delivered"
        );
        let _ = bob.sync().await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Deliver again on purpose: the relay must not apply it twice.
    bob.sync().await.unwrap();

    // The acknowledgement took the next deadline away: with none left,
    // nothing can fire; past where it was, nobody else was paged.
    assert!(
        eventually(30, || async { pending_deadlines(&base).await == 0 }).await,
        "a deadline is left after the acknowledgement"
    );
    clock.advance(chrono::Duration::seconds(STEP_SECONDS as i64 + 1));
    relay.wake_escalator();
    let a = alert(&base, &alert_id).await;
    assert_eq!(a["status"], "acknowledged");
    assert_eq!(a["acknowledged_by"], "bob");
    assert_eq!(count(&a, "acknowledged"), 1);
    assert_eq!(count(&a, "notified"), 2, "escalation stopped: {a}");
    let entry = bob.alert(&alert_id).unwrap();
    assert_eq!(entry.view.status, AlertStatus::Acknowledged);
    relay.shutdown().await.unwrap();
}
