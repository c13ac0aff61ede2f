//! SQL: read-only queries against Halo's reporting database (`halo sql`'s guard), and against
//! the local mirror (`halo query`'s read-only connection).

use super::answer::Answer;
use super::state::State;
use crate::exit::Failure;
use anyhow::Result;
use halopsa::reports::ReportTable;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// `halo_sql`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct Sql {
    /// One SELECT (or WITH ... SELECT) in SQL Server's dialect, e.g.
    /// `SELECT TOP 20 Faultid, Symptom, Status FROM Faults ORDER BY Faultid DESC`.
    pub sql: String,
}

/// Runs `halo_sql`: checked by the same guard as `halo sql` before anything is sent.
pub async fn sql(state: Arc<State>, args: Sql) -> Result<Answer> {
    halopsa::sql::check(&args.sql).map_err(|e| {
        Failure::usage(format!(
            "{e}: halo_sql runs one read-only SELECT (or WITH ... SELECT)"
        ))
    })?;
    let table = state.session.client.run_sql(&args.sql).await?;
    Ok(rows(
        table,
        "use TOP n, a narrower WHERE or fewer columns (the database pages nothing itself)",
    ))
}

/// `halo_query_mirror`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct MirrorQuery {
    /// A read-only query in the mirror's SQL (SQLite's, or PostgreSQL's for a PostgreSQL
    /// mirror), e.g. `SELECT status_id, count(*) FROM tickets GROUP BY status_id`; whole
    /// documents are in each table's `doc` column (JSON).
    pub sql: Option<String>,
    /// Answer the mirror's tables and their columns instead.
    #[serde(default)]
    pub schema: bool,
}

/// Runs `halo_query_mirror`.
pub async fn mirror(state: Arc<State>, args: MirrorQuery) -> Result<Answer> {
    let mirror = state.mirror().await?;
    let target = state.mirror.clone();
    let fail = |e| match &target {
        Some(t) => crate::commands::mirror::failure(t, e),
        None => anyhow::Error::new(e),
    };
    match (&args.sql, args.schema) {
        (_, true) => {
            let mut tables = Map::new();
            for t in mirror.schema().await.map_err(fail)? {
                let columns: Map<String, Value> = t
                    .columns
                    .into_iter()
                    .map(|(c, kind)| (c, json!(kind)))
                    .collect();
                tables.insert(t.name, Value::Object(columns));
            }
            let mut body = Map::new();
            body.insert("tables".into(), Value::Object(tables));
            Ok(Answer::object(body))
        }
        (Some(sql), false) if !sql.trim().is_empty() => {
            let table = mirror.query(sql).await.map_err(fail)?;
            Ok(rows(
                table,
                "use LIMIT n, a narrower WHERE or fewer columns",
            ))
        }
        _ => Err(Failure::usage(
            "give sql (a SELECT over the mirror), or schema=true to see its tables",
        )),
    }
}

/// A query's rows as an answer: columns once, each row an array in their order.
fn rows(table: ReportTable, rest: &str) -> Answer {
    let ReportTable { columns, rows } = table;
    let data: Vec<Value> = rows
        .into_iter()
        .map(|mut r| {
            Value::Array(
                columns
                    .iter()
                    .map(|c| r.remove(c).unwrap_or(Value::Null))
                    .collect(),
            )
        })
        .collect();
    let mut body = Map::new();
    body.insert("row_count".into(), json!(data.len()));
    body.insert("columns".into(), json!(columns));
    body.insert("rows".into(), Value::Array(data));
    Answer::list(body, "rows", rest)
}
