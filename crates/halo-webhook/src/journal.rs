//! The journal: every event received, in one SQLite file (WAL, `synchronous=FULL`), written
//! by one thread that drains a channel, so the operations that arrive together share one
//! transaction and one sync (group commit). A caller's operation returns only once its
//! transaction is committed: an event a sender saw acknowledged is on disk.
//!
//! Halo may deliver an event more than once and does not say whether a redelivery keeps its
//! `id` (§13.5), so an event is a duplicate when its `id` was seen, or when its
//! (`webhook_id`, `object_id`, `event`, `timestamp`) was: two unique indexes decide it.

use crate::payload::{Fields, Incoming};
use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, params};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

/// The schema this code writes (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 1;

/// The most operations one transaction carries.
const MAX_GROUP: usize = 1024;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id TEXT,
    webhook_id TEXT,
    object_id TEXT,
    event TEXT,
    timestamp TEXT,
    received_us INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    finished_us INTEGER,
    body TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS events_delivery ON events (delivery_id)
    WHERE delivery_id IS NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS events_occurrence
    ON events (coalesce(webhook_id, ''), coalesce(object_id, ''), coalesce(event, ''), timestamp)
    WHERE timestamp IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_status ON events (status, seq);
CREATE INDEX IF NOT EXISTS events_received ON events (received_us);
";

const COLUMNS: &str = "seq, delivery_id, webhook_id, object_id, event, timestamp, received_us, \
                       status, attempts, last_error, finished_us, body";

/// Where an event stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Status {
    /// Journaled, not yet handled (or being retried).
    Pending,
    /// Handled.
    Done,
    /// Given up on after the last attempt: a dead letter.
    Dead,
}

impl Status {
    /// The word stored and shown: `pending`, `done`, `dead`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Done => "done",
            Status::Dead => "dead",
        }
    }

    /// The status a word names.
    pub fn parse(word: &str) -> Option<Status> {
        match word {
            "pending" => Some(Status::Pending),
            "done" => Some(Status::Done),
            "dead" => Some(Status::Dead),
            _ => None,
        }
    }
}

/// A journaled event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Its number in the journal, in the order received.
    pub seq: i64,
    /// What identifies it.
    pub fields: Fields,
    /// When it was journaled.
    pub received_at: Timestamp,
    /// Where it stands.
    pub status: Status,
    /// Handler attempts so far.
    pub attempts: u32,
    /// The last attempt's error, one line.
    pub last_error: Option<String>,
    /// When it was handled or given up on.
    pub finished_at: Option<Timestamp>,
    /// The event object's JSON text as it came.
    pub body: String,
}

/// What appending a delivery did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Appended {
    /// The events that were new, journaled in this order.
    pub new: Vec<i64>,
    /// How many were already journaled.
    pub duplicates: usize,
}

/// The result of one handler attempt, as the journal keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// Handled.
    Done,
    /// Failed; it stays pending for another attempt.
    Failed(String),
    /// Failed for the last time: a dead letter.
    Dead(String),
}

/// Which events a listing shows.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Received at or after this.
    pub since: Option<Timestamp>,
    /// In this status.
    pub status: Option<Status>,
    /// The first this many (oldest first).
    pub limit: Option<usize>,
}

/// How busy the writer has been.
#[derive(Debug, Default)]
pub struct JournalStats {
    /// Transactions committed.
    pub commits: AtomicU64,
    /// Operations committed (appends and handler outcomes), over all transactions.
    pub operations: AtomicU64,
}

/// A journal failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// The file cannot be created or opened as a journal.
    #[error("cannot open the journal {path}: {message}")]
    Open {
        /// The journal's path.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// A newer halo wrote it.
    #[error(
        "the journal {path} has schema {found}, newer than this halo's {SCHEMA_VERSION}: upgrade halo"
    )]
    Newer {
        /// The journal's path.
        path: PathBuf,
        /// Its schema version.
        found: i64,
    },
    /// A transaction failed: none of its operations was kept.
    #[error("cannot write the journal: {0}")]
    Write(String),
    /// A read failed.
    #[error("cannot read the journal: {0}")]
    Read(#[from] rusqlite::Error),
    /// The writer has stopped.
    #[error("the journal's writer has stopped")]
    Closed,
}

/// What the writer is asked to do.
enum Op {
    Append {
        events: Vec<Incoming>,
        received_us: i64,
        reply: oneshot::Sender<Result<Appended, JournalError>>,
    },
    Record {
        seq: i64,
        attempts: u32,
        outcome: Outcome,
        reply: oneshot::Sender<Result<(), JournalError>>,
    },
    Requeue {
        seqs: Vec<i64>,
        reply: oneshot::Sender<Result<usize, JournalError>>,
    },
}

