//! PagerDuty Events v2 on a real relay over loopback HTTP: trigger,
//! acknowledge, resolve and dedup semantics, and every error case of
//! docs/relay-api.md.

use klaxon_testkit::relay as common;

use common::*;
use serde_json::{json, Value};

/// Sends an Events v2 trigger for the infra service and asserts the relay
/// accepted it (202).
async fn accept_trigger(base: &str, dedup: &str, summary: &str, severity: &str) {
    let (status, body) = enqueue_trigger(base, API_KEY, dedup, summary, severity).await;
    assert_eq!(status, 202, "{body}");
}

#[tokio::test]
async fn trigger_dedup_ack_resolve_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start(dir.path(), None).await;

    let (status, body) = enqueue_trigger(&base, API_KEY, "disk", "disk full", "critical").await;
    assert_eq!(status, 202);
    assert_eq!(
        body,
        json!({"status": "success", "message": "Event processed", "dedup_key": "disk"})
    );
    let a = alert_by_key(&base, "disk").await.unwrap();
    assert_eq!(a["status"], "triggered");
    assert_eq!(a["priority"], "critical");
    assert_eq!(a["service"], "api");
    assert_eq!(a["paged"], json!(["alice"]));

    // Same key on the open alert: updated, not a second alert.
    accept_trigger(&base, "disk", "disk fuller", "warning").await;
    let all = alerts(&base).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["summary"], "disk fuller");
    assert_eq!(all[0]["priority"], "low");

    let (status, body) = enqueue_action(&base, API_KEY, "disk", "acknowledge").await;
    assert_eq!((status, body["dedup_key"].clone()), (202, json!("disk")));
    let a = alert_by_key(&base, "disk").await.unwrap();
    assert_eq!(a["status"], "acknowledged");
    assert_eq!(a["acknowledged_by"], "events_v2");

    let (status, _) = enqueue_action(&base, API_KEY, "disk", "resolve").await;
    assert_eq!(status, 202);
    assert_eq!(
        alert_by_key(&base, "disk").await.unwrap()["status"],
        "resolved"
    );

    // After a resolve the key opens a new alert.
    accept_trigger(&base, "disk", "again", "error").await;
    let all = alerts(&base).await;
    assert_eq!(all.len(), 2);
    assert_eq!(all[1]["status"], "triggered");
    assert_eq!(all[1]["priority"], "high");
    assert_ne!(all[0]["id"], all[1]["id"]);
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn ack_and_resolve_of_unknown_keys_are_accepted_and_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start(dir.path(), None).await;
    for verb in ["acknowledge", "resolve"] {
        let (status, body) = enqueue_action(&base, API_KEY, "never-seen", verb).await;
        assert_eq!(status, 202, "{verb}");
        assert_eq!(body["status"], "success");
        assert_eq!(body["dedup_key"], "never-seen");
    }
    assert!(alerts(&base).await.is_empty());
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_trigger_without_dedup_key_gets_one() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start(dir.path(), None).await;
    let mut event = trigger(API_KEY, "x", "no key", "info");
    remove(&mut event, "dedup_key");
    let (status, body) = post(&base, "/v2/enqueue", &event).await;
    assert_eq!(status, 202);
    let key = body["dedup_key"].as_str().unwrap();
    assert!(!key.is_empty());
    assert!(alert_by_key(&base, key).await.is_some());
    relay.shutdown().await.unwrap();
}

/// The critical trigger for dedup key `k` that most refusal cases start
/// from, changed by `change`.
fn edited(change: impl FnOnce(&mut Value)) -> Value {
    let mut event = trigger(API_KEY, "k", "s", "critical");
    change(&mut event);
    event
}

/// Removes `key` from the JSON object `v`.
fn remove(v: &mut Value, key: &str) {
    v.as_object_mut().unwrap().remove(key);
}

/// A critical trigger for `dedup` with `payload.timestamp` set to `timestamp`.
fn stamped(dedup: &str, timestamp: &str) -> Value {
    let mut event = trigger(API_KEY, dedup, "s", "critical");
    event["payload"]["timestamp"] = json!(timestamp);
    event
}

