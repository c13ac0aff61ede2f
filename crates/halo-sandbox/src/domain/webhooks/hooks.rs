//! A webhook as the sandbox reads it from a stored `Webhook` object (or a configured
//! [`WebhookTarget`]): where it posts, how it authenticates, which payload, which events, how
//! it batches. Halo stores the enum-like settings as numbers whose values are only partly
//! known (reference §10); clients also send names, so both are read.

use super::event::EventKind;
use crate::domain::config::WebhookTarget;
use crate::domain::seed;
use crate::domain::store::{ListQuery, Store};
use serde_json::{Map, Value};
use std::time::Duration;

/// Largest batch a webhook may ask for, and the size of one that names none.
const MAX_BATCH: usize = 1000;
const DEFAULT_BATCH: usize = 100;

/// Longest batch delay honoured.
const MAX_BATCH_DELAY: Duration = Duration::from_secs(3600);

/// One active webhook.
#[derive(Debug, Clone, PartialEq)]
pub struct Hook {
    /// Its GUID (the payload's `webhook_id`).
    pub id: String,
    /// The payload URL.
    pub url: String,
    /// HTTP Basic credentials, when its authentication is Basic.
    pub basic: Option<(String, String)>,
    /// What its payloads hold.
    pub payload: PayloadType,
    /// The events it fires on; `None` (no event configured) is every event.
    pub events: Option<Vec<EventKind>>,
    /// How it groups events into one delivery; `None` posts each alone, as an object.
    pub batch: Option<Batching>,
}

/// What a payload holds besides the keys every payload has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadType {
    /// The message, the agent and the key fields of the ticket (and action).
    Small,
    /// The message, the agent and the whole ticket (and action).
    Full,
    /// Nothing more (Halo v2.214.1+).
    EventOnly,
}

/// A webhook's batching (Halo v2.164+): deliveries carry a JSON array of payloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Batching {
    /// Which events share a delivery.
    pub method: BatchMethod,
    /// Most payloads in one delivery.
    pub limit: usize,
    /// How long the first event of a delivery waits for others.
    pub delay: Duration,
}

/// Which events one batched delivery may group (the docs name three ways; their numbers are
/// inferred from that order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchMethod {
    /// Occurrences of the same event (`batch_method` 1).
    SameEvent,
    /// Events about the same kind of object (2).
    SameType,
    /// Any events (3).
    Any,
}

/// The group an event joins under a batch method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupKey {
    /// One event.
    Event(EventKind),
    /// One kind of object.
    Object(&'static str),
    /// Everything.
    All,
}

impl BatchMethod {
    /// The group `kind` joins.
    pub fn group(self, kind: EventKind) -> GroupKey {
        match self {
            BatchMethod::SameEvent => GroupKey::Event(kind),
            BatchMethod::SameType => GroupKey::Object(kind.name().object),
            BatchMethod::Any => GroupKey::All,
        }
    }
}

impl Hook {
    /// Configured target `i` (`--webhook`): every event, the full object, one at a time.
    pub fn configured(i: usize, target: &WebhookTarget) -> Hook {
        Hook {
            id: seed::guid(0x00ab, i as u64 + 1),
            url: target.url.clone(),
            basic: target.basic.clone(),
            payload: PayloadType::Full,
            events: None,
            batch: None,
        }
    }

    /// The webhook a stored object describes, if it is active and has an HTTP(S) URL.
    pub fn from_doc(doc: &Map<String, Value>) -> Option<Hook> {
        let flag = |key: &str| doc.get(key).and_then(Value::as_bool);
        if flag("active") == Some(false) || flag("disabled") == Some(true) {
            return None;
        }
        let url = doc.get("url").and_then(Value::as_str)?.trim();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return None;
        }
        Some(Hook {
            id: doc.get("id").and_then(Value::as_str)?.to_string(),
            url: url.to_string(),
            basic: basic(doc),
            payload: payload_type(doc),
            events: events(doc),
            batch: batching(doc),
        })
    }

    /// Whether it fires on `kind`.
    pub fn wants(&self, kind: EventKind) -> bool {
        self.events.as_ref().is_none_or(|e| e.contains(&kind))
    }
}

/// The active webhooks stored in `resource`.
pub fn stored(store: &Store, resource: &str) -> Vec<Hook> {
    match store.list(resource, &ListQuery::default()) {
        Ok((_, docs)) => docs
            .iter()
            .filter_map(|d| serde_json::from_str::<Map<String, Value>>(d).ok())
            .filter_map(|d| Hook::from_doc(&d))
            .collect(),
        Err(e) => {
            tracing::warn!("cannot read the webhooks: {e}");
            Vec::new()
        }
    }
}

/// An enum-like setting: its number, or its name lower-cased.
enum Setting {
    Number(i64),
    Name(String),
}

fn setting(doc: &Map<String, Value>, key: &str) -> Option<Setting> {
    match doc.get(key)? {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .map(Setting::Number),
        Value::String(s) => Some(match s.trim().parse::<i64>() {
            Ok(n) => Setting::Number(n),
            Err(_) => Setting::Name(s.trim().to_ascii_lowercase()),
        }),
        _ => None,
    }
}

/// A setting's number, or `default` when absent or not a number.
fn number(doc: &Map<String, Value>, key: &str, default: i64) -> i64 {
    match setting(doc, key) {
        Some(Setting::Number(n)) => n,
        _ => default,
    }
}

