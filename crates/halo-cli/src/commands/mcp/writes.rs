//! The write tools, offered only with `--allow-writes`: each checked as the CLI checks it
//! (field names against Halo's spec, names looked up where ids go, the ticket read first),
//! and each the CLI's own code where the CLI has the verb.

use super::answer::{ACTION, Answer, ResponseFormat, TICKET, shape};
use super::args;
use super::state::State;
use crate::commands::resource::args::{AssignArgs, CloseArgs, NoteArgs};
use crate::commands::resource::fields::{self, NamedFields};
use crate::commands::resource::{assign, close, note};
use crate::exit::Failure;
use anyhow::Result;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The ticket resource's path, whose POST body the fields are checked against.
const TICKETS: &str = "Tickets";

/// The fields of a ticket given by name (or id), as arguments of the write tools.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct NamedTicketFields {
    /// The client, by name or id.
    pub client: Option<String>,
    /// The client's site, by name or id.
    pub site: Option<String>,
    /// The end user, by name or id.
    pub user: Option<String>,
    /// The ticket type, by name or id.
    pub tickettype: Option<String>,
    /// The priority, by name or id.
    pub priority: Option<String>,
    /// The status, by name or id.
    pub status: Option<String>,
    /// The agent, by name or id, or `me`.
    pub agent: Option<String>,
    /// The team, by name or id.
    pub team: Option<String>,
}

impl NamedTicketFields {
    /// The name flags given, as `halo tickets create --client ...` would have them.
    fn named(&self) -> NamedFields {
        let given = [
            ("client", &self.client),
            ("site", &self.site),
            ("user", &self.user),
            ("tickettype", &self.tickettype),
            ("priority", &self.priority),
            ("status", &self.status),
            ("agent", &self.agent),
            ("team", &self.team),
        ];
        let flags = fields::name_flags(TICKETS);
        given
            .into_iter()
            .filter_map(|(flag, value)| {
                let value = value.as_ref()?;
                let f = flags.iter().find(|f| f.flag == flag)?;
                let value = if flag == "agent" && value.eq_ignore_ascii_case("me") {
                    "@me".to_string()
                } else {
                    value.clone()
                };
                Some((*f, value))
            })
            .collect()
    }
}

/// The object of a create or an update: `fields` checked against the ticket body (a name
/// given as a field is refused with the argument to use), then the named fields looked up.
async fn ticket_object(
    state: &State,
    mut object: Map<String, Value>,
    extra: BTreeMap<String, Value>,
    named: &NamedTicketFields,
) -> Result<Value> {
    for (k, v) in extra {
        if object.contains_key(&k) {
            return Err(Failure::usage(format!(
                "'{k}' is an argument of its own: give it once"
            )));
        }
        object.insert(k, v);
    }
    let mut objects = vec![Value::Object(object)];
    fields::check(TICKETS, &objects, false).map_err(|e| {
        Failure::usage(format!(
            "{} (here the name fields are arguments: client, site, user, tickettype, \
             priority, status, agent, team)",
            crate::exit::line(&e)
        ))
    })?;
    let mut names = state.session.names();
    fields::apply(&mut names, &named.named(), &mut objects).await?;
    Ok(objects.remove(0))
}

/// `halo_create_ticket`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct CreateTicket {
    /// One line saying what is wrong or wanted.
    pub summary: String,
    /// The description (plain text or HTML).
    pub details: Option<String>,
    #[serde(flatten)]
    pub named: NamedTicketFields,
    /// Other ticket fields by their Halo names, e.g. {"impact": 2, "category_1": "Hardware"}
    /// (checked against Halo's ticket fields).
    #[serde(default)]
    pub fields: BTreeMap<String, Value>,
}

/// Runs `halo_create_ticket`.
pub async fn create(state: Arc<State>, args: CreateTicket) -> Result<Answer> {
    if args.summary.trim().is_empty() {
        return Err(Failure::usage(
            "argument 'summary': say what the ticket is about",
        ));
    }
    let mut object = Map::new();
    object.insert("summary".into(), json!(args.summary));
    if let Some(d) = &args.details {
        object.insert("details".into(), json!(d));
    }
    let object = ticket_object(&state, object, args.fields, &args.named).await?;
    let saved = state.api("tickets")?.create(vec![object]).await?;
    let saved = saved.into_iter().next().unwrap_or(Value::Null);
    let mut body = Map::new();
    body.insert(
        "created".into(),
        json!(format!("ticket {}", halopsa::id::id_text(&saved["id"]))),
    );
    body.insert(
        "ticket".into(),
        shape(&saved, ResponseFormat::Concise, TICKET),
    );
    Ok(Answer::object(body))
}

/// `halo_update_ticket`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct UpdateTicket {
    /// The ticket's id.
    #[serde(deserialize_with = "args::positive_id")]
    #[schemars(with = "u64")]
    pub ticket_id: u64,
    /// A new summary.
    pub summary: Option<String>,
    #[serde(flatten)]
    pub named: NamedTicketFields,
    /// Other ticket fields by their Halo names, e.g. {"impact": 2} (checked).
    #[serde(default)]
    pub fields: BTreeMap<String, Value>,
}

