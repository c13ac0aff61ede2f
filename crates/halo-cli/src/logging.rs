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
        .with_writer(|| Scrubbed(std::io::stderr()))
        .with_target(verbosity >= 2)
        .try_init();
}

/// Standard error with every secret this process sent taken out of each line written (the
/// HTTP stack's own crates log too, at trace level, outside the library's redaction).
struct Scrubbed(std::io::Stderr);

impl std::io::Write for Scrubbed {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.0.write_all(halopsa::redact::scrub(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

fn directives(verbosity: u8) -> &'static str {
    match verbosity {
        0 => "warn",
        1 => "warn,halopsa=debug,halo_cli=debug",
        2 => "warn,halopsa=debug,halo_cli=debug,halopsa::http::headers=trace",
        _ => "info,halopsa=trace,halo_cli=trace,halo_sandbox=debug",
    }
}
