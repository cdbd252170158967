//! The embedded SQLite store: one file in WAL mode, numbered migrations
//! under `PRAGMA user_version`, and exactly one writer thread doing group
//! commit — writes queue over a channel, the writer runs a batch of them in
//! one transaction (each inside its own savepoint, so one failing write
//! does not sink the others) and answers each caller only after COMMIT has
//! returned, with `synchronous=FULL`, so a 2xx built on it is on disk.
//! Reads use a small pool of read-only connections, which WAL lets run
//! beside the writer. The writer runs the shared write path
//! ([`crate::store::write`]) over this backend's SQL (`tx.rs`), so what it
//! commits is exactly the plans routing made.

mod changes;
mod nonces;
mod ops;
mod rota;
mod tx;

use super::{
    write, Changes, Committed, Device, DeviceAction, DeviceActionResult, IngestEvent,
    IngestOutcome, Invite, PendingPush, PushKey, PushSettlement, RelayStore, StoreFuture,
    StoredAlert,
};
use crate::errors::StoreError;
use crate::maintenance::MaintenanceWindow;
use crate::routing::PlanContext;
use crate::store::rota::AuditRecord;
use chrono::{DateTime, Utc};
use klaxon_domain::wire::PushPlatform;
use klaxon_domain::{AlertStatus, Roster};
use rusqlite::Connection;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

/// The migrations, in order; migration `i` takes `user_version` from `i`
/// to `i + 1`. Never edit a released file: add one. Run by the workspace's
/// one runner (`klaxon-migrate`), which re-reads the version under the
/// write lock, so two relays opening a fresh file at once do not both
/// create its tables.
const MIGRATIONS: klaxon_migrate::Migrations = klaxon_migrate::Migrations(&[
    include_str!("migrations/0001_relay.sql"),
    include_str!("migrations/0002_push_outbox.sql"),
    include_str!("migrations/0003_status_pushes.sql"),
    include_str!("migrations/0004_rota.sql"),
    include_str!("migrations/0005_heartbeats.sql"),
    include_str!("migrations/0006_maintenance.sql"),
    include_str!("migrations/0007_nonces.sql"),
    include_str!("migrations/0008_changes.sql"),
]);

/// Most writes committed in one transaction. Large enough that an alert
/// storm costs one fsync per few hundred events; small enough that the
/// first write of a batch does not wait long behind the last.
const MAX_BATCH: usize = 512;

/// How many writes may queue for the writer before callers wait (back
/// pressure instead of unbounded memory during a storm).
const QUEUE_DEPTH: usize = 16_384;

/// Pragmas of every connection, each with its reason.
pub const PRAGMAS: &[(&str, &str, &str)] = &[
    (
        "journal_mode",
        "WAL",
        "readers (sync, listings) never block the writer, and a commit is an append to the WAL",
    ),
    (
        "synchronous",
        "FULL",
        "the WAL is fsynced at every commit: a 2xx promises the event survives a power cut; group \
         commit spreads that fsync over a whole batch",
    ),
    (
        "foreign_keys",
        "ON",
        "a deadline row must never point at a missing alert",
    ),
    (
        "busy_timeout",
        "5000",
        "an operator's sqlite3 shell holding a lock makes the relay wait, not fail",
    ),
    (
        "temp_store",
        "MEMORY",
        "sorts of the alert listing never touch the disk",
    ),
];

/// Answers one write's caller with the batch's commit result (the value
/// it computed is inside the closure).
type Reply = Box<dyn FnOnce(Result<(), String>) + Send>;
/// One queued write: runs inside the batch transaction, returns its reply.
type Job = Box<dyn FnOnce(&Connection, &mut WriterState) -> Reply + Send>;

/// What the writer thread keeps between writes.
#[derive(Debug)]
pub(crate) struct WriterState {
    /// The last change cursor handed out.
    pub(crate) last_change: u64,
}

impl WriterState {
    /// The next change cursor.
    pub(crate) fn next_change(&mut self) -> u64 {
        self.last_change += 1;
        self.last_change
    }
}

/// The SQLite [`RelayStore`].
#[derive(Debug)]
pub struct SqliteStore {
    /// The writer thread's queue.
    jobs: mpsc::Sender<Job>,
    /// Read-only connections for reads.
    readers: Arc<ReaderPool>,
    /// Whether plans queue pushes (see [`SqliteStore::enable_push`]).
    push_enabled: AtomicBool,
}

