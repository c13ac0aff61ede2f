//! The tools, one row each: name, toolset, hints, arguments (their JSON Schema generated from
//! the typed struct) and the function that answers. [`all`] is the whole table; the server
//! offers the rows its flags allow.

use super::answer::Answer;
use super::state::State;
use super::{catalog, customers, raw, reports, tickets, writes};
use crate::exit::Failure;
use anyhow::Result;
use futures::FutureExt;
use futures::future::BoxFuture;
use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use serde::de::DeserializeOwned;
use std::future::Future;
use std::sync::Arc;

/// A group of tools offered together (`--toolsets`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Toolset {
    /// Tickets: search, one ticket whole, open tickets (and, with --allow-writes, the writes).
    Tickets,
    /// Customers: a client's card.
    Customers,
    /// Assets: find one.
    Assets,
    /// The knowledge base.
    Kb,
    /// Reports: read-only SQL on Halo's reporting database.
    Reports,
    /// The local mirror (`halo sync`): SQL with no API cost.
    Mirror,
    /// Any resource by name: list with filters, get by id, what a resource takes.
    Raw,
}

/// What a tool does to the world, as the MCP hints say it.
#[derive(Debug, Clone, Copy)]
pub enum Effect {
    /// Reads Halo.
    ReadsHalo,
    /// Reads only the local mirror.
    ReadsMirror,
    /// Writes to Halo.
    Writes {
        /// It may change or overwrite what was there.
        destructive: bool,
        /// Calling it twice with the same arguments does no more than once.
        idempotent: bool,
    },
}

type Call = Box<dyn Fn(Arc<State>, JsonObject) -> BoxFuture<'static, Result<Answer>> + Send + Sync>;

/// One tool.
pub struct ToolDef {
    /// What the client is told.
    pub tool: Tool,
    /// Its toolset.
    pub toolset: Toolset,
    /// Whether it writes (offered only with `--allow-writes`).
    pub writes: bool,
    call: Call,
}

impl ToolDef {
    /// Runs the tool on `args`, checked against its argument type first.
    pub fn call(&self, state: Arc<State>, args: JsonObject) -> BoxFuture<'static, Result<Answer>> {
        (self.call)(state, args)
    }
}

/// A row of the table: `f` answers the arguments `A` (their schema is `A`'s JSON Schema).
fn def<A, F, Fut>(
    name: &'static str,
    title: &'static str,
    toolset: Toolset,
    effect: Effect,
    description: &'static str,
    f: F,
) -> ToolDef
where
    A: DeserializeOwned + schemars::JsonSchema + 'static,
    F: Fn(Arc<State>, A) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Answer>> + Send + 'static,
{
    let schema = rmcp::handler::server::tool::schema_for_type::<A>();
    let (read_only, destructive, idempotent, open_world) = match effect {
        Effect::ReadsHalo => (true, false, true, true),
        Effect::ReadsMirror => (true, false, true, false),
        Effect::Writes {
            destructive,
            idempotent,
        } => (false, destructive, idempotent, true),
    };
    let annotations = ToolAnnotations::with_title(title)
        .read_only(read_only)
        .destructive(destructive)
        .idempotent(idempotent)
        .open_world(open_world);
    let tool = Tool::new(name, description, schema.clone()).annotate(annotations);
    let call: Call = Box::new(move |state, args| match parse::<A>(name, &schema, args) {
        Ok(a) => f(state, a).boxed(),
        Err(e) => std::future::ready(Err(e)).boxed(),
    });
    ToolDef {
        tool,
        toolset,
        writes: matches!(effect, Effect::Writes { .. }),
        call,
    }
}

/// The arguments as `A`; a mismatch is a usage error that names the argument at fault and
/// lists the arguments the tool takes.
fn parse<A: DeserializeOwned>(tool: &str, schema: &JsonObject, args: JsonObject) -> Result<A> {
    let known = schema.get("properties").and_then(|p| p.as_object());
    if let Some(unknown) = args
        .keys()
        .find(|k| known.is_none_or(|p| !p.contains_key(*k)))
    {
        let near = known
            .into_iter()
            .flat_map(|p| p.keys())
            .map(|k| (strsim::jaro_winkler(unknown, k), k))
            .filter(|(score, _)| *score > 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, k)| format!(" (did you mean '{k}'?)"))
            .unwrap_or_default();
        return Err(Failure::usage(format!(
            "bad arguments for {tool}: unknown argument '{unknown}'{near}; it takes {}",
            takes(schema)
        )));
    }
    serde_path_to_error::deserialize(serde_json::Value::Object(args)).map_err(|e| {
        let at = e.path().to_string();
        let what = e.inner().to_string();
        let place = if at == "." {
            String::new()
        } else {
            format!("argument '{at}': ")
        };
        Failure::usage(format!(
            "bad arguments for {tool}: {place}{what}; it takes {}",
            takes(schema)
        ))
    })
}

