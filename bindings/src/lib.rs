//! klaxon-ffi: the UniFFI surface over klaxon-device and klaxon-domain for the Kotlin and Swift
//! shells. Wrapper types only: every rule lives in `klaxon_device::device`;
//! this crate converts types and maps errors (in `error.rs`, in one place).
//! Generated bindings: `scripts/gen-bindings.sh`; guide: docs/bindings.md.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod error;
mod sink;
mod types;

pub use error::ApiError;
pub use sink::NotificationSink;
pub use types::*;

use klaxon_device::device::Device;
use klaxon_domain::alert::Action;
use klaxon_domain::clock::SystemClock;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use types::all;

uniffi::setup_scaffolding!();

type Result<T, E = ApiError> = std::result::Result<T, E>;

/// One device's pager: opened on the app's private state directory and the
/// relay's URL. Thread-safe: call it from any thread. Close it (Kotlin
/// `close()`/`use {}`, Swift: drop the last reference) when done.
#[derive(uniffi::Object)]
pub struct Pager {
    device: Arc<Device>,
}

#[uniffi::export(async_runtime = "tokio")]
impl Pager {
    /// Opens (creating) the pager's state in `state_dir` (a directory only
    /// this app can read: it holds the device key) for the relay at
    /// `relay_url` (`https://relay.example.com`).
    #[uniffi::constructor]
    pub fn new(state_dir: String, relay_url: String) -> Result<Arc<Pager>> {
        let device = Device::open(Path::new(&state_dir), &relay_url, Arc::new(SystemClock))?;
        Ok(Arc::new(Pager {
            device: Arc::new(device),
        }))
    }

    /// Attaches the app's notification sink; core calls it to show and
    /// ring pages. Replaces any earlier sink.
    pub fn set_notification_sink(&self, sink: Arc<dyn NotificationSink>) {
        self.device
            .set_shell(Some(Arc::new(sink::SinkAdapter(sink))));
    }

    /// Detaches the notification sink (core then shows and rings nothing).
    pub fn clear_notification_sink(&self) {
        self.device.set_shell(None);
    }

    /// Enrolls this device with the one-time code from `klaxon invite`:
    /// creates its keys, registers their public halves with the relay, and
    /// stores the identity. `device_name` is shown to admins ("Alice's Pixel").
    pub async fn enroll(&self, code: String, device_name: String) -> Result<Enrollment> {
        let enrollment = self.device.enroll(&code, &device_name).await?;
        Ok(Enrollment::new(enrollment, self.device.public_keys()))
    }

    /// Who this device is to the relay; null before enrolling.
    pub fn enrollment(&self) -> Option<Enrollment> {
        self.device
            .enrollment()
            .map(|e| Enrollment::new(e, self.device.public_keys()))
    }

    /// Handles a push: opens the sealed page with the device key — pass the
    /// push as received (the FCM data map or APNs `userInfo` as JSON, or just
    /// its `sealed` value, or the raw sealed bytes) — drops repeats,
    /// stores the page and returns the plan to follow. Null: a repeat —
    /// show and ring nothing. The notification sink is told to present it
    /// and, when the plan rings, to start ringing.
    ///
    /// A sync-needed push (a page too large to push) raises `InvalidInput`
    /// here; `receive_push` answers every kind of push as a result and is
    /// the one to use.
    pub fn handle_push(&self, payload: Vec<u8>) -> Result<Option<NotificationPlan>> {
        Ok(self.device.handle_push(&payload)?)
    }

    /// Handles a push (any form `handle_push` takes) and says what it was:
    /// `Show(plan)` — a new page, already presented (and rung) through the
    /// sink; `Duplicate` — a repeat, do nothing; `SyncNeeded(alert)` — the
    /// page was too large to push: call `sync()`, which fetches, presents
    /// and rings it. Raises `InvalidInput` for a push that is not Klaxon's
    /// or not sealed to this device, `NotEnrolled` before enrolling.
    pub fn receive_push(&self, payload: Vec<u8>) -> Result<PushResult> {
        Ok(self.device.receive_push(&payload)?.into())
    }

