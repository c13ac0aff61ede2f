//! The PostgreSQL backend: one session for the mirror's work (behind an async mutex), TLS
//! through rustls when the server offers it (`sslmode` in the URL decides), `jsonb`
//! documents, batched upserts with `UNNEST`.

use crate::error::{MirrorError, one_line};
use crate::mirror::{
    Cursor, Held, Hit, LOCK_POLL, RunSummary, Saved, SyncLock, TableInfo, best_per_ticket,
    counts_json, fts_terms, now, overfetch,
};
use crate::schema::{Dialect, META, MIGRATIONS, SCHEMA_VERSION, names, pg_text};
use crate::table::{Cell, ColumnKind, Key, SEARCH, Table};
use crate::target::PostgresUrl;
use halopsa::reports::ReportTable;
use rustls_platform_verifier::BuilderVerifierExt;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::Mutex;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, SimpleQueryMessage};

/// The advisory lock key that one sync at a time holds ("halomirr").
const SYNC_LOCK_KEY: i64 = 0x6861_6c6f_6d69_7272;
/// The advisory lock key held while migrating ("halomigr").
const MIGRATE_LOCK_KEY: i64 = 0x6861_6c6f_6d69_6772;
/// How long one `query` statement may run.
const QUERY_TIMEOUT_SECS: u64 = 30;

/// The PostgreSQL mirror.
pub(crate) struct Pg {
    url: PostgresUrl,
    client: Mutex<Client>,
}

/// A TLS connector with the platform's roots, on the aws-lc-rs provider named explicitly
/// (so no process-wide default provider is needed).
fn tls() -> Result<tokio_postgres_rustls::MakeRustlsConnect, MirrorError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_platform_verifier())
        .map_err(|e| MirrorError::Sql(format!("TLS set-up failed: {e}")))?
        .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// Opens a session; `missing_is_absent` turns "no such database" into
/// [`MirrorError::Missing`].
async fn connect(url: &PostgresUrl, missing_is_absent: bool) -> Result<Client, MirrorError> {
    let (client, connection) = url.config().connect(tls()?).await.map_err(|e| {
        if missing_is_absent && e.code() == Some(&SqlState::INVALID_CATALOG_NAME) {
            return MirrorError::Missing(url.to_string());
        }
        let reason = e
            .as_db_error()
            .map_or_else(|| one_line(&e.to_string()), |d| one_line(d.message()));
        MirrorError::Connect {
            target: url.to_string(),
            reason,
        }
    })?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "mirror PostgreSQL session ended");
        }
    });
    Ok(client)
}

fn query_error(e: tokio_postgres::Error) -> MirrorError {
    match e.code() {
        Some(c) if *c == SqlState::READ_ONLY_SQL_TRANSACTION => MirrorError::ReadOnly(
            e.as_db_error()
                .map_or_else(|| one_line(&e.to_string()), |d| one_line(d.message())),
        ),
        Some(c) if *c == SqlState::QUERY_CANCELED => MirrorError::TimedOut(QUERY_TIMEOUT_SECS),
        _ => MirrorError::from(e),
    }
}

/// A column of values for `UNNEST`, typed as the table's column is.
enum Array {
    Int(Vec<Option<i64>>),
    Real(Vec<Option<f64>>),
    Bool(Vec<Option<bool>>),
    Text(Vec<Option<String>>),
}

impl Array {
    fn new(kind: ColumnKind, capacity: usize) -> Array {
        match kind {
            ColumnKind::Int => Array::Int(Vec::with_capacity(capacity)),
            ColumnKind::Real => Array::Real(Vec::with_capacity(capacity)),
            ColumnKind::Bool => Array::Bool(Vec::with_capacity(capacity)),
            _ => Array::Text(Vec::with_capacity(capacity)),
        }
    }

