//! `klaxon serve` as a real process, killed with SIGKILL in the middle of a
//! burst of Events v2 triggers: after a restart on the same database every
//! event that got a 2xx is there, and every escalation deadline still fires.

use serde_json::json;
use std::path::Path;
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use klaxon_testkit::process::{free_port, serve_command};
use klaxon_testkit::relay::{alerts, ADMIN, API_KEY as KEY};

/// Events accepted before the SIGKILL.
const MIN_BURST: usize = 50;

/// `klaxon serve` with a rate limit no burst reaches.
fn serve(db: &Path, port: u16) -> Child {
    serve_command(env!("CARGO_BIN_EXE_klaxon"), db, port, ADMIN)
        .env("KLAXON_RATE_LIMIT", "100000")
        .env("KLAXON_RATE_BURST", "100000")
        .spawn()
        .unwrap()
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

async fn wait_healthy(base: &str) {
    let c = client();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if let Ok(r) = c.get(format!("{base}/healthz")).send().await {
            if r.status().as_u16() == 200 {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the relay at {base} never became healthy");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_burst_loses_no_acknowledged_event_and_deadlines_still_fire() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kill.db");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = serve(&db, port);
    wait_healthy(&base).await;

    // Eight senders fire triggers with unique keys until the relay dies.
    let accepted: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut senders = Vec::new();
    for sender in 0..8 {
        let accepted = accepted.clone();
        let base = base.clone();
        senders.push(tokio::spawn(async move {
            let c = client();
            for i in 0.. {
                let key = format!("burst-{sender}-{i}");
                let event = json!({
                    "routing_key": KEY, "event_action": "trigger", "dedup_key": key,
                    "payload": {"summary": format!("burst {key}"), "source": "kill-test", "severity": "critical"},
                });
                match c.post(format!("{base}/v2/enqueue")).json(&event).send().await {
                    Ok(r) if r.status().as_u16() == 202 => accepted.lock().unwrap().push(key),
                    Ok(r) => panic!("unexpected status {}", r.status()),
                    Err(_) => return, // the relay is gone
                }
            }
        }));
    }
    // Let the burst run until enough events were accepted (however long
    // that takes on a slow machine), then SIGKILL mid-flight.
    let start = Instant::now();
    while accepted.lock().unwrap().len() < MIN_BURST {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "only {} events accepted in 120 s",
            accepted.lock().unwrap().len()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    for s in senders {
        s.await.unwrap();
    }
    let accepted = accepted.lock().unwrap().clone();
    assert!(
        accepted.len() >= MIN_BURST,
        "the burst was too small: {}",
        accepted.len()
    );

    // Restart on the same file: every 2xx'd event is there.
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = serve(&db, port);
    wait_healthy(&base).await;
    let restarted_at = Instant::now();
    let stored = alerts(&base).await;
    let keys: std::collections::HashSet<&str> = stored
        .iter()
        .map(|a| a["dedup_key"].as_str().unwrap())
        .collect();
    let missing: Vec<&String> = accepted
        .iter()
        .filter(|k| !keys.contains(k.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged events lost: {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );

    // Every alert's second step (bob, 2 s after the first page) still fires.
    let deadline = restarted_at + Duration::from_secs(60);
    loop {
        let stored = alerts(&base).await;
        let pending = stored
            .iter()
            .filter(|a| !a["paged"].as_array().unwrap().iter().any(|p| p == "bob"))
            .count();
        if pending == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{pending} alerts never escalated to bob after the restart"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!(
        "burst: {} events acknowledged before SIGKILL, all present after restart",
        accepted.len()
    );

    // A graceful stop (SIGTERM) exits 0.
    let pid = child.id().to_string();
    let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "klaxon serve exited with {exit} on SIGTERM");
}
