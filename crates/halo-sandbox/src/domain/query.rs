//! Query parameters: read case-insensitively (ASP.NET binding), turned into store queries.
//! Unknown names are ignored silently, as real Halo does.

use crate::domain::store::{Col, Cond, ListQuery};
use halopsa::resource::{IdKind, IdLookup, ListFilters, Resource};

/// The query string of one request, names lower-cased.
#[derive(Debug, Default)]
pub struct Params(Vec<(String, String)>);

/// A parameter that did not bind (Halo answers 400 with the model-state message).
#[derive(Debug)]
pub struct BadParam(pub String);

impl Params {
    /// Parses a raw query string.
    pub fn parse(raw: Option<&str>) -> Params {
        Params(
            url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
                .map(|(k, v)| (k.to_ascii_lowercase(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of `name` (case-insensitive), empty values ignored.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim())
    }

    /// A boolean: `true`/`True`/`TRUE` (any case) is true.
    pub fn flag(&self, name: &str) -> Result<Option<bool>, BadParam> {
        match self.get(name) {
            None => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(v) => Err(BadParam(format!(
                "The value '{v}' is not valid for {name}."
            ))),
        }
    }

    /// An integer.
    pub fn int(&self, name: &str) -> Result<Option<i64>, BadParam> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v
                .parse::<i64>()
                .map(Some)
                .map_err(|_| BadParam(format!("The value '{v}' is not valid for {name}."))),
        }
    }

    /// A date-time, as the store keeps them (`yyyy-MM-ddTHH:mm:ssZ`, UTC, whole seconds:
    /// ISO strings in one form compare in time order); an offset is converted, no offset
    /// read as UTC.
    pub fn date(&self, name: &str) -> Result<Option<String>, BadParam> {
        self.get(name)
            .map(|v| {
                halopsa::filter::date_value(v)
                    .ok_or_else(|| BadParam(format!("The value '{v}' is not valid for {name}.")))
            })
            .transpose()
    }

    /// A comma-joined id list.
    pub fn ints(&self, name: &str) -> Result<Option<Vec<i64>>, BadParam> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v
                .split(',')
                .filter(|p| !p.trim().is_empty())
                .map(|p| p.trim().parse::<i64>())
                .collect::<Result<Vec<_>, _>>()
                .map(Some)
                .map_err(|_| BadParam(format!("The value '{v}' is not valid for {name}."))),
        }
    }
}

/// The store query for a list GET (without its paging window).
pub fn list_query(r: &Resource, p: &Params) -> Result<ListQuery, BadParam> {
    let mut q = ListQuery::default();
    let c = &mut q.conds;
    for (name, col) in [
        ("client_id", Col::Client),
        ("site_id", Col::Site),
        ("user_id", Col::User),
        ("agent_id", Col::Agent),
        ("status_id", Col::Status),
        ("ticket_id", Col::Ticket),
        ("toplevel_id", Col::TopLevel),
    ] {
        if let Some(v) = p.int(name)? {
            // Halo treats 0 as "no filter" for these ids.
            if v != 0 {
                c.push(Cond::Eq(col, v));
            }
        }
    }
    if let Some(s) = p.get("search") {
        c.push(Cond::Search(s.to_string()));
    }
    if let Some(ids) = p.ints("client_ids")? {
        c.push(Cond::In(Col::Client, ids));
    }
    // The row's id list filter (`ticketids` on the ticket schema), for existence lookups.
    if let IdLookup::Filter(name) = r.id_lookup
        && let Some(ids) = p.ints(name)?
    {
        c.push(Cond::In(Col::Id, ids));
    }
    change_window(r, p, c)?;
    match r.list_filters {
        ListFilters::Tickets => ticket_filters(r, p, c)?,
        ListFilters::Actions => searched_dates(r, p, c)?,
        ListFilters::Calendar => dates(p, c, "start_date", "end_date")?,
        ListFilters::Assets => {
            if let Some(t) = p.int("assettype_id")? {
                c.push(Cond::Eq(Col::Type, t));
            }
            if let Some(ts) = p.ints("assettypes")? {
                c.push(Cond::In(Col::Type, ts));
            }
            if let Some(s) = p.get("inventory_number") {
                c.push(Cond::Search(s.to_string()));
            }
        }
        ListFilters::Invoices if p.flag("postedonly")? == Some(true) => {
            c.push(Cond::Flag(Col::Closed, true));
        }
        ListFilters::FieldInfo => {
            if let Some(t) = p.int("typeid")? {
                c.push(Cond::Eq(Col::Type, t));
            }
        }
        ListFilters::WebhookEvents => {
            if let Some(hook) = p.get("webhook_id") {
                c.push(Cond::Text("webhook_id", hook.to_string()));
            }
        }
        _ => {}
    }
    if r.list_filters != ListFilters::Tickets && p.flag("includeinactive")? != Some(true) {
        c.push(Cond::Flag(Col::Inactive, false));
    }
    q.order = order(r, p)?;
    Ok(q)
}

