//! Driving a real relay from a test: start one on a loopback port with a
//! temporary SQLite file, send events, enroll and sign as a device, read the
//! admin listing. Used by the relay's integration tests and the end-to-end
//! tests.

use chrono::{DateTime, Utc};
use klaxon_crypto::{self as crypto, DeviceIdentity};
use klaxon_domain::{Clock, Roster};
use klaxon_relay::ingest::RateLimit;
use klaxon_relay::{Relay, RunningRelay};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The infra service's routing key.
pub const API_KEY: &str = "0123456789abcdef0123456789abcdef";
/// The web team's routing key.
pub const SHOP_KEY: &str = "fedcba9876543210fedcba9876543210";
/// The admin token the tests' relays use.
pub const ADMIN: &str = "test-admin-token";

/// The fixture roster.
pub fn roster() -> Roster {
    let text = crate::fixtures::RELAY_ROSTER;
    match Roster::parse(text) {
        Ok(r) => r,
        Err(e) => panic!("fixture roster: {e}"),
    }
}

/// A relay on 127.0.0.1:0 with its database in `dir`.
pub async fn start(dir: &Path, clock: Option<Arc<dyn Clock>>) -> (RunningRelay, String) {
    start_with(dir, clock, RateLimit::default()).await
}

/// Same, with a rate limit.
pub async fn start_with(
    dir: &Path,
    clock: Option<Arc<dyn Clock>>,
    limit: RateLimit,
) -> (RunningRelay, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut relay = Relay::new(roster(), db(dir))
        .admin_token(Some(ADMIN.to_string()))
        .rate_limit(limit);
    if let Some(clock) = clock {
        relay = relay.clock(clock);
    }
    let running = relay.start(listener).await.unwrap();
    let base = format!("http://{}", running.local_addr());
    (running, base)
}

/// A relay like [`start`]'s, with `build` applied to its builder first
/// (a short request timeout or shutdown grace).
pub async fn start_built(dir: &Path, build: impl FnOnce(Relay) -> Relay) -> (RunningRelay, String) {
    start_roster(dir, roster(), build).await
}

/// A relay like [`start_built`]'s running `roster` instead of the fixture.
pub async fn start_roster(
    dir: &Path,
    roster: Roster,
    build: impl FnOnce(Relay) -> Relay,
) -> (RunningRelay, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let relay = build(Relay::new(roster, db(dir)).admin_token(Some(ADMIN.to_string())));
    let running = relay.start(listener).await.unwrap();
    let base = format!("http://{}", running.local_addr());
    (running, base)
}

/// A relay builder step for [`start_built`] and [`start_roster`]: the
/// relay's clock frozen at `now`.
pub fn frozen_at(now: DateTime<Utc>) -> impl FnOnce(Relay) -> Relay {
    move |relay| relay.clock(Arc::new(klaxon_domain::ManualClock::new(now)))
}

/// Opens a raw connection to `base` and writes `bytes` (a request that may
/// stop short of what its headers announce).
pub async fn send_partial(base: &str, bytes: &[u8]) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt as _;
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    stream
}

/// Reads the answer on a raw connection: status and JSON body, or `None`
/// when nothing complete arrived within `secs` (or the relay hung up).
pub async fn read_answer(stream: &mut tokio::net::TcpStream, secs: u64) -> Option<(u16, Value)> {
    use tokio::io::AsyncReadExt as _;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
    let mut got = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&got).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let head = &text[..end];
            let length = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if got.len() >= end + 4 + length {
                let status = head.split(' ').nth(1)?.parse().ok()?;
                let body = &got[end + 4..end + 4 + length];
                return Some((status, serde_json::from_slice(body).unwrap_or(Value::Null)));
            }
        }
        match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => got.extend_from_slice(&chunk[..n]),
            _ => return None,
        }
    }
}

/// True when the relay closed this raw connection within `secs`.
pub async fn closed_within(stream: &mut tokio::net::TcpStream, secs: u64) -> bool {
    use tokio::io::AsyncReadExt as _;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
    let mut chunk = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
}

/// Takes the database's write lock from outside the relay and holds it
/// until the returned connection is dropped: the relay's writer then waits
/// (and after SQLite's 5 s busy timeout, fails), as on a stuck disk.
pub fn hold_write_lock(dir: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(db(dir)).unwrap();
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    conn
}

/// The database file in `dir`.
pub fn db(dir: &Path) -> PathBuf {
    dir.join("relay.db")
}

