//! The pager's full-screen terminal view: open alerts (the selected one with
//! its runbook, who was paged and the escalation countdown), who is on call,
//! recent events, and single-key actions. Raw mode on the alternate screen;
//! the terminal is restored on exit, on panic and on signals (the caller
//! drops the [`Screen`]).

use crate::pager_cmd::{age, describe, on_call_text, Command, KEY_SNOOZE};
use crate::phone::{on_call_now, person_name, PagerEvent};
use crate::when::local_clock;
use chrono::{DateTime, Utc};
use crossterm::event::{Event, KeyCode, KeyEventKind, KeyModifiers};
use crossterm::style::Stylize;
use crossterm::{cursor, execute, queue, style, terminal};
use klaxon_device::device::{AlertEntry, Device};
use klaxon_domain::alert::{Action, AlertStatus};
use klaxon_domain::notify::PageAction;
use klaxon_domain::Priority;
use std::collections::{HashSet, VecDeque};
use std::io::Write;
use std::sync::{Arc, Once};
use tokio::sync::mpsc;

/// Event lines kept at the bottom of the screen.
const LOG_LINES: usize = 6;
/// Alerts listed at most.
const MAX_ALERTS: usize = 8;

/// One styled line of the screen.
type Line = style::StyledContent<String>;

/// Cuts lines to the terminal's width (in characters), so none wraps and
/// pushes the screen out of place.
#[derive(Clone, Copy)]
struct Fit(usize);

impl Fit {
    /// The text, cut to the width, to style further.
    fn text(self, s: String) -> String {
        s.chars().take(self.0).collect()
    }

    /// The text, cut to the width, unstyled.
    fn plain(self, s: String) -> Line {
        style::StyledContent::new(style::ContentStyle::new(), self.text(s))
    }
}

/// The open screen. Dropping it gives the terminal back.
pub struct Screen {
    device: Arc<Device>,
    log: VecDeque<String>,
    selected: Option<String>,
    ringing: HashSet<String>,
    /// This session synced the roster: "On call now" is the relay's, not
    /// what an earlier run stored.
    roster_fresh: bool,
}

/// Puts the terminal back: cooked mode, main screen, cursor shown.
fn restore_terminal() {
    let _ = terminal::disable_raw_mode();
    let _ = execute!(
        std::io::stdout(),
        style::ResetColor,
        cursor::Show,
        terminal::LeaveAlternateScreen
    );
}

