//! Outgoing webhooks, as Halo sends them (reference §10, §13.5): a ticket's events (logged,
//! updated, status changed, deleted, an action added) go to every active `Webhook` object
//! whose events match, and to every configured [`WebhookTarget`], as Halo-shaped payloads,
//! batched where the webhook asks, retried with back-off, each attempt recorded as a
//! `WebhookEvent`.
//!
//! A write only queues its events ([`Webhooks::send`], after its transaction, and nothing at
//! all when no webhook is active); one task per webhook delivers them in order, and one more
//! records the attempts.

mod deliver;
mod event;
mod hooks;
mod payload;

pub use event::{Event, EventKind, random_uuid};

use crate::domain::config::{WebhookRetry, WebhookTarget};
use crate::domain::lock::lock;
use crate::domain::store::Store;
use deliver::{Context, Job, Tracker};
use halopsa::id::id_from_value;
use hooks::Hook;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::runtime::Handle;
use tokio::sync::mpsc;

/// Where webhook configurations are stored.
const WEBHOOKS: &str = "Webhook";

/// Most events one [`fire`] may queue.
pub const MAX_FIRE: u64 = 100_000;

/// A snapshot of the active webhooks.
type Hooks = Arc<Vec<Arc<Hook>>>;

/// The sending side: queues events for the delivery tasks.
pub struct Webhooks {
    store: Arc<Store>,
    /// The configured targets, always active.
    configured: Vec<Arc<Hook>>,
    /// Every active webhook, with the store's version of `/Webhook` it was read at.
    cache: Mutex<Option<(u64, Hooks)>>,
    /// The delivery task of each webhook, by id.
    workers: Mutex<HashMap<String, mpsc::UnboundedSender<Job>>>,
    context: Arc<Context>,
    runtime: Handle,
}

impl Webhooks {
    /// Starts the recording task on the current runtime; `targets` are always active, the
    /// `Webhook` objects in `store` while they say so.
    pub fn start(
        targets: Vec<WebhookTarget>,
        retry: WebhookRetry,
        store: Arc<Store>,
    ) -> std::io::Result<Webhooks> {
        let runtime = Handle::try_current().map_err(std::io::Error::other)?;
        let http = reqwest::Client::builder()
            .timeout(retry.timeout)
            .connect_timeout(retry.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("halo-sandbox-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(std::io::Error::other)?;
        let tracker = Arc::new(Tracker::default());
        let records = deliver::start_recorder(&runtime, Arc::clone(&store), Arc::clone(&tracker));
        Ok(Webhooks {
            configured: targets
                .iter()
                .enumerate()
                .map(|(i, t)| Arc::new(Hook::configured(i, t)))
                .collect(),
            store,
            cache: Mutex::new(None),
            workers: Mutex::new(HashMap::new()),
            context: Arc::new(Context {
                http,
                retry,
                records,
                tracker,
            }),
            runtime,
        })
    }

    /// Queues `events` for every active webhook that wants them (never blocks, never fails);
    /// how many deliveries were queued (events times webhooks).
    pub fn send(&self, events: Vec<Event>) -> u64 {
        if events.is_empty() {
            return 0;
        }
        let hooks = self.hooks();
        if hooks.is_empty() {
            return 0;
        }
        let mut queued = 0;
        let mut workers = lock(&self.workers);
        for event in events {
            let event = Arc::new(event);
            for hook in hooks.iter().filter(|h| h.wants(event.kind)) {
                let worker = workers
                    .entry(hook.id.clone())
                    .or_insert_with(|| deliver::start_worker(&self.runtime, &self.context));
                if worker.is_closed() {
                    *worker = deliver::start_worker(&self.runtime, &self.context);
                }
                self.context.tracker.add(1);
                let job = Job {
                    hook: Arc::clone(hook),
                    event: Arc::clone(&event),
                };
                if worker.send(job).is_ok() {
                    queued += 1;
                } else {
                    self.context.tracker.done(1);
                }
            }
        }
        queued
    }

    /// Waits until every queued event is delivered (batches waiting for their delay are sent
    /// at once) or has used up its attempts, and every attempt is recorded.
    pub async fn flush(&self) {
        self.context.tracker.flush().await;
    }

    /// Every active webhook: the configured targets, then the stored ones (read again only
    /// after `/Webhook` changed).
    fn hooks(&self) -> Hooks {
        let version = self.store.version(WEBHOOKS);
        let mut cache = lock(&self.cache);
        if let Some((read_at, hooks)) = cache.as_ref()
            && *read_at == version
        {
            return Arc::clone(hooks);
        }
        let mut all = self.configured.clone();
        all.extend(
            hooks::stored(&self.store, WEBHOOKS)
                .into_iter()
                .map(Arc::new),
        );
        let all = Arc::new(all);
        *cache = Some((version, Arc::clone(&all)));
        all
    }
}

/// What `POST /_sandbox/webhooks/fire` asks: `count` ticket events at once, for tests and
/// benchmarks (no ticket is changed).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct Fire {
    /// Events to fire (at most [`MAX_FIRE`]).
    pub count: u64,
    /// The ticket they are about; by default the live tickets in turn.
    pub ticket_id: Option<i64>,
    /// The event, as a webhook configuration names it; by default `Ticket Updated`.
    pub event: Option<String>,
}

/// What a [`Fire`] queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Fired {
    /// Events fired.
    pub events: u64,
    /// Deliveries queued: each event once per active webhook that wants it.
    pub deliveries: u64,
}

