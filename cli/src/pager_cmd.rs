//! `klaxon pager --relay URL --state-dir DIR [--enroll CODE] [--json-events]`:
//! the terminal pager. Enrolls once (the state directory keeps the device),
//! then stays connected to the relay, rings for pages as core's plan says
//! and takes actions: single keys on a terminal, command lines on stdin
//! otherwise, with `--json-events` printing one JSON event per line.

use crate::outcome::{BadInput, Report};
use crate::pager_tui::Screen;
use crate::phone::{PagerEvent, Phone};
use crate::relay_client::RelayUrl;
use crate::ring::Alarm;
use chrono::{DateTime, Utc};
use clap::Args;
use klaxon_device::device::{Capabilities, Device, PushTokenState};
use klaxon_domain::alert::{Action, AlertStatus};
use klaxon_domain::wire::PushPlatform;
use klaxon_domain::SystemClock;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// `klaxon pager` arguments.
#[derive(Debug, Args)]
pub struct PagerArgs {
    /// The relay's base URL.
    #[arg(long, value_name = "URL")]
    relay: String,
    /// Where the device keeps its keys, pages and outbox (created if missing).
    #[arg(long, value_name = "DIR")]
    state_dir: PathBuf,
    /// The one-time code from `klaxon invite`; needed only the first time.
    #[arg(long, value_name = "CODE")]
    enroll: Option<String>,
    /// Print one JSON object per event on stdout and read commands
    /// (`ack ID`, `escalate ID`, `resolve ID`, `snooze ID DURATION`,
    /// `decline ID`, `quit`) from stdin lines.
    #[arg(long)]
    json_events: bool,
}

/// What the person (or a script) asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Act on an alert; `None`: the selected (or newest ringing) alert.
    Act(Option<String>, Action),
    /// Snooze an alert for a while; `None`: the selected (or newest ringing) alert.
    Snooze(Option<String>, chrono::TimeDelta),
    /// Move the selection on the screen.
    Select(i32),
    /// Leave the pager.
    Quit,
    /// A line that is not a command.
    Unknown(String),
    /// A command with a bad argument: what is wrong.
    Invalid(String),
}

/// The commands stdin takes, for the hint and the unknown-command error.
pub const COMMANDS: &str =
    "ack ID | escalate ID | resolve ID | snooze ID DURATION | decline ID | quit";

/// How long the `s` key snoozes the selected alert.
pub const KEY_SNOOZE: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// Parses one stdin command line: `ack ID`, `acknowledge ID`, `escalate ID`,
/// `resolve ID`, `decline ID`, `snooze ID DURATION` (the ID may be left
/// out: the newest ringing alert), `quit`.
pub fn parse_command(line: &str) -> Option<Command> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let (verb, args) = words.split_first()?;
    let unknown = || Some(Command::Unknown(line.trim().to_string()));
    let action = match verb.to_ascii_lowercase().as_str() {
        "ack" | "acknowledge" | "a" => Action::Acknowledge,
        "escalate" | "e" => Action::Escalate,
        "resolve" | "r" => Action::Resolve,
        "decline" | "d" => Action::Decline,
        "snooze" | "s" => {
            let (alert, duration) = match args {
                [duration] => (None, *duration),
                [alert, duration] => (Some(alert.to_string()), *duration),
                _ => {
                    return Some(Command::Invalid(
                        "snooze needs a DURATION: snooze ID DURATION (e.g. snooze ID 30m)".into(),
                    ))
                }
            };
            return Some(match crate::action_cmd::parse_snooze(duration) {
                Ok(length) => Command::Snooze(alert, length),
                Err(bad) => Command::Invalid(
                    bad.lines
                        .join("; ")
                        .trim_start_matches("error: ")
                        .to_string(),
                ),
            });
        }
        "quit" | "exit" | "q" => return Some(Command::Quit),
        _ => return unknown(),
    };
    match args {
        [] => Some(Command::Act(None, action)),
        [alert] => Some(Command::Act(Some(alert.to_string()), action)),
        _ => unknown(),
    }
}

