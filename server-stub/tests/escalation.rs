//! Routing and escalation on a real relay: only the on-call person's
//! devices are paged, the next step pages the next person after the step
//! delay (within 1 s of the deadline), an acknowledgement stops it, and a
//! restart resumes a pending deadline on time. The fixture policy waits 2 s
//! per step; a ManualClock test covers the same rule without sleeping.

mod common;

use chrono::{TimeZone, Utc};
use common::*;
use klaxon_core::ManualClock;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

/// Seconds between the first two pages of an alert.
fn step_gap(alert: &serde_json::Value) -> f64 {
    let n = notifications(alert);
    (n[1].0 - n[0].0).num_milliseconds() as f64 / 1000.0
}

#[tokio::test]
async fn pages_only_the_on_call_persons_devices_then_escalates_on_time() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start(dir.path(), None).await;
    let alice = enroll(&base, "alice").await;
    let bob = enroll(&base, "bob").await;
    let carol = enroll(&base, "carol").await;
    let mut alice_rx = open_stream(&base, &alice).await;
    let mut bob_rx = open_stream(&base, &bob).await;
    let mut carol_rx = open_stream(&base, &carol).await;

    let sent = std::time::Instant::now();
    assert_eq!(
        post(
            &base,
            "/v2/enqueue",
            &trigger(API_KEY, "cpu", "CPU on fire", "critical")
        )
        .await
        .0,
        202
    );
    let page = next_page(&mut alice_rx, 2).await.expect("alice is paged");
    assert_eq!(page["summary"], "CPU on fire");
    assert_eq!(page["priority"], "critical");
    assert_eq!(page["step_seq"], 1);
    assert_eq!(page["runbook"], "https://runbooks.example.com/api");
    let alert_id = page["alert"].as_str().unwrap().to_string();

    // Bob is step 2: paged after the 2 s delay, not before.
    let bob_page = next_page(&mut bob_rx, 5)
        .await
        .expect("bob is paged after the delay");
    let waited = sent.elapsed().as_secs_f64();
    assert!((1.9..3.0).contains(&waited), "bob paged after {waited} s");
    assert_eq!(bob_page["alert"], alert_id.as_str());
    assert_eq!(bob_page["step_seq"], 2);
    let detail = alert_detail(&base, &alert_id).await;
    let gap = step_gap(&detail);
    assert!(
        (2.0..3.0).contains(&gap),
        "step fired {gap} s after the first"
    );
    assert_eq!(
        alert_by_key(&base, "cpu").await.unwrap()["paged"],
        json!(["alice", "bob"])
    );

    // Carol is not on this team: her stream heard no page.
    assert!(next_page(&mut carol_rx, 1).await.is_none());
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_acknowledgement_stops_escalation() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start(dir.path(), None).await;
    let alice = enroll(&base, "alice").await;
    let mut rx = open_stream(&base, &alice).await;
    post(
        &base,
        "/v2/enqueue",
        &trigger(API_KEY, "mem", "memory", "error"),
    )
    .await;
    let page = next_page(&mut rx, 2).await.unwrap();
    let body = json!({"actions": [{"key": "k-ack-1", "alert": page["alert"], "action": "acknowledge", "seen": page["revision"]}]});
    let (status, answer) = alice.send(&base, "POST", "/v1/actions", Some(&body)).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["results"][0]["status"], 200);
    assert_eq!(answer["results"][0]["outcome"]["outcome"], "applied");
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let a = alert_by_key(&base, "mem").await.unwrap();
    assert_eq!(a["status"], "acknowledged");
    assert_eq!(a["acknowledged_by"], "alice");
    assert_eq!(a["paged"], json!(["alice"]));
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_integration_resolve_stops_escalation() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start(dir.path(), None).await;
    post(
        &base,
        "/v2/enqueue",
        &trigger(API_KEY, "r", "resolve me", "error"),
    )
    .await;
    post(&base, "/v2/enqueue", &action(API_KEY, "r", "resolve")).await;
    tokio::time::sleep(Duration::from_millis(2600)).await;
    let a = alert_by_key(&base, "r").await.unwrap();
    assert_eq!(a["status"], "resolved");
    assert_eq!(a["paged"], json!(["alice"]));
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_restart_resumes_a_pending_deadline_on_time() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start(dir.path(), None).await;
    post(
        &base,
        "/v2/enqueue",
        &trigger(API_KEY, "restart", "survive a restart", "critical"),
    )
    .await;
    let id = alert_by_key(&base, "restart").await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    relay.shutdown().await.unwrap();

    tokio::time::sleep(Duration::from_millis(500)).await;
    let (relay, base) = start(dir.path(), None).await;
    assert!(
        eventually(5, || async {
            alert_by_key(&base, "restart").await.unwrap()["paged"] == json!(["alice", "bob"])
        })
        .await,
        "bob was never paged after the restart"
    );
    let gap = step_gap(&alert_detail(&base, &id).await);
    assert!(
        (2.0..3.0).contains(&gap),
        "step fired {gap} s after the first, across a restart"
    );
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn escalation_follows_an_injected_clock_without_sleeping() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap();
    let clock = Arc::new(ManualClock::new(t0));
    let (relay, base) = start(dir.path(), Some(clock.clone())).await;
    post(
        &base,
        "/v2/enqueue",
        &trigger(API_KEY, "manual", "manual clock", "critical"),
    )
    .await;
    assert_eq!(
        alert_by_key(&base, "manual").await.unwrap()["paged"],
        json!(["alice"])
    );

    clock.advance(chrono::Duration::milliseconds(1999));
    relay.wake_escalator();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        alert_by_key(&base, "manual").await.unwrap()["paged"],
        json!(["alice"])
    );

    clock.advance(chrono::Duration::milliseconds(1));
    relay.wake_escalator();
    assert!(
        eventually(2, || async {
            alert_by_key(&base, "manual").await.unwrap()["paged"] == json!(["alice", "bob"])
        })
        .await
    );
    let detail = alert_detail(
        &base,
        alert_by_key(&base, "manual").await.unwrap()["id"]
            .as_str()
            .unwrap(),
    )
    .await;
    let n = notifications(&detail);
    assert_eq!(n[1].0, t0 + chrono::Duration::seconds(2));

    // Past the last step the policy is exhausted: nothing more fires.
    clock.advance(chrono::Duration::seconds(60));
    relay.wake_escalator();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        alert_by_key(&base, "manual").await.unwrap()["paged"],
        json!(["alice", "bob"])
    );
    let text = http()
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("klaxon_pending_deadlines 0"), "{text}");
    relay.shutdown().await.unwrap();
}
