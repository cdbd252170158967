//! On the relay: a critical page nobody acknowledges is sent again to the
//! current step's people every `renotify` (the same ring: same alert and
//! `step_seq`, so the same push collapse id, with `renotify: N`), on the
//! stream and as a push, until it is acknowledged — and never after. The
//! re-notification is the alert's deadline row, so a restarted relay keeps
//! ringing on time; a restart with a roster that took someone off the step
//! rings only those still on it. A high page is never re-sent. The relay's
//! clock is a ManualClock frozen at the real now (devices sign with the
//! real time; the test moves it at most a few minutes).

use klaxon_testkit::relay as common;

use chrono::{DateTime, Duration, Utc};
use common::*;
use klaxon_domain::{ManualClock, Page, Roster};
use klaxon_relay::delivery::Pusher;
use klaxon_relay::push::PushOutcome;
use klaxon_relay::store::Device;
use klaxon_relay::{Relay, RunningRelay};
use serde_json::{json, Value};
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc::UnboundedReceiver;

/// Records every page pushed, with the device's token.
#[derive(Clone, Default)]
struct Pushed(Arc<Mutex<Vec<(String, Page)>>>);

impl Pusher for Pushed {
    fn push(
        &self,
        device: Device,
        page: Page,
    ) -> Pin<Box<dyn Future<Output = PushOutcome> + Send>> {
        let me = self.clone();
        Box::pin(async move {
            if let Ok(mut sent) = me.0.lock() {
                sent.push((device.push_token.unwrap_or_default(), page));
            }
            PushOutcome::Delivered
        })
    }
}

