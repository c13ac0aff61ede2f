//! The `/api` routes (bearer-token protected).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{any, get};
use axum::{Extension, Json, Router};
use serde_json::json;

use crate::domain::tokens::Grant;
use crate::http::resources;
use crate::reply;
use crate::state::Shared;

/// The protected API routes (paths already lowercased).
pub fn routes(shared: Arc<Shared>) -> Router<Arc<Shared>> {
    Router::new()
        .route("/api/agent/me", get(agent_me))
        .route("/api/instanceinfo", get(instance_info))
        .route("/api/{*rest}", any(resources::dispatch))
        .route_layer(middleware::from_fn_with_state(shared, require_token))
}

fn bearer(request: &Request) -> Option<&str> {
    let value = request
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Lets through only requests with a live token that has at least one scope, and hands the
/// token's [`Grant`] to the handler.
async fn require_token(
    State(shared): State<Arc<Shared>>,
    mut request: Request,
    next: Next,
) -> Response {
    let grant = bearer(&request)
        .and_then(|token| shared.tokens.lookup(token))
        .filter(|grant| !grant.scopes.is_empty());
    let Some(grant) = grant else {
        return reply::unauthorized();
    };
    if let Some(limiter) = shared
        .limiter
        .as_ref()
        .filter(|l| !l.admit(&grant.identity.client_id))
    {
        return reply::rate_limited(limiter.limit());
    }
    request.extensions_mut().insert(grant);
    next.run(request).await
}

/// `GET /api/Agent/me`.
async fn agent_me(Extension(grant): Extension<Grant>) -> Json<serde_json::Value> {
    Json(match &grant.identity.user {
        None => json!({
            "id": 1,
            "name": "API Agent",
            "email": "api@sandbox.local",
            "isapiagent": true,
            "is_agent": true,
        }),
        Some(user) => json!({
            "id": user.agent_id,
            "name": user.name,
            "email": user.username,
            "isapiagent": false,
            "is_agent": true,
        }),
    })
}

/// `GET /api/InstanceInfo`.
async fn instance_info(State(shared): State<Arc<Shared>>) -> Json<serde_json::Value> {
    let version = env!("CARGO_PKG_VERSION");
    Json(json!({
        "app_name": "Halo PSA (sandbox)",
        "app_version": version,
        "database_version": version,
        "auth_url": format!("{}/auth", shared.url),
        "portal_url": format!("{}/portal", shared.url),
    }))
}
