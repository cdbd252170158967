//! The APNs client against a fake APNs that enforces Apple's wire rules:
//! HTTP/2, ES256 provider token verified with the public key, required
//! `apns-*` headers, the 4 KB payload limit, interruption level and sound by
//! priority, no plaintext, 410 for dead tokens, and the token refresh rules.

use klaxon_testkit::fakes;

use fakes::apns::{p8_key, FakeApns};
use fakes::push::{assert_delivers, key_file, lookup, send_through};
use klaxon_domain::Priority;
use klaxon_relay::push::{
    ApnsClient, ApnsConfig, PushGateway, PushOutcome, PushTarget, ENV_APNS_KEY_FILE,
    ENV_APNS_KEY_ID, ENV_APNS_TEAM_ID, ENV_APNS_TOPIC, ENV_APNS_URL,
};
use std::time::Duration;

const KEY_ID: &str = "ABC123DEFG";
const TEAM_ID: &str = "DEF123GHIJ";
const TOPIC: &str = "dev.klaxon.app";
const DEVICE: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
const SUMMARY: &str = "Disk full on db-7: customer ledger writes failing";

/// The fake APNs and a client of it, sending to [`DEVICE`].
type Setup = fakes::push::Setup<FakeApns, ApnsClient>;

/// A fake APNs that refuses [`SUMMARY`] in the clear, and a client that
/// keeps each provider token for `token_refresh`.
async fn setup_with(token_refresh: Duration) -> Setup {
    let (pem, public) = p8_key();
    let clock = fakes::clock();
    let fake = FakeApns::start(public, KEY_ID, TEAM_ID, TOPIC, clock.clone()).await;
    fake.forbid(SUMMARY);
    let mut config = ApnsConfig::new(pem, KEY_ID.into(), TEAM_ID.into(), TOPIC.into());
    config.base_url = fake.url.clone();
    config.token_refresh = token_refresh;
    let client = ApnsClient::new(config, clock.clone()).unwrap();
    Setup::new(fake, client, clock, DEVICE)
}

/// [`setup_with`] the client's own token refresh.
async fn setup() -> Setup {
    setup_with(klaxon_relay::push::apns::TOKEN_REFRESH).await
}

/// A page's plaintext, as the device will open it.
fn page_json(summary: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "alert": "01JALERT", "summary": summary, "service": "api",
    }))
    .unwrap()
}

#[tokio::test]
async fn a_critical_page_reaches_apns_sealed_with_every_required_header() {
    let s = setup().await;
    let plaintext = page_json(SUMMARY);
    s.deliver_cleanly(Priority::Critical, &plaintext).await;

    let pushes = s.fake.accepted();
    assert_eq!(pushes.len(), 1);
    let push = &pushes[0];
    assert_eq!(push.version, axum::http::Version::HTTP_2);
    assert_eq!(push.device_token, DEVICE);
    assert_eq!(push.header("apns-topic"), TOPIC);
    assert_eq!(push.header("apns-push-type"), "alert");
    assert_eq!(push.header("apns-priority"), "10");
    assert_eq!(push.header("apns-collapse-id"), "01JALERT");
    let expiration: i64 = push.header("apns-expiration").parse().unwrap();
    assert_eq!(expiration, s.now() + 3600);
    assert_eq!(push.iat, s.now());

    let aps = &push.body["aps"];
    assert_eq!(aps["interruption-level"], "critical");
    assert_eq!(
        aps["sound"],
        serde_json::json!({"critical": 1, "name": "klaxon.caf", "volume": 1.0})
    );
    assert_eq!(aps["mutable-content"], 1);
    // Apple sees a generic line and ciphertext; the device opens the page.
    let body_text = push.body.to_string();
    assert!(!body_text.contains("Disk full"));
    assert_eq!(s.device.open(&push.sealed().unwrap()).unwrap(), plaintext);
    assert_eq!(push.body["klaxon"]["alert"], "01JALERT");
}

#[tokio::test]
async fn loudness_follows_priority() {
    let s = setup().await;
    for (priority, level, apns_priority, sound) in [
        (Priority::High, "time-sensitive", "10", Some("default")),
        (Priority::Low, "passive", "5", None),
    ] {
        s.deliver(priority, b"page").await;
        let push = s.fake.accepted().pop().unwrap();
        assert_eq!(push.body["aps"]["interruption-level"], level);
        assert_eq!(push.header("apns-priority"), apns_priority);
        assert_eq!(push.body["aps"]["sound"].as_str(), sound);
    }
}

#[tokio::test]
async fn a_page_too_big_for_4kb_becomes_a_sync_push() {
    let s = setup().await;
    let huge = page_json(&"runbook step. ".repeat(400));
    assert!(huge.len() > 4096);
    s.deliver(Priority::Critical, &huge).await;
    let push = s.fake.accepted().pop().unwrap();
    assert!(push.body_len <= 4096);
    assert_eq!(push.body["klaxon"]["sync"], true);
    assert_eq!(push.body["klaxon"]["alert"], "01JALERT");
    assert!(push.sealed().is_none());
    // Still rings as loud as the page it stands for.
    assert_eq!(push.body["aps"]["interruption-level"], "critical");
}

