//! Heartbeats on a real relay (issue 13, item 5): a beat is a 200 after its
//! commit; a heartbeat silent for interval + grace opens an alert on its
//! service (`heartbeat:{id}`, saying how long it has been silent) within
//! 1 s more, which pages; the next beat resolves it; one never seen is not
//! overdue before interval + grace after the relay starts; the state
//! survives a restart. Interval and grace are 1 s each.

use chrono::{DateTime, Utc};
use klaxon_domain::Roster;
use klaxon_relay::{Relay, RunningRelay};
use klaxon_testkit::relay::*;
use std::path::Path;
use std::time::Duration;

/// The watchdog's key.
const WATCHDOG: &str = "beat0123456789abcdef0123456789ab";
/// The nightly backup's key (interval 1 h: never overdue in a test).
const BACKUP: &str = "beat1123456789abcdef0123456789ab";

/// The relay fixture roster with two heartbeats on the api service.
fn roster() -> Roster {
    let text = format!(
        "{}\n{}",
        klaxon_testkit::fixtures::RELAY_ROSTER,
        format_args!(
            r#"
[[heartbeats]]
id = "watchdog"
service = "api"
interval = "1s"
grace = "1s"
key = "{WATCHDOG}"

[[heartbeats]]
id = "backup"
service = "api"
interval = "1h"
key = "{BACKUP}"
"#
        )
    );
    Roster::parse(&text).unwrap()
}

async fn start_relay(dir: &Path) -> (RunningRelay, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let relay = Relay::new(roster(), db(dir))
        .admin_token(Some(ADMIN.to_string()))
        .start(listener)
        .await
        .unwrap();
    let base = format!("http://{}", relay.local_addr());
    (relay, base)
}

/// Beats `key` with `GET` or `POST`; the status and the instant the answer came.
async fn beat(base: &str, key: &str, post: bool) -> (u16, serde_json::Value, DateTime<Utc>) {
    let url = format!("{base}/v1/heartbeats/{key}");
    let req = if post {
        http().post(url).body("{\"status\":\"firing\"}")
    } else {
        http().get(url)
    };
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let body = r.json().await.unwrap_or(serde_json::Value::Null);
    (status, body, Utc::now())
}

/// The watchdog's alert, once it exists (waiting at most `secs`).
async fn watchdog_alert(base: &str, secs: u64) -> Option<serde_json::Value> {
    eventually(secs, || async {
        alert_by_key(base, "heartbeat:watchdog").await.is_some()
    })
    .await;
    alert_by_key(base, "heartbeat:watchdog").await
}

fn instant(v: &serde_json::Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_missed_heartbeat_opens_an_alert_and_the_next_beat_resolves_it() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start_relay(dir.path()).await;
    let alice = enroll(&base, "alice").await;
    let mut alice_rx = open_stream(&base, &alice).await;

    let (status, body, _) = beat(&base, WATCHDOG, false).await;
    assert_eq!(
        (status, &body["heartbeat"]),
        (200, &serde_json::json!("watchdog"))
    );
    let (status, _, last) = beat(&base, WATCHDOG, true).await;
    assert_eq!(status, 200);

    // Silent from `last`: the alert opens after interval + grace (2 s), and
    // within 1 s more; it pages alice like any alert of the service.
    let page = next_page(&mut alice_rx, 6).await.expect("alice is paged");
    assert_eq!(page["dedup_key"], "heartbeat:watchdog");
    let alert = watchdog_alert(&base, 1).await.expect("an alert opened");
    let opened = instant(&alert["created_at"]);
    let silent = (opened - last).num_milliseconds();
    assert!(
        (1_900..=3_000).contains(&silent),
        "opened {silent} ms after the last beat"
    );
    assert_eq!(alert["service"], "api");
    assert_eq!(alert["status"], "triggered");
    let summary = alert["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("Heartbeat watchdog silent for 2s"),
        "{summary}"
    );
    assert!(summary.contains("expected every 1s, grace 1s"), "{summary}");

    // Still silent: the same alert, not one per pass.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let same: Vec<_> = alerts(&base)
        .await
        .into_iter()
        .filter(|a| a["dedup_key"] == "heartbeat:watchdog")
        .collect();
    assert_eq!(same.len(), 1);

    // The next beat resolves it, in the beat's own transaction.
    assert_eq!(beat(&base, WATCHDOG, true).await.0, 200);
    let alert = alert_by_key(&base, "heartbeat:watchdog").await.unwrap();
    assert_eq!(alert["status"], "resolved");
    assert_eq!(alert["resolved_by"], "heartbeat");
    // The backup, never seen, is not overdue for an hour.
    assert!(alert_by_key(&base, "heartbeat:backup").await.is_none());
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_heartbeat_never_seen_is_overdue_only_interval_plus_grace_after_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let started = Utc::now();
    let (relay, base) = start_relay(dir.path()).await;
    let alert = watchdog_alert(&base, 6).await.expect("an alert opened");
    let after = (instant(&alert["created_at"]) - started).num_milliseconds();
    assert!(
        (1_900..=3_500).contains(&after),
        "opened {after} ms after the start"
    );
    assert!(alert["summary"]
        .as_str()
        .unwrap()
        .contains("has not beaten since the relay started"));

    // The open alert and the overdue row survive a restart: no second
    // alert, and the first beat after it resolves the one there is.
    relay.shutdown().await.unwrap();
    let (relay, base) = start_relay(dir.path()).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let all = alerts(&base).await;
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(beat(&base, WATCHDOG, false).await.0, 200);
    assert_eq!(
        alert_by_key(&base, "heartbeat:watchdog").await.unwrap()["status"],
        "resolved"
    );
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_unknown_key_is_a_404_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start_relay(dir.path()).await;
    // A service's routing key is not a heartbeat key.
    let (status, body, _) = beat(&base, API_KEY, true).await;
    assert_eq!(status, 404);
    assert_eq!(body["errors"][0], "key: no heartbeat has this key");
    let r = http()
        .delete(format!("{base}/v1/heartbeats/{WATCHDOG}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 405);
    relay.shutdown().await.unwrap();
}
