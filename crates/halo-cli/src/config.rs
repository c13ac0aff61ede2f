//! The configuration directory and `config.toml`: profiles (never secrets).

use crate::context::Env;
use crate::exit::Failure;
use crate::fsutil;
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The profile used when none is named.
pub const DEFAULT_PROFILE: &str = "default";

/// `$HALO_CONFIG_DIR`, else the platform's config dir plus `halo` (`~/.config/halo` on Linux
/// and macOS, `%APPDATA%\halo` on Windows).
pub fn config_dir(env: &Env) -> Result<PathBuf> {
    if let Some(dir) = env.var("HALO_CONFIG_DIR") {
        return Ok(PathBuf::from(dir));
    }
    use etcetera::BaseStrategy;
    let base = etcetera::choose_base_strategy()
        .context("cannot find the home directory: set HALO_CONFIG_DIR")?;
    Ok(base.config_dir().join("halo"))
}

/// How a profile authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantKind {
    /// Client id and secret.
    ClientCredentials,
    /// Username and password.
    Password,
    /// A browser sign-in (`halo login`): authorization code with PKCE, then its refresh token.
    AuthorizationCode,
}

/// Where a profile's secret lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretLocation {
    /// The OS keyring.
    Keyring,
    /// `secrets.toml` (0600) in the config dir.
    File,
}

/// One stored connection (no secrets in it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// Instance URL.
    pub url: String,
    /// Application client id.
    pub client_id: String,
    /// The grant.
    pub grant: GrantKind,
    /// Password grant: the agent's login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Scopes asked for.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Tenant, when set explicitly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// Explicit authorisation server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_url: Option<String>,
    /// Additional headers, `Name: value`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<String>,
    /// Plain http to a non-loopback host allowed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub insecure_http: bool,
    /// Client-side rate limit: `N/SECS`, or `off`; absent means the default for the host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<String>,
    /// Where the secrets were stored.
    pub secret_store: SecretLocation,
    /// The profile's mirror (`halo sync`, `search`, `query`): a SQLite path or a postgres://
    /// URL; absent means `mirror-PROFILE.sqlite` in halo's data directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mirror: Option<String>,
}

/// `config.toml`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ConfigFile {
    /// The profile used when none is named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_profile: Option<String>,
    /// Profiles by name.
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

/// The loaded configuration and where it lives.
pub struct Config {
    /// The directory.
    pub dir: PathBuf,
    /// The file's content.
    pub file: ConfigFile,
}

