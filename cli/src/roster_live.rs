//! `klaxon roster who|shifts --relay URL`: the same answers as from the
//! roster file, from the relay's live roster (reloads and live overrides
//! included) through `GET /v1/admin/schedules/{id}` (KLAXON_ADMIN_TOKEN),
//! printed by `roster_cmd`'s code.

use crate::outcome::{BadInput, Report};
use crate::override_cmd::admin_call;
use crate::relay_client::RelayUrl;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use klaxon_domain::{Gap, Handoff, Shift};
use serde::Deserialize;
use std::collections::BTreeMap;

/// A shift or gap as the relay sends it.
#[derive(Debug, Deserialize)]
struct Span {
    #[serde(default)]
    person: String,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

/// The next handoff as the relay sends it.
#[derive(Debug, Deserialize)]
struct NextHandoff {
    at: DateTime<Utc>,
    people: Vec<String>,
}

/// `GET /v1/admin/schedules/{id}`'s answer.
#[derive(Debug, Deserialize)]
struct LiveSchedule {
    schedule: String,
    time_zone: String,
    on_call: Vec<String>,
    next_handoff: Option<NextHandoff>,
    shifts: Vec<Span>,
    gaps: Vec<Span>,
    names: BTreeMap<String, String>,
}

impl LiveSchedule {
    fn zone(&self) -> Result<Tz, BadInput> {
        self.time_zone.parse().map_err(|_| {
            BadInput::new(format!(
                "the relay's time zone {:?} for {} is not an IANA zone",
                self.time_zone, self.schedule
            ))
        })
    }

    /// `alice (Alice Chen)`, as `roster who --config` prints a person.
    fn label(&self, id: &str) -> String {
        match self.names.get(id) {
            Some(name) => format!("{id} ({name})"),
            None => id.to_string(),
        }
    }
}

fn fetch(relay: &str, schedule: &str, query: &[(&str, String)]) -> Result<LiveSchedule, BadInput> {
    let relay = RelayUrl::parse(relay)?;
    // The id is a path segment: keep it one.
    if schedule.is_empty() || schedule.contains(['/', '?', '#', '%']) {
        return Err(BadInput::new(format!(
            "--schedule {schedule:?}: not a schedule id"
        )));
    }
    admin_call(
        &relay,
        reqwest::Method::GET,
        &format!("/v1/admin/schedules/{schedule}"),
        query,
        None,
    )
}

/// `roster who --relay URL`.
pub fn who(relay: &str, schedule: &str, at: DateTime<Utc>, json: bool) -> Result<Report, BadInput> {
    let live = fetch(relay, schedule, &[("at", at.to_rfc3339())])?;
    let people: Vec<&str> = live.on_call.iter().map(String::as_str).collect();
    let next = live.next_handoff.as_ref().map(|h| Handoff {
        at: h.at,
        people: h.people.clone(),
    });
    crate::roster_cmd::who(
        &live.schedule,
        live.zone()?,
        at,
        &people,
        next.as_ref(),
        &|p| live.label(p),
        json,
    )
}

/// `roster shifts --relay URL`.
pub fn shifts(
    relay: &str,
    schedule: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    json: bool,
) -> Result<Report, BadInput> {
    let live = fetch(
        relay,
        schedule,
        &[("from", from.to_rfc3339()), ("to", to.to_rfc3339())],
    )?;
    let shifts: Vec<Shift> = live
        .shifts
        .iter()
        .map(|s| Shift {
            person: s.person.clone(),
            start: s.start,
            end: s.end,
        })
        .collect();
    let gaps: Vec<Gap> = live
        .gaps
        .iter()
        .map(|g| Gap {
            start: g.start,
            end: g.end,
        })
        .collect();
    crate::roster_cmd::shifts(
        &live.schedule,
        live.zone()?,
        from,
        to,
        &shifts,
        &gaps,
        &|p| live.label(p),
        json,
    )
}
