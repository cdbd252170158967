//! klaxon-crypto: device identity and wire crypto, all through ring: the Ed25519 key a device
//! signs every relay request with, and the sealed box (X25519 + HKDF-SHA256 +
//! ChaCha20-Poly1305) a page travels in so push providers see only ciphertext.
//!
//! The relay verifies with [`verify_request`] and seals with [`seal`]; the
//! phone (through the FFI crate) and the terminal pager hold a
//! [`DeviceIdentity`], sign with [`DeviceIdentity::sign_request`] and open
//! with [`DeviceIdentity::open`]. Formats are in `docs/push.md` and
//! `docs/adr/0002-sealed-push-payloads.md`.

#![warn(clippy::unwrap_used, clippy::expect_used)]

mod identity;
mod seal;
mod signing;

#[cfg(test)]
mod tests;

pub use identity::DeviceIdentity;
pub use seal::{seal, SEALED_OVERHEAD, SEAL_INFO, SEAL_VERSION};
pub use signing::{canonical_request, new_nonce, sha256_hex, verify_request, SIGNING_SCHEME};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// Request header carrying the device id the relay assigned at enrollment.
pub const HEADER_DEVICE: &str = "x-klaxon-device";
/// Request header carrying the signing instant, Unix seconds (decimal).
pub const HEADER_TIMESTAMP: &str = "x-klaxon-timestamp";
/// Request header carrying the single-use nonce ([`new_nonce`]).
pub const HEADER_NONCE: &str = "x-klaxon-nonce";
/// Request header carrying the Ed25519 signature, base64url without padding.
pub const HEADER_SIGNATURE: &str = "x-klaxon-signature";

/// Why a crypto operation failed. Messages never include key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The operating system's random number generator failed.
    #[error("the system random number generator failed")]
    Random,
    /// Bytes given to [`DeviceIdentity::from_bytes`] are not a stored identity.
    #[error("device identity bytes are not valid: {0}")]
    InvalidIdentity(&'static str),
    /// A public key is not usable (wrong length, or a low-order X25519 point).
    #[error("the {0} public key is not valid")]
    InvalidPublicKey(&'static str),
    /// The request signature is malformed or does not verify.
    #[error("the request signature does not verify")]
    BadSignature,
    /// A sealed payload is too short or otherwise not in the sealed format.
    #[error("sealed payload is malformed: {0}")]
    Malformed(&'static str),
    /// A sealed payload uses a format version this build does not know.
    #[error("sealed payload version {0} is not supported")]
    UnsupportedVersion(u8),
    /// A sealed payload failed authentication: a wrong key or tampered bytes.
    #[error("sealed payload did not open: wrong key or tampered bytes")]
    OpenFailed,
    /// Key derivation or encryption failed (an internal ring error).
    #[error("sealing failed")]
    SealFailed,
}

/// Base64url without padding: the form signatures and nonces travel in
/// headers (safe in a header value, no `=` to strip or forget).
pub(crate) fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Inverse of [`b64url`].
pub(crate) fn b64url_decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}
