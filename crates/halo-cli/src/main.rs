//! `halo`: the command line for Halo.

mod cli;
mod commands;
mod config;
mod exit;
mod fsutil;
mod logging;
mod secrets;
mod session;
mod token_cache;

use clap::Parser;
use cli::{AuthCommand, Cli, Command};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // clap prints help/version with exit 0 and usage errors with exit 2.
        Err(e) => e.exit(),
    };
    logging::init(cli.verbose);
    match run(cli).await {
        Ok(()) => ExitCode::from(exit::OK),
        Err(e) => exit::report(&e),
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let profile = cli.profile.as_deref();
    match cli.command {
        Command::Connect(args) => commands::connect::run(args, profile).await,
        Command::Profile(cmd) => commands::profile::run(cmd, profile),
        Command::Auth(AuthCommand::Status) => commands::auth::status(profile).await,
        Command::Logout => commands::auth::logout(profile),
        Command::Sandbox(args) => commands::sandbox::run(args).await,
        Command::Demo => commands::demo::run().await,
    }
}
