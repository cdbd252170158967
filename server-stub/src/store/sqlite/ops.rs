//! The SQL of each store operation. Writes run on the writer thread inside
//! the batch transaction; the domain rules come from core through
//! [`crate::routing`], so this file only loads and saves.

use super::WriterState;
use crate::errors::StoreError;
use crate::routing::{self, Advanced};
use crate::store::{
    Changes, Device, DeviceAction, DeviceActionResult, Effects, Fired, IngestEvent, IngestOutcome,
    Invite, StoredAlert,
};
use chrono::{DateTime, Utc};
use klaxon_domain::alert::{Action, Actor, Command, Outcome, TriggerOutcome};
use klaxon_domain::wire::{AlertDetails, PushPlatform};
use klaxon_domain::{Alert, AlertStatus, Roster};
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};
use std::collections::HashSet;

const ALERT_COLUMNS: &str = "body, details, changed";

fn ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// A deadline in whole milliseconds, rounded up: a row claimed at its
/// `due_ms` must never be claimed before the engine's own deadline (a
/// claim a fraction of a millisecond early would find nothing to fire).
fn deadline_ms(at: DateTime<Utc>) -> i64 {
    let whole = at.timestamp_millis();
    if at.timestamp_subsec_nanos().is_multiple_of(1_000_000) {
        whole
    } else {
        whole + 1
    }
}

fn alert_from_row(row: &Row<'_>) -> rusqlite::Result<(String, String, i64)> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
}

fn decode((body, details, changed): (String, String, i64)) -> Result<StoredAlert, StoreError> {
    Ok(StoredAlert {
        alert: serde_json::from_str(&body)?,
        details: serde_json::from_str(&details)?,
        changed: u64::try_from(changed).map_err(|_| StoreError::Corrupt("alerts.changed"))?,
    })
}

/// One alert by id.
pub(super) fn load_alert(conn: &Connection, id: &str) -> Result<Option<StoredAlert>, StoreError> {
    conn.prepare_cached(&format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE id = ?1"))?
        .query_row([id], alert_from_row)
        .optional()?
        .map(decode)
        .transpose()
}

fn load_open(
    conn: &Connection,
    service: &str,
    dedup_key: &str,
) -> Result<Option<StoredAlert>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {ALERT_COLUMNS} FROM alerts WHERE service = ?1 AND dedup_key = ?2 AND open = 1"
    ))?
    .query_row([service, dedup_key], alert_from_row)
    .optional()?
    .map(decode)
    .transpose()
}

/// Writes an alert and its deadline row; returns its new change cursor.
fn save(
    conn: &Connection,
    state: &mut WriterState,
    alert: &Alert,
    details: &AlertDetails,
    deadline: Option<DateTime<Utc>>,
) -> Result<u64, StoreError> {
    let changed = state.next_change();
    let body = serde_json::to_string(alert)?;
    let details = serde_json::to_string(details)?;
    conn.prepare_cached(
        "INSERT INTO alerts (id, service, dedup_key, status, open, created_ms, changed, body, details)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, open = excluded.open,
             changed = excluded.changed, body = excluded.body, details = excluded.details",
    )?
    .execute(params![
        alert.id,
        alert.service,
        alert.dedup_key,
        alert.status.as_str(),
        alert.status.is_open(),
        ms(alert.created_at),
        i64::try_from(changed).unwrap_or(i64::MAX),
        body,
        details,
    ])?;
    match deadline {
        Some(due) => {
            conn.prepare_cached(
                "INSERT INTO deadlines (alert_id, due_ms) VALUES (?1, ?2)
                 ON CONFLICT (alert_id) DO UPDATE SET due_ms = excluded.due_ms",
            )?
            .execute(params![alert.id, deadline_ms(due)])?;
        }
        None => {
            conn.prepare_cached("DELETE FROM deadlines WHERE alert_id = ?1")?
                .execute([&alert.id])?;
        }
    }
    Ok(changed)
}

/// A fresh alert id: 16 hex digits of OS randomness (collisions need
/// billions of alerts).
fn new_alert_id() -> String {
    let (hi, _) = uuid::Uuid::new_v4().as_u64_pair();
    format!("{hi:016x}")
}

