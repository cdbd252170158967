//! The relay's storage: the [`RelayStore`] trait and its embedded SQLite
//! implementation. Operations are domain-sized transactions ("ingest these
//! events", "fire the due deadlines", "apply these actions") so that a
//! PostgreSQL backend maps each onto one transaction (a unique index on open
//! (service, dedup_key); deadlines claimed with `FOR UPDATE SKIP LOCKED`).
//! A write's decisions are [`crate::routing`]'s plans and its order is
//! [`write`]'s: a backend supplies only the SQL ([`write::WriteTx`]).

pub mod rota;
mod sqlite;
pub mod write;

pub use sqlite::SqliteStore;
pub use write::Committed;

use crate::errors::StoreError;
use chrono::{DateTime, Utc};
use klaxon_domain::alert::{Actor, Command, Outcome, Trigger};
use klaxon_domain::wire::{AlertDetails, PushPlatform};
use klaxon_domain::{Alert, AlertStatus, Roster};
use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// A boxed future, so the trait stays object-safe (`Arc<dyn RelayStore>`).
pub type StoreFuture<T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'static>>;

/// One event from an integration, already validated and routed to a service.
#[derive(Debug, Clone)]
pub enum IngestEvent {
    /// Open an alert, or update the open one with the same dedup key.
    Trigger {
        /// The trigger (service, dedup key, summary, priority, integration).
        trigger: Trigger,
        /// Links, images, runbook and the rest.
        details: AlertDetails,
    },
    /// Acknowledge the open alert with this key; ignored when there is none.
    Acknowledge {
        /// Service id.
        service: String,
        /// Dedup key.
        dedup_key: String,
        /// The integration.
        actor: Actor,
    },
    /// Resolve the open alert with this key; ignored when there is none.
    Resolve {
        /// Service id.
        service: String,
        /// Dedup key.
        dedup_key: String,
        /// The integration.
        actor: Actor,
    },
}

/// What one ingested event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IngestOutcome {
    /// A new alert opened.
    Opened,
    /// The open alert with that key was updated.
    Deduplicated,
    /// The acknowledge/resolve applied to the open alert.
    Applied,
    /// The alert was already in that state.
    AlreadyInState,
    /// No open alert has that key: accepted and ignored, as PagerDuty does.
    Ignored,
}

/// A heartbeat's stored state (see [`RelayStore::fire_heartbeats`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeartbeatRow {
    /// The roster heartbeat's id.
    pub id: String,
    /// Its latest beat, if one arrived since it was added.
    pub last_beat: Option<DateTime<Utc>>,
    /// When it is (was) overdue.
    pub due: DateTime<Utc>,
}

/// A device's action on an alert, checked against what it may see.
#[derive(Debug, Clone)]
pub struct DeviceAction {
    /// The alert.
    pub alert: String,
    /// The command (actor = the device's person, with the idempotency key).
    pub command: Command,
}

/// What one device action came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceActionResult {
    /// It reached the alert.
    Done(Outcome),
    /// No such alert among those the device may see.
    UnknownAlert,
}

/// An alert as stored, with its change cursor.
#[derive(Debug, Clone)]
pub struct StoredAlert {
    /// The alert and its timeline.
    pub alert: Alert,
    /// Links, images, runbook and the rest.
    pub details: AlertDetails,
    /// The change cursor of its latest change.
    pub changed: u64,
}

/// A one-time enrollment code.
#[derive(Debug, Clone)]
pub struct Invite {
    /// The code.
    pub code: String,
    /// Who enrolls with it.
    pub person: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// An enrolled device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// Its id (`x-klaxon-device`).
    pub id: String,
    /// Whose it is.
    pub person: String,
    /// Its name.
    pub name: String,
    /// Ed25519 public key for request signatures.
    pub signing_key: [u8; 32],
    /// X25519 public key pages are sealed to.
    pub sealing_key: [u8; 32],
    /// Push service, if registered.
    pub push_platform: Option<PushPlatform>,
    /// Push token, if registered.
    pub push_token: Option<String>,
}

