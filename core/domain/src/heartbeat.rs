//! Heartbeats: dead-man switches. A job (the Alertmanager Watchdog, a cron
//! job, a backup) calls the relay every `interval`; when no beat arrives for
//! `interval + grace`, the relay opens an alert on the heartbeat's service,
//! and the next beat resolves it. The rules here are pure: when a heartbeat
//! is overdue, the alert it opens and what that alert says.

use crate::duration::format_duration;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// A `[[heartbeats]]` entry of the roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heartbeat {
    /// Unique id, `[a-z0-9_-]+`; the alert's dedup key is `heartbeat:{id}`.
    pub id: String,
    /// The service whose policy pages when it goes silent.
    pub service: String,
    /// How often the job beats.
    pub interval: Duration,
    /// How long past `interval` a beat may be late before it pages
    /// (default: the interval).
    pub grace: Duration,
    /// 32 letters or digits: `POST`/`GET /v1/heartbeats/{key}`.
    pub key: String,
}

impl Heartbeat {
    /// The dedup key of the alert a silence opens.
    pub fn dedup_key(&self) -> String {
        format!("heartbeat:{}", self.id)
    }

    /// How long a heartbeat may stay silent: `interval + grace`.
    pub fn allowed_silence(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.interval.saturating_add(self.grace))
            .unwrap_or(chrono::Duration::MAX)
    }

    /// When it is overdue if nothing arrives after `since` (its last beat,
    /// or the relay's start for one never seen or seen before a restart:
    /// no beat can arrive while the relay is down, so its downtime is not
    /// the job's silence).
    pub fn overdue_at(&self, since: DateTime<Utc>) -> DateTime<Utc> {
        since
            .checked_add_signed(self.allowed_silence())
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// The summary of the alert a silence opens: how long it has been
    /// silent, and what was expected.
    pub fn silence_summary(
        &self,
        last_beat: Option<DateTime<Utc>>,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> String {
        let silent = (now - last_beat.unwrap_or(since))
            .to_std()
            .unwrap_or_default();
        let silent = format_duration(Duration::from_secs(silent.as_secs()));
        let expected = format!(
            "expected every {}, grace {}",
            format_duration(self.interval),
            format_duration(self.grace)
        );
        match last_beat {
            Some(_) => format!("Heartbeat {} silent for {silent} ({expected})", self.id),
            None => format!(
                "Heartbeat {} has not beaten since the relay started {silent} ago ({expected})",
                self.id
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watchdog() -> Heartbeat {
        Heartbeat {
            id: "watchdog".into(),
            service: "api".into(),
            interval: Duration::from_secs(60),
            grace: Duration::from_secs(30),
            key: "0".repeat(32),
        }
    }

    #[test]
    fn overdue_after_interval_plus_grace() {
        let t = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        assert_eq!(watchdog().overdue_at(t), t + chrono::Duration::seconds(90));
        assert_eq!(watchdog().dedup_key(), "heartbeat:watchdog");
    }

    #[test]
    fn the_summary_says_how_long_it_has_been_silent() {
        let t = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let now = t + chrono::Duration::seconds(95);
        assert_eq!(
            watchdog().silence_summary(Some(t), t, now),
            "Heartbeat watchdog silent for 1m35s (expected every 1m, grace 30s)"
        );
        assert!(watchdog()
            .silence_summary(None, t, now)
            .contains("has not beaten since the relay started 1m35s ago"));
    }
}
