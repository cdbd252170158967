//! The device side of Klaxon in one place: a phone (through the FFI crate)
//! or the terminal pager opens a [`Device`] on its state directory and gets
//! enrollment, push handling, queued actions, sync, the synced roster, the
//! user's settings, and the self-check that says what will stop a page from
//! ringing. The shell only draws and rings, through a [`Shell`].
//!
//! This module holds the [`Device`] itself: opening, enrollment, pushes and
//! pages, actions, sync, listening, the alert list and the settings. Two
//! read-only parts live beside it, their types re-exported here: `health`,
//! the self-check ([`Device::health`]), and `roster`, the on-call queries
//! over the synced roster ([`Device::who_is_on_call`], [`Device::schedules`]).

mod health;
mod roster;
mod state_dir;

pub use health::{Health, HealthItem, HealthLevel};
pub use roster::{MyShift, NamedShift, NextHandoff, OnCall, ScheduleInfo};

use crate::client::{self, keys, lock, Credentials, Enrollment, RelayClient, RelayTransport};
use crate::error::{Error, Result};
use crate::outbox::{self, Backoff, QueuedAction, Sender};
use crate::page::{self, Delivery, Page};
use crate::store::{Durability, Store};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use klaxon_domain::alert::{Action, AlertStatus};
use klaxon_domain::clock::Clock;
use klaxon_domain::notify::{self, NotificationPlan, NotificationSettings, PageContent, RingLoop};
use klaxon_domain::wire::{AlertDetails, AlertView, PushPlatform, PushTokenRequest, RosterView};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

/// The database file inside the state directory.
pub const DATABASE_FILE: &str = "klaxon.db";

/// More settings-table names (see also `sync::keys`).
mod more_keys {
    pub const CAPABILITIES: &str = "device.capabilities";
    pub const LAST_PUSH: &str = "device.last_push_at";
    pub const LAST_SYNC: &str = "device.last_sync";
    pub const PUSH_REGISTERED: &str = "device.push_registered";
}

/// What the shell does on core's behalf. Every call names the alert (the
/// notification's identity). An `Err` is the shell's own failure, recorded
/// for [`Device::health`]; core carries on regardless.
pub trait Shell: Send + Sync {
    /// Show a new notification as planned (replacing one for the same alert).
    fn present(&self, plan: &NotificationPlan) -> std::result::Result<(), String>;
    /// Change an existing notification (state changed: acknowledged, escalated).
    fn update(&self, plan: &NotificationPlan) -> std::result::Result<(), String>;
    /// Remove the alert's notification.
    fn cancel(&self, alert: &str) -> std::result::Result<(), String>;
    /// Start the alert's ring loop.
    fn start_ringing(&self, alert: &str, ring: &RingLoop) -> std::result::Result<(), String>;
    /// Stop the alert's ring loop (a no-op if it is not ringing).
    fn stop_ringing(&self, alert: &str) -> std::result::Result<(), String>;
}

/// What the platform lets the app do, as the shell last reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    /// The user allows notifications at all.
    pub notifications_allowed: bool,
    /// The app may break through Do-Not-Disturb (Android: notification
    /// policy access / bypass-DND channel; iOS: Critical Alerts entitlement).
    pub dnd_access: bool,
    /// The app may show a full-screen page over the lock screen.
    pub full_screen_allowed: bool,
    /// The OS will not delay or drop the app's background work to save battery.
    pub battery_optimisation_exempt: bool,
    /// Which push service the token belongs to.
    pub push_platform: PushPlatform,
    /// The push token, if the app has one.
    pub push_token: Option<String>,
    /// When the push service issued that token.
    pub push_token_issued_at: Option<DateTime<Utc>>,
    /// When the shell reported this.
    pub reported_at: DateTime<Utc>,
}

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
    /// The relay said alerts changed: call [`Device::sync`].
    pub changed: bool,
}

/// The public halves of the device's keys, base64url without padding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKeys {
    /// Ed25519: verifies the device's request signatures.
    pub signing: String,
    /// X25519: pages are sealed to it.
    pub sealing: String,
}

