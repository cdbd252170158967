//! Live overrides: cover changes kept by the relay (`klaxon override add`,
//! `Pager.takeShift`) on top of the roster file's own overrides. The rules
//! are here, pure: what a valid live override is ([`check_live_override`]),
//! how overlapping ones combine (the newest wins over the time they share),
//! and what each one changes ([`Schedule::live_override_effects`]). The
//! relay stores them and rebuilds its roster with
//! [`Roster::with_live_overrides`] whenever they change.

use super::{Override, Schedule};
use crate::roster::{version_of, Problem, Roster};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The longest a live override may last.
pub const MAX_LIVE_OVERRIDE_DAYS: i64 = 90;

/// One override kept by the relay. Without `replacing`, `person` takes the
/// whole schedule for `[start, end)` (whoever was on call is off); with it,
/// `person` replaces `replacing` only while `replacing` is on call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveOverride {
    /// The relay's id for it; a higher id is newer.
    pub id: i64,
    /// The schedule it changes.
    pub schedule: String,
    /// Who is put on call.
    pub person: String,
    /// Whom they replace; `None`: everyone on call then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacing: Option<String>,
    /// First instant it applies.
    pub start: DateTime<Utc>,
    /// First instant it no longer applies.
    pub end: DateTime<Utc>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// Who made it: `admin` (the admin token) or `person:<id>` (a device).
    pub created_by: String,
}

/// What a live override changes over one stretch of time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverrideChange {
    /// First instant of the stretch.
    pub start: DateTime<Utc>,
    /// First instant after it.
    pub end: DateTime<Utc>,
    /// Who the roster (file and older overrides aside) had on call then,
    /// and is replaced; empty when nobody was on call.
    pub instead_of: Vec<String>,
}

/// What one live override does once the newer ones had their say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverrideEffect {
    /// The override's id.
    pub id: i64,
    /// The stretches where it decides who is on call.
    pub changes: Vec<OverrideChange>,
    /// Newer overrides that take some of its time (ids, ascending).
    pub superseded_by: Vec<i64>,
}

