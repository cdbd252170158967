//! `klaxon serve` as a real process, sent SIGHUP after its roster file
//! changed: a broken file leaves the relay up and paging with the roster it
//! runs, the error in `/healthz` and the reload counted as an error; a good
//! file pages the new person on the next trigger, without a restart.

#![cfg(unix)]

use klaxon_testkit::fixtures;
use klaxon_testkit::process::{Klaxon, Served};
use klaxon_testkit::relay::{alert_by_key, http, send_trigger};
use serde_json::Value;
use std::process::Command;
use std::time::{Duration, Instant};

const KLAXON: Klaxon = Klaxon(env!("CARGO_BIN_EXE_klaxon"));

/// Sends SIGHUP to the relay (re-read the roster file).
fn hangup(relay: &Served) {
    let status = Command::new("kill")
        .args(["-HUP", &relay.child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// `GET /healthz`: its status and JSON body (Null if not JSON).
async fn healthz(base: &str) -> (u16, Value) {
    let r = http().get(format!("{base}/healthz")).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// The relay's Prometheus text from `GET /metrics`.
async fn metrics(base: &str) -> String {
    let r = http().get(format!("{base}/metrics")).send().await.unwrap();
    r.text().await.unwrap()
}

/// Whom the newest alert with `dedup` paged, once it paged anyone (10 s).
async fn paged(base: &str, dedup: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let last = alert_by_key(base, dedup)
            .await
            .map(|a| a["paged"].clone())
            .unwrap_or(Value::Null);
        if last.as_array().is_some_and(|p| !p.is_empty()) || Instant::now() > deadline {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `/healthz` once `done` holds for it (or after 10 s).
async fn health_when(base: &str, done: impl Fn(u16, &Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = healthz(base).await;
        if done(status, &body) || Instant::now() > deadline {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_keeps_the_roster_on_a_bad_file_and_runs_a_good_one() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("roster.toml");
    let good = std::fs::read_to_string(fixtures::path("relay.toml")).unwrap();
    std::fs::write(&config, &good).unwrap();
    let relay = KLAXON
        .serve(&dir.path().join("relay.db"))
        .config(&config)
        .start();
    let base = relay.base.clone();

    // A broken file: two problems, both named; the relay stays up.
    let broken = good
        .replacen("rotation = \"weekly\"", "rotation = \"fortnightly\"", 1)
        .replacen("delay = \"2s\"", "delay = \"soon\"", 1);
    std::fs::write(&config, broken).unwrap();
    hangup(&relay);
    let health = health_when(&base, |status, body| {
        status == 200 && body["roster_error"].is_string()
    })
    .await;
    let error = health["roster_error"]
        .as_str()
        .unwrap_or_else(|| panic!("no roster_error in /healthz: {health}"));
    assert!(error.contains("rotation"), "{error}");
    assert!(error.contains("delay"), "{error}");
    assert!(metrics(&base)
        .await
        .contains("klaxon_roster_reloads_total{result=\"error\"} 1"));
    send_trigger(&base, "before", "disk full").await;
    assert_eq!(paged(&base, "before").await, serde_json::json!(["alice"]));

    // A good file with dave on call in primary: the next trigger pages him.
    let edited = good.replacen("participants = [\"alice\"]", "participants = [\"dave\"]", 1);
    std::fs::write(&config, edited).unwrap();
    hangup(&relay);
    let health = health_when(&base, |status, body| {
        status == 200 && body.get("roster_error").is_none()
    })
    .await;
    assert!(health.get("roster_error").is_none(), "{health}");
    assert!(metrics(&base)
        .await
        .contains("klaxon_roster_reloads_total{result=\"ok\"} 1"));
    send_trigger(&base, "after", "disk full again").await;
    assert_eq!(paged(&base, "after").await, serde_json::json!(["dave"]));
}
