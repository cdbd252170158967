//! `klaxon pager --json-events` and `klaxon ack` against a real `klaxon
//! serve` process: a critical page rings until acknowledged from stdin; an
//! acknowledgement queued with `klaxon ack` while the relay is down (the
//! pager holding the same state directory) applies exactly once when the
//! relay is back; the interactive screen driven through tmux.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use klaxon_testkit::process::{
    free_port, is, lines, text, JsonPager, Killed, Klaxon, Served, WAIT,
};
use klaxon_testkit::relay::{alert_detail, count, API_KEY as KEY};

const KLAXON: Klaxon = Klaxon(env!("CARGO_BIN_EXE_klaxon"));

/// `klaxon serve` on the relay tests' roster (alice on call, bob after 2 s).
fn serve(db: &Path, port: u16) -> Served {
    KLAXON.serve(db).port(port).start()
}

/// `klaxon <args>` with the admin token.
fn klaxon(args: &[&str]) -> Output {
    KLAXON.admin(args)
}

/// `klaxon invite` for `person`: the enrollment code.
fn invite(base: &str, person: &str) -> String {
    KLAXON.invite(base, person)
}

/// A critical page on the infra key through `klaxon send`.
fn send_critical(base: &str, dedup: &str, summary: &str) {
    KLAXON.trigger(base, dedup, summary, Some("critical"));
}

/// `klaxon alerts --json`, parsed.
fn alerts(base: &str) -> Vec<Value> {
    KLAXON.alerts(base)
}

/// The relay's full alert (with its timeline) from the admin API.
fn admin_alert(base: &str, id: &str) -> Value {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(alert_detail(base, id))
}

/// A `klaxon pager --json-events` on `state`, enrolling with `code`.
fn start_pager(base: &str, state: &Path, code: Option<&str>) -> JsonPager {
    KLAXON.pager(base, state, code)
}

/// `person`'s pager on `state`, enrolled with a fresh invite: once it is
/// connected.
fn connected_pager(base: &str, state: &Path, person: &str) -> JsonPager {
    let mut pager = start_pager(base, state, Some(&invite(base, person)));
    pager.wait_for(&format!("{person} connected"), |e| is(e, "connected"));
    pager
}

/// The alert ids of every action ever queued in a state directory's outbox.
fn queued_alerts(state: &Path) -> Vec<String> {
    let store = klaxon_device::Store::open(state.join("klaxon.db")).unwrap();
    store
        .queued_actions()
        .unwrap()
        .into_iter()
        .map(|a| a.alert)
        .collect()
}

/// The idempotency keys of every action ever queued in a state directory.
fn queued_keys(state: &Path) -> Vec<String> {
    let store = klaxon_device::Store::open(state.join("klaxon.db")).unwrap();
    store
        .queued_actions()
        .unwrap()
        .into_iter()
        .map(|a| a.key.to_string())
        .collect()
}

