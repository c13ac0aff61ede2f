//! `halo export RESOURCE [filters]`: every row, streamed to a file in constant memory, written
//! through `FILE.partial` and renamed on success, resumable by page.

mod target;

use crate::commands::resource::{Globals, concurrency_arg, filter_args, filter_common, filters};
use crate::exit::Failure;
use crate::output::{CsvColumns, Format, OutputOptions, RowWriter};
use anyhow::{Context, Result};
use clap::{Arg, ArgAction, ArgMatches, Command};
use futures::TryStreamExt;
use halopsa::paging::Row;
use halopsa::paging::WalkNotes;
use halopsa::raw::RawRow;
use halopsa::resource::{Ops, RESOURCES, Resource};
use halopsa::{ListOptions, ResourceClient, ResumePoint};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use target::{Partial, Target};

/// `halo export <resource>`: one subcommand per listable resource, or only `only` when it
/// names one.
pub fn command(only: Option<&str>) -> Command {
    // A name that is no resource gets every subcommand, so clap's error suggests the right one.
    let only = only.filter(|n| RESOURCES.iter().any(|r| r.name == *n));
    let mut cmd = Command::new("export")
        .about("Export every row of a resource to a file (or standard output)")
        .subcommand_required(true)
        .arg_required_else_help(true);
    for res in RESOURCES
        .iter()
        .filter(|r| r.ops.contains(Ops::LIST))
        .filter(|r| only.is_none_or(|n| r.name == n))
    {
        let sub = Command::new(res.name)
            .about(format!("Export {}", res.name))
            .args(filter_args(res.path))
            .arg(Arg::new("format").long("format").value_name("FORMAT").value_parser(["ndjson", "csv", "json"]).default_value("ndjson").help("File format"))
            .arg(Arg::new("out").long("out").value_name("FILE").help("Write to FILE (through FILE.partial, renamed when complete); default standard output"))
            .arg(Arg::new("resume").long("resume").action(ArgAction::SetTrue).requires("out").help("Continue an interrupted export of --out FILE"))
            .arg(Arg::new("force").long("force").action(ArgAction::SetTrue).help("Replace an existing FILE or an interrupted export of it"))
            .arg(Arg::new("reconcile").long("reconcile").action(ArgAction::SetTrue).requires("out").help("When rows moved during the export, walk again and add the ones missed"))
            .arg(Arg::new("page-size").long("page-size").value_name("N").value_parser(clap::value_parser!(u32).range(1..=100)).default_value("100").help("Rows per page"))
            .arg(concurrency_arg());
        cmd = cmd.subcommand(filter_common(sub));
    }
    crate::commands::resource::with_pacing(cmd)
}

/// What `FILE.partial.json` records after every page, so `--resume` can continue.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct Checkpoint {
    resource: String,
    query: Vec<(String, String)>,
    format: String,
    page_size: u32,
    next_page: u32,
    bytes: u64,
    rows: u64,
    /// `record_count` as the first page gave it (what a resumed walk is checked against).
    #[serde(default)]
    record_count: Option<u64>,
}

fn sidecar(out: &Path, suffix: &str) -> PathBuf {
    let mut name = out
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(suffix);
    out.with_file_name(name)
}

