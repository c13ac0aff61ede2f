//! Opening a connection for a command: from the environment or from a stored profile.

use crate::config::{Config, GrantKind, Profile};
use crate::context::{Context, Env};
use crate::exit::Failure;
use crate::secrets::{SecretKind, SecretStore};
use crate::token_cache::FileTokenStore;
use anyhow::Result;
use halopsa::{Client, ConnectionSettings, Grant};
use secrecy::SecretString;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

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
    /// Where names found on this connection are cached.
    pub names_file: std::path::PathBuf,
}

impl Session {
    /// Names for ids on this connection ([`crate::names`]).
    pub fn names(&self) -> crate::names::Names<'_> {
        crate::names::Names::new(&self.client, self.names_file.clone())
    }
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

// The flags of every command that talks to Halo: how its requests are paced, retried and
// bounded. (No doc comment: clap would make it the description of every command that
// flattens this.)
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Requests")]
pub struct RequestFlags {
    /// Client-side rate limit, N requests per SECS rolling window (default: 300/300s for
    /// hosted instances, none otherwise; `halo connect` stores it in the profile).
    #[arg(long, value_name = "N/SECS", value_parser = halopsa::limiter::parse_rate)]
    pub rate_limit: Option<(u32, Duration)>,
    /// No client-side rate limit.
    #[arg(long, conflicts_with = "rate_limit")]
    pub no_rate_limit: bool,
    /// Retries of a transient failure (429, 5xx, network) before giving up (default 5).
    #[arg(long, value_name = "N")]
    pub max_retries: Option<u32>,
    /// Bound on the whole command, e.g. 90s, 5m, 1h; 0 for none (default: 3m for a single
    /// call, none for exports and walks of every page).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    /// The largest reply accepted, compressed or decompressed, e.g. 64MB (the default).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_response_size: Option<u64>,
}

/// How long a single call may take in all (retries and waits included) unless `--timeout`
/// says otherwise.
pub const SINGLE_CALL_TIMEOUT: Duration = Duration::from_secs(180);

/// `90s`, `5m`, `1h`, `7d`, `250ms` or plain seconds.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim().to_ascii_lowercase();
    let bad = || format!("'{text}' is not a duration like 90s, 5m or 1h");
    let (number, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: u64 = number.parse().map_err(|_| bad())?;
    let secs = match unit.trim() {
        "" | "s" | "sec" | "secs" => Duration::from_secs(n),
        "ms" => Duration::from_millis(n),
        "m" | "min" | "mins" => Duration::from_secs(n.saturating_mul(60)),
        "h" => Duration::from_secs(n.saturating_mul(3600)),
        "d" => Duration::from_secs(n.saturating_mul(86_400)),
        _ => return Err(bad()),
    };
    Ok(secs)
}

/// `64MB`, `512KB`, `1GB` (powers of 1024, `MiB` spellings too) or plain bytes.
pub(crate) fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim().to_ascii_lowercase();
    let bad = || format!("'{text}' is not a size like 64MB or 512KB");
    let (number, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: u64 = number.parse().map_err(|_| bad())?;
    let scale: u64 = match unit.trim() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(bad()),
    };
    n.checked_mul(scale).filter(|n| *n > 0).ok_or_else(bad)
}

impl RequestFlags {
    /// Applies the flags: the rate limit of the flags, else the profile's `rate_limit`, else
    /// the library's default, its log shared by every process through a file in `budgets` (see
    /// [`crate::budget`]) or, without one, this process's own.
    pub fn apply(
        &self,
        builder: halopsa::ClientBuilder,
        profile: Option<&str>,
        budgets: Option<&Path>,
    ) -> Result<halopsa::ClientBuilder> {
        use halopsa::limiter::{RateLimiter, default_rule, parse_rate};
        let rule = if self.no_rate_limit {
            None
        } else if let Some(limit) = self.rate_limit {
            Some(limit)
        } else {
            match profile {
                Some("off") => None,
                Some(text) => Some(parse_rate(text).map_err(Failure::usage)?),
                None => default_rule(builder.settings().instance()),
            }
        };
        let limiter = rule.map(|(requests, window)| match budgets {
            Some(dir) => crate::budget::limiter(dir, builder.settings(), requests, window),
            None => RateLimiter::new(requests, window),
        });
        let mut builder = builder.rate_limit(limiter);
        if let Some(max_retries) = self.max_retries {
            builder = builder.retry(halopsa::retry::RetryPolicy {
                max_retries,
                ..Default::default()
            });
        }
        if let Some(bytes) = self.max_response_size {
            builder = builder.max_response_bytes(bytes);
        }
        Ok(builder)
    }

    /// The bound on a command: `--timeout` (0: none), else [`SINGLE_CALL_TIMEOUT`] for a
    /// single call and none for a `walk` (an export, every page of a list).
    pub fn timeout(&self, walk: bool) -> Option<Duration> {
        match self.timeout {
            Some(d) if d.is_zero() => None,
            Some(d) => Some(d),
            None if walk => None,
            None => Some(SINGLE_CALL_TIMEOUT),
        }
    }
}