/// Runs `halo_update_ticket`: the ticket read first (a wrong id changes nothing).
pub async fn update(state: Arc<State>, args: UpdateTicket) -> Result<Answer> {
    let mut object = Map::new();
    if let Some(s) = &args.summary {
        object.insert("summary".into(), json!(s));
    }
    let mut object = ticket_object(&state, object, args.fields, &args.named).await?;
    if object.as_object().is_some_and(Map::is_empty) {
        return Err(Failure::usage(
            "nothing to change: give a field (summary, status, priority, agent, team, ... or fields)",
        ));
    }
    object["id"] = json!(args.ticket_id);
    let saved = state.api("tickets")?.update(vec![object], true).await?;
    let saved = saved.into_iter().next().unwrap_or(Value::Null);
    let mut body = Map::new();
    body.insert(
        "updated".into(),
        json!(format!("ticket {}", args.ticket_id)),
    );
    body.insert(
        "ticket".into(),
        shape(&saved, ResponseFormat::Concise, TICKET),
    );
    Ok(Answer::object(body))
}

/// `halo_add_note`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct AddNote {
    /// The ticket's id.
    #[serde(deserialize_with = "args::positive_id")]
    #[schemars(with = "u64")]
    pub ticket_id: u64,
    /// The note.
    pub note: String,
    /// Hide it from the end user (default false).
    #[serde(default)]
    pub private: bool,
    /// Time spent, in hours (e.g. 0.25).
    pub hours: Option<f64>,
}

/// Runs `halo_add_note` (what `halo tickets note` does).
pub async fn note(state: Arc<State>, args: AddNote) -> Result<Answer> {
    if args.note.trim().is_empty() {
        return Err(Failure::usage("argument 'note': give the note's text"));
    }
    if args.hours.is_some_and(|h| !(h > 0.0 && h < 1000.0)) {
        return Err(Failure::usage(
            "argument 'hours': give the time spent in hours, e.g. 0.5",
        ));
    }
    let (saved, outcome) = note::add(
        &state.session,
        &NoteArgs {
            id: args.ticket_id.to_string(),
            text: args.note,
            private: args.private,
            outcome: None,
            time: args.hours,
            requests: Default::default(),
        },
    )
    .await?;
    let mut body = Map::new();
    body.insert(
        "added".into(),
        json!(format!(
            "a {}note to ticket {} (outcome '{}')",
            if args.private { "private " } else { "" },
            args.ticket_id,
            outcome.name
        )),
    );
    body.insert(
        "action".into(),
        shape(&saved, ResponseFormat::Concise, ACTION),
    );
    Ok(Answer::object(body))
}

/// `halo_assign_ticket`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct AssignTicket {
    /// The ticket's id.
    #[serde(deserialize_with = "args::positive_id")]
    #[schemars(with = "u64")]
    pub ticket_id: u64,
    /// The agent, by name or id, or `me`.
    pub agent: Option<String>,
    /// The team, by name or id.
    pub team: Option<String>,
}

/// Runs `halo_assign_ticket` (what `halo tickets assign` does).
pub async fn assign(state: Arc<State>, args: AssignTicket) -> Result<Answer> {
    let agent = args.agent.map(|a| {
        if a.eq_ignore_ascii_case("me") {
            "@me".to_string()
        } else {
            a
        }
    });
    let api = state.api("tickets")?;
    let (saved, said) = assign::assign(
        &state.session,
        &api,
        &AssignArgs {
            id: args.ticket_id.to_string(),
            agent,
            team: args.team,
            requests: Default::default(),
        },
    )
    .await?;
    let mut body = Map::new();
    body.insert(
        "assigned".into(),
        json!(format!("ticket {} to {}", args.ticket_id, said.join(", "))),
    );
    body.insert(
        "ticket".into(),
        shape(&saved, ResponseFormat::Concise, TICKET),
    );
    Ok(Answer::object(body))
}

/// `halo_close_ticket`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct CloseTicket {
    /// The ticket's id.
    #[serde(deserialize_with = "args::positive_id")]
    #[schemars(with = "u64")]
    pub ticket_id: u64,
    /// A closing note (one action adds it and closes the ticket).
    pub note: Option<String>,
    /// The closed status, by name (default: the tenant's 'Closed').
    pub status: Option<String>,
}

/// Runs `halo_close_ticket` (what `halo tickets close` does).
pub async fn close(state: Arc<State>, args: CloseTicket) -> Result<Answer> {
    let api = state.api("tickets")?;
    let (saved, status) = close::close(
        &state.session,
        &api,
        &CloseArgs {
            id: args.ticket_id.to_string(),
            note: args.note,
            status: args.status,
            requests: Default::default(),
        },
    )
    .await?;
    let mut body = Map::new();
    body.insert(
        "closed".into(),
        json!(format!(
            "ticket {} (status '{}')",
            args.ticket_id, status.name
        )),
    );
    body.insert(
        "ticket".into(),
        shape(&saved, ResponseFormat::Concise, TICKET),
    );
    Ok(Answer::object(body))
}
