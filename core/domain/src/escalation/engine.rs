//! The escalation engine: a pure function from (policy, an alert's
//! escalation state, roster, now) to "page these people now" and "the next
//! deadline". The relay runs it authoritatively; the phone runs the same code
//! to show "escalates to Bob in 4:32".

use super::{EscalationPolicy, Target};
use crate::roster::Roster;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Where an alert is in its escalation policy. A plain value: the store
/// persists it, the engine returns a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationState {
    /// Which run through the step list (0 = first; up to the policy's `repeat`).
    pub pass: u8,
    /// Index of the current step in the policy's step list.
    pub step: u32,
    /// When the current step fires (pages its targets), if it has not yet.
    pub due: DateTime<Utc>,
    /// When the current step fired; `None` while it waits for `due`.
    pub fired_at: Option<DateTime<Utc>>,
    /// How many steps have fired for this alert so far. Never decreases, so
    /// `(alert, step_seq)` names one ring even across repeats and restarts.
    pub fired: u32,
    /// The policy ran out with nobody acknowledging; nothing more fires.
    pub exhausted: bool,
    /// The current step, which has fired, pages its people again at the
    /// next evaluation (the alert got louder); the step keeps its deadline.
    /// Absent from states stored before it existed (false).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub repage: bool,
}

impl EscalationState {
    /// A fresh escalation whose first step fires at `at`.
    pub fn start(at: DateTime<Utc>) -> EscalationState {
        EscalationState {
            pass: 0,
            step: 0,
            due: at,
            fired_at: None,
            fired: 0,
            exhausted: false,
            repage: false,
        }
    }

    /// Starts over from the first step at `at` (snooze expiry), keeping the
    /// count of fired steps so ring identities stay unique.
    pub fn restart(&self, at: DateTime<Utc>) -> EscalationState {
        EscalationState {
            fired: self.fired,
            ..EscalationState::start(at)
        }
    }

    /// Asks for the current step's people to be paged again at the next
    /// evaluation, e.g. because the alert's priority rose and they were paged
    /// at the old loudness. Only a step that has fired is re-paged (one still
    /// waiting pages at the new loudness anyway); an exhausted policy pages
    /// nobody. The step's deadline does not move, so a priority that keeps
    /// rising and falling cannot hold escalation back.
    pub fn repage_current_step(&self) -> EscalationState {
        EscalationState {
            repage: self.fired_at.is_some() && !self.exhausted,
            ..*self
        }
    }
}

/// One step firing: the people it pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepPage {
    /// 1-based count of steps fired for the alert; with the alert id it
    /// identifies this ring (phones dedupe pushes on it).
    pub step_seq: u32,
    /// The pass through the policy (0-based).
    pub pass: u8,
    /// The step index (0-based).
    pub step: u32,
    /// The instant the step fired; `schedule:` targets were resolved then.
    pub at: DateTime<Utc>,
    /// Person ids, in target order, each once. Empty when every target
    /// schedule had a gap: the step still counts, and the next step that
    /// would page somebody fires at once (if none would, this one's delay
    /// runs, in case someone comes on call).
    pub people: Vec<String>,
    /// Those of `people` who cannot be reached (no enrolled device), in the
    /// same order. When nobody in `people` can be reached, the step hands on
    /// at once as for a gap. Absent from pages stored before it existed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unreachable: Vec<String>,
}

impl StepPage {
    /// The people this step rings: `people` but the unreachable ones.
    pub fn reached(&self) -> impl Iterator<Item = &String> + Clone {
        self.people.iter().filter(|p| !self.unreachable.contains(p))
    }
}

/// Whether a person can be reached at all (has an enrolled device). The
/// engine is pure: whoever runs it says who can be reached — the relay
/// from its device table; [`everyone`] where that is not known (a phone
/// showing "escalates to Bob in 4:32").
pub type Reachable<'a> = &'a dyn Fn(&str) -> bool;

/// A [`Reachable`] that reaches everybody.
pub fn everyone(_person: &str) -> bool {
    true
}

/// What the engine decided at one evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escalation {
    /// Steps that fire now, in order (several only when delays are zero).
    pub pages: Vec<StepPage>,
    /// The state after this evaluation.
    pub state: EscalationState,
    /// When to evaluate again; `None` once the policy is exhausted.
    pub next_deadline: Option<DateTime<Utc>>,
    /// True when the policy ran out during this evaluation: record that
    /// nobody acknowledged.
    pub exhausted_now: bool,
}