#[tokio::test]
async fn the_fake_enforces_the_4kb_limit() {
    // Proof that the limit is real: a raw 5 KB body is refused with 413.
    let s = setup().await;
    let token = s.client.provider_token().unwrap();
    let body = format!(
        r#"{{"aps":{{"alert":"x","mutable-content":1,"interruption-level":"passive"}},"klaxon":{{"alert":"a","sync":true,"pad":"{}"}}}}"#,
        "x".repeat(5000)
    );
    let http = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let response = http
        .post(format!("{}/3/device/{DEVICE}", s.fake.url))
        .header("authorization", format!("bearer {token}"))
        .header("apns-topic", TOPIC)
        .header("apns-push-type", "alert")
        .header("apns-priority", "5")
        .header("apns-collapse-id", "a")
        .header("apns-expiration", (s.now() + 60).to_string())
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    assert!(s.fake.violations()[0].starts_with("PayloadTooLarge"));
}

#[tokio::test]
async fn dead_tokens_are_unregistered() {
    let s = setup().await;
    s.fake.unregister(DEVICE);
    let m = s.message(Priority::High, b"page");
    assert_eq!(s.send(&m).await, PushOutcome::Unregistered);
    // A malformed token: Apple says BadDeviceToken, which is just as dead.
    assert_eq!(s.client.send("abcd", &m).await, PushOutcome::Unregistered);
    assert!(s.fake.violations()[0].starts_with("BadDeviceToken"));
    // One that could not even go in a URL is dropped before sending.
    assert_eq!(s.client.send("../x", &m).await, PushOutcome::Unregistered);
    assert!(s.fake.accepted().is_empty());
}

#[tokio::test]
async fn throttling_and_outages_are_retried_with_retry_after() {
    let s = setup().await;
    let m = s.message(Priority::Critical, b"page");
    s.fake.script(429, Some("30"), "TooManyRequests");
    assert_eq!(
        s.send(&m).await,
        PushOutcome::Retry {
            after: Some(Duration::from_secs(30))
        }
    );
    s.fake.script(503, None, "ServiceUnavailable");
    assert_eq!(s.send(&m).await, PushOutcome::Retry { after: None });
    s.fake.script(400, None, "BadExpirationDate");
    assert!(matches!(
        s.send(&m).await,
        PushOutcome::Failed(why) if why.contains("BadExpirationDate")
    ));
    assert_eq!(s.send(&m).await, PushOutcome::Delivered);
}

#[tokio::test]
async fn the_provider_token_is_reused_for_50_minutes_then_refreshed() {
    let s = setup().await;
    for _ in 0..3 {
        s.deliver(Priority::High, b"page").await;
    }
    let m = s.message(Priority::High, b"page");
    s.clock.advance(chrono::Duration::minutes(49));
    assert_eq!(s.send(&m).await, PushOutcome::Delivered);
    let first: Vec<_> = s.fake.accepted().iter().map(|p| p.jwt.clone()).collect();
    assert!(first.iter().all(|t| *t == first[0]), "one token for 49 min");

    s.clock.advance(chrono::Duration::minutes(2));
    assert_eq!(s.send(&m).await, PushOutcome::Delivered);
    let last = s.fake.accepted().pop().unwrap();
    assert_ne!(last.jwt, first[0], "refreshed after 50 min");
    assert_eq!(last.iat, s.now());
    assert!(s.fake.violations().is_empty());
}

#[tokio::test]
async fn a_token_older_than_an_hour_is_refused_and_replaced() {
    // A client misconfigured to keep tokens for two hours meets Apple's rule.
    let s = setup_with(Duration::from_secs(2 * 3600)).await;
    let m = s.message(Priority::High, b"page");
    assert_eq!(s.send(&m).await, PushOutcome::Delivered);
    s.clock.advance(chrono::Duration::minutes(61));
    assert_eq!(s.send(&m).await, PushOutcome::Retry { after: None });
    assert!(s.fake.violations()[0].starts_with("ExpiredProviderToken"));
    // The expired token was dropped: the retry signs a fresh one.
    assert_eq!(s.send(&m).await, PushOutcome::Delivered);
}

#[tokio::test]
async fn a_token_signed_with_another_key_is_refused() {
    let s = setup().await;
    let (other_pem, _) = p8_key();
    let mut config = ApnsConfig::new(other_pem, KEY_ID.into(), TEAM_ID.into(), TOPIC.into());
    config.base_url = s.fake.url.clone();
    let impostor = ApnsClient::new(config, s.clock.clone()).unwrap();
    let outcome = impostor
        .send(DEVICE, &s.message(Priority::High, b"page"))
        .await;
    assert_eq!(
        outcome,
        PushOutcome::Failed("APNs 403 InvalidProviderToken".into())
    );
    assert_eq!(s.fake.violations(), vec!["InvalidProviderToken: signature"]);
}

#[tokio::test]
async fn the_gateway_reads_its_configuration_from_the_environment() {
    let (pem, public) = p8_key();
    let clock = fakes::clock();
    let fake = FakeApns::start(public, KEY_ID, TEAM_ID, TOPIC, clock.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let vars = lookup(vec![
        (
            ENV_APNS_KEY_FILE,
            key_file(dir.path(), "AuthKey_ABC123DEFG.p8", &pem),
        ),
        (ENV_APNS_KEY_ID, KEY_ID.into()),
        (ENV_APNS_TEAM_ID, TEAM_ID.into()),
        (ENV_APNS_TOPIC, TOPIC.into()),
        (ENV_APNS_URL, fake.url.clone()),
    ]);
    let gateway = PushGateway::from_lookup(vars, clock.clone()).unwrap();
    assert!(gateway.has_apns() && !gateway.has_fcm());
    let apns = PushTarget::Apns {
        token: DEVICE.into(),
    };
    assert_delivers(&gateway, &apns, Priority::Critical).await;
    let fcm = PushTarget::Fcm { token: "t".into() };
    assert_eq!(
        send_through(&gateway, &fcm, Priority::Critical).await,
        PushOutcome::Failed("FCM is not configured".into())
    );
}
