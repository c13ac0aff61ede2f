//! The resource table: one row per Halo resource, read by the generic layer, the CLI and the
//! sandbox alike. A resource's quirks (list key, bare list, page cap, id kind) live in its row.

/// How a list GET answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ListShape {
    /// `{"record_count": N, "<key>": [...]}`.
    Wrapped(&'static str),
    /// A bare JSON array.
    Bare,
    /// One object, no list (e.g. `/Control`).
    Single,
}

/// How a resource's objects are identified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdKind {
    /// An integer.
    Int,
    /// A GUID string (`/Priority`, `/Webhook`, `/WebhookEvent`).
    Guid,
    /// An integer unique only within its ticket: single GET and DELETE need `?ticket_id=`.
    PerTicket,
    /// A singleton with no id.
    None,
}

/// The scope area that governs a resource (`read:<area>` / `edit:<area>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Area {
    /// `:tickets` (actions and ticket set-up included).
    Tickets,
    /// `:customers` (sites and users included).
    Customers,
    /// `:crm`.
    Crm,
    /// `:calendar`.
    Calendar,
    /// `:timesheets`.
    Timesheets,
    /// `:contracts`.
    Contracts,
    /// `:suppliers`.
    Suppliers,
    /// `:items`.
    Items,
    /// `:projects`.
    Projects,
    /// `:quotes`.
    Quotes,
    /// `:sos` (sales orders).
    SalesOrders,
    /// `:pos` (purchase orders).
    PurchaseOrders,
    /// `:invoices`.
    Invoices,
    /// `:reporting`.
    Reporting,
    /// `:software`.
    Software,
    /// `:softwarelicensing`.
    SoftwareLicensing,
    /// `:kb`.
    Kb,
    /// `:assets`.
    Assets,
    /// Configuration (agents, teams, fields, views...): only `all` or `admin` grant it.
    Admin,
}

impl Area {
    /// The scope suffix (`tickets` in `read:tickets`); `None` for [`Area::Admin`].
    pub fn scope_name(self) -> Option<&'static str> {
        Some(match self {
            Area::Tickets => "tickets",
            Area::Customers => "customers",
            Area::Crm => "crm",
            Area::Calendar => "calendar",
            Area::Timesheets => "timesheets",
            Area::Contracts => "contracts",
            Area::Suppliers => "suppliers",
            Area::Items => "items",
            Area::Projects => "projects",
            Area::Quotes => "quotes",
            Area::SalesOrders => "sos",
            Area::PurchaseOrders => "pos",
            Area::Invoices => "invoices",
            Area::Reporting => "reporting",
            Area::Software => "software",
            Area::SoftwareLicensing => "softwarelicensing",
            Area::Kb => "kb",
            Area::Assets => "assets",
            Area::Admin => return None,
        })
    }
}

/// The operations a resource supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ops(u8);

impl Ops {
    /// `GET /{path}/{id}`.
    pub const GET: Ops = Ops(1);
    /// `GET /{path}`.
    pub const LIST: Ops = Ops(2);
    /// `POST /{path}` without an id.
    pub const CREATE: Ops = Ops(4);
    /// `POST /{path}` with an existing id.
    pub const UPDATE: Ops = Ops(8);
    /// `DELETE /{path}/{id}`.
    pub const DELETE: Ops = Ops(16);
    /// Get and list.
    pub const READ: Ops = Ops(1 | 2);
    /// Everything.
    pub const ALL: Ops = Ops(31);

    /// Both sets.
    pub const fn with(self, other: Ops) -> Ops {
        Ops(self.0 | other.0)
    }

    /// Whether every operation of `other` is supported.
    pub const fn contains(self, other: Ops) -> bool {
        self.0 & other.0 == other.0
    }
}

/// One Halo resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resource {
    /// CLI name: a plural lower-case noun (`tickets`, `kb-articles`).
    pub name: &'static str,
    /// Other names accepted (Halo's own path name is always accepted too).
    pub aliases: &'static [&'static str],
    /// Path below `/api`, in the spec's casing (`Tickets`, `KBArticle`).
    pub path: &'static str,
    /// How its list answers.
    pub list: ListShape,
    /// Whether its list takes `pageinate`/`page_no`/`page_size`.
    pub paged: bool,
    /// A page size the server enforces whatever is asked (`/Asset`: 50).
    pub fixed_page_size: Option<u32>,
    /// How its objects are identified.
    pub id: IdKind,
    /// What it supports.
    pub ops: Ops,
    /// The scope area governing it.
    pub area: Area,
    /// The typed model in [`crate::models`] that decodes its rows, or `None` for generic JSON.
    pub model: Option<&'static str>,
    /// One line for `halo resources`.
    pub summary: &'static str,
}

const fn row(
    name: &'static str,
    path: &'static str,
    list: ListShape,
    paged: bool,
    area: Area,
    summary: &'static str,
) -> Resource {
    Resource {
        name,
        aliases: &[],
        path,
        list,
        paged,
        fixed_page_size: None,
        id: IdKind::Int,
        ops: Ops::ALL,
        area,
        model: None,
        summary,
    }
}

