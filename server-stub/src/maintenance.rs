//! Maintenance windows: an operator silences a service for a while
//! (`klaxon maintenance start|list|end`, the admin API below). While a
//! window covers a service, its triggered alerts are recorded — the
//! timeline says `suppressed`, naming the window — but page nobody; core's
//! engine decides that ([`klaxon_domain::alert::Alert::tick_in`]), the
//! write path hands it the windows in force. When the window ends, by time
//! (the alert's deadline row is the window's end) or by `end` (which pulls
//! the service's deadline rows to now), alerts still triggered page at once.

use crate::admin::authorize;
use crate::body::JsonBody;
use crate::errors::ApiError;
use crate::store::rota::AuditRecord;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use chrono::{DateTime, Utc};
use klaxon_domain::duration::{format_duration, parse_duration};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

/// The longest window: a forgotten window must not silence a service for
/// good.
pub const MAX_WINDOW: Duration = Duration::from_secs(7 * 24 * 3600);

/// Longest `reason`.
const MAX_REASON: usize = 500;

/// How long ended windows stay in the listing.
const LISTED_AFTER_END: chrono::Duration = chrono::Duration::hours(24);

/// One maintenance window, as stored and listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaintenanceWindow {
    /// Its id (`end` names it).
    pub id: String,
    /// The service it silences.
    pub service: String,
    /// When it started.
    pub start: DateTime<Utc>,
    /// When it ends (or ended).
    pub end: DateTime<Utc>,
    /// Why, if the operator said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Who started it (`admin`: the admin token).
    pub created_by: String,
    /// Ended before its planned end.
    #[serde(default)]
    pub ended_early: bool,
}

impl MaintenanceWindow {
    /// Whether it silences `service` at `now`.
    pub fn covers(&self, service: &str, now: DateTime<Utc>) -> bool {
        self.service == service && self.start <= now && now < self.end
    }
}

/// `POST /v1/admin/maintenance` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartRequest {
    /// Service id.
    pub service: String,
    /// How long: a duration like `30m`, `2h`.
    #[serde(rename = "for")]
    pub duration: String,
    /// Why.
    #[serde(default)]
    pub reason: Option<String>,
}

/// `GET /v1/admin/maintenance` answer: windows in force and those that
/// ended in the last 24 hours, newest first.
#[derive(Debug, Serialize, Deserialize)]
pub struct WindowList {
    /// The windows.
    pub windows: Vec<ListedWindow>,
}

/// A listed window with whether it is in force.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ListedWindow {
    /// The window.
    #[serde(flatten)]
    pub window: MaintenanceWindow,
    /// In force now.
    pub active: bool,
}

/// A fresh window id: `mw-` and 8 hex digits.
fn new_id() -> String {
    let (hi, _) = uuid::Uuid::new_v4().as_u64_pair();
    format!("mw-{:08x}", hi >> 32)
}

/// `POST /v1/admin/maintenance`: starts a window now; 201 with it.
pub async fn start(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<JsonBody<StartRequest>, ApiError>,
) -> Result<(StatusCode, Json<MaintenanceWindow>), ApiError> {
    authorize(&state, &headers)?;
    let JsonBody(req) = body?;
    let roster = state.roster();
    let mut errors = Vec::new();
    if roster.service(&req.service).is_none() {
        let known: Vec<&str> = roster.services.iter().map(|s| s.id.as_str()).collect();
        errors.push(format!(
            "service: unknown service {:?}; known services: {}",
            req.service,
            known.join(", ")
        ));
    }
    let length = match parse_duration(&req.duration) {
        Ok(d) if d.is_zero() => {
            errors.push("for: must be at least 1s".to_string());
            None
        }
        Ok(d) if d > MAX_WINDOW => {
            errors.push(format!(
                "for: {:?} is longer than the {} a window may last",
                req.duration,
                format_duration(MAX_WINDOW)
            ));
            None
        }
        Ok(d) => chrono::Duration::from_std(d).ok(),
        Err(e) => {
            errors.push(format!("for: {e}"));
            None
        }
    };
    let reason = req.reason.filter(|r| !r.trim().is_empty());
    if reason
        .as_ref()
        .is_some_and(|r| r.chars().count() > MAX_REASON)
    {
        errors.push(format!("reason: longer than {MAX_REASON} characters"));
    }
    let (Some(length), true) = (length, errors.is_empty()) else {
        return Err(ApiError::Invalid {
            status: "invalid request",
            message: "Maintenance window is invalid".to_string(),
            errors,
        });
    };
    let now = state.clock.now();
    let window = MaintenanceWindow {
        id: new_id(),
        service: req.service,
        start: now,
        end: now + length,
        reason,
        created_by: "admin".to_string(),
        ended_early: false,
    };
    let audit = AuditRecord {
        at: now,
        who: window.created_by.clone(),
        action: "maintenance.start".to_string(),
        what: format!(
            "maintenance window {}: {} pages nobody until {}{}",
            window.id,
            window.service,
            window.end.to_rfc3339(),
            window
                .reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        ),
    };
    state.store.start_maintenance(window.clone(), audit).await?;
    tracing::info!(window = %window.id, service = %window.service, end = %window.end, "maintenance window started");
    Ok((StatusCode::CREATED, Json(window)))
}

/// `GET /v1/admin/maintenance`: windows in force, then those ended in the
/// last 24 hours.
pub async fn list(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Json<WindowList>, ApiError> {
    authorize(&state, &headers)?;
    let now = state.clock.now();
    let windows = state
        .store
        .maintenance_windows(now - LISTED_AFTER_END)
        .await?;
    Ok(Json(WindowList {
        windows: windows
            .into_iter()
            .map(|window| ListedWindow {
                active: window.start <= now && now < window.end,
                window,
            })
            .collect(),
    }))
}

/// `DELETE /v1/admin/maintenance/{id}`: ends a window now; the service's
/// alerts still triggered page at once. 200 with the window; one that
/// already ended is answered as it stands.
pub async fn end(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<MaintenanceWindow>, ApiError> {
    authorize(&state, &headers)?;
    let now = state.clock.now();
    let audit = AuditRecord {
        at: now,
        who: "admin".to_string(),
        action: "maintenance.end".to_string(),
        what: format!("maintenance window {id} ended early"),
    };
    let Some(window) = state.store.end_maintenance(id.clone(), now, audit).await? else {
        return Err(ApiError::NotFound(format!(
            "id: no maintenance window {id:?}"
        )));
    };
    tracing::info!(window = %window.id, service = %window.service, "maintenance window ended");
    // The service's deadline rows now say "due now".
    state.escalator.notify_one();
    Ok(Json(window))
}
