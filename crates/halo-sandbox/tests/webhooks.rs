//! Outgoing webhooks: the events of ticket writes reach every active `Webhook` (and each
//! configured target) as Halo-shaped payloads, with Basic auth, payload types, event filters,
//! batching, retries and a `WebhookEvent` per attempt. A tiny receiver on 127.0.0.1:0 records
//! what it gets; `Sandbox::flush_webhooks` replaces every sleep.

mod common;

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use common::*;
use halo_sandbox::{Fire, FireError, MAX_FIRE, SandboxConfig, WebhookRetry, WebhookTarget};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Call {
    path: String,
    auth: Option<String>,
    body: Value,
    answered: u16,
}

/// A receiver on 127.0.0.1:0 that answers 500 to its first `fail_first` requests, then 200;
/// with `gate`, each request first waits for a permit.
struct Receiver {
    url: String,
    calls: Arc<Mutex<Vec<Call>>>,
}

impl Receiver {
    async fn start(fail_first: usize, gate: Option<Arc<Semaphore>>) -> Receiver {
        let calls: Arc<Mutex<Vec<Call>>> = Arc::default();
        let seen = Arc::clone(&calls);
        let failures = Arc::new(AtomicUsize::new(fail_first));
        let app = axum::Router::new().route(
            "/{*path}",
            axum::routing::post(
                move |Path(path): Path<String>, headers: HeaderMap, body: String| {
                    let (seen, failures, gate) = (seen.clone(), failures.clone(), gate.clone());
                    async move {
                        if let Some(gate) = gate {
                            gate.acquire().await.unwrap().forget();
                        }
                        let failing = failures
                            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                            .is_ok();
                        let answered = if failing { 500 } else { 200 };
                        seen.lock().unwrap().push(Call {
                            path,
                            auth: headers
                                .get("authorization")
                                .map(|v| v.to_str().unwrap().to_string()),
                            body: serde_json::from_str(&body).unwrap_or(Value::String(body)),
                            answered,
                        });
                        StatusCode::from_u16(answered).unwrap()
                    }
                },
            ),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { url, calls }
    }

    /// The URL of `path` on this receiver.
    fn at(&self, path: &str) -> String {
        format!("{}/{path}", self.url)
    }

    /// The requests it answered 200, in arrival order, for `path` (`None`: all).
    fn accepted(&self, path: Option<&str>) -> Vec<Call> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|c| c.answered == 200 && path.is_none_or(|p| c.path == p))
            .cloned()
            .collect()
    }

    fn events(&self, path: &str) -> Vec<String> {
        self.accepted(Some(path))
            .iter()
            .map(|c| c.body["event"].as_str().unwrap_or_default().to_string())
            .collect()
    }
}

/// Fast retries: three attempts, 10 ms apart and more.
fn quick() -> SandboxConfig {
    SandboxConfig {
        webhook_retry: WebhookRetry {
            attempts: 3,
            backoff: Duration::from_millis(10),
            timeout: Duration::from_secs(10),
        },
        ..small()
    }
}

/// Creates a webhook through the API; its id.
async fn webhook(api: &Api, fields: Value) -> String {
    let (status, saved) = api.post("Webhook", &json!([fields])).await;
    assert_eq!(status, 200, "{saved}");
    saved["id"].as_str().unwrap().to_string()
}

/// The delivery records of one webhook.
async fn records(api: &Api, hook: &str) -> Vec<Value> {
    let (status, list) = api.get(&format!("WebhookEvent?webhook_id={hook}")).await;
    assert_eq!(status, 200, "{list}");
    list.as_array().unwrap().clone()
}

