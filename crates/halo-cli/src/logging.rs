//! Logging to stderr: `-v` requests, `-vv` headers, `-vvv` bodies; `RUST_LOG` overrides.
//!
//! Secrets never reach a log line: the library redacts headers and bodies itself, and the
//! HTTP stack's own crates stay at `info` whatever the verbosity.

use tracing_subscriber::EnvFilter;

/// Installs the subscriber.
pub fn init(verbosity: u8) {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.is_empty())
        .and_then(|v| EnvFilter::try_new(v).ok())
        .unwrap_or_else(|| EnvFilter::new(directives(verbosity)));
    use std::io::IsTerminal;
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(std::io::stderr)
        .with_target(verbosity >= 2)
        .try_init();
}

fn directives(verbosity: u8) -> &'static str {
    match verbosity {
        0 => "warn",
        1 => "warn,halopsa=debug,halo_cli=debug",
        2 => "warn,halopsa=debug,halo_cli=debug,halopsa::http::headers=trace",
        _ => "info,halopsa=trace,halo_cli=trace,halo_sandbox=debug",
    }
}
