//! `halo webhook backfill`: the events of Halo's delivery log (`/WebhookEvent`, one record
//! per attempt) put in the journal, so that what the receiver missed while it was down
//! reaches the handler. The journal's de-duplication keeps each event once: those it had
//! already (and the repeated attempts of one delivery) are not added again.

use super::JournalFlag;
use crate::commands::Globals;
use crate::context::Context;
use crate::exit::Failure;
use crate::output::write_object;
use crate::session::RequestFlags;
use anyhow::Result;
use futures::TryStreamExt;
use halo_webhook::{Incoming, Journal};
use halopsa::ListOptions;
use halopsa::models::{HaloDate, WebhookEvent};
use serde_json::{Value, json};
use std::borrow::Cow;
use std::collections::HashSet;

/// The most events one journal transaction takes.
const CHUNK: usize = 1000;

/// `halo webhook backfill`.
#[derive(Debug, clap::Args)]
pub struct BackfillArgs {
    /// Only delivery attempts made at or after T (2026-01-15, 2026-01-15T09:30:00Z, 2h).
    #[arg(long, value_name = "T", value_parser = super::since)]
    pub since: Option<jiff::Timestamp>,
    /// Only the deliveries of this webhook (its id, as `halo webhook list` shows it).
    #[arg(long, value_name = "ID", conflicts_with = "url")]
    pub webhook: Option<String>,
    /// Only the deliveries of the webhooks posting to this URL (the receiver's).
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    #[command(flatten)]
    pub journal: JournalFlag,
    #[command(flatten)]
    pub requests: RequestFlags,
}

/// What a backfill found and did.
#[derive(Debug, Default, PartialEq, Eq)]
struct Tally {
    /// Delivery records read (in the time asked for).
    records: usize,
    /// Of them, attempts the receiver did not acknowledge.
    failed: usize,
    /// Records with no request body (Halo may leave it out).
    bodiless: usize,
    /// Records whose request body is no event (not kept).
    unreadable: usize,
    /// Distinct events in the records.
    events: usize,
    /// Events journaled now.
    added: usize,
    /// Events the journal had already.
    known: usize,
}

/// Runs `halo webhook backfill`.
pub async fn run(ctx: &mut Context, globals: &Globals, args: BackfillArgs) -> Result<()> {
    let path = args.journal.path(ctx)?;
    let timeout = args.requests.timeout(true);
    let records = crate::session::bounded(timeout, async {
        let s = ctx.session(globals.profile.as_deref(), &args.requests)?;
        let webhooks: Vec<Option<String>> = match (&args.webhook, &args.url) {
            (Some(id), _) => vec![Some(id.trim().to_string())],
            (None, Some(url)) => {
                let ids: Vec<Option<String>> = super::configs::all(&s.client)
                    .await?
                    .into_iter()
                    .filter(|h| {
                        h.url
                            .as_deref()
                            .is_some_and(|u| super::configs::same_url(u, url))
                    })
                    .filter_map(|h| h.id.map(Some))
                    .collect();
                if ids.is_empty() {
                    return Err(Failure::not_found(format!("no webhook posts to {url}")));
                }
                ids
            }
            (None, None) => vec![None],
        };
        let mut records = Vec::new();
        for webhook in webhooks {
            let query = webhook
                .map(|id| vec![("webhook_id".to_string(), id)])
                .unwrap_or_default();
            // Read untyped: what a record holds is parsed leniently here (`request_body`).
            let (rows, _) = s
                .client
                .typed::<WebhookEvent>()?
                .untyped()
                .list(query, ListOptions::default());
            records.extend(rows.try_collect::<Vec<Value>>().await?);
        }
        Ok(records)
    })
    .await?;
    let (events, mut tally) = events_of(records, args.since);
    let journal = Journal::open(&path)?;
    for chunk in events.chunks(CHUNK) {
        let appended = journal.append(chunk.to_vec()).await?;
        tally.added += appended.new.len();
        tally.known += appended.duplicates;
    }
    if tally.unreadable > 0 {
        writeln!(
            ctx.io.err(),
            "{} delivery record{} had a body that is no event: not journaled",
            tally.unreadable,
            if tally.unreadable == 1 { "" } else { "s" }
        )?;
    }
    if globals.output.asks_for_data() {
        let summary = json!({
            "journal": path.display().to_string(),
            "records": tally.records,
            "failed_attempts": tally.failed,
            "without_body": tally.bodiless,
            "unreadable": tally.unreadable,
            "events": tally.events,
            "added": tally.added,
            "already_journaled": tally.known,
        });
        return write_object(ctx.io.out(), &summary, &globals.output);
    }
    writeln!(
        ctx.io.out(),
        "backfill: {} delivery record{} ({} failed), {} distinct event{}: {} added to {}, {} already there",
        tally.records,
        if tally.records == 1 { "" } else { "s" },
        tally.failed,
        tally.events,
        if tally.events == 1 { "" } else { "s" },
        tally.added,
        path.display(),
        tally.known
    )?;
    if tally.added > 0 {
        writeln!(
            ctx.io.out(),
            "  the next `halo webhook listen` on this journal hands {} to its handler (or `halo webhook replay --since` now)",
            if tally.added == 1 { "it" } else { "them" }
        )?;
    }
    Ok(())
}

