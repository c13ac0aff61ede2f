//! Many writes in few requests: updates posted as arrays of up to [`BulkOptions::batch`]
//! objects, creates one per request (or in arrays when asked), deletes one id per request; a
//! batch Halo refuses narrowed down to the rows it refuses; an outcome for every row.
//!
//! Rules (reference §13.1): an update sent twice saves the same values twice, so update
//! batches are retried like GETs; a create that may have reached Halo is never sent again
//! (no idempotency key exists), it is reported [`Outcome::Unknown`]; creates are matched to
//! their reply by position only when the reply has exactly as many objects as were sent.

use crate::client::ApiRequest;
use crate::error::Error;
use crate::id::{id_from_value, id_text};
use crate::list::decode_list;
use crate::resource::{IdKind, IdLookup, Ops};
use crate::resource_client::{ListOptions, ResourceClient};
use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

/// Objects per update POST when none is asked: see BENCHMARKS.md (bulk) for the measurement.
pub const DEFAULT_UPDATE_BATCH: usize = 50;

/// Ids asked per existence lookup with an id-list filter (keeps the URL short).
const IDS_PER_LOOKUP: usize = 100;

/// What a bulk job does to each row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BulkOp {
    /// `POST` objects without ids.
    Create,
    /// `POST` objects with their ids.
    Update,
    /// `DELETE` each id.
    Delete,
}

/// One row of a bulk job: its line in the input and its object (for a delete, the object
/// holds the `id`, and `ticket_id` for a resource numbered per ticket).
#[derive(Debug, Clone)]
pub struct BulkRow {
    /// Where it came from (1-based line or record number).
    pub line: u64,
    /// The object to post, or to delete by its id.
    pub object: Value,
}

/// How one row ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Outcome {
    /// Halo saved a new object.
    Created,
    /// Halo saved the changes.
    Updated,
    /// Halo deleted it.
    Deleted,
    /// Halo refused it, or every attempt failed (see [`RowResult::retry`]).
    Failed,
    /// A create that may have reached Halo without an answer: never sent again.
    Unknown,
    /// Not sent (an earlier run did it, or it was already as asked).
    Skipped,
}

impl Outcome {
    /// Its name in results files.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Updated => "updated",
            Outcome::Deleted => "deleted",
            Outcome::Failed => "failed",
            Outcome::Unknown => "unknown",
            Outcome::Skipped => "skipped",
        }
    }
}

/// What happened to one row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowResult {
    /// The row's line in the input.
    pub line: u64,
    /// The object's id (a create's new id), when known.
    pub id: Option<Value>,
    /// How it ended.
    pub outcome: Outcome,
    /// Halo's message, or why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The last HTTP status, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Whether sending it again may succeed: every attempt failed for a passing reason (rate
    /// limit, server fault, no answer) rather than Halo refusing the row.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub retry: bool,
}

impl RowResult {
    fn new(row: &BulkRow, outcome: Outcome) -> RowResult {
        RowResult {
            line: row.line,
            id: row.object.get("id").cloned().filter(|v| !v.is_null()),
            outcome,
            message: None,
            status: None,
            retry: false,
        }
    }

    fn because(mut self, message: impl Into<String>, status: Option<u16>) -> RowResult {
        self.message = Some(message.into());
        self.status = status;
        self
    }
}

/// How a bulk job sends.
#[derive(Debug, Clone, Copy)]
pub struct BulkOptions {
    /// Objects per POST (updates; creates too when above 1). Deletes are always one each.
    pub batch: usize,
    /// Requests in flight at once (the client's rate limit still holds).
    pub concurrency: usize,
}

impl BulkOptions {
    /// The default for `op`: updates in arrays of [`DEFAULT_UPDATE_BATCH`], creates one by one.
    pub fn for_op(op: BulkOp) -> BulkOptions {
        BulkOptions {
            batch: if op == BulkOp::Update {
                DEFAULT_UPDATE_BATCH
            } else {
                1
            },
            concurrency: 4,
        }
    }
}

