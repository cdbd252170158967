//! `klaxon roster shifts --json` across both DST changes of 2026 in
//! America/Chicago, for every rotation kind: the exact output a user (or a
//! script) gets, with each instant printed in the schedule's zone and the
//! offset it has at that instant. Expected values are derived by hand from
//! the rules in docs/schedules.md.

use serde_json::{json, Value};
use std::process::Command;

fn shifts(schedule: &str, from: &str, to: &str) -> Value {
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/dst-rotations.toml"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_klaxon"))
        .args([
            "roster",
            "shifts",
            "--config",
            fixture,
            "--schedule",
            schedule,
        ])
        .args(["--from", from, "--to", to, "--json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn shift(person: &str, start: &str, end: &str) -> Value {
    json!({"person": person, "start": start, "end": end})
}

#[test]
fn hourly_spring_forward_the_01_00_shift_runs_to_03_00_and_02_00_never_happens() {
    assert_eq!(
        shifts(
            "hourly",
            "2026-03-08T00:00:00-06:00",
            "2026-03-08T04:00:00-05:00"
        ),
        json!([
            shift(
                "alice",
                "2026-03-08T00:00:00-06:00",
                "2026-03-08T01:00:00-06:00"
            ),
            shift(
                "bob",
                "2026-03-08T01:00:00-06:00",
                "2026-03-08T03:00:00-05:00"
            ),
            shift(
                "alice",
                "2026-03-08T03:00:00-05:00",
                "2026-03-08T04:00:00-05:00"
            ),
        ])
    );
}

#[test]
fn hourly_fall_back_the_01_00_shift_lasts_two_real_hours() {
    // Wall-clock hour 5712 after the start: shift k = 5712 (alice).
    assert_eq!(
        shifts(
            "hourly",
            "2026-11-01T00:00:00-05:00",
            "2026-11-01T03:00:00-06:00"
        ),
        json!([
            shift(
                "alice",
                "2026-11-01T00:00:00-05:00",
                "2026-11-01T01:00:00-05:00"
            ),
            shift(
                "bob",
                "2026-11-01T01:00:00-05:00",
                "2026-11-01T02:00:00-06:00"
            ),
            shift(
                "carol",
                "2026-11-01T02:00:00-06:00",
                "2026-11-01T03:00:00-06:00"
            ),
        ])
    );
}

#[test]
fn daily_handoffs_stay_at_09_00_across_both_changes() {
    assert_eq!(
        shifts(
            "daily",
            "2026-03-07T09:00:00-06:00",
            "2026-03-09T09:00:00-05:00"
        ),
        json!([
            shift(
                "alice",
                "2026-03-07T09:00:00-06:00",
                "2026-03-08T09:00:00-05:00"
            ),
            shift(
                "bob",
                "2026-03-08T09:00:00-05:00",
                "2026-03-09T09:00:00-05:00"
            ),
        ])
    );
    // 2026-10-31 is day 244 after the start (bob), 2026-11-01 day 245 (carol).
    assert_eq!(
        shifts(
            "daily",
            "2026-10-31T09:00:00-05:00",
            "2026-11-02T09:00:00-06:00"
        ),
        json!([
            shift(
                "bob",
                "2026-10-31T09:00:00-05:00",
                "2026-11-01T09:00:00-06:00"
            ),
            shift(
                "carol",
                "2026-11-01T09:00:00-06:00",
                "2026-11-02T09:00:00-06:00"
            ),
        ])
    );
}

#[test]
fn weekly_handoffs_stay_at_monday_09_00_across_both_changes() {
    assert_eq!(
        shifts(
            "weekly",
            "2026-03-02T09:00:00-06:00",
            "2026-03-16T09:00:00-05:00"
        ),
        json!([
            shift(
                "alice",
                "2026-03-02T09:00:00-06:00",
                "2026-03-09T09:00:00-05:00"
            ),
            shift(
                "bob",
                "2026-03-09T09:00:00-05:00",
                "2026-03-16T09:00:00-05:00"
            ),
        ])
    );
    // 2026-10-26 is week 42 after the start (alice).
    assert_eq!(
        shifts(
            "weekly",
            "2026-10-26T09:00:00-05:00",
            "2026-11-09T09:00:00-06:00"
        ),
        json!([
            shift(
                "alice",
                "2026-10-26T09:00:00-05:00",
                "2026-11-02T09:00:00-06:00"
            ),
            shift(
                "bob",
                "2026-11-02T09:00:00-06:00",
                "2026-11-09T09:00:00-06:00"
            ),
        ])
    );
}

#[test]
fn monthly_handoff_in_the_gap_moves_to_03_00() {
    assert_eq!(
        shifts(
            "monthly-gap",
            "2026-02-08T02:30:00-06:00",
            "2026-04-08T02:30:00-05:00"
        ),
        json!([
            shift(
                "alice",
                "2026-02-08T02:30:00-06:00",
                "2026-03-08T03:00:00-05:00"
            ),
            shift(
                "bob",
                "2026-03-08T03:00:00-05:00",
                "2026-04-08T02:30:00-05:00"
            ),
        ])
    );
}

#[test]
fn monthly_handoff_in_the_fold_takes_the_first_01_30() {
    assert_eq!(
        shifts(
            "monthly-fold",
            "2026-10-01T01:30:00-05:00",
            "2026-12-01T01:30:00-06:00"
        ),
        json!([
            shift(
                "alice",
                "2026-10-01T01:30:00-05:00",
                "2026-11-01T01:30:00-05:00"
            ),
            shift(
                "bob",
                "2026-11-01T01:30:00-05:00",
                "2026-12-01T01:30:00-06:00"
            ),
        ])
    );
}