/// Runs `work` within `timeout` (see [`RequestFlags::timeout`]); running out of time is exit 6.
pub async fn bounded<T>(
    timeout: Option<Duration>,
    work: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    match timeout {
        None => work.await,
        Some(limit) => match tokio::time::timeout(limit, work).await {
            Ok(result) => result,
            Err(_) => Err(timed_out(limit, "")),
        },
    }
}

/// The error of a command stopped by its time bound, with `then` said after (exit 6).
pub fn timed_out(limit: Duration, then: &str) -> anyhow::Error {
    anyhow::Error::new(Failure {
        code: crate::exit::TIMED_OUT,
        message: format!(
            "timed out after {} (--timeout){then}",
            crate::commands::duration(limit.as_secs().max(1))
        ),
    })
}

/// Waits at least this long are told of on a terminal.
const TELL_WAITS_OVER: Duration = Duration::from_secs(2);

/// `builder`, telling of long waits on standard error when it is a terminal (one line each:
/// what, how long, which attempt).
pub fn telling(ctx: &Context, builder: halopsa::ClientBuilder) -> halopsa::ClientBuilder {
    if !ctx.io.stderr_tty {
        return builder;
    }
    let err = std::sync::Mutex::new(ctx.io.err_writer());
    builder.on_wait(TELL_WAITS_OVER, move |wait| {
        if let Ok(mut err) = err.lock() {
            let _ = writeln!(err, "note: {wait}");
        }
    })
}

/// Opens the connection a command should use: the environment when `HALO_URL` is set and no
/// profile was named, else the named (or current) profile.
pub fn open(ctx: &Context, profile_flag: Option<&str>, pacing: &RequestFlags) -> Result<Session> {
    let config = Config::load(ctx.config_dir()?)?;
    let env = ctx.env();
    if profile_flag.is_none() && env.var("HALO_URL").is_some() {
        return from_env(ctx, &config, env, pacing);
    }
    let name = config.profile_name(profile_flag);
    let profile = config.profile(&name)?.clone();
    let settings = profile_settings(&config, env, &name, &profile)?;
    let store = token_store(&config, env, &name, &profile);
    let builder = telling(ctx, Client::builder(settings).token_store(store));
    let client = pacing
        .apply(
            builder,
            profile.rate_limit.as_deref(),
            Some(&config.budgets_dir()),
        )?
        .build()?;
    Ok(Session {
        client,
        names_file: config.cache_dir().join(format!("names-{name}.json")),
        source: Source::Profile(name),
    })
}

/// Where a profile's tokens are kept: the cache file, and for a browser sign-in its refresh
/// token with the profile's secrets.
pub(crate) fn token_store(
    config: &Config,
    env: &Env,
    name: &str,
    p: &Profile,
) -> Arc<dyn halopsa::auth::TokenStore> {
    match p.grant {
        GrantKind::AuthorizationCode => Arc::new(crate::token_cache::SignInStore::new(
            config.tokens_dir(),
            SecretStore::new(&config.dir, env),
            name,
            p.secret_store,
        )),
        _ => Arc::new(FileTokenStore::new(config.tokens_dir(), name)),
    }
}

