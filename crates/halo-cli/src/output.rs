//! Printing results: lists of JSON objects and single objects, as a table, JSON, NDJSON, CSV
//! or YAML.
//!
//! Values print as Halo sent them (dates unchanged). `--columns` selects the fields of tables
//! and CSV by dotted path (`client.name`; array indexes too: `customfields.0.value`); JSON,
//! NDJSON and YAML always print whole objects.

mod columns;
mod csv_rows;
mod object;
mod rows;
mod structured;
mod table;
mod value;

pub use csv_rows::CsvColumns;
pub use object::write_object;
pub use rows::{RowWriter, unknown_columns};
pub use value::local_time;

/// Width used when neither `COLUMNS` nor the terminal tells one.
const DEFAULT_WIDTH: usize = 100;

/// An output format (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table fitted to the terminal.
    Table,
    /// A JSON array (pretty on a terminal, one line when piped).
    Json,
    /// One JSON object per line.
    Ndjson,
    /// CSV with a header row; nested objects flattened to dotted columns.
    Csv,
    /// A YAML sequence.
    Yaml,
}

/// How to print: the user's choices and what the environment allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputOptions {
    /// The chosen format, if any (see [`OutputOptions::effective`]).
    pub format: Option<Format>,
    /// The fields of tables and CSV, by dotted path, in order.
    pub columns: Option<Vec<String>>,
    /// Whether stdout is a terminal.
    pub is_tty: bool,
    /// The width tables are fitted to; `None` prints them at their natural width.
    pub width: Option<usize>,
    /// Whether tables may use terminal styling.
    pub color: bool,
}

impl OutputOptions {
    /// Options from the user's choices and the environment: the width from `COLUMNS`, else
    /// the terminal's, else 100; colour on a terminal unless `NO_COLOR` is set.
    pub fn resolve(
        format: Option<Format>,
        columns: Option<Vec<String>>,
        is_tty: bool,
        columns_env: Option<String>,
        no_color: bool,
        terminal_width: impl FnOnce() -> Option<usize>,
    ) -> OutputOptions {
        let from_env = columns_env
            .and_then(|c| c.trim().parse::<usize>().ok())
            .filter(|&w| w > 0);
        let width = from_env
            .or_else(|| is_tty.then(terminal_width).flatten())
            .unwrap_or(DEFAULT_WIDTH);
        let color = is_tty && !no_color;
        OutputOptions {
            format,
            columns,
            is_tty,
            width: Some(width),
            color,
        }
    }

    /// Whether a format or columns were asked for: commands that report to people in words
    /// (`whoami`, `auth status`) then print their facts as data instead.
    pub fn asks_for_data(&self) -> bool {
        self.format.is_some() || self.columns.is_some()
    }

    /// The format used: the chosen one, else a table on a terminal and JSON when piped.
    pub fn effective(&self) -> Format {
        match self.format {
            Some(format) => format,
            None if self.is_tty => Format::Table,
            None => Format::Json,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::{Value, json};

    /// Options as a test wants them: fixed width, no colour.
    pub(crate) fn options(format: Format, is_tty: bool, columns: Option<&[&str]>) -> OutputOptions {
        OutputOptions {
            format: Some(format),
            columns: columns.map(|c| c.iter().map(|s| s.to_string()).collect()),
            is_tty,
            width: Some(80),
            color: false,
        }
    }

    /// Three ticket-like objects, as Halo sends them.
    pub(crate) fn tickets() -> Vec<Value> {
        vec![
            json!({
                "id": 101,
                "summary": "Printer jams",
                "details": "<p>The printer on the third floor jams on every second page since Monday.</p>",
                "client_name": "Acme Ltd",
                "status_name": "New",
                "dateoccurred": "2024-05-01T09:30:00",
                "estimate": 1.5,
                "onhold": false,
                "closed": null,
                "user": {"name": "Jo User", "email": "jo@acme.test"},
                "tags": ["printer", "hw"],
                "customfields": [{"id": 150, "value": "A-1"}]
            }),
            json!({
                "id": 102,
                "summary": "VPN down, \"urgent\"",
                "details": "short",
                "client_name": "Globex, Inc.",
                "status_name": "In Progress",
                "dateoccurred": "2024-05-02T14:05:00",
                "estimate": 0,
                "onhold": true,
                "closed": null,
                "user": {"name": "Hank", "email": null},
                "tags": [],
                "customfields": []
            }),
            json!({
                "id": 103,
                "summary": "New starter laptop",
                "details": "Line one\nLine two",
                "client_name": "Initech",
                "status_name": "Closed",
                "dateoccurred": "2024-05-03T08:00:00",
                "estimate": 2,
                "onhold": false,
                "closed": "2024-05-04T10:00:00",
                "user": {"name": "Peter", "email": "peter@initech.test"},
                "tags": ["onboarding"],
                "customfields": [{"id": 150, "value": "B-2"}, {"id": 151, "value": null}]
            }),
        ]
    }

    fn resolve(is_tty: bool, columns_env: Option<&str>, no_color: bool) -> OutputOptions {
        OutputOptions::resolve(
            None,
            None,
            is_tty,
            columns_env.map(String::from),
            no_color,
            || Some(132),
        )
    }

    #[test]
    fn effective_is_table_on_a_tty_and_json_when_piped() {
        assert_eq!(resolve(true, None, false).effective(), Format::Table);
        assert_eq!(resolve(false, None, false).effective(), Format::Json);
        let chosen = OutputOptions {
            format: Some(Format::Yaml),
            ..resolve(true, None, false)
        };
        assert_eq!(chosen.effective(), Format::Yaml);
    }

    #[test]
    fn width_comes_from_columns_then_terminal_then_default() {
        assert_eq!(resolve(true, Some("90"), false).width, Some(90));
        assert_eq!(resolve(true, Some("junk"), false).width, Some(132));
        assert_eq!(resolve(true, None, false).width, Some(132));
        assert_eq!(resolve(false, None, false).width, Some(DEFAULT_WIDTH));
    }

    #[test]
    fn color_needs_a_tty_and_no_no_color() {
        assert!(resolve(true, None, false).color);
        assert!(!resolve(true, None, true).color);
        assert!(!resolve(false, None, false).color);
    }
}
