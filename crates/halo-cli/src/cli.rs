//! The command line as clap types: the global flags, and one variant per command, each
//! holding the typed flags its module defines. Resource commands and `halo export <resource>`
//! are built at run time from the resource table (their filter flags from Halo's OpenAPI
//! file), and only for the resource an invocation names.

use crate::commands;
use clap::{CommandFactory, Parser, Subcommand};
use std::ffi::OsString;

/// The heading of the flags every command takes.
const GLOBAL: &str = "Global options";

/// halo: work with a Halo instance (HaloPSA, HaloITSM, HaloCRM) from the terminal.
#[derive(Debug, Parser)]
#[command(name = "halo", version, about, max_term_width = 100)]
pub struct Cli {
    /// The stored profile to use (default: the current one).
    #[arg(long, global = true, env = "HALO_PROFILE", value_name = "NAME", help_heading = GLOBAL,
          add = clap_complete::engine::ArgValueCandidates::new(crate::complete::profiles))]
    pub profile: Option<String>,
    /// More logging on stderr: -v requests, -vv headers, -vvv bodies (secrets always redacted).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, help_heading = GLOBAL)]
    pub verbose: u8,
    /// Output format (default: table on a terminal, JSON when piped).
    #[arg(
        short = 'o',
        long = "output",
        global = true,
        value_enum,
        value_name = "FORMAT",
        help_heading = GLOBAL
    )]
    pub output: Option<crate::output::Format>,
    /// Columns for table and CSV output (dotted paths reach into objects).
    #[arg(long, global = true, value_delimiter = ',', value_name = "A,B", help_heading = GLOBAL)]
    pub columns: Option<Vec<String>>,
    /// Print straight to the terminal, not through a pager.
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub no_pager: bool,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Test a connection and store it as a profile (only if it works).
    #[command(after_help = "Examples:
  halo connect --url https://acme.halopsa.com --client-id ID            # asks for the secret
  echo \"$SECRET\" | halo connect --url https://acme.halopsa.com --client-id ID --client-secret-stdin
  halo connect --url https://acme.halopsa.com --client-id ID --username me@acme.com --profile acme-me")]
    Connect(commands::connect::ConnectArgs),
    /// Manage stored profiles.
    #[command(subcommand)]
    Profile(commands::profile::ProfileCommand),
    /// Authentication state.
    #[command(subcommand)]
    Auth(commands::auth::AuthCommand),
    /// Who the connection acts as, on which instance.
    #[command(
        after_help = "Examples:\n  halo whoami\n  halo whoami -o json\n  halo whoami --profile acme"
    )]
    Whoami(commands::whoami::WhoamiArgs),
    /// Sign in as yourself in the browser (authorization code with PKCE) and store it as a
    /// profile.
    #[command(after_help = "Examples:
  halo login --url https://acme.halopsa.com --client-id 5a1e...   # opens the browser
  halo login --url https://acme.halopsa.com --client-id 5a1e... --no-browser --profile me
  halo login --url http://127.0.0.1:8080 --client-id halo-sandbox-native   # the sandbox

The application must be of type \"Authorisation Code (Native Application)\" and allow the
redirect URI http://127.0.0.1/callback (any port); give --redirect-port N if it names one.")]
    Login(commands::login::LoginArgs),
    /// Forget the cached token and stored secrets of a profile.
    Logout,
    /// Run a local Halo instance (the sandbox) until interrupted.
    #[cfg(feature = "sandbox")]
    Sandbox(commands::sandbox::SandboxArgs),
    /// Show halo at work against an in-process sandbox.
    #[cfg(feature = "sandbox")]
    Demo,
    /// List the resources halo knows (one entry per resource with -o json).
    Resources,
    /// List every filter of a resource, with its type and what it does.
    #[command(after_help = "Examples:\n  halo filters tickets\n  halo filters assets -o json")]
    Filters(commands::filters::FiltersArgs),
    /// List the custom fields of a resource: id, name, label, kind and lookup values.
    #[command(
        after_help = "Examples:\n  halo fields tickets\n  halo fields clients -o json\n  halo tickets update 12 --field Region=North"
    )]
    Fields(commands::fields::FieldsArgs),
    /// Call any of Halo's paths with the profile's auth.
    #[command(after_help = "Examples:
  halo api Status
  halo api Tickets -q open_only=true -q page_size=5
  halo api -X POST Actions --input note.json
  halo api -X DELETE Tickets/12 --yes   # deletes for real")]
    Api(commands::api::ApiArgs),
    /// Run one read-only SQL query on Halo's reporting database and print the rows.
    #[command(after_help = "Examples:
  halo sql 'SELECT TOP 5 Faultid, Symptom FROM Faults ORDER BY Faultid DESC'
  halo sql --file open-per-client.sql -o csv --out open.csv --excel
  halo sql \"SELECT COUNT(*) AS n FROM Faults WHERE Dateoccured > DATEADD(day, -7, GETDATE())\" -o json