/// Names one queued push: this alert's step (or status update) to this device.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PushKey {
    /// The alert.
    pub alert: String,
    /// The escalation step (`Page::step_seq`).
    pub step_seq: u32,
    /// 0 for a page; the alert's timeline revision for a status update
    /// (one per alert, revision and device).
    pub revision: u32,
    /// The device.
    pub device: String,
}

/// A push waiting in the push outbox.
#[derive(Debug, Clone)]
pub struct PendingPush {
    /// Which push.
    pub key: PushKey,
    /// The device, with its push token and sealing key.
    pub device: Device,
    /// The page to seal and send.
    pub page: klaxon_domain::wire::Page,
    /// Attempts so far.
    pub attempts: u32,
}

/// What became of a push attempt, for the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushSettlement {
    /// Done (delivered, or given up on): forget the row.
    Done,
    /// Try again at this instant.
    RetryAt(DateTime<Utc>),
    /// The token this push went to is dead. If the device still has it,
    /// clear it and drop the device's queued pushes; if the device
    /// registered another token while the push was on its way, keep that
    /// one and send this row again at once, to it.
    Unregistered {
        /// The token the provider called dead (as the push read it).
        token: Option<String>,
    },
}

/// A page of changes for a sync.
#[derive(Debug, Clone)]
pub struct Changes {
    /// Changed alerts the caller may see, oldest change first.
    pub alerts: Vec<StoredAlert>,
    /// Where the next sync continues.
    pub cursor: u64,
    /// True when the limit cut the page short.
    pub more: bool,
}

