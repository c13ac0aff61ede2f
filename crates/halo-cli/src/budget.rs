//! One rate budget per tenant, shared by every `halo` process: the limiter's log (and its 429
//! penalty) in `<cache>/rate/<key>.log`, the key a stable hash of the instance and client id
//! ([`halopsa::limiter::budget_key`]; the format is described in `halopsa::limiter`).

use crate::fsutil;
use halopsa::ConnectionSettings;
use halopsa::limiter::{RateLimiter, budget_key};
use std::path::Path;
use std::time::Duration;

/// A limiter of `requests` per `window` on the budget of `settings`, its log in `dir`; when
/// the file cannot be opened safely (a link, another user's, not a regular file), one of this
/// process only, with a warning.
pub fn limiter(
    dir: &Path,
    settings: &ConnectionSettings,
    requests: u32,
    window: Duration,
) -> RateLimiter {
    let path = dir.join(format!("{}.log", budget_key(settings)));
    match fsutil::open_state_file(dir, &path) {
        Ok(file) => RateLimiter::shared(requests, window, file),
        Err(e) => {
            tracing::warn!("cannot share the rate budget: {e:#}; this process keeps its own");
            RateLimiter::new(requests, window)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use halopsa::Grant;
    use secrecy::SecretString;

    fn settings() -> ConnectionSettings {
        ConnectionSettings::new(
            "https://acme.halopsa.com",
            "cid",
            Grant::ClientCredentials {
                client_secret: SecretString::from("s"),
            },
        )
        .unwrap()
    }

    fn budget_file(dir: &Path) -> std::path::PathBuf {
        dir.join(format!("{}.log", budget_key(&settings())))
    }

    #[tokio::test]
    async fn limiters_on_one_budget_share_one_private_file() {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("cache").join("rate");
        let window = Duration::from_secs(60);
        let a = limiter(&dir, &settings(), 2, window);
        let b = limiter(&dir, &settings(), 2, window);
        a.acquire().await;
        b.acquire().await;
        let third = tokio::time::timeout(Duration::from_millis(100), a.acquire()).await;
        assert!(third.is_err(), "two grants in all");
        let bytes = std::fs::read(budget_file(&dir)).unwrap();
        assert_eq!(bytes.len(), 20 + 2 * 8, "a header and two times: {bytes:?}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&budget_file(&dir)), 0o600);
            assert_eq!(mode(&dir), 0o700);
            // A loosened file is made owner-only again.
            std::fs::set_permissions(budget_file(&dir), std::fs::Permissions::from_mode(0o666))
                .unwrap();
            limiter(&dir, &settings(), 2, window);
            assert_eq!(mode(&budget_file(&dir)), 0o600);
        }
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_planted_link_or_fifo_is_never_used() {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("rate");
        fsutil::private_dir(&dir).unwrap();
        let victim = home.path().join("victim");
        std::fs::write(&victim, "theirs").unwrap();
        std::os::unix::fs::symlink(&victim, budget_file(&dir)).unwrap();
        let limited = limiter(&dir, &settings(), 1, Duration::from_secs(60));
        limited.acquire().await;
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "theirs");
        let second = tokio::time::timeout(Duration::from_millis(100), limited.acquire()).await;
        assert!(second.is_err(), "still limited, on its own");

        std::fs::remove_file(budget_file(&dir)).unwrap();
        let fifo = std::ffi::CString::new(budget_file(&dir).into_os_string().into_encoded_bytes())
            .unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        let limited = limiter(&dir, &settings(), 1, Duration::from_secs(60));
        let first = tokio::time::timeout(Duration::from_secs(5), limited.acquire()).await;
        assert!(first.is_ok(), "a FIFO is not read");
    }
}
