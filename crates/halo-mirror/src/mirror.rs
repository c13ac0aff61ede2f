//! The mirror: one API over both backends.

use crate::error::MirrorError;
use crate::postgres::Pg;
use crate::sqlite::Lite;
use crate::table::{Key, Table};
use crate::target::Target;
use halopsa::reports::ReportTable;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// A resource's sync state, stored in `sync_state` in the same transaction as the rows it
/// covers.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Cursor {
    /// The change time up to which every change is stored (the next incremental sync asks
    /// for changes from a little before it).
    pub changed_since: Option<String>,
    /// When the last full walk finished.
    pub last_full: Option<String>,
    /// When the last id sweep finished.
    pub last_sweep: Option<String>,
    /// Anything else the sync engine keeps (a resumable walk's position...).
    pub extra: Value,
}

impl Cursor {
    pub(crate) fn to_json(&self) -> String {
        json!({
            "changed_since": self.changed_since,
            "last_full": self.last_full,
            "last_sweep": self.last_sweep,
            "extra": self.extra,
        })
        .to_string()
    }

    pub(crate) fn from_json(text: &str) -> Result<Cursor, MirrorError> {
        let v: Value = serde_json::from_str(text)
            .map_err(|e| MirrorError::Corrupt(format!("a sync cursor: {e}")))?;
        let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        Ok(Cursor {
            changed_since: text("changed_since"),
            last_full: text("last_full"),
            last_sweep: text("last_sweep"),
            extra: v.get("extra").cloned().unwrap_or(Value::Null),
        })
    }
}

/// What a [`Mirror::save`] did with its rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Saved {
    /// Rows whose key was not stored before.
    pub new: u64,
    /// Rows whose stored document differed (and was replaced).
    pub changed: u64,
    /// Rows stored exactly as given already.
    pub unchanged: u64,
}

/// One sync run, for `sync_runs`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunSummary {
    /// Per table.
    pub resources: Vec<RunLine>,
    /// API requests made in all.
    pub requests: u64,
    /// `ok`, `failed: <reason>` or `interrupted`.
    pub outcome: String,
}

/// One table's part of a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunLine {
    /// The table's name.
    pub table: String,
    /// Rows added.
    pub new: u64,
    /// Rows whose document changed.
    pub changed: u64,
    /// Rows removed.
    pub deleted: u64,
    /// API requests made for it.
    pub requests: u64,
}

/// One search result: a ticket, found by its own text or one of its actions' notes.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    /// The ticket.
    pub ticket_id: i64,
    /// Its summary (empty when the ticket is not mirrored).
    pub summary: String,
    /// The best-matching passage, matches between `«` and `»`.
    pub snippet: String,
    /// Relevance: higher is better (comparable within one backend's results only).
    pub rank: f64,
}

/// A table and its columns, for `halo query --schema`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableInfo {
    /// The table's name.
    pub name: String,
    /// `(column, type)` in table order.
    pub columns: Vec<(String, String)>,
}

/// Proof that this process holds a database's sync lock; dropping it releases the lock.
#[derive(Debug)]
pub struct SyncLock {
    _held: Held,
}

#[derive(Debug)]
pub(crate) enum Held {
    /// An exclusive lock on `<db>.lock`.
    File {
        /// The open lock file (closing it unlocks).
        _file: std::fs::File,
    },
    /// The session holding a PostgreSQL advisory lock (released when it closes).
    Session {
        /// The session's client (dropping it closes the session).
        _client: tokio_postgres::Client,
    },
}

impl SyncLock {
    pub(crate) fn new(held: Held) -> SyncLock {
        SyncLock { _held: held }
    }
}

enum Backend {
    Sqlite(Lite),
    Postgres(Box<Pg>),
}

/// An open mirror. `Send + Sync`: SQLite work runs on the blocking pool, PostgreSQL work
/// through tokio-postgres.
pub struct Mirror {
    backend: Backend,
    target: Target,
}

impl std::fmt::Debug for Mirror {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Mirror({})", self.target)
    }
}

/// How often a waiting [`Mirror::lock`] tries again.
pub(crate) const LOCK_POLL: Duration = Duration::from_millis(100);

/// Marks runs that never recorded an end (run only with the sync lock held, so none of them
/// is still going).
pub(crate) const STALE_RUNS: &str =
    "UPDATE sync_runs SET outcome = 'interrupted' WHERE outcome = 'running'";

/// Keys, deduplicated: the last row given for a key wins.
pub(crate) fn keyed(table: &Table, rows: Vec<Value>) -> Vec<(Key, Value)> {
    let mut by_key: BTreeMap<Key, Value> = BTreeMap::new();
    let mut order: Vec<Key> = Vec::with_capacity(rows.len());
    for row in rows {
        match table.key_of(&row) {
            Some(key) => {
                if by_key.insert(key.clone(), row).is_none() {
                    order.push(key);
                }
            }
            None => tracing::warn!(
                table = table.name,
                "a row without a usable key was not stored"
            ),
        }
    }
    order
        .into_iter()
        .map(|k| {
            let row = by_key.remove(&k).unwrap_or(Value::Null);
            (k, row)
        })
        .collect()
}

