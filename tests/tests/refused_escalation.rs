//! A phone whose escalate or decline the relay refuses keeps ringing.
//!
//! Tapping Escalate on the lock screen silences the phone at once (the
//! outbox delivers it later). At the policy's last step the relay refuses
//! it — nobody is left to page, the page stays with this person — and the
//! sync that hears the refusal must ring the phone again: otherwise the
//! alert is open and nobody's phone is ringing. A snooze longer than the
//! relay allows is refused on the phone, before it silences anything.
//!
//! The relay's clock is frozen, so no step fires on its own.

use klaxon_device::device::{Device, Shell};
use klaxon_device::outbox::ActionOutcome;
use klaxon_domain::alert::Action;
use klaxon_domain::notify::{NotificationPlan, RingLoop};
use klaxon_domain::{AlertStatus, Clock, ManualClock, Roster, SystemClock};
use klaxon_relay::Relay;
use klaxon_testkit::fixtures;
use klaxon_testkit::relay::{alert_detail as alert, count, invite, send_trigger as trigger, ADMIN};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// alice alone, one step, no repeat: `tests/fixtures/solo.toml`.
const ROSTER: &str = fixtures::SOLO;

/// A shell that records what core tells it, in order.
#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

impl Recorder {
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
    fn push(&self, call: String) -> Result<(), String> {
        self.0.lock().unwrap().push(call);
        Ok(())
    }
}

impl Shell for Recorder {
    fn present(&self, plan: &NotificationPlan) -> Result<(), String> {
        self.push(format!("present {}", plan.alert))
    }
    fn update(&self, plan: &NotificationPlan) -> Result<(), String> {
        self.push(format!("update {}", plan.alert))
    }
    fn cancel(&self, alert: &str) -> Result<(), String> {
        self.push(format!("cancel {alert}"))
    }
    fn start_ringing(&self, alert: &str, _: &RingLoop) -> Result<(), String> {
        self.push(format!("start {alert}"))
    }
    fn stop_ringing(&self, alert: &str) -> Result<(), String> {
        self.push(format!("stop {alert}"))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_escalate_or_decline_rings_again_and_a_too_long_snooze_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let relay_clock = Arc::new(ManualClock::new(SystemClock.now()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let relay = Relay::new(Roster::parse(ROSTER).unwrap(), dir.path().join("relay.db"))
        .admin_token(Some(ADMIN.into()))
        .clock(relay_clock.clone())
        .start(listener)
        .await
        .unwrap();
    let base = format!("http://{}", relay.local_addr());

    let phone_clock = Arc::new(ManualClock::new(relay_clock.now()));
    let alice =
        Arc::new(Device::open(&dir.path().join("alice"), &base, phone_clock.clone()).unwrap());
    let shell = Arc::new(Recorder::default());
    alice.set_shell(Some(shell.clone()));
    alice
        .enroll(&invite(&base, "alice").await, "Alice's phone")
        .await
        .unwrap();

    let listening = {
        let alice = alice.clone();
        tokio::spawn(async move { alice.listen(Duration::from_secs(20), 1).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    trigger(&base, "db", "db primary down").await;
    let heard = listening.await.unwrap().unwrap();
    let alert_id = heard.plans[0].alert.clone();
    assert_eq!(
        shell.take(),
        [format!("present {alert_id}"), format!("start {alert_id}")]
    );
    alice.sync().await.unwrap();
    shell.take();

    // A snooze past the relay's 24-hour limit: refused on the phone, with the
    // reason, and the phone keeps ringing.
    let too_long = phone_clock.now() + chrono::Duration::hours(25);
    let err = alice
        .act(&alert_id, Action::Snooze { until: too_long })
        .unwrap_err();
    assert!(err.to_string().contains("at most 24 hours"), "{err}");
    assert!(
        alice.pending_actions().unwrap().is_empty(),
        "nothing queued"
    );
    assert!(shell.take().is_empty(), "the ring was not touched");

    for action in [Action::Escalate, Action::Decline] {
        // Tapped on the lock screen: silenced at once.
        alice.act(&alert_id, action.clone()).unwrap();
        assert_eq!(
            shell.take(),
            [format!("stop {alert_id}"), format!("cancel {alert_id}")]
        );

        // The relay refuses it: nobody is left to page. The phone rings again.
        let report = alice.sync().await.unwrap();
        let outcome = report.delivered[0].outcome.clone();
        match outcome {
            Some(ActionOutcome::Rejected { reason }) => {
                assert!(reason.contains("nobody is left"), "{action:?}: {reason}")
            }
            other => panic!("{action:?} was not refused: {other:?}"),
        }
        assert_eq!(
            report.plans.len(),
            1,
            "{action:?}: one page presented again"
        );
        assert!(report.plans[0].ring.is_some());
        assert_eq!(
            shell.take(),
            [format!("present {alert_id}"), format!("start {alert_id}")],
            "{action:?}"
        );
        // The relay's state did not move: still triggered, paged once.
        let a = alert(&base, &alert_id).await;
        assert_eq!(a["status"], "triggered", "{a}");
        assert_eq!(count(&a, "notified"), 1, "{a}");
        assert_eq!(
            alice.alert(&alert_id).unwrap().view.status,
            AlertStatus::Triggered
        );
    }

    // A further sync with nothing refused leaves the ring alone.
    alice.sync().await.unwrap();
    assert!(shell.take().is_empty());
    relay.shutdown().await.unwrap();
}
