//! `klaxon ack|escalate|resolve ALERT --state-dir DIR`: commits the action
//! to the device's outbox first (so it survives a dead relay, a closed
//! laptop, a crash), then tries one sync and says how it went. A running
//! `klaxon pager` on the same directory is fine: SQLite in WAL mode with a
//! busy timeout serialises the two writers, and the idempotency key makes
//! a double delivery apply once.

use crate::outcome::{BadInput, Report};
use clap::Args;
use klaxon_device::device::Device;
use klaxon_device::outbox::ActionOutcome;
use klaxon_device::Store;
use klaxon_domain::alert::Action;
use klaxon_domain::alert::IdempotencyKey;
use klaxon_domain::SystemClock;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// `klaxon ack|escalate|resolve` arguments.
#[derive(Debug, Args)]
pub struct ActionArgs {
    /// The alert id (as `klaxon pager` and `klaxon alerts` show it).
    #[arg(value_name = "ALERT")]
    alert: String,
    /// The pager's state directory (holds the enrolled device and its outbox).
    #[arg(long, value_name = "DIR")]
    state_dir: PathBuf,
}

/// Queues `action` on the alert and tries to deliver it once.
pub fn run(args: ActionArgs, action: Action) -> Result<Report, BadInput> {
    let state = args.state_dir.join(klaxon_device::device::DATABASE_FILE);
    if !state.exists() {
        return Err(BadInput::new(format!(
            "--state-dir {}: no pager state here; enroll first with `klaxon pager --enroll CODE --state-dir {}`",
            args.state_dir.display(),
            args.state_dir.display()
        )));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| BadInput::new(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async move {
        // The relay is the one the device enrolled with; open once to read it.
        let relay = Device::open(&args.state_dir, "http://127.0.0.1:9", Arc::new(SystemClock))
            .map_err(|e| BadInput::new(format!("--state-dir {}: {e}", args.state_dir.display())))?
            .enrollment()
            .map(|e| e.relay_url)
            .ok_or_else(|| {
                BadInput::new(format!(
                    "--state-dir {}: the device is not enrolled; run `klaxon pager --enroll CODE` first",
                    args.state_dir.display()
                ))
            })?;
        let device = Arc::new(
            Device::open(&args.state_dir, &relay, Arc::new(SystemClock)).map_err(|e| {
                BadInput::new(format!("--state-dir {}: {e}", args.state_dir.display()))
            })?,
        );
        let queued = device
            .act(&args.alert, action.clone())
            .map_err(|e| BadInput::new(format!("cannot {} {}: {e}", action.verb(), args.alert)))?;
        let verb = action.verb();
        let alert = &args.alert;
        let mut sync = device.sync().await;
        let mut outcome = settled_outcome(&args.state_dir, &queued.key);
        if outcome.is_none() && sync.is_ok() {
            // A running pager on this directory may have taken the action
            // into its own delivery meanwhile; give that a moment, then try
            // once more ourselves (the key makes a double delivery harmless).
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            sync = device.sync().await;
            outcome = settled_outcome(&args.state_dir, &queued.key);
        }
        Ok(match outcome {
            Some(ActionOutcome::Applied) => Report::output(format!("{verb} {alert}: applied\n")),
            Some(ActionOutcome::AlreadyDone) => Report::output(format!(
                "{verb} {alert}: applied (it was already in that state)\n"
            )),
            Some(ActionOutcome::Rejected { reason }) => Report {
                stdout: format!("{verb} {alert}: rejected\n"),
                problems: vec![format!("{verb} {alert} was rejected: {reason}")],
            },
            Some(ActionOutcome::Expired { last_error }) => Report {
                stdout: format!("{verb} {alert}: rejected\n"),
                problems: vec![format!("{verb} {alert} expired: {last_error}")],
            },
            None => {
                let why = match &sync {
                    // The whole reqwest chain is noise here; the point is "offline".
                    Err(klaxon_device::Error::Network(_)) => format!(" (cannot reach {relay})"),
                    Err(e) => format!(" ({e})"),
                    Ok(_) => String::new(),
                };
                Report::output(format!(
                    "{verb} {alert}: queued; will be sent when the relay is reachable{why}\n"
                ))
            }
        })
    })
}

/// The action's final outcome as the outbox records it. Read from the store,
/// not from this process's sync report: with several processes on one state
/// directory, whichever syncs first delivers everyone's due actions.
fn settled_outcome(state_dir: &Path, key: &IdempotencyKey) -> Option<ActionOutcome> {
    let store = Store::open(state_dir.join(klaxon_device::device::DATABASE_FILE)).ok()?;
    store.queued_action(key).ok().flatten()?.outcome
}
