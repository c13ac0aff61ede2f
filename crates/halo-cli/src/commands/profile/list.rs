//! `halo profile list`.

use crate::config::Config;
use crate::context::Context;
use anyhow::Result;

/// Lists the stored profiles, `*` marking the current one.
pub fn run(ctx: &mut Context) -> Result<()> {
    let config = Config::load(ctx.config_dir()?)?;
    let out = ctx.io.out();
    if config.file.profiles.is_empty() {
        writeln!(out, "no profiles: run 'halo connect'")?;
    }
    let current = config.file.current_profile.as_deref();
    for (name, p) in &config.file.profiles {
        let mark = if Some(name.as_str()) == current {
            "*"
        } else {
            " "
        };
        writeln!(
            out,
            "{mark} {name}\t{}\t{}",
            p.url,
            super::grant_name(p.grant)
        )?;
    }
    Ok(())
}
