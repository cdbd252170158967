//! `GET /v1/stream`: server-sent events for a connected device — first
//! `hello` (the relay's roster version), then `page` (ring now) for its
//! person, `changed` (sync from your cursor) for its teams' services. Ends when the relay shuts down. Frames are written as
//! bytes built once per page and shared by all subscribers, because one
//! page to a person with many devices fans out to every one of them.

use super::AuthenticatedDevice;
use crate::hub::HubMessage;
use crate::metrics::Metrics;
use crate::AppState;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::Response;
use axum::Extension;
use futures_util::stream;
use klaxon_domain::wire::{StreamEvent, StreamHello};
use std::collections::HashSet;
use std::convert::Infallible;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, watch};

/// Counts the stream as connected while it lives.
struct Connected(Arc<Metrics>);

impl Drop for Connected {
    fn drop(&mut self) {
        self.0.stream_clients(-1);
    }
}

/// One open stream: its hub subscription, filtered for its device.
struct Subscriber {
    /// The hub's messages.
    rx: broadcast::Receiver<Arc<HubMessage>>,
    /// Turns true at shutdown: the stream ends.
    closing: watch::Receiver<bool>,
    /// Pages for this person ring this device.
    person: String,
    /// Change hints for these services reach it.
    services: Arc<HashSet<String>>,
    /// Counts the pages delivered.
    metrics: Arc<Metrics>,
    /// When to send a keep-alive if nothing else was written by then.
    keep_alive_at: tokio::time::Instant,
    _connected: Connected,
}

/// How often an idle stream gets a comment line, so proxies and clients
/// see it is alive.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// One SSE frame: `event: NAME`, `data: JSON`, blank line. serde_json
/// never writes a raw newline, so the JSON fits one `data:` line.
pub fn frame(name: &str, event: &StreamEvent) -> Bytes {
    let json = serde_json::to_string(event).unwrap_or_else(|_| "{}".into());
    let mut out = String::with_capacity(json.len() + name.len() + 16);
    let _ = write!(out, "event: {name}\ndata: {json}\n\n");
    Bytes::from(out)
}

/// The `hello` frame a stream opens with: the relay's roster version, so a
/// device holding another one fetches the roster again.
fn hello(roster_version: &str) -> Bytes {
    let hello = StreamHello {
        roster_version: roster_version.to_string(),
    };
    let json = serde_json::to_string(&hello).unwrap_or_else(|_| "{}".into());
    Bytes::from(format!("event: hello\ndata: {json}\n\n"))
}

/// A `changed` frame: sync past `cursor`.
fn changed(cursor: u64) -> Bytes {
    frame("changed", &StreamEvent::Changed { cursor })
}

impl Subscriber {
    /// The next frame for this device, or `None` at shutdown.
    async fn next(&mut self) -> Option<Bytes> {
        loop {
            if *self.closing.borrow() {
                return None;
            }
            let message = tokio::select! {
                m = self.rx.recv() => m,
                _ = self.closing.changed() => return None,
                _ = tokio::time::sleep_until(self.keep_alive_at) => {
                    self.keep_alive_at = tokio::time::Instant::now() + KEEP_ALIVE;
                    return Some(Bytes::from_static(b": keep-alive\n\n"));
                }
            };
            match message {
                Ok(m) => match m.as_ref() {
                    HubMessage::Page { people, frame, .. } if people.contains(&self.person) => {
                        self.metrics.stream_delivered(1);
                        self.keep_alive_at = tokio::time::Instant::now() + KEEP_ALIVE;
                        return Some(frame.clone());
                    }
                    HubMessage::Changed { services, cursor }
                        if !services.is_disjoint(&self.services) =>
                    {
                        return Some(changed(*cursor));
                    }
                    _ => {}
                },
                // Too slow to keep up: it missed messages, so it must sync.
                Err(RecvError::Lagged(_)) => return Some(changed(0)),
                Err(RecvError::Closed) => return None,
            }
        }
    }
}

/// `GET /v1/stream`.
pub async fn stream(
    State(state): State<Arc<AppState>>,
    Extension(AuthenticatedDevice(device)): Extension<AuthenticatedDevice>,
) -> Response {
    state.metrics.stream_clients(1);
    let subscriber = Subscriber {
        rx: state.hub.subscribe(),
        closing: state.hub.closing(),
        services: state.live().teams.services_of(&device.person),
        person: device.person,
        metrics: state.metrics.clone(),
        keep_alive_at: tokio::time::Instant::now() + KEEP_ALIVE,
        _connected: Connected(state.metrics.clone()),
    };
    let hello = hello(&state.roster().version);
    let hello = stream::once(async { Ok::<Bytes, Infallible>(hello) });
    let events = stream::unfold(subscriber, |mut s| async move {
        s.next().await.map(|e| (Ok(e), s))
    });
    let body = Body::from_stream(futures_util::StreamExt::chain(hello, events));
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-cache"),
    );
    response
}
