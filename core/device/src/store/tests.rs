use super::*;
use crate::page::Page;
use chrono::TimeZone;
use klaxon_domain::alert::{Action, Actor, Alert, AlertStatus, Command, IdempotencyKey, Trigger};
use klaxon_domain::escalation::{EscalationPolicy, EscalationStep, Target};
use klaxon_domain::notify::NotificationSettings;
use klaxon_domain::Priority;
use std::time::Duration;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap()
}

fn policy() -> EscalationPolicy {
    EscalationPolicy {
        id: "infra".into(),
        repeat: 0,
        steps: vec![EscalationStep {
            delay: Duration::from_secs(300),
            targets: vec![Target::Person("alice".into())],
        }],
    }
}

fn trigger(key: &str) -> Trigger {
    Trigger {
        service: "api".into(),
        dedup_key: key.into(),
        summary: "5xx above 5%".into(),
        priority: Priority::Critical,
        actor: Actor::integration("pagerduty"),
    }
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

#[test]
fn alerts_round_trip_and_the_timeline_only_grows() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("k.db")).unwrap();
    let (alert, _) = Alert::trigger(None, "a1", trigger("disk"), t0());
    store.save_alert(&alert, Durability::Full).unwrap();
    let cmd = Command {
        action: Action::Acknowledge,
        actor: Actor::device("alice"),
        key: Some(IdempotencyKey::new("k1")),
        seen: Some(1),
    };
    let (acked, _) = alert.apply(&cmd, &policy(), t0() + chrono::Duration::seconds(30));
    store.save_alert(&acked, Durability::Full).unwrap();
    assert_eq!(store.alert("a1").unwrap(), Some(acked.clone()));
    assert_eq!(
        store.open_alert("api", "disk").unwrap(),
        Some(acked.clone())
    );
    assert_eq!(
        store.alerts(Some(AlertStatus::Acknowledged)).unwrap().len(),
        1
    );
    assert!(store
        .alerts(Some(AlertStatus::Resolved))
        .unwrap()
        .is_empty());

    let tampered = store
        .conn()
        .execute("UPDATE timeline SET who = 'mallory'", []);
    assert!(tampered.is_err(), "timeline rows cannot be rewritten");
    let removed = store.conn().execute("DELETE FROM timeline", []);
    assert!(removed.is_err(), "timeline rows cannot be removed");
}

#[test]
fn only_one_open_alert_per_dedup_key_even_if_a_caller_forgets_to_look() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("k.db")).unwrap();
    let (a1, _) = Alert::trigger(None, "a1", trigger("disk"), t0());
    store.save_alert(&a1, Durability::Normal).unwrap();
    let (a2, _) = Alert::trigger(None, "a2", trigger("disk"), t0());
    assert!(
        store.save_alert(&a2, Durability::Normal).is_err(),
        "unique open dedup key"
    );
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
