//! `halo <resource> update ID`.

use super::args::{CustomArgs, UpdateArgs};
use super::custom::{self, FieldChanges};
use super::{fields, write};
use crate::commands::Globals;
use crate::context::Context;
use crate::exit::Failure;
use crate::session::Session;
use anyhow::Result;
use halopsa::ResourceClient;
use serde_json::Value;

/// Runs `update`: one object, its id from the command line, its fields checked and its name
/// flags looked up, read back first unless `--skip-check` (so a wrong id creates nothing).
/// With `--field`, the object is always read first and its whole `customfields` array posted
/// back with only the named entries changed (HaloAPI #13: Halo replaces the array whole).
pub async fn run(
    ctx: &mut Context,
    globals: &Globals,
    session: &Session,
    api: &ResourceClient,
    args: &UpdateArgs,
    (named, custom_args): (&fields::NamedFields, &CustomArgs),
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
        !named.is_empty() || !custom_args.fields.is_empty(),
    )?;
    if objects.len() != 1 {
        return Err(Failure::usage(
            "update changes one object: give one JSON object",
        ));
    }
    let res = api.resource();
    fields::check(res.path, &objects, args.write.allow_unknown_field)?;
    let mut names = session.names();
    let changes = FieldChanges::read(&mut names, res, custom_args).await?;
    fields::apply(&mut names, named, &mut objects).await?;
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
    let mut diff = Vec::new();
    if let Some(changes) = &changes {
        // The object as stored: its other custom fields are posted back with the change.
        let stored = api.get(id, &[]).await?;
        let existing = stored
            .get("customfields")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        diff = changes.apply(&mut objects[0], existing)?;
    }
    let req = api.update_request(objects.clone())?;
    if args.write.dry_run {
        custom::print_diff(ctx, &diff)?;
        return write::dry_run(ctx, &session.client, &req);
    }
    // An object just read needs no second read to prove it exists.
    let check = !args.skip_check && changes.is_none();
    let saved = api.update(objects, check).await?;
    write::saved(ctx, &saved, &globals.output)
}
