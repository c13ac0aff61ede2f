//! A fake Halo that misbehaves as a test asks: every request answered by a closure, and
//! recorded. Where the sandbox behaves like Halo, this behaves however a test needs a broken
//! or hostile server to behave (repeated pages, redirects, echoed secrets, endless bodies).

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use std::sync::{Arc, Mutex};

/// A request as the fake saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The method.
    pub method: Method,
    /// The path, as sent.
    pub path: String,
    /// The query string, as sent.
    pub query: String,
    /// The headers.
    pub headers: HeaderMap,
    /// The body, as text.
    pub body: String,
}

impl Seen {
    /// A query parameter.
    pub fn param(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }
}

/// The running fake: its URL and what it saw.
pub struct Fake {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    log: Arc<Mutex<Vec<Seen>>>,
}

impl Fake {
    /// Starts on 127.0.0.1:0 (on the current runtime), answering every request with `reply`.
    pub async fn start(
        reply: impl Fn(&Seen) -> Response + Send + Sync + 'static,
    ) -> std::io::Result<Fake> {
        let log = Arc::new(Mutex::new(Vec::new()));
        let (seen_log, reply) = (log.clone(), Arc::new(reply));
        let app = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let (log, reply) = (seen_log.clone(), reply.clone());
                async move {
                    let seen = Seen {
                        method,
                        path: uri.path().to_string(),
                        query: uri.query().unwrap_or("").to_string(),
                        headers,
                        body: String::from_utf8_lossy(&body).into_owned(),
                    };
                    let resp = reply(&seen);
                    if let Ok(mut log) = log.lock() {
                        log.push(seen);
                    }
                    resp
                }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(Fake { url, log })
    }

    /// Everything it saw so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// How many requests it saw for `path`.
    pub fn hits(&self, path: &str) -> usize {
        self.seen().iter().filter(|s| s.path == path).count()
    }
}

/// The access token [`with_token`] hands out.
pub const FAKE_ACCESS_TOKEN: &str = "fake-access-token-xyz";

/// A token for any request to `/auth/token`, else `api`.
pub fn with_token(
    api: impl Fn(&Seen) -> Response + Send + Sync + 'static,
) -> impl Fn(&Seen) -> Response + Send + Sync + 'static {
    move |seen: &Seen| {
        if seen.path == "/auth/token" {
            return axum::Json(serde_json::json!({
                "access_token": FAKE_ACCESS_TOKEN, "token_type": "Bearer",
                "expires_in": 3600, "scope": "all"
            }))
            .into_response();
        }
        api(seen)
    }
}

/// A reply whose headers come and whose body never does.
pub fn silence() -> Response {
    let stream = futures::stream::pending::<Result<Bytes, std::io::Error>>();
    Body::from_stream(stream).into_response()
}
