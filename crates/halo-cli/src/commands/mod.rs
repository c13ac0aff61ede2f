//! One module per noun, a file per verb with logic; each command gets the [`Context`] and its
//! own typed flags, and writes only through the context.

pub mod api;
pub mod auth;
pub mod connect;
#[cfg(feature = "sandbox")]
pub mod demo;
pub mod export;
pub mod fields;
pub mod filters;
pub mod login;
mod logout;
mod manual;
pub mod mcp;
pub mod mirror;
pub mod profile;
pub mod query_rows;
pub mod resource;
mod resources;
#[cfg(feature = "sandbox")]
pub mod sandbox;
pub mod sql;
pub mod webhook;
pub mod whoami;

use crate::cli::{Cli, Command};
use crate::context::Context;
use crate::output::OutputOptions;
use anyhow::Result;
use halopsa::ConnectionReport;
use std::io::Write;

/// What every command gets from the global flags.
pub struct Globals {
    /// `--profile`.
    pub profile: Option<String>,
    /// `-o` and `--columns`, resolved against the terminal.
    pub output: OutputOptions,
    /// Whether long output may go through a pager (not `--no-pager`).
    pub pager: bool,
}

impl Globals {
    /// Starts the pager for output that can be long, when it is a table on a terminal.
    pub fn page(&self, ctx: &mut Context) {
        ctx.start_pager(self.pager && self.output.effective() == crate::output::Format::Table);
    }
}

/// Runs the command `cli` names.
pub async fn run(ctx: &mut Context, cli: Cli) -> Result<()> {
    let globals = Globals {
        profile: cli.profile.clone(),
        output: ctx.output(cli.output, cli.columns.clone()),
        pager: !cli.no_pager,
    };
    match cli.command {
        Command::Connect(args) => connect::run(ctx, &globals, args).await,
        Command::Profile(cmd) => profile::run(ctx, &globals, cmd),
        Command::Auth(cmd) => auth::run(ctx, &globals, cmd).await,
        Command::Login(args) => login::run(ctx, &globals, args).await,
        Command::Logout => logout::run(ctx, &globals).await,
        #[cfg(feature = "sandbox")]
        Command::Sandbox(args) => sandbox::run(ctx, args).await,
        #[cfg(feature = "sandbox")]
        Command::Demo => demo::run(ctx).await,
        Command::Resources => resources::run(ctx, &globals),
        Command::Whoami(args) => whoami::run(ctx, &globals, args).await,
        Command::Filters(args) => filters::run(ctx, &globals, args),
        Command::Fields(args) => fields::run(ctx, &globals, args).await,
        Command::Api(args) => api::run(ctx, &globals, args).await,
        Command::Sql(args) => sql::run(ctx, &globals, args).await,
        Command::Sync(args) => mirror::sync::run(ctx, &globals, args).await,
        Command::Search(args) => mirror::search::run(ctx, &globals, args).await,
        Command::Query(args) => mirror::query::run(ctx, &globals, args).await,
        Command::Completions { shell } => manual::completions(ctx, shell),
        Command::Man => manual::man(ctx),
        Command::Export(cmd) => export::run(ctx, &globals, cmd).await,
        Command::Mcp(args) => mcp::run(ctx, &globals, args).await,
        Command::Webhook(cmd) => webhook::run(ctx, &globals, cmd).await,
        Command::Resource(cmd) => resource::run(ctx, &globals, cmd).await,
    }
}

/// Prints a connection report, one fact a line.
pub fn print_report(out: &mut dyn Write, report: &ConnectionReport) -> Result<()> {
    writeln!(out, "  instance:  {}", report.instance)?;
    if !report.token_url.is_empty() {
        let how = if report.discovered {
            "discovered via /api/authinfo"
        } else {
            "configured or default"
        };
        writeln!(out, "  token url: {} ({how})", report.token_url)?;
    }
    writeln!(
        out,
        "  tenant:    {}",
        report.tenant.as_deref().unwrap_or("(none)")
    )?;
    writeln!(out, "  grant:     {}", report.grant)?;
    writeln!(
        out,
        "  scope:     {}",
        if report.scope.is_empty() {
            "(none)"
        } else {
            &report.scope
        }
    )?;
    writeln!(
        out,
        "  token:     valid for {}",
        duration(report.token_expires_in)
    )?;
    match &report.agent {
        Some(a) => writeln!(out, "  acting as: {}", agent_text(a))?,
        None => writeln!(
            out,
            "  acting as: (the granted scope does not allow reading agents)"
        )?,
    }
    Ok(())
}

/// An agent as people read it: `Alex Morgan (agent 3, alex@acme.example)`.
pub fn agent_text(agent: &halopsa::AgentIdentity) -> String {
    format!(
        "{} (agent {}{})",
        agent.name.as_deref().unwrap_or("?"),
        agent.id,
        agent
            .email
            .as_deref()
            .map(|e| format!(", {e}"))
            .unwrap_or_default()
    )
}

/// `1h 02m 03s`.
pub fn duration(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    if h > 0 {
        format!("{h}h {m:02}m {s:02}s")
    } else if m > 0 {
        format!("{m}m {s:02}s")
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations_read_well() {
        assert_eq!(super::duration(3723), "1h 02m 03s");
        assert_eq!(super::duration(61), "1m 01s");
        assert_eq!(super::duration(5), "5s");
    }
}