/// Idle read-only connections, opened on demand and kept (a few) for reuse.
#[derive(Debug)]
struct ReaderPool {
    /// The database file.
    path: PathBuf,
    /// Connections not in use.
    idle: Mutex<Vec<Connection>>,
}

/// Sets [`PRAGMAS`] on a connection.
fn configure(conn: &Connection) -> Result<(), StoreError> {
    for (name, value, _why) in PRAGMAS {
        // journal_mode answers with a row; pragma_update handles both kinds.
        conn.pragma_update(None, name, value)?;
    }
    Ok(())
}

/// Brings the schema to the latest migration, or refuses a newer one.
fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    MIGRATIONS.to_latest(conn).map_err(|e| match e {
        klaxon_migrate::MigrateError::Sqlite(e) => StoreError::Sqlite(e),
        klaxon_migrate::MigrateError::SchemaTooNew { found, known } => {
            StoreError::SchemaTooNew { found, known }
        }
    })
}

impl SqliteStore {
    /// Opens (creating and migrating if needed) the database at `path` and
    /// starts its writer thread. Needs a tokio runtime only for callers.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        let path = path.as_ref().to_path_buf();
        let mut conn = Connection::open(&path)?;
        configure(&conn)?;
        migrate(&mut conn)?;
        let last_change: i64 =
            conn.query_row("SELECT COALESCE(MAX(changed), 0) FROM alerts", [], |r| {
                r.get(0)
            })?;
        let state = WriterState {
            last_change: u64::try_from(last_change).unwrap_or(0),
        };
        let (jobs, rx) = mpsc::channel(QUEUE_DEPTH);
        std::thread::Builder::new()
            .name("klaxon-store-writer".into())
            .spawn(move || writer_loop(conn, rx, state))
            .map_err(|e| StoreError::Commit(format!("cannot start the writer thread: {e}")))?;
        Ok(SqliteStore {
            jobs,
            readers: Arc::new(ReaderPool {
                path,
                idle: Mutex::new(Vec::new()),
            }),
            push_enabled: AtomicBool::new(false),
        })
    }

    /// Queue fired pages for push from now on (the relay has a pusher).
    /// Off by default, so a relay without APNs/FCM keeps no push rows.
    pub fn enable_push(&self, enabled: bool) {
        self.push_enabled.store(enabled, Ordering::Relaxed);
    }

    /// Runs the shared write path `f` on the writer, against this backend's
    /// SQL and a plan context for `roster` at `now`.
    fn write_path<T, F>(&self, roster: Arc<Roster>, now: DateTime<Utc>, f: F) -> StoreFuture<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut tx::SqliteTx<'_>, &PlanContext<'_>) -> Result<T, StoreError>
            + Send
            + 'static,
    {
        // Read once per write, not per plan: it is set at start and stays.
        let push = self.push_enabled.load(Ordering::Relaxed);
        self.write(move |conn, state| {
            let maintenance = ops::maintenance_windows(conn, now)?;
            let ctx = PlanContext {
                roster: &roster,
                now,
                push,
                maintenance: &maintenance,
            };
            f(&mut tx::SqliteTx { conn, state }, &ctx)
        })
    }

    /// Queues a write; resolves after the batch holding it committed.
    fn write<T, F>(&self, f: F) -> StoreFuture<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, &mut WriterState) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply_tx, reply_rx) = oneshot::channel::<Result<T, StoreError>>();
        let job: Job = Box::new(move |conn, state| {
            if let Err(e) = conn.execute_batch("SAVEPOINT op") {
                return Box::new(move |_| {
                    let _ = reply_tx.send(Err(e.into()));
                });
            }
            match f(conn, state) {
                Ok(value) => match conn.execute_batch("RELEASE op") {
                    Ok(()) => Box::new(move |committed: Result<(), String>| {
                        let _ =
                            reply_tx.send(committed.map(|()| value).map_err(StoreError::Commit));
                    }),
                    Err(e) => Box::new(move |_| {
                        let _ = reply_tx.send(Err(e.into()));
                    }),
                },
                Err(e) => {
                    let _ = conn.execute_batch("ROLLBACK TO op; RELEASE op");
                    Box::new(move |_| {
                        let _ = reply_tx.send(Err(e));
                    })
                }
            }
        });
        let jobs = self.jobs.clone();
        Box::pin(async move {
            jobs.send(job).await.map_err(|_| StoreError::Closed)?;
            reply_rx.await.map_err(|_| StoreError::Closed)?
        })
    }

    /// Runs a read on a pooled read-only connection off the async threads.
    fn read<T, F>(&self, f: F) -> StoreFuture<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let pool = self.readers.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let conn = match pool.idle.lock().map(|mut idle| idle.pop()) {
                    Ok(Some(conn)) => conn,
                    _ => {
                        let conn = Connection::open(&pool.path)?;
                        configure(&conn)?;
                        conn.pragma_update(None, "query_only", "ON")?;
                        conn
                    }
                };
                let result = f(&conn);
                if let Ok(mut idle) = pool.idle.lock() {
                    if idle.len() < 8 {
                        idle.push(conn);
                    }
                }
                result
            })
            .await
            .map_err(|e| StoreError::Commit(format!("reader task failed: {e}")))?
        })
    }
}

