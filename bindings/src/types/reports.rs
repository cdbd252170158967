//! What one round with the relay brought: a push's outcome, a `sync()`'s
//! report and a `listen()`'s report.

use super::{all, NotificationPlan, QueuedActionInfo};
use klaxon_device::device as core_device;

/// What one `sync()` did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncReport {
    /// Actions attempted, with their status afterwards.
    pub delivered: Vec<QueuedActionInfo>,
    /// Alerts whose view changed.
    pub alerts_changed: u32,
    /// Whether a new roster arrived.
    pub roster_updated: bool,
    /// Actions still waiting afterwards.
    pub pending_actions: u32,
    /// Pages the sync found that no push brought (lost, or too large to
    /// push); already presented and rung through the sink.
    pub plans: Vec<NotificationPlan>,
}

impl From<core_device::SyncReport> for SyncReport {
    fn from(r: core_device::SyncReport) -> SyncReport {
        SyncReport {
            delivered: all(r.delivered),
            alerts_changed: r.alerts_changed,
            roster_updated: r.roster_updated,
            pending_actions: r.pending_actions,
            plans: r.plans,
        }
    }
}

/// What one `listen()` received.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ListenReport {
    /// Plans of the new pages (repeats left out), already presented.
    pub plans: Vec<NotificationPlan>,
    /// Pages received, repeats included.
    pub pages: u32,
    /// The relay said alerts changed: call `sync()`.
    pub changed: bool,
}

impl From<core_device::Listened> for ListenReport {
    fn from(l: core_device::Listened) -> ListenReport {
        ListenReport {
            plans: l.plans,
            pages: l.pages,
            changed: l.changed,
        }
    }
}

/// What `receivePush` made of one push. Kotlin: a sealed class
/// (`PushResult.Show`, `PushResult.Duplicate`, `PushResult.SyncNeeded`);
/// Swift: an enum (`.show(plan:)`, `.duplicate`, `.syncNeeded(alert:)`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum PushResult {
    /// A new page, or a newer state of one: show it as `plan` says. The
    /// sink was already told to present (and ring, or update, or cancel).
    Show {
        /// The instruction for the notification.
        plan: NotificationPlan,
    },
    /// A repeat of a page already handled: show and ring nothing.
    Duplicate,
    /// The page was too large for the push service, which carried only its
    /// alert id (a sync-needed push). Call `sync()` now: it fetches the page
    /// and presents and rings it through the sink once (its plan is in
    /// `SyncReport.plans`). Until then, keep the push's own generic, loud text.
    SyncNeeded {
        /// The alert the page belongs to.
        alert: String,
    },
}

impl From<core_device::PushOutcome> for PushResult {
    fn from(o: core_device::PushOutcome) -> PushResult {
        match o {
            // Core boxes the plan to keep its enum small; UniFFI variants
            // hold values.
            core_device::PushOutcome::Show(plan) => PushResult::Show { plan: *plan },
            core_device::PushOutcome::Duplicate => PushResult::Duplicate,
            core_device::PushOutcome::SyncNeeded { alert } => PushResult::SyncNeeded { alert },
        }
    }
}
