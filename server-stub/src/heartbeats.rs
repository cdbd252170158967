//! Heartbeats (dead-man switches, docs/roster.md "[[heartbeats]]"): jobs
//! call `POST` or `GET /v1/heartbeats/{key}` every `interval`; a beat is a
//! row update (and resolves the heartbeat's silence alert) committed before
//! the 200. One task sleeps until the earliest heartbeat is overdue, then
//! opens its alert, `dedup_key` `heartbeat:{id}`, on its service — through
//! the same write path as an ingested trigger, so it pages and escalates
//! like any alert. The rows survive a restart; a started relay gives every
//! heartbeat that is not overdue a full `interval + grace` (nothing could
//! beat while it was down).

use crate::delivery;
use crate::errors::ApiError;
use crate::store::{HeartbeatRow, IngestEvent};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use klaxon_domain::alert::{Actor, Trigger};
use klaxon_domain::heartbeat::Heartbeat;
use klaxon_domain::wire::AlertDetails;
use klaxon_domain::{Priority, Roster};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// The actor of heartbeat alerts and their resolves in the timeline.
pub const ACTOR: &str = "heartbeat";

/// Heartbeats claimed per transaction.
const CLAIM_BATCH: usize = 512;

/// Longest sleep without looking again: covers a wall clock that jumped.
const MAX_IDLE: Duration = Duration::from_secs(5);

/// The alert a silent heartbeat opens: on its service, `dedup_key`
/// `heartbeat:{id}`, saying how long it has been silent; `None` when the
/// heartbeat (or its service) is no longer in the roster.
pub fn silence_alert(
    roster: &Roster,
    row: &HeartbeatRow,
    now: DateTime<Utc>,
) -> Option<IngestEvent> {
    let heartbeat = roster.heartbeats.iter().find(|h| h.id == row.id)?;
    let service = roster.service(&heartbeat.service)?;
    // A row never beaten was armed at the relay's start: its silence runs
    // from there.
    let since = row.due - heartbeat.allowed_silence();
    Some(IngestEvent::Trigger {
        trigger: Trigger {
            service: service.id.clone(),
            dedup_key: heartbeat.dedup_key(),
            summary: heartbeat.silence_summary(row.last_beat, since, now),
            priority: service.priority.unwrap_or(Priority::High),
            actor: Actor::integration(ACTOR),
        },
        details: AlertDetails::default(),
    })
}

/// The resolve a beat sends: closes the heartbeat's silence alert if open.
pub fn beat_resolves(heartbeat: &Heartbeat) -> IngestEvent {
    IngestEvent::Resolve {
        service: heartbeat.service.clone(),
        dedup_key: heartbeat.dedup_key(),
        actor: Actor::integration(ACTOR),
    }
}

/// `POST` / `GET /v1/heartbeats/{key}`: records a beat; 200 after the
/// commit. Any body is ignored (the Alertmanager Watchdog posts one).
pub async fn beat(
    State(state): State<Arc<AppState>>,
    Path(key): Path<String>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let roster = state.roster();
    let Some(heartbeat) = roster.heartbeat_by_key(&key) else {
        return Err(ApiError::NotFound(
            "key: no heartbeat has this key".to_string(),
        ));
    };
    state.limiter.check(&key, 1.0)?;
    let now = state.clock.now();
    let committed = state
        .store
        .beat(
            heartbeat.id.clone(),
            heartbeat.overdue_at(now),
            beat_resolves(heartbeat),
            roster.clone(),
            now,
        )
        .await?;
    delivery::deliver(&state, committed).await;
    Ok((
        StatusCode::OK,
        Json(json!({"status": "success", "message": "Beat recorded", "heartbeat": heartbeat.id})),
    ))
}

/// The heartbeat watcher: arms every heartbeat of the roster at start
/// (and those a reloaded roster adds), then opens the alert of each one
/// that goes overdue. Runs until `stop` turns true.
pub async fn run(state: Arc<AppState>, mut stop: watch::Receiver<bool>) {
    let mut armed: Option<String> = None;
    loop {
        if *stop.borrow() {
            return;
        }
        let roster = state.roster();
        let now = state.clock.now();
        if armed.as_deref() != Some(roster.version.as_str()) {
            // At start every heartbeat gets a full window; after a roster
            // reload only those new to it do.
            let due = roster
                .heartbeats
                .iter()
                .map(|h| (h.id.clone(), h.overdue_at(now)))
                .collect();
            match state.store.arm_heartbeats(due, armed.is_none()).await {
                Ok(()) => armed = Some(roster.version.clone()),
                Err(e) => tracing::error!(error = %e, "cannot arm the heartbeats"),
            }
        }
        let wait = match state.store.fire_heartbeats(roster, now, CLAIM_BATCH).await {
            Ok(committed) => {
                let opened = committed.plans.len();
                if opened > 0 {
                    tracing::warn!(alerts = opened, "heartbeats went silent");
                }
                delivery::deliver(&state, committed).await;
                match state.store.next_heartbeat_due().await {
                    Ok(Some(at)) => (at - state.clock.now())
                        .to_std()
                        .unwrap_or(Duration::ZERO)
                        .min(MAX_IDLE),
                    Ok(None) => MAX_IDLE,
                    Err(e) => {
                        tracing::error!(error = %e, "cannot read the next heartbeat");
                        Duration::from_secs(1)
                    }
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "heartbeat check failed; retrying in 1 s");
                Duration::from_secs(1)
            }
        };
        tokio::select! {
            // At least a millisecond: a due row claimed at its own
            // millisecond is overdue by then.
            _ = tokio::time::sleep(wait.max(Duration::from_millis(1))) => {}
            _ = stop.changed() => return,
        }
    }
}
