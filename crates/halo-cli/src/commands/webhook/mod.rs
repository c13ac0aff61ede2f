//! `halo webhook`: receive Halo's webhooks (`listen`), list what was received (`events`),
//! hand events to a handler again (`replay`), manage the Webhook objects in Halo that post
//! to the receiver (`register`, `list`, `remove`) and journal what Halo's delivery log holds
//! that the receiver missed (`backfill`). The receiving, the journal and the handling rules
//! are `halo_webhook`'s; this module holds the flags, the `--out` handler and what is
//! printed.

pub mod backfill;
mod configs;
pub mod events;
pub mod list;
pub mod listen;
mod out;
pub mod register;
pub mod remove;
pub mod replay;

use crate::commands::mirror::db::{self as mirror_db, DbFlag, data_dir};
use crate::context::Context;
use crate::exit::Failure;
use crate::fsutil;
use crate::session::RequestFlags;
use anyhow::{Context as _, Result};
use halo_mirror::Mirror;
use halo_webhook::{Exec, Handler, MirrorCounts, MirrorHandler, Note, Notes, Policy};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// `halo webhook ...`.
#[derive(Debug, clap::Subcommand)]
pub enum WebhookCommand {
    /// Receive Halo's webhooks: journal each delivery durably, then hand every event to a
    /// handler (at least once, in order per object).
    #[command(after_help = "Examples:
  halo webhook listen --bind 0.0.0.0:8443 --path /hooks/$SECRET --tls-cert cert.pem --tls-key key.pem --out ./events
  echo \"$PASSWORD\" | halo webhook listen --bind 127.0.0.1:8080 --basic-user halo --basic-password-stdin --exec ./on-event
  halo webhook listen --bind 127.0.0.1:8080 --path /hooks/$SECRET --mirror   # the mirror stays live, no sync run
  halo webhook listen --bind 127.0.0.1:8080          # journal only: handle later with `halo webhook replay`

A delivery is answered 200 only once it is on disk. Refused, and not journaled: a wrong path
(404), a missing or wrong credential (401), a body over --max-body (413), anything but a
JSON event object or array of them (400). An event seen before (same `id`, or the same
webhook, object, event and timestamp) is acknowledged and kept once. /healthz and /metrics
(Prometheus) answer on the same port. SIGTERM or Ctrl-C stops it gracefully; the events not
yet handled are handed over again at the next start.")]
    Listen(listen::ListenArgs),
    /// List the journaled events, oldest first.
    #[command(after_help = "Examples:
  halo webhook events --status dead
  halo webhook events --since 2h -o json
  halo webhook events --since 2026-01-15 --status pending")]
    Events(events::EventsArgs),
    /// Hand journaled events to a handler again: by number, since a time, or the dead letters.
    #[command(after_help = "Examples:
  halo webhook replay --dead --exec ./on-event
  halo webhook replay --since 1h --mirror=./mirror.sqlite
  halo webhook replay 17 18 --out ./events
  halo webhook replay --since 1h --exec ./on-event --max-attempts 1")]
    Replay(replay::ReplayArgs),
    /// Create (or update: same name or URL) the Webhook in Halo that posts to a receiver.
    #[command(after_help = "Examples:
  echo \"$PASSWORD\" | halo webhook register --url https://hooks.example.com/hooks/$SECRET \\
      --events 'New Ticket Logged,Ticket Updated,Ticket Status Changed' --basic-user halo --basic-password-stdin
  halo webhook register --url https://hooks.example.com/h --events 'Action Added' --payload event --name desk-actions

A webhook with the same name (ignoring case) or the same URL is updated, never doubled; its
other settings (batching, conditions) are kept. Without --basic-user it posts with no
authentication. The password is sent to Halo only: never printed or logged.")]
    Register(register::RegisterArgs),
    /// List the Webhook objects in Halo (their passwords never shown).
    #[command(after_help = "Examples:
  halo webhook list
  halo webhook list -o json")]
    List(list::ListArgs),
    /// Delete a Webhook object in Halo: by id, or every one posting to a URL.
    #[command(after_help = "Examples:
  halo webhook remove 0f6c2d1e-5b7a-4c1e-9d2a-3e4f5a6b7c8d
  halo webhook remove --url https://hooks.example.com/h")]
    Remove(remove::RemoveArgs),
    /// Journal the events of Halo's delivery log (/WebhookEvent) the receiver missed.
    #[command(after_help = "Examples:
  halo webhook backfill --since 6h
  halo webhook backfill --url https://hooks.example.com/hooks/$SECRET --journal ./hooks.sqlite
  halo webhook backfill --webhook 0f6c2d1e-5b7a-4c1e-9d2a-3e4f5a6b7c8d

Every delivery attempt Halo recorded (in the time asked for; of every webhook unless --url or
--webhook says which) is read and its request body
journaled: an event the journal holds already, by id or by occurrence, is not added again,
so backfilling twice adds nothing. The events added are pending: the next `halo webhook
listen` on the journal hands them to its handler (`halo webhook replay` does it now).")]
    Backfill(backfill::BackfillArgs),
}

