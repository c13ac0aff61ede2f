//! CSV, written row by row.

use super::value::{csv_text, flatten, id_first, lookup, record};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::Write;

/// Writes each row as it comes, under a header fixed by the first row.
///
/// The header is the given columns, else the flattened keys of the first row: CSV needs a fixed
/// header, so keys that first appear in later rows are left out (and named by
/// [`CsvRows::dropped`]; pass `--columns` to choose, or give the header up front with
/// [`CsvRows::with_header`]). Nothing is written for no rows.
pub(super) struct CsvRows<W: Write> {
    csv: csv::Writer<W>,
    /// The given columns, else the first row's keys once it came.
    header: Option<Vec<String>>,
    explicit: bool,
    started: bool,
    dropped: BTreeSet<String>,
    /// Given columns some row had.
    found: HashSet<String>,
}

impl<W: Write> CsvRows<W> {
    pub(super) fn new(out: W, columns: Option<&[String]>) -> CsvRows<W> {
        CsvRows {
            csv: csv::Writer::from_writer(out),
            header: columns.map(<[String]>::to_vec),
            explicit: columns.is_some(),
            started: false,
            dropped: BTreeSet::new(),
            found: HashSet::new(),
        }
    }

    /// Rows flattened under `header` (see [`CsvColumns`]) instead of the first row's keys.
    pub(super) fn with_header(out: W, header: Vec<String>) -> CsvRows<W> {
        CsvRows {
            header: Some(header),
            ..CsvRows::new(out, None)
        }
    }

    /// Keys of rows that the header did not have, so were left out.
    pub(super) fn dropped(&self) -> &BTreeSet<String> {
        &self.dropped
    }

    /// Given columns no row had (none when the columns were not given, or no row came).
    pub(super) fn unknown(&self) -> Vec<String> {
        if !self.explicit || !self.started {
            return Vec::new();
        }
        self.header
            .iter()
            .flatten()
            .filter(|c| !self.found.contains(*c))
            .cloned()
            .collect()
    }

    pub(super) fn row(&mut self, row: &Value) -> anyhow::Result<()> {
        let row = record(row);
        let fields: Vec<String> = if self.explicit {
            let columns = self.header.iter().flatten();
            let mut fields = Vec::new();
            for c in columns {
                let value = lookup(&row, c);
                if value.is_some() && !self.found.contains(c) {
                    self.found.insert(c.clone());
                }
                fields.push(value.map(csv_text).unwrap_or_default());
            }
            fields
        } else {
            let flat = flatten(&row);
            let header = self
                .header
                .get_or_insert_with(|| id_first(flat.iter().map(|(k, _)| k.clone()).collect()));
            let mut by_key: HashMap<String, String> = flat.into_iter().collect();
            let fields = header
                .iter()
                .map(|k| by_key.remove(k).unwrap_or_default())
                .collect();
            self.dropped.extend(by_key.into_keys());
            fields
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

/// The CSV columns of many rows: every flattened key, in the order first seen.
#[derive(Debug, Default)]
pub struct CsvColumns {
    order: Vec<String>,
    seen: HashSet<String>,
}

impl CsvColumns {
    /// Adds the keys of `row` not seen before.
    pub fn add(&mut self, row: &Value) {
        for (key, _) in flatten(&record(row)) {
            if !self.seen.contains(&key) {
                self.seen.insert(key.clone());
                self.order.push(key);
            }
        }
    }

    /// The header: `id` first, then every column in the order first seen.
    pub fn into_header(self) -> Vec<String> {
        id_first(self.order)
    }

    /// The given `columns` as the header, or, when one is in no row, the ones that are not.
    pub fn choose(&self, columns: &[String]) -> Result<Vec<String>, Vec<String>> {
        let unknown: Vec<String> = columns
            .iter()
            .filter(|c| !self.seen.contains(*c))
            .cloned()
            .collect();
        if unknown.is_empty() {
            Ok(columns.to_vec())
        } else {
            Err(unknown)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn write(mut csv: CsvRows<Vec<u8>>, rows: &[Value]) -> (String, Vec<String>) {
        for row in rows {
            csv.row(row).unwrap();
        }
        let dropped = csv.dropped().iter().cloned().collect();
        (String::from_utf8(csv.finish().unwrap()).unwrap(), dropped)
    }

    #[test]
    fn keys_after_the_first_row_are_named_or_kept_under_a_given_header() {
        let rows = [
            json!({"id": 1, "a": {"b": 2}}),
            json!({"id": 2, "late": "x", "a": {"c": 3}}),
        ];
        let (text, dropped) = write(CsvRows::new(Vec::new(), None), &rows);
        assert_eq!(text, "id,a.b\n1,2\n2,\n", "id first");
        assert_eq!(dropped, ["a.c", "late"]);
        let mut columns = CsvColumns::default();
        rows.iter().for_each(|r| columns.add(r));
        let header = columns.into_header();
        assert_eq!(
            header,
            ["id", "a.b", "a.c", "late"],
            "id first, then first-seen order"
        );
        let (text, dropped) = write(CsvRows::with_header(Vec::new(), header), &rows);
        assert_eq!(text, "id,a.b,a.c,late\n1,2,,\n2,,3,x\n");
        assert!(dropped.is_empty());
    }
}
