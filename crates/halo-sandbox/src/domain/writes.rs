//! Changing a resource. A POST is Halo's upsert: every element of the posted array is
//! validated first (each refusal naming its field), only if all pass are they saved, and one
//! element in gives one object out, several an array in order (or the first alone, where the
//! row says so). A DELETE removes the object, or marks it deleted where the row says Halo
//! soft-deletes. Both answer the ids they wrote, for the journal.

use crate::domain::clock;
use crate::domain::custom_fields;
use crate::domain::outcome::{Answer, Done, Fault, Refusal};
use crate::domain::query::Params;
use crate::domain::reads::{Found, find, is_deleted};
use crate::domain::seed::{OUTCOMES, PLACEHOLDER_DATE, STATUSES};
use crate::domain::store::{IdFirst, Key, ListQuery, Store, Write, doc_text};
use crate::domain::tokens::Identity;
use crate::domain::webhooks::{Event, EventKind, Webhooks, random_uuid};
use halopsa::id::id_from_value;
use halopsa::resource::{IdKind, Ops, PostRules, Resource};
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// Where tickets are stored: the parents of per-ticket ids ([`IdKind::PerTicket`]).
const TICKETS: &str = "Tickets";

/// One validated element, ready to save.
struct Prepared {
    key: Key,
    doc: Map<String, Value>,
    /// A ticket changed by this element (an action's `new_status`), saved with it.
    ticket: Option<Found>,
    events: Vec<Event>,
}

/// Why an element cannot be saved: a fault of its own (answered by its position), or a
/// refusal of the whole request (the store failing).
enum Unfit {
    Fault(Fault),
    Request(Refusal),
}

impl From<Refusal> for Unfit {
    fn from(r: Refusal) -> Self {
        Unfit::Request(r)
    }
}

impl From<rusqlite::Error> for Unfit {
    fn from(e: rusqlite::Error) -> Self {
        Unfit::Request(Refusal::Store(e))
    }
}

/// An element refused for `field` (`None`: as a whole), with Halo's message.
fn fault(field: Option<&'static str>, message: impl Into<String>) -> Unfit {
    Unfit::Fault(Fault {
        field,
        message: message.into(),
    })
}

/// `POST /{path}?{p}` with `body`, by `who`, of at most `max_items` elements (0: any number);
/// saved tickets' events go to `webhooks`.
pub fn post(
    store: &Store,
    webhooks: &Webhooks,
    res: &Resource,
    who: &Identity,
    p: &Params,
    body: &[u8],
    max_items: usize,
) -> Answer {
    if !res.ops.contains(Ops::CREATE) && !res.ops.contains(Ops::UPDATE) {
        return Err(Refusal::NotSupported);
    }
    // Halo quirk (the ticket schema, `Resource::post_returnall`): several objects saved are
    // answered by the first alone unless `returnall=true` (not in the OpenAPI file).
    let return_all = !res.post_returnall || p.flag("returnall")? == Some(true);
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| Refusal::Invalid(format!("The request body is not valid JSON: {e}")))?;
    // Halo binds every POST body to a list: one object alone does not bind.
    let Value::Array(items) = value else {
        return Err(invalid("The request body must be a JSON array of objects."));
    };
    if items.is_empty() {
        return Err(invalid("The request body is an empty array."));
    }
    if max_items > 0 && items.len() > max_items {
        return Err(Refusal::Invalid(format!(
            "Too many objects in one request: {} (at most {max_items}).",
            items.len()
        )));
    }
    let several = items.len() > 1;
    let mut objects = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let Value::Object(obj) = item else {
            return Err(Refusal::Invalid(format!(
                "[{i}]: each element must be a JSON object."
            )));
        };
        objects.push(obj);
    }
    let mut next_ids: HashMap<i64, i64> = HashMap::new();
    let mut prepared = Vec::with_capacity(objects.len());
    let mut faults = Vec::new();
    for (i, obj) in objects.into_iter().enumerate() {
        match prepare(store, res, who, obj, &mut next_ids) {
            Ok(p) => prepared.push(p),
            Err(Unfit::Fault(f)) => faults.push((i, f)),
            Err(Unfit::Request(r)) => return Err(r),
        }
    }
    if let Some((_, first)) = faults.first() {
        // Halo quirk (ASP.NET model state, reference §9): one element's refusal is a message;
        // several elements' are keyed by position, every refused element listed.
        return Err(if several {
            Refusal::Elements(faults)
        } else {
            Refusal::Invalid(first.message.clone())
        });
    }
    let mut saved = Vec::with_capacity(prepared.len());
    let mut ids = Vec::with_capacity(prepared.len());
    let mut batch = Batch::default();
    for p in prepared {
        ids.push(written_id(&p.key));
        saved.push(p.doc.clone());
        batch.add(res, p);
    }
    batch.save(store, webhooks)?;
    let text = match saved.as_slice() {
        [one] => doc_text(one),
        [first, ..] if !return_all => doc_text(first),
        all => {
            let docs: Vec<IdFirst> = all.iter().map(IdFirst).collect();
            serde_json::to_string(&docs).unwrap_or_else(|_| "[]".into())
        }
    };
    Ok(Done::Written { text, ids })
}

