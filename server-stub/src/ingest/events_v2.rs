//! PagerDuty Events API v2, `POST /v2/enqueue`: trigger, acknowledge and
//! resolve with PagerDuty's dedup semantics, response bodies and codes, so
//! existing PagerDuty clients and Alertmanager's `pagerduty_configs` work
//! unchanged. Every bad field is reported at once, by name.

use crate::delivery;
use crate::errors::ApiError;
use crate::store::{IngestEvent, IngestOutcome};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use klaxon_domain::alert::{Actor, Trigger};
use klaxon_domain::wire::{AlertDetails, Image, Link};
use klaxon_domain::{Priority, Roster, Service};
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// Longest accepted `payload.summary`, in characters.
pub const MAX_SUMMARY: usize = 1024;
/// Longest accepted `dedup_key`, in characters (PagerDuty's limit).
pub const MAX_DEDUP_KEY: usize = 255;
/// PagerDuty's four `payload.severity` values; any other is refused
/// rather than guessed, since it sets how loud the page is.
const SEVERITIES: [&str; 4] = ["critical", "error", "warning", "info"];

/// The validated event.
struct Parsed {
    /// The key the rate limit counts against.
    routing_key: String,
    /// What the store commits.
    event: IngestEvent,
    /// The key answered to the sender: its own, or the one made up for a
    /// trigger without one (PagerDuty's clients keep it to resolve later).
    dedup_key: String,
}

/// The string field `name` of `obj`: `Ok(None)` when absent or null,
/// `Err` (reported under `path`) when it is some other type, so each
/// caller reports only its own rules and a wrong type is reported once.
pub(super) fn string_field<'a>(
    obj: &'a Map<String, Value>,
    name: &str,
    path: &str,
    errors: &mut Vec<String>,
) -> Result<Option<&'a str>, ()> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => {
            errors.push(format!("{path}: must be a string"));
            Err(())
        }
    }
}

/// A PagerDuty `payload.timestamp`: an ISO 8601 date and time. RFC 3339
/// (`2026-03-01T12:00:00Z`, `…+01:00`), the colon-less offset of
/// PagerDuty's own examples (`2015-07-17T08:42:58.315+0000`), an hour-only
/// offset (`…+01`), no offset at all (ElastAlert forwards a document's
/// `2017-01-01T00:00:00`; Python's naive `isoformat()`), and a space for
/// the `T` (Python's `str(datetime)`). The field is only passed on, so
/// only text that is no date and time at all is refused: a 400 loses the
/// page.
fn is_iso8601(text: &str) -> bool {
    parse_iso8601(text).is_some()
}

/// The instant of an [`is_iso8601`] text; one without an offset is taken
/// as UTC. Change events place themselves in time with it.
pub(super) fn parse_iso8601(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let text = match text.as_bytes().get(10) {
        Some(b' ') => format!("{}T{}", &text[..10], &text[11..]),
        _ => text.to_string(),
    };
    chrono::DateTime::parse_from_rfc3339(&text)
        .or_else(|_| chrono::DateTime::parse_from_str(&text, "%Y-%m-%dT%H:%M:%S%.f%#z"))
        .map(|at| at.with_timezone(&chrono::Utc))
        .or_else(|_| {
            chrono::NaiveDateTime::parse_from_str(&text, "%Y-%m-%dT%H:%M:%S%.f")
                .map(|at| at.and_utc())
        })
        .ok()
}

/// `links`: an array of `{href, text}`; every entry without an `href`
/// is reported by its index.
pub(super) fn parse_links(obj: &Map<String, Value>, errors: &mut Vec<String>) -> Vec<Link> {
    let Some(value) = obj.get("links") else {
        return Vec::new();
    };
    let Some(items) = value.as_array() else {
        errors.push("links: must be an array".into());
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match item.get("href").and_then(Value::as_str) {
            Some(href) => out.push(Link {
                href: href.to_string(),
                text: item.get("text").and_then(Value::as_str).map(str::to_string),
            }),
            None => errors.push(format!("links[{i}].href: missing or not a string")),
        }
    }
    out
}

/// `images`: an array of `{src, href, alt}`; every entry without a `src`
/// is reported by its index.
fn parse_images(obj: &Map<String, Value>, errors: &mut Vec<String>) -> Vec<Image> {
    let Some(value) = obj.get("images") else {
        return Vec::new();
    };
    let Some(items) = value.as_array() else {
        errors.push("images: must be an array".into());
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match item.get("src").and_then(Value::as_str) {
            Some(src) => out.push(Image {
                src: src.to_string(),
                href: item.get("href").and_then(Value::as_str).map(str::to_string),
                alt: item.get("alt").and_then(Value::as_str).map(str::to_string),
            }),
            None => errors.push(format!("images[{i}].src: missing or not a string")),
        }
    }
    out
}