    fn push(&mut self, cell: Cell) {
        match (self, cell) {
            (Array::Int(v), Cell::Int(n)) => v.push(Some(n)),
            (Array::Real(v), Cell::Real(f)) => v.push(Some(f)),
            (Array::Bool(v), Cell::Bool(b)) => v.push(Some(b)),
            (Array::Text(v), Cell::Text(s)) => v.push(Some(s)),
            (Array::Int(v), _) => v.push(None),
            (Array::Real(v), _) => v.push(None),
            (Array::Bool(v), _) => v.push(None),
            (Array::Text(v), _) => v.push(None),
        }
    }

    fn param(&self) -> &(dyn ToSql + Sync) {
        match self {
            Array::Int(v) => v,
            Array::Real(v) => v,
            Array::Bool(v) => v,
            Array::Text(v) => v,
        }
    }

    fn sql_type(kind: ColumnKind) -> &'static str {
        match kind {
            ColumnKind::Int => "bigint[]",
            ColumnKind::Real => "float8[]",
            ColumnKind::Bool => "boolean[]",
            _ => "text[]",
        }
    }
}

/// `$n::type[]` placeholders and `UNNEST` column names for the key columns.
fn key_arrays(table: &Table, keys: &[Key]) -> Vec<Array> {
    let mut arrays: Vec<Array> = table
        .key_columns
        .iter()
        .map(|c| Array::new(c.kind, keys.len()))
        .collect();
    for key in keys {
        for (a, cell) in arrays.iter_mut().zip(table.key_cells(key)) {
            a.push(cell);
        }
    }
    arrays
}

fn key_from_row(table: &Table, row: &tokio_postgres::Row) -> Result<Key, MirrorError> {
    let mut cells = Vec::with_capacity(table.key_columns.len());
    for (i, c) in table.key_columns.iter().enumerate() {
        cells.push(match c.kind {
            ColumnKind::Text => Cell::Text(row.try_get(i)?),
            _ => Cell::Int(row.try_get(i)?),
        });
    }
    table
        .key_from_cells(&cells)
        .ok_or_else(|| MirrorError::Corrupt(format!("a key in {}", table.name)))
}

async fn store_cursor(
    tx: &tokio_postgres::Transaction<'_>,
    table: &Table,
    cursor: &Cursor,
) -> Result<(), MirrorError> {
    tx.execute(
        "INSERT INTO sync_state (table_name, cursor) VALUES ($1, $2::text::jsonb) \
         ON CONFLICT (table_name) DO UPDATE SET cursor = EXCLUDED.cursor",
        &[&table.name, &cursor.to_json()],
    )
    .await?;
    Ok(())
}

/// A query result's value as JSON, read by the column's type; `None` for a type with no
/// direct reading (the caller reads the statement's text form instead).
fn typed_value(
    row: &tokio_postgres::Row,
    i: usize,
    ty: &Type,
) -> Option<Result<Value, MirrorError>> {
    fn get<'a, T: tokio_postgres::types::FromSql<'a>>(
        row: &'a tokio_postgres::Row,
        i: usize,
    ) -> Result<Option<T>, MirrorError> {
        Ok(row.try_get::<_, Option<T>>(i)?)
    }
    let value = match *ty {
        Type::BOOL => get::<bool>(row, i).map(|v| v.map(Value::from)),
        Type::INT2 => get::<i16>(row, i).map(|v| v.map(Value::from)),
        Type::INT4 => get::<i32>(row, i).map(|v| v.map(Value::from)),
        Type::INT8 => get::<i64>(row, i).map(|v| v.map(Value::from)),
        Type::OID => get::<u32>(row, i).map(|v| v.map(Value::from)),
        Type::FLOAT4 => get::<f32>(row, i)
            .map(|v| v.and_then(|f| serde_json::Number::from_f64(f64::from(f)).map(Value::Number))),
        Type::FLOAT8 => get::<f64>(row, i)
            .map(|v| v.and_then(|f| serde_json::Number::from_f64(f).map(Value::Number))),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
            get::<String>(row, i).map(|v| v.map(Value::String))
        }
        Type::JSON | Type::JSONB => get::<Value>(row, i),
        Type::TIMESTAMPTZ | Type::TIMESTAMP => get::<SystemTime>(row, i).map(|v| {
            v.and_then(|t| jiff::Timestamp::try_from(t).ok())
                .map(|t| Value::String(crate::table::iso(t)))
        }),
        _ => return None,
    };
    Some(value.map(|v| v.unwrap_or(Value::Null)))
}

