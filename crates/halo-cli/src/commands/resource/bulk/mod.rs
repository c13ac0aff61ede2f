//! `halo RESOURCE create|update|delete --from FILE`: many rows from NDJSON, a JSON array or
//! CSV, every field checked before anything is sent, updates posted in arrays, an outcome per
//! row in the results file, the failed rows in a rejects file in the input's own format, and
//! `--resume` to finish a job that stopped without sending any row twice.

pub mod input;
pub mod results;
pub mod rows;

use super::args::{BulkFlags, CustomArgs};
use super::fields::NamedFields;
use crate::commands::Globals;
use crate::context::Context;
use crate::exit::{self, Failure};
use crate::session::Session;
use anyhow::Result;
use halopsa::ResourceClient;
use halopsa::bulk::{BulkOp, BulkOptions, BulkRow, BulkSink, Outcome, RowResult, already_applied};
use halopsa::id::id_text;
use halopsa::resource::IdKind;
use results::{Counts, Earlier, Paths, Writer};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

/// What a bulk command was given besides `--from` and its flags.
pub struct Job<'a> {
    /// Create, update or delete.
    pub op: BulkOp,
    /// `--from` and the bulk flags.
    pub flags: &'a BulkFlags,
    /// `--set` fields given to every row.
    pub sets: &'a [String],
    /// Name flags given to every row.
    pub named: &'a NamedFields,
    /// `--field` values given to every row, and `--refresh-fields`.
    pub custom: &'a CustomArgs,
    /// `--timeout`: the bound of the sending (none by default).
    pub timeout: Option<std::time::Duration>,
    /// `--dry-run`.
    pub dry_run: bool,
    /// `--yes` (deletes).
    pub yes: bool,
    /// `--allow-unknown-field`.
    pub allow_unknown: bool,
    /// `--skip-check` (updates: no existence check).
    pub skip_check: bool,
    /// `--ticket-id`, for rows of a resource numbered per ticket that do not give theirs.
    pub ticket_id: Option<String>,
}

/// A row ready to send, or its outcome already decided.
enum Plan {
    Send(BulkRow),
    Decided(RowResult),
}

