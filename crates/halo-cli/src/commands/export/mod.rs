//! `halo export RESOURCE [filters]`: every row, streamed to a file in constant memory, written
//! through `FILE.partial` and moved into place when complete, resumable by page.
//!
//! [`decision`] decides what to do with `--out` (pure), [`target`] owns the files,
//! [`checkpoint`] and [`writer`] keep progress durable, [`sink`] writes the format,
//! [`convert`] writes CSV and JSON at the end, [`reconcile`] adds rows that moved, and
//! [`interrupt`] makes each step stoppable; [`job`] runs them in order.

mod checkpoint;
mod convert;
mod decision;
pub mod interrupt;
mod job;
mod reconcile;
mod sink;
mod target;
mod writer;

use crate::commands::Globals;
use crate::commands::resource::args::{FilterFlags, WalkFlags, WhereFlags};
use crate::commands::resource::custom;
use crate::commands::resource::filters::{self, SpecValues};
use crate::context::Context;
use crate::exit::Failure;
use crate::output::Format;
use crate::session::RequestFlags;
use anyhow::{Context as _, Result};
use clap::error::ErrorKind;
use clap::{Args, FromArgMatches, Subcommand};
use decision::{Asked, Plan};
use halopsa::ListOptions;
use halopsa::resource::{Ops, RESOURCES, Resource};
#[cfg(feature = "sandbox")]
pub use job::ndjson;
use job::{FilePlan, Job};
use sink::ExportFormat;
use std::time::Instant;

/// The command's name.
pub const NAME: &str = "export";

/// The flags of `halo export <resource>`.
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// File format (default ndjson; -o says the same).
    #[arg(long, value_enum)]
    pub format: Option<ExportFormat>,
    /// Write to FILE (through FILE.partial, moved into place when complete); default
    /// standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<String>,
    /// Continue an interrupted export of --out FILE.
    #[arg(long, requires = "out")]
    pub resume: bool,
    /// Replace an existing FILE or an interrupted export of it.
    #[arg(long)]
    pub force: bool,
    /// When rows moved during the export, walk again and add the ones missed.
    #[arg(long, requires = "out")]
    pub reconcile: bool,
    /// Rows per page.
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub page_size: u32,
    #[command(flatten)]
    pub walk: WalkFlags,
    #[command(flatten)]
    pub filter: FilterFlags,
    #[command(flatten)]
    pub conditions: WhereFlags,
    #[command(flatten)]
    pub requests: RequestFlags,
}

/// One `halo export <resource>`, parsed.
#[derive(Debug, Clone)]
pub struct ExportCommand {
    /// The resource.
    pub resource: &'static Resource,
    /// The fixed flags.
    pub args: ExportArgs,
    /// The filter flags given.
    pub spec: SpecValues,
}

/// The export command of `res`.
fn command(res: &'static Resource) -> clap::Command {
    let cmd = ExportArgs::augment_args(clap::Command::new(res.name));
    filters::with_spec_flags(cmd, res.path).about(format!(
        "Export every row of {} to a file or standard output: streamed, each row once, resumable",
        res.name
    ))
}

/// `cli` with the export command of each listable resource, or only of `only` when it names
/// one (a name that is no resource gets them all, so clap's error suggests the right one).
pub fn with_resources(cli: clap::Command, only: Option<&str>) -> clap::Command {
    let only = only.filter(|n| RESOURCES.iter().any(|r| r.name == *n));
    let resources: Vec<clap::Command> = RESOURCES
        .iter()
        .filter(|r| r.ops.contains(Ops::LIST))
        .filter(|r| only.is_none_or(|n| r.name == n))
        .map(command)
        .collect();
    cli.mut_subcommand(NAME, |export| export.subcommands(resources))
}

impl FromArgMatches for ExportCommand {
    fn from_arg_matches(m: &clap::ArgMatches) -> Result<Self, clap::Error> {
        let (name, em) = m
            .subcommand()
            .ok_or_else(|| clap::Error::new(ErrorKind::MissingSubcommand))?;
        let resource = crate::commands::resource::find(name).ok_or_else(|| {
            clap::Error::raw(
                ErrorKind::InvalidSubcommand,
                format!("no resource named '{name}'"),
            )
        })?;
        Ok(ExportCommand {
            resource,
            args: ExportArgs::from_arg_matches(em)?,
            spec: filters::spec_values(resource.path, em),
        })
    }

    fn update_from_arg_matches(&mut self, m: &clap::ArgMatches) -> Result<(), clap::Error> {
        *self = ExportCommand::from_arg_matches(m)?;
        Ok(())
    }
}

impl Subcommand for ExportCommand {
    /// The resources are added by [`with_resources`], only those an invocation needs.
    fn augment_subcommands(cmd: clap::Command) -> clap::Command {
        cmd
    }

    fn augment_subcommands_for_update(cmd: clap::Command) -> clap::Command {
        cmd
    }

    fn has_subcommand(name: &str) -> bool {
        crate::commands::resource::find(name).is_some()
    }
}

