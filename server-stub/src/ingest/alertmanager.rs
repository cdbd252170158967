//! Prometheus Alertmanager webhook (payload version 4),
//! `POST /v1/alertmanager/{routing_key}`: each alert is keyed by its
//! fingerprint; `firing` triggers, `resolved` resolves. The `severity`
//! label sets the priority; annotations `summary`, `description` and
//! `runbook_url` fill the page.

use crate::delivery;
use crate::errors::ApiError;
use crate::store::IngestEvent;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use klaxon_domain::alert::{Actor, Trigger};
use klaxon_domain::wire::AlertDetails;
use klaxon_domain::Priority;
use serde_json::{json, Map, Value};
use std::sync::Arc;

use super::events_v2::MAX_SUMMARY;

/// A stable key for an alert that came without a fingerprint: FNV-1a over
/// its sorted labels (what Alertmanager's own fingerprint covers).
fn fingerprint_of(labels: &Map<String, Value>) -> String {
    let mut pairs: Vec<(&String, String)> = labels
        .iter()
        .map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_string)))
        .collect();
    pairs.sort();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (k, v) in pairs {
        for byte in k.bytes().chain([0xff]).chain(v.bytes()).chain([0xfe]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

/// Alertmanager retries a 4xx never and a 5xx forever, so an over-long
/// annotation is cut rather than refused: losing the tail of a summary is
/// better than losing the page.
fn clip(text: &str) -> String {
    if text.chars().count() <= MAX_SUMMARY {
        return text.to_string();
    }
    let mut out: String = text.chars().take(MAX_SUMMARY - 1).collect();
    out.push('…');
    out
}

fn parse(state: &AppState, routing_key: &str, bytes: &[u8]) -> Result<Vec<IngestEvent>, ApiError> {
    let Some(service) = state.roster.service_by_routing_key(routing_key) else {
        return Err(ApiError::NotFound(
            "routing_key: no service has this routing key".into(),
        ));
    };
    let value: Value = crate::body::parse(bytes).map_err(|e| ApiError::invalid_event(vec![e]))?;
    let mut errors = Vec::new();
    match value.get("version") {
        Some(Value::String(v)) if v == "4" => {}
        Some(Value::String(other)) => {
            errors.push(format!("version: {other:?} is not the supported \"4\""))
        }
        None | Some(Value::Null) => {
            errors.push("version: missing; Alertmanager sends \"4\"".into())
        }
        Some(other) => errors.push(format!(
            "version: must be the string \"4\", not {}",
            super::value_in_words(other)
        )),
    }
    let Some(alerts) = value.get("alerts").and_then(Value::as_array) else {
        errors.push("alerts: missing or not an array".into());
        return Err(ApiError::invalid_event(errors));
    };
    let empty = Map::new();
    let common = value
        .get("commonAnnotations")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut events = Vec::with_capacity(alerts.len());
    for (i, alert) in alerts.iter().enumerate() {
        let labels = alert
            .get("labels")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let annotations = alert
            .get("annotations")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let text = |name: &str| -> Option<String> {
            annotations
                .get(name)
                .or_else(|| common.get(name))
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let label = |name: &str| labels.get(name).and_then(Value::as_str).map(str::to_string);
        let fingerprint = match alert.get("fingerprint").and_then(Value::as_str) {
            Some(f) if !f.is_empty() => f.to_string(),
            _ if labels.is_empty() => {
                errors.push(format!("alerts[{i}]: neither fingerprint nor labels"));
                continue;
            }
            _ => fingerprint_of(labels),
        };
        let actor = Actor::integration("alertmanager");
        match alert.get("status") {
            Some(Value::String(s)) if s == "firing" => {
                let summary = text("summary")
                    .or_else(|| text("description"))
                    .or_else(|| label("alertname"))
                    .unwrap_or_else(|| format!("alert {fingerprint}"));
                let priority = service.priority.unwrap_or_else(|| {
                    Priority::from_severity(label("severity").as_deref().unwrap_or(""))
                });
                events.push(IngestEvent::Trigger {
                    trigger: Trigger {
                        service: service.id.clone(),
                        dedup_key: fingerprint,
                        summary: clip(&summary),
                        priority,
                        actor,
                    },
                    details: AlertDetails {
                        source: label("instance").or_else(|| {
                            alert
                                .get("generatorURL")
                                .and_then(Value::as_str)
                                .map(str::to_string)
                        }),
                        description: text("description"),
                        runbook: text("runbook_url"),
                        links: alert
                            .get("generatorURL")
                            .and_then(Value::as_str)
                            .filter(|u| !u.is_empty())
                            .map(|u| {
                                vec![klaxon_domain::wire::Link {
                                    href: u.to_string(),
                                    text: Some("Source".into()),
                                }]
                            })
                            .unwrap_or_default(),
                        images: Vec::new(),
                        custom: Some(json!({ "labels": labels })),
                    },
                });
            }
            Some(Value::String(s)) if s == "resolved" => events.push(IngestEvent::Resolve {
                service: service.id.clone(),
                dedup_key: fingerprint,
                actor,
            }),
            Some(Value::String(other)) => errors.push(format!(
                "alerts[{i}].status: {other:?} is not \"firing\" or \"resolved\""
            )),
            None | Some(Value::Null) => errors.push(format!(
                "alerts[{i}].status: missing; Alertmanager sends \"firing\" or \"resolved\""
            )),
            Some(other) => errors.push(format!(
                "alerts[{i}].status: must be the string \"firing\" or \"resolved\", not {}",
                super::value_in_words(other)
            )),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid_event(errors));
    }
    Ok(events)
}

/// `POST /v1/alertmanager/{routing_key}`.
pub async fn webhook(
    State(state): State<Arc<AppState>>,
    Path(routing_key): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let result = handle(&state, &routing_key, body).await;
    if let Err(e) = &result {
        state.metrics.event_rejected(e.status_code().as_u16());
    }
    result
}

async fn handle(
    state: &Arc<AppState>,
    routing_key: &str,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let bytes = super::body(body)?;
    let events = parse(state, routing_key, &bytes)?;
    state.limiter.check(routing_key, 1.0)?;
    let n = events.len();
    let (_outcomes, effects) = state
        .store
        .ingest(events, state.roster.clone(), state.clock.now())
        .await?;
    state.metrics.events_accepted("alertmanager", n as u64);
    delivery::deliver(state, effects).await;
    Ok((
        StatusCode::OK,
        Json(json!({ "status": "success", "message": "Alerts processed", "alerts": n })),
    ))
}
