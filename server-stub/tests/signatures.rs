//! Signatures bind the device (scheme `KLAXON-V2`) on a real relay: a
//! signature made for one device id does not pass as another's, a signing
//! key enrolls once, and a captured request cannot be replayed — not even
//! after the relay restarts on the same database.

use klaxon_testkit::relay as common;

use base64::Engine as _;
use common::*;
use klaxon_crypto::{self as crypto, DeviceIdentity};
use serde_json::json;

/// `POST /v1/devices/enroll` for a new invite of `person` with
/// `identity`'s keys; the status and body.
async fn enroll_with(
    base: &str,
    person: &str,
    identity: &DeviceIdentity,
) -> (u16, serde_json::Value) {
    let code = invite(base, person).await;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    post(
        base,
        "/v1/devices/enroll",
        &json!({
            "code": code,
            "signing_key": b64.encode(identity.signing_public_key()),
            "sealing_key": b64.encode(identity.sealing_public_key()),
        }),
    )
    .await
}

#[tokio::test]
async fn a_signature_names_its_device() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start(dir.path(), None).await;
    let alice = enroll(&base, "alice").await;
    let bob = enroll(&base, "bob").await;
    let now = chrono::Utc::now();
    let nonce = crypto::new_nonce();
    // Alice's key over a canonical request naming Bob's device, sent as
    // Alice's: the device in the header is not the one signed.
    let mut headers = alice.headers("GET", "/v1/sync", b"", now, &nonce);
    headers[3].1 =
        alice
            .identity
            .sign_request(&bob.id, "GET", "/v1/sync", now.timestamp(), &nonce, b"");
    let (status, body) = send_raw(&base, "GET", "/v1/sync", vec![], headers).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["errors"][0], "x-klaxon-signature: does not verify");
    // Signed for itself, the same request passes.
    let headers = alice.headers("GET", "/v1/sync", b"", now, &crypto::new_nonce());
    assert_eq!(
        send_raw(&base, "GET", "/v1/sync", vec![], headers).await.0,
        200
    );
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_signing_key_enrolls_once() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start(dir.path(), None).await;
    let identity = DeviceIdentity::generate().unwrap();
    let (status, body) = enroll_with(&base, "alice", &identity).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = enroll_with(&base, "bob", &identity).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["status"], "conflict");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .starts_with("signing_key: already enrolled"));
    assert!(body["errors"].is_array());
    // The refusal did not use up the code's person: a fresh key enrolls.
    let (status, body) = enroll_with(&base, "bob", &DeviceIdentity::generate().unwrap()).await;
    assert_eq!(status, 201, "{body}");
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_captured_request_is_refused_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start(dir.path(), None).await;
    let alice = enroll(&base, "alice").await;
    let captured = alice.headers(
        "GET",
        "/v1/sync",
        b"",
        chrono::Utc::now(),
        &crypto::new_nonce(),
    );
    assert_eq!(
        send_raw(&base, "GET", "/v1/sync", vec![], captured.clone())
            .await
            .0,
        200
    );
    let (status, body) = send_raw(&base, "GET", "/v1/sync", vec![], captured.clone()).await;
    assert_eq!(status, 401, "{body}");
    relay.shutdown().await.unwrap();

    // Same database, fresh process memory: the nonce is still known.
    let (relay, base) = start(dir.path(), None).await;
    let (status, body) = send_raw(&base, "GET", "/v1/sync", vec![], captured).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(
        body["errors"][0],
        "x-klaxon-nonce: already used (a replayed request)"
    );
    // A fresh request of the same device still passes.
    assert_eq!(alice.send(&base, "GET", "/v1/sync", None).await.0, 200);
    relay.shutdown().await.unwrap();
}