/// Validated writes and the webhook events they raise, saved together in one transaction.
#[derive(Default)]
pub struct Batch {
    writes: Vec<Write>,
    events: Vec<Event>,
}

impl Batch {
    /// Validates `obj` as one element of a POST to `res` by `who` (as [`post`] does: the
    /// same rules, change fields and events) and queues it; the document to be saved, or
    /// the refusal. `next_ids` numbers creates within the batch (one map per resource).
    pub fn post(
        &mut self,
        store: &Store,
        res: &Resource,
        who: &Identity,
        obj: Map<String, Value>,
        next_ids: &mut HashMap<i64, i64>,
    ) -> Result<Found, Refusal> {
        match prepare(store, res, who, obj, next_ids) {
            Ok(p) => {
                let saved = (p.key.clone(), p.doc.clone());
                self.add(res, p);
                Ok(saved)
            }
            Err(Unfit::Fault(f)) => Err(Refusal::Invalid(f.message)),
            Err(Unfit::Request(r)) => Err(r),
        }
    }

    /// Queues the soft delete of a stored object of `res` (`Resource::soft_delete`), with
    /// its event where the row raises ticket events.
    pub fn soft_delete(&mut self, res: &Resource, found: Found, reason: Option<&str>) {
        let (key, mut doc) = found;
        mark_deleted(res, &mut doc, reason);
        self.events.extend(deleted_event(res, &doc));
        self.writes.push(Write::Put(res.path, key, doc));
    }

    fn add(&mut self, res: &Resource, p: Prepared) {
        if let Some((key, doc)) = p.ticket {
            self.writes.push(Write::Put(TICKETS, key, doc));
        }
        self.writes.push(Write::Put(res.path, p.key, p.doc));
        self.events.extend(p.events);
    }

    /// Saves every queued write in one transaction, then queues the events (delivered later,
    /// by the webhooks' own tasks).
    pub fn save(self, store: &Store, webhooks: &Webhooks) -> rusqlite::Result<()> {
        store.write_all(&self.writes)?;
        webhooks.send(self.events);
        Ok(())
    }
}

/// The "ticket deleted" event of `doc`, deleted from `res`, where the row raises ticket events.
fn deleted_event(res: &Resource, doc: &Map<String, Value>) -> Option<Event> {
    res.ticket_events.then(|| {
        let agent = doc.get("agent_id").and_then(id_from_value).unwrap_or(0);
        Event::ticket(EventKind::Deleted, doc.clone(), agent)
    })
}

/// Whether changes to tickets raise events (the ticket row's `ticket_events`), for what an
/// action does to its ticket.
fn ticket_events() -> bool {
    halopsa::resource::find(TICKETS).is_some_and(|t| t.ticket_events)
}

/// Sets the resource's change field (`Resource::change_field`, reference §13.4) to `now`:
/// every write of an object keeps it current, as Halo does.
fn stamp(res: &Resource, doc: &mut Map<String, Value>, now: &str) {
    if let Some(field) = res.change_field {
        doc.insert(field.into(), Value::String(now.to_string()));
    }
}

/// Stamps a ticket changed by a write to something of its own (an action added, changed or
/// deleted): Halo moves the ticket's change field too.
fn stamp_ticket(ticket: &mut Map<String, Value>, now: &str) {
    if let Some(tickets) = halopsa::resource::find(TICKETS) {
        stamp(tickets, ticket, now);
    }
}

/// Halo quirk (`/Tickets`, `Resource::soft_delete`): a delete marks the object deleted (listed
/// with deleted=true, restored by `_recover`), a change like any other.
fn mark_deleted(res: &Resource, doc: &mut Map<String, Value>, reason: Option<&str>) {
    doc.insert("deleted".into(), Value::Bool(true));
    if let Some(reason) = reason {
        doc.insert("deletion_reason".into(), Value::String(reason.to_string()));
    }
    stamp(res, doc, &clock::now_iso());
}

