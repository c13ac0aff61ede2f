//! Rows kept as the server's bytes, for exports that write them back out unchanged.
//!
//! A list reply is split into rows in one validating pass ([`decode_list_raw`]); each row is
//! a slice of the reply's buffer (no copy), and only its ids are ever read (for de-duplication),
//! and only as far as needed.

use crate::paging::{Page, Row, key_from, no_rows, rows_key, usable_id};
use crate::resource::{IdKind, Resource};
use bytes::Bytes;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// A row as the server sent it: JSON (checked when its page was split), sharing the reply's
/// buffer.
#[derive(Clone, PartialEq, Eq)]
pub struct RawRow(Bytes);

impl RawRow {
    /// A row from JSON text, checked to be one JSON value.
    pub fn parse(text: impl Into<Bytes>) -> Result<RawRow, serde_json::Error> {
        let bytes = text.into();
        let raw: &RawValue = serde_json::from_slice(&bytes)?;
        Ok(slice_of(&bytes, raw))
    }

    /// The bytes as the server sent them.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The row decoded into a JSON value.
    pub fn to_value(&self) -> Result<Value, serde_json::Error> {
        serde_json::from_slice(&self.0)
    }

    /// The row on one line, as NDJSON needs: the server's bytes, or the row re-encoded when
    /// the server spread it over several lines (a newline can only be whitespace between
    /// tokens: inside strings JSON escapes it).
    pub fn one_line(&self) -> Result<Cow<'_, [u8]>, serde_json::Error> {
        if !self.0.contains(&b'\n') {
            return Ok(Cow::Borrowed(&self.0));
        }
        Ok(Cow::Owned(serde_json::to_vec(&self.to_value()?)?))
    }
}

impl fmt::Debug for RawRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RawRow({})", String::from_utf8_lossy(&self.0))
    }
}

impl Row for RawRow {
    fn key(&self, id: IdKind) -> Option<String> {
        if id == IdKind::None {
            return None;
        }
        let ids = read_ids(&self.0, id == IdKind::PerTicket);
        key_from(id, ids.ticket_id, ids.id, raw_key)
    }
}

