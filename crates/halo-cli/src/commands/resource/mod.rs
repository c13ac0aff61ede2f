//! `halo <resource> list | get | count | create | update | delete`: a command for every row
//! of the resource table, built at run time from the derive types of [`args`] (the verbs a
//! resource lacks left out) and the filter flags of Halo's OpenAPI file ([`filters`]).

pub mod args;
pub mod assign;
pub mod bulk;
pub mod close;
mod count;
mod create;
pub mod custom;
pub mod delete;
mod download;
pub mod fields;
pub mod filters;
mod get;
mod list;
pub mod note;
mod run;
mod update;
mod upload;
pub mod view;
mod write;

use crate::commands::Globals;
use crate::context::Context;
use anyhow::Result;
use args::{
    AssignArgs, CloseArgs, CountArgs, CreateArgs, CustomArgs, DeleteArgs, DownloadArgs, GetArgs,
    ListArgs, NoteArgs, ReasonArg, RunArgs, TicketArg, UpdateArgs, UploadArgs, Verb, ViewArgs,
};
use clap::error::ErrorKind;
use clap::{Args, FromArgMatches, Subcommand};
use filters::SpecValues;
use halopsa::resource::{IdKind, Ops, PostRules, RESOURCES, Resource};

/// One invocation of a resource command, parsed.
#[derive(Debug, Clone)]
pub struct ResourceCommand {
    /// The resource.
    pub resource: &'static Resource,
    /// The verb and its flags.
    pub verb: Verb,
    /// `--ticket-id`, for a resource whose ids are numbered per ticket.
    pub ticket_id: Option<String>,
    /// `--reason`, for the delete of a soft-deleted resource.
    pub reason: Option<String>,
    /// The filter flags given.
    pub spec: SpecValues,
    /// The name flags of a create or an update given.
    pub fields: fields::NamedFields,
    /// `--field`, on the create or update of a resource with custom fields.
    pub custom: CustomArgs,
}

/// The resource whose CLI name is `name` (clap has resolved aliases by then).
pub fn find(name: &str) -> Option<&'static Resource> {
    RESOURCES.iter().find(|r| r.name == name)
}

/// Whether `verb` of `res` needs `--ticket-id`.
fn takes_ticket(res: &Resource, op: Ops) -> bool {
    res.id == IdKind::PerTicket && [Ops::GET, Ops::UPDATE, Ops::DELETE].contains(&op)
}

impl Verb {
    /// The operation it needs of the resource.
    fn op(&self) -> Ops {
        match self {
            Verb::List(_) => Ops::LIST,
            Verb::Get(_) => Ops::GET,
            Verb::Count(_) => Ops::LIST,
            Verb::Create(_) => Ops::CREATE,
            Verb::Update(_) => Ops::UPDATE,
            Verb::Delete(_) => Ops::DELETE,
            Verb::View(_) | Verb::Run(_) => Ops::GET,
            Verb::Note(_) | Verb::Close(_) | Verb::Assign(_) => Ops::UPDATE,
            Verb::Download(_) => Ops::GET,
            Verb::Upload(_) => Ops::CREATE,
        }
    }

    /// `--from` and its flags, when the verb was given a file of rows.
    fn bulk(&self) -> Option<&args::BulkFlags> {
        let flags = match self {
            Verb::Create(a) => &a.bulk,
            Verb::Update(a) => &a.bulk,
            Verb::Delete(a) => &a.bulk,
            _ => return None,
        };
        flags.from.is_some().then_some(flags)
    }

    /// Its flags of every request.
    fn requests(&self) -> &crate::session::RequestFlags {
        match self {
            Verb::List(a) => &a.requests,
            Verb::Get(a) => &a.requests,
            Verb::Count(a) => &a.requests,
            Verb::Create(a) => &a.requests,
            Verb::Update(a) => &a.requests,
            Verb::Delete(a) => &a.requests,
            Verb::View(a) => &a.requests,
            Verb::Note(a) => &a.requests,
            Verb::Close(a) => &a.requests,
            Verb::Assign(a) => &a.requests,
            Verb::Run(a) => &a.requests,
            Verb::Download(a) => &a.requests,
            Verb::Upload(a) => &a.requests,
        }
    }
}

