//! The outbox table: user actions in enqueue order, each pending until the
//! relay gives a final answer. Enqueueing is a `synchronous=FULL` commit.

use super::{parse_ts, ts, Durability, Store};
use crate::error::Result;
use crate::outbox::QueuedAction;
use chrono::{DateTime, Utc};
use klaxon_domain::alert::IdempotencyKey;
use rusqlite::{params, OptionalExtension, Row};

const COLUMNS: &str =
    "id, idempotency_key, alert_id, person, action, seen_revision, created_at, attempts, \
                       next_attempt_at, outcome, last_error";

impl Store {
    /// Inserts a new action durably and returns its id (its place in line).
    pub(crate) fn insert_action(&mut self, action: &QueuedAction) -> Result<i64> {
        let json = serde_json::to_string(&action.action)?;
        self.write(Durability::Full, |tx| {
            tx.prepare_cached(
                "INSERT INTO outbox (idempotency_key, alert_id, person, action, seen_revision, created_at, \
                 next_attempt_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                action.key.as_str(),
                action.alert,
                action.person,
                json,
                action.seen,
                ts(action.created_at),
                ts(action.next_attempt_at),
            ])?;
            Ok(tx.last_insert_rowid())
        })
    }

    /// Saves an attempt's result (attempts, next attempt, outcome). Normal
    /// durability: if it is lost, the action is sent again and the relay
    /// recognises its key.
    pub(crate) fn update_action(&mut self, action: &QueuedAction) -> Result<()> {
        let outcome = action
            .outcome
            .as_ref()
            .map(serde_json::to_string)
            .transpose()?;
        self.write(Durability::Normal, |tx| {
            tx.prepare_cached(
                "UPDATE outbox SET attempts = ?2, next_attempt_at = ?3, last_error = ?4, outcome = ?5, \
                 state = CASE WHEN ?5 IS NULL THEN 'pending' ELSE 'done' END WHERE id = ?1",
            )?
            .execute(params![
                action.id,
                action.attempts,
                ts(action.next_attempt_at),
                action.last_error,
                outcome
            ])?;
            Ok(())
        })
    }

    /// The head of each alert's pending queue, when due at `now`, in enqueue order.
    pub fn ready_actions(&self, now: DateTime<Utc>) -> Result<Vec<QueuedAction>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM outbox o WHERE state = 'pending' AND next_attempt_at <= ?1 AND id = \
             (SELECT min(id) FROM outbox WHERE alert_id = o.alert_id AND state = 'pending') ORDER BY id"
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let rows = stmt
            .query_map([ts(now)], read_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter().map(finish).collect()
    }

    /// Every action in the outbox (pending and done), in enqueue order.
    pub fn queued_actions(&self) -> Result<Vec<QueuedAction>> {
        let sql = format!("SELECT {COLUMNS} FROM outbox ORDER BY id");
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let rows = stmt
            .query_map([], read_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter().map(finish).collect()
    }

    /// The action with this idempotency key.
    pub fn queued_action(&self, key: &IdempotencyKey) -> Result<Option<QueuedAction>> {
        let sql = format!("SELECT {COLUMNS} FROM outbox WHERE idempotency_key = ?1");
        let row = self
            .conn()
            .prepare_cached(&sql)?
            .query_row([key.as_str()], read_row)
            .optional()?;
        row.map(finish).transpose()
    }

    /// The earliest attempt time among the alerts' head actions.
    pub(crate) fn next_attempt_at(&self) -> Result<Option<DateTime<Utc>>> {
        let next: Option<String> = self.conn().query_row(
            "SELECT min(next_attempt_at) FROM outbox o WHERE state = 'pending' AND id = \
             (SELECT min(id) FROM outbox WHERE alert_id = o.alert_id AND state = 'pending')",
            [],
            |r| r.get(0),
        )?;
        next.map(|t| parse_ts(&t, "outbox.next_attempt_at"))
            .transpose()
    }
}

type OutboxRow = (
    i64,
    String,
    String,
    String,
    String,
    Option<u32>,
    String,
    u32,
    String,
    Option<String>,
    Option<String>,
);

fn read_row(r: &Row<'_>) -> rusqlite::Result<OutboxRow> {
    r.try_into()
}

fn finish(row: OutboxRow) -> Result<QueuedAction> {
    let (
        id,
        key,
        alert,
        person,
        action,
        seen,
        created_at,
        attempts,
        next_attempt_at,
        outcome,
        last_error,
    ) = row;
    Ok(QueuedAction {
        id,
        key: IdempotencyKey::new(key),
        alert,
        person,
        action: serde_json::from_str(&action)?,
        seen,
        created_at: parse_ts(&created_at, "outbox.created_at")?,
        attempts,
        next_attempt_at: parse_ts(&next_attempt_at, "outbox.next_attempt_at")?,
        last_error,
        outcome: outcome.as_deref().map(serde_json::from_str).transpose()?,
    })
}