/// Asserts that a trigger stamped with each of `timestamps` (dedup keys
/// `prefix0`, `prefix1`, …) is accepted with a 202.
async fn accepts_timestamps(base: &str, prefix: &str, timestamps: &[&str]) {
    for (i, timestamp) in timestamps.iter().enumerate() {
        let event = stamped(&format!("{prefix}{i}"), timestamp);
        let (status, body) = post(base, "/v2/enqueue", &event).await;
        assert_eq!(status, 202, "{timestamp:?}: {body}");
    }
}

/// Asserts that `body` is refused with a 400 whose errors name `field`.
async fn expect_400(base: &str, body: Value, field: &str) {
    let (status, answer) = post(base, "/v2/enqueue", &body).await;
    assert_eq!(status, 400, "{body} -> {answer}");
    assert_eq!(answer["status"], "invalid event");
    assert!(answer["message"].is_string());
    let errors = answer["errors"].as_array().unwrap();
    assert!(
        errors.iter().any(|e| e.as_str().unwrap().contains(field)),
        "{field} not named in {answer}"
    );
}

#[tokio::test]
async fn every_bad_event_is_a_400_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start(dir.path(), None).await;

    // Malformed JSON.
    let r = http()
        .post(format!("{base}/v2/enqueue"))
        .header("content-type", "application/json")
        .body("{\"routing_key\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let answer: Value = r.json().await.unwrap();
    assert_eq!(answer["status"], "invalid event");
    assert!(answer["errors"][0].as_str().unwrap().contains("body"));

    // (the event, the field its refusal names)
    let refused = [
        (json!([1, 2]), "body"),
        (json!({"event_action": "trigger"}), "routing_key"),
        (
            trigger("nope-not-a-key", "k", "s", "critical"),
            "routing_key",
        ),
        (
            edited(|e| e["event_action"] = json!("explode")),
            "event_action",
        ),
        (edited(|e| remove(e, "event_action")), "event_action"),
        (edited(|e| remove(e, "payload")), "payload"),
        (
            edited(|e| remove(&mut e["payload"], "summary")),
            "payload.summary",
        ),
        (
            edited(|e| remove(&mut e["payload"], "source")),
            "payload.source",
        ),
        (
            trigger(API_KEY, "k", "s", "apocalyptic"),
            "payload.severity",
        ),
        (
            edited(|e| e["payload"]["summary"] = json!(42)),
            "payload.summary",
        ),
        (action(API_KEY, "", "acknowledge"), "dedup_key"),
        (
            edited(|e| e["links"] = json!([{"text": "no href"}])),
            "links[0].href",
        ),
        (edited(|e| e["images"] = json!("not a list")), "images"),
    ];
    for (event, field) in refused {
        expect_400(&base, event, field).await;
    }

    // 1024 characters is fine, 1025 is not.
    let (status, _) = enqueue_trigger(&base, API_KEY, "long", &"x".repeat(1024), "info").await;
    assert_eq!(status, 202);
    expect_400(
        &base,
        trigger(API_KEY, "longer", &"é".repeat(1025), "info"),
        "payload.summary",
    )
    .await;

    // Nothing was stored by the refused events.
    let all = alerts(&base).await;
    assert_eq!(all.len(), 1);
    relay.shutdown().await.unwrap();
}

/// An info trigger whose custom details carry a `kib` KiB string.
fn with_blob(kib: usize) -> Value {
    let mut event = trigger(API_KEY, "big", "big", "info");
    event["payload"]["custom_details"] = json!({"blob": "y".repeat(kib * 1024)});
    event
}