/// Whether the spec lists the query parameter `name` on the resource's list GET.
fn takes(r: &Resource, name: &str) -> bool {
    halopsa::filter::params_for("GET", r.path)
        .is_some_and(|params| params.iter().any(|p| p.name.eq_ignore_ascii_case(name)))
}

/// `lastupdatefromdate` / `lastupdatetodate`: the objects whose change field
/// (`Resource::change_field`) lies between the two, both bounds inclusive, on every list the
/// spec gives them to. Halo quirk (reference §13.4): the spec types them bool ("include the
/// field"), but they are date filters; a value that is no date is refused as Halo refuses an
/// unbound parameter.
fn change_window(r: &Resource, p: &Params, c: &mut Vec<Cond>) -> Result<(), BadParam> {
    if r.change_field.is_none() {
        return Ok(());
    }
    let bound = |name: &str| match takes(r, name) {
        true => p.date(name),
        false => Ok(None),
    };
    let (from, to) = (bound("lastupdatefromdate")?, bound("lastupdatetodate")?);
    if from.is_some() || to.is_some() {
        c.push(Cond::Between(Col::Updated, from, to));
    }
    Ok(())
}

/// The date column `datesearch` names (`startdate`/`enddate` then bound it): the change
/// field under its own name or `lastupdate`/`last_update`, the closing date, else the main date.
/// Halo's own examples spell the opening date `dateoccured`.
fn date_searched(r: &Resource, p: &Params) -> Col {
    let Some(field) = p.get("datesearch").map(str::to_ascii_lowercase) else {
        return Col::DateA;
    };
    if r.change_field
        .is_some_and(|f| f.eq_ignore_ascii_case(&field))
    {
        return Col::Updated;
    }
    match field.as_str() {
        "datecleared" | "dateclosed" => Col::DateB,
        "lastupdate" | "last_update" if r.change_field.is_some() => Col::Updated,
        _ => Col::DateA,
    }
}

/// `startdate`/`enddate` (both inclusive) on the column `datesearch` names.
fn searched_dates(r: &Resource, p: &Params, c: &mut Vec<Cond>) -> Result<(), BadParam> {
    let (from, to) = (p.date("startdate")?, p.date("enddate")?);
    if from.is_some() || to.is_some() {
        c.push(Cond::Between(date_searched(r, p), from, to));
    }
    Ok(())
}

/// The main date between `start` and `end` (both inclusive), when either is given.
fn dates(p: &Params, c: &mut Vec<Cond>, start: &str, end: &str) -> Result<(), BadParam> {
    let (from, to) = (p.date(start)?, p.date(end)?);
    if from.is_some() || to.is_some() {
        c.push(Cond::Between(Col::DateA, from, to));
    }
    Ok(())
}

