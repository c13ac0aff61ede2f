//! `halo <resource> get ID`.

use super::args::GetArgs;
use super::filters::{self, SpecValues};
use crate::commands::Globals;
use crate::context::Context;
use crate::output::write_object;
use anyhow::Result;
use halopsa::ResourceClient;

/// Runs `get`.
pub async fn run(
    ctx: &mut Context,
    globals: &Globals,
    api: &ResourceClient,
    args: &GetArgs,
    spec: &SpecValues,
    ticket_id: Option<String>,
) -> Result<()> {
    let res = api.resource();
    let path = format!("{}/{}", res.path, args.id);
    let mut query = filters::query(res, &path, spec, &args.filter, args.details)?;
    if let Some(t) = ticket_id {
        query.push(("ticket_id".into(), t));
    }
    let obj = api.get(&args.id, &query).await?;
    write_object(ctx.io.out(), &obj, &globals.output)
}
