//! Pages as a device receives them: parse the push, drop repeats (the same
//! alert, escalation step and state never rings twice however often the push
//! arrives), keep a record, and say what the shell must show. A status
//! update (`Page::status_update`) is planned silent: it never rings.

use crate::error::Result;
use crate::store::Store;
use chrono::{DateTime, Utc};
use klaxon_domain::notify::{self, NotificationPlan, NotificationSettings};
use serde::{Deserialize, Serialize};

pub use klaxon_domain::wire::Page;

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
