//! Live overrides over HTTP: operators (admin token) add, list and remove
//! them; a signed device puts its own person on call ("I'll cover") in a
//! schedule of its teams. Each change is stored with its audit entry, then
//! the running roster is rebuilt ([`crate::rota::refresh_overrides`]), so
//! the next trigger and every step not yet fired page the new person.
//! Also the live schedule read behind `klaxon roster who|shifts --relay`
//! and the audit listing behind `klaxon audit`. The rules are
//! `klaxon_domain::schedule::check_live_override`.

use crate::admin::authorize;
use crate::body::JsonBody;
use crate::devices::AuthenticatedDevice;
use crate::errors::ApiError;
use crate::store::rota::{AuditEntry, AuditRecord, NewOverride};
use crate::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::{Extension, Json};
use chrono::{DateTime, Duration, Utc};
use klaxon_domain::schedule::{check_live_override, LiveOverride, OverrideChange};
use klaxon_domain::{Gap, Handoff, Shift};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// `POST /v1/admin/overrides` and `POST /v1/overrides` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverrideRequest {
    /// The schedule.
    pub schedule: String,
    /// Who goes on call; a device may leave it out (itself).
    #[serde(default)]
    pub person: Option<String>,
    /// Whom they replace; absent: whoever is on call.
    #[serde(default)]
    pub replacing: Option<String>,
    /// First instant (RFC 3339).
    pub from: DateTime<Utc>,
    /// First instant after it (RFC 3339).
    pub to: DateTime<Utc>,
}

/// A live override as listed: the stored row and what it changes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OverrideView {
    /// Its id (for `klaxon override remove`).
    pub id: i64,
    /// The schedule.
    pub schedule: String,
    /// Who is on call.
    pub person: String,
    /// Whom they replace; absent: whoever was on call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacing: Option<String>,
    /// First instant.
    pub from: DateTime<Utc>,
    /// First instant after it.
    pub to: DateTime<Utc>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// `admin` or `person:<id>`.
    pub created_by: String,
    /// Where it decides who is on call, and whom it puts off call.
    pub changes: Vec<OverrideChange>,
    /// Newer overrides that took some of its time (the newest wins).
    pub superseded_by: Vec<i64>,
}

/// `?schedule=S`.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    /// Only this schedule's overrides.
    pub schedule: Option<String>,
}

/// The live overrides (optionally of one schedule), each with its effect.
fn views(state: &AppState, schedule: Option<&str>) -> Vec<OverrideView> {
    let file = state.rota.file();
    let overrides = state.rota.overrides();
    let mut out: Vec<OverrideView> = Vec::new();
    for s in &file.schedules {
        if schedule.is_some_and(|wanted| wanted != s.id()) {
            continue;
        }
        for effect in s.live_override_effects(&overrides) {
            let Some(o) = overrides.iter().find(|o| o.id == effect.id) else {
                continue;
            };
            out.push(OverrideView {
                id: o.id,
                schedule: o.schedule.clone(),
                person: o.person.clone(),
                replacing: o.replacing.clone(),
                from: o.start,
                to: o.end,
                created_at: o.created_at,
                created_by: o.created_by.clone(),
                changes: effect.changes,
                superseded_by: effect.superseded_by,
            });
        }
    }
    out.sort_by_key(|v| v.id);
    out
}

fn view_of(state: &AppState, o: &LiveOverride) -> Result<OverrideView, ApiError> {
    views(state, Some(&o.schedule))
        .into_iter()
        .find(|v| v.id == o.id)
        .ok_or_else(|| ApiError::NotFound(format!("override: no override {}", o.id)))
}

