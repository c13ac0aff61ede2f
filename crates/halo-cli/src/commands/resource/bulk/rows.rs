//! Records to objects. CSV cells are typed by the field table (integers, booleans, numbers,
//! dates), dotted names nest (`user.name`), an empty cell leaves its field out (or sends
//! null), name columns (`client`, `status`) are looked up like the name flags, and `cf.NAME`
//! columns are gathered for the custom fields. Field names are checked as `--set` checks
//! them, once per column, before anything is sent; a cell that cannot be its field's type
//! fails its row only.

use super::input::{Cells, Input, Record};
use crate::commands::resource::fields::{self as cli_fields, NameFlag};
use crate::names::Names;
use anyhow::Result;
use halopsa::FieldKind;
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// What a column (or a JSON key) holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// A body field, by its dotted path, with its type when the table knows it.
    Field {
        /// The names from the top down (`["user", "name"]`).
        path: Vec<String>,
        /// The top-level field's type (`None` for a nested or an allowed unknown field).
        kind: Option<FieldKind>,
    },
    /// A name looked up into the field its name flag sets (`client` → `client_id`).
    Name(NameFlag),
    /// A custom field, by the name, label or API name after `cf.`.
    Custom(String),
}

/// One record turned into an object, with what is still to be looked up.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The record's line.
    pub line: u64,
    /// The fields given directly.
    pub object: Value,
    /// Name columns and their text.
    pub names: Vec<(NameFlag, String)>,
    /// Custom fields (the name after `cf.`) and their values.
    pub custom: Vec<(String, Value)>,
}

/// The columns of `header` for `POST /{path}`: an unknown field name (or a display name such
/// as `client_name`) is refused with the nearest names, as `--set` refuses it.
pub fn columns(path: &str, header: &[String], allow_unknown: bool) -> Result<Vec<Column>> {
    let flags = cli_fields::name_flags(path);
    header
        .iter()
        .map(|name| column(path, &flags, name, allow_unknown))
        .collect()
}

fn column(path: &str, flags: &[NameFlag], name: &str, allow_unknown: bool) -> Result<Column> {
    if let Some(custom) = strip_prefix_ignore_case(name, "cf.") {
        return Ok(Column::Custom(custom.to_string()));
    }
    if let Some(flag) = flags.iter().find(|f| f.flag.eq_ignore_ascii_case(name)) {
        return Ok(Column::Name(*flag));
    }
    let mut path_names: Vec<String> = name.split('.').map(str::to_string).collect();
    let top = path_names[0].clone();
    cli_fields::check(path, &[json!({ top.as_str(): null })], allow_unknown)?;
    let known = halopsa::fields::check(path, &top).ok();
    let kind = known.filter(|_| path_names.len() == 1).map(|f| f.kind);
    // The spec's spelling of a field given in another case.
    if let Some(field) = known {
        path_names[0] = field.name.to_string();
    }
    Ok(Column::Field {
        path: path_names,
        kind,
    })
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
        .filter(|rest| !rest.is_empty())
}

/// Every record of `input` as a [`Row`], or, for a record whose cells cannot be their
/// fields' types, the message why (its row fails; the others go on).
pub fn rows(
    path: &str,
    input: &Input,
    allow_unknown: bool,
    empty_as_null: bool,
) -> Result<Vec<(Record, Result<Row, String>)>> {
    let columns = columns(path, &input.header, allow_unknown)?;
    let flags = cli_fields::name_flags(path);
    let mut out = Vec::with_capacity(input.records.len());
    for record in &input.records {
        let row = match &record.cells {
            Cells::Csv(cells) => Ok(csv_row(record.line, &columns, cells, empty_as_null)),
            Cells::Json(value) => json_row(path, &flags, record.line, value, allow_unknown),
        }?;
        out.push((record.clone(), row));
    }
    Ok(out)
}

fn csv_row(
    line: u64,
    columns: &[Column],
    cells: &[String],
    empty_as_null: bool,
) -> Result<Row, String> {
    let mut row = Row {
        line,
        object: Value::Object(Map::new()),
        names: Vec::new(),
        custom: Vec::new(),
    };
    for (column, cell) in columns.iter().zip(cells) {
        let text = cell.trim();
        if text.is_empty() && !empty_as_null {
            continue;
        }
        match column {
            Column::Custom(name) => {
                let value = if text.is_empty() {
                    Value::Null
                } else {
                    Value::String(text.to_string())
                };
                row.custom.push((name.clone(), value));
            }
            Column::Name(flag) if text.is_empty() => {
                set(&mut row.object, &[flag.field.to_string()], Value::Null);
            }
            Column::Name(flag) => row.names.push((*flag, text.to_string())),
            Column::Field { path, kind } => {
                let value = if text.is_empty() {
                    Value::Null
                } else {
                    typed(*kind, text).map_err(|why| format!("{}: {why}", path.join(".")))?
                };
                set(&mut row.object, path, value);
            }
        }
    }
    Ok(row)
}

