//! The SQLite backend: one writer connection and one read-only connection, used on the
//! blocking pool.
//!
//! Journal: WAL with `synchronous=NORMAL`. In WAL mode NORMAL never corrupts the database
//! and a killed process loses no committed transaction; only a power loss or OS crash may
//! roll back the last commits, and since each page's rows and its cursor commit together,
//! such a rollback only makes the next sync fetch those pages again. FULL would add an
//! fsync per page for no gain in what the mirror ends up holding.

use crate::error::{MirrorError, one_line};
use crate::mirror::{
    Cursor, Held, Hit, LOCK_POLL, RunSummary, Saved, SyncLock, TableInfo, best_per_ticket,
    counts_json, fts_terms, now, overfetch,
};
use crate::schema::{
    Dialect, META, MIGRATIONS, SCHEMA_VERSION, names, negative_rowids, own_rowids,
};
use crate::table::{Cell, ColumnKind, Key, SEARCH, Table};
use halopsa::reports::ReportTable;
use rusqlite::types::{ToSqlOutput, Value as SqlValue, ValueRef};
use rusqlite::{Connection, OpenFlags, OptionalExtension, ToSql, TransactionBehavior, params};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a connection waits for another's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The SQLite mirror.
pub(crate) struct Lite {
    path: PathBuf,
    inner: Arc<Conns>,
}

struct Conns {
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
}

impl ToSql for Cell {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Cell::Null => ToSqlOutput::Owned(SqlValue::Null),
            Cell::Int(n) => ToSqlOutput::Owned(SqlValue::Integer(*n)),
            Cell::Real(f) => ToSqlOutput::Owned(SqlValue::Real(*f)),
            Cell::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Cell::Bool(b) => ToSqlOutput::Owned(SqlValue::Integer(i64::from(*b))),
        })
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> MirrorError + '_ {
    move |source| MirrorError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(".lock");
    PathBuf::from(name)
}

/// Runs `f` on the blocking pool.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, MirrorError> + Send + 'static,
) -> Result<T, MirrorError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| MirrorError::Sql(format!("a mirror task failed: {e}")))?
}

fn version(conn: &Connection) -> Result<i64, MirrorError> {
    let text: Option<String> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    match text {
        None => Ok(0),
        Some(t) => t
            .parse()
            .map_err(|_| MirrorError::Corrupt(format!("schema version '{t}'"))),
    }
}

/// Brings the database to [`SCHEMA_VERSION`], one step per transaction.
fn migrate(conn: &mut Connection) -> Result<(), MirrorError> {
    conn.execute(META, [])?;
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let found = version(&tx)?;
        if found > SCHEMA_VERSION {
            return Err(MirrorError::NewerSchema {
                found,
                supported: SCHEMA_VERSION,
            });
        }
        if found == SCHEMA_VERSION {
            return Ok(());
        }
        for stmt in MIGRATIONS[found as usize](Dialect::Sqlite) {
            tx.execute_batch(&stmt)?;
        }
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('schema_version', ?1) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [(found + 1).to_string()],
        )?;
        tx.commit()?;
        tracing::debug!(version = found + 1, "mirror schema migrated");
    }
}

/// Whether `path` holds a mirror (a `meta` table).
fn is_mirror(path: &Path) -> Result<bool, MirrorError> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let found: Option<i64> = conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    Ok(found.is_some())
}

fn sqlite_error(e: rusqlite::Error) -> MirrorError {
    let text = one_line(&e.to_string());
    let read_only = matches!(
        &e,
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ReadOnly
    ) || text.contains("readonly")
        || text.contains("read-only");
    if read_only {
        MirrorError::ReadOnly(text)
    } else {
        MirrorError::Sql(text)
    }
}

fn store_cursor(conn: &Connection, table: &Table, cursor: &Cursor) -> Result<(), MirrorError> {
    conn.prepare_cached(
        "INSERT INTO sync_state (table_name, cursor) VALUES (?1, ?2) \
         ON CONFLICT (table_name) DO UPDATE SET cursor = excluded.cursor",
    )?
    .execute(params![table.name, cursor.to_json()])?;
    Ok(())
}

fn key_where(table: &Table, first: usize) -> String {
    table
        .key_columns
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{} = ?{}", c.name, first + i))
        .collect::<Vec<_>>()
        .join(" AND ")
}

fn read_key(table: &Table, row: &rusqlite::Row<'_>) -> Result<Key, MirrorError> {
    let mut cells = Vec::with_capacity(table.key_columns.len());
    for (i, c) in table.key_columns.iter().enumerate() {
        cells.push(match c.kind {
            ColumnKind::Text => Cell::Text(row.get(i)?),
            _ => Cell::Int(row.get(i)?),
        });
    }
    table
        .key_from_cells(&cells)
        .ok_or_else(|| MirrorError::Corrupt(format!("a key in {}", table.name)))
}