/// Persists `advanced` if it differs from `before`, recording its effects.
#[allow(clippy::too_many_arguments)]
fn persist(
    conn: &Connection,
    state: &mut WriterState,
    before: Option<&Alert>,
    advanced: Advanced,
    details: &AlertDetails,
    roster: &Roster,
    now: DateTime<Utc>,
    effects: &mut Effects,
) -> Result<(), StoreError> {
    if before == Some(&advanced.alert) {
        return Ok(());
    }
    let changed = save(conn, state, &advanced.alert, details, advanced.deadline)?;
    if let Some(due) = advanced.deadline {
        let due = deadline_ms(due);
        effects.earliest_deadline_ms =
            Some(effects.earliest_deadline_ms.map_or(due, |e| e.min(due)));
    }
    effects.cursor = effects.cursor.max(changed);
    effects
        .changed_services
        .insert(advanced.alert.service.clone());
    if let Some(before) = before {
        if let Some(secs) = routing::ack_seconds(before.status, &advanced.alert, now) {
            effects.ack_seconds.push(secs);
        }
    }
    if state.push_enabled() {
        if let Some(before) = before {
            if queue_status_pushes(conn, before, &advanced, details, roster, now)? {
                effects.pushes_queued = true;
            }
        }
    }
    if !advanced.pages.is_empty() {
        let fired = Fired {
            alert: advanced.alert,
            details: details.clone(),
            pages: advanced.pages,
        };
        if state.push_enabled() && queue_pushes(conn, &fired, roster, now)? {
            effects.pushes_queued = true;
        }
        effects.fired.push(fired);
    }
    Ok(())
}

/// Queues the fired steps' pages for every push-registered device of the
/// people paged, in the same transaction; true when any row was added.
fn queue_pushes(
    conn: &Connection,
    fired: &Fired,
    roster: &Roster,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let mut queued = false;
    let mut devices = conn.prepare_cached(
        "SELECT id FROM devices WHERE person = ?1 AND push_token IS NOT NULL
         AND push_platform IN ('apns', 'fcm')",
    )?;
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO push_outbox (alert_id, step_seq, revision, device_id, page, next_ms)
         VALUES (?1, ?2, 0, ?3, ?4, ?5)",
    )?;
    let mut paged = conn
        .prepare_cached("INSERT OR IGNORE INTO push_paged (alert_id, device_id) VALUES (?1, ?2)")?;
    for step in &fired.pages {
        let page = crate::delivery::page_for(fired, step.step_seq, roster);
        let json = serde_json::to_string(&page)?;
        for person in &step.people {
            let ids: Vec<String> = devices
                .query_map([person], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            for id in ids {
                queued |=
                    insert.execute(params![fired.alert.id, step.step_seq, id, json, ms(now)])? > 0;
                paged.execute(params![fired.alert.id, id])?;
            }
        }
    }
    Ok(queued)
}