/// Runs the policy up to `now`. Call it whenever a deadline passes (or
/// earlier: an early call changes nothing and returns the same deadline).
///
/// A step that is overdue fires at `now`, not at its old deadline, and then
/// waits its full delay: a relay that was down does not skip anybody, and
/// every step really gets its time to be acknowledged.
pub fn advance(
    policy: &EscalationPolicy,
    state: &EscalationState,
    roster: &Roster,
    now: DateTime<Utc>,
) -> Escalation {
    advance_reaching(policy, state, roster, now, &everyone)
}

/// [`advance`], knowing who can be reached: a step whose people are all
/// unreachable (no enrolled device) hands on at once, as a step in a
/// schedule gap does, and its page lists them as `unreachable`.
pub fn advance_reaching(
    policy: &EscalationPolicy,
    state: &EscalationState,
    roster: &Roster,
    now: DateTime<Utc>,
    reachable: Reachable<'_>,
) -> Escalation {
    let mut st = *state;
    let mut pages = Vec::new();
    let mut exhausted_now = false;
    // Each iteration either returns or moves one step forward; the policy
    // has finitely many steps, so the loop ends.
    loop {
        if st.exhausted {
            return Escalation {
                pages,
                state: st,
                next_deadline: None,
                exhausted_now,
            };
        }
        let Some(step) = policy.steps.get(st.step as usize) else {
            // An empty policy (or a state from an edited roster) has nothing to page.
            st.exhausted = true;
            exhausted_now = true;
            continue;
        };
        match st.fired_at {
            None if now < st.due => {
                return Escalation {
                    pages,
                    state: st,
                    next_deadline: Some(st.due),
                    exhausted_now,
                };
            }
            None => {
                st.fired_at = Some(now);
                let page = fire(&mut st, &step.targets, roster, now, reachable);
                let nobody = page.reached().next().is_none();
                pages.push(page);
                // A step whose schedules are all in a gap, or whose people
                // all have no device, rings nobody: waiting out its delay
                // would leave the alert ringing no phone for minutes. Move
                // on at once — when a step still ahead would ring someone
                // now; otherwise wait, in case someone comes on call (or
                // enrolls a phone) before the policy runs out.
                if nobody && someone_ahead(policy, &st, roster, now, reachable) {
                    exhausted_now = !move_to_next_step(policy, &mut st, now);
                }
            }
            Some(fired_at) => {
                let deadline = deadline_after(fired_at, step.delay);
                if now < deadline {
                    if st.repage {
                        // Paged again (louder) now; the step's deadline stays.
                        pages.push(fire(&mut st, &step.targets, roster, now, reachable));
                    }
                    return Escalation {
                        pages,
                        state: st,
                        next_deadline: Some(deadline),
                        exhausted_now,
                    };
                }
                exhausted_now = !move_to_next_step(policy, &mut st, deadline);
            }
        }
    }
}

/// Records one firing of the current step at `now`: a fresh `step_seq`, the
/// targets resolved at `now`; a pending re-page is thereby done.
fn fire(
    st: &mut EscalationState,
    targets: &[Target],
    roster: &Roster,
    now: DateTime<Utc>,
    reachable: Reachable<'_>,
) -> StepPage {
    st.fired = st.fired.saturating_add(1);
    st.repage = false;
    let people = resolve_targets(roster, targets, now);
    let unreachable = people.iter().filter(|p| !reachable(p)).cloned().collect();
    StepPage {
        step_seq: st.fired,
        pass: st.pass,
        step: st.step,
        at: now,
        people,
        unreachable,
    }
}

/// A manual escalation ("escalate" or "decline"): the next step fires at
/// `now`, whatever the current step's deadline. `None` when there is no
/// next step — the policy is exhausted, or this is the last step of the last
/// pass — because moving on would leave the alert open with nobody paged.
pub fn skip_to_next_step(
    policy: &EscalationPolicy,
    state: &EscalationState,
    now: DateTime<Utc>,
) -> Option<EscalationState> {
    let mut st = *state;
    (!st.exhausted && move_to_next_step(policy, &mut st, now)).then_some(st)
}

/// True when a step after the current one (this pass or a later one that
/// `repeat` allows) would ring somebody reachable at `at`.
fn someone_ahead(
    policy: &EscalationPolicy,
    state: &EscalationState,
    roster: &Roster,
    at: DateTime<Utc>,
    reachable: Reachable<'_>,
) -> bool {
    let mut st = *state;
    // Each iteration moves one step forward; the policy has finitely many
    // steps and passes, so the loop ends.
    while move_to_next_step(policy, &mut st, at) {
        let Some(step) = policy.steps.get(st.step as usize) else {
            return false;
        };
        if resolve_targets(roster, &step.targets, at)
            .iter()
            .any(|p| reachable(p))
        {
            return true;
        }
    }
    false
}