#[test]
fn a_critical_page_rings_until_acknowledged_and_an_offline_ack_applies_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("relay.db");
    let state = dir.path().join("alice-pager");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let relay = serve(&db, port);

    let code = invite(&base, "alice");
    let mut pager = start_pager(&base, &state, Some(&code));
    let enrolled = pager.wait_for("enrolled", |e| is(e, "enrolled"));
    assert_eq!(enrolled["person"], "alice");
    pager.wait_for("connected", |e| is(e, "connected"));

    // A critical page: shown with its plan, and it rings.
    send_critical(&base, "pager-1", "Disk full on db1");
    let page = pager.wait_for("page", |e| is(e, "page"));
    assert_eq!(page["priority"], "critical");
    assert_eq!(page["summary"], "Disk full on db1");
    assert_eq!(page["service"], "api");
    assert_eq!(page["runbook"], "https://runbooks.example.com/api");
    assert_eq!(page["sound"], "alarm");
    let id = page["alert"].as_str().unwrap().to_string();
    let ring = pager.wait_for("ring_start", |e| is(e, "ring_start"));
    assert_eq!(ring["alert"], id.as_str());
    assert_eq!(ring["interval_ms"], 3000);

    // `ack ID` on stdin: queued, applied, and the ring stops.
    pager.command(&format!("ack {id}"));
    let queued = pager.wait_for("action queued", |e| is(e, "action"));
    assert_eq!(queued["status"], "queued");
    assert_eq!(queued["action"], "acknowledge");
    let sent = pager.wait_for("action sent", |e| {
        is(e, "action") && e["status"] != "queued"
    });
    assert_eq!(sent["status"], "sent", "{sent}");
    assert_eq!(sent["key"], queued["key"]);
    let applied = pager.wait_for("action applied", |e| {
        is(e, "action") && e["status"] != "sent"
    });
    assert_eq!(applied["status"], "applied", "{applied}");
    assert_eq!(applied["key"], queued["key"]);
    assert_eq!(applied["alert"], id.as_str());
    pager.seen_or_wait_for("ring_stop", |e| {
        is(e, "ring_stop") && e["alert"] == id.as_str()
    });
    let a = alerts(&base);
    let first = a.iter().find(|a| a["id"] == id.as_str()).unwrap();
    assert_eq!(first["status"], "acknowledged");
    assert_eq!(first["acknowledged_by"], "alice");

    // An unknown command is an error event, not a crash.
    pager.command("page me");
    pager.wait_for("error", |e| is(e, "error"));

    // A second page; then the relay goes away.
    send_critical(&base, "pager-2", "API latency 9 s");
    let page = pager.wait_for("second page", |e| is(e, "page"));
    let id2 = page["alert"].as_str().unwrap().to_string();
    pager.wait_for("second ring", |e| {
        is(e, "ring_start") && e["alert"] == id2.as_str()
    });
    drop(relay);
    pager.wait_for("disconnected", |e| is(e, "disconnected"));

    // `klaxon ack` on the pager's own state directory, offline: queued, exit 0.
    let out = klaxon(&["ack", &id2, "--state-dir", state.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(
        said.contains("queued; will be sent when the relay is reachable"),
        "{said}"
    );
    // The pager sees the queued action in the shared outbox and goes quiet.
    pager.wait_for("ring_stop after the offline ack", |e| {
        is(e, "ring_stop") && e["alert"] == id2.as_str()
    });

    // The relay returns on the same database: the pager delivers it, once.
    let _relay = serve(&db, port);
    pager.wait_for("reconnected", |e| is(e, "connected"));
    let applied = pager.wait_for("offline ack applied", |e| {
        is(e, "action")
            && e["alert"] == id2.as_str()
            && !["queued", "sent"].contains(&e["status"].as_str().unwrap_or(""))
    });
    assert_eq!(applied["status"], "applied", "{applied}");
    assert_eq!(applied["action"], "acknowledge");
    let a = alerts(&base);
    let second = a.iter().find(|a| a["id"] == id2.as_str()).unwrap();
    assert_eq!(second["status"], "acknowledged");
    assert_eq!(second["acknowledged_by"], "alice");
    // Sync again on purpose (another ack command delivers nothing new).
    let out = klaxon(&["ack", &id2, "--state-dir", state.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("applied"),
        "{}",
        text(&out.stdout)
    );
    let full = admin_alert(&base, &id2);
    assert_eq!(
        count(&full, "acknowledged"),
        1,
        "one acknowledgement: {full}"
    );

    // An alert neither this device nor the relay knows: exit 2, nothing queued.
    let out = klaxon(&[
        "resolve",
        "no-such-alert",
        "--state-dir",
        state.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("not an alert this device knows"),
        "{}",
        text(&out.stderr)
    );
    assert!(!queued_alerts(&state).contains(&"no-such-alert".to_string()));

    // Resolved elsewhere (the monitoring system): the ring stops here too.
    send_critical(&base, "pager-3", "Certificate expires in 1 h");
    let page = pager.wait_for("third page", |e| is(e, "page"));
    let id3 = page["alert"].as_str().unwrap().to_string();
    pager.wait_for("third ring", |e| {
        is(e, "ring_start") && e["alert"] == id3.as_str()
    });
    let out = klaxon(&[
        "send",
        "--relay",
        &base,
        "--routing-key",
        KEY,
        "--action",
        "resolve",
        "--dedup-key",
        "pager-3",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    pager.wait_for("resolved", |e| {
        is(e, "resolved") && e["alert"] == id3.as_str()
    });
    pager.seen_or_wait_for("ring_stop after the resolve", |e| {
        is(e, "ring_stop") && e["alert"] == id3.as_str()
    });

    // `quit` ends the pager cleanly.
    pager.command("quit");
    assert_eq!(pager.exit_code(), Some(0));
}

#[test]
fn page_events_say_who_was_paged_and_what_comes_next() {
    let dir = tempfile::tempdir().unwrap();
    let relay = KLAXON.serve(&dir.path().join("relay.db")).start();
    let base = relay.base.clone();
    let mut alice = connected_pager(&base, &dir.path().join("alice"), "alice");
    let mut bob = connected_pager(&base, &dir.path().join("bob"), "bob");

    // Step 1 pages alice; step 2 (bob) follows 2 s later.
    send_critical(&base, "details-1", "Disk full on db1");
    let page = alice.wait_for("alice's page", |e| is(e, "page"));
    assert_eq!(page["paged"], serde_json::json!(["alice"]), "{page}");
    // The next step's countdown, rounded up; never "0:00" (a machine too
    // slow to show it within 2 s says the step is due instead).
    let next = page["next_escalation"].as_str().unwrap_or_default();
    assert!(
        ["in 0:02", "in 0:01"]
            .map(|left| format!("escalates to Bob Okafor {left}"))
            .contains(&next.to_string())
            || next == "escalating to Bob Okafor now",
        "{page}"
    );
    let id = page["alert"].as_str().unwrap().to_string();

    // Nobody answers: bob's page is the last step.
    let page = bob.wait_for("bob's page", |e| is(e, "page"));
    assert_eq!(page["alert"], id.as_str());
    assert_eq!(page["paged"], serde_json::json!(["alice", "bob"]), "{page}");
    assert_eq!(page["next_escalation"], Value::Null, "{page}");
}

#[test]
fn a_running_pager_and_parallel_ack_commands_share_one_state_directory() {
    let dir = tempfile::tempdir().unwrap();
    let relay = KLAXON.serve(&dir.path().join("relay.db")).start();
    let base = relay.base.clone();
    let state = dir.path().join("shared-pager");
    let mut pager = connected_pager(&base, &state, "alice");

    let mut ids = Vec::new();
    for n in 0..4 {
        send_critical(&base, &format!("shared-{n}"), &format!("disk {n} full"));
        let page = pager.wait_for("page", |e| is(e, "page"));
        ids.push(page["alert"].as_str().unwrap().to_string());
    }
    // Four `klaxon ack` processes at once, all writing the outbox the
    // running pager also writes (pages, sync cursor): WAL and the busy
    // timeout queue the writers; none fails.
    let state_arg = state.to_str().unwrap().to_string();
    let runs: Vec<_> = ids
        .iter()
        .map(|id| {
            let (id, state_arg) = (id.clone(), state_arg.clone());
            std::thread::spawn(move || klaxon(&["ack", &id, "--state-dir", &state_arg]))
        })
        .collect();
    for run in runs {
        let out = run.join().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(
            text(&out.stdout).contains("applied"),
            "{}",
            text(&out.stdout)
        );
    }
    // The pager hears of each acknowledgement and stops every ring.
    for id in &ids {
        pager.seen_or_wait_for("acknowledged", |e| {
            is(e, "acknowledged") && e["alert"] == id.as_str()
        });
    }
    let a = alerts(&base);
    for id in &ids {
        let alert = a.iter().find(|a| a["id"] == id.as_str()).unwrap();
        assert_eq!(alert["acknowledged_by"], "alice");
        assert_eq!(count(&admin_alert(&base, id), "acknowledged"), 1);
    }
    for id in &ids {
        pager.seen_or_wait_for("ring_stop", |e| {
            is(e, "ring_stop") && e["alert"] == id.as_str()
        });
    }
    let stops = pager.seen.iter().filter(|e| is(e, "ring_stop")).count();
    assert_eq!(
        stops,
        ids.len(),
        "one ring_stop per alert: {:#?}",
        pager.seen
    );
}

#[test]
fn a_pager_without_enrollment_or_state_is_bad_usage() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("empty");
    let out = klaxon(&[
        "pager",
        "--relay",
        "http://127.0.0.1:9",
        "--json-events",
        "--state-dir",
        state.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--enroll"),
        "{}",
        text(&out.stderr)
    );
    let out = klaxon(&[
        "ack",
        "a1",
        "--state-dir",
        dir.path().join("nothing").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("enroll"),
        "{}",
        text(&out.stderr)
    );
}

/// A private tmux server (its own socket), killed with the test.
struct Tmux(String);

impl Tmux {
    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.0])
            .args(args)
            .output()
            .expect("tmux is installed by scripts/setup.sh")
    }

    fn screen(&self) -> String {
        text(&self.run(&["capture-pane", "-p", "-t", "pager"]).stdout)
    }

    fn wait_for_screen(&self, what: &str, found: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let screen = self.screen();
            if found(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "the screen never showed {what}:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

#[test]
fn the_interactive_screen_shows_the_page_and_single_keys_act() {
    let dir = tempfile::tempdir().unwrap();
    let relay = KLAXON.serve(&dir.path().join("relay.db")).start();
    let base = relay.base.clone();
    let code = invite(&base, "alice");
    let state = dir.path().join("tty-pager");

    // The pager on a real terminal (a tmux pane); after it exits the shell
    // prints its status on the restored main screen.
    let tmux = Tmux(format!("klaxon-pager-test-{}", std::process::id()));
    let pager = format!(
        "'{}' pager --relay {base} --state-dir '{}' --enroll {code}; echo \"pager exit=$?\"; sleep 60",
        env!("CARGO_BIN_EXE_klaxon"),
        state.display()
    );
    let out = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "pager",
        "-x",
        "120",
        "-y",
        "40",
        "sh",
        "-c",
        &pager,
    ]);
    assert!(out.status.success(), "tmux: {}", text(&out.stderr));
    tmux.wait_for_screen("the connected header", |s| {
        s.contains("KLAXON pager") && s.contains("· connected")
    });
    tmux.wait_for_screen("who is on call", |s| {
        s.contains("On call now: primary: Alice Chen")
    });

    send_critical(&base, "tty-1", "Disk full on db1");
    let screen = tmux.wait_for_screen("the page with its countdown", |s| {
        s.contains("CRITICAL") && s.contains("escalates to Bob Okafor in")
    });
    assert!(screen.contains("Public API — Disk full on db1"), "{screen}");
    assert!(
        screen.contains("runbook: https://runbooks.example.com/api"),
        "{screen}"
    );
    assert!(screen.contains("RINGING"), "{screen}");
    assert!(screen.contains("[a] acknowledge"), "{screen}");

    // `a` acknowledges the selected alert.
    tmux.run(&["send-keys", "-t", "pager", "a"]);
    let deadline = Instant::now() + WAIT;
    loop {
        let a = alerts(&base);
        if a.iter().any(|a| a["acknowledged_by"] == "alice") {
            break;
        }
        assert!(Instant::now() < deadline, "never acknowledged: {a:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let screen = tmux.wait_for_screen("the acknowledged alert", |s| s.contains("ACKED"));
    assert!(!screen.contains("RINGING"), "{screen}");

    // `q` quits cleanly and gives the terminal back.
    tmux.run(&["send-keys", "-t", "pager", "q"]);
    let screen = tmux.wait_for_screen("the exit status", |s| s.contains("pager exit="));
    assert!(screen.contains("pager exit=0"), "{screen}");
    assert!(
        !screen.contains("KLAXON pager"),
        "the alternate screen is gone:\n{screen}"
    );
}

/// Issue 11, item 8: the relay's keep-alives (every 15 s) are liveness. A
/// pager that hears no page for three minutes stays connected — no
/// `disconnected` event, no reconnect — and the next page rings at once.
/// Production intervals throughout: the relay's 15 s keep-alive and the
/// pager's 45 s silence limit, so this takes three real minutes.
#[test]
fn an_idle_pager_stays_connected_through_three_minutes_of_keep_alives() {
    let dir = tempfile::tempdir().unwrap();
    let relay = KLAXON.serve(&dir.path().join("relay.db")).start();
    let base = relay.base.clone();
    let mut pager = connected_pager(&base, &dir.path().join("idle"), "alice");

    let idle_until = Instant::now() + Duration::from_secs(180);
    while let Some(left) = idle_until.checked_duration_since(Instant::now()) {
        if let Ok(event) = pager.events.recv_timeout(left) {
            assert!(
                !is(&event, "disconnected") && !is(&event, "connected"),
                "the idle pager dropped its stream: {event}; saw {:#?}",
                pager.seen
            );
            pager.seen.push(event);
        }
    }
    let sent = Instant::now();
    send_critical(&base, "idle-1", "Disk full on db1");
    pager.wait_for("the page after three idle minutes", |e| is(e, "page"));
    assert!(
        sent.elapsed() < Duration::from_secs(5),
        "the page came late: {:#?}",
        pager.seen
    );
    assert!(
        !pager.seen.iter().any(|e| is(e, "disconnected")),
        "{:#?}",
        pager.seen
    );
}

/// `klaxon serve` on the relay fixture with `edit` applied to the roster
/// text (written next to the database), on `port`.
fn serve_roster(dir: &Path, port: u16, edit: impl Fn(&str) -> String) -> Served {
    let config = dir.join(format!("roster-{port}-{}.toml", std::process::id()));
    KLAXON
        .serve(&dir.join("relay.db"))
        .roster(&config, &edit(klaxon_testkit::fixtures::RELAY_ROSTER))
        .port(port)
        .start()
}

/// The fixture roster with an override in `primary`: bob replaces alice
/// (who stays in the rotation, so still in the team) for years around now.
fn bob_on_call(roster: &str) -> String {
    let override_ = "  [[schedules.overrides]]\n  start = \"2020-01-06T00:00:00Z\"\n  \
                     end = \"2040-01-06T00:00:00Z\"\n  add = \"bob\"\n  remove = \"alice\"\n\n";
    let web = "[[schedules]]\nid = \"web\"";
    let edited = roster.replacen(web, &format!("{override_}{web}"), 1);
    assert_ne!(edited, roster, "the fixture has schedule web after primary");
    edited
}

/// Who an `on_call` event says is on call in `primary`.
fn primary_on_call(event: &Value) -> Vec<String> {
    event["schedules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["schedule"] == "primary")
        .map(|s| {
            s["people"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["person"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Issue 11, item 8: "On call now" follows the relay's roster. A relay
/// restarted on an edited roster changes it in a running pager, and a
/// pager restarted after the roster changed back reports the relay's
/// roster, never the one its state directory stored.
#[test]
fn on_call_follows_the_relays_roster_across_relay_and_pager_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let state = dir.path().join("roster-pager");
    let relay = serve_roster(dir.path(), port, str::to_string);
    let mut pager = start_pager(&base, &state, Some(&invite(&base, "alice")));
    let first = pager.wait_for("on_call", |e| is(e, "on_call"));
    assert_eq!(primary_on_call(&first), ["alice"], "{first}");
    let until = first["schedules"][0]["people"][0]["until"]
        .as_str()
        .unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(until).is_ok(),
        "{first}"
    );

    // The relay comes back on a roster where bob is on call.
    drop(relay);
    pager.wait_for("disconnected", |e| is(e, "disconnected"));
    let relay = serve_roster(dir.path(), port, bob_on_call);
    pager.wait_for("reconnected", |e| is(e, "connected"));
    let changed = pager.wait_for("on_call with bob", |e| is(e, "on_call"));
    assert_eq!(primary_on_call(&changed), ["bob"], "{changed}");
    pager.command("quit");
    assert_eq!(pager.exit_code(), Some(0));

    // Back to alice while the pager is off; its state directory says bob.
    drop(relay);
    let _relay = serve_roster(dir.path(), port, str::to_string);
    let mut pager = start_pager(&base, &state, None);
    let fresh = pager.wait_for("on_call after the restart", |e| is(e, "on_call"));
    assert_eq!(primary_on_call(&fresh), ["alice"], "{:#?}", pager.seen);
}

/// A `klaxon pager` in plain-lines mode (stdout a pipe, no --json-events):
/// its stdout lines.
fn line_pager(base: &str, state: &Path, code: &str, tz: &str) -> (Killed, Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_klaxon"))
        .args(["pager", "--relay", base, "--enroll", code, "--state-dir"])
        .arg(state)
        .env("TZ", tz)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (stdout, _reader) = lines(child.stdout.take().unwrap());
    (Killed(child), stdout)
}

/// Issue 11, item 8: the pager's human output says which zone its times
/// are in — `on call now: primary: Alice Chen (until Mon 07 Dec 09:00
/// CET)`, and each line's clock (`09:00:05 CET`).
#[test]
fn the_pagers_human_lines_show_times_with_their_zone() {
    let dir = tempfile::tempdir().unwrap();
    let relay = KLAXON.serve(&dir.path().join("relay.db")).start();
    let base = relay.base.clone();
    let code = invite(&base, "alice");
    let (_pager, lines) = line_pager(&base, &dir.path().join("tz"), &code, "Europe/Berlin");
    let deadline = Instant::now() + WAIT;
    let mut seen = Vec::new();
    let line = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = lines
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no on-call line; saw {seen:#?}"));
        seen.push(line.clone());
        if line.contains("on call now:") {
            break line;
        }
    };
    let zoned = |text: &str| text.contains(" CET") || text.contains(" CEST");
    let (clock, rest) = line.split_once(" on call now: ").unwrap();
    assert!(zoned(clock), "the line's clock has no zone: {line}");
    assert!(rest.starts_with("primary: Alice Chen (until "), "{line}");
    assert!(
        rest.ends_with(" CET)") || rest.ends_with(" CEST)"),
        "{line}"
    );
    assert!(
        seen.iter().any(|l| l.contains("times are Europe/Berlin")),
        "{seen:#?}"
    );
}

/// Issue 11, item 9: `klaxon ack|escalate|resolve|snooze|decline ID` on an id
/// the device has never seen exits 2 and queues nothing, unless the relay
/// knows it for this person (then it proceeds); a `--relay` other than the
/// enrolled one is an error naming the enrolled relay; snooze and decline
/// work from the command line and the pager's stdin; the printed hints are
/// commands that work.
#[test]
fn actions_on_unknown_alerts_are_refused_and_snooze_and_decline_work() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let relay = serve(&dir.path().join("relay.db"), port);
    let alice_dir = dir.path().join("alice");
    let alice_arg = alice_dir.to_str().unwrap().to_string();
    let bob_dir = dir.path().join("bob");
    let bob_arg = bob_dir.to_str().unwrap().to_string();
    // Bob's device enrolls and syncs before any alert exists, then stops.
    let mut bob = connected_pager(&base, &bob_dir, "bob");
    bob.command("quit");
    assert_eq!(bob.exit_code(), Some(0));
    let mut alice = connected_pager(&base, &alice_dir, "alice");

    // A mistyped id, relay up: exit 2, nothing queued.
    for verb in ["ack", "escalate", "resolve", "decline"] {
        let out = klaxon(&[verb, "a1b2c3-typo", "--state-dir", &alice_arg]);
        assert_eq!(out.status.code(), Some(2), "{verb}: {}", text(&out.stdout));
        let err = text(&out.stderr);
        assert!(err.contains("not an alert this device knows"), "{err}");
        assert!(err.contains("does not know it for alice"), "{err}");
    }
    let out = klaxon(&["snooze", "a1b2c3-typo", "30m", "--state-dir", &alice_arg]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(queued_keys(&alice_dir).is_empty(), "nothing was queued");

    // A --relay other than the enrolled one names the enrolled relay.
    send_critical(&base, "cli-1", "Disk full on db1");
    let page = alice.wait_for("page", |e| is(e, "page"));
    let id = page["alert"].as_str().unwrap().to_string();
    for verb in ["ack", "decline"] {
        let out = klaxon(&[
            verb,
            &id,
            "--state-dir",
            &alice_arg,
            "--relay",
            "http://127.0.0.1:1",
        ]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
        let err = text(&out.stderr);
        assert!(err.contains(&format!("enrolled with {base}/")), "{err}");
    }
    let out = klaxon(&[
        "pager",
        "--relay",
        "http://127.0.0.1:1",
        "--json-events",
        "--state-dir",
        &alice_arg,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains(&format!("enrolled with {base}/")),
        "{}",
        text(&out.stderr)
    );
    assert!(queued_keys(&alice_dir).is_empty(), "nothing was queued");

    // `decline ID` on the pager's stdin: the page goes on to bob.
    alice.command(&format!("decline {id}"));
    let applied = alice.wait_for("decline applied", |e| {
        is(e, "action")
            && e["action"] == "decline"
            && e["status"] != "queued"
            && e["status"] != "sent"
    });
    assert_eq!(applied["status"], "applied", "{applied}");

    // Bob's device has never seen the alert; the relay knows it for bob: a
    // snooze from his state directory proceeds (the matching --relay is fine).
    let out = klaxon(&[
        "snooze",
        &id,
        "30m",
        "--state-dir",
        &bob_arg,
        "--relay",
        &base,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), format!("snooze {id}: applied\n"));
    alice.wait_for("acknowledged (snoozed by bob)", |e| {
        is(e, "acknowledged") && e["alert"] == id.as_str()
    });

    // `snooze ID DURATION` on the pager's stdin, and a bad duration.
    send_critical(&base, "cli-2", "API latency 9 s");
    let page = alice.wait_for("second page", |e| {
        is(e, "page") && e["alert"] != id.as_str()
    });
    let id2 = page["alert"].as_str().unwrap().to_string();
    alice.command(&format!("snooze {id2} forever"));
    let error = alice.wait_for("error", |e| is(e, "error"));
    assert!(
        error["message"].as_str().unwrap().contains("snooze"),
        "{error}"
    );
    alice.command(&format!("snooze {id2} 45m"));
    let applied = alice.wait_for("snooze applied", |e| {
        is(e, "action")
            && e["action"] == "snooze"
            && e["status"] != "queued"
            && e["status"] != "sent"
    });
    assert_eq!(applied["status"], "applied", "{applied}");
    let a = alerts(&base);
    let second = a.iter().find(|a| a["id"] == id2.as_str()).unwrap();
    assert_eq!(second["status"], "acknowledged", "{second}");

    // Core's rule decides what the pager offers: an acknowledged alert
    // offers resolve, escalate and snooze, not decline; nothing is queued.
    let before = queued_keys(&alice_dir).len();
    alice.command(&format!("decline {id2}"));
    let refused = alice.wait_for("decline refused", |e| is(e, "error"));
    let message = refused["message"].as_str().unwrap();
    assert!(
        message.contains("not offered for this alert now"),
        "{refused}"
    );
    let offered = message.split("offered: ").nth(1).unwrap_or_default();
    for verb in ["resolve", "escalate", "snooze"] {
        assert!(offered.contains(verb), "{refused}");
    }
    assert!(!offered.contains("decline"), "{refused}");
    assert_eq!(queued_keys(&alice_dir).len(), before, "nothing was queued");

    // Offline: a known alert queues, and the hint it prints works as printed.
    send_critical(&base, "cli-3", "Certificate expires in 1 h");
    let page = alice.wait_for("third page", |e| {
        is(e, "page") && e["alert"] != id.as_str() && e["alert"] != id2.as_str()
    });
    let id3 = page["alert"].as_str().unwrap().to_string();
    alice.command("quit");
    assert_eq!(alice.exit_code(), Some(0));
    drop(relay);
    let before = queued_keys(&alice_dir).len();
    let out = klaxon(&["ack", "zz-unknown", "--state-dir", &alice_arg]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("could not be reached"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        queued_keys(&alice_dir).len(),
        before,
        "nothing was queued offline"
    );
    let out = klaxon(&["ack", &id3, "--state-dir", &alice_arg]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    let hint = said
        .split('`')
        .nth(1)
        .unwrap_or_else(|| panic!("no command in the hint: {said}"));
    assert!(
        hint.starts_with(&format!("klaxon pager --relay {base}/ --state-dir ")),
        "{said}"
    );
    // Run the hint as printed (with --json-events to read it): it delivers.
    let _relay = serve(&dir.path().join("relay.db"), port);
    let mut words: Vec<String> = hint
        .split_whitespace()
        .skip(1)
        .map(str::to_string)
        .collect();
    words.push("--json-events".into());
    let mut child = Command::new(env!("CARGO_BIN_EXE_klaxon"))
        .args(&words)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (lines, _reader) = lines(child.stdout.take().unwrap());
    let _child = Killed(child);
    let deadline = Instant::now() + WAIT;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = lines
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("the hinted pager never applied the ack: {seen:#?}"));
        let e: Value = serde_json::from_str(&line).unwrap();
        if is(&e, "action") && e["alert"] == id3.as_str() && e["status"] == "applied" {
            break;
        }
        seen.push(e);
    }
}
