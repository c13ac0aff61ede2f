//! `halo <resource> list | get | count | create | update | delete`: one command per row of
//! the resource table, built at run time; filter flags come from Halo's OpenAPI file.

use crate::exit::Failure;
use crate::output::{OutputOptions, RowWriter, write_object};
use crate::session;
use anyhow::Result;
use clap::{Arg, ArgAction, ArgMatches, Command};
use futures::TryStreamExt;
use halopsa::filter::{self, Param, ParamKind};
use halopsa::resource::{IdKind, Ops, RESOURCES, Resource};
use halopsa::{ApiRequest, ListOptions, ResourceClient};
use serde_json::Value;
use std::io::{IsTerminal, Write};

/// Rows listed when neither `--all`, `--limit` nor `--page` is given.
const DEFAULT_LIMIT: u64 = 100;

/// Filters shown in `--help` (the others are accepted but hidden to keep help readable).
const MAIN_FILTERS: &[&str] = &[
    "search",
    "client_id",
    "site_id",
    "user_id",
    "agent_id",
    "status_id",
    "ticket_id",
    "open_only",
    "closed_only",
    "ticketids",
    "status",
    "agent",
    "team",
    "requesttype",
    "priority",
    "datesearch",
    "startdate",
    "enddate",
    "start_date",
    "end_date",
    "order",
    "orderdesc",
    "includeinactive",
    "toplevel_id",
    "assettype_id",
    "inventory_number",
    "deleted",
];

/// Options every command shares.
pub struct Globals {
    /// `--profile`.
    pub profile: Option<String>,
    /// `-o` and `--columns`.
    pub output: OutputOptions,
    /// `--rate-limit`, `--no-rate-limit`, `--max-retries`.
    pub pacing: session::Pacing,
}

/// The resource whose CLI name (or alias) is `name`.
pub fn find(name: &str) -> Option<&'static Resource> {
    RESOURCES.iter().find(|r| r.name == name)
}

/// The command of every resource.
pub fn commands() -> Vec<Command> {
    RESOURCES.iter().map(command).collect()
}

fn flag_name(param: &str) -> String {
    param.replace('_', "-")
}

const OWN_FLAGS: &[&str] = &[
    "filter",
    "all",
    "limit",
    "page",
    "page-size",
    "details",
    "allow-unknown-filter",
    "output",
    "columns",
    "profile",
    "verbose",
    "help",
    "ticket-id",
    "reason",
    "yes",
    "dry-run",
    "set",
    "json",
    "skip-check",
];

/// Filter flags for the query parameters Halo lists for `GET /{path}`.
pub fn filter_args(path: &str) -> Vec<Arg> {
    let mut seen = std::collections::HashSet::new();
    filter::params_for("GET", path)
        .unwrap_or(&[])
        .iter()
        .filter(|p| !halopsa::paging::is_paging_param(p.name))
        .filter_map(|p| {
            let long = flag_name(p.name);
            if OWN_FLAGS.contains(&long.as_str()) || !seen.insert(long.to_ascii_lowercase()) {
                return None;
            }
            let arg = Arg::new(format!("f:{}", p.name))
                .long(long)
                .help(format!("Halo filter '{}'", p.name))
                .hide(!MAIN_FILTERS.contains(&p.name));
            Some(match p.kind {
                ParamKind::Bool => arg
                    .num_args(0..=1)
                    .default_missing_value("true")
                    .value_name("BOOL"),
                ParamKind::Ints => arg.num_args(1..).value_delimiter(',').value_name("IDS"),
                _ => arg.value_name("VALUE"),
            })
        })
        .collect()
}

pub fn filter_common(cmd: Command) -> Command {
    cmd.arg(
        Arg::new("filter")
            .long("filter")
            .value_name("NAME=VALUE")
            .action(ArgAction::Append)
            .help("Any Halo filter by its exact name (checked against Halo's OpenAPI file)"),
    )
    .arg(
        Arg::new("allow-unknown-filter")
            .long("allow-unknown-filter")
            .action(ArgAction::SetTrue)
            .help("Send a filter name Halo's OpenAPI file does not list (Halo ignores unknown names silently)"),
    )
}

