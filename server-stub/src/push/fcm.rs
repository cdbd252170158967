//! FCM HTTP v1: the service account signs an RS256 assertion, exchanges it
//! at its `token_uri` for an OAuth2 access token (cached until shortly before
//! expiry), and each page goes as a high-priority data message carrying only
//! the sealed page — no `notification` block, so the app builds the
//! notification itself after opening it.

use super::jwt::Rs256Signer;
use super::{
    collapse_id, debug_without_secrets, post, retry_after, transport_outcome, ProviderClient,
    PushConfigError, PushMessage, PushOutcome, Refusal, MAX_PAYLOAD,
};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use klaxon_domain::{Clock, Priority};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

/// Google's FCM endpoint.
pub const DEFAULT_URL: &str = "https://fcm.googleapis.com";

/// The OAuth2 scope FCM sends need.
pub const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";

/// The JWT-bearer grant type (RFC 7523), form-encoded.
const GRANT_TYPE: &str = "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer";

/// Lifetime asked for in the assertion; Google allows at most one hour.
const ASSERTION_LIFETIME: i64 = 3600;

/// The fields of a Firebase service-account JSON that Klaxon uses.
#[derive(Clone, Deserialize)]
pub struct ServiceAccount {
    /// The Firebase project (`/v1/projects/{project_id}/messages:send`).
    pub project_id: String,
    /// Id of the key (JWT header `kid`).
    #[serde(default)]
    pub private_key_id: String,
    /// PEM PKCS#8 RSA key.
    pub private_key: String,
    /// The account's e-mail (JWT `iss`).
    pub client_email: String,
    /// Where assertions are exchanged (JWT `aud`).
    pub token_uri: String,
}

impl ServiceAccount {
    /// Parses the JSON file Google's console downloads.
    pub fn from_json(text: &str) -> Result<Self, PushConfigError> {
        serde_json::from_str(text).map_err(|e| PushConfigError::ServiceAccount(e.to_string()))
    }
}

impl std::fmt::Debug for ServiceAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let fields: [(&str, &dyn std::fmt::Debug); 3] = [
            ("project_id", &self.project_id),
            ("client_email", &self.client_email),
            ("token_uri", &self.token_uri),
        ];
        debug_without_secrets(f, "ServiceAccount", &fields)
    }
}

/// What the FCM client needs.
#[derive(Debug, Clone)]
pub struct FcmConfig {
    /// The service account.
    pub account: ServiceAccount,
    /// Base URL, [`DEFAULT_URL`] unless testing.
    pub base_url: String,
    /// Refresh the access token this long before it expires.
    pub refresh_margin: Duration,
    /// How long FCM keeps trying an offline device (`android.ttl`).
    pub ttl: Duration,
    /// Per-request timeout.
    pub timeout: Duration,
}

impl FcmConfig {
    /// A production configuration with the default URL and timings.
    pub fn new(account: ServiceAccount) -> Self {
        Self {
            account,
            base_url: DEFAULT_URL.to_string(),
            refresh_margin: Duration::from_secs(5 * 60),
            ttl: Duration::from_secs(3600),
            timeout: Duration::from_secs(10),
        }
    }
}

/// An access token and when to stop using it.
#[derive(Debug, Clone)]
pub struct AccessToken {
    /// The bearer token.
    token: String,
    /// Its expiry less the refresh margin.
    refresh_at: DateTime<Utc>,
}

/// The token endpoint's answer.
#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: i64,
}

/// Sends pages to Android phones through FCM HTTP v1. Its token lock is a
/// tokio mutex, held across the token exchange so concurrent sends wait
/// for one exchange instead of each starting their own.
pub type FcmClient = ProviderClient<FcmConfig, Rs256Signer, Mutex<Option<AccessToken>>>;

/// Why an access token could not be had.
enum TokenError {
    /// Worth retrying later (network, throttling, Google unavailable).
    Retry(Option<Duration>),
    /// Not going to work (rejected credentials, bad answer).
    Failed(String),
}

impl FcmClient {
    /// Loads the key and builds the HTTP client.
    pub fn new(config: FcmConfig, clock: Arc<dyn Clock>) -> Result<Self, PushConfigError> {
        let signer = Rs256Signer::from_pem(&config.account.private_key)?;
        let timeout = config.timeout;
        Self::build(config, signer, reqwest::Client::builder(), timeout, clock)
    }

    /// The signed assertion exchanged for an access token.
    fn assertion(&self, now: DateTime<Utc>) -> Result<String, TokenError> {
        let account = &self.config.account;
        let iat = now.timestamp();
        let mut header = json!({"alg": "RS256", "typ": "JWT"});
        if !account.private_key_id.is_empty() {
            header["kid"] = json!(account.private_key_id);
        }
        self.signer
            .sign(
                &header,
                &json!({
                    "iss": account.client_email,
                    "scope": SCOPE,
                    "aud": account.token_uri,
                    "iat": iat,
                    "exp": iat + ASSERTION_LIFETIME,
                }),
            )
            .map_err(|e| TokenError::Failed(format!("assertion: {e}")))
    }