/// A cell's text as its field's type.
fn typed(kind: Option<FieldKind>, text: &str) -> Result<Value, String> {
    match kind {
        Some(FieldKind::Int) if halopsa::fields::is_integer_text(text) => {
            serde_json::from_str(text).map_err(|e| e.to_string())
        }
        Some(FieldKind::Int) => Err(format!("'{text}' is not an integer")),
        Some(FieldKind::Bool) => match text.to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Ok(Value::Bool(true)),
            "false" | "no" | "0" => Ok(Value::Bool(false)),
            _ => Err(format!("'{text}' is not true or false")),
        },
        Some(FieldKind::Number) => match serde_json::from_str::<Value>(text) {
            Ok(n @ Value::Number(_)) => Ok(n),
            _ => Err(format!("'{text}' is not a number")),
        },
        Some(FieldKind::Date) => halopsa::filter::date_value(text)
            .map(Value::String)
            .ok_or_else(|| format!("'{text}' is not a date (2026-01-31 or 2026-01-31T09:00Z)")),
        Some(FieldKind::Object | FieldKind::Array) => {
            serde_json::from_str(text).map_err(|e| format!("'{text}' is not JSON: {e}"))
        }
        Some(FieldKind::String) => Ok(Value::String(text.to_string())),
        _ => Ok(crate::input::set_value(text)),
    }
}

