//! The mirror's tables: one per listable resource, with its real key and a few typed core
//! columns beside the whole document.

use halopsa::id::id_from_value;
use halopsa::models::HaloDate;
use halopsa::resource::{IdKind, ListShape, MissingGet, Ops, RESOURCES, Resource};
use serde_json::Value;
use std::sync::OnceLock;

/// The resources `halo sync` mirrors when none are named.
pub const DEFAULT_TABLES: &[&str] = &[
    "tickets",
    "actions",
    "clients",
    "sites",
    "users",
    "agents",
    "assets",
    "statuses",
    "ticket_types",
    "teams",
    "priorities",
];

/// How a table's rows are keyed (reference §7, §13.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyKind {
    /// An integer `id`: [`Key::One`].
    Id,
    /// Actions: ids restart per ticket, so `(ticket_id, id)`: [`Key::Two`].
    TicketAndId,
    /// Timesheets: `id` is 0 when no record exists, so `(agent_id, date)`:
    /// [`Key::Text`]`(agent id, date text)`.
    AgentAndDate,
    /// Lookup values, numbered within their lookup: `(parent, id)`: [`Key::Two`].
    ParentAndId,
    /// A GUID `id` (priorities, webhooks): [`Key::Text`]`(guid, "")`.
    Guid,
}

/// A row's key in its table.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Key {
    /// An integer id.
    One(i64),
    /// Two integers: `(ticket_id, id)` or `(parent, id)`.
    Two(i64, i64),
    /// Two texts: `(agent id, date)` for timesheets, `(guid, "")` for GUID ids.
    Text(String, String),
}

/// A core column's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ColumnKind {
    /// A 64-bit integer (ids decoded leniently: `3`, `3.0`, `"3"`).
    Int,
    /// A floating-point number.
    Real,
    /// Text.
    Text,
    /// A boolean.
    Bool,
    /// An instant: ISO-8601 UTC text in SQLite, `timestamptz` in PostgreSQL; placeholder
    /// dates (at or before 1900-01-01) and unparsable text are null.
    Time,
}

/// A typed core column, copied from one field of the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The column's name (the same as the field's).
    pub name: &'static str,
    /// Its type.
    pub kind: ColumnKind,
}

/// One mirror table.
#[derive(Debug)]
pub struct Table {
    /// The table's name: the resource's CLI name with `-` turned into `_`.
    pub name: &'static str,
    /// The resource it mirrors.
    pub resource: &'static Resource,
    /// How its rows are keyed.
    pub key: KeyKind,
    /// The key columns, in key order, each copied from the document field of the same name
    /// except a lookup's `parent` (from `lookupid`).
    pub key_columns: &'static [Column],
    /// The typed core columns beside the key, `doc` and `synced_at`.
    pub columns: &'static [Column],
}

const fn col(name: &'static str, kind: ColumnKind) -> Column {
    Column { name, kind }
}

use ColumnKind::{Bool, Int, Real, Text, Time};

const ID: &[Column] = &[col("id", Int)];
const GUID: &[Column] = &[col("id", Text)];
const TICKET_AND_ID: &[Column] = &[col("ticket_id", Int), col("id", Int)];
const AGENT_AND_DATE: &[Column] = &[col("agent_id", Int), col("date", Text)];
const PARENT_AND_ID: &[Column] = &[col("parent", Int), col("id", Int)];

/// The field a lookup value's parent is read from (reference §13.4: `(lookupid, id)`).
const LOOKUP_PARENT_FIELD: &str = "lookupid";

const TICKET_COLUMNS: &[Column] = &[
    col("summary", Text),
    col("status_id", Int),
    col("tickettype_id", Int),
    col("priority_id", Int),
    col("client_id", Int),
    col("site_id", Int),
    col("user_id", Int),
    col("agent_id", Int),
    col("team", Text),
    col("deleted", Bool),
    col("dateoccurred", Time),
    col("dateclosed", Time),
    col("last_update", Time),
];

