//! The SQL of the store's other operations: alert reads and listings,
//! sync pages, invites and enrollment, devices and their push tokens, and
//! the push outbox. The write path's SQL is in `tx.rs`.

use crate::errors::StoreError;
use crate::maintenance::MaintenanceWindow;
use crate::store::{Changes, Device, Invite, PendingPush, PushKey, PushSettlement, StoredAlert};
use chrono::{DateTime, Utc};
use klaxon_domain::wire::PushPlatform;
use klaxon_domain::AlertStatus;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Params, Row};
use std::collections::HashSet;

/// The columns an alert is decoded from, in [`alert_from_row`]'s order.
const ALERT_COLUMNS: &str = "body, details, changed";

/// An instant as the Unix ms the tables store.
fn ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// The raw [`ALERT_COLUMNS`] of a row; decoded after the statement ends.
fn alert_from_row(row: &Row<'_>) -> rusqlite::Result<(String, String, i64)> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
}

/// An alert row's JSON decoded.
fn decode((body, details, changed): (String, String, i64)) -> Result<StoredAlert, StoreError> {
    Ok(StoredAlert {
        alert: serde_json::from_str(&body)?,
        details: serde_json::from_str(&details)?,
        changed: u64::try_from(changed).map_err(|_| StoreError::Corrupt("alerts.changed"))?,
    })
}

/// The alert matching `condition` (a SQL condition on `alerts` over
/// `params`), at most one by the schema's unique keys.
pub(super) fn query_alert(
    conn: &Connection,
    condition: &str,
    params: impl Params,
) -> Result<Option<StoredAlert>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {ALERT_COLUMNS} FROM alerts WHERE {condition}"
    ))?
    .query_row(params, alert_from_row)
    .optional()?
    .map(decode)
    .transpose()
}

/// One alert by id.
pub(super) fn load_alert(conn: &Connection, id: &str) -> Result<Option<StoredAlert>, StoreError> {
    query_alert(conn, "id = ?1", [id])
}