/// The current time as stored in `synced_at` and `sync_runs`.
pub(crate) fn now() -> String {
    crate::table::iso(jiff::Timestamp::now())
}

/// The per-table counts of a run, as stored in `sync_runs.counts`.
pub(crate) fn counts_json(summary: &RunSummary) -> String {
    Value::Array(
        summary
            .resources
            .iter()
            .map(|l| {
                json!({"table": l.table, "new": l.new, "changed": l.changed,
                       "deleted": l.deleted, "requests": l.requests})
            })
            .collect(),
    )
    .to_string()
}

/// The words of a search, each quoted so that no character is FTS syntax; `None` when there
/// is no word.
pub(crate) fn fts_terms(text: &str) -> Option<String> {
    let terms: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{w}\""))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

/// How many index hits to read for `limit` tickets: several hits (a ticket and its actions)
/// may give the same ticket.
pub(crate) fn overfetch(limit: usize) -> i64 {
    i64::try_from(limit.saturating_mul(4).saturating_add(20)).unwrap_or(i64::MAX)
}

/// Keeps each ticket's best hit, best first, at most `limit`.
pub(crate) fn best_per_ticket(hits: Vec<Hit>, limit: usize) -> Vec<Hit> {
    let mut best: BTreeMap<i64, Hit> = BTreeMap::new();
    for hit in hits {
        match best.get(&hit.ticket_id) {
            Some(kept) if kept.rank >= hit.rank => {}
            _ => {
                best.insert(hit.ticket_id, hit);
            }
        }
    }
    let mut out: Vec<Hit> = best.into_values().collect();
    out.sort_by(|a, b| {
        b.rank
            .total_cmp(&a.rank)
            .then(a.ticket_id.cmp(&b.ticket_id))
    });
    out.truncate(limit);
    out
}

impl Mirror {
    /// Opens the mirror at `target`, creating it, or migrating an older schema; refuses a
    /// newer one ([`MirrorError::NewerSchema`]).
    pub async fn open(target: &Target) -> Result<Mirror, MirrorError> {
        let backend = match target {
            Target::Sqlite(path) => Backend::Sqlite(Lite::open(path.clone(), true).await?),
            Target::Postgres(url) => Backend::Postgres(Box::new(Pg::open(url, true).await?)),
        };
        Ok(Mirror {
            backend,
            target: target.clone(),
        })
    }

    /// Opens an existing mirror (for search and query): [`MirrorError::Missing`] when there
    /// is none yet; never creates one.
    pub async fn open_existing(target: &Target) -> Result<Mirror, MirrorError> {
        let backend = match target {
            Target::Sqlite(path) => Backend::Sqlite(Lite::open(path.clone(), false).await?),
            Target::Postgres(url) => Backend::Postgres(Box::new(Pg::open(url, false).await?)),
        };
        Ok(Mirror {
            backend,
            target: target.clone(),
        })
    }

    /// Takes the database's sync lock (one sync at a time): SQLite a lock on `<db>.lock`
    /// beside the file, PostgreSQL an advisory lock held by a session of its own. `None`
    /// refuses at once when another holds it ([`MirrorError::Busy`]); `Some(wait)` tries
    /// for that long.
    pub async fn lock(&self, wait: Option<Duration>) -> Result<SyncLock, MirrorError> {
        match &self.backend {
            Backend::Sqlite(l) => l.lock(wait).await,
            Backend::Postgres(p) => p.lock(wait).await,
        }
    }

    /// The table's stored cursor (the default when none is stored).
    pub async fn cursor(&self, table: &'static Table) -> Result<Cursor, MirrorError> {
        match &self.backend {
            Backend::Sqlite(l) => l.cursor(table).await,
            Backend::Postgres(p) => p.cursor(table).await,
        }
    }

    /// Upserts `rows` and stores `cursor` in ONE transaction (the cursor never moves past
    /// rows not stored). Rows without a usable key are not stored (a warning is logged); of
    /// rows with the same key the last wins.
    pub async fn save(
        &self,
        table: &'static Table,
        rows: Vec<Value>,
        cursor: &Cursor,
    ) -> Result<Saved, MirrorError> {
        let rows = keyed(table, rows);
        match &self.backend {
            Backend::Sqlite(l) => l.save(table, rows, Some(cursor.clone())).await,
            Backend::Postgres(p) => p.save(table, rows, Some(cursor)).await,
        }
    }

    /// Upserts `rows` (as [`Mirror::save`]) in one transaction, leaving the table's sync
    /// cursor as it is: for changes learnt beside `halo sync` (a webhook feed), which must
    /// neither move a sync's cursor nor put back an older one.
    pub async fn upsert(
        &self,
        table: &'static Table,
        rows: Vec<Value>,
    ) -> Result<Saved, MirrorError> {
        let rows = keyed(table, rows);
        match &self.backend {
            Backend::Sqlite(l) => l.save(table, rows, None).await,
            Backend::Postgres(p) => p.save(table, rows, None).await,
        }
    }

