//! `halo tickets assign ID (--agent NAME|@me) [--team NAME]`.

use super::args::AssignArgs;
use super::note::ticket_id;
use crate::commands::Globals;
use crate::context::Context;
use crate::names::Lookup;
use crate::output::write_object;
use anyhow::Result;
use halopsa::ResourceClient;
use serde_json::{Value, json};

/// Runs `assign`: names looked up, then one update of the ticket (read back first).
pub async fn run(
    ctx: &mut Context,
    globals: &Globals,
    session: &crate::session::Session,
    api: &ResourceClient,
    args: &AssignArgs,
) -> Result<()> {
    let (saved, said) = assign(session, api, args).await?;
    if globals.output.format.is_some() {
        return write_object(ctx.io.out(), &saved, &globals.output);
    }
    writeln!(
        ctx.io.out(),
        "assigned ticket {} to {}",
        args.id,
        said.join(", ")
    )?;
    Ok(())
}

/// Assigns the ticket as `args` says: the ticket as saved, and the names it was assigned to
/// (shared by `halo tickets assign` and the MCP server's `halo_assign_ticket`).
pub async fn assign(
    session: &crate::session::Session,
    api: &ResourceClient,
    args: &AssignArgs,
) -> Result<(Value, Vec<String>)> {
    if args.agent.is_none() && args.team.is_none() {
        return Err(crate::exit::Failure::usage(
            "name the agent or the team to assign the ticket to",
        ));
    }
    let mut names = session.names();
    let mut change = json!({"id": ticket_id(&args.id)?});
    let mut said = Vec::new();
    if let Some(agent) = &args.agent {
        let found = names.find(Lookup::Agent, agent).await?;
        change["agent_id"] = super::write::id_value(&found.id);
        said.push(found.name);
    }
    if let Some(team) = &args.team {
        let found = names.find(Lookup::Team, team).await?;
        // A ticket's team is set by its name (reference §7), where the body has no team_id.
        let by_name = super::fields::name_flags(api.resource().path)
            .iter()
            .any(|f| f.flag == "team" && f.sets == super::fields::Sets::Name);
        change[if by_name { "team" } else { "team_id" }] = if by_name {
            Value::String(found.name.clone())
        } else {
            super::write::id_value(&found.id)
        };
        said.push(format!("team {}", found.name));
    }
    let saved = api.update(vec![change], true).await?;
    Ok((saved.into_iter().next().unwrap_or(Value::Null), said))
}