/// `--concurrency N`: pages fetched at once after the first (within the rate limit).
pub fn concurrency_arg() -> Arg {
    Arg::new("concurrency")
        .long("concurrency")
        .value_name("N")
        .value_parser(clap::value_parser!(usize))
        .default_value("4")
        .help("Pages fetched at once after the first (1: one by one)")
}

fn id_arg() -> Arg {
    Arg::new("id")
        .required(true)
        .value_name("ID")
        .help("The object's id")
}

fn ticket_id_arg(required: bool) -> Arg {
    Arg::new("ticket-id")
        .long("ticket-id")
        .value_name("ID")
        .required(required)
        .help("The ticket the action belongs to (action ids are per ticket)")
}

fn write_args(cmd: Command) -> Command {
    cmd.arg(
        Arg::new("set")
            .long("set")
            .value_name("NAME=VALUE")
            .action(ArgAction::Append)
            .help("A field (VALUE is JSON if it parses: 3, true, [1,2]; else text)"),
    )
    .arg(
        Arg::new("json")
            .long("json")
            .value_name("FILE|-")
            .help("A JSON object or array of objects from FILE or standard input"),
    )
    .arg(
        Arg::new("dry-run")
            .long("dry-run")
            .action(ArgAction::SetTrue)
            .help("Print the exact request without sending it"),
    )
}

/// The command of one resource.
pub fn command(res: &'static Resource) -> Command {
    let mut cmd = Command::new(res.name)
        .about(res.summary)
        .subcommand_required(true)
        .arg_required_else_help(true);
    let mut aliases: Vec<String> = res.aliases.iter().map(|a| a.to_string()).collect();
    if !res.path.contains('/') {
        aliases.push(res.path.to_string());
        aliases.push(res.path.to_ascii_lowercase());
    }
    aliases.retain(|a| a != res.name);
    aliases.sort();
    aliases.dedup();
    cmd = cmd.aliases(aliases);
    let per_ticket = res.id == IdKind::PerTicket;
    if res.ops.contains(Ops::LIST) {
        let list = Command::new("list")
            .about(format!("List {} (every row with --all)", res.name))
            .args(filter_args(res.path))
            .arg(
                Arg::new("all")
                    .long("all")
                    .action(ArgAction::SetTrue)
                    .conflicts_with_all(["limit", "page"])
                    .help("Every row, page by page"),
            )
            .arg(
                Arg::new("limit")
                    .long("limit")
                    .value_name("N")
                    .value_parser(clap::value_parser!(u64))
                    .help(format!("At most N rows (default {DEFAULT_LIMIT})")),
            )
            .arg(
                Arg::new("page")
                    .long("page")
                    .value_name("N")
                    .value_parser(clap::value_parser!(u32).range(1..))
                    .conflicts_with("limit")
                    .help("Only page N"),
            )
            .arg(
                Arg::new("page-size")
                    .long("page-size")
                    .value_name("N")
                    .value_parser(clap::value_parser!(u32).range(1..=100))
                    .help("Rows per page (at most 100)"),
            )
            .arg(
                Arg::new("details")
                    .long("details")
                    .action(ArgAction::SetTrue)
                    .help("Ask for details (includedetails=true)"),
            )
            .arg(concurrency_arg());
        cmd = cmd.subcommand(filter_common(list));
        let count = Command::new("count")
            .about(format!("Count {}", res.name))
            .args(filter_args(res.path));
        cmd = cmd.subcommand(filter_common(count));
    }
    if res.ops.contains(Ops::GET) && res.id != IdKind::None {
        let get = Command::new("get")
            .about("Show one object")
            .arg(id_arg())
            .arg(
                Arg::new("details")
                    .long("details")
                    .action(ArgAction::SetTrue)
                    .help("Ask for details (includedetails=true)"),
            );
        let get = if per_ticket {
            get.arg(ticket_id_arg(true))
        } else {
            get
        };
        cmd = cmd.subcommand(filter_common(get));
    }
    if res.ops.contains(Ops::CREATE) {
        cmd = cmd.subcommand(write_args(
            Command::new("create").about("Create objects (Halo answers with what it saved)"),
        ));
    }
    if res.ops.contains(Ops::UPDATE) && res.id != IdKind::None {
        let update =
            write_args(Command::new("update").about("Change an object (its id is checked first)"))
                .arg(id_arg())
                .arg(
                    Arg::new("skip-check")
                        .long("skip-check")
                        .action(ArgAction::SetTrue)
                        .help("Do not read the object back before posting"),
                );
        cmd = cmd.subcommand(if per_ticket {
            update.arg(ticket_id_arg(true))
        } else {
            update
        });
    }
    if res.ops.contains(Ops::DELETE) {
        let mut delete = Command::new("delete")
            .about("Delete an object")
            .arg(id_arg())
            .arg(
                Arg::new("yes")
                    .long("yes")
                    .short('y')
                    .action(ArgAction::SetTrue)
                    .help("Do not ask for confirmation"),
            )
            .arg(
                Arg::new("dry-run")
                    .long("dry-run")
                    .action(ArgAction::SetTrue)
                    .help("Print the exact request without sending it"),
            );
        if res.path == "Tickets" {
            delete = delete.arg(
                Arg::new("reason")
                    .long("reason")
                    .value_name("TEXT")
                    .help("Why (tickets are soft-deleted and can be recovered)"),
            );
        }
        cmd = cmd.subcommand(if per_ticket {
            delete.arg(ticket_id_arg(true))
        } else {
            delete
        });
    }
    with_pacing(cmd)
}

