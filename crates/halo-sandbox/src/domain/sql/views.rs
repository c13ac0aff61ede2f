//! The views the SQL engine answers from: Halo's main reporting tables, with their database
//! column names, over the store's `objects` table. One table in code says each view's
//! columns, their SQL Server types and where each comes from.

use rusqlite::Connection;

/// A column's SQL Server type, as `available_columns` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlType {
    /// `int`.
    Int,
    /// `float`.
    Float,
    /// `nvarchar`: text, compared case-insensitively.
    Text,
    /// `datetime`: stored as SQLite text `YYYY-MM-DD HH:MM:SS`.
    DateTime,
    /// `bit`: 0 or 1.
    Bit,
}

impl SqlType {
    /// The type's SQL Server name.
    pub fn name(self) -> &'static str {
        match self {
            SqlType::Int => "int",
            SqlType::Float => "float",
            SqlType::Text => "nvarchar",
            SqlType::DateTime => "datetime",
            SqlType::Bit => "bit",
        }
    }
}

/// One column of a view: Halo's name, its type, and its source over `objects`.
pub struct ViewColumn {
    /// Halo's column name.
    pub name: &'static str,
    /// Its type.
    pub ty: SqlType,
    /// An `objects` column, or `$.field` for a field of the JSON document.
    pub source: &'static str,
}

/// One view: Halo's table name and the store resource (row path) it shows.
pub struct View {
    /// Halo's table name.
    pub name: &'static str,
    /// The store's resource (the row's Halo path).
    pub resource: &'static str,
    /// Its objects are numbered within their ticket (the store's `parent`).
    pub per_ticket: bool,
    /// Its columns, in order.
    pub columns: &'static [ViewColumn],
}

const fn col(name: &'static str, ty: SqlType, source: &'static str) -> ViewColumn {
    ViewColumn { name, ty, source }
}

use SqlType::{Bit, DateTime, Float, Int, Text};

/// The view of live tickets that `Faults` means unless a query names `FDeleted` (deleted
/// tickets are left out unless asked for). Not a name queries may use.
pub const LIVE_FAULTS: &str = "sandbox_live_faults";

/// Every view, with its columns.
pub const VIEWS: &[View] = &[
    View {
        name: "Faults",
        resource: "Tickets",
        per_ticket: false,
        columns: &[
            col("Faultid", Int, "id"),
            col("Symptom", Text, "$.summary"),
            col("Symptom2", Text, "$.details"),
            col("Status", Int, "status_id"),
            col("Areaint", Int, "client_id"),
            col("Sitenumber", Int, "site_id"),
            col("Userid", Int, "user_id"),
            col("Username", Text, "$.user_name"),
            col("Assignedtoint", Int, "agent_id"),
            col("Sectio_", Text, "$.team"),
            col("Seriousness", Int, "priority_id"),
            col("Requesttype", Int, "type_id"),
            col("Dateoccured", DateTime, "$.dateoccurred"),
            col("Datecleared", DateTime, "$.dateclosed"),
            col("Lastactiondate", DateTime, "updated"),
            col("FDeleted", Bit, "deleted"),
        ],
    },
    View {
        name: "Actions",
        resource: "Actions",
        per_ticket: true,
        columns: &[
            col("Faultid", Int, "parent"),
            col("Actionnumber", Int, "id"),
            col("Actoutcome", Text, "$.outcome"),
            col("Note", Text, "$.note"),
            col("Whe_", DateTime, "$.datetime"),
            col("Who", Text, "$.who"),
            col("Whoagentid", Int, "agent_id"),
            col("Timetaken", Float, "$.timetaken"),
        ],
    },
    View {
        name: "Area",
        resource: "Client",
        per_ticket: false,
        columns: &[
            col("Aarea", Int, "id"),
            col("Aareadesc", Text, "$.name"),
            col("Ainactive", Bit, "inactive"),
        ],
    },
    View {
        name: "Site",
        resource: "Site",
        per_ticket: false,
        columns: &[
            col("Ssitenum", Int, "id"),
            col("Sdesc", Text, "$.name"),
            col("Sarea", Int, "client_id"),
        ],
    },
    View {
        name: "Users",
        resource: "Users",
        per_ticket: false,
        columns: &[
            col("Uid", Int, "id"),
            col("Uusername", Text, "$.name"),
            col("Usite", Int, "site_id"),
            col("Uemail", Text, "$.emailaddress"),
        ],
    },
    View {
        name: "Uname",
        resource: "Agent",
        per_ticket: false,
        columns: &[
            col("Unum", Int, "id"),
            col("Uname", Text, "$.name"),
            col("Uemail", Text, "$.email"),
            col("Uisdisabled", Bit, "inactive"),
        ],
    },
    View {
        name: "Device",
        resource: "Asset",
        per_ticket: false,
        columns: &[
            col("Ddevnum", Int, "id"),
            col("Dinvno", Text, "$.inventory_number"),
            col("Dsite", Int, "site_id"),
            col("Dtype", Int, "type_id"),
            col("Dassettype", Int, "type_id"),
        ],
    },
    View {
        name: "Tstatus",
        resource: "Status",
        per_ticket: false,
        columns: &[
            col("Tstatus", Int, "id"),
            col("Tstatusdesc", Text, "$.name"),
        ],
    },
    View {
        name: "Requesttype",
        resource: "TicketType",
        per_ticket: false,
        columns: &[col("RTid", Int, "id"), col("RTdesc", Text, "$.name")],
    },
];

