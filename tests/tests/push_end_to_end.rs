//! Push end to end: a real relay with the real `GatewayPusher` over a real
//! `PushGateway` (configured the way `klaxon serve` configures it, from its
//! variables), talking to the fake APNs (h2c) and fake FCM that enforce the
//! providers' wire rules; the phones open what arrives with their own keys.
//!
//! Covers what the relay's recording-pusher test and the gateway's own tests
//! cannot see alone: the clear alert field is the alert id, the collapse id
//! is per alert (a later step replaces the earlier notification), the page
//! opens only on the device it was sealed to, loudness survives the trip, a
//! dead token is dropped by the relay, and an oversized page becomes a
//! "sync needed" push that the phone can follow with a signed sync.

use klaxon_testkit::fakes;
use klaxon_testkit::fixtures;
use klaxon_testkit::relay as common;

use common::{alert_by_key, enroll, eventually, invite, TestDevice, ADMIN, API_KEY};
use fakes::apns::{p8_key, ApnsPush, FakeApns};
use fakes::fcm::{FakeFcm, FcmSend};
use fakes::push::register_token;
use klaxon_device::page::Page;
use klaxon_domain::{AlertStatus, Clock, Priority, Roster, SystemClock};
use klaxon_relay::delivery::GatewayPusher;
use klaxon_relay::push::jwt::Rs256Signer;
use klaxon_relay::push::{
    PushGateway, ENV_APNS_KEY_FILE, ENV_APNS_KEY_ID, ENV_APNS_TEAM_ID, ENV_APNS_TOPIC,
    ENV_APNS_URL, ENV_FCM_SERVICE_ACCOUNT, ENV_FCM_URL,
};
use klaxon_relay::{Relay, RunningRelay};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

const KEY_ID: &str = "ABC123DEFG";
const TEAM_ID: &str = "DEF123GHIJ";
const TOPIC: &str = "dev.klaxon.app";
const FCM_KEY: &str = klaxon_testkit::fixtures::FCM_KEY_A;
/// Alice's iPhone's APNs device token (64 hex digits, as Apple hands out).
const IPHONE_TOKEN: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
/// Alice's Pixel's FCM registration token.
const PIXEL_TOKEN: &str = "fcm:APA91bE2eEndToEndPixelRegistrationToken_x7Qv";
const SUMMARY: &str = "Disk full on db-7: customer ledger writes failing";

/// Alice always on call, one 2 s step repeated once:
/// `tests/fixtures/push.toml`.
const ROSTER: &str = fixtures::PUSH;

/// The fakes, the relay between them and the phones, and Alice's two
/// enrolled devices with their push tokens registered.
struct World {
    _dir: tempfile::TempDir,
    apns: FakeApns,
    fcm: FakeFcm,
    relay: RunningRelay,
    base: String,
    iphone: TestDevice,
    pixel: TestDevice,
}

async fn world() -> World {
    world_with(ROSTER).await
}

/// [`world`] on another roster.
async fn world_with(roster: &str) -> World {
    let dir = tempfile::tempdir().unwrap();
    // The providers and the gateway read the same (real) clock, as Apple's,
    // Google's and the relay's clocks agree in production.
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let (p8, apns_public) = p8_key();
    let apns = FakeApns::start(apns_public, KEY_ID, TEAM_ID, TOPIC, clock.clone()).await;
    let fcm_public = Rs256Signer::from_pem(FCM_KEY).unwrap().public_key();
    let fcm = FakeFcm::start(fcm_public, clock.clone()).await;

    // Configure the gateway exactly as `klaxon serve` does: key files and
    // variables (here looked up from a map instead of the environment).
    let key_file = dir.path().join("AuthKey_ABC123DEFG.p8");
    std::fs::write(&key_file, p8).unwrap();
    let account_file = dir.path().join("firebase-service-account.json");
    std::fs::write(&account_file, fcm.service_account_json(FCM_KEY)).unwrap();
    let vars: HashMap<&str, String> = HashMap::from([
        (ENV_APNS_KEY_FILE, key_file.to_string_lossy().into_owned()),
        (ENV_APNS_KEY_ID, KEY_ID.to_string()),
        (ENV_APNS_TEAM_ID, TEAM_ID.to_string()),
        (ENV_APNS_TOPIC, TOPIC.to_string()),
        (ENV_APNS_URL, apns.url.clone()),
        (
            ENV_FCM_SERVICE_ACCOUNT,
            account_file.to_string_lossy().into_owned(),
        ),
        (ENV_FCM_URL, fcm.url.clone()),
    ]);
    let gateway = PushGateway::from_lookup(|name| vars.get(name).cloned(), clock).unwrap();
    assert!(gateway.has_apns() && gateway.has_fcm());

    let roster = Roster::parse(roster).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let relay = Relay::new(roster, dir.path().join("relay.db"))
        .admin_token(Some(ADMIN.into()))
        .pusher(Arc::new(GatewayPusher(Arc::new(gateway))))
        .start(listener)
        .await
        .unwrap();
    let base = format!("http://{}", relay.local_addr());

    // Two phones of the on-call person, each with its own identity.
    let iphone = enroll(&base, "alice").await;
    let pixel = enroll(&base, "alice").await;
    assert_ne!(iphone.id, pixel.id);
    register_token(&base, &iphone, "apns", IPHONE_TOKEN).await;
    register_token(&base, &pixel, "fcm", PIXEL_TOKEN).await;
    World {
        _dir: dir,
        apns,
        fcm,
        relay,
        base,
        iphone,
        pixel,
    }
}

