//! Every resource of the table under `/api/{Resource}[/{id}]`: list, get, create/update, delete.

use crate::Shared;
use crate::auth::Grant;
use crate::filters::{BadParam, Params};
use crate::store::Key;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use halopsa::resource::{Area, IdKind, ListShape, MissingGet, Ops, RESOURCES, Resource};
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// Page size when `pageinate=true` comes without `page_size`.
const DEFAULT_PAGE_SIZE: u32 = 50;

/// A Halo-style error: `{"message": ...}` with a status.
pub(crate) fn message(status: StatusCode, text: impl Into<String>) -> Response {
    (status, Json(json!({ "message": text.into() }))).into_response()
}

/// The resource whose Halo path starts `path` (case-insensitive; some paths have several
/// segments), and the segments after it.
fn resource(path: &str) -> Option<(&'static Resource, Vec<&str>)> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    RESOURCES.iter().find_map(|r| {
        let own: Vec<&str> = r.path.split('/').collect();
        let matches = segments.len() >= own.len()
            && own
                .iter()
                .zip(&segments)
                .all(|(a, b)| a.eq_ignore_ascii_case(b));
        matches.then(|| (r, segments[own.len()..].to_vec()))
    })
}

/// `/api/{*rest}`: routes to the resource named by the first segment.
pub(crate) async fn dispatch(
    State(shared): State<Arc<Shared>>,
    Extension(grant): Extension<Grant>,
    Extension(sent): Extension<crate::SentPath>,
    request: Request,
) -> Response {
    let path = request.uri().path().trim_start_matches("/api/").to_string();
    let Some((res, rest)) = resource(&path) else {
        return crate::api::not_found(&sent.0);
    };
    if rest.len() > 1 {
        return crate::api::not_found(&sent.0);
    }
    let id = rest.first().map(|s| s.to_string());
    let method = request.method().clone();
    let write = method != Method::GET;
    if let Some(denied) = scope_check(&grant, res, write) {
        return denied;
    }
    let params = Params::parse(request.uri().query());
    let result = match (&method, id) {
        (&Method::GET, None) => list(&shared, res, &params),
        (&Method::GET, Some(id)) => get(&shared, res, &id, &params),
        (&Method::POST, None) => {
            let body = match read_body(request, shared.config.body_limit).await {
                Ok(b) => b,
                Err(r) => return r,
            };
            crate::writes::post(&shared, res, &grant, &params, &body)
        }
        (&Method::DELETE, Some(id)) => delete(&shared, res, &id, &params),
        _ => Ok(not_supported(&method)),
    };
    result.unwrap_or_else(|e| match e {
        Failure::Param(BadParam(m)) => message(StatusCode::BAD_REQUEST, m),
        Failure::Store(e) => {
            tracing::error!("sandbox store: {e}");
            message(StatusCode::INTERNAL_SERVER_ERROR, "An error has occurred.")
        }
    })
}

/// Why a handler could not answer normally.
pub(crate) enum Failure {
    /// A query parameter did not bind: 400.
    Param(BadParam),
    /// SQLite failed: 500 (never expected).
    Store(rusqlite::Error),
}

impl From<BadParam> for Failure {
    fn from(e: BadParam) -> Self {
        Failure::Param(e)
    }
}

impl From<rusqlite::Error> for Failure {
    fn from(e: rusqlite::Error) -> Self {
        Failure::Store(e)
    }
}

pub(crate) type Answer = Result<Response, Failure>;

/// A stored object with its key.
pub(crate) type Found = (Key, Map<String, Value>);

fn not_supported(method: &Method) -> Response {
    message(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("The requested resource does not support http method '{method}'."),
    )
}

/// 403 when the token's scopes do not cover the resource's area (`edit:X` implies `read:X`).
fn scope_check(grant: &Grant, res: &Resource, write: bool) -> Option<Response> {
    let area = match res.area {
        Area::Admin => "admin",
        other => other.scope_name().unwrap_or("admin"),
    };
    let allowed = if write {
        grant.scopes.allows_edit(area)
    } else {
        grant.scopes.allows_read(area)
    };
    (!allowed).then(|| {
        let needed = if write { "edit" } else { "read" };
        message(
            StatusCode::FORBIDDEN,
            format!("The API application does not have permission to {needed} this resource ({needed}:{area})."),
        )
    })
}

/// The body, or a Halo-like 413 when it exceeds the limit.
async fn read_body(request: Request, limit: usize) -> Result<axum::body::Bytes, Response> {
    axum::body::to_bytes(request.into_body(), limit)
        .await
        .map_err(|_| {
            message(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("The request body is larger than {limit} bytes."),
            )
        })
}

fn json_response(status: StatusCode, body: String) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json; charset=utf-8"),
    );
    r
}

/// Removes what Halo sends only on request (the row's `detail_only` fields, without
/// `includedetails`).
fn shape_details(res: &Resource, doc: &mut Map<String, Value>, details: bool) {
    if !details {
        for field in res.detail_only {
            doc.remove(*field);
        }
    }
}

