//! Batch actions, `POST /v1/actions`: the core outbox's queued actions,
//! applied in order and idempotently (an idempotency key applies once),
//! with one result per action whose `status` is what the outbox's
//! `classify` expects; and `POST /v1/alerts/{id}/actions` for one action.

use super::enroll::json_body;
use super::AuthenticatedDevice;
use crate::delivery;
use crate::errors::ApiError;
use crate::store::{DeviceAction, DeviceActionResult};
use crate::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use klaxon_core::alert::{Actor, Command, Outcome};
use klaxon_core::wire::{ActionRequest, ActionResult, ActionsRequest, ActionsResponse};
use std::sync::Arc;

/// Most actions in one batch.
pub const MAX_ACTIONS: usize = 100;
/// Longest idempotency key.
const MAX_KEY: usize = 200;

fn status_of(outcome: &Outcome) -> u16 {
    match outcome {
        Outcome::Rejected(_) => 409,
        _ => 200,
    }
}

async fn apply(
    state: &Arc<AppState>,
    person: &str,
    actions: Vec<ActionRequest>,
) -> Result<Vec<ActionResult>, ApiError> {
    if actions.len() > MAX_ACTIONS {
        return Err(ApiError::invalid(format!(
            "actions: {} actions, at most {MAX_ACTIONS} per batch",
            actions.len()
        )));
    }
    for (i, a) in actions.iter().enumerate() {
        let len = a.key.as_str().len();
        if len == 0 || len > MAX_KEY {
            return Err(ApiError::invalid(format!(
                "actions[{i}].key: 1 to {MAX_KEY} characters"
            )));
        }
    }
    let commands: Vec<DeviceAction> = actions
        .iter()
        .map(|a| DeviceAction {
            alert: a.alert.clone(),
            command: Command {
                action: a.action.clone(),
                actor: Actor::device(person),
                key: Some(a.key.clone()),
                seen: a.seen,
            },
        })
        .collect();
    let services = state.teams.services_of(person);
    let (results, effects) = state
        .store
        .apply_actions(commands, services, state.roster.clone(), state.clock.now())
        .await?;
    delivery::deliver(state, effects).await;
    Ok(actions
        .into_iter()
        .zip(results)
        .map(|(a, r)| match r {
            DeviceActionResult::Done(outcome) => ActionResult {
                key: a.key,
                alert: a.alert,
                status: status_of(&outcome),
                outcome: Some(outcome),
                error: None,
            },
            DeviceActionResult::UnknownAlert => ActionResult {
                key: a.key,
                error: Some(format!("alert: no alert {:?} in your teams", a.alert)),
                alert: a.alert,
                status: 404,
                outcome: None,
            },
        })
        .collect())
}

/// `POST /v1/actions`.
pub async fn batch(
    State(state): State<Arc<AppState>>,
    Extension(AuthenticatedDevice(device)): Extension<AuthenticatedDevice>,
    body: Result<Json<ActionsRequest>, JsonRejection>,
) -> Result<Json<ActionsResponse>, ApiError> {
    let req = json_body(body)?;
    let results = apply(&state, &device.person, req.actions).await?;
    Ok(Json(ActionsResponse { results }))
}

/// `POST /v1/alerts/{id}/actions`: one action; the answer's status and
/// body are exactly the outbox's `Answer` (outcome JSON, 200/409/404).
pub async fn single(
    State(state): State<Arc<AppState>>,
    Extension(AuthenticatedDevice(device)): Extension<AuthenticatedDevice>,
    Path(alert): Path<String>,
    body: Result<Json<ActionRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<Outcome>), ApiError> {
    let mut req = json_body(body)?;
    req.alert = alert;
    let mut results = apply(&state, &device.person, vec![req]).await?;
    match results.pop() {
        Some(ActionResult {
            status,
            outcome: Some(outcome),
            ..
        }) => Ok((
            StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
            Json(outcome),
        )),
        Some(ActionResult { error, .. }) => Err(ApiError::NotFound(
            error.unwrap_or_else(|| "alert: unknown".into()),
        )),
        None => Err(ApiError::invalid("actions: empty")),
    }
}
