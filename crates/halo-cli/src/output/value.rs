//! Reaching into JSON values and turning them into text.

use serde_json::{Map, Value};
use std::borrow::Cow;

/// The prefix of a custom field's column (`cf.CFContractRef`).
pub const CUSTOM_FIELD: &str = "cf.";

/// The value at a dotted path in a row: object keys, or indexes into arrays
/// (`customfields.0.value`); `cf.NAME` is the value of the custom field named NAME.
pub(super) fn lookup<'a>(row: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    if let Some(name) = path.strip_prefix(CUSTOM_FIELD)
        && let Some((_, value)) = custom_fields(row).find(|(n, _)| *n == name)
    {
        return Some(value);
    }
    let mut keys = path.split('.');
    let first = row.get(keys.next()?)?;
    keys.try_fold(first, |v, key| match v {
        Value::Object(map) => map.get(key),
        Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })
}

/// A row as an object: anything else becomes `{"value": row}`.
pub(super) fn record(row: &Value) -> Cow<'_, Map<String, Value>> {
    match row {
        Value::Object(map) => Cow::Borrowed(map),
        other => Cow::Owned(Map::from_iter([("value".to_string(), other.clone())])),
    }
}

/// Cell text: strings as-is, null empty, numbers and bools as JSON, nested values as compact JSON.
pub(super) fn text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A value for YAML output. Numbers are kept as the server wrote them (serde_json's
/// `arbitrary_precision`), which only serde_json's own writer understands: here each becomes
/// a YAML integer or float, or, when it fits neither exactly (more digits than 64 bits hold),
/// a string of its digits, so no digit is lost.
pub(super) fn yaml(value: &Value) -> yaml_serde::Value {
    use yaml_serde::Value as Y;
    match value {
        Value::Null => Y::Null,
        Value::Bool(b) => Y::Bool(*b),
        Value::String(s) => Y::String(s.clone()),
        Value::Number(n) => {
            let digits = n.to_string();
            match (n.as_i64(), n.as_u64(), n.as_f64()) {
                (Some(i), _, _) => Y::Number(i.into()),
                (None, Some(u), _) => Y::Number(u.into()),
                (None, None, Some(f)) if f.is_finite() && exact_in_f64(&digits) => {
                    Y::Number(f.into())
                }
                _ => Y::String(digits),
            }
        }
        Value::Array(items) => Y::Sequence(items.iter().map(yaml).collect()),
        Value::Object(map) => Y::Mapping(
            map.iter()
                .map(|(k, v)| (Y::String(k.clone()), yaml(v)))
                .collect(),
        ),
    }
}

/// Whether a decimal number (not an integer too large for 64 bits) survives a trip through
/// an f64: at most 15 significant digits do.
fn exact_in_f64(digits: &str) -> bool {
    let mantissa = digits.split(['e', 'E']).next().unwrap_or(digits);
    if !mantissa.contains('.') {
        return false; // an integer beyond i64 and u64
    }
    let significant = mantissa
        .trim_start_matches(['-', '+', '0', '.'])
        .replace('.', "");
    significant.trim_end_matches('0').len() <= 15
}

/// A Halo date-time (UTC, up to 7 fractional digits, the offset often missing) in this
/// machine's time zone, to the minute (`2026-11-30 09:30`); a placeholder date (at or before
/// 1900-01-01) is empty; anything that is no date-time comes back as it is.
pub fn local_time(text: &str) -> String {
    let trimmed = text.trim();
    let Some(civil) = trimmed
        .get(..19)
        .and_then(|t| t.parse::<jiff::civil::DateTime>().ok())
    else {
        return text.to_string();
    };
    if civil.year() <= 1900 {
        return String::new();
    }
    // Quirk: Halo's date-times are UTC, their offset often left out.
    let instant = match trimmed.parse::<jiff::Timestamp>() {
        Ok(ts) => ts,
        Err(_) => match civil.to_zoned_datetime(jiff::tz::TimeZone::UTC) {
            Ok(z) => z.timestamp(),
            Err(_) => return text.to_string(),
        },
    };
    instant
        .to_zoned_datetime(jiff::tz::TimeZone::system())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

/// CSV field text: like [`text`], but an array of scalars is joined with `;`.
pub(super) fn csv_text(value: &Value) -> String {
    match value {
        Value::Array(items) if items.iter().all(is_scalar) => {
            items.iter().map(text).collect::<Vec<_>>().join(";")
        }
        other => text(other),
    }
}

/// An object as `(dotted key, CSV text)` pairs: nested objects become `parent.child` keys (an
/// empty one a single empty field), everything else one field.
pub(super) fn flatten(map: &Map<String, Value>) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    flatten_into(map, "", &mut fields);
    fields
}

fn flatten_into(map: &Map<String, Value>, prefix: &str, fields: &mut Vec<(String, String)>) {
    for (key, value) in map {
        if prefix.is_empty() && key == "customfields" {
            // Each custom field is a column of its own, by name.
            let named: Vec<(String, String)> = custom_fields(map)
                .map(|(name, v)| (format!("{CUSTOM_FIELD}{name}"), csv_text(v)))
                .collect();
            if !named.is_empty() || value.as_array().is_some_and(|a| a.is_empty()) {
                fields.extend(named);
                continue;
            }
        }
        let key = format!("{prefix}{key}");
        match value {
            Value::Object(inner) if inner.is_empty() => fields.push((key, String::new())),
            Value::Object(inner) => flatten_into(inner, &format!("{key}."), fields),
            other => fields.push((key, csv_text(other))),
        }
    }
}

/// A row's custom fields as (name, value): Halo sends them as an array of objects under
/// `customfields`, each with its `name` and `value` (or, for some types, `display`).
fn custom_fields(row: &Map<String, Value>) -> impl Iterator<Item = (&str, &Value)> {
    row.get("customfields")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|f| {
            let name = f.get("name")?.as_str()?;
            let value = f
                .get("value")
                .filter(|v| !v.is_null())
                .or_else(|| f.get("display"))
                .unwrap_or(&Value::Null);
            Some((name, value))
        })
}

