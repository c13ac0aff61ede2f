//! The fixed flags of the resource verbs, as clap derive types. The filter flags derived from
//! Halo's OpenAPI file are added at run time ([`super::filters`]).

use crate::session::RequestFlags;
use clap::{Args, Subcommand};

/// A resource verb and its flags (the verbs a resource lacks are left out of its command).
#[derive(Debug, Clone, Subcommand)]
pub enum Verb {
    /// List rows.
    List(ListArgs),
    /// Show one object.
    Get(GetArgs),
    /// Count rows.
    Count(CountArgs),
    /// Create objects.
    Create(CreateArgs),
    /// Change an object.
    Update(UpdateArgs),
    /// Delete an object.
    Delete(DeleteArgs),
    /// Show a ticket readably, with its actions newest first.
    View(ViewArgs),
    /// Add a note to a ticket.
    Note(NoteArgs),
    /// Close a ticket.
    Close(CloseArgs),
    /// Assign a ticket to an agent or a team.
    Assign(AssignArgs),
    /// Run a saved report.
    Run(RunArgs),
    /// Save files to disk.
    Download(DownloadArgs),
    /// Attach files.
    Upload(UploadArgs),
}

/// `list`.
#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// Every row, page by page.
    #[arg(long, conflicts_with_all = ["limit", "page"])]
    pub all: bool,
    /// At most N rows (default 100).
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// Only page N.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..), conflicts_with = "limit")]
    pub page: Option<u32>,
    /// Rows per page (at most 100).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub page_size: Option<u32>,
    /// Ask Halo for the fields a list leaves out (includedetails=true: more per row, slower).
    #[arg(long)]
    pub details: bool,
    #[command(flatten)]
    pub walk: WalkFlags,
    #[command(flatten)]
    pub filter: FilterFlags,
    #[command(flatten)]
    pub conditions: WhereFlags,
    #[command(flatten)]
    pub requests: RequestFlags,
}

/// `get`.
#[derive(Debug, Clone, Args)]
pub struct GetArgs {
    /// The object's id.
    #[arg(value_name = "ID")]
    pub id: String,
    /// Ask for the fields Halo sends only on request (includedetails=true), such as an
    /// invoice's lines; most objects come whole without it.
    #[arg(long)]
    pub details: bool,
    #[command(flatten)]
    pub filter: FilterFlags,
    #[command(flatten)]
    pub conditions: WhereFlags,
    #[command(flatten)]
    pub requests: RequestFlags,
}

/// `count`.
#[derive(Debug, Clone, Args)]
pub struct CountArgs {
    #[command(flatten)]
    pub filter: FilterFlags,
    #[command(flatten)]
    pub requests: RequestFlags,
}

/// `create`.
#[derive(Debug, Clone, Args)]
pub struct CreateArgs {
    #[command(flatten)]
    pub write: WriteFlags,
    #[command(flatten)]
    pub bulk: BulkFlags,
    #[command(flatten)]
    pub requests: RequestFlags,
}

/// `update`.
#[derive(Debug, Clone, Args)]
pub struct UpdateArgs {
    /// The object's id (not with --from: each row gives its own).
    #[arg(
        value_name = "ID",
        required_unless_present = "from",
        conflicts_with = "from"
    )]
    pub id: Option<String>,
    /// Do not check the id exists before posting.
    #[arg(long)]
    pub skip_check: bool,
    #[command(flatten)]
    pub write: WriteFlags,
    #[command(flatten)]
    pub bulk: BulkFlags,
    #[command(flatten)]
    pub requests: RequestFlags,
}

/// `delete`.
#[derive(Debug, Clone, Args)]
pub struct DeleteArgs {
    /// The object's id (not with --from: each row gives its own).
    #[arg(
        value_name = "ID",
        required_unless_present = "from",
        conflicts_with = "from"
    )]
    pub id: Option<String>,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Print the exact request without sending it (with --from: the plan).
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub bulk: BulkFlags,
    #[command(flatten)]
    pub requests: RequestFlags,
}

