//! Page priority: how loud a page is on the phone, and how incoming
//! severities (PagerDuty Events v2, Alertmanager labels) map onto it.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How loud a page is. See docs/architecture.md, "Priorities".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    /// Silent notification, no sound, no escalation noise.
    Low,
    /// Loud heads-up notification that respects Do-Not-Disturb.
    High,
    /// Overrides silent mode and DND, rings until acknowledged, full screen.
    Critical,
}

impl Priority {
    /// Maps a PagerDuty Events v2 `payload.severity` or an Alertmanager
    /// `severity` label: `critical` -> critical, `error` -> high,
    /// `warning`/`info` -> low, anything else -> high (a page we cannot
    /// classify is better loud than lost).
    pub fn from_severity(severity: &str) -> Priority {
        match severity.trim().to_ascii_lowercase().as_str() {
            "critical" => Priority::Critical,
            "error" => Priority::High,
            "warning" | "info" => Priority::Low,
            _ => Priority::High,
        }
    }

    /// The lowercase name used on the wire and in the roster file.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::High => "high",
            Priority::Critical => "critical",
        }
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Priority {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "critical" => Ok(Priority::Critical),
            "high" => Ok(Priority::High),
            "low" => Ok(Priority::Low),
            other => Err(format!(
                "unknown priority {other:?}; use critical, high or low"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_map_as_documented() {
        assert_eq!(Priority::from_severity("critical"), Priority::Critical);
        assert_eq!(Priority::from_severity("error"), Priority::High);
        assert_eq!(Priority::from_severity("warning"), Priority::Low);
        assert_eq!(Priority::from_severity("info"), Priority::Low);
        assert_eq!(Priority::from_severity("page-me-maybe"), Priority::High);
        assert_eq!(Priority::from_severity(" CRITICAL "), Priority::Critical);
    }
}
