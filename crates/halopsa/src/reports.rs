//! Running SQL and saved reports (`/Report`): the rows in Halo's column order, and
//! `load_error` as an error.
//!
//! Halo quirk (the row's [`Resource::runs_sql`]): a query that fails still answers status 200,
//! with the reason in `report.load_error`; a client that reads only `report.rows` reports
//! "no results" for a typo. [`ReportTable::from_reply`] is the one place that checks it.

use crate::client::{ApiRequest, Client};
use crate::error::Error;
use crate::resource::{self, Resource};
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value, json};
use std::fmt;

/// The rows a query or a report produced, with its columns in the order Halo gives them
/// (`available_columns`, else the order of the first row's keys).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportTable {
    /// Column names, in order.
    pub columns: Vec<String>,
    /// The rows, keyed by column name.
    pub rows: Vec<Map<String, Value>>,
}

/// The reporting period of a saved report: `reportingperiodstartdate` and
/// `reportingperiodenddate`, as Halo takes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// Start, an ISO date or date-time.
    pub start: String,
    /// End, an ISO date or date-time.
    pub end: String,
}

/// The one resource that runs SQL.
fn reports_row() -> &'static Resource {
    resource::RESOURCES
        .iter()
        .find(|r| r.runs_sql)
        .expect("the resource table has a row that runs SQL")
}

impl Client {
    /// Runs one read-only SQL statement against Halo's reporting database
    /// (`POST /Report` with `_loadreportonly`). The statement is checked first
    /// ([`crate::sql::check`]): anything but one `SELECT` / `WITH ... SELECT` is refused before
    /// anything is sent.
    pub async fn run_sql(&self, sql: &str) -> Result<ReportTable, Error> {
        crate::sql::check(sql)?;
        let body = json!([{
            "id": 0,
            "name": "",
            "sql": sql,
            "apiquery_id": 0,
            "_testonly": false,
            "_loadreportonly": true,
        }]);
        // A read-only query: sending it twice does what sending it once does.
        let req = ApiRequest::new(reqwest::Method::POST, reports_row().path)
            .json(body)
            .idempotent();
        let reply = self.send(&req).await?;
        ReportTable::from_reply(&reply.body, "query", &reply.url)
    }

    /// Runs saved report `id` (`GET /Report/{id}?loadreport=true`), within `period` if given.
    pub async fn run_report(
        &self,
        id: &str,
        period: Option<&Period>,
    ) -> Result<ReportTable, Error> {
        let id = id.trim();
        if !crate::fields::is_integer_text(id) {
            return Err(Error::InvalidInput(format!(
                "a report is named by its integer id, not '{id}'"
            )));
        }
        let mut req =
            ApiRequest::get(format!("{}/{id}", reports_row().path)).query("loadreport", "true");
        if let Some(p) = period {
            req = req
                .query("reportingperiodstartdate", p.start.clone())
                .query("reportingperiodenddate", p.end.clone());
        }
        let reply = self.send(&req).await?;
        ReportTable::from_reply(&reply.body, &format!("report {id}"), &reply.url)
    }
}

/// The parts of Halo's answer that matter here.
#[derive(Deserialize)]
struct Reply {
    report: Option<Content>,
    #[serde(default)]
    available_columns: Option<Vec<Value>>,
}

#[derive(Deserialize)]
struct Content {
    #[serde(default)]
    rows: Option<Vec<OrderedRow>>,
    #[serde(default)]
    load_error: Option<String>,
    #[serde(default)]
    loaded: Option<bool>,
}

/// A row's keys in the order the reply has them (`serde_json::Map` would sort them).
struct OrderedRow(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for OrderedRow {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Keys;
        impl<'de> Visitor<'de> for Keys {
            type Value = OrderedRow;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a row object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OrderedRow, A::Error> {
                let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some(pair) = map.next_entry::<String, Value>()? {
                    pairs.push(pair);
                }
                Ok(OrderedRow(pairs))
            }
        }
        d.deserialize_map(Keys)
    }
}