/// The key text of an id as it appears in a row: a plain integer is its own text (the common
/// case, read with no allocation but the key's); anything else (`3.0`, `"3"`, a GUID, null)
/// is decoded and judged as [`crate::paging`] judges a value.
fn raw_key(text: &[u8]) -> Option<String> {
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

/// `raw`, which was read from `body`, as a slice of `body` (a copy only if it is not one).
fn slice_of(body: &Bytes, raw: &RawValue) -> RawRow {
    let text = raw.get().as_bytes();
    let start = (text.as_ptr() as usize).wrapping_sub(body.as_ptr() as usize);
    match start.checked_add(text.len()) {
        Some(end) if end <= body.len() => RawRow(body.slice(start..end)),
        _ => RawRow(Bytes::copy_from_slice(text)),
    }
}

/// The rows of a list reply (the rule of [`crate::paging::decode_list`]: a bare array, else
/// the property [`rows_key`] picks), read in one pass that checks the whole reply is JSON.
pub fn decode_list_raw(resource: &Resource, body: &Bytes) -> Result<Page<RawRow>, String> {
    // UTF-8 checked once for the whole reply, not again for every row.
    let text = std::str::from_utf8(body)
        .map_err(|e| format!("not JSON (invalid UTF-8 at byte {})", e.valid_up_to()))?;
    let mut json = serde_json::Deserializer::from_str(text);
    let reply = NodeSeed { top: true }
        .deserialize(&mut json)
        .and_then(|node| json.end().map(|()| node))
        .map_err(|e| crate::error::not_json(body, &e))?;
    let rows = |items: Vec<&RawValue>| items.into_iter().map(|r| slice_of(body, r)).collect();
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
enum Node<'a> {
    Array(Vec<&'a RawValue>),
    Object {
        arrays: Vec<(Cow<'a, str>, Vec<&'a RawValue>)>,
        record_count: Option<Value>,
        page_size: Option<Value>,
    },
    Scalar(&'static str),
}

/// Reads a [`Node`]; `top` for the reply itself.
struct NodeSeed {
    top: bool,
}

impl<'de> DeserializeSeed<'de> for NodeSeed {
    type Value = Node<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Node<'de>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NodeSeed {
    type Value = Node<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON list")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).max(16));
        while let Some(item) = seq.next_element::<&'de RawValue>()? {
            items.push(item);
        }
        Ok(Node::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'de>, A::Error> {
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
            if let Node::Array(items) = map.next_value_seed(NodeSeed { top: false })? {
                arrays.push((key, items));
            }
        }
        Ok(Node::Object {
            arrays,
            record_count,
            page_size,
        })
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Node<'de>, E> {
        Ok(Node::Scalar("a string"))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Node<'de>, E> {
        Ok(Node::Scalar("a boolean"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Node<'de>, E> {
        Ok(Node::Scalar("a number"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Node<'de>, E> {
        Ok(Node::Scalar("a number"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Node<'de>, E> {
        Ok(Node::Scalar("a number"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Node<'de>, E> {
        Ok(Node::Scalar("null"))
    }
}

/// The ids of a row.
#[derive(Default, Debug, PartialEq)]
struct Ids<'a> {
    id: Option<&'a [u8]>,
    ticket_id: Option<&'a [u8]>,
}

/// Reads `id` (and `ticket_id` when `with_ticket`) of a row by walking its top-level
/// properties, stopping once it has them: Halo sends `id` first, so most of a row is never
/// looked at. serde_json has no such partial read, and a full one costs as much as the
/// split. The row was checked to be JSON when its page was split; on anything else this
/// finds less, never panics.
fn read_ids(row: &[u8], with_ticket: bool) -> Ids<'_> {
    let mut ids = Ids::default();
    let mut at = skip_ws(row, 0);
    if row.get(at) != Some(&b'{') {
        return ids;
    }
    at += 1;
    loop {
        at = skip_ws(row, at);
        if row.get(at) != Some(&b'"') {
            return ids; // `}`: the end of the row
        }
        let key_end = string_end(row, at);
        let key = &row[at..key_end.min(row.len())];
        at = skip_ws(row, key_end);
        if row.get(at) != Some(&b':') {
            return ids;
        }
        at = skip_ws(row, at + 1);
        let value_end = value_end(row, at);
        let slot = match property_name(key).as_deref() {
            Some("id") => Some(&mut ids.id),
            Some("ticket_id") => Some(&mut ids.ticket_id),
            _ => None,
        };
        if let Some(slot) = slot
            && slot.is_none()
        {
            *slot = row.get(at..value_end);
        }
        if ids.id.is_some() && (!with_ticket || ids.ticket_id.is_some()) {
            return ids;
        }
        at = skip_ws(row, value_end);
        if row.get(at) != Some(&b',') {
            return ids;
        }
        at += 1;
    }
}

/// A property name from its quoted text (escapes decoded only when there are any).
fn property_name(quoted: &[u8]) -> Option<Cow<'_, str>> {
    let inner = quoted.get(1..quoted.len().checked_sub(1)?)?;
    if inner.contains(&b'\\') {
        return serde_json::from_slice::<String>(quoted)
            .ok()
            .map(Cow::Owned);
    }
    std::str::from_utf8(inner).ok().map(Cow::Borrowed)
}

fn skip_ws(b: &[u8], mut at: usize) -> usize {
    while b
        .get(at)
        .is_some_and(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
    {
        at += 1;
    }
    at
}

/// The index just past the string that starts (with its quote) at `at`.
fn string_end(b: &[u8], mut at: usize) -> usize {
    at += 1;
    while let Some(found) = b
        .get(at..)
        .and_then(|rest| memchr::memchr2(b'"', b'\\', rest))
    {
        at += found;
        if b[at] == b'"' {
            return at + 1;
        }
        at += 2; // an escape: skip the escaped character
    }
    b.len()
}

/// The index just past the value that starts at `at`.
fn value_end(b: &[u8], mut at: usize) -> usize {
    match b.get(at) {
        Some(b'"') => string_end(b, at),
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            while let Some(&c) = b.get(at) {
                match c {
                    b'"' => {
                        at = string_end(b, at);
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return at + 1;
                        }
                    }
                    _ => {}
                }
                at += 1;
            }
            b.len()
        }
        _ => {
            // A number, true, false or null: up to the next delimiter.
            while b
                .get(at)
                .is_some_and(|c| !matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n'))
            {
                at += 1;
            }
            at
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::find;
    use proptest::prelude::*;

    fn decode(res: &str, body: &'static [u8]) -> Result<Page<RawRow>, String> {
        decode_list_raw(find(res).unwrap(), &Bytes::from_static(body))
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
            assert!(
                decode_list_raw(find("Tickets").unwrap(), &Bytes::copy_from_slice(bad)).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn ids_are_read_wherever_they_are_and_in_any_form() {
        let key = |text: &'static str, kind| RawRow::parse(text).unwrap().key(kind);
        assert_eq!(
            key(r#"{"id": 7, "rest": [1, 2]}"#, IdKind::Int),
            Some("7".into())
        );
        assert_eq!(
            key(r#"{"a": {"id": 1}, "b": "id", "id": "8"}"#, IdKind::Int),
            Some("8".into()),
            "nested and string 'id's are not the row's"
        );
        assert_eq!(key(r#"{"\u0069d": 3.0}"#, IdKind::Int), Some("3".into()));
        assert_eq!(
            key(r#"{"id": 1, "x": 0, "ticket_id": 4}"#, IdKind::PerTicket),
            Some("4/1".into())
        );
        assert_eq!(
            key(r#"{"ticket_id": 4, "id": 2}"#, IdKind::PerTicket),
            Some("4/2".into())
        );
        assert_eq!(key(r#"{"name": "x"}"#, IdKind::Int), None);
        assert_eq!(
            key(r#"{"id": "a1b2-guid"}"#, IdKind::Guid),
            Some("a1b2-guid".into())
        );
    }

    fn json() -> impl Strategy<Value = Value> {
        let key = prop_oneof![
            Just("id".to_string()),
            Just("ticket_id".to_string()),
            Just("i\"d".to_string()),
            "[a-z_{}\\[\\]\"\\\\:, ]{0,6}",
        ];
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            (-1.0e6..1.0e6f64).prop_map(Value::from),
            "[a-z0-9{}\\[\\]\"\\\\:, \n\u{e9}]{0,8}".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 48, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::btree_map(key.clone(), inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// The scan finds what a full parse finds, compact or pretty, for any row.
        #[test]
        fn ids_match_a_full_parse(fields in prop::collection::btree_map(
            prop_oneof![Just("id".to_string()), Just("ticket_id".to_string()), "[a-z\"\\\\]{0,4}"],
            json(),
            0..8,
        )) {
            let row = Value::Object(fields.into_iter().collect());
            for text in [serde_json::to_string(&row).unwrap(), serde_json::to_string_pretty(&row).unwrap()] {
                let raw = RawRow::parse(text.clone()).unwrap();
                let parsed: Value = serde_json::from_str(&text).unwrap();
                for kind in [IdKind::Int, IdKind::Guid, IdKind::PerTicket, IdKind::None] {
                    prop_assert_eq!(raw.key(kind), parsed.key(kind), "{}", text);
                }
            }
        }
    }

    #[test]
    fn a_row_over_several_lines_is_put_on_one() {
        let row = RawRow::parse("{\n  \"id\": 1,\n  \"s\": \"a\\nb\"\n}").unwrap();
        assert_eq!(&*row.one_line().unwrap(), br#"{"id":1,"s":"a\nb"}"#);
        let flat = RawRow::parse(r#"{"id": 1}"#).unwrap();
        assert!(matches!(flat.one_line().unwrap(), Cow::Borrowed(_)));
    }
}
