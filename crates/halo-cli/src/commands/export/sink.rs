//! Where an export's rows go, in its format.

use crate::output::{Format, OutputOptions, RowWriter};
use anyhow::Result;
use halopsa::raw::RawRow;
use std::io::Write;

/// An export's file format (`--format`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// One JSON object per line, each row as the server sent it.
    #[default]
    Ndjson,
    /// CSV with a header of every row's columns; nested objects as dotted columns.
    Csv,
    /// One JSON array.
    Json,
}

impl ExportFormat {
    /// The name given on the command line and kept in a checkpoint.
    pub fn name(self) -> &'static str {
        match self {
            ExportFormat::Ndjson => "ndjson",
            ExportFormat::Csv => "csv",
            ExportFormat::Json => "json",
        }
    }
}

/// The export's buffer size (rows are written in large blocks, not a row at a time).
pub const WRITE_BUFFER: usize = 256 * 1024;

/// Rows into a writer in a format, counting bytes for checkpoints.
pub enum Sink<'a> {
    /// NDJSON: each row's bytes on one line.
    Ndjson(Counted<Box<dyn Write + Send + 'a>>),
    /// CSV or JSON, written row by row (to a stream: a file is converted at the end).
    Other(RowWriter<Counted<Box<dyn Write + Send + 'a>>>),
}

impl<'a> Sink<'a> {
    /// Rows in `format` into `out`, which holds `already` bytes; CSV under `columns` when
    /// given.
    pub fn new(
        out: Box<dyn Write + Send + 'a>,
        format: ExportFormat,
        already: u64,
        columns: Option<Vec<String>>,
    ) -> Sink<'a> {
        let out = Counted {
            inner: out,
            bytes: already,
        };
        let format = match format {
            ExportFormat::Ndjson => return Sink::Ndjson(out),
            ExportFormat::Csv => Format::Csv,
            ExportFormat::Json => Format::Json,
        };
        let options = OutputOptions {
            format: Some(format),
            columns,
            is_tty: false,
            width: None,
            color: false,
        };
        Sink::Other(RowWriter::new(out, &options))
    }

    /// Writes one row.
    pub fn row(&mut self, row: &RawRow) -> Result<()> {
        match self {
            Sink::Ndjson(out) => {
                out.write_all(&row.one_line()?)?;
                out.write_all(b"\n")?;
                Ok(())
            }
            Sink::Other(w) => w.row(&row.to_value()?),
        }
    }

    /// Bytes written so far (NDJSON; 0 for the others, which only go to streams).
    pub fn bytes(&self) -> u64 {
        match self {
            Sink::Ndjson(out) => out.bytes,
            Sink::Other(_) => 0,
        }
    }

    /// Hands what is buffered to the writer.
    pub fn flush(&mut self) -> Result<()> {
        if let Sink::Ndjson(out) = self {
            out.flush()?;
        }
        Ok(())
    }

    /// What a reader should know of the rows so far (CSV columns left out).
    pub fn note(&self) -> Option<String> {
        match self {
            Sink::Ndjson(_) => None,
            Sink::Other(w) => w.note(),
        }
    }

    /// Ends the rows (closes a JSON array) and flushes.
    pub fn finish(self) -> Result<()> {
        match self {
            Sink::Ndjson(mut out) => out.flush()?,
            Sink::Other(w) => w.finish()?.flush()?,
        }
        Ok(())
    }
}

/// A writer that counts the bytes through it.
pub struct Counted<W: Write> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
