//! Query filters checked against Halo's own list of query parameters per endpoint.
//!
//! Quirk: Halo silently ignores query parameters it does not know, so a misspelt filter returns
//! unfiltered data. The table `query_params.tsv` (generated from Halo's OpenAPI file by
//! `scripts/derive_query_params.py`) lists every operation's query parameters; [`check`] refuses
//! names that are not among them and suggests the nearest valid ones, and
//! [`check_dependencies`] names a filter given without the one it needs.

mod date;

/// A date as Halo expects it (`2026-01-31T00:00:00Z`): from an ISO date or date-time,
/// `today`, `yesterday`, `now` or an age (`7d`, `24h`); `None` for anything else.
pub fn date_value(text: &str) -> Option<String> {
    date::format(text, jiff::Timestamp::now())
}
mod needs;

pub use needs::check_dependencies;

use std::collections::HashMap;
use std::sync::LazyLock;
use thiserror::Error;

/// The value type Halo declares for a query parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParamKind {
    /// `true` or `false`.
    Bool,
    /// One integer.
    Int,
    /// Comma-separated integers (id lists).
    Ints,
    /// A decimal number.
    Number,
    /// A date-time, sent as `yyyy-MM-ddTHH:mm:ssZ` (UTC); see [`format_value`] for the forms
    /// accepted.
    Date,
    /// Free text (and anything the spec types loosely).
    String,
}

impl ParamKind {
    fn from_tag(tag: &str) -> Option<ParamKind> {
        Some(match tag {
            "bool" => ParamKind::Bool,
            "int" => ParamKind::Int,
            "ints" => ParamKind::Ints,
            "number" => ParamKind::Number,
            "date" => ParamKind::Date,
            "string" => ParamKind::String,
            _ => return None,
        })
    }

    fn expected(self) -> &'static str {
        match self {
            ParamKind::Bool => "true or false",
            ParamKind::Int => "an integer",
            ParamKind::Ints => "comma-separated integers",
            ParamKind::Number => "a number",
            ParamKind::Date => date::FORMS,
            ParamKind::String => "text",
        }
    }
}

/// One query parameter of an operation, spelt exactly as Halo spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param {
    /// The exact name (`pageinate`, `excludeAgent`...).
    pub name: &'static str,
    /// Its declared type.
    pub kind: ParamKind,
    /// The spec's description on one line, cut to about 120 characters (an ellipsis marks a
    /// cut); empty when the spec has none.
    pub description: &'static str,
}

impl Param {
    /// `kind:name:description`.
    fn parse(field: &'static str) -> Option<Param> {
        let mut parts = field.splitn(3, ':');
        let (tag, name, description) = (parts.next()?, parts.next()?, parts.next()?);
        Some(Param {
            name,
            kind: ParamKind::from_tag(tag)?,
            description,
        })
    }
}

/// A filter name the operation does not list: Halo would ignore it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "unknown filter '{name}' for {method} {path} (Halo would ignore it silently); {}",
    hint(suggestions)
)]
pub struct UnknownFilter {
    /// The name as given.
    pub name: String,
    /// The HTTP method, upper-case.
    pub method: String,
    /// The operation's path template in the spec (`/Tickets/{id}`).
    pub path: String,
    /// Up to three valid names close to `name`, nearest first.
    pub suggestions: Vec<&'static str>,
}

/// "did you mean a, b or c?" (or that no valid name is close), for an unknown name's message.
pub(crate) fn hint(suggestions: &[&str]) -> String {
    match suggestions {
        [] => "no valid name is close to it".to_owned(),
        [one] => format!("did you mean {one}?"),
        [init @ .., last] => format!("did you mean {} or {last}?", init.join(", ")),
    }
}

/// One operation of the table.
struct Endpoint {
    template: &'static str,
    /// Literal segments, `None` for a `{variable}`.
    segments: Vec<Option<&'static str>>,
    params: Vec<Param>,
}

