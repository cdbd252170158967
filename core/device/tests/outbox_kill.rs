//! The kill test: a child process enqueues user actions as fast as it can
//! and is killed with SIGKILL at random points (including during the first
//! open and migration). Reopening the database must find it intact and every
//! action the child confirmed there exactly once.
//!
//! The child is this same test binary, re-executed with `KLAXON_KILL_CHILD`
//! set, running only `child_enqueues_until_killed`.

use chrono::Utc;
use klaxon_device::outbox;
use klaxon_device::Store;
use klaxon_domain::alert::Action;
use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

const CHILD_ENV: &str = "KLAXON_KILL_CHILD";
const ROUNDS: usize = 16;

/// The child's work; a no-op in a normal test run.
#[test]
fn child_enqueues_until_killed() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut store = Store::open(&path).unwrap();
    let stdout = std::io::stdout();
    for i in 0u64.. {
        let alert = format!("a{}", i % 7);
        let action = match i % 3 {
            0 => Action::Acknowledge,
            1 => Action::Escalate,
            _ => Action::Resolve,
        };
        let verb = action.verb();
        let queued = outbox::enqueue(&mut store, &alert, "bob", action, None, Utc::now()).unwrap();
        // Only now may the UI say "done": this line is the confirmation.
        let mut out = stdout.lock();
        writeln!(out, "confirmed {} {alert} {verb}", queued.key).unwrap();
        out.flush().unwrap();
    }
}

#[test]
fn sigkill_at_random_points_loses_and_duplicates_no_confirmed_action() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let seed: u64 = std::env::var("KLAXON_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_260_106);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("outbox.db");
    let exe = std::env::current_exe().unwrap();
    // key -> (alert, verb) as confirmed to the "user".
    let mut confirmed: HashMap<String, (String, String)> = HashMap::new();
    for round in 0..ROUNDS {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "child_enqueues_until_killed",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        // Round 0 kills at once (during open and migration); later rounds
        // after a random number of confirmations, mid-way through the next.
        let wait_for = if round == 0 {
            0
        } else {
            (rng.next_u64() % 60) as usize
        };
        let mut seen = 0;
        while seen < wait_for {
            let Some(Ok(line)) = lines.next() else { break };
            seen += record(&line, &mut confirmed);
        }
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        // Confirmations already in the pipe were printed after their commit.
        for line in lines.map_while(Result::ok) {
            record(&line, &mut confirmed);
        }
    }
    assert!(
        confirmed.len() > ROUNDS,
        "the child got work done: {}",
        confirmed.len()
    );

    let store = Store::open(&path).unwrap();
    let stored_count = store.queued_actions().unwrap().len();
    eprintln!(
        "kill test: {} confirmed, {stored_count} stored, {ROUNDS} kills",
        confirmed.len()
    );
    assert_eq!(store.integrity_check().unwrap(), "ok");
    let stored = store.queued_actions().unwrap();
    let mut by_key: HashMap<String, Vec<&klaxon_device::outbox::QueuedAction>> = HashMap::new();
    for action in &stored {
        by_key
            .entry(action.key.to_string())
            .or_default()
            .push(action);
    }
    for (key, (alert, verb)) in &confirmed {
        let found = by_key.get(key).map(Vec::as_slice).unwrap_or_default();
        assert_eq!(found.len(), 1, "confirmed action {key} stored exactly once");
        assert_eq!(
            (&found[0].alert, found[0].action.verb()),
            (alert, verb.as_str())
        );
    }
    assert!(by_key.values().all(|v| v.len() == 1), "no key twice");
    assert!(
        stored.windows(2).all(|w| w[0].id < w[1].id),
        "enqueue order kept"
    );
    // At most one unconfirmed commit per kill (committed, killed before printing).
    assert!(stored.len() <= confirmed.len() + ROUNDS);
}

/// Records a `confirmed KEY ALERT VERB` line; returns 1 if it was one.
/// libtest may print its "test NAME ... " prefix on the same line as the
/// child's first confirmation, so the marker is searched, not anchored.
fn record(line: &str, confirmed: &mut HashMap<String, (String, String)>) -> usize {
    let Some(start) = line.find("confirmed ") else {
        return 0;
    };
    let mut parts = line[start..].split_whitespace();
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("confirmed"), Some(key), Some(alert), Some(verb)) => {
            let previous = confirmed.insert(key.to_string(), (alert.to_string(), verb.to_string()));
            assert!(previous.is_none(), "a fresh key for every action");
            1
        }
        _ => 0,
    }
}
