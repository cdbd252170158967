//! Maintenance windows on a real relay (issue 13, item 6): an alert of a
//! service in maintenance is recorded (`suppressed`, naming the window)
//! but pages nobody; when the window ends — by time, on a ManualClock, or
//! ended early through the admin API — it pages at once. The admin API
//! refuses bad windows naming the field.

use chrono::{TimeZone, Utc};
use klaxon_domain::ManualClock;
use klaxon_testkit::relay::*;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

/// An admin API call (see [`admin_request`]) with a `reqwest` method.
async fn admin(
    method: reqwest::Method,
    base: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    admin_request(base, method.as_str(), path, body).await
}

/// Starts a window on `service`; its id.
async fn start_window(base: &str, service: &str, length: &str) -> String {
    let (status, body) = admin(
        reqwest::Method::POST,
        base,
        "/v1/admin/maintenance",
        Some(json!({"service": service, "for": length, "reason": "db upgrade"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn an_alert_during_maintenance_pages_nobody_then_pages_when_the_window_ends() {
    let dir = tempfile::tempdir().unwrap();
    // Near the real time: the device signs its requests with it.
    let t0 = Utc.timestamp_opt(Utc::now().timestamp(), 0).unwrap();
    let clock = Arc::new(ManualClock::new(t0));
    let (relay, base) = start(dir.path(), Some(clock.clone())).await;
    let alice = enroll(&base, "alice").await;
    let mut alice_rx = open_stream(&base, &alice).await;

    let window = start_window(&base, "api", "10m").await;
    let (_, listed) = admin(reqwest::Method::GET, &base, "/v1/admin/maintenance", None).await;
    assert_eq!(listed["windows"][0]["id"], window);
    assert_eq!(listed["windows"][0]["active"], true);
    assert_eq!(listed["windows"][0]["reason"], "db upgrade");

    send_trigger(&base, "disk", "disk full").await;
    assert!(
        next_page(&mut alice_rx, 1).await.is_none(),
        "paged during maintenance"
    );
    let id = alert_id_by_key(&base, "disk").await;
    let alert = alert_detail(&base, &id).await;
    assert_eq!(count(&alert, "notified"), 0);
    assert_eq!(count(&alert, "suppressed"), 1);
    let suppressed = alert["timeline"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"]["kind"] == "suppressed")
        .unwrap()
        .clone();
    assert_eq!(suppressed["event"]["window"], window);
    let until: chrono::DateTime<Utc> = suppressed["event"]["until"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(until, t0 + chrono::Duration::minutes(10));

    // A minute before the end: still nobody.
    clock.advance(chrono::Duration::minutes(9));
    relay.wake_escalator();
    assert!(next_page(&mut alice_rx, 1).await.is_none());

    // The window ends: the first step fires at once.
    clock.advance(chrono::Duration::minutes(1));
    relay.wake_escalator();
    let page = next_page(&mut alice_rx, 3)
        .await
        .expect("alice is paged at the end");
    assert_eq!(page["alert"], id.as_str());
    assert_eq!(page["step_seq"], 1);
    let alert = alert_detail(&base, &id).await;
    assert_eq!(
        notifications(&alert)[0].0,
        t0 + chrono::Duration::minutes(10)
    );
    assert_eq!(count(&alert, "suppressed"), 1);
    let (_, listed) = admin(reqwest::Method::GET, &base, "/v1/admin/maintenance", None).await;
    assert_eq!(listed["windows"][0]["active"], false);
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn ending_a_window_early_pages_its_triggered_alerts_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start(dir.path(), None).await;
    let alice = enroll(&base, "alice").await;
    let mut alice_rx = open_stream(&base, &alice).await;
    let window = start_window(&base, "api", "1h").await;
    send_trigger(&base, "cpu", "CPU on fire").await;
    // Step 2 (2 s) would have fired by now too: nothing does.
    assert!(
        next_page(&mut alice_rx, 3).await.is_none(),
        "paged during maintenance"
    );

    let (status, ended) = admin(
        reqwest::Method::DELETE,
        &base,
        &format!("/v1/admin/maintenance/{window}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{ended}");
    assert_eq!(ended["ended_early"], true);
    let page = next_page(&mut alice_rx, 2)
        .await
        .expect("alice is paged at once");
    assert_eq!(page["summary"], "CPU on fire");

    // Ending it again changes nothing; an unknown id is a 404.
    let again = admin(
        reqwest::Method::DELETE,
        &base,
        &format!("/v1/admin/maintenance/{window}"),
        None,
    )
    .await;
    assert_eq!((again.0, &again.1["end"]), (200, &ended["end"]));
    let unknown = admin(
        reqwest::Method::DELETE,
        &base,
        "/v1/admin/maintenance/mw-nope",
        None,
    )
    .await;
    assert_eq!(unknown.0, 404);
    assert_eq!(
        unknown.1["errors"][0],
        "id: no maintenance window \"mw-nope\""
    );
    relay.shutdown().await.unwrap();
    tokio::time::sleep(Duration::from_millis(10)).await;
}

#[tokio::test]
async fn a_bad_window_is_refused_naming_each_field() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start(dir.path(), None).await;
    let (status, body) = admin(
        reqwest::Method::POST,
        &base,
        "/v1/admin/maintenance",
        Some(json!({"service": "apj", "for": "8d"})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["errors"],
        json!([
            "service: unknown service \"apj\"; known services: api, shop",
            "for: \"8d\" is longer than the 7d a window may last"
        ])
    );
    let (status, body) = admin(
        reqwest::Method::POST,
        &base,
        "/v1/admin/maintenance",
        Some(json!({"service": "api", "for": "soon"})),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body["errors"][0]
            .as_str()
            .unwrap()
            .starts_with("for: \"soon\""),
        "{body}"
    );
    // Without the token: 401.
    let r = http()
        .get(format!("{base}/v1/admin/maintenance"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    relay.shutdown().await.unwrap();
}
