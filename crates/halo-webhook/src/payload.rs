//! A delivery's body read as Halo sends it (§10, §13.5): one event object, or an array of
//! them when the webhook batches (the wire format of batches is undocumented, so both are
//! accepted). Each event is kept byte for byte as it came; only the fields that identify it
//! are read, leniently (ids as strings or numbers, any of them missing).

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

/// The fields that identify an event: what de-duplication and ordering read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields {
    /// `id`: the per-delivery GUID.
    pub delivery_id: Option<String>,
    /// `webhook_id`: which webhook configuration sent it.
    pub webhook_id: Option<String>,
    /// `object_id`: the entity's number (a ticket's id).
    pub object_id: Option<String>,
    /// `event`: the event's text ("ticket status changed").
    pub event: Option<String>,
    /// `timestamp`, as sent.
    pub timestamp: Option<String>,
}

/// One event of a delivery, not yet journaled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    /// What identifies it.
    pub fields: Fields,
    /// The event object's JSON text exactly as it came.
    pub body: String,
}

/// Why a body is not a delivery (answered 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PayloadError {
    /// The body is not JSON.
    #[error("the body is not JSON: {0}")]
    NotJson(String),
    /// JSON, but neither an object nor an array of objects.
    #[error("the body is neither an event object nor an array of event objects")]
    NotEvents,
    /// An empty array.
    #[error("the body is an empty array: no events")]
    Empty,
}

/// The identifying fields as Halo may spell them; everything else is left in the body.
#[derive(Deserialize)]
struct Wire {
    #[serde(default)]
    id: Option<Value>,
    #[serde(default)]
    webhook_id: Option<Value>,
    #[serde(default)]
    object_id: Option<Value>,
    #[serde(default)]
    event: Option<Value>,
    #[serde(default)]
    timestamp: Option<Value>,
}

/// A field's text: a string as it is, a number as written; null, empty, objects and arrays
/// are no value.
fn text(value: Option<Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.trim().is_empty() => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Reads a delivery's body: the events in it, in the order sent.
pub fn parse(body: &[u8]) -> Result<Vec<Incoming>, PayloadError> {
    let raw: &RawValue =
        serde_json::from_slice(body).map_err(|e| PayloadError::NotJson(e.to_string()))?;
    let elements: Vec<&RawValue> = if raw.get().starts_with('[') {
        serde_json::from_str(raw.get()).map_err(|e| PayloadError::NotJson(e.to_string()))?
    } else {
        vec![raw]
    };
    if elements.is_empty() {
        return Err(PayloadError::Empty);
    }
    elements
        .into_iter()
        .map(|element| {
            if !element.get().starts_with('{') {
                return Err(PayloadError::NotEvents);
            }
            let wire: Wire =
                serde_json::from_str(element.get()).map_err(|_| PayloadError::NotEvents)?;
            Ok(Incoming {
                fields: Fields {
                    delivery_id: text(wire.id),
                    webhook_id: text(wire.webhook_id),
                    object_id: text(wire.object_id),
                    event: text(wire.event),
                    timestamp: text(wire.timestamp),
                },
                body: element.get().to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_object_is_one_event_kept_as_sent() {
        let body = br#"{"id":"0f6c","webhook_id":"a1b2","event":"ticket status changed","object_id":1234,"timestamp":"2026-01-15T09:30:12.1234567Z","ticket":{"id":1234,"z":1,"a":2}}"#;
        let events = parse(body).unwrap();
        assert_eq!(events.len(), 1);
        let f = &events[0].fields;
        assert_eq!(f.delivery_id.as_deref(), Some("0f6c"));
        assert_eq!(f.webhook_id.as_deref(), Some("a1b2"));
        assert_eq!(f.object_id.as_deref(), Some("1234"));
        assert_eq!(f.event.as_deref(), Some("ticket status changed"));
        assert_eq!(f.timestamp.as_deref(), Some("2026-01-15T09:30:12.1234567Z"));
        assert_eq!(events[0].body.as_bytes(), body);
    }

    #[test]
    fn an_array_is_its_events_in_order_and_fields_are_lenient() {
        let body =
            br#" [ {"id": 7, "object_id": "12"}, {"event": "x", "object_id": null, "id": ""} ] "#;
        let events = parse(body).unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].fields.delivery_id.as_deref(), Some("7"));
        assert_eq!(events[0].fields.object_id.as_deref(), Some("12"));
        assert_eq!(events[0].body, r#"{"id": 7, "object_id": "12"}"#);
        assert_eq!(events[1].fields.delivery_id, None);
        assert_eq!(events[1].fields.object_id, None);
        assert_eq!(events[1].fields.event.as_deref(), Some("x"));
    }

    #[test]
    fn what_is_not_events_is_refused() {
        assert!(matches!(parse(b"not json"), Err(PayloadError::NotJson(_))));
        assert!(matches!(parse(b"{\"id\":1"), Err(PayloadError::NotJson(_))));
        assert_eq!(parse(b"[]"), Err(PayloadError::Empty));
        for bad in [&b"3"[..], b"\"x\"", b"[1]", b"[{}, [1]]", b"null"] {
            assert_eq!(parse(bad), Err(PayloadError::NotEvents), "{bad:?}");
        }
        assert_eq!(parse(b"{}").unwrap()[0].fields, Fields::default());
    }
}
