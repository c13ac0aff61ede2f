//! Churn: a burst of ticket changes, deterministic by seed, for tests and the bench. Every
//! change goes through the POST and DELETE rules ([`Batch`]), so change fields, names and
//! webhook events behave as for any client, and all of it commits in one transaction.

use std::collections::HashMap;

use crate::domain::clock;
use crate::domain::outcome::Refusal;
use crate::domain::seed::{OUTCOMES, PRIORITIES, STATUSES, TICKET_TYPES};
use crate::domain::store::{Key, Store};
use crate::domain::tokens::Identity;
use crate::domain::webhooks::Webhooks;
use crate::domain::writes::Batch;
use halopsa::id::id_from_value;
use halopsa::resource::{Resource, find};
use rand::rngs::StdRng;
use rand::seq::index;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// At most this many tickets created by one churn.
pub const MAX_CREATE: u64 = 100_000;

/// The client a churn's writes are made by (its actions' `actionby_application_id`).
const CHURN_CLIENT: &str = "halo-sandbox-churn";

/// What to change: `change` tickets edited, `delete` soft-deleted, `create` created and
/// `actions` given one new action each. The edited, deleted and action tickets are
/// distinct live tickets drawn by `seed`; the same seed on the same data touches the same ids.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct Churn {
    /// Seeds the draw and the edits.
    pub seed: u64,
    /// Tickets edited (summary, status, priority or agent).
    pub change: u64,
    /// Tickets soft-deleted.
    pub delete: u64,
    /// Tickets created.
    pub create: u64,
    /// Tickets that get one new action.
    pub actions: u64,
}

impl Churn {
    /// A churn drawn by `seed` that changes nothing yet.
    pub fn new(seed: u64) -> Churn {
        Churn {
            seed,
            ..Churn::default()
        }
    }

    /// Edits `n` tickets.
    pub fn change(mut self, n: u64) -> Churn {
        self.change = n;
        self
    }

    /// Soft-deletes `n` tickets.
    pub fn delete(mut self, n: u64) -> Churn {
        self.delete = n;
        self
    }

    /// Creates `n` tickets.
    pub fn create(mut self, n: u64) -> Churn {
        self.create = n;
        self
    }

    /// Adds one action to each of `n` tickets.
    pub fn actions(mut self, n: u64) -> Churn {
        self.actions = n;
        self
    }
}

/// An action written by a churn: its ticket and its id within the ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ActionRef {
    /// The ticket.
    pub ticket_id: i64,
    /// The action's id within the ticket.
    pub id: i64,
}

/// What a churn touched, ids ascending.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ChurnReport {
    /// The instant before the first write: every change field the churn set is at or after it
    /// (a `lastupdatefromdate` that finds exactly what it touched).
    pub at: String,
    /// Tickets edited.
    pub changed: Vec<i64>,
    /// Tickets soft-deleted.
    pub deleted: Vec<i64>,
    /// Tickets created.
    pub created: Vec<i64>,
    /// Actions added (their tickets changed too).
    pub actions: Vec<ActionRef>,
}

/// Why a churn did not run (nothing was written).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChurnError {
    /// More distinct live tickets asked for than there are.
    #[error(
        "the churn needs {asked} distinct live tickets (change + delete + actions) but the sandbox has {live}"
    )]
    TooFew {
        /// change + delete + actions.
        asked: u64,
        /// Live (not deleted) tickets.
        live: u64,
    },
    /// Too many tickets to create at once.
    #[error("the churn may create at most {MAX_CREATE} tickets at once, not {0}")]
    TooMany(u64),
    /// A write was refused, or the store failed.
    #[error("the churn failed: {0}")]
    Failed(String),
}

impl From<Refusal> for ChurnError {
    fn from(r: Refusal) -> Self {
        ChurnError::Failed(match r {
            Refusal::Invalid(message) | Refusal::TooLarge(message) => message,
            Refusal::Store(e) => format!("sandbox store: {e}"),
            other => format!("{other:?}"),
        })
    }
}

impl From<rusqlite::Error> for ChurnError {
    fn from(e: rusqlite::Error) -> Self {
        ChurnError::Failed(format!("sandbox store: {e}"))
    }
}

