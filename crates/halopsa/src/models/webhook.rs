//! Outgoing webhooks: their configuration, delivery records and the payloads Halo posts.
//!
//! Quirks: no signing (only optional Basic auth); a delivery may batch several payloads into one
//! JSON array; payload field names are undocumented.

use super::action::Action;
use super::codec::model;
use super::date::HaloDate;
use super::ticket::Ticket;
use crate::id::Id;
use serde_json::{Number, Value};

model! {
    /// A webhook configuration (`/Webhook`, UUID ids). Enum-like settings are kept untyped
    /// because their values are only partly known.
    pub struct Webhook at "Webhook" {
        /// The UUID id.
        id: String,
        /// The name.
        name: String,
        /// The payload URL.
        url: String,
        /// The HTTP method (POST or GET).
        method: Value,
        /// The content type (JSON only).
        content_type: Value,
        /// The authentication (none or HTTP Basic).
        authentication_type: Value,
        /// The Basic user name.
        basic_username: String,
        /// The Basic password.
        basic_password: String,
        /// What the payload holds (key fields, full object, event only, custom).
        payload_type: Value,
        /// The custom payload template.
        custom_payload: String,
        /// The events it fires on.
        events: Vec<Value>,
        /// Whether it is active.
        active: bool,
    }
}

model! {
    /// One delivery attempt (`/WebhookEvent`, UUID ids, read-only).
    pub struct WebhookEvent at "WebhookEvent" {
        /// The UUID id.
        id: String,
        /// The webhook that sent it.
        webhook_id: String,
        /// When it was sent.
        timestamp: HaloDate,
        /// The outcome.
        status: Value,
        /// How long it took.
        duration: Number,
        /// The request headers.
        requestheaders: Value,
        /// The request body.
        requestbody: String,
        /// The receiver's HTTP status.
        responsestatus: i64,
        /// The response headers.
        responseheaders: Value,
        /// The response body.
        responsebody: String,
        /// The error, if it failed.
        error: String,
        /// The entity the event was about.
        entity_id: Id,
    }
}

model! {
    /// A payload Halo posts to a webhook receiver.
    pub struct WebhookPayload {
        /// The delivery's GUID (not the entity's id: see `object_id`).
        id: String,
        /// The webhook that sent it.
        webhook_id: String,
        /// The event name (`ticket status changed`, ...).
        event: String,
        /// A human-readable description.
        message: String,
        /// The entity's id.
        object_id: Id,
        /// The agent who caused the event.
        agent_id: Id,
        /// When it happened.
        timestamp: HaloDate,
        /// The ticket, for ticket events with an object payload.
        ticket: Ticket,
        /// The action, where relevant.
        action: Action,
    }
}

/// Parses a webhook request body: one payload or an array of them (batched deliveries).
pub fn parse_webhook_body(bytes: &[u8]) -> Result<Vec<WebhookPayload>, serde_json::Error> {
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[') => serde_json::from_slice(bytes),
        _ => serde_json::from_slice(bytes).map(|one| vec![one]),
    }
}
