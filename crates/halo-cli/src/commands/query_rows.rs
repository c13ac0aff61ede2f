//! The rows of an SQL query or a saved report, in Halo's column order, to standard output or
//! to a file (`--out`, CSV by default, with a byte-order mark for Excel when `--excel`).

use crate::commands::Globals;
use crate::context::Context;
use crate::exit::Failure;
use crate::fsutil;
use crate::output::{Format, OutputOptions, RowWriter, unknown_columns};
use anyhow::{Context as _, Result};
use halopsa::reports::ReportTable;
use std::io::Write;
use std::path::PathBuf;

// Where a query's rows go. (No doc comment: clap would make it the description of every
// command that flattens this.)
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Output file")]
pub struct RowsOut {
    /// Write the rows to FILE (CSV unless -o says otherwise) instead of standard output;
    /// an existing FILE is kept unless --force.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// CSV that Excel opens as UTF-8: starts with a byte-order mark (CSV only).
    #[arg(long)]
    pub excel: bool,
    /// Replace FILE if it exists.
    #[arg(long, requires = "out")]
    pub force: bool,
}

/// UTF-8's byte-order mark, which tells Excel the CSV is UTF-8.
const BOM: &[u8] = "\u{feff}".as_bytes();

/// Writes `table` as the flags and the global output options say, and a count on standard
/// error when it went to a file.
pub fn write(
    ctx: &mut Context,
    globals: &Globals,
    table: &ReportTable,
    to: &RowsOut,
) -> Result<()> {
    let mut options = globals.output.clone();
    if to.out.is_some() && options.format.is_none() {
        options.format = Some(Format::Csv);
    }
    if to.excel && options.effective() != Format::Csv {
        return Err(Failure::usage(
            "--excel writes CSV: leave out -o, or use -o csv",
        ));
    }
    let Some(path) = &to.out else {
        globals.page(ctx);
        let out = ctx.io.out();
        if to.excel {
            out.write_all(BOM)?;
        }
        rows(out, &options, table)?.flush()?;
        return Ok(());
    };
    if path.is_dir() {
        return Err(Failure::usage(format!(
            "--out {} is a directory: give a file name",
            path.display()
        )));
    }
    let (tmp, file) = fsutil::create_temp(path, false)?;
    let written = (|| -> Result<()> {
        let mut out = std::io::BufWriter::new(file);
        if to.excel {
            out.write_all(BOM)?;
        }
        let out = rows(out, &options, table)?;
        out.into_inner()
            .map_err(|e| e.into_error())?
            .sync_all()
            .with_context(|| format!("cannot write {}", tmp.display()))
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    fsutil::publish(&tmp, path, to.force)?;
    writeln!(
        ctx.io.err(),
        "wrote {} row{} to {}",
        table.rows.len(),
        if table.rows.len() == 1 { "" } else { "s" },
        path.display()
    )?;
    Ok(())
}

/// The rows in `options`' format: CSV and tables under the query's columns (or `--columns`,
/// which must name some of them), JSON and YAML with each row's keys in the query's order.
pub(crate) fn rows<W: Write>(out: W, options: &OutputOptions, table: &ReportTable) -> Result<W> {
    let columns = match &options.columns {
        Some(given) => {
            let unknown: Vec<String> = given
                .iter()
                .filter(|c| !table.columns.iter().any(|t| t.eq_ignore_ascii_case(c)))
                .cloned()
                .collect();
            if !unknown.is_empty() {
                return Err(unknown_columns(&unknown));
            }
            // As the query spells them: SQL Server's names are case-insensitive.
            given
                .iter()
                .filter_map(|c| table.columns.iter().find(|t| t.eq_ignore_ascii_case(c)))
                .cloned()
                .collect()
        }
        None => table.columns.clone(),
    };
    let mut writer = match options.effective() {
        Format::Csv => RowWriter::csv(out, columns.clone()),
        _ => RowWriter::new(
            out,
            &OutputOptions {
                columns: Some(columns.clone()),
                ..options.clone()
            },
        ),
    };
    for row in &table.rows {
        writer.row_in_order(row, &columns)?;
    }
    writer.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::tests::options;
    use serde_json::json;

    fn table() -> ReportTable {
        let row = |id: i64, name: &str| {
            json!({"Faultid": id, "Symptom": name, "Areaint": 3})
                .as_object()
                .cloned()
                .unwrap()
        };
        ReportTable {
            columns: vec!["Symptom".into(), "Faultid".into(), "Areaint".into()],
            rows: vec![row(2, "Printer, jammed"), row(1, "Résumé")],
        }
    }

    fn text(format: Format, columns: Option<&[&str]>) -> String {
        let out = rows(Vec::new(), &options(format, false, columns), &table()).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn every_format_keeps_the_query_column_order() {
        assert_eq!(
            text(Format::Csv, None),
            "Symptom,Faultid,Areaint\n\"Printer, jammed\",2,3\nRésumé,1,3\n"
        );
        assert!(
            text(Format::Json, None)
                .starts_with(r#"[{"Symptom":"Printer, jammed","Faultid":2,"Areaint":3}"#),
            "{}",
            text(Format::Json, None)
        );
        assert!(text(Format::Yaml, None).starts_with("- Symptom: Printer, jammed\n  Faultid: 2\n"));
        let table = text(Format::Table, None);
        assert!(table.find("Symptom") < table.find("Faultid"), "{table}");
    }

    #[test]
    fn columns_pick_and_order_case_insensitively_and_a_wrong_one_is_refused() {
        assert_eq!(
            text(Format::Csv, Some(&["faultid", "SYMPTOM"])),
            "Faultid,Symptom\n2,\"Printer, jammed\"\n1,Résumé\n"
        );
        let err = rows(
            Vec::new(),
            &options(Format::Csv, false, Some(&["Nope"])),
            &table(),
        )
        .unwrap_err();
        assert_eq!(crate::exit::code_for(&err), crate::exit::USAGE);
    }

    #[test]
    fn no_rows_is_a_header_in_csv_and_an_empty_array_in_json() {
        let empty = ReportTable {
            columns: vec!["Faultid".into()],
            rows: vec![],
        };
        let csv = rows(Vec::new(), &options(Format::Csv, false, None), &empty).unwrap();
        let json = rows(Vec::new(), &options(Format::Json, false, None), &empty).unwrap();
        assert_eq!(String::from_utf8(json).unwrap(), "[]\n");
        let csv = String::from_utf8(csv).unwrap();
        assert!(csv.is_empty() || csv == "Faultid\n", "{csv:?}");
    }
}
