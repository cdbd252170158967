//! The files in `tests/fixtures/`, by name. One folder holds every fixture;
//! Python, Kotlin and shell tests read the same files by path.

/// The relay tests' roster: `tests/fixtures/relay.toml` (teams infra and
/// web, seconds-long escalation delays).
pub const RELAY_ROSTER: &str = include_str!("../../fixtures/relay.toml");

/// The sample team of the README, the demo and the phone tests:
/// `tests/fixtures/roster.toml`.
pub const ROSTER: &str = include_str!("../../fixtures/roster.toml");

/// The push end-to-end tests' team: `tests/fixtures/push.toml` (alice
/// always on call, one 2 s step repeated once). Tests derive variants by
/// replacing exact lines of it.
pub const PUSH: &str = include_str!("../../fixtures/push.toml");

/// A fragment to append to [`PUSH`]: schedule `later`, where bob is on call
/// on one weekday only (`{day}`, see [`fill`]): `tests/fixtures/later-schedule.toml`.
pub const LATER_SCHEDULE: &str = include_str!("../../fixtures/later-schedule.toml");

/// The two-phones test's team: `tests/fixtures/two-phones.toml` (alice,
/// then bob, `{STEP_SECONDS}` apart, routing key `{KEY}`; see [`fill`]).
pub const TWO_PHONES: &str = include_str!("../../fixtures/two-phones.toml");

/// alice alone, one step and no repeat, so an escalation has nowhere to go:
/// `tests/fixtures/solo.toml`.
pub const SOLO: &str = include_str!("../../fixtures/solo.toml");

/// An office open on one weekday only (`{day}`, see [`fill`]), then bob:
/// `tests/fixtures/office-one-day.toml`.
pub const OFFICE_ONE_DAY: &str = include_str!("../../fixtures/office-one-day.toml");

/// The re-notification tests' team: `tests/fixtures/renotify.toml` (one
/// policy re-notifying every minute; its first step's `{targets}` filled in
/// by the test, see [`fill`]).
pub const RENOTIFY: &str = include_str!("../../fixtures/renotify.toml");

/// The relay load harness's roster: `tests/fixtures/load.toml` (alice after
/// `{delay}`, then bob; routing key `{KEY}`; see [`fill`]).
pub const LOAD: &str = include_str!("../../fixtures/load.toml");

/// alice and bob rotating hourly in schedule `s` (`{zone}`, from `{start}`;
/// see [`fill`]): `tests/fixtures/hourly.toml`.
pub const HOURLY: &str = include_str!("../../fixtures/hourly.toml");

/// Test-only FCM service-account key A (`tests/fixtures/keys/README.md`).
pub const FCM_KEY_A: &str = include_str!("../../fixtures/keys/TEST-ONLY-fcm-rsa-2048-a.pem");

/// Test-only FCM key B: signs nothing the fake accepts for account A.
pub const FCM_KEY_B: &str = include_str!("../../fixtures/keys/TEST-ONLY-fcm-rsa-2048-b.pem");

/// Absolute path of a file in `tests/fixtures/`, for tests that hand a path
/// to a process (`klaxon serve --config …`).
pub fn path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures")
        .join(name)
}

/// A fixture template with each `(placeholder, value)` filled in, as
/// `format!` would have done with the TOML pasted into the test. Panics when
/// a placeholder is not in the template, so a renamed one cannot silently
/// leave the roster unchanged.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut text = template.to_string();
    for (placeholder, value) in values {
        assert!(
            text.contains(placeholder),
            "fixture has no {placeholder} to fill"
        );
        text = text.replace(placeholder, value);
    }
    text
}
