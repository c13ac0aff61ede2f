//! Files that may hold secrets: written atomically and readable by the owner only.

use anyhow::{Context, Result};
use std::io::Write;
use std::path::Path;

/// Creates `dir` (and parents), owner-only on Unix.
pub fn private_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot restrict {}", dir.display()))?;
    }
    // Windows: directories under %APPDATA% inherit an ACL that grants only the user (and
    // administrators), which is the equivalent of 0700.
    Ok(())
}

/// Writes `bytes` to `path` through a temporary file and a rename, with mode 0600 on Unix,
/// so a crash never leaves a half-written file and the secret is never world-readable.
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
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    // Windows: the file inherits the ACL of its directory (user-only under %APPDATA%).
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options
        .open(&tmp)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    file.write_all(bytes)
        .and_then(|_| file.sync_all())
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    drop(file);
    std::fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))?;
    Ok(())
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
    fn writes_atomically_with_owner_only_mode() {
        let dir = std::env::temp_dir().join(format!("halo-fsutil-{}", std::process::id()));
        let path = dir.join("sub").join("f.toml");
        write_private(&path, b"one").unwrap();
        write_private(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
        remove_if_present(&path).unwrap();
        remove_if_present(&path).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