impl Endpoint {
    /// One line of the table: `METHOD<TAB>/Path<TAB>param<TAB>param...`, or
    /// `METHOD<TAB>/Path<TAB>=METHOD /Path` for the parameters of an earlier line of `table`.
    fn parse(line: &'static str, table: &Table) -> Option<(&'static str, Endpoint)> {
        let mut fields = line.split('\t');
        let (method, template) = (fields.next()?, fields.next()?);
        let segments: Vec<_> = template
            .trim_start_matches('/')
            .split('/')
            .map(|s| (!(s.starts_with('{') && s.ends_with('}'))).then_some(s))
            .collect();
        let rest: Vec<&'static str> = fields.collect();
        let params = match rest.as_slice() {
            [reference] if reference.starts_with('=') => Self::referred(table, reference)?,
            params => params
                .iter()
                .map(|p| Param::parse(p))
                .collect::<Option<Vec<_>>>()?,
        };
        let endpoint = Endpoint {
            template,
            segments,
            params,
        };
        Some((method, endpoint))
    }

    /// The parameters of the earlier line `=METHOD /Path` names.
    fn referred(table: &Table, reference: &str) -> Option<Vec<Param>> {
        let (method, template) = reference.strip_prefix('=')?.split_once(' ')?;
        let count = template.trim_start_matches('/').split('/').count();
        let earlier = table.get(&(method.to_owned(), count))?;
        let endpoint = earlier.iter().find(|e| e.template == template)?;
        Some(endpoint.params.clone())
    }

    fn matches(&self, segments: &[&str]) -> bool {
        self.segments
            .iter()
            .zip(segments)
            .all(|(t, s)| t.map_or(!s.is_empty(), |lit| lit.eq_ignore_ascii_case(s)))
    }

    fn literals(&self) -> usize {
        self.segments.iter().filter(|s| s.is_some()).count()
    }
}

static TABLE_TEXT: &str = include_str!("query_params.tsv");

/// Operations keyed by (upper-case method, number of path segments).
type Table = HashMap<(String, usize), Vec<Endpoint>>;

static TABLE: LazyLock<Table> = LazyLock::new(parse_table);

fn parse_table() -> Table {
    let mut table: Table = HashMap::new();
    for line in TABLE_TEXT.lines().filter(|l| !l.starts_with('#')) {
        if let Some((method, endpoint)) = Endpoint::parse(line, &table) {
            table
                .entry((method.to_owned(), endpoint.segments.len()))
                .or_default()
                .push(endpoint);
        }
    }
    table
}

/// The operation `path` falls under: the matching template with the most literal segments
/// (the first in table order on a tie).
fn endpoint(method: &str, path: &str) -> Option<&'static Endpoint> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let mut best: Option<&'static Endpoint> = None;
    for e in TABLE
        .get(&(method.to_ascii_uppercase(), segments.len()))?
        .iter()
        .filter(|e| e.matches(&segments))
    {
        if best.is_none_or(|b| e.literals() > b.literals()) {
            best = Some(e);
        }
    }
    best
}

/// The query parameters Halo lists for `method` on `path`, a concrete path below `/api`
/// (`Tickets`, `/Tickets/12`, `tickets`), matched case-insensitively against the spec's templates.
/// `None` when the spec lists no query parameter for that operation.
pub fn params_for(method: &str, path: &str) -> Option<&'static [Param]> {
    endpoint(method, path).map(|e| e.params.as_slice())
}

/// Checks a filter name for `method` on `path`, returning the spec's exact spelling
/// (`CLIENT_ID` → `client_id`).
///
/// When the spec lists no query parameter for the operation (unknown path, or an operation
/// without any), nothing can be checked and `name` is returned unchanged.
pub fn check<'a>(method: &str, path: &str, name: &'a str) -> Result<&'a str, UnknownFilter> {
    let Some(endpoint) = endpoint(method, path) else {
        return Ok(name);
    };
    if let Some(p) = endpoint
        .params
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
    {
        return Ok(p.name);
    }
    Err(UnknownFilter {
        name: name.to_owned(),
        method: method.to_ascii_uppercase(),
        path: endpoint.template.to_owned(),
        suggestions: nearest(endpoint.params.iter().map(|p| p.name), name),
    })
}

