//! `GET /v1/stream`: server-sent events for a connected device — `page`
//! (ring now) for its person, `changed` (sync from your cursor) for its
//! teams' services. Ends when the relay shuts down.

use super::AuthenticatedDevice;
use crate::hub::HubMessage;
use crate::metrics::Metrics;
use crate::AppState;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::Extension;
use futures_util::stream::{self, Stream};
use klaxon_core::wire::StreamEvent;
use std::collections::HashSet;
use std::convert::Infallible;
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

struct Subscriber {
    rx: broadcast::Receiver<Arc<HubMessage>>,
    closing: watch::Receiver<bool>,
    person: String,
    services: Arc<HashSet<String>>,
    metrics: Arc<Metrics>,
    _connected: Connected,
}

fn event(e: &StreamEvent) -> Event {
    let name = match e {
        StreamEvent::Page { .. } => "page",
        StreamEvent::Changed { .. } => "changed",
    };
    Event::default()
        .event(name)
        .json_data(e)
        .unwrap_or_else(|_| Event::default().event(name))
}

impl Subscriber {
    /// The next event for this device, or `None` at shutdown.
    async fn next(&mut self) -> Option<Event> {
        loop {
            if *self.closing.borrow() {
                return None;
            }
            let message = tokio::select! {
                m = self.rx.recv() => m,
                _ = self.closing.changed() => return None,
            };
            match message {
                Ok(m) => match m.as_ref() {
                    HubMessage::Page { people, json, .. } if people.contains(&self.person) => {
                        self.metrics.stream_delivered(1);
                        return Some(Event::default().event("page").data(json.as_ref()));
                    }
                    HubMessage::Changed { services, cursor }
                        if !services.is_disjoint(&self.services) =>
                    {
                        return Some(event(&StreamEvent::Changed { cursor: *cursor }));
                    }
                    _ => {}
                },
                // Too slow to keep up: it missed messages, so it must sync.
                Err(RecvError::Lagged(_)) => {
                    return Some(event(&StreamEvent::Changed { cursor: 0 }));
                }
                Err(RecvError::Closed) => return None,
            }
        }
    }
}

/// `GET /v1/stream`.
pub async fn stream(
    State(state): State<Arc<AppState>>,
    Extension(AuthenticatedDevice(device)): Extension<AuthenticatedDevice>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    state.metrics.stream_clients(1);
    let subscriber = Subscriber {
        rx: state.hub.subscribe(),
        closing: state.hub.closing(),
        services: state.teams.services_of(&device.person),
        person: device.person,
        metrics: state.metrics.clone(),
        _connected: Connected(state.metrics.clone()),
    };
    let hello = stream::once(async { Ok(Event::default().comment("connected")) });
    let events = stream::unfold(subscriber, |mut s| async move {
        s.next().await.map(|e| (Ok(e), s))
    });
    Sse::new(futures_util::StreamExt::chain(hello, events))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
