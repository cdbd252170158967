//! The push worker: sends the pushes that writes queued in the store's
//! push outbox (one row per alert, step and device, written with the step
//! that fired it), records each result, retries with backoff, and drops a
//! dead token. Rows survive a crash, so a restart sends what was pending.

use super::PushOutcome;
use crate::delivery::Pusher;
use crate::store::{PendingPush, PushSettlement};
use crate::AppState;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Pushes sent concurrently per round.
const BATCH: usize = 64;
/// Attempts before a push is given up (the page is still in the timeline,
/// on the stream and in the next sync; only the notification is lost).
const MAX_ATTEMPTS: u32 = 6;
/// Longest wait between attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// How often to look for retries that came due when nothing wakes us.
const POLL: Duration = Duration::from_millis(500);

/// Runs until `stop` turns true.
pub async fn run(state: Arc<AppState>, pusher: Arc<dyn Pusher>, mut stop: watch::Receiver<bool>) {
    loop {
        if *stop.borrow() {
            return;
        }
        let now = state.clock.now();
        let due = match state.store.due_pushes(now, BATCH).await {
            Ok(due) => due,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the push outbox");
                Vec::new()
            }
        };
        if due.is_empty() {
            tokio::select! {
                _ = state.push_wake.notified() => {}
                _ = tokio::time::sleep(POLL) => {}
                _ = stop.changed() => return,
            }
            continue;
        }
        let sends = due.into_iter().map(|pending| {
            let pusher = pusher.clone();
            async move {
                let result = pusher
                    .push(pending.device.clone(), pending.page.clone())
                    .await;
                (pending, result)
            }
        });
        for (pending, result) in futures_util::future::join_all(sends).await {
            settle(&state, pending, result, now).await;
        }
    }
}

/// The shortest wait before a push is tried again, whatever the provider says.
const MIN_RETRY: Duration = Duration::from_secs(1);

/// `2^attempts` seconds, at most [`MAX_BACKOFF`].
fn backoff(attempts: u32) -> Duration {
    Duration::from_secs(1u64 << attempts.min(6)).min(MAX_BACKOFF)
}

/// How long to wait before attempt `attempts + 1`: the provider's
/// Retry-After when it gave one, else exponential backoff — never below
/// [`MIN_RETRY`] (a `0` or a date already past, from clock skew, must not
/// burn every attempt in a burst) nor above [`MAX_BACKOFF`].
fn retry_wait(after: Option<Duration>, attempts: u32) -> Duration {
    after
        .unwrap_or_else(|| backoff(attempts))
        .clamp(MIN_RETRY, MAX_BACKOFF)
}

/// Records what became of one push: done, retried later with backoff, or
/// its dead token dropped; counts the failures.
async fn settle(state: &AppState, pending: PendingPush, outcome: PushOutcome, now: DateTime<Utc>) {
    let attempts = pending.attempts.saturating_add(1);
    let retry = |after: Option<Duration>| {
        if attempts >= MAX_ATTEMPTS {
            tracing::warn!(alert = %pending.key.alert, device = %pending.key.device, "push given up");
            PushSettlement::Done
        } else {
            let wait = retry_wait(after, attempts);
            PushSettlement::RetryAt(now + chrono::Duration::from_std(wait).unwrap_or_default())
        }
    };
    let settlement = match outcome {
        PushOutcome::Delivered => PushSettlement::Done,
        PushOutcome::Unregistered => {
            state.metrics.push_failed("unregistered");
            tracing::info!(device = %pending.key.device, "push token unregistered; removing it");
            PushSettlement::Unregistered {
                token: pending.device.push_token.clone(),
            }
        }
        PushOutcome::Retry { after } => {
            state.metrics.push_failed("retry");
            retry(after)
        }
        PushOutcome::Failed(reason) => {
            state.metrics.push_failed(&reason);
            retry(None)
        }
    };
    if let Err(e) = state
        .store
        .settle_push(pending.key.clone(), settlement, attempts)
        .await
    {
        tracing::warn!(error = %e, "cannot record a push result");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_waits_honour_the_provider_within_bounds() {
        let secs = Duration::from_secs;
        assert_eq!(retry_wait(Some(secs(30)), 1), secs(30));
        assert_eq!(retry_wait(Some(Duration::ZERO), 1), MIN_RETRY);
        assert_eq!(retry_wait(Some(secs(3600)), 1), MAX_BACKOFF);
        assert_eq!(retry_wait(None, 1), secs(2));
        assert_eq!(retry_wait(None, 3), secs(8));
        assert_eq!(retry_wait(None, 40), MAX_BACKOFF);
    }
}
