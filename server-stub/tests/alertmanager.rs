//! Alertmanager webhook (version 4) on a real relay: alerts keyed by
//! fingerprint, firing triggers, resolved resolves, `severity` sets the
//! priority, annotations fill the page; bad payloads are 4xx.

use klaxon_testkit::relay as common;

use common::*;
use serde_json::{json, Value};

/// POSTs `hook` to the infra service's Alertmanager endpoint; the status
/// and parsed body.
async fn post_hook(base: &str, hook: &Value) -> (u16, Value) {
    post(base, &format!("/v1/alertmanager/{API_KEY}"), hook).await
}

/// The status of the newest alert with this dedup key, which must exist.
async fn status_of(base: &str, dedup: &str) -> Value {
    alert_by_key(base, dedup).await.unwrap()["status"].clone()
}

/// A version 4 webhook of group `DiskFull` with `status` and `alerts`.
fn webhook(status: &str, alerts: Vec<Value>) -> Value {
    json!({
        "version": "4",
        "groupKey": "{}:{alertname=\"DiskFull\"}",
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "klaxon",
        "groupLabels": {"alertname": "DiskFull"},
        "commonLabels": {"alertname": "DiskFull"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example:9093",
        "alerts": alerts,
    })
}

/// A valid webhook with one firing critical alert (fingerprint `f`): what
/// the refusal cases spoil.
fn one_firing() -> Value {
    webhook("firing", vec![am_alert("firing", "f", "critical", "x")])
}

/// One Alertmanager alert of `DiskFull` on `instance`.
fn am_alert(status: &str, fingerprint: &str, severity: &str, instance: &str) -> Value {
    json!({
        "status": status,
        "labels": {"alertname": "DiskFull", "severity": severity, "instance": instance},
        "annotations": {
            "summary": format!("Disk full on {instance}"),
            "description": "The root filesystem is at 99%.",
            "runbook_url": "https://runbooks.example.com/disk",
        },
        "startsAt": "2026-03-02T10:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.example:9090/graph?g0.expr=disk",
        "fingerprint": fingerprint,
    })
}

#[tokio::test]
async fn firing_triggers_by_fingerprint_and_resolved_resolves() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start(dir.path(), None).await;
    let alice = enroll(&base, "alice").await;
    let mut rx = open_stream(&base, &alice).await;

    let body = webhook(
        "firing",
        vec![
            am_alert("firing", "aaaa1111", "critical", "db1"),
            am_alert("firing", "bbbb2222", "warning", "db2"),
        ],
    );
    let (status, answer) = post_hook(&base, &body).await;
    assert_eq!(status, 200, "{answer}");
    let page = next_page(&mut rx, 2).await.unwrap();
    assert_eq!(page["runbook"], "https://runbooks.example.com/disk");
    let all = alerts(&base).await;
    assert_eq!(all.len(), 2);
    let db1 = alert_by_key(&base, "aaaa1111").await.unwrap();
    assert_eq!(db1["priority"], "critical");
    assert_eq!(db1["summary"], "Disk full on db1");
    assert_eq!(
        alert_by_key(&base, "bbbb2222").await.unwrap()["priority"],
        "low"
    );

    // Alertmanager re-sends the group: same fingerprints, no new alerts.
    assert_eq!(post_hook(&base, &body).await.0, 200);
    assert_eq!(alerts(&base).await.len(), 2);

    // The description reaches the device.
    let (_, sync) = alice.send(&base, "GET", "/v1/sync", None).await;
    let view = sync["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["dedup_key"] == "aaaa1111")
        .unwrap()
        .clone();
    assert_eq!(
        view["details"]["description"],
        "The root filesystem is at 99%."
    );
    assert_eq!(view["details"]["source"], "db1");

    // One resolves.
    let (status, _) = post_hook(
        &base,
        &webhook(
            "resolved",
            vec![am_alert("resolved", "aaaa1111", "critical", "db1")],
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(status_of(&base, "aaaa1111").await, "resolved");
    assert_eq!(status_of(&base, "bbbb2222").await, "triggered");
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn unknown_severity_is_high_and_missing_fingerprint_uses_labels() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start(dir.path(), None).await;
    let mut a = am_alert("firing", "", "sev-whatever", "web1");
    a.as_object_mut().unwrap().remove("fingerprint");
    a["annotations"] = json!({});
    assert_eq!(
        post_hook(&base, &webhook("firing", vec![a.clone()]))
            .await
            .0,
        200
    );
    assert_eq!(post_hook(&base, &webhook("firing", vec![a])).await.0, 200);
    let all = alerts(&base).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["priority"], "high");
    assert_eq!(all[0]["summary"], "DiskFull");
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn bad_webhooks_are_4xx() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start(dir.path(), None).await;
    let ok = one_firing();
    let (status, _) = post(&base, "/v1/alertmanager/not-a-routing-key", &ok).await;
    assert_eq!(status, 404);
    let mut v3 = ok.clone();
    v3["version"] = json!("3");
    let (status, body) = post_hook(&base, &v3).await;
    assert_eq!(status, 400);
    assert!(body["errors"][0].as_str().unwrap().contains("version"));
    let mut bad = ok.clone();
    bad["alerts"][0]["status"] = json!("exploding");
    let (status, body) = post_hook(&base, &bad).await;
    assert_eq!(status, 400);
    assert!(body["errors"][0]
        .as_str()
        .unwrap()
        .contains("alerts[0].status"));
    let mut no_alerts = ok.clone();
    no_alerts.as_object_mut().unwrap().remove("alerts");
    assert_eq!(post_hook(&base, &no_alerts).await.0, 400);
    // A summary over 1024 characters is clipped, not refused.
    let mut long = ok;
    long["alerts"][0]["annotations"]["summary"] = json!("z".repeat(5000));
    assert_eq!(post_hook(&base, &long).await.0, 200);
    let s = alert_by_key(&base, "f").await.unwrap()["summary"]
        .as_str()
        .unwrap()
        .chars()
        .count();
    assert_eq!(s, 1024);
    assert!(alerts(&base).await.len() == 1);
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn mistakes_are_named_in_words_not_rust_debug_text() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start(dir.path(), None).await;
    let refusal = |change: &dyn Fn(&mut Value)| {
        let mut hook = one_firing();
        change(&mut hook);
        let base = base.clone();
        async move {
            let (status, body) = post_hook(&base, &hook).await;
            assert_eq!(status, 400, "{body}");
            assert_eq!(body["status"], "invalid event");
            body["errors"].clone()
        }
    };
    assert_eq!(
        refusal(&|h| h["alerts"][0]["status"] = json!("weird")).await,
        json!([r#"alerts[0].status: "weird" is not "firing" or "resolved""#])
    );
    assert_eq!(
        refusal(&|h| {
            h["alerts"][0].as_object_mut().unwrap().remove("status");
        })
        .await,
        json!([r#"alerts[0].status: missing; Alertmanager sends "firing" or "resolved""#])
    );
    assert_eq!(
        refusal(&|h| h["alerts"][0]["status"] = json!(5)).await,
        json!([r#"alerts[0].status: must be the string "firing" or "resolved", not the number 5"#])
    );
    assert_eq!(
        refusal(&|h| h["version"] = json!(4)).await,
        json!([r#"version: must be the string "4", not the number 4"#])
    );
    assert_eq!(
        refusal(&|h| {
            h.as_object_mut().unwrap().remove("version");
        })
        .await,
        json!([r#"version: missing; Alertmanager sends "4""#])
    );
    assert!(alerts(&base).await.is_empty());
    relay.shutdown().await.unwrap();
}
