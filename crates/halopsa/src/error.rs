//! The library's one public error type, and the parsing of Halo's many error-body shapes.

use crate::filter::UnknownFilter;
use crate::retry::GaveUp;
use std::sync::Arc;
use thiserror::Error;

/// Everything that can go wrong talking to Halo.
///
/// Messages say what is wrong in the library's terms; a caller (the CLI) adds hints in its
/// own (which flag to give), matching on the variant.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// The connection settings are unusable: a bad URL, header, scope or client id.
    #[error("{0}")]
    InvalidSettings(String),
    /// Plain `http://` to a host other than this machine, which the settings do not allow.
    #[error(
        "refusing plain http:// to {host}: credentials and data would cross the network unencrypted; use https://"
    )]
    InsecureHttp {
        /// The host named.
        host: String,
    },
    /// An `https` URL reached from settings that name only plain-http ones, so no TLS was set
    /// up (an authorisation server discovered on https for a local http instance).
    #[error("the instance is plain http but {url} is https, and no TLS was set up for it")]
    TlsNotSetUp {
        /// The https URL.
        url: String,
    },
    /// An operation the resource does not support in Halo.
    #[error("Halo does not support {operation} on {resource} ({path})")]
    Unsupported {
        /// The resource's CLI name.
        resource: &'static str,
        /// Its path below `/api`.
        path: &'static str,
        /// What was asked.
        operation: Operation,
    },
    /// Input that cannot be sent as it is (an object with an id to create, an action without
    /// its ticket, a paging parameter as a filter...).
    #[error("{0}")]
    InvalidInput(String),
    /// A filter name Halo's OpenAPI file does not list for the call (Halo would ignore it).
    #[error(transparent)]
    UnknownFilter(#[from] UnknownFilter),
    /// The HTTP client or a request could not be built.
    #[error("{0}")]
    Setup(String),
    /// Authentication failed; the message names what to fix.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// Halo answered with an error status.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The request got no reply (DNS, TCP, TLS, timeout, a connection cut mid-body...).
    #[error("could not reach {url}: {reason}{}", gave_up_text(.gave_up))]
    Transport {
        /// The URL requested (no secrets in it).
        url: String,
        /// The innermost cause, readable.
        reason: String,
        /// Whether the request may have reached the server (false: it failed before anything
        /// was written, e.g. a refused connection).
        sent: bool,
        /// Why the retries stopped, when they did.
        gave_up: Option<Box<GaveUp>>,
        /// The HTTP client's error (its text is `reason`; kept out of `source()` so a chain of
        /// causes does not say it twice).
        cause: Arc<reqwest::Error>,
    },
    /// A streamed transfer in which nothing moved (no byte sent, no head, no byte received)
    /// for the client's timeout.
    #[error("nothing moved to or from {url} for {} s: the transfer was given up", .idle.as_secs())]
    Stalled {
        /// The URL requested.
        url: String,
        /// How long nothing moved.
        idle: std::time::Duration,
    },
    /// The reply was not the JSON expected; `path` names where decoding failed.
    #[error("unexpected reply from {url}: {detail}")]
    Decode {
        /// The URL requested.
        url: String,
        /// What failed, with the JSON path (`tickets[3].id: invalid type ...`).
        detail: String,
    },
    /// A reply was larger than the client's limit (see `ClientBuilder::max_response_bytes`).
    #[error(
        "the reply from {url} is larger than {}{}: refused, as a server that misbehaves could exhaust memory",
        size(*.limit),
        if *.inflated { " once decompressed" } else { "" }
    )]
    TooLarge {
        /// The URL requested.
        url: String,
        /// The limit, in bytes.
        limit: u64,
        /// Whether it was the decompressed body (of a small compressed one) that went over.
        inflated: bool,
    },
    /// A redirect the client does not follow: to another origin (headers and tokens stay with
    /// the instance), or too many of them.
    #[error("{url} was redirected to {to}: {reason}")]
    Redirect {
        /// The URL requested.
        url: String,
        /// Where the server sent it.
        to: String,
        /// Why it was not followed.
        reason: &'static str,
    },
    /// SQL refused before sending: anything but one read-only query ([`crate::sql::check`]).
    #[error(transparent)]
    Sql(#[from] crate::sql::SqlRefusal),
    /// Halo could not run a report or an SQL query: its `load_error`, which Halo answers with
    /// status 200.
    #[error("Halo could not run the {what}: {message}")]
    Report {
        /// `query` or `report N`.
        what: String,
        /// Halo's text.
        message: String,
    },
    /// A list walk that the server's answers would make endless or wrong.
    #[error("listing {path} stopped at page {page}: {reason}")]
    Paging {
        /// The list's path.
        path: String,
        /// The page that showed it.
        page: u32,
        /// What the server did.
        reason: String,
    },
}

