//! Where an export writes, decided before any request, and the partial file it owns.
//!
//! `FILE.partial` is created exclusively (`O_EXCL|O_NOFOLLOW`) and locked for the whole run,
//! so a second export of the same file refuses instead of interleaving its rows; a planted
//! link is never written through; the finished file is moved into place without replacing
//! one that appeared meanwhile (unless `--force`); a FIFO or a character device is written
//! straight through, never replaced.

use super::decision::Out;
use crate::exit::Failure;
use crate::fsutil;
use anyhow::{Context, Result};
use std::fs::File;
use std::path::{Path, PathBuf};

/// What `--out` names, looked at before anything is fetched ([`super::decision::decide`]
/// decides what to do with it).
pub fn examine(out: Option<&str>) -> Out {
    let Some(out) = out else {
        return Out::Stdout;
    };
    if out.trim().is_empty() {
        return Out::Empty;
    }
    let path = PathBuf::from(out);
    if out.ends_with(std::path::MAIN_SEPARATOR) || out.ends_with('/') {
        return Out::Directory(path);
    }
    match std::fs::metadata(&path) {
        Ok(meta) if meta.is_dir() => Out::Directory(path),
        Ok(meta) if meta.is_file() => Out::File(path),
        Ok(meta) => special(path, &meta),
        Err(_) => {
            let parent = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            if parent.is_dir() {
                Out::Missing(path)
            } else {
                Out::NoDirectory(path)
            }
        }
    }
}

#[cfg(unix)]
fn special(path: PathBuf, meta: &std::fs::Metadata) -> Out {
    use std::os::unix::fs::FileTypeExt;
    let kind = meta.file_type();
    if kind.is_fifo() || kind.is_char_device() {
        return Out::Stream(path);
    }
    let what = if kind.is_socket() {
        "a socket"
    } else if kind.is_block_device() {
        "a block device"
    } else {
        "a special file"
    };
    Out::Special(path, what)
}

#[cfg(not(unix))]
fn special(path: PathBuf, _: &std::fs::Metadata) -> Out {
    // Windows has no FIFOs or device nodes in the file system (`NUL` and pipes are not
    // files with metadata here).
    Out::Special(path, "not a regular file")
}

/// Whether a partial file (or a link in its place) is at `path`.
pub fn partial_exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// `FILE.partial`, open and locked by this process for as long as it lives.
pub struct Partial {
    /// The open file (its lock is released when it closes).
    pub file: File,
    /// Its path.
    pub path: PathBuf,
}

impl Partial {
    /// Creates `path` for a new export. An existing one is refused (another export is
    /// running, or one was interrupted), unless `take_over` (and no one holds it): then it
    /// is emptied, or, if it is a link, the link alone is removed.
    pub fn create(path: &Path, out: &Path, take_over: bool) -> Result<Partial> {
        for _ in 0..3 {
            match fsutil::create_new(path, false) {
                Ok(file) => return Partial::own(path, out, file),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot create {}", path.display()));
                }
            }
            if !take_over {
                return Err(match Partial::held(path) {
                    true => running(out),
                    false => Failure::usage(format!(
                        "an interrupted export of {} exists: --resume to continue it, or --force to start over",
                        out.display()
                    )),
                });
            }
            match fsutil::open_existing(path) {
                Ok(file) => {
                    let partial = Partial::own(path, out, file)?;
                    partial.file.set_len(0)?;
                    return Ok(partial);
                }
                Err(e) if fsutil::is_link_error(&e) => {
                    // Someone's link: removed, never followed.
                    fsutil::remove_if_present(path)?;
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e).with_context(|| format!("cannot open {}", path.display())),
            }
        }
        Err(Failure::usage(format!(
            "{} keeps changing: is another export of {} starting?",
            path.display(),
            out.display()
        )))
    }

    /// Opens an interrupted export's `path` to continue it.
    pub fn reopen(path: &Path, out: &Path) -> Result<Partial> {
        match fsutil::open_existing(path) {
            Ok(file) => Partial::own(path, out, file),
            Err(e) if fsutil::is_link_error(&e) => Err(Failure::usage(format!(
                "{} is a symbolic link: refused (remove it, or --force to start over)",
                path.display()
            ))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Failure::usage(format!(
                "nothing to resume: {} is missing (an export of {} starts without --resume)",
                path.display(),
                out.display()
            ))),
            Err(e) => Err(e).with_context(|| format!("cannot open {}", path.display())),
        }
    }

    /// Takes the lock of `file`, opened at `path`, and checks the path still names it.
    fn own(path: &Path, out: &Path, file: File) -> Result<Partial> {
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Err(running(out)),
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", path.display()));
            }
        }
        // Between the open and the lock, another export may have finished with this file
        // and renamed it: then the lock is on its finished output, which is not ours.
        if !same_file(path, &file)? {
            return Err(Failure::usage(format!(
                "{} changed while it was opened: is another export of {} running?",
                path.display(),
                out.display()
            )));
        }
        Ok(Partial {
            file,
            path: path.to_path_buf(),
        })
    }

    /// Whether another process holds the lock of `path`.
    fn held(path: &Path) -> bool {
        match fsutil::open_existing(path) {
            Ok(f) => matches!(f.try_lock_shared(), Err(std::fs::TryLockError::WouldBlock)),
            Err(_) => false,
        }
    }
}