impl World {
    /// Sends an Events v2 trigger and returns the id the relay gave the alert.
    async fn trigger(&self, dedup: &str, summary: &str, severity: &str) -> String {
        let (status, body) =
            common::enqueue_trigger(&self.base, API_KEY, dedup, summary, severity).await;
        assert_eq!(status, 202, "{body}");
        common::alert_id_by_key(&self.base, dedup).await
    }

    /// APNs pushes accepted for this alert (by the clear alert field).
    fn apns_for(&self, alert: &str) -> Vec<ApnsPush> {
        self.apns
            .accepted()
            .into_iter()
            .filter(|p| p.body["klaxon"]["alert"] == alert)
            .collect()
    }

    /// FCM messages accepted for this alert (by the clear alert field).
    fn fcm_for(&self, alert: &str) -> Vec<FcmSend> {
        self.fcm
            .accepted()
            .into_iter()
            .filter(|m| m.data("alert") == Some(alert))
            .collect()
    }

    /// Waits until the fakes accepted `apns` and `fcm` pushes for `alert`.
    async fn wait_for(&self, alert: &str, apns: usize, fcm: usize, secs: u64) -> bool {
        eventually(secs, || async {
            self.apns_for(alert).len() >= apns && self.fcm_for(alert).len() >= fcm
        })
        .await
    }

    /// What the fakes received so far, for failure messages: the clear
    /// alert field of each push, and every refusal.
    fn seen(&self) -> String {
        let apns: Vec<String> = self
            .apns
            .accepted()
            .iter()
            .map(|p| p.body["klaxon"]["alert"].to_string())
            .collect();
        let fcm: Vec<String> = self
            .fcm
            .accepted()
            .iter()
            .map(|m| format!("{:?}", m.data("alert")))
            .collect();
        format!(
            "APNs alerts {apns:?}, refused {:?}; FCM alerts {fcm:?}, refused {:?}",
            self.apns.violations(),
            self.fcm.violations()
        )
    }

    /// Neither fake refused anything (wrong header, leaked text, bad token).
    fn assert_no_violations(&self) {
        assert!(
            self.apns.violations().is_empty(),
            "{:?}",
            self.apns.violations()
        );
        assert!(
            self.fcm.violations().is_empty(),
            "{:?}",
            self.fcm.violations()
        );
    }

    async fn metrics(&self) -> String {
        common::metrics(&self.base).await
    }
}

/// Opens a sealed page with `device`'s identity, checking the other
/// device's identity cannot.
fn open(sealed: &[u8], device: &TestDevice, other: &TestDevice) -> Page {
    assert!(
        other.identity.open(sealed).is_err(),
        "a page sealed to {} opened on {}",
        device.id,
        other.id
    );
    Page::from_json(&device.identity.open(sealed).unwrap()).unwrap()
}

