//! Local stand-ins for Apple's and Google's push gateways that enforce the
//! real wire rules (JWT signatures checked with the public key, required
//! headers, payload limits, no plaintext) and record what they were sent.
//! Shared by the relay's push tests and the end-to-end phone tests.

pub mod apns;
pub mod fcm;
pub mod push;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use klaxon_domain::{Clock, ManualClock};
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// A response the test tells a fake to give instead of its normal answer.
#[derive(Debug, Clone)]
pub struct Scripted {
    /// HTTP status.
    pub status: StatusCode,
    /// `Retry-After` header value, if any.
    pub retry_after: Option<String>,
    /// JSON body.
    pub body: Value,
}

/// Queue of scripted answers, consumed one per request.
#[derive(Debug, Default)]
pub struct Script(Mutex<VecDeque<Scripted>>);

impl Script {
    pub fn push(&self, answer: Scripted) {
        self.0.lock().unwrap().push_back(answer);
    }
    pub fn next(&self) -> Option<Scripted> {
        self.0.lock().unwrap().pop_front()
    }
    /// The next scripted answer as the fake's response (status, JSON body
    /// and `Retry-After`), or `None` when the fake should answer normally.
    pub fn respond(&self) -> Option<Response> {
        let answer = self.next()?;
        let mut response = (answer.status, Json(answer.body)).into_response();
        if let Some(after) = answer.retry_after {
            response
                .headers_mut()
                .insert("retry-after", after.parse().unwrap());
        }
        Some(response)
    }
}

/// A compact JWS split into its parts.
#[derive(Debug, Clone)]
pub struct Jws {
    pub header: Value,
    pub claims: Value,
    /// `header.claims`, the bytes the signature covers.
    pub signed: String,
    pub signature: Vec<u8>,
}

/// Splits and decodes a compact JWS; `None` if it is not one.
pub fn parse_jws(token: &str) -> Option<Jws> {
    let mut parts = token.split('.');
    let (h, c, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    Some(Jws {
        header: serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).ok()?).ok()?,
        claims: serde_json::from_slice(&URL_SAFE_NO_PAD.decode(c).ok()?).ok()?,
        signed: format!("{h}.{c}"),
        signature: URL_SAFE_NO_PAD.decode(s).ok()?,
    })
}

/// A clock shared by the client under test and the fake, so "fresh" means
/// the same thing on both sides.
pub fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(
        DateTime::parse_from_rfc3339("2026-03-01T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc),
    ))
}

/// Binds a loopback port and serves `app` (HTTP/1.1 and h2c) in the background.
pub async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    format!("http://{addr}")
}

/// Whether `haystack` contains any of the forbidden plaintext strings.
pub fn leaks(haystack: &[u8], forbidden: &[String]) -> Option<String> {
    let text = String::from_utf8_lossy(haystack);
    forbidden
        .iter()
        .find(|f| !f.is_empty() && text.contains(f.as_str()))
        .cloned()
}

/// Now, from a shared clock.
pub fn now(clock: &Arc<dyn Clock>) -> i64 {
    clock.now().timestamp()
}
