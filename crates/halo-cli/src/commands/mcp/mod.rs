//! `halo mcp`: Halo for AI agents over the Model Context Protocol (the official `rmcp` SDK).
//! A few high-level tools named `halo_*`, read-only unless `--allow-writes`; every call goes
//! through the session's client (its token, rate limiter, shared budget and retries). Stdio by
//! default; Streamable HTTP with `--http` ([`http`]).

mod answer;
mod args;
mod catalog;
mod customers;
mod http;
mod raw;
mod reports;
mod server;
mod state;
mod tickets;
mod tools;
mod writes;

use crate::commands::Globals;
use crate::commands::mirror::db::{self, DbFlag};
use crate::context::Context;
use crate::exit::Failure;
use crate::session::RequestFlags;
use anyhow::Result;
pub use server::HaloMcp;
pub use tools::Toolset;

/// `halo mcp`.
#[derive(Debug, clap::Args)]
pub struct McpArgs {
    /// Offer the write tools too: create a ticket, add a note, update, assign and close one
    /// (without it they are not listed at all).
    #[arg(long)]
    pub allow_writes: bool,
    /// The toolsets offered, comma-separated (default: all).
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub toolsets: Vec<Toolset>,
    /// Serve Streamable HTTP at ADDR:PORT (a bare PORT is on 127.0.0.1) under /mcp instead
    /// of stdio; every request needs the bearer token (HALO_MCP_TOKEN, else one made and
    /// printed once).
    #[arg(long, value_name = "ADDR:PORT")]
    pub http: Option<String>,
    /// A browser origin allowed to call the HTTP server besides loopback pages, e.g.
    /// https://app.example.com (repeatable).
    #[arg(long, value_name = "ORIGIN", requires = "http")]
    pub allow_origin: Vec<String>,
    /// The most an answer holds, in tokens (about 4 characters each); a longer one is cut
    /// with a note that says how to get the rest.
    #[arg(long, value_name = "TOKENS", default_value_t = 25_000,
          value_parser = clap::value_parser!(u32).range(500..=1_000_000))]
    pub max_tokens: u32,
    #[command(flatten)]
    pub db: DbFlag,
    #[command(flatten)]
    pub requests: RequestFlags,
}

/// The server `halo mcp` serves, on `session` (the demo calls its tools in-process):
/// answers capped at `cap_tokens`, each call bounded by `timeout`, the tools of `toolsets`
/// (all when empty) and the writes only when allowed.
pub fn server(
    session: crate::session::Session,
    mirror: Option<halo_mirror::Target>,
    cap_tokens: usize,
    timeout: Option<std::time::Duration>,
    (toolsets, allow_writes): (&[Toolset], bool),
) -> HaloMcp {
    let state = state::State {
        session,
        mirror,
        cap_tokens,
        timeout,
    };
    HaloMcp::new(state, toolsets, allow_writes)
}

/// Runs `halo mcp` until the client goes away (stdio) or Ctrl-C/SIGTERM (HTTP).
pub async fn run(ctx: &mut Context, globals: &Globals, args: McpArgs) -> Result<()> {
    let addr = args.http.as_deref().map(http::parse_addr).transpose()?;
    let session = ctx.session(globals.profile.as_deref(), &args.requests)?;
    let mirror = match db::target(ctx, globals.profile.as_deref(), &args.db) {
        Ok(t) => Some(t),
        Err(e) if args.db.db.is_some() => return Err(e),
        Err(_) => None,
    };
    let server = server(
        session,
        mirror,
        args.max_tokens as usize,
        args.requests.timeout(false),
        (&args.toolsets, args.allow_writes),
    );
    match addr {
        Some(addr) => http::serve(ctx, server, addr, &args.allow_origin).await,
        None => {
            use rmcp::ServiceExt;
            let running = server.serve(rmcp::transport::stdio()).await.map_err(|e| {
                Failure::usage(format!("the MCP client did not start a session: {e}"))
            })?;
            running.waiting().await?;
            Ok(())
        }
    }
}
