//! A deterministic, realistic data set: the same seed always gives the same instance.

use crate::domain::attachments;
use crate::domain::clock;
use crate::domain::custom_fields::{self as cf, ASSET_FIELDS, CLIENT_FIELDS, SITE_FIELDS};
use crate::domain::store::{Key, Store, change_field};
use halopsa::custom_fields::FieldDef;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value, json};

/// Rows written per transaction while seeding.
const CHUNK: usize = 20_000;
/// Tickets beyond this many get no seeded actions (keeps a 200k seed fast).
const TICKETS_WITH_ACTIONS: u64 = 20_000;
/// The seed of the data set (faults have their own).
const DATA_SEED: u64 = 0x4841_4C4F;

/// Halo's placeholder for a date that was never set (kept on purpose: most tickets carry it).
pub(crate) const PLACEHOLDER_DATE: &str = "1900-01-01T00:00:00";

/// Ticket statuses: (id, name, closed).
pub const STATUSES: &[(i64, &str, bool)] = &[
    (1, "New", false),
    (2, "In Progress", false),
    (3, "Waiting on Customer", false),
    (4, "Waiting on Supplier", false),
    (8, "Cancelled", true),
    (9, "Closed", true),
];
/// Ticket types: (id, name).
pub const TICKET_TYPES: &[(i64, &str)] = &[
    (1, "Incident"),
    (2, "Service Request"),
    (3, "Problem"),
    (4, "Change Request"),
];
/// Priorities: (priorityid, name).
pub const PRIORITIES: &[(i64, &str)] = &[(1, "Critical"), (2, "High"), (3, "Medium"), (4, "Low")];
const TEAMS: &[(i64, &str)] = &[
    (1, "1st Line Support"),
    (2, "2nd Line Support"),
    (3, "Projects"),
];
/// Action outcomes: (id, name).
pub const OUTCOMES: &[(i64, &str)] = &[
    (1, "Note"),
    (2, "Email Sent"),
    (3, "Phone Call"),
    (4, "Remote Session"),
    (5, "Private Note"),
];
const ASSET_TYPES: &[&str] = &["Laptop", "Desktop", "Server", "Printer", "Firewall"];
const AGENTS: &[&str] = &[
    "API Agent",
    "Sandbox Agent",
    "Alex Morgan",
    "Priya Shah",
    "Tom Becker",
    "Mia Lopez",
    "Noah Kim",
    "Ella Novak",
    "Sam Osei",
    "Lena Fischer",
];
const COMPANIES: &[&str] = &[
    "Acme",
    "Northwind",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Wonka",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Hooli",
    "Vandelay",
    "Pied Piper",
    "Gringotts",
    "Oceanic",
];
const SUFFIXES: &[&str] = &[
    "Ltd",
    "Inc",
    "Group",
    "Partners",
    "Holdings",
    "Logistics",
    "Dental",
    "Legal",
];
const FIRST: &[&str] = &[
    "Jo", "Sam", "Alex", "Chris", "Pat", "Robin", "Kim", "Lee", "Dana", "Jamie", "Max", "Ana",
];
const LAST: &[&str] = &[
    "Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Patel", "Walker", "Wright", "Green",
];
const PROBLEMS: &[&str] = &[
    "Printer offline",
    "Cannot connect to VPN",
    "Outlook keeps asking for password",
    "New starter laptop",
    "Shared drive is slow",
    "Reset MFA",
    "Wi-Fi drops in meeting room",
    "Install Adobe Acrobat",
    "Phone system down",
    "Backup job failed",
    "Server disk almost full",
    "Licence renewal",
    "Email bouncing",
    "Teams camera not working",
    "Account locked out",
];

