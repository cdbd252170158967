//! Issue 13 against a real `klaxon serve`: an override added with
//! `klaxon override add` (admin token), and one taken with `--state-dir`
//! (signed as the terminal pager's person), page the new person on the
//! next trigger without a restart; `override list` says what each changes;
//! `roster who|shifts --relay` answer from the live roster; `klaxon audit`
//! lists the changes; `klaxon ical-link` prints a calendar URL serving the
//! live shifts.

use chrono::{Duration, SubsecRound as _, Utc};
use klaxon_device::device::Device;
use klaxon_domain::SystemClock;
use klaxon_testkit::process::{text, Klaxon};
use klaxon_testkit::relay::{alert_by_key, http, invite, send_trigger};
use serde_json::{json, Value};
use std::process::Output;
use std::sync::Arc;
use std::time::Instant;

const KLAXON: Klaxon = Klaxon(env!("CARGO_BIN_EXE_klaxon"));

/// `klaxon <args>`, with the admin token when `admin`.
fn klaxon(args: &[&str], admin: bool) -> Output {
    KLAXON.run(args, admin)
}

/// Runs `klaxon args` (admin), expects exit 0, returns stdout.
fn ok(args: &[&str]) -> String {
    KLAXON.ok(args)
}

/// `klaxon override add --relay <base> --schedule <schedule> [--person
/// <person>] --from <from> --to <to>`: with the admin token, or, given a
/// `state` directory, signed as that pager's person instead.
fn add_override(
    base: &str,
    schedule: &str,
    person: Option<&str>,
    (from, to): (&str, &str),
    state: Option<&str>,
) -> Output {
    let mut args = vec!["override", "add", "--relay", base, "--schedule", schedule];
    if let Some(person) = person {
        args.extend(["--person", person]);
    }
    args.extend(["--from", from, "--to", to]);
    if let Some(state) = state {
        args.extend(["--state-dir", state]);
    }
    klaxon(&args, state.is_none())
}

/// Asserts `out` is a refusal (exit 2) whose stderr contains `needle`.
fn refused(out: &Output, needle: &str) {
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains(needle), "{}", text(&out.stderr));
}

