//! `klaxon roster ...` end to end: the real binary against the fixture
//! rosters in `tests/fixtures/`, checking exit codes, the `--json` shapes of
//! docs/cli.md, the one-line-per-problem errors and DST changes.
//!
//! Fixtures: `roster.toml` (the docs/roster.md example made complete, plus a
//! daily schedule across the 2026-03-08 Chicago DST change), `gaps.toml`
//! (business hours only) and `bad-roster.toml` (several problems).

use klaxon_testkit::fixtures;
use serde_json::{json, Value};
use std::process::{Command, Output};

/// The path of `tests/fixtures/<name>`, as the CLI prints it.
fn fixture(name: &str) -> String {
    fixtures::path(name).display().to_string()
}

fn klaxon(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_klaxon"))
        .args(args)
        .output()
        .expect("run klaxon")
}

/// `klaxon roster <command> --config tests/fixtures/<file> <args>`, with
/// `args` split on whitespace (no argument here contains a space).
fn roster(command: &str, file: &str, args: &str) -> Output {
    let config = fixture(file);
    let mut all = vec!["roster", command, "--config", &config];
    all.extend(args.split_whitespace());
    klaxon(&all)
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("utf-8 stdout")
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("utf-8 stderr")
}

/// Asserts the exit code, showing both streams when it is wrong.
fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(out),
        stderr(out)
    );
}

/// Asserts success and parses stdout as JSON.
fn json_of(out: &Output) -> Value {
    assert_exit(out, 0);
    serde_json::from_str(&stdout(out)).expect("valid JSON on stdout")
}

/// `klaxon roster shifts --config tests/fixtures/roster.toml <args>`'s
/// JSON (asserting exit 0).
fn shifts_json(args: &str) -> Value {
    json_of(&roster("shifts", "roster.toml", args))
}

/// `klaxon roster who --config tests/fixtures/roster.toml <args>`'s JSON
/// (asserting exit 0).
fn who_json(args: &str) -> Value {
    json_of(&roster("who", "roster.toml", args))
}

/// Asserts bad input: exit 2, nothing on stdout, exactly one stderr line
/// (returned).
fn one_error_line(out: &Output) -> String {
    assert_exit(out, 2);
    assert_eq!(stdout(out), "");
    let err = stderr(out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "expected one line, got:\n{err}");
    lines[0].to_string()
}

// ---- check ---------------------------------------------------------------

#[test]
fn the_contract_example_verbatim_loads_and_check_warns_about_carol_and_the_gaps() {
    let out = roster("check", "contract-example.toml", "");
    assert_exit(&out, 1);
    let err = stderr(&out);
    let carol: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("schedules[0].overrides[0].add"))
        .collect();
    assert_eq!(carol.len(), 1, "{err}");
    assert!(carol[0].starts_with("warning: "), "{}", carol[0]);
    assert!(carol[0].contains(&fixture("contract-example.toml")));
    assert!(
        carol[0].contains("\"carol\" is not in [[people]]"),
        "{}",
        carol[0]
    );
    // Business hours only: nights and weekends are gaps.
    assert!(err.contains("nobody on call from"), "{err}");
    let text = stdout(&out);
    assert!(
        text.contains("valid: 2 people, 1 schedule, 1 policy, 1 service"),
        "{text}"
    );
    assert!(text.contains("; 1 warning"), "{text}");
    // The other commands work on it: the override puts carol on call.
    let who = json_of(&roster(
        "who",
        "contract-example.toml",
        "--schedule primary --at 2026-01-07T15:00:00Z --json",
    ));
    assert_eq!(who["people"], json!(["carol"]));
}

#[test]
fn check_accepts_a_complete_roster_without_gaps() {
    let out = roster("check", "roster.toml", "");
    assert_exit(&out, 0);
    assert_eq!(stderr(&out), "");
    let text = stdout(&out);
    assert!(text.contains("valid"), "{text}");
    assert!(
        text.contains("3 people, 2 schedules, 1 policy, 1 service"),
        "{text}"
    );
    assert!(text.contains("no gaps"), "{text}");
}