/// Adds the rate-limit and retry flags to every verb of a command.
pub fn with_pacing(cmd: Command) -> Command {
    use clap::Args;
    cmd.mut_subcommands(crate::session::Pacing::augment_args)
}

/// Query parameters from the filter flags and `--filter`, names checked against the spec.
pub fn filters(
    res: &Resource,
    method_path: &str,
    m: &ArgMatches,
    details: bool,
) -> Result<Vec<(String, String)>> {
    let params: &[Param] = filter::params_for("GET", method_path).unwrap_or(&[]);
    let mut query = Vec::new();
    for p in params
        .iter()
        .filter(|p| !halopsa::paging::is_paging_param(p.name))
    {
        let id = format!("f:{}", p.name);
        if m.try_contains_id(&id).unwrap_or(false)
            && let Some(values) = m.get_many::<String>(&id)
        {
            let values: Vec<String> = values.cloned().collect();
            let v = filter::format_value(p.kind, &values)
                .map_err(|e| Failure::usage(format!("--{}: {e}", flag_name(p.name))))?;
            query.push((p.name.to_string(), v));
        }
    }
    let allow_unknown = m.get_flag("allow-unknown-filter");
    for pair in m.get_many::<String>("filter").into_iter().flatten() {
        let (name, value) = pair
            .split_once('=')
            .ok_or_else(|| Failure::usage(format!("--filter '{pair}' is not name=value")))?;
        if halopsa::paging::is_paging_param(name) {
            return Err(Failure::usage(format!(
                "--filter {}: paging is halo's own (it would fight the walk): use --page N, --page-size N, --limit N or --all",
                name.trim()
            )));
        }
        let name = match filter::check("GET", method_path, name.trim()) {
            Ok(exact) => exact.to_string(),
            Err(_) if allow_unknown => name.trim().to_string(),
            Err(e) => return Err(Failure::usage(format!("{e} (or --allow-unknown-filter)"))),
        };
        let value = match params.iter().find(|p| p.name == name) {
            Some(p) => filter::format_value(p.kind, &[value.to_string()])
                .map_err(|e| Failure::usage(format!("--filter {name}: {e}")))?,
            None => value.to_string(),
        };
        query.retain(|(k, _)| *k != name);
        query.push((name, value));
    }
    if details {
        match filter::check("GET", method_path, "includedetails") {
            Ok(exact) => query.push((exact.to_string(), "true".into())),
            Err(_) => {
                return Err(Failure::usage(format!(
                    "Halo offers no details on this {} call",
                    res.name
                )));
            }
        }
    }
    Ok(query)
}

