//! A fake Google OAuth2 token endpoint and FCM HTTP v1 send endpoint: the
//! RS256 assertion is verified with the service account's public key and
//! its claims checked; sends need a live access token and must be data-only
//! messages at the right Android priority; dead tokens answer UNREGISTERED.

use super::{leaks, now, parse_jws, serve, Script, Scripted};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use klaxon_domain::Clock;
use ring::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

pub const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";
pub const PROJECT: &str = "klaxon-test";
pub const CLIENT_EMAIL: &str = "relay@klaxon-test.iam.gserviceaccount.com";
/// Lifetime of the access tokens the fake hands out.
pub const TOKEN_LIFETIME: i64 = 3600;

/// One message the fake accepted.
#[derive(Debug, Clone)]
pub struct FcmSend {
    pub access_token: String,
    pub message: Value,
}

impl FcmSend {
    pub fn data(&self, key: &str) -> Option<&str> {
        self.message["data"][key].as_str()
    }
    pub fn sealed(&self) -> Option<Vec<u8>> {
        STANDARD.decode(self.data("sealed")?).ok()
    }
}

pub struct FcmState {
    /// DER RSAPublicKey of the service account.
    public_key: Vec<u8>,
    pub token_uri: Mutex<String>,
    clock: Arc<dyn Clock>,
    /// Access token -> expiry (Unix seconds).
    pub issued: Mutex<HashMap<String, i64>>,
    /// Assertions received (decoded claims), valid or not.
    pub assertions: Mutex<Vec<Value>>,
    pub unregistered: Mutex<HashSet<String>>,
    pub accepted: Mutex<Vec<FcmSend>>,
    pub violations: Mutex<Vec<String>>,
    pub forbidden: Mutex<Vec<String>>,
    pub script: Script,
}

pub struct FakeFcm {
    pub url: String,
    pub state: Arc<FcmState>,
}

impl FakeFcm {
    /// Starts a fake that trusts `public_key` (DER RSAPublicKey).
    pub async fn start(public_key: Vec<u8>, clock: Arc<dyn Clock>) -> FakeFcm {
        let state = Arc::new(FcmState {
            public_key,
            token_uri: Mutex::default(),
            clock,
            issued: Mutex::default(),
            assertions: Mutex::default(),
            unregistered: Mutex::default(),
            accepted: Mutex::default(),
            violations: Mutex::default(),
            forbidden: Mutex::default(),
            script: Script::default(),
        });
        let app = Router::new()
            .route("/token", post(token))
            .route("/v1/projects/{project}/messages:send", post(send))
            .with_state(state.clone());
        let url = serve(app).await;
        *state.token_uri.lock().unwrap() = format!("{url}/token");
        FakeFcm { url, state }
    }

    pub fn token_uri(&self) -> String {
        self.state.token_uri.lock().unwrap().clone()
    }

    /// A service-account JSON for this fake, with `private_key_pem`.
    pub fn service_account_json(&self, private_key_pem: &str) -> String {
        json!({
            "type": "service_account",
            "project_id": PROJECT,
            "private_key_id": "test-key-1",
            "private_key": private_key_pem,
            "client_email": CLIENT_EMAIL,
            "client_id": "1",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": self.token_uri(),
        })
        .to_string()
    }

    pub fn unregister(&self, token: &str) {
        self.state.unregistered.lock().unwrap().insert(token.into());
    }
    pub fn forbid(&self, plaintext: &str) {
        self.state.forbidden.lock().unwrap().push(plaintext.into());
    }
    pub fn script(&self, status: u16, retry_after: Option<&str>, body: Value) {
        self.state.script.push(Scripted {
            status: StatusCode::from_u16(status).unwrap(),
            retry_after: retry_after.map(str::to_string),
            body,
        });
    }
    pub fn accepted(&self) -> Vec<FcmSend> {
        self.state.accepted.lock().unwrap().clone()
    }
    pub fn token_requests(&self) -> usize {
        self.state.assertions.lock().unwrap().len()
    }
    pub fn violations(&self) -> Vec<String> {
        self.state.violations.lock().unwrap().clone()
    }
}

/// FCM's v1 error body for an error code.
pub fn fcm_error(status: u16, status_text: &str, code: &str) -> Value {
    json!({"error": {
        "code": status,
        "message": "error",
        "status": status_text,
        "details": [{
            "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
            "errorCode": code,
        }],
    }})
}

fn violation(state: &FcmState, status: StatusCode, body: Value, detail: String) -> Response {
    state.violations.lock().unwrap().push(detail);
    (status, Json(body)).into_response()
}