/// The writer: takes whatever writes are queued (up to [`MAX_BATCH`]), runs
/// them in one transaction, commits once, then answers every caller.
fn writer_loop(conn: Connection, mut rx: mpsc::Receiver<Job>, mut state: WriterState) {
    while let Some(first) = rx.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            // Dropping the jobs drops their reply channels: every caller
            // hears "not stored" and answers 503; nothing half-happens.
            tracing::error!(error = %e, "cannot begin a transaction; batch refused");
            drop(batch);
            continue;
        }
        let replies: Vec<Reply> = batch
            .into_iter()
            .map(|job| job(&conn, &mut state))
            .collect();
        let committed = conn.execute_batch("COMMIT").map_err(|e| e.to_string());
        if let Err(e) = &committed {
            tracing::error!(error = %e, "group commit failed; batch rolled back");
            let _ = conn.execute_batch("ROLLBACK");
        }
        for reply in replies {
            reply(committed.clone());
        }
    }
    // The channel closed: every sender (the relay) is gone; a clean stop.
    let _ = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)");
}

impl RelayStore for SqliteStore {
    fn ingest(
        &self,
        events: Vec<IngestEvent>,
        roster: Arc<Roster>,
        now: DateTime<Utc>,
    ) -> StoreFuture<(Vec<IngestOutcome>, Committed)> {
        self.write_path(roster, now, |tx, ctx| write::ingest(tx, events, ctx))
    }

    fn apply_actions(
        &self,
        actions: Vec<DeviceAction>,
        services: Arc<HashSet<String>>,
        roster: Arc<Roster>,
        now: DateTime<Utc>,
    ) -> StoreFuture<(Vec<DeviceActionResult>, Committed)> {
        self.write_path(roster, now, move |tx, ctx| {
            write::apply_actions(tx, actions, &services, ctx)
        })
    }

    fn fire_due(
        &self,
        roster: Arc<Roster>,
        now: DateTime<Utc>,
        limit: usize,
    ) -> StoreFuture<Committed> {
        self.write_path(roster, now, move |tx, ctx| write::fire_due(tx, ctx, limit))
    }

    fn arm_heartbeats(&self, due: Vec<(String, DateTime<Utc>)>, reset: bool) -> StoreFuture<()> {
        self.write(move |conn, _| ops::arm_heartbeats(conn, &due, reset))
    }

    fn beat(
        &self,
        heartbeat: String,
        due: DateTime<Utc>,
        resolve: IngestEvent,
        roster: Arc<Roster>,
        now: DateTime<Utc>,
    ) -> StoreFuture<Committed> {
        self.write_path(roster, now, move |tx, ctx| {
            write::beat(tx, &heartbeat, due, resolve, ctx)
        })
    }

    fn fire_heartbeats(
        &self,
        roster: Arc<Roster>,
        now: DateTime<Utc>,
        limit: usize,
    ) -> StoreFuture<Committed> {
        self.write_path(roster, now, move |tx, ctx| {
            write::fire_heartbeats(tx, ctx, limit)
        })
    }

    fn next_heartbeat_due(&self) -> StoreFuture<Option<DateTime<Utc>>> {
        self.read(|conn| {
            let ms: Option<i64> = conn.query_row(
                "SELECT MIN(due_ms) FROM heartbeats WHERE overdue = 0",
                [],
                |r| r.get(0),
            )?;
            Ok(ms.and_then(DateTime::from_timestamp_millis))
        })
    }

    fn start_maintenance(&self, window: MaintenanceWindow, audit: AuditRecord) -> StoreFuture<()> {
        self.write(move |conn, _| {
            ops::start_maintenance(conn, &window)?;
            rota::insert_audit(conn, &audit)
        })
    }

