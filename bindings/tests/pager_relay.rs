//! The exported `Pager` (as Rust sees it) against a real relay started
//! in-process on loopback: enroll, sync the roster, a critical page found by
//! sync rings once through the sink, an acknowledgement queued while the
//! relay is unreachable is applied exactly once after it comes back.
//! (The same scenario from Kotlin, over the FFI: tests/kotlin/RelayTest.kt.)

use klaxon_ffi::{
    AlertStatus, ApiError, NotificationPlan, NotificationSink, Pager, Priority, RingLoop,
};
use klaxon_relay::Relay;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const ADMIN: &str = "pager-relay-test-token";
const ROUTING_KEY: &str = "0123456789abcdef0123456789abcdef";

#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

impl Recorder {
    fn calls(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
    fn push(&self, call: String) -> Result<(), ApiError> {
        self.0.lock().unwrap().push(call);
        Ok(())
    }
}

impl NotificationSink for Recorder {
    fn present_notification(&self, plan: NotificationPlan) -> Result<(), ApiError> {
        self.push(format!("present:{}", plan.alert))
    }
    fn update_notification(&self, plan: NotificationPlan) -> Result<(), ApiError> {
        self.push(format!("update:{}", plan.alert))
    }
    fn cancel_notification(&self, alert: String) -> Result<(), ApiError> {
        self.push(format!("cancel:{alert}"))
    }
    fn start_ringing(&self, alert: String, _ring: RingLoop) -> Result<(), ApiError> {
        self.push(format!("start:{alert}"))
    }
    fn stop_ringing(&self, alert: String) -> Result<(), ApiError> {
        self.push(format!("stop:{alert}"))
    }
}

fn roster() -> klaxon_domain::Roster {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/roster.toml");
    klaxon_domain::Roster::load(&path).unwrap()
}

async fn start_relay(db: &std::path::Path, addr: &str) -> klaxon_relay::RunningRelay {
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    Relay::new(roster(), db)
        .admin_token(Some(ADMIN.into()))
        .start(listener)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enroll_page_and_acknowledge_offline_through_the_pager() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("relay.db");
    let relay = start_relay(&db, "127.0.0.1:0").await;
    let addr = relay.local_addr();
    let url = format!("http://{addr}");
    let person = roster()
        .schedule("primary")
        .unwrap()
        .who(chrono::Utc::now())
        .first()
        .map(|p| p.to_string())
        .unwrap();
    // Opening a Pager installs the process's rustls crypto provider (ring),
    // which this test's own HTTP client needs too.
    let pager = Pager::new(dir.path().join("phone").display().to_string(), url.clone()).unwrap();
    let http = reqwest::Client::new();
    let invite: serde_json::Value = http
        .post(format!("{url}/v1/admin/invites"))
        .bearer_auth(ADMIN)
        .json(&serde_json::json!({ "person": person }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let code = invite["code"].as_str().unwrap().to_string();

    let sink = Arc::new(Recorder::default());
    pager.set_notification_sink(sink.clone());
    let enrollment = pager
        .enroll(code.clone(), "rust-test".into())
        .await
        .unwrap();
    assert_eq!(enrollment.person, person);
    assert!(matches!(
        pager.enroll(code, "again".into()).await,
        Err(ApiError::Relay { .. })
    ));
    assert!(pager.sync().await.unwrap().roster_updated);
    assert!(pager
        .who_is_on_call("primary".into())
        .unwrap()
        .iter()
        .any(|p| p.id == person));

    let sent = http
        .post(format!("{url}/v2/enqueue"))
        .json(&serde_json::json!({
            "routing_key": ROUTING_KEY, "event_action": "trigger", "dedup_key": "rust-1",
            "payload": {"summary": "db replica lag", "source": "db-2", "severity": "critical"}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 202);
    let mut plans = Vec::new();
    for _ in 0..50 {
        plans = pager.sync().await.unwrap().plans;
        if !plans.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let plan = plans.pop().expect("the page rings at the next sync");
    assert_eq!(plan.priority, Priority::Critical);
    assert!(plan.override_dnd && plan.full_screen);
    assert_eq!(plan.ring.as_ref().map(|r| r.max_duration), Some(None));
    assert!(sink.calls().contains(&format!("start:{}", plan.alert)));
    assert!(pager.sync().await.unwrap().plans.is_empty(), "rings once");

    relay.shutdown().await.unwrap();
    let queued = pager.acknowledge(plan.alert.clone()).unwrap();
    assert_eq!(queued.status, "queued");
    assert!(sink.calls().ends_with(&[
        format!("stop:{}", plan.alert),
        format!("update:{}", plan.alert)
    ]));
    assert!(matches!(pager.sync().await, Err(ApiError::Network { .. })));

    let relay = start_relay(&db, &addr.to_string()).await;
    tokio::time::sleep(Duration::from_millis(1100)).await; // the failed attempt's backoff
    let report = pager.sync().await.unwrap();
    assert_eq!(report.delivered.len(), 1);
    assert_eq!(report.delivered[0].status, "applied");
    assert!(
        pager.sync().await.unwrap().delivered.is_empty(),
        "sent once"
    );
    let alert = pager.alert(plan.alert.clone()).unwrap();
    assert_eq!(alert.status, AlertStatus::Acknowledged);
    assert_eq!(alert.acknowledged_by.as_deref(), Some(person.as_str()));
    assert!(pager
        .health()
        .unwrap()
        .items
        .iter()
        .any(|i| i.check == "outbox"));
    relay.shutdown().await.unwrap();
}
