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
use klaxon_domain::{Priority, Service};
use serde_json::{json, Map, Value};
use std::sync::Arc;

use super::events_v2::{MAX_DEDUP_KEY, MAX_SUMMARY};

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

/// `version`: the string `"4"`, the only payload version there is.
fn check_version(value: &Value, errors: &mut Vec<String>) {
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
}

/// One alert of the webhook, with the group's common annotations to fall
/// back on.
struct AlertIn<'a> {
    /// The alert object itself (`status`, `fingerprint`, `generatorURL`).
    alert: &'a Value,
    /// Its `labels` (empty when absent).
    labels: &'a Map<String, Value>,
    /// Its `annotations` (empty when absent).
    annotations: &'a Map<String, Value>,
    /// The webhook's `commonAnnotations`, used when the alert lacks one.
    common: &'a Map<String, Value>,
}

impl AlertIn<'_> {
    /// A non-empty annotation, the alert's own or else the group's.
    fn text(&self, name: &str) -> Option<String> {
        self.annotations
            .get(name)
            .or_else(|| self.common.get(name))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }

    /// A label's value, when it is a string.
    fn label(&self, name: &str) -> Option<String> {
        self.labels
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_string)
    }

    /// The link to the alert's source in Prometheus.
    fn generator_url(&self) -> Option<&str> {
        self.alert.get("generatorURL").and_then(Value::as_str)
    }

    /// The alert's dedup key: its `fingerprint`, else one computed from
    /// its labels; `None` when it has neither.
    fn fingerprint(&self) -> Option<String> {
        match self.alert.get("fingerprint").and_then(Value::as_str) {
            Some(f) if !f.is_empty() => Some(f.to_string()),
            _ if self.labels.is_empty() => None,
            _ => Some(fingerprint_of(self.labels)),
        }
    }

    /// A firing alert as a trigger: the summary is the first of the
    /// `summary` and `description` annotations and the `alertname` label.
    fn trigger(&self, service: &Service, fingerprint: String) -> IngestEvent {
        let summary = self
            .text("summary")
            .or_else(|| self.text("description"))
            .or_else(|| self.label("alertname"))
            .unwrap_or_else(|| format!("alert {fingerprint}"));
        let priority = service.priority.unwrap_or_else(|| {
            Priority::from_severity(self.label("severity").as_deref().unwrap_or(""))
        });
        IngestEvent::Trigger {
            trigger: Trigger {
                service: service.id.clone(),
                dedup_key: fingerprint,
                summary: clip(&summary),
                priority,
                actor: Actor::integration("alertmanager"),
            },
            details: self.details(),
        }
    }

    /// What the page shows beyond its summary.
    fn details(&self) -> AlertDetails {
        AlertDetails {
            source: self
                .label("instance")
                .or_else(|| self.generator_url().map(str::to_string)),
            description: self.text("description"),
            runbook: self.text("runbook_url"),
            links: self
                .generator_url()
                .filter(|u| !u.is_empty())
                .map(|u| {
                    vec![klaxon_domain::wire::Link {
                        href: u.to_string(),
                        text: Some("Source".into()),
                    }]
                })
                .unwrap_or_default(),
            images: Vec::new(),
            custom: Some(json!({ "labels": self.labels })),
        }
    }
}

/// `alerts[i]`: a trigger when `firing`, a resolve when `resolved`; an
/// error names the alert by its index.
fn alert_event(
    service: &Service,
    i: usize,
    alert: &AlertIn<'_>,
    errors: &mut Vec<String>,
) -> Option<IngestEvent> {
    let Some(fingerprint) = alert.fingerprint() else {
        errors.push(format!("alerts[{i}]: neither fingerprint nor labels"));
        return None;
    };
    // The fingerprint becomes the alert's dedup key: Events v2's limit.
    let length = fingerprint.chars().count();
    if length > MAX_DEDUP_KEY {
        errors.push(format!(
            "alerts[{i}].fingerprint: {length} characters, more than the {MAX_DEDUP_KEY} allowed"
        ));
        return None;
    }
    match alert.alert.get("status") {
        Some(Value::String(s)) if s == "firing" => {
            return Some(alert.trigger(service, fingerprint))
        }
        Some(Value::String(s)) if s == "resolved" => {
            return Some(IngestEvent::Resolve {
                service: service.id.clone(),
                dedup_key: fingerprint,
                actor: Actor::integration("alertmanager"),
            })
        }
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
    None
}

/// The object `name` of `value`, if it is one.
fn object<'a>(value: &'a Value, name: &str) -> Option<&'a Map<String, Value>> {
    value.get(name).and_then(Value::as_object)
}

/// Checks the webhook body, reporting every problem at once, and turns
/// each alert into an event to commit.
fn parse(state: &AppState, routing_key: &str, bytes: &[u8]) -> Result<Vec<IngestEvent>, ApiError> {
    let roster = state.roster();
    let Some(service) = roster.service_by_routing_key(routing_key) else {
        return Err(ApiError::NotFound(
            "routing_key: no service has this routing key".into(),
        ));
    };
    let value: Value = crate::body::parse(bytes).map_err(|e| ApiError::invalid_event(vec![e]))?;
    let mut errors = Vec::new();
    check_version(&value, &mut errors);
    let Some(alerts) = value.get("alerts").and_then(Value::as_array) else {
        errors.push("alerts: missing or not an array".into());
        return Err(ApiError::invalid_event(errors));
    };
    let empty = Map::new();
    let common = object(&value, "commonAnnotations").unwrap_or(&empty);
    let mut events = Vec::with_capacity(alerts.len());
    for (i, alert) in alerts.iter().enumerate() {
        let alert = AlertIn {
            alert,
            labels: object(alert, "labels").unwrap_or(&empty),
            annotations: object(alert, "annotations").unwrap_or(&empty),
            common,
        };
        events.extend(alert_event(service, i, &alert, &mut errors));
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
    super::counted(&state, handle(&state, &routing_key, body).await)
}

/// Reads, checks, rate-limits and commits every alert of the webhook in
/// one write, then delivers their pages; the 200 goes out only after the
/// commit. The rate limit is charged one token per alert, all or nothing:
/// a batch over what the routing key has left is a 429 with `Retry-After`
/// that commits none of it (Alertmanager sends the batch again).
async fn handle(
    state: &Arc<AppState>,
    routing_key: &str,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let bytes = super::body(body)?;
    let events = parse(state, routing_key, &bytes)?;
    let n = events.len();
    state.limiter.check_batch(routing_key, n)?;
    let (_outcomes, effects) = state
        .store
        .ingest(events, state.roster(), state.clock.now())
        .await?;
    state.metrics.events_accepted("alertmanager", n as u64);
    delivery::deliver(state, effects).await;
    Ok((
        StatusCode::OK,
        Json(json!({ "status": "success", "message": "Alerts processed", "alerts": n })),
    ))
}