/// The connection settings of a stored profile, its secrets read from where they are kept.
pub(crate) fn profile_settings(
    config: &Config,
    env: &Env,
    name: &str,
    p: &Profile,
) -> Result<ConnectionSettings> {
    let secrets = SecretStore::new(&config.dir, env);
    let missing = |what: &str| {
        Failure::auth(format!(
            "no {what} is stored for profile '{name}': run 'halo connect --profile {name} ...' again"
        ))
    };
    let client_secret = secrets.get(name, SecretKind::ClientSecret, p.secret_store)?;
    let grant = match p.grant {
        GrantKind::ClientCredentials => Grant::ClientCredentials {
            client_secret: client_secret
                .or_else(|| env.var("HALO_CLIENT_SECRET").map(SecretString::from))
                .ok_or_else(|| missing("client secret"))?,
        },
        GrantKind::Password => Grant::Password {
            username: p.username.clone().ok_or_else(|| missing("username"))?,
            password: secrets
                .get(name, SecretKind::Password, p.secret_store)?
                .or_else(|| env.var("HALO_PASSWORD").map(SecretString::from))
                .ok_or_else(|| missing("password"))?,
            client_secret,
        },
        GrantKind::AuthorizationCode => Grant::AuthorizationCode {
            refresh_token: Some(
                secrets
                    .get(name, SecretKind::RefreshToken, p.secret_store)?
                    .ok_or_else(|| {
                        Failure::auth(format!(
                            "profile '{name}' has no sign-in stored: run 'halo login --profile {name}' again"
                        ))
                    })?,
            ),
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

fn from_env(ctx: &Context, config: &Config, env: &Env, pacing: &RequestFlags) -> Result<Session> {
    let url = env.var("HALO_URL").unwrap_or_default();
    let client_id = env
        .var("HALO_CLIENT_ID")
        .ok_or_else(|| Failure::usage("HALO_URL is set but HALO_CLIENT_ID is not"))?;
    let grant = match (env.var("HALO_USERNAME"), env.var("HALO_PASSWORD")) {
        (Some(username), Some(password)) => Grant::Password {
            username,
            password: SecretString::from(password),
            client_secret: env.var("HALO_CLIENT_SECRET").map(SecretString::from),
        },
        (Some(_), None) => return Err(Failure::usage("HALO_USERNAME is set but HALO_PASSWORD is not")),
        _ => Grant::ClientCredentials {
            client_secret: env.var("HALO_CLIENT_SECRET").map(SecretString::from).ok_or_else(|| {
                Failure::usage("HALO_URL is set but neither HALO_CLIENT_SECRET nor HALO_USERNAME/HALO_PASSWORD")
            })?,
        },
    };
    let scopes: Vec<String> = env.var("HALO_SCOPES").into_iter().collect();
    let settings = ConnectionSpec {
        url: &url,
        client_id: &client_id,
        grant,
        scopes: &scopes,
        tenant: env.var("HALO_TENANT"),
        auth_url: env.var("HALO_AUTH_URL").as_deref(),
        headers: &[],
        insecure_http: false,
    }
    .settings()?;
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    settings.fingerprint().hash(&mut hasher);
    let key = format!("env-{:016x}", hasher.finish());
    let store = FileTokenStore::new(config.tokens_dir(), &key);
    let builder = telling(ctx, Client::builder(settings).token_store(Arc::new(store)));
    let client = pacing
        .apply(builder, None, Some(&config.budgets_dir()))?
        .build()?;
    Ok(Session {
        client,
        names_file: config.cache_dir().join(format!("names-{key}.json")),
        source: Source::Environment,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes_read_as_people_write_them() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert!(parse_duration("soon").is_err() && parse_duration("5y").is_err());
        assert_eq!(parse_size("64MB"), Ok(64 << 20));
        assert_eq!(parse_size("512kib"), Ok(512 << 10));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert!(parse_size("0").is_err() && parse_size("lots").is_err());
    }

    fn context(vars: &[(&str, &str)]) -> (Context, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let (ctx, _) = Context::test();
        let ctx = vars
            .iter()
            .fold(ctx, |c, (k, v)| c.env_var(k, *v))
            .env_var("HALO_CONFIG_DIR", dir.path().to_string_lossy());
        (ctx, dir)
    }

    #[test]
    fn the_environment_opens_a_session_with_no_profile() {
        let (ctx, _dir) = context(&[
            ("HALO_URL", "https://acme.halopsa.com"),
            ("HALO_CLIENT_ID", "cid"),
            ("HALO_CLIENT_SECRET", "s"),
            ("HALO_TENANT", "acme"),
        ]);
        let s = open(&ctx, None, &RequestFlags::default()).unwrap();
        assert!(matches!(s.source, Source::Environment));
        assert_eq!(s.client.settings().tenant(), Some("acme"));
        // A named profile wins over the environment.
        let err = open(&ctx, Some("work"), &RequestFlags::default())
            .err()
            .unwrap();
        assert!(err.to_string().contains("no profile is stored"), "{err}");
        let (ctx, _dir) = context(&[("HALO_URL", "https://acme.halopsa.com")]);
        let err = open(&ctx, None, &RequestFlags::default()).err().unwrap();
        assert_eq!(crate::exit::code_for(&err), crate::exit::USAGE);
        assert!(err.to_string().contains("HALO_CLIENT_ID"), "{err}");
        let (ctx, _dir) = context(&[
            ("HALO_URL", "https://x.example"),
            ("HALO_CLIENT_ID", "cid"),
            ("HALO_USERNAME", "jo"),
        ]);
        let err = open(&ctx, None, &RequestFlags::default()).err().unwrap();
        assert!(err.to_string().contains("HALO_PASSWORD"), "{err}");
    }

    #[test]
    fn a_stored_rate_limit_is_used_unless_a_flag_says_otherwise() {
        let flags = RequestFlags::default();
        assert!(
            flags
                .apply(Client::builder(settings()), Some("30/3s"), None)
                .is_ok()
        );
        assert!(
            flags
                .apply(Client::builder(settings()), Some("junk"), None)
                .is_err()
        );
        let off = RequestFlags {
            no_rate_limit: true,
            ..RequestFlags::default()
        };
        assert!(
            off.apply(Client::builder(settings()), Some("junk"), None)
                .is_ok(),
            "the flag wins"
        );
    }

    fn settings() -> ConnectionSettings {
        ConnectionSettings::new(
            "https://x.example",
            "cid",
            Grant::ClientCredentials {
                client_secret: SecretString::from("s"),
            },
        )
        .unwrap()
    }

    #[test]
    fn single_calls_are_bounded_and_walks_are_not_unless_asked() {
        let mut p = RequestFlags::default();
        assert_eq!(p.timeout(false), Some(SINGLE_CALL_TIMEOUT));
        assert_eq!(p.timeout(true), None);
        p.timeout = Some(Duration::from_secs(5));
        assert_eq!(p.timeout(true), Some(Duration::from_secs(5)));
        p.timeout = Some(Duration::ZERO);
        assert_eq!(p.timeout(false), None);
    }
}
