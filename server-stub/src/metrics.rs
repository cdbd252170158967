//! The relay's Prometheus metrics (`GET /metrics`): events accepted and
//! refused, pages sent and re-sent, people unreachable, stream deliveries
//! and clients, push failures by
//! reason, time to acknowledge, escalation lag and pending deadlines.
//! `prometheus-client` keeps the values and writes the OpenMetrics text
//! exposition, so the format's escaping and histogram rules are the
//! library's, not ours.

use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// The `Content-Type` of [`Metrics::render`]'s text. OpenMetrics, not the
/// older `text/plain; version=0.0.4`: a counter's `# TYPE` line names it
/// without its `_total` suffix, which only the OpenMetrics parser reads as
/// one family (Prometheus picks the parser from this header).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Histogram bucket bounds for time to acknowledge, in seconds: people
/// answer in tens of seconds to an hour.
const ACK_BUCKETS: [f64; 8] = [10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0];
/// Histogram bucket bounds for escalation lag, in seconds: a step fires
/// within milliseconds of its deadline unless something is wrong.
const LAG_BUCKETS: [f64; 8] = [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

/// `{integration="events_v2"}`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Integration {
    /// `events_v2` or `alertmanager`.
    integration: &'static str,
}

/// `{code="400"}`: the HTTP status of a refusal.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Code {
    /// The status code, as a number.
    code: u16,
}

/// `{reason="unregistered"}`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Reason {
    /// Why the push failed (see [`Metrics::push_failed`]).
    reason: String,
}

/// `{result="ok"}`: how a roster reload ended.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReloadResult {
    /// `ok` or `error`.
    result: &'static str,
}

/// The relay's counters, gauges and histograms, registered once; every
/// handle is an atomic (histograms a short lock), so updating one from a
/// hot path costs no allocation after a label's first use.
#[derive(Debug)]
pub struct Metrics {
    /// Every metric below, as the exposition lists them.
    registry: Registry,
    /// `klaxon_events_accepted_total{integration}`.
    events_accepted: Family<Integration, Counter>,
    /// `klaxon_events_rejected_total{code}`.
    events_rejected: Family<Code, Counter>,
    /// `klaxon_pages_sent_total`.
    pages_sent: Counter,
    /// `klaxon_renotifications_total`.
    renotifications: Counter,
    /// `klaxon_unreachable_total`.
    unreachable: Counter,
    /// `klaxon_stream_deliveries_total`.
    stream_deliveries: Counter,
    /// `klaxon_stream_clients`.
    stream_clients: Gauge,
    /// `klaxon_push_failures_total{reason}`.
    push_failures: Family<Reason, Counter>,
    /// `klaxon_time_to_acknowledge_seconds`.
    time_to_ack: Histogram,
    /// `klaxon_escalation_lag_seconds`.
    escalation_lag: Histogram,
    /// `klaxon_roster_reloads_total{result}`.
    roster_reloads: Family<ReloadResult, Counter>,
}

impl Default for Metrics {
    fn default() -> Metrics {
        let metrics = Metrics {
            registry: Registry::default(),
            events_accepted: Family::default(),
            events_rejected: Family::default(),
            pages_sent: Counter::default(),
            renotifications: Counter::default(),
            unreachable: Counter::default(),
            stream_deliveries: Counter::default(),
            stream_clients: Gauge::default(),
            push_failures: Family::default(),
            time_to_ack: Histogram::new(ACK_BUCKETS),
            escalation_lag: Histogram::new(LAG_BUCKETS),
            roster_reloads: Family::default(),
        };
        metrics.registered()
    }
}

impl Metrics {
    /// Registers every metric under its documented name (docs/relay.md,
    /// "Metrics"), in the order the exposition lists them. Counters are
    /// registered without `_total`: the encoder appends it to the samples.
    fn registered(mut self) -> Metrics {
        let r = &mut self.registry;
        r.register(
            "klaxon_events_accepted",
            "Events committed, by integration",
            self.events_accepted.clone(),
        );
        r.register(
            "klaxon_events_rejected",
            "Ingest requests refused, by HTTP status",
            self.events_rejected.clone(),
        );
        r.register(
            "klaxon_pages_sent",
            "People paged (one per person per escalation step)",
            self.pages_sent.clone(),
        );
        r.register(
            "klaxon_renotifications",
            "People a critical page was sent to again while nobody acknowledged",
            self.renotifications.clone(),
        );
        r.register(
            "klaxon_unreachable",
            "People an escalation step paged who have no enrolled device",
            self.unreachable.clone(),
        );
        r.register(
            "klaxon_stream_deliveries",
            "Pages written to connected device streams",
            self.stream_deliveries.clone(),
        );
        r.register(
            "klaxon_stream_clients",
            "Connected device streams",
            self.stream_clients.clone(),
        );
        r.register(
            "klaxon_push_failures",
            "Pushes that failed, by reason",
            self.push_failures.clone(),
        );
        r.register(
            "klaxon_time_to_acknowledge_seconds",
            "Seconds from an alert opening to its first acknowledgement",
            self.time_to_ack.clone(),
        );
        r.register(
            "klaxon_escalation_lag_seconds",
            "How late escalation steps fired against their deadlines",
            self.escalation_lag.clone(),
        );
        r.register(
            "klaxon_roster_reloads",
            "Roster reloads (SIGHUP), by result: ok or error",
            self.roster_reloads.clone(),
        );
        self
    }

