//! Tickets, and the opportunities and projects that share their schema.

use super::codec::model;
use super::date::HaloDate;
use super::field::CustomField;
use crate::id::Id;
use serde_json::Value;

model! {
    /// A ticket (`/Tickets`, schema `Faults`).
    ///
    /// Halo replaces the whole `customfields` array on write: keep the array as read and change
    /// it with [`Ticket::set_custom_field`], so fields not touched are re-posted unchanged.
    pub struct Ticket at "Tickets" {
        /// The ticket number.
        id: Id,
        /// The subject line.
        summary: String,
        /// The description (plain text).
        details: String,
        /// The description (HTML).
        details_html: String,
        /// The customer.
        client_id: Id,
        /// The customer's name.
        client_name: String,
        /// The customer site (Halo needs it with a specific `user_id`).
        site_id: Id,
        /// The site's name.
        site_name: String,
        /// The end user.
        user_id: Id,
        /// The end user's name.
        user_name: String,
        /// Who reported it (free text).
        reportedby: String,
        /// The end user's e-mail address.
        user_email: String,
        /// The status (per tenant; resolve by name).
        status_id: Id,
        /// The status's name.
        status_name: String,
        /// The ticket (request) type.
        tickettype_id: Id,
        /// The priority: the integer `priorityid` of a [`Priority`](super::Priority).
        priority_id: Id,
        /// The service level agreement.
        sla_id: Id,
        /// The assigned agent.
        agent_id: Id,
        /// The assigned agent's name (empty on some list rows; prefer `agent_id`).
        agent_name: String,
        /// The team, by name.
        team: String,
        /// The team's id (webhook payloads carry it; the spec does not).
        team_id: Id,
        /// First-level category (text).
        category_1: String,
        /// Impact code.
        impact: i64,
        /// Urgency code.
        urgency: i64,
        /// Source code (without it a new ticket is recorded as "Manual").
        source: i64,
        /// The parent ticket.
        parent_id: Id,
        /// Whether it is on hold.
        onhold: bool,
        /// Whether it has ever been closed.
        hasbeenclosed: bool,
        /// Whether it is (soft-)deleted.
        deleted: bool,
        /// When it occurred (reliable where `datecreated` is empty).
        dateoccurred: HaloDate,
        /// When it was logged.
        datecreated: HaloDate,
        /// When it was closed.
        dateclosed: HaloDate,
        /// SLA response deadline.
        respondbydate: HaloDate,
        /// SLA fix deadline (the real due date).
        fixbydate: HaloDate,
        /// Deadline.
        deadlinedate: HaloDate,
        /// Target date (often a 1900-01-01 placeholder).
        targetdate: HaloDate,
        /// When the last action was added.
        lastactiondate: HaloDate,
        /// When it last changed.
        last_update: HaloDate,
        /// Custom fields (replaced as a whole on write).
        customfields: Vec<CustomField>,
    }
}

/// An opportunity (`/Opportunities`): the ticket schema. Its [`Model::PATH`](super::Model::PATH)
/// is `Tickets`; use the `opportunities` resource for the CRM path.
pub type Opportunity = Ticket;

/// A project (`/Projects`): the ticket schema. Its [`Model::PATH`](super::Model::PATH) is
/// `Tickets`; use the `projects` resource for the projects path.
pub type Project = Ticket;

impl Ticket {
    /// The custom field called `name` (ASCII case-insensitive).
    pub fn custom_field(&self, name: &str) -> Option<&CustomField> {
        self.customfields.iter().flatten().find(|f| {
            f.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
    }

    /// Sets the custom field called `name` (ASCII case-insensitive) within the existing array,
    /// appending `{name, value}` when absent; other fields are kept for the re-post.
    pub fn set_custom_field(&mut self, name: &str, value: Value) {
        let fields = self.customfields.get_or_insert_with(Vec::new);
        let existing = fields.iter_mut().find(|f| {
            f.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        });
        match existing {
            Some(field) => field.value = Some(value),
            None => fields.push(CustomField {
                name: Some(name.to_owned()),
                value: Some(value),
                ..CustomField::default()
            }),
        }
    }
}
