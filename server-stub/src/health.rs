//! `GET /healthz` (200 only when a write commits) and `GET /metrics`.

use crate::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;
use std::sync::Arc;

/// `GET /healthz`: commits a tiny write through the writer, so "healthy"
/// means "a 2xx from ingest right now would be true".
pub async fn healthz(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    // A writer stuck on a dead disk must read as unhealthy, not hang the probe.
    match tokio::time::timeout(PROBE_TIMEOUT, state.store.probe()).await {
        Ok(Ok(())) => (StatusCode::OK, Json(json!({ "status": "ok" }))),
        Ok(Err(e)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "message": e.to_string() })),
        ),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(
                json!({ "status": "unavailable", "message": "the store did not commit within 5 s" }),
            ),
        ),
    }
}

/// How long `/healthz` waits for its probe write to commit.
const PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// `GET /metrics`: the Prometheus text format.
pub async fn metrics(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let pending = state.store.pending_deadlines().await.ok();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(pending),
    )
}
