//! The stream hub: every connected device stream subscribes here and picks
//! out what concerns it — pages for its person, change hints for its
//! teams' services. One broadcast channel; each subscriber filters.

use klaxon_domain::wire::Page;
use std::collections::HashSet;
use std::sync::Arc;
use tokio::sync::{broadcast, watch};

/// Messages older than this many are dropped for a slow subscriber, which
/// then resyncs (it is told through a `changed` event).
const CAPACITY: usize = 8192;

/// What the hub carries.
#[derive(Debug, Clone)]
pub enum HubMessage {
    /// Ring these people's connected devices.
    Page {
        /// Person ids paged.
        people: Vec<String>,
        /// The page.
        page: Page,
        /// The whole SSE frame (`event: page`, `data: …`), built once and
        /// shared by every subscriber (a reference-counted buffer).
        frame: axum::body::Bytes,
    },
    /// Alerts of these services changed up to `cursor`.
    Changed {
        /// Services touched.
        services: HashSet<String>,
        /// The newest cursor.
        cursor: u64,
    },
}

/// The broadcast point, plus the signal that ends every stream at shutdown.
#[derive(Debug)]
pub struct Hub {
    /// Every stream's subscription; messages are shared, never copied.
    sender: broadcast::Sender<Arc<HubMessage>>,
    /// Turns true at shutdown.
    closing: watch::Sender<bool>,
}

impl Default for Hub {
    fn default() -> Hub {
        let (sender, _) = broadcast::channel(CAPACITY);
        let (closing, _) = watch::channel(false);
        Hub { sender, closing }
    }
}

impl Hub {
    /// Sends to every subscriber (none connected is fine).
    pub fn publish(&self, message: HubMessage) {
        let _ = self.sender.send(Arc::new(message));
    }

    /// A new subscription.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<HubMessage>> {
        self.sender.subscribe()
    }

    /// Resolves when the relay shuts down (streams end so the graceful
    /// shutdown does not wait on them forever).
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }

    /// Ends every stream.
    pub fn close(&self) {
        let _ = self.closing.send(true);
    }
}