/// A byte count as people read it (`64 MiB`).
pub(crate) fn size(bytes: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (unit, name) in UNITS {
        if bytes >= unit && bytes.is_multiple_of(unit) {
            return format!("{} {name}", bytes / unit);
        }
    }
    format!("{bytes} bytes")
}

impl Error {
    /// The HTTP status Halo answered with, where there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(e) => Some(e.status),
            Error::Auth(e) => e.status(),
            _ => None,
        }
    }

    /// Authentication or permission failures (bad credentials, 401, 403).
    pub fn is_auth(&self) -> bool {
        match self {
            Error::Auth(e) => !matches!(e, AuthError::RateLimited { .. }),
            Error::Api(e) => matches!(e.status, 401 | 403),
            _ => false,
        }
    }

    /// Halo answered 404.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::Api(e) if e.status == 404)
    }

    /// Halo's rate limit was hit and not recovered from.
    pub fn is_rate_limited(&self) -> bool {
        matches!(self, Error::Api(e) if e.status == 429)
            || matches!(self, Error::Auth(AuthError::RateLimited { .. }))
    }

    /// Why the retries stopped, when the error came after some (or none were allowed).
    pub fn gave_up(&self) -> Option<&GaveUp> {
        match self {
            Error::Transport { gave_up, .. } => gave_up.as_deref(),
            Error::Api(e) => e.gave_up.as_deref(),
            _ => None,
        }
    }

    /// A mistake in what the caller asked (settings, input, filters, an unsupported
    /// operation), as opposed to a failure of the server or the network.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            Error::InvalidSettings(_)
                | Error::InsecureHttp { .. }
                | Error::TlsNotSetUp { .. }
                | Error::Unsupported { .. }
                | Error::InvalidInput(_)
                | Error::UnknownFilter(_)
                | Error::Sql(_)
        )
    }

    /// The error of a request that got no reply: `sent` when it may have reached the server.
    pub(crate) fn transport(url: &url::Url, err: reqwest::Error, sent: bool) -> Error {
        let mut reason = err.to_string();
        let mut source = std::error::Error::source(&err);
        while let Some(s) = source {
            reason = s.to_string();
            source = s.source();
        }
        if err.is_timeout() {
            reason = format!("timed out ({reason})");
        }
        Error::Transport {
            url: url.as_str().to_string(),
            reason,
            sent,
            gave_up: None,
            cause: Arc::new(err),
        }
    }
}

/// The operations of the generic layer, as [`Error::Unsupported`] names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Operation {
    /// Listing.
    List,
    /// Getting one object.
    Get,
    /// Creating.
    Create,
    /// Updating.
    Update,
    /// Deleting.
    Delete,
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Operation::List => "list",
            Operation::Get => "get",
            Operation::Create => "create",
            Operation::Update => "update",
            Operation::Delete => "delete",
        })
    }
}

/// ` (gave up ...)` after a message, or nothing.
fn gave_up_text(gave_up: &Option<Box<GaveUp>>) -> String {
    gave_up
        .as_ref()
        .map(|g| format!(" ({g})"))
        .unwrap_or_default()
}

