//! `klaxon alert show` lists the service's change events in the hour before
//! the alert opened (issue 13, item 7), against a real `klaxon serve`: a
//! deploy placed 6 minutes back by its own `payload.timestamp` reads
//! "deploy v2.3 by ci, 6 min before", with its link; `--json` carries it.

use chrono::{Duration as Span, Utc};
use serde_json::{json, Value};
use std::path::Path;

use klaxon_testkit::process::{Klaxon, Served};
use klaxon_testkit::relay::{post, API_KEY, SHOP_KEY};

const KLAXON: Klaxon = Klaxon(env!("CARGO_BIN_EXE_klaxon"));

/// `klaxon serve` on the relay fixture with its database in `dir`,
/// listening.
fn serve(dir: &Path) -> Served {
    KLAXON.serve(&dir.join("cli.db")).start()
}

/// Runs `klaxon <args>` with the admin token and asserts exit 0; its stdout.
fn ok(args: &[&str]) -> String {
    KLAXON.ok(args)
}

/// Pages the infra service (`klaxon send`, asserting exit 0) and returns
/// the id of the first alert `klaxon alerts --json` lists then.
fn page(base: &str, dedup: &str, summary: &str) -> String {
    KLAXON.trigger(base, dedup, summary, None);
    KLAXON.alerts(base)[0]["id"].as_str().unwrap().to_string()
}

/// POSTs a change event; asserts the 202.
fn change(base: &str, body: Value) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (status, answer) = rt.block_on(post(base, "/v2/change/enqueue", &body));
    assert_eq!(status, 202, "{answer}");
}

#[test]
fn alert_show_lists_a_deploy_made_six_minutes_before() {
    let dir = tempfile::tempdir().unwrap();
    let relay = serve(dir.path());
    let base = relay.base.clone();
    // Placed in time by its own timestamp: 6 minutes (and a few seconds,
    // so the alert opening a moment later still reads "6 min") back.
    let at = Utc::now() - Span::minutes(6) - Span::seconds(5);
    change(
        &base,
        json!({
            "routing_key": API_KEY,
            "payload": {
                "summary": "deploy v2.3",
                "source": "ci",
                "timestamp": at.to_rfc3339(),
                "custom_details": {"build": 412},
            },
            "links": [{"href": "https://ci.example.com/412", "text": "build 412"}],
        }),
    );
    // Another service's deploy, and one of this service's two hours back.
    change(
        &base,
        json!({"routing_key": SHOP_KEY, "payload": {"summary": "shop deploy", "source": "ci"}}),
    );
    change(
        &base,
        json!({
            "routing_key": API_KEY,
            "payload": {
                "summary": "deploy v2.2",
                "timestamp": (Utc::now() - Span::hours(2)).to_rfc3339(),
            },
        }),
    );
    let alert = page(&base, "errors", "error rate over 5%");

    let shown = ok(&["alert", "show", "--relay", &base, &alert]);
    let section = format!(
        "\nchanges in the hour before it opened:\n  deploy v2.3 by ci, 6 min before ({})\n      build 412: https://ci.example.com/412\n\ntimeline:\n",
        // The relay keeps milliseconds.
        chrono::DateTime::from_timestamp_millis(at.timestamp_millis())
            .unwrap()
            .to_rfc3339()
    );
    assert!(shown.contains(&section), "{shown}");
    assert!(!shown.contains("shop deploy"), "{shown}");
    assert!(!shown.contains("deploy v2.2"), "{shown}");

    let json: Value =
        serde_json::from_str(&ok(&["alert", "show", "--relay", &base, &alert, "--json"])).unwrap();
    let changes = json["changes"].as_array().expect("changes in --json");
    assert_eq!(changes.len(), 1, "{json}");
    assert_eq!(changes[0]["summary"], "deploy v2.3");
    assert_eq!(changes[0]["source"], "ci");
    assert_eq!(changes[0]["custom_details"]["build"], 412);
    assert_eq!(json["id"], alert.as_str());
}

#[test]
fn alert_show_says_none_without_changes() {
    let dir = tempfile::tempdir().unwrap();
    let relay = serve(dir.path());
    let base = relay.base.clone();
    let alert = page(&base, "disk", "disk full");
    let shown = ok(&["alert", "show", "--relay", &base, &alert]);
    assert!(
        shown.contains("\nchanges in the hour before it opened:\n  none\n\ntimeline:\n"),
        "{shown}"
    );
}
