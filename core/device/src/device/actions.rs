//! The person's answers to a page: committing an action to the outbox with
//! its local effect at once, delivering the outbox to the relay, and the
//! actions still waiting for it.

use super::{lock, Device};
use crate::client::Credentials;
use crate::error::{Error, Result};
use crate::outbox::{self, Backoff, QueuedAction, Round};
use crate::store::Store;
use klaxon_domain::alert::{Action, AlertStatus};

impl Device {
    /// Commits an action to the outbox (durably, before returning) and
    /// applies its local effect at once: acknowledging or snoozing stops
    /// the ring and quietens the notification, resolving, escalating or
    /// declining stops the ring and removes it. [`Device::sync`] delivers it;
    /// should the relay refuse it while the alert still pages this person
    /// (an escalate with nobody left to page), that sync rings it again.
    /// A snooze must end in the future and within [`klaxon_domain::alert::MAX_SNOOZE`].
    /// An alert this device has never seen (no sync brought it, no page
    /// named it) is [`Error::UnknownAlert`] and nothing is queued.
    pub fn act(&self, alert: &str, action: Action) -> Result<QueuedAction> {
        let creds = self.require_credentials()?;
        if alert.trim().is_empty() {
            return Err(Error::Invalid("no alert id given".into()));
        }
        let now = self.clock.now();
        if let Action::Snooze { until } = &action {
            if *until <= now {
                return Err(Error::Invalid("a snooze must end in the future".into()));
            }
            // The relay would refuse it after act() had already silenced the
            // ring: refuse it here, while the person is still looking.
            if *until - now > klaxon_domain::alert::MAX_SNOOZE {
                return Err(Error::Invalid(format!(
                    "a snooze may last at most {} hours",
                    klaxon_domain::alert::MAX_SNOOZE.num_hours()
                )));
            }
        }
        let (queued, view) = {
            let mut store = lock(&self.store);
            // An alert this device never synced nor received a page of is a
            // mistyped id (or another team's alert): queueing it would say
            // "queued" now and be refused much later, out of sight. Sync
            // first when the alert may be new to this device.
            let view = store
                .synced_alert(alert)?
                .ok_or_else(|| Error::UnknownAlert(alert.to_string()))?;
            let seen = Some(view.revision);
            let queued = outbox::enqueue(
                &mut store,
                alert,
                &creds.enrollment.person,
                action.clone(),
                seen,
                now,
            )?;
            (queued, view)
        };
        // The action is committed: failing the call now would tell the
        // person it was not. The shell stopped the ring already; a row left
        // in the ringing set is settled by the next sync (the action is
        // pending) or by `ringing_alerts`.
        let _ = self.stop_ring(alert);
        match action {
            Action::Acknowledge | Action::Snooze { .. } => {
                let plan = self.plan_for(&view, AlertStatus::Acknowledged)?;
                self.tell(|s| s.update(&plan));
            }
            Action::Resolve | Action::Escalate | Action::Decline => {
                self.tell(|s| s.cancel(alert));
            }
        }
        Ok(queued)
    }

    /// Sends every action due now, one HTTP request at a time, and
    /// records each answer: the outbox's [`Round`] says what is due and
    /// settles the answer; this only carries it over the network. The store
    /// is locked only to read and to record, never across an `.await`, so a
    /// page arriving meanwhile is stored without waiting for the relay.
    /// Returns the actions attempted, as settled.
    pub(super) async fn deliver_outbox(&self, creds: &Credentials) -> Result<Vec<QueuedAction>> {
        let mut round = Round::new(self.clock.now());
        let mut backoff = Backoff::from_os_entropy();
        loop {
            // Bound first: the lock guard must be gone before the await.
            let next = round.next_due(&lock(&self.store))?;
            let Some(action) = next else {
                return Ok(round.finish());
            };
            let answer = self.relay.deliver(creds, &action).await;
            round.settle(&mut lock(&self.store), &action, &answer, &mut backoff)?;
        }
    }

    /// Actions waiting for the relay's final answer, oldest first.
    pub fn pending_actions(&self) -> Result<Vec<QueuedAction>> {
        pending_of(&lock(&self.store))
    }
}

/// The actions in `store` still waiting for the relay's final answer, oldest first.
pub(super) fn pending_of(store: &Store) -> Result<Vec<QueuedAction>> {
    Ok(store
        .queued_actions()?
        .into_iter()
        .filter(|a| a.outcome.is_none())
        .collect())
}

/// The alerts on which the relay just refused an action, each once.
pub(super) fn refused_alerts(delivered: &[QueuedAction]) -> Vec<&str> {
    let mut alerts: Vec<&str> = delivered
        .iter()
        .filter(|a| matches!(a.outcome, Some(outbox::ActionOutcome::Rejected { .. })))
        .map(|a| a.alert.as_str())
        .collect();
    alerts.sort_unstable();
    alerts.dedup();
    alerts
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{critical_page, device_at_t0, enroll_as};
    use crate::error::Error;
    use klaxon_domain::alert::Action;

    #[test]
    fn an_alert_the_device_never_saw_is_refused_and_nothing_is_queued() {
        let dir = tempfile::tempdir().unwrap();
        let device = device_at_t0(dir.path());
        enroll_as(&device, "alice");
        for action in [Action::Acknowledge, Action::Decline, Action::Resolve] {
            let refused = device.act("a1b2-typo", action);
            assert!(
                matches!(&refused, Err(Error::UnknownAlert(id)) if id == "a1b2-typo"),
                "{refused:?}"
            );
        }
        assert!(
            device.pending_actions().unwrap().is_empty(),
            "nothing queued"
        );
        // A page makes the alert known; then the action is queued.
        device.handle_page(&critical_page("a1", 1, 1)).unwrap();
        device.act("a1", Action::Acknowledge).unwrap();
        assert_eq!(device.pending_actions().unwrap().len(), 1);
    }
}
