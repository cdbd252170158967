//! `klaxon alert show --relay URL ID [--json]`: one alert, readable — its
//! timeline (steps and passes counted from 1, as `klaxon demo` prints it),
//! who was paged, when and how, and the answers. Reads the admin API's
//! `GET /v1/admin/alerts/{id}` (`KLAXON_ADMIN_TOKEN`); `--json` prints that
//! answer as it is. The service's change events in the hour before the
//! alert opened (the answer's `changes`) are listed under its header:
//! `deploy v2.3 by ci, 6 min before`.

use crate::outcome::{BadInput, Report};
use crate::relay_client::{admin_json, RelayUrl};
use clap::{Args, Subcommand};
use klaxon_domain::alert::{Event, Source};
use klaxon_domain::{Alert, Priority};
use klaxon_relay::ingest::change_events::Change;
use std::fmt::Write as _;

/// `klaxon alert` subcommands.
#[derive(Debug, Subcommand)]
pub enum AlertCommand {
    /// One alert: its timeline, who was paged, when and how, and the answers.
    Show(ShowArgs),
}

/// `klaxon alert show` arguments.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The relay's base URL.
    #[arg(long, value_name = "URL")]
    relay: String,
    /// The alert's id (from `klaxon alerts`).
    id: String,
    /// Print the relay's JSON.
    #[arg(long)]
    json: bool,
}

/// Runs a `klaxon alert` subcommand.
pub fn run(command: AlertCommand) -> Result<Report, BadInput> {
    let AlertCommand::Show(args) = command;
    let relay = RelayUrl::parse(&args.relay)?;
    if args.id.is_empty() || !args.id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(BadInput::new(format!(
            "alert id {:?}: an id is letters and digits, as `klaxon alerts` lists them",
            args.id
        )));
    }
    let path = format!("/v1/admin/alerts/{}", args.id);
    let value: serde_json::Value = admin_json(&relay, reqwest::Method::GET, &path, None)?;
    if args.json {
        let mut text = serde_json::to_string_pretty(&value)
            .map_err(|e| BadInput::new(format!("cannot print JSON: {e}")))?;
        text.push('\n');
        return Ok(Report::output(text));
    }
    // A relay from before change events answers without `changes`.
    let changes: Option<Vec<Change>> = match value.get("changes") {
        None => None,
        Some(list) => Some(serde_json::from_value(list.clone()).map_err(|e| {
            BadInput::new(format!("the relay's answer has unreadable changes: {e}"))
        })?),
    };
    let alert: Alert = serde_json::from_value(value)
        .map_err(|e| BadInput::new(format!("the relay's answer is not an alert: {e}")))?;
    let mut text = show(&alert);
    if let Some(changes) = changes {
        text = with_changes(text, &alert, &changes);
    }
    Ok(Report::output(text))
}

/// How long before `opened` a change was: `6 min before`, `40 s before`.
pub fn before(change: &Change, opened: chrono::DateTime<chrono::Utc>) -> String {
    let secs = (opened - change.at).num_seconds().max(0);
    if secs < 60 {
        format!("{secs} s before")
    } else {
        format!("{} min before", secs / 60)
    }
}

/// One change as listed: `deploy v2.3 by ci, 6 min before (2026-…)`.
pub fn change_line(change: &Change, opened: chrono::DateTime<chrono::Utc>) -> String {
    let by = change
        .source
        .as_deref()
        .map(|s| format!(" by {s}"))
        .unwrap_or_default();
    format!(
        "{}{by}, {} ({})",
        change.summary,
        before(change, opened),
        change.at.to_rfc3339()
    )
}

/// [`show`]'s text with the changes section after the header (before the
/// timeline), each change's links under it.
fn with_changes(text: String, alert: &Alert, changes: &[Change]) -> String {
    let mut section = String::from("\nchanges in the hour before it opened:\n");
    if changes.is_empty() {
        section.push_str("  none\n");
    }
    for change in changes {
        let _ = writeln!(section, "  {}", change_line(change, alert.created_at));
        for link in &change.links {
            match &link.text {
                Some(t) => {
                    let _ = writeln!(section, "      {t}: {}", link.href);
                }
                None => {
                    let _ = writeln!(section, "      {}", link.href);
                }
            }
        }
    }
    match text.find("\ntimeline:\n") {
        Some(at) => format!("{}{section}{}", &text[..at], &text[at..]),
        None => text + &section,
    }
}

/// How a page of this priority reached the phone.
fn how(priority: Priority) -> &'static str {
    match priority {
        Priority::Critical => {
            "critical: rings through silent mode and Do-Not-Disturb until answered"
        }
        Priority::High => "high: a loud notification",
        Priority::Low => "low: a silent notification",
    }
}

/// The text form: header, timeline, pages, answers.
pub fn show(alert: &Alert) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "alert {}  {}  {}  service {}  dedup key {}",
        alert.id,
        alert.status.as_str(),
        alert.priority.as_str(),
        alert.service,
        alert.dedup_key
    );
    let _ = writeln!(out, "summary: {}", alert.summary);
    let _ = writeln!(out, "opened:  {}", alert.created_at.to_rfc3339());
    let entries = alert.timeline.entries();
    let start = entries.first().map(|e| e.at);
    out.push_str("\ntimeline:\n");
    for entry in entries {
        let _ = writeln!(out, "  {}", crate::timeline::line(entry, start));
    }
    out.push_str("\npaged:\n");
    let mut any = false;
    for entry in entries {
        if let Event::Notified {
            step,
            pass,
            people,
            unreachable,
            renotified,
            ..
        } = &entry.event
        {
            any = true;
            let who = if people.is_empty() {
                "nobody (a gap)".to_string()
            } else {
                people.join(", ")
            };
            let _ = write!(
                out,
                "  {}  step {}, pass {}: {who}",
                entry.at.to_rfc3339(),
                step + 1,
                pass + 1
            );
            if !unreachable.is_empty() {
                let _ = write!(out, " (no device: {})", unreachable.join(", "));
            }
            if *renotified > 0 {
                let _ = write!(out, ", sent again {renotified}x");
            }
            out.push('\n');
        }
    }
    if any {
        let _ = writeln!(out, "  how: {}", how(alert.priority));
    } else {
        out.push_str("  nobody yet\n");
    }
    out.push_str("\nanswers:\n");
    let mut answered = false;
    for entry in entries {
        let what = match &entry.event {
            Event::Acknowledged => "acknowledged".to_string(),
            Event::Escalated => "escalated".to_string(),
            Event::Declined => "declined".to_string(),
            Event::Snoozed { until } => format!("snoozed until {}", until.to_rfc3339()),
            Event::Resolved => "resolved".to_string(),
            _ => continue,
        };
        answered = true;
        let from = match entry.actor.source {
            Source::Device => "from a device",
            Source::Integration => "by the integration",
            Source::Relay => "by the relay",
        };
        let _ = writeln!(
            out,
            "  {}  {what} by {} ({from})",
            entry.at.to_rfc3339(),
            entry.actor.who
        );
    }
    if !answered {
        out.push_str("  none yet\n");
    }
    out
}