/// A column's name in `available_columns`: an object's `name` (else `sys_name`), or a string.
fn column_name(column: &Value) -> Option<String> {
    match column {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => ["name", "sys_name"]
            .iter()
            .find_map(|k| o.get(*k).and_then(Value::as_str))
            .map(str::to_string),
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

impl ReportTable {
    /// The table in a `/Report` answer (an object, or a one-element array of it): an error with
    /// Halo's text when `report.load_error` is set, whatever the status said.
    pub fn from_reply(body: &[u8], what: &str, url: &str) -> Result<ReportTable, Error> {
        let decode = |detail: String| Error::Decode {
            url: url.to_string(),
            detail,
        };
        let bad = |e: serde_json::Error| {
            decode(if e.is_syntax() || e.is_eof() {
                crate::error::not_json(body, &e)
            } else {
                e.to_string()
            })
        };
        // Straight from the bytes: through a `Value` the rows' keys would come out sorted.
        let reply: Reply = if body.trim_ascii_start().starts_with(b"[") {
            let mut items: Vec<Reply> = serde_json::from_slice(body).map_err(bad)?;
            if items.len() != 1 {
                return Err(decode(format!(
                    "expected one report in the answer, found {}",
                    items.len()
                )));
            }
            items.remove(0)
        } else {
            serde_json::from_slice(body).map_err(bad)?
        };
        let Some(content) = reply.report else {
            return Err(decode(format!(
                "the answer has no `report`, so the {what} did not run"
            )));
        };
        if let Some(message) = content.load_error.filter(|e| !e.trim().is_empty()) {
            return Err(Error::Report {
                what: what.to_string(),
                message: message.trim().to_string(),
            });
        }
        if content.loaded == Some(false) {
            return Err(Error::Report {
                what: what.to_string(),
                message: "Halo says it did not load (report.loaded is false) and gives no reason"
                    .into(),
            });
        }
        let mut columns: Vec<String> = reply
            .available_columns
            .unwrap_or_default()
            .iter()
            .filter_map(column_name)
            .collect();
        let rows: Vec<OrderedRow> = content.rows.unwrap_or_default();
        // Keys no column names (or every key, when Halo lists no columns), in first-seen order.
        for row in &rows {
            for (key, _) in &row.0 {
                if !columns.iter().any(|c| c == key) {
                    columns.push(key.clone());
                }
            }
        }
        let rows = rows
            .into_iter()
            .map(|r| r.0.into_iter().collect::<Map<String, Value>>())
            .collect();
        Ok(ReportTable { columns, rows })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(body: &str) -> Result<ReportTable, Error> {
        ReportTable::from_reply(body.as_bytes(), "query", "http://h/api/Report")
    }

    #[test]
    fn columns_follow_available_columns_then_the_rows_own_order() {
        let t = table(
            r#"{"report":{"loaded":true,"load_error":"","rows":[{"Zeta":1,"Alpha":"a","Extra":true}]},
                "available_columns":[{"id":1,"name":"Zeta"},{"id":2,"name":"Alpha"}]}"#,
        )
        .unwrap();
        assert_eq!(t.columns, ["Zeta", "Alpha", "Extra"]);
        assert_eq!(t.rows[0]["Alpha"], "a");
        let t = table(r#"{"report":{"rows":[{"b":1,"a":2},{"c":3,"a":4}]}}"#).unwrap();
        assert_eq!(t.columns, ["b", "a", "c"]);
    }

    #[test]
    fn load_error_is_an_error_even_with_status_200_and_zero_rows_are_not() {
        let err = table(
            r#"{"report":{"loaded":false,"load_error":"Invalid column name 'x'.","rows":[]}}"#,
        )
        .unwrap_err();
        assert!(
            matches!(&err, Error::Report { message, .. } if message == "Invalid column name 'x'.")
        );
        assert_eq!(
            err.to_string(),
            "Halo could not run the query: Invalid column name 'x'."
        );
        let empty = table(r#"{"report":{"loaded":true,"load_error":null,"rows":[]},"available_columns":[{"name":"Faultid"}]}"#)
            .unwrap();
        assert!(empty.rows.is_empty());
        assert_eq!(empty.columns, ["Faultid"]);
    }

    #[test]
    fn a_reply_that_is_not_a_report_says_so() {
        assert!(matches!(
            table("<html>oops</html>"),
            Err(Error::Decode { .. })
        ));
        assert!(
            matches!(table(r#"{"id": 3}"#), Err(Error::Decode { detail, .. }) if detail.contains("no `report`"))
        );
        assert!(matches!(
            table(r#"{"report":{"rows":[1]}}"#),
            Err(Error::Decode { .. })
        ));
        let one = table(r#"[{"report":{"rows":[{"a":1}]}}]"#).unwrap();
        assert_eq!(one.columns, ["a"]);
    }
}