/// What core made of one push ([`Device::receive_push`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    /// A new page, or a newer state of one: show it as planned (the shell
    /// was already told to present / ring / update / cancel).
    Show(Box<NotificationPlan>),
    /// A repeat of a page already handled: show and ring nothing.
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

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct LastSync {
    at: Option<DateTime<Utc>>,
    ok_at: Option<DateTime<Utc>>,
    error: Option<String>,
}

/// One device: its store, its relay, its shell. Thread-safe; share it in an `Arc`.
pub struct Device {
    state_dir: PathBuf,
    store: Mutex<Store>,
    relay: RelayClient,
    clock: Arc<dyn Clock>,
    shell: RwLock<Option<Arc<dyn Shell>>>,
    /// Alerts whose ring loop this process started and has not stopped.
    ringing: Mutex<HashSet<String>>,
    /// The roster view, parsed once (who-is-on-call is called per frame).
    roster: RwLock<Option<Arc<RosterView>>>,
    /// The enrollment's parsed keys (parsing a PKCS#8 key per push is waste).
    creds: RwLock<Option<Arc<Credentials>>>,
    /// The shell's last failure, for health.
    shell_error: Mutex<Option<String>>,
}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device")
            .field("state_dir", &self.state_dir)
            .field("relay", &self.relay.base_url())
            .finish_non_exhaustive()
    }
}

impl Device {
    /// Opens (creating) the device state in `state_dir` for the relay at
    /// `relay_url`. The database holds the device's private keys: on unix a
    /// state directory created here is `0700`, and the database with its
    /// `-wal` and `-shm` files is `0600` (looser files found are tightened).
    pub fn open(state_dir: &Path, relay_url: &str, clock: Arc<dyn Clock>) -> Result<Device> {
        state_dir::create_private_dir(state_dir)?;
        let database = state_dir.join(DATABASE_FILE);
        state_dir::make_database_private(&database)?;
        let store = Store::open(&database)?;
        let relay = RelayClient::new(relay_url)?;
        let roster: Option<RosterView> = store.setting(keys::ROSTER)?;
        let creds = Enrollment::load(&store)?
            .map(Credentials::new)
            .transpose()?
            .map(Arc::new);
        Ok(Device {
            state_dir: state_dir.to_path_buf(),
            store: Mutex::new(store),
            relay,
            clock,
            shell: RwLock::new(None),
            ringing: Mutex::new(HashSet::new()),
            roster: RwLock::new(roster.map(Arc::new)),
            creds: RwLock::new(creds),
            shell_error: Mutex::new(None),
        })
    }

    /// The state directory.
    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    /// Sets (or replaces, or with `None` removes) the shell core notifies.
    pub fn set_shell(&self, shell: Option<Arc<dyn Shell>>) {
        *self.shell.write().unwrap_or_else(|p| p.into_inner()) = shell;
    }

    /// The enrollment, once enrolled.
    pub fn enrollment(&self) -> Option<Enrollment> {
        self.credentials().map(|c| c.enrollment.clone())
    }

    /// The public halves of the device's keys, once enrolled.
    pub fn public_keys(&self) -> Option<PublicKeys> {
        self.credentials().map(|c| PublicKeys {
            signing: URL_SAFE_NO_PAD.encode(c.identity.signing_public_key()),
            sealing: URL_SAFE_NO_PAD.encode(c.identity.sealing_public_key()),
        })
    }

