//! `halo reports run ID`: a saved report's rows (`GET /Report/{id}?loadreport=true`).

use super::args::RunArgs;
use crate::commands::Globals;
use crate::commands::query_rows;
use crate::context::Context;
use crate::exit::Failure;
use crate::session::Session;
use anyhow::Result;
use halopsa::reports::Period;

/// Runs `run`.
pub async fn run(
    ctx: &mut Context,
    globals: &Globals,
    session: &Session,
    args: &RunArgs,
) -> Result<()> {
    let period = period(args)?;
    let table = session.client.run_report(&args.id, period.as_ref()).await?;
    query_rows::write(ctx, globals, &table, &args.out)
}

/// The reporting period: `--from` alone runs to now; `--to` needs `--from`.
fn period(args: &RunArgs) -> Result<Option<Period>> {
    let date = |flag: &str, text: &str| {
        halopsa::filter::date_value(text).ok_or_else(|| {
            Failure::usage(format!(
                "{flag} '{text}' is not a date: give 2026-01-31, 2026-01-31T09:00, today, yesterday, now or an age like 7d"
            ))
        })
    };
    match (&args.from, &args.to) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(Failure::usage(
            "--to needs --from (the start of the period)",
        )),
        (Some(from), to) => {
            let start = date("--from", from)?;
            let end = date("--to", to.as_deref().unwrap_or("now"))?;
            if end < start {
                return Err(Failure::usage(format!(
                    "the period ends ({end}) before it starts ({start})"
                )));
            }
            Ok(Some(Period { start, end }))
        }
    }
}
