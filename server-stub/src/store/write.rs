//! The write path every backend shares, plan → persist: load the alert a
//! write touches (the backend's SQL), plan its change ([`crate::routing`],
//! pure), persist the plan verbatim (the backend's SQL), and return what
//! was committed so the relay acts on it after the commit
//! ([`crate::delivery::deliver`]). A backend implements [`WriteTx`] on its
//! open transaction and runs these functions inside it; it makes no
//! decisions of its own.

use super::{
    DeviceAction, DeviceActionResult, HeartbeatRow, IngestEvent, IngestOutcome, StoredAlert,
};
use crate::errors::StoreError;
use crate::routing::{self, Plan, PlanContext, TickPlan};
use klaxon_domain::alert::{Action, Actor, Command, Outcome, TriggerOutcome};
use klaxon_domain::escalation::Reachable;
use std::cell::RefCell;
use std::collections::HashSet;

/// The SQL a backend runs inside one write transaction.
pub trait WriteTx {
    /// The open alert with this (service, dedup key), if any.
    fn open_alert(
        &mut self,
        service: &str,
        dedup_key: &str,
    ) -> Result<Option<StoredAlert>, StoreError>;

    /// The alert with this id, if any.
    fn alert(&mut self, id: &str) -> Result<Option<StoredAlert>, StoreError>;

    /// Claims up to `limit` deadline rows due at `now_ms`, earliest first:
    /// (alert id, due ms). A backend shared by several relays must hand each
    /// row to one of them only.
    fn claim_due(&mut self, now_ms: i64, limit: usize) -> Result<Vec<(String, i64)>, StoreError>;

    /// Whether this person has an enrolled device (any: a terminal pager
    /// with no push token is reached through its stream). Asked only when
    /// a step fires, for the people it pages.
    fn reachable(&self, person: &str) -> Result<bool, StoreError>;

    /// Sets an alert's deadline row to `due_ms`, or deletes it.
    fn set_deadline(&mut self, alert: &str, due_ms: Option<i64>) -> Result<(), StoreError>;

