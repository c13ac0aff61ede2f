//! `halo completions SHELL` and `halo man`: the command tree, for shells and for man.

use crate::context::Context;
use anyhow::Result;

/// Prints the completion script for `shell` (see [`crate::complete`]).
pub fn completions(ctx: &mut Context, shell: clap_complete::Shell) -> Result<()> {
    crate::complete::registration(ctx, shell)
}

/// Prints the man page (roff).
pub fn man(ctx: &mut Context) -> Result<()> {
    clap_mangen::Man::new(crate::cli::command()).render(ctx.io.out())?;
    Ok(())
}
