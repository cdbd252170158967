//! The alert list as the device shows it: the synced (or page-merged)
//! views with this device's pending actions and the countdown to the next
//! escalation step.

use super::actions::pending_of;
use super::{lock, Device};
use crate::error::{Error, Result};
use crate::outbox::QueuedAction;
use chrono::{DateTime, Utc};
use klaxon_domain::alert::{Action, AlertStatus};
use klaxon_domain::notify::{self, OfferedAction};
use klaxon_domain::wire::AlertView;

/// An alert as the device knows it, with its actions still in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertEntry {
    /// The relay's view (from the last sync, or from a page).
    pub view: AlertView,
    /// This device's actions on it that the relay has not confirmed yet.
    pub pending: Vec<QueuedAction>,
    /// "escalates to Bob Okafor in 4:32" (the next step and its countdown),
    /// "escalating to Bob Okafor now" once that step is due; `None` while
    /// the alert is not triggered, at its last step, or not [`synced`]
    /// (the countdown the device holds is then an earlier step's).
    ///
    /// [`synced`]: AlertEntry::synced
    pub next_escalation: Option<String>,
    /// The view is the relay's as of the last sync. False while it carries
    /// a page newer than that sync: `view.paged` then ends with this
    /// device's person but may miss others paged at the same step, the
    /// timeline is short, and `next_escalation` is unknown; a sync fills
    /// them in.
    pub synced: bool,
}

impl Device {
    /// Every alert the device knows, newest first, with pending actions.
    pub fn alerts(&self) -> Result<Vec<AlertEntry>> {
        let (views, pending) = {
            let store = lock(&self.store);
            (store.synced_alerts()?, pending_of(&store)?)
        };
        let now = self.clock.now();
        Ok(views
            .into_iter()
            .map(|view| self.entry(view, &pending, now))
            .collect())
    }

    /// One alert with its timeline, runbook and pending actions.
    pub fn alert(&self, id: &str) -> Result<AlertEntry> {
        let (view, pending) = {
            let store = lock(&self.store);
            (store.synced_alert(id)?, pending_of(&store)?)
        };
        let view = view.ok_or_else(|| Error::UnknownAlert(id.to_string()))?;
        Ok(self.entry(view, &pending, self.clock.now()))
    }

    /// The buttons the page screen offers for one alert to this device's
    /// person, with whether each needs unlocking (the same rule as the
    /// notification's, [`klaxon_domain::notify::offered_actions`]). An
    /// action of this device still in the outbox counts as done: after an
    /// acknowledgement the screen offers what an acknowledged alert does,
    /// after a resolve nothing, after an escalate or decline no second
    /// decline.
    pub fn offered_actions(&self, id: &str) -> Result<Vec<OfferedAction>> {
        let entry = self.alert(id)?;
        let person = self.credentials().map(|c| c.enrollment.person.clone());
        let paged = person
            .as_deref()
            .is_some_and(|p| paged_at_current_step(&entry.view, p));
        let (status, paged) = match entry.pending.last().map(|a| &a.action) {
            None => (entry.view.status, paged),
            Some(Action::Acknowledge | Action::Snooze { .. }) => (AlertStatus::Acknowledged, paged),
            Some(Action::Resolve) => (AlertStatus::Resolved, paged),
            // Handed on: it pages the next step, not this person.
            Some(Action::Escalate | Action::Decline) => (AlertStatus::Triggered, false),
        };
        Ok(notify::offered_actions(status, paged))
    }

    fn entry(&self, view: AlertView, pending: &[QueuedAction], now: DateTime<Utc>) -> AlertEntry {
        let synced = is_synced(&view);
        let next_escalation = view
            .upcoming
            .as_ref()
            .filter(|_| view.status == AlertStatus::Triggered && synced)
            .map(|up| up.describe_with(|p| self.person_name(p), now));
        AlertEntry {
            pending: pending
                .iter()
                .filter(|a| a.alert == view.id)
                .cloned()
                .collect(),
            view,
            next_escalation,
            synced,
        }
    }

    fn person_name(&self, id: &str) -> String {
        self.roster_view()
            .and_then(|r| r.people.iter().find(|p| p.id == id).map(|p| p.name.clone()))
            .unwrap_or_else(|| id.to_string())
    }
}

/// Whether `view` is triggered and its current escalation step paged
/// `person`. A view carrying a page newer than its synced timeline (see
/// [`AlertEntry::synced`]) knows that step only by the page, which appended
/// `person` to `paged`.
pub(super) fn paged_at_current_step(view: &AlertView, person: &str) -> bool {
    if view.status != AlertStatus::Triggered {
        return false;
    }
    if !is_synced(view) {
        return view.paged.last().is_some_and(|p| p == person);
    }
    view.latest_step()
        .is_some_and(|(_, people)| people.iter().any(|p| p == person))
}

