//! Storage: every object is a JSON document in one SQLite table, with indexed columns copied
//! out of the document for the fields the sandbox filters and orders on; the bytes of files
//! (attachments) are BLOBs in a second table, keyed by their object's id.

use crate::domain::lock::lock;
use rusqlite::types::Value as Sql;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// A document as Halo writes it: `id` first, then the other properties (clients that read
/// only ids, like `halo export`, find it at once).
pub struct IdFirst<'a>(pub &'a Map<String, Value>);

impl serde::Serialize for IdFirst<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        if let Some(id) = self.0.get("id") {
            map.serialize_entry("id", id)?;
        }
        for (k, v) in self.0.iter().filter(|(k, _)| *k != "id") {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// A document's JSON text, `id` first.
pub fn doc_text(doc: &Map<String, Value>) -> String {
    serde_json::to_string(&IdFirst(doc)).unwrap_or_else(|_| "{}".into())
}

/// A column that can be filtered or ordered on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Col {
    /// The object's id.
    Id,
    /// `client_id`.
    Client,
    /// `site_id`.
    Site,
    /// `user_id`.
    User,
    /// `agent_id`.
    Agent,
    /// `status_id`.
    Status,
    /// `ticket_id` (actions, attachments, invoices...).
    Ticket,
    /// `tickettype_id`, `assettype_id`, `type_id`, `typeid` (a custom field's entity)...
    Type,
    /// `priority_id`.
    Priority,
    /// `toplevel_id`.
    TopLevel,
    /// Soft-deleted.
    Deleted,
    /// Closed (`hasbeenclosed`).
    Closed,
    /// Inactive.
    Inactive,
    /// The main date (`dateoccurred`, `datetime`, `start_date`, `invoice_date`...).
    DateA,
    /// The second date (`dateclosed`, `end_date`, `duedate`).
    DateB,
    /// The resource's change field ([`halopsa::resource::Resource::change_field`]).
    Updated,
    /// `summary` or `name`, lower-cased.
    Title,
}

impl Col {
    fn sql(self) -> &'static str {
        match self {
            Col::Id => "id",
            Col::Client => "client_id",
            Col::Site => "site_id",
            Col::User => "user_id",
            Col::Agent => "agent_id",
            Col::Status => "status_id",
            Col::Ticket => "ticket_id",
            Col::Type => "type_id",
            Col::Priority => "priority_id",
            Col::TopLevel => "toplevel_id",
            Col::Deleted => "deleted",
            Col::Closed => "closed",
            Col::Inactive => "inactive",
            Col::DateA => "date_a",
            Col::DateB => "date_b",
            Col::Updated => "updated",
            Col::Title => "title",
        }
    }
}

/// One condition of a list query.
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    /// Column equals an integer.
    Eq(Col, i64),
    /// Column is one of the integers.
    In(Col, Vec<i64>),
    /// Column is not one of the integers.
    NotIn(Col, Vec<i64>),
    /// A 0/1 column has this value.
    Flag(Col, bool),
    /// Case-insensitive substring of the search text.
    Search(String),
    /// A date column within bounds (ISO strings compare in order).
    Between(Col, Option<String>, Option<String>),
    /// A text field of the document (not a column) equals a text, ignoring ASCII case: a
    /// GUID reference such as a delivery's `webhook_id`, on resources with few rows.
    Text(&'static str, String),
    /// A number field of the document (not a column) is one of the integers: a ticket's
    /// `team_id` (the `team` filter).
    FieldIn(&'static str, Vec<i64>),
}

/// A list query.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// All must hold.
    pub conds: Vec<Cond>,
    /// Sort keys; id ascending is always the last tie-breaker.
    pub order: Vec<(Col, bool)>,
    /// Rows to skip.
    pub offset: u64,
    /// Rows to return at most.
    pub limit: Option<u64>,
}

/// Identity of a stored object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// Parent id (the ticket of an action), 0 for top-level objects.
    pub parent: i64,
    /// Integer id (for GUID resources, an internal sequence number).
    pub id: i64,
    /// The GUID, for GUID resources.
    pub uid: Option<String>,
}

