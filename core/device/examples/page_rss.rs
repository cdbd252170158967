//! Peak memory of a notification-extension-like process: open the store,
//! handle one page (parse, dedupe, persist, plan), report VmHWM (Linux).
//!
//! `page_rss populate DB N` first fills DB with N synced alerts and pages (in its
//! own process, so the measured one starts cold); `page_rss DB` measures.
//! scripts/measure-page-rss.sh runs both in release mode.

#[path = "../benches/support/history.rs"]
mod history;

use chrono::Utc;
use klaxon_device::page;
use klaxon_device::Store;
use std::process::ExitCode;

fn page_json(alert: &str, step_seq: u32) -> String {
    format!(
        r#"{{"alert":"{alert}","step_seq":{step_seq},"service":"api","service_name":"Public API",
            "dedup_key":"disk","summary":"5xx rate above 5%","priority":"critical",
            "status":"triggered","revision":2,"runbook":"https://runbooks.example.com/api"}}"#
    )
}

/// Fills the store at `path` with `count` synced alerts and their pages.
fn populate(path: &str, count: u32) -> Result<(), klaxon_device::Error> {
    let mut store = Store::open(path)?;
    history::fill_history(&mut store, count, |i| {
        page_json(&format!("h{i}"), 1).into_bytes()
    })
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
