//! The `/api` routes (bearer-token protected).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::{Extension, Json, Router};
use serde_json::json;

use crate::Shared;
use crate::auth::Grant;

/// The protected API routes (paths already lowercased).
pub(crate) fn routes(shared: Arc<Shared>) -> Router<Arc<Shared>> {
    Router::new()
        .route("/api/agent/me", get(agent_me))
        .route("/api/instanceinfo", get(instance_info))
        .route("/api/{*rest}", any(crate::resources::dispatch))
        .route_layer(middleware::from_fn_with_state(shared, require_token))
}

/// Halo's 404 for an unknown API route.
pub(crate) fn not_found(path: &str) -> Response {
    let message = format!("No HTTP resource was found that matches the request URI '{path}'.");
    (StatusCode::NOT_FOUND, Json(json!({ "message": message }))).into_response()
}

fn unauthorized() -> Response {
    let body = json!({ "message": "Authorization has been denied for this request." });
    let mut response = (StatusCode::UNAUTHORIZED, Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
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
    match grant {
        Some(grant) => {
            if let Some(limiter) = shared
                .limiter
                .as_ref()
                .filter(|l| !l.admit(&grant.identity.client_id))
            {
                return limiter.refusal();
            }
            request.extensions_mut().insert(grant);
            next.run(request).await
        }
        None => unauthorized(),
    }
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
