//! `klaxon demo`: the whole system in one command with nothing to set up. A
//! relay runs in-process on a free loopback port with a sample team
//! (`demo_roster.toml`) and a temporary SQLite file; two simulated phones —
//! core's `Device`, the code the apps run — enroll with invite codes; a
//! critical page arrives through Events v2, rings alice's phone, escalates
//! to bob when nobody answers, bob acknowledges, and the alert's timeline
//! is printed. Everything temporary is removed at the end.

use crate::outcome::{BadInput, Report};
use crate::phone::{PagerEvent, Phone};
use crate::relay_client::client;
use clap::Args;
use klaxon_device::device::Device;
use klaxon_domain::alert::Action;
use klaxon_domain::{Roster, SystemClock};
use klaxon_relay::Relay;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// The sample team: alice on call, bob the next step, 3 s steps.
const DEMO_ROSTER: &str = include_str!("demo_roster.toml");
/// The sample service's routing key (in `demo_roster.toml`).
const ROUTING_KEY: &str = "d3m0d3m0d3m0d3m0d3m0d3m0d3m0d3m0";
/// How long bob looks at his phone before acknowledging.
const BOB_THINKS: Duration = Duration::from_secs(2);
/// A demo that has not finished by then is broken; say so instead of hanging.
const GIVE_UP: Duration = Duration::from_secs(60);

/// `klaxon demo` takes no arguments.
#[derive(Debug, Args)]
pub struct DemoArgs {}

/// A temporary directory removed on drop (also when the demo fails).
struct TempDir(PathBuf);

impl TempDir {
    fn create() -> std::io::Result<TempDir> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("klaxon-demo-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(TempDir(dir))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Prints the story with time since the start.
struct Narrator {
    start: Instant,
}

impl Narrator {
    fn say(&self, who: &str, text: &str) {
        let secs = self.start.elapsed().as_secs_f64();
        let mut lines = text.lines();
        println!(
            "[{secs:5.1}s] {who:<13} {}",
            lines.next().unwrap_or_default()
        );
        for more in lines {
            println!("{:21}{more}", "");
        }
    }
}

/// Runs the demo.
pub fn run(_args: DemoArgs) -> Result<Report, BadInput> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| BadInput::new(format!("cannot start the async runtime: {e}")))?;
    let dir = TempDir::create()
        .map_err(|e| BadInput::new(format!("cannot create a temporary directory: {e}")))?;
    let result = runtime.block_on(async {
        match tokio::time::timeout(GIVE_UP, demo(dir.path())).await {
            Ok(result) => result,
            Err(_) => Err(format!(
                "the demo did not finish within {} s",
                GIVE_UP.as_secs()
            )),
        }
    });
    // Stop the relay's and phones' tasks before the directory goes.
    runtime.shutdown_timeout(Duration::from_secs(2));
    drop(dir);
    match result {
        Ok(()) => Ok(Report::default()),
        Err(message) => Err(BadInput::new(format!("demo: {message}"))),
    }
}

async fn demo(dir: &Path) -> Result<(), String> {
    let say = Narrator {
        start: Instant::now(),
    };
    println!("Klaxon demo: a relay, two phones, one critical page (about 6 s).\n");

    // The relay, in-process, on a free loopback port.
    let roster = Roster::parse(DEMO_ROSTER).map_err(|e| format!("the sample roster: {e}"))?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("cannot listen on loopback: {e}"))?;
    let admin = format!("demo-{}", uuid_like());
    let relay = Relay::new(roster, dir.join("relay.db"))
        .admin_token(Some(admin.clone()))
        .start(listener)
        .await
        .map_err(|e| format!("the relay did not start: {e}"))?;
    let base = format!("http://{}", relay.local_addr());
    say.say(
        "relay",
        &format!(
            "listening on {base} (in-process; SQLite in {})\n\
             sample team: alice is on call (schedule \"primary\"), bob is next;\n\
             policy: page alice, then bob if nobody acknowledges within 3 s",
            dir.display()
        ),
    );

    let result = story(&say, &base, &admin, dir).await;
    relay
        .shutdown()
        .await
        .map_err(|e| format!("the relay did not stop cleanly: {e}"))?;
    result?;
    println!(
        "\nDone in {:.1} s: the page rang alice, escalated to bob when nobody answered, \
         bob acknowledged, and both phones went quiet.",
        say.start.elapsed().as_secs_f64()
    );
    // Commands that work as printed from a clone (the demo's own roster),
    // each in its own terminal; only CODE is the invite's output.
    println!(
        "Your own, from a clone (docs/pager.md):\n  \
         KLAXON_ADMIN_TOKEN=demo klaxon serve --config cli/src/demo_roster.toml\n  \
         KLAXON_ADMIN_TOKEN=demo klaxon invite --relay http://127.0.0.1:8080 --person alice\n  \
         klaxon pager --relay http://127.0.0.1:8080 --state-dir klaxon-alice --enroll CODE"
    );
    Ok(())
}

