//! Push delivery to phones through Apple's and Google's gateways: APNs
//! (HTTP/2, ES256 provider token) and FCM HTTP v1 (RS256 service-account
//! assertion → OAuth2 access token). Both carry only the page sealed to the
//! device's key ([`klaxon_crypto::seal`]) plus a generic alert line, so
//! Apple and Google never see incident text. Wire rules: `docs/push.md`.
//! The [`worker`] sends what writes queued in the store's push outbox.

pub mod apns;
pub mod fcm;
pub mod jwt;
pub mod worker;

pub use apns::{ApnsClient, ApnsConfig};
pub use fcm::{FcmClient, FcmConfig, ServiceAccount};

use klaxon_domain::{Clock, Priority, SystemClock};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Apple's and Google's limit on a notification payload, in bytes. A page
/// that would not fit is replaced by a "sync needed" push (see `docs/push.md`).
pub const MAX_PAYLOAD: usize = 4096;

/// Longest `apns-collapse-id` Apple accepts, in bytes.
pub const MAX_COLLAPSE_ID: usize = 64;

/// Env var: path of the APNs `.p8` signing key.
pub const ENV_APNS_KEY_FILE: &str = "KLAXON_APNS_KEY_FILE";
/// Env var: the 10-character key id of that key (JWT `kid`).
pub const ENV_APNS_KEY_ID: &str = "KLAXON_APNS_KEY_ID";
/// Env var: the Apple developer team id (JWT `iss`).
pub const ENV_APNS_TEAM_ID: &str = "KLAXON_APNS_TEAM_ID";
/// Env var: the app's bundle id (`apns-topic`).
pub const ENV_APNS_TOPIC: &str = "KLAXON_APNS_TOPIC";
/// Env var: APNs base URL (default [`apns::DEFAULT_URL`]).
pub const ENV_APNS_URL: &str = "KLAXON_APNS_URL";
/// Env var: path of the Firebase service-account JSON.
pub const ENV_FCM_SERVICE_ACCOUNT: &str = "KLAXON_FCM_SERVICE_ACCOUNT";
/// Env var: FCM base URL (default [`fcm::DEFAULT_URL`]).
pub const ENV_FCM_URL: &str = "KLAXON_FCM_URL";

/// Where a device receives pushes: its provider and the token the phone's
/// OS handed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushTarget {
    /// An iPhone: the hex APNs device token.
    Apns {
        /// The device token from `didRegisterForRemoteNotificationsWithDeviceToken`.
        token: String,
    },
    /// An Android phone: the FCM registration token.
    Fcm {
        /// The registration token from `FirebaseMessaging.getToken()`.
        token: String,
    },
}

/// One page to push to one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushMessage {
    /// The alert id: sent in clear so a device can sync when the sealed
    /// page does not fit or does not open. Not incident text.
    pub alert: String,
    /// Pushes with the same id replace each other on the phone (a later
    /// escalation step replaces the earlier notification of that alert).
    pub collapse_id: String,
    /// How loud: decides interruption level, sound and provider priority.
    pub priority: Priority,
    /// A status update (the alert was acknowledged, resolved or escalated
    /// to others), not a page: sent silently with the same collapse id so
    /// it replaces the ringing notification (docs/push.md, "Status updates").
    pub status_update: bool,
    /// The page sealed to this device's key (`klaxon_crypto::seal`).
    pub sealed: Vec<u8>,
}

/// What the provider made of one push: the gateway's answer, and what
/// every [`crate::delivery::Pusher`] reports to the push worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    /// Accepted by the provider for delivery.
    Delivered,
    /// The token is dead (app uninstalled, token rotated): forget it.
    Unregistered,
    /// Throttled or the provider is unavailable: try again, not before
    /// `after` when the provider said so.
    Retry {
        /// The provider's `Retry-After`, when given.
        after: Option<Duration>,
    },
    /// Will not succeed as it is (bad credentials, a rejected payload,
    /// the provider not configured); the text says why, for logs and metrics.
    Failed(String),
}

/// Why push could not be configured.
#[derive(Debug, thiserror::Error)]
pub enum PushConfigError {
    /// A provider is partly configured: this variable is missing.
    #[error("{0} is not set (needed together with the other push variables)")]
    Missing(&'static str),
    /// A key or account file could not be read.
    #[error("cannot read {path}: {error}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        error: std::io::Error,
    },
    /// The signing key was rejected.
    #[error("{0}")]
    Key(#[from] jwt::JwtError),
    /// The service-account JSON is not usable.
    #[error("service account: {0}")]
    ServiceAccount(String),
    /// The HTTP client could not be built (TLS setup).
    #[error("http client: {0}")]
    Http(String),
}

/// The push side of the relay: whichever of APNs and FCM is configured.
#[derive(Debug, Default)]
pub struct PushGateway {
    apns: Option<ApnsClient>,
    fcm: Option<FcmClient>,
}

impl PushGateway {
    /// A gateway with these clients (either may be absent).
    pub fn new(apns: Option<ApnsClient>, fcm: Option<FcmClient>) -> Self {
        Self { apns, fcm }
    }

