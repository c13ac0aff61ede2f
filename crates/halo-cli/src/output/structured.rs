//! JSON, NDJSON and YAML lists, written row by row.

use serde_json::Value;
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
            Style::Yaml => yaml_serde::to_writer(&mut self.out, &[super::value::yaml(row)])?,
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