/// Receives what a bulk job does, as it does it (one call at a time).
pub trait BulkSink: Send {
    /// The rows of `lines` are about to be sent: a record written now tells a later run which
    /// rows a job stopped mid-request may have changed.
    fn sending(&mut self, lines: &[u64]);
    /// Rows that ended.
    fn finished(&mut self, results: &[RowResult]);
}

/// How a failed request bears on its rows.
enum Fate {
    /// Halo refused the rows (a 4xx other than 429): sending them again changes nothing.
    Refused {
        status: u16,
        message: String,
        body: String,
    },
    /// Every attempt failed for a passing reason; nothing suggests Halo saved anything.
    Passing {
        status: Option<u16>,
        message: String,
    },
    /// The request may have reached Halo and been saved: a create must not be sent again.
    MaybeSaved {
        status: Option<u16>,
        message: String,
    },
}

fn fate(err: Error) -> Result<Fate, Error> {
    Ok(match &err {
        Error::Api(a) if a.status == 429 => Fate::Passing {
            status: Some(429),
            message: err.to_string(),
        },
        Error::Api(a) if a.status >= 500 => Fate::MaybeSaved {
            status: Some(a.status),
            message: err.to_string(),
        },
        Error::Api(a) => Fate::Refused {
            status: a.status,
            message: a.message.clone(),
            body: a.body.clone(),
        },
        Error::Transport { sent: true, .. } => Fate::MaybeSaved {
            status: None,
            message: err.to_string(),
        },
        Error::Transport { sent: false, .. } => Fate::Passing {
            status: None,
            message: err.to_string(),
        },
        Error::Decode { .. } | Error::TooLarge { .. } => Fate::MaybeSaved {
            status: None,
            message: err.to_string(),
        },
        // Credentials, settings, redirects: every other request would fail the same way.
        _ => return Err(err),
    })
}

/// The positions a refusal names, with their messages.
///
/// Halo quirk: a refused array is answered with ASP.NET model state keyed by position into
/// it (`{"[3].client_id": ["..."]}`, reference §9); the keys say which elements to drop.
pub fn element_errors(body: &str) -> Vec<(usize, String)> {
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(body.trim()) else {
        return Vec::new();
    };
    let mut found: Vec<(usize, String)> = Vec::new();
    for (key, value) in &map {
        let Some(rest) = key.strip_prefix('[') else {
            continue;
        };
        let Some((index, field)) = rest.split_once(']') else {
            continue;
        };
        let Ok(index) = index.parse::<usize>() else {
            continue;
        };
        let text = match value {
            Value::Array(items) => items
                .iter()
                .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join("; "),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let field = field.trim_start_matches('.');
        let text = if field.is_empty() {
            text
        } else {
            format!("{field}: {text}")
        };
        match found.iter_mut().find(|(i, _)| *i == index) {
            Some((_, existing)) => {
                existing.push_str("; ");
                existing.push_str(&text);
            }
            None => found.push((index, text)),
        }
    }
    found.sort_by_key(|(i, _)| *i);
    found
}

/// Whether every field `wanted` sets already has that value in `current` (ids compared as
/// ids, so `3`, `3.0` and `"3"` agree; `customfields` entry by entry).
pub fn already_applied(wanted: &Value, current: &Value) -> bool {
    let (Some(wanted), Some(current)) = (wanted.as_object(), current.as_object()) else {
        return false;
    };
    wanted.iter().all(|(k, v)| {
        if k.starts_with('_') {
            return true;
        }
        match (k.as_str(), current.get(k)) {
            ("customfields", Some(Value::Array(have))) => v.as_array().is_some_and(|entries| {
                entries.iter().all(|e| {
                    have.iter()
                        .any(|h| same_field(e, h) && same_value(e.get("value"), h.get("value")))
                })
            }),
            (_, Some(have)) => same_value(Some(v), Some(have)),
            (_, None) => v.is_null(),
        }
    })
}

fn same_field(a: &Value, b: &Value) -> bool {
    match (
        a.get("id").and_then(id_from_value),
        b.get("id").and_then(id_from_value),
    ) {
        (Some(x), Some(y)) => x == y,
        _ => a
            .get("name")
            .and_then(Value::as_str)
            .zip(b.get("name").and_then(Value::as_str))
            .is_some_and(|(x, y)| x.eq_ignore_ascii_case(y)),
    }
}

fn same_value(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) if x == y => true,
        (Some(x), Some(y)) => match (id_from_value(x), id_from_value(y)) {
            (Some(p), Some(q)) => p == q,
            _ => match (x.as_f64(), y.as_f64()) {
                (Some(p), Some(q)) => p == q,
                _ => x.as_str().zip(y.as_str()).is_some_and(|(p, q)| p == q),
            },
        },
        (None | Some(Value::Null), None | Some(Value::Null)) => true,
        _ => false,
    }
}