/// Runs a bulk job.
pub async fn run(
    ctx: &mut Context,
    globals: &Globals,
    session: &Session,
    api: &ResourceClient,
    job: Job<'_>,
) -> Result<()> {
    let (started, before) = (Instant::now(), session.client.stats());
    let flags = job.flags;
    let source = flags.from.as_deref().unwrap_or("-");
    let format = input::format_of(source, flags.from_format)?;
    let paths = Paths::new(source, format, flags.results.clone(), flags.rejects.clone())?;
    let earlier = if flags.resume {
        results::read_earlier(&paths)?
    } else {
        if !job.dry_run {
            results::check_fresh(&paths)?;
        }
        Earlier::default()
    };
    let input = input::read(ctx, source, format)?;
    results::check_same_input(&paths, &earlier, &input)?;
    let res = api.resource();
    let mut rows = rows::rows(res.path, &input, job.allow_unknown, flags.empty_as_null)?;
    let every = every_row(session, api, &job).await?;
    for (_, row) in rows.iter_mut() {
        if let Ok(r) = row
            && let Err(why) = merge(&mut r.object, &every)
        {
            *row = Err(why);
        }
    }
    rows::resolve_names(&mut session.names(), &mut rows).await?;
    let texts = custom_texts(&mut rows, &job)?;
    let defs = match texts.is_empty() {
        true => None,
        false => Some(check_custom(session, res, &job, &mut rows, &texts).await?),
    };
    let (mut plans, found) = plan(api, &job, rows, &input.header, &earlier).await?;
    if let Some(defs) = &defs {
        custom_arrays(api, &job, &mut plans, found, defs, &texts).await?;
    }
    let to_send: Vec<BulkRow> = plans
        .iter()
        .filter_map(|p| match p {
            Plan::Send(r) => Some(r.clone()),
            Plan::Decided(_) => None,
        })
        .collect();
    let decided: Vec<RowResult> = plans
        .into_iter()
        .filter_map(|p| match p {
            Plan::Decided(r) => Some(r),
            Plan::Send(_) => None,
        })
        .collect();
    let options = options(job.op, flags);
    if job.dry_run {
        return dry_run(ctx, api, &job, &to_send, &decided, &earlier, options);
    }
    if job.op == BulkOp::Delete && !job.yes && !to_send.is_empty() {
        super::delete::confirmed(ctx, &format!("Delete {} {}?", to_send.len(), res.name))?;
    }
    let files = results::open(&paths, flags.resume)?;
    let bar = progress(ctx, to_send.len() as u64);
    let mut writer = Writer::new(files, &input, earlier.done.clone(), bar);
    writer.finished(&decided);
    let resume = format!(
        "what was done is in {}: run the same command with --resume to go on",
        paths.results.display()
    );
    let sending = api.bulk(job.op, to_send, options, writer);
    let sent = match job.timeout {
        None => sending.await,
        Some(limit) => match tokio::time::timeout(limit, sending).await {
            Ok(sent) => sent,
            Err(_) => return Err(crate::session::timed_out(limit, &format!("; {resume}"))),
        },
    };
    let writer = match sent {
        Ok(w) => w,
        Err(e) => return Err(anyhow::Error::new(e).context(format!("stopped; {resume}"))),
    };
    let (all, counts) = writer.close()?;
    let failed: BTreeSet<u64> = all
        .values()
        .filter(|r| matches!(r.outcome, Outcome::Failed | Outcome::Unknown))
        .map(|r| r.line)
        .collect();
    let rejects = results::write_rejects(&paths.rejects, &input, &failed)?;
    let ended = input.records.iter().all(|r| all.contains_key(&r.line));
    if ended {
        crate::fsutil::remove_if_present(&paths.sending)?;
    }
    let after = session.client.stats();
    let summary = Summary {
        resource: res.name,
        op: job.op,
        rows: input.records.len() as u64,
        this_run: counts,
        total: totals(&all),
        requests: after.requests - before.requests,
        retries: after.retries - before.retries,
        seconds: started.elapsed().as_secs_f64(),
        results: paths.results.display().to_string(),
        rejects: (rejects > 0).then(|| paths.rejects.display().to_string()),
    };
    summary.print(ctx, globals)?;
    let total = summary.total;
    if total.failed + total.unknown == 0 {
        return Ok(());
    }
    let rate_limited = all.values().any(|r| r.retry && r.status == Some(429));
    Err(anyhow::Error::new(Failure {
        code: if rate_limited {
            exit::RATE_LIMIT
        } else {
            exit::OTHER
        },
        message: format!(
            "{} of {} rows did not succeed: they are in {}{}",
            total.failed + total.unknown,
            summary.rows,
            paths.rejects.display(),
            if all.values().any(|r| r.retry) {
                " (those that failed for a passing reason are sent again by --resume)"
            } else {
                ""
            }
        ),
    }))
}

