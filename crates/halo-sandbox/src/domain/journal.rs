//! The request journal and its counters.

use std::collections::{BTreeMap, VecDeque};
use std::time::Instant;

use serde::{Deserialize, Serialize};

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
    /// Form fields of a request to `/auth` (token, sign-in, revocation).
    pub form: Option<Vec<(String, String)>>,
    /// Response status.
    pub status: u16,
    /// Milliseconds since the sandbox started.
    pub at_ms: u64,
    /// The ids of the objects the request saved or deleted (`"12"`, a per-ticket id as
    /// `"12/3"`, a GUID as it is); empty for reads and refused writes.
    #[serde(default)]
    pub written: Vec<String>,
}

/// The ids a write saved or deleted, carried on its response to the journal.
#[derive(Debug, Clone)]
pub struct Written(pub Vec<String>);

/// Journal entries and counters.
pub struct Journal {
    started: Instant,
    entries: VecDeque<JournalEntry>,
    stats: Stats,
}

impl Journal {
    /// An empty journal, its clock started now.
    pub fn new() -> Journal {
        Journal {
            started: Instant::now(),
            entries: VecDeque::new(),
            stats: Stats::default(),
        }
    }

    /// The entries, oldest first.
    pub fn entries(&self) -> Vec<JournalEntry> {
        self.entries.iter().cloned().collect()
    }

    /// The counters (without the objects stored).
    pub fn stats(&self) -> Stats {
        self.stats.clone()
    }

    /// Drops every entry and zeroes the counters.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.stats = Stats::default();
    }

    /// Records a served request (its `at_ms` is set here) and counts it; `injected` when its
    /// answer was an injected fault.
    pub fn record(&mut self, mut entry: JournalEntry, injected: bool) {
        entry.at_ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let stats = &mut self.stats;
        stats.requests += 1;
        if entry
            .path
            .trim_end_matches('/')
            .eq_ignore_ascii_case("/auth/token")
        {
            stats.token_requests += 1;
        }
        if is_under(&entry.path, "/api") {
            stats.api_requests += 1;
        }
        match entry.status {
            401 => stats.unauthorized += 1,
            429 => stats.rate_limited += 1,
            _ => {}
        }
        if injected {
            stats.faults += 1;
        }
        if self.entries.len() == JOURNAL_CAPACITY {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }
}

/// Is this path one of the sandbox's own control routes (never journaled)?
pub fn is_admin_path(path: &str) -> bool {
    is_under(path, "/_sandbox")
}

/// Headers, given as (name, value), as (lowercase name, value) with secret values redacted.
pub fn redact_headers<'a>(
    headers: impl Iterator<Item = (&'a str, &'a [u8])>,
) -> Vec<(String, String)> {
    headers
        .map(|(name, value)| {
            let name = name.to_ascii_lowercase();
            let value = if halopsa::redact::is_secret_name(&name) {
                REDACTED.to_owned()
            } else {
                String::from_utf8_lossy(value).into_owned()
            };
            (name, value)
        })
        .collect()
}

/// Form fields with the values of `client_secret`, `password`, `refresh_token`, `token`, `code`,
/// `code_verifier` (any field whose name looks secret to [`halopsa::redact::is_secret_name`])
/// redacted.
pub fn redact_form(fields: &[(String, String)]) -> Vec<(String, String)> {
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

/// Whether `path` (its trailing slashes dropped) is `prefix` or lies below it, in any case.
fn is_under(path: &str, prefix: &str) -> bool {
    let (path, prefix) = (path.trim_end_matches('/').as_bytes(), prefix.as_bytes());
    path.len() >= prefix.len()
        && path[..prefix.len()].eq_ignore_ascii_case(prefix)
        && (path.len() == prefix.len() || path[prefix.len()] == b'/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_headers_are_redacted() {
        let headers = [
            ("Authorization", "Bearer abc"),
            ("cookie", "s=1"),
            ("x-api-key", "k"),
            ("x-refresh-token", "t"),
            ("x-custom-header", "abc"),
            ("accept", "application/json"),
        ];
        let shown = redact_headers(headers.iter().map(|(n, v)| (*n, v.as_bytes())));
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
            ("code", "c"),
            ("code_verifier", "v"),
            ("postcode", "AB1"),
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
        assert_eq!(shown[6].1, REDACTED);
        assert_eq!(shown[7].1, REDACTED);
        assert_eq!(shown[8].1, "AB1");
    }

    #[test]
    fn admin_paths_any_case() {
        assert!(is_admin_path("/_Sandbox/requests"));
        assert!(is_admin_path("/_sandbox"));
        assert!(!is_admin_path("/_sandboxes"));
        assert!(!is_admin_path("/api/authinfo"));
    }

    #[test]
    fn counters_follow_path_and_status() {
        let mut journal = Journal::new();
        let entry = |path: &str, status| JournalEntry {
            method: "GET".into(),
            path: path.into(),
            query: None,
            headers: Vec::new(),
            form: None,
            status,
            at_ms: 0,
            written: Vec::new(),
        };
        journal.record(entry("/Auth/Token/", 200), false);
        journal.record(entry("/API", 401), false);
        journal.record(entry("/api/Tickets", 429), true);
        journal.record(entry("/apiary", 200), false);
        let stats = journal.stats();
        assert_eq!(
            (stats.requests, stats.token_requests, stats.api_requests),
            (4, 1, 2)
        );
        assert_eq!(
            (stats.unauthorized, stats.rate_limited, stats.faults),
            (1, 1, 1)
        );
        assert_eq!(journal.entries().len(), 4);
    }
}