#[tokio::test]
async fn a_critical_page_travels_sealed_through_apns_and_fcm_to_the_right_phones() {
    let w = world().await;
    w.apns.forbid(SUMMARY);
    w.fcm.forbid(SUMMARY);

    let alert = w.trigger("disk-db7", SUMMARY, "critical").await;
    assert!(
        w.wait_for(&alert, 1, 1, 5).await,
        "step 1 pushes for {alert}: {}",
        w.seen()
    );
    // Step 2 is 2 s away: exactly one push each so far, both for this alert.
    assert_eq!(w.apns.accepted().len(), 1);
    assert_eq!(w.fcm.accepted().len(), 1);
    w.assert_no_violations();

    // APNs: the iPhone's token, the alert id in clear, one collapse id per
    // alert, loud, generic text, the page sealed to the iPhone only.
    let push = w.apns.accepted().remove(0);
    assert_eq!(push.device_token, IPHONE_TOKEN);
    assert_eq!(push.body["klaxon"]["alert"], alert.as_str());
    assert_eq!(push.header("apns-collapse-id"), alert);
    assert_eq!(push.header("apns-priority"), "10");
    assert_eq!(push.header("apns-push-type"), "alert");
    assert_eq!(push.header("apns-topic"), TOPIC);
    assert_eq!(push.body["aps"]["interruption-level"], "critical");
    assert_eq!(
        push.body["aps"]["sound"],
        json!({"critical": 1, "name": "klaxon.caf", "volume": 1.0})
    );
    assert_eq!(push.body["aps"]["alert"]["body"], "Critical page");
    assert!(!push.body.to_string().contains(SUMMARY));
    assert!(!push.body.to_string().contains("Disk full"));
    let page = open(&push.sealed().unwrap(), &w.iphone, &w.pixel);
    assert_eq!(page.alert, alert);
    assert_eq!(page.summary, SUMMARY);
    assert_eq!(page.priority, Priority::Critical);
    assert_eq!(page.status, AlertStatus::Triggered);
    assert_eq!(page.step_seq, 1);
    assert_eq!(page.service_name, "Public API");
    assert_eq!(
        page.runbook.as_deref(),
        Some("https://runbooks.example.com/api")
    );

    // FCM: the Pixel's token, a data-only HIGH message, the same id in
    // clear and as collapse key, the page sealed to the Pixel only.
    let sent = w.fcm.accepted().remove(0);
    assert_eq!(sent.message["token"], PIXEL_TOKEN);
    assert!(sent.message.get("notification").is_none());
    assert_eq!(sent.message["android"]["priority"], "HIGH");
    assert_eq!(sent.message["android"]["collapse_key"], alert.as_str());
    assert_eq!(sent.data("alert"), Some(alert.as_str()));
    assert_eq!(sent.data("priority"), Some("critical"));
    assert!(sent.data("sync").is_none());
    assert!(!sent.message.to_string().contains(SUMMARY));
    let page = open(&sent.sealed().unwrap(), &w.pixel, &w.iphone);
    assert_eq!(page.alert, alert);
    assert_eq!(page.summary, SUMMARY);
    assert_eq!(page.priority, Priority::Critical);
    assert_eq!(page.step_seq, 1);

    // Nobody acknowledges: the step fires again 2 s later and its push
    // replaces the first notification (same collapse id) as step_seq 2.
    assert!(w.wait_for(&alert, 2, 2, 6).await, "step 2: {}", w.seen());
    let apns2 = w.apns_for(&alert).remove(1);
    assert_eq!(apns2.device_token, IPHONE_TOKEN);
    assert_eq!(apns2.header("apns-collapse-id"), alert);
    assert_eq!(apns2.header("apns-priority"), "10");
    assert_eq!(apns2.body["aps"]["interruption-level"], "critical");
    let page = open(&apns2.sealed().unwrap(), &w.iphone, &w.pixel);
    assert_eq!((page.alert.as_str(), page.step_seq), (alert.as_str(), 2));
    assert_eq!(page.summary, SUMMARY);
    let fcm2 = w.fcm_for(&alert).remove(1);
    assert_eq!(fcm2.message["android"]["collapse_key"], alert.as_str());
    assert_eq!(fcm2.message["android"]["priority"], "HIGH");
    let page = open(&fcm2.sealed().unwrap(), &w.pixel, &w.iphone);
    assert_eq!((page.alert.as_str(), page.step_seq), (alert.as_str(), 2));
    assert_eq!(
        alert_by_key(&w.base, "disk-db7").await.unwrap()["paged"],
        json!(["alice", "alice"])
    );
    w.assert_no_violations();

    // The iPhone's app is uninstalled: Apple answers 410 for its token.
    w.apns.unregister(IPHONE_TOKEN);
    let second = w
        .trigger("cpu-api", "CPU above 95% on api-3", "critical")
        .await;
    assert_ne!(second, alert);
    assert!(w.wait_for(&second, 0, 1, 5).await, "{}", w.seen());
    let sent = w.fcm_for(&second).remove(0);
    // Each alert collapses on its own id.
    assert_eq!(sent.message["android"]["collapse_key"], second.as_str());
    assert_eq!(
        open(&sent.sealed().unwrap(), &w.pixel, &w.iphone).summary,
        "CPU above 95% on api-3"
    );
    let store = w.relay.state().store.clone();
    let iphone_id = w.iphone.id.clone();
    assert!(
        eventually(5, || async {
            store
                .device(iphone_id.clone())
                .await
                .unwrap()
                .unwrap()
                .push_token
                .is_none()
        })
        .await,
        "the relay removed the dead APNs token"
    );
    let pixel = store.device(w.pixel.id.clone()).await.unwrap().unwrap();
    assert_eq!(pixel.push_token.as_deref(), Some(PIXEL_TOKEN));
    assert_eq!(
        w.apns.requests_to(IPHONE_TOKEN),
        3,
        "two delivered, one 410"
    );

    // Later pages (this alert's step 2, a new alert) still reach the Pixel
    // and never go to the dead token again.
    let third = w
        .trigger("mem-api", "Memory pressure on api-1", "critical")
        .await;
    assert!(w.wait_for(&third, 0, 1, 5).await, "{}", w.seen());
    assert!(w.wait_for(&second, 0, 2, 6).await, "{}", w.seen());
    let sent = w.fcm_for(&third).remove(0);
    assert_eq!(sent.message["android"]["collapse_key"], third.as_str());
    assert_eq!(
        open(&sent.sealed().unwrap(), &w.pixel, &w.iphone).step_seq,
        1
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(w.apns.requests_to(IPHONE_TOKEN), 3, "nothing more to it");
    assert!(w.apns_for(&second).is_empty() && w.apns_for(&third).is_empty());
    let metrics = w.metrics().await;
    assert!(
        metrics.contains("klaxon_push_failures_total{reason=\"unregistered\"} 1"),
        "{metrics}"
    );
    w.assert_no_violations();
    w.relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_page_too_big_for_4kb_goes_as_a_sync_needed_push_with_only_the_alert_id() {
    let w = world().await;
    // 1,000 four-byte characters: within Events v2's 1,024-character limit,
    // but about 4 KB of JSON before sealing and base64 add their third.
    let summary = format!("Disk full {}", "\u{1F525}".repeat(1000));
    w.apns.forbid(&summary);
    w.fcm.forbid(&summary);
    let alert = w.trigger("huge", &summary, "critical").await;
    assert!(
        w.wait_for(&alert, 1, 1, 5).await,
        "sync-needed pushes for {alert}: {}",
        w.seen()
    );
    w.assert_no_violations();

    let push = w.apns_for(&alert).remove(0);
    assert_eq!(push.device_token, IPHONE_TOKEN);
    assert!(push.body_len <= 4096, "{} bytes", push.body_len);
    // Only the alert id, and still as loud as the page it stands for.
    assert_eq!(
        push.body["klaxon"],
        json!({"v": 1, "alert": alert, "sync": true})
    );
    assert!(push.sealed().is_none());
    assert_eq!(push.body["aps"]["interruption-level"], "critical");
    assert_eq!(push.header("apns-priority"), "10");
    assert_eq!(push.header("apns-collapse-id"), alert);

    let sent = w.fcm_for(&alert).remove(0);
    assert_eq!(sent.message["token"], PIXEL_TOKEN);
    assert_eq!(
        sent.message["data"],
        json!({"v": "1", "alert": alert, "priority": "critical", "sync": "1"})
    );
    assert_eq!(sent.message["android"]["priority"], "HIGH");
    assert_eq!(sent.message["android"]["collapse_key"], alert.as_str());

    // The id is enough: the phone's signed sync returns the whole page.
    let (status, synced) = w.iphone.send(&w.base, "GET", "/v1/sync", None).await;
    assert_eq!(status, 200, "{synced}");
    let found: Vec<&Value> = synced["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["id"] == alert.as_str())
        .collect();
    assert_eq!(found.len(), 1, "{synced}");
    assert_eq!(found[0]["summary"], summary.as_str());
    assert_eq!(found[0]["priority"], "critical");
    w.relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn loudness_follows_the_events_severity_through_both_providers() {
    let w = world().await;
    // Events v2 severity -> priority -> what each provider is told.
    for (dedup, severity, priority, level, apns_priority, android) in [
        (
            "err",
            "error",
            Priority::High,
            "time-sensitive",
            "10",
            "HIGH",
        ),
        ("warn", "warning", Priority::Low, "passive", "5", "NORMAL"),
    ] {
        let summary = format!("a {severity} page");
        w.apns.forbid(&summary);
        w.fcm.forbid(&summary);
        let alert = w.trigger(dedup, &summary, severity).await;
        assert!(w.wait_for(&alert, 1, 1, 5).await, "{}", w.seen());
        let push = w.apns_for(&alert).remove(0);
        assert_eq!(push.body["aps"]["interruption-level"], level);
        assert_eq!(push.header("apns-priority"), apns_priority);
        assert_eq!(push.header("apns-collapse-id"), alert);
        let page = open(&push.sealed().unwrap(), &w.iphone, &w.pixel);
        assert_eq!(
            (page.priority, page.summary.as_str()),
            (priority, summary.as_str())
        );
        let sent = w.fcm_for(&alert).remove(0);
        assert_eq!(sent.message["android"]["priority"], android);
        assert_eq!(sent.data("priority"), Some(priority.as_str()));
        let page = open(&sent.sealed().unwrap(), &w.pixel, &w.iphone);
        assert_eq!(page.priority, priority);
    }
    w.assert_no_violations();
    w.relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_throttled_push_is_retried_after_the_providers_retry_after() {
    // No second step during this test: every push seen is step 1's.
    let w = world_with(&ROSTER.replace("delay = \"2s\"", "delay = \"1h\"")).await;
    // Apple throttles the first request and asks for 1 s.
    w.apns.script(429, Some("1"), "TooManyRequests");
    let sent_at = std::time::Instant::now();
    let alert = w.trigger("throttled", SUMMARY, "critical").await;
    assert!(w.wait_for(&alert, 0, 1, 5).await, "{}", w.seen());
    assert!(w.wait_for(&alert, 1, 1, 5).await, "{}", w.seen());
    let waited = sent_at.elapsed();
    assert!(
        waited >= Duration::from_millis(900),
        "retried after {waited:?}"
    );
    assert_eq!(w.apns.requests_to(IPHONE_TOKEN), 2, "one 429, one delivery");
    let push = w.apns_for(&alert).remove(0);
    let page = open(&push.sealed().unwrap(), &w.iphone, &w.pixel);
    assert_eq!((page.alert.as_str(), page.step_seq), (alert.as_str(), 1));
    // Delivered once: the retried row is gone.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(w.apns_for(&alert).len(), 1);
    assert_eq!(w.apns.requests_to(IPHONE_TOKEN), 2);
    assert_eq!(w.fcm_for(&alert).len(), 1);
    let metrics = w.metrics().await;
    assert!(
        metrics.contains("klaxon_push_failures_total{reason=\"retry\"} 1"),
        "{metrics}"
    );
    w.relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_token_registered_while_a_push_to_the_old_one_is_in_flight_survives_its_410() {
    let w = world_with(&ROSTER.replace("delay = \"2s\"", "delay = \"1h\"")).await;
    const NEW_TOKEN: &str = "a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1";
    // The app was reinstalled: Apple already calls the old token dead, and
    // the push to it is on the wire when the phone registers its new one.
    w.apns.unregister(IPHONE_TOKEN);
    let hold = w.apns.state.gate.write().await;
    let alert = w.trigger("rotated", SUMMARY, "critical").await;
    assert!(
        eventually(5, || async { w.apns.requests_to(IPHONE_TOKEN) == 1 }).await,
        "the push to the old token is in flight"
    );
    register_token(&w.base, &w.iphone, "apns", NEW_TOKEN).await;
    drop(hold);

    // The 410 was about the old token: the new one is kept, and the page
    // goes to it.
    assert!(w.wait_for(&alert, 1, 1, 5).await, "{}", w.seen());
    let push = w.apns_for(&alert).remove(0);
    assert_eq!(push.device_token, NEW_TOKEN);
    let page = open(&push.sealed().unwrap(), &w.iphone, &w.pixel);
    assert_eq!((page.alert.as_str(), page.step_seq), (alert.as_str(), 1));
    let iphone = w
        .relay
        .state()
        .store
        .device(w.iphone.id.clone())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(iphone.push_token.as_deref(), Some(NEW_TOKEN));
    assert_eq!(w.apns.requests_to(IPHONE_TOKEN), 1);
    w.relay.shutdown().await.unwrap();
}

/// The fixture roster with no repeat and step 1 (the primary schedule)
/// lasting one second, then a step 2 that pages `target` for an hour.
fn then_after_a_second(target: &str) -> String {
    ROSTER.replace("repeat = 1", "repeat = 0").replace(
        "  delay = \"2s\"\n  targets = [\"schedule:primary\"]\n",
        &format!("  delay = \"1s\"\n  targets = [\"schedule:primary\"]\n\n  [[policies.steps]]\n  delay = \"1h\"\n  targets = [\"{target}\"]\n"),
    )
}

/// Alice's two core phones, an iPhone on APNs and a Pixel on FCM with these
/// tokens, each in its own state directory (which must outlive them).
async fn core_phones(
    base: &str,
    iphone_token: &str,
    pixel_token: &str,
) -> (
    (tempfile::TempDir, tempfile::TempDir),
    Arc<klaxon_device::device::Device>,
    Arc<klaxon_device::device::Device>,
) {
    use klaxon_domain::wire::PushPlatform;
    let dirs = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let iphone = core_phone(base, dirs.0.path(), PushPlatform::Apns, iphone_token).await;
    let pixel = core_phone(base, dirs.1.path(), PushPlatform::Fcm, pixel_token).await;
    (dirs, iphone, pixel)
}

/// A phone's core (what the iOS and Android shells link), enrolled with a
/// one-time code, its push token registered by its own sync.
async fn core_phone(
    base: &str,
    dir: &std::path::Path,
    platform: klaxon_domain::wire::PushPlatform,
    token: &str,
) -> Arc<klaxon_device::device::Device> {
    let device = klaxon_device::device::Device::open(dir, base, Arc::new(SystemClock)).unwrap();
    let code = invite(base, "alice").await;
    let enrollment = device.enroll(&code, "Alice's phone").await.unwrap();
    assert_eq!(enrollment.person, "alice");
    device
        .report_capabilities(klaxon_device::device::Capabilities {
            notifications_allowed: true,
            dnd_access: true,
            full_screen_allowed: true,
            battery_optimisation_exempt: true,
            push_platform: platform,
            push_token: Some(token.to_string()),
            push_token_issued_at: None,
            reported_at: chrono::Utc::now(),
            channels: Vec::new(),
            background_restricted: None,
            push_token_state: None,
        })
        .unwrap();
    let device = Arc::new(device);
    device.sync().await.unwrap();
    device
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_phones_core_opens_what_apns_and_fcm_deliver() {
    use klaxon_device::device::PushOutcome;
    const CORE_IPHONE: &str = "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf";
    const CORE_PIXEL: &str = "fcm:core-pixel-registration-token";
    let w = world_with(&ROSTER.replace("delay = \"2s\"", "delay = \"1h\"")).await;
    let (_dirs, iphone, pixel) = core_phones(&w.base, CORE_IPHONE, CORE_PIXEL).await;
    w.apns.forbid(SUMMARY);
    w.fcm.forbid(SUMMARY);

    let alert = w.trigger("core-open", SUMMARY, "critical").await;
    let (apns_body, fcm_data) = {
        let mut found = None;
        assert!(
            eventually(5, || {
                let apns = w.apns_for(&alert);
                let fcm = w.fcm_for(&alert);
                let pair = (
                    apns.into_iter().find(|p| p.device_token == CORE_IPHONE),
                    fcm.into_iter().find(|m| m.message["token"] == CORE_PIXEL),
                );
                if let (Some(a), Some(f)) = pair {
                    found = Some((a.body, f.message["data"].clone()));
                }
                std::future::ready(found.is_some())
            })
            .await,
            "{}",
            w.seen()
        );
        found.unwrap()
    };
    // Each phone's core opens exactly the bytes its provider delivered (the
    // APNs body, the FCM data map) and plans a critical ring.
    for (phone, payload, other) in [(&iphone, &apns_body, &pixel), (&pixel, &fcm_data, &iphone)] {
        let bytes = serde_json::to_vec(payload).unwrap();
        assert!(
            other.receive_push(&bytes).is_err(),
            "opened by the wrong phone"
        );
        match phone.receive_push(&bytes).unwrap() {
            PushOutcome::Show(plan) => {
                assert_eq!(plan.alert, alert);
                assert_eq!(plan.summary, SUMMARY);
                assert_eq!(plan.priority, Priority::Critical);
                assert!(plan.override_dnd && plan.full_screen && plan.ring.is_some());
            }
            other => panic!("{other:?}"),
        }
        // The same push again (the provider redelivers): rings nothing.
        assert_eq!(phone.receive_push(&bytes).unwrap(), PushOutcome::Duplicate);
    }

    // A page too big to push: the phone learns the alert id and its sync
    // brings the page and rings it once.
    let summary = format!("Disk full {}", "\u{1F525}".repeat(1000));
    let big = w.trigger("core-big", &summary, "critical").await;
    assert!(w.wait_for(&big, 2, 2, 5).await, "{}", w.seen());
    let body = w
        .apns_for(&big)
        .into_iter()
        .find(|p| p.device_token == CORE_IPHONE)
        .unwrap()
        .body;
    assert_eq!(
        iphone
            .receive_push(&serde_json::to_vec(&body).unwrap())
            .unwrap(),
        PushOutcome::SyncNeeded { alert: big.clone() }
    );
    let report = iphone.sync().await.unwrap();
    let rung: Vec<_> = report.plans.iter().filter(|p| p.alert == big).collect();
    assert_eq!(rung.len(), 1, "{:?}", report.plans);
    assert_eq!(rung[0].summary, summary);
    assert!(rung[0].ring.is_some());
    // The page its push already brought does not ring again from the sync.
    assert!(
        report.plans.iter().all(|p| p.alert != alert),
        "{:?}",
        report.plans
    );
    w.assert_no_violations();
    w.relay.shutdown().await.unwrap();
}

/// A phone shell that records what core tells it.
#[derive(Default)]
struct RecordingShell {
    calls: std::sync::Mutex<Vec<String>>,
}

impl RecordingShell {
    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
    fn count(&self, prefix: &str) -> usize {
        self.calls()
            .iter()
            .filter(|c| c.starts_with(prefix))
            .count()
    }
    fn record(&self, call: String) -> Result<(), String> {
        self.calls.lock().unwrap().push(call);
        Ok(())
    }
}

impl klaxon_device::device::Shell for RecordingShell {
    fn present(&self, plan: &klaxon_domain::notify::NotificationPlan) -> Result<(), String> {
        self.record(format!("present {}", plan.alert))
    }
    fn update(&self, plan: &klaxon_domain::notify::NotificationPlan) -> Result<(), String> {
        self.record(format!("update {} {:?}", plan.alert, plan.sound))
    }
    fn cancel(&self, alert: &str) -> Result<(), String> {
        self.record(format!("cancel {alert}"))
    }
    fn start_ringing(
        &self,
        alert: &str,
        _ring: &klaxon_domain::notify::RingLoop,
    ) -> Result<(), String> {
        self.record(format!("start {alert}"))
    }
    fn stop_ringing(&self, alert: &str) -> Result<(), String> {
        self.record(format!("stop {alert}"))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acknowledgement_sends_each_pushed_phone_one_silent_status_push_that_stops_its_ring() {
    use klaxon_device::device::PushOutcome;
    use klaxon_domain::alert::Action;
    const CORE_IPHONE: &str = "d0d1d2d3d4d5d6d7d8d9dadbdcdddedfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf";
    const CORE_PIXEL: &str = "fcm:status-pixel-registration-token";
    const BOB_PIXEL: &str = "fcm:bob-never-paged-token";
    let w = world_with(&ROSTER.replace("delay = \"2s\"", "delay = \"1h\"")).await;
    let (_dirs, iphone, pixel) = core_phones(&w.base, CORE_IPHONE, CORE_PIXEL).await;
    let (iphone_shell, pixel_shell) = (
        Arc::new(RecordingShell::default()),
        Arc::new(RecordingShell::default()),
    );
    iphone.set_shell(Some(iphone_shell.clone()));
    pixel.set_shell(Some(pixel_shell.clone()));
    // Bob has a phone with a token but is never paged for this alert.
    let bob = enroll(&w.base, "bob").await;
    register_token(&w.base, &bob, "fcm", BOB_PIXEL).await;
    w.apns.forbid(SUMMARY);
    w.fcm.forbid(SUMMARY);

    // Alice has four phones with tokens: the page reaches each once.
    let alert = w.trigger("status-ack", SUMMARY, "critical").await;
    assert!(w.wait_for(&alert, 2, 2, 5).await, "{}", w.seen());
    let apns_to = |token: &str| -> Vec<ApnsPush> {
        w.apns_for(&alert)
            .into_iter()
            .filter(|p| p.device_token == token)
            .collect()
    };
    let fcm_to = |token: &str| -> Vec<FcmSend> {
        w.fcm_for(&alert)
            .into_iter()
            .filter(|m| m.message["token"] == token)
            .collect()
    };
    let page_bytes = (
        serde_json::to_vec(&apns_to(CORE_IPHONE)[0].body).unwrap(),
        serde_json::to_vec(&fcm_to(CORE_PIXEL)[0].message["data"]).unwrap(),
    );
    assert!(matches!(
        iphone.receive_push(&page_bytes.0).unwrap(),
        PushOutcome::Show(_)
    ));
    assert!(matches!(
        pixel.receive_push(&page_bytes.1).unwrap(),
        PushOutcome::Show(_)
    ));
    assert_eq!(pixel_shell.count("start"), 1, "{:?}", pixel_shell.calls());

    // Alice acknowledges on her iPhone; its sync delivers the action.
    iphone.act(&alert, Action::Acknowledge).unwrap();
    iphone.sync().await.unwrap();
    assert!(w.wait_for(&alert, 4, 4, 5).await, "{}", w.seen());
    tokio::time::sleep(Duration::from_millis(500)).await;
    w.assert_no_violations();
    // Exactly one status push per phone that was pushed the page, also to
    // the iPhone that acknowledged; none to Bob.
    for token in [IPHONE_TOKEN, CORE_IPHONE] {
        let pushes = apns_to(token);
        assert_eq!(pushes.len(), 2, "{token}: {}", w.seen());
        let push = &pushes[1];
        assert_eq!(push.header("apns-push-type"), "alert");
        assert_eq!(push.header("apns-priority"), "5");
        assert_eq!(push.header("apns-collapse-id"), alert);
        assert_eq!(push.body["aps"]["interruption-level"], "passive");
        assert!(push.body["aps"].get("sound").is_none());
        assert_eq!(push.body["aps"]["mutable-content"], 1);
        assert_eq!(push.body["aps"]["content-available"], 1);
        assert_eq!(push.body["klaxon"]["alert"], alert.as_str());
    }
    let page = open(
        &apns_to(IPHONE_TOKEN)[1].sealed().unwrap(),
        &w.iphone,
        &w.pixel,
    );
    assert_eq!(
        (page.status, page.step_seq, page.status_update),
        (AlertStatus::Acknowledged, 1, true)
    );
    for token in [PIXEL_TOKEN, CORE_PIXEL] {
        let sent = fcm_to(token);
        assert_eq!(sent.len(), 2, "{token}: {}", w.seen());
        assert!(sent[1].message.get("notification").is_none());
        assert_eq!(sent[1].message["android"]["priority"], "HIGH");
        assert_eq!(sent[1].message["android"]["collapse_key"], alert.as_str());
    }
    assert!(fcm_to(BOB_PIXEL).is_empty());
    let page = open(
        &fcm_to(PIXEL_TOKEN)[1].sealed().unwrap(),
        &w.pixel,
        &w.iphone,
    );
    assert_eq!(page.status, AlertStatus::Acknowledged);

    // The Pixel (still ringing) opens its status push: the ring stops, the
    // notification goes silent, nothing rings; the redelivery is ignored.
    let status_bytes = serde_json::to_vec(&fcm_to(CORE_PIXEL)[1].message["data"]).unwrap();
    match pixel.receive_push(&status_bytes).unwrap() {
        PushOutcome::Show(plan) => {
            assert!(plan.ring.is_none() && !plan.full_screen);
            assert_eq!(plan.sound, klaxon_domain::notify::Sound::Silent);
        }
        other => panic!("{other:?}"),
    }
    let after = pixel_shell.calls();
    assert_eq!(pixel_shell.count("start"), 1, "{after:?}");
    assert_eq!(pixel_shell.count("stop"), 1, "{after:?}");
    assert_eq!(
        pixel.receive_push(&status_bytes).unwrap(),
        PushOutcome::Duplicate
    );
    assert_eq!(pixel_shell.calls(), after, "a repeat changes nothing");
    // The iPhone that acknowledged gets it harmlessly: no ring.
    let status_bytes = serde_json::to_vec(&apns_to(CORE_IPHONE)[1].body).unwrap();
    let _ = iphone.receive_push(&status_bytes).unwrap();
    assert_eq!(iphone_shell.count("start"), 1, "{:?}", iphone_shell.calls());

    // The same acknowledgement again (monitoring repeats it) pushes nothing;
    // resolving sends one more each.
    let (status, _) = common::enqueue_action(&w.base, API_KEY, "status-ack", "acknowledge").await;
    assert_eq!(status, 202);
    let (status, _) = common::enqueue_action(&w.base, API_KEY, "status-ack", "resolve").await;
    assert_eq!(status, 202);
    assert!(w.wait_for(&alert, 6, 6, 5).await, "{}", w.seen());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(w.apns_for(&alert).len(), 6, "{}", w.seen());
    assert_eq!(w.fcm_for(&alert).len(), 6, "{}", w.seen());
    let page = open(
        &apns_to(IPHONE_TOKEN)[2].sealed().unwrap(),
        &w.iphone,
        &w.pixel,
    );
    assert_eq!(
        (page.status, page.status_update),
        (AlertStatus::Resolved, true)
    );
    let resolved = serde_json::to_vec(&fcm_to(CORE_PIXEL)[2].message["data"]).unwrap();
    pixel.receive_push(&resolved).unwrap();
    assert_eq!(pixel_shell.count("cancel"), 1, "{:?}", pixel_shell.calls());
    assert_eq!(pixel_shell.count("start"), 1);
    w.assert_no_violations();
    w.relay.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_escalation_to_someone_else_sends_the_previous_phones_a_silent_status_push() {
    // Step 1 pages Alice (for 1 s), step 2 pages Bob.
    let roster = then_after_a_second("person:bob");
    assert!(roster.contains("person:bob"));
    let w = world_with(&roster).await;
    const BOB_PIXEL: &str = "fcm:bob-escalated-to-token";
    let bob = enroll(&w.base, "bob").await;
    register_token(&w.base, &bob, "fcm", BOB_PIXEL).await;

    let alert = w.trigger("status-escalate", SUMMARY, "critical").await;
    // Step 1 to Alice's two phones, then step 2: Bob's page and a status
    // push to each of Alice's phones.
    assert!(w.wait_for(&alert, 2, 3, 6).await, "{}", w.seen());
    tokio::time::sleep(Duration::from_millis(500)).await;
    w.assert_no_violations();
    let apns = w.apns_for(&alert);
    assert_eq!(apns.len(), 2, "{}", w.seen());
    assert_eq!(apns[1].header("apns-priority"), "5");
    assert_eq!(apns[1].body["aps"]["interruption-level"], "passive");
    let page = open(&apns[1].sealed().unwrap(), &w.iphone, &w.pixel);
    assert_eq!(
        (page.status, page.step_seq, page.status_update),
        (AlertStatus::Triggered, 2, true)
    );
    let fcm = w.fcm_for(&alert);
    assert_eq!(fcm.len(), 3, "{}", w.seen());
    let to_bob: Vec<&FcmSend> = fcm
        .iter()
        .filter(|m| m.message["token"] == BOB_PIXEL)
        .collect();
    assert_eq!(to_bob.len(), 1);
    let page = Page::from_json(&bob.identity.open(&to_bob[0].sealed().unwrap()).unwrap()).unwrap();
    assert_eq!(
        (page.step_seq, page.status_update),
        (2, false),
        "Bob's is a page"
    );
    let to_pixel: Vec<&FcmSend> = fcm
        .iter()
        .filter(|m| m.message["token"] == PIXEL_TOKEN)
        .collect();
    assert_eq!(to_pixel.len(), 2);
    let page = open(&to_pixel[1].sealed().unwrap(), &w.pixel, &w.iphone);
    assert_eq!((page.step_seq, page.status_update), (2, true));
    w.relay.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_stops_a_ring_that_another_process_on_the_same_state_dir_settled() {
    use klaxon_domain::alert::Action;
    use klaxon_domain::wire::PushPlatform;
    let w = world_with(&ROSTER.replace("delay = \"2s\"", "delay = \"1h\"")).await;
    let dir = tempfile::tempdir().unwrap();
    let pager = core_phone(
        &w.base,
        dir.path(),
        PushPlatform::Fcm,
        "fcm:shared-dir-token",
    )
    .await;
    let shell = Arc::new(RecordingShell::default());
    pager.set_shell(Some(shell.clone()));
    // A second process on the same state directory (the terminal pager
    // and a `klaxon` command beside it): same store, same sync cursor.
    let other = Arc::new(
        klaxon_device::device::Device::open(dir.path(), &w.base, Arc::new(SystemClock)).unwrap(),
    );

    let alert = w.trigger("shared-dir", SUMMARY, "critical").await;
    let report = pager.sync().await.unwrap();
    assert!(
        report
            .plans
            .iter()
            .any(|p| p.alert == alert && p.ring.is_some()),
        "{:?}",
        report.plans
    );
    assert_eq!(shell.count("start"), 1, "{:?}", shell.calls());

    // Monitoring acknowledges; the other process's sync pulls the change
    // and moves the shared cursor past it.
    let (status, _) = common::enqueue_action(&w.base, API_KEY, "shared-dir", "acknowledge").await;
    assert_eq!(status, 202);
    assert!(other.sync().await.unwrap().alerts_changed >= 1);
    // This process's sync pulls nothing, and still stops its ring: the
    // stored alert is acknowledged.
    let report = pager.sync().await.unwrap();
    assert_eq!(report.alerts_changed, 0, "the other process pulled it");
    assert_eq!(
        shell.count(&format!("stop {alert}")),
        1,
        "{:?}",
        shell.calls()
    );
    assert_eq!(shell.count(&format!("update {alert} Silent")), 1);

    // The other process acknowledges a second page itself (queued in the
    // shared outbox): this process's next sync stops that ring too.
    let second = w
        .trigger("shared-dir-2", "CPU above 95% on api-3", "critical")
        .await;
    pager.sync().await.unwrap();
    assert_eq!(
        shell.count(&format!("start {second}")),
        1,
        "{:?}",
        shell.calls()
    );
    other.act(&second, Action::Acknowledge).unwrap();
    pager.sync().await.unwrap();
    assert_eq!(
        shell.count(&format!("stop {second}")),
        1,
        "{:?}",
        shell.calls()
    );
    assert_eq!(shell.count("start"), 2, "nothing rang again");
    w.relay.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_that_pages_nobody_sends_no_status_push_so_the_ring_goes_on() {
    // Step 1 pages Alice for 1 s; step 2's schedule has nobody on call now.
    let roster = then_after_a_second("schedule:later")
        + &fixtures::fill(
            fixtures::LATER_SCHEDULE,
            &[(
                "{day}",
                &(chrono::Utc::now() + chrono::Duration::days(3))
                    .format("%a")
                    .to_string()
                    .to_lowercase(),
            )],
        );
    let w = world_with(&roster).await;
    let alert = w.trigger("status-gap", SUMMARY, "critical").await;
    assert!(w.wait_for(&alert, 1, 1, 5).await, "{}", w.seen());
    // Step 2 fires after 1 s and pages nobody (Bob is on call another day).
    assert!(
        eventually(5, || async {
            let detail = common::alert_detail(&w.base, &alert).await;
            detail["timeline"]["entries"].as_array().is_some_and(|t| {
                t.iter()
                    .filter(|e| e["event"]["kind"] == "notified")
                    .count()
                    >= 2
            })
        })
        .await,
        "{}",
        common::alert_detail(&w.base, &alert).await
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(w.apns_for(&alert).len(), 1, "{}", w.seen());
    assert_eq!(w.fcm_for(&alert).len(), 1, "{}", w.seen());
    w.relay.shutdown().await.unwrap();
}
