//! Talking to the relay after enrollment: the sync (push token, outbox,
//! delta pull, missed pages, rings the store has settled) and listening on
//! the relay's event stream.

use super::actions::{pending_of, refused_alerts};
use super::{lock, Capabilities, Device};
use crate::client::{self, Credentials};
use crate::error::{Error, Result};
use crate::keys;
use crate::outbox::QueuedAction;
use crate::page::Page;
use crate::store::Durability;
use chrono::{DateTime, Utc};
use klaxon_domain::alert::AlertStatus;
use klaxon_domain::notify::NotificationPlan;
use klaxon_domain::wire::{AlertView, PushPlatform, PushTokenRequest};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// What one [`Device::sync`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Actions attempted, as settled (outcome set when final).
    pub delivered: Vec<QueuedAction>,
    /// Alerts whose view changed.
    pub alerts_changed: u32,
    /// Whether a new roster view arrived.
    pub roster_updated: bool,
    /// Actions still waiting afterwards.
    pub pending_actions: u32,
    /// Pages the sync found that no push or stream had brought (a lost
    /// push, or one too large to push): planned, presented and rung like
    /// any page.
    pub plans: Vec<NotificationPlan>,
}

/// What one [`Device::listen`] received.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listened {
    /// Plans of the new pages (repeats are left out).
    pub plans: Vec<NotificationPlan>,
    /// Pages received, repeats included.
    pub pages: u32,
    /// The relay said alerts changed, or announced a roster version other
    /// than the stored one: call [`Device::sync`].
    pub changed: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct LastSync {
    /// When the last sync ran, whatever its result.
    pub(super) at: Option<DateTime<Utc>>,
    /// When the last sync succeeded.
    pub(super) ok_at: Option<DateTime<Utc>>,
    /// Why the last sync failed; `None` after a success.
    pub(super) error: Option<String>,
}

impl Device {
    /// Listens on the relay's event stream (the foreground path, and the
    /// terminal pager's): pages are handled exactly like pushes (stored,
    /// deduplicated, presented, rung). Returns after `max_pages` pages, when
    /// `max_duration` has passed, or when the relay closes the stream.
    pub async fn listen(
        &self,
        max_duration: std::time::Duration,
        max_pages: u32,
    ) -> Result<Listened> {
        let creds = self.require_credentials()?;
        let mut listened = Listened::default();
        let work = async {
            let mut stream = self.relay.stream(&creds).await?;
            while let Some(event) = stream.next().await? {
                match event {
                    klaxon_domain::wire::StreamEvent::Page { page } => {
                        if let Some(plan) = self.handle_page(&page)? {
                            listened.plans.push(plan);
                        }
                        listened.pages = listened.pages.saturating_add(1);
                        if listened.pages >= max_pages {
                            break;
                        }
                    }
                    klaxon_domain::wire::StreamEvent::Changed { .. } => listened.changed = true,
                    klaxon_domain::wire::StreamEvent::Hello { roster_version } => {
                        if self.roster_version_announced(&roster_version)? {
                            listened.changed = true;
                        }
                    }
                }
            }
            Ok::<(), Error>(())
        };
        match tokio::time::timeout(max_duration, work).await {
            Ok(result) => result?,
            Err(_elapsed) => {}
        }
        Ok(listened)
    }

    /// Delivers the outbox and pulls what changed: registers a new push
    /// token, sends every due action (each at most once per sync, with
    /// backoff between syncs), then syncs alerts and roster from the stored
    /// cursor. Every ring of this process whose alert, as stored after the
    /// sync, is no longer triggered or has an action queued stops (even when
    /// the relay was unreachable, and even when another process on the same
    /// state directory pulled the change). Needs a tokio runtime (reqwest's).
    pub async fn sync(self: &Arc<Self>) -> Result<SyncReport> {
        let result = self.sync_inner().await;
        let now = self.clock.now();
        let pending = {
            let mut store = lock(&self.store);
            let mut last: LastSync = store.setting(keys::LAST_SYNC)?.unwrap_or_default();
            last.at = Some(now);
            match &result {
                Ok(_) => {
                    last.ok_at = Some(now);
                    last.error = None;
                }
                Err(e) => last.error = Some(e.to_string()),
            }
            store.set_setting(keys::LAST_SYNC, &last, Durability::Normal)?;
            pending_of(&store)?
        };
        // Also when the relay was unreachable: another process's queued
        // acknowledgement is in the store already.
        self.stop_rings_the_store_has_settled(&pending)?;
        result
    }

