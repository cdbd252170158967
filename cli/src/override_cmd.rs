//! `klaxon override add|list|remove`: live overrides on a relay, on top of
//! the roster file's own. With KLAXON_ADMIN_TOKEN an operator puts anyone
//! in the roster on call; with `--state-dir DIR` the enrolled terminal
//! pager signs the request and its person covers ("I'll cover") a schedule
//! of their teams (`Device::take_shift`, as `Pager.takeShift` on a phone).
//! The relay pages the new person from the next trigger on, no restart.
//! Also [`admin_call`], the admin request `roster who|shifts --relay`,
//! `audit` and `ical-link` share.

use crate::action_cmd::shell_word;
use crate::outcome::{BadInput, Report};
use crate::relay_client::{admin_token, client, refusal, runtime, unreachable, RelayUrl};
use crate::when::parse_instant;
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use klaxon_device::device::Device;
use klaxon_domain::SystemClock;
use klaxon_relay::overrides::OverrideView;
use serde_json::json;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

/// `klaxon override` subcommands.
#[derive(Debug, Subcommand)]
pub enum OverrideCommand {
    /// Put someone on call in a schedule for a while (the newest override wins).
    Add(AddArgs),
    /// The live overrides in force, each with what it changes.
    List(ListArgs),
    /// Remove a live override: the roster (or older overrides) decide again.
    Remove(RemoveArgs),
}

/// `klaxon override add` arguments.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// The relay's base URL.
    #[arg(long, value_name = "URL")]
    relay: String,
    /// The schedule.
    #[arg(long, value_name = "ID")]
    schedule: String,
    /// Who goes on call (with --state-dir: the device's own person, the default).
    #[arg(long, value_name = "ID")]
    person: Option<String>,
    /// Replace only this person, while they are on call (default: whoever is on call).
    #[arg(long, value_name = "ID")]
    replacing: Option<String>,
    /// First instant, RFC 3339.
    #[arg(long, value_name = "T")]
    from: String,
    /// First instant after it, RFC 3339 (at most 90 days after --from).
    #[arg(long, value_name = "T")]
    to: String,
    /// Sign as the terminal pager enrolled in DIR instead of using
    /// KLAXON_ADMIN_TOKEN: its person covers a schedule of their teams.
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
}

/// `klaxon override list` arguments.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// The relay's base URL.
    #[arg(long, value_name = "URL")]
    relay: String,
    /// Only this schedule's overrides.
    #[arg(long, value_name = "ID")]
    schedule: Option<String>,
    /// Print the relay's JSON array.
    #[arg(long)]
    json: bool,
}

/// `klaxon override remove` arguments.
#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// The relay's base URL.
    #[arg(long, value_name = "URL")]
    relay: String,
    /// The override's id (from `add` or `list`).
    #[arg(value_name = "ID")]
    id: String,
}

/// Sends an admin request (KLAXON_ADMIN_TOKEN) with query parameters and
/// an optional JSON body, and reads the JSON answer; a refusal or no answer
/// is one line naming the relay.
pub fn admin_call<T: serde::de::DeserializeOwned>(
    relay: &RelayUrl,
    method: reqwest::Method,
    path: &str,
    query: &[(&str, String)],
    body: Option<serde_json::Value>,
) -> Result<T, BadInput> {
    let token = admin_token()?;
    let client = client()?;
    let mut url = reqwest::Url::parse(&relay.join(path))
        .map_err(|e| BadInput::new(format!("--relay {relay}: {e}")))?;
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(query);
    }
    runtime()?.block_on(async {
        let mut request = client.request(method, url).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(|e| unreachable(relay, e))?;
        if !response.status().is_success() {
            return Err(refusal(relay, response).await);
        }
        response.json().await.map_err(|e| {
            BadInput::new(format!(
                "the relay's answer to {path} is not what it should be: {e}"
            ))
        })
    })
}

/// An instant as the listings print it: `2026-03-01 09:00Z`.
pub fn utc(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%MZ").to_string()
}

/// Runs a `klaxon override` subcommand.
pub fn run(command: OverrideCommand) -> Result<Report, BadInput> {
    match command {
        OverrideCommand::Add(args) => add(args),
        OverrideCommand::List(args) => {
            let relay = RelayUrl::parse(&args.relay)?;
            let query: Vec<(&str, String)> = args
                .schedule
                .iter()
                .map(|s| ("schedule", s.clone()))
                .collect();
            let list: Vec<OverrideView> = admin_call(
                &relay,
                reqwest::Method::GET,
                "/v1/admin/overrides",
                &query,
                None,
            )?;
            if args.json {
                let mut text = serde_json::to_string_pretty(&list)
                    .map_err(|e| BadInput::new(format!("cannot print JSON: {e}")))?;
                text.push('\n');
                return Ok(Report::output(text));
            }
            Ok(Report::output(listing(&list)))
        }
        OverrideCommand::Remove(args) => {
            let relay = RelayUrl::parse(&args.relay)?;
            let removed: klaxon_domain::schedule::LiveOverride = admin_call(
                &relay,
                reqwest::Method::DELETE,
                &format!("/v1/admin/overrides/{}", args.id),
                &[],
                None,
            )?;
            Ok(Report::output(format!(
                "removed override {}: {} on call in {} {} -> {}\n",
                removed.id,
                removed.person,
                removed.schedule,
                utc(removed.start),
                utc(removed.end)
            )))
        }
    }
}

