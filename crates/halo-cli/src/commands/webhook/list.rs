//! `halo webhook list`: the webhook configurations in Halo (never their passwords).

use super::configs;
use crate::commands::Globals;
use crate::commands::query_rows::{self, RowsOut};
use crate::context::Context;
use crate::session::RequestFlags;
use anyhow::Result;
use halopsa::reports::ReportTable;

/// `halo webhook list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub requests: RequestFlags,
}

/// Runs `halo webhook list`.
pub async fn run(ctx: &mut Context, globals: &Globals, args: ListArgs) -> Result<()> {
    let timeout = args.requests.timeout(false);
    let hooks = crate::session::bounded(timeout, async {
        let s = ctx.session(globals.profile.as_deref(), &args.requests)?;
        configs::all(&s.client).await
    })
    .await?;
    let table = ReportTable {
        columns: configs::COLUMNS.map(String::from).to_vec(),
        rows: hooks.iter().map(configs::row).collect(),
    };
    query_rows::write(ctx, globals, &table, &RowsOut::default())
}
