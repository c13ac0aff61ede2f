//! The body Halo posts for one event (reference §10, §13.5).

use super::event::{Event, random_uuid};
use super::hooks::{Hook, PayloadType};
use serde_json::{Map, Value, json};

/// A ticket's key fields: what a small payload keeps of it.
const TICKET_KEYS: &[&str] = &[
    "id",
    "summary",
    "status_id",
    "status_name",
    "tickettype_id",
    "priority_id",
    "client_id",
    "client_name",
    "site_id",
    "site_name",
    "user_id",
    "user_name",
    "agent_id",
    "agent_name",
    "team_id",
    "team",
    "dateoccurred",
    "last_update",
    "hasbeenclosed",
    "deleted",
];

/// An action's key fields.
const ACTION_KEYS: &[&str] = &[
    "id",
    "ticket_id",
    "outcome_id",
    "outcome",
    "who_agentid",
    "who",
    "datetime",
];

/// The payload of `event` for `hook`, with a new delivery GUID (kept across its retries).
/// Every payload type carries `id`, `webhook_id`, `notification_id`, `escmsg_id`, `event`,
/// `object_id` and `timestamp`; the object types add the message, the agent and the ticket
/// nested as `ticket` (and the action as `action`).
pub fn payload(hook: &Hook, event: &Event) -> Value {
    let name = event.kind.name();
    let object_id = event.object_id();
    let mut body = json!({
        "id": random_uuid(),
        "webhook_id": hook.id,
        "notification_id": event.kind.notification_id(),
        "escmsg_id": random_uuid(),
        "event": name.event,
        "object_id": object_id,
        "timestamp": event.at,
    });
    let keys = match hook.payload {
        PayloadType::EventOnly => return body,
        PayloadType::Small => Some((TICKET_KEYS, ACTION_KEYS)),
        PayloadType::Full => None,
    };
    if let Value::Object(body) = &mut body {
        body.insert(
            "message".into(),
            Value::String(format!("{} Ticket ID: {object_id:07}.", name.message)),
        );
        body.insert("agent_id".into(), Value::from(event.agent_id));
        let shaped = |doc: &Map<String, Value>, fields: Option<&[&str]>| match fields {
            None => Value::Object(doc.clone()),
            Some(fields) => Value::Object(
                doc.iter()
                    .filter(|(k, _)| fields.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
        };
        body.insert("ticket".into(), shaped(&event.ticket, keys.map(|k| k.0)));
        if let Some(action) = &event.action {
            body.insert("action".into(), shaped(action, keys.map(|k| k.1)));
        }
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::webhooks::event::EventKind;

    fn hook(payload: PayloadType) -> Hook {
        Hook {
            id: "hook-1".into(),
            url: "http://127.0.0.1:9/h".into(),
            basic: None,
            payload,
            events: None,
            batch: None,
        }
    }

    fn event() -> Event {
        let ticket =
            json!({"id": 42, "summary": "Printer", "status_id": 2, "details": "long text"});
        let action = json!({"id": 3, "ticket_id": 42, "outcome": "Note", "note": "hello"});
        Event::action_added(
            ticket.as_object().unwrap().clone(),
            action.as_object().unwrap().clone(),
            5,
        )
    }

    #[test]
    fn each_payload_type_has_the_common_keys_and_its_own() {
        let common = [
            "id",
            "webhook_id",
            "notification_id",
            "escmsg_id",
            "event",
            "object_id",
            "timestamp",
        ];
        let e = event();
        let only = payload(&hook(PayloadType::EventOnly), &e);
        let mut keys: Vec<&str> = only
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        keys.sort_unstable();
        let mut want = common.to_vec();
        want.sort_unstable();
        assert_eq!(keys, want);
        assert_eq!(only["event"], EventKind::ActionAdded.name().event);
        assert_eq!(only["object_id"], 42);

        let full = payload(&hook(PayloadType::Full), &e);
        assert_eq!(full["ticket"]["details"], "long text");
        assert_eq!(full["action"]["note"], "hello");
        assert_eq!(full["agent_id"], 5);
        assert_eq!(
            full["message"],
            "A new action has been added to Ticket ID: 0000042."
        );

        let small = payload(&hook(PayloadType::Small), &e);
        assert_eq!(small["ticket"]["summary"], "Printer");
        assert!(small["ticket"].get("details").is_none());
        assert!(small["action"].get("note").is_none());
        assert_eq!(small["action"]["outcome"], "Note");
        assert_ne!(full["id"], small["id"], "a new delivery GUID each");
        assert_eq!(
            full["timestamp"], small["timestamp"],
            "the event's own time"
        );
    }
}
