//! `halo sql`: one read-only query against Halo's reporting database (`POST /Report`).

use super::query_rows::{self, RowsOut};
use crate::commands::Globals;
use crate::context::Context;
use crate::exit::Failure;
use crate::session::RequestFlags;
use anyhow::Result;
use std::path::PathBuf;

/// `halo sql`.
#[derive(Debug, clap::Args)]
pub struct SqlArgs {
    /// The query: one SELECT or WITH ... SELECT in SQL Server's dialect (`-`, or nothing with
    /// --file absent, reads it from standard input).
    #[arg(value_name = "QUERY", conflicts_with = "file")]
    pub query: Option<String>,
    /// Read the query from FILE.
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    #[command(flatten)]
    pub to: RowsOut,
    #[command(flatten)]
    pub requests: RequestFlags,
}

/// Runs `halo sql`: checked here before any connection is made, then run by Halo.
pub async fn run(ctx: &mut Context, globals: &Globals, args: SqlArgs) -> Result<()> {
    let sql = statement(ctx, &args)?;
    halopsa::sql::check(&sql).map_err(|e| Failure::usage(e.to_string()))?;
    let timeout = args.requests.timeout(false);
    let table = crate::session::bounded(timeout, async {
        let session = ctx.session(globals.profile.as_deref(), &args.requests)?;
        Ok(session.client.run_sql(&sql).await?)
    })
    .await?;
    query_rows::write(ctx, globals, &table, &args.to)
}

/// The statement, from the argument, `--file` or standard input.
fn statement(ctx: &mut Context, args: &SqlArgs) -> Result<String> {
    let text = match (&args.query, &args.file) {
        (Some(q), None) if q != "-" => q.clone(),
        (_, Some(path)) => std::fs::read_to_string(path)
            .map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))?,
        _ if ctx.io.can_prompt() && args.query.is_none() => {
            return Err(Failure::usage(
                "give the query as an argument, with --file FILE, or on standard input",
            ));
        }
        _ => {
            let mut text = String::new();
            ctx.io
                .input()
                .read_to_string(&mut text)
                .map_err(|e| Failure::usage(format!("cannot read standard input: {e}")))?;
            text
        }
    };
    Ok(text)
}
