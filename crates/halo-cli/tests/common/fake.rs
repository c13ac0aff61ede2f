//! A fake Halo that misbehaves as a test asks: every request answered by a closure, and
//! recorded.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use std::sync::{Arc, Mutex};

/// A request as the fake saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: Method,
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
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

/// The server: its URL and what it saw.
pub struct Fake {
    pub url: String,
    log: Arc<Mutex<Vec<Seen>>>,
}

impl Fake {
    /// Starts on `rt`, answering with `reply`.
    pub fn start(
        rt: &tokio::runtime::Runtime,
        reply: impl Fn(&Seen) -> Response + Send + Sync + 'static,
    ) -> Fake {
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
                    log.lock().unwrap().push(seen);
                    resp
                }
            },
        );
        let url = rt.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            tokio::spawn(async move { axum::serve(listener, app).await });
            url
        });
        Fake { url, log }
    }

    /// Everything it saw so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.log.lock().unwrap().clone()
    }

    /// Requests it saw for `path`.
    pub fn hits(&self, path: &str) -> usize {
        self.seen().iter().filter(|s| s.path == path).count()
    }

    /// `halo` connected to it through the environment (HALO_URL and friends).
    pub fn halo(&self, config_dir: &std::path::Path) -> assert_cmd::Command {
        assert_cmd::Command::from_std(self.command(config_dir))
    }

    /// [`Fake::halo`] as a plain process command.
    pub fn command(&self, config_dir: &std::path::Path) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("halo"));
        for (k, _) in std::env::vars() {
            if k.starts_with("HALO_") || k == "RUST_LOG" {
                cmd.env_remove(k);
            }
        }
        cmd.env("HALO_CONFIG_DIR", config_dir)
            .env("HALO_KEYRING", "off")
            .env("NO_COLOR", "1")
            .env("HALO_URL", &self.url)
            .env("HALO_CLIENT_ID", "fake-client")
            .env("HALO_CLIENT_SECRET", FAKE_SECRET)
            .env("HALO_AUTH_URL", format!("{}/auth", self.url));
        cmd
    }
}

/// The client secret `Fake::halo` sends.
pub const FAKE_SECRET: &str = "fake-S3cret-value/42";

/// A token for any token request, else `api`.
pub fn halo(
    api: impl Fn(&Seen) -> Response + Send + Sync + 'static,
) -> impl Fn(&Seen) -> Response + Send + Sync + 'static {
    move |seen: &Seen| {
        if seen.path == "/auth/token" {
            return axum::Json(serde_json::json!({
                "access_token": "fake-access-token", "token_type": "Bearer",
                "expires_in": 3600, "scope": "all"
            }))
            .into_response();
        }
        api(seen)
    }
}

/// A body that never ends: the server answers with headers, then stays silent.
pub fn silence() -> Response {
    let stream = futures::stream::pending::<Result<Bytes, std::io::Error>>();
    Body::from_stream(stream).into_response()
}
