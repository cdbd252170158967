//! PagerDuty Change Events on a real relay (issue 13, item 7):
//! `POST /v2/change/enqueue` answers 202 as PagerDuty does, only once the
//! change is committed; the admin alert detail lists the service's changes
//! in the hour before the alert opened (placed in time by their own
//! `payload.timestamp`), newest first; changes are kept 7 days and then
//! pruned; bad events are 400s naming every bad field.

use chrono::{DateTime, Duration as Span, TimeZone, Utc};
use klaxon_domain::ManualClock;
use klaxon_testkit::relay::*;
use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

const PATH: &str = "/v2/change/enqueue";

/// A change event for the service of `key`, made at `at`.
fn change(key: &str, summary: &str, source: &str, at: DateTime<Utc>) -> Value {
    json!({
        "routing_key": key,
        "payload": {
            "summary": summary,
            "source": source,
            "timestamp": at.to_rfc3339(),
            "custom_details": {"build": 412, "commit": "9f0c4a1"},
        },
        "links": [{"href": "https://ci.example.com/412", "text": "build 412"}],
    })
}

/// Posts a change and asserts PagerDuty's 202 answer.
async fn send_change(base: &str, body: &Value) {
    let (status, answer) = post(base, PATH, body).await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(
        answer,
        json!({"status": "success", "message": "Change event processed"})
    );
}

/// The summaries of an alert detail's `changes`, in order.
fn summaries(detail: &Value) -> Vec<String> {
    detail["changes"]
        .as_array()
        .unwrap_or_else(|| panic!("no changes list: {detail}"))
        .iter()
        .map(|c| c["summary"].as_str().unwrap().to_string())
        .collect()
}

fn stored_changes(dir: &Path) -> i64 {
    let conn = rusqlite::Connection::open(db(dir)).unwrap();
    conn.query_row("SELECT COUNT(*) FROM changes", [], |r| r.get(0))
        .unwrap()
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

#[tokio::test]
async fn the_hour_of_changes_before_an_alert_is_in_its_detail() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(t0()));
    let (relay, base) = start(dir.path(), Some(clock.clone())).await;

    send_change(
        &base,
        &change(API_KEY, "deploy v2.3", "ci", t0() - Span::minutes(6)),
    )
    .await;
    // Outside the hour, another service, and one with no timestamp (now).
    send_change(
        &base,
        &change(API_KEY, "deploy v2.2", "ci", t0() - Span::minutes(61)),
    )
    .await;
    send_change(
        &base,
        &change(SHOP_KEY, "shop deploy", "ci", t0() - Span::minutes(5)),
    )
    .await;
    send_change(
        &base,
        &json!({"routing_key": API_KEY, "payload": {"summary": "feature flag on"}}),
    )
    .await;
    // A sender's clock ahead: placed at its arrival, not in the future.
    send_change(
        &base,
        &change(API_KEY, "config push", "ansible", t0() + Span::hours(2)),
    )
    .await;

    send_trigger(&base, "cpu", "CPU over 90%").await;
    let id = alert_id_by_key(&base, "cpu").await;
    let detail = alert_detail(&base, &id).await;
    assert_eq!(detail["id"], id.as_str(), "{detail}");
    assert_eq!(
        detail["timeline"]["entries"][0]["event"]["kind"],
        "triggered"
    );
    assert_eq!(
        summaries(&detail),
        ["config push", "feature flag on", "deploy v2.3"],
        "{detail}"
    );
    let deploy = &detail["changes"][2];
    assert_eq!(deploy["service"], "api");
    assert_eq!(deploy["source"], "ci");
    assert_eq!(deploy["at"], "2026-03-01T11:54:00Z");
    assert_eq!(deploy["received_at"], "2026-03-01T12:00:00Z");
    assert_eq!(deploy["custom_details"]["build"], 412);
    assert_eq!(deploy["links"][0]["href"], "https://ci.example.com/412");
    assert_eq!(deploy["links"][0]["text"], "build 412");
    assert_eq!(detail["changes"][1]["at"], "2026-03-01T12:00:00Z");
    assert_eq!(detail["changes"][0]["at"], "2026-03-01T12:00:00Z");
    assert!(detail["changes"][1].get("source").is_none(), "{detail}");

    // A shop alert sees only the shop's change.
    let (status, body) = enqueue_trigger(&base, SHOP_KEY, "cart", "cart errors", "error").await;
    assert_eq!(status, 202, "{body}");
    let shop = alert_detail(&base, &alert_id_by_key(&base, "cart").await).await;
    assert_eq!(summaries(&shop), ["shop deploy"]);

    // Changes made after an alert opened are not its cause.
    clock.advance(Span::minutes(1));
    send_change(&base, &change(API_KEY, "rollback", "ci", clock_now(&clock))).await;
    let detail = alert_detail(&base, &id).await;
    assert_eq!(summaries(&detail).len(), 3, "{detail}");
    relay.shutdown().await.unwrap();
}

fn clock_now(clock: &ManualClock) -> DateTime<Utc> {
    use klaxon_domain::Clock as _;
    clock.now()
}

