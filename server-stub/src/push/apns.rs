//! APNs provider API: one HTTP/2 `POST /3/device/{token}` per page, with a
//! cached ES256 provider token, Apple's `apns-*` headers and a payload that
//! carries only the sealed page (the notification service extension opens it).

use super::jwt::Es256Signer;
use super::{
    collapse_id, debug_without_secrets, placeholder_text, post, ProviderClient, PushConfigError,
    PushMessage, PushOutcome, Refusal, MAX_PAYLOAD,
};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use klaxon_domain::{Clock, Priority};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Apple's production endpoint.
pub const DEFAULT_URL: &str = "https://api.push.apple.com";

/// How long a provider token is reused. Apple rejects tokens older than one
/// hour (`ExpiredProviderToken`) and refreshes more often than every 20
/// minutes (`TooManyProviderTokenUpdates`); 50 minutes sits between.
pub const TOKEN_REFRESH: Duration = Duration::from_secs(50 * 60);

/// Name of the custom payload key holding Klaxon's fields.
pub const PAYLOAD_KEY: &str = "klaxon";

/// Sound file bundled with the iOS app, played at full volume for critical pages.
pub const CRITICAL_SOUND: &str = "klaxon.caf";

/// What the APNs client needs.
#[derive(Clone)]
pub struct ApnsConfig {
    /// PEM text of the `.p8` key (PKCS#8, P-256).
    pub key_pem: String,
    /// The key's id (JWT header `kid`).
    pub key_id: String,
    /// The developer team id (JWT claim `iss`).
    pub team_id: String,
    /// The app's bundle id (`apns-topic`).
    pub topic: String,
    /// Base URL, [`DEFAULT_URL`] unless testing (`http://` means h2c).
    pub base_url: String,
    /// Provider-token lifetime before refresh, [`TOKEN_REFRESH`] by default.
    pub token_refresh: Duration,
    /// How long APNs keeps trying an offline device (`apns-expiration`).
    pub expiration: Duration,
    /// Per-request timeout.
    pub timeout: Duration,
}

impl ApnsConfig {
    /// A production configuration with the default URL and timings.
    pub fn new(key_pem: String, key_id: String, team_id: String, topic: String) -> Self {
        Self {
            key_pem,
            key_id,
            team_id,
            topic,
            base_url: DEFAULT_URL.to_string(),
            token_refresh: TOKEN_REFRESH,
            expiration: Duration::from_secs(3600),
            timeout: Duration::from_secs(10),
        }
    }
}

impl std::fmt::Debug for ApnsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let fields: [(&str, &dyn std::fmt::Debug); 4] = [
            ("key_id", &self.key_id),
            ("team_id", &self.team_id),
            ("topic", &self.topic),
            ("base_url", &self.base_url),
        ];
        debug_without_secrets(f, "ApnsConfig", &fields)
    }
}

/// A provider token and when it was issued.
#[derive(Debug, Clone)]
pub struct ProviderToken {
    /// The signed JWT.
    jwt: String,
    /// When it was signed (its age decides the refresh).
    issued: DateTime<Utc>,
}

/// Sends pages to iPhones through APNs over one pooled HTTP/2 connection,
/// reusing its provider token until [`ApnsConfig::token_refresh`].
pub type ApnsClient = ProviderClient<ApnsConfig, Es256Signer, Mutex<Option<ProviderToken>>>;

impl ApnsClient {
    /// Loads the key and builds the HTTP/2 client.
    pub fn new(config: ApnsConfig, clock: Arc<dyn Clock>) -> Result<Self, PushConfigError> {
        let signer = Es256Signer::from_pem(&config.key_pem)?;
        // APNs speaks only HTTP/2: prior knowledge gives h2c on http:// (the
        // test fakes) and ALPN "h2" only on https://.
        let http = reqwest::Client::builder()
            .http2_prior_knowledge()
            .http2_keep_alive_interval(Duration::from_secs(60))
            .http2_keep_alive_while_idle(true);
        let timeout = config.timeout;
        Self::build(config, signer, http, timeout, clock)
    }

