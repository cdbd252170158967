//! `GET /healthz` (200 only when a write commits; `roster_error` while the
//! last roster reload failed) and `GET /metrics`.

use crate::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;
use std::sync::Arc;

/// `GET /healthz`: commits a tiny write through the writer, so "healthy"
/// means "a 2xx from ingest right now would be true". A 503 has the body
/// of every refusal (`status`, `message`, `errors`).
pub async fn healthz(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    // A writer stuck on a dead disk must read as unhealthy, not hang the probe.
    let (message, problem) = match tokio::time::timeout(PROBE_TIMEOUT, state.store.probe()).await {
        Ok(Ok(())) => {
            let mut body = json!({ "status": "ok" });
            if let Some(error) = state.rota.error() {
                // Still healthy: the relay pages with the roster it runs.
                body["roster_error"] = json!(error);
            }
            return (StatusCode::OK, Json(body));
        }
        Ok(Err(e)) => (e.to_string(), e.to_string()),
        Err(_) => {
            let secs = PROBE_TIMEOUT.as_secs();
            (
                format!("the store did not commit within {secs} s"),
                format!("did not commit within {secs} s"),
            )
        }
    };
    let mut body = json!({
        "status": "unavailable",
        "message": message,
        "errors": [format!("store: {problem}")],
    });
    if let Some(error) = state.rota.error() {
        body["roster_error"] = json!(error);
    }
    (StatusCode::SERVICE_UNAVAILABLE, Json(body))
}

/// How long `/healthz` waits for its probe write to commit.
const PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// `GET /metrics`: the OpenMetrics text exposition ([`crate::metrics`]).
pub async fn metrics(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let pending = state.store.pending_deadlines().await.ok();
    (
        [(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)],
        state.metrics.render(pending),
    )
}