    fn end_maintenance(
        &self,
        id: String,
        now: DateTime<Utc>,
        audit: AuditRecord,
    ) -> StoreFuture<Option<MaintenanceWindow>> {
        self.write(move |conn, _| {
            let (window, ended) = ops::end_maintenance(conn, &id, now)?;
            if ended {
                rota::insert_audit(conn, &audit)?;
            }
            Ok(window)
        })
    }

    fn maintenance_windows(
        &self,
        ending_after: DateTime<Utc>,
    ) -> StoreFuture<Vec<MaintenanceWindow>> {
        self.read(move |conn| ops::maintenance_windows(conn, ending_after))
    }

    fn record_change(
        &self,
        change: crate::ingest::change_events::Change,
        prune_before: DateTime<Utc>,
    ) -> StoreFuture<()> {
        self.write(move |conn, _| changes::record(conn, &change, prune_before))
    }

    fn changes_between(
        &self,
        service: String,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> StoreFuture<Vec<crate::ingest::change_events::Change>> {
        self.read(move |conn| changes::between(conn, &service, from, to, limit))
    }

    fn next_deadline(&self) -> StoreFuture<Option<DateTime<Utc>>> {
        self.read(|conn| {
            let ms: Option<i64> =
                conn.query_row("SELECT MIN(due_ms) FROM deadlines", [], |r| r.get(0))?;
            Ok(ms.and_then(DateTime::from_timestamp_millis))
        })
    }

    fn pending_deadlines(&self) -> StoreFuture<u64> {
        self.read(|conn| {
            let n: i64 = conn.query_row("SELECT COUNT(*) FROM deadlines", [], |r| r.get(0))?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
    }

    fn create_invite(&self, invite: Invite) -> StoreFuture<()> {
        self.write(move |conn, _| ops::create_invite(conn, &invite))
    }

    fn enroll(
        &self,
        code: String,
        device: Device,
        now: DateTime<Utc>,
    ) -> StoreFuture<Option<Device>> {
        self.write(move |conn, _| ops::enroll(conn, &code, device, now))
    }

    fn device(&self, id: String) -> StoreFuture<Option<Device>> {
        self.read(move |conn| ops::device(conn, &id))
    }

    fn device_with_signing_key(&self, key: [u8; 32]) -> StoreFuture<Option<String>> {
        self.read(move |conn| nonces::device_with_signing_key(conn, &key))
    }

    fn first_use_of_nonce(
        &self,
        device: String,
        nonce: String,
        expires_s: i64,
        now_s: i64,
    ) -> StoreFuture<bool> {
        self.write(move |conn, _| nonces::first_use(conn, &device, &nonce, expires_s, now_s))
    }

    fn set_push_token(
        &self,
        device: String,
        push: Option<(PushPlatform, String)>,
    ) -> StoreFuture<()> {
        self.write(move |conn, _| ops::set_push_token(conn, &device, push))
    }

    fn devices_of(&self, people: Vec<String>) -> StoreFuture<Vec<Device>> {
        self.read(move |conn| ops::devices_of(conn, &people))
    }

    fn changes_since(
        &self,
        cursor: u64,
        services: Arc<HashSet<String>>,
        limit: usize,
    ) -> StoreFuture<Changes> {
        self.read(move |conn| ops::changes_since(conn, cursor, &services, limit))
    }

    fn alerts(&self, status: Option<AlertStatus>) -> StoreFuture<Vec<StoredAlert>> {
        self.read(move |conn| ops::alerts(conn, status))
    }

    fn alert(&self, id: String) -> StoreFuture<Option<StoredAlert>> {
        self.read(move |conn| ops::load_alert(conn, &id))
    }

    fn due_pushes(&self, now: DateTime<Utc>, limit: usize) -> StoreFuture<Vec<PendingPush>> {
        self.read(move |conn| ops::due_pushes(conn, now, limit))
    }

    fn settle_push(
        &self,
        key: PushKey,
        settlement: PushSettlement,
        attempts: u32,
    ) -> StoreFuture<()> {
        self.write(move |conn, _| ops::settle_push(conn, &key, &settlement, attempts))
    }

    fn probe(&self) -> StoreFuture<()> {
        self.write(|conn, _| {
            conn.execute(
                "INSERT OR REPLACE INTO health (id, at_ms) VALUES (1, ?1)",
                [Utc::now().timestamp_millis()],
            )?;
            Ok(())
        })
    }
}