/// Runs a `halo webhook` command.
pub async fn run(ctx: &mut Context, globals: &super::Globals, cmd: WebhookCommand) -> Result<()> {
    match cmd {
        WebhookCommand::Listen(args) => listen::run(ctx, globals, args).await,
        WebhookCommand::Events(args) => events::run(ctx, globals, args).await,
        WebhookCommand::Replay(args) => replay::run(ctx, globals, args).await,
        WebhookCommand::Register(args) => register::run(ctx, globals, args).await,
        WebhookCommand::List(args) => list::run(ctx, globals, args).await,
        WebhookCommand::Remove(args) => remove::run(ctx, globals, args).await,
        WebhookCommand::Backfill(args) => backfill::run(ctx, globals, args).await,
    }
}

// The journal every webhook command reads or writes. (No doc comment: clap would make it the
// description of every command that flattens this.)
#[derive(Debug, Clone, Default, clap::Args)]
pub struct JournalFlag {
    /// The journal, a SQLite file (default: webhook-journal.sqlite in halo's data directory).
    #[arg(long, value_name = "PATH", env = "HALO_WEBHOOK_JOURNAL")]
    pub journal: Option<PathBuf>,
}

impl JournalFlag {
    /// The journal's path; the default's directory is made owner-only when missing.
    fn path(&self, ctx: &Context) -> Result<PathBuf> {
        match &self.journal {
            Some(path) => Ok(path.clone()),
            None => {
                let dir = data_dir(ctx)?;
                fsutil::private_dir(&dir)?;
                Ok(dir.join("webhook-journal.sqlite"))
            }
        }
    }

    /// The path of a journal that must exist already (exit 4 when it does not).
    fn existing(&self, ctx: &Context) -> Result<PathBuf> {
        let path = self.path(ctx)?;
        if !path.is_file() {
            return Err(Failure::not_found(format!(
                "no journal at {}: `halo webhook listen` makes it",
                path.display()
            )));
        }
        Ok(path)
    }
}

// What handles each event. (No doc comment: see `JournalFlag`.)
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Handler")]
pub struct HandlerFlags {
    /// Run CMD per event, the event's JSON on its standard input (a program and its
    /// arguments separated by spaces, run directly, no shell); exit 0 means handled.
    #[arg(long, value_name = "CMD", conflicts_with_all = ["out", "mirror"])]
    pub exec: Option<String>,
    /// Write each event to DIR/<number>.json (atomically; made owner-only).
    #[arg(long, value_name = "DIR", conflicts_with = "mirror")]
    pub out: Option<PathBuf>,
    /// Keep the `halo sync` mirror live: each event's ticket (and for an action event its
    /// actions) fetched through the API and stored, a deleted ticket removed. Alone: the
    /// mirror `halo sync` uses; or a SQLite file or postgres:// URL (with `replay`, write
    /// --mirror=DB or put the event numbers first).
    #[arg(long, value_name = "PATH|URL", num_args = 0..=1, default_missing_value = "")]
    pub mirror: Option<String>,
    /// Attempts per event before it becomes a dead letter.
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub max_attempts: u32,
    /// The wait after an event's first failed attempt (doubling after each, up to 1m).
    #[arg(long, value_name = "DURATION", default_value = "500ms", value_parser = crate::session::parse_duration)]
    pub retry_delay: Duration,
    /// How long one --exec run may take before it is stopped and counted as failed.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = crate::session::parse_duration)]
    pub exec_timeout: Duration,
    /// Events of different objects handled at once.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub concurrency: u32,
    #[command(flatten)]
    pub requests: RequestFlags,
}

