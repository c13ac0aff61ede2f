//! The resource table: one row per Halo resource, read by the generic layer, the CLI and the
//! sandbox alike. A resource's quirks (list key, bare list, page cap, id kind, soft delete,
//! detail-only fields, the filters and write rules its endpoints apply, how a POST of many
//! answers, how to look many ids up, its custom fields) live in its row.

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

/// What a GET of an id answers when no such object exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MissingGet {
    /// 404 with a message.
    NotFound,
    /// Halo quirk (`/Timesheet`): an empty object with id 0 for the `agent_id` and `date`
    /// asked, never a 404.
    AgentDay,
}

/// The list filters a resource takes beyond the common ones (the `*_id` filters, `search`,
/// `client_ids`, `order`…`order5`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ListFilters {
    /// Only the common ones; inactive rows are hidden unless `includeinactive=true`.
    Common,
    /// The ticket list's (`/Tickets` and the resources sharing its schema): soft-deleted rows
    /// only with `deleted=true`, `open_only`, `closed_only`, the id lists (`status`, `agent`,
    /// `requesttype`, `priority`; `ticketids` is the row's [`IdLookup`]), `requesttype_id`,
    /// `excludethese`, and `startdate`/`enddate` on the date `datesearch` names; inactive rows
    /// are not hidden.
    Tickets,
    /// `startdate`/`enddate` on the action's date.
    Actions,
    /// `start_date`/`end_date` on the entry's start.
    Calendar,
    /// `assettype_id`, `assettypes`, `inventory_number`.
    Assets,
    /// `postedonly`.
    Invoices,
    /// `typeid`: the custom-field definitions of one entity (`/FieldInfo`).
    FieldInfo,
    /// `webhook_id`: the delivery records of one webhook (`/WebhookEvent`, a GUID).
    WebhookEvents,
}

/// The rules a POST applies to an object beyond Halo's upsert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PostRules {
    /// None.
    Upsert,
    /// The ticket schema's: default status, type and priority; the names of related ids
    /// filled in (an unknown id refused); a `user_id` needs a `site_id`; `hasbeenclosed` and
    /// `dateclosed` follow the status; `_recover` restores a soft-deleted object.
    Ticket,
    /// An action's (ids numbered per ticket, [`IdKind::PerTicket`]): its ticket must exist
    /// and not be deleted, an outcome is required, `new_status` moves the ticket on, and the
    /// author and time are filled in.
    Action,
    /// A `name` is required (`/Agent`).
    Named,
}

/// How to learn which of many ids exist with few requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdLookup {
    /// A list filter taking a comma list of ids (`ticketids` on `/Tickets`).
    Filter(&'static str),
    /// `idonly=true`: every id in one unpaged reply of `{"id": N}` rows (`/Client`, `/Site`,
    /// `/Asset`; the spec of the first two: "Not compatible with Pagination").
    IdOnly,
    /// Neither: walk the list.
    Walk,
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

/// Fields Halo sends only when asked, and the flags that ask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DetailOnly {
    /// The fields (`lines`).
    pub fields: &'static [&'static str],
    /// Any of these flags, `true` on a list, brings them (`includelines`, `includedetails`).
    pub on_list: &'static [&'static str],
    /// This flag, `true` on a GET of one object, brings them (`includedetails`).
    pub on_get: &'static str,
}