/// How the pager shows things.
enum Mode {
    /// `--json-events`: machine-readable lines on stdout.
    Json,
    /// stdout or stdin is not a terminal: human lines, commands on stdin.
    Lines,
    /// A terminal: the full-screen view with single-key actions.
    Screen,
}

impl Mode {
    /// `--json-events` wins; otherwise the screen when both stdin and
    /// stdout are a terminal, plain lines when either is not.
    fn choose(json_events: bool) -> Mode {
        if json_events {
            Mode::Json
        } else if std::io::stdin().is_terminal() && std::io::stdout().is_terminal() {
            Mode::Screen
        } else {
            Mode::Lines
        }
    }
}

/// Runs the pager until `q`, `quit`, or a signal.
pub fn run(args: PagerArgs) -> Result<Report, BadInput> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| BadInput::new(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(pager(args))
}

async fn pager(args: PagerArgs) -> Result<Report, BadInput> {
    let relay = RelayUrl::parse(&args.relay)?;
    let mode = Mode::choose(args.json_events);
    let device = Arc::new(
        Device::open(&args.state_dir, relay.as_str(), Arc::new(SystemClock))
            .map_err(|e| BadInput::new(format!("--state-dir {}: {e}", args.state_dir.display())))?,
    );
    let (events_tx, mut events) = mpsc::unbounded_channel();
    ensure_enrolled(&device, &args, &relay, &events_tx).await?;
    report_terminal_capabilities(&device);

    let alarm = Alarm::new(matches!(mode, Mode::Json));
    let (commands_tx, mut commands) = mpsc::unbounded_channel();
    let screen = match mode {
        Mode::Screen => {
            let screen = Screen::open(device.clone())
                .map_err(|e| BadInput::new(format!("cannot set up the terminal: {e}")))?;
            crate::pager_tui::read_keys(commands_tx);
            Some(screen)
        }
        Mode::Json | Mode::Lines => {
            read_lines(commands_tx);
            None
        }
    };
    if matches!(mode, Mode::Lines) {
        println!(
            "klaxon pager: commands on stdin: {COMMANDS} (ID may be left out: the newest ringing alert; times are {})",
            crate::when::local_zone_name()
        );
    }
    let phone = Phone::start(device.clone(), events_tx);
    let mut session = Session {
        mode,
        device,
        screen,
        alarm,
        phone,
    };
    let mut redraw = tokio::time::interval(Duration::from_secs(1));
    let stop = shutdown_signal();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            Some(event) = events.recv() => session.show(&event),
            Some(command) = commands.recv() => {
                if !session.command(command) {
                    break;
                }
            }
            _ = redraw.tick() => session.draw(),
            _ = &mut stop => break,
        }
        session.draw();
    }
    session.close();
    Ok(Report::default())
}

/// Makes sure the device is enrolled: with `--enroll CODE` the first time
/// (the new enrollment becomes the first event), from the state directory
/// afterwards. Says so when `--enroll` is ignored; a device enrolled with
/// another relay than `--relay` names is an error naming that relay (the
/// device's keys and pages belong to it: half-working against another one
/// helps nobody).
async fn ensure_enrolled(
    device: &Device,
    args: &PagerArgs,
    relay: &RelayUrl,
    events: &mpsc::UnboundedSender<PagerEvent>,
) -> Result<(), BadInput> {
    let dir = crate::action_cmd::shell_word(&args.state_dir.display().to_string());
    if let Some(e) = device.enrollment() {
        if !relay.same_as(&e.relay_url) {
            return Err(BadInput::new(format!(
                "--relay {relay}: the device in {dir} is enrolled with {}; run `klaxon pager --relay {} --state-dir {dir}`, or use a new --state-dir to enroll with {relay}",
                e.relay_url, e.relay_url
            )));
        }
    }
    match (device.enrollment(), &args.enroll) {
        (Some(e), Some(_)) => eprintln!(
            "note: {dir} is already enrolled as {}; --enroll ignored (use a new --state-dir to enroll again)",
            e.person
        ),
        (Some(_), None) => {}
        (None, Some(code)) => {
            let enrollment = device
                .enroll(code, &device_name())
                .await
                .map_err(|e| BadInput::new(format!("enrollment failed: {e}")))?;
            let _ = events.send(PagerEvent::Enrolled {
                person: enrollment.person,
                device: enrollment.device_id,
            });
        }
        (None, None) => {
            return Err(BadInput::new(format!(
                "{dir} holds no enrolled device: run `klaxon pager --relay {relay} --state-dir {dir} --enroll CODE` once, with CODE from `klaxon invite --relay {relay} --person YOU`"
            )))
        }
    }
    Ok(())
}