/// Saved reports: (name, SQL, the column the reporting period filters on, or "").
const REPORTS: &[(&str, &str, &str)] = &[
    (
        "Open tickets per client",
        "SELECT a.Aareadesc AS Client, COUNT(*) AS OpenTickets FROM Faults f \
         JOIN Area a ON a.Aarea = f.Areaint WHERE f.Status NOT IN (8, 9) \
         GROUP BY a.Aareadesc ORDER BY OpenTickets DESC, Client",
        "",
    ),
    (
        "Tickets logged in the period",
        "SELECT Faultid, Symptom, Dateoccured, Status FROM Faults ORDER BY Dateoccured, Faultid",
        "Dateoccured",
    ),
    (
        "Agent workload",
        "SELECT u.Uname AS Agent, COUNT(f.Faultid) AS OpenTickets FROM Uname u \
         LEFT JOIN Faults f ON f.Assignedtoint = u.Unum AND f.Status NOT IN (8, 9) \
         GROUP BY u.Uname ORDER BY OpenTickets DESC, Agent",
        "",
    ),
    (
        "Actions this week",
        "SELECT a.Faultid, a.Actionnumber, a.Who, a.Whe_, a.Timetaken FROM Actions a \
         WHERE a.Whe_ >= DATEADD(day, -7, GETDATE()) ORDER BY a.Whe_ DESC",
        "",
    ),
];

/// How much to seed.
#[derive(Debug, Clone, Copy)]
pub struct SeedSize {
    /// Tickets.
    pub tickets: u64,
}

/// What seeding created, for messages.
#[derive(Debug, Clone, Default)]
pub struct SeedReport {
    /// Objects written.
    pub objects: u64,
}

struct Seeder<'a> {
    store: &'a Store,
    rng: StdRng,
    written: u64,
    /// The custom-field definitions, for the values seeded objects carry.
    fields: Vec<FieldDef>,
}

/// Seeds an empty store.
pub fn seed(store: &Store, size: SeedSize) -> rusqlite::Result<SeedReport> {
    let mut s = Seeder {
        store,
        rng: StdRng::seed_from_u64(DATA_SEED),
        written: 0,
        fields: cf::seeded(),
    };
    s.lookups()?;
    let clients = (size.tickets / 50).clamp(8, 2_000);
    let sites = s.customers(clients)?;
    s.assets(&sites)?;
    s.tickets(size.tickets, &sites)?;
    s.finance(clients)?;
    s.knowledge()?;
    s.configuration()?;
    store.create_indexes()?;
    Ok(SeedReport { objects: s.written })
}

/// A site with the users on it: (client_id, client_name, site_id, site_name, users).
type SiteRow = (i64, String, i64, String, Vec<(i64, String, String)>);

/// 2025-01-01T00:00:00Z: day 0 of the seeded history.
const DAY_ZERO: i64 = 1_735_689_600;

