//! `GET /healthz` (200 only when a write commits and the database's
//! filesystem has room for more; `roster_error` while the last roster
//! reload failed) and `GET /metrics`.

use crate::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;
use std::sync::Arc;

/// How much free space the database's filesystem must have for `/healthz`
/// to say 200, by default: 128 MiB, twice the most request bodies the
/// relay holds at once ([`crate::serve::BODY_BUDGET`]), so the largest
/// group commit, and its WAL checkpoint, fit. A tiny probe write still
/// commits on a disk with a few KB free, where a 2 KB trigger batch fails:
/// the margin is what makes "healthy" mean "an ingest would commit now".
/// [`crate::Relay::min_free_disk`] changes it.
pub const MIN_FREE_DISK: u64 = 128 * 1024 * 1024;

/// Where the database lives and how much room it needs (`/healthz`).
#[derive(Debug, Clone)]
pub struct DiskCheck {
    /// The database file (its filesystem is the one checked).
    pub path: std::path::PathBuf,
    /// Bytes that must be free for the relay to call itself healthy.
    pub min_free: u64,
}

impl DiskCheck {
    /// `Err` naming the shortfall when the filesystem has less than
    /// [`DiskCheck::min_free`] available to the relay (not to root).
    async fn check(&self) -> Result<(), String> {
        let check = self.clone();
        let free = tokio::task::spawn_blocking(move || available_bytes(&check.path))
            .await
            .map_err(|e| format!("could not check free space: {e}"))?
            .map_err(|e| format!("could not check free space: {e}"))?;
        if free < self.min_free {
            return Err(format!(
                "{free} bytes free on the database's filesystem, less than the {} needed to commit",
                self.min_free
            ));
        }
        Ok(())
    }
}

/// Bytes available to unprivileged writers on the filesystem of `path`.
#[cfg(unix)]
fn available_bytes(path: &std::path::Path) -> std::io::Result<u64> {
    let stats = rustix::fs::statvfs(path)?;
    Ok(stats.f_bavail.saturating_mul(stats.f_frsize))
}

/// Elsewhere the check is not made.
#[cfg(not(unix))]
fn available_bytes(_path: &std::path::Path) -> std::io::Result<u64> {
    Ok(u64::MAX)
}

/// `GET /healthz`: commits a tiny write through the writer and checks the
/// database's filesystem has [`MIN_FREE_DISK`] free, so "healthy" means
/// "a 2xx from ingest right now would be true". A 503 has the body of
/// every refusal (`status`, `message`, `errors`).
pub async fn healthz(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let disk = tokio::time::timeout(PROBE_TIMEOUT, state.disk.check()).await;
    // A writer stuck on a dead disk must read as unhealthy, not hang the probe.
    let (field, probe) = match disk {
        Ok(Ok(())) => (
            "store",
            tokio::time::timeout(PROBE_TIMEOUT, state.store.probe())
                .await
                .map(|r| r.map_err(|e| e.to_string())),
        ),
        Ok(Err(short)) => ("disk", Ok(Err(short))),
        Err(_) => (
            "disk",
            Ok(Err("the free-space check did not answer".to_string())),
        ),
    };
    let (message, problem) = match probe {
        Ok(Ok(())) => {
            let mut body = json!({ "status": "ok" });
            if let Some(error) = state.rota.error() {
                // Still healthy: the relay pages with the roster it runs.
                body["roster_error"] = json!(error);
            }
            return (StatusCode::OK, Json(body));
        }
        Ok(Err(e)) => (e.clone(), e),
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
        "errors": [format!("{field}: {problem}")],
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
