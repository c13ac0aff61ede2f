//! One object, in any format.

use super::csv_rows::CsvRows;
use super::table::{Layout, render};
use super::value::{lookup, record, text};
use super::{Format, OutputOptions};
use serde_json::Value;
use std::io::Write;

/// Writes one object (e.g. `get`): a FIELD/VALUE table (nested values as compact JSON), JSON
/// (pretty on a terminal, one line when piped), one NDJSON line, YAML, or CSV header and row.
pub fn write_object<W: Write>(
    mut out: W,
    value: &Value,
    options: &OutputOptions,
) -> anyhow::Result<()> {
    let columns = options.columns.as_deref();
    let format = options.effective();
    if let (Some(columns), Format::Table | Format::Csv) = (columns, format) {
        let row = record(value);
        let unknown: Vec<String> = columns
            .iter()
            .filter(|c| lookup(&row, c).is_none())
            .cloned()
            .collect();
        if !unknown.is_empty() {
            return Err(super::unknown_columns(&unknown));
        }
    }
    match format {
        Format::Table => {
            let row = record(value);
            let fields: Vec<Vec<String>> = match columns {
                Some(columns) => columns
                    .iter()
                    .map(|c| vec![c.clone(), lookup(&row, c).map(text).unwrap_or_default()])
                    .collect(),
                None => row.iter().map(|(k, v)| vec![k.clone(), text(v)]).collect(),
            };
            let table = render(&["FIELD", "VALUE"], fields, Layout::Wrapped, options);
            out.write_all(table.as_bytes())?;
        }
        Format::Json if options.is_tty => {
            serde_json::to_writer_pretty(&mut out, value)?;
            out.write_all(b"\n")?;
        }
        Format::Json | Format::Ndjson => {
            serde_json::to_writer(&mut out, value)?;
            out.write_all(b"\n")?;
        }
        Format::Yaml => yaml_serde::to_writer(&mut out, &super::value::yaml(value))?,
        Format::Csv => {
            let mut csv = CsvRows::new(&mut out, columns);
            csv.row(value)?;
            csv.finish()?;
        }
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::table::tests::assert_table;
    use crate::output::tests::{options, tickets};
    use crate::output::write_object;

    fn object(format: Format, is_tty: bool, columns: Option<&[&str]>) -> String {
        let mut out = Vec::new();
        let ticket = &tickets()[0];
        write_object(&mut out, ticket, &options(format, is_tty, columns)).expect("written");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn table_lists_fields_and_values() {
        for is_tty in [true, false] {
            let text = object(Format::Table, is_tty, None);
            assert_table(&text, &["FIELD", "VALUE"], 80);
            assert!(text.contains(r#"[{"id":150,"value":"A-1"}]"#), "{text}");
            assert!(text.contains(r#"{"email":"jo@acme.test","name":"Jo User"}"#));
            assert!(text.contains("2024-05-01T09:30:00"));
        }
        let text = object(Format::Table, true, Some(&["id", "user.name"]));
        assert_table(&text, &["FIELD", "VALUE"], 80);
        let fields: Vec<Vec<&str>> = text
            .lines()
            .skip(2)
            .map(|l| l.split_whitespace().collect())
            .collect();
        assert_eq!(fields, [vec!["id", "101"], vec!["user.name", "Jo", "User"]]);
    }

    #[test]
    fn a_column_the_object_lacks_is_an_error_in_tables_and_csv() {
        let ticket = &tickets()[0];
        for format in [Format::Table, Format::Csv] {
            let columns = options(format, true, Some(&["id", "missing"]));
            let err = write_object(Vec::new(), ticket, &columns).expect_err("unknown column");
            assert!(err.to_string().contains("the column missing"), "{err}");
        }
    }

    #[test]
    fn json_is_pretty_on_a_tty_and_one_line_when_piped() {
        let ticket = &tickets()[0];
        let pretty = serde_json::to_string_pretty(ticket).expect("json") + "\n";
        assert_eq!(object(Format::Json, true, None), pretty);
        assert_eq!(object(Format::Json, false, None), format!("{ticket}\n"));
        let columns = Some(&["id", "user.name"][..]);
        assert_eq!(object(Format::Json, true, columns), pretty);
    }

    #[test]
    fn ndjson_is_one_line() {
        let ticket = &tickets()[0];
        assert_eq!(object(Format::Ndjson, true, None), format!("{ticket}\n"));
        let line = object(Format::Ndjson, false, Some(&["id", "tags"]));
        assert_eq!(line, format!("{ticket}\n"));
    }

    #[test]
    fn yaml_parses_back() {
        let parsed: Value = yaml_serde::from_str(&object(Format::Yaml, true, None)).expect("yaml");
        assert_eq!(parsed, tickets()[0]);
        let text = object(Format::Yaml, false, Some(&["id", "user.name"]));
        assert!(
            text.starts_with("client_name: Acme Ltd\nclosed: null\n"),
            "{text}"
        );
        let parsed: Value = yaml_serde::from_str(&text).expect("yaml");
        assert_eq!(parsed, tickets()[0]);
    }

    #[test]
    fn csv_is_a_header_and_a_row() {
        let text = object(Format::Csv, false, Some(&["id", "user.name", "tags"]));
        assert_eq!(text, "id,user.name,tags\n101,Jo User,printer;hw\n");
        let text = object(Format::Csv, true, None);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("id,client_name,closed,customfields,"));
        assert!(
            lines[1].starts_with("101,") && lines[1].ends_with(",printer;hw,jo@acme.test,Jo User")
        );
    }
}