/// What one operation did, before its transaction commits.
enum Did {
    Appended(Appended, Vec<Event>),
    Recorded,
    Requeued(usize),
}

/// The journal; clones share one writer.
#[derive(Clone)]
pub struct Journal {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    tx: mpsc::Sender<Op>,
    reader: Mutex<Connection>,
    stats: Arc<JournalStats>,
}

impl Journal {
    /// Opens (or creates, owner-only on Unix) the journal at `path`.
    pub fn open(path: &Path) -> Result<Journal, JournalError> {
        Journal::start(path, None)
    }

    /// [`Journal::open`], and every newly journaled event is sent to `feed` once its
    /// transaction commits, in journal order (so a dispatcher sees each object's events in
    /// the order they arrived).
    pub fn open_feeding(
        path: &Path,
        feed: mpsc::UnboundedSender<Event>,
    ) -> Result<Journal, JournalError> {
        Journal::start(path, Some(feed))
    }

    fn start(
        path: &Path,
        feed: Option<mpsc::UnboundedSender<Event>>,
    ) -> Result<Journal, JournalError> {
        let open_error = |message: String| JournalError::Open {
            path: path.to_path_buf(),
            message,
        };
        let writer = prepare(path)?;
        let reader = connect(path).map_err(|e| open_error(e.to_string()))?;
        let stats = Arc::new(JournalStats::default());
        let (tx, rx) = mpsc::channel(MAX_GROUP);
        let thread_stats = stats.clone();
        std::thread::Builder::new()
            .name("halo-webhook-journal".into())
            .spawn(move || write_loop(writer, rx, feed, &thread_stats))
            .map_err(|e| open_error(e.to_string()))?;
        Ok(Journal {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                tx,
                reader: Mutex::new(reader),
                stats,
            }),
        })
    }

    /// The journal's file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The writer's counts.
    pub fn stats(&self) -> &JournalStats {
        &self.inner.stats
    }

    /// Journals a delivery's events (those not seen before), returning once they are
    /// committed.
    pub async fn append(&self, events: Vec<Incoming>) -> Result<Appended, JournalError> {
        let (reply, answer) = oneshot::channel();
        let received_us = Timestamp::now().as_microsecond();
        self.send(Op::Append {
            events,
            received_us,
            reply,
        })
        .await?;
        answer.await.map_err(|_| JournalError::Closed)?
    }

    /// Records a handler attempt's outcome (the attempts made so far), once committed.
    pub async fn record(
        &self,
        seq: i64,
        attempts: u32,
        outcome: Outcome,
    ) -> Result<(), JournalError> {
        let (reply, answer) = oneshot::channel();
        self.send(Op::Record {
            seq,
            attempts,
            outcome,
            reply,
        })
        .await?;
        answer.await.map_err(|_| JournalError::Closed)?
    }

    /// Makes events pending again with no attempts (for a replay); returns how many exist.
    pub async fn requeue(&self, seqs: Vec<i64>) -> Result<usize, JournalError> {
        let (reply, answer) = oneshot::channel();
        self.send(Op::Requeue { seqs, reply }).await?;
        answer.await.map_err(|_| JournalError::Closed)?
    }

    async fn send(&self, op: Op) -> Result<(), JournalError> {
        self.inner
            .tx
            .send(op)
            .await
            .map_err(|_| JournalError::Closed)
    }

    /// The events `query` selects, oldest first.
    pub async fn list(&self, query: Query) -> Result<Vec<Event>, JournalError> {
        self.read(move |conn| {
            let limit = query
                .limit
                .and_then(|l| i64::try_from(l).ok())
                .unwrap_or(-1);
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM events
                 WHERE (?1 IS NULL OR received_us >= ?1) AND (?2 IS NULL OR status = ?2)
                 ORDER BY seq LIMIT ?3"
            ))?;
            let since = query.since.map(|t| t.as_microsecond());
            let rows = stmt.query_map(
                params![since, query.status.map(Status::as_str), limit],
                event_of,
            )?;
            rows.collect()
        })
        .await
    }

    /// The event numbered `seq`, or whose delivery `id` is `key` when `key` is no number.
    pub async fn find(&self, key: &str) -> Result<Option<Event>, JournalError> {
        let key = key.to_string();
        self.read(move |conn| {
            let (sql, value): (_, rusqlite::types::Value) = match key.parse::<i64>() {
                Ok(seq) => ("seq = ?1", seq.into()),
                Err(_) => ("delivery_id = ?1", key.into()),
            };
            conn.query_row(
                &format!("SELECT {COLUMNS} FROM events WHERE {sql}"),
                [value],
                event_of,
            )
            .optional()
        })
        .await
    }

    /// When the oldest pending event was received: how far handling lags behind.
    pub async fn oldest_pending(&self) -> Result<Option<Timestamp>, JournalError> {
        self.read(|conn| {
            conn.query_row(
                "SELECT received_us FROM events WHERE status = 'pending' ORDER BY seq LIMIT 1",
                [],
                |r| r.get::<_, i64>(0),
            )
            .optional()
            .map(|us| us.map(timestamp))
        })
        .await
    }

    async fn read<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, JournalError> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let conn = inner.reader.lock().unwrap_or_else(|p| p.into_inner());
            work(&conn).map_err(JournalError::Read)
        })
        .await
        .map_err(|_| JournalError::Closed)?
    }
}