impl ResourceClient {
    /// Which of `ids` exist, with as few requests as the row's [`IdLookup`] allows: a
    /// filter of 100 ids per request, one unpaged `idonly` list, or a walk of the list. Each
    /// id found maps to its row as the list gives it (just `{"id"}` for an `idonly` list).
    pub async fn existing(&self, ids: &[String]) -> Result<HashMap<String, Value>, Error> {
        let mut found = HashMap::new();
        if ids.is_empty() {
            return Ok(found);
        }
        let mut keep = |row: Value| {
            if let Some(id) = row.get("id").map(id_text) {
                found.insert(id, row);
            }
        };
        // An idonly list answers every id at once, unpaged ("not compatible with pagination").
        if self.resource().id_lookup == IdLookup::IdOnly {
            let req = ApiRequest::get(self.resource().path).query("idonly", "true");
            let resp = self.client().send(&req).await?;
            let page =
                decode_list::<Value>(self.resource(), &resp.body).map_err(|d| Error::Decode {
                    url: resp.url.clone(),
                    detail: d,
                })?;
            page.items.into_iter().for_each(&mut keep);
            return Ok(found);
        }
        let (queries, page_size) = match self.resource().id_lookup {
            IdLookup::Filter(name) => (
                ids.chunks(IDS_PER_LOOKUP)
                    .map(|chunk| vec![(name.to_string(), chunk.join(","))])
                    .collect(),
                IDS_PER_LOOKUP as u32,
            ),
            _ => (vec![Vec::new()], ListOptions::default().page_size),
        };
        for query in queries {
            let options = ListOptions {
                page_size,
                ..ListOptions::default()
            };
            let (rows, _) = self.list(query, options);
            rows.try_for_each(|row| {
                keep(row);
                futures::future::ready(Ok(()))
            })
            .await?;
        }
        Ok(found)
    }

