//! `halo query "SELECT ..."`: read-only SQL over the mirror (a read-only connection or
//! transaction), and `halo query --schema`; no API request.

use super::db::{self, DbFlag};
use crate::commands::Globals;
use crate::commands::query_rows::{self, RowsOut};
use crate::context::Context;
use crate::exit::Failure;
use anyhow::Result;
use halo_mirror::Mirror;
use halopsa::reports::ReportTable;
use serde_json::{Map, json};

/// `halo query`.
#[derive(Debug, clap::Args)]
pub struct QueryArgs {
    /// The query, in the mirror's SQL (SQLite's, or PostgreSQL's for a postgres:// mirror).
    #[arg(
        value_name = "SQL",
        required_unless_present = "schema",
        conflicts_with = "schema"
    )]
    pub sql: Option<String>,
    /// Print the mirror's tables and their columns instead.
    #[arg(long)]
    pub schema: bool,
    #[command(flatten)]
    pub db: DbFlag,
    #[command(flatten)]
    pub to: RowsOut,
}

/// Runs `halo query`.
pub async fn run(ctx: &mut Context, globals: &Globals, args: QueryArgs) -> Result<()> {
    let target = db::target(ctx, globals.profile.as_deref(), &args.db)?;
    let mirror = Mirror::open_existing(&target)
        .await
        .map_err(|e| super::failure(&target, e))?;
    let table = match &args.sql {
        Some(sql) if !args.schema => {
            if sql.trim().is_empty() {
                return Err(Failure::usage("give a query: halo query \"SELECT ...\""));
            }
            mirror
                .query(sql)
                .await
                .map_err(|e| super::failure(&target, e))?
        }
        _ => schema(&mirror)
            .await
            .map_err(|e| super::failure(&target, e))?,
    };
    query_rows::write(ctx, globals, &table, &args.to)
}

/// A row per column: table, column, type.
async fn schema(mirror: &Mirror) -> Result<ReportTable, halo_mirror::MirrorError> {
    let rows = mirror
        .schema()
        .await?
        .into_iter()
        .flat_map(|t| {
            t.columns.into_iter().map(move |(column, kind)| {
                let mut m = Map::new();
                m.insert("table".into(), json!(t.name));
                m.insert("column".into(), json!(column));
                m.insert("type".into(), json!(kind));
                m
            })
        })
        .collect();
    Ok(ReportTable {
        columns: ["table", "column", "type"].map(String::from).to_vec(),
        rows,
    })
}