    /// Reads the `KLAXON_APNS_*` and `KLAXON_FCM_*` variables. A provider
    /// whose variables are all unset is left out; one that is partly set,
    /// or whose key does not load, is an error (better to refuse to start
    /// than to drop pages silently).
    pub fn from_env() -> Result<Self, PushConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok(), Arc::new(SystemClock))
    }

    /// [`PushGateway::from_env`] with an injected variable lookup and clock.
    pub fn from_lookup(
        var: impl Fn(&str) -> Option<String>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, PushConfigError> {
        let var = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let apns = match var(ENV_APNS_KEY_FILE) {
            None => None,
            Some(path) => {
                let require = |name: &'static str| var(name).ok_or(PushConfigError::Missing(name));
                let key_pem = read(&path)?;
                let mut config = ApnsConfig::new(
                    key_pem,
                    require(ENV_APNS_KEY_ID)?,
                    require(ENV_APNS_TEAM_ID)?,
                    require(ENV_APNS_TOPIC)?,
                );
                if let Some(url) = var(ENV_APNS_URL) {
                    config.base_url = url;
                }
                Some(ApnsClient::new(config, clock.clone())?)
            }
        };
        let fcm = match var(ENV_FCM_SERVICE_ACCOUNT) {
            None => None,
            Some(path) => {
                let account = ServiceAccount::from_json(&read(&path)?)?;
                let mut config = FcmConfig::new(account);
                if let Some(url) = var(ENV_FCM_URL) {
                    config.base_url = url;
                }
                Some(FcmClient::new(config, clock)?)
            }
        };
        Ok(Self { apns, fcm })
    }

    /// Whether APNs is configured.
    pub fn has_apns(&self) -> bool {
        self.apns.is_some()
    }

    /// Whether FCM is configured.
    pub fn has_fcm(&self) -> bool {
        self.fcm.is_some()
    }

    /// Sends one push; never panics, every failure is a [`PushOutcome`].
    pub async fn send(&self, target: &PushTarget, message: &PushMessage) -> PushOutcome {
        match target {
            PushTarget::Apns { token } => match &self.apns {
                Some(apns) => apns.send(token, message).await,
                None => PushOutcome::Failed("APNs is not configured".into()),
            },
            PushTarget::Fcm { token } => match &self.fcm {
                Some(fcm) => fcm.send(token, message).await,
                None => PushOutcome::Failed("FCM is not configured".into()),
            },
        }
    }
}

/// What each provider's client holds: its configuration, its signing key,
/// one pooled HTTP client, the clock, and its cached credential (APNs'
/// provider token, FCM's access token). [`ApnsClient`] and [`FcmClient`]
/// are this with their own parts; their methods are in `apns.rs`/`fcm.rs`.
pub struct ProviderClient<C, S, T> {
    /// Endpoint, credentials and timings.
    pub(crate) config: C,
    /// Signs the provider's JWTs.
    pub(crate) signer: S,
    /// One pooled client, so pushes reuse the connection.
    pub(crate) http: reqwest::Client,
    /// "Now" for token ages and `Retry-After` dates.
    pub(crate) clock: Arc<dyn Clock>,
    /// The cached credential, behind a lock.
    pub(crate) token: T,
}

