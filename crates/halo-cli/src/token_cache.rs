//! The access-token cache: one 0600 JSON file per profile, so the next run reuses the token.

use crate::fsutil;
use halopsa::auth::{CachedToken, TokenStore};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// A [`TokenStore`] backed by `tokens/<key>.json`.
pub struct FileTokenStore {
    path: PathBuf,
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
}