/// A terminal pager has no push service: pages arrive over the stream.
/// Everything else a phone asks permission for, a terminal simply has.
fn report_terminal_capabilities(device: &Device) {
    let _ = device.report_capabilities(Capabilities {
        notifications_allowed: true,
        dnd_access: true,
        full_screen_allowed: true,
        battery_optimisation_exempt: true,
        push_platform: PushPlatform::None,
        push_token: None,
        push_token_issued_at: None,
        reported_at: Utc::now(),
        // A terminal has no notification channels and no background limits.
        channels: Vec::new(),
        background_restricted: None,
        push_token_state: Some(PushTokenState::NotUsed),
    });
}

/// The running pager: its device and phone, and where events go.
struct Session {
    mode: Mode,
    device: Arc<Device>,
    /// The full-screen view, in `Mode::Screen` only.
    screen: Option<Screen>,
    alarm: Alarm,
    phone: Phone,
}

impl Session {
    /// Makes the event's noise and shows it: on the screen, as a JSON line,
    /// or as a timestamped human line.
    fn show(&mut self, event: &PagerEvent) {
        effects(&self.alarm, event);
        match (&self.mode, self.screen.as_mut()) {
            (_, Some(screen)) => screen.event(event),
            (Mode::Json, None) => print_json(event),
            (_, None) => {
                if let Some(line) = describe(&self.device, event) {
                    println!("{} {line}", crate::when::local_clock(Utc::now()));
                }
            }
        }
    }

    /// Carries out one command; `false`: the person asked to quit.
    fn command(&mut self, command: Command) -> bool {
        let error = match command {
            Command::Quit => return false,
            Command::Select(delta) => {
                if let Some(screen) = self.screen.as_mut() {
                    screen.select(delta);
                }
                None
            }
            Command::Unknown(line) => Some(format!("unknown command {line:?}: use {COMMANDS}")),
            Command::Invalid(message) => Some(message),
            Command::Act(alert, action) => self.act(alert, action),
            Command::Snooze(alert, length) => self.act(
                alert,
                Action::Snooze {
                    until: Utc::now() + length,
                },
            ),
        };
        if let Some(message) = error {
            self.show_error(message);
        }
        true
    }

    /// Acts on `alert`, else the selected alert, else the newest ringing
    /// one; the error to show, if it could not.
    fn act(&self, alert: Option<String>, action: Action) -> Option<String> {
        let target = alert
            .or_else(|| self.screen.as_ref().and_then(Screen::selected))
            .or_else(|| newest_ringing(&self.device));
        match target {
            None => Some(format!("no alert to {}", action.verb())),
            Some(alert) => {
                // Core's rule, as on the phones: only what the page offers.
                if let Some(why) = crate::phone::not_offered(&self.device, &alert, &action) {
                    return Some(why);
                }
                match self.phone.act(&alert, action.clone()) {
                    Ok(_) => None,
                    Err(klaxon_device::Error::UnknownAlert(_)) => Some(format!(
                        "cannot {} {alert:?}: not an alert this device knows; nothing was queued",
                        action.verb()
                    )),
                    Err(e) => Some(format!("cannot {} {alert}: {e}", action.verb())),
                }
            }
        }
    }