/// Whether a resource has the ticket schema's workflow verbs (view, note, close, assign).
fn has_workflows(res: &Resource) -> bool {
    res.post_rules == PostRules::Ticket && res.ops.contains(Ops::GET.with(Ops::UPDATE))
}

/// How one verb's command is built for a resource.
type Build = fn(&'static Resource) -> clap::Command;

/// Which flags of the spec a verb takes: none, the filters of the list or of one object, or
/// the name flags of the body it posts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Filters {
    None,
    List,
    One,
    Body,
}

/// Whether a resource has a verb.
type Has = fn(&Resource) -> bool;

/// Whether `res` has `op` and ids to name an object by.
fn by_id(res: &Resource, op: Ops) -> bool {
    res.ops.contains(op) && res.id != IdKind::None
}

/// Every verb: whether a resource has it, the operation it needs, the filter flags it takes,
/// and how its command is built (the names are [`Verb`]'s: a test checks they agree). Each
/// description is set after the flags, which must not bring their own.
fn verbs() -> [(Has, Ops, Filters, Build); 13] {
    use clap::Command;
    [
        (
            |r| r.ops.contains(Ops::LIST),
            Ops::LIST,
            Filters::List,
            |res| {
                ListArgs::augment_args(Command::new("list")).about(format!(
                    "List {}: the first 100 rows, or every row with --all (filters below)",
                    res.name
                ))
            },
        ),
        (
            |r| by_id(r, Ops::GET),
            Ops::GET,
            Filters::One,
            |res| {
                GetArgs::augment_args(Command::new("get"))
                    .about(format!("Show one of the {} by id", res.name))
            },
        ),
        (
            |r| r.ops.contains(Ops::LIST),
            Ops::LIST,
            Filters::List,
            |res| {
                CountArgs::augment_args(Command::new("count"))
                    .about(format!("Count {} (the filters of list apply)", res.name))
            },
        ),
        (
            |r| r.ops.contains(Ops::CREATE),
            Ops::CREATE,
            Filters::Body,
            |res| {
                CreateArgs::augment_args(Command::new("create")).about(format!(
                    "Create {} from --set fields or --json (Halo answers with what it saved)",
                    res.name
                ))
            },
        ),
        (
            |r| by_id(r, Ops::UPDATE),
            Ops::UPDATE,
            Filters::Body,
            |res| {
                UpdateArgs::augment_args(Command::new("update")).about(format!(
                "Change one of the {} (its id is read back first, so a wrong id creates nothing)",
                res.name
            ))
            },
        ),
        (
            |r| r.ops.contains(Ops::DELETE),
            Ops::DELETE,
            Filters::None,
            |res| {
                DeleteArgs::augment_args(Command::new("delete"))
                    .about(format!("Delete one of the {}", res.name))
            },
        ),
        (has_workflows, Ops::GET, Filters::None, |_| {
            ViewArgs::augment_args(Command::new("view"))
                .about("Show a ticket as a person reads it, with its actions newest first")
        }),
        (has_workflows, Ops::UPDATE, Filters::None, |_| {
            NoteArgs::augment_args(Command::new("note"))
                .about("Add a note to a ticket (under the tenant's note outcome unless --outcome)")
        }),
        (has_workflows, Ops::UPDATE, Filters::None, |_| {
            CloseArgs::augment_args(Command::new("close")).about(
                "Close a ticket (its status set to the tenant's 'Closed'), with a note if given",
            )
        }),
        (has_workflows, Ops::UPDATE, Filters::None, |_| {
            AssignArgs::augment_args(Command::new("assign"))
                .about("Assign a ticket to an agent (by name or @me) and/or a team")
        }),
        (
            |r| r.runs_sql && by_id(r, Ops::GET),
            Ops::GET,
            Filters::None,
            |_| {
                RunArgs::augment_args(Command::new("run"))
                    .about("Run a saved report and print its rows (for a period with --from/--to)")
            },
        ),
        (
            |r| r.file_download,
            Ops::GET,
            Filters::None,
            |_| {
                DownloadArgs::augment_args(Command::new("download")).about(
                "Save attachments to disk under their names, made safe (never overwriting without --force)",
            )
            },
        ),
        (
            |r| r.file_download,
            Ops::CREATE,
            Filters::None,
            |_| {
                UploadArgs::augment_args(Command::new("upload"))
                .about("Attach files to a ticket or one of its actions (the ids Halo gave are printed)")
            },
        ),
    ]
}