/// Runs `halo export`.
pub async fn run(m: &ArgMatches, globals: Globals) -> Result<()> {
    let Some((name, m)) = m.subcommand() else {
        return Err(Failure::usage(
            "halo export: name a resource (halo resources lists them)",
        ));
    };
    let res = crate::commands::resource::find(name)
        .ok_or_else(|| Failure::usage(format!("no resource named '{name}'")))?;
    let query = filters(res, res.path, m, false)?;
    let format = m
        .get_one::<String>("format")
        .cloned()
        .unwrap_or_else(|| "ndjson".into());
    let options = ListOptions {
        page_size: m.get_one::<u32>("page-size").copied().unwrap_or(100),
        concurrency: m.get_one::<usize>("concurrency").copied().unwrap_or(4),
        ..ListOptions::default()
    };
    let force = m.get_flag("force");
    // The target is checked before anything is fetched.
    let target = match m.get_one::<String>("out") {
        Some(out) => Some(target::inspect(out, force)?),
        None => None,
    };
    if let Some(Target::Stream(path)) = &target
        && (m.get_flag("resume") || m.get_flag("reconcile"))
    {
        return Err(Failure::usage(format!(
            "{} is not a regular file: --resume and --reconcile need one",
            path.display()
        )));
    }
    let session = crate::session::open(globals.profile.as_deref(), &globals.pacing)?;
    let api = session.client.resource(res);
    let job = Job {
        client: &session.client,
        api: &api,
        query,
        format,
        options,
        timeout: globals.pacing.timeout(true),
        started: Instant::now(),
    };
    match target {
        None => {
            let stdout = BufWriter::with_capacity(WRITE_BUFFER, std::io::stdout());
            job.to_stream(Box::new(stdout), "standard output").await
        }
        Some(Target::Stream(path)) => {
            // Written through, never replaced: a pipe's reader or a device gets the rows.
            let file = OpenOptions::new()
                .write(true)
                .open(&path)
                .with_context(|| format!("cannot open {}", path.display()))?;
            let out = BufWriter::with_capacity(WRITE_BUFFER, file);
            job.to_stream(Box::new(out), &path.display().to_string())
                .await
        }
        Some(Target::File(out)) => {
            job.to_file(&out, force, m.get_flag("resume"), m.get_flag("reconcile"))
                .await
        }
    }
}

/// One export: what to walk and how.
struct Job<'a> {
    client: &'a halopsa::Client,
    api: &'a ResourceClient,
    query: Vec<(String, String)>,
    format: String,
    options: ListOptions,
    timeout: Option<Duration>,
    started: Instant,
}

