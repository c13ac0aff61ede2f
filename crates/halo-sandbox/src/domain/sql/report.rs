//! `/Report` answers that run SQL (the row's `runs_sql`): a POST of `[{sql,
//! _loadreportonly: true}]`, and `GET /Report/{id}?loadreport=true` of a saved report. Both
//! answer status 200 with `{…, report: {loaded, load_error, rows}, available_columns}`, a
//! failed query included (`loaded: false`, the message in `load_error`, no rows).

use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde_json::{Map, Value};

use crate::domain::outcome::{Answer, Done, Refusal};
use crate::domain::query::Params;
use crate::domain::reads::{find, is_deleted};
use crate::domain::sql::translate::Period;
use crate::domain::sql::{self as engine, ROW_CAP, Table};
use crate::domain::store::Store;
use halopsa::resource::Resource;

/// The SQL of a POST body that asks only to run it (`_loadreportonly: true` on its first
/// element); `None` for a report to save.
pub fn load_only(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let first = value.as_array()?.first()?.as_object()?;
    let asked = match first.get("_loadreportonly")? {
        Value::Bool(b) => *b,
        Value::String(s) => s.eq_ignore_ascii_case("true"),
        _ => false,
    };
    asked.then(|| {
        first
            .get("sql")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    })
}

/// `POST /Report` with `_loadreportonly`: the query's answer.
pub fn run_posted(store: &Store, sql: &str) -> Answer {
    let outcome = engine::run(store, sql, None, ROW_CAP);
    let body = Posted {
        id: 0,
        name: "",
        sql,
        report: Loaded(&outcome),
        available_columns: Columns(&outcome),
    };
    made(&body)
}

/// `GET /Report/{id}?loadreport=true[&reportingperiodstartdate=…&reportingperiodenddate=…]`:
/// the saved report with its rows (only those in the period, when the report names a
/// `reportingperioddatefield` and both dates are given).
pub fn run_saved(store: &Store, res: &Resource, id: &str, p: &Params) -> Answer {
    let Some((_, doc)) = find(store, res, id, None)?.filter(|(_, d)| !is_deleted(d)) else {
        return Err(Refusal::Missing {
            path: res.path,
            id: id.to_string(),
        });
    };
    let sql = doc.get("sql").and_then(Value::as_str).unwrap_or_default();
    let field = doc
        .get("reportingperioddatefield")
        .and_then(Value::as_str)
        .filter(|f| !f.is_empty());
    let dates = (
        p.get("reportingperiodstartdate"),
        p.get("reportingperiodenddate"),
    );
    let outcome = match (field, dates) {
        (Some(field), (Some(start), Some(end))) => period(field, start, end)
            .and_then(|period| engine::run(store, sql, Some(&period), ROW_CAP)),
        _ => engine::run(store, sql, None, ROW_CAP),
    };
    made(&Saved {
        doc: &doc,
        report: Loaded(&outcome),
        available_columns: Columns(&outcome),
    })
}

/// The period from the query's dates (ISO date or date-time; a date alone as an end means
/// the whole of that day).
fn period(field: &str, start: &str, end: &str) -> Result<Period, String> {
    Ok(Period {
        field: field.to_string(),
        start: sqlite_instant(start, "00:00:00")?,
        end: sqlite_instant(end, "23:59:59")?,
    })
}

/// `2026-01-31`, `2026-01-31T10:00:00[.fff][Z]` as `2026-01-31 10:00:00`; a date alone takes
/// `time`.
fn sqlite_instant(text: &str, time: &str) -> Result<String, String> {
    let invalid = || format!("The reporting period date '{text}' is not a valid date.");
    let t = text.trim().trim_end_matches('Z');
    let (date, clock) = match t.split_once(['T', ' ']) {
        Some((d, c)) => (d, c.split('.').next().unwrap_or(c)),
        None => (t, time),
    };
    // Digits where the pattern has `9`, the pattern's character elsewhere.
    let shaped = |s: &str, pattern: &str| {
        s.len() == pattern.len()
            && s.bytes().zip(pattern.bytes()).all(|(c, p)| match p {
                b'9' => c.is_ascii_digit(),
                _ => c == p,
            })
    };
    let date_ok = shaped(date, "9999-99-99");
    let clock_ok = shaped(clock, "99:99:99");
    if !date_ok || !clock_ok {
        return Err(invalid());
    }
    Ok(format!("{date} {clock}"))
}

fn made(body: &impl Serialize) -> Answer {
    let text = serde_json::to_string(body).map_err(|e| Refusal::Invalid(e.to_string()))?;
    Ok(Done::Made(text))
}

/// The ad-hoc query's answer, keys in Halo's order.
#[derive(Serialize)]
struct Posted<'a> {
    id: i64,
    name: &'a str,
    sql: &'a str,
    report: Loaded<'a>,
    available_columns: Columns<'a>,
}

