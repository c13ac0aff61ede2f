//! The `/_sandbox` control routes (no auth, never journaled).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};

use crate::domain::churn::{Churn, ChurnError, ChurnReport};
use crate::domain::journal::{JournalEntry, Stats};
use crate::domain::lock::lock;
use crate::domain::webhooks::{Fire, FireError, Fired};
use crate::state::Shared;

/// Routes under `/_sandbox` (paths already lowercased).
pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_sandbox/requests", get(requests))
        .route("/_sandbox/stats", get(stats))
        .route("/_sandbox/revoke-tokens", post(revoke_tokens))
        .route("/_sandbox/clear-journal", post(clear_journal))
        .route("/_sandbox/reset", post(reset))
        .route("/_sandbox/churn", post(churn))
        .route("/_sandbox/webhooks/fire", post(fire_webhooks))
        .route("/_sandbox/webhooks/flush", post(flush_webhooks))
}

async fn requests(State(shared): State<Arc<Shared>>) -> Json<Vec<JournalEntry>> {
    Json(lock(&shared.journal).entries())
}

async fn stats(State(shared): State<Arc<Shared>>) -> Json<Stats> {
    Json(shared.stats())
}

async fn revoke_tokens(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.tokens.revoke_access_tokens();
    StatusCode::NO_CONTENT
}

async fn clear_journal(State(shared): State<Arc<Shared>>) -> StatusCode {
    lock(&shared.journal).clear();
    StatusCode::NO_CONTENT
}

async fn reset(State(shared): State<Arc<Shared>>) -> StatusCode {
    match tokio::task::spawn_blocking(move || shared.reset()).await {
        Ok(Ok(())) => StatusCode::NO_CONTENT,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// `POST /_sandbox/churn` with a [`Churn`] as JSON: the [`ChurnReport`], or 400 with the
/// reason nothing was changed.
async fn churn(
    State(shared): State<Arc<Shared>>,
    Json(churn): Json<Churn>,
) -> Result<Json<ChurnReport>, (StatusCode, String)> {
    match shared.churn(churn).await {
        Ok(report) => Ok(Json(report)),
        Err(e @ (ChurnError::TooFew { .. } | ChurnError::TooMany(_))) => {
            Err((StatusCode::BAD_REQUEST, e.to_string()))
        }
        Err(e) => Err((StatusCode::INTERNAL_SERVER_ERROR, e.to_string())),
    }
}

/// `POST /_sandbox/webhooks/fire` with a [`Fire`] as JSON (`{"count": N}`, optionally
/// `ticket_id` and `event`): what was queued, or 400 with the reason nothing was.
async fn fire_webhooks(
    State(shared): State<Arc<Shared>>,
    Json(fire): Json<Fire>,
) -> Result<Json<Fired>, (StatusCode, String)> {
    match shared.fire_webhooks(fire).await {
        Ok(fired) => Ok(Json(fired)),
        Err(e @ (FireError::TooMany(_) | FireError::UnknownEvent(_))) => {
            Err((StatusCode::BAD_REQUEST, e.to_string()))
        }
        Err(e @ FireError::NoTicket(_)) => Err((StatusCode::NOT_FOUND, e.to_string())),
        Err(e) => Err((StatusCode::INTERNAL_SERVER_ERROR, e.to_string())),
    }
}

/// `POST /_sandbox/webhooks/flush`: 204 once every queued webhook event is delivered (or out
/// of attempts) and recorded.
async fn flush_webhooks(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.webhooks.flush().await;
    StatusCode::NO_CONTENT
}
