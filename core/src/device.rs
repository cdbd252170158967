//! The device side of Klaxon in one place: a phone (through the FFI crate)
//! or the terminal pager opens a [`Device`] on its state directory and gets
//! enrollment, push handling, queued actions, sync, the synced roster, the
//! user's settings, and the self-check that says what will stop a page from
//! ringing. The shell only draws and rings, through a [`Shell`].

use crate::alert::{Action, AlertStatus};
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::notify::{self, NotificationPlan, NotificationSettings, PageContent, RingLoop};
use crate::outbox::{self, Backoff, QueuedAction, Sender};
use crate::page::{self, Delivery, Page};
use crate::store::{Durability, Store};
use crate::sync::{self, keys, lock, Credentials, Enrollment, RelayClient, RelayTransport};
use crate::wire::{
    AlertDetails, AlertView, PersonView, PushPlatform, PushTokenRequest, RosterView,
};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
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

/// A push token older than this is probably stale: FCM and APNs rotate
/// tokens, and a shell that stopped reporting them stops getting pages.
const PUSH_TOKEN_MAX_AGE: Duration = Duration::days(60);
/// No successful sync for this long: the roster and alert list are old.
const SYNC_MAX_AGE: Duration = Duration::hours(24);

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

/// How bad a health finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthLevel {
    /// Fine; said so the screen can show a full checklist.
    Ok,
    /// Pages still ring, but something is degraded or about to be.
    Warning,
    /// Some pages will not ring, or will not arrive.
    Problem,
}

/// One finding of the self-check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthItem {
    /// Stable id of the check (`enrollment`, `notifications`, `dnd`,
    /// `full_screen`, `battery`, `push_token`, `last_push`, `sync`,
    /// `outbox`, `shell`, `settings`), for the shell to attach a fix-it button.
    pub check: String,
    /// How bad.
    pub level: HealthLevel,
    /// In words, for the person.
    pub message: String,
}

/// The self-check: everything that will stop a page from ringing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// No finding at [`HealthLevel::Problem`].
    pub ok: bool,
    /// Every check, problems first.
    pub items: Vec<HealthItem>,
    /// When the last push arrived.
    pub last_push_at: Option<DateTime<Utc>>,
    /// When the last sync succeeded.
    pub last_sync_at: Option<DateTime<Utc>>,
    /// Actions waiting to reach the relay.
    pub pending_actions: u32,
    /// How old the push token is.
    pub push_token_age: Option<std::time::Duration>,
}

/// An alert as the device knows it, with its actions still in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertEntry {
    /// The relay's view (from the last sync, or from a page).
    pub view: AlertView,
    /// This device's actions on it that the relay has not confirmed yet.
    pub pending: Vec<QueuedAction>,
    /// "escalates to Bob Okafor in 4:32", when an escalation is coming.
    pub next_escalation: Option<String>,
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

/// A person on call now, in one schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnCall {
    /// The person.
    pub person: PersonView,
    /// When their current shift ends.
    pub until: DateTime<Utc>,
}

/// One of this device's person's shifts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MyShift {
    /// Schedule id.
    pub schedule: String,
    /// The schedule's display name, when the roster gives one.
    pub schedule_name: Option<String>,
    /// First instant on call.
    pub start: DateTime<Utc>,
    /// First instant off call.
    pub end: DateTime<Utc>,
}

/// One on-call shift with the person's display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedShift {
    /// The person (id and display name; the id again when the roster has
    /// no name for them).
    pub person: PersonView,
    /// First instant on call.
    pub start: DateTime<Utc>,
    /// First instant off call.
    pub end: DateTime<Utc>,
}

/// The next change of who is on call in a schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextHandoff {
    /// When it changes.
    pub at: DateTime<Utc>,
    /// Who is on call from then on (empty: nobody, a gap starts).
    pub people: Vec<PersonView>,
}

