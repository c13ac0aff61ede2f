//! The HTTP side: the hook's path takes deliveries (checked in this order: the path, the
//! Basic credential, the size, the JSON; a refused request journals nothing), `/healthz`
//! and `/metrics` answer anyone. A delivery is answered 200 only once its events are
//! committed to the journal; a journal failure is a 503, which Halo retries.

use crate::journal::Journal;
use crate::metrics::{Metrics, Rejection};
use crate::payload;
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use futures::StreamExt as _;
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// The HTTP Basic credential deliveries must carry (Halo's only authentication, §10).
#[derive(Debug, Clone)]
pub struct BasicAuth {
    user: String,
    password: SecretString,
}

impl BasicAuth {
    /// A credential of `user` and `password`.
    pub fn new(user: impl Into<String>, password: SecretString) -> BasicAuth {
        BasicAuth {
            user: user.into(),
            password,
        }
    }

    /// Whether an `Authorization` header carries this credential: the name and the password
    /// compared in constant time, both always compared.
    pub fn admits(&self, header: Option<&HeaderValue>) -> bool {
        let Some(given) = header
            .and_then(|h| h.to_str().ok())
            .and_then(|h| {
                h.strip_prefix("Basic ")
                    .or_else(|| h.strip_prefix("basic "))
            })
            .and_then(|b| {
                base64::engine::general_purpose::STANDARD
                    .decode(b.trim())
                    .ok()
            })
        else {
            return false;
        };
        let Some(colon) = given.iter().position(|b| *b == b':') else {
            return false;
        };
        let (user, password) = (&given[..colon], &given[colon + 1..]);
        let user_ok = user.ct_eq(self.user.as_bytes());
        let password_ok = password.ct_eq(self.password.expose_secret().as_bytes());
        bool::from(user_ok & password_ok)
    }
}

/// What the hook accepts. `Debug` hides the path (it may be the secret).
#[derive(Clone)]
pub struct ReceiverConfig {
    /// The hook's path (`/`, or `/hooks/SECRET` to keep out whoever does not know it).
    pub path: String,
    /// The credential required, if any.
    pub basic: Option<BasicAuth>,
    /// The largest body accepted, in bytes.
    pub max_body: usize,
}

impl std::fmt::Debug for ReceiverConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReceiverConfig")
            .field("path", &"[redacted]")
            .field("basic", &self.basic)
            .field("max_body", &self.max_body)
            .finish()
    }
}

impl Default for ReceiverConfig {
    fn default() -> ReceiverConfig {
        ReceiverConfig {
            path: "/".into(),
            basic: None,
            max_body: 1024 * 1024,
        }
    }
}

#[derive(Clone)]
struct Hook {
    config: Arc<ReceiverConfig>,
    journal: Journal,
    metrics: Arc<Metrics>,
}

/// The receiver's routes.
pub fn router(config: ReceiverConfig, journal: Journal, metrics: Arc<Metrics>) -> Router {
    let hook = Hook {
        config: Arc::new(config),
        journal,
        metrics,
    };
    let mut router = Router::new();
    if hook.config.path != "/healthz" {
        router = router.route("/healthz", get(|| async { "ok\n" }));
    }
    if hook.config.path != "/metrics" {
        router = router.route("/metrics", get(metrics_text));
    }
    router.fallback(deliver).with_state(hook)
}

async fn metrics_text(State(hook): State<Hook>) -> Response {
    let lag = match hook.journal.oldest_pending().await {
        Ok(Some(oldest)) => {
            let waited = jiff::Timestamp::now().duration_since(oldest);
            waited.as_secs_f64().max(0.0)
        }
        Ok(None) => 0.0,
        Err(e) => {
            tracing::error!("{e}");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        hook.metrics.render(hook.journal.stats(), lag),
    )
        .into_response()
}

fn refuse(hook: &Hook, why: Rejection, status: StatusCode, message: &str) -> Response {
    hook.metrics.rejected(why);
    let mut response =
        (status, axum::Json(serde_json::json!({ "error": message }))).into_response();
    if why == Rejection::Unauthorized {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"halo webhook\""),
        );
    }
    response
}

