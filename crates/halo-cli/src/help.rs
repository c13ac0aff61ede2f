//! Help that teaches: `halo --help` groups the commands by the job they do, and each resource
//! verb ends with examples (fixed commands carry theirs in [`crate::cli`]).

use clap::Command;
use halopsa::resource::Resource;

/// The groups of `halo --help`: a heading and the commands shown with their description.
/// Every command not named here is listed by name under "Everything else", so none is lost.
const GROUPS: &[(&str, &[&str])] = &[
    (
        "Getting started",
        &[
            "sandbox",
            "demo",
            "connect",
            "login",
            "whoami",
            "profile",
            "auth",
            "logout",
            "resources",
            "filters",
            "fields",
        ],
    ),
    (
        "Tickets and work",
        &[
            "tickets",
            "actions",
            "attachments",
            "appointments",
            "timesheets",
            "projects",
            "opportunities",
            "kb-articles",
        ],
    ),
    (
        "Customers",
        &[
            "clients",
            "sites",
            "users",
            "contracts",
            "crm-notes",
            "suppliers",
        ],
    ),
    ("Assets", &["assets", "asset-types", "software-licences"]),
    ("Data out", &["export", "sql", "reports", "api"]),
    (
        "The local mirror, webhooks and AI agents",
        &["sync", "search", "query", "webhook", "mcp"],
    ),
];

/// Examples of the whole program, after the groups.
const EXAMPLES: &str = "\
Examples:
  halo sandbox --port 8080          # a local Halo to try things on, in another terminal
  halo connect --url http://127.0.0.1:8080 --client-id halo-sandbox-client
  halo tickets list --mine --open-only
  halo tickets list --client \"Acme Ltd\" --status \"In Progress\"
  halo tickets note 12 \"Rebooted the printer\" --time 15m
  halo export tickets -o csv --columns id,summary,client_name --out tickets.csv";

/// Gives the whole tree's top level its grouped help.
pub fn grouped(cmd: Command) -> Command {
    let groups = groups_text(&cmd);
    cmd.help_template(format!(
        "{{about-with-newline}}\n{{usage-heading}} {{usage}}\n\n{groups}\nOptions:\n{{options}}\n\n{EXAMPLES}"
    ))
}

/// The grouped command list: `  name   what it does` per shown command, then the rest.
fn groups_text(cmd: &Command) -> String {
    let visible: Vec<&Command> = cmd.get_subcommands().filter(|c| !c.is_hide_set()).collect();
    let about = |name: &str| {
        visible
            .iter()
            .find(|c| c.get_name() == name)
            .map(|c| c.get_about().map(|a| a.to_string()).unwrap_or_default())
    };
    let width = GROUPS
        .iter()
        .flat_map(|(_, names)| names.iter())
        .map(|n| n.len())
        .max()
        .unwrap_or(0);
    let mut text = String::new();
    for (heading, names) in GROUPS {
        let lines: Vec<String> = names
            .iter()
            .filter_map(|name| Some(format!("  {name:<width$}  {}\n", about(name)?)))
            .collect();
        if lines.is_empty() {
            continue;
        }
        text.push_str(&format!("{heading}:\n"));
        text.extend(lines);
        text.push('\n');
    }
    let shown = |name: &str| GROUPS.iter().any(|(_, names)| names.contains(&name));
    let rest: Vec<&str> = visible
        .iter()
        .map(|c| c.get_name())
        .filter(|n| !shown(n) && *n != "help")
        .collect();
    if !rest.is_empty() {
        text.push_str("Everything else (`halo resources` says what each holds):\n");
        text.push_str(&wrapped(&rest, 96));
    }
    text
}

/// Names joined by ", " in lines of at most `width` columns, indented by two.
fn wrapped(names: &[&str], width: usize) -> String {
    let mut out = String::new();
    let mut line = String::from(" ");
    for (i, name) in names.iter().enumerate() {
        let piece = if i + 1 < names.len() {
            format!(" {name},")
        } else {
            format!(" {name}")
        };
        if line.len() + piece.len() > width {
            out.push_str(&line);
            out.push('\n');
            line = String::from(" ");
        }
        line.push_str(&piece);
    }
    out.push_str(&line);
    out.push('\n');
    out
}

