//! The ringing set: which alerts ring now, with the plan that rang them,
//! kept on disk so a restarted shell resumes the ring (`Device::ringing_alerts`).

use super::{ts, Durability, Store};
use crate::error::Result;
use chrono::{DateTime, Utc};
use klaxon_domain::notify::NotificationPlan;
use rusqlite::params;

impl Store {
    /// Records that `plan`'s alert rings from `since` (replacing an earlier
    /// ring of the same alert). Normal durability: the row must outlive the
    /// process, which WAL gives at every commit; a power cut that loses it
    /// also stopped the ring, and the relay pages again.
    pub fn start_ringing(&mut self, plan: &NotificationPlan, since: DateTime<Utc>) -> Result<()> {
        let body = serde_json::to_string(plan)?;
        self.write(Durability::Normal, |tx| {
            tx.prepare_cached(
                "INSERT INTO ringing (alert_id, started_at, plan) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (alert_id) DO UPDATE SET started_at = ?2, plan = ?3",
            )?
            .execute(params![plan.alert, ts(since), body])?;
            Ok(())
        })
    }

    /// Removes `alert` from the ringing set; false if it was not in it.
    pub fn stop_ringing(&mut self, alert: &str) -> Result<bool> {
        self.write(Durability::Normal, |tx| {
            let removed = tx
                .prepare_cached("DELETE FROM ringing WHERE alert_id = ?1")?
                .execute(params![alert])?;
            Ok(removed > 0)
        })
    }

    /// Whether `alert` rings now.
    pub fn is_ringing(&self, alert: &str) -> Result<bool> {
        Ok(self
            .conn()
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM ringing WHERE alert_id = ?1)")?
            .query_row(params![alert], |r| r.get(0))?)
    }

    /// The plans of every ringing alert, longest-ringing first.
    pub fn ringing(&self) -> Result<Vec<NotificationPlan>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT plan FROM ringing ORDER BY started_at, alert_id")?;
        let bodies = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        bodies
            .iter()
            .map(|body| Ok(serde_json::from_str(body)?))
            .collect()
    }
}