/// The events of `records` (those at or after `since`), oldest attempt first, each once.
/// A record with no readable time is kept (a missed event costs more than a duplicate,
/// which the journal drops).
fn events_of(records: Vec<Value>, since: Option<jiff::Timestamp>) -> (Vec<Incoming>, Tally) {
    let mut tally = Tally::default();
    let mut timed: Vec<(Option<jiff::Timestamp>, Value)> = records
        .into_iter()
        .map(|r| {
            let at = r
                .get("timestamp")
                .and_then(Value::as_str)
                .and_then(|t| HaloDate::new(t).timestamp());
            (at, r)
        })
        .filter(|(at, _)| match (since, at) {
            (Some(since), Some(at)) => *at >= since,
            _ => true,
        })
        .collect();
    // Halo lists the records in no documented order; the journal's order is the handler's.
    timed.sort_by_key(|(at, _)| *at);
    let mut seen = HashSet::new();
    let mut events = Vec::new();
    for (_, record) in timed {
        tally.records += 1;
        let acknowledged = record
            .get("responsestatus")
            .and_then(Value::as_i64)
            .is_some_and(|s| (200..300).contains(&s));
        if !acknowledged {
            tally.failed += 1;
        }
        let Some(body) = request_body(&record) else {
            tally.bodiless += 1;
            continue;
        };
        match halo_webhook::payload::parse(body.as_bytes()) {
            Ok(incoming) => {
                for event in incoming {
                    if seen.insert(key(&event)) {
                        events.push(event);
                    }
                }
            }
            Err(_) => tally.unreadable += 1,
        }
    }
    tally.events = events.len();
    (events, tally)
}

/// What identifies an event for the journal's de-duplication: its delivery id, else its
/// occurrence, else its body.
fn key(event: &Incoming) -> String {
    let f = &event.fields;
    match (&f.delivery_id, &f.timestamp) {
        (Some(id), _) => format!("id\0{id}"),
        (None, Some(at)) => format!(
            "at\0{}\0{}\0{}\0{at}",
            f.webhook_id.as_deref().unwrap_or_default(),
            f.object_id.as_deref().unwrap_or_default(),
            f.event.as_deref().unwrap_or_default()
        ),
        (None, None) => format!("body\0{}", event.body),
    }
}

/// The body a record says was posted. Halo quirk (reference §13.5): `requestbody` is the
/// posted text, a string holding JSON; a body given as JSON itself is read too.
fn request_body(record: &Value) -> Option<Cow<'_, str>> {
    match record.get("requestbody")? {
        Value::String(text) if !text.trim().is_empty() => Some(Cow::Borrowed(text)),
        value @ (Value::Object(_) | Value::Array(_)) => Some(Cow::Owned(value.to_string())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(at: &str, status: i64, body: Value) -> Value {
        json!({"timestamp": at, "responsestatus": status, "requestbody": body})
    }

    #[test]
    fn events_come_oldest_first_each_once() {
        let a = json!({"id": "a", "object_id": 1, "event": "Ticket Updated"});
        let b = json!({"id": "b", "object_id": 1, "event": "Ticket Updated"});
        let c = json!({"object_id": 2, "event": "x", "timestamp": "2026-01-15T09:00:00Z"});
        let records = vec![
            record("2026-01-15T10:00:02Z", 500, json!(b.to_string())),
            record("2026-01-15T10:00:01Z", 0, json!(a.to_string())),
            record("2026-01-15T10:00:03Z", 500, json!(a.to_string())),
            record("2026-01-15T10:00:04Z", 200, json!([c.clone(), c])),
            record("2026-01-15T10:00:05Z", 500, json!("not json")),
            record("2026-01-15T10:00:06Z", 500, Value::Null),
        ];
        let (events, tally) = events_of(records, None);
        let ids: Vec<_> = events
            .iter()
            .map(|e| e.fields.delivery_id.clone().unwrap_or_default())
            .collect();
        assert_eq!(ids, ["a", "b", ""]);
        assert_eq!(
            tally,
            Tally {
                records: 6,
                failed: 5,
                bodiless: 1,
                unreadable: 1,
                events: 3,
                ..Tally::default()
            }
        );
    }

    #[test]
    fn since_leaves_out_older_attempts_but_not_untimed_ones() {
        let body = |id: &str| json!(json!({"id": id}).to_string());
        let records = vec![
            record("2026-01-15T09:00:00Z", 500, body("old")),
            record("2026-01-15T11:00:00Z", 500, body("new")),
            json!({"requestbody": body("untimed")}),
        ];
        let since = "2026-01-15T10:00:00Z".parse().unwrap();
        let (events, tally) = events_of(records, Some(since));
        let ids: Vec<_> = events
            .iter()
            .map(|e| e.fields.delivery_id.clone().unwrap_or_default())
            .collect();
        assert_eq!(ids, ["untimed", "new"]);
        assert_eq!(tally.records, 2, "the older attempt is not read");
    }
}
