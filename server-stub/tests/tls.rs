//! The relay's own TLS: HTTP/2 and HTTP/1.1 chosen by ALPN, events
//! committed over both, the certificate swapped while serving (new
//! connections get the new one, open ones keep working), a bad new pair
//! refused with the old kept, a client that never says hello dropped, and
//! HTTP/2 requests held to the same body timer and graceful shutdown as
//! HTTP/1.1 ones.

use klaxon_relay::tls::Certificates;
use klaxon_testkit::relay as common;

use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A fresh self-signed certificate for 127.0.0.1 and localhost, written to
/// `cert.pem` and `key.pem` in `dir`; returns the certificate's PEM.
fn self_signed(dir: &Path) -> String {
    let made =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    std::fs::write(dir.join("cert.pem"), made.cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), made.signing_key.serialize_pem()).unwrap();
    made.cert.pem()
}

/// The certificate and key files `self_signed` writes.
fn files(dir: &Path) -> (PathBuf, PathBuf) {
    (dir.join("cert.pem"), dir.join("key.pem"))
}

/// A relay serving TLS with the pair in `dir`, and its `https://` base.
async fn start_tls(
    dir: &Path,
    build: impl FnOnce(klaxon_relay::Relay) -> klaxon_relay::Relay,
) -> (klaxon_relay::RunningRelay, String, Arc<Certificates>) {
    let (cert, key) = files(dir);
    let certs = Arc::new(Certificates::load(cert, key).unwrap());
    let tls = certs.clone();
    let (relay, base) = start_built(dir, move |r| build(r.tls(tls))).await;
    let base = base.replacen("http://", "https://", 1);
    (relay, base, certs)
}

/// A client trusting `ca_pem` alone (no system roots), HTTP/2 offered by
/// ALPN, never assumed (no prior knowledge).
fn client(ca_pem: &str) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap()])
        .build()
        .unwrap()
}

/// The same, HTTP/1.1 only.
fn http1_client(ca_pem: &str) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap()])
        .http1_only()
        .build()
        .unwrap()
}

/// Sends a trigger; returns the HTTP version used, the status and the body.
async fn trigger_over(
    client: &reqwest::Client,
    base: &str,
    dedup: &str,
) -> reqwest::Result<(reqwest::Version, u16, Value)> {
    let r = client
        .post(format!("{base}/v2/enqueue"))
        .json(&trigger(API_KEY, dedup, "over TLS", "critical"))
        .send()
        .await?;
    let version = r.version();
    let status = r.status().as_u16();
    Ok((version, status, r.json().await.unwrap_or(Value::Null)))
}

/// The admin listing's alert with this dedup key, over `client`.
async fn listed(client: &reqwest::Client, base: &str, dedup: &str) -> Option<Value> {
    alerts_over(client, base)
        .await
        .into_iter()
        .find(|a| a["dedup_key"] == dedup)
}

#[tokio::test]
async fn http2_and_http1_are_negotiated_by_alpn_and_both_commit_events() {
    let dir = tempfile::tempdir().unwrap();
    let ca = self_signed(dir.path());
    let (relay, base, _) = start_tls(dir.path(), |r| r).await;

    let h2 = client(&ca);
    let (version, status, body) = trigger_over(&h2, &base, "tls-h2").await.unwrap();
    assert_eq!(version, reqwest::Version::HTTP_2, "ALPN chose h2");
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["dedup_key"], "tls-h2");
    let alert = listed(&h2, &base, "tls-h2").await.expect("committed");
    assert_eq!(alert["paged"], serde_json::json!(["alice"]));

    let h1 = http1_client(&ca);
    let (version, status, body) = trigger_over(&h1, &base, "tls-h1").await.unwrap();
    assert_eq!(version, reqwest::Version::HTTP_11);
    assert_eq!(status, 202, "{body}");
    assert!(listed(&h1, &base, "tls-h1").await.is_some());

    // Plain HTTP on the TLS port is not served.
    let plain = base.replacen("https://", "http://", 1);
    assert!(http().get(format!("{plain}/healthz")).send().await.is_err());
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_reload_serves_the_new_certificate_to_new_connections_and_keeps_open_ones() {
    let dir = tempfile::tempdir().unwrap();
    let old_ca = self_signed(dir.path());
    let (relay, base, certs) = start_tls(dir.path(), |r| r).await;

    // A client holding an open HTTP/2 connection under the old certificate.
    let old = client(&old_ca);
    let (version, status, _) = trigger_over(&old, &base, "before-reload").await.unwrap();
    assert_eq!((version, status), (reqwest::Version::HTTP_2, 202));

    // A new pair in the same files, then what SIGHUP does.
    let new_ca = self_signed(dir.path());
    assert_ne!(old_ca, new_ca);
    certs.reload().unwrap();

    // New connections get the new certificate: a client trusting it alone
    // gets in, a new one trusting only the old is refused.
    let (_, status, _) = trigger_over(&client(&new_ca), &base, "after-reload")
        .await
        .unwrap();
    assert_eq!(status, 202);
    assert!(
        trigger_over(&client(&old_ca), &base, "refused")
            .await
            .is_err(),
        "a new connection still got the old certificate"
    );
    // The open connection was not dropped: the old client still gets in,
    // which it could only do on the connection it already had.
    let (version, status, _) = trigger_over(&old, &base, "on-the-open-one").await.unwrap();
    assert_eq!((version, status), (reqwest::Version::HTTP_2, 202));

    // A bad new pair is refused, naming the file, and the current one stays.
    let (_, key) = files(dir.path());
    std::fs::write(&key, "not a key").unwrap();
    let error = certs.reload().unwrap_err().to_string();
    assert!(error.contains(&key.display().to_string()), "{error}");
    assert!(error.starts_with("--tls-key "), "{error}");
    let (_, status, _) = trigger_over(&client(&new_ca), &base, "kept").await.unwrap();
    assert_eq!(status, 202);
    relay.shutdown().await.unwrap();
}

