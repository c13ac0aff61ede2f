//! The records of `--from FILE`: NDJSON, a JSON array, or CSV with a header, each kept as it
//! was read (so the rows that fail can be written back in the same format) beside its line.

use crate::context::Context;
use crate::exit::Failure;
use anyhow::Result;
use serde_json::Value;
use std::io::Read;

/// The format of a bulk input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FromFormat {
    /// One JSON object per line.
    Ndjson,
    /// A JSON array of objects.
    Json,
    /// Comma-separated values with a header of field names.
    Csv,
}

impl FromFormat {
    /// The extension of a file in this format.
    pub fn extension(self) -> &'static str {
        match self {
            FromFormat::Ndjson => "ndjson",
            FromFormat::Json => "json",
            FromFormat::Csv => "csv",
        }
    }
}

/// One record as read.
#[derive(Debug, Clone, PartialEq)]
pub enum Cells {
    /// A JSON object (NDJSON line or array element).
    Json(Value),
    /// A CSV record's cells, in the header's order.
    Csv(Vec<String>),
}

/// One record and where it was.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The line it starts on (NDJSON, CSV) or its 1-based place in a JSON array.
    pub line: u64,
    /// What it holds.
    pub cells: Cells,
}

impl Record {
    /// A fingerprint of what the record holds (16 hex digits, the same in every run), so a
    /// resumed job can tell that its input is still the one its results were written for.
    pub fn fingerprint(&self) -> String {
        let text = match &self.cells {
            Cells::Json(v) => v.to_string(),
            Cells::Csv(cells) => cells.join("\u{1f}"),
        };
        format!("{:016x}", halopsa::stable_hash::fnv1a(text.as_bytes()))
    }
}

/// A whole input file.
#[derive(Debug, Clone)]
pub struct Input {
    /// Its format.
    pub format: FromFormat,
    /// The CSV header (empty for JSON).
    pub header: Vec<String>,
    /// The records, in order.
    pub records: Vec<Record>,
}

/// The format of `source`: `given`, else from the file's extension.
pub fn format_of(source: &str, given: Option<FromFormat>) -> Result<FromFormat> {
    if let Some(format) = given {
        return Ok(format);
    }
    let lower = source.to_ascii_lowercase();
    let by_extension = [
        (".ndjson", FromFormat::Ndjson),
        (".jsonl", FromFormat::Ndjson),
        (".json", FromFormat::Json),
        (".csv", FromFormat::Csv),
    ];
    by_extension
        .iter()
        .find(|(ext, _)| lower.ends_with(ext))
        .map(|(_, f)| *f)
        .ok_or_else(|| {
            Failure::usage(format!(
                "cannot tell the format of {}: give --from-format ndjson, json or csv",
                if source == "-" {
                    "standard input"
                } else {
                    source
                }
            ))
        })
}

/// Reads `source` (a file, or `-` for standard input) as `format`. A record that does not
/// parse is an error naming its line: nothing is sent from a file that is not what it says.
pub fn read(ctx: &mut Context, source: &str, format: FromFormat) -> Result<Input> {
    let name = if source == "-" {
        "standard input".to_string()
    } else {
        source.to_string()
    };
    let mut bytes = Vec::new();
    let read = if source == "-" {
        ctx.io.input().read_to_end(&mut bytes).map(|_| ())
    } else {
        std::fs::File::open(source).and_then(|mut f| f.read_to_end(&mut bytes).map(|_| ()))
    };
    read.map_err(|e| Failure::usage(format!("cannot read {name}: {e}")))?;
    // Excel writes a byte-order mark first.
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let text = std::str::from_utf8(text)
        .map_err(|e| Failure::usage(format!("{name} is not UTF-8 text: {e}")))?;
    let input = match format {
        FromFormat::Ndjson => ndjson(&name, text)?,
        FromFormat::Json => json(&name, text)?,
        FromFormat::Csv => csv(&name, text)?,
    };
    if input.records.is_empty() {
        return Err(Failure::usage(format!("{name} has no rows")));
    }
    Ok(input)
}

fn ndjson(name: &str, text: &str) -> Result<Input> {
    let mut records = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        let value: Value = serde_json::from_str(line)
            .map_err(|e| Failure::usage(format!("{name} line {line_no} is not JSON: {e}")))?;
        if !value.is_object() {
            return Err(Failure::usage(format!(
                "{name} line {line_no} is not a JSON object"
            )));
        }
        records.push(Record {
            line: line_no,
            cells: Cells::Json(value),
        });
    }
    Ok(Input {
        format: FromFormat::Ndjson,
        header: Vec::new(),
        records,
    })
}