    /// Counts a roster reload: `ok` (the new file runs) or `error` (the
    /// file was refused and the running roster stays).
    pub fn roster_reloaded(&self, ok: bool) {
        let result = if ok { "ok" } else { "error" };
        self.roster_reloads
            .get_or_create(&ReloadResult { result })
            .inc();
    }

    /// Counts events committed from one integration (`events_v2`, `alertmanager`).
    pub fn events_accepted(&self, integration: &'static str, n: u64) {
        self.events_accepted
            .get_or_create(&Integration { integration })
            .inc_by(n);
    }

    /// Counts an ingest request refused with this HTTP status.
    pub fn event_rejected(&self, status: u16) {
        self.events_rejected
            .get_or_create(&Code { code: status })
            .inc();
    }

    /// Counts pages sent to people (one per person per step).
    pub fn pages_sent(&self, n: u64) {
        self.pages_sent.inc_by(n);
    }

    /// Counts people a critical page was re-sent to (one per person per
    /// re-notification).
    pub fn renotified(&self, n: u64) {
        self.renotifications.inc_by(n);
    }

    /// Counts people a step paged who have no enrolled device.
    pub fn unreachable(&self, n: u64) {
        self.unreachable.inc_by(n);
    }

    /// Counts pages handed to connected streams.
    pub fn stream_delivered(&self, n: u64) {
        self.stream_deliveries.inc_by(n);
    }

    /// Counts a push that failed, by reason (`unregistered`, `retry`,
    /// `failed`, `seal`, `no_token`).
    pub fn push_failed(&self, reason: &str) {
        self.push_failures
            .get_or_create(&Reason {
                reason: reason.to_string(),
            })
            .inc();
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
        self.stream_clients.inc_by(delta);
    }

    /// The OpenMetrics text exposition ([`CONTENT_TYPE`]).
    /// `pending_deadlines` is read from the store by the caller for each
    /// scrape, and left out when the store could not say.
    pub fn render(&self, pending_deadlines: Option<u64>) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail; an encoder error would be a
        // metric the library refuses, which registration rules out.
        let _ = encode_registry(&mut out, &self.registry);
        if let Some(n) = pending_deadlines {
            // A gauge read at scrape time: registered on a registry of its
            // own, built for this scrape, rather than kept up to date by
            // every write.
            let mut scrape = Registry::default();
            let pending = Gauge::<i64>::default();
            pending.set(i64::try_from(n).unwrap_or(i64::MAX));
            scrape.register(
                "klaxon_pending_deadlines",
                "Escalation deadlines waiting",
                pending,
            );
            let _ = encode_registry(&mut out, &scrape);
        }
        let _ = encode_eof(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::Metrics;

    #[test]
    fn every_documented_metric_is_exposed_under_its_name() {
        let m = Metrics::default();
        m.events_accepted("events_v2", 3);
        m.event_rejected(408);
        m.pages_sent(2);
        m.renotified(3);
        m.unreachable(1);
        m.stream_delivered(1);
        m.stream_clients(1);
        m.push_failed("unregistered");
        m.acknowledged_after(42.0);
        m.escalation_lag(0.002);
        let text = m.render(Some(7));
        for sample in [
            "klaxon_events_accepted_total{integration=\"events_v2\"} 3\n",
            "klaxon_events_rejected_total{code=\"408\"} 1\n",
            "klaxon_pages_sent_total 2\n",
            "klaxon_renotifications_total 3\n",
            "klaxon_unreachable_total 1\n",
            "klaxon_stream_deliveries_total 1\n",
            "klaxon_stream_clients 1\n",
            "klaxon_push_failures_total{reason=\"unregistered\"} 1\n",
            "klaxon_time_to_acknowledge_seconds_bucket{le=\"60.0\"} 1\n",
            "klaxon_time_to_acknowledge_seconds_count 1\n",
            "klaxon_escalation_lag_seconds_bucket{le=\"0.005\"} 1\n",
            "klaxon_pending_deadlines 7\n",
            "# TYPE klaxon_events_accepted counter\n",
            "# TYPE klaxon_escalation_lag_seconds histogram\n",
        ] {
            assert!(text.contains(sample), "{sample:?} not in\n{text}");
        }
        assert!(text.ends_with("# EOF\n"), "{text}");
        assert!(!m.render(None).contains("klaxon_pending_deadlines"));
    }
}
