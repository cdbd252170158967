//! A device kept connected to its relay, the way a phone app runs it: core's
//! [`Device`] behind a terminal [`Shell`], the relay's event stream (with
//! reconnect backoff) and a sync loop that delivers the outbox. It reports
//! everything as [`PagerEvent`]s; `klaxon pager` and `klaxon demo` only render them.

use chrono::Utc;
use klaxon_device::client::{Credentials, RelayClient};
use klaxon_device::device::{Device, Shell, SyncReport};
use klaxon_device::outbox::QueuedAction;
use klaxon_domain::alert::{Action, AlertStatus};
use klaxon_domain::notify::{NotificationPlan, PageAction, RingLoop, Sound};
use klaxon_domain::wire::StreamEvent;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch, Notify};
use tokio::task::JoinHandle;

/// First wait before reconnecting to a relay that went away.
const RECONNECT_FIRST: Duration = Duration::from_millis(500);
/// Longest wait between reconnect attempts: a pager must notice a relay
/// that came back within seconds, not minutes.
const RECONNECT_MAX: Duration = Duration::from_secs(10);
/// The relay sends a keep-alive every 15 s; a stream from which nothing at
/// all (not even a keep-alive) arrived for this long is dead even if TCP has
/// not noticed (a laptop that slept, a NAT that forgot). Keep-alives count:
/// an idle pager stays connected indefinitely.
const STREAM_SILENCE: Duration = Duration::from_secs(45);
/// How often the sync loop looks at the outbox and, while connected, how
/// often at most it waits before syncing anyway.
const OUTBOX_CHECK: Duration = Duration::from_secs(1);
/// Sync at least this often while connected, `changed` events or not: the
/// escalation countdown and the roster stay fresh.
const PERIODIC_SYNC: Duration = Duration::from_secs(30);
/// How long a `page` event waits for the sync that brings its alert up to
/// the page (who was paged, the next step's countdown) before it is shown
/// with what the page itself says. A sync takes milliseconds; this only
/// bounds a relay that streams but does not answer.
const PAGE_DETAILS_WAIT: Duration = Duration::from_secs(2);

/// Something that happened on the phone, in the `--json-events` vocabulary
/// (docs/cli.md): one JSON object per line, `event` naming the kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum PagerEvent {
    /// The device enrolled with a one-time code.
    Enrolled {
        /// The person it belongs to.
        person: String,
        /// The relay's id for the device.
        device: String,
    },
    /// The event stream to the relay is open.
    Connected {
        /// The relay's base URL.
        relay: String,
    },
    /// The stream closed or could not open; the phone reconnects.
    Disconnected {
        /// The relay's base URL.
        relay: String,
        /// Why.
        error: String,
        /// When the next attempt happens.
        retry_in_ms: u64,
    },
    /// A new page to show (and ring, if its plan says so).
    Page {
        /// Alert id.
        alert: String,
        /// `critical`, `high` or `low`.
        priority: String,
        /// What is wrong.
        summary: String,
        /// Service id.
        service: String,
        /// Service display name.
        service_name: String,
        /// Runbook link.
        runbook: Option<String>,
        /// `alarm`, `default` or `silent`.
        sound: String,
        /// The plan breaks through Do-Not-Disturb.
        override_dnd: bool,
        /// Full screen over the lock screen.
        full_screen: bool,
        /// The ring loop's interval, when the page rings in a loop.
        ring_interval_ms: Option<u64>,
        /// Buttons offered.
        actions: Vec<String>,
        /// The next step: "escalates to Bob Okafor in 4:32", or "escalating
        /// to Bob Okafor now" once due; `None` at the last step (or when no
        /// sync could tell).
        next_escalation: Option<String>,
        /// People paged so far, in order, repeats included, this page's
        /// step among them.
        paged: Vec<String>,
    },
    /// The relay sent a critical page again because nobody acknowledged it
    /// (the policy's `renotify`): `count` is its number (1, 2, …). A page
    /// still ringing here keeps ringing; one whose ring stopped rings again
    /// (a `page` and `ring_start` follow).
    Renotified {
        /// Alert id.
        alert: String,
        /// Which re-notification of the step's page this is.
        count: u32,
    },
    /// The alert's ring loop started.
    RingStart {
        /// Alert id.
        alert: String,
        /// Time between rings.
        interval_ms: u64,
        /// When it stops by itself (`None`: until acknowledged).
        max_duration_ms: Option<u64>,
    },
    /// One ring of the loop (a bell); not printed by `--json-events`.
    Ring {
        /// Alert id.
        alert: String,
        /// High pages ring once; critical pages repeat.
        repeat: bool,
    },
    /// The alert's ring loop stopped.
    RingStop {
        /// Alert id.
        alert: String,
        /// Why, in words.
        reason: String,
    },
    /// An action's progress: `queued` in the outbox, `sent` when the outbox
    /// delivered it, then the relay's answer, `applied` or `rejected`.
    Action {
        /// Alert id.
        alert: String,
        /// `acknowledge`, `escalate`, `resolve`, ...
        action: String,
        /// `queued`, `sent`, `applied` or `rejected`.
        status: String,
        /// The action's idempotency key.
        key: String,
        /// Why it was rejected, or why it is still waiting.
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Someone acknowledged the alert (seen in a sync).
    Acknowledged {
        /// Alert id.
        alert: String,
        /// Who.
        by: Option<String>,
    },
    /// The alert was resolved (here or elsewhere).
    Resolved {
        /// Alert id.
        alert: String,
    },
    /// Who is on call now in each schedule of the person's teams, from the
    /// roster the relay just synced: after this session's first sync (never
    /// from what an earlier run stored, which may be stale) and whenever it
    /// changes (a handoff, an override, a new roster at the relay).
    OnCall {
        /// Every schedule of the person's teams, in roster order.
        schedules: Vec<ScheduleOnCall>,
    },
    /// Something went wrong that the person should know about.
    Error {
        /// What, in words.
        message: String,
    },
}

