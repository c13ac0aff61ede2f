//! An export at work: the walk into a stream, or into a file through its partial file, with
//! its checkpoints, its reconcile and its conversion.

use super::checkpoint::{Checkpoint, resume_point, sidecar};
use super::convert::convert_interruptibly;
use super::decision::Asked;
use super::interrupt::{failed, interruptible, kept};
use super::reconcile::reconcile;
use super::sink::{ExportFormat, Sink, WRITE_BUFFER};
use super::target::{self, Partial};
use super::writer::{Keeper, PageDone};
use crate::context::Context;
use anyhow::Result;
use futures::TryStreamExt;
use halopsa::custom_fields::{Where, row_matches};
use halopsa::paging::WalkNotes;
use halopsa::raw::RawRow;
use halopsa::resource::Resource;
use halopsa::{ListOptions, ResourceClient, ResumePoint};
use serde_json::Value;
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::io::{BufWriter, Seek, Write};
use std::path::Path;
use std::time::{Duration, Instant};

/// One export: what to walk and how.
pub struct Job<'a> {
    /// The client (for its counters).
    pub client: &'a halopsa::Client,
    /// The resource.
    pub api: &'a ResourceClient,
    /// The filters.
    pub query: Vec<(String, String)>,
    /// The file format.
    pub format: ExportFormat,
    /// The CSV columns chosen (`--columns`).
    pub columns: Option<Vec<String>>,
    /// Page size and concurrency.
    pub options: ListOptions,
    /// The bound on the walk (`--timeout`).
    pub timeout: Option<Duration>,
    /// When the command started.
    pub started: Instant,
    /// The command that continues this export, for messages.
    pub resume: String,
    /// The `--where` conditions a row must meet to be written.
    pub conditions: Vec<Where>,
}

/// What a walk did: rows walked, rows written (fewer when `--where` left some out), pages.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tally {
    /// Rows the walk brought.
    pub walked: u64,
    /// Rows written.
    pub written: u64,
    /// Pages fetched.
    pub pages: u32,
}

