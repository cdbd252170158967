//! The escalation timer: one task that sleeps until the earliest deadline
//! row, claims the due rows, runs core's engine on each (paging whoever is
//! on call at that instant) and delivers the pages. Writes that may add an
//! earlier deadline wake it; a restart simply finds the rows again.

use crate::delivery;
use crate::AppState;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Deadlines claimed per transaction: bounded so a backlog (100,000 alerts
/// due after a long outage) commits in steps and ingest keeps flowing.
const CLAIM_BATCH: usize = 512;

/// Longest sleep without looking again: covers a wall clock that jumped.
const MAX_IDLE: Duration = Duration::from_secs(5);

/// `escalator_wake_ms` while a pass is under way (and before the first):
/// later than any deadline, so every write with a deadline wakes it.
pub const WORKING: i64 = i64::MAX;

/// Runs until `stop` turns true.
pub async fn run(state: Arc<AppState>, mut stop: watch::Receiver<bool>) {
    loop {
        if *stop.borrow() {
            return;
        }
        // While working, every new deadline is "earlier than planned"
        // (i64::MAX is later than any): a write committed meanwhile wakes
        // the escalator (the notification waits for its next sleep), so a
        // deadline set after it read the next one is not missed.
        state.escalator_wake_ms.store(WORKING, Ordering::Release);
        let now = state.clock.now();
        match state.store.fire_due(state.roster(), now, CLAIM_BATCH).await {
            Ok(effects) => delivery::deliver(&state, effects).await,
            Err(e) => {
                tracing::error!(error = %e, "escalation step failed; retrying in 1 s");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = stop.changed() => return,
                }
                continue;
            }
        }
        let wait = match state.store.next_deadline().await {
            Ok(Some(at)) => (at - state.clock.now())
                .to_std()
                .unwrap_or(Duration::ZERO)
                .min(MAX_IDLE),
            Ok(None) => MAX_IDLE,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the next deadline");
                Duration::from_secs(1)
            }
        };
        if wait.is_zero() {
            // More is due (a backlog larger than one claim): go on, but let
            // the HTTP tasks run between claims.
            tokio::task::yield_now().await;
            continue;
        }
        let wake_at = state.clock.now().timestamp_millis()
            + i64::try_from(wait.as_millis()).unwrap_or(i64::MAX / 2);
        state.escalator_wake_ms.store(wake_at, Ordering::Release);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = state.escalator.notified() => {}
            _ = stop.changed() => return,
        }
    }
}
