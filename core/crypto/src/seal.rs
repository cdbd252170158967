//! Sealed payloads: a page encrypted to one device's X25519 key, so the push
//! providers (Apple, Google) relaying it see only ciphertext.
//!
//! Format: `version(1)=1 || ephemeral_pub(32) || ChaCha20-Poly1305(ciphertext || tag)`.
//! Key: HKDF-SHA256(salt = ephemeral_pub || recipient_pub, ikm = X25519 shared
//! secret, info = "klaxon-seal-v1"). The key encrypts exactly one message, so
//! the AEAD nonce is all zeros; the 33-byte header is the associated data.

use super::CryptoError;
use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::agreement::{self, EphemeralPrivateKey, UnparsedPublicKey};
use ring::hkdf;
use ring::rand::{SecureRandom, SystemRandom};
use x25519_dalek::{PublicKey, StaticSecret};

/// Version byte that starts every sealed payload.
pub const SEAL_VERSION: u8 = 1;
/// HKDF `info` string: binds derived keys to this scheme and version.
pub const SEAL_INFO: &[u8] = b"klaxon-seal-v1";
/// Bytes a sealed payload adds to its plaintext: version, ephemeral public
/// key and the 16-byte Poly1305 tag.
pub const SEALED_OVERHEAD: usize = HEADER_LEN + TAG_LEN;

/// Version byte + ephemeral public key.
const HEADER_LEN: usize = 1 + 32;
/// Poly1305 tag length.
const TAG_LEN: usize = 16;

/// Seals `plaintext` to a device's X25519 public key
/// ([`super::DeviceIdentity::sealing_public_key`]) with a fresh ephemeral key.
///
/// Fails with [`CryptoError::InvalidPublicKey`] for a low-order recipient key
/// (the shared secret would be all zeros).
pub fn seal(sealing_public_key: &[u8; 32], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    seal_with_rng(&SystemRandom::new(), sealing_public_key, plaintext)
}

/// [`seal`] with an injected RNG, so the RFC 7748 test can fix the ephemeral key.
pub(crate) fn seal_with_rng(
    rng: &dyn SecureRandom,
    recipient: &[u8; 32],
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let ephemeral =
        EphemeralPrivateKey::generate(&agreement::X25519, rng).map_err(|_| CryptoError::Random)?;
    let ephemeral_pub = ephemeral
        .compute_public_key()
        .map_err(|_| CryptoError::SealFailed)?;
    let mut header = [0u8; HEADER_LEN];
    header[0] = SEAL_VERSION;
    header[1..].copy_from_slice(ephemeral_pub.as_ref());
    let mut eph = [0u8; 32];
    eph.copy_from_slice(ephemeral_pub.as_ref());

    // ring refuses an all-zero shared secret (a low-order recipient key).
    let key = agreement::agree_ephemeral(
        ephemeral,
        &UnparsedPublicKey::new(&agreement::X25519, recipient),
        |shared| derive_key(shared, &eph, recipient),
    )
    .map_err(|_| CryptoError::InvalidPublicKey("X25519"))??;

    let mut body = Vec::with_capacity(plaintext.len() + TAG_LEN);
    body.extend_from_slice(plaintext);
    key.seal_in_place_append_tag(zero_nonce(), Aad::from(header), &mut body)
        .map_err(|_| CryptoError::SealFailed)?;
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.extend_from_slice(&header);
    out.extend_from_slice(&body);
    Ok(out)
}

/// Opens a sealed payload with the recipient's static secret.
pub(crate) fn open_with(
    secret: &StaticSecret,
    recipient_pub: &[u8; 32],
    sealed: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let (&version, _) = sealed
        .split_first()
        .ok_or(CryptoError::Malformed("empty"))?;
    if version != SEAL_VERSION {
        return Err(CryptoError::UnsupportedVersion(version));
    }
    if sealed.len() < SEALED_OVERHEAD {
        return Err(CryptoError::Malformed("shorter than header and tag"));
    }
    let (header, ciphertext) = sealed.split_at(HEADER_LEN);
    let mut eph = [0u8; 32];
    eph.copy_from_slice(&header[1..]);
    let shared = static_agree(secret, &eph)?;
    let key = derive_key(shared.as_bytes(), &eph, recipient_pub)?;
    let mut buf = ciphertext.to_vec();
    let len = key
        .open_in_place(zero_nonce(), Aad::from(header), &mut buf)
        .map_err(|_| CryptoError::OpenFailed)?
        .len();
    buf.truncate(len);
    Ok(buf)
}

/// X25519 with the device's static secret (the half ring cannot do).
/// Rejects a non-contributory result, as ring does on the sealing side.
pub(crate) fn static_agree(
    secret: &StaticSecret,
    peer: &[u8; 32],
) -> Result<x25519_dalek::SharedSecret, CryptoError> {
    let shared = secret.diffie_hellman(&PublicKey::from(*peer));
    if shared.was_contributory() {
        Ok(shared)
    } else {
        Err(CryptoError::OpenFailed)
    }
}

/// The public key of a static secret.
pub(crate) fn x25519_public(secret: &StaticSecret) -> [u8; 32] {
    PublicKey::from(secret).to_bytes()
}

/// HKDF-SHA256 from the shared secret to a single-use ChaCha20-Poly1305 key;
/// both public keys go into the salt so the key is bound to this exchange.
pub(crate) fn derive_key(
    shared: &[u8],
    ephemeral_pub: &[u8; 32],
    recipient_pub: &[u8; 32],
) -> Result<LessSafeKey, CryptoError> {
    let mut salt = [0u8; 64];
    salt[..32].copy_from_slice(ephemeral_pub);
    salt[32..].copy_from_slice(recipient_pub);
    let info = [SEAL_INFO];
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, &salt).extract(shared);
    let okm = prk
        .expand(&info, &aead::CHACHA20_POLY1305)
        .map_err(|_| CryptoError::SealFailed)?;
    Ok(LessSafeKey::new(UnboundKey::from(okm)))
}

/// All-zero nonce: safe only because every key encrypts exactly one message
/// (a fresh ephemeral key per seal).
fn zero_nonce() -> Nonce {
    Nonce::assume_unique_for_key([0u8; aead::NONCE_LEN])
}