fn running(out: &Path) -> anyhow::Error {
    Failure::usage(format!(
        "another export of {} is running (its .partial file is locked): wait for it, or choose another --out",
        out.display()
    ))
}

#[cfg(unix)]
fn same_file(path: &Path, file: &File) -> Result<bool> {
    use std::os::unix::fs::MetadataExt;
    let (open, named) = (file.metadata()?, std::fs::symlink_metadata(path));
    Ok(named.is_ok_and(|n| n.dev() == open.dev() && n.ino() == open.ino()))
}

#[cfg(not(unix))]
fn same_file(path: &Path, _: &File) -> Result<bool> {
    // Windows: a file open in another process cannot be renamed over without
    // FILE_SHARE_DELETE, and the file index would need GetFileInformationByHandle; the path
    // still naming a regular file is what can be checked portably.
    Ok(std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file()))
}

/// Moves the finished `from` to `to`. Without `force`, a `to` that appeared while the export
/// ran is not replaced (a hard link fails if the name exists; where links are unsupported,
/// the name is checked just before the rename).
pub fn publish(from: &Path, to: &Path, force: bool) -> Result<()> {
    let appeared = || {
        Failure::usage(format!(
            "{} appeared while the export ran: nothing was replaced; the rows are in {} (--force replaces it)",
            to.display(),
            from.display()
        ))
    };
    if !force {
        match std::fs::hard_link(from, to) {
            Ok(()) => {
                std::fs::remove_file(from)
                    .with_context(|| format!("cannot remove {}", from.display()))?;
                return Ok(());
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Err(appeared()),
            Err(_) if to.exists() => return Err(appeared()),
            Err(_) => {}
        }
    }
    std::fs::rename(from, to)
        .with_context(|| format!("cannot rename {} to {}", from.display(), to.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(dir: &Path, name: &str) -> String {
        dir.join(name).to_string_lossy().into_owned()
    }

    #[test]
    fn what_is_at_out_is_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        assert_eq!(examine(None), Out::Stdout);
        assert_eq!(examine(Some(" ")), Out::Empty);
        assert!(matches!(examine(Some(&text(d, ""))), Out::Directory(_)));
        assert!(matches!(
            examine(Some(&text(d, "no/such/f"))),
            Out::NoDirectory(_)
        ));
        let file = d.join("f.ndjson");
        assert_eq!(
            examine(Some(&text(d, "f.ndjson"))),
            Out::Missing(file.clone())
        );
        std::fs::write(&file, "mine").unwrap();
        assert_eq!(examine(Some(&text(d, "f.ndjson"))), Out::File(file));
        #[cfg(unix)]
        assert_eq!(examine(Some("/dev/null")), Out::Stream("/dev/null".into()));
    }

    #[test]
    fn a_partial_file_has_one_owner() {
        let dir = tempfile::tempdir().unwrap();
        let (path, out) = (dir.path().join("t.partial"), dir.path().join("t"));
        let first = Partial::create(&path, &out, false).unwrap();
        // Another export of the same file, with or without --force or --resume: refused.
        for attempt in [
            Partial::create(&path, &out, false),
            Partial::create(&path, &out, true),
            Partial::reopen(&path, &out),
        ] {
            let err = attempt.err().unwrap().to_string();
            assert!(err.contains("is running"), "{err}");
        }
        drop(first);
        // Once it is gone, an interrupted export is named as such, and --force takes it.
        let err = Partial::create(&path, &out, false).err().unwrap();
        assert!(err.to_string().contains("--resume"), "{err}");
        assert!(Partial::reopen(&path, &out).is_ok());
        assert!(Partial::create(&path, &out, true).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn a_planted_link_is_removed_or_refused_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "theirs").unwrap();
        let (path, out) = (dir.path().join("t.partial"), dir.path().join("t"));
        std::os::unix::fs::symlink(&victim, &path).unwrap();
        assert!(Partial::create(&path, &out, false).is_err());
        assert!(Partial::reopen(&path, &out).is_err());
        let p = Partial::create(&path, &out, true).unwrap();
        assert!(!std::fs::symlink_metadata(&p.path).unwrap().is_symlink());
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "theirs");
    }

    #[test]
    fn publishing_never_replaces_a_file_that_appeared_unless_forced() {
        let dir = tempfile::tempdir().unwrap();
        let (from, to) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::write(&from, "new").unwrap();
        std::fs::write(&to, "theirs").unwrap();
        let err = publish(&from, &to, false).unwrap_err();
        assert!(err.to_string().contains("appeared"), "{err}");
        assert_eq!(std::fs::read_to_string(&to).unwrap(), "theirs");
        publish(&from, &to, true).unwrap();
        assert_eq!(std::fs::read_to_string(&to).unwrap(), "new");
        assert!(!from.exists());
        std::fs::write(&from, "again").unwrap();
        std::fs::remove_file(&to).unwrap();
        publish(&from, &to, false).unwrap();
        assert_eq!(std::fs::read_to_string(&to).unwrap(), "again");
        assert!(!from.exists());
    }
}
