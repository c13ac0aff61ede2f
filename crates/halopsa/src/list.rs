//! Halo's reply shapes, read in one place: a list (a bare array, or an object whose rows are
//! in one array-valued property beside `record_count`, an echoed `page_size` and sidecar
//! arrays; or, for a [`ListShape::Single`] resource, one object), and a single object (an
//! object, or an array of exactly one).
//!
//! Quirk: Halo's list shapes vary by resource and some are unconfirmed (reference §4), so the
//! decoder accepts every one of them for every resource: the resource's row only says which
//! property to prefer.
//!
//! The one decoder ([`decode_list`]) is generic over the row type: JSON values for most
//! callers, [`RawRow`] (the server's bytes, sliced from the reply) for exports. Either way the
//! reply is read once, and checked to be JSON whole.

use crate::id::key_of;
use crate::paging::{Page, Row};
use crate::raw::RawRow;
use crate::resource::{IdKind, ListShape, Resource};
use bytes::Bytes;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

/// A row type a list can be decoded into: JSON values, or the server's bytes ([`RawRow`]).
pub trait ListRow: Row {
    /// What a row is read as during the one pass over the reply (`'de` borrows the reply).
    type Wire<'de>: Deserialize<'de>;

    /// The row, from what was read of it in `body` (the whole reply).
    fn from_wire(wire: Self::Wire<'_>, body: &Bytes) -> Self;
}

impl Row for Value {
    fn key(&self, id: IdKind) -> Option<String> {
        key_of(id, self.get("ticket_id"), self.get("id"))
    }
}

impl ListRow for Value {
    type Wire<'de> = Value;

    fn from_wire(wire: Value, _: &Bytes) -> Value {
        wire
    }
}

impl ListRow for RawRow {
    type Wire<'de> = &'de RawValue;