/// The fields `--set` and the name flags give every row, checked like a one-object write's.
async fn every_row(
    session: &Session,
    api: &ResourceClient,
    job: &Job<'_>,
) -> Result<serde_json::Map<String, Value>> {
    let mut objects = vec![Value::Object(crate::input::sets(job.sets)?)];
    super::fields::check(api.resource().path, &objects, job.allow_unknown)?;
    super::fields::apply(&mut session.names(), job.named, &mut objects).await?;
    Ok(match objects.pop() {
        Some(Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    })
}

/// Each row's custom fields as `(name, text)`: its `cf.NAME` cells and the `--field` values
/// (a row giving a field `--field` gives too is refused).
fn custom_texts(
    rows: &mut [(input::Record, Result<rows::Row, String>)],
    job: &Job<'_>,
) -> Result<BTreeMap<u64, Vec<(String, String)>>> {
    let every = super::custom::pairs(&job.custom.fields)?;
    let mut texts = BTreeMap::new();
    for (record, row) in rows.iter_mut() {
        let Ok(r) = row else { continue };
        let mut mine: Vec<(String, String)> = r
            .custom
            .iter()
            .map(|(name, value)| (name.clone(), cell_text(value)))
            .collect();
        if let Some((name, _)) = every
            .iter()
            .find(|(n, _)| mine.iter().any(|(m, _)| m.eq_ignore_ascii_case(n)))
        {
            *row = Err(format!(
                "cf.{name} is given both by the row and by --field: give one"
            ));
            continue;
        }
        mine.extend(every.iter().cloned());
        if !mine.is_empty() {
            texts.insert(record.line, mine);
        }
    }
    Ok(texts)
}

/// A custom field's value as its text: a multi-select's list comma-joined.
fn cell_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Array(items) => items.iter().map(cell_text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// The definitions, with every custom field name checked (an unknown one refuses the file,
/// exit 2) and every value (a wrong one fails its row).
async fn check_custom(
    session: &Session,
    res: &'static halopsa::resource::Resource,
    job: &Job<'_>,
    rows: &mut [(input::Record, Result<rows::Row, String>)],
    texts: &BTreeMap<u64, Vec<(String, String)>>,
) -> Result<halopsa::custom_fields::Definitions> {
    let mut names = session.names();
    let defs = names.fields(res, job.custom.refresh_fields).await?;
    names.save();
    let mut seen = BTreeSet::new();
    for (name, _) in texts.values().flatten() {
        if seen.insert(name.to_lowercase()) {
            defs.resolve(name).map_err(super::custom::usage)?;
        }
    }
    for (record, row) in rows.iter_mut() {
        if row.is_ok()
            && let Some(mine) = texts.get(&record.line)
            && let Err(e) = defs.changes(mine)
        {
            *row = Err(e.to_string());
        }
    }
    Ok(defs)
}

/// Sets each row's whole `customfields` array: a create's from its values alone, an update's
/// from the object's stored array with only the named entries changed (Halo replaces the
/// array whole: HaloAPI #13). Stored arrays come from the rows the id check `found`, else
/// from one id lookup, else a read per object.
async fn custom_arrays(
    api: &ResourceClient,
    job: &Job<'_>,
    plans: &mut [Plan],
    found: HashMap<String, Value>,
    defs: &halopsa::custom_fields::Definitions,
    texts: &BTreeMap<u64, Vec<(String, String)>>,
) -> Result<()> {
    let res = api.resource();
    let wanted = |p: &Plan| matches!(p, Plan::Send(r) if texts.contains_key(&r.line));
    let mut stored = found;
    if job.op == BulkOp::Update && res.id != IdKind::PerTicket {
        let missing: Vec<String> = plans
            .iter()
            .filter(|p| wanted(p))
            .filter_map(|p| match p {
                Plan::Send(r) => r.object.get("id").map(id_text),
                Plan::Decided(_) => None,
            })
            .filter(|id| !stored.contains_key(id))
            .collect();
        if !missing.is_empty() {
            stored.extend(api.existing(&missing).await?);
        }
    }
    for p in plans.iter_mut() {
        let Plan::Send(row) = p else { continue };
        let Some(mine) = texts.get(&row.line) else {
            continue;
        };
        if row.object.get("customfields").is_some() {
            *p = failed_plan(
                row,
                "cf. columns and a 'customfields' field were both given: give one",
            );
            continue;
        }
        let existing = match job.op {
            BulkOp::Update => {
                let id = row.object.get("id").map(id_text).unwrap_or_default();
                let current = match stored.get(&id) {
                    Some(c) if c.get("customfields").is_some() => c.clone(),
                    _ => api.get(&id, &ticket_query(res, &row.object)).await?,
                };
                current
                    .get("customfields")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
            }
            _ => Vec::new(),
        };
        match halopsa::custom_fields::to_post(defs, &existing, mine) {
            Ok(array) => row.object["customfields"] = Value::Array(array),
            Err(e) => *p = failed_plan(row, &e.to_string()),
        }
    }
    Ok(())
}

fn failed_plan(row: &BulkRow, why: &str) -> Plan {
    Plan::Decided(RowResult {
        line: row.line,
        id: row.object.get("id").cloned(),
        outcome: Outcome::Failed,
        message: Some(why.to_string()),
        status: None,
        retry: false,
    })
}

/// Adds the fields every row gets; a row that gives one itself is refused.
fn merge(object: &mut Value, every: &serde_json::Map<String, Value>) -> Result<(), String> {
    let Value::Object(map) = object else {
        return Err("not a JSON object".to_string());
    };
    for (k, v) in every {
        if map.contains_key(k) {
            return Err(format!(
                "'{k}' is given both by the row and on the command line: give one"
            ));
        }
        map.insert(k.clone(), v.clone());
    }
    Ok(())
}

fn options(op: BulkOp, flags: &BulkFlags) -> BulkOptions {
    let mut options = BulkOptions::for_op(op);
    if let Some(n) = flags.batch {
        options.batch = n.max(1);
    }
    options.concurrency = flags.concurrency.max(1);
    options
}

/// Decides each row: sent, or its outcome known without sending (halo's own checks, an id
/// that does not exist, an earlier run's outcome).
async fn plan(
    api: &ResourceClient,
    job: &Job<'_>,
    rows: Vec<(input::Record, Result<rows::Row, String>)>,
    header: &[String],
    earlier: &Earlier,
) -> Result<(Vec<Plan>, HashMap<String, Value>)> {
    let res = api.resource();
    let mut plans = Vec::with_capacity(rows.len());
    for (record, row) in rows {
        if earlier.done.contains_key(&record.line) {
            continue;
        }
        let id = record_id(header, &record);
        let failed = |why: String| {
            Plan::Decided(RowResult {
                line: record.line,
                id: id.clone(),
                outcome: Outcome::Failed,
                message: Some(why),
                status: None,
                retry: false,
            })
        };
        let mut object = match row {
            Ok(r) => r.object,
            Err(why) => {
                plans.push(failed(why));
                continue;
            }
        };
        if res.id == IdKind::PerTicket
            && object.get("ticket_id").is_none()
            && let Some(t) = &job.ticket_id
        {
            object["ticket_id"] = super::write::id_value(t);
        }
        let has_id = object
            .get("id")
            .is_some_and(|id| !halopsa::id::is_unset(id));
        let problem = match job.op {
            BulkOp::Create if has_id => Some(
                "has an id: Halo would update that object, not create one (use update)".to_string(),
            ),
            BulkOp::Update | BulkOp::Delete if !has_id => {
                Some("has no id: an update without one would create a duplicate".to_string())
            }
            _ if res.id == IdKind::PerTicket && object.get("ticket_id").is_none() => {
                Some("has no ticket_id (action ids are numbered per ticket)".to_string())
            }
            _ => None,
        };
        match problem {
            Some(why) => plans.push(failed(why)),
            None => plans.push(Plan::Send(BulkRow {
                line: record.line,
                object,
            })),
        }
    }
    let found = check_ids(api, job, &mut plans, earlier).await?;
    Ok((plans, found))
}

/// The id a record gives, as it gives it (for the results of a row that fails its checks).
fn record_id(header: &[String], record: &input::Record) -> Option<Value> {
    match &record.cells {
        input::Cells::Json(v) => v.get("id").cloned(),
        input::Cells::Csv(cells) => header
            .iter()
            .position(|h| h.eq_ignore_ascii_case("id"))
            .and_then(|i| cells.get(i))
            .filter(|c| !c.trim().is_empty())
            .map(|c| super::write::id_value(c.trim())),
    }
}

/// Updates and deletes: ids that do not exist fail before anything is sent (as few requests
/// as the resource allows); rows an earlier run was sending are looked at, not sent again,
/// when what they ask is already so. Returns the rows found, by id.
async fn check_ids(
    api: &ResourceClient,
    job: &Job<'_>,
    plans: &mut [Plan],
    earlier: &Earlier,
) -> Result<HashMap<String, Value>> {
    let res = api.resource();
    let pending = |p: &Plan| matches!(p, Plan::Send(r) if earlier.pending.contains(&r.line));
    if job.op == BulkOp::Create {
        for p in plans.iter_mut().filter(|p| pending(p)) {
            if let Plan::Send(row) = p {
                *p = Plan::Decided(RowResult {
                    line: row.line,
                    id: None,
                    outcome: Outcome::Unknown,
                    message: Some(
                        "was being sent when the earlier run stopped: it may have been created, so it is not sent again"
                            .to_string(),
                    ),
                    status: None,
                    retry: false,
                });
            }
        }
        return Ok(HashMap::new());
    }
    let check_all = !(job.skip_check || res.id == IdKind::PerTicket);
    let ids: Vec<String> = plans
        .iter()
        .filter(|p| check_all || pending(p))
        .filter_map(|p| match p {
            Plan::Send(r) => r.object.get("id").map(id_text),
            Plan::Decided(_) => None,
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut found: HashMap<String, Value> = if res.id == IdKind::PerTicket {
        HashMap::new()
    } else {
        api.existing(&ids).await?
    };
    for p in plans.iter_mut() {
        let Plan::Send(row) = p else { continue };
        let id = row.object.get("id").map(id_text).unwrap_or_default();
        let was_pending = earlier.pending.contains(&row.line);
        let current = match found.get(&id) {
            // An idonly list gives ids alone: read the object to compare.
            Some(c)
                if was_pending
                    && job.op == BulkOp::Update
                    && c.as_object().is_some_and(|o| o.len() == 1) =>
            {
                let query = ticket_query(res, &row.object);
                let full = api.get(&id, &query).await?;
                found.insert(id.clone(), full.clone());
                Some(full)
            }
            other => other.cloned(),
        };
        let decided = match (job.op, current) {
            (_, None) if check_all || was_pending => {
                Some(if job.op == BulkOp::Delete && was_pending {
                    (
                        Outcome::Deleted,
                        "deleted by the earlier run (found gone on resume)".to_string(),
                        None,
                    )
                } else {
                    (
                        Outcome::Failed,
                        format!("no {} has id {id}", res.name),
                        Some(404),
                    )
                })
            }
            (BulkOp::Update, Some(current))
                if was_pending && already_applied(&row.object, &current) =>
            {
                Some((
                    Outcome::Updated,
                    "saved by the earlier run (found so on resume): not sent again".to_string(),
                    None,
                ))
            }
            _ => None,
        };
        if let Some((outcome, message, status)) = decided {
            *p = Plan::Decided(RowResult {
                line: row.line,
                id: row.object.get("id").cloned(),
                outcome,
                message: Some(message),
                status,
                retry: false,
            });
        }
    }
    Ok(found)
}

fn ticket_query(res: &halopsa::resource::Resource, object: &Value) -> Vec<(String, String)> {
    object
        .get("ticket_id")
        .filter(|_| res.id == IdKind::PerTicket)
        .map(|t| vec![("ticket_id".to_string(), id_text(t))])
        .unwrap_or_default()
}

/// Prints what would be sent: counts, requests, the first bodies. Sends no write.
fn dry_run(
    ctx: &mut Context,
    api: &ResourceClient,
    job: &Job<'_>,
    to_send: &[BulkRow],
    decided: &[RowResult],
    earlier: &Earlier,
    options: BulkOptions,
) -> Result<()> {
    let res = api.resource();
    let size = if job.op == BulkOp::Delete {
        1
    } else {
        options.batch
    };
    let requests = to_send.len().div_ceil(size.max(1));
    let verb = match job.op {
        BulkOp::Create => "creates",
        BulkOp::Update => "updates",
        _ => "deletes",
    };
    let out = ctx.io.out();
    writeln!(
        out,
        "plan: {} {verb} of {} in {requests} request{} ({} per request, {} at a time)",
        to_send.len(),
        res.name,
        if requests == 1 { "" } else { "s" },
        size,
        options.concurrency
    )?;
    if !earlier.done.is_empty() {
        writeln!(
            out,
            "      {} rows done by the earlier run",
            earlier.done.len()
        )?;
    }
    let refused: Vec<&RowResult> = decided
        .iter()
        .filter(|r| r.outcome == Outcome::Failed)
        .collect();
    if !refused.is_empty() {
        writeln!(out, "      {} rows refused before sending:", refused.len())?;
        for r in refused.iter().take(10) {
            writeln!(
                out,
                "        line {}: {}",
                r.line,
                r.message.as_deref().unwrap_or("")
            )?;
        }
        if refused.len() > 10 {
            writeln!(out, "        … and {} more", refused.len() - 10)?;
        }
    }
    let others = decided.len() - refused.len();
    if others > 0 {
        writeln!(
            out,
            "      {others} rows decided from the earlier run's last requests"
        )?;
    }
    if !to_send.is_empty() {
        match job.op {
            BulkOp::Delete => {
                let ids: Vec<String> = to_send
                    .iter()
                    .take(5)
                    .filter_map(|r| r.object.get("id").map(id_text))
                    .collect();
                writeln!(
                    out,
                    "first: DELETE /api/{}/{{id}} for {}",
                    res.path,
                    ids.join(", ")
                )?;
            }
            _ => {
                let shown: Vec<&Value> = to_send.iter().take(3).map(|r| &r.object).collect();
                writeln!(
                    out,
                    "first request: POST /api/{} with {} object{}, the first {}:",
                    res.path,
                    to_send.len().min(size),
                    if to_send.len().min(size) == 1 {
                        ""
                    } else {
                        "s"
                    },
                    shown.len()
                )?;
                writeln!(out, "{}", serde_json::to_string_pretty(&shown)?)?;
            }
        }
    }
    writeln!(out, "(dry run: nothing was written)")?;
    Ok(())
}

/// A progress bar on standard error when it is a terminal.
fn progress(ctx: &Context, len: u64) -> indicatif::ProgressBar {
    if !ctx.io.stderr_tty {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(len),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:30} {pos}/{len} rows  {per_sec}  ETA {eta}  {msg}",
    ) {
        bar.set_style(style);
    }
    bar
}

fn totals(all: &BTreeMap<u64, RowResult>) -> Counts {
    let mut counts = Counts::default();
    for r in all.values() {
        counts.add(r.outcome);
    }
    counts
}

/// The line a bulk job ends with.
struct Summary {
    resource: &'static str,
    op: BulkOp,
    rows: u64,
    this_run: Counts,
    total: Counts,
    requests: u64,
    retries: u64,
    seconds: f64,
    results: String,
    rejects: Option<String>,
}

impl Summary {
    fn print(&self, ctx: &mut Context, globals: &Globals) -> Result<()> {
        if globals.output.format.is_some() {
            let value = json!({
                "resource": self.resource,
                "rows": self.rows,
                "created": self.total.created,
                "updated": self.total.updated,
                "deleted": self.total.deleted,
                "failed": self.total.failed,
                "unknown": self.total.unknown,
                "this_run": self.this_run,
                "requests": self.requests,
                "retries": self.retries,
                "seconds": (self.seconds * 1000.0).round() / 1000.0,
                "results": self.results,
                "rejects": self.rejects,
            });
            return crate::output::write_object(ctx.io.out(), &value, &globals.output);
        }
        let t = self.total;
        let done = match self.op {
            BulkOp::Create => format!("{} created", t.created),
            BulkOp::Update => format!("{} updated", t.updated),
            _ => format!("{} deleted", t.deleted),
        };
        let out = ctx.io.out();
        writeln!(
            out,
            "{} {}: {done}, {} failed, {} unknown, of {} rows; {} request{} ({} retries) in {:.1} s",
            self.resource,
            match self.op {
                BulkOp::Create => "create",
                BulkOp::Update => "update",
                _ => "delete",
            },
            t.failed,
            t.unknown,
            self.rows,
            self.requests,
            if self.requests == 1 { "" } else { "s" },
            self.retries,
            self.seconds
        )?;
        if self.this_run != self.total {
            let r = self.this_run;
            writeln!(
                out,
                "  this run: {} created, {} updated, {} deleted, {} failed, {} unknown",
                r.created, r.updated, r.deleted, r.failed, r.unknown
            )?;
        }
        writeln!(out, "  results: {}", self.results)?;
        if let Some(rejects) = &self.rejects {
            writeln!(
                out,
                "  rejects: {rejects} (the rows that did not succeed, as they were given: fix them and run again with --from {rejects})"
            )?;
        }
        Ok(())
    }
}
