//! The embedded SQLite store: the alerts synced from the relay, the outbox,
//! received pages, the alerts ringing now, and settings. WAL, one writer,
//! numbered migrations under
//! `PRAGMA user_version`; every pragma below says why it is set.

mod migrate;
mod outbox;
mod pages;
mod ringing;
mod settings;
mod synced_alerts;

pub use migrate::LATEST_VERSION;

use crate::error::{Error, Result};
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior};
use std::path::Path;

/// How hard a write insists on reaching the disk before it returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// `synchronous=NORMAL`: survives a crash of the app; a power cut may
    /// lose the last commits. For what the relay delivers again (pages,
    /// timer bookkeeping).
    Normal,
    /// `synchronous=FULL`: the WAL is fsynced at commit; once the call
    /// returns, a power cut does not undo it. For every user action.
    Full,
}

/// The database. Exactly one writer: a `Store` owns the process's only
/// connection to the file and every write takes `&mut self`. Another process
/// (the iOS notification extension) opens its own `Store`; SQLite's lock and
/// `busy_timeout` serialise the two.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
}

/// The pragmas every connection runs, each with its reason. They are
/// per-connection settings (except `journal_mode=WAL`, which sticks to the
/// file), so they run at every open.
pub const PRAGMAS: &[(&str, &str, &str)] = &[
    (
        "journal_mode",
        "WAL",
        "readers (the UI, the notification extension) never block the writer and a crash mid-write \
         leaves the last committed state; commits are appends, which keeps them fast",
    ),
    (
        "synchronous",
        "NORMAL",
        "the default for background writes: in WAL mode NORMAL never corrupts the database, and a \
         power cut loses at most the last commits, which the relay re-delivers; user actions switch \
         to FULL (see Durability)",
    ),
    (
        "foreign_keys",
        "ON",
        "SQLite leaves them off by default; no table declares one today, but one a migration \
         adds must hold from the start",
    ),
    (
        "busy_timeout",
        "5000",
        "the app and its notification extension are two processes on one file; the second writer \
         waits up to 5 s for the lock instead of failing with SQLITE_BUSY",
    ),
    (
        "cache_size",
        "-1024",
        "a 1 MiB page cache (default 2 MiB): the working set is small and the iOS notification \
         extension has 24 MB in all",
    ),
    (
        "journal_size_limit",
        "4194304",
        "after a checkpoint the WAL file is truncated to 4 MiB, so an alert storm does not leave \
         a large file behind on the phone",
    ),
    (
        "trusted_schema",
        "OFF",
        "hardening recommended by SQLite: functions with side effects cannot run from a schema \
         that a tampered file brings along",
    ),
];

impl Store {
    /// Opens (creating if needed) the database at `path`, applies the
    /// pragmas and any pending migrations. Refuses a file from a newer Klaxon.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        let path = path.as_ref();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let conn = Connection::open(path)?;
        Store::from_connection(conn, LATEST_VERSION)
    }

    /// Opens the database and migrates it only up to `version`; for the
    /// migration tests, which build databases of every earlier version.
    #[doc(hidden)]
    pub fn open_at_version(path: impl AsRef<Path>, version: i64) -> Result<Store> {
        Store::from_connection(Connection::open(path)?, version)
    }

    fn from_connection(mut conn: Connection, version: i64) -> Result<Store> {
        for (name, value, _why) in PRAGMAS {
            // journal_mode answers with a row; the others answer nothing.
            conn.query_row(&format!("PRAGMA {name} = {value}"), [], |_| Ok(()))
                .optional()?;
        }
        migrate::migrate_to(&mut conn, version)?;
        Ok(Store { conn })
    }

    /// `PRAGMA user_version`: the number of migrations applied.
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// `PRAGMA integrity_check`: `"ok"` for an intact file, otherwise the problems.
    pub fn integrity_check(&self) -> Result<String> {
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        let rows: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows.join("\n"))
    }

    /// A description of the schema (tables, indexes, triggers and their
    /// columns), for comparing a migrated database with a fresh one.
    pub fn schema_fingerprint(&self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        let mut stmt = self.conn.prepare(
            "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_schema \
             WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
        )?;
        let objects: Vec<(String, String, String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (kind, name, table, sql) in objects {
            out.push(format!("{kind} {name} on {table}: {}", normalize_sql(&sql)));
            if kind == "table" {
                let mut cols = self
                    .conn
                    .prepare(&format!("PRAGMA table_xinfo({name:?})"))?;
                let described: Vec<String> = cols
                    .query_map([], |r| {
                        Ok(format!(
                            "  column {} {} notnull={} default={:?} pk={}",
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, i64>(3)?,
                            r.get::<_, Option<String>>(4)?,
                            r.get::<_, i64>(5)?
                        ))
                    })?
                    .collect::<rusqlite::Result<_>>()?;
                out.extend(described);
            }
        }
        Ok(out)
    }

    /// Runs `f` in one write transaction with the given durability.
    /// `BEGIN IMMEDIATE` takes the write lock up front, so a transaction
    /// never fails half-way with SQLITE_BUSY when it starts writing.
    pub(crate) fn write<T>(
        &mut self,
        durability: Durability,
        f: impl FnOnce(&Transaction) -> Result<T>,
    ) -> Result<T> {
        if durability == Durability::Full {
            // synchronous cannot change inside a transaction, so set it around.
            self.conn.pragma_update(None, "synchronous", "FULL")?;
        }
        let result = (|| {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let value = f(&tx)?;
            tx.commit()?;
            Ok(value)
        })();
        if durability == Durability::Full {
            let restored = self.conn.pragma_update(None, "synchronous", "NORMAL");
            // The write's own error matters more than a failed restore.
            if result.is_ok() {
                restored?;
            }
        }
        result
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }
}

/// Collapses whitespace so formatting differences do not count as schema differences.
fn normalize_sql(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Instants are stored as RFC 3339 UTC text with all nine fraction digits:
/// exact (a stored alert reads back equal to the one saved) and fixed-width,
/// so SQL compares and sorts them correctly as text.
pub(crate) fn ts(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// Parses [`ts`]'s output.
pub(crate) fn parse_ts(text: &str, what: &'static str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| Error::Corrupt {
            what,
            value: text.to_string(),
        })
}

#[cfg(test)]
mod tests;
