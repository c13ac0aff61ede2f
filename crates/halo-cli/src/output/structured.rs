//! JSON, NDJSON and YAML lists, written row by row.

use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::{Map, Value};
use std::io::Write;

/// The shape of a structured list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Style {
    /// A JSON array, indented.
    Pretty,
    /// A JSON array on one line.
    Compact,
    /// One compact JSON object per line.
    Lines,
    /// A YAML sequence.
    Yaml,
}

/// Writes each row as it comes; only the closing of a JSON array waits for [`Structured::finish`].
pub(super) struct Structured<W: Write> {
    out: W,
    style: Style,
    count: usize,
}

impl<W: Write> Structured<W> {
    pub(super) fn new(out: W, style: Style) -> Structured<W> {
        Structured {
            out,
            style,
            count: 0,
        }
    }

    pub(super) fn row(&mut self, row: &Value) -> anyhow::Result<()> {
        self.write(row, || super::value::yaml(row))
    }

    /// Writes a row with its keys in `order` first (Halo's column order), then any others.
    pub(super) fn row_in_order(
        &mut self,
        row: &Map<String, Value>,
        order: &[String],
    ) -> anyhow::Result<()> {
        let ordered = InOrder { row, order };
        self.write(&ordered, || {
            yaml_serde::Value::Mapping(
                ordered
                    .pairs()
                    .map(|(k, v)| (yaml_serde::Value::String(k.clone()), super::value::yaml(v)))
                    .collect(),
            )
        })
    }

    fn write<T: Serialize>(
        &mut self,
        row: &T,
        yaml: impl FnOnce() -> yaml_serde::Value,
    ) -> anyhow::Result<()> {
        let first = self.count == 0;
        self.count += 1;
        match self.style {
            Style::Pretty => {
                let text = serde_json::to_string_pretty(row)?;
                self.out.write_all(if first { b"[\n" } else { b",\n" })?;
                for (i, line) in text.lines().enumerate() {
                    let sep = if i == 0 { "" } else { "\n" };
                    write!(self.out, "{sep}  {line}")?;
                }
            }
            Style::Compact => {
                self.out.write_all(if first { b"[" } else { b"," })?;
                serde_json::to_writer(&mut self.out, row)?;
            }
            Style::Lines => {
                serde_json::to_writer(&mut self.out, row)?;
                self.out.write_all(b"\n")?;
            }
            // A one-item sequence per row: together they are one sequence.
            Style::Yaml => yaml_serde::to_writer(&mut self.out, &[yaml()])?,
        }
        Ok(())
    }

    /// Closes a JSON array (`[]` when empty), flushes and hands the writer back.
    pub(super) fn finish(mut self) -> anyhow::Result<W> {
        let end: &[u8] = match (self.style, self.count) {
            (Style::Pretty | Style::Compact, 0) => b"[]\n",
            (Style::Pretty, _) => b"\n]\n",
            (Style::Compact, _) => b"]\n",
            (Style::Lines | Style::Yaml, _) => b"",
        };
        self.out.write_all(end)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// A row whose keys serialise in a given order (a `serde_json::Map` sorts them).
struct InOrder<'a> {
    row: &'a Map<String, Value>,
    order: &'a [String],
}

impl<'a> InOrder<'a> {
    fn pairs(&self) -> impl Iterator<Item = (&'a String, &'a Value)> + use<'a> {
        let (row, order) = (self.row, self.order);
        let listed = order.iter().filter_map(move |k| row.get_key_value(k));
        let rest = row.iter().filter(move |(k, _)| !order.contains(k));
        listed.chain(rest)
    }
}

impl Serialize for InOrder<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.row.len()))?;
        for (k, v) in self.pairs() {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}
