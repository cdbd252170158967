//! The `synced_alerts` table: the alerts of the device's teams as the relay
//! last described them (one row each, replaced only by the same or a later
//! revision), with pages newer than the last sync merged in.

use super::{ts, Durability, Store};
use crate::error::Result;
use klaxon_domain::wire::AlertView;
use rusqlite::{params, OptionalExtension};

impl Store {
    /// Saves alerts from a sync (or a push) in one transaction. A row is
    /// replaced only by a view of the same or a later revision, so a stale
    /// push arriving after a sync never rolls an alert back.
    pub fn save_synced_alerts(&mut self, alerts: &[AlertView]) -> Result<()> {
        let rows: Vec<(&AlertView, String)> = alerts
            .iter()
            .map(|a| serde_json::to_string(a).map(|j| (a, j)))
            .collect::<serde_json::Result<_>>()?;
        self.write(Durability::Normal, |tx| {
            let mut upsert = tx.prepare_cached(
                "INSERT INTO synced_alerts (id, status, created_at, revision, body) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (id) DO UPDATE SET \
                 status = excluded.status, revision = excluded.revision, body = excluded.body \
                 WHERE excluded.revision >= synced_alerts.revision",
            )?;
            for (alert, body) in &rows {
                upsert.execute(params![
                    alert.id,
                    alert.status.as_str(),
                    ts(alert.created_at),
                    alert.revision,
                    body
                ])?;
            }
            Ok(())
        })
    }

    /// The synced alert with this id.
    pub fn synced_alert(&self, id: &str) -> Result<Option<AlertView>> {
        let body: Option<String> = self
            .conn()
            .prepare_cached("SELECT body FROM synced_alerts WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?;
        body.map(|b| serde_json::from_str(&b))
            .transpose()
            .map_err(Into::into)
    }

    /// Every synced alert, newest first.
    pub fn synced_alerts(&self) -> Result<Vec<AlertView>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT body FROM synced_alerts ORDER BY created_at DESC, id")?;
        let bodies: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        bodies
            .iter()
            .map(|b| serde_json::from_str(b).map_err(Into::into))
            .collect()
    }
}