    fn credentials(&self) -> Option<Arc<Credentials>> {
        self.creds.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn require_credentials(&self) -> Result<Arc<Credentials>> {
        self.credentials().ok_or(Error::NotEnrolled)
    }

    /// Enrolls with the one-time code from `klaxon invite`: creates the
    /// device's keys, registers their public halves and stores the result.
    /// Enrolling again replaces the earlier identity.
    pub async fn enroll(&self, code: &str, device_name: &str) -> Result<Enrollment> {
        if code.trim().is_empty() {
            return Err(Error::Invalid("the enrollment code is empty".into()));
        }
        let enrollment = client::enroll(
            &self.relay,
            &self.store,
            code,
            device_name,
            self.clock.now(),
        )
        .await?;
        let creds = Arc::new(Credentials::new(enrollment.clone())?);
        *self.creds.write().unwrap_or_else(|p| p.into_inner()) = Some(creds);
        lock(&self.store).set_setting(
            more_keys::PUSH_REGISTERED,
            &Option::<String>::None,
            Durability::Normal,
        )?;
        Ok(enrollment)
    }

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
                    more_keys::LAST_PUSH,
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
        let (delivery, known) = {
            let mut store = lock(&self.store);
            let settings = store.notification_settings()?;
            // What the device knew before this page: a sync (or an earlier
            // push) may already have brought a newer state of the alert.
            let known = store.synced_alert(&page.alert)?;
            let delivery = page::receive(&mut store, &settings, json, now)?;
            store.set_setting(more_keys::LAST_PUSH, &now, Durability::Normal)?;
            if let Delivery::Show(_) = &delivery {
                merge_page_into_view(&mut store, &page, person.as_deref(), now)?;
            }
            (delivery, known)
        };
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
                if (quiet || newer.is_some()) && self.is_ringing(&page.alert) {
                    self.stop_ring(&page.alert);
                }
                return Ok(None);
            }
            Delivery::Show(plan) => *plan,
        };
        if let Some(view) = newer {
            let plan = self.plan_for(&view, view.status)?;
            self.stop_ring(&page.alert);
            if view.status == AlertStatus::Resolved {
                self.tell(|s| s.cancel(&page.alert));
            } else {
                self.tell(|s| s.update(&plan));
            }
            return Ok(Some(plan));
        }
        match page.status {
            AlertStatus::Triggered if !page.status_update => self.present_and_ring(&plan),
            // Escalated to other people (still triggered, the plan is
            // silenced) or acknowledged: stop, and show it quietly.
            AlertStatus::Triggered | AlertStatus::Acknowledged => {
                self.stop_ring(&plan.alert);
                self.tell(|s| s.update(&plan));
            }
            AlertStatus::Resolved => {
                self.stop_ring(&plan.alert);
                self.tell(|s| s.cancel(&plan.alert));
            }
        }
        Ok(Some(plan))
    }

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

    /// Commits an action to the outbox (durably, before returning) and
    /// applies its local effect at once: acknowledging or snoozing stops
    /// the ring and quietens the notification, resolving, escalating or
    /// declining stops the ring and removes it. [`Device::sync`] delivers it;
    /// should the relay refuse it while the alert still pages this person
    /// (an escalate with nobody left to page), that sync rings it again.
    /// A snooze must end in the future and within [`klaxon_domain::alert::MAX_SNOOZE`].
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
            let view = store.synced_alert(alert)?;
            let seen = view.as_ref().map(|v| v.revision);
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
        self.stop_ring(alert);
        match action {
            Action::Acknowledge | Action::Snooze { .. } => {
                if let Some(view) = &view {
                    let plan = self.plan_for(view, AlertStatus::Acknowledged)?;
                    self.tell(|s| s.update(&plan));
                }
            }
            Action::Resolve | Action::Escalate | Action::Decline => {
                self.tell(|s| s.cancel(alert));
            }
        }
        Ok(queued)
    }

    /// Delivers the outbox and pulls what changed: registers a new push
    /// token, sends every due action (each at most once per sync, with
    /// backoff between syncs), then syncs alerts and roster from the stored
    /// cursor. Every ring of this process whose alert, as stored after the
    /// sync, is no longer triggered or has an action queued stops (even when
    /// the relay was unreachable, and even when another process on the same
    /// state directory pulled the change). Needs a
    /// tokio runtime (it blocks a `spawn_blocking` thread per delivery).
    pub async fn sync(self: &Arc<Self>) -> Result<SyncReport> {
        let result = self.sync_inner().await;
        let now = self.clock.now();
        let pending = {
            let mut store = lock(&self.store);
            let mut last: LastSync = store.setting(more_keys::LAST_SYNC)?.unwrap_or_default();
            last.at = Some(now);
            match &result {
                Ok(_) => {
                    last.ok_at = Some(now);
                    last.error = None;
                }
                Err(e) => last.error = Some(e.to_string()),
            }
            store.set_setting(more_keys::LAST_SYNC, &last, Durability::Normal)?;
            pending_of(&store)?
        };
        // Also when the relay was unreachable: another process's queued
        // acknowledgement is in the store already.
        self.stop_rings_the_store_has_settled(&pending)?;
        result
    }

    async fn sync_inner(self: &Arc<Self>) -> Result<SyncReport> {
        let creds = self.require_credentials()?;
        self.register_push_token(&creds).await?;

        let this = Arc::clone(self);
        let runtime = tokio::runtime::Handle::current();
        let transport_creds = Arc::clone(&creds);
        let delivered = tokio::task::spawn_blocking(move || {
            let transport = RelayTransport::new(this.relay.clone(), transport_creds, runtime);
            let mut sender = Sender::new(transport, Backoff::from_os_entropy());
            sender.drain_shared(&this.store, this.clock.now())
        })
        .await
        .map_err(|e| Error::Invalid(format!("the outbox sender stopped: {e}")))??;

        let pulled = client::pull(&self.relay, &creds, &self.store).await?;
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
            if view.status != AlertStatus::Triggered && self.is_ringing(&view.id) {
                self.stop_ring(&view.id);
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

    /// After the relay refused an action (an escalate with nobody left to
    /// page, an acknowledgement that lost a race it may still owe), the
    /// alert may still be triggered and paging this person — but `act`
    /// silenced it when it was tapped. Ring again, unless another action
    /// is queued on it or it already rings. Returns the plan it presented.
    fn ring_again_after_refusal(
        &self,
        alert: &str,
        pending: &[QueuedAction],
        creds: &Credentials,
    ) -> Result<Option<NotificationPlan>> {
        if pending.iter().any(|a| a.alert == alert) || self.is_ringing(alert) {
            return Ok(None);
        }
        let Some(view) = lock(&self.store).synced_alert(alert)? else {
            return Ok(None);
        };
        if missed_page(&view, &creds.enrollment.person).is_none() {
            return Ok(None);
        }
        let plan = self.plan_for(&view, AlertStatus::Triggered)?;
        self.present_and_ring(&plan);
        Ok(Some(plan))
    }

    /// Shows a triggered page and starts its ring loop, if it has one.
    fn present_and_ring(&self, plan: &NotificationPlan) {
        self.tell(|s| s.present(plan));
        if let Some(ring) = &plan.ring {
            self.ringing_set().insert(plan.alert.clone());
            self.tell(|s| s.start_ringing(&plan.alert, ring));
        }
    }

    /// Stops every ring of this process whose alert, as stored now, is no
    /// longer triggered or has an action queued on it. The stored state,
    /// not what this sync pulled: two processes on one state directory
    /// share the cursor, so the other one's sync (or its queued
    /// acknowledgement) may be the only trace of the change.
    fn stop_rings_the_store_has_settled(&self, pending: &[QueuedAction]) -> Result<()> {
        let ringing: Vec<String> = self.ringing_set().iter().cloned().collect();
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
            self.stop_ring(&alert);
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

    async fn register_push_token(&self, creds: &Credentials) -> Result<()> {
        let (caps, registered) = {
            let store = lock(&self.store);
            let caps: Option<Capabilities> = store.setting(more_keys::CAPABILITIES)?;
            let registered: Option<String> = store
                .setting::<Option<String>>(more_keys::PUSH_REGISTERED)?
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
            more_keys::PUSH_REGISTERED,
            &Some(fingerprint),
            Durability::Normal,
        )
    }

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

    /// The user's notification settings.
    pub fn settings(&self) -> Result<NotificationSettings> {
        lock(&self.store).notification_settings()
    }

    /// Saves the user's notification settings (durably).
    pub fn set_settings(&self, settings: &NotificationSettings) -> Result<()> {
        lock(&self.store).set_notification_settings(settings)
    }

    /// Records what the platform allows; a new push token is registered
    /// with the relay at the next sync. A token reported without an issue
    /// time keeps the earlier one if unchanged, else counts from now.
    pub fn report_capabilities(&self, mut caps: Capabilities) -> Result<()> {
        let now = self.clock.now();
        caps.reported_at = now;
        let mut store = lock(&self.store);
        let before: Option<Capabilities> = store.setting(more_keys::CAPABILITIES)?;
        if caps.push_token.is_some() && caps.push_token_issued_at.is_none() {
            caps.push_token_issued_at = before
                .filter(|b| b.push_token == caps.push_token)
                .and_then(|b| b.push_token_issued_at)
                .or(Some(now));
        }
        store.set_setting(more_keys::CAPABILITIES, &caps, Durability::Normal)
    }

    /// Actions waiting for the relay's final answer, oldest first.
    pub fn pending_actions(&self) -> Result<Vec<QueuedAction>> {
        pending_of(&lock(&self.store))
    }

    /// The plan for showing `view` in `status` (e.g. after acknowledging).
    fn plan_for(&self, view: &AlertView, status: AlertStatus) -> Result<NotificationPlan> {
        let settings = self.settings()?;
        Ok(notify::plan(
            &PageContent {
                alert: view.id.clone(),
                priority: view.priority,
                status,
                service_name: view.service_name.clone(),
                summary: view.summary.clone(),
                runbook: view.runbook.clone(),
            },
            &settings,
        ))
    }

    fn ringing_set(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.ringing.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn is_ringing(&self, alert: &str) -> bool {
        self.ringing_set().contains(alert)
    }

    /// Stops the ring loop. Always told to the shell, even when this
    /// process did not start it: a ring started before an app restart must
    /// stop too, and stopping a silent alert is harmless.
    fn stop_ring(&self, alert: &str) {
        self.ringing_set().remove(alert);
        self.tell(|s| s.stop_ringing(alert));
    }

    fn tell(&self, call: impl FnOnce(&dyn Shell) -> std::result::Result<(), String>) {
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

/// Whether `view` is the relay's as of a sync, not one a newer page was
/// merged into: the relay sends the whole timeline, whose length is the
/// revision, and a merged page raises the revision without the timeline.
fn is_synced(view: &AlertView) -> bool {
    u32::try_from(view.timeline.len()).unwrap_or(u32::MAX) >= view.revision
}

fn pending_of(store: &Store) -> Result<Vec<QueuedAction>> {
    Ok(store
        .queued_actions()?
        .into_iter()
        .filter(|a| a.outcome.is_none())
        .collect())
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

/// The alerts on which the relay just refused an action, each once.
fn refused_alerts(delivered: &[QueuedAction]) -> Vec<&str> {
    let mut alerts: Vec<&str> = delivered
        .iter()
        .filter(|a| matches!(a.outcome, Some(outbox::ActionOutcome::Rejected { .. })))
        .map(|a| a.alert.as_str())
        .collect();
    alerts.sort_unstable();
    alerts.dedup();
    alerts
}

/// The page a synced alert stands for when it is triggered and its latest
/// escalation step paged `person`: what a push would have carried.
fn missed_page(view: &AlertView, person: &str) -> Option<Page> {
    if view.status != AlertStatus::Triggered {
        return None;
    }
    let step_seq = view
        .timeline
        .iter()
        .rev()
        .find_map(|entry| match &entry.event {
            klaxon_domain::alert::Event::Notified {
                step_seq, people, ..
            } => Some((*step_seq, people)),
            _ => None,
        });
    let (step_seq, people) = step_seq?;
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
    })
}

/// Keeps the alert list current from a page: a new alert appears at once
/// (before any sync), a known one takes the page's state if the page is newer.
/// A page that pages the device's `person` (triggered, not a status update)
/// adds them to `paged`, the way the relay's view will have it; who else
/// that step paged and what comes next arrive with the next sync.
fn merge_page_into_view(
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

/// Test helpers shared by this module's tests and its submodules'.
#[cfg(test)]
mod test_support {
    use super::Device;
    use chrono::{DateTime, TimeZone, Utc};
    use klaxon_domain::clock::ManualClock;
    use std::path::Path;
    use std::sync::Arc;

    /// The tests' "now": 2026-03-02 09:00 UTC.
    pub(super) fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
            .single()
            .unwrap_or_default()
    }

    /// A device on `dir` whose clock stands at [`t0`], with no relay
    /// listening (port 9).
    pub(super) fn device_at_t0(dir: &Path) -> Device {
        Device::open(dir, "http://127.0.0.1:9", Arc::new(ManualClock::new(t0()))).unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::{device_at_t0, t0};
    use super::*;
    use klaxon_domain::clock::ManualClock;

    #[test]
    fn an_unenrolled_device_refuses_pushes_and_actions_and_keeps_settings() {
        let dir = tempfile::tempdir().unwrap();
        let device = device_at_t0(dir.path());
        assert!(matches!(device.handle_push(b"x"), Err(Error::NotEnrolled)));
        assert!(matches!(
            device.act("a1", Action::Acknowledge),
            Err(Error::NotEnrolled)
        ));
        assert!(matches!(device.alert("a1"), Err(Error::UnknownAlert(_))));
        assert!(matches!(
            device.who_is_on_call("primary"),
            Err(Error::Invalid(_))
        ));
        let s = NotificationSettings {
            hide_details_on_lock_screen: true,
            ..NotificationSettings::default()
        };
        device.set_settings(&s).unwrap();
        assert_eq!(device.settings().unwrap(), s);
    }

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

    /// A shell that records what core tells it.
    #[derive(Default)]
    struct Recorder(Mutex<Vec<String>>);

    impl Recorder {
        fn calls(&self) -> Vec<String> {
            self.0.lock().unwrap().clone()
        }
        fn push(&self, call: String) -> std::result::Result<(), String> {
            self.0.lock().unwrap().push(call);
            Ok(())
        }
    }

    impl Shell for Recorder {
        fn present(&self, plan: &NotificationPlan) -> std::result::Result<(), String> {
            self.push(format!("present {}", plan.alert))
        }
        fn update(&self, plan: &NotificationPlan) -> std::result::Result<(), String> {
            self.push(format!("update {} {:?}", plan.alert, plan.sound))
        }
        fn cancel(&self, alert: &str) -> std::result::Result<(), String> {
            self.push(format!("cancel {alert}"))
        }
        fn start_ringing(&self, alert: &str, _: &RingLoop) -> std::result::Result<(), String> {
            self.push(format!("start {alert}"))
        }
        fn stop_ringing(&self, alert: &str) -> std::result::Result<(), String> {
            self.push(format!("stop {alert}"))
        }
    }

    fn critical_page(alert: &str, step_seq: u32, revision: u32) -> Page {
        Page {
            alert: alert.into(),
            step_seq,
            service: "api".into(),
            service_name: "Public API".into(),
            dedup_key: "d".into(),
            summary: "down".into(),
            priority: klaxon_domain::Priority::Critical,
            status: AlertStatus::Triggered,
            revision,
            runbook: None,
            status_update: false,
        }
    }

    fn recorded_device(dir: &Path) -> (Device, Arc<Recorder>) {
        let device = device_at_t0(dir);
        let recorder = Arc::new(Recorder::default());
        device.set_shell(Some(recorder.clone()));
        (device, recorder)
    }

    #[test]
    fn a_status_update_stops_the_ring_and_never_starts_one_and_its_repeat_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let (device, shell) = recorded_device(dir.path());
        let page = critical_page("a1", 1, 2);
        assert!(device.handle_page(&page).unwrap().unwrap().ring.is_some());
        assert_eq!(shell.calls(), ["present a1", "start a1"]);
        assert!(device.is_ringing("a1"));

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
        assert!(!device.is_ringing("a1"));
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
        assert!(!device.is_ringing("a1"));
    }

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

    #[test]
    fn an_unenrolled_device_refuses_a_sync_needed_push_too() {
        let dir = tempfile::tempdir().unwrap();
        let device = device_at_t0(dir.path());
        let push = br#"{"v":"1","alert":"a1","sync":"1"}"#;
        assert!(matches!(device.receive_push(push), Err(Error::NotEnrolled)));
        assert!(
            matches!(device.schedules(), Err(Error::Invalid(_))),
            "no roster yet"
        );
    }
}
