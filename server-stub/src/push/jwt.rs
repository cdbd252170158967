//! Compact JWS signing for the two provider credentials: ES256 APNs
//! provider tokens (the team's `.p8` key) and RS256 assertions for the FCM
//! service account's OAuth2 token exchange.
//!
//! The signatures are ring's (already the relay's TLS provider), the PEM
//! decoding is rustls-pki-types' (already in the tree through rustls); what
//! is left here is JWS's `b64(header).b64(claims).b64(signature)`. The
//! `jsonwebtoken` crate was weighed and not taken: since version 10 it
//! signs only through aws-lc-rs (a C build) or RustCrypto's `rsa`, whose
//! PKCS#1 v1.5 signing has an open timing advisory (RUSTSEC-2023-0071).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::rand::SystemRandom;
use ring::signature::{
    EcdsaKeyPair, KeyPair as _, RsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING, RSA_PKCS1_SHA256,
};
use rustls_pki_types::pem::{self, PemObject as _};
use rustls_pki_types::PrivatePkcs8KeyDer;
use serde::Serialize;

/// Why a key could not be loaded or a token signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    /// The PEM text has no `-----BEGIN PRIVATE KEY-----` block, or bad base64.
    #[error("not a PEM-encoded PKCS#8 private key: {0}")]
    Pem(&'static str),
    /// ring rejected the PKCS#8 document (wrong algorithm, curve or size).
    #[error("private key rejected: {0}")]
    KeyRejected(String),
    /// Signing failed (an RNG failure inside ring).
    #[error("signing failed")]
    Sign,
    /// The header or claims did not serialize.
    #[error("token encoding failed: {0}")]
    Encode(String),
}

/// Decodes the first `-----BEGIN PRIVATE KEY-----` block of a PEM text to
/// its PKCS#8 DER document (zeroed when dropped). Accepts CRLF, and the
/// escaped `\n` of a JSON string left unescaped by hand-editing (a
/// service-account `private_key` pasted into an environment variable).
pub fn pkcs8_from_pem(pem: &str) -> Result<PrivatePkcs8KeyDer<'static>, JwtError> {
    let pem = pem.replace("\\n", "\n");
    PrivatePkcs8KeyDer::from_pem_slice(pem.as_bytes()).map_err(|e| {
        JwtError::Pem(match e {
            pem::Error::NoItemsFound => "no BEGIN PRIVATE KEY block",
            pem::Error::MissingSectionEnd { .. } => "no END PRIVATE KEY line",
            pem::Error::Base64Decode(_) => "body is not base64",
            _ => "unreadable PEM text",
        })
    })
}

/// Signs the compact serialization `b64(header).b64(claims)` with `sign`.
fn compact(
    header: &impl Serialize,
    claims: &impl Serialize,
    sign: impl FnOnce(&[u8]) -> Result<Vec<u8>, JwtError>,
) -> Result<String, JwtError> {
    let header = serde_json::to_vec(header).map_err(|e| JwtError::Encode(e.to_string()))?;
    let claims = serde_json::to_vec(claims).map_err(|e| JwtError::Encode(e.to_string()))?;
    let mut out = URL_SAFE_NO_PAD.encode(header);
    out.push('.');
    out.push_str(&URL_SAFE_NO_PAD.encode(claims));
    let signature = sign(out.as_bytes())?;
    out.push('.');
    out.push_str(&URL_SAFE_NO_PAD.encode(signature));
    Ok(out)
}

/// An ES256 (ECDSA P-256, SHA-256, fixed 64-byte r||s signature) signer,
/// the only algorithm APNs accepts for provider tokens.
pub struct Es256Signer {
    /// The team's key.
    key: EcdsaKeyPair,
    /// ECDSA needs a fresh random nonce per signature.
    rng: SystemRandom,
}

impl Es256Signer {
    /// Loads a PKCS#8 P-256 key, as in Apple's `AuthKey_XXXXXXXXXX.p8`.
    pub fn from_pem(pem: &str) -> Result<Self, JwtError> {
        Self::from_pkcs8(pkcs8_from_pem(pem)?.secret_pkcs8_der())
    }

