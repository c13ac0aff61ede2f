//! Profile secrets: the OS keyring when one answers, else `secrets.toml` (0600) with a warning.

use crate::config::SecretLocation;
use crate::context::Env;
use crate::fsutil;
use anyhow::{Context, Result};
use secrecy::{ExposeSecret, SecretString};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

const SERVICE: &str = "halo";
/// A keyring that does not answer within this time is treated as absent (as gh does).
const KEYRING_TIMEOUT: Duration = Duration::from_secs(3);

/// Which secret of a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    /// The application's client secret.
    ClientSecret,
    /// The agent's password.
    Password,
    /// A browser sign-in's refresh token (`halo login`).
    RefreshToken,
}

impl SecretKind {
    fn key(self) -> &'static str {
        match self {
            SecretKind::ClientSecret => "client_secret",
            SecretKind::Password => "password",
            SecretKind::RefreshToken => "refresh_token",
        }
    }
}

/// Reads and writes profile secrets.
pub struct SecretStore {
    file: PathBuf,
    keyring_allowed: bool,
}

type SecretsFile = BTreeMap<String, BTreeMap<String, String>>;

impl SecretStore {
    /// The store for a config dir. `HALO_KEYRING=off` (or `0`, `false`, `no`) skips the
    /// keyring.
    pub fn new(config_dir: &std::path::Path, env: &Env) -> SecretStore {
        let off = env.var("HALO_KEYRING").is_some() && !env.flag("HALO_KEYRING");
        SecretStore {
            file: config_dir.join("secrets.toml"),
            keyring_allowed: !off,
        }
    }

    /// Stores the secrets of `profile`, in the keyring if it works, else in the file (and
    /// says so on `warn`).
    pub fn put(
        &self,
        profile: &str,
        secrets: &[(SecretKind, &SecretString)],
        warn: &mut dyn std::io::Write,
    ) -> Result<SecretLocation> {
        if self.keyring_allowed {
            let all_ok = secrets.iter().all(|(kind, value)| {
                let value = value.expose_secret().to_string();
                keyring_call(profile, *kind, move |e| e.set_password(&value)).is_ok()
            });
            if all_ok {
                self.remove_from_file(profile)?;
                return Ok(SecretLocation::Keyring);
            }
        }
        writeln!(
            warn,
            "warning: no OS keyring is reachable; the secret is stored in {} (mode 0600)",
            self.file.display()
        )?;
        let mut file = self.read_file()?;
        let entry = file.entry(profile.to_string()).or_default();
        entry.clear();
        for (kind, value) in secrets {
            entry.insert(kind.key().to_string(), value.expose_secret().to_string());
        }
        self.write_file(&file)?;
        Ok(SecretLocation::File)
    }

    /// Reads one secret of `profile` from where it was stored.
    pub fn get(
        &self,
        profile: &str,
        kind: SecretKind,
        location: SecretLocation,
    ) -> Result<Option<SecretString>> {
        match location {
            SecretLocation::Keyring => match keyring_call(profile, kind, |e| e.get_password()) {
                Ok(v) => Ok(Some(SecretString::from(v))),
                Err(KeyringFailure::NoEntry) => Ok(None),
                Err(KeyringFailure::Other(why)) => {
                    anyhow::bail!(
                        "cannot read the {} of profile '{profile}' from the OS keyring: {why}",
                        kind.key()
                    )
                }
            },
            SecretLocation::File => Ok(self
                .read_file()?
                .get(profile)
                .and_then(|e| e.get(kind.key()))
                .map(|v| SecretString::from(v.clone()))),
        }
    }

    /// Replaces one secret of `profile` where its secrets are kept (a rotated refresh token):
    /// one keyring entry, or `secrets.toml` rewritten whole through a rename.
    pub fn set(
        &self,
        profile: &str,
        kind: SecretKind,
        value: &SecretString,
        location: SecretLocation,
    ) -> Result<()> {
        match location {
            SecretLocation::Keyring => {
                let value = value.expose_secret().to_string();
                keyring_call(profile, kind, move |e| e.set_password(&value)).map_err(|e| {
                    let why = match e {
                        KeyringFailure::NoEntry => "no entry".to_string(),
                        KeyringFailure::Other(why) => why,
                    };
                    anyhow::anyhow!(
                        "cannot write the {} of profile '{profile}' to the OS keyring: {why}",
                        kind.key()
                    )
                })
            }
            SecretLocation::File => {
                let mut file = self.read_file()?;
                file.entry(profile.to_string())
                    .or_default()
                    .insert(kind.key().to_string(), value.expose_secret().to_string());
                self.write_file(&file)
            }
        }
    }

    /// Forgets every secret of `profile`, wherever it is.
    pub fn remove(&self, profile: &str, location: SecretLocation) -> Result<()> {
        if location == SecretLocation::Keyring && self.keyring_allowed {
            for kind in [
                SecretKind::ClientSecret,
                SecretKind::Password,
                SecretKind::RefreshToken,
            ] {
                // Absent entries are fine; an unreachable keyring leaves nothing to remove here.
                let _ = keyring_call(profile, kind, |e| e.delete_credential());
            }
        }
        self.remove_from_file(profile)
    }

    fn remove_from_file(&self, profile: &str) -> Result<()> {
        if !self.file.exists() {
            return Ok(());
        }
        let mut file = self.read_file()?;
        if file.remove(profile).is_some() {
            self.write_file(&file)?;
        }
        Ok(())
    }

    fn read_file(&self) -> Result<SecretsFile> {
        fsutil::check_secret_file(&self.file)?;
        match std::fs::read_to_string(&self.file) {
            Ok(text) => toml::from_str(&text).map_err(|e| {
                crate::exit::Failure::usage(format!(
                    "{} is not valid ({}); fix or remove it",
                    self.file.display(),
                    e.message()
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(SecretsFile::new()),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", self.file.display())),
        }
    }

    fn write_file(&self, file: &SecretsFile) -> Result<()> {
        let text = toml::to_string(file).context("cannot encode the secrets file")?;
        fsutil::write_private(&self.file, text.as_bytes())
    }
}

enum KeyringFailure {
    NoEntry,
    Other(String),
}

/// Runs one keyring operation on its own thread with a timeout: a keyring daemon that hangs
/// (or a D-Bus with no Secret Service) must not hang the CLI.
fn keyring_call<T: Send + 'static>(
    profile: &str,
    kind: SecretKind,
    op: impl FnOnce(&keyring::Entry) -> keyring::Result<T> + Send + 'static,
) -> Result<T, KeyringFailure> {
    let user = format!("{profile}/{}", kind.key());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let result = keyring::Entry::new(SERVICE, &user).and_then(|e| op(&e));
        let _ = tx.send(result);
    });
    match rx.recv_timeout(KEYRING_TIMEOUT) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(keyring::Error::NoEntry)) => Err(KeyringFailure::NoEntry),
        Ok(Err(e)) => Err(KeyringFailure::Other(e.to_string())),
        Err(_) => Err(KeyringFailure::Other("the keyring did not answer".into())),
    }
}