/// Whether `view` is the relay's as of a sync, not one a newer page was
/// merged into: the relay sends the whole timeline, whose length is the
/// revision, and a merged page raises the revision without the timeline.
fn is_synced(view: &AlertView) -> bool {
    u32::try_from(view.timeline.len()).unwrap_or(u32::MAX) >= view.revision
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::push::merge_page_into_view;
    use crate::device::test_support::*;
    use crate::page::Page;
    use klaxon_domain::clock::ManualClock;
    use klaxon_domain::notify::PageAction;
    use klaxon_domain::wire::AlertDetails;
    use std::sync::Arc;

    /// A synced view of alert a1: alice paged at step 1 (revision 2), bob
    /// due at step 2 two seconds from t0.
    fn synced_view_paging_alice() -> AlertView {
        use klaxon_domain::alert::{Actor, Event, TimelineEntry};
        let entry = |seq: u32, actor: Actor, event: Event| TimelineEntry {
            seq,
            at: t0(),
            actor,
            event,
            key: None,
        };
        AlertView {
            id: "a1".into(),
            service: "api".into(),
            service_name: "Public API".into(),
            dedup_key: "d".into(),
            summary: "down".into(),
            priority: klaxon_domain::Priority::Critical,
            status: AlertStatus::Triggered,
            created_at: t0(),
            acknowledged_by: None,
            paged: vec!["alice".into()],
            revision: 2,
            timeline: vec![
                entry(
                    0,
                    Actor::integration("events_v2"),
                    Event::Triggered {
                        summary: "down".into(),
                    },
                ),
                entry(
                    1,
                    Actor::relay(),
                    Event::Notified {
                        step_seq: 1,
                        pass: 0,
                        step: 0,
                        people: vec!["alice".into()],
                        unreachable: vec![],
                        renotified: 0,
                        renotified_at: None,
                    },
                ),
            ],
            upcoming: Some(klaxon_domain::escalation::Upcoming {
                at: t0() + chrono::Duration::seconds(2),
                step: 1,
                people: vec!["bob".into()],
            }),
            runbook: None,
            details: AlertDetails::default(),
        }
    }

    #[test]
    fn the_countdown_rounds_up_and_says_now_when_due_never_0_00() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(t0()));
        let device = Device::open(dir.path(), "http://127.0.0.1:9", clock.clone()).unwrap();
        lock(&device.store)
            .save_synced_alerts(&[synced_view_paging_alice()])
            .unwrap();
        let next = |device: &Device| device.alert("a1").unwrap().next_escalation;
        assert!(device.alert("a1").unwrap().synced);
        assert_eq!(next(&device).as_deref(), Some("escalates to bob in 0:02"));
        clock.advance(chrono::Duration::milliseconds(1100));
        assert_eq!(next(&device).as_deref(), Some("escalates to bob in 0:01"));
        clock.advance(chrono::Duration::milliseconds(800));
        assert_eq!(next(&device).as_deref(), Some("escalates to bob in 0:01"));
        clock.advance(chrono::Duration::milliseconds(100));
        assert_eq!(next(&device).as_deref(), Some("escalating to bob now"));
        clock.advance(chrono::Duration::minutes(5));
        assert_eq!(next(&device).as_deref(), Some("escalating to bob now"));
    }

    #[test]
    fn a_page_newer_than_the_last_sync_adds_its_person_and_drops_the_stale_countdown() {
        let dir = tempfile::tempdir().unwrap();
        let device = device_at_t0(dir.path());
        lock(&device.store)
            .save_synced_alerts(&[synced_view_paging_alice()])
            .unwrap();
        // Bob's phone: the step-2 page (revision 3) arrives before a sync.
        let escalated = critical_page("a1", 2, 3);
        merge_page_into_view(&mut lock(&device.store), &escalated, Some("bob"), t0()).unwrap();
        let entry = device.alert("a1").unwrap();
        assert!(!entry.synced);
        assert_eq!(entry.view.paged, ["alice", "bob"]);
        // The stored countdown was for the step that just fired.
        assert_eq!(entry.next_escalation, None);

        // A first page for an alert the device has never synced.
        merge_page_into_view(
            &mut lock(&device.store),
            &critical_page("a2", 1, 2),
            Some("alice"),
            t0(),
        )
        .unwrap();
        let entry = device.alert("a2").unwrap();
        assert!(!entry.synced);
        assert_eq!(entry.view.paged, ["alice"]);
        assert_eq!(entry.next_escalation, None);

        // A status update pages nobody.
        let acked = Page {
            status: AlertStatus::Acknowledged,
            status_update: true,
            ..critical_page("a1", 2, 4)
        };
        merge_page_into_view(&mut lock(&device.store), &acked, Some("bob"), t0()).unwrap();
        assert_eq!(device.alert("a1").unwrap().view.paged, ["alice", "bob"]);

        // The sync brings the relay's view (revision 4, whole timeline).
        let mut relay_view = synced_view_paging_alice();
        relay_view.timeline.extend(relay_view.timeline.clone());
        for (seq, entry) in relay_view.timeline.iter_mut().enumerate() {
            entry.seq = u32::try_from(seq).unwrap();
        }
        relay_view.revision = 4;
        relay_view.paged = vec!["alice".into(), "bob".into()];
        relay_view.upcoming = None;
        lock(&device.store)
            .save_synced_alerts(&[relay_view])
            .unwrap();
        let entry = device.alert("a1").unwrap();
        assert!(entry.synced);
        assert_eq!(entry.next_escalation, None, "the last step: nothing next");
    }

    /// The page screen's buttons for alert a1, as verbs.
    fn offered(device: &Device) -> Vec<PageAction> {
        device
            .offered_actions("a1")
            .unwrap()
            .into_iter()
            .map(|a| a.action)
            .collect()
    }

    #[test]
    fn the_page_screen_offers_decline_to_the_paged_person_only_and_follows_queued_actions() {
        use PageAction::*;
        let dir = tempfile::tempdir().unwrap();
        let device = device_at_t0(dir.path());
        enroll_as(&device, "alice");
        lock(&device.store)
            .save_synced_alerts(&[synced_view_paging_alice()])
            .unwrap();
        assert_eq!(
            offered(&device),
            [Acknowledge, Escalate, Decline, Resolve, Snooze]
        );
        let unlock: Vec<bool> = device
            .offered_actions("a1")
            .unwrap()
            .iter()
            .map(|a| a.needs_unlock)
            .collect();
        assert_eq!(unlock, [false, false, true, true, true]);

        // Acknowledged here, not yet delivered: what an acknowledged alert offers.
        device.act("a1", Action::Acknowledge).unwrap();
        assert_eq!(offered(&device), [Escalate, Resolve, Snooze]);
        device.act("a1", Action::Resolve).unwrap();
        assert_eq!(offered(&device), []);
        assert!(matches!(
            device.offered_actions("nope"),
            Err(Error::UnknownAlert(_))
        ));

        // Bob's phone on the same alert: alice's step, not his to decline.
        let dir = tempfile::tempdir().unwrap();
        let bob = device_at_t0(dir.path());
        enroll_as(&bob, "bob");
        lock(&bob.store)
            .save_synced_alerts(&[synced_view_paging_alice()])
            .unwrap();
        assert_eq!(offered(&bob), [Acknowledge, Escalate, Resolve, Snooze]);
        // Then step 2 pages bob (a page newer than the last sync).
        merge_page_into_view(
            &mut lock(&bob.store),
            &critical_page("a1", 2, 3),
            Some("bob"),
            t0(),
        )
        .unwrap();
        assert_eq!(
            offered(&bob),
            [Acknowledge, Escalate, Decline, Resolve, Snooze]
        );
        // He declines: it pages the next step now, not him.
        bob.act("a1", Action::Decline).unwrap();
        assert_eq!(offered(&bob), [Acknowledge, Escalate, Resolve, Snooze]);
    }

    #[test]
    fn a_ringing_page_offers_decline_and_its_status_update_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let (device, _shell) = recorded_device(dir.path());
        enroll_as(&device, "alice");
        let page = critical_page("a1", 1, 2);
        let plan = device.handle_page(&page).unwrap().unwrap();
        let verbs = |plan: &klaxon_domain::notify::NotificationPlan| -> Vec<PageAction> {
            plan.actions.iter().map(|a| a.action).collect()
        };
        assert!(verbs(&plan).contains(&PageAction::Decline));
        let moved_on = Page {
            step_seq: 2,
            revision: 3,
            status_update: true,
            ..page
        };
        let plan = device.handle_page(&moved_on).unwrap().unwrap();
        assert!(!verbs(&plan).contains(&PageAction::Decline));
        assert!(verbs(&plan).contains(&PageAction::Acknowledge));
    }
}
