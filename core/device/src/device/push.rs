//! Pushes and pages arriving on the device: opening a push payload in any
//! form a shell hands over, recording the page (dedup), keeping the alert
//! list current from it, and handing the plan to the ring decisions.

use super::{lock, Device};
use crate::client::Credentials;
use crate::error::{Error, Result};
use crate::keys;
use crate::page::{self, Delivery, Page};
use crate::store::{Durability, Store};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use klaxon_domain::alert::AlertStatus;
use klaxon_domain::notify::NotificationPlan;
use klaxon_domain::wire::{AlertDetails, AlertView};

/// What core made of one push ([`Device::receive_push`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    /// A new page, or a newer state of one: show it as planned (the shell
    /// was already told to present / ring / update / cancel).
    Show(Box<NotificationPlan>),
    /// A repeat of a page already handled, or a re-notification of a page
    /// that still rings here (or that this device answered): show and ring
    /// nothing.
    Duplicate,
    /// A sync-needed push (docs/push.md): the page was too large for the
    /// push service, which carried only its alert id. Call
    /// [`Device::sync`]; it fetches, presents and rings the page once.
    SyncNeeded {
        /// The alert the page belongs to.
        alert: String,
    },
}

/// A push payload, opened.
enum Opened {
    /// The page's JSON.
    Page(Vec<u8>),
    /// A sync-needed push for this alert.
    SyncNeeded(String),
}

impl Device {
    /// Handles one push: opens the sealed payload with the device key,
    /// drops repeats, records the page and returns the plan to show
    /// (`None`: a duplicate, show and ring nothing). The shell is told to
    /// present it and, for a ringing plan, to start the ring loop; a page
    /// saying the alert was acknowledged or resolved, a status-update push
    /// (also "escalated to others"), or a page older than a non-triggered
    /// state already stored stops the ring and never starts one.
    ///
    /// `payload` is the sealed bytes, or their base64 / base64url text as
    /// push data messages carry them.
    ///
    /// A sync-needed push (no page inside, docs/push.md) is an
    /// [`Error::Invalid`] asking for `sync()`; [`Device::receive_push`]
    /// answers it as a result instead.
    pub fn handle_push(&self, payload: &[u8]) -> Result<Option<NotificationPlan>> {
        match self.receive_push(payload)? {
            PushOutcome::Show(plan) => Ok(Some(*plan)),
            PushOutcome::Duplicate => Ok(None),
            PushOutcome::SyncNeeded { alert } => Err(Error::Invalid(format!(
                "this push carries no page for alert {alert} (it was too large to push): call \
                 sync(), which rings it"
            ))),
        }
    }

    /// Handles one push like [`Device::handle_push`], with every kind of
    /// Klaxon push as a result: a page to show, a repeat, or a sync-needed
    /// push (the page was too large; call [`Device::sync`], which presents
    /// and rings it). A sync-needed push counts as a push received for the
    /// self-check.
    pub fn receive_push(&self, payload: &[u8]) -> Result<PushOutcome> {
        let creds = self.require_credentials()?;
        match open_payload(&creds, payload)? {
            Opened::Page(json) => Ok(match self.handle_page_json(&json)? {
                Some(plan) => PushOutcome::Show(Box::new(plan)),
                None => PushOutcome::Duplicate,
            }),
            Opened::SyncNeeded(alert) => {
                lock(&self.store).set_setting(
                    keys::LAST_PUSH,
                    &self.clock.now(),
                    Durability::Normal,
                )?;
                Ok(PushOutcome::SyncNeeded { alert })
            }
        }
    }

    /// Handles a page that arrived unsealed over the device's own
    /// authenticated stream (`/v1/stream`), exactly as [`Device::handle_push`].
    pub fn handle_page(&self, page: &Page) -> Result<Option<NotificationPlan>> {
        self.handle_page_json(&serde_json::to_vec(page)?)
    }

