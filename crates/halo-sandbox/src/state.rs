//! What every handler shares: one instance's configuration, URL, tokens, waiting sign-ins,
//! journal, store, webhooks, rate limiter and fault dice.

use std::sync::{Arc, Mutex};

use crate::domain::authorize::SignIns;
use crate::domain::churn::{self, Churn, ChurnError, ChurnReport};
use crate::domain::config::SandboxConfig;
use crate::domain::faults::FaultDice;
use crate::domain::journal::{Journal, Stats};
use crate::domain::lock::lock;
use crate::domain::rate_limit::RateLimiter;
use crate::domain::seed::{self, SeedSize};
use crate::domain::store::Store;
use crate::domain::tokens::TokenRegistry;
use crate::domain::webhooks::{self, Fire, FireError, Fired, Webhooks};

/// State shared by every handler.
pub struct Shared {
    /// How the instance behaves.
    pub config: SandboxConfig,
    /// The instance URL.
    pub url: String,
    /// Every token issued.
    pub tokens: TokenRegistry,
    /// Authorization requests waiting for their agent to sign in.
    pub sign_ins: SignIns,
    /// The request journal and counters.
    pub journal: Mutex<Journal>,
    /// The objects.
    pub store: Arc<Store>,
    /// The sender of ticket webhooks.
    pub webhooks: Webhooks,
    /// The rate limit, when one is configured.
    pub limiter: Option<RateLimiter>,
    /// The dice of injected faults.
    pub faults: FaultDice,
}

impl Shared {
    /// Opens the store (seeding it when empty) off the runtime and starts the webhook
    /// sender on it, for an instance at `url`.
    pub async fn open(config: SandboxConfig, url: String) -> std::io::Result<Shared> {
        let store_config = config.clone();
        let store = tokio::task::spawn_blocking(move || open_store(&store_config))
            .await
            .map_err(std::io::Error::other)??;
        let store = Arc::new(store);
        let webhooks = Webhooks::start(
            config.webhooks.clone(),
            config.webhook_retry,
            Arc::clone(&store),
        )?;
        Ok(Shared {
            webhooks,
            limiter: config.rate_limit.map(RateLimiter::new),
            faults: FaultDice::new(config.faults),
            store,
            config,
            url,
            tokens: TokenRegistry::default(),
            sign_ins: SignIns::default(),
            journal: Mutex::new(Journal::new()),
        })
    }

    /// Counters, with the objects stored per resource.
    pub fn stats(&self) -> Stats {
        let mut stats = lock(&self.journal).stats();
        stats.objects = self.store.counts().unwrap_or_default();
        stats
    }

    /// Runs a churn on the store, off the runtime.
    pub async fn churn(self: &Arc<Self>, churn: Churn) -> Result<ChurnReport, ChurnError> {
        let shared = Arc::clone(self);
        tokio::task::spawn_blocking(move || churn::run(&shared.store, &shared.webhooks, &churn))
            .await
            .map_err(|e| ChurnError::Failed(e.to_string()))?
    }

    /// Fires webhook events about stored tickets (`fire`), off the runtime.
    pub async fn fire_webhooks(self: &Arc<Self>, fire: Fire) -> Result<Fired, FireError> {
        let shared = Arc::clone(self);
        tokio::task::spawn_blocking(move || webhooks::fire(&shared.store, &shared.webhooks, &fire))
            .await
            .map_err(|e| FireError::Failed(e.to_string()))?
    }

    /// Back to the seeded data set, with an empty journal (blocking: call off the runtime).
    pub fn reset(&self) -> rusqlite::Result<()> {
        self.store.clear()?;
        seed::seed(&self.store, seed_size(&self.config))?;
        lock(&self.journal).clear();
        Ok(())
    }
}

/// Opens the store and seeds it when empty (blocking).
fn open_store(config: &SandboxConfig) -> std::io::Result<Store> {
    let io = |e: rusqlite::Error| std::io::Error::other(format!("sandbox store: {e}"));
    if let Some(dir) = &config.data_dir {
        std::fs::create_dir_all(dir)?;
    }
    let store = Store::open(config.data_dir.as_deref()).map_err(io)?;
    if store.is_empty().map_err(io)? {
        seed::seed(&store, seed_size(config)).map_err(io)?;
    }
    Ok(store)
}

/// How much the configuration asks to seed.
fn seed_size(config: &SandboxConfig) -> SeedSize {
    SeedSize {
        tickets: config.seed_tickets,
    }
}