/// Checks and stores one override for `created_by`, then runs it.
async fn add(
    state: &AppState,
    req: OverrideRequest,
    person: String,
    created_by: String,
) -> Result<(StatusCode, Json<OverrideView>), ApiError> {
    let now = state.clock.now();
    let file = state.rota.file();
    check_live_override(
        &file,
        &req.schedule,
        &person,
        req.replacing.as_deref(),
        req.from,
        req.to,
        now,
    )
    .map_err(|problems| ApiError::Invalid {
        status: "invalid request",
        message: "the override is refused".into(),
        errors: problems.iter().map(ToString::to_string).collect(),
    })?;
    let what = format!(
        "{person} on call in {} {}–{}{}",
        req.schedule,
        req.from.to_rfc3339(),
        req.to.to_rfc3339(),
        req.replacing
            .as_deref()
            .map(|q| format!(", replacing {q}"))
            .unwrap_or_default()
    );
    let stored = state
        .store
        .add_override(
            NewOverride {
                schedule: req.schedule,
                person,
                replacing: req.replacing,
                start: req.from,
                end: req.to,
                created_at: now,
                created_by: created_by.clone(),
            },
            AuditRecord {
                at: now,
                who: created_by,
                action: "override.add".into(),
                what,
            },
        )
        .await?;
    crate::rota::refresh_overrides(state).await?;
    tracing::info!(id = stored.id, schedule = %stored.schedule, person = %stored.person, by = %stored.created_by, "override added");
    Ok((StatusCode::CREATED, Json(view_of(state, &stored)?)))
}

/// `POST /v1/admin/overrides`.
pub async fn admin_add(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<JsonBody<OverrideRequest>, ApiError>,
) -> Result<(StatusCode, Json<OverrideView>), ApiError> {
    authorize(&state, &headers)?;
    let JsonBody(req) = body?;
    let Some(person) = req.person.clone() else {
        return Err(ApiError::invalid("person: missing; who goes on call?"));
    };
    add(&state, req, person, "admin".into()).await
}

