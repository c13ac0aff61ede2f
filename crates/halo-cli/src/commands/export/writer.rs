//! The durable writer of an export: the checkpoint kept in step with what is on disk, and
//! the file synced behind the writer.

use super::checkpoint::Checkpoint;
use super::sink::Sink;
use anyhow::Result;
use std::fs::File;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How often, at most, the checkpoint is written to disk while an export runs.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// Keeps the checkpoint: in memory after every page, on disk at most every
/// [`CHECKPOINT_EVERY`], when interrupted, and always after the rows it counts are on disk,
/// so it never claims more than the file holds.
pub struct Keeper {
    state: PathBuf,
    file: File,
    checkpoint: Checkpoint,
    saved: Option<Instant>,
    behind: WriteBehind,
}

impl Keeper {
    /// The keeper of `checkpoint`, saved to `state`, for the rows written to `file`.
    pub fn new(state: PathBuf, file: &File, checkpoint: Checkpoint) -> Result<Keeper> {
        let behind = WriteBehind::start(file.try_clone()?, checkpoint.bytes);
        Ok(Keeper {
            state,
            file: file.try_clone()?,
            checkpoint,
            saved: None,
            behind,
        })
    }

    /// Waits for the syncs behind the writer (the walk is over).
    pub fn finish_syncing(&mut self) -> Result<()> {
        self.behind.finish()
    }

    /// Notes a page written (saving the checkpoint when it is due).
    pub fn page_done(&mut self, page: &PageDone, sink: &mut Sink) -> Result<()> {
        if self.checkpoint.record_count.is_none() {
            self.checkpoint.record_count = page.record_count;
        }
        self.checkpoint.next_page = page.page_no + 1;
        self.checkpoint.page_size = page.page_size;
        self.checkpoint.rows += page.rows;
        if let Some(kept) = &mut self.checkpoint.kept {
            *kept += page.kept;
        }
        self.checkpoint.bytes = sink.bytes();
        self.behind.written(self.checkpoint.bytes);
        if self.saved.is_some_and(|at| at.elapsed() < CHECKPOINT_EVERY) {
            return Ok(());
        }
        sink.flush()?;
        self.save()
    }

    /// Writes the checkpoint, after the rows it counts (flushed by the caller).
    pub fn save(&mut self) -> Result<()> {
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
    /// Starts the syncing thread for `file`, which holds `written` bytes.
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
pub struct PageDone {
    pub page_no: u32,
    pub page_size: u32,
    /// Rows walked (what the pager counts).
    pub rows: u64,
    /// Rows written (fewer when `--where` left some out).
    pub kept: u64,
    pub record_count: Option<u64>,
}
