//! PagerDuty Change Events, `POST /v2/change/enqueue`: deploys, config
//! pushes and other changes a service's tooling reports. A change pages
//! nobody; the relay keeps it with its service for [`RETENTION`] and shows
//! it with each alert that opens within [`LOOKBACK`] after it (the admin
//! alert detail's `changes`, `klaxon alert show`), so whoever is paged sees
//! "deploy v2.3 by ci, 6 min before". Validated like `/v2/enqueue`: every
//! bad field at once, by name, in the same JSON error shape.

use super::events_v2::{parse_iso8601, parse_links, routing, string_field, summary};
use crate::errors::ApiError;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use klaxon_domain::wire::Link;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// How long the relay keeps a change, counted from when it happened.
pub const RETENTION: chrono::Duration = chrono::Duration::days(7);

/// How far before an alert's opening its service's changes are shown.
pub const LOOKBACK: chrono::Duration = chrono::Duration::hours(1);

/// Most changes shown with one alert (the newest).
pub const MAX_SHOWN: usize = 50;

/// One change event, as stored and as the alert detail lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// The service whose routing key it came with.
    pub service: String,
    /// `payload.summary`: what changed (`deploy v2.3`).
    pub summary: String,
    /// `payload.source`: who or what made it (`ci`), if the sender said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// When it happened: `payload.timestamp`, or its arrival when it has
    /// none or names a later instant (a sender's clock ahead).
    pub at: DateTime<Utc>,
    /// When the relay received it.
    pub received_at: DateTime<Utc>,
    /// `payload.custom_details`, as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_details: Option<Value>,
    /// `links`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
}

/// Checks every field, reporting every problem at once; the change and
/// the routing key it counts against.
fn parse(state: &AppState, bytes: &[u8], now: DateTime<Utc>) -> Result<(Change, String), ApiError> {
    let value: Value = crate::body::parse(bytes).map_err(|e| ApiError::invalid_event(vec![e]))?;
    let Some(obj) = value.as_object() else {
        return Err(ApiError::invalid_event(vec![
            "body: must be a JSON object".into()
        ]));
    };
    let mut errors = Vec::new();
    let roster = state.roster();
    let (service, routing_key) = routing(&roster, obj, &mut errors);
    let links = parse_links(obj, &mut errors);
    // `images` is not part of change events: PagerDuty ignores it, and so
    // does the relay (a client may send an empty list).
    let payload = match obj.get("payload") {
        Some(Value::Object(payload)) => Some(change_payload(payload, &mut errors)),
        None | Some(Value::Null) => {
            errors.push("payload: missing; a change event needs payload.summary".into());
            None
        }
        Some(other) => {
            errors.push(format!(
                "payload: must be an object with a summary, not {}",
                super::value_in_words(other)
            ));
            None
        }
    };
    let (Some(service), Some(routing_key), Some(Some(payload)), true) =
        (service, routing_key, payload, errors.is_empty())
    else {
        return Err(ApiError::invalid_event(errors));
    };
    let change = Change {
        service: service.id.clone(),
        summary: payload.summary,
        source: payload.source,
        at: payload.at.map_or(now, |at| at.min(now)),
        received_at: now,
        custom_details: payload.custom_details,
        links,
    };
    Ok((change, routing_key.to_string()))
}

/// A change's checked `payload`.
struct ChangePayload {
    /// `summary`.
    summary: String,
    /// `source`, when given and not empty.
    source: Option<String>,
    /// `timestamp`, when given and not empty.
    at: Option<DateTime<Utc>>,
    /// `custom_details`, when given and not null.
    custom_details: Option<Value>,
}

/// `payload`: `summary` (required, at most 1,024 characters), optional
/// `source` and `timestamp` (ISO 8601), any `custom_details`. `None` when
/// a field is wrong (reported in `errors`).
fn change_payload(payload: &Map<String, Value>, errors: &mut Vec<String>) -> Option<ChangePayload> {
    let before = errors.len();
    let summary = summary(payload, errors);
    let source = string_field(payload, "source", "payload.source", errors)
        .ok()
        .flatten()
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let at = match string_field(payload, "timestamp", "payload.timestamp", errors) {
        Ok(Some(text)) if !text.is_empty() => {
            let at = parse_iso8601(text);
            if at.is_none() {
                errors.push(format!(
                    "payload.timestamp: {text:?} is not an ISO 8601 date and time (like 2026-03-01T12:00:00Z)"
                ));
            }
            at
        }
        _ => None,
    };
    let custom_details = payload
        .get("custom_details")
        .filter(|v| !v.is_null())
        .cloned();
    (errors.len() == before).then_some(ChangePayload {
        summary: summary?,
        source,
        at,
        custom_details,
    })
}

/// `POST /v2/change/enqueue`.
pub async fn enqueue(
    State(state): State<Arc<AppState>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    super::counted(&state, handle(&state, body).await)
}

/// Reads, checks, rate-limits (with the key's alert events) and commits
/// the change, pruning those past [`RETENTION`]; the 202 goes out only
/// after the commit.
async fn handle(
    state: &Arc<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let bytes = super::body(body)?;
    let now = state.clock.now();
    let (change, routing_key) = parse(state, &bytes, now)?;
    state.limiter.check(&routing_key, 1.0)?;
    state.store.record_change(change, now - RETENTION).await?;
    state.metrics.events_accepted("change_events", 1);
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({
            "status": "success",
            "message": "Change event processed",
        })),
    ))
}

/// The changes of `service` in the [`LOOKBACK`] before `opened` (newest
/// first, at most [`MAX_SHOWN`]), none older than [`RETENTION`] at `now`.
pub async fn before(
    state: &AppState,
    service: &str,
    opened: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<Change>, ApiError> {
    let from = (opened - LOOKBACK).max(now - RETENTION);
    if from > opened {
        return Ok(Vec::new());
    }
    Ok(state
        .store
        .changes_between(service.to_string(), from, opened, MAX_SHOWN)
        .await?)
}
