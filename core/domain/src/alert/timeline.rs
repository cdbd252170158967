//! An alert's timeline: the append-only, ordered record of everything that
//! happened to it — who, when, from where. Audits and conflict rules read it;
//! nothing ever removes an entry or changes what it says happened; the only
//! update is a step entry's count of re-notifications.

use super::action::{Actor, IdempotencyKey};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// The alert opened.
    Triggered {
        /// The summary it opened with.
        summary: String,
    },
    /// A trigger with the same dedup key arrived while the alert was open
    /// and changed its summary or priority (an identical re-send records
    /// nothing). The alert holds the priority it now has.
    Deduplicated {
        /// The summary that trigger carried (now the alert's summary).
        summary: String,
    },
    /// An escalation step fired and paged these people.
    Notified {
        /// Identifies this ring together with the alert id.
        step_seq: u32,
        /// Pass through the policy (0-based).
        pass: u8,
        /// Step index (0-based).
        step: u32,
        /// Person ids paged (empty: the step's schedules had a gap).
        people: Vec<String>,
        /// Those of `people` who could not be reached: nobody enrolled a
        /// device for them. Absent when everyone could be (and from entries
        /// recorded before this field existed).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        unreachable: Vec<String>,
        /// How many times this step's page was sent again to its people
        /// (a critical page, every `renotify`, until someone acknowledged,
        /// or the step moved on). Counted here rather than one entry per
        /// ring, so a long night does not grow the timeline.
        #[serde(default, skip_serializing_if = "is_zero")]
        renotified: u32,
        /// When the latest of those re-notifications went out.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        renotified_at: Option<DateTime<Utc>>,
    },
    /// Someone took the alert.
    Acknowledged,
    /// Someone moved the alert to the next escalation step.
    Escalated,
    /// A paged person said "I can't take this"; the alert escalated at once.
    Declined,
    /// Acknowledged until `until`, when it triggers again.
    Snoozed {
        /// When the alert re-triggers.
        until: DateTime<Utc>,
    },
    /// A snooze ran out; the alert triggered again from the first step.
    SnoozeExpired,
    /// The alert was resolved; it never changes again.
    Resolved,
    /// The escalation policy ran out and nobody acknowledged.
    PolicyExhausted,
    /// A step was due while the alert's service was in a maintenance
    /// window: recorded, nobody paged; escalation goes on when it ends.
    Suppressed {
        /// The maintenance window's id.
        window: String,
        /// When the window ends (as it stood then).
        until: DateTime<Utc>,
    },
}

/// Serde's test for leaving a zero count out.
fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// One entry of a timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// Position in the timeline, from 0, without gaps.
    pub seq: u32,
    /// When it was recorded; never earlier than the entry before it.
    pub at: DateTime<Utc>,
    /// Who did it, from where.
    pub actor: Actor,
    /// What happened.
    pub event: Event,
    /// The idempotency key of the user action that caused it, if any.
    pub key: Option<IdempotencyKey>,
}

/// The append-only record of an alert. Entries are only added, with
/// consecutive `seq` and non-decreasing `at`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeline {
    entries: Vec<TimelineEntry>,
}

impl Timeline {
    /// Rebuilds a timeline from stored entries, refusing any that break the
    /// ordering rules (so a tampered store cannot produce a bad timeline).
    pub fn from_entries(entries: Vec<TimelineEntry>) -> Option<Timeline> {
        let ordered = entries.iter().enumerate().all(|(i, e)| e.seq as usize == i)
            && entries.windows(2).all(|w| w[0].at <= w[1].at);
        ordered.then_some(Timeline { entries })
    }

    /// The entries, oldest first.
    pub fn entries(&self) -> &[TimelineEntry] {
        &self.entries
    }

    /// How many entries there are; also the alert's revision number, which
    /// devices send back as "the state I saw" with their actions.
    pub fn revision(&self) -> u32 {
        u32::try_from(self.entries.len()).unwrap_or(u32::MAX)
    }

    /// The most recent entry.
    pub fn last(&self) -> Option<&TimelineEntry> {
        self.entries.last()
    }

    /// Whether an action with this key has already been applied.
    pub fn has_key(&self, key: &IdempotencyKey) -> bool {
        self.entries.iter().any(|e| e.key.as_ref() == Some(key))
    }

    /// Entries recorded at or after revision `rev` (what a device that saw
    /// `rev` entries has not seen).
    pub fn since(&self, rev: u32) -> &[TimelineEntry] {
        self.entries.get(rev as usize..).unwrap_or(&[])
    }

    /// Counts one re-notification at `at` on the `notified` entry of step
    /// `step_seq`; returns the new count (`None`: no such entry). The one
    /// change an entry ever sees: a count of repeats of what it records,
    /// not a rewrite of what happened — its `seq`, `at` and people stay.
    pub(crate) fn count_renotification(&mut self, step_seq: u32, at: DateTime<Utc>) -> Option<u32> {
        self.entries
            .iter_mut()
            .rev()
            .find_map(|entry| match &mut entry.event {
                Event::Notified {
                    step_seq: seq,
                    renotified,
                    renotified_at,
                    ..
                } if *seq == step_seq => {
                    *renotified = renotified.saturating_add(1);
                    *renotified_at = Some(at);
                    Some(*renotified)
                }
                _ => None,
            })
    }

    /// Appends an entry. A clock that went backwards (a device's, or the
    /// relay's after an NTP step) must not reorder the record, so `at` is
    /// raised to the previous entry's time if needed.
    pub(crate) fn push(
        &mut self,
        at: DateTime<Utc>,
        actor: Actor,
        event: Event,
        key: Option<IdempotencyKey>,
    ) {
        let at = self.last().map_or(at, |last| at.max(last.at));
        let seq = self.revision();
        self.entries.push(TimelineEntry {
            seq,
            at,
            actor,
            event,
            key,
        });
    }
}
