//! `halo profile show [NAME]`.

use crate::config::{Config, SecretLocation};
use crate::context::Context;
use anyhow::Result;

/// Shows a profile's settings, never its secrets (secret-looking headers redacted).
pub fn run(ctx: &mut Context, name: Option<&str>) -> Result<()> {
    let config = Config::load(ctx.config_dir()?)?;
    let name = config.profile_name(name);
    let p = config.profile(&name)?;
    let out = ctx.io.out();
    writeln!(out, "profile:      {name}")?;
    writeln!(out, "url:          {}", p.url)?;
    writeln!(out, "client id:    {}", p.client_id)?;
    writeln!(out, "grant:        {}", super::grant_name(p.grant))?;
    if let Some(u) = &p.username {
        writeln!(out, "username:     {u}")?;
    }
    writeln!(out, "scopes:       {}", p.scopes.join(" "))?;
    writeln!(
        out,
        "tenant:       {}",
        p.tenant.as_deref().unwrap_or("(discovered)")
    )?;
    if let Some(a) = &p.auth_url {
        writeln!(out, "auth url:     {a}")?;
    }
    for h in &p.headers {
        let (n, v) = h.split_once(':').unwrap_or((h, ""));
        let (n, v) = (n.trim(), v.trim());
        writeln!(
            out,
            "header:       {n}: {}",
            halopsa::redact::header_value(n, v)
        )?;
    }
    let secret_in = match p.secret_store {
        SecretLocation::Keyring => "OS keyring".to_string(),
        SecretLocation::File => config.dir.join("secrets.toml").display().to_string(),
    };
    writeln!(out, "secrets in:   {secret_in}")?;
    Ok(())
}