    /// The current provider token: the cached one while younger than the
    /// refresh interval, else a freshly signed one.
    pub fn provider_token(&self) -> Result<String, super::jwt::JwtError> {
        let now = self.clock.now();
        let mut cached = self.token.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(token) = cached.as_ref() {
            let age = (now - token.issued).to_std().unwrap_or(Duration::MAX);
            // A clock that went backwards gives a negative age: refresh.
            if age < self.config.token_refresh {
                return Ok(token.jwt.clone());
            }
        }
        let jwt = self.signer.sign(
            &json!({"alg": "ES256", "kid": self.config.key_id}),
            &json!({"iss": self.config.team_id, "iat": now.timestamp()}),
        )?;
        *cached = Some(ProviderToken {
            jwt: jwt.clone(),
            issued: now,
        });
        Ok(jwt)
    }

    /// Forgets the cached token (after Apple called it expired).
    fn drop_token(&self) {
        *self.token.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Pushes one page to the device token.
    pub async fn send(&self, device_token: &str, message: &PushMessage) -> PushOutcome {
        // Device tokens are hex; anything else could not be delivered and
        // must not be spliced into the request path.
        if device_token.is_empty() || !device_token.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return PushOutcome::Unregistered;
        }
        let jwt = match self.provider_token() {
            Ok(jwt) => jwt,
            Err(e) => return PushOutcome::Failed(format!("provider token: {e}")),
        };
        let body = payload(message);
        let now = self.clock.now();
        let expiration = now.timestamp() + self.config.expiration.as_secs() as i64;
        let url = format!(
            "{}/3/device/{device_token}",
            self.config.base_url.trim_end_matches('/')
        );
        let request = self
            .http
            .post(url)
            .header("authorization", format!("bearer {jwt}"))
            .header("apns-topic", &self.config.topic)
            .header("apns-push-type", "alert")
            .header("apns-priority", message_priority(message))
            .header("apns-collapse-id", collapse_id(&message.collapse_id))
            .header("apns-expiration", expiration.to_string())
            .header("content-type", "application/json")
            .body(body);
        let Refusal {
            status,
            after,
            body,
        } = match post(request, now).await {
            Ok(Ok(())) => return PushOutcome::Delivered,
            Ok(Err(refusal)) => refusal,
            Err(outcome) => return outcome,
        };
        let reason = body["reason"].as_str().unwrap_or_default();
        match (status, reason) {
            (410, _) | (400, "BadDeviceToken" | "DeviceTokenNotForTopic") => {
                PushOutcome::Unregistered
            }
            (403, "ExpiredProviderToken") => {
                self.drop_token();
                PushOutcome::Retry { after }
            }
            (429, _) | (500..=599, _) => PushOutcome::Retry { after },
            _ => PushOutcome::Failed(format!("APNs {status} {reason}")),
        }
    }
}

/// `apns-priority`: 10 delivers at once, 5 lets iOS batch for battery.
pub fn apns_priority(priority: Priority) -> &'static str {
    match priority {
        Priority::Critical | Priority::High => "10",
        Priority::Low => "5",
    }
}

/// `apns-priority` of a message: a status update goes at 5 (Apple's
/// priority for a passive, soundless notification); a page by its priority.
pub fn message_priority(message: &PushMessage) -> &'static str {
    if message.status_update {
        "5"
    } else {
        apns_priority(message.priority)
    }
}

/// The JSON body for a page: `aps` with a generic alert, interruption level
/// and sound by priority, `mutable-content` so the extension runs, and the
/// sealed page in [`PAYLOAD_KEY`]. Falls back to [`sync_payload`] when the
/// page would push the body over [`MAX_PAYLOAD`].
pub fn payload(message: &PushMessage) -> Vec<u8> {
    let mut body = json!({
        "aps": message_aps(message),
        PAYLOAD_KEY: {
            "v": 1,
            "alert": message.alert,
            "sealed": STANDARD.encode(&message.sealed),
        },
    });
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    if !bytes.is_empty() && bytes.len() <= MAX_PAYLOAD {
        return bytes;
    }
    body = sync_payload(message);
    serde_json::to_vec(&body).unwrap_or_default()
}