/// `routing_key`: present, a string, and some service's. Returns the
/// service and the key (both `None` once an error is reported).
pub(super) fn routing<'a>(
    roster: &'a Roster,
    obj: &'a Map<String, Value>,
    errors: &mut Vec<String>,
) -> (Option<&'a Service>, Option<&'a str>) {
    let routing_key = string_field(obj, "routing_key", "routing_key", errors);
    // Err: present but not a string, already reported (once).
    let service = match routing_key {
        Err(()) => None,
        Ok(None | Some("")) => {
            errors.push("routing_key: missing".into());
            None
        }
        Ok(Some(key)) => {
            let service = roster.service_by_routing_key(key);
            if service.is_none() {
                errors.push("routing_key: no service has this routing key".into());
            }
            service
        }
    };
    (service, routing_key.ok().flatten())
}

/// `event_action`: one of `trigger`, `acknowledge`, `resolve`.
fn event_action<'a>(obj: &'a Map<String, Value>, errors: &mut Vec<String>) -> Option<&'a str> {
    let action = string_field(obj, "event_action", "event_action", errors);
    match action {
        Err(()) | Ok(Some("trigger" | "acknowledge" | "resolve")) => {}
        Ok(None) => {
            errors.push("event_action: missing; use trigger, acknowledge or resolve".into())
        }
        Ok(Some(other)) => errors.push(format!(
            "event_action: {other:?} is not trigger, acknowledge or resolve"
        )),
    }
    action.ok().flatten()
}

/// `dedup_key`: at most [`MAX_DEDUP_KEY`] characters, and required unless
/// the event is a trigger (PagerDuty makes one up for a trigger).
fn dedup_key<'a>(
    obj: &'a Map<String, Value>,
    action: Option<&str>,
    errors: &mut Vec<String>,
) -> Option<&'a str> {
    let field = string_field(obj, "dedup_key", "dedup_key", errors);
    let dedup_key = field.ok().flatten();
    if let Some(key) = dedup_key {
        if key.chars().count() > MAX_DEDUP_KEY {
            errors.push(format!("dedup_key: longer than {MAX_DEDUP_KEY} characters"));
        }
    }
    if matches!(action, Some("acknowledge" | "resolve"))
        && field.is_ok_and(|key| key.is_none_or(str::is_empty))
    {
        errors.push("dedup_key: required for acknowledge and resolve".into());
    }
    dedup_key
}

/// What a trigger's `payload` gave: its summary and severity (the rest
/// goes into the alert's details).
#[derive(Default)]
struct Payload {
    /// `payload.summary`, the page's text.
    summary: Option<String>,
    /// `payload.severity`, the priority when the service sets none.
    severity: Option<String>,
}

/// A trigger's `payload`: an object with `summary`, `source` and
/// `severity`; the optional fields are checked and kept in
/// `details.custom` with the event's `client` and `client_url`.
fn payload(
    obj: &Map<String, Value>,
    details: &mut AlertDetails,
    errors: &mut Vec<String>,
) -> Payload {
    match obj.get("payload") {
        None | Some(Value::Null) => {
            errors.push(
                "payload: missing; a trigger needs payload.summary, payload.source and payload.severity"
                    .into(),
            );
            Payload::default()
        }
        Some(Value::Object(payload)) => {
            let summary = summary(payload, errors);
            details.source = source(payload, errors);
            let severity = severity(payload, errors);
            for name in ["component", "group", "class"] {
                let _ = string_field(payload, name, &format!("payload.{name}"), errors);
            }
            timestamp(payload, errors);
            details.custom = custom_details(obj, payload);
            Payload { summary, severity }
        }
        Some(other) => {
            errors.push(format!(
                "payload: must be an object with summary, source and severity, not {}",
                super::value_in_words(other)
            ));
            Payload::default()
        }
    }
}

/// `payload.summary`: present, at most [`MAX_SUMMARY`] characters.
pub(super) fn summary(payload: &Map<String, Value>, errors: &mut Vec<String>) -> Option<String> {
    match string_field(payload, "summary", "payload.summary", errors) {
        Err(()) => {}
        Ok(None | Some("")) => errors.push("payload.summary: missing".into()),
        Ok(Some(s)) if s.chars().count() > MAX_SUMMARY => errors.push(format!(
            "payload.summary: {} characters, more than the {MAX_SUMMARY} allowed",
            s.chars().count()
        )),
        Ok(Some(s)) => return Some(s.to_string()),
    }
    None
}

/// `payload.source`: present and not empty.
fn source(payload: &Map<String, Value>, errors: &mut Vec<String>) -> Option<String> {
    match string_field(payload, "source", "payload.source", errors) {
        Err(()) => {}
        Ok(None | Some("")) => errors.push("payload.source: missing".into()),
        Ok(Some(s)) => return Some(s.to_string()),
    }
    None
}

/// `payload.severity`: one of [`SEVERITIES`].
fn severity(payload: &Map<String, Value>, errors: &mut Vec<String>) -> Option<String> {
    match string_field(payload, "severity", "payload.severity", errors) {
        Err(()) => {}
        Ok(None) => {
            errors.push("payload.severity: missing; use critical, error, warning or info".into())
        }
        Ok(Some(s)) if SEVERITIES.contains(&s) => return Some(s.to_string()),
        Ok(Some(s)) => errors.push(format!(
            "payload.severity: {s:?} is not critical, error, warning or info"
        )),
    }
    None
}