/// Queues status-update pushes when a write moved an alert on: it left
/// `triggered` or changed state (acknowledged, snoozed, resolved) → every
/// device that was pushed a page of it; a later step fired (escalated by a
/// timer or by someone) → those devices whose person that step does not
/// page. Each gets the alert as it now stands, marked `status_update`, once
/// per (alert, revision, device); their page pushes still waiting are
/// dropped (the update supersedes them). True when any row was added.
fn queue_status_pushes(
    conn: &Connection,
    before: &Alert,
    advanced: &Advanced,
    details: &AlertDetails,
    roster: &Roster,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let alert = &advanced.alert;
    let moved_on = alert.status != before.status && alert.status != AlertStatus::Triggered;
    let paged_now: HashSet<&str> = advanced
        .pages
        .iter()
        .flat_map(|step| step.people.iter().map(String::as_str))
        .collect();
    // A step that paged nobody (every target schedule in a gap) leaves the
    // earlier rings ringing: someone must still be paged.
    let escalated = alert.status == AlertStatus::Triggered && !paged_now.is_empty();
    if !moved_on && !escalated {
        return Ok(false);
    }
    let devices: Vec<(String, String)> = conn
        .prepare_cached(
            "SELECT d.id, d.person FROM push_paged p JOIN devices d ON d.id = p.device_id
             WHERE p.alert_id = ?1 AND d.push_token IS NOT NULL
             AND d.push_platform IN ('apns', 'fcm') ORDER BY d.id",
        )?
        .query_map([&alert.id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let page = crate::delivery::status_page_for(alert, details, roster);
    let json = serde_json::to_string(&page)?;
    let mut drop_pages = conn.prepare_cached(
        "DELETE FROM push_outbox WHERE alert_id = ?1 AND device_id = ?2 AND revision = 0",
    )?;
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO push_outbox (alert_id, step_seq, revision, device_id, page, next_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut queued = false;
    for (device, person) in devices {
        if !moved_on && paged_now.contains(person.as_str()) {
            // Paged again by the new step: its page push rings it.
            continue;
        }
        drop_pages.execute(params![alert.id, device])?;
        queued |= insert.execute(params![
            alert.id,
            page.step_seq,
            page.revision,
            device,
            json,
            ms(now)
        ])? > 0;
    }
    if alert.status == AlertStatus::Resolved {
        // Final: nothing more will be pushed for it.
        conn.prepare_cached("DELETE FROM push_paged WHERE alert_id = ?1")?
            .execute([&alert.id])?;
    }
    Ok(queued)
}

/// Queued pushes due at `now`.
pub(super) fn due_pushes(
    conn: &Connection,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<crate::store::PendingPush>, StoreError> {
    type Row = (String, i64, i64, String, String, i64);
    let rows: Vec<Row> = conn
        .prepare_cached(
            "SELECT alert_id, step_seq, revision, device_id, page, attempts FROM push_outbox
             WHERE next_ms <= ?1 ORDER BY next_ms LIMIT ?2",
        )?
        .query_map(
            params![ms(now), i64::try_from(limit).unwrap_or(i64::MAX)],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            },
        )?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::with_capacity(rows.len());
    for (alert, step_seq, revision, device_id, page, attempts) in rows {
        let Some(device) = device(conn, &device_id)? else {
            continue;
        };
        out.push(crate::store::PendingPush {
            key: crate::store::PushKey {
                alert,
                step_seq: u32::try_from(step_seq)
                    .map_err(|_| StoreError::Corrupt("push_outbox.step_seq"))?,
                revision: u32::try_from(revision)
                    .map_err(|_| StoreError::Corrupt("push_outbox.revision"))?,
                device: device_id,
            },
            device,
            page: serde_json::from_str(&page)?,
            attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        });
    }
    Ok(out)
}

/// Records a push attempt's result.
pub(super) fn settle_push(
    conn: &Connection,
    key: &crate::store::PushKey,
    settlement: &crate::store::PushSettlement,
    attempts: u32,
) -> Result<(), StoreError> {
    use crate::store::PushSettlement;
    match settlement {
        PushSettlement::Done => {
            conn.prepare_cached(
                "DELETE FROM push_outbox
                 WHERE alert_id = ?1 AND step_seq = ?2 AND revision = ?3 AND device_id = ?4",
            )?
            .execute(params![key.alert, key.step_seq, key.revision, key.device])?;
        }
        PushSettlement::RetryAt(at) => {
            conn.prepare_cached(
                "UPDATE push_outbox SET attempts = ?5, next_ms = ?6
                 WHERE alert_id = ?1 AND step_seq = ?2 AND revision = ?3 AND device_id = ?4",
            )?
            .execute(params![
                key.alert,
                key.step_seq,
                key.revision,
                key.device,
                attempts,
                ms(*at)
            ])?;
        }
        PushSettlement::Unregistered { token } => {
            // Only the token the provider called dead: a phone that
            // registered a new one meanwhile (reinstall, rotation) keeps it.
            let cleared = conn.execute(
                "UPDATE devices SET push_platform = NULL, push_token = NULL
                 WHERE id = ?1 AND push_token IS ?2",
                params![key.device, token],
            )?;
            if cleared > 0 {
                conn.execute(
                    "DELETE FROM push_outbox WHERE device_id = ?1",
                    [&key.device],
                )?;
            } else {
                conn.prepare_cached(
                    "UPDATE push_outbox SET attempts = ?5, next_ms = 0
                     WHERE alert_id = ?1 AND step_seq = ?2 AND revision = ?3 AND device_id = ?4",
                )?
                .execute(params![
                    key.alert,
                    key.step_seq,
                    key.revision,
                    key.device,
                    attempts
                ])?;
            }
        }
    }
    Ok(())
}

/// Ingests events in order (see [`crate::store::RelayStore::ingest`]).
pub(super) fn ingest(
    conn: &Connection,
    state: &mut WriterState,
    events: Vec<IngestEvent>,
    roster: &Roster,
    now: DateTime<Utc>,
) -> Result<(Vec<IngestOutcome>, Effects), StoreError> {
    let mut effects = Effects::default();
    let mut outcomes = Vec::with_capacity(events.len());
    for event in events {
        let outcome = match event {
            IngestEvent::Trigger { trigger, details } => {
                let open = load_open(conn, &trigger.service, &trigger.dedup_key)?;
                let before = open.as_ref().map(|o| o.alert.clone());
                let (alert, outcome) =
                    Alert::trigger(before.clone(), &new_alert_id(), trigger, now);
                let advanced = routing::advance(alert, roster, now);
                persist(
                    conn,
                    state,
                    before.as_ref(),
                    advanced,
                    &details,
                    roster,
                    now,
                    &mut effects,
                )?;
                match outcome {
                    TriggerOutcome::Opened => IngestOutcome::Opened,
                    TriggerOutcome::Deduplicated => IngestOutcome::Deduplicated,
                }
            }
            IngestEvent::Acknowledge {
                service,
                dedup_key,
                actor,
            } => apply_integration(
                conn,
                state,
                &service,
                &dedup_key,
                Action::Acknowledge,
                actor,
                roster,
                now,
                &mut effects,
            )?,
            IngestEvent::Resolve {
                service,
                dedup_key,
                actor,
            } => apply_integration(
                conn,
                state,
                &service,
                &dedup_key,
                Action::Resolve,
                actor,
                roster,
                now,
                &mut effects,
            )?,
        };
        outcomes.push(outcome);
    }
    Ok((outcomes, effects))
}

#[allow(clippy::too_many_arguments)]
fn apply_integration(
    conn: &Connection,
    state: &mut WriterState,
    service: &str,
    dedup_key: &str,
    action: Action,
    actor: Actor,
    roster: &Roster,
    now: DateTime<Utc>,
    effects: &mut Effects,
) -> Result<IngestOutcome, StoreError> {
    let Some(open) = load_open(conn, service, dedup_key)? else {
        return Ok(IngestOutcome::Ignored);
    };
    let cmd = Command {
        action,
        actor,
        key: None,
        seen: None,
    };
    let before = open.alert.clone();
    let (advanced, outcome) = routing::apply(open.alert, &cmd, roster, now);
    persist(
        conn,
        state,
        Some(&before),
        advanced,
        &open.details,
        roster,
        now,
        effects,
    )?;
    Ok(match outcome {
        Outcome::Applied => IngestOutcome::Applied,
        _ => IngestOutcome::AlreadyInState,
    })
}

/// Applies device actions (see [`crate::store::RelayStore::apply_actions`]).
pub(super) fn apply_actions(
    conn: &Connection,
    state: &mut WriterState,
    actions: Vec<DeviceAction>,
    services: &HashSet<String>,
    roster: &Roster,
    now: DateTime<Utc>,
) -> Result<(Vec<DeviceActionResult>, Effects), StoreError> {
    let mut effects = Effects::default();
    let mut results = Vec::with_capacity(actions.len());
    for action in actions {
        let stored = match load_alert(conn, &action.alert)? {
            Some(s) if services.contains(&s.alert.service) => s,
            _ => {
                results.push(DeviceActionResult::UnknownAlert);
                continue;
            }
        };
        let before = stored.alert.clone();
        let (advanced, outcome) = routing::apply(stored.alert, &action.command, roster, now);
        persist(
            conn,
            state,
            Some(&before),
            advanced,
            &stored.details,
            roster,
            now,
            &mut effects,
        )?;
        results.push(DeviceActionResult::Done(outcome));
    }
    Ok((results, effects))
}

/// Claims and runs due deadlines (see [`crate::store::RelayStore::fire_due`]).
pub(super) fn fire_due(
    conn: &Connection,
    state: &mut WriterState,
    roster: &Roster,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<Effects, StoreError> {
    let due: Vec<(String, i64)> = conn
        .prepare_cached(
            "SELECT alert_id, due_ms FROM deadlines WHERE due_ms <= ?1 ORDER BY due_ms LIMIT ?2",
        )?
        .query_map(
            params![ms(now), i64::try_from(limit).unwrap_or(i64::MAX)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?
        .collect::<Result<_, _>>()?;
    let mut effects = Effects::default();
    for (id, due_ms) in due {
        let Some(stored) = load_alert(conn, &id)? else {
            conn.execute("DELETE FROM deadlines WHERE alert_id = ?1", [&id])?;
            continue;
        };
        let before = stored.alert.clone();
        let advanced = routing::advance(stored.alert, roster, now);
        let lag = (ms(now) - due_ms).max(0) as f64 / 1000.0;
        if !advanced.pages.is_empty() {
            effects.lag_seconds.push(lag);
        }
        let deadline = advanced.deadline;
        if before == advanced.alert {
            // Nothing moved (an early wake-up, or a stale row): keep the
            // row consistent with what the engine says is next.
            match deadline {
                Some(d) if d > now => {
                    conn.execute(
                        "UPDATE deadlines SET due_ms = ?2 WHERE alert_id = ?1",
                        params![id, deadline_ms(d)],
                    )?;
                }
                Some(_) => {
                    // The engine says "due now" but nothing fired: push it a
                    // second out so a bad row cannot spin the timer.
                    conn.execute(
                        "UPDATE deadlines SET due_ms = ?2 WHERE alert_id = ?1",
                        params![id, ms(now) + 1000],
                    )?;
                }
                None => {
                    conn.execute("DELETE FROM deadlines WHERE alert_id = ?1", [&id])?;
                }
            }
            continue;
        }
        persist(
            conn,
            state,
            Some(&before),
            advanced,
            &stored.details,
            roster,
            now,
            &mut effects,
        )?;
    }
    Ok(effects)
}

/// Stores an invite.
pub(super) fn create_invite(conn: &Connection, invite: &Invite) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO invites (code, person, expires_ms) VALUES (?1, ?2, ?3)",
        params![invite.code, invite.person, ms(invite.expires_at)],
    )?;
    Ok(())
}

/// Uses up an invite and enrolls the device.
pub(super) fn enroll(
    conn: &Connection,
    code: &str,
    mut device: Device,
    now: DateTime<Utc>,
) -> Result<Option<Device>, StoreError> {
    let person: Option<String> = conn
        .query_row(
            "UPDATE invites SET used_ms = ?2 WHERE code = ?1 AND used_ms IS NULL AND expires_ms > ?2
             RETURNING person",
            params![code, ms(now)],
            |r| r.get(0),
        )
        .optional()?;
    let Some(person) = person else {
        return Ok(None);
    };
    device.person = person;
    conn.execute(
        "INSERT INTO devices (id, person, name, signing_key, sealing_key, enrolled_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            device.id,
            device.person,
            device.name,
            device.signing_key.as_slice(),
            device.sealing_key.as_slice(),
            ms(now)
        ],
    )?;
    Ok(Some(device))
}

const DEVICE_COLUMNS: &str =
    "id, person, name, signing_key, sealing_key, push_platform, push_token";

fn device_from_row(row: &Row<'_>) -> rusqlite::Result<Device> {
    let key = |i: usize| -> rusqlite::Result<[u8; 32]> {
        let v: Vec<u8> = row.get(i)?;
        <[u8; 32]>::try_from(v.as_slice()).map_err(|_| {
            rusqlite::Error::FromSqlConversionFailure(
                i,
                rusqlite::types::Type::Blob,
                "a device key is not 32 bytes".into(),
            )
        })
    };
    let platform: Option<String> = row.get(5)?;
    Ok(Device {
        id: row.get(0)?,
        person: row.get(1)?,
        name: row.get(2)?,
        signing_key: key(3)?,
        sealing_key: key(4)?,
        push_platform: platform.and_then(|p| match p.as_str() {
            "apns" => Some(PushPlatform::Apns),
            "fcm" => Some(PushPlatform::Fcm),
            "none" => Some(PushPlatform::None),
            _ => None,
        }),
        push_token: row.get(6)?,
    })
}

/// One device.
pub(super) fn device(conn: &Connection, id: &str) -> Result<Option<Device>, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {DEVICE_COLUMNS} FROM devices WHERE id = ?1"
        ))?
        .query_row([id], device_from_row)
        .optional()?)
}

