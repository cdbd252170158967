//! The FCM client against a fake Google token endpoint and FCM v1 API that
//! enforce the real rules: RS256 assertion verified with the service
//! account's public key (iss, scope, aud, lifetime), bearer access tokens,
//! data-only messages at HIGH Android priority, UNREGISTERED for dead tokens.

use klaxon_testkit::fakes;

use fakes::fcm::{fcm_error, FakeFcm};
use fakes::push::{assert_delivers, key_file, lookup};
use klaxon_domain::Priority;
use klaxon_relay::push::fcm::{DEFAULT_URL, SCOPE};
use klaxon_relay::push::jwt::Rs256Signer;
use klaxon_relay::push::{
    FcmClient, FcmConfig, PushGateway, PushOutcome, PushTarget, ServiceAccount,
    ENV_FCM_SERVICE_ACCOUNT, ENV_FCM_URL,
};
use std::time::Duration;

const KEY_A: &str = klaxon_testkit::fixtures::FCM_KEY_A;
const KEY_B: &str = klaxon_testkit::fixtures::FCM_KEY_B;
const DEVICE: &str = "fcm-registration-token:APA91bHPRgkF3JUikC4ENAHEeMrd41Zxv3hVZjC9KtT8OvPVGJ";
const SUMMARY: &str = "Payments API 5xx above 20% for card-present transactions";

/// The fake FCM and a client of it, sending to [`DEVICE`].
type Setup = fakes::push::Setup<FakeFcm, FcmClient>;

/// A fake that trusts key A, and a client signing with `signing_key`.
async fn setup_signing_with(signing_key: &str) -> Setup {
    let clock = fakes::clock();
    let public = Rs256Signer::from_pem(KEY_A).unwrap().public_key();
    let fake = FakeFcm::start(public, clock.clone()).await;
    fake.forbid(SUMMARY);
    let account = ServiceAccount::from_json(&fake.service_account_json(signing_key)).unwrap();
    let mut config = FcmConfig::new(account);
    assert_eq!(config.base_url, DEFAULT_URL);
    config.base_url = fake.url.clone();
    let client = FcmClient::new(config, clock.clone()).unwrap();
    Setup::new(fake, client, clock, DEVICE)
}

/// [`setup_signing_with`] the key the fake trusts.
async fn setup() -> Setup {
    setup_signing_with(KEY_A).await
}

/// A page's plaintext, as the device will open it.
fn page_json(summary: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({"alert": "01JALERT", "summary": summary})).unwrap()
}

#[tokio::test]
async fn a_critical_page_goes_as_a_high_priority_sealed_data_message() {
    let s = setup().await;
    let plaintext = page_json(SUMMARY);
    s.deliver_cleanly(Priority::Critical, &plaintext).await;

    // The assertion the fake verified.
    let claims = s.fake.state.assertions.lock().unwrap()[0].clone();
    assert_eq!(claims["scope"], SCOPE);
    assert_eq!(claims["aud"], s.fake.token_uri());
    assert_eq!(claims["iat"], s.now());
    assert_eq!(claims["exp"], s.now() + 3600);

    let sent = s.fake.accepted().pop().unwrap();
    assert_eq!(sent.access_token, "ya29.fake-1");
    assert_eq!(sent.message["token"], DEVICE);
    assert!(sent.message.get("notification").is_none());
    assert_eq!(sent.message["android"]["priority"], "HIGH");
    assert_eq!(sent.message["android"]["collapse_key"], "01JALERT");
    assert_eq!(sent.message["android"]["ttl"], "3600s");
    assert_eq!(sent.data("alert"), Some("01JALERT"));
    assert_eq!(sent.data("priority"), Some("critical"));
    assert!(!sent.message.to_string().contains("Payments"));
    assert_eq!(s.device.open(&sent.sealed().unwrap()).unwrap(), plaintext);
}

#[tokio::test]
async fn low_pages_go_at_normal_priority() {
    let s = setup().await;
    s.deliver(Priority::Low, b"page").await;
    let sent = s.fake.accepted().pop().unwrap();
    assert_eq!(sent.message["android"]["priority"], "NORMAL");
    assert_eq!(sent.data("priority"), Some("low"));
}

#[tokio::test]
async fn a_page_too_big_for_4kb_becomes_a_sync_message() {
    let s = setup().await;
    let huge = page_json(&"runbook step. ".repeat(400));
    s.deliver(Priority::High, &huge).await;
    let sent = s.fake.accepted().pop().unwrap();
    assert_eq!(sent.data("sync"), Some("1"));
    assert_eq!(sent.data("alert"), Some("01JALERT"));
    assert!(sent.data("sealed").is_none());
}