async fn deliver(State(hook): State<Hook>, request: Request) -> Response {
    let path_ok = bool::from(
        request
            .uri()
            .path()
            .as_bytes()
            .ct_eq(hook.config.path.as_bytes()),
    );
    if !path_ok {
        return refuse(
            &hook,
            Rejection::NotFound,
            StatusCode::NOT_FOUND,
            "not found",
        );
    }
    // Halo sends POST, or GET when the webhook is so configured (§10).
    if !matches!(*request.method(), Method::POST | Method::GET | Method::PUT) {
        return refuse(
            &hook,
            Rejection::NotFound,
            StatusCode::METHOD_NOT_ALLOWED,
            "method not allowed",
        );
    }
    if let Some(basic) = &hook.config.basic
        && !basic.admits(request.headers().get(header::AUTHORIZATION))
    {
        return refuse(
            &hook,
            Rejection::Unauthorized,
            StatusCode::UNAUTHORIZED,
            "a valid Basic credential is required",
        );
    }
    let limit = hook.config.max_body;
    if declared_length(request.headers()).is_some_and(|n| n > limit as u64) {
        return too_large(&hook);
    }
    let body = match read_body(request.into_body(), limit).await {
        Ok(Some(body)) => body,
        Ok(None) => return too_large(&hook),
        Err(()) => {
            return refuse(
                &hook,
                Rejection::NotJson,
                StatusCode::BAD_REQUEST,
                "the body could not be read",
            );
        }
    };
    let events = match payload::parse(&body) {
        Ok(events) => events,
        Err(e) => {
            return refuse(
                &hook,
                Rejection::NotJson,
                StatusCode::BAD_REQUEST,
                &e.to_string(),
            );
        }
    };
    match hook.journal.append(events).await {
        Ok(appended) => {
            hook.metrics
                .accepted(appended.new.len(), appended.duplicates);
            axum::Json(serde_json::json!({
                "journaled": appended.new.len(),
                "duplicates": appended.duplicates,
            }))
            .into_response()
        }
        Err(e) => {
            tracing::error!("{e}");
            refuse(
                &hook,
                Rejection::Journal,
                StatusCode::SERVICE_UNAVAILABLE,
                "the journal cannot keep it now; send it again",
            )
        }
    }
}

fn too_large(hook: &Hook) -> Response {
    refuse(
        hook,
        Rejection::TooLarge,
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!("the body is over {} bytes", hook.config.max_body),
    )
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// The body, or `None` once it passes `limit` bytes (the rest is not read).
async fn read_body(body: Body, limit: usize) -> Result<Option<Vec<u8>>, ()> {
    let mut stream = body.into_data_stream();
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| ())?;
        if out.len() + chunk.len() > limit {
            return Ok(None);
        }
        out.extend_from_slice(&chunk);
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_neither_the_secret_path_nor_the_password() {
        let config = ReceiverConfig {
            path: "/hooks/s3cret".into(),
            basic: Some(BasicAuth::new("halo", SecretString::from("pa55"))),
            ..ReceiverConfig::default()
        };
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("s3cret") && !shown.contains("pa55"),
            "{shown}"
        );
    }

    fn header(user: &str, password: &str) -> HeaderValue {
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        HeaderValue::from_str(&format!("Basic {encoded}")).unwrap()
    }

    #[test]
    fn only_the_exact_credential_is_admitted() {
        let auth = BasicAuth::new("halo", SecretString::from("s3cret:with colon"));
        assert!(auth.admits(Some(&header("halo", "s3cret:with colon"))));
        for (u, p) in [
            ("halo", "s3cret"),
            ("halo", "s3cret:with colon!"),
            ("Halo", "s3cret:with colon"),
            ("", ""),
        ] {
            assert!(!auth.admits(Some(&header(u, p))), "{u}:{p}");
        }
        assert!(!auth.admits(None));
        assert!(!auth.admits(Some(&HeaderValue::from_static("Bearer x"))));
        assert!(!auth.admits(Some(&HeaderValue::from_static("Basic !!!"))));
        let no_colon = base64::engine::general_purpose::STANDARD.encode("halo");
        assert!(!auth.admits(Some(
            &HeaderValue::from_str(&format!("Basic {no_colon}")).unwrap()
        )));
    }
}
