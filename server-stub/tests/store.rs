//! The SQLite store directly: schema version and WAL on a fresh file,
//! reopening, refusing a newer schema, and group commit under concurrency
//! (every write answered is in the file, and dedup holds across a batch).

use klaxon_testkit::relay as common;

use chrono::Utc;
use klaxon_domain::alert::{Actor, Trigger};
use klaxon_domain::wire::AlertDetails;
use klaxon_domain::Priority;
use klaxon_relay::errors::StoreError;
use klaxon_relay::store::{IngestEvent, IngestOutcome, RelayStore, SqliteStore};
use std::sync::Arc;

fn trigger(dedup: &str) -> IngestEvent {
    IngestEvent::Trigger {
        trigger: Trigger {
            service: "api".into(),
            dedup_key: dedup.into(),
            summary: format!("summary {dedup}"),
            priority: Priority::High,
            actor: Actor::integration("test"),
        },
        details: AlertDetails::default(),
    }
}

#[tokio::test]
async fn a_fresh_file_is_wal_at_the_latest_version_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let store = SqliteStore::open(&path).unwrap();
    let roster = Arc::new(common::roster());
    store
        .ingest(vec![trigger("a")], roster.clone(), Utc::now())
        .await
        .unwrap();
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, migrations());
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    drop(conn);
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.alerts(None).await.unwrap().len(), 1);
}

/// How many migrations there are: the schema version of a fresh file.
fn migrations() -> i64 {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/store/sqlite/migrations");
    std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension() == Some("sql".as_ref()))
        .count() as i64
}

#[tokio::test]
async fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    drop(SqliteStore::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    match SqliteStore::open(&path) {
        Err(StoreError::SchemaTooNew { found: 99, known }) if known == migrations() => {}
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_are_group_committed_and_dedup_holds() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path().join("g.db")).unwrap());
    let roster = Arc::new(common::roster());
    let mut tasks = Vec::new();
    // 400 writers: 200 distinct keys, each sent twice at once.
    for i in 0..400 {
        let (store, roster) = (store.clone(), roster.clone());
        tasks.push(tokio::spawn(async move {
            store
                .ingest(vec![trigger(&format!("k{}", i % 200))], roster, Utc::now())
                .await
                .unwrap()
                .0[0]
        }));
    }
    let mut opened = 0;
    let mut deduped = 0;
    for t in tasks {
        match t.await.unwrap() {
            IngestOutcome::Opened => opened += 1,
            IngestOutcome::Deduplicated => deduped += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((opened, deduped), (200, 200));
    assert_eq!(store.alerts(None).await.unwrap().len(), 200);
    assert_eq!(store.pending_deadlines().await.unwrap(), 200);
}

fn schema(path: &std::path::Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare("SELECT type, name, COALESCE(sql, '') FROM sqlite_master ORDER BY type, name")
        .unwrap();
    stmt.query_map([], |r| {
        Ok(format!(
            "{} {} {}",
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?
        ))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

#[tokio::test]
async fn a_migrated_database_has_the_schema_of_a_fresh_one() {
    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("fresh.db");
    drop(SqliteStore::open(&fresh).unwrap());
    // A database left at version 1 by an older relay, with an alert in it.
    let old = dir.path().join("old.db");
    let conn = rusqlite::Connection::open(&old).unwrap();
    conn.execute_batch(include_str!(
        "../src/store/sqlite/migrations/0001_relay.sql"
    ))
    .unwrap();
    conn.pragma_update(None, "user_version", 1).unwrap();
    drop(conn);
    let store = SqliteStore::open(&old).unwrap();
    store
        .ingest(
            vec![trigger("kept")],
            Arc::new(common::roster()),
            Utc::now(),
        )
        .await
        .unwrap();
    drop(store);
    assert_eq!(schema(&old), schema(&fresh));
}

#[tokio::test]
async fn a_pending_push_survives_the_status_push_migration_as_a_page() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v2.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(include_str!(
        "../src/store/sqlite/migrations/0001_relay.sql"
    ))
    .unwrap();
    conn.execute_batch(include_str!(
        "../src/store/sqlite/migrations/0002_push_outbox.sql"
    ))
    .unwrap();
    conn.pragma_update(None, "user_version", 2).unwrap();
    conn.execute(
        "INSERT INTO devices (id, person, name, signing_key, sealing_key, enrolled_ms)
         VALUES ('d1', 'alice', 'phone', zeroblob(32), zeroblob(32), 0)",
        [],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO push_outbox (alert_id, step_seq, device_id, page, attempts, next_ms)
         VALUES ('a1', 2, 'd1', '{}', 1, 5)",
        [],
    )
    .unwrap();
    drop(conn);
    drop(SqliteStore::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    let row: (String, i64, i64, String, i64, i64) = conn
        .query_row(
            "SELECT alert_id, step_seq, revision, device_id, attempts, next_ms FROM push_outbox",
            [],
            |r| r.try_into(),
        )
        .unwrap();
    assert_eq!(row, ("a1".into(), 2, 0, "d1".into(), 1, 5));
}