#[tokio::test]
async fn every_ticket_event_reaches_the_webhook_in_order_with_basic_auth() {
    let rx = Receiver::start(0, None).await;
    let api = Api::start(quick()).await;
    let hook = webhook(
        &api,
        json!({"name": "all", "url": rx.at("all"), "active": true, "authentication_type": 1,
               "basic_username": "hook", "basic_password": "pw", "payload_type": 1}),
    )
    .await;
    let (_, ticket) = api
        .post(
            "Tickets",
            &json!([{"summary": "Webhook me", "client_id": 1}]),
        )
        .await;
    let id = ticket["id"].as_i64().unwrap();
    api.post("Tickets", &json!([{"id": id, "status_id": 2}]))
        .await;
    api.post("Tickets", &json!([{"id": id, "summary": "renamed"}]))
        .await;
    let (status, action) = api
        .post(
            "Actions",
            &json!([{"ticket_id": id, "outcome_id": 1, "note": "hi"}]),
        )
        .await;
    assert_eq!(status, 200, "{action}");
    api.post(
        "Actions",
        &json!([{"ticket_id": id, "outcome_id": 1, "new_status": 9}]),
    )
    .await;
    let (status, _) = api.delete(&format!("Tickets/{id}")).await;
    assert_eq!(status, 200);
    api.sb.flush_webhooks().await;

    assert_eq!(
        rx.events("all"),
        [
            "New Ticket Logged",
            "ticket status changed",
            "Ticket Updated",
            "Action Added",
            "Action Added",
            "ticket status changed",
            "Ticket Deleted"
        ]
    );
    let calls = rx.accepted(Some("all"));
    let mut stamps = Vec::new();
    for call in &calls {
        let p = &call.body;
        assert_eq!(call.auth.as_deref(), Some("Basic aG9vazpwdw=="), "{p}");
        assert_eq!(p["webhook_id"], hook.as_str());
        assert_eq!(p["object_id"], id);
        assert_eq!(p["ticket"]["id"], id);
        for key in ["id", "escmsg_id", "message", "timestamp"] {
            assert!(p[key].is_string(), "{key} in {p}");
        }
        assert!(p["notification_id"].is_u64(), "{p}");
        stamps.push(p["timestamp"].as_str().unwrap().to_string());
    }
    assert!(
        stamps.windows(2).all(|w| w[0] < w[1]),
        "distinct, increasing event times: {stamps:?}"
    );
    assert_eq!(calls[0].body["ticket"]["summary"], "Webhook me");
    assert_eq!(calls[1].body["ticket"]["status_id"], 2);
    assert_eq!(calls[3].body["action"]["note"], "hi");
    assert_eq!(calls[3].body["action"]["id"], action["id"]);
    assert_eq!(calls[5].body["ticket"]["status_id"], 9);
    assert_eq!(calls[6].body["ticket"]["deleted"], true);
    assert_eq!(
        calls[1].body["message"],
        format!("The status has been changed for Ticket ID: {id:07}.")
    );

    let mine = records(&api, &hook).await;
    assert_eq!(mine.len(), 7, "one successful attempt each");
    for record in &mine {
        assert_eq!(record["status"], "Success");
        assert_eq!(record["responsestatus"], 200);
        assert_eq!(record["entity_id"], id);
        assert!(record["error"].is_null());
        let sent: Value = serde_json::from_str(record["requestbody"].as_str().unwrap()).unwrap();
        assert_eq!(sent["webhook_id"], hook.as_str());
        assert!(
            !record.to_string().contains("aG9vazpwdw"),
            "no credential recorded"
        );
    }
}

