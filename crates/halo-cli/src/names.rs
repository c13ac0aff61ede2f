//! Names where ids go: `--client "Acme Ltd"`, `--agent @me`, `--status Closed`,
//! `halo clients get Acme`. Small lookups (agents, teams, statuses, types, priorities,
//! outcomes) are read whole in one call; large ones (clients, sites, users) are searched.
//! What was found is cached per profile for a few minutes, and so are the custom-field
//! definitions of each entity (`--field`, `--where cf.NAME`, `halo fields`).

use crate::exit::Failure;
use crate::fsutil;
use anyhow::Result;
use futures::TryStreamExt;
use halopsa::custom_fields::{self, Definitions};
use halopsa::resource::Resource;
use halopsa::{ApiRequest, Client, ListOptions};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long a name found stays good.
const KEEP: Duration = Duration::from_secs(600);

/// What a name names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lookup {
    /// A customer.
    Client,
    /// A customer's site.
    Site,
    /// An end user.
    User,
    /// An agent (`@me` is the acting one).
    Agent,
    /// A team.
    Team,
    /// A ticket status.
    Status,
    /// A ticket type.
    TicketType,
    /// A priority.
    Priority,
    /// An action outcome.
    Outcome,
}

impl Lookup {
    /// The resource it lists.
    fn resource(self) -> &'static Resource {
        let name = match self {
            Lookup::Client => "clients",
            Lookup::Site => "sites",
            Lookup::User => "users",
            Lookup::Agent => "agents",
            Lookup::Team => "teams",
            Lookup::Status => "statuses",
            Lookup::TicketType => "ticket-types",
            Lookup::Priority => "priorities",
            Lookup::Outcome => "outcomes",
        };
        crate::commands::resource::find(name).unwrap_or(&halopsa::resource::RESOURCES[0])
    }

    /// What it is called in messages.
    pub fn noun(self) -> &'static str {
        match self {
            Lookup::Client => "client",
            Lookup::Site => "site",
            Lookup::User => "user",
            Lookup::Agent => "agent",
            Lookup::Team => "team",
            Lookup::Status => "status",
            Lookup::TicketType => "ticket type",
            Lookup::Priority => "priority",
            Lookup::Outcome => "outcome",
        }
    }

    /// Whether the list is large, so a name is searched rather than the list read whole.
    fn searched(self) -> bool {
        matches!(self, Lookup::Client | Lookup::Site | Lookup::User)
    }

    /// The lookup of a resource's rows, when its rows have names people use.
    pub fn of(res: &Resource) -> Option<Lookup> {
        [
            Lookup::Client,
            Lookup::Site,
            Lookup::User,
            Lookup::Agent,
            Lookup::Team,
            Lookup::Status,
            Lookup::TicketType,
            Lookup::Priority,
            Lookup::Outcome,
        ]
        .into_iter()
        .find(|l| l.resource().name == res.name)
    }
}

/// One row's id and name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Named {
    /// The id, as text (numbers and GUIDs alike).
    pub id: String,
    /// The name.
    pub name: String,
}

/// The cache file: per lookup, the names found and when.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Cache {
    #[serde(default)]
    found: BTreeMap<Lookup, BTreeMap<String, (Named, u64)>>,
    #[serde(default)]
    whole: BTreeMap<Lookup, (Vec<Named>, u64)>,
    #[serde(default)]
    me: Option<(Named, u64)>,
    /// Custom-field definitions per entity (`typeid`).
    #[serde(default)]
    fields: BTreeMap<u8, (Definitions, u64)>,
}

/// Turns names into ids for one session.
pub struct Names<'a> {
    client: &'a Client,
    file: PathBuf,
    cache: Cache,
    dirty: bool,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn fresh(at: u64) -> bool {
    now().saturating_sub(at) < KEEP.as_secs()
}