/// One schedule's line of [`PagerEvent::OnCall`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScheduleOnCall {
    /// Schedule id.
    pub schedule: String,
    /// Who is on call now (empty: nobody, a gap).
    pub people: Vec<OnCallPerson>,
}

/// Someone on call now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OnCallPerson {
    /// Person id.
    pub person: String,
    /// Display name.
    pub name: String,
    /// When their shift ends (RFC 3339, UTC).
    pub until: chrono::DateTime<Utc>,
}

/// Who is on call now in every schedule of the synced roster (`None`: no
/// roster synced yet).
pub fn on_call_now(device: &Device) -> Option<Vec<ScheduleOnCall>> {
    let schedules = device.schedules().ok()?;
    Some(
        schedules
            .into_iter()
            .map(|s| ScheduleOnCall {
                schedule: s.id,
                people: s
                    .on_call
                    .into_iter()
                    .map(|o| OnCallPerson {
                        person: o.person.id,
                        name: o.person.name,
                        until: o.until,
                    })
                    .collect(),
            })
            .collect(),
    )
}

/// The button an [`Action`] stands for.
pub fn page_action(action: &Action) -> PageAction {
    match action {
        Action::Acknowledge => PageAction::Acknowledge,
        Action::Escalate => PageAction::Escalate,
        Action::Decline => PageAction::Decline,
        Action::Resolve => PageAction::Resolve,
        Action::Snooze { .. } => PageAction::Snooze,
    }
}