fn parse_doc(table: &Table, text: &str) -> Result<Value, MirrorError> {
    serde_json::from_str(text)
        .map_err(|e| MirrorError::Corrupt(format!("a document in {}: {e}", table.name)))
}

impl Lite {
    /// Opens (and with `create`, creates) the database at `path` and migrates it.
    pub(crate) async fn open(path: PathBuf, create: bool) -> Result<Lite, MirrorError> {
        blocking(move || {
            if !create && (!path.exists() || !is_mirror(&path)?) {
                return Err(MirrorError::Missing(path.display().to_string()));
            }
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(io(dir))?;
            }
            let mut writer = Connection::open(&path)?;
            writer.busy_timeout(BUSY_TIMEOUT)?;
            writer.pragma_update(None, "journal_mode", "WAL")?;
            writer.pragma_update(None, "synchronous", "NORMAL")?;
            // A 64 MiB page cache: a full sync touches each table's indexes all over.
            writer.pragma_update(None, "cache_size", -65_536)?;
            migrate(&mut writer)?;
            let reader = Connection::open_with_flags(
                &path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            reader.busy_timeout(BUSY_TIMEOUT)?;
            reader.pragma_update(None, "query_only", "ON")?;
            Ok(Lite {
                path,
                inner: Arc::new(Conns {
                    writer: Mutex::new(writer),
                    reader: Mutex::new(reader),
                }),
            })
        })
        .await
    }

