//! `klaxon ack|escalate|resolve|decline ALERT --state-dir DIR [--relay URL]`
//! and `klaxon snooze ALERT DURATION ...`: commits the action to the
//! device's outbox first (so it survives a dead relay, a closed laptop, a
//! crash), then tries one sync and says how it went. An alert this device
//! has never seen is refused before anything is queued (after asking the
//! relay, when it can be reached). A running `klaxon pager` on the same
//! directory is fine: SQLite in WAL mode with a busy timeout serialises the
//! two writers, and the idempotency key makes a double delivery apply once.

use crate::outcome::{BadInput, Report};
use crate::relay_client::RelayUrl;
use chrono::Utc;
use clap::Args;
use klaxon_device::device::Device;
use klaxon_device::outbox::ActionOutcome;
use klaxon_device::Store;
use klaxon_domain::alert::Action;
use klaxon_domain::alert::IdempotencyKey;
use klaxon_domain::SystemClock;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// `klaxon ack|escalate|resolve|decline` arguments.
#[derive(Debug, Args)]
pub struct ActionArgs {
    /// The alert id (as `klaxon pager` and `klaxon alerts` show it).
    #[arg(value_name = "ALERT")]
    alert: String,
    /// The pager's state directory (holds the enrolled device and its outbox).
    #[arg(long, value_name = "DIR")]
    state_dir: PathBuf,
    /// The relay, to check: it must be the one the device enrolled with
    /// (the action always goes there).
    #[arg(long, value_name = "URL")]
    relay: Option<String>,
}

/// `klaxon snooze` arguments.
#[derive(Debug, Args)]
pub struct SnoozeArgs {
    #[command(flatten)]
    action: ActionArgs,
    /// How long to snooze: `30m`, `2h`, `1h30m` (at most 24 hours).
    #[arg(value_name = "DURATION")]
    duration: String,
}

/// `klaxon snooze ALERT DURATION`: an acknowledgement that pages again from
/// the first step when DURATION has passed.
pub fn run_snooze(args: SnoozeArgs) -> Result<Report, BadInput> {
    let length = parse_snooze(&args.duration)?;
    let until = Utc::now() + length;
    run(args.action, Action::Snooze { until })
}

/// A snooze length: a duration (`30m`, `2h`) above zero and at most
/// [`klaxon_domain::alert::MAX_SNOOZE`].
pub fn parse_snooze(text: &str) -> Result<chrono::TimeDelta, BadInput> {
    let bad = |why: String| BadInput::new(format!("snooze {text:?}: {why}"));
    let length = klaxon_domain::duration::parse_duration(text).map_err(bad)?;
    let length = chrono::TimeDelta::from_std(length).map_err(|_| bad("too long".into()))?;
    let max = klaxon_domain::alert::MAX_SNOOZE;
    if length <= chrono::TimeDelta::zero() || length > max {
        return Err(bad(format!(
            "a snooze lasts more than 0 and at most {} hours (write it like 30m, 2h or 1h30m)",
            max.num_hours()
        )));
    }
    Ok(length)
}

/// The command that enrolls a state directory, as a hint that works once
/// CODE is replaced by a code from `klaxon invite`.
fn enroll_hint(relay: Option<&str>, state_dir: &Path) -> String {
    let relay = relay.unwrap_or("URL");
    format!(
        "enroll it first: `klaxon pager --relay {relay} --state-dir {} --enroll CODE`, with CODE from `klaxon invite --relay {relay} --person YOU`",
        shell_word(&state_dir.display().to_string())
    )
}

