//! `halo sync`: brings the local mirror up to date (the engine is `halo_mirror::sync`): a
//! progress bar per resource on a terminal, always a summary of what changed.

use super::db::{self, DbFlag};
use crate::commands::Globals;
use crate::commands::export::interrupt::interruptible;
use crate::commands::query_rows;
use crate::context::Context;
use crate::exit::Failure;
use crate::session::RequestFlags;
use anyhow::Result;
use halo_mirror::sync::{Failed, Plan, Progress, Signal, Sweep, SyncError};
use halo_mirror::{Mirror, RunLine, RunSummary};
use halopsa::reports::ReportTable;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// `halo sync`.
#[derive(Debug, clap::Args)]
pub struct SyncArgs {
    #[command(flatten)]
    pub db: DbFlag,
    /// The resources: a comma list (tickets,actions,...) or `all` (default: tickets, actions,
    /// clients, sites, users, agents, assets, statuses, ticket types, teams, priorities).
    #[arg(long, value_name = "LIST|all")]
    pub resources: Option<String>,
    /// Clear each resource's rows and cursor, then rebuild them from Halo.
    #[arg(long)]
    pub full: bool,
    /// Look for rows deleted without trace now (by every id), not only when the last look
    /// is older than --sweep-age.
    #[arg(long)]
    pub sweep: bool,
    /// How old the last sweep may be before a sync runs one by itself, e.g. 7d, 12h.
    #[arg(long, value_name = "AGE", default_value = "7d", value_parser = crate::session::parse_duration)]
    pub sweep_age: Duration,
    /// Wait up to this long (e.g. 5m) for another sync of the same mirror to end, instead
    /// of refusing at once.
    #[arg(long, value_name = "DURATION", value_parser = crate::session::parse_duration)]
    pub wait: Option<Duration>,
    /// Pages fetched at once after the first (1: one by one).
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub concurrency: usize,
    #[command(flatten)]
    pub requests: RequestFlags,
}

/// Runs `halo sync`.
pub async fn run(ctx: &mut Context, globals: &Globals, args: SyncArgs) -> Result<()> {
    let started = Instant::now();
    let tables =
        Plan::tables(args.resources.as_deref()).map_err(|e| Failure::usage(e.to_string()))?;
    let mut plan = Plan::new(tables);
    plan.full = args.full;
    plan.sweep = if args.sweep {
        Sweep::Now
    } else {
        Sweep::WhenOlder(args.sweep_age)
    };
    plan.wait = args.wait;
    plan.concurrency = args.concurrency.max(1);
    let target = db::target(ctx, globals.profile.as_deref(), &args.db)?;
    db::make_room(&target)?;
    let session = ctx.session(globals.profile.as_deref(), &args.requests)?;
    let mirror = Mirror::open(&target)
        .await
        .map_err(|e| super::failure(&target, e))?;
    let bars = Bars::new(ctx.io.stderr_tty);
    let done = interruptible(
        halo_mirror::sync::sync(&session.client, &mirror, &plan, &bars),
        args.requests.timeout(true),
    )
    .await;
    bars.clear();
    let continues = format!("what was stored in {target} is kept; `halo sync` continues it");
    match done {
        Ok(Ok(summary)) => summarize(ctx, globals, &summary, started.elapsed()),
        Ok(Err(Failed { error, summary })) => {
            summarize(ctx, globals, &summary, started.elapsed())?;
            Err(match error {
                SyncError::Mirror(e @ halo_mirror::MirrorError::Busy(_)) => {
                    super::failure(&target, e)
                }
                SyncError::Api(e) => {
                    let cause = anyhow::Error::new(e);
                    anyhow::Error::new(Failure {
                        code: crate::exit::code_for(&cause),
                        message: format!("{}: {continues}", crate::exit::line(&cause)),
                    })
                }
                other => anyhow::anyhow!("{other}: {continues}"),
            })
        }
        Err(stop) => Err(stop.error(&format!(": {continues}"))),
    }
}

/// The summary: a row per resource (new, changed, deleted, requests) in the output format,
/// and the total time on standard error.
fn summarize(
    ctx: &mut Context,
    globals: &Globals,
    summary: &RunSummary,
    took: Duration,
) -> Result<()> {
    let mut rows: Vec<Map<String, Value>> = summary.resources.iter().map(row).collect();
    let total = |f: fn(&RunLine) -> u64| summary.resources.iter().map(f).sum::<u64>();
    rows.push(row(&RunLine {
        table: "total".into(),
        new: total(|l| l.new),
        changed: total(|l| l.changed),
        deleted: total(|l| l.deleted),
        requests: summary.requests,
    }));
    let table = ReportTable {
        columns: ["resource", "new", "changed", "deleted", "requests"]
            .map(String::from)
            .to_vec(),
        rows,
    };
    query_rows::write(ctx, globals, &table, &query_rows::RowsOut::default())?;
    writeln!(
        ctx.io.err(),
        "sync {} in {:.1}s ({} requests)",
        summary.outcome,
        took.as_secs_f64(),
        summary.requests
    )?;
    Ok(())
}

fn row(line: &RunLine) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("resource".into(), json!(line.table));
    m.insert("new".into(), json!(line.new));
    m.insert("changed".into(), json!(line.changed));
    m.insert("deleted".into(), json!(line.deleted));
    m.insert("requests".into(), json!(line.requests));
    m
}

/// A progress bar per resource on a terminal's standard error; nothing elsewhere.
struct Bars {
    multi: Option<indicatif::MultiProgress>,
    bars: Mutex<HashMap<String, indicatif::ProgressBar>>,
}

impl Bars {
    fn new(tty: bool) -> Bars {
        Bars {
            multi: tty.then(|| {
                indicatif::MultiProgress::with_draw_target(indicatif::ProgressDrawTarget::stderr())
            }),
            bars: Mutex::new(HashMap::new()),
        }
    }

    fn clear(&self) {
        if let Some(m) = &self.multi {
            let _ = m.clear();
        }
    }

    fn with(&self, table: &str, f: impl FnOnce(&indicatif::ProgressBar)) {
        if let Ok(bars) = self.bars.lock()
            && let Some(bar) = bars.get(table)
        {
            f(bar);
        }
    }
}

impl Progress for Bars {
    fn begin(&self, table: &str, signal: Signal) {
        let Some(multi) = &self.multi else { return };
        let bar = multi.add(indicatif::ProgressBar::new(0));
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{prefix:>16} {bar:30} {pos}/{len} rows  {per_sec}  {msg}",
        ) {
            bar.set_style(style);
        }
        bar.set_prefix(table.to_string());
        bar.set_message(signal.word());
        if let Ok(mut bars) = self.bars.lock() {
            bars.insert(table.to_string(), bar);
        }
    }

    fn advance(&self, table: &str, rows: u64, total: Option<u64>) {
        self.with(table, |bar| {
            if let Some(total) = total {
                bar.set_length(total.max(bar.position() + rows));
            } else if bar.length().is_some_and(|l| l < bar.position() + rows) {
                bar.set_length(bar.position() + rows);
            }
            bar.inc(rows);
        });
    }

    fn end(&self, line: &RunLine) {
        self.with(&line.table, |bar| {
            bar.finish_with_message(format!(
                "{} new, {} changed, {} deleted, {} requests",
                line.new, line.changed, line.deleted, line.requests
            ));
        });
    }
}
