//! `halo <resource> update ID`.

use super::args::UpdateArgs;
use super::{fields, write};
use crate::commands::Globals;
use crate::context::Context;
use crate::exit::Failure;
use crate::session::Session;
use anyhow::Result;
use halopsa::ResourceClient;

/// Runs `update`: one object, its id from the command line, its fields checked and its name
/// flags looked up, read back first unless `--skip-check` (so a wrong id creates nothing).
pub async fn run(
    ctx: &mut Context,
    globals: &Globals,
    session: &Session,
    api: &ResourceClient,
    args: &UpdateArgs,
    named: &fields::NamedFields,
    ticket_id: Option<String>,
) -> Result<()> {
    let id = args
        .id
        .as_deref()
        .ok_or_else(|| Failure::usage("give the id of the object to update, or --from FILE"))?;
    let mut objects = crate::input::objects(
        ctx,
        args.write.json.as_deref(),
        &args.write.sets,
        !named.is_empty(),
    )?;
    if objects.len() != 1 {
        return Err(Failure::usage(
            "update changes one object: give one JSON object",
        ));
    }
    let path = api.resource().path;
    fields::check(path, &objects, args.write.allow_unknown_field)?;
    fields::apply(&mut session.names(), named, &mut objects).await?;
    if let Some(given) = objects[0]
        .get("id")
        .map(halopsa::id::id_text)
        .filter(|g| g != id)
    {
        return Err(Failure::usage(format!(
            "the JSON has id {given} but the command names {id}"
        )));
    }
    objects[0]["id"] = write::id_value(id);
    if let Some(t) = &ticket_id {
        objects[0]["ticket_id"] = write::id_value(t);
    }
    let req = api.update_request(objects.clone())?;
    if args.write.dry_run {
        return write::dry_run(ctx, &session.client, &req);
    }
    let saved = api.update(objects, !args.skip_check).await?;
    write::saved(ctx, &saved, &globals.output)
}
