//! `klaxon alert show --relay URL ID [--json]`: one alert, readable — its
//! timeline (steps and passes counted from 1, as `klaxon demo` prints it),
//! who was paged, when and how, and the answers. Reads the admin API's
//! `GET /v1/admin/alerts/{id}` (`KLAXON_ADMIN_TOKEN`); `--json` prints that
//! answer as it is.

use crate::outcome::{BadInput, Report};
use crate::relay_client::{admin_json, RelayUrl};
use clap::{Args, Subcommand};
use klaxon_domain::alert::{Event, Source};
use klaxon_domain::{Alert, Priority};
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
    let alert: Alert = serde_json::from_value(value)
        .map_err(|e| BadInput::new(format!("the relay's answer is not an alert: {e}")))?;
    Ok(Report::output(show(&alert)))
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
