//! After a write commits, act on what it committed: publish each plan's
//! pages to connected streams at once, wake the push worker for the push
//! rows the write queued, tell streams which services changed, count it
//! all, and wake the escalator in case a new deadline is now the first.
//! Nothing here decides or builds a page: the committed plans say it all.
//! Also how pages leave as pushes: the [`Pusher`] the push worker calls,
//! and the APNs/FCM gateway as one.

use crate::hub::HubMessage;
use crate::push::PushOutcome;
use crate::routing::PlannedPage;
use crate::store::{Committed, Device};
use crate::AppState;
use klaxon_domain::wire::{Page, StreamEvent};
use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Sends one sealed page to one device through its push provider. The
/// APNs/FCM gateway implements it; tests implement it with a recorder.
pub trait Pusher: Send + Sync + 'static {
    /// Pushes `page` to `device` (which has a push token).
    fn push(
        &self,
        device: Device,
        page: Page,
    ) -> Pin<Box<dyn Future<Output = PushOutcome> + Send + 'static>>;
}

/// Acts on a committed write. Call it only once the write's future has
/// resolved (the commit is durable): a page must never go out before it.
pub async fn deliver(state: &Arc<AppState>, committed: Committed) {
    let mut earliest_deadline: Option<i64> = None;
    let mut changed_services = HashSet::new();
    for plan in committed.plans {
        if let Some(secs) = plan.ack_seconds {
            state.metrics.acknowledged_after(secs);
        }
        if let Some(secs) = plan.lag_seconds {
            state.metrics.escalation_lag(secs);
        }
        if let Some(due) = plan.deadline_ms {
            earliest_deadline = Some(earliest_deadline.map_or(due, |e| e.min(due)));
        }
        changed_services.insert(plan.alert.service);
        for planned in plan.pages {
            publish(state, planned);
        }
    }
    if let Some(due) = earliest_deadline {
        // Wake the escalator only if it plans to sleep past this deadline.
        if due < state.escalator_wake_ms.load(Ordering::Acquire) {
            state.escalator.notify_one();
        }
    }
    if committed.pushes_queued {
        state.push_wake.notify_one();
    }
    if !changed_services.is_empty() {
        state.hub.publish(HubMessage::Changed {
            services: changed_services,
            cursor: committed.cursor,
        });
    }
}

/// Rings the connected devices of the page's people (the stream frame is
/// built once and shared by every subscriber); warns about and counts the
/// people the step could not reach.
fn publish(
    state: &AppState,
    PlannedPage {
        page,
        people,
        unreachable,
    }: PlannedPage,
) {
    if !unreachable.is_empty() {
        // Nobody else notices: the page "went out", to no phone.
        tracing::warn!(
            alert = %page.alert, step_seq = page.step_seq, people = ?unreachable,
            "cannot page: no enrolled device"
        );
        state.metrics.unreachable(unreachable.len() as u64);
    }
    if page.renotify > 0 {
        tracing::info!(
            alert = %page.alert, step_seq = page.step_seq, people = ?people,
            count = page.renotify, "re-notifying"
        );
        state.metrics.renotified(people.len() as u64);
    } else {
        tracing::info!(
            alert = %page.alert, step_seq = page.step_seq, people = ?people,
            priority = %page.priority, "paging"
        );
        state.metrics.pages_sent(people.len() as u64);
    }
    if people.is_empty() {
        return;
    }
    let event = StreamEvent::Page { page: page.clone() };
    let frame = crate::devices::stream::frame("page", &event);
    state.hub.publish(HubMessage::Page {
        people,
        page,
        frame,
    });
}

/// The APNs/FCM gateway as a [`Pusher`].
#[derive(Debug, Clone)]
pub struct GatewayPusher(pub Arc<crate::push::PushGateway>);

impl Pusher for GatewayPusher {
    /// Seals the page JSON to the device's X25519 key and sends it through
    /// APNs or FCM; retries are the push worker's ([`crate::push::worker`]).
    fn push(
        &self,
        device: Device,
        page: Page,
    ) -> Pin<Box<dyn Future<Output = PushOutcome> + Send + 'static>> {
        let gateway = self.0.clone();
        Box::pin(async move {
            let target = match (device.push_platform, device.push_token) {
                (Some(klaxon_domain::wire::PushPlatform::Apns), Some(token)) => {
                    crate::push::PushTarget::Apns { token }
                }
                (Some(klaxon_domain::wire::PushPlatform::Fcm), Some(token)) => {
                    crate::push::PushTarget::Fcm { token }
                }
                _ => return PushOutcome::Failed("no_token".into()),
            };
            let Ok(json) = serde_json::to_vec(&page) else {
                return PushOutcome::Failed("encode".into());
            };
            let Ok(sealed) = klaxon_crypto::seal(&device.sealing_key, &json) else {
                return PushOutcome::Failed("seal".into());
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
                PushOutcome::Failed(reason) => {
                    // The reason goes to the log; the metric label stays
                    // one word, so its cardinality stays bounded.
                    tracing::warn!(%reason, "push failed");
                    PushOutcome::Failed("failed".into())
                }
                outcome => outcome,
            }
        })
    }
}
