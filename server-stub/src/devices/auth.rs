//! Request signatures: every device request carries its device id, a Unix
//! timestamp, a single-use nonce and an Ed25519 signature over the device
//! id, method, path and query, timestamp, nonce and the body's hash (core's
//! `crypto::verify_request`, scheme `KLAXON-V2`; the relay accepts no
//! other). Timestamps more than 5 minutes off, reused
//! nonces and bad signatures are 401s.

use crate::errors::ApiError;
use crate::store::Device;
use crate::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use klaxon_crypto as crypto;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Accepted distance between the device's timestamp and the relay's clock.
pub const MAX_SKEW_SECONDS: i64 = 300;

/// Longest accepted nonce, in bytes. Core's `crypto::new_nonce` makes 22;
/// every nonce is remembered for the skew window, so an unbounded one
/// would let a device fill the relay's memory.
pub const MAX_NONCE: usize = 128;

/// The device a request was verified to come from (a request extension).
#[derive(Debug, Clone)]
pub struct AuthenticatedDevice(pub Device);

/// Nonces seen within the skew window, per device, in this process: the
/// fast path in front of the store's table of nonces, which outlives a
/// restart. A nonce only needs remembering while its timestamp would
/// still be accepted.
#[derive(Debug, Default)]
pub struct NonceCache {
    /// (device, nonce) → the request's timestamp (seconds).
    seen: Mutex<HashMap<(String, String), i64>>,
}

impl NonceCache {
    /// Records the nonce; false when it was already used (a replay).
    pub fn first_use(&self, device: &str, nonce: &str, timestamp: i64, now: i64) -> bool {
        let Ok(mut seen) = self.seen.lock() else {
            return false;
        };
        if seen.len() > 10_000 {
            seen.retain(|_, expires| *expires >= now);
        }
        let key = (device.to_string(), nonce.to_string());
        if seen.get(&key).is_some_and(|expires| *expires >= now) {
            return false;
        }
        seen.insert(key, timestamp.saturating_add(MAX_SKEW_SECONDS));
        true
    }
}

/// A required header as text, or a 401 naming it.
fn header<'a>(req: &'a axum::http::request::Parts, name: &str) -> Result<&'a str, ApiError> {
    let value = req
        .headers
        .get(name)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::Unauthorized(format!("{name}: missing header")))?;
    // to_str refuses anything but visible ASCII (and spaces, tabs).
    value.to_str().map_err(|_| {
        ApiError::Unauthorized(format!(
            "{name}: not valid; only visible ASCII characters are allowed"
        ))
    })
}

/// The middleware on every signed route.
pub async fn verify(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    // Everything the headers alone can refuse (missing ones, a stale
    // timestamp, an unknown device) is refused before a byte of the body
    // is read: an unauthenticated client gets no memory for its body.
    let (mut parts, body) = request.into_parts();
    let device_id = header(&parts, crypto::HEADER_DEVICE)?.to_string();
    let timestamp: i64 = header(&parts, crypto::HEADER_TIMESTAMP)?
        .parse()
        .map_err(|_| ApiError::Unauthorized("x-klaxon-timestamp: not Unix seconds".into()))?;
    let nonce = header(&parts, crypto::HEADER_NONCE)?.to_string();
    if nonce.len() > MAX_NONCE {
        return Err(ApiError::Unauthorized(format!(
            "{}: {} bytes, more than the {MAX_NONCE} allowed",
            crypto::HEADER_NONCE,
            nonce.len()
        )));
    }
    let signature = header(&parts, crypto::HEADER_SIGNATURE)?.to_string();
    let now = state.clock.now().timestamp();
    // abs_diff: the timestamp is the client's, any i64 (i64::MIN included).
    if now.abs_diff(timestamp) > MAX_SKEW_SECONDS.unsigned_abs() {
        return Err(ApiError::Unauthorized(format!(
            "x-klaxon-timestamp: {timestamp} is more than {MAX_SKEW_SECONDS} s from the relay's clock ({now})"
        )));
    }
    let Some(device) = state.store.device(device_id.clone()).await? else {
        return Err(ApiError::Unauthorized(
            "x-klaxon-device: no such device (enroll again)".into(),
        ));
    };
    let bytes = crate::body::read_all(body, "invalid request").await?;
    let path = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_string(), |p| p.as_str().to_string());
    crypto::verify_request(
        &device.signing_key,
        &device_id,
        parts.method.as_str(),
        &path,
        timestamp,
        &nonce,
        &bytes,
        &signature,
    )
    .map_err(|_| ApiError::Unauthorized("x-klaxon-signature: does not verify".into()))?;
    // The memory cache refuses a replay to this process at once; the
    // table, committed before the request is acted on, refuses one after a
    // restart too.
    let replayed = !state.nonces.first_use(&device_id, &nonce, timestamp, now)
        || !state
            .store
            .first_use_of_nonce(
                device_id.clone(),
                nonce.clone(),
                timestamp.saturating_add(MAX_SKEW_SECONDS),
                now,
            )
            .await?;
    if replayed {
        return Err(ApiError::Unauthorized(
            "x-klaxon-nonce: already used (a replayed request)".into(),
        ));
    }
    parts.extensions.insert(AuthenticatedDevice(device));
    Ok(next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await)
}