    fn from_wire(wire: &RawValue, body: &Bytes) -> RawRow {
        RawRow::slice_of(body, wire)
    }
}

/// The rows of a list reply of `resource`, decoded as `R` in one pass that checks the whole
/// reply is JSON: a bare array, else the property [`rows_key`] picks, with `record_count` and
/// the echoed `page_size`; a [`ListShape::Single`] resource's one object is its one row.
pub fn decode_list<R: ListRow>(resource: &Resource, body: &Bytes) -> Result<Page<R>, String> {
    // UTF-8 checked once for the whole reply, not again for every row.
    let text = std::str::from_utf8(body)
        .map_err(|e| format!("not JSON (invalid UTF-8 at byte {})", e.valid_up_to()))?;
    let mut json = serde_json::Deserializer::from_str(text);
    if resource.list == ListShape::Single {
        let row = R::Wire::deserialize(&mut json)
            .and_then(|row| json.end().map(|()| row))
            .map_err(|e| crate::error::not_json(body, &e))?;
        return Ok(Page {
            items: vec![R::from_wire(row, body)],
            record_count: Some(1),
            page_size: None,
        });
    }
    let reply = NodeSeed::<R>::new(true)
        .deserialize(&mut json)
        .and_then(|node| json.end().map(|()| node))
        .map_err(|e| crate::error::not_json(body, &e))?;
    let rows = |items: Vec<R::Wire<'_>>| items.into_iter().map(|r| R::from_wire(r, body)).collect();
    let number = |v: Option<Value>| v.as_ref().and_then(crate::id::id_from_value);
    match reply {
        Node::Array(items) => Ok(Page {
            items: rows(items),
            record_count: None,
            page_size: None,
        }),
        Node::Object {
            mut arrays,
            record_count,
            page_size,
        } => {
            let key = rows_key(resource, arrays.iter().map(|(k, _)| k.as_ref()))
                .ok_or_else(|| no_rows(resource))?;
            let at = arrays
                .iter()
                .position(|(k, _)| *k == key)
                .ok_or_else(|| no_rows(resource))?;
            Ok(Page {
                items: rows(arrays.swap_remove(at).1),
                record_count: number(record_count).and_then(|n| u64::try_from(n).ok()),
                page_size: number(page_size).and_then(|n| u32::try_from(n).ok()),
            })
        }
        Node::Scalar(kind) => Err(format!(
            "a list of {} was expected, got {kind}",
            resource.path
        )),
    }
}

/// A value of a list reply, borrowed from its text and read only as far as a list needs: an
/// array's elements; at the top, an object's array-valued properties (rows and sidecars) and
/// paging numbers (an object further down is skipped); a scalar, with what kind it is.
enum Node<'a, R: ListRow> {
    Array(Vec<R::Wire<'a>>),
    Object {
        arrays: Vec<(Cow<'a, str>, Vec<R::Wire<'a>>)>,
        record_count: Option<Value>,
        page_size: Option<Value>,
    },
    Scalar(&'static str),
}

/// Reads a [`Node`]; `top` for the reply itself.
struct NodeSeed<R> {
    top: bool,
    row: PhantomData<fn() -> R>,
}

impl<R> NodeSeed<R> {
    fn new(top: bool) -> Self {
        NodeSeed {
            top,
            row: PhantomData,
        }
    }
}

impl<'de, R: ListRow> DeserializeSeed<'de> for NodeSeed<R> {
    type Value = Node<'de, R>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Node<'de, R>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, R: ListRow> Visitor<'de> for NodeSeed<R> {
    type Value = Node<'de, R>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON list")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node<'de, R>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).max(16));
        while let Some(item) = seq.next_element::<R::Wire<'de>>()? {
            items.push(item);
        }
        Ok(Node::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'de, R>, A::Error> {
        let (mut arrays, mut record_count, mut page_size) = (Vec::new(), None, None);
        if !self.top {
            // An object below the top holds no rows: read through, kept as an empty one.
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        }
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            // Read as values: numbers kept at full precision (`3.0` included) arrive as maps
            // to any other visitor.
            if key == "record_count" {
                record_count = Some(map.next_value::<Value>()?);
                continue;
            }
            if key == "page_size" {
                page_size = Some(map.next_value::<Value>()?);
                continue;
            }
            if let Node::Array(items) = map.next_value_seed(NodeSeed::<R>::new(false))? {
                arrays.push((key, items));
            }
        }
        Ok(Node::Object {
            arrays,
            record_count,
            page_size,
        })
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Node<'de, R>, E> {
        Ok(Node::Scalar("a string"))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Node<'de, R>, E> {
        Ok(Node::Scalar("a boolean"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Node<'de, R>, E> {
        Ok(Node::Scalar("a number"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Node<'de, R>, E> {
        Ok(Node::Scalar("a number"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Node<'de, R>, E> {
        Ok(Node::Scalar("a number"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Node<'de, R>, E> {
        Ok(Node::Scalar("null"))
    }
}

/// Arrays some lists carry beside their rows (`/Attachment`'s `folders`, ...).
const SIDECARS: &[&str] = &[
    "folders",
    "include_children",
    "columns",
    "available_columns",
];

/// Which property of a wrapped list holds the rows, given the names of its array-valued
/// properties: the resource's key, else the one that is not a known sidecar (Halo's list
/// shapes vary, and some are unconfirmed).
fn rows_key<'a>(resource: &Resource, arrays: impl Iterator<Item = &'a str>) -> Option<String> {
    let arrays: Vec<&str> = arrays.collect();
    if let Some(key) = resource.list_key().filter(|k| arrays.contains(k)) {
        return Some(key.to_string());
    }
    let rows: Vec<&str> = arrays
        .into_iter()
        .filter(|k| !SIDECARS.contains(k))
        .collect();
    (rows.len() == 1).then(|| rows[0].to_string())
}

fn no_rows(resource: &Resource) -> String {
    format!(
        "a list of {} was expected, but the reply has no array of rows",
        resource.path
    )
}

/// One object from a single GET or POST reply: the object, or the only element of an array.
pub fn decode_one(body: Value) -> Result<Value, String> {
    match body {
        Value::Object(_) => Ok(body),
        Value::Array(mut items) if items.len() == 1 => Ok(items.remove(0)),
        other => Err(format!("one object was expected, got {}", kind(&other))),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::find;
    use serde_json::json;

    fn decode(res: &str, body: &'static [u8]) -> Result<Page<RawRow>, String> {
        decode_list(find(res).unwrap(), &Bytes::from_static(body))
    }

    fn values(res: &str, body: Value) -> Result<Page<Value>, String> {
        decode_list(find(res).unwrap(), &Bytes::from(body.to_string()))
    }

    #[test]
    fn rows_are_slices_of_the_reply_and_keyed_like_values() {
        let body = br#"{"record_count": 2, "page_size": "2", "tickets": [{"id": 1, "x": {"y": [1]}}, {"id": "2.0"}], "include_children": []}"#;
        let p = decode("Tickets", body).unwrap();
        assert_eq!(
            (p.items.len(), p.record_count, p.page_size),
            (2, Some(2), Some(2))
        );
        assert_eq!(
            p.items[0].as_bytes(),
            br#"{"id": 1, "x": {"y": [1]}}"#,
            "bytes kept as sent"
        );
        assert_eq!(p.items[1].key(IdKind::Int), Some("2".to_string()));
        let bare = decode("Agent", b" [{\"id\": 3}]").unwrap();
        assert_eq!(bare.items.len(), 1);
        assert_eq!(bare.items[0].key(IdKind::Int), Some("3".to_string()));
    }

    #[test]
    fn the_rows_property_follows_the_list_shape_rule() {
        let p = decode("Team", br#"{"folders": [{"id": 9}], "teams": [{"id": 1}]}"#).unwrap();
        assert_eq!(p.items.len(), 1, "the one non-sidecar array");
        assert_eq!(p.items[0].as_bytes(), br#"{"id": 1}"#);
        let p = decode(
            "Asset",
            br#"{"record_count": 3.0, "page_size": 50, "x": {"a": [1]}, "ok": true, "assets": []}"#,
        )
        .unwrap();
        assert_eq!((p.record_count, p.page_size), (Some(3), Some(50)));
        assert!(decode("Tickets", br#"{"message": "no"}"#).is_err());
        assert!(
            decode("Tickets", br#""x""#)
                .unwrap_err()
                .contains("got a string")
        );
    }

    #[test]
    fn a_reply_that_is_not_json_is_refused_whole() {
        for bad in [
            &br#"{"tickets": [{"id": 1}, {"id": 2"#[..],
            br#"{"tickets": [{"id": 1,}]}"#,
            b"<html>busy</html>",
            br#"{"tickets": [{"id": 1}]} trailing"#,
            b"{\"tickets\": [\"\xff\"]}",
        ] {
            let body = Bytes::copy_from_slice(bad);
            let tickets = find("Tickets").unwrap();
            assert!(
                decode_list::<RawRow>(tickets, &body).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
            assert!(decode_list::<Value>(tickets, &body).is_err());
        }
    }

    #[test]
    fn list_shapes_are_all_accepted() {
        let p = values(
            "Tickets",
            json!({"record_count": 2, "tickets": [{"id": 1}, {"id": 2}], "include_children": []}),
        )
        .unwrap();
        assert_eq!((p.items.len(), p.record_count), (2, Some(2)));
        assert_eq!(
            values("Tickets", json!([{"id": 1}])).unwrap().items.len(),
            1
        );
        let p = values("Team", json!({"teams": [{"id": 1}], "folders": []})).unwrap();
        assert_eq!(p.items.len(), 1, "the one non-sidecar array");
        let p = values(
            "Asset",
            json!({"record_count": "3.0", "page_size": 50, "assets": []}),
        )
        .unwrap();
        assert_eq!((p.record_count, p.page_size), (Some(3), Some(50)));
        assert!(values("Tickets", json!({"message": "x"})).is_err());
        assert!(values("Tickets", json!("x")).is_err());
        let control = values("Control", json!({"a": 1})).unwrap();
        assert_eq!(
            (control.items, control.record_count),
            (vec![json!({"a": 1})], Some(1))
        );
        assert_eq!(decode_one(json!([{"id": 1}])).unwrap(), json!({"id": 1}));
        assert!(decode_one(json!([])).is_err());
    }
}