/// A page action's verb, as `--json-events` spells it (`acknowledge`).
pub fn page_action_verb(action: PageAction) -> String {
    serde_json::to_value(action)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Why `action` on `alert` may not be taken now, in words; `None` when core
/// offers it to this person (`Device::offered_actions`: the same rule that
/// decides the phones' buttons — no decline of someone else's step, nothing
/// on a resolved alert, no second acknowledgement).
pub fn not_offered(device: &Device, alert: &str, action: &Action) -> Option<String> {
    let verb = action.verb();
    match device.offered_actions(alert) {
        Ok(offered) if offered.iter().any(|o| o.action == page_action(action)) => None,
        Ok(offered) if offered.is_empty() => Some(format!(
            "cannot {verb} {alert}: nothing is offered for it now (it is resolved)"
        )),
        Ok(offered) => Some(format!(
            "cannot {verb} {alert}: not offered for this alert now (offered: {}); nothing was queued",
            offered
                .iter()
                .map(|o| page_action_verb(o.action))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Err(klaxon_device::Error::UnknownAlert(_)) => Some(format!(
            "cannot {verb} {alert:?}: not an alert this device knows; nothing was queued"
        )),
        Err(e) => Some(format!("cannot {verb} {alert}: {e}")),
    }
}

/// An action event for a queued action, at its current status.
pub fn action_event(action: &QueuedAction) -> PagerEvent {
    use klaxon_device::outbox::ActionOutcome;
    let reason = match &action.outcome {
        Some(ActionOutcome::Rejected { reason }) => Some(reason.clone()),
        Some(ActionOutcome::Expired { last_error }) => {
            Some(format!("not delivered within 24 h: {last_error}"))
        }
        Some(ActionOutcome::AlreadyDone) => Some("it was already in that state".into()),
        Some(ActionOutcome::Applied) => None,
        None => action.last_error.clone(),
    };
    action_progress(action, action.status(), reason)
}

/// An action event for `action` at `status`, with `reason`.
fn action_progress(action: &QueuedAction, status: &str, reason: Option<String>) -> PagerEvent {
    PagerEvent::Action {
        alert: action.alert.clone(),
        action: action.action.verb().to_string(),
        status: status.to_string(),
        key: action.key.to_string(),
        reason,
    }
}

/// What the shell heard from core, before the pump adds what core's call
/// did not carry (service, countdown, why a ring stopped).
enum ShellCall {
    Present(NotificationPlan),
    RingStart(String, RingLoop),
    RingStop(String),
    Event(PagerEvent),
}

/// Core's [`Shell`] for a terminal: presenting and ringing become events;
/// each ring loop is a task that emits a [`PagerEvent::Ring`] per interval.
struct TerminalShell {
    calls: mpsc::UnboundedSender<ShellCall>,
    rings: Mutex<HashMap<String, JoinHandle<()>>>,
    runtime: tokio::runtime::Handle,
}

impl TerminalShell {
    fn rings(&self) -> std::sync::MutexGuard<'_, HashMap<String, JoinHandle<()>>> {
        self.rings.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn ringing(&self) -> Vec<String> {
        self.rings().keys().cloned().collect()
    }

    /// Stops a ring loop this shell runs; true if one was running.
    fn stop(&self, alert: &str) -> bool {
        match self.rings().remove(alert) {
            Some(task) => {
                task.abort();
                true
            }
            None => false,
        }
    }
}

impl Shell for TerminalShell {
    fn present(&self, plan: &NotificationPlan) -> Result<(), String> {
        let _ = self.calls.send(ShellCall::Present(plan.clone()));
        // A high page rings once; a critical one gets its loop from
        // start_ringing; a low one stays silent.
        if plan.ring.is_none() && plan.sound != Sound::Silent {
            let _ = self.calls.send(ShellCall::Event(PagerEvent::Ring {
                alert: plan.alert.clone(),
                repeat: false,
            }));
        }
        Ok(())
    }

    fn update(&self, _plan: &NotificationPlan) -> Result<(), String> {
        Ok(())
    }

    fn cancel(&self, _alert: &str) -> Result<(), String> {
        Ok(())
    }

    fn start_ringing(&self, alert: &str, ring: &RingLoop) -> Result<(), String> {
        let calls = self.calls.clone();
        let id = alert.to_string();
        let ring = ring.clone();
        let _ = calls.send(ShellCall::RingStart(id.clone(), ring.clone()));
        let task = self.runtime.spawn(async move {
            let started = tokio::time::Instant::now();
            let mut tick = tokio::time::interval(ring.interval.max(Duration::from_millis(100)));
            loop {
                tick.tick().await;
                if ring
                    .max_duration
                    .is_some_and(|max| started.elapsed() >= max)
                {
                    let _ = calls.send(ShellCall::Event(PagerEvent::RingStop {
                        alert: id.clone(),
                        reason: "the ring limit in your settings ran out".into(),
                    }));
                    return;
                }
                let _ = calls.send(ShellCall::Event(PagerEvent::Ring {
                    alert: id.clone(),
                    repeat: true,
                }));
            }
        });
        if let Some(old) = self.rings().insert(alert.to_string(), task) {
            old.abort();
        }
        Ok(())
    }

    fn stop_ringing(&self, alert: &str) -> Result<(), String> {
        // Core says "stop" for every state change, ringing or not; only a
        // loop that really stops is news.
        if self.stop(alert) {
            let _ = self.calls.send(ShellCall::RingStop(alert.to_string()));
        }
        Ok(())
    }
}

/// A running phone: its tasks, and the handles to act through it.
pub struct Phone {
    /// The device (store, outbox, relay client).
    pub device: Arc<Device>,
    sync_now: Arc<Notify>,
    events: mpsc::UnboundedSender<PagerEvent>,
    connected: Arc<AtomicBool>,
    shell: Arc<TerminalShell>,
    tasks: Vec<JoinHandle<()>>,
}

impl Phone {
    /// Attaches a terminal shell to `device` and starts listening and
    /// syncing; every event goes to `events`. Needs a tokio runtime.
    pub fn start(device: Arc<Device>, events: mpsc::UnboundedSender<PagerEvent>) -> Phone {
        let (calls_tx, calls_rx) = mpsc::unbounded_channel();
        let shell = Arc::new(TerminalShell {
            calls: calls_tx,
            rings: Mutex::new(HashMap::new()),
            runtime: tokio::runtime::Handle::current(),
        });
        device.set_shell(Some(shell.clone()));
        let sync_now = Arc::new(Notify::new());
        let connected = Arc::new(AtomicBool::new(false));
        // Each finished sync: whether it reached the relay.
        let (synced_tx, synced_rx) = watch::channel(false);
        let tasks = vec![
            tokio::spawn(pump(
                device.clone(),
                calls_rx,
                sync_now.clone(),
                synced_rx,
                events.clone(),
            )),
            tokio::spawn(listen(
                device.clone(),
                sync_now.clone(),
                connected.clone(),
                events.clone(),
            )),
            tokio::spawn(sync_loop(
                device.clone(),
                shell.clone(),
                sync_now.clone(),
                synced_tx,
                connected.clone(),
                events.clone(),
            )),
        ];
        Phone {
            device,
            sync_now,
            events,
            connected,
            shell,
            tasks,
        }
    }

    /// Whether the event stream is open now.
    pub fn is_connected(&self) -> bool {
        self.connected.load(Ordering::SeqCst)
    }

    /// Commits `action` on `alert` to the outbox (durably; the ring stops at
    /// once), reports it as queued and asks the sync loop to deliver it.
    pub fn act(&self, alert: &str, action: Action) -> Result<QueuedAction, klaxon_device::Error> {
        let queued = self.device.act(alert, action)?;
        let _ = self.events.send(action_event(&queued));
        self.sync_now.notify_one();
        Ok(queued)
    }

    /// Stops listening and syncing; ring loops stop with the shell.
    pub fn stop(self) {
        for task in &self.tasks {
            task.abort();
        }
        // A dropped JoinHandle detaches its task: end the ring loops here.
        for alert in self.shell.ringing() {
            self.shell.stop(&alert);
        }
        self.device.set_shell(None);
    }
}

/// Turns shell calls into events, adding what the call did not carry. One
/// call at a time, in order: while a page waits for its details, the
/// `ring_start` behind it waits too.
async fn pump(
    device: Arc<Device>,
    mut calls: mpsc::UnboundedReceiver<ShellCall>,
    sync_now: Arc<Notify>,
    mut synced: watch::Receiver<bool>,
    events: mpsc::UnboundedSender<PagerEvent>,
) {
    while let Some(call) = calls.recv().await {
        let event = match call {
            ShellCall::Present(plan) => {
                await_synced_alert(&device, &plan.alert, &sync_now, &mut synced).await;
                page_event(&device, &plan)
            }
            ShellCall::RingStart(alert, ring) => PagerEvent::RingStart {
                alert,
                interval_ms: millis(ring.interval),
                max_duration_ms: ring.max_duration.map(millis),
            },
            ShellCall::RingStop(alert) => {
                let reason = stop_reason(&device, &alert);
                PagerEvent::RingStop { alert, reason }
            }
            ShellCall::Event(event) => event,
        };
        if events.send(event).is_err() {
            return;
        }
    }
}

/// Waits until the device's view of `alert` is the relay's again. A page
/// straight off the stream is newer than the last sync: core's view then
/// names this person as paged but not who else the step paged, and holds
/// the countdown of the step that just fired. So the `page` event asks for
/// a sync and waits for one that brings the alert up to the page — at most
/// [`PAGE_DETAILS_WAIT`], and not past a sync that failed.
async fn await_synced_alert(
    device: &Device,
    alert: &str,
    sync_now: &Notify,
    synced: &mut watch::Receiver<bool>,
) {
    let deadline = tokio::time::Instant::now() + PAGE_DETAILS_WAIT;
    loop {
        // Seen before looking: a sync finishing after the look wakes us.
        synced.borrow_and_update();
        if device.alert(alert).map_or(true, |entry| entry.synced) {
            return;
        }
        sync_now.notify_one();
        match tokio::time::timeout_at(deadline, synced.changed()).await {
            Ok(Ok(())) if *synced.borrow() => {}
            // Timed out, the relay could not be reached, or the phone stopped.
            _ => return,
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn page_event(device: &Device, plan: &NotificationPlan) -> PagerEvent {
    let entry = device.alert(&plan.alert).ok();
    let view = entry.as_ref().map(|e| &e.view);
    PagerEvent::Page {
        alert: plan.alert.clone(),
        priority: plan.priority.as_str().to_string(),
        summary: plan.summary.clone(),
        service: view.map(|v| v.service.clone()).unwrap_or_default(),
        service_name: view.map(|v| v.service_name.clone()).unwrap_or_default(),
        runbook: plan.runbook.clone(),
        sound: match plan.sound {
            Sound::Alarm => "alarm",
            Sound::Default => "default",
            Sound::Silent => "silent",
        }
        .to_string(),
        override_dnd: plan.override_dnd,
        full_screen: plan.full_screen,
        ring_interval_ms: plan.ring.as_ref().map(|r| millis(r.interval)),
        actions: plan
            .actions
            .iter()
            .map(|offered| {
                // `{"action":"acknowledge","needs_unlock":false}` -> "acknowledge".
                let value = serde_json::to_value(offered).unwrap_or_default();
                let verb = value.get("action").unwrap_or(&value);
                verb.as_str().unwrap_or_default().to_string()
            })
            .collect(),
        next_escalation: entry.as_ref().and_then(|e| e.next_escalation.clone()),
        paged: view.map(|v| v.paged.clone()).unwrap_or_default(),
    }
}

/// Why a ring stopped, from what the device knows now.
fn stop_reason(device: &Device, alert: &str) -> String {
    let Ok(entry) = device.alert(alert) else {
        return "stopped".into();
    };
    if let Some(mine) = entry.pending.last() {
        return format!("you chose {} (queued)", mine.action.verb());
    }
    match entry.view.status {
        AlertStatus::Acknowledged => match &entry.view.acknowledged_by {
            Some(by) => format!("acknowledged by {}", person_name(device, by)),
            None => "acknowledged".into(),
        },
        AlertStatus::Resolved => "resolved".into(),
        AlertStatus::Triggered => "you acted on it".into(),
    }
}

/// A person's display name from the synced roster, else the id.
pub fn person_name(device: &Device, id: &str) -> String {
    device
        .roster_view()
        .and_then(|r| r.people.iter().find(|p| p.id == id).map(|p| p.name.clone()))
        .unwrap_or_else(|| id.to_string())
}

/// Keeps the relay's event stream open: pages go to core (which stores,
/// dedupes, plans and rings them); `changed` asks for a sync. Reconnects
/// with backoff whenever the stream ends.
async fn listen(
    device: Arc<Device>,
    sync_now: Arc<Notify>,
    connected: Arc<AtomicBool>,
    events: mpsc::UnboundedSender<PagerEvent>,
) {
    let Some(enrollment) = device.enrollment() else {
        let _ = events.send(PagerEvent::Error {
            message: "this device is not enrolled".into(),
        });
        return;
    };
    let relay_url = enrollment.relay_url.clone();
    let creds = match Credentials::new(enrollment) {
        Ok(c) => c,
        Err(e) => {
            let _ = events.send(PagerEvent::Error {
                message: format!("the stored enrollment is unusable: {e}"),
            });
            return;
        }
    };
    let client = match RelayClient::new(&relay_url) {
        Ok(c) => c,
        Err(e) => {
            let _ = events.send(PagerEvent::Error {
                message: e.to_string(),
            });
            return;
        }
    };
    let mut wait = RECONNECT_FIRST;
    let mut reported_down = false;
    loop {
        let error = match client.stream(&creds).await {
            Ok(mut stream) => {
                connected.store(true, Ordering::SeqCst);
                reported_down = false;
                wait = RECONNECT_FIRST;
                let _ = events.send(PagerEvent::Connected {
                    relay: relay_url.clone(),
                });
                // Pages sent while this phone was away come in with the sync.
                sync_now.notify_one();
                let error = loop {
                    match stream.next_or_silent(STREAM_SILENCE).await {
                        Err(e) => break e.to_string(),
                        Ok(None) => break "the relay closed the stream".to_string(),
                        Ok(Some(StreamEvent::Page { page })) => {
                            if page.renotify > 0 {
                                let _ = events.send(PagerEvent::Renotified {
                                    alert: page.alert.clone(),
                                    count: page.renotify,
                                });
                            }
                            if let Err(e) = device.handle_page(&page) {
                                let _ = events.send(PagerEvent::Error {
                                    message: format!("a page could not be handled: {e}"),
                                });
                            }
                            // Who else was paged, the countdown and the
                            // timeline come with a sync.
                            sync_now.notify_one();
                        }
                        Ok(Some(StreamEvent::Changed { .. })) => sync_now.notify_one(),
                        // A roster version other than the stored one: the
                        // sync fetches the roster (and `on_call` follows).
                        Ok(Some(StreamEvent::Hello { roster_version })) => {
                            if device
                                .roster_version_announced(&roster_version)
                                .unwrap_or(true)
                            {
                                sync_now.notify_one();
                            }
                        }
                    }
                };
                connected.store(false, Ordering::SeqCst);
                error
            }
            Err(e) => e.to_string(),
        };
        // One line per outage, not one per retry.
        if !reported_down {
            let _ = events.send(PagerEvent::Disconnected {
                relay: relay_url.clone(),
                error,
                retry_in_ms: millis(wait),
            });
            reported_down = true;
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(RECONNECT_MAX);
    }
}

/// Delivers the outbox and pulls changes: when asked (a page, `changed`,
/// an action, a reconnect), when a retry falls due, and periodically while
/// connected. Also stops a ring as soon as an action for that alert is in
/// the outbox, even one queued by another process (`klaxon ack`).
async fn sync_loop(
    device: Arc<Device>,
    shell: Arc<TerminalShell>,
    sync_now: Arc<Notify>,
    synced: watch::Sender<bool>,
    connected: Arc<AtomicBool>,
    events: mpsc::UnboundedSender<PagerEvent>,
) {
    let mut known: HashMap<String, (AlertStatus, Option<String>)> = device
        .alerts()
        .unwrap_or_default()
        .into_iter()
        .map(|e| (e.view.id, (e.view.status, e.view.acknowledged_by)))
        .collect();
    let mut last_sync = tokio::time::Instant::now();
    let mut last_error: Option<String> = None;
    // The first sync of a fresh device brings the team's whole history;
    // that is not news, so it only primes `known`.
    let mut primed = !known.is_empty();
    // The on-call summary last reported; `None` until this session's first
    // sync, so the stored roster of an earlier run is never reported.
    let mut on_call: Option<Vec<ScheduleOnCall>> = None;
    loop {
        let asked = tokio::select! {
            _ = sync_now.notified() => true,
            _ = tokio::time::sleep(OUTBOX_CHECK) => false,
        };
        let pending = device.pending_actions().unwrap_or_default();
        silence_settled(&device, &shell, &pending, &events);
        let online = connected.load(Ordering::SeqCst);
        let now = Utc::now();
        let due = pending.iter().any(|a| a.next_attempt_at <= now);
        let periodic = last_sync.elapsed() >= PERIODIC_SYNC;
        if !(asked || (online && (due || periodic))) {
            continue;
        }
        last_sync = tokio::time::Instant::now();
        let result = device.sync().await;
        synced.send_replace(result.is_ok());
        match result {
            Ok(report) => {
                last_error = None;
                report_sync(&device, &report, &mut known, primed, &events);
                primed = true;
                let now_on_call = on_call_now(&device);
                if now_on_call.is_some() && now_on_call != on_call {
                    on_call = now_on_call;
                    let _ = events.send(PagerEvent::OnCall {
                        schedules: on_call.clone().unwrap_or_default(),
                    });
                }
                let pending = device.pending_actions().unwrap_or_default();
                silence_settled(&device, &shell, &pending, &events);
            }
            Err(e) => {
                // While the stream is down the disconnect already said it.
                let message = e.to_string();
                if online && last_error.as_deref() != Some(message.as_str()) {
                    let _ = events.send(PagerEvent::Error {
                        message: format!("sync failed: {message}"),
                    });
                }
                last_error = Some(message);
            }
        }
    }
}

/// Stops every ring whose alert is no longer ringing material: an action on
/// it waits in the outbox, or the stored alert is no longer triggered. Core
/// stops rings for what its own sync pulls; but another process on the same
/// state directory (`klaxon ack`) may queue the action or pull the change
/// (the sync cursor is shared), so the shell looks at the store itself.
fn silence_settled(
    device: &Device,
    shell: &TerminalShell,
    pending: &[QueuedAction],
    events: &mpsc::UnboundedSender<PagerEvent>,
) {
    for alert in shell.ringing() {
        let acted = pending.iter().any(|a| a.alert == alert);
        let settled = device
            .alert(&alert)
            .is_ok_and(|e| e.view.status != AlertStatus::Triggered);
        if (acted || settled) && shell.stop(&alert) {
            let reason = stop_reason(device, &alert);
            let _ = events.send(PagerEvent::RingStop { alert, reason });
        }
    }
}

/// Events for what a sync settled: final action outcomes, and alerts that
/// were acknowledged or resolved since the last look.
fn report_sync(
    device: &Device,
    report: &SyncReport,
    known: &mut HashMap<String, (AlertStatus, Option<String>)>,
    primed: bool,
    events: &mpsc::UnboundedSender<PagerEvent>,
) {
    for action in report.delivered.iter().filter(|a| a.outcome.is_some()) {
        // queued -> sent -> applied|rejected, as docs/cli.md lists them: the
        // relay answers the delivery itself, so `sent` and the answer come
        // from the same sync, in that order.
        let _ = events.send(action_progress(action, "sent", None));
        let _ = events.send(action_event(action));
    }
    for entry in device.alerts().unwrap_or_default() {
        let view = entry.view;
        let now = (view.status, view.acknowledged_by.clone());
        if known.get(&view.id) == Some(&now) {
            continue;
        }
        let before = known.insert(view.id.clone(), now);
        if !primed {
            continue;
        }
        let was = before.map(|(s, _)| s);
        match view.status {
            AlertStatus::Acknowledged => {
                let _ = events.send(PagerEvent::Acknowledged {
                    alert: view.id,
                    by: view.acknowledged_by,
                });
            }
            AlertStatus::Resolved if was != Some(AlertStatus::Resolved) => {
                let _ = events.send(PagerEvent::Resolved { alert: view.id });
            }
            _ => {}
        }
    }
}
