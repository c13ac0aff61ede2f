//! Filter flags: one per query parameter Halo's OpenAPI file lists for a path (built at run
//! time from `halopsa::filter`'s table), and `--filter NAME=VALUE` for any of them.

use super::args::FilterFlags;
use crate::exit::Failure;
use crate::names::{Lookup, Names};
use anyhow::Result;
use clap::{Arg, ArgMatches};
use halopsa::filter::{self, Param, ParamKind};
use halopsa::resource::Resource;
use std::collections::HashSet;

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

/// The values given to the filter flags of one call, by parameter.
pub type SpecValues = Vec<(&'static Param, Vec<String>)>;

/// The id of `param`'s flag: the one place it is built and read by.
fn arg_id(param: &Param) -> String {
    format!("filter:{}", param.name)
}

/// The id of the name flag that sets `param` (`--client` for `client_id`).
fn name_arg_id(param: &Param) -> String {
    format!("name:{}", param.name)
}

/// The id of `--mine`.
const MINE: &str = "mine";

/// Filters whose values may be names as well as ids (resolved before they are sent).
const NAMED: &[(&str, Lookup)] = &[
    ("client_id", Lookup::Client),
    ("site_id", Lookup::Site),
    ("user_id", Lookup::User),
    ("agent", Lookup::Agent),
    ("agent_id", Lookup::Agent),
    ("team", Lookup::Team),
    ("team_id", Lookup::Team),
    ("status", Lookup::Status),
    ("status_id", Lookup::Status),
    ("priority", Lookup::Priority),
    ("priority_id", Lookup::Priority),
    ("requesttype", Lookup::TicketType),
    ("requesttype_id", Lookup::TicketType),
    ("tickettype_id", Lookup::TicketType),
    ("outcome_id", Lookup::Outcome),
];

/// Name flags beside id filters, for a path that lacks a filter of the flag's own name:
/// the flag and the filters it may set, the first the path has winning.
const NAME_FLAGS: &[(&str, &[&str])] = &[
    ("client", &["client_id"]),
    ("site", &["site_id"]),
    ("user", &["user_id"]),
    ("agent", &["agent_id"]),
    ("team", &["team_id"]),
    ("status", &["status_id"]),
    ("priority", &["priority_id"]),
    (
        "tickettype",
        &["requesttype", "requesttype_id", "tickettype_id"],
    ),
    ("ticket", &["ticket_id"]),
    ("action", &["action_id"]),
];

/// The lookup a filter's names are of, if its values may be names.
fn named(param: &str) -> Option<Lookup> {
    NAMED.iter().find(|(p, _)| *p == param).map(|(_, l)| *l)
}

/// The filter `--mine` sets to the acting agent on `path`, if any.
fn mine_param(path: &str) -> Option<&'static Param> {
    let params = filter::params_for("GET", path)?;
    ["agent_id", "agent"]
        .iter()
        .find_map(|n| params.iter().find(|p| p.name == *n))
}

/// The name flags of `path`: (flag, the filter it sets).
fn name_flags(path: &str) -> Vec<(&'static str, &'static Param)> {
    let params = filter::params_for("GET", path).unwrap_or(&[]);
    NAME_FLAGS
        .iter()
        .filter(|(flag, _)| !params.iter().any(|p| p.name == *flag))
        .filter_map(|(flag, targets)| {
            let target = targets
                .iter()
                .find_map(|t| params.iter().find(|p| p.name == *t))?;
            Some((*flag, target))
        })
        .collect()
}

/// What a filter does, for help: the spec's words where it has some, else its type and an
/// example value; a date filter also names the forms it takes, a named one that names work.
pub fn describe(p: &Param) -> String {
    let said = p.description.trim();
    let mut text = if said.is_empty() {
        let kind = crate::commands::filters::kind_name(p.kind);
        match p.kind {
            ParamKind::Bool => format!("{kind}, e.g. true"),
            ParamKind::Int => format!("{kind}, e.g. 12"),
            ParamKind::Ints => format!("{kind}, e.g. 1,2"),
            ParamKind::Number => format!("{kind}, e.g. 1.5"),
            ParamKind::Date => format!("{kind}, e.g. 2026-01-31"),
            _ => format!("{kind} (the spec says no more)"),
        }
    } else {
        said.to_string()
    };
    if p.kind == ParamKind::Date {
        text.push_str(" [a date: 2026-01-31, 2026-01-31T09:00Z, today, yesterday, now, 7d, 24h]");
    }
    if let Some(lookup) = named(p.name) {
        text.push_str(&format!(" [{} names work too]", lookup.noun()));
    }
    text
}

