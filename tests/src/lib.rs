//! Helpers shared by the cross-crate end-to-end tests in `tests/tests/`:
//! talking to a relay on loopback the way monitoring and an admin do.

use serde_json::{json, Value};

/// The routing key both test rosters give their `api` service.
pub const KEY: &str = "0123456789abcdef0123456789abcdef";
/// The admin token the tests start their relays with.
pub const ADMIN: &str = "e2e-admin";

/// An HTTP client (rustls with ring, as the relay and core use).
pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// An enrollment code for `person`, from the relay's admin API.
pub async fn invite(base: &str, person: &str) -> String {
    let v: Value = http()
        .post(format!("{base}/v1/admin/invites"))
        .bearer_auth(ADMIN)
        .json(&json!({"person": person}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["code"].as_str().unwrap().to_string()
}

/// Sends a critical Events v2 trigger for the `api` service; asserts the
/// relay accepted it (202).
pub async fn trigger(base: &str, dedup: &str, summary: &str) {
    let r = http()
        .post(format!("{base}/v2/enqueue"))
        .json(
            &json!({"routing_key": KEY, "event_action": "trigger", "dedup_key": dedup,
                      "payload": {"summary": summary, "source": "lb-1", "severity": "critical"}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 202);
}

/// The relay's view of an alert, with its timeline (admin API).
pub async fn alert(base: &str, id: &str) -> Value {
    http()
        .get(format!("{base}/v1/admin/alerts/{id}"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// How many timeline entries of `kind` ("notified", "acknowledged", …)
/// the alert has.
pub fn count(alert: &Value, kind: &str) -> usize {
    alert["timeline"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"]["kind"] == kind)
        .count()
}