/// Opens the writer's connection to `path`, creating the file and the schema if missing.
fn prepare(path: &Path) -> Result<Connection, JournalError> {
    let open_error = |message: String| JournalError::Open {
        path: path.to_path_buf(),
        message,
    };
    create_private(path).map_err(|e| open_error(e.to_string()))?;
    let writer = connect(path).map_err(|e| open_error(e.to_string()))?;
    let version: i64 = writer
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| open_error(e.to_string()))?;
    if version > SCHEMA_VERSION {
        return Err(JournalError::Newer {
            path: path.to_path_buf(),
            found: version,
        });
    }
    writer
        .execute_batch(&format!(
            "BEGIN; {SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
        ))
        .map_err(|e| open_error(e.to_string()))?;
    Ok(writer)
}

/// Creates a missing journal file owner-only (it holds what Halo sent: customer data);
/// SQLite gives its `-wal` and `-shm` files the same mode.
fn create_private(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

fn connect(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    conn.execute_batch("PRAGMA synchronous = FULL;")?;
    Ok(conn)
}

fn timestamp(us: i64) -> Timestamp {
    Timestamp::from_microsecond(us).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn event_of(r: &Row<'_>) -> rusqlite::Result<Event> {
    let status: String = r.get(7)?;
    Ok(Event {
        seq: r.get(0)?,
        fields: Fields {
            delivery_id: r.get(1)?,
            webhook_id: r.get(2)?,
            object_id: r.get(3)?,
            event: r.get(4)?,
            timestamp: r.get(5)?,
        },
        received_at: timestamp(r.get(6)?),
        status: Status::parse(&status).unwrap_or(Status::Pending),
        attempts: r.get(8)?,
        last_error: r.get(9)?,
        finished_at: r.get::<_, Option<i64>>(10)?.map(timestamp),
        body: r.get(11)?,
    })
}

/// The writer: takes what is waiting (up to [`MAX_GROUP`] operations), applies it in one
/// transaction, commits, feeds the new events on, then answers each caller.
fn write_loop(
    mut conn: Connection,
    mut rx: mpsc::Receiver<Op>,
    feed: Option<mpsc::UnboundedSender<Event>>,
    stats: &JournalStats,
) {
    while let Some(first) = rx.blocking_recv() {
        let mut ops = vec![first];
        while ops.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(op) => ops.push(op),
                Err(_) => break,
            }
        }
        let done = apply(&mut conn, &ops);
        if done.is_ok() {
            stats.commits.fetch_add(1, Ordering::Relaxed);
            stats
                .operations
                .fetch_add(ops.len() as u64, Ordering::Relaxed);
        }
        match done {
            Ok(results) => {
                for (op, did) in ops.into_iter().zip(results) {
                    answer(op, did, feed.as_ref());
                }
            }
            Err(e) => {
                tracing::error!("journal transaction failed: {e}");
                let text = e.to_string();
                for op in ops {
                    fail(op, &text);
                }
            }
        }
    }
}

fn answer(op: Op, did: Did, feed: Option<&mpsc::UnboundedSender<Event>>) {
    match (op, did) {
        (Op::Append { reply, .. }, Did::Appended(appended, events)) => {
            if let Some(feed) = feed {
                for event in events {
                    let _ = feed.send(event);
                }
            }
            let _ = reply.send(Ok(appended));
        }
        (Op::Record { reply, .. }, Did::Recorded) => {
            let _ = reply.send(Ok(()));
        }
        (Op::Requeue { reply, .. }, Did::Requeued(n)) => {
            let _ = reply.send(Ok(n));
        }
        (op, _) => fail(op, "internal: an operation's result does not match it"),
    }
}