fn date(day: i64, seconds: i64) -> String {
    clock::iso(DAY_ZERO + day * 86_400 + seconds)
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn key(id: i64) -> Key {
    Key {
        parent: 0,
        id,
        uid: None,
    }
}

/// The `customfields` of a seeded object: `(definition id, value)` entries as Halo returns
/// them (see [`cf::entry`]).
fn custom(fields: &[FieldDef], values: &[(i64, Value)]) -> Value {
    let entries = values
        .iter()
        .filter_map(|(id, value)| {
            let def = fields.iter().find(|f| f.id.0 == *id)?;
            Some(cf::entry(def, value.clone()))
        })
        .collect();
    Value::Array(entries)
}

/// A GUID derived from a name and number (deterministic).
pub fn guid(kind: u32, n: u64) -> String {
    format!(
        "{kind:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        (n >> 32) & 0xffff,
        (n >> 20) & 0xfff,
        (n >> 8) & 0xfff,
        n
    )
}

impl Seeder<'_> {
    /// Stores `rows`; an object of a resource with a change field (reference §13.4) that
    /// does not set it gets a past instant derived from its id.
    fn put(
        &mut self,
        resource: &str,
        mut rows: Vec<(Key, Map<String, Value>)>,
    ) -> rusqlite::Result<()> {
        if let Some(field) = change_field(resource) {
            for (key, doc) in &mut rows {
                doc.entry(field)
                    .or_insert_with(|| Value::String(date(key.id % 700, key.id * 97 % 86_400)));
            }
        }
        for chunk in rows.chunks(CHUNK) {
            self.store.put_many(resource, chunk)?;
        }
        self.written += rows.len() as u64;
        Ok(())
    }

    fn named(
        &mut self,
        resource: &str,
        names: &[&str],
        extra: impl Fn(i64) -> Value,
    ) -> rusqlite::Result<()> {
        let rows = names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let id = i as i64 + 1;
                let mut o = obj(json!({"id": id, "name": n}));
                if let Value::Object(more) = extra(id) {
                    o.extend(more);
                }
                (key(id), o)
            })
            .collect();
        self.put(resource, rows)
    }

    fn lookups(&mut self) -> rusqlite::Result<()> {
        let rows = STATUSES
            .iter()
            .map(|(id, name, closed)| {
                (key(*id), obj(json!({"id": id, "name": name, "type": if *closed { 1 } else { 0 },
                    "shortname": name.chars().take(3).collect::<String>().to_uppercase(), "colour": "#2f80ed"})))
            })
            .collect();
        self.put("Status", rows)?;
        let rows = TICKET_TYPES
            .iter()
            .map(|(id, n)| {
                (
                    key(*id),
                    obj(json!({"id": id, "name": n, "use": "reqs", "inactive": false})),
                )
            })
            .collect();
        self.put("TicketType", rows)?;
        let rows = PRIORITIES
            .iter()
            .map(|(pid, n)| {
                let uid = guid(0x9e1, *pid as u64);
                (
                    Key {
                        parent: 0,
                        id: *pid,
                        uid: Some(uid.clone()),
                    },
                    obj(json!({"id": uid, "priorityid": pid, "name": n, "slaid": 1,
                               "responsetime": 4 * pid, "fixtime": 24 * pid})),
                )
            })
            .collect();
        self.put("Priority", rows)?;
        let rows = TEAMS
            .iter()
            .map(|(id, n)| {
                (
                    key(*id),
                    obj(json!({"id": id, "name": n, "department_id": 1, "inactive": false})),
                )
            })
            .collect();
        self.put("Team", rows)?;
        let rows = AGENTS
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let id = i as i64 + 1;
                let team = TEAMS[i % TEAMS.len()];
                let email = if id == 1 {
                    "api@sandbox.local".to_string()
                } else if id == 2 {
                    "agent@sandbox.local".to_string()
                } else {
                    format!("{}@msp.example", n.to_lowercase().replace(' ', "."))
                };
                (
                    key(id),
                    obj(
                        json!({"id": id, "name": n, "email": email, "is_agent": true,
                    "isapiagent": id == 1, "isdisabled": false, "team": team.1, "team_id": team.0,
                    "teams": [{"id": team.0, "name": team.1}], "onlinestatus": 1}),
                    ),
                )
            })
            .collect();
        self.put("Agent", rows)?;
        let rows = OUTCOMES
            .iter()
            .map(|(id, n)| {
                (
                    key(*id),
                    obj(json!({"id": id, "outcome": n, "name": n, "hidden": false})),
                )
            })
            .collect();
        self.put("Outcome", rows)?;
        self.named(
            "SLA",
            &["Standard SLA", "Premium SLA"],
            |_| json!({"workday_id": 1}),
        )?;
        self.named(
            "Category",
            &["Hardware", "Software", "Network", "Accounts", "Other"],
            |_| json!({"type_id": 1}),
        )?;
        self.named("Workday", &["Mon-Fri 9-5", "24x7"], |_| json!({}))?;
        self.named("Roles", &["Administrator", "Technician", "Manager"], |_| {
            json!({})
        })?;
        Ok(())
    }

    fn person(&mut self) -> (String, String) {
        let f = FIRST[self.rng.random_range(0..FIRST.len())];
        let l = LAST[self.rng.random_range(0..LAST.len())];
        (f.to_string(), l.to_string())
    }

    fn customers(&mut self, clients: u64) -> rusqlite::Result<Vec<SiteRow>> {
        let (mut client_rows, mut site_rows, mut user_rows) = (Vec::new(), Vec::new(), Vec::new());
        let mut sites = Vec::new();
        let (mut site_id, mut user_id) = (0i64, 0i64);
        for c in 1..=clients as i64 {
            let base = COMPANIES[(c as usize - 1) % COMPANIES.len()];
            let suffix = SUFFIXES[(c as usize - 1) / COMPANIES.len() % SUFFIXES.len()];
            let round = (c as usize - 1) / (COMPANIES.len() * SUFFIXES.len());
            let name = if round == 0 {
                format!("{base} {suffix}")
            } else {
                format!("{base} {suffix} {}", round + 1)
            };
            let n_sites = self.rng.random_range(1..=3);
            let main_site = site_id + 1;
            let [contract, tier, seats] = CLIENT_FIELDS;
            let customfields = custom(
                &self.fields,
                &[
                    (contract, json!(format!("CON-{c:04}"))),
                    (tier, json!(cf::TIERS[c as usize % cf::TIERS.len()].0)),
                    (seats, json!(5 + (c * 7) % 95)),
                ],
            );
            client_rows.push((key(c), obj(json!({
                "id": c, "name": name, "toplevel_id": 1, "toplevel_name": "Customers",
                "inactive": c % 17 == 0, "is_vip": c % 11 == 0,
                "website": format!("https://{}.example", base.to_lowercase().replace(' ', "")),
                "main_site_id": main_site, "pritech": 2 + c % 8, "accountsid": format!("ACC{c:05}"),
                "customfields": customfields,
            }))));
            for s in 0..n_sites {
                site_id += 1;
                let site_name = if s == 0 {
                    "Head Office".to_string()
                } else {
                    format!("Branch {s}")
                };
                let [code, alarm, parking] = SITE_FIELDS;
                let customfields = custom(
                    &self.fields,
                    &[
                        (code, json!(format!("S{site_id:04}"))),
                        (alarm, json!(format!("{:04}", site_id * 37 % 10_000))),
                        (parking, json!(site_id % 2 == 0)),
                    ],
                );
                site_rows.push((key(site_id), obj(json!({
                    "id": site_id, "name": site_name, "client_id": c, "client_name": name,
                    "inactive": false, "sla_id": 1, "timezone": "GMT Standard Time", "customfields": customfields,
                }))));
                let mut users = Vec::new();
                for _ in 0..self.rng.random_range(2..=5) {
                    user_id += 1;
                    let (f, l) = self.person();
                    let full = format!("{f} {l}");
                    let email = format!(
                        "{}.{}{}@{}.example",
                        f.to_lowercase(),
                        l.to_lowercase(),
                        user_id,
                        base.to_lowercase().replace(' ', "")
                    );
                    user_rows.push((key(user_id), obj(json!({
                        "id": user_id, "name": full, "firstname": f, "surname": l, "emailaddress": email,
                        "phonenumber": format!("+44 20 7946 {:04}", user_id % 10_000), "site_id": site_id as f64,
                        "site_id_int": site_id, "site_name": site_name, "client_id": c, "client_name": name,
                        "inactive": false, "isserviceaccount": false, "customfields": [],
                    }))));
                    users.push((user_id, full, email));
                }
                sites.push((c, name.clone(), site_id, site_name, users));
            }
        }
        self.put("Client", client_rows)?;
        self.put("Site", site_rows)?;
        self.put("Users", user_rows)?;
        Ok(sites)
    }

    fn assets(&mut self, sites: &[SiteRow]) -> rusqlite::Result<()> {
        self.named("AssetType", ASSET_TYPES, |_| json!({"assetgroup_id": 1}))?;
        self.named("AssetGroup", &["Hardware", "Network"], |_| json!({}))?;
        let mut rows = Vec::new();
        let mut id = 0i64;
        for (client_id, client_name, site_id, site_name, users) in sites {
            for _ in 0..self.rng.random_range(1..=4) {
                id += 1;
                let kind = self.rng.random_range(1..=5i64);
                let user = &users[self.rng.random_range(0..users.len())];
                let [tag, bought, encrypted] = ASSET_FIELDS;
                let customfields = custom(
                    &self.fields,
                    &[
                        (tag, json!(format!("TAG-{id:05}"))),
                        (bought, json!(date(id % 700, 0)[..10].to_string())),
                        (encrypted, json!(id % 3 != 0)),
                    ],
                );
                rows.push((key(id), obj(json!({
                    "id": id, "inventory_number": format!("AST{id:06}"), "key_field": format!("HOST-{id:05}"),
                    "client_id": client_id, "client_name": client_name, "site_id": site_id, "site_name": site_name,
                    "assettype_id": kind, "assettype_name": ASSET_TYPES[kind as usize - 1],
                    "username": user.1, "users": [{"id": user.0, "name": user.1}], "status_id": 1,
                    "inactive": false, "warranty_end": date(400 + id % 700, 0), "fields": [], "customfields": customfields,
                }))));
            }
        }
        self.put("Asset", rows)
    }

    fn tickets(&mut self, count: u64, sites: &[SiteRow]) -> rusqlite::Result<()> {
        let mut rng = StdRng::seed_from_u64(DATA_SEED ^ 0x7469_636b);
        let (mut tickets, mut actions) = (Vec::with_capacity(CHUNK), Vec::new());
        for id in 1..=count as i64 {
            ticket(
                &mut rng,
                id,
                count,
                sites,
                &self.fields,
                &mut tickets,
                &mut actions,
            );
            if tickets.len() == CHUNK {
                self.put("Tickets", std::mem::take(&mut tickets))?;
                self.put("Actions", std::mem::take(&mut actions))?;
            }
        }
        self.put("Tickets", tickets)?;
        self.put("Actions", actions)
    }

    fn finance(&mut self, clients: u64) -> rusqlite::Result<()> {
        let mut invoices = Vec::new();
        let mut contracts = Vec::new();
        let mut quotes = Vec::new();
        for c in 1..=clients.min(500) as i64 {
            contracts.push((key(c), obj(json!({"id": c, "client_id": c, "ref": format!("CON-{c:04}"),
                "start_date": date(0, 0), "end_date": date(730, 0), "inactive": false, "billingtemplate_id": 1}))));
            for k in 0..2 {
                let id = c * 2 - 1 + k;
                let total = ((c * 37 + k * 11) % 900 + 100) as f64;
                invoices.push((key(id), obj(json!({"id": id, "invoicenumber": format!("INV-{id:06}"), "client_id": c,
                    "invoice_date": date(id % 700, 0), "duedate": date(id % 700 + 30, 0), "posted": k == 0,
                    "paymentstatus": k, "total": total, "amountdue": if k == 0 { 0.0 } else { total }, "currency": "GBP",
                    "lines": [{"id": 1, "item_id": 1, "qty_order": 1, "unit_price": total, "description": "Managed services"}]}))));
            }
            if c <= 40 {
                quotes.push((key(c), obj(json!({"id": c, "client_id": c, "title": format!("Quote {c}"), "quote_status": 1, "total": 500.0 + c as f64}))));
            }
        }
        self.put("Invoice", invoices)?;
        self.put("ClientContract", contracts)?;
        self.put("Quotation", quotes)?;
        self.named(
            "RecurringInvoice",
            &["Monthly support", "Backup service"],
            |id| json!({"client_id": id}),
        )?;
        self.named("Item", &["Laptop 14\"", "Docking station", "Monitor 27\"", "Managed service (user)", "Backup (TB)"], |id| json!({"costprice": 10.0 * id as f64, "baseprice": 15.0 * id as f64, "supplier_id": 1 + id % 3}))?;
        self.named(
            "Supplier",
            &["Dell", "Ingram Micro", "Microsoft", "Sophos"],
            |_| json!({"inactive": false}),
        )?;
        self.named(
            "SalesOrder",
            &["SO for Acme", "SO for Globex"],
            |id| json!({"client_id": id}),
        )?;
        self.named(
            "PurchaseOrder",
            &["PO to Dell", "PO to Ingram"],
            |id| json!({"supplier_id": id}),
        )?;
        self.named(
            "BillingTemplate",
            &["Standard monthly", "Pay as you go"],
            |_| json!({}),
        )?;
        self.named(
            "SoftwareLicence",
            &["Microsoft 365 Business", "Adobe Acrobat"],
            |id| json!({"client_id": id, "count": 25}),
        )?;
        self.named(
            "Opportunities",
            &["Firewall refresh", "Cloud migration"],
            |id| json!({"client_id": id, "status_id": 1}),
        )?;
        self.named(
            "Projects",
            &["Office move", "Windows 11 roll-out"],
            |id| json!({"client_id": id, "status_id": 2}),
        )?;
        self.named("Appointment", &["Site visit", "Quarterly review", "Server patching"], |id| json!({"subject": "Visit", "client_id": id, "agent_id": 2, "start_date": date(300 + id, 9 * 3600), "end_date": date(300 + id, 11 * 3600)}))?;
        self.named(
            "Timesheet",
            &["Sandbox Agent"],
            |_| json!({"agent_id": 2, "date": date(320, 0), "actual_hours": 7.5}),
        )?;
        self.named("TimesheetEvent", &["Admin", "Travel"], |_| json!({"agent_id": 2, "start_date": date(320, 9 * 3600), "end_date": date(320, 10 * 3600)}))?;
        Ok(())
    }

    fn knowledge(&mut self) -> rusqlite::Result<()> {
        let names: Vec<String> = PROBLEMS
            .iter()
            .map(|p| format!("How to fix: {p}"))
            .collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        self.named("KBArticle", &refs, |id| json!({"type": 0, "description": format!("Step-by-step guide number {id}."), "inactive": false}))?;
        self.named("FAQLists", &["Getting started", "Remote working"], |_| {
            json!({})
        })?;
        self.reports()
    }

    /// Saved reports with SQL behind them (run by `GET /Report/{id}?loadreport=true`).
    fn reports(&mut self) -> rusqlite::Result<()> {
        let rows = REPORTS
            .iter()
            .enumerate()
            .map(|(i, (name, sql, period_field))| {
                let id = i as i64 + 1;
                (
                    key(id),
                    obj(
                        json!({"id": id, "name": name, "reportgroup_id": 1, "sql": sql,
                    "reportingperioddatefield": period_field}),
                    ),
                )
            })
            .collect();
        self.put("Report", rows)
    }

    fn configuration(&mut self) -> rusqlite::Result<()> {
        let rows = cf::DEFINITIONS
            .iter()
            .map(|d| (key(d.id), d.doc()))
            .collect();
        self.put("FieldInfo", rows)?;
        self.named(
            "Field",
            &["summary", "details", "status"],
            |_| json!({"kind": "ticket"}),
        )?;
        self.named("CustomTable", &["Licence keys"], |_| json!({}))?;
        self.named(
            "Lookup",
            &["Impact: High", "Impact: Medium", "Impact: Low"],
            |_| json!({"lookupid": 11}),
        )?;
        self.named("CustomButton", &["Open in RMM"], |_| json!({"typeid": 2}))?;
        self.named("DashboardLinks", &["Service desk overview"], |_| json!({}))?;
        self.named("Tabs", &["Details", "Assets"], |_| json!({}))?;
        self.named(
            "ViewLists",
            &["My open tickets", "Unassigned"],
            |_| json!({"type": "reqs"}),
        )?;
        self.named("ViewColumns", &["Default columns"], |_| json!({}))?;
        self.named("ViewFilter", &["Open only"], |_| json!({}))?;
        self.named("ViewListGroup", &["Service desk"], |_| json!({}))?;
        self.named("azureadconnection", &["Contoso tenant"], |_| json!({}))?;
        self.named("DistributionLists", &["All staff"], |_| json!({}))?;
        self.named(
            "TicketRules",
            &["Route printers to 1st line"],
            |_| json!({}),
        )?;
        self.named("Workflow", &["New starter"], |_| json!({}))?;
        self.named("CAB", &["Standard CAB"], |_| json!({}))?;
        self.named(
            "Service",
            &["Email", "Backup", "Telephony"],
            |_| json!({"service_status_id": 1}),
        )?;
        self.named("Release", &["v1.0", "v1.1"], |_| json!({"product_id": 1}))?;
        self.named("Template", &["Monthly server check"], |_| json!({}))?;
        self.named(
            "CRMNote",
            &["Called about renewal"],
            |id| json!({"client_id": id, "note": "Called about renewal"}),
        )?;
        self.written += attachments::seed(self.store, "Attachment")?;
        // An inactive webhook (so seeding sends nothing) and one past delivery of it.
        let hook = guid(0x00ab, 0);
        self.store.put(
            "Webhook",
            Key { parent: 0, id: 1, uid: Some(hook.clone()) },
            obj(json!({"id": hook, "name": "Old integration", "url": "http://127.0.0.1:9/disabled",
                       "method": "POST", "content_type": "application/json", "authentication_type": 0,
                       "payload_type": 1, "events": [{"name": "New Ticket Logged"}], "active": false})),
        )?;
        let delivery = guid(0x00ae, 1);
        self.store.put(
            "WebhookEvent",
            Key { parent: 0, id: 1, uid: Some(delivery.clone()) },
            obj(json!({"id": delivery, "webhook_id": hook, "timestamp": date(10, 3600), "status": "Success",
                       "duration": 120, "responsestatus": 200, "entity_id": 1})),
        )?;
        self.written += 2;
        self.store.put(
            "Control",
            key(1),
            obj(json!({"id": 1, "companyname": "Sandbox MSP", "currency": "GBP", "timezone": "GMT Standard Time"})),
        )?;
        self.written += 1;
        Ok(())
    }
}