/// A row's name: `name`, else the fields some lookups use instead.
fn name_of(row: &Value) -> Option<String> {
    ["name", "outcome", "agent_name", "shortname"]
        .iter()
        .find_map(|k| row.get(*k).and_then(Value::as_str))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// A priority's number is its `priorityid`; its `id` is a GUID Halo's tickets do not use.
fn id_of(lookup: Lookup, row: &Value) -> Option<String> {
    let id = match lookup {
        Lookup::Priority => row.get("priorityid").or_else(|| row.get("id")),
        _ => row.get("id"),
    }?;
    Some(halopsa::id::id_text(id))
}

impl<'a> Names<'a> {
    /// The names of `client`'s instance, cached in `file`.
    pub fn new(client: &'a Client, file: PathBuf) -> Names<'a> {
        let cache = std::fs::read(&file)
            .ok()
            .filter(|_| fsutil::exposure(&file).is_ok_and(|e| e == fsutil::Exposure::Private))
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        Names {
            client,
            file,
            cache,
            dirty: false,
        }
    }

    /// The acting agent (`GET /Agent/me`).
    pub async fn me(&mut self) -> Result<Named> {
        if let Some((me, at)) = &self.cache.me
            && fresh(*at)
        {
            return Ok(me.clone());
        }
        let me: Value = self.client.get_json(&ApiRequest::get("Agent/me")).await?;
        let named = Named {
            id: me.get("id").map(halopsa::id::id_text).unwrap_or_default(),
            name: name_of(&me).unwrap_or_default(),
        };
        self.cache.me = Some((named.clone(), now()));
        self.dirty = true;
        Ok(named)
    }

    /// The id `text` stands for: an id as it is, `@me` for an agent, else the one row of
    /// `lookup` whose name it is (case-insensitive; an exact match first, else the only name
    /// that contains it). Ambiguous: exit 2 with the candidates; unknown: exit 4 with the
    /// nearest names.
    pub async fn id(&mut self, lookup: Lookup, text: &str) -> Result<String> {
        let text = text.trim();
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(text.to_string());
        }
        Ok(self.find(lookup, text).await?.id)
    }

    /// The row of `lookup` named `text` (see [`Names::id`]).
    pub async fn find(&mut self, lookup: Lookup, text: &str) -> Result<Named> {
        if lookup == Lookup::Agent && (text == "@me" || text.eq_ignore_ascii_case("me")) {
            return self.me().await;
        }
        let key = text.to_lowercase();
        if let Some((named, at)) = self.cache.found.get(&lookup).and_then(|f| f.get(&key))
            && fresh(*at)
        {
            return Ok(named.clone());
        }
        let candidates = self.candidates(lookup, text).await?;
        let found = choose(lookup, text, &candidates)?;
        self.cache
            .found
            .entry(lookup)
            .or_default()
            .insert(key, (found.clone(), now()));
        self.dirty = true;
        Ok(found)
    }

    /// The row `text` names, by name (as [`Names::find`]) or by id: a small lookup's from
    /// its whole list, a large one's read by id (`GET /Client/3`); an id that names nothing
    /// is "not found" (exit 4).
    pub async fn named(&mut self, lookup: Lookup, text: &str) -> Result<Named> {
        let text = text.trim();
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return self.find(lookup, text).await;
        }
        let missing = || Failure::not_found(format!("no {} has id {text}", lookup.noun()));
        if !lookup.searched() {
            return self
                .all(lookup)
                .await?
                .into_iter()
                .find(|n| n.id == text)
                .ok_or_else(missing);
        }
        let row = match self.client.resource(lookup.resource()).get(text, &[]).await {
            Ok(row) => row,
            Err(e) if e.is_not_found() => return Err(missing()),
            Err(e) => return Err(e.into()),
        };
        Ok(Named {
            id: text.to_string(),
            name: name_of(&row).unwrap_or_default(),
        })
    }

    /// Every row of a small lookup (one call, cached).
    pub async fn all(&mut self, lookup: Lookup) -> Result<Vec<Named>> {
        if let Some((rows, at)) = self.cache.whole.get(&lookup)
            && fresh(*at)
        {
            return Ok(rows.clone());
        }
        let rows = self.list(lookup, Vec::new(), None).await?;
        self.cache.whole.insert(lookup, (rows.clone(), now()));
        self.dirty = true;
        Ok(rows)
    }

    /// The custom-field definitions of `res` ([`custom_fields::fetch`]), from the cache
    /// unless `refresh`; a resource without custom fields is a usage error (exit 2).
    pub async fn fields(&mut self, res: &Resource, refresh: bool) -> Result<Definitions> {
        let Some(typeid) = res.custom_field_type else {
            return Err(Failure::usage(no_custom_fields(res)));
        };
        if !refresh
            && let Some((defs, at)) = self.cache.fields.get(&typeid)
            && fresh(*at)
        {
            return Ok(defs.clone());
        }
        let defs = custom_fields::fetch(self.client, res).await?;
        self.cache.fields.insert(typeid, (defs.clone(), now()));
        self.dirty = true;
        Ok(defs)
    }

    async fn candidates(&mut self, lookup: Lookup, text: &str) -> Result<Vec<Named>> {
        if !lookup.searched() {
            return self.all(lookup).await;
        }
        let found = self
            .list(lookup, vec![("search".into(), text.to_string())], Some(50))
            .await?;
        if !found.is_empty() {
            return Ok(found);
        }
        // Nothing contains it: the first rows, for the nearest names.
        self.list(lookup, Vec::new(), Some(200)).await
    }

    async fn list(
        &self,
        lookup: Lookup,
        query: Vec<(String, String)>,
        limit: Option<u64>,
    ) -> Result<Vec<Named>> {
        let options = ListOptions {
            limit,
            ..ListOptions::default()
        };
        let (rows, _) = self.client.resource(lookup.resource()).list(query, options);
        let rows: Vec<Value> = rows.try_collect().await?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                Some(Named {
                    id: id_of(lookup, r)?,
                    name: name_of(r)?,
                })
            })
            .collect())
    }

    /// Writes what was found back to the cache file (owner-only); a failure is no error.
    pub fn save(&mut self) {
        if !self.dirty {
            return;
        }
        if let Ok(bytes) = serde_json::to_vec(&self.cache)
            && fsutil::write_private(&self.file, &bytes).is_ok()
        {
            self.dirty = false;
        }
    }
}