impl Screen {
    /// Switches the terminal to raw mode on the alternate screen.
    pub fn open(device: Arc<Device>) -> std::io::Result<Screen> {
        static HOOK: Once = Once::new();
        HOOK.call_once(|| {
            // A panic must not leave the person's terminal in raw mode.
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                restore_terminal();
                previous(info);
            }));
        });
        terminal::enable_raw_mode()?;
        if let Err(e) = execute!(
            std::io::stdout(),
            terminal::EnterAlternateScreen,
            cursor::Hide
        ) {
            restore_terminal();
            return Err(e);
        }
        Ok(Screen {
            device,
            log: VecDeque::new(),
            selected: None,
            ringing: HashSet::new(),
            roster_fresh: false,
        })
    }

    /// Takes in an event: the log, the ringing set, and a new page
    /// becomes the selected alert.
    pub fn event(&mut self, event: &PagerEvent) {
        match event {
            PagerEvent::Page { alert, .. } => {
                // A new page takes the selection unless a ringing one has it:
                // the key press meant for the ringing alert must not land
                // on a quieter page that arrived a moment earlier.
                let keep = self
                    .selected
                    .as_ref()
                    .is_some_and(|s| self.ringing.contains(s));
                if !keep {
                    self.selected = Some(alert.clone());
                }
            }
            PagerEvent::RingStart { alert, .. } => {
                self.ringing.insert(alert.clone());
            }
            PagerEvent::RingStop { alert, .. } => {
                self.ringing.remove(alert);
            }
            PagerEvent::OnCall { .. } => self.roster_fresh = true,
            _ => {}
        }
        if let Some(text) = describe(&self.device, event) {
            let first = text.lines().next().unwrap_or_default().to_string();
            self.log
                .push_back(format!("{} {first}", local_clock(Utc::now())));
            while self.log.len() > LOG_LINES {
                self.log.pop_front();
            }
        }
    }

    /// The alert the keys act on.
    pub fn selected(&self) -> Option<String> {
        let alerts = self.listed();
        self.selected
            .as_ref()
            .filter(|id| alerts.iter().any(|e| &e.view.id == *id))
            .cloned()
            .or_else(|| alerts.first().map(|e| e.view.id.clone()))
    }

    /// Moves the selection up (negative) or down the list.
    pub fn select(&mut self, delta: i32) {
        let alerts = self.listed();
        if alerts.is_empty() {
            return;
        }
        let current = self
            .selected()
            .and_then(|id| alerts.iter().position(|e| e.view.id == id))
            .unwrap_or(0);
        let last = alerts.len().saturating_sub(1);
        let next = if delta < 0 {
            current.saturating_sub(delta.unsigned_abs() as usize)
        } else {
            (current + delta as usize).min(last)
        };
        self.selected = alerts.get(next).map(|e| e.view.id.clone());
    }

    /// Open alerts first (triggered, then acknowledged), newest first.
    fn listed(&self) -> Vec<AlertEntry> {
        let mut alerts: Vec<AlertEntry> = self
            .device
            .alerts()
            .unwrap_or_default()
            .into_iter()
            .filter(|e| e.view.status != AlertStatus::Resolved)
            .collect();
        // Triggered before acknowledged, loud before quiet, newest first.
        alerts.sort_by_key(|e| {
            let loudness = match e.view.priority {
                Priority::Critical => 0,
                Priority::High => 1,
                Priority::Low => 2,
            };
            (
                e.view.status != AlertStatus::Triggered,
                loudness,
                std::cmp::Reverse(e.view.created_at),
            )
        });
        alerts.truncate(MAX_ALERTS);
        alerts
    }

    /// Redraws the whole screen.
    pub fn draw(&mut self, connected: bool) {
        let width = terminal::size()
            .map(|(w, _)| usize::from(w))
            .unwrap_or(80)
            .max(20);
        let lines = self.render(connected, width);
        let mut out = std::io::stdout().lock();
        let _ = queue!(
            out,
            cursor::MoveTo(0, 0),
            terminal::Clear(terminal::ClearType::All)
        );
        for (row, line) in lines.into_iter().enumerate() {
            let row = u16::try_from(row).unwrap_or(u16::MAX);
            let _ = queue!(out, cursor::MoveTo(0, row), style::PrintStyledContent(line));
        }
        let _ = out.flush();
    }

    fn render(&self, connected: bool, width: usize) -> Vec<Line> {
        let fit = Fit(width);
        let now = Utc::now();
        let mut lines = self.header(connected, fit);
        lines.push(fit.plain("─".repeat(width.min(80))));
        let alerts = self.listed();
        let selected = self.selected();
        if alerts.is_empty() {
            lines.push(fit.plain("No open alerts. Waiting for pages…".into()));
        }
        for entry in &alerts {
            let is_selected = selected.as_deref() == Some(entry.view.id.as_str());
            lines.push(self.alert_head(entry, is_selected, fit));
            if is_selected {
                self.alert_detail(entry, now, fit, &mut lines);
            }
        }
        lines.push(fit.plain("─".repeat(width.min(80))));
        for line in &self.log {
            lines.push(fit.plain(line.clone()).dim());
        }
        lines.push(fit.plain(String::new()));
        lines.push(fit.text(self.keys(selected.as_deref())).bold());
        lines
    }

    /// The key legend: the keys of the actions core offers on the selected
    /// alert (`Device::offered_actions`, the phones' buttons), in its order,
    /// then selection and quit.
    fn keys(&self, selected: Option<&str>) -> String {
        let offered = selected
            .and_then(|id| self.device.offered_actions(id).ok())
            .unwrap_or_default();
        let mut keys: Vec<String> = offered
            .iter()
            .map(|o| match o.action {
                PageAction::Acknowledge => "[a] acknowledge".to_string(),
                PageAction::Escalate => "[e] escalate".to_string(),
                PageAction::Resolve => "[r] resolve".to_string(),
                PageAction::Snooze => format!("[s] snooze {}h", KEY_SNOOZE.num_hours()),
                PageAction::Decline => "[d] decline".to_string(),
            })
            .collect();
        keys.push("[↑/↓] select".into());
        keys.push("[q] quit".into());
        keys.join("  ")
    }

    /// Who this device is, the link to the relay and the clock; who is on
    /// call; and, when there are any, the actions not yet delivered.
    fn header(&self, connected: bool, fit: Fit) -> Vec<Line> {
        let mut lines = Vec::new();
        let who = self
            .device
            .enrollment()
            .map(|e| format!("{} ({})", person_name(&self.device, &e.person), e.relay_url))
            .unwrap_or_default();
        let link = if connected {
            "connected"
        } else {
            "reconnecting…"
        };
        lines.push(
            fit.text(format!(
                "KLAXON pager · {who} · {link} · {}",
                local_clock(Utc::now())
            ))
            .bold(),
        );
        lines.push(fit.plain(format!("On call now: {}", self.on_call())));
        let pending = self.device.pending_actions().map(|p| p.len()).unwrap_or(0);
        if pending > 0 {
            lines.push(
                fit.text(format!(
                    "{pending} action(s) waiting for the relay (kept on disk, sent when it is reachable)"
                ))
                .yellow(),
            );
        }
        lines
    }

    /// An alert's one line: marker, state, service and summary, whether it
    /// rings and its last queued action; coloured by how loud it still is.
    fn alert_head(&self, entry: &AlertEntry, is_selected: bool, fit: Fit) -> Line {
        let view = &entry.view;
        let marker = if is_selected { "▶" } else { " " };
        let label = match (view.status, view.priority) {
            (AlertStatus::Triggered, Priority::Critical) => "CRITICAL",
            (AlertStatus::Triggered, Priority::High) => "HIGH",
            (AlertStatus::Triggered, Priority::Low) => "LOW",
            (AlertStatus::Acknowledged, _) => "ACKED",
            (AlertStatus::Resolved, _) => "RESOLVED",
        };
        let ringing = if self.ringing.contains(&view.id) {
            "  ♪ RINGING"
        } else {
            ""
        };
        let queued = entry
            .pending
            .last()
            .map(|a| format!("  ({} queued)", a.action.verb()))
            .unwrap_or_default();
        let head = fit.text(format!(
            "{marker} {label:<8} {} — {}{ringing}{queued}",
            view.service_name, view.summary
        ));
        match (view.status, view.priority) {
            (AlertStatus::Triggered, Priority::Critical) => head.red().bold(),
            (AlertStatus::Triggered, Priority::High) => head.yellow().bold(),
            _ => head.stylize(),
        }
    }

    /// The selected alert's details under its line: id, age, who was paged
    /// and who acknowledged, the escalation countdown and the runbook.
    fn alert_detail(
        &self,
        entry: &AlertEntry,
        now: DateTime<Utc>,
        fit: Fit,
        lines: &mut Vec<Line>,
    ) {
        let view = &entry.view;
        let mut detail = format!(
            "    alert {} · opened {} · paged: {}",
            view.id,
            age(now, view.created_at),
            if view.paged.is_empty() {
                "nobody yet".to_string()
            } else {
                view.paged
                    .iter()
                    .map(|p| person_name(&self.device, p))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        );
        if let Some(by) = &view.acknowledged_by {
            detail.push_str(&format!(
                " · acknowledged by {}",
                person_name(&self.device, by)
            ));
        }
        lines.push(fit.plain(detail));
        if let Some(next) = &entry.next_escalation {
            lines.push(fit.text(format!("    {next}")).yellow());
        }
        if let Some(runbook) = &view.runbook {
            lines.push(fit.plain(format!("    runbook: {runbook}")));
        }
    }

    /// "primary: Alice Chen (until Mon 07 Dec 09:00 CET); …" from the
    /// synced roster, recomputed each frame (a handoff shows at once). Until
    /// this session's first sync it is what an earlier run stored, and says so.
    fn on_call(&self) -> String {
        match (on_call_now(&self.device), self.roster_fresh) {
            (None, _) => "(not synced yet)".into(),
            (Some(schedules), true) => on_call_text(&schedules),
            (Some(schedules), false) => {
                format!("{} (as last synced; refreshing…)", on_call_text(&schedules))
            }
        }
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// Reads single keys on a plain thread and sends the commands they mean.
/// In raw mode Ctrl-C arrives as a key, not a signal: it quits too.
pub fn read_keys(commands: mpsc::UnboundedSender<Command>) {
    std::thread::spawn(move || loop {
        let Ok(event) = crossterm::event::read() else {
            return;
        };
        let Event::Key(key) = event else { continue };
        if key.kind != KeyEventKind::Press {
            continue;
        }
        let command = match key.code {
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => Command::Quit,
            KeyCode::Char('a') => Command::Act(None, Action::Acknowledge),
            KeyCode::Char('e') => Command::Act(None, Action::Escalate),
            KeyCode::Char('r') => Command::Act(None, Action::Resolve),
            KeyCode::Char('s') => Command::Snooze(None, KEY_SNOOZE),
            KeyCode::Char('d') => Command::Act(None, Action::Decline),
            KeyCode::Char('q') | KeyCode::Esc => Command::Quit,
            KeyCode::Up | KeyCode::Char('k') => Command::Select(-1),
            KeyCode::Down | KeyCode::Char('j') => Command::Select(1),
            _ => continue,
        };
        if commands.send(command).is_err() {
            return;
        }
    });
}
