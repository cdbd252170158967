//! `klaxon`: the one command-line binary. This file holds only the top-level
//! clap definitions and the dispatch; each command family lives in its own
//! module: `roster_cmd`, `serve_cmd`, `send_cmd`, `invite_cmd`, `alerts_cmd`.

#![warn(clippy::unwrap_used, clippy::expect_used)]

mod alerts_cmd;
mod invite_cmd;
mod outcome;
mod relay_client;
mod roster_cmd;
mod send_cmd;
mod serve_cmd;
mod when;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Klaxon: page the one person on call, loudly when it matters.
#[derive(Debug, Parser)]
#[command(name = "klaxon", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The command families.
#[derive(Debug, Subcommand)]
enum Command {
    /// Validate the roster file and query it: who is on call, shifts, calendars.
    #[command(subcommand)]
    Roster(roster_cmd::RosterCommand),
    /// Run the relay: ingest, routing, escalation, device API.
    Serve(serve_cmd::ServeArgs),
    /// Send a PagerDuty Events v2 event (a test page).
    Send(send_cmd::SendArgs),
    /// Print a one-time enrollment code for a person (needs KLAXON_ADMIN_TOKEN).
    Invite(invite_cmd::InviteArgs),
    /// List the relay's alerts (needs KLAXON_ADMIN_TOKEN).
    Alerts(alerts_cmd::AlertsArgs),
}

fn main() -> ExitCode {
    // clap exits 2 itself on bad usage, 0 for --help and --version.
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Roster(command) => roster_cmd::run(command),
        Command::Serve(args) => serve_cmd::run(args),
        Command::Send(args) => send_cmd::run(args),
        Command::Invite(args) => invite_cmd::run(args),
        Command::Alerts(args) => alerts_cmd::run(args),
    };
    outcome::finish(result)
}
