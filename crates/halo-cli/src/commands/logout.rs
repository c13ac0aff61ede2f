//! `halo logout`.

use crate::commands::Globals;
use crate::config::{Config, GrantKind};
use crate::context::Context;
use crate::secrets::SecretStore;
use crate::token_cache::FileTokenStore;
use anyhow::Result;
use halopsa::auth::TokenStore;

/// Forgets the cached token and the stored secrets of a profile; its settings stay. A
/// browser sign-in's refresh token is first revoked at Halo where Halo offers revocation.
pub async fn run(ctx: &mut Context, globals: &Globals) -> Result<()> {
    let config = Config::load(ctx.config_dir()?)?;
    let name = config.profile_name(globals.profile.as_deref());
    let p = config.profile(&name)?.clone();
    let mut revoked = String::new();
    if p.grant == GrantKind::AuthorizationCode {
        revoked = match revoke(ctx, &name).await {
            Ok(true) => "; the sign-in was revoked at Halo".into(),
            Ok(false) => "; Halo offers no revocation: the sign-in ends when it expires".into(),
            Err(e) => {
                writeln!(
                    ctx.io.err(),
                    "warning: the sign-in could not be revoked at Halo ({}); it is forgotten here",
                    crate::exit::line(&e)
                )?;
                String::new()
            }
        };
    }
    FileTokenStore::new(config.tokens_dir(), &name).clear();
    SecretStore::new(&config.dir, ctx.env()).remove(&name, p.secret_store)?;
    let again = match p.grant {
        GrantKind::AuthorizationCode => format!("halo login --profile {name} ..."),
        _ => format!("halo connect --profile {name} ..."),
    };
    writeln!(
        ctx.io.out(),
        "logged out of '{name}': token and secrets removed{revoked} (run '{again}' to connect again)"
    )?;
    Ok(())
}

/// Revokes the profile's refresh token through its session: whether Halo offers revocation.
async fn revoke(ctx: &Context, name: &str) -> Result<bool> {
    let session = ctx.session(Some(name), &crate::session::RequestFlags::default())?;
    crate::session::bounded(Some(crate::session::SINGLE_CALL_TIMEOUT), async {
        Ok(session.client.revoke_refresh_token().await?)
    })
    .await
}
