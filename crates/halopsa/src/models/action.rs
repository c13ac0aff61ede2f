//! Ticket actions: notes, e-mails, time entries.

use super::codec::model;
use super::date::HaloDate;
use super::field::CustomField;
use crate::id::Id;
use serde_json::Number;

model! {
    /// An action on a ticket (`/Actions`). Its id is unique only within its ticket: see
    /// [`Action::key`]. Creating one needs `ticket_id` and an outcome.
    pub struct Action at "Actions" {
        /// The id within its ticket.
        id: Id,
        /// The ticket it belongs to.
        ticket_id: Id,
        /// The outcome (action type) by name.
        outcome: String,
        /// The outcome (per tenant; see `/Outcome`).
        outcome_id: Id,
        /// Who did it, as displayed.
        who: String,
        /// Who did it: the kind code (agent, user...).
        who_type: i64,
        /// The agent who did it.
        who_agentid: Id,
        /// When it happened.
        datetime: HaloDate,
        /// The note (plain text).
        note: String,
        /// The note (HTML).
        note_html: String,
        /// Whether end users cannot see it.
        hiddenfromuser: bool,
        /// Time taken, in hours.
        timetaken: Number,
        /// Whether the time is billable.
        actisbillable: bool,
        /// The status the ticket moved to.
        new_status: Id,
        /// The agent the ticket was assigned to.
        new_agent: Id,
        /// The team the ticket was assigned to, by name.
        new_team: String,
        /// Whether to send it as an e-mail.
        sendemail: bool,
        /// E-mail recipients.
        emailto: String,
        /// E-mail subject.
        emailsubject: String,
        /// The agent the API acted as.
        actionby_agent_id: Id,
        /// The API application's name.
        actionby_application_id: String,
        /// Custom fields (replaced as a whole on write).
        customfields: Vec<CustomField>,
    }
}

impl Action {
    /// The action's key, `(ticket_id, id)`, when both are present.
    pub fn key(&self) -> Option<(Id, Id)> {
        Some((self.ticket_id?, self.id?))
    }
}
