//! Speed of the alert path on a device (numbers in docs/core-alerts.md):
//! - `page/handle_new`: one incoming page end to end on the device — parse,
//!   dedupe, persist, plan — against a store holding 10,000 synced alerts
//!   and pages;
//! - `page/handle_duplicate`: the same for a repeated push;
//! - `outbox/enqueue`: one user action, durable (synchronous=FULL) commit included;
//! - `store/open_cold`: opening the 10,000-alert store in a new connection.

#[path = "support/history.rs"]
mod history;

use chrono::Utc;
use criterion::{criterion_group, criterion_main, Criterion};
use klaxon_device::outbox;
use klaxon_device::page;
use klaxon_device::Store;
use std::hint::black_box;
use std::path::Path;

const HISTORY: u32 = 10_000;

fn page_json(alert: u32, step_seq: u32) -> Vec<u8> {
    format!(
        r#"{{"alert":"a{alert}","step_seq":{step_seq},"service":"api","service_name":"Public API",
            "dedup_key":"disk-{alert}","summary":"5xx rate above 5% on api-{alert}","priority":"critical",
            "status":"triggered","revision":2,"runbook":"https://runbooks.example.com/api"}}"#
    )
    .into_bytes()
}

/// A store with `HISTORY` resolved synced alerts and as many received pages.
fn populate(path: &Path) -> Store {
    let mut store = Store::open(path).unwrap();
    history::fill_history(&mut store, HISTORY, |i| page_json(i + 1_000_000, 1)).unwrap();
    store
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("klaxon.db");
    let mut store = populate(&path);
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
