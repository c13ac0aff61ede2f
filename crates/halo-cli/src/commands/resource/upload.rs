//! `halo attachments upload --ticket ID [--action ID] [--note TEXT] FILE... [--max-mb N]`:
//! every file checked first (missing, a directory, over the limit: refused before anything
//! is sent), then each sent as a streamed body, its base64 made as it goes.

use super::args::UploadArgs;
use super::download::progress;
use crate::commands::Globals;
use crate::commands::export::interrupt::interruptible;
use crate::context::Context;
use crate::exit::Failure;
use crate::output::RowWriter;
use anyhow::Result;
use halopsa::Upload;
use halopsa::attachments::ReaderMaker;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Runs `upload`.
pub async fn run(
    ctx: &mut Context,
    globals: &Globals,
    client: &halopsa::Client,
    args: &UploadArgs,
) -> Result<()> {
    let limit = args.max_mb.saturating_mul(1 << 20);
    let mut files = Vec::with_capacity(args.files.len());
    for path in &args.files {
        files.push((path, checked(path, limit, args.max_mb)?));
    }
    let api = client.attachments();
    let mut rows = Vec::with_capacity(files.len());
    for (path, length) in files {
        let bar = progress(ctx, Some(length));
        let upload = Upload {
            ticket_id: args.ticket,
            action_id: args.action,
            filename: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            note: args.note.clone(),
            length,
            open: opener(path.clone(), bar.clone()),
        };
        let saved = match interruptible(api.upload(&upload), None).await {
            Ok(done) => done?,
            Err(stop) => return Err(stop.error(&format!(" while sending {}", path.display()))),
        };
        bar.finish_and_clear();
        for a in saved {
            let row: Value = json!({
                "id": a.id,
                "ticket_id": a.ticket_id,
                "action_id": a.action_id,
                "filename": a.filename,
                "filesize": a.filesize,
            });
            rows.push(row);
        }
    }
    let mut writer = RowWriter::new(ctx.io.out(), &globals.output);
    for row in &rows {
        writer.row(row)?;
    }
    writer.finish()?.flush()?;
    Ok(())
}

/// The length of `path`, a regular file within `limit` bytes; else a usage error.
fn checked(path: &Path, limit: u64, max_mb: u64) -> Result<u64> {
    let meta = std::fs::metadata(path)
        .map_err(|e| Failure::usage(format!("{}: {e} (nothing was sent)", path.display())))?;
    if meta.is_dir() {
        return Err(Failure::usage(format!(
            "{} is a directory: give files (nothing was sent)",
            path.display()
        )));
    }
    if meta.len() > limit {
        return Err(Failure::usage(format!(
            "{} is {:.1} MiB, over the {max_mb} MiB limit (--max-mb N raises it; nothing was sent)",
            path.display(),
            meta.len() as f64 / f64::from(1 << 20)
        )));
    }
    Ok(meta.len())
}

/// Opens `path` for each attempt, counting what is read on `bar`.
fn opener(path: PathBuf, bar: indicatif::ProgressBar) -> ReaderMaker {
    Arc::new(move || {
        let file = tokio::fs::File::from_std(std::fs::File::open(&path)?);
        bar.set_position(0);
        Ok(Box::new(bar.wrap_async_read(file)) as Box<dyn tokio::io::AsyncRead + Send + Unpin>)
    })
}
