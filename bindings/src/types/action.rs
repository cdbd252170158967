//! The person's answers to a page (acknowledge, escalate, ...) as the
//! outbox holds them until the relay confirms them.

use super::time;
use klaxon_device::outbox::{ActionOutcome, QueuedAction};
use std::time::SystemTime;

/// One of this device's actions that the relay has not confirmed yet (or
/// has just answered, in a `SyncReport`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct QueuedActionInfo {
    /// The idempotency key.
    pub key: String,
    /// The alert acted on.
    pub alert: String,
    /// `acknowledge`, `escalate`, `decline`, `resolve` or `snooze`.
    pub action: String,
    /// `queued`, `applied` or `rejected`.
    pub status: String,
    /// Why it was rejected, or why the last attempt failed.
    pub reason: Option<String>,
    /// When the person acted.
    pub created_at: SystemTime,
    /// Delivery attempts so far.
    pub attempts: u32,
}

impl From<QueuedAction> for QueuedActionInfo {
    fn from(a: QueuedAction) -> QueuedActionInfo {
        // One reason for the shells: the relay's verdict when there is
        // one, else the last delivery error.
        let reason = match &a.outcome {
            Some(ActionOutcome::Rejected { reason }) => Some(reason.clone()),
            Some(ActionOutcome::Expired { last_error }) => Some(last_error.clone()),
            _ => a.last_error.clone(),
        };
        QueuedActionInfo {
            key: a.key.to_string(),
            alert: a.alert.clone(),
            action: a.action.verb().to_string(),
            status: a.status().to_string(),
            reason,
            created_at: time(a.created_at),
            attempts: a.attempts,
        }
    }
}
