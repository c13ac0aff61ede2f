//! `halo attachments download ID... [--out FILE|DIR] [--force]`: each file streamed to
//! `<name>.partial` in the target directory, synced, then put in place without replacing a
//! file that exists (unless `--force`), so memory stays flat and a failure — a cut
//! connection, a full disk, Ctrl-C — leaves neither a half file nor the `.partial`.

use super::args::DownloadArgs;
use crate::commands::Globals;
use crate::commands::export::interrupt::interruptible;
use crate::context::Context;
use crate::exit::Failure;
use crate::output::RowWriter;
use anyhow::{Context as _, Result};
use halopsa::Download;
use serde_json::json;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;

/// Transfers at least this large get a progress bar on a terminal.
pub const PROGRESS_OVER: u64 = 1 << 20;

/// Where the files go.
enum Target {
    /// Into this directory, under each attachment's own name.
    Dir(PathBuf),
    /// As this file (one attachment).
    File(PathBuf),
}

/// Runs `download`: one attachment after another.
pub async fn run(
    ctx: &mut Context,
    globals: &Globals,
    client: &halopsa::Client,
    args: &DownloadArgs,
) -> Result<()> {
    let target = target(args)?;
    let api = client.attachments();
    let mut saved = Vec::new();
    // By the lower-case path: on a file system that ignores case, two names that differ
    // only in it are one file.
    let mut names: HashMap<String, u64> = HashMap::new();
    for &id in &args.ids {
        if let Target::File(path) = &target {
            refuse_existing(path, args.force)?;
        }
        let download = api.download(id).await?;
        let dest = match &target {
            Target::File(path) => path.clone(),
            Target::Dir(dir) => dir.join(&download.name),
        };
        let key = dest.to_string_lossy().to_lowercase();
        if let Some(first) = names.insert(key, id) {
            return Err(Failure::usage(format!(
                "attachments {first} and {id} are both named '{}': download them one at a time with --out FILE (nothing of {id} was written)",
                download.name
            )));
        }
        refuse_existing(&dest, args.force)?;
        let bar = progress(ctx, download.length);
        let bytes = match interruptible(save(download, &dest, args.force, &bar), None).await {
            Ok(done) => done?,
            Err(stop) => return Err(stop.error(" (nothing of it was kept)")),
        };
        bar.finish_and_clear();
        saved.push(json!({"id": id, "path": dest.display().to_string(), "bytes": bytes}));
    }
    let mut writer = RowWriter::new(ctx.io.out(), &globals.output);
    for row in &saved {
        writer.row(row)?;
    }
    writer.finish()?.flush()?;
    Ok(())
}

/// The target `--out` names: an existing directory, else a file (one id only, in a
/// directory that exists); the current directory without it.
fn target(args: &DownloadArgs) -> Result<Target> {
    let Some(out) = &args.out else {
        return Ok(Target::Dir(PathBuf::from(".")));
    };
    if out.is_dir() {
        return Ok(Target::Dir(out.clone()));
    }
    if args.ids.len() > 1 {
        return Err(Failure::usage(format!(
            "--out {}: several attachments go into a directory, and there is none of that name",
            out.display()
        )));
    }
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty());
    if parent.is_some_and(|p| !p.is_dir()) {
        return Err(Failure::usage(format!(
            "--out {}: its directory does not exist",
            out.display()
        )));
    }
    Ok(Target::File(out.clone()))
}

/// Refuses to go on when `path` exists and `--force` was not given.
fn refuse_existing(path: &Path, force: bool) -> Result<()> {
    if !force && std::fs::symlink_metadata(path).is_ok() {
        return Err(exists(path));
    }
    Ok(())
}

fn exists(path: &Path) -> anyhow::Error {
    Failure::usage(format!(
        "{} exists: not replaced (give --force to replace it)",
        path.display()
    ))
}

/// A `.partial` file, removed when dropped unless it was put in place: on any error, and
/// when the download is dropped half way (Ctrl-C, the time bound).
struct Partial {
    path: PathBuf,
    kept: bool,
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Streams `download` into `dest`'s `.partial`, syncs it and puts it in place; the bytes
/// written.
async fn save(
    mut download: Download,
    dest: &Path,
    force: bool,
    bar: &indicatif::ProgressBar,
) -> Result<u64> {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| download.name.clone());
    let mut partial = Partial {
        path: dest.with_file_name(format!("{name}.partial")),
        kept: false,
    };
    let file = crate::fsutil::create_new(&partial.path, false).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            // Not ours: leave it be.
            partial.kept = true;
            Failure::usage(format!(
                "{} exists: another download of it may be running (remove it if none is)",
                partial.path.display()
            ))
        } else {
            anyhow::Error::new(e).context(format!("cannot create {}", partial.path.display()))
        }
    })?;
    let mut file = tokio::fs::File::from_std(file);
    let mut written = 0u64;
    let failed_write =
        |e| anyhow::Error::new(e).context(format!("cannot write {}", partial.path.display()));
    let id = download.id;
    let cut = |written: u64| {
        move || {
            format!(
                "attachment {id}: the download stopped after {written} bytes (nothing was kept)"
            )
        }
    };
    while let Some(chunk) = download.body.chunk().await.with_context(cut(written))? {
        file.write_all(&chunk).await.map_err(failed_write)?;
        written += chunk.len() as u64;
        bar.set_position(written);
    }
    if let Some(length) = download.length
        && length != written
    {
        anyhow::bail!(
            "attachment {}: the reply ended after {written} of its {length} bytes (nothing was kept)",
            download.id
        );
    }
    file.flush().await.map_err(failed_write)?;
    file.sync_all().await.map_err(failed_write)?;
    drop(file);
    put_in_place(&partial.path, dest, force)?;
    partial.kept = true;
    Ok(written)
}

/// Moves the finished `.partial` to `dest` without replacing a file unless `force`
/// ([`fsutil::publish`]), and makes the new name durable.
fn put_in_place(partial: &Path, dest: &Path, force: bool) -> Result<()> {
    crate::fsutil::publish(partial, dest, force)?;
    sync_dir(dest);
    Ok(())
}

/// Syncs the directory holding `path`, so the new name survives a crash (Unix; Windows
/// has no directory handle to sync).
fn sync_dir(path: &Path) {
    #[cfg(unix)]
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(handle) = std::fs::File::open(dir) {
            let _ = handle.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// A byte progress bar on standard error when it is a terminal and the transfer is large.
pub fn progress(ctx: &Context, length: Option<u64>) -> indicatif::ProgressBar {
    if !ctx.io.stderr_tty || length.is_none_or(|n| n < PROGRESS_OVER) {
        return indicatif::ProgressBar::hidden();
    }
    let bar =
        indicatif::ProgressBar::with_draw_target(length, indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:30} {bytes}/{total_bytes}  {binary_bytes_per_sec}  ETA {eta}  {msg}",
    ) {
        bar.set_style(style);
    }
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finished_file_never_replaces_one_without_force() {
        let dir = tempfile::tempdir().unwrap();
        let (partial, dest) = (dir.path().join("a.partial"), dir.path().join("a"));
        std::fs::write(&dest, b"first").unwrap();
        std::fs::write(&partial, b"second").unwrap();
        let err = put_in_place(&partial, &dest, false).unwrap_err();
        assert!(err.to_string().contains("--force"), "{err}");
        assert_eq!(std::fs::read(&dest).unwrap(), b"first");
        put_in_place(&partial, &dest, true).unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"second");
        assert!(!partial.exists());
    }
}