// Many objects from a file. (No doc comment: see FilterFlags.)
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Many at once (--from FILE)")]
pub struct BulkFlags {
    /// Rows from FILE (`-`: standard input): NDJSON, a JSON array, or CSV with a header of
    /// field names (dotted for nested fields, cf.NAME for custom fields, name columns such
    /// as `client`)
    #[arg(long, value_name = "FILE|-")]
    pub from: Option<String>,
    /// The format of --from when its name does not end in .ndjson, .json or .csv
    #[arg(long, value_name = "FORMAT", requires = "from")]
    pub from_format: Option<super::bulk::input::FromFormat>,
    /// Objects per request (updates: 50; creates: 1; deletes are always one each)
    #[arg(long, value_name = "N", requires = "from", value_parser = clap::value_parser!(usize))]
    pub batch: Option<usize>,
    /// Requests in flight at once (the rate limit still holds)
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub concurrency: usize,
    /// Where each row's outcome goes, one NDJSON line per row [default: INPUT.results.ndjson]
    #[arg(long, value_name = "FILE", requires = "from")]
    pub results: Option<std::path::PathBuf>,
    /// Where the rows that did not succeed go, in the input's format [default:
    /// INPUT.rejects.EXT]
    #[arg(long, value_name = "FILE", requires = "from")]
    pub rejects: Option<std::path::PathBuf>,
    /// Go on with an earlier run from its results file: send only the rows it did not do
    #[arg(long, requires = "from")]
    pub resume: bool,
    /// Send an empty CSV cell as null (default: leave the field out)
    #[arg(long, requires = "from")]
    pub empty_as_null: bool,
}

// How a walk of every page goes. (No doc comment: see FilterFlags.)
#[derive(Debug, Clone, Args)]
pub struct WalkFlags {
    /// Pages fetched at once after the first (1: one by one).
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub concurrency: usize,
}

/// `view`.
#[derive(Debug, Clone, Args)]
pub struct ViewArgs {
    /// The ticket's id.
    #[arg(value_name = "ID")]
    pub id: String,
    /// How many of its actions to show, newest first.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub actions: usize,
    #[command(flatten)]
    pub requests: RequestFlags,
}

/// `run`.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// The report's id.
    #[arg(value_name = "ID")]
    pub id: String,
    /// Start of the reporting period: 2026-01-31, 2026-01-31T09:00, today, yesterday or an
    /// age like 30d.
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// End of the reporting period (default: now).
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    #[command(flatten)]
    pub out: crate::commands::query_rows::RowsOut,
    #[command(flatten)]
    pub requests: RequestFlags,
}

/// `note`.
#[derive(Debug, Clone, Args)]
pub struct NoteArgs {
    /// The ticket's id.
    #[arg(value_name = "ID")]
    pub id: String,
    /// The note.
    #[arg(value_name = "TEXT")]
    pub text: String,
    /// Hidden from the end user.
    #[arg(long)]
    pub private: bool,
    /// The action's outcome, by name (default: the tenant's note outcome).
    #[arg(long, value_name = "NAME")]
    pub outcome: Option<String>,
    /// Time spent, e.g. 15m, 1h30m, 1.5h.
    #[arg(long, value_name = "DURATION", value_parser = parse_hours)]
    pub time: Option<f64>,
    #[command(flatten)]
    pub requests: RequestFlags,
}

/// `close`.
#[derive(Debug, Clone, Args)]
pub struct CloseArgs {
    /// The ticket's id.
    #[arg(value_name = "ID")]
    pub id: String,
    /// A note to close it with (one action that adds the note and closes the ticket).
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// The closed status, by name (default: the tenant's 'Closed').
    #[arg(long, value_name = "NAME")]
    pub status: Option<String>,
    #[command(flatten)]
    pub requests: RequestFlags,
}

/// `assign`.
#[derive(Debug, Clone, Args)]
pub struct AssignArgs {
    /// The ticket's id.
    #[arg(value_name = "ID")]
    pub id: String,
    /// The agent, by name or id, or @me.
    #[arg(long, value_name = "NAME|@me", required_unless_present = "team")]
    pub agent: Option<String>,
    /// The team, by name or id.
    #[arg(long, value_name = "NAME")]
    pub team: Option<String>,
    #[command(flatten)]
    pub requests: RequestFlags,
}

/// `download`.
#[derive(Debug, Clone, Args)]
pub struct DownloadArgs {
    /// The attachments' ids.
    #[arg(value_name = "ID", required = true, num_args = 1..)]
    pub ids: Vec<u64>,
    /// An existing directory to save into (under the server's name, made safe), or the file
    /// to save one attachment as [default: the current directory].
    #[arg(long, value_name = "FILE|DIR")]
    pub out: Option<std::path::PathBuf>,
    /// Replace a file that exists.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub requests: RequestFlags,
}

/// `upload`.
#[derive(Debug, Clone, Args)]
pub struct UploadArgs {
    /// The files.
    #[arg(value_name = "FILE", required = true, num_args = 1..)]
    pub files: Vec<std::path::PathBuf>,
    /// The ticket to attach them to.
    #[arg(long, value_name = "ID")]
    pub ticket: u64,
    /// The action of the ticket to attach them to.
    #[arg(long, value_name = "ID")]
    pub action: Option<u64>,
    /// A note on each.
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// The largest file sent, in MiB (Halo's own limit is not public; the sandbox's default
    /// is 25): a larger one is refused before anything is sent.
    #[arg(long, value_name = "N", default_value_t = 25, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_mb: u64,
    #[command(flatten)]
    pub requests: RequestFlags,
}

