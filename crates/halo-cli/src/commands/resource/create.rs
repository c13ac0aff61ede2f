//! `halo <resource> create`.

use super::args::CreateArgs;
use super::{fields, write};
use crate::commands::Globals;
use crate::context::Context;
use crate::session::Session;
use anyhow::Result;
use halopsa::ResourceClient;

/// Runs `create`: objects with no id (Halo would update one that has one), their fields
/// checked before anything is sent and their name flags looked up.
pub async fn run(
    ctx: &mut Context,
    globals: &Globals,
    session: &Session,
    api: &ResourceClient,
    args: &CreateArgs,
    named: &fields::NamedFields,
) -> Result<()> {
    let mut objects = crate::input::objects(
        ctx,
        args.write.json.as_deref(),
        &args.write.sets,
        !named.is_empty(),
    )?;
    let path = api.resource().path;
    fields::check(path, &objects, args.write.allow_unknown_field)?;
    fields::apply(&mut session.names(), named, &mut objects).await?;
    let req = api.create_request(objects.clone())?;
    if args.write.dry_run {
        return write::dry_run(ctx, &session.client, &req);
    }
    let saved = api.create(objects).await?;
    write::saved(ctx, &saved, &globals.output)
}