/// A saved report's object (`id` first), then `report` and `available_columns`.
struct Saved<'a> {
    doc: &'a Map<String, Value>,
    report: Loaded<'a>,
    available_columns: Columns<'a>,
}

impl Serialize for Saved<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        if let Some(id) = self.doc.get("id") {
            map.serialize_entry("id", id)?;
        }
        for (k, v) in self.doc {
            if !matches!(k.as_str(), "id" | "report" | "available_columns") {
                map.serialize_entry(k, v)?;
            }
        }
        map.serialize_entry("report", &self.report)?;
        map.serialize_entry("available_columns", &self.available_columns)?;
        map.end()
    }
}

/// `report`: `{loaded, load_error, rows}`, each row's keys in column order.
struct Loaded<'a>(&'a Result<Table, String>);

impl Serialize for Loaded<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(3))?;
        map.serialize_entry("loaded", &self.0.is_ok())?;
        map.serialize_entry(
            "load_error",
            self.0.as_ref().err().map_or("", String::as_str),
        )?;
        match self.0 {
            Ok(table) => map.serialize_entry("rows", &Rows(table))?,
            Err(_) => map.serialize_entry("rows", &[] as &[Value])?,
        }
        map.end()
    }
}

struct Rows<'a>(&'a Table);

impl Serialize for Rows<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.rows.len()))?;
        for row in &self.0.rows {
            seq.serialize_element(&Row(self.0, row))?;
        }
        seq.end()
    }
}

/// One row as an object, its keys in the SELECT's order.
struct Row<'a>(&'a Table, &'a [Value]);

impl Serialize for Row<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.1.len()))?;
        for (column, value) in self.0.columns.iter().zip(self.1) {
            map.serialize_entry(&column.name, value)?;
        }
        map.end()
    }
}

/// `available_columns`: `[{id, name, data_type, sequence}]`, empty after an error.
struct Columns<'a>(&'a Result<Table, String>);

impl Serialize for Columns<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct One<'a> {
            id: usize,
            name: &'a str,
            data_type: &'a str,
            sequence: usize,
        }
        let columns = self.0.as_ref().map(|t| t.columns.as_slice()).unwrap_or(&[]);
        let mut seq = s.serialize_seq(Some(columns.len()))?;
        for (i, c) in columns.iter().enumerate() {
            seq.serialize_element(&One {
                id: i + 1,
                name: &c.name,
                data_type: c.data_type,
                sequence: i + 1,
            })?;
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_load_only_first_element_runs() {
        assert_eq!(
            load_only(br#"[{"sql": "SELECT 1", "_loadreportonly": true}]"#),
            Some("SELECT 1".into())
        );
        assert_eq!(
            load_only(br#"[{"sql": "SELECT 1", "_loadreportonly": false}]"#),
            None
        );
        assert_eq!(
            load_only(br#"[{"name": "Saved", "sql": "SELECT 1"}]"#),
            None
        );
        assert_eq!(
            load_only(br#"{"sql": "SELECT 1", "_loadreportonly": true}"#),
            None
        );
    }

    #[test]
    fn period_dates_are_read_strictly() {
        assert_eq!(
            sqlite_instant("2026-01-31", "23:59:59").unwrap(),
            "2026-01-31 23:59:59"
        );
        assert_eq!(
            sqlite_instant("2026-01-31T10:11:12.500Z", "00:00:00").unwrap(),
            "2026-01-31 10:11:12"
        );
        for bad in [
            "31/01/2026",
            "2026-1-31",
            "yesterday",
            "2026-01-31T10",
            "'; DROP",
        ] {
            assert!(sqlite_instant(bad, "00:00:00").is_err(), "{bad}");
        }
    }

    #[test]
    fn the_answer_keeps_halos_key_order() {
        let store = Store::open(None).unwrap();
        let Ok(Done::Made(text)) = run_posted(&store, "SELECT 2 AS b, 1 AS a") else {
            panic!("no answer");
        };
        assert_eq!(
            text,
            r#"{"id":0,"name":"","sql":"SELECT 2 AS b, 1 AS a","report":{"loaded":true,"load_error":"","rows":[{"b":2,"a":1}]},"available_columns":[{"id":1,"name":"b","data_type":"int","sequence":1},{"id":2,"name":"a","data_type":"int","sequence":2}]}"#
        );
        let Ok(Done::Made(text)) = run_posted(&store, "SELECT * FROM Nope") else {
            panic!("no answer");
        };
        assert_eq!(
            text,
            r#"{"id":0,"name":"","sql":"SELECT * FROM Nope","report":{"loaded":false,"load_error":"Invalid object name 'Nope'.","rows":[]},"available_columns":[]}"#
        );
    }
}