/// Runs `halo <resource> <verb>`.
pub async fn run(res: &'static Resource, m: &ArgMatches, globals: Globals) -> Result<()> {
    let Some((verb, m)) = m.subcommand() else {
        return Err(Failure::usage(format!(
            "halo {}: name a verb (list, get, ...)",
            res.name
        )));
    };
    let walk = verb == "list" && (m.get_flag("all") || m.contains_id("limit"));
    session::bounded(
        globals.pacing.timeout(walk),
        verb_run(res, verb, m, &globals),
    )
    .await
}

async fn verb_run(
    res: &'static Resource,
    verb: &str,
    m: &ArgMatches,
    globals: &Globals,
) -> Result<()> {
    let session = session::open(globals.profile.as_deref(), &globals.pacing)?;
    let api = session.client.resource(res);
    let out = std::io::stdout().lock();
    match verb {
        "list" => list(&api, m, &globals.output, out).await,
        "count" => {
            let query = filters(res, res.path, m, false)?;
            let n = api.count(&query).await?;
            writeln!(std::io::stdout(), "{n}")?;
            Ok(())
        }
        "get" => {
            let id = m.get_one::<String>("id").cloned().unwrap_or_default();
            let path = format!("{}/{id}", res.path);
            let mut query = filters(res, &path, m, m.get_flag("details"))?;
            if let Some(t) = opt(m, "ticket-id") {
                query.push(("ticket_id".into(), t.clone()));
            }
            let obj = api.get(&id, &query).await?;
            write_object(out, &obj, &globals.output)
        }
        "create" => {
            let objects = crate::input::objects(
                m.get_one::<String>("json").map(String::as_str),
                &strings(m, "set"),
            )?;
            let req = api.create_request(objects.clone())?;
            if m.get_flag("dry-run") {
                return dry_run(&session.client, &req);
            }
            let saved = api.create(objects).await?;
            write_saved(out, &saved, &globals.output)
        }
        "update" => {
            let id = m.get_one::<String>("id").cloned().unwrap_or_default();
            let mut objects = crate::input::objects(
                m.get_one::<String>("json").map(String::as_str),
                &strings(m, "set"),
            )?;
            if objects.len() != 1 {
                return Err(Failure::usage(
                    "update changes one object: give one JSON object",
                ));
            }
            if let Some(given) = objects[0]
                .get("id")
                .map(halopsa::id::id_text)
                .filter(|g| *g != id)
            {
                return Err(Failure::usage(format!(
                    "the JSON has id {given} but the command names {id}"
                )));
            }
            objects[0]["id"] = id_value(&id);
            if let Some(t) = opt(m, "ticket-id") {
                objects[0]["ticket_id"] = id_value(t);
            }
            let req = api.update_request(objects.clone())?;
            if m.get_flag("dry-run") {
                return dry_run(&session.client, &req);
            }
            let saved = api.update(objects, !m.get_flag("skip-check")).await?;
            write_saved(out, &saved, &globals.output)
        }
        "delete" => {
            let id = m.get_one::<String>("id").cloned().unwrap_or_default();
            let mut query = Vec::new();
            if let Some(r) = opt(m, "reason") {
                query.push(("reason".to_string(), r.clone()));
            }
            if let Some(t) = opt(m, "ticket-id") {
                query.push(("ticket_id".to_string(), t.clone()));
            }
            let req = api.delete_request(&id, &query)?;
            if m.get_flag("dry-run") {
                return dry_run(&session.client, &req);
            }
            if !m.get_flag("yes")
                && std::io::stdin().is_terminal()
                && std::io::stderr().is_terminal()
                && !confirm(&format!("Delete {} {id}?", res.name))?
            {
                return Err(Failure::usage("not deleted"));
            }
            let answer = api.delete(&id, &query).await?;
            if globals.output.format.is_some() {
                write_object(out, &answer, &globals.output)
            } else {
                let mut out = out;
                writeln!(out, "deleted {} {id}", res.name)?;
                Ok(())
            }
        }
        other => Err(Failure::usage(format!(
            "halo {}: unknown verb '{other}'",
            res.name
        ))),
    }
}

