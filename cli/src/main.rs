//! `klaxon`: the one command-line binary. This file holds only the top-level
//! clap definitions and the dispatch; each command family lives in its own
//! module: `roster_cmd`, `serve_cmd`, `send_cmd`, `invite_cmd`, `alerts_cmd`,
//! `pager_cmd` (with `phone`, `ring`, `pager_tui`), `action_cmd`, `demo_cmd`.

#![warn(clippy::unwrap_used, clippy::expect_used)]

mod action_cmd;
mod alert_cmd;
mod alerts_cmd;
mod audit_cmd;
mod demo_cmd;
mod ical_link_cmd;
mod invite_cmd;
mod maintenance_cmd;
mod outcome;
mod override_cmd;
mod pager_cmd;
mod pager_tui;
mod phone;
mod relay_client;
mod ring;
mod roster_cmd;
mod roster_live;
mod send_cmd;
mod serve_cmd;
mod timeline;
mod when;

use clap::{Parser, Subcommand};
use klaxon_domain::alert::Action;
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
    /// One alert, readable: its timeline, who was paged, when and how, and the answers (needs KLAXON_ADMIN_TOKEN).
    #[command(subcommand)]
    Alert(alert_cmd::AlertCommand),
    /// Maintenance windows: a service's alerts page nobody while one lasts (needs KLAXON_ADMIN_TOKEN).
    #[command(subcommand)]
    Maintenance(maintenance_cmd::MaintenanceCommand),
    /// Live overrides on the relay: put someone on call without editing the roster file.
    #[command(subcommand)]
    Override(override_cmd::OverrideCommand),
    /// The relay's audit log: reloads, overrides, calendar links, … (needs KLAXON_ADMIN_TOKEN).
    Audit(audit_cmd::AuditArgs),
    /// Print a secret calendar URL of a person's live shifts (needs KLAXON_ADMIN_TOKEN).
    IcalLink(ical_link_cmd::IcalLinkArgs),
    /// The terminal pager: enroll once, then receive pages, ring, and act.
    Pager(pager_cmd::PagerArgs),
    /// Acknowledge an alert from a pager's state directory (works offline).
    #[command(visible_alias = "acknowledge")]
    Ack(action_cmd::ActionArgs),
    /// Escalate an alert to the next step now (works offline).
    Escalate(action_cmd::ActionArgs),
    /// Resolve an alert (works offline).
    Resolve(action_cmd::ActionArgs),
    /// Snooze an alert: acknowledged now, paged again from the first step after DURATION (works offline).
    Snooze(action_cmd::SnoozeArgs),
    /// Decline an alert: "I can't take this", it escalates to the next step now (works offline).
    Decline(action_cmd::ActionArgs),
    /// A self-contained showcase: relay, two phones, a page, escalation, acknowledgement.
    Demo(demo_cmd::DemoArgs),
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
        Command::Alert(command) => alert_cmd::run(command),
        Command::Maintenance(command) => maintenance_cmd::run(command),
        Command::Override(command) => override_cmd::run(command),
        Command::Audit(args) => audit_cmd::run(args),
        Command::IcalLink(args) => ical_link_cmd::run(args),
        Command::Pager(args) => pager_cmd::run(args),
        Command::Ack(args) => action_cmd::run(args, Action::Acknowledge),
        Command::Escalate(args) => action_cmd::run(args, Action::Escalate),
        Command::Resolve(args) => action_cmd::run(args, Action::Resolve),
        Command::Snooze(args) => action_cmd::run_snooze(args),
        Command::Decline(args) => action_cmd::run(args, Action::Decline),
        Command::Demo(args) => demo_cmd::run(args),
    };
    outcome::finish(result)
}
