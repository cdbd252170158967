//! A fake APNs provider API: HTTP/2 only, ES256 provider tokens verified with
//! the team key's public half, Apple's header and payload rules, 410 for
//! tokens the test marks unregistered.

use super::{leaks, now, parse_jws, serve, Script, Scripted};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Version};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use klaxon_domain::Clock;
use ring::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_FIXED};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// One push the fake accepted.
#[derive(Debug, Clone)]
pub struct ApnsPush {
    pub device_token: String,
    pub version: Version,
    pub headers: HeaderMap,
    pub body: Value,
    pub body_len: usize,
    /// The raw provider token.
    pub jwt: String,
    pub iat: i64,
}

impl ApnsPush {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
    /// The sealed page, base64-decoded.
    pub fn sealed(&self) -> Option<Vec<u8>> {
        let text = self.body["klaxon"]["sealed"].as_str()?;
        STANDARD.decode(text).ok()
    }
}

pub struct ApnsState {
    public_key: Vec<u8>,
    key_id: String,
    team_id: String,
    topic: String,
    clock: Arc<dyn Clock>,
    pub unregistered: Mutex<HashSet<String>>,
    pub accepted: Mutex<Vec<ApnsPush>>,
    /// Every rule a request broke, with the reason answered.
    pub violations: Mutex<Vec<String>>,
    /// Plaintext that must never appear in a request.
    pub forbidden: Mutex<Vec<String>>,
    pub script: Script,
    /// The device token of every request that reached the handler, in
    /// order, whatever it was answered (so a test can tell that nothing
    /// more was sent to a dead token).
    pub requests: Mutex<Vec<String>>,
    /// Requests wait here before they are answered while a test holds the
    /// write half (to keep a push in flight).
    pub gate: tokio::sync::RwLock<()>,
}

/// The running fake.
pub struct FakeApns {
    pub url: String,
    pub state: Arc<ApnsState>,
}

impl FakeApns {
    /// Starts a fake that trusts `public_key` (uncompressed P-256 point) for
    /// key `key_id` of team `team_id`, serving app `topic`.
    pub async fn start(
        public_key: Vec<u8>,
        key_id: &str,
        team_id: &str,
        topic: &str,
        clock: Arc<dyn Clock>,
    ) -> FakeApns {
        let state = Arc::new(ApnsState {
            public_key,
            key_id: key_id.into(),
            team_id: team_id.into(),
            topic: topic.into(),
            clock,
            unregistered: Mutex::default(),
            accepted: Mutex::default(),
            violations: Mutex::default(),
            forbidden: Mutex::default(),
            script: Script::default(),
            requests: Mutex::default(),
            gate: tokio::sync::RwLock::default(),
        });
        let app = Router::new()
            .route("/3/device/{token}", post(push))
            .with_state(state.clone());
        FakeApns {
            url: serve(app).await,
            state,
        }
    }

    pub fn unregister(&self, token: &str) {
        self.state.unregistered.lock().unwrap().insert(token.into());
    }
    pub fn forbid(&self, plaintext: &str) {
        self.state.forbidden.lock().unwrap().push(plaintext.into());
    }
    pub fn script(&self, status: u16, retry_after: Option<&str>, reason: &str) {
        self.state.script.push(Scripted {
            status: StatusCode::from_u16(status).unwrap(),
            retry_after: retry_after.map(str::to_string),
            body: json!({"reason": reason}),
        });
    }
    pub fn accepted(&self) -> Vec<ApnsPush> {
        self.state.accepted.lock().unwrap().clone()
    }
    pub fn violations(&self) -> Vec<String> {
        self.state.violations.lock().unwrap().clone()
    }
    /// How many requests, answered in any way, were addressed to `token`.
    pub fn requests_to(&self, token: &str) -> usize {
        let requests = self.state.requests.lock().unwrap();
        requests.iter().filter(|t| *t == token).count()
    }
}

/// A fresh P-256 key as Apple's `.p8` (PEM PKCS#8) and its public point
/// (uncompressed), for [`FakeApns::start`].
pub fn p8_key() -> (String, Vec<u8>) {
    use ring::rand::SystemRandom;
    use ring::signature::{EcdsaKeyPair, KeyPair as _, ECDSA_P256_SHA256_FIXED_SIGNING};
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let pair =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        STANDARD.encode(pkcs8.as_ref())
    );
    (pem, pair.public_key().as_ref().to_vec())
}

fn reject(state: &ApnsState, status: StatusCode, reason: &str, detail: String) -> Response {
    state
        .violations
        .lock()
        .unwrap()
        .push(format!("{reason}: {detail}"));
    (status, Json(json!({"reason": reason}))).into_response()
}

