//! Speed of the alert path (numbers in docs/core-alerts.md):
//! - `page/handle_new`: one incoming page end to end on the device — parse,
//!   dedupe, persist, plan — against a store holding 10,000 alerts and pages;
//! - `page/handle_duplicate`: the same for a repeated push;
//! - `relay/ingest_trigger`: a trigger deduplicated against 10,000 alerts,
//!   escalated and saved durably;
//! - `outbox/enqueue`: one user action, durable (synchronous=FULL) commit included;
//! - `store/open_cold`: opening the 10,000-alert store in a new connection.

use chrono::{Duration, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use klaxon_device::outbox;
use klaxon_device::page::{self, Page};
use klaxon_device::store::Durability;
use klaxon_device::Store;
use klaxon_domain::alert::{Actor, Alert, Trigger};
use klaxon_domain::{AlertStatus, Priority, Roster};
use std::hint::black_box;
use std::path::Path;

const HISTORY: u32 = 10_000;

const ROSTER: &str = r#"
[[people]]
id = "bob"
name = "Bob"
[[policies]]
id = "infra"
repeat = 1
  [[policies.steps]]
  delay = "5m"
  targets = ["person:bob"]
[[services]]
id = "api"
name = "Public API"
policy = "infra"
routing_key = "0123456789abcdef0123456789abcdef"
"#;

fn page_json(alert: u32, step_seq: u32) -> Vec<u8> {
    format!(
        r#"{{"alert":"a{alert}","step_seq":{step_seq},"service":"api","service_name":"Public API",
            "dedup_key":"disk-{alert}","summary":"5xx rate above 5% on api-{alert}","priority":"critical",
            "status":"triggered","revision":2,"runbook":"https://runbooks.example.com/api"}}"#
    )
    .into_bytes()
}

/// A store with `HISTORY` resolved alerts (each with a short timeline) and
/// as many received pages.
fn populate(path: &Path, roster: &Roster) -> Store {
    let mut store = Store::open(path).unwrap();
    let policy = roster.policy("infra").unwrap();
    let t0 = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    for i in 0..HISTORY {
        let at = t0 + Duration::minutes(i64::from(i) * 30);
        let (alert, _) = Alert::trigger(None, &format!("h{i}"), trigger(&format!("old-{i}")), at);
        let mut alert = alert.tick(policy, roster, at).alert;
        alert.status = AlertStatus::Resolved;
        store.save_alert(&alert, Durability::Normal).unwrap();
        let page = Page::from_json(&page_json(i + 1_000_000, 1)).unwrap();
        store.record_page(&page, at).unwrap();
    }
    store
}

fn trigger(key: &str) -> Trigger {
    Trigger {
        service: "api".into(),
        dedup_key: key.into(),
        summary: "5xx rate above 5%".into(),
        priority: Priority::Critical,
        actor: Actor::integration("pagerduty"),
    }
}

fn benches(c: &mut Criterion) {
    let roster = Roster::parse(ROSTER).unwrap();
    let policy = roster.policy("infra").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("klaxon.db");
    let mut store = populate(&path, &roster);
    let settings = store.notification_settings().unwrap();
    let now = Utc::now();

    let mut n = 0u32;
    c.bench_function("page/handle_new", |b| {
        b.iter(|| {
            n += 1;
            let delivery = page::receive(&mut store, &settings, &page_json(n, 1), now).unwrap();
            black_box(delivery)
        })
    });
    let repeated = page_json(1, 1);
    c.bench_function("page/handle_duplicate", |b| {
        b.iter(|| black_box(page::receive(&mut store, &settings, &repeated, now).unwrap()))
    });

    let mut k = 0u32;
    c.bench_function("relay/ingest_trigger", |b| {
        b.iter(|| {
            k += 1;
            // Half the triggers repeat an open key: the dedup path.
            let key = format!("live-{}", k / 2);
            let open = store.open_alert("api", &key).unwrap();
            let (alert, _) = Alert::trigger(open, &format!("live{k}"), trigger(&key), now);
            let tick = alert.tick(policy, &roster, now);
            store.save_alert(&tick.alert, Durability::Full).unwrap();
            black_box(tick.pages)
        })
    });

    c.bench_function("outbox/enqueue", |b| {
        b.iter(|| {
            black_box(
                outbox::enqueue(
                    &mut store,
                    "a1",
                    "bob",
                    klaxon_domain::alert::Action::Acknowledge,
                    Some(2),
                    now,
                )
                .unwrap(),
            )
        })
    });
    drop(store);

    c.bench_function("store/open_cold", |b| {
        b.iter(|| black_box(Store::open(&path).unwrap()))
    });
}

criterion_group!(alerts, benches);
criterion_main!(alerts);