/// A failed token request or a token the API refused, with a message that says what to fix.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum AuthError {
    /// `invalid_client`: unknown client id or wrong client secret.
    #[error(
        "the client ID or client secret was rejected (invalid_client{}): check both under Configuration > Integrations > Halo API",
        detail(.description)
    )]
    InvalidClient {
        /// The server's description.
        description: Option<String>,
    },
    /// `invalid_client` on a password grant: the application refused the sign-in (the
    /// username, the password, the client ID or its secret may be wrong).
    #[error(
        "the sign-in was rejected (invalid_client{}): check the username and password, and the application's client ID (and its secret, if it has one)",
        detail(.description)
    )]
    SignInRejected {
        /// The server's description.
        description: Option<String>,
    },
    /// The token endpoint answered with a redirect, which is never followed: the request
    /// carries the secret.
    #[error(
        "the token endpoint {url} answered with a redirect to {location}: a token request is never sent on (it carries the secret); if that server is the right one, give its address as the auth URL"
    )]
    Redirected {
        /// The token URL.
        url: String,
        /// Where it pointed.
        location: String,
    },
    /// `invalid_grant` on a password grant: wrong username or password.
    #[error("the username or password was rejected (invalid_grant{})", detail(.description))]
    InvalidCredentials {
        /// The server's description.
        description: Option<String>,
    },
    /// `invalid_grant` on a refresh: the refresh token is no longer valid.
    #[error("the refresh token was rejected (invalid_grant{}): connect again", detail(.description))]
    RefreshRejected {
        /// The server's description.
        description: Option<String>,
    },
    /// A browser sign-in's refresh token was refused (`invalid_grant`): it expired, was
    /// revoked, or was already spent.
    #[error(
        "the sign-in has expired or was revoked (invalid_grant{}): sign in again",
        detail(.description)
    )]
    SignInExpired {
        /// The server's description.
        description: Option<String>,
    },
    /// A connection that signs in through the browser has no sign-in yet.
    #[error(
        "no sign-in yet: this connection signs in through the browser (authorization code) first"
    )]
    SignInNeeded,
    /// The authorization code was refused (`invalid_grant`): spent, expired, or its PKCE
    /// verifier or redirect URI did not match.
    #[error(
        "the sign-in code was refused (invalid_grant{}): sign in again",
        detail(.description)
    )]
    CodeRejected {
        /// The server's description.
        description: Option<String>,
    },
    /// `invalid_scope`.
    #[error(
        "the scope '{requested}' was rejected (invalid_scope{}): use Halo's names, e.g. 'all' or 'read:tickets edit:tickets'",
        detail(.description)
    )]
    InvalidScope {
        /// The scopes asked for.
        requested: String,
        /// The server's description.
        description: Option<String>,
    },
    /// The authorisation server does not know the tenant (or needs one).
    #[error(
        "the tenant {} was not accepted{}: check it (shown under Configuration > Integrations > Halo API > API Details)",
        .tenant.as_deref().map(|t| format!("'{t}'")).unwrap_or_else(|| "(none given)".into()),
        detail(.description)
    )]
    UnknownTenant {
        /// The tenant sent, if any.
        tenant: Option<String>,
        /// The server's description.
        description: Option<String>,
    },
    /// Any other OAuth error reply.
    #[error("the token request was refused (HTTP {status}, {error}{})", detail(.description))]
    Rejected {
        /// HTTP status.
        status: u16,
        /// The OAuth `error` code.
        error: String,
        /// The server's description.
        description: Option<String>,
    },
    /// The token endpoint answered something that is not OAuth JSON (an HTML page, a proxy error).
    #[error(
        "the token endpoint {url} answered HTTP {status} with {kind} instead of a token: check the instance URL (and the auth URL, if one was given){}",
        .snippet.as_deref().map(|s| format!(" [{s}]")).unwrap_or_default()
    )]
    NotJson {
        /// The token URL.
        url: String,
        /// HTTP status.
        status: u16,
        /// "an HTML page" or "non-JSON text".
        kind: &'static str,
        /// The start of the body, tags stripped.
        snippet: Option<String>,
    },
    /// The token endpoint kept answering 429.
    #[error("the authorisation server's rate limit was reached (HTTP 429): wait and try again")]
    RateLimited {
        /// The token URL.
        url: String,
    },
    /// The API refused a freshly minted token.
    #[error(
        "the API refused the token (HTTP 401 on {path}) even after a new one was minted: the application may lack the scope, or its agent is disabled"
    )]
    TokenRefused {
        /// The API path.
        path: String,
    },
}

