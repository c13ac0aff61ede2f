//! The mirror handler: keeps a `halo sync` mirror ([`halo_mirror::Mirror`]) live from
//! webhook events, so it is current without a sync run. Each ticket event's ticket is fetched
//! through the API (`GET /Tickets/{id}`) and upserted; an action event also fetches the
//! ticket's actions (`GET /Actions?ticket_id=`, one request however many are new) and
//! upserts them. A ticket that answers 404 or `deleted: true` is removed, and so is one a
//! "deleted" event names. The payload's copy of the object is never stored: its shape
//! depends on the webhook's payload type, and only the API's is the mirror's.
//!
//! Rapid events for one object are coalesced. Halo sends an event after its change is
//! saved, so a fetch that starts after an event was journaled sees that event's change: an
//! event journaled before the last fetch of what it needs began is already applied, and is
//! done without a request. (The dispatcher runs one object's events in order, so the events
//! waiting in its lane while a fetch runs all end up covered by it or by the next one.)
//! The sync cursors are left alone ([`Mirror::upsert`]): a webhook never moves them.

use crate::dispatch::{Handler, HandlerError, HandlerFuture};
use crate::journal::Event;
use futures::TryStreamExt;
use halo_mirror::{Key, Mirror, Table};
use halopsa::ListOptions;
use jiff::Timestamp;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Objects whose last fetch times are remembered before old ones are forgotten (forgetting
/// one costs at most one fetch more).
const REMEMBERED: usize = 50_000;

/// How long a fetch time is kept once [`REMEMBERED`] is passed.
const REMEMBER_FOR: Duration = Duration::from_secs(600);

/// What an event asks of the mirror.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ask {
    /// A ticket changed (logged, updated, status changed, reassigned...): fetch it.
    Ticket(i64),
    /// An action was added (or changed) on a ticket: fetch the ticket and its actions.
    Action(i64),
    /// A ticket was deleted: remove it.
    Deleted(i64),
    /// Not about a ticket the mirror can name.
    Nothing,
}

/// When the fetches an object's events may rely on began.
#[derive(Debug, Clone, Copy, Default)]
struct Fetched {
    ticket: Option<Timestamp>,
    actions: Option<Timestamp>,
}

impl Fetched {
    fn newest(&self) -> Option<Timestamp> {
        self.ticket.max(self.actions)
    }
}

/// What the handler has done since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MirrorCounts {
    /// Events about tickets and actions handled.
    pub events: u64,
    /// Events that named nothing the mirror keeps (another kind of object, no object id).
    pub ignored: u64,
    /// Tickets fetched.
    pub ticket_fetches: u64,
    /// Ticket action lists fetched.
    pub action_fetches: u64,
    /// Fetches not made because an earlier fetch of the same object already covered the
    /// event (what coalescing saved).
    pub coalesced: u64,
    /// Rows upserted (tickets and actions).
    pub upserted: u64,
    /// Tickets removed (404, `deleted`, or a "deleted" event).
    pub removed: u64,
}

#[derive(Default)]
struct Counters {
    events: AtomicU64,
    ignored: AtomicU64,
    ticket_fetches: AtomicU64,
    action_fetches: AtomicU64,
    coalesced: AtomicU64,
    upserted: AtomicU64,
    removed: AtomicU64,
}