/// The handler the flags chose.
pub(crate) struct Chosen {
    /// What the dispatcher runs.
    pub handler: Arc<dyn Handler>,
    /// The same handler when it is the mirror's, for its counts.
    pub mirror: Option<Arc<MirrorHandler>>,
}

impl HandlerFlags {
    /// The handler the flags name, if any; `--mirror` opens the mirror (it must exist:
    /// `halo sync` makes it) and the profile's session.
    async fn handler(&self, ctx: &Context, profile: Option<&str>) -> Result<Option<Chosen>> {
        if let Some(command) = &self.exec {
            let mut words = command.split_whitespace();
            let program = words
                .next()
                .ok_or_else(|| Failure::usage("--exec needs a program"))?;
            let args = words.map(Into::into).collect();
            let exec = Exec::new(program, args, self.exec_timeout).hide_env(listen::PASSWORD_ENV);
            return Ok(Some(Chosen {
                handler: Arc::new(exec),
                mirror: None,
            }));
        }
        if let Some(dir) = &self.out {
            return Ok(Some(Chosen {
                handler: Arc::new(out::OutDir::new(dir)?),
                mirror: None,
            }));
        }
        if let Some(db) = &self.mirror {
            let flag = DbFlag {
                db: Some(db.clone()).filter(|d| !d.is_empty()),
            };
            let target = mirror_db::target(ctx, profile, &flag)?;
            let mirror = Mirror::open_existing(&target)
                .await
                .map_err(|e| crate::commands::mirror::failure(&target, e))?;
            let session = ctx.session(profile, &self.requests)?;
            let handler = Arc::new(MirrorHandler::new(session.client, mirror)?);
            return Ok(Some(Chosen {
                handler: handler.clone(),
                mirror: Some(handler),
            }));
        }
        Ok(None)
    }

    /// The handler's words for people: `exec ./on-event`, `files in ./events`, `the mirror`.
    fn describe(&self) -> Option<String> {
        match (&self.exec, &self.out, &self.mirror) {
            (Some(command), _, _) => Some(format!("exec {command}")),
            (None, Some(dir), _) => Some(format!("files in {}", dir.display())),
            (None, None, Some(db)) if db.is_empty() => Some("the mirror `halo sync` uses".into()),
            (None, None, Some(_)) => Some("the mirror given".into()),
            (None, None, None) => None,
        }
    }

    fn policy(&self) -> Policy {
        Policy {
            max_attempts: self.max_attempts,
            first_delay: self.retry_delay,
            max_delay: Duration::from_secs(60),
            concurrency: self.concurrency as usize,
        }
    }
}

/// A Basic user name as `--basic-user` takes it: not empty, no `:`.
fn check_user(user: &str) -> Result<()> {
    if user.is_empty() || user.contains(':') {
        return Err(Failure::usage(
            "--basic-user must be a non-empty name without ':'",
        ));
    }
    Ok(())
}

