//! The device's identity: an Ed25519 signing key (held by ring, stored as its
//! PKCS#8 document) and an X25519 static secret that sealed pages open with.

use super::seal::{open_with, x25519_public};
use super::signing::canonical_request;
use super::{b64url, CryptoError};
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{Ed25519KeyPair, KeyPair as _};
use std::fmt;
use x25519_dalek::StaticSecret;
use zeroize::Zeroizing;

/// Version byte of the [`DeviceIdentity::to_bytes`] format.
const IDENTITY_VERSION: u8 = 1;
/// Length of the X25519 static secret.
const X25519_SECRET_LEN: usize = 32;

/// A device's long-lived keys: Ed25519 to sign relay requests, X25519 to open
/// pages sealed to it. Generated on the device; only the two public keys ever
/// leave it (sent at enrollment).
///
/// Secrets are wiped from memory when the identity is dropped. `Debug` shows
/// only the public keys.
pub struct DeviceIdentity {
    /// ring's key pair, parsed from `signing_pkcs8`.
    signing: Ed25519KeyPair,
    /// The PKCS#8 v2 document: ring cannot export a key pair, so the document
    /// is kept for [`DeviceIdentity::to_bytes`].
    signing_pkcs8: Zeroizing<Vec<u8>>,
    /// The X25519 static secret (x25519-dalek, zeroized on drop): ring only
    /// offers ephemeral X25519 keys, see ADR 0002.
    sealing: StaticSecret,
    /// Cached public half of `sealing`.
    sealing_public: [u8; 32],
}

impl DeviceIdentity {
    /// Creates a new identity from the system's secure random generator.
    pub fn generate() -> Result<Self, CryptoError> {
        let rng = SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| CryptoError::Random)?;
        let pkcs8 = Zeroizing::new(pkcs8.as_ref().to_vec());
        let mut secret = Zeroizing::new([0u8; X25519_SECRET_LEN]);
        rng.fill(secret.as_mut()).map_err(|_| CryptoError::Random)?;
        Self::from_parts(pkcs8, &secret)
    }

    /// Restores an identity saved with [`DeviceIdentity::to_bytes`].
    ///
    /// Rejects unknown versions, truncated input, and a PKCS#8 document whose
    /// public key does not match its private key.
    pub fn from_bytes(secret: &[u8]) -> Result<Self, CryptoError> {
        let (&version, rest) = secret
            .split_first()
            .ok_or(CryptoError::InvalidIdentity("empty"))?;
        if version != IDENTITY_VERSION {
            return Err(CryptoError::InvalidIdentity("unknown version"));
        }
        if rest.len() < 2 {
            return Err(CryptoError::InvalidIdentity("truncated"));
        }
        let pkcs8_len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        let rest = &rest[2..];
        if rest.len() != pkcs8_len + X25519_SECRET_LEN {
            return Err(CryptoError::InvalidIdentity("wrong length"));
        }
        let (pkcs8, x25519) = rest.split_at(pkcs8_len);
        let mut sealing = Zeroizing::new([0u8; X25519_SECRET_LEN]);
        sealing.copy_from_slice(x25519);
        Self::from_parts(Zeroizing::new(pkcs8.to_vec()), &sealing)
    }

    /// Builds an identity from an Ed25519 PKCS#8 v2 document and an X25519
    /// secret.
    pub(crate) fn from_parts(
        signing_pkcs8: Zeroizing<Vec<u8>>,
        sealing_secret: &[u8; X25519_SECRET_LEN],
    ) -> Result<Self, CryptoError> {
        let signing = Ed25519KeyPair::from_pkcs8(&signing_pkcs8)
            .map_err(|_| CryptoError::InvalidIdentity("Ed25519 PKCS#8 rejected"))?;
        let sealing = StaticSecret::from(*sealing_secret);
        let sealing_public = x25519_public(&sealing);
        Ok(Self {
            signing,
            signing_pkcs8,
            sealing,
            sealing_public,
        })
    }

    /// Serializes both secrets for the device's keystore:
    /// `version(1)=1 || pkcs8_len(u16 BE) || Ed25519 PKCS#8 v2 || X25519 secret(32)`.
    ///
    /// The result is secret; store it in the platform keystore and wipe the
    /// buffer after use.
    pub fn to_bytes(&self) -> Vec<u8> {
        let pkcs8: &[u8] = &self.signing_pkcs8;
        let mut out = Vec::with_capacity(3 + pkcs8.len() + X25519_SECRET_LEN);
        out.push(IDENTITY_VERSION);
        // The document comes from ring's generate_pkcs8 (83 bytes) or from
        // from_bytes (a u16 length), so the cast never truncates.
        out.extend_from_slice(&(pkcs8.len() as u16).to_be_bytes());
        out.extend_from_slice(pkcs8);
        let secret = Zeroizing::new(self.sealing.to_bytes());
        out.extend_from_slice(secret.as_ref());
        out
    }

    /// The Ed25519 public key the relay verifies this device's requests with.
    pub fn signing_public_key(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(self.signing.public_key().as_ref());
        out
    }

    /// The X25519 public key the relay seals pages to.
    pub fn sealing_public_key(&self) -> [u8; 32] {
        self.sealing_public
    }

    /// Signs one request; the result goes in the `x-klaxon-signature` header
    /// (base64url, no padding). `device_id` is the id the relay gave this
    /// device at enrollment (sent as `x-klaxon-device`). See
    /// [`canonical_request`] for what is covered.
    pub fn sign_request(
        &self,
        device_id: &str,
        method: &str,
        path_and_query: &str,
        timestamp: i64,
        nonce: &str,
        body: &[u8],
    ) -> String {
        let message = canonical_request(device_id, method, path_and_query, timestamp, nonce, body);
        b64url(self.sign_raw(message.as_bytes()).as_ref())
    }

    /// Plain Ed25519 signature (also used by the RFC 8032 known-answer test).
    pub(crate) fn sign_raw(&self, message: &[u8]) -> ring::signature::Signature {
        self.signing.sign(message)
    }

    /// Opens a payload produced by [`super::seal`] for this device.
    pub fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        open_with(&self.sealing, &self.sealing_public, sealed)
    }
}

impl fmt::Debug for DeviceIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceIdentity")
            .field("signing_public_key", &b64url(&self.signing_public_key()))
            .field("sealing_public_key", &b64url(&self.sealing_public))
            .finish_non_exhaustive()
    }
}