/// The typed core columns by resource (CLI name); resources not named here get `name`.
const CORE: &[(&str, &[Column])] = &[
    ("tickets", TICKET_COLUMNS),
    ("opportunities", TICKET_COLUMNS),
    ("projects", TICKET_COLUMNS),
    (
        "actions",
        &[
            col("outcome", Text),
            col("who_agentid", Int),
            col("datetime", Time),
            col("timetaken", Real),
            col("hiddenfromuser", Bool),
            col("last_updated", Time),
        ],
    ),
    (
        "clients",
        &[
            col("name", Text),
            col("toplevel_id", Int),
            col("inactive", Bool),
            col("alastupdate", Time),
        ],
    ),
    (
        "sites",
        &[
            col("name", Text),
            col("client_id", Int),
            col("inactive", Bool),
            col("slastupdate", Time),
        ],
    ),
    (
        "users",
        &[
            col("name", Text),
            col("emailaddress", Text),
            col("client_id", Int),
            col("site_id", Int),
            col("inactive", Bool),
            col("ulastupdate", Time),
        ],
    ),
    (
        "agents",
        &[
            col("name", Text),
            col("email", Text),
            col("team", Text),
            col("isdisabled", Bool),
        ],
    ),
    (
        "assets",
        &[
            col("inventory_number", Text),
            col("client_id", Int),
            col("site_id", Int),
            col("assettype_id", Int),
            col("status_id", Int),
            col("inactive", Bool),
            col("last_modified", Time),
        ],
    ),
    ("priorities", &[col("priorityid", Int), col("name", Text)]),
    ("timesheets", &[col("actual_hours", Real)]),
    (
        "appointments",
        &[
            col("subject", Text),
            col("agent_id", Int),
            col("client_id", Int),
            col("start_date", Time),
            col("end_date", Time),
        ],
    ),
    (
        "invoices",
        &[
            col("client_id", Int),
            col("ticket_id", Int),
            col("invoice_date", Time),
            col("total", Real),
        ],
    ),
];

/// The resources keyed within a parent (reference §7: lookup values).
const PARENT_KEYED: &[&str] = &["lookups"];

const NAME_ONLY: &[Column] = &[col("name", Text)];

fn key_kind(r: &Resource) -> KeyKind {
    if r.missing_get == MissingGet::AgentDay {
        return KeyKind::AgentAndDate;
    }
    if PARENT_KEYED.contains(&r.name) {
        return KeyKind::ParentAndId;
    }
    match r.id {
        IdKind::PerTicket => KeyKind::TicketAndId,
        IdKind::Guid => KeyKind::Guid,
        _ => KeyKind::Id,
    }
}

fn build() -> Vec<Table> {
    RESOURCES
        .iter()
        .filter(|r| {
            r.ops.contains(Ops::LIST) && r.list != ListShape::Single && r.id != IdKind::None
        })
        .map(|r| {
            let key = key_kind(r);
            let key_columns = match key {
                KeyKind::Id => ID,
                KeyKind::TicketAndId => TICKET_AND_ID,
                KeyKind::AgentAndDate => AGENT_AND_DATE,
                KeyKind::ParentAndId => PARENT_AND_ID,
                KeyKind::Guid => GUID,
            };
            let columns = CORE
                .iter()
                .find(|(name, _)| *name == r.name)
                .map_or(NAME_ONLY, |(_, c)| *c);
            let name: &'static str = Box::leak(r.name.replace('-', "_").into_boxed_str());
            Table {
                name,
                resource: r,
                key,
                key_columns,
                columns,
            }
        })
        .collect()
}

/// Every mirror table: one per listable resource, in the resource table's order.
pub fn tables() -> &'static [Table] {
    static TABLES: OnceLock<Vec<Table>> = OnceLock::new();
    TABLES.get_or_init(build)
}

/// The table for a resource's CLI name (`ticket-types`), alias, Halo path or table name
/// (`ticket_types`).
pub fn table(name: &str) -> Option<&'static Table> {
    let name = name.trim();
    tables()
        .iter()
        .find(|t| t.name.eq_ignore_ascii_case(name) || t.resource.is_named(name))
}

/// Whether a row is soft-deleted: Halo sends `deleted` as a boolean or a number (the one
/// reading of it for the sync and the webhook mirror).
pub fn is_soft_deleted(row: &Value) -> bool {
    match row.get("deleted") {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|n| n != 0.0),
        _ => false,
    }
}

/// A table whose documents full-text search reads: the field searched as the summary
/// (weighted up) and the one searched as the body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SearchSource {
    pub(crate) table: &'static str,
    pub(crate) summary: Option<&'static str>,
    pub(crate) body: &'static str,
    /// The column holding the ticket a hit gives.
    pub(crate) ticket: &'static str,
}

