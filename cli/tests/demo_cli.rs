//! `klaxon demo` from nothing: exits 0, tells the story in order (alice's
//! phone rings, the page escalates to bob, bob acknowledges, the timeline
//! agrees), and leaves no temporary files behind.

use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn the_demo_pages_alice_escalates_to_bob_and_bob_acknowledges() {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_klaxon"))
        .arg("demo")
        // Nothing from the environment is needed; an admin token set for
        // other tests must not matter either.
        .env_remove("KLAXON_ADMIN_TOKEN")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the demo took {:?}",
        started.elapsed()
    );

    let lines: Vec<&str> = stdout.lines().collect();
    let position = |what: &str, found: &dyn Fn(&str) -> bool| {
        lines
            .iter()
            .position(|l| found(l))
            .unwrap_or_else(|| panic!("no line for {what} in:\n{stdout}"))
    };
    let alice_paged = position("the page to alice", &|l| {
        l.contains("alice's phone") && l.contains("PAGE CRITICAL")
    });
    let alice_rings = position("alice's ring", &|l| {
        l.contains("alice's phone") && l.contains("starts ringing")
    });
    let bob_paged = position("the escalation to bob", &|l| {
        l.contains("bob's phone") && l.contains("PAGE CRITICAL")
    });
    let bob_acks = position("bob's acknowledgement", &|l| {
        l.contains("bob's phone") && l.contains("acknowledge: applied")
    });
    let alice_quiet = position("alice's phone going quiet", &|l| {
        l.contains("alice's phone") && l.contains("stops ringing: acknowledged by Bob Okafor")
    });
    assert!(alice_paged < bob_paged, "{stdout}");
    assert!(alice_rings < bob_paged, "{stdout}");
    assert!(bob_paged < bob_acks, "{stdout}");
    assert!(bob_acks <= alice_quiet + 1, "{stdout}");

    // The timeline, with relative times, in order: triggered, alice, bob, ack.
    let timeline = position("the timeline", &|l| l.starts_with("Timeline of alert"));
    let rest = &lines[timeline..];
    let at = |what: &str| {
        rest.iter()
            .position(|l| l.contains(what))
            .unwrap_or_else(|| panic!("no {what:?} in the timeline:\n{stdout}"))
    };
    let triggered = at("triggered");
    let notified_alice = at("notified      alice");
    let notified_bob = at("notified      bob");
    let acknowledged = at("acknowledged  by bob");
    assert!(
        triggered < notified_alice && notified_alice < notified_bob && notified_bob < acknowledged
    );
    assert!(rest[acknowledged].trim_start().starts_with('+'), "{stdout}");

    // The temporary relay database is gone.
    let dir = stdout
        .split("SQLite in ")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .unwrap_or_else(|| panic!("the demo does not say where its files are:\n{stdout}"));
    assert!(!std::path::Path::new(dir).exists(), "{dir} was left behind");
}
