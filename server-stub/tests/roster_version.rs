//! The relay hands out its roster's version with every sync and as the
//! stream's first event (`hello`), and a relay started with another roster
//! hands out another version — how a phone or the terminal pager knows to
//! fetch the roster again.

use klaxon_testkit::relay as common;

use common::*;
use klaxon_domain::Roster;
use klaxon_relay::Relay;
use serde_json::Value;

/// The version in a sync answer and in the stream's `hello`.
async fn versions(base: &str, device: &TestDevice) -> (Value, Value) {
    let (status, sync) = device.send(base, "GET", "/v1/sync?cursor=0", None).await;
    assert_eq!(status, 200, "{sync}");
    let mut stream = open_stream(base, device).await;
    let (event, hello) = tokio::time::timeout(std::time::Duration::from_secs(5), stream.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(event, "hello");
    assert_eq!(hello["type"], "hello");
    (
        sync["roster_version"].clone(),
        hello["roster_version"].clone(),
    )
}

#[tokio::test]
async fn sync_and_stream_hello_carry_the_roster_version_which_follows_the_roster() {
    let dir = tempfile::tempdir().unwrap();
    let text = klaxon_testkit::fixtures::RELAY_ROSTER;
    let (relay, base) = start(dir.path(), None).await;
    let alice = enroll(&base, "alice").await;
    let (synced, hello) = versions(&base, &alice).await;
    let version = Roster::parse(text).unwrap().version;
    assert_eq!(version.len(), 16);
    assert_eq!(
        (synced.as_str(), hello.as_str()),
        (Some(&*version), Some(&*version))
    );
    relay.shutdown().await.unwrap();

    // The same database, an edited roster: another version.
    let edited = text.replace("name = \"Alice Chen\"", "name = \"Alice Chen-Ito\"");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let relay = Relay::new(Roster::parse(&edited).unwrap(), db(dir.path()))
        .start(listener)
        .await
        .unwrap();
    let base = format!("http://{}", relay.local_addr());
    let (synced, hello) = versions(&base, &alice).await;
    assert_ne!(synced.as_str(), Some(&*version));
    assert_eq!(synced, hello);
    assert_eq!(
        synced.as_str(),
        Some(&*Roster::parse(&edited).unwrap().version)
    );
    relay.shutdown().await.unwrap();
}
