//! The outbox: user actions (acknowledge, escalate, decline, resolve,
//! snooze) committed durably with a client-generated idempotency key before
//! the UI confirms them, then delivered to the relay in order per alert, with
//! exponential backoff and jitter, until the relay gives a final answer.
//!
//! Everything here is synchronous and pure over the [`Store`]: what is due
//! now ([`Round::next_due`]), what an answer means ([`classify`]) and
//! recording it ([`Round::settle`]). It never sends anything: the device
//! takes each due action, sends it over HTTP with `.await`, and settles the
//! answer (tests settle scripted answers the same way).

use crate::error::Result;
use crate::store::Store;
use chrono::{DateTime, Utc};
use klaxon_domain::alert::{Action, Actor, Command, IdempotencyKey, Outcome};
use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::collections::{HashSet, VecDeque};
use std::time::Duration;

pub use klaxon_domain::wire::parse_retry_after;

/// A user action waiting in (or done with) the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedAction {
    /// Position in the outbox; delivery order within one alert.
    pub id: i64,
    /// Makes re-delivery harmless.
    pub key: IdempotencyKey,
    /// The alert acted on.
    pub alert: String,
    /// The person acting (this device's owner).
    pub person: String,
    /// What they asked for.
    pub action: Action,
    /// The alert revision they were looking at (see [`Command::seen`]).
    pub seen: Option<u32>,
    /// When they tapped it.
    pub created_at: DateTime<Utc>,
    /// Delivery attempts so far.
    pub attempts: u32,
    /// Not to be sent before this instant.
    pub next_attempt_at: DateTime<Utc>,
    /// Why the last attempt did not finish it.
    pub last_error: Option<String>,
    /// The final answer, once there is one.
    pub outcome: Option<ActionOutcome>,
}

impl QueuedAction {
    /// The command the relay applies for this action.
    pub fn command(&self) -> Command {
        Command {
            action: self.action.clone(),
            actor: Actor::device(&self.person),
            key: Some(self.key.clone()),
            seen: self.seen,
        }
    }

    /// `queued` while waiting, then `applied` or `rejected` (the
    /// `--json-events` vocabulary).
    pub fn status(&self) -> &'static str {
        match &self.outcome {
            None => "queued",
            Some(ActionOutcome::Applied | ActionOutcome::AlreadyDone) => "applied",
            Some(ActionOutcome::Rejected { .. } | ActionOutcome::Expired { .. }) => "rejected",
        }
    }
}

/// The final, user-visible result of an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ActionOutcome {
    /// The relay applied it.
    Applied,
    /// The alert was already in that state (or this key was applied before).
    AlreadyDone,
    /// Impossible now; `reason` is shown to the person ("already resolved by bob").
    Rejected {
        /// What to tell the person.
        reason: String,
    },
    /// No final answer within the outbox's age limit; shown to the person.
    Expired {
        /// The last error seen.
        last_error: String,
    },
}

/// The relay's answer to one delivery, as an HTTP exchange carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status code.
    pub status: u16,
    /// The `Retry-After` header, parsed (see [`parse_retry_after`]).
    pub retry_after: Option<Duration>,
    /// The JSON body's outcome, when it had one.
    pub body: Option<Outcome>,
}

/// Why a delivery got no answer at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// No connection, DNS failure, timeout, TLS error, connection reset.
    #[error("network: {0}")]
    Network(String),
}

/// What to do after one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Final: record the outcome, never send again.
    Done(ActionOutcome),
    /// Try again later.
    Retry {
        /// The server's `Retry-After`, which takes precedence over backoff.
        retry_after: Option<Duration>,
        /// What went wrong, for the record.
        error: String,
    },
}

