//! What the shell is told to show and ring, and when a ring stops: the
//! durable set of alerts ringing now (resumed by a restarted shell), the
//! plan for an alert in a given state, and the decisions after a page, a
//! refused action or a sync.

use super::alerts::paged_at_current_step;
use super::sync::missed_page;
use super::{lock, Device, Shell};
use crate::client::Credentials;
use crate::error::Result;
use crate::outbox::{ActionOutcome, QueuedAction};
use crate::page::{Delivery, Page};
use klaxon_domain::alert::{Action, AlertStatus};
use klaxon_domain::notify::{self, NotificationPlan, PageContent, RingLoop};
use klaxon_domain::wire::AlertView;

impl Device {
    /// Tells the shell what a received page means and returns the plan
    /// shown (`None`: a repeat, nothing shown). `known` is the alert's
    /// stored view from before the page: a page older than a non-triggered
    /// state already stored never rings.
    pub(super) fn ring_for_page(
        &self,
        page: &Page,
        delivery: Delivery,
        known: Option<AlertView>,
    ) -> Result<Option<NotificationPlan>> {
        // A page older than a non-triggered state already stored (the
        // acknowledgement synced before this push arrived) never rings: the
        // stored state is what the alert is.
        let newer = known
            .filter(|view| view.revision > page.revision && view.status != AlertStatus::Triggered);
        let quiet = page.status != AlertStatus::Triggered || page.status_update;
        let plan = match delivery {
            Delivery::Duplicate => {
                // A repeat changes nothing; but if this process still
                // rings the alert, a repeated "it moved on" stops it.
                if (quiet || newer.is_some()) && self.is_ringing(&page.alert)? {
                    self.stop_ring(&page.alert)?;
                }
                return Ok(None);
            }
            Delivery::Show(plan) => *plan,
        };
        if let Some(view) = newer {
            let plan = self.plan_for(&view, view.status)?;
            self.stop_ring(&page.alert)?;
            if view.status == AlertStatus::Resolved {
                self.tell(|s| s.cancel(&page.alert));
            } else {
                self.tell(|s| s.update(&plan));
            }
            return Ok(Some(plan));
        }
        match page.status {
            AlertStatus::Triggered if !page.status_update => self.present_and_ring(&plan)?,
            // Escalated to other people (still triggered, the plan is
            // silenced) or acknowledged: stop, and show it quietly.
            AlertStatus::Triggered | AlertStatus::Acknowledged => {
                self.stop_ring(&plan.alert)?;
                self.tell(|s| s.update(&plan));
            }
            AlertStatus::Resolved => {
                self.stop_ring(&plan.alert)?;
                self.tell(|s| s.cancel(&plan.alert));
            }
        }
        Ok(Some(plan))
    }

    /// After the relay refused an action (an escalate with nobody left to
    /// page, an acknowledgement that lost a race it may still owe), the
    /// alert may still be triggered and paging this person — but `act`
    /// silenced it when it was tapped. Ring again, unless another action
    /// is queued on it or it already rings. Returns the plan it presented.
    pub(super) fn ring_again_after_refusal(
        &self,
        alert: &str,
        pending: &[QueuedAction],
        creds: &Credentials,
    ) -> Result<Option<NotificationPlan>> {
        if pending.iter().any(|a| a.alert == alert) || self.is_ringing(alert)? {
            return Ok(None);
        }
        let Some(view) = lock(&self.store).synced_alert(alert)? else {
            return Ok(None);
        };
        if missed_page(&view, &creds.enrollment.person).is_none() {
            return Ok(None);
        }
        let plan = self.plan_for(&view, AlertStatus::Triggered)?;
        self.present_and_ring(&plan)?;
        Ok(Some(plan))
    }

    /// Shows a triggered page and starts its ring loop, if it has one,
    /// recording it in the durable ringing set ([`Device::ringing_alerts`]).
    /// The shell is told first: a store that fails must not keep a page
    /// from ringing.
    pub(super) fn present_and_ring(&self, plan: &NotificationPlan) -> Result<()> {
        self.tell(|s| s.present(plan));
        if let Some(ring) = &plan.ring {
            self.tell(|s| s.start_ringing(&plan.alert, ring));
            if self.has_shell() {
                self.note_live_ring(&plan.alert, ring);
            }
            lock(&self.store).start_ringing(plan, self.clock.now())?;
        }
        Ok(())
    }

