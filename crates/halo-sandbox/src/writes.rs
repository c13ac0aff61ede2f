//! `POST /api/{Resource}`: Halo's upsert. Every element of the posted array is validated
//! first; only if all pass are they saved, and one element in gives one object out.

use crate::Shared;
use crate::auth::Grant;
use crate::filters::Params;
use crate::resources::{Answer, Failure, Found, find, message};
use crate::store::{IdFirst, Key};
use crate::webhooks::Event;
use axum::Json;
use axum::http::{Method, StatusCode};
use axum::response::IntoResponse;
use halopsa::id::id_from_value;
use halopsa::resource::{IdKind, Ops, PostRules, Resource};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// One validated element, ready to save.
struct Prepared {
    key: Key,
    doc: Map<String, Value>,
    /// A ticket changed by this element (an action's `new_status`), saved with it.
    ticket: Option<Found>,
    events: Vec<Event>,
}

/// Handles a POST body.
pub(crate) fn post(
    shared: &Shared,
    res: &Resource,
    grant: &Grant,
    _p: &Params,
    body: &[u8],
) -> Answer {
    if !res.ops.contains(Ops::CREATE) && !res.ops.contains(Ops::UPDATE) {
        return Ok(message(
            StatusCode::METHOD_NOT_ALLOWED,
            format!(
                "The requested resource does not support http method '{}'.",
                Method::POST
            ),
        ));
    }
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return Ok(message(
                StatusCode::BAD_REQUEST,
                format!("The request body is not valid JSON: {e}"),
            ));
        }
    };
    // Halo binds every POST body to a list: one object alone does not bind.
    let Value::Array(items) = value else {
        return Ok(message(
            StatusCode::BAD_REQUEST,
            "The request body must be a JSON array of objects.",
        ));
    };
    if items.is_empty() {
        return Ok(message(
            StatusCode::BAD_REQUEST,
            "The request body is an empty array.",
        ));
    }
    let mut next_ids: HashMap<i64, i64> = HashMap::new();
    let mut prepared = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let Value::Object(obj) = item else {
            return Ok(message(
                StatusCode::BAD_REQUEST,
                format!("[{i}]: each element must be a JSON object."),
            ));
        };
        match prepare(shared, res, grant, obj, &mut next_ids)? {
            Ok(p) => prepared.push(p),
            Err(text) => return Ok(message(StatusCode::BAD_REQUEST, text)),
        }
    }
    let mut saved = Vec::with_capacity(prepared.len());
    for p in prepared {
        if let Some((key, doc)) = p.ticket {
            shared.store.put("Tickets", key, doc)?;
        }
        shared.store.put(res.path, p.key, p.doc.clone())?;
        for event in p.events {
            shared.webhooks.send(event);
        }
        saved.push(p.doc);
    }
    let docs: Vec<IdFirst> = saved.iter().map(IdFirst).collect();
    Ok(match docs.as_slice() {
        [one] => Json(one).into_response(),
        all => Json(all).into_response(),
    })
}

type Checked<T> = Result<Result<T, String>, Failure>;

fn prepare(
    shared: &Shared,
    res: &Resource,
    grant: &Grant,
    mut obj: Map<String, Value>,
    next_ids: &mut HashMap<i64, i64>,
) -> Checked<Prepared> {
    // Control flags are instructions, not data.
    let recover = obj.get("_recover").and_then(Value::as_bool) == Some(true);
    obj.retain(|k, _| !k.starts_with('_'));
    let parent = match res.id {
        IdKind::PerTicket => match obj.get("ticket_id").and_then(id_from_value) {
            Some(t) if t > 0 => t,
            _ => return Ok(Err("A ticket_id must be supplied for an Action.".into())),
        },
        _ => 0,
    };
    let existing = match existing(shared, res, &obj, parent)? {
        Ok(e) => e,
        Err(text) => return Ok(Err(text)),
    };
    let creating = existing.is_none();
    if creating && !res.ops.contains(Ops::CREATE) || !creating && !res.ops.contains(Ops::UPDATE) {
        return Ok(Err(format!(
            "{} objects cannot be {} through the API.",
            res.path,
            if creating { "created" } else { "updated" }
        )));
    }
    let (key, mut doc) = match existing {
        Some(found) => found,
        None => {
            let key = new_key(shared, res, parent, next_ids)?;
            (key, Map::new())
        }
    };
    let previous = doc.clone();
    obj.remove("id");
    doc.extend(obj);
    doc.insert(
        "id".into(),
        match &key.uid {
            Some(u) => Value::String(u.clone()),
            None => Value::from(key.id),
        },
    );
    let mut prepared = Prepared {
        key,
        doc,
        ticket: None,
        events: Vec::new(),
    };
    let checked = match res.post_rules {
        PostRules::Ticket => {
            ticket_rules(shared, res, &mut prepared, &previous, creating, recover)?
        }
        PostRules::Action => action_rules(shared, grant, &mut prepared, creating)?,
        PostRules::Named
            if prepared
                .doc
                .get("name")
                .and_then(Value::as_str)
                .is_none_or(|n| n.trim().is_empty()) =>
        {
            Err(format!("A name must be entered for the {}.", res.path))
        }
        _ => Ok(()),
    };
    Ok(checked.map(|()| prepared))
}