/// Longest `Retry-After` honoured: a misconfigured relay must not park an
/// acknowledgement for days.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// Classifies an answer: network errors, 408, 425, 429 and 5xx retry; a
/// success (2xx) or a 4xx whose body names the alert's state is final; any
/// other 4xx is final too, with the status shown to the person, because
/// sending the same request again cannot change it.
pub fn classify(answer: &std::result::Result<Answer, TransportError>) -> Verdict {
    let answer = match answer {
        Err(e) => {
            return Verdict::Retry {
                retry_after: None,
                error: e.to_string(),
            }
        }
        Ok(a) => a,
    };
    let from_body = |body: &Outcome| match body {
        Outcome::Applied | Outcome::Duplicate => ActionOutcome::Applied,
        Outcome::AlreadyInState => ActionOutcome::AlreadyDone,
        Outcome::Rejected(why) => ActionOutcome::Rejected {
            reason: why.to_string(),
        },
    };
    match answer.status {
        200..=299 => Verdict::Done(
            answer
                .body
                .as_ref()
                .map_or(ActionOutcome::Applied, from_body),
        ),
        408 | 425 | 429 | 500..=599 => Verdict::Retry {
            retry_after: answer.retry_after.map(|d| d.min(MAX_RETRY_AFTER)),
            error: format!("the relay answered HTTP {}", answer.status),
        },
        400..=499 => Verdict::Done(match &answer.body {
            Some(body) => from_body(body),
            None => ActionOutcome::Rejected {
                reason: format!("the relay refused it (HTTP {})", answer.status),
            },
        }),
        // 1xx and unfollowed 3xx: not an answer about the action; try again.
        other => Verdict::Retry {
            retry_after: None,
            error: format!("unexpected HTTP {other}"),
        },
    }
}

/// Exponential backoff with jitter. The random source is injected and
/// seeded, so a test (or a bug report) replays the exact delays.
#[derive(Debug, Clone)]
pub struct Backoff {
    /// Delay before the first retry, before jitter.
    pub base: Duration,
    /// The delay never grows past this (before jitter).
    pub cap: Duration,
    rng: ChaCha8Rng,
}

