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

/// The restrictions of the layer before them, from blocks `days from-to`
/// separated by `;`, e.g. `"sat sun 00:00-00:00; mon 09:00-17:00"`; empty
/// for an unrestricted layer.
fn restrictions(blocks: &str) -> String {
    blocks
        .split(';')
        .filter(|b| !b.trim().is_empty())
        .map(|block| {
            let mut words: Vec<&str> = block.split_whitespace().collect();
            let (from, to) = words.pop().unwrap().split_once('-').unwrap();
            let days = toml_list(&words.join(" "));
            format!("[[schedules.layers.restrictions]]\ndays = {days}\nfrom = \"{from}\"\nto = \"{to}\"\n")
        })
        .collect()
}

/// The space-separated `words` as a TOML array of strings: `"a b"` is `["a", "b"]`.
fn toml_list(words: &str) -> String {
    let quoted: Vec<String> = words.split_whitespace().map(|w| format!("{w:?}")).collect();
    format!("[{}]", quoted.join(", "))
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

// ---- one-layer cases: rotation kinds, restrictions, DST --------------------

/// A `ONE_LAYER` row: (case, zone, rotation, length, start, participants,
/// restrictions, window).
type OneLayer = (
    &'static str,
    &'static str,
    &'static str,
    u32,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

/// One-layer schedules, one a row: (case, zone, rotation, length, layer start
/// in wall time, participants, restrictions as in `restrictions`, window).
/// The window (`from/to`, UTC) is where the case's `SHIFTS` rows must be every
/// shift, in order; it is empty for a case that only checks `WHO`.
#[rustfmt::skip]
const ONE_LAYER: &[OneLayer] = &[
    // -- rotation kinds and lengths (UTC, no DST)
    ("utc-hourly-2",  "UTC", "hourly",  2, "2026-01-01T00:00:00", "a b c", "", "2026-01-01T00:00:00Z/2026-01-01T07:00:00Z"),
    // Indices run backwards from the start.
    ("utc-daily-3",   "UTC", "daily",   3, "2026-01-10T08:00:00", "a b",   "", ""),
    // One participant: the turns merge into one shift.
    ("utc-weekly-1",  "UTC", "weekly",  1, "2026-01-05T09:00:00", "a",     "", "2026-01-01T00:00:00Z/2026-02-01T00:00:00Z"),
    ("utc-weekly-2",  "UTC", "weekly",  2, "2026-01-05T09:00:00", "a b",   "", ""),
    // Monthly clamps to the last day and counts from the start.
    ("utc-monthly-1", "UTC", "monthly", 1, "2026-01-31T10:00:00", "a b c", "", "2026-01-31T10:00:00Z/2026-04-30T10:00:00Z"),
    ("utc-monthly-2", "UTC", "monthly", 2, "2026-01-01T00:00:00", "a b",   "", ""),
    // -- restrictions (UTC)
    // Same-day: business hours only.
    ("business-hours", "UTC", "weekly", 1, "2026-01-05T00:00:00", "a",   "mon tue wed thu fri 09:00-17:00", "2026-01-09T00:00:00Z/2026-01-13T00:00:00Z"),
    // Overnight: the window belongs to the day it starts.
    ("friday-night",   "UTC", "daily",  1, "2026-01-01T00:00:00", "a b", "fri 22:00-06:00",                 "2026-01-08T00:00:00Z/2026-01-12T00:00:00Z"),
    // Whole day when from equals to.
    ("weekend-days",   "UTC", "weekly", 1, "2026-01-05T00:00:00", "c",   "sat sun 00:00-00:00",             "2026-01-08T00:00:00Z/2026-01-13T00:00:00Z"),
    // -- DST: America/Chicago (2026-03-08 02:00 -> 03:00; 2026-11-01 02:00 -> 01:00)
    // Daily: the spring shift lasts 23 hours and the fall one 25.
    ("chicago-daily-spring",   "America/Chicago", "daily",   1, "2026-03-01T09:00:00", "a b",   "", "2026-03-07T15:00:00Z/2026-03-09T14:00:00Z"),
    // Oct 31 09:00 CDT = 14:00Z; Nov 1 09:00 CST = 15:00Z.
    ("chicago-daily-fall",     "America/Chicago", "daily",   1, "2026-10-01T09:00:00", "a b",   "", "2026-10-31T14:00:00Z/2026-11-01T15:00:00Z"),
    // Hourly: the 01:00 CST shift ends at 03:00 CDT (one real hour); the 02:00 shift (c) is empty.
    ("chicago-hourly-spring",  "America/Chicago", "hourly",  1, "2026-03-08T00:00:00", "a b c", "", "2026-03-08T06:00:00Z/2026-03-08T10:00:00Z"),
    // 01:00 happens twice: the 01:00 shift starts at the first (CDT) and runs to 02:00 CST: two real hours.
    ("chicago-hourly-fall",    "America/Chicago", "hourly",  1, "2026-11-01T00:00:00", "a b c", "", "2026-11-01T05:00:00Z/2026-11-01T09:00:00Z"),
    // Weekly: the spring shift lasts 167 hours.
    ("chicago-weekly-spring",  "America/Chicago", "weekly",  1, "2026-03-02T09:00:00", "a b",   "", "2026-03-02T15:00:00Z/2026-03-16T14:00:00Z"),
    ("chicago-weekly-fall",    "America/Chicago", "weekly",  1, "2026-10-26T09:00:00", "a b",   "", "2026-10-26T14:00:00Z/2026-11-09T15:00:00Z"),
    // Monthly: 2026-03-08 02:30 does not exist: the handoff happens at 03:00 CDT = 08:00Z.
    ("chicago-monthly-gap",    "America/Chicago", "monthly", 1, "2026-02-08T02:30:00", "a b",   "", "2026-02-08T08:30:00Z/2026-04-08T07:30:00Z"),
    // 2026-11-01 01:30 happens twice: the handoff is the first one, 01:30 CDT = 06:30Z.
    ("chicago-monthly-fold",   "America/Chicago", "monthly", 1, "2026-10-01T01:30:00", "a b",   "", ""),
    // Restriction windows follow the wall clock.
    ("chicago-restricted",     "America/Chicago", "weekly",  1, "2026-01-05T00:00:00", "a",     "sat 22:00-06:00; mon fri 09:00-17:00", "2026-03-06T00:00:00Z/2026-03-10T00:00:00Z"),
    // Far future and past answer like near ones.
    ("chicago-weekly-century", "America/Chicago", "weekly",  1, "2026-01-05T09:00:00", "a b",   "", ""),
    // -- Europe/London (2026-03-29 01:00 -> 02:00; 2026-10-25 02:00 -> 01:00)
    // Daily: Mar 29 01:30 does not exist -> 02:00 BST = 01:00Z.
    ("london-daily-gap",   "Europe/London", "daily",   1, "2026-03-01T01:30:00", "a b", "", "2026-03-28T01:30:00Z/2026-03-30T00:30:00Z"),
    // Oct 25 01:30 happens twice -> the first, 01:30 BST = 00:30Z; the shift to Oct 26 01:30 GMT lasts 25h.
    ("london-daily-fold",  "Europe/London", "daily",   1, "2026-10-01T01:30:00", "a b", "", "2026-10-24T00:30:00Z/2026-10-26T01:30:00Z"),
    // Hourly: 00:00 GMT (a) ends at 02:00 BST = 01:00Z; 01:00 (b) is empty; 02:00 BST (a).
    ("london-hourly",      "Europe/London", "hourly",  1, "2026-03-29T00:00:00", "a b", "", "2026-03-29T00:00:00Z/2026-03-29T02:00:00Z"),
    ("london-weekly",      "Europe/London", "weekly",  1, "2026-10-19T09:00:00", "a b", "", ""),
    // Monthly across both transitions: Mar 15 09:00 GMT = 09:00Z, Apr 15 09:00 BST = 08:00Z, Nov 15 09:00 GMT = 09:00Z.
    ("london-monthly",     "Europe/London", "monthly", 1, "2026-02-15T09:00:00", "a b", "", "2026-03-15T09:00:00Z/2026-05-15T08:00:00Z"),
    // -- Australia/Lord_Howe: a 30-minute DST shift
    // 2026-04-05 02:00 +11:00 -> 01:30 +10:30; 2026-10-04 02:00 +10:30 -> 02:30 +11:00.
    // Daily shifts last 23h45 in spring: Oct 3 02:15 +10:30 = Oct 2 15:45Z; Oct 4 02:15 is in the
    // gap -> 02:30 +11 = Oct 3 15:30Z; Oct 5 02:15 +11 = Oct 4 15:15Z.
    ("lord-howe-daily-spring", "Australia/Lord_Howe", "daily",   1, "2026-10-01T02:15:00", "a b",   "", "2026-10-02T15:45:00Z/2026-10-04T15:15:00Z"),
    // ... and 24h30 in autumn: Apr 4 09:00 +11 = Apr 3 22:00Z; Apr 5 09:00 +10:30 = Apr 4 22:30Z.
    ("lord-howe-daily-autumn", "Australia/Lord_Howe", "daily",   1, "2026-04-01T09:00:00", "a b",   "", "2026-04-03T22:00:00Z/2026-04-04T22:30:00Z"),
    // Hourly in the half-hour fold: 00:00 +11 = Apr 4 13:00Z; 01:00 +11 = 14:00Z; 02:00 +10:30 = 15:30Z
    // (01:30-02:00 repeats).
    ("lord-howe-hourly-fold",  "Australia/Lord_Howe", "hourly",  1, "2026-04-05T00:00:00", "a b c", "", "2026-04-04T13:00:00Z/2026-04-04T16:30:00Z"),
    // ... and gap: 01:00 +10:30 = Oct 3 14:30Z; 02:00 is in the gap -> 02:30 +11 = 15:30Z; 03:00 +11 = 16:00Z.
    ("lord-howe-hourly-gap",   "Australia/Lord_Howe", "hourly",  1, "2026-10-04T00:00:00", "a b c", "", "2026-10-03T14:30:00Z/2026-10-03T16:00:00Z"),
    // Weekly: Sep 28 09:00 +10:30 = Sep 27 22:30Z; Oct 5 09:00 +11 = Oct 4 22:00Z.
    ("lord-howe-weekly",       "Australia/Lord_Howe", "weekly",  1, "2026-09-28T09:00:00", "a b",   "", "2026-09-27T22:30:00Z/2026-10-11T22:00:00Z"),
    // Monthly: Apr 5 01:45 happens twice -> first (+11) = Apr 4 14:45Z.
    ("lord-howe-monthly",      "Australia/Lord_Howe", "monthly", 1, "2026-03-05T01:45:00", "a b",   "", ""),
    // -- Asia/Kolkata: +05:30 all year, a half-hour offset without DST
    ("kolkata-daily",   "Asia/Kolkata", "daily",   1, "2026-03-01T09:00:00", "a b", "", "2026-03-08T03:30:00Z/2026-03-10T03:30:00Z"),
    ("kolkata-hourly",  "Asia/Kolkata", "hourly",  1, "2026-11-01T00:30:00", "a b", "", ""),
    ("kolkata-weekly",  "Asia/Kolkata", "weekly",  1, "2026-03-02T09:00:00", "a b", "", ""),
    ("kolkata-monthly", "Asia/Kolkata", "monthly", 1, "2026-01-01T00:00:00", "a b", "", ""),
];

/// Every shift in a `ONE_LAYER` case's window, in order: (case, person,
/// start, end), in UTC.
#[rustfmt::skip]
const SHIFTS: &[(&str, &str, &str, &str)] = &[
    ("utc-hourly-2",  "a", "2026-01-01T00:00:00Z", "2026-01-01T02:00:00Z"),
    ("utc-hourly-2",  "b", "2026-01-01T02:00:00Z", "2026-01-01T04:00:00Z"),
    ("utc-hourly-2",  "c", "2026-01-01T04:00:00Z", "2026-01-01T06:00:00Z"),
    ("utc-hourly-2",  "a", "2026-01-01T06:00:00Z", "2026-01-01T07:00:00Z"),
    // From the layer's start (Mon Jan 5 09:00), not from the window's.
    ("utc-weekly-1",  "a", "2026-01-05T09:00:00Z", "2026-02-01T00:00:00Z"),
    ("utc-monthly-1", "a", "2026-01-31T10:00:00Z", "2026-02-28T10:00:00Z"),
    ("utc-monthly-1", "b", "2026-02-28T10:00:00Z", "2026-03-31T10:00:00Z"),
    ("utc-monthly-1", "c", "2026-03-31T10:00:00Z", "2026-04-30T10:00:00Z"),
    // Fri 2026-01-09 and Mon 2026-01-12; nothing on the weekend.
    ("business-hours", "a", "2026-01-09T09:00:00Z", "2026-01-09T17:00:00Z"),
    ("business-hours", "a", "2026-01-12T09:00:00Z", "2026-01-12T17:00:00Z"),
    // The Friday 2026-01-09 window runs into Saturday, across a handoff at midnight.
    ("friday-night",   "a", "2026-01-09T22:00:00Z", "2026-01-10T00:00:00Z"),
    ("friday-night",   "b", "2026-01-10T00:00:00Z", "2026-01-10T06:00:00Z"),
    ("weekend-days",   "c", "2026-01-10T00:00:00Z", "2026-01-12T00:00:00Z"),
    ("chicago-daily-spring",  "a", "2026-03-07T15:00:00Z", "2026-03-08T14:00:00Z"),
    ("chicago-daily-spring",  "b", "2026-03-08T14:00:00Z", "2026-03-09T14:00:00Z"),
    // The next row is shift 30.
    ("chicago-daily-fall",    "a", "2026-10-31T14:00:00Z", "2026-11-01T15:00:00Z"),
    ("chicago-hourly-spring", "a", "2026-03-08T06:00:00Z", "2026-03-08T07:00:00Z"),
    ("chicago-hourly-spring", "b", "2026-03-08T07:00:00Z", "2026-03-08T08:00:00Z"),
    ("chicago-hourly-spring", "a", "2026-03-08T08:00:00Z", "2026-03-08T09:00:00Z"),
    ("chicago-hourly-spring", "b", "2026-03-08T09:00:00Z", "2026-03-08T10:00:00Z"),
    ("chicago-hourly-fall",   "a", "2026-11-01T05:00:00Z", "2026-11-01T06:00:00Z"),
    ("chicago-hourly-fall",   "b", "2026-11-01T06:00:00Z", "2026-11-01T08:00:00Z"),
    ("chicago-hourly-fall",   "c", "2026-11-01T08:00:00Z", "2026-11-01T09:00:00Z"),
    ("chicago-weekly-spring", "a", "2026-03-02T15:00:00Z", "2026-03-09T14:00:00Z"),
    ("chicago-weekly-spring", "b", "2026-03-09T14:00:00Z", "2026-03-16T14:00:00Z"),
    ("chicago-weekly-fall",   "a", "2026-10-26T14:00:00Z", "2026-11-02T15:00:00Z"),
    ("chicago-weekly-fall",   "b", "2026-11-02T15:00:00Z", "2026-11-09T15:00:00Z"),
    ("chicago-monthly-gap",   "a", "2026-02-08T08:30:00Z", "2026-03-08T08:00:00Z"),
    ("chicago-monthly-gap",   "b", "2026-03-08T08:00:00Z", "2026-04-08T07:30:00Z"),
    // Fri 09-17 CST
    ("chicago-restricted",    "a", "2026-03-06T15:00:00Z", "2026-03-06T23:00:00Z"),
    // Sat 22 CST -> Sun 06 CDT: 7h
    ("chicago-restricted",    "a", "2026-03-08T04:00:00Z", "2026-03-08T11:00:00Z"),
    // Mon 09-17 CDT
    ("chicago-restricted",    "a", "2026-03-09T14:00:00Z", "2026-03-09T22:00:00Z"),
    ("london-daily-gap",  "b", "2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z"),
    ("london-daily-gap",  "a", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"),
    // The next row is shift 23.
    ("london-daily-fold", "b", "2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z"),
    ("london-daily-fold", "a", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"),
    ("london-hourly",     "a", "2026-03-29T00:00:00Z", "2026-03-29T02:00:00Z"),
    ("london-monthly",    "b", "2026-03-15T09:00:00Z", "2026-04-15T08:00:00Z"),
    ("london-monthly",    "a", "2026-04-15T08:00:00Z", "2026-05-15T08:00:00Z"),
    ("lord-howe-daily-spring", "a", "2026-10-02T15:45:00Z", "2026-10-03T15:30:00Z"),
    ("lord-howe-daily-spring", "b", "2026-10-03T15:30:00Z", "2026-10-04T15:15:00Z"),
    // The next row is shift 3.
    ("lord-howe-daily-autumn", "b", "2026-04-03T22:00:00Z", "2026-04-04T22:30:00Z"),
    ("lord-howe-hourly-fold",  "a", "2026-04-04T13:00:00Z", "2026-04-04T14:00:00Z"),
    ("lord-howe-hourly-fold",  "b", "2026-04-04T14:00:00Z", "2026-04-04T15:30:00Z"),
    ("lord-howe-hourly-fold",  "c", "2026-04-04T15:30:00Z", "2026-04-04T16:30:00Z"),
    ("lord-howe-hourly-gap",   "b", "2026-10-03T14:30:00Z", "2026-10-03T15:30:00Z"),
    ("lord-howe-hourly-gap",   "c", "2026-10-03T15:30:00Z", "2026-10-03T16:00:00Z"),
    ("lord-howe-weekly",       "a", "2026-09-27T22:30:00Z", "2026-10-04T22:00:00Z"),
    ("lord-howe-weekly",       "b", "2026-10-04T22:00:00Z", "2026-10-11T22:00:00Z"),
    // The next row is shift 7.
    ("kolkata-daily",          "b", "2026-03-08T03:30:00Z", "2026-03-09T03:30:00Z"),
    ("kolkata-daily",          "a", "2026-03-09T03:30:00Z", "2026-03-10T03:30:00Z"),
];

/// Who a `ONE_LAYER` case has on call at an instant: (case, instant in UTC,
/// the people on call separated by spaces; empty for nobody).
#[rustfmt::skip]
const WHO: &[(&str, &str, &str)] = &[
    // Nobody is on call before the layer's first handoff (Jan 10 08:00):
    // turns are not counted backwards into the days before it.
    ("utc-daily-3",    "2026-01-09T12:00:00Z", ""),
    ("utc-daily-3",    "2026-01-06T12:00:00Z", ""),
    ("utc-daily-3",    "2026-01-10T07:59:59Z", ""),
    ("utc-daily-3",    "2026-01-10T08:00:00Z", "a"),
    ("utc-daily-3",    "2026-01-13T08:00:00Z", "b"),
    ("utc-weekly-2",   "2026-01-18T23:00:00Z", "a"),
    ("utc-weekly-2",   "2026-01-19T09:00:00Z", "b"),
    ("utc-weekly-2",   "2026-02-02T09:00:00Z", "a"),
    ("utc-monthly-2",  "2026-02-28T23:59:59Z", "a"),
    ("utc-monthly-2",  "2026-03-01T00:00:00Z", "b"),
    ("utc-monthly-2",  "2025-12-31T00:00:00Z", ""),  // before the start: nobody
    ("business-hours", "2026-01-10T12:00:00Z", ""),
    ("friday-night",   "2026-01-10T22:30:00Z", ""),
    ("chicago-daily-fall",   "2026-11-01T14:59:59Z", "a"),
    ("chicago-daily-fall",   "2026-11-01T15:00:00Z", "b"),
    ("chicago-monthly-fold", "2026-11-01T06:29:59Z", "a"),
    ("chicago-monthly-fold", "2026-11-01T06:30:00Z", "b"),
    // The next row is the second 01:45.
    ("chicago-monthly-fold", "2026-11-01T07:45:00Z", "b"),
    // 2126-01-07 is 5218 weeks later (even): a's turn, at 09:00 CST.
    ("chicago-weekly-century", "2126-01-07T14:59:59Z", "b"),
    ("chicago-weekly-century", "2126-01-07T15:00:00Z", "a"),
    // 1926-01-04 is 5218 weeks before the layer starts: nobody on call.
    ("chicago-weekly-century", "1926-01-04T15:00:00Z", ""),
    ("london-weekly",     "2026-10-26T08:59:59Z", "a"),
    ("london-weekly",     "2026-10-26T09:00:00Z", "b"),
    ("london-monthly",    "2026-11-15T08:59:59Z", "a"),
    ("london-monthly",    "2026-11-15T09:00:00Z", "b"),
    ("lord-howe-monthly", "2026-04-04T14:44:59Z", "a"),
    ("lord-howe-monthly", "2026-04-04T14:45:00Z", "b"),
    // The next row is 00:30 IST.
    ("kolkata-hourly",    "2026-10-31T19:00:00Z", "a"),
    ("kolkata-hourly",    "2026-10-31T20:00:00Z", "b"),
    ("kolkata-weekly",    "2026-03-09T03:29:59Z", "a"),
    ("kolkata-weekly",    "2026-03-09T03:30:00Z", "b"),
    ("kolkata-monthly",   "2026-01-31T18:29:59Z", "a"),
    ("kolkata-monthly",   "2026-01-31T18:30:00Z", "b"),
];

/// Runs every `ONE_LAYER` case against its `WHO` and `SHIFTS` rows; the
/// message names the case and the instant or window that disagrees.
#[test]
fn every_one_layer_case_answers_as_derived() {
    for &(case, zone, rotation, length, start, people, blocks, window) in ONE_LAYER {
        let body = layer(rotation, length, start, &toml_list(people)) + &restrictions(blocks);
        let s = schedule(zone, &body);
        let checks = WHO.iter().filter(|w| w.0 == case);
        for &(_, at, on_call) in checks.clone() {
            let want: Vec<&str> = on_call.split_whitespace().collect();
            assert_eq!(who(&s, at), want, "{case}: on call at {at}");
        }
        let want: Vec<_> = SHIFTS
            .iter()
            .filter(|r| r.0 == case)
            .map(|&(_, person, start, end)| sh(person, start, end))
            .collect();
        match window.split_once('/') {
            Some((from, to)) => {
                assert_eq!(shifts(&s, from, to), want, "{case}: shifts in {window}")
            }
            None => assert!(want.is_empty(), "{case}: SHIFTS rows but no window"),
        }
        assert!(
            window.contains('/') || checks.count() > 0,
            "{case} checks nothing"
        );
    }
    // No check names a case that is not in the table.
    let cases: Vec<&str> = ONE_LAYER.iter().map(|c| c.0).collect();
    for case in SHIFTS.iter().map(|r| r.0).chain(WHO.iter().map(|w| w.0)) {
        assert!(cases.contains(&case), "no ONE_LAYER case {case}");
    }
}

// ---- layering and overrides ------------------------------------------------

fn layered() -> Schedule {
    // Base: a and b trade weekly. Top: d covers weekday nights 18:00-08:00.
    let body = format!(
        "{}{}{}",
        layer("weekly", 1, "2026-01-05T09:00:00", r#"["a", "b"]"#),
        layer("weekly", 1, "2026-01-05T00:00:00", r#"["d"]"#),
        restrictions("mon tue wed thu fri 18:00-08:00")
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
