//! CSV and JSON files, written from the export's NDJSON partial file once every row is in.

use super::interrupt::{Stop, interruptible};
use super::sink::{ExportFormat, WRITE_BUFFER};
use crate::output::{CsvColumns, RowWriter};
use anyhow::{Context, Result};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// [`convert`] on a thread of its own, stopped by Ctrl-C or the time bound (then the
/// [`Stop`] is the error).
pub async fn convert_interruptibly(
    partial: &Path,
    format: ExportFormat,
    columns: Option<Vec<String>>,
    to: &Path,
    timeout: Option<Duration>,
) -> Result<Result<(), Stop>> {
    let stop = Arc::new(AtomicBool::new(false));
    let job = {
        let (partial, format, to, stop) = (
            partial.to_path_buf(),
            format,
            to.to_path_buf(),
            stop.clone(),
        );
        tokio::task::spawn_blocking(move || {
            convert(&partial, format, columns.as_deref(), &to, &stop)
        })
    };
    tokio::pin!(job);
    let done = match interruptible(&mut job, timeout).await {
        Ok(r) => r,
        Err(why) => {
            stop.store(true, Ordering::Relaxed);
            let _ = job.await;
            return Ok(Err(why));
        }
    };
    done.map_err(|e| anyhow::anyhow!("writing {} failed: {e}", to.display()))??;
    Ok(Ok(()))
}

/// Writes `to` from the export's NDJSON `partial`: a JSON array of its lines, or CSV under
/// the columns of every row (the file read twice: constant memory, and no column is lost to
/// a header fixed by the first row). Gives up when `stop` is set.
fn convert(
    partial: &Path,
    format: ExportFormat,
    chosen: Option<&[String]>,
    to: &Path,
    stop: &AtomicBool,
) -> Result<()> {
    let lines = || -> Result<_> {
        let file =
            File::open(partial).with_context(|| format!("cannot read {}", partial.display()))?;
        let lines = BufReader::with_capacity(WRITE_BUFFER, file).lines();
        Ok(lines.take_while(|_| !stop.load(Ordering::Relaxed)))
    };
    let row = |line: std::io::Result<String>| -> Result<serde_json::Value> {
        serde_json::from_str(&line?)
            .with_context(|| format!("{} holds a line that is not JSON", partial.display()))
    };
    // A stale one is an earlier run's: this export holds the partial file's lock.
    crate::fsutil::remove_if_present(to)?;
    let out = BufWriter::with_capacity(
        WRITE_BUFFER,
        crate::fsutil::create_new(to, false)
            .with_context(|| format!("cannot create {}", to.display()))?,
    );
    let out = if format == ExportFormat::Json {
        // Every line is one JSON value already: no need to parse it.
        let mut out = out;
        out.write_all(b"[")?;
        for (i, line) in lines()?.enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            out.write_all(line?.as_bytes())?;
        }
        out.write_all(b"]\n")?;
        out
    } else {
        let mut columns = CsvColumns::default();
        for line in lines()? {
            columns.add(&row(line)?);
        }
        let header = match chosen {
            Some(chosen) => columns
                .choose(chosen)
                .map_err(|unknown| crate::output::unknown_columns(&unknown))?,
            None => columns.into_header(),
        };
        let mut csv = RowWriter::csv(out, header);
        for line in lines()? {
            csv.row(&row(line)?)?;
        }
        csv.finish()?
    };
    if stop.load(Ordering::Relaxed) {
        anyhow::bail!("stopped before {} was complete", to.display());
    }
    out.into_inner()
        .map_err(|e| e.into_error())?
        .sync_all()
        .with_context(|| format!("cannot write {}", to.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn converted(format: ExportFormat, lines: &str, stop: bool) -> Result<String> {
        let dir = tempfile::tempdir()?;
        let (partial, to) = (dir.path().join("p"), dir.path().join("out"));
        std::fs::write(&partial, lines)?;
        convert(&partial, format, None, &to, &AtomicBool::new(stop))?;
        Ok(std::fs::read_to_string(&to)?)
    }

    #[test]
    fn the_partial_file_becomes_json_or_csv_with_every_column() {
        let lines = "{\"id\":1,\"a\":\"x\"}\n{\"id\":2,\"b\":{\"c\":3}}\n";
        assert_eq!(
            converted(ExportFormat::Json, lines, false).unwrap(),
            "[{\"id\":1,\"a\":\"x\"},{\"id\":2,\"b\":{\"c\":3}}]\n"
        );
        assert_eq!(converted(ExportFormat::Json, "", false).unwrap(), "[]\n");
        assert_eq!(
            converted(ExportFormat::Csv, lines, false).unwrap(),
            "id,a,b.c\n1,x,\n2,,3\n"
        );
        assert!(converted(ExportFormat::Csv, "{\"id\":1}\nnot json\n", false).is_err());
    }

    #[test]
    fn a_conversion_told_to_stop_gives_up() {
        let err = converted(ExportFormat::Csv, "{\"id\":1}\n", true).unwrap_err();
        assert!(err.to_string().contains("stopped"), "{err}");
    }
}