/// `payload.timestamp`, when given, must be a date and time
/// ([`is_iso8601`]); an empty one is no timestamp (a sender's unset
/// string field).
fn timestamp(payload: &Map<String, Value>, errors: &mut Vec<String>) {
    if let Ok(Some(at)) = string_field(payload, "timestamp", "payload.timestamp", errors)
        .map(|at| at.filter(|at| !at.is_empty()))
    {
        if !is_iso8601(at) {
            errors.push(format!(
                "payload.timestamp: {at:?} is not an ISO 8601 date and time (like 2026-03-01T12:00:00Z)"
            ));
        }
    }
}

/// The optional payload fields and the event's `client` fields, passed on
/// as the alert's custom details (`None` when there are none).
fn custom_details(obj: &Map<String, Value>, payload: &Map<String, Value>) -> Option<Value> {
    let mut custom = Map::new();
    for name in ["component", "group", "class", "timestamp", "custom_details"] {
        if let Some(v) = payload.get(name) {
            custom.insert(name.to_string(), v.clone());
        }
    }
    for name in ["client", "client_url"] {
        if let Some(v) = obj.get(name) {
            custom.insert(name.to_string(), v.clone());
        }
    }
    (!custom.is_empty()).then_some(Value::Object(custom))
}

/// Checks every field, reporting every problem at once, and builds the
/// event to commit.
fn parse(state: &AppState, bytes: &[u8]) -> Result<Parsed, ApiError> {
    let value: Value = crate::body::parse(bytes).map_err(|e| ApiError::invalid_event(vec![e]))?;
    let Some(obj) = value.as_object() else {
        return Err(ApiError::invalid_event(vec![
            "body: must be a JSON object".into()
        ]));
    };
    let mut errors = Vec::new();
    let roster = state.roster();
    let (service, routing_key) = routing(&roster, obj, &mut errors);
    let action = event_action(obj, &mut errors);
    let dedup_key = dedup_key(obj, action, &mut errors);
    let mut details = AlertDetails {
        links: parse_links(obj, &mut errors),
        images: parse_images(obj, &mut errors),
        ..AlertDetails::default()
    };
    for name in ["client", "client_url"] {
        let _ = string_field(obj, name, name, &mut errors);
    }
    let payload = if action == Some("trigger") {
        payload(obj, &mut details, &mut errors)
    } else {
        Payload::default()
    };
    if !errors.is_empty() {
        return Err(ApiError::invalid_event(errors));
    }
    // Every branch below had its fields checked above.
    let (Some(service), Some(routing_key), Some(action)) = (service, routing_key, action) else {
        return Err(ApiError::invalid_event(vec![
            "body: incomplete event".into()
        ]));
    };
    let dedup_key = match dedup_key {
        Some(k) if !k.is_empty() => k.to_string(),
        // PagerDuty makes up a key for a trigger without one and returns it.
        _ => uuid::Uuid::new_v4().simple().to_string(),
    };
    Ok(Parsed {
        routing_key: routing_key.to_string(),
        event: event(service, action, dedup_key.clone(), payload, details),
        dedup_key,
    })
}

/// The checked event as the store takes it.
fn event(
    service: &Service,
    action: &str,
    dedup_key: String,
    payload: Payload,
    details: AlertDetails,
) -> IngestEvent {
    let actor = Actor::integration("events_v2");
    match action {
        "trigger" => IngestEvent::Trigger {
            trigger: Trigger {
                service: service.id.clone(),
                dedup_key,
                summary: payload.summary.unwrap_or_default(),
                priority: service.priority.unwrap_or_else(|| {
                    Priority::from_severity(payload.severity.as_deref().unwrap_or("error"))
                }),
                actor,
            },
            details,
        },
        "acknowledge" => IngestEvent::Acknowledge {
            service: service.id.clone(),
            dedup_key,
            actor,
        },
        _ => IngestEvent::Resolve {
            service: service.id.clone(),
            dedup_key,
            actor,
        },
    }
}

/// `POST /v2/enqueue`.
pub async fn enqueue(
    State(state): State<Arc<AppState>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    super::counted(&state, handle(&state, body).await)
}

/// Reads, checks, rate-limits and commits the event, then delivers its
/// pages; the 202 goes out only after the commit.
async fn handle(
    state: &Arc<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let bytes = super::body(body)?;
    let parsed = parse(state, &bytes)?;
    state.limiter.check(&parsed.routing_key, 1.0)?;
    let now = state.clock.now();
    let (outcomes, effects) = state
        .store
        .ingest(vec![parsed.event], state.roster(), now)
        .await?;
    state.metrics.events_accepted("events_v2", 1);
    if outcomes.first() == Some(&IngestOutcome::Ignored) {
        tracing::debug!(dedup_key = %parsed.dedup_key, "no open alert with this key; ignored");
    }
    delivery::deliver(state, effects).await;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({
            "status": "success",
            "message": "Event processed",
            "dedup_key": parsed.dedup_key,
        })),
    ))
}