async fn push(
    State(state): State<Arc<ApnsState>>,
    Path(token): Path<String>,
    version: Version,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    state.requests.lock().unwrap().push(token.clone());
    let _pass = state.gate.read().await;
    let now = now(&state.clock);
    let bad = StatusCode::BAD_REQUEST;
    if version != Version::HTTP_2 {
        return reject(&state, bad, "HTTP2Required", format!("{version:?}"));
    }

    // Provider token: ES256, our kid, our team, issued within the hour.
    let Some(auth) = header("authorization") else {
        return reject(
            &state,
            StatusCode::FORBIDDEN,
            "MissingProviderToken",
            String::new(),
        );
    };
    let Some(jwt) = auth.strip_prefix("bearer ").map(str::to_string) else {
        return reject(&state, StatusCode::FORBIDDEN, "InvalidProviderToken", auth);
    };
    let Some(jws) = parse_jws(&jwt) else {
        return reject(
            &state,
            StatusCode::FORBIDDEN,
            "InvalidProviderToken",
            "not a JWS".into(),
        );
    };
    if UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &state.public_key)
        .verify(jws.signed.as_bytes(), &jws.signature)
        .is_err()
    {
        return reject(
            &state,
            StatusCode::FORBIDDEN,
            "InvalidProviderToken",
            "signature".into(),
        );
    }
    if jws.header["alg"] != "ES256" || jws.header["kid"] != state.key_id.as_str() {
        return reject(
            &state,
            StatusCode::FORBIDDEN,
            "InvalidProviderToken",
            jws.header.to_string(),
        );
    }
    if jws.claims["iss"] != state.team_id.as_str() {
        return reject(
            &state,
            StatusCode::FORBIDDEN,
            "InvalidProviderToken",
            jws.claims.to_string(),
        );
    }
    let Some(iat) = jws.claims["iat"].as_i64() else {
        return reject(
            &state,
            StatusCode::FORBIDDEN,
            "InvalidProviderToken",
            "no iat".into(),
        );
    };
    if now - iat > 3600 {
        return reject(
            &state,
            StatusCode::FORBIDDEN,
            "ExpiredProviderToken",
            format!("iat {iat}, now {now}"),
        );
    }
    if iat > now + 60 {
        return reject(
            &state,
            StatusCode::FORBIDDEN,
            "InvalidProviderToken",
            "iat in the future".into(),
        );
    }

    // Headers.
    if header("apns-topic").as_deref() != Some(state.topic.as_str()) {
        return reject(
            &state,
            bad,
            "BadTopic",
            format!("{:?}", header("apns-topic")),
        );
    }
    if header("apns-push-type").as_deref() != Some("alert") {
        return reject(
            &state,
            bad,
            "InvalidPushType",
            format!("{:?}", header("apns-push-type")),
        );
    }
    let priority = header("apns-priority").unwrap_or_default();
    if priority != "10" && priority != "5" {
        return reject(&state, bad, "BadPriority", priority);
    }
    match header("apns-collapse-id") {
        Some(id) if !id.is_empty() && id.len() <= 64 => {}
        other => return reject(&state, bad, "BadCollapseId", format!("{other:?}")),
    }
    match header("apns-expiration").and_then(|e| e.parse::<i64>().ok()) {
        Some(at) if at > now => {}
        other => return reject(&state, bad, "BadExpirationDate", format!("{other:?}")),
    }

    // Payload.
    if body.len() > 4096 {
        return reject(
            &state,
            StatusCode::PAYLOAD_TOO_LARGE,
            "PayloadTooLarge",
            body.len().to_string(),
        );
    }
    if let Some(text) = leaks(&body, &state.forbidden.lock().unwrap()) {
        return reject(&state, bad, "PlaintextLeak", text);
    }
    let Ok(json) = serde_json::from_slice::<Value>(&body) else {
        return reject(&state, bad, "PayloadEmpty", "not JSON".into());
    };
    let aps = &json["aps"];
    if aps["mutable-content"] != 1 || !aps["alert"].is_object() {
        return reject(&state, bad, "BadAps", aps.to_string());
    }
    let level_ok = match aps["interruption-level"].as_str() {
        Some("critical") => {
            priority == "10"
                && aps["sound"] == json!({"critical": 1, "name": "klaxon.caf", "volume": 1.0})
        }
        Some("time-sensitive") => priority == "10" && aps["sound"].is_string(),
        Some("passive") => priority == "5" && aps.get("sound").is_none(),
        _ => false,
    };
    if !level_ok {
        return reject(
            &state,
            bad,
            "BadInterruptionLevel",
            format!("{aps} at priority {priority}"),
        );
    }
    let klaxon = &json["klaxon"];
    let carries = klaxon["sealed"]
        .as_str()
        .is_some_and(|s| STANDARD.decode(s).is_ok())
        || klaxon["sync"] == true;
    if !carries || !klaxon["alert"].is_string() {
        return reject(&state, bad, "BadKlaxonPayload", klaxon.to_string());
    }

    // The device.
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return reject(&state, bad, "BadDeviceToken", token);
    }
    if state.unregistered.lock().unwrap().contains(&token) {
        return (
            StatusCode::GONE,
            Json(json!({"reason": "Unregistered", "timestamp": now * 1000})),
        )
            .into_response();
    }
    if let Some(response) = state.script.respond() {
        return response;
    }
    state.accepted.lock().unwrap().push(ApnsPush {
        device_token: token,
        version,
        headers: headers.clone(),
        body: json,
        body_len: body.len(),
        jwt,
        iat,
    });
    let mut response = StatusCode::OK.into_response();
    response.headers_mut().insert(
        "apns-id",
        "00000000-0000-0000-0000-000000000001".parse().unwrap(),
    );
    response
}