/// How the journal names a saved object: its id, `ticket/id` for a per-ticket id, a GUID as
/// it is.
fn written_id(key: &Key) -> String {
    match &key.uid {
        Some(uid) => uid.clone(),
        None if key.parent != 0 => format!("{}/{}", key.parent, key.id),
        None => key.id.to_string(),
    }
}

/// `DELETE /{path}/{id}`: `{"id": …}` of the object removed (or soft-deleted), its event
/// queued on `webhooks` where the row raises ticket events. Removing a per-ticket object (an
/// action) changes its ticket.
pub fn delete(store: &Store, webhooks: &Webhooks, res: &Resource, id: &str, p: &Params) -> Answer {
    if !res.ops.contains(Ops::DELETE) {
        return Err(Refusal::NotSupported);
    }
    let ticket = match res.id {
        IdKind::PerTicket => match p.int("ticket_id")? {
            None => return Err(invalid("ticket_id is required to delete an action.")),
            ticket => ticket,
        },
        _ => None,
    };
    let Some((key, mut doc)) = find(store, res, id, ticket)?.filter(|(_, d)| !is_deleted(d)) else {
        return Err(Refusal::Missing {
            path: res.path,
            id: id.to_string(),
        });
    };
    let mut writes = Vec::with_capacity(2);
    let mut events = Vec::new();
    if res.soft_delete {
        mark_deleted(res, &mut doc, p.get("reason"));
        events.extend(deleted_event(res, &doc));
        writes.push(Write::Put(res.path, key.clone(), doc));
    } else {
        events.extend(deleted_event(res, &doc));
        writes.push(Write::Remove(res.path, key.clone()));
        if res.id == IdKind::PerTicket
            && let Some(mut ticket) = store.get(TICKETS, 0, key.parent)?
        {
            stamp_ticket(&mut ticket, &clock::now_iso());
            let ticket_key = Key {
                parent: 0,
                id: key.parent,
                uid: None,
            };
            writes.push(Write::Put(TICKETS, ticket_key, ticket));
        }
    }
    store.write_all(&writes)?;
    webhooks.send(events);
    let id_value = match &key.uid {
        Some(uid) => Value::String(uid.clone()),
        None => Value::from(key.id),
    };
    Ok(Done::Written {
        text: json!({ "id": id_value }).to_string(),
        ids: vec![written_id(&key)],
    })
}

fn invalid(text: &str) -> Refusal {
    Refusal::Invalid(text.to_string())
}

fn prepare(
    store: &Store,
    res: &Resource,
    who: &Identity,
    mut obj: Map<String, Value>,
    next_ids: &mut HashMap<i64, i64>,
) -> Result<Prepared, Unfit> {
    // Control flags are instructions, not data.
    let recover = obj.get("_recover").and_then(Value::as_bool) == Some(true);
    obj.retain(|k, _| !k.starts_with('_'));
    // Halo quirk: per-ticket ids are numbered within the ticket the element names.
    let parent = match res.id {
        IdKind::PerTicket => match obj.get("ticket_id").and_then(id_from_value) {
            Some(t) if t > 0 => t,
            _ => {
                return Err(fault(
                    Some("ticket_id"),
                    "A ticket_id must be supplied for an Action.",
                ));
            }
        },
        _ => 0,
    };
    let existing = existing(store, res, &obj, parent)?;
    let creating = existing.is_none();
    if creating && !res.ops.contains(Ops::CREATE) || !creating && !res.ops.contains(Ops::UPDATE) {
        return Err(fault(
            None,
            format!(
                "{} objects cannot be {} through the API.",
                res.path,
                if creating { "created" } else { "updated" }
            ),
        ));
    }
    let (key, mut doc) = match existing {
        Some(found) => found,
        None => (new_key(store, res, parent, next_ids)?, Map::new()),
    };
    let previous = doc.clone();
    obj.remove("id");
    let custom = match (res.custom_field_type, obj.remove("customfields")) {
        (Some(typeid), Some(posted)) => Some(custom_fields::complete(store, typeid, &posted)?),
        (None, posted) => posted,
        (Some(_), None) => None,
    };
    doc.extend(obj);
    // Halo quirk (HaloAPI #13): the posted `customfields` array replaces the stored one as a
    // whole; an entry not posted is gone.
    if let Some(custom) = custom {
        doc.insert("customfields".into(), custom);
    }
    doc.insert(
        "id".into(),
        match &key.uid {
            Some(u) => Value::String(u.clone()),
            None => Value::from(key.id),
        },
    );
    stamp(res, &mut doc, &clock::now_iso());
    let mut prepared = Prepared {
        key,
        doc,
        ticket: None,
        events: Vec::new(),
    };
    match res.post_rules {
        PostRules::Ticket => {
            ticket_rules(store, res, &mut prepared, &previous, creating, recover)?;
        }
        PostRules::Action => action_rules(store, who, &mut prepared, creating)?,
        PostRules::Named
            if prepared
                .doc
                .get("name")
                .and_then(Value::as_str)
                .is_none_or(|n| n.trim().is_empty()) =>
        {
            return Err(fault(
                Some("name"),
                format!("A name must be entered for the {}.", res.path),
            ));
        }
        _ => {}
    }
    Ok(prepared)
}

