//! The SQL of the write path ([`WriteTx`]) on the writer's connection,
//! inside the batch transaction: load an alert, claim due deadlines, and
//! persist a [`Plan`] as it is — the alert row, its deadline row, its push
//! rows and status pushes. Every decision was made by [`crate::routing`].

use super::ops::{load_alert, query_alert};
use super::WriterState;
use crate::errors::StoreError;
use crate::routing::{Plan, PlannedPage, StatusPushes};
use crate::store::write::{Persisted, WriteTx};
use crate::store::{HeartbeatRow, StoredAlert};
use chrono::DateTime;
use klaxon_domain::wire::AlertDetails;
use klaxon_domain::Alert;
use rusqlite::{params, Connection};

/// The writer's connection, with its transaction open, as a [`WriteTx`].
pub(super) struct SqliteTx<'c> {
    /// The write connection.
    pub(super) conn: &'c Connection,
    /// The change counter.
    pub(super) state: &'c mut WriterState,
}

impl WriteTx for SqliteTx<'_> {
    fn open_alert(
        &mut self,
        service: &str,
        dedup_key: &str,
    ) -> Result<Option<StoredAlert>, StoreError> {
        query_alert(
            self.conn,
            "service = ?1 AND dedup_key = ?2 AND open = 1",
            [service, dedup_key],
        )
    }

    fn alert(&mut self, id: &str) -> Result<Option<StoredAlert>, StoreError> {
        load_alert(self.conn, id)
    }

    fn claim_due(&mut self, now_ms: i64, limit: usize) -> Result<Vec<(String, i64)>, StoreError> {
        // The single writer is the claim: no other transaction runs beside it.
        Ok(self
            .conn
            .prepare_cached(
                "SELECT alert_id, due_ms FROM deadlines WHERE due_ms <= ?1
                 ORDER BY due_ms LIMIT ?2",
            )?
            .query_map(
                params![now_ms, i64::try_from(limit).unwrap_or(i64::MAX)],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?
            .collect::<Result<_, _>>()?)
    }

    fn reachable(&self, person: &str) -> Result<bool, StoreError> {
        // `devices_person` makes this one index probe.
        Ok(self
            .conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM devices WHERE person = ?1)")?
            .query_row([person], |r| r.get(0))?)
    }

    fn set_deadline(&mut self, alert: &str, due_ms: Option<i64>) -> Result<(), StoreError> {
        match due_ms {
            Some(due) => self
                .conn
                .prepare_cached(
                    "INSERT INTO deadlines (alert_id, due_ms) VALUES (?1, ?2)
                     ON CONFLICT (alert_id) DO UPDATE SET due_ms = excluded.due_ms",
                )?
                .execute(params![alert, due])?,
            None => self
                .conn
                .prepare_cached("DELETE FROM deadlines WHERE alert_id = ?1")?
                .execute([alert])?,
        };
        Ok(())
    }

    fn claim_overdue_heartbeats(
        &mut self,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<HeartbeatRow>, StoreError> {
        let rows: Vec<(String, Option<i64>, i64)> = self
            .conn
            .prepare_cached(
                "SELECT id, last_beat_ms, due_ms FROM heartbeats
                 WHERE overdue = 0 AND due_ms <= ?1 ORDER BY due_ms LIMIT ?2",
            )?
            .query_map(
                params![now_ms, i64::try_from(limit).unwrap_or(i64::MAX)],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?
            .collect::<Result<_, _>>()?;
        rows.into_iter()
            .map(|(id, last, due)| {
                Ok(HeartbeatRow {
                    id,
                    last_beat: match last {
                        Some(ms) => Some(
                            DateTime::from_timestamp_millis(ms)
                                .ok_or(StoreError::Corrupt("heartbeats.last_beat_ms"))?,
                        ),
                        None => None,
                    },
                    due: DateTime::from_timestamp_millis(due)
                        .ok_or(StoreError::Corrupt("heartbeats.due_ms"))?,
                })
            })
            .collect()
    }

    fn record_beat(&mut self, id: &str, at_ms: i64, due_ms: i64) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO heartbeats (id, last_beat_ms, due_ms, overdue) VALUES (?1, ?2, ?3, 0)
                 ON CONFLICT (id) DO UPDATE SET last_beat_ms = excluded.last_beat_ms,
                     due_ms = excluded.due_ms, overdue = 0",
            )?
            .execute(params![id, at_ms, due_ms])?;
        Ok(())
    }

    fn mark_overdue(&mut self, id: &str) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("UPDATE heartbeats SET overdue = 1 WHERE id = ?1")?
            .execute([id])?;
        Ok(())
    }

    fn forget_heartbeat(&mut self, id: &str) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("DELETE FROM heartbeats WHERE id = ?1")?
            .execute([id])?;
        Ok(())
    }

    fn persist(&mut self, plan: &Plan) -> Result<Persisted, StoreError> {
        let cursor = self.state.next_change();
        save(self.conn, cursor, &plan.alert, &plan.details)?;
        self.set_deadline(&plan.alert.id, plan.deadline_ms)?;
        let mut pushes_queued = false;
        // Status pushes first: they drop the devices' waiting page pushes,
        // which must not take the pages this same plan queues.
        if let Some(status) = &plan.status_pushes {
            pushes_queued |= queue_status_pushes(self.conn, &plan.alert.id, status, plan.now_ms)?;
        }
        if plan.push {
            pushes_queued |=
                queue_page_pushes(self.conn, &plan.alert.id, &plan.pages, plan.now_ms)?;
        }
        Ok(Persisted {
            cursor,
            pushes_queued,
        })
    }
}

