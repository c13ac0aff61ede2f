//! `halo`: the command line for Halo.

use halo_cli::{Context, logging};
use std::process::ExitCode;

fn main() -> ExitCode {
    // `COMPLETE=bash halo -- ...` is the shell asking what may come next.
    halo_cli::complete::answer_if_asked();
    // clap prints help/version with exit 0 and usage errors with exit 2.
    let cli = halo_cli::parse(std::env::args_os()).unwrap_or_else(|e| e.exit());
    logging::init(cli.verbose);
    // A client mostly waits on the network, and one thread does that with the least overhead
    // (no hand-offs between threads); the sandbox, and the demo that runs one, serve on all
    // cores.
    let mut runtime = if cli.serves() {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    let mut ctx = Context::system();
    match runtime.enable_all().build() {
        Ok(runtime) => ExitCode::from(runtime.block_on(halo_cli::execute(&mut ctx, cli))),
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            ExitCode::from(1)
        }
    }
}