#[tokio::test]
async fn changes_are_kept_seven_days_then_pruned() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(t0()));
    let (relay, base) = start(dir.path(), Some(clock.clone())).await;
    send_change(
        &base,
        &change(API_KEY, "deploy v2.3", "ci", t0() - Span::minutes(10)),
    )
    .await;
    // Older than 7 days when it arrives: accepted, and not kept.
    send_change(
        &base,
        &change(API_KEY, "ancient", "ci", t0() - Span::days(8)),
    )
    .await;
    send_trigger(&base, "cpu", "CPU over 90%").await;
    let id = alert_id_by_key(&base, "cpu").await;
    assert_eq!(summaries(&alert_detail(&base, &id).await), ["deploy v2.3"]);
    assert_eq!(
        stored_changes(dir.path()),
        1,
        "the 8-day-old change is not kept"
    );

    clock.advance(Span::days(6));
    send_change(&base, &change(API_KEY, "day six", "ci", clock_now(&clock))).await;
    assert_eq!(stored_changes(dir.path()), 2);
    assert_eq!(summaries(&alert_detail(&base, &id).await), ["deploy v2.3"]);

    // Seven days after it happened the change is no longer shown, and the
    // next change prunes it.
    clock.advance(Span::days(1));
    assert_eq!(
        summaries(&alert_detail(&base, &id).await),
        Vec::<String>::new()
    );
    send_change(
        &base,
        &change(API_KEY, "day seven", "ci", clock_now(&clock)),
    )
    .await;
    assert_eq!(
        stored_changes(dir.path()),
        2,
        "day six and day seven remain"
    );
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_change_is_answered_only_after_it_is_committed() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start(dir.path(), None).await;
    let lock = hold_write_lock(dir.path());
    let sent = tokio::spawn({
        let base = base.clone();
        async move {
            post(
                &base,
                PATH,
                &json!({"routing_key": API_KEY, "payload": {"summary": "deploy v2.4"}}),
            )
            .await
        }
    });
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(!sent.is_finished(), "answered while the store was locked");
    drop(lock);
    let (status, body) = tokio::time::timeout(Duration::from_secs(20), sent)
        .await
        .expect("answered once the store commits")
        .unwrap();
    assert_eq!(status, 202, "{body}");
    assert_eq!(stored_changes(dir.path()), 1);
    send_trigger(&base, "cpu", "CPU over 90%").await;
    let detail = alert_detail(&base, &alert_id_by_key(&base, "cpu").await).await;
    assert_eq!(summaries(&detail), ["deploy v2.4"]);
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn bad_change_events_are_400_naming_every_field() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start(dir.path(), None).await;
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (
            json!({"routing_key": "f".repeat(32), "payload": {"summary": "deploy"}}),
            vec!["routing_key: no service has this routing key"],
        ),
        (
            json!({"payload": {"summary": "deploy"}}),
            vec!["routing_key: missing"],
        ),
        (
            json!({"routing_key": API_KEY}),
            vec!["payload: missing; a change event needs payload.summary"],
        ),
        (
            json!({"routing_key": API_KEY, "payload": "deploy"}),
            vec!["payload: must be an object with a summary, not \"deploy\""],
        ),
        (
            json!({
                "routing_key": API_KEY,
                "payload": {"summary": "x".repeat(1025), "source": 7, "timestamp": "yesterday"},
                "links": [{"text": "no href"}],
            }),
            vec![
                "links[0].href: missing or not a string",
                "payload.summary: 1025 characters, more than the 1024 allowed",
                "payload.source: must be a string",
                "payload.timestamp: \"yesterday\" is not an ISO 8601 date and time (like 2026-03-01T12:00:00Z)",
            ],
        ),
        (
            json!({"routing_key": API_KEY, "payload": {"source": "ci"}, "links": "x"}),
            vec!["links: must be an array", "payload.summary: missing"],
        ),
        (json!(["not", "an", "object"]), vec!["body: must be a JSON object"]),
    ];
    for (body, expected) in cases {
        let (status, answer) = post(&base, PATH, &body).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert_eq!(answer["status"], "invalid event", "{answer}");
        assert_eq!(answer["message"], "Event object is invalid", "{answer}");
        assert_eq!(answer["errors"], json!(expected), "{body}");
    }
    // Not JSON at all.
    let r = http()
        .post(format!("{base}{PATH}"))
        .header("content-type", "application/json")
        .body("{deploy")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let answer: Value = r.json().await.unwrap();
    assert_eq!(answer["status"], "invalid event", "{answer}");
    // A timestamp as PagerDuty's own examples write it, without a colon in
    // the offset, and `images` (not part of change events) is ignored.
    let at = Utc::now() - Span::minutes(3);
    send_change(
        &base,
        &json!({
            "routing_key": API_KEY,
            "payload": {
                "summary": "deploy v2.5",
                "timestamp": at.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string(),
            },
            "images": [{"src": "https://example.com/x.png"}],
        }),
    )
    .await;
    send_trigger(&base, "cpu", "CPU over 90%").await;
    let detail = alert_detail(&base, &alert_id_by_key(&base, "cpu").await).await;
    assert_eq!(summaries(&detail), ["deploy v2.5"]);
    let stored: DateTime<Utc> = detail["changes"][0]["at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(stored.timestamp_millis(), at.timestamp_millis());
    assert!(detail["changes"][0].get("images").is_none(), "{detail}");
    relay.shutdown().await.unwrap();
}