impl DetailOnly {
    /// No field held back.
    pub const NONE: DetailOnly = DetailOnly {
        fields: &[],
        on_list: &[],
        on_get: "includedetails",
    };
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
    /// Fields Halo sends only when asked (`/Invoice`: its `lines`, with `includedetails=true`;
    /// `/FieldInfo`: a lookup's `values`, with `getlookupvalues=true`).
    pub detail_only: DetailOnly,
    /// An empty array Halo sends beside the rows of a wrapped list, which a client must
    /// ignore (`/Attachment`: `folders`).
    pub list_sidecar: Option<&'static str>,
    /// What a GET of an unknown id answers.
    pub missing_get: MissingGet,
    /// Halo quirk (`/Tickets`): a DELETE marks the object `deleted` (keeping `?reason=` as
    /// `deletion_reason`) instead of removing it; see [`ListFilters::Tickets`] and
    /// [`PostRules::Ticket`] for listing and recovering it.
    pub soft_delete: bool,
    /// The list filters it takes beyond the common ones.
    pub list_filters: ListFilters,
    /// The rules a POST applies beyond the upsert.
    pub post_rules: PostRules,
    /// Halo quirk (the ticket schema): a POST of several objects answers only the first saved
    /// object unless the query has `returnall=true` (clients' use; the OpenAPI file does not
    /// list `returnall`).
    pub post_returnall: bool,
    /// How to learn which of many ids exist.
    pub id_lookup: IdLookup,
    /// Creating or changing one raises Halo's ticket webhook events (`New Ticket Logged`,
    /// `Ticket Updated`, `ticket status changed`).
    pub ticket_events: bool,
    /// The `typeid` of its custom-field definitions (`GET /FieldInfo?typeid=N`): 1 for the
    /// ticket schema, 2 clients, 3 sites, 5 assets; `None` when it has no custom fields.
    pub custom_field_type: Option<u8>,
    /// Halo quirk (`/Attachment`): `GET /{path}/{id}` answers the file's raw bytes (name in
    /// `Content-Disposition`, type in `Content-Type`), not JSON; `includedetails=true` answers
    /// the metadata object instead.
    pub file_download: bool,
    /// Halo quirk (`/Report`): a POST of `[{sql, _loadreportonly: true}]` runs the SQL instead
    /// of saving a report, and `GET /{path}/{id}?loadreport=true` runs a saved one; both answer
    /// `{report: {rows, load_error, loaded}, available_columns}` with status 200 even when the
    /// query failed (`load_error` says why).
    pub runs_sql: bool,
    /// The field Halo sets to the time of every change of a record (tickets `last_update`,
    /// clients `alastupdate`, sites `slastupdate`, users `ulastupdate`, assets
    /// `last_modified`, actions `last_updated`; reference §13.4), which the list filters
    /// `lastupdatefromdate`/`lastupdatetodate` compare where the path takes them.
    pub change_field: Option<&'static str>,
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
        detail_only: DetailOnly::NONE,
        list_sidecar: None,
        missing_get: MissingGet::NotFound,
        soft_delete: false,
        list_filters: ListFilters::Common,
        post_rules: PostRules::Upsert,
        post_returnall: false,
        id_lookup: IdLookup::Walk,
        ticket_events: false,
        custom_field_type: None,
        file_download: false,
        runs_sql: false,
        change_field: None,
    }
}

impl Resource {
    /// A row for a path the table does not know, called `name`: a paged bare list of
    /// integer ids, list only, in the admin area, with no quirk.
    pub const fn generic(name: &'static str, path: &'static str) -> Resource {
        Resource {
            ops: Ops::LIST,
            ..row(name, path, ListShape::Bare, true, Area::Admin, "")
        }
    }

    const fn file_download(mut self) -> Resource {
        self.file_download = true;
        self
    }

    const fn change_field(mut self, field: &'static str) -> Resource {
        self.change_field = Some(field);
        self
    }

    const fn runs_sql(mut self) -> Resource {
        self.runs_sql = true;
        self
    }

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