#[tokio::test]
async fn failures_are_retried_with_the_same_payload_and_every_attempt_is_recorded() {
    let rx = Receiver::start(2, None).await;
    let refused = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/gone", listener.local_addr().unwrap())
    };
    let target =
        WebhookTarget::parse(&format!("{},basic cfg:secret", rx.at("configured"))).unwrap();
    let api = Api::start(SandboxConfig {
        webhooks: vec![target],
        ..quick()
    })
    .await;
    let down = webhook(&api, json!({"name": "down", "url": refused})).await;
    let (_, ticket) = api
        .post("Tickets", &json!([{"summary": "Retry me", "client_id": 1}]))
        .await;
    let id = ticket["id"].as_i64().unwrap();
    api.sb.flush_webhooks().await;

    let got = rx.accepted(Some("configured"));
    assert_eq!(got.len(), 1, "the third attempt succeeded");
    assert_eq!(got[0].auth.as_deref(), Some("Basic Y2ZnOnNlY3JldA=="));
    assert_eq!(got[0].body["event"], "New Ticket Logged");
    let failed = rx
        .calls
        .lock()
        .unwrap()
        .iter()
        .filter(|c| c.answered == 500)
        .count();
    assert_eq!(failed, 2);

    let (_, all) = api.get("WebhookEvent").await;
    let configured: Vec<&Value> = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["entity_id"] == id && r["webhook_id"] != down.as_str())
        .collect();
    let outcomes: Vec<(&str, i64)> = configured
        .iter()
        .map(|r| {
            (
                r["status"].as_str().unwrap(),
                r["responsestatus"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [("Failed", 500), ("Failed", 500), ("Success", 200)]
    );
    let bodies: Vec<&str> = configured
        .iter()
        .map(|r| r["requestbody"].as_str().unwrap())
        .collect();
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "retries resend the same delivery"
    );
    let attempts: Vec<i64> = configured
        .iter()
        .map(|r| r["attempt"].as_i64().unwrap())
        .collect();
    assert_eq!(attempts, [1, 2, 3]);

    let refused_records = records(&api, &down).await;
    assert_eq!(refused_records.len(), 3, "every attempt, none answered");
    for record in &refused_records {
        assert_eq!(record["status"], "Failed");
        assert!(record["responsestatus"].is_null(), "{record}");
        assert!(!record["error"].as_str().unwrap().is_empty(), "{record}");
        assert_eq!(record["webhook_id"], down.as_str());
    }
    let one = refused_records[0]["id"].as_str().unwrap();
    let (status, fetched) = api.get(&format!("WebhookEvent/{one}")).await;
    assert_eq!(status, 200);
    assert_eq!(fetched, refused_records[0]);
}

#[tokio::test]
async fn payload_types_and_event_lists_shape_what_each_webhook_gets() {
    let rx = Receiver::start(0, None).await;
    let api = Api::start(quick()).await;
    webhook(
        &api,
        json!({"name": "small", "url": rx.at("small"), "payload_type": 0,
               "events": [{"name": "New Ticket Logged"}]}),
    )
    .await;
    webhook(
        &api,
        json!({"name": "event only", "url": rx.at("event"), "payload_type": 2,
               "events": [{"name": "Ticket Updated"}]}),
    )
    .await;
    webhook(
        &api,
        json!({"name": "full", "url": rx.at("full"), "payload_type": 1,
               "events": [{"name": "Ticket Status Changed"}, {"name": "Ticket Reassigned"}]}),
    )
    .await;
    let (_, ticket) = api
        .post(
            "Tickets",
            &json!([{"summary": "Shapes", "client_id": 1, "details": "long details"}]),
        )
        .await;
    let id = ticket["id"].as_i64().unwrap();
    api.post("Tickets", &json!([{"id": id, "summary": "Shapes 2"}]))
        .await;
    api.post("Tickets", &json!([{"id": id, "status_id": 9}]))
        .await;
    api.sb.flush_webhooks().await;

    assert_eq!(rx.events("small"), ["New Ticket Logged"]);
    assert_eq!(rx.events("event"), ["Ticket Updated"]);
    assert_eq!(rx.events("full"), ["ticket status changed"]);
    let small = &rx.accepted(Some("small"))[0].body;
    assert_eq!(small["ticket"]["summary"], "Shapes");
    assert!(
        small["ticket"].get("details").is_none(),
        "key fields only: {small}"
    );
    let only = &rx.accepted(Some("event"))[0].body;
    let mut keys: Vec<&str> = only
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "escmsg_id",
            "event",
            "id",
            "notification_id",
            "object_id",
            "timestamp",
            "webhook_id"
        ]
    );
    let full = &rx.accepted(Some("full"))[0].body;
    assert_eq!(full["ticket"]["details"], "long details");
    assert_eq!(full["ticket"]["hasbeenclosed"], true);
    assert!(rx.accepted(Some("small")).iter().all(|c| c.auth.is_none()));
}

