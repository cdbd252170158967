//! The device side of Klaxon in one place: a phone (through the FFI crate)
//! or the terminal pager opens a [`Device`] on its state directory and gets
//! enrollment, push handling, queued actions, sync, the synced roster, the
//! user's settings, and the self-check that says what will stop a page from
//! ringing. The shell only draws and rings, through a [`Shell`].
//!
//! This module holds the [`Device`] itself, opening and enrollment; each
//! concept of its API lives in a submodule, its types re-exported here:
//! `push` (pushes and pages arriving), `ring` (what the shell shows and
//! rings), `actions` (the person's answers, into the outbox), `sync` (the
//! relay: sync and the event stream), `alerts` (the alert list),
//! `settings` (notification settings, platform capabilities), `health`
//! (the self-check, [`Device::health`]) and `roster` (the on-call queries,
//! [`Device::who_is_on_call`], [`Device::schedules`]).

mod actions;
mod alerts;
mod health;
mod push;
mod ring;
mod roster;
mod settings;
mod state_dir;
mod sync;

pub use alerts::AlertEntry;
pub use health::{Health, HealthFix, HealthItem, HealthLevel};
pub use push::PushOutcome;
pub use roster::{MyShift, NamedShift, NextHandoff, OnCall, ScheduleInfo};
pub use settings::{Capabilities, ChannelImportance, ChannelState, PushTokenState};
pub use sync::{Listened, SyncReport};

use crate::client::{self, lock, Credentials, Enrollment, RelayClient};
use crate::error::{Error, Result};
use crate::keys;
use crate::store::{Durability, Store};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use klaxon_domain::clock::Clock;
use klaxon_domain::notify::{NotificationPlan, RingLoop};
use klaxon_domain::wire::RosterView;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

/// The database file inside the state directory.
pub const DATABASE_FILE: &str = "klaxon.db";

/// What the shell does on core's behalf. Every call names the alert (the
/// notification's identity). An `Err` is the shell's own failure, recorded
/// for [`Device::health`]; core carries on regardless.
pub trait Shell: Send + Sync {
    /// Show a new notification as planned (replacing one for the same alert).
    fn present(&self, plan: &NotificationPlan) -> std::result::Result<(), String>;
    /// Change an existing notification (state changed: acknowledged, escalated).
    fn update(&self, plan: &NotificationPlan) -> std::result::Result<(), String>;
    /// Remove the alert's notification.
    fn cancel(&self, alert: &str) -> std::result::Result<(), String>;
    /// Start the alert's ring loop.
    fn start_ringing(&self, alert: &str, ring: &RingLoop) -> std::result::Result<(), String>;
    /// Stop the alert's ring loop (a no-op if it is not ringing).
    fn stop_ringing(&self, alert: &str) -> std::result::Result<(), String>;
}

/// The public halves of the device's keys, base64url without padding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKeys {
    /// Ed25519: verifies the device's request signatures.
    pub signing: String,
    /// X25519: pages are sealed to it.
    pub sealing: String,
}

/// One device: its store, its relay, its shell. Thread-safe; share it in an `Arc`.
pub struct Device {
    state_dir: PathBuf,
    store: Mutex<Store>,
    relay: RelayClient,
    clock: Arc<dyn Clock>,
    shell: RwLock<Option<Arc<dyn Shell>>>,
    /// The roster view, parsed once (who-is-on-call is called per frame).
    roster: RwLock<Option<Arc<RosterView>>>,
    /// The enrollment's parsed keys (parsing a PKCS#8 key per push is waste).
    creds: RwLock<Option<Arc<Credentials>>>,
    /// The shell's last failure, for health.
    shell_error: Mutex<Option<String>>,
    /// The rings this process's shell runs now, each with when it stops by
    /// itself (the plan's ring limit; `None`: until answered). The durable
    /// set says which alerts should ring; this says which ring here and now,
    /// so a re-notification rings again on a phone whose ring the OS killed.
    live_rings: Mutex<HashMap<String, Option<DateTime<Utc>>>>,
    /// The roster version the relay's stream announced (its `hello`), when
    /// it differs from the stored one: the next sync fetches the roster.
    roster_hint: Mutex<Option<String>>,
}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device")
            .field("state_dir", &self.state_dir)
            .field("relay", &self.relay.base_url())
            .finish_non_exhaustive()
    }
}

