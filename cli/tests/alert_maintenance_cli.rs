//! `klaxon maintenance start|list|end` and `klaxon alert show` against a
//! real `klaxon serve` (docs/cli.md): an alert during a window shows its
//! `suppressed` entry and nobody paged; after `end` it shows step 1 paged;
//! refusals are one line and exit 2.

use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

use klaxon_testkit::process::{text, Klaxon, Served};

const KLAXON: Klaxon = Klaxon(env!("CARGO_BIN_EXE_klaxon"));

/// `klaxon serve` on the relay fixture with its database in `dir`,
/// listening.
fn serve(dir: &Path) -> Served {
    KLAXON.serve(&dir.join("cli.db")).start()
}

/// Runs `klaxon <args>` (admin) and asserts exit 0; its stdout.
fn ok(args: &[&str]) -> String {
    KLAXON.ok(args)
}

/// The arguments of `klaxon maintenance start --relay <base> --service
/// <service> --for <length>`.
fn window<'a>(base: &'a str, service: &'a str, length: &'a str) -> Vec<&'a str> {
    vec![
        "maintenance",
        "start",
        "--relay",
        base,
        "--service",
        service,
        "--for",
        length,
    ]
}

/// The id of the first alert `klaxon alerts --json` lists.
fn first_alert(base: &str) -> String {
    KLAXON.alerts(base)[0]["id"].as_str().unwrap().to_string()
}

#[test]
fn an_alert_in_maintenance_shows_suppressed_then_paged_after_end() {
    let dir = tempfile::tempdir().unwrap();
    let relay = serve(dir.path());
    let base = relay.base.clone();
    let id = ok(&[window(&base, "api", "1h"), vec!["--reason", "db upgrade"]].concat());
    let id = id.trim().to_string();
    assert!(id.starts_with("mw-") && !id.contains(' '), "{id:?}");

    let listed = ok(&["maintenance", "list", "--relay", &base]);
    assert!(listed.starts_with(&format!("{id}  api")), "{listed}");
    assert!(
        listed.contains("active") && listed.contains("(db upgrade)"),
        "{listed}"
    );
    let json: Value =
        serde_json::from_str(&ok(&["maintenance", "list", "--relay", &base, "--json"])).unwrap();
    assert_eq!(json[0]["id"], id.as_str());
    assert_eq!(json[0]["active"], true);

    KLAXON.trigger(&base, "disk", "disk full", None);
    let alert = first_alert(&base);
    let shown = ok(&["alert", "show", "--relay", &base, &alert]);
    assert!(
        shown.starts_with(&format!("alert {alert}  triggered  critical  service api")),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("suppressed    maintenance window {id} until")),
        "{shown}"
    );
    assert!(shown.contains("paged:\n  nobody yet\n"), "{shown}");
    assert!(shown.contains("answers:\n  none yet\n"), "{shown}");

    let ended = ok(&["maintenance", "end", "--relay", &base, &id]);
    assert!(
        ended.starts_with(&format!("{id} on api ended at ")),
        "{ended}"
    );
    // The alert pages at once: step 1, pass 1 (alice, who has no device).
    let start = Instant::now();
    let shown = loop {
        let shown = ok(&["alert", "show", "--relay", &base, &alert]);
        if shown.contains("(step 1, pass 1)") || start.elapsed() > Duration::from_secs(5) {
            break shown;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        shown.contains("notified      alice (step 1, pass 1)"),
        "{shown}"
    );
    assert!(
        shown.contains("step 1, pass 1: alice (no device: alice)"),
        "{shown}"
    );
    let json: Value =
        serde_json::from_str(&ok(&["alert", "show", "--relay", &base, &alert, "--json"])).unwrap();
    let kinds: Vec<&str> = json["timeline"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(&kinds[..3], ["triggered", "suppressed", "notified"]);
}

#[test]
fn refusals_are_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let relay = serve(dir.path());
    let base = relay.base.clone();
    for (args, expected) in [
        (window(&base, "api", "soon"), "error: --for: \"soon\""),
        (
            window(&base, "apj", "1h"),
            "service: unknown service \"apj\"",
        ),
        (
            vec!["maintenance", "end", "--relay", &base, "mw-nope"],
            "id: no maintenance window \"mw-nope\"",
        ),
        (
            vec!["alert", "show", "--relay", &base, "0123456789abcdef"],
            "alert: no alert \"0123456789abcdef\"",
        ),
    ] {
        let o = KLAXON.admin(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(text(&o.stdout).is_empty(), "{args:?}");
        let err = text(&o.stderr);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: {err}");
    }
}