/// Sets or clears a push registration.
pub(super) fn set_push_token(
    conn: &Connection,
    device: &str,
    push: Option<(PushPlatform, String)>,
) -> Result<(), StoreError> {
    let (platform, token) = match push {
        Some((platform, token)) => {
            let name = match platform {
                PushPlatform::Apns => "apns",
                PushPlatform::Fcm => "fcm",
                PushPlatform::None => "none",
            };
            (Some(name), Some(token))
        }
        None => (None, None),
    };
    conn.execute(
        "UPDATE devices SET push_platform = ?2, push_token = ?3 WHERE id = ?1",
        params![device, platform, token],
    )?;
    Ok(())
}

/// Every device of these people.
pub(super) fn devices_of(conn: &Connection, people: &[String]) -> Result<Vec<Device>, StoreError> {
    let mut out = Vec::new();
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {DEVICE_COLUMNS} FROM devices WHERE person = ?1"
    ))?;
    for person in people {
        for d in stmt.query_map([person], device_from_row)? {
            out.push(d?);
        }
    }
    Ok(out)
}

/// Changed alerts of `services` after `cursor`.
pub(super) fn changes_since(
    conn: &Connection,
    cursor: u64,
    services: &HashSet<String>,
    limit: usize,
) -> Result<Changes, StoreError> {
    if services.is_empty() {
        return Ok(Changes {
            alerts: Vec::new(),
            cursor,
            more: false,
        });
    }
    // Read the newest cursor first and stay at or below it: the writer
    // commits cursors in increasing order, so what is visible is always a
    // prefix, and a change committed meanwhile is left for the next sync.
    let newest: i64 = conn.query_row("SELECT COALESCE(MAX(changed), 0) FROM alerts", [], |r| {
        r.get(0)
    })?;
    let marks = vec!["?"; services.len()].join(", ");
    let sql = format!(
        "SELECT {ALERT_COLUMNS} FROM alerts WHERE changed > ? AND changed <= ? AND service IN ({marks})
         ORDER BY changed LIMIT ?"
    );
    let mut values: Vec<rusqlite::types::Value> = vec![
        i64::try_from(cursor).unwrap_or(i64::MAX).into(),
        newest.into(),
    ];
    values.extend(services.iter().map(|s| s.clone().into()));
    values.push(i64::try_from(limit).unwrap_or(i64::MAX).into());
    let rows: Vec<(String, String, i64)> = conn
        .prepare(&sql)?
        .query_map(params_from_iter(values), alert_from_row)?
        .collect::<Result<_, _>>()?;
    let more = rows.len() >= limit;
    let alerts: Vec<StoredAlert> = rows.into_iter().map(decode).collect::<Result<_, _>>()?;
    let next = if more {
        alerts.last().map_or(cursor, |a| a.changed)
    } else {
        u64::try_from(newest).unwrap_or(cursor).max(cursor)
    };
    Ok(Changes {
        alerts,
        cursor: next,
        more,
    })
}

/// All alerts, oldest first, optionally of one status.
pub(super) fn alerts(
    conn: &Connection,
    status: Option<AlertStatus>,
) -> Result<Vec<StoredAlert>, StoreError> {
    let rows: Vec<(String, String, i64)> = conn
        .prepare_cached(&format!(
            "SELECT {ALERT_COLUMNS} FROM alerts WHERE ?1 IS NULL OR status = ?1
             ORDER BY created_ms, rowid"
        ))?
        .query_map([status.map(AlertStatus::as_str)], alert_from_row)?
        .collect::<Result<_, _>>()?;
    rows.into_iter().map(decode).collect()
}
