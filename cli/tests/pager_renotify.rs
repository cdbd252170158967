//! Issue 11, "re-notify until answered", in the terminal pager against a
//! real `klaxon serve` whose policy re-notifies every 10 s (the shortest
//! the roster allows): each re-notification is a `renotified` event; one
//! that reaches a pager still ringing for the alert rings nothing more,
//! one that reaches a pager whose ring stopped (the process was killed)
//! shows and rings the page again; after the acknowledgement none come.

use std::time::Duration;

use klaxon_testkit::process::{is, Klaxon};

const ROSTER: &str = include_str!("../../tests/fixtures/pager-renotify.toml");

const KLAXON: Klaxon = Klaxon(env!("CARGO_BIN_EXE_klaxon"));

#[test]
fn renotifications_are_reported_and_ring_again_only_where_the_ring_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let relay = KLAXON
        .serve(&dir.path().join("relay.db"))
        .roster(&dir.path().join("roster.toml"), ROSTER)
        .start();
    let base = relay.base.clone();
    let code = KLAXON.invite(&base, "alice");
    let state = dir.path().join("pager");
    let short = Duration::from_secs(10);

    let mut pager = KLAXON.pager(&base, &state, Some(&code));
    pager.until("connected", short, |e| is(e, "connected"));
    KLAXON.trigger(&base, "disk", "Disk full on db1", Some("critical"));
    let page = pager.until("page", short, |e| is(e, "page")).pop().unwrap();
    let alert = page["alert"].as_str().unwrap().to_string();
    pager.until("ring_start", short, |e| is(e, "ring_start"));

    // 10 s later, nobody answered: re-notified; the pager still rings, so
    // no second page and no second ring start.
    let first = pager.until("renotified 1", Duration::from_secs(14), |e| {
        is(e, "renotified")
    });
    let renotified = first.last().unwrap();
    assert_eq!(renotified["alert"], alert.as_str(), "{renotified}");
    assert_eq!(renotified["count"], 1, "{renotified}");
    let quiet = pager.during(Duration::from_secs(1));
    assert!(
        !first
            .iter()
            .chain(&quiet)
            .any(|e| is(e, "page") || is(e, "ring_start")),
        "{:#?}",
        pager.seen
    );

    // The OS kills the pager mid-ring; a new one starts on the same state.
    // The page is no news to it (no ring), but the next re-notification is:
    // its ring had stopped, so it shows and rings the page again.
    drop(pager);
    let mut pager = KLAXON.pager(&base, &state, None);
    let second = pager.until("renotified 2", Duration::from_secs(14), |e| {
        is(e, "renotified")
    });
    assert!(
        !second.iter().any(|e| is(e, "ring_start")),
        "{:#?}",
        pager.seen
    );
    assert_eq!(second.last().unwrap()["count"], 2, "{:#?}", pager.seen);
    let again = pager.until("page again", short, |e| is(e, "page"));
    assert_eq!(again.last().unwrap()["alert"], alert.as_str());
    pager.until("ring_start again", short, |e| is(e, "ring_start"));

    // Acknowledged: no more re-notifications.
    pager.command(&format!("ack {alert}"));
    pager.until("applied", short, |e| {
        is(e, "action") && e["status"] == "applied"
    });
    let after = pager.during(Duration::from_secs(11));
    assert!(
        !after.iter().any(|e| is(e, "renotified")),
        "{:#?}",
        pager.seen
    );
}
