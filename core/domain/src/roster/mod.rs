//! The roster file ("roster as code"): people, schedules, escalation
//! policies and services, parsed from TOML and validated as a whole.
//! Every problem is reported with its field path; nothing panics on input.

mod parse;

use crate::escalation::EscalationPolicy;
pub use crate::heartbeat::Heartbeat;
use crate::schedule::Schedule;
use crate::Priority;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::fmt;
use std::path::Path;

/// Someone who can be paged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Unique id, `[a-z0-9_-]+`.
    pub id: String,
    /// Display name.
    pub name: String,
}

/// Something that raises alerts; its routing key is what senders use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// Unique id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The escalation policy that pages for it.
    pub policy: String,
    /// 32 characters; PagerDuty Events v2 `routing_key` and the Alertmanager URL key.
    pub routing_key: String,
    /// Link sent with every page.
    pub runbook: Option<String>,
    /// When set, every alert of this service has this priority whatever its severity.
    pub priority: Option<Priority>,
}

/// One problem found in a roster: where, and what is wrong (with the fix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Field path such as `schedules[0].layers[1].length`, or `line 3, column 7` for syntax errors.
    pub path: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Every problem that stopped a roster from loading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterError {
    /// The file the roster came from (for messages), if any.
    pub file: Option<String>,
    /// One entry per problem, in file order.
    pub problems: Vec<Problem>,
}

impl fmt::Display for RosterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            match &self.file {
                Some(file) => write!(f, "{file}: {p}")?,
                None => write!(f, "{p}")?,
            }
        }
        Ok(())
    }
}

impl std::error::Error for RosterError {}

/// One shift of one person, with the schedule it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonShift {
    /// Schedule id.
    pub schedule: String,
    /// First instant on call.
    pub start: DateTime<Utc>,
    /// First instant off call.
    pub end: DateTime<Utc>,
}

/// A validated roster.
#[derive(Debug, Clone)]
pub struct Roster {
    /// People, in file order.
    pub people: Vec<Person>,
    /// Schedules, in file order.
    pub schedules: Vec<Schedule>,
    /// Escalation policies, in file order.
    pub policies: Vec<EscalationPolicy>,
    /// Services, in file order.
    pub services: Vec<Service>,
    /// Heartbeats (dead-man switches), in file order.
    pub heartbeats: Vec<Heartbeat>,
    /// What loads but is probably a mistake (an override naming someone not
    /// in `[[people]]`), each with its field path; `roster check` warns.
    pub warnings: Vec<Problem>,
    /// Names this roster's text: 16 hex digits of a 64-bit FNV-1a hash of
    /// the file, the same on every machine and build. The relay hands it to
    /// devices so they fetch the roster again when it changes; any edit
    /// (a comment too) changes it, which costs a device one roster fetch.
    pub version: String,
}

/// The [`Roster::version`] of a roster's text.
pub fn version_of(text: &str) -> String {
    // FNV-1a: tiny, and fixed by its definition, unlike std's hasher,
    // whose output may change between Rust releases.
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let hash = text
        .bytes()
        .fold(OFFSET, |h, b| (h ^ u64::from(b)).wrapping_mul(PRIME));
    format!("{hash:016x}")
}

impl Roster {
    /// Parses and validates roster TOML; every problem is reported at once.
    pub fn parse(text: &str) -> Result<Roster, RosterError> {
        parse::parse(text).map_err(|problems| RosterError {
            file: None,
            problems,
        })
    }

    /// Reads, parses and validates a roster file; problems name the file.
    pub fn load(path: &Path) -> Result<Roster, RosterError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| RosterError {
            file: Some(file.clone()),
            problems: vec![Problem {
                path: "file".into(),
                message: format!("cannot read it: {e}"),
            }],
        })?;
        Self::parse(&text).map_err(|mut e| {
            e.file = Some(file);
            e
        })
    }

    /// The person with this id.
    pub fn person(&self, id: &str) -> Option<&Person> {
        self.people.iter().find(|p| p.id == id)
    }

    /// The schedule with this id.
    pub fn schedule(&self, id: &str) -> Option<&Schedule> {
        self.schedules.iter().find(|s| s.id() == id)
    }

    /// The escalation policy with this id.
    pub fn policy(&self, id: &str) -> Option<&EscalationPolicy> {
        self.policies.iter().find(|p| p.id == id)
    }

    /// The service with this id.
    pub fn service(&self, id: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.id == id)
    }

    /// The service senders address with this routing key.
    pub fn service_by_routing_key(&self, key: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.routing_key == key)
    }

    /// The heartbeat jobs beat with this key.
    pub fn heartbeat_by_key(&self, key: &str) -> Option<&Heartbeat> {
        self.heartbeats.iter().find(|h| h.key == key)
    }

    /// One person's final shifts in `[from, to)` across every schedule,
    /// ordered by start (then schedule id).
    pub fn person_shifts(
        &self,
        person: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<PersonShift> {
        let mut out: Vec<PersonShift> = self
            .schedules
            .iter()
            .flat_map(|s| {
                s.shifts(from, to)
                    .into_iter()
                    .filter(|sh| sh.person == person)
                    .map(|sh| PersonShift {
                        schedule: s.id().to_string(),
                        start: sh.start,
                        end: sh.end,
                    })
            })
            .collect();
        out.sort_by(|a, b| {
            a.start
                .cmp(&b.start)
                .then_with(|| a.schedule.cmp(&b.schedule))
        });
        out
    }
}