/// Checks a new live override against the roster at `now`; every problem
/// names its field (`from`, `to`, `person`, `replacing`, `schedule`).
pub fn check_live_override(
    roster: &Roster,
    schedule: &str,
    person: &str,
    replacing: Option<&str>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), Vec<Problem>> {
    let mut problems = Vec::new();
    let mut problem = |path: &str, message: String| {
        problems.push(Problem {
            path: path.to_string(),
            message,
        })
    };
    if roster.schedule(schedule).is_none() {
        let known: Vec<&str> = roster.schedules.iter().map(|s| s.id()).collect();
        problem(
            "schedule",
            format!(
                "{schedule:?} is not a schedule in the roster (known: {})",
                known.join(", ")
            ),
        );
    }
    let known_people = || {
        roster
            .people
            .iter()
            .map(|p| p.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if roster.person(person).is_none() {
        problem(
            "person",
            format!(
                "{person:?} is not in the roster (known people: {})",
                known_people()
            ),
        );
    }
    if let Some(q) = replacing {
        if roster.person(q).is_none() {
            problem(
                "replacing",
                format!(
                    "{q:?} is not in the roster (known people: {})",
                    known_people()
                ),
            );
        } else if q == person {
            problem(
                "replacing",
                format!("{q:?} is the person put on call; name someone else or leave it out"),
            );
        }
    }
    if end <= now {
        problem(
            "to",
            format!("{end} is in the past; an override must end after now ({now})"),
        );
    }
    if end <= start {
        problem("to", format!("must be after from ({start})"));
    } else if end - start > Duration::days(MAX_LIVE_OVERRIDE_DAYS) {
        problem(
            "to",
            format!(
                "the override lasts {} days; at most {MAX_LIVE_OVERRIDE_DAYS} days are allowed",
                (end - start).num_days()
            ),
        );
    }
    if end > now && start < now - Duration::minutes(5) {
        problem(
            "from",
            format!("{start} is in the past; start it now ({now}) or later"),
        );
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// `[start, end)` minus the union of `taken`.
fn subtract(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    taken: &[(DateTime<Utc>, DateTime<Utc>)],
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut pieces = vec![(start, end)];
    for &(ts, te) in taken {
        pieces = pieces
            .into_iter()
            .flat_map(|(s, e)| {
                let mut out = Vec::new();
                if ts >= e || te <= s {
                    out.push((s, e));
                } else {
                    if s < ts {
                        out.push((s, ts));
                    }
                    if te < e {
                        out.push((te, e));
                    }
                }
                out
            })
            .collect();
    }
    pieces
}

/// An override, the stretches where it decides, and the newer ids that
/// took the rest.
type Pieces<'a> = (&'a LiveOverride, Vec<Stretch>, Vec<i64>);

/// `[start, end)`.
type Stretch = (DateTime<Utc>, DateTime<Utc>);

/// The live overrides of one schedule, oldest first, each with the
/// stretches where it decides (newer ones removed) and who took the rest.
fn pieces<'a>(schedule: &str, live: &'a [LiveOverride]) -> Vec<Pieces<'a>> {
    let mut mine: Vec<&LiveOverride> = live
        .iter()
        .filter(|o| o.schedule == schedule && o.start < o.end)
        .collect();
    mine.sort_by_key(|o| o.id);
    mine.iter()
        .enumerate()
        .map(|(i, o)| {
            let newer: Vec<&&LiveOverride> = mine[i + 1..]
                .iter()
                .filter(|n| n.start < o.end && n.end > o.start)
                .collect();
            let taken: Vec<_> = newer.iter().map(|n| (n.start, n.end)).collect();
            (
                *o,
                subtract(o.start, o.end, &taken),
                newer.iter().map(|n| n.id).collect(),
            )
        })
        .collect()
}

impl Schedule {
    /// This schedule with `live` overrides (those of other schedules are
    /// ignored) applied after its own: where they overlap, the newest (the
    /// highest id) decides.
    pub fn with_live_overrides(&self, live: &[LiveOverride]) -> Schedule {
        let mut extra: Vec<Override> = Vec::new();
        for (o, stretches, _) in pieces(self.id(), live) {
            for (start, end) in stretches {
                match &o.replacing {
                    Some(q) => extra.push(Override {
                        start,
                        end,
                        add: Some(o.person.clone()),
                        remove: Some(q.clone()),
                    }),
                    None => {
                        for shift in self.shifts(start, end) {
                            if shift.person != o.person {
                                extra.push(Override {
                                    start: shift.start,
                                    end: shift.end,
                                    add: None,
                                    remove: Some(shift.person),
                                });
                            }
                        }
                        extra.push(Override {
                            start,
                            end,
                            add: Some(o.person.clone()),
                            remove: None,
                        });
                    }
                }
            }
        }
        if extra.is_empty() {
            return self.clone();
        }
        let mut overrides = self.overrides.clone();
        overrides.extend(extra);
        Schedule::new(
            self.id.clone(),
            self.time_zone,
            self.layers.clone(),
            overrides,
        )
        .with_name(self.name.clone())
        .with_expected_gaps(self.gaps_expected)
    }

    /// What each of `live` (those of this schedule) changes against this
    /// schedule without them: the stretches where it decides and whom it
    /// puts off call there, and which newer overrides took the rest.
    pub fn live_override_effects(&self, live: &[LiveOverride]) -> Vec<OverrideEffect> {
        pieces(self.id(), live)
            .into_iter()
            .map(|(o, stretches, superseded_by)| OverrideEffect {
                id: o.id,
                changes: stretches
                    .into_iter()
                    .map(|(start, end)| {
                        let mut instead_of: Vec<String> = self
                            .shifts(start, end)
                            .into_iter()
                            .map(|s| s.person)
                            .filter(|p| {
                                *p != o.person && o.replacing.as_ref().is_none_or(|q| q == p)
                            })
                            .collect();
                        instead_of.sort();
                        instead_of.dedup();
                        OverrideChange {
                            start,
                            end,
                            instead_of,
                        }
                    })
                    .collect(),
                superseded_by,
            })
            .collect()
    }
}

impl Roster {
    /// This roster with the relay's live overrides applied to their
    /// schedules (see [`Schedule::with_live_overrides`]). Its
    /// [`Roster::version`] names the file and the overrides together, so a
    /// device refetches the roster when either changes.
    pub fn with_live_overrides(&self, live: &[LiveOverride]) -> Roster {
        if live.is_empty() {
            return self.clone();
        }
        let mut roster = self.clone();
        roster.schedules = self
            .schedules
            .iter()
            .map(|s| s.with_live_overrides(live))
            .collect();
        let mut ids: Vec<String> = live
            .iter()
            .map(|o| format!("{}@{}-{}", o.id, o.start.timestamp(), o.end.timestamp()))
            .collect();
        ids.sort();
        roster.version = version_of(&format!("{}+{}", self.version, ids.join(",")));
        roster
    }
}
