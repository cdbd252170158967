//! The red-team findings, each on a real relay on loopback: Alertmanager
//! batches charged per alert, fingerprints bounded, every refusal in the
//! JSON shape, half-closed requests answered, the `bearer` scheme in any
//! case, device headers checked before the body, bodies in flight bounded,
//! `/healthz` honest about disk space.

use klaxon_testkit::relay as common;

use common::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt as _;

/// A version 4 webhook with `n` firing alerts, fingerprints `{prefix}{i}`.
fn batch(prefix: &str, n: usize) -> Value {
    let alerts: Vec<Value> = (0..n)
        .map(|i| {
            json!({
                "status": "firing",
                "labels": {"alertname": "DiskFull", "instance": format!("db{i}")},
                "annotations": {"summary": "Disk full"},
                "fingerprint": format!("{prefix}{i}"),
            })
        })
        .collect();
    json!({"version": "4", "status": "firing", "alerts": alerts})
}

/// Asserts `body` is the JSON shape of every refusal.
fn assert_refusal_shape(body: &Value) {
    assert!(body["status"].is_string(), "{body}");
    assert!(body["message"].is_string(), "{body}");
    assert!(body["errors"].is_array(), "{body}");
    assert!(!body["errors"].as_array().unwrap().is_empty(), "{body}");
}