/// A value in PostgreSQL's text form as JSON, read by the column's type: numbers (exact),
/// booleans and JSON as such, anything else as its text.
fn text_value(text: Option<&str>, ty: &Type) -> Value {
    let Some(text) = text else {
        return Value::Null;
    };
    let read = match *ty {
        Type::INT2
        | Type::INT4
        | Type::INT8
        | Type::OID
        | Type::NUMERIC
        | Type::FLOAT4
        | Type::FLOAT8 => text.parse::<serde_json::Number>().ok().map(Value::Number),
        Type::BOOL => match text {
            "t" => Some(Value::Bool(true)),
            "f" => Some(Value::Bool(false)),
            _ => None,
        },
        Type::JSON | Type::JSONB => serde_json::from_str(text).ok(),
        _ => None,
    };
    read.unwrap_or_else(|| Value::String(text.to_string()))
}

impl Pg {
    /// Connects and migrates; without `create`, a database with no mirror is
    /// [`MirrorError::Missing`].
    pub(crate) async fn open(url: &PostgresUrl, create: bool) -> Result<Pg, MirrorError> {
        let mut client = connect(url, !create).await?;
        if !create {
            let found: Option<String> = client
                .query_one("SELECT to_regclass('meta')::text", &[])
                .await?
                .try_get(0)?;
            if found.is_none() {
                return Err(MirrorError::Missing(url.to_string()));
            }
        }
        migrate(&mut client).await?;
        Ok(Pg {
            url: url.clone(),
            client: Mutex::new(client),
        })
    }

    pub(crate) async fn lock(&self, wait: Option<Duration>) -> Result<SyncLock, MirrorError> {
        let session = connect(&self.url, false).await?;
        let deadline = wait.map(|w| Instant::now() + w);
        loop {
            let got: bool = session
                .query_one("SELECT pg_try_advisory_lock($1)", &[&SYNC_LOCK_KEY])
                .await?
                .try_get(0)?;
            if got {
                return Ok(SyncLock::new(Held::Session { _client: session }));
            }
            match deadline {
                Some(d) if Instant::now() < d => tokio::time::sleep(LOCK_POLL).await,
                _ => return Err(MirrorError::Busy(self.url.to_string())),
            }
        }
    }

    pub(crate) async fn cursor(&self, table: &'static Table) -> Result<Cursor, MirrorError> {
        let client = self.client.lock().await;
        let row = client
            .query_opt(
                "SELECT cursor::text FROM sync_state WHERE table_name = $1",
                &[&table.name],
            )
            .await?;
        match row {
            None => Ok(Cursor::default()),
            Some(r) => Cursor::from_json(&r.try_get::<_, String>(0)?),
        }
    }

