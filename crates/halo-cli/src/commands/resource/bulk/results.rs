//! The files of a bulk job: the results (one NDJSON line per input row, appended as rows end),
//! the rows being sent (a sidecar `RESULTS.sending`, appended before each request, so a job
//! killed mid-request knows which rows may have changed), and the rejects (exactly the rows
//! that failed, in the input's format and columns).

use super::input::{Cells, FromFormat, Input};
use crate::exit::Failure;
use crate::fsutil;
use anyhow::{Context as _, Result};
use halopsa::bulk::{BulkSink, Outcome, RowResult};
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufRead, BufReader, Seek, Write};
use std::path::{Path, PathBuf};

/// Where a job's files are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// One line per input row.
    pub results: PathBuf,
    /// The rows being sent (removed when the job has ended every row).
    pub sending: PathBuf,
    /// The rows that failed, in the input's format.
    pub rejects: PathBuf,
}

impl Paths {
    /// The files of input `source`: `--results` and `--rejects` when given, else beside the
    /// input as `INPUT.results.ndjson` and `INPUT.rejects.EXT`.
    pub fn new(
        source: &str,
        format: FromFormat,
        results: Option<PathBuf>,
        rejects: Option<PathBuf>,
    ) -> Result<Paths> {
        let stem = (source != "-").then(|| {
            let path = Path::new(source);
            let base = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "input".to_string());
            path.with_file_name(base)
        });
        let beside = |suffix: String| stem.as_ref().map(|s| append(s, &suffix));
        let results = results
            .or_else(|| beside(".results.ndjson".to_string()))
            .ok_or_else(|| {
                Failure::usage("--from - needs --results FILE (where each row's outcome goes)")
            })?;
        let rejects = rejects
            .or_else(|| beside(format!(".rejects.{}", format.extension())))
            .unwrap_or_else(|| append(&results, &format!(".rejects.{}", format.extension())));
        Ok(Paths {
            sending: append(&results, ".sending"),
            results,
            rejects,
        })
    }
}

fn append(path: &Path, suffix: &str) -> PathBuf {
    let mut text = path.as_os_str().to_owned();
    text.push(suffix);
    PathBuf::from(text)
}

/// What an earlier run of the same job did.
#[derive(Debug, Default)]
pub struct Earlier {
    /// Each row's outcome (rows to send again left out).
    pub done: BTreeMap<u64, RowResult>,
    /// Rows it was sending when it stopped, with no outcome.
    pub pending: BTreeSet<u64>,
    /// The fingerprint of each row it ended, as its input was then.
    pub prints: BTreeMap<u64, String>,
}

/// Refuses to start a new job over the files of another (nothing is overwritten).
pub fn check_fresh(paths: &Paths) -> Result<()> {
    for path in [&paths.results, &paths.rejects] {
        if std::fs::symlink_metadata(path).is_ok() {
            return Err(Failure::usage(format!(
                "{} exists (from an earlier run): --resume continues that run; else move it or choose another with --results/--rejects",
                path.display()
            )));
        }
    }
    Ok(())
}

