//! `halo <resource> get ID`.

use super::args::GetArgs;
use super::custom;
use super::filters::{self, SpecValues};
use crate::commands::Globals;
use crate::context::Context;
use crate::exit::Failure;
use crate::names::Lookup;
use crate::output::write_object;
use crate::session::Session;
use anyhow::Result;
use halopsa::ResourceClient;
use halopsa::resource::IdKind;

/// Runs `get`: the object, or exit 4 when it does not meet `--where`.
pub async fn run(
    ctx: &mut Context,
    globals: &Globals,
    session: &Session,
    api: &ResourceClient,
    args: &GetArgs,
    spec: &SpecValues,
    ticket_id: Option<String>,
) -> Result<()> {
    let res = api.resource();
    let mut names = session.names();
    // A name where the id goes: `halo clients get Acme`.
    let id = match Lookup::of(res) {
        Some(lookup) if res.id == IdKind::Int => names.id(lookup, &args.id).await?,
        _ => args.id.clone(),
    };
    let path = format!("{}/{id}", res.path);
    let mut query = filters::query(res, &path, spec, &args.filter, args.details)?
        .resolve(&mut names)
        .await?;
    if let Some(t) = ticket_id {
        query.push(("ticket_id".into(), t));
    }
    let conds = custom::conditions(&mut names, res, &args.conditions).await?;
    let obj = api.get(&id, &query).await?;
    if let Some(unmet) = custom::unmet(&obj, &conds) {
        return Err(Failure::not_found(format!(
            "{}/{id} does not meet --where {unmet}",
            res.path
        )));
    }
    write_object(ctx.io.out(), &obj, &globals.output)
}
