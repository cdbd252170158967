//! A relay's time limits and its health on a real relay: a body that stalls
//! is answered 408 (the event stream is not cut), a shutdown drops clients
//! still open after its grace period but still answers an event being
//! committed, and `/healthz` refuses with the body of every refusal while
//! the store cannot commit.

use klaxon_testkit::relay as common;

use chrono::Utc;
use common::*;
use klaxon_crypto as crypto;
use serde_json::Value;
use std::time::{Duration, Instant};

/// A request head announcing a 1000-byte body, then the first 10 bytes.
fn stalled(method: &str, path: &str, extra_headers: &[(&'static str, String)]) -> Vec<u8> {
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nhost: relay\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n"
    );
    for (name, value) in extra_headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n{\"routing\"");
    head.into_bytes()
}

/// A relay on a fresh database whose request timeout is `ms` milliseconds;
/// the directory must live as long as the relay.
async fn timing_out_after(ms: u64) -> (tempfile::TempDir, klaxon_relay::RunningRelay, String) {
    let dir = tempfile::tempdir().unwrap();
    let timeout = Duration::from_millis(ms);
    let (relay, base) = start_built(dir.path(), |r| r.request_timeout(timeout)).await;
    (dir, relay, base)
}

#[tokio::test]
async fn a_body_that_stalls_is_answered_408_in_json() {
    let (_dir, relay, base) = timing_out_after(500).await;
    let alice = enroll(&base, "alice").await;
    // The signature covers a body that never fully arrives; the relay
    // must give up on reading it before it can even check that.
    let signed = |method: &str, path: &str| -> Vec<(&'static str, String)> {
        alice.headers(method, path, b"", Utc::now(), &crypto::new_nonce())
    };
    let admin = vec![("authorization", format!("Bearer {ADMIN}"))];
    for (method, path, headers) in [
        ("POST", "/v2/enqueue".to_string(), vec![]),
        ("POST", format!("/v1/alertmanager/{API_KEY}"), vec![]),
        ("POST", "/v1/devices/enroll".to_string(), vec![]),
        ("POST", "/v1/admin/invites".to_string(), admin),
        (
            "POST",
            "/v1/actions".to_string(),
            signed("POST", "/v1/actions"),
        ),
        // Even the stream's GET: a body sent with it must arrive in time.
        ("GET", "/v1/stream".to_string(), signed("GET", "/v1/stream")),
    ] {
        let started = Instant::now();
        let mut stream = send_partial(&base, &stalled(method, &path, &headers)).await;
        let answer = read_answer(&mut stream, 10).await;
        let Some((status, body)) = answer else {
            panic!("{path}: no answer within 10 s to a stalled body");
        };
        assert_eq!(status, 408, "{path}: {body}");
        assert_eq!(body["status"], "request timeout", "{path}: {body}");
        assert_eq!(
            body["errors"],
            serde_json::json!(["body: 10 of 1000 bytes arrived within 0.5 s"]),
            "{path}"
        );
        assert!(started.elapsed() < Duration::from_secs(5), "{path}");
    }
    // The refused ingest requests count as rejected events.
    let metrics = metrics(&base).await;
    assert!(
        metrics.contains("klaxon_events_rejected_total{code=\"408\"} 2"),
        "{metrics}"
    );
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_event_stream_outlives_the_request_timeout() {
    let (_dir, relay, base) = timing_out_after(300).await;
    let alice = enroll(&base, "alice").await;
    let mut events = open_stream(&base, &alice).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (status, _) =
        enqueue_trigger(&base, API_KEY, "late", "after the timeout", "critical").await;
    assert_eq!(status, 202);
    let page = next_page(&mut events, 10).await;
    assert_eq!(page.expect("the stream is still open")["dedup_key"], "late");
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn shutdown_drops_clients_still_open_after_the_grace_period() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start_built(dir.path(), |r| {
        r.request_timeout(Duration::from_secs(120))
            .shutdown_grace(Duration::from_millis(300))
    })
    .await;
    // One client stalls mid-body, another mid-headers.
    let mut body = send_partial(&base, &stalled("POST", "/v2/enqueue", &[])).await;
    let mut head = send_partial(&base, b"POST /v2/enqueue HTTP/1.1\r\nhost: re").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let stopped = tokio::time::timeout(Duration::from_secs(20), relay.shutdown()).await;
    assert!(
        matches!(stopped, Ok(Ok(()))),
        "shutdown waited for stalled clients"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(closed_within(&mut body, 5).await);
    assert!(closed_within(&mut head, 5).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_being_committed_when_the_grace_ends_is_still_answered() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) =
        start_built(dir.path(), |r| r.shutdown_grace(Duration::from_millis(100))).await;
    // The store cannot commit until the lock goes: the event waits in its
    // commit, past the grace period.
    let lock = hold_write_lock(dir.path());
    let sent = tokio::spawn({
        let base = base.clone();
        async move {
            enqueue_trigger(
                &base,
                API_KEY,
                "mid-commit",
                "in flight at shutdown",
                "critical",
            )
            .await
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stopping = tokio::spawn(relay.shutdown());
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(
        !sent.is_finished(),
        "the event was answered while locked out"
    );
    drop(lock);
    let (status, body) = tokio::time::timeout(Duration::from_secs(20), sent)
        .await
        .expect("answered once the store commits")
        .unwrap();
    assert_eq!(status, 202, "{body}");
    tokio::time::timeout(Duration::from_secs(20), stopping)
        .await
        .expect("shutdown finishes")
        .unwrap()
        .unwrap();
    // It is on disk.
    let conn = rusqlite::Connection::open(db(dir.path())).unwrap();
    let stored: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM alerts WHERE dedup_key = 'mid-commit'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stored, 1);
}

#[tokio::test]
async fn healthz_refuses_with_errors_while_the_store_cannot_commit() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start(dir.path(), None).await;
    let health = || async {
        let r = http().get(format!("{base}/healthz")).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json::<Value>().await.unwrap())
    };
    assert_eq!(health().await.0, 200);
    let lock = hold_write_lock(dir.path());
    let (status, body) = health().await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "unavailable");
    assert!(body["message"].is_string(), "{body}");
    let errors = body["errors"].as_array().expect("an errors array");
    assert_eq!(errors.len(), 1, "{body}");
    assert!(errors[0].as_str().unwrap().starts_with("store: "), "{body}");
    drop(lock);
    assert!(eventually(10, || async { health().await.0 == 200 }).await);
    relay.shutdown().await.unwrap();
}

/// The relay's side of the TCP connection from `client` (a local port) to
/// the relay's `server` port, as `/proc/net/tcp` states it (`01` is
/// ESTABLISHED), or `None` when the relay has no such socket any more.
#[cfg(target_os = "linux")]
fn server_side_state(server: u16, client: u16) -> Option<String> {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    let port = |address: &str| {
        address
            .rsplit(':')
            .next()
            .and_then(|p| u16::from_str_radix(p, 16).ok())
    };
    table.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        (port(fields[1]) == Some(server) && port(fields[2]) == Some(client))
            .then(|| fields[3].to_string())
    })
}