    /// A valid access token: the cached one until `refresh_margin` before
    /// its expiry, else a new one from the token endpoint.
    async fn access_token(&self) -> Result<String, TokenError> {
        let mut cached = self.token.lock().await;
        let now = self.clock.now();
        if let Some(token) = cached.as_ref() {
            if now < token.refresh_at {
                return Ok(token.token.clone());
            }
        }
        let body = format!("grant_type={GRANT_TYPE}&assertion={}", self.assertion(now)?);
        let response = self
            .http
            .post(&self.config.account.token_uri)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| match transport_outcome(&e) {
                PushOutcome::Retry { after } => TokenError::Retry(after),
                _ => TokenError::Failed(format!("token endpoint: {e}")),
            })?;
        let status = response.status();
        if status.as_u16() == 429 || status.is_server_error() {
            return Err(TokenError::Retry(retry_after(response.headers(), now)));
        }
        if !status.is_success() {
            let text = response.text().await.unwrap_or_default();
            return Err(TokenError::Failed(format!(
                "token endpoint {status}: {}",
                text.chars().take(200).collect::<String>()
            )));
        }
        let answer: TokenResponse = response
            .json()
            .await
            .map_err(|e| TokenError::Failed(format!("token endpoint answer: {e}")))?;
        let margin = chrono::Duration::from_std(self.config.refresh_margin).unwrap_or_default();
        let refresh_at = now + chrono::Duration::seconds(answer.expires_in.max(0)) - margin;
        *cached = Some(AccessToken {
            token: answer.access_token.clone(),
            refresh_at,
        });
        Ok(answer.access_token)
    }

    /// Pushes one page to the registration token.
    pub async fn send(&self, registration_token: &str, message: &PushMessage) -> PushOutcome {
        if registration_token.is_empty() {
            return PushOutcome::Unregistered;
        }
        let access = match self.access_token().await {
            Ok(token) => token,
            Err(TokenError::Retry(after)) => return PushOutcome::Retry { after },
            Err(TokenError::Failed(why)) => return PushOutcome::Failed(why),
        };
        let now = self.clock.now();
        let url = format!(
            "{}/v1/projects/{}/messages:send",
            self.config.base_url.trim_end_matches('/'),
            self.config.account.project_id
        );
        let body = request_body(registration_token, message, self.config.ttl);
        let request = self.http.post(url).bearer_auth(access).json(&body);
        let Refusal {
            status,
            after,
            body: error,
        } = match post(request, now).await {
            Ok(Ok(())) => return PushOutcome::Delivered,
            Ok(Err(refusal)) => refusal,
            Err(outcome) => return outcome,
        };
        let code = error_code(&error);
        match (status, code.as_str()) {
            (_, "UNREGISTERED") | (404, _) => PushOutcome::Unregistered,
            (401, _) => {
                // The access token was revoked or expired early: get a new one.
                *self.token.lock().await = None;
                PushOutcome::Retry { after: None }
            }
            (429 | 500 | 503, _) | (_, "QUOTA_EXCEEDED" | "UNAVAILABLE" | "INTERNAL") => {
                PushOutcome::Retry { after }
            }
            _ => PushOutcome::Failed(format!("FCM {status} {code}")),
        }
    }
}

/// FCM's error code: `details[].errorCode` of the v1 error, else `status`.
fn error_code(error: &Value) -> String {
    let error = &error["error"];
    error["details"]
        .as_array()
        .into_iter()
        .flatten()
        .find_map(|d| d["errorCode"].as_str())
        .or_else(|| error["status"].as_str())
        .unwrap_or_default()
        .to_string()
}

/// The data map for a page: the alert id, the priority and the sealed page,
/// or — when that would exceed [`MAX_PAYLOAD`] — `sync: "1"` instead.
pub fn data(message: &PushMessage) -> BTreeMap<&'static str, String> {
    let mut data = BTreeMap::from([
        ("v", "1".to_string()),
        ("alert", message.alert.clone()),
        ("priority", message.priority.as_str().to_string()),
    ]);
    let sealed = STANDARD.encode(&message.sealed);
    // FCM counts keys and values of the data map against 4096 bytes.
    let size: usize =
        data.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>() + "sealed".len() + sealed.len();
    if size <= MAX_PAYLOAD {
        data.insert("sealed", sealed);
    } else {
        data.insert("sync", "1".to_string());
    }
    data
}

/// The `messages:send` body: a data message (never a `notification` block,
/// whose text Google could read and which Android would show without the
/// app), with the Android delivery priority, collapse key and TTL.
pub fn request_body(token: &str, message: &PushMessage, ttl: Duration) -> Value {
    // A status update of a critical or high page is HIGH too: it stops a
    // ring and changes the notification the person sees (a user-visible
    // change, which is what FCM's high priority is for), and a NORMAL
    // message may wait in Doze while the alarm keeps looping.
    let priority = match message.priority {
        Priority::Critical | Priority::High => "HIGH",
        // Low pages are silent: let Android batch them (Doze-friendly).
        Priority::Low => "NORMAL",
    };
    json!({
        "message": {
            "token": token,
            "data": data(message),
            "android": {
                "priority": priority,
                "collapse_key": collapse_id(&message.collapse_id),
                "ttl": format!("{}s", ttl.as_secs()),
            },
        }
    })
}
