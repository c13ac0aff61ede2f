//! POST body fields checked against the schema Halo's OpenAPI file gives each body.
//!
//! Quirk: Halo keeps a field it does not know as junk instead of refusing it, so a misspelt
//! field (`status` for `status_id`) is lost without a word. The table `fields.tsv` (generated
//! by `scripts/derive_fields.py`) lists each body schema's top-level fields once, with the
//! paths posting it; [`check`] refuses a name not among them and suggests the nearest, and
//! [`check_value`] refuses a value of the wrong type for an int or bool field.

use crate::filter::{hint, nearest};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{LazyLock, OnceLock};
use thiserror::Error;

/// The value type the spec declares for a body field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FieldKind {
    /// An integer (also an integer enum such as `TableEnum`).
    Int,
    /// `true` or `false`.
    Bool,
    /// A decimal number.
    Number,
    /// A date-time.
    Date,
    /// Text (also GUIDs and time spans).
    String,
    /// An object (a schema of its own, or anything: the spec's untyped fields).
    Object,
    /// An array.
    Array,
}

impl FieldKind {
    fn from_tag(tag: &str) -> Option<FieldKind> {
        Some(match tag {
            "int" => FieldKind::Int,
            "bool" => FieldKind::Bool,
            "number" => FieldKind::Number,
            "date" => FieldKind::Date,
            "string" => FieldKind::String,
            "object" => FieldKind::Object,
            "array" => FieldKind::Array,
            _ => return None,
        })
    }
}

/// One top-level field of a POST body, spelt exactly as Halo spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// The exact name (`status_id`, `_novalidate`...).
    pub name: &'static str,
    /// Its declared type.
    pub kind: FieldKind,
}

/// A field the body schema does not list: Halo would keep it as junk.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "unknown field '{name}' for POST /{path} (Halo would keep it as junk, not as a field it \
     knows); {}",
    hint(suggestions)
)]
pub struct UnknownField {
    /// The name as given.
    pub name: String,
    /// The path as the spec spells it (`Tickets`), or as given when the spec has no body
    /// schema for it.
    pub path: String,
    /// Up to three valid names close to `name`, nearest first.
    pub suggestions: Vec<&'static str>,
}

/// The body schemas, each once, and the paths posting them. A schema's fields are parsed the
/// first time it is asked for: a command needs one or two of the 289.
struct Table {
    /// Each schema's line of `fields.tsv`, and its fields once parsed.
    schemas: Vec<(&'static str, OnceLock<Vec<Field>>)>,
    /// Lower-case path → (the spec's spelling, index in `schemas`).
    paths: HashMap<String, (&'static str, usize)>,
}

static TABLE_TEXT: &str = include_str!("fields.tsv");

static TABLE: LazyLock<Table> = LazyLock::new(parse_table);

fn parse_table() -> Table {
    let mut table = Table {
        schemas: Vec::new(),
        paths: HashMap::new(),
    };
    for line in TABLE_TEXT.lines().filter(|l| !l.starts_with('#')) {
        let mut columns = line.splitn(3, '\t');
        let (Some(_schema), Some(paths)) = (columns.next(), columns.next()) else {
            continue;
        };
        for path in paths.split(',') {
            let entry = (path, table.schemas.len());
            table.paths.insert(path.to_ascii_lowercase(), entry);
        }
        table.schemas.push((line, OnceLock::new()));
    }
    table
}

/// `SCHEMA<TAB>path,path...<TAB>kind:name,name...<TAB>...` as the paths and the fields.
fn parse_line(line: &'static str) -> Option<(&'static str, Vec<Field>)> {
    let mut columns = line.split('\t');
    let (_schema, paths) = (columns.next()?, columns.next()?);
    let mut fields = Vec::new();
    for column in columns {
        let (tag, names) = column.split_once(':')?;
        let kind = FieldKind::from_tag(tag)?;
        fields.extend(names.split(',').map(|name| Field { name, kind }));
    }
    Some((paths, fields))
}

/// The spec's spelling of `path` and its schema's fields.
fn schema(path: &str) -> Option<(&'static str, &'static [Field])> {
    let table: &'static Table = &TABLE;
    let &(spelt, index) = table
        .paths
        .get(&path.trim_matches('/').to_ascii_lowercase())?;
    let (line, fields) = table.schemas.get(index)?;
    let fields = fields.get_or_init(|| parse_line(line).map(|(_, f)| f).unwrap_or_default());
    Some((spelt, fields.as_slice()))
}

/// The top-level fields of the body Halo's spec gives `POST /{path}` (`Tickets`, `/actions`;
/// case-insensitive), or `None` when it gives the path no body schema.
pub fn fields_for(path: &str) -> Option<&'static [Field]> {
    schema(path).map(|(_, fields)| fields)
}

/// The field `name` of `POST /{path}`'s body: the exact spelling first, then one differing in
/// case only. When the spec gives the path no body schema, every name is unknown (with no
/// suggestion): see [`fields_for`].
pub fn check(path: &str, name: &str) -> Result<&'static Field, UnknownField> {
    let (spelt, fields) = schema(path).unwrap_or((path.trim_matches('/'), &[]));
    fields
        .iter()
        .find(|f| f.name == name)
        .or_else(|| fields.iter().find(|f| f.name.eq_ignore_ascii_case(name)))
        .ok_or_else(|| UnknownField {
            name: name.to_owned(),
            path: spelt.to_owned(),
            suggestions: nearest(fields.iter().map(|f| f.name), name),
        })
}