/// The arguments a schema lists, `name (type, required)`, for error messages.
fn takes(schema: &JsonObject) -> String {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(|r| r.as_array())
        .map(|r| r.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    let Some(props) = schema.get("properties").and_then(|p| p.as_object()) else {
        return "no arguments".into();
    };
    props
        .iter()
        .map(|(name, p)| {
            let kind = match p.get("type") {
                Some(serde_json::Value::String(t)) => t.clone(),
                Some(serde_json::Value::Array(ts)) => ts
                    .iter()
                    .filter_map(|t| t.as_str())
                    .filter(|t| *t != "null")
                    .collect::<Vec<_>>()
                    .join("|"),
                _ => match values(schema, p) {
                    Some(vs) if !vs.is_empty() => vs.join("|"),
                    _ => "value".into(),
                },
            };
            let need = if required.contains(&name.as_str()) {
                ", required"
            } else {
                ""
            };
            format!("{name} ({kind}{need})")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The values an enumerated property takes (`"concise"|"detailed"`), itself or through its
/// `$ref` into the schema's `$defs`.
fn values(schema: &JsonObject, p: &serde_json::Value) -> Option<Vec<String>> {
    let def = match p.get("$ref").and_then(|r| r.as_str()) {
        Some(r) => schema.get("$defs")?.get(r.rsplit('/').next()?)?,
        None => p,
    };
    let quoted = |v: &serde_json::Value| v.as_str().map(|s| format!("\"{s}\""));
    if let Some(e) = def.get("enum").and_then(|e| e.as_array()) {
        return Some(e.iter().filter_map(quoted).collect());
    }
    let one_of = def.get("oneOf").and_then(|o| o.as_array())?;
    Some(
        one_of
            .iter()
            .filter_map(|o| o.get("const"))
            .filter_map(quoted)
            .collect(),
    )
}

const WRITE: Effect = Effect::Writes {
    destructive: false,
    idempotent: false,
};
const CHANGE: Effect = Effect::Writes {
    destructive: true,
    idempotent: true,
};

/// Every tool, in the order they are listed.
pub fn all() -> Vec<ToolDef> {
    use Effect::{ReadsHalo, ReadsMirror};
    use Toolset::*;
    vec![
        def(
            "halo_search_tickets",
            "Search tickets",
            Tickets,
            ReadsHalo,
            "Find tickets by words in their summary, details and notes. Uses the local mirror's \
             full-text index when `halo sync` has made one (ranked, with a snippet, no API cost), \
             else Halo's own search.",
            tickets::search,
        ),
        def(
            "halo_get_ticket",
            "Get a ticket",
            Tickets,
            ReadsHalo,
            "One ticket with its newest actions (notes, e-mails, time) and its attachments list.",
            tickets::get,
        ),
        def(
            "halo_open_tickets",
            "Open tickets",
            Tickets,
            ReadsHalo,
            "The open tickets of an agent (default: the one this server acts as), a team or a \
             client, newest first; names or ids.",
            tickets::open,
        ),
        def(
            "halo_client_card",
            "Client card",
            Customers,
            ReadsHalo,
            "A client by name or id: the client, its sites, its main contacts, its open tickets \
             and its contracts, in one answer.",
            customers::card,
        ),
        def(
            "halo_find_assets",
            "Find assets",
            Assets,
            ReadsHalo,
            "Assets (devices) matching a search text (asset tag, serial, name) and/or belonging \
             to a client.",
            catalog::assets,
        ),
        def(
            "halo_search_kb",
            "Search the knowledge base",
            Kb,
            ReadsHalo,
            "Knowledge-base articles matching a search text.",
            catalog::kb,
        ),
        def(
            "halo_sql",
            "Run read-only SQL",
            Reports,
            ReadsHalo,
            "One read-only query (SELECT or WITH ... SELECT, SQL Server dialect) against Halo's \
             reporting database, e.g. SELECT TOP 10 Faultid, Symptom FROM Faults. Writes, \
             several statements and SELECT INTO are refused before anything is sent.",
            reports::sql,
        ),
        def(
            "halo_query_mirror",
            "Query the local mirror",
            Mirror,
            ReadsMirror,
            "Read-only SQL over the local mirror `halo sync` keeps (SQLite, or PostgreSQL): no \
             API cost, every row. Give schema=true first to see its tables and columns.",
            reports::mirror,
        ),
        def(
            "halo_resources",
            "Describe resources",
            Raw,
            ReadsHalo,
            "Without a resource: every resource halo_list and halo_get accept. With one: its \
             filters (name, type, what each does) and the operations it has.",
            raw::describe,
        ),
        def(
            "halo_list",
            "List any resource",
            Raw,
            ReadsHalo,
            "A page of any resource by name (tickets, clients, assets, invoices, kb-articles, ...), \
             with Halo's filters by their exact names (checked; halo_resources lists them).",
            raw::list,
        ),
        def(
            "halo_get",
            "Get any object",
            Raw,
            ReadsHalo,
            "One object of any resource by id.",
            raw::get,
        ),
        def(
            "halo_create_ticket",
            "Create a ticket",
            Tickets,
            WRITE,
            "Log a new ticket. Client, site, user, type, priority, agent, team and status are \
             given by name or id; other fields by their Halo names (checked).",
            writes::create,
        ),
        def(
            "halo_add_note",
            "Add a note",
            Tickets,
            WRITE,
            "Add a note (an action) to a ticket, under the tenant's note outcome; private hides \
             it from the end user.",
            writes::note,
        ),
        def(
            "halo_update_ticket",
            "Update a ticket",
            Tickets,
            CHANGE,
            "Change fields of a ticket (it is read first: a wrong id changes nothing). Names \
             where ids go, other fields by their Halo names (checked).",
            writes::update,
        ),
        def(
            "halo_assign_ticket",
            "Assign a ticket",
            Tickets,
            CHANGE,
            "Assign a ticket to an agent (name, id or 'me') and/or a team.",
            writes::assign,
        ),
        def(
            "halo_close_ticket",
            "Close a ticket",
            Tickets,
            CHANGE,
            "Close a ticket (the tenant's 'Closed' status unless another is named), with a \
             closing note if given.",
            writes::close,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_is_named_halo_and_writes_are_marked() {
        let tools = all();
        let mut names: Vec<&str> = tools.iter().map(|t| t.tool.name.as_ref()).collect();
        assert!(names.iter().all(|n| n.starts_with("halo_")));
        names.sort();
        names.dedup();
        assert_eq!(names.len(), tools.len());
        for t in &tools {
            let a = t.tool.annotations.as_ref().unwrap();
            assert_eq!(a.read_only_hint, Some(!t.writes), "{}", t.tool.name);
            assert!(
                t.tool.input_schema.get("properties").is_some(),
                "{}",
                t.tool.name
            );
        }
        let writes: Vec<&str> = tools
            .iter()
            .filter(|t| t.writes)
            .map(|t| t.tool.name.as_ref())
            .collect();
        assert_eq!(
            writes,
            [
                "halo_create_ticket",
                "halo_add_note",
                "halo_update_ticket",
                "halo_assign_ticket",
                "halo_close_ticket"
            ]
        );
    }

    #[test]
    fn a_bad_argument_names_itself_and_the_arguments() {
        let tools = all();
        let get = tools
            .iter()
            .find(|t| t.tool.name == "halo_get_ticket")
            .unwrap();
        let args: JsonObject = serde_json::from_str(r#"{"ticket_id": "abc"}"#).unwrap();
        let err =
            parse::<super::tickets::GetTicket>("halo_get_ticket", &get.tool.input_schema, args)
                .unwrap_err()
                .to_string();
        assert!(err.contains("argument 'ticket_id'"), "{err}");
        assert!(err.contains("ticket_id (integer, required)"), "{err}");
        let args: JsonObject = serde_json::from_str(r#"{"ticket": 3}"#).unwrap();
        let err =
            parse::<super::tickets::GetTicket>("halo_get_ticket", &get.tool.input_schema, args)
                .unwrap_err()
                .to_string();
        assert!(err.contains("unknown argument 'ticket'"), "{err}");
        assert!(err.contains("did you mean 'ticket_id'"), "{err}");
    }
}
