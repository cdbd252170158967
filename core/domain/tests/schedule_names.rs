//! A schedule's optional display name: read from the roster file and kept
//! on the schedule (the relay's sync sends it to phones).

use klaxon_domain::Roster;

/// One named and one unnamed schedule: `tests/fixtures/schedule-names.toml`.
const ROSTER: &str = include_str!("../../../tests/fixtures/schedule-names.toml");

#[test]
fn a_schedule_keeps_its_name_and_one_without_has_none() {
    let roster = Roster::parse(ROSTER).unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<(&str, Option<&str>)> = roster
        .schedules
        .iter()
        .map(|s| (s.id(), s.name()))
        .collect();
    assert_eq!(
        names,
        [("primary", Some("Platform primary")), ("secondary", None)]
    );
}
