//! The schedule engine against hand-derived cases: each rotation kind and
//! length, restrictions (same-day, overnight, whole-day), overrides and
//! layering, and DST in four zones (both transitions, each rotation kind).
//! Every expected instant below was worked out from the zone's published
//! rules, not from the engine.

use chrono::{DateTime, Utc};
use klaxon_domain::{Roster, Schedule};

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// People `a` to `d` (`tests/fixtures/people-abcd.toml`), the start of every
/// roster these tests build.
const PEOPLE: &str = include_str!("../../../tests/fixtures/people-abcd.toml");

/// A roster with one schedule `s` in `zone` built from `body` (layers, overrides).
fn schedule(zone: &str, body: &str) -> Schedule {
    let text = format!("{PEOPLE}\n[[schedules]]\nid = \"s\"\ntime_zone = \"{zone}\"\n{body}");
    let roster = Roster::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    roster.schedule("s").unwrap().clone()
}

fn layer(rotation: &str, length: u32, start: &str, participants: &str) -> String {
    format!(
        "[[schedules.layers]]\nrotation = \"{rotation}\"\nlength = {length}\nstart = \"{start}\"\nparticipants = {participants}\n"
    )
}

/// Shifts in the window as (person, start, end) in RFC 3339 UTC.
fn shifts(s: &Schedule, from: &str, to: &str) -> Vec<(String, String, String)> {
    s.shifts(utc(from), utc(to))
        .into_iter()
        .map(|sh| {
            (
                sh.person,
                sh.start.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                sh.end.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            )
        })
        .collect()
}

fn sh(p: &str, s: &str, e: &str) -> (String, String, String) {
    (p.to_string(), s.to_string(), e.to_string())
}

fn who(s: &Schedule, at: &str) -> Vec<String> {
    s.who(utc(at)).into_iter().map(String::from).collect()
}

// ---- rotation kinds and lengths (UTC, no DST) ------------------------------