/// Reads what an earlier run did. A row that failed for a passing reason (`retry`) is to be
/// sent again: the results file is rewritten without its line. A last line cut short by a
/// crash is dropped.
pub fn read_earlier(paths: &Paths) -> Result<Earlier> {
    let file = fsutil::open_existing(&paths.results).map_err(|e| {
        Failure::usage(format!(
            "--resume: cannot read {}: {e} (nothing to resume)",
            paths.results.display()
        ))
    })?;
    let lines: Vec<String> = BufReader::new(file)
        .lines()
        .collect::<std::io::Result<_>>()
        .with_context(|| format!("cannot read {}", paths.results.display()))?;
    let mut earlier = Earlier::default();
    let mut kept: Vec<&str> = Vec::new();
    let mut again = false;
    let count = lines.len();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let parsed = serde_json::from_str::<serde_json::Value>(line).and_then(|v| {
            let print = v
                .get(ROW_PRINT)
                .and_then(|p| p.as_str())
                .map(str::to_string);
            serde_json::from_value::<RowResult>(v).map(|r| (r, print))
        });
        match parsed {
            Ok((r, _)) if r.outcome == Outcome::Failed && r.retry => {
                again = true;
            }
            Ok((r, print)) => {
                if let Some(print) = print {
                    earlier.prints.insert(r.line, print);
                }
                earlier.done.insert(r.line, r);
                kept.push(line);
            }
            Err(_) if i + 1 == count => again = true,
            Err(e) => {
                return Err(Failure::usage(format!(
                    "{} line {} is not a result ({e}): is it the results file of this job?",
                    paths.results.display(),
                    i + 1
                )));
            }
        }
    }
    if again {
        let mut text = String::new();
        for line in kept {
            text.push_str(line);
            text.push('\n');
        }
        fsutil::write_atomic(&paths.results, text.as_bytes())?;
    }
    if let Ok(file) = fsutil::open_existing(&paths.sending) {
        for line in BufReader::new(file).lines() {
            let Ok(line) = line else { break };
            if let Ok(sent) = serde_json::from_str::<Vec<u64>>(&line) {
                earlier
                    .pending
                    .extend(sent.into_iter().filter(|l| !earlier.done.contains_key(l)));
            }
        }
    }
    Ok(earlier)
}

/// The key of a results line holding its input row's fingerprint.
const ROW_PRINT: &str = "row";

/// Refuses to resume over an input that is not the one the results were written for: a row
/// ended earlier must be at its line, holding what it held.
pub fn check_same_input(paths: &Paths, earlier: &Earlier, input: &Input) -> Result<()> {
    let prints: BTreeMap<u64, String> = input
        .records
        .iter()
        .map(|r| (r.line, r.fingerprint()))
        .collect();
    for (line, print) in &earlier.prints {
        if prints.get(line) != Some(print) {
            return Err(Failure::usage(format!(
                "the input is not the one {} was written for (line {line} differs): resume with that file, or start anew with other --results and --rejects",
                paths.results.display()
            )));
        }
    }
    Ok(())
}

/// Opens the results and sending files: new ones for a new job, the earlier ones to append
/// to for `--resume`.
pub fn open(paths: &Paths, resume: bool) -> Result<(File, File)> {
    let open_one = |path: &Path, may_exist: bool| -> Result<File> {
        let opened = if may_exist {
            match fsutil::open_existing(path) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    fsutil::create_new(path, false)
                }
                other => other,
            }
        } else {
            fsutil::create_new(path, false)
        };
        let mut file =
            opened.map_err(|e| Failure::usage(format!("cannot create {}: {e}", path.display())))?;
        file.seek(std::io::SeekFrom::End(0))?;
        Ok(file)
    };
    Ok((
        open_one(&paths.results, resume)?,
        open_one(&paths.sending, true)?,
    ))
}

/// Counts of outcomes.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Rows created.
    pub created: u64,
    /// Rows updated.
    pub updated: u64,
    /// Rows deleted.
    pub deleted: u64,
    /// Rows that failed.
    pub failed: u64,
    /// Creates that may have been saved.
    pub unknown: u64,
    /// Rows not sent.
    pub skipped: u64,
}

impl Counts {
    /// Adds one outcome.
    pub fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Created => self.created += 1,
            Outcome::Updated => self.updated += 1,
            Outcome::Deleted => self.deleted += 1,
            Outcome::Failed => self.failed += 1,
            Outcome::Unknown => self.unknown += 1,
            _ => self.skipped += 1,
        }
    }
}

/// Writes results as rows end and shows progress.
pub struct Writer {
    results: File,
    sending: File,
    /// Each input row's fingerprint, written beside its outcome.
    prints: BTreeMap<u64, String>,
    /// Every row's outcome so far.
    pub all: BTreeMap<u64, RowResult>,
    /// This run's counts.
    pub counts: Counts,
    bar: indicatif::ProgressBar,
    /// The first write that failed (the job stops caring about the disk: it is reported).
    pub error: Option<std::io::Error>,
}