/// Lower-case without underscores, so `closedonly` and `closed_only` compare equal.
fn squash(name: &str) -> String {
    name.chars()
        .filter(|&c| c != '_')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Up to three of `names` within a third of `name`'s length in edits, or containing it or
/// contained in it (three letters at least), nearest first.
pub(crate) fn nearest<'a>(names: impl IntoIterator<Item = &'a str>, name: &str) -> Vec<&'a str> {
    let wanted = squash(name);
    let limit = (wanted.len() / 3).max(1);
    let mut scored: Vec<(usize, bool, &'a str)> = names
        .into_iter()
        .filter_map(|candidate_name| {
            let candidate = squash(candidate_name);
            let distance = strsim::osa_distance(&wanted, &candidate);
            let (short, long) = if wanted.len() <= candidate.len() {
                (&wanted, &candidate)
            } else {
                (&candidate, &wanted)
            };
            let contained = short.len() >= 3 && long.contains(short.as_str());
            (distance <= limit || contained).then_some((distance, !contained, candidate_name))
        })
        .collect();
    scored.sort_unstable();
    scored.into_iter().take(3).map(|(_, _, n)| n).collect()
}

/// Validates `values` as `kind` and renders them as Halo expects; the error is one line naming
/// the expected form. Several values (or comma-joined ones) are accepted for [`ParamKind::Ints`]
/// and [`ParamKind::String`] only.
///
/// A [`ParamKind::Date`] is an ISO date (`2026-01-02`, its midnight UTC) or date-time
/// (`2026-01-02T10:00`, seconds and a fraction optional, UTC unless it ends in `Z` or an
/// offset), `today` or `yesterday` (midnight UTC), `now`, or an age meaning that long ago
/// (`30m`, `24h`, `7d`, `2w`, also `-7d`); it is sent as `yyyy-MM-ddTHH:mm:ssZ`.
pub fn format_value(kind: ParamKind, values: &[String]) -> Result<String, String> {
    let expected = kind.expected();
    let bad = |v: &str| format!("expected {expected}, got '{v}'");
    match (kind, values) {
        (_, []) => Err(format!("expected {expected}, got no value")),
        (ParamKind::Ints, _) => values
            .iter()
            .flat_map(|v| v.split(','))
            .map(|v| v.trim().parse::<i64>().map_err(|_| bad(v)))
            .map(|v| v.map(|n| n.to_string()))
            .collect::<Result<Vec<_>, _>>()
            .map(|ids| ids.join(",")),
        (ParamKind::String, _) => Ok(values.join(",")),
        (_, [v]) => {
            let t = v.trim();
            match kind {
                ParamKind::Bool => match t.to_ascii_lowercase().as_str() {
                    "true" | "yes" | "1" => Ok("true".to_owned()),
                    "false" | "no" | "0" => Ok("false".to_owned()),
                    _ => Err(bad(v)),
                },
                ParamKind::Int => t.parse::<i64>().map(|n| n.to_string()).map_err(|_| bad(v)),
                ParamKind::Number => match t.parse::<f64>() {
                    Ok(n) if n.is_finite() => Ok(t.to_owned()),
                    _ => Err(bad(v)),
                },
                _ => date::format(t, jiff::Timestamp::now()).ok_or_else(|| bad(v)),
            }
        }
        _ => Err(format!(
            "expected one value ({expected}), got {}",
            values.len()
        )),
    }
}

/// Query filters for a list request, in the order set; a setter replaces an earlier value of
/// the same name (case-insensitively) in place.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListParams {
    pairs: Vec<(String, String)>,
}

