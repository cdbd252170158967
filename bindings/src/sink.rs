//! The foreign trait the shell implements so core can show and ring pages,
//! and its adapter onto core's `Shell`.

use crate::error::ApiError;
use crate::types::{NotificationPlan, RingLoop};
use std::sync::Arc;

/// Implemented by the app: core calls it to show, change and remove a
/// page's notification and to start and stop its ring loop (acknowledging
/// stops the ring and quietens the notification, for example). Calls come
/// on the thread of the `Pager` call that caused them; return quickly.
#[uniffi::export(with_foreign)]
pub trait NotificationSink: Send + Sync {
    /// Show a new notification exactly as planned (replacing any with the same alert id).
    fn present_notification(&self, plan: NotificationPlan) -> Result<(), ApiError>;
    /// Change the alert's notification (it was acknowledged, escalated ...).
    fn update_notification(&self, plan: NotificationPlan) -> Result<(), ApiError>;
    /// Remove the alert's notification.
    fn cancel_notification(&self, alert: String) -> Result<(), ApiError>;
    /// Start the alert's ring loop as described.
    fn start_ringing(&self, alert: String, ring: RingLoop) -> Result<(), ApiError>;
    /// Stop the alert's ring loop (a no-op when it is not ringing).
    fn stop_ringing(&self, alert: String) -> Result<(), ApiError>;
}

/// Core's `Shell`, forwarded to the foreign sink.
pub(crate) struct SinkAdapter(pub(crate) Arc<dyn NotificationSink>);

fn words(r: Result<(), ApiError>) -> Result<(), String> {
    r.map_err(|e| e.to_string())
}

impl klaxon_device::device::Shell for SinkAdapter {
    fn present(&self, plan: &NotificationPlan) -> Result<(), String> {
        words(self.0.present_notification(plan.clone()))
    }

    fn update(&self, plan: &NotificationPlan) -> Result<(), String> {
        words(self.0.update_notification(plan.clone()))
    }

    fn cancel(&self, alert: &str) -> Result<(), String> {
        words(self.0.cancel_notification(alert.to_string()))
    }

    fn start_ringing(&self, alert: &str, ring: &RingLoop) -> Result<(), String> {
        words(self.0.start_ringing(alert.to_string(), ring.clone()))
    }

    fn stop_ringing(&self, alert: &str) -> Result<(), String> {
        words(self.0.stop_ringing(alert.to_string()))
    }
}
