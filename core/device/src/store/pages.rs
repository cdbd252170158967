//! Received pages: one row per (alert, escalation step, state), which is
//! both the device's page history and its dedup of repeated pushes.

use super::{parse_ts, ts, Durability, Store};
use crate::error::Result;
use crate::page::Page;
use chrono::{DateTime, Utc};
use klaxon_domain::alert::AlertStatus;
use rusqlite::{params, OptionalExtension};

impl Store {
    /// Records a received page and says whether to show it: false when
    /// this (alert, step, state) was recorded before (a repeated push) or a
    /// later one already was (pushes overtaking each other: a stale
    /// "triggered" must not ring after "acknowledged").
    /// Normal durability: a page lost to a power cut is pushed again.
    pub fn record_page(&mut self, page: &Page, received_at: DateTime<Utc>) -> Result<bool> {
        let body = serde_json::to_string(page)?;
        self.write(Durability::Normal, |tx| {
            // Progress order of one alert's pages: (step_seq, state).
            let superseded: bool = tx
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM pages WHERE alert_id = ?1 AND (step_seq > ?2 OR \
                     (step_seq = ?2 AND CASE status WHEN 'triggered' THEN 0 WHEN 'acknowledged' THEN 1 \
                     ELSE 2 END >= ?3)))",
                )?
                .query_row(params![page.alert, page.step_seq, status_rank(page.status)], |r| r.get(0))?;
            let inserted = tx
                .prepare_cached(
                    "INSERT INTO pages (alert_id, step_seq, status, received_at, priority, summary, body) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
                )?
                .execute(params![
                    page.alert,
                    page.step_seq,
                    page.status.as_str(),
                    ts(received_at),
                    page.priority.as_str(),
                    page.summary,
                    body
                ])?;
            Ok(inserted == 1 && !superseded)
        })
    }

    /// Records re-notification `page.renotify` of the step's triggered page
    /// and returns when that step's page first arrived; `None` when it was
    /// handled already (this or a later re-notification: the same one by
    /// stream and by push, a push delivered twice) or the device never got
    /// the step's triggered page. Normal durability, as for pages.
    pub fn record_renotify(&mut self, page: &Page) -> Result<Option<DateTime<Utc>>> {
        let received: Option<String> = self.write(Durability::Normal, |tx| {
            Ok(tx
                .prepare_cached(
                    "UPDATE pages SET renotify = ?3 WHERE alert_id = ?1 AND step_seq = ?2 AND \
                     status = 'triggered' AND renotify < ?3 RETURNING received_at",
                )?
                .query_row(params![page.alert, page.step_seq, page.renotify], |r| {
                    r.get(0)
                })
                .optional()?)
        })?;
        received
            .map(|at| parse_ts(&at, "pages.received_at"))
            .transpose()
    }

    /// How many page rows are stored (every ring and state update received).
    pub fn page_count(&self) -> Result<u64> {
        Ok(self
            .conn()
            .query_row("SELECT count(*) FROM pages", [], |r| r.get::<_, i64>(0))?
            .unsigned_abs())
    }
}

fn status_rank(status: AlertStatus) -> i64 {
    match status {
        AlertStatus::Triggered => 0,
        AlertStatus::Acknowledged => 1,
        AlertStatus::Resolved => 2,
    }
}
