//! Per-layer time zones (docs/roster.md, `layers.time_zone`): each office's
//! hours stay at its own wall-clock times across the March 2027 weeks when
//! US and EU daylight saving disagree.

use chrono::{DateTime, Utc};
use klaxon_domain::Roster;

const SUN: &str = include_str!("../../../tests/fixtures/follow-the-sun.toml");

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// (start, end, person) of the shifts of one UTC day.
fn day(roster: &Roster, date: &str) -> Vec<(String, String, String)> {
    let schedule = roster.schedule("sun").unwrap();
    schedule
        .shifts(
            utc(&format!("{date}T00:00:00Z")),
            utc(&format!("{date}T23:59:59Z")),
        )
        .into_iter()
        .map(|s| {
            (
                s.start.format("%H:%M").to_string(),
                s.end.format("%H:%M").to_string(),
                s.person,
            )
        })
        .collect()
}

fn shifts(list: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    list.iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect()
}

#[test]
fn each_office_keeps_its_own_hours_while_us_and_eu_daylight_saving_disagree() {
    let roster = Roster::parse(SUN).unwrap();
    // Both on standard time: Berlin 08-16 UTC, New York 14-22 UTC (the later
    // layer wins where both have someone).
    assert_eq!(
        day(&roster, "2027-03-09"),
        shifts(&[("08:00", "14:00", "bernd"), ("14:00", "22:00", "nina")])
    );
    // The US has sprung forward (14 March), the EU not yet: New York 13-21.
    assert_eq!(
        day(&roster, "2027-03-16"),
        shifts(&[("08:00", "13:00", "bernd"), ("13:00", "21:00", "nina")])
    );
    // Both on summer time (EU from 28 March): Berlin 07-15, New York 13-21.
    assert_eq!(
        day(&roster, "2027-03-30"),
        shifts(&[("07:00", "13:00", "bernd"), ("13:00", "21:00", "nina")])
    );
    let schedule = roster.schedule("sun").unwrap();
    assert_eq!(schedule.who(utc("2027-03-16T12:30:00Z")), vec!["bernd"]);
    assert_eq!(schedule.who(utc("2027-03-16T20:30:00Z")), vec!["nina"]);
    assert!(schedule.who(utc("2027-03-16T21:30:00Z")).is_empty());
}

#[test]
fn a_layer_zone_that_is_not_iana_names_the_field() {
    let bad = SUN.replace("America/New_York", "Eastern");
    let err = Roster::parse(&bad).unwrap_err().to_string();
    assert!(
        err.contains("schedules[0].layers[1].time_zone") && err.contains("\"Eastern\""),
        "{err}"
    );
}