/// Examples of one verb of a resource, for the end of its help.
pub fn verb_examples(res: &Resource, verb: &str) -> Option<String> {
    let n = res.name;
    let ticket_like = res.post_rules == halopsa::resource::PostRules::Ticket;
    let lines: Vec<String> = match verb {
        "list" if res.file_download => vec![
            format!("halo {n} list --ticket 12"),
            format!("halo {n} list --ticket 12 --action 3 -o json"),
        ],
        "list" if ticket_like => vec![
            format!("halo {n} list --mine --open-only"),
            format!("halo {n} list --client \"Acme Ltd\" --status New --status \"In Progress\""),
            format!("halo {n} list --datesearch dateoccured --startdate 7d --all -o csv"),
        ],
        "list" => vec![
            format!("halo {n} list"),
            format!("halo {n} list --search acme --columns id,name"),
            format!("halo {n} list --all -o json > {n}.json"),
        ],
        "get" => vec![
            format!("halo {n} get 12"),
            format!("halo {n} get 12 -o json"),
        ],
        "run" => vec![
            format!("halo {n} run 1"),
            format!("halo {n} run 2 --from 30d -o csv --out period.csv --excel"),
            format!("halo {n} run 2 --from 2026-01-01 --to 2026-01-31 -o json"),
        ],
        "count" => vec![
            format!("halo {n} count"),
            format!("halo {n} count --search acme"),
        ],
        "create" if ticket_like => vec![
            format!("halo {n} create --set summary=\"Printer offline\" --client \"Acme Ltd\""),
            format!("halo {n} create --json new.json --dry-run"),
            format!("halo {n} create --from new.csv   # many: a results line per row"),
        ],
        "create" => vec![
            format!("halo {n} create --set name=\"New one\""),
            format!("halo {n} create --json new.json --dry-run"),
            format!("halo {n} create --from new.csv   # many: a results line per row"),
        ],
        "update" if ticket_like => vec![
            format!("halo {n} update 12 --status \"In Progress\" --agent @me"),
            format!("halo {n} update 12 --set summary=\"Printer offline (2nd floor)\""),
            format!("halo {n} update --from changes.csv --dry-run   # many, 50 a request"),
        ],
        "update" => vec![
            format!("halo {n} update 12 --set name=\"New name\""),
            format!("halo {n} update 12 --json change.json --dry-run"),
            format!("halo {n} update --from changes.csv --dry-run   # many, 50 a request"),
        ],
        "delete" => vec![
            format!("halo {n} delete 12 --dry-run"),
            format!("halo {n} delete 12 --yes   # cannot be undone"),
            format!("halo {n} delete --from gone.csv --dry-run"),
        ],
        "view" => vec![format!("halo {n} view 12")],
        "note" => vec![
            format!("halo {n} note 12 \"Rebooted the printer\" --time 15m"),
            format!("halo {n} note 12 \"Called the user\" --outcome \"Phone Call\" --private"),
        ],
        "close" => vec![format!("halo {n} close 12 --note \"Fixed: new toner\"")],
        "download" => vec![
            format!("halo {n} download 41                 # into the current directory"),
            format!("halo {n} download 41 42 --out ~/Downloads"),
            format!("halo {n} download 41 --out report.pdf --force"),
        ],
        "upload" => vec![
            format!("halo {n} upload --ticket 12 screenshot.png"),
            format!("halo {n} upload --ticket 12 --action 3 --note \"Logs\" a.log b.log"),
        ],
        "assign" => vec![
            format!("halo {n} assign 12 --agent @me"),
            format!("halo {n} assign 12 --agent \"Alex Morgan\" --team \"2nd Line Support\""),
        ],
        _ => return None,
    };
    Some(examples(&lines))
}

/// "Examples:" and the lines, indented.
pub fn examples(lines: &[String]) -> String {
    let mut text = String::from("Examples:");
    for line in lines {
        text.push_str("\n  ");
        text.push_str(line);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_top_help_groups_every_command_once() {
        let mut cmd = crate::cli::command();
        let help = cmd.render_help().to_string();
        for heading in [
            "Getting started:",
            "Tickets and work:",
            "Customers:",
            "Assets:",
            "Data out:",
        ] {
            assert!(help.contains(heading), "{help}");
        }
        for sub in cmd.get_subcommands().filter(|c| !c.is_hide_set()) {
            let name = sub.get_name();
            if name == "help" {
                continue;
            }
            let found = help
                .split(|c: char| c.is_whitespace() || c == ',')
                .filter(|w| *w == name)
                .count();
            assert!(found >= 1, "{name} is missing from the help:\n{help}");
        }
        assert!(help.contains("Examples:"), "{help}");
        assert!(help.lines().count() < 80, "{} lines", help.lines().count());
    }

    #[test]
    fn names_wrap_within_the_width() {
        let names = ["alpha"; 40];
        for line in wrapped(&names, 30).lines() {
            assert!(line.len() <= 30, "{line}");
        }
    }
}
