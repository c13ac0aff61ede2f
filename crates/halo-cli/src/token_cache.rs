//! The access-token cache: one 0600 JSON file per profile, so the next run reuses the token,
//! and a lock file beside it, so that processes renew a profile's token one at a time. A
//! browser sign-in's refresh token is kept where secrets go ([`SignInStore`]).

use crate::config::SecretLocation;
use crate::fsutil;
use crate::secrets::{SecretKind, SecretStore};
use halopsa::auth::{CachedToken, TokenStore};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// A [`TokenStore`] backed by `tokens/<key>.json`, locked through `tokens/<key>.lock`.
pub struct FileTokenStore {
    path: PathBuf,
    lock: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct OnDisk {
    access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    expires_at: u64,
    lifetime: u64,
    scope: String,
    fingerprint: String,
}

impl FileTokenStore {
    /// The cache file `dir/<key>.json`.
    pub fn new(dir: PathBuf, key: &str) -> FileTokenStore {
        FileTokenStore {
            path: dir.join(format!("{key}.json")),
            lock: dir.join(format!("{key}.lock")),
        }
    }
}

impl TokenStore for FileTokenStore {
    fn load(&self) -> Option<CachedToken> {
        // A token others could read may have been seen, one they could write may be theirs:
        // either way it is not used (a new one is minted, and written owner-only).
        match fsutil::exposure(&self.path) {
            Ok(fsutil::Exposure::Private) => {}
            Ok(_) => {
                tracing::warn!(
                    "ignoring the cached token {}: others may read or write it (mode {})",
                    self.path.display(),
                    fsutil::mode_text(&self.path)
                );
                return None;
            }
            Err(_) => return None,
        }
        let bytes = std::fs::read(&self.path).ok()?;
        // A damaged cache is just a miss: a new token is minted and the file rewritten.
        let d: OnDisk = serde_json::from_slice(&bytes).ok()?;
        Some(CachedToken {
            access_token: SecretString::from(d.access_token),
            refresh_token: d.refresh_token.map(SecretString::from),
            expires_at: d.expires_at,
            lifetime: d.lifetime,
            scope: d.scope,
            fingerprint: d.fingerprint,
        })
    }

    fn save(&self, token: &CachedToken) {
        let d = OnDisk {
            access_token: token.access_token.expose_secret().to_string(),
            refresh_token: token
                .refresh_token
                .as_ref()
                .map(|r| r.expose_secret().to_string()),
            expires_at: token.expires_at,
            lifetime: token.lifetime,
            scope: token.scope.clone(),
            fingerprint: token.fingerprint.clone(),
        };
        let written = serde_json::to_vec(&d)
            .map_err(anyhow::Error::from)
            .and_then(|bytes| fsutil::write_private(&self.path, &bytes));
        if let Err(e) = written {
            tracing::warn!("cannot cache the token: {e:#}");
        }
    }

    fn clear(&self) {
        if let Err(e) = fsutil::remove_if_present(&self.path) {
            tracing::warn!("{e:#}");
        }
    }

    /// An exclusive OS lock on the lock file (`flock` on Unix, `LockFileEx` on Windows),
    /// released when the file is closed; a lock file that cannot be opened safely means no
    /// lock (with a warning), never a failure.
    fn lock(&self) -> Option<Box<dyn Send>> {
        let dir = self.lock.parent()?;
        let locked = fsutil::open_state_file(dir, &self.lock).and_then(|file| {
            file.lock()?;
            Ok(file)
        });
        match locked {
            Ok(file) => Some(Box::new(file)),
            Err(e) => {
                tracing::warn!("renewing the token without a lock: {e:#}");
                None
            }
        }
    }
}

/// The token store of a browser sign-in (`halo login`): the cache file for the access token,
/// and the refresh token where the profile's secrets are (the OS keyring or `secrets.toml`),
/// written there first whenever Halo rotates it, so a new one is never lost.
pub struct SignInStore {
    cache: FileTokenStore,
    secrets: SecretStore,
    profile: String,
    location: SecretLocation,
}

impl SignInStore {
    /// The store of `profile`, its cache in `tokens`, its refresh token in `secrets` at
    /// `location`.
    pub fn new(
        tokens: PathBuf,
        secrets: SecretStore,
        profile: &str,
        location: SecretLocation,
    ) -> SignInStore {
        SignInStore {
            cache: FileTokenStore::new(tokens, profile),
            secrets,
            profile: profile.to_string(),
            location,
        }
    }

