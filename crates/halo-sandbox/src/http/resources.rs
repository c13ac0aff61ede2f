//! `/api/{Resource}[/{id}]`: finds the row of the table, checks the token's scopes, and hands
//! the request to the domain's reads and writes.

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::response::Response;
use halopsa::resource::{RESOURCES, Resource};

use crate::domain::outcome::Refusal;
use crate::domain::query::Params;
use crate::domain::sql::report;
use crate::domain::tokens::Grant;
use crate::domain::{reads, writes};
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
        (&Method::GET, None) => reads::list(store, res, &params, shared.config.page_cap),
        // `Resource::runs_sql` (`/Report`): `loadreport=true` runs the saved report's SQL.
        (&Method::GET, Some(id))
            if res.runs_sql && matches!(params.flag("loadreport"), Ok(Some(true))) =>
        {
            report::run_saved(store, res, &id, &params)
        }
        (&Method::GET, Some(id)) => reads::get(store, res, &id, &params),
        (&Method::POST, None) => {
            let body = match read_body(request, shared.config.body_limit).await {
                Ok(b) => b,
                Err(r) => return r,
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
        (&Method::DELETE, Some(id)) => writes::delete(store, res, &id, &params),
        _ => Err(Refusal::NotSupported),
    };
    match answer {
        Ok(done) => reply::done(res, done),
        Err(refusal) => reply::refusal(refusal, method.as_str()),
    }
}

/// The body, or a 413 when it exceeds the limit.
async fn read_body(request: Request, limit: usize) -> Result<Bytes, Response> {
    axum::body::to_bytes(request.into_body(), limit)
        .await
        .map_err(|_| reply::too_large(limit))
}
