//! The HTTP layer: routes, extractors and middleware over the domain, answering with
//! [`crate::reply`].

mod admin;
mod api;
mod auth;
mod authorize;
mod middleware;
mod resources;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::reply;
use crate::state::Shared;

/// Largest accepted body of a request to `/auth`.
const TOKEN_BODY_LIMIT: usize = 64 * 1024;

/// The whole application: journal, then faults, then path normalisation, then routing.
pub fn app(shared: Arc<Shared>) -> Router {
    let routes = Router::new()
        .route("/api/authinfo", get(auth::authinfo))
        .route(
            "/auth/token",
            post(auth::token).layer(DefaultBodyLimit::max(TOKEN_BODY_LIMIT)),
        )
        .route(
            "/auth/authorize",
            get(authorize::start)
                .post(authorize::answer)
                .layer(DefaultBodyLimit::max(TOKEN_BODY_LIMIT)),
        )
        .route(
            "/auth/revoke",
            post(auth::revoke).layer(DefaultBodyLimit::max(TOKEN_BODY_LIMIT)),
        )
        .merge(api::routes(Arc::clone(&shared)))
        .merge(admin::routes())
        .fallback(|| async { reply::nothing_here() })
        .with_state(Arc::clone(&shared));
    Router::new()
        .fallback_service(routes)
        .layer(axum::middleware::from_fn(middleware::normalize_path))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&shared),
            middleware::inject_faults,
        ))
        .layer(axum::middleware::from_fn_with_state(
            shared,
            middleware::record,
        ))
}
