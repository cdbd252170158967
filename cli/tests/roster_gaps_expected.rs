//! `gaps = "expected"` (docs/roster.md): a schedule that covers business
//! hours on purpose. `roster check` still lists every gap, as notes on
//! stdout, and exits 0 for them, so CI can tell a real hole from
//! business-hours cover.

use klaxon_testkit::fixtures;
use std::process::Command;

#[test]
fn check_lists_expected_gaps_as_notes_and_exits_0() {
    let text = std::fs::read_to_string(fixtures::path("gaps.toml")).unwrap();
    let expected = text.replace(
        "time_zone = \"Europe/London\"",
        "time_zone = \"Europe/London\"\ngaps = \"expected\"",
    );
    assert_ne!(text, expected, "the fixture names its zone");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("office.toml");
    std::fs::write(&path, expected).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_klaxon"))
        .args(["roster", "check", "--config", path.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    let notes: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("note:") && l.contains("nobody on call from"))
        .collect();
    // The same gaps as without the setting: every weeknight and weekend.
    assert!(notes.len() >= 16, "{stdout}");
    assert!(notes
        .iter()
        .all(|l| l.ends_with("expected (gaps = \"expected\")")));
    assert!(stdout.contains("no gaps in the next 4 weeks, "), "{stdout}");
    assert!(stdout.contains(" expected gaps"), "{stdout}");
}

#[test]
fn an_unknown_gaps_setting_is_refused_naming_the_field() {
    let text = std::fs::read_to_string(fixtures::path("gaps.toml")).unwrap();
    let bad = text.replace(
        "time_zone = \"Europe/London\"",
        "time_zone = \"Europe/London\"\ngaps = \"sometimes\"",
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("office.toml");
    std::fs::write(&path, bad).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_klaxon"))
        .args(["roster", "check", "--config", path.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("schedules[0].gaps"), "{stderr}");
    assert!(stderr.contains("\"sometimes\""), "{stderr}");
}