async fn list(
    api: &ResourceClient,
    m: &ArgMatches,
    output: &OutputOptions,
    out: std::io::StdoutLock<'_>,
) -> Result<()> {
    let res = api.resource();
    let query = filters(res, res.path, m, m.get_flag("details"))?;
    let page_size = m.get_one::<u32>("page-size").copied().unwrap_or(100);
    let mut writer = RowWriter::new(out, output);
    if let Some(page) = m.get_one::<u32>("page").copied() {
        let p = api.list_page(&query, page, page_size).await?;
        for row in &p.items {
            writer.row(row)?;
        }
        writer.finish()?.flush()?;
        if let Some(total) = p.record_count {
            eprintln!("page {page}: {} rows of {total}", p.items.len());
        }
        return Ok(());
    }
    let explicit = m.get_one::<u64>("limit").copied();
    let limit = if m.get_flag("all") {
        None
    } else {
        Some(explicit.unwrap_or(DEFAULT_LIMIT))
    };
    let (stream, report) = api.list(
        query,
        ListOptions {
            page_size,
            limit,
            concurrency: m.get_one::<usize>("concurrency").copied().unwrap_or(4),
            ..ListOptions::default()
        },
    );
    futures::pin_mut!(stream);
    let mut shown = 0u64;
    while let Some(row) = stream.try_next().await? {
        writer.row(&row)?;
        shown += 1;
    }
    writer.finish()?.flush()?;
    let notes = report.notes();
    if let Some((from, to)) = notes.count_changed {
        eprintln!(
            "warning: the number of {} changed from {from} to {to} during the listing",
            res.name
        );
    }
    if let Some((promised, got)) = notes.incomplete {
        eprintln!(
            "warning: incomplete: Halo's record_count promised {promised} {} but {got} were listed (more than rows added or removed meanwhile explain)",
            res.name
        );
    }
    if explicit.is_none() && !m.get_flag("all") && shown == DEFAULT_LIMIT {
        eprintln!(
            "(the first {DEFAULT_LIMIT} {}; --all for every row, --limit N for more)",
            res.name
        );
    }
    Ok(())
}

/// An argument only some resources define (`--ticket-id`, `--reason`).
fn opt<'a>(m: &'a ArgMatches, id: &str) -> Option<&'a String> {
    m.try_get_one::<String>(id).ok().flatten()
}

fn strings(m: &ArgMatches, id: &str) -> Vec<String> {
    m.get_many::<String>(id)
        .into_iter()
        .flatten()
        .cloned()
        .collect()
}

fn id_value(id: &str) -> Value {
    id.parse::<i64>()
        .map(Value::from)
        .unwrap_or_else(|_| Value::String(id.to_string()))
}

fn write_saved(
    out: std::io::StdoutLock<'_>,
    saved: &[Value],
    output: &OutputOptions,
) -> Result<()> {
    if let [one] = saved {
        return write_object(out, one, output);
    }
    let mut writer = RowWriter::new(out, output);
    for row in saved {
        writer.row(row)?;
    }
    writer.finish()?.flush()?;
    Ok(())
}

/// Prints a request exactly as it would be sent.
pub fn dry_run(client: &halopsa::Client, req: &ApiRequest) -> Result<()> {
    let mut url = client.settings().api_url(&req.path)?;
    if !req.query.is_empty() {
        url.query_pairs_mut().extend_pairs(req.query.iter());
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "{} {url}", req.method)?;
    if let Some(body) = &req.body {
        writeln!(out, "Content-Type: application/json\n")?;
        writeln!(out, "{}", serde_json::to_string_pretty(body)?)?;
    }
    writeln!(out, "(dry run: nothing was sent)")?;
    Ok(())
}

fn confirm(question: &str) -> Result<bool> {
    eprint!("{question} [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}