Only one SELECT (or WITH ... SELECT) is sent; anything that could change data is refused
before it leaves this machine. One query can replace hundreds of paged requests.")]
    Sql(commands::sql::SqlArgs),
    /// Bring the local mirror (SQLite or PostgreSQL) up to date: only what changed.
    #[command(after_help = "Examples:
  halo sync                                  # the default resources into this profile's SQLite file
  halo sync --resources tickets,actions --db ./halo.sqlite
  halo sync --db postgres://me@db.example/halo --resources all
  halo sync --full                           # rebuild from scratch
  halo sync --sweep                          # also find rows deleted without trace

Each page is stored with the cursor that covers it: a sync that stops part-way keeps what it
stored, and the next `halo sync` continues it.")]
    Sync(commands::mirror::sync::SyncArgs),
    /// Full-text search of the mirror's tickets and action notes (no API request).
    #[command(after_help = "Examples:
  halo search printer
  halo search \"vpn timeout\" --limit 5 -o json")]
    Search(commands::mirror::search::SearchArgs),
    /// Read-only SQL over the mirror (no API request); --schema lists its tables.
    #[command(after_help = "Examples:
  halo query --schema
  halo query \"SELECT status_id, COUNT(*) AS n FROM tickets GROUP BY status_id\"
  halo query \"SELECT id, summary FROM tickets ORDER BY id DESC LIMIT 5\" -o csv --out latest.csv")]
    Query(commands::mirror::query::QueryArgs),
    /// Serve Halo's tools to AI agents over MCP (stdio, or HTTP with --http); read-only unless
    /// --allow-writes.
    #[command(after_help = "Examples:
  halo mcp                                   # stdio, for Claude Desktop, Claude Code, VS Code
  halo mcp --toolsets tickets,kb --allow-writes
  halo mcp --http 8765                       # Streamable HTTP at http://127.0.0.1:8765/mcp

Try it on the sandbox first: `halo sandbox` in one terminal, `halo connect` to it, then add
`halo mcp` to the agent (README: Using halo from AI agents).")]
    Mcp(commands::mcp::McpArgs),
    /// Receive Halo's webhooks durably; register them in Halo; list, replay, backfill events.
    #[command(subcommand)]
    Webhook(commands::webhook::WebhookCommand),
    /// Print the script a shell sources to complete halo's commands, flags and profiles.
    #[command(
        after_help = "Examples:\n  source <(halo completions bash)     # in ~/.bashrc\n  source <(halo completions zsh)      # in ~/.zshrc"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    Man,
    /// Export every row of a resource to a file (or standard output).
    #[command(subcommand, subcommand_required = true, arg_required_else_help = true)]
    #[command(after_help = "Examples:
  halo export tickets --out tickets.ndjson
  halo export tickets -o csv --columns id,summary,client_name,status_name --out tickets.csv
  halo export tickets --out tickets.ndjson --resume   # carry on after an interruption")]
    Export(commands::export::ExportCommand),
    /// A command of a resource (`halo tickets list`, ...).
    #[command(flatten)]
    Resource(commands::resource::ResourceCommand),
}

impl Cli {
    /// Whether the command serves (the sandbox, the demo, the webhook receiver) and so wants
    /// every core.
    pub fn serves(&self) -> bool {
        #[cfg(feature = "sandbox")]
        if matches!(self.command, Command::Sandbox(_) | Command::Demo) {
            return true;
        }
        matches!(
            self.command,
            Command::Webhook(commands::webhook::WebhookCommand::Listen(_)) | Command::Mcp(_)
        )
    }
}

