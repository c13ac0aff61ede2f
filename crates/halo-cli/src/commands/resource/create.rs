//! `halo <resource> create`.

use super::args::CreateArgs;
use super::write;
use crate::commands::Globals;
use crate::context::Context;
use anyhow::Result;
use halopsa::ResourceClient;

/// Runs `create`: objects with no id (Halo would update one that has one).
pub async fn run(
    ctx: &mut Context,
    globals: &Globals,
    client: &halopsa::Client,
    api: &ResourceClient,
    args: &CreateArgs,
) -> Result<()> {
    let objects = crate::input::objects(ctx, args.write.json.as_deref(), &args.write.sets)?;
    let req = api.create_request(objects.clone())?;
    if args.write.dry_run {
        return write::dry_run(ctx, client, &req);
    }
    let saved = api.create(objects).await?;
    write::saved(ctx, &saved, &globals.output)
}
