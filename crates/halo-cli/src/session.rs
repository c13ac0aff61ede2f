//! Opening a connection for a command: from the environment or from a stored profile.

use crate::config::{Config, GrantKind, Profile};
use crate::exit::Failure;
use crate::secrets::{SecretKind, SecretStore};
use crate::token_cache::FileTokenStore;
use anyhow::Result;
use halopsa::{Client, ConnectionSettings, Grant};
use secrecy::SecretString;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// Where a connection's settings came from.
pub enum Source {
    /// A stored profile.
    Profile(String),
    /// `HALO_URL` and friends.
    Environment,
}

/// A client ready for a command.
pub struct Session {
    /// The client (with the token cache attached).
    pub client: Client,
    /// Where it came from.
    pub source: Source,
}

/// The connection fields shared by `halo connect`, profiles and the environment.
pub struct ConnectionSpec<'a> {
    /// Instance URL.
    pub url: &'a str,
    /// Client id.
    pub client_id: &'a str,
    /// The grant, secrets included.
    pub grant: Grant,
    /// Scopes.
    pub scopes: &'a [String],
    /// Tenant.
    pub tenant: Option<String>,
    /// Explicit auth server.
    pub auth_url: Option<&'a str>,
    /// `Name: value` headers.
    pub headers: &'a [String],
    /// Plain http allowed to non-loopback hosts.
    pub insecure_http: bool,
}

impl ConnectionSpec<'_> {
    /// The library settings.
    pub fn settings(self) -> Result<ConnectionSettings> {
        let mut s = ConnectionSettings::new(self.url, self.client_id, self.grant)?
            .with_scopes(self.scopes)?
            .with_tenant(self.tenant)
            .with_auth_url(self.auth_url)?
            .allow_insecure_http(self.insecure_http);
        for h in self.headers {
            s = s.with_header_line(h)?;
        }
        Ok(s)
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// How requests are paced and retried: flags of every command that talks to Halo.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Pacing {
    /// Client-side rate limit, N requests per SECS rolling window (default: 300/300s for
    /// hosted instances, none otherwise; `halo connect` stores it in the profile).
    #[arg(long, value_name = "N/SECS", value_parser = halopsa::limiter::parse_rate)]
    pub rate_limit: Option<(u32, std::time::Duration)>,
    /// No client-side rate limit.
    #[arg(long, conflicts_with = "rate_limit")]
    pub no_rate_limit: bool,
    /// Retries of a transient failure (429, 5xx, network) before giving up (default 5).
    #[arg(long, value_name = "N")]
    pub max_retries: Option<u32>,
}

impl Pacing {
    /// Applies the flags, else the profile's `rate_limit`, else the library's default.
    pub fn apply(
        &self,
        builder: halopsa::ClientBuilder,
        profile: Option<&str>,
    ) -> Result<halopsa::ClientBuilder> {
        use halopsa::limiter::{RateLimiter, parse_rate};
        let mut builder = builder;
        let stored = match profile {
            Some("off") => Some(None),
            Some(text) => Some(Some(parse_rate(text).map_err(Failure::usage)?)),
            None => None,
        };
        let chosen = if self.no_rate_limit {
            Some(None)
        } else if let Some(limit) = self.rate_limit {
            Some(Some(limit))
        } else {
            stored
        };
        if let Some(limit) = chosen {
            builder = builder.rate_limit(limit.map(|(n, window)| RateLimiter::new(n, window)));
        }
        if let Some(max_retries) = self.max_retries {
            builder = builder.retry(halopsa::retry::RetryPolicy {
                max_retries,
                ..Default::default()
            });
        }
        Ok(builder)
    }
}

/// Opens the connection a command should use: the environment when `HALO_URL` is set and no
/// profile was named, else the named (or current) profile.
pub fn open(profile_flag: Option<&str>, pacing: &Pacing) -> Result<Session> {
    let config = Config::load()?;
    if profile_flag.is_none() && env("HALO_URL").is_some() {
        return from_env(&config, pacing);
    }
    let name = config.profile_name(profile_flag);
    let profile = config.profile(&name)?.clone();
    let settings = profile_settings(&config, &name, &profile)?;
    let store = FileTokenStore::new(config.tokens_dir(), &name);
    let builder = Client::builder(settings).token_store(Arc::new(store));
    let client = pacing
        .apply(builder, profile.rate_limit.as_deref())?
        .build()?;
    Ok(Session {
        client,
        source: Source::Profile(name),
    })
}

fn profile_settings(config: &Config, name: &str, p: &Profile) -> Result<ConnectionSettings> {
    let secrets = SecretStore::new(&config.dir);
    let missing = |what: &str| {
        Failure::auth(format!(
            "no {what} is stored for profile '{name}': run 'halo connect --profile {name} ...' again"
        ))
    };
    let client_secret = secrets.get(name, SecretKind::ClientSecret, p.secret_store)?;
    let grant = match p.grant {
        GrantKind::ClientCredentials => Grant::ClientCredentials {
            client_secret: client_secret
                .or_else(|| env("HALO_CLIENT_SECRET").map(SecretString::from))
                .ok_or_else(|| missing("client secret"))?,
        },
        GrantKind::Password => Grant::Password {
            username: p.username.clone().ok_or_else(|| missing("username"))?,
            password: secrets
                .get(name, SecretKind::Password, p.secret_store)?
                .or_else(|| env("HALO_PASSWORD").map(SecretString::from))
                .ok_or_else(|| missing("password"))?,
            client_secret,
        },
    };
    ConnectionSpec {
        url: &p.url,
        client_id: &p.client_id,
        grant,
        scopes: &p.scopes,
        tenant: p.tenant.clone(),
        auth_url: p.auth_url.as_deref(),
        headers: &p.headers,
        insecure_http: p.insecure_http,
    }
    .settings()
}

fn from_env(config: &Config, pacing: &Pacing) -> Result<Session> {
    let url = env("HALO_URL").unwrap_or_default();
    let client_id = env("HALO_CLIENT_ID")
        .ok_or_else(|| Failure::usage("HALO_URL is set but HALO_CLIENT_ID is not"))?;
    let grant = match (env("HALO_USERNAME"), env("HALO_PASSWORD")) {
        (Some(username), Some(password)) => Grant::Password {
            username,
            password: SecretString::from(password),
            client_secret: env("HALO_CLIENT_SECRET").map(SecretString::from),
        },
        (Some(_), None) => return Err(Failure::usage("HALO_USERNAME is set but HALO_PASSWORD is not")),
        _ => Grant::ClientCredentials {
            client_secret: env("HALO_CLIENT_SECRET").map(SecretString::from).ok_or_else(|| {
                Failure::usage("HALO_URL is set but neither HALO_CLIENT_SECRET nor HALO_USERNAME/HALO_PASSWORD")
            })?,
        },
    };
    let scopes: Vec<String> = env("HALO_SCOPES").into_iter().collect();
    let settings = ConnectionSpec {
        url: &url,
        client_id: &client_id,
        grant,
        scopes: &scopes,
        tenant: env("HALO_TENANT"),
        auth_url: env("HALO_AUTH_URL").as_deref(),
        headers: &[],
        insecure_http: false,
    }
    .settings()?;
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    settings.fingerprint().hash(&mut hasher);
    let store = FileTokenStore::new(
        config.tokens_dir(),
        &format!("env-{:016x}", hasher.finish()),
    );
    let builder = Client::builder(settings).token_store(Arc::new(store));
    let client = pacing.apply(builder, None)?.build()?;
    Ok(Session {
        client,
        source: Source::Environment,
    })
}