    /// Removes rows by key and stores `cursor`, in one transaction; returns how many existed.
    pub async fn remove(
        &self,
        table: &'static Table,
        keys: Vec<Key>,
        cursor: &Cursor,
    ) -> Result<u64, MirrorError> {
        match &self.backend {
            Backend::Sqlite(l) => l.remove(table, keys, Some(cursor.clone())).await,
            Backend::Postgres(p) => p.remove(table, keys, Some(cursor)).await,
        }
    }

    /// Removes rows by key in one transaction, leaving the sync cursor as it is (see
    /// [`Mirror::upsert`]); returns how many existed.
    pub async fn delete(&self, table: &'static Table, keys: Vec<Key>) -> Result<u64, MirrorError> {
        match &self.backend {
            Backend::Sqlite(l) => l.remove(table, keys, None).await,
            Backend::Postgres(p) => p.remove(table, keys, None).await,
        }
    }

    /// Every stored key of the table.
    pub async fn keys(&self, table: &'static Table) -> Result<BTreeSet<Key>, MirrorError> {
        match &self.backend {
            Backend::Sqlite(l) => l.keys(table).await,
            Backend::Postgres(p) => p.keys(table).await,
        }
    }

    /// The stored documents, by key (tests compare them with the sandbox's).
    pub async fn documents(
        &self,
        table: &'static Table,
    ) -> Result<BTreeMap<Key, Value>, MirrorError> {
        match &self.backend {
            Backend::Sqlite(l) => l.documents(table).await,
            Backend::Postgres(p) => p.documents(table).await,
        }
    }

    /// Removes the table's rows and cursor (`--full`), in one transaction.
    pub async fn clear(&self, table: &'static Table) -> Result<(), MirrorError> {
        match &self.backend {
            Backend::Sqlite(l) => l.clear(table).await,
            Backend::Postgres(p) => p.clear(table).await,
        }
    }

    /// Records the start of a run over `tables`; returns its id for [`Mirror::finish_run`].
    /// Called with the sync lock held, it first marks runs still `running` as `interrupted`
    /// (their process was stopped, by Ctrl-C or a kill, before it could record an end).
    pub async fn begin_run(&self, tables: &[&str], full: bool) -> Result<i64, MirrorError> {
        let tables = json!(tables).to_string();
        match &self.backend {
            Backend::Sqlite(l) => l.begin_run(tables, full).await,
            Backend::Postgres(p) => p.begin_run(tables, full).await,
        }
    }

    /// Records how run `run` ended.
    pub async fn finish_run(&self, run: i64, summary: &RunSummary) -> Result<(), MirrorError> {
        match &self.backend {
            Backend::Sqlite(l) => l.finish_run(run, summary.clone()).await,
            Backend::Postgres(p) => p.finish_run(run, summary).await,
        }
    }

    /// Full-text search over tickets' summaries and details and actions' notes, best first:
    /// each ticket once (an action's hit gives its ticket), at most `limit`. Every word of
    /// `text` must match; no character of it is search syntax.
    pub async fn search(&self, text: &str, limit: usize) -> Result<Vec<Hit>, MirrorError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        match &self.backend {
            Backend::Sqlite(l) => l.search(text.to_string(), limit).await,
            Backend::Postgres(p) => p.search(text, limit).await,
        }
    }

    /// Runs one read-only SQL statement (SQLite: a read-only connection; PostgreSQL: a READ
    /// ONLY transaction with a statement timeout). A write is [`MirrorError::ReadOnly`].
    pub async fn query(&self, sql: &str) -> Result<ReportTable, MirrorError> {
        match &self.backend {
            Backend::Sqlite(l) => l.query(sql.to_string()).await,
            Backend::Postgres(p) => p.query(sql).await,
        }
    }

    /// The mirror's tables and their columns with types, by table name.
    pub async fn schema(&self) -> Result<Vec<TableInfo>, MirrorError> {
        match &self.backend {
            Backend::Sqlite(l) => l.schema().await,
            Backend::Postgres(p) => p.schema().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_is_only_quoted_words() {
        assert_eq!(
            fts_terms("\"printer* -jam: OR NEAR(x)").as_deref(),
            Some("\"printer\" \"jam\" \"OR\" \"NEAR\" \"x\"")
        );
        assert_eq!(fts_terms(" *:- \" "), None);
    }

    #[test]
    fn a_ticket_keeps_its_best_hit() {
        let hit = |id, rank| Hit {
            ticket_id: id,
            summary: String::new(),
            snippet: String::new(),
            rank,
        };
        let best = best_per_ticket(vec![hit(1, 0.5), hit(2, 0.9), hit(1, 1.5), hit(3, 0.1)], 2);
        let got: Vec<(i64, f64)> = best.iter().map(|h| (h.ticket_id, h.rank)).collect();
        assert_eq!(got, [(1, 1.5), (2, 0.9)]);
    }
}
