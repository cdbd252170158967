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
use klaxon_testkit::process::{free_port, serve_command, wait_listening, Killed};
use klaxon_testkit::relay::{alert_by_key, http, invite, send_trigger, ADMIN};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::time::Instant;

/// `klaxon serve` on the relay fixture (alice always on call in primary).
fn serve(dir: &Path) -> (Killed, String) {
    let port = free_port();
    let child = serve_command(
        env!("CARGO_BIN_EXE_klaxon"),
        &dir.join("relay.db"),
        port,
        ADMIN,
    )
    .spawn()
    .unwrap();
    let child = Killed(child);
    wait_listening(port);
    (child, format!("http://127.0.0.1:{port}"))
}

fn klaxon(args: &[&str], admin: bool) -> Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_klaxon"));
    cmd.args(args).env_remove("KLAXON_ADMIN_TOKEN");
    if admin {
        cmd.env("KLAXON_ADMIN_TOKEN", ADMIN);
    }
    cmd.output().unwrap()
}

/// Runs `klaxon args` (admin), expects exit 0, returns stdout.
fn ok(args: &[&str]) -> String {
    let out = klaxon(args, true);
    assert!(
        out.status.success(),
        "klaxon {args:?}: {:?}\n{}",
        out.status,
        text(&out.stderr)
    );
    text(&out.stdout)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
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
    let (_relay, base) = serve(dir.path());
    send_trigger(&base, "before", "disk").await;
    assert_eq!(paged(&base, "before").await, json!("alice"));

    let now = Utc::now().trunc_subsecs(0);
    let (from, to) = (now.to_rfc3339(), (now + Duration::hours(2)).to_rfc3339());

    // The operator puts dave on call in primary for two hours.
    let out = ok(&[
        "override",
        "add",
        "--relay",
        &base,
        "--schedule",
        "primary",
        "--person",
        "dave",
        "--from",
        &from,
        "--to",
        &to,
    ]);
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
    assert_eq!(unknown.status.code(), Some(2));
    assert!(text(&unknown.stderr).contains("\"nope\" is not a schedule"));

    // Bob's terminal pager covers the first hour, signed with its keys.
    let state = dir.path().join("bob");
    let code = invite(&base, "bob").await;
    let device = Device::open(&state, &base, Arc::new(SystemClock)).unwrap();
    device.enroll(&code, "bob's laptop").await.unwrap();
    drop(device);
    let state_arg = state.to_str().unwrap();
    let hour = (now + Duration::hours(1)).to_rfc3339();
    let out = klaxon(
        &[
            "override",
            "add",
            "--relay",
            &base,
            "--schedule",
            "primary",
            "--from",
            &from,
            "--to",
            &hour,
            "--state-dir",
            state_arg,
        ],
        false,
    );
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
    let out = klaxon(
        &[
            "override",
            "add",
            "--relay",
            &base,
            "--schedule",
            "primary",
            "--person",
            "carol",
            "--from",
            &from,
            "--to",
            &hour,
            "--state-dir",
            state_arg,
        ],
        false,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("its own person (bob)"),
        "{}",
        text(&out.stderr)
    );
    let out = klaxon(
        &[
            "override",
            "add",
            "--relay",
            &base,
            "--schedule",
            "web",
            "--from",
            &from,
            "--to",
            &hour,
            "--state-dir",
            state_arg,
        ],
        false,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("not a schedule of your teams"),
        "{}",
        text(&out.stderr)
    );
    // One in the past is refused, naming the field.
    let past = (now - Duration::hours(3)).to_rfc3339();
    let an_hour_ago = (now - Duration::hours(1)).to_rfc3339();
    let out = klaxon(
        &[
            "override",
            "add",
            "--relay",
            &base,
            "--schedule",
            "primary",
            "--person",
            "dave",
            "--from",
            &past,
            "--to",
            &an_hour_ago,
        ],
        true,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("to: "), "{}", text(&out.stderr));

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
