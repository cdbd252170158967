//! A device's synced state: the alerts the relay last described (one row
//! each, replaced as newer revisions arrive) and named JSON values in the
//! `settings` table (identity, sync cursor, roster view, capabilities).

use super::{ts, Durability, Store};
use crate::error::Result;
use klaxon_domain::wire::AlertView;
use rusqlite::{params, OptionalExtension};
use serde::de::DeserializeOwned;
use serde::Serialize;

impl Store {
    /// The JSON value stored under `name` in `settings`, if any.
    pub fn setting<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>> {
        let json: Option<String> = self
            .conn()
            .prepare_cached("SELECT value FROM settings WHERE name = ?1")?
            .query_row([name], |r| r.get(0))
            .optional()?;
        json.map(|j| serde_json::from_str(&j))
            .transpose()
            .map_err(Into::into)
    }

    /// Stores `value` under `name` in `settings` (replacing any earlier one).
    pub fn set_setting<T: Serialize + ?Sized>(
        &mut self,
        name: &str,
        value: &T,
        durability: Durability,
    ) -> Result<()> {
        let json = serde_json::to_string(value)?;
        self.write(durability, |tx| {
            tx.prepare_cached(
                "INSERT INTO settings (name, value) VALUES (?1, ?2) \
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            )?
            .execute(params![name, json])?;
            Ok(())
        })
    }

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