/// One ticket, and its actions for the first [`TICKETS_WITH_ACTIONS`] tickets.
fn ticket(
    rng: &mut StdRng,
    id: i64,
    count: u64,
    sites: &[SiteRow],
    fields: &[FieldDef],
    tickets: &mut Vec<(Key, Map<String, Value>)>,
    actions: &mut Vec<(Key, Map<String, Value>)>,
) {
    let (client_id, client_name, site_id, site_name, users) =
        &sites[rng.random_range(0..sites.len())];
    let (user_id, user_name, user_email) = &users[rng.random_range(0..users.len())];
    let (status_id, status_name, closed) = STATUSES[rng.random_range(0..STATUSES.len())];
    let (type_id, type_name) = TICKET_TYPES[rng.random_range(0..TICKET_TYPES.len())];
    let (priority_id, _) = PRIORITIES[rng.random_range(0..PRIORITIES.len())];
    let agent_id = rng.random_range(2..=AGENTS.len() as i64);
    let (team_id, team) = TEAMS[rng.random_range(0..TEAMS.len())];
    let problem = PROBLEMS[rng.random_range(0..PROBLEMS.len())];
    // Tickets are spread over ~2 years, in id order as Halo numbers them.
    let day = (id * 700 / count.max(1) as i64).min(699);
    let opened = date(day, rng.random_range(8 * 3600..18 * 3600));
    let cleared = if closed {
        Value::String(date(day + rng.random_range(0..5), 17 * 3600))
    } else {
        Value::Null
    };
    tickets.push((key(id), obj(json!({
        "id": id, "summary": format!("{problem} ({client_name})"),
        "details": format!("{user_name} reports: {problem}."),
        "client_id": client_id, "client_name": client_name, "site_id": site_id, "site_name": site_name,
        "user_id": user_id, "user_name": user_name, "user_email": user_email, "reportedby": user_name,
        "status_id": status_id, "status_name": status_name, "tickettype_id": type_id, "tickettype_name": type_name,
        "priority_id": priority_id, "sla_id": 1, "agent_id": agent_id, "agent_name": AGENTS[agent_id as usize - 1],
        "team": team, "team_id": team_id, "category_1": "Hardware", "impact": 3, "urgency": 3,
        "source": 1, "onhold": false, "hasbeenclosed": closed, "deleted": false,
        "dateoccurred": opened, "datecreated": opened, "dateclosed": cleared,
        "respondbydate": date(day + 1, 9 * 3600), "fixbydate": date(day + 3, 17 * 3600),
        // Quirk kept on purpose: Halo leaves this placeholder on most tickets.
        "targetdate": PLACEHOLDER_DATE,
        "customfields": custom(fields, &[
            (cf::TICKET_CONTRACT, json!(format!("C-{client_id}"))),
            (cf::TICKET_REGION, json!(cf::REGIONS[id as usize % cf::REGIONS.len()].0)),
            (cf::TICKET_HOURS, json!(5.0 + 2.5 * (id % 8) as f64)),
        ]),
    }))));
    // The change fields: an action's is when it was written; a ticket's moves with each
    // action added to it.
    let mut last_update = opened;
    if (id as u64) <= TICKETS_WITH_ACTIONS {
        for n in 1..=rng.random_range(0..=3i64) {
            let (outcome_id, outcome) = OUTCOMES[rng.random_range(0..OUTCOMES.len())];
            let when = date(day, 12 * 3600 + n * 600);
            // Quirk kept on purpose: action ids restart within each ticket.
            let mut action = obj(json!({
                "id": n, "ticket_id": id, "outcome_id": outcome_id, "outcome": outcome,
                "who": AGENTS[agent_id as usize - 1], "who_agentid": agent_id, "who_type": 1,
                "datetime": when, "note": format!("{outcome}: working on it ({n})"),
                "hiddenfromuser": outcome_id == 5, "timetaken": 0.25 * n as f64, "actisbillable": true,
            }));
            if let Some(field) = change_field("Actions") {
                action.insert(field.into(), Value::String(when.clone()));
            }
            actions.push((
                Key {
                    parent: id,
                    id: n,
                    uid: None,
                },
                action,
            ));
            last_update = last_update.max(when);
        }
    }
    if let (Some(field), Some((_, ticket))) = (change_field("Tickets"), tickets.last_mut()) {
        ticket.insert(field.into(), Value::String(last_update));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_walk_the_calendar() {
        assert_eq!(date(0, 0), "2025-01-01T00:00:00Z");
        assert_eq!(date(31 + 27, 3661), "2025-02-28T01:01:01Z");
        assert_eq!(date(365, 0), "2026-01-01T00:00:00Z");
        assert_eq!(date(365 + 59, 0), "2026-03-01T00:00:00Z");
    }

    #[test]
    fn seeding_is_deterministic() {
        let a = Store::open(None).unwrap();
        let b = Store::open(None).unwrap();
        seed(&a, SeedSize { tickets: 300 }).unwrap();
        seed(&b, SeedSize { tickets: 300 }).unwrap();
        assert_eq!(a.counts().unwrap(), b.counts().unwrap());
        assert_eq!(
            a.get("Tickets", 0, 123).unwrap(),
            b.get("Tickets", 0, 123).unwrap()
        );
        assert_eq!(a.counts().unwrap()["Tickets"], 300);
    }
}