    async fn sync_inner(&self) -> Result<SyncReport> {
        let creds = self.require_credentials()?;
        self.register_push_token(&creds).await?;

        let delivered = self.deliver_outbox(&creds).await?;

        let announced = self
            .roster_hint
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let pulled = client::pull(&self.relay, &creds, &self.store, announced.as_deref()).await?;
        // Answered by this pull (unless the stream announced a newer one meanwhile).
        self.roster_hint
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take_if(|hint| Some(hint.as_str()) == announced.as_deref());
        if let Some(roster) = &pulled.roster {
            *self.roster.write().unwrap_or_else(|p| p.into_inner()) =
                Some(Arc::new(roster.clone()));
        }
        let pending = self.pending_actions()?;
        let mut plans = Vec::new();
        for view in &pulled.alerts {
            let acted_on = pending.iter().any(|a| a.alert == view.id);
            if let Some(page) = missed_page(view, &creds.enrollment.person).filter(|_| !acted_on) {
                // Deduplicated against pushes like any page: a ring that
                // already arrived does not ring again.
                if let Some(plan) = self.handle_page(&page)? {
                    plans.push(plan);
                }
            }
            if view.status != AlertStatus::Triggered && self.is_ringing(&view.id)? {
                self.stop_ring(&view.id)?;
                if view.status == AlertStatus::Resolved {
                    self.tell(|s| s.cancel(&view.id));
                } else {
                    let plan = self.plan_for(view, view.status)?;
                    self.tell(|s| s.update(&plan));
                }
            }
        }
        for alert in refused_alerts(&delivered) {
            if let Some(plan) = self.ring_again_after_refusal(alert, &pending, &creds)? {
                plans.push(plan);
            }
        }
        Ok(SyncReport {
            delivered,
            alerts_changed: u32::try_from(pulled.alerts.len()).unwrap_or(u32::MAX),
            roster_updated: pulled.roster.is_some(),
            pending_actions: pending.len().try_into().unwrap_or(u32::MAX),
            plans,
        })
    }

    /// The relay's stream announced `version` of the roster (its `hello`):
    /// true when the stored roster is another version (or there is none),
    /// so the caller should sync, which fetches the roster. A relay that
    /// sends no version never calls this; then every sync fetches it.
    pub fn roster_version_announced(&self, version: &str) -> Result<bool> {
        let stored: Option<String> = lock(&self.store)
            .setting::<Option<String>>(keys::ROSTER_VERSION)?
            .flatten();
        let differs = stored.as_deref() != Some(version) || self.roster_view().is_none();
        if differs {
            *self.roster_hint.lock().unwrap_or_else(|p| p.into_inner()) = Some(version.to_string());
        }
        Ok(differs)
    }

    async fn register_push_token(&self, creds: &Credentials) -> Result<()> {
        let (caps, registered) = {
            let store = lock(&self.store);
            let caps: Option<Capabilities> = store.setting(keys::CAPABILITIES)?;
            let registered: Option<String> = store
                .setting::<Option<String>>(keys::PUSH_REGISTERED)?
                .flatten();
            (caps, registered)
        };
        let Some(caps) = caps else { return Ok(()) };
        let Some(token) = caps
            .push_token
            .filter(|_| caps.push_platform != PushPlatform::None)
        else {
            return Ok(());
        };
        let fingerprint = format!("{:?}:{token}", caps.push_platform);
        if registered.as_deref() == Some(fingerprint.as_str()) {
            return Ok(());
        }
        self.relay
            .register_push_token(
                creds,
                &PushTokenRequest {
                    platform: caps.push_platform,
                    token: Some(token),
                },
            )
            .await?;
        lock(&self.store).set_setting(
            keys::PUSH_REGISTERED,
            &Some(fingerprint),
            Durability::Normal,
        )
    }
}

/// The page a synced alert stands for when it is triggered and its latest
/// escalation step paged `person`: what a push would have carried.
pub(super) fn missed_page(view: &AlertView, person: &str) -> Option<Page> {
    if view.status != AlertStatus::Triggered {
        return None;
    }
    let (step_seq, people) = view.latest_step()?;
    people.iter().any(|p| p == person).then(|| Page {
        alert: view.id.clone(),
        step_seq,
        service: view.service.clone(),
        service_name: view.service_name.clone(),
        dedup_key: view.dedup_key.clone(),
        summary: view.summary.clone(),
        priority: view.priority,
        status: AlertStatus::Triggered,
        revision: view.revision,
        runbook: view.runbook.clone(),
        status_update: false,
        renotify: 0,
    })
}