    fn stored_refresh(&self) -> Option<SecretString> {
        self.secrets
            .get(&self.profile, SecretKind::RefreshToken, self.location)
            .map_err(|e| tracing::warn!("{e:#}"))
            .ok()
            .flatten()
    }
}

impl TokenStore for SignInStore {
    fn load(&self) -> Option<CachedToken> {
        let mut token = self.cache.load()?;
        token.refresh_token = self.stored_refresh();
        Some(token)
    }

    fn save(&self, token: &CachedToken) {
        if let Some(new) = &token.refresh_token {
            let same = self
                .stored_refresh()
                .is_some_and(|old| old.expose_secret() == new.expose_secret());
            if !same
                && let Err(e) =
                    self.secrets
                        .set(&self.profile, SecretKind::RefreshToken, new, self.location)
            {
                tracing::warn!("cannot store the new refresh token: {e:#}");
            }
        }
        let mut cached = token.clone();
        cached.refresh_token = None;
        self.cache.save(&cached);
    }

    fn clear(&self) {
        self.cache.clear();
    }

    fn lock(&self) -> Option<Box<dyn Send>> {
        self.cache.lock()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_treats_damage_as_a_miss() {
        let dir = std::env::temp_dir().join(format!("halo-tokens-{}", std::process::id()));
        let store = FileTokenStore::new(dir.clone(), "p");
        assert!(store.load().is_none());
        let token = CachedToken {
            access_token: SecretString::from("at"),
            refresh_token: Some(SecretString::from("rt")),
            expires_at: 42,
            lifetime: 3600,
            scope: "all".into(),
            fingerprint: "f".into(),
        };
        store.save(&token);
        let back = store.load().unwrap();
        assert_eq!(back.access_token.expose_secret(), "at");
        assert_eq!(back.refresh_token.unwrap().expose_secret(), "rt");
        std::fs::write(dir.join("p.json"), b"{not json").unwrap();
        assert!(store.load().is_none());
        store.clear();
        assert!(!dir.join("p.json").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn token(access: &str, refresh: &str) -> CachedToken {
        CachedToken {
            access_token: SecretString::from(access),
            refresh_token: Some(SecretString::from(refresh)),
            expires_at: 42,
            lifetime: 3600,
            scope: "all offline_access".into(),
            fingerprint: "f".into(),
        }
    }

    #[test]
    fn the_lock_holds_others_off_until_it_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileTokenStore::new(dir.path().join("tokens"), "p");
        let guard = store.lock().expect("a lock");
        let other = std::fs::File::open(dir.path().join("tokens/p.lock")).unwrap();
        assert!(matches!(
            other.try_lock(),
            Err(std::fs::TryLockError::WouldBlock)
        ));
        drop(guard);
        other.try_lock().unwrap();
    }

    #[test]
    fn a_sign_in_keeps_its_refresh_token_with_the_secrets_and_rotations_replace_it() {
        let dir = tempfile::tempdir().unwrap();
        let env = crate::context::Context::test().0.env().clone();
        let secrets = || SecretStore::new(dir.path(), &env);
        let store = SignInStore::new(
            dir.path().join("tokens"),
            secrets(),
            "me",
            SecretLocation::File,
        );
        store.save(&token("at-1", "rt-1"));
        // The cache file holds the access token only; the refresh token is in secrets.toml.
        let cache = std::fs::read_to_string(dir.path().join("tokens/me.json")).unwrap();
        assert!(cache.contains("at-1") && !cache.contains("rt-1"), "{cache}");
        let stored = |kind| secrets().get("me", kind, SecretLocation::File).unwrap();
        assert_eq!(
            stored(SecretKind::RefreshToken).unwrap().expose_secret(),
            "rt-1"
        );
        assert_eq!(
            store.load().unwrap().refresh_token.unwrap().expose_secret(),
            "rt-1"
        );
        // A rotation (another process's, say) is what the next load sees.
        store.save(&token("at-2", "rt-2"));
        let back = store.load().unwrap();
        assert_eq!(back.access_token.expose_secret(), "at-2");
        assert_eq!(back.refresh_token.unwrap().expose_secret(), "rt-2");
        store.clear();
        assert!(store.load().is_none());
        assert_eq!(
            stored(SecretKind::RefreshToken).unwrap().expose_secret(),
            "rt-2"
        );
    }
}
