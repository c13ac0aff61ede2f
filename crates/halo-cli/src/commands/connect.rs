//! `halo connect`: test a connection, then store it as a profile.

use crate::commands::Globals;
use crate::config::{Config, GrantKind, Profile, check_profile_name};
use crate::context::Context;
use crate::exit::Failure;
use crate::secrets::{SecretKind, SecretStore};
use crate::session::ConnectionSpec;
use anyhow::{Context as _, Result};
use halopsa::Grant;
use secrecy::SecretString;

// The instance and application, shared by `halo connect` and `halo login`. (No doc comment:
// clap would make it the description of the commands that flatten it.)
#[derive(Debug, clap::Args)]
pub struct InstanceFlags {
    /// Instance URL, e.g. https://acme.halopsa.com or https://example.com/halo.
    #[arg(long, env = "HALO_URL")]
    pub url: String,
    /// The API application's client id.
    #[arg(long, env = "HALO_CLIENT_ID")]
    pub client_id: String,
    /// Scopes, space- or comma-separated (default: all).
    #[arg(long, env = "HALO_SCOPES", num_args = 1.., value_delimiter = ',')]
    pub scopes: Vec<String>,
    /// Tenant (hosted instances; discovered from /api/authinfo when omitted).
    #[arg(long, env = "HALO_TENANT")]
    pub tenant: Option<String>,
    /// Authorisation server URL (default: discovered, else {url}/auth).
    #[arg(long, env = "HALO_AUTH_URL")]
    pub auth_url: Option<String>,
    /// Header sent with every request, 'Name: value' (repeatable).
    #[arg(long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// Allow plain http:// to a host other than this machine.
    #[arg(long)]
    pub insecure_http: bool,
}

impl InstanceFlags {
    /// The connection fields with `grant` and `scopes` (the flags' own, or more).
    pub fn spec<'a>(&'a self, grant: Grant, scopes: &'a [String]) -> ConnectionSpec<'a> {
        ConnectionSpec {
            url: &self.url,
            client_id: &self.client_id,
            grant,
            scopes,
            tenant: self.tenant.clone(),
            auth_url: self.auth_url.as_deref(),
            headers: &self.headers,
            insecure_http: self.insecure_http,
        }
    }
}

/// `halo connect`.
#[derive(Debug, clap::Args)]
pub struct ConnectArgs {
    #[command(flatten)]
    pub instance: InstanceFlags,
    /// Client secret on the command line (visible to other users: prefer --client-secret-stdin or HALO_CLIENT_SECRET).
    #[arg(long, value_name = "SECRET")]
    pub client_secret: Option<String>,
    /// Read the client secret from standard input.
    #[arg(long, conflicts_with_all = ["client_secret", "password_stdin"])]
    pub client_secret_stdin: bool,
    /// Use the password grant as this agent (password from --password-stdin or HALO_PASSWORD).
    #[arg(long, env = "HALO_USERNAME")]
    pub username: Option<String>,
    /// Read the password from standard input.
    #[arg(long, requires = "username")]
    pub password_stdin: bool,
    /// Test only; store nothing.
    #[arg(long)]
    pub no_store: bool,
    /// The profile's mirror for `halo sync`, `search` and `query`: a SQLite path or a
    /// postgres:// URL (default: kept as stored, else a SQLite file in halo's data directory).
    #[arg(long, value_name = "PATH|URL")]
    pub mirror: Option<String>,
    /// The rate limit given here is stored in the profile.
    #[command(flatten)]
    pub requests: crate::session::RequestFlags,
}

/// Runs `halo connect`, within its time bound.
pub async fn run(ctx: &mut Context, globals: &Globals, args: ConnectArgs) -> Result<()> {
    let timeout = args.requests.timeout(false);
    crate::session::bounded(timeout, connect(ctx, globals.profile.as_deref(), args)).await
}

