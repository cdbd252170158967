//! A schedule's optional display name: read from the roster file and kept
//! on the schedule (the relay's sync sends it to phones).

use klaxon_domain::Roster;

const ROSTER: &str = r#"
[[people]]
id = "alice"
name = "Alice Chen"

[[schedules]]
id = "primary"
name = "Platform primary"
time_zone = "America/Chicago"

  [[schedules.layers]]
  rotation = "weekly"
  start = "2026-01-05T09:00:00"
  participants = ["alice"]

[[schedules]]
id = "secondary"
time_zone = "Europe/London"

  [[schedules.layers]]
  rotation = "weekly"
  start = "2026-01-05T09:00:00"
  participants = ["alice"]
"#;

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
