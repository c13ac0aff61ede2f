//! The fields of a create or an update: each name checked against the POST body Halo's
//! OpenAPI file gives the resource (`halopsa::fields`), each int or bool value checked for
//! its type, and name flags (`--client "Acme Ltd"`, `--status Closed`) that set id fields.

use crate::exit::Failure;
use crate::names::{Lookup, Names};
use anyhow::Result;
use clap::{Arg, ArgMatches};
use halopsa::fields;
use serde_json::Value;

/// What a name flag puts in its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sets {
    /// The id of the row named.
    Id,
    /// The row's name as the tenant spells it (a ticket's `team` is a name: reference §7).
    Name,
}

/// The fields a name flag may set, the first the body has winning.
type Targets = &'static [(&'static str, Sets)];

/// Name flags of writes: the flag, what it names, and the fields it may set.
const NAME_FLAGS: &[(&str, Lookup, Targets)] = &[
    ("client", Lookup::Client, &[("client_id", Sets::Id)]),
    ("site", Lookup::Site, &[("site_id", Sets::Id)]),
    ("user", Lookup::User, &[("user_id", Sets::Id)]),
    ("agent", Lookup::Agent, &[("agent_id", Sets::Id)]),
    (
        "team",
        Lookup::Team,
        &[("team_id", Sets::Id), ("team", Sets::Name)],
    ),
    ("status", Lookup::Status, &[("status_id", Sets::Id)]),
    ("priority", Lookup::Priority, &[("priority_id", Sets::Id)]),
    (
        "tickettype",
        Lookup::TicketType,
        &[("tickettype_id", Sets::Id), ("requesttype_id", Sets::Id)],
    ),
    ("outcome", Lookup::Outcome, &[("outcome_id", Sets::Id)]),
];

/// One name flag of a body: the flag, the lookup, the field it sets and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameFlag {
    /// The flag's long name (`client`).
    pub flag: &'static str,
    /// What the value names.
    pub lookup: Lookup,
    /// The body field it sets (`client_id`).
    pub field: &'static str,
    /// An id or a name.
    pub sets: Sets,
}

/// The name flags the body of `POST /{path}` has fields for (none when the spec gives the
/// path no body).
pub fn name_flags(path: &str) -> Vec<NameFlag> {
    let Some(body) = fields::fields_for(path) else {
        return Vec::new();
    };
    NAME_FLAGS
        .iter()
        .filter_map(|(flag, lookup, targets)| {
            let (field, sets) = targets
                .iter()
                .find_map(|(t, s)| body.iter().find(|f| f.name == *t).map(|f| (f.name, *s)))?;
            Some(NameFlag {
                flag,
                lookup: *lookup,
                field,
                sets,
            })
        })
        .collect()
}

/// The id of a name flag's arg.
fn arg_id(flag: &NameFlag) -> String {
    format!("field:{}", flag.field)
}

/// Adds the name flags of `path`'s body to `cmd`, under "Fields" (a flag the verb has
/// already is left to the verb).
pub fn with_name_flags(cmd: clap::Command, path: &str) -> clap::Command {
    let taken: Vec<String> = cmd
        .get_arguments()
        .filter_map(|a| a.get_long().map(str::to_string))
        .collect();
    let args: Vec<Arg> = name_flags(path)
        .into_iter()
        .filter(|f| !taken.iter().any(|t| t == f.flag))
        .map(|f| {
            let what = match f.sets {
                Sets::Id => "its id",
                Sets::Name => "its name",
            };
            Arg::new(arg_id(&f))
                .long(f.flag)
                .value_name(if f.lookup == Lookup::Agent {
                    "NAME|ID|@me"
                } else {
                    "NAME|ID"
                })
                .help(format!(
                    "The {} by name or id: sets '{}' to {what}",
                    f.lookup.noun(),
                    f.field
                ))
        })
        .collect();
    cmd.next_help_heading("Fields").args(args)
}

/// The name flags given: each flag and the text given.
pub type NamedFields = Vec<(NameFlag, String)>;

/// The values given to the flags [`with_name_flags`] added for `path`.
pub fn named_values(path: &str, m: &ArgMatches) -> NamedFields {
    name_flags(path)
        .into_iter()
        .filter_map(|f| {
            let text = m.try_get_one::<String>(&arg_id(&f)).ok().flatten()?;
            Some((f, text.clone()))
        })
        .collect()
}

/// Sets each name flag's field in every object, names looked up (at most one lookup per
/// flag). A field given both by its flag and by `--set`/`--json` is refused.
pub async fn apply(
    names: &mut Names<'_>,
    given: &NamedFields,
    objects: &mut [Value],
) -> Result<()> {
    for (flag, text) in given {
        if objects.iter().any(|o| o.get(flag.field).is_some()) {
            return Err(Failure::usage(format!(
                "--{} and a '{}' field were both given: give one",
                flag.flag, flag.field
            )));
        }
        let value = value_of(names, flag, text).await?;
        for o in objects.iter_mut() {
            o[flag.field] = value.clone();
        }
    }
    Ok(())
}

/// What a name flag puts in its field for `text`: the id of the row it names, or the
/// tenant's spelling of its name.
pub async fn value_of(names: &mut Names<'_>, flag: &NameFlag, text: &str) -> Result<Value> {
    Ok(match flag.sets {
        Sets::Id => super::write::id_value(&names.id(flag.lookup, text).await?),
        Sets::Name => Value::String(name_of(names, flag.lookup, text).await?),
    })
}