/// Moves to the next step (wrapping into the next pass while `repeat`
/// allows), due at `due`. Returns false when the policy ran out.
fn move_to_next_step(
    policy: &EscalationPolicy,
    st: &mut EscalationState,
    due: DateTime<Utc>,
) -> bool {
    st.fired_at = None;
    st.due = due;
    st.repage = false;
    if (st.step as usize) + 1 < policy.steps.len() {
        st.step += 1;
        true
    } else if st.pass < policy.repeat {
        st.pass += 1;
        st.step = 0;
        true
    } else {
        st.exhausted = true;
        false
    }
}

/// The people a step's targets name at `at`: `person:` ids as written,
/// `schedule:` targets whoever is on call at that instant. Each person once,
/// in target order. An unknown schedule pages nobody (the roster validator
/// rejects such rosters; this only guards a stale state).
pub fn resolve_targets(roster: &Roster, targets: &[Target], at: DateTime<Utc>) -> Vec<String> {
    let mut people: Vec<String> = Vec::new();
    let mut add = |id: &str| {
        if !people.iter().any(|p| p == id) {
            people.push(id.to_string());
        }
    };
    for target in targets {
        match target {
            Target::Person(id) => add(id),
            Target::Schedule(id) => {
                if let Some(schedule) = roster.schedule(id) {
                    for person in schedule.who(at) {
                        add(person);
                    }
                }
            }
        }
    }
    people
}

/// The next escalation that will happen if nobody acts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upcoming {
    /// When it happens.
    pub at: DateTime<Utc>,
    /// The step index that fires then.
    pub step: u32,
    /// Who it will page, resolved at `at` (a handoff before then is honoured).
    pub people: Vec<String>,
}

impl Upcoming {
    /// Time left, as `m:ss` (or `h:mm:ss` from an hour up), whole seconds
    /// rounded up, so a screen shows `0:01` until the deadline and never
    /// `0:00` while time is left; `None` once the deadline has come.
    pub fn countdown(&self, now: DateTime<Utc>) -> Option<String> {
        let millis = (self.at - now).num_milliseconds();
        if millis <= 0 {
            return None;
        }
        let secs = millis.saturating_add(999) / 1000;
        let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
        Some(if h > 0 {
            format!("{h}:{m:02}:{s:02}")
        } else {
            format!("{m}:{s:02}")
        })
    }

    /// The sentence a screen shows: "escalates to Bob Okafor in 4:32", with
    /// display names from the roster ("escalates to nobody ..." in a gap).
    pub fn describe(&self, roster: &Roster, now: DateTime<Utc>) -> String {
        self.describe_with(
            |id| {
                roster
                    .person(id)
                    .map_or(id, |p| p.name.as_str())
                    .to_string()
            },
            now,
        )
    }

    /// [`Upcoming::describe`] with display names from `name` (a phone has
    /// the synced roster view, not a [`Roster`]); "escalating to Bob Okafor
    /// now" once the deadline has come.
    pub fn describe_with(&self, name: impl Fn(&str) -> String, now: DateTime<Utc>) -> String {
        let names: Vec<String> = self.people.iter().map(|id| name(id)).collect();
        let who = match names.as_slice() {
            [] => "nobody".to_string(),
            [one] => one.clone(),
            [init @ .., last] => format!("{} and {last}", init.join(", ")),
        };
        match self.countdown(now) {
            Some(left) => format!("escalates to {who} in {left}"),
            None => format!("escalating to {who} now"),
        }
    }
}

/// What happens next if nobody acknowledges: the next step to fire, when,
/// and whom it pages. `None` once the policy is exhausted.
pub fn upcoming(
    policy: &EscalationPolicy,
    state: &EscalationState,
    roster: &Roster,
    now: DateTime<Utc>,
) -> Option<Upcoming> {
    // Bring the state up to date first so a stale copy on the phone still
    // shows the right next step.
    let current = advance(policy, state, roster, now).state;
    if current.exhausted {
        return None;
    }
    let at = match current.fired_at {
        None => current.due,
        Some(fired_at) => deadline_after(fired_at, policy.steps.get(current.step as usize)?.delay),
    };
    // What the engine itself will do then (a step in a gap hands straight
    // on to one that pages somebody): the first page with people in it.
    let fired = advance(policy, &current, roster, at).pages;
    let page = fired
        .iter()
        .find(|p| !p.people.is_empty())
        .or(fired.last())?;
    Some(Upcoming {
        at,
        step: page.step,
        people: page.people.clone(),
    })
}

/// The instant a step's delay runs out. Roster delays are at most days long;
/// one too large for the calendar (impossible from the parser) means "never"
/// rather than an overflow panic.
fn deadline_after(fired_at: DateTime<Utc>, delay: std::time::Duration) -> DateTime<Utc> {
    Duration::from_std(delay)
        .ok()
        .and_then(|d| fired_at.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}