fn json(name: &str, text: &str) -> Result<Input> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        Failure::usage(format!(
            "{name} is not JSON (line {}, column {}): {e}; one object per line is --from-format ndjson",
            e.line(),
            e.column()
        ))
    })?;
    let items = match value {
        Value::Array(items) => items,
        object @ Value::Object(_) => vec![object],
        _ => {
            return Err(Failure::usage(format!(
                "{name} must hold a JSON array of objects"
            )));
        }
    };
    let mut records = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        if !item.is_object() {
            return Err(Failure::usage(format!(
                "{name}: element {} is not a JSON object",
                i + 1
            )));
        }
        records.push(Record {
            line: i as u64 + 1,
            cells: Cells::Json(item),
        });
    }
    Ok(Input {
        format: FromFormat::Json,
        header: Vec::new(),
        records,
    })
}

fn csv(name: &str, text: &str) -> Result<Input> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| Failure::usage(format!("{name}: cannot read the CSV header: {e}")))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if header.iter().all(String::is_empty) {
        return Err(Failure::usage(format!(
            "{name}: the CSV header names no field"
        )));
    }
    if let Some(blank) = header.iter().position(String::is_empty) {
        return Err(Failure::usage(format!(
            "{name}: column {} of the CSV header has no name",
            blank + 1
        )));
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(twice) = header.iter().find(|h| !seen.insert(h.to_ascii_lowercase())) {
        return Err(Failure::usage(format!(
            "{name}: the CSV header names '{twice}' twice"
        )));
    }
    let mut records = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| Failure::usage(format!("{name}: {e}")))?;
        let line = record.position().map_or(0, csv::Position::line);
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        records.push(Record {
            line,
            cells: Cells::Csv(record.iter().map(str::to_string).collect()),
        });
    }
    Ok(Input {
        format: FromFormat::Csv,
        header,
        records,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn formats_come_from_extensions_unless_given() {
        assert_eq!(format_of("a.CSV", None).unwrap(), FromFormat::Csv);
        assert_eq!(format_of("a.jsonl", None).unwrap(), FromFormat::Ndjson);
        assert_eq!(format_of("a.json", None).unwrap(), FromFormat::Json);
        assert_eq!(
            format_of("-", Some(FromFormat::Csv)).unwrap(),
            FromFormat::Csv
        );
        let err = format_of("-", None).unwrap_err().to_string();
        assert!(err.contains("--from-format"), "{err}");
    }

    #[test]
    fn csv_records_keep_their_lines_and_cells() {
        let text = "\u{feff}id,summary\n1,\"two\nlines\"\n3,x\n";
        let input = csv("t.csv", text.trim_start_matches('\u{feff}')).unwrap();
        assert_eq!(input.header, ["id", "summary"]);
        assert_eq!(input.records.len(), 2);
        assert_eq!(input.records[0].line, 2);
        assert_eq!(
            input.records[0].cells,
            Cells::Csv(vec!["1".into(), "two\nlines".into()])
        );
        assert_eq!(input.records[1].line, 4);
        let ragged = csv("t.csv", "id,summary\n1\n").unwrap_err().to_string();
        assert!(ragged.contains("t.csv"), "{ragged}");
        let twice = csv("t.csv", "id,ID\n1,2\n").unwrap_err().to_string();
        assert!(twice.contains("twice"), "{twice}");
    }

    #[test]
    fn json_lines_and_arrays_are_objects() {
        let input = ndjson("t", "{\"id\":1}\n\n{\"id\":2}\n").unwrap();
        assert_eq!(input.records[1].line, 3);
        assert_eq!(input.records[1].cells, Cells::Json(json!({"id": 2})));
        let bad = ndjson("t", "{\"id\":1}\nnope\n").unwrap_err().to_string();
        assert!(bad.contains("line 2 is not JSON"), "{bad}");
        assert!(ndjson("t", "[1]\n").is_err());
        let input = json("t", "[{\"id\":1},{\"id\":2}]").unwrap();
        assert_eq!(input.records[1].line, 2);
        assert!(json("t", "[1]").is_err());
        assert!(
            json("t", "{\"id\":1}\n{\"id\":2}")
                .unwrap_err()
                .to_string()
                .contains("ndjson")
        );
    }
}
