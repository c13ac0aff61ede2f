//! Lists of rows, in any format.

use super::columns::default_columns;
use super::csv_rows::CsvRows;
use super::structured::{Structured, Style};
use super::table::{Layout, render};
use super::value::{lookup, record, text};
use super::{Format, OutputOptions};
use serde_json::Value;
use std::io::Write;

/// A streaming sink for rows: JSON, NDJSON, YAML and CSV are written row by row (a JSON array
/// is closed by [`RowWriter::finish`]); a table is buffered to size its columns. Tables show the
/// given columns, else defaults chosen from the first row (`id`, then short well-known fields).
pub struct RowWriter<W: Write> {
    sink: Sink<W>,
}

enum Sink<W: Write> {
    Structured(Structured<W>),
    Csv(Box<CsvRows<W>>),
    Table(TableRows<W>),
}

/// A table's rows, waiting for [`RowWriter::finish`].
struct TableRows<W: Write> {
    out: W,
    options: OutputOptions,
    header: Option<Vec<String>>,
    rows: Vec<Vec<String>>,
    /// Given columns some row had.
    found: std::collections::HashSet<String>,
}

impl<W: Write> RowWriter<W> {
    /// A writer in the options' effective format.
    pub fn new(out: W, options: &OutputOptions) -> RowWriter<W> {
        let columns = options.columns.as_deref();
        let structured = |out, style| Sink::Structured(Structured::new(out, style));
        let sink = match options.effective() {
            Format::Json if options.is_tty => structured(out, Style::Pretty),
            Format::Json => structured(out, Style::Compact),
            Format::Ndjson => structured(out, Style::Lines),
            Format::Yaml => structured(out, Style::Yaml),
            Format::Csv => Sink::Csv(Box::new(CsvRows::new(out, columns))),
            Format::Table => Sink::Table(TableRows {
                out,
                options: options.clone(),
                header: columns.map(<[String]>::to_vec),
                rows: Vec::new(),
                found: Default::default(),
            }),
        };
        RowWriter { sink }
    }

    /// A CSV writer under a header chosen up front (see [`crate::output::CsvColumns`]).
    pub fn csv(out: W, header: Vec<String>) -> RowWriter<W> {
        RowWriter {
            sink: Sink::Csv(Box::new(CsvRows::with_header(out, header))),
        }
    }

    /// Writes one row (or keeps it, for a table).
    pub fn row(&mut self, value: &Value) -> anyhow::Result<()> {
        match &mut self.sink {
            Sink::Structured(structured) => structured.row(value),
            Sink::Csv(csv) => csv.row(value),
            Sink::Table(table) => {
                let row = record(value);
                let header = table.header.get_or_insert_with(|| default_columns(&row));
                let mut cells = Vec::with_capacity(header.len());
                for c in header.iter() {
                    let cell = lookup(&row, c);
                    if cell.is_some() && !table.found.contains(c) {
                        table.found.insert(c.clone());
                    }
                    cells.push(cell.map(table_text).unwrap_or_default());
                }
                table.rows.push(cells);
                Ok(())
            }
        }
    }

    /// Writes one row whose keys JSON and YAML keep in `order` (a query's column order); CSV
    /// and tables take their columns from the writer's header as for [`RowWriter::row`].
    pub fn row_in_order(
        &mut self,
        row: &serde_json::Map<String, Value>,
        order: &[String],
    ) -> anyhow::Result<()> {
        match &mut self.sink {
            Sink::Structured(structured) => structured.row_in_order(row, order),
            _ => self.row(&Value::Object(row.clone())),
        }
    }

    /// What a reader should know of the rows so far: CSV that had to leave out columns
    /// (keys first seen after its header was written).
    pub fn note(&self) -> Option<String> {
        match &self.sink {
            Sink::Csv(csv) => dropped_note(csv.dropped()),
            _ => None,
        }
    }

    /// Ends the list: closes a JSON array, renders a table (`no results` on a terminal when
    /// empty), flushes, and hands the writer back. A column given by `--columns` that no row
    /// had is an error (exit 2), as a typo in it would otherwise print an empty column.
    pub fn finish(self) -> anyhow::Result<W> {
        let unknown: Vec<String> = match &self.sink {
            Sink::Csv(csv) => csv.unknown(),
            Sink::Table(t) if t.options.columns.is_some() && !t.rows.is_empty() => t
                .header
                .iter()
                .flatten()
                .filter(|c| !t.found.contains(*c))
                .cloned()
                .collect(),
            _ => Vec::new(),
        };
        if !unknown.is_empty() {
            return Err(unknown_columns(&unknown));
        }
        match self.sink {
            Sink::Structured(structured) => structured.finish(),
            Sink::Csv(csv) => csv.finish(),
            Sink::Table(mut table) => {
                if table.rows.is_empty() {
                    if table.options.is_tty {
                        table.out.write_all(b"no results\n")?;
                    }
                } else {
                    let header = table.header.unwrap_or_default();
                    let header: Vec<&str> = header.iter().map(String::as_str).collect();
                    let text = render(&header, table.rows, Layout::Lines, &table.options);
                    table.out.write_all(text.as_bytes())?;
                }
                table.out.flush()?;
                Ok(table.out)
            }
        }
    }
}