/// Both phones' events, each tagged with whose phone it came from.
type Merged = mpsc::UnboundedReceiver<(&'static str, PagerEvent)>;

/// Enrolls the phones, fires the page and follows it to the acknowledgement.
async fn story(say: &Narrator, base: &str, admin: &str, dir: &Path) -> Result<(), String> {
    let http = client().map_err(|e| e.lines.join("; "))?;
    let mut phones = Vec::new();
    for (person, label) in [("alice", "Alice's phone"), ("bob", "Bob's phone")] {
        let device = enroll_phone(say, &http, base, admin, dir, person, label).await?;
        phones.push((person, device));
    }
    if let Some((_, alice)) = phones.first() {
        say_on_call(say, alice)?;
    }

    let (running, mut merged) = connect(phones).await?;
    fire_page(say, &http, base).await?;

    let find = |person: &str| running.iter().find(|(p, _)| *p == person).map(|(_, ph)| ph);
    let (Some(alice), Some(bob)) = (find("alice"), find("bob")) else {
        return Err("a phone is missing".into());
    };
    let id = follow_page(say, &mut merged, alice, bob).await?;
    print_timeline(bob, &id).await?;
    for (_, phone) in running {
        phone.stop();
    }
    Ok(())
}

/// One phone: an invite code from the relay's admin API, a device opened
/// in its own directory, enrolled with the code and synced.
async fn enroll_phone(
    say: &Narrator,
    http: &reqwest::Client,
    base: &str,
    admin: &str,
    dir: &Path,
    person: &'static str,
    label: &str,
) -> Result<Arc<Device>, String> {
    let answer: serde_json::Value = http
        .post(format!("{base}/v1/admin/invites"))
        .bearer_auth(admin)
        .json(&json!({ "person": person }))
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(|e| format!("invite for {person}: {e}"))?
        .json()
        .await
        .map_err(|e| format!("invite for {person}: {e}"))?;
    let code = answer
        .get("code")
        .and_then(|c| c.as_str())
        .ok_or_else(|| format!("the invite for {person} has no code"))?;
    let device = Arc::new(
        Device::open(&dir.join(person), base, Arc::new(SystemClock))
            .map_err(|e| format!("{label}: {e}"))?,
    );
    let enrollment = device
        .enroll(code, label)
        .await
        .map_err(|e| format!("{label} could not enroll: {e}"))?;
    device
        .sync()
        .await
        .map_err(|e| format!("{label} could not sync: {e}"))?;
    say.say(
        &who(person),
        &format!(
            "enrolled with invite code {code} as {} ({})",
            enrollment.person,
            crate::phone::person_name(&device, person)
        ),
    );
    Ok(device)
}

/// Who alice's phone says is on call, from the roster it synced.
fn say_on_call(say: &Narrator, alice: &Device) -> Result<(), String> {
    let on_call = alice
        .who_is_on_call("primary")
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|o| o.person.name)
        .collect::<Vec<_>>()
        .join(", ");
    say.say(&who("alice"), &format!("on call now (primary): {on_call}"));
    Ok(())
}

