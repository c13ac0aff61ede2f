//! `halo profile list`.

use crate::commands::Globals;
use crate::config::Config;
use crate::context::Context;
use crate::output::{Format, RowWriter};
use anyhow::Result;
use serde_json::json;

/// Lists the stored profiles (`-o` and `--columns` apply): `current` is `*` in a table, a
/// boolean in the other formats.
pub fn run(ctx: &mut Context, globals: &Globals) -> Result<()> {
    let config = Config::load(ctx.config_dir()?)?;
    if config.file.profiles.is_empty() && globals.output.effective() == Format::Table {
        writeln!(ctx.io.err(), "no profiles: run 'halo connect'")?;
        return Ok(());
    }
    let mut options = globals.output.clone();
    if options.columns.is_none() {
        options.columns = Some(
            ["current", "name", "url", "grant"]
                .map(String::from)
                .to_vec(),
        );
    }
    let current = config.file.current_profile.as_deref();
    let marked = globals.output.effective() == Format::Table;
    let mut writer = RowWriter::new(ctx.io.out(), &options);
    for (name, p) in &config.file.profiles {
        let is_current = Some(name.as_str()) == current;
        writer.row(&json!({
            "current": match (marked, is_current) {
                (true, true) => json!("*"),
                (true, false) => json!(""),
                (false, current) => json!(current),
            },
            "name": name,
            "url": p.url,
            "grant": super::grant_name(p.grant),
            "tenant": p.tenant,
            "scopes": p.scopes,
        }))?;
    }
    writer.finish()?.flush()?;
    Ok(())
}
