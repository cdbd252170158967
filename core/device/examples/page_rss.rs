//! Peak memory of a notification-extension-like process: open the store,
//! handle one page (parse, dedupe, persist, plan), report VmHWM (Linux).
//!
//! `page_rss populate DB N` first fills DB with N synced alerts and pages (in its
//! own process, so the measured one starts cold); `page_rss DB` measures.
//! scripts/measure-page-rss.sh runs both in release mode.

use chrono::{Duration, TimeZone, Utc};
use klaxon_device::page::{self, Page};
use klaxon_device::Store;
use klaxon_domain::alert::{Actor, Alert, AlertStatus, Trigger};
use klaxon_domain::wire::{AlertDetails, AlertView};
use klaxon_domain::Priority;
use std::process::ExitCode;

fn page_json(alert: &str, step_seq: u32) -> String {
    format!(
        r#"{{"alert":"{alert}","step_seq":{step_seq},"service":"api","service_name":"Public API",
            "dedup_key":"disk","summary":"5xx rate above 5%","priority":"critical",
            "status":"triggered","revision":2,"runbook":"https://runbooks.example.com/api"}}"#
    )
}

fn populate(path: &str, count: u32) -> Result<(), klaxon_device::Error> {
    let mut store = Store::open(path)?;
    let t0 = Utc
        .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    for i in 0..count {
        let at = t0 + Duration::minutes(i64::from(i) * 30);
        let trigger = Trigger {
            service: "api".into(),
            dedup_key: format!("old-{i}"),
            summary: "5xx rate above 5%".into(),
            priority: Priority::Critical,
            actor: Actor::integration("pagerduty"),
        };
        // What a sync stores: the relay's view of a resolved alert.
        let (alert, _) = Alert::trigger(None, &format!("h{i}"), trigger, at);
        let timeline = alert.timeline.entries().to_vec();
        let view = AlertView {
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
        };
        store.save_synced_alerts(&[view])?;
        store.record_page(
            &Page::from_json(page_json(&format!("h{i}"), 1).as_bytes())?,
            at,
        )?;
    }
    Ok(())
}

fn handle_one(path: &str) -> Result<String, klaxon_device::Error> {
    let mut store = Store::open(path)?;
    let settings = store.notification_settings()?;
    let alert = format!(
        "live-{}",
        Utc::now().timestamp_nanos_opt().unwrap_or_default()
    );
    let delivery = page::receive(
        &mut store,
        &settings,
        page_json(&alert, 1).as_bytes(),
        Utc::now(),
    )?;
    Ok(serde_json::to_string(&delivery)?)
}

fn vm_hwm() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.to_string())
        })
        .unwrap_or_else(|| "VmHWM: unavailable (not Linux)".to_string())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [cmd, path, count] if cmd == "populate" => match count.parse() {
            Ok(n) => {
                populate(path, n).map(|()| format!("populated {path} with {n} alerts and pages"))
            }
            Err(_) => {
                eprintln!("page_rss: {count:?} is not a number");
                return ExitCode::from(2);
            }
        },
        [path] => handle_one(path).map(|delivery| format!("{delivery}\n{}", vm_hwm())),
        _ => {
            eprintln!("usage: page_rss DB | page_rss populate DB N");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(out) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("page_rss: {e}");
            ExitCode::FAILURE
        }
    }
}