#[test]
fn a_bad_pair_at_start_is_one_line_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    self_signed(dir.path());
    let (cert, key) = files(dir.path());
    let missing = dir.path().join("missing.pem");
    let error = Certificates::load(&missing, &key).unwrap_err().to_string();
    assert!(
        error.starts_with(&format!("--tls-cert {}: ", missing.display())),
        "{error}"
    );
    let error = Certificates::load(&cert, &cert).unwrap_err().to_string();
    assert!(
        error.starts_with(&format!("--tls-key {}: ", cert.display())),
        "{error}"
    );
    let error = Certificates::load(&key, &key).unwrap_err().to_string();
    assert!(
        error.starts_with(&format!("--tls-cert {}: ", key.display())),
        "{error}"
    );
    // Another certificate's key.
    let other = tempfile::tempdir().unwrap();
    self_signed(other.path());
    let (_, other_key) = files(other.path());
    let error = Certificates::load(&cert, &other_key)
        .unwrap_err()
        .to_string();
    assert!(error.contains("not the key of the certificate"), "{error}");
    assert_eq!(error.lines().count(), 1, "{error}");
}

#[tokio::test]
async fn a_client_that_never_says_hello_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    self_signed(dir.path());
    let (relay, base, _) = start_tls(dir.path(), |r| {
        r.request_timeout(Duration::from_millis(500))
    })
    .await;
    let plain = base.replacen("https://", "http://", 1);
    let started = Instant::now();
    // TCP open, no ClientHello.
    let mut silent = send_partial(&plain, b"").await;
    // Half a ClientHello record header.
    let mut halfway = send_partial(&plain, &[0x16, 0x03, 0x01]).await;
    assert!(closed_within(&mut silent, 5).await, "still held");
    assert!(closed_within(&mut halfway, 5).await, "still held");
    assert!(started.elapsed() < Duration::from_secs(4));
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_http2_body_that_stalls_is_answered_408() {
    let dir = tempfile::tempdir().unwrap();
    let ca = self_signed(dir.path());
    let (relay, base, _) = start_tls(dir.path(), |r| {
        r.request_timeout(Duration::from_millis(500))
    })
    .await;
    let h2 = client(&ca);
    let first: Result<Vec<u8>, std::io::Error> = Ok(b"{\"routing\"".to_vec());
    let body = futures_util::StreamExt::chain(
        futures_util::stream::iter([first]),
        futures_util::stream::pending(),
    );
    let started = Instant::now();
    let answer = tokio::time::timeout(
        Duration::from_secs(10),
        h2.post(format!("{base}/v2/enqueue"))
            .header("content-type", "application/json")
            .body(reqwest::Body::wrap_stream(body))
            .send(),
    )
    .await
    .expect("answered while the body stalls")
    .unwrap();
    assert_eq!(answer.version(), reqwest::Version::HTTP_2);
    assert_eq!(answer.status().as_u16(), 408);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["status"], "request timeout", "{body}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // The connection is still good for the next request.
    let (version, status, _) = trigger_over(&h2, &base, "after-408").await.unwrap();
    assert_eq!((version, status), (reqwest::Version::HTTP_2, 202));
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn shutdown_closes_idle_http2_connections_at_once_and_drops_stalled_ones_after_the_grace() {
    let dir = tempfile::tempdir().unwrap();
    let ca = self_signed(dir.path());
    let (relay, base, _) = start_tls(dir.path(), |r| {
        r.request_timeout(Duration::from_secs(120))
            .shutdown_grace(Duration::from_millis(300))
    })
    .await;
    // An idle HTTP/2 connection in the client's pool.
    let h2 = client(&ca);
    let (version, _, _) = trigger_over(&h2, &base, "idle-then").await.unwrap();
    assert_eq!(version, reqwest::Version::HTTP_2);
    // An HTTP/2 request whose body never ends.
    let first: Result<Vec<u8>, std::io::Error> = Ok(b"{".to_vec());
    let body = futures_util::StreamExt::chain(
        futures_util::stream::iter([first]),
        futures_util::stream::pending(),
    );
    let stalled = tokio::spawn(
        h2.post(format!("{base}/v2/enqueue"))
            .body(reqwest::Body::wrap_stream(body))
            .send(),
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let stopped = tokio::time::timeout(Duration::from_secs(20), relay.shutdown()).await;
    assert!(
        matches!(stopped, Ok(Ok(()))),
        "shutdown waited for a stalled stream"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let ended = tokio::time::timeout(Duration::from_secs(5), stalled).await;
    assert!(ended.is_ok(), "the stalled request was not dropped");
}