impl Backoff {
    /// 1 s doubling up to 5 min, with jitter from a generator seeded by `seed`.
    pub fn seeded(seed: u64) -> Backoff {
        Backoff {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(300),
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// Seeded from the operating system's generator: devices that come back
    /// online together must not retry in lockstep.
    pub fn from_os_entropy() -> Backoff {
        let (seed, _) = uuid::Uuid::new_v4().as_u64_pair();
        Backoff::seeded(seed)
    }

    /// The delay before attempt `attempts + 1`, after `attempts` failed ones
    /// (>= 1): `min(cap, base * 2^(attempts-1))`, of which the upper half is
    /// random ("equal jitter": always at least half the exponential delay,
    /// so retries still back off, yet spread out).
    pub fn delay(&mut self, attempts: u32) -> Duration {
        let exp = attempts.saturating_sub(1).min(30);
        let full = self.base.saturating_mul(1u32 << exp).min(self.cap);
        let half = full / 2;
        // 53 random bits give a uniform fraction in [0, 1).
        let fraction = (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        half + half.mul_f64(fraction)
    }
}

/// How long the outbox keeps retrying an action before telling the person
/// it could not be delivered. An acknowledgement a day late is no longer
/// an acknowledgement anyone can act on.
pub const MAX_AGE: chrono::Duration = chrono::Duration::hours(24);

/// Commits a user action to the outbox with `synchronous=FULL` and returns
/// it; only then may the UI say "acknowledged". The key is generated here.
pub fn enqueue(
    store: &mut Store,
    alert: &str,
    person: &str,
    action: Action,
    seen: Option<u32>,
    now: DateTime<Utc>,
) -> Result<QueuedAction> {
    let mut queued = QueuedAction {
        id: 0,
        key: IdempotencyKey::generate(),
        alert: alert.to_string(),
        person: person.to_string(),
        action,
        seen,
        created_at: now,
        attempts: 0,
        next_attempt_at: now,
        last_error: None,
        outcome: None,
    };
    queued.id = store.insert_action(&queued)?;
    Ok(queued)
}

/// Records the verdict on one attempt: a final outcome, or the next attempt
/// time from `Retry-After` or backoff (or expiry past [`MAX_AGE`]).
pub fn settle(
    store: &mut Store,
    action: &QueuedAction,
    verdict: Verdict,
    backoff: &mut Backoff,
    now: DateTime<Utc>,
) -> Result<QueuedAction> {
    let mut next = action.clone();
    next.attempts = action.attempts.saturating_add(1);
    match verdict {
        Verdict::Done(outcome) => next.outcome = Some(outcome),
        Verdict::Retry { retry_after, error } => {
            if now - action.created_at >= MAX_AGE {
                next.outcome = Some(ActionOutcome::Expired {
                    last_error: error.clone(),
                });
            } else {
                let wait = retry_after.unwrap_or_else(|| backoff.delay(next.attempts));
                next.next_attempt_at =
                    now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1));
            }
            next.last_error = Some(error);
        }
    }
    store.update_action(&next)?;
    Ok(next)
}

/// One delivery round over the outbox, as a state machine the sender
/// drives: [`Round::next_due`] says which action to send now,
/// [`Round::settle`] records the answer. The round sends every action due
/// at its `now`, oldest first within each alert: an alert's later action
/// waits until its earlier one has a final answer (escalate-then-resolve
/// must not arrive as resolve-then-escalate), and an alert whose head must
/// retry is done for the round, even when Retry-After says 0, so a
/// struggling relay gets no busy loop. Each action is attempted at most
/// once per round.
///
/// The round holds no lock and no connection: between `next_due` and
/// `settle` the caller may wait on the network while the store stays free
/// for pages arriving meanwhile.
#[derive(Debug)]
pub struct Round {
    now: DateTime<Utc>,
    /// Due actions fetched and not yet handed out, in send order.
    batch: VecDeque<QueuedAction>,
    /// Alerts whose head waits for a later round.
    waiting: HashSet<String>,
    /// Every attempt of this round, as settled.
    attempted: Vec<QueuedAction>,
}

impl Round {
    /// A round sending what is due at `now`.
    pub fn new(now: DateTime<Utc>) -> Round {
        Round {
            now,
            batch: VecDeque::new(),
            waiting: HashSet::new(),
            attempted: Vec::new(),
        }
    }

    /// The next action to send, or `None` when the round is over. Reads the
    /// heads of the alerts' queues that are due whenever the last batch is
    /// used up, so an action settled as final lets its alert's next one
    /// follow in the same round.
    pub fn next_due(&mut self, store: &Store) -> Result<Option<QueuedAction>> {
        if self.batch.is_empty() {
            let waiting = &self.waiting;
            self.batch = store
                .ready_actions(self.now)?
                .into_iter()
                .filter(|a| !waiting.contains(&a.alert))
                .collect();
        }
        Ok(self.batch.pop_front())
    }

    /// Records the answer to sending `action` (see [`settle`]) and returns
    /// the action as settled.
    pub fn settle(
        &mut self,
        store: &mut Store,
        action: &QueuedAction,
        answer: &std::result::Result<Answer, TransportError>,
        backoff: &mut Backoff,
    ) -> Result<QueuedAction> {
        let settled = settle(store, action, classify(answer), backoff, self.now)?;
        if settled.outcome.is_none() {
            self.waiting.insert(settled.alert.clone());
        }
        self.attempted.push(settled.clone());
        Ok(settled)
    }

    /// The actions attempted in this round, as settled, in send order.
    pub fn finish(self) -> Vec<QueuedAction> {
        self.attempted
    }
}

/// When the next round has work: the earliest attempt time of an
/// alert's head action. `None` when nothing is pending.
pub fn next_wakeup(store: &Store) -> Result<Option<DateTime<Utc>>> {
    store.next_attempt_at()
}
