//! `halo-sandbox`: a local fake Halo instance for tests, demos and safe experiments.
//!
//! It serves the authorisation server (`GET /api/authinfo`, `POST /auth/token` with the
//! client credentials, password, refresh token and authorization code grants, the interactive
//! sign-in at `/auth/authorize`, `POST /auth/revoke`), every resource
//! of [`halopsa::resource::RESOURCES`] under `/api` (stored in SQLite, seeded with a
//! deterministic data set; attachments' files as bytes, served raw), Halo's paging, filters,
//! scopes and rate limit, injected faults, outgoing webhooks, and its own control routes under
//! `/_sandbox`. Paths are matched case-insensitively, as real Halo does.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let sandbox = halo_sandbox::Sandbox::start(Default::default()).await?;
//! println!("instance at {}", sandbox.url());
//! sandbox.shutdown().await;
//! # Ok(())
//! # }
//! ```

pub mod browser;
mod domain;
pub mod fake;
mod http;
mod reply;
mod state;

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use domain::lock::lock;
use state::Shared;

pub use domain::churn::{ActionRef, Churn, ChurnError, ChurnReport};
pub use domain::config::{
    Faults, LOOPBACK_REDIRECT_URIS, NATIVE_CLIENT_ID, RateLimit, SandboxClient, SandboxConfig,
    SandboxUser, WebhookRetry, WebhookTarget, loopback_redirect_uris,
};
pub use domain::journal::{JournalEntry, Stats};
pub use domain::seed;
pub use domain::tokens::{SCOPE_VOCABULARY, Scopes};
pub use domain::webhooks::{Fire, FireError, Fired, MAX_FIRE};

/// How long [`Sandbox::shutdown`] waits for open connections before cutting them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

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
        let shared = Arc::new(Shared::open(config, url).await?);
        let app = http::app(Arc::clone(&shared));
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

    /// Changes the data as `churn` asks (edits, soft deletes, creates and actions, through
    /// the same write rules as the API, in one transaction; deterministic by its seed) and
    /// answers the ids it touched. `POST /_sandbox/churn` does the same over HTTP.
    pub async fn churn(&self, churn: Churn) -> Result<ChurnReport, ChurnError> {
        self.shared.churn(churn).await
    }

    /// Fires `count` "Ticket Updated" events about the live tickets in turn (no ticket is
    /// changed) to every active webhook, for tests and benchmarks; [`Sandbox::flush_webhooks`]
    /// waits for their deliveries. `POST /_sandbox/webhooks/fire` does the same over HTTP,
    /// with a [`Fire`] choosing the ticket and event too.
    pub async fn fire_webhooks(&self, count: u64) -> Result<Fired, FireError> {
        self.fire_webhooks_with(Fire {
            count,
            ..Fire::default()
        })
        .await
    }

    /// Fires the webhook events `fire` describes (see [`Sandbox::fire_webhooks`]).
    pub async fn fire_webhooks_with(&self, fire: Fire) -> Result<Fired, FireError> {
        self.shared.fire_webhooks(fire).await
    }

    /// Waits until every queued webhook event is delivered, or has used up its attempts
    /// ([`WebhookRetry`]), and every attempt is listed by `GET /api/WebhookEvent`; batches
    /// waiting for their delay are sent at once. `POST /_sandbox/webhooks/flush` does the
    /// same over HTTP.
    pub async fn flush_webhooks(&self) {
        self.shared.webhooks.flush().await;
    }

    /// A snapshot of the request journal, oldest first.
    pub fn journal(&self) -> Vec<JournalEntry> {
        lock(&self.shared.journal).entries()
    }

    /// Invalidates every access token issued so far; refresh tokens stay valid.
    pub fn revoke_tokens(&self) {
        self.shared.tokens.revoke_access_tokens();
    }

    /// Injects `faults` from now on (their sequence starts again from `faults.seed`): a test
    /// can take its token first, then make every request fail.
    pub fn set_faults(&self, faults: Faults) {
        self.shared.faults.set(faults);
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
