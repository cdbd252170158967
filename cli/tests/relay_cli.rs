//! `klaxon send`, `klaxon invite` and `klaxon alerts` against a real
//! `klaxon serve` process: output shapes and exit codes of CONTRACT §2.

use serde_json::Value;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const ADMIN: &str = "cli-test-admin";
const KEY: &str = "0123456789abcdef0123456789abcdef";

struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(dir: &std::path::Path) -> (Serve, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let roster = format!(
        "{}/../server-stub/tests/fixtures_relay.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    let child = Command::new(env!("CARGO_BIN_EXE_klaxon"))
        .args(["serve", "--config", &roster, "--db"])
        .arg(dir.join("cli.db"))
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("KLAXON_ADMIN_TOKEN", ADMIN)
        .env("KLAXON_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "serve never listened"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (Serve(child), base)
}

fn klaxon(args: &[&str], admin: bool) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_klaxon"));
    cmd.args(args).env_remove("KLAXON_ADMIN_TOKEN");
    if admin {
        cmd.env("KLAXON_ADMIN_TOKEN", ADMIN);
    }
    cmd.output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn send_invite_and_alerts_work_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let (_serve, base) = serve(dir.path());

    let out = klaxon(
        &[
            "send",
            "--relay",
            &base,
            "--routing-key",
            KEY,
            "--summary",
            "test page",
            "--severity",
            "error",
            "--dedup-key",
            "cli-1",
        ],
        false,
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

    let out = klaxon(
        &[
            "send",
            "--relay",
            &base,
            "--routing-key",
            KEY,
            "--action",
            "acknowledge",
            "--dedup-key",
            "cli-1",
        ],
        false,
    );
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
    let out = klaxon(
        &[
            "send",
            "--relay",
            &base,
            "--routing-key",
            KEY,
            "--summary",
            &long,
        ],
        false,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("payload.summary"));
    // Acknowledge without a key is bad usage; an unreachable relay is one line.
    let out = klaxon(
        &[
            "send",
            "--relay",
            &base,
            "--routing-key",
            KEY,
            "--action",
            "resolve",
        ],
        false,
    );
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