/// Runs `churn` on `store` (blocking: call off the runtime); the tickets' events go to
/// `webhooks`.
pub fn run(store: &Store, webhooks: &Webhooks, churn: &Churn) -> Result<ChurnReport, ChurnError> {
    let (Some(tickets), Some(actions)) = (find("Tickets"), find("Actions")) else {
        return Err(ChurnError::Failed("no ticket or action resource".into()));
    };
    if churn.create > MAX_CREATE {
        return Err(ChurnError::TooMany(churn.create));
    }
    let live = store.ids(tickets.path, false)?;
    let asked = churn
        .change
        .saturating_add(churn.delete)
        .saturating_add(churn.actions);
    if asked > live.len() as u64 {
        return Err(ChurnError::TooFew {
            asked,
            live: live.len() as u64,
        });
    }
    let mut rng = StdRng::seed_from_u64(churn.seed);
    let drawn: Vec<i64> = index::sample(&mut rng, live.len(), asked as usize)
        .into_iter()
        .map(|i| live[i])
        .collect();
    let (to_change, rest) = drawn.split_at(churn.change as usize);
    let (to_delete, to_act) = rest.split_at(churn.delete as usize);
    let mut draw = Draw {
        store,
        tickets,
        rng,
        seed: churn.seed,
        // Agent 1 is the API agent: tickets go to the others.
        agents: store
            .ids("Agent", false)?
            .into_iter()
            .filter(|a| *a > 1)
            .collect(),
    };
    let who = Identity {
        client_id: CHURN_CLIENT.into(),
        user: None,
    };
    let mut report = ChurnReport {
        at: clock::now_iso(),
        ..ChurnReport::default()
    };
    let mut batch = Batch::default();
    let mut ticket_ids = HashMap::new();
    for &id in to_change {
        let edit = draw.edit(id)?;
        batch.post(store, tickets, &who, edit, &mut ticket_ids)?;
        report.changed.push(id);
    }
    for &id in to_delete {
        if let Some(doc) = store.get(tickets.path, 0, id)? {
            batch.soft_delete(tickets, (top(id), doc), Some("churn"));
            report.deleted.push(id);
        }
    }
    for n in 1..=churn.create {
        let template = live[draw.rng.random_range(0..live.len())];
        let new = draw.new_ticket(template, n)?;
        let (key, _) = batch.post(store, tickets, &who, new, &mut ticket_ids)?;
        report.created.push(key.id);
    }
    let mut action_ids = HashMap::new();
    for &ticket_id in to_act {
        let (outcome_id, _) = OUTCOMES[draw.rng.random_range(0..OUTCOMES.len())];
        let action = object(json!({
            "ticket_id": ticket_id, "outcome_id": outcome_id,
            "note": format!("Churn {}: follow-up on ticket {ticket_id}", churn.seed),
        }));
        let (key, _) = batch.post(store, actions, &who, action, &mut action_ids)?;
        report.actions.push(ActionRef {
            ticket_id,
            id: key.id,
        });
    }
    batch.save(store, webhooks)?;
    report.changed.sort_unstable();
    report.deleted.sort_unstable();
    report.actions.sort_unstable();
    Ok(report)
}

/// A top-level object's key.
fn top(id: i64) -> Key {
    Key {
        parent: 0,
        id,
        uid: None,
    }
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The random edits of one churn.
struct Draw<'a> {
    store: &'a Store,
    tickets: &'a Resource,
    rng: StdRng,
    seed: u64,
    /// The agents tickets may be given to.
    agents: Vec<i64>,
}

