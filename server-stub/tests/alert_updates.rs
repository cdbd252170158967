//! Deduplicated triggers on a real relay: an identical re-send (what
//! Alertmanager does every `repeat_interval`) records nothing and pages
//! nobody; a louder one pages the current step again at the new priority
//! through the ordinary paging path.

use klaxon_testkit::relay as common;

use chrono::Utc;
use common::*;
use klaxon_domain::ManualClock;
use serde_json::json;
use std::sync::Arc;

#[tokio::test]
async fn a_resend_changes_nothing_and_a_louder_one_pages_the_step_again() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let (relay, base) = start(dir.path(), Some(clock.clone())).await;
    let alice = enroll(&base, "alice").await;
    let mut rx = open_stream(&base, &alice).await;
    let high = trigger(API_KEY, "grow", "disk filling", "error");
    post(&base, "/v2/enqueue", &high).await;
    let page = next_page(&mut rx, 2).await.expect("alice is paged");
    assert_eq!(
        (page["priority"].clone(), page["step_seq"].clone()),
        (json!("high"), json!(1))
    );
    let id = page["alert"].as_str().unwrap().to_string();
    let entries = alert_detail(&base, &id).await["timeline"]["entries"].clone();

    // Re-sent as is (Alertmanager's repeat_interval): nothing recorded, no page.
    for _ in 0..3 {
        assert_eq!(post(&base, "/v2/enqueue", &high).await.0, 202);
    }
    assert_eq!(
        alert_detail(&base, &id).await["timeline"]["entries"],
        entries
    );
    assert!(next_page(&mut rx, 1).await.is_none());

    // Louder: the current step (alice) rings again, critical this time.
    let critical = trigger(API_KEY, "grow", "disk filling", "critical");
    assert_eq!(post(&base, "/v2/enqueue", &critical).await.0, 202);
    let page = next_page(&mut rx, 2).await.expect("alice is paged again");
    assert_eq!(page["alert"], id.as_str());
    assert_eq!(
        (page["priority"].clone(), page["step_seq"].clone()),
        (json!("critical"), json!(2))
    );
    assert_eq!(
        alert_by_key(&base, "grow").await.unwrap()["paged"],
        json!(["alice", "alice"])
    );
    relay.shutdown().await.unwrap();
}
