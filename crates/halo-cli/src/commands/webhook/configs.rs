//! The webhook configurations stored in Halo (`/Webhook`), as `register`, `list` and
//! `remove` read and write them, and how they are shown (never with their password).

use anyhow::Result;
use futures::TryStreamExt;
use halopsa::Client;
use halopsa::ListOptions;
use halopsa::models::Webhook;
use serde_json::{Map, Value, json};

/// What a webhook's payloads hold (`--payload`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Payload {
    /// The whole ticket (and action), with its linked objects.
    Full,
    /// The key fields of the ticket (and action).
    Small,
    /// The event alone: its id, name, object id and webhook (Halo v2.214.1+).
    Event,
}

/// Halo quirk (reference §10): `payload_type` and `authentication_type` are numbers whose
/// values Halo does not document. The values here are the ones the sandbox reads
/// (`halo-sandbox` `domain/webhooks/hooks.rs`): payload 0 small, 1 full, 2 event only;
/// authentication 0 none, 1 HTTP Basic. This is the one place the CLI maps them.
impl Payload {
    /// The `payload_type` number.
    pub fn number(self) -> i64 {
        match self {
            Payload::Small => 0,
            Payload::Full => 1,
            Payload::Event => 2,
        }
    }

    /// The payload a stored `payload_type` names, if known.
    fn of(value: &Value) -> Option<Payload> {
        match setting(value)? {
            0 => Some(Payload::Small),
            1 => Some(Payload::Full),
            2 => Some(Payload::Event),
            _ => None,
        }
    }

    /// The word `--payload` takes.
    fn word(self) -> &'static str {
        match self {
            Payload::Full => "full",
            Payload::Small => "small",
            Payload::Event => "event",
        }
    }
}

/// `authentication_type` for HTTP Basic (see [`Payload`] for the quirk).
pub const AUTH_BASIC: i64 = 1;
/// `authentication_type` for none.
pub const AUTH_NONE: i64 = 0;

/// An enum-like setting as a number (Halo sends numbers; a numeric string is read too).
fn setting(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Every webhook configuration.
pub async fn all(client: &Client) -> Result<Vec<Webhook>> {
    let (rows, _) = client
        .typed::<Webhook>()?
        .list(Vec::new(), ListOptions::default());
    Ok(rows.try_collect().await?)
}

/// Whether two URLs are the same receiver (compared parsed, so `http://h:80/x` is
/// `http://h/x`).
pub fn same_url(a: &str, b: &str) -> bool {
    match (url::Url::parse(a.trim()), url::Url::parse(b.trim())) {
        (Ok(a), Ok(b)) => a == b,
        _ => a.trim() == b.trim(),
    }
}

/// The names of a webhook's events (`events[].name`, or plain strings).
pub fn event_names(hook: &Webhook) -> Vec<String> {
    hook.events
        .iter()
        .flatten()
        .filter_map(|e| match e {
            Value::String(name) => Some(name.clone()),
            Value::Object(o) => o.get("name").and_then(Value::as_str).map(str::to_string),
            _ => None,
        })
        .collect()
}

/// How a webhook authenticates, in words: `none` or `basic as USER`.
pub fn auth_text(hook: &Webhook) -> String {
    let basic = hook.authentication_type.as_ref().and_then(setting) == Some(AUTH_BASIC);
    match (&hook.basic_username, basic) {
        (Some(user), true) if !user.is_empty() => format!("basic as {user}"),
        _ => "none".to_string(),
    }
}

/// Its payload, in `--payload`'s words (the number when it is none of them).
pub fn payload_text(hook: &Webhook) -> String {
    match &hook.payload_type {
        None => String::new(),
        Some(value) => Payload::of(value)
            .map(|p| p.word().to_string())
            .unwrap_or_else(|| value.to_string()),
    }
}

/// A webhook as one row of `list` and the object `register -o json` prints: never its
/// password.
pub fn row(hook: &Webhook) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("id".into(), json!(hook.id));
    m.insert("name".into(), json!(hook.name));
    m.insert("url".into(), json!(hook.url));
    m.insert("active".into(), json!(hook.active.unwrap_or(true)));
    m.insert("auth".into(), json!(auth_text(hook)));
    m.insert("payload".into(), json!(payload_text(hook)));
    m.insert("events".into(), json!(event_names(hook).join(", ")));
    m
}

/// The columns of [`row`].
pub const COLUMNS: [&str; 7] = ["id", "name", "url", "active", "auth", "payload", "events"];

/// A webhook's words for people: `abc-123 'name' (https://...)`.
pub fn describe(hook: &Webhook) -> String {
    format!(
        "{} '{}' ({})",
        hook.id.as_deref().unwrap_or("?"),
        hook.name.as_deref().unwrap_or_default(),
        hook.url.as_deref().unwrap_or_default()
    )
}