impl AuthError {
    /// The HTTP status behind the error, where there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            AuthError::InvalidClient { .. } => Some(401),
            AuthError::TokenRefused { .. } => Some(401),
            AuthError::Rejected { status, .. } | AuthError::NotJson { status, .. } => Some(*status),
            AuthError::RateLimited { .. } => Some(429),
            AuthError::SignInRejected { .. } => Some(401),
            AuthError::Redirected { .. } | AuthError::SignInNeeded => None,
            _ => Some(400),
        }
    }
}

fn detail(description: &Option<String>) -> String {
    description
        .as_deref()
        .filter(|d| !d.trim().is_empty())
        .map(|d| format!(": {}", d.trim().trim_end_matches('.')))
        .unwrap_or_default()
}

/// Halo answered an API call with an error status.
#[derive(Debug, Error)]
#[error("{method} {path} failed with HTTP {status}: {message}{}", gave_up_text(.gave_up))]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// The method sent.
    pub method: String,
    /// The path requested (below the instance).
    pub path: String,
    /// The readable message taken from the body.
    pub message: String,
    /// The raw body, as text (cut to 4 KiB).
    pub body: String,
    /// Why the retries stopped, when the status was one worth retrying.
    pub gave_up: Option<Box<GaveUp>>,
}

/// Takes the readable message out of one of Halo's error bodies.
///
/// Quirk: Halo's error bodies come in many shapes (reference §9); the order is `errorMessage`,
/// `Message`/`message`, `error_description`, `error`, a JSON string, the first value of a
/// field-keyed validation dictionary, then the text itself (HTML reduced to its text).
pub fn error_message(status: u16, body: &str) -> String {
    let trimmed = body.trim();
    if let Some(m) = serde_json::from_str::<serde_json::Value>(trimmed)
        .ok()
        .and_then(|v| message_from_json(&v))
    {
        return one_line(&m);
    }
    if trimmed.is_empty() {
        return default_reason(status).to_string();
    }
    if looks_like_html(trimmed) {
        let text = strip_tags(trimmed);
        return if text.is_empty() {
            format!("{} (an HTML page)", default_reason(status))
        } else {
            format!(
                "{} (an HTML page: {})",
                default_reason(status),
                cut(&text, 120)
            )
        };
    }
    cut(&one_line(trimmed), 300)
}

fn message_from_json(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        serde_json::Value::Object(map) => {
            for key in [
                "errorMessage",
                "Message",
                "message",
                "error_description",
                "error",
            ] {
                if let Some(m) = map.get(key).and_then(message_from_json) {
                    return Some(m);
                }
            }
            // ASP.NET model state: {"[0].id": ["The id is invalid"]} or {"errors": {...}}
            map.iter().find_map(|(k, v)| {
                let m = match v {
                    serde_json::Value::Array(a) => a.iter().find_map(message_from_json),
                    other => message_from_json(other),
                }?;
                Some(if k.is_empty() || k == "errors" {
                    m
                } else {
                    format!("{k}: {m}")
                })
            })
        }
        serde_json::Value::Array(a) => a.iter().find_map(message_from_json),
        _ => None,
    }
}

/// What is wrong with a reply body that did not parse as JSON.
pub(crate) fn not_json(body: &[u8], e: &serde_json::Error) -> String {
    if looks_like_html(&String::from_utf8_lossy(body)) {
        "an HTML page instead of JSON".to_string()
    } else {
        format!("not JSON ({e})")
    }
}

