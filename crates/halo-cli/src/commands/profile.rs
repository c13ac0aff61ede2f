//! `halo profile list | use | show | remove`.

use crate::cli::ProfileCommand;
use crate::config::{Config, GrantKind, SecretLocation};
use crate::secrets::SecretStore;
use crate::token_cache::FileTokenStore;
use anyhow::Result;
use halopsa::auth::TokenStore;

/// Runs a profile subcommand.
pub fn run(cmd: ProfileCommand, profile_flag: Option<&str>) -> Result<()> {
    let mut config = Config::load()?;
    match cmd {
        ProfileCommand::List => {
            if config.file.profiles.is_empty() {
                println!("no profiles: run 'halo connect'");
            }
            let current = config.file.current_profile.as_deref();
            for (name, p) in &config.file.profiles {
                let mark = if Some(name.as_str()) == current {
                    "*"
                } else {
                    " "
                };
                println!("{mark} {name}\t{}\t{}", p.url, grant_name(p.grant));
            }
        }
        ProfileCommand::Use { name } => {
            config.profile(&name)?;
            config.file.current_profile = Some(name.clone());
            config.save()?;
            println!("current profile: {name}");
        }
        ProfileCommand::Show { name } => {
            let name = config.profile_name(name.as_deref().or(profile_flag));
            let p = config.profile(&name)?;
            println!("profile:      {name}");
            println!("url:          {}", p.url);
            println!("client id:    {}", p.client_id);
            println!("grant:        {}", grant_name(p.grant));
            if let Some(u) = &p.username {
                println!("username:     {u}");
            }
            println!("scopes:       {}", p.scopes.join(" "));
            println!(
                "tenant:       {}",
                p.tenant.as_deref().unwrap_or("(discovered)")
            );
            if let Some(a) = &p.auth_url {
                println!("auth url:     {a}");
            }
            for h in &p.headers {
                let (n, v) = h.split_once(':').unwrap_or((h, ""));
                let (n, v) = (n.trim(), v.trim());
                println!("header:       {n}: {}", halopsa::redact::header_value(n, v));
            }
            let secret_in = match p.secret_store {
                SecretLocation::Keyring => "OS keyring".to_string(),
                SecretLocation::File => config.dir.join("secrets.toml").display().to_string(),
            };
            println!("secrets in:   {secret_in}");
        }
        ProfileCommand::Remove { name } => {
            let p = config.profile(&name)?.clone();
            SecretStore::new(&config.dir).remove(&name, p.secret_store)?;
            FileTokenStore::new(config.tokens_dir(), &name).clear();
            config.file.profiles.remove(&name);
            if config.file.current_profile.as_deref() == Some(name.as_str()) {
                config.file.current_profile = None;
            }
            config.save()?;
            println!("removed profile '{name}'");
        }
    }
    Ok(())
}

fn grant_name(g: GrantKind) -> &'static str {
    match g {
        GrantKind::ClientCredentials => "client_credentials",
        GrantKind::Password => "password",
    }
}
