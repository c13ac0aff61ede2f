//! The schema, generated for both backends from the one [`tables`] list, and its versioned
//! migrations: ordered steps, each run once, recorded in `meta.schema_version`.

use crate::table::{Column, ColumnKind, KeyKind, SEARCH, SearchSource, Table, tables};

/// The SQL flavour a statement is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// The schema version this build writes; a database with a higher one is refused.
pub(crate) const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The migration steps, oldest first: step `n` (1-based) brings a database to version `n`.
pub(crate) const MIGRATIONS: &[fn(Dialect) -> Vec<String>] = &[bookkeeping, resources, search];

/// The statement that creates `meta`, run before the version is read.
pub(crate) const META: &str =
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)";

impl Dialect {
    fn column_type(self, kind: ColumnKind) -> &'static str {
        match (self, kind) {
            (Dialect::Sqlite, ColumnKind::Int | ColumnKind::Bool) => "INTEGER",
            (Dialect::Sqlite, ColumnKind::Real) => "REAL",
            (Dialect::Sqlite, ColumnKind::Text | ColumnKind::Time) => "TEXT",
            (Dialect::Postgres, ColumnKind::Int) => "bigint",
            (Dialect::Postgres, ColumnKind::Bool) => "boolean",
            (Dialect::Postgres, ColumnKind::Real) => "double precision",
            (Dialect::Postgres, ColumnKind::Text) => "text",
            (Dialect::Postgres, ColumnKind::Time) => "timestamptz",
        }
    }

    fn json(self) -> &'static str {
        match self {
            Dialect::Sqlite => "TEXT",
            Dialect::Postgres => "jsonb",
        }
    }

    fn instant(self) -> &'static str {
        match self {
            Dialect::Sqlite => "TEXT",
            Dialect::Postgres => "timestamptz",
        }
    }
}