fn fail(op: Op, text: &str) {
    let error = || JournalError::Write(text.to_string());
    match op {
        Op::Append { reply, .. } => {
            let _ = reply.send(Err(error()));
        }
        Op::Record { reply, .. } => {
            let _ = reply.send(Err(error()));
        }
        Op::Requeue { reply, .. } => {
            let _ = reply.send(Err(error()));
        }
    }
}

fn apply(conn: &mut Connection, ops: &[Op]) -> rusqlite::Result<Vec<Did>> {
    let tx = conn.transaction()?;
    let mut results = Vec::with_capacity(ops.len());
    for op in ops {
        results.push(match op {
            Op::Append {
                events,
                received_us,
                ..
            } => {
                let mut appended = Appended::default();
                let mut new = Vec::new();
                let mut insert = tx.prepare_cached(
                    "INSERT OR IGNORE INTO events
                     (delivery_id, webhook_id, object_id, event, timestamp, received_us, body)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?;
                for e in events {
                    let f = &e.fields;
                    let added = insert.execute(params![
                        f.delivery_id,
                        f.webhook_id,
                        f.object_id,
                        f.event,
                        f.timestamp,
                        received_us,
                        e.body
                    ])?;
                    if added == 0 {
                        appended.duplicates += 1;
                        continue;
                    }
                    let seq = tx.last_insert_rowid();
                    appended.new.push(seq);
                    new.push(Event {
                        seq,
                        fields: f.clone(),
                        received_at: timestamp(*received_us),
                        status: Status::Pending,
                        attempts: 0,
                        last_error: None,
                        finished_at: None,
                        body: e.body.clone(),
                    });
                }
                Did::Appended(appended, new)
            }
            Op::Record {
                seq,
                attempts,
                outcome,
                ..
            } => {
                let (status, error, finished) = match outcome {
                    Outcome::Done => (Status::Done, None, true),
                    Outcome::Failed(e) => (Status::Pending, Some(e.as_str()), false),
                    Outcome::Dead(e) => (Status::Dead, Some(e.as_str()), true),
                };
                let now = Timestamp::now().as_microsecond();
                tx.prepare_cached(
                    "UPDATE events SET status = ?2, attempts = ?3, last_error = ?4, finished_us = ?5
                     WHERE seq = ?1",
                )?
                .execute(params![
                    seq,
                    status.as_str(),
                    attempts,
                    error,
                    finished.then_some(now)
                ])?;
                Did::Recorded
            }
            Op::Requeue { seqs, .. } => {
                let mut stmt = tx.prepare_cached(
                    "UPDATE events SET status = 'pending', attempts = 0, last_error = NULL,
                     finished_us = NULL WHERE seq = ?1",
                )?;
                let mut n = 0;
                for seq in seqs {
                    n += stmt.execute([seq])?;
                }
                Did::Requeued(n)
            }
        });
    }
    tx.commit()?;
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload;

    fn incoming(json: &str) -> Vec<Incoming> {
        payload::parse(json.as_bytes()).unwrap()
    }

    #[tokio::test]
    async fn duplicates_by_id_or_by_occurrence_are_kept_once() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(&dir.path().join("j.sqlite")).unwrap();
        let first = r#"{"id":"a","webhook_id":"w","object_id":1,"event":"e","timestamp":"t1"}"#;
        assert_eq!(journal.append(incoming(first)).await.unwrap().new, [1]);
        // The same id again, whatever else differs.
        let same_id = r#"{"id":"a","object_id":2,"timestamp":"t9"}"#;
        assert_eq!(
            journal.append(incoming(same_id)).await.unwrap().duplicates,
            1
        );
        // A new id for the same occurrence (a redelivery that was given a new id).
        let same_occurrence =
            r#"{"id":"b","webhook_id":"w","object_id":"1","event":"e","timestamp":"t1"}"#;
        let again = journal.append(incoming(same_occurrence)).await.unwrap();
        assert_eq!((again.new.len(), again.duplicates), (0, 1));
        // No id and no timestamp: nothing to tell them apart by, so both are kept; a batch
        // holding one event twice keeps it once.
        let bare = r#"[{"event":"x"},{"event":"x"},{"id":"c"},{"id":"c"}]"#;
        let batch = journal.append(incoming(bare)).await.unwrap();
        assert_eq!((batch.new.len(), batch.duplicates), (3, 1));
        assert!(batch.new.windows(2).all(|w| w[0] < w[1]) && batch.new[0] > 1);
        let all = journal.list(Query::default()).await.unwrap();
        assert_eq!(all.len(), 4);
        assert_eq!(all[0].body, first);
        assert!(all.iter().all(|e| e.status == Status::Pending));
    }

    #[tokio::test]
    async fn outcomes_and_requeues_are_kept_and_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.sqlite");
        let journal = Journal::open(&path).unwrap();
        journal
            .append(incoming(r#"[{"id":"1"},{"id":"2"},{"id":"3"}]"#))
            .await
            .unwrap();
        journal.record(1, 1, Outcome::Done).await.unwrap();
        journal
            .record(2, 2, Outcome::Failed("exit 1".into()))
            .await
            .unwrap();
        journal
            .record(3, 3, Outcome::Dead("exit 1".into()))
            .await
            .unwrap();
        drop(journal);
        let journal = Journal::open(&path).unwrap();
        let status = |s| Query {
            status: Some(s),
            ..Query::default()
        };
        let pending = journal.list(status(Status::Pending)).await.unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!((pending[0].seq, pending[0].attempts), (2, 2));
        assert_eq!(pending[0].last_error.as_deref(), Some("exit 1"));
        let dead = journal.list(status(Status::Dead)).await.unwrap();
        assert_eq!(dead[0].seq, 3);
        assert!(dead[0].finished_at.is_some());
        assert_eq!(
            journal.find("3").await.unwrap().unwrap().status,
            Status::Dead
        );
        assert_eq!(journal.find("2").await.unwrap().unwrap().seq, 2);
        assert!(journal.find("99").await.unwrap().is_none());
        assert_eq!(journal.requeue(vec![3, 99]).await.unwrap(), 1);
        let again = journal.find("3").await.unwrap().unwrap();
        assert_eq!((again.status, again.attempts), (Status::Pending, 0));
        assert!(journal.oldest_pending().await.unwrap().is_some());
    }

    #[tokio::test]
    async fn deliveries_sent_together_share_transactions_and_feed_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let (tx, mut rx) = mpsc::unbounded_channel();
        let journal = Journal::open_feeding(&dir.path().join("j.sqlite"), tx).unwrap();
        let sends = (0..200).map(|i| {
            let journal = journal.clone();
            tokio::spawn(async move {
                let body = format!(r#"{{"id":"d{i}","object_id":{}}}"#, i % 7);
                journal.append(incoming(&body)).await.unwrap()
            })
        });
        let results = futures::future::join_all(sends).await;
        assert!(results.into_iter().all(|r| r.unwrap().new.len() == 1));
        assert_eq!(journal.stats().operations.load(Ordering::Relaxed), 200);
        let mut seqs = Vec::new();
        while let Ok(e) = rx.try_recv() {
            seqs.push(e.seq);
        }
        assert_eq!(seqs, (1..=200).collect::<Vec<_>>());
    }

    #[test]
    fn operations_waiting_together_are_one_transaction() {
        let dir = tempfile::tempdir().unwrap();
        let conn = prepare(&dir.path().join("j.sqlite")).unwrap();
        let (tx, rx) = mpsc::channel(MAX_GROUP);
        let mut answers = Vec::new();
        for i in 0..50 {
            let (reply, answer) = oneshot::channel();
            let events = incoming(&format!(r#"{{"id":"g{i}"}}"#));
            let op = Op::Append {
                events,
                received_us: 0,
                reply,
            };
            assert!(tx.try_send(op).is_ok());
            answers.push(answer);
        }
        drop(tx);
        let stats = JournalStats::default();
        write_loop(conn, rx, None, &stats);
        assert_eq!(stats.commits.load(Ordering::Relaxed), 1);
        assert_eq!(stats.operations.load(Ordering::Relaxed), 50);
        for (i, mut answer) in answers.into_iter().enumerate() {
            assert_eq!(answer.try_recv().unwrap().unwrap().new, [i as i64 + 1]);
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_new_journal_is_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.sqlite");
        Journal::open(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn a_newer_journal_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.sqlite");
        Connection::open(&path)
            .unwrap()
            .execute_batch("PRAGMA user_version = 9")
            .unwrap();
        let err = Journal::open(&path).err().unwrap();
        assert!(matches!(err, JournalError::Newer { found: 9, .. }), "{err}");
    }
}
