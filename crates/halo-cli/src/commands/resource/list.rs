//! `halo <resource> list`: a page, the first N rows, or every row; with `--where`, those of
//! them that meet its conditions (checked here: [`super::custom`]).

use super::args::ListArgs;
use super::custom;
use super::filters::{self, SpecValues};
use crate::commands::Globals;
use crate::context::Context;
use crate::output::RowWriter;
use crate::session::Session;
use anyhow::Result;
use futures::TryStreamExt;
use halopsa::{ListOptions, ResourceClient};

/// Rows listed when neither `--all`, `--limit` nor `--page` is given.
const DEFAULT_LIMIT: u64 = 100;

/// Runs `list`.
pub async fn run(
    ctx: &mut Context,
    globals: &Globals,
    session: &Session,
    api: &ResourceClient,
    args: &ListArgs,
    spec: &SpecValues,
) -> Result<()> {
    let res = api.resource();
    let mut names = session.names();
    let query = filters::query(res, res.path, spec, &args.filter, args.details)?
        .resolve(&mut names)
        .await?;
    let conds = custom::conditions(&mut names, res, &args.conditions).await?;
    drop(names);
    let page_size = args.page_size.unwrap_or(100);
    globals.page(ctx);
    let (out, err) = ctx.io.split();
    let mut writer = RowWriter::new(out, &globals.output);
    if let Some(page) = args.page {
        let p = api.list_page(&query, page, page_size).await?;
        let mut kept = 0;
        for row in p
            .items
            .iter()
            .filter(|r| custom::unmet(r, &conds).is_none())
        {
            writer.row(row)?;
            kept += 1;
        }
        writer.finish()?.flush()?;
        if let Some(total) = p.record_count {
            writeln!(err, "page {page}: {} rows of {total}", p.items.len())?;
        }
        if !conds.is_empty() {
            writeln!(err, "({kept} of {} rows matched --where)", p.items.len())?;
        }
        return Ok(());
    }
    let limit = if args.all {
        None
    } else {
        Some(args.limit.unwrap_or(DEFAULT_LIMIT))
    };
    let (stream, report) = api.list(
        query,
        ListOptions {
            page_size,
            limit,
            concurrency: args.walk.concurrency,
            ..ListOptions::default()
        },
    );
    futures::pin_mut!(stream);
    let (mut shown, mut fetched) = (0u64, 0u64);
    while let Some(row) = stream.try_next().await? {
        fetched += 1;
        if custom::unmet(&row, &conds).is_none() {
            writer.row(&row)?;
            shown += 1;
        }
    }
    if let Some(note) = writer.note() {
        writeln!(err, "{note}")?;
    }
    writer.finish()?.flush()?;
    let notes = report.notes();
    if let Some((from, to)) = notes.count_changed {
        writeln!(
            err,
            "warning: the number of {} changed from {from} to {to} during the listing",
            res.name
        )?;
    }
    if let Some((promised, got)) = notes.incomplete {
        writeln!(
            err,
            "warning: incomplete: Halo's record_count promised {promised} {} but {got} were listed (more than rows added or removed meanwhile explain)",
            res.name
        )?;
    }
    let total = notes.total.unwrap_or(fetched);
    if !conds.is_empty() {
        let (looked, more) = if !args.all && total > fetched {
            let of = format!("the first {} of {}", thousands(fetched), thousands(total));
            (of, "; --all looks at every row")
        } else {
            (thousands(fetched), "")
        };
        writeln!(
            err,
            "({} of {looked} {} matched --where{more})",
            thousands(shown),
            res.name
        )?;
    } else if !args.all && total > shown {
        writeln!(
            err,
            "(showing {} of {} {}; --all for every row, --limit N for more)",
            thousands(shown),
            thousands(total),
            res.name
        )?;
    }
    Ok(())
}

/// `1942` as `1,942`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_are_grouped() {
        assert_eq!(super::thousands(7), "7");
        assert_eq!(super::thousands(1942), "1,942");
        assert_eq!(super::thousands(1_000_000), "1,000,000");
    }
}