fn list(shared: &Shared, res: &Resource, p: &Params) -> Answer {
    if !res.ops.contains(Ops::LIST) {
        return Ok(not_supported(&Method::GET));
    }
    if res.list == ListShape::Single {
        let doc = shared.store.get(res.path, 0, 1)?.unwrap_or_default();
        return Ok(json_response(StatusCode::OK, crate::store::doc_text(&doc)));
    }
    let mut q = crate::filters::list_query(res, p)?;
    let paged = res.paged && p.flag("pageinate")? == Some(true);
    let mut page = None;
    if paged {
        let asked = p.int("page_size")?.unwrap_or(i64::from(DEFAULT_PAGE_SIZE));
        let page_no = p.int("page_no")?.unwrap_or(1).max(1);
        // Halo caps pages (100; /Asset is fixed at 50) and echoes the size it used.
        let size = match res.fixed_page_size {
            Some(fixed) => fixed,
            None => asked.clamp(1, i64::from(shared.config.page_cap)) as u32,
        };
        q.offset = (page_no as u64 - 1) * u64::from(size);
        q.limit = Some(u64::from(size));
        page = Some((page_no, size));
    } else if let Some(count) = p.int("count")? {
        q.limit = Some(count.max(0) as u64);
    }
    let (total, docs) = shared.store.list(res.path, &q)?;
    let details = p.flag("includelines")? == Some(true) || p.flag("includedetails")? == Some(true);
    let rows = if !res.detail_only.is_empty() && !details {
        docs.iter()
            .filter_map(|d| serde_json::from_str::<Map<String, Value>>(d).ok())
            .map(|mut d| {
                shape_details(res, &mut d, false);
                crate::store::doc_text(&d)
            })
            .collect::<Vec<_>>()
            .join(",")
    } else {
        docs.join(",")
    };
    let body = match res.list {
        ListShape::Wrapped(key) => {
            let mut head = String::from("{");
            if let Some((no, size)) = page {
                head.push_str(&format!("\"page_no\":{no},\"page_size\":{size},"));
            }
            head.push_str(&format!("\"record_count\":{total},"));
            if let Some(sidecar) = res.list_sidecar {
                // Sidecar array a client must ignore.
                head.push_str(&format!("\"{sidecar}\":[],"));
            }
            format!("{head}\"{key}\":[{rows}]}}")
        }
        _ => format!("[{rows}]"),
    };
    Ok(json_response(StatusCode::OK, body))
}

/// Finds an object by the id in the path (GUID, integer, or per-ticket integer).
pub(crate) fn find(
    shared: &Shared,
    res: &Resource,
    id: &str,
    p: &Params,
) -> Result<Option<Found>, Failure> {
    Ok(match res.id {
        IdKind::Guid => shared.store.get_uid(res.path, id)?,
        IdKind::None => shared.store.get(res.path, 0, 1)?.map(|d| {
            (
                Key {
                    parent: 0,
                    id: 1,
                    uid: None,
                },
                d,
            )
        }),
        IdKind::PerTicket => {
            let (Ok(id), Some(ticket)) = (id.parse::<i64>(), p.int("ticket_id")?) else {
                return Ok(None);
            };
            shared.store.get(res.path, ticket, id)?.map(|d| {
                (
                    Key {
                        parent: ticket,
                        id,
                        uid: None,
                    },
                    d,
                )
            })
        }
        _ => match id.parse::<i64>() {
            Ok(n) => shared.store.get(res.path, 0, n)?.map(|d| {
                (
                    Key {
                        parent: 0,
                        id: n,
                        uid: None,
                    },
                    d,
                )
            }),
            Err(_) => None,
        },
    })
}

fn is_deleted(doc: &Map<String, Value>) -> bool {
    doc.get("deleted").and_then(Value::as_bool) == Some(true)
}

fn get(shared: &Shared, res: &Resource, id: &str, p: &Params) -> Answer {
    if res.id == IdKind::PerTicket && p.int("ticket_id")?.is_none() {
        return Ok(message(
            StatusCode::BAD_REQUEST,
            "ticket_id is required: action ids are numbered within their ticket.",
        ));
    }
    match find(shared, res, id, p)? {
        Some((_, mut doc)) if !is_deleted(&doc) => {
            shape_details(res, &mut doc, p.flag("includedetails")? == Some(true));
            Ok(json_response(StatusCode::OK, crate::store::doc_text(&doc)))
        }
        // Quirk kept on purpose: an empty timesheet is an object with id 0, not a 404.
        _ if res.missing_get == MissingGet::AgentDay => Ok(Json(json!({
            "id": 0, "agent_id": p.int("agent_id")?.unwrap_or(0), "date": p.get("date"),
        }))
        .into_response()),
        _ => Ok(message(
            StatusCode::NOT_FOUND,
            format!("No {} with id {id} was found.", res.path),
        )),
    }
}

fn delete(shared: &Shared, res: &Resource, id: &str, p: &Params) -> Answer {
    if !res.ops.contains(Ops::DELETE) {
        return Ok(not_supported(&Method::DELETE));
    }
    if res.id == IdKind::PerTicket && p.int("ticket_id")?.is_none() {
        return Ok(message(
            StatusCode::BAD_REQUEST,
            "ticket_id is required to delete an action.",
        ));
    }
    let Some((key, mut doc)) = find(shared, res, id, p)?.filter(|(_, d)| !is_deleted(d)) else {
        return Ok(message(
            StatusCode::NOT_FOUND,
            format!("No {} with id {id} was found.", res.path),
        ));
    };
    if res.soft_delete {
        // Tickets are soft-deleted: listable with deleted=true, restorable with _recover.
        doc.insert("deleted".into(), Value::Bool(true));
        if let Some(reason) = p.get("reason") {
            doc.insert("deletion_reason".into(), Value::String(reason.to_string()));
        }
        shared.store.put(res.path, key.clone(), doc)?;
    } else {
        shared.store.delete(res.path, &key)?;
    }
    let id_value = match &key.uid {
        Some(uid) => Value::String(uid.clone()),
        None => Value::from(key.id),
    };
    Ok(Json(json!({ "id": id_value })).into_response())
}
