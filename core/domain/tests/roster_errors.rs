//! Bad rosters: every problem is reported at once, one per line, with the
//! field path and a fix.

use klaxon_domain::Roster;

fn problems(text: &str) -> Vec<String> {
    Roster::parse(text)
        .unwrap_err()
        .problems
        .iter()
        .map(|p| p.to_string())
        .collect()
}

fn has(problems: &[String], path: &str, words: &str) -> bool {
    problems
        .iter()
        .any(|p| p.starts_with(&format!("{path}: ")) && p.contains(words))
}

/// Problems in nearly every field: `tests/fixtures/many-problems.toml`.
const BAD: &str = include_str!("../../../tests/fixtures/many-problems.toml");

#[test]
fn every_problem_is_reported_with_its_path() {
    let p = problems(BAD);
    let expect = [
        ("people[1].id", "duplicate person id \"alice\""),
        ("people[2].id", "not a valid person id"),
        ("schedules[0].time_zone", "not an IANA time zone"),
        (
            "schedules[0].layers[1].rotation",
            "use hourly, daily, weekly or monthly",
        ),
        ("schedules[0].layers[1].length", "must be between 1 and"),
        ("schedules[0].layers[1].lenght", "did you mean \"length\"?"),
        (
            "schedules[0].layers[1].start",
            "is not a local date and time",
        ),
        (
            "schedules[0].layers[1].participants[1]",
            "unknown person \"zoe\"",
        ),
        (
            "schedules[0].layers[1].restrictions[0].days[1]",
            "is not a day",
        ),
        (
            "schedules[0].layers[1].restrictions[0].from",
            "is not a time of day",
        ),
        ("schedules[0].overrides[0].end", "must be after start"),
        ("schedules[0].overrides[1].start", "has no offset"),
        ("schedules[0].overrides[1]", "needs add"),
        ("policies[0].repeat", "must be between 0 and 9"),
        ("policies[0].steps[0].delay", "unknown unit"),
        (
            "policies[0].steps[0].targets[0]",
            "unknown schedule \"secondary\"",
        ),
        ("policies[0].steps[0].targets[1]", "unknown person \"zoe\""),
        ("policies[0].steps[0].targets[2]", "not a target"),
        ("services[0].policy", "unknown policy \"nope\""),
        ("services[0].routing_key", "exactly 32"),
        ("services[0].runbook", "not a link"),
    ];
    for (path, words) in expect {
        assert!(
            has(&p, path, words),
            "missing {path}: ...{words}... in\n{}",
            p.join("\n")
        );
    }
    assert_eq!(
        p.len(),
        expect.len(),
        "unexpected extra problems:\n{}",
        p.join("\n")
    );
    assert!(
        p.iter().all(|line| !line.contains('\n')),
        "one line per problem"
    );
}

#[test]
fn syntax_errors_name_the_line_and_column() {
    let p = problems("[[people]]\nid = \"alice\"\nname = \"Alice\n");
    assert_eq!(p.len(), 1);
    assert!(p[0].starts_with("line 3, column "), "{}", p[0]);
    assert!(p[0].contains("not valid TOML"));
}

#[test]
fn wrong_types_say_what_was_expected() {
    let p = problems("[[people]]\nid = 7\nname = \"x\"\n[[schedules]]\nid = \"s\"\ntime_zone = \"UTC\"\nlayers = 3\n");
    assert!(
        has(&p, "people[0].id", "must be a string, not integer"),
        "{p:?}"
    );
    assert!(
        has(&p, "schedules[0].layers", "must be an array of tables"),
        "{p:?}"
    );
}

#[test]
fn missing_fields_and_empty_sections_are_named() {
    let p = problems("[[people]]\nid = \"a\"\nname = \"A\"\n[[schedules]]\nid = \"s\"\n[[policies]]\nid = \"p\"\n");
    assert!(has(&p, "schedules[0].time_zone", "is missing"), "{p:?}");
    assert!(has(&p, "schedules[0].layers", "at least one"), "{p:?}");
    assert!(has(&p, "policies[0].steps", "at least one"), "{p:?}");
    assert!(has(&problems(""), "people", "nobody in it"));
}

#[test]
fn the_contract_example_is_valid_and_toml_datetimes_are_accepted() {
    let text = include_str!("../../../tests/fixtures/toml-datetimes.toml");
    let roster = Roster::parse(text).unwrap();
    assert_eq!(
        roster.policy("infra").unwrap().steps[1].delay.as_secs(),
        600
    );
    assert_eq!(
        roster
            .service_by_routing_key("0123456789abcdef0123456789abcdef")
            .unwrap()
            .id,
        "api"
    );
    let s = roster.schedule("primary").unwrap();
    assert_eq!(s.layers()[0].restrictions.len(), 1);
    assert_eq!(s.overrides().len(), 1);
}

#[test]
fn an_override_naming_someone_not_in_people_loads_with_a_warning() {
    // The original roster-format example (contract-example.toml) adds an undeclared "carol".
    let text = include_str!("../../../tests/fixtures/undeclared-override.toml");
    let roster = Roster::parse(text).unwrap();
    let warnings: Vec<String> = roster.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        has(
            &warnings,
            "schedules[0].overrides[0].add",
            "\"carol\" is not in [[people]]"
        ) && warnings[0].contains("pages reach no one")
            && warnings[0].contains("known people: alice, bob"),
        "{warnings:?}"
    );
    assert!(
        has(
            &warnings,
            "schedules[0].overrides[1].remove",
            "removing them changes nothing"
        ),
        "{warnings:?}"
    );
    // The override still applies: carol replaces alice for that day.
    let s = roster.schedule("primary").unwrap();
    assert_eq!(s.who("2026-01-07T15:00:00Z".parse().unwrap()), ["carol"]);
    // A clean roster has no warnings.
    let clean = text
        .replace("\"carol\"", "\"bob\"")
        .replace("\"alcie\"", "\"alice\"");
    assert!(Roster::parse(&clean).unwrap().warnings.is_empty());
}

/// alice alone, paged by the one step of policy `p`:
/// `tests/fixtures/alice-paged.toml`.
const ALICE_PAGED: &str = include_str!("../../../tests/fixtures/alice-paged.toml");

/// A roster of alice alone, paged by the one step of policy `p`, followed
/// by `services` (the `[[services]]` tables a test is about).
fn with_services(services: &str) -> String {
    format!("{ALICE_PAGED}{services}")
}

/// A `[[services]]` table for service `id` of policy `p` with `routing_key`.
fn service(id: &str, routing_key: &str) -> String {
    format!("[[services]]\nid = \"{id}\"\npolicy = \"p\"\nrouting_key = \"{routing_key}\"\n")
}

#[test]
fn two_services_with_one_id_are_refused() {
    let text = with_services(
        &(service("api", "0123456789abcdef0123456789abcdef")
            + &service("api", "fedcba9876543210fedcba9876543210")),
    );
    let p = problems(&text);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        has(&p, "services[1].id", "duplicate service id \"api\""),
        "{p:?}"
    );
}

#[test]
fn a_routing_key_with_a_symbol_names_the_symbol_not_the_length() {
    let text = with_services(&service("api", "0123456789abcdef0123456789abcde!"));
    let p = problems(&text);
    assert!(
        has(
            &p,
            "services[0].routing_key",
            "has '!', which is not a letter or digit"
        ),
        "{p:?}"
    );
}