#[test]
fn check_warns_about_each_gap_in_the_next_four_weeks_and_exits_1() {
    let out = roster("check", "gaps.toml", "");
    assert_exit(&out, 1);
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    // Business hours only: every weeknight and weekend of 4 weeks is a gap
    // (a weekend joins Friday and Sunday nights into one).
    assert!(lines.len() >= 16, "{err}");
    for line in &lines {
        assert!(
            line.contains(&fixture("gaps.toml")),
            "must name the file: {line}"
        );
        assert!(
            line.contains("schedules[0] (office)"),
            "must name the schedule: {line}"
        );
        assert!(line.contains("Europe/London"), "must name the zone: {line}");
    }
    // Printed in the schedule's zone: the gaps start at 17:00 local time
    // (except one the 4-week window starts inside).
    let evenings = lines
        .iter()
        .filter(|l| l.contains(" 17:00 GMT to ") || l.contains(" 17:00 BST to "));
    assert!(evenings.count() >= 15, "{err}");
    assert!(stdout(&out).contains("gaps in the next 4 weeks"));
}

#[test]
fn check_reports_every_problem_of_a_bad_roster_on_its_own_line() {
    let out = roster("check", "bad-roster.toml", "");
    assert_exit(&out, 2);
    assert_eq!(stdout(&out), "");
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert!(lines.len() >= 5, "expected several problems:\n{err}");
    let prefix = format!("{}: ", fixture("bad-roster.toml"));
    for line in &lines {
        assert!(line.starts_with(&prefix), "must name the file: {line}");
    }
    for path in [
        "schedules[0].time_zone",
        "schedules[0].layers[0].length",
        "schedules[0].layers[0].participants[1]",
        "policies[0].repeat",
        "policies[0].steps[0].delay",
        "policies[0].steps[0].targets[0]",
    ] {
        assert!(
            lines.iter().any(|l| l.contains(path)),
            "no line names {path}:\n{err}"
        );
    }
}

#[test]
fn missing_roster_file_is_bad_input_naming_the_file() {
    let out = klaxon(&["roster", "check", "--config", "/nonexistent/roster.toml"]);
    let line = one_error_line(&out);
    assert!(line.contains("/nonexistent/roster.toml"), "{line}");
}

