//! Pages as a device receives them: parse the push, drop repeats (the same
//! alert, escalation step and state never rings twice however often the push
//! arrives), keep a record, and say what the shell must show. A status
//! update (`Page::status_update`) is planned silent: it never rings.

use crate::alert::AlertStatus;
use crate::error::Result;
use crate::notify::{self, NotificationPlan, NotificationSettings, PageContent};
use crate::store::Store;
use crate::Priority;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One page pushed to a device: an alert at one escalation step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    /// Alert id.
    pub alert: String,
    /// Which firing of the escalation this is (1-based, per alert); with
    /// `alert` and `status` it identifies the ring.
    pub step_seq: u32,
    /// Service id.
    pub service: String,
    /// Service display name.
    pub service_name: String,
    /// The alert's dedup key.
    pub dedup_key: String,
    /// What is wrong.
    pub summary: String,
    /// How loud.
    pub priority: Priority,
    /// The alert's state when the relay sent this.
    pub status: AlertStatus,
    /// The alert's timeline length when sent; actions send it back as `seen`.
    pub revision: u32,
    /// Runbook link.
    #[serde(default)]
    pub runbook: Option<String>,
    /// A status update, not a page: the alert moved on (acknowledged,
    /// resolved, or escalated to other people) and this push only stops
    /// the ring and refreshes the notification. A device never rings for
    /// one, whatever `status` says (docs/push.md, "Status updates").
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub status_update: bool,
}

impl Page {
    /// Parses a page from the push payload (JSON).
    pub fn from_json(json: &[u8]) -> Result<Page> {
        Ok(serde_json::from_slice(json)?)
    }

    /// What the notification needs to know.
    pub fn content(&self) -> PageContent {
        PageContent {
            alert: self.alert.clone(),
            priority: self.priority,
            status: self.status,
            service_name: self.service_name.clone(),
            summary: self.summary.clone(),
            runbook: self.runbook.clone(),
        }
    }
}

/// What to do with a received page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "delivery", rename_all = "snake_case")]
pub enum Delivery {
    /// A new page: show it as planned (it rings if the plan says so).
    Show(Box<NotificationPlan>),
    /// Seen before, or older than a page already shown: do nothing, ring nothing.
    Duplicate,
}

/// Handles one push end to end: parse, dedupe, persist, plan.
pub fn receive(
    store: &mut Store,
    settings: &NotificationSettings,
    json: &[u8],
    now: DateTime<Utc>,
) -> Result<Delivery> {
    let page = Page::from_json(json)?;
    if !store.record_page(&page, now)? {
        return Ok(Delivery::Duplicate);
    }
    let plan = notify::plan(&page.content(), settings);
    Ok(Delivery::Show(Box::new(if page.status_update {
        silenced(plan)
    } else {
        plan
    })))
}

/// A plan that shows the alert without a sound, a ring or a full-screen
/// takeover: what a status update replaces a ringing notification with.
/// (Acknowledged and resolved plans are silent already; this matters for
/// an alert escalated to other people, which is still `triggered`.)
pub fn silenced(mut plan: NotificationPlan) -> NotificationPlan {
    plan.sound = notify::Sound::Silent;
    plan.ring = None;
    plan.full_screen = false;
    plan.override_dnd = false;
    plan
}
