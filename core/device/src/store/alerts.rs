//! Alerts and their timelines in SQLite. Saving an alert upserts its row
//! and appends the timeline entries the database does not have yet; stored
//! entries are never rewritten (triggers in the schema refuse it).

use super::{parse_ts, ts, Durability, Store};
use crate::error::{Error, Result};
use klaxon_domain::alert::{
    Actor, Alert, AlertStatus, IdempotencyKey, Source, Timeline, TimelineEntry,
};
use klaxon_domain::Priority;
use rusqlite::{params, OptionalExtension, Row};

const ALERT_COLUMNS: &str =
    "id, service, dedup_key, summary, priority, status, created_at, acknowledged_by, snoozed_until, escalation";

impl Store {
    /// Saves an alert (new or changed) in one transaction. `Full` for
    /// changes a person or an integration is waiting to see confirmed.
    pub fn save_alert(&mut self, alert: &Alert, durability: Durability) -> Result<()> {
        let escalation = serde_json::to_string(&alert.escalation)?;
        let events: Vec<String> = alert
            .timeline
            .entries()
            .iter()
            .map(|e| serde_json::to_string(&e.event))
            .collect::<serde_json::Result<_>>()?;
        self.write(durability, |tx| {
            tx.prepare_cached(
                "INSERT INTO alerts (id, service, dedup_key, summary, priority, status, created_at, \
                 acknowledged_by, snoozed_until, escalation) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
                 ON CONFLICT (id) DO UPDATE SET summary = excluded.summary, priority = excluded.priority, \
                 status = excluded.status, acknowledged_by = excluded.acknowledged_by, \
                 snoozed_until = excluded.snoozed_until, escalation = excluded.escalation",
            )?
            .execute(params![
                alert.id,
                alert.service,
                alert.dedup_key,
                alert.summary,
                alert.priority.as_str(),
                alert.status.as_str(),
                ts(alert.created_at),
                alert.acknowledged_by,
                alert.snoozed_until.map(ts),
                escalation,
            ])?;
            let stored: u32 = tx
                .prepare_cached("SELECT count(*) FROM timeline WHERE alert_id = ?1")?
                .query_row([&alert.id], |r| r.get(0))?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO timeline (alert_id, seq, at, who, source, event, idempotency_key) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for (entry, event) in alert.timeline.entries().iter().zip(&events).skip(stored as usize) {
                insert.execute(params![
                    alert.id,
                    entry.seq,
                    ts(entry.at),
                    entry.actor.who,
                    entry.actor.source.as_str(),
                    event,
                    entry.key.as_ref().map(IdempotencyKey::as_str),
                ])?;
            }
            Ok(())
        })
    }

    /// The alert with this id, with its timeline.
    pub fn alert(&self, id: &str) -> Result<Option<Alert>> {
        let sql = format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE id = ?1");
        let row = self
            .conn()
            .prepare_cached(&sql)?
            .query_row([id], read_alert_row)
            .optional()?;
        row.map(|row| self.finish_alert(row)).transpose()
    }

    /// The open alert of `service` with `dedup_key`, if any: what a new
    /// trigger with that key must update instead of opening another.
    pub fn open_alert(&self, service: &str, dedup_key: &str) -> Result<Option<Alert>> {
        let sql = format!(
            "SELECT {ALERT_COLUMNS} FROM alerts WHERE service = ?1 AND dedup_key = ?2 AND status <> 'resolved'"
        );
        let row = self
            .conn()
            .prepare_cached(&sql)?
            .query_row([service, dedup_key], read_alert_row)
            .optional()?;
        row.map(|row| self.finish_alert(row)).transpose()
    }

    /// Alerts, newest first, optionally only those in one state.
    pub fn alerts(&self, status: Option<AlertStatus>) -> Result<Vec<Alert>> {
        let sql = format!(
            "SELECT {ALERT_COLUMNS} FROM alerts WHERE ?1 IS NULL OR status = ?1 ORDER BY created_at DESC, id"
        );
        let rows: Vec<AlertRow> = self
            .conn()
            .prepare_cached(&sql)?
            .query_map([status.map(AlertStatus::as_str)], read_alert_row)?
            .collect::<rusqlite::Result<_>>()?;
        rows.into_iter().map(|row| self.finish_alert(row)).collect()
    }

    /// How many alerts are stored.
    pub fn alert_count(&self) -> Result<u64> {
        Ok(self
            .conn()
            .query_row("SELECT count(*) FROM alerts", [], |r| r.get::<_, i64>(0))?
            .unsigned_abs())
    }

    fn finish_alert(&self, row: AlertRow) -> Result<Alert> {
        let timeline = self.timeline(&row.id)?;
        Ok(Alert {
            priority: row
                .priority
                .parse::<Priority>()
                .map_err(|_| Error::Corrupt {
                    what: "alerts.priority",
                    value: row.priority.clone(),
                })?,
            status: AlertStatus::parse(&row.status).ok_or_else(|| Error::Corrupt {
                what: "alerts.status",
                value: row.status.clone(),
            })?,
            created_at: parse_ts(&row.created_at, "alerts.created_at")?,
            snoozed_until: row
                .snoozed_until
                .as_deref()
                .map(|t| parse_ts(t, "alerts.snoozed_until"))
                .transpose()?,
            escalation: serde_json::from_str(&row.escalation)?,
            id: row.id,
            service: row.service,
            dedup_key: row.dedup_key,
            summary: row.summary,
            acknowledged_by: row.acknowledged_by,
            timeline,
        })
    }

    fn timeline(&self, alert_id: &str) -> Result<Timeline> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT seq, at, who, source, event, idempotency_key FROM timeline WHERE alert_id = ?1 ORDER BY seq",
        )?;
        let rows: Vec<(u32, String, String, String, String, Option<String>)> = stmt
            .query_map([alert_id], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut entries = Vec::with_capacity(rows.len());
        for (seq, at, who, source, event, key) in rows {
            entries.push(TimelineEntry {
                seq,
                at: parse_ts(&at, "timeline.at")?,
                actor: Actor {
                    who,
                    source: Source::parse(&source).ok_or(Error::Corrupt {
                        what: "timeline.source",
                        value: source.clone(),
                    })?,
                },
                event: serde_json::from_str(&event)?,
                key: key.map(IdempotencyKey::new),
            });
        }
        Timeline::from_entries(entries).ok_or_else(|| Error::Corrupt {
            what: "timeline order of alert",
            value: alert_id.to_string(),
        })
    }
}

struct AlertRow {
    id: String,
    service: String,
    dedup_key: String,
    summary: String,
    priority: String,
    status: String,
    created_at: String,
    acknowledged_by: Option<String>,
    snoozed_until: Option<String>,
    escalation: String,
}

fn read_alert_row(r: &Row<'_>) -> rusqlite::Result<AlertRow> {
    Ok(AlertRow {
        id: r.get(0)?,
        service: r.get(1)?,
        dedup_key: r.get(2)?,
        summary: r.get(3)?,
        priority: r.get(4)?,
        status: r.get(5)?,
        created_at: r.get(6)?,
        acknowledged_by: r.get(7)?,
        snoozed_until: r.get(8)?,
        escalation: r.get(9)?,
    })
}