/// Time spent as hours: `15m`, `1h30m`, `1.5h`, or plain minutes.
fn parse_hours(text: &str) -> Result<f64, String> {
    let t = text.trim().to_ascii_lowercase();
    let bad = || format!("'{text}' is not a time like 15m, 1h30m or 1.5h");
    if let Ok(minutes) = t.parse::<f64>() {
        return (minutes >= 0.0).then_some(minutes / 60.0).ok_or_else(bad);
    }
    let (mut hours, mut rest) = (0.0, t.as_str());
    if let Some((h, after)) = rest.split_once('h') {
        hours += h.parse::<f64>().map_err(|_| bad())?;
        rest = after;
    }
    if let Some(m) = rest.strip_suffix('m') {
        hours += m.parse::<f64>().map_err(|_| bad())? / 60.0;
    } else if !rest.is_empty() {
        return Err(bad());
    }
    (hours > 0.0).then_some(hours).ok_or_else(bad)
}

// Any filter by its exact name. (No doc comment: clap would make it the description of the
// commands that flatten this.)
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Filters")]
pub struct FilterFlags {
    /// Any Halo filter by its exact name (checked against Halo's OpenAPI file).
    #[arg(long = "filter", value_name = "NAME=VALUE")]
    pub filters: Vec<String>,
    /// Send a filter name Halo's OpenAPI file does not list (Halo ignores unknown names
    /// silently).
    #[arg(long)]
    pub allow_unknown_filter: bool,
}

// Conditions on the rows fetched, checked here. (No doc comment: see FilterFlags.)
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Filters")]
pub struct WhereFlags {
    /// Keep only rows where EXPR holds: cf.NAME=VALUE, cf.NAME!=VALUE, cf.NAME~TEXT
    /// (contains; NAME a custom field's label or name, VALUE a lookup's name or id), or the
    /// same on a field's dotted name (status_name=New); repeated, all must hold. Checked
    /// here, not by Halo (it cannot filter on custom fields): the rows are still fetched.
    #[arg(long = "where", value_name = "EXPR")]
    pub conditions: Vec<String>,
    /// Read the custom-field definitions again (kept for 10 minutes).
    #[arg(long)]
    pub refresh_fields: bool,
}

// `--field`, on the create and update of a resource with custom fields. (No doc comment:
// see FilterFlags.)
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Fields")]
pub struct CustomArgs {
    /// A custom field by its label or name (Region, CFRegion): VALUE as text, a number, a
    /// date (yyyy-MM-dd), true/false, a lookup's name, a multi-select's names comma-joined;
    /// checked before anything is sent. An update reads the object first and posts back all
    /// its custom fields, so the others are kept.
    #[arg(long = "field", value_name = "NAME=VALUE")]
    pub fields: Vec<String>,
    /// Read the custom-field definitions again (kept for 10 minutes).
    #[arg(long)]
    pub refresh_fields: bool,
}

// The fields of a create or an update. (No doc comment: see FilterFlags.)
#[derive(Debug, Clone, Default, Args)]
pub struct WriteFlags {
    /// A field (VALUE is JSON if it parses: 3, true, [1,2]; else text).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub sets: Vec<String>,
    /// A JSON object or array of objects from FILE or standard input.
    #[arg(long, value_name = "FILE|-")]
    pub json: Option<String>,
    /// Send a field Halo's spec does not list for this body (Halo keeps it as junk).
    #[arg(long)]
    pub allow_unknown_field: bool,
    /// Print the exact request without sending it.
    #[arg(long)]
    pub dry_run: bool,
}

// `--ticket-id`, on the verbs of a resource whose ids are numbered per ticket.
#[derive(Debug, Clone, Args)]
pub struct TicketArg {
    /// The ticket the object belongs to (its ids are numbered per ticket; with --from, for
    /// the rows that do not give their ticket_id).
    #[arg(long, value_name = "ID")]
    pub ticket_id: Option<String>,
}

// `--reason`, on the delete of a resource Halo deletes softly.
#[derive(Debug, Clone, Args)]
pub struct ReasonArg {
    /// Why (the object is soft-deleted and can be recovered).
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_read_as_people_write_them() {
        assert_eq!(super::parse_hours("15m"), Ok(0.25));
        assert_eq!(super::parse_hours("1h30m"), Ok(1.5));
        assert_eq!(super::parse_hours("1.5h"), Ok(1.5));
        assert_eq!(super::parse_hours("90"), Ok(1.5));
        assert!(super::parse_hours("soon").is_err() && super::parse_hours("0m").is_err());
    }
}