#[tokio::test]
async fn bodies_over_512_kib_are_413() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start(dir.path(), None).await;
    let (status, body) = post(&base, "/v2/enqueue", &with_blob(600)).await;
    assert_eq!(status, 413, "{body}");
    assert!(body["errors"].is_array());
    // Just under the limit is accepted.
    let (status, _) = post(&base, "/v2/enqueue", &with_blob(500)).await;
    assert_eq!(status, 202);
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_routing_key_over_its_rate_gets_429_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let limit = klaxon_relay::ingest::RateLimit {
        per_second: 0.5,
        burst: 3.0,
    };
    let (relay, base) = start_with(dir.path(), None, limit).await;
    for i in 0..3 {
        let (status, _) = enqueue_trigger(&base, API_KEY, &format!("k{i}"), "s", "info").await;
        assert_eq!(status, 202);
    }
    let r = http()
        .post(format!("{base}/v2/enqueue"))
        .json(&trigger(API_KEY, "k4", "s", "info"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "retry-after {retry}");
    // Another routing key has its own bucket.
    let (status, _) = enqueue_trigger(&base, SHOP_KEY, "k", "s", "info").await;
    assert_eq!(status, 202);
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn links_and_images_are_kept_and_reach_the_device() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start(dir.path(), None).await;
    let alice = enroll(&base, "alice").await;
    let mut e = trigger(API_KEY, "graphs", "latency", "error");
    e["links"] = json!([{"href": "https://grafana.example.com/d/1", "text": "Dashboard"}]);
    e["images"] = json!([{"src": "https://img.example.com/p.png", "href": "https://x.example.com", "alt": "p99"}]);
    e["payload"]["custom_details"] = json!({"p99_ms": 900});
    assert_eq!(post(&base, "/v2/enqueue", &e).await.0, 202);
    let (status, sync) = alice.send(&base, "GET", "/v1/sync", None).await;
    assert_eq!(status, 200, "{sync}");
    let view = &sync["alerts"][0];
    assert_eq!(
        view["details"]["links"][0]["href"],
        "https://grafana.example.com/d/1"
    );
    assert_eq!(view["details"]["links"][0]["text"], "Dashboard");
    assert_eq!(view["details"]["images"][0]["alt"], "p99");
    assert_eq!(view["details"]["custom"]["custom_details"]["p99_ms"], 900);
    assert_eq!(view["runbook"], "https://runbooks.example.com/api");
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn garbage_never_gets_a_5xx() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start(dir.path(), None).await;
    let bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"null".to_vec(),
        b"\xff\xfe\x00".to_vec(),
        b"{\"routing_key\": null, \"event_action\": null}".to_vec(),
        b"{\"routing_key\": [], \"event_action\": {}, \"payload\": []}".to_vec(),
        br#"{"routing_key":"0123456789abcdef0123456789abcdef","event_action":"trigger","payload":{"summary":"s","source":"s","severity":"info"},"links":[null,1,"x"]}"#.to_vec(),
        "{\"a\":".repeat(10_000).into_bytes(),
    ];
    for body in bodies {
        for path in ["/v2/enqueue", &format!("/v1/alertmanager/{API_KEY}")] {
            let r = http()
                .post(format!("{base}{path}"))
                .body(body.clone())
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            assert!((400..500).contains(&status), "{path} {status}");
            let v: Value = r.json().await.unwrap();
            assert!(v["errors"].is_array());
        }
    }
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_field_of_the_wrong_type_is_reported_once() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start(dir.path(), None).await;
    let mut a = action(API_KEY, "k", "acknowledge");
    a["dedup_key"] = json!(["k"]);
    for (body, field) in [
        (edited(|e| e["routing_key"] = json!(42)), "routing_key"),
        (a, "dedup_key"),
        (
            edited(|e| e["payload"]["severity"] = json!(1)),
            "payload.severity",
        ),
        (edited(|e| e["event_action"] = json!(true)), "event_action"),
    ] {
        let (status, answer) = post(&base, "/v2/enqueue", &body).await;
        assert_eq!(status, 400, "{body} -> {answer}");
        assert_eq!(
            answer["errors"],
            json!([format!("{field}: must be a string")]),
            "{body}"
        );
    }
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn unknown_paths_and_wrong_methods_get_a_json_4xx() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start(dir.path(), None).await;
    for (method, path, code, word) in [
        ("GET", "/nope", 404, "/nope"),
        ("POST", "/v2/enqueue/extra", 404, "/v2/enqueue/extra"),
        ("GET", "/v2/enqueue", 405, "GET"),
        ("DELETE", "/healthz", 405, "DELETE"),
        ("GET", "/v1/actions", 405, "GET"),
    ] {
        let r = http()
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                format!("{base}{path}"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), code, "{method} {path}");
        let allow = r
            .headers()
            .get("allow")
            .map(|v| v.to_str().unwrap().to_string());
        let body: Value = r.json().await.unwrap();
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(word), "{method} {path}: {body}");
        assert!(body["errors"].is_array(), "{body}");
        if code == 405 {
            let allow = allow.expect("405 names the allowed methods");
            assert!(message.contains(&allow), "{body} vs allow {allow}");
        }
    }
    relay.shutdown().await.unwrap();
}