/// The view called `name` (case-insensitive, as SQL Server's default collation).
pub fn find(name: &str) -> Option<&'static View> {
    VIEWS.iter().find(|v| v.name.eq_ignore_ascii_case(name))
}

/// The type of a column called `name` in any view, when the views agree on one.
pub fn column_type(name: &str) -> Option<SqlType> {
    let mut types = VIEWS
        .iter()
        .flat_map(|v| v.columns)
        .filter(|c| c.name.eq_ignore_ascii_case(name))
        .map(|c| c.ty);
    let first = types.next()?;
    types.all(|t| t == first).then_some(first)
}

/// One column's SQLite expression over `objects`.
fn expr(c: &ViewColumn) -> String {
    let raw = match c.source.strip_prefix("$.") {
        Some(field) => format!("json_extract(doc, '$.{field}')"),
        None => c.source.to_string(),
    };
    let from_doc = c.source.starts_with("$.");
    match c.ty {
        // ISO text with `Z` becomes `YYYY-MM-DD HH:MM:SS`, which compares and does arithmetic.
        DateTime => format!("datetime({raw})"),
        // SQL Server's default collation compares text case-insensitively.
        Text => format!("{raw} COLLATE NOCASE"),
        Int | Bit if from_doc => format!("CAST({raw} AS INTEGER)"),
        Float if from_doc => format!("CAST({raw} AS REAL)"),
        // The store's own integer columns stay bare, so joins on them use its indexes.
        Int | Bit | Float => raw,
    }
}

/// Creates the views on `conn` as temporary views (they live as long as the connection and
/// never change a data directory's file).
pub fn create(conn: &Connection) -> rusqlite::Result<()> {
    for view in VIEWS {
        let columns: Vec<String> = view
            .columns
            .iter()
            .map(|c| format!("{} AS [{}]", expr(c), c.name))
            .collect();
        // Top-level objects have parent 0: saying so lets a join look ids up in the key.
        let parent = if view.per_ticket {
            ""
        } else {
            " AND parent = 0"
        };
        conn.execute_batch(&format!(
            "CREATE TEMP VIEW IF NOT EXISTS [{}] AS SELECT {} FROM main.objects WHERE resource = '{}'{parent}",
            view.name,
            columns.join(", "),
            view.resource
        ))?;
    }
    conn.execute_batch(&format!(
        "CREATE TEMP VIEW IF NOT EXISTS {LIVE_FAULTS} AS SELECT * FROM temp.Faults WHERE FDeleted = 0"
    ))
}