impl Device {
    /// Opens (creating) the device state in `state_dir` for the relay at
    /// `relay_url`. The database holds the device's private keys: on unix a
    /// state directory created here is `0700`, and the database with its
    /// `-wal` and `-shm` files is `0600` (looser files found are tightened).
    pub fn open(state_dir: &Path, relay_url: &str, clock: Arc<dyn Clock>) -> Result<Device> {
        state_dir::create_private_dir(state_dir)?;
        let database = state_dir.join(DATABASE_FILE);
        state_dir::make_database_private(&database)?;
        let store = Store::open(&database)?;
        let relay = RelayClient::new(relay_url)?;
        let roster: Option<RosterView> = store.setting(keys::ROSTER)?;
        let creds = Enrollment::load(&store)?
            .map(Credentials::new)
            .transpose()?
            .map(Arc::new);
        Ok(Device {
            state_dir: state_dir.to_path_buf(),
            store: Mutex::new(store),
            relay,
            clock,
            shell: RwLock::new(None),
            roster: RwLock::new(roster.map(Arc::new)),
            creds: RwLock::new(creds),
            shell_error: Mutex::new(None),
            live_rings: Mutex::new(HashMap::new()),
            roster_hint: Mutex::new(None),
        })
    }

    /// The state directory.
    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    /// Sets (or replaces, or with `None` removes) the shell core notifies.
    pub fn set_shell(&self, shell: Option<Arc<dyn Shell>>) {
        *self.shell.write().unwrap_or_else(|p| p.into_inner()) = shell;
    }

    /// The enrollment, once enrolled.
    pub fn enrollment(&self) -> Option<Enrollment> {
        self.credentials().map(|c| c.enrollment.clone())
    }

    /// The public halves of the device's keys, once enrolled.
    pub fn public_keys(&self) -> Option<PublicKeys> {
        self.credentials().map(|c| PublicKeys {
            signing: URL_SAFE_NO_PAD.encode(c.identity.signing_public_key()),
            sealing: URL_SAFE_NO_PAD.encode(c.identity.sealing_public_key()),
        })
    }

    fn credentials(&self) -> Option<Arc<Credentials>> {
        self.creds.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn require_credentials(&self) -> Result<Arc<Credentials>> {
        self.credentials().ok_or(Error::NotEnrolled)
    }

    /// Enrolls with the one-time code from `klaxon invite`: creates the
    /// device's keys, registers their public halves and stores the result.
    /// Enrolling again replaces the earlier identity.
    pub async fn enroll(&self, code: &str, device_name: &str) -> Result<Enrollment> {
        if code.trim().is_empty() {
            return Err(Error::Invalid("the enrollment code is empty".into()));
        }
        let enrollment = client::enroll(
            &self.relay,
            &self.store,
            code,
            device_name,
            self.clock.now(),
        )
        .await?;
        let creds = Arc::new(Credentials::new(enrollment.clone())?);
        *self.creds.write().unwrap_or_else(|p| p.into_inner()) = Some(creds);
        lock(&self.store).set_setting(
            keys::PUSH_REGISTERED,
            &Option::<String>::None,
            Durability::Normal,
        )?;
        Ok(enrollment)
    }
}

/// Test helpers shared by this module's tests and its submodules'.
#[cfg(test)]
mod test_support {
    use super::{Device, Shell};
    use crate::page::Page;
    use chrono::{DateTime, TimeZone, Utc};
    use klaxon_domain::alert::AlertStatus;
    use klaxon_domain::clock::ManualClock;
    use klaxon_domain::notify::{NotificationPlan, RingLoop};
    use std::path::Path;
    use std::sync::{Arc, Mutex};

    /// The tests' "now": 2026-03-02 09:00 UTC.
    pub(super) fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
            .single()
            .unwrap_or_default()
    }

    /// A device on `dir` whose clock stands at [`t0`], with no relay
    /// listening (port 9).
    pub(super) fn device_at_t0(dir: &Path) -> Device {
        Device::open(dir, "http://127.0.0.1:9", Arc::new(ManualClock::new(t0()))).unwrap()
    }

    /// A shell that records what core tells it.
    #[derive(Default)]
    pub(super) struct Recorder(Mutex<Vec<String>>);

