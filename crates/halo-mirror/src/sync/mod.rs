//! The sync engine: brings a [`Mirror`] up to date with Halo, each resource by the best change
//! signal it has (see [`Signal`]), each page's rows committed with the cursor that covers them.
//!
//! Used by `halo sync`, and by anything else that keeps a mirror (a webhook receiver, an MCP
//! server): give it a client, a mirror and a [`Plan`].

mod signal;
mod walk;

pub use signal::Signal;

use crate::{Mirror, MirrorError, RunLine, RunSummary, Table};
use std::time::Duration;

/// How far before the cursor an incremental read starts: server clocks and commit order are
/// not exact, so the last minutes are read again (and de-duplicated by key).
pub const DEFAULT_LAG: Duration = Duration::from_secs(5 * 60);

/// How old the last id sweep may be before a sync runs one by itself.
pub const DEFAULT_SWEEP_AGE: Duration = Duration::from_secs(7 * 24 * 3600);

/// When to sweep ids (find rows deleted without trace).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Sweep {
    /// When the last sweep of a resource is older than this.
    WhenOlder(Duration),
    /// Now, for every resource synced (`--sweep`).
    Now,
}

/// What one sync does.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The tables, in the order synced (tickets before actions: see [`Plan::new`]).
    pub tables: Vec<&'static Table>,
    /// Clear each table and its cursor first, then rebuild (`--full`).
    pub full: bool,
    /// When to sweep ids.
    pub sweep: Sweep,
    /// How far before the cursor incremental reads start.
    pub lag: Duration,
    /// Pages fetched at once in a paged walk.
    pub concurrency: usize,
    /// How long to wait for another sync of the same database to end (`None`: refuse at once).
    pub wait: Option<Duration>,
}

impl Plan {
    /// A plan for `tables` (tickets moved before actions, which follow the tickets that
    /// changed), incremental, sweeping weekly.
    pub fn new(tables: Vec<&'static Table>) -> Plan {
        let mut tables = tables;
        tables.dedup_by_key(|t| t.name);
        // Stable: only actions move, behind every table holding their tickets.
        tables.sort_by_key(|t| signal::signal(t) == Signal::TicketActions);
        Plan {
            tables,
            full: false,
            sweep: Sweep::WhenOlder(DEFAULT_SWEEP_AGE),
            lag: DEFAULT_LAG,
            concurrency: 4,
            wait: None,
        }
    }

    /// The tables a `--resources` value names: `all` (every listable resource), or a comma
    /// list of CLI or table names; `None` gives [`crate::DEFAULT_TABLES`].
    pub fn tables(list: Option<&str>) -> Result<Vec<&'static Table>, SyncError> {
        match list.map(str::trim) {
            Some("all") => Ok(crate::tables().iter().collect()),
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(|n| crate::table(n).ok_or_else(|| SyncError::UnknownTable(n.to_string())))
                .collect(),
            None => crate::DEFAULT_TABLES
                .iter()
                .map(|n| crate::table(n).ok_or_else(|| SyncError::UnknownTable(n.to_string())))
                .collect(),
        }
    }
}

/// What a sync tells while it runs (a progress bar per resource in the CLI).
pub trait Progress: Send + Sync {
    /// A resource's sync begins; `total` rows are expected when known.
    fn begin(&self, table: &str, signal: Signal);
    /// `rows` more rows stored, of `total` when known.
    fn advance(&self, table: &str, rows: u64, total: Option<u64>);
    /// A resource is done.
    fn end(&self, line: &RunLine);
}

/// A [`Progress`] that shows nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quiet;

impl Progress for Quiet {
    fn begin(&self, _: &str, _: Signal) {}
    fn advance(&self, _: &str, _: u64, _: Option<u64>) {}
    fn end(&self, _: &RunLine) {}
}

/// Why a sync stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// The API failed (after the client's retries).
    #[error(transparent)]
    Api(#[from] halopsa::Error),
    /// The mirror failed.
    #[error(transparent)]
    Mirror(#[from] MirrorError),
    /// `--resources` named no table.
    #[error("no mirror table named '{0}' (see `halo resources`; `all` syncs every one)")]
    UnknownTable(String),
}

/// A sync that stopped part-way: what it stored is kept (`halo sync` continues it).
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct Failed {
    /// Why it stopped.
    #[source]
    pub error: SyncError,
    /// What was done before it stopped.
    pub summary: RunSummary,
}

/// Brings `mirror` up to date by `plan`, holding the mirror's sync lock throughout (a second
/// sync waits `plan.wait`, then is refused). The run is recorded in `sync_runs` whatever
/// happens; a failure keeps every page already stored and the cursor that covers it.
pub async fn sync(
    client: &halopsa::Client,
    mirror: &Mirror,
    plan: &Plan,
    progress: &dyn Progress,
) -> Result<RunSummary, Failed> {
    let failed = |error: SyncError| Failed {
        error,
        summary: RunSummary {
            resources: Vec::new(),
            requests: 0,
            outcome: "failed".into(),
        },
    };
    let _lock = mirror.lock(plan.wait).await.map_err(|e| failed(e.into()))?;
    let names: Vec<&str> = plan.tables.iter().map(|t| t.name).collect();
    let run = mirror
        .begin_run(&names, plan.full)
        .await
        .map_err(|e| failed(e.into()))?;
    let before = client.stats().requests;
    let mut summary = RunSummary {
        resources: Vec::new(),
        requests: 0,
        outcome: "ok".into(),
    };
    let mut result = Ok(());
    for table in &plan.tables {
        let start = client.stats().requests;
        let mut line = RunLine {
            table: table.name.to_string(),
            new: 0,
            changed: 0,
            deleted: 0,
            requests: 0,
        };
        progress.begin(table.name, signal::signal(table));
        let mut job = walk::Job {
            client,
            mirror,
            plan,
            table,
            progress,
            line: &mut line,
        };
        let done = job.run().await;
        line.requests = client.stats().requests - start;
        progress.end(&line);
        summary.resources.push(line);
        if let Err(e) = done {
            result = Err(e);
            break;
        }
    }
    summary.requests = client.stats().requests - before;
    if let Err(e) = &result {
        summary.outcome = format!("failed: {e}");
    }
    let recorded = mirror.finish_run(run, &summary).await;
    match (result, recorded) {
        (Err(error), _) => Err(Failed { error, summary }),
        (Ok(()), Err(e)) => Err(Failed {
            error: e.into(),
            summary,
        }),
        (Ok(()), Ok(())) => Ok(summary),
    }
}
