//! `halo webhook events`: the journal's events, oldest first.

use super::JournalFlag;
use crate::commands::Globals;
use crate::commands::query_rows::{self, RowsOut};
use crate::context::Context;
use crate::output::Format;
use anyhow::Result;
use halo_webhook::{Event, Journal, Query, Status};
use halopsa::reports::ReportTable;
use serde_json::{Map, Value, json};

/// `halo webhook events`.
#[derive(Debug, clap::Args)]
pub struct EventsArgs {
    /// Only events received at or after T: 2026-01-15, 2026-01-15T09:30:00Z, or a duration
    /// before now (2h, 7d).
    #[arg(long, value_name = "T", value_parser = super::since)]
    pub since: Option<jiff::Timestamp>,
    /// Only events in this state.
    #[arg(long, value_parser = ["pending", "done", "dead"])]
    pub status: Option<String>,
    /// The most events shown (the oldest first).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: Option<u64>,
    #[command(flatten)]
    pub journal: JournalFlag,
}

/// The columns of every format; JSON, NDJSON and YAML add the event itself (`payload`).
const COLUMNS: [&str; 9] = [
    "seq",
    "status",
    "attempts",
    "received_at",
    "event",
    "object_id",
    "webhook_id",
    "id",
    "last_error",
];

/// Runs `halo webhook events`.
pub async fn run(ctx: &mut Context, globals: &Globals, args: EventsArgs) -> Result<()> {
    let path = args.journal.existing(ctx)?;
    let journal = Journal::open(&path)?;
    let events = journal
        .list(Query {
            since: args.since,
            status: args.status.as_deref().and_then(Status::parse),
            limit: args.limit.map(|l| usize::try_from(l).unwrap_or(usize::MAX)),
        })
        .await?;
    let whole = matches!(
        globals.output.effective(),
        Format::Json | Format::Ndjson | Format::Yaml
    );
    let mut columns: Vec<String> = COLUMNS.map(String::from).to_vec();
    if whole {
        columns.push("payload".into());
    }
    let table = ReportTable {
        columns,
        rows: events.iter().map(|e| row(e, whole)).collect(),
    };
    query_rows::write(ctx, globals, &table, &RowsOut::default())
}

fn row(e: &Event, whole: bool) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("seq".into(), json!(e.seq));
    m.insert("status".into(), json!(e.status.as_str()));
    m.insert("attempts".into(), json!(e.attempts));
    m.insert("received_at".into(), json!(e.received_at.to_string()));
    m.insert("event".into(), json!(e.fields.event));
    m.insert("object_id".into(), json!(e.fields.object_id));
    m.insert("webhook_id".into(), json!(e.fields.webhook_id));
    m.insert("id".into(), json!(e.fields.delivery_id));
    m.insert("last_error".into(), json!(e.last_error));
    if whole {
        let payload = serde_json::from_str(&e.body).unwrap_or(Value::String(e.body.clone()));
        m.insert("payload".into(), payload);
    }
    m
}