#[test]
fn hourly_length_two_rotates_every_two_hours() {
    let s = schedule(
        "UTC",
        &layer("hourly", 2, "2026-01-01T00:00:00", r#"["a", "b", "c"]"#),
    );
    assert_eq!(
        shifts(&s, "2026-01-01T00:00:00Z", "2026-01-01T07:00:00Z"),
        vec![
            sh("a", "2026-01-01T00:00:00Z", "2026-01-01T02:00:00Z"),
            sh("b", "2026-01-01T02:00:00Z", "2026-01-01T04:00:00Z"),
            sh("c", "2026-01-01T04:00:00Z", "2026-01-01T06:00:00Z"),
            sh("a", "2026-01-01T06:00:00Z", "2026-01-01T07:00:00Z"),
        ]
    );
}

#[test]
fn daily_length_three_and_indices_run_backwards() {
    let s = schedule(
        "UTC",
        &layer("daily", 3, "2026-01-10T08:00:00", r#"["a", "b"]"#),
    );
    // Shift -1 is [Jan 7 08:00, Jan 10 08:00) and goes to participants[-1 mod 2] = b.
    assert_eq!(who(&s, "2026-01-09T12:00:00Z"), vec!["b"]);
    assert_eq!(who(&s, "2026-01-06T12:00:00Z"), vec!["a"]);
    assert_eq!(who(&s, "2026-01-10T07:59:59Z"), vec!["b"]);
    assert_eq!(who(&s, "2026-01-10T08:00:00Z"), vec!["a"]);
    assert_eq!(who(&s, "2026-01-13T08:00:00Z"), vec!["b"]);
}

#[test]
fn weekly_with_one_participant_merges_into_one_shift() {
    let s = schedule(
        "UTC",
        &layer("weekly", 1, "2026-01-05T09:00:00", r#"["a"]"#),
    );
    assert_eq!(
        shifts(&s, "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"),
        vec![sh("a", "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z")]
    );
}

#[test]
fn weekly_length_two() {
    let s = schedule(
        "UTC",
        &layer("weekly", 2, "2026-01-05T09:00:00", r#"["a", "b"]"#),
    );
    assert_eq!(who(&s, "2026-01-18T23:00:00Z"), vec!["a"]);
    assert_eq!(who(&s, "2026-01-19T09:00:00Z"), vec!["b"]);
    assert_eq!(who(&s, "2026-02-02T09:00:00Z"), vec!["a"]);
}

#[test]
fn monthly_clamps_to_the_last_day_and_counts_from_start() {
    let s = schedule(
        "UTC",
        &layer("monthly", 1, "2026-01-31T10:00:00", r#"["a", "b", "c"]"#),
    );
    assert_eq!(
        shifts(&s, "2026-01-31T10:00:00Z", "2026-04-30T10:00:00Z"),
        vec![
            sh("a", "2026-01-31T10:00:00Z", "2026-02-28T10:00:00Z"),
            sh("b", "2026-02-28T10:00:00Z", "2026-03-31T10:00:00Z"),
            sh("c", "2026-03-31T10:00:00Z", "2026-04-30T10:00:00Z"),
        ]
    );
}

#[test]
fn monthly_length_two() {
    let s = schedule(
        "UTC",
        &layer("monthly", 2, "2026-01-01T00:00:00", r#"["a", "b"]"#),
    );
    assert_eq!(who(&s, "2026-02-28T23:59:59Z"), vec!["a"]);
    assert_eq!(who(&s, "2026-03-01T00:00:00Z"), vec!["b"]);
    assert_eq!(who(&s, "2025-12-31T00:00:00Z"), vec!["b"]);
}

// ---- restrictions ----------------------------------------------------------

#[test]
fn same_day_restriction_limits_to_business_hours() {
    let body = format!(
        "{}[[schedules.layers.restrictions]]\ndays = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]\nfrom = \"09:00\"\nto = \"17:00\"\n",
        layer("weekly", 1, "2026-01-05T00:00:00", r#"["a"]"#)
    );
    let s = schedule("UTC", &body);
    // Fri 2026-01-09 and Mon 2026-01-12; nothing on the weekend.
    assert_eq!(
        shifts(&s, "2026-01-09T00:00:00Z", "2026-01-13T00:00:00Z"),
        vec![
            sh("a", "2026-01-09T09:00:00Z", "2026-01-09T17:00:00Z"),
            sh("a", "2026-01-12T09:00:00Z", "2026-01-12T17:00:00Z"),
        ]
    );
    assert!(who(&s, "2026-01-10T12:00:00Z").is_empty());
}

#[test]
fn overnight_restriction_belongs_to_the_day_it_starts() {
    let body = format!(
        "{}[[schedules.layers.restrictions]]\ndays = [\"fri\"]\nfrom = \"22:00\"\nto = \"06:00\"\n",
        layer("daily", 1, "2026-01-01T00:00:00", r#"["a", "b"]"#)
    );
    let s = schedule("UTC", &body);
    // The Friday 2026-01-09 window runs into Saturday, across a handoff at midnight.
    assert_eq!(
        shifts(&s, "2026-01-08T00:00:00Z", "2026-01-12T00:00:00Z"),
        vec![
            sh("a", "2026-01-09T22:00:00Z", "2026-01-10T00:00:00Z"),
            sh("b", "2026-01-10T00:00:00Z", "2026-01-10T06:00:00Z"),
        ]
    );
    assert!(who(&s, "2026-01-10T22:30:00Z").is_empty());
}

#[test]
fn whole_day_restriction_when_from_equals_to() {
    let body = format!(
        "{}[[schedules.layers.restrictions]]\ndays = [\"sat\", \"sun\"]\nfrom = \"00:00\"\nto = \"00:00\"\n",
        layer("weekly", 1, "2026-01-05T00:00:00", r#"["c"]"#)
    );
    let s = schedule("UTC", &body);
    assert_eq!(
        shifts(&s, "2026-01-08T00:00:00Z", "2026-01-13T00:00:00Z"),
        vec![sh("c", "2026-01-10T00:00:00Z", "2026-01-12T00:00:00Z")]
    );
}

// ---- layering and overrides ------------------------------------------------

fn layered() -> Schedule {
    // Base: a and b trade weekly. Top: d covers weekday nights 18:00-08:00.
    let body = format!(
        "{}{}[[schedules.layers.restrictions]]\ndays = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]\nfrom = \"18:00\"\nto = \"08:00\"\n",
        layer("weekly", 1, "2026-01-05T09:00:00", r#"["a", "b"]"#),
        layer("weekly", 1, "2026-01-05T00:00:00", r#"["d"]"#)
    );
    schedule("UTC", &body)
}

#[test]
fn later_layer_replaces_earlier_where_it_is_on_call() {
    let s = layered();
    assert_eq!(who(&s, "2026-01-06T12:00:00Z"), vec!["a"]);
    assert_eq!(who(&s, "2026-01-06T20:00:00Z"), vec!["d"]);
    assert_eq!(who(&s, "2026-01-10T20:00:00Z"), vec!["a"]); // Saturday night: no top layer
    assert_eq!(
        shifts(&s, "2026-01-06T00:00:00Z", "2026-01-07T00:00:00Z"),
        vec![
            sh("d", "2026-01-06T00:00:00Z", "2026-01-06T08:00:00Z"),
            sh("a", "2026-01-06T08:00:00Z", "2026-01-06T18:00:00Z"),
            sh("d", "2026-01-06T18:00:00Z", "2026-01-07T00:00:00Z"),
        ]
    );
}

#[test]
fn override_add_remove_and_replace() {
    let body = format!(
        "{}{}",
        layer("weekly", 1, "2026-01-05T09:00:00", r#"["a", "b"]"#),
        r#"
[[schedules.overrides]]
start = "2026-01-06T10:00:00Z"
end = "2026-01-06T12:00:00Z"
add = "c"
[[schedules.overrides]]
start = "2026-01-07T10:00:00Z"
end = "2026-01-07T12:00:00Z"
remove = "a"
[[schedules.overrides]]
start = "2026-01-08T10:00:00Z"
end = "2026-01-08T12:00:00Z"
add = "c"
remove = "a"
[[schedules.overrides]]
start = "2026-01-09T10:00:00Z"
end = "2026-01-09T12:00:00Z"
add = "c"
remove = "b"
"#
    );
    let s = schedule("UTC", &body);
    assert_eq!(who(&s, "2026-01-06T11:00:00Z"), vec!["a", "c"]);
    assert!(who(&s, "2026-01-07T11:00:00Z").is_empty());
    assert_eq!(who(&s, "2026-01-08T11:00:00Z"), vec!["c"]);
    // Replacing b does nothing while b is not on call.
    assert_eq!(who(&s, "2026-01-09T11:00:00Z"), vec!["a"]);
    let day = shifts(&s, "2026-01-06T00:00:00Z", "2026-01-07T00:00:00Z");
    assert_eq!(
        day,
        vec![
            sh("a", "2026-01-06T00:00:00Z", "2026-01-07T00:00:00Z"),
            sh("c", "2026-01-06T10:00:00Z", "2026-01-06T12:00:00Z"),
        ]
    );
    let gaps = s.gaps(utc("2026-01-07T00:00:00Z"), utc("2026-01-08T00:00:00Z"));
    assert_eq!(gaps.len(), 1);
    assert_eq!(gaps[0].start, utc("2026-01-07T10:00:00Z"));
    assert_eq!(gaps[0].end, utc("2026-01-07T12:00:00Z"));
}

#[test]
fn next_handoff_finds_the_next_change() {
    let s = layered();
    let h = s.next_handoff(utc("2026-01-06T12:00:00Z")).unwrap();
    assert_eq!(h.at, utc("2026-01-06T18:00:00Z"));
    assert_eq!(h.people, vec!["d"]);
}

#[test]
fn person_shifts_span_every_schedule() {
    let text = format!(
        "{PEOPLE}
[[schedules]]
id = \"one\"
time_zone = \"UTC\"
{}
[[schedules]]
id = \"two\"
time_zone = \"UTC\"
{}",
        layer("daily", 1, "2026-01-01T00:00:00", r#"["a", "b"]"#),
        layer("daily", 1, "2026-01-01T12:00:00", r#"["a", "c"]"#)
    );
    let roster = Roster::parse(&text).unwrap();
    let mine = roster.person_shifts(
        "a",
        utc("2026-01-01T00:00:00Z"),
        utc("2026-01-03T00:00:00Z"),
    );
    let got: Vec<(String, DateTime<Utc>)> =
        mine.iter().map(|s| (s.schedule.clone(), s.start)).collect();
    assert_eq!(
        got,
        vec![
            ("one".to_string(), utc("2026-01-01T00:00:00Z")),
            ("two".to_string(), utc("2026-01-01T12:00:00Z")),
        ]
    );
}

// ---- DST: America/Chicago (2026-03-08 02:00 -> 03:00; 2026-11-01 02:00 -> 01:00)

#[test]
fn chicago_daily_spring_shift_lasts_23_hours_and_fall_25() {
    let s = schedule(
        "America/Chicago",
        &layer("daily", 1, "2026-03-01T09:00:00", r#"["a", "b"]"#),
    );
    assert_eq!(
        shifts(&s, "2026-03-07T15:00:00Z", "2026-03-09T14:00:00Z"),
        vec![
            sh("a", "2026-03-07T15:00:00Z", "2026-03-08T14:00:00Z"),
            sh("b", "2026-03-08T14:00:00Z", "2026-03-09T14:00:00Z"),
        ]
    );
    let fall = schedule(
        "America/Chicago",
        &layer("daily", 1, "2026-10-01T09:00:00", r#"["a", "b"]"#),
    );
    // Oct 31 09:00 CDT = 14:00Z; Nov 1 09:00 CST = 15:00Z.
    assert_eq!(
        shifts(&fall, "2026-10-31T14:00:00Z", "2026-11-01T15:00:00Z"),
        vec![sh("a", "2026-10-31T14:00:00Z", "2026-11-01T15:00:00Z")] // shift 30
    );
    assert_eq!(who(&fall, "2026-11-01T14:59:59Z"), vec!["a"]);
    assert_eq!(who(&fall, "2026-11-01T15:00:00Z"), vec!["b"]);
}

#[test]
fn chicago_hourly_across_both_transitions() {
    let s = schedule(
        "America/Chicago",
        &layer("hourly", 1, "2026-03-08T00:00:00", r#"["a", "b", "c"]"#),
    );
    // 01:00 CST shift ends at 03:00 CDT (one real hour); the 02:00 shift (c) is empty.
    assert_eq!(
        shifts(&s, "2026-03-08T06:00:00Z", "2026-03-08T10:00:00Z"),
        vec![
            sh("a", "2026-03-08T06:00:00Z", "2026-03-08T07:00:00Z"),
            sh("b", "2026-03-08T07:00:00Z", "2026-03-08T08:00:00Z"),
            sh("a", "2026-03-08T08:00:00Z", "2026-03-08T09:00:00Z"),
            sh("b", "2026-03-08T09:00:00Z", "2026-03-08T10:00:00Z"),
        ]
    );
    let fall = schedule(
        "America/Chicago",
        &layer("hourly", 1, "2026-11-01T00:00:00", r#"["a", "b", "c"]"#),
    );
    // 01:00 happens twice: the 01:00 shift starts at the first (CDT) and runs to 02:00 CST: two real hours.
    assert_eq!(
        shifts(&fall, "2026-11-01T05:00:00Z", "2026-11-01T09:00:00Z"),
        vec![
            sh("a", "2026-11-01T05:00:00Z", "2026-11-01T06:00:00Z"),
            sh("b", "2026-11-01T06:00:00Z", "2026-11-01T08:00:00Z"),
            sh("c", "2026-11-01T08:00:00Z", "2026-11-01T09:00:00Z"),
        ]
    );
}

#[test]
fn chicago_weekly_spring_shift_lasts_167_hours() {
    let s = schedule(
        "America/Chicago",
        &layer("weekly", 1, "2026-03-02T09:00:00", r#"["a", "b"]"#),
    );
    assert_eq!(
        shifts(&s, "2026-03-02T15:00:00Z", "2026-03-16T14:00:00Z"),
        vec![
            sh("a", "2026-03-02T15:00:00Z", "2026-03-09T14:00:00Z"),
            sh("b", "2026-03-09T14:00:00Z", "2026-03-16T14:00:00Z"),
        ]
    );
    let fall = schedule(
        "America/Chicago",
        &layer("weekly", 1, "2026-10-26T09:00:00", r#"["a", "b"]"#),
    );
    assert_eq!(
        shifts(&fall, "2026-10-26T14:00:00Z", "2026-11-09T15:00:00Z"),
        vec![
            sh("a", "2026-10-26T14:00:00Z", "2026-11-02T15:00:00Z"),
            sh("b", "2026-11-02T15:00:00Z", "2026-11-09T15:00:00Z"),
        ]
    );
}

#[test]
fn chicago_monthly_handoff_in_the_gap_and_in_the_fold() {
    // 2026-03-08 02:30 does not exist: the handoff happens at 03:00 CDT = 08:00Z.
    let s = schedule(
        "America/Chicago",
        &layer("monthly", 1, "2026-02-08T02:30:00", r#"["a", "b"]"#),
    );
    assert_eq!(
        shifts(&s, "2026-02-08T08:30:00Z", "2026-04-08T07:30:00Z"),
        vec![
            sh("a", "2026-02-08T08:30:00Z", "2026-03-08T08:00:00Z"),
            sh("b", "2026-03-08T08:00:00Z", "2026-04-08T07:30:00Z"),
        ]
    );
    // 2026-11-01 01:30 happens twice: the handoff is the first one, 01:30 CDT = 06:30Z.
    let fall = schedule(
        "America/Chicago",
        &layer("monthly", 1, "2026-10-01T01:30:00", r#"["a", "b"]"#),
    );
    assert_eq!(who(&fall, "2026-11-01T06:29:59Z"), vec!["a"]);
    assert_eq!(who(&fall, "2026-11-01T06:30:00Z"), vec!["b"]);
    assert_eq!(who(&fall, "2026-11-01T07:45:00Z"), vec!["b"]); // the second 01:45
}

#[test]
fn chicago_restriction_windows_follow_the_wall_clock() {
    let body = format!(
        "{}[[schedules.layers.restrictions]]\ndays = [\"sat\"]\nfrom = \"22:00\"\nto = \"06:00\"\n\
         [[schedules.layers.restrictions]]\ndays = [\"mon\", \"fri\"]\nfrom = \"09:00\"\nto = \"17:00\"\n",
        layer("weekly", 1, "2026-01-05T00:00:00", r#"["a"]"#)
    );
    let s = schedule("America/Chicago", &body);
    assert_eq!(
        shifts(&s, "2026-03-06T00:00:00Z", "2026-03-10T00:00:00Z"),
        vec![
            sh("a", "2026-03-06T15:00:00Z", "2026-03-06T23:00:00Z"), // Fri 09-17 CST
            sh("a", "2026-03-08T04:00:00Z", "2026-03-08T11:00:00Z"), // Sat 22 CST -> Sun 06 CDT: 7h
            sh("a", "2026-03-09T14:00:00Z", "2026-03-09T22:00:00Z"), // Mon 09-17 CDT
        ]
    );
}

// ---- Europe/London (2026-03-29 01:00 -> 02:00; 2026-10-25 02:00 -> 01:00) --

#[test]
fn london_daily_handoff_in_the_gap_and_in_the_fold() {
    let s = schedule(
        "Europe/London",
        &layer("daily", 1, "2026-03-01T01:30:00", r#"["a", "b"]"#),
    );
    // Mar 29 01:30 does not exist -> 02:00 BST = 01:00Z.
    assert_eq!(
        shifts(&s, "2026-03-28T01:30:00Z", "2026-03-30T00:30:00Z"),
        vec![
            sh("b", "2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z"),
            sh("a", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"),
        ]
    );
    let fall = schedule(
        "Europe/London",
        &layer("daily", 1, "2026-10-01T01:30:00", r#"["a", "b"]"#),
    );
    // Oct 25 01:30 happens twice -> the first, 01:30 BST = 00:30Z; the shift to Oct 26 01:30 GMT lasts 25h.
    assert_eq!(
        shifts(&fall, "2026-10-24T00:30:00Z", "2026-10-26T01:30:00Z"),
        vec![
            sh("b", "2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z"), // shift 23
            sh("a", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"),
        ]
    );
}

#[test]
fn london_hourly_and_weekly() {
    let s = schedule(
        "Europe/London",
        &layer("hourly", 1, "2026-03-29T00:00:00", r#"["a", "b"]"#),
    );
    // 00:00 GMT (a) ends at 02:00 BST = 01:00Z; 01:00 (b) is empty; 02:00 BST (a).
    assert_eq!(
        shifts(&s, "2026-03-29T00:00:00Z", "2026-03-29T02:00:00Z"),
        vec![sh("a", "2026-03-29T00:00:00Z", "2026-03-29T02:00:00Z")]
    );
    let w = schedule(
        "Europe/London",
        &layer("weekly", 1, "2026-10-19T09:00:00", r#"["a", "b"]"#),
    );
    assert_eq!(who(&w, "2026-10-26T08:59:59Z"), vec!["a"]);
    assert_eq!(who(&w, "2026-10-26T09:00:00Z"), vec!["b"]);
}

#[test]
fn london_monthly_across_both_transitions() {
    let s = schedule(
        "Europe/London",
        &layer("monthly", 1, "2026-02-15T09:00:00", r#"["a", "b"]"#),
    );
    // Mar 15 09:00 GMT = 09:00Z, Apr 15 09:00 BST = 08:00Z, Nov 15 09:00 GMT = 09:00Z.
    assert_eq!(
        shifts(&s, "2026-03-15T09:00:00Z", "2026-05-15T08:00:00Z"),
        vec![
            sh("b", "2026-03-15T09:00:00Z", "2026-04-15T08:00:00Z"),
            sh("a", "2026-04-15T08:00:00Z", "2026-05-15T08:00:00Z"),
        ]
    );
    assert_eq!(who(&s, "2026-11-15T08:59:59Z"), vec!["a"]);
    assert_eq!(who(&s, "2026-11-15T09:00:00Z"), vec!["b"]);
}

// ---- Australia/Lord_Howe: a 30-minute DST shift ----------------------------
// 2026-04-05 02:00 +11:00 -> 01:30 +10:30; 2026-10-04 02:00 +10:30 -> 02:30 +11:00.

#[test]
fn lord_howe_daily_shifts_last_23h45_in_spring_and_24h30_in_autumn() {
    let s = schedule(
        "Australia/Lord_Howe",
        &layer("daily", 1, "2026-10-01T02:15:00", r#"["a", "b"]"#),
    );
    // Oct 3 02:15 +10:30 = Oct 2 15:45Z; Oct 4 02:15 is in the gap -> 02:30 +11 = Oct 3 15:30Z;
    // Oct 5 02:15 +11 = Oct 4 15:15Z.
    assert_eq!(
        shifts(&s, "2026-10-02T15:45:00Z", "2026-10-04T15:15:00Z"),
        vec![
            sh("a", "2026-10-02T15:45:00Z", "2026-10-03T15:30:00Z"),
            sh("b", "2026-10-03T15:30:00Z", "2026-10-04T15:15:00Z"),
        ]
    );
    let fall = schedule(
        "Australia/Lord_Howe",
        &layer("daily", 1, "2026-04-01T09:00:00", r#"["a", "b"]"#),
    );
    // Apr 4 09:00 +11 = Apr 3 22:00Z; Apr 5 09:00 +10:30 = Apr 4 22:30Z.
    assert_eq!(
        shifts(&fall, "2026-04-03T22:00:00Z", "2026-04-04T22:30:00Z"),
        vec![sh("b", "2026-04-03T22:00:00Z", "2026-04-04T22:30:00Z")] // shift 3
    );
}

#[test]
fn lord_howe_hourly_in_the_half_hour_fold_and_gap() {
    let s = schedule(
        "Australia/Lord_Howe",
        &layer("hourly", 1, "2026-04-05T00:00:00", r#"["a", "b", "c"]"#),
    );
    // 00:00 +11 = Apr 4 13:00Z; 01:00 +11 = 14:00Z; 02:00 +10:30 = 15:30Z (01:30-02:00 repeats).
    assert_eq!(
        shifts(&s, "2026-04-04T13:00:00Z", "2026-04-04T16:30:00Z"),
        vec![
            sh("a", "2026-04-04T13:00:00Z", "2026-04-04T14:00:00Z"),
            sh("b", "2026-04-04T14:00:00Z", "2026-04-04T15:30:00Z"),
            sh("c", "2026-04-04T15:30:00Z", "2026-04-04T16:30:00Z"),
        ]
    );
    let spring = schedule(
        "Australia/Lord_Howe",
        &layer("hourly", 1, "2026-10-04T00:00:00", r#"["a", "b", "c"]"#),
    );
    // 01:00 +10:30 = Oct 3 14:30Z; 02:00 is in the gap -> 02:30 +11 = 15:30Z; 03:00 +11 = 16:00Z.
    assert_eq!(
        shifts(&spring, "2026-10-03T14:30:00Z", "2026-10-03T16:00:00Z"),
        vec![
            sh("b", "2026-10-03T14:30:00Z", "2026-10-03T15:30:00Z"),
            sh("c", "2026-10-03T15:30:00Z", "2026-10-03T16:00:00Z"),
        ]
    );
}

#[test]
fn lord_howe_weekly_and_monthly() {
    let w = schedule(
        "Australia/Lord_Howe",
        &layer("weekly", 1, "2026-09-28T09:00:00", r#"["a", "b"]"#),
    );
    // Sep 28 09:00 +10:30 = Sep 27 22:30Z; Oct 5 09:00 +11 = Oct 4 22:00Z.
    assert_eq!(
        shifts(&w, "2026-09-27T22:30:00Z", "2026-10-11T22:00:00Z"),
        vec![
            sh("a", "2026-09-27T22:30:00Z", "2026-10-04T22:00:00Z"),
            sh("b", "2026-10-04T22:00:00Z", "2026-10-11T22:00:00Z"),
        ]
    );
    let m = schedule(
        "Australia/Lord_Howe",
        &layer("monthly", 1, "2026-03-05T01:45:00", r#"["a", "b"]"#),
    );
    // Apr 5 01:45 happens twice -> first (+11) = Apr 4 14:45Z.
    assert_eq!(who(&m, "2026-04-04T14:44:59Z"), vec!["a"]);
    assert_eq!(who(&m, "2026-04-04T14:45:00Z"), vec!["b"]);
}

// ---- Asia/Kolkata: +05:30 all year --------------------------------------

#[test]
fn kolkata_half_hour_offset_without_dst() {
    let d = schedule(
        "Asia/Kolkata",
        &layer("daily", 1, "2026-03-01T09:00:00", r#"["a", "b"]"#),
    );
    assert_eq!(
        shifts(&d, "2026-03-08T03:30:00Z", "2026-03-10T03:30:00Z"),
        vec![
            sh("b", "2026-03-08T03:30:00Z", "2026-03-09T03:30:00Z"), // shift 7
            sh("a", "2026-03-09T03:30:00Z", "2026-03-10T03:30:00Z"),
        ]
    );
    let h = schedule(
        "Asia/Kolkata",
        &layer("hourly", 1, "2026-11-01T00:30:00", r#"["a", "b"]"#),
    );
    assert_eq!(who(&h, "2026-10-31T19:00:00Z"), vec!["a"]); // 00:30 IST
    assert_eq!(who(&h, "2026-10-31T20:00:00Z"), vec!["b"]);
    let w = schedule(
        "Asia/Kolkata",
        &layer("weekly", 1, "2026-03-02T09:00:00", r#"["a", "b"]"#),
    );
    assert_eq!(who(&w, "2026-03-09T03:29:59Z"), vec!["a"]);
    assert_eq!(who(&w, "2026-03-09T03:30:00Z"), vec!["b"]);
    let m = schedule(
        "Asia/Kolkata",
        &layer("monthly", 1, "2026-01-01T00:00:00", r#"["a", "b"]"#),
    );
    assert_eq!(who(&m, "2026-01-31T18:29:59Z"), vec!["a"]);
    assert_eq!(who(&m, "2026-01-31T18:30:00Z"), vec!["b"]);
}

#[test]
fn far_future_and_past_answer_like_near_ones() {
    let s = schedule(
        "America/Chicago",
        &layer("weekly", 1, "2026-01-05T09:00:00", r#"["a", "b"]"#),
    );
    // 2126-01-07 is 5218 weeks later (even): a's turn, at 09:00 CST.
    assert_eq!(who(&s, "2126-01-07T14:59:59Z"), vec!["b"]);
    assert_eq!(who(&s, "2126-01-07T15:00:00Z"), vec!["a"]);
    // 1926-01-04 is 5218 weeks earlier.
    assert_eq!(who(&s, "1926-01-04T15:00:00Z"), vec!["a"]);
}

// ---- turns a spring-forward gap swallows --------------------------------

/// (layer, person, wall time, instant) of each lost turn in the window.
fn lost(s: &Schedule, from: &str, to: &str) -> Vec<(usize, String, String, String)> {
    s.lost_turns(utc(from), utc(to))
        .into_iter()
        .map(|t| {
            (
                t.layer,
                t.person,
                t.wall_time.unwrap().format("%Y-%m-%d %H:%M").to_string(),
                t.at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            )
        })
        .collect()
}

#[test]
fn an_hourly_turn_inside_a_one_hour_spring_forward_gap_is_lost_and_named() {
    // Chicago 2026-03-08: 02:00 CST -> 03:00 CDT (08:00Z). Turns from 00:00:
    // a (00), b (01), c (02: does not exist, meets 03:00), d (03).
    let s = schedule(
        "America/Chicago",
        &layer(
            "hourly",
            1,
            "2026-03-08T00:00:00",
            r#"["a", "b", "c", "d"]"#,
        ),
    );
    assert_eq!(
        lost(&s, "2026-03-08T00:00:00Z", "2026-03-09T00:00:00Z"),
        [(
            0,
            "c".to_string(),
            "2026-03-08 02:00".to_string(),
            "2026-03-08T08:00:00Z".to_string()
        )]
    );
    // The final shifts agree: b hands straight to d at the gap.
    assert_eq!(who(&s, "2026-03-08T07:59:59Z"), ["b"]);
    assert_eq!(who(&s, "2026-03-08T08:00:00Z"), ["d"]);
    // London 2026-03-29: 01:00 GMT -> 02:00 BST; a second layer's 01:00 turn.
    let s = schedule(
        "Europe/London",
        &format!(
            "{}{}",
            layer("weekly", 1, "2026-03-02T09:00:00", r#"["a"]"#),
            layer("hourly", 1, "2026-03-29T00:00:00", r#"["b", "c"]"#)
        ),
    );
    assert_eq!(
        lost(&s, "2026-03-28T00:00:00Z", "2026-03-30T00:00:00Z"),
        [(
            1,
            "c".to_string(),
            "2026-03-29 01:00".to_string(),
            "2026-03-29T01:00:00Z".to_string()
        )]
    );
}

#[test]
fn no_turn_is_lost_to_a_half_hour_gap_a_fall_back_or_a_daily_rotation() {
    // Lord Howe 2026-10-04: 02:00 -> 02:30 (+10:30 -> +11). The 02:00 turn
    // moves to 02:30 and still lasts until 03:00.
    let s = schedule(
        "Australia/Lord_Howe",
        &layer("hourly", 1, "2026-10-04T00:00:00", r#"["a", "b", "c"]"#),
    );
    assert!(lost(&s, "2026-10-03T00:00:00Z", "2026-10-05T00:00:00Z").is_empty());
    // Chicago fall back (2026-11-01): every turn exists at least once.
    let s = schedule(
        "America/Chicago",
        &layer("hourly", 1, "2026-11-01T00:00:00", r#"["a", "b", "c"]"#),
    );
    assert!(lost(&s, "2026-10-31T00:00:00Z", "2026-11-03T00:00:00Z").is_empty());
    // A daily 02:30 handoff on the spring-forward day moves to 03:00 but
    // keeps its (23-hour) turn.
    let s = schedule(
        "America/Chicago",
        &layer("daily", 1, "2026-03-01T02:30:00", r#"["a", "b"]"#),
    );
    assert!(lost(&s, "2026-03-01T00:00:00Z", "2026-03-31T00:00:00Z").is_empty());
}
