//! Rows kept as the server's bytes, for exports that write them back out unchanged.
//!
//! A list reply is split into rows in one validating pass ([`crate::list::decode_list`]); each
//! row is a slice of the reply's buffer (no copy), and only its ids are ever read (for
//! de-duplication), and only as far as needed.

use crate::id::{key_from, raw_key};
use crate::paging::Row;
use crate::resource::IdKind;
use bytes::Bytes;
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
        Ok(RawRow::slice_of(&bytes, raw))
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

impl RawRow {
    /// `raw`, which was read from `body`, as a slice of `body` (a copy only if it is not one).
    pub(crate) fn slice_of(body: &Bytes, raw: &RawValue) -> RawRow {
        let text = raw.get().as_bytes();
        let start = (text.as_ptr() as usize).wrapping_sub(body.as_ptr() as usize);
        match start.checked_add(text.len()) {
            Some(end) if end <= body.len() => RawRow(body.slice(start..end)),
            _ => RawRow(Bytes::copy_from_slice(text)),
        }
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
    use proptest::prelude::*;

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