impl Job<'_> {
    /// Every row into `out` (standard output, a pipe, a device), in the chosen format.
    async fn to_stream(&self, out: Box<dyn Write + Send + '_>, to: &str) -> Result<()> {
        let sink = Sink::new(out, &self.format, 0);
        let walking = walk(self.api, self.query.clone(), self.options, None, sink, None);
        let (rows, pages, notes) = match interruptible(walking, self.timeout).await {
            Ok(r) => r?,
            Err(Stop::Interrupted) => return Err(interrupted_to(to)),
            Err(Stop::TimedOut(limit)) => return Err(crate::session::timed_out(limit, "")),
        };
        summary(
            self.client,
            self.api.resource(),
            rows,
            pages,
            &notes,
            to,
            self.started,
        )?;
        match notes.incomplete {
            Some(gap) => Err(incomplete(self.api.resource(), gap, to, None)),
            None => Ok(()),
        }
    }

    /// Every row into the file `out`, through `FILE.partial` (owned and locked for the whole
    /// run), resumable, then moved into place.
    async fn to_file(
        &self,
        out: &Path,
        force: bool,
        resume: bool,
        reconciling: bool,
    ) -> Result<()> {
        let (res, format) = (self.api.resource(), self.format.as_str());
        let partial_path = sidecar(out, ".partial");
        let state = sidecar(out, ".partial.json");
        let (partial, resume) = if resume {
            let partial = Partial::reopen(&partial_path, out)?;
            let point = resume_point(res, &self.query, format, &partial_path, &state)?;
            (partial, Some(point))
        } else {
            (Partial::create(&partial_path, out, force)?, None)
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
                format: self.format.clone(),
                page_size: self.options.page_size,
                next_page: 1,
                bytes: 0,
                rows: 0,
                record_count: None,
            },
        };
        // Rows go to the partial file as NDJSON whatever the format, so any export can be
        // resumed; CSV and JSON are written from it once every row is in.
        let sink = Sink::new(
            Box::new(BufWriter::with_capacity(WRITE_BUFFER, file.try_clone()?)),
            "ndjson",
            checkpoint.bytes,
        );
        let behind = WriteBehind::start(file.try_clone()?, checkpoint.bytes);
        let mut keeper = Keeper {
            state: state.clone(),
            file: file.try_clone()?,
            checkpoint,
            saved: None,
            behind,
        };
        // A checkpoint from the start, so even an export killed at once can be resumed.
        keeper.save()?;
        let earlier = resume.as_ref().map(|(_, cp)| cp.rows);
        let walked = {
            let walking = walk(
                self.api,
                self.query.clone(),
                self.options,
                resume.map(|(p, _)| p),
                sink,
                Some(&mut keeper),
            );
            interruptible(walking, self.timeout).await
        };
        let (mut rows, mut pages, notes) = match walked {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                // No half-written file is left behind (the output file was never created).
                let _ = std::fs::remove_file(&partial.path);
                let _ = std::fs::remove_file(&state);
                return Err(e);
            }
            Err(stop) => {
                // The walk was dropped between pages: its writer flushed every whole page.
                keeper.save()?;
                return Err(stopped(stop, &partial.path));
            }
        };
        keeper.behind.finish()?;
        if let Some(gap) = notes.incomplete {
            // What came is kept, with its checkpoint: nothing is thrown away.
            keeper.save()?;
            summary(
                self.client,
                res,
                rows,
                pages,
                &notes,
                &partial.path.display().to_string(),
                self.started,
            )?;
            return Err(incomplete(
                res,
                gap,
                &out.display().to_string(),
                Some(&partial.path),
            ));
        }
        if reconciling || format != "ndjson" {
            // The walk is over: stopped from here on, a resume starts at its end.
            keeper.save()?;
        }
        // Ctrl-C is this process's to handle from the walk on: it must still stop what follows.
        if reconciling {
            let (more, more_pages) = match interruptible(
                reconcile(self.api, &self.query, &partial.path),
                self.timeout,
            )
            .await
            {
                Ok(r) => r?,
                // The checkpoint ends before the rows the reconcile added: a resume drops them.
                Err(stop) => return Err(stopped(stop, &partial.path)),
            };
            rows += more;
            pages += more_pages;
        }
        let finished = if format == "ndjson" {
            file.sync_all()?;
            partial.path.clone()
        } else {
            drop(file);
            let converting = sidecar(out, ".converting");
            if let Err(e) =
                convert_interruptibly(&partial.path, format, &converting, self.timeout).await
            {
                // The rows stay in the partial file: --resume writes the file again.
                let _ = std::fs::remove_file(&converting);
                return Err(e);
            }
            converting
        };
        target::publish(&finished, out, force)?;
        let _ = std::fs::remove_file(&partial.path);
        let _ = std::fs::remove_file(&state);
        let to = match earlier {
            Some(n) => format!(
                "{} ({} in all, with the interrupted run's)",
                out.display(),
                n + rows
            ),
            None => out.display().to_string(),
        };
        summary(self.client, res, rows, pages, &notes, &to, self.started)
    }
}

/// Why a step stopped before its end.
enum Stop {
    /// Ctrl-C.
    Interrupted,
    /// `--timeout` ran out.
    TimedOut(Duration),
}