/// The stored object an element updates: none for a create (no id, or 0), an error for an id
/// that does not exist (Halo answers 400, and a client that lost the id must not create).
fn existing(
    shared: &Shared,
    res: &Resource,
    obj: &Map<String, Value>,
    parent: i64,
) -> Checked<Option<Found>> {
    let raw = obj.get("id");
    let id_text = match raw {
        None | Some(Value::Null) => return Ok(Ok(None)),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(Ok(None)),
        Some(Value::String(s)) => s.trim().to_string(),
        Some(other) => other.to_string(),
    };
    if res.id != IdKind::Guid {
        match raw.and_then(id_from_value) {
            Some(0) => return Ok(Ok(None)),
            Some(_) => {}
            None => return Ok(Err(format!("The id '{id_text}' is not valid."))),
        }
    }
    let numeric = raw
        .and_then(id_from_value)
        .map(|n| n.to_string())
        .unwrap_or(id_text.clone());
    let params = Params::parse(Some(&format!("ticket_id={parent}")));
    Ok(match find(shared, res, &numeric, &params)? {
        Some(found) => Ok(Some(found)),
        None => Err(format!(
            "Unable to find {} with id {id_text} to update.",
            res.path
        )),
    })
}

fn new_key(
    shared: &Shared,
    res: &Resource,
    parent: i64,
    next_ids: &mut HashMap<i64, i64>,
) -> Result<Key, Failure> {
    let next = match next_ids.get(&parent) {
        Some(n) => *n,
        None => shared.store.next_id(res.path, parent)?,
    };
    next_ids.insert(parent, next + 1);
    let uid = (res.id == IdKind::Guid).then(crate::webhooks::random_uuid);
    Ok(Key {
        parent,
        id: next,
        uid,
    })
}

/// The name of a related object, or an error naming the bad id.
fn related(
    shared: &Shared,
    resource: &str,
    field: &str,
    doc: &Map<String, Value>,
) -> Checked<Option<String>> {
    let Some(id) = doc.get(field).and_then(id_from_value).filter(|id| *id > 0) else {
        return Ok(Ok(None));
    };
    Ok(match shared.store.get(resource, 0, id)? {
        Some(o) => Ok(Some(
            o.get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        )),
        None => Err(format!("The {field} {id} does not exist.")),
    })
}

fn status_closed(status_id: i64) -> bool {
    crate::seed::STATUSES
        .iter()
        .any(|(id, _, closed)| *id == status_id && *closed)
}

