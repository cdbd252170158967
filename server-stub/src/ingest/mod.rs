//! Ingest: the monitoring-facing endpoints (PagerDuty Events v2 and the
//! Alertmanager webhook), the per-routing-key rate limit and the shared
//! steps: read a bounded body, commit, answer, deliver.

pub mod alertmanager;
pub mod change_events;
pub mod events_v2;

use crate::errors::ApiError;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// The largest request body accepted, as docs/relay-api.md says.
pub const MAX_BODY: usize = 512 * 1024;

/// An ingested event's body: 408 when it came too slowly, 413 over the
/// limit, else a 400 `invalid event` (a client that hung up mid-body).
pub fn body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    crate::body::received(body, "invalid event")
}

/// An ingest endpoint's answer, with a refusal counted in
/// `klaxon_events_rejected_total` by its status (one place for every
/// ingest route, so none forgets to count).
pub fn counted<T>(state: &crate::AppState, result: Result<T, ApiError>) -> Result<T, ApiError> {
    if let Err(e) = &result {
        state.metrics.event_rejected(e.status_code().as_u16());
    }
    result
}

/// A JSON value as an error message names it: `the number 4`, `true`,
/// `"text"`, `an array` (a whole array or object could be long).
pub fn value_in_words(value: &serde_json::Value) -> String {
    use serde_json::Value;
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("{s:?}"),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// Per-routing-key rate: a token bucket refilled at `per_second`, holding
/// at most `burst`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Sustained events per second per routing key.
    pub per_second: f64,
    /// Events that may arrive at once.
    pub burst: f64,
}

impl Default for RateLimit {
    /// 1,000 events/s with bursts of 10,000 per routing key: far above any
    /// sane monitoring setup, low enough that one runaway sender cannot
    /// starve the writer for everyone else.
    fn default() -> RateLimit {
        RateLimit {
            per_second: 1000.0,
            burst: 10_000.0,
        }
    }
}

/// The token buckets, one per routing key.
#[derive(Debug)]
pub struct RateLimiter {
    /// The rate and burst every key gets.
    limit: RateLimit,
    /// Per routing key: tokens left and when they were last topped up
    /// (refilled lazily on the next check, so idle keys cost nothing).
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    /// Buckets that start full.
    pub fn new(limit: RateLimit) -> RateLimiter {
        RateLimiter {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token per event of a batch of `events` for `key` (at least
    /// one, so an empty batch is a request like any other), or says after
    /// how many seconds the whole batch can go through. A batch larger than
    /// the burst is charged the burst: it needs a full bucket, and then
    /// empties it, rather than never passing.
    pub fn check_batch(&self, key: &str, events: usize) -> Result<(), ApiError> {
        let cost = (events.max(1) as f64).min(self.limit.burst.max(1.0));
        self.check(key, cost)
    }

    /// Takes `cost` tokens for `key`, or says after how many seconds to retry.
    pub fn check(&self, key: &str, cost: f64) -> Result<(), ApiError> {
        let now = Instant::now();
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        let bucket = buckets
            .entry(key.to_string())
            .or_insert((self.limit.burst, now));
        let elapsed = now.duration_since(bucket.1).as_secs_f64();
        bucket.0 = (bucket.0 + elapsed * self.limit.per_second).min(self.limit.burst);
        bucket.1 = now;
        if bucket.0 >= cost {
            bucket.0 -= cost;
            Ok(())
        } else {
            let missing = cost - bucket.0;
            let secs = (missing / self.limit.per_second.max(f64::MIN_POSITIVE)).ceil();
            Err(ApiError::RateLimited {
                retry_after: (secs as u64).max(1),
            })
        }
    }
}
