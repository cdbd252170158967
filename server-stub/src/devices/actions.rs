//! Batch actions, `POST /v1/actions`: the core outbox's queued actions,
//! applied in order and idempotently (an idempotency key applies once),
//! with one result per action whose `status` is what the outbox's
//! `classify` expects; and `POST /v1/alerts/{id}/actions` for one action.

use super::AuthenticatedDevice;
use crate::body::JsonBody;
use crate::delivery;
use crate::errors::ApiError;
use crate::store::{DeviceAction, DeviceActionResult};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use klaxon_domain::alert::{Action, Actor, Command, IdempotencyKey, Outcome};
use klaxon_domain::wire::{ActionRequest, ActionResult, ActionsResponse};
use serde::Deserialize;
use std::sync::Arc;

/// Most actions in one batch.
pub const MAX_ACTIONS: usize = 100;
/// Longest idempotency key.
const MAX_KEY: usize = 200;

/// The per-action status the outbox's `classify` expects: 409 for a
/// refusal (it will not succeed on retry), else 200.
fn status_of(outcome: &Outcome) -> u16 {
    match outcome {
        Outcome::Rejected(_) => 409,
        _ => 200,
    }
}

/// Checks, commits and then delivers a device's actions (one write), and
/// answers one result per action, in order.
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
                "actions[{i}].key: 1 to {MAX_KEY} bytes"
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
    let live = state.live();
    let services = live.teams.services_of(person);
    let (results, effects) = state
        .store
        .apply_actions(commands, services, live.roster.clone(), state.clock.now())
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

/// One action as the relay reads it: `klaxon_domain::wire::ActionRequest`
/// (what phones send) spelled out field by field. Serde reads the wire
/// type's flattened, tagged `Action` from a buffer that forgets where it
/// was, so a mistake in `action` or `until` could not be named; here each
/// is a field of its own. `alert` is optional for the single-action
/// endpoint, whose path names the alert; a batch requires it.
#[derive(Debug, Deserialize)]
pub struct ActionBody {
    /// The idempotency key.
    pub key: IdempotencyKey,
    /// The alert acted on.
    #[serde(default)]
    pub alert: Option<String>,
    /// What to do.
    pub action: Verb,
    /// When a snooze ends (RFC 3339); required for `snooze`, ignored otherwise.
    #[serde(default)]
    pub until: Option<String>,
    /// The alert revision the person was looking at.
    #[serde(default)]
    pub seen: Option<u32>,
}

/// The `action` word of an [`ActionBody`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verb {
    /// [`Action::Acknowledge`].
    Acknowledge,
    /// [`Action::Escalate`].
    Escalate,
    /// [`Action::Decline`].
    Decline,
    /// [`Action::Resolve`].
    Resolve,
    /// [`Action::Snooze`], with `until`.
    Snooze,
}

/// `POST /v1/actions` body.
#[derive(Debug, Deserialize)]
pub struct ActionsBody {
    /// The actions, applied in order.
    pub actions: Vec<ActionBody>,
}

impl ActionBody {
    /// The action for `alert`; `at` is the field path of this action
    /// (`actions[2].` in a batch, empty alone) for the refusal.
    fn into_request(self, alert: String, at: &str) -> Result<ActionRequest, ApiError> {
        let action = match self.action {
            Verb::Acknowledge => Action::Acknowledge,
            Verb::Escalate => Action::Escalate,
            Verb::Decline => Action::Decline,
            Verb::Resolve => Action::Resolve,
            Verb::Snooze => {
                let Some(until) = self.until else {
                    return Err(ApiError::invalid(format!(
                        "{at}until: missing; a snooze needs the time it ends"
                    )));
                };
                let until = until.parse::<DateTime<Utc>>().map_err(|_| {
                    ApiError::invalid(format!(
                        "{at}until: {until:?} is not an RFC 3339 date and time (like 2026-03-01T12:00:00Z)"
                    ))
                })?;
                Action::Snooze { until }
            }
        };
        Ok(ActionRequest {
            key: self.key,
            alert,
            action,
            seen: self.seen,
        })
    }
}

