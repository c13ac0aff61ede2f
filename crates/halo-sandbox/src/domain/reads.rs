//! Reading a resource: its list (filters, Halo's paging) and one object by id.

use crate::domain::outcome::{Answer, Done, Page, Refusal};
use crate::domain::query::{Params, list_query};
use crate::domain::store::{Key, Store, doc_text};
use halopsa::resource::{IdKind, IdLookup, ListShape, MissingGet, Ops, Resource};
use serde_json::{Map, Value, json};

/// Page size when `pageinate=true` comes without `page_size`.
const DEFAULT_PAGE_SIZE: u32 = 50;

/// A stored object with its key.
pub type Found = (Key, Map<String, Value>);

/// `GET /{path}`: the list, one page of it when `pageinate=true`; pages are capped at
/// `page_cap` unless the row fixes their size. With `idonly=true` on a row that takes it,
/// every matching row as `{"id": N}`, unpaged.
pub fn list(store: &Store, res: &Resource, p: &Params, page_cap: u32) -> Answer {
    if !res.ops.contains(Ops::LIST) {
        return Err(Refusal::NotSupported);
    }
    if res.list == ListShape::Single {
        let doc = store.get(res.path, 0, 1)?.unwrap_or_default();
        return Ok(Done::Stored(doc_text(&doc)));
    }
    let mut q = list_query(res, p)?;
    // `IdLookup::IdOnly` (`/Client`, `/Site`, `/Asset`): `idonly=true` answers every matching
    // id at once; the spec says "Not compatible with Pagination", so paging is ignored.
    if res.id_lookup == IdLookup::IdOnly && p.flag("idonly")? == Some(true) {
        let (total, rows) = store.list(res.path, &q)?;
        return Ok(Done::Listed(Page {
            paging: None,
            total,
            rows: rows.iter().filter_map(|text| id_row(text)).collect(),
        }));
    }
    let paged = res.paged && p.flag("pageinate")? == Some(true);
    let mut paging = None;
    if paged {
        let asked = p.int("page_size")?.unwrap_or(i64::from(DEFAULT_PAGE_SIZE));
        let page_no = p.int("page_no")?.unwrap_or(1).max(1);
        // Halo caps pages (100; /Asset is fixed at 50) and echoes the size it used.
        let size = match res.fixed_page_size {
            Some(fixed) => fixed,
            None => asked.clamp(1, i64::from(page_cap)) as u32,
        };
        q.offset = (page_no as u64 - 1) * u64::from(size);
        q.limit = Some(u64::from(size));
        paging = Some((page_no, size));
    } else if let Some(count) = p.int("count")? {
        q.limit = Some(count.max(0) as u64);
    }
    let (total, mut rows) = store.list(res.path, &q)?;
    let mut details = false;
    for flag in res.detail_only.on_list {
        details |= p.flag(flag)? == Some(true);
    }
    if !res.detail_only.fields.is_empty() && !details {
        rows = rows
            .iter()
            .filter_map(|d| serde_json::from_str::<Map<String, Value>>(d).ok())
            .map(|mut d| {
                shape_details(res, &mut d, false);
                doc_text(&d)
            })
            .collect();
    }
    Ok(Done::Listed(Page {
        paging,
        total,
        rows,
    }))
}

/// `GET /{path}/{id}`.
pub fn get(store: &Store, res: &Resource, id: &str, p: &Params) -> Answer {
    let ticket = match res.id {
        IdKind::PerTicket => match p.int("ticket_id")? {
            None => {
                return Err(Refusal::Invalid(
                    "ticket_id is required: action ids are numbered within their ticket.".into(),
                ));
            }
            ticket => ticket,
        },
        _ => None,
    };
    match find(store, res, id, ticket)? {
        Some((_, mut doc)) if !is_deleted(&doc) => {
            shape_details(res, &mut doc, p.flag(res.detail_only.on_get)? == Some(true));
            Ok(Done::Stored(doc_text(&doc)))
        }
        // Halo quirk (`/Timesheet`): a day without a timesheet is an object with id 0.
        _ if res.missing_get == MissingGet::AgentDay => Ok(Done::Made(
            json!({
                "id": 0, "agent_id": p.int("agent_id")?.unwrap_or(0), "date": p.get("date"),
            })
            .to_string(),
        )),
        _ => Err(Refusal::Missing {
            path: res.path,
            id: id.to_string(),
        }),
    }
}

/// Finds an object by the id in the path (GUID, integer, or an integer within `ticket` for
/// per-ticket ids).
pub fn find(
    store: &Store,
    res: &Resource,
    id: &str,
    ticket: Option<i64>,
) -> Result<Option<Found>, Refusal> {
    let key = |parent, id| Key {
        parent,
        id,
        uid: None,
    };
    Ok(match res.id {
        IdKind::Guid => store.get_uid(res.path, id)?,
        IdKind::None => store.get(res.path, 0, 1)?.map(|d| (key(0, 1), d)),
        IdKind::PerTicket => {
            let (Ok(id), Some(ticket)) = (id.parse::<i64>(), ticket) else {
                return Ok(None);
            };
            store
                .get(res.path, ticket, id)?
                .map(|d| (key(ticket, id), d))
        }
        _ => match id.parse::<i64>() {
            Ok(n) => store.get(res.path, 0, n)?.map(|d| (key(0, n), d)),
            Err(_) => None,
        },
    })
}

/// A stored object's text as `{"id": N}`.
fn id_row(text: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct OnlyId {
        id: Value,
    }
    let row: OnlyId = serde_json::from_str(text).ok()?;
    Some(json!({ "id": row.id }).to_string())
}

/// Whether an object is soft-deleted (hidden from GET; see `Resource::soft_delete`).
pub fn is_deleted(doc: &Map<String, Value>) -> bool {
    doc.get("deleted").and_then(Value::as_bool) == Some(true)
}

/// Removes what Halo sends only on request: the row's `detail_only` fields, unless `details`
/// (`includedetails=true` for an invoice's lines, `getlookupvalues=true` for a custom
/// field's lookup values).
fn shape_details(res: &Resource, doc: &mut Map<String, Value>, details: bool) {
    if !details {
        for field in res.detail_only.fields {
            doc.remove(*field);
        }
    }
}