    fn handle_page_json(&self, json: &[u8]) -> Result<Option<NotificationPlan>> {
        let now = self.clock.now();
        let person = self.credentials().map(|c| c.enrollment.person.clone());
        let page = Page::from_json(json)
            .map_err(|e| Error::Invalid(format!("the push payload is not a page: {e}")))?;
        let (delivery, known, renotified) = {
            let mut store = lock(&self.store);
            let settings = store.notification_settings()?;
            // What the device knew before this page: a sync (or an earlier
            // push) may already have brought a newer state of the alert.
            let known = store.synced_alert(&page.alert)?;
            let delivery = page::receive(&mut store, &settings, json, now)?;
            store.set_setting(keys::LAST_PUSH, &now, Durability::Normal)?;
            // A re-notification of a step already received is a repeat to
            // the dedup; whether it rings again is decided below.
            let renotified = match &delivery {
                Delivery::Duplicate
                    if page.renotify > 0
                        && page.status == AlertStatus::Triggered
                        && !page.status_update =>
                {
                    Some(store.record_renotify(&page)?)
                }
                // The step's page itself came as a re-notification (its
                // first push was lost): its repeats are repeats.
                Delivery::Show(_) if page.renotify > 0 => {
                    store.record_renotify(&page)?;
                    None
                }
                _ => None,
            };
            if let Delivery::Show(_) = &delivery {
                merge_page_into_view(&mut store, &page, person.as_deref(), now)?;
            }
            (delivery, known, renotified)
        };
        if let Some(step_received) = renotified {
            return self.ring_for_renotify(&page, step_received, known);
        }
        // What the device knew before this page decides whether it rings.
        self.ring_for_page(&page, delivery, known)
    }
}

/// Opens a push payload in any form a shell may hand over (docs/push.md):
/// the raw sealed bytes; their base64 / base64url text; or the push's JSON
/// envelope — the FCM data map `{"v":"1","alert":..,"sealed":"<base64>"}` or
/// the APNs body with the same fields under `"klaxon"`.
fn open_payload(creds: &Credentials, payload: &[u8]) -> Result<Opened> {
    let first = match creds.identity.open(payload) {
        Ok(json) => return Ok(Opened::Page(json)),
        Err(e) => e,
    };
    let text = std::str::from_utf8(payload).map(str::trim).unwrap_or("");
    if text.is_empty() {
        return Err(first.into());
    }
    let sealed_text = if text.starts_with('{') {
        let envelope: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| Error::Invalid(format!("the push payload is not a Klaxon push: {e}")))?;
        let fields = envelope.get("klaxon").unwrap_or(&envelope);
        match fields.get("sealed").and_then(|v| v.as_str()) {
            Some(sealed) => sealed.to_string(),
            None if fields.get("sync").is_some() => {
                return match fields.get("alert").and_then(|v| v.as_str()) {
                    Some(alert) if !alert.trim().is_empty() => Ok(Opened::SyncNeeded(alert.into())),
                    _ => Err(Error::Invalid(
                        "a sync-needed push without an alert id: call sync()".into(),
                    )),
                }
            }
            None => {
                return Err(Error::Invalid(
                    "the push payload has no \"sealed\" field".into(),
                ))
            }
        }
    } else {
        text.to_string()
    };
    let decoded = STANDARD
        .decode(&sealed_text)
        .or_else(|_| URL_SAFE_NO_PAD.decode(sealed_text.trim_end_matches('=')))
        .map_err(|_| Error::from(first))?;
    Ok(Opened::Page(creds.identity.open(&decoded)?))
}

