//! `halo`: the command line for Halo.

mod cli;
mod commands;
mod config;
mod exit;
mod fsutil;
mod input;
mod logging;
mod output;
mod secrets;
mod session;
mod token_cache;

use clap::FromArgMatches;
use cli::{AuthCommand, Cli, Command};
use std::process::ExitCode;

fn main() -> ExitCode {
    // clap prints help/version with exit 0 and usage errors with exit 2.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let matches = cli::command_for(&args).get_matches_from(args);
    logging::init(matches.get_count("verbose"));
    // A client mostly waits on the network, and one thread does that with the least overhead
    // (no hand-offs between threads); the sandbox, and the demo that runs one, serve on all
    // cores.
    let mut runtime = match matches.subcommand_name() {
        Some("sandbox" | "demo") => tokio::runtime::Builder::new_multi_thread(),
        _ => tokio::runtime::Builder::new_current_thread(),
    };
    match runtime.enable_all().build() {
        Ok(runtime) => runtime.block_on(run_matches(matches)),
        Err(e) => exit::report(&anyhow::anyhow!("cannot start the async runtime: {e}")),
    }
}

async fn run_matches(matches: clap::ArgMatches) -> ExitCode {
    let result = match matches.subcommand() {
        Some((name, sub)) if name == "export" || commands::resource::find(name).is_some() => {
            let globals = commands::resource::Globals {
                profile: sub_or_top(&matches, sub, "profile"),
                output: output::OutputOptions::detect(
                    sub_or_top::<output::Format>(&matches, sub, "output"),
                    columns(&matches, sub),
                ),
                pacing: pacing(sub),
            };
            match commands::resource::find(name) {
                Some(res) => commands::resource::run(res, sub, globals).await,
                None => commands::export::run(sub, globals).await,
            }
        }
        _ => match Cli::from_arg_matches(&matches) {
            Ok(cli) => run(cli).await,
            Err(e) => e.exit(),
        },
    };
    match result {
        Ok(()) => ExitCode::from(exit::OK),
        Err(e) => exit::report(&e),
    }
}

/// A global option, wherever on the line it was given.
fn sub_or_top<T: Clone + Send + Sync + 'static>(
    top: &clap::ArgMatches,
    sub: &clap::ArgMatches,
    id: &str,
) -> Option<T> {
    let deepest = std::iter::successors(Some(sub), |m| m.subcommand().map(|(_, s)| s)).last();
    deepest
        .and_then(|m| m.try_get_one::<T>(id).ok().flatten().cloned())
        .or_else(|| top.try_get_one::<T>(id).ok().flatten().cloned())
}

/// The pacing flags of the deepest subcommand (resource verbs and exports carry them).
fn pacing(sub: &clap::ArgMatches) -> session::Pacing {
    let deepest = std::iter::successors(Some(sub), |m| m.subcommand().map(|(_, s)| s)).last();
    deepest
        .and_then(|m| <session::Pacing as FromArgMatches>::from_arg_matches(m).ok())
        .unwrap_or_default()
}

fn columns(top: &clap::ArgMatches, sub: &clap::ArgMatches) -> Option<Vec<String>> {
    let deepest = std::iter::successors(Some(sub), |m| m.subcommand().map(|(_, s)| s)).last();
    [deepest, Some(top)].into_iter().flatten().find_map(|m| {
        m.try_get_many::<String>("columns")
            .ok()
            .flatten()
            .map(|v| v.cloned().collect())
    })
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let profile = cli.profile.as_deref();
    let output = output::OutputOptions::detect(cli.output, cli.columns.clone());
    match cli.command {
        Command::Connect(args) => {
            let timeout = args.pacing.timeout(false);
            session::bounded(timeout, commands::connect::run(args, profile)).await
        }
        Command::Profile(cmd) => commands::profile::run(cmd, profile),
        Command::Auth(AuthCommand::Status(pacing)) => {
            session::bounded(
                pacing.timeout(false),
                commands::auth::status(profile, &pacing),
            )
            .await
        }
        Command::Logout => commands::auth::logout(profile),
        Command::Sandbox(args) => commands::sandbox::run(args).await,
        Command::Demo => commands::demo::run().await,
        Command::Resources => commands::resources::run(&output),
        Command::Api(args) => {
            let timeout = args.pacing.timeout(args.paginate);
            session::bounded(timeout, commands::api::run(args, profile, &output)).await
        }
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut cli::command(), "halo", &mut std::io::stdout());
            Ok(())
        }
        Command::Man => {
            clap_mangen::Man::new(cli::command()).render(&mut std::io::stdout())?;
            Ok(())
        }
    }
}