    /// A re-notification (`Page::renotify` ≥ 1) of a step whose page this
    /// device already received (`step_received`: when; `None` when this
    /// re-notification was handled before, by stream or push, or the step
    /// was superseded). A phone still ringing for the alert keeps ringing
    /// and shows nothing new; one whose ring stopped — silenced, its limit
    /// ran out, the OS killed it, or (iOS) a push's sound that played once —
    /// presents and rings the page again, unless the alert is settled or
    /// moved past the step as stored, or this device answered it (an
    /// action queued, or applied since the step's page arrived).
    pub(super) fn ring_for_renotify(
        &self,
        page: &Page,
        step_received: Option<chrono::DateTime<chrono::Utc>>,
        known: Option<AlertView>,
    ) -> Result<Option<NotificationPlan>> {
        let Some(step_received) = step_received else {
            return Ok(None);
        };
        if self.rings_now(&page.alert)? {
            return Ok(None);
        }
        if let Some(view) = &known {
            let settled = view.status != AlertStatus::Triggered && view.revision >= page.revision;
            let moved_on = view
                .latest_step()
                .is_some_and(|(seq, _)| seq > page.step_seq);
            if settled || moved_on {
                return Ok(None);
            }
        }
        let answered = lock(&self.store)
            .queued_actions()?
            .into_iter()
            .filter(|a| a.alert == page.alert)
            .any(|a| match a.outcome {
                None => true,
                Some(ActionOutcome::Applied | ActionOutcome::AlreadyDone) => {
                    a.created_at >= step_received
                }
                Some(_) => false,
            });
        if answered {
            return Ok(None);
        }
        let settings = self.settings()?;
        let plan = notify::plan(&page.content(), &settings);
        self.present_and_ring(&plan)?;
        Ok(Some(plan))
    }

    /// Whether this process's shell rings `alert` now: core started its
    /// ring (or handed it to a restarted shell through
    /// [`Device::ringing_alerts`]), nothing stopped it, its ring limit has
    /// not run out, and the durable set still holds it (another process on
    /// the state directory may have answered it).
    pub(super) fn rings_now(&self, alert: &str) -> Result<bool> {
        let until = self.live_rings().get(alert).copied();
        let live = match until {
            Some(Some(until)) => until > self.clock.now(),
            Some(None) => true,
            None => false,
        };
        Ok(live && self.is_ringing(alert)?)
    }

    /// The shell's ring for `alert` ended without an answer: the person
    /// silenced it, the OS stopped the sound or the service, the app left
    /// the foreground. The alert leaves the ringing set (a restarted shell
    /// does not resume it) and the relay's next re-notification rings it
    /// again. Acknowledging is [`Device::act`]; this answers nothing.
    pub fn ring_stopped(&self, alert: &str) -> Result<()> {
        self.live_rings().remove(alert);
        lock(&self.store).stop_ringing(alert).map(|_| ())
    }

    fn note_live_ring(&self, alert: &str, ring: &RingLoop) {
        let until = ring
            .max_duration
            .and_then(|d| chrono::Duration::from_std(d).ok())
            .map(|d| self.clock.now() + d);
        self.live_rings().insert(alert.to_string(), until);
    }

