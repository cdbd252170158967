//! Prometheus metrics in the text exposition format: events accepted, pages
//! sent, time to acknowledge, push failures by reason, escalation lag. Plain
//! atomics and a few fixed-bucket histograms; no metrics library needed.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Histogram bucket bounds for time to acknowledge, in seconds.
const ACK_BUCKETS: &[f64] = &[10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0];
/// Histogram bucket bounds for escalation lag, in seconds.
const LAG_BUCKETS: &[f64] = &[0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

/// A cumulative histogram with fixed bounds.
#[derive(Debug)]
struct Histogram {
    bounds: &'static [f64],
    counts: Mutex<(Vec<u64>, u64, f64)>,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Histogram {
        Histogram {
            bounds,
            counts: Mutex::new((vec![0; bounds.len()], 0, 0.0)),
        }
    }

    fn observe(&self, value: f64) {
        if let Ok(mut c) = self.counts.lock() {
            for (i, b) in self.bounds.iter().enumerate() {
                if value <= *b {
                    c.0[i] += 1;
                }
            }
            c.1 += 1;
            c.2 += value;
        }
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        if let Ok(c) = self.counts.lock() {
            for (i, b) in self.bounds.iter().enumerate() {
                let _ = writeln!(out, "{name}_bucket{{le=\"{b}\"}} {}", c.0[i]);
            }
            let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", c.1);
            let _ = writeln!(out, "{name}_sum {}", c.2);
            let _ = writeln!(out, "{name}_count {}", c.1);
        }
    }
}

/// The relay's counters.
#[derive(Debug)]
pub struct Metrics {
    events_accepted: Mutex<BTreeMap<&'static str, u64>>,
    events_rejected: Mutex<BTreeMap<u16, u64>>,
    pages_sent: AtomicU64,
    stream_deliveries: AtomicU64,
    push_failures: Mutex<BTreeMap<String, u64>>,
    time_to_ack: Histogram,
    escalation_lag: Histogram,
    stream_clients: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics {
            events_accepted: Mutex::default(),
            events_rejected: Mutex::default(),
            pages_sent: AtomicU64::new(0),
            stream_deliveries: AtomicU64::new(0),
            push_failures: Mutex::default(),
            time_to_ack: Histogram::new(ACK_BUCKETS),
            escalation_lag: Histogram::new(LAG_BUCKETS),
            stream_clients: AtomicU64::new(0),
        }
    }
}

impl Metrics {
    /// Counts events committed from one integration (`events_v2`, `alertmanager`).
    pub fn events_accepted(&self, integration: &'static str, n: u64) {
        if let Ok(mut m) = self.events_accepted.lock() {
            *m.entry(integration).or_default() += n;
        }
    }

    /// Counts an ingest request refused with this HTTP status.
    pub fn event_rejected(&self, status: u16) {
        if let Ok(mut m) = self.events_rejected.lock() {
            *m.entry(status).or_default() += 1;
        }
    }

    /// Counts pages sent to people (one per person per step).
    pub fn pages_sent(&self, n: u64) {
        self.pages_sent.fetch_add(n, Ordering::Relaxed);
    }

    /// Counts pages handed to connected streams.
    pub fn stream_delivered(&self, n: u64) {
        self.stream_deliveries.fetch_add(n, Ordering::Relaxed);
    }

    /// Counts a push that failed, by reason (`unregistered`, `retry`, `failed`, `not_configured`).
    pub fn push_failed(&self, reason: &str) {
        if let Ok(mut m) = self.push_failures.lock() {
            *m.entry(reason.to_string()).or_default() += 1;
        }
    }

    /// Records seconds from trigger to acknowledgement.
    pub fn acknowledged_after(&self, seconds: f64) {
        self.time_to_ack.observe(seconds);
    }

    /// Records how late an escalation step fired, in seconds.
    pub fn escalation_lag(&self, seconds: f64) {
        self.escalation_lag.observe(seconds);
    }

    /// A stream client connected (+1) or left (-1).
    pub fn stream_clients(&self, delta: i64) {
        if delta >= 0 {
            self.stream_clients
                .fetch_add(delta as u64, Ordering::Relaxed);
        } else {
            self.stream_clients
                .fetch_sub(delta.unsigned_abs(), Ordering::Relaxed);
        }
    }

    /// The text exposition; `pending_deadlines` is read from the store by the caller.
    pub fn render(&self, pending_deadlines: Option<u64>) -> String {
        let mut out = String::new();
        out.push_str("# HELP klaxon_events_accepted_total Events committed, by integration.\n");
        out.push_str("# TYPE klaxon_events_accepted_total counter\n");
        if let Ok(m) = self.events_accepted.lock() {
            for (k, v) in m.iter() {
                let _ = writeln!(
                    out,
                    "klaxon_events_accepted_total{{integration=\"{k}\"}} {v}"
                );
            }
        }
        out.push_str(
            "# HELP klaxon_events_rejected_total Ingest requests refused, by HTTP status.\n",
        );
        out.push_str("# TYPE klaxon_events_rejected_total counter\n");
        if let Ok(m) = self.events_rejected.lock() {
            for (k, v) in m.iter() {
                let _ = writeln!(out, "klaxon_events_rejected_total{{code=\"{k}\"}} {v}");
            }
        }
        let _ = writeln!(
            out,
            "# HELP klaxon_pages_sent_total People paged (one per person per escalation step).\n\
             # TYPE klaxon_pages_sent_total counter\nklaxon_pages_sent_total {}",
            self.pages_sent.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP klaxon_stream_deliveries_total Pages written to connected device streams.\n\
             # TYPE klaxon_stream_deliveries_total counter\nklaxon_stream_deliveries_total {}",
            self.stream_deliveries.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP klaxon_stream_clients Connected device streams.\n\
             # TYPE klaxon_stream_clients gauge\nklaxon_stream_clients {}",
            self.stream_clients.load(Ordering::Relaxed)
        );
        out.push_str("# HELP klaxon_push_failures_total Pushes that failed, by reason.\n");
        out.push_str("# TYPE klaxon_push_failures_total counter\n");
        if let Ok(m) = self.push_failures.lock() {
            for (k, v) in m.iter() {
                let _ = writeln!(out, "klaxon_push_failures_total{{reason=\"{k}\"}} {v}");
            }
        }
        self.time_to_ack.render(
            &mut out,
            "klaxon_time_to_acknowledge_seconds",
            "Seconds from an alert opening to its first acknowledgement.",
        );
        self.escalation_lag.render(
            &mut out,
            "klaxon_escalation_lag_seconds",
            "How late escalation steps fired against their deadlines.",
        );
        if let Some(n) = pending_deadlines {
            let _ = writeln!(
                out,
                "# HELP klaxon_pending_deadlines Escalation deadlines waiting.\n\
                 # TYPE klaxon_pending_deadlines gauge\nklaxon_pending_deadlines {n}"
            );
        }
        out
    }
}