/// `text` quoted for a POSIX shell when it needs quoting.
pub fn shell_word(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if plain {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// Queues `action` on the alert and tries to deliver it once.
pub fn run(args: ActionArgs, action: Action) -> Result<Report, BadInput> {
    let given_relay = args.relay.as_deref().map(RelayUrl::parse).transpose()?;
    let state = args.state_dir.join(klaxon_device::device::DATABASE_FILE);
    let dir = args.state_dir.display().to_string();
    if !state.exists() {
        return Err(BadInput::new(format!(
            "--state-dir {dir}: no pager state here; {}",
            enroll_hint(args.relay.as_deref(), &args.state_dir)
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
            .map_err(|e| BadInput::new(format!("--state-dir {dir}: {e}")))?
            .enrollment()
            .map(|e| e.relay_url)
            .ok_or_else(|| {
                BadInput::new(format!(
                    "--state-dir {dir}: the device is not enrolled; {}",
                    enroll_hint(args.relay.as_deref(), &args.state_dir)
                ))
            })?;
        if let Some(given) = &given_relay {
            if !given.same_as(&relay) {
                return Err(BadInput::new(format!(
                    "--relay {given}: the device in {dir} is enrolled with {relay}; pass --relay {relay} (or leave --relay out)"
                )));
            }
        }
        let device = Arc::new(
            Device::open(&args.state_dir, &relay, Arc::new(SystemClock))
                .map_err(|e| BadInput::new(format!("--state-dir {dir}: {e}")))?,
        );
        let verb = action.verb();
        let alert = &args.alert;
        // Core's offer rule (the buttons) is not applied here: a script's
        // second `klaxon ack` is answered by the relay, "applied (it was
        // already in that state)", exit 0.
        ensure_known(&device, alert, &relay, &dir).await?;
        let queued = device
            .act(alert, action.clone())
            .map_err(|e| BadInput::new(format!("cannot {verb} {alert}: {e}")))?;
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
                    "{verb} {alert}: queued; will be sent when the relay is reachable{why}\n\
                     (a running `klaxon pager --relay {relay} --state-dir {}` sends it, or run this command again)\n",
                    shell_word(&dir)
                ))
            }
        })
    })
}

/// Refuses (exit 2, nothing queued) an alert this device has never seen,
/// unless a sync with the relay brings it: an alert of this person's teams
/// that paged someone else, or that arrived while the pager was off.
async fn ensure_known(
    device: &Arc<Device>,
    alert: &str,
    relay: &str,
    state_dir: &str,
) -> Result<(), BadInput> {
    if device.alert(alert).is_ok() {
        return Ok(());
    }
    let asked = device.sync().await;
    if device.alert(alert).is_ok() {
        return Ok(());
    }
    let person = device.enrollment().map(|e| e.person).unwrap_or_default();
    let why = match asked {
        Ok(_) => format!("the relay at {relay} does not know it for {person} either"),
        Err(klaxon_device::Error::Network(_)) => {
            format!("the relay at {relay} could not be reached to ask")
        }
        Err(e) => format!("asking the relay at {relay} failed: {e}"),
    };
    Err(BadInput::new(format!(
        "{alert:?} is not an alert this device knows ({why}); nothing was queued. \
         `klaxon pager --relay {relay} --state-dir {}` shows the ids of your pages",
        shell_word(state_dir)
    )))
}

/// The action's final outcome as the outbox records it. Read from the store,
/// not from this process's sync report: with several processes on one state
/// directory, whichever syncs first delivers everyone's due actions.
fn settled_outcome(state_dir: &Path, key: &IdempotencyKey) -> Option<ActionOutcome> {
    let store = Store::open(state_dir.join(klaxon_device::device::DATABASE_FILE)).ok()?;
    store.queued_action(key).ok().flatten()?.outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snooze_lengths_are_durations_up_to_a_day() {
        assert_eq!(parse_snooze("30m").unwrap().num_minutes(), 30);
        assert_eq!(parse_snooze("1h30m").unwrap().num_minutes(), 90);
        assert_eq!(parse_snooze("24h").unwrap().num_hours(), 24);
        for bad in ["0m", "25h", "2d", "soon", ""] {
            let err = parse_snooze(bad).unwrap_err();
            assert!(err.lines[0].contains("snooze"), "{:?}", err.lines);
        }
    }

    #[test]
    fn hints_quote_what_a_shell_would_split() {
        assert_eq!(shell_word("/tmp/pager"), "/tmp/pager");
        assert_eq!(shell_word("/tmp/my pager"), "'/tmp/my pager'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
    }
}