/// The path whose query parameters the filter flags of one object's call are.
fn one_path(res: &Resource) -> String {
    format!("{}/{{id}}", res.path)
}

/// The names and aliases of the fixed commands: no resource alias takes one (`webhook` is
/// the receiver, `halo webhook`; the `/Webhook` resource is `halo webhooks`).
fn fixed_names() -> Vec<String> {
    use clap::CommandFactory;
    crate::cli::Cli::command()
        .get_subcommands()
        .flat_map(|c| std::iter::once(c.get_name()).chain(c.get_all_aliases()))
        .map(String::from)
        .collect()
}

/// The command of one resource.
pub fn command(res: &'static Resource) -> clap::Command {
    command_beside(res, &fixed_names())
}

/// The command of one resource, none of its aliases among `fixed`.
fn command_beside(res: &'static Resource, fixed: &[String]) -> clap::Command {
    let mut aliases: Vec<String> = res.aliases.iter().map(|a| a.to_string()).collect();
    if !res.path.contains('/') {
        aliases.push(res.path.to_string());
        aliases.push(res.path.to_ascii_lowercase());
    }
    aliases.retain(|a| a != res.name && !fixed.contains(a));
    aliases.sort();
    aliases.dedup();
    let mut cmd = clap::Command::new(res.name)
        .about(res.summary)
        .subcommand_required(true)
        .arg_required_else_help(true)
        .aliases(aliases);
    for (has, op, filters_taken, build) in verbs() {
        if !has(res) {
            continue;
        }
        let mut verb = build(res);
        if let Some(examples) = crate::help::verb_examples(res, verb.get_name()) {
            verb = verb.after_help(examples);
        }
        if takes_ticket(res, op) {
            verb = TicketArg::augment_args(verb);
        }
        if op == Ops::DELETE && res.soft_delete {
            verb = ReasonArg::augment_args(verb);
        }
        if filters_taken == Filters::Body && res.custom_field_type.is_some() {
            verb = CustomArgs::augment_args(verb);
        }
        // Last, so that no filter flag takes a name the verb's own flags use.
        verb = match filters_taken {
            Filters::List => filters::with_spec_flags(verb, res.path),
            Filters::One => filters::with_spec_flags(verb, &one_path(res)),
            Filters::Body => fields::with_name_flags(verb, res.path),
            Filters::None => verb,
        };
        cmd = cmd.subcommand(verb);
    }
    cmd
}

/// The command of every resource.
pub fn commands() -> Vec<clap::Command> {
    let fixed = fixed_names();
    RESOURCES
        .iter()
        .map(|res| command_beside(res, &fixed))
        .collect()
}

/// The command of the resource `word` names exactly (CLI name or alias): a name in another
/// case gets the whole tree, so clap suggests the right spelling.
pub fn named(word: &str) -> Option<clap::Command> {
    halopsa::resource::find(word)
        .map(command)
        .filter(|c| c.get_name() == word || c.get_all_aliases().any(|a| a == word))
}

impl FromArgMatches for ResourceCommand {
    fn from_arg_matches(m: &clap::ArgMatches) -> Result<Self, clap::Error> {
        let missing = || clap::Error::new(ErrorKind::MissingSubcommand);
        let (name, rm) = m.subcommand().ok_or_else(missing)?;
        let resource = find(name).ok_or_else(|| {
            clap::Error::raw(
                ErrorKind::InvalidSubcommand,
                format!("no resource named '{name}'"),
            )
        })?;
        let verb = Verb::from_arg_matches(rm)?;
        let (_, vm) = rm.subcommand().ok_or_else(missing)?;
        let op = verb.op();
        let ticket_id = if takes_ticket(resource, op) {
            let given = TicketArg::from_arg_matches(vm)?.ticket_id;
            if given.is_none() && verb.bulk().is_none() {
                return Err(clap::Error::raw(
                    ErrorKind::MissingRequiredArgument,
                    "--ticket-id ID is required: the ids of this resource are numbered per ticket\n",
                ));
            }
            given
        } else {
            None
        };
        let reason = if op == Ops::DELETE && resource.soft_delete {
            ReasonArg::from_arg_matches(vm)?.reason
        } else {
            None
        };
        let spec = match &verb {
            Verb::List(_) | Verb::Count(_) => filters::spec_values(resource.path, vm),
            Verb::Get(_) => filters::spec_values(&one_path(resource), vm),
            _ => Vec::new(),
        };
        let fields = match &verb {
            Verb::Create(_) | Verb::Update(_) => fields::named_values(resource.path, vm),
            _ => Vec::new(),
        };
        let custom = match &verb {
            Verb::Create(_) | Verb::Update(_) if resource.custom_field_type.is_some() => {
                CustomArgs::from_arg_matches(vm)?
            }
            _ => CustomArgs::default(),
        };
        Ok(ResourceCommand {
            resource,
            verb,
            ticket_id,
            reason,
            spec,
            fields,
            custom,
        })
    }

