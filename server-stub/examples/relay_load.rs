//! The relay's load harness (numbers in docs/relay.md). Runs a relay in
//! this process on loopback with a temporary SQLite file (durable 2xx:
//! WAL + synchronous=FULL + group commit) and measures:
//!
//! 1. `throughput`: sustained Events v2 triggers/s from concurrent clients;
//! 2. `latency`: ingest -> page on a connected device's SSE stream, p50/p99,
//!    at a fixed event rate with many connected devices, all of the on-call
//!    person (every device gets every page: the worst case), and
//!    `latency-spread`: the same with one team per device (each page goes to
//!    one of the connected devices, as pages to one on-call person do);
//! 3. `deadlines`: many open alerts with pending deadlines, then how late
//!    their escalation steps fire (the relay's escalation-lag histogram).
//!
//! `cargo run --release -p klaxon-relay --example relay_load -- [phase] [options]`
//! Options: `--seconds N` (throughput run, default 10), `--clients N`
//! (throughput senders, default 64), `--rate N` and `--devices N` (latency,
//! defaults 200/200), `--alerts N` (deadlines, default 100000).

use klaxon_domain::Roster;
use klaxon_relay::ingest::RateLimit;
use klaxon_relay::Relay;
use klaxon_testkit::fixtures;
use klaxon_testkit::relay::{self, ADMIN};
use klaxon_testkit::stream;
use serde_json::json;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const KEY: &str = "0123456789abcdef0123456789abcdef";

/// alice always on call after `delay`, then bob: `tests/fixtures/load.toml`.
fn roster(delay: &str) -> Roster {
    let text = fixtures::fill(fixtures::LOAD, &[("{delay}", delay), ("{KEY}", KEY)]);
    Roster::parse(&text).unwrap_or_else(|e| panic!("load roster: {e}"))
}

/// `n` teams of one: person `p{i}` is on call for service `svc{i}`, whose
/// routing key is `i` in 32 hex digits. Each page then goes to one device.
fn spread_roster(n: u64) -> Roster {
    let mut text = String::new();
    for i in 0..n {
        text.push_str(&format!(
            "[[people]]\nid = \"p{i}\"\nname = \"P{i}\"\n\
             [[schedules]]\nid = \"s{i}\"\ntime_zone = \"UTC\"\n\
             [[schedules.layers]]\nname = \"l\"\nrotation = \"weekly\"\nlength = 1\n\
             start = \"2020-01-06T00:00:00\"\nparticipants = [\"p{i}\"]\n\
             [[policies]]\nid = \"pol{i}\"\nrepeat = 0\n\
             [[policies.steps]]\ndelay = \"30m\"\ntargets = [\"schedule:s{i}\"]\n\
             [[services]]\nid = \"svc{i}\"\nname = \"S{i}\"\npolicy = \"pol{i}\"\n\
             routing_key = \"{i:032x}\"\n"
        ));
    }
    Roster::parse(&text).unwrap_or_else(|e| panic!("spread roster: {e}"))
}

fn arg(args: &[String], name: &str, default: u64) -> u64 {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .build()
        .unwrap_or_else(|e| panic!("client: {e}"))
}

async fn start(delay: &str, dir: &std::path::Path) -> (klaxon_relay::RunningRelay, String) {
    start_roster(roster(delay), dir).await
}

async fn start_roster(
    roster: Roster,
    dir: &std::path::Path,
) -> (klaxon_relay::RunningRelay, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let relay = Relay::new(roster, dir.join("load.db"))
        .admin_token(Some(ADMIN.into()))
        .rate_limit(RateLimit {
            per_second: 1e9,
            burst: 1e9,
        })
        .start(listener)
        .await
        .unwrap();
    let base = format!("http://{}", relay.local_addr());
    (relay, base)
}

fn trigger(key: &str, summary: &str) -> Vec<u8> {
    trigger_to(KEY, key, summary)
}

