//! `halo profile use NAME`.

use crate::config::Config;
use crate::context::Context;
use anyhow::Result;

/// Makes `name` the current profile.
pub fn run(ctx: &mut Context, name: &str) -> Result<()> {
    let mut config = Config::load(ctx.config_dir()?)?;
    config.profile(name)?;
    config.file.current_profile = Some(name.to_string());
    config.save()?;
    writeln!(ctx.io.out(), "current profile: {name}")?;
    Ok(())
}
