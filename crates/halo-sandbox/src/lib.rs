//! `halo-sandbox`: a local fake Halo instance for tests, demos and safe experiments.
//!
//! It serves the authorisation server (`GET /api/authinfo`, `POST /auth/token`), every resource
//! of [`halopsa::resource::RESOURCES`] under `/api` (stored in SQLite, seeded with a
//! deterministic data set), Halo's paging, filters, scopes and rate limit, injected faults,
//! outgoing webhooks, and its own control routes under `/_sandbox`. Paths are matched
//! case-insensitively, as real Halo does.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let sandbox = halo_sandbox::Sandbox::start(Default::default()).await?;
//! println!("instance at {}", sandbox.url());
//! sandbox.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod admin;
mod api;
mod auth;
mod clock;
mod config;
pub mod fake;
mod faults;
mod filters;
mod journal;
mod resources;
pub mod seed;
mod store;
mod webhooks;
mod writes;

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use auth::{SCOPE_VOCABULARY, Scopes};
pub use config::{Faults, RateLimit, SandboxClient, SandboxConfig, SandboxUser, WebhookTarget};
pub use journal::{JournalEntry, Stats};

/// Largest accepted token request body.
const TOKEN_BODY_LIMIT: usize = 64 * 1024;

/// How long [`Sandbox::shutdown`] waits for open connections before cutting them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// State shared by every handler.
pub(crate) struct Shared {
    config: SandboxConfig,
    url: String,
    tokens: auth::TokenRegistry,
    journal: Mutex<journal::Journal>,
    store: Arc<store::Store>,
    webhooks: webhooks::Webhooks,
    limiter: Option<faults::RateLimiter>,
    faults: faults::FaultDice,
}

impl Shared {
    /// Counters, with the objects stored per resource.
    fn stats(&self) -> Stats {
        let mut stats = lock(&self.journal).stats();
        stats.objects = self.store.counts().unwrap_or_default();
        stats
    }

    /// Back to the seeded data set, with an empty journal (blocking: call off the runtime).
    fn reset(&self) -> rusqlite::Result<()> {
        self.store.clear()?;
        seed::seed(
            &self.store,
            seed::SeedSize {
                tickets: self.config.seed_tickets,
            },
        )?;
        lock(&self.journal).clear();
        Ok(())
    }
}

/// Opens the store and seeds it when empty (blocking).
fn open_store(config: &SandboxConfig) -> std::io::Result<store::Store> {
    let io = |e: rusqlite::Error| std::io::Error::other(format!("sandbox store: {e}"));
    if let Some(dir) = &config.data_dir {
        std::fs::create_dir_all(dir)?;
    }
    let store = store::Store::open(config.data_dir.as_deref()).map_err(io)?;
    if store.is_empty().map_err(io)? {
        seed::seed(
            &store,
            seed::SeedSize {
                tickets: config.seed_tickets,
            },
        )
        .map_err(io)?;
    }
    Ok(store)
}

/// The request path exactly as the client sent it (routing sees it lowercased).
#[derive(Clone)]
pub(crate) struct SentPath(pub String);