#[tokio::test]
async fn the_access_token_is_cached_until_shortly_before_it_expires() {
    let s = setup().await;
    for _ in 0..3 {
        s.deliver(Priority::High, b"page").await;
    }
    assert_eq!(s.fake.token_requests(), 1);
    let m = s.message(Priority::High, b"page");
    // 54 minutes: still more than the 5-minute margin left.
    s.clock.advance(chrono::Duration::minutes(54));
    assert_eq!(s.send(&m).await, PushOutcome::Delivered);
    assert_eq!(s.fake.token_requests(), 1);
    // 56 minutes of the fake's 60: inside the margin, exchange a new assertion.
    s.clock.advance(chrono::Duration::minutes(2));
    assert_eq!(s.send(&m).await, PushOutcome::Delivered);
    assert_eq!(s.fake.token_requests(), 2);
    let tokens: Vec<_> = s
        .fake
        .accepted()
        .iter()
        .map(|a| a.access_token.clone())
        .collect();
    assert_eq!(tokens[0], "ya29.fake-1");
    assert_eq!(tokens[4], "ya29.fake-2");
    assert!(s.fake.violations().is_empty());
}

#[tokio::test]
async fn a_revoked_access_token_is_replaced() {
    let s = setup().await;
    let m = s.message(Priority::High, b"page");
    assert_eq!(s.send(&m).await, PushOutcome::Delivered);
    s.fake.state.issued.lock().unwrap().clear();
    assert_eq!(s.send(&m).await, PushOutcome::Retry { after: None });
    assert_eq!(s.send(&m).await, PushOutcome::Delivered);
    assert_eq!(s.fake.token_requests(), 2);
}

#[tokio::test]
async fn dead_tokens_are_unregistered() {
    let s = setup().await;
    s.fake.unregister(DEVICE);
    let m = s.message(Priority::Critical, b"page");
    // The unregistered token, and an empty one.
    for token in [DEVICE, ""] {
        let outcome = s.client.send(token, &m).await;
        assert_eq!(outcome, PushOutcome::Unregistered, "{token:?}");
    }
}

#[tokio::test]
async fn throttling_and_outages_are_retried_with_retry_after() {
    let s = setup().await;
    let m = s.message(Priority::Critical, b"page");
    s.fake.script(
        429,
        Some("17"),
        fcm_error(429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED"),
    );
    assert_eq!(
        s.send(&m).await,
        PushOutcome::Retry {
            after: Some(Duration::from_secs(17))
        }
    );
    s.fake
        .script(503, None, fcm_error(503, "UNAVAILABLE", "UNAVAILABLE"));
    assert_eq!(s.send(&m).await, PushOutcome::Retry { after: None });
    s.fake.script(
        400,
        None,
        fcm_error(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"),
    );
    assert_eq!(
        s.send(&m).await,
        PushOutcome::Failed("FCM 400 INVALID_ARGUMENT".into())
    );
    assert_eq!(s.send(&m).await, PushOutcome::Delivered);
}

#[tokio::test]
async fn an_assertion_signed_with_another_key_gets_no_token() {
    let s = setup_signing_with(KEY_B).await;
    let outcome = s.send(&s.message(Priority::High, b"page")).await;
    assert!(
        matches!(&outcome, PushOutcome::Failed(why) if why.contains("invalid_grant")),
        "{outcome:?}"
    );
    assert_eq!(
        s.fake.violations(),
        vec!["token: assertion signature does not verify"]
    );
    assert!(s.fake.accepted().is_empty());
}

#[tokio::test]
async fn the_gateway_reads_its_configuration_from_the_environment() {
    let clock = fakes::clock();
    let public = Rs256Signer::from_pem(KEY_A).unwrap().public_key();
    let fake = FakeFcm::start(public, clock.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let account = fake.service_account_json(KEY_A);
    let file = key_file(dir.path(), "service-account.json", &account);
    let vars = lookup(vec![
        (ENV_FCM_URL, fake.url.clone()),
        (ENV_FCM_SERVICE_ACCOUNT, file),
    ]);
    let gateway = PushGateway::from_lookup(vars, clock.clone()).unwrap();
    assert!(gateway.has_fcm() && !gateway.has_apns());
    let target = PushTarget::Fcm {
        token: DEVICE.into(),
    };
    assert_delivers(&gateway, &target, Priority::High).await;
    assert_eq!(fake.accepted().len(), 1);
}
