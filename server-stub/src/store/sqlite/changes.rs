//! Change events (table `changes`, migration 0008): stored per service,
//! read back for the hour before an alert, pruned 7 days after they
//! happened as new ones arrive.

use crate::errors::StoreError;
use crate::ingest::change_events::Change;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};

/// Stores `change`, then deletes every change (itself too, when it is that
/// old) that happened before `prune_before`, so the table holds only the
/// retained ones.
pub(super) fn record(
    conn: &Connection,
    change: &Change,
    prune_before: DateTime<Utc>,
) -> Result<(), StoreError> {
    let custom_details = change
        .custom_details
        .as_ref()
        .map(serde_json::to_string)
        .transpose()?;
    conn.prepare_cached(
        "INSERT INTO changes (service, at_ms, received_ms, summary, source, custom_details, links)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        change.service,
        change.at.timestamp_millis(),
        change.received_at.timestamp_millis(),
        change.summary,
        change.source,
        custom_details,
        serde_json::to_string(&change.links)?,
    ])?;
    conn.prepare_cached("DELETE FROM changes WHERE at_ms < ?1")?
        .execute([prune_before.timestamp_millis()])?;
    Ok(())
}

/// A `changes` row's columns, decoded after the statement ends.
type Row = (i64, i64, String, Option<String>, Option<String>, String);

/// The changes of `service` from `from` to `to` inclusive, newest first,
/// at most `limit`.
pub(super) fn between(
    conn: &Connection,
    service: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<Change>, StoreError> {
    let rows: Vec<Row> = conn
        .prepare_cached(
            "SELECT at_ms, received_ms, summary, source, custom_details, links FROM changes
             WHERE service = ?1 AND at_ms >= ?2 AND at_ms <= ?3
             ORDER BY at_ms DESC, id DESC LIMIT ?4",
        )?
        .query_map(
            params![
                service,
                from.timestamp_millis(),
                to.timestamp_millis(),
                i64::try_from(limit).unwrap_or(i64::MAX)
            ],
            |r| r.try_into(),
        )?
        .collect::<Result<_, _>>()?;
    rows.into_iter()
        .map(|(at, received, summary, source, custom_details, links)| {
            let instant = |ms: i64, column| {
                DateTime::from_timestamp_millis(ms).ok_or(StoreError::Corrupt(column))
            };
            Ok(Change {
                service: service.to_string(),
                summary,
                source,
                at: instant(at, "changes.at_ms")?,
                received_at: instant(received, "changes.received_ms")?,
                custom_details: custom_details
                    .map(|text| serde_json::from_str(&text))
                    .transpose()?,
                links: serde_json::from_str(&links)?,
            })
        })
        .collect()
}
