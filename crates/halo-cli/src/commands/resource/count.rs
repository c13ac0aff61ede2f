//! `halo <resource> count`.

use super::args::CountArgs;
use super::filters::{self, SpecValues};
use crate::context::Context;
use crate::session::Session;
use anyhow::Result;
use halopsa::ResourceClient;

/// Runs `count`: `record_count` of a one-row page (one request); the bare number, or an
/// object `{"count": N}` when `-o` asks for a format.
pub async fn run(
    ctx: &mut Context,
    output: &crate::output::OutputOptions,
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
    if output.format.is_some() {
        return crate::output::write_object(ctx.io.out(), &serde_json::json!({"count": n}), output);
    }
    writeln!(ctx.io.out(), "{n}")?;
    Ok(())
}
