//! `halo whoami`: who the connection acts as, on which instance.

use crate::commands::Globals;
use crate::context::Context;
use crate::output::write_object;
use crate::session::{RequestFlags, Source};
use anyhow::Result;
use halopsa::ConnectionReport;
use serde_json::{Value, json};

/// `halo whoami`.
#[derive(Debug, clap::Args)]
pub struct WhoamiArgs {
    #[command(flatten)]
    pub requests: RequestFlags,
}

/// Runs `halo whoami` (one call with a cached token).
pub async fn run(ctx: &mut Context, globals: &Globals, args: WhoamiArgs) -> Result<()> {
    let timeout = args.requests.timeout(false);
    crate::session::bounded(timeout, async {
        let s = ctx.session(globals.profile.as_deref(), &args.requests)?;
        let report = s.client.test_connection().await?;
        let facts = facts(&s.source, &report);
        // A report for people unless a format is asked for.
        if globals.output.asks_for_data() {
            return write_object(ctx.io.out(), &facts, &globals.output);
        }
        let agent = match &report.agent {
            Some(a) => super::agent_text(a),
            None => "an agent the granted scope does not let halo read".to_string(),
        };
        writeln!(
            ctx.io.out(),
            "{agent}\n  on {} as {}",
            report.instance,
            source_text(&s.source)
        )?;
        Ok(())
    })
    .await
}

/// Where a connection came from, in words.
pub fn source_text(source: &Source) -> String {
    match source {
        Source::Profile(name) => format!("profile '{name}'"),
        Source::Environment => "the connection of HALO_URL and related variables".to_string(),
    }
}

/// A connection report as one object, with where the connection came from.
pub fn facts(source: &Source, report: &ConnectionReport) -> Value {
    let mut facts = serde_json::to_value(report).unwrap_or(Value::Null);
    facts["profile"] = match source {
        Source::Profile(name) => json!(name),
        Source::Environment => Value::Null,
    };
    facts
}