impl<C: std::fmt::Debug, S, T> std::fmt::Debug for ProviderClient<C, S, T> {
    // Only the configuration: the key and the credential stay out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderClient")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<C, S, T: Default> ProviderClient<C, S, T> {
    /// A client over one pooled HTTP client from `http` (5 s to connect,
    /// `timeout` per request), with no credential cached yet.
    pub(crate) fn build(
        config: C,
        signer: S,
        http: reqwest::ClientBuilder,
        timeout: Duration,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, PushConfigError> {
        let http = http_client(
            http.connect_timeout(Duration::from_secs(5))
                .timeout(timeout),
        )?;
        Ok(Self {
            config,
            signer,
            http,
            clock,
            token: T::default(),
        })
    }
}

/// A `Debug` of a configuration that names only these fields: keys and
/// account secrets never reach a log.
pub(crate) fn debug_without_secrets(
    f: &mut std::fmt::Formatter<'_>,
    name: &str,
    fields: &[(&str, &dyn std::fmt::Debug)],
) -> std::fmt::Result {
    let mut out = f.debug_struct(name);
    for (field, value) in fields {
        out.field(field, value);
    }
    out.finish_non_exhaustive()
}

/// A provider's answer other than "accepted": its status, its
/// `Retry-After` and its JSON error body, for the provider to classify.
pub(crate) struct Refusal {
    /// The HTTP status.
    pub(crate) status: u16,
    /// `Retry-After`, when given.
    pub(crate) after: Option<Duration>,
    /// The error body (`Null` when it was not JSON).
    pub(crate) body: serde_json::Value,
}

/// Sends one push request: `Ok` when the provider accepted it (200), the
/// transport's outcome when no answer came, else the refusal.
pub(crate) async fn post(
    request: reqwest::RequestBuilder,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Result<(), Refusal>, PushOutcome> {
    let response = request.send().await.map_err(|e| transport_outcome(&e))?;
    let status = response.status().as_u16();
    if status == 200 {
        return Ok(Ok(()));
    }
    let after = retry_after(response.headers(), now);
    let body = response.json().await.unwrap_or_default();
    Ok(Err(Refusal {
        status,
        after,
        body,
    }))
}

/// Reads a whole key/account file.
fn read(path: &str) -> Result<String, PushConfigError> {
    std::fs::read_to_string(path).map_err(|error| PushConfigError::Read {
        path: PathBuf::from(path),
        error,
    })
}

/// Installs ring as rustls' provider (reqwest is built without a default one
/// so the relay links a single crypto library) and builds a client.
fn http_client(builder: reqwest::ClientBuilder) -> Result<reqwest::Client, PushConfigError> {
    // Err means a provider is already installed, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
    builder
        .build()
        .map_err(|e| PushConfigError::Http(e.to_string()))
}

/// A collapse id within Apple's 64-byte limit: short ids pass unchanged,
/// longer ones become their SHA-256 hex (64 chars), still stable per alert.
pub(crate) fn collapse_id(id: &str) -> String {
    if id.len() <= MAX_COLLAPSE_ID {
        id.to_string()
    } else {
        klaxon_crypto::sha256_hex(id.as_bytes())
    }
}

/// Reads `Retry-After` by core's one rule
/// ([`klaxon_domain::wire::parse_retry_after`]): seconds or an HTTP date,
/// a date already past meaning "retry now" (zero).
pub(crate) fn retry_after(
    headers: &reqwest::header::HeaderMap,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    klaxon_domain::wire::parse_retry_after(value, now)
}

/// Classifies a transport error: no answer is worth retrying, anything
/// else (a redirect loop, a bad URL) is not.
pub(crate) fn transport_outcome(error: &reqwest::Error) -> PushOutcome {
    if error.is_connect() || error.is_timeout() || error.is_request() {
        PushOutcome::Retry { after: None }
    } else {
        PushOutcome::Failed(format!("transport: {error}"))
    }
}

/// Generic lock-screen text shown until the device opens the sealed page:
/// says how urgent, never what.
pub(crate) fn placeholder_text(priority: Priority) -> &'static str {
    match priority {
        Priority::Critical => "Critical page",
        Priority::High => "New page",
        Priority::Low => "Low-priority page",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};

    #[test]
    fn collapse_ids_fit_apples_limit() {
        assert_eq!(collapse_id("alert-1"), "alert-1");
        let long = "x".repeat(100);
        assert_eq!(collapse_id(&long).len(), 64);
        assert_eq!(collapse_id(&long), collapse_id(&long));
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = chrono::DateTime::parse_from_rfc3339("2015-10-21T07:28:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h, now), None);
        h.insert(RETRY_AFTER, HeaderValue::from_static("120"));
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(120)));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:30:00 GMT"),
        );
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(120)));
        // Core's rule: a date already past means retry now, not "unknown".
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:27:00 GMT"),
        );
        assert_eq!(retry_after(&h, now), Some(Duration::ZERO));
        h.insert(RETRY_AFTER, HeaderValue::from_static(" 7 "));
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(7)));
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h, now), None);
    }

    #[test]
    fn partial_configuration_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("k.p8");
        std::fs::write(&key, "x").unwrap();
        let key = key.to_string_lossy().to_string();
        let vars = |name: &str| (name == ENV_APNS_KEY_FILE).then(|| key.clone());
        let err = PushGateway::from_lookup(vars, Arc::new(SystemClock)).unwrap_err();
        assert!(
            matches!(err, PushConfigError::Missing(ENV_APNS_KEY_ID)),
            "{err}"
        );
        let none = PushGateway::from_lookup(|_| None, Arc::new(SystemClock)).unwrap();
        assert!(!none.has_apns() && !none.has_fcm());
    }
}
