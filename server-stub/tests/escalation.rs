//! Routing and escalation on a real relay: only the on-call person's
//! devices are paged, the next step pages the next person after the step
//! delay, an acknowledgement or a resolve stops it, and a restart resumes a
//! pending deadline. The fixture policy waits 2 s per step. Timing rules are
//! driven by a ManualClock (advance, wake the escalator, wait for what it
//! must do); one real-time test per behaviour checks "not before the delay,
//! and within delay + 5 s", loose enough for a loaded debug-build CI box.

use klaxon_testkit::relay as common;

use chrono::{TimeZone, Utc};
use common::*;
use klaxon_domain::ManualClock;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

/// A generous bound on how late a real-time step may fire.
const LATE_SECS: f64 = 5.0;

/// Seconds between the first two pages of an alert.
fn step_gap(alert: &serde_json::Value) -> f64 {
    let n = notifications(alert);
    (n[1].0 - n[0].0).num_milliseconds() as f64 / 1000.0
}

/// Who the newest alert with this dedup key has paged, in order.
async fn paged(base: &str, dedup: &str) -> serde_json::Value {
    alert_by_key(base, dedup).await.unwrap()["paged"].clone()
}

/// Whether, within `secs`, the alert with this dedup key has paged exactly
/// `people`.
async fn paged_within(secs: u64, base: &str, dedup: &str, people: serde_json::Value) -> bool {
    let people = &people;
    eventually(secs, || async move { paged(base, dedup).await == *people }).await
}

/// A relay on a fresh database whose clock stands at `at` until the test
/// moves it; the directory must live as long as the relay.
async fn start_at(
    at: chrono::DateTime<Utc>,
) -> (
    tempfile::TempDir,
    Arc<ManualClock>,
    klaxon_relay::RunningRelay,
    String,
) {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(at));
    let (relay, base) = start(dir.path(), Some(clock.clone())).await;
    (dir, clock, relay, base)
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
        enqueue_trigger(&base, API_KEY, "cpu", "CPU on fire", "critical")
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

    // Bob is step 2: paged after the 2 s delay, not before (and not much
    // later: the bound is loose on purpose, CI machines stall).
    let bob_page = next_page(&mut bob_rx, 15)
        .await
        .expect("bob is paged after the delay");
    let waited = sent.elapsed().as_secs_f64();
    assert!(waited >= 1.95, "bob paged after only {waited} s");
    assert_eq!(bob_page["alert"], alert_id.as_str());
    assert_eq!(bob_page["step_seq"], 2);
    let detail = alert_detail(&base, &alert_id).await;
    let gap = step_gap(&detail);
    assert!(
        (2.0..2.0 + LATE_SECS).contains(&gap),
        "step fired {gap} s after the first"
    );
    assert_eq!(paged(&base, "cpu").await, json!(["alice", "bob"]));

    // Carol is not on this team: her stream heard no page.
    assert!(next_page(&mut carol_rx, 1).await.is_none());
    relay.shutdown().await.unwrap();
}

/// Triggers a second alert ("canary") now; it shares the policy, so once the
/// escalator has paged bob for it, every deadline up to the canary's has
/// been looked at too. A negative check ("nothing escalated") waits on that
/// instead of sleeping, and fails if the escalator stalls.
async fn canary(base: &str) {
    let (status, body) = enqueue_trigger(base, API_KEY, "canary", "canary", "critical").await;
    assert_eq!(status, 202, "{body}");
}

/// Moves the clock past the step delay, wakes the escalator and waits until
/// the canary's second step fired.
async fn pass_the_canarys_deadline(
    relay: &klaxon_relay::RunningRelay,
    base: &str,
    clock: &ManualClock,
) {
    clock.advance(chrono::Duration::seconds(2));
    relay.wake_escalator();
    assert!(
        paged_within(30, base, "canary", json!(["alice", "bob"])).await,
        "the escalator never fired the canary's deadline"
    );
}

/// The real time in whole seconds, for a ManualClock: deadlines are stored
/// rounded up to the millisecond, so a sub-millisecond start would leave
/// "advance by exactly the delay" just short of them.
fn now_whole_seconds() -> chrono::DateTime<Utc> {
    use chrono::SubsecRound as _;
    Utc::now().trunc_subsecs(0)
}

