//! The `--out DIR` handler: each event in its own file, `DIR/<number>.json` (the journal's
//! number, never a name from the payload), written through a temporary file and a rename,
//! so a reader never sees half an event; handling one again writes the same file.

use crate::fsutil;
use anyhow::Result;
use halo_webhook::{Event, Handler, HandlerError, HandlerFuture};
use std::path::{Path, PathBuf};

/// Writes events to files in a directory.
pub struct OutDir {
    dir: PathBuf,
}

impl OutDir {
    /// Files in `dir`, made (owner-only: events are customer data) when missing; a directory
    /// others may write to is refused.
    pub fn new(dir: &Path) -> Result<OutDir> {
        fsutil::private_dir(dir)?;
        Ok(OutDir {
            dir: dir.to_path_buf(),
        })
    }

    /// Where the event numbered `seq` goes.
    pub fn file(&self, seq: i64) -> PathBuf {
        self.dir.join(format!("{seq:012}.json"))
    }
}

impl Handler for OutDir {
    fn handle<'a>(&'a self, event: &'a Event) -> HandlerFuture<'a> {
        let path = self.file(event.seq);
        let mut bytes = event.body.clone().into_bytes();
        bytes.push(b'\n');
        Box::pin(async move {
            tokio::task::spawn_blocking(move || fsutil::write_atomic(&path, &bytes))
                .await
                .map_err(|e| HandlerError(e.to_string()))?
                .map_err(|e| HandlerError(format!("{e:#}")))
        })
    }
}