#[test]
fn garbage_roster_is_bad_input_not_a_crash() {
    let dir = std::env::temp_dir().join(format!("klaxon-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text) in [
        ("empty.toml", ""),
        ("syntax.toml", "[[people]\nid = "),
        ("types.toml", "people = 3\nschedules = \"x\""),
        ("binary.toml", "\u{0}\u{1}\u{ff}\u{7f}"),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let path = path.display().to_string();
        for args in [
            vec!["roster", "check", "--config", &path],
            vec!["roster", "who", "--config", &path, "--schedule", "primary"],
        ] {
            let out = klaxon(&args);
            assert!(
                matches!(out.status.code(), Some(0..=2)),
                "{name}: {:?}\n{}",
                out.status,
                stderr(&out)
            );
            assert!(
                !stderr(&out).contains("panicked"),
                "{name}: {}",
                stderr(&out)
            );
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

// ---- who -----------------------------------------------------------------

#[test]
fn who_json_has_the_contract_shape() {
    // 2026-01-12 10:00 CST, a Monday: bob's round-the-clock week, alice's
    // business-hours week (the later layer wins).
    assert_eq!(
        who_json("--schedule primary --at 2026-01-12T16:00:00Z --json"),
        json!({"schedule": "primary", "at": "2026-01-12T10:00:00-06:00", "people": ["alice"]})
    );
    // 20:00 CST the same day: only the round-the-clock layer.
    assert_eq!(
        who_json("--schedule primary --at 2026-01-12T20:00:00-06:00 --json"),
        json!({"schedule": "primary", "at": "2026-01-12T20:00:00-06:00", "people": ["bob"]})
    );
}

#[test]
fn who_sees_an_override_that_replaces_someone() {
    // Wednesday 06:00 CST: alice's night, carol replaces her from 12:00Z.
    let out = roster(
        "who",
        "roster.toml",
        "--schedule primary --at 2026-01-07T12:00:00Z --json",
    );
    assert_eq!(json_of(&out)["people"], json!(["carol"]));
    let out = roster(
        "who",
        "roster.toml",
        "--schedule primary --at 2026-01-07T11:59:59Z --json",
    );
    assert_eq!(json_of(&out)["people"], json!(["alice"]));
}

#[test]
fn who_defaults_to_now() {
    let body = who_json("--schedule daily --json");
    assert_eq!(body["schedule"], "daily");
    assert_eq!(body["people"].as_array().map(Vec::len), Some(1), "{body}");
    let at = body["at"].as_str().unwrap();
    assert!(at.ends_with("-06:00") || at.ends_with("-05:00"), "{at}");
}

#[test]
fn who_for_people_shows_the_zone_names_and_next_handoff() {
    let out = roster(
        "who",
        "roster.toml",
        "--schedule daily --at 2026-03-07T12:00:00-06:00",
    );
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(text.contains("America/Chicago"), "{text}");
    assert!(text.contains("Sat 2026-03-07 12:00 CST"), "{text}");
    assert!(text.contains("alice (Alice Chen)"), "{text}");
    assert!(
        text.contains("next handoff: Sun 2026-03-08 09:00 CDT, to bob (Bob Okafor)"),
        "{text}"
    );
}

// ---- shifts --------------------------------------------------------------

#[test]
fn shifts_json_has_the_contract_shape() {
    assert_eq!(
        shifts_json("--schedule primary --from 2026-01-12T09:00:00-06:00 --to 2026-01-14T09:00:00-06:00 --json"),
        json!([
            {"person": "alice", "start": "2026-01-12T09:00:00-06:00", "end": "2026-01-12T17:00:00-06:00"},
            {"person": "bob", "start": "2026-01-12T17:00:00-06:00", "end": "2026-01-13T09:00:00-06:00"},
            {"person": "alice", "start": "2026-01-13T09:00:00-06:00", "end": "2026-01-13T17:00:00-06:00"},
            {"person": "bob", "start": "2026-01-13T17:00:00-06:00", "end": "2026-01-14T09:00:00-06:00"},
        ])
    );
}

#[test]
fn shifts_are_clipped_to_the_window() {
    assert_eq!(
        shifts_json(
            "--schedule daily --from 2026-03-02T12:00:00Z --to 2026-03-02T13:00:00Z --json"
        ),
        json!([{"person": "alice", "start": "2026-03-02T06:00:00-06:00", "end": "2026-03-02T07:00:00-06:00"}])
    );
}

#[test]
fn daily_rotation_across_spring_forward_keeps_the_wall_clock_handoff() {
    // Chicago springs forward on Sunday 2026-03-08 at 02:00: the 09:00
    // handoff stays at 09:00, the offset goes from -06:00 to -05:00 and the
    // Saturday shift lasts 23 real hours.
    assert_eq!(
        shifts_json("--schedule daily --from 2026-03-06T09:00:00-06:00 --to 2026-03-10T09:00:00-05:00 --json"),
        json!([
            {"person": "carol", "start": "2026-03-06T09:00:00-06:00", "end": "2026-03-07T09:00:00-06:00"},
            {"person": "alice", "start": "2026-03-07T09:00:00-06:00", "end": "2026-03-08T09:00:00-05:00"},
            {"person": "bob", "start": "2026-03-08T09:00:00-05:00", "end": "2026-03-09T09:00:00-05:00"},
            {"person": "carol", "start": "2026-03-09T09:00:00-05:00", "end": "2026-03-10T09:00:00-05:00"},
        ])
    );
}

#[test]
fn weekly_rotation_across_spring_forward_prints_both_offsets() {
    // The weekend of 2026-03-07/08 is in alice's round-the-clock week
    // (Mon 03-02 .. Mon 03-09); the business-hours layer is off at weekends.
    assert_eq!(
        shifts_json("--schedule primary --from 2026-03-07T00:00:00-06:00 --to 2026-03-09T00:00:00-05:00 --json"),
        json!([{"person": "alice", "start": "2026-03-07T00:00:00-06:00", "end": "2026-03-09T00:00:00-05:00"}])
    );
}

#[test]
fn shifts_for_people_show_zone_lengths_and_gaps() {
    let out = roster(
        "shifts",
        "gaps.toml",
        "--schedule office --from 2026-03-27T00:00:00Z --to 2026-03-31T00:00:00+01:00",
    );
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(text.contains("office (Europe/London)"), "{text}");
    // Friday in GMT, Monday in BST (UK clocks went forward on 2026-03-29).
    assert!(
        text.contains("Fri 2026-03-27 09:00 GMT -> Fri 2026-03-27 17:00 GMT"),
        "{text}"
    );
    assert!(
        text.contains("Mon 2026-03-30 09:00 BST -> Mon 2026-03-30 17:00 BST"),
        "{text}"
    );
    assert!(
        text.contains(
            "Fri 2026-03-27 17:00 GMT -> Mon 2026-03-30 09:00 BST  2d 15h  (nobody on call)"
        ),
        "{text}"
    );
    assert!(
        text.contains("bob (Bob Okafor)") && text.contains("alice (Alice Chen)"),
        "{text}"
    );
}

// ---- ical ----------------------------------------------------------------

/// The content lines of a calendar, folding undone.
fn unfolded_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for line in text.split("\r\n").filter(|l| !l.is_empty()) {
        match line.strip_prefix(' ') {
            Some(rest) => lines.last_mut().unwrap().push_str(rest),
            None => lines.push(line.to_string()),
        }
    }
    lines
}

#[test]
fn ical_of_a_schedule_exports_true_shift_bounds_in_utc() {
    // A one-hour window inside carol's shift of Friday 03-06 09:00 CST.
    let out = roster(
        "ical",
        "roster.toml",
        "--schedule daily --from 2026-03-07T12:00:00Z --to 2026-03-07T13:00:00Z",
    );
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(text.starts_with("BEGIN:VCALENDAR\r\n"));
    assert!(text.ends_with("END:VCALENDAR\r\n"));
    assert_eq!(
        text.matches('\n').count(),
        text.matches("\r\n").count(),
        "bare LF"
    );
    for line in text.split("\r\n") {
        assert!(line.len() <= 75, "{line:?}");
    }
    let lines = unfolded_lines(&text);
    for required in [
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:On call: daily",
    ] {
        assert!(lines.iter().any(|l| l == required), "missing {required}");
    }
    assert!(lines.iter().any(|l| l.starts_with("PRODID:")));
    assert!(lines
        .iter()
        .any(|l| l.starts_with("DTSTAMP:") && l.ends_with('Z')));
    assert_eq!(
        lines.iter().filter(|l| *l == "BEGIN:VEVENT").count(),
        1,
        "{text}"
    );
    for expected in [
        "UID:20260306T150000Z.daily.carol@klaxon",
        "DTSTART:20260306T150000Z",
        "DTEND:20260307T150000Z",
        "SUMMARY:On call: Carol Díaz (daily)",
    ] {
        assert!(
            lines.iter().any(|l| l == expected),
            "missing {expected}:\n{text}"
        );
    }
}

#[test]
fn ical_uids_are_stable_when_the_window_moves() {
    let events = |from: &str, to: &str| -> Vec<String> {
        let args = format!("--schedule primary --from {from} --to {to}");
        let out = roster("ical", "roster.toml", &args);
        assert_exit(&out, 0);
        unfolded_lines(&stdout(&out))
            .into_iter()
            .filter(|l| {
                ["UID:", "DTSTART:", "DTEND:"]
                    .iter()
                    .any(|p| l.starts_with(p))
            })
            .collect()
    };
    let a = events("2026-01-06T00:00:00Z", "2026-01-20T00:00:00Z");
    let b = events("2026-01-06T11:00:00Z", "2026-01-20T05:00:00Z");
    assert!(a.len() > 10);
    assert_eq!(a, b);
}

#[test]
fn ical_of_a_person_spans_every_schedule() {
    let out = roster(
        "ical",
        "roster.toml",
        "--person alice --from 2026-03-01T00:00:00Z --to 2026-03-15T00:00:00Z",
    );
    assert_exit(&out, 0);
    let lines = unfolded_lines(&stdout(&out));
    assert!(lines
        .iter()
        .any(|l| l == "X-WR-CALNAME:On call: Alice Chen"));
    assert!(lines
        .iter()
        .any(|l| l == "SUMMARY:On call: Alice Chen (daily)"));
    assert!(lines
        .iter()
        .any(|l| l == "SUMMARY:On call: Alice Chen (primary)"));
    let summaries = lines.iter().filter(|l| l.starts_with("SUMMARY:"));
    assert!(summaries.clone().count() > 5);
    assert!(summaries.clone().all(|l| l.contains("Alice Chen")));
}

#[test]
fn ical_default_window_is_a_week_back_to_90_days_ahead() {
    let out = roster("ical", "roster.toml", "--schedule daily");
    assert_exit(&out, 0);
    // Daily shifts intersecting a 97-day window: about 98 of them.
    let events = stdout(&out).matches("BEGIN:VEVENT").count();
    assert!((96..=99).contains(&events), "{events} events");
}

#[test]
fn ical_needs_exactly_one_of_schedule_or_person() {
    assert_exit(&roster("ical", "roster.toml", ""), 2);
    assert_exit(
        &roster("ical", "roster.toml", "--schedule daily --person alice"),
        2,
    );
}

// ---- bad input -----------------------------------------------------------

#[test]
fn unknown_schedule_names_it_and_lists_the_valid_ids() {
    for (command, window) in [
        ("who", ""),
        ("ical", ""),
        (
            "shifts",
            "--from 2026-01-01T00:00:00Z --to 2026-01-02T00:00:00Z",
        ),
    ] {
        let out = roster(command, "roster.toml", &format!("--schedule nope {window}"));
        let line = one_error_line(&out);
        assert!(line.contains("\"nope\""), "{line}");
        assert!(line.contains("primary, daily"), "{line}");
    }
}

#[test]
fn unknown_person_names_it_and_lists_the_valid_ids() {
    let line = one_error_line(&roster("ical", "roster.toml", "--person dave"));
    assert!(line.contains("\"dave\""), "{line}");
    assert!(line.contains("alice, bob, carol"), "{line}");
}

#[test]
fn bad_times_say_the_expected_form() {
    for at in [
        "tomorrow",
        "2026-03-08",
        "2026-03-08T03:00:00",
        "2026-13-01T00:00:00Z",
    ] {
        let out = roster("who", "roster.toml", &format!("--schedule daily --at {at}"));
        let line = one_error_line(&out);
        assert!(line.contains("--at") && line.contains("RFC 3339"), "{line}");
        assert!(line.contains("2026-03-08T03:00:00-05:00"), "{line}");
    }
    let out = roster(
        "shifts",
        "roster.toml",
        "--schedule daily --from 2026-01-01T00:00:00Z --to soon",
    );
    let line = one_error_line(&out);
    assert!(line.contains("--to") && line.contains("\"soon\""), "{line}");
}

#[test]
fn empty_or_backwards_window_is_bad_input() {
    for (from, to) in [
        ("2026-01-02T00:00:00Z", "2026-01-01T00:00:00Z"),
        ("2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"),
        ("2026-01-01T06:00:00+06:00", "2026-01-01T00:00:00Z"),
    ] {
        for command in ["shifts", "ical"] {
            let args = format!("--schedule daily --from {from} --to {to}");
            let line = one_error_line(&roster(command, "roster.toml", &args));
            assert!(
                line.contains("--from") && line.contains("before --to"),
                "{line}"
            );
        }
    }
}

#[test]
fn windows_longer_than_ten_years_are_refused() {
    for command in ["shifts", "ical"] {
        let args = "--schedule daily --from 2000-01-01T00:00:00Z --to 2030-01-01T00:00:00Z";
        let line = one_error_line(&roster(command, "roster.toml", args));
        assert!(line.contains("3660 days"), "{line}");
    }
    let out = roster(
        "shifts",
        "roster.toml",
        "--schedule daily --from 2026-01-01T00:00:00Z --to 2036-01-01T00:00:00Z --json",
    );
    // Nobody is on call before the layer starts (2026-03-01 09:00 Chicago
    // time); from then, one shift a day to the window's end: 3593 shifts.
    assert_eq!(json_of(&out).as_array().map(Vec::len), Some(3593));
}

#[test]
fn missing_flags_are_usage_errors() {
    assert_exit(&klaxon(&["roster", "who", "--schedule", "daily"]), 2);
    assert_exit(&roster("shifts", "roster.toml", "--schedule daily"), 2);
    assert_exit(&roster("who", "roster.toml", ""), 2);
    assert_exit(&klaxon(&["roster", "frobnicate"]), 2);
    assert_exit(&klaxon(&[]), 2);
}

/// A two-person hourly schedule in `zone`, written to a fresh directory.
fn hourly_roster(zone: &str, start: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hourly.toml");
    std::fs::write(
        &path,
        fixtures::fill(fixtures::HOURLY, &[("{zone}", zone), ("{start}", start)]),
    )
    .unwrap();
    let path = path.display().to_string();
    (dir, path)
}

/// `klaxon roster <command> --config <config> --schedule s <args>`: a
/// query of the one schedule of [`hourly_roster`].
fn schedule_s(config: &str, command: &str, args: &[&str]) -> Output {
    let mut all = vec!["roster", command, "--config", config, "--schedule", "s"];
    all.extend_from_slice(args);
    klaxon(&all)
}

#[test]
fn instants_whose_outputs_would_leave_years_1_to_9999_are_refused_naming_the_flag() {
    // Pacific/Chatham is UTC+13:45 in its summer: 9999-12-31T23:59:59Z is
    // already year 10000 there, and a calendar window near either end would
    // export shifts from beyond it.
    // The layer starts in 1970, so a calendar at the low end has shifts
    // (nobody is on call before a layer's start).
    let (_dir, config) = hourly_roster("Pacific/Chatham", "1970-01-01T00:00:00");
    for (args, flag) in [
        ("who --schedule s --at 9999-12-31T23:59:59Z --json", "--at"),
        ("who --schedule s --at 0000-01-01T00:00:00Z", "--at"),
        ("who --schedule s --at 1969-12-31T23:59:59Z --json", "--at"),
        (
            "shifts --schedule s --from 9999-12-01T00:00:00Z --to 9999-12-31T23:59:59Z",
            "--from",
        ),
        (
            "ical --schedule s --from 0001-01-01T00:00:00Z --to 0001-02-01T00:00:00Z",
            "--from",
        ),
        ("ical --schedule s --to 9999-12-31T00:00:00Z", "--to"),
    ] {
        let mut all = vec!["roster"];
        all.extend(args.split_whitespace().take(1));
        all.extend(["--config", &config]);
        all.extend(args.split_whitespace().skip(1));
        let line = one_error_line(&klaxon(&all));
        assert!(
            line.contains(&format!("{flag}: ")) && line.contains("out of range"),
            "{args}: {line}"
        );
        assert!(
            line.contains("1970-01-01T00:00:00Z") && line.contains("9997-12-31T23:59:59Z"),
            "{args}: {line}"
        );
    }

    // The last instant accepted prints a four-digit year in the zone...
    let out = schedule_s(&config, "who", &["--at", "9997-12-31T23:59:59Z", "--json"]);
    assert_eq!(json_of(&out)["at"], "9998-01-01T13:44:59+13:45");
    let out = schedule_s(&config, "who", &["--at", "9997-12-31T23:59:59Z"]);
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("next handoff: Thu 9998-01-01 14:00"),
        "{}",
        stdout(&out)
    );
    // ...and the calendars at both ends stay within years 1 to 9999.
    for (from, to) in [
        ("9997-12-01T00:00:00Z", "9997-12-31T23:59:59Z"),
        ("1970-01-01T00:00:00Z", "1970-01-02T00:00:00Z"),
    ] {
        let out = schedule_s(&config, "ical", &["--from", from, "--to", to]);
        assert_exit(&out, 0);
        let text = stdout(&out);
        let stamps: Vec<&str> = text
            .lines()
            .filter_map(|l| {
                l.strip_prefix("DTSTART:")
                    .or_else(|| l.strip_prefix("DTEND:"))
            })
            .collect();
        assert!(!stamps.is_empty(), "{text}");
        for stamp in stamps {
            let basic = stamp.len() == 16
                && stamp.as_bytes()[8] == b'T'
                && stamp.ends_with('Z')
                && stamp[..8]
                    .bytes()
                    .chain(stamp[9..15].bytes())
                    .all(|b| b.is_ascii_digit());
            assert!(basic, "not an RFC 5545 UTC date-time: {stamp:?}");
        }
    }
}

#[test]
fn an_offset_with_seconds_prints_the_exact_instant() {
    // Monrovia Mean Time was -00:44:30 until 1972-01-07: RFC 3339 cannot
    // write that offset, so those instants print in UTC; from then on GMT.
    let (_dir, config) = hourly_roster("Africa/Monrovia", "1971-12-01T00:00:00");
    let out = schedule_s(&config, "who", &["--at", "1971-06-01T12:00:00Z", "--json"]);
    assert_eq!(json_of(&out)["at"], "1971-06-01T12:00:00Z");
    let out = schedule_s(
        &config,
        "shifts",
        &[
            "--from",
            "1972-01-06T22:00:00Z",
            "--to",
            "1972-01-07T02:00:00Z",
            "--json",
        ],
    );
    let shifts = json_of(&out);
    let starts: Vec<&str> = shifts
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["start"].as_str().unwrap())
        .collect();
    // Handoffs on the local hour: at :44:30 past the UTC hour under MMT.
    assert_eq!(
        starts,
        [
            "1972-01-06T22:00:00Z",
            "1972-01-06T22:44:30Z",
            "1972-01-06T23:44:30Z",
            "1972-01-07T00:44:30+00:00",
            "1972-01-07T01:00:00+00:00",
        ],
        "{shifts}"
    );
}