/// The stored object an element updates: none for a create (no id, or 0), a refusal for an
/// id that does not exist (Halo answers 400, and a client that lost the id must not create).
fn existing(
    store: &Store,
    res: &Resource,
    obj: &Map<String, Value>,
    parent: i64,
) -> Result<Option<Found>, Unfit> {
    let raw = obj.get("id");
    let id_text = match raw {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(Value::String(s)) => s.trim().to_string(),
        Some(other) => other.to_string(),
    };
    if res.id != IdKind::Guid {
        match raw.and_then(id_from_value) {
            Some(0) => return Ok(None),
            Some(_) => {}
            None => {
                return Err(fault(
                    Some("id"),
                    format!("The id '{id_text}' is not valid."),
                ));
            }
        }
    }
    let numeric = raw
        .and_then(id_from_value)
        .map(|n| n.to_string())
        .unwrap_or(id_text.clone());
    match find(store, res, &numeric, Some(parent))? {
        Some(found) => Ok(Some(found)),
        None => Err(fault(
            Some("id"),
            format!("Unable to find {} with id {id_text} to update.", res.path),
        )),
    }
}

fn new_key(
    store: &Store,
    res: &Resource,
    parent: i64,
    next_ids: &mut HashMap<i64, i64>,
) -> Result<Key, Refusal> {
    let next = match next_ids.get(&parent) {
        Some(n) => *n,
        None => store.next_id(res.path, parent)?,
    };
    next_ids.insert(parent, next + 1);
    let uid = (res.id == IdKind::Guid).then(random_uuid);
    Ok(Key {
        parent,
        id: next,
        uid,
    })
}

/// The name of a related object, or a refusal naming the bad id.
fn related(
    store: &Store,
    resource: &str,
    field: &'static str,
    doc: &Map<String, Value>,
) -> Result<Option<String>, Unfit> {
    let Some(id) = doc.get(field).and_then(id_from_value).filter(|id| *id > 0) else {
        return Ok(None);
    };
    match store.get(resource, 0, id)? {
        Some(o) => Ok(Some(
            o.get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        )),
        None => Err(fault(
            Some(field),
            format!("The {field} {id} does not exist."),
        )),
    }
}

/// The id of the team named `name` (case-insensitive), if there is one.
fn team_id(store: &Store, name: &str) -> Result<Option<i64>, Refusal> {
    let (_, rows) = store.list("Team", &ListQuery::default())?;
    Ok(rows.iter().find_map(|text| {
        let team: Map<String, Value> = serde_json::from_str(text).ok()?;
        let named = team.get("name")?.as_str()?.eq_ignore_ascii_case(name);
        named
            .then(|| team.get("id").and_then(id_from_value))
            .flatten()
    }))
}

fn status_closed(status_id: i64) -> bool {
    STATUSES
        .iter()
        .any(|(id, _, closed)| *id == status_id && *closed)
}