impl Drop for Names<'_> {
    fn drop(&mut self) {
        self.save();
    }
}

/// The one of `candidates` named `text`: exact (case-insensitive), else the only one whose
/// name contains it.
fn choose(lookup: Lookup, text: &str, candidates: &[Named]) -> Result<Named> {
    let wanted = text.to_lowercase();
    let exact: Vec<&Named> = candidates
        .iter()
        .filter(|c| c.name.to_lowercase() == wanted)
        .collect();
    let matches = if exact.is_empty() {
        candidates
            .iter()
            .filter(|c| c.name.to_lowercase().contains(&wanted))
            .collect()
    } else {
        exact
    };
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => {
            let mut near: Vec<(f64, &Named)> = candidates
                .iter()
                .map(|c| (strsim::jaro_winkler(&wanted, &c.name.to_lowercase()), c))
                .filter(|(score, _)| *score > 0.7)
                .collect();
            near.sort_by(|a, b| b.0.total_cmp(&a.0));
            let names: Vec<String> = near.iter().take(3).map(|(_, c)| quoted(c)).collect();
            let hint = if names.is_empty() {
                String::new()
            } else {
                format!("; the nearest: {}", names.join(", "))
            };
            Err(Failure::not_found(format!(
                "no {} is named '{text}'{hint}",
                lookup.noun()
            )))
        }
        many => {
            let names: Vec<String> = many.iter().take(10).map(|c| quoted(c)).collect();
            let more = if many.len() > 10 {
                format!(" and {} more", many.len() - 10)
            } else {
                String::new()
            };
            Err(Failure::usage(format!(
                "'{text}' names {} {}s: {}{more}; give the full name or the id",
                many.len(),
                lookup.noun(),
                names.join(", ")
            )))
        }
    }
}

/// Why `res` takes no `--field` or `cf.NAME`, and which resources do.
pub fn no_custom_fields(res: &Resource) -> String {
    let with: Vec<&str> = halopsa::resource::RESOURCES
        .iter()
        .filter(|r| r.custom_field_type.is_some())
        .map(|r| r.name)
        .collect();
    format!(
        "{} have no custom fields (these do: {})",
        res.name,
        with.join(", ")
    )
}

fn quoted(n: &Named) -> String {
    format!("'{}' ({})", n.name, n.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(list: &[(&str, &str)]) -> Vec<Named> {
        list.iter()
            .map(|(id, name)| Named {
                id: id.to_string(),
                name: name.to_string(),
            })
            .collect()
    }

    #[test]
    fn an_exact_name_wins_then_the_only_one_containing_it() {
        let clients = named(&[("1", "Acme Ltd"), ("2", "Acme Inc"), ("3", "Globex")]);
        assert_eq!(
            choose(Lookup::Client, "acme ltd", &clients).unwrap().id,
            "1"
        );
        assert_eq!(choose(Lookup::Client, "glob", &clients).unwrap().id, "3");
        let err = choose(Lookup::Client, "acme", &clients).unwrap_err();
        assert_eq!(crate::exit::code_for(&err), crate::exit::USAGE);
        assert!(
            err.to_string().contains("'Acme Ltd' (1), 'Acme Inc' (2)"),
            "{err}"
        );
        let err = choose(Lookup::Client, "Globx", &clients).unwrap_err();
        assert_eq!(crate::exit::code_for(&err), crate::exit::NOT_FOUND);
        assert!(
            err.to_string().contains("the nearest: 'Globex' (3)"),
            "{err}"
        );
    }
}
