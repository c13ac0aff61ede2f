//! `halo connect`: test a connection, then store it as a profile.

use crate::cli::ConnectArgs;
use crate::config::{Config, GrantKind, Profile, check_profile_name};
use crate::exit::Failure;
use crate::secrets::{SecretKind, SecretStore};
use crate::session::ConnectionSpec;
use crate::token_cache::FileTokenStore;
use anyhow::{Context, Result};
use halopsa::Grant;
use halopsa::auth::TokenStore;
use secrecy::SecretString;
use std::io::Read;

/// Runs `halo connect`.
pub async fn run(args: ConnectArgs, profile_flag: Option<&str>) -> Result<()> {
    let pacing = &args.pacing;
    let mut config = Config::load()?;
    let name = profile_flag
        .unwrap_or(crate::config::DEFAULT_PROFILE)
        .to_string();
    check_profile_name(&name)?;
    let grant = grant(&args)?;
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
    let settings = ConnectionSpec {
        url: &args.url,
        client_id: &args.client_id,
        grant,
        scopes: &args.scopes,
        tenant: args.tenant.clone(),
        auth_url: args.auth_url.as_deref(),
        headers: &args.headers,
        insecure_http: args.insecure_http,
    }
    .settings()?;
    let client = pacing
        .apply(halopsa::Client::builder(settings.clone()), None)?
        .build()?;
    let report = client
        .test_connection()
        .await
        .context("the connection test failed; nothing was stored")?;
    println!("connected to {}", report.instance);
    super::print_report(&report);
    if args.no_store {
        println!("not stored (--no-store)");
        return Ok(());
    }

    let refs: Vec<(SecretKind, &SecretString)> = secrets.iter().map(|(k, v)| (*k, v)).collect();
    let location = SecretStore::new(&config.dir).put(&name, &refs)?;
    config.file.profiles.insert(
        name.clone(),
        Profile {
            url: report.instance.clone(),
            client_id: args.client_id.clone(),
            grant: kind,
            username: args.username.clone(),
            scopes: settings.scopes().to_vec(),
            tenant: args.tenant.clone(),
            auth_url: args.auth_url.clone(),
            headers: args.headers.clone(),
            insecure_http: args.insecure_http,
            rate_limit: if pacing.no_rate_limit {
                Some("off".to_string())
            } else {
                pacing
                    .rate_limit
                    .map(|(n, window)| format!("{n}/{}s", window.as_secs()))
            },
            secret_store: location,
        },
    );
    config.file.current_profile = Some(name.clone());
    config.save()?;
    // The token just minted is cached, so the next command makes no token request.
    FileTokenStore::new(config.tokens_dir(), &name).save(&client.token().await?);
    println!("stored as profile '{name}' (now current)");
    Ok(())
}

fn grant(args: &ConnectArgs) -> Result<Grant> {
    let from_env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let stdin_secret = if args.client_secret_stdin || args.password_stdin {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read standard input")?;
        let text = text.trim_end_matches(['\r', '\n']).to_string();
        if text.is_empty() {
            return Err(Failure::usage(
                "standard input was empty: pipe the secret in",
            ));
        }
        Some(text)
    } else {
        None
    };
    if args.client_secret.is_some() {
        eprintln!(
            "warning: a secret given on the command line is visible to other users of this machine; prefer --client-secret-stdin or HALO_CLIENT_SECRET"
        );
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
            let password = if args.password_stdin {
                stdin_secret
            } else {
                from_env("HALO_PASSWORD")
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
            client_secret: client_secret.ok_or_else(|| {
                Failure::usage(
                    "a client secret is needed: --client-secret-stdin, HALO_CLIENT_SECRET or --client-secret (or --username for the password grant)",
                )
            })?,
        }),
    }
}
