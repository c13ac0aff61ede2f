//! `halo completions SHELL` and `halo man`: the command tree, described.

use crate::context::Context;
use anyhow::Result;

/// Prints a completion script for `shell`.
pub fn completions(ctx: &mut Context, shell: clap_complete::Shell) -> Result<()> {
    clap_complete::generate(shell, &mut crate::cli::command(), "halo", ctx.io.out());
    Ok(())
}

/// Prints the man page (roff).
pub fn man(ctx: &mut Context) -> Result<()> {
    clap_mangen::Man::new(crate::cli::command()).render(ctx.io.out())?;
    Ok(())
}