impl Resource {
    const fn aliases(mut self, aliases: &'static [&'static str]) -> Resource {
        self.aliases = aliases;
        self
    }

    const fn id(mut self, id: IdKind) -> Resource {
        self.id = id;
        self
    }

    const fn ops(mut self, ops: Ops) -> Resource {
        self.ops = ops;
        self
    }

    const fn model(mut self, name: &'static str) -> Resource {
        self.model = Some(name);
        self
    }

    const fn fixed_page(mut self, size: u32) -> Resource {
        self.fixed_page_size = Some(size);
        self
    }

    /// The list key, when the list is wrapped.
    pub fn list_key(&self) -> Option<&'static str> {
        match self.list {
            ListShape::Wrapped(k) => Some(k),
            _ => None,
        }
    }

    /// Whether `name` names this resource (CLI name, alias or path; case-insensitive).
    pub fn is_named(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
            || self.path.eq_ignore_ascii_case(name)
            || self.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
    }
}

use Area::*;
use ListShape::{Bare, Single, Wrapped};

/// Every resource, in the order `halo resources` lists them (one row a line: kept unformatted).
#[rustfmt::skip]
pub static RESOURCES: &[Resource] = &[
    // Tickets and service desk
    row("tickets", "Tickets", Wrapped("tickets"), true, Tickets, "Tickets: incidents, requests, changes, problems").aliases(&["ticket"]).model("Ticket"),
    row("actions", "Actions", Wrapped("actions"), false, Tickets, "Ticket actions: notes, e-mails, time entries").id(IdKind::PerTicket).aliases(&["action", "notes"]).model("Action"),
    row("attachments", "Attachment", Wrapped("attachments"), false, Tickets, "Files on tickets and actions").aliases(&["attachment"]).model("Attachment"),
    row("opportunities", "Opportunities", Wrapped("tickets"), true, Crm, "Sales opportunities (ticket schema)").aliases(&["opportunity"]).model("Ticket"),
    row("projects", "Projects", Wrapped("tickets"), true, Projects, "Projects (ticket schema)").aliases(&["project"]).model("Ticket"),
    row("appointments", "Appointment", Wrapped("appointments"), true, Calendar, "Calendar appointments and tasks").model("Appointment"),
    row("timesheets", "Timesheet", Bare, false, Timesheets, "Agent timesheets (keyed by agent and date)").ops(Ops::READ.with(Ops::CREATE).with(Ops::UPDATE)).model("Timesheet"),
    row("timesheet-events", "TimesheetEvent", Bare, false, Timesheets, "Timesheet entries"),
    row("ticket-types", "TicketType", Bare, false, Tickets, "Ticket (request) types").aliases(&["request-types"]).model("TicketType"),
    row("statuses", "Status", Bare, false, Tickets, "Ticket statuses").model("Status"),
    row("priorities", "Priority", Bare, false, Tickets, "Priorities (GUID ids)").id(IdKind::Guid).model("Priority"),
    row("slas", "SLA", Bare, false, Tickets, "Service level agreements"),
    row("categories", "Category", Bare, false, Tickets, "Ticket categories"),
    row("outcomes", "Outcome", Bare, false, Tickets, "Action outcomes (action types)"),
    row("ticket-rules", "TicketRules", Bare, false, Tickets, "Assignment and ticket rules"),
    row("workflows", "Workflow", Bare, false, Tickets, "Ticket workflows"),
    row("cabs", "CAB", Bare, false, Tickets, "Change advisory boards"),
    row("services", "Service", Wrapped("services"), true, Tickets, "Service catalogue"),
    row("releases", "Release", Wrapped("releases"), true, Software, "Software releases"),
    row("templates", "Template", Wrapped("templates"), true, Tickets, "Ticket templates"),
    row("kb-articles", "KBArticle", Wrapped("articles"), true, Kb, "Knowledge-base articles").aliases(&["articles", "kb"]).model("KbArticle"),
    row("faq-lists", "FAQLists", Bare, false, Kb, "Knowledge-base FAQ lists"),
    // Customers, contacts and suppliers
    row("clients", "Client", Wrapped("clients"), true, Customers, "Customers").aliases(&["customers"]).model("Client"),
    row("sites", "Site", Wrapped("sites"), true, Customers, "Customer sites").model("Site"),
    row("users", "Users", Wrapped("users"), true, Customers, "End-user contacts").aliases(&["contacts"]).model("User"),
    row("crm-notes", "CRMNote", Bare, false, Crm, "CRM notes on clients"),
    row("suppliers", "Supplier", Wrapped("suppliers"), true, Suppliers, "Suppliers").model("Supplier"),
    // Agents and organisation
    row("agents", "Agent", Bare, false, Admin, "Agents (technicians)").model("Agent"),
    row("roles", "Roles", Bare, false, Admin, "Agent roles"),
    row("teams", "Team", Bare, false, Admin, "Teams (tickets name their team)").model("Team"),
    row("workdays", "Workday", Bare, false, Admin, "Working-hours calendars"),
    // Assets and licensing
    row("assets", "Asset", Wrapped("assets"), true, Assets, "Assets and devices").fixed_page(50).aliases(&["devices"]).model("Asset"),
    row("asset-types", "AssetType", Bare, false, Assets, "Asset types"),
    row("asset-groups", "AssetGroup", Bare, false, Assets, "Asset groups"),
    row("software-licences", "SoftwareLicence", Wrapped("licences"), true, SoftwareLicensing, "Software licences").aliases(&["licences", "licenses"]),
    // Finance and sales
    row("invoices", "Invoice", Wrapped("invoices"), true, Invoices, "Invoices").model("Invoice"),
    row("recurring-invoices", "RecurringInvoice", Wrapped("invoices"), true, Invoices, "Recurring invoices"),
    row("contracts", "ClientContract", Wrapped("contracts"), true, Contracts, "Client contracts").model("Contract"),
    row("billing-templates", "BillingTemplate", Bare, false, Contracts, "Contract billing templates"),
    row("items", "Item", Wrapped("items"), true, Items, "Products and stock items").aliases(&["products"]).model("Item"),
    row("quotes", "Quotation", Wrapped("quotes"), true, Quotes, "Quotes").aliases(&["quotations"]).model("Quote"),
    row("sales-orders", "SalesOrder", Wrapped("salesorders"), true, SalesOrders, "Sales orders"),
    row("purchase-orders", "PurchaseOrder", Wrapped("purchaseorders"), true, PurchaseOrders, "Purchase orders"),
    // Reporting
    row("reports", "Report", Wrapped("reports"), true, Reporting, "Saved reports; ad-hoc SQL").model("Report"),
    // Custom fields, lookups, UI configuration
    row("custom-fields", "FieldInfo", Bare, false, Admin, "Custom-field definitions").aliases(&["field-info"]).model("FieldInfo"),
    row("fields", "Field", Bare, false, Admin, "Field definitions by kind"),
    row("custom-tables", "CustomTable", Bare, false, Admin, "Custom tables"),
    row("lookups", "Lookup", Bare, false, Admin, "Lookup values"),
    row("custom-buttons", "CustomButton", Bare, false, Admin, "Custom buttons"),
    row("dashboards", "DashboardLinks", Wrapped("dashboardlinks"), true, Admin, "Dashboards").aliases(&["dashboard-links"]),
    row("tabs", "Tabs", Bare, false, Admin, "UI tabs"),
    row("view-lists", "ViewLists", Bare, false, Admin, "Ticket list views"),
    row("view-columns", "ViewColumns", Bare, false, Admin, "Column profiles"),
    row("view-filters", "ViewFilter", Bare, false, Admin, "Filter profiles"),
    row("view-list-groups", "ViewListGroup", Bare, false, Admin, "View list groups"),
    row("azure-ad-connections", "azureadconnection", Bare, false, Admin, "Azure AD (Entra) connections").ops(Ops::READ),
    row("distribution-lists", "DistributionLists", Bare, false, Admin, "Distribution lists"),
    row("webhooks", "Webhook", Bare, false, Admin, "Outgoing webhooks (GUID ids)").id(IdKind::Guid).model("Webhook"),
    row("webhook-events", "WebhookEvent", Bare, true, Admin, "Webhook deliveries (read-only)").id(IdKind::Guid).ops(Ops::READ).model("WebhookEvent"),
    row("control", "Control", Single, false, Admin, "Global settings (one object)").id(IdKind::None).ops(Ops::LIST.with(Ops::UPDATE)),
];

