//! The schema, generated for both backends from the one [`tables`] list, and its versioned
//! migrations: ordered steps, each run once, recorded in `meta.schema_version`.

use crate::table::{Column, ColumnKind, KeyKind, Table, tables};

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

/// Full-text search over the tables that feed it: SQLite an FTS5 index whose content is a
/// view over the table's documents, kept in step by triggers; PostgreSQL a generated
/// `tsvector` column with a GIN index.
fn search(d: Dialect) -> Vec<String> {
    let mut out = Vec::new();
    for t in tables() {
        let Some(fields) = t.search_fields() else {
            continue;
        };
        let name = t.name;
        match d {
            Dialect::Sqlite => {
                let cols = fields.join(", ");
                let extract = |row: &str| -> String {
                    fields
                        .iter()
                        .map(|f| format!("{row}.doc->>'{f}'"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                out.push(format!(
                    "CREATE VIEW IF NOT EXISTS {name}_text AS SELECT rowid AS rid, {} FROM {name}",
                    fields
                        .iter()
                        .map(|f| format!("doc->>'{f}' AS {f}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
                out.push(format!(
                    "CREATE VIRTUAL TABLE IF NOT EXISTS {name}_fts USING fts5({cols}, \
                     content='{name}_text', content_rowid='rid', \
                     tokenize='porter unicode61 remove_diacritics 2')"
                ));
                let add = format!(
                    "INSERT INTO {name}_fts(rowid, {cols}) VALUES (new.rowid, {});",
                    extract("new")
                );
                let remove = format!(
                    "INSERT INTO {name}_fts({name}_fts, rowid, {cols}) VALUES ('delete', old.rowid, {});",
                    extract("old")
                );
                out.push(format!(
                    "CREATE TRIGGER IF NOT EXISTS {name}_fts_insert AFTER INSERT ON {name} BEGIN {add} END"
                ));
                out.push(format!(
                    "CREATE TRIGGER IF NOT EXISTS {name}_fts_delete AFTER DELETE ON {name} BEGIN {remove} END"
                ));
                out.push(format!(
                    "CREATE TRIGGER IF NOT EXISTS {name}_fts_update AFTER UPDATE OF doc ON {name} \
                     BEGIN {remove} {add} END"
                ));
                out.push(format!(
                    "INSERT INTO {name}_fts({name}_fts) VALUES ('rebuild')"
                ));
            }
            Dialect::Postgres => {
                out.push(format!(
                    "ALTER TABLE {name} ADD COLUMN IF NOT EXISTS search tsvector \
                     GENERATED ALWAYS AS (to_tsvector('english', {})) STORED",
                    pg_text(fields)
                ));
                out.push(format!(
                    "CREATE INDEX IF NOT EXISTS {name}_search ON {name} USING gin (search)"
                ));
            }
        }
    }
    out
}

/// The searched fields of a PostgreSQL row as one text (for `to_tsvector` and `ts_headline`).
pub(crate) fn pg_text(fields: &[&str]) -> String {
    fields
        .iter()
        .map(|f| format!("coalesce(doc->>'{f}', '')"))
        .collect::<Vec<_>>()
        .join(" || ' ' || ")
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
