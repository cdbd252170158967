//! The phone store's schema migrations: numbered SQL files, run by the
//! workspace's one migration runner (`klaxon-migrate`: each in its own
//! transaction with its `PRAGMA user_version` bump, a newer database refused).

use crate::error::Result;
use klaxon_migrate::Migrations;
use rusqlite::Connection;

/// The migrations, in order; migration `i` (0-based) takes the database
/// from `user_version = i` to `i + 1`. Never edit a released file: add one.
const MIGRATIONS: Migrations = Migrations(&[
    include_str!("migrations/0001_alerts.sql"),
    include_str!("migrations/0002_outbox.sql"),
    include_str!("migrations/0003_pages.sql"),
    include_str!("migrations/0004_device.sql"),
    include_str!("migrations/0005_drop_alerts.sql"),
    include_str!("migrations/0006_ringing.sql"),
    include_str!("migrations/0007_pages_renotify.sql"),
]);

/// The schema version a fresh database gets.
pub const LATEST_VERSION: i64 = MIGRATIONS.latest();

/// Applies the migrations that take the database up to `target`.
pub(super) fn migrate_to(conn: &mut Connection, target: i64) -> Result<()> {
    Ok(MIGRATIONS.to_version(conn, target)?)
}
