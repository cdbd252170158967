//! After a write commits: deliver the pages it fired to connected streams
//! at once, wake the push worker for the pushes the write queued, tell
//! streams what changed, count it all, and wake the escalator in case a new
//! deadline is now the first. Also the APNs/FCM gateway as a [`Pusher`].

use crate::hub::HubMessage;
use crate::store::{Device, Effects, Fired};
use crate::AppState;
use klaxon_domain::wire::Page;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// What a push attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushResult {
    /// The provider accepted it.
    Delivered,
    /// The token is dead: forget it.
    Unregistered,
    /// The provider asks to try again (after this long, if it said).
    Retry(Option<std::time::Duration>),
    /// It failed; the reason labels the failure metric.
    Failed(String),
}

/// Sends one sealed page to one device through its push provider. The
/// APNs/FCM gateway implements it; tests implement it with a recorder.
pub trait Pusher: Send + Sync + 'static {
    /// Pushes `page` to `device` (which has a push token).
    fn push(
        &self,
        device: Device,
        page: Page,
    ) -> Pin<Box<dyn Future<Output = PushResult> + Send + 'static>>;
}

/// The page a step sends, from the alert as it stands after the step.
pub fn page_for(fired: &Fired, step_seq: u32, roster: &klaxon_domain::Roster) -> Page {
    page_of(&fired.alert, &fired.details, step_seq, roster)
}

/// The status-update push of an alert that moved on (acknowledged,
/// resolved, or escalated past the device's person): the alert as it
/// stands now, at its latest step, marked so the phone never rings for it
/// (docs/push.md, "Status updates").
pub fn status_page_for(
    alert: &klaxon_domain::Alert,
    details: &klaxon_domain::wire::AlertDetails,
    roster: &klaxon_domain::Roster,
) -> Page {
    Page {
        status_update: true,
        ..page_of(alert, details, latest_step_seq(alert), roster)
    }
}

/// The `step_seq` of the alert's latest firing (0 before any).
pub fn latest_step_seq(alert: &klaxon_domain::Alert) -> u32 {
    alert
        .timeline
        .entries()
        .iter()
        .rev()
        .find_map(|entry| match &entry.event {
            klaxon_domain::alert::Event::Notified { step_seq, .. } => Some(*step_seq),
            _ => None,
        })
        .unwrap_or(0)
}

fn page_of(
    alert: &klaxon_domain::Alert,
    details: &klaxon_domain::wire::AlertDetails,
    step_seq: u32,
    roster: &klaxon_domain::Roster,
) -> Page {
    let service = roster.service(&alert.service);
    Page {
        alert: alert.id.clone(),
        step_seq,
        service: alert.service.clone(),
        service_name: service.map_or_else(|| alert.service.clone(), |s| s.name.clone()),
        dedup_key: alert.dedup_key.clone(),
        summary: alert.summary.clone(),
        priority: alert.priority,
        status: alert.status,
        revision: alert.timeline.revision(),
        runbook: details
            .runbook
            .clone()
            .or_else(|| service.and_then(|s| s.runbook.clone())),
        status_update: false,
    }
}

/// Acts on a committed write's effects.
pub async fn deliver(state: &Arc<AppState>, effects: Effects) {
    for secs in &effects.ack_seconds {
        state.metrics.acknowledged_after(*secs);
    }
    for secs in &effects.lag_seconds {
        state.metrics.escalation_lag(*secs);
    }
    if let Some(due) = effects.earliest_deadline_ms {
        // Wake the escalator only if it plans to sleep past this deadline.
        if due
            < state
                .escalator_wake_ms
                .load(std::sync::atomic::Ordering::Acquire)
        {
            state.escalator.notify_one();
        }
    }
    for fired in &effects.fired {
        for step in &fired.pages {
            let page = page_for(fired, step.step_seq, &state.roster);
            tracing::info!(
                alert = %page.alert, step_seq = step.step_seq, people = ?step.people,
                priority = %page.priority, "paging"
            );
            state.metrics.pages_sent(step.people.len() as u64);
            if step.people.is_empty() {
                continue;
            }
            let event = klaxon_domain::wire::StreamEvent::Page { page: page.clone() };
            let frame = crate::devices::stream::frame("page", &event);
            state.hub.publish(HubMessage::Page {
                people: step.people.clone(),
                page: page.clone(),
                frame,
            });
        }
    }
    if effects.pushes_queued {
        state.push_wake.notify_one();
    }
    if !effects.changed_services.is_empty() {
        state.hub.publish(HubMessage::Changed {
            services: effects.changed_services,
            cursor: effects.cursor,
        });
    }
}

/// The APNs/FCM gateway as a [`Pusher`].
#[derive(Debug, Clone)]
pub struct GatewayPusher(pub Arc<crate::push::PushGateway>);

impl Pusher for GatewayPusher {
    /// Seals the page JSON to the device's X25519 key and sends it through
    /// APNs or FCM; retries are the push worker's (`push_queue`).
    fn push(
        &self,
        device: Device,
        page: Page,
    ) -> Pin<Box<dyn Future<Output = PushResult> + Send + 'static>> {
        let gateway = self.0.clone();
        Box::pin(async move {
            let target = match (device.push_platform, device.push_token) {
                (Some(klaxon_domain::wire::PushPlatform::Apns), Some(token)) => {
                    crate::push::PushTarget::Apns { token }
                }
                (Some(klaxon_domain::wire::PushPlatform::Fcm), Some(token)) => {
                    crate::push::PushTarget::Fcm { token }
                }
                _ => return PushResult::Failed("no_token".into()),
            };
            let Ok(json) = serde_json::to_vec(&page) else {
                return PushResult::Failed("encode".into());
            };
            let Ok(sealed) = klaxon_crypto::seal(&device.sealing_key, &json) else {
                return PushResult::Failed("seal".into());
            };
            let message = crate::push::PushMessage {
                // The alert id travels in clear: it is all a "sync needed"
                // push (a page over 4 KB) carries, and the lock-screen text
                // is derived from the priority inside the push module.
                alert: page.alert.clone(),
                // One notification per alert: each escalation step's push
                // replaces (and re-alerts) the previous one instead of piling
                // up; the phone dedupes rings on (alert, step_seq) itself.
                collapse_id: page.alert.clone(),
                priority: page.priority,
                // A status update replaces the ringing notification
                // silently (same collapse id) instead of paging again.
                status_update: page.status_update,
                sealed,
            };
            match gateway.send(&target, &message).await {
                crate::push::PushOutcome::Delivered => PushResult::Delivered,
                crate::push::PushOutcome::Unregistered => PushResult::Unregistered,
                crate::push::PushOutcome::Retry { after } => PushResult::Retry(after),
                crate::push::PushOutcome::Failed(reason) => {
                    tracing::warn!(%reason, "push failed");
                    PushResult::Failed("failed".into())
                }
            }
        })
    }
}
