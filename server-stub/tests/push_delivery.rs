//! Pages reach devices with a push token through the relay's `Pusher`,
//! sealed to the device's key (the phone opens it); a token the provider
//! calls unregistered is removed and never pushed to again.

use klaxon_testkit::fakes::push::register_token;
use klaxon_testkit::relay as common;

use common::*;
use klaxon_domain::Page;
use klaxon_relay::delivery::Pusher;
use klaxon_relay::push::PushOutcome;
use klaxon_relay::store::Device;
use klaxon_relay::RunningRelay;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

/// Records pushes (sealed like the real gateway does) and answers as told.
#[derive(Default)]
struct Recorder {
    sent: Mutex<Vec<(String, Vec<u8>)>>,
    answer_unregistered: Mutex<bool>,
    answer_retry: Mutex<bool>,
}

impl Recorder {
    /// A recorder that answers every push with "retry in 200 ms".
    fn asking_to_retry() -> Arc<Recorder> {
        let recorder = Recorder::default();
        *recorder.answer_retry.lock().unwrap() = true;
        Arc::new(recorder)
    }
}

/// The relay's `Pusher`, handing every push to the shared recorder.
#[derive(Clone)]
struct Shared(Arc<Recorder>);

impl Pusher for Shared {
    fn push(
        &self,
        device: Device,
        page: Page,
    ) -> Pin<Box<dyn Future<Output = PushOutcome> + Send>> {
        let me = self.0.clone();
        Box::pin(async move {
            let sealed =
                klaxon_crypto::seal(&device.sealing_key, &serde_json::to_vec(&page).unwrap())
                    .unwrap();
            me.sent
                .lock()
                .unwrap()
                .push((device.push_token.unwrap_or_default(), sealed));
            if *me.answer_unregistered.lock().unwrap() {
                PushOutcome::Unregistered
            } else if *me.answer_retry.lock().unwrap() {
                PushOutcome::Retry {
                    after: Some(std::time::Duration::from_millis(200)),
                }
            } else {
                PushOutcome::Delivered
            }
        })
    }
}

/// A relay on the database in `dir` whose pushes go to `recorder`.
async fn start_pushing_to(dir: &Path, recorder: &Arc<Recorder>) -> (RunningRelay, String) {
    start_built(dir, |r| r.pusher(Arc::new(Shared(recorder.clone())))).await
}

#[tokio::test]
async fn pages_are_pushed_sealed_and_dead_tokens_are_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let recorder = Arc::new(Recorder::default());
    let (relay, base) = start_pushing_to(dir.path(), &recorder).await;
    let alice = enroll(&base, "alice").await;
    register_token(&base, &alice, "apns", "tok-1").await;

    enqueue_trigger(&base, API_KEY, "p1", "pushed", "critical").await;
    assert!(eventually(2, || async { recorder.sent.lock().unwrap().len() == 1 }).await);
    let (token, sealed) = recorder.sent.lock().unwrap()[0].clone();
    assert_eq!(token, "tok-1");
    let page = Page::from_json(&alice.identity.open(&sealed).unwrap()).unwrap();
    assert_eq!(page.summary, "pushed");
    assert_eq!(page.step_seq, 1);

    // The provider says the token is dead: it is removed.
    *recorder.answer_unregistered.lock().unwrap() = true;
    enqueue_trigger(&base, API_KEY, "p2", "to a dead token", "critical").await;
    assert!(eventually(2, || async { recorder.sent.lock().unwrap().len() == 2 }).await);
    let metrics = metrics(&base).await;
    assert!(
        eventually(2, || async {
            relay
                .state()
                .store
                .device(alice.id.clone())
                .await
                .unwrap()
                .unwrap()
                .push_token
                .is_none()
        })
        .await
    );
    enqueue_trigger(&base, API_KEY, "p3", "nobody to push to", "critical").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(recorder.sent.lock().unwrap().len(), 2);
    let metrics2 = common::metrics(&base).await;
    for line in [
        "klaxon_push_failures_total{reason=\"unregistered\"} 1",
        "klaxon_pages_sent_total 3",
        "klaxon_events_accepted_total{integration=\"events_v2\"} 3",
    ] {
        assert!(metrics2.contains(line), "{line} in {metrics} / {metrics2}");
    }
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn pushes_are_retried_and_a_restart_sends_what_was_pending() {
    let dir = tempfile::tempdir().unwrap();
    let failing = Recorder::asking_to_retry();
    let (relay, base) = start_pushing_to(dir.path(), &failing).await;
    // The web shop escalates after an hour: the retries (at least a second
    // apart) cannot race a later step.
    let carol = enroll(&base, "carol").await;
    register_token(&base, &carol, "fcm", "fcm-tok").await;
    enqueue_trigger(&base, SHOP_KEY, "retry", "retry me", "critical").await;
    // The provider keeps asking for a retry: the worker tries again.
    assert!(eventually(5, || async { failing.sent.lock().unwrap().len() >= 2 }).await);
    relay.shutdown().await.unwrap();

    // A restart with a working provider sends the push that was pending.
    let working = Arc::new(Recorder::default());
    let (relay, _) = start_pushing_to(dir.path(), &working).await;
    assert!(eventually(5, || async { !working.sent.lock().unwrap().is_empty() }).await);
    let (token, sealed) = working.sent.lock().unwrap()[0].clone();
    assert_eq!(token, "fcm-tok");
    let page = Page::from_json(&carol.identity.open(&sealed).unwrap()).unwrap();
    assert_eq!((page.summary.as_str(), page.step_seq), ("retry me", 1));
    // Delivered once: nothing more is pending for that step.
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let steps: Vec<u32> = working
        .sent
        .lock()
        .unwrap()
        .iter()
        .map(|(_, s)| {
            Page::from_json(&carol.identity.open(s).unwrap())
                .unwrap()
                .step_seq
        })
        .collect();
    assert_eq!(steps.iter().filter(|s| **s == 1).count(), 1, "{steps:?}");
    relay.shutdown().await.unwrap();
}