/// A schedule the device's person can see, as the roster screen lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleInfo {
    /// Schedule id.
    pub id: String,
    /// Display name, when the roster gives one.
    pub name: Option<String>,
    /// IANA time zone its handoffs are written in.
    pub time_zone: String,
    /// Who is on call now (empty: nobody).
    pub on_call: Vec<OnCall>,
    /// The next change of who is on call within the synced window (about
    /// 30 days); `None` when nothing changes before the window ends.
    pub next_handoff: Option<NextHandoff>,
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
    /// `relay_url`.
    pub fn open(state_dir: &Path, relay_url: &str, clock: Arc<dyn Clock>) -> Result<Device> {
        std::fs::create_dir_all(state_dir)?;
        let store = Store::open(state_dir.join(DATABASE_FILE))?;
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
        let enrollment = sync::enroll(
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
                merge_page_into_view(&mut store, &page, now)?;
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
                    crate::wire::StreamEvent::Page { page } => {
                        if let Some(plan) = self.handle_page(&page)? {
                            listened.plans.push(plan);
                        }
                        listened.pages = listened.pages.saturating_add(1);
                        if listened.pages >= max_pages {
                            break;
                        }
                    }
                    crate::wire::StreamEvent::Changed { .. } => listened.changed = true,
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
    /// A snooze must end in the future and within [`crate::alert::MAX_SNOOZE`].
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
            if *until - now > crate::alert::MAX_SNOOZE {
                return Err(Error::Invalid(format!(
                    "a snooze may last at most {} hours",
                    crate::alert::MAX_SNOOZE.num_hours()
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

        let pulled = sync::pull(&self.relay, &creds, &self.store).await?;
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
        let next_escalation = view
            .upcoming
            .as_ref()
            .filter(|_| view.status == AlertStatus::Triggered)
            .map(|up| {
                let names: Vec<String> = up.people.iter().map(|p| self.person_name(p)).collect();
                let who = match names.as_slice() {
                    [] => "nobody".to_string(),
                    [one] => one.clone(),
                    [init @ .., last] => format!("{} and {last}", init.join(", ")),
                };
                format!("escalates to {who} in {}", up.countdown(now))
            });
        AlertEntry {
            pending: pending
                .iter()
                .filter(|a| a.alert == view.id)
                .cloned()
                .collect(),
            view,
            next_escalation,
        }
    }

    fn person_name(&self, id: &str) -> String {
        self.roster_view()
            .and_then(|r| r.people.iter().find(|p| p.id == id).map(|p| p.name.clone()))
            .unwrap_or_else(|| id.to_string())
    }

    /// The synced roster view (people, services, schedules with their
    /// shifts), once a sync brought one; shells list schedules from it.
    pub fn roster_view(&self) -> Option<Arc<RosterView>> {
        self.roster
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn synced_roster(&self) -> Result<Arc<RosterView>> {
        self.roster_view()
            .ok_or_else(|| Error::Invalid("no roster yet: sync with the relay first".into()))
    }

    /// Who is on call in `schedule` now, from the synced shifts.
    pub fn who_is_on_call(&self, schedule: &str) -> Result<Vec<OnCall>> {
        let roster = self.synced_roster()?;
        let now = self.clock.now();
        let sched = roster
            .schedules
            .iter()
            .find(|s| s.id == schedule)
            .ok_or_else(|| Error::Invalid(format!("no schedule {schedule:?} in the roster")))?;
        Ok(sched
            .shifts
            .iter()
            .filter(|s| s.start <= now && now < s.end)
            .map(|s| OnCall {
                person: person_view(&roster, &s.person),
                until: s.end,
            })
            .collect())
    }

    /// Every schedule the device's person can see (the synced roster view
    /// holds only their teams' schedules), in roster order: name, zone, who
    /// is on call now and the next handoff with who takes over.
    pub fn schedules(&self) -> Result<Vec<ScheduleInfo>> {
        let roster = self.synced_roster()?;
        let now = self.clock.now();
        Ok(roster
            .schedules
            .iter()
            .map(|sched| ScheduleInfo {
                id: sched.id.clone(),
                name: sched.name.clone(),
                time_zone: sched.time_zone.clone(),
                on_call: sched
                    .shifts
                    .iter()
                    .filter(|s| s.start <= now && now < s.end)
                    .map(|s| OnCall {
                        person: person_view(&roster, &s.person),
                        until: s.end,
                    })
                    .collect(),
                next_handoff: next_handoff(&sched.shifts, now, roster.to).map(|(at, ids)| {
                    NextHandoff {
                        at,
                        people: ids.iter().map(|id| person_view(&roster, id)).collect(),
                    }
                }),
            })
            .collect())
    }

    /// The shifts of `schedule` in `[from, to)` with the people's names,
    /// clipped to the window (only as far as the synced window reaches).
    pub fn named_shifts(
        &self,
        schedule: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<NamedShift>> {
        let shifts = self.roster(schedule, from, to)?;
        let roster = self.synced_roster()?;
        Ok(shifts
            .into_iter()
            .map(|s| NamedShift {
                person: person_view(&roster, &s.person),
                start: s.start,
                end: s.end,
            })
            .collect())
    }

    /// The shifts of `schedule` in `[from, to)`, clipped to the window (only
    /// as far as the synced window reaches).
    pub fn roster(
        &self,
        schedule: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<crate::wire::ShiftView>> {
        check_window(from, to)?;
        let roster = self.synced_roster()?;
        let sched = roster
            .schedules
            .iter()
            .find(|s| s.id == schedule)
            .ok_or_else(|| Error::Invalid(format!("no schedule {schedule:?} in the roster")))?;
        Ok(sched
            .shifts
            .iter()
            .filter(|s| s.start < to && s.end > from)
            .map(|s| crate::wire::ShiftView {
                person: s.person.clone(),
                start: s.start.max(from),
                end: s.end.min(to),
            })
            .collect())
    }

    /// This device's person's shifts in `[from, to)` across every schedule.
    pub fn my_shifts(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<MyShift>> {
        check_window(from, to)?;
        let person = self.require_credentials()?.enrollment.person.clone();
        let roster = self.synced_roster()?;
        let mut out: Vec<MyShift> = roster
            .schedules
            .iter()
            .flat_map(|sched| {
                sched
                    .shifts
                    .iter()
                    .filter(|s| s.person == person && s.start < to && s.end > from)
                    .map(|s| MyShift {
                        schedule: sched.id.clone(),
                        schedule_name: sched.name.clone(),
                        start: s.start.max(from),
                        end: s.end.min(to),
                    })
            })
            .collect();
        out.sort_by(|a, b| {
            a.start
                .cmp(&b.start)
                .then_with(|| a.schedule.cmp(&b.schedule))
        });
        Ok(out)
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

    /// The self-check: what will stop a page from ringing, in words.
    pub fn health(&self) -> Result<Health> {
        let now = self.clock.now();
        let (caps, last_push, last_sync, registered, settings, pending) = {
            let store = lock(&self.store);
            (
                store.setting::<Capabilities>(more_keys::CAPABILITIES)?,
                store.setting::<DateTime<Utc>>(more_keys::LAST_PUSH)?,
                store
                    .setting::<LastSync>(more_keys::LAST_SYNC)?
                    .unwrap_or_default(),
                store
                    .setting::<Option<String>>(more_keys::PUSH_REGISTERED)?
                    .flatten(),
                store.notification_settings()?,
                pending_of(&store)?,
            )
        };
        let shell_error = self
            .shell_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let has_shell = self
            .shell
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .is_some();
        let enrolled = self.enrollment();
        let input = HealthInput {
            now,
            enrolled: enrolled.as_ref(),
            caps: caps.as_ref(),
            last_push,
            last_sync: &last_sync,
            push_registered: registered.is_some(),
            settings: &settings,
            pending: &pending,
            has_shell,
            shell_error: shell_error.as_deref(),
        };
        Ok(check_health(&input))
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

fn check_window(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<()> {
    if from >= to {
        return Err(Error::Invalid(format!(
            "the window is empty: from {from} is not before to {to}"
        )));
    }
    Ok(())
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

/// A person's view from the roster: id and display name (the id again when
/// the roster does not know them).
fn person_view(roster: &RosterView, id: &str) -> PersonView {
    roster
        .people
        .iter()
        .find(|p| p.id == id)
        .cloned()
        .unwrap_or_else(|| PersonView {
            id: id.to_string(),
            name: id.to_string(),
        })
}

/// The first instant after `now` and before `window_end` (the synced
/// window's edge, which is not a handoff) at which the set of people on
/// call in `shifts` differs from the set now; with that new set, in shift
/// order.
fn next_handoff(
    shifts: &[crate::wire::ShiftView],
    now: DateTime<Utc>,
    window_end: DateTime<Utc>,
) -> Option<(DateTime<Utc>, Vec<String>)> {
    let on_call_at = |t: DateTime<Utc>| {
        let mut ids: Vec<String> = Vec::new();
        for s in shifts.iter().filter(|s| s.start <= t && t < s.end) {
            if !ids.contains(&s.person) {
                ids.push(s.person.clone());
            }
        }
        ids
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let current = sorted(on_call_at(now));
    let mut instants: Vec<DateTime<Utc>> = shifts
        .iter()
        .flat_map(|s| [s.start, s.end])
        .filter(|t| *t > now && *t < window_end)
        .collect();
    instants.sort();
    instants.dedup();
    instants.into_iter().find_map(|t| {
        let people = on_call_at(t);
        (sorted(people.clone()) != current).then_some((t, people))
    })
}

/// The page a synced alert stands for when it is triggered and its latest
/// escalation step paged `person`: what a push would have carried.
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

fn missed_page(view: &AlertView, person: &str) -> Option<Page> {
    if view.status != AlertStatus::Triggered {
        return None;
    }
    let step_seq = view
        .timeline
        .iter()
        .rev()
        .find_map(|entry| match &entry.event {
            crate::alert::Event::Notified {
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
fn merge_page_into_view(store: &mut Store, page: &Page, now: DateTime<Utc>) -> Result<()> {
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
            paged: Vec::new(),
            revision: page.revision,
            timeline: Vec::new(),
            upcoming: None,
            runbook: page.runbook.clone(),
            details: AlertDetails::default(),
        },
    };
    store.save_synced_alerts(std::slice::from_ref(&view))
}

struct HealthInput<'a> {
    now: DateTime<Utc>,
    enrolled: Option<&'a Enrollment>,
    caps: Option<&'a Capabilities>,
    last_push: Option<DateTime<Utc>>,
    last_sync: &'a LastSync,
    push_registered: bool,
    settings: &'a NotificationSettings,
    pending: &'a [QueuedAction],
    has_shell: bool,
    shell_error: Option<&'a str>,
}

fn ago(now: DateTime<Utc>, then: DateTime<Utc>) -> String {
    let secs = (now - then).num_seconds().max(0);
    match secs {
        0..=59 => format!("{secs} s ago"),
        60..=3599 => format!("{} min ago", secs / 60),
        3600..=172_799 => format!("{} h ago", secs / 3600),
        _ => format!("{} days ago", secs / 86_400),
    }
}

/// The self-check's rules, over plain values (tested without a device).
fn check_health(input: &HealthInput<'_>) -> Health {
    use HealthLevel::{Ok as Fine, Problem, Warning};
    let mut items = Vec::new();
    let mut add = |check: &str, level: HealthLevel, message: String| {
        items.push(HealthItem {
            check: check.to_string(),
            level,
            message,
        })
    };
    let now = input.now;

    match input.enrolled {
        None => add(
            "enrollment",
            Problem,
            "This device is not enrolled with a relay: no page can reach it. Enroll it with a \
             one-time code from `klaxon invite`."
                .into(),
        ),
        Some(e) => add(
            "enrollment",
            Fine,
            format!("Enrolled as {} with {}.", e.person, e.relay_url),
        ),
    }

    let mut push_token_age = None;
    match input.caps {
        None => add(
            "notifications",
            Problem,
            "The app has not reported its permissions yet, so nothing is known about whether a \
             page can ring. Open the app once."
                .into(),
        ),
        Some(caps) => {
            if caps.notifications_allowed {
                add("notifications", Fine, "Notifications are allowed.".into());
            } else {
                add(
                    "notifications",
                    Problem,
                    "Notifications are turned off for Klaxon: pages will neither show nor ring."
                        .into(),
                );
            }
            match (caps.dnd_access, input.settings.allow_override_dnd) {
                (true, true) => add(
                    "dnd",
                    Fine,
                    "Critical pages can ring through Do-Not-Disturb and silent mode.".into(),
                ),
                (false, true) => add(
                    "dnd",
                    Problem,
                    "Klaxon may not override Do-Not-Disturb: a critical page stays silent while \
                     Do-Not-Disturb or silent mode is on. Grant Do-Not-Disturb access."
                        .into(),
                ),
                (_, false) => add(
                    "dnd",
                    Warning,
                    "You turned off \"override Do-Not-Disturb\": critical pages stay silent while \
                     Do-Not-Disturb is on."
                        .into(),
                ),
            }
            if caps.full_screen_allowed {
                add(
                    "full_screen",
                    Fine,
                    "Critical pages can show full screen over the lock screen.".into(),
                );
            } else {
                add(
                    "full_screen",
                    Warning,
                    "Klaxon may not show full screen over the lock screen: a critical page shows \
                     only as a notification. Allow full-screen notifications."
                        .into(),
                );
            }
            if caps.battery_optimisation_exempt {
                add(
                    "battery",
                    Fine,
                    "Battery optimisation will not delay pages.".into(),
                );
            } else {
                add(
                    "battery",
                    Warning,
                    "Battery optimisation is on for Klaxon: the system may delay pushes and stop \
                     the ring loop. Exempt Klaxon from battery optimisation."
                        .into(),
                );
            }
            match (&caps.push_token, caps.push_platform) {
                (_, PushPlatform::None) => add(
                    "push_token",
                    Warning,
                    "This device has no push service: pages arrive only while Klaxon is running \
                     and connected."
                        .into(),
                ),
                (None, _) => add(
                    "push_token",
                    Problem,
                    "There is no push token: pages cannot reach this device while the app is \
                     closed."
                        .into(),
                ),
                (Some(_), _) => {
                    let issued = caps.push_token_issued_at.unwrap_or(caps.reported_at);
                    let age = (now - issued).max(Duration::zero());
                    push_token_age = age.to_std().ok();
                    if !input.push_registered {
                        add(
                            "push_token",
                            Warning,
                            "The push token has not reached the relay yet; it will at the next \
                             sync."
                                .into(),
                        );
                    } else if age > PUSH_TOKEN_MAX_AGE {
                        add(
                            "push_token",
                            Warning,
                            format!(
                                "The push token is {} days old and may have expired: open the \
                                 app so it can refresh it.",
                                age.num_days()
                            ),
                        );
                    } else {
                        add(
                            "push_token",
                            Fine,
                            format!(
                                "The push token is registered (issued {}).",
                                ago(now, issued)
                            ),
                        );
                    }
                }
            }
        }
    }

    match input.last_push {
        Some(at) => add(
            "last_push",
            Fine,
            format!("The last page arrived {}.", ago(now, at)),
        ),
        None => add(
            "last_push",
            Warning,
            "No page has reached this device yet: send a test page to check the whole path.".into(),
        ),
    }

    match (input.last_sync.ok_at, &input.last_sync.error) {
        (_, Some(error)) => add("sync", Warning, format!("The last sync failed: {error}.")),
        (None, None) => add(
            "sync",
            Warning,
            "This device has not synced with the relay yet: the roster and alert list are empty."
                .into(),
        ),
        (Some(at), None) if now - at > SYNC_MAX_AGE => add(
            "sync",
            Warning,
            format!("The last successful sync was {}.", ago(now, at)),
        ),
        (Some(at), None) => add("sync", Fine, format!("Synced {}.", ago(now, at))),
    }

    match input.pending.first() {
        None => add("outbox", Fine, "Every action reached the relay.".into()),
        Some(oldest) => add(
            "outbox",
            Warning,
            format!(
                "{} action(s) have not reached the relay yet (the oldest, {} on {}, from {}): \
                 until they do, escalation goes on as if you had not acted.",
                input.pending.len(),
                oldest.action.verb(),
                oldest.alert,
                ago(now, oldest.created_at)
            ),
        ),
    }

    if !input.settings.keep_ringing_until_acknowledged {
        add(
            "settings",
            Warning,
            format!(
                "Critical pages ring for {} s only, not until acknowledged.",
                input.settings.ring_limit.as_secs()
            ),
        );
    }
    match (input.has_shell, input.shell_error) {
        (false, _) => add(
            "shell",
            Warning,
            "No notification sink is attached: core cannot show or ring a page by itself.".into(),
        ),
        (true, Some(error)) => add(
            "shell",
            Problem,
            format!("The app failed to show or ring a page: {error}."),
        ),
        (true, None) => {}
    }

    items.sort_by_key(|i| match i.level {
        Problem => 0,
        Warning => 1,
        Fine => 2,
    });
    Health {
        ok: !items.iter().any(|i| i.level == Problem),
        items,
        last_push_at: input.last_push,
        last_sync_at: input.last_sync.ok_at,
        pending_actions: u32::try_from(input.pending.len()).unwrap_or(u32::MAX),
        push_token_age,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
            .single()
            .unwrap_or_default()
    }

    fn caps(now: DateTime<Utc>) -> Capabilities {
        Capabilities {
            notifications_allowed: true,
            dnd_access: true,
            full_screen_allowed: true,
            battery_optimisation_exempt: true,
            push_platform: PushPlatform::Fcm,
            push_token: Some("tok".into()),
            push_token_issued_at: Some(now),
            reported_at: now,
        }
    }

    fn input<'a>(
        caps: Option<&'a Capabilities>,
        sync: &'a LastSync,
        settings: &'a NotificationSettings,
        enrolled: Option<&'a Enrollment>,
    ) -> HealthInput<'a> {
        HealthInput {
            now: t0(),
            enrolled,
            caps,
            last_push: Some(t0() - Duration::minutes(5)),
            last_sync: sync,
            push_registered: true,
            settings,
            pending: &[],
            has_shell: true,
            shell_error: None,
        }
    }

    fn level(h: &Health, check: &str) -> Option<HealthLevel> {
        h.items.iter().find(|i| i.check == check).map(|i| i.level)
    }

    #[test]
    fn health_names_each_thing_that_stops_a_page_from_ringing() {
        let sync = LastSync {
            at: Some(t0()),
            ok_at: Some(t0()),
            error: None,
        };
        let settings = NotificationSettings::default();
        let mut c = caps(t0());
        let h = check_health(&input(Some(&c), &sync, &settings, None));
        assert!(!h.ok, "not enrolled is a problem");
        assert_eq!(level(&h, "enrollment"), Some(HealthLevel::Problem));
        assert_eq!(h.items[0].check, "enrollment", "problems come first");

        c.dnd_access = false;
        c.notifications_allowed = false;
        c.push_token = None;
        let h = check_health(&input(Some(&c), &sync, &settings, None));
        assert_eq!(level(&h, "dnd"), Some(HealthLevel::Problem));
        assert_eq!(level(&h, "notifications"), Some(HealthLevel::Problem));
        assert_eq!(level(&h, "push_token"), Some(HealthLevel::Problem));
        assert!(h.items.iter().all(|i| !i.message.is_empty()));

        let quiet = NotificationSettings {
            allow_override_dnd: false,
            ..NotificationSettings::default()
        };
        let h = check_health(&input(Some(&c), &sync, &quiet, None));
        assert_eq!(
            level(&h, "dnd"),
            Some(HealthLevel::Warning),
            "the user chose it"
        );
    }

    #[test]
    fn an_old_push_token_and_pending_actions_are_warnings() {
        let sync = LastSync::default();
        let settings = NotificationSettings::default();
        let c = caps(t0() - Duration::days(90));
        let h = check_health(&input(Some(&c), &sync, &settings, None));
        assert_eq!(level(&h, "push_token"), Some(HealthLevel::Warning));
        assert_eq!(
            h.push_token_age,
            Some(std::time::Duration::from_secs(90 * 86_400))
        );
        assert_eq!(level(&h, "sync"), Some(HealthLevel::Warning));
        let pending = [QueuedAction {
            id: 1,
            key: crate::alert::IdempotencyKey::new("k"),
            alert: "a1".into(),
            person: "alice".into(),
            action: Action::Acknowledge,
            seen: None,
            created_at: t0() - Duration::minutes(3),
            attempts: 2,
            next_attempt_at: t0(),
            last_error: Some("network".into()),
            outcome: None,
        }];
        let mut i = input(Some(&c), &sync, &settings, None);
        i.pending = &pending;
        let h = check_health(&i);
        let outbox = h.items.iter().find(|i| i.check == "outbox");
        assert!(outbox.is_some_and(|o| o.message.contains("acknowledge on a1")));
        assert_eq!(h.pending_actions, 1);
    }

    #[test]
    fn an_unenrolled_device_refuses_pushes_and_actions_and_keeps_settings() {
        let dir = tempfile::tempdir().unwrap();
        let device = Device::open(
            dir.path(),
            "http://127.0.0.1:9",
            Arc::new(ManualClock::new(t0())),
        )
        .unwrap();
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
        let identity = crate::crypto::DeviceIdentity::generate().unwrap();
        let sealed = crate::crypto::seal(&identity.sealing_public_key(), b"{}").unwrap();
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
            priority: crate::Priority::Critical,
            status: AlertStatus::Triggered,
            revision: 2,
            runbook: None,
            status_update: false,
        };
        merge_page_into_view(&mut store, &page, t0()).unwrap();
        let stale = Page {
            status: AlertStatus::Resolved,
            revision: 1,
            ..page.clone()
        };
        merge_page_into_view(&mut store, &stale, t0()).unwrap();
        let view = store.synced_alert("a1").unwrap().unwrap();
        assert_eq!((view.status, view.revision), (AlertStatus::Triggered, 2));
        let newer = Page {
            status: AlertStatus::Acknowledged,
            revision: 3,
            ..page
        };
        merge_page_into_view(&mut store, &newer, t0()).unwrap();
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
            priority: crate::Priority::Critical,
            status: AlertStatus::Triggered,
            revision,
            runbook: None,
            status_update: false,
        }
    }

    fn recorded_device(dir: &Path) -> (Device, Arc<Recorder>) {
        let device =
            Device::open(dir, "http://127.0.0.1:9", Arc::new(ManualClock::new(t0()))).unwrap();
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
        merge_page_into_view(&mut lock(&device.store), &synced, t0()).unwrap();
        let plan = device
            .handle_page(&critical_page("a1", 1, 2))
            .unwrap()
            .unwrap();
        assert!(plan.ring.is_none());
        assert_eq!(shell.calls(), ["stop a1", "update a1 Silent"]);
        assert!(!device.is_ringing("a1"));
    }

    fn shift(person: &str, from_h: i64, to_h: i64) -> crate::wire::ShiftView {
        crate::wire::ShiftView {
            person: person.into(),
            start: t0() + Duration::hours(from_h),
            end: t0() + Duration::hours(to_h),
        }
    }

    #[test]
    fn the_next_handoff_is_the_first_change_of_who_is_on_call() {
        let end = t0() + Duration::days(30);
        // alice now until +8 h, bob joins at +4 h (a change), alice leaves at +8 h.
        let shifts = [shift("alice", -2, 8), shift("bob", 4, 12)];
        assert_eq!(
            next_handoff(&shifts, t0(), end),
            Some((
                t0() + Duration::hours(4),
                vec!["alice".to_string(), "bob".to_string()]
            ))
        );
        // Back-to-back shifts of the same person are no handoff; a gap is one.
        let shifts = [
            shift("alice", -2, 8),
            shift("alice", 8, 16),
            shift("bob", 20, 30),
        ];
        assert_eq!(
            next_handoff(&shifts, t0(), end),
            Some((t0() + Duration::hours(16), vec![]))
        );
        // The window's edge is not a handoff.
        let shifts = [shift("alice", -2, 24 * 30)];
        assert_eq!(next_handoff(&shifts, t0(), end), None);
    }

    #[test]
    fn schedules_list_names_zones_who_is_on_call_and_the_next_handoff() {
        let dir = tempfile::tempdir().unwrap();
        let roster = RosterView {
            from: t0(),
            to: t0() + Duration::days(30),
            people: vec![
                PersonView {
                    id: "alice".into(),
                    name: "Alice Chen".into(),
                },
                PersonView {
                    id: "bob".into(),
                    name: "Bob Okafor".into(),
                },
            ],
            services: vec![],
            schedules: vec![
                crate::wire::ScheduleView {
                    id: "primary".into(),
                    name: Some("Platform primary".into()),
                    time_zone: "America/Chicago".into(),
                    shifts: vec![
                        shift("alice", -1, 6),
                        shift("bob", 6, 30),
                        shift("zed", 30, 40),
                    ],
                },
                crate::wire::ScheduleView {
                    id: "office".into(),
                    name: None,
                    time_zone: "Europe/London".into(),
                    shifts: vec![],
                },
            ],
        };
        {
            let mut store = Store::open(dir.path().join(DATABASE_FILE)).unwrap();
            store
                .set_setting(keys::ROSTER, &roster, Durability::Normal)
                .unwrap();
        }
        let device = Device::open(
            dir.path(),
            "http://127.0.0.1:9",
            Arc::new(ManualClock::new(t0())),
        )
        .unwrap();
        let list = device.schedules().unwrap();
        assert_eq!(list.len(), 2);
        let primary = &list[0];
        assert_eq!(
            (
                primary.id.as_str(),
                primary.name.as_deref(),
                primary.time_zone.as_str()
            ),
            ("primary", Some("Platform primary"), "America/Chicago")
        );
        assert_eq!(primary.on_call.len(), 1);
        assert_eq!(primary.on_call[0].person.name, "Alice Chen");
        assert_eq!(primary.on_call[0].until, t0() + Duration::hours(6));
        let next = primary.next_handoff.as_ref().unwrap();
        assert_eq!(next.at, t0() + Duration::hours(6));
        assert_eq!(next.people[0].name, "Bob Okafor");
        assert_eq!((list[1].name.as_ref(), list[1].on_call.len()), (None, 0));
        assert_eq!(list[1].next_handoff, None);

        let shifts = device
            .named_shifts("primary", t0(), t0() + Duration::days(2))
            .unwrap();
        let names: Vec<&str> = shifts.iter().map(|s| s.person.name.as_str()).collect();
        assert_eq!(
            names,
            ["Alice Chen", "Bob Okafor", "zed"],
            "unknown ids stand for themselves"
        );
        assert_eq!(shifts[0].start, t0(), "clipped to the window");
        assert!(matches!(
            device.named_shifts("nope", t0(), t0() + Duration::days(1)),
            Err(Error::Invalid(_))
        ));
    }

    #[test]
    fn an_unenrolled_device_refuses_a_sync_needed_push_too() {
        let dir = tempfile::tempdir().unwrap();
        let device = Device::open(
            dir.path(),
            "http://127.0.0.1:9",
            Arc::new(ManualClock::new(t0())),
        )
        .unwrap();
        let push = br#"{"v":"1","alert":"a1","sync":"1"}"#;
        assert!(matches!(device.receive_push(push), Err(Error::NotEnrolled)));
        assert!(
            matches!(device.schedules(), Err(Error::Invalid(_))),
            "no roster yet"
        );
    }
}
