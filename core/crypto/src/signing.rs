//! Request signing: the canonical string a device signs with Ed25519 and the
//! relay verifies, so a request cannot be altered, replayed on another
//! path, or presented as another device's.

use super::{b64url, b64url_decode, CryptoError};
use ring::rand::{SecureRandom, SystemRandom};
use ring::{digest, signature};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// First line of every canonical request; bumping it invalidates old
/// signatures on purpose when the canonical form changes. `KLAXON-V2`
/// added the device id (`KLAXON-V1` signed no device: a signing key
/// enrolled twice made one device's requests valid as the other's); a
/// `KLAXON-V1` signature never verifies as a `KLAXON-V2` one, since the
/// first line differs.
pub const SIGNING_SCHEME: &str = "KLAXON-V2";

/// The exact text a device signs for one request:
/// `KLAXON-V2\n{device_id}\n{METHOD}\n{path_and_query}\n{timestamp}\n{nonce}\n{hex sha256(body)}`.
///
/// The device id is the one the relay gave at enrollment and the request
/// names in `x-klaxon-device`: a signature binds the request to it.
/// The method is upper-cased (HTTP stacks spell it upper-case anyway, and a
/// relay comparing against `Method::as_str()` must not fail on `post`); the
/// path and query are signed exactly as sent, and the body as raw bytes, so
/// the relay must hash the body it received before any parsing.
pub fn canonical_request(
    device_id: &str,
    method: &str,
    path_and_query: &str,
    timestamp: i64,
    nonce: &str,
    body: &[u8],
) -> String {
    format!(
        "{SIGNING_SCHEME}\n{device_id}\n{}\n{path_and_query}\n{timestamp}\n{nonce}\n{}",
        method.to_ascii_uppercase(),
        sha256_hex(body)
    )
}

/// Lower-case hex SHA-256 of `bytes` (the body hash in the canonical request).
pub fn sha256_hex(bytes: &[u8]) -> String {
    let hash = digest::digest(&digest::SHA256, bytes);
    let mut out = String::with_capacity(64);
    for byte in hash.as_ref() {
        // Writing to a String cannot fail.
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// Checks a request signature made by [`super::DeviceIdentity::sign_request`]
/// against the device's enrolled Ed25519 public key.
///
/// Fields containing a newline are rejected: they could shift text between
/// fields of the canonical string. Freshness of `timestamp` and uniqueness of
/// `nonce` are the caller's job (the relay keeps the replay window).
#[allow(clippy::too_many_arguments)]
pub fn verify_request(
    signing_public_key: &[u8; 32],
    device_id: &str,
    method: &str,
    path_and_query: &str,
    timestamp: i64,
    nonce: &str,
    body: &[u8],
    signature: &str,
) -> Result<(), CryptoError> {
    if [device_id, method, path_and_query, nonce]
        .iter()
        .any(|field| field.contains('\n'))
    {
        return Err(CryptoError::BadSignature);
    }
    let sig = b64url_decode(signature).ok_or(CryptoError::BadSignature)?;
    if sig.len() != 64 {
        return Err(CryptoError::BadSignature);
    }
    let message = canonical_request(device_id, method, path_and_query, timestamp, nonce, body);
    verify_raw(signing_public_key, message.as_bytes(), &sig)
}

/// Plain Ed25519 verification (also used by the RFC 8032 known-answer test).
pub(crate) fn verify_raw(
    public_key: &[u8; 32],
    message: &[u8],
    sig: &[u8],
) -> Result<(), CryptoError> {
    signature::UnparsedPublicKey::new(&signature::ED25519, public_key)
        .verify(message, sig)
        .map_err(|_| CryptoError::BadSignature)
}

/// A fresh single-use request nonce: 16 random bytes, base64url (22 chars).
///
/// Should the system RNG ever fail, falls back to the clock plus a process
/// counter: a nonce needs to be unique, not secret, and a signing device
/// must not panic.
pub fn new_nonce() -> String {
    let mut bytes = [0u8; 16];
    if SystemRandom::new().fill(&mut bytes).is_ok() {
        return b64url(&bytes);
    }
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or_default();
    bytes[..8].copy_from_slice(&nanos.to_be_bytes());
    bytes[8..12].copy_from_slice(&std::process::id().to_be_bytes());
    let count = COUNTER.fetch_add(1, Ordering::Relaxed) as u32;
    bytes[12..].copy_from_slice(&count.to_be_bytes());
    b64url(&bytes)
}