/// Columns in the order a person wants them: `id` first, the rest as given.
pub(super) fn id_first(mut columns: Vec<String>) -> Vec<String> {
    if let Some(at) = columns.iter().position(|c| c == "id") {
        let id = columns.remove(at);
        columns.insert(0, id);
    }
    columns
}

fn is_scalar(value: &Value) -> bool {
    !matches!(value, Value::Array(_) | Value::Object(_))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lookup_follows_keys_and_indexes() {
        let v = json!({"client": {"name": "Acme"}, "cf": [{"value": 7}]});
        let v = v.as_object().expect("an object");
        assert_eq!(lookup(v, "client.name"), Some(&json!("Acme")));
        assert_eq!(lookup(v, "cf.0.value"), Some(&json!(7)));
        assert_eq!(lookup(v, "client.missing"), None);
        assert_eq!(lookup(v, "cf.x"), None);
    }

    #[test]
    fn text_and_csv_text() {
        assert_eq!(text(&json!(null)), "");
        assert_eq!(text(&json!("a \"b\"")), "a \"b\"");
        assert_eq!(text(&json!(1.5)), "1.5");
        assert_eq!(text(&json!(true)), "true");
        assert_eq!(text(&json!({"a": [1]})), r#"{"a":[1]}"#);
        assert_eq!(csv_text(&json!(["a", 1, null])), "a;1;");
        assert_eq!(csv_text(&json!([{"a": 1}])), r#"[{"a":1}]"#);
    }

    #[test]
    fn dates_show_in_local_time_and_placeholders_as_nothing() {
        let utc = jiff::tz::TimeZone::UTC;
        let shown = local_time("2026-11-30T09:30:12.1234567");
        let expected = jiff::civil::date(2026, 11, 30)
            .at(9, 30, 0, 0)
            .to_zoned_datetime(utc)
            .unwrap()
            .with_time_zone(jiff::tz::TimeZone::system())
            .strftime("%Y-%m-%d %H:%M")
            .to_string();
        assert_eq!(shown, expected);
        assert_eq!(local_time("2026-11-30T09:30:00Z"), expected);
        assert_eq!(local_time("1900-01-01T00:00:00"), "");
        assert_eq!(local_time("not a date"), "not a date");
    }

    #[test]
    fn yaml_numbers_are_numbers_with_every_digit() {
        let v: Value = serde_json::from_str(
            r#"{"a": 10, "b": -3, "c": 7.5, "d": 3.0, "big": 1000000000000000000000000000001, "e": 1e400, "f": 0.1234567890123456789}"#,
        )
        .unwrap();
        let text = yaml_serde::to_string(&yaml(&v)).unwrap();
        for line in [
            "a: 10",
            "b: -3",
            "c: 7.5",
            "d: 3.0",
            "big: '1000000000000000000000000000001'",
            "f: '0.1234567890123456789'",
        ] {
            assert!(text.contains(line), "{line} in {text}");
        }
        assert!(!text.contains("serde_json"), "{text}");
    }

    #[test]
    fn custom_fields_are_columns_by_name() {
        let row = json!({"id": 1, "customfields": [
            {"id": 150, "name": "CFContractRef", "value": "C-99"},
            {"id": 151, "name": "CFTier", "value": null, "display": "Gold"}
        ]});
        let fields = flatten(&record(&row));
        assert_eq!(
            fields,
            [
                ("cf.CFContractRef".to_string(), "C-99".to_string()),
                ("cf.CFTier".to_string(), "Gold".to_string()),
                ("id".to_string(), "1".to_string()),
            ]
        );
        assert_eq!(
            lookup(&record(&row), "cf.CFContractRef"),
            Some(&json!("C-99"))
        );
        assert_eq!(id_first(vec!["a".into(), "id".into()]), ["id", "a"]);
    }

    #[test]
    fn flatten_uses_dotted_keys() {
        let v = json!({"a": {"b": {"c": 1}, "d": {}}, "e": [1, 2]});
        let fields = flatten(&record(&v));
        let expected = [("a.b.c", "1"), ("a.d", ""), ("e", "1;2")];
        let expected: Vec<_> = expected.map(|(k, v)| (k.to_string(), v.to_string())).into();
        assert_eq!(fields, expected);
    }

    #[test]
    fn record_wraps_non_objects() {
        assert_eq!(record(&json!(3)).get("value"), Some(&json!(3)));
    }
}
