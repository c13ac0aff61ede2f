//! `halo auth status` and `halo logout`.

use crate::config::Config;
use crate::secrets::SecretStore;
use crate::session::{self, Source};
use crate::token_cache::FileTokenStore;
use anyhow::Result;
use halopsa::auth::TokenStore;

/// `halo auth status`: uses the cached token when it is still good (no token request).
pub async fn status(profile_flag: Option<&str>, pacing: &session::Pacing) -> Result<()> {
    let s = session::open(profile_flag, pacing)?;
    match &s.source {
        Source::Profile(name) => println!("profile '{name}'"),
        Source::Environment => println!("connection from HALO_URL and related variables"),
    }
    let report = s.client.test_connection().await?;
    super::print_report(&report);
    Ok(())
}

/// `halo logout`: forgets the cached token and the stored secrets; the profile's settings stay.
pub fn logout(profile_flag: Option<&str>) -> Result<()> {
    let config = Config::load()?;
    let name = config.profile_name(profile_flag);
    let p = config.profile(&name)?;
    FileTokenStore::new(config.tokens_dir(), &name).clear();
    SecretStore::new(&config.dir).remove(&name, p.secret_store)?;
    println!(
        "logged out of '{name}': token and secrets removed (run 'halo connect --profile {name} ...' to connect again)"
    );
    Ok(())
}
