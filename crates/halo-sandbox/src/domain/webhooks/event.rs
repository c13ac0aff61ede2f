//! Halo's ticket events: what happened, how a webhook configuration names it and how its
//! payloads do (reference §10).

use crate::domain::clock;
use halopsa::id::id_from_value;
use serde_json::{Map, Value};

/// One of Halo's ticket events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A ticket created.
    Logged,
    /// A ticket changed, its status unchanged.
    Updated,
    /// A ticket's status changed.
    StatusChanged,
    /// A ticket deleted.
    Deleted,
    /// An action added to a ticket.
    ActionAdded,
}

/// How an event is named: in a webhook's configuration, in its payloads, in their messages.
pub struct EventName {
    /// The event.
    pub kind: EventKind,
    /// The names a webhook's `events[].name` may give it, compared ignoring case; the first
    /// is the one Halo's event list shows.
    pub config: &'static [&'static str],
    /// The payload's `event`.
    pub event: &'static str,
    /// The payload's `message`, before ` Ticket ID: 0001234.`.
    pub message: &'static str,
    /// The kind of object it is about (batching "by event type" groups on it).
    pub object: &'static str,
}

/// Every event, in [`EventKind`] order: the one place configuration names map to payload
/// texts. Halo quirk (reference §10): a live status change is posted as the lower-case
/// "ticket status changed", while the other names keep the capitals of Halo's event list.
const EVENTS: [EventName; 5] = [
    EventName {
        kind: EventKind::Logged,
        config: &["New Ticket Logged", "Ticket Logged", "New Ticket"],
        event: "New Ticket Logged",
        message: "A new ticket has been logged:",
        object: "ticket",
    },
    EventName {
        kind: EventKind::Updated,
        config: &["Ticket Updated", "Ticket Changed"],
        event: "Ticket Updated",
        message: "The ticket has been updated:",
        object: "ticket",
    },
    EventName {
        kind: EventKind::StatusChanged,
        config: &["Ticket Status Changed", "Status Changed"],
        event: "ticket status changed",
        message: "The status has been changed for",
        object: "ticket",
    },
    EventName {
        kind: EventKind::Deleted,
        config: &["Ticket Deleted", "Ticket Removed"],
        event: "Ticket Deleted",
        message: "The ticket has been deleted:",
        object: "ticket",
    },
    EventName {
        kind: EventKind::ActionAdded,
        config: &["Action Added", "New Action Added", "New Action"],
        event: "Action Added",
        message: "A new action has been added to",
        object: "action",
    },
];

impl EventKind {
    /// Its names.
    pub fn name(self) -> &'static EventName {
        &EVENTS[self as usize]
    }

    /// The event a webhook configuration names (`New Ticket Logged`, any case).
    pub fn from_config(name: &str) -> Option<EventKind> {
        let name = name.trim();
        EVENTS
            .iter()
            .find(|e| {
                e.config.iter().any(|c| c.eq_ignore_ascii_case(name))
                    || e.event.eq_ignore_ascii_case(name)
            })
            .map(|e| e.kind)
    }

    /// Its `notification_id` in payloads: its place in Halo's event list as the sandbox
    /// numbers it.
    pub fn notification_id(self) -> u64 {
        self as u64 + 1
    }
}

/// Something that happened to a ticket, with the ticket as saved.
#[derive(Debug, Clone)]
pub struct Event {
    /// Which event.
    pub kind: EventKind,
    /// The ticket, as saved.
    pub ticket: Map<String, Value>,
    /// The action added, for [`EventKind::ActionAdded`].
    pub action: Option<Map<String, Value>>,
    /// The agent who caused it.
    pub agent_id: i64,
    /// When it happened, as Halo writes event times (unique in this process).
    pub at: String,
}

impl Event {
    /// An event about `ticket`, caused by agent `agent_id`.
    pub fn ticket(kind: EventKind, ticket: Map<String, Value>, agent_id: i64) -> Event {
        Event {
            kind,
            ticket,
            action: None,
            agent_id,
            at: clock::now_precise(),
        }
    }

    /// `action` added to `ticket` by agent `agent_id`.
    pub fn action_added(
        ticket: Map<String, Value>,
        action: Map<String, Value>,
        agent_id: i64,
    ) -> Event {
        Event {
            action: Some(action),
            ..Event::ticket(EventKind::ActionAdded, ticket, agent_id)
        }
    }

    /// The ticket's id: the payload's `object_id` and the record's `entity_id`.
    pub fn object_id(&self) -> i64 {
        self.ticket.get("id").and_then(id_from_value).unwrap_or(0)
    }
}

/// A random version-4 UUID.
pub fn random_uuid() -> String {
    use rand::Rng;
    let b: [u8; 16] = rand::rng().random();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
        u16::from_be_bytes([b[4], b[5]]),
        u16::from_be_bytes([b[6], b[7]]) & 0x0fff,
        (u16::from_be_bytes([b[8], b[9]]) & 0x3fff) | 0x8000,
        u64::from_be_bytes([0, 0, b[10], b[11], b[12], b[13], b[14], b[15]])
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_event_table_is_in_kind_order_and_names_map_both_ways() {
        for (i, e) in EVENTS.iter().enumerate() {
            assert_eq!(e.kind as usize, i, "{}", e.event);
            assert_eq!(EventKind::from_config(e.config[0]), Some(e.kind));
            assert_eq!(EventKind::from_config(e.event), Some(e.kind));
        }
        assert_eq!(
            EventKind::from_config("  ticket STATUS changed "),
            Some(EventKind::StatusChanged)
        );
        assert_eq!(
            EventKind::StatusChanged.name().event,
            "ticket status changed"
        );
        assert_eq!(EventKind::from_config("Ticket Reassigned"), None);
    }
}
