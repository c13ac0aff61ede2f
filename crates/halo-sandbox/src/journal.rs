//! The request journal and counters, recorded by an axum middleware.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use crate::{Shared, lock};

/// How many entries the journal keeps; older ones are dropped first.
const JOURNAL_CAPACITY: usize = 10_000;

/// What replaces a secret value in the journal.
const REDACTED: &str = "[redacted]";

/// Counters over every request except `/_sandbox/*`.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Every request.
    pub requests: u64,
    /// Requests to `/auth/token`.
    pub token_requests: u64,
    /// Requests under `/api` (including `/api/authinfo`).
    pub api_requests: u64,
    /// Responses with status 401 (API refusals and `invalid_client`).
    pub unauthorized: u64,
    /// 429s sent by the rate limit.
    pub rate_limited: u64,
    /// Injected faults (failures and dropped connections).
    pub faults: u64,
    /// Objects stored, per resource path.
    pub objects: BTreeMap<String, u64>,
}

/// One recorded request, with secrets replaced by `[redacted]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct JournalEntry {
    /// HTTP method.
    pub method: String,
    /// Path as sent (original case).
    pub path: String,
    /// Raw query string, if any.
    pub query: Option<String>,
    /// Headers as (lowercase name, value).
    pub headers: Vec<(String, String)>,
    /// Form fields of a token request.
    pub form: Option<Vec<(String, String)>>,
    /// Response status.
    pub status: u16,
    /// Milliseconds since the sandbox started.
    pub at_ms: u64,
}

/// Journal entries and counters.
pub(crate) struct Journal {
    started: Instant,
    entries: VecDeque<JournalEntry>,
    stats: Stats,
}

impl Journal {
    pub fn new() -> Journal {
        Journal {
            started: Instant::now(),
            entries: VecDeque::new(),
            stats: Stats::default(),
        }
    }

    pub fn entries(&self) -> Vec<JournalEntry> {
        self.entries.iter().cloned().collect()
    }

    pub fn stats(&self) -> Stats {
        self.stats.clone()
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.stats = Stats::default();
    }

    fn push(&mut self, entry: JournalEntry) {
        if self.entries.len() == JOURNAL_CAPACITY {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }
}

/// Redacted form fields, attached to a response by the token endpoint for the journal.
#[derive(Clone)]
pub(crate) struct RecordedForm(pub Vec<(String, String)>);

/// Is this path one of the sandbox's own control routes (never journaled)?
pub(crate) fn is_admin_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower == "/_sandbox" || lower.starts_with("/_sandbox/")
}

/// Headers as (lowercase name, value) with secret values redacted.
pub(crate) fn redact_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let name = name.as_str().to_ascii_lowercase();
            let value = if halopsa::redact::is_secret_name(&name) {
                REDACTED.to_owned()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            (name, value)
        })
        .collect()
}

/// Form fields with the values of `client_secret`, `password`, `refresh_token` (any field whose
/// name looks secret to [`halopsa::redact::is_secret_name`]) redacted.
pub(crate) fn redact_form(fields: &[(String, String)]) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(name, value)| {
            let value = if halopsa::redact::is_secret_name(name) {
                REDACTED.to_owned()
            } else {
                value.clone()
            };
            (name.clone(), value)
        })
        .collect()
}

/// Middleware recording every request outside `/_sandbox` in the journal and the counters.
pub(crate) async fn record(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    if is_admin_path(&path) {
        return next.run(request).await;
    }
    let method = request.method().to_string();
    let query = request.uri().query().map(str::to_owned);
    let headers = redact_headers(request.headers());
    let response = next.run(request).await;
    let status = response.status();
    tracing::debug!(%method, %path, status = status.as_u16(), "sandbox request");

    let lower = path.to_ascii_lowercase();
    let lower = lower.trim_end_matches('/');
    let form = response
        .extensions()
        .get::<RecordedForm>()
        .map(|f| f.0.clone());
    let mut journal = lock(&shared.journal);
    let at_ms = u64::try_from(journal.started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let stats = &mut journal.stats;
    stats.requests += 1;
    if lower == "/auth/token" {
        stats.token_requests += 1;
    }
    if lower == "/api" || lower.starts_with("/api/") {
        stats.api_requests += 1;
    }
    if status.as_u16() == 401 {
        stats.unauthorized += 1;
    }
    if status.as_u16() == 429 {
        stats.rate_limited += 1;
    }
    if response
        .extensions()
        .get::<crate::faults::Injected>()
        .is_some()
    {
        stats.faults += 1;
    }
    journal.push(JournalEntry {
        method,
        path,
        query,
        headers,
        form,
        status: status.as_u16(),
        at_ms,
    });
    drop(journal);
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn secret_headers_are_redacted() {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("authorization", "Bearer abc"),
            ("cookie", "s=1"),
            ("x-api-key", "k"),
            ("x-refresh-token", "t"),
            ("x-custom-header", "abc"),
            ("accept", "application/json"),
        ] {
            headers.insert(name, HeaderValue::from_static(value));
        }
        let shown = redact_headers(&headers);
        let value = |n: &str| {
            shown
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.as_str())
                .unwrap()
        };
        assert_eq!(value("authorization"), REDACTED);
        assert_eq!(value("cookie"), REDACTED);
        assert_eq!(value("x-api-key"), REDACTED);
        assert_eq!(value("x-refresh-token"), REDACTED);
        assert_eq!(value("x-custom-header"), "abc");
        assert_eq!(value("accept"), "application/json");
    }

    #[test]
    fn secret_form_fields_are_redacted() {
        let fields: Vec<(String, String)> = [
            ("grant_type", "password"),
            ("client_secret", "s"),
            ("password", "p"),
            ("refresh_token", "r"),
            ("username", "u"),
            ("scope", "all"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let shown = redact_form(&fields);
        assert_eq!(shown[0].1, "password");
        assert_eq!(shown[1].1, REDACTED);
        assert_eq!(shown[2].1, REDACTED);
        assert_eq!(shown[3].1, REDACTED);
        assert_eq!(shown[4].1, "u");
        assert_eq!(shown[5].1, "all");
    }

    #[test]
    fn admin_paths_any_case() {
        assert!(is_admin_path("/_Sandbox/requests"));
        assert!(is_admin_path("/_sandbox"));
        assert!(!is_admin_path("/_sandboxes"));
        assert!(!is_admin_path("/api/authinfo"));
    }
}