/// A client that sends requests but never reads the answers must not hold
/// its connection (the relay's task, buffers and socket) forever: once
/// nothing it is sent has been taken for the request timeout, it is dropped.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_client_that_never_takes_its_answers_is_dropped() {
    use tokio::io::AsyncWriteExt as _;
    let (_dir, relay, base) = timing_out_after(500).await;
    let addr: std::net::SocketAddr = base.trim_start_matches("http://").parse().unwrap();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(addr).await.unwrap();
    let client = stream.local_addr().unwrap().port();
    assert_eq!(
        server_side_state(addr.port(), client).as_deref(),
        Some("01"),
        "the relay's side of the connection is found"
    );
    let (_reader, mut writer) = stream.into_split();
    // Pipelined requests whose answers fill both sides' buffers, since
    // nobody reads them. The writing stalls too once the relay stops
    // reading; it runs on its own and is never awaited.
    let requests = b"GET /metrics HTTP/1.1\r\nhost: relay\r\n\r\n".repeat(20_000);
    let writing = tokio::spawn(async move {
        let _ = writer.write_all(&requests).await;
        writer
    });
    // Well past the time limit, the relay has let go of it.
    let dropped = eventually(10, || async {
        server_side_state(addr.port(), client).as_deref() != Some("01")
    })
    .await;
    assert!(
        dropped,
        "the relay still holds a connection that reads nothing"
    );
    writing.abort();
    relay.shutdown().await.unwrap();
}
