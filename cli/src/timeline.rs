//! One alert timeline entry as a line of text, 1-based steps and passes
//! (`+3.00s  notified      bob (step 2, pass 1)`): what `klaxon demo` and
//! `klaxon alert show` print.

use klaxon_domain::alert::{Event, TimelineEntry};

/// `+3.00s  notified      bob (step 2, pass 1)`: the entry, `start` (the
/// alert's opening) giving the offset.
pub fn line(entry: &TimelineEntry, start: Option<chrono::DateTime<chrono::Utc>>) -> String {
    let offset = start
        .map(|s| (entry.at - s).num_milliseconds() as f64 / 1000.0)
        .unwrap_or(0.0);
    let by = format!("{} ({})", entry.actor.who, entry.actor.source.as_str());
    let (kind, detail) = match &entry.event {
        Event::Triggered { summary } => ("triggered", format!("by {by}: \"{summary}\"")),
        Event::Deduplicated { summary } => ("deduplicated", format!("\"{summary}\"")),
        Event::Notified {
            step, people, pass, ..
        } => (
            "notified",
            format!(
                "{} (step {}, pass {})",
                if people.is_empty() {
                    "nobody (gap)".to_string()
                } else {
                    people.join(", ")
                },
                step + 1,
                pass + 1
            ),
        ),
        Event::Acknowledged => ("acknowledged", format!("by {by}")),
        Event::Escalated => ("escalated", format!("by {by}")),
        Event::Declined => ("declined", format!("by {by}")),
        Event::Snoozed { until } => ("snoozed", format!("by {by} until {until}")),
        Event::SnoozeExpired => ("snooze ended", String::new()),
        Event::Resolved => ("resolved", format!("by {by}")),
        Event::PolicyExhausted => ("exhausted", "nobody acknowledged".to_string()),
        Event::Suppressed { window, until } => (
            "suppressed",
            format!("maintenance window {window} until {until}: nobody paged"),
        ),
    };
    format!("+{offset:5.2}s  {kind:<13} {detail}")
}
