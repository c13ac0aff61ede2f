//! The ticket tools: search, one ticket whole, open tickets.

use super::answer::{ACTION, Answer, ResponseFormat, TICKET, TICKET_ROW, shape};
use super::args::{self, within};
use super::state::State;
use crate::names::Lookup;
use anyhow::Result;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// The fields of a concise attachment.
const ATTACHMENT: &[&str] = &[
    "id",
    "filename",
    "filesize",
    "action_id",
    "datecreated",
    "note",
];

/// `halo_search_tickets`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct SearchTickets {
    /// The words to find.
    pub query: String,
    /// The most tickets answered, best first (1 to 100; default 20).
    #[serde(default = "args::twenty")]
    #[schemars(range(min = 1, max = 100))]
    pub limit: u32,
    /// `concise` (default) or `detailed` rows (Halo's search only: the mirror answers id,
    /// summary and the passage that matched).
    #[serde(default)]
    pub response_format: ResponseFormat,
}

/// Runs `halo_search_tickets`: the mirror's full-text index when there is a mirror, else
/// Halo's `search` filter.
pub async fn search(state: Arc<State>, args: SearchTickets) -> Result<Answer> {
    let limit = within("limit", args.limit, 100)?;
    if args.query.trim().is_empty() {
        return Err(crate::exit::Failure::usage(
            "argument 'query': give the words to search for",
        ));
    }
    let mut body = Map::new();
    if let Some(mirror) = state.open_mirror().await? {
        let hits = mirror
            .search(&args.query, limit as usize)
            .await
            .map_err(anyhow::Error::new)?;
        let rows: Vec<Value> = hits
            .into_iter()
            .map(|h| json!({"id": h.ticket_id, "summary": h.summary, "snippet": h.snippet}))
            .collect();
        body.insert(
            "source".into(),
            json!("the local mirror (as of its last `halo sync`); halo_get_ticket reads one live"),
        );
        body.insert("tickets".into(), Value::Array(rows));
        return Ok(Answer::list(body, "tickets", "ask for a smaller limit"));
    }
    let api = state.api("tickets")?;
    let page = api
        .list_page(&[("search".to_string(), args.query.clone())], 1, limit)
        .await?;
    body.insert(
        "source".into(),
        json!("Halo's search (no mirror: `halo sync` makes one)"),
    );
    if let Some(total) = page.record_count {
        body.insert("total".into(), json!(total));
    }
    Ok(tickets(
        body,
        &page.items,
        args.response_format,
        "ask for a smaller limit, or use response_format=concise",
    ))
}

/// `body` with the `tickets` shaped as `format` asks: an answer whose list may be cut, `rest`
/// saying how to get what a cut leaves out.
fn tickets(
    mut body: Map<String, Value>,
    items: &[Value],
    format: ResponseFormat,
    rest: impl Into<String>,
) -> Answer {
    let rows = items.iter().map(|t| shape(t, format, TICKET_ROW)).collect();
    body.insert("tickets".into(), Value::Array(rows));
    Answer::list(body, "tickets", rest)
}

/// `halo_get_ticket`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct GetTicket {
    /// The ticket's id.
    #[serde(deserialize_with = "args::positive_id")]
    #[schemars(with = "u64")]
    pub ticket_id: u64,
    /// How many of its actions to include, newest first (0 to 100; default 10).
    #[serde(default = "args::ten")]
    #[schemars(range(max = 100))]
    pub actions: u32,
    /// `concise` (default) or `detailed`.
    #[serde(default)]
    pub response_format: ResponseFormat,
}

/// Runs `halo_get_ticket` (what `halo tickets view` shows).
pub async fn get(state: Arc<State>, args: GetTicket) -> Result<Answer> {
    if args.actions > 100 {
        within("actions", args.actions, 100)?;
    }
    let api = state.api("tickets")?;
    let id = args.ticket_id.to_string();
    let viewed = crate::commands::resource::view::fetch(
        &state.session.client,
        &api,
        &id,
        args.actions as usize,
    )
    .await?;
    let f = args.response_format;
    let mut body = Map::new();
    body.insert("ticket".into(), shape(&viewed.ticket, f, TICKET));
    body.insert(
        "actions_shown".into(),
        json!(format!(
            "{} newest of {}",
            viewed.actions.len(),
            viewed.total_actions
        )),
    );
    body.insert(
        "attachments".into(),
        Value::Array(
            viewed
                .attachments
                .iter()
                .map(|a| shape(&serde_json::to_value(a).unwrap_or_default(), f, ATTACHMENT))
                .collect(),
        ),
    );
    body.insert(
        "actions".into(),
        Value::Array(viewed.actions.iter().map(|a| shape(a, f, ACTION)).collect()),
    );
    Ok(Answer::list(
        body,
        "actions",
        "ask for fewer actions (actions=N), or use response_format=concise",
    ))
}

/// `halo_open_tickets`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct OpenTickets {
    /// The agent, by name or id, or `me` (the default when neither team nor client is given).
    pub agent: Option<String>,
    /// The team, by name or id.
    pub team: Option<String>,
    /// The client, by name or id.
    pub client: Option<String>,
    /// The page (1 or more; default 1).
    #[serde(default = "args::one")]
    pub page: u32,
    /// Tickets a page (1 to 100; default 25).
    #[serde(default = "args::page_size")]
    #[schemars(range(min = 1, max = 100))]
    pub page_size: u32,
    /// `concise` (default) or `detailed`.
    #[serde(default)]
    pub response_format: ResponseFormat,
}

/// Runs `halo_open_tickets`: one page of `open_only` tickets, newest first.
pub async fn open(state: Arc<State>, args: OpenTickets) -> Result<Answer> {
    let page_size = within("page_size", args.page_size, 100)?;
    let page_no = args.page.max(1);
    let mut names = state.session.names();
    let mut query = vec![("open_only".to_string(), "true".to_string())];
    let mut whose = Vec::new();
    let agent = match (&args.agent, &args.team, &args.client) {
        (None, None, None) => Some("@me".to_string()),
        (a, _, _) => a.clone(),
    };
    if let Some(agent) = &agent {
        let found = names.named(Lookup::Agent, agent).await?;
        whose.push(format!("agent {} ({})", found.name, found.id));
        query.push(("agent_id".into(), found.id));
    }
    if let Some(team) = &args.team {
        let found = names.named(Lookup::Team, team).await?;
        whose.push(format!("team {} ({})", found.name, found.id));
        query.push(("team".into(), found.id));
    }
    if let Some(client) = &args.client {
        let found = names.named(Lookup::Client, client).await?;
        whose.push(format!("client {} ({})", found.name, found.id));
        query.push(("client_id".into(), found.id));
    }
    drop(names);
    query.push(("order".into(), "dateoccurred".into()));
    query.push(("orderdesc".into(), "true".into()));
    let page = state
        .api("tickets")?
        .list_page(&query, page_no, page_size)
        .await?;
    let mut body = Map::new();
    body.insert("open_tickets_of".into(), json!(whose.join(", ")));
    let total = page.record_count.unwrap_or(page.items.len() as u64);
    super::answer::page_of(&mut body, total, page_no, page_size);
    Ok(tickets(
        body,
        &page.items,
        args.response_format,
        format!("ask for a smaller page_size and walk the pages (page={page_no} was cut)"),
    ))
}