#[tokio::test]
async fn an_acknowledgement_stops_escalation() {
    // Near the real time: device signatures are checked against this clock.
    let (_dir, clock, relay, base) = start_at(now_whole_seconds()).await;
    let alice = enroll(&base, "alice").await;
    let mut rx = open_stream(&base, &alice).await;
    enqueue_trigger(&base, API_KEY, "mem", "memory", "error").await;
    let page = next_page(&mut rx, 2).await.unwrap();
    let body = json!({"actions": [{"key": "k-ack-1", "alert": page["alert"], "action": "acknowledge", "seen": page["revision"]}]});
    let (status, answer) = alice.send(&base, "POST", "/v1/actions", Some(&body)).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["results"][0]["status"], 200);
    assert_eq!(answer["results"][0]["outcome"]["outcome"], "applied");
    canary(&base).await;
    pass_the_canarys_deadline(&relay, &base, &clock).await;
    let a = alert_by_key(&base, "mem").await.unwrap();
    assert_eq!(a["status"], "acknowledged");
    assert_eq!(a["acknowledged_by"], "alice");
    assert_eq!(a["paged"], json!(["alice"]));
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_integration_resolve_stops_escalation() {
    let (_dir, clock, relay, base) = start_at(now_whole_seconds()).await;
    enqueue_trigger(&base, API_KEY, "r", "resolve me", "error").await;
    enqueue_action(&base, API_KEY, "r", "resolve").await;
    canary(&base).await;
    pass_the_canarys_deadline(&relay, &base, &clock).await;
    let a = alert_by_key(&base, "r").await.unwrap();
    assert_eq!(a["status"], "resolved");
    assert_eq!(a["paged"], json!(["alice"]));
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_restart_resumes_a_pending_deadline_on_time() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start(dir.path(), None).await;
    enqueue_trigger(&base, API_KEY, "restart", "survive a restart", "critical").await;
    let id = alert_id_by_key(&base, "restart").await;
    relay.shutdown().await.unwrap();

    tokio::time::sleep(Duration::from_millis(500)).await;
    let (relay, base) = start(dir.path(), None).await;
    assert!(
        paged_within(15, &base, "restart", json!(["alice", "bob"])).await,
        "bob was never paged after the restart"
    );
    let gap = step_gap(&alert_detail(&base, &id).await);
    assert!(
        (2.0..2.0 + LATE_SECS).contains(&gap),
        "step fired {gap} s after the first, across a restart"
    );
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn escalation_follows_an_injected_clock_without_sleeping() {
    let t0 = Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap();
    let (_dir, clock, relay, base) = start_at(t0).await;
    // The canary's deadline is 1 ms before the alert's.
    canary(&base).await;
    clock.advance(chrono::Duration::milliseconds(1));
    enqueue_trigger(&base, API_KEY, "manual", "manual clock", "critical").await;
    assert_eq!(paged(&base, "manual").await, json!(["alice"]));

    // 1 ms short of the alert's deadline: the escalator fires the canary's
    // (so it did look) but not the alert's.
    clock.advance(chrono::Duration::milliseconds(1999));
    relay.wake_escalator();
    assert!(paged_within(30, &base, "canary", json!(["alice", "bob"])).await);
    assert_eq!(paged(&base, "manual").await, json!(["alice"]));

    clock.advance(chrono::Duration::milliseconds(1));
    relay.wake_escalator();
    assert!(paged_within(30, &base, "manual", json!(["alice", "bob"])).await);
    let detail = alert_detail(
        &base,
        alert_by_key(&base, "manual").await.unwrap()["id"]
            .as_str()
            .unwrap(),
    )
    .await;
    let n = notifications(&detail);
    assert_eq!(
        n[1].0,
        t0 + chrono::Duration::milliseconds(1) + chrono::Duration::seconds(2)
    );

    // Past the last step the policy is exhausted: once no deadline is left
    // nothing can fire, and nothing more did.
    clock.advance(chrono::Duration::seconds(60));
    relay.wake_escalator();
    assert!(
        eventually(30, || async { pending_deadlines(&base).await == 0 }).await,
        "deadlines left after the policy ran out"
    );
    assert_eq!(paged(&base, "manual").await, json!(["alice", "bob"]));
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn escalating_at_the_last_step_is_rejected_and_the_page_stays() {
    // "infra" has two steps and no repeat: bob's step is the last one. The
    // clock stands still (at the real time, which signed requests need), so
    // no timer moves the alert while the test acts.
    let (_dir, _clock, relay, base) = start_at(Utc::now()).await;
    let alice = enroll(&base, "alice").await;
    let bob = enroll(&base, "bob").await;
    enqueue_trigger(&base, API_KEY, "last", "last step", "critical").await;
    let id = alert_id_by_key(&base, "last").await;
    let path = format!("/v1/alerts/{id}/actions");

    let escalate = json!({"key": "a-esc", "alert": id, "action": "escalate"});
    let (status, outcome) = alice.send(&base, "POST", &path, Some(&escalate)).await;
    assert_eq!(
        (status, outcome["outcome"].as_str()),
        (200, Some("applied"))
    );
    assert_eq!(paged(&base, "last").await, json!(["alice", "bob"]));
    let entries = alert_detail(&base, &id).await["timeline"]["entries"].clone();

    for (key, verb) in [
        ("b-esc", "escalate"),
        ("b-dec", "decline"),
        ("b-esc2", "escalate"),
    ] {
        let body = json!({"key": key, "alert": id, "action": verb});
        let (status, outcome) = bob.send(&base, "POST", &path, Some(&body)).await;
        assert_eq!(status, 409, "{verb}: {outcome}");
        assert_eq!(outcome["outcome"], "rejected");
        assert_eq!(outcome["reason"], "nobody_left_to_page");
    }
    let a = alert_by_key(&base, "last").await.unwrap();
    assert_eq!(a["status"], "triggered");
    assert_eq!(a["paged"], json!(["alice", "bob"]));
    assert_eq!(
        alert_detail(&base, &id).await["timeline"]["entries"],
        entries,
        "a rejected escalate records nothing"
    );
    relay.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deadline_committed_while_the_escalator_works_wakes_it() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let t0 = Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap();
    let (_dir, clock, relay, base) = start_at(t0).await;
    // A backlog larger than one claim, so the pass below takes a while.
    let firing: Vec<serde_json::Value> = (0..1500)
        .map(|i| json!({"status": "firing", "fingerprint": format!("fp-{i}"), "labels": {"alertname": "load"}}))
        .collect();
    let (status, body) = post(
        &base,
        &format!("/v1/alertmanager/{API_KEY}"),
        &json!({"version": "4", "alerts": firing}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // Idle, planning to wake at the backlog's deadline.
    let planned = (t0 + chrono::Duration::seconds(2)).timestamp_millis();
    let state = relay.state().clone();
    let idle = || async {
        state
            .escalator_wake_ms
            .load(std::sync::atomic::Ordering::Acquire)
            == planned
    };
    assert!(eventually(30, idle).await);

    // Watch when the escalator says it will next wake while it works. A
    // write that commits a deadline wakes it only if the deadline is earlier
    // than that, so while it works it must be later than any deadline: a
    // deadline committed mid-pass must never wait for the idle timeout.
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let stop = stop.clone();
        let state = state.clone();
        std::thread::spawn(move || {
            let mut seen = std::collections::BTreeSet::new();
            while !stop.load(Ordering::Acquire) {
                seen.insert(state.escalator_wake_ms.load(Ordering::Acquire));
                std::thread::yield_now();
            }
            seen
        })
    };
    clock.advance(chrono::Duration::seconds(2));
    relay.wake_escalator();
    // Committed while the backlog is being worked through.
    let (status, _) =
        enqueue_trigger(&base, API_KEY, "mid-pass", "committed mid-pass", "critical").await;
    assert_eq!(status, 202);
    assert!(
        eventually(60, || async {
            alerts(&base)
                .await
                .iter()
                .filter(|a| a["dedup_key"].as_str().unwrap().starts_with("fp-"))
                .all(|a| a["paged"] == json!(["alice", "bob"]))
        })
        .await,
        "the backlog was never worked through"
    );
    stop.store(true, Ordering::Release);
    let seen = sampler.join().unwrap();
    let deadline_ms = (t0 + chrono::Duration::seconds(4)).timestamp_millis();
    assert!(
        seen.iter()
            .all(|&wake| wake == planned || wake >= deadline_ms),
        "while working the escalator advertised a wake-up before a possible deadline: {seen:?}"
    );

    // And the deadline committed mid-pass fires on time.
    clock.advance(chrono::Duration::seconds(2));
    relay.wake_escalator();
    assert!(paged_within(30, &base, "mid-pass", json!(["alice", "bob"])).await);
    let id = alert_id_by_key(&base, "mid-pass").await;
    let n = notifications(&alert_detail(&base, &id).await);
    assert_eq!(n[1].0, t0 + chrono::Duration::seconds(4));
    relay.shutdown().await.unwrap();
}
