//! `klaxon alerts --relay URL [--status S] [--json]`: the relay's alerts
//! with their state, who was paged (in order, repeats included) and who
//! acknowledged. `--json` prints the array docs/cli.md describes.

use crate::outcome::{BadInput, Report};
use crate::relay_client::{admin_token, client, refusal, runtime, unreachable, RelayUrl};
use clap::{Args, ValueEnum};
use klaxon_relay::admin::AlertSummary;
use std::fmt::Write as _;

/// Alert states to filter on.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StatusFilter {
    /// Open, nobody has taken it.
    Triggered,
    /// Someone took it.
    Acknowledged,
    /// Closed.
    Resolved,
}

/// `klaxon alerts` arguments.
#[derive(Debug, Args)]
pub struct AlertsArgs {
    /// The relay's base URL.
    #[arg(long, value_name = "URL")]
    relay: String,
    /// Only alerts in this state.
    #[arg(long, value_enum)]
    status: Option<StatusFilter>,
    /// Print a JSON array.
    #[arg(long)]
    json: bool,
}

/// Lists the alerts.
pub fn run(args: AlertsArgs) -> Result<Report, BadInput> {
    let relay = RelayUrl::parse(&args.relay)?;
    let token = admin_token()?;
    let client = client()?;
    let path = match args.status {
        None => "/v1/admin/alerts".to_string(),
        Some(StatusFilter::Triggered) => "/v1/admin/alerts?status=triggered".to_string(),
        Some(StatusFilter::Acknowledged) => "/v1/admin/alerts?status=acknowledged".to_string(),
        Some(StatusFilter::Resolved) => "/v1/admin/alerts?status=resolved".to_string(),
    };
    let alerts: Vec<AlertSummary> = runtime()?.block_on(async {
        let response = client
            .get(relay.join(&path))
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| unreachable(&relay, e))?;
        if !response.status().is_success() {
            return Err(refusal(&relay, response).await);
        }
        response
            .json()
            .await
            .map_err(|e| BadInput::new(format!("the relay's answer is not an alert list: {e}")))
    })?;
    if args.json {
        let mut text = serde_json::to_string_pretty(&alerts)
            .map_err(|e| BadInput::new(format!("cannot print JSON: {e}")))?;
        text.push('\n');
        return Ok(Report::output(text));
    }
    let mut out = String::new();
    for a in &alerts {
        let paged = if a.paged.is_empty() {
            "-".to_string()
        } else {
            a.paged.join(",")
        };
        let _ = writeln!(
            out,
            "{}  {:<12}  {:<8}  {:<10}  paged={}  ack={}  {}",
            a.id,
            a.status.as_str(),
            a.priority.as_str(),
            a.service,
            paged,
            a.acknowledged_by.as_deref().unwrap_or("-"),
            a.summary
        );
    }
    if alerts.is_empty() {
        out.push_str("no alerts\n");
    }
    Ok(Report::output(out))
}