/// The whole command line: the fixed commands, every resource command and every export.
pub fn command() -> clap::Command {
    let cli = Cli::command().subcommands(commands::resource::commands());
    crate::help::grouped(commands::export::with_resources(cli, None))
}

/// The command line an invocation needs: the fixed commands plus only the resource (or
/// export) command it names. Building all of them, with their flags from the spec, costs
/// about 10 ms a run; help, completions, the man page and anything unrecognised get the
/// whole tree, so their output and suggestions are the same.
pub fn command_for(args: &[OsString]) -> clap::Command {
    let fixed = Cli::command();
    let positionals = positionals(&fixed, args);
    let Some(first) = positionals.first().map(String::as_str) else {
        return command();
    };
    if fixed.find_subcommand(first).is_some() {
        return match first {
            commands::export::NAME => {
                commands::export::with_resources(fixed, positionals.get(1).map(String::as_str))
            }
            // Completions and the man page describe the whole tree.
            "completions" | "man" => command(),
            _ => fixed,
        };
    }
    match commands::resource::named(first) {
        Some(resource) => fixed.subcommand(resource),
        None => command(),
    }
}

/// The leading words of the command line: options of the top level and their values
/// skipped, which options take values being clap's own knowledge of the global flags.
fn positionals(cli: &clap::Command, args: &[OsString]) -> Vec<String> {
    let takes_value = |word: &str| {
        cli.get_arguments().any(|a| {
            a.get_action().takes_values()
                && (a.get_long().is_some_and(|l| word == format!("--{l}"))
                    || a.get_short().is_some_and(|s| word == format!("-{s}")))
        })
    };
    let mut out = Vec::new();
    let mut words = args.iter().skip(1).map(|a| a.to_string_lossy());
    while let Some(word) = words.next() {
        if takes_value(&word) {
            words.next();
        } else if !word.starts_with('-') {
            out.push(word.into_owned());
            if out.len() == 2 {
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built(line: &str) -> clap::Command {
        let args: Vec<OsString> = line.split_whitespace().map(Into::into).collect();
        command_for(&args)
    }

    fn names(cmd: &clap::Command) -> Vec<String> {
        cmd.get_subcommands()
            .map(|c| c.get_name().to_string())
            .collect()
    }

    #[test]
    fn only_the_named_resource_is_built() {
        let all = command().get_subcommands().count();
        let fixed = Cli::command().get_subcommands().count();
        for line in [
            "halo tickets list --open-only",
            "halo --profile acme -o json tickets list",
            "halo Tickets get 3",
            "halo -v KBArticle list",
        ] {
            let cmd = built(line);
            assert_eq!(cmd.get_subcommands().count(), fixed + 1, "{line}");
        }
        assert!(names(&built("halo KBArticle list")).contains(&"kb-articles".to_string()));
        assert_eq!(
            built("halo connect --url x").get_subcommands().count(),
            fixed
        );
        let export = built("halo export tickets --out f");
        let sub = export.find_subcommand("export").unwrap();
        assert_eq!(names(sub), ["tickets"]);
        // Help, completions, and anything unknown get the whole tree (and clap's suggestions).
        for line in [
            "halo",
            "halo --help",
            "halo completions bash",
            "halo man",
            "halo tikets list",
            "halo TICKETS list",
        ] {
            assert_eq!(built(line).get_subcommands().count(), all, "{line}");
        }
        let export_typo = built("halo export tikets");
        assert!(
            export_typo
                .find_subcommand("export")
                .unwrap()
                .get_subcommands()
                .count()
                > 50
        );
    }

    #[test]
    fn every_resource_command_is_reachable_alone() {
        for res in halopsa::resource::RESOURCES {
            let cmd = built(&format!("halo {} --help", res.name));
            assert!(cmd.find_subcommand(res.name).is_some(), "{}", res.name);
        }
    }

    #[test]
    fn the_tree_is_valid_and_the_sandbox_is_a_feature() {
        command().debug_assert();
        let whole = command();
        assert_eq!(
            whole.find_subcommand("sandbox").is_some(),
            cfg!(feature = "sandbox")
        );
        assert_eq!(
            whole.find_subcommand("demo").is_some(),
            cfg!(feature = "sandbox")
        );
    }
}
