//! `klaxon audit --relay URL [--limit N] [--json]`: the relay's audit log,
//! oldest first — every reload, live override, calendar link, maintenance
//! window and revoke, with who made it (`admin`, `person:<id>`,
//! `signal:SIGHUP`), when and what (KLAXON_ADMIN_TOKEN).

use crate::outcome::{BadInput, Report};
use crate::override_cmd::admin_call;
use crate::relay_client::RelayUrl;
use clap::Args;
use klaxon_relay::store::rota::AuditEntry;
use std::fmt::Write as _;

/// `klaxon audit` arguments.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The relay's base URL.
    #[arg(long, value_name = "URL")]
    relay: String,
    /// How many of the newest entries (1 to 10000).
    #[arg(long, value_name = "N", default_value_t = 200)]
    limit: usize,
    /// Print the relay's JSON array.
    #[arg(long)]
    json: bool,
}

/// Prints the audit log.
pub fn run(args: AuditArgs) -> Result<Report, BadInput> {
    if !(1..=10_000).contains(&args.limit) {
        return Err(BadInput::new(format!(
            "--limit {}: give 1 to 10000",
            args.limit
        )));
    }
    let relay = RelayUrl::parse(&args.relay)?;
    let entries: Vec<AuditEntry> = admin_call(
        &relay,
        reqwest::Method::GET,
        "/v1/admin/audit",
        &[("limit", args.limit.to_string())],
        None,
    )?;
    if args.json {
        let mut text = serde_json::to_string_pretty(&entries)
            .map_err(|e| BadInput::new(format!("cannot print JSON: {e}")))?;
        text.push('\n');
        return Ok(Report::output(text));
    }
    let mut out = String::new();
    for e in &entries {
        let r = &e.record;
        let _ = writeln!(
            out,
            "{}  {}  {:<14}  {:<17}  {}",
            e.id,
            r.at.format("%Y-%m-%d %H:%M:%SZ"),
            r.who,
            r.action,
            r.what
        );
    }
    if entries.is_empty() {
        out.push_str("no audit entries\n");
    }
    Ok(Report::output(out))
}
