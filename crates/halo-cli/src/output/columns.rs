//! The default table columns of a list.

use serde_json::{Map, Value};

/// Well-known fields, shown first in this order when present.
const PREFERRED: [&str; 10] = [
    "summary",
    "name",
    "client_name",
    "status_name",
    "agent_name",
    "dateoccurred",
    "email",
    "emailaddress",
    "inventory_number",
    "total",
];

/// Long-text fields never shown by default.
const LONG_FIELDS: [&str; 4] = ["details", "details_html", "note", "note_html"];

/// Strings longer than this are long text.
const LONG_TEXT: usize = 60;

/// How many columns are shown besides `id`.
const MORE: usize = 6;

/// `id`, then up to six short scalar fields of the first row: well-known names first, then the
/// others with a value, in the row's order. Nested objects, arrays and long text are skipped.
pub(super) fn default_columns(first: &Map<String, Value>) -> Vec<String> {
    // A raw id beside the name it stands for (`agent_id` by `agent_name`) tells a reader
    // nothing more, and takes the width the summary needs.
    let named_id = |key: &str| {
        key.strip_suffix("_id")
            .is_some_and(|stem| first.contains_key(&format!("{stem}_name")))
    };
    let shown = |key: &str| {
        !LONG_FIELDS.contains(&key)
            && key != "id"
            && !named_id(key)
            && first.get(key).is_some_and(is_short_scalar)
    };
    let preferred = PREFERRED.into_iter().filter(|key| shown(key));
    let others = first
        .iter()
        .filter(|(key, value)| shown(key) && !PREFERRED.contains(&key.as_str()) && !is_blank(value))
        .map(|(key, _)| key.as_str());
    first
        .contains_key("id")
        .then_some("id")
        .into_iter()
        .chain(preferred.chain(others).take(MORE))
        .map(String::from)
        .collect()
}

fn is_short_scalar(value: &Value) -> bool {
    match value {
        Value::String(s) => s.chars().count() <= LONG_TEXT,
        Value::Array(_) | Value::Object(_) => false,
        Value::Null | Value::Bool(_) | Value::Number(_) => true,
    }
}

fn is_blank(value: &Value) -> bool {
    value.is_null() || value.as_str().is_some_and(str::is_empty)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::tests::tickets;
    use serde_json::json;

    fn columns_of(value: &Value) -> Vec<String> {
        default_columns(value.as_object().expect("an object"))
    }

    #[test]
    fn tickets_show_id_then_well_known_then_short_fields() {
        let columns = columns_of(&tickets()[0]);
        let expected = [
            "id",
            "summary",
            "client_name",
            "status_name",
            "dateoccurred",
            "estimate",
            "onhold",
        ];
        assert_eq!(columns, expected);
    }

    #[test]
    fn long_text_nested_and_blank_fields_are_skipped() {
        let row = json!({
            "a_long": "x".repeat(61),
            "b_nested": {"x": 1},
            "c_list": [1],
            "d_null": null,
            "e_empty": "",
            "note": "short",
            "name": "Acme",
            "z": 1
        });
        assert_eq!(columns_of(&row), ["name", "z"]);
    }
}
