//! Calendar subscriptions: an operator makes a secret link for a person
//! (`POST /v1/admin/ical-links`, `klaxon ical-link`); Google Calendar or
//! Outlook fetches `GET /v1/ical/{token}` without any other credential and
//! gets that person's shifts on the live roster (reloads and live overrides
//! included), rendered by `klaxon_domain::ical`. The relay keeps only the
//! SHA-256 of each token, so its database does not hand out working links.

use crate::admin::authorize;
use crate::body::JsonBody;
use crate::errors::ApiError;
use crate::store::rota::AuditRecord;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::Duration;
use ring::rand::SecureRandom as _;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The feed starts this many days before now (last week stays visible).
const PAST_DAYS: i64 = 7;
/// The feed ends this many days after now (about a quarter ahead).
const FUTURE_DAYS: i64 = 90;

/// `POST /v1/admin/ical-links` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IcalLinkRequest {
    /// Whose shifts the link serves.
    pub person: String,
}

/// `POST /v1/admin/ical-links` answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IcalLink {
    /// Whose shifts it serves.
    pub person: String,
    /// The secret token (shown once; the relay keeps only its hash).
    pub token: String,
    /// The feed's path on this relay: `/v1/ical/{token}`.
    pub path: String,
}

fn sha256_hex(token: &str) -> String {
    ring::digest::digest(&ring::digest::SHA256, token.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `POST /v1/admin/ical-links`: a new secret calendar link for a person.
pub async fn create(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<JsonBody<IcalLinkRequest>, ApiError>,
) -> Result<(StatusCode, Json<IcalLink>), ApiError> {
    authorize(&state, &headers)?;
    let JsonBody(req) = body?;
    if state.roster().person(&req.person).is_none() {
        return Err(ApiError::NotFound(format!(
            "person: {:?} is not in the roster",
            req.person
        )));
    }
    let mut secret = [0u8; 32];
    ring::rand::SystemRandom::new()
        .fill(&mut secret)
        .map_err(|_| ApiError::Unavailable("no randomness for a calendar token".into()))?;
    let token = URL_SAFE_NO_PAD.encode(secret);
    let audit = AuditRecord {
        at: state.clock.now(),
        who: "admin".into(),
        action: "ical.link".into(),
        what: format!("calendar link for {}", req.person),
    };
    state
        .store
        .create_ical_link(sha256_hex(&token), req.person.clone(), audit)
        .await?;
    tracing::info!(person = %req.person, "calendar link created");
    Ok((
        StatusCode::CREATED,
        Json(IcalLink {
            person: req.person,
            path: format!("/v1/ical/{token}"),
            token,
        }),
    ))
}

/// `GET /v1/ical/{token}`: the person's shifts from 7 days ago to 90 days
/// ahead on the live roster, as `text/calendar`.
pub async fn feed(
    State(state): State<Arc<AppState>>,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let unknown = || ApiError::NotFound("token: no calendar link with this token".into());
    // Tokens are 43 URL-safe characters; anything else is no link at all.
    if token.len() > 128 {
        return Err(unknown());
    }
    let person = state
        .store
        .ical_link_person(sha256_hex(&token))
        .await?
        .ok_or_else(unknown)?;
    let roster = state.roster();
    let Some(who) = roster.person(&person) else {
        return Err(ApiError::NotFound(format!(
            "person: {person:?}, whom this calendar link is for, is no longer in the roster"
        )));
    };
    let now = state.clock.now();
    let text = klaxon_domain::ical::person_calendar(
        &roster,
        who,
        now - Duration::days(PAST_DAYS),
        now + Duration::days(FUTURE_DAYS),
        now,
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CACHE_CONTROL, "private, max-age=300"),
        ],
        text,
    )
        .into_response())
}
