//! The device API on a real relay: enrollment codes are single-use, every
//! signed-request failure (bad signature, stale timestamp, replayed nonce,
//! unknown device, missing headers) is a 401, a device sees only its teams'
//! alerts, sync sends only what changed, and batch actions are idempotent
//! with one outcome per action.

use klaxon_testkit::relay as common;

use base64::Engine as _;
use chrono::{Duration, Utc};
use common::*;
use klaxon_crypto::{self as crypto, DeviceIdentity};
use klaxon_relay::RunningRelay;
use serde_json::{json, Value};

/// Signed-request headers, as [`TestDevice::headers`] makes them.
type Headers = Vec<(&'static str, String)>;

/// A relay on a fresh database with alice's device enrolled, where most of
/// these tests start. The directory must live as long as the relay.
async fn relay_with_alice() -> (tempfile::TempDir, RunningRelay, String, TestDevice) {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start(dir.path(), None).await;
    let alice = enroll(&base, "alice").await;
    (dir, relay, base, alice)
}

/// `GET /v1/sync` with exactly these headers: the request every signature
/// check here is made on.
async fn get_sync(base: &str, headers: Headers) -> (u16, Value) {
    send_raw(base, "GET", "/v1/sync", vec![], headers).await
}

/// `device`'s headers for `GET /v1/sync` at `at` with a fresh nonce, to be
/// spoiled by the test before sending.
fn sync_headers(device: &TestDevice, at: chrono::DateTime<Utc>) -> Headers {
    device.headers("GET", "/v1/sync", b"", at, &crypto::new_nonce())
}

/// `POST /v1/admin/invites` for `person` with `token` as the bearer token
/// (none when `None`); the status.
async fn invite_status(base: &str, token: Option<&str>, person: &str) -> u16 {
    let mut req = http().post(format!("{base}/v1/admin/invites"));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let r = req.json(&json!({"person": person})).send().await.unwrap();
    r.status().as_u16()
}

/// The enrollment body for a new phone with `identity`'s keys and `code`.
fn enrollment(code: &Value, identity: &DeviceIdentity) -> Value {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    json!({
        "code": code, "name": "phone",
        "signing_key": b64.encode(identity.signing_public_key()),
        "sealing_key": b64.encode(identity.sealing_public_key()),
    })
}

/// `f` of each item of the JSON array `list`, in order.
fn each<'a, T>(list: &'a Value, f: impl FnMut(&'a Value) -> T) -> Vec<T> {
    list.as_array().unwrap().iter().map(f).collect()
}

/// The dedup keys of a sync answer's alerts, in order.
fn dedup_keys(sync: &Value) -> Vec<&str> {
    each(&sync["alerts"], |a| a["dedup_key"].as_str().unwrap())
}

/// Asserts that the first error in `body` mentions `word`, when there is one
/// to look for.
fn assert_first_error_names(body: &Value, word: Option<&str>) {
    if let Some(word) = word {
        assert!(body["errors"][0].as_str().unwrap().contains(word), "{body}");
    }
}

/// Sends `body` to `method path`, signed by `device` now with a fresh nonce,
/// without a `Content-Type`.
async fn send_signed_untyped(
    base: &str,
    device: &TestDevice,
    method: &str,
    path: &str,
    body: &Value,
) -> (u16, Value) {
    let bytes = serde_json::to_vec(body).unwrap();
    let headers = device.headers(method, path, &bytes, Utc::now(), &crypto::new_nonce());
    send_untyped(base, method, path, bytes, headers).await
}

/// The status of the newest alert with this dedup key, which must exist.
async fn status_of(base: &str, dedup: &str) -> Value {
    alert_by_key(base, dedup).await.unwrap()["status"].clone()
}

#[tokio::test]
async fn an_invite_code_enrolls_once() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start(dir.path(), None).await;
    let code = json!(invite(&base, "alice").await);
    let body = enrollment(&code, &DeviceIdentity::generate().unwrap());
    assert_eq!(post(&base, "/v1/devices/enroll", &body).await.0, 201);
    // The same code again, with a fresh key (the same key is a 409:
    // tests/signatures.rs).
    let again = enrollment(&code, &DeviceIdentity::generate().unwrap());
    let (status, answer) = post(&base, "/v1/devices/enroll", &again).await;
    assert_eq!(status, 401, "{answer}");
    // Bad keys are a 400 naming the field.
    let mut bad = body.clone();
    bad["signing_key"] = json!("AAAA");
    let (status, answer) = post(&base, "/v1/devices/enroll", &bad).await;
    assert_eq!(status, 400);
    assert!(answer["errors"][0]
        .as_str()
        .unwrap()
        .contains("signing_key"));
    // Admin endpoints want the token; unknown people are 404.
    assert_eq!(invite_status(&base, None, "alice").await, 401);
    let r = http()
        .get(format!("{base}/v1/admin/alerts"))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert_eq!(invite_status(&base, Some(ADMIN), "mallory").await, 404);
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn signed_request_failures_are_401() {
    let (_dir, relay, base, alice) = relay_with_alice().await;
    let now = Utc::now();

    // A good request works.
    let h = alice.headers("GET", "/v1/sync", b"", now, "nonce-1");
    assert_eq!(get_sync(&base, h.clone()).await.0, 200);
    // The same nonce again: a replay.
    let (status, body) = get_sync(&base, h).await;
    assert_eq!(status, 401);
    assert!(
        body["message"].as_str().unwrap().contains("nonce"),
        "{body}"
    );

    // Stale and future timestamps (more than 5 minutes off).
    for skew in [Duration::minutes(-6), Duration::minutes(6)] {
        let h = sync_headers(&alice, now + skew);
        let (status, body) = get_sync(&base, h).await;
        assert_eq!(status, 401);
        assert!(
            body["message"].as_str().unwrap().contains("timestamp"),
            "{body}"
        );
    }
    // Within the window is fine.
    let h = sync_headers(&alice, now - Duration::minutes(4));
    assert_eq!(get_sync(&base, h).await.0, 200);

    // A signature over a different path, body or by another key.
    let h = alice.headers("GET", "/v1/sync?cursor=0", b"", now, &crypto::new_nonce());
    assert_eq!(get_sync(&base, h).await.0, 401);
    let body = serde_json::to_vec(&json!({"actions": []})).unwrap();
    let h = alice.headers("POST", "/v1/actions", b"{}", now, &crypto::new_nonce());
    assert_eq!(send_raw(&base, "POST", "/v1/actions", body, h).await.0, 401);
    let other = DeviceIdentity::generate().unwrap();
    let nonce = crypto::new_nonce();
    let mut h = alice.headers("GET", "/v1/sync", b"", now, &nonce);
    h[3].1 = other.sign_request(&alice.id, "GET", "/v1/sync", now.timestamp(), &nonce, b"");
    assert_eq!(get_sync(&base, h).await.0, 401);
    // Garbage signature, unknown device, missing headers.
    let mut h = sync_headers(&alice, now);
    h[3].1 = "not-a-signature".into();
    assert_eq!(get_sync(&base, h).await.0, 401);
    let mut h = sync_headers(&alice, now);
    h[0].1 = "no-such-device".into();
    assert_eq!(get_sync(&base, h).await.0, 401);
    for missing in 0..4 {
        let mut h = sync_headers(&alice, now);
        h.remove(missing);
        let (status, body) = get_sync(&base, h).await;
        assert_eq!(status, 401, "{body}");
        assert!(body["errors"].is_array());
    }
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_device_sees_only_its_teams_alerts_and_sync_sends_only_changes() {
    let (_dir, relay, base, alice) = relay_with_alice().await;
    let carol = enroll(&base, "carol").await;
    enqueue_trigger(&base, API_KEY, "api-1", "api down", "critical").await;
    enqueue_trigger(&base, SHOP_KEY, "shop-1", "shop down", "error").await;

    let (_, sync) = alice.send(&base, "GET", "/v1/sync", None).await;
    assert_eq!(sync["person"], "alice");
    assert_eq!(dedup_keys(&sync), ["api-1"]);
    let roster = &sync["roster"];
    let services = each(&roster["services"], |s| s["id"].as_str().unwrap());
    assert_eq!(services, ["api"]);
    assert_eq!(roster["schedules"][0]["id"], "primary");
    assert_eq!(roster["schedules"][0]["shifts"][0]["person"], "alice");
    let api_alert = sync["alerts"][0].clone();
    assert_eq!(api_alert["upcoming"]["people"], json!(["bob"]));

    let (_, sync_c) = carol.send(&base, "GET", "/v1/sync", None).await;
    assert_eq!(dedup_keys(&sync_c), ["shop-1"]);

    // Carol cannot act on alice's team's alert: it does not exist for her.
    let body =
        json!({"actions": [{"key": "c1", "alert": api_alert["id"], "action": "acknowledge"}]});
    let (status, answer) = carol.send(&base, "POST", "/v1/actions", Some(&body)).await;
    assert_eq!(status, 200);
    assert_eq!(answer["results"][0]["status"], 404);
    assert!(answer["results"][0].get("outcome").is_none());

    // With the cursor, nothing new; then only the changed alert, no roster.
    let cursor = sync["cursor"].as_u64().unwrap();
    let (_, again) = alice
        .send(&base, "GET", &format!("/v1/sync?cursor={cursor}"), None)
        .await;
    assert_eq!(again["alerts"], json!([]));
    assert!(again["roster"].is_null());
    enqueue_trigger(&base, API_KEY, "api-2", "api slow", "warning").await;
    enqueue_trigger(&base, SHOP_KEY, "shop-2", "shop slow", "warning").await;
    let (_, delta) = alice
        .send(&base, "GET", &format!("/v1/sync?cursor={cursor}"), None)
        .await;
    assert_eq!(dedup_keys(&delta), ["api-2"]);
    assert!(delta["cursor"].as_u64().unwrap() > cursor);
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn batch_actions_are_idempotent_with_one_outcome_each() {
    let (_dir, relay, base, alice) = relay_with_alice().await;
    let bob = enroll(&base, "bob").await;
    send_trigger(&base, "b1", "one").await;
    send_trigger(&base, "b2", "two").await;
    let a1 = alert_by_key(&base, "b1").await.unwrap()["id"].clone();
    let a2 = alert_by_key(&base, "b2").await.unwrap()["id"].clone();

    let batch = json!({"actions": [
        {"key": "k1", "alert": a1, "action": "acknowledge"},
        {"key": "k2", "alert": a2, "action": "resolve"},
        {"key": "k3", "alert": "nope", "action": "acknowledge"},
    ]});
    let (status, first) = alice.send(&base, "POST", "/v1/actions", Some(&batch)).await;
    assert_eq!(status, 200, "{first}");
    let outcomes = each(&first["results"], |r| {
        json!([r["key"], r["status"], r["outcome"]["outcome"]])
    });
    assert_eq!(
        outcomes,
        vec![
            json!(["k1", 200, "applied"]),
            json!(["k2", 200, "applied"]),
            json!(["k3", 404, null])
        ]
    );

    // The same batch again (a retry after a lost answer): nothing changes twice.
    let (_, second) = alice.send(&base, "POST", "/v1/actions", Some(&batch)).await;
    let outcomes = each(&second["results"], |r| {
        json!([r["status"], r["outcome"]["outcome"]])
    });
    assert_eq!(
        outcomes,
        vec![
            json!([200, "duplicate"]),
            json!([200, "duplicate"]),
            json!([404, null])
        ]
    );
    let detail = alert_detail(&base, a1.as_str().unwrap()).await;
    assert_eq!(count(&detail, "acknowledged"), 1);

    // Bob acknowledging an already-acknowledged alert: already in state.
    // Acting on a resolved alert: rejected, 409, saying who resolved it.
    let (_, b) = bob
        .send(
            &base,
            "POST",
            "/v1/actions",
            Some(&json!({"actions": [
                {"key": "b-k1", "alert": a1, "action": "acknowledge"},
                {"key": "b-k2", "alert": a2, "action": "acknowledge"},
            ]})),
        )
        .await;
    assert_eq!(b["results"][0]["outcome"]["outcome"], "already_in_state");
    assert_eq!(b["results"][1]["status"], 409);
    assert_eq!(b["results"][1]["outcome"]["outcome"], "rejected");
    assert_eq!(b["results"][1]["outcome"]["reason"], "already_resolved");
    assert_eq!(b["results"][1]["outcome"]["by"], "alice");

    // The single-action endpoint answers with the action's own status.
    let one = json!({"key": "b-k3", "alert": a2, "action": "escalate"});
    let (status, outcome) = bob
        .send(
            &base,
            "POST",
            &format!("/v1/alerts/{}/actions", a2.as_str().unwrap()),
            Some(&one),
        )
        .await;
    assert_eq!(status, 409);
    assert_eq!(outcome["outcome"], "rejected");

    // Bad batches are 400s naming the field.
    for (action, error) in [
        (
            json!({"key": "", "alert": a1, "action": "acknowledge"}),
            Some("key"),
        ),
        (json!({"key": "x", "alert": a1, "action": "dance"}), None),
    ] {
        let batch = json!({ "actions": [action] });
        let (status, body) = alice.send(&base, "POST", "/v1/actions", Some(&batch)).await;
        assert_eq!(status, 400, "{batch}: {body}");
        assert_first_error_names(&body, error);
    }
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn push_tokens_register_and_clear() {
    let (_dir, relay, base, alice) = relay_with_alice().await;
    // In order: (body, the status, a word the first error must contain).
    let cases = [
        (json!({"platform": "apns", "token": "ab12"}), 204, None),
        (json!({"platform": "fcm"}), 400, Some("token")),
        (json!({"platform": "none"}), 204, None),
        (json!({"platform": "pigeon", "token": "x"}), 400, None),
    ];
    for (token, expected, error) in cases {
        let (status, body) = alice
            .send(&base, "PUT", "/v1/devices/push-token", Some(&token))
            .await;
        assert_eq!(status, expected, "{token}: {body}");
        assert_first_error_names(&body, error);
    }
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn extreme_timestamps_are_401_with_a_json_body_not_a_panic() {
    let (_dir, relay, base, alice) = relay_with_alice().await;
    for ts in [i64::MIN, i64::MIN + 1, i64::MAX, -1] {
        let mut h = sync_headers(&alice, Utc::now());
        h[1].1 = ts.to_string();
        let (status, body) = get_sync(&base, h).await;
        assert_eq!(status, 401, "timestamp {ts}: {body}");
        assert!(
            body["message"].as_str().unwrap().contains("timestamp"),
            "timestamp {ts}: {body}"
        );
    }
    // The relay is still serving.
    assert_eq!(alice.send(&base, "GET", "/v1/sync", None).await.0, 200);
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_nonce_that_is_not_visible_ascii_or_is_too_long_is_401_naming_it() {
    let (_dir, relay, base, alice) = relay_with_alice().await;
    let now = Utc::now();
    let refusal = |nonce: String| {
        let h = alice.headers("GET", "/v1/sync", b"", now, &nonce);
        let base = base.clone();
        async move {
            let (status, body) = get_sync(&base, h).await;
            assert_eq!(status, 401, "{body}");
            assert_eq!(body["status"], "unauthorized");
            body["errors"].clone()
        }
    };
    assert_eq!(
        refusal("nonce-é-1".into()).await,
        json!(["x-klaxon-nonce: not valid; only visible ASCII characters are allowed"])
    );
    assert_eq!(
        refusal("n".repeat(100_000)).await,
        json!(["x-klaxon-nonce: 100000 bytes, more than the 128 allowed"])
    );
    assert_eq!(
        refusal("n".repeat(129)).await,
        json!(["x-klaxon-nonce: 129 bytes, more than the 128 allowed"])
    );
    // A missing header says so, by its name first.
    let mut h = sync_headers(&alice, now);
    h.remove(2);
    let (_, body) = get_sync(&base, h).await;
    assert_eq!(body["errors"], json!(["x-klaxon-nonce: missing header"]));
    // 128 characters are fine.
    let h = alice.headers("GET", "/v1/sync", b"", now, &"n".repeat(128));
    assert_eq!(get_sync(&base, h).await.0, 200);
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn device_and_admin_bodies_need_no_content_type_and_refusals_name_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start(dir.path(), None).await;
    let admin = || vec![("authorization", format!("Bearer {ADMIN}"))];
    let json_of = |v: Value| serde_json::to_vec(&v).unwrap();

    // An invite and an enrollment without a Content-Type, as on /v2/enqueue.
    let (status, invite) = send_untyped(
        &base,
        "POST",
        "/v1/admin/invites",
        json_of(json!({"person": "alice"})),
        admin(),
    )
    .await;
    assert_eq!(status, 201, "{invite}");
    let enrollment = enrollment(&invite["code"], &DeviceIdentity::generate().unwrap());
    let (status, body) = send_untyped(
        &base,
        "POST",
        "/v1/devices/enroll",
        json_of(enrollment),
        vec![],
    )
    .await;
    assert_eq!(status, 201, "{body}");

    // Mistakes are `field: problem`, with the relay's words.
    let expect = |status: u16, body: Value, error: &str| {
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["status"], "invalid request", "{body}");
        assert_eq!(body["errors"], json!([error]), "{body}");
    };
    let (status, body) =
        send_untyped(&base, "POST", "/v1/devices/enroll", b"{}".to_vec(), vec![]).await;
    expect(status, body, "code: missing");
    let (status, body) = send_untyped(
        &base,
        "POST",
        "/v1/admin/invites",
        json_of(json!({"person": 5})),
        admin(),
    )
    .await;
    expect(status, body, "person: must be a string, not integer 5");
    let (status, body) =
        send_untyped(&base, "POST", "/v1/admin/invites", b"[]".to_vec(), admin()).await;
    expect(status, body, "body: must be a JSON object, not an array");

    let alice = enroll(&base, "alice").await;
    // Signed device requests: (method, path, body, the one error).
    let refused = [
        (
            "PUT",
            "/v1/devices/push-token",
            json!({"platform": "pigeon"}),
            r#"platform: "pigeon" is not one of "apns", "fcm", "none""#,
        ),
        (
            "POST",
            "/v1/actions",
            json!({"actions": [{"key": "k", "alert": "a", "action": "dance"}]}),
            r#"actions[0].action: "dance" is not one of "acknowledge", "escalate", "decline", "resolve", "snooze""#,
        ),
        (
            "POST",
            "/v1/actions",
            json!({"actions": [{"key": "k", "action": "resolve"}]}),
            "actions[0].alert: missing",
        ),
        (
            "POST",
            "/v1/actions",
            json!({"actions": [{"key": "k", "alert": "a", "action": "snooze", "until": "soon"}]}),
            r#"actions[0].until: "soon" is not an RFC 3339 date and time (like 2026-03-01T12:00:00Z)"#,
        ),
    ];
    for (method, path, body, error) in refused {
        let (status, body) = send_signed_untyped(&base, &alice, method, path, &body).await;
        expect(status, body, error);
    }
    // A signed request with no Content-Type is accepted like any other.
    let none = json!({"platform": "none"});
    let (status, body) =
        send_signed_untyped(&base, &alice, "PUT", "/v1/devices/push-token", &none).await;
    assert_eq!(status, 204, "{body}");
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn one_action_takes_its_alert_from_the_path() {
    let (_dir, relay, base, alice) = relay_with_alice().await;
    send_trigger(&base, "p1", "one").await;
    send_trigger(&base, "p2", "two").await;
    let a1 = alert_id_by_key(&base, "p1").await;
    let a2 = alert_id_by_key(&base, "p2").await;
    let path = format!("/v1/alerts/{a1}/actions");

    // A body naming another alert than the path is refused, and changes nothing.
    let (status, body) = alice
        .send(
            &base,
            "POST",
            &path,
            Some(&json!({"key": "s0", "alert": a2, "action": "resolve"})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["errors"],
        json!([format!(
            "alert: {a2:?} in the body is not the alert {a1:?} of the path"
        )])
    );
    assert_eq!(status_of(&base, "p2").await, "triggered");
    assert_eq!(status_of(&base, "p1").await, "triggered");

    // Without `alert`: the path's alert. With the same alert as the path
    // (what phones' batch actions carry). (body, p1's status after it)
    let applied = [
        (
            json!({"key": "s1", "action": "acknowledge"}),
            "acknowledged",
        ),
        (
            json!({"key": "s2", "alert": a1, "action": "resolve"}),
            "resolved",
        ),
    ];
    for (action, after) in applied {
        let (status, outcome) = alice.send(&base, "POST", &path, Some(&action)).await;
        assert_eq!(
            (status, outcome["outcome"].clone()),
            (200, json!("applied")),
            "{action}"
        );
        assert_eq!(status_of(&base, "p1").await, after);
    }
    relay.shutdown().await.unwrap();
}
