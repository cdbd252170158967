//! On the relay: a step whose schedule is in a gap (nobody on call) hands
//! on at once to the next step that pages somebody — bob's phone rings now,
//! not after the empty step's five minutes — and the gap stays visible in
//! the alert's timeline. The relay's clock is frozen at the real now
//! (devices sign with the real time), and the office is open only on the
//! weekday two days away, so it is empty now whatever day the test runs.

use klaxon_testkit::relay as common;

use chrono::{Datelike, Duration, Utc};
use common::*;
use klaxon_domain::Roster;

/// An office open one weekday, then bob: `tests/fixtures/office-one-day.toml`.
const ROSTER: &str = klaxon_testkit::fixtures::OFFICE_ONE_DAY;

#[tokio::test]
async fn a_page_in_a_schedule_gap_goes_straight_to_the_next_step() {
    let dir = tempfile::tempdir().unwrap();
    let now = Utc::now();
    let day = (now + Duration::days(2))
        .weekday()
        .to_string()
        .to_lowercase();
    let roster =
        Roster::parse(&klaxon_testkit::fixtures::fill(ROSTER, &[("{day}", &day)])).unwrap();
    let (relay, base) = start_roster(dir.path(), roster, frozen_at(now)).await;
    let bob = enroll(&base, "bob").await;
    let mut stream = open_stream(&base, &bob).await;

    let (status, _) = enqueue_trigger(&base, API_KEY, "gap", "db down at night", "critical").await;
    assert_eq!(status, 202);
    // Bob's phone gets the page with the clock still at the trigger instant.
    let page = next_page(&mut stream, 5).await.expect("bob was paged");
    assert_eq!(page["summary"], "db down at night");

    let alert = alert_by_key(&base, "gap").await.unwrap();
    let detail = alert_detail(&base, alert["id"].as_str().unwrap()).await;
    let notified = notifications(&detail);
    assert_eq!(
        notified,
        [(now, vec![]), (now, vec!["bob".to_string()])],
        "{detail}"
    );
    assert_eq!(alert["paged"], serde_json::json!(["bob"]), "{alert}");
    relay.shutdown().await.unwrap();
}