async fn connect(ctx: &mut Context, profile_flag: Option<&str>, args: ConnectArgs) -> Result<()> {
    let pacing = &args.requests;
    let mut config = Config::load(ctx.config_dir()?)?;
    let name = config.profile_name(profile_flag);
    check_profile_name(&name)?;
    if profile_flag.is_none() {
        keep_other_instances(ctx, &config, &name, &args.instance.url)?;
    }
    let grant = grant(ctx, &args)?;
    let kind = match grant {
        Grant::Password { .. } => GrantKind::Password,
        _ => GrantKind::ClientCredentials,
    };
    let secrets: Vec<(SecretKind, SecretString)> = match &grant {
        Grant::ClientCredentials { client_secret } => {
            vec![(SecretKind::ClientSecret, client_secret.clone())]
        }
        Grant::Password {
            password,
            client_secret,
            ..
        } => {
            let mut v = vec![(SecretKind::Password, password.clone())];
            if let Some(cs) = client_secret {
                v.push((SecretKind::ClientSecret, cs.clone()));
            }
            v
        }
        _ => Vec::new(),
    };
    let settings = args
        .instance
        .spec(grant, &args.instance.scopes)
        .settings()?;
    let client = client_for(ctx, &config, &settings, pacing)?;
    let report = client
        .test_connection()
        .await
        .context("the connection test failed; nothing was stored")?;
    writeln!(ctx.io.out(), "connected to {}", report.instance)?;
    super::print_report(ctx.io.out(), &report)?;
    if args.no_store {
        writeln!(ctx.io.out(), "not stored (--no-store)")?;
        return Ok(());
    }

    let refs: Vec<(SecretKind, &SecretString)> = secrets.iter().map(|(k, v)| (*k, v)).collect();
    let rate_limit = if pacing.no_rate_limit {
        Some("off".to_string())
    } else {
        pacing
            .rate_limit
            .map(|(n, window)| format!("{n}/{}s", window.as_secs()))
    };
    let stored = Stored {
        grant: kind,
        username: args.username.clone(),
        secrets: &refs,
        rate_limit,
        mirror: args.mirror.clone(),
    };
    store_profile(
        ctx,
        &mut config,
        &name,
        &args.instance,
        (&client, &report),
        stored,
    )
    .await?;
    writeln!(ctx.io.out(), "stored as profile '{name}' (now current)")?;
    Ok(())
}

/// The client of a connection being tried (`halo connect`, `halo login`): the flags' pacing,
/// the shared rate budget, long waits told on a terminal; no token store yet.
pub(crate) fn client_for(
    ctx: &Context,
    config: &Config,
    settings: &halopsa::ConnectionSettings,
    pacing: &crate::session::RequestFlags,
) -> Result<halopsa::Client> {
    Ok(pacing
        .apply(
            crate::session::telling(ctx, halopsa::Client::builder(settings.clone())),
            None,
            Some(&config.budgets_dir()),
        )?
        .build()?)
}

/// What a profile stores beside its instance flags.
pub(crate) struct Stored<'a> {
    /// How it authenticates.
    pub grant: GrantKind,
    /// The password grant's agent.
    pub username: Option<String>,
    /// Its secrets, put where secrets go.
    pub secrets: &'a [(SecretKind, &'a SecretString)],
    /// Its rate limit (`N/SECSs`, `off`), or none for the host's default.
    pub rate_limit: Option<String>,
    /// Its mirror; none keeps the one stored.
    pub mirror: Option<String>,
}

/// Stores a tested connection as profile `name`, now current: the secrets where secrets go,
/// the profile (with the tenant discovery found, so it shows what it connects to), and the
/// token just minted cached under the settings as stored (the discovered tenant included), so
/// the next command makes no token request. Returns where the secrets went.
pub(crate) async fn store_profile(
    ctx: &mut Context,
    config: &mut Config,
    name: &str,
    instance: &InstanceFlags,
    (client, report): (&halopsa::Client, &halopsa::ConnectionReport),
    stored: Stored<'_>,
) -> Result<crate::config::SecretLocation> {
    let location =
        SecretStore::new(&config.dir, ctx.env()).put(name, stored.secrets, ctx.io.err())?;
    let previous = config.file.profiles.get(name);
    let profile = Profile {
        url: report.instance.clone(),
        client_id: instance.client_id.clone(),
        grant: stored.grant,
        username: stored.username,
        scopes: client.settings().scopes().to_vec(),
        tenant: instance.tenant.clone().or_else(|| report.tenant.clone()),
        auth_url: instance.auth_url.clone(),
        headers: instance.headers.clone(),
        insecure_http: instance.insecure_http,
        rate_limit: stored.rate_limit,
        secret_store: location,
        mirror: stored
            .mirror
            .or_else(|| previous.and_then(|p| p.mirror.clone())),
    };
    config
        .file
        .profiles
        .insert(name.to_string(), profile.clone());
    config.file.current_profile = Some(name.to_string());
    config.save()?;
    let mut token = client.token().await?;
    token.fingerprint =
        crate::session::profile_settings(config, ctx.env(), name, &profile)?.fingerprint();
    crate::session::token_store(config, ctx.env(), name, &profile).save(&token);
    Ok(location)
}