fn ticket_rules(
    shared: &Shared,
    res: &Resource,
    p: &mut Prepared,
    previous: &Map<String, Value>,
    creating: bool,
    recover: bool,
) -> Checked<()> {
    let now = crate::clock::now_iso();
    let doc = &mut p.doc;
    if creating {
        for (field, default) in [("status_id", 1), ("tickettype_id", 1), ("priority_id", 3)] {
            doc.entry(field).or_insert(Value::from(default));
        }
        doc.entry("dateoccurred")
            .or_insert(Value::String(now.clone()));
        doc.insert("datecreated".into(), Value::String(now.clone()));
        doc.entry("deleted").or_insert(Value::Bool(false));
        doc.entry("targetdate")
            .or_insert(Value::String(crate::seed::PLACEHOLDER_DATE.into()));
        doc.entry("customfields")
            .or_insert(Value::Array(Vec::new()));
        if doc
            .get("user_id")
            .and_then(id_from_value)
            .is_some_and(|u| u > 0)
            && doc
                .get("site_id")
                .and_then(id_from_value)
                .is_none_or(|s| s <= 0)
        {
            return Ok(Err("A site_id must be given with a user_id.".into()));
        }
    }
    if recover {
        doc.insert("deleted".into(), Value::Bool(false));
        doc.remove("deletion_reason");
    }
    for (field, resource, name) in [
        ("client_id", "Client", "client_name"),
        ("site_id", "Site", "site_name"),
        ("user_id", "Users", "user_name"),
        ("agent_id", "Agent", "agent_name"),
        ("status_id", "Status", "status_name"),
        ("tickettype_id", "TicketType", "tickettype_name"),
    ] {
        match related(shared, resource, field, doc)? {
            Ok(Some(n)) => {
                doc.insert(name.into(), Value::String(n));
            }
            Ok(None) => {}
            Err(text) => return Ok(Err(text)),
        }
    }
    let status = doc.get("status_id").and_then(id_from_value).unwrap_or(1);
    let was = previous.get("status_id").and_then(id_from_value);
    let closed = status_closed(status);
    doc.insert("hasbeenclosed".into(), Value::Bool(closed));
    if closed && was.is_none_or(|w| !status_closed(w)) {
        doc.insert("dateclosed".into(), Value::String(now.clone()));
    }
    doc.insert("last_update".into(), Value::String(now));
    if res.ticket_events {
        let agent = doc.get("agent_id").and_then(id_from_value).unwrap_or(0);
        let snapshot = doc.clone();
        if creating {
            p.events
                .push(Event::ticket("New Ticket Logged", snapshot, agent));
        } else if was != Some(status) {
            p.events
                .push(Event::ticket("ticket status changed", snapshot, agent));
        } else {
            p.events
                .push(Event::ticket("Ticket Updated", snapshot, agent));
        }
    }
    Ok(Ok(()))
}

fn action_rules(shared: &Shared, grant: &Grant, p: &mut Prepared, creating: bool) -> Checked<()> {
    let ticket_id = p.key.parent;
    let Some(mut ticket) = shared
        .store
        .get("Tickets", 0, ticket_id)?
        .filter(|t| t.get("deleted").and_then(Value::as_bool) != Some(true))
    else {
        return Ok(Err(format!("The ticket_id {ticket_id} does not exist.")));
    };
    let doc = &mut p.doc;
    let outcome = match doc
        .get("outcome_id")
        .and_then(id_from_value)
        .filter(|o| *o > 0)
    {
        Some(id) => match crate::seed::OUTCOMES.iter().find(|(o, _)| *o == id) {
            Some((_, name)) => Some(name.to_string()),
            None => return Ok(Err(format!("The outcome_id {id} does not exist."))),
        },
        None => doc
            .get("outcome")
            .and_then(Value::as_str)
            .filter(|o| !o.trim().is_empty())
            .map(str::to_string),
    };
    let Some(outcome) = outcome else {
        return Ok(Err("An Outcome must be entered for this Action".into()));
    };
    let now = crate::clock::now_iso();
    doc.insert("outcome".into(), Value::String(outcome));
    doc.insert("ticket_id".into(), Value::from(ticket_id));
    if creating {
        let (agent_id, who) = match &grant.identity.user {
            Some(u) => (u.agent_id, u.name.clone()),
            None => (1, "API Agent".to_string()),
        };
        doc.entry("datetime").or_insert(Value::String(now.clone()));
        doc.entry("who_agentid").or_insert(Value::from(agent_id));
        doc.entry("who").or_insert(Value::String(who));
        doc.entry("actionby_application_id")
            .or_insert(Value::String(grant.identity.client_id.clone()));
    }
    // An action may move its ticket on: `new_status` changes the ticket's status.
    let new_status = doc
        .get("new_status")
        .and_then(id_from_value)
        .filter(|s| *s > 0);
    ticket.insert("lastactiondate".into(), Value::String(now.clone()));
    ticket.insert("last_update".into(), Value::String(now.clone()));
    if let Some(status) = new_status {
        let Some(st) = shared.store.get("Status", 0, status)? else {
            return Ok(Err(format!("The new_status {status} does not exist.")));
        };
        let was = ticket.get("status_id").and_then(id_from_value);
        ticket.insert("status_id".into(), Value::from(status));
        ticket.insert(
            "status_name".into(),
            st.get("name").cloned().unwrap_or(Value::Null),
        );
        ticket.insert("hasbeenclosed".into(), Value::Bool(status_closed(status)));
        if was != Some(status) {
            let agent = ticket.get("agent_id").and_then(id_from_value).unwrap_or(0);
            p.events.push(Event::ticket(
                "ticket status changed",
                ticket.clone(),
                agent,
            ));
        }
    }
    p.ticket = Some((
        Key {
            parent: 0,
            id: ticket_id,
            uid: None,
        },
        ticket,
    ));
    Ok(Ok(()))
}