/// The resource called `name` (CLI name, alias or Halo path; case-insensitive).
pub fn find(name: &str) -> Option<&'static Resource> {
    RESOURCES.iter().find(|r| r.is_named(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_aliases_and_paths_are_unique() {
        let mut owners = std::collections::HashMap::new();
        for r in RESOURCES {
            let names: HashSet<String> = std::iter::once(r.name)
                .chain(r.aliases.iter().copied())
                .chain([r.path])
                .map(str::to_ascii_lowercase)
                .collect();
            for n in names {
                if let Some(other) = owners.insert(n.clone(), r.path) {
                    panic!("{n} names both {other} and {}", r.path);
                }
            }
        }
    }

    #[test]
    fn lookups_by_any_name() {
        assert_eq!(find("tickets").unwrap().path, "Tickets");
        assert_eq!(find("KBArticle").unwrap().name, "kb-articles");
        assert_eq!(find("asset").unwrap().fixed_page_size, Some(50));
        assert_eq!(find("actions").unwrap().id, IdKind::PerTicket);
        assert!(find("nope").is_none());
    }

    #[test]
    fn covers_the_parity_baseline() {
        // The 55 paths HaloAPI calls, and more.
        assert!(RESOURCES.len() >= 55, "{}", RESOURCES.len());
    }
}