    impl Recorder {
        /// Every call so far, in order.
        pub(super) fn calls(&self) -> Vec<String> {
            self.0.lock().unwrap().clone()
        }
        fn push(&self, call: String) -> std::result::Result<(), String> {
            self.0.lock().unwrap().push(call);
            Ok(())
        }
    }

    impl Shell for Recorder {
        fn present(&self, plan: &NotificationPlan) -> std::result::Result<(), String> {
            self.push(format!("present {}", plan.alert))
        }
        fn update(&self, plan: &NotificationPlan) -> std::result::Result<(), String> {
            self.push(format!("update {} {:?}", plan.alert, plan.sound))
        }
        fn cancel(&self, alert: &str) -> std::result::Result<(), String> {
            self.push(format!("cancel {alert}"))
        }
        fn start_ringing(&self, alert: &str, _: &RingLoop) -> std::result::Result<(), String> {
            self.push(format!("start {alert}"))
        }
        fn stop_ringing(&self, alert: &str) -> std::result::Result<(), String> {
            self.push(format!("stop {alert}"))
        }
    }

    /// A critical, triggered page of `alert` at a step and revision.
    pub(super) fn critical_page(alert: &str, step_seq: u32, revision: u32) -> Page {
        Page {
            alert: alert.into(),
            step_seq,
            service: "api".into(),
            service_name: "Public API".into(),
            dedup_key: "d".into(),
            summary: "down".into(),
            priority: klaxon_domain::Priority::Critical,
            status: AlertStatus::Triggered,
            revision,
            runbook: None,
            status_update: false,
            renotify: 0,
        }
    }

    /// Enrolls `device` as `person` without a relay: a fresh identity,
    /// stored as [`crate::client::enroll`] stores it.
    pub(super) fn enroll_as(device: &Device, person: &str) {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use base64::Engine as _;
        let identity = klaxon_crypto::DeviceIdentity::generate().unwrap();
        let enrollment = crate::client::Enrollment {
            relay_url: "http://127.0.0.1:9".into(),
            device_id: format!("{person}-phone"),
            person: person.into(),
            enrolled_at: t0(),
            identity: URL_SAFE_NO_PAD.encode(identity.to_bytes()),
        };
        crate::client::lock(&device.store)
            .set_setting(
                crate::keys::ENROLLMENT,
                &enrollment,
                crate::store::Durability::Full,
            )
            .unwrap();
        let creds = crate::client::Credentials::new(enrollment).unwrap();
        *device.creds.write().unwrap() = Some(std::sync::Arc::new(creds));
    }

    /// A device at [`t0`] whose shell records every call.
    pub(super) fn recorded_device(dir: &Path) -> (Device, Arc<Recorder>) {
        let device = device_at_t0(dir);
        let recorder = Arc::new(Recorder::default());
        device.set_shell(Some(recorder.clone()));
        (device, recorder)
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;
    use klaxon_domain::alert::Action;
    use klaxon_domain::notify::NotificationSettings;

    #[test]
    fn an_unenrolled_device_refuses_pushes_and_actions_and_keeps_settings() {
        let dir = tempfile::tempdir().unwrap();
        let device = device_at_t0(dir.path());
        assert!(matches!(device.handle_push(b"x"), Err(Error::NotEnrolled)));
        assert!(matches!(
            device.act("a1", Action::Acknowledge),
            Err(Error::NotEnrolled)
        ));
        assert!(matches!(device.alert("a1"), Err(Error::UnknownAlert(_))));
        assert!(matches!(
            device.who_is_on_call("primary"),
            Err(Error::Invalid(_))
        ));
        let s = NotificationSettings {
            hide_details_on_lock_screen: true,
            ..NotificationSettings::default()
        };
        device.set_settings(&s).unwrap();
        assert_eq!(device.settings().unwrap(), s);
    }

    #[test]
    fn an_unenrolled_device_refuses_a_sync_needed_push_too() {
        let dir = tempfile::tempdir().unwrap();
        let device = device_at_t0(dir.path());
        let push = br#"{"v":"1","alert":"a1","sync":"1"}"#;
        assert!(matches!(device.receive_push(push), Err(Error::NotEnrolled)));
        assert!(
            matches!(device.schedules(), Err(Error::Invalid(_))),
            "no roster yet"
        );
    }
}