impl Config {
    /// Loads `config.toml` from the config dir (empty when absent). A file that is not valid
    /// TOML is an error and is left untouched; so is a directory or file that another user
    /// owns or may write to (they could point a profile at their own server).
    pub fn load(dir: PathBuf) -> Result<Config> {
        fsutil::check_dir(&dir)?;
        let path = dir.join("config.toml");
        if fsutil::exposure(&path)? == fsutil::Exposure::Writable {
            return Err(Failure::usage(format!(
                "refusing to read {}: another user owns it or may write to it (mode {}); run 'chmod 600 {}' if it is yours",
                path.display(),
                fsutil::mode_text(&path),
                path.display()
            )));
        }
        let file = match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| {
                Failure::usage(format!(
                    "{} is not a valid halo config ({}); fix or remove it",
                    path.display(),
                    e.message()
                ))
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => ConfigFile::default(),
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                return Err(Failure::usage(format!(
                    "{} is not a valid halo config (it is not UTF-8 text); fix or remove it",
                    path.display()
                )));
            }
            Err(e) => {
                return Err(e).with_context(|| format!("cannot read {}", path.display()));
            }
        };
        Ok(Config { dir, file })
    }

    /// Writes `config.toml` (0600).
    pub fn save(&self) -> Result<()> {
        let text = toml::to_string_pretty(&self.file).context("cannot encode the config")?;
        fsutil::write_private(&self.path(), text.as_bytes())
    }

    /// The path of `config.toml`.
    pub fn path(&self) -> PathBuf {
        self.dir.join("config.toml")
    }

    /// The directory of cached tokens.
    pub fn tokens_dir(&self) -> PathBuf {
        self.dir.join("tokens")
    }

    /// The directory of caches (names for ids, rate budgets).
    pub fn cache_dir(&self) -> PathBuf {
        self.dir.join("cache")
    }

    /// The directory of the rate budgets every `halo` process shares ([`crate::budget`]).
    pub fn budgets_dir(&self) -> PathBuf {
        self.cache_dir().join("rate")
    }

    /// The name to use: the one given, else the current profile, else `default`.
    pub fn profile_name(&self, given: Option<&str>) -> String {
        given
            .map(str::to_string)
            .or_else(|| self.file.current_profile.clone())
            .unwrap_or_else(|| DEFAULT_PROFILE.to_string())
    }

    /// The named profile, or a usage error that names it and lists the ones that exist.
    pub fn profile(&self, name: &str) -> Result<&Profile> {
        self.file.profiles.get(name).ok_or_else(|| {
            let known: Vec<_> = self.file.profiles.keys().map(String::as_str).collect();
            let current = self.file.current_profile.as_deref() == Some(name);
            Failure::usage(match (known.is_empty(), current) {
                (true, true) => format!(
                    "the current profile '{name}' (named in {}) is not stored: run 'halo connect --profile {name} ...'",
                    self.path().display()
                ),
                (true, false) => "no profile is stored: run 'halo connect' first (or set HALO_URL, HALO_CLIENT_ID and HALO_CLIENT_SECRET)".to_string(),
                (false, true) => format!(
                    "the current profile '{name}' (named in {}) does not exist (profiles: {}): 'halo profile use NAME' picks another",
                    self.path().display(),
                    known.join(", ")
                ),
                (false, false) => {
                    format!("no profile named '{name}' (profiles: {})", known.join(", "))
                }
            })
        })
    }
}

/// Checks a profile name: it names files, so keep it simple.
pub fn check_profile_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.starts_with('.');
    if ok {
        Ok(())
    } else {
        Err(Failure::usage(format!(
            "profile name '{name}' may use only letters, digits, '-', '_' and '.'"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_names_are_checked() {
        for ok in ["default", "acme-prod", "a.b_c"] {
            assert!(check_profile_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "../x", "a b", ".hidden", "a/b"] {
            assert!(check_profile_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_missing_profile_is_named_with_where_the_name_came_from() {
        let mut config = Config {
            dir: PathBuf::from("/cfg"),
            file: ConfigFile {
                current_profile: Some("gone".into()),
                profiles: BTreeMap::new(),
            },
        };
        let message = |c: &Config, name| c.profile(name).unwrap_err().to_string();
        assert!(message(&config, "gone").contains("the current profile 'gone'"));
        assert!(message(&config, "other").contains("no profile is stored"));
        let p: Profile = toml::from_str(
            "url = \"https://x.example\"\nclient_id = \"c\"\ngrant = \"password\"\nsecret_store = \"file\"",
        )
        .unwrap();
        config.file.profiles.insert("acme".into(), p);
        let m = message(&config, "gone");
        assert!(m.contains("'gone'") && m.contains("profiles: acme"), "{m}");
        assert!(message(&config, "x").contains("no profile named 'x'"));
    }

    #[test]
    fn config_round_trips_without_secrets() {
        let mut file = ConfigFile::default();
        file.profiles.insert(
            "p".into(),
            Profile {
                url: "https://x.example".into(),
                client_id: "cid".into(),
                grant: GrantKind::Password,
                username: Some("u".into()),
                scopes: vec!["all".into()],
                tenant: None,
                auth_url: None,
                headers: vec!["X-A: b".into()],
                insecure_http: false,
                rate_limit: Some("30/3s".into()),
                secret_store: SecretLocation::File,
                mirror: Some("postgres://me@db.example/halo".into()),
            },
        );
        let text = toml::to_string_pretty(&file).unwrap();
        let back: ConfigFile = toml::from_str(&text).unwrap();
        assert_eq!(back.profiles["p"], file.profiles["p"]);
        assert!(text.contains("grant = \"password\""), "{text}");
    }
}