impl ListParams {
    /// No filters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets any filter; the name is checked only by [`ListParams::checked`].
    pub fn filter(mut self, name: &str, value: impl Into<String>) -> Self {
        let value = value.into();
        match self
            .pairs
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some(pair) => *pair = (name.to_owned(), value),
            None => self.pairs.push((name.to_owned(), value)),
        }
        self
    }

    fn without(mut self, name: &str) -> Self {
        self.pairs.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self
    }

    fn ids(self, name: &str, ids: &[i64]) -> Self {
        if ids.is_empty() {
            return self.without(name);
        }
        let joined = ids.iter().map(i64::to_string).collect::<Vec<_>>();
        self.filter(name, joined.join(","))
    }

    /// `search`: free-text search.
    pub fn search(self, text: &str) -> Self {
        self.filter("search", text)
    }

    /// `client_id`.
    pub fn client_id(self, id: i64) -> Self {
        self.filter("client_id", id.to_string())
    }

    /// `site_id`.
    pub fn site_id(self, id: i64) -> Self {
        self.filter("site_id", id.to_string())
    }

    /// `user_id`.
    pub fn user_id(self, id: i64) -> Self {
        self.filter("user_id", id.to_string())
    }

    /// `agent_id`.
    pub fn agent_id(self, id: i64) -> Self {
        self.filter("agent_id", id.to_string())
    }

    /// `status_id`.
    pub fn status_id(self, id: i64) -> Self {
        self.filter("status_id", id.to_string())
    }

    /// `ticket_id` (actions, attachments...).
    pub fn ticket_id(self, id: i64) -> Self {
        self.filter("ticket_id", id.to_string())
    }

    /// `ticketids`: only these tickets; an empty list removes the filter.
    pub fn ticket_ids(self, ids: &[i64]) -> Self {
        self.ids("ticketids", ids)
    }

    /// `status`: any of these status ids; an empty list removes the filter.
    pub fn statuses(self, ids: &[i64]) -> Self {
        self.ids("status", ids)
    }

    /// `open_only`.
    pub fn open_only(self, on: bool) -> Self {
        self.filter("open_only", on.to_string())
    }

    /// `closed_only`.
    pub fn closed_only(self, on: bool) -> Self {
        self.filter("closed_only", on.to_string())
    }

    /// `includeinactive`.
    pub fn include_inactive(self, on: bool) -> Self {
        self.filter("includeinactive", on.to_string())
    }

    /// `datesearch` (the date field, e.g. `dateoccured`) with `startdate` and `enddate`; a
    /// `None` bound removes an earlier one.
    pub fn date_range(self, field: &str, start: Option<&str>, end: Option<&str>) -> Self {
        let mut p = self.filter("datesearch", field);
        for (name, bound) in [("startdate", start), ("enddate", end)] {
            p = match bound {
                Some(v) => p.filter(name, v),
                None => p.without(name),
            };
        }
        p
    }

    /// `order` and `orderdesc`.
    pub fn order(self, field: &str, desc: bool) -> Self {
        self.filter("order", field)
            .filter("orderdesc", desc.to_string())
    }

    /// `includedetails`.
    pub fn include_details(self, on: bool) -> Self {
        self.filter("includedetails", on.to_string())
    }

    /// The (name, value) pairs, in the order first set.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// The pairs with every name [`check`]ed for `method` on `path` and spelt as the spec does.
    /// Values are not validated.
    pub fn checked(
        &self,
        method: &str,
        path: &str,
    ) -> Result<Vec<(String, String)>, UnknownFilter> {
        self.pairs
            .iter()
            .map(|(n, v)| Ok((check(method, path, n)?.to_owned(), v.clone())))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(method: &str, path: &str) -> Vec<&'static str> {
        params_for(method, path)
            .map(|ps| ps.iter().map(|p| p.name).collect())
            .unwrap_or_default()
    }

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn every_table_line_parses() {
        let lines = TABLE_TEXT.lines().filter(|l| !l.starts_with('#'));
        for line in lines.clone() {
            assert!(Endpoint::parse(line, &TABLE).is_some(), "bad line: {line}");
        }
        let operations: usize = TABLE.values().map(Vec::len).sum();
        let params: usize = TABLE.values().flatten().map(|e| e.params.len()).sum();
        assert_eq!(operations, lines.count());
        assert!(operations > 400, "{operations} operations");
        assert!(params > 800, "{params} parameters");
    }

    #[test]
    fn ticket_list_params_are_the_specs() {
        let ticket = names("GET", "Tickets");
        for n in [
            "pageinate",
            "inlcludeopenchildcount",
            "closed_only",
            "requesttype",
        ] {
            assert!(ticket.contains(&n), "{n} missing");
        }
        assert!(!ticket.contains(&"team_id"));
        assert_eq!(names("get", "tickets"), ticket);
        assert_eq!(names("GET", "/Tickets/"), ticket);
        let utcoffsets = ticket.iter().filter(|n| **n == "utcoffset").count();
        assert_eq!(utcoffsets, 1, "declared twice in the spec, listed once");
    }

    #[test]
    fn params_keep_the_specs_description() {
        let agent_id =
            params_for("GET", "Tickets").and_then(|ps| ps.iter().find(|p| p.name == "agent_id"));
        assert_eq!(
            agent_id.map(|p| (p.kind, p.description)),
            Some((ParamKind::Int, "Filters by the specified agent."))
        );
        let all = || TABLE.values().flatten().flat_map(|e| &e.params);
        assert!(all().all(|p| p.description.chars().count() <= 120));
        assert!(all().any(|p| p.description.ends_with('…')));
        assert!(all().any(|p| p.description.is_empty()));
        assert!(all().any(|p| p.description.contains(':')), "a colon kept");
    }

    #[test]
    fn date_filters_are_dates_though_the_spec_says_string() {
        let kind = |path, name| {
            params_for("GET", path)
                .and_then(|ps| ps.iter().find(|p| p.name == name))
                .map(|p| p.kind)
        };
        for (path, name) in [
            ("Tickets", "startdate"),
            ("Tickets", "enddate"),
            ("Tickets", "billing_date"),
            ("Actions", "startdate"),
            ("Actions", "enddate"),
            ("Appointment", "start_date"),
            ("Appointment", "end_date"),
            ("TimesheetEvent", "start_date"),
            ("Timesheet/3", "date"),
            ("Holiday", "start_date"),
        ] {
            assert_eq!(kind(path, name), Some(ParamKind::Date), "{path} {name}");
        }
        for (path, name, other) in [
            ("Tickets", "datesearch", ParamKind::String),
            ("Tickets", "startdatetime", ParamKind::Bool),
            ("Tickets", "lastupdatefromdate", ParamKind::Bool),
            ("Invoice", "invoicedatestart", ParamKind::Bool),
        ] {
            assert_eq!(kind(path, name), Some(other), "{path} {name}");
        }
    }

    #[test]
    fn a_repeated_list_is_the_earlier_lines() {
        assert!(TABLE_TEXT.contains("\nGET\t/Tickets\t=GET /Opportunities\n"));
        let tickets = params_for("GET", "Tickets");
        assert!(tickets.is_some_and(|t| t.len() > 150));
        assert_eq!(tickets, params_for("GET", "Opportunities"));
    }

    #[test]
    fn concrete_paths_map_to_templates() {
        let one = endpoint("GET", "/tickets/12").map(|e| e.template);
        assert_eq!(one, Some("/Tickets/{id}"));
        assert_eq!(
            endpoint("GET", "IntegrationData/Get/QuickBooksOnline").map(|e| e.template),
            Some("/IntegrationData/Get/QuickBooksOnline")
        );
        assert!(params_for("GET", "Tickets/12/nothing/here").is_none());
        assert!(params_for("GET", "").is_none());
        assert!(names("GET", "Actions/3").contains(&"ticket_id"));
    }

    #[test]
    fn literal_segments_win_over_variables() {
        let literal = TABLE
            .values()
            .flatten()
            .find(|e| e.template == "/IntegrationData/Get/QuickBooksOnline");
        let variable = Endpoint {
            template: "/IntegrationData/Get/{id}",
            segments: vec![Some("IntegrationData"), Some("Get"), None],
            params: Vec::new(),
        };
        let path = ["integrationdata", "get", "quickbooksonline"];
        assert!(variable.matches(&path));
        assert!(literal.is_some_and(|l| l.matches(&path) && l.literals() > variable.literals()));
    }

    #[test]
    fn check_returns_the_exact_spelling() {
        assert_eq!(check("GET", "Tickets", "CLIENT_ID"), Ok("client_id"));
        assert_eq!(check("GET", "Tickets", "PageInate"), Ok("pageinate"));
        assert_eq!(check("GET", "Nowhere/At/All", "anything"), Ok("anything"));
    }

    #[test]
    fn check_suggests_near_names() {
        let suggest = |path, name| check("GET", path, name).err().map(|e| e.suggestions);
        let first = |path, name| suggest(path, name).and_then(|s| s.first().copied());
        assert_eq!(first("Tickets", "closedonly"), Some("closed_only"));
        assert!(suggest("Tickets", "team_id").is_some_and(|s| s.contains(&"team")));
        assert_eq!(
            first("Tickets", "search_invenotry_number"),
            Some("search_inventory_number")
        );
        // `/Asset` lists only `search_inventory_number_only`.
        assert_eq!(
            first("/Asset", "search_invenotry_number"),
            Some("search_inventory_number_only")
        );
        assert_eq!(first("Invoice", "orderby"), Some("order"));
        assert!(suggest("Tickets", "zzzzzzzzzzzz").is_some_and(|s| s.is_empty()));
        assert!(suggest("Tickets", "include").is_some_and(|s| s.len() == 3));
    }

    #[test]
    fn unknown_filter_reads_well() {
        let err = check("get", "tickets", "closedonly")
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(
                "unknown filter 'closedonly' for GET /Tickets (Halo would ignore it silently); \
                 did you mean closed_only?"
            )
        );
        let err = check("GET", "Tickets", "zzzzzzzzzzzz")
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.ends_with("; no valid name is close to it")));
        assert_eq!(hint(&["a", "b", "c"]), "did you mean a, b or c?");
    }

    #[test]
    fn values_are_rendered_as_halo_expects() {
        let f = |kind, values: &[&str]| format_value(kind, &strings(values));
        assert_eq!(f(ParamKind::Bool, &["Yes"]), Ok("true".into()));
        assert_eq!(f(ParamKind::Bool, &["0"]), Ok("false".into()));
        assert_eq!(f(ParamKind::Bool, &["FALSE"]), Ok("false".into()));
        assert!(f(ParamKind::Bool, &["maybe"]).is_err());
        assert_eq!(f(ParamKind::Int, &[" 42 "]), Ok("42".into()));
        assert_eq!(
            f(ParamKind::Int, &["3.0"]),
            Err("expected an integer, got '3.0'".into())
        );
        assert_eq!(
            f(ParamKind::Int, &["1", "2"]),
            Err("expected one value (an integer), got 2".into())
        );
        assert_eq!(f(ParamKind::Ints, &["1,2", "3"]), Ok("1,2,3".into()));
        assert!(f(ParamKind::Ints, &["1,x"]).is_err());
        assert!(f(ParamKind::Ints, &[]).is_err());
        assert_eq!(f(ParamKind::Number, &["-1.5"]), Ok("-1.5".into()));
        assert!(f(ParamKind::Number, &["NaN"]).is_err());
        assert_eq!(f(ParamKind::String, &["a", "b"]), Ok("a,b".into()));
    }

    #[test]
    fn dates_are_normalised() {
        let date = |v: &str| format_value(ParamKind::Date, &strings(&[v]));
        assert_eq!(
            date(" 2024-02-29T13:05:09.123Z "),
            Ok("2024-02-29T13:05:09Z".into())
        );
        assert!(date("yesterday").is_ok());
        let err = date("last week").err().unwrap_or_default();
        assert!(err.starts_with("expected a date: yyyy-MM-dd"), "{err}");
        assert!(err.ends_with(", got 'last week'"), "{err}");
        for form in ["today", "now", "7d"] {
            assert!(err.contains(form), "{err}");
        }
        let two = format_value(ParamKind::Date, &strings(&["today", "now"]));
        assert!(two.is_err_and(|e| e.starts_with("expected one value (a date")));
    }

    #[test]
    fn list_params_keep_order_and_replace() {
        let p = ListParams::new()
            .search("printer")
            .client_id(3)
            .open_only(true)
            .search("scanner")
            .statuses(&[1, 2])
            .order("dateoccured", true)
            .date_range("dateoccured", Some("2024-01-01"), Some("2024-02-01"))
            .date_range("dateoccured", Some("2024-01-02"), None);
        let pairs: Vec<(&str, &str)> = p
            .pairs()
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("search", "scanner"),
                ("client_id", "3"),
                ("open_only", "true"),
                ("status", "1,2"),
                ("order", "dateoccured"),
                ("orderdesc", "true"),
                ("datesearch", "dateoccured"),
                ("startdate", "2024-01-02"),
            ]
        );
        assert!(
            p.clone()
                .statuses(&[])
                .pairs()
                .iter()
                .all(|(n, _)| n != "status")
        );
    }

    #[test]
    fn list_params_are_checked_and_respelt() {
        let p = ListParams::new()
            .filter("CLOSED_ONLY", "true")
            .ticket_ids(&[5, 6]);
        assert_eq!(
            p.checked("GET", "Tickets"),
            Ok(vec![
                ("closed_only".to_owned(), "true".to_owned()),
                ("ticketids".to_owned(), "5,6".to_owned()),
            ])
        );
        let err = p
            .filter("closedonly", "true")
            .checked("GET", "Tickets")
            .err();
        assert_eq!(err.map(|e| e.name), Some("closedonly".to_owned()));
    }
}