impl Job<'_> {
    /// Every row into standard output, a pipe or a device, in the chosen format.
    pub async fn to_stream(
        &self,
        ctx: &mut Context,
        out: Option<std::fs::File>,
        to: &str,
    ) -> Result<()> {
        let res = self.api.resource();
        let bar = progress(ctx);
        let walked = {
            let (stdout, err) = ctx.io.split();
            let out: Box<dyn Write + Send + '_> = match out {
                Some(file) => Box::new(BufWriter::with_capacity(WRITE_BUFFER, file)),
                None => Box::new(BufWriter::with_capacity(WRITE_BUFFER, stdout)),
            };
            let sink = Sink::new(out, self.format, 0, self.columns.clone());
            let walking = walk(
                err,
                &bar,
                self.api,
                self.query.clone(),
                self.options,
                None,
                sink,
                None,
                &self.conditions,
            );
            interruptible(walking, self.timeout).await
        };
        let (tally, notes) = match walked {
            Ok(r) => r?,
            Err(stop) => return Err(stop.error(&format!(": the export to {to} stopped part-way"))),
        };
        self.summary(ctx.io.err(), tally, &notes, to)?;
        match notes.incomplete {
            Some(gap) => Err(incomplete(res, gap, None)),
            None => Ok(()),
        }
    }

    /// Every row into the file `out`, through `FILE.partial` (owned and locked for the whole
    /// run), resumable, then moved into place. Whatever stops it after it began keeps the
    /// partial file and its checkpoint, and says how to continue.
    pub async fn to_file(
        &self,
        ctx: &mut Context,
        out: &Path,
        plan: FilePlan,
        asked: Asked,
    ) -> Result<()> {
        let reconciling = asked.reconcile;
        let res = self.api.resource();
        let partial_path = sidecar(out, ".partial");
        let state = sidecar(out, ".partial.json");
        let (partial, resume) = match plan {
            FilePlan::Resume => {
                let partial = Partial::reopen(&partial_path, out)?;
                let point = resume_point(
                    ctx.io.err(),
                    res,
                    (&self.query, &self.condition_texts()),
                    self.format.name(),
                    &partial_path,
                    &state,
                )?;
                (partial, Some(point))
            }
            FilePlan::Fresh { take_over } => {
                (Partial::create(&partial_path, out, take_over)?, None)
            }
        };
        let file = partial.file.try_clone()?;
        if let Some((_, cp)) = &resume {
            let mut f = file.try_clone()?;
            f.set_len(cp.bytes)?;
            f.seek(std::io::SeekFrom::End(0))?;
        }
        let checkpoint = match &resume {
            Some((_, cp)) => cp.clone(),
            None => Checkpoint {
                resource: res.path.to_string(),
                query: self.query.clone(),
                format: self.format.name().to_string(),
                page_size: self.options.page_size,
                next_page: 1,
                bytes: 0,
                rows: 0,
                record_count: None,
                conditions: self.condition_texts(),
                kept: (!self.conditions.is_empty()).then_some(0),
            },
        };
        // Rows go to the partial file as NDJSON whatever the format, so any export can be
        // resumed; CSV and JSON are written from it once every row is in.
        let sink = Sink::new(
            Box::new(BufWriter::with_capacity(WRITE_BUFFER, file.try_clone()?)),
            ExportFormat::Ndjson,
            checkpoint.bytes,
            None,
        );
        let mut keeper = Keeper::new(state.clone(), &file, checkpoint)?;
        // A checkpoint from the start, so even an export killed at once can be resumed.
        keeper.save()?;
        let earlier = resume.as_ref().map(|(_, cp)| cp.written());
        let bar = progress(ctx);
        let walked = {
            let walking = walk(
                ctx.io.err(),
                &bar,
                self.api,
                self.query.clone(),
                self.options,
                resume.map(|(p, _)| p),
                sink,
                Some(&mut keeper),
                &self.conditions,
            );
            interruptible(walking, self.timeout).await
        };
        let then = kept(&partial.path, &self.resume);
        let (mut tally, notes) = match walked {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                // The walk was dropped between pages: its writer flushed every whole page.
                keeper.save()?;
                return Err(failed(e, &partial.path, &self.resume));
            }
            Err(stop) => {
                keeper.save()?;
                return Err(stop.error(&then));
            }
        };
        keeper.finish_syncing()?;
        if let Some(gap) = notes.incomplete {
            // What came is kept, with its checkpoint: nothing is thrown away.
            keeper.save()?;
            let at = partial.path.display().to_string();
            self.summary(ctx.io.err(), tally, &notes, &at)?;
            return Err(incomplete(res, gap, Some(&partial.path)));
        }
        if reconciling || self.format != ExportFormat::Ndjson {
            // The walk is over: stopped from here on, a resume starts at its end.
            keeper.save()?;
        }
        if reconciling {
            let reconciled = reconcile(
                ctx.io.err(),
                self.api,
                &self.query,
                &self.conditions,
                &partial.path,
            );
            let (more, more_pages) = match interruptible(reconciled, self.timeout).await {
                Ok(r) => r.map_err(|e| failed(e, &partial.path, &self.resume))?,
                // The checkpoint ends before the rows the reconcile added: a resume drops them.
                Err(stop) => return Err(stop.error(&then)),
            };
            tally.walked += more;
            tally.written += more;
            tally.pages += more_pages;
        }
        let finished = if self.format == ExportFormat::Ndjson {
            file.sync_all()?;
            partial.path.clone()
        } else {
            drop(file);
            let converting = sidecar(out, ".converting");
            let converted = convert_interruptibly(
                &partial.path,
                self.format,
                self.columns.clone(),
                &converting,
                self.timeout,
            )
            .await;
            match converted {
                Ok(Ok(())) => converting,
                // The rows stay in the partial file: --resume writes the file again.
                Ok(Err(stop)) => {
                    let _ = std::fs::remove_file(&converting);
                    return Err(stop.error(&then));
                }
                Err(e) => {
                    let _ = std::fs::remove_file(&converting);
                    return Err(failed(e, &partial.path, &self.resume));
                }
            }
        };
        target::publish(&finished, out, asked.force)?;
        let _ = std::fs::remove_file(&partial.path);
        let _ = std::fs::remove_file(&state);
        let to = match earlier {
            Some(n) => format!(
                "{} ({} in all, with the interrupted run's)",
                out.display(),
                n + tally.written
            ),
            None => out.display().to_string(),
        };
        self.summary(ctx.io.err(), tally, &notes, &to)
    }

    /// The `--where` conditions as given (what a checkpoint keeps).
    fn condition_texts(&self) -> Vec<String> {
        self.conditions.iter().map(ToString::to_string).collect()
    }
}