/// `authentication_type`: 1 (or "basic") is HTTP Basic with `basic_username` and
/// `basic_password`, 0 (or anything else) none; without the setting, Basic when a user name
/// is given.
fn basic(doc: &Map<String, Value>) -> Option<(String, String)> {
    let text = |key: &str| doc.get(key).and_then(Value::as_str).unwrap_or_default();
    let user = text("basic_username");
    let is_basic = match setting(doc, "authentication_type") {
        None => !user.is_empty(),
        Some(Setting::Number(n)) => n == 1,
        Some(Setting::Name(name)) => name.contains("basic"),
    };
    (is_basic && !user.is_empty()).then(|| (user.to_string(), text("basic_password").to_string()))
}

/// `payload_type`: 0 the small object, 2 event only, anything else (1, and 3 "custom", whose
/// template the sandbox does not render) the full object.
fn payload_type(doc: &Map<String, Value>) -> PayloadType {
    match setting(doc, "payload_type") {
        Some(Setting::Number(0)) => PayloadType::Small,
        Some(Setting::Number(2)) => PayloadType::EventOnly,
        Some(Setting::Name(name)) if name.contains("small") || name.contains("key") => {
            PayloadType::Small
        }
        Some(Setting::Name(name)) if name.contains("event") => PayloadType::EventOnly,
        _ => PayloadType::Full,
    }
}

/// `events[]`: each entry's `name` (or `event`) as Halo's event list names it; entries the
/// sandbox does not know fire on nothing. No entry at all is every event.
fn events(doc: &Map<String, Value>) -> Option<Vec<EventKind>> {
    let entries = doc.get("events").and_then(Value::as_array)?;
    if entries.is_empty() {
        return None;
    }
    let names = entries.iter().filter_map(|e| match e {
        Value::String(name) => Some(name.as_str()),
        Value::Object(o) => ["name", "event", "event_name"]
            .iter()
            .find_map(|k| o.get(*k).and_then(Value::as_str)),
        _ => None,
    });
    Some(names.filter_map(EventKind::from_config).collect())
}

/// `batch_method` (0 or absent: none), `batch_limit` (default 100, at most 1000) and
/// `batch_delay_seconds` (default 0: whatever is queued at the time, at most an hour).
fn batching(doc: &Map<String, Value>) -> Option<Batching> {
    let method = match setting(doc, "batch_method")? {
        Setting::Number(1) => BatchMethod::SameEvent,
        Setting::Number(2) => BatchMethod::SameType,
        Setting::Number(3) => BatchMethod::Any,
        Setting::Name(name) if name.contains("type") => BatchMethod::SameType,
        Setting::Name(name) if name.contains("event") => BatchMethod::SameEvent,
        Setting::Name(name) if name.contains("any") => BatchMethod::Any,
        _ => return None,
    };
    let limit = match number(doc, "batch_limit", 0) {
        n if n <= 0 => DEFAULT_BATCH,
        n => (n as usize).min(MAX_BATCH),
    };
    let delay = Duration::from_secs(number(doc, "batch_delay_seconds", 0).max(0) as u64)
        .min(MAX_BATCH_DELAY);
    Some(Batching {
        method,
        limit,
        delay,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn hook(v: Value) -> Option<Hook> {
        Hook::from_doc(v.as_object().unwrap())
    }

    #[test]
    fn settings_are_read_as_numbers_or_names() {
        let h = hook(json!({
            "id": "g", "url": "https://x.example/h", "authentication_type": 1,
            "basic_username": "u", "basic_password": "p", "payload_type": "2",
            "events": [{"name": "New Ticket Logged"}, {"event": "ticket status changed"}, {"name": "Ticket Reassigned"}],
            "batch_method": 3, "batch_limit": 5000, "batch_delay_seconds": 30
        }))
        .unwrap();
        assert_eq!(h.basic, Some(("u".into(), "p".into())));
        assert_eq!(h.payload, PayloadType::EventOnly);
        assert_eq!(
            h.events,
            Some(vec![EventKind::Logged, EventKind::StatusChanged])
        );
        assert!(h.wants(EventKind::Logged) && !h.wants(EventKind::Updated));
        assert_eq!(
            h.batch,
            Some(Batching {
                method: BatchMethod::Any,
                limit: MAX_BATCH,
                delay: Duration::from_secs(30)
            })
        );
        let plain = hook(
            json!({"id": "g", "url": "http://x/h", "authentication_type": 0,
                                "basic_username": "u", "payload_type": 0, "batch_method": 0}),
        )
        .unwrap();
        assert_eq!(plain.basic, None, "authentication 0 is none");
        assert_eq!(plain.payload, PayloadType::Small);
        assert_eq!(plain.batch, None);
        assert!(plain.wants(EventKind::Deleted), "no events: every event");
    }

    #[test]
    fn inactive_or_unroutable_webhooks_are_not_read() {
        for doc in [
            json!({"id": "g", "url": "http://x/h", "active": false}),
            json!({"id": "g", "url": "http://x/h", "disabled": true}),
            json!({"id": "g", "url": "ftp://x/h"}),
            json!({"id": "g"}),
            json!({"url": "http://x/h"}),
        ] {
            assert_eq!(hook(doc.clone()), None, "{doc}");
        }
    }

    #[test]
    fn batch_methods_group_by_event_object_or_nothing() {
        use EventKind::*;
        assert_ne!(
            BatchMethod::SameEvent.group(Logged),
            BatchMethod::SameEvent.group(Updated)
        );
        assert_eq!(
            BatchMethod::SameType.group(Logged),
            BatchMethod::SameType.group(Deleted)
        );
        assert_ne!(
            BatchMethod::SameType.group(Logged),
            BatchMethod::SameType.group(ActionAdded)
        );
        assert_eq!(
            BatchMethod::Any.group(Logged),
            BatchMethod::Any.group(ActionAdded)
        );
    }
}