    /// A command's error: on the screen, as a JSON event, or on stderr
    /// (stdout stays the event log).
    fn show_error(&mut self, message: String) {
        let event = PagerEvent::Error { message };
        match (&self.mode, self.screen.as_mut()) {
            (_, Some(screen)) => screen.event(&event),
            (Mode::Json, None) => print_json(&event),
            (_, None) => eprintln!("{}", describe(&self.device, &event).unwrap_or_default()),
        }
    }

    /// Redraws the screen, if there is one.
    fn draw(&mut self) {
        if let Some(screen) = self.screen.as_mut() {
            screen.draw(self.phone.is_connected());
        }
    }

    /// Stops the phone, then gives the terminal back.
    fn close(self) {
        self.phone.stop();
        drop(self.screen);
    }
}

/// The noise an event makes: a bell per ring, a desktop notification per
/// page that is not low priority.
fn effects(alarm: &Alarm, event: &PagerEvent) {
    match event {
        PagerEvent::Ring { .. } => alarm.bell(),
        PagerEvent::Page {
            priority,
            summary,
            service_name,
            ..
        } if priority != "low" => {
            let critical = priority == "critical";
            let title = if critical {
                format!("Critical page: {service_name}")
            } else {
                format!("Page: {service_name}")
            };
            alarm.desktop(critical, &title, summary);
        }
        _ => {}
    }
}

fn print_json(event: &PagerEvent) {
    // Rings are noise, not news: the bell is their output.
    if matches!(event, PagerEvent::Ring { .. }) {
        return;
    }
    if let Ok(line) = serde_json::to_string(event) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}").and_then(|()| out.flush());
    }
}

/// The newest alert that is still triggered (what `ack` without an id means).
fn newest_ringing(device: &Device) -> Option<String> {
    device
        .alerts()
        .ok()?
        .into_iter()
        .find(|e| e.view.status == AlertStatus::Triggered)
        .map(|e| e.view.id)
}

/// "1st time", "2nd time", … for a re-notification's count.
fn times(count: u32) -> String {
    let suffix = match (count % 10, count % 100) {
        (1, n) if n != 11 => "st",
        (2, n) if n != 12 => "nd",
        (3, n) if n != 13 => "rd",
        _ => "th",
    };
    format!("{count}{suffix} time")
}

/// One human line for an event (`None`: not worth a line).
pub fn describe(device: &Device, event: &PagerEvent) -> Option<String> {
    Some(match event {
        PagerEvent::Enrolled { person, device: id } => {
            format!("enrolled as {person} (device {id})")
        }
        PagerEvent::Connected { relay } => format!("connected to {relay}"),
        PagerEvent::Disconnected {
            relay,
            error,
            retry_in_ms,
        } => format!(
            "lost the relay at {relay} ({error}); reconnecting (first retry in {:.1} s)",
            *retry_in_ms as f64 / 1000.0
        ),
        PagerEvent::Page {
            alert,
            priority,
            summary,
            service_name,
            runbook,
            next_escalation,
            ..
        } => {
            let mut line = format!(
                "PAGE {} {service_name}: {summary} [alert {alert}]",
                priority.to_uppercase()
            );
            if let Some(runbook) = runbook {
                line.push_str(&format!("\n  runbook: {runbook}"));
            }
            if let Some(next) = next_escalation {
                line.push_str(&format!("\n  {next}"));
            }
            line
        }
        PagerEvent::Renotified { alert, count } => format!(
            "{alert} sent again by the relay ({}): nobody has acknowledged it",
            times(*count)
        ),
        PagerEvent::RingStart {
            alert, interval_ms, ..
        } => format!(
            "ringing for {alert} every {:.0} s until acknowledged",
            *interval_ms as f64 / 1000.0
        ),
        PagerEvent::Ring { .. } => return None,
        PagerEvent::RingStop { alert, reason } => format!("stopped ringing for {alert}: {reason}"),
        PagerEvent::Action {
            alert,
            action,
            status,
            reason,
            ..
        } => match (status.as_str(), reason) {
            ("queued", _) => format!("{action} {alert}: queued in the outbox"),
            ("sent", _) => format!("{action} {alert}: sent to the relay"),
            (status, Some(reason)) => format!("{action} {alert}: {status} ({reason})"),
            (status, None) => format!("{action} {alert}: {status}"),
        },
        PagerEvent::Acknowledged { alert, by } => match by {
            Some(by) => format!(
                "{alert} acknowledged by {}",
                crate::phone::person_name(device, by)
            ),
            None => format!("{alert} acknowledged"),
        },
        PagerEvent::Resolved { alert } => format!("{alert} resolved"),
        PagerEvent::OnCall { schedules } => format!("on call now: {}", on_call_text(schedules)),
        PagerEvent::Error { message } => format!("error: {message}"),
    })
}