    /// Sends `rows` as `op`, `options.concurrency` requests at a time, telling `sink` what is
    /// sent and how each row ended. Every row gets one outcome, except when an error that
    /// would fail every request (credentials, settings) stops the job: it is returned, and
    /// the rows not yet finished have no outcome (a later run sends them).
    pub async fn bulk<S: BulkSink>(
        &self,
        op: BulkOp,
        rows: Vec<BulkRow>,
        options: BulkOptions,
        sink: S,
    ) -> Result<S, Error> {
        let needed = match op {
            BulkOp::Create => Ops::CREATE,
            BulkOp::Update => Ops::UPDATE,
            BulkOp::Delete => Ops::DELETE,
        };
        if !self.resource().ops.contains(needed) {
            // The one-object requests refuse it with the usual error.
            match op {
                BulkOp::Create => self.create_request(Vec::new())?,
                BulkOp::Update => self.update_request(Vec::new())?,
                _ => self.delete_request("0", &[])?,
            };
        }
        let size = match op {
            BulkOp::Delete => 1,
            _ => options.batch.max(1),
        };
        let sink = Mutex::new(sink);
        let mut batches = Vec::new();
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            batches.push(rows.by_ref().take(size).collect::<Vec<_>>());
        }
        futures::stream::iter(batches)
            .map(|batch| self.send_batch(op, batch, &sink))
            .buffer_unordered(options.concurrency.max(1))
            .try_for_each(|()| futures::future::ready(Ok(())))
            .await?;
        Ok(sink.into_inner().unwrap_or_else(PoisonError::into_inner))
    }

    /// One batch, narrowed down when Halo refuses it.
    fn send_batch<'a, S: BulkSink>(
        &'a self,
        op: BulkOp,
        rows: Vec<BulkRow>,
        sink: &'a Mutex<S>,
    ) -> BoxFuture<'a, Result<(), Error>> {
        async move {
            let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
            lock(sink).sending(&lines);
            let sent = match op {
                BulkOp::Delete => self.delete_row(&rows[0]).await.map(|_| Vec::new()),
                _ => self.post_rows(op, &rows).await,
            };
            match sent {
                Ok(reply) => {
                    let results = self.saved(op, &rows, reply);
                    lock(sink).finished(&results);
                    Ok(())
                }
                Err(err) => self.refused(op, rows, err, sink).await,
            }
        }
        .boxed()
    }

    async fn post_rows(&self, op: BulkOp, rows: &[BulkRow]) -> Result<Vec<Value>, Error> {
        let objects: Vec<Value> = rows.iter().map(|r| r.object.clone()).collect();
        let mut req = match op {
            BulkOp::Create => self.create_request(objects)?,
            _ => self.update_request(objects)?,
        };
        if rows.len() > 1 && self.resource().post_returnall {
            // Halo quirk (`post_returnall`): without it a POST of many answers one object.
            req = req.query("returnall", "true");
        }
        let resp = self.client().send(&req).await?;
        if op == BulkOp::Update {
            // A 2xx means the array was saved; its echo is not needed.
            return Ok(Vec::new());
        }
        Ok(match resp.json::<Value>()? {
            Value::Array(items) => items,
            other => vec![other],
        })
    }

    async fn delete_row(&self, row: &BulkRow) -> Result<Value, Error> {
        let id = row.object.get("id").map(id_text).unwrap_or_default();
        let query: Vec<(String, String)> = row
            .object
            .get("ticket_id")
            .filter(|_| self.resource().id == IdKind::PerTicket)
            .map(|t| vec![("ticket_id".to_string(), id_text(t))])
            .unwrap_or_default();
        self.delete(&id, &query).await
    }

    /// The outcomes of a batch Halo accepted.
    fn saved(&self, op: BulkOp, rows: &[BulkRow], reply: Vec<Value>) -> Vec<RowResult> {
        match op {
            BulkOp::Update => rows
                .iter()
                .map(|r| RowResult::new(r, Outcome::Updated))
                .collect(),
            BulkOp::Delete => rows
                .iter()
                .map(|r| RowResult::new(r, Outcome::Deleted))
                .collect(),
            _ if reply.len() == rows.len() => rows
                .iter()
                .zip(reply)
                .map(|(r, saved)| {
                    let mut result = RowResult::new(r, Outcome::Created);
                    result.id = saved.get("id").cloned();
                    result
                })
                .collect(),
            _ => {
                let why = format!(
                    "Halo saved the batch but answered {} object(s) for {} sent, so which id is whose is unknown; not sent again",
                    reply.len(),
                    rows.len()
                );
                rows.iter()
                    .map(|r| RowResult::new(r, Outcome::Unknown).because(why.clone(), None))
                    .collect()
            }
        }
    }

    /// What to do when a batch failed: narrow a refusal down to the rows refused, report the
    /// rest.
    async fn refused<S: BulkSink>(
        &self,
        op: BulkOp,
        rows: Vec<BulkRow>,
        err: Error,
        sink: &Mutex<S>,
    ) -> Result<(), Error> {
        match fate(err)? {
            Fate::Refused {
                status, message, ..
            } if rows.len() == 1 => {
                let result =
                    RowResult::new(&rows[0], Outcome::Failed).because(message, Some(status));
                lock(sink).finished(&[result]);
                Ok(())
            }
            Fate::Refused { status, body, .. } => {
                let named: Vec<(usize, String)> = element_errors(&body)
                    .into_iter()
                    .filter(|(i, _)| *i < rows.len())
                    .collect();
                if named.is_empty() {
                    // Nothing says which rows: halves, each sent on its own.
                    let mut left = rows;
                    let right = left.split_off(left.len() / 2);
                    self.send_batch(op, left, sink).await?;
                    return self.send_batch(op, right, sink).await;
                }
                let mut failed = Vec::new();
                let mut rest = Vec::new();
                for (i, row) in rows.into_iter().enumerate() {
                    match named.iter().find(|(n, _)| *n == i) {
                        Some((_, why)) => failed.push(
                            RowResult::new(&row, Outcome::Failed)
                                .because(why.clone(), Some(status)),
                        ),
                        None => rest.push(row),
                    }
                }
                lock(sink).finished(&failed);
                if rest.is_empty() {
                    return Ok(());
                }
                self.send_batch(op, rest, sink).await
            }
            Fate::MaybeSaved { status, message } if op == BulkOp::Create => {
                let results: Vec<RowResult> = rows
                    .iter()
                    .map(|r| {
                        RowResult::new(r, Outcome::Unknown).because(
                            format!("{message} (it may have been saved: not sent again)"),
                            status,
                        )
                    })
                    .collect();
                lock(sink).finished(&results);
                Ok(())
            }
            Fate::MaybeSaved { status, message } | Fate::Passing { status, message } => {
                let results: Vec<RowResult> = rows
                    .iter()
                    .map(|r| {
                        let mut result =
                            RowResult::new(r, Outcome::Failed).because(message.clone(), status);
                        result.retry = true;
                        result
                    })
                    .collect();
                lock(sink).finished(&results);
                Ok(())
            }
        }
    }
}

