//! Exit codes (documented in README) and the mapping from errors to them.

use std::fmt;
use std::process::ExitCode;

/// Success.
pub const OK: u8 = 0;
/// Any other error.
pub const OTHER: u8 = 1;
/// Bad usage: flags, arguments, input files.
pub const USAGE: u8 = 2;
/// Authentication or permission.
pub const AUTH: u8 = 3;
/// Not found.
pub const NOT_FOUND: u8 = 4;
/// Rate limit exhausted.
pub const RATE_LIMIT: u8 = 5;
/// The command ran out of the time `--timeout` gave it.
pub const TIMED_OUT: u8 = 6;
/// Interrupted (Ctrl-C), as shells report a command that SIGINT stopped: 128 + 2.
pub const INTERRUPTED: u8 = 130;

/// An error raised by the CLI itself, with its exit code.
#[derive(Debug)]
pub struct Failure {
    /// One of the codes above.
    pub code: u8,
    /// One line for the user.
    pub message: String,
}

impl Failure {
    /// A usage error (exit 2).
    pub fn usage(message: impl Into<String>) -> anyhow::Error {
        anyhow::Error::new(Failure {
            code: USAGE,
            message: message.into(),
        })
    }

    /// An authentication error (exit 3).
    pub fn auth(message: impl Into<String>) -> anyhow::Error {
        anyhow::Error::new(Failure {
            code: AUTH,
            message: message.into(),
        })
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// The exit code for an error: the first error in the chain that knows one decides.
pub fn code_for(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if let Some(f) = cause.downcast_ref::<Failure>() {
            return f.code;
        }
        if let Some(e) = cause.downcast_ref::<halopsa::Error>() {
            return if e.is_rate_limited() {
                RATE_LIMIT
            } else if e.is_auth() {
                AUTH
            } else if e.is_not_found() {
                NOT_FOUND
            } else if matches!(e, halopsa::Error::Config(_)) {
                USAGE
            } else {
                OTHER
            };
        }
    }
    OTHER
}

/// Prints the error on one line to stderr and returns its exit code. Whatever the error
/// quotes, no secret this process sent is printed (`halopsa::redact::scrub`).
pub fn report(err: &anyhow::Error) -> ExitCode {
    let text = format!("{err:#}");
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    eprintln!("error: {}", halopsa::redact::scrub(&line));
    ExitCode::from(code_for(err))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halo_errors_map_to_their_codes() {
        let auth = anyhow::Error::new(halopsa::Error::Auth(halopsa::AuthError::InvalidClient {
            description: None,
        }));
        assert_eq!(code_for(&auth), AUTH);
        let nf = anyhow::Error::new(halopsa::Error::Api(halopsa::ApiError {
            status: 404,
            method: "GET".into(),
            path: "/api/x".into(),
            message: "not found".into(),
            body: String::new(),
        }));
        assert_eq!(code_for(&nf.context("loading")), NOT_FOUND);
        assert_eq!(code_for(&Failure::usage("bad")), USAGE);
        assert_eq!(code_for(&anyhow::anyhow!("x")), OTHER);
    }
}