/// "primary: Alice Chen (until Mon 07 Dec 09:00 CET); secondary: nobody".
pub fn on_call_text(schedules: &[crate::phone::ScheduleOnCall]) -> String {
    if schedules.is_empty() {
        return "(no schedules in your teams)".into();
    }
    schedules
        .iter()
        .map(|s| {
            let names = if s.people.is_empty() {
                "nobody".to_string()
            } else {
                s.people
                    .iter()
                    .map(|p| format!("{} (until {})", p.name, crate::when::local_human(p.until)))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            format!("{}: {names}", s.schedule)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// "m:ss ago"-style age of an instant, for the screen.
pub fn age(now: DateTime<Utc>, then: DateTime<Utc>) -> String {
    let secs = (now - then).num_seconds().max(0);
    match secs {
        0..=3599 => format!("{}:{:02} ago", secs / 60, secs % 60),
        3600..=86_399 => format!("{} h {} min ago", secs / 3600, (secs % 3600) / 60),
        _ => format!("{} days ago", secs / 86_400),
    }
}

/// The device's name at the relay: the host it runs on.
fn device_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_string())
        })
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "a terminal".into());
    format!("klaxon pager on {host}")
}

/// Reads command lines from stdin on a plain thread (a blocking read must
/// not hold up the runtime's shutdown). End of input is not "quit": a pager
/// started with stdin closed keeps paging.
fn read_lines(commands: mpsc::UnboundedSender<Command>) {
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        for line in stdin.lock().lines() {
            let Ok(line) = line else { return };
            if let Some(command) = parse_command(&line) {
                if commands.send(command).is_err() {
                    return;
                }
            }
        }
    });
}

/// Resolves on SIGINT, SIGTERM or SIGHUP (the terminal closed).
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let term = signal(SignalKind::terminate());
        let hup = signal(SignalKind::hangup());
        match (term, hup) {
            (Ok(mut term), Ok(mut hup)) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                    _ = hup.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_parse() {
        assert_eq!(
            parse_command("ack a1"),
            Some(Command::Act(Some("a1".into()), Action::Acknowledge))
        );
        assert_eq!(
            parse_command("  escalate  a2 "),
            Some(Command::Act(Some("a2".into()), Action::Escalate))
        );
        assert_eq!(
            parse_command("resolve"),
            Some(Command::Act(None, Action::Resolve))
        );
        assert_eq!(parse_command("quit"), Some(Command::Quit));
        assert_eq!(parse_command(""), None);
        assert!(matches!(
            parse_command("ack a1 a2"),
            Some(Command::Unknown(_))
        ));
        assert!(matches!(
            parse_command("page me"),
            Some(Command::Unknown(_))
        ));
    }
}