/// One write of a [`Store::write_all`] transaction.
#[derive(Debug, Clone)]
pub enum Write {
    /// Inserts or replaces an object of a resource.
    Put(&'static str, Key, Map<String, Value>),
    /// Removes an object of a resource (with its file, for a top-level one).
    Remove(&'static str, Key),
}

/// The change field of the resource stored as `resource` (its path), from its row in
/// [`halopsa::resource::RESOURCES`].
pub fn change_field(resource: &str) -> Option<&'static str> {
    halopsa::resource::RESOURCES
        .iter()
        .find(|r| r.path == resource)
        .and_then(|r| r.change_field)
}

/// A served page's end: query text, arguments and order, write generation, offset after the
/// page.
type PageEnd = (String, u64, u64);

/// The SQLite store.
pub struct Store {
    conn: Mutex<Connection>,
    /// Bumped by every write; cached counts of older generations are stale.
    generation: AtomicU64,
    /// `COUNT(*)` per query text and arguments, with the generation it was taken at.
    counts: Mutex<HashMap<String, (u64, u64)>>,
    /// Where served pages ended: (query, generation, offset) -> the sort key (order columns,
    /// then parent and id) of the row just before `offset`, so the next page continues from a
    /// key instead of walking OFFSET.
    page_ends: Mutex<HashMap<PageEnd, Vec<Sql>>>,
    /// Writes per resource, and [`Store::clear`]s (see [`Store::version`]).
    versions: Mutex<HashMap<String, u64>>,
    clears: AtomicU64,
}

const COLUMNS: &str = "client_id, site_id, user_id, agent_id, status_id, ticket_id, type_id, priority_id, toplevel_id, deleted, closed, inactive, date_a, date_b, updated, title, search";

impl Store {
    /// Opens the store: in memory, or in `dir/sandbox.db` (kept across restarts).
    pub fn open(dir: Option<&Path>) -> rusqlite::Result<Store> {
        let conn = match dir {
            Some(dir) => Connection::open(dir.join("sandbox.db"))?,
            None => Connection::open_in_memory()?,
        };
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA temp_store = MEMORY;
             CREATE TABLE IF NOT EXISTS objects (
                resource TEXT NOT NULL, parent INTEGER NOT NULL, id INTEGER NOT NULL, uid TEXT,
                client_id INTEGER, site_id INTEGER, user_id INTEGER, agent_id INTEGER,
                status_id INTEGER, ticket_id INTEGER, type_id INTEGER, priority_id INTEGER,
                toplevel_id INTEGER, deleted INTEGER NOT NULL, closed INTEGER NOT NULL,
                inactive INTEGER NOT NULL, date_a TEXT, date_b TEXT, updated TEXT, title TEXT,
                search TEXT, doc TEXT NOT NULL,
                PRIMARY KEY (resource, parent, id)
             );
             CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS files (
                resource TEXT NOT NULL, id INTEGER NOT NULL, data BLOB NOT NULL,
                PRIMARY KEY (resource, id)
             );",
        )?;
        let store = Store {
            conn: Mutex::new(conn),
            generation: AtomicU64::new(0),
            counts: Mutex::new(HashMap::new()),
            page_ends: Mutex::new(HashMap::new()),
            versions: Mutex::new(HashMap::new()),
            clears: AtomicU64::new(0),
        };
        if !store.is_empty()? {
            store.create_indexes()?;
        }
        Ok(store)
    }

