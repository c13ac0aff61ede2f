//! `halo tickets close ID [--note "text"]`: the tenant's closed status, found by name.

use super::args::CloseArgs;
use super::note::{outcome_for_note, ticket_id};
use crate::commands::Globals;
use crate::context::Context;
use crate::exit::Failure;
use crate::names::{Lookup, Named};
use crate::output::write_object;
use anyhow::Result;
use halopsa::ResourceClient;
use serde_json::{Value, json};

/// Runs `close`: with a note, one action that adds it and moves the ticket to the closed
/// status (`new_status`); without, an update of the ticket's status (read back first).
pub async fn run(
    ctx: &mut Context,
    globals: &Globals,
    session: &crate::session::Session,
    api: &ResourceClient,
    args: &CloseArgs,
) -> Result<()> {
    let (saved, status) = close(session, api, args).await?;
    if globals.output.format.is_some() {
        return write_object(ctx.io.out(), &saved, &globals.output);
    }
    writeln!(
        ctx.io.out(),
        "closed ticket {} (status '{}'){}",
        args.id,
        status.name,
        if args.note.is_some() {
            " with a note"
        } else {
            ""
        }
    )?;
    Ok(())
}

/// Closes the ticket as `args` says: the ticket as saved, and the status it was given
/// (shared by `halo tickets close` and the MCP server's `halo_close_ticket`).
pub async fn close(
    session: &crate::session::Session,
    api: &ResourceClient,
    args: &CloseArgs,
) -> Result<(Value, Named)> {
    let mut names = session.names();
    let status = match &args.status {
        Some(name) => names.find(Lookup::Status, name).await?,
        None => closed_status(&names.all(Lookup::Status).await?)?,
    };
    let status_id = super::write::id_value(&status.id);
    let saved = match &args.note {
        Some(text) => {
            let outcome = outcome_for_note(&mut names, None, false).await?;
            let action = json!({
                "ticket_id": ticket_id(&args.id)?,
                "note": text,
                "outcome_id": super::write::id_value(&outcome.id),
                "outcome": outcome.name,
                "new_status": status_id,
            });
            let actions = crate::commands::resource::find("actions")
                .ok_or_else(|| anyhow::anyhow!("no actions resource"))?;
            session
                .client
                .resource(actions)
                .create(vec![action])
                .await?;
            api.get(&args.id, &[]).await?
        }
        None => {
            let change = json!({"id": ticket_id(&args.id)?, "status_id": status_id});
            let saved = api.update(vec![change], true).await?;
            saved.into_iter().next().unwrap_or(Value::Null)
        }
    };
    Ok((saved, status))
}

/// The status named "Closed" (any case); the error names the statuses there are.
fn closed_status(all: &[Named]) -> Result<Named> {
    all.iter()
        .find(|s| s.name.eq_ignore_ascii_case("closed"))
        .cloned()
        .ok_or_else(|| {
            Failure::usage(format!(
                "the tenant has no status named 'Closed'; give one with --status (it has: {})",
                all.iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
}