    /// Claims up to `limit` heartbeats overdue at `now_ms` and not yet
    /// marked overdue, earliest first.
    fn claim_overdue_heartbeats(
        &mut self,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<HeartbeatRow>, StoreError>;

    /// Records a beat at `at_ms`: the heartbeat is overdue next at
    /// `due_ms`, and no longer overdue (creates its row if needed).
    fn record_beat(&mut self, id: &str, at_ms: i64, due_ms: i64) -> Result<(), StoreError>;

    /// Marks a heartbeat overdue (its alert opened) until its next beat.
    fn mark_overdue(&mut self, id: &str) -> Result<(), StoreError>;

    /// Deletes the row of a heartbeat no longer in the roster.
    fn forget_heartbeat(&mut self, id: &str) -> Result<(), StoreError>;

    /// Persists a plan exactly: the alert and its details under a new
    /// change cursor, its deadline row, its push rows and status pushes.
    fn persist(&mut self, plan: &Plan) -> Result<Persisted, StoreError>;
}

/// What persisting one plan wrote.
#[derive(Debug, Clone, Copy)]
pub struct Persisted {
    /// The alert's new change cursor.
    pub cursor: u64,
    /// Whether any push row was added.
    pub pushes_queued: bool,
}

/// What a committed write changed: its plans, as persisted, for the
/// effects after the commit (pages go out, streams hear of the changes,
/// the push worker and the escalator wake, metrics count).
#[derive(Debug, Clone, Default)]
pub struct Committed {
    /// Each alert change, in the order written.
    pub plans: Vec<Plan>,
    /// The newest change cursor the write handed out.
    pub cursor: u64,
    /// Whether the write added push rows (the push worker has work).
    pub pushes_queued: bool,
}

impl Committed {
    /// Persists `plan` through `tx` and keeps it for after the commit.
    fn persist(&mut self, tx: &mut impl WriteTx, plan: Plan) -> Result<(), StoreError> {
        let persisted = tx.persist(&plan)?;
        self.cursor = self.cursor.max(persisted.cursor);
        self.pushes_queued |= persisted.pushes_queued;
        self.plans.push(plan);
        Ok(())
    }
}

/// Runs `plan` with a [`Reachable`] answered by the backend's
/// [`WriteTx::reachable`]; a failed lookup fails the write (its savepoint
/// rolls back) instead of guessing who has a device.
fn with_reach<T: WriteTx, R>(
    tx: &T,
    plan: impl FnOnce(Reachable<'_>) -> R,
) -> Result<R, StoreError> {
    let failed: RefCell<Option<StoreError>> = RefCell::new(None);
    let reachable = |person: &str| {
        tx.reachable(person).unwrap_or_else(|e| {
            failed.borrow_mut().get_or_insert(e);
            true
        })
    };
    let planned = plan(&reachable);
    match failed.into_inner() {
        Some(e) => Err(e),
        None => Ok(planned),
    }
}

/// A fresh alert id: 16 hex digits of OS randomness (collisions need
/// billions of alerts).
fn new_alert_id() -> String {
    let (hi, _) = uuid::Uuid::new_v4().as_u64_pair();
    format!("{hi:016x}")
}

/// Ingests events in order (see [`super::RelayStore::ingest`]).
pub fn ingest(
    tx: &mut impl WriteTx,
    events: Vec<IngestEvent>,
    ctx: &PlanContext<'_>,
) -> Result<(Vec<IngestOutcome>, Committed), StoreError> {
    let mut committed = Committed::default();
    let mut outcomes = Vec::with_capacity(events.len());
    for event in events {
        // An integration acknowledges or resolves; a trigger ignores this.
        let action = match &event {
            IngestEvent::Resolve { .. } => Action::Resolve,
            _ => Action::Acknowledge,
        };
        let (plan, outcome) = match event {
            IngestEvent::Trigger { trigger, details } => {
                let open = tx.open_alert(&trigger.service, &trigger.dedup_key)?;
                // Only a new alert needs an id: a dedup skips the randomness.
                let id = if open.is_none() {
                    new_alert_id()
                } else {
                    String::new()
                };
                let open = open.map(|stored| stored.alert);
                let (plan, outcome) = with_reach(tx, |reach| {
                    routing::plan_trigger(open, &id, trigger, details, ctx, reach)
                })?;
                let outcome = match outcome {
                    TriggerOutcome::Opened => IngestOutcome::Opened,
                    TriggerOutcome::Deduplicated => IngestOutcome::Deduplicated,
                };
                (plan, outcome)
            }
            IngestEvent::Acknowledge {
                service,
                dedup_key,
                actor,
            }
            | IngestEvent::Resolve {
                service,
                dedup_key,
                actor,
            } => integration(
                tx,
                &service,
                &dedup_key,
                integration_command(action, actor),
                ctx,
            )?,
        };
        if let Some(plan) = plan {
            committed.persist(tx, plan)?;
        }
        outcomes.push(outcome);
    }
    Ok((outcomes, committed))
}

/// An integration's command: no idempotency key (the dedup key makes a
/// repeat harmless) and no revision seen.
fn integration_command(action: Action, actor: Actor) -> Command {
    Command {
        action,
        actor,
        key: None,
        seen: None,
    }
}

/// An integration's acknowledge or resolve: applies to the open alert with
/// that key, and is ignored (as PagerDuty does) when there is none.
fn integration(
    tx: &mut impl WriteTx,
    service: &str,
    dedup_key: &str,
    cmd: Command,
    ctx: &PlanContext<'_>,
) -> Result<(Option<Plan>, IngestOutcome), StoreError> {
    let Some(open) = tx.open_alert(service, dedup_key)? else {
        return Ok((None, IngestOutcome::Ignored));
    };
    let (plan, outcome) = with_reach(tx, |reach| {
        routing::plan_command(open.alert, open.details, &cmd, ctx, reach)
    })?;
    let outcome = match outcome {
        Outcome::Applied => IngestOutcome::Applied,
        _ => IngestOutcome::AlreadyInState,
    };
    Ok((plan, outcome))
}

/// Applies device actions in order (see [`super::RelayStore::apply_actions`]);
/// an alert outside `services` is unknown to the device.
pub fn apply_actions(
    tx: &mut impl WriteTx,
    actions: Vec<DeviceAction>,
    services: &HashSet<String>,
    ctx: &PlanContext<'_>,
) -> Result<(Vec<DeviceActionResult>, Committed), StoreError> {
    let mut committed = Committed::default();
    let mut results = Vec::with_capacity(actions.len());
    for action in actions {
        let stored = match tx.alert(&action.alert)? {
            Some(s) if services.contains(&s.alert.service) => s,
            _ => {
                results.push(DeviceActionResult::UnknownAlert);
                continue;
            }
        };
        let (plan, outcome) = with_reach(tx, |reach| {
            routing::plan_command(stored.alert, stored.details, &action.command, ctx, reach)
        })?;
        if let Some(plan) = plan {
            committed.persist(tx, plan)?;
        }
        results.push(DeviceActionResult::Done(outcome));
    }
    Ok((results, committed))
}

/// Claims and runs due deadlines (see [`super::RelayStore::fire_due`]).
pub fn fire_due(
    tx: &mut impl WriteTx,
    ctx: &PlanContext<'_>,
    limit: usize,
) -> Result<Committed, StoreError> {
    let mut committed = Committed::default();
    for (id, due_ms) in tx.claim_due(ctx.now.timestamp_millis(), limit)? {
        let Some(stored) = tx.alert(&id)? else {
            // A row whose alert is gone (cannot happen with foreign keys,
            // but must not fire forever if it does).
            tx.set_deadline(&id, None)?;
            continue;
        };
        let planned = with_reach(tx, |reach| {
            routing::plan_tick(stored.alert, stored.details, due_ms, ctx, reach)
        })?;
        match planned {
            TickPlan::Write(plan) => committed.persist(tx, plan)?,
            TickPlan::Reschedule(due) => tx.set_deadline(&id, due)?,
        }
    }
    Ok(committed)
}

/// Records a beat and resolves the heartbeat's silence alert, if open
/// (see [`super::RelayStore::beat`]).
pub fn beat(
    tx: &mut impl WriteTx,
    heartbeat: &str,
    due: chrono::DateTime<chrono::Utc>,
    resolve: IngestEvent,
    ctx: &PlanContext<'_>,
) -> Result<Committed, StoreError> {
    tx.record_beat(
        heartbeat,
        ctx.now.timestamp_millis(),
        due.timestamp_millis(),
    )?;
    Ok(ingest(tx, vec![resolve], ctx)?.1)
}

/// Opens the silence alert of every heartbeat overdue now (see
/// [`super::RelayStore::fire_heartbeats`]); a row whose heartbeat left the
/// roster is deleted.
pub fn fire_heartbeats(
    tx: &mut impl WriteTx,
    ctx: &PlanContext<'_>,
    limit: usize,
) -> Result<Committed, StoreError> {
    let mut events = Vec::new();
    for row in tx.claim_overdue_heartbeats(ctx.now.timestamp_millis(), limit)? {
        match crate::heartbeats::silence_alert(ctx.roster, &row, ctx.now) {
            Some(event) => {
                tx.mark_overdue(&row.id)?;
                events.push(event);
            }
            None => tx.forget_heartbeat(&row.id)?,
        }
    }
    Ok(ingest(tx, events, ctx)?.1)
}