/// Keeps the alert list current from a page: a new alert appears at once
/// (before any sync), a known one takes the page's state if the page is newer.
/// A page that pages the device's `person` (triggered, not a status update)
/// adds them to `paged`, the way the relay's view will have it; who else
/// that step paged and what comes next arrive with the next sync.
pub(super) fn merge_page_into_view(
    store: &mut Store,
    page: &Page,
    person: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    let paged_now = person.filter(|_| page.status == AlertStatus::Triggered && !page.status_update);
    let view = match store.synced_alert(&page.alert)? {
        Some(mut view) => {
            if page.revision <= view.revision {
                return Ok(());
            }
            view.status = page.status;
            view.summary = page.summary.clone();
            view.priority = page.priority;
            view.revision = page.revision;
            if page.runbook.is_some() {
                view.runbook = page.runbook.clone();
            }
            view.paged.extend(paged_now.map(str::to_string));
            view
        }
        None => AlertView {
            id: page.alert.clone(),
            service: page.service.clone(),
            service_name: page.service_name.clone(),
            dedup_key: page.dedup_key.clone(),
            summary: page.summary.clone(),
            priority: page.priority,
            status: page.status,
            created_at: now,
            acknowledged_by: None,
            paged: paged_now.map(str::to_string).into_iter().collect(),
            revision: page.revision,
            timeline: Vec::new(),
            upcoming: None,
            runbook: page.runbook.clone(),
            details: AlertDetails::default(),
        },
    };
    store.save_synced_alerts(std::slice::from_ref(&view))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Enrollment;
    use crate::device::test_support::*;
    use klaxon_domain::notify;

    #[test]
    fn push_payloads_open_raw_base64_or_in_their_envelope() {
        let identity = klaxon_crypto::DeviceIdentity::generate().unwrap();
        let sealed = klaxon_crypto::seal(&identity.sealing_public_key(), b"{}").unwrap();
        let creds = Credentials {
            enrollment: Enrollment {
                relay_url: String::new(),
                device_id: "d".into(),
                person: "alice".into(),
                enrolled_at: t0(),
                identity: String::new(),
            },
            identity,
        };
        let b64 = STANDARD.encode(&sealed);
        let url = URL_SAFE_NO_PAD.encode(&sealed);
        let fcm = format!(r#"{{"v":"1","alert":"a1","priority":"critical","sealed":"{b64}"}}"#);
        let apns = format!(r#"{{"aps":{{}},"klaxon":{{"v":1,"alert":"a1","sealed":"{b64}"}}}}"#);
        for payload in [
            sealed.clone(),
            b64.into_bytes(),
            url.into_bytes(),
            fcm.into_bytes(),
            apns.into_bytes(),
        ] {
            assert!(
                matches!(open_payload(&creds, &payload).unwrap(), Opened::Page(j) if j == b"{}")
            );
        }
        let fcm_sync = br#"{"v":"1","alert":"a1","priority":"critical","sync":"1"}"#;
        let apns_sync = br#"{"aps":{},"klaxon":{"v":1,"alert":"a1","sync":true}}"#;
        for sync in [&fcm_sync[..], &apns_sync[..]] {
            assert!(matches!(open_payload(&creds, sync), Ok(Opened::SyncNeeded(a)) if a == "a1"));
        }
        let no_id = br#"{"v":"1","sync":"1"}"#;
        assert!(
            matches!(open_payload(&creds, no_id), Err(Error::Invalid(m)) if m.contains("sync()"))
        );
        assert!(open_payload(&creds, b"garbage").is_err());
    }

    #[test]
    fn a_page_fills_in_an_unknown_alert_and_only_newer_pages_change_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("t.db")).unwrap();
        let page = Page {
            alert: "a1".into(),
            step_seq: 1,
            service: "api".into(),
            service_name: "Public API".into(),
            dedup_key: "d".into(),
            summary: "down".into(),
            priority: klaxon_domain::Priority::Critical,
            status: AlertStatus::Triggered,
            revision: 2,
            runbook: None,
            status_update: false,
            renotify: 0,
        };
        merge_page_into_view(&mut store, &page, None, t0()).unwrap();
        let stale = Page {
            status: AlertStatus::Resolved,
            revision: 1,
            ..page.clone()
        };
        merge_page_into_view(&mut store, &stale, None, t0()).unwrap();
        let view = store.synced_alert("a1").unwrap().unwrap();
        assert_eq!((view.status, view.revision), (AlertStatus::Triggered, 2));
        let newer = Page {
            status: AlertStatus::Acknowledged,
            revision: 3,
            ..page
        };
        merge_page_into_view(&mut store, &newer, None, t0()).unwrap();
        let view = store.synced_alert("a1").unwrap().unwrap();
        assert_eq!((view.status, view.revision), (AlertStatus::Acknowledged, 3));
    }

    #[test]
    fn a_status_update_stops_the_ring_and_never_starts_one_and_its_repeat_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let (device, shell) = recorded_device(dir.path());
        let page = critical_page("a1", 1, 2);
        assert!(device.handle_page(&page).unwrap().unwrap().ring.is_some());
        assert_eq!(shell.calls(), ["present a1", "start a1"]);
        assert!(device.is_ringing("a1").unwrap());

        // Acknowledged elsewhere: stop, and the notification goes quiet.
        let acked = Page {
            status: AlertStatus::Acknowledged,
            revision: 3,
            status_update: true,
            ..page.clone()
        };
        let plan = device.handle_page(&acked).unwrap().unwrap();
        assert!(plan.ring.is_none() && !plan.full_screen);
        assert_eq!(plan.sound, notify::Sound::Silent);
        assert_eq!(shell.calls()[2..], ["stop a1", "update a1 Silent"]);
        assert!(!device.is_ringing("a1").unwrap());
        // The provider delivers it again: nothing happens.
        assert_eq!(device.handle_page(&acked).unwrap(), None);
        assert_eq!(shell.calls().len(), 4);
        // The original page arriving late rings nothing either.
        assert_eq!(device.handle_page(&page).unwrap(), None);
        assert_eq!(shell.calls().len(), 4);

        // Escalated to someone else: still triggered, but a status update
        // at the new step is silent and stops the ring.
        device.handle_page(&critical_page("a2", 1, 2)).unwrap();
        let moved_on = Page {
            step_seq: 2,
            revision: 4,
            status_update: true,
            ..critical_page("a2", 1, 2)
        };
        let plan = device.handle_page(&moved_on).unwrap().unwrap();
        assert!(plan.ring.is_none() && !plan.full_screen && !plan.override_dnd);
        assert_eq!(plan.sound, notify::Sound::Silent);
        assert_eq!(
            shell.calls()[4..],
            ["present a2", "start a2", "stop a2", "update a2 Silent"]
        );

        // Resolved, for an alert this device never showed: harmless.
        let resolved = Page {
            status: AlertStatus::Resolved,
            status_update: true,
            ..critical_page("a3", 1, 5)
        };
        device.handle_page(&resolved).unwrap();
        assert_eq!(shell.calls()[8..], ["stop a3", "cancel a3"]);
        assert!(
            shell
                .calls()
                .iter()
                .filter(|c| c.starts_with("start"))
                .count()
                == 2
        );
    }

    #[test]
    fn a_page_older_than_the_stored_state_does_not_ring() {
        let dir = tempfile::tempdir().unwrap();
        let (device, shell) = recorded_device(dir.path());
        // A sync stored the alert acknowledged (revision 5) before the
        // step-1 push (revision 2) arrived.
        let synced = Page {
            status: AlertStatus::Acknowledged,
            ..critical_page("a1", 1, 5)
        };
        merge_page_into_view(&mut lock(&device.store), &synced, None, t0()).unwrap();
        let plan = device
            .handle_page(&critical_page("a1", 1, 2))
            .unwrap()
            .unwrap();
        assert!(plan.ring.is_none());
        assert_eq!(shell.calls(), ["stop a1", "update a1 Silent"]);
        assert!(!device.is_ringing("a1").unwrap());
    }
}