/// Queued pushes due at `now`.
pub(super) fn due_pushes(
    conn: &Connection,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<PendingPush>, StoreError> {
    type Row = (String, i64, i64, String, String, i64);
    let rows: Vec<Row> = conn
        .prepare_cached(
            "SELECT alert_id, step_seq, revision, device_id, page, attempts FROM push_outbox
             WHERE next_ms <= ?1 ORDER BY next_ms LIMIT ?2",
        )?
        .query_map(
            params![ms(now), i64::try_from(limit).unwrap_or(i64::MAX)],
            |r| r.try_into(),
        )?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::with_capacity(rows.len());
    for (alert, step_seq, revision, device_id, page, attempts) in rows {
        let Some(device) = device(conn, &device_id)? else {
            continue;
        };
        out.push(PendingPush {
            key: PushKey {
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
    key: &PushKey,
    settlement: &PushSettlement,
    attempts: u32,
) -> Result<(), StoreError> {
    match settlement {
        PushSettlement::Done => {
            conn.prepare_cached(
                "DELETE FROM push_outbox
                 WHERE alert_id = ?1 AND step_seq = ?2 AND revision = ?3 AND device_id = ?4",
            )?
            .execute(params![key.alert, key.step_seq, key.revision, key.device])?;
        }
        PushSettlement::RetryAt(at) => reschedule_push(conn, key, attempts, ms(*at))?,
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
                // Due at once (0), to the token the device has now.
                reschedule_push(conn, key, attempts, 0)?;
            }
        }
    }
    Ok(())
}

/// Sets a queued push's attempt count and when it is next due.
fn reschedule_push(
    conn: &Connection,
    key: &PushKey,
    attempts: u32,
    next_ms: i64,
) -> Result<(), StoreError> {
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
        next_ms
    ])?;
    Ok(())
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

/// The columns a device is read from, in [`device_from_row`]'s order.
const DEVICE_COLUMNS: &str =
    "id, person, name, signing_key, sealing_key, push_platform, push_token";

/// A device from its [`DEVICE_COLUMNS`]; a key that is not 32 bytes is an error.
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

/// Creates a row per heartbeat not seen before, due at its instant; with
/// `reset`, also re-arms every row that is not overdue.
pub(super) fn arm_heartbeats(
    conn: &Connection,
    due: &[(String, DateTime<Utc>)],
    reset: bool,
) -> Result<(), StoreError> {
    let sql = if reset {
        "INSERT INTO heartbeats (id, due_ms) VALUES (?1, ?2)
         ON CONFLICT (id) DO UPDATE SET due_ms = excluded.due_ms WHERE overdue = 0"
    } else {
        "INSERT OR IGNORE INTO heartbeats (id, due_ms) VALUES (?1, ?2)"
    };
    let mut arm = conn.prepare_cached(sql)?;
    for (id, at) in due {
        arm.execute(params![id, ms(*at)])?;
    }
    Ok(())
}

/// The raw columns of a maintenance row.
type WindowRow = (String, String, i64, i64, Option<String>, String, bool);

/// A maintenance row decoded.
fn window_of(
    (id, service, start, end, reason, created_by, ended_early): WindowRow,
) -> Result<MaintenanceWindow, StoreError> {
    Ok(MaintenanceWindow {
        id,
        service,
        start: DateTime::from_timestamp_millis(start)
            .ok_or(StoreError::Corrupt("maintenance.start_ms"))?,
        end: DateTime::from_timestamp_millis(end)
            .ok_or(StoreError::Corrupt("maintenance.end_ms"))?,
        reason,
        created_by,
        ended_early,
    })
}

/// The maintenance windows ending after `after`, newest start first.
pub(super) fn maintenance_windows(
    conn: &Connection,
    after: DateTime<Utc>,
) -> Result<Vec<MaintenanceWindow>, StoreError> {
    let rows: Vec<WindowRow> = conn
        .prepare_cached(
            "SELECT id, service, start_ms, end_ms, reason, created_by, ended_early
             FROM maintenance WHERE end_ms > ?1 ORDER BY start_ms DESC, id",
        )?
        .query_map([ms(after)], |r| r.try_into())?
        .collect::<Result<_, _>>()?;
    rows.into_iter().map(window_of).collect()
}

/// Stores a new maintenance window.
pub(super) fn start_maintenance(
    conn: &Connection,
    w: &MaintenanceWindow,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO maintenance (id, service, start_ms, end_ms, reason, created_by, ended_early)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        w.id,
        w.service,
        ms(w.start),
        ms(w.end),
        w.reason,
        w.created_by,
        w.ended_early
    ])?;
    Ok(())
}

/// Ends a window at `now` (if still in force) and makes its service's
/// triggered alerts due now; the window as it stands after, and whether
/// this call ended it.
pub(super) fn end_maintenance(
    conn: &Connection,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(Option<MaintenanceWindow>, bool), StoreError> {
    let ended = conn
        .prepare_cached(
            "UPDATE maintenance SET end_ms = ?2, ended_early = 1 WHERE id = ?1 AND end_ms > ?2",
        )?
        .execute(params![id, ms(now)])?
        > 0;
    let row: Option<WindowRow> = conn
        .prepare_cached(
            "SELECT id, service, start_ms, end_ms, reason, created_by, ended_early
             FROM maintenance WHERE id = ?1",
        )?
        .query_row([id], |r| r.try_into())
        .optional()?;
    let Some(window) = row.map(window_of).transpose()? else {
        return Ok((None, false));
    };
    if ended {
        conn.prepare_cached(
            "UPDATE deadlines SET due_ms = MIN(due_ms, ?2) WHERE alert_id IN
             (SELECT id FROM alerts WHERE service = ?1 AND open = 1 AND status = 'triggered')",
        )?
        .execute(params![window.service, ms(now)])?;
    }
    Ok((Some(window), ended))
}