/// Everything the relay stores. Each method is one transaction; writes
/// return only after their commit is durable, so a 2xx sent after one
/// means the data is on disk.
pub trait RelayStore: rota::RotaStore + Send + Sync + 'static {
    /// Ingests events in order in one transaction: one outcome per event.
    fn ingest(
        &self,
        events: Vec<IngestEvent>,
        roster: Arc<Roster>,
        now: DateTime<Utc>,
    ) -> StoreFuture<(Vec<IngestOutcome>, Committed)>;

    /// Applies device actions in order, idempotently (an idempotency key
    /// applies once); alerts outside `services` are unknown to the device.
    fn apply_actions(
        &self,
        actions: Vec<DeviceAction>,
        services: Arc<HashSet<String>>,
        roster: Arc<Roster>,
        now: DateTime<Utc>,
    ) -> StoreFuture<(Vec<DeviceActionResult>, Committed)>;

    /// Claims up to `limit` deadlines due at `now`, runs their escalation
    /// and persists the result; what was committed comes back for delivery.
    fn fire_due(
        &self,
        roster: Arc<Roster>,
        now: DateTime<Utc>,
        limit: usize,
    ) -> StoreFuture<Committed>;

    /// Arms each heartbeat to be overdue at its instant: creates the rows
    /// of heartbeats never seen; with `reset` (the relay starting) also
    /// moves every row that is not overdue to its instant (no beat can
    /// arrive while the relay is down).
    fn arm_heartbeats(&self, due: Vec<(String, DateTime<Utc>)>, reset: bool) -> StoreFuture<()>;

    /// Records a beat of `heartbeat` at `now`, overdue next at `due`, and
    /// ingests `resolve` (its silence alert, if open) in the same
    /// transaction.
    fn beat(
        &self,
        heartbeat: String,
        due: DateTime<Utc>,
        resolve: IngestEvent,
        roster: Arc<Roster>,
        now: DateTime<Utc>,
    ) -> StoreFuture<Committed>;

    /// Claims up to `limit` heartbeats overdue at `now`, opens each one's
    /// silence alert and marks it overdue until its next beat.
    fn fire_heartbeats(
        &self,
        roster: Arc<Roster>,
        now: DateTime<Utc>,
        limit: usize,
    ) -> StoreFuture<Committed>;

    /// When the next heartbeat that is not overdue yet will be.
    fn next_heartbeat_due(&self) -> StoreFuture<Option<DateTime<Utc>>>;

    /// Stores a maintenance window and its audit entry together.
    fn start_maintenance(
        &self,
        window: crate::maintenance::MaintenanceWindow,
        audit: rota::AuditRecord,
    ) -> StoreFuture<()>;

    /// Ends the window `id` at `now` if it has not ended, and makes the
    /// deadlines of its service's triggered alerts due at `now` (they page
    /// at once), recording `audit` when it did end it; the window as it
    /// then stands, `None` for an unknown id.
    fn end_maintenance(
        &self,
        id: String,
        now: DateTime<Utc>,
        audit: rota::AuditRecord,
    ) -> StoreFuture<Option<crate::maintenance::MaintenanceWindow>>;

    /// The windows ending after `ending_after`, newest start first.
    fn maintenance_windows(
        &self,
        ending_after: DateTime<Utc>,
    ) -> StoreFuture<Vec<crate::maintenance::MaintenanceWindow>>;

    /// Stores a change event and deletes those that happened before
    /// `prune_before` (docs/relay.md, "Storage": kept 7 days).
    fn record_change(
        &self,
        change: crate::ingest::change_events::Change,
        prune_before: DateTime<Utc>,
    ) -> StoreFuture<()>;

    /// The changes of `service` that happened from `from` to `to`
    /// (inclusive), newest first, at most `limit`.
    fn changes_between(
        &self,
        service: String,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> StoreFuture<Vec<crate::ingest::change_events::Change>>;

    /// The earliest pending deadline.
    fn next_deadline(&self) -> StoreFuture<Option<DateTime<Utc>>>;

    /// How many deadlines are pending.
    fn pending_deadlines(&self) -> StoreFuture<u64>;

    /// Stores a new enrollment code.
    fn create_invite(&self, invite: Invite) -> StoreFuture<()>;

    /// Uses up a code and enrolls the device; `None` when the code is
    /// unknown, used or expired.
    fn enroll(
        &self,
        code: String,
        device: Device,
        now: DateTime<Utc>,
    ) -> StoreFuture<Option<Device>>;

    /// The device with this id.
    fn device(&self, id: String) -> StoreFuture<Option<Device>>;

    /// The id of the device enrolled with this Ed25519 signing key, if any
    /// (enrollment refuses a key already enrolled).
    fn device_with_signing_key(&self, key: [u8; 32]) -> StoreFuture<Option<String>>;

    /// Records a device request's nonce, committed before it answers, until
    /// `expires_s`; false when it was already used and has not expired (a
    /// replay, even across a restart). Prunes expired nonces.
    fn first_use_of_nonce(
        &self,
        device: String,
        nonce: String,
        expires_s: i64,
        now_s: i64,
    ) -> StoreFuture<bool>;

    /// Sets (or with `None`, clears) a device's push registration.
    fn set_push_token(
        &self,
        device: String,
        push: Option<(PushPlatform, String)>,
    ) -> StoreFuture<()>;

    /// Every device of these people.
    fn devices_of(&self, people: Vec<String>) -> StoreFuture<Vec<Device>>;

    /// Alerts of `services` changed after `cursor`, at most `limit`.
    fn changes_since(
        &self,
        cursor: u64,
        services: Arc<HashSet<String>>,
        limit: usize,
    ) -> StoreFuture<Changes>;

    /// All alerts, optionally of one status, oldest first.
    fn alerts(&self, status: Option<AlertStatus>) -> StoreFuture<Vec<StoredAlert>>;

    /// One alert.
    fn alert(&self, id: String) -> StoreFuture<Option<StoredAlert>>;

    /// Queued pushes due at `now` (at most `limit`), oldest first.
    fn due_pushes(&self, now: DateTime<Utc>, limit: usize) -> StoreFuture<Vec<PendingPush>>;

    /// Records what became of a push attempt.
    fn settle_push(
        &self,
        key: PushKey,
        settlement: PushSettlement,
        attempts: u32,
    ) -> StoreFuture<()>;

    /// Commits an empty write: `Ok` means the store is writable.
    fn probe(&self) -> StoreFuture<()>;
}