fn lock<S>(sink: &Mutex<S>) -> std::sync::MutexGuard<'_, S> {
    sink.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn model_state_keys_name_the_elements() {
        let body = r#"{"[3].client_id": ["The client_id 999 does not exist."], "[0]": ["A site_id must be given with a user_id."], "[3].site_id": "bad", "message": "x", "[x]": ["?"]}"#;
        assert_eq!(
            element_errors(body),
            vec![
                (0, "A site_id must be given with a user_id.".to_string()),
                (
                    3,
                    "client_id: The client_id 999 does not exist.; site_id: bad".to_string()
                ),
            ]
        );
        assert!(element_errors("An Outcome must be entered").is_empty());
        assert!(element_errors(r#"{"message":"no"}"#).is_empty());
        assert!(element_errors(r#"{"[1].x": ["cut"#).is_empty());
    }

    #[test]
    fn applied_changes_are_recognised_whatever_the_id_spelling() {
        let current = json!({"id": 7, "status_id": 9, "summary": "Printer",
            "customfields": [{"id": 101, "name": "CFContractRef", "value": "C-1"}, {"id": 102, "value": 4}]});
        assert!(already_applied(
            &json!({"id": "7", "status_id": "9"}),
            &current
        ));
        assert!(already_applied(
            &json!({"id": 7, "status_id": 9.0, "_novalidate": true}),
            &current
        ));
        assert!(already_applied(
            &json!({"id": 7, "customfields": [{"id": 102, "value": "4"}]}),
            &current
        ));
        assert!(already_applied(
            &json!({"id": 7, "customfields": [{"name": "cfcontractref", "value": "C-1"}]}),
            &current
        ));
        assert!(!already_applied(
            &json!({"id": 7, "status_id": 2}),
            &current
        ));
        assert!(!already_applied(&json!({"id": 7, "agent_id": 2}), &current));
        assert!(already_applied(
            &json!({"id": 7, "agent_id": null}),
            &current
        ));
        assert!(!already_applied(
            &json!({"id": 7, "customfields": [{"id": 101, "value": "C-2"}]}),
            &current
        ));
        assert!(!already_applied(
            &json!({"id": 7, "summary": "printer"}),
            &current
        ));
    }

    #[test]
    fn results_read_back_as_written() {
        let r = RowResult {
            line: 4,
            id: Some(json!(12)),
            outcome: Outcome::Failed,
            message: Some("no".into()),
            status: Some(400),
            retry: false,
        };
        let text = serde_json::to_string(&r).expect("json");
        assert_eq!(
            text,
            r#"{"line":4,"id":12,"outcome":"failed","message":"no","status":400}"#
        );
        assert_eq!(serde_json::from_str::<RowResult>(&text).expect("back"), r);
        assert_eq!(Outcome::Unknown.as_str(), "unknown");
    }
}
