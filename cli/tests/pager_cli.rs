//! `klaxon pager --json-events` and `klaxon ack` against a real `klaxon
//! serve` process: a critical page rings until acknowledged from stdin; an
//! acknowledgement queued with `klaxon ack` while the relay is down (the
//! pager holding the same state directory) applies exactly once when the
//! relay is back; the interactive screen driven through tmux.

use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{ChildStdin, Command, Output, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use klaxon_testkit::process::{free_port, serve_command, wait_listening, Killed};
use klaxon_testkit::relay::{alert_detail, count, ADMIN, API_KEY as KEY};

const WAIT: Duration = Duration::from_secs(20);

/// `klaxon serve` on the relay tests' roster (alice on call, bob after 2 s).
fn serve(db: &Path, port: u16) -> Killed {
    let child = serve_command(env!("CARGO_BIN_EXE_klaxon"), db, port, ADMIN)
        .spawn()
        .unwrap();
    let child = Killed(child);
    wait_listening(port);
    child
}

fn klaxon(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_klaxon"))
        .args(args)
        .env("KLAXON_ADMIN_TOKEN", ADMIN)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn invite(base: &str, person: &str) -> String {
    let out = klaxon(&["invite", "--relay", base, "--person", person]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout).trim().to_string()
}

fn send_critical(base: &str, dedup: &str, summary: &str) {
    let out = klaxon(&[
        "send",
        "--relay",
        base,
        "--routing-key",
        KEY,
        "--summary",
        summary,
        "--severity",
        "critical",
        "--dedup-key",
        dedup,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

fn alerts(base: &str) -> Vec<Value> {
    let out = klaxon(&["alerts", "--relay", base, "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The relay's full alert (with its timeline) from the admin API.
fn admin_alert(base: &str, id: &str) -> Value {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(alert_detail(base, id))
}

/// A running `klaxon pager --json-events`: its stdin and its parsed events.
struct Pager {
    _child: Killed,
    stdin: ChildStdin,
    events: Receiver<Value>,
    seen: Vec<Value>,
}

impl Pager {
    fn start(base: &str, state: &Path, code: Option<&str>) -> Pager {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_klaxon"));
        cmd.args(["pager", "--relay", base, "--json-events", "--state-dir"])
            .arg(state);
        if let Some(code) = code {
            cmd.args(["--enroll", code]);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let stdin = child.stdin.take().unwrap();
        let (tx, events) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                let value: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("not one JSON object per line: {line:?}: {e}"));
                if tx.send(value).is_err() {
                    return;
                }
            }
        });
        Pager {
            _child: Killed(child),
            stdin,
            events,
            seen: Vec::new(),
        }
    }

    /// The first event (from now on) that matches, or a panic listing
    /// everything seen.
    fn wait_for(&mut self, what: &str, matches: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(event) => {
                    self.seen.push(event.clone());
                    if matches(&event) {
                        return event;
                    }
                }
                Err(_) => panic!("no {what} event; saw {:#?}", self.seen),
            }
        }
    }

    /// Waits for the pager to exit by itself; its exit code.
    fn exit_code(&mut self) -> Option<i32> {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self._child.0.try_wait().unwrap() {
                return status.code();
            }
            assert!(Instant::now() < deadline, "the pager did not exit");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn command(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").unwrap();
        self.stdin.flush().unwrap();
    }
}

fn is(event: &Value, kind: &str) -> bool {
    event["event"] == kind
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
    let mut pager = Pager::start(&base, &state, Some(&code));
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
    if !pager
        .seen
        .iter()
        .any(|e| is(e, "ring_stop") && e["alert"] == id.as_str())
    {
        pager.wait_for("ring_stop", |e| {
            is(e, "ring_stop") && e["alert"] == id.as_str()
        });
    }
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

    // An action on an alert the relay does not know is rejected (exit 1).
    let out = klaxon(&[
        "resolve",
        "no-such-alert",
        "--state-dir",
        state.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("rejected"));
    assert!(!text(&out.stderr).is_empty());

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
    if !pager
        .seen
        .iter()
        .any(|e| is(e, "ring_stop") && e["alert"] == id3.as_str())
    {
        pager.wait_for("ring_stop after the resolve", |e| {
            is(e, "ring_stop") && e["alert"] == id3.as_str()
        });
    }

    // `quit` ends the pager cleanly.
    pager.command("quit");
    assert_eq!(pager.exit_code(), Some(0));
}

#[test]
fn page_events_say_who_was_paged_and_what_comes_next() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let _relay = serve(&dir.path().join("relay.db"), port);
    let mut alice = Pager::start(
        &base,
        &dir.path().join("alice"),
        Some(&invite(&base, "alice")),
    );
    let mut bob = Pager::start(&base, &dir.path().join("bob"), Some(&invite(&base, "bob")));
    alice.wait_for("alice connected", |e| is(e, "connected"));
    bob.wait_for("bob connected", |e| is(e, "connected"));

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
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let _relay = serve(&dir.path().join("relay.db"), port);
    let state = dir.path().join("shared-pager");
    let mut pager = Pager::start(&base, &state, Some(&invite(&base, "alice")));
    pager.wait_for("connected", |e| is(e, "connected"));

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
        let heard = |e: &Value| is(e, "acknowledged") && e["alert"] == id.as_str();
        if !pager.seen.iter().any(heard) {
            pager.wait_for("acknowledged", heard);
        }
    }
    let a = alerts(&base);
    for id in &ids {
        let alert = a.iter().find(|a| a["id"] == id.as_str()).unwrap();
        assert_eq!(alert["acknowledged_by"], "alice");
        assert_eq!(count(&admin_alert(&base, id), "acknowledged"), 1);
    }
    for id in &ids {
        let stopped = |e: &Value| is(e, "ring_stop") && e["alert"] == id.as_str();
        if !pager.seen.iter().any(stopped) {
            pager.wait_for("ring_stop", stopped);
        }
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
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let _relay = serve(&dir.path().join("relay.db"), port);
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