#[tokio::test]
async fn alertmanager_batches_are_charged_per_alert_and_refused_whole() {
    let dir = tempfile::tempdir().unwrap();
    let limit = klaxon_relay::ingest::RateLimit {
        per_second: 1.0,
        burst: 10.0,
    };
    let (relay, base) = start_with(dir.path(), None, limit).await;
    let hook = format!("/v1/alertmanager/{API_KEY}");

    let (status, body) = post(&base, &hook, &batch("a", 8)).await;
    assert_eq!(status, 200, "{body}");
    // Two tokens left: a batch of five is refused whole.
    let r = http()
        .post(format!("{base}{hook}"))
        .json(&batch("b", 5))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 3, "retry after {retry} s");
    let body: Value = r.json().await.unwrap();
    assert_refusal_shape(&body);
    assert_eq!(
        alerts(&base).await.len(),
        8,
        "nothing of the refused batch is stored"
    );
    // Another routing key is not charged for it.
    let (status, body) = enqueue_trigger(&base, SHOP_KEY, "shop-1", "down", "critical").await;
    assert_eq!(status, 202, "{body}");
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn alertmanager_fingerprints_have_the_dedup_key_limit() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start(dir.path(), None).await;
    let hook = format!("/v1/alertmanager/{API_KEY}");
    let long = "f".repeat(256);
    let (status, body) = post(&base, &hook, &batch(&long, 1)).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["errors"][0]
            .as_str()
            .unwrap()
            .starts_with("alerts[0].fingerprint: 257 characters"),
        "{body}"
    );
    assert!(alerts(&base).await.is_empty());
    // 255 characters are fine.
    let (status, body) = post(&base, &hook, &batch(&"f".repeat(254), 1)).await;
    assert_eq!(status, 200, "{body}");
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn every_refusal_has_the_json_shape() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start(dir.path(), None).await;
    // Invalid UTF-8 in a path parameter (axum's Path rejection).
    let r = http()
        .post(format!("{base}/v1/alertmanager/%FF%FE"))
        .json(&batch("x", 1))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    assert_refusal_shape(&r.json().await.unwrap());
    let r = http()
        .get(format!("{base}/v1/admin/alerts/%C3%28"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
    assert_refusal_shape(&r.json().await.unwrap());
    // Unknown path and wrong method.
    let r = http().get(format!("{base}/nowhere")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 404);
    assert_refusal_shape(&r.json().await.unwrap());
    let r = http()
        .get(format!("{base}/v2/enqueue"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 405);
    assert_refusal_shape(&r.json().await.unwrap());
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_request_followed_by_a_half_close_is_answered() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start(dir.path(), None).await;
    for i in 0..10 {
        let body =
            serde_json::to_vec(&trigger(API_KEY, &format!("half-{i}"), "x", "critical")).unwrap();
        let mut head = format!(
            "POST /v2/enqueue HTTP/1.1\r\nhost: relay\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        head.extend_from_slice(&body);
        let mut stream = send_partial(&base, &head).await;
        stream.shutdown().await.unwrap();
        let answer = read_answer(&mut stream, 10).await;
        assert_eq!(answer.map(|a| a.0), Some(202), "request {i}");
    }
    assert_eq!(alerts(&base).await.len(), 10);
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start(dir.path(), None).await;
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let r = http()
            .get(format!("{base}/v1/admin/alerts"))
            .header("authorization", format!("{scheme} {ADMIN}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "{scheme}");
    }
    let r = http()
        .get(format!("{base}/v1/admin/alerts"))
        .header("authorization", format!("Basic {ADMIN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_device_request_with_bad_headers_is_refused_before_its_body() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start(dir.path(), None).await;
    let now = chrono::Utc::now().timestamp();
    // An unknown device, then a stale timestamp: announced 400 KB bodies
    // that never come are refused at once, not after the body timeout.
    for (device, ts) in [("nobody", now), ("nobody", now - 3600)] {
        let head = format!(
            "POST /v1/actions HTTP/1.1\r\nhost: relay\r\ncontent-type: application/json\r\n\
             content-length: 400000\r\nx-klaxon-device: {device}\r\nx-klaxon-timestamp: {ts}\r\n\
             x-klaxon-nonce: n{ts}\r\nx-klaxon-signature: AAAA\r\n\r\n"
        );
        let started = Instant::now();
        let mut stream = send_partial(&base, head.as_bytes()).await;
        let answer = read_answer(&mut stream, 5).await;
        let (status, body) = answer.expect("answered without the body");
        assert_eq!(status, 401, "{body}");
        assert_refusal_shape(&body);
        assert!(started.elapsed() < Duration::from_secs(5));
    }
    relay.shutdown().await.unwrap();
}

/// An Events v2 POST announcing a `length`-byte body of which only the
/// first `sent` bytes follow: a client stalled mid-body.
fn stalled_post(length: usize, sent: usize) -> Vec<u8> {
    let mut bytes = format!(
        "POST /v2/enqueue HTTP/1.1\r\nhost: relay\r\ncontent-type: application/json\r\n\
         content-length: {length}\r\n\r\n"
    )
    .into_bytes();
    bytes.extend(std::iter::repeat_n(b' ', sent));
    bytes
}

#[tokio::test]
async fn bodies_in_flight_and_connections_per_peer_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let budget = 2 * 512 * 1024 + 64 * 1024;
    let (relay, base) = start_built(dir.path(), |r| {
        r.body_budget(budget)
            .connections_per_peer(40)
            .request_timeout(Duration::from_secs(20))
    })
    .await;
    // Two clients stalled at 500 KiB bodies take the budget…
    let mut stalled = Vec::new();
    for _ in 0..2 {
        stalled.push(send_partial(&base, &stalled_post(500 * 1024, 1024)).await);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // …so every further one is refused at once, before its body.
    let started = Instant::now();
    for i in 0..20 {
        let mut s = send_partial(&base, &stalled_post(500 * 1024, 1024)).await;
        let (status, body) = read_answer(&mut s, 5).await.expect("refused at once");
        assert_eq!(status, 503, "connection {i}: {body}");
        assert_refusal_shape(&body);
    }
    assert!(started.elapsed() < Duration::from_secs(10));
    // A small event still fits beside them.
    let (status, body) = enqueue_trigger(&base, API_KEY, "small", "x", "critical").await;
    assert_eq!(status, 202, "{body}");

    // One address holds at most 40 connections: the rest are answered 503.
    let mut idle = Vec::new();
    for _ in 0..60 {
        idle.push(send_partial(&base, b"").await);
    }
    let answers = futures_util::future::join_all(idle.iter_mut().map(|s| read_answer(s, 2))).await;
    let refused = answers
        .iter()
        .filter(|a| matches!(a, Some((503, _))))
        .count();
    assert!((20..=60).contains(&refused), "{refused} of 60 refused");
    drop(idle);

    // Once the stalled clients are gone, their room is free again.
    drop(stalled);
    assert!(
        eventually(5, || async {
            let mut s = send_partial(&base, &stalled_post(500 * 1024, 10)).await;
            read_answer(&mut s, 1).await.is_none()
        })
        .await,
        "a 500 KiB body is received again"
    );
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn healthz_needs_room_on_the_disk_for_an_ingest() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start(dir.path(), None).await;
    let r = http().get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    relay.shutdown().await.unwrap();
    // The same disk, with a margin it cannot have: a nearly full disk, as
    // far as the relay knows. The tiny probe write would still commit.
    let (relay, base) = start_built(dir.path(), |r| r.min_free_disk(u64::MAX)).await;
    let r = http().get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 503);
    let body: Value = r.json().await.unwrap();
    assert_refusal_shape(&body);
    let error = body["errors"][0].as_str().unwrap();
    assert!(
        error.starts_with("disk: ") && error.contains("bytes free"),
        "{body}"
    );
    relay.shutdown().await.unwrap();
}
