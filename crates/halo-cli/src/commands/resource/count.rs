//! `halo <resource> count`.

use super::args::CountArgs;
use super::filters::{self, SpecValues};
use crate::context::Context;
use crate::session::Session;
use anyhow::Result;
use halopsa::ResourceClient;

/// Runs `count`: `record_count` of a one-row page (one request).
pub async fn run(
    ctx: &mut Context,
    session: &Session,
    api: &ResourceClient,
    args: &CountArgs,
    spec: &SpecValues,
) -> Result<()> {
    let res = api.resource();
    let query = filters::query(res, res.path, spec, &args.filter, false)?
        .resolve(&mut session.names())
        .await?;
    let n = api.count(&query).await?;
    writeln!(ctx.io.out(), "{n}")?;
    Ok(())
}