/// The tenant's spelling of the row `text` names (by name, or by id).
async fn name_of(names: &mut Names<'_>, lookup: Lookup, text: &str) -> Result<String> {
    Ok(names.named(lookup, text).await?.name)
}

/// Checks every field of `objects` against the body of `POST /{path}`: an unknown name is
/// refused with the nearest names and the name flag that does the job, a display name
/// (`client_name`) where a name flag sets the id is refused the same way, and an int or
/// bool field must hold one. A path the spec gives no body is not checked.
pub fn check(path: &str, objects: &[Value], allow_unknown: bool) -> Result<()> {
    if fields::fields_for(path).is_none() {
        return Ok(());
    }
    let flags = name_flags(path);
    for object in objects {
        let Value::Object(map) = object else { continue };
        for (name, value) in map {
            let field = match fields::check(path, name) {
                Ok(field) => field,
                Err(_) if allow_unknown => continue,
                Err(unknown) => {
                    let mut hint: Vec<String> =
                        unknown.suggestions.iter().map(|s| s.to_string()).collect();
                    hint.extend(flag_for(&flags, name).map(|f| flag_example(f, value)));
                    return Err(Failure::usage(format!(
                        "unknown field '{name}' for POST /{} (Halo would keep it as junk); {} \
                         (--allow-unknown-field sends it anyway)",
                        unknown.path,
                        did_you_mean(&hint)
                    )));
                }
            };
            // Quirk: a display name (`client_name`) is what Halo shows, not what it reads on
            // a write: an object given one without the id is saved without the client. Its
            // name flag sets the id. (Beside its id, as in a reply read back, it is harmless.)
            if !allow_unknown
                && let Some(stem) = name.strip_suffix("_name")
                && let Some(flag) = flags.iter().find(|f| f.field == format!("{stem}_id"))
                && !map.contains_key(flag.field)
            {
                return Err(Failure::usage(format!(
                    "'{name}' is the name Halo shows, not one it reads (it would save no {}): \
                     use {}",
                    flag.lookup.noun(),
                    flag_example(flag, value)
                )));
            }
            if let Err(wrong) = fields::check_value(field, value) {
                let fix = flags
                    .iter()
                    .find(|f| f.field == field.name && value.is_string())
                    .map(|f| format!(" (by name: {})", flag_example(f, value)))
                    .unwrap_or_default();
                return Err(Failure::usage(format!("--set {wrong}{fix}")));
            }
        }
    }
    Ok(())
}

/// The name flag an unknown field name stands for (`status` or `status_name` → `--status`).
fn flag_for<'a>(flags: &'a [NameFlag], name: &str) -> Option<&'a NameFlag> {
    let name = name.to_ascii_lowercase();
    let stem = name
        .strip_suffix("_name")
        .or_else(|| name.strip_suffix("_id"))
        .unwrap_or(&name);
    flags.iter().find(|f| f.flag == stem || f.field == stem)
}

/// The flag with the value given, quoted when it has a space: `--client "Acme Ltd"`.
fn flag_example(flag: &NameFlag, value: &Value) -> String {
    let text = match value {
        Value::String(s) if !s.is_empty() => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => "NAME".to_string(),
    };
    if text.contains(char::is_whitespace) {
        format!("--{} \"{text}\"", flag.flag)
    } else {
        format!("--{} {text}", flag.flag)
    }
}

/// "did you mean a, b, or --flag X?"
fn did_you_mean(options: &[String]) -> String {
    match options {
        [] => "no field is close to it".to_string(),
        [one] => format!("did you mean {one}?"),
        [init @ .., last] => format!("did you mean {}, or {last}?", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_fields_are_refused_with_the_nearest_and_the_name_flag() {
        let err = check("Tickets", &[json!({"status": "Closed"})], false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field 'status'"), "{err}");
        assert!(err.contains("status_id"), "{err}");
        assert!(err.contains("or --status Closed?"), "{err}");
        assert!(check("Tickets", &[json!({"status": "Closed"})], true).is_ok());
        let err = check("Tickets", &[json!({"CFContractRef": "C-99"})], false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("--allow-unknown-field"), "{err}");
        assert!(check("Tickets", &[json!({"summary": "x", "status_id": 9})], false).is_ok());
    }

    #[test]
    fn display_names_and_wrong_types_are_refused() {
        let err = check("Tickets", &[json!({"client_name": "Acme Ltd"})], false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("use --client \"Acme Ltd\""), "{err}");
        let read_back = json!({"client_id": 1, "client_name": "Acme Ltd"});
        assert!(check("Tickets", &[read_back], false).is_ok());
        let err = check("Tickets", &[json!({"status_id": "Closed"})], false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("status_id takes an integer"), "{err}");
        assert!(err.contains("--status Closed"), "{err}");
        assert!(check("Tickets", &[json!({"status_id": "9"})], false).is_ok());
        let err = check("Client", &[json!({"inactive": "maybe"})], false).unwrap_err();
        assert!(err.to_string().contains("true or false"), "{err}");
    }

    #[test]
    fn name_flags_follow_the_body_schema() {
        let flags = name_flags("Tickets");
        let team = flags.iter().find(|f| f.flag == "team").unwrap();
        assert_eq!((team.field, team.sets), ("team", Sets::Name));
        let status = flags.iter().find(|f| f.flag == "status").unwrap();
        assert_eq!(status.field, "status_id");
        let actions = name_flags("Actions");
        assert!(actions.iter().any(|f| f.field == "outcome_id"));
        assert!(name_flags("NoSuchPath").is_empty());
    }
}