    /// Runs `f` with the writer connection on the blocking pool.
    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, MirrorError> + Send + 'static,
    ) -> Result<T, MirrorError> {
        let inner = Arc::clone(&self.inner);
        blocking(move || {
            let mut conn = inner
                .writer
                .lock()
                .map_err(|_| MirrorError::Sql("the mirror's connection was poisoned".into()))?;
            f(&mut conn)
        })
        .await
    }

    /// Runs `f` with the read-only connection on the blocking pool.
    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, MirrorError> + Send + 'static,
    ) -> Result<T, MirrorError> {
        let inner = Arc::clone(&self.inner);
        blocking(move || {
            let conn = inner
                .reader
                .lock()
                .map_err(|_| MirrorError::Sql("the mirror's connection was poisoned".into()))?;
            f(&conn)
        })
        .await
    }

    pub(crate) async fn lock(&self, wait: Option<Duration>) -> Result<SyncLock, MirrorError> {
        let path = lock_path(&self.path);
        let shown = self.path.display().to_string();
        blocking(move || {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .map_err(io(&path))?;
            let deadline = wait.map(|w| Instant::now() + w);
            loop {
                match file.try_lock() {
                    Ok(()) => return Ok(SyncLock::new(Held::File { _file: file })),
                    Err(std::fs::TryLockError::WouldBlock) => {}
                    Err(std::fs::TryLockError::Error(e)) => return Err(io(&path)(e)),
                }
                match deadline {
                    Some(d) if Instant::now() < d => std::thread::sleep(LOCK_POLL),
                    _ => return Err(MirrorError::Busy(shown)),
                }
            }
        })
        .await
    }

    pub(crate) async fn cursor(&self, table: &'static Table) -> Result<Cursor, MirrorError> {
        self.write(move |conn| {
            let text: Option<String> = conn
                .prepare_cached("SELECT cursor FROM sync_state WHERE table_name = ?1")?
                .query_row([table.name], |r| r.get(0))
                .optional()?;
            text.map_or_else(|| Ok(Cursor::default()), |t| Cursor::from_json(&t))
        })
        .await
    }

    pub(crate) async fn save(
        &self,
        table: &'static Table,
        rows: Vec<(Key, Value)>,
        cursor: Option<Cursor>,
    ) -> Result<Saved, MirrorError> {
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let saved = upsert(&tx, table, rows)?;
            if let Some(cursor) = &cursor {
                store_cursor(&tx, table, cursor)?;
            }
            tx.commit()?;
            Ok(saved)
        })
        .await
    }

    pub(crate) async fn remove(
        &self,
        table: &'static Table,
        keys: Vec<Key>,
        cursor: Option<Cursor>,
    ) -> Result<u64, MirrorError> {
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut removed = 0;
            {
                let mut delete = tx.prepare_cached(&format!(
                    "DELETE FROM {} WHERE {}",
                    table.name,
                    key_where(table, 1)
                ))?;
                for key in &keys {
                    let cells = table.key_cells(key);
                    removed += delete.execute(rusqlite::params_from_iter(cells.iter()))? as u64;
                }
            }
            if let Some(cursor) = &cursor {
                store_cursor(&tx, table, cursor)?;
            }
            tx.commit()?;
            Ok(removed)
        })
        .await
    }

    pub(crate) async fn keys(&self, table: &'static Table) -> Result<BTreeSet<Key>, MirrorError> {
        self.write(move |conn| {
            let mut stmt = conn.prepare(&format!(
                "SELECT {} FROM {}",
                names(table.key_columns),
                table.name
            ))?;
            let mut rows = stmt.query([])?;
            let mut out = BTreeSet::new();
            while let Some(row) = rows.next()? {
                out.insert(read_key(table, row)?);
            }
            Ok(out)
        })
        .await
    }

    pub(crate) async fn documents(
        &self,
        table: &'static Table,
    ) -> Result<BTreeMap<Key, Value>, MirrorError> {
        self.write(move |conn| {
            let mut stmt = conn.prepare(&format!(
                "SELECT {}, doc FROM {}",
                names(table.key_columns),
                table.name
            ))?;
            let mut rows = stmt.query([])?;
            let mut out = BTreeMap::new();
            let at = table.key_columns.len();
            while let Some(row) = rows.next()? {
                let key = read_key(table, row)?;
                let text: String = row.get(at)?;
                out.insert(key, parse_doc(table, &text)?);
            }
            Ok(out)
        })
        .await
    }

    pub(crate) async fn clear(&self, table: &'static Table) -> Result<(), MirrorError> {
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(&format!("DELETE FROM {}", table.name), [])?;
            tx.execute("DELETE FROM sync_state WHERE table_name = ?1", [table.name])?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    pub(crate) async fn begin_run(&self, tables: String, full: bool) -> Result<i64, MirrorError> {
        self.write(move |conn| {
            conn.execute(crate::mirror::STALE_RUNS, [])?;
            Ok(conn.query_row(
                "INSERT INTO sync_runs (started, tables, \"full\", outcome) \
                 VALUES (?1, ?2, ?3, 'running') RETURNING id",
                params![now(), tables, full],
                |r| r.get(0),
            )?)
        })
        .await
    }

    pub(crate) async fn finish_run(
        &self,
        run: i64,
        summary: RunSummary,
    ) -> Result<(), MirrorError> {
        self.write(move |conn| {
            let n = conn.execute(
                "UPDATE sync_runs SET finished = ?1, counts = ?2, requests = ?3, outcome = ?4 \
                 WHERE id = ?5",
                params![
                    now(),
                    counts_json(&summary),
                    summary.requests as i64,
                    summary.outcome,
                    run
                ],
            )?;
            if n == 0 {
                return Err(MirrorError::Sql(format!("no sync run {run} was begun")));
            }
            Ok(())
        })
        .await
    }

    pub(crate) async fn search(&self, text: String, limit: usize) -> Result<Vec<Hit>, MirrorError> {
        let Some(terms) = fts_terms(&text) else {
            return Ok(Vec::new());
        };
        self.read(move |conn| {
            let mut hits = Vec::new();
            let mut stmt = conn.prepare_cached(&search_sql())?;
            let mut rows = stmt.query(params![terms, overfetch(limit)])?;
            while let Some(r) = rows.next()? {
                hits.push(Hit {
                    ticket_id: r.get(0)?,
                    summary: r.get(1)?,
                    snippet: r.get(2)?,
                    rank: r.get(3)?,
                });
            }
            Ok(best_per_ticket(hits, limit))
        })
        .await
    }

    pub(crate) async fn query(&self, sql: String) -> Result<ReportTable, MirrorError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare(&sql).map_err(sqlite_error)?;
            if !stmt.readonly() {
                return Err(MirrorError::ReadOnly(
                    "the statement would change the database".into(),
                ));
            }
            let columns: Vec<String> = stmt.column_names().map(str::to_string).collect();
            let mut rows = stmt.query([]).map_err(sqlite_error)?;
            let mut out = Vec::new();
            while let Some(row) = rows.next().map_err(sqlite_error)? {
                let mut map = Map::new();
                for (i, name) in columns.iter().enumerate() {
                    let value = match row.get_ref(i)? {
                        ValueRef::Null => Value::Null,
                        ValueRef::Integer(n) => Value::from(n),
                        ValueRef::Real(f) => {
                            serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
                        }
                        ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
                        ValueRef::Blob(b) => Value::String(format!("<{} bytes>", b.len())),
                    };
                    map.insert(name.clone(), value);
                }
                out.push(map);
            }
            Ok(ReportTable { columns, rows: out })
        })
        .await
    }

    pub(crate) async fn schema(&self) -> Result<Vec<TableInfo>, MirrorError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '%_fts' AND name NOT LIKE '%_fts_%' \
                 ORDER BY name",
            )?;
            let names: Vec<String> = stmt
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            let mut cols = conn.prepare(
                "SELECT name, type FROM pragma_table_info(?1) ORDER BY cid",
            )?;
            let mut out = Vec::with_capacity(names.len());
            for name in names {
                let columns = cols
                    .query_map([&name], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<_, _>>()?;
                out.push(TableInfo { name, columns });
            }
            Ok(out)
        })
        .await
    }
}

