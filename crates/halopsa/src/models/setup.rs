//! Ticket set-up: types, statuses and priorities.

use super::codec::model;
use crate::id::Id;
use serde_json::Number;

model! {
    /// A ticket (request) type (`/TicketType`).
    pub struct TicketType at "TicketType" {
        /// The type id.
        id: Id,
        /// The name.
        name: String,
        /// What it is used for (`reqs`, ...).
        r#use: String,
        /// Whether it is inactive.
        inactive: bool,
    }
}

model! {
    /// A ticket status (`/Status`); ids are per tenant, so resolve them by name.
    pub struct Status at "Status" {
        /// The status id.
        id: Id,
        /// The name.
        name: String,
        /// The short name.
        shortname: String,
        /// The kind code (closed statuses differ from open ones).
        r#type: i64,
        /// The display colour.
        colour: String,
    }
}

model! {
    /// A priority (`/Priority`, schema `Policy`). Its `id` is a GUID; tickets refer to the
    /// integer `priorityid`.
    pub struct Priority at "Priority" {
        /// The GUID id.
        id: String,
        /// The integer id a ticket's `priority_id` refers to.
        priorityid: Id,
        /// The name.
        name: String,
        /// The service level agreement it belongs to.
        slaid: Id,
        /// Response target, in hours.
        responsetime: Number,
        /// Fix target, in hours.
        fixtime: Number,
    }
}