impl Pushed {
    /// The `renotify` marks of the pages pushed to `token` so far.
    fn marks(&self, token: &str) -> Vec<u32> {
        self.0
            .lock()
            .map(|sent| {
                sent.iter()
                    .filter(|(t, p)| t == token && !p.status_update)
                    .map(|(_, p)| p.renotify)
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The real now in whole seconds: deadline rows are whole milliseconds
/// rounded up, so a clock moved by whole minutes from a fractional instant
/// would reach a row a fraction of a millisecond short of it.
fn whole_second_now() -> DateTime<Utc> {
    DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap()
}

/// The team with `targets` as the first step's targets (a TOML array).
fn roster(targets: &str) -> Roster {
    let text = klaxon_testkit::fixtures::fill(
        klaxon_testkit::fixtures::RENOTIFY,
        &[("{targets}", targets)],
    );
    Roster::parse(&text).unwrap()
}

async fn start(
    dir: &Path,
    targets: &str,
    clock: &Arc<ManualClock>,
    pushed: &Pushed,
) -> (RunningRelay, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let relay = Relay::new(roster(targets), db(dir))
        .admin_token(Some(ADMIN.to_string()))
        .clock(clock.clone())
        .pusher(Arc::new(pushed.clone()))
        .start(listener)
        .await
        .unwrap();
    let base = format!("http://{}", relay.local_addr());
    (relay, base)
}

/// Moves the relay's clock and lets the escalator look.
fn advance(relay: &RunningRelay, clock: &ManualClock, by: Duration) {
    clock.advance(by);
    relay.wake_escalator();
}

/// The `renotify` mark of the next page on `stream` within 5 s (0 for a
/// step's own page), checking it is the ring of `step_seq`.
async fn ring(stream: &mut UnboundedReceiver<(String, Value)>, step_seq: u64) -> u64 {
    let page = next_page(stream, 5).await.expect("a page");
    assert_eq!(page["step_seq"], step_seq, "{page}");
    page["renotify"].as_u64().unwrap_or(0)
}

/// True when no page arrives on `stream` within half a second.
async fn silent(stream: &mut UnboundedReceiver<(String, Value)>) -> bool {
    next_page(stream, 1).await.is_none()
}

/// Registers an APNs token for `device`.
async fn register(base: &str, device: &TestDevice, token: &str) {
    let body = json!({"platform": "apns", "token": token});
    let (status, _) = device
        .send(base, "PUT", "/v1/devices/push-token", Some(&body))
        .await;
    assert_eq!(status, 204);
}

/// The `renotified` count on the alert's first `notified` entry.
async fn renotified(base: &str, dedup: &str) -> u64 {
    let id = alert_id_by_key(base, dedup).await;
    let detail = alert_detail(base, &id).await;
    let entries = detail["timeline"]["entries"].as_array().unwrap().clone();
    let notified: Vec<&Value> = entries
        .iter()
        .filter(|e| e["event"]["kind"] == "notified")
        .collect();
    assert_eq!(
        notified.len(),
        1,
        "one entry per step, not per ring: {detail}"
    );
    notified[0]["event"]["renotified"].as_u64().unwrap_or(0)
}

#[tokio::test]
async fn a_critical_page_rings_again_every_renotify_until_acknowledged_also_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(whole_second_now()));
    let pushed = Pushed::default();
    let both = r#"["person:alice", "person:carol"]"#;
    let (relay, base) = start(dir.path(), both, &clock, &pushed).await;
    let alice = enroll(&base, "alice").await;
    let carol = enroll(&base, "carol").await;
    register(&base, &alice, "alice-token").await;
    let mut alice_stream = open_stream(&base, &alice).await;
    let mut carol_stream = open_stream(&base, &carol).await;

    send_trigger(&base, "cpu", "cpu on fire").await;
    assert_eq!(ring(&mut alice_stream, 1).await, 0);
    assert_eq!(ring(&mut carol_stream, 1).await, 0);

    // Not before the minute is up.
    advance(&relay, &clock, Duration::seconds(59));
    assert!(silent(&mut alice_stream).await);
    // Then the same ring again, marked, to both; and once a minute.
    advance(&relay, &clock, Duration::seconds(1));
    assert_eq!(ring(&mut alice_stream, 1).await, 1);
    assert_eq!(ring(&mut carol_stream, 1).await, 1);
    advance(&relay, &clock, Duration::seconds(60));
    assert_eq!(ring(&mut alice_stream, 1).await, 2);
    assert_eq!(ring(&mut carol_stream, 1).await, 2);
    assert_eq!(renotified(&base, "cpu").await, 2);
    // Pushed too, to alice's phone: the page, then each re-notification.
    assert!(eventually(5, || async { pushed.marks("alice-token") == [0, 1, 2] }).await);

    // A restart with carol off the step: alice keeps being rung on time
    // (the row survived), carol is not.
    relay.shutdown().await.unwrap();
    let (relay, base) = start(dir.path(), r#"["person:alice"]"#, &clock, &pushed).await;
    let mut alice_stream = open_stream(&base, &alice).await;
    let mut carol_stream = open_stream(&base, &carol).await;
    advance(&relay, &clock, Duration::seconds(60));
    assert_eq!(ring(&mut alice_stream, 1).await, 3);
    assert!(silent(&mut carol_stream).await);
    assert_eq!(renotified(&base, "cpu").await, 3);
    assert!(eventually(5, || async { pushed.marks("alice-token") == [0, 1, 2, 3] }).await);

    // Acknowledged: never again, however long nobody else acts.
    let (status, _) = enqueue_action(&base, API_KEY, "cpu", "acknowledge").await;
    assert_eq!(status, 202);
    for _ in 0..3 {
        advance(&relay, &clock, Duration::seconds(60));
        assert!(silent(&mut alice_stream).await);
    }
    assert_eq!(renotified(&base, "cpu").await, 3);
    assert_eq!(pushed.marks("alice-token"), [0, 1, 2, 3]);
    assert!(metrics(&base)
        .await
        .contains("klaxon_renotifications_total 1\n"));
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_high_page_is_never_sent_again() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(whole_second_now()));
    let pushed = Pushed::default();
    let (relay, base) = start(dir.path(), r#"["person:alice"]"#, &clock, &pushed).await;
    let alice = enroll(&base, "alice").await;
    let mut stream = open_stream(&base, &alice).await;
    let (status, _) = enqueue_trigger(&base, API_KEY, "disk", "disk filling", "error").await;
    assert_eq!(status, 202);
    assert_eq!(ring(&mut stream, 1).await, 0);
    for _ in 0..3 {
        advance(&relay, &clock, Duration::seconds(60));
        assert!(silent(&mut stream).await);
    }
    assert_eq!(renotified(&base, "disk").await, 0);
    relay.shutdown().await.unwrap();
}