/// How a file export starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilePlan {
    /// A new export; `take_over` an interrupted one's partial file (`--force`).
    Fresh {
        /// Whether to start an interrupted export's partial file over.
        take_over: bool,
    },
    /// Continue an interrupted export.
    Resume,
}

/// Streams the walk into `sink` (only the rows meeting `conditions`), reporting drift on
/// `err`; returns its tally and what the walk noticed.
#[allow(clippy::too_many_arguments)]
async fn walk(
    err: &mut (dyn Write + Send),
    bar: &indicatif::ProgressBar,
    api: &ResourceClient,
    query: Vec<(String, String)>,
    options: ListOptions,
    resume: Option<ResumePoint>,
    mut sink: Sink<'_>,
    mut keeper: Option<&mut Keeper>,
    conditions: &[Where],
) -> Result<(Tally, WalkNotes)> {
    // Rows stay as the server's bytes: only their ids are read (for de-duplication).
    let (pages, report) = api.list_pages::<RawRow>(query, options, resume);
    futures::pin_mut!(pages);
    let mut tally = Tally::default();
    while let Some(page) = pages.try_next().await? {
        if let Some(total) = page.record_count {
            bar.set_length(total);
        }
        let mut kept = 0;
        for row in &page.rows {
            if meets(row, conditions)? {
                sink.row(row)?;
                kept += 1;
            }
        }
        let n = page.rows.len() as u64;
        tally.walked += n;
        tally.written += kept;
        tally.pages += 1;
        bar.inc(n);
        if let Some(k) = keeper.as_deref_mut() {
            let done = PageDone {
                page_no: page.page_no,
                page_size: page.page_size,
                rows: n,
                kept,
                record_count: page.record_count,
            };
            k.page_done(&done, &mut sink)?;
        }
    }
    bar.finish_and_clear();
    if let Some(note) = sink.note() {
        writeln!(err, "{note}")?;
    }
    sink.finish()?;
    let notes = report.notes();
    if let Some((from, to)) = notes.count_changed {
        writeln!(
            err,
            "drift: {} changed from {from} to {to} rows during the export (rows added or removed meanwhile; --reconcile adds rows that moved past the walk)",
            api.resource().name
        )?;
    }
    Ok((tally, notes))
}

/// Whether a row meets every condition. Only the top-level fields the conditions read are
/// decoded (a row's other fields are skipped over as text).
pub fn meets(row: &RawRow, conditions: &[Where]) -> Result<bool> {
    if conditions.is_empty() {
        return Ok(true);
    }
    let value = match serde_json::from_slice::<HashMap<&str, &RawValue>>(row.as_bytes()) {
        Ok(fields) => {
            let mut read = serde_json::Map::new();
            for c in conditions {
                if let Some(raw) = fields.get(c.reads()) {
                    read.insert(c.reads().to_string(), serde_json::from_str(raw.get())?);
                }
            }
            Value::Object(read)
        }
        // A key with an escape in it cannot be borrowed: the whole row, then.
        Err(_) => row.to_value()?,
    };
    Ok(conditions.iter().all(|c| row_matches(&value, c)))
}

