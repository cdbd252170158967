//! `klaxon send`, `klaxon invite` and `klaxon alerts` against a real
//! `klaxon serve` process: output shapes and exit codes of docs/cli.md.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc::Receiver;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use klaxon_testkit::fixtures;
use klaxon_testkit::process::{free_port, stderr_lines, text, Killed, Klaxon, Served};
use klaxon_testkit::relay::API_KEY as KEY;

const KLAXON: Klaxon = Klaxon(env!("CARGO_BIN_EXE_klaxon"));

/// `klaxon serve` on the relay fixture, listening: its guard and base URL.
fn serve(dir: &Path) -> (Served, String) {
    let served = KLAXON.serve(&dir.join("cli.db")).start();
    let base = served.base.clone();
    (served, base)
}

/// `klaxon serve` on a free port, logging at `info` (whatever
/// `KLAXON_LOG_FORMAT` says outside) to a pipe, with `configure` applied
/// first: its port, process id and guard, and its stderr lines as they come
/// (with the thread reading them).
fn serve_logging(
    db: &Path,
    configure: impl FnOnce(&mut Command) -> &mut Command,
) -> (u16, u32, Killed, Receiver<String>, JoinHandle<()>) {
    let port = free_port();
    let mut command = KLAXON.serve(db).command(port);
    command
        .env("KLAXON_LOG", "info")
        .env_remove("KLAXON_LOG_FORMAT")
        .stderr(Stdio::piped());
    let mut child = configure(&mut command).spawn().unwrap();
    let pid = child.id();
    let stderr = child.stderr.take().unwrap();
    let (rx, reader) = stderr_lines(stderr);
    (port, pid, Killed(child), rx, reader)
}

/// Sends SIGTERM to `pid` (a graceful stop).
fn terminate(pid: u32) {
    let killed = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
}

/// `klaxon <args>`, with the admin token when `admin`.
fn klaxon(args: &[&str], admin: bool) -> Output {
    KLAXON.run(args, admin)
}

/// `klaxon send --relay <base> --routing-key <the infra key> <args>`,
/// without the admin token.
fn send(base: &str, args: &[&str]) -> Output {
    KLAXON.send(base, args)
}

#[test]
fn send_invite_and_alerts_work_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let (_serve, base) = serve(dir.path());

    let out = send(
        &base,
        &[
            "--summary",
            "test page",
            "--severity",
            "error",
            "--dedup-key",
            "cli-1",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "cli-1\n");

    let out = klaxon(&["invite", "--relay", &base, "--person", "alice"], true);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let code = text(&out.stdout);
    assert_eq!(code.lines().count(), 1);
    assert_eq!(code.trim().len(), 20, "{code:?}");

    let out = klaxon(&["alerts", "--relay", &base, "--json"], true);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let list: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list.len(), 1);
    let a = &list[0];
    for field in [
        "id",
        "dedup_key",
        "service",
        "status",
        "priority",
        "summary",
        "paged",
        "acknowledged_by",
    ] {
        assert!(a.get(field).is_some(), "missing {field} in {a}");
    }
    assert_eq!(a["dedup_key"], "cli-1");
    assert_eq!(a["status"], "triggered");
    assert_eq!(a["priority"], "high");
    assert_eq!(a["paged"], serde_json::json!(["alice"]));

    let out = send(&base, &["--action", "acknowledge", "--dedup-key", "cli-1"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = klaxon(
        &["alerts", "--relay", &base, "--status", "acknowledged"],
        true,
    );
    assert!(out.status.success());
    assert!(
        text(&out.stdout).contains("cli-1") || text(&out.stdout).contains("test page"),
        "{}",
        text(&out.stdout)
    );
    let out = klaxon(
        &["alerts", "--relay", &base, "--status", "resolved", "--json"],
        true,
    );
    assert_eq!(text(&out.stdout).trim(), "[]");
}

#[test]
fn refusals_are_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let (_serve, base) = serve(dir.path());
    // No admin token in the environment.
    let out = klaxon(&["invite", "--relay", &base, "--person", "alice"], false);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("KLAXON_ADMIN_TOKEN"));
    // The relay refuses: unknown person, unknown routing key, long summary.
    let out = klaxon(&["invite", "--relay", &base, "--person", "mallory"], true);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("404"), "{}", text(&out.stderr));
    let out = klaxon(
        &[
            "send",
            "--relay",
            &base,
            "--routing-key",
            "nope",
            "--summary",
            "x",
        ],
        false,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("routing_key"),
        "{}",
        text(&out.stderr)
    );
    let long = "y".repeat(1025);
    let out = send(&base, &["--summary", &long]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("payload.summary"));
    // Acknowledge without a key is bad usage; an unreachable relay is one line.
    let out = send(&base, &["--action", "resolve"]);
    assert_eq!(out.status.code(), Some(2));
    let out = klaxon(&["alerts", "--relay", "http://127.0.0.1:9"], true);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr).lines().count(),
        1,
        "{}",
        text(&out.stderr)
    );
    // A bad roster stops serve with exit 2 naming the file.
    let out = klaxon(&["serve", "--config", "/nonexistent/roster.toml"], false);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("/nonexistent/roster.toml"));
}

