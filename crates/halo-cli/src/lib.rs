//! `halo`, the command line for Halo (HaloPSA, HaloITSM, HaloCRM), as a library: the binary
//! is [`parse`] and [`execute`] on the process's [`Context`]; tests run any command
//! in-process on [`Context::test`] and read what it printed.
//!
//! ```no_run
//! # async fn demo() {
//! let (mut ctx, printed) = halo_cli::Context::test();
//! let code = halo_cli::run(&mut ctx, &["halo", "resources", "-o", "json"]).await;
//! assert_eq!(code, 0);
//! assert!(printed.out().contains("\"tickets\""));
//! # }
//! ```

mod budget;
mod cli;
mod commands;
pub mod complete;
mod config;
mod context;
mod exit;
mod fsutil;
mod help;
mod input;
pub mod logging;
mod names;
mod output;
mod secrets;
mod session;
mod suggest;
mod token_cache;

pub use cli::Cli;
pub use context::{Captured, Context, Env, IoStreams};

use std::ffi::OsString;

/// Parses a command line (the first word being the program's name), building only the
/// commands it names.
pub fn parse<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    use clap::FromArgMatches;
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let mut cmd = cli::command_for(&args);
    let matches = match cmd.try_get_matches_from_mut(&args) {
        Ok(matches) => matches,
        Err(e) => return Err(suggest::improve(e, &cmd, &args)),
    };
    Cli::from_arg_matches(&matches)
}

/// Runs a parsed command line in `ctx`: an error is printed on one line to its standard
/// error (no secret in it); returns the exit code (see README).
pub async fn execute(ctx: &mut Context, cli: Cli) -> u8 {
    // On the heap: every command's state in one future is too big for a small stack
    // (a test thread's 2 MiB, in a debug build).
    let done = Box::pin(commands::run(ctx, cli)).await;
    ctx.io.close_pager();
    match done {
        Ok(()) => exit::OK,
        // The reader went away (`halo tickets list | head`): it has what it wanted.
        Err(e) if closed_pipe(&e) => exit::OK,
        Err(e) => {
            let _ = writeln!(ctx.io.err(), "error: {}", exit::line(&e));
            exit::code_for(&e)
        }
    }
}

/// Whether an error is standard output's reader having gone away (an I/O error, or one that
/// JSON or CSV writing wrapped).
fn closed_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        let kind = match (
            c.downcast_ref::<std::io::Error>(),
            c.downcast_ref::<serde_json::Error>(),
            c.downcast_ref::<csv::Error>(),
        ) {
            (Some(io), _, _) => Some(io.kind()),
            (_, Some(json), _) => json.io_error_kind(),
            (_, _, Some(csv)) => match csv.kind() {
                csv::ErrorKind::Io(io) => Some(io.kind()),
                _ => None,
            },
            _ => None,
        };
        kind == Some(std::io::ErrorKind::BrokenPipe)
    })
}

/// [`parse`] and [`execute`] in `ctx`; help, the version and usage errors are printed as
/// clap words them (help to standard output with exit 0, usage errors to standard error
/// with exit 2).
pub async fn run<I, T>(ctx: &mut Context, args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    match parse(args) {
        Ok(cli) => execute(ctx, cli).await,
        Err(e) => {
            let text = e.render().to_string();
            let code = e.exit_code();
            let stream = if e.use_stderr() {
                ctx.io.err()
            } else {
                ctx.io.out()
            };
            let _ = stream.write_all(text.as_bytes());
            u8::try_from(code).unwrap_or(exit::OTHER)
        }
    }
}
