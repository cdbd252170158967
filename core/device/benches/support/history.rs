//! A long-used phone's history: resolved synced alerts and the pages that
//! came with them. The `alerts` bench and the `page_rss` example both
//! measure against a store filled by [`fill_history`]; each includes this
//! file with `#[path]`, so the two fill it the same way.

use chrono::{DateTime, Duration, TimeZone, Utc};
use klaxon_device::page::Page;
use klaxon_device::Store;
use klaxon_domain::alert::{Actor, Alert, AlertStatus, Trigger};
use klaxon_domain::wire::{AlertDetails, AlertView};
use klaxon_domain::Priority;

/// A resolved alert `id` as a sync delivers it (the relay's view), with its
/// short timeline, opened at `at`.
fn resolved_view(id: &str, dedup_key: &str, at: DateTime<Utc>) -> AlertView {
    let trigger = Trigger {
        service: "api".into(),
        dedup_key: dedup_key.into(),
        summary: "5xx rate above 5%".into(),
        priority: Priority::Critical,
        actor: Actor::integration("pagerduty"),
    };
    let (alert, _) = Alert::trigger(None, id, trigger, at);
    let timeline = alert.timeline.entries().to_vec();
    AlertView {
        id: alert.id,
        service: alert.service,
        service_name: "Public API".into(),
        dedup_key: alert.dedup_key,
        summary: alert.summary,
        priority: alert.priority,
        status: AlertStatus::Resolved,
        created_at: at,
        acknowledged_by: None,
        paged: Vec::new(),
        revision: u32::try_from(timeline.len()).unwrap_or(u32::MAX),
        timeline,
        upcoming: None,
        runbook: None,
        details: AlertDetails::default(),
    }
}

/// Fills `store` with `count` resolved synced alerts (`h0`, `h1`, … with
/// dedup keys `old-0`, `old-1`, …, half an hour apart from 2025-01-01) and,
/// with each, the page `page(i)` received at the same instant.
pub fn fill_history(
    store: &mut Store,
    count: u32,
    page: impl Fn(u32) -> Vec<u8>,
) -> Result<(), klaxon_device::Error> {
    let t0 = Utc
        .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    for i in 0..count {
        let at = t0 + Duration::minutes(i64::from(i) * 30);
        let view = resolved_view(&format!("h{i}"), &format!("old-{i}"), at);
        store.save_synced_alerts(&[view])?;
        store.record_page(&Page::from_json(&page(i))?, at)?;
    }
    Ok(())
}