/// `POST /v1/actions`.
pub async fn batch(
    State(state): State<Arc<AppState>>,
    Extension(AuthenticatedDevice(device)): Extension<AuthenticatedDevice>,
    JsonBody(req): JsonBody<ActionsBody>,
) -> Result<Json<ActionsResponse>, ApiError> {
    let actions = req
        .actions
        .into_iter()
        .enumerate()
        .map(|(i, a)| match a.alert.clone() {
            Some(alert) => a.into_request(alert, &format!("actions[{i}].")),
            None => Err(ApiError::invalid(format!("actions[{i}].alert: missing"))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let results = apply(&state, &device.person, actions).await?;
    Ok(Json(ActionsResponse { results }))
}

/// `POST /v1/alerts/{id}/actions`: one action; the answer's status and
/// body are exactly the outbox's `Answer` (outcome JSON, 200/409/404).
pub async fn single(
    State(state): State<Arc<AppState>>,
    Extension(AuthenticatedDevice(device)): Extension<AuthenticatedDevice>,
    Path(alert): Path<String>,
    JsonBody(req): JsonBody<ActionBody>,
) -> Result<(StatusCode, Json<Outcome>), ApiError> {
    // The path names the alert; a body that names one too must agree.
    if let Some(named) = req.alert.as_deref().filter(|named| *named != alert) {
        return Err(ApiError::invalid(format!(
            "alert: {named:?} in the body is not the alert {alert:?} of the path"
        )));
    }
    let req = req.into_request(alert, "")?;
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

#[cfg(test)]
mod tests {
    use super::{ActionsBody, Verb};
    use crate::body::decode;
    use chrono::{TimeZone, Utc};
    use klaxon_domain::alert::{Action, IdempotencyKey};
    use klaxon_domain::wire::{ActionRequest, ActionsRequest};

    /// Whatever the phone's outbox sends (core's wire type) reads back as
    /// the same actions.
    #[test]
    fn every_wire_action_reads_back_unchanged() {
        let until = Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).unwrap();
        let sent = ActionsRequest {
            actions: [
                Action::Acknowledge,
                Action::Escalate,
                Action::Decline,
                Action::Resolve,
                Action::Snooze { until },
            ]
            .into_iter()
            .enumerate()
            .map(|(i, action)| ActionRequest {
                key: IdempotencyKey::new(format!("k{i}")),
                alert: format!("a{i}"),
                action,
                seen: (i % 2 == 0).then_some(i as u32),
            })
            .collect(),
        };
        let bytes = serde_json::to_vec(&sent).unwrap();
        let read: ActionsBody = decode(&bytes).unwrap();
        let back: Vec<ActionRequest> = read
            .actions
            .into_iter()
            .map(|a| {
                let alert = a.alert.clone().unwrap();
                a.into_request(alert, "").unwrap()
            })
            .collect();
        assert_eq!(back, sent.actions);
    }

    #[test]
    fn a_mistake_in_action_or_until_names_the_field() {
        let refusal = |json: &str| decode::<ActionsBody>(json.as_bytes()).unwrap_err();
        assert_eq!(
            refusal(r#"{"actions":[{"key":"k","alert":"a","action":"explode"}]}"#),
            r#"actions[0].action: "explode" is not one of "acknowledge", "escalate", "decline", "resolve", "snooze""#
        );
        assert_eq!(
            refusal(r#"{"actions":[{"key":"k","alert":"a"}]}"#),
            "actions[0].action: missing"
        );
        assert_eq!(
            refusal(r#"{"actions":[{"key":"k","alert":"a","action":5}]}"#),
            "actions[0].action: must be a string, not integer 5"
        );
        let read: ActionsBody =
            decode(br#"{"actions":[{"key":"k","alert":"a","action":"snooze","until":"soon"}]}"#)
                .unwrap();
        let action = read.actions.into_iter().next().unwrap();
        assert_eq!(action.action, Verb::Snooze);
        assert_eq!(
            action.into_request("a".into(), "actions[0].").unwrap_err(),
            crate::errors::ApiError::invalid(
                r#"actions[0].until: "soon" is not an RFC 3339 date and time (like 2026-03-01T12:00:00Z)"#
            )
        );
    }
}