/// What search covers: tickets' summary and details, actions' notes.
pub(crate) const SEARCH: &[SearchSource] = &[
    SearchSource {
        table: "tickets",
        summary: Some("summary"),
        body: "details",
        ticket: "id",
    },
    SearchSource {
        table: "actions",
        summary: None,
        body: "note",
        ticket: "ticket_id",
    },
];

/// A column's value taken from a document.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Bool(bool),
}

/// An instant as fixed-width ISO-8601 UTC text (microseconds, as PostgreSQL keeps them), so
/// that text order is time order.
pub(crate) fn iso(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

impl Column {
    /// This column's value in `doc` (null when absent or of another shape).
    pub(crate) fn cell(&self, doc: &Value) -> Cell {
        let Some(v) = doc.get(self.name).filter(|v| !v.is_null()) else {
            return Cell::Null;
        };
        let cell = match self.kind {
            Int => id_from_value(v).map(Cell::Int),
            Real => match v {
                Value::Number(n) => n.as_f64().map(Cell::Real),
                Value::String(s) => s.trim().parse().ok().map(Cell::Real),
                _ => None,
            },
            Text => Some(Cell::Text(match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })),
            Bool => match v {
                Value::Bool(b) => Some(Cell::Bool(*b)),
                Value::Number(_) => id_from_value(v).map(|n| Cell::Bool(n != 0)),
                Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                    "true" | "1" => Some(Cell::Bool(true)),
                    "false" | "0" => Some(Cell::Bool(false)),
                    _ => None,
                },
                _ => None,
            },
            Time => v
                .as_str()
                .and_then(|s| HaloDate::new(s).timestamp().map(|t| Cell::Text(iso(t)))),
        };
        cell.unwrap_or(Cell::Null)
    }
}

impl Table {
    /// The row's key, or `None` when its key fields are missing or unusable (ids decode from
    /// `3`, `3.0` and `"3"`; an id of 0 is no key, except a timesheet's, keyed by agent and
    /// date instead).
    pub fn key_of(&self, row: &Value) -> Option<Key> {
        let int = |field: &str| row.get(field).and_then(id_from_value).filter(|n| *n != 0);
        match self.key {
            KeyKind::Id => int("id").map(Key::One),
            KeyKind::TicketAndId => Some(Key::Two(int("ticket_id")?, int("id")?)),
            KeyKind::ParentAndId => Some(Key::Two(int(LOOKUP_PARENT_FIELD)?, int("id")?)),
            KeyKind::AgentAndDate => {
                let date = row.get("date")?.as_str()?.trim();
                let agent = int("agent_id")?;
                (!date.is_empty()).then(|| Key::Text(agent.to_string(), date.to_string()))
            }
            KeyKind::Guid => {
                let id = row.get("id")?.as_str()?.trim();
                (!id.is_empty()).then(|| Key::Text(id.to_string(), String::new()))
            }
        }
    }

    /// The key columns' values for `key`.
    pub(crate) fn key_cells(&self, key: &Key) -> Vec<Cell> {
        match key {
            Key::One(a) => vec![Cell::Int(*a)],
            Key::Two(a, b) => vec![Cell::Int(*a), Cell::Int(*b)],
            Key::Text(a, b) => match self.key {
                KeyKind::AgentAndDate => vec![
                    a.parse().map_or_else(|_| Cell::Text(a.clone()), Cell::Int),
                    Cell::Text(b.clone()),
                ],
                _ => vec![Cell::Text(a.clone())],
            },
        }
    }

