//! Peak resident memory of the iOS notification service extension's work,
//! done through the same FFI surface the Swift extension calls.
//!
//! `push_rss prepare STATE RELAY CODE N OUT` enrolls a device in STATE with
//! the relay's one-time CODE, handles N earlier sealed pages (so the store
//! holds a long history, as a phone's does after months), and writes the
//! APNs `userInfo` JSON of one new sealed page to OUT. It runs in its own
//! process so the measured one starts cold.
//!
//! `push_rss measure STATE RELAY OUT` is the extension: open the `Pager`,
//! `handle_push(userInfo)`, print the plan and the peak resident memory
//! (Linux `VmHWM`), before and after the push.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use klaxon_ffi::Pager;
use std::process::ExitCode;
use std::sync::Arc;

/// A page as the relay seals it, near the 4 KB push limit's worth of
/// runbook, so the measured path parses and stores a realistic worst case.
fn page_json(alert: &str, step_seq: u32) -> String {
    let runbook = "1. Check the load balancer's 5xx panel. 2. Roll back the last deploy \
                   if it is under an hour old. 3. Page the database owner when the \
                   replica lag is above 30 s. "
        .repeat(10);
    serde_json::json!({
        "alert": alert, "step_seq": step_seq, "service": "api",
        "service_name": "Public API", "dedup_key": format!("disk-{alert}"),
        "summary": "5xx rate above 5% on the public API", "priority": "critical",
        "status": "triggered", "revision": 2, "runbook": runbook,
    })
    .to_string()
}

/// The APNs body the relay sends (docs/push.md), as iOS hands it to the
/// extension in `request.content.userInfo`.
fn apns_user_info(sealing_key: &[u8; 32], alert: &str, step_seq: u32) -> Result<String, String> {
    let sealed = klaxon_crypto::seal(sealing_key, page_json(alert, step_seq).as_bytes())
        .map_err(|e| format!("seal: {e}"))?;
    Ok(serde_json::json!({
        "aps": {"alert": {"title": "Klaxon", "body": "Critical page"},
                "mutable-content": 1, "interruption-level": "critical",
                "sound": {"critical": 1, "name": "klaxon.caf", "volume": 1.0}},
        "klaxon": {"v": 1, "alert": alert, "sealed": STANDARD.encode(sealed)},
    })
    .to_string())
}

fn sealing_key(pager: &Pager) -> Result<[u8; 32], String> {
    let enrollment = pager.enrollment().ok_or("not enrolled")?;
    let bytes = URL_SAFE_NO_PAD
        .decode(enrollment.sealing_public_key)
        .map_err(|e| format!("sealing key: {e}"))?;
    bytes.try_into().map_err(|_| "sealing key is not 32 bytes".to_string())
}

fn prepare(state: &str, relay: &str, code: &str, count: u32, out: &str) -> Result<String, String> {
    let pager = Pager::new(state.into(), relay.into()).map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime
        .block_on(pager.enroll(code.into(), "push-rss".into()))
        .map_err(|e| format!("enroll: {e}"))?;
    let key = sealing_key(&pager)?;
    for i in 0..count {
        let push = apns_user_info(&key, &format!("old-{i}"), 1)?;
        pager
            .handle_push(push.into_bytes())
            .map_err(|e| format!("handle_push old-{i}: {e}"))?;
    }
    let live = apns_user_info(&key, "live-1", 1)?;
    std::fs::write(out, &live).map_err(|e| format!("{out}: {e}"))?;
    Ok(format!(
        "prepared {state}: enrolled, {count} pages handled; the new push ({} bytes) is in {out}",
        live.len()
    ))
}

fn measure(state: &str, relay: &str, out: &str) -> Result<String, String> {
    let push = std::fs::read(out).map_err(|e| format!("{out}: {e}"))?;
    let before = vm_hwm_kib();
    let pager: Arc<Pager> = Pager::new(state.into(), relay.into()).map_err(|e| e.to_string())?;
    let plan = pager.handle_push(push.clone()).map_err(|e| e.to_string())?;
    let plan = plan.ok_or("the new page was taken for a repeat")?;
    // The same push again (APNs may deliver twice): a repeat, no plan.
    let again = pager.handle_push(push).map_err(|e| e.to_string())?;
    if again.is_some() {
        return Err("the repeated push produced a plan".into());
    }
    let after = vm_hwm_kib();
    Ok(format!(
        "plan: alert={} priority={:?} sound={:?} title={:?}\nrepeat: none\n\
         VmHWM before opening the pager: {} KiB\nVmHWM after handle_push: {} KiB",
        plan.alert,
        plan.priority,
        plan.sound,
        plan.lock_screen.title,
        before.map_or("unavailable".into(), |k| k.to_string()),
        after.map_or("unavailable".into(), |k| k.to_string()),
    ))
}

/// Peak resident set size of this process in KiB (Linux only).
fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [cmd, state, relay, code, count, out] if cmd == "prepare" => match count.parse() {
            Ok(n) => prepare(state, relay, code, n, out),
            Err(_) => Err(format!("{count:?} is not a number")),
        },
        [cmd, state, relay, out] if cmd == "measure" => measure(state, relay, out),
        _ => {
            eprintln!("usage: push_rss prepare STATE RELAY CODE N OUT | push_rss measure STATE RELAY OUT");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("push_rss: {e}");
            ExitCode::FAILURE
        }
    }
}