/// Checks `value` against `field`'s kind: an int field takes an integer, its digits as a
/// string (`"3"`) or null, a bool field `true`, `false`, `"true"`, `"false"` or null; other
/// kinds take anything. The error is one line naming the field and what it takes.
pub fn check_value(field: &Field, value: &Value) -> Result<(), String> {
    let (fits, takes) = match field.kind {
        FieldKind::Int => (
            match value {
                // With serde_json's `arbitrary_precision` (on in this workspace) a number
                // keeps its text, so `3.0` is no integer: Halo refuses one (reference §7).
                // An integer too big for 64 bits is still one: Halo, not halo, judges it.
                Value::Number(n) => is_integer_text(&n.to_string()),
                Value::String(s) => is_integer_text(s),
                other => other.is_null(),
            },
            "an integer (or its digits as a string, or null)",
        ),
        FieldKind::Bool => (
            match value {
                Value::String(s) => s == "true" || s == "false",
                other => other.is_boolean() || other.is_null(),
            },
            "true or false (or \"true\", \"false\", or null)",
        ),
        _ => (true, ""),
    };
    if fits {
        Ok(())
    } else {
        Err(format!(
            "{} takes {takes}, not {}",
            field.name,
            shown(value)
        ))
    }
}

/// Whether `text` is an integer's digits, with an optional minus sign.
pub fn is_integer_text(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// A value for a message: a scalar as JSON (long text cut), an array or object by its kind.
fn shown(value: &Value) -> String {
    match value {
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
        scalar => {
            let text = scalar.to_string();
            match text.char_indices().nth(40) {
                Some((cut, _)) => format!("{}…", &text[..cut]),
                None => text,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(path: &str, name: &str) -> Option<&'static Field> {
        check(path, name).ok()
    }

    #[test]
    fn every_line_parses() {
        let lines = TABLE_TEXT.lines().filter(|l| !l.starts_with('#'));
        for line in lines.clone() {
            assert!(parse_line(line).is_some(), "bad line: {line}");
        }
        assert_eq!(TABLE.schemas.len(), lines.count());
        assert!(TABLE.schemas.len() > 250, "{} schemas", TABLE.schemas.len());
        assert!(TABLE.paths.len() > 300, "{} paths", TABLE.paths.len());
        let fields: usize = TABLE
            .schemas
            .iter()
            .filter_map(|(line, _)| parse_line(line))
            .map(|(_, f)| f.len())
            .sum();
        assert!(fields > 14_000, "{fields} fields");
    }

    #[test]
    fn tickets_know_their_fields() {
        for name in [
            "client_name",
            "summary",
            "status_id",
            "_novalidate",
            "customfields",
        ] {
            assert!(field("Tickets", name).is_some(), "{name}");
        }
        let kind = |path, name| field(path, name).map(|f| f.kind);
        assert_eq!(kind("Tickets", "status_id"), Some(FieldKind::Int));
        assert_eq!(kind("Tickets", "summary"), Some(FieldKind::String));
        assert_eq!(kind("Tickets", "dateoccurred"), Some(FieldKind::Date));
        assert_eq!(kind("Tickets", "customfields"), Some(FieldKind::Array));
        assert_eq!(kind("Tickets", "onhold"), Some(FieldKind::Bool));
        let faults = fields_for("Tickets").map(<[Field]>::len);
        assert!(faults.is_some_and(|n| n > 800), "{faults:?}");
    }

    #[test]
    fn actions_know_note_and_outcome() {
        for name in ["note", "outcome", "outcome_id", "ticket_id"] {
            assert!(field("Actions", name).is_some(), "{name}");
        }
    }

    #[test]
    fn paths_match_case_insensitively_and_share_a_schema() {
        assert_eq!(fields_for("/tickets/"), fields_for("Tickets"));
        let (tickets, projects) = (fields_for("Tickets"), fields_for("Projects"));
        assert!(
            tickets
                .zip(projects)
                .is_some_and(|(t, p)| std::ptr::eq(t, p))
        );
        assert!(fields_for("Client").is_some_and(|f| f.iter().any(|f| f.name == "name")));
        assert!(fields_for("Actions/reaction").is_some());
        assert!(fields_for("Nowhere").is_none());
        assert!(fields_for("Tickets/12").is_none());
    }

    #[test]
    fn exact_spelling_first_then_case() {
        assert_eq!(
            field("Tickets", "STATUS_ID").map(|f| f.name),
            Some("status_id")
        );
        assert_eq!(field("tickets", "summary").map(|f| f.name), Some("summary"));
    }

    #[test]
    fn unknown_fields_get_suggestions() {
        let err = check("tickets", "status").err();
        let first = err.as_ref().and_then(|e| e.suggestions.first().copied());
        assert_eq!(first, Some("status_id"));
        let message = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.starts_with(
                "unknown field 'status' for POST /Tickets (Halo would keep it as junk"
            ),
            "{message}"
        );
        assert!(message.contains("did you mean status_id"), "{message}");
        assert!(!message.contains("--"), "names no flag: {message}");
        let nowhere = check("Nowhere", "status").err();
        assert_eq!(
            nowhere.map(|e| (e.path, e.suggestions)),
            Some(("Nowhere".to_owned(), Vec::new()))
        );
    }

    #[test]
    fn int_fields_refuse_what_is_not_an_integer() {
        let status_id = Field {
            name: "status_id",
            kind: FieldKind::Int,
        };
        for good in [
            json!(3),
            json!(-3),
            json!("3"),
            json!(null),
            json!(u64::MAX),
        ] {
            assert_eq!(check_value(&status_id, &good), Ok(()), "{good}");
        }
        for bad in [
            json!(3.0),
            json!(1.5),
            json!("open"),
            json!("3.0"),
            json!(true),
            json!([3]),
        ] {
            assert!(check_value(&status_id, &bad).is_err(), "{bad} accepted");
        }
        assert_eq!(
            check_value(&status_id, &json!("open")),
            Err(
                "status_id takes an integer (or its digits as a string, or null), not \"open\""
                    .into()
            )
        );
        let big: Value = serde_json::from_str("123456789012345678901234567890").unwrap();
        assert!(
            check_value(&status_id, &big).is_ok(),
            "an integer, however long"
        );
        let long = json!("x".repeat(100));
        assert!(check_value(&status_id, &long).is_err_and(|e| e.ends_with("xxx…")));
    }

    #[test]
    fn bool_fields_refuse_what_is_not_a_bool() {
        let onhold = Field {
            name: "onhold",
            kind: FieldKind::Bool,
        };
        for good in [
            json!(true),
            json!(false),
            json!("true"),
            json!("false"),
            json!(null),
        ] {
            assert_eq!(check_value(&onhold, &good), Ok(()), "{good}");
        }
        for bad in [json!(1), json!("yes"), json!("True"), json!({})] {
            assert!(check_value(&onhold, &bad).is_err(), "{bad} accepted");
        }
        assert!(check_value(&onhold, &json!({})).is_err_and(|e| e.ends_with("not an object")));
    }

    #[test]
    fn other_kinds_take_anything() {
        let summary = Field {
            name: "summary",
            kind: FieldKind::String,
        };
        for any in [
            json!(3),
            json!("x"),
            json!(null),
            json!([1]),
            json!({"a": 1}),
        ] {
            assert_eq!(check_value(&summary, &any), Ok(()));
        }
    }
}
