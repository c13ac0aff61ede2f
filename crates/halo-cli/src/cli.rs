//! The command line, as clap types.

use clap::{Args, Parser, Subcommand};

/// halo: work with a Halo instance (HaloPSA, HaloITSM, HaloCRM) from the terminal.
#[derive(Debug, Parser)]
#[command(name = "halo", version, about, max_term_width = 100)]
pub struct Cli {
    /// The stored profile to use (default: the current one).
    #[arg(long, global = true, env = "HALO_PROFILE", value_name = "NAME")]
    pub profile: Option<String>,
    /// More logging on stderr: -v requests, -vv headers, -vvv bodies (secrets always redacted).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Output format (default: table on a terminal, JSON when piped).
    #[arg(
        short = 'o',
        long = "output",
        global = true,
        value_enum,
        value_name = "FORMAT"
    )]
    pub output: Option<crate::output::Format>,
    /// Columns for table and CSV output (dotted paths reach into objects).
    #[arg(long, global = true, value_delimiter = ',', value_name = "A,B")]
    pub columns: Option<Vec<String>>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Test a connection and store it as a profile (only if it works).
    Connect(ConnectArgs),
    /// Manage stored profiles.
    #[command(subcommand)]
    Profile(ProfileCommand),
    /// Authentication state.
    #[command(subcommand)]
    Auth(AuthCommand),
    /// Forget the cached token and stored secrets of a profile.
    Logout,
    /// Run a local Halo instance (the sandbox) until interrupted.
    Sandbox(SandboxArgs),
    /// Show halo at work against an in-process sandbox.
    Demo,
    /// List the resources halo knows (one entry per resource with -o json).
    Resources,
    /// Call any of Halo's paths with the profile's auth.
    Api(ApiArgs),
    /// Print a shell completion script.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    Man,
}

/// `halo api`.
#[derive(Debug, Args)]
pub struct ApiArgs {
    /// The path below /api, e.g. Tickets/12 or /api/Tickets.
    pub path: String,
    /// HTTP method (default GET, or POST with --input).
    #[arg(short = 'X', long = "method", value_name = "METHOD")]
    pub method: Option<String>,
    /// A query parameter, NAME=VALUE (repeatable; sent as given, not checked).
    #[arg(short = 'q', long = "query", value_name = "NAME=VALUE")]
    pub query: Vec<String>,
    /// The JSON body, from FILE or - for standard input.
    #[arg(long, value_name = "FILE|-")]
    pub input: Option<String>,
    /// Walk every page (pageinate=true, page_no, page_size) and print all rows.
    #[arg(long)]
    pub paginate: bool,
    /// Rate limit and retries.
    #[command(flatten)]
    pub pacing: crate::session::Pacing,
}

/// The whole command line: the fixed commands and one command per resource.
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    Cli::command()
        .subcommand(crate::commands::export::command(None))
        .subcommands(crate::commands::resource::commands())
}

/// The command line an invocation needs: the fixed commands plus only the resource (or
/// export) command it names. Building all of them, with their flags from the spec, costs
/// about 10 ms a run; help, completions, the man page and anything unrecognised get the
/// whole tree, so their output and suggestions are the same.
pub fn command_for(args: &[std::ffi::OsString]) -> clap::Command {
    use clap::CommandFactory;
    let positionals = positionals(args);
    let fixed = Cli::command();
    let Some(first) = positionals.first().map(String::as_str) else {
        return command();
    };
    if fixed.find_subcommand(first).is_some() && !matches!(first, "completions" | "man" | "help") {
        return fixed;
    }
    if first == "export" {
        return fixed.subcommand(crate::commands::export::command(
            positionals.get(1).map(String::as_str),
        ));
    }
    let named = halopsa::resource::find(first)
        .map(crate::commands::resource::command)
        .filter(|c| c.get_name() == first || c.get_all_aliases().any(|a| a == first));
    match named {
        Some(resource) => fixed.subcommand(resource),
        None => command(),
    }
}

