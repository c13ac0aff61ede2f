//! `halo auth status`.

use crate::commands::Globals;
use crate::context::Context;
use crate::output::write_object;
use crate::session::{RequestFlags, Source};
use anyhow::Result;

/// `halo auth status`.
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub requests: RequestFlags,
}

/// Checks the connection in use (reusing the cached token: no token request when it is still
/// good) and reports who it acts as.
pub async fn run(ctx: &mut Context, globals: &Globals, args: StatusArgs) -> Result<()> {
    let timeout = args.requests.timeout(false);
    crate::session::bounded(timeout, async {
        let s = ctx.session(globals.profile.as_deref(), &args.requests)?;
        let report = s.client.test_connection().await?;
        // A report for people unless a format is asked for.
        if globals.output.asks_for_data() {
            let facts = crate::commands::whoami::facts(&s.source, &report);
            return write_object(ctx.io.out(), &facts, &globals.output);
        }
        match &s.source {
            Source::Profile(name) => writeln!(ctx.io.out(), "profile '{name}'")?,
            Source::Environment => writeln!(
                ctx.io.out(),
                "connection from HALO_URL and related variables"
            )?,
        }
        crate::commands::print_report(ctx.io.out(), &report)
    })
    .await
}