    /// Loads a PKCS#8 P-256 key from DER bytes.
    pub fn from_pkcs8(der: &[u8]) -> Result<Self, JwtError> {
        let rng = SystemRandom::new();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der, &rng)
            .map_err(|e| JwtError::KeyRejected(e.to_string()))?;
        Ok(Self { key, rng })
    }

    /// The uncompressed public point (`04 || x || y`), for verifiers.
    pub fn public_key(&self) -> Vec<u8> {
        self.key.public_key().as_ref().to_vec()
    }

    /// A compact JWS: `{"alg":"ES256",...header}` over `claims`.
    pub fn sign(
        &self,
        header: &impl Serialize,
        claims: &impl Serialize,
    ) -> Result<String, JwtError> {
        compact(header, claims, |input| {
            self.key
                .sign(&self.rng, input)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| JwtError::Sign)
        })
    }
}

impl std::fmt::Debug for Es256Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Es256Signer").finish_non_exhaustive()
    }
}

/// An RS256 (RSASSA-PKCS1-v1_5, SHA-256) signer for Google service-account
/// assertions.
pub struct Rs256Signer {
    /// The service account's key.
    key: RsaKeyPair,
    /// ring's RSA signing takes one (for blinding), though PKCS#1 v1.5
    /// itself is deterministic.
    rng: SystemRandom,
}

impl Rs256Signer {
    /// Loads the PKCS#8 RSA key of a service-account JSON's `private_key`.
    pub fn from_pem(pem: &str) -> Result<Self, JwtError> {
        let der = pkcs8_from_pem(pem)?;
        let key = RsaKeyPair::from_pkcs8(der.secret_pkcs8_der())
            .map_err(|e| JwtError::KeyRejected(e.to_string()))?;
        Ok(Self {
            key,
            rng: SystemRandom::new(),
        })
    }

    /// The DER `RSAPublicKey`, for verifiers.
    pub fn public_key(&self) -> Vec<u8> {
        self.key.public().as_ref().to_vec()
    }

    /// A compact JWS signed with RS256.
    pub fn sign(
        &self,
        header: &impl Serialize,
        claims: &impl Serialize,
    ) -> Result<String, JwtError> {
        compact(header, claims, |input| {
            let mut signature = vec![0u8; self.key.public().modulus_len()];
            self.key
                .sign(&RSA_PKCS1_SHA256, &self.rng, input, &mut signature)
                .map_err(|_| JwtError::Sign)?;
            Ok(signature)
        })
    }
}

impl std::fmt::Debug for Rs256Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rs256Signer").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD;
    use ring::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_FIXED};
    use serde_json::json;

    #[test]
    fn es256_tokens_verify_with_the_public_key() {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\r\n{}\r\n-----END PRIVATE KEY-----\r\n",
            STANDARD.encode(pkcs8.as_ref())
        );
        let signer = Es256Signer::from_pem(&pem).unwrap();
        let token = signer
            .sign(
                &json!({"alg": "ES256", "kid": "K"}),
                &json!({"iss": "T", "iat": 1}),
            )
            .unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        assert_eq!(sig.len(), 64, "fixed r||s, not DER");
        let signed = format!("{}.{}", parts[0], parts[1]);
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, signer.public_key())
            .verify(signed.as_bytes(), &sig)
            .unwrap();
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header["kid"], "K");
    }

    #[test]
    fn bad_pem_is_refused() {
        assert!(matches!(
            Es256Signer::from_pem("nope"),
            Err(JwtError::Pem(_))
        ));
        assert!(matches!(
            Es256Signer::from_pem("-----BEGIN PRIVATE KEY-----\n!!\n-----END PRIVATE KEY-----"),
            Err(JwtError::Pem(_))
        ));
        assert!(matches!(
            Rs256Signer::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"),
            Err(JwtError::KeyRejected(_))
        ));
    }
}