/// Sets the field at `path` (nested objects made as needed).
fn set(object: &mut Value, path: &[String], value: Value) {
    let mut at = object;
    for (i, name) in path.iter().enumerate() {
        if !at.is_object() {
            *at = Value::Object(Map::new());
        }
        let Value::Object(map) = at else { return };
        if i + 1 == path.len() {
            map.insert(name.clone(), value);
            return;
        }
        at = map
            .entry(name.clone())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

fn json_row(
    path: &str,
    flags: &[NameFlag],
    line: u64,
    value: &Value,
    allow_unknown: bool,
) -> Result<Result<Row, String>> {
    let mut row = Row {
        line,
        object: Value::Object(Map::new()),
        names: Vec::new(),
        custom: Vec::new(),
    };
    let Value::Object(map) = value else {
        return Ok(Err("not a JSON object".to_string()));
    };
    let mut fields = Map::new();
    for (key, v) in map {
        if let Some(custom) = strip_prefix_ignore_case(key, "cf.") {
            row.custom.push((custom.to_string(), v.clone()));
        } else if let Some(flag) = flags.iter().find(|f| {
            f.flag.eq_ignore_ascii_case(key) && halopsa::fields::check(path, key).is_err()
        }) {
            match v {
                Value::String(s) => row.names.push((*flag, s.clone())),
                Value::Number(n) => row.names.push((*flag, n.to_string())),
                _ => return Ok(Err(format!("{key}: give a name or an id"))),
            }
        } else {
            fields.insert(key.clone(), v.clone());
        }
    }
    let object = Value::Object(fields);
    if let Err(e) = cli_fields::check(path, std::slice::from_ref(&object), allow_unknown) {
        // A wrong value fails the row; an unknown name is the file's mistake.
        let text = e.to_string();
        if text.starts_with("unknown field") || text.contains("is the name Halo shows") {
            return Err(e.context(format!("line {line}")));
        }
        return Ok(Err(text.trim_start_matches("--set ").to_string()));
    }
    row.object = object;
    Ok(Ok(row))
}

/// Looks up the name columns of `rows` (each distinct name once) into their fields; a row
/// whose name is unknown or ambiguous fails with the lookup's message.
pub async fn resolve_names(
    names: &mut Names<'_>,
    rows: &mut [(Record, Result<Row, String>)],
) -> Result<()> {
    let mut known: HashMap<(&'static str, String), Result<Value, String>> = HashMap::new();
    for (_, row) in rows.iter_mut() {
        let Ok(r) = row else { continue };
        let mut failed = None;
        for (flag, text) in std::mem::take(&mut r.names) {
            let key = (flag.field, text.to_lowercase());
            if !known.contains_key(&key) {
                let found = cli_fields::value_of(names, &flag, &text)
                    .await
                    .map_err(|e| e.to_string());
                known.insert(key.clone(), found);
            }
            match &known[&key] {
                Ok(value) if r.object.get(flag.field).is_some() => {
                    failed = Some(format!(
                        "'{}' and '{}' were both given: give one (value {value})",
                        flag.flag, flag.field
                    ));
                }
                Ok(value) => r.object[flag.field] = value.clone(),
                Err(why) => failed = Some(format!("{}: {why}", flag.flag)),
            }
        }
        if let Some(why) = failed {
            *row = Err(why);
        }
    }
    names.save();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::resource::bulk::input::FromFormat;

    fn csv_input(header: &[&str], cells: &[&[&str]]) -> Input {
        Input {
            format: FromFormat::Csv,
            header: header.iter().map(|h| h.to_string()).collect(),
            records: cells
                .iter()
                .enumerate()
                .map(|(i, c)| Record {
                    line: i as u64 + 2,
                    cells: Cells::Csv(c.iter().map(|s| s.to_string()).collect()),
                })
                .collect(),
        }
    }

    #[test]
    fn cells_are_typed_nested_and_sorted_by_kind() {
        let input = csv_input(
            &[
                "ID",
                "status_id",
                "onhold",
                "summary",
                "client",
                "cf.Region",
            ],
            &[
                &["7", "9", "yes", "Printer", "Acme", "North"],
                &["8", "", "", "", "", ""],
            ],
        );
        let rows = super::rows("Tickets", &input, false, false).unwrap();
        let first = rows[0].1.as_ref().unwrap();
        assert_eq!(
            first.object,
            json!({"id": 7, "status_id": 9, "onhold": true, "summary": "Printer"})
        );
        assert_eq!(first.names[0].0.field, "client_id");
        assert_eq!(first.names[0].1, "Acme");
        assert_eq!(first.custom, vec![("Region".to_string(), json!("North"))]);
        assert_eq!(rows[1].1.as_ref().unwrap().object, json!({"id": 8}));
        let nulls = rows_of(&input, true);
        assert_eq!(
            nulls[1].1.as_ref().unwrap().object["status_id"],
            Value::Null
        );
    }

    #[test]
    fn dotted_names_nest() {
        let mut object = json!({"id": 1});
        set(&mut object, &["user".into(), "name".into()], json!("Jo"));
        set(&mut object, &["user".into(), "email".into()], json!("jo@x"));
        assert_eq!(
            object,
            json!({"id": 1, "user": {"name": "Jo", "email": "jo@x"}})
        );
    }

    fn rows_of(input: &Input, empty_as_null: bool) -> Vec<(Record, Result<Row, String>)> {
        rows("Tickets", input, false, empty_as_null).unwrap()
    }

    #[test]
    fn a_wrong_cell_fails_its_row_and_a_wrong_column_the_file() {
        let input = csv_input(&["id", "status_id"], &[&["7", "Closed"], &["8", "9"]]);
        let rows = rows_of(&input, false);
        let why = rows[0].1.as_ref().unwrap_err();
        assert!(
            why.contains("status_id: 'Closed' is not an integer"),
            "{why}"
        );
        assert!(rows[1].1.is_ok());
        let input = csv_input(&["id", "statsu_id"], &[&["7", "9"]]);
        let err = super::rows("Tickets", &input, false, false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field 'statsu_id'"), "{err}");
        assert!(err.contains("status_id"), "{err}");
        let input = csv_input(&["id", "client_name"], &[&["7", "Acme"]]);
        let err = super::rows("Tickets", &input, false, false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("client_name"), "{err}");
        let input = csv_input(&["id", "when"], &[&["7", "x"]]);
        assert!(super::rows("Tickets", &input, true, false).is_ok());
    }

    #[test]
    fn dates_become_halo_dates() {
        assert_eq!(
            typed(Some(FieldKind::Date), "2026-01-31").unwrap(),
            json!("2026-01-31T00:00:00Z")
        );
        assert!(typed(Some(FieldKind::Date), "31/01/2026").is_err());
        assert_eq!(typed(Some(FieldKind::Number), "2.5").unwrap(), json!(2.5));
        assert!(typed(Some(FieldKind::Bool), "maybe").is_err());
    }

    #[test]
    fn json_records_split_names_custom_fields_and_fields() {
        let input = Input {
            format: FromFormat::Ndjson,
            header: Vec::new(),
            records: vec![Record {
                line: 1,
                cells: Cells::Json(
                    json!({"id": 3, "client": "Acme", "cf.Region": "North", "status_id": "x"}),
                ),
            }],
        };
        let rows = super::rows("Tickets", &input, false, false).unwrap();
        let why = rows[0].1.as_ref().unwrap_err();
        assert!(why.contains("status_id takes an integer"), "{why}");
        let input = Input {
            records: vec![Record {
                line: 4,
                cells: Cells::Json(
                    json!({"id": 3, "client": "Acme", "cf.Region": "North", "team": "Projects"}),
                ),
            }],
            ..input
        };
        let rows = super::rows("Tickets", &input, false, false).unwrap();
        let row = rows[0].1.as_ref().unwrap();
        assert_eq!(row.object, json!({"id": 3, "team": "Projects"}));
        assert_eq!(row.names.len(), 1);
        assert_eq!(row.custom.len(), 1);
    }
}