/// A parameter's flag name (`open_only` is `--open-only`).
pub fn flag_name(param: &str) -> String {
    param.replace('_', "-")
}

/// The parameters of `GET /{path}` that get a flag: not the paging ones (the walk sets
/// them), and not those whose flag name `taken` (the command's own flags) already uses.
fn flagged<'a>(
    path: &str,
    taken: &'a HashSet<String>,
) -> impl Iterator<Item = &'static Param> + 'a {
    let mut seen = HashSet::new();
    filter::params_for("GET", path)
        .unwrap_or(&[])
        .iter()
        .filter(|p| !halopsa::paging::is_paging_param(p.name) && p.name != MINE)
        .filter(move |p| {
            let long = flag_name(p.name);
            !taken.contains(&long) && seen.insert(long.to_ascii_lowercase())
        })
}

/// Adds a flag for each parameter Halo lists for `GET /{path}` to `cmd`, under "Filters".
pub fn with_spec_flags(cmd: clap::Command, path: &str) -> clap::Command {
    let taken: HashSet<String> = cmd
        .get_arguments()
        .filter_map(|a| a.get_long().map(str::to_string))
        .chain(["help".to_string()])
        .collect();
    let mine = mine_param(path);
    let mut args: Vec<Arg> = Vec::new();
    for (flag, target) in name_flags(path) {
        if taken.contains(flag) {
            continue;
        }
        args.push(
            Arg::new(name_arg_id(target))
                .long(flag)
                .value_name("NAME")
                .help(match named(target.name) {
                    Some(_) => format!("By name or id: sets '{}'", target.name),
                    None => format!("By id: sets '{}'", target.name),
                }),
        );
    }
    if let Some(target) = mine.filter(|_| !taken.contains(MINE)) {
        args.push(
            Arg::new(MINE)
                .long(MINE)
                .action(clap::ArgAction::SetTrue)
                .help(format!("Only the acting agent's (sets '{}')", target.name)),
        );
    }
    let names: HashSet<String> = args
        .iter()
        .filter_map(|a| a.get_long().map(str::to_string))
        .chain(taken.iter().cloned())
        .collect();
    args.extend(flagged(path, &names).map(|p| {
        let arg = Arg::new(arg_id(p))
            .long(flag_name(p.name))
            .help(describe(p))
            .hide(!MAIN_FILTERS.contains(&p.name));
        let value = if named(p.name).is_some() {
            "NAMES|IDS"
        } else {
            "IDS"
        };
        match p.kind {
            ParamKind::Bool => arg
                .num_args(0..=1)
                .default_missing_value("true")
                .value_name("BOOL"),
            // Repeating the flag adds to the list, as commas do.
            ParamKind::Ints => arg
                .num_args(1..)
                .value_delimiter(',')
                .action(clap::ArgAction::Append)
                .value_name(value),
            _ if named(p.name).is_some() => arg.value_name("NAME|ID"),
            _ => arg.value_name("VALUE"),
        }
    }));
    let hidden = args.iter().filter(|a| a.is_hide_set()).count();
    let note = (hidden > 0).then(|| {
        format!(
            "{hidden} more filters are accepted (not shown here): `halo filters {}` lists every one with what it does.",
            resource_word(path)
        )
    });
    let after = [cmd.get_after_help().map(|h| h.to_string()), note]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("\n\n");
    let has_filter = cmd.get_arguments().any(|a| a.get_id() == "filters");
    let cmd = if has_filter {
        cmd.mut_arg("filters", |a| {
            a.add(crate::complete::filter_names(path.to_string()))
        })
    } else {
        cmd
    };
    let cmd = cmd.next_help_heading("Filters").args(args);
    if after.is_empty() {
        cmd
    } else {
        cmd.after_help(after)
    }
}

/// The CLI name of the resource at `path` (`Tickets/{id}` → tickets), for messages.
fn resource_word(path: &str) -> &str {
    let top = path.split('/').next().unwrap_or(path);
    halopsa::resource::RESOURCES
        .iter()
        .find(|r| r.path.eq_ignore_ascii_case(top))
        .map_or(top, |r| r.name)
}

/// The values given to the flags [`with_spec_flags`] added for `path`: name flags as values
/// of the filter they set, `--mine` as the acting agent.
pub fn spec_values(path: &str, m: &ArgMatches) -> SpecValues {
    let mut values: SpecValues = filter::params_for("GET", path)
        .unwrap_or(&[])
        .iter()
        .filter_map(|p| {
            let given = m.try_get_many::<String>(&arg_id(p)).ok().flatten()?;
            Some((p, given.cloned().collect()))
        })
        .collect();
    for (_, target) in name_flags(path) {
        if let Ok(Some(name)) = m.try_get_one::<String>(&name_arg_id(target)) {
            values.retain(|(p, _)| p.name != target.name);
            values.push((target, vec![name.clone()]));
        }
    }
    if let Some(target) = mine_param(path)
        && m.try_get_one::<bool>(MINE).ok().flatten() == Some(&true)
    {
        values.retain(|(p, _)| p.name != target.name);
        values.push((target, vec!["@me".to_string()]));
    }
    values
}

