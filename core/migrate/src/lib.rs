//! klaxon-migrate: the one schema-migration runner for Klaxon's SQLite
//! databases — the phone's store (`klaxon-device`) and the relay's
//! (`klaxon-relay`) — so both follow the same rules:
//!
//! - migrations are numbered SQL files, applied in order; migration `i`
//!   (0-based) takes `PRAGMA user_version` from `i` to `i + 1`;
//! - each runs in its own `BEGIN IMMEDIATE` transaction together with its
//!   version bump, so a crash leaves the database at one version or the
//!   next, never in between;
//! - the version is read again under that write lock, so two processes
//!   opening a fresh file at once cannot both apply the same migration;
//! - a database newer than this build is refused, never touched.
//!
//! (`rusqlite_migration` follows the same `user_version` scheme but lags
//! the rusqlite release this workspace uses, and a second rusqlite would
//! link a second SQLite.)

#![warn(clippy::unwrap_used, clippy::expect_used)]

use rusqlite::{Connection, TransactionBehavior};

/// Why migrating failed.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// SQLite refused or failed an operation (or a migration's SQL).
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The database was written by a newer Klaxon; migrating it could
    /// corrupt it.
    #[error("the database has schema version {found}, newer than this build knows ({known}); update Klaxon")]
    SchemaTooNew {
        /// `PRAGMA user_version` found in the file.
        found: i64,
        /// The newest version this build can migrate to.
        known: i64,
    },
}

/// A database's migrations, oldest first. Never edit a released one: add one.
#[derive(Debug, Clone, Copy)]
pub struct Migrations(pub &'static [&'static str]);

impl Migrations {
    /// The schema version a fully migrated database has.
    pub const fn latest(&self) -> i64 {
        self.0.len() as i64
    }

    /// The version the database at `conn` is at.
    pub fn current(conn: &Connection) -> Result<i64, MigrateError> {
        Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// Migrates to the latest version.
    pub fn to_latest(&self, conn: &mut Connection) -> Result<(), MigrateError> {
        self.to_version(conn, self.latest())
    }

    /// Applies the migrations that take the database up to `target` (tests
    /// use it to build a database as an older release left it).
    pub fn to_version(&self, conn: &mut Connection, target: i64) -> Result<(), MigrateError> {
        let found = Self::current(conn)?;
        if found > self.latest() {
            return Err(MigrateError::SchemaTooNew {
                found,
                known: self.latest(),
            });
        }
        for (index, sql) in self.0.iter().enumerate() {
            let version = index as i64 + 1;
            if version <= found || version > target {
                continue;
            }
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            // Another process may have migrated while we waited for the lock.
            let now: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            if now < version {
                tx.execute_batch(sql)?;
                tx.pragma_update(None, "user_version", version)?;
            }
            tx.commit()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: Migrations =
        Migrations(&["CREATE TABLE a (x INTEGER);", "CREATE TABLE b (y INTEGER);"]);

    #[test]
    fn a_fresh_database_is_migrated_to_the_latest_version() {
        let mut conn = Connection::open_in_memory().unwrap();
        TWO.to_latest(&mut conn).unwrap();
        assert_eq!(Migrations::current(&conn).unwrap(), 2);
        TWO.to_latest(&mut conn).unwrap(); // again: nothing to do
        assert_eq!(Migrations::current(&conn).unwrap(), 2);
    }

    #[test]
    fn an_older_database_gets_only_the_missing_migrations() {
        let mut conn = Connection::open_in_memory().unwrap();
        TWO.to_version(&mut conn, 1).unwrap();
        assert_eq!(Migrations::current(&conn).unwrap(), 1);
        TWO.to_latest(&mut conn).unwrap();
        assert_eq!(Migrations::current(&conn).unwrap(), 2);
    }

    #[test]
    fn a_newer_database_is_refused_untouched() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", 3).unwrap();
        assert!(matches!(
            TWO.to_latest(&mut conn),
            Err(MigrateError::SchemaTooNew { found: 3, known: 2 })
        ));
    }

    #[test]
    fn two_connections_migrating_one_fresh_file_apply_each_migration_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let mut first = Connection::open(&path).unwrap();
        let mut second = Connection::open(&path).unwrap();
        second
            .busy_timeout(std::time::Duration::from_secs(5))
            .unwrap();
        let other = std::thread::spawn(move || TWO.to_latest(&mut second));
        TWO.to_latest(&mut first).unwrap();
        other.join().unwrap().unwrap();
        assert_eq!(Migrations::current(&first).unwrap(), 2);
    }
}