/// Every row of `api` as NDJSON into `out` (the demo's export); returns (rows, pages).
#[cfg(feature = "sandbox")]
pub async fn ndjson(api: &ResourceClient, out: Box<dyn Write + Send + '_>) -> Result<(u64, u32)> {
    let sink = Sink::new(out, ExportFormat::Ndjson, 0, None);
    let bar = indicatif::ProgressBar::hidden();
    let mut quiet = std::io::sink();
    let walking = walk(
        &mut quiet,
        &bar,
        api,
        Vec::new(),
        ListOptions::default(),
        None,
        sink,
        None,
        &[],
    );
    let (tally, _) = walking.await?;
    Ok((tally.written, tally.pages))
}

/// An export whose rows fell short of `record_count` (exit 1), naming where they are.
fn incomplete(res: &Resource, (promised, got): (u64, u64), kept: Option<&Path>) -> anyhow::Error {
    let kept = match kept {
        Some(p) => format!(
            "; the {got} rows are kept in {} (the file itself was not written): run it again with --force once the server answers in full",
            p.display()
        ),
        None => String::new(),
    };
    anyhow::anyhow!(
        "the export is incomplete: Halo's record_count promised {promised} {} but the walk produced {got}, more than rows added or removed meanwhile explain{kept}",
        res.name
    )
}

/// A progress bar on standard error when it is a terminal (rows, rows/s, ETA from
/// `record_count`); hidden otherwise.
fn progress(ctx: &Context) -> indicatif::ProgressBar {
    if !ctx.io.stderr_tty {
        return indicatif::ProgressBar::hidden();
    }
    let bar =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} rows  {per_sec}  ETA {eta}")
    {
        bar.set_style(style);
    }
    bar
}

impl Job<'_> {
    /// The line every export ends with.
    fn summary(
        &self,
        err: &mut dyn Write,
        tally: Tally,
        notes: &WalkNotes,
        to: &str,
    ) -> Result<()> {
        let Tally {
            walked,
            written,
            pages,
        } = tally;
        let secs = self.started.elapsed().as_secs_f64();
        let s = self.client.stats();
        let unkeyed = match notes.unkeyed {
            0 => String::new(),
            n => format!(" ({n} without an id, kept as they came)"),
        };
        let filtered = if self.conditions.is_empty() {
            String::new()
        } else {
            format!(" (of {walked} walked: the others did not meet --where)")
        };
        writeln!(
            err,
            "exported {written} {}{filtered}{unkeyed} to {to} in {secs:.1} s ({:.0} rows/s): {pages} pages, {} requests, {} retries, {} 429s",
            self.api.resource().name,
            walked as f64 / secs.max(0.001),
            s.requests,
            s.retries,
            s.rate_limited
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_meets_conditions_on_the_fields_they_read() {
        let conds = [
            Where::parse("status_name=New").unwrap(),
            Where::parse("cf.CFRegion=North").unwrap(),
        ];
        let row = |text: &str| RawRow::parse(text.to_string()).unwrap();
        let north = r#"{"id": 1, "status_name": "New", "details": {"deep": [1, 2]},
            "customfields": [{"id": 104, "name": "CFRegion", "value": 11, "display": "North"}]}"#;
        assert!(meets(&row(north), &conds).unwrap());
        assert!(!meets(&row(&north.replace("\"New\"", "\"Closed\"")), &conds).unwrap());
        // A key with an escape in it: the whole row is decoded instead.
        let escaped = north.replace("\"details\"", "\"de\\u0074ails\"");
        assert!(meets(&row(&escaped), &conds).unwrap());
        assert!(meets(&row(north), &[]).unwrap());
    }
}
