//! `halo profile remove NAME`.

use crate::config::Config;
use crate::context::Context;
use crate::secrets::SecretStore;
use crate::token_cache::FileTokenStore;
use anyhow::Result;
use halopsa::auth::TokenStore;

/// Removes a profile, its secrets and its cached token.
pub fn run(ctx: &mut Context, name: &str) -> Result<()> {
    let mut config = Config::load(ctx.config_dir()?)?;
    let p = config.profile(name)?.clone();
    SecretStore::new(&config.dir, ctx.env()).remove(name, p.secret_store)?;
    FileTokenStore::new(config.tokens_dir(), name).clear();
    config.file.profiles.remove(name);
    if config.file.current_profile.as_deref() == Some(name) {
        config.file.current_profile = None;
    }
    config.save()?;
    writeln!(ctx.io.out(), "removed profile '{name}'")?;
    Ok(())
}
