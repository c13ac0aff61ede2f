//! `halo <resource> create`.

use super::args::{CreateArgs, CustomArgs};
use super::custom::{self, FieldChanges};
use super::{fields, write};
use crate::commands::Globals;
use crate::context::Context;
use crate::session::Session;
use anyhow::Result;
use halopsa::ResourceClient;

/// Runs `create`: objects with no id (Halo would update one that has one), their fields
/// checked before anything is sent, their name flags looked up and their `--field` custom
/// fields set (checked against the definitions first).
pub async fn run(
    ctx: &mut Context,
    globals: &Globals,
    session: &Session,
    api: &ResourceClient,
    args: &CreateArgs,
    (named, custom_args): (&fields::NamedFields, &CustomArgs),
) -> Result<()> {
    let mut objects = crate::input::objects(
        ctx,
        args.write.json.as_deref(),
        &args.write.sets,
        !named.is_empty() || !custom_args.fields.is_empty(),
    )?;
    let res = api.resource();
    fields::check(res.path, &objects, args.write.allow_unknown_field)?;
    let mut names = session.names();
    let changes = FieldChanges::read(&mut names, res, custom_args).await?;
    fields::apply(&mut names, named, &mut objects).await?;
    let mut diff = Vec::new();
    if let Some(changes) = &changes {
        for object in &mut objects {
            diff = changes.apply(object, &[])?;
        }
    }
    let req = api.create_request(objects.clone())?;
    if args.write.dry_run {
        custom::print_diff(ctx, &diff)?;
        return write::dry_run(ctx, &session.client, &req);
    }
    let saved = api.create(objects).await?;
    write::saved(ctx, &saved, &globals.output)
}