/// Locks a mutex, recovering the data if a previous holder panicked.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A running sandbox instance; dropping it stops the server.
pub struct Sandbox {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl Sandbox {
    /// Starts a sandbox on `127.0.0.1` with an ephemeral port, on the current tokio runtime.
    pub async fn start(config: SandboxConfig) -> std::io::Result<Sandbox> {
        Sandbox::start_on(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await
    }

    /// Starts a sandbox listening on `addr`, on the current tokio runtime.
    pub async fn start_on(config: SandboxConfig, addr: SocketAddr) -> std::io::Result<Sandbox> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let mut reachable = addr;
        if reachable.ip().is_unspecified() {
            reachable.set_ip(if reachable.is_ipv4() {
                Ipv4Addr::LOCALHOST.into()
            } else {
                Ipv6Addr::LOCALHOST.into()
            });
        }
        let url = format!("http://{reachable}");
        let store_config = config.clone();
        let store = tokio::task::spawn_blocking(move || open_store(&store_config))
            .await
            .map_err(std::io::Error::other)??;
        let store = Arc::new(store);
        let shared = Arc::new(Shared {
            webhooks: webhooks::Webhooks::start(config.webhooks.clone(), Arc::clone(&store)),
            limiter: config.rate_limit.map(faults::RateLimiter::new),
            faults: faults::FaultDice::new(config.faults),
            store,
            config,
            url,
            tokens: auth::TokenRegistry::default(),
            journal: Mutex::new(journal::Journal::new()),
        });
        let app = app(Arc::clone(&shared));
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
        });
        Ok(Sandbox {
            addr,
            shared,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The instance URL, e.g. `http://127.0.0.1:PORT` (API under `/api`, auth under `/auth`);
    /// an unspecified bind address (`0.0.0.0`, `::`) is shown as loopback.
    pub fn url(&self) -> String {
        self.shared.url.clone()
    }

    /// The address the server is bound to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A snapshot of the request counters and the objects stored per resource.
    pub fn stats(&self) -> Stats {
        self.shared.stats()
    }

    /// Restores the seeded data set and empties the journal (tokens stay valid).
    pub async fn reset(&self) -> std::io::Result<()> {
        let shared = Arc::clone(&self.shared);
        tokio::task::spawn_blocking(move || shared.reset())
            .await
            .map_err(std::io::Error::other)?
            .map_err(|e| std::io::Error::other(format!("sandbox store: {e}")))
    }

    /// A snapshot of the request journal, oldest first.
    pub fn journal(&self) -> Vec<JournalEntry> {
        lock(&self.shared.journal).entries()
    }

    /// Invalidates every access token issued so far; refresh tokens stay valid.
    pub fn revoke_tokens(&self) {
        self.shared.tokens.revoke_access_tokens();
    }

    /// Empties the journal and zeroes the counters.
    pub fn clear_journal(&self) {
        lock(&self.shared.journal).clear();
    }

    /// Stops accepting connections and waits (briefly) for in-flight requests to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("url", &self.shared.url)
            .finish_non_exhaustive()
    }
}

/// The whole application: journal, then path normalisation, then routing.
fn app(shared: Arc<Shared>) -> Router {
    let routes = Router::new()
        .route("/api/authinfo", get(auth::authinfo))
        .route(
            "/auth/token",
            post(auth::token).layer(DefaultBodyLimit::max(TOKEN_BODY_LIMIT)),
        )
        .merge(api::routes(Arc::clone(&shared)))
        .merge(admin::routes())
        .fallback(|| async { StatusCode::NOT_FOUND })
        .with_state(Arc::clone(&shared));
    Router::new()
        .fallback_service(routes)
        .layer(middleware::from_fn(normalize_path))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&shared),
            faults::inject,
        ))
        .layer(middleware::from_fn_with_state(shared, journal::record))
}

/// Lowercases the path and drops a trailing slash so routing is case-insensitive, keeping
/// the original path in a [`SentPath`] extension.
async fn normalize_path(mut request: Request, next: Next) -> Response {
    let sent = request.uri().path().to_owned();
    let mut lower = sent.to_ascii_lowercase();
    while lower.len() > 1 && lower.ends_with('/') {
        lower.pop();
    }
    if lower != sent {
        let path_and_query = match request.uri().query() {
            Some(query) => format!("{lower}?{query}"),
            None => lower,
        };
        let mut parts = request.uri().clone().into_parts();
        if let Ok(pq) = path_and_query.parse() {
            parts.path_and_query = Some(pq);
            if let Ok(uri) = Uri::from_parts(parts) {
                *request.uri_mut() = uri;
            }
        }
    }
    request.extensions_mut().insert(SentPath(sent));
    next.run(request).await
}