/// `POST /v1/overrides` (signed): the device's person covers ("I'll
/// cover") in a schedule of their teams.
pub async fn device_add(
    State(state): State<Arc<AppState>>,
    Extension(AuthenticatedDevice(device)): Extension<AuthenticatedDevice>,
    body: Result<JsonBody<OverrideRequest>, ApiError>,
) -> Result<(StatusCode, Json<OverrideView>), ApiError> {
    let JsonBody(req) = body?;
    let me = device.person.clone();
    if let Some(other) = req.person.as_deref().filter(|p| *p != me) {
        return Err(ApiError::Forbidden(format!(
            "person: a device may only put its own person ({me}) on call, not {other:?}"
        )));
    }
    let file = state.rota.file();
    let mine = crate::devices::Teams::from_roster(&file).schedules_of(&me);
    if file.schedule(&req.schedule).is_some() && !mine.contains(&req.schedule) {
        let mut known: Vec<&String> = mine.iter().collect();
        known.sort();
        return Err(ApiError::Forbidden(format!(
            "schedule: {:?} is not a schedule of your teams (yours: {})",
            req.schedule,
            known
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    add(&state, req, me.clone(), format!("person:{me}")).await
}

/// `GET /v1/admin/overrides[?schedule=S]`.
pub async fn admin_list(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Vec<OverrideView>>, ApiError> {
    authorize(&state, &headers)?;
    let Query(q) = query.map_err(|e| ApiError::invalid(format!("query: {}", e.body_text())))?;
    list(&state, q.schedule.as_deref())
}

/// `GET /v1/overrides[?schedule=S]` (signed): the same listing, for the
/// schedules of the device's teams.
pub async fn device_list(
    State(state): State<Arc<AppState>>,
    Extension(AuthenticatedDevice(device)): Extension<AuthenticatedDevice>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Vec<OverrideView>>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::invalid(format!("query: {}", e.body_text())))?;
    let mine = state.live().teams.schedules_of(&device.person);
    let Json(all) = list(&state, q.schedule.as_deref())?;
    Ok(Json(
        all.into_iter()
            .filter(|v| mine.contains(&v.schedule))
            .collect(),
    ))
}

fn list(state: &AppState, schedule: Option<&str>) -> Result<Json<Vec<OverrideView>>, ApiError> {
    if let Some(s) = schedule {
        if state.rota.file().schedule(s).is_none() {
            return Err(ApiError::NotFound(format!(
                "schedule: {s:?} is not a schedule in the roster"
            )));
        }
    }
    let now = state.clock.now();
    Ok(Json(
        views(state, schedule)
            .into_iter()
            .filter(|v| v.to > now)
            .collect(),
    ))
}

/// `DELETE /v1/admin/overrides/{id}`.
pub async fn admin_remove(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<LiveOverride>, ApiError> {
    authorize(&state, &headers)?;
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::invalid(format!("id: {id:?} is not an override id (a number)")))?;
    let now = state.clock.now();
    let removed = state
        .store
        .remove_override(
            id,
            AuditRecord {
                at: now,
                who: "admin".into(),
                action: "override.remove".into(),
                what: format!("override {id} removed"),
            },
        )
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("id: no override {id}")))?;
    crate::rota::refresh_overrides(&state).await?;
    tracing::info!(id, "override removed");
    Ok(Json(removed))
}

/// `?at=T&from=T&to=T` of the live schedule read.
#[derive(Debug, Deserialize)]
pub struct ScheduleQuery {
    /// Who is on call at this instant (default now).
    pub at: Option<DateTime<Utc>>,
    /// Shifts from (default `at`).
    pub from: Option<DateTime<Utc>>,
    /// Shifts until (default `from` + 7 days).
    pub to: Option<DateTime<Utc>>,
}

/// The live schedule: who is on call and the shifts, overrides included.
#[derive(Debug, Clone, Serialize)]
pub struct ScheduleAnswer {
    /// Schedule id.
    pub schedule: String,
    /// Its IANA zone.
    pub time_zone: String,
    /// The instant `on_call` is for.
    pub at: DateTime<Utc>,
    /// Who is on call at `at`.
    pub on_call: Vec<String>,
    /// The next change of who is on call after `at` (within a year).
    pub next_handoff: Option<Handoff>,
    /// Shifts in `[from, to)`.
    pub shifts: Vec<Shift>,
    /// Times in `[from, to)` with nobody on call.
    pub gaps: Vec<Gap>,
    /// The window of `shifts`.
    pub from: DateTime<Utc>,
    /// The window's end.
    pub to: DateTime<Utc>,
    /// Display names of the people named above (id to name).
    pub names: BTreeMap<String, String>,
}

/// `GET /v1/admin/schedules/{id}?at=&from=&to=`: `klaxon roster who|shifts --relay`.
pub async fn admin_schedule(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    query: Result<Query<ScheduleQuery>, QueryRejection>,
) -> Result<Json<ScheduleAnswer>, ApiError> {
    authorize(&state, &headers)?;
    let Query(q) = query.map_err(|e| ApiError::invalid(format!("query: {}", e.body_text())))?;
    let roster = state.roster();
    let Some(schedule) = roster.schedule(&id) else {
        return Err(ApiError::NotFound(format!(
            "schedule: {id:?} is not a schedule in the roster"
        )));
    };
    let at = q.at.unwrap_or_else(|| state.clock.now());
    let from = q.from.unwrap_or(at);
    let to = q.to.unwrap_or(from + Duration::days(7));
    if to <= from || to - from > Duration::days(400) {
        return Err(ApiError::invalid(
            "to: must be after from, and at most 400 days later",
        ));
    }
    let on_call: Vec<String> = schedule.who(at).into_iter().map(str::to_string).collect();
    let next_handoff = schedule.next_handoff(at);
    let shifts = schedule.shifts(from, to);
    let names = on_call
        .iter()
        .chain(next_handoff.iter().flat_map(|h| &h.people))
        .chain(shifts.iter().map(|s| &s.person))
        .filter_map(|p| roster.person(p).map(|x| (p.clone(), x.name.clone())))
        .collect();
    Ok(Json(ScheduleAnswer {
        schedule: id.clone(),
        time_zone: schedule.time_zone().name().to_string(),
        at,
        on_call,
        next_handoff,
        gaps: schedule.gaps(from, to),
        shifts,
        from,
        to,
        names,
    }))
}

/// `?limit=N`.
#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    /// How many of the newest entries (default 200, at most 10000).
    pub limit: Option<usize>,
}

/// `GET /v1/admin/audit[?limit=N]`: the newest audit entries, oldest first.
pub async fn admin_audit(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    authorize(&state, &headers)?;
    let Query(q) = query.map_err(|e| ApiError::invalid(format!("query: {}", e.body_text())))?;
    let limit = q.limit.unwrap_or(200).clamp(1, 10_000);
    Ok(Json(state.store.audit_log(limit).await?))
}
