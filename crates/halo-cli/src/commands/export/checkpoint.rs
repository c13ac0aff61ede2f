//! The checkpoint beside an export's partial file, and the resume point it gives.

use crate::exit::Failure;
use anyhow::{Context, Result};
use halopsa::ResumePoint;
use halopsa::paging::Row;
use halopsa::raw::RawRow;
use halopsa::resource::Resource;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use super::sink::WRITE_BUFFER;

/// What `FILE.partial.json` records after every page, so `--resume` can continue.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Checkpoint {
    pub resource: String,
    pub query: Vec<(String, String)>,
    pub format: String,
    pub page_size: u32,
    pub next_page: u32,
    pub bytes: u64,
    pub rows: u64,
    /// `record_count` as the first page gave it (what a resumed walk is checked against).
    #[serde(default)]
    pub record_count: Option<u64>,
    /// The `--where` conditions as given (a resume must give the same).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<String>,
    /// The rows written, when `--where` may have left some of the `rows` walked out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kept: Option<u64>,
}

impl Checkpoint {
    /// The rows in the file.
    pub fn written(&self) -> u64 {
        self.kept.unwrap_or(self.rows)
    }
}

/// `out` with `suffix` added to its name (`t.ndjson.partial`).
pub fn sidecar(out: &Path, suffix: &str) -> PathBuf {
    let mut name = out
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(suffix);
    out.with_file_name(name)
}

/// Where an interrupted export stands: its checkpoint, the keys of the rows it wrote (read
/// back from the file, cut at the last complete page).
pub fn resume_point(
    err: &mut dyn Write,
    res: &Resource,
    (query, conditions): (&[(String, String)], &[String]),
    format: &str,
    partial: &Path,
    state: &Path,
) -> Result<(ResumePoint, Checkpoint)> {
    let text = std::fs::read(state).map_err(|_| {
        Failure::usage(format!("nothing to resume: {} is missing", state.display()))
    })?;
    let cp: Checkpoint = serde_json::from_slice(&text).map_err(|e| {
        Failure::usage(format!(
            "{} is damaged ({e}); start over with --force",
            state.display()
        ))
    })?;
    if cp.resource != res.path
        || cp.query != query
        || cp.conditions != conditions
        || cp.format != format
    {
        return Err(Failure::usage(
            "the interrupted export was of another resource, filters, --where or format: give the same command, or --force to start over",
        ));
    }
    if !partial.exists() {
        return Err(Failure::usage(format!(
            "nothing to resume: {} is missing",
            partial.display()
        )));
    }
    let (keys, read) = written_keys(res, partial, cp.bytes)?;
    if read < cp.bytes {
        return Err(Failure::usage(format!(
            "{} holds less than its checkpoint says (was the machine stopped?); start over with --force",
            partial.display()
        )));
    }
    writeln!(
        err,
        "resuming at page {} ({} rows already written)",
        cp.next_page,
        cp.written()
    )?;
    let point = ResumePoint {
        next_page: cp.next_page,
        page_size: cp.page_size,
        rows: cp.rows,
        record_count: cp.record_count,
        keys,
    };
    Ok((point, cp))
}

/// The keys of the rows in the whole lines of the first `up_to` bytes of the export's NDJSON
/// `partial` (what a resume or a reconcile must not write again), and the bytes they took.
pub fn written_keys(res: &Resource, partial: &Path, up_to: u64) -> Result<(Vec<String>, u64)> {
    let file = File::open(partial).with_context(|| format!("cannot read {}", partial.display()))?;
    let (mut keys, mut read) = (Vec::new(), 0u64);
    for line in BufReader::with_capacity(WRITE_BUFFER, file).lines() {
        let line = line?;
        if read + line.len() as u64 + 1 > up_to {
            break;
        }
        read += line.len() as u64 + 1;
        let row = RawRow::parse(line)
            .with_context(|| format!("{} holds a line that is not JSON", partial.display()))?;
        keys.extend(row.key(res.id));
    }
    Ok((keys, read))
}