    /// The key made back from its stored columns.
    pub(crate) fn key_from_cells(&self, cells: &[Cell]) -> Option<Key> {
        match (self.key, cells) {
            (KeyKind::Id, [Cell::Int(a)]) => Some(Key::One(*a)),
            (KeyKind::TicketAndId | KeyKind::ParentAndId, [Cell::Int(a), Cell::Int(b)]) => {
                Some(Key::Two(*a, *b))
            }
            (KeyKind::AgentAndDate, [Cell::Int(a), Cell::Text(b)]) => {
                Some(Key::Text(a.to_string(), b.clone()))
            }
            (KeyKind::Guid, [Cell::Text(a)]) => Some(Key::Text(a.clone(), String::new())),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deleted_is_read_as_halo_sends_it() {
        assert!(is_soft_deleted(&json!({"deleted": true})));
        assert!(is_soft_deleted(&json!({"deleted": 1})));
        assert!(!is_soft_deleted(&json!({"deleted": false})));
        assert!(!is_soft_deleted(&json!({"id": 3})));
    }
    use serde_json::json;

    #[test]
    fn every_listable_resource_has_a_table_with_its_real_key() {
        assert!(tables().len() > 40, "{}", tables().len());
        for name in DEFAULT_TABLES {
            assert!(table(name).is_some(), "{name}");
        }
        assert_eq!(table("ticket-types").unwrap().name, "ticket_types");
        assert_eq!(table("TicketType").unwrap().name, "ticket_types");
        assert!(table("control").is_none());
        assert!(table("nope").is_none());
        assert_eq!(table("actions").unwrap().key, KeyKind::TicketAndId);
        assert_eq!(table("timesheets").unwrap().key, KeyKind::AgentAndDate);
        assert_eq!(table("lookups").unwrap().key, KeyKind::ParentAndId);
        assert_eq!(table("priorities").unwrap().key, KeyKind::Guid);
        assert_eq!(table("tickets").unwrap().key, KeyKind::Id);
        for t in tables() {
            let mut names: Vec<&str> = t
                .key_columns
                .iter()
                .chain(t.columns)
                .map(|c| c.name)
                .collect();
            let all = names.len();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), all, "{} repeats a column", t.name);
            assert!(!names.contains(&"doc") && !names.contains(&"synced_at"));
        }
    }

    #[test]
    fn keys_decode_lenient_ids() {
        let tickets = table("tickets").unwrap();
        for id in [json!(3), json!(3.0), json!("3")] {
            assert_eq!(tickets.key_of(&json!({"id": id})), Some(Key::One(3)));
        }
        for bad in [
            json!({}),
            json!({"id": 0}),
            json!({"id": "x"}),
            json!({"id": 2.5}),
        ] {
            assert_eq!(tickets.key_of(&bad), None, "{bad}");
        }
        let actions = table("actions").unwrap();
        assert_eq!(
            actions.key_of(&json!({"ticket_id": "7", "id": 2.0})),
            Some(Key::Two(7, 2))
        );
        assert_eq!(actions.key_of(&json!({"id": 2})), None);
        let ts = table("timesheets").unwrap();
        let day = json!({"id": 0, "agent_id": 2, "date": "2026-01-05T00:00:00Z"});
        assert_eq!(
            ts.key_of(&day),
            Some(Key::Text("2".into(), "2026-01-05T00:00:00Z".into()))
        );
        let key = ts.key_of(&day).unwrap();
        assert_eq!(ts.key_from_cells(&ts.key_cells(&key)), Some(key));
        let lookups = table("lookups").unwrap();
        assert_eq!(
            lookups.key_of(&json!({"lookupid": 11, "id": 4})),
            Some(Key::Two(11, 4))
        );
        let priorities = table("priorities").unwrap();
        let guid = json!({"id": "a-b", "priorityid": 1});
        let key = priorities.key_of(&guid).unwrap();
        assert_eq!(key, Key::Text("a-b".into(), String::new()));
        assert_eq!(
            priorities.key_from_cells(&priorities.key_cells(&key)),
            Some(key)
        );
    }

    #[test]
    fn core_cells_are_typed_and_lenient() {
        let doc = json!({"status_id": "4", "deleted": 1, "summary": "Printer",
            "dateoccurred": "2026-03-01T09:30:12.1234567Z", "dateclosed": "1900-01-01T00:00:00",
            "last_update": "not a date", "team": 5});
        let cell = |name: &str| {
            TICKET_COLUMNS
                .iter()
                .find(|c| c.name == name)
                .unwrap()
                .cell(&doc)
        };
        assert_eq!(cell("status_id"), Cell::Int(4));
        assert_eq!(cell("deleted"), Cell::Bool(true));
        assert_eq!(cell("summary"), Cell::Text("Printer".into()));
        assert_eq!(cell("team"), Cell::Text("5".into()));
        assert_eq!(
            cell("dateoccurred"),
            Cell::Text("2026-03-01T09:30:12.123456Z".into())
        );
        assert_eq!(cell("dateclosed"), Cell::Null);
        assert_eq!(cell("last_update"), Cell::Null);
        assert_eq!(cell("client_id"), Cell::Null);
    }
}
