//! What the relay keeps about running the rota: live overrides (on top of
//! the roster file's), the audit log of who changed what, and the secret
//! calendar links. [`RotaStore`] is part of every [`super::RelayStore`].
//!
//! The audit API other features call is [`RotaStore::record_audit`]: one
//! [`AuditRecord`] (who, what, details), committed with its own time.

use super::StoreFuture;
use chrono::{DateTime, Utc};
use klaxon_domain::schedule::LiveOverride;
use serde::{Deserialize, Serialize};

/// A live override to store (the relay assigns its id).
#[derive(Debug, Clone)]
pub struct NewOverride {
    /// The schedule it changes.
    pub schedule: String,
    /// Who is put on call.
    pub person: String,
    /// Whom they replace; `None`: everyone on call then.
    pub replacing: Option<String>,
    /// First instant.
    pub start: DateTime<Utc>,
    /// First instant after it.
    pub end: DateTime<Utc>,
    /// When it was asked for.
    pub created_at: DateTime<Utc>,
    /// `admin` or `person:<id>`.
    pub created_by: String,
}

/// One entry to record in the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who did it: `admin` (the admin token), `person:<id>` (a signed
    /// device), `signal:SIGHUP` (the operator's reload).
    pub who: String,
    /// What kind of change: `roster.reload`, `override.add`,
    /// `override.remove`, `ical.link`, `maintenance.start`, `device.revoke`, …
    pub action: String,
    /// What changed, in words an operator reads (`override 3: bob on call in
    /// primary 2026-03-01T09:00:00Z–2026-03-02T09:00:00Z`).
    pub what: String,
}

/// A recorded audit entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Its sequence number (ascending).
    pub id: i64,
    /// The record.
    #[serde(flatten)]
    pub record: AuditRecord,
}

/// The rota's storage: every method one transaction, durable when it returns.
pub trait RotaStore: Send + Sync + 'static {
    /// Stores a live override and its audit entry together.
    fn add_override(&self, new: NewOverride, audit: AuditRecord) -> StoreFuture<LiveOverride>;

    /// Deletes a live override (recording `audit` with it); `None` when no
    /// override has that id.
    fn remove_override(&self, id: i64, audit: AuditRecord) -> StoreFuture<Option<LiveOverride>>;

    /// The live overrides that end after `now`, oldest first.
    fn live_overrides(&self, now: DateTime<Utc>) -> StoreFuture<Vec<LiveOverride>>;

    /// Records one audit entry: the call other features (maintenance
    /// windows, revokes) make.
    fn record_audit(&self, record: AuditRecord) -> StoreFuture<()>;

    /// The newest `limit` audit entries, oldest first.
    fn audit_log(&self, limit: usize) -> StoreFuture<Vec<AuditEntry>>;

    /// Stores a calendar link: the SHA-256 (hex) of its secret token and
    /// whose shifts it serves.
    fn create_ical_link(
        &self,
        token_sha256: String,
        person: String,
        audit: AuditRecord,
    ) -> StoreFuture<()>;

    /// Whose calendar the token with this SHA-256 (hex) serves.
    fn ical_link_person(&self, token_sha256: String) -> StoreFuture<Option<String>>;
}
