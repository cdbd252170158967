//! Live overrides against a real relay: one added with the admin token and
//! one taken from a signed device each page the new person on the next
//! trigger, without a restart; they survive a restart; the newest of two
//! overlapping ones wins and the listing says what each changes; refusals
//! name their field; every change lands in the audit log.

use chrono::{Duration, Utc};
use klaxon_testkit::relay::admin_request as admin;
use klaxon_testkit::relay::{alert_by_key, enroll, send_trigger, start};
use serde_json::{json, Value};

/// Whom the alert with `dedup`'s first step paged (it fires at once; a
/// step nobody can reach hands on to bob, who has a device later).
async fn paged(base: &str, dedup: &str) -> Value {
    json!([alert_by_key(base, dedup).await.unwrap()["paged"][0]])
}

fn window(hours: i64) -> (String, String) {
    let now = Utc::now();
    (
        now.to_rfc3339(),
        (now + Duration::hours(hours)).to_rfc3339(),
    )
}

#[tokio::test]
async fn overrides_from_the_admin_api_and_a_device_page_the_new_person_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start(dir.path(), None).await;
    send_trigger(&base, "before", "disk").await;
    assert_eq!(paged(&base, "before").await, json!(["alice"]));

    // The operator puts dave on call in primary for two hours.
    let (from, to) = window(2);
    let (status, added) = admin(
        &base,
        "POST",
        "/v1/admin/overrides",
        Some(json!({"schedule": "primary", "person": "dave", "from": from, "to": to})),
    )
    .await;
    assert_eq!(status, 201, "{added}");
    assert_eq!(added["changes"][0]["instead_of"], json!(["alice"]));
    send_trigger(&base, "admin-override", "disk").await;
    assert_eq!(paged(&base, "admin-override").await, json!(["dave"]));

    // Bob covers from his phone for one hour: newer, so he wins there.
    let bob = enroll(&base, "bob").await;
    let (from, to) = window(1);
    let (status, taken) = bob
        .send(
            &base,
            "POST",
            "/v1/overrides",
            Some(&json!({"schedule": "primary", "from": from, "to": to})),
        )
        .await;
    assert_eq!(status, 201, "{taken}");
    assert_eq!(taken["person"], "bob");
    assert_eq!(taken["created_by"], "person:bob");
    send_trigger(&base, "device-override", "disk").await;
    assert_eq!(paged(&base, "device-override").await, json!(["bob"]));

    // The listing: dave's override is superseded by bob's for its first hour.
    let (status, list) = admin(&base, "GET", "/v1/admin/overrides?schedule=primary", None).await;
    assert_eq!(status, 200);
    let list = list.as_array().unwrap().clone();
    assert_eq!(list.len(), 2, "{list:?}");
    assert_eq!(list[0]["superseded_by"], json!([taken["id"]]));
    let dave = list[0]["changes"].as_array().unwrap();
    assert_eq!(dave.last().unwrap()["start"], taken["to"], "{dave:?}");
    assert_eq!(list[1]["changes"][0]["instead_of"], json!(["alice"]));

    // A device may only put itself on call, in a schedule of its teams.
    let (status, body) = bob
        .send(
            &base,
            "POST",
            "/v1/overrides",
            Some(&json!({"schedule": "primary", "person": "carol", "from": from, "to": to})),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["message"].as_str().unwrap().starts_with("person:"),
        "{body}"
    );
    let (status, body) = bob
        .send(
            &base,
            "POST",
            "/v1/overrides",
            Some(&json!({"schedule": "web", "from": from, "to": to})),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["message"].as_str().unwrap().starts_with("schedule:"),
        "{body}"
    );

    // Survives a restart.
    relay.shutdown().await.unwrap();
    let (relay, base) = start(dir.path(), None).await;
    send_trigger(&base, "after-restart", "disk").await;
    assert_eq!(paged(&base, "after-restart").await, json!(["bob"]));

    // Removing bob's override hands the hour back to dave.
    let path = format!("/v1/admin/overrides/{}", taken["id"]);
    let (status, _) = admin(&base, "DELETE", &path, None).await;
    assert_eq!(status, 200);
    let (status, _) = admin(&base, "DELETE", &path, None).await;
    assert_eq!(status, 404);
    send_trigger(&base, "after-remove", "disk").await;
    assert_eq!(paged(&base, "after-remove").await, json!(["dave"]));

    // Who is on call, from the relay, overrides included.
    let (status, who) = admin(&base, "GET", "/v1/admin/schedules/primary", None).await;
    assert_eq!(status, 200);
    assert_eq!(who["on_call"], json!(["dave"]));

    // The audit log has each change, with who made it.
    let (status, audit) = admin(&base, "GET", "/v1/admin/audit", None).await;
    assert_eq!(status, 200);
    let seen: Vec<(String, String)> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["who"].as_str().unwrap().to_string(),
                e["action"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("admin".to_string(), "override.add".to_string()),
            ("person:bob".to_string(), "override.add".to_string()),
            ("admin".to_string(), "override.remove".to_string()),
        ]
    );
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn refused_overrides_name_their_field() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, base) = start(dir.path(), None).await;
    let now = Utc::now();
    let cases = [
        (
            json!({"schedule": "primary", "person": "dave",
                   "from": (now - Duration::days(2)).to_rfc3339(), "to": (now - Duration::days(1)).to_rfc3339()}),
            "to:",
        ),
        (
            json!({"schedule": "primary", "person": "dave",
                   "from": now.to_rfc3339(), "to": (now + Duration::days(91)).to_rfc3339()}),
            "to:",
        ),
        (
            json!({"schedule": "primary", "person": "zed",
                   "from": now.to_rfc3339(), "to": (now + Duration::hours(1)).to_rfc3339()}),
            "person:",
        ),
        (
            json!({"schedule": "nope", "person": "dave",
                   "from": now.to_rfc3339(), "to": (now + Duration::hours(1)).to_rfc3339()}),
            "schedule:",
        ),
        (
            json!({"schedule": "primary", "person": "dave", "replacing": "zed",
                   "from": now.to_rfc3339(), "to": (now + Duration::hours(1)).to_rfc3339()}),
            "replacing:",
        ),
        (
            json!({"schedule": "primary", "person": "dave", "from": "tomorrow", "to": now.to_rfc3339()}),
            "from",
        ),
    ];
    for (body, field) in cases {
        let (status, answer) =
            admin(&base, "POST", "/v1/admin/overrides", Some(body.clone())).await;
        assert_eq!(status, 400, "{body} → {answer}");
        assert_eq!(answer["status"], "invalid request", "{answer}");
        let errors = answer["errors"].as_array().unwrap();
        assert!(
            errors
                .iter()
                .any(|e| e.as_str().unwrap().starts_with(field)),
            "{body} → {answer}"
        );
    }
    let (status, list) = admin(&base, "GET", "/v1/admin/overrides", None).await;
    assert_eq!((status, list), (200, json!([])));
    relay.shutdown().await.unwrap();
}
