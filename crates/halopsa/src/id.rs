//! Lenient ids, and the keys that tell rows apart.
//!
//! Quirk: Halo sends numeric ids as `3`, `3.0` or `"3"` (and property case varies); it rejects
//! `95.0` on the way in. [`Id`] reads all three forms and always writes an integer;
//! [`id_text`] gives any id's text, and a row's key (what de-duplication compares) is built
//! from its ids here.

use crate::resource::IdKind;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use std::fmt;

/// A numeric Halo id that decodes from `3`, `3.0` or `"3"` and encodes as `3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Id(pub i64);

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl From<i64> for Id {
    fn from(v: i64) -> Self {
        Id(v)
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.0)
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        id_from_value(&v)
            .map(Id)
            .ok_or_else(|| serde::de::Error::custom(format!("expected an integer id, got {v}")))
    }
}

/// Reads an integer id from a JSON number (integral, `3.0` included) or a numeric string.
pub fn id_from_value(v: &serde_json::Value) -> Option<i64> {
    match v {
        serde_json::Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                .map(|f| f as i64)
        }),
        serde_json::Value::String(s) => {
            let s = s.trim();
            s.parse::<i64>().ok().or_else(|| {
                s.parse::<f64>()
                    .ok()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            })
        }
        _ => None,
    }
}

/// Whether an `id` value names no object: null, 0 or blank text. Halo creates an object
/// posted with such an id (its POST is an upsert).
pub fn is_unset(id: &Value) -> bool {
    id.is_null() || id_from_value(id) == Some(0) || id.as_str().is_some_and(|s| s.trim().is_empty())
}

/// An id as text, whatever its JSON form (`3`, `3.0`, `"3"` and GUIDs).
pub fn id_text(v: &Value) -> String {
    match id_from_value(v) {
        Some(n) => n.to_string(),
        None => match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        },
    }
}

/// Rows are told apart by `(ticket_id, id)` for actions (ids are per ticket), by `id`
/// otherwise. An id that is absent, null, zero, empty or not a scalar is no key: such rows
/// cannot be told apart, so they are kept, never merged.
pub(crate) fn key_of(
    kind: IdKind,
    ticket_id: Option<&Value>,
    id: Option<&Value>,
) -> Option<String> {
    key_from(kind, ticket_id, id, usable_id)
}

/// [`key_of`] for ids in any form, each turned into key text by `usable`.
pub(crate) fn key_from<T>(
    kind: IdKind,
    ticket_id: Option<T>,
    id: Option<T>,
    usable: impl Fn(T) -> Option<String>,
) -> Option<String> {
    match kind {
        IdKind::PerTicket => Some(format!("{}/{}", usable(ticket_id?)?, usable(id?)?)),
        IdKind::None => None,
        _ => usable(id?),
    }
}

/// An id as key text, when it is a usable one (see [`key_of`]).
pub(crate) fn usable_id(v: &Value) -> Option<String> {
    match v {
        Value::Number(_) | Value::String(_) => {
            let text = id_text(v);
            let text = text.trim();
            (!text.is_empty() && text != "0").then(|| text.to_string())
        }
        _ => None,
    }
}

/// The key text of an id as it appears in a row: a plain integer is its own text (the common
/// case, read with no allocation but the key's); anything else (`3.0`, `"3"`, a GUID, null)
/// is decoded and judged as [`usable_id`] judges a value.
pub(crate) fn raw_key(text: &[u8]) -> Option<String> {
    let digits = text.strip_prefix(b"-").unwrap_or(text);
    let plain = !digits.is_empty()
        && digits.iter().all(u8::is_ascii_digit)
        && (digits[0] != b'0' || text.len() == 1)
        && digits.len() < 19;
    if plain {
        return (text != b"0").then(|| String::from_utf8_lossy(text).into_owned());
    }
    usable_id(&serde_json::from_slice::<Value>(text).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_all_three_forms_and_writes_an_integer() {
        for text in ["3", "3.0", "\"3\"", "\" 3 \"", "\"3.0\""] {
            let id: Id = serde_json::from_str(text).unwrap();
            assert_eq!(id, Id(3), "{text}");
            assert_eq!(serde_json::to_string(&id).unwrap(), "3");
        }
    }

    #[test]
    fn keys_are_what_tells_rows_apart() {
        let key = |v: Value| key_of(IdKind::Int, None, v.get("id"));
        assert_eq!(key(serde_json::json!({"id": 3.0})), Some("3".into()));
        assert_eq!(key(serde_json::json!({"id": "3"})), Some("3".into()));
        for none in [
            serde_json::json!({"id": null}),
            serde_json::json!({"id": 0}),
            serde_json::json!({}),
        ] {
            assert_eq!(key(none), None);
        }
        let action = serde_json::json!({"ticket_id": 4, "id": 1});
        assert_eq!(
            key_of(IdKind::PerTicket, action.get("ticket_id"), action.get("id")),
            Some("4/1".into())
        );
        for (text, want) in [
            ("17", Some("17")),
            ("0", None),
            ("3.0", Some("3")),
            ("\"7\"", Some("7")),
            ("null", None),
        ] {
            assert_eq!(raw_key(text.as_bytes()).as_deref(), want, "{text}");
        }
    }

    #[test]
    fn rejects_fractions_and_junk() {
        for text in ["3.5", "\"abc\"", "null", "true", "[]"] {
            assert!(serde_json::from_str::<Id>(text).is_err(), "{text}");
        }
    }
}