    /// Listens on the relay's event stream while the app is in the
    /// foreground (or has no push service): pages are handled like pushes
    /// (stored, deduplicated, presented and rung through the sink). Returns
    /// after `max_pages` pages, after `max_duration`, or when the relay
    /// closes the stream.
    pub async fn listen(&self, max_duration: Duration, max_pages: u32) -> Result<ListenReport> {
        Ok(self.device.listen(max_duration, max_pages).await?.into())
    }

    /// Acknowledges `alert`: committed to the outbox before returning (sent
    /// by the next `sync`); stops the ring at once.
    pub fn acknowledge(&self, alert: String) -> Result<QueuedActionInfo> {
        Ok(self.device.act(&alert, Action::Acknowledge)?.into())
    }

    /// Asks for the next escalation step now; queued like `acknowledge`.
    pub fn escalate(&self, alert: String) -> Result<QueuedActionInfo> {
        Ok(self.device.act(&alert, Action::Escalate)?.into())
    }

    /// "I can't take this": escalates without acknowledging; queued.
    pub fn decline(&self, alert: String) -> Result<QueuedActionInfo> {
        Ok(self.device.act(&alert, Action::Decline)?.into())
    }

    /// Resolves `alert` for good; queued.
    pub fn resolve(&self, alert: String) -> Result<QueuedActionInfo> {
        Ok(self.device.act(&alert, Action::Resolve)?.into())
    }

    /// Acknowledges `alert` until `until`, when it pages again; queued.
    pub fn snooze(&self, alert: String, until: SystemTime) -> Result<QueuedActionInfo> {
        let until = chrono::DateTime::<chrono::Utc>::from(until);
        Ok(self.device.act(&alert, Action::Snooze { until })?.into())
    }

    /// Delivers queued actions and pulls what changed (alerts, roster),
    /// registering a new push token first. Call from a coroutine / task:
    /// on app start, on a sync push, after an action, when the network returns.
    pub async fn sync(&self) -> Result<SyncReport> {
        Ok(self.device.sync().await?.into())
    }

    /// Every alert this device knows, newest first.
    pub fn alerts(&self) -> Result<Vec<Alert>> {
        Ok(all(self.device.alerts()?))
    }

    /// One alert with its timeline and runbook.
    pub fn alert(&self, id: String) -> Result<Alert> {
        Ok(self.device.alert(&id)?.into())
    }

    /// The buttons the page screen offers for `alert` to this device's
    /// person, in display order, each with whether it needs unlocking — the
    /// same rule as `NotificationPlan.actions`, applied to the alert as
    /// stored now (an action of this device not yet delivered counts as
    /// done). `NotFound` for an alert this device does not know.
    pub fn offered_actions(&self, alert: String) -> Result<Vec<OfferedAction>> {
        Ok(self.device.offered_actions(&alert)?)
    }

    /// Who is on call in `schedule` now (from the last synced roster).
    pub fn who_is_on_call(&self, schedule: String) -> Result<Vec<OnCallPerson>> {
        Ok(all(self.device.who_is_on_call(&schedule)?))
    }

    /// Every schedule this device's person can see (their teams'), in
    /// roster order: id, name, time zone, who is on call now and the next
    /// handoff with who takes over — from the last synced roster.
    /// `InvalidInput` before the first sync.
    pub fn schedules(&self) -> Result<Vec<ScheduleInfo>> {
        Ok(all(self.device.schedules()?))
    }

    /// The shifts of `schedule` in `[from, to)`, clipped to the window,
    /// each with the person's id and display name.
    pub fn roster(&self, schedule: String, from: SystemTime, to: SystemTime) -> Result<Vec<Shift>> {
        Ok(all(self.device.named_shifts(
            &schedule,
            from.into(),
            to.into(),
        )?))
    }