    pub(crate) async fn save(
        &self,
        table: &'static Table,
        rows: Vec<(Key, Value)>,
        cursor: Option<&Cursor>,
    ) -> Result<Saved, MirrorError> {
        let total = rows.len() as u64;
        let keys: Vec<Key> = rows.iter().map(|(k, _)| k.clone()).collect();
        let mut arrays = key_arrays(table, &keys);
        let mut core: Vec<Array> = table
            .columns
            .iter()
            .map(|c| Array::new(c.kind, rows.len()))
            .collect();
        let mut docs: Vec<String> = Vec::with_capacity(rows.len());
        for (_, doc) in &rows {
            for (a, c) in core.iter_mut().zip(table.columns) {
                a.push(c.cell(doc));
            }
            docs.push(doc.to_string());
        }
        arrays.extend(core);
        let all: Vec<_> = table.key_columns.iter().chain(table.columns).collect();
        let unnest: Vec<String> = all
            .iter()
            .enumerate()
            .map(|(i, c)| format!("${}::{}", i + 1, Array::sql_type(c.kind)))
            .chain([format!("${}::text[]", all.len() + 1)])
            .collect();
        let selected: Vec<String> = all
            .iter()
            .map(|c| match c.kind {
                ColumnKind::Time => format!("u.{}::timestamptz", c.name),
                _ => format!("u.{}", c.name),
            })
            .chain([
                "u.doc::jsonb".to_string(),
                format!("${}::text::timestamptz", all.len() + 2),
            ])
            .collect();
        let column_names: Vec<&str> = all.iter().map(|c| c.name).collect();
        let sets: Vec<String> = table
            .columns
            .iter()
            .map(|c| format!("{0} = EXCLUDED.{0}", c.name))
            .chain([
                "doc = EXCLUDED.doc".into(),
                "synced_at = EXCLUDED.synced_at".into(),
            ])
            .collect();
        let sql = format!(
            "INSERT INTO {t} AS t ({cols}, doc, synced_at) \
             SELECT {selected} FROM UNNEST({unnest}) AS u({cols}, doc) \
             ON CONFLICT ({keys}) DO UPDATE SET {sets} WHERE t.doc IS DISTINCT FROM EXCLUDED.doc \
             RETURNING (xmax = 0)",
            t = table.name,
            cols = column_names.join(", "),
            selected = selected.join(", "),
            unnest = unnest.join(", "),
            keys = names(table.key_columns),
            sets = sets.join(", "),
        );
        let synced = now();
        let mut params: Vec<&(dyn ToSql + Sync)> = arrays.iter().map(Array::param).collect();
        params.push(&docs);
        params.push(&synced);
        let mut client = self.client.lock().await;
        let tx = client.transaction().await?;
        let mut saved = Saved::default();
        if !rows.is_empty() {
            for row in tx.query(&sql, &params).await? {
                if row.try_get::<_, bool>(0)? {
                    saved.new += 1;
                } else {
                    saved.changed += 1;
                }
            }
        }
        saved.unchanged = total - saved.new - saved.changed;
        if let Some(cursor) = cursor {
            store_cursor(&tx, table, cursor).await?;
        }
        tx.commit().await?;
        Ok(saved)
    }

    pub(crate) async fn remove(
        &self,
        table: &'static Table,
        keys: Vec<Key>,
        cursor: Option<&Cursor>,
    ) -> Result<u64, MirrorError> {
        let arrays = key_arrays(table, &keys);
        let unnest: Vec<String> = table
            .key_columns
            .iter()
            .enumerate()
            .map(|(i, c)| format!("${}::{}", i + 1, Array::sql_type(c.kind)))
            .collect();
        let matches: Vec<String> = table
            .key_columns
            .iter()
            .map(|c| format!("t.{0} = u.{0}", c.name))
            .collect();
        let sql = format!(
            "DELETE FROM {t} AS t USING UNNEST({unnest}) AS u({cols}) WHERE {matches}",
            t = table.name,
            unnest = unnest.join(", "),
            cols = names(table.key_columns),
            matches = matches.join(" AND "),
        );
        let params: Vec<&(dyn ToSql + Sync)> = arrays.iter().map(Array::param).collect();
        let mut client = self.client.lock().await;
        let tx = client.transaction().await?;
        let removed = if keys.is_empty() {
            0
        } else {
            tx.execute(&sql, &params).await?
        };
        if let Some(cursor) = cursor {
            store_cursor(&tx, table, cursor).await?;
        }
        tx.commit().await?;
        Ok(removed)
    }

    pub(crate) async fn keys(&self, table: &'static Table) -> Result<BTreeSet<Key>, MirrorError> {
        let client = self.client.lock().await;
        let sql = format!("SELECT {} FROM {}", names(table.key_columns), table.name);
        let mut out = BTreeSet::new();
        for row in client.query(&sql, &[]).await? {
            out.insert(key_from_row(table, &row)?);
        }
        Ok(out)
    }

