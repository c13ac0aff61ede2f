//! CSV, written row by row.

use super::value::{csv_text, flatten, lookup, record};
use serde_json::Value;
use std::collections::HashMap;
use std::io::Write;

/// Writes each row as it comes, under a header fixed by the first row.
///
/// The header is the given columns, else the flattened keys of the first row: CSV needs a fixed
/// header, so keys that first appear in later rows are dropped (pass `--columns` to choose).
/// Nothing is written for no rows.
pub(super) struct CsvRows<W: Write> {
    csv: csv::Writer<W>,
    /// The given columns, else the first row's keys once it came.
    header: Option<Vec<String>>,
    explicit: bool,
    started: bool,
}

impl<W: Write> CsvRows<W> {
    pub(super) fn new(out: W, columns: Option<&[String]>) -> CsvRows<W> {
        CsvRows {
            csv: csv::Writer::from_writer(out),
            header: columns.map(<[String]>::to_vec),
            explicit: columns.is_some(),
            started: false,
        }
    }

    pub(super) fn row(&mut self, row: &Value) -> anyhow::Result<()> {
        let row = record(row);
        let fields: Vec<String> = if self.explicit {
            let columns = self.header.iter().flatten();
            columns
                .map(|c| lookup(&row, c).map(csv_text).unwrap_or_default())
                .collect()
        } else {
            let flat = flatten(&row);
            let header = self
                .header
                .get_or_insert_with(|| flat.iter().map(|(k, _)| k.clone()).collect());
            let mut by_key: HashMap<String, String> = flat.into_iter().collect();
            header
                .iter()
                .map(|k| by_key.remove(k).unwrap_or_default())
                .collect()
        };
        if !self.started {
            self.started = true;
            self.csv.write_record(self.header.iter().flatten())?;
        }
        self.csv.write_record(&fields)?;
        Ok(())
    }

    /// Flushes and hands the writer back.
    pub(super) fn finish(self) -> anyhow::Result<W> {
        self.csv.into_inner().map_err(|e| e.into_error().into())
    }
}