    fn update_from_arg_matches(&mut self, m: &clap::ArgMatches) -> Result<(), clap::Error> {
        *self = ResourceCommand::from_arg_matches(m)?;
        Ok(())
    }
}

impl Subcommand for ResourceCommand {
    /// Resource commands are added by [`crate::cli::command_for`], only those an invocation
    /// needs: none here.
    fn augment_subcommands(cmd: clap::Command) -> clap::Command {
        cmd
    }

    fn augment_subcommands_for_update(cmd: clap::Command) -> clap::Command {
        cmd
    }

    fn has_subcommand(name: &str) -> bool {
        find(name).is_some()
    }
}

/// The bulk job of a create, update or delete given `--from`.
fn bulk_job<'a>(
    verb: &'a Verb,
    flags: &'a args::BulkFlags,
    (named, custom): (&'a fields::NamedFields, &'a CustomArgs),
    ticket_id: Option<String>,
) -> bulk::Job<'a> {
    use halopsa::bulk::BulkOp;
    let none: &[String] = &[];
    let (op, write, yes, skip_check) = match verb {
        Verb::Create(a) => (BulkOp::Create, Some(&a.write), false, false),
        Verb::Update(a) => (BulkOp::Update, Some(&a.write), false, a.skip_check),
        Verb::Delete(a) => (BulkOp::Delete, None, a.yes, false),
        _ => (BulkOp::Update, None, false, false),
    };
    let dry_run = match verb {
        Verb::Delete(a) => a.dry_run,
        _ => write.is_some_and(|w| w.dry_run),
    };
    bulk::Job {
        op,
        flags,
        sets: write.map_or(none, |w| w.sets.as_slice()),
        named,
        custom,
        timeout: None,
        dry_run,
        yes,
        allow_unknown: write.is_some_and(|w| w.allow_unknown_field),
        skip_check,
        ticket_id,
    }
}

