//! Exit codes (documented in README) and the mapping from errors to them.

use std::fmt;

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

    /// Nothing has the name or id given (exit 4).
    pub fn not_found(message: impl Into<String>) -> anyhow::Error {
        anyhow::Error::new(Failure {
            code: NOT_FOUND,
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
            } else if e.is_usage() {
                USAGE
            } else {
                OTHER
            };
        }
    }
    OTHER
}

/// The error as one line, with a hint in the CLI's own terms (which flag to give) where the
/// library's error calls for one. Whatever the error quotes, no secret this process sent is
/// in it (`halopsa::redact::scrub`).
pub fn line(err: &anyhow::Error) -> String {
    let text = format!("{err:#}");
    let mut line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some(hint) = err
        .chain()
        .find_map(|c| c.downcast_ref::<halopsa::Error>())
        .and_then(hint)
    {
        line = format!("{line}; {hint}");
    }
    halopsa::redact::scrub(&line).into_owned()
}

/// Which flag mends a library error, where one does.
fn hint(e: &halopsa::Error) -> Option<&'static str> {
    use halopsa::{AuthError, Error, retry::GiveUp};
    match e {
        Error::InsecureHttp { .. } => Some("--insecure-http allows it (never recommended)"),
        Error::TlsNotSetUp { .. } => Some("give the auth URL with --auth-url"),
        Error::TooLarge { .. } => Some("--max-response-size raises the limit"),
        Error::UnknownFilter(_) => {
            Some("--help lists the filters; --allow-unknown-filter sends it anyway")
        }
        Error::Auth(AuthError::UnknownTenant { .. }) => Some("give it with --tenant"),
        Error::Auth(
            AuthError::SignInExpired { .. }
            | AuthError::SignInNeeded
            | AuthError::CodeRejected { .. },
        ) => Some("run 'halo login' to sign in"),
        Error::Auth(AuthError::NotJson { .. } | AuthError::Redirected { .. }) => {
            Some("--auth-url names the authorisation server")
        }
        _ => match e.gave_up() {
            Some(g) if g.why == GiveUp::Exhausted && g.attempts > 1 => {
                Some("--max-retries N allows more")
            }
            Some(g) if g.why == GiveUp::Exhausted => Some("--max-retries N retries it"),
            _ => None,
        },
    }
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
            gave_up: None,
        }));
        assert_eq!(code_for(&nf.context("loading")), NOT_FOUND);
        assert_eq!(code_for(&Failure::usage("bad")), USAGE);
        let http = anyhow::Error::new(halopsa::Error::InsecureHttp {
            host: "halo.example.com".into(),
        });
        assert_eq!(code_for(&http), USAGE);
        let shown = line(&http.context("connecting"));
        assert!(
            shown.starts_with("connecting: refusing plain http:// to halo.example.com")
                && shown.ends_with("; --insecure-http allows it (never recommended)"),
            "{shown}"
        );
        assert_eq!(code_for(&anyhow::anyhow!("x")), OTHER);
    }
}