fn ticket_filters(r: &Resource, p: &Params, c: &mut Vec<Cond>) -> Result<(), BadParam> {
    // Soft-deleted tickets are listed only with deleted=true.
    c.push(Cond::Flag(Col::Deleted, p.flag("deleted")? == Some(true)));
    if p.flag("open_only")? == Some(true) {
        c.push(Cond::Flag(Col::Closed, false));
    }
    if p.flag("closed_only")? == Some(true) {
        c.push(Cond::Flag(Col::Closed, true));
    }
    for (name, col) in [
        ("status", Col::Status),
        ("agent", Col::Agent),
        ("requesttype", Col::Type),
        ("priority", Col::Priority),
    ] {
        if let Some(ids) = p.ints(name)? {
            c.push(Cond::In(col, ids));
        }
    }
    // `team`: team ids (the ticket names its team and keeps its id in `team_id`).
    if let Some(ids) = p.ints("team")? {
        c.push(Cond::FieldIn("team_id", ids));
    }
    if let Some(t) = p.int("requesttype_id")? {
        c.push(Cond::Eq(Col::Type, t));
    }
    if let Some(ids) = p.ints("excludethese")? {
        c.push(Cond::NotIn(Col::Id, ids));
    }
    searched_dates(r, p, c)
}

/// `order`…`order5` with `orderdesc`…`orderdesc5`; the resource's change field orders by
/// the indexed column.
fn order(r: &Resource, p: &Params) -> Result<Vec<(Col, bool)>, BadParam> {
    let mut out = Vec::new();
    for suffix in ["", "2", "3", "4", "5"] {
        let Some(field) = p.get(&format!("order{suffix}")) else {
            continue;
        };
        let desc = p.flag(&format!("orderdesc{suffix}"))?.unwrap_or(false);
        if r.change_field
            .is_some_and(|f| f.eq_ignore_ascii_case(field))
        {
            out.push((Col::Updated, desc));
            continue;
        }
        let col = match field.to_ascii_lowercase().as_str() {
            "id" | "faultid" => Col::Id,
            "dateoccurred" | "dateoccured" | "datecreated" | "datetime" | "start_date"
            | "invoice_date" => Col::DateA,
            "dateclosed" | "datecleared" | "end_date" | "duedate" => Col::DateB,
            "last_update" | "lastupdate" => Col::Updated,
            "summary" | "name" | "title" => Col::Title,
            "client_id" | "client_name" => Col::Client,
            "status_id" => Col::Status,
            "agent_id" => Col::Agent,
            "site_id" => Col::Site,
            "user_id" => Col::User,
            _ => continue,
        };
        if col == Col::Id && !desc && r.id != IdKind::PerTicket {
            // Every list ends on (parent, id), which is id order here (parent is 0 unless ids
            // are per ticket) and unique: this key and any after it change nothing, and the
            // default order pages by key instead of OFFSET.
            break;
        }
        out.push((col, desc));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use halopsa::resource::find;

    #[test]
    fn names_and_booleans_bind_case_insensitively() {
        let p = Params::parse(Some(
            "Open_Only=True&CLIENT_ID=4&status=1,2&order=dateoccurred&orderdesc=TRUE",
        ));
        let q = list_query(find("Tickets").unwrap(), &p).unwrap();
        assert!(q.conds.contains(&Cond::Flag(Col::Closed, false)));
        assert!(q.conds.contains(&Cond::Eq(Col::Client, 4)));
        assert!(q.conds.contains(&Cond::In(Col::Status, vec![1, 2])));
        assert!(q.conds.contains(&Cond::Flag(Col::Deleted, false)));
        assert_eq!(q.order, vec![(Col::DateA, true)]);
    }

    #[test]
    fn unknown_names_are_ignored_and_bad_values_rejected() {
        let p = Params::parse(Some("closedonly=true&team_id=3"));
        let q = list_query(find("Tickets").unwrap(), &p).unwrap();
        assert_eq!(q.conds, vec![Cond::Flag(Col::Deleted, false)]);
        let p = Params::parse(Some("client_id=abc"));
        assert!(list_query(find("Client").unwrap(), &p).is_err());
        let p = Params::parse(Some("open_only=yes"));
        assert!(list_query(find("Tickets").unwrap(), &p).is_err());
    }

    #[test]
    fn tickets_filter_on_their_team_ids() {
        let p = Params::parse(Some("team=2,3&open_only=true"));
        let q = list_query(find("Tickets").unwrap(), &p).unwrap();
        assert!(q.conds.contains(&Cond::FieldIn("team_id", vec![2, 3])));
        assert!(list_query(find("Tickets").unwrap(), &Params::parse(Some("team=x"))).is_err());
    }

    #[test]
    fn the_id_list_filter_is_the_rows() {
        let p = Params::parse(Some("ticketids=1,2,999"));
        for path in ["Tickets", "Opportunities", "Projects"] {
            let q = list_query(find(path).unwrap(), &p).unwrap();
            assert!(
                q.conds.contains(&Cond::In(Col::Id, vec![1, 2, 999])),
                "{path}"
            );
        }
        let q = list_query(find("Client").unwrap(), &p).unwrap();
        assert!(
            !q.conds.iter().any(|c| matches!(c, Cond::In(Col::Id, _))),
            "ignored where the row has no such filter"
        );
    }

    #[test]
    fn ticket_dates_follow_datesearch() {
        let p = Params::parse(Some(
            "datesearch=datecleared&startdate=2026-01-01T00:00:00Z",
        ));
        let q = list_query(find("Tickets").unwrap(), &p).unwrap();
        assert!(q.conds.contains(&Cond::Between(
            Col::DateB,
            Some("2026-01-01T00:00:00Z".into()),
            None
        )));
    }

    #[test]
    fn last_update_windows_on_every_list_the_spec_gives_them_to() {
        let p = Params::parse(Some(
            "LastUpdateFromDate=2026-11-01T10:00:00.5%2B01:00&lastupdatetodate=2026-11-02",
        ));
        let window = Cond::Between(
            Col::Updated,
            Some("2026-11-01T09:00:00Z".into()),
            Some("2026-11-02T00:00:00Z".into()),
        );
        for path in [
            "Tickets",
            "Client",
            "Site",
            "Users",
            "Asset",
            "Projects",
            "Opportunities",
        ] {
            let q = list_query(find(path).unwrap(), &p).unwrap();
            assert!(q.conds.contains(&window), "{path}: {:?}", q.conds);
        }
        for path in ["Actions", "Agent", "Status"] {
            let q = list_query(find(path).unwrap(), &p).unwrap();
            assert!(
                !q.conds
                    .iter()
                    .any(|c| matches!(c, Cond::Between(Col::Updated, ..))),
                "{path} takes no lastupdatefromdate"
            );
        }
        let bad = Params::parse(Some("lastupdatefromdate=true"));
        assert!(list_query(find("Tickets").unwrap(), &bad).is_err());
    }

    #[test]
    fn actions_search_their_change_field_and_lists_order_by_it() {
        let p = Params::parse(Some(
            "datesearch=last_updated&startdate=2026-11-01T00:00:00Z&order=alastupdate&orderdesc=true",
        ));
        let q = list_query(find("Actions").unwrap(), &p).unwrap();
        assert!(q.conds.contains(&Cond::Between(
            Col::Updated,
            Some("2026-11-01T00:00:00Z".into()),
            None
        )));
        let q = list_query(
            find("Actions").unwrap(),
            &Params::parse(Some("startdate=2026-11-01")),
        )
        .unwrap();
        assert!(q.conds.contains(&Cond::Between(
            Col::DateA,
            Some("2026-11-01T00:00:00Z".into()),
            None
        )));
        let q = list_query(find("Client").unwrap(), &p).unwrap();
        assert_eq!(q.order, vec![(Col::Updated, true)]);
    }
}
