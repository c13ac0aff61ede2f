//! Files halo writes: created under random names with `O_EXCL` and `O_NOFOLLOW`, so a planted
//! file or symbolic link is never written through; secrets owner-only; and the directories
//! and files that hold secrets or state checked as ssh checks its own (owned by the user,
//! writable by no one else, secrets readable by no one else).
//!
//! Windows: files and directories under `%APPDATA%` inherit an ACL that grants only the user
//! (and administrators), the equivalent of 0700/0600, so the mode checks are Unix-only;
//! `CREATE_NEW` refuses an existing name there, symbolic links included.

use crate::exit::Failure;
use anyhow::{Context, Result};
use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

/// Creates `dir` (and parents, owner-only on Unix) if it is missing, then checks it as
/// [`check_dir`] does and makes it owner-only.
pub fn private_dir(dir: &Path) -> Result<()> {
    if !dir.exists() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder
            .create(dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
    }
    check_dir(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot restrict {}", dir.display()))?;
    }
    Ok(())
}

/// Refuses a directory for secrets or state that another user owns or may write to (they
/// could plant files or links there). Missing is fine: it is created owner-only.
pub fn check_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let meta = match std::fs::metadata(dir) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", dir.display())),
        };
        if !meta.is_dir() {
            return Err(Failure::usage(format!(
                "{} is not a directory",
                dir.display()
            )));
        }
        if meta.uid() != current_uid() {
            return Err(Failure::usage(format!(
                "refusing to use {}: it belongs to another user (uid {}); use a directory of your own (HALO_CONFIG_DIR)",
                dir.display(),
                meta.uid()
            )));
        }
        if meta.mode() & 0o022 != 0 {
            return Err(Failure::usage(format!(
                "refusing to use {}: others may write to it (mode {:04o}), so they could plant files in it; run 'chmod 700 {}'",
                dir.display(),
                meta.mode() & 0o7777,
                dir.display()
            )));
        }
    }
    Ok(())
}

/// How much others may do with a file halo reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exposure {
    /// Only its owner, the user, may read or write it.
    Private,
    /// Others may read it.
    Readable,
    /// Others may write it, or another user owns it.
    Writable,
}

/// Who else may read or write `path` (Unix; always [`Exposure::Private`] elsewhere, see the
/// module's note). A missing file is private.
pub fn exposure(path: &Path) -> Result<Exposure> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Exposure::Private),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        Ok(if meta.uid() != current_uid() || meta.mode() & 0o022 != 0 {
            Exposure::Writable
        } else if meta.mode() & 0o044 != 0 {
            Exposure::Readable
        } else {
            Exposure::Private
        })
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(Exposure::Private)
    }
}

/// The mode bits of `path` for messages (`0644`), or `?`.
pub fn mode_text(path: &Path) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(m) = std::fs::metadata(path) {
            return format!("{:04o}", m.permissions().mode() & 0o7777);
        }
    }
    let _ = path;
    "?".to_string()
}

/// Refuses a file of secrets that others may read or write, as ssh refuses a private key
/// that is not private.
pub fn check_secret_file(path: &Path) -> Result<()> {
    match exposure(path)? {
        Exposure::Private => Ok(()),
        Exposure::Readable => Err(Failure::usage(format!(
            "refusing to read {}: others may read it (mode {}), so its secrets may have been seen; run 'chmod 600 {}' and consider rotating them",
            path.display(),
            mode_text(path),
            path.display()
        ))),
        Exposure::Writable => Err(Failure::usage(format!(
            "refusing to read {}: another user owns it or may write to it (mode {}); remove it and connect again",
            path.display(),
            mode_text(path)
        ))),
    }
}

#[cfg(unix)]
fn current_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// Writes `bytes` to `path` through a temporary file and a rename, with mode 0600 on Unix,
/// in a directory checked and made owner-only: for secrets and state.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    private_dir(path.parent().unwrap_or(Path::new(".")))?;
    replace(path, bytes, true)
}

/// Writes `bytes` to `path` through a temporary file and a rename (a crash never leaves a
/// half-written file), touching nothing else in its directory: for files beside the user's
/// own, such as an export's checkpoint.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    replace(path, bytes, false)
}