fn bump(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

/// Keeps a mirror's tickets and actions current from webhook events.
pub struct MirrorHandler {
    client: halopsa::Client,
    mirror: Mirror,
    tickets: &'static Table,
    actions: &'static Table,
    fetched: Mutex<HashMap<i64, Fetched>>,
    counts: Counters,
}

impl MirrorHandler {
    /// Fetches through `client` (its limiter and retries) into `mirror`.
    pub fn new(client: halopsa::Client, mirror: Mirror) -> Result<MirrorHandler, HandlerError> {
        let table = |name: &str| {
            halo_mirror::table(name)
                .ok_or_else(|| HandlerError(format!("the mirror has no {name} table")))
        };
        Ok(MirrorHandler {
            client,
            mirror,
            tickets: table("tickets")?,
            actions: table("actions")?,
            fetched: Mutex::new(HashMap::new()),
            counts: Counters::default(),
        })
    }

    /// The counts so far.
    pub fn counts(&self) -> MirrorCounts {
        let c = &self.counts;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        MirrorCounts {
            events: get(&c.events),
            ignored: get(&c.ignored),
            ticket_fetches: get(&c.ticket_fetches),
            action_fetches: get(&c.action_fetches),
            coalesced: get(&c.coalesced),
            upserted: get(&c.upserted),
            removed: get(&c.removed),
        }
    }

    fn fetched(&self, ticket: i64) -> Fetched {
        let map = self.fetched.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&ticket).copied().unwrap_or_default()
    }

    fn remember(&self, ticket: i64, mark: impl FnOnce(&mut Fetched)) {
        let mut map = self.fetched.lock().unwrap_or_else(|p| p.into_inner());
        mark(map.entry(ticket).or_default());
        if map.len() > REMEMBERED {
            let cutoff = jiff::SignedDuration::try_from(REMEMBER_FOR)
                .ok()
                .and_then(|d| Timestamp::now().checked_sub(d).ok());
            if let Some(cutoff) = cutoff {
                map.retain(|_, f| f.newest().is_some_and(|t| t >= cutoff));
            }
        }
    }

    async fn apply(&self, event: &Event) -> Result<(), HandlerError> {
        let ask = ask(event);
        let ticket = match ask {
            Ask::Ticket(id) | Ask::Action(id) | Ask::Deleted(id) => id,
            Ask::Nothing => {
                bump(&self.counts.ignored, 1);
                return Ok(());
            }
        };
        let seen = self.fetched(ticket);
        let covered = |at: Option<Timestamp>| at.is_some_and(|at| at >= event.received_at);
        match ask {
            Ask::Deleted(_) => {
                // A fetch begun after this event arrived knows better (a ticket restored since).
                if !covered(seen.ticket) {
                    self.remove(ticket).await?;
                }
            }
            Ask::Ticket(_) => {
                if covered(seen.ticket) {
                    bump(&self.counts.coalesced, 1);
                } else {
                    self.refresh_ticket(ticket).await?;
                }
            }
            Ask::Action(_) => {
                if covered(seen.ticket) {
                    bump(&self.counts.coalesced, 1);
                } else {
                    self.refresh_ticket(ticket).await?;
                }
                if covered(seen.actions) {
                    bump(&self.counts.coalesced, 1);
                } else {
                    self.refresh_actions(ticket).await?;
                }
            }
            Ask::Nothing => {}
        }
        bump(&self.counts.events, 1);
        Ok(())
    }

    /// Fetches the ticket and stores it, or removes it when Halo no longer has it.
    async fn refresh_ticket(&self, ticket: i64) -> Result<(), HandlerError> {
        let started = Timestamp::now();
        let api = self.client.resource(self.tickets.resource);
        let fetched = api.get(&ticket.to_string(), &[]).await;
        bump(&self.counts.ticket_fetches, 1);
        match fetched {
            Ok(doc) if !halo_mirror::is_soft_deleted(&doc) => {
                self.mirror
                    .upsert(self.tickets, vec![doc])
                    .await
                    .map_err(store_error)?;
                bump(&self.counts.upserted, 1);
            }
            Ok(_) => self.remove(ticket).await?,
            Err(e) if e.is_not_found() => self.remove(ticket).await?,
            Err(e) => return Err(api_error(&e)),
        }
        self.remember(ticket, |f| f.ticket = f.ticket.max(Some(started)));
        Ok(())
    }

    /// Fetches every action of the ticket (one request) and stores them.
    async fn refresh_actions(&self, ticket: i64) -> Result<(), HandlerError> {
        let started = Timestamp::now();
        let api = self.client.resource(self.actions.resource);
        let query = vec![("ticket_id".to_string(), ticket.to_string())];
        let (rows, _) = api.list(query, ListOptions::default());
        let rows: Result<Vec<Value>, halopsa::Error> = rows.try_collect().await;
        bump(&self.counts.action_fetches, 1);
        let rows = rows.map_err(|e| api_error(&e))?;
        let n = rows.len() as u64;
        if n > 0 {
            self.mirror
                .upsert(self.actions, rows)
                .await
                .map_err(store_error)?;
        }
        bump(&self.counts.upserted, n);
        self.remember(ticket, |f| f.actions = f.actions.max(Some(started)));
        Ok(())
    }

    /// Removes the ticket (its actions stay, as `halo sync` keeps them: Halo still lists a
    /// deleted ticket's actions).
    async fn remove(&self, ticket: i64) -> Result<(), HandlerError> {
        let n = self
            .mirror
            .delete(self.tickets, vec![Key::One(ticket)])
            .await
            .map_err(store_error)?;
        bump(&self.counts.removed, n);
        Ok(())
    }
}

