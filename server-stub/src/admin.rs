//! The admin API, for `klaxon invite` and `klaxon alerts`: bearer auth with
//! `KLAXON_ADMIN_TOKEN`, enrollment codes, and the alert listing with who
//! was paged and who acknowledged.

use crate::body::JsonBody;
use crate::errors::ApiError;
use crate::store::{Invite, StoredAlert};
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use klaxon_domain::AlertStatus;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// How long an enrollment code works.
const INVITE_TTL: chrono::Duration = chrono::Duration::hours(24);

/// The credentials of an `Authorization` value in the `Bearer` scheme,
/// whose name is case-insensitive (RFC 9110 §11.1: `bearer`, `BEARER`),
/// followed by one or more spaces.
fn bearer(value: &str) -> Option<&str> {
    let (scheme, rest) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| rest.trim_start_matches(' '))
}

/// Checks `Authorization: Bearer <KLAXON_ADMIN_TOKEN>` in constant time.
pub(crate) fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(expected) = state.admin_token.as_deref() else {
        return Err(ApiError::Forbidden(
            "the admin API is off: start the relay with KLAXON_ADMIN_TOKEN set".into(),
        ));
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer)
        .ok_or_else(|| ApiError::Unauthorized("Authorization: Bearer token missing".into()))?;
    let same = given.len() == expected.len()
        && given
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if same {
        Ok(())
    } else {
        Err(ApiError::Unauthorized("the admin token is wrong".into()))
    }
}

/// `POST /v1/admin/invites` body.
#[derive(Debug, Deserialize)]
pub struct InviteRequest {
    /// Person id from the roster.
    pub person: String,
}

/// `POST /v1/admin/invites` answer.
#[derive(Debug, Serialize, Deserialize)]
pub struct InviteResponse {
    /// The one-time code.
    pub code: String,
    /// Who enrolls with it.
    pub person: String,
    /// When it stops working.
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// A fresh code: 20 characters of Crockford base32 (100 random bits), easy
/// to read out or type, impossible to guess.
fn new_code() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let bits = uuid::Uuid::new_v4().as_u128() ^ (uuid::Uuid::new_v4().as_u128() >> 3);
    (0..20)
        .map(|i| ALPHABET[((bits >> (i * 5)) & 31) as usize] as char)
        .collect()
}

/// `POST /v1/admin/invites`.
pub async fn create_invite(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<JsonBody<InviteRequest>, ApiError>,
) -> Result<(StatusCode, Json<InviteResponse>), ApiError> {
    authorize(&state, &headers)?;
    let JsonBody(req) = body?;
    if state.roster().person(&req.person).is_none() {
        return Err(ApiError::NotFound(format!(
            "person: {:?} is not in the roster",
            req.person
        )));
    }
    let invite = Invite {
        code: new_code(),
        person: req.person.clone(),
        expires_at: state.clock.now() + INVITE_TTL,
    };
    state.store.create_invite(invite.clone()).await?;
    Ok((
        StatusCode::CREATED,
        Json(InviteResponse {
            code: invite.code,
            person: invite.person,
            expires_at: invite.expires_at,
        }),
    ))
}

/// One alert in the admin listing (`klaxon alerts --json`, docs/cli.md).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AlertSummary {
    /// Alert id.
    pub id: String,
    /// Dedup key.
    pub dedup_key: String,
    /// Service id.
    pub service: String,
    /// triggered | acknowledged | resolved.
    pub status: AlertStatus,
    /// critical | high | low.
    pub priority: klaxon_domain::Priority,
    /// What is wrong.
    pub summary: String,
    /// People paged so far, in order, repeats included.
    pub paged: Vec<String>,
    /// Who acknowledged it (kept after resolve: who took it).
    pub acknowledged_by: Option<String>,
    /// Who resolved it.
    pub resolved_by: Option<String>,
    /// When it opened.
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<&StoredAlert> for AlertSummary {
    fn from(s: &StoredAlert) -> AlertSummary {
        let a = &s.alert;
        // The alert clears acknowledged_by when it moves on; the timeline
        // still says who took it last.
        let acknowledged_by = a.acknowledged_by.clone().or_else(|| {
            a.timeline
                .entries()
                .iter()
                .rev()
                .find(|e| e.event == klaxon_domain::alert::Event::Acknowledged)
                .map(|e| e.actor.who.clone())
        });
        AlertSummary {
            id: a.id.clone(),
            dedup_key: a.dedup_key.clone(),
            service: a.service.clone(),
            status: a.status,
            priority: a.priority,
            summary: a.summary.clone(),
            paged: a.paged(),
            acknowledged_by,
            resolved_by: a.resolved_by().map(str::to_string),
            created_at: a.created_at,
        }
    }
}

/// `GET /v1/admin/alerts` query.
#[derive(Debug, Deserialize)]
pub struct AlertsQuery {
    /// Only alerts in this state.
    pub status: Option<String>,
}

/// `GET /v1/admin/alerts?status=S`.
pub async fn list_alerts(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    query: Result<Query<AlertsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<AlertSummary>>, ApiError> {
    authorize(&state, &headers)?;
    let Query(q) = query.map_err(|e| ApiError::invalid(format!("query: {}", e.body_text())))?;
    let status = match q.status.as_deref() {
        None | Some("") => None,
        Some(s) => Some(AlertStatus::parse(s).ok_or_else(|| {
            ApiError::invalid(format!(
                "status: {s:?} is not triggered, acknowledged or resolved"
            ))
        })?),
    };
    let alerts = state.store.alerts(status).await?;
    Ok(Json(alerts.iter().map(AlertSummary::from).collect()))
}

/// `GET /v1/admin/alerts/{id}` answer: the alert as stored, with its
/// service's changes in the hour before it opened.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AlertDetail {
    /// The alert with its whole timeline.
    #[serde(flatten)]
    pub alert: klaxon_domain::Alert,
    /// Its service's change events in the hour before it opened, newest
    /// first ([`crate::ingest::change_events::before`]).
    pub changes: Vec<crate::ingest::change_events::Change>,
}

/// `GET /v1/admin/alerts/{id}`: one alert with its whole timeline and the
/// changes before it.
pub async fn get_alert(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Json<AlertDetail>, ApiError> {
    authorize(&state, &headers)?;
    let Some(stored) = state.store.alert(id.clone()).await? else {
        return Err(ApiError::NotFound(format!("alert: no alert {id:?}")));
    };
    let alert = stored.alert;
    let changes = crate::ingest::change_events::before(
        &state,
        &alert.service,
        alert.created_at,
        state.clock.now(),
    )
    .await?;
    Ok(Json(AlertDetail { alert, changes }))
}