/// The search: the best index rows, each turned into its ticket (an action's index row id is
/// its own negative row id), with the ticket's summary.
fn search_sql() -> String {
    let arms: Vec<String> = SEARCH
        .iter()
        .map(|s| {
            format!(
                "SELECT {ticket} FROM {table} WHERE rowid = h.rid AND h.rid {own}",
                ticket = s.ticket,
                table = s.table,
                own = own_rowids(s)
            )
        })
        .collect();
    let ticket = format!(
        "coalesce({})",
        arms.iter()
            .map(|a| format!("({a})"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    format!(
        "WITH h AS (SELECT rowid AS rid, snippet(search_fts, -1, '«', '»', '…', 16) AS snip, \
                    -rank AS score FROM search_fts WHERE search_fts MATCH ?1 \
                    ORDER BY rank LIMIT ?2), \
              k AS (SELECT {ticket} AS ticket, snip, score FROM h) \
         SELECT k.ticket, coalesce(t.summary, ''), k.snip, k.score \
         FROM k LEFT JOIN tickets t ON t.id = k.ticket WHERE k.ticket IS NOT NULL \
         ORDER BY k.score DESC"
    )
}

/// Inserts new keys, replaces changed documents and leaves equal ones alone, counting each.
fn upsert(
    tx: &rusqlite::Transaction<'_>,
    table: &Table,
    rows: Vec<(Key, Value)>,
) -> Result<Saved, MirrorError> {
    let keys = table.key_columns.len();
    let all: Vec<&str> = table
        .key_columns
        .iter()
        .chain(table.columns)
        .map(|c| c.name)
        .collect();
    let mut placeholders: Vec<String> = (1..=all.len() + 2).map(|i| format!("?{i}")).collect();
    let mut columns = all.join(", ");
    if negative_rowids(table.name) {
        // The search index tells this table's rows from tickets by their negative row ids.
        columns = format!("rowid, {columns}");
        placeholders.insert(
            0,
            // A bare `min(rowid)` subquery, which SQLite answers from the b-tree's end.
            format!(
                "min(coalesce((SELECT min(rowid) FROM {}), 0), 0) - 1",
                table.name
            ),
        );
    }
    // A new key is inserted in one statement; a known one is updated only when its document
    // differs (so an unchanged row costs no write and no search-index work).
    let mut insert = tx.prepare_cached(&format!(
        "INSERT INTO {} ({columns}, doc, synced_at) VALUES ({}) ON CONFLICT DO NOTHING",
        table.name,
        placeholders.join(", ")
    ))?;
    let sets: Vec<String> = table
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{} = ?{}", c.name, i + 1))
        .chain([
            format!("doc = ?{}", table.columns.len() + 1),
            format!("synced_at = ?{}", table.columns.len() + 2),
        ])
        .collect();
    let doc_at = table.columns.len() + 1;
    let mut update = tx.prepare_cached(&format!(
        "UPDATE {} SET {} WHERE {} AND doc IS NOT ?{doc_at}",
        table.name,
        sets.join(", "),
        key_where(table, table.columns.len() + 3)
    ))?;
    let synced = now();
    let mut saved = Saved::default();
    for (key, doc) in rows {
        let key_cells = table.key_cells(&key);
        debug_assert_eq!(key_cells.len(), keys);
        let mut values: Vec<Cell> = table.columns.iter().map(|c| c.cell(&doc)).collect();
        values.push(Cell::Text(doc.to_string()));
        values.push(Cell::Text(synced.clone()));
        if insert.execute(rusqlite::params_from_iter(key_cells.iter().chain(&values)))? == 1 {
            saved.new += 1;
            continue;
        }
        if update.execute(rusqlite::params_from_iter(values.iter().chain(&key_cells)))? == 1 {
            saved.changed += 1;
        } else {
            saved.unchanged += 1;
        }
    }
    Ok(saved)
}