/// `override list` for people: each override, then what it changes.
fn listing(list: &[OverrideView]) -> String {
    let mut out = String::new();
    for v in list {
        let replacing = v
            .replacing
            .as_deref()
            .map(|q| format!(", replacing {q}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{}  {}  {} on call {} -> {}{replacing}  (by {})",
            v.id,
            v.schedule,
            v.person,
            utc(v.from),
            utc(v.to),
            v.created_by
        );
        for change in &v.changes {
            let instead = if change.instead_of.is_empty() {
                "where nobody was on call".to_string()
            } else {
                format!("instead of {}", change.instead_of.join(", "))
            };
            let _ = writeln!(
                out,
                "    {} -> {}  {} {instead}",
                utc(change.start),
                utc(change.end),
                v.person
            );
        }
        if v.changes.is_empty() {
            out.push_str("    changes nothing now\n");
        }
        if !v.superseded_by.is_empty() {
            let ids: Vec<String> = v.superseded_by.iter().map(i64::to_string).collect();
            let _ = writeln!(
                out,
                "    newer override {} wins over part of its time",
                ids.join(", ")
            );
        }
    }
    if list.is_empty() {
        out.push_str("no live overrides\n");
    }
    out
}

/// `override add`: with the admin token, or signed by the device in `--state-dir`.
fn add(args: AddArgs) -> Result<Report, BadInput> {
    let relay = RelayUrl::parse(&args.relay)?;
    let from = parse_instant("from", &args.from)?;
    let to = parse_instant("to", &args.to)?;
    if to <= from {
        return Err(BadInput::new(format!(
            "--to ({}) must be after --from ({})",
            to.to_rfc3339(),
            from.to_rfc3339()
        )));
    }
    if let Some(dir) = &args.state_dir {
        return take_shift(&relay, dir, &args, from, to);
    }
    let Some(person) = &args.person else {
        return Err(BadInput::new(
            "--person: who goes on call? (or --state-dir DIR to cover as the pager's own person)",
        ));
    };
    let added: OverrideView = admin_call(
        &relay,
        reqwest::Method::POST,
        "/v1/admin/overrides",
        &[],
        Some(json!({
            "schedule": args.schedule,
            "person": person,
            "replacing": args.replacing,
            "from": from,
            "to": to,
        })),
    )?;
    let mut out = format!(
        "added override {}: {} on call in {} {} -> {}\n",
        added.id,
        added.person,
        added.schedule,
        utc(added.from),
        utc(added.to)
    );
    // What it changes, as `override list` shows it, without the header.
    out.extend(
        listing(std::slice::from_ref(&added))
            .lines()
            .skip(1)
            .map(|l| format!("{l}\n")),
    );
    Ok(Report::output(out))
}

/// `override add --state-dir DIR`: the pager's person takes the shift.
fn take_shift(
    relay: &RelayUrl,
    state_dir: &std::path::Path,
    args: &AddArgs,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Report, BadInput> {
    let dir = state_dir.display().to_string();
    if !state_dir
        .join(klaxon_device::device::DATABASE_FILE)
        .exists()
    {
        return Err(BadInput::new(format!(
            "--state-dir {dir}: no pager state here; enroll it first: `klaxon pager --relay {relay} --state-dir {} --enroll CODE`",
            shell_word(&dir)
        )));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| BadInput::new(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        let device = Arc::new(
            Device::open(state_dir, relay.as_str(), Arc::new(SystemClock))
                .map_err(|e| BadInput::new(format!("--state-dir {dir}: {e}")))?,
        );
        let Some(enrollment) = device.enrollment() else {
            return Err(BadInput::new(format!(
                "--state-dir {dir}: the device is not enrolled; run `klaxon pager --relay {relay} --state-dir {} --enroll CODE` first",
                shell_word(&dir)
            )));
        };
        if !relay.same_as(&enrollment.relay_url) {
            return Err(BadInput::new(format!(
                "--relay {relay}: the device in {dir} is enrolled with {}; pass --relay {}",
                enrollment.relay_url, enrollment.relay_url
            )));
        }
        if let Some(other) = args.person.as_deref().filter(|p| *p != enrollment.person) {
            return Err(BadInput::new(format!(
                "--person {other}: a device covers only for its own person ({}); use KLAXON_ADMIN_TOKEN without --state-dir to put someone else on call",
                enrollment.person
            )));
        }
        let taken = device
            .take_shift(&args.schedule, args.replacing.as_deref(), from, to)
            .await
            .map_err(|e| BadInput::new(format!("cannot take the shift: {e}")))?;
        Ok(Report::output(format!(
            "added override {}: {} on call in {} {} -> {}\n",
            taken.id,
            taken.person,
            taken.schedule,
            utc(taken.from),
            utc(taken.to)
        )))
    })
}