#[cfg(test)]
mod tests {
    use crate::device::test_support::*;
    use std::io::{Read, Write};
    use std::sync::{Arc, Mutex};

    /// A relay that answers `GET /v1/sync` only: cursor 1, no alerts, the
    /// roster version in `version`, and the (empty) roster when asked
    /// (`roster=1`) or to a device without a cursor, as the relay does.
    /// Records every request's path.
    fn fake_relay(version: Arc<Mutex<String>>, paths: Arc<Mutex<Vec<String>>>) -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { return };
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&request);
                let path = text.split(' ').nth(1).unwrap_or_default().to_string();
                paths.lock().unwrap().push(path.clone());
                let roster = path.contains("roster=1") || !path.contains("cursor=");
                let body = serde_json::json!({
                    "cursor": 1, "more": false, "person": "alice", "alerts": [],
                    "roster": roster.then(|| serde_json::json!({
                        "from": "2026-03-02T00:00:00Z", "to": "2026-04-01T00:00:00Z",
                        "people": [], "services": [], "schedules": []})),
                    "roster_version": version.lock().unwrap().clone(),
                })
                .to_string();
                let _ = write!(
                    conn,
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
                     connection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        url
    }

    #[test]
    fn the_roster_is_fetched_only_when_its_version_changed() {
        let version = Arc::new(Mutex::new("v1".to_string()));
        let paths = Arc::new(Mutex::new(Vec::new()));
        let url = fake_relay(version.clone(), paths.clone());
        let dir = tempfile::tempdir().unwrap();
        let device = Arc::new(
            crate::device::Device::open(
                dir.path(),
                &url,
                Arc::new(klaxon_domain::clock::ManualClock::new(t0())),
            )
            .unwrap(),
        );
        enroll_as(&device, "alice");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let sync = || {
            paths.lock().unwrap().clear();
            let report = runtime.block_on(device.sync()).unwrap();
            (report.roster_updated, paths.lock().unwrap().clone())
        };
        // The first sync brings the roster; the next ones, same version, not.
        assert_eq!(sync(), (true, vec!["/v1/sync".to_string()]));
        assert!(device.roster_view().is_some());
        for _ in 0..2 {
            assert_eq!(sync(), (false, vec!["/v1/sync?cursor=1".to_string()]));
        }
        // The relay's roster changed: the same sync fetches it.
        *version.lock().unwrap() = "v2".into();
        assert_eq!(
            sync(),
            (
                true,
                vec![
                    "/v1/sync?cursor=1".to_string(),
                    "/v1/sync?cursor=1&roster=1".to_string()
                ]
            )
        );
        assert_eq!(sync(), (false, vec!["/v1/sync?cursor=1".to_string()]));
        // The stream's hello: the stored version is nothing new; another
        // one is, and the next sync asks for the roster at once.
        assert!(!device.roster_version_announced("v2").unwrap());
        *version.lock().unwrap() = "v3".into();
        assert!(device.roster_version_announced("v3").unwrap());
        assert_eq!(
            sync(),
            (true, vec!["/v1/sync?cursor=1&roster=1".to_string()])
        );
        assert!(!device.roster_version_announced("v3").unwrap());
        // A restarted device keeps the version with the roster.
        drop(device);
        let reopened = crate::device::Device::open(
            dir.path(),
            &url,
            Arc::new(klaxon_domain::clock::ManualClock::new(t0())),
        )
        .unwrap();
        assert!(!reopened.roster_version_announced("v3").unwrap());
    }

    /// Shells run `sync` and `listen` on a multi-threaded runtime: their
    /// futures must be `Send`, so no store lock may be held across an
    /// `.await` (it would also stall pages arriving meanwhile).
    #[test]
    fn sync_and_listen_futures_are_send() {
        fn assert_send<T: Send>(_: &T) {}
        let dir = tempfile::tempdir().unwrap();
        let device = Arc::new(device_at_t0(dir.path()));
        assert_send(&device.sync());
        assert_send(&device.listen(std::time::Duration::from_secs(1), 1));
    }
}
