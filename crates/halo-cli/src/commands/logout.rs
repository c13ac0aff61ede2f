//! `halo logout`.

use crate::commands::Globals;
use crate::config::Config;
use crate::context::Context;
use crate::secrets::SecretStore;
use crate::token_cache::FileTokenStore;
use anyhow::Result;
use halopsa::auth::TokenStore;

/// Forgets the cached token and the stored secrets of a profile; its settings stay.
pub fn run(ctx: &mut Context, globals: &Globals) -> Result<()> {
    let config = Config::load(ctx.config_dir()?)?;
    let name = config.profile_name(globals.profile.as_deref());
    let p = config.profile(&name)?;
    FileTokenStore::new(config.tokens_dir(), &name).clear();
    SecretStore::new(&config.dir, ctx.env()).remove(&name, p.secret_store)?;
    writeln!(
        ctx.io.out(),
        "logged out of '{name}': token and secrets removed (run 'halo connect --profile {name} ...' to connect again)"
    )?;
    Ok(())
}