    const fn detail_only(
        mut self,
        fields: &'static [&'static str],
        on_list: &'static [&'static str],
        on_get: &'static str,
    ) -> Resource {
        self.detail_only = DetailOnly {
            fields,
            on_list,
            on_get,
        };
        self
    }

    const fn list_sidecar(mut self, key: &'static str) -> Resource {
        self.list_sidecar = Some(key);
        self
    }

    const fn missing_get(mut self, answer: MissingGet) -> Resource {
        self.missing_get = answer;
        self
    }

    const fn soft_delete(mut self) -> Resource {
        self.soft_delete = true;
        self
    }

    const fn list_filters(mut self, filters: ListFilters) -> Resource {
        self.list_filters = filters;
        self
    }

    const fn post_rules(mut self, rules: PostRules) -> Resource {
        self.post_rules = rules;
        self
    }

    const fn returnall(mut self) -> Resource {
        self.post_returnall = true;
        self
    }

    const fn id_lookup(mut self, lookup: IdLookup) -> Resource {
        self.id_lookup = lookup;
        self
    }

    const fn ticket_events(mut self) -> Resource {
        self.ticket_events = true;
        self
    }

    const fn custom_fields(mut self, typeid: u8) -> Resource {
        self.custom_field_type = Some(typeid);
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
use IdLookup::IdOnly;
use ListShape::{Bare, Single, Wrapped};

/// The ticket schema's id list filter.
const TICKET_IDS: IdLookup = IdLookup::Filter("ticketids");

/// Every resource, in the order `halo resources` lists them (one row a line: kept unformatted).
#[rustfmt::skip]
pub static RESOURCES: &[Resource] = &[
    // Tickets and service desk
    row("tickets", "Tickets", Wrapped("tickets"), true, Tickets, "Tickets: incidents, requests, changes, problems").aliases(&["ticket"]).model("Ticket").list_filters(ListFilters::Tickets).post_rules(PostRules::Ticket).returnall().id_lookup(TICKET_IDS).soft_delete().ticket_events().custom_fields(1).change_field("last_update"),
    row("actions", "Actions", Wrapped("actions"), false, Tickets, "Ticket actions: notes, e-mails, time entries").id(IdKind::PerTicket).aliases(&["action", "notes"]).model("Action").list_filters(ListFilters::Actions).post_rules(PostRules::Action).change_field("last_updated"),
    row("attachments", "Attachment", Wrapped("attachments"), false, Tickets, "Files on tickets and actions").aliases(&["attachment"]).model("Attachment").list_sidecar("folders").file_download(),
    row("opportunities", "Opportunities", Wrapped("tickets"), true, Crm, "Sales opportunities (ticket schema)").aliases(&["opportunity"]).model("Ticket").list_filters(ListFilters::Tickets).post_rules(PostRules::Ticket).returnall().id_lookup(TICKET_IDS).custom_fields(1).change_field("last_update"),
    row("projects", "Projects", Wrapped("tickets"), true, Projects, "Projects (ticket schema)").aliases(&["project"]).model("Ticket").list_filters(ListFilters::Tickets).post_rules(PostRules::Ticket).returnall().id_lookup(TICKET_IDS).custom_fields(1).change_field("last_update"),
    row("appointments", "Appointment", Wrapped("appointments"), true, Calendar, "Calendar appointments and tasks").model("Appointment").list_filters(ListFilters::Calendar),
    row("timesheets", "Timesheet", Bare, false, Timesheets, "Agent timesheets (keyed by agent and date)").ops(Ops::READ.with(Ops::CREATE).with(Ops::UPDATE)).model("Timesheet").missing_get(MissingGet::AgentDay),
    row("timesheet-events", "TimesheetEvent", Bare, false, Timesheets, "Timesheet entries").list_filters(ListFilters::Calendar),
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
    row("clients", "Client", Wrapped("clients"), true, Customers, "Customers").aliases(&["customers"]).model("Client").id_lookup(IdOnly).custom_fields(2).change_field("alastupdate"),
    row("sites", "Site", Wrapped("sites"), true, Customers, "Customer sites").model("Site").id_lookup(IdOnly).custom_fields(3).change_field("slastupdate"),
    row("users", "Users", Wrapped("users"), true, Customers, "End-user contacts").aliases(&["contacts"]).model("User").change_field("ulastupdate"),
    row("crm-notes", "CRMNote", Bare, false, Crm, "CRM notes on clients"),
    row("suppliers", "Supplier", Wrapped("suppliers"), true, Suppliers, "Suppliers").model("Supplier"),
    // Agents and organisation
    row("agents", "Agent", Bare, false, Admin, "Agents (technicians)").model("Agent").post_rules(PostRules::Named),
    row("roles", "Roles", Bare, false, Admin, "Agent roles"),
    row("teams", "Team", Bare, false, Admin, "Teams (tickets name their team)").model("Team"),
    row("workdays", "Workday", Bare, false, Admin, "Working-hours calendars"),
    // Assets and licensing
    row("assets", "Asset", Wrapped("assets"), true, Assets, "Assets and devices").fixed_page(50).aliases(&["devices"]).model("Asset").list_filters(ListFilters::Assets).id_lookup(IdOnly).custom_fields(5).change_field("last_modified"),
    row("asset-types", "AssetType", Bare, false, Assets, "Asset types"),
    row("asset-groups", "AssetGroup", Bare, false, Assets, "Asset groups"),
    row("software-licences", "SoftwareLicence", Wrapped("licences"), true, SoftwareLicensing, "Software licences").aliases(&["licences", "licenses"]),
    // Finance and sales
    row("invoices", "Invoice", Wrapped("invoices"), true, Invoices, "Invoices").model("Invoice").list_filters(ListFilters::Invoices).detail_only(&["lines"], &["includelines", "includedetails"], "includedetails"),
    row("recurring-invoices", "RecurringInvoice", Wrapped("invoices"), true, Invoices, "Recurring invoices").list_filters(ListFilters::Invoices).detail_only(&["lines"], &["includelines", "includedetails"], "includedetails"),
    row("contracts", "ClientContract", Wrapped("contracts"), true, Contracts, "Client contracts").model("Contract"),
    row("billing-templates", "BillingTemplate", Bare, false, Contracts, "Contract billing templates"),
    row("items", "Item", Wrapped("items"), true, Items, "Products and stock items").aliases(&["products"]).model("Item"),
    row("quotes", "Quotation", Wrapped("quotes"), true, Quotes, "Quotes").aliases(&["quotations"]).model("Quote"),
    row("sales-orders", "SalesOrder", Wrapped("salesorders"), true, SalesOrders, "Sales orders"),
    row("purchase-orders", "PurchaseOrder", Wrapped("purchaseorders"), true, PurchaseOrders, "Purchase orders"),
    // Reporting
    row("reports", "Report", Wrapped("reports"), true, Reporting, "Saved reports; ad-hoc SQL").model("Report").runs_sql(),
    // Custom fields, lookups, UI configuration
    row("custom-fields", "FieldInfo", Bare, false, Admin, "Custom-field definitions").aliases(&["field-info"]).model("FieldInfo").list_filters(ListFilters::FieldInfo).detail_only(&["values"], &["includevalues"], "getlookupvalues"),
    row("field-kinds", "Field", Bare, false, Admin, "Field definitions by kind"),
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
    row("webhook-events", "WebhookEvent", Bare, true, Admin, "Webhook deliveries (read-only)").id(IdKind::Guid).ops(Ops::READ).model("WebhookEvent").list_filters(ListFilters::WebhookEvents),
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
    fn quirks_are_named_in_their_rows() {
        let soft: Vec<&str> = RESOURCES
            .iter()
            .filter(|r| r.soft_delete)
            .map(|r| r.path)
            .collect();
        assert_eq!(soft, ["Tickets"]);
        assert_eq!(find("invoices").unwrap().detail_only.fields, ["lines"]);
        assert_eq!(
            find("FieldInfo").unwrap().detail_only.on_get,
            "getlookupvalues"
        );
        let typed: Vec<(&str, u8)> = RESOURCES
            .iter()
            .filter_map(|r| Some((r.path, r.custom_field_type?)))
            .collect();
        assert_eq!(
            typed,
            [
                ("Tickets", 1),
                ("Opportunities", 1),
                ("Projects", 1),
                ("Client", 2),
                ("Site", 3),
                ("Asset", 5)
            ]
        );
        assert_eq!(find("attachments").unwrap().list_sidecar, Some("folders"));
        assert_eq!(
            find("timesheets").unwrap().missing_get,
            MissingGet::AgentDay
        );
        assert_eq!(find("actions").unwrap().post_rules, PostRules::Action);
        assert_eq!(find("projects").unwrap().list_filters, ListFilters::Tickets);
        let returnall: Vec<&str> = RESOURCES
            .iter()
            .filter(|r| r.post_returnall)
            .map(|r| r.path)
            .collect();
        assert_eq!(returnall, ["Tickets", "Opportunities", "Projects"]);
        let lookups: Vec<(&str, IdLookup)> = RESOURCES
            .iter()
            .filter(|r| r.id_lookup != IdLookup::Walk)
            .map(|r| (r.path, r.id_lookup))
            .collect();
        assert_eq!(
            lookups,
            [
                ("Tickets", TICKET_IDS),
                ("Opportunities", TICKET_IDS),
                ("Projects", TICKET_IDS),
                ("Client", IdOnly),
                ("Site", IdOnly),
                ("Asset", IdOnly),
            ]
        );
        let generic = Resource::generic("api", "Custom/Path");
        assert_eq!(
            (generic.path, generic.ops, generic.paged),
            ("Custom/Path", Ops::LIST, true)
        );
        assert_eq!(
            (generic.list, generic.id, generic.soft_delete),
            (ListShape::Bare, IdKind::Int, false)
        );
        assert_eq!(
            (generic.post_returnall, generic.id_lookup),
            (false, IdLookup::Walk)
        );
    }

    #[test]
    fn covers_the_parity_baseline() {
        // The 55 paths HaloAPI calls, and more.
        assert!(RESOURCES.len() >= 55, "{}", RESOURCES.len());
    }
}
