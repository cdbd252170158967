//! `klaxon send`: one PagerDuty Events v2 event to a relay (a test page from
//! the terminal). Prints the dedup key the relay answered with.

use crate::outcome::{BadInput, Report};
use crate::relay_client::{client, refusal, runtime, unreachable, RelayUrl};
use clap::{Args, ValueEnum};
use serde_json::json;

/// Events v2 severities.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Severity {
    /// Pages as critical.
    Critical,
    /// Pages as high.
    Error,
    /// Pages as low.
    Warning,
    /// Pages as low.
    Info,
}

/// Events v2 actions.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum EventAction {
    /// Open (or update) an alert.
    Trigger,
    /// Acknowledge the open alert with the dedup key.
    Acknowledge,
    /// Resolve the open alert with the dedup key.
    Resolve,
}

/// `klaxon send` arguments.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// The relay's base URL, e.g. http://127.0.0.1:8080.
    #[arg(long, value_name = "URL")]
    relay: String,
    /// The service's routing key (32 characters).
    #[arg(long, value_name = "K")]
    routing_key: String,
    /// What is wrong (up to 1024 characters); required to trigger.
    #[arg(long, value_name = "S")]
    summary: Option<String>,
    /// How bad it is.
    #[arg(long, value_enum, default_value = "critical")]
    severity: Severity,
    /// The dedup key (the relay makes one up for a trigger without it).
    #[arg(long, value_name = "D")]
    dedup_key: Option<String>,
    /// What to do.
    #[arg(long, value_enum, default_value = "trigger")]
    action: EventAction,
    /// `payload.source`.
    #[arg(long, value_name = "SOURCE", default_value = "klaxon-cli")]
    source: String,
}

/// Sends the event.
pub fn run(args: SendArgs) -> Result<Report, BadInput> {
    let relay = RelayUrl::parse(&args.relay)?;
    let action = match args.action {
        EventAction::Trigger => "trigger",
        EventAction::Acknowledge => "acknowledge",
        EventAction::Resolve => "resolve",
    };
    if action != "trigger" && args.dedup_key.is_none() {
        return Err(BadInput::new(format!(
            "--dedup-key is required with --action {action}"
        )));
    }
    // Checked here, not by clap: `--action` defaults to trigger, and the
    // refusal should be one line like every other usage error.
    let summary = args.summary.unwrap_or_default();
    if action == "trigger" && summary.is_empty() {
        return Err(BadInput::new("--summary is required with --action trigger"));
    }
    let severity = match args.severity {
        Severity::Critical => "critical",
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    };
    let mut event = json!({
        "routing_key": args.routing_key,
        "event_action": action,
    });
    if let Some(key) = &args.dedup_key {
        event["dedup_key"] = json!(key);
    }
    if action == "trigger" {
        event["payload"] = json!({
            "summary": summary,
            "source": args.source,
            "severity": severity,
        });
    }
    let client = client()?;
    runtime()?.block_on(async {
        let response = client
            .post(relay.join("/v2/enqueue"))
            .json(&event)
            .send()
            .await
            .map_err(|e| unreachable(&relay, e))?;
        if !response.status().is_success() {
            return Err(refusal(&relay, response).await);
        }
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        let key = body
            .get("dedup_key")
            .and_then(|k| k.as_str())
            .unwrap_or_default();
        Ok(Report::output(format!("{key}\n")))
    })
}
