//! The middleware every request passes: the journal, injected faults, and the path
//! normalisation that makes routing case-insensitive.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Uri, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::domain::journal::{JournalEntry, Written, is_admin_path, redact_headers};
use crate::domain::lock::lock;
use crate::reply;
use crate::state::Shared;

/// The request path exactly as the client sent it (routing sees it lowercased).
#[derive(Clone)]
pub struct SentPath(pub String);

/// Redacted form fields, attached to a response by the token endpoint for the journal.
#[derive(Clone)]
pub struct RecordedForm(pub Vec<(String, String)>);

/// Marks a response whose fault was injected (counted in the stats).
#[derive(Clone, Copy)]
struct Injected;

/// Records every request outside `/_sandbox` in the journal and the counters, with the ids a
/// write reports on its response ([`Written`]).
pub async fn record(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    if is_admin_path(&path) {
        return next.run(request).await;
    }
    let method = request.method().to_string();
    let query = request.uri().query().map(str::to_owned);
    let headers = redact_headers(
        request
            .headers()
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_bytes())),
    );
    let mut response = next.run(request).await;
    let status = response.status().as_u16();
    tracing::debug!(%method, %path, status, "sandbox request");
    let form = response
        .extensions()
        .get::<RecordedForm>()
        .map(|f| f.0.clone());
    let injected = response.extensions().get::<Injected>().is_some();
    let written = response
        .extensions_mut()
        .remove::<Written>()
        .map(|w| w.0)
        .unwrap_or_default();
    let entry = JournalEntry {
        method,
        path,
        query,
        headers,
        form,
        status,
        at_ms: 0,
        written,
    };
    lock(&shared.journal).record(entry, injected);
    response
}

/// Applies the configured faults (latency, failures, cut connections) to everything outside
/// `/_sandbox`.
pub async fn inject_faults(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let dice = &shared.faults;
    let faults = dice.faults();
    if !faults.any() || is_admin_path(request.uri().path()) {
        return next.run(request).await;
    }
    if !faults.latency.is_zero() {
        tokio::time::sleep(faults.latency).await;
    }
    let roll = dice.roll();
    if let Some(failure) = roll.fail {
        let mut response = reply::fault(failure);
        response.extensions_mut().insert(Injected);
        return response;
    }
    let response = next.run(request).await;
    if roll.reset {
        cut_short(response).await
    } else {
        response
    }
}

/// Sends the head and half the body, then fails the stream so the connection is dropped.
async fn cut_short(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let half = bytes.slice(..bytes.len() / 2);
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
        Ok(half),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "sandbox fault: connection reset",
        )),
    ];
    let mut response =
        Response::from_parts(parts, Body::from_stream(futures::stream::iter(chunks)));
    response.extensions_mut().insert(Injected);
    response
}

/// Lowercases the path and drops a trailing slash so routing is case-insensitive, keeping
/// the original path in a [`SentPath`] extension.
pub async fn normalize_path(mut request: Request, next: Next) -> Response {
    let sent = request.uri().path().to_owned();
    let mut lower = sent.to_ascii_lowercase();
    while lower.len() > 1 && lower.ends_with('/') {
        lower.pop();
    }
    if lower != sent {
        let path_and_query = match request.uri().query() {
            Some(query) => format!("{lower}?{query}"),
            None => lower,
        };
        let mut parts = request.uri().clone().into_parts();
        if let Ok(pq) = path_and_query.parse() {
            parts.path_and_query = Some(pq);
            if let Ok(uri) = Uri::from_parts(parts) {
                *request.uri_mut() = uri;
            }
        }
    }
    request.extensions_mut().insert(SentPath(sent));
    next.run(request).await
}
