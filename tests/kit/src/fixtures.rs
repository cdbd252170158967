//! The files in `tests/fixtures/`, by name. One folder holds every fixture;
//! Python, Kotlin and shell tests read the same files by path.

/// The relay tests' roster: `tests/fixtures/relay.toml` (teams infra and
/// web, seconds-long escalation delays).
pub const RELAY_ROSTER: &str = include_str!("../../fixtures/relay.toml");

/// The sample team of the README, the demo and the phone tests:
/// `tests/fixtures/roster.toml`.
pub const ROSTER: &str = include_str!("../../fixtures/roster.toml");

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
