use super::*;
use crate::page::Page;
use chrono::TimeZone;
use klaxon_domain::alert::{Action, AlertStatus};
use klaxon_domain::notify::NotificationSettings;
use klaxon_domain::Priority;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap()
}

#[test]
fn a_database_migrated_from_every_earlier_version_equals_a_fresh_one() {
    let dir = tempfile::tempdir().unwrap();
    let fresh = Store::open(dir.path().join("fresh.db")).unwrap();
    assert_eq!(fresh.schema_version().unwrap(), LATEST_VERSION);
    let expected = fresh.schema_fingerprint().unwrap();
    assert!(
        expected.iter().any(|l| l.starts_with("table outbox")),
        "{expected:#?}"
    );
    for from in 0..LATEST_VERSION {
        let path = dir.path().join(format!("from-{from}.db"));
        let old = Store::open_at_version(&path, from).unwrap();
        assert_eq!(old.schema_version().unwrap(), from);
        drop(old);
        let migrated = Store::open(&path).unwrap();
        assert_eq!(migrated.schema_version().unwrap(), LATEST_VERSION);
        assert_eq!(
            migrated.schema_fingerprint().unwrap(),
            expected,
            "migrated from version {from}"
        );
    }
}

#[test]
fn a_database_from_a_newer_build_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.db");
    drop(Store::open(&path).unwrap());
    let conn = Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", LATEST_VERSION + 1)
        .unwrap();
    drop(conn);
    assert!(matches!(
        Store::open(&path),
        Err(Error::SchemaTooNew { .. })
    ));
}

#[test]
fn the_documented_pragmas_are_in_force() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("k.db")).unwrap();
    let get = |name: &str| -> String {
        store
            .conn()
            .query_row(&format!("PRAGMA {name}"), [], |r| {
                r.get::<_, rusqlite::types::Value>(0)
            })
            .map(|v| match v {
                rusqlite::types::Value::Integer(i) => i.to_string(),
                rusqlite::types::Value::Text(t) => t,
                other => format!("{other:?}"),
            })
            .unwrap()
    };
    assert_eq!(get("journal_mode"), "wal");
    assert_eq!(get("synchronous"), "1", "NORMAL between user actions");
    assert_eq!(get("foreign_keys"), "1");
    assert_eq!(get("busy_timeout"), "5000");
    assert_eq!(get("cache_size"), "-1024");
    assert_eq!(get("journal_size_limit"), "4194304");
    assert_eq!(get("trusted_schema"), "0");
    for (_, _, why) in PRAGMAS {
        assert!(why.len() > 20, "every pragma says why");
    }
}

#[test]
fn user_actions_commit_with_synchronous_full() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("k.db")).unwrap();
    let during = store
        .write(Durability::Full, |tx| {
            Ok(tx.query_row("PRAGMA synchronous", [], |r| r.get::<_, i64>(0))?)
        })
        .unwrap();
    assert_eq!(during, 2, "FULL inside a user-action write");
    let after: i64 = store
        .conn()
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .unwrap();
    assert_eq!(after, 1, "back to NORMAL afterwards");
}

/// A phone last run with schema 4 (the device-side `alerts` and `timeline`
/// tables of 0001 still there, with rows in them) upgrades: the dead tables
/// go, and its outbox, pages, settings and synced alerts are kept.
#[test]
fn a_phone_at_schema_4_upgrades_dropping_the_unused_alert_tables_and_keeping_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.db");
    let mut old = Store::open_at_version(&path, 4).unwrap();
    old.conn()
        .execute_batch(
            "INSERT INTO alerts (id, service, dedup_key, summary, priority, status, created_at, \
             escalation) VALUES ('a0', 'api', 'disk', 'old', 'critical', 'triggered', \
             '2026-01-05T09:00:00.000000000Z', '{}'); \
             INSERT INTO timeline (alert_id, seq, at, who, source, event) VALUES \
             ('a0', 0, '2026-01-05T09:00:00.000000000Z', 'pagerduty', 'integration', '{}'); \
             INSERT INTO synced_alerts (id, status, created_at, revision, body) VALUES \
             ('a1', 'triggered', '2026-01-05T09:00:00.000000000Z', 2, '{}');",
        )
        .unwrap();
    let queued =
        crate::outbox::enqueue(&mut old, "a1", "alice", Action::Acknowledge, Some(2), t0())
            .unwrap();
    assert!(old
        .record_page(&page(1, AlertStatus::Triggered), t0())
        .unwrap());
    let quiet = NotificationSettings {
        hide_details_on_lock_screen: true,
        ..NotificationSettings::default()
    };
    old.set_notification_settings(&quiet).unwrap();
    drop(old);

    let upgraded = Store::open(&path).unwrap();
    assert_eq!(upgraded.schema_version().unwrap(), LATEST_VERSION);
    assert_eq!(upgraded.integrity_check().unwrap(), "ok");
    let fingerprint = upgraded.schema_fingerprint().unwrap();
    assert!(
        !fingerprint
            .iter()
            .any(|l| l.contains(" alerts ") || l.contains("timeline")),
        "{fingerprint:#?}"
    );
    assert_eq!(upgraded.queued_actions().unwrap(), vec![queued]);
    assert_eq!(upgraded.page_count().unwrap(), 1);
    assert_eq!(upgraded.notification_settings().unwrap(), quiet);
    let synced: i64 = upgraded
        .conn()
        .query_row("SELECT count(*) FROM synced_alerts", [], |r| r.get(0))
        .unwrap();
    assert_eq!(synced, 1);
}

fn page(step_seq: u32, status: AlertStatus) -> Page {
    Page {
        alert: "a1".into(),
        step_seq,
        service: "api".into(),
        service_name: "Public API".into(),
        dedup_key: "disk".into(),
        summary: "5xx above 5%".into(),
        priority: Priority::Critical,
        status,
        revision: 2,
        runbook: None,
        status_update: false,
        renotify: 0,
    }
}

#[test]
fn a_page_rings_once_and_older_pages_never_ring_after_newer_ones() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("k.db")).unwrap();
    assert!(store
        .record_page(&page(1, AlertStatus::Triggered), t0())
        .unwrap());
    assert!(
        !store
            .record_page(&page(1, AlertStatus::Triggered), t0())
            .unwrap(),
        "repeat push"
    );
    assert!(store
        .record_page(&page(1, AlertStatus::Acknowledged), t0())
        .unwrap());
    assert!(
        store
            .record_page(&page(2, AlertStatus::Triggered), t0())
            .unwrap(),
        "next step"
    );
    assert!(
        !store
            .record_page(&page(1, AlertStatus::Resolved), t0())
            .unwrap(),
        "stale"
    );
    assert!(store
        .record_page(&page(2, AlertStatus::Resolved), t0())
        .unwrap());
    assert!(!store
        .record_page(&page(2, AlertStatus::Triggered), t0())
        .unwrap());
    assert_eq!(store.page_count().unwrap(), 5);
}

#[test]
fn notification_settings_persist() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.db");
    let mut store = Store::open(&path).unwrap();
    assert_eq!(
        store.notification_settings().unwrap(),
        NotificationSettings::default()
    );
    let quiet = NotificationSettings {
        allow_override_dnd: false,
        ..NotificationSettings::default()
    };
    store.set_notification_settings(&quiet).unwrap();
    drop(store);
    assert_eq!(
        Store::open(&path).unwrap().notification_settings().unwrap(),
        quiet
    );
}
