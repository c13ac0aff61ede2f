//! The authorisation server's routes: `GET /api/authinfo`, `POST /auth/token` and
//! `POST /auth/revoke` (the sign-in's are in [`crate::http::authorize`]).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use halopsa::auth::wire::AuthInfo;

use crate::domain::journal::redact_form;
use crate::domain::tokens::{self, Form, TokenError};
use crate::http::middleware::{RecordedForm, SentPath};
use crate::reply;
use crate::state::Shared;

/// `GET /api/authinfo` (a 404 when the configuration turns it off).
pub async fn authinfo(
    State(shared): State<Arc<Shared>>,
    Extension(sent): Extension<SentPath>,
) -> Response {
    if !shared.config.authinfo_enabled {
        return reply::no_route(&sent.0);
    }
    Json(AuthInfo {
        auth_url: Some(format!("{}/auth", shared.url)),
        tenant_id: shared.config.tenant.clone(),
    })
    .into_response()
}

/// `POST /auth/token`: a form in, tokens or an OAuth error out; the form, redacted, goes to
/// the journal.
pub async fn token(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !is_form(&headers) {
        return reply::token_refused(TokenError::NotForm);
    }
    let form = Form::parse(&body);
    let recorded = RecordedForm(redact_form(form.fields()));
    let query_tenant = tenant_of(query.as_deref());
    let granted = tokens::grant(
        &shared.config,
        &shared.tokens,
        &form,
        query_tenant.as_deref(),
    );
    let mut response = match granted {
        Ok(issued) => reply::token_issued(&issued),
        Err(e) => reply::token_refused(e),
    };
    response.extensions_mut().insert(recorded);
    response
}

/// `POST /auth/revoke` (RFC 7009: `token`, optional `token_type_hint`, `client_id`, and
/// `client_secret` when the client has one; tenant as on `/auth/token`): 200 with an empty body
/// whether the token was known or not, an OAuth error for a bad client or form. Halo's own
/// revocation endpoint is not documented (inferred from OpenIddict, reference §2.1).
pub async fn revoke(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !is_form(&headers) {
        return reply::token_refused(TokenError::NotForm);
    }
    let form = Form::parse(&body);
    let recorded = RecordedForm(redact_form(form.fields()));
    let revoked = tokens::revoke(
        &shared.config,
        &shared.tokens,
        &form,
        tenant_of(query.as_deref()).as_deref(),
    );
    let mut response = match revoked {
        Ok(()) => reply::revoked(),
        Err(e) => reply::token_refused(e),
    };
    response.extensions_mut().insert(recorded);
    response
}

/// The `tenant` of a query string, if not empty.
fn tenant_of(query: Option<&str>) -> Option<String> {
    url::form_urlencoded::parse(query?.as_bytes())
        .find(|(k, v)| k == "tenant" && !v.is_empty())
        .map(|(_, v)| v.into_owned())
}

/// Whether the request body is declared a form.
pub fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| {
            essence
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}