/// The fallback body: the same `aps`, and only the alert id with
/// `"sync": true`, so the extension fetches the page from the relay.
pub fn sync_payload(message: &PushMessage) -> Value {
    json!({
        "aps": message_aps(message),
        PAYLOAD_KEY: {"v": 1, "alert": message.alert, "sync": true},
    })
}

/// The `aps` dictionary of a message. A status update is an alert push
/// (only those reach the notification service extension, which replaces the
/// ringing notification through core) that is `passive` and soundless, so
/// it never rings; `content-available` also wakes a running app so it can
/// stop an in-app ring loop.
fn message_aps(message: &PushMessage) -> Value {
    if !message.status_update {
        return aps(message.priority);
    }
    json!({
        "alert": {"title": "Klaxon", "body": STATUS_UPDATE_TEXT},
        "mutable-content": 1,
        "content-available": 1,
        "interruption-level": "passive",
    })
}

/// The generic line of a status update until the extension replaces it.
pub const STATUS_UPDATE_TEXT: &str = "Page updated";

/// The `aps` dictionary for a priority.
fn aps(priority: Priority) -> Value {
    let mut aps = json!({
        "alert": {"title": "Klaxon", "body": placeholder_text(priority)},
        "mutable-content": 1,
    });
    let (level, sound) = match priority {
        // Critical Alerts ring through silent mode and Focus; the sound dict
        // form is the only way to ask for that (and the volume).
        Priority::Critical => (
            "critical",
            Some(json!({"critical": 1, "name": CRITICAL_SOUND, "volume": 1.0})),
        ),
        Priority::High => ("time-sensitive", Some(json!("default"))),
        Priority::Low => ("passive", None),
    };
    aps["interruption-level"] = json!(level);
    if let Some(sound) = sound {
        aps["sound"] = sound;
    }
    aps
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(priority: Priority, sealed: usize) -> PushMessage {
        PushMessage {
            alert: "01HZX".into(),
            collapse_id: "01HZX".into(),
            priority,
            status_update: false,
            sealed: vec![7; sealed],
        }
    }

    #[test]
    fn payload_sound_and_level_follow_priority() {
        let body: Value =
            serde_json::from_slice(&payload(&message(Priority::Critical, 10))).unwrap();
        assert_eq!(body["aps"]["interruption-level"], "critical");
        assert_eq!(body["aps"]["sound"]["critical"], 1);
        assert_eq!(body["aps"]["sound"]["name"], "klaxon.caf");
        assert_eq!(body["aps"]["mutable-content"], 1);
        assert_eq!(body["klaxon"]["sealed"], STANDARD.encode([7; 10]));
        let low: Value = serde_json::from_slice(&payload(&message(Priority::Low, 10))).unwrap();
        assert_eq!(low["aps"]["interruption-level"], "passive");
        assert!(low["aps"].get("sound").is_none());
        assert_eq!(apns_priority(Priority::Low), "5");
    }

    #[test]
    fn oversized_pages_become_sync_pushes() {
        let big = payload(&message(Priority::High, 4000));
        assert!(big.len() <= MAX_PAYLOAD);
        let body: Value = serde_json::from_slice(&big).unwrap();
        assert_eq!(body["klaxon"]["sync"], true);
        assert!(body["klaxon"].get("sealed").is_none());
        // The largest sealed page that still fits goes as is, and most of
        // the 4 KB is left for it.
        let carries_page = |n: usize| {
            let body: Value =
                serde_json::from_slice(&payload(&message(Priority::Critical, n))).unwrap();
            body["klaxon"].get("sealed").is_some()
        };
        let fits = (0..4000).rev().find(|n| carries_page(*n)).unwrap();
        assert!(payload(&message(Priority::Critical, fits)).len() <= MAX_PAYLOAD);
        assert!(fits > 2700, "only {fits} bytes of sealed page fit");
    }
}