/// The error of `--columns` naming columns no row has.
pub fn unknown_columns(unknown: &[String]) -> anyhow::Error {
    crate::exit::Failure::usage(format!(
        "no row has the column{} {} (--columns takes names as the rows have them, dotted for nested ones, cf.NAME for custom fields)",
        if unknown.len() == 1 { "" } else { "s" },
        unknown.join(", ")
    ))
}

/// A cell of a table: date-times in local time, to the minute.
fn table_text(value: &Value) -> String {
    match value {
        Value::String(s) if looks_like_date_time(s) => super::value::local_time(s),
        other => text(other),
    }
}

/// `2026-11-30T09:30...`.
fn looks_like_date_time(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 19 && b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && b[13] == b':'
}

/// What to say when CSV left out columns.
fn dropped_note(dropped: &std::collections::BTreeSet<String>) -> Option<String> {
    if dropped.is_empty() {
        return None;
    }
    let names: Vec<&str> = dropped.iter().take(5).map(String::as_str).collect();
    let more = dropped.len().saturating_sub(names.len());
    Some(format!(
        "warning: {} column(s) first seen after the CSV header was written are not in it: {}{} (choose columns with --columns; `halo export --out FILE` writes every column)",
        dropped.len(),
        names.join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::RowWriter;
    use crate::output::table::tests::assert_table;
    use crate::output::tests::{options, tickets};
    use serde_json::json;

    fn list(format: Format, is_tty: bool, columns: Option<&[&str]>, rows: &[Value]) -> String {
        let mut writer = RowWriter::new(Vec::new(), &options(format, is_tty, columns));
        for row in rows {
            writer.row(row).expect("row written");
        }
        String::from_utf8(writer.finish().expect("finished")).expect("utf-8")
    }

    const COLUMNS: &[&str] = &["id", "user.name", "customfields.0.value", "tags"];

    #[test]
    fn json_is_pretty_on_a_tty_and_one_line_when_piped() {
        let rows = tickets();
        let pretty = serde_json::to_string_pretty(&rows).expect("json") + "\n";
        let compact = serde_json::to_string(&rows).expect("json") + "\n";
        assert_eq!(list(Format::Json, true, None, &rows), pretty);
        assert_eq!(list(Format::Json, false, None, &rows), compact);
        assert!(compact.starts_with(r#"[{"client_name":"Acme Ltd","closed":null,"#));
    }

    #[test]
    fn columns_do_not_cut_json() {
        let rows = tickets();
        for is_tty in [true, false] {
            let whole = list(Format::Json, is_tty, None, &rows);
            assert_eq!(list(Format::Json, is_tty, Some(COLUMNS), &rows), whole);
        }
    }

    #[test]
    fn ndjson_is_one_object_per_line() {
        let rows = tickets();
        let expected: String = rows.iter().map(|r| format!("{r}\n")).collect();
        for is_tty in [true, false] {
            assert_eq!(list(Format::Ndjson, is_tty, None, &rows), expected);
        }
        assert_eq!(list(Format::Ndjson, false, Some(COLUMNS), &rows), expected);
        let first = expected.lines().next().unwrap_or_default();
        assert!(first.starts_with(r#"{"client_name":"Acme Ltd","closed":null,"customfields":"#));
    }

    #[test]
    fn csv_flattens_under_the_first_rows_keys() {
        let expected = concat!(
            "id,client_name,closed,customfields,dateoccurred,details,estimate,onhold,",
            "status_name,summary,tags,user.email,user.name\n",
            r#"101,Acme Ltd,,"[{""id"":150,""value"":""A-1""}]",2024-05-01T09:30:00,"#,
            "<p>The printer on the third floor jams on every second page since Monday.</p>,",
            "1.5,false,New,Printer jams,printer;hw,jo@acme.test,Jo User\n",
            r#"102,"Globex, Inc.",,,2024-05-02T14:05:00,short,0,true,In Progress,"#,
            r#""VPN down, ""urgent""",,,Hank"#,
            "\n",
            r#"103,Initech,2024-05-04T10:00:00,"[{""id"":150,""value"":""B-2""},"#,
            r#"{""id"":151,""value"":null}]",2024-05-03T08:00:00,"Line one"#,
            "\nLine two\",2,false,Closed,New starter laptop,onboarding,",
            "peter@initech.test,Peter\n",
        );
        for is_tty in [true, false] {
            assert_eq!(list(Format::Csv, is_tty, None, &tickets()), expected);
        }
    }

    #[test]
    fn csv_drops_keys_new_in_later_rows() {
        let rows = [json!({"a": 1}), json!({"b": 2, "a": 3})];
        assert_eq!(list(Format::Csv, false, None, &rows), "a\n1\n3\n");
    }

    #[test]
    fn csv_with_columns() {
        let expected = concat!(
            "id,user.name,customfields.0.value,tags\n",
            "101,Jo User,A-1,printer;hw\n",
            "102,Hank,,\n",
            "103,Peter,B-2,onboarding\n",
        );
        for is_tty in [true, false] {
            assert_eq!(
                list(Format::Csv, is_tty, Some(COLUMNS), &tickets()),
                expected
            );
        }
    }

    #[test]
    fn a_column_no_row_has_is_an_error() {
        for format in [Format::Csv, Format::Table] {
            let mut writer =
                RowWriter::new(Vec::new(), &options(format, false, Some(&["id", "sumary"])));
            for row in tickets() {
                writer.row(&row).unwrap();
            }
            let err = writer.finish().unwrap_err();
            assert!(
                err.to_string().contains("no row has the column sumary"),
                "{err}"
            );
            assert_eq!(crate::exit::code_for(&err), crate::exit::USAGE);
        }
    }

    #[test]
    fn yaml_parses_back_to_the_same_values() {
        let rows = tickets();
        for is_tty in [true, false] {
            let text = list(Format::Yaml, is_tty, None, &rows);
            let parsed: Vec<Value> = yaml_serde::from_str(&text).expect("yaml");
            assert_eq!(parsed, rows);
        }
        let text = list(Format::Yaml, false, Some(COLUMNS), &rows);
        let parsed: Vec<Value> = yaml_serde::from_str(&text).expect("yaml");
        assert_eq!(parsed, rows);
        assert!(
            text.starts_with("- client_name: Acme Ltd\n  closed: null\n"),
            "{text}"
        );
    }

    #[test]
    fn table_shows_default_columns() {
        let header = [
            "id",
            "summary",
            "client_name",
            "status_name",
            "dateoccurred",
            "estimate",
            "onhold",
        ];
        for is_tty in [true, false] {
            let text = list(Format::Table, is_tty, None, &tickets());
            assert_table(&text, &header, 80);
            assert_eq!(text.lines().count(), 5, "one line per row:\n{text}");
            for id in ["101", "102", "103"] {
                assert!(text.contains(id), "{id} missing:\n{text}");
            }
        }
    }

    #[test]
    fn narrow_tables_still_fit() {
        for width in [50, 30] {
            let options = OutputOptions {
                width: Some(width),
                ..options(Format::Table, true, None)
            };
            let mut writer = RowWriter::new(Vec::new(), &options);
            for row in tickets() {
                writer.row(&row).expect("row written");
            }
            let text = String::from_utf8(writer.finish().expect("finished")).expect("utf-8");
            for line in text.lines() {
                assert!(line.chars().count() <= width, "too wide:\n{text}");
            }
        }
    }

    #[test]
    fn table_with_columns() {
        for is_tty in [true, false] {
            let text = list(Format::Table, is_tty, Some(COLUMNS), &tickets());
            assert_table(&text, COLUMNS, 80);
            assert!(text.contains("Jo User"), "{text}");
            assert!(text.contains(r#"["printer","hw"]"#), "{text}");
        }
    }

    #[test]
    fn non_object_rows_are_a_value_column() {
        let rows = [json!("a"), json!(2)];
        assert_eq!(list(Format::Csv, false, None, &rows), "value\na\n2\n");
        let text = list(Format::Table, true, None, &rows);
        assert_table(&text, &["value"], 80);
    }

    #[test]
    fn empty_lists() {
        let cases = [
            (Format::Table, true, "no results\n"),
            (Format::Table, false, ""),
            (Format::Json, true, "[]\n"),
            (Format::Json, false, "[]\n"),
            (Format::Ndjson, true, ""),
            (Format::Csv, true, ""),
            (Format::Csv, false, ""),
            (Format::Yaml, true, ""),
        ];
        for (format, is_tty, expected) in cases {
            assert_eq!(
                list(format, is_tty, None, &[]),
                expected,
                "{format:?} tty={is_tty}"
            );
            assert_eq!(list(format, is_tty, Some(COLUMNS), &[]), expected);
        }
    }
}