fn replace(path: &Path, bytes: &[u8], private: bool) -> Result<()> {
    let (tmp, mut file) = create_temp(path, private)?;
    let written = file
        .write_all(bytes)
        .and_then(|_| file.sync_all())
        .with_context(|| format!("cannot write {}", tmp.display()));
    drop(file);
    let renamed = written.and_then(|()| {
        std::fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))
    });
    if renamed.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    renamed
}

/// A new file beside `path` under a name no one can guess (`.NAME.<random>.tmp`), created
/// exclusively (see [`create_new`]).
pub fn create_temp(path: &Path, private: bool) -> Result<(PathBuf, File)> {
    use std::hash::{BuildHasher, RandomState};
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    // RandomState's keys are drawn from the system's random source once per process.
    let random = RandomState::new();
    for attempt in 0u32..16 {
        let tag = random.hash_one((std::process::id(), attempt, std::time::SystemTime::now()));
        let tmp = dir.join(format!(".{name}.{tag:016x}.tmp"));
        match create_new(&tmp, private) {
            Ok(file) => return Ok((tmp, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("cannot create {}", tmp.display())),
        }
    }
    anyhow::bail!("cannot create a temporary file in {}", dir.display())
}

/// Creates `path`, which must not exist (not even as a symbolic link): `O_CREAT|O_EXCL`, and
/// `O_NOFOLLOW` for good measure; mode 0600 when `private` (else 0666 less the umask).
pub fn create_new(path: &Path, private: bool) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
        if private {
            options.mode(0o600);
        }
    }
    #[cfg(not(unix))]
    let _ = private;
    options.open(path)
}

/// Opens an existing `path` for reading and writing without following a symbolic link
/// (`O_NOFOLLOW`: a link is an error, see [`is_link_error`]).
pub fn open_existing(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    options.open(path)
}

/// Opens the state file at `path` (a rate budget, a token lock) for reading and writing,
/// creating it (0600) in the owner-only `dir` if it is missing, never through a symbolic link.
pub fn open_state_file(dir: &Path, path: &Path) -> Result<File> {
    private_dir(dir)?;
    // Another process may create it between our two tries: then open theirs.
    for _ in 0..3 {
        let file = match open_existing(path) {
            Ok(file) => file,
            Err(e) if e.kind() == ErrorKind::NotFound => match create_new(path, true) {
                Ok(file) => return Ok(file),
                Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot create {}", path.display()));
                }
            },
            Err(e) if is_link_error(&e) => {
                anyhow::bail!("{} is a symbolic link", path.display())
            }
            Err(e) => return Err(e).with_context(|| format!("cannot open {}", path.display())),
        };
        own_regular_file(&file, path)?;
        return Ok(file);
    }
    anyhow::bail!("cannot open {}: it keeps changing", path.display())
}

/// Checks that an opened state file is a regular file of the user's (not a FIFO or a device,
/// which could block or feed a reader for ever) and makes it owner-only. Unix; on Windows it
/// inherits the directory's ACL (see the module's note).
pub fn own_regular_file(file: &File, path: &Path) -> Result<()> {
    let meta = file
        .metadata()
        .with_context(|| format!("cannot read {}", path.display()))?;
    if !meta.is_file() {
        anyhow::bail!("{} is not a regular file", path.display());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        if meta.uid() != current_uid() {
            anyhow::bail!(
                "{} belongs to another user (uid {})",
                path.display(),
                meta.uid()
            );
        }
        if meta.mode() & 0o077 != 0 {
            file.set_permissions(std::fs::Permissions::from_mode(0o600))
                .with_context(|| format!("cannot restrict {}", path.display()))?;
        }
    }
    Ok(())
}

/// Whether an open failed because the path is a symbolic link (`ELOOP` under `O_NOFOLLOW`).
pub fn is_link_error(e: &std::io::Error) -> bool {
    #[cfg(unix)]
    {
        e.raw_os_error() == Some(libc::ELOOP)
    }
    #[cfg(not(unix))]
    {
        let _ = e;
        false
    }
}