impl Writer {
    /// A writer appending to `files`, with the outcomes of an earlier run.
    pub fn new(
        files: (File, File),
        input: &Input,
        earlier: BTreeMap<u64, RowResult>,
        bar: indicatif::ProgressBar,
    ) -> Writer {
        Writer {
            results: files.0,
            sending: files.1,
            prints: input
                .records
                .iter()
                .map(|r| (r.line, r.fingerprint()))
                .collect(),
            all: earlier,
            counts: Counts::default(),
            bar,
            error: None,
        }
    }

    fn write(file: &mut File, text: &str, error: &mut Option<std::io::Error>) {
        if error.is_none()
            && let Err(e) = file.write_all(text.as_bytes())
        {
            *error = Some(e);
        }
    }

    /// Finishes the progress bar and makes the results durable.
    pub fn close(self) -> Result<(BTreeMap<u64, RowResult>, Counts)> {
        self.bar.finish_and_clear();
        if let Some(e) = self.error {
            return Err(anyhow::Error::new(e).context("cannot write the results file"));
        }
        self.results
            .sync_all()
            .context("cannot write the results file")?;
        Ok((self.all, self.counts))
    }
}

impl BulkSink for Writer {
    fn sending(&mut self, lines: &[u64]) {
        let text = serde_json::to_string(lines).unwrap_or_default() + "\n";
        Self::write(&mut self.sending, &text, &mut self.error);
    }

    fn finished(&mut self, results: &[RowResult]) {
        let mut text = String::new();
        for r in results {
            if let Ok(mut line) = serde_json::to_string(r) {
                // The object's fields in their order, then the row's fingerprint.
                if let Some(print) = self.prints.get(&r.line)
                    && line.ends_with('}')
                {
                    line.pop();
                    line.push_str(&format!(",\"{ROW_PRINT}\":\"{print}\"}}"));
                }
                text.push_str(&line);
                text.push('\n');
            }
            self.counts.add(r.outcome);
            self.all.insert(r.line, r.clone());
        }
        Self::write(&mut self.results, &text, &mut self.error);
        self.bar.inc(results.len() as u64);
        let c = self.counts;
        self.bar.set_message(format!(
            "{} done, {} failed",
            c.created + c.updated + c.deleted + c.skipped,
            c.failed + c.unknown
        ));
    }
}