    /// Creates the secondary indexes (after a bulk seed: building them once is much faster
    /// than updating them on every insert).
    pub fn create_indexes(&self) -> rusqlite::Result<()> {
        let conn = self.lock();
        for col in [
            "client_id",
            "site_id",
            "user_id",
            "agent_id",
            "status_id",
            "date_a",
            "updated",
        ] {
            conn.execute_batch(&format!(
                "CREATE INDEX IF NOT EXISTS objects_{col} ON objects(resource, {col})"
            ))?;
        }
        // Lists always filter on these flags: with the sort keys after them, choosing a page
        // window is a covering index scan (no document read for the rows skipped).
        for col in ["deleted", "inactive"] {
            conn.execute_batch(&format!(
                "CREATE INDEX IF NOT EXISTS objects_{col}_order ON objects(resource, {col}, parent, id)"
            ))?;
        }
        // Few rows carry these: partial indexes stay small.
        for col in ["ticket_id", "uid"] {
            conn.execute_batch(&format!(
                "CREATE INDEX IF NOT EXISTS objects_{col} ON objects(resource, {col}) WHERE {col} IS NOT NULL"
            ))?;
        }
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite inconsistent (each statement is
        // atomic), so a poisoned lock is still usable.
        lock(&self.conn)
    }

    /// A number that changes whenever an object of `resource` is written or removed (and on
    /// [`Store::clear`]): a cache of that resource's objects is fresh while it stays the same.
    pub fn version(&self, resource: &str) -> u64 {
        let writes = lock(&self.versions).get(resource).copied().unwrap_or(0);
        writes.wrapping_add(self.clears.load(Ordering::SeqCst))
    }

    /// Counts one write of each resource in `resources`.
    fn wrote<'a>(&self, resources: impl IntoIterator<Item = &'a str>) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        let mut versions = lock(&self.versions);
        for resource in resources {
            match versions.get_mut(resource) {
                Some(n) => *n += 1,
                None => {
                    versions.insert(resource.to_string(), 1);
                }
            }
        }
    }

    /// Whether the store holds no object (a fresh store, to be seeded).
    pub fn is_empty(&self) -> rusqlite::Result<bool> {
        let n: i64 = self
            .lock()
            .query_row("SELECT COUNT(*) FROM objects", [], |r| r.get(0))?;
        Ok(n == 0)
    }

    /// Inserts or replaces many objects in one transaction.
    pub fn put_many(
        &self,
        resource: &str,
        objects: &[(Key, Map<String, Value>)],
    ) -> rusqlite::Result<()> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        insert(&tx, resource, objects.iter().map(|(k, d)| (k, d)))?;
        tx.commit()?;
        self.wrote([resource]);
        Ok(())
    }

    /// Inserts or replaces one top-level object with the bytes of its file (kept in the
    /// `files` table, never in the document), in one transaction.
    pub fn put_with_file(
        &self,
        resource: &str,
        key: Key,
        doc: Map<String, Value>,
        bytes: &[u8],
    ) -> rusqlite::Result<()> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT OR REPLACE INTO files (resource, id, data) VALUES (?1, ?2, ?3)",
            params![resource, key.id, bytes],
        )?;
        insert(&tx, resource, [(&key, &doc)])?;
        tx.commit()?;
        self.wrote([resource]);
        Ok(())
    }

    /// The bytes of a top-level object's file, if it has one.
    pub fn file(&self, resource: &str, id: i64) -> rusqlite::Result<Option<Vec<u8>>> {
        self.lock()
            .query_row(
                "SELECT data FROM files WHERE resource = ?1 AND id = ?2",
                params![resource, id],
                |r| r.get(0),
            )
            .optional()
    }

    /// Inserts or replaces one object.
    pub fn put(&self, resource: &str, key: Key, doc: Map<String, Value>) -> rusqlite::Result<()> {
        self.put_many(resource, &[(key, doc)])
    }

    /// One object by integer id (and parent).
    pub fn get(
        &self,
        resource: &str,
        parent: i64,
        id: i64,
    ) -> rusqlite::Result<Option<Map<String, Value>>> {
        self.one(
            "SELECT doc FROM objects WHERE resource = ?1 AND parent = ?2 AND id = ?3",
            params![resource, parent, id],
        )
    }

    /// One object by integer id, whatever its parent.
    pub fn get_any_parent(
        &self,
        resource: &str,
        id: i64,
    ) -> rusqlite::Result<Option<Map<String, Value>>> {
        self.one(
            "SELECT doc FROM objects WHERE resource = ?1 AND id = ?2 ORDER BY parent LIMIT 1",
            params![resource, id],
        )
    }

    /// One object by GUID.
    pub fn get_uid(
        &self,
        resource: &str,
        uid: &str,
    ) -> rusqlite::Result<Option<(Key, Map<String, Value>)>> {
        let conn = self.lock();
        let row = conn
            .query_row(
                "SELECT parent, id, doc FROM objects WHERE resource = ?1 AND uid = ?2 COLLATE NOCASE",
                params![resource, uid],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?)),
            )
            .optional()?;
        Ok(row.and_then(|(parent, id, doc)| {
            let doc = parse(&doc)?;
            Some((
                Key {
                    parent,
                    id,
                    uid: Some(uid.to_string()),
                },
                doc,
            ))
        }))
    }

    fn one(
        &self,
        sql: &str,
        p: impl rusqlite::Params,
    ) -> rusqlite::Result<Option<Map<String, Value>>> {
        let conn = self.lock();
        let doc: Option<String> = conn.query_row(sql, p, |r| r.get(0)).optional()?;
        Ok(doc.as_deref().and_then(parse))
    }

    /// Removes an object, with its file if it is a top-level one with a file; whether it
    /// existed.
    pub fn delete(&self, resource: &str, key: &Key) -> rusqlite::Result<bool> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let existed = remove(&tx, resource, key)?;
        tx.commit()?;
        self.wrote([resource]);
        Ok(existed)
    }

    /// Applies `writes` in order, in one transaction: all of them or none.
    pub fn write_all(&self, writes: &[Write]) -> rusqlite::Result<()> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        for write in writes {
            match write {
                Write::Put(resource, key, doc) => insert(&tx, resource, [(key, doc)])?,
                Write::Remove(resource, key) => {
                    remove(&tx, resource, key)?;
                }
            }
        }
        tx.commit()?;
        self.wrote(writes.iter().map(|w| match w {
            Write::Put(resource, ..) | Write::Remove(resource, _) => *resource,
        }));
        Ok(())
    }

    /// The ids of a resource's top-level objects, ascending: the soft-deleted ones or the
    /// others (an index scan, no document read).
    pub fn ids(&self, resource: &str, deleted: bool) -> rusqlite::Result<Vec<i64>> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT id FROM objects WHERE resource = ?1 AND deleted = ?2 AND parent = 0 ORDER BY id",
        )?;
        let rows = stmt.query_map(params![resource, i64::from(deleted)], |r| r.get(0))?;
        rows.collect()
    }

    /// The next free id of a resource (within a parent for per-parent ids).
    pub fn next_id(&self, resource: &str, parent: i64) -> rusqlite::Result<i64> {
        let max: Option<i64> = self.lock().query_row(
            "SELECT MAX(id) FROM objects WHERE resource = ?1 AND parent = ?2",
            params![resource, parent],
            |r| r.get(0),
        )?;
        Ok(max.unwrap_or(0) + 1)
    }

    /// Total matching rows and the requested window of them, as JSON text.
    pub fn list(&self, resource: &str, q: &ListQuery) -> rusqlite::Result<(u64, Vec<String>)> {
        let mut sql_where = String::from("resource = ?");
        let mut args: Vec<Sql> = vec![Sql::Text(resource.to_string())];
        for cond in &q.conds {
            match cond {
                Cond::Eq(c, v) => {
                    sql_where.push_str(&format!(" AND {} = ?", c.sql()));
                    args.push(Sql::Integer(*v));
                }
                Cond::In(c, vs) | Cond::NotIn(c, vs) => {
                    if vs.is_empty() {
                        continue;
                    }
                    let not = if matches!(cond, Cond::NotIn(..)) {
                        "NOT "
                    } else {
                        ""
                    };
                    let marks = vec!["?"; vs.len()].join(",");
                    sql_where.push_str(&format!(" AND {} {not}IN ({marks})", c.sql()));
                    args.extend(vs.iter().map(|v| Sql::Integer(*v)));
                }
                Cond::Flag(c, v) => {
                    sql_where.push_str(&format!(" AND {} = ?", c.sql()));
                    args.push(Sql::Integer(i64::from(*v)));
                }
                Cond::Search(text) => {
                    sql_where.push_str(" AND instr(search, ?) > 0");
                    args.push(Sql::Text(text.to_lowercase()));
                }
                Cond::Text(field, value) => {
                    sql_where.push_str(" AND lower(json_extract(doc, ?)) = lower(?)");
                    args.push(Sql::Text(format!("$.{field}")));
                    args.push(Sql::Text(value.clone()));
                }
                Cond::FieldIn(field, vs) => {
                    let marks = vec!["?"; vs.len().max(1)].join(",");
                    sql_where.push_str(&format!(" AND json_extract(doc, ?) IN ({marks})"));
                    args.push(Sql::Text(format!("$.{field}")));
                    args.extend(vs.iter().map(|v| Sql::Integer(*v)));
                    if vs.is_empty() {
                        args.push(Sql::Null);
                    }
                }
                Cond::Between(c, from, to) => {
                    if let Some(f) = from {
                        sql_where.push_str(&format!(" AND {} >= ?", c.sql()));
                        args.push(Sql::Text(f.clone()));
                    }
                    if let Some(t) = to {
                        sql_where.push_str(&format!(" AND {} <= ?", c.sql()));
                        args.push(Sql::Text(t.clone()));
                    }
                }
            }
        }
        let conn = self.lock();
        let generation = self.generation.load(Ordering::SeqCst);
        let cache_key = format!("{sql_where}|{args:?}");
        let cached = lock(&self.counts)
            .get(&cache_key)
            .filter(|(g, _)| *g == generation)
            .map(|(_, n)| *n);
        let total = match cached {
            Some(n) => n,
            None => {
                let n: i64 = conn.query_row(
                    &format!("SELECT COUNT(*) FROM objects WHERE {sql_where}"),
                    params_from_iter(args.iter()),
                    |r| r.get(0),
                )?;
                let n = n.max(0) as u64;
                let mut counts = lock(&self.counts);
                if counts.len() > 1024 {
                    counts.clear();
                }
                counts.insert(cache_key.clone(), (generation, n));
                n
            }
        };
        // The sort key: the asked order, then (parent, id), which makes it unique.
        let key_cols: Vec<&str> = q
            .order
            .iter()
            .map(|(c, _)| c.sql())
            .chain(["parent", "id"])
            .collect();
        let order = q
            .order
            .iter()
            .map(|(c, desc)| format!("{} {}", c.sql(), if *desc { "DESC" } else { "ASC" }))
            .chain(["parent ASC".to_string(), "id ASC".to_string()])
            .collect::<Vec<_>>()
            .join(", ");
        // An ascending order's page that follows a served page continues from that page's
        // last sort key (same generation, so the same rows): no OFFSET walk. (NULLs sort
        // first ascending, so a non-NULL key has no NULL after it; a descending or NULL key
        // walks OFFSET.)
        let keyset = q.order.iter().all(|(_, desc)| !desc);
        let resume = if keyset && q.offset > 0 {
            lock(&self.page_ends)
                .get(&(format!("{cache_key}|{order}"), generation, q.offset))
                .cloned()
        } else {
            None
        };
        let (window_where, skip) = match resume {
            Some(last) => {
                let marks = vec!["?"; last.len()].join(", ");
                args.extend(last);
                (
                    format!("{sql_where} AND ({}) > ({marks})", key_cols.join(", ")),
                    0,
                )
            }
            None => (sql_where.clone(), q.offset),
        };
        // Skipping rows over an index is cheap; skipping them over whole documents is not, so
        // the window is chosen by rowid first and its documents joined after.
        let outer_order = order
            .split(", ")
            .map(|o| format!("o.{o}"))
            .collect::<Vec<_>>()
            .join(", ");
        let selected = key_cols
            .iter()
            .map(|c| format!("o.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT o.doc, {selected} FROM (SELECT rowid AS r FROM objects WHERE {window_where} ORDER BY {order} LIMIT ? OFFSET ?) w
             JOIN objects o ON o.rowid = w.r ORDER BY {outer_order}"
        );
        args.push(Sql::Integer(q.limit.map(|l| l as i64).unwrap_or(-1)));
        args.push(Sql::Integer(skip as i64));
        let mut last = None;
        let rows = conn
            .prepare_cached(&sql)?
            .query_map(params_from_iter(args.iter()), |r| {
                let key = (1..=key_cols.len())
                    .map(|i| r.get::<_, Sql>(i))
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok((r.get::<_, String>(0)?, key))
            })?
            .map(|row| {
                row.map(|(doc, key)| {
                    last = Some(key);
                    doc
                })
            })
            .collect::<rusqlite::Result<Vec<_>>>()?;
        if let (true, Some(key)) = (keyset, last)
            && !key.contains(&Sql::Null)
        {
            let mut ends = lock(&self.page_ends);
            if ends.len() > 4096 {
                ends.clear();
            }
            ends.insert(
                (
                    format!("{cache_key}|{order}"),
                    generation,
                    q.offset + rows.len() as u64,
                ),
                key,
            );
        }
        Ok((total, rows))
    }

    /// Runs `run` on the connection with writes made impossible (`PRAGMA query_only`), after
    /// `prepare` (which may create temporary objects), for the SQL engine.
    pub fn query_only<T>(
        &self,
        prepare: impl FnOnce(&Connection) -> rusqlite::Result<()>,
        run: impl FnOnce(&Connection) -> T,
    ) -> rusqlite::Result<T> {
        let conn = self.lock();
        prepare(&conn)?;
        conn.pragma_update(None, "query_only", true)?;
        let out = run(&conn);
        conn.pragma_update(None, "query_only", false)?;
        Ok(out)
    }

    /// Objects per resource.
    pub fn counts(&self) -> rusqlite::Result<BTreeMap<String, u64>> {
        let conn = self.lock();
        let mut stmt = conn.prepare("SELECT resource, COUNT(*) FROM objects GROUP BY resource")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        rows.map(|r| r.map(|(k, v)| (k, v.max(0) as u64))).collect()
    }

    /// Removes every object and file.
    pub fn clear(&self) -> rusqlite::Result<()> {
        self.lock()
            .execute_batch("DELETE FROM objects; DELETE FROM meta; DELETE FROM files;")?;
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.clears.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// Removes an object of `resource` (with its file, for a top-level one) within `tx`; whether
/// it existed.
fn remove(tx: &rusqlite::Transaction<'_>, resource: &str, key: &Key) -> rusqlite::Result<bool> {
    let n = tx.execute(
        "DELETE FROM objects WHERE resource = ?1 AND parent = ?2 AND id = ?3",
        params![resource, key.parent, key.id],
    )?;
    if key.parent == 0 {
        tx.execute(
            "DELETE FROM files WHERE resource = ?1 AND id = ?2",
            params![resource, key.id],
        )?;
    }
    Ok(n > 0)
}

/// Inserts or replaces `objects` of `resource` within `tx`.
fn insert<'a>(
    tx: &rusqlite::Transaction<'_>,
    resource: &str,
    objects: impl IntoIterator<Item = (&'a Key, &'a Map<String, Value>)>,
) -> rusqlite::Result<()> {
    let changed = change_field(resource);
    let mut stmt = tx.prepare_cached(&format!(
        "INSERT OR REPLACE INTO objects (resource, parent, id, uid, {COLUMNS}, doc)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)"
    ))?;
    for (key, doc) in objects {
        let c = Extracted::from(doc, changed);
        let text = doc_text(doc);
        stmt.execute(params![
            resource, key.parent, key.id, key.uid, c.client, c.site, c.user, c.agent, c.status,
            c.ticket, c.kind, c.priority, c.toplevel, c.deleted, c.closed, c.inactive, c.date_a,
            c.date_b, c.updated, c.title, c.search, text
        ])?;
    }
    Ok(())
}

fn parse(text: &str) -> Option<Map<String, Value>> {
    serde_json::from_str(text).ok()
}

/// The indexed columns of a document.
struct Extracted {
    client: Option<i64>,
    site: Option<i64>,
    user: Option<i64>,
    agent: Option<i64>,
    status: Option<i64>,
    ticket: Option<i64>,
    kind: Option<i64>,
    priority: Option<i64>,
    toplevel: Option<i64>,
    deleted: bool,
    closed: bool,
    inactive: bool,
    date_a: Option<String>,
    date_b: Option<String>,
    updated: Option<String>,
    title: Option<String>,
    search: String,
}

impl Extracted {
    /// The columns of `doc`, whose resource's change field is `changed`.
    fn from(doc: &Map<String, Value>, changed: Option<&str>) -> Extracted {
        let int = |keys: &[&str]| {
            keys.iter()
                .find_map(|k| doc.get(*k).and_then(halopsa::id::id_from_value))
        };
        let flag = |k: &str| match doc.get(k) {
            Some(Value::Bool(b)) => *b,
            Some(Value::Number(n)) => n.as_i64().unwrap_or(0) != 0,
            Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
            _ => false,
        };
        let text = |keys: &[&str]| {
            keys.iter()
                .find_map(|k| doc.get(*k).and_then(Value::as_str).map(str::to_string))
        };
        let title = text(&[
            "summary",
            "name",
            "title",
            "invoicenumber",
            "inventory_number",
        ]);
        let mut search = String::new();
        for k in [
            "summary",
            "name",
            "details",
            "title",
            "inventory_number",
            "key_field",
            "emailaddress",
            "email",
            "invoicenumber",
            "note",
            "client_name",
            "site_name",
        ] {
            if let Some(s) = doc.get(k).and_then(Value::as_str) {
                search.push_str(&s.to_lowercase());
                search.push('\n');
            }
        }
        Extracted {
            client: int(&["client_id"]),
            site: int(&["site_id"]),
            user: int(&["user_id"]),
            agent: int(&["agent_id", "who_agentid"]),
            status: int(&["status_id"]),
            ticket: int(&["ticket_id"]),
            kind: int(&["tickettype_id", "assettype_id", "type_id", "typeid"]),
            priority: int(&["priority_id"]),
            toplevel: int(&["toplevel_id"]),
            deleted: flag("deleted"),
            closed: flag("hasbeenclosed") || flag("posted"),
            inactive: flag("inactive") || flag("isdisabled"),
            date_a: text(&[
                "dateoccurred",
                "datetime",
                "start_date",
                "invoice_date",
                "datecreated",
            ]),
            date_b: text(&["dateclosed", "end_date", "duedate"]),
            updated: changed.and_then(|field| text(&[field])),
            title: title.map(|t| t.to_lowercase()),
            search,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn key(id: i64) -> Key {
        Key {
            parent: 0,
            id,
            uid: None,
        }
    }

    #[test]
    fn filters_order_and_pages() {
        let store = Store::open(None).unwrap();
        let rows: Vec<_> = (1..=10)
            .map(|i| {
                (
                    key(i),
                    doc(json!({"id": i, "client_id": i % 3, "summary": format!("Printer {i}"),
                               "hasbeenclosed": i > 7, "dateoccurred": format!("2026-01-{i:02}T00:00:00Z"),
                               "extra": {"kept": true}})),
                )
            })
            .collect();
        store.put_many("Tickets", &rows).unwrap();
        let q = ListQuery {
            conds: vec![Cond::Eq(Col::Client, 1)],
            ..Default::default()
        };
        let (total, docs) = store.list("Tickets", &q).unwrap();
        assert_eq!(total, 4);
        assert!(docs[0].contains("\"kept\":true"));
        let q = ListQuery {
            conds: vec![
                Cond::Flag(Col::Closed, false),
                Cond::Search("PRINTER 1".into()),
            ],
            order: vec![(Col::DateA, true)],
            offset: 0,
            limit: Some(5),
        };
        let (total, docs) = store.list("Tickets", &q).unwrap();
        assert_eq!(total, 1, "only 'Printer 1' (10 is closed)");
        assert!(docs[0].contains("\"id\":1,"));
        let q = ListQuery {
            order: vec![(Col::Id, true)],
            offset: 2,
            limit: Some(3),
            ..Default::default()
        };
        let (total, docs) = store.list("Tickets", &q).unwrap();
        assert_eq!(total, 10);
        assert_eq!(docs.len(), 3);
        assert!(docs[0].contains("\"id\":8,"));
        assert_eq!(store.next_id("Tickets", 0).unwrap(), 11);
        assert!(store.delete("Tickets", &key(3)).unwrap());
        assert!(store.get("Tickets", 0, 3).unwrap().is_none());
        assert_eq!(store.counts().unwrap()["Tickets"], 9);
    }

    #[test]
    fn a_walk_resumes_from_page_ends_and_a_write_falls_back_to_offset() {
        let store = Store::open(None).unwrap();
        let rows: Vec<_> = (1..=10).map(|i| (key(i), doc(json!({"id": i})))).collect();
        store.put_many("Tickets", &rows).unwrap();
        let page = |offset| {
            let q = ListQuery {
                offset,
                limit: Some(3),
                ..Default::default()
            };
            let (_, docs) = store.list("Tickets", &q).unwrap();
            docs.iter()
                .map(|d| {
                    serde_json::from_str::<Value>(d).unwrap()["id"]
                        .as_i64()
                        .unwrap()
                })
                .collect::<Vec<_>>()
        };
        let walked: Vec<i64> = [0, 3, 6, 9].into_iter().flat_map(page).collect();
        assert_eq!(walked, (1..=10).collect::<Vec<_>>());
        assert_eq!(page(3), vec![4, 5, 6], "a page asked again");
        store.put("Tickets", key(0), doc(json!({"id": 0}))).unwrap();
        assert_eq!(
            page(3),
            vec![3, 4, 5],
            "after a write, the offset counts again"
        );
    }

    #[test]
    fn the_updated_column_is_the_resources_change_field() {
        let store = Store::open(None).unwrap();
        let clients = vec![
            (
                key(1),
                doc(json!({"id": 1, "alastupdate": "2026-11-05T00:00:00Z"})),
            ),
            (
                key(2),
                doc(json!({"id": 2, "last_update": "2026-11-05T00:00:00Z"})),
            ),
        ];
        store.put_many("Client", &clients).unwrap();
        let q = ListQuery {
            conds: vec![Cond::Between(
                Col::Updated,
                Some("2026-11-05T00:00:00Z".into()),
                Some("2026-11-05T00:00:00Z".into()),
            )],
            ..Default::default()
        };
        let (total, docs) = store.list("Client", &q).unwrap();
        assert_eq!(
            total, 1,
            "both bounds inclusive; `last_update` is no client's field"
        );
        assert!(docs[0].contains("\"id\":1,"));
        store
            .write_all(&[
                Write::Remove("Client", key(1)),
                Write::Put("Client", key(3), doc(json!({"id": 3, "deleted": true}))),
            ])
            .unwrap();
        assert_eq!(store.ids("Client", false).unwrap(), vec![2]);
        assert_eq!(store.ids("Client", true).unwrap(), vec![3]);
    }

    #[test]
    fn versions_move_with_their_resource_only() {
        let store = Store::open(None).unwrap();
        let hooks = store.version("Webhook");
        store.put("Client", key(1), doc(json!({"id": 1}))).unwrap();
        assert_eq!(store.version("Webhook"), hooks, "another resource's write");
        store
            .write_all(&[Write::Put("Webhook", key(1), doc(json!({"id": 1})))])
            .unwrap();
        let written = store.version("Webhook");
        assert_ne!(written, hooks);
        store.delete("Webhook", &key(1)).unwrap();
        let removed = store.version("Webhook");
        assert_ne!(removed, written);
        store.clear().unwrap();
        assert_ne!(store.version("Webhook"), removed);
    }

    #[test]
    fn a_text_condition_reads_the_document_ignoring_case() {
        let store = Store::open(None).unwrap();
        let rows: Vec<_> = (1..=3)
            .map(|i| {
                (
                    key(i),
                    doc(json!({"id": i, "webhook_id": format!("AB-{}", i % 2)})),
                )
            })
            .collect();
        store.put_many("WebhookEvent", &rows).unwrap();
        let q = ListQuery {
            conds: vec![Cond::Text("webhook_id", "ab-1".into())],
            ..Default::default()
        };
        let (total, docs) = store.list("WebhookEvent", &q).unwrap();
        assert_eq!(total, 2);
        assert!(docs[0].contains("\"id\":1,") && docs[1].contains("\"id\":3,"));
    }

    #[test]
    fn a_field_in_condition_reads_the_document() {
        let store = Store::open(None).unwrap();
        let rows: Vec<_> = (1..=6)
            .map(|i| (key(i), doc(json!({"id": i, "team_id": i % 3}))))
            .collect();
        store.put_many("Tickets", &rows).unwrap();
        let list = |ids: Vec<i64>| {
            let q = ListQuery {
                conds: vec![Cond::FieldIn("team_id", ids)],
                ..Default::default()
            };
            store.list("Tickets", &q).unwrap().0
        };
        assert_eq!(list(vec![1]), 2);
        assert_eq!(list(vec![1, 2]), 4);
        assert_eq!(list(vec![]), 0);
    }
}
