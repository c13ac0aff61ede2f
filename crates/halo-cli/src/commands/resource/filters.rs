//! Filter flags: one per query parameter Halo's OpenAPI file lists for a path (built at run
//! time from `halopsa::filter`'s table), and `--filter NAME=VALUE` for any of them.

use super::args::FilterFlags;
use crate::exit::Failure;
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
        .filter(|p| !halopsa::paging::is_paging_param(p.name))
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
    let args: Vec<Arg> = flagged(path, &taken)
        .map(|p| {
            let arg = Arg::new(arg_id(p))
                .long(flag_name(p.name))
                .help(format!("Halo filter '{}'", p.name))
                .hide(!MAIN_FILTERS.contains(&p.name));
            match p.kind {
                ParamKind::Bool => arg
                    .num_args(0..=1)
                    .default_missing_value("true")
                    .value_name("BOOL"),
                ParamKind::Ints => arg.num_args(1..).value_delimiter(',').value_name("IDS"),
                _ => arg.value_name("VALUE"),
            }
        })
        .collect();
    cmd.next_help_heading("Filters").args(args)
}

/// The values given to the flags [`with_spec_flags`] added for `path`.
pub fn spec_values(path: &str, m: &ArgMatches) -> SpecValues {
    filter::params_for("GET", path)
        .unwrap_or(&[])
        .iter()
        .filter_map(|p| {
            let id = arg_id(p);
            let values = m.try_get_many::<String>(&id).ok().flatten()?;
            Some((p, values.cloned().collect()))
        })
        .collect()
}

/// The query of a call to `GET /{method_path}`: the filter flags, then each `--filter`
/// (its name checked against the spec), then `includedetails` when `details`.
pub fn query(
    res: &Resource,
    method_path: &str,
    spec: &SpecValues,
    flags: &FilterFlags,
    details: bool,
) -> Result<Vec<(String, String)>> {
    let params: &[Param] = filter::params_for("GET", method_path).unwrap_or(&[]);
    let mut query = Vec::new();
    for (p, values) in spec {
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
            Err(e) => return Err(Failure::usage(format!("{e} (or --allow-unknown-filter)"))),
        };
        let value = match params.iter().find(|p| p.name == name) {
            Some(p) => filter::format_value(p.kind, &[value.to_string()])
                .map_err(|e| Failure::usage(format!("--filter {name}: {e}")))?,
            None => value.to_string(),
        };
        query.retain(|(k, _)| *k != name);
        query.push((name, value));
    }
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
    Ok(query)
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
        let q = query(tickets, "Tickets", &spec, &flags, false).unwrap();
        assert!(q.contains(&("open_only".into(), "true".into())), "{q:?}");
        assert!(q.contains(&("client_id".into(), "12".into())), "{q:?}");
        assert!(
            q.contains(&("order".into(), "id".into())),
            "exact spelling: {q:?}"
        );
        let (spec, flags) = parsed(&["list", "--filter", "team_id=3"]);
        let err = query(tickets, "Tickets", &spec, &flags, false).unwrap_err();
        assert!(err.to_string().contains("did you mean"), "{err}");
        let (spec, flags) = parsed(&["list", "--filter", "page_no=2"]);
        let err = query(tickets, "Tickets", &spec, &flags, false).unwrap_err();
        assert!(err.to_string().contains("--page N"), "{err}");
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
