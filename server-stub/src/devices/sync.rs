//! `GET /v1/sync?cursor=C[&roster=1]`: the alerts of the device's teams that
//! changed since the cursor (everything on a first sync), each with its
//! timeline and next escalation, the teams' roster for the next 30 days,
//! and the version of the relay's roster (a device that holds another asks
//! for the roster again).

use super::AuthenticatedDevice;
use crate::errors::ApiError;
use crate::rota::Live;
use crate::routing;
use crate::store::StoredAlert;
use crate::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::{Extension, Json};
use chrono::{DateTime, Duration, Utc};
use klaxon_domain::escalation;
use klaxon_domain::wire::{
    AlertView, PersonView, RosterView, ScheduleView, ServiceView, ShiftView, SyncResponse,
};
use klaxon_domain::{AlertStatus, Roster};
use serde::Deserialize;
use std::collections::HashSet;
use std::sync::Arc;

/// Most alerts in one sync answer; `more` says when to ask again.
const PAGE_SIZE: usize = 200;
/// How far ahead the roster's shifts go.
const ROSTER_DAYS: i64 = 30;

/// The query string.
#[derive(Debug, Deserialize)]
pub struct SyncQuery {
    /// The cursor from the previous sync.
    pub cursor: Option<u64>,
    /// Ask for the roster even with a cursor (`1` or `true`).
    pub roster: Option<String>,
}

/// An alert as the device sees it.
pub fn alert_view(stored: &StoredAlert, roster: &Roster, now: DateTime<Utc>) -> AlertView {
    let a = &stored.alert;
    let service = roster.service(&a.service);
    let upcoming = match (a.status, routing::policy_for(roster, &a.service)) {
        (AlertStatus::Triggered, Some(policy)) => {
            escalation::upcoming(policy, &a.escalation, roster, now)
        }
        _ => None,
    };
    AlertView {
        id: a.id.clone(),
        service: a.service.clone(),
        service_name: service.map_or_else(|| a.service.clone(), |s| s.name.clone()),
        dedup_key: a.dedup_key.clone(),
        summary: a.summary.clone(),
        priority: a.priority,
        status: a.status,
        created_at: a.created_at,
        acknowledged_by: a.acknowledged_by.clone(),
        paged: a.paged(),
        revision: a.timeline.revision(),
        timeline: a.timeline.entries().to_vec(),
        upcoming,
        runbook: stored
            .details
            .runbook
            .clone()
            .or_else(|| service.and_then(|s| s.runbook.clone())),
        details: stored.details.clone(),
    }
}

/// The roster part a person may see.
pub fn roster_view(live: &Live, person: &str, now: DateTime<Utc>) -> RosterView {
    let roster = &live.roster;
    let services = live.teams.services_of(person);
    let schedules = live.teams.schedules_of(person);
    let to = now + Duration::days(ROSTER_DAYS);
    let mut people: HashSet<String> = HashSet::new();
    people.insert(person.to_string());
    let schedule_views: Vec<ScheduleView> = roster
        .schedules
        .iter()
        .filter(|s| schedules.contains(s.id()))
        .map(|s| {
            let shifts: Vec<ShiftView> = s
                .shifts(now, to)
                .into_iter()
                .map(|sh| ShiftView {
                    person: sh.person,
                    start: sh.start,
                    end: sh.end,
                })
                .collect();
            people.extend(shifts.iter().map(|sh| sh.person.clone()));
            ScheduleView {
                id: s.id().to_string(),
                name: s.name().map(str::to_string),
                time_zone: s.time_zone().name().to_string(),
                shifts,
            }
        })
        .collect();
    let service_views: Vec<ServiceView> = roster
        .services
        .iter()
        .filter(|s| services.contains(&s.id))
        .map(|s| {
            if let Some(p) = roster.policy(&s.policy) {
                for step in &p.steps {
                    for t in &step.targets {
                        if let escalation::Target::Person(id) = t {
                            people.insert(id.clone());
                        }
                    }
                }
            }
            ServiceView {
                id: s.id.clone(),
                name: s.name.clone(),
                policy: s.policy.clone(),
                runbook: s.runbook.clone(),
            }
        })
        .collect();
    RosterView {
        from: now,
        to,
        people: roster
            .people
            .iter()
            .filter(|p| people.contains(&p.id))
            .map(|p| PersonView {
                id: p.id.clone(),
                name: p.name.clone(),
            })
            .collect(),
        services: service_views,
        schedules: schedule_views,
    }
}

/// `GET /v1/sync`.
pub async fn sync(
    State(state): State<Arc<AppState>>,
    Extension(AuthenticatedDevice(device)): Extension<AuthenticatedDevice>,
    query: Result<Query<SyncQuery>, QueryRejection>,
) -> Result<Json<SyncResponse>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::invalid(format!("query: {}", e.body_text())))?;
    // One snapshot for the whole answer: the roster a reload or an
    // override swaps in is sent with its own version, never mixed.
    let live = state.live();
    let services = live.teams.services_of(&device.person);
    let changes = state
        .store
        .changes_since(q.cursor.unwrap_or(0), services, PAGE_SIZE)
        .await?;
    let now = state.clock.now();
    let want_roster =
        q.cursor.is_none() || matches!(q.roster.as_deref(), Some("1" | "true" | "yes"));
    Ok(Json(SyncResponse {
        cursor: changes.cursor,
        more: changes.more,
        person: device.person.clone(),
        alerts: changes
            .alerts
            .iter()
            .map(|a| alert_view(a, &live.roster, now))
            .collect(),
        roster: want_roster.then(|| roster_view(&live, &device.person, now)),
        roster_version: Some(live.roster.version.clone()),
    }))
}
