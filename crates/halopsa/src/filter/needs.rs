//! Filters that do nothing without another.
//!
//! Quirk: Halo ignores such a filter alone as silently as an unknown one. The table is ours,
//! read from the spec's descriptions of the dependent filters (quoted beside each row).

use super::endpoint;

/// A filter that Halo applies only together with another.
struct Need {
    filter: &'static str,
    needs: &'static str,
    /// What the needed filter gives, for the message.
    what: &'static str,
    /// The spec templates it holds on; empty for every operation listing both.
    on: &'static [&'static str],
}

const TICKET_LISTS: &[&str] = &["/Tickets", "/Opportunities", "/Projects"];
const COUNTED: &[&str] = &["/Agent", "/Team", "/TicketType"];

const fn need(
    filter: &'static str,
    needs: &'static str,
    what: &'static str,
    on: &'static [&'static str],
) -> Need {
    Need {
        filter,
        needs,
        what,
        on,
    }
}

const NEEDS: &[Need] = &[
    // "Whether to order ascending or descending on first order." (and second… fifth)
    need("orderdesc", "order", "the field to sort by", &[]),
    need("orderdesc2", "order2", "the second field to sort by", &[]),
    need("orderdesc3", "order3", "the third field to sort by", &[]),
    need("orderdesc4", "order4", "the fourth field to sort by", &[]),
    need("orderdesc5", "order5", "the fifth field to sort by", &[]),
    // "For use with the datesearch parameter." (on /Actions they stand alone)
    need(
        "startdate",
        "datesearch",
        "the date field to search, e.g. dateoccured",
        TICKET_LISTS,
    ),
    need(
        "enddate",
        "datesearch",
        "the date field to search, e.g. dateoccured",
        TICKET_LISTS,
    ),
    // "Whether to search actions when using search."
    need(
        "searchactions",
        "search",
        "the text to search for",
        TICKET_LISTS,
    ),
    // "Filter by Users with a phone number like your search."
    need(
        "search_phonenumbers",
        "search",
        "the text to search for",
        &["/Users", "/EmailAddressBook"],
    ),
    // "Whether to search only on inventory number in the search string."
    need(
        "search_inventory_number_only",
        "search",
        "the text to search for",
        &["/Asset"],
    ),
    // "Include asset fields in the response - must also specify the URL parameter
    // 'assettype_id' at the same time."
    need(
        "includeassetfields",
        "assettype_id",
        "the asset type whose fields to include",
        &["/Asset"],
    ),
    // "Returns attachments from the action ID specified (requires ticket_id)."
    need(
        "action_id",
        "ticket_id",
        "the ticket the action belongs to",
        &["/Attachment"],
    ),
    // "Only for showcounts - ticket area filter." / "- ticket view filter."
    need(
        "ticketarea_id",
        "showcounts",
        "the counts it filters",
        COUNTED,
    ),
    need("view_id", "showcounts", "the counts it filters", COUNTED),
];

/// Checks that every filter in `names` that needs another for `method` on `path` has it; the
/// error names each missing one ("orderdesc needs order (the field to sort by)"), joined by
/// "; ". Names compare case-insensitively; an operation the spec does not list passes.
pub fn check_dependencies(method: &str, path: &str, names: &[&str]) -> Result<(), String> {
    let Some(endpoint) = endpoint(method, path) else {
        return Ok(());
    };
    let given = |name: &str| names.iter().any(|n| n.trim().eq_ignore_ascii_case(name));
    let listed = |name: &str| endpoint.params.iter().any(|p| p.name == name);
    let missing: Vec<String> = NEEDS
        .iter()
        .filter(|n| n.on.is_empty() || n.on.contains(&endpoint.template))
        .filter(|n| listed(n.filter) && given(n.filter) && !given(n.needs))
        .map(|n| format!("{} needs {} ({})", n.filter, n.needs, n.what))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(missing.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{TABLE, params_for};
    use super::*;

    #[test]
    fn every_row_names_listed_filters() {
        for n in NEEDS {
            for template in n.on {
                let names: Vec<_> = params_for("GET", template)
                    .unwrap_or(&[])
                    .iter()
                    .map(|p| p.name)
                    .collect();
                assert!(names.contains(&n.filter), "{template} {}", n.filter);
                assert!(names.contains(&n.needs), "{template} {}", n.needs);
            }
            let listing = TABLE.values().flatten().filter(|e| {
                e.params.iter().any(|p| p.name == n.filter)
                    && (n.on.is_empty() || n.on.contains(&e.template))
            });
            for e in listing {
                assert!(
                    e.params.iter().any(|p| p.name == n.needs),
                    "{} lists {} without {}",
                    e.template,
                    n.filter,
                    n.needs
                );
            }
        }
    }

    #[test]
    fn a_filter_alone_is_named_with_what_it_needs() {
        assert_eq!(
            check_dependencies("GET", "Tickets", &["orderdesc"]),
            Err("orderdesc needs order (the field to sort by)".into())
        );
        assert_eq!(
            check_dependencies("get", "/tickets", &["STARTDATE", "enddate", "orderdesc3"]),
            Err("orderdesc3 needs order3 (the third field to sort by); \
                 startdate needs datesearch (the date field to search, e.g. dateoccured); \
                 enddate needs datesearch (the date field to search, e.g. dateoccured)"
                .into())
        );
        assert!(check_dependencies("GET", "Attachment", &["action_id"]).is_err());
        assert!(check_dependencies("GET", "Asset", &["includeassetfields"]).is_err());
        assert!(check_dependencies("GET", "Team", &["view_id"]).is_err());
    }

    #[test]
    fn a_filter_with_what_it_needs_passes() {
        let ok = |path, names: &[&str]| check_dependencies("GET", path, names).is_ok();
        assert!(ok("Tickets", &["order", "orderdesc"]));
        assert!(ok(
            "Tickets",
            &["datesearch", "Order", "startdate", "orderdesc"]
        ));
        assert!(ok("Tickets", &[]));
        assert!(ok("Attachment", &["ticket_id", "action_id"]));
        // On /Actions the dates stand alone, and an unknown operation is not checked.
        assert!(ok("Actions", &["startdate", "enddate"]));
        assert!(ok("Nowhere/At/All", &["orderdesc"]));
    }
}