/// Why a [`Fire`] queued nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FireError {
    /// More events than [`MAX_FIRE`].
    #[error("at most {MAX_FIRE} events can be fired at once, not {0}")]
    TooMany(u64),
    /// No live ticket with that id (or none at all).
    #[error("no ticket {0} to fire events about")]
    NoTicket(i64),
    /// An event name no webhook configuration uses.
    #[error("'{0}' is not a ticket event (try 'Ticket Updated' or 'New Ticket Logged')")]
    UnknownEvent(String),
    /// The store failed.
    #[error("sandbox store: {0}")]
    Store(String),
    /// The task firing them stopped.
    #[error("firing webhooks failed: {0}")]
    Failed(String),
}

impl From<rusqlite::Error> for FireError {
    fn from(e: rusqlite::Error) -> Self {
        FireError::Store(e.to_string())
    }
}

/// Fires `fire.count` events about stored tickets (blocking: call off the runtime).
pub fn fire(store: &Store, webhooks: &Webhooks, fire: &Fire) -> Result<Fired, FireError> {
    if fire.count > MAX_FIRE {
        return Err(FireError::TooMany(fire.count));
    }
    let kind = match &fire.event {
        None => EventKind::Updated,
        Some(name) => {
            EventKind::from_config(name).ok_or_else(|| FireError::UnknownEvent(name.clone()))?
        }
    };
    // The tickets are the resource whose row raises ticket events.
    let Some(tickets) = halopsa::resource::RESOURCES
        .iter()
        .find(|r| r.ticket_events)
    else {
        return Err(FireError::NoTicket(fire.ticket_id.unwrap_or(0)));
    };
    let ids = match fire.ticket_id {
        Some(id) => vec![id],
        None => {
            let mut live = store.ids(tickets.path, false)?;
            live.truncate(fire.count.clamp(1, 1000) as usize);
            live
        }
    };
    let mut docs = Vec::with_capacity(ids.len());
    for id in &ids {
        match store.get(tickets.path, 0, *id)? {
            Some(doc) if !crate::domain::reads::is_deleted(&doc) => docs.push(doc),
            _ if fire.ticket_id.is_some() => return Err(FireError::NoTicket(*id)),
            _ => {}
        }
    }
    if docs.is_empty() {
        return Err(FireError::NoTicket(0));
    }
    let events = (0..fire.count as usize)
        .map(|i| {
            let doc = &docs[i % docs.len()];
            let agent = doc.get("agent_id").and_then(id_from_value).unwrap_or(0);
            Event::ticket(kind, doc.clone(), agent)
        })
        .collect();
    Ok(Fired {
        events: fire.count,
        deliveries: webhooks.send(events),
    })
}