/// Starts every phone on the relay's stream, their events merged into one
/// receiver, and waits until all of them are connected, so the page is
/// fired only once both are listening.
async fn connect(
    phones: Vec<(&'static str, Arc<Device>)>,
) -> Result<(Vec<(&'static str, Phone)>, Merged), String> {
    let (merged_tx, mut merged) = mpsc::unbounded_channel::<(&'static str, PagerEvent)>();
    let mut running = Vec::new();
    for (person, device) in phones {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let merged_tx = merged_tx.clone();
        tokio::spawn(async move {
            while let Some(event) = rx.recv().await {
                if merged_tx.send((person, event)).is_err() {
                    return;
                }
            }
        });
        running.push((person, Phone::start(device, tx)));
    }
    let mut connected = 0;
    while connected < running.len() {
        match merged.recv().await {
            Some((_, PagerEvent::Connected { .. })) => connected += 1,
            Some((person, PagerEvent::Disconnected { error, .. })) => {
                return Err(format!("{person}'s phone cannot reach the relay: {error}"))
            }
            Some(_) => {}
            None => return Err("the phones stopped".into()),
        }
    }
    Ok((running, merged))
}

/// The monitoring system's critical event, through PagerDuty Events v2.
async fn fire_page(say: &Narrator, http: &reqwest::Client, base: &str) -> Result<(), String> {
    let summary = "Error rate 42% on POST /pay (HTTP 5xx)";
    let response = http
        .post(format!("{base}/v2/enqueue"))
        .json(&json!({
            "routing_key": ROUTING_KEY,
            "event_action": "trigger",
            "dedup_key": "demo-checkout-errors",
            "payload": {"summary": summary, "source": "lb-eu-1", "severity": "critical"}
        }))
        .send()
        .await
        .map_err(|e| format!("Events v2: {e}"))?;
    say.say(
        "monitoring",
        &format!(
            "POST /v2/enqueue (PagerDuty Events v2): critical \"{summary}\" -> HTTP {}",
            response.status().as_u16()
        ),
    );
    if !response.status().is_success() {
        return Err(format!(
            "the relay refused the event: {}",
            response.status()
        ));
    }
    Ok(())
}

/// What the story has seen of the page so far.
#[derive(Default)]
struct Progress {
    /// The page's alert, from the first page event.
    alert_id: Option<String>,
    /// When bob, having seen the page, taps Acknowledge.
    bob_acks_at: Option<tokio::time::Instant>,
    /// The relay applied bob's acknowledgement.
    bob_applied: bool,
    /// Alice's phone stopped ringing.
    alice_quiet: bool,
    /// The escalation countdown was told once.
    told_countdown: bool,
}

/// Narrates both phones' events until bob's acknowledgement is applied and
/// alice's phone is quiet; bob acknowledges `BOB_THINKS` after his page.
/// Returns the alert id.
async fn follow_page(
    say: &Narrator,
    merged: &mut Merged,
    alice: &Phone,
    bob: &Phone,
) -> Result<String, String> {
    let mut seen = Progress::default();
    while !(seen.bob_applied && seen.alice_quiet) {
        let wake = seen
            .bob_acks_at
            .unwrap_or_else(|| tokio::time::Instant::now() + GIVE_UP);
        let (person, event) = tokio::select! {
            next = merged.recv() => next.ok_or("the phones stopped")?,
            _ = tokio::time::sleep_until(wake) => {
                seen.bob_acks_at = None;
                let id = seen.alert_id.clone().ok_or("no alert to acknowledge")?;
                say.say(&who("bob"), "taps Acknowledge: committed to the phone's outbox, then synced");
                bob.act(&id, Action::Acknowledge).map_err(|e| format!("bob could not acknowledge: {e}"))?;
                continue;
            }
        };
        seen.narrate(say, person, &event)?;
        // The page event waited for the sync that brings the countdown.
        if !seen.told_countdown && person == "alice" {
            if let Some(next) = seen
                .alert_id
                .as_deref()
                .and_then(|id| alice.device.alert(id).ok())
                .and_then(|e| e.next_escalation)
            {
                say.say(&who(person), &format!("{next} (nobody answers...)"));
                seen.told_countdown = true;
            }
        }
    }
    seen.alert_id.ok_or_else(|| "no alert".to_string())
}

impl Progress {
    /// Says one phone's event and notes what it means for the story; a
    /// rejected action ends the demo.
    fn narrate(
        &mut self,
        say: &Narrator,
        person: &'static str,
        event: &PagerEvent,
    ) -> Result<(), String> {
        let name = who(person);
        match event {
            PagerEvent::Page { alert, .. } => {
                self.alert_id.get_or_insert_with(|| alert.clone());
                say.say(&name, &page_text(event));
                if person == "bob" && self.bob_acks_at.is_none() {
                    self.bob_acks_at = Some(tokio::time::Instant::now() + BOB_THINKS);
                }
            }
            PagerEvent::RingStart { interval_ms, .. } => say.say(
                &name,
                &format!(
                    "starts ringing: alarm every {} s until someone acknowledges",
                    interval_ms / 1000
                ),
            ),
            PagerEvent::Ring { .. } => say.say(&name, "♪ ring"),
            PagerEvent::RingStop { reason, .. } => {
                say.say(&name, &format!("stops ringing: {reason}"));
                if person == "alice" {
                    self.alice_quiet = true;
                }
            }
            // `sent` always comes with the answer right behind it: the
            // narration says the answer only.
            PagerEvent::Action { status, .. } if status == "sent" => {}
            PagerEvent::Action {
                action,
                status,
                reason,
                ..
            } => {
                let reason = reason
                    .as_ref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default();
                let status = if status == "queued" {
                    "queued in the outbox"
                } else {
                    status.as_str()
                };
                say.say(&name, &format!("{action}: {status}{reason}"));
                if person == "bob" && status == "applied" {
                    self.bob_applied = true;
                }
                if status == "rejected" {
                    return Err(format!("bob's acknowledgement was rejected{reason}"));
                }
            }
            PagerEvent::Error { message } => say.say(&name, &format!("error: {message}")),
            _ => {}
        }
        Ok(())
    }
}

/// The alert's timeline as the relay has it, through bob's phone.
async fn print_timeline(bob: &Phone, id: &str) -> Result<(), String> {
    bob.device
        .sync()
        .await
        .map_err(|e| format!("bob could not sync: {e}"))?;
    let entry = bob.device.alert(id).map_err(|e| e.to_string())?;
    println!("\nTimeline of alert {id} (as bob's phone synced it from the relay):");
    let start = entry.view.timeline.first().map(|e| e.at);
    for line in entry
        .view
        .timeline
        .iter()
        .map(|e| crate::timeline::line(e, start))
    {
        println!("  {line}");
    }
    Ok(())
}

fn who(person: &str) -> String {
    format!("{person}'s phone")
}

/// The page as the phone got it, with the plan it follows.
fn page_text(event: &PagerEvent) -> String {
    let PagerEvent::Page {
        alert,
        priority,
        summary,
        service_name,
        runbook,
        sound,
        override_dnd,
        full_screen,
        ring_interval_ms,
        actions,
        ..
    } = event
    else {
        return String::new();
    };
    let mut plan = vec![format!("{sound} sound")];
    if *override_dnd {
        plan.push("overrides Do-Not-Disturb".into());
    }
    if *full_screen {
        plan.push("full screen over the lock screen".into());
    }
    if let Some(ms) = ring_interval_ms {
        plan.push(format!("rings every {} s until acknowledged", ms / 1000));
    }
    let mut text = format!(
        "PAGE {} {service_name}: {summary} [alert {alert}]\nplan: {}\nbuttons: {}",
        priority.to_uppercase(),
        plan.join(", "),
        actions.join(", ")
    );
    if let Some(runbook) = runbook {
        text.push_str(&format!("\nrunbook: {runbook}"));
    }
    text
}

/// A random-enough token for the demo relay's admin API (loopback only,
/// gone when the demo ends).
fn uuid_like() -> String {
    klaxon_domain::alert::IdempotencyKey::generate().to_string()
}