/// A query whose names are still to be looked up.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pairs: Vec<(String, String)>,
    /// For a pair given names: its place, the lookup, and the names and ids given.
    names: Vec<(usize, Lookup, Vec<String>)>,
}

impl Query {
    /// The pairs, ids for names (one list call per lookup, or a search, at most).
    pub async fn resolve(self, names: &mut Names<'_>) -> Result<Vec<(String, String)>> {
        let mut pairs = self.pairs;
        for (at, lookup, given) in self.names {
            let mut ids = Vec::with_capacity(given.len());
            for text in &given {
                ids.push(names.id(lookup, text).await?);
            }
            pairs[at].1 = ids.join(",");
        }
        Ok(pairs)
    }

    /// The pairs as given, with no names in them to look up (`None` when there are).
    #[cfg(test)]
    pub fn without_names(&self) -> Option<Vec<(String, String)>> {
        self.names.is_empty().then(|| self.pairs.clone())
    }
}

/// Whether a value is an id (or a list of them) rather than a name.
fn is_ids(values: &[String]) -> bool {
    values
        .iter()
        .flat_map(|v| v.split(','))
        .all(|v| !v.trim().is_empty() && v.trim().bytes().all(|b| b.is_ascii_digit()))
}

/// The query of a call to `GET /{method_path}`: the filter flags, then each `--filter`
/// (its name checked against the spec), then `includedetails` when `details`. Names given
/// where ids go are looked up by [`Query::resolve`].
pub fn query(
    res: &Resource,
    method_path: &str,
    spec: &SpecValues,
    flags: &FilterFlags,
    details: bool,
) -> Result<Query> {
    let params: &[Param] = filter::params_for("GET", method_path).unwrap_or(&[]);
    let mut query = Vec::new();
    let mut names = Vec::new();
    for (p, values) in spec {
        if let Some(lookup) = named(p.name).filter(|_| !is_ids(values)) {
            names.push((query.len(), lookup, values.clone()));
            query.push((p.name.to_string(), String::new()));
            continue;
        }
        let v = filter::format_value(p.kind, values)
            .map_err(|e| Failure::usage(format!("--{}: {e}", flag_name(p.name))))?;
        query.push((p.name.to_string(), v));
    }
    for pair in &flags.filters {
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
            Err(_) if flags.allow_unknown_filter => name.trim().to_string(),
            Err(e) => {
                return Err(Failure::usage(format!(
                    "{e}; `halo filters {}` lists them (--allow-unknown-filter sends it anyway)",
                    res.name
                )));
            }
        };
        let value = match params.iter().find(|p| p.name == name) {
            Some(p) => filter::format_value(p.kind, &[value.to_string()])
                .map_err(|e| Failure::usage(format!("--filter {name}: {e}")))?,
            None => value.to_string(),
        };
        if let Some(at) = query.iter().position(|(k, _)| *k == name) {
            query.remove(at);
            names.retain(|(i, _, _)| *i != at);
            for (i, _, _) in &mut names {
                if *i > at {
                    *i -= 1;
                }
            }
        }
        query.push((name, value));
    }
    let given: Vec<&str> = query.iter().map(|(k, _)| k.as_str()).collect();
    filter::check_dependencies("GET", method_path, &given).map_err(|e| {
        Failure::usage(format!(
            "{e}: Halo ignores it alone (`halo filters {}` says what each does)",
            res.name
        ))
    })?;
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
    Ok(Query {
        pairs: query,
        names,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use halopsa::resource::find;

    fn parsed(line: &[&str]) -> (SpecValues, FilterFlags) {
        let cmd = with_spec_flags(
            <FilterFlags as clap::Args>::augment_args(clap::Command::new("list")),
            "Tickets",
        );
        let m = cmd.try_get_matches_from(line).unwrap();
        let flags = <FilterFlags as clap::FromArgMatches>::from_arg_matches(&m).unwrap();
        (spec_values("Tickets", &m), flags)
    }

    #[test]
    fn flags_and_filters_become_the_query_with_names_checked() {
        let tickets = find("tickets").unwrap();
        let (spec, flags) = parsed(&[
            "list",
            "--open-only",
            "--client-id",
            "12",
            "--filter",
            "ORDER=id",
        ]);
        let q = query(tickets, "Tickets", &spec, &flags, false)
            .unwrap()
            .without_names()
            .unwrap();
        assert!(q.contains(&("open_only".into(), "true".into())), "{q:?}");
        assert!(q.contains(&("client_id".into(), "12".into())), "{q:?}");
        assert!(
            q.contains(&("order".into(), "id".into())),
            "exact spelling: {q:?}"
        );
        let (spec, flags) = parsed(&["list", "--filter", "team_id=3"]);
        let err = query(tickets, "Tickets", &spec, &flags, false).unwrap_err();
        assert!(err.to_string().contains("did you mean"), "{err}");
        assert!(err.to_string().contains("`halo filters tickets`"), "{err}");
        let (spec, flags) = parsed(&["list", "--filter", "page_no=2"]);
        let err = query(tickets, "Tickets", &spec, &flags, false).unwrap_err();
        assert!(err.to_string().contains("--page N"), "{err}");
    }

    #[test]
    fn a_filter_that_needs_another_and_a_bad_date_are_refused() {
        let tickets = find("tickets").unwrap();
        let (spec, flags) = parsed(&["list", "--orderdesc"]);
        let err = query(tickets, "Tickets", &spec, &flags, false).unwrap_err();
        assert!(err.to_string().contains("orderdesc needs order"), "{err}");
        let (spec, flags) = parsed(&["list", "--orderdesc", "--order", "id"]);
        assert!(query(tickets, "Tickets", &spec, &flags, false).is_ok());
        for bad in ["last week", "01/02/2026"] {
            let (spec, flags) =
                parsed(&["list", "--datesearch", "dateoccurred", "--startdate", bad]);
            let err = query(tickets, "Tickets", &spec, &flags, false).unwrap_err();
            assert!(err.to_string().contains("--startdate"), "{err}");
            assert!(err.to_string().contains("7d"), "{err}");
        }
        let (spec, flags) = parsed(&["list", "--datesearch", "dateoccurred", "--startdate", "7d"]);
        let q = query(tickets, "Tickets", &spec, &flags, false).unwrap();
        let pairs = q.without_names().unwrap();
        let start = &pairs.iter().find(|(k, _)| k == "startdate").unwrap().1;
        assert!(start.starts_with("20") && start.contains('T'), "{start}");
    }

    #[test]
    fn help_describes_filters_and_counts_the_hidden_ones() {
        let cmd = with_spec_flags(clap::Command::new("list"), "Tickets");
        let mut help = cmd.clone();
        let text = help.render_help().to_string();
        assert!(text.contains("more filters are accepted"), "{text}");
        assert!(text.contains("`halo filters tickets`"), "{text}");
        assert!(!text.contains("Halo filter '"), "{text}");
        let agent = cmd
            .get_arguments()
            .find(|a| a.get_long() == Some("agent"))
            .unwrap();
        assert!(
            agent
                .get_help()
                .unwrap()
                .to_string()
                .contains("names work too")
        );
    }

    #[test]
    fn names_go_where_ids_go_and_repeated_lists_add_up() {
        let tickets = find("tickets").unwrap();
        let (spec, flags) = parsed(&[
            "list", "--client", "Acme Ltd", "--status", "1", "--status", "2", "--team", "Projects",
            "--mine",
        ]);
        let q = query(tickets, "Tickets", &spec, &flags, false).unwrap();
        assert!(q.without_names().is_none(), "names to look up");
        let pairs = &q.pairs;
        assert!(
            pairs.contains(&("status".into(), "1,2".into())),
            "{pairs:?}"
        );
        let pending: Vec<(&str, Lookup)> = q
            .names
            .iter()
            .map(|(at, l, _)| (pairs[*at].0.as_str(), *l))
            .collect();
        for want in [
            ("client_id", Lookup::Client),
            ("team", Lookup::Team),
            ("agent_id", Lookup::Agent),
        ] {
            assert!(pending.contains(&want), "{pending:?}");
        }
    }

    #[test]
    fn no_filter_flag_hides_a_flag_of_the_command_or_paging() {
        let cmd = with_spec_flags(
            clap::Command::new("list").arg(Arg::new("all").long("all")),
            "Tickets",
        );
        let longs: Vec<_> = cmd.get_arguments().filter_map(|a| a.get_long()).collect();
        assert_eq!(longs.iter().filter(|l| **l == "all").count(), 1);
        assert!(!longs.contains(&"page-no") && !longs.contains(&"pageinate"));
        assert!(longs.contains(&"open-only"));
    }
}