fn trigger_to(routing_key: &str, key: &str, summary: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "routing_key": routing_key, "event_action": "trigger", "dedup_key": key,
        "payload": {"summary": summary, "source": "load", "severity": "critical"},
    }))
    .unwrap_or_default()
}

/// POSTs one serialized Events v2 event; true when the relay accepted it (202).
async fn enqueue(http: &reqwest::Client, base: &str, body: Vec<u8>) -> bool {
    let sent = http
        .post(format!("{base}/v2/enqueue"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await;
    matches!(sent, Ok(r) if r.status().as_u16() == 202)
}

/// The relay's Prometheus text (empty when its body could not be read).
async fn metrics_text(http: &reqwest::Client, base: &str) -> String {
    let answer = http.get(format!("{base}/metrics")).send().await.unwrap();
    answer.text().await.unwrap_or_default()
}

/// Sends unique triggers from `clients` tasks for `seconds`; returns events/s.
async fn throughput(base: &str, clients: u64, seconds: u64, prefix: &str) -> (u64, f64) {
    let ok = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let stop = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (ok, errors, base, prefix) = (
            ok.clone(),
            errors.clone(),
            base.to_string(),
            prefix.to_string(),
        );
        tasks.push(tokio::spawn(async move {
            let http = client();
            let mut i = 0u64;
            while Instant::now() < stop {
                let body = trigger(&format!("{prefix}-{c}-{i}"), "load test");
                i += 1;
                if enqueue(&http, &base, body).await {
                    ok.fetch_add(1, Ordering::Relaxed);
                } else {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let secs = started.elapsed().as_secs_f64();
    let n = ok.load(Ordering::Relaxed);
    let e = errors.load(Ordering::Relaxed);
    if e > 0 {
        eprintln!("  {e} requests failed");
    }
    (n, n as f64 / secs)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// `devices` SSE clients of the on-call person; `rate` triggers/s for
/// `seconds`; each page's latency measured from just before its POST.
async fn latency(base: &str, devices: u64, rate: u64, seconds: u64, spread: bool) {
    let epoch = Instant::now();
    let samples: Arc<Mutex<Vec<f64>>> = Arc::default();
    let mut readers = Vec::new();
    for d in 0..devices {
        let person = if spread {
            format!("p{d}")
        } else {
            "alice".to_string()
        };
        let device = relay::enroll(base, &person).await;
        let response = stream::connect(&client(), base, &device).await;
        let samples = samples.clone();
        readers.push(tokio::spawn(stream::each_event(response, move |event| {
            if event.name != "page" {
                return;
            }
            let now = epoch.elapsed().as_secs_f64();
            // The summary is "t=<seconds since epoch>".
            if let Some(sent) = event
                .data
                .split("t=")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .and_then(|v| v.parse::<f64>().ok())
            {
                if let Ok(mut s) = samples.lock() {
                    s.push((now - sent) * 1000.0);
                }
            }
        })));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let http = client();
    let total = rate * seconds;
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let mut ticker = tokio::time::interval(interval);
    let mut sends = Vec::new();
    for i in 0..total {
        ticker.tick().await;
        let http = http.clone();
        let base = base.to_string();
        sends.push(tokio::spawn(async move {
            let sent = epoch.elapsed().as_secs_f64();
            let routing_key = if spread {
                format!("{:032x}", i % devices)
            } else {
                KEY.to_string()
            };
            let body = trigger_to(&routing_key, &format!("lat-{i}"), &format!("t={sent:.6}"));
            enqueue(&http, &base, body).await;
        }));
    }
    for s in sends {
        let _ = s.await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    for r in &readers {
        r.abort();
    }
    let mut s = samples.lock().map(|s| s.clone()).unwrap_or_default();
    s.sort_by(|a, b| a.total_cmp(b));
    let expected = if spread { total } else { total * devices };
    let mode = if spread {
        "one device per page"
    } else {
        "every device gets every page"
    };
    println!(
        "latency ({mode}): {} events at {rate}/s, {devices} streams: {} deliveries (expected {}), p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        total,
        s.len(),
        expected,
        percentile(&s, 0.5),
        percentile(&s, 0.99),
        s.last().copied().unwrap_or(f64::NAN)
    );
}

/// Reads one metric line's value.
fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(name))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN)
}

/// Opens `alerts` alerts whose second step is due 30 s after each opened,
/// then watches the escalation-lag histogram as they all fire.
async fn deadlines(base: &str, alerts: u64) {
    let started = Instant::now();
    let clients = 64;
    let per = alerts / clients;
    let mut tasks = Vec::new();
    for c in 0..clients {
        let base = base.to_string();
        tasks.push(tokio::spawn(async move {
            let http = client();
            for i in 0..per {
                let body = trigger(&format!("dl-{c}-{i}"), "deadline");
                enqueue(&http, &base, body).await;
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let opened = started.elapsed().as_secs_f64();
    let http = client();
    let text = metrics_text(&http, base).await;
    println!(
        "deadlines: {} alerts opened in {opened:.1} s ({:.0}/s); pending deadlines {}",
        clients * per,
        (clients * per) as f64 / opened,
        metric(&text, "klaxon_pending_deadlines")
    );
    // Every second step is due 30 s after its alert opened.
    let until = started
        + Duration::from_secs(30)
        + Duration::from_secs_f64(opened)
        + Duration::from_secs(10);
    loop {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let text = metrics_text(&http, base).await;
        let fired = metric(&text, "klaxon_escalation_lag_seconds_count");
        if fired >= (clients * per) as f64 || Instant::now() > until {
            let le = |b: &str| {
                metric(
                    &text,
                    &format!("klaxon_escalation_lag_seconds_bucket{{le=\"{b}\"}}"),
                )
            };
            println!(
                "deadlines: {fired} steps fired; late by <=10 ms: {}, <=100 ms: {}, <=500 ms: {}, <=1 s: {}, mean {:.1} ms",
                le("0.01"),
                le("0.1"),
                le("0.5"),
                le("1.0"), // OpenMetrics writes whole bounds with a decimal point
                metric(&text, "klaxon_escalation_lag_seconds_sum") / fired * 1000.0
            );
            break;
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let phase = args.get(1).cloned().unwrap_or_else(|| "all".into());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    runtime.block_on(async {
        if phase == "throughput" || phase == "all" {
            let dir = tempfile::tempdir().unwrap();
            let (relay, base) = start("30m", dir.path()).await;
            let seconds = arg(&args, "--seconds", 10);
            let clients = arg(&args, "--clients", 64);
            let (n, rate) = throughput(&base, clients, seconds, "tp").await;
            println!("throughput: {n} triggers in {seconds} s from {clients} clients: {rate:.0} events/s (each 202 after group commit with synchronous=FULL)");
            relay.shutdown().await.unwrap();
        }
        if phase == "latency" || phase == "all" {
            let dir = tempfile::tempdir().unwrap();
            let (relay, base) = start("30m", dir.path()).await;
            latency(&base, arg(&args, "--devices", 200), arg(&args, "--rate", 200), arg(&args, "--seconds", 10), false).await;
            relay.shutdown().await.unwrap();
        }
        if phase == "latency-spread" || phase == "all" {
            let dir = tempfile::tempdir().unwrap();
            let devices = arg(&args, "--devices", 200);
            let (relay, base) = start_roster(spread_roster(devices), dir.path()).await;
            latency(&base, devices, arg(&args, "--rate", 200), arg(&args, "--seconds", 10), true).await;
            relay.shutdown().await.unwrap();
        }
        if phase == "deadlines" || phase == "all" {
            let dir = tempfile::tempdir().unwrap();
            let (relay, base) = start("30s", dir.path()).await;
            deadlines(&base, arg(&args, "--alerts", 100_000)).await;
            relay.shutdown().await.unwrap();
        }
    });
}