/// The Basic password: standard input's first line with `from_stdin`, else
/// HALO_WEBHOOK_PASSWORD; none is a usage error.
fn password(ctx: &mut Context, from_stdin: bool) -> Result<String> {
    let password = if from_stdin {
        let mut text = String::new();
        ctx.io
            .input()
            .read_to_string(&mut text)
            .context("cannot read standard input")?;
        text.trim_end_matches(['\r', '\n']).to_string()
    } else {
        ctx.env().var(listen::PASSWORD_ENV).unwrap_or_default()
    };
    if password.is_empty() {
        return Err(Failure::usage(format!(
            "--basic-user needs a password: --basic-password-stdin or {}",
            listen::PASSWORD_ENV
        )));
    }
    Ok(password)
}

/// What the mirror handler did, one line.
fn mirror_line(counts: &MirrorCounts) -> String {
    format!(
        "mirror: {} events: {} ticket fetches, {} action lists fetched, {} fetches saved by coalescing; {} rows stored, {} tickets removed, {} events ignored (not about a ticket)",
        counts.events,
        counts.ticket_fetches,
        counts.action_fetches,
        counts.coalesced,
        counts.upserted,
        counts.removed,
        counts.ignored
    )
}

/// The dispatcher's notes, one line each on standard error.
fn notes(ctx: &Context) -> Notes {
    let err = std::sync::Mutex::new(ctx.io.err_writer());
    Box::new(move |note| {
        let line = match note {
            Note::Retrying {
                event,
                attempts,
                error,
            } => format!(
                "event {}{}: attempt {attempts} failed: {error}; retrying",
                event.seq,
                object(event)
            ),
            Note::Dead {
                event,
                attempts,
                error,
            } => format!(
                "event {}{}: dead after {attempts} attempt{}: {error} (`halo webhook replay {}` runs it again)",
                event.seq,
                object(event),
                if attempts == 1 { "" } else { "s" },
                event.seq
            ),
            _ => return,
        };
        if let Ok(mut err) = err.lock() {
            let _ = writeln!(err, "{}", halopsa::redact::scrub(&line));
        }
    })
}

fn object(event: &halo_webhook::Event) -> String {
    match &event.fields.object_id {
        Some(id) => format!(" (object {id})"),
        None => String::new(),
    }
}

/// A time given as RFC 3339 (`2026-01-15T09:30:00Z`), a local date or date and time
/// (`2026-01-15`, `2026-01-15 09:30`), or a duration before now (`2h`, `7d`).
fn since(text: &str) -> Result<jiff::Timestamp, String> {
    if let Ok(t) = text.parse::<jiff::Timestamp>() {
        return Ok(t);
    }
    let local = |dt: jiff::civil::DateTime| {
        dt.to_zoned_datetime(jiff::tz::TimeZone::system())
            .map(|z| z.timestamp())
            .map_err(|e| e.to_string())
    };
    if let Ok(dt) = text.parse::<jiff::civil::DateTime>() {
        return local(dt);
    }
    if let Ok(date) = text.parse::<jiff::civil::Date>() {
        return local(date.to_datetime(jiff::civil::Time::midnight()));
    }
    let ago = crate::session::parse_duration(text).map_err(|_| {
        format!(
            "'{text}' is not a time: give 2026-01-15, 2026-01-15T09:30:00Z or a duration like 2h"
        )
    })?;
    let ago = jiff::SignedDuration::try_from(ago).map_err(|e| e.to_string())?;
    jiff::Timestamp::now()
        .checked_sub(ago)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_instants_dates_or_durations_ago() {
        let t = since("2026-01-15T09:30:00Z").unwrap();
        assert_eq!(t.to_string(), "2026-01-15T09:30:00Z");
        let date = since("2026-01-15").unwrap();
        let dt = since("2026-01-15 00:00").unwrap();
        assert_eq!(date, dt);
        let two_hours = jiff::SignedDuration::from_hours(2);
        let before = jiff::Timestamp::now() - two_hours;
        let ago = since("2h").unwrap();
        let after = jiff::Timestamp::now() - two_hours;
        assert!(before <= ago && ago <= after);
        let err = since("yesterday").unwrap_err();
        assert!(err.contains("is not a time"), "{err}");
    }
}
