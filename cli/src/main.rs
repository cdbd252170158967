//! `klaxon`: the one command-line binary. This file holds only the top-level
//! clap definitions and the dispatch; each command family lives in its own
//! module (`roster_cmd` today; serve, send, pager and the rest join it).

#![warn(clippy::unwrap_used, clippy::expect_used)]

mod outcome;
mod roster_cmd;
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
}

fn main() -> ExitCode {
    // clap exits 2 itself on bad usage, 0 for --help and --version.
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Roster(command) => roster_cmd::run(command),
    };
    outcome::finish(result)
}