/// Writes the records of `input` on `lines` to `path` in the input's format (CSV with its
/// header), through a temporary file; with no such line, removes an earlier rejects file.
pub fn write_rejects(path: &Path, input: &Input, lines: &BTreeSet<u64>) -> Result<usize> {
    let chosen: Vec<&super::input::Record> = input
        .records
        .iter()
        .filter(|r| lines.contains(&r.line))
        .collect();
    if chosen.is_empty() {
        fsutil::remove_if_present(path)?;
        return Ok(0);
    }
    let mut bytes = Vec::new();
    match input.format {
        FromFormat::Csv => {
            let mut w = csv::Writer::from_writer(&mut bytes);
            w.write_record(&input.header)?;
            for r in &chosen {
                if let Cells::Csv(cells) = &r.cells {
                    w.write_record(cells)?;
                }
            }
            w.flush()?;
        }
        FromFormat::Ndjson => {
            for r in &chosen {
                if let Cells::Json(v) = &r.cells {
                    serde_json::to_writer(&mut bytes, v)?;
                    bytes.push(b'\n');
                }
            }
        }
        FromFormat::Json => {
            let values: Vec<&serde_json::Value> = chosen
                .iter()
                .filter_map(|r| match &r.cells {
                    Cells::Json(v) => Some(v),
                    Cells::Csv(_) => None,
                })
                .collect();
            serde_json::to_writer_pretty(&mut bytes, &values)?;
            bytes.push(b'\n');
        }
    }
    fsutil::write_atomic(path, &bytes)?;
    Ok(chosen.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::resource::bulk::input::Record;
    use serde_json::json;

    #[test]
    fn files_go_beside_the_input_unless_given() {
        let p = Paths::new("dir/t.csv", FromFormat::Csv, None, None).unwrap();
        assert_eq!(p.results, PathBuf::from("dir/t.results.ndjson"));
        assert_eq!(p.rejects, PathBuf::from("dir/t.rejects.csv"));
        assert_eq!(p.sending, PathBuf::from("dir/t.results.ndjson.sending"));
        assert!(Paths::new("-", FromFormat::Csv, None, None).is_err());
        let p = Paths::new("-", FromFormat::Ndjson, Some("r.ndjson".into()), None).unwrap();
        assert_eq!(p.rejects, PathBuf::from("r.ndjson.rejects.ndjson"));
    }

    fn result(line: u64, outcome: Outcome, retry: bool) -> RowResult {
        RowResult {
            line,
            id: Some(json!(line)),
            outcome,
            message: None,
            status: None,
            retry,
        }
    }

    #[test]
    fn an_earlier_run_is_read_back_and_passing_failures_sent_again() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::new(
            dir.path().join("t.csv").to_str().unwrap(),
            FromFormat::Csv,
            None,
            None,
        )
        .unwrap();
        check_fresh(&paths).unwrap();
        let files = open(&paths, false).unwrap();
        let input = Input {
            format: FromFormat::Csv,
            header: vec!["id".into()],
            records: (2..=5)
                .map(|line| Record {
                    line,
                    cells: Cells::Csv(vec![line.to_string()]),
                })
                .collect(),
        };
        let mut w = Writer::new(
            files,
            &input,
            BTreeMap::new(),
            indicatif::ProgressBar::hidden(),
        );
        w.sending(&[2, 3, 4, 5]);
        w.finished(&[
            result(2, Outcome::Updated, false),
            result(3, Outcome::Failed, true),
        ]);
        w.finished(&[result(4, Outcome::Failed, false)]);
        w.close().unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&paths.results)
            .unwrap()
            .write_all(b"{\"line\":9,\"ou")
            .unwrap();
        assert!(check_fresh(&paths).is_err());
        let earlier = read_earlier(&paths).unwrap();
        assert_eq!(earlier.done.keys().copied().collect::<Vec<_>>(), [2, 4]);
        assert_eq!(earlier.pending.iter().copied().collect::<Vec<_>>(), [3, 5]);
        let text = std::fs::read_to_string(&paths.results).unwrap();
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(
            text.starts_with("{\"line\":2,\"id\":2,\"outcome\":\"updated\",\"row\":\""),
            "{text}"
        );
        assert_eq!(earlier.prints.len(), 2);
        check_same_input(&paths, &earlier, &input).unwrap();
        let mut changed = input.clone();
        changed.records[2].cells = Cells::Csv(vec!["40".into()]);
        let err = check_same_input(&paths, &earlier, &changed)
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 4 differs"), "{err}");
    }

    #[test]
    fn rejects_keep_the_input_format() {
        let dir = tempfile::tempdir().unwrap();
        let input = Input {
            format: FromFormat::Csv,
            header: vec!["id".into(), "summary".into()],
            records: vec![
                Record {
                    line: 2,
                    cells: Cells::Csv(vec!["1".into(), "a, b".into()]),
                },
                Record {
                    line: 3,
                    cells: Cells::Csv(vec!["2".into(), "c".into()]),
                },
            ],
        };
        let path = dir.path().join("r.csv");
        assert_eq!(
            write_rejects(&path, &input, &BTreeSet::from([3])).unwrap(),
            1
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "id,summary\n2,c\n");
        assert_eq!(write_rejects(&path, &input, &BTreeSet::new()).unwrap(), 0);
        assert!(!path.exists());
        let input = Input {
            format: FromFormat::Ndjson,
            header: Vec::new(),
            records: vec![Record {
                line: 1,
                cells: Cells::Json(json!({"id": 1})),
            }],
        };
        write_rejects(&path, &input, &BTreeSet::from([1])).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"id\":1}\n");
    }
}