/// The leading words of the command line (options of the top level and their values skipped).
fn positionals(args: &[std::ffi::OsString]) -> Vec<String> {
    let mut out = Vec::new();
    let mut words = args.iter().skip(1).map(|a| a.to_string_lossy());
    while let Some(word) = words.next() {
        if matches!(word.as_ref(), "--profile" | "-o" | "--output" | "--columns") {
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

/// `halo connect`.
#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// Instance URL, e.g. https://acme.halopsa.com or https://example.com/halo.
    #[arg(long, env = "HALO_URL")]
    pub url: String,
    /// The API application's client id.
    #[arg(long, env = "HALO_CLIENT_ID")]
    pub client_id: String,
    /// Client secret on the command line (visible to other users: prefer --client-secret-stdin or HALO_CLIENT_SECRET).
    #[arg(long, value_name = "SECRET")]
    pub client_secret: Option<String>,
    /// Read the client secret from standard input.
    #[arg(long, conflicts_with_all = ["client_secret", "password_stdin"])]
    pub client_secret_stdin: bool,
    /// Use the password grant as this agent (password from --password-stdin or HALO_PASSWORD).
    #[arg(long, env = "HALO_USERNAME")]
    pub username: Option<String>,
    /// Read the password from standard input.
    #[arg(long, requires = "username")]
    pub password_stdin: bool,
    /// Scopes, space- or comma-separated (default: all).
    #[arg(long, env = "HALO_SCOPES", num_args = 1.., value_delimiter = ',')]
    pub scopes: Vec<String>,
    /// Tenant (hosted instances; discovered from /api/authinfo when omitted).
    #[arg(long, env = "HALO_TENANT")]
    pub tenant: Option<String>,
    /// Authorisation server URL (default: discovered, else {url}/auth).
    #[arg(long, env = "HALO_AUTH_URL")]
    pub auth_url: Option<String>,
    /// Header sent with every request, 'Name: value' (repeatable).
    #[arg(long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// Allow plain http:// to a host other than this machine.
    #[arg(long)]
    pub insecure_http: bool,
    /// Test only; store nothing.
    #[arg(long)]
    pub no_store: bool,
    /// Rate limit and retries (the rate limit is stored in the profile).
    #[command(flatten)]
    pub pacing: crate::session::Pacing,
}

/// `halo profile ...`.
#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// List stored profiles.
    List,
    /// Make a profile the current one.
    Use {
        /// Profile name.
        name: String,
    },
    /// Show a profile (never its secrets).
    Show {
        /// Profile name (default: the current one).
        name: Option<String>,
    },
    /// Remove a profile, its secrets and its cached token.
    Remove {
        /// Profile name.
        name: String,
    },
}

/// `halo auth ...`.
#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Check the connection in use and show who it acts as.
    Status(crate::session::Pacing),
}

/// `halo sandbox`.
#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// The client id it accepts.
    #[arg(long, default_value = "halo-sandbox-client")]
    pub client_id: String,
    /// The client secret it accepts.
    #[arg(long, default_value = "halo-sandbox-secret")]
    pub client_secret: String,
    /// A user it accepts for the password grant, NAME:PASSWORD (repeatable).
    #[arg(long = "user", value_name = "NAME:PASSWORD")]
    pub users: Vec<String>,
    /// The tenant it requires on token requests.
    #[arg(long, default_value = "sandbox", conflicts_with = "no_tenant")]
    pub tenant: String,
    /// Require no tenant (like a self-hosted instance).
    #[arg(long)]
    pub no_tenant: bool,
    /// Lifetime of access tokens, in seconds.
    #[arg(long, default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..))]
    pub token_ttl: u64,
    /// Keep the data in DIR/sandbox.db (kept across restarts) instead of in memory.
    #[arg(long, value_name = "DIR")]
    pub data: Option<std::path::PathBuf>,
    /// Tickets to seed into an empty instance (with clients, sites, users, assets... to match).
    #[arg(long, default_value_t = 300)]
    pub seed_tickets: u64,
    /// Largest page served (Halo: 100; /Asset is always 50).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub page_cap: u32,
    /// Halo's hosted rate limit per client, N/SECS (e.g. 300/300s); off by default.
    #[arg(long, value_name = "N/SECS", value_parser = halo_sandbox::RateLimit::parse)]
    pub rate_limit: Option<halo_sandbox::RateLimit>,
    /// Share of requests answered 500/502/503 (some with HTML bodies), 0 to 1.
    #[arg(long, default_value_t = 0.0, value_parser = rate)]
    pub fail_rate: f64,
    /// Share of responses whose connection is dropped mid-body, 0 to 1.
    #[arg(long, default_value_t = 0.0, value_parser = rate)]
    pub reset_rate: f64,
    /// Delay added to every response, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Seed of the fault sequence (the same seed gives the same faults).
    #[arg(long, default_value_t = 1)]
    pub fault_seed: u64,
    /// Post ticket webhooks to URL, optionally with Basic auth: 'URL[,basic user:pass]' (repeatable).
    #[arg(long = "webhook", value_name = "URL[,basic user:pass]", value_parser = halo_sandbox::WebhookTarget::parse)]
    pub webhooks: Vec<halo_sandbox::WebhookTarget>,
}

fn rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!("'{text}' is not a rate between 0 and 1")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built(line: &str) -> clap::Command {
        let args: Vec<std::ffi::OsString> = line.split_whitespace().map(Into::into).collect();
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
        let fixed = <Cli as clap::CommandFactory>::command()
            .get_subcommands()
            .count();
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
}
