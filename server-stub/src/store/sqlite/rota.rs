//! The SQL of [`crate::store::rota::RotaStore`]: live overrides, the audit
//! log and calendar links (migration `0004_rota.sql`).

use super::SqliteStore;
use crate::errors::StoreError;
use crate::store::rota::{AuditEntry, AuditRecord, NewOverride, RotaStore};
use crate::store::StoreFuture;
use chrono::{DateTime, Utc};
use klaxon_domain::schedule::LiveOverride;
use rusqlite::{params, Connection, OptionalExtension, Row};

fn ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

fn at(ms: i64, column: &'static str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_millis(ms).ok_or(StoreError::Corrupt(column))
}

/// The columns an override is read from, in [`override_row`]'s order.
const OVERRIDE_COLUMNS: &str =
    "id, schedule, person, replacing, start_ms, end_ms, created_ms, created_by";

type OverrideRow = (i64, String, String, Option<String>, i64, i64, i64, String);

fn override_row(r: &Row<'_>) -> rusqlite::Result<OverrideRow> {
    r.try_into()
}

fn decode(row: OverrideRow) -> Result<LiveOverride, StoreError> {
    let (id, schedule, person, replacing, start, end, created, created_by) = row;
    Ok(LiveOverride {
        id,
        schedule,
        person,
        replacing,
        start: at(start, "live_overrides.start_ms")?,
        end: at(end, "live_overrides.end_ms")?,
        created_at: at(created, "live_overrides.created_ms")?,
        created_by,
    })
}

pub(super) fn insert_audit(conn: &Connection, record: &AuditRecord) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO audit_log (at_ms, who, action, what) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        ms(record.at),
        record.who,
        record.action,
        record.what
    ])?;
    Ok(())
}

fn load_override(conn: &Connection, id: i64) -> Result<Option<LiveOverride>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {OVERRIDE_COLUMNS} FROM live_overrides WHERE id = ?1"
    ))?
    .query_row([id], override_row)
    .optional()?
    .map(decode)
    .transpose()
}

impl RotaStore for SqliteStore {
    fn add_override(&self, new: NewOverride, audit: AuditRecord) -> StoreFuture<LiveOverride> {
        self.write(move |conn, _| {
            conn.prepare_cached(
                "INSERT INTO live_overrides (schedule, person, replacing, start_ms, end_ms, created_ms, created_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                new.schedule,
                new.person,
                new.replacing,
                ms(new.start),
                ms(new.end),
                ms(new.created_at),
                new.created_by
            ])?;
            let id = conn.last_insert_rowid();
            let mut audit = audit;
            audit.what = format!("override {id}: {}", audit.what);
            insert_audit(conn, &audit)?;
            load_override(conn, id)?.ok_or(StoreError::Corrupt("live_overrides.id"))
        })
    }

    fn remove_override(&self, id: i64, audit: AuditRecord) -> StoreFuture<Option<LiveOverride>> {
        self.write(move |conn, _| {
            let Some(found) = load_override(conn, id)? else {
                return Ok(None);
            };
            conn.prepare_cached("DELETE FROM live_overrides WHERE id = ?1")?
                .execute([id])?;
            insert_audit(conn, &audit)?;
            Ok(Some(found))
        })
    }

    fn live_overrides(&self, now: DateTime<Utc>) -> StoreFuture<Vec<LiveOverride>> {
        self.read(move |conn| {
            let rows: Vec<OverrideRow> = conn
                .prepare_cached(&format!(
                    "SELECT {OVERRIDE_COLUMNS} FROM live_overrides WHERE end_ms > ?1 ORDER BY id"
                ))?
                .query_map([ms(now)], override_row)?
                .collect::<Result<_, _>>()?;
            rows.into_iter().map(decode).collect()
        })
    }

    fn record_audit(&self, record: AuditRecord) -> StoreFuture<()> {
        self.write(move |conn, _| insert_audit(conn, &record))
    }

    fn audit_log(&self, limit: usize) -> StoreFuture<Vec<AuditEntry>> {
        self.read(move |conn| {
            type Raw = (i64, i64, String, String, String);
            let mut rows: Vec<Raw> = conn
                .prepare_cached(
                    "SELECT id, at_ms, who, action, what FROM audit_log ORDER BY id DESC LIMIT ?1",
                )?
                .query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| r.try_into())?
                .collect::<Result<_, _>>()?;
            rows.reverse();
            rows.into_iter()
                .map(|(id, at_ms, who, action, what)| {
                    Ok(AuditEntry {
                        id,
                        record: AuditRecord {
                            at: at(at_ms, "audit_log.at_ms")?,
                            who,
                            action,
                            what,
                        },
                    })
                })
                .collect()
        })
    }

    fn create_ical_link(
        &self,
        token_sha256: String,
        person: String,
        audit: AuditRecord,
    ) -> StoreFuture<()> {
        self.write(move |conn, _| {
            conn.prepare_cached(
                "INSERT INTO ical_links (token_sha256, person, created_ms) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![token_sha256, person, ms(audit.at)])?;
            insert_audit(conn, &audit)
        })
    }

    fn ical_link_person(&self, token_sha256: String) -> StoreFuture<Option<String>> {
        self.read(move |conn| {
            Ok(conn
                .prepare_cached("SELECT person FROM ical_links WHERE token_sha256 = ?1")?
                .query_row([token_sha256], |r| r.get(0))
                .optional()?)
        })
    }
}
