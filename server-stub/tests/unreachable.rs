//! On the relay: a step that pages someone with no enrolled device records
//! them as `unreachable` in its timeline entry and counts them in
//! `klaxon_unreachable_total`; when nobody the step pages can be reached it
//! hands on at once, as a step in a schedule gap does — bob's phone rings
//! now, not after alice's two seconds. The relay's clock is frozen, so
//! "now" is exact.

use klaxon_testkit::relay as common;

use chrono::Utc;
use common::*;

#[tokio::test]
async fn a_step_nobody_can_be_reached_by_hands_on_at_once_and_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let now = Utc::now();
    let (relay, base) = start_built(dir.path(), frozen_at(now)).await;
    // alice (step 1, on call) has no device; bob (step 2) has one.
    let bob = enroll(&base, "bob").await;
    let mut stream = open_stream(&base, &bob).await;

    send_trigger(&base, "db", "db down").await;
    let page = next_page(&mut stream, 5)
        .await
        .expect("bob was paged at once");
    assert_eq!(page["step_seq"], 2);
    let id = alert_id_by_key(&base, "db").await;
    let detail = alert_detail(&base, &id).await;
    let (alice, bob_only) = (vec!["alice".to_string()], vec!["bob".to_string()]);
    assert_eq!(
        notified_entries(&detail),
        [(now, alice.clone(), alice), (now, bob_only, vec![])],
        "{detail}"
    );
    let text = metrics(&base).await;
    assert!(text.contains("klaxon_unreachable_total 1\n"), "{text}");
    // Only bob was rung.
    assert!(text.contains("klaxon_pages_sent_total 1\n"), "{text}");
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn with_nobody_reachable_anywhere_the_step_waits_its_delay() {
    let dir = tempfile::tempdir().unwrap();
    let now = Utc::now();
    let (relay, base) = start_built(dir.path(), frozen_at(now)).await;
    send_trigger(&base, "db", "db down").await;
    let id = alert_id_by_key(&base, "db").await;
    let detail = alert_detail(&base, &id).await;
    // Handing on would page bob, who cannot be reached either: alice's
    // step keeps its two seconds (she may enroll a phone meanwhile).
    let alice = vec!["alice".to_string()];
    assert_eq!(
        notified_entries(&detail),
        [(now, alice.clone(), alice)],
        "{detail}"
    );
    assert_eq!(pending_deadlines(&base).await, 1);
    relay.shutdown().await.unwrap();
}
