//! The live roster: the roster file the relay runs (reloaded on SIGHUP
//! without a restart) with the relay's live overrides on top, and the teams
//! worked out from them. Handlers take a snapshot ([`RosterHolder::live`])
//! and use it for the whole request; a reload or an override swaps the
//! snapshot atomically, so escalation steps that have not fired yet use the
//! new one (they resolve their targets when they fire).

use crate::devices::Teams;
use klaxon_domain::schedule::LiveOverride;
use klaxon_domain::{Roster, RosterError};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

/// One consistent view: the effective roster and its teams.
#[derive(Debug)]
pub struct Live {
    /// The roster file with the live overrides applied.
    pub roster: Arc<Roster>,
    /// Who is in which team, from [`Live::roster`].
    pub teams: Teams,
}

impl Live {
    fn of(roster: Roster) -> Live {
        let teams = Teams::from_roster(&roster);
        Live {
            roster: Arc::new(roster),
            teams,
        }
    }
}

/// What the holder keeps behind its lock.
#[derive(Debug)]
struct Inner {
    /// The roster file as last loaded.
    file: Arc<Roster>,
    /// The live overrides still in force.
    overrides: Arc<Vec<LiveOverride>>,
    /// The effective roster.
    live: Arc<Live>,
    /// Why the last reload failed, until one succeeds.
    error: Option<String>,
}

/// Holds the running roster; every swap is atomic.
#[derive(Debug)]
pub struct RosterHolder {
    /// The file `--config` named, read again by [`RosterHolder::reload`].
    path: Option<PathBuf>,
    inner: RwLock<Inner>,
    /// Serialises [`refresh_overrides`]: the last to set read after every
    /// commit before it, so a stale list never wins.
    refreshing: tokio::sync::Mutex<()>,
}

impl RosterHolder {
    /// Holds `roster` (read from `path`, when it came from a file).
    pub fn new(roster: Roster, path: Option<PathBuf>) -> RosterHolder {
        let file = Arc::new(roster);
        RosterHolder {
            path,
            inner: RwLock::new(Inner {
                live: Arc::new(Live::of((*file).clone())),
                file,
                overrides: Arc::default(),
                error: None,
            }),
            refreshing: tokio::sync::Mutex::new(()),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        // A panic while holding the lock cannot leave `Inner` half-written
        // (every write replaces whole fields), so a poisoned lock is usable.
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The current snapshot: roster with live overrides, and teams.
    pub fn live(&self) -> Arc<Live> {
        self.read().live.clone()
    }

    /// The current effective roster.
    pub fn roster(&self) -> Arc<Roster> {
        self.read().live.roster.clone()
    }

    /// The roster file as loaded, without live overrides.
    pub fn file(&self) -> Arc<Roster> {
        self.read().file.clone()
    }

    /// The live overrides in force.
    pub fn overrides(&self) -> Arc<Vec<LiveOverride>> {
        self.read().overrides.clone()
    }

    /// Why the last reload failed (every problem, one per line), or `None`
    /// when the last one worked (or none was tried).
    pub fn error(&self) -> Option<String> {
        self.read().error.clone()
    }

    /// The file the roster is reloaded from.
    pub fn path(&self) -> Option<&std::path::Path> {
        self.path.as_deref()
    }

    /// Reads the file again. A valid roster replaces the running one (the
    /// live overrides stay on top); an invalid one changes nothing but the
    /// remembered error. Without a file there is nothing to read: `Ok`.
    pub fn reload(&self) -> Result<Arc<Roster>, RosterError> {
        let Some(path) = &self.path else {
            return Ok(self.file());
        };
        match Roster::load(path) {
            Ok(roster) => {
                let file = Arc::new(roster);
                let mut inner = self.write();
                let live = Arc::new(Live::of(file.with_live_overrides(&inner.overrides)));
                inner.file = file.clone();
                inner.live = live;
                inner.error = None;
                Ok(file)
            }
            Err(e) => {
                self.write().error = Some(e.to_string());
                Err(e)
            }
        }
    }

    /// Replaces the live overrides (after the store changed them); see
    /// [`refresh_overrides`].
    pub fn set_overrides(&self, overrides: Vec<LiveOverride>) {
        let mut inner = self.write();
        let live = Arc::new(Live::of(inner.file.with_live_overrides(&overrides)));
        inner.overrides = Arc::new(overrides);
        inner.live = live;
    }
}

/// Reads the roster file again (SIGHUP in `klaxon serve`): a valid file runs
/// from now on; an invalid one is logged (`roster reload failed: …`, every
/// problem), kept for `/healthz` (`roster_error`) and counted, and the
/// running roster stays. Counted in `klaxon_roster_reloads_total{result}`.
pub async fn reload(state: &crate::AppState) -> Result<(), RosterError> {
    let result = state.rota.reload();
    state.metrics.roster_reloaded(result.is_ok());
    let what = match &result {
        Ok(roster) => format!("roster reloaded: version {}", roster.version),
        Err(e) => format!(
            "roster reload failed: {}",
            e.to_string().replace('\n', "; ")
        ),
    };
    let audit = crate::store::rota::AuditRecord {
        at: state.clock.now(),
        who: "signal:SIGHUP".into(),
        action: "roster.reload".into(),
        what,
    };
    if let Err(e) = state.store.record_audit(audit).await {
        tracing::error!(error = %e, "roster reload not recorded in the audit log");
    }
    match &result {
        Ok(roster) => tracing::info!(
            version = %roster.version,
            config = %state.rota.path().map(|p| p.display().to_string()).unwrap_or_default(),
            "roster reloaded; steps not yet fired use it"
        ),
        Err(e) => {
            let problems: Vec<String> = e.to_string().lines().map(str::to_string).collect();
            tracing::error!(
                "roster reload failed: {}; still running the previous roster",
                problems.join("; ")
            );
        }
    }
    result.map(|_| ())
}

/// Reads the live overrides in force from the store and runs them (after
/// one was added or removed, and at start).
pub async fn refresh_overrides(state: &crate::AppState) -> Result<(), crate::errors::StoreError> {
    let _one_at_a_time = state.rota.refreshing.lock().await;
    let overrides = state.store.live_overrides(state.clock.now()).await?;
    state.rota.set_overrides(overrides);
    Ok(())
}