#[tokio::test]
async fn batching_webhooks_post_arrays_up_to_their_limit() {
    let rx = Receiver::start(0, None).await;
    let api = Api::start(quick()).await;
    webhook(
        &api,
        json!({"name": "batched", "url": rx.at("batched"), "batch_method": 3,
               "batch_limit": 5, "batch_delay_seconds": 3600}),
    )
    .await;
    let fired = api.sb.fire_webhooks(12).await.unwrap();
    assert_eq!((fired.events, fired.deliveries), (12, 12));
    api.sb.flush_webhooks().await;
    let sizes: Vec<usize> = rx
        .accepted(Some("batched"))
        .iter()
        .map(|c| c.body.as_array().map_or(0, Vec::len))
        .collect();
    assert_eq!(
        sizes,
        [5, 5, 2],
        "two full batches, the rest sent by the flush"
    );
    let ids: std::collections::HashSet<String> = rx
        .accepted(Some("batched"))
        .iter()
        .flat_map(|c| c.body.as_array().unwrap().clone())
        .map(|p| {
            assert_eq!(p["event"], "Ticket Updated");
            p["id"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(ids.len(), 12, "each payload its own delivery GUID");
}

#[tokio::test]
async fn a_batch_delay_groups_what_arrives_before_it_ends() {
    let rx = Receiver::start(0, None).await;
    let api = Api::start(quick()).await;
    webhook(
        &api,
        json!({"name": "delayed", "url": rx.at("delayed"), "batch_method": 1,
               "batch_delay_seconds": 1}),
    )
    .await;
    api.sb.fire_webhooks(3).await.unwrap();
    // No flush: the delay alone sends the batch.
    for _ in 0..600 {
        if !rx.accepted(Some("delayed")).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let got = rx.accepted(Some("delayed"));
    assert_eq!(got.len(), 1, "one delivery");
    assert_eq!(
        got[0].body.as_array().map(Vec::len),
        Some(3),
        "of all three"
    );
}

#[tokio::test]
async fn inactive_and_deleted_webhooks_get_nothing_and_cost_nothing() {
    let rx = Receiver::start(0, None).await;
    let api = Api::start(quick()).await;
    let fired = api.sb.fire_webhooks(5).await.unwrap();
    assert_eq!(
        fired.deliveries, 0,
        "the seeded webhook is inactive: nothing queued"
    );
    webhook(
        &api,
        json!({"name": "off", "url": rx.at("off"), "active": false}),
    )
    .await;
    let gone = webhook(&api, json!({"name": "gone", "url": rx.at("gone")})).await;
    let (status, read) = api.get(&format!("Webhook/{gone}")).await;
    assert_eq!((status, read["name"].as_str()), (200, Some("gone")));
    assert_eq!(api.sb.fire_webhooks(2).await.unwrap().deliveries, 2);
    api.sb.flush_webhooks().await;
    let (status, _) = api.delete(&format!("Webhook/{gone}")).await;
    assert_eq!(status, 200);
    assert_eq!(api.sb.fire_webhooks(2).await.unwrap().deliveries, 0);
    api.post(
        "Tickets",
        &json!([{"summary": "Nobody listens", "client_id": 1}]),
    )
    .await;
    api.sb.flush_webhooks().await;
    assert!(rx.accepted(Some("off")).is_empty());
    assert_eq!(rx.accepted(Some("gone")).len(), 2, "only while it existed");
}

#[tokio::test]
async fn a_write_answers_before_its_webhook_is_delivered() {
    let gate = Arc::new(Semaphore::new(0));
    let rx = Receiver::start(0, Some(Arc::clone(&gate))).await;
    let api = Api::start(quick()).await;
    let hook = webhook(&api, json!({"name": "slow", "url": rx.at("slow")})).await;
    let (status, _) = api
        .post(
            "Tickets",
            &json!([{"summary": "Fast write", "client_id": 1}]),
        )
        .await;
    assert_eq!(
        status, 200,
        "answered while the receiver still holds the delivery"
    );
    gate.add_permits(1);
    api.sb.flush_webhooks().await;
    assert_eq!(rx.events("slow"), ["New Ticket Logged"]);
    // Had the write waited for the delivery, the held attempts would have timed out.
    let attempts: Vec<Value> = records(&api, &hook)
        .await
        .iter()
        .map(|r| json!([r["attempt"], r["status"]]))
        .collect();
    assert_eq!(attempts, [json!([1, "Success"])]);
}

#[tokio::test]
async fn churn_deletes_raise_ticket_deleted() {
    let rx = Receiver::start(0, None).await;
    let api = Api::start(quick()).await;
    webhook(
        &api,
        json!({"name": "deletes", "url": rx.at("deletes"), "events": [{"name": "Ticket Deleted"}]}),
    )
    .await;
    let report = api
        .sb
        .churn(halo_sandbox::Churn::new(3).change(2).delete(2))
        .await
        .unwrap();
    api.sb.flush_webhooks().await;
    let mut deleted: Vec<i64> = rx
        .accepted(Some("deletes"))
        .iter()
        .map(|c| c.body["object_id"].as_i64().unwrap())
        .collect();
    deleted.sort_unstable();
    assert_eq!(deleted, report.deleted);
}

#[tokio::test]
async fn the_admin_routes_fire_and_flush() {
    let rx = Receiver::start(0, None).await;
    let api = Api::start(quick()).await;
    webhook(&api, json!({"name": "admin", "url": rx.at("admin")})).await;
    let admin = |path: &str| format!("{}/_sandbox/webhooks/{path}", api.sb.url());
    let resp = http()
        .post(admin("fire"))
        .json(&json!({"count": 40, "ticket_id": 3, "event": "new ticket logged"}))
        .send()
        .await
        .unwrap();
    let (status, body) = decode(resp).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"events": 40, "deliveries": 40}));
    let resp = http().post(admin("flush")).send().await.unwrap();
    assert_eq!(resp.status(), 204);
    let got = rx.accepted(Some("admin"));
    assert_eq!(got.len(), 40);
    assert!(
        got.iter()
            .all(|c| c.body["object_id"] == 3 && c.body["event"] == "New Ticket Logged")
    );

    for (fire, want) in [
        (json!({"count": 1, "event": "Ticket Reassigned"}), 400),
        (json!({"count": MAX_FIRE + 1}), 400),
        (json!({"count": 1, "ticket_id": 999_999}), 404),
    ] {
        let resp = http().post(admin("fire")).json(&fire).send().await.unwrap();
        let (status, body) = decode(resp).await;
        assert_eq!(status, want, "{fire}: {body}");
    }
    let err = api
        .sb
        .fire_webhooks_with(Fire {
            count: 1,
            event: Some("nope".into()),
            ..Fire::default()
        })
        .await
        .unwrap_err();
    assert!(matches!(err, FireError::UnknownEvent(_)), "{err}");
}

#[tokio::test]
async fn payloads_and_records_decode_with_the_client_models() {
    let rx = Receiver::start(0, None).await;
    let api = Api::start(quick()).await;
    let hook = webhook(
        &api,
        json!({"name": "typed", "url": rx.at("typed"), "batch_method": 2, "batch_limit": 2,
               "batch_delay_seconds": 3600}),
    )
    .await;
    let (_, ticket) = api
        .post("Tickets", &json!([{"summary": "Typed", "client_id": 1}]))
        .await;
    let id = ticket["id"].as_i64().unwrap();
    api.post("Tickets", &json!([{"id": id, "status_id": 2}]))
        .await;
    api.sb.flush_webhooks().await;

    let calls = rx.accepted(Some("typed"));
    assert_eq!(calls.len(), 1, "one batch of two");
    let body = serde_json::to_vec(&calls[0].body).unwrap();
    let payloads = halopsa::models::parse_webhook_body(&body).unwrap();
    assert_eq!(payloads.len(), 2);
    for p in &payloads {
        assert_eq!(p.object_id, Some(halopsa::id::Id(id)));
        assert_eq!(p.webhook_id.as_deref(), Some(hook.as_str()));
        assert!(
            p.timestamp.as_ref().and_then(|t| t.timestamp()).is_some(),
            "{p:?}"
        );
        assert_eq!(
            p.ticket.as_ref().and_then(|t| t.summary.as_deref()),
            Some("Typed")
        );
    }
    let (_, list) = api.get(&format!("WebhookEvent?webhook_id={hook}")).await;
    let typed: Vec<halopsa::models::WebhookEvent> = serde_json::from_value(list).unwrap();
    assert_eq!(typed.len(), 1);
    assert_eq!(typed[0].responsestatus, Some(200));
    assert_eq!(typed[0].entity_id, Some(halopsa::id::Id(id)));
}
