//! Outgoing webhooks: Halo-shaped payloads on ticket events, with retries, each attempt
//! recorded as a `WebhookEvent`.

use crate::domain::clock;
use crate::domain::config::WebhookTarget;
use crate::domain::seed;
use crate::domain::store::{Key, ListQuery, Store};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Attempts per delivery, and the waits between them.
const BACKOFF: [Duration; 2] = [Duration::from_millis(200), Duration::from_secs(1)];

/// Something that happened to a ticket.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    name: &'static str,
    ticket: Map<String, Value>,
    agent_id: i64,
}

impl Event {
    /// An event about `ticket` (the ticket as saved).
    pub(crate) fn ticket(name: &'static str, ticket: Map<String, Value>, agent_id: i64) -> Event {
        Event {
            name,
            ticket,
            agent_id,
        }
    }
}

/// The sending side; deliveries happen on a background task.
pub(crate) struct Webhooks {
    tx: mpsc::UnboundedSender<Event>,
}

impl Webhooks {
    /// Starts the delivery task on the current runtime.
    pub(crate) fn start(targets: Vec<WebhookTarget>, store: Arc<Store>) -> Webhooks {
        let (tx, mut rx) = mpsc::unbounded_channel::<Event>();
        tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap_or_default();
            while let Some(event) = rx.recv().await {
                for (webhook_id, target) in all_targets(&targets, &store) {
                    deliver(&http, &store, &webhook_id, &target, &event).await;
                }
            }
        });
        Webhooks { tx }
    }

    /// Queues an event (never blocks the request).
    pub(crate) fn send(&self, event: Event) {
        let _ = self.tx.send(event);
    }
}

/// The configured targets plus active webhooks created through `POST /Webhook`.
fn all_targets(configured: &[WebhookTarget], store: &Store) -> Vec<(String, WebhookTarget)> {
    let mut out: Vec<(String, WebhookTarget)> = configured
        .iter()
        .enumerate()
        .map(|(i, t)| (seed::guid(0x00ab, i as u64 + 1), t.clone()))
        .collect();
    if let Ok((_, docs)) = store.list("Webhook", &ListQuery::default()) {
        for doc in docs
            .iter()
            .filter_map(|d| serde_json::from_str::<Map<String, Value>>(d).ok())
        {
            let active = doc.get("active").and_then(Value::as_bool) != Some(false);
            let url = doc.get("url").and_then(Value::as_str).unwrap_or_default();
            if !active || !(url.starts_with("http://") || url.starts_with("https://")) {
                continue;
            }
            let basic = doc
                .get("basic_username")
                .and_then(Value::as_str)
                .filter(|u| !u.is_empty())
                .map(|u| {
                    let pw = doc
                        .get("basic_password")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    (u.to_string(), pw.to_string())
                });
            let id = doc
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            out.push((
                id,
                WebhookTarget {
                    url: url.to_string(),
                    basic,
                },
            ));
        }
    }
    out
}

async fn deliver(
    http: &reqwest::Client,
    store: &Store,
    webhook_id: &str,
    target: &WebhookTarget,
    event: &Event,
) {
    let object_id = event.ticket.get("id").and_then(Value::as_i64).unwrap_or(0);
    let payload = json!({
        "id": random_uuid(),
        "webhook_id": webhook_id,
        "notification_id": 1,
        "escmsg_id": random_uuid(),
        "event": event.name,
        "message": format!("{} for Ticket ID: {object_id:07}.", event.name),
        "object_id": object_id,
        "agent_id": event.agent_id,
        "timestamp": clock::now_iso(),
        "ticket": event.ticket,
    });
    for attempt in 0..=BACKOFF.len() {
        let started = Instant::now();
        let mut req = http.post(&target.url).json(&payload);
        if let Some((user, pass)) = &target.basic {
            req = req.basic_auth(user, Some(pass));
        }
        let result = req.send().await;
        let (status, error) = match &result {
            Ok(r) => (Some(r.status().as_u16()), None),
            Err(e) => (None, Some(e.to_string())),
        };
        let ok = status.is_some_and(|s| (200..300).contains(&s));
        record(
            store,
            webhook_id,
            object_id,
            &payload,
            status,
            error,
            started.elapsed(),
            ok,
        );
        if ok {
            return;
        }
        if let Some(wait) = BACKOFF.get(attempt) {
            tokio::time::sleep(*wait).await;
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn record(
    store: &Store,
    webhook_id: &str,
    object_id: i64,
    payload: &Value,
    status: Option<u16>,
    error: Option<String>,
    took: Duration,
    ok: bool,
) {
    let Ok(id) = store.next_id("WebhookEvent", 0) else {
        return;
    };
    let uid = random_uuid();
    let doc = json!({
        "id": uid, "webhook_id": webhook_id, "timestamp": clock::now_iso(),
        "status": if ok { "Success" } else { "Failed" }, "duration": took.as_millis() as u64,
        "requestbody": payload.to_string(), "responsestatus": status, "error": error,
        "entity_id": object_id,
    });
    if let Value::Object(doc) = doc {
        let key = Key {
            parent: 0,
            id,
            uid: Some(uid),
        };
        if let Err(e) = store.put("WebhookEvent", key, doc) {
            tracing::warn!("cannot record a webhook delivery: {e}");
        }
    }
}

/// A random version-4 UUID.
pub(crate) fn random_uuid() -> String {
    use rand::Rng;
    let b: [u8; 16] = rand::rng().random();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
        u16::from_be_bytes([b[4], b[5]]),
        u16::from_be_bytes([b[6], b[7]]) & 0x0fff,
        (u16::from_be_bytes([b[8], b[9]]) & 0x3fff) | 0x8000,
        u64::from_be_bytes([0, 0, b[10], b[11], b[12], b[13], b[14], b[15]])
    )
}
