//! `halo auth ...`: the authentication state of the connection in use.

mod status;

use crate::commands::Globals;
use crate::context::Context;
use anyhow::Result;

/// `halo auth ...`.
#[derive(Debug, clap::Subcommand)]
pub enum AuthCommand {
    /// Check the connection in use and show who it acts as.
    Status(status::StatusArgs),
}

/// Runs an auth subcommand.
pub async fn run(ctx: &mut Context, globals: &Globals, cmd: AuthCommand) -> Result<()> {
    match cmd {
        AuthCommand::Status(args) => status::run(ctx, globals, args).await,
    }
}