/// Connecting without `--profile` never silently replaces the profile of another instance:
/// on a terminal it asks, otherwise it refuses and names the fix.
pub(crate) fn keep_other_instances(
    ctx: &mut Context,
    config: &Config,
    name: &str,
    url: &str,
) -> Result<()> {
    let Some(stored) = config.file.profiles.get(name) else {
        return Ok(());
    };
    let same = |a: &str| a.trim_end_matches('/').to_ascii_lowercase();
    if same(&stored.url) == same(url) {
        return Ok(());
    }
    let question = format!(
        "Profile '{name}' is for {}. Replace it with {url}?",
        stored.url
    );
    if ctx.io.can_prompt() {
        write!(ctx.io.err(), "{question} [y/N] ")?;
        ctx.io.err().flush()?;
        let mut answer = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(ctx.io.input()), &mut answer)?;
        if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
            return Ok(());
        }
    }
    Err(Failure::usage(format!(
        "profile '{name}' is for {}: give --profile NAME to keep both, or --profile {name} to replace it (nothing was changed)",
        stored.url
    )))
}

/// A secret asked for without echo, when a person is at the terminal.
fn prompted(ctx: &Context, what: &str) -> Result<Option<String>> {
    if !ctx.io.can_prompt() {
        return Ok(None);
    }
    let answer = rpassword::prompt_password(format!("{what}: "))
        .context("cannot read the answer from the terminal")?;
    Ok(Some(answer).filter(|a| !a.is_empty()))
}

fn grant(ctx: &mut Context, args: &ConnectArgs) -> Result<Grant> {
    let env = ctx.env().clone();
    let from_env = |name: &str| env.var(name);
    let stdin_secret = if args.client_secret_stdin || args.password_stdin {
        Some(crate::input::secret_from_stdin(ctx)?)
    } else {
        None
    };
    if args.client_secret.is_some() {
        writeln!(
            ctx.io.err(),
            "warning: a secret given on the command line is visible to other users of this machine; prefer --client-secret-stdin or HALO_CLIENT_SECRET"
        )?;
    }
    let client_secret = if args.client_secret_stdin {
        stdin_secret.clone()
    } else {
        args.client_secret
            .clone()
            .or_else(|| from_env("HALO_CLIENT_SECRET"))
    }
    .map(SecretString::from);
    match &args.username {
        Some(username) => {
            let given = if args.password_stdin {
                stdin_secret
            } else {
                from_env("HALO_PASSWORD")
            };
            let password = match given {
                Some(p) => Some(p),
                None => prompted(ctx, &format!("Password for {username}"))?,
            }
            .ok_or_else(|| {
                Failure::usage("--username needs a password: --password-stdin or HALO_PASSWORD")
            })?;
            Ok(Grant::Password {
                username: username.clone(),
                password: SecretString::from(password),
                client_secret,
            })
        }
        None => Ok(Grant::ClientCredentials {
            client_secret: match client_secret {
                Some(s) => Some(s),
                None => prompted(ctx, &format!("Client secret of {}", args.instance.client_id))?
                    .map(SecretString::from),
            }
            .ok_or_else(|| {
                Failure::usage(
                    "a client secret is needed: --client-secret-stdin, HALO_CLIENT_SECRET or --client-secret (or --username for the password grant)",
                )
            })?,
        }),
    }
}