impl Draw<'_> {
    /// One edit of ticket `id`: a new summary, status, priority or agent, always differing
    /// from the stored value.
    fn edit(&mut self, id: i64) -> Result<Map<String, Value>, ChurnError> {
        let stored = self
            .store
            .get(self.tickets.path, 0, id)?
            .unwrap_or_default();
        let int = |field: &str| stored.get(field).and_then(id_from_value);
        let mut edit = object(json!({ "id": id }));
        let agents: Vec<i64> = self
            .agents
            .iter()
            .copied()
            .filter(|a| Some(*a) != int("agent_id"))
            .collect();
        let kinds = if agents.is_empty() { 3 } else { 4 };
        match self.rng.random_range(0..kinds) {
            0 => {
                let summary = stored
                    .get("summary")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                // A summary edited by an earlier churn is edited again, not extended.
                let base = summary.split(" [churn ").next().unwrap_or_default();
                let mark = self.rng.random_range(0..1_000);
                edit.insert(
                    "summary".into(),
                    json!(format!("{base} [churn {}.{mark}]", self.seed)),
                );
            }
            1 => {
                let statuses: Vec<i64> = STATUSES
                    .iter()
                    .map(|(s, _, _)| *s)
                    .filter(|s| Some(*s) != int("status_id"))
                    .collect();
                let status = statuses[self.rng.random_range(0..statuses.len())];
                edit.insert("status_id".into(), json!(status));
            }
            2 => {
                let priorities: Vec<i64> = PRIORITIES
                    .iter()
                    .map(|(p, _)| *p)
                    .filter(|p| Some(*p) != int("priority_id"))
                    .collect();
                let priority = priorities[self.rng.random_range(0..priorities.len())];
                edit.insert("priority_id".into(), json!(priority));
            }
            _ => {
                let agent = agents[self.rng.random_range(0..agents.len())];
                edit.insert("agent_id".into(), json!(agent));
            }
        }
        Ok(edit)
    }

    /// The `n`th new ticket, for the customer of ticket `template` (its client, site, user
    /// and agent).
    fn new_ticket(&mut self, template: i64, n: u64) -> Result<Map<String, Value>, ChurnError> {
        let stored = self
            .store
            .get(self.tickets.path, 0, template)?
            .unwrap_or_default();
        let (tickettype, _) = TICKET_TYPES[self.rng.random_range(0..TICKET_TYPES.len())];
        let (priority, _) = PRIORITIES[self.rng.random_range(0..PRIORITIES.len())];
        let mut new = object(json!({
            "summary": format!("Churn {}: new ticket {n}", self.seed),
            "details": format!("Logged by churn {}.", self.seed),
            "tickettype_id": tickettype, "priority_id": priority,
        }));
        for field in ["client_id", "site_id", "user_id", "agent_id"] {
            if let Some(v) = stored.get(field).and_then(id_from_value) {
                new.insert(field.into(), json!(v));
            }
        }
        Ok(new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::reads::is_deleted;
    use crate::domain::seed::{SeedSize, seed};
    use std::sync::Arc;

    fn seeded() -> (Arc<Store>, Webhooks) {
        let store = Arc::new(Store::open(None).unwrap());
        seed(&store, SeedSize { tickets: 300 }).unwrap();
        let webhooks = Webhooks::start(Vec::new(), Default::default(), Arc::clone(&store)).unwrap();
        (store, webhooks)
    }

    fn change(store: &Store, resource: &str, parent: i64, id: i64) -> String {
        let field = crate::domain::store::change_field(resource).unwrap();
        let doc = store.get(resource, parent, id).unwrap().unwrap();
        doc[field].as_str().unwrap().to_string()
    }

    #[tokio::test]
    async fn the_same_seed_touches_the_same_ids_and_the_counts_are_right() {
        let churn = Churn::new(7).change(40).delete(5).create(6).actions(9);
        let (a, hooks_a) = seeded();
        let (b, hooks_b) = seeded();
        let first = run(&a, &hooks_a, &churn).unwrap();
        let second = run(&b, &hooks_b, &churn).unwrap();
        assert_eq!(
            (
                &first.changed,
                &first.deleted,
                &first.created,
                &first.actions
            ),
            (
                &second.changed,
                &second.deleted,
                &second.created,
                &second.actions
            )
        );
        assert_eq!(first.changed.len(), 40);
        assert_eq!(first.deleted.len(), 5);
        assert_eq!(first.created, (301..=306).collect::<Vec<_>>());
        assert_eq!(first.actions.len(), 9);
        let mut tickets: Vec<i64> = first.changed.clone();
        tickets.extend(&first.deleted);
        tickets.extend(first.actions.iter().map(|a| a.ticket_id));
        tickets.sort_unstable();
        tickets.dedup();
        assert_eq!(
            tickets.len(),
            54,
            "edited, deleted and action tickets are distinct"
        );
        let other = run(&b, &hooks_b, &Churn::new(8).change(40)).unwrap();
        assert_ne!(other.changed, first.changed, "another seed, other tickets");
        assert_eq!(a.ids("Tickets", true).unwrap(), first.deleted);
    }

    #[tokio::test]
    async fn every_write_moves_the_change_fields() {
        let (store, hooks) = seeded();
        let before: Vec<String> = (1..=300)
            .map(|id| change(&store, "Tickets", 0, id))
            .collect();
        let report = run(
            &store,
            &hooks,
            &Churn::new(3).change(10).delete(2).create(1).actions(4),
        )
        .unwrap();
        let touched: Vec<i64> = report
            .changed
            .iter()
            .chain(&report.deleted)
            .chain(&report.created)
            .copied()
            .chain(report.actions.iter().map(|a| a.ticket_id))
            .collect();
        for id in 1..=301 {
            let now = change(&store, "Tickets", 0, id);
            if touched.contains(&id) {
                assert!(now >= report.at, "ticket {id}: {now} before {}", report.at);
            } else {
                assert_eq!(now, before[id as usize - 1], "ticket {id} untouched");
                assert!(now < report.at, "seeded change fields are in the past");
            }
        }
        for action in &report.actions {
            let doc = store
                .get("Actions", action.ticket_id, action.id)
                .unwrap()
                .unwrap();
            assert!(doc["last_updated"].as_str().unwrap() >= report.at.as_str());
            assert_eq!(doc["actionby_application_id"], CHURN_CLIENT);
        }
        for id in &report.deleted {
            assert!(is_deleted(&store.get("Tickets", 0, *id).unwrap().unwrap()));
        }
    }

    #[tokio::test]
    async fn asking_for_more_tickets_than_live_changes_nothing() {
        let (store, hooks) = seeded();
        let err = run(&store, &hooks, &Churn::new(1).change(200).delete(101)).unwrap_err();
        assert!(
            matches!(
                err,
                ChurnError::TooFew {
                    asked: 301,
                    live: 300
                }
            ),
            "{err}"
        );
        assert!(store.ids("Tickets", true).unwrap().is_empty());
        let err = run(&store, &hooks, &Churn::new(1).create(MAX_CREATE + 1)).unwrap_err();
        assert!(matches!(err, ChurnError::TooMany(_)), "{err}");
    }
}
