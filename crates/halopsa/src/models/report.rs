//! Saved reports and the answer to an SQL query.

use super::codec::model;
use crate::id::Id;
use serde_json::{Map, Value};

model! {
    /// A saved report (`/Report`); posting `{sql, _loadreportonly: true}` runs SQL instead and
    /// answers [`ReportRows`].
    pub struct Report at "Report" {
        /// The report id.
        id: Id,
        /// The name.
        name: String,
        /// The SQL.
        sql: String,
        /// The description.
        description: String,
    }
}

model! {
    /// The answer to a report query: `{report: {rows, load_error, loaded}, available_columns}`.
    /// A failed query still answers 200: check [`ReportRows::load_error`].
    pub struct ReportRows {
        /// The result.
        report: ReportData,
        /// The columns the query produced.
        available_columns: Vec<Value>,
    }
}

model! {
    /// The `report` part of [`ReportRows`].
    pub struct ReportData {
        /// The rows, keyed by column name.
        rows: Vec<Map<String, Value>>,
        /// The error text; empty on success.
        load_error: String,
        /// Whether the query ran.
        loaded: bool,
    }
}

impl ReportRows {
    /// The rows (none when absent).
    pub fn rows(&self) -> &[Map<String, Value>] {
        self.report
            .as_ref()
            .and_then(|r| r.rows.as_deref())
            .unwrap_or_default()
    }

    /// The query's error, when `load_error` is not empty.
    pub fn load_error(&self) -> Option<&str> {
        self.report
            .as_ref()
            .and_then(|r| r.load_error.as_deref())
            .filter(|e| !e.trim().is_empty())
    }
}