    fn live_rings(
        &self,
    ) -> std::sync::MutexGuard<
        '_,
        std::collections::HashMap<String, Option<chrono::DateTime<chrono::Utc>>>,
    > {
        self.live_rings.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn has_shell(&self) -> bool {
        self.shell
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    /// The plans of the alerts ringing now, longest-ringing first, for a
    /// shell the OS restarted to resume their ring (Android: a sticky
    /// service or boot). The set is durable: a ring lasts until its alert
    /// is acknowledged, resolved, moved on by a status update, or settled
    /// by a sync — not until the process dies. Rings whose alert the store
    /// shows settled (another process on the state directory synced or
    /// acted) are stopped first, through the sink, and left out.
    pub fn ringing_alerts(&self) -> Result<Vec<NotificationPlan>> {
        let pending = self.pending_actions()?;
        self.stop_rings_the_store_has_settled(&pending)?;
        let plans = lock(&self.store).ringing()?;
        // The caller starts each again: they ring in this process now.
        for plan in &plans {
            if let Some(ring) = &plan.ring {
                self.note_live_ring(&plan.alert, ring);
            }
        }
        Ok(plans)
    }

    /// Stops every ring of this process whose alert, as stored now, is no
    /// longer triggered or has an action queued on it. The stored state,
    /// not what this sync pulled: two processes on one state directory
    /// share the cursor, so the other one's sync (or its queued
    /// acknowledgement) may be the only trace of the change.
    pub(super) fn stop_rings_the_store_has_settled(&self, pending: &[QueuedAction]) -> Result<()> {
        let mut ringing: Vec<String> = lock(&self.store)
            .ringing()?
            .into_iter()
            .map(|plan| plan.alert)
            .collect();
        // This process's own rings too: the other process's sync may have
        // taken the alert out of the shared durable set already (it stops
        // only its own shell), and this shell must still stop.
        for alert in self.live_rings().keys() {
            if !ringing.contains(alert) {
                ringing.push(alert.clone());
            }
        }
        for alert in ringing {
            let view = lock(&self.store).synced_alert(&alert)?;
            let queued = pending.iter().rev().find(|a| a.alert == alert);
            let status = match (&view, queued) {
                (Some(view), _) if view.status != AlertStatus::Triggered => view.status,
                (_, Some(action)) => match action.action {
                    Action::Acknowledge | Action::Snooze { .. } => AlertStatus::Acknowledged,
                    Action::Resolve | Action::Escalate | Action::Decline => AlertStatus::Resolved,
                },
                _ => continue,
            };
            self.stop_ring(&alert)?;
            match (&view, status) {
                (Some(view), AlertStatus::Acknowledged) => {
                    let plan = self.plan_for(view, status)?;
                    self.tell(|s| s.update(&plan));
                }
                // Resolved, or escalated/declined here (as `act` does).
                _ => self.tell(|s| s.cancel(&alert)),
            }
        }
        Ok(())
    }

    /// The plan for showing `view` in `status` (e.g. after acknowledging).
    pub(super) fn plan_for(
        &self,
        view: &AlertView,
        status: AlertStatus,
    ) -> Result<NotificationPlan> {
        let settings = self.settings()?;
        let paged_at_current_step = status == AlertStatus::Triggered
            && self
                .credentials()
                .is_some_and(|c| paged_at_current_step(view, &c.enrollment.person));
        Ok(notify::plan(
            &PageContent {
                alert: view.id.clone(),
                priority: view.priority,
                status,
                service_name: view.service_name.clone(),
                summary: view.summary.clone(),
                runbook: view.runbook.clone(),
                paged_at_current_step,
            },
            &settings,
        ))
    }

    /// Whether `alert` is in the durable ringing set: its ring started (in
    /// this process or one before it on the state directory) and has not
    /// stopped.
    pub(super) fn is_ringing(&self, alert: &str) -> Result<bool> {
        lock(&self.store).is_ringing(alert)
    }

    /// Stops the ring loop and removes the alert from the ringing set.
    /// Always told to the shell, even when the set did not hold it: a ring
    /// the shell started on its own must stop too, and stopping a silent
    /// alert is harmless. The shell is told before the store is written, so
    /// a failing store never keeps a phone ringing.
    pub(super) fn stop_ring(&self, alert: &str) -> Result<()> {
        self.tell(|s| s.stop_ringing(alert));
        self.live_rings().remove(alert);
        lock(&self.store).stop_ringing(alert).map(|_| ())
    }

    /// Calls the shell, if one is set; its failure is kept for the
    /// self-check, and core carries on regardless.
    pub(super) fn tell(&self, call: impl FnOnce(&dyn Shell) -> std::result::Result<(), String>) {
        let shell = self.shell.read().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(shell) = shell {
            let result = call(shell.as_ref());
            let mut last = self.shell_error.lock().unwrap_or_else(|p| p.into_inner());
            if let Err(e) = result {
                *last = Some(e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::device::test_support::*;
    use crate::page::Page;
    use klaxon_domain::alert::{Action, AlertStatus};

    /// Re-notification `n` of `page`'s step: the same ring sent again.
    fn renotified(page: &Page, n: u32) -> Page {
        Page {
            renotify: n,
            ..page.clone()
        }
    }

    #[test]
    fn a_renotification_rings_again_only_where_the_ring_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let page = critical_page("a1", 1, 2);
        {
            let (device, shell) = recorded_device(dir.path());
            enroll_as(&device, "alice");
            assert!(device.handle_page(&page).unwrap().is_some());
            assert_eq!(shell.calls(), ["present a1", "start a1"]);

            // Still ringing: no second notification, no second ring.
            assert_eq!(device.handle_page(&renotified(&page, 1)).unwrap(), None);
            assert_eq!(shell.calls().len(), 2);

            // The person silenced the ring without answering: the next
            // re-notification presents and rings it again ...
            device.ring_stopped("a1").unwrap();
            assert!(!device.is_ringing("a1").unwrap());
            let plan = device.handle_page(&renotified(&page, 2)).unwrap().unwrap();
            assert!(plan.ring.is_some() && plan.full_screen);
            assert_eq!(shell.calls()[2..], ["present a1", "start a1"]);
            // ... once, however it arrives (stream, then push).
            assert_eq!(device.handle_page(&renotified(&page, 2)).unwrap(), None);
            assert_eq!(shell.calls().len(), 4);
        } // The OS kills the process mid-ring.

        // A new process whose shell did not resume the ring rings again.
        let (device, shell) = recorded_device(dir.path());
        let again = device.handle_page(&renotified(&page, 3)).unwrap();
        assert!(again.is_some_and(|p| p.ring.is_some()));
        assert_eq!(shell.calls(), ["present a1", "start a1"]);

        // Answered here (queued, not yet delivered): never rings again.
        device.act("a1", Action::Acknowledge).unwrap();
        assert_eq!(device.handle_page(&renotified(&page, 4)).unwrap(), None);
        assert!(!shell.calls()[2..]
            .iter()
            .any(|c| c.starts_with("present") || c.starts_with("start")));

        // Settled as stored (a sync brought it acknowledged): nothing.
        let b1 = critical_page("b1", 1, 2);
        device.handle_page(&b1).unwrap();
        device.ring_stopped("b1").unwrap();
        let acked = Page {
            status: AlertStatus::Acknowledged,
            revision: 3,
            ..b1.clone()
        };
        super::super::push::merge_page_into_view(
            &mut crate::client::lock(&device.store),
            &acked,
            None,
            t0(),
        )
        .unwrap();
        let before = shell.calls().len();
        assert_eq!(device.handle_page(&renotified(&b1, 1)).unwrap(), None);
        assert_eq!(shell.calls().len(), before);

        // A re-notification of a step this device never got the page of
        // (the push was lost) is a page like any: it rings.
        let c1 = renotified(&critical_page("c1", 1, 2), 2);
        assert!(device
            .handle_page(&c1)
            .unwrap()
            .is_some_and(|p| p.ring.is_some()));
        assert_eq!(device.handle_page(&renotified(&c1, 2)).unwrap(), None);
    }

    #[test]
    fn without_a_ring_loop_each_renotification_sounds_again() {
        // The iOS notification service extension: no shell, so a push's
        // sound plays once; each re-notification must sound again.
        let dir = tempfile::tempdir().unwrap();
        let device = device_at_t0(dir.path());
        enroll_as(&device, "alice");
        let page = critical_page("a1", 1, 2);
        assert!(device.handle_page(&page).unwrap().is_some());
        for n in 1..=3 {
            let plan = device.handle_page(&renotified(&page, n)).unwrap();
            assert!(
                plan.is_some_and(|p| p.ring.is_some()),
                "re-notification {n}"
            );
        }
        // A repeat of one already handled stays quiet.
        assert_eq!(device.handle_page(&renotified(&page, 2)).unwrap(), None);
    }

    #[test]
    fn a_ring_whose_limit_ran_out_rings_again_on_renotification() {
        use klaxon_domain::clock::ManualClock;
        let dir = tempfile::tempdir().unwrap();
        let clock = std::sync::Arc::new(ManualClock::new(t0()));
        let device =
            crate::device::Device::open(dir.path(), "http://127.0.0.1:9", clock.clone()).unwrap();
        let shell = std::sync::Arc::new(Recorder::default());
        device.set_shell(Some(shell.clone()));
        enroll_as(&device, "alice");
        device
            .set_settings(&klaxon_domain::notify::NotificationSettings {
                keep_ringing_until_acknowledged: false,
                ring_limit: std::time::Duration::from_secs(60),
                ..Default::default()
            })
            .unwrap();
        let page = critical_page("a1", 1, 2);
        device.handle_page(&page).unwrap();
        clock.advance(chrono::Duration::seconds(30));
        assert_eq!(device.handle_page(&renotified(&page, 1)).unwrap(), None);
        // The shell stopped by itself after the limit; core knows when.
        clock.advance(chrono::Duration::seconds(45));
        assert!(device.handle_page(&renotified(&page, 2)).unwrap().is_some());
        assert_eq!(
            shell.calls(),
            ["present a1", "start a1", "present a1", "start a1"]
        );
    }

    /// The alerts a restarted shell would resume ringing.
    fn resumed(dir: &std::path::Path) -> Vec<String> {
        let (device, _shell) = recorded_device(dir);
        let plans = device.ringing_alerts().unwrap();
        assert!(
            plans.iter().all(|p| p.ring.is_some()),
            "only plans that ring"
        );
        plans.into_iter().map(|p| p.alert).collect()
    }

    #[test]
    fn a_ring_survives_reopening_the_device_until_it_is_acknowledged() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (device, _shell) = recorded_device(dir.path());
            enroll_as(&device, "alice");
            device.handle_page(&critical_page("a1", 1, 2)).unwrap();
            // A high page shows but never rings: nothing to resume.
            let high = Page {
                priority: klaxon_domain::Priority::High,
                ..critical_page("a2", 1, 2)
            };
            device.handle_page(&high).unwrap();
        } // The OS kills the process while a1 rings.
        assert_eq!(resumed(dir.path()), ["a1"]);
        assert_eq!(resumed(dir.path()), ["a1"], "asking changes nothing");

        let (device, shell) = recorded_device(dir.path());
        device.act("a1", Action::Acknowledge).unwrap();
        assert!(shell.calls().contains(&"stop a1".to_string()));
        drop(device);
        assert_eq!(resumed(dir.path()), Vec::<String>::new());
    }

    #[test]
    fn a_status_update_or_a_settled_store_ends_a_ring_across_restarts() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (device, _shell) = recorded_device(dir.path());
            device.handle_page(&critical_page("a1", 1, 2)).unwrap();
            device.handle_page(&critical_page("a2", 1, 2)).unwrap();
            // Resolved elsewhere: the relay's status push.
            let resolved = Page {
                status: AlertStatus::Resolved,
                revision: 3,
                status_update: true,
                ..critical_page("a1", 1, 2)
            };
            device.handle_page(&resolved).unwrap();
        }
        assert_eq!(resumed(dir.path()), ["a2"]);

        // Another process on the state directory stored a2 acknowledged
        // (its sync) while this one was dead: the restarted shell is told
        // to stop it rather than to ring it again.
        {
            let (device, _shell) = recorded_device(dir.path());
            let mut view = crate::client::lock(&device.store)
                .synced_alert("a2")
                .unwrap()
                .unwrap();
            view.status = AlertStatus::Acknowledged;
            view.revision += 1;
            crate::client::lock(&device.store)
                .save_synced_alerts(&[view])
                .unwrap();
        }
        let (device, shell) = recorded_device(dir.path());
        assert!(device.ringing_alerts().unwrap().is_empty());
        assert_eq!(shell.calls(), ["stop a2", "update a2 Silent"]);
    }
}
