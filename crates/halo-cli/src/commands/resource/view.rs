//! `halo tickets view ID`: a ticket as a person reads it, with its actions newest first.

use super::args::ViewArgs;
use crate::commands::Globals;
use crate::context::Context;
use crate::output::{Format, write_object};
use anyhow::Result;
use halopsa::error::strip_tags;
use halopsa::{ApiRequest, ResourceClient};
use serde_json::{Value, json};

/// A ticket with its newest actions and its attachments: what `halo tickets view` shows and
/// the MCP server's `halo_get_ticket` answers.
pub struct Viewed {
    /// The ticket.
    pub ticket: Value,
    /// Its newest actions, newest first.
    pub actions: Vec<Value>,
    /// How many actions it has in all.
    pub total_actions: usize,
    /// Its attachments.
    pub attachments: Vec<halopsa::models::Attachment>,
}

/// One GET of the ticket, one of its actions and one of its attachments; the `newest`
/// actions kept.
pub async fn fetch(
    client: &halopsa::Client,
    api: &ResourceClient,
    id: &str,
    newest: usize,
) -> Result<Viewed> {
    let ticket_id = id
        .trim()
        .parse::<u64>()
        .map_err(|_| crate::exit::Failure::usage(format!("'{id}' is not a ticket id")))?;
    let ticket = api.get(id, &[]).await?;
    let listed: Value = client
        .get_json(&ApiRequest::get("Actions").query("ticket_id", id))
        .await?;
    let mut actions: Vec<Value> = listed
        .get("actions")
        .and_then(Value::as_array)
        .or(listed.as_array())
        .cloned()
        .unwrap_or_default();
    let total_actions = actions.len();
    actions.sort_by_key(|a| std::cmp::Reverse(text(a, "datetime")));
    actions.truncate(newest);
    let attachments = client.attachments().list(ticket_id, None).await?;
    Ok(Viewed {
        ticket,
        actions,
        total_actions,
        attachments,
    })
}

/// Runs `view`: one GET of the ticket, one of its actions and one of its attachments.
pub async fn run(
    ctx: &mut Context,
    globals: &Globals,
    client: &halopsa::Client,
    api: &ResourceClient,
    args: &ViewArgs,
) -> Result<()> {
    let Viewed {
        ticket,
        actions,
        total_actions: total,
        attachments,
    } = fetch(client, api, &args.id, args.actions).await?;
    if globals.output.effective() != Format::Table {
        let whole = json!({"ticket": ticket, "actions": actions, "attachments": attachments});
        return write_object(ctx.io.out(), &whole, &globals.output);
    }
    globals.page(ctx);
    let out = ctx.io.out();
    let t = &ticket;
    writeln!(
        out,
        "#{}  {}  [{}]",
        text(t, "id"),
        text(t, "summary"),
        text(t, "status_name")
    )?;
    for (label, value) in [
        ("client", field(t, "client_name", "site_name")),
        ("user", text(t, "user_name")),
        ("agent", field(t, "agent_name", "team")),
        ("type", field(t, "tickettype_name", "priority_name")),
        (
            "opened",
            crate::output::local_time(&text(t, "dateoccurred")),
        ),
        (
            "updated",
            crate::output::local_time(&text(t, "last_update")),
        ),
    ] {
        if !value.is_empty() {
            writeln!(out, "  {label:<8} {value}")?;
        }
    }
    let details = strip_tags(&text(t, "details"));
    if !details.is_empty() {
        writeln!(out, "\n  {details}")?;
    }
    if !attachments.is_empty() {
        writeln!(out, "\nAttachments ({}):", attachments.len())?;
        for a in &attachments {
            writeln!(
                out,
                "  #{}  {}  {}",
                a.id.map(|i| i.to_string()).unwrap_or_default(),
                a.filename.as_deref().unwrap_or(""),
                a.filesize.map(size).unwrap_or_default()
            )?;
        }
    }
    writeln!(
        out,
        "\nActions, newest first ({} of {total}):",
        actions.len()
    )?;
    for a in &actions {
        writeln!(
            out,
            "  {}  {}  {}{}",
            crate::output::local_time(&text(a, "datetime")),
            text(a, "who"),
            text(a, "outcome"),
            if a.get("hiddenfromuser") == Some(&Value::Bool(true)) {
                " (private)"
            } else {
                ""
            }
        )?;
        let note = strip_tags(&text(a, "note"));
        if !note.is_empty() {
            writeln!(out, "    {note}")?;
        }
    }
    Ok(())
}

/// A field as text (empty when absent or null).
fn text(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// `a (b)`, or whichever of them there is.
fn field(v: &Value, a: &str, b: &str) -> String {
    match (text(v, a), text(v, b)) {
        (a, b) if b.is_empty() => a,
        (a, b) if a.is_empty() => b,
        (a, b) => format!("{a} ({b})"),
    }
}

/// A byte count as people read it: `512 B`, `12.3 KiB`, `4.0 MiB`.
fn size(bytes: i64) -> String {
    let b = bytes.max(0) as f64;
    match bytes {
        n if n < 1 << 10 => format!("{n} B"),
        n if n < 1 << 20 => format!("{:.1} KiB", b / 1024.0),
        _ => format!("{:.1} MiB", b / f64::from(1 << 20)),
    }
}