/// Runs `work` until it ends, Ctrl-C is pressed, or `timeout` (from now) runs out.
async fn interruptible<T>(
    work: impl std::future::Future<Output = T>,
    timeout: Option<Duration>,
) -> Result<T, Stop> {
    let deadline = async {
        match timeout {
            Some(limit) => {
                tokio::time::sleep(limit).await;
                limit
            }
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        done = work => Ok(done),
        _ = tokio::signal::ctrl_c() => Err(Stop::Interrupted),
        limit = deadline => Err(Stop::TimedOut(limit)),
    }
}

/// The error of an export stopped with its rows kept in `partial`.
fn stopped(stop: Stop, partial: &Path) -> anyhow::Error {
    match stop {
        Stop::Interrupted => interrupted(partial),
        Stop::TimedOut(limit) => crate::session::timed_out(
            limit,
            &format!(
                ": the rows so far are in {}; run the same command with --resume to continue",
                partial.display()
            ),
        ),
    }
}

/// An export whose rows fell short of `record_count` (exit 1), naming where they are.
fn incomplete(
    res: &Resource,
    (promised, got): (u64, u64),
    to: &str,
    kept: Option<&Path>,
) -> anyhow::Error {
    let kept = match kept {
        Some(p) => format!(
            "; the {got} rows are kept in {} (nothing was written to {to}): run it again with --force once the server answers in full",
            p.display()
        ),
        None => String::new(),
    };
    anyhow::anyhow!(
        "the export is incomplete: Halo's record_count promised {promised} {} but the walk produced {got}, more than rows added or removed meanwhile explain{kept}",
        res.name
    )
}

/// How often, at most, the checkpoint is written to disk while an export runs.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// The export's write buffer (rows are written in large blocks, not a row at a time).
const WRITE_BUFFER: usize = 256 * 1024;

/// Keeps the checkpoint: in memory after every page, on disk at most every
/// [`CHECKPOINT_EVERY`], when interrupted, and always after the rows it counts are on disk,
/// so it never claims more than the file holds.
struct Keeper {
    state: PathBuf,
    file: File,
    checkpoint: Checkpoint,
    saved: Option<Instant>,
    behind: WriteBehind,
}

impl Keeper {
    fn page_done(&mut self, page: &PageDone, sink: &mut Sink) -> Result<()> {
        if self.checkpoint.record_count.is_none() {
            self.checkpoint.record_count = page.record_count;
        }
        self.checkpoint.next_page = page.page_no + 1;
        self.checkpoint.page_size = page.page_size;
        self.checkpoint.rows += page.rows;
        self.checkpoint.bytes = sink.bytes();
        self.behind.written(self.checkpoint.bytes);
        if self.saved.is_some_and(|at| at.elapsed() < CHECKPOINT_EVERY) {
            return Ok(());
        }
        sink.flush()?;
        self.save()
    }

    /// Writes the checkpoint, after the rows it counts (flushed by the caller).
    fn save(&mut self) -> Result<()> {
        self.file.sync_data()?;
        crate::fsutil::write_atomic(&self.state, &serde_json::to_vec(&self.checkpoint)?)?;
        self.saved = Some(Instant::now());
        Ok(())
    }
}

/// How many bytes are written between two syncs behind the writer.
const WRITE_BEHIND: u64 = 4 << 20;

/// Syncs the file on a thread of its own each time [`WRITE_BEHIND`] more bytes were written,
/// so the disk writes while the walk goes on, and the sync before the final rename has only
/// the tail left.
struct WriteBehind {
    kick: Option<std::sync::mpsc::SyncSender<()>>,
    syncer: Option<std::thread::JoinHandle<std::io::Result<()>>>,
    next: u64,
}

impl WriteBehind {
    fn start(file: File, written: u64) -> WriteBehind {
        let (kick, kicked) = std::sync::mpsc::sync_channel::<()>(1);
        let syncer = std::thread::spawn(move || {
            while kicked.recv().is_ok() {
                file.sync_data()?;
            }
            Ok(())
        });
        WriteBehind {
            kick: Some(kick),
            syncer: Some(syncer),
            next: written + WRITE_BEHIND,
        }
    }

    /// The file holds `bytes` (some may still sit in the writer's buffer: the next sync
    /// takes them).
    fn written(&mut self, bytes: u64) {
        if bytes >= self.next {
            self.next = bytes + WRITE_BEHIND;
            // A sync already waiting covers these bytes too.
            if let Some(kick) = &self.kick {
                let _ = kick.try_send(());
            }
        }
    }

    /// Waits for the syncs behind the writer; an error of theirs is the export's.
    fn finish(&mut self) -> Result<()> {
        self.kick = None;
        if let Some(syncer) = self.syncer.take() {
            syncer
                .join()
                .map_err(|_| anyhow::anyhow!("the thread syncing the file failed"))??;
        }
        Ok(())
    }
}

/// A page the export has written.
struct PageDone {
    page_no: u32,
    page_size: u32,
    rows: u64,
    record_count: Option<u64>,
}

/// Where an interrupted export stands: its checkpoint, the keys of the rows it wrote (read
/// back from the file, cut at the last complete page).
fn resume_point(
    res: &Resource,
    query: &[(String, String)],
    format: &str,
    partial: &Path,
    state: &Path,
) -> Result<(ResumePoint, Checkpoint)> {
    let text = std::fs::read(state).map_err(|_| {
        Failure::usage(format!("nothing to resume: {} is missing", state.display()))
    })?;
    let cp: Checkpoint = serde_json::from_slice(&text).map_err(|e| {
        Failure::usage(format!(
            "{} is damaged ({e}); start over with --force",
            state.display()
        ))
    })?;
    if cp.resource != res.path || cp.query != query || cp.format != format {
        return Err(Failure::usage(
            "the interrupted export was of another resource, filters or format: give the same command, or --force to start over",
        ));
    }
    if !partial.exists() {
        return Err(Failure::usage(format!(
            "nothing to resume: {} is missing",
            partial.display()
        )));
    }
    let (keys, read) = written_keys(res, partial, cp.bytes)?;
    if read < cp.bytes {
        return Err(Failure::usage(format!(
            "{} holds less than its checkpoint says (was the machine stopped?); start over with --force",
            partial.display()
        )));
    }
    eprintln!(
        "resuming at page {} ({} rows already written)",
        cp.next_page, cp.rows
    );
    let point = ResumePoint {
        next_page: cp.next_page,
        page_size: cp.page_size,
        rows: cp.rows,
        record_count: cp.record_count,
        keys,
    };
    Ok((point, cp))
}

/// The keys of the rows in the whole lines of the first `up_to` bytes of the export's NDJSON
/// `partial` (what a resume or a reconcile must not write again), and the bytes they took.
fn written_keys(res: &Resource, partial: &Path, up_to: u64) -> Result<(Vec<String>, u64)> {
    let file = File::open(partial).with_context(|| format!("cannot read {}", partial.display()))?;
    let (mut keys, mut read) = (Vec::new(), 0u64);
    for line in BufReader::with_capacity(WRITE_BUFFER, file).lines() {
        let line = line?;
        if read + line.len() as u64 + 1 > up_to {
            break;
        }
        read += line.len() as u64 + 1;
        let row = RawRow::parse(line)
            .with_context(|| format!("{} holds a line that is not JSON", partial.display()))?;
        keys.extend(row.key(res.id));
    }
    Ok((keys, read))
}

/// Streams the walk into `sink`; returns the rows, the pages and what the walk noticed.
async fn walk(
    api: &ResourceClient,
    query: Vec<(String, String)>,
    options: ListOptions,
    resume: Option<ResumePoint>,
    mut sink: Sink<'_>,
    mut keeper: Option<&mut Keeper>,
) -> Result<(u64, u32, WalkNotes)> {
    // Rows stay as the server's bytes: only their ids are read (for de-duplication).
    let (pages, report) = api.list_pages::<RawRow>(query, options, resume);
    futures::pin_mut!(pages);
    let bar = progress();
    let (mut rows, mut count) = (0u64, 0u32);
    while let Some(page) = pages.try_next().await? {
        if let Some(total) = page.record_count {
            bar.set_length(total);
        }
        for row in &page.rows {
            sink.row(row)?;
        }
        let n = page.rows.len() as u64;
        rows += n;
        count += 1;
        bar.inc(n);
        if let Some(k) = keeper.as_deref_mut() {
            let done = PageDone {
                page_no: page.page_no,
                page_size: page.page_size,
                rows: n,
                record_count: page.record_count,
            };
            k.page_done(&done, &mut sink)?;
        }
    }
    bar.finish_and_clear();
    sink.finish()?;
    let notes = report.notes();
    if let Some((from, to)) = notes.count_changed {
        eprintln!(
            "drift: {} changed from {from} to {to} rows during the export (rows added or removed meanwhile; --reconcile adds rows that moved past the walk)",
            api.resource().name
        );
    }
    Ok((rows, count, notes))
}

/// Every row of `api` as NDJSON into `out` (the demo's export); returns (rows, pages).
pub async fn ndjson(api: &ResourceClient, out: Box<dyn Write + Send + '_>) -> Result<(u64, u32)> {
    let sink = Sink::new(out, "ndjson", 0);
    let (rows, pages, _) = walk(api, Vec::new(), ListOptions::default(), None, sink, None).await?;
    Ok((rows, pages))
}

/// A second walk after a drifting one: adds rows the first did not write.
async fn reconcile(
    api: &ResourceClient,
    query: &[(String, String)],
    partial: &Path,
) -> Result<(u64, u32)> {
    let id = api.resource().id;
    let seen: HashSet<String> = written_keys(api.resource(), partial, u64::MAX)?
        .0
        .into_iter()
        .collect();
    let file = OpenOptions::new().append(true).open(partial)?;
    let mut sink = Sink::new(
        Box::new(BufWriter::with_capacity(WRITE_BUFFER, file)),
        "ndjson",
        0,
    );
    let (pages, report) = api.list_pages::<RawRow>(query.to_vec(), ListOptions::default(), None);
    futures::pin_mut!(pages);
    let mut added = 0;
    while let Some(page) = pages.try_next().await? {
        for row in &page.rows {
            if row.key(id).is_some_and(|k| !seen.contains(&k)) {
                sink.row(row)?;
                added += 1;
            }
        }
    }
    sink.finish()?;
    eprintln!("reconcile: {added} rows added");
    Ok((added, report.notes().pages))
}

/// Why an export stopped at Ctrl-C, and how to go on (exit 130).
fn interrupted(partial: &Path) -> anyhow::Error {
    anyhow::Error::new(Failure {
        code: crate::exit::INTERRUPTED,
        message: format!(
            "interrupted: the rows so far are in {}; run the same command with --resume to continue",
            partial.display()
        ),
    })
}

/// Why an export to a stream stopped at Ctrl-C (exit 130).
fn interrupted_to(to: &str) -> anyhow::Error {
    anyhow::Error::new(Failure {
        code: crate::exit::INTERRUPTED,
        message: format!("interrupted: the export to {to} stopped part-way"),
    })
}

/// [`convert`] on a thread of its own, stopped by Ctrl-C or the time bound.
async fn convert_interruptibly(
    partial: &Path,
    format: &str,
    to: &Path,
    timeout: Option<Duration>,
) -> Result<()> {
    let stop = Arc::new(AtomicBool::new(false));
    let job = {
        let (partial, format, to, stop) = (
            partial.to_path_buf(),
            format.to_string(),
            to.to_path_buf(),
            stop.clone(),
        );
        tokio::task::spawn_blocking(move || convert(&partial, &format, &to, &stop))
    };
    tokio::pin!(job);
    let done = match interruptible(&mut job, timeout).await {
        Ok(r) => r,
        Err(why) => {
            stop.store(true, Ordering::Relaxed);
            let _ = job.await;
            return Err(stopped(why, partial));
        }
    };
    done.map_err(|e| anyhow::anyhow!("writing {} failed: {e}", to.display()))?
}

/// Writes `to` from the export's NDJSON `partial`: a JSON array of its lines, or CSV under
/// the columns of every row (the file read twice: constant memory, and no column is lost to
/// a header fixed by the first row). Gives up when `stop` is set.
fn convert(partial: &Path, format: &str, to: &Path, stop: &AtomicBool) -> Result<()> {
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
    let out = if format == "json" {
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
        let mut csv = RowWriter::csv(out, columns.into_header());
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

/// Rows into the file in the chosen format, counting bytes for checkpoints.
enum Sink<'a> {
    Ndjson(Counted<Box<dyn Write + Send + 'a>>),
    Other(RowWriter<Counted<Box<dyn Write + Send + 'a>>>),
}

impl<'a> Sink<'a> {
    fn new(out: Box<dyn Write + Send + 'a>, format: &str, already: u64) -> Sink<'a> {
        let out = Counted {
            inner: out,
            bytes: already,
        };
        match format {
            "ndjson" => Sink::Ndjson(out),
            other => {
                let format = if other == "csv" {
                    Format::Csv
                } else {
                    Format::Json
                };
                let options = OutputOptions {
                    format: Some(format),
                    columns: None,
                    is_tty: false,
                    width: None,
                    color: false,
                };
                Sink::Other(RowWriter::new(out, &options))
            }
        }
    }

    fn row(&mut self, row: &RawRow) -> Result<()> {
        match self {
            Sink::Ndjson(out) => {
                out.write_all(&row.one_line()?)?;
                out.write_all(b"\n")?;
                Ok(())
            }
            Sink::Other(w) => w.row(&row.to_value()?),
        }
    }

    /// Bytes written so far (ndjson; 0 for the others, which only go to standard output).
    fn bytes(&self) -> u64 {
        match self {
            Sink::Ndjson(out) => out.bytes,
            Sink::Other(_) => 0,
        }
    }

    fn flush(&mut self) -> Result<()> {
        if let Sink::Ndjson(out) = self {
            out.flush()?;
        }
        Ok(())
    }

    fn finish(self) -> Result<()> {
        match self {
            Sink::Ndjson(mut out) => out.flush()?,
            Sink::Other(w) => w.finish()?.flush()?,
        }
        Ok(())
    }
}

/// A writer that counts the bytes through it.
struct Counted<W: Write> {
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

/// A progress bar on stderr when it is a terminal (rows, rows/s, ETA from record_count).
fn progress() -> indicatif::ProgressBar {
    let bar =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} rows  {per_sec}  ETA {eta}")
    {
        bar.set_style(style);
    }
    bar
}

fn summary(
    client: &halopsa::Client,
    res: &Resource,
    rows: u64,
    pages: u32,
    notes: &WalkNotes,
    to: &str,
    started: Instant,
) -> Result<()> {
    let secs = started.elapsed().as_secs_f64();
    let s = client.stats();
    let unkeyed = match notes.unkeyed {
        0 => String::new(),
        n => format!(" ({n} without an id, kept as they came)"),
    };
    eprintln!(
        "exported {rows} {}{unkeyed} to {to} in {secs:.1} s ({:.0} rows/s): {pages} pages, {} requests, {} retries, {} 429s",
        res.name,
        rows as f64 / secs.max(0.001),
        s.requests,
        s.retries,
        s.rate_limited
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn converted(format: &str, lines: &str, stop: bool) -> Result<String> {
        let dir = tempfile::tempdir()?;
        let (partial, to) = (dir.path().join("p"), dir.path().join("out"));
        std::fs::write(&partial, lines)?;
        convert(&partial, format, &to, &AtomicBool::new(stop))?;
        Ok(std::fs::read_to_string(&to)?)
    }

    #[test]
    fn the_partial_file_becomes_json_or_csv_with_every_column() {
        let lines = "{\"id\":1,\"a\":\"x\"}\n{\"id\":2,\"b\":{\"c\":3}}\n";
        assert_eq!(
            converted("json", lines, false).unwrap(),
            "[{\"id\":1,\"a\":\"x\"},{\"id\":2,\"b\":{\"c\":3}}]\n"
        );
        assert_eq!(converted("json", "", false).unwrap(), "[]\n");
        assert_eq!(
            converted("csv", lines, false).unwrap(),
            "a,id,b.c\nx,1,\n,2,3\n"
        );
        assert!(converted("csv", "{\"id\":1}\nnot json\n", false).is_err());
    }

    #[test]
    fn a_conversion_told_to_stop_gives_up() {
        let err = converted("csv", "{\"id\":1}\n", true).unwrap_err();
        assert!(err.to_string().contains("stopped"), "{err}");
    }
}