/// Writes an alert row under change cursor `changed`.
fn save(
    conn: &Connection,
    changed: u64,
    alert: &Alert,
    details: &AlertDetails,
) -> Result<(), StoreError> {
    let body = serde_json::to_string(alert)?;
    let details = serde_json::to_string(details)?;
    conn.prepare_cached(
        "INSERT INTO alerts (id, service, dedup_key, status, open, created_ms, changed, body, details)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, open = excluded.open,
             changed = excluded.changed, body = excluded.body, details = excluded.details",
    )?
    .execute(params![
        alert.id,
        alert.service,
        alert.dedup_key,
        alert.status.as_str(),
        alert.status.is_open(),
        alert.created_at.timestamp_millis(),
        i64::try_from(changed).unwrap_or(i64::MAX),
        body,
        details,
    ])?;
    Ok(())
}

/// Queues each page for every push-registered device of its people, and
/// remembers those devices were paged (for the status pushes to come);
/// true when any row was added.
fn queue_page_pushes(
    conn: &Connection,
    alert: &str,
    pages: &[PlannedPage],
    now_ms: i64,
) -> Result<bool, StoreError> {
    let mut queued = false;
    let mut devices = conn.prepare_cached(
        "SELECT id FROM devices WHERE person = ?1 AND push_token IS NOT NULL
         AND push_platform IN ('apns', 'fcm')",
    )?;
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO push_outbox (alert_id, step_seq, revision, device_id, page, next_ms)
         VALUES (?1, ?2, 0, ?3, ?4, ?5)",
    )?;
    let mut paged = conn
        .prepare_cached("INSERT OR IGNORE INTO push_paged (alert_id, device_id) VALUES (?1, ?2)")?;
    for planned in pages {
        let json = serde_json::to_string(&planned.page)?;
        for person in &planned.people {
            let ids: Vec<String> = devices
                .query_map([person], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            for id in ids {
                queued |=
                    insert.execute(params![alert, planned.page.step_seq, id, json, now_ms])? > 0;
                paged.execute(params![alert, id])?;
            }
        }
    }
    Ok(queued)
}

/// Queues the status push for every push-registered device that was
/// pushed a page of the alert, but those of `except`, once per (alert,
/// revision, device), dropping their page pushes still waiting; true when
/// any row was added.
fn queue_status_pushes(
    conn: &Connection,
    alert: &str,
    status: &StatusPushes,
    now_ms: i64,
) -> Result<bool, StoreError> {
    let devices: Vec<(String, String)> = conn
        .prepare_cached(
            "SELECT d.id, d.person FROM push_paged p JOIN devices d ON d.id = p.device_id
             WHERE p.alert_id = ?1 AND d.push_token IS NOT NULL
             AND d.push_platform IN ('apns', 'fcm') ORDER BY d.id",
        )?
        .query_map([alert], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let json = serde_json::to_string(&status.page)?;
    let mut drop_pages = conn.prepare_cached(
        "DELETE FROM push_outbox WHERE alert_id = ?1 AND device_id = ?2 AND revision = 0",
    )?;
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO push_outbox (alert_id, step_seq, revision, device_id, page, next_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut queued = false;
    for (device, person) in devices {
        if status.except.contains(&person) {
            continue;
        }
        drop_pages.execute(params![alert, device])?;
        queued |= insert.execute(params![
            alert,
            status.page.step_seq,
            status.page.revision,
            device,
            json,
            now_ms
        ])? > 0;
    }
    if status.forget_paged {
        conn.prepare_cached("DELETE FROM push_paged WHERE alert_id = ?1")?
            .execute([alert])?;
    }
    Ok(queued)
}
