//! A second walk after a drifting one: the rows that moved past the first are added.

use super::checkpoint::written_keys;
use super::job::meets;
use super::sink::{ExportFormat, Sink, WRITE_BUFFER};
use anyhow::Result;
use futures::TryStreamExt;
use halopsa::custom_fields::Where;
use halopsa::paging::Row;
use halopsa::raw::RawRow;
use halopsa::{ListOptions, ResourceClient};
use std::collections::HashSet;
use std::fs::OpenOptions;
use std::io::{BufWriter, Write};
use std::path::Path;

/// A second walk after a drifting one: adds rows the first did not write (those meeting
/// `conditions`).
pub async fn reconcile(
    err: &mut dyn Write,
    api: &ResourceClient,
    query: &[(String, String)],
    conditions: &[Where],
    partial: &Path,
) -> Result<(u64, u32)> {
    let id = api.resource().id;
    let seen: HashSet<String> = written_keys(api.resource(), partial, u64::MAX)?
        .0
        .into_iter()
        .collect();
    let file = OpenOptions::new().append(true).open(partial)?;
    let mut sink = Sink::new(
        Box::new(BufWriter::with_capacity(WRITE_BUFFER, file)),
        ExportFormat::Ndjson,
        0,
        None,
    );
    let (pages, report) = api.list_pages::<RawRow>(query.to_vec(), ListOptions::default(), None);
    futures::pin_mut!(pages);
    let mut added = 0;
    while let Some(page) = pages.try_next().await? {
        for row in &page.rows {
            if row.key(id).is_some_and(|k| !seen.contains(&k)) && meets(row, conditions)? {
                sink.row(row)?;
                added += 1;
            }
        }
    }
    sink.finish()?;
    writeln!(err, "reconcile: {added} rows added")?;
    Ok((added, report.notes().pages))
}