/// Runs `halo export`.
pub async fn run(ctx: &mut Context, globals: &Globals, cmd: ExportCommand) -> Result<()> {
    let (res, args) = (cmd.resource, &cmd.args);
    let format = export_format(args.format, globals.output.format)?;
    let columns = globals.output.columns.clone();
    if columns.is_some() && format != ExportFormat::Csv {
        return Err(Failure::usage(
            "--columns chooses the columns of CSV: give -o csv (JSON and NDJSON keep whole rows)",
        ));
    }
    let query = filters::query(res, res.path, &cmd.spec, &args.filter, false)?;
    let asked = Asked {
        force: args.force,
        resume: args.resume,
        reconcile: args.reconcile,
    };
    // What to do with --out is decided before anything is fetched.
    let out = target::examine(args.out.as_deref());
    let partial = match &out {
        decision::Out::Missing(p) | decision::Out::File(p) => {
            target::partial_exists(&checkpoint::sidecar(p, ".partial"))
        }
        _ => false,
    };
    let plan = decision::decide(out, partial, asked).map_err(Failure::usage)?;
    let session = ctx.session(globals.profile.as_deref(), &args.requests)?;
    let mut names = session.names();
    let query = query.resolve(&mut names).await?;
    let conditions = custom::conditions(&mut names, res, &args.conditions).await?;
    drop(names);
    let api = session.client.resource(res);
    let job = Job {
        client: &session.client,
        api: &api,
        resume: resume_command(globals, &cmd, format, &query),
        query,
        format,
        columns,
        options: ListOptions {
            page_size: args.page_size,
            concurrency: args.walk.concurrency,
            ..ListOptions::default()
        },
        timeout: args.requests.timeout(true),
        started: Instant::now(),
        conditions,
    };
    match plan {
        Plan::Stdout => job.to_stream(ctx, None, "standard output").await,
        Plan::Stream(path) => {
            // Written through, never replaced: a pipe's reader or a device gets the rows.
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .with_context(|| format!("cannot open {}", path.display()))?;
            job.to_stream(ctx, Some(file), &path.display().to_string())
                .await
        }
        Plan::Fresh { out, take_over, .. } => {
            job.to_file(ctx, &out, FilePlan::Fresh { take_over }, asked)
                .await
        }
        Plan::Resume(out) => job.to_file(ctx, &out, FilePlan::Resume, asked).await,
    }
}

/// The command that continues this export: the same resource, filters (as `--filter`s, in
/// the order they were sent), format, page size and file, with `--resume`; none of the
/// flags of one run (pacing, retries, `--force`).
fn resume_command(
    globals: &Globals,
    cmd: &ExportCommand,
    format: ExportFormat,
    query: &[(String, String)],
) -> String {
    let args = &cmd.args;
    let mut words = vec!["halo".to_string()];
    if let Some(p) = &globals.profile {
        words.extend(["--profile".into(), p.clone()]);
    }
    words.extend([NAME.to_string(), cmd.resource.name.to_string()]);
    for (k, v) in query {
        words.extend(["--filter".into(), format!("{k}={v}")]);
    }
    if args.filter.allow_unknown_filter {
        words.push("--allow-unknown-filter".into());
    }
    for c in &args.conditions.conditions {
        words.extend(["--where".into(), c.clone()]);
    }
    if format != ExportFormat::Ndjson {
        words.extend(["--format".into(), format.name().into()]);
    }
    if let Some(columns) = &globals.output.columns {
        words.extend(["--columns".into(), columns.join(",")]);
    }
    if args.page_size != 100 {
        words.extend(["--page-size".into(), args.page_size.to_string()]);
    }
    words.extend(["--out".into(), args.out.clone().unwrap_or_default()]);
    words.push("--resume".into());
    words
        .iter()
        .map(|w| shell_word(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The one format of an export: `--format` or `-o` (the same, or one of them), NDJSON when
/// neither says.
fn export_format(flag: Option<ExportFormat>, output: Option<Format>) -> Result<ExportFormat> {
    let from_output = match output {
        None => None,
        Some(Format::Ndjson) => Some(ExportFormat::Ndjson),
        Some(Format::Csv) => Some(ExportFormat::Csv),
        Some(Format::Json) => Some(ExportFormat::Json),
        Some(other) => {
            return Err(Failure::usage(format!(
                "an export writes ndjson, csv or json, not {}",
                format!("{other:?}").to_lowercase()
            )));
        }
    };
    match (flag, from_output) {
        (Some(a), Some(b)) if a != b => Err(Failure::usage(format!(
            "--format {} and -o {} disagree: give one",
            a.name(),
            b.name()
        ))),
        (a, b) => Ok(a.or(b).unwrap_or_default()),
    }
}

/// `word` as a POSIX shell reads it back: as it is when plain, else single-quoted.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:=,@%+".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_resume_command_repeats_what_selects_the_rows_and_nothing_of_one_run() {
        let tickets = crate::commands::resource::find("tickets").unwrap();
        let m = clap::Command::new("export")
            .subcommand(command(tickets))
            .try_get_matches_from([
                "export",
                "tickets",
                "--open-only",
                "--format",
                "csv",
                "--out",
                "my file.csv",
                "--no-rate-limit",
                "--max-retries",
                "0",
                "--force",
                "--where",
                "cf.Region=North",
            ])
            .unwrap();
        let cmd = ExportCommand::from_arg_matches(&m).unwrap();
        let query = filters::query(tickets, "Tickets", &cmd.spec, &cmd.args.filter, false)
            .unwrap()
            .without_names()
            .unwrap();
        let globals = Globals {
            profile: Some("acme".into()),
            output: crate::output::OutputOptions::resolve(None, None, false, None, true, || None),
            pager: false,
        };
        assert_eq!(
            resume_command(&globals, &cmd, ExportFormat::Csv, &query),
            "halo --profile acme export tickets --filter open_only=true --where cf.Region=North --format csv --out 'my file.csv' --resume"
        );
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(
            export_format(None, Some(Format::Csv)).unwrap(),
            ExportFormat::Csv
        );
        assert_eq!(export_format(None, None).unwrap(), ExportFormat::Ndjson);
        assert!(export_format(Some(ExportFormat::Json), Some(Format::Csv)).is_err());
        assert!(export_format(None, Some(Format::Table)).is_err());
    }
}
