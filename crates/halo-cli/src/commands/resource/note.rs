//! `halo tickets note ID "text"`: an action with the note, under the tenant's note outcome.

use super::args::NoteArgs;
use crate::commands::Globals;
use crate::context::Context;
use crate::exit::Failure;
use crate::names::{Lookup, Named, Names};
use crate::output::write_object;
use anyhow::Result;
use serde_json::{Value, json};

/// Runs `note`: one POST of an action (and, the first time, one list of outcomes).
pub async fn run(
    ctx: &mut Context,
    globals: &Globals,
    session: &crate::session::Session,
    args: &NoteArgs,
) -> Result<()> {
    let (saved, outcome) = add(session, args).await?;
    if globals.output.format.is_some() {
        return write_object(ctx.io.out(), &saved, &globals.output);
    }
    writeln!(
        ctx.io.out(),
        "added a {}note to ticket {} (action {}, outcome '{}')",
        if args.private { "private " } else { "" },
        args.id,
        saved
            .get("id")
            .map(halopsa::id::id_text)
            .unwrap_or_default(),
        outcome.name
    )?;
    Ok(())
}

/// Adds the note `args` describes: the action as saved, and the outcome it was recorded
/// under (shared by `halo tickets note` and the MCP server's `halo_add_note`).
pub async fn add(session: &crate::session::Session, args: &NoteArgs) -> Result<(Value, Named)> {
    let mut names = session.names();
    let outcome = outcome_for_note(&mut names, args.outcome.as_deref(), args.private).await?;
    let mut action = json!({
        "ticket_id": ticket_id(&args.id)?,
        "note": args.text,
        "outcome_id": super::write::id_value(&outcome.id),
        "outcome": outcome.name,
        "hiddenfromuser": args.private,
    });
    if let Some(hours) = args.time {
        action["timetaken"] = json!(hours);
    }
    let actions = crate::commands::resource::find("actions")
        .ok_or_else(|| anyhow::anyhow!("no actions resource"))?;
    let saved = session
        .client
        .resource(actions)
        .create(vec![action])
        .await?;
    Ok((saved.into_iter().next().unwrap_or(Value::Null), outcome))
}

/// A ticket id given on the command line, as JSON.
pub fn ticket_id(id: &str) -> Result<Value> {
    id.trim()
        .parse::<i64>()
        .map(Value::from)
        .map_err(|_| Failure::usage(format!("'{id}' is not a ticket id")))
}

/// The outcome a note is recorded under: `given` by name, else the tenant's own for notes
/// ("Note", or "Private Note" for a private one; else the only one with "note" in its
/// name). When none fits, the error names the outcomes there are.
pub async fn outcome_for_note(
    names: &mut Names<'_>,
    given: Option<&str>,
    private: bool,
) -> Result<Named> {
    if let Some(name) = given {
        return names.find(Lookup::Outcome, name).await;
    }
    let all = names.all(Lookup::Outcome).await?;
    let wanted = if private { "private note" } else { "note" };
    let exact = all.iter().find(|o| o.name.eq_ignore_ascii_case(wanted));
    let notes: Vec<&Named> = all
        .iter()
        .filter(|o| o.name.to_lowercase().contains("note"))
        .filter(|o| private || !o.name.to_lowercase().contains("private"))
        .collect();
    match (exact, notes.as_slice()) {
        (Some(o), _) => Ok(o.clone()),
        (None, [o]) => Ok((*o).clone()),
        _ => Err(Failure::usage(format!(
            "no outcome for a {}note found by name; give one with --outcome (the tenant has: {})",
            if private { "private " } else { "" },
            all.iter()
                .map(|o| o.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}
