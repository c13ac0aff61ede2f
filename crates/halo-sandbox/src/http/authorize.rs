//! The interactive sign-in's routes: `GET /auth/authorize` (the sign-in page) and
//! `POST /auth/authorize` (the sign-in, then the agent's decision).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;

use crate::domain::authorize::{self, AuthorizeError, SignInError};
use crate::domain::journal::redact_form;
use crate::domain::tokens::Form;
use crate::http::auth::is_form;
use crate::http::middleware::RecordedForm;
use crate::reply;
use crate::state::Shared;

/// `GET /auth/authorize?response_type=code&client_id&redirect_uri&scope&state&code_challenge&
/// code_challenge_method=S256[&tenant]`: the sign-in page, a 400 page for an unknown client or
/// redirect URI, or any other refusal sent back to the redirect URI.
pub async fn start(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    let query = Form::parse(query.unwrap_or_default().as_bytes());
    match authorize::check(&shared.config, &query) {
        Ok(request) => {
            let id = shared.sign_ins.open(request.clone());
            reply::sign_in_page(&id, &request, None)
        }
        Err(AuthorizeError::Page(text)) => reply::sign_in_refused(&text),
        Err(AuthorizeError::Redirect(to)) => reply::redirect(&to),
    }
}

/// `POST /auth/authorize` (a form): `request, username, password` signs the agent in (the
/// consent page, or the sign-in page again with an error); `request, decision` (`allow` or
/// `deny`) ends the request with a redirect to the client. The form, redacted, goes to the
/// journal.
pub async fn answer(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !is_form(&headers) {
        return reply::sign_in_refused("The form must be application/x-www-form-urlencoded.");
    }
    let form = Form::parse(&body);
    let recorded = RecordedForm(redact_form(form.fields()));
    let mut response = answer_form(&shared, &form);
    response.extensions_mut().insert(recorded);
    response
}

fn answer_form(shared: &Shared, form: &Form) -> Response {
    let Some(id) = form.get("request") else {
        return refused(SignInError::UnknownRequest);
    };
    if let Some(decision) = form.get("decision") {
        return match shared
            .sign_ins
            .decide(&shared.config, &shared.tokens, id, decision)
        {
            Ok(to) => reply::redirect(&to),
            Err(e) => refused(e),
        };
    }
    let signed_in = shared.sign_ins.sign_in(
        &shared.config,
        id,
        form.get("username"),
        form.get("password"),
    );
    match signed_in {
        Ok((request, agent)) => reply::consent_page(id, &request, &agent),
        Err(SignInError::BadCredentials(request)) => {
            reply::sign_in_page(id, &request, Some("The username or password is incorrect."))
        }
        Err(e) => refused(e),
    }
}

fn refused(error: SignInError) -> Response {
    reply::sign_in_refused(match error {
        SignInError::UnknownRequest | SignInError::BadCredentials(_) => {
            "This sign-in request is unknown or has expired: start again from the application."
        }
        SignInError::NotSignedIn => "Sign in before allowing or denying the request.",
        SignInError::BadDecision => "The decision must be allow or deny.",
    })
}