#[test]
fn serve_logs_json_lines_with_log_format_json() {
    let dir = tempfile::tempdir().unwrap();
    let (port, pid, serve, rx, reader) = serve_logging(&dir.path().join("json.db"), |c| {
        c.args(["--log-format", "json"])
    });
    let mut lines: Vec<String> = Vec::new();
    let wait_for = |lines: &mut Vec<String>, message: &str| {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let seen = lines.iter().any(|l| {
                serde_json::from_str::<Value>(l).is_ok_and(|v| v["fields"]["message"] == message)
            });
            if seen {
                return;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => lines.push(line),
                Err(_) => panic!("no {message:?} log line; stderr so far: {lines:#?}"),
            }
        }
    };
    wait_for(&mut lines, "relay listening");

    // A page makes the relay log an event with its own fields.
    let base = format!("http://127.0.0.1:{port}");
    let out = send(
        &base,
        &[
            "--summary",
            "json logs",
            "--severity",
            "critical",
            "--dedup-key",
            "json-1",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    wait_for(&mut lines, "paging");

    // A graceful stop logs too; then every line the process wrote is read.
    terminate(pid);
    wait_for(&mut lines, "relay shutting down");
    drop(serve);
    reader.join().unwrap();
    lines.extend(rx.try_iter());

    assert!(lines.len() >= 3, "{lines:#?}");
    let events: Vec<Value> = lines
        .iter()
        .map(|l| match serde_json::from_str::<Value>(l) {
            Ok(v) if v.is_object() => v,
            _ => panic!("stderr line is not a JSON object: {l:?}\nall: {lines:#?}"),
        })
        .collect();
    for e in &events {
        assert!(
            matches!(e["level"].as_str(), Some("INFO" | "WARN" | "ERROR")),
            "{e}"
        );
        assert!(e["fields"].is_object(), "{e}");
        assert!(e["fields"]["message"].is_string(), "{e}");
        assert!(e["timestamp"].is_string(), "{e}");
        assert!(e["target"].is_string(), "{e}");
    }
    let find = |message: &str| {
        events
            .iter()
            .find(|e| e["fields"]["message"] == message)
            .unwrap_or_else(|| panic!("no {message:?} in {events:#?}"))
    };
    let listening = find("relay listening");
    assert_eq!(listening["level"], "INFO");
    assert_eq!(listening["fields"]["addr"], format!("127.0.0.1:{port}"));
    let paging = find("paging");
    assert_eq!(paging["fields"]["priority"], "critical");
    assert_eq!(paging["fields"]["step_seq"], 1);
    assert!(paging["fields"]["alert"]
        .as_str()
        .is_some_and(|a| !a.is_empty()));

    // The environment variable picks the format too; a wrong one is bad usage.
    let out = Command::new(env!("CARGO_BIN_EXE_klaxon"))
        .args(["serve", "--config"])
        .arg(fixtures::path("relay.toml"))
        .env("KLAXON_LOG_FORMAT", "yaml")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("json"), "{}", text(&out.stderr));
}

#[test]
fn send_needs_a_summary_only_to_trigger() {
    // Refused locally, before any request: the relay address is unreachable.
    for extra in [
        &[][..],
        &["--action", "trigger"][..],
        &["--summary", ""][..],
    ] {
        let mut args = vec![
            "send",
            "--relay",
            "http://127.0.0.1:9",
            "--routing-key",
            KEY,
        ];
        args.extend_from_slice(extra);
        let out = klaxon(&args, false);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains("--summary"), "{args:?}: {err}");
    }
    // Acknowledge and resolve go through without one.
    let dir = tempfile::tempdir().unwrap();
    let (_serve, base) = serve(dir.path());
    let out = send(&base, &["--summary", "disk", "--dedup-key", "d1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for action in ["acknowledge", "resolve"] {
        let out = send(&base, &["--action", action, "--dedup-key", "d1"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{action}: {}",
            text(&out.stderr)
        );
        assert_eq!(text(&out.stdout).trim(), "d1");
    }
}

#[test]
fn a_relay_that_is_not_an_http_url_is_one_line_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("pager");
    let state_arg = state.to_str().unwrap();
    for relay in ["not-a-url", "localhost:8080", "ftp://relay.example.com"] {
        let commands: [Vec<&str>; 4] = [
            vec!["send", "--routing-key", KEY, "--summary", "x"],
            vec!["invite", "--person", "alice"],
            vec!["alerts"],
            vec!["pager", "--json-events", "--state-dir", state_arg],
        ];
        for mut args in commands {
            args.extend(["--relay", relay]);
            let out = klaxon(&args, true);
            let err = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            assert_eq!(text(&out.stdout), "", "{args:?}");
            assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
            assert!(
                err.contains(&format!("--relay {relay:?}: not an http(s) URL")),
                "{args:?}: {err}"
            );
        }
    }
    // Refused before anything else happens: no state directory was made.
    assert!(!state.exists());
}

#[test]
fn serve_logs_plain_text_without_colour_codes_when_stderr_is_not_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    // stderr is a pipe here, as it is under systemd or a log collector.
    let (_port, pid, serve, rx, reader) =
        serve_logging(&dir.path().join("text.db"), |c| c.env_remove("NO_COLOR"));
    let mut lines: Vec<String> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !lines.iter().any(|l| l.contains("relay listening")) {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => lines.push(line),
            Err(_) => panic!("no \"relay listening\" log line; stderr so far: {lines:#?}"),
        }
    }
    terminate(pid);
    drop(serve);
    reader.join().unwrap();
    lines.extend(rx.try_iter());
    let listening = lines
        .iter()
        .find(|l| l.contains("relay listening"))
        .unwrap();
    assert!(listening.contains(" INFO "), "{listening:?}");
    for line in &lines {
        assert!(!line.contains('\u{1b}'), "an escape code in {line:?}");
    }
}