/// Gives the finished temporary file `tmp` the name `path`: replacing what is there only when
/// `replace`, else refusing an existing file (exit 2, `tmp` removed, `path` untouched). Without
/// `replace` the name is taken by a hard link, which fails if it exists, so a file that appeared
/// meanwhile is not clobbered either; where hard links are unsupported (FAT, some network
/// shares) it falls back to a check and a rename.
pub fn publish(tmp: &Path, path: &Path, replace: bool) -> Result<()> {
    let exists = || {
        Failure::usage(format!(
            "{} exists: not replaced (--force replaces it)",
            path.display()
        ))
    };
    let done = if replace {
        std::fs::rename(tmp, path).with_context(|| format!("cannot write {}", path.display()))
    } else {
        match std::fs::hard_link(tmp, path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(exists()),
            Err(_) if std::fs::symlink_metadata(path).is_ok() => Err(exists()),
            Err(_) => std::fs::rename(tmp, path)
                .with_context(|| format!("cannot write {}", path.display())),
        }
    };
    let _ = std::fs::remove_file(tmp);
    done
}

/// Removes a file; a missing file is not an error.
pub fn remove_if_present(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("cannot remove {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_never_clobbers_without_replace() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        let (tmp, mut f) = create_temp(&path, false).unwrap();
        f.write_all(b"first").unwrap();
        publish(&tmp, &path, false).unwrap();
        assert!(!tmp.exists());
        let (tmp, mut f) = create_temp(&path, false).unwrap();
        f.write_all(b"second").unwrap();
        let err = publish(&tmp, &path, false).unwrap_err();
        assert_eq!(crate::exit::code_for(&err), crate::exit::USAGE);
        assert!(err.to_string().contains("--force"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        assert!(!tmp.exists());
        let (tmp, mut f) = create_temp(&path, false).unwrap();
        f.write_all(b"third").unwrap();
        publish(&tmp, &path, true).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"third");
    }

    #[test]
    fn writes_atomically_with_owner_only_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("f.toml");
        write_private(&path, b"one").unwrap();
        write_private(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            let dir_mode = std::fs::metadata(path.parent().unwrap())
                .unwrap()
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(dir_mode, 0o700);
        }
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
        remove_if_present(&path).unwrap();
        remove_if_present(&path).unwrap();
    }

    #[test]
    fn temporary_names_are_unguessable_and_never_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.toml");
        let (a, _) = create_temp(&path, true).unwrap();
        let (b, _) = create_temp(&path, true).unwrap();
        assert_ne!(a, b);
        let name = a.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with(".secrets.toml.") && name.ends_with(".tmp"));
        assert!(!name.contains(&std::process::id().to_string()));
    }

    #[cfg(unix)]
    #[test]
    fn a_planted_link_is_never_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "theirs").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        assert!(create_new(&link, true).is_err());
        let e = open_existing(&link).unwrap_err();
        assert!(is_link_error(&e), "{e}");
        // A dangling link is no way in either.
        let dangling = dir.path().join("dangling");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).unwrap();
        assert!(create_new(&dangling, true).is_err());
        assert!(!dir.path().join("nowhere").exists());
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "theirs");
    }

    #[cfg(unix)]
    #[test]
    fn loose_directories_and_files_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let shared = dir.path().join("shared");
        std::fs::create_dir(&shared).unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).unwrap();
        let err = write_private(&shared.join("secrets.toml"), b"x").unwrap_err();
        assert!(err.to_string().contains("others may write"), "{err}");
        assert!(!shared.join("secrets.toml").exists());
        assert_eq!(crate::exit::code_for(&err), crate::exit::USAGE);
        let file = dir.path().join("secrets.toml");
        std::fs::write(&file, "x").unwrap();
        for (mode, exposure_wanted) in [
            (0o600, Exposure::Private),
            (0o644, Exposure::Readable),
            (0o666, Exposure::Writable),
        ] {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
            assert_eq!(exposure(&file).unwrap(), exposure_wanted, "{mode:o}");
            assert_eq!(check_secret_file(&file).is_ok(), mode == 0o600);
        }
    }
}