    /// "I'll cover": puts this device's person on call in `schedule` for
    /// `[from, to)` (whoever is on call then is off), as a live override on
    /// the relay, which pages them from the next alert on. Then syncs, so
    /// `whoIsOnCall`, `schedules` and `roster` show the change. Needs the
    /// network (nothing is queued): `Network` when the relay cannot be
    /// reached; `Relay` when it refuses (a schedule outside the person's
    /// teams, a time in the past, longer than 90 days), naming the field.
    /// The "Cover" action on the roster screens.
    pub async fn take_shift(
        &self,
        schedule: String,
        from: SystemTime,
        to: SystemTime,
    ) -> Result<TakenShift> {
        Ok(self
            .device
            .take_shift(&schedule, None, from.into(), to.into())
            .await?
            .into())
    }

    /// This device's person's shifts in `[from, to)`, across schedules.
    pub fn my_shifts(&self, from: SystemTime, to: SystemTime) -> Result<Vec<MyShift>> {
        Ok(all(self.device.my_shifts(from.into(), to.into())?))
    }

    /// The user's notification settings.
    pub fn settings(&self) -> Result<NotificationSettings> {
        Ok(self.device.settings()?)
    }

    /// Saves the user's notification settings; later plans follow them.
    pub fn set_settings(&self, settings: NotificationSettings) -> Result<()> {
        Ok(self.device.set_settings(&settings)?)
    }

    /// Reports what the platform allows (permissions, the page channels as
    /// the system holds them, background restriction, push token and its
    /// state); call at start and whenever one changes. `health()` turns it
    /// into findings. A new token reaches the relay at the next `sync`.
    pub fn report_capabilities(&self, capabilities: Capabilities) -> Result<()> {
        Ok(self.device.report_capabilities(capabilities.into())?)
    }

    /// The plans of the alerts ringing now, longest-ringing first: call it
    /// when the OS restarted the app (Android: the sticky ring service, or
    /// boot) and start each plan's ring again. The set is durable: a ring
    /// lasts until its alert is acknowledged, resolved, moved on by a status
    /// push or settled by a sync — not until the process dies. Rings the
    /// store shows settled are stopped through the sink first and left out.
    pub fn ringing_alerts(&self) -> Result<Vec<NotificationPlan>> {
        Ok(self.device.ringing_alerts()?)
    }

    /// The shell's ring for `alert` ended without an answer: the person
    /// silenced it, the ring service or the audio was stopped by the OS, the
    /// app left the foreground. The alert leaves the ringing set (it is not
    /// resumed), and the relay's next re-notification of the unanswered
    /// page rings it again. Not an acknowledgement: use `acknowledge`.
    pub fn ring_stopped(&self, alert: String) -> Result<()> {
        Ok(self.device.ring_stopped(&alert)?)
    }

    /// Actions the relay has not confirmed yet, oldest first.
    pub fn pending_actions(&self) -> Result<Vec<QueuedActionInfo>> {
        Ok(all(self.device.pending_actions()?))
    }

    /// The self-check: lists, in words, everything that will stop a page
    /// from ringing (permissions, Do-Not-Disturb access, push token and its
    /// age, last push, last sync, actions not yet delivered).
    pub fn health(&self) -> Result<Health> {
        Ok(self.device.health()?.into())
    }
}

/// Every notification channel (Android) / category (iOS) a plan can name,
/// loudest first, one per priority: create them all once at app start, so
/// the user can tune them (the critical channel's sound, Do-Not-Disturb)
/// before the first page. Ids match `NotificationPlan.channelId`.
#[uniffi::export]
pub fn notification_channels() -> Vec<NotificationChannelInfo> {
    klaxon_domain::notify::channels()
}

/// Every action a page can offer, in display order, each with whether it
/// needs unlocking (the same for every page): iOS registers one
/// notification category per set of buttons up front, with these options.
/// Which of them a given page offers is `NotificationPlan.actions` /
/// `Pager.offeredActions`.
#[uniffi::export]
pub fn all_page_actions() -> Vec<OfferedAction> {
    klaxon_domain::notify::all_page_actions()
}
