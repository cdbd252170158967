//! The relay's own TLS (`klaxon serve --tls-cert FILE --tls-key FILE`):
//! rustls with the ring provider, TLS 1.2 and 1.3 only, HTTP/2 and
//! HTTP/1.1 offered by ALPN. The certificate and key are PEM files, read at
//! start and again on [`Certificates::reload`] (SIGHUP): the new pair serves
//! every handshake from then on, while connections already open keep the
//! session they have. A new pair that cannot be used (a file missing, not
//! PEM, a key that is not the certificate's) is refused and the old one
//! stays.

use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use tokio_rustls::TlsAcceptor;

/// The ALPN name of HTTP/2.
pub const ALPN_H2: &[u8] = b"h2";
/// The ALPN name of HTTP/1.1.
pub const ALPN_HTTP1: &[u8] = b"http/1.1";

/// Why a certificate or key cannot be used. Its text names the file and is
/// one line, fit for `klaxon serve`'s refusal and the reload's log.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The certificate file could not be read or holds no PEM certificate.
    #[error("--tls-cert {}: {reason}", path.display())]
    Cert {
        /// The certificate file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The key file could not be read or holds no PEM private key.
    #[error("--tls-key {}: {reason}", path.display())]
    Key {
        /// The key file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

/// The relay's certificate and key, swappable while it serves: every TLS
/// handshake asks [`Certificates::resolve`] for the current pair.
#[derive(Debug)]
pub struct Certificates {
    /// The PEM certificate chain file (leaf first).
    cert: PathBuf,
    /// The PEM private key file (PKCS#8, PKCS#1 or SEC1).
    key: PathBuf,
    /// The pair new handshakes get. A handshake clones the `Arc` under a
    /// read lock held for no longer than that; a reload swaps it.
    current: RwLock<Arc<CertifiedKey>>,
}

/// The crypto the relay's TLS uses: rustls' ring provider.
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Reads the pair from the two files: the chain (at least one
/// certificate), the key, and the key must be the leaf's.
fn load(cert: &Path, key: &Path) -> Result<CertifiedKey, TlsError> {
    let cert_error = |reason: String| TlsError::Cert {
        path: cert.to_path_buf(),
        reason,
    };
    let key_error = |reason: String| TlsError::Key {
        path: key.to_path_buf(),
        reason,
    };
    // Read first, so a missing file says so rather than "not PEM".
    let cert_pem = std::fs::read(cert).map_err(|e| cert_error(e.to_string()))?;
    let key_pem = std::fs::read(key).map_err(|e| key_error(e.to_string()))?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| cert_error(format!("not a PEM certificate: {e}")))?;
    if chain.is_empty() {
        return Err(cert_error(
            "no certificate in it (expected a PEM \"BEGIN CERTIFICATE\" block)".into(),
        ));
    }
    let private = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| {
        key_error(format!(
            "no PEM private key in it (PKCS#8, PKCS#1 or SEC1): {e}"
        ))
    })?;
    CertifiedKey::from_der(chain, private, &provider()).map_err(|e| match e {
        rustls::Error::InconsistentKeys(_) => key_error(format!(
            "not the key of the certificate in {}",
            cert.display()
        )),
        rustls::Error::InvalidCertificate(_) | rustls::Error::InvalidCertRevocationList(_) => {
            cert_error(format!("unusable certificate: {e}"))
        }
        other => key_error(format!("unusable key: {other}")),
    })
}

impl Certificates {
    /// Reads the pair from `cert` and `key` (PEM).
    pub fn load(cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Result<Self, TlsError> {
        let cert = cert.into();
        let key = key.into();
        let pair = load(&cert, &key)?;
        Ok(Certificates {
            cert,
            key,
            current: RwLock::new(Arc::new(pair)),
        })
    }

    /// Reads the two files again and, when they make a usable pair, serves
    /// it to every handshake from now on. Open connections are untouched.
    /// On an error the pair in use stays.
    pub fn reload(&self) -> Result<(), TlsError> {
        let pair = Arc::new(load(&self.cert, &self.key)?);
        *self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = pair;
        Ok(())
    }

    /// The certificate file.
    pub fn cert_path(&self) -> &Path {
        &self.cert
    }

    /// The pair handshakes get now.
    fn current(&self) -> Arc<CertifiedKey> {
        self.current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

impl ResolvesServerCert for Certificates {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

/// The acceptor the server hands each TCP connection to: TLS 1.3 and 1.2
/// (nothing older), no client certificates, the pair from `certs` at each
/// handshake, and `h2` preferred over `http/1.1` in ALPN.
pub fn acceptor(certs: Arc<Certificates>) -> TlsAcceptor {
    // The ring provider supports both versions listed: building cannot fail.
    let builder = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .unwrap_or_else(|_| unreachable!("ring supports TLS 1.2 and 1.3"));
    let mut config = builder.with_no_client_auth().with_cert_resolver(certs);
    config.alpn_protocols = vec![ALPN_H2.to_vec(), ALPN_HTTP1.to_vec()];
    TlsAcceptor::from(Arc::new(config))
}