/// The `errors` of a refused event.
async fn refusal(base: &str, body: &Value) -> Value {
    let (status, answer) = post(base, "/v2/enqueue", body).await;
    assert_eq!(status, 400, "{body} -> {answer}");
    assert_eq!(answer["status"], "invalid event");
    answer["errors"].clone()
}

#[tokio::test]
async fn a_payload_that_is_not_an_object_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start(dir.path(), None).await;
    for (payload, words) in [
        (json!([]), "an array"),
        (json!("disk full"), r#""disk full""#),
        (json!(7), "the number 7"),
    ] {
        let e = edited(|e| e["payload"] = payload);
        assert_eq!(
            refusal(&base, &e).await,
            json!([format!(
                "payload: must be an object with summary, source and severity, not {words}"
            )])
        );
    }
    let errors = refusal(&base, &edited(|e| e["payload"] = Value::Null)).await;
    assert!(errors[0].as_str().unwrap().starts_with("payload: missing"));
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn payload_timestamp_must_be_an_iso_8601_date_and_time() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start(dir.path(), None).await;
    for bad in ["garbage", "2026-03-01", "12:00:00", "2026-13-01T12:00:00Z"] {
        assert_eq!(
            refusal(&base, &stamped("k", bad)).await,
            json!([format!(
                "payload.timestamp: {bad:?} is not an ISO 8601 date and time (like 2026-03-01T12:00:00Z)"
            )])
        );
    }
    // RFC 3339, and the colon-less offset of PagerDuty's own examples.
    let good = [
        "2026-03-01T12:00:00Z",
        "2026-03-01T12:00:00.123+01:00",
        "2015-07-17T08:42:58.315+0000",
    ];
    accepts_timestamps(&base, "t", &good).await;
    let e = edited(|e| e["payload"]["timestamp"] = json!(1_700_000_000));
    assert_eq!(
        refusal(&base, &e).await,
        json!(["payload.timestamp: must be a string"])
    );
    relay.shutdown().await.unwrap();
}

/// Timestamps real senders put in `payload.timestamp` are ISO 8601 without
/// an offset or with a space, or empty: a 400 for them would lose the page
/// (clients do not retry a 400), for a field the relay only passes on.
#[tokio::test]
async fn timestamps_real_senders_use_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start(dir.path(), None).await;
    let sent = [
        // ElastAlert forwards the matched document's @timestamp as it is.
        "2017-01-01T00:00:00",
        // Python's datetime.isoformat() of a naive datetime.
        "2026-03-01T12:00:00.123456",
        // Python's str(datetime).
        "2026-03-01 12:00:00.123456",
        "2026-03-01 12:00:00+00:00",
        // An hour-only offset (ISO 8601 allows it; PostgreSQL prints it).
        "2026-03-01T12:00:00+01",
        // A Go struct with `Timestamp string` and no omitempty, left unset.
        "",
    ];
    accepts_timestamps(&base, "ts", &sent).await;
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn client_fields_are_strings_like_every_other_text_field() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start(dir.path(), None).await;
    let e = edited(|e| {
        e["client"] = json!(5);
        e["client_url"] = json!(["https://x.example.com"]);
        e["payload"]["component"] = json!(7);
    });
    assert_eq!(
        refusal(&base, &e).await,
        json!([
            "client: must be a string",
            "client_url: must be a string",
            "payload.component: must be a string"
        ])
    );
    let e = edited(|e| {
        e["client"] = json!("Grafana");
        e["client_url"] = json!("https://grafana.example.com");
    });
    assert_eq!(post(&base, "/v2/enqueue", &e).await.0, 202);
    let alice = enroll(&base, "alice").await;
    let (_, sync) = alice.send(&base, "GET", "/v1/sync", None).await;
    assert_eq!(sync["alerts"][0]["details"]["custom"]["client"], "Grafana");
    relay.shutdown().await.unwrap();
}
