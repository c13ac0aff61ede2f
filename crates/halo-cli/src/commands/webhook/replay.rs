//! `halo webhook replay`: chosen events made pending again and handed to a handler now, in
//! order per object, with the same retries and dead letters as `listen`.

use super::{HandlerFlags, JournalFlag};
use crate::commands::Globals;
use crate::context::Context;
use crate::exit::Failure;
use anyhow::Result;
use halo_webhook::{Dispatcher, Event, Journal, Metrics, Query, Status};
use std::sync::Arc;

/// `halo webhook replay`.
#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// The events: journal numbers (as `halo webhook events` shows) or delivery ids.
    #[arg(value_name = "ID", conflicts_with_all = ["since", "dead"])]
    pub ids: Vec<String>,
    /// Every event received at or after T (2026-01-15, 2026-01-15T09:30:00Z, 2h).
    #[arg(long, value_name = "T", value_parser = super::since)]
    pub since: Option<jiff::Timestamp>,
    /// The dead letters (with --since: those received since T).
    #[arg(long)]
    pub dead: bool,
    #[command(flatten)]
    pub journal: JournalFlag,
    #[command(flatten)]
    pub handler: HandlerFlags,
}

/// Runs `halo webhook replay`.
pub async fn run(ctx: &mut Context, globals: &Globals, args: ReplayArgs) -> Result<()> {
    if args.ids.is_empty() && args.since.is_none() && !args.dead {
        return Err(Failure::usage(
            "say which events: their numbers, --since T or --dead",
        ));
    }
    let Some(chosen) = args
        .handler
        .handler(ctx, globals.profile.as_deref())
        .await?
    else {
        return Err(Failure::usage(
            "say how to handle them: --exec CMD or --out DIR (or --mirror to update the mirror)",
        ));
    };
    let path = args.journal.existing(ctx)?;
    let journal = Journal::open(&path)?;
    let mut events = Vec::new();
    if args.ids.is_empty() {
        events = journal
            .list(Query {
                since: args.since,
                status: args.dead.then_some(Status::Dead),
                limit: None,
            })
            .await?;
    } else {
        for id in &args.ids {
            match journal.find(id).await? {
                Some(event) => events.push(event),
                None => {
                    return Err(Failure::not_found(format!(
                        "no event {id} in {}",
                        path.display()
                    )));
                }
            }
        }
        events.sort_by_key(|e| e.seq);
        events.dedup_by_key(|e| e.seq);
    }
    if events.is_empty() {
        writeln!(ctx.io.err(), "no events to replay")?;
        return Ok(());
    }
    let n = events.len();
    journal
        .requeue(events.iter().map(|e| e.seq).collect())
        .await?;
    let metrics = Arc::new(Metrics::default());
    let (feed, fed) = tokio::sync::mpsc::unbounded_channel();
    for event in events {
        let _ = feed.send(Event {
            status: Status::Pending,
            attempts: 0,
            last_error: None,
            finished_at: None,
            ..event
        });
    }
    drop(feed);
    Dispatcher::start(
        chosen.handler,
        journal,
        args.handler.policy(),
        metrics.clone(),
        super::notes(ctx),
        fed,
    )
    .finish()
    .await;
    let counts = metrics.counts();
    writeln!(
        ctx.io.err(),
        "replayed {n} event{}: {} handled, {} dead",
        if n == 1 { "" } else { "s" },
        counts.succeeded,
        counts.dead
    )?;
    if let Some(mirror) = &chosen.mirror {
        writeln!(ctx.io.err(), "{}", super::mirror_line(&mirror.counts()))?;
    }
    if counts.dead > 0 {
        anyhow::bail!(
            "{} of {n} events failed again and are dead letters: `halo webhook events --status dead` lists them",
            counts.dead
        );
    }
    Ok(())
}
