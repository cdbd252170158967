//! Every name in the store's `settings` table, in one place: each row is
//! a JSON value under one of these names. A name is part of the on-disk
//! format: never rename one without a migration.

/// The user's [`klaxon_domain::notify::NotificationSettings`] (a user's
/// choice, so written with `synchronous=FULL`).
pub const NOTIFICATION: &str = "notification";
/// The [`crate::client::Enrollment`] (secret: holds the device identity).
pub const ENROLLMENT: &str = "device.enrollment";
/// The relay's sync cursor (`Option<u64>`; `None` after a new enrollment).
pub const CURSOR: &str = "device.sync_cursor";
/// The last [`klaxon_domain::wire::RosterView`] a sync brought.
pub const ROSTER: &str = "device.roster";
/// The relay's `roster_version` of the stored [`ROSTER`] (`Option<String>`;
/// `None` from a relay that sends none: then every sync asks for the roster).
pub const ROSTER_VERSION: &str = "device.roster_version";
/// What the platform lets the app do, as the shell last reported it
/// ([`crate::Capabilities`]).
pub const CAPABILITIES: &str = "device.capabilities";
/// When the last push (or stream page) arrived (`DateTime<Utc>`).
pub const LAST_PUSH: &str = "device.last_push_at";
/// When the last sync ran, succeeded, or why it failed.
pub const LAST_SYNC: &str = "device.last_sync";
/// The push platform and token the relay has registered
/// (`Option<String>`, `"Fcm:<token>"`); `None` until the next sync
/// registers it, so a new enrollment registers again.
pub const PUSH_REGISTERED: &str = "device.push_registered";
