//! Issue 11, "re-notify until answered", in the terminal pager against a
//! real `klaxon serve` whose policy re-notifies every 10 s (the shortest
//! the roster allows): each re-notification is a `renotified` event; one
//! that reaches a pager still ringing for the alert rings nothing more,
//! one that reaches a pager whose ring stopped (the process was killed)
//! shows and rings the page again; after the acknowledgement none come.

use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use klaxon_testkit::process::{free_port, wait_listening, Killed};
use klaxon_testkit::relay::{ADMIN, API_KEY};

const ROSTER: &str = include_str!("../../tests/fixtures/pager-renotify.toml");

fn klaxon(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_klaxon"))
        .args(args)
        .env("KLAXON_ADMIN_TOKEN", ADMIN)
        .output()
        .unwrap()
}

fn serve(dir: &Path, port: u16) -> Killed {
    let config = dir.join("roster.toml");
    std::fs::write(&config, ROSTER).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_klaxon"))
        .arg("serve")
        .arg("--config")
        .arg(&config)
        .arg("--db")
        .arg(dir.join("relay.db"))
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("KLAXON_ADMIN_TOKEN", ADMIN)
        .env("KLAXON_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let child = Killed(child);
    wait_listening(port);
    child
}

/// A running `klaxon pager --json-events`.
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
                let Ok(value) = serde_json::from_str::<Value>(&line) else {
                    panic!("not JSON: {line:?}")
                };
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

    /// Every event until one matches (that one last), within `limit`.
    fn until(
        &mut self,
        what: &str,
        limit: Duration,
        matches: impl Fn(&Value) -> bool,
    ) -> Vec<Value> {
        let deadline = Instant::now() + limit;
        let mut got = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(event) => {
                    self.seen.push(event.clone());
                    got.push(event.clone());
                    if matches(&event) {
                        return got;
                    }
                }
                Err(_) => panic!("no {what} within {limit:?}; saw {:#?}", self.seen),
            }
        }
    }

    /// Every event for `span`.
    fn during(&mut self, span: Duration) -> Vec<Value> {
        let deadline = Instant::now() + span;
        let mut got = Vec::new();
        while let Ok(event) = self
            .events
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            self.seen.push(event.clone());
            got.push(event);
        }
        got
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
fn renotifications_are_reported_and_ring_again_only_where_the_ring_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let _relay = serve(dir.path(), port);
    let invite = klaxon(&["invite", "--relay", &base, "--person", "alice"]);
    assert!(invite.status.success());
    let code = String::from_utf8_lossy(&invite.stdout).trim().to_string();
    let state = dir.path().join("pager");
    let short = Duration::from_secs(10);

    let mut pager = Pager::start(&base, &state, Some(&code));
    pager.until("connected", short, |e| is(e, "connected"));
    let sent = klaxon(&[
        "send",
        "--relay",
        &base,
        "--routing-key",
        API_KEY,
        "--summary",
        "Disk full on db1",
        "--severity",
        "critical",
        "--dedup-key",
        "disk",
    ]);
    assert!(
        sent.status.success(),
        "{}",
        String::from_utf8_lossy(&sent.stderr)
    );
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
    let mut pager = Pager::start(&base, &state, None);
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