impl Handler for MirrorHandler {
    fn handle<'a>(&'a self, event: &'a Event) -> HandlerFuture<'a> {
        Box::pin(self.apply(event))
    }
}

/// What `event` asks of the mirror, read leniently (Halo's event names are not documented;
/// reference §10): an event naming an action (or carrying one) is about that action's
/// ticket; one naming a deletion removes its ticket; one naming a ticket (or carrying one,
/// for names that do not: "SLA breached") is a change of it. Anything else, or an event
/// without a positive `object_id`, names nothing the mirror keeps.
fn ask(event: &Event) -> Ask {
    let Some(id) = event
        .fields
        .object_id
        .as_deref()
        .and_then(|t| t.trim().parse::<f64>().ok())
        .filter(|n| n.fract() == 0.0 && *n >= 1.0 && *n <= i64::MAX as f64)
        .map(|n| n as i64)
    else {
        return Ask::Nothing;
    };
    let name = event
        .fields
        .event
        .as_deref()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let carries = |key: &str| {
        serde_json::from_str::<Value>(&event.body)
            .ok()
            .is_some_and(|b| b.get(key).is_some_and(Value::is_object))
    };
    if name.contains("action") || carries("action") {
        Ask::Action(id)
    } else if name.contains("delet") {
        Ask::Deleted(id)
    } else if name.contains("ticket") || carries("ticket") {
        Ask::Ticket(id)
    } else {
        Ask::Nothing
    }
}

fn api_error(e: &halopsa::Error) -> HandlerError {
    HandlerError(e.to_string())
}

fn store_error(e: halo_mirror::MirrorError) -> HandlerError {
    HandlerError(format!("the mirror: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Status;
    use crate::payload::Fields;

    fn event(name: Option<&str>, object: Option<&str>, body: &str) -> Event {
        Event {
            seq: 1,
            fields: Fields {
                event: name.map(str::to_string),
                object_id: object.map(str::to_string),
                ..Fields::default()
            },
            received_at: Timestamp::now(),
            status: Status::Pending,
            attempts: 0,
            last_error: None,
            finished_at: None,
            body: body.to_string(),
        }
    }

    #[test]
    fn events_are_read_as_what_they_ask_of_the_mirror() {
        let cases = [
            (Some("Ticket Updated"), Some("12"), "{}", Ask::Ticket(12)),
            (
                Some("ticket status changed"),
                Some("12.0"),
                "{}",
                Ask::Ticket(12),
            ),
            (Some("New Ticket Logged"), Some("7"), "{}", Ask::Ticket(7)),
            (Some("Action Added"), Some("7"), "{}", Ask::Action(7)),
            (Some("Ticket Deleted"), Some("7"), "{}", Ask::Deleted(7)),
            (
                Some("SLA Breached"),
                Some("7"),
                r#"{"ticket":{"id":7}}"#,
                Ask::Ticket(7),
            ),
            (
                Some("Something"),
                Some("7"),
                r#"{"action":{"id":1}}"#,
                Ask::Action(7),
            ),
            (
                Some("New Client"),
                Some("7"),
                r#"{"client":{"id":7}}"#,
                Ask::Nothing,
            ),
            (Some("Ticket Updated"), None, "{}", Ask::Nothing),
            (Some("Ticket Updated"), Some("0"), "{}", Ask::Nothing),
            (Some("Ticket Updated"), Some("x"), "{}", Ask::Nothing),
            (None, Some("3"), "{}", Ask::Nothing),
        ];
        for (name, object, body, want) in cases {
            assert_eq!(ask(&event(name, object, body)), want, "{name:?} {object:?}");
        }
    }
}