/// Whether a body is an HTML document rather than data.
pub(crate) fn looks_like_html(body: &str) -> bool {
    let start = body
        .trim_start()
        .get(..15)
        .unwrap_or(body)
        .to_ascii_lowercase();
    start.starts_with("<!doctype")
        || start.starts_with("<html")
        || start.starts_with("<head")
        || start.starts_with("<body")
        || start.starts_with("<h1")
        || start.starts_with("<?xml")
}

/// The visible text of HTML (a page, or a ticket's details), whitespace folded: scripts and
/// styles dropped, tags removed.
pub fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len().min(4096));
    let mut in_tag = false;
    let lower = html.to_ascii_lowercase();
    let mut skip_until: Option<&str> = None;
    let mut i = 0;
    let bytes = html.as_bytes();
    while i < bytes.len() {
        if let Some(end) = skip_until {
            if lower[i..].starts_with(end) {
                skip_until = None;
                i += end.len();
            } else {
                i += 1;
            }
            continue;
        }
        let c = bytes[i];
        if c == b'<' {
            if lower[i..].starts_with("<script") {
                skip_until = Some("</script>");
            } else if lower[i..].starts_with("<style") {
                skip_until = Some("</style>");
            }
            in_tag = true;
            out.push(' ');
        } else if c == b'>' {
            in_tag = false;
        } else if !in_tag {
            let ch_len = utf8_len(c);
            if let Some(s) = html.get(i..i + ch_len) {
                out.push_str(s);
            }
            i += ch_len;
            continue;
        }
        i += 1;
    }
    one_line(&out)
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(crate) fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max).collect();
    out.push('…');
    out
}

fn default_reason(status: u16) -> &'static str {
    match status {
        400 => "bad request",
        401 => "not authorised",
        403 => "forbidden (the application or its agent lacks the permission)",
        404 => "not found",
        429 => "rate limit reached",
        500 => "internal server error",
        502 => "bad gateway",
        503 => "service unavailable",
        504 => "gateway timeout",
        _ => "error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_body_shape_gives_its_message() {
        let cases = [
            (
                r#"{"resultCode": 1, "errorMessage": "Bad thing"}"#,
                "Bad thing",
            ),
            (r#"{"ClassName": "X", "Message": "Boom"}"#, "Boom"),
            (r#"{"message": "lower"}"#, "lower"),
            (
                r#"{"error": "invalid_client", "error_description": "nope"}"#,
                "nope",
            ),
            (r#"{"error": "only"}"#, "only"),
            (
                r#""An Outcome must be entered for this Action""#,
                "An Outcome must be entered for this Action",
            ),
            (
                r#"{"[0].id": ["The id is invalid"]}"#,
                "[0].id: The id is invalid",
            ),
            (
                "Rate Limit Reached - 300 Requests per rolling 5 minute window",
                "Rate Limit Reached - 300 Requests per rolling 5 minute window",
            ),
        ];
        for (body, want) in cases {
            assert_eq!(error_message(400, body), want, "{body}");
        }
    }

    #[test]
    fn html_and_empty_bodies_are_readable() {
        let html = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title><style>p{}</style></head><body><h1>Bad Gateway</h1></body></html>";
        let m = error_message(502, html);
        assert!(
            m.starts_with("bad gateway (an HTML page: 502 Bad Gateway"),
            "{m}"
        );
        assert!(!m.contains('<') && !m.contains("p{}"), "{m}");
        assert_eq!(error_message(404, ""), "not found");
        assert_eq!(error_message(500, "  line1\n  line2 "), "line1 line2");
    }

    #[test]
    fn auth_messages_name_what_to_fix() {
        let e = AuthError::InvalidClient { description: None };
        assert!(
            e.to_string()
                .contains("client ID or client secret was rejected")
        );
        let e = AuthError::UnknownTenant {
            tenant: Some("acme".into()),
            description: Some("Unknown tenant 'acme'.".into()),
        };
        assert!(e.to_string().contains("tenant 'acme'") && e.to_string().contains("API Details"));
        assert!(Error::Auth(e).is_auth());
    }
}
