//! `halo search TEXT`: full-text search of the mirror's tickets and action notes, ranked; no
//! API request.

use super::db::{self, DbFlag};
use crate::commands::Globals;
use crate::commands::query_rows::{self, RowsOut};
use crate::context::Context;
use crate::exit::Failure;
use anyhow::Result;
use halo_mirror::Mirror;
use halopsa::reports::ReportTable;
use serde_json::{Map, json};

/// `halo search`.
#[derive(Debug, clap::Args)]
pub struct SearchArgs {
    /// The words to find (in ticket summaries and details, and action notes).
    #[arg(value_name = "TEXT", allow_hyphen_values = true)]
    pub text: String,
    /// The most tickets shown, best first.
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub limit: u64,
    #[command(flatten)]
    pub db: DbFlag,
    #[command(flatten)]
    pub to: RowsOut,
}

/// Runs `halo search`.
pub async fn run(ctx: &mut Context, globals: &Globals, args: SearchArgs) -> Result<()> {
    if args.text.trim().is_empty() {
        return Err(Failure::usage("give the words to search for"));
    }
    let target = db::target(ctx, globals.profile.as_deref(), &args.db)?;
    let mirror = Mirror::open_existing(&target)
        .await
        .map_err(|e| super::failure(&target, e))?;
    let hits = mirror
        .search(&args.text, args.limit as usize)
        .await
        .map_err(|e| super::failure(&target, e))?;
    let rows = hits
        .into_iter()
        .map(|h| {
            let mut m = Map::new();
            m.insert("ticket_id".into(), json!(h.ticket_id));
            m.insert("summary".into(), json!(h.summary));
            m.insert("snippet".into(), json!(h.snippet));
            m.insert("rank".into(), json!(h.rank));
            m
        })
        .collect();
    let table = ReportTable {
        columns: ["ticket_id", "summary", "snippet", "rank"]
            .map(String::from)
            .to_vec(),
        rows,
    };
    query_rows::write(ctx, globals, &table, &args.to)
}