/// `sync_state` (each table's cursor) and `sync_runs` (one row per run).
fn bookkeeping(d: Dialect) -> Vec<String> {
    let id = match d {
        Dialect::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
        Dialect::Postgres => "bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
    };
    let (json, at) = (d.json(), d.instant());
    let (int, boolean) = (
        d.column_type(ColumnKind::Int),
        d.column_type(ColumnKind::Bool),
    );
    vec![
        format!(
            "CREATE TABLE IF NOT EXISTS sync_state (table_name TEXT PRIMARY KEY, cursor {json} NOT NULL)"
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS sync_runs (id {id}, started {at} NOT NULL, finished {at}, \
             tables {json} NOT NULL, \"full\" {boolean} NOT NULL, counts {json}, requests {int}, \
             outcome TEXT NOT NULL)"
        ),
    ]
}

/// One table per resource, with its key, core columns, `doc` and `synced_at`, and indexes on
/// the id columns reports filter and join on.
fn resources(d: Dialect) -> Vec<String> {
    tables().iter().flat_map(|t| resource_table(d, t)).collect()
}

fn resource_table(d: Dialect, t: &Table) -> Vec<String> {
    let mut defs: Vec<String> = Vec::new();
    let rowid_alias = d == Dialect::Sqlite && t.key == KeyKind::Id;
    for c in t.key_columns {
        if rowid_alias {
            // The rowid itself: the fastest key SQLite has, and the search index's row id.
            defs.push(format!("{} INTEGER PRIMARY KEY", c.name));
        } else {
            defs.push(format!("{} {} NOT NULL", c.name, d.column_type(c.kind)));
        }
    }
    defs.extend(
        t.columns
            .iter()
            .map(|c| format!("{} {}", c.name, d.column_type(c.kind))),
    );
    defs.push(format!("doc {} NOT NULL", d.json()));
    defs.push(format!("synced_at {} NOT NULL", d.instant()));
    if !rowid_alias {
        defs.push(format!("PRIMARY KEY ({})", names(t.key_columns)));
    }
    let mut out = vec![format!(
        "CREATE TABLE IF NOT EXISTS {} ({})",
        t.name,
        defs.join(", ")
    )];
    out.extend(t.columns.iter().filter(|c| indexed(c)).map(|c| {
        format!(
            "CREATE INDEX IF NOT EXISTS {t}_{c} ON {t} ({c})",
            t = t.name,
            c = c.name
        )
    }));
    out
}

/// Ids and change times are what reports filter and join on.
fn indexed(c: &Column) -> bool {
    (c.kind == ColumnKind::Int && c.name.ends_with("_id"))
        || c.name.contains("lastupdate")
        || c.name == "last_update"
        || c.name == "last_modified"
}

pub(crate) fn names(columns: &[Column]) -> String {
    columns
        .iter()
        .map(|c| c.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Full-text search over [`SEARCH`].
///
/// SQLite: one FTS5 index over tickets and actions together (so that their ranks compare),
/// its content a view of both tables' documents, kept in step by triggers. A ticket's index
/// row id is its id; an action's is its own row id, which [`crate::sqlite`] makes negative,
/// so that the view's `rid` is unique and each half of it is read by its table's key.
/// PostgreSQL: a generated `tsvector` column with a GIN index on each table.
fn search(d: Dialect) -> Vec<String> {
    match d {
        Dialect::Sqlite => sqlite_search(),
        Dialect::Postgres => SEARCH
            .iter()
            .flat_map(|s| {
                [
                    format!(
                        "ALTER TABLE {t} ADD COLUMN IF NOT EXISTS search tsvector \
                         GENERATED ALWAYS AS ({v}) STORED",
                        t = s.table,
                        v = pg_vector(s)
                    ),
                    format!(
                        "CREATE INDEX IF NOT EXISTS {t}_search ON {t} USING gin (search)",
                        t = s.table
                    ),
                ]
            })
            .collect(),
    }
}

/// The SQL text of a source's field, or NULL.
fn field(row: &str, name: Option<&str>) -> String {
    name.map_or_else(|| "NULL".into(), |f| format!("{row}doc->>'{f}'"))
}

fn sqlite_search() -> Vec<String> {
    let arms: Vec<String> = SEARCH
        .iter()
        .map(|s| {
            format!(
                "SELECT rowid AS rid, {} AS summary, {} AS body FROM {} WHERE rowid {}",
                field("", s.summary),
                field("", Some(s.body)),
                s.table,
                own_rowids(s)
            )
        })
        .collect();
    let mut out = vec![
        format!(
            "CREATE VIEW IF NOT EXISTS search_text AS {}",
            arms.join(" UNION ALL ")
        ),
        "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(summary, body, \
         content='search_text', content_rowid='rid', \
         tokenize='porter unicode61 remove_diacritics 2')"
            .into(),
        // A summary's match counts twice a body's.
        "INSERT INTO search_fts(search_fts, rank) VALUES ('rank', 'bm25(2.0, 1.0)')".into(),
    ];
    for s in SEARCH {
        let t = s.table;
        let values = |row: &str| {
            format!(
                "{row}.rowid, {}, {}",
                field(&format!("{row}."), s.summary),
                field(&format!("{row}."), Some(s.body))
            )
        };
        let add = format!(
            "INSERT INTO search_fts(rowid, summary, body) VALUES ({});",
            values("new")
        );
        let remove = format!(
            "INSERT INTO search_fts(search_fts, rowid, summary, body) VALUES ('delete', {});",
            values("old")
        );
        let (new, old) = (own_rowids(s), own_rowids(s));
        out.push(format!(
            "CREATE TRIGGER IF NOT EXISTS {t}_search_insert AFTER INSERT ON {t} \
             WHEN new.rowid {new} BEGIN {add} END"
        ));
        out.push(format!(
            "CREATE TRIGGER IF NOT EXISTS {t}_search_delete AFTER DELETE ON {t} \
             WHEN old.rowid {old} BEGIN {remove} END"
        ));
        out.push(format!(
            "CREATE TRIGGER IF NOT EXISTS {t}_search_update AFTER UPDATE OF doc ON {t} \
             WHEN old.rowid {old} BEGIN {remove} {add} END"
        ));
    }
    out.push("INSERT INTO search_fts(search_fts) VALUES ('rebuild')".into());
    out
}

/// Which row ids of a source's table the search index holds: a table keyed by its integer
/// id (its rowid) holds positive ones, any other negative ones (see [`search`]).
pub(crate) fn own_rowids(s: &SearchSource) -> &'static str {
    if negative_rowids(s.table) {
        "< 0"
    } else {
        "> 0"
    }
}

/// Whether `table` feeds search under negative row ids (see [`search`]).
pub(crate) fn negative_rowids(table: &str) -> bool {
    SEARCH.iter().any(|s| s.table == table)
        && tables()
            .iter()
            .any(|t| t.name == table && t.key != KeyKind::Id)
}

/// The weighted `tsvector` of a PostgreSQL row of `s`.
fn pg_vector(s: &SearchSource) -> String {
    let body = format!(
        "setweight(to_tsvector('english', coalesce(doc->>'{}', '')), 'B')",
        s.body
    );
    match s.summary {
        Some(f) => {
            format!("setweight(to_tsvector('english', coalesce(doc->>'{f}', '')), 'A') || {body}")
        }
        None => body,
    }
}

/// The searched text of a PostgreSQL row `row` of `s`, for `ts_headline`.
pub(crate) fn pg_text(s: &SearchSource, row: &str) -> String {
    let body = format!("coalesce({row}.doc->>'{}', '')", s.body);
    match s.summary {
        Some(f) => format!("coalesce({row}.doc->>'{f}', '') || ' — ' || {body}"),
        None => body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_get_every_table_from_the_one_list() {
        for d in [Dialect::Sqlite, Dialect::Postgres] {
            let ddl: Vec<String> = MIGRATIONS.iter().flat_map(|m| m(d)).collect();
            for t in tables() {
                let create = format!("CREATE TABLE IF NOT EXISTS {} (", t.name);
                let stmt = ddl.iter().find(|s| s.starts_with(&create)).unwrap();
                for c in t.key_columns.iter().chain(t.columns) {
                    assert!(stmt.contains(&format!("{} ", c.name)), "{stmt}");
                }
            }
        }
        let pg = resources(Dialect::Postgres).join(";");
        assert!(pg.contains("doc jsonb NOT NULL"));
        assert!(pg.contains("PRIMARY KEY (ticket_id, id)"));
        let lite = resources(Dialect::Sqlite).join(";");
        assert!(lite.contains("CREATE TABLE IF NOT EXISTS tickets (id INTEGER PRIMARY KEY,"));
        assert!(lite.contains("PRIMARY KEY (agent_id, date)"));
    }
}
