//! Schema migrations: numbered SQL files applied in order, each in its own
//! transaction together with the `PRAGMA user_version` bump, so a crash
//! leaves the database at one version or the next, never in between.

use crate::error::{Error, Result};
use rusqlite::{Connection, TransactionBehavior};

/// The migrations, in order; migration `i` (0-based) takes the database
/// from `user_version = i` to `i + 1`. Never edit a released file: add one.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_alerts.sql"),
    include_str!("migrations/0002_outbox.sql"),
    include_str!("migrations/0003_pages.sql"),
    include_str!("migrations/0004_device.sql"),
];

/// The schema version a fresh database gets.
pub const LATEST_VERSION: i64 = MIGRATIONS.len() as i64;

/// Applies the migrations that take the database up to `target`.
pub(super) fn migrate_to(conn: &mut Connection, target: i64) -> Result<()> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > LATEST_VERSION {
        return Err(Error::SchemaTooNew {
            found,
            known: LATEST_VERSION,
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate() {
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
