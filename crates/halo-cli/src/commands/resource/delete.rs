//! `halo <resource> delete ID`.

use super::args::DeleteArgs;
use super::write;
use crate::commands::Globals;
use crate::context::Context;
use crate::exit::Failure;
use crate::output::write_object;
use anyhow::Result;
use halopsa::ResourceClient;
use std::io::BufRead;

/// The query a delete may need.
pub struct Query {
    /// `--reason` (soft-deleted resources).
    pub reason: Option<String>,
    /// `--ticket-id` (ids numbered per ticket).
    pub ticket_id: Option<String>,
}

/// Runs `delete`: asks first when a person is at a terminal, unless `--yes`.
pub async fn run(
    ctx: &mut Context,
    globals: &Globals,
    client: &halopsa::Client,
    api: &ResourceClient,
    args: &DeleteArgs,
    given: Query,
) -> Result<()> {
    let res = api.resource();
    let id = args
        .id
        .as_deref()
        .ok_or_else(|| Failure::usage("give the id of the object to delete, or --from FILE"))?;
    let query: Vec<(String, String)> = [("reason", given.reason), ("ticket_id", given.ticket_id)]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k.to_string(), v)))
        .collect();
    let req = api.delete_request(id, &query)?;
    if args.dry_run {
        return write::dry_run(ctx, client, &req);
    }
    if !args.yes {
        confirmed(ctx, &format!("Delete {} {id}?", res.name))?;
    }
    let answer = api.delete(id, &query).await?;
    if globals.output.format.is_some() {
        write_object(ctx.io.out(), &answer, &globals.output)
    } else {
        writeln!(ctx.io.out(), "deleted {} {id}", res.name)?;
        Ok(())
    }
}

/// Goes on only when a person at the terminal says yes to `question`; with no one there to
/// ask, refuses (exit 2): a delete needs `--yes` then.
pub fn confirmed(ctx: &mut Context, question: &str) -> Result<()> {
    if !ctx.io.can_prompt() {
        return Err(Failure::usage(format!(
            "{question} No terminal to confirm it on: give --yes to delete without asking (nothing was deleted)"
        )));
    }
    if confirm(ctx, question)? {
        Ok(())
    } else {
        Err(Failure::usage("not deleted"))
    }
}

/// Asks `question` on standard error; yes only for `y` or `yes`.
fn confirm(ctx: &mut Context, question: &str) -> Result<bool> {
    write!(ctx.io.err(), "{question} [y/N] ")?;
    ctx.io.err().flush()?;
    let mut answer = String::new();
    std::io::BufReader::new(ctx.io.input()).read_line(&mut answer)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}