/// [`PostRules::Ticket`].
fn ticket_rules(
    store: &Store,
    res: &Resource,
    p: &mut Prepared,
    previous: &Map<String, Value>,
    creating: bool,
    recover: bool,
) -> Result<(), Unfit> {
    let now = clock::now_iso();
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
            .or_insert(Value::String(PLACEHOLDER_DATE.into()));
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
            // A rule over two fields: the element as a whole is at fault.
            return Err(fault(None, "A site_id must be given with a user_id."));
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
        if let Some(n) = related(store, resource, field, doc)? {
            doc.insert(name.into(), Value::String(n));
        }
    }
    // A ticket's team is set by its name (reference §7); Halo keeps `team_id` in step, as
    // its webhook payloads show.
    if let Some(team) = doc.get("team").and_then(Value::as_str).map(str::to_string)
        && !team.is_empty()
        && previous.get("team").and_then(Value::as_str) != Some(team.as_str())
    {
        let id = team_id(store, &team)?
            .ok_or_else(|| fault(Some("team"), format!("The team '{team}' does not exist.")))?;
        doc.insert("team_id".into(), Value::from(id));
    }
    let status = doc.get("status_id").and_then(id_from_value).unwrap_or(1);
    let was = previous.get("status_id").and_then(id_from_value);
    let closed = status_closed(status);
    doc.insert("hasbeenclosed".into(), Value::Bool(closed));
    if closed && was.is_none_or(|w| !status_closed(w)) {
        doc.insert("dateclosed".into(), Value::String(now.clone()));
    }
    if res.ticket_events {
        let agent = doc.get("agent_id").and_then(id_from_value).unwrap_or(0);
        let kind = if creating {
            EventKind::Logged
        } else if was != Some(status) {
            EventKind::StatusChanged
        } else {
            EventKind::Updated
        };
        p.events.push(Event::ticket(kind, doc.clone(), agent));
    }
    Ok(())
}

/// [`PostRules::Action`].
fn action_rules(
    store: &Store,
    who: &Identity,
    p: &mut Prepared,
    creating: bool,
) -> Result<(), Unfit> {
    let ticket_id = p.key.parent;
    let Some(mut ticket) = store.get(TICKETS, 0, ticket_id)?.filter(|t| !is_deleted(t)) else {
        return Err(fault(
            Some("ticket_id"),
            format!("The ticket_id {ticket_id} does not exist."),
        ));
    };
    let doc = &mut p.doc;
    let outcome = match doc
        .get("outcome_id")
        .and_then(id_from_value)
        .filter(|o| *o > 0)
    {
        Some(id) => match OUTCOMES.iter().find(|(o, _)| *o == id) {
            Some((_, name)) => Some(name.to_string()),
            None => {
                return Err(fault(
                    Some("outcome_id"),
                    format!("The outcome_id {id} does not exist."),
                ));
            }
        },
        None => doc
            .get("outcome")
            .and_then(Value::as_str)
            .filter(|o| !o.trim().is_empty())
            .map(str::to_string),
    };
    let Some(outcome) = outcome else {
        return Err(fault(
            Some("outcome"),
            "An Outcome must be entered for this Action",
        ));
    };
    let now = clock::now_iso();
    doc.insert("outcome".into(), Value::String(outcome));
    doc.insert("ticket_id".into(), Value::from(ticket_id));
    if creating {
        let (agent_id, name) = match &who.user {
            Some(u) => (u.agent_id, u.name.clone()),
            None => (1, "API Agent".to_string()),
        };
        doc.entry("datetime").or_insert(Value::String(now.clone()));
        doc.entry("who_agentid").or_insert(Value::from(agent_id));
        doc.entry("who").or_insert(Value::String(name));
        doc.entry("actionby_application_id")
            .or_insert(Value::String(who.client_id.clone()));
    }
    // An action may move its ticket on: `new_status` changes the ticket's status.
    let new_status = doc
        .get("new_status")
        .and_then(id_from_value)
        .filter(|s| *s > 0);
    ticket.insert("lastactiondate".into(), Value::String(now.clone()));
    stamp_ticket(&mut ticket, &now);
    let mut status_changed = false;
    if let Some(status) = new_status {
        let Some(st) = store.get("Status", 0, status)? else {
            return Err(fault(
                Some("new_status"),
                format!("The new_status {status} does not exist."),
            ));
        };
        let was = ticket.get("status_id").and_then(id_from_value);
        ticket.insert("status_id".into(), Value::from(status));
        ticket.insert(
            "status_name".into(),
            st.get("name").cloned().unwrap_or(Value::Null),
        );
        ticket.insert("hasbeenclosed".into(), Value::Bool(status_closed(status)));
        status_changed = was != Some(status);
    }
    // The action's event first, then the status change it made (their times in that order).
    if ticket_events() {
        if creating {
            let agent = doc.get("who_agentid").and_then(id_from_value).unwrap_or(0);
            p.events
                .push(Event::action_added(ticket.clone(), doc.clone(), agent));
        }
        if status_changed {
            let agent = ticket.get("agent_id").and_then(id_from_value).unwrap_or(0);
            p.events.push(Event::ticket(
                EventKind::StatusChanged,
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
    Ok(())
}