    pub(crate) async fn documents(
        &self,
        table: &'static Table,
    ) -> Result<BTreeMap<Key, Value>, MirrorError> {
        let client = self.client.lock().await;
        let sql = format!(
            "SELECT {}, doc::text FROM {}",
            names(table.key_columns),
            table.name
        );
        let at = table.key_columns.len();
        let mut out = BTreeMap::new();
        for row in client.query(&sql, &[]).await? {
            let text: String = row.try_get(at)?;
            let doc = serde_json::from_str(&text)
                .map_err(|e| MirrorError::Corrupt(format!("a document in {}: {e}", table.name)))?;
            out.insert(key_from_row(table, &row)?, doc);
        }
        Ok(out)
    }

    pub(crate) async fn clear(&self, table: &'static Table) -> Result<(), MirrorError> {
        let mut client = self.client.lock().await;
        let tx = client.transaction().await?;
        tx.execute(&format!("DELETE FROM {}", table.name), &[])
            .await?;
        tx.execute(
            "DELETE FROM sync_state WHERE table_name = $1",
            &[&table.name],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn begin_run(&self, tables: String, full: bool) -> Result<i64, MirrorError> {
        let client = self.client.lock().await;
        client.execute(crate::mirror::STALE_RUNS, &[]).await?;
        let row = client
            .query_one(
                "INSERT INTO sync_runs (started, tables, \"full\", outcome) \
                 VALUES ($1::text::timestamptz, $2::text::jsonb, $3, 'running') RETURNING id",
                &[&now(), &tables, &full],
            )
            .await?;
        Ok(row.try_get(0)?)
    }

    pub(crate) async fn finish_run(
        &self,
        run: i64,
        summary: &RunSummary,
    ) -> Result<(), MirrorError> {
        let client = self.client.lock().await;
        let n = client
            .execute(
                "UPDATE sync_runs SET finished = $1::text::timestamptz, counts = $2::text::jsonb, \
                 requests = $3, outcome = $4 WHERE id = $5",
                &[
                    &now(),
                    &counts_json(summary),
                    &(summary.requests as i64),
                    &summary.outcome,
                    &run,
                ],
            )
            .await?;
        if n == 0 {
            return Err(MirrorError::Sql(format!("no sync run {run} was begun")));
        }
        Ok(())
    }

    pub(crate) async fn search(&self, text: &str, limit: usize) -> Result<Vec<Hit>, MirrorError> {
        // Only the words are searched, as in SQLite; plainto_tsquery takes no syntax either.
        let Some(terms) = fts_terms(text) else {
            return Ok(Vec::new());
        };
        let words = terms.replace('"', "");
        let fetch = overfetch(limit);
        let headline = "'StartSel=«, StopSel=», MaxWords=24, MinWords=8, MaxFragments=1'";
        let queries = SEARCH.iter().map(|s| {
            format!(
                "SELECT h.ticket, coalesce(t.summary, ''), \
                        ts_headline('english', {text}, q, {headline}), h.rank::float8 \
                 FROM (SELECT {ticket} AS ticket, doc, ts_rank(search, q) AS rank, q \
                       FROM {source}, plainto_tsquery('english', $1) AS q \
                       WHERE search @@ q ORDER BY rank DESC, {ticket} LIMIT $2) AS h \
                 LEFT JOIN tickets t ON t.id = h.ticket \
                 ORDER BY h.rank DESC, h.ticket",
                text = pg_text(s, "h"),
                ticket = s.ticket,
                source = s.table,
            )
        });
        let client = self.client.lock().await;
        let mut hits = Vec::new();
        for sql in queries {
            for row in client.query(&sql, &[&words, &fetch]).await? {
                hits.push(Hit {
                    ticket_id: row.try_get(0)?,
                    summary: row.try_get(1)?,
                    snippet: row.try_get(2)?,
                    rank: row.try_get(3)?,
                });
            }
        }
        Ok(best_per_ticket(hits, limit))
    }

    pub(crate) async fn query(&self, sql: &str) -> Result<ReportTable, MirrorError> {
        let mut client = self.client.lock().await;
        let tx = client.build_transaction().read_only(true).start().await?;
        tx.batch_execute(&format!(
            "SET LOCAL statement_timeout = '{QUERY_TIMEOUT_SECS}s'"
        ))
        .await?;
        let stmt = tx.prepare(sql).await.map_err(query_error)?;
        let columns: Vec<String> = stmt
            .columns()
            .iter()
            .map(|c| c.name().to_string())
            .collect();
        let types: Vec<Type> = stmt.columns().iter().map(|c| c.type_().clone()).collect();
        let direct = {
            let probe = tx.query(&stmt, &[]).await.map_err(query_error)?;
            let mut rows = Vec::with_capacity(probe.len());
            let mut readable = true;
            'rows: for row in &probe {
                let mut map = Map::new();
                for (i, (name, ty)) in columns.iter().zip(&types).enumerate() {
                    match typed_value(row, i, ty) {
                        Some(v) => {
                            map.insert(name.clone(), v?);
                        }
                        None => {
                            readable = false;
                            break 'rows;
                        }
                    }
                }
                rows.push(map);
            }
            readable.then_some(rows)
        };
        let rows = match direct {
            Some(rows) => rows,
            None => {
                // A type with no binary reading here (numeric, date, arrays...): the text form.
                let mut rows = Vec::new();
                for message in tx.simple_query(sql).await.map_err(query_error)? {
                    if let SimpleQueryMessage::Row(r) = message {
                        let mut map = Map::new();
                        for (i, (name, ty)) in columns.iter().zip(&types).enumerate() {
                            map.insert(name.clone(), text_value(r.get(i), ty));
                        }
                        rows.push(map);
                    }
                }
                rows
            }
        };
        tx.rollback().await?;
        Ok(ReportTable { columns, rows })
    }

    pub(crate) async fn schema(&self) -> Result<Vec<TableInfo>, MirrorError> {
        let client = self.client.lock().await;
        let rows = client
            .query(
                "SELECT table_name::text, column_name::text, data_type::text \
                 FROM information_schema.columns WHERE table_schema = current_schema() \
                 ORDER BY table_name, ordinal_position",
                &[],
            )
            .await?;
        let mut out: Vec<TableInfo> = Vec::new();
        for row in rows {
            let (table, column, ty): (String, String, String) =
                (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
            match out.last_mut() {
                Some(t) if t.name == table => t.columns.push((column, ty)),
                _ => out.push(TableInfo {
                    name: table,
                    columns: vec![(column, ty)],
                }),
            }
        }
        Ok(out)
    }
}

/// Brings the database to [`SCHEMA_VERSION`], one step per transaction, under an advisory
/// lock so that two processes never migrate at once.
async fn migrate(client: &mut Client) -> Result<(), MirrorError> {
    loop {
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATE_LOCK_KEY])
            .await?;
        tx.batch_execute(META).await?;
        let found = match tx
            .query_opt("SELECT value FROM meta WHERE key = 'schema_version'", &[])
            .await?
        {
            None => 0,
            Some(row) => {
                let text: String = row.try_get(0)?;
                text.parse()
                    .map_err(|_| MirrorError::Corrupt(format!("schema version '{text}'")))?
            }
        };
        if found > SCHEMA_VERSION {
            return Err(MirrorError::NewerSchema {
                found,
                supported: SCHEMA_VERSION,
            });
        }
        if found == SCHEMA_VERSION {
            tx.commit().await?;
            return Ok(());
        }
        for stmt in MIGRATIONS[found as usize](Dialect::Postgres) {
            tx.batch_execute(&stmt).await?;
        }
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('schema_version', $1) \
             ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            &[&(found + 1).to_string()],
        )
        .await?;
        tx.commit().await?;
        tracing::debug!(version = found + 1, "mirror schema migrated");
    }
}
