//! Used request nonces (table `nonces`): each device request's nonce is
//! recorded, in the same group commit as other writes, before the request
//! is acted on, and refused when seen again before it expires — across
//! restarts too. Expired rows are pruned as new ones arrive.

use crate::errors::StoreError;
use rusqlite::{params, Connection};

/// Records `nonce` of `device`, usable until `expires_s` (Unix seconds);
/// false when it is already recorded and not expired (a replay). Rows
/// expired at `now_s` are deleted first, so the table holds only the
/// nonces of the last few minutes.
pub(super) fn first_use(
    conn: &Connection,
    device: &str,
    nonce: &str,
    expires_s: i64,
    now_s: i64,
) -> Result<bool, StoreError> {
    conn.prepare_cached("DELETE FROM nonces WHERE expires_s < ?1")?
        .execute([now_s])?;
    let inserted = conn
        .prepare_cached(
            "INSERT INTO nonces (device, nonce, expires_s) VALUES (?1, ?2, ?3)
             ON CONFLICT (device, nonce) DO NOTHING",
        )?
        .execute(params![device, nonce, expires_s])?;
    Ok(inserted == 1)
}

/// The id of the device enrolled with this signing key, if any.
pub(super) fn device_with_signing_key(
    conn: &Connection,
    key: &[u8; 32],
) -> Result<Option<String>, StoreError> {
    use rusqlite::OptionalExtension as _;
    Ok(conn
        .prepare_cached("SELECT id FROM devices WHERE signing_key = ?1 LIMIT 1")?
        .query_row([key.as_slice()], |r| r.get(0))
        .optional()?)
}
