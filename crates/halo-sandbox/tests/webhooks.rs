//! Outgoing webhooks: Halo-shaped payloads, Basic auth, retries, delivery records.

mod common;

use axum::http::{HeaderMap, StatusCode};
use common::*;
use halo_sandbox::{SandboxConfig, WebhookTarget};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

type Received = Arc<Mutex<Vec<(Option<String>, Value)>>>;

/// A receiver that fails its first delivery with 500, then accepts.
async fn receiver() -> (String, Received) {
    let got: Received = Arc::default();
    let seen = got.clone();
    let calls = Arc::new(Mutex::new(0u32));
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: axum::Json<Value>| {
            let seen = seen.clone();
            let calls = calls.clone();
            async move {
                let mut n = calls.lock().unwrap();
                *n += 1;
                if *n == 1 {
                    return StatusCode::INTERNAL_SERVER_ERROR;
                }
                let auth = headers
                    .get("authorization")
                    .map(|v| v.to_str().unwrap().to_string());
                seen.lock().unwrap().push((auth, body.0));
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, got)
}

async fn wait_for(got: &Received, n: usize) -> Vec<(Option<String>, Value)> {
    for _ in 0..100 {
        if got.lock().unwrap().len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    got.lock().unwrap().clone()
}

#[tokio::test]
async fn ticket_events_are_posted_with_retries_and_recorded() {
    let (url, got) = receiver().await;
    let target = WebhookTarget::parse(&format!("{url},basic hook:pw")).unwrap();
    let api = Api::start(SandboxConfig {
        webhooks: vec![target],
        ..small()
    })
    .await;

    let (_, ticket) = api
        .post(
            "Tickets",
            &json!([{"summary": "Webhook me", "client_id": 1}]),
        )
        .await;
    let id = ticket["id"].as_i64().unwrap();
    let first = wait_for(&got, 1).await;
    assert_eq!(first.len(), 1, "delivered after one retry");
    let (auth, payload) = &first[0];
    assert_eq!(auth.as_deref(), Some("Basic aG9vazpwdw=="));
    assert_eq!(payload["event"], "New Ticket Logged");
    assert_eq!(payload["object_id"], id);
    assert_eq!(payload["ticket"]["summary"], "Webhook me");
    for key in ["id", "webhook_id", "timestamp", "message"] {
        assert!(payload[key].is_string(), "{key} in {payload}");
    }

    api.post("Tickets", &json!([{"id": id, "status_id": 2}]))
        .await;
    api.post("Tickets", &json!([{"id": id, "summary": "renamed"}]))
        .await;
    let all = wait_for(&got, 3).await;
    let events: Vec<&str> = all
        .iter()
        .map(|(_, p)| p["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        [
            "New Ticket Logged",
            "ticket status changed",
            "Ticket Updated"
        ]
    );

    let (_, deliveries) = api.get("WebhookEvent").await;
    let mine: Vec<&Value> = deliveries
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["entity_id"] == id)
        .collect();
    assert_eq!(
        mine.len(),
        4,
        "one failed attempt and three successes: {mine:?}"
    );
    assert_eq!(mine[0]["status"], "Failed");
    assert_eq!(mine[0]["responsestatus"], 500);
}

#[tokio::test]
async fn webhooks_created_through_the_api_are_used() {
    let (url, got) = receiver().await;
    let api = Api::start(small()).await;
    let (status, _) = api
        .post(
            "Webhook",
            &json!([{"name": "mine", "url": url, "active": true}]),
        )
        .await;
    assert_eq!(status, 200);
    api.post(
        "Actions",
        &json!([{"ticket_id": 3, "outcome_id": 1, "new_status": 9}]),
    )
    .await;
    let received = wait_for(&got, 1).await;
    assert_eq!(received[0].1["event"], "ticket status changed");
    assert_eq!(received[0].1["ticket"]["id"], 3);
}
