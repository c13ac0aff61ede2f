//! Receiving Halo's webhooks (§10, §13.5 of the reference): an HTTP receiver ([`server`])
//! that answers a delivery only once its events are in a durable SQLite [`journal`] (group
//! commit, de-duplicated), and a [`dispatch`]er that hands each journaled event to a
//! [`Handler`] at least once and in order per object, with retries and dead letters.
//! [`Service`] puts them together; on start it hands every unfinished event over again.
//! Handlers: [`Exec`] (a program per event) and [`MirrorHandler`] (the `halo sync` mirror kept
//! live).
//!
//! ```no_run
//! # async fn demo() -> Result<(), halo_webhook::ListenError> {
//! use halo_webhook::{Exec, ListenConfig, Service};
//! use std::sync::Arc;
//! let config = ListenConfig::new("127.0.0.1:8080".parse().unwrap(), "journal.sqlite".into());
//! let handler = Arc::new(Exec::new("./on-event", vec![], std::time::Duration::from_secs(60)));
//! let service = Service::start(config, Some(handler), Box::new(|_| {})).await?;
//! service.serve_until(async { let _ = tokio::signal::ctrl_c().await; }).await?;
//! # Ok(()) }
//! ```

pub mod dispatch;
pub mod exec;
pub mod journal;
pub mod metrics;
pub mod mirror;
pub mod payload;
pub mod server;
pub mod tls;

pub use dispatch::{Dispatcher, Handler, HandlerError, HandlerFuture, Note, Notes, Policy};
pub use exec::Exec;
pub use journal::{Event, Journal, JournalError, Outcome, Query, Status};
pub use metrics::{Counts, Metrics, Rejection};
pub use mirror::{MirrorCounts, MirrorHandler};
pub use payload::{Fields, Incoming, PayloadError};
pub use server::{BasicAuth, ReceiverConfig};
pub use tls::{TlsError, TlsFiles};

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Everything `Service::start` needs.
#[derive(Debug, Clone)]
pub struct ListenConfig {
    /// Where to listen.
    pub bind: SocketAddr,
    /// What the hook accepts.
    pub receiver: ReceiverConfig,
    /// The journal's file.
    pub journal: PathBuf,
    /// Retries and concurrency of the handler.
    pub policy: Policy,
    /// HTTPS with these files; plain HTTP without.
    pub tls: Option<TlsFiles>,
}

impl ListenConfig {
    /// Listening on `bind`, journaling to `journal`, the rest by default (path `/`, no
    /// credential, 1 MiB bodies, [`Policy::default`]).
    pub fn new(bind: SocketAddr, journal: PathBuf) -> ListenConfig {
        ListenConfig {
            bind,
            receiver: ReceiverConfig::default(),
            journal,
            policy: Policy::default(),
            tls: None,
        }
    }
}

/// Why the receiver could not start or went on no longer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ListenError {
    /// The journal.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The address could not be listened on.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The certificate or key.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// Serving failed.
    #[error("the receiver stopped: {0}")]
    Serve(std::io::Error),
}

/// The socket deliveries come in on.
enum Bound {
    Plain(tokio::net::TcpListener),
    Tls(tls::TlsListener),
}

/// A receiver listening, its handler running.
pub struct Service {
    listener: Bound,
    addr: SocketAddr,
    router: axum::Router,
    dispatcher: Option<Dispatcher>,
    metrics: Arc<Metrics>,
    resumed: usize,
}

impl Service {
    /// Opens the journal, hands its unfinished events to `handler` (oldest first, before
    /// anything new), and listens; deliveries are taken once [`Service::serve_until`] runs.
    /// With no handler, events are only journaled (pending, for a later start or a replay).
    pub async fn start(
        config: ListenConfig,
        handler: Option<Arc<dyn Handler>>,
        notes: Notes,
    ) -> Result<Service, ListenError> {
        let tls = config
            .tls
            .as_ref()
            .map(TlsFiles::server_config)
            .transpose()?;
        let (feed, fed) = mpsc::unbounded_channel();
        let journal = Journal::open_feeding(&config.journal, feed.clone())?;
        let unfinished = journal
            .list(Query {
                status: Some(Status::Pending),
                ..Query::default()
            })
            .await?;
        let resumed = unfinished.len();
        for event in unfinished {
            let _ = feed.send(event);
        }
        drop(feed);
        let metrics = Arc::new(Metrics::default());
        metrics.resumed(resumed);
        let listener = tokio::net::TcpListener::bind(config.bind)
            .await
            .map_err(|source| ListenError::Bind {
                addr: config.bind,
                source,
            })?;
        let addr = listener.local_addr().map_err(ListenError::Serve)?;
        let listener = match tls {
            Some(tls) => {
                Bound::Tls(tls::TlsListener::new(listener, tls).map_err(ListenError::Serve)?)
            }
            None => Bound::Plain(listener),
        };
        let dispatcher = handler.map(|handler| {
            Dispatcher::start(
                handler,
                journal.clone(),
                config.policy,
                metrics.clone(),
                notes,
                fed,
            )
        });
        let router = server::router(config.receiver, journal, metrics.clone());
        Ok(Service {
            listener,
            addr,
            router,
            dispatcher,
            metrics,
            resumed,
        })
    }

    /// The address listened on (the port chosen, when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// How many unfinished events the journal had at start.
    pub fn resumed(&self) -> usize {
        self.resumed
    }

    /// The counters.
    pub fn metrics(&self) -> Arc<Metrics> {
        self.metrics.clone()
    }

    /// Serves until `shutdown` completes, then stops gracefully: no new connection, the
    /// requests under way answered, the handler attempts under way finished (what is left
    /// stays pending for the next start). Returns the counters at the end.
    pub async fn serve_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<Counts, ListenError> {
        let served = match self.listener {
            Bound::Plain(tcp) => {
                axum::serve(tcp, self.router)
                    .with_graceful_shutdown(shutdown)
                    .await
            }
            Bound::Tls(tls) => {
                axum::serve(tls, self.router)
                    .with_graceful_shutdown(shutdown)
                    .await
            }
        };
        if let Some(dispatcher) = self.dispatcher {
            dispatcher.stop().await;
        }
        served.map_err(ListenError::Serve)?;
        Ok(self.metrics.counts())
    }
}