/// Decodes `application/x-www-form-urlencoded` (enough for this grant).
fn form(body: &[u8]) -> HashMap<String, String> {
    fn decode(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'%' if i + 2 < bytes.len() => {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                    out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                    i += 3;
                }
                b'+' => {
                    out.push(b' ');
                    i += 1;
                }
                b => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

async fn token(State(state): State<Arc<FcmState>>, headers: HeaderMap, body: Bytes) -> Response {
    let invalid = |detail: String| {
        violation(
            &state,
            StatusCode::BAD_REQUEST,
            json!({"error": "invalid_grant", "error_description": detail.clone()}),
            format!("token: {detail}"),
        )
    };
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return invalid(format!("content-type {content_type}"));
    }
    let fields = form(&body);
    let assertion = fields.get("assertion").cloned().unwrap_or_default();
    let jws = parse_jws(&assertion);
    state.assertions.lock().unwrap().push(
        jws.as_ref()
            .map(|j| j.claims.clone())
            .unwrap_or(Value::Null),
    );
    if fields.get("grant_type").map(String::as_str)
        != Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
    {
        return invalid(format!("grant_type {:?}", fields.get("grant_type")));
    }
    let Some(jws) = jws else {
        return invalid("assertion is not a JWS".into());
    };
    if UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &state.public_key)
        .verify(jws.signed.as_bytes(), &jws.signature)
        .is_err()
    {
        return invalid("assertion signature does not verify".into());
    }
    let claims = &jws.claims;
    let now = now(&state.clock);
    let token_uri = state.token_uri.lock().unwrap().clone();
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap_or(0),
        claims["exp"].as_i64().unwrap_or(0),
    );
    let problems = [
        (jws.header["alg"] != "RS256", "alg"),
        (claims["iss"] != CLIENT_EMAIL, "iss"),
        (claims["scope"] != SCOPE, "scope"),
        (claims["aud"] != token_uri.as_str(), "aud"),
        (exp - iat > 3600 || exp <= iat, "exp - iat"),
        ((now - iat).abs() > 300, "iat not fresh"),
        (exp <= now, "expired"),
    ];
    if let Some((_, what)) = problems.iter().find(|(bad, _)| *bad) {
        return invalid(format!("{what}: {claims}"));
    }
    let mut issued = state.issued.lock().unwrap();
    let access = format!("ya29.fake-{}", issued.len() + 1);
    issued.insert(access.clone(), now + TOKEN_LIFETIME);
    Json(json!({
        "access_token": access,
        "expires_in": TOKEN_LIFETIME,
        "token_type": "Bearer",
    }))
    .into_response()
}

async fn send(
    State(state): State<Arc<FcmState>>,
    Path(project): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let bad = |detail: String| {
        violation(
            &state,
            StatusCode::BAD_REQUEST,
            fcm_error(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"),
            format!("send: {detail}"),
        )
    };
    let now = now(&state.clock);
    let access = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("")
        .to_string();
    let live = state
        .issued
        .lock()
        .unwrap()
        .get(&access)
        .is_some_and(|exp| *exp > now);
    if !live {
        return violation(
            &state,
            StatusCode::UNAUTHORIZED,
            json!({"error": {"code": 401, "status": "UNAUTHENTICATED"}}),
            format!("send: access token {access:?} unknown or expired"),
        );
    }
    if project != PROJECT {
        return violation(
            &state,
            StatusCode::FORBIDDEN,
            fcm_error(403, "PERMISSION_DENIED", "SENDER_ID_MISMATCH"),
            format!("send: project {project}"),
        );
    }
    if let Some(text) = leaks(&body, &state.forbidden.lock().unwrap()) {
        return bad(format!("plaintext leaked: {text}"));
    }
    let Ok(json) = serde_json::from_slice::<Value>(&body) else {
        return bad("not JSON".into());
    };
    let message = &json["message"];
    let Some(token) = message["token"].as_str().map(str::to_string) else {
        return bad("no message.token".into());
    };
    if message.get("notification").is_some() || message["android"].get("notification").is_some() {
        return bad("a notification block: data messages only".into());
    }
    let Some(data) = message["data"].as_object() else {
        return bad("no data".into());
    };
    if !data.values().all(Value::is_string) {
        return bad("data values must be strings".into());
    }
    let size: usize = data
        .iter()
        .map(|(k, v)| k.len() + v.as_str().unwrap_or("").len())
        .sum();
    if size > 4096 {
        return bad(format!("data is {size} bytes, over 4096"));
    }
    let android = &message["android"];
    let expected = if data.get("priority").and_then(Value::as_str) == Some("low") {
        "NORMAL"
    } else {
        "HIGH"
    };
    if android["priority"] != expected {
        return bad(format!(
            "android.priority {} (expected {expected})",
            android["priority"]
        ));
    }
    if android["collapse_key"].as_str().unwrap_or("").is_empty() {
        return bad("no android.collapse_key".into());
    }
    let ttl_ok = android["ttl"]
        .as_str()
        .and_then(|t| t.strip_suffix('s'))
        .is_some_and(|n| n.parse::<u64>().is_ok());
    if !ttl_ok {
        return bad(format!("android.ttl {}", android["ttl"]));
    }
    if !data.contains_key("alert") || !(data.contains_key("sealed") || data.contains_key("sync")) {
        return bad(format!("data keys {:?}", data.keys().collect::<Vec<_>>()));
    }
    if state.unregistered.lock().unwrap().contains(&token) {
        return (
            StatusCode::NOT_FOUND,
            Json(fcm_error(404, "NOT_FOUND", "UNREGISTERED")),
        )
            .into_response();
    }
    if let Some(response) = state.script.respond() {
        return response;
    }
    state.accepted.lock().unwrap().push(FcmSend {
        access_token: access,
        message: message.clone(),
    });
    Json(json!({"name": format!("projects/{PROJECT}/messages/0:{}", now)})).into_response()
}
