//! Fuzzing the roster parser with proptest: arbitrary text, and arbitrary
//! TOML documents built from the roster's own vocabulary (so the fuzzer gets
//! deep into validation). Whatever the file holds, parsing never panics, a
//! rejection always names at least one problem on one line, and a roster
//! that is accepted answers queries without panicking.

use chrono::{DateTime, Duration, Utc};
use klaxon_domain::Roster;
use proptest::prelude::*;
use toml::{Table, Value};

const KEYS: [&str; 30] = [
    "people",
    "schedules",
    "policies",
    "services",
    "id",
    "name",
    "time_zone",
    "layers",
    "overrides",
    "rotation",
    "length",
    "start",
    "participants",
    "restrictions",
    "days",
    "from",
    "to",
    "end",
    "add",
    "remove",
    "repeat",
    "steps",
    "delay",
    "targets",
    "policy",
    "routing_key",
    "runbook",
    "priority",
    "lenght",
    "x",
];

const STRINGS: [&str; 34] = [
    "a",
    "b",
    "alice",
    "",
    "UTC",
    "America/Chicago",
    "Australia/Lord_Howe",
    "Mars/Base",
    "hourly",
    "daily",
    "weekly",
    "monthly",
    "yearly",
    "2026-03-08T02:30:00",
    "2026-11-01T01:30:00",
    "9999-12-31T23:59:59",
    "0001-01-01T00:00:00",
    "2026-01-07T12:00:00Z",
    "+275760-09-13T00:00:00Z",
    "09:00",
    "24:00",
    "17:00",
    "mon",
    "sun",
    "5m",
    "0s",
    "99999999999999999999h",
    "schedule:s",
    "person:a",
    "schedule:",
    "0123456789abcdef0123456789abcdef",
    "https://x",
    "critical",
    "\u{1F6A8}",
];

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        proptest::sample::select(STRINGS.to_vec()).prop_map(|s| Value::String(s.to_string())),
        any::<String>().prop_map(Value::String),
        prop_oneof![
            Just(0i64),
            Just(1),
            Just(9),
            Just(10),
            Just(-1),
            Just(i64::MAX),
            Just(i64::MIN),
            any::<i64>()
        ]
        .prop_map(Value::Integer),
        any::<f64>().prop_map(Value::Float),
        any::<bool>().prop_map(Value::Boolean),
        proptest::sample::select(vec![
            "2026-01-05T09:00:00",
            "2026-01-07T12:00:00Z",
            "09:00:00",
            "2026-01-05"
        ])
        .prop_map(|s| Value::Datetime(s.parse().unwrap())),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec(
                (proptest::sample::select(KEYS.to_vec()), inner.clone()),
                0..6
            )
            .prop_map(|kv| Value::Table(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
            proptest::collection::vec(
                proptest::collection::vec((proptest::sample::select(KEYS.to_vec()), inner), 0..6),
                0..3
            )
            .prop_map(|tables| Value::Array(
                tables
                    .into_iter()
                    .map(|kv| Value::Table(
                        kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
                    ))
                    .collect()
            )),
        ]
    })
}

fn document() -> impl Strategy<Value = Table> {
    proptest::collection::vec((proptest::sample::select(KEYS.to_vec()), value()), 0..6)
        .prop_map(|kv| kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn check(text: &str) {
    match Roster::parse(text) {
        Err(e) => {
            assert!(!e.problems.is_empty());
            for p in &e.problems {
                assert!(!p.to_string().contains('\n'), "one line per problem: {p}");
                assert!(!p.path.is_empty() && !p.message.is_empty());
            }
        }
        Ok(roster) => {
            let t: DateTime<Utc> = "2026-03-08T08:00:00Z".parse().unwrap();
            for s in &roster.schedules {
                let _ = s.who(t);
                let _ = s.shifts(t, t + Duration::days(3));
                let _ = s.next_handoff(t);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        check(&text);
    }

    #[test]
    fn arbitrary_roster_shaped_toml_never_panics(doc in document()) {
        if let Ok(text) = toml::to_string(&doc) {
            check(&text);
        }
    }
}

#[test]
fn extreme_but_valid_values_answer_without_panicking() {
    let text = include_str!("../../../tests/fixtures/extreme-values.toml");
    check(text);
    let roster = Roster::parse(text).unwrap();
    let s = roster.schedule("s").unwrap();
    let t: DateTime<Utc> = "2026-03-08T08:00:00Z".parse().unwrap();
    // The hourly layer rotates a alone: on call inside the Sunday window.
    assert!(s.who(t).is_empty() || s.who(t) == vec!["a"]);
}