/// A plain HTTP client.
pub fn http() -> reqwest::Client {
    // reqwest is built without a default TLS provider in this workspace.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// POSTs JSON; returns status and parsed body (Null if not JSON).
pub async fn post(base: &str, path: &str, body: &Value) -> (u16, Value) {
    answer(http().post(format!("{base}{path}")).json(body)).await
}

/// POSTs an Events v2 trigger (see [`trigger`]) to `/v2/enqueue`; returns
/// status and parsed body.
pub async fn enqueue_trigger(
    base: &str,
    key: &str,
    dedup: &str,
    summary: &str,
    severity: &str,
) -> (u16, Value) {
    post(base, "/v2/enqueue", &trigger(key, dedup, summary, severity)).await
}

/// An Events v2 trigger.
pub fn trigger(key: &str, dedup: &str, summary: &str, severity: &str) -> Value {
    json!({
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": dedup,
        "payload": {"summary": summary, "source": "test", "severity": severity},
    })
}

/// Sends a critical Events v2 trigger for the infra service ([`API_KEY`])
/// and asserts the relay accepted it (202).
pub async fn send_trigger(base: &str, dedup: &str, summary: &str) {
    let (status, body) = enqueue_trigger(base, API_KEY, dedup, summary, "critical").await;
    assert_eq!(status, 202, "{body}");
}

/// An Events v2 acknowledge/resolve.
pub fn action(key: &str, dedup: &str, action: &str) -> Value {
    json!({"routing_key": key, "event_action": action, "dedup_key": dedup})
}

/// POSTs an Events v2 acknowledge/resolve (see [`action`]) to
/// `/v2/enqueue`; returns status and parsed body.
pub async fn enqueue_action(base: &str, key: &str, dedup: &str, event: &str) -> (u16, Value) {
    post(base, "/v2/enqueue", &action(key, dedup, event)).await
}

/// The admin alert listing.
pub async fn alerts(base: &str) -> Vec<Value> {
    alerts_over(&http(), base).await
}

/// The admin alert listing, asked over `client` (one that trusts a test
/// certificate, or speaks only HTTP/2).
pub async fn alerts_over(client: &reqwest::Client, base: &str) -> Vec<Value> {
    let r = client
        .get(format!("{base}/v1/admin/alerts"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    r.json().await.unwrap()
}

/// The alert with this dedup key (the newest one).
pub async fn alert_by_key(base: &str, dedup: &str) -> Option<Value> {
    alerts(base)
        .await
        .into_iter()
        .rev()
        .find(|a| a["dedup_key"] == dedup)
}

/// The id of the newest alert with this dedup key, which must exist.
pub async fn alert_id_by_key(base: &str, dedup: &str) -> String {
    let alert = alert_by_key(base, dedup).await.unwrap();
    alert["id"].as_str().unwrap().to_string()
}

/// An enrolled test device.
pub struct TestDevice {
    /// Its keys.
    pub identity: DeviceIdentity,
    /// Its id.
    pub id: String,
    /// Whose it is.
    pub person: String,
}

/// An enrollment code for `person`, from the relay's admin API (which must
/// answer 201).
pub async fn invite(base: &str, person: &str) -> String {
    let r = http()
        .post(format!("{base}/v1/admin/invites"))
        .bearer_auth(ADMIN)
        .json(&json!({"person": person}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let invite: Value = r.json().await.unwrap();
    invite["code"].as_str().unwrap().to_string()
}

/// Invites and enrolls a device for `person`.
pub async fn enroll(base: &str, person: &str) -> TestDevice {
    let code = invite(base, person).await;
    let identity = DeviceIdentity::generate().unwrap();
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let (status, body) = post(
        base,
        "/v1/devices/enroll",
        &json!({
            "code": code,
            "name": format!("{person}'s phone"),
            "signing_key": b64.encode(identity.signing_public_key()),
            "sealing_key": b64.encode(identity.sealing_public_key()),
        }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    TestDevice {
        identity,
        id: body["device_id"].as_str().unwrap().to_string(),
        person: body["person"].as_str().unwrap().to_string(),
    }
}

impl TestDevice {
    /// Signed request headers for `method path` with `body` at `at`.
    pub fn headers(
        &self,
        method: &str,
        path: &str,
        body: &[u8],
        at: DateTime<Utc>,
        nonce: &str,
    ) -> Vec<(&'static str, String)> {
        let ts = at.timestamp();
        let sig = self
            .identity
            .sign_request(&self.id, method, path, ts, nonce, body);
        vec![
            (crypto::HEADER_DEVICE, self.id.clone()),
            (crypto::HEADER_TIMESTAMP, ts.to_string()),
            (crypto::HEADER_NONCE, nonce.to_string()),
            (crypto::HEADER_SIGNATURE, sig),
        ]
    }

    /// Sends a signed request now with a fresh nonce.
    pub async fn send(
        &self,
        base: &str,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let bytes = body
            .map(|b| serde_json::to_vec(b).unwrap())
            .unwrap_or_default();
        let headers = self.headers(method, path, &bytes, Utc::now(), &crypto::new_nonce());
        send_raw(base, method, path, bytes, headers).await
    }
}

/// Sends a request with exactly these headers and body.
pub async fn send_raw(
    base: &str,
    method: &str,
    path: &str,
    body: Vec<u8>,
    headers: Vec<(&'static str, String)>,
) -> (u16, Value) {
    let mut req = request(base, method, path, headers);
    if !body.is_empty() {
        req = req.header("content-type", "application/json").body(body);
    }
    answer(req).await
}

/// Sends a request with exactly these headers and body, and no
/// `Content-Type` (curl without `-H`, a shell script).
pub async fn send_untyped(
    base: &str,
    method: &str,
    path: &str,
    body: Vec<u8>,
    headers: Vec<(&'static str, String)>,
) -> (u16, Value) {
    answer(request(base, method, path, headers).body(body)).await
}

/// `method base+path` with these headers, not sent yet.
fn request(
    base: &str,
    method: &str,
    path: &str,
    headers: Vec<(&'static str, String)>,
) -> reqwest::RequestBuilder {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = http().request(method, format!("{base}{path}"));
    for (k, v) in headers {
        req = req.header(k, v);
    }
    req
}

/// Sends `req`; its status and parsed body (Null if not JSON).
async fn answer(req: reqwest::RequestBuilder) -> (u16, Value) {
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Waits (polling every 20 ms, at most `secs`) until `check` holds.
pub async fn eventually<F, Fut>(secs: u64, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    false
}

/// Opens the device's event stream; events arrive as `(event, data)`.
pub async fn open_stream(
    base: &str,
    device: &TestDevice,
) -> tokio::sync::mpsc::UnboundedReceiver<(String, Value)> {
    use futures_util::StreamExt as _;
    let headers = device.headers("GET", "/v1/stream", b"", Utc::now(), &crypto::new_nonce());
    let mut req = http().get(format!("{base}/v1/stream"));
    for (k, v) in headers {
        req = req.header(k, v);
    }
    let response = req.send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut body = response.bytes_stream();
        let mut buffer = String::new();
        while let Some(Ok(chunk)) = body.next().await {
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find("\n\n") {
                let block: String = buffer.drain(..end + 2).collect();
                let mut event = String::new();
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_string();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if !event.is_empty()
                    && tx
                        .send((event, serde_json::from_str(&data).unwrap_or(Value::Null)))
                        .is_err()
                {
                    return;
                }
            }
        }
    });
    rx
}

/// The next `page` event within `secs`, skipping `changed` hints.
pub async fn next_page(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<(String, Value)>,
    secs: u64,
) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some((event, data))) if event == "page" => return Some(data["page"].clone()),
            Ok(Some(_)) => continue,
            _ => return None,
        }
    }
}

/// `method base+path` on the admin API (bearer [`ADMIN`]), with `body` as
/// JSON when given: its status and JSON body (Null if not JSON).
pub async fn admin_request(
    base: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = http()
        .request(method, format!("{base}{path}"))
        .bearer_auth(ADMIN);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// One alert with its timeline, from the admin API.
pub async fn alert_detail(base: &str, id: &str) -> Value {
    http()
        .get(format!("{base}/v1/admin/alerts/{id}"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// How many timeline entries of `kind` ("notified", "acknowledged", …)
/// the alert (from [`alert_detail`]) has.
pub fn count(alert: &Value, kind: &str) -> usize {
    alert["timeline"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"]["kind"] == kind)
        .count()
}

/// The relay's Prometheus text from `GET /metrics`.
pub async fn metrics(base: &str) -> String {
    http()
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The relay's `klaxon_pending_deadlines` gauge.
pub async fn pending_deadlines(base: &str) -> u64 {
    metrics(base)
        .await
        .lines()
        .find_map(|l| l.strip_prefix("klaxon_pending_deadlines "))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// The instants of the alert's `notified` timeline entries, with who was paged.
pub fn notifications(alert: &Value) -> Vec<(DateTime<Utc>, Vec<String>)> {
    notified_entries(alert)
        .into_iter()
        .map(|(at, people, _)| (at, people))
        .collect()
}

/// Each `notified` timeline entry of the alert: when, who was paged, and
/// who of them could not be reached (empty when the entry names nobody).
pub fn notified_entries(alert: &Value) -> Vec<(DateTime<Utc>, Vec<String>, Vec<String>)> {
    alert["timeline"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"]["kind"] == "notified")
        .map(|e| {
            (
                e["at"].as_str().unwrap().parse().unwrap(),
                serde_json::from_value(e["event"]["people"].clone()).unwrap(),
                serde_json::from_value(e["event"]["unreachable"].clone()).unwrap_or_default(),
            )
        })
        .collect()
}