/// Whom the first step of the alert with `dedup` paged (it fires at once).
async fn paged(base: &str, dedup: &str) -> Value {
    let deadline = Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let first = alert_by_key(base, dedup)
            .await
            .map(|a| a["paged"][0].clone())
            .unwrap_or(Value::Null);
        if !first.is_null() || Instant::now() > deadline {
            return first;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overrides_from_the_cli_page_the_new_person_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let relay = KLAXON.serve(&dir.path().join("relay.db")).start();
    let base = relay.base.clone();
    send_trigger(&base, "before", "disk").await;
    assert_eq!(paged(&base, "before").await, json!("alice"));

    let now = Utc::now().trunc_subsecs(0);
    let (from, to) = (now.to_rfc3339(), (now + Duration::hours(2)).to_rfc3339());

    // The operator puts dave on call in primary for two hours.
    let out = add_override(&base, "primary", Some("dave"), (&from, &to), None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = text(&out.stdout);
    assert!(out.starts_with("added override "), "{out}");
    assert!(out.contains("dave instead of alice"), "{out}");
    send_trigger(&base, "cli-override", "disk").await;
    assert_eq!(paged(&base, "cli-override").await, json!("dave"));

    // `roster who|shifts --relay` answer from the live roster, in the
    // shapes the file-based commands print.
    let who = ok(&["roster", "who", "--relay", &base, "--schedule", "primary"]);
    assert!(who.starts_with("primary (UTC) at "), "{who}");
    assert!(who.contains("\n  dave (Dave Ito)\n"), "{who}");
    assert!(who.contains("next handoff: "), "{who}");
    assert!(who.contains(", to alice (Alice Chen)"), "{who}");
    let who_json: Value = serde_json::from_str(&ok(&[
        "roster",
        "who",
        "--relay",
        &base,
        "--schedule",
        "primary",
        "--json",
    ]))
    .unwrap();
    assert_eq!(who_json["people"], json!(["dave"]));
    let window_to = (now + Duration::hours(3)).to_rfc3339();
    let shifts = ok(&[
        "roster",
        "shifts",
        "--relay",
        &base,
        "--schedule",
        "primary",
        "--from",
        &from,
        "--to",
        &window_to,
    ]);
    assert!(shifts.contains(": 2 shifts\n"), "{shifts}");
    assert!(shifts.contains("2h  dave (Dave Ito)"), "{shifts}");
    assert!(shifts.contains("1h  alice (Alice Chen)"), "{shifts}");
    let unknown = klaxon(
        &["roster", "who", "--relay", &base, "--schedule", "nope"],
        true,
    );
    refused(&unknown, "\"nope\" is not a schedule");

    // Bob's terminal pager covers the first hour, signed with its keys.
    let state = dir.path().join("bob");
    let code = invite(&base, "bob").await;
    let device = Device::open(&state, &base, Arc::new(SystemClock)).unwrap();
    device.enroll(&code, "bob's laptop").await.unwrap();
    drop(device);
    let state_arg = state.to_str().unwrap();
    let hour = (now + Duration::hours(1)).to_rfc3339();
    let out = add_override(&base, "primary", None, (&from, &hour), Some(state_arg));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let taken = text(&out.stdout);
    assert!(taken.contains(": bob on call in primary"), "{taken}");
    let bob_id: String = taken["added override ".len()..]
        .split(':')
        .next()
        .unwrap()
        .to_string();
    send_trigger(&base, "device-override", "disk").await;
    assert_eq!(paged(&base, "device-override").await, json!("bob"));

    // A device covers only for its own person, in its own teams' schedules.
    let out = add_override(
        &base,
        "primary",
        Some("carol"),
        (&from, &hour),
        Some(state_arg),
    );
    refused(&out, "its own person (bob)");
    let out = add_override(&base, "web", None, (&from, &hour), Some(state_arg));
    refused(&out, "not a schedule of your teams");
    // One in the past is refused, naming the field.
    let past = (now - Duration::hours(3)).to_rfc3339();
    let an_hour_ago = (now - Duration::hours(1)).to_rfc3339();
    let out = add_override(&base, "primary", Some("dave"), (&past, &an_hour_ago), None);
    refused(&out, "to: ");

    // The listing: dave's override loses its first hour to bob's.
    let list = ok(&[
        "override",
        "list",
        "--relay",
        &base,
        "--schedule",
        "primary",
    ]);
    assert!(list.contains("bob instead of alice"), "{list}");
    assert!(
        list.contains(&format!("newer override {bob_id} wins")),
        "{list}"
    );
    let json_list: Value =
        serde_json::from_str(&ok(&["override", "list", "--relay", &base, "--json"])).unwrap();
    assert_eq!(json_list.as_array().unwrap().len(), 2, "{json_list}");

    // Removing bob's hands the hour back to dave.
    let out = ok(&["override", "remove", "--relay", &base, &bob_id]);
    assert!(
        out.starts_with(&format!("removed override {bob_id}: bob")),
        "{out}"
    );
    let again = klaxon(&["override", "remove", "--relay", &base, &bob_id], true);
    assert_eq!(again.status.code(), Some(2));
    send_trigger(&base, "after-remove", "disk").await;
    assert_eq!(paged(&base, "after-remove").await, json!("dave"));

    // The audit log names who did what.
    let audit = ok(&["audit", "--relay", &base]);
    let actions: Vec<(&str, &str)> = audit
        .lines()
        .map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            (cols[3], cols[4])
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("admin", "override.add"),
            ("person:bob", "override.add"),
            ("admin", "override.remove"),
        ],
        "{audit}"
    );
    let audit_json: Value =
        serde_json::from_str(&ok(&["audit", "--relay", &base, "--json"])).unwrap();
    assert_eq!(audit_json[1]["who"], "person:bob");

    // A calendar link serves dave's live shift; a bad token is a JSON 404.
    let url = ok(&["ical-link", "--relay", &base, "--person", "dave"]);
    let url = url.trim();
    assert!(url.starts_with(&format!("{base}/v1/ical/")), "{url}");
    let r = http().get(url).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/calendar"));
    let calendar = r.text().await.unwrap();
    assert!(calendar.contains("BEGIN:VCALENDAR"), "{calendar}");
    assert!(calendar.contains("On call: Dave Ito"), "{calendar}");
    assert!(calendar.contains("BEGIN:VEVENT"), "{calendar}");
    let r = http()
        .get(format!("{base}/v1/ical/not-a-token"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["errors"][0].as_str().unwrap().starts_with("token:"),
        "{body}"
    );
    let out = klaxon(&["ical-link", "--relay", &base, "--person", "zed"], true);
    assert_eq!(out.status.code(), Some(2));
    let audit = ok(&["audit", "--relay", &base]);
    assert!(
        audit.lines().last().unwrap().contains("ical.link"),
        "{audit}"
    );
}
