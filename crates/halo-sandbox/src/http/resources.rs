//! `/api/{Resource}[/{id}]`: finds the row of the table, checks the token's scopes, and hands
//! the request to the domain's reads and writes.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::response::Response;
use futures::StreamExt;
use halopsa::resource::{RESOURCES, Resource};

use crate::domain::outcome::Refusal;
use crate::domain::query::Params;
use crate::domain::sql::report;
use crate::domain::tokens::Grant;
use crate::domain::{attachments, reads, writes};
use crate::http::middleware::SentPath;
use crate::reply;
use crate::state::Shared;

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

/// `/api/{*rest}`: routes to the resource named by the first segments.
pub async fn dispatch(
    State(shared): State<Arc<Shared>>,
    Extension(grant): Extension<Grant>,
    Extension(sent): Extension<SentPath>,
    request: Request,
) -> Response {
    let path = request.uri().path().trim_start_matches("/api/").to_string();
    let Some((res, rest)) = resource(&path) else {
        return reply::no_route(&sent.0);
    };
    if rest.len() > 1 {
        return reply::no_route(&sent.0);
    }
    let id = rest.first().map(|s| s.to_string());
    let method = request.method().clone();
    if let Err(denied) = grant.check(res, method != Method::GET) {
        return reply::refusal(denied, method.as_str());
    }
    let params = Params::parse(request.uri().query());
    let store = &shared.store;
    let answer = match (&method, id) {
        (&Method::GET, None) if res.file_download => {
            attachments::list(store, res, &params, shared.config.page_cap)
        }
        (&Method::GET, None) => reads::list(store, res, &params, shared.config.page_cap),
        // `Resource::runs_sql` (`/Report`): `loadreport=true` runs the saved report's SQL.
        (&Method::GET, Some(id))
            if res.runs_sql && matches!(params.flag("loadreport"), Ok(Some(true))) =>
        {
            report::run_saved(store, res, &id, &params)
        }
        // Halo quirk (`Resource::file_download`): the object's GET is its file's bytes;
        // `includedetails=true` asks for the metadata instead.
        (&Method::GET, Some(id)) if res.file_download => {
            match params.flag(res.detail_only.on_get) {
                Ok(Some(true)) => reads::get(store, res, &id, &params),
                Ok(_) => match attachments::download(store, res, &id) {
                    Ok(file) => return reply::file(file),
                    Err(refusal) => Err(refusal),
                },
                Err(bad) => Err(bad.into()),
            }
        }
        (&Method::GET, Some(id)) => reads::get(store, res, &id, &params),
        (&Method::POST, None) if res.file_download => {
            let max = shared.config.max_attachment_bytes;
            let limit = attachments::body_limit(max).max(shared.config.body_limit);
            match read_body(request, limit).await {
                Ok(body) => attachments::post(store, res, body, max),
                Err(TooLarge) => Err(attachments::too_large(max)),
            }
        }
        (&Method::POST, None) => {
            let limit = shared.config.body_limit;
            let body = match read_body(request, limit).await {
                Ok(b) => b,
                Err(TooLarge) => return reply::too_large(limit),
            };
            // `Resource::runs_sql` (`/Report`): `_loadreportonly` runs the SQL, saves nothing.
            if res.runs_sql
                && let Some(sql) = report::load_only(&body)
            {
                report::run_posted(store, &sql)
            } else {
                writes::post(
                    store,
                    &shared.webhooks,
                    res,
                    &grant.identity,
                    &params,
                    &body,
                    shared.config.max_post_items,
                )
            }
        }
        (&Method::DELETE, Some(id)) => writes::delete(store, &shared.webhooks, res, &id, &params),
        _ => Err(Refusal::NotSupported),
    };
    match answer {
        Ok(done) => reply::done(res, done),
        Err(refusal) => reply::refusal(refusal, method.as_str()),
    }
}

/// A body over its limit (or cut off while it was read).
struct TooLarge;

/// The body, read into one buffer sized from `Content-Length` (a large upload is not
/// regrown or copied), refused past `limit` bytes.
async fn read_body(request: Request, limit: usize) -> Result<Vec<u8>, TooLarge> {
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    if announced > limit {
        return Err(TooLarge);
    }
    let mut body = Vec::with_capacity(announced);
    let mut stream = request.into_body().into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| TooLarge)?;
        if body.len() + chunk.len() > limit {
            return Err(TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
