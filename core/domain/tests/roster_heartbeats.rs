//! `[[heartbeats]]` in the roster: parsed with their defaults, and every
//! mistake named by its field path (unknown service, bad durations, a key
//! that is not a routing key or is shared with a service).

use klaxon_domain::Roster;
use std::time::Duration;

/// alice paged by policy `p` (`tests/fixtures/alice-paged.toml`), and
/// service `api` of that policy.
const BASE: &str = concat!(
    include_str!("../../../tests/fixtures/alice-paged.toml"),
    r#"
[[services]]
id = "api"
policy = "p"
routing_key = "0123456789abcdef0123456789abcdef"
"#
);

/// The problems of [`BASE`] with `heartbeats` appended, each as its
/// message, or the roster.
fn parse(heartbeats: &str) -> Result<Roster, Vec<String>> {
    Roster::parse(&format!("{BASE}\n{heartbeats}"))
        .map_err(|e| e.problems.iter().map(ToString::to_string).collect())
}

#[test]
fn a_heartbeat_loads_with_grace_defaulting_to_its_interval() {
    let roster = parse(
        r#"
[[heartbeats]]
id = "watchdog"
service = "api"
interval = "1m"
key = "aaaabbbbccccddddeeeeffff00001111"

[[heartbeats]]
id = "backup"
service = "api"
interval = "1d"
grace = "2h"
key = "aaaabbbbccccddddeeeeffff00002222"
"#,
    )
    .unwrap();
    let watchdog = &roster.heartbeats[0];
    assert_eq!(watchdog.interval, Duration::from_secs(60));
    assert_eq!(watchdog.grace, Duration::from_secs(60));
    assert_eq!(roster.heartbeats[1].grace, Duration::from_secs(7200));
    assert_eq!(
        roster
            .heartbeat_by_key("aaaabbbbccccddddeeeeffff00002222")
            .map(|h| h.id.as_str()),
        Some("backup")
    );
}

#[test]
fn every_mistake_is_named_by_its_field() {
    let problems = parse(
        r#"
[[heartbeats]]
id = "Watchdog"
service = "apj"
interval = "0s"
grace = "soon"
key = "0123456789abcdef0123456789abcdef"
colour = "red"

[[heartbeats]]
id = "cron"
service = "api"
interval = "1h"
key = "short"
"#,
    )
    .unwrap_err();
    let expected = [
        "heartbeats[0].colour: unknown field",
        "heartbeats[0].id: \"Watchdog\" is not a valid heartbeat id",
        "heartbeats[0].service: unknown service \"apj\"; known services: api",
        "heartbeats[0].interval: must be at least 1s",
        "heartbeats[0].grace: \"soon\"",
        "heartbeats[0].key: is used by another service or heartbeat",
        "heartbeats[1].key: must be exactly 32 letters or digits (got 5 characters)",
    ];
    for e in expected {
        assert!(
            problems.iter().any(|p| p.starts_with(e)),
            "no problem starts with {e:?}: {problems:#?}"
        );
    }
    assert_eq!(problems.len(), expected.len(), "{problems:#?}");
}

#[test]
fn two_heartbeats_may_not_share_a_key_or_an_id() {
    let beat = |id: &str| {
        format!(
            "[[heartbeats]]\nid = \"{id}\"\nservice = \"api\"\ninterval = \"1m\"\nkey = \"aaaabbbbccccddddeeeeffff00001111\"\n"
        )
    };
    let problems = parse(&format!("{}{}", beat("a"), beat("a"))).unwrap_err();
    assert!(problems
        .iter()
        .any(|p| p.starts_with("heartbeats[1].id: duplicate heartbeat id")));
    assert!(problems
        .iter()
        .any(|p| p.starts_with("heartbeats[1].key: is used by another")));
}
