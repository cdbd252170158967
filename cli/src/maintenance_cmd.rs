//! `klaxon maintenance start|list|end`: maintenance windows through the
//! relay's admin API (`KLAXON_ADMIN_TOKEN`). While a window covers a
//! service, its alerts are recorded but page nobody; when it ends (by time
//! or `end`), those still triggered page at once (docs/cli.md).

use crate::outcome::{BadInput, Report};
use crate::relay_client::{admin_json, RelayUrl};
use clap::{Args, Subcommand};
use klaxon_relay::maintenance::{MaintenanceWindow, WindowList};
use serde_json::json;
use std::fmt::Write as _;

/// `klaxon maintenance` subcommands.
#[derive(Debug, Subcommand)]
pub enum MaintenanceCommand {
    /// Start a window now: the service's alerts page nobody until it ends.
    Start(StartArgs),
    /// List the windows in force and those that ended in the last 24 hours.
    List(ListArgs),
    /// End a window now: the service's triggered alerts page at once.
    End(EndArgs),
}

/// `klaxon maintenance start` arguments.
#[derive(Debug, Args)]
pub struct StartArgs {
    /// The relay's base URL.
    #[arg(long, value_name = "URL")]
    relay: String,
    /// The service to silence.
    #[arg(long, value_name = "ID")]
    service: String,
    /// How long: 30m, 2h, 1h30m (at most 7d).
    #[arg(long = "for", value_name = "DURATION")]
    duration: String,
    /// Why (shown in the listing and the audit log).
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
}

/// `klaxon maintenance list` arguments.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// The relay's base URL.
    #[arg(long, value_name = "URL")]
    relay: String,
    /// Print a JSON array.
    #[arg(long)]
    json: bool,
}

/// `klaxon maintenance end` arguments.
#[derive(Debug, Args)]
pub struct EndArgs {
    /// The relay's base URL.
    #[arg(long, value_name = "URL")]
    relay: String,
    /// The window's id (from `start` or `list`).
    id: String,
}

/// An instant as the listing prints it.
fn utc(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%SZ").to_string()
}

/// Runs a `klaxon maintenance` subcommand.
pub fn run(command: MaintenanceCommand) -> Result<Report, BadInput> {
    match command {
        MaintenanceCommand::Start(args) => {
            if let Err(e) = klaxon_domain::duration::parse_duration(&args.duration) {
                return Err(BadInput::new(format!("--for: {e}")));
            }
            let relay = RelayUrl::parse(&args.relay)?;
            let window: MaintenanceWindow = admin_json(
                &relay,
                reqwest::Method::POST,
                "/v1/admin/maintenance",
                Some(json!({"service": args.service, "for": args.duration, "reason": args.reason})),
            )?;
            Ok(Report::output(format!("{}\n", window.id)))
        }
        MaintenanceCommand::List(args) => {
            let relay = RelayUrl::parse(&args.relay)?;
            let list: WindowList =
                admin_json(&relay, reqwest::Method::GET, "/v1/admin/maintenance", None)?;
            if args.json {
                let mut text = serde_json::to_string_pretty(&list.windows)
                    .map_err(|e| BadInput::new(format!("cannot print JSON: {e}")))?;
                text.push('\n');
                return Ok(Report::output(text));
            }
            let mut out = String::new();
            for listed in &list.windows {
                let w = &listed.window;
                let state = if listed.active {
                    "active"
                } else if w.ended_early {
                    "ended early"
                } else {
                    "ended"
                };
                let reason = w
                    .reason
                    .as_deref()
                    .map(|r| format!("  ({r})"))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "{}  {:<10}  {:<11}  {} -> {}  by {}{reason}",
                    w.id,
                    w.service,
                    state,
                    utc(w.start),
                    utc(w.end),
                    w.created_by,
                );
            }
            if list.windows.is_empty() {
                out.push_str("no maintenance windows\n");
            }
            Ok(Report::output(out))
        }
        MaintenanceCommand::End(args) => {
            let relay = RelayUrl::parse(&args.relay)?;
            let window: MaintenanceWindow = admin_json(
                &relay,
                reqwest::Method::DELETE,
                &format!("/v1/admin/maintenance/{}", args.id),
                None,
            )?;
            Ok(Report::output(format!(
                "{} on {} ended at {}\n",
                window.id,
                window.service,
                utc(window.end)
            )))
        }
    }
}