/// Runs a resource command, within its time bound (none for a walk of every page).
pub async fn run(ctx: &mut Context, globals: &Globals, cmd: ResourceCommand) -> Result<()> {
    let requests = cmd.verb.requests().clone();
    // A walk of every page and a bulk job have no default bound (a bulk job bounds itself, so
    // that running out of time keeps its results and says how to resume).
    // A transfer of a large file has none either: it is bounded by how long nothing moves.
    let walk = matches!(&cmd.verb, Verb::List(a) if a.all || a.limit.is_some())
        || matches!(&cmd.verb, Verb::Download(_) | Verb::Upload(_));
    let bulk_timeout = cmd.verb.bulk().and(requests.timeout(true));
    let bound = match cmd.verb.bulk() {
        Some(_) => None,
        None => requests.timeout(walk),
    };
    let work = async {
        let session = ctx.session(globals.profile.as_deref(), &requests)?;
        let api = session.client.resource(cmd.resource);
        if let Some(flags) = cmd.verb.bulk() {
            let given = (&cmd.fields, &cmd.custom);
            let mut job = bulk_job(&cmd.verb, flags, given, cmd.ticket_id.clone());
            job.timeout = bulk_timeout;
            return bulk::run(ctx, globals, &session, &api, job).await;
        }
        match cmd.verb {
            Verb::List(a) => list::run(ctx, globals, &session, &api, &a, &cmd.spec).await,
            Verb::Get(a) => {
                get::run(ctx, globals, &session, &api, &a, &cmd.spec, cmd.ticket_id).await
            }
            Verb::Count(a) => count::run(ctx, &globals.output, &session, &api, &a, &cmd.spec).await,
            Verb::Create(a) => {
                let given = (&cmd.fields, &cmd.custom);
                create::run(ctx, globals, &session, &api, &a, given).await
            }
            Verb::Update(a) => {
                let given = (&cmd.fields, &cmd.custom);
                update::run(ctx, globals, &session, &api, &a, given, cmd.ticket_id).await
            }
            Verb::Delete(a) => {
                let query = delete::Query {
                    reason: cmd.reason,
                    ticket_id: cmd.ticket_id,
                };
                delete::run(ctx, globals, &session.client, &api, &a, query).await
            }
            Verb::View(a) => view::run(ctx, globals, &session.client, &api, &a).await,
            Verb::Note(a) => note::run(ctx, globals, &session, &a).await,
            Verb::Close(a) => close::run(ctx, globals, &session, &api, &a).await,
            Verb::Assign(a) => assign::run(ctx, globals, &session, &api, &a).await,
            Verb::Run(a) => run::run(ctx, globals, &session, &a).await,
            // Boxed: the futures of transfers are large, and each arm's lives in this one.
            Verb::Download(a) => Box::pin(download::run(ctx, globals, &session.client, &a)).await,
            Verb::Upload(a) => Box::pin(upload::run(ctx, globals, &session.client, &a)).await,
        }
    };
    crate::session::bounded(bound, work).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_verb_command_is_a_verb_clap_parses() {
        for (_, _, _, build) in verbs() {
            let cmd = build(find("tickets").unwrap());
            assert!(Verb::has_subcommand(cmd.get_name()), "{}", cmd.get_name());
        }
        let tickets = command(find("tickets").unwrap());
        for line in [
            "tickets list --all",
            "tickets get 3",
            "tickets count",
            "tickets create --set a=1",
            "tickets update 3 --set a=1",
            "tickets delete 3 --reason dup",
        ] {
            let m = clap::Command::new("halo")
                .subcommand(tickets.clone())
                .try_get_matches_from(std::iter::once("halo").chain(line.split(' ')))
                .unwrap();
            let parsed = ResourceCommand::from_arg_matches(&m).unwrap();
            assert_eq!(
                parsed.verb.op(),
                match line.split(' ').nth(1).unwrap() {
                    "get" => Ops::GET,
                    "create" => Ops::CREATE,
                    "update" => Ops::UPDATE,
                    "delete" => Ops::DELETE,
                    _ => Ops::LIST,
                },
                "{line}"
            );
        }
    }

    #[test]
    fn a_resource_has_only_its_verbs_and_its_flags() {
        let names = |res: &str| -> Vec<String> {
            command(find(res).unwrap())
                .get_subcommands()
                .map(|c| c.get_name().to_string())
                .collect()
        };
        assert_eq!(
            names("tickets"),
            [
                "list", "get", "count", "create", "update", "delete", "view", "note", "close",
                "assign"
            ]
        );
        assert_eq!(
            names("timesheets"),
            ["list", "get", "count", "create", "update"]
        );
        let actions = command(find("actions").unwrap());
        let get = actions.find_subcommand("get").unwrap();
        assert!(
            get.get_arguments()
                .any(|a| a.get_long() == Some("ticket-id"))
        );
        let tickets = command(find("tickets").unwrap());
        let get = tickets.find_subcommand("get").unwrap();
        assert!(
            !get.get_arguments()
                .any(|a| a.get_long() == Some("ticket-id"))
        );
        let delete = tickets.find_subcommand("delete").unwrap();
        assert!(
            delete
                .get_arguments()
                .any(|a| a.get_long() == Some("reason"))
        );
    }

    #[test]
    fn every_verb_says_what_it_does_and_none_mentions_pacing() {
        for res in RESOURCES {
            for verb in command(res).get_subcommands() {
                let about = verb.get_about().map(|a| a.to_string()).unwrap_or_default();
                assert!(!about.is_empty(), "{} {}", res.name, verb.get_name());
                assert!(!about.to_lowercase().contains("pac"), "{about}");
            }
        }
        for res in ["tickets", "clients", "actions"] {
            for mut verb in command(find(res).unwrap()).get_subcommands().cloned() {
                let help = verb.render_long_help().to_string().to_lowercase();
                assert!(
                    !help.contains("pacing"),
                    "{res} {}: {help}",
                    verb.get_name()
                );
                assert!(help.contains("examples:"), "{res} {}", verb.get_name());
            }
        }
    }
}
